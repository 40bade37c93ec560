//! The ws2 layer (the "switch"): the Winsock API, validating its arguments in Windows'
//! order and dispatching to the socket's provider. One file per family of calls:
//!
//! - `startup.rs`: `WSAStartup`, `WSACleanup`, last error, Windows Sockets 1.1 calls;
//! - `send.rs`: `WSASend`, `send`;
//! - `recv.rs`: `WSARecv`, `recv`;
//! - `socket.rs`: `socket`, `WSASocket`, `bind`, `listen`, `accept`, `connect`,
//!   `getsockname`, `getpeername`, `shutdown`, `closesocket`;
//! - `sockopt.rs`: `setsockopt`, `getsockopt`, `ioctlsocket`;
//! - `wait.rs`: events, `WSAWaitForMultipleEvents`, `SleepEx`, `WSAGetOverlappedResult`,
//!   `QueueUserAPC`;
//! - `sendmsg.rs`: `WSASendMsg`, `WSASendTo`, `sendto`;
//! - `recvfrom.rs`: `recvfrom`, `WSARecvFrom`, `WSARecvMsg`;
//! - `ioctl.rs`: `WSAIoctl` (`SIO_GET_EXTENSION_FUNCTION_POINTER` and friends).
//!
//! Every function takes the calling thread first; the rest of its arguments map one to
//! one onto Winsock's, with pointers as addresses in the application's memory.

mod iocp;
mod ioctl;
mod kernel32;
mod recv;
mod recvfrom;
mod send;
mod sendmsg;
mod socket;
mod sockopt;
mod startup;
mod wait;

pub use sendmsg::{EXT_FN_WSARECVMSG, EXT_FN_WSASENDMSG};

use crate::consts::*;
use crate::error::WsaError;
use crate::memory::{Ptr, UserMemoryExt};
use crate::overlapped::OpState;
use crate::provider::SocketRef;
use crate::thread::{Resume, ThreadId, Wait, WaitFor};
use crate::world::{Call, Outcome, World};

impl World {
    /// Produces a resumed call's return value when its wait ends.
    pub(crate) fn resume(&mut self, t: ThreadId, w: &Wait, outcome: Outcome) -> Call {
        let api = w.api;
        match w.resume {
            Resume::Sleep => {
                let v = if outcome == Outcome::IoCompletion {
                    WAIT_IO_COMPLETION
                } else {
                    0
                };
                self.k.trace(crate::trace::Record::Return {
                    thread: t.0,
                    api,
                    ret: i64::from(v),
                    error: 0,
                });
                Call::Done(i64::from(v))
            }
            Resume::WaitHandles => {
                let v = match outcome {
                    Outcome::Satisfied(i) => WSA_WAIT_EVENT_0 + i,
                    Outcome::IoCompletion => WSA_WAIT_IO_COMPLETION,
                    Outcome::Timeout | Outcome::Cancelled => WSA_WAIT_TIMEOUT,
                };
                self.finish(t, api, Ok(i64::from(v)), 0)
            }
            Resume::GetOverlappedResult {
                s,
                ov,
                lp_transfer,
                lp_flags,
            } => {
                let r = self.overlapped_result_now(s, ov, lp_transfer, lp_flags, true);
                self.finish(t, api, r.map(|_| 1), 0)
            }
            Resume::Send { lp_sent, sync_ov }
            | Resume::Recv {
                lp_recvd: lp_sent,
                sync_ov,
                ..
            } => {
                let WaitFor::Op(op) = w.on else {
                    unreachable!("a blocking transfer waits on its operation")
                };
                let r = self
                    .end_blocking_op(op, outcome)
                    .map(|(bytes, flags, _)| (bytes, flags));
                self.fill_sync_overlapped(sync_ov, &r);
                let r = r.and_then(|(bytes, flags)| {
                    if !lp_sent.is_null() {
                        self.k
                            .mem
                            .write_u32(lp_sent, bytes)
                            .map_err(|_| WsaError::WSAEFAULT)?;
                    }
                    if let Resume::Recv { lp_flags, .. } = w.resume {
                        if !lp_flags.is_null() {
                            self.k
                                .mem
                                .write_u32(lp_flags, flags)
                                .map_err(|_| WsaError::WSAEFAULT)?;
                        }
                    }
                    // WSASend/WSARecv return 0 and write the count; send/recv return it.
                    Ok(if api.starts_with("WSA") {
                        0
                    } else {
                        i64::from(bytes)
                    })
                });
                self.finish(t, api, r, i64::from(SOCKET_ERROR))
            }
            Resume::Accept { addr, addrlen } => {
                let WaitFor::Op(op) = w.on else {
                    unreachable!("accept waits on its operation")
                };
                let r = self.end_blocking_op(op, outcome).and_then(|(_, _, info)| {
                    self.write_peer(info, addr, addrlen)?;
                    Ok(info as i64)
                });
                self.finish(t, api, r, INVALID_SOCKET as i64)
            }
            Resume::Connect => {
                let WaitFor::Op(op) = w.on else {
                    unreachable!("connect waits on its operation")
                };
                let r = self.end_blocking_op(op, outcome).map(|_| 0);
                self.finish(t, api, r, i64::from(SOCKET_ERROR))
            }
            Resume::Dequeue {
                port,
                lp_bytes,
                lp_key,
                lp_ov,
            } => match outcome {
                Outcome::Satisfied(_) => self.dequeue_packet(t, port, lp_bytes, lp_key, lp_ov),
                _ => {
                    let _ = self.k.mem.write_u64(lp_ov, 0);
                    self.finish(t, api, Err(WsaError(WAIT_TIMEOUT)), 0)
                }
            },
            Resume::Close => {
                let WaitFor::Op(op) = w.on else {
                    unreachable!("a lingering close waits on its operation")
                };
                // "the return value can't tell whether data was delivered": 0 either way.
                let _ = self.end_blocking_op(op, outcome);
                self.finish(t, api, Ok(0), i64::from(SOCKET_ERROR))
            }
        }
    }

    /// Ends a blocking call's internal operation: its result, or (time-out,
    /// `WSACancelBlockingCall`) cancels it in the provider first.
    /// Returns `(bytes, flags, info)`: `info` is the operation's extra result (accept: the
    /// new socket).
    fn end_blocking_op(&mut self, op: u64, outcome: Outcome) -> Result<(u32, u32, u64), WsaError> {
        let cancel = match outcome {
            Outcome::Timeout => Some(WsaError::WSAETIMEDOUT),
            // "A blocking Windows Socket 1.1 call was canceled through
            // WSACancelBlockingCall."
            Outcome::Cancelled => Some(WsaError::WSAEINTR),
            _ => None,
        };
        if let Some(e) = cancel {
            let socket = self.k.op(op).map(|o| o.socket);
            let target = socket
                .and_then(|s| self.socket_ref(s).ok())
                .map(|(p, r, _)| (p, r))
                .or(self.closing.get(&op).copied());
            match target {
                Some((p, r)) => self.providers[p].cancel_op(&mut self.k, r, op, e),
                None => {
                    if self.k.op(op).is_some_and(|o| o.is_pending()) {
                        self.k
                            .complete_op(op, crate::status::NtStatus::from_wsa(e), 0, 0, 0);
                    }
                }
            }
        }
        self.closing.remove(&op);
        match self.k.take_op(op) {
            Some(OpState::Completed {
                status,
                bytes,
                flags,
                info,
            }) => {
                if status.is_success() {
                    Ok((bytes, flags, info))
                } else {
                    Err(cancel.unwrap_or(status.to_wsa_exact()))
                }
            }
            _ => Err(cancel.unwrap_or(WsaError::WSAEINVAL)),
        }
    }

    /// wine-facts O17: an OVERLAPPED given on a socket without the overlapped attribute
    /// does not make the call overlapped, but once the synchronous call is over it holds
    /// the result (`Internal`, `InternalHigh`) and its event is signalled, as for any
    /// completed request.
    pub(crate) fn fill_sync_overlapped(&mut self, ov: Ptr, r: &Result<(u32, u32), WsaError>) {
        if ov.is_null() {
            return;
        }
        use crate::memory::overlapped_layout as ovl;
        let (status, bytes) = match r {
            Ok((n, _)) => (crate::status::NtStatus::SUCCESS, *n),
            Err(e) => (crate::status::NtStatus::from_wsa(*e), 0),
        };
        let _ = self
            .k
            .mem
            .write_u64(Ptr(ov.0 + ovl::INTERNAL_HIGH), u64::from(bytes));
        let _ = self
            .k
            .mem
            .write_u64(Ptr(ov.0 + ovl::INTERNAL), u64::from(status.0));
        if let Ok(h) = self.k.mem.read_u64(Ptr(ov.0 + ovl::HEVENT)) {
            if h & !1 != 0 {
                self.k.set_event(h);
            }
        }
    }

    /// Writes the peer address of socket `s` to `addr`/`addrlen` when `addr` is given.
    pub(crate) fn write_peer(&mut self, s: u64, addr: Ptr, addrlen: Ptr) -> Result<(), WsaError> {
        if addr.is_null() {
            return Ok(());
        }
        let (p, r, _) = self.socket_ref(s)?;
        let peer = self.providers[p].peer_name(&self.k, r)?;
        peer.write_out(&mut *self.k.mem, addr, addrlen)
    }

    /// The `SO_SNDTIMEO`/`SO_RCVTIMEO` deadline of a blocking call, if any. "SO_RCVTIMEO
    /// and SO_SNDTIMEO only work on WSASocket sockets created with WSA_FLAG_OVERLAPPED;
    /// otherwise the timeout never takes effect" (SDK wsasocketw).
    pub(crate) fn timeout_deadline(
        &mut self,
        p: usize,
        r: SocketRef,
        overlapped_attr: bool,
        name: i32,
    ) -> Option<crate::time::Instant> {
        if !overlapped_attr {
            return None;
        }
        match self.providers[p].get_option(&mut self.k, r, SOL_SOCKET, name) {
            Ok(crate::provider::OptValue::Int(ms)) if ms > 0 => {
                Some(self.k.now() + crate::time::Duration::from_millis(u64::from(ms)))
            }
            _ => None,
        }
    }
}
