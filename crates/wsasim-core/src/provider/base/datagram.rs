//! UDP: one datagram per send whatever the number of buffers, a default peer after
//! `connect`, `SO_MAX_MSG_SIZE` = 65507, ICMP port unreachable, implicit bind.
//!
//! Heads up: WSASend Remarks ("It can also be used, however, on connectionless sockets
//! that have a stipulated default peer address"; "If the data is too long to pass
//! atomically through the underlying protocol the error WSAEMSGSIZE is returned, and no
//! data is transmitted"), `wine-facts.md` E5, E11, E17, E20, E25-E28, P5.

use super::socket::{Kind, RecvReq, SendReq, State};
use super::stream::{gather, scatter, total_len};
use super::{BaseProvider, Delivery};
use crate::choice::ChoiceKind;
use crate::config::Profile;
use crate::consts::*;
use crate::error::WsaError;
use crate::kernel::Kernel;
use crate::memory::{Ptr, WsaBuf};
use crate::net::{HostId, SockAddr};
use crate::provider::SocketRef;
use crate::status::NtStatus;
use crate::thread::ThreadId;
use crate::trace::{OpEvent, Record};
use smallvec::SmallVec;

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
    ) -> Result<u32, WsaError> {
        let ctx = s.context;
        self.check_net(ctx)?;
        // "MSG_OOB was specified, but the socket is not stream-style such as type
        // SOCK_STREAM"; "MSG_PARTIAL is not supported".
        if flags & (MSG_OOB | MSG_PARTIAL) != 0 {
            return Err(WsaError::WSAEOPNOTSUPP);
        }
        let sock = self.sock(ctx);
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
        let total = total_len(bufs).ok_or(WsaError::WSAEINVAL)?;
        // "If the data is too long to pass atomically through the underlying protocol the
        // error WSAEMSGSIZE is returned, and no data is transmitted."
        if total > UDP_MAX_MSG_SIZE {
            return Err(WsaError::WSAEMSGSIZE);
        }
        if to.is_some() && dest.ip.is_broadcast() && !sock.opts.broadcast {
            // sendto: WSAEACCES for a broadcast address without SO_BROADCAST (E27).
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
        self.auto_bind(k, ctx)?;
        if !ov.is_null() {
            self.too_many_outstanding(k, s)?;
            let op = k.begin_op(s.handle, t, ov, routine, "send", u64::from(total))?;
            let deferred = k.profile() == Profile::Documented && {
                let r = k.config().pend_ratio;
                k.flip(ChoiceKind::PendInsteadOfImmediate, r)
            };
            self.sock_mut(ctx).send_q.push_back(SendReq {
                op,
                bufs: SmallVec::from_slice(bufs),
                total,
                taken: 0,
                urgent: false,
                deferred,
            });
            self.sock_mut(ctx).dgram_dest.push_back(dest);
            if deferred {
                let now = k.now();
                self.schedule(now, Delivery::Kick { ctx });
                k.trace_op(op, s.handle, OpEvent::Pending, 0);
                return Err(WsaError::WSA_IO_PENDING);
            }
            self.dgram_pump(k, ctx);
            k.trace_op(op, s.handle, OpEvent::Immediate, u64::from(total));
            return Ok(total);
        }
        let mut data = Vec::with_capacity(total as usize);
        gather(k.mem(), bufs, 0, total as usize, &mut data).map_err(|_| WsaError::WSAEFAULT)?;
        self.transmit_datagram(k, ctx, dest, data)?;
        Ok(total)
    }

    /// Sends queued overlapped datagrams, reading their buffers now.
    pub(crate) fn dgram_pump(&mut self, k: &mut Kernel, ctx: u64) {
        while let Some(req) = self.sock(ctx).send_q.front().cloned() {
            if req.deferred {
                break;
            }
            self.sock_mut(ctx).send_q.pop_front();
            let dest = self
                .sock_mut(ctx)
                .dgram_dest
                .pop_front()
                .expect("one destination per request");
            let mut data = Vec::with_capacity(req.total as usize);
            let status = match gather(k.mem(), &req.bufs, 0, req.total as usize, &mut data) {
                Err(_) => NtStatus::ACCESS_VIOLATION,
                Ok(()) => match self.transmit_datagram(k, ctx, dest, data) {
                    Ok(()) => NtStatus::SUCCESS,
                    Err(e) => NtStatus::from_wsa(e),
                },
            };
            if k.op(req.op).is_some_and(|o| o.is_pending()) {
                let bytes = if status.is_success() { req.total } else { 0 };
                k.complete_op(req.op, status, bytes, 0, 0);
            }
        }
    }

    fn transmit_datagram(
        &mut self,
        k: &mut Kernel,
        ctx: u64,
        dest: SockAddr,
        bytes: Vec<u8>,
    ) -> Result<(), WsaError> {
        let s = self.sock(ctx);
        let src_host = s.host;
        let local = s.local.expect("bound before sending");
        let from = if local.ip.is_unspecified() && dest.ip.is_loopback() {
            SockAddr::new(dest.ip, local.port)
        } else {
            local
        };
        let handle = s.handle;
        let Some(dst_host) = self.net.host_of(src_host, &dest.ip) else {
            return Err(WsaError::WSAENETUNREACH);
        };
        let n = bytes.len() as u64;
        k.trace(Record::Net {
            what: "datagram",
            from: handle,
            to: 0,
            bytes: n,
        });
        if !self.send_on_wire(
            k,
            src_host,
            dst_host,
            n,
            Delivery::Datagram {
                from,
                to: dest,
                src_host,
                dst_host,
                bytes,
                sender: ctx,
            },
        ) {
            return Err(WsaError::WSAENETUNREACH);
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn on_datagram(
        &mut self,
        k: &mut Kernel,
        from: SockAddr,
        to: SockAddr,
        src_host: HostId,
        dst_host: HostId,
        bytes: Vec<u8>,
        sender: u64,
    ) {
        let Some(rctx) = self.lookup_bound(dst_host, Kind::Dgram, to, false) else {
            // ICMP port unreachable back to the sender (wine-facts E25: sends ignore it).
            if let Some(s) = self.sockets.get_mut(&sender) {
                s.icmp_unreachable = true;
            }
            k.trace(Record::Net {
                what: "icmp_port_unreachable",
                from: 0,
                to: sender,
                bytes: 0,
            });
            let _ = src_host;
            return;
        };
        let r = self.sock_mut(rctx);
        if r.sd_recv && r.recv_q.is_empty()
            || r.dgram_bytes + bytes.len() > r.opts.rcvbuf.max(1) as usize && !r.dgrams.is_empty()
        {
            k.trace(Record::Net {
                what: "drop",
                from: sender,
                to: rctx,
                bytes: bytes.len() as u64,
            });
            return;
        }
        r.dgram_bytes += bytes.len();
        r.dgrams.push_back((from, bytes));
        self.serve_dgram_recvs(k, rctx);
    }

    /// Completes pending receives, one datagram each.
    fn serve_dgram_recvs(&mut self, k: &mut Kernel, ctx: u64) {
        while !self.sock(ctx).recv_q.is_empty() && !self.sock(ctx).dgrams.is_empty() {
            let sock = self.sock_mut(ctx);
            let req = sock.recv_q.pop_front().expect("checked");
            let (_, data) = sock.dgrams.pop_front().expect("checked");
            sock.dgram_bytes -= data.len();
            let (status, n) = match scatter(k.mem_mut(), &req.bufs, &data) {
                // A datagram larger than the buffers is truncated: the rest is lost and
                // the receive reports WSAEMSGSIZE (STATUS_BUFFER_OVERFLOW, wine-facts O12).
                Ok(n) if n < data.len() => (NtStatus::BUFFER_OVERFLOW, n),
                Ok(n) => (NtStatus::SUCCESS, n),
                Err(_) => (NtStatus::ACCESS_VIOLATION, 0),
            };
            if k.op(req.op).is_some_and(|o| o.is_pending()) {
                k.complete_op(req.op, status, n as u32, 0, 0);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn dgram_recv(
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
        // Windows reports an earlier ICMP port unreachable on the next receive.
        if sock.icmp_unreachable {
            self.sock_mut(ctx).icmp_unreachable = false;
            return Err(WsaError::WSAECONNRESET);
        }
        let peek = flags & MSG_PEEK != 0;
        if sock.recv_q.is_empty() && !sock.dgrams.is_empty() {
            let data = sock.dgrams.front().expect("checked").1.clone();
            let n = scatter(k.mem_mut(), bufs, &data).map_err(|_| WsaError::WSAEFAULT)?;
            if !peek || !ov.is_null() {
                let sock = self.sock_mut(ctx);
                sock.dgrams.pop_front();
                sock.dgram_bytes -= data.len();
            }
            let truncated = n < data.len();
            if ov.is_null() {
                return if truncated {
                    Err(WsaError::WSAEMSGSIZE)
                } else {
                    Ok((n as u32, 0))
                };
            }
            // An overlapped receive that completes at once still signals its event or
            // queues its routine (wine-facts O15, C3); a truncated one carries a warning
            // status, delivered on the asynchronous path (wine-facts C4).
            let op = k.begin_op(s.handle, t, ov, routine, "recv", 0)?;
            let status = if truncated {
                NtStatus::BUFFER_OVERFLOW
            } else {
                NtStatus::SUCCESS
            };
            k.complete_op(op, status, n as u32, 0, 0);
            return if truncated {
                Err(WsaError::WSA_IO_PENDING)
            } else {
                Ok((n as u32, 0))
            };
        }
        if ov.is_null() && sock.nonblocking {
            return Err(WsaError::WSAEWOULDBLOCK);
        }
        let op = k.begin_op(s.handle, t, ov, routine, "recv", 0)?;
        self.sock_mut(ctx).recv_q.push_back(RecvReq {
            op,
            bufs: SmallVec::from_slice(bufs),
            peek: false,
        });
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
