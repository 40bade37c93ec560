//! `WSARecv` and `recv`: enough of the receive side to drain a peer and observe sends.
//!
//! Heads up: SDK `wsarecv`, `recv`; `wine-facts.md` O15-O20, R9, E37.

use crate::consts::*;
use crate::error::WsaError;
use crate::memory::{overlapped_layout as ovl, Ptr, UserMemoryExt, WsaBuf};
use crate::provider::SocketRef;
use crate::thread::{Resume, ThreadId};
use crate::world::{Call, World};
use smallvec::SmallVec;

impl World {
    /// `int WSARecv(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount, LPDWORD
    /// lpNumberOfBytesRecvd, LPDWORD lpFlags, LPWSAOVERLAPPED lpOverlapped,
    /// LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine)`.
    #[allow(clippy::too_many_arguments)]
    pub fn wsa_recv(
        &mut self,
        t: ThreadId,
        s: SOCKET,
        lp_buffers: Ptr,
        dw_buffer_count: u32,
        lp_number_of_bytes_recvd: Ptr,
        lp_flags: Ptr,
        lp_overlapped: Ptr,
        lp_completion_routine: Ptr,
    ) -> Call {
        self.trace_call(
            t,
            "WSARecv",
            &[
                ("s", s),
                ("count", u64::from(dw_buffer_count)),
                ("ov", lp_overlapped.0),
                ("routine", lp_completion_routine.0),
            ],
        );
        let fail = i64::from(SOCKET_ERROR);
        let target = match self.prolog(t).and_then(|_| self.socket_ref(s)) {
            Ok(x) => x,
            Err(e) => return self.finish(t, "WSARecv", Err(e), fail),
        };
        // wine-facts O19: dwBufferCount = 0 is WSAEINVAL.
        if dw_buffer_count == 0 {
            return self.finish(t, "WSARecv", Err(WsaError::WSAEINVAL), fail);
        }
        let mut bufs: SmallVec<[WsaBuf; 4]> = SmallVec::new();
        if WsaBuf::read_array(self.k.mem(), lp_buffers, dw_buffer_count, &mut bufs).is_err() {
            return self.finish(t, "WSARecv", Err(WsaError::WSAEFAULT), fail);
        }
        if lp_flags.is_null() || self.k.mem().check(lp_flags, 4, true).is_err() {
            return self.finish(t, "WSARecv", Err(WsaError::WSAEFAULT), fail);
        }
        let flags = match self.k.mem.read_u32(lp_flags) {
            Ok(f) => f,
            Err(_) => return self.finish(t, "WSARecv", Err(WsaError::WSAEFAULT), fail),
        };
        self.recv_common(
            t,
            "WSARecv",
            target,
            bufs,
            lp_number_of_bytes_recvd,
            lp_flags,
            flags,
            lp_overlapped,
            lp_completion_routine,
        )
    }

    /// `int recv(SOCKET s, char *buf, int len, int flags)`: bytes received, 0 at a
    /// graceful close.
    pub fn recv(&mut self, t: ThreadId, s: SOCKET, buf: Ptr, len: i32, flags: i32) -> Call {
        self.trace_call(
            t,
            "recv",
            &[
                ("s", s),
                ("buf", buf.0),
                ("len", len as u64),
                ("flags", flags as u64),
            ],
        );
        let fail = i64::from(SOCKET_ERROR);
        let target = match self.prolog(t).and_then(|_| self.socket_ref(s)) {
            Ok(x) => x,
            Err(e) => return self.finish(t, "recv", Err(e), fail),
        };
        // wine-facts E37: recv(len = -1) is WSAEFAULT.
        if len < 0 {
            return self.finish(t, "recv", Err(WsaError::WSAEFAULT), fail);
        }
        let bufs: SmallVec<[WsaBuf; 4]> = smallvec::smallvec![WsaBuf {
            len: len as u32,
            buf
        }];
        self.recv_common(
            t,
            "recv",
            target,
            bufs,
            Ptr::NULL,
            Ptr::NULL,
            flags as u32,
            Ptr::NULL,
            Ptr::NULL,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn recv_common(
        &mut self,
        t: ThreadId,
        api: &'static str,
        (p, r, overlapped_attr): (usize, SocketRef, bool),
        bufs: SmallVec<[WsaBuf; 4]>,
        lp_recvd: Ptr,
        lp_flags: Ptr,
        flags: u32,
        ov: Ptr,
        routine: Ptr,
    ) -> Call {
        let fail = i64::from(SOCKET_ERROR);
        let is_wsa = api == "WSARecv";
        let caller_overlapped = !ov.is_null() || !routine.is_null();
        let overlapped = caller_overlapped && overlapped_attr;
        // wine-facts O17: on a socket without the overlapped attribute, a WSARecv given
        // an OVERLAPPED blocks until data arrives, even in nonblocking mode (and takes a
        // NULL lpNumberOfBytesRecvd, as any call with an lpOverlapped may).
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
        // "The lpCompletionRoutine ... parameter is not totally contained in a valid part
        // of the user address space" (WSARecv, error table).
        if !routine.is_null() && mem.check_code(routine).is_err() {
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
        let res = self.providers[p].recv(&mut self.k, r, &bufs, flags, ov, routine, t);
        if force_blocking {
            // Back to nonblocking: a receive that waits is already queued.
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
