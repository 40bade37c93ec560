//! `WSASend` and `send`.
//!
//! Heads up: read the WSASend seed (`seeds/000`) in full. Validation order, verified on
//! Windows (`wine-facts.md` E2-E4): initialised, then a socket, then pointers, then the
//! socket's state (the provider checks that).

use crate::config::Profile;
use crate::consts::*;
use crate::error::WsaError;
use crate::memory::{overlapped_layout as ovl, Ptr, UserMemoryExt, WsaBuf};
use crate::provider::SocketRef;
use crate::thread::{Resume, ThreadId};
use crate::world::{Call, World};
use smallvec::SmallVec;

/// Flags a send may carry: "MSG_DONTROUTE", "MSG_OOB", "MSG_PARTIAL" (WSASend, Using
/// dwFlags). Others are `WSAEINVAL` ("an unknown flag was specified", send).
const SEND_FLAGS: u32 = MSG_OOB | MSG_DONTROUTE | MSG_PARTIAL;

impl World {
    /// `int WSASend(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount, LPDWORD
    /// lpNumberOfBytesSent, DWORD dwFlags, LPWSAOVERLAPPED lpOverlapped,
    /// LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine)`.
    #[allow(clippy::too_many_arguments)]
    pub fn wsa_send(
        &mut self,
        t: ThreadId,
        s: SOCKET,
        lp_buffers: Ptr,
        dw_buffer_count: u32,
        lp_number_of_bytes_sent: Ptr,
        dw_flags: u32,
        lp_overlapped: Ptr,
        lp_completion_routine: Ptr,
    ) -> Call {
        self.trace_call(
            t,
            "WSASend",
            &[
                ("s", s),
                ("count", u64::from(dw_buffer_count)),
                ("sent", lp_number_of_bytes_sent.0),
                ("flags", u64::from(dw_flags)),
                ("ov", lp_overlapped.0),
                ("routine", lp_completion_routine.0),
            ],
        );
        let fail = i64::from(SOCKET_ERROR);
        let target = match self.send_prolog(t, s) {
            Ok(x) => x,
            Err(e) => return self.finish(t, "WSASend", Err(e), fail),
        };
        // "The lpBuffers ... parameter is not totally contained in a valid part of the
        // user address space." The provider captures the array before returning; here the
        // switch reads it once, so a stack-based array is fine.
        let mut bufs: SmallVec<[WsaBuf; 4]> = SmallVec::new();
        if dw_buffer_count == 0 {
            // No buffers at all: WSAEINVAL, as verified for WSARecv (wine-facts O19).
            return self.finish(t, "WSASend", Err(WsaError::WSAEINVAL), fail);
        }
        if WsaBuf::read_array(self.k.mem(), lp_buffers, dw_buffer_count, &mut bufs).is_err() {
            return self.finish(t, "WSASend", Err(WsaError::WSAEFAULT), fail);
        }
        self.send_common(
            t,
            "WSASend",
            target,
            bufs,
            lp_number_of_bytes_sent,
            dw_flags,
            lp_overlapped,
            lp_completion_routine,
        )
    }

    /// `int send(SOCKET s, const char *buf, int len, int flags)`: "the same blocking
    /// semantics"; returns the number of bytes sent.
    pub fn send(&mut self, t: ThreadId, s: SOCKET, buf: Ptr, len: i32, flags: i32) -> Call {
        self.trace_call(
            t,
            "send",
            &[
                ("s", s),
                ("buf", buf.0),
                ("len", len as u64),
                ("flags", flags as u64),
            ],
        );
        let fail = i64::from(SOCKET_ERROR);
        let target = match self.send_prolog(t, s) {
            Ok(x) => x,
            Err(e) => return self.finish(t, "send", Err(e), fail),
        };
        if len < 0 {
            return self.finish(t, "send", Err(WsaError::WSAEFAULT), fail);
        }
        let bufs: SmallVec<[WsaBuf; 4]> = smallvec::smallvec![WsaBuf {
            len: len as u32,
            buf
        }];
        self.send_common(
            t,
            "send",
            target,
            bufs,
            Ptr::NULL,
            flags as u32,
            Ptr::NULL,
            Ptr::NULL,
        )
    }

    fn send_prolog(
        &mut self,
        t: ThreadId,
        s: SOCKET,
    ) -> Result<(usize, SocketRef, bool), WsaError> {
        self.prolog(t)?;
        // "The descriptor is not a socket."
        self.socket_ref(s)
    }

    #[allow(clippy::too_many_arguments)]
    fn send_common(
        &mut self,
        t: ThreadId,
        api: &'static str,
        (p, r, overlapped_attr): (usize, SocketRef, bool),
        bufs: SmallVec<[WsaBuf; 4]>,
        lp_sent: Ptr,
        flags: u32,
        ov: Ptr,
        routine: Ptr,
    ) -> Call {
        let fail = i64::from(SOCKET_ERROR);
        let is_wsa = api == "WSASend";
        // "For sockets with the overlapped attribute, WSASend uses overlapped I/O unless
        // both the lpOverlapped and lpCompletionRoutine parameters are NULL."
        let mut overlapped = !ov.is_null() || !routine.is_null();
        let mut sync_ov = Ptr::NULL;
        if overlapped && !overlapped_attr {
            // "WSAEINVAL: ... the socket is not created with the overlapped flag" is the
            // documented answer. Verified Windows ignores the OVERLAPPED and performs the
            // call synchronously, blocking (wine-facts O17).
            if self.k.profile() == Profile::Documented {
                return self.finish(t, api, Err(WsaError::WSAEINVAL), fail);
            }
            overlapped = false;
            sync_ov = ov;
        }
        let (ov, routine) = if overlapped {
            (ov, routine)
        } else {
            (Ptr::NULL, Ptr::NULL)
        };
        let mem = self.k.mem();
        let bad = |p: Ptr, len: u64| p.is_null() || mem.check(p, len, true).is_err();
        if overlapped && bad(ov, ovl::SIZE) {
            return self.finish(t, api, Err(WsaError::WSAEFAULT), fail);
        }
        // "The ... lpCompletionRoutine parameter is not totally contained in a valid part
        // of the user address space" (WSASend, error table).
        if !routine.is_null() && mem.check_code(routine).is_err() {
            return self.finish(t, api, Err(WsaError::WSAEFAULT), fail);
        }
        // "This parameter can be NULL only if the lpOverlapped parameter is not NULL"
        // (wine-facts E4 for WSASendTo); when given, it must be writable.
        if is_wsa
            && ((!overlapped && sync_ov.is_null() && bad(lp_sent, 4))
                || (!lp_sent.is_null() && bad(lp_sent, 4))
                || (!sync_ov.is_null() && bad(sync_ov, ovl::SIZE)))
        {
            return self.finish(t, api, Err(WsaError::WSAEFAULT), fail);
        }
        // The data buffers are probed when the request is built, as the system locks
        // them; their bytes are read only when the transport consumes them.
        for b in &bufs {
            if b.len > 0 && mem.check(b.buf, u64::from(b.len), false).is_err() {
                return self.finish(t, api, Err(WsaError::WSAEFAULT), fail);
            }
        }
        if flags & !SEND_FLAGS != 0 {
            return self.finish(t, api, Err(WsaError::WSAEINVAL), fail);
        }
        // wine-facts O17: the synchronous call blocks even in nonblocking mode.
        let force_blocking = !sync_ov.is_null() && self.providers[p].is_nonblocking(r);
        if force_blocking {
            let _ = self.providers[p].ioctl(&mut self.k, r, FIONBIO, 0);
        }
        let res = self.dispatch_wsp_send(p, r, &bufs, flags, ov, routine, t);
        if force_blocking {
            let _ = self.providers[p].ioctl(&mut self.k, r, FIONBIO, 1);
        }
        if !matches!(res, Err(WsaError::WSA_IO_PENDING)) {
            let filled = res.map(|n| (n, 0));
            self.fill_sync_overlapped(sync_ov, &filled);
        }
        match res {
            Ok(n) => {
                // "If the overlapped operation completes immediately, WSASend returns a
                // value of zero and the lpNumberOfBytesSent parameter is updated".
                if !lp_sent.is_null() && self.k.mem.write_u32(lp_sent, n).is_err() {
                    return self.finish(t, api, Err(WsaError::WSAEFAULT), fail);
                }
                self.finish(t, api, Ok(if is_wsa { 0 } else { i64::from(n) }), fail)
            }
            // "The error code WSA_IO_PENDING indicates that the overlapped operation has
            // been successfully initiated ... In this case, lpNumberOfBytesSent is not
            // updated."
            Err(WsaError::WSA_IO_PENDING) if overlapped => {
                self.finish(t, api, Err(WsaError::WSA_IO_PENDING), fail)
            }
            // A blocking send: "WSASend will block until all of the application buffer
            // contents have been consumed".
            Err(WsaError::WSA_IO_PENDING) => {
                let deadline = self.timeout_deadline(p, r, overlapped_attr, SO_SNDTIMEO);
                self.block_on_op(
                    t,
                    api,
                    p,
                    r,
                    Resume::Send { lp_sent, sync_ov },
                    deadline,
                    fail,
                )
            }
            // "Any other error code indicates that the overlapped operation was not
            // successfully initiated and no completion indication will occur."
            Err(e) => self.finish(t, api, Err(e), fail),
        }
    }
}
