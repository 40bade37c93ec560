//! The base TCP/IP provider: stream and datagram sockets over the simulated network.
//!
//! - `socket.rs`: one socket's record and its state enum;
//! - `stream.rs`: the TCP state machine, send and receive buffers, flow control;
//! - `datagram.rs`: UDP;
//! - `options.rs`: socket options and `ioctlsocket` commands.

mod bytebuf;
mod datagram;
mod options;
mod socket;
mod stream;

pub use bytebuf::ByteBuf;
pub use socket::{Kind, State};

use crate::consts::*;
use crate::error::WsaError;
use crate::kernel::Kernel;
use crate::memory::{Ptr, WsaBuf};
use crate::net::{HostId, IpAddr, Network, SockAddr};
use crate::provider::{OptValue, Provider, ProviderFault, SocketRef};
use crate::seqmap::SlotMap;
use crate::status::NtStatus;
use crate::thread::ThreadId;
use crate::time::Instant;
use crate::trace::Record;
use socket::Sock;
use std::collections::BTreeMap;

/// Something travelling on the network, to be processed when it arrives.
#[derive(Debug, Clone)]
pub(crate) enum Delivery {
    /// A connection request from socket `from` to `to`.
    Syn {
        from: u64,
        to: SockAddr,
        src_host: HostId,
        dst_host: HostId,
    },
    /// The listener accepted: `to` (the connector) is now connected to `child`.
    SynAck { to: u64, child: u64 },
    /// The connection was refused (no listener, or a full backlog).
    Refused { to: u64 },
    /// Stream bytes for `to`; `urgent` marks the last byte as out-of-band data.
    Data {
        to: u64,
        bytes: Vec<u8>,
        urgent: bool,
    },
    /// The sender finished sending.
    Fin { to: u64 },
    /// The sender reset the connection (`in_reply` when the reset answers data sent to a
    /// closed socket).
    Rst { to: u64, in_reply: bool },
    /// A datagram (UDP, or raw with `proto`), to one host; `bcast` when it was sent to
    /// a broadcast or multicast address.
    Datagram {
        from: SockAddr,
        to: SockAddr,
        src_host: HostId,
        dst_host: HostId,
        bytes: Vec<u8>,
        sender: u64,
        proto: Option<i32>,
        bcast: bool,
    },
    /// `bytes` datagram bytes of socket `ctx` have left the wire: its datagram send
    /// buffer has room again.
    TxDone { ctx: u64, bytes: u64, op: u64 },
    /// An ICMP error about an earlier datagram of socket `to` came back.
    Icmp { to: u64, what: datagram::Icmp },
    /// Resume deferred sends of socket `ctx` (documented profile: "pending where
    /// immediate was possible").
    Kick { ctx: u64 },
}

/// The base TCP/IP provider.
#[derive(Debug)]
pub struct BaseProvider {
    /// Sockets by context (contexts come from a counter: a [`SlotMap`], looked up many
    /// times per send).
    pub(crate) sockets: SlotMap<u64, Sock>,
    next_ctx: u64,
    pub(crate) net: Network,
    deliveries: BTreeMap<(Instant, u64), Delivery>,
    next_delivery: u64,
    /// A segment payload to reuse: a delivered segment's vector comes back here, so the
    /// next segment needs no allocation (`docs/performance.md`).
    pub(crate) spare: Vec<u8>,
}

impl Default for BaseProvider {
    fn default() -> BaseProvider {
        BaseProvider::new(Network::new())
    }
}

/// Largest segment payload buffer kept for reuse ([`BaseProvider::spare`]).
const SPARE_MAX: usize = 4096;

/// `sizeof` a TCP segment payload the model moves in one delivery.
pub(crate) const SEGMENT_MAX: usize = 64 * 1024;

impl BaseProvider {
    /// A provider over `net`.
    pub fn new(net: Network) -> BaseProvider {
        BaseProvider {
            sockets: SlotMap::new(),
            next_ctx: 1,
            net,
            deliveries: BTreeMap::new(),
            next_delivery: 0,
            spare: Vec::new(),
        }
    }

    #[inline]
    pub(crate) fn sock(&self, ctx: u64) -> &Sock {
        self.sockets
            .get(&ctx)
            .expect("socket contexts come from this provider")
    }

    #[inline]
    pub(crate) fn sock_mut(&mut self, ctx: u64) -> &mut Sock {
        self.sockets
            .get_mut(&ctx)
            .expect("socket contexts come from this provider")
    }

    pub(crate) fn new_sock(&mut self, sock: Sock) -> u64 {
        let ctx = self.next_ctx;
        self.next_ctx += 1;
        self.sockets.insert(ctx, sock);
        ctx
    }

    /// Moves socket `ctx` to `to`, tracing the transition.
    pub(crate) fn set_state(&mut self, k: &mut Kernel, ctx: u64, to: State) {
        let s = self.sock_mut(ctx);
        let from = s.state;
        if from == to {
            return;
        }
        s.state = to;
        let handle = if s.handle != 0 { s.handle } else { ctx };
        k.trace(Record::Socket {
            socket: handle,
            from: from.name(),
            to: to.name(),
        });
    }

    /// Schedules a delivery from host `src` to host `dst`; returns false if no path.
    /// Zero-latency, unlimited paths (loopback by default) deliver at once.
    pub(crate) fn send_on_wire(
        &mut self,
        k: &mut Kernel,
        src: HostId,
        dst: HostId,
        bytes: u64,
        d: Delivery,
    ) -> bool {
        let now = k.now();
        let Some(at) = self.net.arrival(now, src, dst, bytes) else {
            return false;
        };
        if at == now && self.deliveries.is_empty() {
            self.process(k, d);
        } else {
            let seq = self.next_delivery;
            self.next_delivery += 1;
            self.deliveries.insert((at, seq), d);
        }
        true
    }

    /// Schedules a delivery at `at` without a network path (timers, kicks).
    pub(crate) fn schedule(&mut self, at: Instant, d: Delivery) {
        let seq = self.next_delivery;
        self.next_delivery += 1;
        self.deliveries.insert((at, seq), d);
    }

    fn process(&mut self, k: &mut Kernel, d: Delivery) {
        match d {
            Delivery::Syn {
                from,
                to,
                src_host,
                dst_host,
            } => self.on_syn(k, from, to, src_host, dst_host),
            Delivery::SynAck { to, child } => self.on_synack(k, to, child),
            Delivery::Refused { to } => self.on_refused(k, to),
            Delivery::Data {
                to,
                mut bytes,
                urgent,
            } => {
                self.on_data(k, to, &bytes, urgent);
                // Small payloads are recycled (an allocation would cost more than the
                // copy); large ones are freed, as reusing one buffer for 64 KiB copies
                // measured slower (`docs/performance.md`).
                if bytes.capacity() <= SPARE_MAX {
                    bytes.clear();
                    self.spare = bytes;
                }
            }
            Delivery::Fin { to } => self.on_fin(k, to),
            Delivery::Rst { to, in_reply } => self.on_rst(k, to, in_reply),
            Delivery::Datagram {
                from,
                to,
                src_host,
                dst_host,
                bytes,
                sender,
                proto,
                bcast,
            } => self.on_datagram(
                k,
                datagram::Arrival {
                    from,
                    to,
                    src_host,
                    dst_host,
                    sender,
                    proto,
                    bcast,
                },
                bytes,
            ),
            Delivery::TxDone { ctx, bytes, op } => self.on_tx_done(k, ctx, bytes, op),
            Delivery::Icmp { to, what } => self.on_icmp(k, to, what),
            Delivery::Kick { ctx } => {
                if let Some(s) = self.sockets.get_mut(&ctx) {
                    for r in s.send_q.iter_mut() {
                        r.deferred = false;
                    }
                    if s.kind != Kind::Stream {
                        self.dgram_pump(k, ctx);
                    } else {
                        self.resume_split(k, ctx);
                        self.pump(k, ctx);
                    }
                }
            }
        }
    }

    /// Finds the socket bound to `(kind, addr)` on `host`: an exact address match first,
    /// then the wildcard.
    pub(crate) fn lookup_bound(
        &self,
        host: HostId,
        kind: Kind,
        addr: SockAddr,
        listening: bool,
    ) -> Option<u64> {
        let mut wildcard = None;
        for (&ctx, s) in &self.sockets {
            if s.host != host || s.kind != kind || s.closed() {
                continue;
            }
            if listening && s.state != State::Listening {
                continue;
            }
            let Some(local) = s.local else { continue };
            if local.port != addr.port || local.ip.family() != addr.ip.family() {
                continue;
            }
            if local.ip == addr.ip || (addr.ip.is_loopback() && local.ip.is_loopback()) {
                return Some(ctx);
            }
            if local.ip.is_unspecified() && wildcard.is_none() {
                wildcard = Some(ctx);
            }
        }
        wildcard
    }

    /// Binds `ctx` to `addr` (port 0: an ephemeral port).
    pub(crate) fn do_bind(
        &mut self,
        k: &mut Kernel,
        ctx: u64,
        addr: SockAddr,
    ) -> Result<(), WsaError> {
        let (host, kind, af) = {
            let s = self.sock(ctx);
            (s.host, s.kind, s.af)
        };
        if addr.ip.family() != af {
            return Err(WsaError::WSAEFAULT);
        }
        if !self.net.is_local(host, &addr.ip) {
            return Err(WsaError::WSAEADDRNOTAVAIL);
        }
        // A raw socket has no port: it binds an address only, and shares it.
        let port = if kind == Kind::Raw {
            0
        } else if addr.port == 0 {
            let sockets = &self.sockets;
            let in_use = |p: u16| {
                sockets.values().any(|s| {
                    s.host == host
                        && s.kind == kind
                        && !s.closed()
                        && s.local.is_some_and(|l| l.port == p && l.ip.family() == af)
                })
            };
            self.net
                .ephemeral_port(host, in_use)
                .ok_or(WsaError::WSAENOBUFS)?
        } else {
            let exact_clash = self.sockets.values().any(|s| {
                s.host == host
                    && s.kind == kind
                    && !s.closed()
                    && s.local.is_some_and(|l| {
                        l.port == addr.port
                            && (l.ip == addr.ip
                                || l.ip.is_unspecified()
                                || addr.ip.is_unspecified())
                            && l.ip.family() == af
                    })
            });
            if exact_clash {
                return Err(WsaError::WSAEADDRINUSE);
            }
            addr.port
        };
        self.sock_mut(ctx).local = Some(SockAddr::new(addr.ip, port));
        self.set_state(k, ctx, State::Bound);
        Ok(())
    }

    /// Binds an unbound socket to the wildcard address and an ephemeral port (the
    /// implicit bind of `connect`, `sendto`, ...).
    pub(crate) fn auto_bind(&mut self, k: &mut Kernel, ctx: u64) -> Result<(), WsaError> {
        if self.sock(ctx).local.is_some() {
            return Ok(());
        }
        let af = self.sock(ctx).af;
        self.do_bind(k, ctx, SockAddr::new(IpAddr::unspecified(af), 0))
    }

    /// Fails with `WSAENETDOWN` if the socket's host network is down.
    pub(crate) fn check_net(&self, ctx: u64) -> Result<(), WsaError> {
        if self.net.host(self.sock(ctx).host).down {
            Err(WsaError::WSAENETDOWN)
        } else {
            Ok(())
        }
    }

    /// Completes every pending operation of `ctx` that matches `which` with `error`.
    pub(crate) fn fail_pending(
        &mut self,
        k: &mut Kernel,
        ctx: u64,
        sends: Option<WsaError>,
        recvs: Option<WsaError>,
    ) {
        let s = self.sock_mut(ctx);
        let mut send_ops: Vec<u64> = Vec::new();
        if sends.is_some() {
            send_ops.extend(s.send_q.drain(..).map(|r| r.op));
            send_ops.extend(s.unacked.drain(..).map(|(_, op, _)| op));
        }
        let recv_ops: Vec<u64> = if recvs.is_some() {
            s.recv_q.drain(..).map(|r| r.op).collect()
        } else {
            Vec::new()
        };
        let mut others = Vec::new();
        if let Some(e) = recvs {
            others.extend(s.accept_ops.drain(..).map(|op| (op, e)));
            if let Some(op) = s.connect_op.take() {
                others.push((op, e));
            }
        }
        for op in send_ops {
            if k.op(op).is_some_and(|o| o.is_pending()) {
                k.complete_op(
                    op,
                    NtStatus::from_wsa(sends.unwrap_or(WsaError::WSAECONNRESET)),
                    0,
                    0,
                    0,
                );
            }
        }
        for op in recv_ops {
            if k.op(op).is_some_and(|o| o.is_pending()) {
                k.complete_op(
                    op,
                    NtStatus::from_wsa(recvs.unwrap_or(WsaError::WSAECONNRESET)),
                    0,
                    0,
                    0,
                );
            }
        }
        for (op, e) in others {
            if k.op(op).is_some_and(|o| o.is_pending()) {
                k.complete_op(op, NtStatus::from_wsa(e), 0, 0, 0);
            }
        }
    }

    /// Forgets sockets whose handle is closed and that have nothing left to do.
    pub(crate) fn reap(&mut self, ctx: u64) {
        if self
            .sockets
            .get(&ctx)
            .is_some_and(|s| s.orphan && s.drained())
        {
            self.sockets.remove(&ctx);
        }
    }

    /// The network this provider runs on.
    pub fn network(&self) -> &Network {
        &self.net
    }
}

impl Provider for BaseProvider {
    fn name(&self) -> &'static str {
        "MSAFD Tcpip (simulated)"
    }

    fn supports(&self, af: i32, ty: i32, protocol: i32) -> bool {
        // SOCK_RAW carries any IP protocol number (the model does not ask for the
        // administrator rights Windows wants).
        (af == AF_INET || af == AF_INET6)
            && (matches!(
                (ty, protocol),
                (SOCK_STREAM, 0 | IPPROTO_TCP) | (SOCK_DGRAM, 0 | IPPROTO_UDP)
            ) || (ty == SOCK_RAW && (0..=255).contains(&protocol)))
    }

    fn socket(
        &mut self,
        k: &mut Kernel,
        me: usize,
        host: HostId,
        af: i32,
        ty: i32,
        protocol: i32,
        overlapped: bool,
    ) -> Result<SOCKET, WsaError> {
        let kind = match ty {
            SOCK_STREAM => Kind::Stream,
            SOCK_DGRAM => Kind::Dgram,
            SOCK_RAW => Kind::Raw,
            _ => return Err(WsaError::WSAESOCKTNOSUPPORT),
        };
        let proto = if protocol == 0 && kind != Kind::Raw {
            if kind == Kind::Stream {
                IPPROTO_TCP
            } else {
                IPPROTO_UDP
            }
        } else {
            protocol
        };
        if host.0 as usize >= self.net.hosts().count() {
            return Err(WsaError::WSAENETDOWN);
        }
        if self.net.host(host).down {
            return Err(WsaError::WSAENETDOWN);
        }
        let mut sock = Sock::new(host, kind, af, proto);
        // wine-facts P16: IP_DONTFRAGMENT is on for TCP, off for UDP and raw.
        sock.opts.dontfragment = kind == Kind::Stream;
        let ctx = self.new_sock(sock);
        let Some(handle) = k.create_socket_handle(me, ctx, overlapped) else {
            self.sockets.remove(&ctx);
            return Err(WsaError::WSAEMFILE);
        };
        self.sock_mut(ctx).handle = handle;
        k.trace(Record::Socket {
            socket: handle,
            from: "none",
            to: State::Created.name(),
        });
        Ok(handle)
    }

    fn bind(&mut self, k: &mut Kernel, s: SocketRef, addr: SockAddr) -> Result<(), WsaError> {
        self.check_net(s.context)?;
        if self.sock(s.context).local.is_some() {
            return Err(WsaError::WSAEINVAL);
        }
        self.do_bind(k, s.context, addr)
    }

    fn listen(&mut self, k: &mut Kernel, s: SocketRef, backlog: i32) -> Result<(), WsaError> {
        self.stream_listen(k, s.context, backlog)
    }

    fn accept(
        &mut self,
        k: &mut Kernel,
        s: SocketRef,
        t: ThreadId,
    ) -> Result<(SOCKET, SockAddr), WsaError> {
        self.stream_accept(k, s, t)
    }

    fn connect(
        &mut self,
        k: &mut Kernel,
        s: SocketRef,
        t: ThreadId,
        addr: SockAddr,
    ) -> Result<(), WsaError> {
        match self.sock(s.context).kind {
            Kind::Stream => self.stream_connect(k, s, t, addr),
            Kind::Dgram | Kind::Raw => self.dgram_connect(k, s.context, addr),
        }
    }

    fn send(
        &mut self,
        k: &mut Kernel,
        s: SocketRef,
        bufs: &[WsaBuf],
        flags: u32,
        ov: Ptr,
        routine: Ptr,
        thread: ThreadId,
    ) -> Result<u32, WsaError> {
        match self.sock(s.context).kind {
            Kind::Stream => self.stream_send(k, s, bufs, flags, ov, routine, thread),
            Kind::Dgram | Kind::Raw => {
                self.dgram_send(k, s, bufs, flags, ov, routine, thread, None, None)
            }
        }
    }

    fn recv(
        &mut self,
        k: &mut Kernel,
        s: SocketRef,
        bufs: &[WsaBuf],
        flags: u32,
        ov: Ptr,
        routine: Ptr,
        thread: ThreadId,
    ) -> Result<(u32, u32), WsaError> {
        match self.sock(s.context).kind {
            Kind::Stream => self.stream_recv(k, s, bufs, flags, ov, routine, thread),
            Kind::Dgram | Kind::Raw => {
                let meta = crate::provider::RecvMeta::default();
                self.dgram_recv(k, s, bufs, flags, meta, ov, routine, thread)
            }
        }
    }

    fn send_to(
        &mut self,
        k: &mut Kernel,
        s: SocketRef,
        bufs: &[WsaBuf],
        flags: u32,
        to: Option<SockAddr>,
        src: Option<IpAddr>,
        ov: Ptr,
        routine: Ptr,
        thread: ThreadId,
    ) -> Result<u32, WsaError> {
        match self.sock(s.context).kind {
            // sendto: "If the socket is connection-oriented, the to and tolen parameters
            // are ignored" (wine-facts E30).
            Kind::Stream => self.stream_send(k, s, bufs, flags, ov, routine, thread),
            Kind::Dgram | Kind::Raw => {
                self.dgram_send(k, s, bufs, flags, ov, routine, thread, to, src)
            }
        }
    }

    fn recv_from(
        &mut self,
        k: &mut Kernel,
        s: SocketRef,
        bufs: &[WsaBuf],
        flags: u32,
        meta: crate::provider::RecvMeta,
        ov: Ptr,
        routine: Ptr,
        thread: ThreadId,
    ) -> Result<(u32, u32), WsaError> {
        match self.sock(s.context).kind {
            Kind::Stream => self.stream_recv(k, s, bufs, flags, ov, routine, thread),
            Kind::Dgram | Kind::Raw => {
                self.dgram_recv(k, s, bufs, flags, meta, ov, routine, thread)
            }
        }
    }

    fn implicit_bind(&mut self, k: &mut Kernel, s: SocketRef) -> Result<(), WsaError> {
        self.check_net(s.context)?;
        self.auto_bind(k, s.context)
    }

    fn shutdown(&mut self, k: &mut Kernel, s: SocketRef, how: i32) -> Result<(), WsaError> {
        if !(SD_RECEIVE..=SD_BOTH).contains(&how) {
            return Err(WsaError::WSAEINVAL);
        }
        self.check_net(s.context)?;
        match self.sock(s.context).kind {
            Kind::Stream => self.stream_shutdown(k, s.context, how),
            Kind::Dgram | Kind::Raw => {
                let sock = self.sock_mut(s.context);
                if how != SD_RECEIVE {
                    sock.sd_send = true;
                }
                if how != SD_SEND {
                    sock.sd_recv = true;
                }
                Ok(())
            }
        }
    }

    fn close(&mut self, k: &mut Kernel, s: SocketRef, t: ThreadId) -> Result<(), WsaError> {
        self.stream_or_dgram_close(k, s, t)
    }

    fn get_option(
        &mut self,
        k: &mut Kernel,
        s: SocketRef,
        level: i32,
        name: i32,
    ) -> Result<OptValue, WsaError> {
        self.opt_get(k, s.context, level, name)
    }

    fn set_option(
        &mut self,
        k: &mut Kernel,
        s: SocketRef,
        level: i32,
        name: i32,
        value: OptValue,
    ) -> Result<(), WsaError> {
        self.opt_set(k, s.context, level, name, value)
    }

    fn ioctl(&mut self, k: &mut Kernel, s: SocketRef, cmd: u32, arg: u32) -> Result<u32, WsaError> {
        self.do_ioctl(k, s.context, cmd, arg)
    }

    fn sock_name(&self, _k: &Kernel, s: SocketRef) -> Result<SockAddr, WsaError> {
        // wine-facts E5: getsockname on an unbound socket fails with WSAEINVAL.
        self.sock(s.context).local.ok_or(WsaError::WSAEINVAL)
    }

    fn peer_name(&self, _k: &Kernel, s: SocketRef) -> Result<SockAddr, WsaError> {
        let sock = self.sock(s.context);
        match (sock.kind, sock.state) {
            (_, State::Connected) => sock.peer_addr.ok_or(WsaError::WSAENOTCONN),
            _ => Err(WsaError::WSAENOTCONN),
        }
    }

    fn is_nonblocking(&self, s: SocketRef) -> bool {
        self.sock(s.context).nonblocking
    }

    fn cancel_op(&mut self, k: &mut Kernel, s: SocketRef, op: u64, error: WsaError) {
        if let Some(sock) = self.sockets.get_mut(&s.context) {
            sock.send_q.retain(|r| r.op != op);
            sock.unacked.retain(|r| r.1 != op);
            sock.recv_q.retain(|r| r.op != op);
            sock.dgram_dest.retain(|r| r.0 != op);
            sock.dgram_meta.retain(|r| r.0 != op);
            sock.accept_ops.retain(|&o| o != op);
            if sock.connect_op == Some(op) {
                sock.connect_op = None;
            }
            if sock.linger_op == Some(op) {
                sock.linger_op = None;
                self.linger_expired(k, s.context);
            }
        }
        if k.op(op).is_some_and(|o| o.is_pending()) {
            k.complete_op(op, NtStatus::from_wsa(error), 0, 0, 0);
        }
    }

    fn poll_at(&self) -> Option<Instant> {
        self.deliveries.keys().next().map(|&(at, _)| at)
    }

    fn advance(&mut self, k: &mut Kernel) {
        let now = k.now();
        // Bounded: each delivery is processed once; processing may schedule more, later
        // or at `now`, which this loop then also takes.
        while let Some(entry) = self.deliveries.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let d = entry.remove();
            self.process(k, d);
        }
    }

    fn inject(&mut self, k: &mut Kernel, fault: ProviderFault) -> bool {
        self.apply_fault(k, fault)
    }

    fn network_mut(&mut self) -> Option<&mut Network> {
        Some(&mut self.net)
    }
}

impl BaseProvider {
    fn apply_fault(&mut self, k: &mut Kernel, fault: ProviderFault) -> bool {
        let known = |p: &Self, s: &SocketRef| p.sockets.contains_key(&s.context);
        match fault {
            ProviderFault::NetworkDown { host } | ProviderFault::NetworkUp { host } => {
                let down = matches!(fault, ProviderFault::NetworkDown { .. });
                if host as usize >= self.net.hosts().count() {
                    return false;
                }
                self.net.host_mut(HostId(host)).down = down;
                k.trace(Record::Fault {
                    what: if down { "network_down" } else { "network_up" },
                    target: u64::from(host),
                });
                if down {
                    // "The network subsystem has failed": operations in progress fail.
                    let ctxs: Vec<u64> = self
                        .sockets
                        .iter()
                        .filter(|(_, s)| s.host == HostId(host))
                        .map(|(&c, _)| c)
                        .collect();
                    for ctx in ctxs {
                        self.fail_pending(
                            k,
                            ctx,
                            Some(WsaError::WSAENETDOWN),
                            Some(WsaError::WSAENETDOWN),
                        );
                    }
                }
                true
            }
            ProviderFault::KeepAliveFailure(s) if known(self, &s) => {
                k.trace(Record::Fault {
                    what: "keepalive_failure",
                    target: s.handle,
                });
                // getsockopt (SO_KEEPALIVE): "operations that are in progress fail with
                // WSAENETRESET ... subsequent operations fail with WSAENOTCONN".
                self.fail_pending(
                    k,
                    s.context,
                    Some(WsaError::WSAENETRESET),
                    Some(WsaError::WSAENETRESET),
                );
                self.sock_mut(s.context).sndbuf.clear();
                self.set_state(k, s.context, State::KeepAliveFailed);
                true
            }
            ProviderFault::Abort(s) if known(self, &s) => {
                k.trace(Record::Fault {
                    what: "abort",
                    target: s.handle,
                });
                self.abort_connection(
                    k,
                    s.context,
                    WsaError::WSAECONNABORTED,
                    State::Aborted,
                    true,
                );
                true
            }
            ProviderFault::Reset(s) if known(self, &s) => {
                k.trace(Record::Fault {
                    what: "reset",
                    target: s.handle,
                });
                self.on_rst(k, s.context, false);
                if let Some(peer) = self.sock(s.context).peer {
                    if let Some(p) = self.sockets.get_mut(&peer) {
                        p.peer = None;
                    }
                }
                true
            }
            ProviderFault::BufferDeadlock(s, n) if known(self, &s) => {
                k.trace(Record::Fault {
                    what: "buffer_deadlock",
                    target: s.handle,
                });
                self.sock_mut(s.context).faults.nobufs += n;
                true
            }
            ProviderFault::TooManyOutstanding(s, n) if known(self, &s) => {
                k.trace(Record::Fault {
                    what: "too_many_outstanding",
                    target: s.handle,
                });
                self.sock_mut(s.context).faults.too_many += n;
                true
            }
            ProviderFault::TtlExpired(s) if known(self, &s) => {
                k.trace(Record::Fault {
                    what: "ttl_expired",
                    target: s.handle,
                });
                self.sock_mut(s.context).faults.ttl_expired = true;
                true
            }
            ProviderFault::PortUnreachable(s) if known(self, &s) => {
                k.trace(Record::Fault {
                    what: "port_unreachable",
                    target: s.handle,
                });
                self.sock_mut(s.context).icmp_unreachable = true;
                true
            }
            ProviderFault::StallReceiver(s, on) if known(self, &s) => {
                k.trace(Record::Fault {
                    what: if on {
                        "stall_receiver"
                    } else {
                        "resume_receiver"
                    },
                    target: s.handle,
                });
                self.sock_mut(s.context).faults.stalled = on;
                if !on {
                    if let Some(peer) = self.sock(s.context).peer {
                        self.pump(k, peer);
                    }
                }
                true
            }
            _ => false,
        }
    }
}
