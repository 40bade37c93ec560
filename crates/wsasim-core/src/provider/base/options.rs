//! Socket options and `ioctlsocket` commands of the base provider.
//!
//! Heads up: W32 `sol-socket-socket-options`, SDK `getsockopt`/`setsockopt`/
//! `ioctlsocket`; verified behaviour in `wine-facts.md` P1-P17. Every option is
//! *simulated* (it changes what the model does) unless marked *stored* (kept and read
//! back only).

use super::socket::{Kind, State};
use super::BaseProvider;
use crate::consts::*;
use crate::error::WsaError;
use crate::kernel::Kernel;
use crate::provider::OptValue;

fn int(v: OptValue) -> Result<u32, WsaError> {
    match v {
        OptValue::Int(i) => Ok(i),
        OptValue::Linger { .. } => Err(WsaError::WSAEFAULT),
    }
}

fn boolean(v: OptValue) -> Result<bool, WsaError> {
    int(v).map(|i| i != 0)
}

/// Whether `level` is one the provider knows at all (others are `WSAEINVAL`,
/// `wine-facts.md` P5).
pub(crate) fn known_level(level: i32) -> bool {
    matches!(
        level,
        SOL_SOCKET | IPPROTO_TCP | IPPROTO_UDP | IPPROTO_IP | IPPROTO_IPV6
    )
}

impl BaseProvider {
    pub(crate) fn opt_get(
        &mut self,
        _k: &mut Kernel,
        ctx: u64,
        level: i32,
        name: i32,
    ) -> Result<OptValue, WsaError> {
        if !known_level(level) {
            return Err(WsaError::WSAEINVAL);
        }
        let s = self.sock_mut(ctx);
        let stream = s.kind == Kind::Stream;
        let o = &mut s.opts;
        let v = match (level, name) {
            (SOL_SOCKET, SO_SNDBUF) => o.sndbuf,
            (SOL_SOCKET, SO_RCVBUF) => o.rcvbuf,
            (SOL_SOCKET, SO_SNDTIMEO) => o.sndtimeo,
            (SOL_SOCKET, SO_RCVTIMEO) => o.rcvtimeo,
            // wine-facts P8: SO_LINGER on UDP is WSAENOPROTOOPT.
            (SOL_SOCKET, SO_LINGER) if stream => {
                return Ok(OptValue::Linger {
                    onoff: o.linger_onoff,
                    linger: o.linger_secs,
                })
            }
            (SOL_SOCKET, SO_DONTLINGER) if stream => u32::from(o.linger_onoff == 0),
            (SOL_SOCKET, SO_BROADCAST) => u32::from(o.broadcast),
            (SOL_SOCKET, SO_OOBINLINE) => u32::from(o.oobinline),
            (SOL_SOCKET, SO_KEEPALIVE) => u32::from(o.keepalive),
            (SOL_SOCKET, SO_REUSEADDR) => u32::from(o.reuseaddr),
            (SOL_SOCKET, SO_DEBUG) => u32::from(o.debug),
            (SOL_SOCKET, SO_DONTROUTE) => u32::from(o.dontroute),
            // SO_ERROR "returns and resets the per socket-based error code" (SDK
            // getsockopt), for a value set with setsockopt; the error of a failed
            // nonblocking connect stays across reads until a connection succeeds
            // (wine-facts V5, test_select: read twice, WSAECONNREFUSED both times).
            (SOL_SOCKET, SO_ERROR) => match std::mem::take(&mut o.error) {
                0 => o.connect_error,
                set => set,
            },
            (SOL_SOCKET, SO_TYPE) => match s.kind {
                Kind::Stream => SOCK_STREAM as u32,
                Kind::Dgram => SOCK_DGRAM as u32,
                Kind::Raw => SOCK_RAW as u32,
            },
            (SOL_SOCKET, SO_ACCEPTCONN) => u32::from(s.state == State::Listening),
            // wine-facts P5: 65507 for UDP. It "has no meaning" for streams; the model
            // answers as Wine does (divergence: unverified for TCP on Windows).
            (SOL_SOCKET, SO_MAX_MSG_SIZE) => UDP_MAX_MSG_SIZE,
            (SOL_SOCKET, SO_SNDLOWAT | SO_RCVLOWAT) => return Err(WsaError::WSAEINVAL),
            (IPPROTO_TCP, TCP_NODELAY) if stream => u32::from(o.nodelay),
            (IPPROTO_IP, IP_TTL) | (IPPROTO_IPV6, IPV6_UNICAST_HOPS) => o.ttl,
            // wine-facts P16: UDP and raw 0, TCP 1.
            (IPPROTO_IP, IP_DONTFRAGMENT) => u32::from(o.dontfragment),
            // IP_PKTINFO / IPV6_PKTINFO: "Only valid on SOCK_DGRAM / SOCK_RAW (option on
            // other types -> WSAENOPROTOOPT); option default FALSE" (W32 ip-pktinfo).
            (IPPROTO_IP, IP_PKTINFO) if !stream => u32::from(o.pktinfo),
            (IPPROTO_IPV6, IPV6_PKTINFO) if !stream => u32::from(o.pktinfo6),
            // wine-facts test_ipv6only: IPV6_V6ONLY reads 1 by default.
            (IPPROTO_IPV6, IPV6_V6ONLY) => u32::from(o.v6only),
            _ => return Err(WsaError::WSAENOPROTOOPT),
        };
        Ok(OptValue::Int(v))
    }

    pub(crate) fn opt_set(
        &mut self,
        k: &mut Kernel,
        ctx: u64,
        level: i32,
        name: i32,
        value: OptValue,
    ) -> Result<(), WsaError> {
        if !known_level(level) {
            return Err(WsaError::WSAEINVAL);
        }
        let s = self.sock_mut(ctx);
        let stream = s.kind == Kind::Stream;
        let connected = s.state == State::Connected;
        let bound = s.local.is_some();
        let o = &mut s.opts;
        match (level, name) {
            (SOL_SOCKET, SO_SNDBUF) => o.sndbuf = int(value)?,
            (SOL_SOCKET, SO_RCVBUF) => {
                o.rcvbuf = int(value)?;
                // The window of an established connection never shrinks; it may grow.
                if connected {
                    s.rcv_window = s.rcv_window.max(s.opts.rcvbuf);
                }
            }
            (SOL_SOCKET, SO_SNDTIMEO) => o.sndtimeo = int(value)?,
            (SOL_SOCKET, SO_RCVTIMEO) => o.rcvtimeo = int(value)?,
            (SOL_SOCKET, SO_LINGER) if stream => match value {
                OptValue::Linger { onoff, linger } => {
                    o.linger_onoff = onoff;
                    o.linger_secs = linger;
                }
                OptValue::Int(_) => return Err(WsaError::WSAEFAULT),
            },
            // SO_DONTLINGER TRUE "is equivalent to setting SO_LINGER with l_onoff set to
            // zero"; FALSE turns lingering on with the earlier timeout.
            (SOL_SOCKET, SO_DONTLINGER) if stream => o.linger_onoff = u16::from(!boolean(value)?),
            (SOL_SOCKET, SO_BROADCAST) => o.broadcast = boolean(value)?,
            (SOL_SOCKET, SO_OOBINLINE) => o.oobinline = boolean(value)?,
            (SOL_SOCKET, SO_KEEPALIVE) => o.keepalive = boolean(value)?,
            (SOL_SOCKET, SO_REUSEADDR) => o.reuseaddr = boolean(value)?,
            (SOL_SOCKET, SO_DEBUG) => o.debug = boolean(value)?,
            (SOL_SOCKET, SO_DONTROUTE) => o.dontroute = boolean(value)?,
            // wine-facts P9: setting SO_ERROR succeeds and getsockopt reads it back.
            (SOL_SOCKET, SO_ERROR) => o.error = int(value)?,
            // wine-facts W27: setsockopt(SO_TYPE) is WSAEINVAL.
            (SOL_SOCKET, SO_TYPE) => return Err(WsaError::WSAEINVAL),
            (SOL_SOCKET, SO_SNDLOWAT | SO_RCVLOWAT) => return Err(WsaError::WSAEINVAL),
            // wine-facts P15: only the low byte of TCP_NODELAY counts.
            (IPPROTO_TCP, TCP_NODELAY) if stream => o.nodelay = int(value)? & 0xFF != 0,
            (IPPROTO_IP, IP_TTL) | (IPPROTO_IPV6, IPV6_UNICAST_HOPS) => match int(value)? {
                ttl @ 1..=255 => o.ttl = ttl,
                _ => return Err(WsaError::WSAEINVAL),
            },
            (IPPROTO_IP, IP_DONTFRAGMENT) => o.dontfragment = boolean(value)?,
            (IPPROTO_IP, IP_PKTINFO) if !stream => o.pktinfo = boolean(value)?,
            (IPPROTO_IPV6, IPV6_PKTINFO) if !stream => o.pktinfo6 = boolean(value)?,
            // test_ipv6only (wine): changing IPV6_V6ONLY after bind fails.
            (IPPROTO_IPV6, IPV6_V6ONLY) if bound => return Err(WsaError::WSAEINVAL),
            (IPPROTO_IPV6, IPV6_V6ONLY) => o.v6only = boolean(value)?,
            _ => return Err(WsaError::WSAENOPROTOOPT),
        }
        if (name == SO_SNDBUF || name == SO_RCVBUF) && !stream {
            // More room may let queued datagrams go.
            self.dgram_pump(k, ctx);
        } else if name == SO_SNDBUF || name == SO_RCVBUF {
            // More room may let queued data move.
            self.pump(k, ctx);
            if let Some(peer) = self.sock(ctx).peer {
                self.pump(k, peer);
            }
        }
        Ok(())
    }

    pub(crate) fn do_ioctl(
        &mut self,
        _k: &mut Kernel,
        ctx: u64,
        cmd: u32,
        arg: u32,
    ) -> Result<u32, WsaError> {
        let s = self.sock_mut(ctx);
        match cmd {
            FIONBIO => {
                s.nonblocking = arg != 0;
                Ok(0)
            }
            FIONREAD => Ok(match s.kind {
                Kind::Stream => s.rcv.len() as u32,
                Kind::Dgram | Kind::Raw => s.dgrams.front().map_or(0, |d| d.bytes.len() as u32),
            }),
            SIOCATMARK => Ok(u32::from(s.oob.is_none())),
            // ioctlsocket: "WSAEINVAL: cmd is not a valid command".
            _ => Err(WsaError::WSAEINVAL),
        }
    }
}
