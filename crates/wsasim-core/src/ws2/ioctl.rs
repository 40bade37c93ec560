//! `WSAIoctl`: `SIO_GET_EXTENSION_FUNCTION_POINTER` (for `WSASendMsg` and
//! `WSARecvMsg`), the `ioctlsocket` commands, and the answer for every other code.
//!
//! Heads up: SDK `wsaioctl`; `wine-facts.md` O5-O9, O26, C3, L6, P10 (verified by
//! `test_get_extension_func`, `test_unsupported_ioctls`, `test_fionbio`).

use super::sendmsg::{EXT_FN_WSARECVMSG, EXT_FN_WSASENDMSG};
use crate::consts::*;
use crate::error::WsaError;
use crate::memory::{overlapped_layout as ovl, Ptr, UserMemoryExt};
use crate::status::NtStatus;
use crate::thread::ThreadId;
use crate::world::{Call, World};

/// `sizeof(GUID)`.
const GUID_SIZE: u32 = 16;

impl World {
    /// `int WSAIoctl(SOCKET s, DWORD dwIoControlCode, LPVOID lpvInBuffer, DWORD
    /// cbInBuffer, LPVOID lpvOutBuffer, DWORD cbOutBuffer, LPDWORD lpcbBytesReturned,
    /// LPWSAOVERLAPPED lpOverlapped, LPWSAOVERLAPPED_COMPLETION_ROUTINE
    /// lpCompletionRoutine)`.
    ///
    /// `SIO_GET_EXTENSION_FUNCTION_POINTER` with `WSAID_WSASENDMSG` or
    /// `WSAID_WSARECVMSG` writes [`EXT_FN_WSASENDMSG`] or [`EXT_FN_WSARECVMSG`] (the
    /// embedder maps them to its functions); any other GUID is `WSAEINVAL`.
    #[allow(clippy::too_many_arguments)]
    pub fn wsa_ioctl(
        &mut self,
        t: ThreadId,
        s: SOCKET,
        dw_io_control_code: u32,
        lpv_in_buffer: Ptr,
        cb_in_buffer: u32,
        lpv_out_buffer: Ptr,
        cb_out_buffer: u32,
        lpcb_bytes_returned: Ptr,
        lp_overlapped: Ptr,
        lp_completion_routine: Ptr,
    ) -> Call {
        const API: &str = "WSAIoctl";
        self.trace_call(
            t,
            API,
            &[
                ("s", s),
                ("code", u64::from(dw_io_control_code)),
                ("in", cb_in_buffer.into()),
                ("out", cb_out_buffer.into()),
                ("ov", lp_overlapped.0),
                ("routine", lp_completion_routine.0),
            ],
        );
        let fail = i64::from(SOCKET_ERROR);
        let (p, r, overlapped_attr) = match self.prolog(t).and_then(|_| self.socket_ref(s)) {
            Ok(x) => x,
            Err(e) => return self.finish(t, API, Err(e), fail),
        };
        let overlapped =
            (!lp_overlapped.is_null() || !lp_completion_routine.is_null()) && overlapped_attr;
        let mem = self.k.mem();
        // wine-facts O26, P10: a NULL (or unwritable) lpcbBytesReturned is WSAEFAULT,
        // with or without an OVERLAPPED; nothing is queued.
        if lpcb_bytes_returned.is_null() || mem.check(lpcb_bytes_returned, 4, true).is_err() {
            return self.finish(t, API, Err(WsaError::WSAEFAULT), fail);
        }
        if overlapped
            && (lp_overlapped.is_null() || mem.check(lp_overlapped, ovl::SIZE, true).is_err())
        {
            return self.finish(t, API, Err(WsaError::WSAEFAULT), fail);
        }
        let result: Result<u32, WsaError> = match dw_io_control_code {
            SIO_GET_EXTENSION_FUNCTION_POINTER => {
                self.extension_function(lpv_in_buffer, cb_in_buffer, lpv_out_buffer, cb_out_buffer)
            }
            FIONBIO => {
                // P10: an input of 3 bytes is WSAEFAULT, 5 is fine; the output is ignored.
                match (cb_in_buffer >= 4).then(|| self.k.mem.read_u32(lpv_in_buffer)) {
                    Some(Ok(arg)) => self.providers[p]
                        .ioctl(&mut self.k, r, FIONBIO, arg)
                        .map(|_| 0),
                    _ => Err(WsaError::WSAEFAULT),
                }
            }
            FIONREAD | SIOCATMARK => {
                if cb_out_buffer < 4 || self.k.mem().check(lpv_out_buffer, 4, true).is_err() {
                    Err(WsaError::WSAEFAULT)
                } else {
                    self.providers[p]
                        .ioctl(&mut self.k, r, dw_io_control_code, 0)
                        .and_then(|v| {
                            self.k
                                .mem
                                .write_u32(lpv_out_buffer, v)
                                .map_err(|_| WsaError::WSAEFAULT)
                        })
                        .map(|_| 4)
                }
            }
            // wine-facts O9, X12: an unsupported code (SIO_FLUSH among them) is
            // WSAEOPNOTSUPP with *lpcbBytesReturned = 0; overlapped, it pends and completes
            // with STATUS_NOT_SUPPORTED, the count untouched.
            _ => {
                if overlapped {
                    return self.ioctl_overlapped(
                        t,
                        s,
                        lp_overlapped,
                        lp_completion_routine,
                        NtStatus::NOT_SUPPORTED,
                    );
                }
                let _ = self.k.mem.write_u32(lpcb_bytes_returned, 0);
                Err(WsaError::WSAEOPNOTSUPP)
            }
        };
        match result {
            Ok(size) => {
                // wine-facts L6, O8: success writes the output size and sets the last error
                // to 0; an overlapped call that succeeds at once still completes its
                // OVERLAPPED (Internal 0, InternalHigh 0), signals the event or queues the
                // routine with (0, 0) (C3).
                let _ = self.k.mem.write_u32(lpcb_bytes_returned, size);
                if overlapped {
                    match self
                        .k
                        .begin_op(s, t, lp_overlapped, lp_completion_routine, "ioctl", 0)
                    {
                        Ok(op) => self.k.complete_op(op, NtStatus::SUCCESS, 0, 0, 0),
                        Err(e) => return self.finish(t, API, Err(e), fail),
                    }
                }
                self.finish(t, API, Ok(0), fail)
            }
            // wine-facts O6, O7: an immediate failure leaves Internal, InternalHigh and
            // the count untouched, and queues nothing.
            Err(e) => self.finish(t, API, Err(e), fail),
        }
    }

    /// `SIO_GET_EXTENSION_FUNCTION_POINTER`: the input is a `GUID`, the output a function
    /// pointer. Returns the output size.
    fn extension_function(
        &mut self,
        input: Ptr,
        cb_in: u32,
        output: Ptr,
        cb_out: u32,
    ) -> Result<u32, WsaError> {
        let mut guid = [0u8; GUID_SIZE as usize];
        if cb_in < GUID_SIZE || self.k.mem().read(input, &mut guid).is_err() {
            return Err(WsaError::WSAEFAULT);
        }
        let f = match guid {
            WSAID_WSASENDMSG => EXT_FN_WSASENDMSG,
            WSAID_WSARECVMSG => EXT_FN_WSARECVMSG,
            // wine-facts O6: a bogus GUID is WSAEINVAL.
            _ => return Err(WsaError::WSAEINVAL),
        };
        if cb_out < 8 {
            return Err(WsaError::WSAEFAULT);
        }
        self.k
            .mem
            .write_u64(output, f)
            .map_err(|_| WsaError::WSAEFAULT)?;
        Ok(8)
    }

    /// An overlapped request the provider does not support: pending, then completed with
    /// `status` (wine-facts O9).
    fn ioctl_overlapped(
        &mut self,
        t: ThreadId,
        s: SOCKET,
        ov: Ptr,
        routine: Ptr,
        status: NtStatus,
    ) -> Call {
        let fail = i64::from(SOCKET_ERROR);
        match self.k.begin_op(s, t, ov, routine, "ioctl", 0) {
            Ok(op) => {
                self.k.complete_op(op, status, 0, 0, 0);
                self.finish(t, "WSAIoctl", Err(WsaError::WSA_IO_PENDING), fail)
            }
            Err(e) => self.finish(t, "WSAIoctl", Err(e), fail),
        }
    }
}
