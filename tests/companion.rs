//! The companion API of `WSASend`: startup and cleanup, socket set-up, receiving,
//! shutdown and close, options, `ioctlsocket`, events and waits, `SleepEx` and APCs,
//! `WSAGetOverlappedResult` and the last error.
//!
//! Every test asserts the exact Windows answer: the SDK pages summarised in
//! `reference/windows-semantics.md` §1-§7 and the rows verified on Windows in
//! `reference/wine-facts.md` (§3.1 L*, §4 O*, §5 C*, §6 X*, §7 G*, §8 R*, §9 P*). The row
//! or page behind each test is named in its doc comment.

use std::cell::RefCell;
use std::rc::Rc;

use wsasim_core::consts::*;
use wsasim_core::harness::Harness;
use wsasim_core::memory::UserMemoryExt;
use wsasim_core::net::{Link, SockAddr};
use wsasim_core::time::Duration;
use wsasim_core::{Config, Profile, Ptr, ThreadId, WsaError};
use wsasim_tests::*;

// ----- helpers ---------------------------------------------------------------------------

const STATUS_PENDING: u64 = 0x103;
const STATUS_CANCELLED: u64 = 0xC000_0120;
const STATUS_CONNECTION_RESET: u64 = 0xC000_020D;
const STATUS_CONNECTION_ABORTED: u64 = 0xC000_0241;
const STATUS_BUFFER_OVERFLOW: u64 = 0x8000_0005;
const SOCKET_ERR: i64 = SOCKET_ERROR as i64;

/// Asserts the calling thread's last error.
#[track_caller]
fn assert_err(h: &Harness, t: ThreadId, e: WsaError) {
    let got = h.last_error(t);
    assert_eq!(
        got,
        e.0,
        "last error {got} ({:?}), expected {} ({:?})",
        WsaError(got).name(),
        e.0,
        e.name()
    );
}

/// A harness whose `WSAStartup` has not been called.
fn fresh() -> (Harness, ThreadId) {
    let h = Harness::new(Config::new(1, Profile::Windows));
    let t = h.main_thread();
    (h, t)
}

fn windows() -> (Harness, ThreadId) {
    started(Profile::Windows, 1)
}

fn tcp(h: &mut Harness, t: ThreadId) -> u64 {
    let s = h.socket(t, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    assert_ne!(s, INVALID_SOCKET, "socket: {}", h.last_error(t));
    s
}

fn udp(h: &mut Harness, t: ThreadId) -> u64 {
    let s = h.socket(t, AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    assert_ne!(s, INVALID_SOCKET, "socket: {}", h.last_error(t));
    s
}

#[track_caller]
fn bind_to(h: &mut Harness, t: ThreadId, s: u64, addr: &str) {
    let (a, n) = sockaddr(h, addr);
    assert_eq!(h.bind(t, s, a, n), 0, "bind: {}", h.last_error(t));
}

/// A `sockaddr` out-buffer of 28 bytes and its length variable.
fn name_out(h: &mut Harness) -> (Ptr, Ptr) {
    let p = h.sim().alloc(28);
    let n = dword(h, 28);
    (p, n)
}

#[track_caller]
fn sock_name(h: &mut Harness, t: ThreadId, s: u64) -> SockAddr {
    let (p, n) = name_out(h);
    assert_eq!(
        h.getsockname(t, s, p, n),
        0,
        "getsockname: {}",
        h.last_error(t)
    );
    let len = read_u32(h, n) as i32;
    SockAddr::read(h.mem(), p, len).expect("a sockaddr")
}

#[track_caller]
fn peer_name(h: &mut Harness, t: ThreadId, s: u64) -> SockAddr {
    let (p, n) = name_out(h);
    assert_eq!(
        h.getpeername(t, s, p, n),
        0,
        "getpeername: {}",
        h.last_error(t)
    );
    let len = read_u32(h, n) as i32;
    SockAddr::read(h.mem(), p, len).expect("a sockaddr")
}

/// `getsockopt` with a 4-byte buffer holding 0xdeadbeef: `(return, value, optlen)`.
fn get_opt(h: &mut Harness, t: ThreadId, s: u64, level: i32, name: i32) -> (i32, u32, u32) {
    let v = dword(h, 0xdead_beef);
    let n = dword(h, 4);
    let r = h.getsockopt(t, s, level, name, v, n);
    (r, read_u32(h, v), read_u32(h, n))
}

#[track_caller]
fn get_int(h: &mut Harness, t: ThreadId, s: u64, level: i32, name: i32) -> u32 {
    let (r, v, n) = get_opt(h, t, s, level, name);
    assert_eq!(r, 0, "getsockopt({name:#x}): {}", h.last_error(t));
    assert_eq!(n, 4, "optlen");
    v
}

fn set_opt(h: &mut Harness, t: ThreadId, s: u64, level: i32, name: i32, v: u32, len: i32) -> i32 {
    let p = dword(h, v);
    h.setsockopt(t, s, level, name, p, len)
}

fn linger(onoff: u16, secs: u16) -> u32 {
    u32::from(onoff) | (u32::from(secs) << 16)
}

#[track_caller]
fn set_nonblocking(h: &mut Harness, t: ThreadId, s: u64, on: bool) {
    let p = dword(h, u32::from(on));
    assert_eq!(
        h.ioctlsocket(t, s, FIONBIO, p),
        0,
        "FIONBIO: {}",
        h.last_error(t)
    );
}

/// `send(s, data)`, asserting it took everything.
#[track_caller]
fn send_all(h: &mut Harness, t: ThreadId, s: u64, data: &[u8]) {
    let b = bytes(h, data);
    let call = h.send(t, s, b, data.len() as i32, 0);
    assert_eq!(
        h.done(t, call),
        data.len() as i64,
        "send: {}",
        h.last_error(t)
    );
}

/// `recv(s, len)`: the return value and the bytes received.
fn recv_some(h: &mut Harness, t: ThreadId, s: u64, len: usize) -> (i64, Vec<u8>) {
    let b = h.sim().alloc(len.max(1));
    let call = h.recv(t, s, b, len as i32, 0);
    let n = h.done(t, call);
    let data = if n > 0 {
        h.sim().read_vec(b, n as usize).expect("readable")
    } else {
        Vec::new()
    };
    (n, data)
}

/// Blocking reads until `recv` returns 0 (or fails): the bytes, and the last return.
fn recv_to_end(h: &mut Harness, t: ThreadId, s: u64) -> (Vec<u8>, i64) {
    let mut out = Vec::new();
    loop {
        let (n, d) = recv_some(h, t, s, 65536);
        if n <= 0 {
            return (out, n);
        }
        out.extend(d);
    }
}

/// An overlapped `WSARecv` of `len` bytes on `s` with `hEvent = event`, its OVERLAPPED
/// primed with 0xdeadbeef in `Internal` and `InternalHigh`: `(call, overlapped, buffer)`.
fn post_recv(h: &mut Harness, t: ThreadId, s: u64, len: u32, event: u64) -> (i64, Ptr, Ptr) {
    let ov = overlapped(h, event);
    h.mem_mut().write_u64(ov, 0xdead_beef).unwrap();
    h.mem_mut().write_u64(Ptr(ov.0 + 8), 0xdead_beef).unwrap();
    let buf = h.sim().alloc(len.max(1) as usize);
    let arr = wsabufs(h, &[(buf, len)]);
    let flags = dword(h, 0);
    let call = h.wsa_recv(t, s, arr, 1, Ptr::NULL, flags, ov, Ptr::NULL);
    (call.done().expect("an overlapped call returns"), ov, buf)
}

fn internal(h: &Harness, ov: Ptr) -> u64 {
    read_u64(h, ov)
}

fn internal_high(h: &Harness, ov: Ptr) -> u64 {
    read_u64(h, Ptr(ov.0 + 8))
}

/// `WSAWaitForMultipleEvents` over `events`.
fn wait(h: &mut Harness, t: ThreadId, events: &[u64], all: bool, ms: u32, alertable: bool) -> i64 {
    let mut raw = Vec::new();
    for e in events {
        raw.extend_from_slice(&e.to_le_bytes());
    }
    let arr = h.sim().alloc_bytes(&raw);
    let call = h.wsa_wait_for_multiple_events(
        t,
        events.len() as u32,
        arr,
        i32::from(all),
        ms,
        i32::from(alertable),
    );
    h.done(t, call)
}

/// An APC function that appends its parameter to the returned log.
fn apc_log(h: &mut Harness) -> (Ptr, Rc<RefCell<Vec<u64>>>) {
    let log = Rc::new(RefCell::new(Vec::new()));
    let l = log.clone();
    let f = h.apc_fn(move |_, _, p| l.borrow_mut().push(p));
    (f, log)
}

fn queue_apc(h: &mut Harness, t: ThreadId, f: Ptr, target: ThreadId, param: u64) {
    let th = h.thread_handle(target);
    assert_ne!(h.queue_user_apc(t, f, th, param), 0, "QueueUserAPC");
}

fn sleep(h: &mut Harness, t: ThreadId, ms: u32, alertable: bool) -> i64 {
    let call = h.sleep_ex(t, ms, i32::from(alertable));
    h.done(t, call)
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Gives loopback a one-way latency, so that things are in flight for a while.
fn slow_loopback(h: &mut Harness, latency_ms: u64) {
    h.network_mut().loopback = Link {
        latency: ms(latency_ms),
        bandwidth: None,
    };
}

// ===== WSAStartup / WSACleanup =============================================================

/// SDK wsastartup: "Ws2_32 accepts 1.0, 1.1, 2.0, 2.1, 2.2" and reports the version in
/// `wVersion` and the highest in `wHighVersion`.
#[test]
fn startup_accepts_versions_1_0_through_2_2_and_reports_them() {
    for v in [
        makeword(1, 0),
        makeword(1, 1),
        makeword(2, 0),
        makeword(2, 1),
        makeword(2, 2),
    ] {
        let (mut h, t) = fresh();
        let data = h.sim().alloc(408);
        assert_eq!(h.wsa_startup(t, v, data), 0, "version {v:#06x}");
        let raw = h.sim().read_vec(data, 4).unwrap();
        assert_eq!(u16::from_le_bytes([raw[0], raw[1]]), v, "wVersion");
        assert_eq!(u16::from_le_bytes([raw[2], raw[3]]), 0x0202, "wHighVersion");
        assert_ne!(tcp(&mut h, t), INVALID_SOCKET);
    }
}

/// SDK wsastartup: a request above the highest supported version gets the highest, 2.2.
#[test]
fn startup_with_version_3_0_negotiates_2_2() {
    let (mut h, t) = fresh();
    let data = h.sim().alloc(408);
    assert_eq!(h.wsa_startup(t, makeword(3, 0), data), 0);
    let raw = h.sim().read_vec(data, 4).unwrap();
    assert_eq!(u16::from_le_bytes([raw[0], raw[1]]), 0x0202, "wVersion");
    assert_eq!(u16::from_le_bytes([raw[2], raw[3]]), 0x0202, "wHighVersion");
}

/// SDK wsastartup: below the lowest supported version is WSAVERNOTSUPPORTED, returned
/// directly; the reference count does not move.
#[test]
fn startup_with_version_0_x_returns_wsavernotsupported_and_counts_nothing() {
    let (mut h, t) = fresh();
    let data = h.sim().alloc(408);
    assert_eq!(
        h.wsa_startup(t, makeword(0, 9), data),
        WsaError::WSAVERNOTSUPPORTED.0 as i32
    );
    assert_eq!(
        h.socket(t, AF_INET, SOCK_STREAM, IPPROTO_TCP),
        INVALID_SOCKET
    );
    assert_err(&h, t, WsaError::WSANOTINITIALISED);
}

/// SDK wsastartup: WSAEFAULT "The lpWSAData parameter is not a valid pointer."
#[test]
fn startup_with_null_or_short_wsadata_is_wsaefault() {
    let (mut h, t) = fresh();
    assert_eq!(
        h.wsa_startup(t, makeword(2, 2), Ptr::NULL),
        WsaError::WSAEFAULT.0 as i32
    );
    // One byte short of the x64 WSADATA (408 bytes).
    let short = h.sim().alloc(407);
    assert_eq!(
        h.wsa_startup(t, makeword(2, 2), short),
        WsaError::WSAEFAULT.0 as i32
    );
    assert_eq!(h.wsa_cleanup(t), SOCKET_ERROR, "no startup counted");
    assert_err(&h, t, WsaError::WSANOTINITIALISED);
}

/// HDR WinSock2.h, Win64 `WSADATA`: `wVersion`@0, `wHighVersion`@2, `iMaxSockets`@4,
/// `iMaxUdpDg`@6, `lpVendorInfo`@8, `szDescription[257]`@16, `szSystemStatus[129]`@273,
/// 408 bytes.
#[test]
fn startup_fills_the_x64_wsadata_layout() {
    let (mut h, t) = fresh();
    let data = h.sim().alloc_bytes(&[0xCC; 408]);
    assert_eq!(h.wsa_startup(t, makeword(2, 2), data), 0);
    let raw = h.sim().read_vec(data, 408).unwrap();
    assert_eq!(&raw[0..4], &[2, 2, 2, 2]);
    let cstr = |field: &[u8]| {
        let end = field.iter().position(|&b| b == 0).expect("NUL-terminated");
        String::from_utf8(field[..end].to_vec()).unwrap()
    };
    let desc = cstr(&raw[16..16 + 257]);
    let status = cstr(&raw[273..273 + 129]);
    assert!(desc.starts_with("WinSock 2.0"), "szDescription = {desc:?}");
    assert_eq!(status, "Running", "szSystemStatus");
}

/// SDK wsacleanup: "N successful WSAStartups need N WSACleanups; only the last does the
/// work. Calling WSACleanup too many times ... WSANOTINITIALISED".
#[test]
fn cleanup_is_reference_counted_and_one_too_many_is_wsanotinitialised() {
    let (mut h, t) = fresh();
    let data = h.sim().alloc(408);
    assert_eq!(h.wsa_startup(t, makeword(2, 2), data), 0);
    assert_eq!(h.wsa_startup(t, makeword(2, 2), data), 0);
    assert_eq!(h.wsa_cleanup(t), 0);
    let s = tcp(&mut h, t);
    assert_eq!(h.wsa_cleanup(t), 0);
    assert_eq!(
        h.socket(t, AF_INET, SOCK_STREAM, IPPROTO_TCP),
        INVALID_SOCKET
    );
    assert_err(&h, t, WsaError::WSANOTINITIALISED);
    assert_eq!(h.wsa_cleanup(t), SOCKET_ERROR);
    assert_err(&h, t, WsaError::WSANOTINITIALISED);
    let _ = s;
}

/// SDK wsastartup: "must precede other calls"; calls before it are WSANOTINITIALISED.
#[test]
fn calls_before_startup_are_wsanotinitialised() {
    let (mut h, t) = fresh();
    assert_eq!(h.wsa_create_event(t), WSA_INVALID_EVENT);
    assert_err(&h, t, WsaError::WSANOTINITIALISED);
    assert_eq!(h.wsa_cleanup(t), SOCKET_ERROR);
    assert_err(&h, t, WsaError::WSANOTINITIALISED);
}

/// A connected pair whose client has a pending overlapped 1 MiB send (SO_SNDBUF = 0 and
/// a peer that does not read, wine-facts O1).
fn pending_send(h: &mut Harness, t: ThreadId, port: u16, ev: u64, routine: Ptr) -> (u64, u64, Ptr) {
    let (c, s) = pair_on(h, t, port, Some(4096));
    set_int_opt(h, t, c, SOL_SOCKET, SO_SNDBUF, 0);
    let data = h.sim().alloc(1 << 20);
    let arr = wsabufs(h, &[(data, 1 << 20)]);
    let ov = overlapped(h, ev);
    let call = h.wsa_send(t, c, arr, 1, Ptr::NULL, 0, ov, routine);
    assert_eq!(call.done(), Some(SOCKET_ERR));
    assert_err(h, t, WsaError::WSA_IO_PENDING);
    (c, s, ov)
}

/// SDK wsacleanup: pending overlapped operations are cancelled "without setting the event
/// object or invoking the completion routine"; they fail with WSA_OPERATION_ABORTED.
#[test]
fn cleanup_with_pending_overlapped_sends_signals_no_event_and_queues_no_routine() {
    let (mut h, t) = windows();
    let ev = h.wsa_create_event(t);
    let (_, _, ov1) = pending_send(&mut h, t, 7100, ev, Ptr::NULL);
    let ran = Rc::new(RefCell::new(0));
    let r = ran.clone();
    let routine = h.routine(move |_, _, _, _, _, _| *r.borrow_mut() += 1);
    let ev_ctx = h.wsa_create_event(t);
    let (_, _, ov2) = pending_send(&mut h, t, 7101, ev_ctx, routine);
    assert_eq!(internal(&h, ov1), STATUS_PENDING);
    assert_eq!(h.wsa_cleanup(t), 0);
    assert_eq!(internal(&h, ov1), STATUS_CANCELLED, "WSA_OPERATION_ABORTED");
    assert_eq!(internal(&h, ov2), STATUS_CANCELLED, "WSA_OPERATION_ABORTED");
    let data = h.sim().alloc(408);
    assert_eq!(h.wsa_startup(t, makeword(2, 2), data), 0);
    assert_eq!(
        wait(&mut h, t, &[ev], false, 0, true),
        i64::from(WSA_WAIT_TIMEOUT)
    );
    assert_eq!(sleep(&mut h, t, 0, true), 0, "no routine was queued");
    assert_eq!(*ran.borrow(), 0);
}

/// wine-facts E1: a socket destroyed by the final WSACleanup is stale after a new
/// WSAStartup: `send` on it is WSAENOTSOCK.
#[test]
fn socket_is_stale_after_final_cleanup_and_new_startup() {
    let (mut h, t) = windows();
    let (c, s) = tcp_pair(&mut h, t, None);
    assert_eq!(h.wsa_cleanup(t), 0);
    let data = h.sim().alloc(408);
    assert_eq!(h.wsa_startup(t, makeword(2, 2), data), 0);
    let b = bytes(&mut h, b"data");
    for sock in [c, s] {
        let call = h.send(t, sock, b, 4, 0);
        assert_eq!(call.done(), Some(SOCKET_ERR));
        assert_err(&h, t, WsaError::WSAENOTSOCK);
    }
}

/// SDK wsacleanup: open sockets are "deallocated as if closesocket were called", all of
/// them: also a nonblocking one lingering with unsent data, whose own closesocket would
/// fail with WSAEWOULDBLOCK.
#[test]
fn cleanup_deallocates_a_nonblocking_lingering_socket_with_unsent_data() {
    let (mut h, t) = windows();
    let (c, _s) = tcp_pair(&mut h, t, Some(1024));
    set_nonblocking(&mut h, t, c, true);
    send_all(&mut h, t, c, &[5u8; 8192]);
    assert_eq!(
        set_opt(&mut h, t, c, SOL_SOCKET, SO_LINGER, linger(1, 5), 4),
        0
    );
    assert_eq!(h.wsa_cleanup(t), 0);
    assert_eq!(h.pending_ops(), 0, "no lingering operation is left behind");
    let data = h.sim().alloc(408);
    assert_eq!(h.wsa_startup(t, makeword(2, 2), data), 0);
    let (r, _, _) = get_opt(&mut h, t, c, SOL_SOCKET, SO_TYPE);
    assert_eq!(r, SOCKET_ERROR);
    assert_err(&h, t, WsaError::WSAENOTSOCK);
}

/// `WSAGetLastError` returns what `WSASetLastError` set; a failed WSAStartup does not
/// touch it ("returns the error directly").
#[test]
fn set_last_error_then_get_last_error_round_trips() {
    let (mut h, t) = fresh();
    h.wsa_set_last_error(t, 12345);
    assert_eq!(h.wsa_get_last_error(t), 12345);
    assert_eq!(
        h.wsa_startup(t, makeword(2, 2), Ptr::NULL),
        WsaError::WSAEFAULT.0 as i32
    );
    assert_eq!(h.wsa_get_last_error(t), 12345);
}

// ===== socket / WSASocket ==================================================================

/// SDK socket: "A socket created by the socket function will have the overlapped
/// attribute as the default": an overlapped WSARecv with nothing to read pends.
#[test]
fn socket_has_the_overlapped_attribute_so_overlapped_recv_pends() {
    let (mut h, t) = windows();
    let (c, _s) = tcp_pair(&mut h, t, None);
    let (r, ov, _) = post_recv(&mut h, t, c, 16, 0);
    assert_eq!(r, SOCKET_ERR);
    assert_err(&h, t, WsaError::WSA_IO_PENDING);
    assert_eq!(internal(&h, ov), STATUS_PENDING);
}

/// A connected TCP pair over loopback port `port`: `(client, server)`.
fn pair_on(h: &mut Harness, t: ThreadId, port: u16, server_rcvbuf: Option<u32>) -> (u64, u64) {
    let l = listener(h, t, port, server_rcvbuf);
    let c = tcp(h, t);
    let (a, n) = sockaddr(h, &format!("127.0.0.1:{port}"));
    let call = h.connect(t, c, a, n);
    assert_eq!(h.done(t, call), 0, "connect: {}", h.last_error(t));
    let call = h.accept(t, l, Ptr::NULL, Ptr::NULL);
    let s = h.done(t, call) as u64;
    assert_ne!(s, INVALID_SOCKET);
    let call = h.closesocket(t, l);
    assert_eq!(h.done(t, call), 0);
    (c, s)
}

/// A connected pair whose client was made by `WSASocket(.., dwFlags = flags)`.
fn wsasocket_pair(h: &mut Harness, t: ThreadId, flags: u32) -> (u64, u64) {
    let l = listener(h, t, 27016, None);
    let c = h.wsa_socket(t, AF_INET, SOCK_STREAM, IPPROTO_TCP, Ptr::NULL, 0, flags);
    assert_ne!(c, INVALID_SOCKET);
    let (a, n) = sockaddr(h, "127.0.0.1:27016");
    let call = h.connect(t, c, a, n);
    assert_eq!(h.done(t, call), 0);
    let call = h.accept(t, l, Ptr::NULL, Ptr::NULL);
    let s = h.done(t, call) as u64;
    assert_ne!(s, INVALID_SOCKET);
    (c, s)
}

/// SDK wsasocketw: without WSA_FLAG_OVERLAPPED the socket has no overlapped attribute;
/// wine-facts O17: WSARecv with an OVERLAPPED on it blocks until data arrives, then
/// returns 0 (a NULL count is accepted since lpOverlapped is given).
#[test]
fn wsasocket_without_overlapped_flag_makes_overlapped_recv_block() {
    let (mut h, t) = windows();
    let (c, s) = wsasocket_pair(&mut h, t, 0);
    let ov = overlapped(&mut h, 0);
    let buf = h.sim().alloc(8);
    let arr = wsabufs(&mut h, &[(buf, 8)]);
    let flags = dword(&mut h, 0);
    let call = h.wsa_recv(t, c, arr, 1, Ptr::NULL, flags, ov, Ptr::NULL);
    assert_eq!(
        call,
        wsasim_core::Call::Blocked,
        "it blocks instead of pending"
    );
    // The peer's data arrives while the call waits.
    let t2 = h.create_thread();
    send_all(&mut h, t2, s, b"data");
    assert_eq!(h.done(t, call), 0);
    assert_eq!(h.sim().read_vec(buf, 4).unwrap(), b"data");
    // The OVERLAPPED is the request's status block: it holds the result afterwards, so
    // WSAGetOverlappedResult reads the 4 bytes back (O17).
    assert_eq!(read_u64(&h, ov), 0, "Internal = STATUS_SUCCESS");
    assert_eq!(
        read_u64(&h, wsasim_core::Ptr(ov.0 + 8)),
        4,
        "InternalHigh = bytes"
    );
}

/// wine-facts O17: on a socket without the overlapped attribute, in nonblocking mode, a
/// WSARecv with an OVERLAPPED still blocks; without one it is WSAEWOULDBLOCK.
#[test]
fn wsasocket_without_overlapped_flag_blocks_overlapped_recv_even_when_nonblocking() {
    let (mut h, t) = windows();
    let (c, s) = wsasocket_pair(&mut h, t, 0);
    set_nonblocking(&mut h, t, c, true);
    let buf = h.sim().alloc(8);
    let arr = wsabufs(&mut h, &[(buf, 8)]);
    let flags = dword(&mut h, 0);
    let n = dword(&mut h, 0xdead_beef);
    let call = h.wsa_recv(t, c, arr, 1, n, flags, Ptr::NULL, Ptr::NULL);
    assert_eq!(call.done(), Some(SOCKET_ERR));
    assert_err(&h, t, WsaError::WSAEWOULDBLOCK);
    let ov = overlapped(&mut h, 0);
    let call = h.wsa_recv(t, c, arr, 1, Ptr::NULL, flags, ov, Ptr::NULL);
    assert_eq!(call, wsasim_core::Call::Blocked);
    let t2 = h.create_thread();
    send_all(&mut h, t2, s, b"data");
    assert_eq!(h.done(t, call), 0);
    assert_eq!(h.sim().read_vec(buf, 4).unwrap(), b"data");
}

/// SDK socket: WSAEAFNOSUPPORT "The specified address family is not supported."
#[test]
fn socket_with_unknown_address_family_is_wsaeafnosupport() {
    let (mut h, t) = windows();
    assert_eq!(
        h.socket(t, 0xdead, SOCK_STREAM, IPPROTO_TCP),
        INVALID_SOCKET
    );
    assert_err(&h, t, WsaError::WSAEAFNOSUPPORT);
}

/// SDK socket: WSAESOCKTNOSUPPORT "The specified socket type is not supported in this
/// address family."
#[test]
fn socket_with_unknown_type_is_wsaesocktnosupport() {
    let (mut h, t) = windows();
    assert_eq!(h.socket(t, AF_INET, 99, 0), INVALID_SOCKET);
    assert_err(&h, t, WsaError::WSAESOCKTNOSUPPORT);
}

/// SDK socket: WSAEPROTONOSUPPORT "The specified protocol is not supported"
/// (SOCK_STREAM with IPPROTO_UDP).
#[test]
fn socket_stream_with_udp_protocol_is_wsaeprotonosupport() {
    let (mut h, t) = windows();
    assert_eq!(
        h.socket(t, AF_INET, SOCK_STREAM, IPPROTO_UDP),
        INVALID_SOCKET
    );
    assert_err(&h, t, WsaError::WSAEPROTONOSUPPORT);
    assert_eq!(
        h.socket(t, AF_INET, SOCK_DGRAM, IPPROTO_TCP),
        INVALID_SOCKET
    );
    assert_err(&h, t, WsaError::WSAEPROTONOSUPPORT);
}

/// Handles are kernel handles (multiples of 4, never 0 or INVALID_SOCKET); a closed one
/// is WSAENOTSOCK and its value is not handed out again (`docs/divergences.md`: Windows
/// may reuse it).
#[test]
fn socket_handles_are_multiples_of_4_and_stale_after_closesocket() {
    let (mut h, t) = windows();
    let a = tcp(&mut h, t);
    let b = udp(&mut h, t);
    for s in [a, b] {
        assert_eq!(s % 4, 0, "{s:#x}");
        assert_ne!(s, 0);
    }
    assert_ne!(a, b);
    let call = h.closesocket(t, a);
    assert_eq!(h.done(t, call), 0);
    let (r, v, _) = get_opt(&mut h, t, a, SOL_SOCKET, SO_TYPE);
    assert_eq!((r, v), (SOCKET_ERROR, 0xdead_beef));
    assert_err(&h, t, WsaError::WSAENOTSOCK);
    let call = h.closesocket(t, a);
    assert_eq!(call.done(), Some(SOCKET_ERR));
    assert_err(&h, t, WsaError::WSAENOTSOCK);
    for _ in 0..50 {
        let s = tcp(&mut h, t);
        assert_ne!(s, a, "a closed handle's value is not reused");
        let call = h.closesocket(t, s);
        assert_eq!(h.done(t, call), 0);
    }
}

// ===== bind ================================================================================

/// SDK bind: WSAEFAULT "the name parameter is not a valid part of the user address space,
/// the namelen parameter is too small".
#[test]
fn bind_with_null_or_bad_name_or_short_namelen_is_wsaefault() {
    let (mut h, t) = windows();
    let s = tcp(&mut h, t);
    let (a, _) = sockaddr(&mut h, "127.0.0.1:0");
    for (name, len) in [(Ptr::NULL, 16), (Ptr(1), 16), (a, 15), (a, 0), (a, -1)] {
        assert_eq!(h.bind(t, s, name, len), SOCKET_ERROR, "{name:?} {len}");
        assert_err(&h, t, WsaError::WSAEFAULT);
    }
    let (r, _, _) = get_opt(&mut h, t, s, SOL_SOCKET, SO_TYPE);
    assert_eq!(r, 0);
    let (p, n) = name_out(&mut h);
    assert_eq!(h.getsockname(t, s, p, n), SOCKET_ERROR, "still unbound");
}

/// SDK bind: WSAEFAULT also when "the name parameter contains an incorrect address format
/// for the associated address family".
#[test]
fn bind_with_family_mismatch_is_wsaefault() {
    let (mut h, t) = windows();
    let s = tcp(&mut h, t);
    let (a, n) = sockaddr(&mut h, "[::1]:0");
    assert_eq!(h.bind(t, s, a, n), SOCKET_ERROR);
    assert_err(&h, t, WsaError::WSAEFAULT);
}

/// SDK bind: WSAEADDRNOTAVAIL "The requested address is not valid in its context."
#[test]
fn bind_to_non_local_address_is_wsaeaddrnotavail() {
    let (mut h, t) = windows();
    let s = tcp(&mut h, t);
    let (a, n) = sockaddr(&mut h, "10.1.2.3:5000");
    assert_eq!(h.bind(t, s, a, n), SOCKET_ERROR);
    assert_err(&h, t, WsaError::WSAEADDRNOTAVAIL);
}

/// SDK bind: WSAEADDRINUSE "Only one usage of each socket address ... is normally
/// permitted."
#[test]
fn bind_to_address_in_use_is_wsaeaddrinuse() {
    let (mut h, t) = windows();
    let a = tcp(&mut h, t);
    bind_to(&mut h, t, a, "127.0.0.1:5000");
    let b = tcp(&mut h, t);
    let (p, n) = sockaddr(&mut h, "127.0.0.1:5000");
    assert_eq!(h.bind(t, b, p, n), SOCKET_ERROR);
    assert_err(&h, t, WsaError::WSAEADDRINUSE);
    // UDP ports are a separate space.
    let u = udp(&mut h, t);
    bind_to(&mut h, t, u, "127.0.0.1:5000");
}

/// SDK bind: WSAEINVAL "The socket is already bound to an address."
#[test]
fn bind_twice_is_wsaeinval() {
    let (mut h, t) = windows();
    let s = tcp(&mut h, t);
    bind_to(&mut h, t, s, "127.0.0.1:0");
    let (a, n) = sockaddr(&mut h, "127.0.0.1:6000");
    assert_eq!(h.bind(t, s, a, n), SOCKET_ERROR);
    assert_err(&h, t, WsaError::WSAEINVAL);
}

/// SDK bind: port 0 lets the service provider assign "a unique port ... from the dynamic
/// client port range" (49152-65535 on Windows).
#[test]
fn bind_to_port_0_assigns_an_ephemeral_port() {
    let (mut h, t) = windows();
    let s = tcp(&mut h, t);
    h.wsa_set_last_error(t, 12345);
    bind_to(&mut h, t, s, "127.0.0.1:0");
    assert_err(&h, t, WsaError::NO_ERROR);
    let a = sock_name(&mut h, t, s);
    assert!(a.port >= 49152, "port {}", a.port);
    assert_eq!(
        a,
        SockAddr::parse(&format!("127.0.0.1:{}", a.port)).unwrap()
    );
}

// ===== listen / accept =====================================================================

/// SDK listen: WSAEINVAL "The socket has not been bound with bind."
#[test]
fn listen_on_unbound_socket_is_wsaeinval() {
    let (mut h, t) = windows();
    let s = tcp(&mut h, t);
    assert_eq!(h.listen(t, s, 5), SOCKET_ERROR);
    assert_err(&h, t, WsaError::WSAEINVAL);
}

/// SDK accept: WSAEINVAL "The listen function was not invoked prior to accept."
#[test]
fn accept_on_a_socket_that_is_not_listening_is_wsaeinval() {
    let (mut h, t) = windows();
    let s = tcp(&mut h, t);
    bind_to(&mut h, t, s, "127.0.0.1:0");
    let call = h.accept(t, s, Ptr::NULL, Ptr::NULL);
    assert_eq!(call.done(), Some(INVALID_SOCKET as i64));
    assert_err(&h, t, WsaError::WSAEINVAL);
}

/// SDK accept: WSAEWOULDBLOCK "The socket is marked as nonblocking and no connections are
/// present to be accepted."
#[test]
fn accept_nonblocking_with_empty_backlog_is_wsaewouldblock() {
    let (mut h, t) = windows();
    let l = listener(&mut h, t, 7000, None);
    set_nonblocking(&mut h, t, l, true);
    let call = h.accept(t, l, Ptr::NULL, Ptr::NULL);
    assert_eq!(call.done(), Some(INVALID_SOCKET as i64));
    assert_err(&h, t, WsaError::WSAEWOULDBLOCK);
}

/// SDK accept: WSAEFAULT "The addrlen parameter is too small"; the connection stays
/// queued and a later accept with room gets it and the peer's address.
#[test]
fn accept_with_small_addrlen_is_wsaefault_then_accept_writes_the_peer() {
    let (mut h, t) = windows();
    let l = listener(&mut h, t, 7001, None);
    let c = tcp(&mut h, t);
    let (a, n) = sockaddr(&mut h, "127.0.0.1:7001");
    let call = h.connect(t, c, a, n);
    assert_eq!(h.done(t, call), 0);
    for len in [0u32, 15] {
        let addr = h.sim().alloc(28);
        let addrlen = dword(&mut h, len);
        let call = h.accept(t, l, addr, addrlen);
        assert_eq!(call.done(), Some(INVALID_SOCKET as i64), "addrlen {len}");
        assert_err(&h, t, WsaError::WSAEFAULT);
        assert_eq!(read_u32(&h, addrlen), len, "addrlen untouched");
    }
    let (addr, addrlen) = name_out(&mut h);
    let call = h.accept(t, l, addr, addrlen);
    let s = h.done(t, call) as u64;
    assert_ne!(s, INVALID_SOCKET);
    assert_eq!(read_u32(&h, addrlen), 16);
    let peer = SockAddr::read(h.mem(), addr, 16).unwrap();
    assert_eq!(peer, sock_name(&mut h, t, c));
    assert_eq!(peer, peer_name(&mut h, t, s));
}

// ===== connect =============================================================================

/// A connect to a listening socket completes through its backlog, before `accept`.
#[test]
fn blocking_connect_over_loopback_completes_before_accept_is_called() {
    let (mut h, t) = windows();
    let l = listener(&mut h, t, 7002, None);
    let c = tcp(&mut h, t);
    let (a, n) = sockaddr(&mut h, "127.0.0.1:7002");
    let call = h.connect(t, c, a, n);
    assert_eq!(h.done(t, call), 0);
    assert_eq!(
        peer_name(&mut h, t, c),
        SockAddr::parse("127.0.0.1:7002").unwrap()
    );
    send_all(&mut h, t, c, b"early");
    let call = h.accept(t, l, Ptr::NULL, Ptr::NULL);
    let s = h.done(t, call) as u64;
    assert_eq!(recv_some(&mut h, t, s, 16), (5, b"early".to_vec()));
}

/// A blocking connect over a link with latency waits for the answer in virtual time.
#[test]
fn blocking_connect_waits_one_round_trip_of_virtual_time() {
    let (mut h, t) = windows();
    slow_loopback(&mut h, 5);
    let _l = listener(&mut h, t, 7003, None);
    let c = tcp(&mut h, t);
    let (a, n) = sockaddr(&mut h, "127.0.0.1:7003");
    let call = h.connect(t, c, a, n);
    assert_eq!(call, wsasim_core::Call::Blocked);
    assert_eq!(h.done(t, call), 0);
    assert_eq!(h.now().as_nanos(), ms(10).as_nanos());
}

/// wine-facts R11: a blocking connect to a closed port is WSAECONNREFUSED; test_select
/// (W20, verified on Windows): SO_ERROR afterwards reads 0; listen on the socket works.
#[test]
fn blocking_connect_refused_is_wsaeconnrefused_and_so_error_stays_0() {
    let (mut h, t) = windows();
    let c = tcp(&mut h, t);
    let (a, n) = sockaddr(&mut h, "127.0.0.1:255");
    let call = h.connect(t, c, a, n);
    assert_eq!(h.done(t, call), SOCKET_ERR);
    assert_err(&h, t, WsaError::WSAECONNREFUSED);
    assert_eq!(get_int(&mut h, t, c, SOL_SOCKET, SO_ERROR), 0);
    assert_eq!(h.listen(t, c, 1), 0, "listen after a failed connect");
}

/// wine-facts V5 (test_select, verified): after a failed nonblocking connect SO_ERROR is
/// WSAECONNREFUSED and stays so across reads and across a new connect call; a successful
/// connection clears it.
#[test]
fn nonblocking_connect_refused_sets_a_sticky_so_error_until_a_connection_succeeds() {
    let (mut h, t) = windows();
    let l = listener(&mut h, t, 7004, None);
    let c = tcp(&mut h, t);
    set_nonblocking(&mut h, t, c, true);
    let (bad, n) = sockaddr(&mut h, "127.0.0.1:255");
    let call = h.connect(t, c, bad, n);
    assert_eq!(call.done(), Some(SOCKET_ERR));
    assert_err(&h, t, WsaError::WSAEWOULDBLOCK);
    h.settle();
    for _ in 0..2 {
        let e = get_int(&mut h, t, c, SOL_SOCKET, SO_ERROR);
        assert_eq!(e, WsaError::WSAECONNREFUSED.0);
    }
    let call = h.connect(t, c, bad, n);
    assert_eq!(call.done(), Some(SOCKET_ERR));
    assert_err(&h, t, WsaError::WSAEWOULDBLOCK);
    h.settle();
    assert_eq!(
        get_int(&mut h, t, c, SOL_SOCKET, SO_ERROR),
        WsaError::WSAECONNREFUSED.0,
        "connect() does not reset it"
    );
    let (good, n) = sockaddr(&mut h, "127.0.0.1:7004");
    let call = h.connect(t, c, good, n);
    assert_eq!(call.done(), Some(SOCKET_ERR));
    assert_err(&h, t, WsaError::WSAEWOULDBLOCK);
    h.settle();
    assert_eq!(
        get_int(&mut h, t, c, SOL_SOCKET, SO_ERROR),
        0,
        "a connection clears it"
    );
    let _ = l;
}

/// wine-facts P11 and test_connecting_socket: a nonblocking connect is WSAEWOULDBLOCK, a
/// second one while connecting WSAEALREADY, one after it connected WSAEISCONN; E16/W3:
/// recv while connecting is WSAENOTCONN.
#[test]
fn nonblocking_connect_is_wouldblock_then_already_then_isconn() {
    let (mut h, t) = windows();
    slow_loopback(&mut h, 1);
    let _l = listener(&mut h, t, 7005, None);
    let c = tcp(&mut h, t);
    set_nonblocking(&mut h, t, c, true);
    let (a, n) = sockaddr(&mut h, "127.0.0.1:7005");
    let call = h.connect(t, c, a, n);
    assert_eq!(call.done(), Some(SOCKET_ERR));
    assert_err(&h, t, WsaError::WSAEWOULDBLOCK);
    let call = h.connect(t, c, a, n);
    assert_eq!(call.done(), Some(SOCKET_ERR));
    assert_err(&h, t, WsaError::WSAEALREADY);
    let b = h.sim().alloc(4);
    let call = h.recv(t, c, b, 4, 0);
    assert_eq!(call.done(), Some(SOCKET_ERR));
    assert_err(&h, t, WsaError::WSAENOTCONN);
    assert_eq!(sleep(&mut h, t, 10, false), 0);
    let call = h.connect(t, c, a, n);
    assert_eq!(call.done(), Some(SOCKET_ERR));
    assert_err(&h, t, WsaError::WSAEISCONN);
}

/// wine-facts R10: after shutdown (any how) connect is WSAEISCONN, and getpeername and
/// getsockname still work.
#[test]
fn connect_after_shutdown_is_wsaeisconn_and_names_still_work() {
    for how in [SD_RECEIVE, SD_SEND, SD_BOTH] {
        let (mut h, t) = windows();
        let (c, _s) = tcp_pair(&mut h, t, None);
        assert_eq!(h.shutdown(t, c, how), 0);
        let (a, n) = sockaddr(&mut h, "127.0.0.1:27015");
        let call = h.connect(t, c, a, n);
        assert_eq!(call.done(), Some(SOCKET_ERR), "how {how}");
        assert_err(&h, t, WsaError::WSAEISCONN);
        assert_eq!(
            peer_name(&mut h, t, c),
            SockAddr::parse("127.0.0.1:27015").unwrap()
        );
        assert_eq!(
            sock_name(&mut h, t, c).ip,
            SockAddr::parse("127.0.0.1:1").unwrap().ip
        );
    }
}

// ===== getsockname / getpeername ===========================================================

/// wine-facts E5/E14: getsockname on an unbound socket is WSAEINVAL.
#[test]
fn getsockname_on_unbound_socket_is_wsaeinval() {
    let (mut h, t) = windows();
    let s = tcp(&mut h, t);
    let (p, n) = name_out(&mut h);
    assert_eq!(h.getsockname(t, s, p, n), SOCKET_ERROR);
    assert_err(&h, t, WsaError::WSAEINVAL);
}

/// SDK getsockname: "especially useful when a connect call has been made without doing a
/// bind first"; the host address is known once the socket is connected.
#[test]
fn getsockname_after_connect_shows_the_implicit_bind() {
    let (mut h, t) = windows();
    let (c, s) = tcp_pair(&mut h, t, None);
    let local = sock_name(&mut h, t, c);
    assert!(local.port >= 49152, "ephemeral port {}", local.port);
    assert_eq!(
        local,
        SockAddr::parse(&format!("127.0.0.1:{}", local.port)).unwrap()
    );
    assert_eq!(peer_name(&mut h, t, s), local);
}

/// SDK getpeername: WSAENOTCONN "The socket is not connected."
#[test]
fn getpeername_on_unconnected_socket_is_wsaenotconn() {
    let (mut h, t) = windows();
    let s = tcp(&mut h, t);
    let (p, n) = name_out(&mut h);
    assert_eq!(h.getpeername(t, s, p, n), SOCKET_ERROR);
    assert_err(&h, t, WsaError::WSAENOTCONN);
    let l = listener(&mut h, t, 7006, None);
    assert_eq!(h.getpeername(t, l, p, n), SOCKET_ERROR);
    assert_err(&h, t, WsaError::WSAENOTCONN);
}

// ===== recv / WSARecv ======================================================================

/// SDK recv: the bytes received; wine-facts L5: success sets the last error to 0.
#[test]
fn recv_returns_the_peers_bytes_and_clears_last_error() {
    let (mut h, t) = windows();
    let (c, s) = tcp_pair(&mut h, t, None);
    send_all(&mut h, t, s, b"hello world");
    h.wsa_set_last_error(t, 12345);
    assert_eq!(recv_some(&mut h, t, c, 5), (5, b"hello".to_vec()));
    assert_err(&h, t, WsaError::NO_ERROR);
    // WSARecv: returns 0 and writes the count and the flags.
    let buf = h.sim().alloc(16);
    let arr = wsabufs(&mut h, &[(buf, 16)]);
    let n = dword(&mut h, 0xdead_beef);
    let flags = dword(&mut h, 0);
    h.wsa_set_last_error(t, 12345);
    let call = h.wsa_recv(t, c, arr, 1, n, flags, Ptr::NULL, Ptr::NULL);
    assert_eq!(h.done(t, call), 0);
    assert_err(&h, t, WsaError::NO_ERROR);
    assert_eq!(read_u32(&h, n), 6);
    assert_eq!(read_u32(&h, flags), 0);
    assert_eq!(h.sim().read_vec(buf, 6).unwrap(), b" world");
}

/// wine-facts R6: after the peer's graceful close, recv returns 0 and a pending
/// overlapped WSARecv completes successfully with 0 bytes.
#[test]
fn recv_after_peer_graceful_close_returns_0_and_pending_recv_completes_with_0() {
    let (mut h, t) = windows();
    let (c, s) = tcp_pair(&mut h, t, None);
    let ev = h.wsa_create_event(t);
    let (r, ov, _) = post_recv(&mut h, t, c, 16, ev);
    assert_eq!(r, SOCKET_ERR);
    assert_err(&h, t, WsaError::WSA_IO_PENDING);
    let call = h.closesocket(t, s);
    assert_eq!(h.done(t, call), 0);
    assert_eq!(wait(&mut h, t, &[ev], false, 0, false), 0);
    assert_eq!((internal(&h, ov), internal_high(&h, ov)), (0, 0));
    assert_eq!(recv_some(&mut h, t, c, 16), (0, vec![]));
    assert_err(&h, t, WsaError::NO_ERROR);
}

/// wine-facts O12a: while pending, `Internal` = STATUS_PENDING and `InternalHigh` is
/// untouched; at completion `Internal` = 0, `InternalHigh` = bytes, the event is set.
#[test]
fn pending_overlapped_wsarecv_completes_when_data_arrives() {
    let (mut h, t) = windows();
    let (c, s) = tcp_pair(&mut h, t, None);
    let ev = h.wsa_create_event(t);
    let (r, ov, buf) = post_recv(&mut h, t, c, 16, ev);
    assert_eq!(r, SOCKET_ERR);
    assert_err(&h, t, WsaError::WSA_IO_PENDING);
    assert_eq!(internal(&h, ov), STATUS_PENDING);
    assert_eq!(internal_high(&h, ov), 0xdead_beef);
    assert_eq!(
        wait(&mut h, t, &[ev], false, 0, false),
        i64::from(WSA_WAIT_TIMEOUT)
    );
    send_all(&mut h, t, s, b"0123456789");
    assert_eq!(wait(&mut h, t, &[ev], false, 0, false), 0);
    assert_eq!((internal(&h, ov), internal_high(&h, ov)), (0, 10));
    assert_eq!(h.sim().read_vec(buf, 10).unwrap(), b"0123456789");
}

/// wine-facts O18: two outstanding overlapped WSARecvs complete in issue order, each
/// filled with its own 16 bytes.
#[test]
fn two_pending_overlapped_wsarecvs_complete_in_issue_order() {
    let (mut h, t) = windows();
    let (c, s) = tcp_pair(&mut h, t, None);
    let e1 = h.wsa_create_event(t);
    let e2 = h.wsa_create_event(t);
    let (_, ov1, b1) = post_recv(&mut h, t, c, 16, e1);
    let (_, ov2, b2) = post_recv(&mut h, t, c, 16, e2);
    let msg = b"-- Lorem ipsum dolor sit amet -\0";
    send_all(&mut h, t, s, msg);
    assert_eq!(wait(&mut h, t, &[e1, e2], true, 0, false), 0);
    assert_eq!(internal_high(&h, ov1), 16);
    assert_eq!(internal_high(&h, ov2), 16);
    assert_eq!(h.sim().read_vec(b1, 16).unwrap(), &msg[..16]);
    assert_eq!(h.sim().read_vec(b2, 16).unwrap(), &msg[16..]);
}

/// wine-facts O19: a zero-length overlapped WSARecv pends until data arrives, completes
/// with 0 bytes and leaves the data queued; `recv(NULL, 0)` returns 0.
#[test]
fn zero_length_overlapped_wsarecv_pends_then_completes_with_0_leaving_the_data() {
    let (mut h, t) = windows();
    let (c, s) = tcp_pair(&mut h, t, None);
    let ev = h.wsa_create_event(t);
    let (r, ov, _) = post_recv(&mut h, t, c, 0, ev);
    assert_eq!(r, SOCKET_ERR);
    assert_err(&h, t, WsaError::WSA_IO_PENDING);
    send_all(&mut h, t, s, b"data\0");
    assert_eq!(wait(&mut h, t, &[ev], false, 0, false), 0);
    assert_eq!((internal(&h, ov), internal_high(&h, ov)), (0, 0));
    let call = h.recv(t, c, Ptr::NULL, 0, 0);
    assert_eq!(h.done(t, call), 0);
    assert_eq!(recv_some(&mut h, t, c, 16), (5, b"data\0".to_vec()));
}

/// wine-facts O19: WSARecv with `dwBufferCount = 0` (NULL or non-NULL array) is WSAEINVAL.
#[test]
fn wsarecv_with_zero_buffer_count_is_wsaeinval() {
    let (mut h, t) = windows();
    let (c, _s) = tcp_pair(&mut h, t, None);
    let ov = overlapped(&mut h, 0);
    let flags = dword(&mut h, 0);
    let buf = h.sim().alloc(4);
    let arr = wsabufs(&mut h, &[(buf, 0)]);
    for a in [Ptr::NULL, arr] {
        let call = h.wsa_recv(t, c, a, 0, Ptr::NULL, flags, ov, Ptr::NULL);
        assert_eq!(call.done(), Some(SOCKET_ERR));
        assert_err(&h, t, WsaError::WSAEINVAL);
    }
    assert_eq!(internal(&h, ov), 0, "the OVERLAPPED is untouched");
}

/// wine-facts E37: `recv(len = -1)` is WSAEFAULT.
#[test]
fn recv_with_negative_length_is_wsaefault() {
    let (mut h, t) = windows();
    let (c, s) = tcp_pair(&mut h, t, None);
    send_all(&mut h, t, s, b"x");
    let b = h.sim().alloc(16);
    let call = h.recv(t, c, b, -1, 0);
    assert_eq!(call.done(), Some(SOCKET_ERR));
    assert_err(&h, t, WsaError::WSAEFAULT);
}

/// wine-facts P11/O16: a nonblocking recv with no data is WSAEWOULDBLOCK (and does not
/// touch an OVERLAPPED it was not given); an overlapped recv on the same nonblocking
/// socket pends instead.
#[test]
fn nonblocking_recv_is_wouldblock_but_overlapped_recv_pends() {
    let (mut h, t) = windows();
    let (c, s) = tcp_pair(&mut h, t, None);
    set_nonblocking(&mut h, t, c, true);
    let b = h.sim().alloc(8);
    let call = h.recv(t, c, b, 8, 0);
    assert_eq!(call.done(), Some(SOCKET_ERR));
    assert_err(&h, t, WsaError::WSAEWOULDBLOCK);
    let arr = wsabufs(&mut h, &[(b, 8)]);
    let n = dword(&mut h, 0xdead_beef);
    let flags = dword(&mut h, 0);
    let call = h.wsa_recv(t, c, arr, 1, n, flags, Ptr::NULL, Ptr::NULL);
    assert_eq!(call.done(), Some(SOCKET_ERR));
    assert_err(&h, t, WsaError::WSAEWOULDBLOCK);
    assert_eq!(read_u32(&h, n), 0xdead_beef);
    let (r, ov, buf) = post_recv(&mut h, t, c, 8, 0);
    assert_eq!(r, SOCKET_ERR);
    assert_err(&h, t, WsaError::WSA_IO_PENDING);
    send_all(&mut h, t, s, b"data");
    assert_eq!((internal(&h, ov), internal_high(&h, ov)), (0, 4));
    assert_eq!(h.sim().read_vec(buf, 4).unwrap(), b"data");
}

/// wine-facts O20: SO_RCVTIMEO makes a blocking recv/WSARecv fail with WSAETIMEDOUT after
/// that much (virtual) time, the count untouched; an overlapped WSARecv ignores it and
/// completes later with the data.
#[test]
fn so_rcvtimeo_times_out_blocking_recv_but_not_overlapped_recv() {
    let (mut h, t) = windows();
    let (c, s) = tcp_pair(&mut h, t, None);
    assert_eq!(get_int(&mut h, t, c, SOL_SOCKET, SO_RCVTIMEO), 0, "default");
    assert_eq!(set_opt(&mut h, t, c, SOL_SOCKET, SO_RCVTIMEO, 100, 4), 0);
    assert_eq!(get_int(&mut h, t, c, SOL_SOCKET, SO_RCVTIMEO), 100);
    let t0 = h.now();
    let b = h.sim().alloc(1);
    let call = h.recv(t, c, b, 1, 0);
    assert_eq!(call, wsasim_core::Call::Blocked);
    assert_eq!(h.done(t, call), SOCKET_ERR);
    assert_err(&h, t, WsaError::WSAETIMEDOUT);
    assert_eq!(h.now().saturating_since(t0).as_millis(), 100);
    let arr = wsabufs(&mut h, &[(b, 1)]);
    let n = dword(&mut h, 0xdead_beef);
    let flags = dword(&mut h, 0);
    let call = h.wsa_recv(t, c, arr, 1, n, flags, Ptr::NULL, Ptr::NULL);
    assert_eq!(h.done(t, call), SOCKET_ERR);
    assert_err(&h, t, WsaError::WSAETIMEDOUT);
    assert_eq!(read_u32(&h, n), 0xdead_beef, "count untouched");
    assert_eq!(h.now().saturating_since(t0).as_millis(), 200);
    let ev = h.wsa_create_event(t);
    let (r, ov, _) = post_recv(&mut h, t, c, 1, ev);
    assert_eq!(r, SOCKET_ERR);
    assert_err(&h, t, WsaError::WSA_IO_PENDING);
    assert_eq!(
        wait(&mut h, t, &[ev], false, 200, false),
        i64::from(WSA_WAIT_TIMEOUT)
    );
    send_all(&mut h, t, s, b"a");
    assert_eq!(wait(&mut h, t, &[ev], false, 200, false), 0);
    assert_eq!((internal(&h, ov), internal_high(&h, ov)), (0, 1));
}

/// wine-facts R9: after `shutdown(SD_RECEIVE)` a pending overlapped WSARecv still
/// completes with data, any new receive (even overlapped) is WSAESHUTDOWN, and the socket
/// can still send.
#[test]
fn after_shutdown_receive_new_recv_is_wsaeshutdown_but_pending_recv_completes() {
    let (mut h, t) = windows();
    let (c, s) = tcp_pair(&mut h, t, None);
    let ev = h.wsa_create_event(t);
    let (r, ov, buf) = post_recv(&mut h, t, c, 8, ev);
    assert_eq!(r, SOCKET_ERR);
    assert_eq!(h.shutdown(t, c, SD_RECEIVE), 0);
    let b = h.sim().alloc(8);
    let call = h.recv(t, c, b, 8, 0);
    assert_eq!(call.done(), Some(SOCKET_ERR));
    assert_err(&h, t, WsaError::WSAESHUTDOWN);
    let (r2, _, _) = post_recv(&mut h, t, c, 8, 0);
    assert_eq!(r2, SOCKET_ERR);
    assert_err(&h, t, WsaError::WSAESHUTDOWN);
    send_all(&mut h, t, s, b"late");
    assert_eq!(wait(&mut h, t, &[ev], false, 0, false), 0);
    assert_eq!((internal(&h, ov), internal_high(&h, ov)), (0, 4));
    assert_eq!(h.sim().read_vec(buf, 4).unwrap(), b"late");
    send_all(&mut h, t, c, b"still sends");
    assert_eq!(recv_some(&mut h, t, s, 32), (11, b"still sends".to_vec()));
}

/// wine-facts R2/R3/R4 (with R1/E22 producing the reset): a pending overlapped WSARecv
/// completes with STATUS_CONNECTION_RESET, 0 bytes (WSAGetOverlappedResult:
/// WSAECONNRESET); a new WSARecv and send fail with WSAECONNRESET; SO_ERROR reads 0.
#[test]
fn peer_reset_fails_pending_and_new_receives_with_wsaeconnreset() {
    let (mut h, t) = windows();
    let (c, s) = tcp_pair(&mut h, t, None);
    let ev = h.wsa_create_event(t);
    let (_, ov, _) = post_recv(&mut h, t, c, 8, ev);
    assert_eq!(
        set_opt(&mut h, t, s, SOL_SOCKET, SO_LINGER, linger(1, 0), 4),
        0
    );
    let call = h.closesocket(t, s);
    assert_eq!(h.done(t, call), 0);
    assert_eq!(wait(&mut h, t, &[ev], false, 0, false), 0);
    assert_eq!(internal(&h, ov), STATUS_CONNECTION_RESET);
    assert_eq!(internal_high(&h, ov), 0);
    let n = dword(&mut h, 0xdead_beef);
    let flags = dword(&mut h, 0);
    let call = h.wsa_get_overlapped_result(t, c, ov, n, 0, flags);
    assert_eq!(h.done(t, call), 0);
    assert_err(&h, t, WsaError::WSAECONNRESET);
    assert_eq!(read_u32(&h, n), 0);
    let (r, _, _) = post_recv(&mut h, t, c, 8, 0);
    assert_eq!(r, SOCKET_ERR);
    assert_err(&h, t, WsaError::WSAECONNRESET);
    let b = bytes(&mut h, b"x");
    let call = h.send(t, c, b, 1, 0);
    assert_eq!(call.done(), Some(SOCKET_ERR));
    assert_err(&h, t, WsaError::WSAECONNRESET);
    assert_eq!(get_int(&mut h, t, c, SOL_SOCKET, SO_ERROR), 0);
}

/// wine-facts W18 (verified on Windows): a receive on an unbound UDP socket is WSAEINVAL.
#[test]
fn udp_recv_on_unbound_socket_is_wsaeinval() {
    let (mut h, t) = windows();
    let u = udp(&mut h, t);
    let b = h.sim().alloc(8);
    let call = h.recv(t, u, b, 8, 0);
    assert_eq!(call.done(), Some(SOCKET_ERR));
    assert_err(&h, t, WsaError::WSAEINVAL);
}

/// SDK recv: WSAEMSGSIZE "The message was too large to fit into the specified buffer and
/// was truncated"; for unreliable protocols the excess is lost.
#[test]
fn udp_recv_into_short_buffer_is_wsaemsgsize_and_the_rest_is_lost() {
    let (mut h, t) = windows();
    let rx = udp(&mut h, t);
    bind_to(&mut h, t, rx, "127.0.0.1:9000");
    let tx = udp(&mut h, t);
    let (a, n) = sockaddr(&mut h, "127.0.0.1:9000");
    let call = h.connect(t, tx, a, n);
    assert_eq!(h.done(t, call), 0);
    send_all(&mut h, t, tx, b"0123456789");
    send_all(&mut h, t, tx, b"next");
    let b = h.sim().alloc(4);
    let call = h.recv(t, rx, b, 4, 0);
    assert_eq!(h.done(t, call), SOCKET_ERR);
    assert_err(&h, t, WsaError::WSAEMSGSIZE);
    assert_eq!(h.sim().read_vec(b, 4).unwrap(), b"0123");
    assert_eq!(recv_some(&mut h, t, rx, 16), (4, b"next".to_vec()));
}

/// wine-facts C8: a blocking recv waits alertably: an APC queued before it runs during
/// the wait, and may itself send the data that satisfies it.
#[test]
fn blocking_recv_runs_a_queued_apc_which_can_send_the_awaited_data() {
    let (mut h, t) = windows();
    let (c, s) = tcp_pair(&mut h, t, None);
    let f = h.apc_fn(move |h, t, _| {
        let b = h.sim().alloc_bytes(b"apc!");
        let call = h.send(t, s, b, 4, 0);
        assert_eq!(call.done(), Some(4));
    });
    queue_apc(&mut h, t, f, t, 0);
    assert_eq!(recv_some(&mut h, t, c, 8), (4, b"apc!".to_vec()));
    // Data already there: the call completes at once and the APC is not run.
    let (f2, log) = apc_log(&mut h);
    queue_apc(&mut h, t, f2, t, 7);
    send_all(&mut h, t, s, b"x");
    assert_eq!(recv_some(&mut h, t, c, 8), (1, b"x".to_vec()));
    assert!(log.borrow().is_empty());
    assert_eq!(sleep(&mut h, t, 0, true), i64::from(WAIT_IO_COMPLETION));
    assert_eq!(*log.borrow(), vec![7]);
}

// ===== shutdown ============================================================================

/// wine-facts R8: `how = 0xdeadbeef` is WSAEINVAL.
#[test]
fn shutdown_with_invalid_how_is_wsaeinval() {
    let (mut h, t) = windows();
    let (c, _s) = tcp_pair(&mut h, t, None);
    assert_eq!(h.shutdown(t, c, 0xdead_beef_u32 as i32), SOCKET_ERROR);
    assert_err(&h, t, WsaError::WSAEINVAL);
    assert_eq!(h.shutdown(t, c, 3), SOCKET_ERROR);
    assert_err(&h, t, WsaError::WSAEINVAL);
}

/// wine-facts R8: shutdown on a never-connected TCP socket or on a listening one is
/// WSAENOTCONN.
#[test]
fn shutdown_on_unconnected_or_listening_tcp_socket_is_wsaenotconn() {
    let (mut h, t) = windows();
    let s = tcp(&mut h, t);
    for how in [SD_RECEIVE, SD_SEND, SD_BOTH] {
        assert_eq!(h.shutdown(t, s, how), SOCKET_ERROR);
        assert_err(&h, t, WsaError::WSAENOTCONN);
    }
    let l = listener(&mut h, t, 7200, None);
    assert_eq!(h.shutdown(t, l, SD_BOTH), SOCKET_ERROR);
    assert_err(&h, t, WsaError::WSAENOTCONN);
}

/// wine-facts R8/L7: repeating SD_SEND is fine and a successful shutdown sets the last
/// error to 0; E20: shutdown on an unconnected UDP socket succeeds, even twice.
#[test]
fn shutdown_send_twice_and_udp_shutdown_succeed_with_last_error_0() {
    let (mut h, t) = windows();
    let (c, _s) = tcp_pair(&mut h, t, None);
    for _ in 0..2 {
        h.wsa_set_last_error(t, 12345);
        assert_eq!(h.shutdown(t, c, SD_SEND), 0);
        assert_err(&h, t, WsaError::NO_ERROR);
    }
    let u = udp(&mut h, t);
    assert_eq!(h.shutdown(t, u, SD_SEND), 0);
    assert_eq!(h.shutdown(t, u, SD_BOTH), 0);
    assert_err(&h, t, WsaError::NO_ERROR);
}

/// SDK shutdown: TCP sends its FIN "after all data is sent and acknowledged": the peer
/// reads every queued byte, then 0.
#[test]
fn shutdown_send_sends_fin_after_the_queued_data() {
    let (mut h, t) = windows();
    let (c, s) = tcp_pair(&mut h, t, Some(1024));
    set_nonblocking(&mut h, t, c, true);
    let data: Vec<u8> = (0..8192u32).map(|i| i as u8).collect();
    send_all(&mut h, t, c, &data);
    assert_eq!(h.shutdown(t, c, SD_SEND), 0);
    let (got, last) = recv_to_end(&mut h, t, s);
    assert_eq!(got, data);
    assert_eq!(last, 0);
    assert_err(&h, t, WsaError::NO_ERROR);
}

// ===== closesocket =========================================================================

/// wine-facts X11: data accepted by nonblocking sends is delivered in full after a
/// graceful closesocket; the peer then reads 0 with last error 0.
#[test]
fn graceful_close_delivers_all_buffered_data_then_0() {
    let (mut h, t) = windows();
    let (c, s) = tcp_pair(&mut h, t, Some(1024));
    set_nonblocking(&mut h, t, c, true);
    let data: Vec<u8> = (0..20000u32).map(|i| (i * 7) as u8).collect();
    send_all(&mut h, t, c, &data);
    let call = h.closesocket(t, c);
    assert_eq!(call.done(), Some(0));
    let (got, last) = recv_to_end(&mut h, t, s);
    assert_eq!(got.len(), data.len());
    assert_eq!(got, data);
    assert_eq!(last, 0);
    assert_err(&h, t, WsaError::NO_ERROR);
}

/// wine-facts R1/E22, SDK closesocket: SO_LINGER {1, 0} closes abortively: unsent data is
/// lost and the peer's recv and send fail with WSAECONNRESET; L8: setsockopt(SO_LINGER)
/// success sets the last error to 0.
#[test]
fn close_with_linger_1_0_resets_the_peer() {
    let (mut h, t) = windows();
    let (c, s) = tcp_pair(&mut h, t, Some(1024));
    set_nonblocking(&mut h, t, c, true);
    send_all(&mut h, t, c, &[1u8; 4096]);
    h.wsa_set_last_error(t, 12345);
    assert_eq!(
        set_opt(&mut h, t, c, SOL_SOCKET, SO_LINGER, linger(1, 0), 4),
        0
    );
    assert_err(&h, t, WsaError::NO_ERROR);
    let call = h.closesocket(t, c);
    assert_eq!(call.done(), Some(0));
    let b = h.sim().alloc(8192);
    let call = h.recv(t, s, b, 8192, 0);
    assert_eq!(h.done(t, call), SOCKET_ERR);
    assert_err(&h, t, WsaError::WSAECONNRESET);
    let call = h.send(t, s, b, 1, 0);
    assert_eq!(call.done(), Some(SOCKET_ERR));
    assert_err(&h, t, WsaError::WSAECONNRESET);
}

/// SDK closesocket: a nonblocking socket lingering {1, 5} with data not yet sent fails
/// with WSAEWOULDBLOCK; the handle stays valid and nothing is disconnected.
#[test]
fn nonblocking_linger_close_with_unsent_data_is_wsaewouldblock_and_keeps_the_handle() {
    let (mut h, t) = windows();
    let (c, s) = tcp_pair(&mut h, t, Some(1024));
    set_nonblocking(&mut h, t, c, true);
    let data = vec![9u8; 8192];
    send_all(&mut h, t, c, &data);
    assert_eq!(
        set_opt(&mut h, t, c, SOL_SOCKET, SO_LINGER, linger(1, 5), 4),
        0
    );
    let call = h.closesocket(t, c);
    assert_eq!(call.done(), Some(SOCKET_ERR));
    assert_err(&h, t, WsaError::WSAEWOULDBLOCK);
    assert_eq!(
        get_int(&mut h, t, c, SOL_SOCKET, SO_TYPE),
        SOCK_STREAM as u32
    );
    send_all(&mut h, t, c, b"more");
    assert_eq!(h.shutdown(t, c, SD_SEND), 0);
    let (got, last) = recv_to_end(&mut h, t, s);
    assert_eq!(got.len(), 8196);
    assert_eq!(last, 0);
}

/// SDK closesocket: a blocking socket lingering {1, N} waits until its data is sent
/// (graceful) and returns 0.
#[test]
fn blocking_linger_close_waits_until_the_data_is_delivered() {
    let (mut h, t) = windows();
    let (c, s) = tcp_pair(&mut h, t, None);
    slow_loopback(&mut h, 30);
    send_all(&mut h, t, c, &[3u8; 4096]);
    assert_eq!(
        set_opt(&mut h, t, c, SOL_SOCKET, SO_LINGER, linger(1, 5), 4),
        0
    );
    let t0 = h.now();
    let call = h.closesocket(t, c);
    assert_eq!(call, wsasim_core::Call::Blocked, "it waits for the data");
    assert_eq!(h.done(t, call), 0);
    assert_eq!(
        h.now().saturating_since(t0).as_millis(),
        30,
        "one trip, not 5 s"
    );
    let (got, last) = recv_to_end(&mut h, t, s);
    assert_eq!((got.len(), last), (4096, 0));
}

/// SDK closesocket: a blocking socket lingering {1, N} whose data cannot go within N
/// seconds returns 0 after N seconds of virtual time, and the close is abortive: the peer
/// is reset.
#[test]
fn blocking_linger_close_times_out_after_linger_seconds_and_resets_the_peer() {
    let (mut h, t) = windows();
    let (c, s) = tcp_pair(&mut h, t, Some(1024));
    set_nonblocking(&mut h, t, c, true);
    send_all(&mut h, t, c, &[4u8; 8192]);
    set_nonblocking(&mut h, t, c, false);
    assert_eq!(
        set_opt(&mut h, t, c, SOL_SOCKET, SO_LINGER, linger(1, 2), 4),
        0
    );
    let t0 = h.now();
    let call = h.closesocket(t, c);
    assert_eq!(call, wsasim_core::Call::Blocked);
    assert_eq!(h.done(t, call), 0);
    assert_eq!(h.now().saturating_since(t0).as_millis(), 2000);
    assert_eq!(h.pending_ops(), 0);
    let b = h.sim().alloc(16384);
    let call = h.recv(t, s, b, 16384, 0);
    assert_eq!(h.done(t, call), SOCKET_ERR);
    assert_err(&h, t, WsaError::WSAECONNRESET);
}

/// wine-facts X6 (verified on modern Windows): closesocket with an overlapped WSARecv
/// pending completes it with STATUS_CONNECTION_ABORTED (routine: WSAECONNABORTED), 0
/// bytes.
#[test]
fn close_with_pending_recv_aborts_it_with_wsaeconnaborted_on_windows() {
    close_with_pending_recv(
        Profile::Windows,
        WsaError::WSAECONNABORTED,
        STATUS_CONNECTION_ABORTED,
    );
}

/// SDK closesocket: pending WSARecvs "fail with WSA_OPERATION_ABORTED" (documented profile).
#[test]
fn close_with_pending_recv_aborts_it_with_operation_aborted_when_documented() {
    close_with_pending_recv(
        Profile::Documented,
        WsaError::WSA_OPERATION_ABORTED,
        STATUS_CANCELLED,
    );
}

fn close_with_pending_recv(profile: Profile, err: WsaError, status: u64) {
    let (mut h, t) = started(profile, 3);
    let (c, _s) = tcp_pair(&mut h, t, None);
    let seen = Rc::new(RefCell::new(Vec::new()));
    let sn = seen.clone();
    let routine = h.routine(move |_, _, e, n, _, f| sn.borrow_mut().push((e, n, f)));
    let ov = overlapped(&mut h, 0);
    let buf = h.sim().alloc(8);
    let arr = wsabufs(&mut h, &[(buf, 8)]);
    let flags = dword(&mut h, 0);
    let call = h.wsa_recv(t, c, arr, 1, Ptr::NULL, flags, ov, routine);
    assert_eq!(call.done(), Some(SOCKET_ERR));
    assert_err(&h, t, WsaError::WSA_IO_PENDING);
    let call = h.closesocket(t, c);
    assert_eq!(h.done(t, call), 0);
    assert_eq!(internal(&h, ov), status);
    assert_eq!(internal_high(&h, ov), 0);
    assert!(
        seen.borrow().is_empty(),
        "routines wait for an alertable wait"
    );
    assert_eq!(sleep(&mut h, t, 0, true), i64::from(WAIT_IO_COMPLETION));
    assert_eq!(*seen.borrow(), vec![(err.0, 0, 0)]);
}

/// Closing a listener resets the connections it queued that nobody accepted.
#[test]
fn closing_a_listener_resets_its_unaccepted_connections() {
    let (mut h, t) = windows();
    let l = listener(&mut h, t, 7300, None);
    let c = tcp(&mut h, t);
    let (a, n) = sockaddr(&mut h, "127.0.0.1:7300");
    let call = h.connect(t, c, a, n);
    assert_eq!(h.done(t, call), 0);
    let call = h.closesocket(t, l);
    assert_eq!(h.done(t, call), 0);
    let b = h.sim().alloc(8);
    let call = h.recv(t, c, b, 8, 0);
    assert_eq!(h.done(t, call), SOCKET_ERR);
    assert_err(&h, t, WsaError::WSAECONNRESET);
}

// ===== setsockopt / getsockopt =============================================================

/// wine-facts P1/P2: SO_SNDBUF and SO_RCVBUF round-trip exactly, 0 included.
#[test]
fn so_sndbuf_and_so_rcvbuf_round_trip_including_0() {
    let (mut h, t) = windows();
    let s = tcp(&mut h, t);
    for name in [SO_SNDBUF, SO_RCVBUF] {
        for v in [4096, 0, 0x123, 0x100] {
            assert_eq!(set_opt(&mut h, t, s, SOL_SOCKET, name, v, 4), 0);
            assert_eq!(get_int(&mut h, t, s, SOL_SOCKET, name), v);
        }
    }
}

/// wine-facts P3: setsockopt(SO_SNDBUF/SO_RCVBUF) with optlen 1 or 2 is WSAEFAULT (value
/// unchanged); optlen -1 succeeds, taken as 4.
#[test]
fn setsockopt_buffer_size_with_short_optlen_is_wsaefault_and_minus_1_is_4() {
    let (mut h, t) = windows();
    let s = tcp(&mut h, t);
    for name in [SO_SNDBUF, SO_RCVBUF] {
        assert_eq!(set_opt(&mut h, t, s, SOL_SOCKET, name, 5000, 4), 0);
        for len in [1, 2] {
            assert_eq!(
                set_opt(&mut h, t, s, SOL_SOCKET, name, 1, len),
                SOCKET_ERROR
            );
            assert_err(&h, t, WsaError::WSAEFAULT);
            assert_eq!(get_int(&mut h, t, s, SOL_SOCKET, name), 5000);
        }
        h.wsa_set_last_error(t, 12345);
        assert_eq!(set_opt(&mut h, t, s, SOL_SOCKET, name, 0x1_0001, -1), 0);
        assert_err(&h, t, WsaError::NO_ERROR);
        assert_eq!(get_int(&mut h, t, s, SOL_SOCKET, name), 0x1_0001);
    }
}

/// wine-facts P3: getsockopt with optlen < 4 is WSAEFAULT, the bytes that fit are zeroed
/// (0xdeadbeef becomes 0xdeadbe00 / 0xdead0000) and optlen is unchanged; optlen -1 is
/// WSAEFAULT with the size unchanged.
#[test]
fn getsockopt_with_short_optlen_is_wsaefault_and_zeroes_the_bytes_that_fit() {
    let (mut h, t) = windows();
    let s = tcp(&mut h, t);
    for (len, want) in [(1u32, 0xdead_be00u32), (2, 0xdead_0000)] {
        let v = dword(&mut h, 0xdead_beef);
        let n = dword(&mut h, len);
        assert_eq!(
            h.getsockopt(t, s, SOL_SOCKET, SO_SNDBUF, v, n),
            SOCKET_ERROR
        );
        assert_err(&h, t, WsaError::WSAEFAULT);
        assert_eq!(read_u32(&h, v), want, "optlen {len}");
        assert_eq!(read_u32(&h, n), len);
    }
    let v = dword(&mut h, 0xdead_beef);
    let n = dword(&mut h, u32::MAX);
    assert_eq!(
        h.getsockopt(t, s, SOL_SOCKET, SO_RCVBUF, v, n),
        SOCKET_ERROR
    );
    assert_err(&h, t, WsaError::WSAEFAULT);
    assert_eq!(read_u32(&h, n), u32::MAX, "size unchanged");
    assert_eq!(read_u32(&h, v), 0xdead_beef);
}

/// wine-facts P8: SO_LINGER (get and set) on a UDP socket is WSAENOPROTOOPT.
#[test]
fn so_linger_on_udp_is_wsaenoprotoopt() {
    let (mut h, t) = windows();
    let u = udp(&mut h, t);
    let (r, v, _) = get_opt(&mut h, t, u, SOL_SOCKET, SO_LINGER);
    assert_eq!((r, v), (SOCKET_ERROR, 0xdead_beef));
    assert_err(&h, t, WsaError::WSAENOPROTOOPT);
    assert_eq!(
        set_opt(&mut h, t, u, SOL_SOCKET, SO_LINGER, linger(1, 1), 4),
        SOCKET_ERROR
    );
    assert_err(&h, t, WsaError::WSAENOPROTOOPT);
}

/// wine-facts P8: linger values {0,0}, {0,73}, {1,0}, {5,189} round-trip (l_linger when
/// l_onoff is set); SO_DONTLINGER reads as the inverse of l_onoff and setting it to TRUE
/// is "equivalent to setting SO_LINGER with l_onoff set to zero" (SDK setsockopt).
#[test]
fn so_linger_round_trips_and_so_dontlinger_is_its_inverse() {
    let (mut h, t) = windows();
    let s = tcp(&mut h, t);
    assert_eq!(
        get_int(&mut h, t, s, SOL_SOCKET, SO_LINGER),
        linger(0, 0),
        "default"
    );
    assert_eq!(
        get_int(&mut h, t, s, SOL_SOCKET, SO_DONTLINGER),
        1,
        "default"
    );
    for (on, secs) in [(0, 0), (0, 73), (1, 0), (5, 189)] {
        assert_eq!(
            set_opt(&mut h, t, s, SOL_SOCKET, SO_LINGER, linger(on, secs), 4),
            0
        );
        let v = get_int(&mut h, t, s, SOL_SOCKET, SO_LINGER);
        assert_eq!(v & 0xFFFF != 0, on != 0, "l_onoff of {{{on},{secs}}}");
        if on != 0 {
            assert_eq!(v >> 16, u32::from(secs), "l_linger of {{{on},{secs}}}");
        }
        let dont = get_int(&mut h, t, s, SOL_SOCKET, SO_DONTLINGER);
        assert_eq!(dont, u32::from(on == 0), "SO_DONTLINGER of {{{on},{secs}}}");
    }
    assert_eq!(set_opt(&mut h, t, s, SOL_SOCKET, SO_DONTLINGER, 1, 4), 0);
    assert_eq!(get_int(&mut h, t, s, SOL_SOCKET, SO_LINGER) & 0xFFFF, 0);
    assert_eq!(set_opt(&mut h, t, s, SOL_SOCKET, SO_DONTLINGER, 0, 4), 0);
    assert_ne!(get_int(&mut h, t, s, SOL_SOCKET, SO_LINGER) & 0xFFFF, 0);
}

/// wine-facts P8: setsockopt(SO_LINGER or SO_DONTLINGER) with a NULL optval is WSAEFAULT
/// (optlen 4 or 0); a value passed instead of a pointer is WSAEFAULT too.
#[test]
fn setsockopt_with_null_or_bad_optval_is_wsaefault() {
    let (mut h, t) = windows();
    let s = tcp(&mut h, t);
    for name in [SO_LINGER, SO_DONTLINGER] {
        for len in [4, 0] {
            assert_eq!(
                h.setsockopt(t, s, SOL_SOCKET, name, Ptr::NULL, len),
                SOCKET_ERROR
            );
            assert_err(&h, t, WsaError::WSAEFAULT);
        }
    }
    assert_eq!(
        h.setsockopt(t, s, SOL_SOCKET, SO_DONTROUTE, Ptr(1), 1),
        SOCKET_ERROR
    );
    assert_err(&h, t, WsaError::WSAEFAULT);
    let n = dword(&mut h, 4);
    assert_eq!(
        h.getsockopt(t, s, SOL_SOCKET, SO_SNDBUF, Ptr::NULL, n),
        SOCKET_ERROR
    );
    assert_err(&h, t, WsaError::WSAEFAULT);
}

/// wine-facts P9 (verified): setsockopt(SO_ERROR, 1234) succeeds with last error 0 and
/// getsockopt returns 1234 with last error 0; SDK getsockopt: SO_ERROR "returns and
/// resets" the value; optlen 1 is WSAEFAULT.
#[test]
fn so_error_set_value_is_read_back_once_then_reset() {
    let (mut h, t) = windows();
    let s = tcp(&mut h, t);
    h.wsa_set_last_error(t, 0xdead_beef_u32 as i32);
    assert_eq!(set_opt(&mut h, t, s, SOL_SOCKET, SO_ERROR, 1234, 4), 0);
    assert_err(&h, t, WsaError::NO_ERROR);
    h.wsa_set_last_error(t, 0xdead_beef_u32 as i32);
    assert_eq!(get_int(&mut h, t, s, SOL_SOCKET, SO_ERROR), 1234);
    assert_err(&h, t, WsaError::NO_ERROR);
    assert_eq!(
        get_int(&mut h, t, s, SOL_SOCKET, SO_ERROR),
        0,
        "reset by the read"
    );
    let v = dword(&mut h, 0);
    let n = dword(&mut h, 1);
    assert_eq!(h.getsockopt(t, s, SOL_SOCKET, SO_ERROR, v, n), SOCKET_ERROR);
    assert_err(&h, t, WsaError::WSAEFAULT);
}

/// SDK getsockopt: SO_TYPE is the socket's type; W27: setting it is WSAEINVAL.
#[test]
fn so_type_reports_the_socket_type() {
    let (mut h, t) = windows();
    let s = tcp(&mut h, t);
    let u = udp(&mut h, t);
    assert_eq!(
        get_int(&mut h, t, s, SOL_SOCKET, SO_TYPE),
        SOCK_STREAM as u32
    );
    assert_eq!(
        get_int(&mut h, t, u, SOL_SOCKET, SO_TYPE),
        SOCK_DGRAM as u32
    );
    assert_eq!(
        set_opt(&mut h, t, u, SOL_SOCKET, SO_TYPE, 1, 4),
        SOCKET_ERROR
    );
    assert_err(&h, t, WsaError::WSAEINVAL);
}

/// wine-facts P5: SO_MAX_MSG_SIZE of a bound UDP socket is 65507.
#[test]
fn so_max_msg_size_of_udp_is_65507() {
    let (mut h, t) = windows();
    let u = udp(&mut h, t);
    bind_to(&mut h, t, u, "127.0.0.1:0");
    assert_eq!(get_int(&mut h, t, u, SOL_SOCKET, SO_MAX_MSG_SIZE), 65507);
}

/// wine-facts P7: SO_BROADCAST defaults to 0; a 1-byte value is accepted on UDP.
#[test]
fn so_broadcast_defaults_to_0_and_takes_a_one_byte_value() {
    let (mut h, t) = windows();
    let u = udp(&mut h, t);
    assert_eq!(get_int(&mut h, t, u, SOL_SOCKET, SO_BROADCAST), 0);
    assert_eq!(set_opt(&mut h, t, u, SOL_SOCKET, SO_BROADCAST, 1, 1), 0);
    assert_eq!(get_int(&mut h, t, u, SOL_SOCKET, SO_BROADCAST), 1);
}

/// wine-facts P15: TCP_NODELAY takes any positive optlen (1, 4, 42); 0 and -1 are
/// WSAEFAULT and change nothing; only the low byte counts (0x100 is FALSE).
#[test]
fn tcp_nodelay_accepts_any_positive_optlen_and_only_its_low_byte_counts() {
    let (mut h, t) = windows();
    let s = tcp(&mut h, t);
    assert_eq!(
        get_int(&mut h, t, s, IPPROTO_TCP, TCP_NODELAY),
        0,
        "Nagle on by default"
    );
    for len in [1, 4, 42] {
        let v = h.sim().alloc_bytes(&[1, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            h.setsockopt(t, s, IPPROTO_TCP, TCP_NODELAY, v, len),
            0,
            "optlen {len}"
        );
        assert_eq!(get_int(&mut h, t, s, IPPROTO_TCP, TCP_NODELAY), 1);
        assert_eq!(set_opt(&mut h, t, s, IPPROTO_TCP, TCP_NODELAY, 0, 4), 0);
    }
    for len in [0, -1] {
        assert_eq!(
            set_opt(&mut h, t, s, IPPROTO_TCP, TCP_NODELAY, 1, len),
            SOCKET_ERROR
        );
        assert_err(&h, t, WsaError::WSAEFAULT);
        assert_eq!(get_int(&mut h, t, s, IPPROTO_TCP, TCP_NODELAY), 0);
    }
    assert_eq!(set_opt(&mut h, t, s, IPPROTO_TCP, TCP_NODELAY, 0x100, 4), 0);
    assert_eq!(get_int(&mut h, t, s, IPPROTO_TCP, TCP_NODELAY), 0);
}

/// wine-facts P5: an invalid level (0xffffffff, 0x1234ffff, 0x8000ffff, 0x8000, 0x800) is
/// WSAEINVAL, for set and get.
#[test]
fn option_with_invalid_level_is_wsaeinval() {
    let (mut h, t) = windows();
    let s = tcp(&mut h, t);
    for level in [-1, 0x1234_ffff, 0x8000_ffff_u32 as i32, 0x8000, 0x800] {
        assert_eq!(
            set_opt(&mut h, t, s, level, SO_RCVTIMEO, 100, 4),
            SOCKET_ERROR
        );
        assert_err(&h, t, WsaError::WSAEINVAL);
        let (r, _, _) = get_opt(&mut h, t, s, level, SO_MAX_MSG_SIZE);
        assert_eq!(r, SOCKET_ERROR, "level {level:#x}");
        assert_err(&h, t, WsaError::WSAEINVAL);
    }
}

/// SDK setsockopt/getsockopt: an unknown option is WSAENOPROTOOPT; SO_RCVLOWAT and
/// SO_SNDLOWAT are WSAEINVAL on Vista and later.
#[test]
fn unknown_option_is_wsaenoprotoopt_and_lowat_options_are_wsaeinval() {
    let (mut h, t) = windows();
    let s = tcp(&mut h, t);
    assert_eq!(
        set_opt(&mut h, t, s, SOL_SOCKET, 0x7777, 1, 4),
        SOCKET_ERROR
    );
    assert_err(&h, t, WsaError::WSAENOPROTOOPT);
    let (r, _, _) = get_opt(&mut h, t, s, SOL_SOCKET, 0x7777);
    assert_eq!(r, SOCKET_ERROR);
    assert_err(&h, t, WsaError::WSAENOPROTOOPT);
    for name in [SO_RCVLOWAT, SO_SNDLOWAT] {
        assert_eq!(set_opt(&mut h, t, s, SOL_SOCKET, name, 1, 4), SOCKET_ERROR);
        assert_err(&h, t, WsaError::WSAEINVAL);
        let (r, _, _) = get_opt(&mut h, t, s, SOL_SOCKET, name);
        assert_eq!(r, SOCKET_ERROR);
        assert_err(&h, t, WsaError::WSAEINVAL);
    }
}

/// wine-facts P17 (verified): SO_DEBUG reads 0, and after setting 2 reads back 1.
#[test]
fn so_debug_reads_0_then_1_after_being_set() {
    let (mut h, t) = windows();
    let s = tcp(&mut h, t);
    assert_eq!(get_int(&mut h, t, s, SOL_SOCKET, SO_DEBUG), 0);
    h.wsa_set_last_error(t, 0xdead_beef_u32 as i32);
    assert_eq!(set_opt(&mut h, t, s, SOL_SOCKET, SO_DEBUG, 2, 4), 0);
    assert_err(&h, t, WsaError::NO_ERROR);
    assert_eq!(get_int(&mut h, t, s, SOL_SOCKET, SO_DEBUG), 1);
}

/// wine-facts P14: an accepted socket inherits SO_REUSEADDR, SO_KEEPALIVE, SO_OOBINLINE,
/// SO_SNDBUF, SO_RCVBUF, SO_SNDTIMEO, SO_RCVTIMEO, TCP_NODELAY and SO_LINGER {1, 555}.
#[test]
fn accepted_socket_inherits_the_listeners_options() {
    let (mut h, t) = windows();
    let l = tcp(&mut h, t);
    let ints = [
        (SOL_SOCKET, SO_REUSEADDR, 1),
        (SOL_SOCKET, SO_KEEPALIVE, 1),
        (SOL_SOCKET, SO_OOBINLINE, 1),
        (SOL_SOCKET, SO_SNDBUF, 0x123),
        (SOL_SOCKET, SO_RCVBUF, 0x123),
        (SOL_SOCKET, SO_SNDTIMEO, 0x123),
        (SOL_SOCKET, SO_RCVTIMEO, 0x123),
        (IPPROTO_TCP, TCP_NODELAY, 1),
    ];
    for (level, name, v) in ints {
        assert_eq!(set_opt(&mut h, t, l, level, name, v, 4), 0);
    }
    assert_eq!(
        set_opt(&mut h, t, l, SOL_SOCKET, SO_LINGER, linger(1, 555), 4),
        0
    );
    bind_to(&mut h, t, l, "127.0.0.1:7400");
    assert_eq!(h.listen(t, l, 5), 0);
    let c = tcp(&mut h, t);
    let (a, n) = sockaddr(&mut h, "127.0.0.1:7400");
    let call = h.connect(t, c, a, n);
    assert_eq!(h.done(t, call), 0);
    let call = h.accept(t, l, Ptr::NULL, Ptr::NULL);
    let s = h.done(t, call) as u64;
    for (level, name, v) in ints {
        assert_eq!(get_int(&mut h, t, s, level, name), v, "option {name:#x}");
    }
    assert_eq!(get_int(&mut h, t, s, SOL_SOCKET, SO_LINGER), linger(1, 555));
}

/// wine-facts P9: getsockopt on a closed socket is WSAENOTSOCK and leaves the output.
#[test]
fn getsockopt_on_a_closed_socket_is_wsaenotsock_and_leaves_the_output() {
    let (mut h, t) = windows();
    let s = tcp(&mut h, t);
    let call = h.closesocket(t, s);
    assert_eq!(h.done(t, call), 0);
    let v = dword(&mut h, 1234);
    let n = dword(&mut h, 4);
    assert_eq!(h.getsockopt(t, s, SOL_SOCKET, SO_ERROR, v, n), SOCKET_ERROR);
    assert_err(&h, t, WsaError::WSAENOTSOCK);
    assert_eq!(read_u32(&h, v), 1234);
    assert_eq!(read_u32(&h, n), 4);
}

// ===== ioctlsocket =========================================================================

/// wine-facts P10: `ioctlsocket(FIONBIO, (u_long *)1)` is WSAEFAULT (as is NULL).
#[test]
fn fionbio_with_an_invalid_argp_is_wsaefault() {
    let (mut h, t) = windows();
    let s = tcp(&mut h, t);
    for argp in [Ptr(1), Ptr::NULL] {
        assert_eq!(h.ioctlsocket(t, s, FIONBIO, argp), SOCKET_ERROR);
        assert_err(&h, t, WsaError::WSAEFAULT);
    }
}

/// SDK ioctlsocket: FIONREAD is "the amount of data that can be read in a single call to
/// the recv function": the stream's queued bytes; a queued datagram's size. (With several
/// datagrams queued the pages disagree: see the divergence notes.)
#[test]
fn fionread_counts_the_bytes_a_recv_would_return() {
    let (mut h, t) = windows();
    let (c, s) = tcp_pair(&mut h, t, None);
    let arg = dword(&mut h, 0xdead_beef);
    assert_eq!(h.ioctlsocket(t, c, FIONREAD, arg), 0);
    assert_eq!(read_u32(&h, arg), 0);
    send_all(&mut h, t, s, b"12345");
    send_all(&mut h, t, s, b"678");
    assert_eq!(h.ioctlsocket(t, c, FIONREAD, arg), 0);
    assert_eq!(read_u32(&h, arg), 8);
    let rx = udp(&mut h, t);
    bind_to(&mut h, t, rx, "127.0.0.1:9100");
    let tx = udp(&mut h, t);
    let (a, n) = sockaddr(&mut h, "127.0.0.1:9100");
    let call = h.connect(t, tx, a, n);
    assert_eq!(h.done(t, call), 0);
    send_all(&mut h, t, tx, b"abc");
    assert_eq!(h.ioctlsocket(t, rx, FIONREAD, arg), 0);
    assert_eq!(read_u32(&h, arg), 3);
}

/// SDK ioctlsocket: WSAEINVAL "cmd is not a valid command".
#[test]
fn ioctlsocket_with_an_unknown_command_is_wsaeinval() {
    let (mut h, t) = windows();
    let s = tcp(&mut h, t);
    let arg = dword(&mut h, 0);
    assert_eq!(h.ioctlsocket(t, s, 0x1234_5678, arg), SOCKET_ERROR);
    assert_err(&h, t, WsaError::WSAEINVAL);
}

// ===== events and WSAWaitForMultipleEvents =================================================

/// SDK wsacreateevent: a manual-reset event, initially not signalled; it stays signalled
/// across satisfied waits until reset.
#[test]
fn wsacreateevent_is_manual_reset_and_starts_unsignalled() {
    let (mut h, t) = windows();
    let ev = h.wsa_create_event(t);
    assert_ne!(ev, WSA_INVALID_EVENT);
    assert_eq!(ev % 4, 0);
    assert_eq!(
        wait(&mut h, t, &[ev], false, 0, false),
        i64::from(WSA_WAIT_TIMEOUT)
    );
    assert_eq!(h.wsa_set_event(t, ev), 1);
    for _ in 0..3 {
        assert_eq!(wait(&mut h, t, &[ev], false, 0, false), 0);
    }
    assert_eq!(h.wsa_reset_event(t, ev), 1);
    assert_eq!(
        wait(&mut h, t, &[ev], false, 0, false),
        i64::from(WSA_WAIT_TIMEOUT)
    );
}

/// SDK wsacloseevent: afterwards "further references to this handle will fail with the
/// error WSA_INVALID_HANDLE"; likewise for a handle that is not an event.
#[test]
fn closed_event_handle_is_wsa_invalid_handle() {
    let (mut h, t) = windows();
    let ev = h.wsa_create_event(t);
    assert_eq!(h.wsa_close_event(t, ev), 1);
    assert_eq!(h.wsa_set_event(t, ev), 0);
    assert_err(&h, t, WsaError::WSA_INVALID_HANDLE);
    assert_eq!(h.wsa_reset_event(t, ev), 0);
    assert_err(&h, t, WsaError::WSA_INVALID_HANDLE);
    assert_eq!(h.wsa_close_event(t, ev), 0);
    assert_err(&h, t, WsaError::WSA_INVALID_HANDLE);
    let s = tcp(&mut h, t);
    assert_eq!(h.wsa_set_event(t, s), 0, "a socket is not an event");
    assert_err(&h, t, WsaError::WSA_INVALID_HANDLE);
    let evs = h.sim().alloc_bytes(&ev.to_le_bytes());
    let call = h.wsa_wait_for_multiple_events(t, 1, evs, 0, 0, 0);
    assert_eq!(call.done(), Some(i64::from(WSA_WAIT_FAILED)));
    assert_err(&h, t, WsaError::WSA_INVALID_HANDLE);
}

/// SDK wsawaitformultipleevents: cEvents is 1 ... WSA_MAXIMUM_WAIT_EVENTS (64); 0 or 65 is
/// WSA_INVALID_PARAMETER.
#[test]
fn wait_with_count_0_or_65_is_wsa_invalid_parameter() {
    let (mut h, t) = windows();
    let evs: Vec<u64> = (0..65).map(|_| h.wsa_create_event(t)).collect();
    let mut raw = Vec::new();
    for e in &evs {
        raw.extend_from_slice(&e.to_le_bytes());
    }
    let arr = h.sim().alloc_bytes(&raw);
    for count in [0, 65] {
        let call = h.wsa_wait_for_multiple_events(t, count, arr, 0, 0, 0);
        assert_eq!(call.done(), Some(i64::from(WSA_WAIT_FAILED)));
        assert_err(&h, t, WsaError::WSA_INVALID_PARAMETER);
    }
    assert_eq!(h.wsa_set_event(t, evs[63]), 1);
    let call = h.wsa_wait_for_multiple_events(t, 64, arr, 0, 0, 0);
    assert_eq!(call.done(), Some(63));
}

/// SDK wsawaitformultipleevents: WSA_INVALID_HANDLE "One or more of the values in the
/// lphEvents array is not a valid event object handle."
#[test]
fn wait_with_an_invalid_handle_is_wsa_invalid_handle() {
    let (mut h, t) = windows();
    let ev = h.wsa_create_event(t);
    assert_eq!(h.wsa_set_event(t, ev), 1);
    for bad in [0u64, 0xdead_beef, 0x4_0000] {
        assert_eq!(
            wait(&mut h, t, &[ev, bad], false, 0, false),
            i64::from(WSA_WAIT_FAILED)
        );
        assert_err(&h, t, WsaError::WSA_INVALID_HANDLE);
    }
}

/// The wait is WaitForMultipleObjectsEx, which fails an unreadable handle array with
/// ERROR_NOACCESS (998).
#[test]
fn wait_with_a_null_handle_array_is_error_noaccess() {
    let (mut h, t) = windows();
    let call = h.wsa_wait_for_multiple_events(t, 1, Ptr::NULL, 0, 0, 0);
    assert_eq!(call.done(), Some(i64::from(WSA_WAIT_FAILED)));
    assert_eq!(h.last_error(t), 998);
    assert_err(&h, t, WsaError::ERROR_NOACCESS);
}

/// SDK wsawaitformultipleevents: with several signalled, "the smallest index" wins.
#[test]
fn wait_any_returns_the_lowest_signalled_index() {
    let (mut h, t) = windows();
    let evs: Vec<u64> = (0..4).map(|_| h.wsa_create_event(t)).collect();
    h.wsa_set_event(t, evs[3]);
    h.wsa_set_event(t, evs[1]);
    assert_eq!(wait(&mut h, t, &evs, false, 0, false), 1);
    assert_eq!(wait(&mut h, t, &evs, false, INFINITE, false), 1);
    h.wsa_reset_event(t, evs[1]);
    assert_eq!(wait(&mut h, t, &evs, false, 0, false), 3);
}

/// SDK wsawaitformultipleevents: fWaitAll returns when all are signalled, with
/// WSA_WAIT_EVENT_0.
#[test]
fn wait_all_returns_only_when_every_event_is_signalled() {
    let (mut h, t) = windows();
    let a = h.wsa_create_event(t);
    let b = h.wsa_create_event(t);
    h.wsa_set_event(t, b);
    assert_eq!(
        wait(&mut h, t, &[a, b], true, 0, false),
        i64::from(WSA_WAIT_TIMEOUT)
    );
    h.wsa_set_event(t, a);
    assert_eq!(wait(&mut h, t, &[a, b], true, 0, false), 0);
    assert_eq!(wait(&mut h, t, &[a], false, 0, false), 0, "still signalled");
}

/// SDK wsawaitformultipleevents: a time-out returns WSA_WAIT_TIMEOUT (258) after exactly
/// dwTimeout milliseconds (virtual time); 0 tests and returns at once.
#[test]
fn wait_times_out_after_exactly_its_timeout_and_0_polls() {
    let (mut h, t) = windows();
    let ev = h.wsa_create_event(t);
    let t0 = h.now();
    assert_eq!(wait(&mut h, t, &[ev], false, 0, false), 258);
    assert_eq!(h.now(), t0, "a poll takes no time");
    assert_eq!(wait(&mut h, t, &[ev], false, 1500, true), 258);
    assert_eq!(h.now().saturating_since(t0).as_millis(), 1500);
}

/// SDK wsawaitformultipleevents: an alertable wait returns WSA_WAIT_IO_COMPLETION (192)
/// after running the queued APCs, even when an APC sets the awaited event: the event is
/// not consumed and satisfies the next wait.
#[test]
fn alertable_wait_runs_queued_apcs_and_returns_192_leaving_the_event() {
    let (mut h, t) = windows();
    let ev = h.wsa_create_event(t);
    let f = h.apc_fn(move |h, t, _| {
        assert_eq!(h.wsa_set_event(t, ev), 1);
    });
    queue_apc(&mut h, t, f, t, 0);
    let t0 = h.now();
    assert_eq!(wait(&mut h, t, &[ev], false, INFINITE, true), 192);
    assert_eq!(h.now(), t0);
    assert_eq!(wait(&mut h, t, &[ev], false, 0, true), 0);
}

/// wine-facts C8: an object already signalled satisfies the wait without running queued
/// APCs; they run at the next alertable wait.
#[test]
fn signalled_event_wins_over_queued_apcs() {
    let (mut h, t) = windows();
    let ev = h.wsa_create_event(t);
    h.wsa_set_event(t, ev);
    let (f, log) = apc_log(&mut h);
    queue_apc(&mut h, t, f, t, 1);
    assert_eq!(wait(&mut h, t, &[ev], false, INFINITE, true), 0);
    assert!(log.borrow().is_empty());
    assert_eq!(sleep(&mut h, t, 0, true), i64::from(WAIT_IO_COMPLETION));
    assert_eq!(*log.borrow(), vec![1]);
}

/// SDK wsawaitformultipleevents: fAlertable FALSE: "completion routines are not run";
/// nor are user APCs.
#[test]
fn non_alertable_wait_does_not_run_apcs() {
    let (mut h, t) = windows();
    let ev = h.wsa_create_event(t);
    let (f, log) = apc_log(&mut h);
    queue_apc(&mut h, t, f, t, 1);
    assert_eq!(wait(&mut h, t, &[ev], false, 10, false), 258);
    assert!(log.borrow().is_empty());
}

/// SDK wsawaitformultipleevents: lphEvents "must not contain duplicates if fWaitAll is
/// TRUE": WSA_INVALID_PARAMETER, and the model reports the contract breach. Duplicates
/// are fine when waiting for any.
#[test]
fn wait_all_with_duplicate_handles_is_wsa_invalid_parameter_and_reported() {
    let (mut h, t) = windows();
    let ev = h.wsa_create_event(t);
    h.wsa_set_event(t, ev);
    assert_eq!(wait(&mut h, t, &[ev, ev], false, 0, false), 0);
    assert!(h.contract_reports().is_empty());
    assert_eq!(
        wait(&mut h, t, &[ev, ev], true, 0, false),
        i64::from(WSA_WAIT_FAILED)
    );
    assert_err(&h, t, WsaError::WSA_INVALID_PARAMETER);
    let reports = h.contract_reports();
    assert_eq!(reports.len(), 1);
    assert!(
        reports[0].rule.contains("duplicates"),
        "{}",
        reports[0].rule
    );
}

// ===== SleepEx and QueueUserAPC ============================================================

/// SDK sleepex: returns 0 when the interval expires.
#[test]
fn sleepex_returns_0_after_the_interval() {
    let (mut h, t) = windows();
    let t0 = h.now();
    let call = h.sleep_ex(t, 250, 1);
    assert_eq!(call, wsasim_core::Call::Blocked);
    assert_eq!(h.done(t, call), 0);
    assert_eq!(h.now().saturating_since(t0).as_millis(), 250);
}

/// SDK queueuserapc/sleepex: an alertable SleepEx runs every queued APC, first in first
/// out, and returns WAIT_IO_COMPLETION at once.
#[test]
fn alertable_sleepex_runs_queued_apcs_in_fifo_order_and_returns_192() {
    let (mut h, t) = windows();
    let (f, log) = apc_log(&mut h);
    for p in [3, 1, 2] {
        queue_apc(&mut h, t, f, t, p);
    }
    let t0 = h.now();
    assert_eq!(
        sleep(&mut h, t, INFINITE, true),
        i64::from(WAIT_IO_COMPLETION)
    );
    assert_eq!(*log.borrow(), vec![3, 1, 2]);
    assert_eq!(h.now(), t0);
    assert_eq!(sleep(&mut h, t, 0, true), 0, "nothing left");
}

/// SDK sleepex: bAlertable FALSE never returns early; APCs are not executed.
#[test]
fn non_alertable_sleepex_does_not_run_apcs() {
    let (mut h, t) = windows();
    let (f, log) = apc_log(&mut h);
    queue_apc(&mut h, t, f, t, 1);
    let t0 = h.now();
    assert_eq!(sleep(&mut h, t, 20, false), 0);
    assert_eq!(h.now().saturating_since(t0).as_millis(), 20);
    assert!(log.borrow().is_empty());
    assert_eq!(sleep(&mut h, t, 0, true), i64::from(WAIT_IO_COMPLETION));
    assert_eq!(*log.borrow(), vec![1]);
}

/// SDK queueuserapc: a handle that is not a thread fails with 0 and ERROR_INVALID_HANDLE.
#[test]
fn queue_user_apc_to_a_handle_that_is_not_a_thread_fails_with_error_invalid_handle() {
    let (mut h, t) = windows();
    let (f, _) = apc_log(&mut h);
    let ev = h.wsa_create_event(t);
    let s = tcp(&mut h, t);
    for bad in [ev, s, 0xdead_beef, 0] {
        assert_eq!(h.queue_user_apc(t, f, bad, 0), 0, "{bad:#x}");
        assert_eq!(h.last_error(t), 6);
    }
}

/// APCs run on the thread they were queued to, not on the caller.
#[test]
fn apc_runs_on_its_target_thread_only() {
    let (mut h, t) = windows();
    let t2 = h.create_thread();
    let (f, log) = apc_log(&mut h);
    queue_apc(&mut h, t, f, t2, 5);
    assert_eq!(sleep(&mut h, t, 0, true), 0);
    assert!(log.borrow().is_empty());
    assert_eq!(sleep(&mut h, t2, 0, true), i64::from(WAIT_IO_COMPLETION));
    assert_eq!(*log.borrow(), vec![5]);
}

// ===== WSAGetOverlappedResult ==============================================================

/// wine-facts G1: a bogus socket value is WSAENOTSOCK.
#[test]
fn get_overlapped_result_on_a_bogus_socket_is_wsaenotsock() {
    let (mut h, t) = windows();
    let ov = overlapped(&mut h, 0);
    let n = dword(&mut h, 0);
    let f = dword(&mut h, 0);
    h.wsa_set_last_error(t, 0xdead_beef_u32 as i32);
    let call = h.wsa_get_overlapped_result(t, 0xdead_beef, ov, n, 0, f);
    assert_eq!(call.done(), Some(0));
    assert_err(&h, t, WsaError::WSAENOTSOCK);
}

/// wine-facts G3: `Internal` = STATUS_PENDING and fWait FALSE is FALSE with
/// WSA_IO_INCOMPLETE (996), count untouched.
#[test]
fn get_overlapped_result_pending_without_wait_is_wsa_io_incomplete() {
    let (mut h, t) = windows();
    let (c, _s) = tcp_pair(&mut h, t, None);
    let (_, ov, _) = post_recv(&mut h, t, c, 8, 0);
    let n = dword(&mut h, 0xdead_beef);
    let f = dword(&mut h, 0xdead_beef);
    let call = h.wsa_get_overlapped_result(t, c, ov, n, 0, f);
    assert_eq!(call.done(), Some(0));
    assert_err(&h, t, WsaError::WSA_IO_INCOMPLETE);
    assert_eq!(h.last_error(t), 996);
    assert_eq!(read_u32(&h, n), 0xdead_beef);
}

/// wine-facts C9: fWait TRUE waits for the completion, non-alertably (a queued APC is not
/// run), then returns TRUE with the byte count.
#[test]
fn get_overlapped_result_with_wait_waits_non_alertably_and_returns_the_result() {
    let (mut h, t) = windows();
    let (c, s) = tcp_pair(&mut h, t, None);
    slow_loopback(&mut h, 3);
    let ev = h.wsa_create_event(t);
    let (_, ov, buf) = post_recv(&mut h, t, c, 8, ev);
    send_all(&mut h, t, s, b"late");
    let (f, log) = apc_log(&mut h);
    queue_apc(&mut h, t, f, t, 9);
    let n = dword(&mut h, 0);
    let fl = dword(&mut h, 0xdead_beef);
    let t0 = h.now();
    let call = h.wsa_get_overlapped_result(t, c, ov, n, 1, fl);
    assert_eq!(call, wsasim_core::Call::Blocked);
    assert_eq!(h.done(t, call), 1);
    assert_err(&h, t, WsaError::NO_ERROR);
    assert_eq!(h.now().saturating_since(t0).as_millis(), 3);
    assert_eq!(read_u32(&h, n), 4);
    assert_eq!(read_u32(&h, fl), 0);
    assert_eq!(h.sim().read_vec(buf, 4).unwrap(), b"late");
    assert!(log.borrow().is_empty(), "the wait is not alertable");
    assert_eq!(sleep(&mut h, t, 0, true), i64::from(WAIT_IO_COMPLETION));
    assert_eq!(*log.borrow(), vec![9]);
}

/// wine-facts G7: fWait TRUE with `Internal` still STATUS_PENDING but the event already
/// signalled returns TRUE at once.
#[test]
fn get_overlapped_result_with_wait_and_a_signalled_event_returns_true() {
    let (mut h, t) = windows();
    let s = tcp(&mut h, t);
    let ev = h.wsa_create_event(t);
    h.wsa_set_event(t, ev);
    let ov = overlapped(&mut h, ev);
    h.mem_mut().write_u64(ov, STATUS_PENDING).unwrap();
    let n = dword(&mut h, 0);
    let f = dword(&mut h, 0);
    let call = h.wsa_get_overlapped_result(t, s, ov, n, 1, f);
    assert_eq!(h.done(t, call), 1);
}

/// wine-facts G4/G5/G8: a failure status gives FALSE with the mapped Winsock code and
/// still fills lpcbTransfer from InternalHigh; a success status gives TRUE.
#[test]
fn get_overlapped_result_maps_the_status_and_fills_the_count_on_failure() {
    let (mut h, t) = windows();
    let s = tcp(&mut h, t);
    let cases: [(u64, i64, WsaError); 6] = [
        (0, 1, WsaError::NO_ERROR),
        (STATUS_BUFFER_OVERFLOW, 0, WsaError::WSAEMSGSIZE),
        (STATUS_CONNECTION_RESET, 0, WsaError::WSAECONNRESET),
        (STATUS_CONNECTION_ABORTED, 0, WsaError::WSAECONNABORTED),
        (STATUS_CANCELLED, 0, WsaError::WSA_OPERATION_ABORTED),
        (0xC000_0001, 0, WsaError::WSAEINVAL),
    ];
    for (status, ret, err) in cases {
        let ov = overlapped(&mut h, 0);
        h.mem_mut().write_u64(ov, status).unwrap();
        h.mem_mut().write_u64(Ptr(ov.0 + 8), 6).unwrap();
        let n = dword(&mut h, 0xdead_beef);
        let f = dword(&mut h, 0xdead_beef);
        let call = h.wsa_get_overlapped_result(t, s, ov, n, 0, f);
        assert_eq!(call.done(), Some(ret), "status {status:#x}");
        assert_err(&h, t, err);
        assert_eq!(read_u32(&h, n), 6, "status {status:#x}");
    }
}

/// SDK wsagetoverlappedresult: lpcbTransfer and lpdwFlags "must not be NULL" (WSAEFAULT);
/// lpOverlapped NULL is WSA_INVALID_PARAMETER (wine-facts G8).
#[test]
fn get_overlapped_result_with_null_pointers_is_rejected() {
    let (mut h, t) = windows();
    let s = tcp(&mut h, t);
    let ov = overlapped(&mut h, 0);
    let n = dword(&mut h, 0);
    let f = dword(&mut h, 0);
    for (tr, fl) in [(Ptr::NULL, f), (n, Ptr::NULL)] {
        let call = h.wsa_get_overlapped_result(t, s, ov, tr, 0, fl);
        assert_eq!(call.done(), Some(0));
        assert_err(&h, t, WsaError::WSAEFAULT);
    }
    let call = h.wsa_get_overlapped_result(t, s, Ptr::NULL, n, 0, f);
    assert_eq!(call.done(), Some(0));
    assert_err(&h, t, WsaError::WSA_INVALID_PARAMETER);
}

/// wine-facts O14: with `hEvent` NULL the completion signals the socket handle itself:
/// a wait on the socket times out before and succeeds after; fWait TRUE waits on it.
#[test]
fn overlapped_recv_without_event_signals_the_socket_handle() {
    let (mut h, t) = windows();
    let (c, s) = tcp_pair(&mut h, t, None);
    let (r, ov, _) = post_recv(&mut h, t, c, 8, 0);
    assert_eq!(r, SOCKET_ERR);
    assert_eq!(wait(&mut h, t, &[c], false, 0, false), 258);
    send_all(&mut h, t, s, b"data");
    assert_eq!(wait(&mut h, t, &[c], false, 0, false), 0);
    let n = dword(&mut h, 0);
    let f = dword(&mut h, 0);
    let call = h.wsa_get_overlapped_result(t, c, ov, n, 0, f);
    assert_eq!(call.done(), Some(1));
    assert_eq!(read_u32(&h, n), 4);
    // fWait TRUE with hEvent NULL: the wait is on the socket handle.
    slow_loopback(&mut h, 2);
    let (_, ov2, _) = post_recv(&mut h, t, c, 8, 0);
    assert_eq!(
        wait(&mut h, t, &[c], false, 0, false),
        258,
        "reset by the new request"
    );
    send_all(&mut h, t, s, b"more!");
    let call = h.wsa_get_overlapped_result(t, c, ov2, n, 1, f);
    assert_eq!(call, wsasim_core::Call::Blocked);
    assert_eq!(h.done(t, call), 1);
    assert_eq!(read_u32(&h, n), 5);
}

// ===== the last error ======================================================================
/// wine-facts L1, L5, L7, L8, P4, P17 and test_timeout/test_so_debug (verified): `send`,
/// `recv`, `WSARecv`, `bind`, `shutdown`, `getsockname`, `setsockopt` and `getsockopt`
/// set the last error to 0 when they succeed.
#[test]
fn verified_successful_calls_set_the_last_error_to_0() {
    let (mut h, t) = windows();
    let dirty = |h: &mut Harness| h.wsa_set_last_error(t, 0xdead_beef_u32 as i32);
    let l = tcp(&mut h, t);
    let (a, n) = sockaddr(&mut h, "127.0.0.1:7500");
    dirty(&mut h);
    assert_eq!(h.bind(t, l, a, n), 0);
    assert_err(&h, t, WsaError::NO_ERROR);
    assert_eq!(h.listen(t, l, 5), 0);
    let c = tcp(&mut h, t);
    let call = h.connect(t, c, a, n);
    assert_eq!(h.done(t, call), 0);
    let call = h.accept(t, l, Ptr::NULL, Ptr::NULL);
    let s = h.done(t, call) as u64;
    dirty(&mut h);
    send_all(&mut h, t, c, b"abcdef");
    assert_err(&h, t, WsaError::NO_ERROR);
    dirty(&mut h);
    let _ = sock_name(&mut h, t, s);
    assert_err(&h, t, WsaError::NO_ERROR);
    dirty(&mut h);
    assert_eq!(set_opt(&mut h, t, s, SOL_SOCKET, SO_RCVTIMEO, 100, 4), 0);
    assert_err(&h, t, WsaError::NO_ERROR);
    dirty(&mut h);
    assert_eq!(get_int(&mut h, t, s, SOL_SOCKET, SO_RCVTIMEO), 100);
    assert_err(&h, t, WsaError::NO_ERROR);
    dirty(&mut h);
    assert_eq!(recv_some(&mut h, t, s, 3).0, 3);
    assert_err(&h, t, WsaError::NO_ERROR);
    let buf = h.sim().alloc(8);
    let arr = wsabufs(&mut h, &[(buf, 8)]);
    let cnt = dword(&mut h, 0);
    let flags = dword(&mut h, 0);
    dirty(&mut h);
    let call = h.wsa_recv(t, s, arr, 1, cnt, flags, Ptr::NULL, Ptr::NULL);
    assert_eq!(h.done(t, call), 0);
    assert_err(&h, t, WsaError::NO_ERROR);
    dirty(&mut h);
    assert_eq!(h.shutdown(t, s, SD_BOTH), 0);
    assert_err(&h, t, WsaError::NO_ERROR);
}
