//! UDP and raw sockets: one datagram per send whatever the number of buffers, a default
//! peer after `connect`, `SO_MAX_MSG_SIZE` = 65507, implicit bind, broadcast, a send
//! buffer for datagrams not yet off the wire, source addresses chosen by `IP_PKTINFO`,
//! TTL, fragmentation, loss, and the ICMP errors that come back.
//!
//! Heads up: WSASend Remarks ("It can also be used, however, on connectionless sockets
//! that have a stipulated default peer address"; "If the data is too long to pass
//! atomically through the underlying protocol the error WSAEMSGSIZE is returned, and no
//! data is transmitted"), the WSASendMsg seed (`seeds/001`), `wine-facts.md` E5, E10-E14,
//! E17, E20, E25-E29, O12, C4, P5, W8-W10; SDK `wsamsg`, `in_pktinfo`.

use super::socket::{Dgram, DgramOut, Kind, RecvReq, SendReq, State};
use super::stream::{gather, scatter, total_len};
use super::{BaseProvider, Delivery};
use crate::choice::ChoiceKind;
use crate::config::Profile;
use crate::consts::*;
use crate::error::WsaError;
use crate::kernel::Kernel;
use crate::memory::{Ptr, UserMemoryExt, WsaBuf};
use crate::msg::{self, CmsgHdr};
use crate::net::{HostId, IpAddr, Leg, RouteError, SockAddr};
use crate::provider::{RecvMeta, SocketRef};
use crate::status::NtStatus;
use crate::thread::ThreadId;
use crate::time::Duration;
use crate::trace::{OpEvent, Record};
use smallvec::SmallVec;

/// An ICMP error about an earlier datagram, on its way back to the sender.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Icmp {
    /// No socket on the destination port: the sender's next receive fails with
    /// `WSAECONNRESET` (and its next send, in the documented profile).
    PortUnreachable,
    /// A router dropped the datagram when its TTL reached zero: the sender's next send
    /// fails with `WSAENETRESET`.
    TimeExceeded,
}

/// A datagram arriving at a host.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Arrival {
    pub from: SockAddr,
    pub to: SockAddr,
    pub src_host: HostId,
    pub dst_host: HostId,
    pub sender: u64,
    /// `Some(protocol)` for a raw datagram.
    pub proto: Option<i32>,
    pub bcast: bool,
}

/// A control object to write: `(cmsg_level, cmsg_type, data)`.
type ControlObject = (i32, i32, SmallVec<[u8; 20]>);

/// `sizeof` the IPv4 and IPv6 headers, and of the UDP header.
const IPV4_HEADER: u64 = 20;
const IPV6_HEADER: u64 = 40;
const UDP_HEADER: u64 = 8;
/// An IPv6 fragment header.
const IPV6_FRAGMENT_HEADER: u64 = 8;

/// How many fragments an IP packet carrying `payload` bytes (transport header included)
/// needs on a path of MTU `mtu`, and the bytes on the wire.
fn fragments(v6: bool, payload: u64, mtu: u32) -> (u64, u64) {
    let hdr = if v6 { IPV6_HEADER } else { IPV4_HEADER };
    let mtu = u64::from(mtu);
    if payload + hdr <= mtu {
        return (1, payload + hdr);
    }
    let extra = if v6 { IPV6_FRAGMENT_HEADER } else { 0 };
    // Fragment data is a multiple of 8 bytes (RFC 791, RFC 8200).
    let per = (mtu.saturating_sub(hdr + extra) & !7).max(8);
    let n = payload.div_ceil(per);
    (n, payload + n * (hdr + extra))
}

impl BaseProvider {
    pub(crate) fn dgram_connect(
        &mut self,
        k: &mut Kernel,
        ctx: u64,
        addr: SockAddr,
    ) -> Result<(), WsaError> {
        self.check_net(ctx)?;
        if addr.ip.family() != self.sock(ctx).af {
            return Err(WsaError::WSAEAFNOSUPPORT);
        }
        self.auto_bind(k, ctx)?;
        if addr.ip.is_unspecified() {
            // Connecting to the wildcard dissolves the association.
            self.sock_mut(ctx).peer_addr = None;
            self.set_state(k, ctx, State::Bound);
            return Ok(());
        }
        // wine-facts E28: connect to the broadcast address works without SO_BROADCAST.
        self.sock_mut(ctx).peer_addr = Some(addr);
        self.set_state(k, ctx, State::Connected);
        Ok(())
    }

    /// `WSPSend` / `WSPSendTo` on a datagram or raw socket: one datagram to `to` (or the
    /// default peer), from `src` (or the address the route picks).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn dgram_send(
        &mut self,
        k: &mut Kernel,
        s: SocketRef,
        bufs: &[WsaBuf],
        flags: u32,
        ov: Ptr,
        routine: Ptr,
        t: ThreadId,
        to: Option<SockAddr>,
        src: Option<IpAddr>,
    ) -> Result<u32, WsaError> {
        let ctx = s.context;
        self.check_net(ctx)?;
        // "MSG_OOB was specified, but the socket is not stream-style such as type
        // SOCK_STREAM"; "MSG_PARTIAL ... WSAEOPNOTSUPP will be returned by transports
        // that do not support partial message transmissions".
        if flags & (MSG_OOB | MSG_PARTIAL) != 0 {
            return Err(WsaError::WSAEOPNOTSUPP);
        }
        let sock = self.sock(ctx);
        let host = sock.host;
        // wine-facts E20: a UDP send after shutdown(SD_SEND) is WSAESHUTDOWN.
        if sock.sd_send {
            return Err(WsaError::WSAESHUTDOWN);
        }
        let dest = match to.or(sock.peer_addr) {
            Some(d) => d,
            // "The socket has not been bound with bind" (documented profile); verified
            // Windows: WSAENOTCONN, bound or not (wine-facts E17).
            None if sock.state == State::Created && k.profile() == Profile::Documented => {
                return Err(WsaError::WSAEINVAL)
            }
            None => return Err(WsaError::WSAENOTCONN),
        };
        // sendto: WSAEAFNOSUPPORT "Addresses in the specified family cannot be used with
        // this socket."
        if dest.ip.family() != sock.af {
            return Err(WsaError::WSAEAFNOSUPPORT);
        }
        let total = total_len(bufs).ok_or(WsaError::WSAEINVAL)?;
        // "If the data is too long to pass atomically through the underlying protocol the
        // error WSAEMSGSIZE is returned, and no data is transmitted."
        if total > UDP_MAX_MSG_SIZE {
            return Err(WsaError::WSAEMSGSIZE);
        }
        let wire_ip = dest.ip.unmapped();
        let broadcast = self.net.is_broadcast_for(host, &wire_ip);
        // "The requested address is a broadcast address, but the appropriate flag was not
        // set." Only an explicit destination: a socket connected to the broadcast
        // address sends without SO_BROADCAST (wine-facts E27, E28).
        if to.is_some() && broadcast && !sock.opts.broadcast {
            return Err(WsaError::WSAEACCES);
        }
        if sock.faults.nobufs > 0 {
            self.sock_mut(ctx).faults.nobufs -= 1;
            return Err(WsaError::WSAENOBUFS);
        }
        // "For a datagram socket, this error indicates that the time to live has expired."
        if sock.faults.ttl_expired {
            self.sock_mut(ctx).faults.ttl_expired = false;
            return Err(WsaError::WSAENETRESET);
        }
        // "For a UDP datagram socket, this error would indicate that a previous send
        // operation resulted in an ICMP "Port Unreachable" message." Verified Windows
        // ignores it for sends (wine-facts E25): documented profile only.
        if sock.icmp_unreachable && k.profile() == Profile::Documented {
            self.sock_mut(ctx).icmp_unreachable = false;
            return Err(WsaError::WSAECONNRESET);
        }
        // An IPv4-mapped destination needs a dual-stack socket (IPV6_V6ONLY off).
        if dest.ip.v4_mapped().is_some() && sock.opts.v6only {
            return Err(WsaError::WSAENETUNREACH);
        }
        // IP_PKTINFO / IPV6_PKTINFO: "the local IP source address to use for sending";
        // it must be one of the host's addresses.
        let src = src.filter(|a| !a.is_unspecified()).map(|a| a.unmapped());
        if let Some(a) = src {
            if a.family() != wire_ip.family() || !self.net.is_local(host, &a) {
                return Err(WsaError::WSAEADDRNOTAVAIL);
            }
        }
        if !broadcast && !wire_ip.is_multicast() {
            match self.net.route(host, &wire_ip) {
                // "The network is unreachable."
                Err(RouteError::NoRoute) => return Err(WsaError::WSAENETUNREACH),
                // IP_DONTFRAGMENT: a datagram that would need fragments is refused.
                Ok(r) if self.sock(ctx).opts.dontfragment && matches!(wire_ip, IpAddr::V4(_)) => {
                    let l4 = if self.sock(ctx).kind == Kind::Raw {
                        0
                    } else {
                        UDP_HEADER
                    };
                    if u64::from(total) + l4 + IPV4_HEADER > u64::from(r.mtu()) {
                        return Err(WsaError::WSAEMSGSIZE);
                    }
                }
                _ => {}
            }
        }
        // wine-facts E5, E12: the first send binds an unbound socket.
        self.auto_bind(k, ctx)?;
        let out = DgramOut { dest, src };
        if !ov.is_null() {
            self.too_many_outstanding(k, s)?;
            let op = k.begin_op(s.handle, t, ov, routine, "send", u64::from(total))?;
            let deferred = k.profile() == Profile::Documented && {
                let r = k.config().pend_ratio;
                k.flip(ChoiceKind::PendInsteadOfImmediate, r)
            };
            self.queue_dgram(ctx, op, bufs, total, deferred, out);
            if deferred {
                let now = k.now();
                self.schedule(now, Delivery::Kick { ctx });
                k.trace_op(op, s.handle, OpEvent::Pending, 0);
                return Err(WsaError::WSA_IO_PENDING);
            }
            return match self.dgram_pump_watch(k, ctx, op) {
                Some(status) if status.is_success() => {
                    k.trace_op(op, s.handle, OpEvent::Immediate, u64::from(total));
                    Ok(total)
                }
                // Still pending; or completed with an error during the call: the
                // completion is already indicated, so the call reports a pending
                // operation.
                _ => {
                    k.trace_op(op, s.handle, OpEvent::Pending, 0);
                    Err(WsaError::WSA_IO_PENDING)
                }
            };
        }
        let room = self.dgram_room(ctx);
        let nonblocking = self.sock(ctx).nonblocking;
        // "Nonoverlapped sockets: The socket is marked as nonblocking and the send
        // operation cannot be completed immediately."
        if !room && nonblocking {
            return Err(WsaError::WSAEWOULDBLOCK);
        }
        if !room || (!nonblocking && self.sock(ctx).opts.sndbuf == 0) {
            // A blocking send waits for room in the datagram send buffer, and with
            // SO_SNDBUF = 0 until its datagram is off the wire (SO_SNDTIMEO applies).
            let op = k.begin_op(s.handle, t, Ptr::NULL, Ptr::NULL, "send", u64::from(total))?;
            self.queue_dgram(ctx, op, bufs, total, false, out);
            self.dgram_pump(k, ctx);
            if k.op(op).is_some_and(|o| o.is_pending()) {
                k.trace_op(op, s.handle, OpEvent::Pending, 0);
                return Err(WsaError::WSA_IO_PENDING);
            }
            k.thread_mut(t).blocking_op = None;
            return match k.take_op(op) {
                Some(crate::overlapped::OpState::Completed { status, bytes, .. })
                    if status.is_success() =>
                {
                    Ok(bytes)
                }
                Some(crate::overlapped::OpState::Completed { status, .. }) => {
                    Err(status.to_wsa_exact())
                }
                _ => Ok(total),
            };
        }
        // "data is copied from the buffer or buffers into the transport's buffer".
        let mut data = Vec::with_capacity(total as usize);
        gather(k.mem(), bufs, 0, total as usize, &mut data).map_err(|_| WsaError::WSAEFAULT)?;
        self.transmit_datagram(k, ctx, out, data, 0)?;
        Ok(total)
    }

    fn queue_dgram(
        &mut self,
        ctx: u64,
        op: u64,
        bufs: &[WsaBuf],
        total: u32,
        deferred: bool,
        out: DgramOut,
    ) {
        let sock = self.sock_mut(ctx);
        sock.send_q.push_back(SendReq {
            op,
            bufs: SmallVec::from_slice(bufs),
            total,
            taken: 0,
            urgent: false,
            deferred,
        });
        sock.dgram_dest.push_back((op, out));
    }

    /// Whether the datagram send buffer takes another datagram now: a datagram is
    /// taken whole while the buffer holds less than `SO_SNDBUF` bytes (as for streams,
    /// `docs/divergences.md`); with `SO_SNDBUF = 0`, when nothing is still on the wire.
    fn dgram_room(&self, ctx: u64) -> bool {
        let s = self.sock(ctx);
        s.send_q.is_empty()
            && if s.opts.sndbuf == 0 {
                s.dgram_tx == 0
            } else {
                s.dgram_tx < u64::from(s.opts.sndbuf)
            }
    }

    /// Sends queued datagrams while the send buffer has room, reading their buffers now.
    /// A datagram's operation completes when the transport has consumed it: at once
    /// with `SO_SNDBUF > 0`, when it is off the wire with `SO_SNDBUF = 0`.
    pub(crate) fn dgram_pump(&mut self, k: &mut Kernel, ctx: u64) {
        self.dgram_pump_watch(k, ctx, 0);
    }

    /// [`BaseProvider::dgram_pump`], telling how operation `watch` completed if it did.
    fn dgram_pump_watch(&mut self, k: &mut Kernel, ctx: u64, watch: u64) -> Option<NtStatus> {
        let mut watched = None;
        loop {
            let Some(s) = self.sockets.get(&ctx) else {
                return watched;
            };
            let Some(req) = s.send_q.front() else {
                return watched;
            };
            if req.deferred {
                return watched;
            }
            let busy = if s.opts.sndbuf == 0 {
                s.dgram_tx > 0
            } else {
                s.dgram_tx >= u64::from(s.opts.sndbuf)
            };
            if busy {
                return watched;
            }
            let sndbuf0 = s.opts.sndbuf == 0;
            let req = self
                .sock_mut(ctx)
                .send_q
                .pop_front()
                .expect("checked above");
            let sock = self.sock_mut(ctx);
            let at = sock
                .dgram_dest
                .iter()
                .position(|(o, _)| *o == req.op)
                .expect("one destination per queued datagram");
            let (_, out) = sock.dgram_dest.remove(at).expect("found");
            let mut data = Vec::with_capacity(req.total as usize);
            let sent = match gather(k.mem(), &req.bufs, 0, req.total as usize, &mut data) {
                Err(_) => Err(WsaError::WSAEFAULT),
                Ok(()) => self.transmit_datagram(k, ctx, out, data, req.op),
            };
            let status = match sent {
                // SO_SNDBUF = 0: completes at `TxDone`.
                Ok(queued) if sndbuf0 && queued > 0 => continue,
                Ok(_) => NtStatus::SUCCESS,
                Err(e) => NtStatus::from_wsa(e),
            };
            if k.op(req.op).is_some_and(|o| o.is_pending()) {
                let bytes = if status.is_success() { req.total } else { 0 };
                k.complete_op(req.op, status, bytes, 0, 0);
                if req.op == watch {
                    watched = Some(status);
                }
            }
        }
    }

    /// Datagram bytes of `ctx` left the wire: room in its send buffer; with
    /// `SO_SNDBUF = 0` the datagram's send completes now.
    pub(crate) fn on_tx_done(&mut self, k: &mut Kernel, ctx: u64, bytes: u64, op: u64) {
        let Some(s) = self.sockets.get_mut(&ctx) else {
            return;
        };
        s.dgram_tx = s.dgram_tx.saturating_sub(bytes);
        let waiting = s.unacked.iter().position(|r| r.1 == op && op != 0);
        let done = waiting.and_then(|i| s.unacked.remove(i));
        if let Some((_, op, n)) = done {
            if op != 0 && k.op(op).is_some_and(|o| o.is_pending()) {
                k.complete_op(op, NtStatus::SUCCESS, n, 0, 0);
            }
        }
        self.dgram_pump(k, ctx);
    }

    /// An ICMP error came back to `to`.
    pub(crate) fn on_icmp(&mut self, k: &mut Kernel, to: u64, what: Icmp) {
        let Some(s) = self.sockets.get_mut(&to) else {
            return;
        };
        match what {
            Icmp::PortUnreachable => s.icmp_unreachable = true,
            Icmp::TimeExceeded => s.faults.ttl_expired = true,
        }
        let _ = k;
    }

    /// Puts one datagram on the network. Returns the bytes that stay in the socket's
    /// datagram send buffer until they are off the wire (0 when they left at once).
    /// `op` is the send waiting for that (`SO_SNDBUF = 0`), if any.
    fn transmit_datagram(
        &mut self,
        k: &mut Kernel,
        ctx: u64,
        out: DgramOut,
        bytes: Vec<u8>,
        op: u64,
    ) -> Result<u64, WsaError> {
        let s = self.sock(ctx);
        let (host, handle, ttl) = (s.host, s.handle, s.opts.ttl);
        let raw = s.kind == Kind::Raw;
        let proto = raw.then_some(s.proto);
        let local = s.local.expect("bound before sending");
        let dest = out.dest;
        let wire_ip = dest.ip.unmapped();
        let v6 = matches!(wire_ip, IpAddr::V6(_));
        // The source address: the one control data chose, else the bound address, else
        // the one the route picks (getsockname still reports the wildcard, E12).
        let src_ip = out
            .src
            .or_else(|| (!local.ip.is_unspecified()).then(|| local.ip.unmapped()))
            .or_else(|| self.net.source_for(host, &wire_ip))
            .unwrap_or_else(|| IpAddr::unspecified(wire_ip.family()));
        let from = SockAddr::new(src_ip, if raw { 0 } else { local.port });
        let wire_to = SockAddr::new(wire_ip, if raw { 0 } else { dest.port });
        let n = bytes.len() as u64;
        let l4 = if raw { 0 } else { UDP_HEADER };
        k.trace(Record::Net {
            what: "datagram",
            from: handle,
            to: 0,
            bytes: n,
        });
        let now = k.now();
        if wire_ip.is_multicast() {
            // No group memberships are modelled: a multicast datagram reaches nobody
            // (wine-facts E29 verifies only that the send succeeds).
            k.trace(Record::Net {
                what: "drop",
                from: ctx,
                to: 0,
                bytes: n,
            });
            return Ok(0);
        }
        if self.net.is_broadcast_for(host, &wire_ip) {
            // Broadcasts are not routed: every host on the subnet, this one included.
            for h in self.net.broadcast_hosts(host, &wire_ip) {
                let (_, wire) = fragments(v6, n + l4, self.net.link_opts(host, h).mtu);
                let d = Delivery::Datagram {
                    from,
                    to: wire_to,
                    src_host: host,
                    dst_host: h,
                    bytes: bytes.clone(),
                    sender: ctx,
                    proto,
                    bcast: true,
                };
                self.send_on_wire(k, host, h, wire, d);
            }
            return Ok(0);
        }
        let (legs, dst_host) = match self.net.route(host, &wire_ip) {
            Ok(r) => (r.legs, Some(r.dst)),
            Err(RouteError::Dropped { legs }) => (legs, None),
            Err(RouteError::NoRoute) => return Err(WsaError::WSAENETUNREACH),
        };
        // Each router on the way decrements the TTL; where it reaches zero the datagram
        // is dropped and an ICMP time exceeded goes back to the sender.
        if legs.len() > ttl as usize {
            let crossed = &legs[..ttl as usize];
            let one_way = crossed
                .iter()
                .fold(Duration::ZERO, |acc, l: &Leg| acc + l.link.latency);
            k.trace(Record::Net {
                what: "ttl_expired",
                from: handle,
                to: u64::from(crossed.last().map_or(host, |l| l.to).0),
                bytes: n,
            });
            self.schedule(
                now + one_way + one_way,
                Delivery::Icmp {
                    to: ctx,
                    what: Icmp::TimeExceeded,
                },
            );
            return Ok(0);
        }
        let Some(dst_host) = dst_host else {
            // A router with no route, or an on-link address nobody owns: the datagram
            // is lost on the way (the ICMP that may come back is ignored for UDP,
            // wine-facts R15).
            k.trace(Record::Net {
                what: "unroutable",
                from: handle,
                to: 0,
                bytes: n,
            });
            return Ok(0);
        };
        let mtu = legs.iter().map(|l| l.opts.mtu).min().unwrap_or(u32::MAX);
        let (frags, wire) = fragments(v6, n + l4, mtu);
        // Loss rules: each fragment crossing a lossy link is lost with the link's
        // ratio, drawn from the run's generator; a datagram missing a fragment is never
        // reassembled.
        let mut lost = false;
        'draw: for leg in &legs {
            let r = leg.opts.loss;
            if r.num == 0 || r.den == 0 {
                continue;
            }
            for _ in 0..frags {
                if k.choices.rng().ratio(r.num, r.den) {
                    lost = true;
                    break 'draw;
                }
            }
        }
        let Some((leave, arrive)) = self.net.transmit(now, host, dst_host, wire) else {
            return Err(WsaError::WSAENETUNREACH);
        };
        if lost {
            k.trace(Record::Net {
                what: "lost",
                from: handle,
                to: 0,
                bytes: n,
            });
        } else {
            let d = Delivery::Datagram {
                from,
                to: wire_to,
                src_host: host,
                dst_host,
                bytes,
                sender: ctx,
                proto,
                bcast: false,
            };
            if arrive == now && self.deliveries.is_empty() {
                self.process(k, d);
            } else {
                self.schedule(arrive, d);
            }
        }
        if leave > now {
            let s = self.sock_mut(ctx);
            s.dgram_tx += n;
            if s.opts.sndbuf == 0 && op != 0 {
                // (`unacked` holds, for a datagram socket, the sends that complete when
                // their datagram is off the wire.)
                s.unacked.push_back((0, op, n as u32));
            }
            self.schedule(leave, Delivery::TxDone { ctx, bytes: n, op });
            return Ok(n);
        }
        Ok(0)
    }

    /// Every socket on `a.dst_host` that takes the datagram: for unicast the best match
    /// (the exact address, then the wildcard); for a broadcast every socket bound to the
    /// port; for raw, every raw socket of the protocol. A dual-stack `AF_INET6` socket
    /// (`IPV6_V6ONLY` off) takes IPv4 datagrams too.
    fn dgram_receivers(&self, a: &Arrival) -> Vec<u64> {
        let mut exact = Vec::new();
        let mut wildcard = Vec::new();
        let v4 = matches!(a.to.ip, IpAddr::V4(_));
        for (&ctx, s) in &self.sockets {
            if s.host != a.dst_host || s.closed() {
                continue;
            }
            match a.proto {
                None if s.kind != Kind::Dgram => continue,
                Some(p) if s.kind != Kind::Raw || s.proto != p => continue,
                _ => {}
            }
            let family_ok = s.af == a.to.ip.family() || (v4 && s.af == AF_INET6 && !s.opts.v6only);
            if !family_ok {
                continue;
            }
            let Some(local) = s.local else {
                continue;
            };
            if a.proto.is_none() && local.port != a.to.port {
                continue;
            }
            let lip = local.ip.unmapped();
            if lip == a.to.ip || (a.to.ip.is_loopback() && lip.is_loopback()) {
                exact.push(ctx);
            } else if local.ip.is_unspecified()
                || (a.bcast && lip.family() == a.to.ip.family() && !lip.is_loopback())
            {
                wildcard.push(ctx);
            }
        }
        if a.bcast || a.proto.is_some() {
            exact.extend(wildcard);
            exact.sort_unstable();
            return exact;
        }
        exact.into_iter().chain(wildcard).take(1).collect()
    }

    pub(crate) fn on_datagram(&mut self, k: &mut Kernel, a: Arrival, bytes: Vec<u8>) {
        if self.net.host(a.dst_host).down {
            return;
        }
        let receivers = self.dgram_receivers(&a);
        if receivers.is_empty() {
            if a.bcast || a.proto.is_some() {
                return;
            }
            // ICMP port unreachable back to the sender (wine-facts E25: sends ignore it).
            k.trace(Record::Net {
                what: "icmp_port_unreachable",
                from: 0,
                to: a.sender,
                bytes: 0,
            });
            self.send_on_wire(
                k,
                a.dst_host,
                a.src_host,
                0,
                Delivery::Icmp {
                    to: a.sender,
                    what: Icmp::PortUnreachable,
                },
            );
            return;
        }
        let if_index = self.net.if_index(a.dst_host, &a.to.ip);
        for rctx in receivers {
            let r = self.sock_mut(rctx);
            // A dual-stack socket sees an IPv4 source as an IPv4-mapped address.
            let from = if r.af == AF_INET6 {
                SockAddr::new(a.from.ip.to_v6_mapped(), a.from.port)
            } else {
                a.from
            };
            if r.sd_recv && r.recv_q.is_empty()
                || r.dgram_bytes + bytes.len() > r.opts.rcvbuf.max(1) as usize
                    && !r.dgrams.is_empty()
            {
                k.trace(Record::Net {
                    what: "drop",
                    from: a.sender,
                    to: rctx,
                    bytes: bytes.len() as u64,
                });
                continue;
            }
            r.dgram_bytes += bytes.len();
            r.dgrams.push_back(Dgram {
                from,
                to: a.to.ip,
                if_index,
                bcast: a.bcast,
                bytes: bytes.clone(),
            });
            self.serve_dgram_recvs(k, rctx);
        }
    }

    /// Writes datagram `d` into a receive's buffers, and its address, control data and
    /// flags where `meta` says. Returns the status (`STATUS_BUFFER_OVERFLOW` when the
    /// data or the control data was truncated: "WSAEMSGSIZE", wine-facts O12, C2), the
    /// bytes delivered, and the `WSAMSG.dwFlags` written.
    fn take_dgram(
        &mut self,
        k: &mut Kernel,
        ctx: u64,
        bufs: &[WsaBuf],
        meta: &RecvMeta,
        d: &Dgram,
    ) -> (NtStatus, u32, u32) {
        let mem = k.mem_mut();
        let n = match scatter(mem, bufs, &d.bytes) {
            Ok(n) => n,
            Err(_) => return (NtStatus::ACCESS_VIOLATION, 0, 0),
        };
        let truncated = n < d.bytes.len();
        if !meta.from.is_null() {
            let (raw, len) = d.from.to_bytes();
            if mem.write(meta.from, &raw[..len]).is_err()
                || mem.write_u32(meta.fromlen, len as u32).is_err()
            {
                return (NtStatus::ACCESS_VIOLATION, n as u32, 0);
            }
        }
        let opts = self.sock(ctx).opts;
        let mut ctrunc = false;
        if !meta.control_len.is_null() {
            // "The transport, not the application, fills out the header information in
            // the WSACMSGHDR" (SDK wsamsg). IP_PKTINFO gives the datagram's destination
            // address and interface (SDK in_pktinfo); a dual-stack socket needs
            // IP_PKTINFO for IPv4 datagrams (W32 ipv6-pktinfo).
            let mut objects: SmallVec<[ControlObject; 2]> = SmallVec::new();
            match d.to {
                IpAddr::V4(a) if opts.pktinfo => objects.push((
                    IPPROTO_IP,
                    IP_PKTINFO,
                    SmallVec::from_slice(&msg::in_pktinfo(a, d.if_index)),
                )),
                IpAddr::V6(a) if opts.pktinfo6 => objects.push((
                    IPPROTO_IPV6,
                    IPV6_PKTINFO,
                    SmallVec::from_slice(&msg::in6_pktinfo(a, d.if_index)),
                )),
                _ => {}
            }
            let mut used = 0u64;
            for (level, ty, data) in &objects {
                let space = msg::wsa_cmsg_space(data.len() as u64);
                if used + space > u64::from(meta.control_cap) {
                    ctrunc = true;
                    continue;
                }
                let hdr = CmsgHdr {
                    len: msg::wsa_cmsg_len(data.len() as u64),
                    level: *level,
                    ty: *ty,
                };
                let mut obj = hdr.to_bytes().to_vec();
                obj.extend_from_slice(data);
                obj.resize(space as usize, 0);
                if mem.write(Ptr(meta.control.0 + used), &obj).is_err() {
                    return (NtStatus::ACCESS_VIOLATION, n as u32, 0);
                }
                used += space;
            }
            let _ = mem.write_u32(meta.control_len, used as u32);
        }
        let mut flags = 0;
        if truncated {
            flags |= MSG_TRUNC;
        }
        if ctrunc {
            flags |= MSG_CTRUNC;
        }
        if d.bcast {
            flags |= if d.to.is_multicast() {
                MSG_MCAST
            } else {
                MSG_BCAST
            };
        }
        if !meta.msg_flags.is_null() {
            // "On output, the dwFlags member ... MSG_BCAST, MSG_MCAST, MSG_TRUNC,
            // MSG_CTRUNC" (SDK wsamsg; test_ip_pktinfo reads exactly MSG_CTRUNC).
            let _ = mem.write_u32(meta.msg_flags, flags);
        }
        let status = if truncated || ctrunc {
            NtStatus::BUFFER_OVERFLOW
        } else {
            NtStatus::SUCCESS
        };
        (status, n as u32, flags)
    }

    /// Completes pending receives, one datagram each.
    fn serve_dgram_recvs(&mut self, k: &mut Kernel, ctx: u64) {
        while !self.sock(ctx).recv_q.is_empty() && !self.sock(ctx).dgrams.is_empty() {
            let sock = self.sock_mut(ctx);
            let req = sock.recv_q.pop_front().expect("checked");
            let d = sock.dgrams.pop_front().expect("checked");
            sock.dgram_bytes -= d.bytes.len();
            let meta = match sock.dgram_meta.iter().position(|(o, _)| *o == req.op) {
                Some(i) => sock.dgram_meta.remove(i).expect("found").1,
                None => RecvMeta::default(),
            };
            // A datagram larger than the buffers is truncated: the rest is lost and the
            // receive reports WSAEMSGSIZE (STATUS_BUFFER_OVERFLOW, wine-facts O12).
            let (status, n, _) = self.take_dgram(k, ctx, &req.bufs, &meta, &d);
            if k.op(req.op).is_some_and(|o| o.is_pending()) {
                k.complete_op(req.op, status, n, 0, 0);
            }
        }
    }

    /// `WSPRecv` / `WSPRecvFrom` on a datagram or raw socket. A truncated datagram
    /// taken at once by a non-overlapped call of `WSARecvMsg` (`meta.msg_flags` given)
    /// is `Ok` with `MSG_TRUNC`/`MSG_CTRUNC` in the flags: the switch then writes the
    /// count and fails with `WSAEMSGSIZE` (wine-facts W10).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn dgram_recv(
        &mut self,
        k: &mut Kernel,
        s: SocketRef,
        bufs: &[WsaBuf],
        flags: u32,
        meta: RecvMeta,
        ov: Ptr,
        routine: Ptr,
        t: ThreadId,
    ) -> Result<(u32, u32), WsaError> {
        let ctx = s.context;
        self.check_net(ctx)?;
        if flags & (MSG_OOB | MSG_PARTIAL) != 0 {
            return Err(WsaError::WSAEOPNOTSUPP);
        }
        let sock = self.sock(ctx);
        if sock.sd_recv {
            return Err(WsaError::WSAESHUTDOWN);
        }
        // wine-facts W18: a receive on an unbound UDP socket is WSAEINVAL.
        if sock.local.is_none() {
            return Err(WsaError::WSAEINVAL);
        }
        // recvfrom: WSAEFAULT "the fromlen parameter is too small to accommodate the
        // source address of the peer address" (wine-facts W19: fromlen 1 fails).
        if !meta.from.is_null() {
            let need = if sock.af == AF_INET6 { 28 } else { 16 };
            match k.mem().read_u32(meta.fromlen) {
                Ok(have) if have as i32 >= need => {}
                _ => return Err(WsaError::WSAEFAULT),
            }
        }
        // Windows reports an earlier ICMP port unreachable on the next receive.
        if sock.icmp_unreachable {
            self.sock_mut(ctx).icmp_unreachable = false;
            return Err(WsaError::WSAECONNRESET);
        }
        let peek = flags & MSG_PEEK != 0;
        if sock.recv_q.is_empty() && !sock.dgrams.is_empty() {
            let d = sock.dgrams.front().expect("checked").clone();
            let (status, n, out_flags) = self.take_dgram(k, ctx, bufs, &meta, &d);
            if status == NtStatus::ACCESS_VIOLATION {
                return Err(WsaError::WSAEFAULT);
            }
            if !peek || !ov.is_null() {
                let sock = self.sock_mut(ctx);
                sock.dgrams.pop_front();
                sock.dgram_bytes -= d.bytes.len();
            }
            if ov.is_null() {
                return match status {
                    NtStatus::SUCCESS => Ok((n, 0)),
                    _ if !meta.msg_flags.is_null() => Ok((n, out_flags)),
                    _ => Err(WsaError::WSAEMSGSIZE),
                };
            }
            // An overlapped receive that completes at once still signals its event or
            // queues its routine (wine-facts O15, C3); a truncated one carries a warning
            // status, delivered on the asynchronous path (wine-facts C4, W8).
            let op = k.begin_op(s.handle, t, ov, routine, "recv", 0)?;
            k.complete_op(op, status, n, 0, 0);
            return if status.is_success() {
                Ok((n, 0))
            } else {
                Err(WsaError::WSA_IO_PENDING)
            };
        }
        if ov.is_null() && sock.nonblocking {
            return Err(WsaError::WSAEWOULDBLOCK);
        }
        let op = k.begin_op(s.handle, t, ov, routine, "recv", 0)?;
        let sock = self.sock_mut(ctx);
        sock.recv_q.push_back(RecvReq {
            op,
            bufs: SmallVec::from_slice(bufs),
            peek: false,
        });
        if meta != RecvMeta::default() {
            sock.dgram_meta.push_back((op, meta));
        }
        self.serve_dgram_recvs(k, ctx);
        if k.op(op).is_some_and(|o| o.is_pending()) {
            k.trace_op(op, s.handle, OpEvent::Pending, 0);
            return Err(WsaError::WSA_IO_PENDING);
        }
        if ov.is_null() {
            k.thread_mut(t).blocking_op = None;
            if let Some(crate::overlapped::OpState::Completed {
                status,
                bytes,
                flags,
                ..
            }) = k.take_op(op)
            {
                return if status.is_success() {
                    Ok((bytes, flags))
                } else {
                    Err(status.to_wsa_exact())
                };
            }
            return Ok((0, 0));
        }
        Ok((0, 0))
    }
}

#[cfg(test)]
mod tests {
    use super::fragments;

    #[test]
    fn fragment_counts_follow_the_mtu() {
        // 1472 bytes of UDP payload + 8 + 20 = 1500: one packet.
        assert_eq!(fragments(false, 1480, 1500), (1, 1500));
        // One byte more: two fragments of at most 1480 data bytes each.
        assert_eq!(fragments(false, 1481, 1500), (2, 1481 + 40));
        // 65507 + 8 bytes over 576: 552-byte fragments.
        assert_eq!(fragments(false, 65_515, 576).0, 65_515u64.div_ceil(552));
        assert_eq!(fragments(true, 1452 + 8, 1500), (1, 1500));
        assert_eq!(fragments(true, 1461, 1500).0, 2);
    }
}
