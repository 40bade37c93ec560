//! The Winsock functions (`ws2_32`), exported as `wsasim_<name>`; the headers map the
//! Windows names to them (`#define WSASend wsasim_WSASend`), so no symbol here is one
//! the C library defines.
//!
//! Each one takes Winsock's arguments with their x64 types (`SOCKET` is 64 bits,
//! `DWORD`, `LONG`, `u_long` 32) and hands them to the runtime (`wsasim_runtime::api`),
//! pointers as addresses: the model reads and writes the program's memory through
//! [`crate::memory::ProcessMemory`], so a bad pointer is `WSAEFAULT`, not a crash. No
//! function here dereferences a pointer itself.

#![allow(non_snake_case)]

use crate::start::{call, call_any, foreign_error, set_foreign_error};
use std::ffi::{c_char, c_int, c_void};
use wsasim_core::{Ptr, WsaError};
use wsasim_runtime::api;

/// A pointer argument as an address in the program's memory.
pub(crate) fn addr<T>(p: *const T) -> Ptr {
    Ptr(p as usize as u64)
}

/// `SOCKET`: `UINT_PTR`.
pub type SOCKET = u64;
/// `INVALID_SOCKET`.
const INVALID_SOCKET: SOCKET = !0;
/// `SOCKET_ERROR`.
const SOCKET_ERROR: c_int = -1;
/// `WSA_WAIT_FAILED`.
const WSA_WAIT_FAILED: u32 = 0xFFFF_FFFF;

/// `void CALLBACK (DWORD, DWORD, LPWSAOVERLAPPED, DWORD)`, or NULL.
pub type LpCompletionRoutine = Option<crate::start::CompletionRoutine>;

fn routine(r: LpCompletionRoutine) -> Ptr {
    Ptr(r.map_or(0, |f| f as usize as u64))
}

// ----- startup and errors -------------------------------------------------------------

/// `int WSAStartup(WORD wVersionRequested, LPWSADATA lpWSAData)`.
#[no_mangle]
pub extern "C" fn wsasim_WSAStartup(wVersionRequested: u16, lpWSAData: *mut c_void) -> c_int {
    call("WSAStartup", WsaError::WSASYSNOTREADY.0 as c_int, || {
        api::WSAStartup(wVersionRequested, addr(lpWSAData))
    })
}

/// `int WSACleanup(void)`.
#[no_mangle]
pub extern "C" fn wsasim_WSACleanup() -> c_int {
    call("WSACleanup", SOCKET_ERROR, api::WSACleanup)
}

/// `int WSAGetLastError(void)`.
#[no_mangle]
pub extern "C" fn wsasim_WSAGetLastError() -> c_int {
    call_any("WSAGetLastError", api::WSAGetLastError, || {
        foreign_error() as c_int
    })
}

/// `void WSASetLastError(int iError)`.
#[no_mangle]
pub extern "C" fn wsasim_WSASetLastError(iError: c_int) {
    call_any(
        "WSASetLastError",
        || api::WSASetLastError(iError),
        || set_foreign_error(iError as u32),
    )
}

/// `int WSACancelBlockingCall(void)` (Windows Sockets 1.1).
#[no_mangle]
pub extern "C" fn wsasim_WSACancelBlockingCall() -> c_int {
    call(
        "WSACancelBlockingCall",
        SOCKET_ERROR,
        api::WSACancelBlockingCall,
    )
}

/// `BOOL WSAIsBlocking(void)` (Windows Sockets 1.1).
#[no_mangle]
pub extern "C" fn wsasim_WSAIsBlocking() -> c_int {
    call("WSAIsBlocking", 0, || {
        let me = api::current_thread();
        wsasim_runtime::with_adopted_world(|w| w.wsa_is_blocking(me)).unwrap_or(0)
    })
}

// ----- sockets ------------------------------------------------------------------------

/// `SOCKET socket(int af, int type, int protocol)`.
#[no_mangle]
pub extern "C" fn wsasim_socket(af: c_int, r#type: c_int, protocol: c_int) -> SOCKET {
    call("socket", INVALID_SOCKET, || {
        api::socket(af, r#type, protocol)
    })
}

/// `SOCKET WSASocketA(int af, int type, int protocol, LPWSAPROTOCOL_INFOA
/// lpProtocolInfo, GROUP g, DWORD dwFlags)`.
#[no_mangle]
pub extern "C" fn wsasim_WSASocketA(
    af: c_int,
    r#type: c_int,
    protocol: c_int,
    lpProtocolInfo: *mut c_void,
    g: u32,
    dwFlags: u32,
) -> SOCKET {
    call("WSASocketA", INVALID_SOCKET, || {
        api::WSASocket(af, r#type, protocol, addr(lpProtocolInfo), g, dwFlags)
    })
}

/// `SOCKET WSASocketW(int af, int type, int protocol, LPWSAPROTOCOL_INFOW
/// lpProtocolInfo, GROUP g, DWORD dwFlags)`.
#[no_mangle]
pub extern "C" fn wsasim_WSASocketW(
    af: c_int,
    r#type: c_int,
    protocol: c_int,
    lpProtocolInfo: *mut c_void,
    g: u32,
    dwFlags: u32,
) -> SOCKET {
    call("WSASocketW", INVALID_SOCKET, || {
        api::WSASocket(af, r#type, protocol, addr(lpProtocolInfo), g, dwFlags)
    })
}

/// `int bind(SOCKET s, const struct sockaddr *name, int namelen)`.
#[no_mangle]
pub extern "C" fn wsasim_bind(s: SOCKET, name: *const c_void, namelen: c_int) -> c_int {
    call("bind", SOCKET_ERROR, || api::bind(s, addr(name), namelen))
}

/// `int listen(SOCKET s, int backlog)`.
#[no_mangle]
pub extern "C" fn wsasim_listen(s: SOCKET, backlog: c_int) -> c_int {
    call("listen", SOCKET_ERROR, || api::listen(s, backlog))
}

/// `SOCKET accept(SOCKET s, struct sockaddr *addr, int *addrlen)`.
#[no_mangle]
pub extern "C" fn wsasim_accept(s: SOCKET, name: *mut c_void, addrlen: *mut c_int) -> SOCKET {
    call("accept", INVALID_SOCKET, || {
        api::accept(s, addr(name), addr(addrlen))
    })
}

/// `int connect(SOCKET s, const struct sockaddr *name, int namelen)`.
#[no_mangle]
pub extern "C" fn wsasim_connect(s: SOCKET, name: *const c_void, namelen: c_int) -> c_int {
    call("connect", SOCKET_ERROR, || {
        api::connect(s, addr(name), namelen)
    })
}

/// `int getsockname(SOCKET s, struct sockaddr *name, int *namelen)`.
#[no_mangle]
pub extern "C" fn wsasim_getsockname(s: SOCKET, name: *mut c_void, namelen: *mut c_int) -> c_int {
    call("getsockname", SOCKET_ERROR, || {
        api::getsockname(s, addr(name), addr(namelen))
    })
}

/// `int getpeername(SOCKET s, struct sockaddr *name, int *namelen)`.
#[no_mangle]
pub extern "C" fn wsasim_getpeername(s: SOCKET, name: *mut c_void, namelen: *mut c_int) -> c_int {
    call("getpeername", SOCKET_ERROR, || {
        api::getpeername(s, addr(name), addr(namelen))
    })
}

/// `int shutdown(SOCKET s, int how)`.
#[no_mangle]
pub extern "C" fn wsasim_shutdown(s: SOCKET, how: c_int) -> c_int {
    call("shutdown", SOCKET_ERROR, || api::shutdown(s, how))
}

/// `int closesocket(SOCKET s)`.
#[no_mangle]
pub extern "C" fn wsasim_closesocket(s: SOCKET) -> c_int {
    call("closesocket", SOCKET_ERROR, || api::closesocket(s))
}

/// `int setsockopt(SOCKET s, int level, int optname, const char *optval, int optlen)`.
#[no_mangle]
pub extern "C" fn wsasim_setsockopt(
    s: SOCKET,
    level: c_int,
    optname: c_int,
    optval: *const c_char,
    optlen: c_int,
) -> c_int {
    call("setsockopt", SOCKET_ERROR, || {
        api::setsockopt(s, level, optname, addr(optval), optlen)
    })
}

/// `int getsockopt(SOCKET s, int level, int optname, char *optval, int *optlen)`.
#[no_mangle]
pub extern "C" fn wsasim_getsockopt(
    s: SOCKET,
    level: c_int,
    optname: c_int,
    optval: *mut c_char,
    optlen: *mut c_int,
) -> c_int {
    call("getsockopt", SOCKET_ERROR, || {
        api::getsockopt(s, level, optname, addr(optval), addr(optlen))
    })
}

/// `int ioctlsocket(SOCKET s, long cmd, u_long *argp)`: Windows' `long` and `u_long` are
/// 32 bits.
#[no_mangle]
pub extern "C" fn wsasim_ioctlsocket(s: SOCKET, cmd: i32, argp: *mut u32) -> c_int {
    call("ioctlsocket", SOCKET_ERROR, || {
        api::ioctlsocket(s, cmd as u32, addr(argp))
    })
}

// ----- data ---------------------------------------------------------------------------

/// `int send(SOCKET s, const char *buf, int len, int flags)`.
#[no_mangle]
pub extern "C" fn wsasim_send(s: SOCKET, buf: *const c_char, len: c_int, flags: c_int) -> c_int {
    call("send", SOCKET_ERROR, || api::send(s, addr(buf), len, flags))
}

/// `int recv(SOCKET s, char *buf, int len, int flags)`.
#[no_mangle]
pub extern "C" fn wsasim_recv(s: SOCKET, buf: *mut c_char, len: c_int, flags: c_int) -> c_int {
    call("recv", SOCKET_ERROR, || api::recv(s, addr(buf), len, flags))
}

/// `int WSASend(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount, LPDWORD
/// lpNumberOfBytesSent, DWORD dwFlags, LPWSAOVERLAPPED lpOverlapped,
/// LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine)`.
#[no_mangle]
pub extern "C" fn wsasim_WSASend(
    s: SOCKET,
    lpBuffers: *mut c_void,
    dwBufferCount: u32,
    lpNumberOfBytesSent: *mut u32,
    dwFlags: u32,
    lpOverlapped: *mut c_void,
    lpCompletionRoutine: LpCompletionRoutine,
) -> c_int {
    call("WSASend", SOCKET_ERROR, || {
        api::WSASend(
            s,
            addr(lpBuffers),
            dwBufferCount,
            addr(lpNumberOfBytesSent),
            dwFlags,
            addr(lpOverlapped),
            routine(lpCompletionRoutine),
        )
    })
}

/// `int WSARecv(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount, LPDWORD
/// lpNumberOfBytesRecvd, LPDWORD lpFlags, LPWSAOVERLAPPED lpOverlapped,
/// LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine)`.
#[no_mangle]
pub extern "C" fn wsasim_WSARecv(
    s: SOCKET,
    lpBuffers: *mut c_void,
    dwBufferCount: u32,
    lpNumberOfBytesRecvd: *mut u32,
    lpFlags: *mut u32,
    lpOverlapped: *mut c_void,
    lpCompletionRoutine: LpCompletionRoutine,
) -> c_int {
    call("WSARecv", SOCKET_ERROR, || {
        api::WSARecv(
            s,
            addr(lpBuffers),
            dwBufferCount,
            addr(lpNumberOfBytesRecvd),
            addr(lpFlags),
            addr(lpOverlapped),
            routine(lpCompletionRoutine),
        )
    })
}

// ----- events -------------------------------------------------------------------------

/// `WSAEVENT WSACreateEvent(void)`.
#[no_mangle]
pub extern "C" fn wsasim_WSACreateEvent() -> *mut c_void {
    call("WSACreateEvent", std::ptr::null_mut(), || {
        api::WSACreateEvent() as usize as *mut c_void
    })
}

/// `BOOL WSACloseEvent(WSAEVENT hEvent)`.
#[no_mangle]
pub extern "C" fn wsasim_WSACloseEvent(hEvent: *mut c_void) -> c_int {
    call("WSACloseEvent", 0, || {
        api::WSACloseEvent(hEvent as usize as u64)
    })
}

/// `BOOL WSASetEvent(WSAEVENT hEvent)`.
#[no_mangle]
pub extern "C" fn wsasim_WSASetEvent(hEvent: *mut c_void) -> c_int {
    call("WSASetEvent", 0, || {
        api::WSASetEvent(hEvent as usize as u64)
    })
}

/// `BOOL WSAResetEvent(WSAEVENT hEvent)`.
#[no_mangle]
pub extern "C" fn wsasim_WSAResetEvent(hEvent: *mut c_void) -> c_int {
    call("WSAResetEvent", 0, || {
        api::WSAResetEvent(hEvent as usize as u64)
    })
}

/// `DWORD WSAWaitForMultipleEvents(DWORD cEvents, const WSAEVENT *lphEvents, BOOL
/// fWaitAll, DWORD dwTimeout, BOOL fAlertable)`.
#[no_mangle]
pub extern "C" fn wsasim_WSAWaitForMultipleEvents(
    cEvents: u32,
    lphEvents: *const *mut c_void,
    fWaitAll: c_int,
    dwTimeout: u32,
    fAlertable: c_int,
) -> u32 {
    call("WSAWaitForMultipleEvents", WSA_WAIT_FAILED, || {
        api::WSAWaitForMultipleEvents(cEvents, addr(lphEvents), fWaitAll, dwTimeout, fAlertable)
    })
}

/// `BOOL WSAGetOverlappedResult(SOCKET s, LPWSAOVERLAPPED lpOverlapped, LPDWORD
/// lpcbTransfer, BOOL fWait, LPDWORD lpdwFlags)`.
#[no_mangle]
pub extern "C" fn wsasim_WSAGetOverlappedResult(
    s: SOCKET,
    lpOverlapped: *mut c_void,
    lpcbTransfer: *mut u32,
    fWait: c_int,
    lpdwFlags: *mut u32,
) -> c_int {
    call("WSAGetOverlappedResult", 0, || {
        api::WSAGetOverlappedResult(
            s,
            addr(lpOverlapped),
            addr(lpcbTransfer),
            fWait,
            addr(lpdwFlags),
        )
    })
}

// ----- byte order (pure: no run is started) ---------------------------------------------

/// `u_short htons(u_short hostshort)`.
#[no_mangle]
pub extern "C" fn wsasim_htons(hostshort: u16) -> u16 {
    hostshort.to_be()
}

/// `u_long htonl(u_long hostlong)` (32 bits).
#[no_mangle]
pub extern "C" fn wsasim_htonl(hostlong: u32) -> u32 {
    hostlong.to_be()
}

/// `u_short ntohs(u_short netshort)`.
#[no_mangle]
pub extern "C" fn wsasim_ntohs(netshort: u16) -> u16 {
    u16::from_be(netshort)
}

/// `u_long ntohl(u_long netlong)` (32 bits).
#[no_mangle]
pub extern "C" fn wsasim_ntohl(netlong: u32) -> u32 {
    u32::from_be(netlong)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_order_functions_swap_to_big_endian() {
        assert_eq!(wsasim_htons(0x1234).to_ne_bytes(), [0x12, 0x34]);
        assert_eq!(
            wsasim_htonl(0x1234_5678).to_ne_bytes(),
            [0x12, 0x34, 0x56, 0x78]
        );
        assert_eq!(wsasim_ntohs(wsasim_htons(27015)), 27015);
        assert_eq!(wsasim_ntohl(wsasim_htonl(0x7f00_0001)), 0x7f00_0001);
    }
}
