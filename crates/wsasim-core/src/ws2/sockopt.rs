//! `setsockopt`, `getsockopt`, `ioctlsocket`: marshalling of `optval`/`optlen` and
//! `argp`, with the length rules verified on Windows (`wine-facts.md` P3, P8, P10, P15).

use crate::consts::*;
use crate::error::WsaError;
use crate::memory::{Ptr, UserMemoryExt};
use crate::provider::OptValue;
use crate::thread::ThreadId;
use crate::world::World;

/// How an option's value is laid out.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// `LINGER`, 4 bytes.
    Linger,
    /// A `DWORD`: `optlen` must be at least 4.
    Dword,
    /// A `BOOL`: any positive `optlen`, the low bytes count.
    Bool,
}

fn layout(level: i32, name: i32) -> Layout {
    match (level, name) {
        (SOL_SOCKET, SO_LINGER) => Layout::Linger,
        (
            SOL_SOCKET,
            SO_SNDBUF | SO_RCVBUF | SO_SNDTIMEO | SO_RCVTIMEO | SO_ERROR | SO_TYPE
            | SO_MAX_MSG_SIZE,
        ) => Layout::Dword,
        // IP_PKTINFO / IPV6_PKTINFO: "optlen must be >= sizeof(DWORD) else WSAEFAULT"
        // (W32 ip-pktinfo, ipv6-pktinfo); the TTL and V6ONLY are DWORDs too.
        (IPPROTO_IP, IP_PKTINFO | IP_TTL)
        | (IPPROTO_IPV6, IPV6_PKTINFO | IPV6_UNICAST_HOPS | IPV6_V6ONLY) => Layout::Dword,
        _ => Layout::Bool,
    }
}

impl World {
    /// `int setsockopt(SOCKET s, int level, int optname, const char *optval, int optlen)`.
    pub fn setsockopt(
        &mut self,
        t: ThreadId,
        s: SOCKET,
        level: i32,
        optname: i32,
        optval: Ptr,
        optlen: i32,
    ) -> i32 {
        self.trace_call(
            t,
            "setsockopt",
            &[
                ("s", s),
                ("level", level as u64),
                ("name", optname as u64),
                ("optlen", optlen as u64),
            ],
        );
        let r = self
            .prolog(t)
            .and_then(|_| self.socket_ref(s))
            .and_then(|(p, r, _)| {
                if optval.is_null() {
                    return Err(WsaError::WSAEFAULT);
                }
                let value = match layout(level, optname) {
                    Layout::Linger => {
                        if optlen < 4 {
                            return Err(WsaError::WSAEFAULT);
                        }
                        let raw = self
                            .k
                            .mem
                            .read_u32(optval)
                            .map_err(|_| WsaError::WSAEFAULT)?;
                        OptValue::Linger {
                            onoff: raw as u16,
                            linger: (raw >> 16) as u16,
                        }
                    }
                    layout => {
                        // P3: optlen -1 is taken as 4 for DWORD options; 1 or 2 is WSAEFAULT.
                        // P15: TCP_NODELAY takes any positive length, 0 and -1 are WSAEFAULT.
                        let len = match (layout, optlen) {
                            (Layout::Dword, n) if n < 0 => 4,
                            (Layout::Dword, n) if n < 4 => return Err(WsaError::WSAEFAULT),
                            (_, n) if n <= 0 => return Err(WsaError::WSAEFAULT),
                            (_, n) => n.min(4) as usize,
                        };
                        let mut raw = [0u8; 4];
                        self.k
                            .mem
                            .read(optval, &mut raw[..len])
                            .map_err(|_| WsaError::WSAEFAULT)?;
                        OptValue::Int(u32::from_le_bytes(raw))
                    }
                };
                self.providers[p]
                    .set_option(&mut self.k, r, level, optname, value)
                    .map(|_| 0)
            });
        self.finish(t, "setsockopt", r, -1).done().expect("returns") as i32
    }

    /// `int getsockopt(SOCKET s, int level, int optname, char *optval, int *optlen)`.
    pub fn getsockopt(
        &mut self,
        t: ThreadId,
        s: SOCKET,
        level: i32,
        optname: i32,
        optval: Ptr,
        optlen: Ptr,
    ) -> i32 {
        self.trace_call(
            t,
            "getsockopt",
            &[("s", s), ("level", level as u64), ("name", optname as u64)],
        );
        let r = self
            .prolog(t)
            .and_then(|_| self.socket_ref(s))
            .and_then(|(p, r, _)| {
                if optval.is_null() || optlen.is_null() {
                    return Err(WsaError::WSAEFAULT);
                }
                let have = self
                    .k
                    .mem
                    .read_u32(optlen)
                    .map_err(|_| WsaError::WSAEFAULT)? as i32;
                // P9 / P3: -1 is WSAEFAULT with the size unchanged.
                if have < 0 {
                    return Err(WsaError::WSAEFAULT);
                }
                let value = self.providers[p].get_option(&mut self.k, r, level, optname)?;
                let raw = match value {
                    OptValue::Int(v) => v.to_le_bytes(),
                    OptValue::Linger { onoff, linger } => {
                        (u32::from(onoff) | (u32::from(linger) << 16)).to_le_bytes()
                    }
                };
                if have < 4 {
                    // P3: "getsockopt with optlen < 4 -> WSAEFAULT and the bytes that fit are
                    // zeroed".
                    let zeros = [0u8; 4];
                    let _ = self.k.mem.write(optval, &zeros[..have as usize]);
                    return Err(WsaError::WSAEFAULT);
                }
                self.k
                    .mem
                    .write(optval, &raw)
                    .map_err(|_| WsaError::WSAEFAULT)?;
                self.k
                    .mem
                    .write_u32(optlen, 4)
                    .map_err(|_| WsaError::WSAEFAULT)?;
                Ok(0)
            });
        self.finish(t, "getsockopt", r, -1).done().expect("returns") as i32
    }

    /// `int ioctlsocket(SOCKET s, long cmd, u_long *argp)`: `FIONBIO`, `FIONREAD`,
    /// `SIOCATMARK`.
    pub fn ioctlsocket(&mut self, t: ThreadId, s: SOCKET, cmd: u32, argp: Ptr) -> i32 {
        self.trace_call(
            t,
            "ioctlsocket",
            &[("s", s), ("cmd", u64::from(cmd)), ("argp", argp.0)],
        );
        let r = self
            .prolog(t)
            .and_then(|_| self.socket_ref(s))
            .and_then(|(p, r, _)| {
                // P10: an argp that is not a valid pointer is WSAEFAULT.
                let arg = self.k.mem.read_u32(argp).map_err(|_| WsaError::WSAEFAULT)?;
                let out = self.providers[p].ioctl(&mut self.k, r, cmd, arg)?;
                if cmd != FIONBIO {
                    self.k
                        .mem
                        .write_u32(argp, out)
                        .map_err(|_| WsaError::WSAEFAULT)?;
                }
                Ok(0)
            });
        self.finish(t, "ioctlsocket", r, -1)
            .done()
            .expect("returns") as i32
    }
}
