//! The Winsock API (and the kernel32 calls around it) for code running under [`crate::run`].
//!
//! Names and arguments are Winsock's, one to one. Pointers are [`Ptr`] addresses in the
//! simulated address space: allocate with [`alloc`], [`alloc_bytes`], [`alloc_wsabufs`],
//! [`alloc_overlapped`]; read and write with [`read`], [`write`], [`read_u32`]. Completion
//! routines and APC functions are Rust closures registered with [`routine`] and
//! [`apc_fn`], which return their code address.
//!
//! Every function is a scheduling point. Calling one from a thread the runtime did not
//! create panics with [`crate::NotASimulatedThread`]'s message.

#![allow(non_snake_case)]

use crate::runtime::{self, call, with_world};
use std::sync::Arc;
use wsasim_core::memory::{UserMemoryExt, WsaBuf};
use wsasim_core::{Ptr, ThreadId};

pub use wsasim_core::consts::*;

/// `SOCKET`.
pub type Socket = SOCKET;

fn i32_of(v: i64) -> i32 {
    v as i32
}

// ----- memory -------------------------------------------------------------------------

/// Allocates `len` zeroed bytes in the simulated address space.
pub fn alloc(len: usize) -> Ptr {
    with_world(|w, _| w.sim().alloc(len))
}

/// Allocates a copy of `bytes`.
pub fn alloc_bytes(bytes: &[u8]) -> Ptr {
    with_world(|w, _| w.sim().alloc_bytes(bytes))
}

/// Allocates a `WSABUF` array.
pub fn alloc_wsabufs(bufs: &[WsaBuf]) -> Ptr {
    with_world(|w, _| w.sim().alloc_wsabufs(bufs))
}

/// Allocates a zeroed `WSAOVERLAPPED` with `hEvent`.
pub fn alloc_overlapped(h_event: HANDLE) -> Ptr {
    with_world(|w, _| w.sim().alloc_overlapped(h_event))
}

/// Frees a region: later accesses fault (`WSAEFAULT`).
pub fn free(p: Ptr) {
    with_world(|w, _| w.sim().free(p))
}

/// Reads `len` bytes at `p`.
///
/// # Panics
/// If the range is not mapped (a bug in the test program).
pub fn read(p: Ptr, len: usize) -> Vec<u8> {
    with_world(|w, _| w.sim().read_vec(p, len).expect("read of unmapped memory"))
}

/// Writes `bytes` at `p`.
///
/// # Panics
/// If the range is not mapped.
pub fn write(p: Ptr, bytes: &[u8]) {
    with_world(|w, _| {
        w.mem_mut()
            .write(p, bytes)
            .expect("write to unmapped memory")
    })
}

/// Reads a `DWORD`.
pub fn read_u32(p: Ptr) -> u32 {
    with_world(|w, _| w.mem().read_u32(p).expect("read of unmapped memory"))
}

/// Registers a completion routine `(dwError, cbTransferred, lpOverlapped, dwFlags)`.
pub fn routine(f: impl Fn(u32, u32, Ptr, u32) + Send + Sync + 'static) -> Ptr {
    runtime::register_routine(Arc::new(f))
}

/// Registers an APC function `(dwParam)` for `QueueUserAPC`.
pub fn apc_fn(f: impl Fn(u64) + Send + Sync + 'static) -> Ptr {
    runtime::register_apc(Arc::new(f))
}

/// A `sockaddr` for `"ip:port"` and its length.
///
/// # Panics
/// If `text` is not an address.
pub fn sockaddr(text: &str) -> (Ptr, i32) {
    let a = wsasim_core::net::SockAddr::parse(text).expect("an address like 127.0.0.1:80");
    let (raw, len) = a.to_bytes();
    (alloc_bytes(&raw[..len]), len as i32)
}

// ----- startup and errors ---------------------------------------------------------------

/// `int WSAStartup(WORD, LPWSADATA)`.
pub fn WSAStartup(wVersionRequested: u16, lpWSAData: Ptr) -> i32 {
    i32_of(call(|w, t| {
        wsasim_core::Call::Done(i64::from(w.wsa_startup(t, wVersionRequested, lpWSAData)))
    }))
}

/// `int WSACleanup(void)`.
pub fn WSACleanup() -> i32 {
    i32_of(call(|w, t| {
        wsasim_core::Call::Done(i64::from(w.wsa_cleanup(t)))
    }))
}

/// `int WSAGetLastError(void)`.
pub fn WSAGetLastError() -> i32 {
    with_world(|w, t| w.wsa_get_last_error(t))
}

/// `void WSASetLastError(int)`.
pub fn WSASetLastError(iError: i32) {
    with_world(|w, t| w.wsa_set_last_error(t, iError))
}

/// `DWORD GetLastError(void)`.
pub fn GetLastError() -> u32 {
    with_world(|w, t| w.last_error(t))
}

/// `void SetLastError(DWORD)`.
pub fn SetLastError(dwErrCode: u32) {
    with_world(|w, t| w.wsa_set_last_error(t, dwErrCode as i32))
}

/// `int WSACancelBlockingCall(void)` (Windows Sockets 1.1).
pub fn WSACancelBlockingCall() -> i32 {
    with_world(|w, t| w.wsa_cancel_blocking_call(t))
}

// ----- sockets --------------------------------------------------------------------------

/// `SOCKET socket(int, int, int)`.
pub fn socket(af: i32, r#type: i32, protocol: i32) -> SOCKET {
    call(|w, t| wsasim_core::Call::Done(w.socket(t, af, r#type, protocol) as i64)) as u64
}

/// `SOCKET WSASocketW(int, int, int, LPWSAPROTOCOL_INFOW, GROUP, DWORD)`.
pub fn WSASocket(
    af: i32,
    r#type: i32,
    protocol: i32,
    lpProtocolInfo: Ptr,
    g: u32,
    dwFlags: u32,
) -> SOCKET {
    call(|w, t| {
        wsasim_core::Call::Done(
            w.wsa_socket(t, af, r#type, protocol, lpProtocolInfo, g, dwFlags) as i64,
        )
    }) as u64
}

/// `int bind(SOCKET, const sockaddr*, int)`.
pub fn bind(s: SOCKET, name: Ptr, namelen: i32) -> i32 {
    i32_of(call(|w, t| {
        wsasim_core::Call::Done(i64::from(w.bind(t, s, name, namelen)))
    }))
}

/// `int listen(SOCKET, int)`.
pub fn listen(s: SOCKET, backlog: i32) -> i32 {
    i32_of(call(|w, t| {
        wsasim_core::Call::Done(i64::from(w.listen(t, s, backlog)))
    }))
}

/// `SOCKET accept(SOCKET, sockaddr*, int*)`.
pub fn accept(s: SOCKET, addr: Ptr, addrlen: Ptr) -> SOCKET {
    call(|w, t| w.accept(t, s, addr, addrlen)) as u64
}

/// `int connect(SOCKET, const sockaddr*, int)`.
pub fn connect(s: SOCKET, name: Ptr, namelen: i32) -> i32 {
    i32_of(call(|w, t| w.connect(t, s, name, namelen)))
}

/// `int getsockname(SOCKET, sockaddr*, int*)`.
pub fn getsockname(s: SOCKET, name: Ptr, namelen: Ptr) -> i32 {
    i32_of(call(|w, t| {
        wsasim_core::Call::Done(i64::from(w.getsockname(t, s, name, namelen)))
    }))
}

/// `int getpeername(SOCKET, sockaddr*, int*)`.
pub fn getpeername(s: SOCKET, name: Ptr, namelen: Ptr) -> i32 {
    i32_of(call(|w, t| {
        wsasim_core::Call::Done(i64::from(w.getpeername(t, s, name, namelen)))
    }))
}

/// `int shutdown(SOCKET, int)`.
pub fn shutdown(s: SOCKET, how: i32) -> i32 {
    i32_of(call(|w, t| {
        wsasim_core::Call::Done(i64::from(w.shutdown(t, s, how)))
    }))
}

/// `int closesocket(SOCKET)`.
pub fn closesocket(s: SOCKET) -> i32 {
    i32_of(call(|w, t| w.closesocket(t, s)))
}

/// `int setsockopt(SOCKET, int, int, const char*, int)`.
pub fn setsockopt(s: SOCKET, level: i32, optname: i32, optval: Ptr, optlen: i32) -> i32 {
    i32_of(call(|w, t| {
        wsasim_core::Call::Done(i64::from(
            w.setsockopt(t, s, level, optname, optval, optlen),
        ))
    }))
}

/// `int getsockopt(SOCKET, int, int, char*, int*)`.
pub fn getsockopt(s: SOCKET, level: i32, optname: i32, optval: Ptr, optlen: Ptr) -> i32 {
    i32_of(call(|w, t| {
        wsasim_core::Call::Done(i64::from(
            w.getsockopt(t, s, level, optname, optval, optlen),
        ))
    }))
}

/// `int ioctlsocket(SOCKET, long, u_long*)`.
pub fn ioctlsocket(s: SOCKET, cmd: u32, argp: Ptr) -> i32 {
    i32_of(call(|w, t| {
        wsasim_core::Call::Done(i64::from(w.ioctlsocket(t, s, cmd, argp)))
    }))
}

// ----- data -----------------------------------------------------------------------------

/// `int WSASend(SOCKET, LPWSABUF, DWORD, LPDWORD, DWORD, LPWSAOVERLAPPED,
/// LPWSAOVERLAPPED_COMPLETION_ROUTINE)`.
#[allow(clippy::too_many_arguments)]
pub fn WSASend(
    s: SOCKET,
    lpBuffers: Ptr,
    dwBufferCount: u32,
    lpNumberOfBytesSent: Ptr,
    dwFlags: u32,
    lpOverlapped: Ptr,
    lpCompletionRoutine: Ptr,
) -> i32 {
    i32_of(call(|w, t| {
        w.wsa_send(
            t,
            s,
            lpBuffers,
            dwBufferCount,
            lpNumberOfBytesSent,
            dwFlags,
            lpOverlapped,
            lpCompletionRoutine,
        )
    }))
}

/// `int send(SOCKET, const char*, int, int)`.
pub fn send(s: SOCKET, buf: Ptr, len: i32, flags: i32) -> i32 {
    i32_of(call(|w, t| w.send(t, s, buf, len, flags)))
}

/// `int WSARecv(SOCKET, LPWSABUF, DWORD, LPDWORD, LPDWORD, LPWSAOVERLAPPED,
/// LPWSAOVERLAPPED_COMPLETION_ROUTINE)`.
#[allow(clippy::too_many_arguments)]
pub fn WSARecv(
    s: SOCKET,
    lpBuffers: Ptr,
    dwBufferCount: u32,
    lpNumberOfBytesRecvd: Ptr,
    lpFlags: Ptr,
    lpOverlapped: Ptr,
    lpCompletionRoutine: Ptr,
) -> i32 {
    i32_of(call(|w, t| {
        w.wsa_recv(
            t,
            s,
            lpBuffers,
            dwBufferCount,
            lpNumberOfBytesRecvd,
            lpFlags,
            lpOverlapped,
            lpCompletionRoutine,
        )
    }))
}

/// `int recv(SOCKET, char*, int, int)`.
pub fn recv(s: SOCKET, buf: Ptr, len: i32, flags: i32) -> i32 {
    i32_of(call(|w, t| w.recv(t, s, buf, len, flags)))
}

// ----- datagrams (issue 5) --------------------------------------------------------------

/// `int WSASendMsg(SOCKET, LPWSAMSG, DWORD, LPDWORD, LPWSAOVERLAPPED,
/// LPWSAOVERLAPPED_COMPLETION_ROUTINE)`.
pub fn WSASendMsg(
    s: SOCKET,
    lpMsg: Ptr,
    dwFlags: u32,
    lpNumberOfBytesSent: Ptr,
    lpOverlapped: Ptr,
    lpCompletionRoutine: Ptr,
) -> i32 {
    i32_of(call(|w, t| {
        w.wsa_send_msg(
            t,
            s,
            lpMsg,
            dwFlags,
            lpNumberOfBytesSent,
            lpOverlapped,
            lpCompletionRoutine,
        )
    }))
}

/// `int WSARecvMsg(SOCKET, LPWSAMSG, LPDWORD, LPWSAOVERLAPPED,
/// LPWSAOVERLAPPED_COMPLETION_ROUTINE)` (on Windows reached through
/// `WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER, WSAID_WSARECVMSG)`).
pub fn WSARecvMsg(
    s: SOCKET,
    lpMsg: Ptr,
    lpdwNumberOfBytesRecvd: Ptr,
    lpOverlapped: Ptr,
    lpCompletionRoutine: Ptr,
) -> i32 {
    i32_of(call(|w, t| {
        w.wsa_recv_msg(
            t,
            s,
            lpMsg,
            lpdwNumberOfBytesRecvd,
            lpOverlapped,
            lpCompletionRoutine,
        )
    }))
}

/// `int WSASendTo(SOCKET, LPWSABUF, DWORD, LPDWORD, DWORD, const sockaddr*, int,
/// LPWSAOVERLAPPED, LPWSAOVERLAPPED_COMPLETION_ROUTINE)`.
#[allow(clippy::too_many_arguments)]
pub fn WSASendTo(
    s: SOCKET,
    lpBuffers: Ptr,
    dwBufferCount: u32,
    lpNumberOfBytesSent: Ptr,
    dwFlags: u32,
    lpTo: Ptr,
    iTolen: i32,
    lpOverlapped: Ptr,
    lpCompletionRoutine: Ptr,
) -> i32 {
    i32_of(call(|w, t| {
        w.wsa_send_to(
            t,
            s,
            lpBuffers,
            dwBufferCount,
            lpNumberOfBytesSent,
            dwFlags,
            lpTo,
            iTolen,
            lpOverlapped,
            lpCompletionRoutine,
        )
    }))
}

/// `int sendto(SOCKET, const char*, int, int, const sockaddr*, int)`.
pub fn sendto(s: SOCKET, buf: Ptr, len: i32, flags: i32, to: Ptr, tolen: i32) -> i32 {
    i32_of(call(|w, t| w.sendto(t, s, buf, len, flags, to, tolen)))
}

/// `int recvfrom(SOCKET, char*, int, int, sockaddr*, int*)`.
pub fn recvfrom(s: SOCKET, buf: Ptr, len: i32, flags: i32, from: Ptr, fromlen: Ptr) -> i32 {
    i32_of(call(|w, t| {
        w.recvfrom(t, s, buf, len, flags, from, fromlen)
    }))
}

/// `int WSARecvFrom(SOCKET, LPWSABUF, DWORD, LPDWORD, LPDWORD, sockaddr*, LPINT,
/// LPWSAOVERLAPPED, LPWSAOVERLAPPED_COMPLETION_ROUTINE)`.
#[allow(clippy::too_many_arguments)]
pub fn WSARecvFrom(
    s: SOCKET,
    lpBuffers: Ptr,
    dwBufferCount: u32,
    lpNumberOfBytesRecvd: Ptr,
    lpFlags: Ptr,
    lpFrom: Ptr,
    lpFromlen: Ptr,
    lpOverlapped: Ptr,
    lpCompletionRoutine: Ptr,
) -> i32 {
    i32_of(call(|w, t| {
        w.wsa_recv_from(
            t,
            s,
            lpBuffers,
            dwBufferCount,
            lpNumberOfBytesRecvd,
            lpFlags,
            lpFrom,
            lpFromlen,
            lpOverlapped,
            lpCompletionRoutine,
        )
    }))
}

/// `int WSAIoctl(SOCKET, DWORD, LPVOID, DWORD, LPVOID, DWORD, LPDWORD, LPWSAOVERLAPPED,
/// LPWSAOVERLAPPED_COMPLETION_ROUTINE)`. `SIO_GET_EXTENSION_FUNCTION_POINTER` writes the
/// model's tokens ([`wsasim_core::EXT_FN_WSASENDMSG`], [`wsasim_core::EXT_FN_WSARECVMSG`]):
/// a Rust program calls [`WSASendMsg`] and [`WSARecvMsg`] instead.
#[allow(clippy::too_many_arguments)]
pub fn WSAIoctl(
    s: SOCKET,
    dwIoControlCode: u32,
    lpvInBuffer: Ptr,
    cbInBuffer: u32,
    lpvOutBuffer: Ptr,
    cbOutBuffer: u32,
    lpcbBytesReturned: Ptr,
    lpOverlapped: Ptr,
    lpCompletionRoutine: Ptr,
) -> i32 {
    WSAIoctlThen(
        s,
        dwIoControlCode,
        lpvInBuffer,
        cbInBuffer,
        lpvOutBuffer,
        cbOutBuffer,
        lpcbBytesReturned,
        lpOverlapped,
        lpCompletionRoutine,
        |_, _| {},
    )
}

/// [`WSAIoctl`], then `after(world, result)` on the model before the call's scheduling
/// point, so no other thread sees memory in between: the C ABI replaces the extension
/// function tokens with the addresses of its own functions there.
#[allow(clippy::too_many_arguments)]
pub fn WSAIoctlThen(
    s: SOCKET,
    dwIoControlCode: u32,
    lpvInBuffer: Ptr,
    cbInBuffer: u32,
    lpvOutBuffer: Ptr,
    cbOutBuffer: u32,
    lpcbBytesReturned: Ptr,
    lpOverlapped: Ptr,
    lpCompletionRoutine: Ptr,
    after: impl FnOnce(&mut wsasim_core::World, i32),
) -> i32 {
    i32_of(call(|w, t| {
        let c = w.wsa_ioctl(
            t,
            s,
            dwIoControlCode,
            lpvInBuffer,
            cbInBuffer,
            lpvOutBuffer,
            cbOutBuffer,
            lpcbBytesReturned,
            lpOverlapped,
            lpCompletionRoutine,
        );
        if let wsasim_core::Call::Done(v) = c {
            after(w, i32_of(v));
        }
        c
    }))
}

// ----- events, waits, APCs --------------------------------------------------------------

/// `WSAEVENT WSACreateEvent(void)`.
pub fn WSACreateEvent() -> HANDLE {
    call(|w, t| wsasim_core::Call::Done(w.wsa_create_event(t) as i64)) as u64
}

/// `BOOL WSACloseEvent(WSAEVENT)`.
pub fn WSACloseEvent(hEvent: HANDLE) -> i32 {
    i32_of(call(|w, t| {
        wsasim_core::Call::Done(i64::from(w.wsa_close_event(t, hEvent)))
    }))
}

/// `BOOL WSASetEvent(WSAEVENT)`.
pub fn WSASetEvent(hEvent: HANDLE) -> i32 {
    i32_of(call(|w, t| {
        wsasim_core::Call::Done(i64::from(w.wsa_set_event(t, hEvent)))
    }))
}

/// `BOOL WSAResetEvent(WSAEVENT)`.
pub fn WSAResetEvent(hEvent: HANDLE) -> i32 {
    i32_of(call(|w, t| {
        wsasim_core::Call::Done(i64::from(w.wsa_reset_event(t, hEvent)))
    }))
}

/// `DWORD WSAWaitForMultipleEvents(DWORD, const WSAEVENT*, BOOL, DWORD, BOOL)`.
pub fn WSAWaitForMultipleEvents(
    cEvents: u32,
    lphEvents: Ptr,
    fWaitAll: i32,
    dwTimeout: u32,
    fAlertable: i32,
) -> u32 {
    call(|w, t| {
        w.wsa_wait_for_multiple_events(t, cEvents, lphEvents, fWaitAll, dwTimeout, fAlertable)
    }) as u32
}

/// `BOOL WSAGetOverlappedResult(SOCKET, LPWSAOVERLAPPED, LPDWORD, BOOL, LPDWORD)`.
pub fn WSAGetOverlappedResult(
    s: SOCKET,
    lpOverlapped: Ptr,
    lpcbTransfer: Ptr,
    fWait: i32,
    lpdwFlags: Ptr,
) -> i32 {
    i32_of(call(|w, t| {
        w.wsa_get_overlapped_result(t, s, lpOverlapped, lpcbTransfer, fWait, lpdwFlags)
    }))
}

/// `DWORD SleepEx(DWORD, BOOL)`.
pub fn SleepEx(dwMilliseconds: u32, bAlertable: i32) -> u32 {
    call(|w, t| w.sleep_ex(t, dwMilliseconds, bAlertable)) as u32
}

/// `void Sleep(DWORD)`.
pub fn Sleep(dwMilliseconds: u32) {
    SleepEx(dwMilliseconds, FALSE);
}

/// `DWORD QueueUserAPC(PAPCFUNC, HANDLE, ULONG_PTR)`.
pub fn QueueUserAPC(pfnAPC: Ptr, hThread: HANDLE, dwData: u64) -> u32 {
    call(|w, t| wsasim_core::Call::Done(i64::from(w.queue_user_apc(t, pfnAPC, hThread, dwData))))
        as u32
}

/// `DWORD WaitForSingleObject(HANDLE, DWORD)`.
pub fn WaitForSingleObject(hHandle: HANDLE, dwMilliseconds: u32) -> u32 {
    WaitForSingleObjectEx(hHandle, dwMilliseconds, FALSE)
}

/// `DWORD WaitForSingleObjectEx(HANDLE, DWORD, BOOL)`.
pub fn WaitForSingleObjectEx(hHandle: HANDLE, dwMilliseconds: u32, bAlertable: i32) -> u32 {
    call(|w, t| w.wait_for_single_object_ex(t, hHandle, dwMilliseconds, bAlertable)) as u32
}

/// `DWORD WaitForMultipleObjects(DWORD, const HANDLE*, BOOL, DWORD)`.
pub fn WaitForMultipleObjects(
    nCount: u32,
    lpHandles: Ptr,
    bWaitAll: i32,
    dwMilliseconds: u32,
) -> u32 {
    WaitForMultipleObjectsEx(nCount, lpHandles, bWaitAll, dwMilliseconds, FALSE)
}

/// `DWORD WaitForMultipleObjectsEx(DWORD, const HANDLE*, BOOL, DWORD, BOOL)`.
pub fn WaitForMultipleObjectsEx(
    nCount: u32,
    lpHandles: Ptr,
    bWaitAll: i32,
    dwMilliseconds: u32,
    bAlertable: i32,
) -> u32 {
    call(|w, t| {
        w.wait_for_multiple_objects_ex(t, nCount, lpHandles, bWaitAll, dwMilliseconds, bAlertable)
    }) as u32
}

// ----- completion ports -----------------------------------------------------------------

/// `HANDLE CreateIoCompletionPort(HANDLE, HANDLE, ULONG_PTR, DWORD)`.
pub fn CreateIoCompletionPort(
    FileHandle: HANDLE,
    ExistingCompletionPort: HANDLE,
    CompletionKey: u64,
    NumberOfConcurrentThreads: u32,
) -> HANDLE {
    call(|w, t| {
        wsasim_core::Call::Done(w.create_io_completion_port(
            t,
            FileHandle,
            ExistingCompletionPort,
            CompletionKey,
            NumberOfConcurrentThreads,
        ) as i64)
    }) as u64
}

/// `BOOL GetQueuedCompletionStatus(HANDLE, LPDWORD, PULONG_PTR, LPOVERLAPPED*, DWORD)`.
pub fn GetQueuedCompletionStatus(
    CompletionPort: HANDLE,
    lpNumberOfBytesTransferred: Ptr,
    lpCompletionKey: Ptr,
    lpOverlapped: Ptr,
    dwMilliseconds: u32,
) -> i32 {
    i32_of(call(|w, t| {
        w.get_queued_completion_status(
            t,
            CompletionPort,
            lpNumberOfBytesTransferred,
            lpCompletionKey,
            lpOverlapped,
            dwMilliseconds,
        )
    }))
}

/// `BOOL PostQueuedCompletionStatus(HANDLE, DWORD, ULONG_PTR, LPOVERLAPPED)`.
pub fn PostQueuedCompletionStatus(
    CompletionPort: HANDLE,
    dwNumberOfBytesTransferred: u32,
    dwCompletionKey: u64,
    lpOverlapped: Ptr,
) -> i32 {
    i32_of(call(|w, t| {
        wsasim_core::Call::Done(i64::from(w.post_queued_completion_status(
            t,
            CompletionPort,
            dwNumberOfBytesTransferred,
            dwCompletionKey,
            lpOverlapped,
        )))
    }))
}

// ----- threads --------------------------------------------------------------------------

/// `HANDLE CreateThread(...)`: a new simulated thread running `start`; its return value
/// is the exit code. It runs when the seeded scheduler picks it.
pub fn CreateThread(start: impl FnOnce() -> u32 + Send + 'static) -> HANDLE {
    CreateThreadWith(start, |_, _| {})
}

/// [`CreateThread`] for callers that must learn the new thread's id before it can run:
/// `on_created(id, handle)` runs on the calling thread once the thread exists and before
/// the scheduling point that may let it run (the C ABI writes `*lpThreadId` there, as
/// Windows does when it creates the thread).
pub fn CreateThreadWith(
    start: impl FnOnce() -> u32 + Send + 'static,
    on_created: impl FnOnce(u32, HANDLE),
) -> HANDLE {
    let id = runtime::create_thread(Box::new(start));
    let h = with_world(|w, _| w.thread_handle(id));
    on_created(id.0, h);
    // Creating a thread is a scheduling point.
    call(|_, _| wsasim_core::Call::Done(0));
    h
}

/// `void ExitThread(DWORD)`: ends the calling thread (its Rust stack unwinds).
pub fn ExitThread(dwExitCode: u32) -> ! {
    std::panic::resume_unwind(Box::new(runtime::Unwind::ExitThread(dwExitCode)))
}

/// `BOOL GetExitCodeThread(HANDLE, LPDWORD)`.
pub fn GetExitCodeThread(hThread: HANDLE, lpExitCode: Ptr) -> i32 {
    i32_of(call(|w, t| {
        wsasim_core::Call::Done(i64::from(w.get_exit_code_thread(t, hThread, lpExitCode)))
    }))
}

/// `BOOL CloseHandle(HANDLE)`.
pub fn CloseHandle(hObject: HANDLE) -> i32 {
    i32_of(call(|w, t| {
        wsasim_core::Call::Done(i64::from(w.close_handle(t, hObject)))
    }))
}

/// `DWORD GetCurrentThreadId(void)`.
pub fn GetCurrentThreadId() -> u32 {
    with_world(|_, t| t.0)
}

/// The calling thread's handle (what `GetCurrentThread` would duplicate).
pub fn current_thread_handle() -> HANDLE {
    with_world(|w, t| w.thread_handle(t))
}

/// The calling simulated thread.
pub fn current_thread() -> ThreadId {
    with_world(|_, t| t)
}

/// Whether the calling OS thread is a simulated thread of a run.
pub fn is_simulated_thread() -> bool {
    runtime::current().is_ok()
}

/// The live (not exited) simulated threads.
pub fn live_threads() -> Vec<ThreadId> {
    runtime::live_threads().into_iter().collect()
}

// ----- the simulated world (for harness code: scenarios, scripted peers) ---------------

/// The current virtual time (no scheduling point, nothing traced).
pub fn now() -> wsasim_core::time::Instant {
    with_world(|w, _| w.now())
}

/// The simulated host named `name` (scenario files name hosts), if the world has one.
pub fn host_named(name: &str) -> Option<wsasim_core::net::HostId> {
    with_world(|w, _| {
        w.network_mut()
            .hosts()
            .find(|(_, h)| h.name == name)
            .map(|(id, _)| id)
    })
}

/// [`CreateThread`] for a thread that lives on simulated host `host`: the sockets it
/// creates live there (a scripted peer on another machine). The thread is placed before
/// it can run.
pub fn create_thread_on(
    host: wsasim_core::net::HostId,
    start: impl FnOnce() -> u32 + Send + 'static,
) -> HANDLE {
    let id = runtime::create_thread(Box::new(start));
    // The new thread waits for the baton, which this thread holds until the scheduling
    // point below: it cannot create a socket before it is on its host.
    let h = with_world(|w, _| {
        w.set_thread_host(id, host);
        w.thread_handle(id)
    });
    call(|_, _| wsasim_core::Call::Done(0));
    h
}

/// Whether the run's memory is a simulated address space, where [`alloc`] and [`read`]
/// work, rather than the process's own memory (a C program's run: pointers are real
/// addresses, and harness code passes the addresses of its own buffers).
pub fn has_sim_memory() -> bool {
    with_world(|w, _| w.mem_mut().as_sim().is_some())
}

/// Runs `f` on the run's world with the calling simulated thread, under the baton and
/// without a scheduling point: for harness code that drives the world from inside a
/// run (the CLI applies a scenario's faults with [`wsasim_core::World::inject`] and
/// changes links with [`wsasim_core::World::network_mut`]). Program code should call
/// the Winsock functions instead.
pub fn harness_world<R>(f: impl FnOnce(&mut wsasim_core::World, ThreadId) -> R) -> R {
    with_world(f)
}
