//! C service providers: a shared object exporting `WSPStartup`, loaded as a layered
//! provider over the base provider (`WSASIM_PROVIDER=path.so[:layered]`), or a SAN
//! provider exporting `WSPStartupEx` under the Windows Sockets Direct switch
//! (`WSASIM_PROVIDER=path.so:san`, [`san`]).
//!
//! Heads up: read `seeds/003` (LPWSPSEND) and `windows-semantics.md` §8. The switch
//! (this module's [`CLayer`], a `wsasim_core` layer) calls the provider's `WSPSend`
//! with:
//! - a **copy** of the `WSABUF` array, which it poisons (every `buf` set to [`POISON`])
//!   as soon as the call returns: "The array of WSABUF structures pointed to by the
//!   lpBuffers parameter is transient. ... it is the service provider's responsibility
//!   to capture these WSABUF structures before returning from this call". A provider
//!   that kept the pointer and hands the array to the next provider later is caught at
//!   that call (a `buf` equal to [`POISON`]): a contract report;
//! - in place of the client's completion routine, a trampoline of the switch
//!   ([`client_routine_trampoline`]): called from inside the provider's own APC function
//!   (delivered by `WPUQueueApc`), it completes the request and runs the client's
//!   routine; called anywhere else, it is "the APC function itself ... the client
//!   specified-completion routine" broken: a contract report (the request still
//!   completes once, through the kernel);
//! - a `WSATHREADID` on the switch's stack (the provider must copy the structure).
//!
//! The provider reaches the kernel through the `WSPUPCALLTABLE` it got in `WSPStartup`
//! (`extern "C"` trampolines here) and `WPUCompleteOverlappedRequest` (exported), and
//! the next provider through the `WSPPROC_TABLE` found in `*lpProcTable` on entry to its
//! `WSPStartup` (wsasim's stand-in for loading the next provider of the protocol chain
//! and calling its `WSPStartup`). The switch marks each overlapped request in progress
//! before calling the provider (`Internal = WSS_OPERATION_IN_PROGRESS`) and watches it:
//! a C layered provider owns its caller's completion (the non-IFS pattern).
//!
//! Upcalls made while the provider's `WSPSend` runs go through the layer context the
//! switch holds then ([`CX`]); upcalls made from the provider's routines and APC
//! functions (run by the runtime's dispatcher, outside its lock) take the run's lock.

#![allow(non_snake_case)]

mod san;

use crate::memory::ProcessMemory;
use crate::start::CompletionRoutine;
use std::cell::Cell;
use std::ffi::{c_char, c_int, c_void, CString};
use std::sync::OnceLock;
use wsasim_core::memory::{UserMemory, UserMemoryExt};
use wsasim_core::provider::layered::{Layer, LayerCx, LayerScope};
use wsasim_core::provider::spi::rules;
use wsasim_core::provider::{SocketRef, Upcalls, WsaThreadId};
use wsasim_core::{Ptr, World, WsaBuf, WsaError};

/// What the switch writes into every `buf` of its `WSABUF` copy once `WSPSend` returned
/// (a non-canonical address: any access through it faults).
pub const POISON: u64 = 0xDEAD_5EED_0BAD_F00D;

/// `SOCKET_ERROR`.
const SOCKET_ERROR: c_int = -1;

/// `WSABUF { ULONG len; CHAR *buf; }` (16 bytes on x64).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct WsaBufC {
    /// `len`.
    pub len: u32,
    /// `buf`.
    pub buf: *mut c_char,
}

/// `WSATHREADID { HANDLE ThreadHandle; DWORD_PTR Reserved; }` (16 bytes on x64).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct WsaThreadIdC {
    /// `ThreadHandle`.
    pub thread_handle: u64,
    /// `Reserved`.
    pub reserved: u64,
}

/// `WSPDATA { WORD wVersion; WORD wHighVersion; WCHAR szDescription[256]; }`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct WspData {
    /// `wVersion`.
    pub w_version: u16,
    /// `wHighVersion`.
    pub w_high_version: u16,
    /// `szDescription`.
    pub sz_description: [u16; 256],
}

/// `WSPPROC_TABLE`: 30 function pointers in the SDK's order (240 bytes on x64).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct WspProcTable {
    /// The entries, `lpWSPAccept` first.
    pub entries: [usize; 30],
}

/// `WSPUPCALLTABLE`: 15 function pointers in the SDK's order (120 bytes on x64).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct WspUpcallTable {
    /// The entries, `lpWPUCloseEvent` first.
    pub entries: [usize; 15],
}

/// Index of `lpWSPGetOverlappedResult` in `WSPPROC_TABLE`.
pub const PROC_GET_OVERLAPPED_RESULT: usize = 11;
/// Index of `lpWSPSend` in `WSPPROC_TABLE`.
pub const PROC_SEND: usize = 23;
/// Index of `lpWPUQueueApc` in `WSPUPCALLTABLE`.
pub const UPCALL_QUEUE_APC: usize = 10;
/// Index of `lpWPUOpenCurrentThread` in `WSPUPCALLTABLE`.
pub const UPCALL_OPEN_CURRENT_THREAD: usize = 13;
/// Index of `lpWPUCloseThread` in `WSPUPCALLTABLE`.
pub const UPCALL_CLOSE_THREAD: usize = 14;
/// Index of `lpWSPGetSockOpt` in `WSPPROC_TABLE`.
pub const PROC_GET_SOCK_OPT: usize = 14;
/// Index of `lpWSPIoctl` in `WSPPROC_TABLE`.
pub const PROC_IOCTL: usize = 16;
/// Index of `lpWPUCompleteOverlappedRequest` in `WSPUPCALLTABLEEX` (ws2san.h): after
/// the 15 entries of `WSPUPCALLTABLE`.
pub const UPCALL_EX_COMPLETE_OVERLAPPED_REQUEST: usize = 15;

/// `WSPUPCALLTABLEEX` (ws2san.h): the 15 `WSPUPCALLTABLE` entries, then
/// `lpWPUCompleteOverlappedRequest` (128 bytes on x64).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct WspUpcallTableEx {
    /// The entries, `lpWPUCloseEvent` first.
    pub entries: [usize; 16],
}

/// `int WSPStartupEx(WORD, LPWSPDATA, LPWSAPROTOCOL_INFOW, LPWSPUPCALLTABLEEX,
/// LPWSPPROC_TABLE)` (ws2san.h: the upcall table by pointer).
type WspStartupExFn = unsafe extern "C" fn(
    u16,
    *mut WspData,
    *mut c_void,
    *mut WspUpcallTableEx,
    *mut WspProcTable,
) -> c_int;

/// `LPWSPIOCTL`.
type WspIoctlFn = unsafe extern "C" fn(
    u64,
    u32,
    *mut c_void,
    u32,
    *mut c_void,
    u32,
    *mut u32,
    *mut c_void,
    Option<CompletionRoutine>,
    *mut WsaThreadIdC,
    *mut c_int,
) -> c_int;

/// `LPWSPGETSOCKOPT`.
type WspGetSockOptFn =
    unsafe extern "C" fn(u64, c_int, c_int, *mut c_char, *mut c_int, *mut c_int) -> c_int;

/// `LPWSPGETOVERLAPPEDRESULT`.
type WspGetOverlappedResultFn =
    unsafe extern "C" fn(u64, *mut c_void, *mut u32, c_int, *mut u32, *mut c_int) -> c_int;

/// `LPFN_WSPREGISTERMEMORY`.
type WspRegisterMemoryFn = unsafe extern "C" fn(u64, *mut c_void, u32, u32, *mut c_int) -> u64;

/// `LPFN_WSPDEREGISTERMEMORY`.
type WspDeregisterMemoryFn = unsafe extern "C" fn(u64, u64, *mut c_int) -> c_int;

/// `int WSPStartup(WORD, LPWSPDATA, LPWSAPROTOCOL_INFOW, WSPUPCALLTABLE, LPWSPPROC_TABLE)`
/// (the upcall table by value).
type WspStartupFn = unsafe extern "C" fn(
    u16,
    *mut WspData,
    *mut c_void,
    WspUpcallTable,
    *mut WspProcTable,
) -> c_int;

/// `LPWSPSEND`.
type WspSendFn = unsafe extern "C" fn(
    u64,
    *mut WsaBufC,
    u32,
    *mut u32,
    u32,
    *mut c_void,
    Option<CompletionRoutine>,
    *mut WsaThreadIdC,
    *mut c_int,
) -> c_int;

/// The switch's index of the loaded C provider's stack.
static ME: OnceLock<usize> = OnceLock::new();

thread_local! {
    /// The layer context while the switch is inside the C provider's `WSPSend` on this
    /// thread (a `*mut LayerCx`), else null.
    static CX: Cell<*mut c_void> = const { Cell::new(std::ptr::null_mut()) };
    /// Whether this thread is running a provider's own APC function (queued with
    /// `WPUQueueApc`).
    static IN_PROVIDER_APC: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` (the dispatcher calling a provider's APC function) with the flag that
/// tells [`client_routine_trampoline`] it is inside one.
pub(crate) fn in_provider_apc<R>(f: impl FnOnce() -> R) -> R {
    let prev = IN_PROVIDER_APC.with(|c| c.replace(true));
    let r = f();
    IN_PROVIDER_APC.with(|c| c.set(prev));
    r
}

/// Runs `f` with the layer context of the `WSPSend` this thread is inside, if any.
fn with_cx<R>(f: impl FnOnce(&mut LayerCx<'_>) -> R) -> Option<R> {
    let p = CX.with(Cell::get);
    if p.is_null() {
        return None;
    }
    // SAFETY: CX is set only by `CLayer::wsp_send`, on this thread, to the `LayerCx` it
    // holds exclusively for the duration of the provider call, and reset before that
    // call returns; no other reference to it is used meanwhile.
    let cx = unsafe { &mut *(p as *mut LayerCx<'static>) };
    Some(f(cx))
}

/// Runs `f` with the C provider's upcalls: through the switch's context inside
/// `WSPSend`, else under the run's lock.
fn with_upcalls<R>(f: impl FnOnce(&mut Upcalls<'_>) -> R) -> Option<R> {
    let me = *ME.get()?;
    let mut f = Some(f);
    if let Some(r) = with_cx(|cx| (f.take().expect("once"))(&mut cx.upcalls())) {
        return Some(r);
    }
    let f = f.take()?;
    wsasim_runtime::with_adopted_world(|w: &mut World| f(&mut w.upcalls_for(me)))
}

fn write_errno(lp_errno: *mut c_int, code: i32) {
    let _ = ProcessMemory.write_u32(Ptr(lp_errno as usize as u64), code as u32);
}

fn read_thread_id(p: *const WsaThreadIdC) -> Option<WsaThreadId> {
    let a = Ptr(p as usize as u64);
    Some(WsaThreadId {
        thread_handle: ProcessMemory.read_u64(a).ok()?,
        reserved: ProcessMemory.read_u64(Ptr(a.0 + 8)).ok()?,
    })
}

// ----- the upcall table and WPUCompleteOverlappedRequest --------------------------------

/// `int WPUQueueApc(LPWSATHREADID lpThreadId, LPWSAUSERAPC lpfnUserApc, DWORD_PTR
/// dwContext, LPINT lpErrno)`: `WSAEFAULT` for a structure naming no thread.
extern "C" fn wpu_queue_apc(
    lp_thread_id: *const WsaThreadIdC,
    lpfn_user_apc: usize,
    dw_context: usize,
    lp_errno: *mut c_int,
) -> c_int {
    let Some(tid) = read_thread_id(lp_thread_id) else {
        write_errno(lp_errno, WsaError::WSAEFAULT.0 as i32);
        return SOCKET_ERROR;
    };
    let mut errno = 0;
    let rc = with_upcalls(|u| {
        u.wpu_queue_apc(
            &tid,
            Ptr(lpfn_user_apc as u64),
            dw_context as u64,
            &mut errno,
        )
    })
    .unwrap_or(SOCKET_ERROR);
    if rc != 0 {
        write_errno(lp_errno, errno);
    }
    rc
}

/// `int WPUOpenCurrentThread(LPWSATHREADID lpThreadId, LPINT lpErrno)`.
extern "C" fn wpu_open_current_thread(
    lp_thread_id: *mut WsaThreadIdC,
    lp_errno: *mut c_int,
) -> c_int {
    if with_cx(|_| ()).is_some() || !wsasim_runtime::on_simulated_thread() {
        write_errno(lp_errno, WsaError::WSAEFAULT.0 as i32);
        return SOCKET_ERROR;
    }
    let t = wsasim_runtime::api::current_thread();
    let mut id = WsaThreadId::default();
    let mut errno = 0;
    let rc =
        with_upcalls(|u| u.wpu_open_current_thread(t, &mut id, &mut errno)).unwrap_or(SOCKET_ERROR);
    if rc != 0 {
        write_errno(lp_errno, errno);
        return rc;
    }
    let a = Ptr(lp_thread_id as usize as u64);
    if ProcessMemory.write(a, &id.to_bytes()).is_err() {
        write_errno(lp_errno, WsaError::WSAEFAULT.0 as i32);
        return SOCKET_ERROR;
    }
    0
}

/// `int WPUCloseThread(LPWSATHREADID lpThreadId, LPINT lpErrno)`.
extern "C" fn wpu_close_thread(lp_thread_id: *const WsaThreadIdC, lp_errno: *mut c_int) -> c_int {
    let _ = (lp_thread_id, lp_errno);
    0
}

/// `int WPUCompleteOverlappedRequest(SOCKET s, LPWSAOVERLAPPED lpOverlapped, DWORD
/// dwError, DWORD cbTransferred, LPINT lpErrno)`: "Sets InternalHigh = byte count, then
/// Internal"; signals the event (or the socket, or queues the routine) as the request
/// asked; `WSAEINVAL` when nothing is pending on `lpOverlapped`.
#[no_mangle]
pub extern "C" fn wsasim_WPUCompleteOverlappedRequest(
    s: u64,
    lpOverlapped: *mut c_void,
    dwError: u32,
    cbTransferred: u32,
    lpErrno: *mut c_int,
) -> c_int {
    let mut errno = 0;
    let rc = with_upcalls(|u| {
        u.wpu_complete_overlapped_request(
            s,
            Ptr(lpOverlapped as usize as u64),
            dwError,
            cbTransferred,
            &mut errno,
        )
    });
    match rc {
        Some(0) => 0,
        Some(rc) => {
            write_errno(lpErrno, errno);
            rc
        }
        None => {
            write_errno(lpErrno, WsaError::WSANOTINITIALISED.0 as i32);
            SOCKET_ERROR
        }
    }
}

/// What the switch passes as `lpCompletionRoutine`: "the APC function itself cannot be
/// the client specified-completion routine. The service provider must instead supply a
/// pointer to its own APC function that uses the supplied context value to access the
/// needed result information for the overlapped operation, and then invokes the client
/// specified-completion routine" (LPWSPSEND). Called from the provider's own APC
/// function, the request completes and the client's routine runs now; called anywhere
/// else, a contract report, and the routine is queued to the issuing thread.
extern "C" fn client_routine_trampoline(
    dw_error: u32,
    cb_transferred: u32,
    lp_overlapped: *mut c_void,
    dw_flags: u32,
) {
    let from_apc = IN_PROVIDER_APC.with(Cell::get) && CX.with(Cell::get).is_null();
    let ov = Ptr(lp_overlapped as usize as u64);
    let routine =
        with_upcalls(|u| u.client_routine_called(ov, dw_error, cb_transferred, dw_flags, from_apc))
            .flatten();
    let Some(routine) = routine else { return };
    if ProcessMemory.check_code(routine).is_err() {
        return;
    }
    // SAFETY: `routine` is the lpCompletionRoutine the program passed to WSASend (probed
    // by the switch when the call was made, and just above); its prototype is `void
    // CALLBACK (DWORD, DWORD, LPWSAOVERLAPPED, DWORD)` with the host's C convention.
    let f = unsafe { std::mem::transmute::<usize, CompletionRoutine>(routine.0 as usize) };
    // SAFETY: runs the program's routine on the issuing thread, inside the provider's
    // APC (an alertable wait), outside the runtime's lock, as Windows would.
    unsafe { f(dw_error, cb_transferred, lp_overlapped, dw_flags) };
}

// ----- the next provider's proc table ---------------------------------------------------

/// `NextProcTable.lpWSPSend`: the base provider's `WSPSend`, for a C provider inside its
/// own `WSPSend`. Elsewhere `WSAENETDOWN` (the model's limit: the lower provider is
/// reachable only while the switch is in the layer). A `WSABUF` whose `buf` is
/// [`POISON`] is the switch's poisoned copy read after `WSPSend` returned: a report and
/// `WSAEFAULT`.
#[allow(clippy::too_many_arguments)]
extern "C" fn next_wsp_send(
    s: u64,
    lp_buffers: *mut WsaBufC,
    dw_buffer_count: u32,
    lp_number_of_bytes_sent: *mut u32,
    dw_flags: u32,
    lp_overlapped: *mut c_void,
    lp_completion_routine: Option<CompletionRoutine>,
    lp_thread_id: *mut WsaThreadIdC,
    lp_errno: *mut c_int,
) -> c_int {
    let Some(bufs) = read_c_bufs(lp_buffers, dw_buffer_count) else {
        write_errno(lp_errno, WsaError::WSAEFAULT.0 as i32);
        return SOCKET_ERROR;
    };
    let poisoned = bufs.iter().any(|b| b.buf.0 == POISON);
    let Some(tid) = read_thread_id(lp_thread_id) else {
        write_errno(lp_errno, WsaError::WSAEFAULT.0 as i32);
        return SOCKET_ERROR;
    };
    let routine = Ptr(lp_completion_routine.map_or(0, |f| f as usize as u64));
    let r = with_cx(|cx| {
        if poisoned {
            cx.upcalls()
                .report(tid.thread(), rules::WSABUF_READ_AFTER_RETURN);
            return (SOCKET_ERROR, 0, WsaError::WSAEFAULT.0 as i32);
        }
        let Some(e) = cx.kernel().socket_entry(s) else {
            return (SOCKET_ERROR, 0, WsaError::WSAENOTSOCK.0 as i32);
        };
        let sr = SocketRef {
            handle: s,
            context: e.context,
        };
        let (mut sent, mut errno) = (0u32, 0i32);
        let rc = cx.lower_wsp_send(
            sr,
            &bufs,
            bufs.len() as u32,
            &mut sent,
            dw_flags,
            Ptr(lp_overlapped as usize as u64),
            routine,
            &tid,
            &mut errno,
        );
        (rc, sent, errno)
    });
    let (rc, sent, errno) = match r {
        Some(v) => v,
        None if poisoned => {
            with_upcalls(|u| u.report(tid.thread(), rules::WSABUF_READ_AFTER_RETURN));
            (SOCKET_ERROR, 0, WsaError::WSAEFAULT.0 as i32)
        }
        None => (SOCKET_ERROR, 0, WsaError::WSAENETDOWN.0 as i32),
    };
    if rc == 0 {
        let _ = ProcessMemory.write_u32(Ptr(lp_number_of_bytes_sent as usize as u64), sent);
    } else {
        write_errno(lp_errno, errno);
    }
    rc
}

/// The `WSABUF` array a C provider passes (at most 1024 entries), or `None` when it is
/// not readable.
fn read_c_bufs(lp_buffers: *const WsaBufC, dw_buffer_count: u32) -> Option<Vec<WsaBuf>> {
    let base = Ptr(lp_buffers as usize as u64);
    let mut bufs = Vec::with_capacity(dw_buffer_count.min(1024) as usize);
    for i in 0..u64::from(dw_buffer_count.min(1024)) {
        let len = ProcessMemory.read_u32(Ptr(base.0 + i * 16)).ok()?;
        let buf = ProcessMemory.read_u64(Ptr(base.0 + i * 16 + 8)).ok()?;
        bufs.push(WsaBuf { len, buf: Ptr(buf) });
    }
    Some(bufs)
}

// ----- the layer -----------------------------------------------------------------------

/// A C layered provider, as the switch sees it.
#[derive(Debug)]
pub struct CLayer {
    send: WspSendFn,
    /// The poisoned `WSABUF` copies, kept mapped for the run (a provider that reads one
    /// late reads the poison, not freed memory).
    poisoned: Vec<Box<[WsaBufC]>>,
}

// SAFETY: the raw pointers in `poisoned` point to nothing (every `buf` is POISON) and
// the boxes are owned; the function pointer is plain code. The layer is used under the
// run's lock only.
unsafe impl Send for CLayer {}

impl Layer for CLayer {
    fn name(&self) -> &'static str {
        "C layered provider"
    }

    fn wsp_send(
        &mut self,
        cx: &mut LayerCx<'_>,
        s: SocketRef,
        lp_buffers: &[WsaBuf],
        dw_buffer_count: u32,
        lp_number_of_bytes_sent: &mut u32,
        dw_flags: u32,
        lp_overlapped: Ptr,
        lp_completion_routine: Ptr,
        lp_thread_id: &WsaThreadId,
        lp_errno: &mut i32,
    ) -> i32 {
        // "at start set Internal = WSS_OPERATION_IN_PROGRESS": the switch does it for
        // the C provider and watches the request.
        if !lp_overlapped.is_null() {
            if let Err(e) = cx.upcalls().begin_request(
                s.handle,
                lp_overlapped,
                lp_completion_routine,
                lp_thread_id,
                "send",
            ) {
                *lp_errno = e.0 as i32;
                return SOCKET_ERROR;
            }
        }
        let n = (dw_buffer_count as usize).min(lp_buffers.len());
        let mut copy: Box<[WsaBufC]> = lp_buffers[..n]
            .iter()
            .map(|b| WsaBufC {
                len: b.len,
                buf: b.buf.0 as usize as *mut c_char,
            })
            .collect();
        let mut tid = WsaThreadIdC {
            thread_handle: lp_thread_id.thread_handle,
            reserved: lp_thread_id.reserved,
        };
        let routine: Option<CompletionRoutine> = if lp_completion_routine.is_null() {
            None
        } else {
            Some(client_routine_trampoline)
        };
        let (mut sent, mut errno): (u32, c_int) = (0, 0);
        let prev = CX.with(|c| c.replace(cx as *mut LayerCx<'_> as *mut c_void));
        // SAFETY: `send` is the provider's lpWSPSend (checked non-null at load); every
        // pointer passed is valid for the call: the WSABUF copy and the WSATHREADID are
        // owned here, `sent`/`errno` are locals, `lp_overlapped` is the program's
        // OVERLAPPED (probed by the switch).
        let rc = unsafe {
            (self.send)(
                s.handle,
                copy.as_mut_ptr(),
                n as u32,
                &mut sent,
                dw_flags,
                lp_overlapped.0 as usize as *mut c_void,
                routine,
                &mut tid,
                &mut errno,
            )
        };
        CX.with(|c| c.set(prev));
        // "The array of WSABUF structures pointed to by the lpBuffers parameter is
        // transient": poisoned now.
        for b in copy.iter_mut() {
            b.buf = POISON as usize as *mut c_char;
        }
        self.poisoned.push(copy);
        if rc == 0 {
            *lp_number_of_bytes_sent = sent;
            return 0;
        }
        if errno != WsaError::WSA_IO_PENDING.0 as i32 && !lp_overlapped.is_null() {
            // "Any other error code indicates that no overlapped operation was
            // initiated and no completion indication will occur."
            cx.upcalls().abandon_request(lp_overlapped);
        }
        *lp_errno = errno;
        SOCKET_ERROR
    }
}

/// Loads `WSASIM_PROVIDER` (`path.so[:layered]`) into `world`: `dlopen`, `WSPStartup`
/// (version 2.2, the upcall table, `*lpProcTable` holding the next provider's table),
/// then the provider is stacked over the base provider for every socket created
/// afterwards. The error text names the variable.
pub(crate) fn load_provider(world: &mut World, spec: &str) -> Result<(), String> {
    let (path, kind) = match spec.rsplit_once(':') {
        Some((p, k)) if k == "layered" || k == "san" => (p, k),
        _ => (spec, "layered"),
    };
    let cpath = CString::new(path).map_err(|_| format!("WSASIM_PROVIDER={spec:?}: bad path"))?;
    // SAFETY: dlopen with a NUL-terminated path; the handle is kept for the process.
    let handle = unsafe { libc::dlopen(cpath.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
    if handle.is_null() {
        // SAFETY: dlerror returns a NUL-terminated message or NULL.
        let msg = unsafe { libc::dlerror() };
        let msg = if msg.is_null() {
            String::from("dlopen failed")
        } else {
            // SAFETY: non-null NUL-terminated string from dlerror, copied at once.
            unsafe { std::ffi::CStr::from_ptr(msg) }
                .to_string_lossy()
                .into_owned()
        };
        return Err(format!("WSASIM_PROVIDER={spec:?}: {msg}"));
    }
    if kind == "san" {
        return san::load_san(world, spec, handle);
    }
    // SAFETY: dlsym on a live handle with a NUL-terminated name.
    let sym = unsafe { libc::dlsym(handle, c"WSPStartup".as_ptr()) };
    if sym.is_null() {
        return Err(format!(
            "WSASIM_PROVIDER={spec:?}: the shared object exports no WSPStartup"
        ));
    }
    // SAFETY: the provider's single export has the documented prototype
    // `int WSPStartup(WORD, LPWSPDATA, LPWSAPROTOCOL_INFOW, WSPUPCALLTABLE,
    // LPWSPPROC_TABLE)` with the host's C convention (WSPAPI is empty).
    let startup = unsafe { std::mem::transmute::<*mut c_void, WspStartupFn>(sym) };
    let mut upcalls = WspUpcallTable { entries: [0; 15] };
    upcalls.entries[UPCALL_QUEUE_APC] = wpu_queue_apc as *const () as usize;
    upcalls.entries[UPCALL_OPEN_CURRENT_THREAD] = wpu_open_current_thread as *const () as usize;
    upcalls.entries[UPCALL_CLOSE_THREAD] = wpu_close_thread as *const () as usize;
    let mut table = WspProcTable { entries: [0; 30] };
    table.entries[PROC_SEND] = next_wsp_send as *const () as usize;
    let mut data = WspData {
        w_version: 0,
        w_high_version: 0,
        sz_description: [0; 256],
    };
    // WSAPROTOCOL_INFOW is 628 bytes on x64; the model passes a zeroed one.
    let mut info = [0u8; 628];
    // SAFETY: calls the provider's WSPStartup with valid pointers to locals that
    // outlive the call and the upcall table by value.
    let rc = unsafe {
        startup(
            0x0202,
            &mut data,
            info.as_mut_ptr() as *mut c_void,
            upcalls,
            &mut table,
        )
    };
    if rc != 0 {
        return Err(format!(
            "WSASIM_PROVIDER={spec:?}: WSPStartup returned {rc}"
        ));
    }
    let send = table.entries[PROC_SEND];
    if send == 0 {
        // WSAEINVALIDPROCTABLE: "bogus table, usually a NULL pointer".
        return Err(format!(
            "WSASIM_PROVIDER={spec:?}: WSPStartup left lpWSPSend NULL (WSAEINVALIDPROCTABLE)"
        ));
    }
    // SAFETY: a non-null lpWSPSend filled in by the provider; its prototype is LPWSPSEND.
    let send = unsafe { std::mem::transmute::<usize, WspSendFn>(send) };
    let p = world.install_layered_provider(
        Box::new(CLayer {
            send,
            poisoned: Vec::new(),
        }),
        LayerScope::NewSockets,
    );
    let _ = ME.set(p);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spi_structures_have_the_x64_sizes() {
        assert_eq!(std::mem::size_of::<WsaBufC>(), 16);
        assert_eq!(std::mem::size_of::<WsaThreadIdC>(), 16);
        assert_eq!(std::mem::size_of::<WspProcTable>(), 240);
        assert_eq!(std::mem::size_of::<WspUpcallTable>(), 120);
        assert_eq!(std::mem::size_of::<WspData>(), 516);
    }
}
