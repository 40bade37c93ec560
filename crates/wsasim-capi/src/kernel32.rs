//! The kernel32 functions around Winsock (threads, waits, APCs, the last error),
//! exported as `wsasim_<Name>`; the headers map the Windows names to them.
//!
//! Threads are simulated threads of the run: `CreateThread` starts the program's
//! `LPTHREAD_START_ROUTINE` on an OS thread of the runtime, which runs it when the seeded
//! scheduler picks it. APC functions are C function pointers, called on the thread they
//! were queued to, in an alertable wait ([`crate::start`]'s dispatcher).

#![allow(non_snake_case)]

use crate::memory::ProcessMemory;
use crate::start::{call, call_any, foreign_error, set_foreign_error, ApcProc};
use crate::winsock::addr;
use std::ffi::{c_int, c_void};
use wsasim_core::memory::{UserMemory, UserMemoryExt};
use wsasim_core::Ptr;
use wsasim_runtime::api;

/// `DWORD WINAPI ThreadProc(LPVOID lpParameter)`.
pub type ThreadProc = unsafe extern "C" fn(*mut c_void) -> u32;

/// `WAIT_FAILED`.
const WAIT_FAILED: u32 = 0xFFFF_FFFF;
/// `ERROR_INVALID_PARAMETER`.
const ERROR_INVALID_PARAMETER: u32 = 87;
/// `ERROR_NOT_SUPPORTED`.
const ERROR_NOT_SUPPORTED: u32 = 50;
/// `ERROR_NOACCESS`: "Invalid access to memory location."
const ERROR_NOACCESS: u32 = 998;
/// `CREATE_SUSPENDED`.
const CREATE_SUSPENDED: u32 = 0x4;
/// `STACK_SIZE_PARAM_IS_A_RESERVATION`: only says how to read `dwStackSize`.
const STACK_SIZE_PARAM_IS_A_RESERVATION: u32 = 0x1_0000;

/// `DWORD GetLastError(void)`.
#[no_mangle]
pub extern "C" fn wsasim_GetLastError() -> u32 {
    call_any("GetLastError", api::GetLastError, foreign_error)
}

/// `void SetLastError(DWORD dwErrCode)`.
#[no_mangle]
pub extern "C" fn wsasim_SetLastError(dwErrCode: u32) {
    call_any(
        "SetLastError",
        || api::SetLastError(dwErrCode),
        || set_foreign_error(dwErrCode),
    )
}

/// `DWORD GetCurrentThreadId(void)`.
#[no_mangle]
pub extern "C" fn wsasim_GetCurrentThreadId() -> u32 {
    call("GetCurrentThreadId", 0, api::GetCurrentThreadId)
}

/// `void Sleep(DWORD dwMilliseconds)`: virtual time.
#[no_mangle]
pub extern "C" fn wsasim_Sleep(dwMilliseconds: u32) {
    call("Sleep", (), || api::Sleep(dwMilliseconds))
}

/// `DWORD SleepEx(DWORD dwMilliseconds, BOOL bAlertable)`: virtual time; alertable, it
/// runs the thread's queued APCs and completion routines and returns
/// `WAIT_IO_COMPLETION`.
#[no_mangle]
pub extern "C" fn wsasim_SleepEx(dwMilliseconds: u32, bAlertable: c_int) -> u32 {
    call("SleepEx", WAIT_FAILED, || {
        api::SleepEx(dwMilliseconds, bAlertable)
    })
}

/// `DWORD QueueUserAPC(PAPCFUNC pfnAPC, HANDLE hThread, ULONG_PTR dwData)`: non-zero on
/// success.
///
/// # Divergence from Windows
/// Windows queues any `pfnAPC` and the target thread crashes when it runs a bad one;
/// here a NULL `pfnAPC` fails with `ERROR_INVALID_PARAMETER` and an unmapped one with
/// `ERROR_NOACCESS`, before the handle is looked at.
#[no_mangle]
pub extern "C" fn wsasim_QueueUserAPC(
    pfnAPC: Option<ApcProc>,
    hThread: *mut c_void,
    dwData: usize,
) -> u32 {
    call("QueueUserAPC", 0, || {
        let Some(f) = pfnAPC else {
            api::SetLastError(ERROR_INVALID_PARAMETER);
            return 0;
        };
        let func = Ptr(f as usize as u64);
        if ProcessMemory.check_code(func).is_err() {
            api::SetLastError(ERROR_NOACCESS);
            return 0;
        }
        api::QueueUserAPC(func, hThread as usize as u64, dwData as u64)
    })
}

/// `HANDLE CreateThread(LPSECURITY_ATTRIBUTES lpThreadAttributes, SIZE_T dwStackSize,
/// LPTHREAD_START_ROUTINE lpStartAddress, LPVOID lpParameter, DWORD dwCreationFlags,
/// LPDWORD lpThreadId)`: a new simulated thread running `lpStartAddress(lpParameter)`;
/// its return value is the thread's exit code. `*lpThreadId` is written before the
/// thread can run.
///
/// # Divergence from Windows
/// `lpThreadAttributes` and `dwStackSize` are ignored (threads get the runtime's stack
/// size, 2 MiB). `CREATE_SUSPENDED` fails with `ERROR_NOT_SUPPORTED`, other unknown flags
/// with `ERROR_INVALID_PARAMETER`. A NULL `lpStartAddress` fails with
/// `ERROR_INVALID_PARAMETER`, an unmapped one or an unwritable `lpThreadId` with
/// `ERROR_NOACCESS` (Windows would start a thread that crashes).
#[no_mangle]
pub extern "C" fn wsasim_CreateThread(
    lpThreadAttributes: *mut c_void,
    dwStackSize: usize,
    lpStartAddress: Option<ThreadProc>,
    lpParameter: *mut c_void,
    dwCreationFlags: u32,
    lpThreadId: *mut u32,
) -> *mut c_void {
    let _ = (lpThreadAttributes, dwStackSize);
    call("CreateThread", std::ptr::null_mut(), || {
        let fail = |code| {
            api::SetLastError(code);
            std::ptr::null_mut()
        };
        let Some(start) = lpStartAddress else {
            return fail(ERROR_INVALID_PARAMETER);
        };
        if ProcessMemory
            .check_code(Ptr(start as usize as u64))
            .is_err()
        {
            return fail(ERROR_NOACCESS);
        }
        if dwCreationFlags & CREATE_SUSPENDED != 0 {
            return fail(ERROR_NOT_SUPPORTED);
        }
        if dwCreationFlags & !STACK_SIZE_PARAM_IS_A_RESERVATION != 0 {
            return fail(ERROR_INVALID_PARAMETER);
        }
        let id_at = addr(lpThreadId);
        if !id_at.is_null() && ProcessMemory.check(id_at, 4, true).is_err() {
            return fail(ERROR_NOACCESS);
        }
        let param = lpParameter as usize;
        let h = api::CreateThreadWith(
            move || {
                // SAFETY: `start` is the program's LPTHREAD_START_ROUTINE, non-null and
                // checked mapped above; its prototype is `DWORD WINAPI (LPVOID)` with the
                // host's C calling convention (WINAPI is empty), and it runs on the
                // simulated thread created for it, with the parameter the program gave.
                unsafe { start(param as *mut c_void) }
            },
            |id, _| {
                if !id_at.is_null() {
                    // Checked writable above; nothing ran in between.
                    let _ = ProcessMemory.write_u32(id_at, id);
                }
            },
        );
        h as usize as *mut c_void
    })
}

/// `DWORD WaitForSingleObject(HANDLE hHandle, DWORD dwMilliseconds)`.
#[no_mangle]
pub extern "C" fn wsasim_WaitForSingleObject(hHandle: *mut c_void, dwMilliseconds: u32) -> u32 {
    call("WaitForSingleObject", WAIT_FAILED, || {
        api::WaitForSingleObject(hHandle as usize as u64, dwMilliseconds)
    })
}

/// `DWORD WaitForSingleObjectEx(HANDLE hHandle, DWORD dwMilliseconds, BOOL bAlertable)`.
#[no_mangle]
pub extern "C" fn wsasim_WaitForSingleObjectEx(
    hHandle: *mut c_void,
    dwMilliseconds: u32,
    bAlertable: c_int,
) -> u32 {
    call("WaitForSingleObjectEx", WAIT_FAILED, || {
        api::WaitForSingleObjectEx(hHandle as usize as u64, dwMilliseconds, bAlertable)
    })
}

/// `DWORD WaitForMultipleObjects(DWORD nCount, const HANDLE *lpHandles, BOOL bWaitAll,
/// DWORD dwMilliseconds)`.
#[no_mangle]
pub extern "C" fn wsasim_WaitForMultipleObjects(
    nCount: u32,
    lpHandles: *const *mut c_void,
    bWaitAll: c_int,
    dwMilliseconds: u32,
) -> u32 {
    call("WaitForMultipleObjects", WAIT_FAILED, || {
        api::WaitForMultipleObjects(nCount, addr(lpHandles), bWaitAll, dwMilliseconds)
    })
}

/// `DWORD WaitForMultipleObjectsEx(DWORD nCount, const HANDLE *lpHandles, BOOL bWaitAll,
/// DWORD dwMilliseconds, BOOL bAlertable)`.
#[no_mangle]
pub extern "C" fn wsasim_WaitForMultipleObjectsEx(
    nCount: u32,
    lpHandles: *const *mut c_void,
    bWaitAll: c_int,
    dwMilliseconds: u32,
    bAlertable: c_int,
) -> u32 {
    call("WaitForMultipleObjectsEx", WAIT_FAILED, || {
        api::WaitForMultipleObjectsEx(
            nCount,
            addr(lpHandles),
            bWaitAll,
            dwMilliseconds,
            bAlertable,
        )
    })
}

/// `BOOL CloseHandle(HANDLE hObject)`.
#[no_mangle]
pub extern "C" fn wsasim_CloseHandle(hObject: *mut c_void) -> c_int {
    call("CloseHandle", 0, || {
        api::CloseHandle(hObject as usize as u64)
    })
}

/// `BOOL GetExitCodeThread(HANDLE hThread, LPDWORD lpExitCode)`.
#[no_mangle]
pub extern "C" fn wsasim_GetExitCodeThread(hThread: *mut c_void, lpExitCode: *mut u32) -> c_int {
    call("GetExitCodeThread", 0, || {
        api::GetExitCodeThread(hThread as usize as u64, addr(lpExitCode))
    })
}
