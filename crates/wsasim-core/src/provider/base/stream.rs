//! TCP: connection set-up through the listener's backlog, send and receive buffers with
//! flow control, FIN, RST, out-of-band data, graceful and abortive close.
//!
//! Heads up: read the WSASend seed's Remarks and `wine-facts.md` §3, §4, §6, §8.
//!
//! How a send is consumed ("A completion indication will occur ... when the buffer(s)
//! have been consumed by the transport", WSASend Remarks):
//! - `SO_SNDBUF > 0`: a request is *admitted* whole into the send buffer while the
//!   buffer holds less than `SO_SNDBUF` bytes (so one request may overfill it: Windows
//!   "will never send less than buffer_size bytes", `wine-facts.md` E33/E34); admission
//!   reads the caller's buffers and completes the request. The buffer drains into the
//!   peer's receive window.
//! - `SO_SNDBUF = 0`: no buffering. The request's bytes go from the caller's buffers
//!   straight into the peer's receive window, read only as they go, and the request
//!   completes when the peer's receive buffer has taken its last byte.
//! - The receive window is `SO_RCVBUF` at connection time and never shrinks afterwards.

use super::socket::{Kind, RecvReq, SendReq, Sock, State};
use super::{BaseProvider, Delivery, SEGMENT_MAX};
use crate::choice::ChoiceKind;
use crate::config::Profile;
use crate::consts::*;
use crate::error::WsaError;
use crate::kernel::Kernel;
use crate::memory::{Ptr, UserMemory, WsaBuf};
use crate::net::{HostId, SockAddr};
use crate::provider::SocketRef;
use crate::status::NtStatus;
use crate::thread::ThreadId;
use crate::trace::{OpEvent, Record};
use smallvec::SmallVec;

/// Most connections a listener queues (`SOMAXCONN` is clamped to this).
pub(crate) const BACKLOG_MAX: usize = 200;

/// Total length of a `WSABUF` array, or `None` if it overflows a `DWORD`.
pub(crate) fn total_len(bufs: &[WsaBuf]) -> Option<u32> {
    bufs.iter().try_fold(0u32, |acc, b| acc.checked_add(b.len))
}

/// Reads `len` bytes starting `offset` bytes into the scatter/gather list, in order.
pub(crate) fn gather(
    mem: &dyn UserMemory,
    bufs: &[WsaBuf],
    offset: u64,
    len: usize,
    out: &mut Vec<u8>,
) -> Result<(), crate::memory::Fault> {
    let start = out.len();
    out.resize(start + len.min(capacity(bufs)), 0);
    let r = gather_into(mem, bufs, offset, &mut out[start..]);
    if r.is_err() {
        out.truncate(start);
    }
    r.map(|n| out.truncate(start + n))
}

/// Fills `out` with the bytes starting `offset` bytes into the scatter/gather list, in
/// order, up to its end; returns how many bytes there were.
pub(crate) fn gather_into(
    mem: &dyn UserMemory,
    bufs: &[WsaBuf],
    mut offset: u64,
    out: &mut [u8],
) -> Result<usize, crate::memory::Fault> {
    let mut done = 0;
    for b in bufs {
        if done == out.len() {
            break;
        }
        let blen = u64::from(b.len);
        if offset >= blen {
            offset -= blen;
            continue;
        }
        let n = ((blen - offset) as usize).min(out.len() - done);
        mem.read(Ptr(b.buf.0 + offset), &mut out[done..done + n])?;
        offset = 0;
        done += n;
    }
    Ok(done)
}

/// Writes `data` across the scatter/gather list, in order; returns the bytes written.
pub(crate) fn scatter(
    mem: &mut dyn UserMemory,
    bufs: &[WsaBuf],
    data: &[u8],
) -> Result<usize, crate::memory::Fault> {
    let mut done = 0;
    for b in bufs {
        if done == data.len() {
            break;
        }
        let n = (b.len as usize).min(data.len() - done);
        mem.write(b.buf, &data[done..done + n])?;
        done += n;
    }
    Ok(done)
}

/// The capacity of a scatter/gather list.
fn capacity(bufs: &[WsaBuf]) -> usize {
    bufs.iter().map(|b| b.len as usize).sum()
}

impl BaseProvider {
    /// Bytes the peer of `ctx` can take now.
    fn window(&self, ctx: u64) -> u64 {
        let s = self.sock(ctx);
        let Some(p) = s.peer else { return 0 };
        let Some(peer) = self.sockets.get(&p) else {
            // The peer was closed and forgotten: the sender does not know yet, and its
            // next segment goes out to draw the reset (`reset_for_forgotten`).
            return SEGMENT_MAX as u64;
        };
        if peer.faults.stalled {
            return 0;
        }
        let used = peer.rcv.len() as u64 + s.in_flight();
        u64::from(peer.rcv_window).saturating_sub(used)
    }

    // ----- set-up ----------------------------------------------------------------------

    pub(crate) fn stream_listen(
        &mut self,
        k: &mut Kernel,
        ctx: u64,
        backlog: i32,
    ) -> Result<(), WsaError> {
        self.check_net(ctx)?;
        let s = self.sock(ctx);
        if s.kind != Kind::Stream {
            return Err(WsaError::WSAEOPNOTSUPP);
        }
        match s.state {
            State::Bound | State::Listening => {}
            State::Created => return Err(WsaError::WSAEINVAL),
            _ => return Err(WsaError::WSAEISCONN),
        }
        let max = if backlog == SOMAXCONN {
            BACKLOG_MAX
        } else {
            backlog.clamp(1, BACKLOG_MAX as i32) as usize
        };
        self.sock_mut(ctx).backlog_max = max;
        self.set_state(k, ctx, State::Listening);
        Ok(())
    }

    pub(crate) fn stream_connect(
        &mut self,
        k: &mut Kernel,
        s: SocketRef,
        t: ThreadId,
        addr: SockAddr,
    ) -> Result<(), WsaError> {
        let ctx = s.context;
        self.check_net(ctx)?;
        let sock = self.sock(ctx);
        match sock.state {
            State::Connecting => return Err(WsaError::WSAEALREADY),
            State::Connected | State::Reset | State::Aborted | State::KeepAliveFailed => {
                return Err(WsaError::WSAEISCONN)
            }
            State::Listening => return Err(WsaError::WSAEINVAL),
            State::Created | State::Bound | State::Closed => {}
        }
        if sock.sd_send || sock.sd_recv {
            // wine-facts R10: after shutdown, connect is WSAEISCONN.
            return Err(WsaError::WSAEISCONN);
        }
        if addr.ip.family() != sock.af {
            return Err(WsaError::WSAEAFNOSUPPORT);
        }
        if addr.ip.is_unspecified() || addr.port == 0 {
            return Err(WsaError::WSAEADDRNOTAVAIL);
        }
        let src_host = sock.host;
        let Some(dst_host) = self.net.host_of(src_host, &addr.ip) else {
            return Err(WsaError::WSAENETUNREACH);
        };
        if self.net.path(src_host, dst_host).is_none() {
            return Err(WsaError::WSAENETUNREACH);
        }
        self.auto_bind(k, ctx)?;
        // getsockname: the host address is unknown for a socket bound to the wildcard
        // "unless the socket has been connected with connect"; the connection uses the
        // address that reaches the peer (the loopback address for a loopback peer).
        if self.sock(ctx).local.is_some_and(|l| l.ip.is_unspecified()) {
            let ip = if addr.ip.is_loopback() {
                Some(addr.ip)
            } else {
                let af = self.sock(ctx).af;
                self.net
                    .host(src_host)
                    .addrs
                    .iter()
                    .copied()
                    .find(|a| a.family() == af)
            };
            if let (Some(ip), Some(local)) = (ip, self.sock(ctx).local) {
                self.sock_mut(ctx).local = Some(SockAddr::new(ip, local.port));
            }
        }
        let nonblocking = self.sock(ctx).nonblocking;
        self.sock_mut(ctx).peer_addr = Some(addr);
        self.set_state(k, ctx, State::Connecting);
        let op = if nonblocking {
            None
        } else {
            Some(k.begin_op(s.handle, t, Ptr::NULL, Ptr::NULL, "connect", 0)?)
        };
        self.sock_mut(ctx).connect_op = op;
        self.send_on_wire(
            k,
            src_host,
            dst_host,
            0,
            Delivery::Syn {
                from: ctx,
                to: addr,
                src_host,
                dst_host,
            },
        );
        k.trace(Record::Net {
            what: "syn",
            from: s.handle,
            to: 0,
            bytes: 0,
        });
        match (op, self.sock(ctx).state) {
            (None, State::Connected) | (None, State::Connecting) => Err(WsaError::WSAEWOULDBLOCK),
            (None, _) => Err(WsaError::WSAEWOULDBLOCK),
            (Some(op), _) => match k.take_op(op) {
                Some(crate::overlapped::OpState::Completed { status, .. }) => {
                    k.thread_mut(t).blocking_op = None;
                    if status.is_success() {
                        Ok(())
                    } else {
                        Err(status.to_wsa_exact())
                    }
                }
                _ => Err(WsaError::WSA_IO_PENDING),
            },
        }
    }

    pub(crate) fn on_syn(
        &mut self,
        k: &mut Kernel,
        from: u64,
        to: SockAddr,
        src_host: HostId,
        dst_host: HostId,
    ) {
        let listener = self.lookup_bound(dst_host, Kind::Stream, to, true);
        let Some(lctx) = listener.filter(|&l| {
            let ls = self.sock(l);
            ls.backlog.len() < ls.backlog_max && !self.net.host(dst_host).down
        }) else {
            // No listener, or a full backlog: the connection is refused.
            self.send_on_wire(k, dst_host, src_host, 0, Delivery::Refused { to: from });
            return;
        };
        let Some(client) = self.sockets.get(&from) else {
            return;
        };
        let client_addr = client.local.expect("a connecting socket is bound");
        let client_addr = if client_addr.ip.is_unspecified() {
            SockAddr::new(to.ip, client_addr.port)
        } else {
            client_addr
        };
        let l = self.sock(lctx);
        // wine-facts P14: an accepted socket inherits the listener's options.
        let mut child = Sock::new(dst_host, Kind::Stream, l.af, l.proto);
        child.opts = l.opts;
        child.opts.error = 0;
        child.opts.connect_error = 0;
        child.nonblocking = l.nonblocking;
        child.rcv_window = l.opts.rcvbuf;
        child.local = Some(SockAddr::new(to.ip, l.local.map_or(to.port, |a| a.port)));
        child.peer_addr = Some(client_addr);
        child.peer = Some(from);
        child.state = State::Connected;
        let child_ctx = self.new_sock(child);
        self.sock_mut(lctx).backlog.push_back(child_ctx);
        self.send_on_wire(
            k,
            dst_host,
            src_host,
            0,
            Delivery::SynAck {
                to: from,
                child: child_ctx,
            },
        );
        self.serve_accepts(k, lctx);
    }

    pub(crate) fn on_synack(&mut self, k: &mut Kernel, to: u64, child: u64) {
        let Some(s) = self.sockets.get_mut(&to) else {
            // The connector is gone: reset the accepted end.
            self.on_rst(k, child, false);
            return;
        };
        if s.state != State::Connecting {
            return;
        }
        s.peer = Some(child);
        s.rcv_window = s.opts.rcvbuf;
        // wine-facts V5 (test_select): "Calling connect() doesn't reset the socket error,
        // but a successful connection does."
        s.opts.connect_error = 0;
        let op = s.connect_op.take();
        self.set_state(k, to, State::Connected);
        k.trace(Record::Net {
            what: "synack",
            from: child,
            to: self.sock(to).handle,
            bytes: 0,
        });
        if let Some(op) = op {
            k.complete_op(op, NtStatus::SUCCESS, 0, 0, 0);
        }
    }

    pub(crate) fn on_refused(&mut self, k: &mut Kernel, to: u64) {
        let Some(s) = self.sockets.get_mut(&to) else {
            return;
        };
        if s.state != State::Connecting {
            return;
        }
        s.peer_addr = None;
        let op = s.connect_op.take();
        // wine-facts V5: a failed nonblocking connect leaves SO_ERROR = WSAECONNREFUSED;
        // test_select (W20, verified on Windows): after a failed *blocking* connect, which
        // reports the error itself, SO_ERROR reads 0.
        if op.is_none() {
            s.opts.connect_error = WsaError::WSAECONNREFUSED.0;
        }
        self.set_state(k, to, State::Bound);
        if let Some(op) = op {
            k.complete_op(op, NtStatus::CONNECTION_REFUSED, 0, 0, 0);
        }
    }

    pub(crate) fn stream_accept(
        &mut self,
        k: &mut Kernel,
        s: SocketRef,
        t: ThreadId,
    ) -> Result<(SOCKET, SockAddr), WsaError> {
        let ctx = s.context;
        self.check_net(ctx)?;
        let sock = self.sock(ctx);
        if sock.kind != Kind::Stream {
            return Err(WsaError::WSAEOPNOTSUPP);
        }
        if sock.state != State::Listening {
            return Err(WsaError::WSAEINVAL);
        }
        if sock.accept_ops.is_empty() {
            if let Some(r) = self.take_backlog(k, ctx) {
                return r;
            }
        }
        if self.sock(ctx).nonblocking {
            return Err(WsaError::WSAEWOULDBLOCK);
        }
        let op = k.begin_op(s.handle, t, Ptr::NULL, Ptr::NULL, "accept", 0)?;
        self.sock_mut(ctx).accept_ops.push_back(op);
        Err(WsaError::WSA_IO_PENDING)
    }

    /// Gives the oldest queued connection a handle.
    fn take_backlog(
        &mut self,
        k: &mut Kernel,
        lctx: u64,
    ) -> Option<Result<(SOCKET, SockAddr), WsaError>> {
        let child = self.sock_mut(lctx).backlog.pop_front()?;
        let me = k
            .socket_entry(self.sock(lctx).handle)
            .map(|e| e.provider)
            .unwrap_or(0);
        let overlapped = k
            .socket_entry(self.sock(lctx).handle)
            .is_none_or(|e| e.overlapped);
        let harness = k
            .socket_entry(self.sock(lctx).handle)
            .is_some_and(|e| e.harness);
        let Some(h) = k.create_socket_handle(me, child, overlapped) else {
            self.sock_mut(lctx).backlog.push_front(child);
            return Some(Err(WsaError::WSAEMFILE));
        };
        // An accepted socket is the listener's side's: a harness listener's connections
        // are harness sockets too (`World::mark_harness_thread`).
        if harness {
            k.set_socket_harness(h);
        }
        let c = self.sock_mut(child);
        c.handle = h;
        let peer = c.peer_addr.expect("an accepted socket has a peer");
        k.trace(Record::Socket {
            socket: h,
            from: "backlog",
            to: State::Connected.name(),
        });
        Some(Ok((h, peer)))
    }

    /// Completes waiting blocking accepts from the backlog.
    fn serve_accepts(&mut self, k: &mut Kernel, lctx: u64) {
        while !self.sock(lctx).accept_ops.is_empty() && !self.sock(lctx).backlog.is_empty() {
            let op = self.sock_mut(lctx).accept_ops.pop_front().expect("checked");
            if !k.op(op).is_some_and(|o| o.is_pending()) {
                continue;
            }
            match self.take_backlog(k, lctx) {
                Some(Ok((h, _))) => k.complete_op(op, NtStatus::SUCCESS, 0, 0, h),
                Some(Err(e)) => k.complete_op(op, NtStatus::from_wsa(e), 0, 0, 0),
                None => break,
            }
        }
    }

    // ----- sending ----------------------------------------------------------------------

    /// The state checks of a stream send, in the order the WSASend table implies.
    fn stream_send_state(&self, k: &Kernel, sock: &Sock, flags: u32) -> Result<(), WsaError> {
        // "MSG_PARTIAL is not supported" (WSAEOPNOTSUPP): TCP carries no message
        // boundaries, and the base provider does not offer partial messages.
        if flags & MSG_PARTIAL != 0 {
            return Err(WsaError::WSAEOPNOTSUPP);
        }
        // send(): "WSAEINVAL ... MSG_OOB was specified for a socket with SO_OOBINLINE
        // enabled".
        if flags & MSG_OOB != 0 && sock.opts.oobinline {
            return Err(WsaError::WSAEINVAL);
        }
        // "The socket has been shut down; it is not possible to WSASend on a socket after
        // shutdown has been invoked with how set to SD_SEND or SD_BOTH."
        if sock.sd_send {
            return Err(WsaError::WSAESHUTDOWN);
        }
        match sock.state {
            State::Connected => Ok(()),
            // "For a stream socket, the virtual circuit was reset by the remote side."
            State::Reset => Err(WsaError::WSAECONNRESET),
            // "The virtual circuit was terminated due to a time-out or other failure."
            State::Aborted => Err(WsaError::WSAECONNABORTED),
            // Keep-alive failure: "subsequent operations fail with WSAENOTCONN".
            State::KeepAliveFailed => Err(WsaError::WSAENOTCONN),
            // "The socket has not been bound with bind": documented profile. Verified
            // Windows answers WSAENOTCONN for an unconnected socket (wine-facts E16/E17).
            State::Created if k.profile() == Profile::Documented => Err(WsaError::WSAEINVAL),
            // wine-facts E16: a socket whose connect is in progress is WSAENOTCONN.
            _ => Err(WsaError::WSAENOTCONN),
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn stream_send(
        &mut self,
        k: &mut Kernel,
        s: SocketRef,
        bufs: &[WsaBuf],
        flags: u32,
        ov: Ptr,
        routine: Ptr,
        t: ThreadId,
    ) -> Result<u32, WsaError> {
        let ctx = s.context;
        self.check_net(ctx)?;
        self.stream_send_state(k, self.sock(ctx), flags)?;
        let total = total_len(bufs).ok_or(WsaError::WSAEINVAL)?;
        // "The Windows Sockets provider reports a buffer deadlock." (fault rule)
        if self.sock(ctx).faults.nobufs > 0 {
            self.sock_mut(ctx).faults.nobufs -= 1;
            return Err(WsaError::WSAENOBUFS);
        }
        let urgent = flags & MSG_OOB != 0 && total > 0;
        if !ov.is_null() {
            self.too_many_outstanding(k, s)?;
            return self.send_request(k, s, bufs, total, urgent, ov, routine, t, true);
        }
        if self.sock(ctx).nonblocking {
            return self.send_nonblocking(k, ctx, bufs, total, urgent);
        }
        self.send_request(k, s, bufs, total, urgent, Ptr::NULL, Ptr::NULL, t, false)
    }

    /// "Overlapped sockets: There are too many outstanding overlapped I/O requests."
    /// A fault rule, or (documented profile) a choice when another request is pending.
    pub(crate) fn too_many_outstanding(
        &mut self,
        k: &mut Kernel,
        s: SocketRef,
    ) -> Result<(), WsaError> {
        let sock = self.sock_mut(s.context);
        if sock.faults.too_many > 0 {
            sock.faults.too_many -= 1;
            return Err(WsaError::WSAEWOULDBLOCK);
        }
        if k.profile() == Profile::Documented && !self.sock(s.context).send_q.is_empty() {
            let ratio = k.config().too_many_outstanding_ratio;
            if k.flip(ChoiceKind::TooManyOutstanding, ratio) {
                return Err(WsaError::WSAEWOULDBLOCK);
            }
        }
        Ok(())
    }

    /// A nonblocking, non-overlapped send: "If the socket is non-blocking and
    /// stream-oriented, and there is not sufficient space in the transport's buffer,
    /// WSASend will return with only part of the application's buffers having been
    /// consumed" (documented profile); verified Windows takes all or fails with
    /// `WSAEWOULDBLOCK` (wine-facts E33/E34), and takes all while the send buffer holds
    /// less than `SO_SNDBUF` (E36: even with `SO_SNDBUF = 0`, while the window is open).
    fn send_nonblocking(
        &mut self,
        k: &mut Kernel,
        ctx: u64,
        bufs: &[WsaBuf],
        total: u32,
        urgent: bool,
    ) -> Result<u32, WsaError> {
        let window = self.window(ctx);
        let sock = self.sock(ctx);
        if !sock.send_q.is_empty() {
            // Earlier requests are still waiting: nothing can overtake them.
            return Err(WsaError::WSAEWOULDBLOCK);
        }
        let queued = sock.sndbuf.len() as u64;
        let sndbuf = u64::from(sock.opts.sndbuf);
        let admit_whole = queued < sndbuf || (queued == 0 && window > 0) || total == 0;
        let take = if k.profile() == Profile::Documented {
            let space = sndbuf.saturating_sub(queued) + if queued == 0 { window } else { 0 };
            if space >= u64::from(total) {
                total
            } else if space == 0 {
                return Err(WsaError::WSAEWOULDBLOCK);
            } else if k.flip(ChoiceKind::PartialSend, k.config().partial_send_ratio) {
                1 + k.choose(ChoiceKind::PartialSend, space) as u32
            } else if admit_whole {
                total
            } else {
                return Err(WsaError::WSAEWOULDBLOCK);
            }
        } else if admit_whole {
            total
        } else {
            return Err(WsaError::WSAEWOULDBLOCK);
        };
        let mut tmp = Vec::new();
        gather(k.mem(), bufs, 0, take as usize, &mut tmp).map_err(|_| WsaError::WSAEFAULT)?;
        let sock = self.sock_mut(ctx);
        if urgent && take == total {
            sock.urgent_at = Some(sock.next_seq + sock.sndbuf.len() as u64 + u64::from(take) - 1);
        }
        sock.sndbuf.push(&tmp);
        self.pump(k, ctx);
        Ok(take)
    }

    /// Queues a send request (overlapped, or the internal request of a blocking send),
    /// lets the transport consume what it can, and reports whether it completed at once.
    #[allow(clippy::too_many_arguments)]
    fn send_request(
        &mut self,
        k: &mut Kernel,
        s: SocketRef,
        bufs: &[WsaBuf],
        total: u32,
        urgent: bool,
        ov: Ptr,
        routine: Ptr,
        t: ThreadId,
        overlapped: bool,
    ) -> Result<u32, WsaError> {
        let ctx = s.context;
        let op = k.begin_op(s.handle, t, ov, routine, "send", u64::from(total))?;
        // Documented profile: "pending where immediate was possible (and the buffers read
        // only when the transport consumes them)".
        let deferred = k.profile() == Profile::Documented && {
            let ratio = k.config().pend_ratio;
            k.flip(ChoiceKind::PendInsteadOfImmediate, ratio)
        };
        self.sock_mut(ctx).send_q.push_back(SendReq {
            op,
            bufs: SmallVec::from_slice(bufs),
            total,
            taken: 0,
            urgent,
            deferred,
        });
        if deferred {
            let now = k.now();
            self.schedule(now, Delivery::Kick { ctx });
        }
        self.pump(k, ctx);
        let done = match k.op(op) {
            Some(o) => !o.is_pending(),
            None => true,
        };
        if done {
            k.trace_op(op, s.handle, OpEvent::Immediate, u64::from(total));
            if !overlapped {
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
            return Ok(total);
        }
        k.trace_op(op, s.handle, OpEvent::Pending, 0);
        Err(WsaError::WSA_IO_PENDING)
    }

    /// Moves data: admits queued requests into the send buffer, transmits into the
    /// peer's window, completes what was consumed, and sends FIN after a send shutdown.
    pub(crate) fn pump(&mut self, k: &mut Kernel, ctx: u64) {
        let Some(s) = self.sockets.get(&ctx) else {
            return;
        };
        if s.kind != Kind::Stream || s.state != State::Connected || s.peer.is_none() {
            return;
        }
        // Bounded: every pass either moves bytes or stops.
        loop {
            // A transmission delivered at once can make the peer read and pump this
            // socket again, re-entrantly; a closed socket may then finish and be
            // forgotten (`finish_orphan`): nothing is left to do here.
            if !self.sockets.contains_key(&ctx) {
                return;
            }
            let mut progress = self.admit(k, ctx);
            progress |= self.transmit(k, ctx);
            if !progress {
                break;
            }
        }
        self.complete_acked(k, ctx);
        let s = self.sock(ctx);
        if s.sd_send
            && !s.fin_sent
            && s.send_q.is_empty()
            && s.sndbuf.is_empty()
            && s.state == State::Connected
        {
            let (host, peer) = (s.host, s.peer.expect("connected"));
            self.sock_mut(ctx).fin_sent = true;
            let dst = self.sockets.get(&peer).map_or(host, |p| p.host);
            self.send_on_wire(k, host, dst, 0, Delivery::Fin { to: peer });
        }
        // The FIN, delivered at once, may also have pumped (and forgotten) this socket.
        if self.sockets.get(&ctx).is_some_and(|s| s.orphan) {
            self.finish_orphan(k, ctx);
        }
    }

    /// `SO_SNDBUF > 0`: admits the head request into the send buffer.
    fn admit(&mut self, k: &mut Kernel, ctx: u64) -> bool {
        let s = self.sock(ctx);
        let Some(head) = s.send_q.front() else {
            return false;
        };
        if !head.deferred && s.opts.sndbuf == 0 && head.total == 0 {
            // `SO_SNDBUF = 0` and a zero-byte request: `transmit` has nothing of it to
            // move, so it is consumed here, once the bytes queued before it are: it waits
            // in `unacked` for them ("A completion indication will occur ... when the
            // buffer(s) have been consumed by the transport", WSASend Remarks). Without
            // this it stayed at the head for ever and stalled the stream (regression test
            // `regression_zero_length_send_with_sndbuf_zero_stalls_the_stream`).
            let (op, handle) = (head.op, s.handle);
            let end = s.next_seq + s.sndbuf.len() as u64;
            k.trace_op(op, handle, OpEvent::Consumed, 0);
            let sock = self.sock_mut(ctx);
            sock.send_q.pop_front();
            sock.unacked.push_back((end, op, 0));
            return true;
        }
        if head.deferred || s.opts.sndbuf == 0 || s.sndbuf.len() as u64 >= u64::from(s.opts.sndbuf)
        {
            return false;
        }
        let remaining = head.total - head.taken;
        // Documented profile: "some Winsock providers may split a large send request into
        // multiple transmissions".
        let chunk = if k.profile() == Profile::Documented && remaining > 1 && {
            let r = k.config().split_send_ratio;
            k.flip(ChoiceKind::SplitSend, r)
        } {
            1 + k.choose(ChoiceKind::SplitSend, u64::from(remaining - 1)) as u32
        } else {
            remaining
        };
        let (op, taken, urgent, handle) = (head.op, head.taken, head.urgent, s.handle);
        // Read the caller's buffers straight into the send buffer (no temporary).
        let sock = self.sock_mut(ctx);
        let head = sock.send_q.front().expect("still there");
        let read: Result<(), crate::memory::Fault> = sock.sndbuf.push_with(chunk as usize, |out| {
            let n = gather_into(k.mem(), &head.bufs, u64::from(taken), out)?;
            debug_assert_eq!(n, out.len(), "a request's buffers hold its total");
            Ok(())
        });
        if read.is_err() {
            // The caller freed or unmapped buffers the system owned.
            let thread = k.op(op).map(|o| o.thread);
            if let Some(t) = thread {
                k.contract(t, "\"once the WSASend function is called, the system owns these buffers and the application may not access them\" (WSASend, lpBuffers)");
            }
            self.sock_mut(ctx).send_q.pop_front();
            k.complete_op(op, NtStatus::ACCESS_VIOLATION, 0, 0, 0);
            return true;
        }
        let sock = self.sock_mut(ctx);
        let head = sock.send_q.front_mut().expect("still there");
        head.taken += chunk;
        let finished = head.taken == head.total;
        if finished && urgent {
            sock.urgent_at = Some(sock.next_seq + sock.sndbuf.len() as u64 - 1);
        }
        k.trace_op(op, handle, OpEvent::Consumed, u64::from(chunk));
        if finished {
            let req = self.sock_mut(ctx).send_q.pop_front().expect("head");
            if k.op(op).is_some_and(|o| o.is_pending()) {
                k.complete_op(op, NtStatus::SUCCESS, req.total, 0, 0);
            }
        } else if chunk < remaining {
            // The rest waits for the next step, as a separate transmission.
            self.sock_mut(ctx)
                .send_q
                .front_mut()
                .expect("head")
                .deferred = true;
            let now = k.now();
            self.schedule(now, Delivery::Kick { ctx });
        }
        true
    }

    /// Resumes a split request: "WSASend should not be called on the same
    /// stream-oriented socket concurrently from different threads, because some Winsock
    /// providers may split a large send request into multiple transmissions, and this may
    /// lead to unintended data interleaving from multiple concurrent send requests"
    /// (WSASend, Remarks). The rest of a split request goes behind a request another
    /// thread made meanwhile. Only the very next request may overtake, so one thread's
    /// requests keep their order ("the posted buffers are guaranteed to be sent in the
    /// same order they are specified").
    pub(crate) fn resume_split(&mut self, k: &Kernel, ctx: u64) {
        let q = &self.sock(ctx).send_q;
        let Some(head) = q.front() else { return };
        if head.taken == 0 || head.taken == head.total {
            return;
        }
        let me = k.op(head.op).map(|o| o.thread);
        if q.get(1).is_some_and(|r| k.op(r.op).map(|o| o.thread) != me) {
            self.sock_mut(ctx).send_q.swap(0, 1);
        }
    }

    /// Transmits into the peer's window: first the send buffer, then (with
    /// `SO_SNDBUF = 0`) the head request straight from the caller's buffers.
    fn transmit(&mut self, k: &mut Kernel, ctx: u64) -> bool {
        // Nothing to move (every pump's last pass): answer before looking up the peer.
        let s = self.sock(ctx);
        if s.sndbuf.is_empty()
            && (s.opts.sndbuf != 0
                || s.send_q
                    .front()
                    .is_none_or(|h| h.deferred || h.taken == h.total))
        {
            return false;
        }
        let window = self.window(ctx);
        if window == 0 {
            return false;
        }
        let s = self.sock(ctx);
        let (host, peer) = (s.host, s.peer.expect("connected"));
        let dst = self.sockets.get(&peer).map_or(host, |p| p.host);
        let (bytes, urgent, from_op) = if !s.sndbuf.is_empty() {
            let mut n = (s.sndbuf.len() as u64).min(window).min(SEGMENT_MAX as u64);
            let mut urgent = false;
            if let Some(u) = s.urgent_at {
                let last = s.next_seq + n - 1;
                if u <= last {
                    n = u - s.next_seq + 1;
                    urgent = true;
                }
            }
            let mut payload = core::mem::take(&mut self.spare);
            let sock = self.sock_mut(ctx);
            if urgent {
                sock.urgent_at = None;
            }
            sock.sndbuf.take_into(n as usize, &mut payload);
            (payload, urgent, None)
        } else if s.opts.sndbuf == 0 {
            let Some(head) = s.send_q.front() else {
                return false;
            };
            if head.deferred || head.taken == head.total {
                return false;
            }
            let n = u64::from(head.total - head.taken)
                .min(window)
                .min(SEGMENT_MAX as u64);
            let (op, taken) = (head.op, head.taken);
            let mut tmp = Vec::with_capacity(n as usize);
            if gather(k.mem(), &head.bufs, u64::from(taken), n as usize, &mut tmp).is_err() {
                if let Some(t) = k.op(op).map(|o| o.thread) {
                    k.contract(t, "\"once the WSASend function is called, the system owns these buffers and the application may not access them\" (WSASend, lpBuffers)");
                }
                self.sock_mut(ctx).send_q.pop_front();
                k.complete_op(op, NtStatus::ACCESS_VIOLATION, 0, 0, 0);
                return true;
            }
            let handle = s.handle;
            k.trace_op(op, handle, OpEvent::Consumed, n);
            let sock = self.sock_mut(ctx);
            let head = sock.send_q.front_mut().expect("head");
            head.taken += n as u32;
            let urgent = head.urgent && head.taken == head.total;
            (tmp, urgent, Some(op))
        } else {
            return false;
        };
        let n = bytes.len() as u64;
        let sock = self.sock_mut(ctx);
        sock.next_seq += n;
        let end_seq = sock.next_seq;
        if from_op.is_some() {
            let head = sock.send_q.front_mut().expect("head");
            if head.taken == head.total {
                let req = sock.send_q.pop_front().expect("head");
                sock.unacked.push_back((end_seq, req.op, req.total));
            }
        }
        let handle = sock.handle;
        k.trace(Record::Net {
            what: "segment",
            from: handle,
            to: peer,
            bytes: n,
        });
        self.send_on_wire(
            k,
            host,
            dst,
            n,
            Delivery::Data {
                to: peer,
                bytes,
                urgent,
            },
        );
        true
    }

    /// `SO_SNDBUF = 0`: completes requests whose last byte the peer has taken.
    fn complete_acked(&mut self, k: &mut Kernel, ctx: u64) {
        loop {
            let s = self.sock_mut(ctx);
            let Some(&(end, op, total)) = s.unacked.front() else {
                break;
            };
            if end > s.acked {
                break;
            }
            s.unacked.pop_front();
            if k.op(op).is_some_and(|o| o.is_pending()) {
                k.complete_op(op, NtStatus::SUCCESS, total, 0, 0);
            }
        }
    }

    // ----- receiving --------------------------------------------------------------------

    pub(crate) fn on_data(&mut self, k: &mut Kernel, to: u64, bytes: &[u8], urgent: bool) {
        let n = bytes.len() as u64;
        let Some(r) = self.sockets.get_mut(&to) else {
            // The receiver was closed and has already been forgotten: its stack answers
            // with a reset all the same ("Sending to a peer that has closed: the first
            // send succeeds; a later recv fails with WSAECONNABORTED", wine-facts R7).
            self.reset_for_forgotten(k, to);
            return;
        };
        let sender = r.peer;
        if r.orphan {
            // Data for a closed socket: the stack answers with a reset.
            if let Some(sender) = sender {
                let (h, sh) = (r.host, self.sockets.get(&sender).map(|s| s.host));
                if let Some(sh) = sh {
                    self.send_on_wire(
                        k,
                        h,
                        sh,
                        0,
                        Delivery::Rst {
                            to: sender,
                            in_reply: true,
                        },
                    );
                }
            }
            return;
        }
        if r.state != State::Connected {
            return;
        }
        if urgent && !r.opts.oobinline {
            let (body, last) = bytes.split_at(bytes.len() - 1);
            r.rcv.push(body);
            r.oob = Some(last[0]);
        } else {
            r.rcv.push(bytes);
        }
        if let Some(sender) = sender {
            if let Some(s) = self.sockets.get_mut(&sender) {
                s.acked += n;
            }
        }
        self.serve_recvs(k, to);
        if let Some(sender) = sender {
            self.pump(k, sender);
        }
    }

    /// Data arrived for `gone`, a socket closed and forgotten: the reset in reply goes to
    /// the connected socket whose peer it was (contexts are never reused, so there is at
    /// most one).
    fn reset_for_forgotten(&mut self, k: &mut Kernel, gone: u64) {
        let sender = self.sockets.iter().find_map(|(&ctx, s)| {
            (s.kind == Kind::Stream && s.peer == Some(gone) && s.state == State::Connected)
                .then_some((ctx, s.host, s.peer_addr))
        });
        let Some((sender, host, peer_addr)) = sender else {
            return;
        };
        let from = peer_addr
            .and_then(|a| self.net.host_of(host, &a.ip))
            .unwrap_or(host);
        self.send_on_wire(
            k,
            from,
            host,
            0,
            Delivery::Rst {
                to: sender,
                in_reply: true,
            },
        );
    }

    pub(crate) fn on_fin(&mut self, k: &mut Kernel, to: u64) {
        let Some(r) = self.sockets.get_mut(&to) else {
            return;
        };
        r.fin_rcvd = true;
        k.trace(Record::Net {
            what: "fin",
            from: r.peer.unwrap_or(0),
            to: r.handle,
            bytes: 0,
        });
        self.serve_recvs(k, to);
        if self.sock(to).orphan {
            self.finish_orphan(k, to);
        }
    }

    /// A reset arrived: every pending operation fails with `WSAECONNRESET` (or, when the
    /// reset answered data sent to a closed peer, the connection counts as aborted:
    /// `wine-facts.md` R7).
    pub(crate) fn on_rst(&mut self, k: &mut Kernel, to: u64, in_reply: bool) {
        let Some(r) = self.sockets.get_mut(&to) else {
            return;
        };
        if !matches!(r.state, State::Connected | State::Connecting) {
            return;
        }
        let handle = r.handle;
        r.rcv.clear();
        r.sndbuf.clear();
        r.peer = None;
        let orphan = r.orphan;
        k.trace(Record::Net {
            what: "rst",
            from: 0,
            to: handle,
            bytes: 0,
        });
        let (err, state) = if in_reply {
            (WsaError::WSAECONNABORTED, State::Aborted)
        } else {
            (WsaError::WSAECONNRESET, State::Reset)
        };
        let unacked: Vec<u64> = self
            .sock_mut(to)
            .unacked
            .drain(..)
            .map(|(_, op, _)| op)
            .collect();
        for op in unacked {
            if k.op(op).is_some_and(|o| o.is_pending()) {
                k.complete_op(op, NtStatus::from_wsa(err), 0, 0, 0);
            }
        }
        self.fail_pending(k, to, Some(err), Some(err));
        self.set_state(k, to, state);
        if orphan {
            self.sockets.remove(&to);
        }
    }

    /// Aborts a connection locally: pending operations fail with `err`, the peer gets a
    /// reset.
    pub(crate) fn abort_connection(
        &mut self,
        k: &mut Kernel,
        ctx: u64,
        err: WsaError,
        state: State,
        notify_peer: bool,
    ) {
        let s = self.sock_mut(ctx);
        s.sndbuf.clear();
        let peer = s.peer.take();
        let host = s.host;
        let unacked: Vec<u64> = s.unacked.drain(..).map(|(_, op, _)| op).collect();
        for op in unacked {
            if k.op(op).is_some_and(|o| o.is_pending()) {
                k.complete_op(op, NtStatus::from_wsa(err), 0, 0, 0);
            }
        }
        self.fail_pending(k, ctx, Some(err), Some(err));
        self.set_state(k, ctx, state);
        if notify_peer {
            if let Some(peer) = peer {
                let dst = self.sockets.get(&peer).map_or(host, |p| p.host);
                self.send_on_wire(
                    k,
                    host,
                    dst,
                    0,
                    Delivery::Rst {
                        to: peer,
                        in_reply: false,
                    },
                );
            }
        }
    }

    /// Completes pending receives from the receive buffer (FIFO, `wine-facts.md` O18).
    pub(crate) fn serve_recvs(&mut self, k: &mut Kernel, ctx: u64) {
        let mut opened = false;
        loop {
            let s = self.sock(ctx);
            let Some(req) = s.recv_q.front() else { break };
            if s.rcv.is_empty() && !s.fin_rcvd {
                break;
            }
            let req = req.clone();
            let cap = capacity(&req.bufs);
            let n = cap.min(s.rcv.len());
            // Straight from the receive buffer into the caller's (no temporary).
            let written = scatter(k.mem_mut(), &req.bufs, &s.rcv.as_slice()[..n]);
            let sock = self.sock_mut(ctx);
            sock.recv_q.pop_front();
            match written {
                Ok(w) => {
                    // A zero-length receive completes with 0 bytes and leaves the data
                    // queued (wine-facts O19).
                    if !req.peek {
                        sock.rcv.consume(w);
                        opened |= w > 0;
                    }
                    if k.op(req.op).is_some_and(|o| o.is_pending()) {
                        k.complete_op(req.op, NtStatus::SUCCESS, w as u32, 0, 0);
                    }
                }
                Err(_) => {
                    if k.op(req.op).is_some_and(|o| o.is_pending()) {
                        k.complete_op(req.op, NtStatus::ACCESS_VIOLATION, 0, 0, 0);
                    }
                }
            }
        }
        if opened {
            if let Some(peer) = self.sock(ctx).peer {
                self.pump(k, peer);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn stream_recv(
        &mut self,
        k: &mut Kernel,
        s: SocketRef,
        bufs: &[WsaBuf],
        flags: u32,
        ov: Ptr,
        routine: Ptr,
        t: ThreadId,
    ) -> Result<(u32, u32), WsaError> {
        let ctx = s.context;
        self.check_net(ctx)?;
        let sock = self.sock(ctx);
        if flags & MSG_PARTIAL != 0 {
            return Err(WsaError::WSAEOPNOTSUPP);
        }
        // wine-facts R9: after SD_RECEIVE any new receive fails with WSAESHUTDOWN.
        if sock.sd_recv {
            return Err(WsaError::WSAESHUTDOWN);
        }
        match sock.state {
            State::Connected => {}
            State::Reset => return Err(WsaError::WSAECONNRESET),
            State::Aborted => return Err(WsaError::WSAECONNABORTED),
            _ => return Err(WsaError::WSAENOTCONN),
        }
        if flags & MSG_OOB != 0 {
            if sock.opts.oobinline {
                return Err(WsaError::WSAEINVAL);
            }
            let Some(b) = sock.oob else {
                return Err(WsaError::WSAEWOULDBLOCK);
            };
            let n = scatter(k.mem_mut(), bufs, &[b]).map_err(|_| WsaError::WSAEFAULT)?;
            if n > 0 {
                self.sock_mut(ctx).oob = None;
            }
            return Ok((n as u32, MSG_OOB));
        }
        let peek = flags & MSG_PEEK != 0;
        let ready = sock.recv_q.is_empty() && (!sock.rcv.is_empty() || sock.fin_rcvd);
        if ready && (ov.is_null() || k.profile() == Profile::Windows) {
            let n = capacity(bufs).min(sock.rcv.len());
            // Straight from the receive buffer into the caller's (no temporary).
            let w = scatter(k.mem_mut(), bufs, &sock.rcv.as_slice()[..n])
                .map_err(|_| WsaError::WSAEFAULT)?;
            if !peek {
                self.sock_mut(ctx).rcv.consume(w);
            }
            if !ov.is_null() {
                // wine-facts O15, C3: an immediate overlapped completion still signals the
                // event or queues the routine.
                let op = k.begin_op(s.handle, t, ov, routine, "recv", 0)?;
                k.complete_op(op, NtStatus::SUCCESS, w as u32, 0, 0);
            }
            if w > 0 && !peek {
                if let Some(peer) = self.sock(ctx).peer {
                    self.pump(k, peer);
                }
            }
            return Ok((w as u32, 0));
        }
        if ov.is_null() && self.sock(ctx).nonblocking {
            return Err(WsaError::WSAEWOULDBLOCK);
        }
        let op = k.begin_op(s.handle, t, ov, routine, "recv", 0)?;
        self.sock_mut(ctx).recv_q.push_back(RecvReq {
            op,
            bufs: SmallVec::from_slice(bufs),
            peek: peek && ov.is_null(),
        });
        self.serve_recvs(k, ctx);
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
        }
        Ok((0, 0))
    }

    // ----- shutdown and close -----------------------------------------------------------

    pub(crate) fn stream_shutdown(
        &mut self,
        k: &mut Kernel,
        ctx: u64,
        how: i32,
    ) -> Result<(), WsaError> {
        let s = self.sock(ctx);
        // wine-facts R8: shutdown on a never-connected or listening TCP socket is
        // WSAENOTCONN.
        if !matches!(s.state, State::Connected | State::Reset | State::Aborted) {
            return Err(WsaError::WSAENOTCONN);
        }
        let sock = self.sock_mut(ctx);
        if how != SD_RECEIVE {
            sock.sd_send = true;
        }
        if how != SD_SEND {
            sock.sd_recv = true;
        }
        let handle = sock.handle;
        let name = match how {
            SD_SEND => "sd_send",
            SD_RECEIVE => "sd_receive",
            _ => "sd_both",
        };
        k.trace(Record::Socket {
            socket: handle,
            from: "connected",
            to: name,
        });
        // TCP sends FIN "after all data is sent and acknowledged".
        self.pump(k, ctx);
        Ok(())
    }

    /// `closesocket`.
    pub(crate) fn stream_or_dgram_close(
        &mut self,
        k: &mut Kernel,
        s: SocketRef,
        t: ThreadId,
    ) -> Result<(), WsaError> {
        let ctx = s.context;
        let sock = self.sock(ctx);
        let linger = (sock.opts.linger_onoff != 0, sock.opts.linger_secs);
        let has_data = !sock.sndbuf.is_empty() || !sock.send_q.is_empty() || sock.in_flight() > 0;
        // closesocket: "nonblocking socket with linger {on, timeout>0} ... fails
        // WSAEWOULDBLOCK if not immediately completable; handle stays valid".
        if sock.kind == Kind::Stream
            && sock.state == State::Connected
            && linger.0
            && linger.1 > 0
            && has_data
            && sock.nonblocking
        {
            return Err(WsaError::WSAEWOULDBLOCK);
        }
        // closesocket: pending WSASend/WSARecv "are canceled"; "Any event, completion
        // routine, or completion port action specified ... is performed"; they fail with
        // WSA_OPERATION_ABORTED. wine-facts X6: a pending receive completes with
        // STATUS_CONNECTION_ABORTED on modern Windows.
        let recv_err = if k.profile() == Profile::Windows {
            WsaError::WSAECONNABORTED
        } else {
            WsaError::WSA_OPERATION_ABORTED
        };
        let send_ops: Vec<u64> = self.sock_mut(ctx).send_q.drain(..).map(|r| r.op).collect();
        let unacked: Vec<u64> = self
            .sock_mut(ctx)
            .unacked
            .drain(..)
            .map(|(_, op, _)| op)
            .collect();
        for op in send_ops.into_iter().chain(unacked) {
            if k.op(op).is_some_and(|o| o.is_pending()) {
                k.complete_op(op, NtStatus::CANCELLED, 0, 0, 0);
            }
        }
        let recv_ops: Vec<u64> = self.sock_mut(ctx).recv_q.drain(..).map(|r| r.op).collect();
        for op in recv_ops {
            if k.op(op).is_some_and(|o| o.is_pending()) {
                k.complete_op(op, NtStatus::from_wsa(recv_err), 0, 0, 0);
            }
        }
        let others: Vec<u64> = {
            let sock = self.sock_mut(ctx);
            let mut v: Vec<u64> = sock.accept_ops.drain(..).collect();
            v.extend(sock.connect_op.take());
            v
        };
        for op in others {
            if k.op(op).is_some_and(|o| o.is_pending()) {
                k.complete_op(op, NtStatus::CANCELLED, 0, 0, 0);
            }
        }
        k.close_socket_handle(s.handle);
        let sock = self.sock(ctx);
        let (kind, state, host, peer) = (sock.kind, sock.state, sock.host, sock.peer);
        k.trace(Record::Socket {
            socket: s.handle,
            from: state.name(),
            to: State::Closed.name(),
        });
        if kind != Kind::Stream {
            self.sockets.remove(&ctx);
            return Ok(());
        }
        if state == State::Listening {
            // Queued connections nobody accepted are reset.
            let children: Vec<u64> = self.sock_mut(ctx).backlog.drain(..).collect();
            for c in children {
                if let Some(client) = self.sock(c).peer {
                    let ch = self.sock(c).host;
                    let dst = self.sockets.get(&client).map_or(ch, |p| p.host);
                    self.send_on_wire(
                        k,
                        ch,
                        dst,
                        0,
                        Delivery::Rst {
                            to: client,
                            in_reply: false,
                        },
                    );
                }
                self.sockets.remove(&c);
            }
            self.sockets.remove(&ctx);
            return Ok(());
        }
        if state != State::Connected {
            self.sockets.remove(&ctx);
            return Ok(());
        }
        if linger.0 && linger.1 == 0 {
            // "hard/abortive: reset, unsent data lost" (SDK closesocket; wine-facts R1).
            if let Some(peer) = peer {
                let dst = self.sockets.get(&peer).map_or(host, |p| p.host);
                self.send_on_wire(
                    k,
                    host,
                    dst,
                    0,
                    Delivery::Rst {
                        to: peer,
                        in_reply: false,
                    },
                );
            }
            self.sockets.remove(&ctx);
            return Ok(());
        }
        // Graceful: data already accepted is still delivered (wine-facts X11), then FIN.
        let sock = self.sock_mut(ctx);
        sock.orphan = true;
        sock.sd_send = true;
        sock.handle = 0;
        self.pump(k, ctx);
        if self.sockets.contains_key(&ctx) && linger.0 && linger.1 > 0 && !self.sock(ctx).drained()
        {
            // A blocking socket lingers up to l_linger seconds.
            let op = k.begin_op(s.handle, t, Ptr::NULL, Ptr::NULL, "close", 0)?;
            self.sock_mut(ctx).linger_op = Some(op);
            return Err(WsaError::WSA_IO_PENDING);
        }
        Ok(())
    }

    /// A blocking close lingered `l_linger` seconds and the data is still not gone: the
    /// close becomes abortive. "graceful if all sent within l_linger seconds, else
    /// abortive" (SDK closesocket; W32 graceful-shutdown-linger-options-and-socket-
    /// closure-2): what is left is dropped, the peer is reset and the socket forgotten.
    pub(crate) fn linger_expired(&mut self, k: &mut Kernel, ctx: u64) {
        let Some(s) = self.sockets.get(&ctx) else {
            return;
        };
        let (host, peer) = (s.host, s.peer);
        if s.state == State::Connected {
            if let Some(peer) = peer {
                let dst = self.sockets.get(&peer).map_or(host, |p| p.host);
                self.send_on_wire(
                    k,
                    host,
                    dst,
                    0,
                    Delivery::Rst {
                        to: peer,
                        in_reply: false,
                    },
                );
            }
        }
        self.sockets.remove(&ctx);
    }

    /// A closed socket whose data is gone finishes: its lingering close completes and it
    /// is forgotten once the peer has finished too.
    fn finish_orphan(&mut self, k: &mut Kernel, ctx: u64) {
        let s = self.sock(ctx);
        if !s.drained() || !s.fin_sent {
            return;
        }
        if let Some(op) = self.sock_mut(ctx).linger_op.take() {
            if k.op(op).is_some_and(|o| o.is_pending()) {
                k.complete_op(op, NtStatus::SUCCESS, 0, 0, 0);
            }
        }
        self.reap(ctx);
    }
}
