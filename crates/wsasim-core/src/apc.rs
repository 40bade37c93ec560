//! Asynchronous procedure calls: what sits in a thread's APC queue.
//!
//! Heads up: "Each thread has its own APC queue"; "the thread handles all pending APCs
//! in first in, first out (FIFO) order, and the wait operation returns
//! WAIT_IO_COMPLETION" (SDK `queueuserapc`). Completion routines are APCs queued to the
//! thread that issued the operation ("Completion routines must run in the initiating
//! thread, hence the APC mechanism", W32 `overlapped-i-o-2`).

use crate::consts::SOCKET;
use crate::memory::Ptr;

/// What an APC runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApcKind {
    /// A Winsock completion routine:
    /// `void CALLBACK (DWORD dwError, DWORD cbTransferred, LPWSAOVERLAPPED, DWORD dwFlags)`.
    CompletionRoutine {
        /// The routine's address.
        routine: Ptr,
        /// `dwError`: a Winsock code, 0 on success.
        error: u32,
        /// `cbTransferred`.
        bytes: u32,
        /// `lpOverlapped`: the caller's pointer.
        overlapped: Ptr,
        /// `dwFlags`: "Currently there are no flag values defined and dwFlags will be zero."
        flags: u32,
        /// The socket of the operation (routines for one socket never nest).
        socket: SOCKET,
        /// The operation, for the trace.
        op: u64,
    },
    /// `QueueUserAPC(pfnAPC, hThread, dwData)`: `void CALLBACK (ULONG_PTR dwParam)`.
    User {
        /// The function's address.
        func: Ptr,
        /// `dwData`.
        param: u64,
    },
    /// `WPUQueueApc(lpThreadId, lpfnUserApc, dwContext)`: a provider's own APC function.
    Provider {
        /// The function's address.
        func: Ptr,
        /// `dwContext`: the single context value.
        context: u64,
        /// The socket it concerns, if the provider said so (non-nesting rule).
        socket: Option<SOCKET>,
    },
}

/// An APC waiting in a thread's queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Apc {
    /// Order of queueing across the whole run.
    pub seq: u64,
    /// What it runs.
    pub kind: ApcKind,
}

impl Apc {
    /// The socket whose completion routines must not nest with this one, if any.
    pub fn socket(&self) -> Option<SOCKET> {
        match self.kind {
            ApcKind::CompletionRoutine { socket, .. } => Some(socket),
            ApcKind::Provider { socket, .. } => socket,
            ApcKind::User { .. } => None,
        }
    }

    /// Whether this is a completion routine (whose order is a documented freedom).
    pub fn is_completion(&self) -> bool {
        !matches!(self.kind, ApcKind::User { .. })
    }

    /// Name used in the trace.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            ApcKind::CompletionRoutine { .. } => "completion",
            ApcKind::User { .. } => "user",
            ApcKind::Provider { .. } => "provider",
        }
    }

    /// The operation or function it carries, for the trace.
    pub fn target(&self) -> u64 {
        match self.kind {
            ApcKind::CompletionRoutine { op, .. } => op,
            ApcKind::User { func, .. } | ApcKind::Provider { func, .. } => func.0,
        }
    }
}
