//! Threads as kernel objects: a FIFO APC queue, a last error, and a stack of frames
//! (waits and the APCs running inside them).
//!
//! Heads up:
//! - "a user-mode APC runs only when the thread is alertable" (SDK `queueuserapc`).
//! - Blocking Winsock calls wait alertably: "Winsock performs an alertable wait in this
//!   situation, which can be interrupted by an asynchronous procedure call (APC)
//!   scheduled on the same thread" (WSASend, Remarks); verified in `wine-facts.md` C8.
//! - "Issuing another blocking Winsock call inside an APC that interrupted an ongoing
//!   blocking Winsock call on the same thread will lead to undefined behavior" (WSASend).
//!   The frame stack is how the model sees that case.

use crate::apc::Apc;
use crate::consts::{HANDLE, SOCKET};
use crate::handle::RawHandle;
use crate::memory::Ptr;
use crate::time::Instant;
use smallvec::SmallVec;
use std::collections::VecDeque;

/// A thread id, as `GetCurrentThreadId` returns it (multiples of 4, as on Windows).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ThreadId(pub u32);

/// How a wait treats APCs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alertable {
    /// APCs stay queued (`SleepEx(.., FALSE)`, `WSAGetOverlappedResult(fWait = TRUE)`).
    No,
    /// APCs run, then the wait returns `WAIT_IO_COMPLETION` (alertable `SleepEx`,
    /// `WSAWaitForMultipleEvents(.., TRUE)`).
    ReturnIoCompletion,
    /// APCs run and the call goes on waiting (blocking Winsock calls).
    RunAndContinue,
}

/// What a waiting thread waits for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WaitFor {
    /// Only the deadline (`SleepEx`).
    Nothing,
    /// Handles (events, sockets, threads): any one, or all.
    Handles {
        /// The handles, in the caller's order.
        handles: SmallVec<[RawHandle; 8]>,
        /// Wait for all of them.
        all: bool,
    },
    /// An operation (a blocking call's internal request).
    Op(u64),
}

/// What produces the call's return value when the wait ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resume {
    /// `SleepEx`: 0 at time-out.
    Sleep,
    /// `WSAWaitForMultipleEvents` / `WaitForMultipleObjects`: index, or time-out.
    WaitHandles,
    /// `WSAGetOverlappedResult(fWait = TRUE)`: re-read the OVERLAPPED.
    GetOverlappedResult {
        /// `s`.
        s: SOCKET,
        /// `lpOverlapped`.
        ov: Ptr,
        /// `lpcbTransfer`.
        lp_transfer: Ptr,
        /// `lpdwFlags`.
        lp_flags: Ptr,
    },
    /// A blocking send: bytes sent, written to `lp_sent` when non-null.
    Send {
        /// `lpNumberOfBytesSent` (NULL for `send`).
        lp_sent: Ptr,
        /// An OVERLAPPED given on a socket without the overlapped attribute: the call ran
        /// synchronously, and the OVERLAPPED is filled and its event signalled at the end
        /// (`wine-facts.md` O17). NULL otherwise.
        sync_ov: Ptr,
    },
    /// A blocking receive: bytes received.
    Recv {
        /// `lpNumberOfBytesRecvd` (NULL for `recv`).
        lp_recvd: Ptr,
        /// `lpFlags` (NULL for `recv`).
        lp_flags: Ptr,
        /// As for [`Resume::Send`].
        sync_ov: Ptr,
    },
    /// A blocking `accept`: the new socket.
    Accept {
        /// `addr`.
        addr: Ptr,
        /// `addrlen`.
        addrlen: Ptr,
    },
    /// A blocking `connect`: 0.
    Connect,
    /// A lingering `closesocket`: 0.
    Close,
    /// `GetQueuedCompletionStatus`: dequeue a packet.
    Dequeue {
        /// The port.
        port: u64,
        /// `lpNumberOfBytesTransferred`.
        lp_bytes: Ptr,
        /// `lpCompletionKey`.
        lp_key: Ptr,
        /// `lpOverlapped` (receives the packet's OVERLAPPED pointer).
        lp_ov: Ptr,
    },
}

/// A thread's wait.
#[derive(Clone, Debug)]
pub struct Wait {
    /// The API that waits.
    pub api: &'static str,
    /// What it waits for.
    pub on: WaitFor,
    /// When it times out.
    pub deadline: Option<Instant>,
    /// How it treats APCs.
    pub alertable: Alertable,
    /// How its result is produced.
    pub resume: Resume,
    /// Whether an APC ran during this wait.
    pub apcs_ran: bool,
    /// Set by `WSACancelBlockingCall`: the call fails with `WSAEINTR`.
    pub cancelled: bool,
    /// Whether this is a blocking Winsock call (not a plain wait).
    pub winsock_blocking: bool,
}

impl Wait {
    /// A wait that is not a blocking Winsock call (a plain wait: `SleepEx`, the wait
    /// functions, `WSAGetOverlappedResult`, `GetQueuedCompletionStatus`).
    pub fn new(
        api: &'static str,
        on: WaitFor,
        deadline: Option<Instant>,
        alertable: Alertable,
        resume: Resume,
    ) -> Wait {
        Wait {
            api,
            on,
            deadline,
            alertable,
            resume,
            apcs_ran: false,
            cancelled: false,
            winsock_blocking: false,
        }
    }
}

impl Alertable {
    /// `ReturnIoCompletion` for a true `bAlertable`/`fAlertable`, else `No`.
    pub fn from_flag(alertable: bool) -> Alertable {
        if alertable {
            Alertable::ReturnIoCompletion
        } else {
            Alertable::No
        }
    }
}

/// One level of a thread's call stack, as the model sees it.
#[derive(Clone, Debug)]
pub enum Frame {
    /// The thread waits.
    Wait(Wait),
    /// An APC runs on the thread, inside the wait below it.
    Apc {
        /// The socket whose completion routine runs (routines for one socket never nest).
        socket: Option<SOCKET>,
        /// The APC's sequence number.
        seq: u64,
    },
}

/// A thread.
#[derive(Debug)]
pub struct Thread {
    /// Its id.
    pub id: ThreadId,
    /// Its handle in the handle table.
    pub handle: HANDLE,
    /// `GetLastError` / `WSAGetLastError`.
    pub last_error: u32,
    /// The APC queue, FIFO.
    pub apcs: VecDeque<Apc>,
    /// Waits and APCs, innermost last.
    pub frames: Vec<Frame>,
    /// Exit code once exited.
    pub exit_code: Option<u32>,
    /// The internal operation a provider started for the blocking call in progress.
    pub blocking_op: Option<u64>,
    /// The simulated host the thread's process runs on (its sockets live there).
    pub host: crate::net::HostId,
    /// Whether it is the simulator's own thread (a scenario's scripted peer), not the
    /// program's: the sockets it creates are harness sockets
    /// ([`crate::World::mark_harness_thread`]).
    pub harness: bool,
}

impl Thread {
    /// A new, running thread.
    pub fn new(id: ThreadId, handle: HANDLE) -> Thread {
        Thread {
            id,
            handle,
            last_error: 0,
            apcs: VecDeque::new(),
            frames: Vec::new(),
            exit_code: None,
            blocking_op: None,
            host: crate::net::HostId(0),
            harness: false,
        }
    }

    /// The innermost wait, if the thread is waiting (not running an APC).
    pub fn current_wait(&self) -> Option<&Wait> {
        match self.frames.last() {
            Some(Frame::Wait(w)) => Some(w),
            _ => None,
        }
    }

    /// The innermost wait, mutably.
    pub fn current_wait_mut(&mut self) -> Option<&mut Wait> {
        match self.frames.last_mut() {
            Some(Frame::Wait(w)) => Some(w),
            _ => None,
        }
    }

    /// Whether the thread runs inside an APC that interrupted a blocking Winsock call:
    /// the case the WSASend page calls undefined for a further blocking call.
    pub fn in_apc_within_blocking_call(&self) -> bool {
        let mut saw_apc = false;
        for f in self.frames.iter().rev() {
            match f {
                Frame::Apc { .. } => saw_apc = true,
                Frame::Wait(w) if saw_apc && w.winsock_blocking => return true,
                Frame::Wait(_) => {}
            }
        }
        false
    }

    /// Whether a completion routine (or provider APC) for `socket` is running on this
    /// thread now.
    pub fn routine_running_for(&self, socket: SOCKET) -> bool {
        self.frames
            .iter()
            .any(|f| matches!(f, Frame::Apc { socket: Some(s), .. } if *s == socket))
    }

    /// The index in the queue of the first APC that may run now: one whose socket has no
    /// routine running on this thread ("for a given socket, I/O completion routines will
    /// not be nested", WSASend Remarks).
    pub fn deliverable(&self) -> impl Iterator<Item = usize> + '_ {
        self.apcs
            .iter()
            .enumerate()
            .filter(|(_, a)| a.socket().is_none_or(|s| !self.routine_running_for(s)))
            .map(|(i, _)| i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apc::ApcKind;

    fn routine(seq: u64, socket: SOCKET) -> Apc {
        Apc {
            seq,
            kind: ApcKind::CompletionRoutine {
                routine: Ptr(1),
                error: 0,
                bytes: 0,
                overlapped: Ptr(2),
                flags: 0,
                socket,
                op: seq,
            },
        }
    }

    #[test]
    fn routines_for_a_socket_with_a_running_routine_are_not_deliverable() {
        let mut t = Thread::new(ThreadId(4), 8);
        t.apcs.push_back(routine(0, 100));
        t.apcs.push_back(routine(1, 200));
        assert_eq!(t.deliverable().collect::<Vec<_>>(), vec![0, 1]);
        t.frames.push(Frame::Apc {
            socket: Some(100),
            seq: 9,
        });
        assert_eq!(t.deliverable().collect::<Vec<_>>(), vec![1]);
    }

    #[test]
    fn apc_inside_a_blocking_winsock_call_is_detected() {
        let mut t = Thread::new(ThreadId(4), 8);
        let w = Wait {
            api: "send",
            on: WaitFor::Op(1),
            deadline: None,
            alertable: Alertable::RunAndContinue,
            resume: Resume::Send {
                lp_sent: Ptr::NULL,
                sync_ov: Ptr::NULL,
            },
            apcs_ran: false,
            cancelled: false,
            winsock_blocking: true,
        };
        t.frames.push(Frame::Wait(w.clone()));
        assert!(!t.in_apc_within_blocking_call());
        t.frames.push(Frame::Apc {
            socket: None,
            seq: 0,
        });
        assert!(t.in_apc_within_blocking_call());
        let mut sleep = w;
        sleep.winsock_blocking = false;
        t.frames.clear();
        t.frames.push(Frame::Wait(sleep));
        t.frames.push(Frame::Apc {
            socket: None,
            seq: 0,
        });
        assert!(
            !t.in_apc_within_blocking_call(),
            "SleepEx is not a Winsock call"
        );
    }
}
