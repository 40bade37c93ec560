//! `CreateIoCompletionPort`, `GetQueuedCompletionStatus`, `PostQueuedCompletionStatus`.
//!
//! Heads up: see `crate::iocp` for the rules. These are kernel32 calls: no
//! `WSAStartup` needed, Win32 error codes.

use crate::consts::*;
use crate::error::WsaError;
use crate::iocp::{win32_error, CompletionPort, Packet};
use crate::kernel::Object;
use crate::memory::{Ptr, UserMemoryExt};
use crate::status::NtStatus;
use crate::thread::{Alertable, Resume, ThreadId, Wait, WaitFor};
use crate::trace::Record;
use crate::world::{Call, World};

/// `INVALID_HANDLE_VALUE`.
pub const INVALID_HANDLE_VALUE: u64 = !0;

impl World {
    /// `HANDLE CreateIoCompletionPort(HANDLE FileHandle, HANDLE ExistingCompletionPort,
    /// ULONG_PTR CompletionKey, DWORD NumberOfConcurrentThreads)`: with
    /// `INVALID_HANDLE_VALUE` and no port, a new port; with a socket, associates it with
    /// the existing port (or a new one) and returns the port. NULL on failure.
    pub fn create_io_completion_port(
        &mut self,
        t: ThreadId,
        file: u64,
        existing: u64,
        key: u64,
        _threads: u32,
    ) -> u64 {
        self.trace_call(
            t,
            "CreateIoCompletionPort",
            &[("file", file), ("port", existing), ("key", key)],
        );
        let r = self.create_port_inner(file, existing, key);
        self.finish(t, "CreateIoCompletionPort", r.map(|h| h as i64), 0)
            .done()
            .expect("returns") as u64
    }

    fn create_port_inner(&mut self, file: u64, existing: u64, key: u64) -> Result<u64, WsaError> {
        if existing != 0 && !matches!(self.k.handles.get(existing), Some(Object::Port(_))) {
            return Err(WsaError::WSA_INVALID_PARAMETER);
        }
        if file == INVALID_HANDLE_VALUE {
            // "ExistingCompletionPort must be NULL" to create an unassociated port.
            if existing != 0 {
                return Err(WsaError::WSA_INVALID_PARAMETER);
            }
            return self
                .k
                .handles
                .insert(Object::Port(CompletionPort::default()))
                .ok_or(WsaError::WSA_NOT_ENOUGH_MEMORY);
        }
        let entry = match self.k.handles.get(file) {
            Some(Object::Socket(e)) => *e,
            Some(_) => return Err(WsaError::WSA_INVALID_PARAMETER),
            None => return Err(WsaError::WSA_INVALID_HANDLE),
        };
        // "The handle must have been opened for overlapped I/O"; "A handle can be
        // associated with only one port".
        if !entry.overlapped || entry.port.is_some() {
            return Err(WsaError::WSA_INVALID_PARAMETER);
        }
        let port = if existing == 0 {
            self.k
                .handles
                .insert(Object::Port(CompletionPort::default()))
                .ok_or(WsaError::WSA_NOT_ENOUGH_MEMORY)?
        } else {
            existing
        };
        if let Some(Object::Socket(e)) = self.k.handles.get_mut(file) {
            e.port = Some((port, key));
        }
        Ok(port)
    }

    /// `BOOL PostQueuedCompletionStatus(HANDLE CompletionPort, DWORD
    /// dwNumberOfBytesTransferred, ULONG_PTR dwCompletionKey, LPOVERLAPPED
    /// lpOverlapped)`: "The system does not use or validate these values".
    pub fn post_queued_completion_status(
        &mut self,
        t: ThreadId,
        port: u64,
        bytes: u32,
        key: u64,
        ov: Ptr,
    ) -> i32 {
        self.trace_call(
            t,
            "PostQueuedCompletionStatus",
            &[
                ("port", port),
                ("bytes", u64::from(bytes)),
                ("key", key),
                ("ov", ov.0),
            ],
        );
        let r = match self.k.handles.get_mut(port) {
            Some(Object::Port(p)) => {
                p.packets.push_back(Packet {
                    key,
                    overlapped: ov,
                    bytes,
                    status: NtStatus::SUCCESS,
                });
                Ok(1)
            }
            _ => Err(WsaError::WSA_INVALID_HANDLE),
        };
        self.finish(t, "PostQueuedCompletionStatus", r, 0)
            .done()
            .expect("returns") as i32
    }

    /// `BOOL GetQueuedCompletionStatus(HANDLE CompletionPort, LPDWORD
    /// lpNumberOfBytesTransferred, PULONG_PTR lpCompletionKey, LPOVERLAPPED
    /// *lpOverlapped, DWORD dwMilliseconds)`. Not alertable ("Threads waiting on an I/O
    /// completion port are not in an alertable wait").
    pub fn get_queued_completion_status(
        &mut self,
        t: ThreadId,
        port: u64,
        lp_bytes: Ptr,
        lp_key: Ptr,
        lp_ov: Ptr,
        ms: u32,
    ) -> Call {
        self.trace_call(
            t,
            "GetQueuedCompletionStatus",
            &[("port", port), ("ms", u64::from(ms))],
        );
        let api = "GetQueuedCompletionStatus";
        if !matches!(self.k.handles.get(port), Some(Object::Port(_))) {
            return self.finish(t, api, Err(WsaError::WSA_INVALID_HANDLE), 0);
        }
        let mem = self.k.mem();
        if [lp_bytes, lp_key, lp_ov]
            .iter()
            .any(|&p| p.is_null() || mem.check(p, 4, true).is_err())
            || mem.check(lp_ov, 8, true).is_err()
        {
            return self.finish(t, api, Err(WsaError::ERROR_NOACCESS), 0);
        }
        let deadline = self.deadline_in(ms);
        let resume = Resume::Dequeue {
            port,
            lp_bytes,
            lp_key,
            lp_ov,
        };
        let on = WaitFor::Handles {
            handles: smallvec::smallvec![port],
            all: false,
        };
        self.block(t, Wait::new(api, on, deadline, Alertable::No, resume))
    }

    /// Ends a `GetQueuedCompletionStatus` wait: dequeues the oldest packet (TRUE, or
    /// FALSE with the Win32 error of a failed operation and the packet's values), or
    /// times out (FALSE, `*lpOverlapped = NULL`, `WAIT_TIMEOUT`).
    pub(crate) fn dequeue_packet(
        &mut self,
        t: ThreadId,
        port: u64,
        lp_bytes: Ptr,
        lp_key: Ptr,
        lp_ov: Ptr,
    ) -> Call {
        let api = "GetQueuedCompletionStatus";
        let packet = match self.k.handles.get_mut(port) {
            Some(Object::Port(p)) => p.packets.pop_front(),
            _ => None,
        };
        let Some(pk) = packet else {
            let _ = self.k.mem.write_u64(lp_ov, 0);
            return self.finish(t, api, Err(WsaError(WAIT_TIMEOUT)), 0);
        };
        self.k.trace(Record::World {
            what: "iocp_dequeue",
            value: pk.key,
        });
        let _ = self.k.mem.write_u32(lp_bytes, pk.bytes);
        let _ = self.k.mem.write_u64(lp_key, pk.key);
        let _ = self.k.mem.write_u64(lp_ov, pk.overlapped.0);
        if pk.status.is_success() {
            // "GetQueuedCompletionStatus success leaves last error untouched" (O5).
            let e = self.k.thread(t).last_error;
            let call = self.finish(t, api, Ok(1), 0);
            self.k.thread_mut(t).last_error = e;
            call
        } else {
            self.finish(t, api, Err(WsaError(win32_error(pk.status))), 0)
        }
    }
}
