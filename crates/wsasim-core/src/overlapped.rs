//! Overlapped operations: one request's life, `Pending -> Completed`, exactly once.
//!
//! Heads up:
//! - `Internal`: "Status of the request: STATUS_PENDING while outstanding, then the
//!   completion status"; `InternalHigh`: "Bytes transferred" (SDK `overlapped`).
//! - "InternalHigh is guaranteed set before Internal" (SDK
//!   `wpucompleteoverlappedrequest`).
//! - Completion indication matrix (W32 `receiving-completion-indications-2`):
//!   OVERLAPPED with no event and no routine: no Winsock notification (the socket handle
//!   is signalled, `wine-facts.md` O14); with an event: the event is signalled; with a
//!   routine: "the hEvent parameter is ignored" and the routine is queued (APC) to the
//!   issuing thread.
//! - A blocking call is an internal request with no OVERLAPPED that its thread waits on.

use crate::consts::{HANDLE, SOCKET};
use crate::memory::Ptr;
use crate::status::NtStatus;
use crate::thread::ThreadId;

/// How an operation reports its completion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notify {
    /// Signal this event (`hEvent`, low bit masked off).
    Event(HANDLE),
    /// Signal the socket handle itself (`hEvent` is NULL, no routine).
    Socket,
    /// Queue this completion routine to the issuing thread.
    Routine(Ptr),
    /// A blocking call waits on the operation; nothing is signalled.
    Internal,
}

/// The state of an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpState {
    /// Outstanding: `Internal == STATUS_PENDING`.
    Pending,
    /// Done, with its status, byte count and result value (the new socket of an accept).
    Completed {
        /// The NTSTATUS written to `Internal`.
        status: NtStatus,
        /// Bytes transferred, written to `InternalHigh`.
        bytes: u32,
        /// Result flags (receives).
        flags: u32,
        /// Extra result (accept: the new socket).
        info: u64,
    },
}

/// An overlapped (or internal) operation.
#[derive(Clone, Debug)]
pub struct Op {
    /// Its id, in order of issue.
    pub id: u64,
    /// The socket it was issued on.
    pub socket: SOCKET,
    /// The thread that issued it (routines run there).
    pub thread: ThreadId,
    /// The caller's `WSAOVERLAPPED`, or NULL for an internal request.
    pub ov: Ptr,
    /// How completion is reported.
    pub notify: Notify,
    /// Where it is in its life.
    pub state: OpState,
    /// `"send"`, `"recv"`, `"accept"`, `"connect"`.
    pub what: &'static str,
}

impl Op {
    /// Whether it is still outstanding.
    pub fn is_pending(&self) -> bool {
        self.state == OpState::Pending
    }
}
