//! The service provider interface as providers see it: `WSATHREADID`, the upcall table
//! (`WPUQueueApc`, `WPUCompleteOverlappedRequest`, `WPUCreateSocketHandle`,
//! `WPUCloseSocketHandle`, `WPUOpenCurrentThread`, `WPUCloseThread`, `WPUSetEvent`),
//! the provider side of `WSPGetOverlappedResult`, and the contract sentences the switch
//! checks every provider against.
//!
//! Heads up: read `seeds/002` (WSPSend, SAN provider) and `seeds/003` (LPWSPSEND) in
//! full, and `windows-semantics.md` §8 and §10 rule 30. The upcalls keep the SPI's
//! shape: they return 0 or `SOCKET_ERROR` and write the code to `lp_errno`.

use crate::apc::ApcKind;
use crate::consts::{HANDLE, SOCKET, SOCKET_ERROR};
use crate::error::WsaError;
use crate::kernel::{Kernel, Object};
use crate::memory::{overlapped_layout as ovl, Ptr, UserMemory, UserMemoryExt};
use crate::overlapped::Notify;
use crate::status::NtStatus;
use crate::thread::ThreadId;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// `WSS_OPERATION_IN_PROGRESS` (0x103): `Internal` while a request is outstanding
/// (`ws2spi.h`; the same value as `STATUS_PENDING`).
pub const WSS_OPERATION_IN_PROGRESS: u64 = 0x103;

/// `WSATHREADID { HANDLE ThreadHandle; DWORD_PTR Reserved; }` (16 bytes on x64): "A
/// pointer to a WSATHREADID structure to be used by the provider in a subsequent call to
/// WPUQueueApc. The provider should store the referenced WSATHREADID structure (not the
/// pointer to same) until after the WPUQueueApc function returns" (LPWSPSEND,
/// lpThreadId). It is a value type: a provider keeps a copy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct WsaThreadId {
    /// `ThreadHandle`: the thread's handle.
    pub thread_handle: HANDLE,
    /// `Reserved`: the model keeps the thread id here.
    pub reserved: u64,
}

impl WsaThreadId {
    /// Size of the structure on x64.
    pub const SIZE: usize = 16;

    /// The `WSATHREADID` the switch passes for a call made on thread `t`.
    pub fn of(k: &Kernel, t: ThreadId) -> WsaThreadId {
        WsaThreadId {
            thread_handle: k.thread(t).handle,
            reserved: u64::from(t.0),
        }
    }

    /// The thread it names.
    pub fn thread(&self) -> ThreadId {
        ThreadId(self.reserved as u32)
    }

    /// The 16 bytes of the structure (x64 layout).
    pub fn to_bytes(self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.thread_handle.to_le_bytes());
        b[8..].copy_from_slice(&self.reserved.to_le_bytes());
        b
    }

    /// The structure from its 16 bytes.
    pub fn from_bytes(b: [u8; 16]) -> WsaThreadId {
        let mut h = [0u8; 8];
        let mut r = [0u8; 8];
        h.copy_from_slice(&b[..8]);
        r.copy_from_slice(&b[8..]);
        WsaThreadId {
            thread_handle: u64::from_le_bytes(h),
            reserved: u64::from_le_bytes(r),
        }
    }
}

/// The contract sentences the switch checks providers against, with their sources.
pub mod rules {
    /// WSPSend (SAN): the codes a SAN provider never returns.
    pub const SAN_FORBIDDEN_CODE: &str = "\"Note that a SAN service provider does not support the following error codes for WSPSend: WSAEACCES, WSAEINPROGRESS, WSAENETRESET, WSAEOPNOTSUPP, WSAEWOULDBLOCK, WSAEMSGSIZE\" (WSPSend, Return value)";
    /// WPUCompleteOverlappedRequest: an event-notified request completed another way.
    pub const COMPLETED_WITHOUT_WPU: &str = "\"The SAN service provider should call the WPUCompleteOverlappedRequest function in the context of an arbitrary thread to complete the data transmission operation.\" (WSPSend, Overlapped Socket I/O; WPUCompleteOverlappedRequest: \"InternalHigh is guaranteed set before Internal\")";
    /// LPWSPSEND: a routine called directly.
    pub const ROUTINE_CALLED_DIRECTLY: &str = "\"Because only a single context value is available, the APC function itself cannot be the client specified-completion routine. The service provider must instead supply a pointer to its own APC function that uses the supplied context value to access the needed result information for the overlapped operation, and then invokes the client specified-completion routine.\" (LPWSPSEND, Remarks)";
    /// LPWSPSEND: the WSABUF array is transient.
    pub const WSABUF_READ_AFTER_RETURN: &str = "\"The array of WSABUF structures pointed to by the lpBuffers parameter is transient. If this operation completes in an overlapped manner, it is the service provider's responsibility to capture these WSABUF structures before returning from this call.\" (LPWSPSEND, Remarks)";
    /// LPWSPSEND: completion indicated twice.
    pub const COMPLETED_TWICE: &str = "\"The error code WSA_IO_PENDING indicates that the overlapped operation has been successfully initiated and that completion will be indicated at a later time.\" (LPWSPSEND, Return value): a completion was indicated twice";
    /// LPWSPSEND: completion never indicated.
    pub const NEVER_COMPLETED: &str = "\"The error code WSA_IO_PENDING indicates that the overlapped operation has been successfully initiated and that completion will be indicated at a later time.\" (LPWSPSEND, Return value): the run ended with the request still pending";
    /// LPWSPSEND: an error return must not leave a completion behind.
    pub const COMPLETED_AFTER_ERROR: &str = "\"Any other error code indicates that no overlapped operation was initiated and no completion indication will occur.\" (LPWSPSEND, Return value)";
    /// WSPSend (SAN): dwFlags.
    pub const SAN_FLAGS_NOT_ZERO: &str = "\"dwFlags [in] Must be zero.\" (WSPSend, Parameters)";
    /// WSPSend (SAN): low bit of hEvent.
    pub const SAN_NOTIFIED_DESPITE_LOW_BIT: &str = "\"If the low order bit of the hEvent member in the WSAOVERLAPPED structure is set, the switch specifically requests to not be notified upon completion of the data transmission operation.\" (WSPSend, Overlapped Socket I/O)";
    /// WSPSend (SAN): SO_MAX_MSG_SIZE.
    pub const SAN_OVERSIZED_SEND: &str = "\"The switch does not pass send message requests to the SAN service provider that exceed the size that the SAN service provider returns in WSPGetSockOpt calls for the value of the SO_MAX_MSG_SIZE socket option.\" (WSPSend, Remarks)";
    /// WPUQueueApc: an invalid WSATHREADID.
    pub const BAD_THREAD_ID: &str = "\"lpThreadId: A pointer to a WSATHREADID structure to be used by the provider in a subsequent call to WPUQueueApc. The provider should store the referenced WSATHREADID structure (not the pointer to same) until after the WPUQueueApc function returns.\" (LPWSPSEND, Parameters)";
    /// LPWSPSEND: non-nesting.
    pub const ROUTINES_NESTED: &str = "\"However, for a given socket, I/O completion routines cannot be nested.\" (LPWSPSEND, Remarks)";
}

/// The codes "a SAN service provider does not support ... for WSPSend" (WSPSend, Return
/// value, second table), in the seed's order.
pub const SAN_FORBIDDEN: [WsaError; 6] = [
    WsaError::WSAEACCES,
    WsaError::WSAEINPROGRESS,
    WsaError::WSAENETRESET,
    WsaError::WSAEOPNOTSUPP,
    WsaError::WSAEWOULDBLOCK,
    WsaError::WSAEMSGSIZE,
];

/// A request the switch watches because a provider other than the base one owns its
/// completion (begun with [`Upcalls::begin_request`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Watched {
    /// The provider that owns it.
    pub provider: usize,
    /// The socket.
    pub socket: SOCKET,
    /// The caller's OVERLAPPED.
    pub ov: Ptr,
    /// The thread that issued it.
    pub thread: ThreadId,
}

/// A private request of a layered provider that the lower provider completed (what a
/// non-IFS LSP collects on its own completion port).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrivateCompletion {
    /// The layer's provider index.
    pub provider: usize,
    /// The private OVERLAPPED.
    pub ov: Ptr,
    /// The Winsock code (0 on success).
    pub error: u32,
    /// Bytes transferred.
    pub bytes: u32,
    /// Result flags.
    pub flags: u32,
}

/// A client completion routine a provider's APC function asked to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoutineCall {
    /// The routine.
    pub routine: Ptr,
    /// `dwError`.
    pub error: u32,
    /// `cbTransferred`.
    pub bytes: u32,
    /// `lpOverlapped`.
    pub ov: Ptr,
    /// `dwFlags`.
    pub flags: u32,
    /// The socket (routines for one socket never nest).
    pub socket: SOCKET,
    /// The operation.
    pub op: u64,
}

/// The switch's SPI bookkeeping, kept in the kernel.
#[derive(Debug, Default)]
pub struct SpiState {
    /// Code addresses of providers' own APC functions -> provider index: the switch runs
    /// them itself when they are delivered ([`crate::provider::Provider::run_apc`]).
    pub(crate) apc_fns: BTreeMap<u64, usize>,
    /// Requests whose completion a non-base provider owns: op id -> what.
    pub(crate) watched: BTreeMap<u64, Watched>,
    /// OVERLAPPEDs completed through the upcalls (for "completed twice").
    pub(crate) completed_ovs: BTreeSet<u64>,
    /// Private OVERLAPPEDs of layered providers -> provider index.
    pub(crate) private_ovs: BTreeMap<u64, usize>,
    /// Completions of private requests, not yet handed to their layer.
    pub(crate) private_done: VecDeque<PrivateCompletion>,
    /// The thread running a provider APC function now, if any.
    pub(crate) apc_thread: Option<ThreadId>,
    /// The client routine the running provider APC function invoked.
    pub(crate) routine_call: Option<RoutineCall>,
    /// Ops already reported (one report per op and rule).
    pub(crate) reported: BTreeSet<(u64, &'static str)>,
    /// Next private code address for providers' APC functions when the memory is not a
    /// `SimMemory`.
    pub(crate) next_code: u64,
}

/// Reports a breach once per (operation, rule).
pub(crate) fn report_once(k: &mut Kernel, op: u64, thread: ThreadId, rule: &'static str) {
    if k.spi.reported.insert((op, rule)) {
        k.contract(thread, rule);
    }
}

/// The upcall table (`WSPUPCALLTABLE` plus `WPUCompleteOverlappedRequest`) as a
/// provider sees it. Every upcall returns 0 or `SOCKET_ERROR` with the code at
/// `lp_errno`, as the SPI's do.
#[derive(Debug)]
pub struct Upcalls<'a> {
    pub(crate) k: &'a mut Kernel,
    pub(crate) me: usize,
}

impl<'a> Upcalls<'a> {
    /// The upcalls for provider `me` (its index in the switch's list).
    pub fn new(k: &'a mut Kernel, me: usize) -> Upcalls<'a> {
        Upcalls { k, me }
    }

    /// The kernel underneath (memory, clock, trace).
    pub fn kernel(&mut self) -> &mut Kernel {
        self.k
    }

    /// `int WPUQueueApc(LPWSATHREADID lpThreadId, LPWSAUSERAPC lpfnUserApc, DWORD_PTR
    /// dwContext, LPINT lpErrno)`: "takes as input parameters a pointer to a WSATHREADID
    /// structure (supplied to the provider through the lpThreadId input parameter), a
    /// pointer to an APC function to be invoked, and a context value that is
    /// subsequently passed to the APC function" (LPWSPSEND). `WSAEFAULT`: the structure
    /// names no live thread.
    ///
    /// The APC counts as a completion routine of the socket whose pending OVERLAPPED is
    /// the context value (the Microsoft LSP sample passes the caller's OVERLAPPED), so
    /// it does not nest with that socket's routines.
    pub fn wpu_queue_apc(
        &mut self,
        lp_thread_id: &WsaThreadId,
        lpfn_user_apc: Ptr,
        dw_context: u64,
        lp_errno: &mut i32,
    ) -> i32 {
        let t = lp_thread_id.thread();
        let valid = matches!(self.k.handles.get(lp_thread_id.thread_handle),
            Some(Object::Thread(id)) if *id == t);
        if !valid || lpfn_user_apc.is_null() {
            *lp_errno = WsaError::WSAEFAULT.0 as i32;
            return SOCKET_ERROR;
        }
        let socket = self
            .k
            .ov_in_flight
            .get(&dw_context)
            .and_then(|id| self.k.op(*id))
            .map(|o| o.socket);
        match self.k.queue_apc(
            t,
            ApcKind::Provider {
                func: lpfn_user_apc,
                context: dw_context,
                socket,
            },
        ) {
            Ok(()) => 0,
            Err(e) => {
                *lp_errno = e.0 as i32;
                SOCKET_ERROR
            }
        }
    }

    /// The provider starts an overlapped request it will complete itself (a non-IFS or
    /// SAN provider): "at start set Internal = WSS_OPERATION_IN_PROGRESS"
    /// (LPWSPGETOVERLAPPEDRESULT). The event is reset, and the switch watches the request
    /// until it completes. Returns the operation id.
    pub fn begin_request(
        &mut self,
        s: SOCKET,
        lp_overlapped: Ptr,
        lp_completion_routine: Ptr,
        lp_thread_id: &WsaThreadId,
        what: &'static str,
    ) -> Result<u64, WsaError> {
        let t = lp_thread_id.thread();
        let id = self
            .k
            .begin_op(s, t, lp_overlapped, lp_completion_routine, what, 0)?;
        self.k.spi.completed_ovs.remove(&lp_overlapped.0);
        self.k.spi.watched.insert(
            id,
            Watched {
                provider: self.me,
                socket: s,
                ov: lp_overlapped,
                thread: t,
            },
        );
        Ok(id)
    }

    /// Withdraws a request begun with [`Upcalls::begin_request`] that the provider then
    /// failed: no completion indication occurs ("Any other error code indicates that no
    /// overlapped operation was initiated").
    pub fn abandon_request(&mut self, lp_overlapped: Ptr) {
        if let Some(id) = self.k.ov_in_flight.remove(&lp_overlapped.0) {
            self.k.ops.remove(&id);
            self.k.spi.watched.remove(&id);
        }
    }

    /// `int WPUCompleteOverlappedRequest(SOCKET s, LPWSAOVERLAPPED lpOverlapped, DWORD
    /// dwError, DWORD cbTransferred, LPINT lpErrno)`: "Sets InternalHigh = byte count,
    /// then Internal to an OS value != WSS_OPERATION_IN_PROGRESS; InternalHigh is
    /// guaranteed set before Internal"; signals the event (or queues the routine) as the
    /// request asked. `WSAEINVAL` for an OVERLAPPED with no request in flight; a second
    /// completion of the same request is a contract report.
    pub fn wpu_complete_overlapped_request(
        &mut self,
        s: SOCKET,
        lp_overlapped: Ptr,
        dw_error: u32,
        cb_transferred: u32,
        lp_errno: &mut i32,
    ) -> i32 {
        let Some(id) = self.pending_op(s, lp_overlapped) else {
            if self.k.spi.completed_ovs.contains(&lp_overlapped.0) {
                let t = self.k.spi.apc_thread.unwrap_or(ThreadId(0));
                self.k.contract(t, rules::COMPLETED_TWICE);
            }
            *lp_errno = WsaError::WSAEINVAL.0 as i32;
            return SOCKET_ERROR;
        };
        self.check_untouched(id);
        let flags = self
            .k
            .mem
            .read_u32(Ptr(lp_overlapped.0 + ovl::OFFSET))
            .unwrap_or(0);
        let status = NtStatus::from_wsa(WsaError(dw_error));
        self.k.spi.watched.remove(&id);
        self.k.spi.completed_ovs.insert(lp_overlapped.0);
        self.k.complete_op(id, status, cb_transferred, flags, 0);
        0
    }

    /// The pending operation on `s` with OVERLAPPED `ov`.
    fn pending_op(&self, s: SOCKET, ov: Ptr) -> Option<u64> {
        let id = *self.k.ov_in_flight.get(&ov.0)?;
        let op = self.k.op(id)?;
        (op.is_pending() && op.socket == s).then_some(id)
    }

    /// Before the switch completes a watched request: if the provider already wrote
    /// `Internal` or set the event itself, that is a completion without
    /// `WPUCompleteOverlappedRequest`.
    fn check_untouched(&mut self, id: u64) {
        check_watched_op(self.k, id);
    }

    /// The client routine of a routine-based request, invoked from the provider's own
    /// APC function (after `WPUQueueApc`): `routine(dwError, cbTransferred,
    /// lpOverlapped, dwFlags)`. The request completes now (`InternalHigh`, then
    /// `Internal`) and the routine runs on this thread inside the APC, as a base
    /// provider's routine does. Called anywhere else, it is a routine "called directly
    /// instead of through WPUQueueApc": a contract report, and the model queues it to
    /// the issuing thread so the application still sees one completion.
    pub fn call_client_routine(
        &mut self,
        routine: Ptr,
        dw_error: u32,
        cb_transferred: u32,
        lp_overlapped: Ptr,
        dw_flags: u32,
    ) {
        let id = self.k.ov_in_flight.get(&lp_overlapped.0).copied();
        let pending = id.and_then(|id| self.k.op(id)).filter(|o| o.is_pending());
        let Some(op) = pending.cloned() else {
            let t = self.k.spi.apc_thread.unwrap_or(ThreadId(0));
            self.k.contract(t, rules::COMPLETED_TWICE);
            return;
        };
        self.check_untouched(op.id);
        self.k.spi.watched.remove(&op.id);
        self.k.spi.completed_ovs.insert(lp_overlapped.0);
        let status = NtStatus::from_wsa(WsaError(dw_error));
        let in_apc = self.k.spi.apc_thread == Some(op.thread) && self.k.spi.routine_call.is_none();
        if !in_apc {
            self.k.contract(op.thread, rules::ROUTINE_CALLED_DIRECTLY);
            // Keep the application's view: one completion, through its routine.
            self.k
                .complete_op(op.id, status, cb_transferred, dw_flags, 0);
            return;
        }
        let silent = self.k.silent;
        self.k.silent = true;
        self.k
            .complete_op(op.id, status, cb_transferred, dw_flags, 0);
        self.k.silent = silent;
        self.k.spi.routine_call = Some(RoutineCall {
            routine,
            error: dw_error,
            bytes: cb_transferred,
            ov: lp_overlapped,
            flags: dw_flags,
            socket: op.socket,
            op: op.id,
        });
    }

    /// A C provider called the client's completion routine for `lp_overlapped` (the C
    /// ABI hands C providers a switch trampoline in place of the routine, so it sees
    /// the call). `from_provider_apc`: the call came from inside the provider's own APC
    /// function delivered through `WPUQueueApc`, as "The service provider must instead
    /// supply a pointer to its own APC function that uses the supplied context value to
    /// access the needed result information for the overlapped operation, and then
    /// invokes the client specified-completion routine" (LPWSPSEND) asks: the request
    /// completes now and the routine to call is returned. Otherwise it is a routine
    /// "called directly": a contract report, and the request completes through the
    /// kernel (the routine is queued to the issuing thread, so the application still
    /// sees one completion); `None`. A request that is not pending: "completed twice".
    pub fn client_routine_called(
        &mut self,
        lp_overlapped: Ptr,
        dw_error: u32,
        cb_transferred: u32,
        dw_flags: u32,
        from_provider_apc: bool,
    ) -> Option<Ptr> {
        let id = self.k.ov_in_flight.get(&lp_overlapped.0).copied();
        let pending = id.and_then(|id| self.k.op(id)).filter(|o| o.is_pending());
        let Some(op) = pending.cloned() else {
            let t = self.k.spi.apc_thread.unwrap_or(ThreadId(0));
            self.k.contract(t, rules::COMPLETED_TWICE);
            return None;
        };
        self.check_untouched(op.id);
        self.k.spi.watched.remove(&op.id);
        self.k.spi.completed_ovs.insert(lp_overlapped.0);
        let status = NtStatus::from_wsa(WsaError(dw_error));
        let Notify::Routine(routine) = op.notify else {
            self.k
                .complete_op(op.id, status, cb_transferred, dw_flags, 0);
            return None;
        };
        if !from_provider_apc {
            self.k.contract(op.thread, rules::ROUTINE_CALLED_DIRECTLY);
            self.k
                .complete_op(op.id, status, cb_transferred, dw_flags, 0);
            return None;
        }
        let silent = self.k.silent;
        self.k.silent = true;
        self.k
            .complete_op(op.id, status, cb_transferred, dw_flags, 0);
        self.k.silent = silent;
        Some(routine)
    }

    /// Reports a breach of `rule` on thread `t` (for embedders that check what the
    /// model cannot see, e.g. the C ABI's poisoned `WSABUF` copies).
    pub fn report(&mut self, t: ThreadId, rule: &'static str) {
        self.k.contract(t, rule);
    }

    /// `SOCKET WPUCreateSocketHandle(DWORD dwCatalogEntryId, DWORD_PTR dwContext, LPINT
    /// lpErrno)`: a new socket handle whose context is `dw_context`. `WSAENOBUFS` when
    /// the handle table is full.
    pub fn wpu_create_socket_handle(
        &mut self,
        dw_context: u64,
        overlapped: bool,
        lp_errno: &mut i32,
    ) -> SOCKET {
        match self.k.create_socket_handle(self.me, dw_context, overlapped) {
            Some(s) => s,
            None => {
                *lp_errno = WsaError::WSAENOBUFS.0 as i32;
                crate::consts::INVALID_SOCKET
            }
        }
    }

    /// `int WPUCloseSocketHandle(SOCKET s, LPINT lpErrno)`. `WSAENOTSOCK` for a handle
    /// that is not a socket.
    pub fn wpu_close_socket_handle(&mut self, s: SOCKET, lp_errno: &mut i32) -> i32 {
        if self.k.socket_entry(s).is_none() {
            *lp_errno = WsaError::WSAENOTSOCK.0 as i32;
            return SOCKET_ERROR;
        }
        self.k.close_socket_handle(s);
        0
    }

    /// `int WPUOpenCurrentThread(LPWSATHREADID lpThreadId, LPINT lpErrno)`: "Worker
    /// threads without a WSATHREADID use WPUOpenCurrentThread" (W32 overlapped-i-o-2).
    pub fn wpu_open_current_thread(
        &mut self,
        current: ThreadId,
        lp_thread_id: &mut WsaThreadId,
        lp_errno: &mut i32,
    ) -> i32 {
        if self.k.threads.get(&current).is_none() {
            *lp_errno = WsaError::WSAEFAULT.0 as i32;
            return SOCKET_ERROR;
        }
        *lp_thread_id = WsaThreadId::of(self.k, current);
        0
    }

    /// `int WPUCloseThread(LPWSATHREADID lpThreadId, LPINT lpErrno)`.
    pub fn wpu_close_thread(&mut self, lp_thread_id: &WsaThreadId, lp_errno: &mut i32) -> i32 {
        let _ = lp_thread_id;
        let _ = lp_errno;
        0
    }

    /// `BOOL WPUSetEvent(WSAEVENT hEvent, LPINT lpErrno)`. Setting the event of a
    /// watched request that is still pending completes it without
    /// `WPUCompleteOverlappedRequest`: a contract report.
    pub fn wpu_set_event(&mut self, h: HANDLE, lp_errno: &mut i32) -> bool {
        if !self.k.set_event(h) {
            *lp_errno = WsaError::WSA_INVALID_HANDLE.0 as i32;
            return false;
        }
        let ids: Vec<u64> = self.k.spi.watched.keys().copied().collect();
        for id in ids {
            check_watched_op(self.k, id);
        }
        true
    }

    /// `BOOL WPUResetEvent(WSAEVENT hEvent, LPINT lpErrno)`.
    pub fn wpu_reset_event(&mut self, h: HANDLE, lp_errno: &mut i32) -> bool {
        if !self.k.reset_event(h) {
            *lp_errno = WsaError::WSA_INVALID_HANDLE.0 as i32;
            return false;
        }
        true
    }
}

/// Checks a watched request that is still pending: `Internal` must still be
/// `WSS_OPERATION_IN_PROGRESS` and its event must not be signalled, or the provider
/// completed it without `WPUCompleteOverlappedRequest`.
pub(crate) fn check_watched_op(k: &mut Kernel, id: u64) {
    let Some(w) = k.spi.watched.get(&id).copied() else {
        return;
    };
    let Some(op) = k.op(id).cloned() else {
        return;
    };
    if !op.is_pending() {
        return;
    }
    let internal = k.mem.read_u64(Ptr(w.ov.0 + ovl::INTERNAL)).ok();
    let event_set = match op.notify {
        Notify::Event(h) => k.is_signaled(h) == Some(true),
        _ => false,
    };
    if internal.is_some_and(|v| v != WSS_OPERATION_IN_PROGRESS) || event_set {
        report_once(k, id, w.thread, rules::COMPLETED_WITHOUT_WPU);
    }
}

/// Checks every watched request (after each provider callback, and at the end of a
/// run).
pub(crate) fn check_all_watched(k: &mut Kernel) {
    let ids: Vec<u64> = k.spi.watched.keys().copied().collect();
    for id in ids {
        check_watched_op(k, id);
    }
}

/// At the end of a run (nothing will ever happen again): every watched request still
/// pending never had its completion indicated.
pub(crate) fn report_never_completed(k: &mut Kernel) {
    let pending: Vec<(u64, ThreadId)> = k
        .spi
        .watched
        .iter()
        .filter(|(id, _)| k.op(**id).is_some_and(|o| o.is_pending()))
        .map(|(id, w)| (*id, w.thread))
        .collect();
    for (id, t) in pending {
        report_once(k, id, t, rules::NEVER_COMPLETED);
    }
}

/// The provider side of `WSPGetOverlappedResult` (LPWSPGETOVERLAPPEDRESULT and the
/// Microsoft LSP sample): while `Internal` is `WSS_OPERATION_IN_PROGRESS` the request is
/// incomplete (`WSA_IO_INCOMPLETE`); once done, `InternalHigh` holds the bytes,
/// `OffsetHigh` the Winsock error and `Offset` the result flags. Returns
/// `(bytes, flags)` or the error.
pub fn wsp_get_overlapped_result(
    mem: &dyn UserMemory,
    lp_overlapped: Ptr,
) -> Result<(u32, u32), WsaError> {
    let internal = mem
        .read_u64(Ptr(lp_overlapped.0 + ovl::INTERNAL))
        .map_err(|_| WsaError::WSAEFAULT)?;
    if internal == WSS_OPERATION_IN_PROGRESS {
        return Err(WsaError::WSA_IO_INCOMPLETE);
    }
    let bytes = mem
        .read_u64(Ptr(lp_overlapped.0 + ovl::INTERNAL_HIGH))
        .map_err(|_| WsaError::WSAEFAULT)? as u32;
    let flags = mem
        .read_u32(Ptr(lp_overlapped.0 + ovl::OFFSET))
        .map_err(|_| WsaError::WSAEFAULT)?;
    let error = mem
        .read_u32(Ptr(lp_overlapped.0 + ovl::OFFSET_HIGH))
        .map_err(|_| WsaError::WSAEFAULT)?;
    if error != 0 {
        return Err(WsaError(error));
    }
    Ok((bytes, flags))
}

/// What a provider writes before it completes a request, for its
/// `WSPGetOverlappedResult`: "at completion set OffsetHigh = WSA error, Offset = result
/// flags, call WPUCompleteOverlappedRequest with the byte count" (windows-semantics §8).
pub fn set_overlapped_result(
    mem: &mut dyn UserMemory,
    lp_overlapped: Ptr,
    dw_error: u32,
    dw_flags: u32,
) -> Result<(), WsaError> {
    mem.write_u32(Ptr(lp_overlapped.0 + ovl::OFFSET), dw_flags)
        .and_then(|_| mem.write_u32(Ptr(lp_overlapped.0 + ovl::OFFSET_HIGH), dw_error))
        .map_err(|_| WsaError::WSAEFAULT)
}
