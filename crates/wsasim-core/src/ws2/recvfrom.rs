//! `recvfrom`, `WSARecvFrom` and `WSARecvMsg`: the receive side that observes datagrams,
//! their source address and their control data (`IP_PKTINFO`, `IPV6_PKTINFO`).
//!
//! Heads up: SDK `recvfrom`, `wsarecvfrom`, `wsarecvmsg` (LPFN_WSARECVMSG), `wsamsg`
//! (`windows-semantics.md` §4, §7); `wine-facts.md` O12, C2, C4, G5, G6, W8-W10, W18,
//! W19, E37, L5. A truncated datagram ("the message was too large to fit into the
//! specified buffer and was truncated") is `WSAEMSGSIZE`, with `MSG_TRUNC` or, for the
//! control data, `MSG_CTRUNC` in `WSAMSG.dwFlags`.

use crate::consts::*;
use crate::error::WsaError;
use crate::memory::{overlapped_layout as ovl, Ptr, UserMemoryExt, WsaBuf};
use crate::msg::wsamsg_layout as wm;
use crate::provider::{RecvMeta, SocketRef};
use crate::thread::{Resume, ThreadId};
use crate::world::{Call, World};
use smallvec::SmallVec;

impl World {
    /// `int recvfrom(SOCKET s, char *buf, int len, int flags, sockaddr *from, int
    /// *fromlen)`: bytes received; the source address in `from` when given.
    #[allow(clippy::too_many_arguments)]
    pub fn recvfrom(
        &mut self,
        t: ThreadId,
        s: SOCKET,
        buf: Ptr,
        len: i32,
        flags: i32,
        from: Ptr,
        fromlen: Ptr,
    ) -> Call {
        const API: &str = "recvfrom";
        self.trace_call(
            t,
            API,
            &[
                ("s", s),
                ("buf", buf.0),
                ("len", len as u64),
                ("flags", flags as u64),
                ("from", from.0),
            ],
        );
        let fail = i64::from(SOCKET_ERROR);
        let target = match self.prolog(t).and_then(|_| self.socket_ref(s)) {
            Ok(x) => x,
            Err(e) => return self.finish(t, API, Err(e), fail),
        };
        // wine-facts E37: a negative length is WSAEFAULT.
        if len < 0 {
            return self.finish(t, API, Err(WsaError::WSAEFAULT), fail);
        }
        let bufs: SmallVec<[WsaBuf; 4]> = smallvec::smallvec![WsaBuf {
            len: len as u32,
            buf
        }];
        let meta = match self.source_meta(from, fromlen) {
            Ok(m) => m,
            Err(e) => return self.finish(t, API, Err(e), fail),
        };
        self.recv_from_common(
            t,
            API,
            target,
            bufs,
            Ptr::NULL,
            Ptr::NULL,
            flags as u32,
            meta,
            Ptr::NULL,
            Ptr::NULL,
        )
    }

    /// `int WSARecvFrom(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount, LPDWORD
    /// lpNumberOfBytesRecvd, LPDWORD lpFlags, sockaddr *lpFrom, LPINT lpFromlen,
    /// LPWSAOVERLAPPED lpOverlapped, LPWSAOVERLAPPED_COMPLETION_ROUTINE
    /// lpCompletionRoutine)`.
    #[allow(clippy::too_many_arguments)]
    pub fn wsa_recv_from(
        &mut self,
        t: ThreadId,
        s: SOCKET,
        lp_buffers: Ptr,
        dw_buffer_count: u32,
        lp_number_of_bytes_recvd: Ptr,
        lp_flags: Ptr,
        lp_from: Ptr,
        lp_fromlen: Ptr,
        lp_overlapped: Ptr,
        lp_completion_routine: Ptr,
    ) -> Call {
        const API: &str = "WSARecvFrom";
        self.trace_call(
            t,
            API,
            &[
                ("s", s),
                ("count", u64::from(dw_buffer_count)),
                ("from", lp_from.0),
                ("ov", lp_overlapped.0),
                ("routine", lp_completion_routine.0),
            ],
        );
        let fail = i64::from(SOCKET_ERROR);
        let target = match self.prolog(t).and_then(|_| self.socket_ref(s)) {
            Ok(x) => x,
            Err(e) => return self.finish(t, API, Err(e), fail),
        };
        // wine-facts O19 (WSARecv): no buffers is WSAEINVAL.
        if dw_buffer_count == 0 {
            return self.finish(t, API, Err(WsaError::WSAEINVAL), fail);
        }
        let mut bufs: SmallVec<[WsaBuf; 4]> = SmallVec::new();
        if WsaBuf::read_array(self.k.mem(), lp_buffers, dw_buffer_count, &mut bufs).is_err() {
            return self.finish(t, API, Err(WsaError::WSAEFAULT), fail);
        }
        if lp_flags.is_null() || self.k.mem().check(lp_flags, 4, true).is_err() {
            return self.finish(t, API, Err(WsaError::WSAEFAULT), fail);
        }
        let flags = match self.k.mem.read_u32(lp_flags) {
            Ok(f) => f,
            Err(_) => return self.finish(t, API, Err(WsaError::WSAEFAULT), fail),
        };
        let meta = match self.source_meta(lp_from, lp_fromlen) {
            Ok(m) => m,
            Err(e) => return self.finish(t, API, Err(e), fail),
        };
        self.recv_from_common(
            t,
            API,
            target,
            bufs,
            lp_number_of_bytes_recvd,
            lp_flags,
            flags,
            meta,
            lp_overlapped,
            lp_completion_routine,
        )
    }

    /// `int WSARecvMsg(SOCKET s, LPWSAMSG lpMsg, LPDWORD lpdwNumberOfBytesRecvd,
    /// LPWSAOVERLAPPED lpOverlapped, LPWSAOVERLAPPED_COMPLETION_ROUTINE
    /// lpCompletionRoutine)` (obtained with `WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER,
    /// WSAID_WSARECVMSG)`). The source address goes to `name`/`namelen`, the control
    /// data to `Control` (its `len` becomes the bytes written), and `dwFlags` receives
    /// `MSG_TRUNC`, `MSG_CTRUNC`, `MSG_BCAST` or `MSG_MCAST`; on input `dwFlags` may hold
    /// `MSG_PEEK`.
    pub fn wsa_recv_msg(
        &mut self,
        t: ThreadId,
        s: SOCKET,
        lp_msg: Ptr,
        lpdw_number_of_bytes_recvd: Ptr,
        lp_overlapped: Ptr,
        lp_completion_routine: Ptr,
    ) -> Call {
        const API: &str = "WSARecvMsg";
        self.trace_call(
            t,
            API,
            &[
                ("s", s),
                ("msg", lp_msg.0),
                ("ov", lp_overlapped.0),
                ("routine", lp_completion_routine.0),
            ],
        );
        let fail = i64::from(SOCKET_ERROR);
        let target = match self.prolog(t).and_then(|_| self.socket_ref(s)) {
            Ok(x) => x,
            Err(e) => return self.finish(t, API, Err(e), fail),
        };
        let (p, r, _) = target;
        // test_ip_pktinfo (wine): WSARecvMsg(s, NULL, NULL, NULL, NULL) is WSAEFAULT. The
        // WSAMSG is written back (name length, control length, flags): it must be
        // writable.
        let m = match self.read_wsamsg(lp_msg) {
            Ok(m) if self.k.mem().check(lp_msg, wm::SIZE, true).is_ok() => m,
            Ok(_) => return self.finish(t, API, Err(WsaError::WSAEFAULT), fail),
            Err(e) => return self.finish(t, API, Err(e), fail),
        };
        // As WSASendMsg: "can only be used with datagrams and raw sockets".
        if self.socket_type(p, r) == Some(SOCK_STREAM) {
            return self.finish(t, API, Err(WsaError::WSAEINVAL), fail);
        }
        if m.buffer_count == 0 {
            return self.finish(t, API, Err(WsaError::WSAEINVAL), fail);
        }
        let mut bufs: SmallVec<[WsaBuf; 4]> = SmallVec::new();
        if WsaBuf::read_array(self.k.mem(), m.buffers, m.buffer_count, &mut bufs).is_err() {
            return self.finish(t, API, Err(WsaError::WSAEFAULT), fail);
        }
        let c = m.control;
        if (c.buf.is_null() && c.len != 0)
            || (c.len > 0 && self.k.mem().check(c.buf, u64::from(c.len), true).is_err())
        {
            return self.finish(t, API, Err(WsaError::WSAEFAULT), fail);
        }
        let meta = RecvMeta {
            from: m.name,
            fromlen: if m.name.is_null() {
                Ptr::NULL
            } else {
                Ptr(lp_msg.0 + wm::NAMELEN)
            },
            control: c.buf,
            control_cap: c.len,
            control_len: Ptr(lp_msg.0 + wm::CONTROL_LEN),
            msg_flags: Ptr(lp_msg.0 + wm::DW_FLAGS),
        };
        // "MSG_PEEK ... (nonoverlapped only)" is the input flag WSAMSG.dwFlags documents.
        let flags = m.flags & MSG_PEEK;
        self.recv_from_common(
            t,
            API,
            target,
            bufs,
            lpdw_number_of_bytes_recvd,
            Ptr::NULL,
            flags,
            meta,
            lp_overlapped,
            lp_completion_routine,
        )
    }

    /// `lpFrom` / `lpFromlen`: both given or `from` NULL ("WSAEFAULT: The lpFrom or
    /// lpFromlen parameter is not totally contained in a valid part of the user address
    /// space"). Whether `*lpFromlen` is large enough for the socket's family is the
    /// provider's to check (wine-facts W19).
    fn source_meta(&self, from: Ptr, fromlen: Ptr) -> Result<RecvMeta, WsaError> {
        if from.is_null() {
            return Ok(RecvMeta::default());
        }
        let mem = self.k.mem();
        if fromlen.is_null() || mem.check(fromlen, 4, true).is_err() {
            return Err(WsaError::WSAEFAULT);
        }
        Ok(RecvMeta {
            from,
            fromlen,
            ..RecvMeta::default()
        })
    }

    /// As `WSARecv`'s `recv_common`, through `Provider::recv_from`.
    #[allow(clippy::too_many_arguments)]
    fn recv_from_common(
        &mut self,
        t: ThreadId,
        api: &'static str,
        (p, r, overlapped_attr): (usize, SocketRef, bool),
        bufs: SmallVec<[WsaBuf; 4]>,
        lp_recvd: Ptr,
        lp_flags: Ptr,
        flags: u32,
        meta: RecvMeta,
        ov: Ptr,
        routine: Ptr,
    ) -> Call {
        let fail = i64::from(SOCKET_ERROR);
        let is_wsa = api.starts_with("WSA");
        let caller_overlapped = !ov.is_null() || !routine.is_null();
        let overlapped = caller_overlapped && overlapped_attr;
        // wine-facts O17: on a socket without the overlapped attribute the call is made
        // synchronously, blocking even in nonblocking mode.
        let force_blocking =
            caller_overlapped && !overlapped_attr && self.providers[p].is_nonblocking(r);
        let sync_ov = if caller_overlapped && !overlapped_attr {
            ov
        } else {
            Ptr::NULL
        };
        let (ov, routine) = if overlapped {
            (ov, routine)
        } else {
            (Ptr::NULL, Ptr::NULL)
        };
        let mem = self.k.mem();
        if overlapped && (ov.is_null() || mem.check(ov, ovl::SIZE, true).is_err()) {
            return self.finish(t, api, Err(WsaError::WSAEFAULT), fail);
        }
        if is_wsa
            && ((!caller_overlapped && lp_recvd.is_null())
                || (!lp_recvd.is_null() && mem.check(lp_recvd, 4, true).is_err()))
        {
            return self.finish(t, api, Err(WsaError::WSAEFAULT), fail);
        }
        for b in &bufs {
            if b.len > 0 && mem.check(b.buf, u64::from(b.len), true).is_err() {
                return self.finish(t, api, Err(WsaError::WSAEFAULT), fail);
            }
        }
        if force_blocking {
            let _ = self.providers[p].ioctl(&mut self.k, r, FIONBIO, 0);
        }
        let res = self.providers[p].recv_from(&mut self.k, r, &bufs, flags, meta, ov, routine, t);
        if force_blocking {
            let _ = self.providers[p].ioctl(&mut self.k, r, FIONBIO, 1);
        }
        if !matches!(res, Err(WsaError::WSA_IO_PENDING)) {
            self.fill_sync_overlapped(sync_ov, &res);
        }
        match res {
            Ok((n, out_flags)) => {
                if !lp_recvd.is_null() && self.k.mem.write_u32(lp_recvd, n).is_err() {
                    return self.finish(t, api, Err(WsaError::WSAEFAULT), fail);
                }
                // wine-facts W10: a non-overlapped WSARecvMsg whose datagram (or control
                // data) was truncated still reports the bytes it delivered, and fails
                // with WSAEMSGSIZE (MSG_TRUNC / MSG_CTRUNC are in WSAMSG.dwFlags).
                if api == "WSARecvMsg" && out_flags & (MSG_TRUNC | MSG_CTRUNC) != 0 {
                    return self.finish(t, api, Err(WsaError::WSAEMSGSIZE), fail);
                }
                if !lp_flags.is_null() {
                    let _ = self.k.mem.write_u32(lp_flags, out_flags);
                }
                self.finish(t, api, Ok(if is_wsa { 0 } else { i64::from(n) }), fail)
            }
            Err(WsaError::WSA_IO_PENDING) if overlapped => {
                self.finish(t, api, Err(WsaError::WSA_IO_PENDING), fail)
            }
            Err(WsaError::WSA_IO_PENDING) => {
                let deadline = self.timeout_deadline(p, r, overlapped_attr, SO_RCVTIMEO);
                self.block_on_op(
                    t,
                    api,
                    p,
                    r,
                    Resume::Recv {
                        lp_recvd,
                        lp_flags,
                        sync_ov,
                    },
                    deadline,
                    fail,
                )
            }
            Err(e) => self.finish(t, api, Err(e), fail),
        }
    }
}
