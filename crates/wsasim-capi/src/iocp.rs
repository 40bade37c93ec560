//! I/O completion ports, exported as `wsasim_<Name>`: `CreateIoCompletionPort`,
//! `GetQueuedCompletionStatus`, `PostQueuedCompletionStatus` (model:
//! `wsasim_core::iocp`). Pointers are handed to the model as addresses; a bad one is
//! `ERROR_NOACCESS`, not a crash.

#![allow(non_snake_case)]

use crate::start::call;
use crate::winsock::addr;
use std::ffi::{c_int, c_void};
use wsasim_core::Ptr;
use wsasim_runtime::api;

/// `HANDLE CreateIoCompletionPort(HANDLE FileHandle, HANDLE ExistingCompletionPort,
/// ULONG_PTR CompletionKey, DWORD NumberOfConcurrentThreads)`.
#[no_mangle]
pub extern "C" fn wsasim_CreateIoCompletionPort(
    FileHandle: *mut c_void,
    ExistingCompletionPort: *mut c_void,
    CompletionKey: u64,
    NumberOfConcurrentThreads: u32,
) -> *mut c_void {
    let h = call("CreateIoCompletionPort", 0, || {
        api::CreateIoCompletionPort(
            FileHandle as usize as u64,
            ExistingCompletionPort as usize as u64,
            CompletionKey,
            NumberOfConcurrentThreads,
        )
    });
    h as usize as *mut c_void
}

/// `BOOL GetQueuedCompletionStatus(HANDLE CompletionPort, LPDWORD
/// lpNumberOfBytesTransferred, PULONG_PTR lpCompletionKey, LPOVERLAPPED *lpOverlapped,
/// DWORD dwMilliseconds)`.
#[no_mangle]
pub extern "C" fn wsasim_GetQueuedCompletionStatus(
    CompletionPort: *mut c_void,
    lpNumberOfBytesTransferred: *mut u32,
    lpCompletionKey: *mut u64,
    lpOverlapped: *mut *mut c_void,
    dwMilliseconds: u32,
) -> c_int {
    call("GetQueuedCompletionStatus", 0, || {
        api::GetQueuedCompletionStatus(
            CompletionPort as usize as u64,
            addr(lpNumberOfBytesTransferred),
            addr(lpCompletionKey),
            addr(lpOverlapped),
            dwMilliseconds,
        )
    })
}

/// `BOOL PostQueuedCompletionStatus(HANDLE CompletionPort, DWORD
/// dwNumberOfBytesTransferred, ULONG_PTR dwCompletionKey, LPOVERLAPPED lpOverlapped)`.
#[no_mangle]
pub extern "C" fn wsasim_PostQueuedCompletionStatus(
    CompletionPort: *mut c_void,
    dwNumberOfBytesTransferred: u32,
    dwCompletionKey: u64,
    lpOverlapped: *mut c_void,
) -> c_int {
    call("PostQueuedCompletionStatus", 0, || {
        api::PostQueuedCompletionStatus(
            CompletionPort as usize as u64,
            dwNumberOfBytesTransferred,
            dwCompletionKey,
            Ptr(lpOverlapped as usize as u64),
        )
    })
}
