//! The datagram functions of issue 5 (`WSASendMsg`, `WSASendTo`, `sendto`, `recvfrom`,
//! `WSARecvFrom`), `WSAIoctl`, and `WSARecvMsg`, which is reached only through
//! `WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER, WSAID_WSARECVMSG)`, as on Windows.
//!
//! The model answers `SIO_GET_EXTENSION_FUNCTION_POINTER` with tokens
//! ([`wsasim_core::EXT_FN_WSASENDMSG`], [`wsasim_core::EXT_FN_WSARECVMSG`]): it has no
//! code addresses of its own. [`wsasim_WSAIoctl`] replaces a token in the program's
//! output buffer with the address of the library's C-callable function, before the
//! call's scheduling point (no other thread can see the token). As everywhere in this
//! crate, no function here dereferences a pointer itself: the model reads and writes
//! through [`crate::memory::ProcessMemory`], so a bad pointer is `WSAEFAULT`.

#![allow(non_snake_case)]

use crate::start::call;
use crate::winsock::{addr, LpCompletionRoutine, SOCKET};
use std::ffi::{c_char, c_int, c_void};
use wsasim_core::consts::SIO_GET_EXTENSION_FUNCTION_POINTER;
use wsasim_core::memory::UserMemoryExt;
use wsasim_core::{Ptr, EXT_FN_WSARECVMSG, EXT_FN_WSASENDMSG};
use wsasim_runtime::api;

/// `SOCKET_ERROR`.
const SOCKET_ERROR: c_int = -1;

fn routine(r: LpCompletionRoutine) -> Ptr {
    Ptr(r.map_or(0, |f| f as usize as u64))
}

/// `LPFN_WSASENDMSG`.
type SendMsgFn =
    extern "C" fn(SOCKET, *mut c_void, u32, *mut u32, *mut c_void, LpCompletionRoutine) -> c_int;
/// `LPFN_WSARECVMSG`.
type RecvMsgFn =
    extern "C" fn(SOCKET, *mut c_void, *mut u32, *mut c_void, LpCompletionRoutine) -> c_int;

/// The address `SIO_GET_EXTENSION_FUNCTION_POINTER` hands out for a model token.
fn extension_address(token: u64) -> Option<u64> {
    match token {
        EXT_FN_WSASENDMSG => Some(wsasim_WSASendMsg as SendMsgFn as usize as u64),
        EXT_FN_WSARECVMSG => Some(WSARecvMsg as RecvMsgFn as usize as u64),
        _ => None,
    }
}

/// `int WSASendMsg(SOCKET Handle, LPWSAMSG lpMsg, DWORD dwFlags, LPDWORD
/// lpNumberOfBytesSent, LPWSAOVERLAPPED lpOverlapped, LPWSAOVERLAPPED_COMPLETION_ROUTINE
/// lpCompletionRoutine)`: exported, and the function `WSAID_WSASENDMSG` yields.
#[no_mangle]
pub extern "C" fn wsasim_WSASendMsg(
    Handle: SOCKET,
    lpMsg: *mut c_void,
    dwFlags: u32,
    lpNumberOfBytesSent: *mut u32,
    lpOverlapped: *mut c_void,
    lpCompletionRoutine: LpCompletionRoutine,
) -> c_int {
    call("WSASendMsg", SOCKET_ERROR, || {
        api::WSASendMsg(
            Handle,
            addr(lpMsg),
            dwFlags,
            addr(lpNumberOfBytesSent),
            addr(lpOverlapped),
            routine(lpCompletionRoutine),
        )
    })
}

/// `INT WSARecvMsg(SOCKET s, LPWSAMSG lpMsg, LPDWORD lpdwNumberOfBytesRecvd,
/// LPWSAOVERLAPPED lpOverlapped, LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine)`.
/// Not exported: "The WSARecvMsg function ... must be obtained at run time by making a
/// call to the WSAIoctl function with the SIO_GET_EXTENSION_FUNCTION_POINTER opcode
/// specified" (SDK `LPFN_WSARECVMSG`).
extern "C" fn WSARecvMsg(
    s: SOCKET,
    lpMsg: *mut c_void,
    lpdwNumberOfBytesRecvd: *mut u32,
    lpOverlapped: *mut c_void,
    lpCompletionRoutine: LpCompletionRoutine,
) -> c_int {
    call("WSARecvMsg", SOCKET_ERROR, || {
        api::WSARecvMsg(
            s,
            addr(lpMsg),
            addr(lpdwNumberOfBytesRecvd),
            addr(lpOverlapped),
            routine(lpCompletionRoutine),
        )
    })
}

/// `int WSASendTo(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount, LPDWORD
/// lpNumberOfBytesSent, DWORD dwFlags, const struct sockaddr *lpTo, int iTolen,
/// LPWSAOVERLAPPED lpOverlapped, LPWSAOVERLAPPED_COMPLETION_ROUTINE
/// lpCompletionRoutine)`.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn wsasim_WSASendTo(
    s: SOCKET,
    lpBuffers: *mut c_void,
    dwBufferCount: u32,
    lpNumberOfBytesSent: *mut u32,
    dwFlags: u32,
    lpTo: *const c_void,
    iTolen: c_int,
    lpOverlapped: *mut c_void,
    lpCompletionRoutine: LpCompletionRoutine,
) -> c_int {
    call("WSASendTo", SOCKET_ERROR, || {
        api::WSASendTo(
            s,
            addr(lpBuffers),
            dwBufferCount,
            addr(lpNumberOfBytesSent),
            dwFlags,
            addr(lpTo),
            iTolen,
            addr(lpOverlapped),
            routine(lpCompletionRoutine),
        )
    })
}

/// `int sendto(SOCKET s, const char *buf, int len, int flags, const struct sockaddr *to,
/// int tolen)`.
#[no_mangle]
pub extern "C" fn wsasim_sendto(
    s: SOCKET,
    buf: *const c_char,
    len: c_int,
    flags: c_int,
    to: *const c_void,
    tolen: c_int,
) -> c_int {
    call("sendto", SOCKET_ERROR, || {
        api::sendto(s, addr(buf), len, flags, addr(to), tolen)
    })
}

/// `int recvfrom(SOCKET s, char *buf, int len, int flags, struct sockaddr *from, int
/// *fromlen)`.
#[no_mangle]
pub extern "C" fn wsasim_recvfrom(
    s: SOCKET,
    buf: *mut c_char,
    len: c_int,
    flags: c_int,
    from: *mut c_void,
    fromlen: *mut c_int,
) -> c_int {
    call("recvfrom", SOCKET_ERROR, || {
        api::recvfrom(s, addr(buf), len, flags, addr(from), addr(fromlen))
    })
}

/// `int WSARecvFrom(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount, LPDWORD
/// lpNumberOfBytesRecvd, LPDWORD lpFlags, struct sockaddr *lpFrom, LPINT lpFromlen,
/// LPWSAOVERLAPPED lpOverlapped, LPWSAOVERLAPPED_COMPLETION_ROUTINE
/// lpCompletionRoutine)`.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn wsasim_WSARecvFrom(
    s: SOCKET,
    lpBuffers: *mut c_void,
    dwBufferCount: u32,
    lpNumberOfBytesRecvd: *mut u32,
    lpFlags: *mut u32,
    lpFrom: *mut c_void,
    lpFromlen: *mut c_int,
    lpOverlapped: *mut c_void,
    lpCompletionRoutine: LpCompletionRoutine,
) -> c_int {
    call("WSARecvFrom", SOCKET_ERROR, || {
        api::WSARecvFrom(
            s,
            addr(lpBuffers),
            dwBufferCount,
            addr(lpNumberOfBytesRecvd),
            addr(lpFlags),
            addr(lpFrom),
            addr(lpFromlen),
            addr(lpOverlapped),
            routine(lpCompletionRoutine),
        )
    })
}

/// `int WSAIoctl(SOCKET s, DWORD dwIoControlCode, LPVOID lpvInBuffer, DWORD cbInBuffer,
/// LPVOID lpvOutBuffer, DWORD cbOutBuffer, LPDWORD lpcbBytesReturned, LPWSAOVERLAPPED
/// lpOverlapped, LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine)`: the codes the
/// model supports (`SIO_GET_EXTENSION_FUNCTION_POINTER` for `WSAID_WSASENDMSG` and
/// `WSAID_WSARECVMSG`, `FIONBIO`, `FIONREAD`, `SIOCATMARK`); any other is
/// `WSAEOPNOTSUPP`.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn wsasim_WSAIoctl(
    s: SOCKET,
    dwIoControlCode: u32,
    lpvInBuffer: *mut c_void,
    cbInBuffer: u32,
    lpvOutBuffer: *mut c_void,
    cbOutBuffer: u32,
    lpcbBytesReturned: *mut u32,
    lpOverlapped: *mut c_void,
    lpCompletionRoutine: LpCompletionRoutine,
) -> c_int {
    let out = addr(lpvOutBuffer);
    call("WSAIoctl", SOCKET_ERROR, || {
        api::WSAIoctlThen(
            s,
            dwIoControlCode,
            addr(lpvInBuffer),
            cbInBuffer,
            out,
            cbOutBuffer,
            addr(lpcbBytesReturned),
            addr(lpOverlapped),
            routine(lpCompletionRoutine),
            |w, result| {
                if result != 0 || dwIoControlCode != SIO_GET_EXTENSION_FUNCTION_POINTER {
                    return;
                }
                // The model wrote its 8-byte token there (it checked cbOutBuffer and the
                // buffer); the program gets the function's address instead.
                let Ok(token) = w.mem().read_u64(out) else {
                    return;
                };
                if let Some(f) = extension_address(token) {
                    let _ = w.mem_mut().write_u64(out, f);
                }
            },
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_tokens_map_to_the_two_functions_and_nothing_else() {
        let send = extension_address(EXT_FN_WSASENDMSG).unwrap();
        let recv = extension_address(EXT_FN_WSARECVMSG).unwrap();
        assert_eq!(send, wsasim_WSASendMsg as SendMsgFn as usize as u64);
        assert_eq!(recv, WSARecvMsg as RecvMsgFn as usize as u64);
        assert_ne!(send, recv);
        assert_eq!(extension_address(0), None);
        assert_eq!(extension_address(EXT_FN_WSASENDMSG + 7), None);
    }
}
