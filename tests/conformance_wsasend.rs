//! Conformance suite for `WSASend` (seed `seeds/000_9e1b51605a139a38.txt`): one test per
//! error code of the WSASend table (with the condition that produces it in the model) and
//! one per sentence of the Remarks, plus the rows of `reference/wine-facts.md` that pin
//! the Windows behaviour down. `docs/conformance.md` maps every row to its test.
//!
//! Conventions:
//! - the sender is the connecting end `c`, the receiver the accepted end `s`;
//! - "pending recipe" (wine-facts O1): `SO_SNDBUF = 0` on the sender, a receiver that
//!   does not read, and a 1 MiB overlapped send;
//! - out-parameters start as `0xdeadbeef` so "untouched" is observable;
//! - where a blocked call must be finished by another party, a second simulated thread
//!   (`t2`) plays that party.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wsasim_core::consts::*;
use wsasim_core::harness::{Harness, Stuck};
use wsasim_core::kernel::rules;
use wsasim_core::memory::{overlapped_layout as ovl, UserMemoryExt};
use wsasim_core::net::Link;
use wsasim_core::time::Duration;
use wsasim_core::{Call, Config, Profile, ProviderFault, Ptr, Ratio, ThreadId, WsaBuf, WsaError};
use wsasim_tests::*;

// ===== helpers ============================================================================

const MIB: usize = 1 << 20;
const SENTINEL: u32 = 0xdead_beef;
const STATUS_PENDING: u64 = 0x103;
const STATUS_CANCELLED: u64 = 0xC000_0120;

/// A harness over `config` with `WSAStartup(2.2)` done.
fn started_with(config: Config) -> (Harness, ThreadId) {
    let mut h = Harness::new(config);
    let t = h.main_thread();
    let data = h.sim().alloc(408);
    assert_eq!(h.wsa_startup(t, makeword(2, 2), data), 0);
    (h, t)
}

/// A documented-profile run with `WSAEWOULDBLOCK` for outstanding requests switched off
/// (so tests about other freedoms see only those).
fn documented_quiet(seed: u64) -> (Harness, ThreadId) {
    let mut c = Config::new(seed, Profile::Documented);
    c.too_many_outstanding_ratio = Ratio::NEVER;
    started_with(c)
}

/// A connected TCP pair over loopback on `port`: `(client, server)`.
fn pair_on(h: &mut Harness, t: ThreadId, port: u16) -> (u64, u64) {
    let l = listener(h, t, port, None);
    let c = h.socket(t, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    assert_ne!(c, INVALID_SOCKET);
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

/// A pair whose client has `SO_SNDBUF = 0` (the pending recipe, wine-facts O1).
fn unbuffered_pair(h: &mut Harness, t: ThreadId) -> (u64, u64) {
    let (c, s) = tcp_pair(h, t, None);
    set_int_opt(h, t, c, SOL_SOCKET, SO_SNDBUF, 0);
    (c, s)
}

/// A UDP socket bound to 127.0.0.1:`port`.
fn udp_bound(h: &mut Harness, t: ThreadId, port: u16) -> u64 {
    let u = h.socket(t, AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    assert_ne!(u, INVALID_SOCKET);
    let (a, n) = sockaddr(h, &format!("127.0.0.1:{port}"));
    assert_eq!(h.bind(t, u, a, n), 0);
    u
}

/// A UDP sender connected to a bound receiver: `(sender, receiver)`.
fn udp_pair(h: &mut Harness, t: ThreadId) -> (u64, u64) {
    let r = udp_bound(h, t, 5000);
    let u = h.socket(t, AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    let (a, n) = sockaddr(h, "127.0.0.1:5000");
    let call = h.connect(t, u, a, n);
    assert_eq!(h.done(t, call), 0);
    (u, r)
}

/// `len` bytes of a recognisable pattern.
fn pattern(len: usize, salt: u8) -> Vec<u8> {
    (0..len)
        .map(|i| ((i % 251) as u8).wrapping_add(salt))
        .collect()
}

/// Compares byte strings without printing megabytes on failure.
#[track_caller]
fn assert_same(got: &[u8], want: &[u8], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    if let Some(i) = got.iter().zip(want).position(|(a, b)| a != b) {
        panic!(
            "{what}: first difference at byte {i}: {} != {}",
            got[i], want[i]
        );
    }
}

/// Everything the peer can read now, letting due deliveries (documented-profile
/// deferred sends) happen between reads.
fn drain_all(h: &mut Harness, t: ThreadId, s: u64) -> Vec<u8> {
    let mut all = Vec::new();
    loop {
        h.settle();
        let got = drain(h, t, s);
        if got.is_empty() {
            return all;
        }
        all.extend(got);
    }
}

/// A `DWORD` out-parameter holding `SENTINEL`.
fn out(h: &mut Harness) -> Ptr {
    dword(h, SENTINEL)
}

/// `WSASend` of one buffer `(buf, len)`, finished: `(return value, last error)`.
#[allow(clippy::too_many_arguments)]
fn send_buf(
    h: &mut Harness,
    t: ThreadId,
    s: u64,
    buf: Ptr,
    len: u32,
    sent: Ptr,
    flags: u32,
    ov: Ptr,
    routine: Ptr,
) -> (i64, u32) {
    let arr = wsabufs(h, &[(buf, len)]);
    let call = h.wsa_send(t, s, arr, 1, sent, flags, ov, routine);
    let r = h.done(t, call);
    (r, h.last_error(t))
}

/// `WSASend` of `data` (copied into a fresh buffer), finished.
fn send_data(
    h: &mut Harness,
    t: ThreadId,
    s: u64,
    data: &[u8],
    sent: Ptr,
    ov: Ptr,
    routine: Ptr,
) -> (i64, u32) {
    let buf = bytes(h, data);
    send_buf(h, t, s, buf, data.len() as u32, sent, 0, ov, routine)
}

/// A plain (non-overlapped) `WSASend` of `data` with a count: `(ret, error, count)`.
fn send_plain(h: &mut Harness, t: ThreadId, s: u64, data: &[u8], flags: u32) -> (i64, u32, u32) {
    let sent = out(h);
    let buf = bytes(h, data);
    let (r, e) = send_buf(
        h,
        t,
        s,
        buf,
        data.len() as u32,
        sent,
        flags,
        Ptr::NULL,
        Ptr::NULL,
    );
    (r, e, read_u32(h, sent))
}

/// A fresh `WSAOVERLAPPED` with `hEvent = event` and `InternalHigh = SENTINEL`.
fn ov_with(h: &mut Harness, event: u64) -> Ptr {
    let ov = overlapped(h, event);
    h.mem_mut()
        .write_u64(Ptr(ov.0 + ovl::INTERNAL_HIGH), u64::from(SENTINEL))
        .unwrap();
    ov
}

fn internal(h: &Harness, ov: Ptr) -> u64 {
    read_u64(h, Ptr(ov.0 + ovl::INTERNAL))
}

fn internal_high(h: &Harness, ov: Ptr) -> u64 {
    read_u64(h, Ptr(ov.0 + ovl::INTERNAL_HIGH))
}

/// Whether event `ev` is signalled (a zero-timeout, non-alertable wait).
fn signaled(h: &mut Harness, t: ThreadId, ev: u64) -> bool {
    let evs = h.sim().alloc_bytes(&ev.to_le_bytes());
    let call = h.wsa_wait_for_multiple_events(t, 1, evs, FALSE, 0, FALSE);
    match h.done(t, call) as u32 {
        WSA_WAIT_EVENT_0 => true,
        WSA_WAIT_TIMEOUT => false,
        other => panic!("wait returned {other:#x}"),
    }
}

/// `SleepEx(ms, alertable)`, finished.
fn sleep(h: &mut Harness, t: ThreadId, ms: u32, alertable: bool) -> i64 {
    let call = h.sleep_ex(t, ms, i32::from(alertable));
    h.done(t, call)
}

/// `WSAGetOverlappedResult(s, ov, &n, fWait, &flags)`: `(BOOL, last error, n)`.
fn get_result(h: &mut Harness, t: ThreadId, s: u64, ov: Ptr, wait: bool) -> (i64, u32, u32) {
    let n = out(h);
    let flags = out(h);
    let call = h.wsa_get_overlapped_result(t, s, ov, n, i32::from(wait), flags);
    let r = h.done(t, call);
    (r, h.last_error(t), read_u32(h, n))
}

/// One completion-routine call: `(dwError, cbTransferred, lpOverlapped, dwFlags)`.
type RoutineCall = (u32, u32, Ptr, u32);

/// A completion routine that records its calls.
fn recorder(h: &mut Harness) -> (Ptr, Rc<RefCell<Vec<RoutineCall>>>) {
    let calls = Rc::new(RefCell::new(Vec::new()));
    let c = calls.clone();
    let r = h.routine(move |_, _, err, n, ov, flags| c.borrow_mut().push((err, n, ov, flags)));
    (r, calls)
}

/// The pending recipe: a 1 MiB overlapped send on an unbuffered client whose peer does
/// not read. Returns `(buffer, data, count pointer)` after asserting it pends.
fn pend_mib(h: &mut Harness, t: ThreadId, c: u64, ov: Ptr, routine: Ptr) -> (Ptr, Vec<u8>, Ptr) {
    let data = pattern(MIB, 1);
    let buf = bytes(h, &data);
    let sent = out(h);
    let (r, e) = send_buf(h, t, c, buf, MIB as u32, sent, 0, ov, routine);
    assert_eq!((r, e), (-1, WsaError::WSA_IO_PENDING.0));
    (buf, data, sent)
}

/// Sets `SO_LINGER {1, 0}` on `s` and closes it: an abortive close (wine-facts R1).
fn abortive_close(h: &mut Harness, t: ThreadId, s: u64) {
    set_int_opt(h, t, s, SOL_SOCKET, SO_LINGER, 1);
    let call = h.closesocket(t, s);
    assert_eq!(h.done(t, call), 0);
}

fn nonblocking(h: &mut Harness, t: ThreadId, s: u64) {
    let one = dword(h, 1);
    assert_eq!(h.ioctlsocket(t, s, FIONBIO, one), 0);
}

fn target(h: &Harness, s: u64) -> wsasim_core::provider::SocketRef {
    h.socket_target(s).expect("a live socket")
}

/// A pointer that faults: a region that was allocated and freed.
fn bad_ptr(h: &mut Harness) -> Ptr {
    let p = h.sim().alloc(64);
    h.sim().free(p);
    p
}

/// A recv on a UDP receiver that must find nothing: `WSAEWOULDBLOCK`.
fn assert_no_datagram(h: &mut Harness, t: ThreadId, r: u64) {
    nonblocking(h, t, r);
    let buf = h.sim().alloc(70_000);
    let call = h.recv(t, r, buf, 70_000, 0);
    assert_eq!(h.done(t, call), -1);
    assert_eq!(h.last_error(t), WsaError::WSAEWOULDBLOCK.0);
}

/// Receives one datagram (blocking).
fn recv_datagram(h: &mut Harness, t: ThreadId, r: u64) -> Vec<u8> {
    let buf = h.sim().alloc(70_000);
    let call = h.recv(t, r, buf, 70_000, 0);
    let n = h.done(t, call);
    assert!(n >= 0, "recv: {}", h.last_error(t));
    h.sim().read_vec(buf, n as usize).unwrap()
}

// ===== WSAECONNABORTED ====================================================================
// "The virtual circuit was terminated due to a time-out or other failure."

#[test]
fn wsaeconnaborted_after_local_abort_fault() {
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, _s) = tcp_pair(&mut h, t, None);
    let tg = target(&h, c);
    assert!(h.inject(ProviderFault::Abort(tg)));
    let (r, e, n) = send_plain(&mut h, t, c, b"hello", 0);
    assert_eq!((r, e, n), (-1, WsaError::WSAECONNABORTED.0, SENTINEL));
}

#[test]
fn wsaeconnaborted_completes_a_pending_send_on_abort_fault() {
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, _s) = unbuffered_pair(&mut h, t);
    let ev = h.wsa_create_event(t);
    let ov = ov_with(&mut h, ev);
    pend_mib(&mut h, t, c, ov, Ptr::NULL);
    let tg = target(&h, c);
    assert!(h.inject(ProviderFault::Abort(tg)));
    assert!(signaled(&mut h, t, ev));
    assert_eq!(get_result(&mut h, t, c, ov, false).0, 0);
    assert_eq!(h.last_error(t), WsaError::WSAECONNABORTED.0);
}

#[test]
fn wsaeconnaborted_after_sending_to_a_closed_peer_that_replied_with_reset() {
    // wine-facts R7 / E24: the first send to a peer that closed succeeds; the reset that
    // answers it aborts the connection, so later calls fail with WSAECONNABORTED.
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = tcp_pair(&mut h, t, None);
    let call = h.closesocket(t, s);
    assert_eq!(h.done(t, call), 0);
    h.settle();
    let (r, e, n) = send_plain(&mut h, t, c, b"hello", 0);
    assert_eq!((r, e, n), (0, 0, 5), "the first send still succeeds (E24)");
    h.settle();
    let buf = h.sim().alloc(16);
    let call = h.recv(t, c, buf, 16, 0);
    assert_eq!(h.done(t, call), -1);
    assert_eq!(h.last_error(t), WsaError::WSAECONNABORTED.0, "R7");
    let (r, e, _) = send_plain(&mut h, t, c, b"again", 0);
    assert_eq!((r, e), (-1, WsaError::WSAECONNABORTED.0));
}

// ===== WSAECONNRESET ======================================================================
// "For a stream socket, the virtual circuit was reset by the remote side." / "For a UDP
// datagram socket, ... a previous send operation resulted in an ICMP Port Unreachable".

#[test]
fn wsaeconnreset_after_peer_abortive_close() {
    // wine-facts E22.
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = tcp_pair(&mut h, t, None);
    abortive_close(&mut h, t, s);
    h.settle();
    let (r, e, n) = send_plain(&mut h, t, c, b"hello", 0);
    assert_eq!((r, e, n), (-1, WsaError::WSAECONNRESET.0, SENTINEL));
}

#[test]
fn wsaeconnreset_overlapped_send_after_reset_fails_synchronously_without_completion() {
    // wine-facts E23 / O6 / O7: SOCKET_ERROR + WSAECONNRESET at once, the count and the
    // OVERLAPPED untouched, no event, no routine.
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = tcp_pair(&mut h, t, None);
    abortive_close(&mut h, t, s);
    h.settle();
    let ev = h.wsa_create_event(t);
    let ov = ov_with(&mut h, ev);
    let sent = out(&mut h);
    let (r, e) = send_data(&mut h, t, c, b"hello", sent, ov, Ptr::NULL);
    assert_eq!((r, e), (-1, WsaError::WSAECONNRESET.0));
    assert_eq!(read_u32(&h, sent), SENTINEL, "count untouched");
    assert_eq!(internal(&h, ov), 0, "Internal untouched");
    assert_eq!(internal_high(&h, ov), u64::from(SENTINEL));
    assert!(!signaled(&mut h, t, ev), "no completion indication");
    let (routine, calls) = recorder(&mut h);
    let ov2 = ov_with(&mut h, 0);
    let (r, e) = send_data(&mut h, t, c, b"hello", Ptr::NULL, ov2, routine);
    assert_eq!((r, e), (-1, WsaError::WSAECONNRESET.0));
    assert_eq!(sleep(&mut h, t, 0, true), 0, "nothing queued to the thread");
    assert!(calls.borrow().is_empty());
}

#[test]
fn wsaeconnreset_completes_a_pending_send_when_the_peer_resets() {
    // wine-facts R13: untested on Windows; Wine (and the model) complete pending sends
    // with the reset.
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = unbuffered_pair(&mut h, t);
    let (routine, calls) = recorder(&mut h);
    let ov = ov_with(&mut h, 0);
    pend_mib(&mut h, t, c, ov, routine);
    abortive_close(&mut h, t, s);
    h.settle();
    assert_eq!(sleep(&mut h, t, 0, true), i64::from(WAIT_IO_COMPLETION));
    assert_eq!(
        calls.borrow().as_slice(),
        &[(WsaError::WSAECONNRESET.0, 0, ov, 0)]
    );
}

#[test]
fn wsaeconnreset_udp_after_icmp_port_unreachable_documented_only() {
    // Documented: "a previous send operation resulted in an ICMP Port Unreachable".
    // Verified Windows ignores ICMP for sends (wine-facts E25): 10 sends all succeed.
    let (mut h, t) = started(Profile::Documented, 1);
    let u = h.socket(t, AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    let (a, n) = sockaddr(&mut h, "127.0.0.1:5999");
    let call = h.connect(t, u, a, n);
    assert_eq!(h.done(t, call), 0);
    assert_eq!(send_plain(&mut h, t, u, &[1; 16], 0).0, 0);
    h.settle();
    let (r, e, _) = send_plain(&mut h, t, u, &[1; 16], 0);
    assert_eq!((r, e), (-1, WsaError::WSAECONNRESET.0));

    let (mut h, t) = started(Profile::Windows, 1);
    let u = h.socket(t, AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    let (a, n) = sockaddr(&mut h, "127.0.0.1:5999");
    let call = h.connect(t, u, a, n);
    assert_eq!(h.done(t, call), 0);
    for _ in 0..10 {
        assert_eq!(send_plain(&mut h, t, u, &[1; 16], 0), (0, 0, 16), "E25");
        h.settle();
    }
}

// ===== WSAEFAULT ==========================================================================
// "The lpBuffers, lpNumberOfBytesSent, lpOverlapped, lpCompletionRoutine parameter is not
// totally contained in a valid part of the user address space."

#[test]
fn wsaefault_for_an_unmapped_wsabuf_array() {
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, _s) = tcp_pair(&mut h, t, None);
    let sent = out(&mut h);
    let bad = bad_ptr(&mut h);
    for arr in [Ptr::NULL, bad] {
        let call = h.wsa_send(t, c, arr, 1, sent, 0, Ptr::NULL, Ptr::NULL);
        assert_eq!(h.done(t, call), -1);
        assert_eq!(h.last_error(t), WsaError::WSAEFAULT.0);
    }
    assert_eq!(read_u32(&h, sent), SENTINEL);
}

#[test]
fn wsaefault_for_a_buffer_count_past_the_end_of_the_array() {
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, _s) = tcp_pair(&mut h, t, None);
    let data = bytes(&mut h, b"abc");
    let arr = wsabufs(&mut h, &[(data, 3)]);
    let sent = out(&mut h);
    let call = h.wsa_send(t, c, arr, 2, sent, 0, Ptr::NULL, Ptr::NULL);
    assert_eq!(h.done(t, call), -1);
    assert_eq!(h.last_error(t), WsaError::WSAEFAULT.0);
}

#[test]
fn wsaefault_for_a_null_or_bad_count_without_overlapped() {
    // "This parameter can be NULL only if the lpOverlapped parameter is not NULL"
    // (wine-facts E4 for WSASendTo).
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = tcp_pair(&mut h, t, None);
    let bad = bad_ptr(&mut h);
    for sent in [Ptr::NULL, bad] {
        let (r, e) = send_data(&mut h, t, c, b"abc", sent, Ptr::NULL, Ptr::NULL);
        assert_eq!((r, e), (-1, WsaError::WSAEFAULT.0));
    }
    assert!(drain_all(&mut h, t, s).is_empty(), "nothing was sent");
}

#[test]
fn wsaefault_for_a_bad_overlapped_pointer() {
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = tcp_pair(&mut h, t, None);
    let bad = bad_ptr(&mut h);
    let short = h.sim().alloc(16); // half a WSAOVERLAPPED
    for ov in [bad, short] {
        let (r, e) = send_data(&mut h, t, c, b"abc", Ptr::NULL, ov, Ptr::NULL);
        assert_eq!((r, e), (-1, WsaError::WSAEFAULT.0));
    }
    assert!(drain_all(&mut h, t, s).is_empty());
}

#[test]
fn wsaefault_for_a_bad_data_buffer() {
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = tcp_pair(&mut h, t, None);
    let bad = bad_ptr(&mut h);
    let small = bytes(&mut h, b"abc");
    for (buf, len) in [(bad, 10), (small, 4)] {
        let sent = out(&mut h);
        let (r, e) = send_buf(&mut h, t, c, buf, len, sent, 0, Ptr::NULL, Ptr::NULL);
        assert_eq!((r, e), (-1, WsaError::WSAEFAULT.0));
        assert_eq!(read_u32(&h, sent), SENTINEL);
    }
    assert!(drain_all(&mut h, t, s).is_empty());
}

// ===== WSAEINTR ===========================================================================
// "A blocking Windows Socket 1.1 call was canceled through WSACancelBlockingCall."

/// A world where the application negotiated Windows Sockets 1.1.
fn started_11() -> (Harness, ThreadId) {
    let mut h = Harness::new(Config::new(1, Profile::Windows));
    let t = h.main_thread();
    let data = h.sim().alloc(408);
    assert_eq!(h.wsa_startup(t, makeword(1, 1), data), 0);
    (h, t)
}

#[test]
fn wsaeintr_when_an_apc_cancels_a_blocking_send_of_a_winsock_11_app() {
    let (mut h, t) = started_11();
    let (c, _s) = unbuffered_pair(&mut h, t);
    let cancelled = Rc::new(Cell::new(-2));
    let cc = cancelled.clone();
    let apc = h.apc_fn(move |h, t, _| cc.set(h.wsa_cancel_blocking_call(t)));
    let th = h.thread_handle(t);
    assert_ne!(h.queue_user_apc(t, apc, th, 0), 0);
    let buf = bytes(&mut h, &pattern(MIB, 0));
    let arr = wsabufs(&mut h, &[(buf, MIB as u32)]);
    let sent = out(&mut h);
    let call = h.wsa_send(t, c, arr, 1, sent, 0, Ptr::NULL, Ptr::NULL);
    assert_eq!(call, Call::Blocked, "the send waits for the peer");
    assert_eq!(h.done(t, call), -1);
    assert_eq!(cancelled.get(), 0, "WSACancelBlockingCall succeeded");
    assert_eq!(h.last_error(t), WsaError::WSAEINTR.0);
    assert_eq!(read_u32(&h, sent), SENTINEL);
}

// ===== WSAEINPROGRESS =====================================================================
// "A blocking Windows Sockets 1.1 call is in progress, or the service provider is still
// processing a callback function."

#[test]
fn wsaeinprogress_for_a_winsock_11_call_from_an_apc_inside_a_blocking_send() {
    let (mut h, t) = started_11();
    let (c, _s) = unbuffered_pair(&mut h, t);
    let seen = Rc::new(Cell::new((0i64, 0u32)));
    let sc = seen.clone();
    let apc = h.apc_fn(move |h, t, _| {
        // Any Winsock call, here a small send on the same socket.
        let buf = h.sim().alloc_bytes(b"x");
        let arr = h.sim().alloc_wsabufs(&[WsaBuf { len: 1, buf }]);
        let n = h.sim().alloc(4);
        let call = h.wsa_send(t, c, arr, 1, n, 0, Ptr::NULL, Ptr::NULL);
        sc.set((h.done(t, call), h.last_error(t)));
        // The one call allowed: end the blocking call.
        assert_eq!(h.wsa_cancel_blocking_call(t), 0);
    });
    let th = h.thread_handle(t);
    assert_ne!(h.queue_user_apc(t, apc, th, 0), 0);
    let buf = bytes(&mut h, &pattern(MIB, 0));
    let arr = wsabufs(&mut h, &[(buf, MIB as u32)]);
    let sent = out(&mut h);
    let call = h.wsa_send(t, c, arr, 1, sent, 0, Ptr::NULL, Ptr::NULL);
    assert_eq!(call, Call::Blocked);
    assert_eq!(h.done(t, call), -1);
    assert_eq!(seen.get(), (-1, WsaError::WSAEINPROGRESS.0));
    assert_eq!(h.last_error(t), WsaError::WSAEINTR.0);
}

#[test]
fn wsaeinprogress_and_contract_report_for_a_blocking_send_inside_an_apc_that_interrupted_one() {
    // WSASend Note: "Issuing another blocking Winsock call inside an APC that interrupted
    // an ongoing blocking Winsock call on the same thread will lead to undefined
    // behavior": the model answers WSAEINPROGRESS and reports the breach.
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = unbuffered_pair(&mut h, t);
    let seen = Rc::new(Cell::new((0i64, 0u32)));
    let sc = seen.clone();
    let apc = h.apc_fn(move |h, t, _| {
        let buf = h.sim().alloc_bytes(&[9; 100]);
        let call = h.send(t, c, buf, 100, 0);
        sc.set((h.done(t, call), h.last_error(t)));
    });
    let th = h.thread_handle(t);
    assert_ne!(h.queue_user_apc(t, apc, th, 0), 0);
    let data = pattern(MIB, 3);
    let buf = bytes(&mut h, &data);
    let arr = wsabufs(&mut h, &[(buf, MIB as u32)]);
    let sent = out(&mut h);
    let call = h.wsa_send(t, c, arr, 1, sent, 0, Ptr::NULL, Ptr::NULL);
    assert_eq!(call, Call::Blocked);
    assert!(matches!(h.run(t, call), Err(Stuck::Deadlock { .. })));
    assert_eq!(seen.get(), (-1, WsaError::WSAEINPROGRESS.0));
    assert!(h
        .contract_reports()
        .iter()
        .any(|r| r.rule == rules::NESTED_BLOCKING_CALL));
    // The interrupted send goes on and finishes once the peer reads (thread t2).
    let t2 = h.create_thread();
    assert_same(
        &drain_all(&mut h, t2, s),
        &data,
        "the nested send left no bytes",
    );
    assert_eq!(h.done(t, Call::Blocked), 0);
    assert_eq!(read_u32(&h, sent), MIB as u32);
}

// ===== WSAEINVAL ==========================================================================
// "The socket has not been bound with bind or the socket is not created with the
// overlapped flag."

#[test]
fn wsaeinval_for_a_never_bound_socket_in_documented_profile() {
    for proto in [(SOCK_STREAM, IPPROTO_TCP), (SOCK_DGRAM, IPPROTO_UDP)] {
        let (mut h, t) = started(Profile::Documented, 1);
        let u = h.socket(t, AF_INET, proto.0, proto.1);
        let (r, e, n) = send_plain(&mut h, t, u, b"abc", 0);
        assert_eq!(
            (r, e, n),
            (-1, WsaError::WSAEINVAL.0, SENTINEL),
            "{proto:?}"
        );
    }
}

#[test]
fn never_bound_socket_is_wsaenotconn_in_windows_profile() {
    // wine-facts E16/E17: verified Windows says WSAENOTCONN instead.
    for proto in [(SOCK_STREAM, IPPROTO_TCP), (SOCK_DGRAM, IPPROTO_UDP)] {
        let (mut h, t) = started(Profile::Windows, 1);
        let u = h.socket(t, AF_INET, proto.0, proto.1);
        let (r, e, _) = send_plain(&mut h, t, u, b"abc", 0);
        assert_eq!((r, e), (-1, WsaError::WSAENOTCONN.0), "{proto:?}");
    }
}

/// A connected pair whose client was made by `WSASocket` without `WSA_FLAG_OVERLAPPED`.
fn non_overlapped_pair(h: &mut Harness, t: ThreadId) -> (u64, u64) {
    let l = listener(h, t, 27016, None);
    let c = h.wsa_socket(t, AF_INET, SOCK_STREAM, IPPROTO_TCP, Ptr::NULL, 0, 0);
    assert_ne!(c, INVALID_SOCKET);
    let (a, n) = sockaddr(h, "127.0.0.1:27016");
    let call = h.connect(t, c, a, n);
    assert_eq!(h.done(t, call), 0);
    let call = h.accept(t, l, Ptr::NULL, Ptr::NULL);
    let s = h.done(t, call) as u64;
    (c, s)
}

#[test]
fn wsaeinval_for_overlapped_send_on_non_overlapped_socket_in_documented_profile() {
    let (mut h, t) = started(Profile::Documented, 1);
    let (c, s) = non_overlapped_pair(&mut h, t);
    let ev = h.wsa_create_event(t);
    let ov = ov_with(&mut h, ev);
    let sent = out(&mut h);
    let (r, e) = send_data(&mut h, t, c, b"abc", sent, ov, Ptr::NULL);
    assert_eq!((r, e), (-1, WsaError::WSAEINVAL.0));
    assert_eq!(read_u32(&h, sent), SENTINEL);
    assert_eq!(internal(&h, ov), 0);
    assert!(drain_all(&mut h, t, s).is_empty());
}

#[test]
fn overlapped_send_on_non_overlapped_socket_is_performed_synchronously_in_windows_profile() {
    // wine-facts O17: the OVERLAPPED is ignored and the call behaves as a blocking one.
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = non_overlapped_pair(&mut h, t);
    let ev = h.wsa_create_event(t);
    let ov = ov_with(&mut h, ev);
    let sent = out(&mut h);
    let (r, e) = send_data(&mut h, t, c, b"abc", sent, ov, Ptr::NULL);
    assert_eq!((r, e, read_u32(&h, sent)), (0, 0, 3));
    // The call was synchronous, but the OVERLAPPED is the request's status block: it
    // holds the result and its event is signalled, as Windows' I/O manager does for a
    // synchronous handle (O17: Windows reads the result back through
    // GetOverlappedResult).
    assert_eq!(internal(&h, ov), 0, "Internal = STATUS_SUCCESS");
    assert_eq!(internal_high(&h, ov), 3, "InternalHigh = bytes");
    assert!(signaled(&mut h, t, ev), "the event is signalled");
    assert_eq!(drain_all(&mut h, t, s), b"abc");
    // Even a send that must wait blocks instead of pending.
    set_int_opt(&mut h, t, c, SOL_SOCKET, SO_SNDBUF, 0);
    let data = pattern(MIB, 0);
    let buf = bytes(&mut h, &data);
    let arr = wsabufs(&mut h, &[(buf, MIB as u32)]);
    let call = h.wsa_send(t, c, arr, 1, sent, 0, ov, Ptr::NULL);
    assert_eq!(call, Call::Blocked);
    let t2 = h.create_thread();
    assert_same(&drain_all(&mut h, t2, s), &data, "peer data");
    assert_eq!(h.done(t, call), 0);
    assert_eq!(read_u32(&h, sent), MIB as u32);
    // lpCompletionRoutine: "This parameter is ignored for nonoverlapped sockets."
    let (routine, calls) = recorder(&mut h);
    let (r, e) = send_data(&mut h, t, c, b"def", sent, Ptr::NULL, routine);
    assert_eq!((r, e, read_u32(&h, sent)), (0, 0, 3));
    assert_eq!(sleep(&mut h, t, 0, true), 0, "no routine queued");
    assert!(calls.borrow().is_empty());
    assert_eq!(drain_all(&mut h, t, s), b"def");
}

#[test]
fn wsaeinval_for_zero_buffers_unknown_flags_and_oob_with_oobinline() {
    // Model choices by analogy: dwBufferCount 0 (wine-facts O19 for WSARecv); send's
    // "an unknown flag was specified, or MSG_OOB was specified for a socket with
    // SO_OOBINLINE enabled".
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, _s) = tcp_pair(&mut h, t, None);
    let data = bytes(&mut h, b"abc");
    let arr = wsabufs(&mut h, &[(data, 3)]);
    let sent = out(&mut h);
    let call = h.wsa_send(t, c, arr, 0, sent, 0, Ptr::NULL, Ptr::NULL);
    assert_eq!(
        (h.done(t, call), h.last_error(t)),
        (-1, WsaError::WSAEINVAL.0)
    );
    let (r, e, _) = send_plain(&mut h, t, c, b"abc", MSG_PEEK);
    assert_eq!((r, e), (-1, WsaError::WSAEINVAL.0));
    set_int_opt(&mut h, t, c, SOL_SOCKET, SO_OOBINLINE, 1);
    let (r, e, _) = send_plain(&mut h, t, c, b"a", MSG_OOB);
    assert_eq!((r, e), (-1, WsaError::WSAEINVAL.0));
}

// ===== WSAEMSGSIZE ========================================================================
// "The socket is message oriented, and the message is larger than the maximum supported
// by the underlying transport." / Remarks: "the error WSAEMSGSIZE is returned, and no
// data is transmitted."

#[test]
fn wsaemsgsize_for_a_udp_datagram_over_65507_bytes_and_nothing_is_delivered() {
    let (mut h, t) = started(Profile::Windows, 1);
    let (u, r) = udp_pair(&mut h, t);
    let (ret, e, n) = send_plain(&mut h, t, u, &vec![5; 65_508], 0);
    assert_eq!((ret, e, n), (-1, WsaError::WSAEMSGSIZE.0, SENTINEL));
    h.settle();
    assert_no_datagram(&mut h, t, r);
}

#[test]
fn wsaemsgsize_counts_all_buffers_of_one_datagram() {
    let (mut h, t) = started(Profile::Windows, 1);
    let (u, r) = udp_pair(&mut h, t);
    let a = bytes(&mut h, &vec![1; 60_000]);
    let b = bytes(&mut h, &vec![2; 5_508]);
    let arr = wsabufs(&mut h, &[(a, 60_000), (b, 5_508)]);
    let sent = out(&mut h);
    let call = h.wsa_send(t, u, arr, 2, sent, 0, Ptr::NULL, Ptr::NULL);
    assert_eq!(
        (h.done(t, call), h.last_error(t)),
        (-1, WsaError::WSAEMSGSIZE.0)
    );
    h.settle();
    assert_no_datagram(&mut h, t, r);
}

#[test]
fn so_max_msg_size_is_65507_and_a_datagram_of_that_size_is_sent() {
    // "the maximum message size ... can be obtained by getting the value of socket option
    // SO_MAX_MSG_SIZE" (wine-facts P5: 65507).
    let (mut h, t) = started(Profile::Windows, 1);
    let (u, r) = udp_pair(&mut h, t);
    let v = dword(&mut h, 0);
    let len = dword(&mut h, 4);
    assert_eq!(h.getsockopt(t, u, SOL_SOCKET, SO_MAX_MSG_SIZE, v, len), 0);
    assert_eq!(read_u32(&h, v), 65_507);
    let data = pattern(65_507, 4);
    assert_eq!(send_plain(&mut h, t, u, &data, 0), (0, 0, 65_507));
    assert_same(&recv_datagram(&mut h, t, r), &data, "datagram");
}

// ===== WSAENETDOWN ========================================================================
// "The network subsystem has failed."

#[test]
fn wsaenetdown_after_network_down_fault() {
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, _s) = tcp_pair(&mut h, t, None);
    assert!(h.inject(ProviderFault::NetworkDown { host: 0 }));
    let (r, e, n) = send_plain(&mut h, t, c, b"abc", 0);
    assert_eq!((r, e, n), (-1, WsaError::WSAENETDOWN.0, SENTINEL));
}

#[test]
fn wsaenetdown_completes_a_pending_send() {
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, _s) = unbuffered_pair(&mut h, t);
    let ev = h.wsa_create_event(t);
    let ov = ov_with(&mut h, ev);
    pend_mib(&mut h, t, c, ov, Ptr::NULL);
    assert!(h.inject(ProviderFault::NetworkDown { host: 0 }));
    assert!(signaled(&mut h, t, ev));
    let (ok, e, _) = get_result(&mut h, t, c, ov, false);
    assert_eq!((ok, e), (0, WsaError::WSAENETDOWN.0));
}

// ===== WSAENETRESET =======================================================================
// "For a stream socket, the connection has been broken due to keep-alive activity
// detecting a failure while the operation was in progress. For a datagram socket, this
// error indicates that the time to live has expired."

#[test]
fn wsaenetreset_completes_a_pending_send_on_keepalive_failure_and_later_sends_are_wsaenotconn() {
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, _s) = unbuffered_pair(&mut h, t);
    let ev = h.wsa_create_event(t);
    let ov = ov_with(&mut h, ev);
    pend_mib(&mut h, t, c, ov, Ptr::NULL);
    let tg = target(&h, c);
    assert!(h.inject(ProviderFault::KeepAliveFailure(tg)));
    assert!(signaled(&mut h, t, ev));
    let (ok, e, _) = get_result(&mut h, t, c, ov, false);
    assert_eq!((ok, e), (0, WsaError::WSAENETRESET.0));
    // getsockopt(SO_KEEPALIVE): "subsequent operations fail with WSAENOTCONN".
    let (r, e, _) = send_plain(&mut h, t, c, b"abc", 0);
    assert_eq!((r, e), (-1, WsaError::WSAENOTCONN.0));
}

#[test]
fn wsaenetreset_for_a_datagram_whose_ttl_expired() {
    let (mut h, t) = started(Profile::Windows, 1);
    let (u, r) = udp_pair(&mut h, t);
    let tg = target(&h, u);
    assert!(h.inject(ProviderFault::TtlExpired(tg)));
    let (ret, e, n) = send_plain(&mut h, t, u, b"abc", 0);
    assert_eq!((ret, e, n), (-1, WsaError::WSAENETRESET.0, SENTINEL));
    assert_eq!(send_plain(&mut h, t, u, b"def", 0), (0, 0, 3), "one-shot");
    assert_eq!(recv_datagram(&mut h, t, r), b"def");
}

// ===== WSAENOBUFS =========================================================================
// "The Windows Sockets provider reports a buffer deadlock."

#[test]
fn wsaenobufs_on_buffer_deadlock_fault_then_sends_resume() {
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = tcp_pair(&mut h, t, None);
    let tg = target(&h, c);
    assert!(h.inject(ProviderFault::BufferDeadlock(tg, 1)));
    let ev = h.wsa_create_event(t);
    let ov = ov_with(&mut h, ev);
    let (r, e) = send_data(&mut h, t, c, b"abc", Ptr::NULL, ov, Ptr::NULL);
    assert_eq!((r, e), (-1, WsaError::WSAENOBUFS.0));
    assert!(!signaled(&mut h, t, ev), "not initiated: no completion");
    assert_eq!(send_plain(&mut h, t, c, b"def", 0), (0, 0, 3));
    assert_eq!(drain_all(&mut h, t, s), b"def");
}

// ===== WSAENOTCONN ========================================================================
// "The socket is not connected."

#[test]
fn wsaenotconn_for_a_bound_never_connected_tcp_socket() {
    for profile in [Profile::Windows, Profile::Documented] {
        let (mut h, t) = started(profile, 1);
        let c = h.socket(t, AF_INET, SOCK_STREAM, IPPROTO_TCP);
        let (a, n) = sockaddr(&mut h, "127.0.0.1:0");
        assert_eq!(h.bind(t, c, a, n), 0);
        let (r, e, _) = send_plain(&mut h, t, c, b"abc", 0);
        assert_eq!((r, e), (-1, WsaError::WSAENOTCONN.0), "{profile:?}");
    }
}

#[test]
fn wsaenotconn_while_the_connect_is_in_progress() {
    // wine-facts E16 (todo_wine).
    let (mut h, t) = started(Profile::Windows, 1);
    h.network_mut().loopback = Link {
        latency: Duration::from_millis(1),
        bandwidth: None,
    };
    let _l = listener(&mut h, t, 27015, None);
    let c = h.socket(t, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    nonblocking(&mut h, t, c);
    let (a, n) = sockaddr(&mut h, "127.0.0.1:27015");
    let call = h.connect(t, c, a, n);
    assert_eq!(
        (h.done(t, call), h.last_error(t)),
        (-1, WsaError::WSAEWOULDBLOCK.0)
    );
    let (r, e, _) = send_plain(&mut h, t, c, b"abc", 0);
    assert_eq!((r, e), (-1, WsaError::WSAENOTCONN.0));
    // Once connected, the same send works.
    assert_eq!(sleep(&mut h, t, 10, false), 0);
    assert_eq!(send_plain(&mut h, t, c, b"abc", 0), (0, 0, 3));
}

#[test]
fn wsaenotconn_for_udp_without_a_default_peer() {
    // wine-facts E17: bound or not.
    let (mut h, t) = started(Profile::Windows, 1);
    let bound = udp_bound(&mut h, t, 5001);
    let unbound = h.socket(t, AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    for u in [bound, unbound] {
        let (r, e, _) = send_plain(&mut h, t, u, b"abc", 0);
        assert_eq!((r, e), (-1, WsaError::WSAENOTCONN.0));
    }
}

// ===== WSAENOTSOCK ========================================================================
// "The descriptor is not a socket."

#[test]
fn wsaenotsock_for_invalid_socket_even_with_null_count_and_overlapped() {
    // wine-facts E2: socket validity is checked before the pointers.
    let (mut h, t) = started(Profile::Windows, 1);
    let ov = ov_with(&mut h, 0);
    let (r, e) = send_data(&mut h, t, INVALID_SOCKET, b"abc", Ptr::NULL, ov, Ptr::NULL);
    assert_eq!((r, e), (-1, WsaError::WSAENOTSOCK.0));
    let call = h.wsa_send(
        t,
        INVALID_SOCKET,
        Ptr::NULL,
        1,
        Ptr::NULL,
        0,
        Ptr::NULL,
        Ptr::NULL,
    );
    assert_eq!(
        (h.done(t, call), h.last_error(t)),
        (-1, WsaError::WSAENOTSOCK.0)
    );
    assert_eq!(internal(&h, ov), 0);
}

#[test]
fn wsaenotsock_for_a_closed_stale_handle() {
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, _s) = tcp_pair(&mut h, t, None);
    let call = h.closesocket(t, c);
    assert_eq!(h.done(t, call), 0);
    let (r, e, _) = send_plain(&mut h, t, c, b"abc", 0);
    assert_eq!((r, e), (-1, WsaError::WSAENOTSOCK.0));
    // A new socket does not revive the old value (handles carry a generation).
    let c2 = h.socket(t, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    assert_ne!(c2, c);
    let (r, e, _) = send_plain(&mut h, t, c, b"abc", 0);
    assert_eq!((r, e), (-1, WsaError::WSAENOTSOCK.0));
}

#[test]
fn wsaenotsock_for_an_event_handle_and_a_never_issued_value() {
    let (mut h, t) = started(Profile::Windows, 1);
    let ev = h.wsa_create_event(t);
    for s in [ev, 0, 0xdead_beef, 0x1234_5678_9abc] {
        let (r, e, _) = send_plain(&mut h, t, s, b"abc", 0);
        assert_eq!((r, e), (-1, WsaError::WSAENOTSOCK.0), "{s:#x}");
    }
}

// ===== WSAEOPNOTSUPP ======================================================================
// "MSG_OOB was specified, but the socket is not stream-style such as type SOCK_STREAM,
// OOB data is not supported in the communication domain associated with this socket,
// MSG_PARTIAL is not supported, or the socket is unidirectional and supports only
// receive operations."

#[test]
fn wsaeopnotsupp_for_msg_oob_on_udp() {
    let (mut h, t) = started(Profile::Windows, 1);
    let (u, r) = udp_pair(&mut h, t);
    let (ret, e, n) = send_plain(&mut h, t, u, b"abc", MSG_OOB);
    assert_eq!((ret, e, n), (-1, WsaError::WSAEOPNOTSUPP.0, SENTINEL));
    h.settle();
    assert_no_datagram(&mut h, t, r);
}

#[test]
fn wsaeopnotsupp_for_msg_partial_on_tcp_and_udp() {
    // "Be aware that the error code WSAEOPNOTSUPP will be returned by transports that do
    // not support partial message transmissions."
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = tcp_pair(&mut h, t, None);
    let (u, r) = udp_pair(&mut h, t);
    for sock in [c, u] {
        let (ret, e, _) = send_plain(&mut h, t, sock, b"abc", MSG_PARTIAL);
        assert_eq!((ret, e), (-1, WsaError::WSAEOPNOTSUPP.0));
    }
    assert!(drain_all(&mut h, t, s).is_empty());
    h.settle();
    assert_no_datagram(&mut h, t, r);
}

// ===== WSAESHUTDOWN =======================================================================
// "it is not possible to WSASend on a socket after shutdown has been invoked with how set
// to SD_SEND or SD_BOTH."

#[test]
fn wsaeshutdown_after_shutdown_sd_send() {
    // wine-facts E18.
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, _s) = tcp_pair(&mut h, t, None);
    assert_eq!(h.shutdown(t, c, SD_SEND), 0);
    let (r, e, n) = send_plain(&mut h, t, c, b"abc", 0);
    assert_eq!((r, e, n), (-1, WsaError::WSAESHUTDOWN.0, SENTINEL));
}

#[test]
fn wsaeshutdown_after_shutdown_sd_both_on_either_end() {
    // wine-facts E19.
    for end in 0..2 {
        let (mut h, t) = started(Profile::Windows, 1);
        let (c, s) = tcp_pair(&mut h, t, None);
        let me = [c, s][end];
        assert_eq!(h.shutdown(t, me, SD_BOTH), 0);
        let (r, e, _) = send_plain(&mut h, t, me, b"abc", 0);
        assert_eq!((r, e), (-1, WsaError::WSAESHUTDOWN.0), "end {end}");
    }
}

#[test]
fn shutdown_sd_receive_leaves_sending_possible() {
    // wine-facts R9: "After SD_RECEIVE the same socket can still send."
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = tcp_pair(&mut h, t, None);
    assert_eq!(h.shutdown(t, c, SD_RECEIVE), 0);
    assert_eq!(send_plain(&mut h, t, c, b"abc", 0), (0, 0, 3));
    assert_eq!(drain_all(&mut h, t, s), b"abc");
}

#[test]
fn wsaeshutdown_for_udp_after_shutdown_sd_send() {
    // wine-facts E20.
    let (mut h, t) = started(Profile::Windows, 1);
    let (u, _r) = udp_pair(&mut h, t);
    assert_eq!(h.shutdown(t, u, SD_SEND), 0);
    let (r, e, _) = send_plain(&mut h, t, u, b"abc", 0);
    assert_eq!((r, e), (-1, WsaError::WSAESHUTDOWN.0));
}

// ===== WSAEWOULDBLOCK =====================================================================
// "Overlapped sockets: There are too many outstanding overlapped I/O requests.
// Nonoverlapped sockets: The socket is marked as nonblocking and the send operation
// cannot be completed immediately."

#[test]
fn wsaewouldblock_for_nonblocking_send_once_window_and_send_buffer_are_full() {
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = tcp_pair(&mut h, t, None);
    nonblocking(&mut h, t, c);
    let data = pattern(MIB, 2);
    let mut accepted = 0;
    let err = loop {
        let (r, e, n) = send_plain(&mut h, t, c, &data, 0);
        if r != 0 {
            assert_eq!(n, SENTINEL, "count untouched on failure");
            break e;
        }
        assert_eq!(n, MIB as u32, "all or nothing (E33)");
        accepted += 1;
        assert!(accepted < 100, "the buffers never filled");
    };
    assert_eq!(err, WsaError::WSAEWOULDBLOCK.0);
    assert!(accepted >= 1);
    // Once the peer reads, the send buffer drains and sends are accepted again.
    let got = drain_all(&mut h, t, s);
    assert_eq!(got.len(), accepted * MIB);
    assert_eq!(send_plain(&mut h, t, c, &data, 0), (0, 0, MIB as u32));
}

#[test]
fn wsaewouldblock_for_overlapped_send_on_too_many_outstanding_fault() {
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = tcp_pair(&mut h, t, None);
    let tg = target(&h, c);
    assert!(h.inject(ProviderFault::TooManyOutstanding(tg, 1)));
    let ev = h.wsa_create_event(t);
    let ov = ov_with(&mut h, ev);
    let sent = out(&mut h);
    let (r, e) = send_data(&mut h, t, c, b"abc", sent, ov, Ptr::NULL);
    assert_eq!((r, e), (-1, WsaError::WSAEWOULDBLOCK.0));
    assert_eq!((read_u32(&h, sent), internal(&h, ov)), (SENTINEL, 0));
    assert!(!signaled(&mut h, t, ev));
    let (r, e) = send_data(&mut h, t, c, b"def", sent, ov, Ptr::NULL);
    assert_eq!((r, e), (0, 0));
    assert_eq!(drain_all(&mut h, t, s), b"def");
}

#[test]
fn wsaewouldblock_for_too_many_outstanding_is_a_documented_choice_never_taken_by_windows() {
    fn second_send(profile: Profile, seed: u64) -> u32 {
        let (mut h, t) = started(profile, seed);
        let (c, _s) = unbuffered_pair(&mut h, t);
        let ov1 = ov_with(&mut h, 0);
        let ov2 = ov_with(&mut h, 0);
        let data = pattern(MIB, 0);
        let (r, e) = send_data(&mut h, t, c, &data, Ptr::NULL, ov1, Ptr::NULL);
        assert_eq!((r, e), (-1, WsaError::WSA_IO_PENDING.0));
        let (r, e) = send_data(&mut h, t, c, b"abc", Ptr::NULL, ov2, Ptr::NULL);
        assert_eq!(r, -1);
        e
    }
    let found =
        (0..200).find(|&seed| second_send(Profile::Documented, seed) == WsaError::WSAEWOULDBLOCK.0);
    assert!(found.is_some(), "no seed in 0..200 chose WSAEWOULDBLOCK");
    for seed in 0..50 {
        assert_eq!(
            second_send(Profile::Windows, seed),
            WsaError::WSA_IO_PENDING.0,
            "seed {seed}"
        );
    }
}

// ===== WSANOTINITIALISED ==================================================================
// "A successful WSAStartup call must occur before using this function."

#[test]
fn wsanotinitialised_before_wsastartup() {
    let mut h = Harness::new(Config::new(1, Profile::Windows));
    let t = h.main_thread();
    // Checked before anything else: even a bogus socket and NULL pointers.
    let call = h.wsa_send(
        t,
        INVALID_SOCKET,
        Ptr::NULL,
        1,
        Ptr::NULL,
        0,
        Ptr::NULL,
        Ptr::NULL,
    );
    assert_eq!(
        (h.done(t, call), h.last_error(t)),
        (-1, WsaError::WSANOTINITIALISED.0)
    );
}

#[test]
fn wsanotinitialised_after_the_last_wsacleanup_and_fine_after_two_startups_and_one_cleanup() {
    // WSAStartup/WSACleanup are reference counted.
    let (mut h, t) = started(Profile::Windows, 1);
    let data = h.sim().alloc(408);
    assert_eq!(h.wsa_startup(t, makeword(2, 2), data), 0);
    let (c, s) = tcp_pair(&mut h, t, None);
    assert_eq!(h.wsa_cleanup(t), 0);
    assert_eq!(
        send_plain(&mut h, t, c, b"abc", 0),
        (0, 0, 3),
        "one reference left"
    );
    assert_eq!(drain_all(&mut h, t, s), b"abc");
    assert_eq!(h.wsa_cleanup(t), 0);
    let (r, e, _) = send_plain(&mut h, t, c, b"abc", 0);
    assert_eq!((r, e), (-1, WsaError::WSANOTINITIALISED.0));
    assert_eq!(h.wsa_cleanup(t), -1, "one cleanup too many");
    assert_eq!(h.last_error(t), WsaError::WSANOTINITIALISED.0);
    // wine-facts E1: the last WSACleanup destroyed the socket.
    assert_eq!(h.wsa_startup(t, makeword(2, 2), data), 0);
    let (r, e, _) = send_plain(&mut h, t, c, b"abc", 0);
    assert_eq!((r, e), (-1, WsaError::WSAENOTSOCK.0));
}

// ===== WSA_IO_PENDING =====================================================================
// "An overlapped operation was successfully initiated and completion will be indicated
// at a later time." / "In this case, lpNumberOfBytesSent is not updated."

#[test]
fn wsa_io_pending_until_the_peer_drains_then_event_and_overlapped_report_one_mib() {
    // wine-facts O1, O12a, G3.
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = unbuffered_pair(&mut h, t);
    let ev = h.wsa_create_event(t);
    let ov = ov_with(&mut h, ev);
    let (_, data, sent) = pend_mib(&mut h, t, c, ov, Ptr::NULL);
    assert_eq!(internal(&h, ov), STATUS_PENDING);
    assert_eq!(
        internal_high(&h, ov),
        u64::from(SENTINEL),
        "InternalHigh untouched"
    );
    assert!(!signaled(&mut h, t, ev));
    assert_eq!(
        read_u32(&h, sent),
        SENTINEL,
        "lpNumberOfBytesSent is not updated"
    );
    let (ok, e, _) = get_result(&mut h, t, c, ov, false);
    assert_eq!((ok, e), (0, WsaError::WSA_IO_INCOMPLETE.0));

    assert_same(&drain_all(&mut h, t, s), &data, "peer data");
    assert!(signaled(&mut h, t, ev));
    assert_eq!(internal(&h, ov), 0);
    assert_eq!(internal_high(&h, ov), MIB as u64);
    assert_eq!(get_result(&mut h, t, c, ov, false), (1, 0, MIB as u32));
    assert_eq!(
        read_u32(&h, sent),
        SENTINEL,
        "still not updated after completion"
    );
}

#[test]
fn wsa_io_pending_accepts_a_null_count_with_an_overlapped() {
    // wine-facts O2: "Use NULL for this parameter if the lpOverlapped parameter is not
    // NULL".
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = unbuffered_pair(&mut h, t);
    let ev1 = h.wsa_create_event(t);
    let ov1 = ov_with(&mut h, ev1);
    let (_, d1, _) = pend_mib(&mut h, t, c, ov1, Ptr::NULL);
    let ev2 = h.wsa_create_event(t);
    let ov2 = ov_with(&mut h, ev2);
    let d2 = pattern(MIB, 7);
    let (r, e) = send_data(&mut h, t, c, &d2, Ptr::NULL, ov2, Ptr::NULL);
    assert_eq!((r, e), (-1, WsaError::WSA_IO_PENDING.0));
    let got = drain_all(&mut h, t, s);
    assert_same(&got, &[d1, d2].concat(), "both sends");
    assert_eq!(get_result(&mut h, t, c, ov2, true), (1, 0, MIB as u32));
}

#[test]
fn wsa_io_pending_for_an_overlapped_send_on_a_nonblocking_socket_not_wsaewouldblock() {
    // wine-facts O16 (for sends via force_async); "If both lpOverlapped and
    // lpCompletionRoutine are NULL, the socket in this function will be treated as a
    // non-overlapped socket."
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = unbuffered_pair(&mut h, t);
    nonblocking(&mut h, t, c);
    let ov = ov_with(&mut h, 0);
    let (_, data, _) = pend_mib(&mut h, t, c, ov, Ptr::NULL);
    let (r, e, _) = send_plain(&mut h, t, c, b"x", 0);
    assert_eq!((r, e), (-1, WsaError::WSAEWOULDBLOCK.0));
    assert_same(&drain_all(&mut h, t, s), &data, "peer data");
}

#[test]
fn without_event_or_routine_completion_signals_the_socket_handle() {
    // "the hEvent parameter of lpOverlapped is signaled when the overlapped operation
    // completes if it contains a valid event object handle"; with hEvent NULL the socket
    // handle itself is signalled (wine-facts O14), so WSAGetOverlappedResult can wait.
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = unbuffered_pair(&mut h, t);
    let ov = ov_with(&mut h, 0);
    let (_, data, _) = pend_mib(&mut h, t, c, ov, Ptr::NULL);
    assert!(
        !signaled(&mut h, t, c),
        "the socket handle is reset while pending"
    );
    let t2 = h.create_thread();
    let n = out(&mut h);
    let flags = out(&mut h);
    let call = h.wsa_get_overlapped_result(t, c, ov, n, TRUE, flags);
    assert_eq!(
        call,
        Call::Blocked,
        "fWait = TRUE waits on the socket handle"
    );
    assert_same(&drain_all(&mut h, t2, s), &data, "peer data");
    assert_eq!(h.done(t, call), 1);
    assert_eq!(read_u32(&h, n), MIB as u32);
    assert!(signaled(&mut h, t, c));
}

// ===== WSA_OPERATION_ABORTED ==============================================================
// "The overlapped operation has been canceled due to the closure of the socket, the
// execution of the "SIO_FLUSH" command in WSAIoctl, or the thread that initiated the
// overlapped request exited before the operation completed."

#[test]
fn wsa_operation_aborted_when_the_socket_is_closed_with_a_pending_send_event() {
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, _s) = unbuffered_pair(&mut h, t);
    let ev = h.wsa_create_event(t);
    let ov = ov_with(&mut h, ev);
    pend_mib(&mut h, t, c, ov, Ptr::NULL);
    let call = h.closesocket(t, c);
    assert_eq!(h.done(t, call), 0);
    assert!(signaled(&mut h, t, ev));
    assert_eq!(internal(&h, ov), STATUS_CANCELLED);
    assert_eq!(internal_high(&h, ov), 0);
}

#[test]
fn wsa_operation_aborted_when_the_socket_is_closed_with_a_pending_send_routine() {
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, _s) = unbuffered_pair(&mut h, t);
    let (routine, calls) = recorder(&mut h);
    let ov = ov_with(&mut h, 0);
    pend_mib(&mut h, t, c, ov, routine);
    let call = h.closesocket(t, c);
    assert_eq!(h.done(t, call), 0);
    assert!(calls.borrow().is_empty(), "not before an alertable wait");
    assert_eq!(sleep(&mut h, t, 0, true), i64::from(WAIT_IO_COMPLETION));
    assert_eq!(
        calls.borrow().as_slice(),
        &[(WsaError::WSA_OPERATION_ABORTED.0, 0, ov, 0)]
    );
}

// ===== Return value =======================================================================
// "If no error occurs and the send operation has completed immediately, WSASend returns
// zero. In this case, the completion routine will have already been scheduled to be
// called once the calling thread is in the alertable state."

#[test]
fn immediate_completion_returns_zero_updates_count_and_still_signals_the_event() {
    // wine-facts O3, O15.
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = tcp_pair(&mut h, t, None);
    let ev = h.wsa_create_event(t);
    let ov = ov_with(&mut h, ev);
    let sent = out(&mut h);
    let data = pattern(1024, 0);
    let (r, e) = send_data(&mut h, t, c, &data, sent, ov, Ptr::NULL);
    assert_eq!((r, e, read_u32(&h, sent)), (0, 0, 1024));
    assert!(signaled(&mut h, t, ev));
    assert_eq!((internal(&h, ov), internal_high(&h, ov)), (0, 1024));
    assert_eq!(get_result(&mut h, t, c, ov, false), (1, 0, 1024));
    assert_same(&drain_all(&mut h, t, s), &data, "peer data");
}

#[test]
fn immediate_completion_returns_zero_and_still_queues_the_routine() {
    // wine-facts C3.
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, _s) = tcp_pair(&mut h, t, None);
    let (routine, calls) = recorder(&mut h);
    let ov = ov_with(&mut h, 0);
    let sent = out(&mut h);
    let (r, e) = send_data(&mut h, t, c, &[1; 100], sent, ov, routine);
    assert_eq!((r, e, read_u32(&h, sent)), (0, 0, 100));
    assert!(calls.borrow().is_empty(), "scheduled, not yet called");
    assert_eq!(sleep(&mut h, t, 0, true), i64::from(WAIT_IO_COMPLETION));
    assert_eq!(calls.borrow().as_slice(), &[(0, 100, ov, 0)]);
}

#[test]
fn failed_call_indicates_no_completion() {
    // "Any other error code indicates that the overlapped operation was not successfully
    // initiated and no completion indication will occur."
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, _s) = tcp_pair(&mut h, t, None);
    assert_eq!(h.shutdown(t, c, SD_SEND), 0);
    let (routine, calls) = recorder(&mut h);
    let ov = ov_with(&mut h, 0);
    let (r, e) = send_data(&mut h, t, c, b"abc", Ptr::NULL, ov, routine);
    assert_eq!((r, e), (-1, WsaError::WSAESHUTDOWN.0));
    assert_eq!(sleep(&mut h, t, 0, true), 0);
    assert!(calls.borrow().is_empty());
}

// ===== Remarks: overlapped attribute and non-overlapped semantics =========================

#[test]
fn socket_created_by_socket_has_the_overlapped_attribute() {
    // "A socket created by the socket function will have the overlapped attribute as the
    // default": an OVERLAPPED makes the send overlapped (it pends, it does not block).
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = unbuffered_pair(&mut h, t);
    let ov = ov_with(&mut h, 0);
    let (_, data, _) = pend_mib(&mut h, t, c, ov, Ptr::NULL);
    assert_same(&drain_all(&mut h, t, s), &data, "peer data");
}

#[test]
fn blocking_send_blocks_until_the_peer_consumes_then_returns_the_full_length() {
    // "Given the same buffer situation and a blocking socket, WSASend will block until all
    // of the application buffer contents have been consumed" (wine-facts E32).
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = unbuffered_pair(&mut h, t);
    let data = pattern(MIB, 5);
    let buf = bytes(&mut h, &data);
    let arr = wsabufs(&mut h, &[(buf, MIB as u32)]);
    let sent = out(&mut h);
    h.wsa_set_last_error(t, 12345);
    let call = h.wsa_send(t, c, arr, 1, sent, 0, Ptr::NULL, Ptr::NULL);
    assert_eq!(call, Call::Blocked);
    assert!(matches!(h.run(t, call), Err(Stuck::Deadlock { .. })));
    let t2 = h.create_thread();
    assert_same(&drain_all(&mut h, t2, s), &data, "peer data");
    assert_eq!(h.done(t, call), 0);
    assert_eq!(read_u32(&h, sent), MIB as u32);
    assert_eq!(h.last_error(t), 0, "L1");
}

#[test]
fn nonblocking_stream_send_takes_all_or_fails_in_windows_profile() {
    // wine-facts E33/E34: "Windows will never send less than buffer_size bytes".
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = tcp_pair(&mut h, t, None);
    nonblocking(&mut h, t, c);
    let data = pattern(MIB, 9);
    let (mut ok, mut blocked, mut got) = (0, 0, 0);
    for i in 0..20 {
        let (r, e, n) = send_plain(&mut h, t, c, &data, 0);
        if r == 0 {
            assert_eq!(n, MIB as u32);
            ok += 1;
        } else {
            assert_eq!(e, WsaError::WSAEWOULDBLOCK.0);
            blocked += 1;
        }
        if i % 3 == 2 {
            got += drain_all(&mut h, t, s).len();
        }
    }
    got += drain_all(&mut h, t, s).len();
    assert!(ok > 0 && blocked > 0);
    assert_eq!(got, ok * MIB);
}

#[test]
fn nonblocking_stream_send_may_be_partial_in_documented_profile() {
    // "If the socket is non-blocking and stream-oriented, and there is not sufficient
    // space in the transport's buffer, WSASend will return with only part of the
    // application's buffers having been consumed."
    let mut found = None;
    for seed in 0..200 {
        let (mut h, t) = started(Profile::Documented, seed);
        let (c, s) = tcp_pair(&mut h, t, None);
        nonblocking(&mut h, t, c);
        let data = pattern(MIB, 11);
        let (r, e, n) = send_plain(&mut h, t, c, &data, 0);
        assert_eq!((r, e), (0, 0), "seed {seed}");
        if (n as usize) < MIB {
            assert!(n > 0);
            assert_same(
                &drain_all(&mut h, t, s),
                &data[..n as usize],
                &format!("seed {seed}"),
            );
            found = Some(seed);
            break;
        }
    }
    assert!(found.is_some(), "no seed in 0..200 sent partially");
    for seed in 0..30 {
        let (mut h, t) = started(Profile::Windows, seed);
        let (c, _s) = tcp_pair(&mut h, t, None);
        nonblocking(&mut h, t, c);
        let n = send_plain(&mut h, t, c, &pattern(MIB, 11), 0).2;
        assert_eq!(n, MIB as u32, "windows seed {seed}: never partial");
    }
}

#[test]
fn e36_unbuffered_sender_small_receiver_buffer_three_nonblocking_sends_all_take_4096() {
    // wine-facts E36: receiver SO_RCVBUF = 1024 set after accept.
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = unbuffered_pair(&mut h, t);
    set_int_opt(&mut h, t, s, SOL_SOCKET, SO_RCVBUF, 1024);
    nonblocking(&mut h, t, c);
    let mut all = Vec::new();
    for i in 0..3 {
        let data = pattern(4096, i);
        assert_eq!(send_plain(&mut h, t, c, &data, 0), (0, 0, 4096), "send {i}");
        all.extend(data);
    }
    assert_same(&drain_all(&mut h, t, s), &all, "peer data");
}

#[test]
fn nonoverlapped_send_copies_the_data_at_once() {
    // "Data is copied from the buffer(s) into the transport's buffer": changing the
    // buffer after the call returns changes nothing.
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = tcp_pair(&mut h, t, None);
    let data = pattern(4096, 1);
    let buf = bytes(&mut h, &data);
    let sent = out(&mut h);
    let (r, _) = send_buf(&mut h, t, c, buf, 4096, sent, 0, Ptr::NULL, Ptr::NULL);
    assert_eq!(r, 0);
    h.mem_mut().write(buf, &[0xEE; 4096]).unwrap();
    assert_same(&drain_all(&mut h, t, s), &data, "peer data");
}

#[test]
fn buffers_are_read_only_when_the_transport_consumes_them() {
    // "once the WSASend function is called, the system owns these buffers" and "A
    // completion indication will occur ... when the buffer(s) have been consumed by the
    // transport": with SO_SNDBUF = 0 the bytes not yet consumed are read later, so a
    // (forbidden) change shows up at the peer.
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = unbuffered_pair(&mut h, t);
    let ov = ov_with(&mut h, 0);
    let (buf, mut data, _) = pend_mib(&mut h, t, c, ov, Ptr::NULL);
    let tail = Ptr(buf.0 + (MIB as u64) - 16);
    h.mem_mut().write(tail, &[0xEE; 16]).unwrap();
    h.mem_mut().write(buf, &[0xEE; 16]).unwrap();
    let got = drain_all(&mut h, t, s);
    assert_eq!(
        &got[..16],
        &data[..16],
        "the head was consumed before the change"
    );
    data[MIB - 16..].copy_from_slice(&[0xEE; 16]);
    assert_same(&got, &data, "the tail was read after the change");
}

// ===== Remarks: WSABUF capture, scatter/gather, order =====================================

#[test]
fn wsabuf_array_is_captured_so_freeing_it_after_a_pending_send_is_harmless() {
    // "it is the Winsock service provider's responsibility to capture the WSABUF
    // structures before returning from this call. This enables applications to build
    // stack-based WSABUF arrays".
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = unbuffered_pair(&mut h, t);
    let data = pattern(MIB, 6);
    let buf = bytes(&mut h, &data);
    let arr = wsabufs(&mut h, &[(buf, MIB as u32)]);
    let ov = ov_with(&mut h, 0);
    let call = h.wsa_send(t, c, arr, 1, Ptr::NULL, 0, ov, Ptr::NULL);
    assert_eq!(
        (h.done(t, call), h.last_error(t)),
        (-1, WsaError::WSA_IO_PENDING.0)
    );
    h.sim().free(arr);
    assert_same(&drain_all(&mut h, t, s), &data, "peer data");
    assert_eq!(get_result(&mut h, t, c, ov, false), (1, 0, MIB as u32));
    assert!(h.contract_reports().is_empty());
}

#[test]
fn wsabuf_array_is_captured_so_overwriting_it_after_a_pending_send_is_harmless() {
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = unbuffered_pair(&mut h, t);
    let data = pattern(MIB, 8);
    let buf = bytes(&mut h, &data);
    let arr = wsabufs(&mut h, &[(buf, MIB as u32)]);
    let ov = ov_with(&mut h, 0);
    let call = h.wsa_send(t, c, arr, 1, Ptr::NULL, 0, ov, Ptr::NULL);
    assert_eq!(
        (h.done(t, call), h.last_error(t)),
        (-1, WsaError::WSA_IO_PENDING.0)
    );
    let other = bytes(&mut h, b"zz");
    let forged = WsaBuf { len: 2, buf: other }.to_bytes();
    h.mem_mut().write(arr, &forged).unwrap();
    assert_same(&drain_all(&mut h, t, s), &data, "peer data");
}

#[test]
fn scatter_gather_buffers_arrive_concatenated_in_order() {
    // "It allows multiple send buffers to be specified making it applicable to the
    // scatter/gather type of I/O."
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = tcp_pair(&mut h, t, None);
    let a = bytes(&mut h, b"abc");
    let b = bytes(&mut h, b"defg");
    let d = bytes(&mut h, b"hi");
    let arr = wsabufs(&mut h, &[(a, 3), (b, 4), (d, 2)]);
    let sent = out(&mut h);
    let call = h.wsa_send(t, c, arr, 3, sent, 0, Ptr::NULL, Ptr::NULL);
    assert_eq!((h.done(t, call), read_u32(&h, sent)), (0, 9));
    assert_eq!(drain_all(&mut h, t, s), b"abcdefghi");
}

#[test]
fn scatter_gather_on_udp_sends_one_datagram() {
    // wine-facts E11 (for WSASendMsg): several buffers, one datagram.
    let (mut h, t) = started(Profile::Windows, 1);
    let (u, r) = udp_pair(&mut h, t);
    let a = bytes(&mut h, &[1; 12]);
    let b = bytes(&mut h, &[2; 6]);
    let arr = wsabufs(&mut h, &[(a, 12), (b, 6)]);
    let sent = out(&mut h);
    let call = h.wsa_send(t, u, arr, 2, sent, 0, Ptr::NULL, Ptr::NULL);
    assert_eq!((h.done(t, call), read_u32(&h, sent)), (0, 18));
    assert_eq!(
        recv_datagram(&mut h, t, r),
        [[1; 12].as_slice(), &[2; 6]].concat()
    );
    h.settle();
    assert_no_datagram(&mut h, t, r);
}

#[test]
fn more_than_16_buffers_are_supported() {
    // "Windows Me/98/95: The WSASend function does not support more than 16 buffers":
    // modern Windows has no such limit.
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = tcp_pair(&mut h, t, None);
    let parts: Vec<(Ptr, u32)> = (0..40u8).map(|i| (bytes(&mut h, &[i; 3]), 3)).collect();
    let arr = wsabufs(&mut h, &parts);
    let sent = out(&mut h);
    let call = h.wsa_send(t, c, arr, 40, sent, 0, Ptr::NULL, Ptr::NULL);
    assert_eq!((h.done(t, call), read_u32(&h, sent)), (0, 120));
    let want: Vec<u8> = (0..40u8).flat_map(|i| [i; 3]).collect();
    assert_same(&drain_all(&mut h, t, s), &want, "peer data");
}

/// Three pending overlapped sends of 200 KiB ('A', 'B', 'C'); returns what the peer got.
fn three_pending_sends(h: &mut Harness, t: ThreadId) -> (Vec<u8>, Vec<u8>) {
    let (c, s) = unbuffered_pair(h, t);
    let mut want = Vec::new();
    let mut ovs = Vec::new();
    for tag in [b'A', b'B', b'C'] {
        let data = vec![tag; 200 * 1024];
        let ev = h.wsa_create_event(t);
        let ov = ov_with(h, ev);
        let (r, e) = send_data(h, t, c, &data, Ptr::NULL, ov, Ptr::NULL);
        assert!(r == 0 || e == WsaError::WSA_IO_PENDING.0, "{tag}: {e}");
        want.extend(data);
        ovs.push(ov);
    }
    let got = drain_all(h, t, s);
    for ov in ovs {
        assert_eq!(get_result(h, t, c, ov, true), (1, 0, 200 * 1024));
    }
    (got, want)
}

#[test]
fn posted_buffers_are_sent_in_the_order_they_are_specified() {
    // "the posted buffers are guaranteed to be sent in the same order they are
    // specified"; "The order of calls made to WSASend is also the order in which the
    // buffers are transmitted to the transport layer."
    let (mut h, t) = started(Profile::Windows, 1);
    let (got, want) = three_pending_sends(&mut h, t);
    assert_same(&got, &want, "windows profile");
    for seed in 0..30 {
        let (mut h, t) = documented_quiet(seed);
        let (got, want) = three_pending_sends(&mut h, t);
        assert_same(&got, &want, &format!("documented seed {seed}"));
    }
}

#[test]
fn providers_may_split_a_large_send_and_the_bytes_still_arrive_in_order() {
    // "some Winsock providers may split a large send request into multiple
    // transmissions" (documented profile choice).
    use wsasim_core::choice::ChoiceKind;
    let mut found = None;
    for seed in 0..200 {
        let (mut h, t) = documented_quiet(seed);
        let (c, s) = tcp_pair(&mut h, t, None);
        let data = pattern(200 * 1024, 3);
        let ev = h.wsa_create_event(t);
        let ov = ov_with(&mut h, ev);
        let (r, e) = send_data(&mut h, t, c, &data, Ptr::NULL, ov, Ptr::NULL);
        assert!(r == 0 || e == WsaError::WSA_IO_PENDING.0);
        assert_same(&drain_all(&mut h, t, s), &data, &format!("seed {seed}"));
        let split = h
            .choices()
            .iter()
            .any(|c| c.kind == ChoiceKind::SplitSend && c.options == 2 && c.picked == 1);
        if split {
            found = Some(seed);
            break;
        }
    }
    assert!(found.is_some(), "no seed in 0..200 split a send");
    for seed in 0..30 {
        let (mut h, t) = started(Profile::Windows, seed);
        let (c, s) = tcp_pair(&mut h, t, None);
        let data = pattern(200 * 1024, 3);
        let ov = ov_with(&mut h, 0);
        assert_eq!(
            send_data(&mut h, t, c, &data, Ptr::NULL, ov, Ptr::NULL),
            (0, 0)
        );
        assert_same(&drain_all(&mut h, t, s), &data, "windows");
        assert!(h.choices().is_empty(), "windows seed {seed} made a choice");
    }
}

#[test]
fn an_overlapped_send_that_could_complete_at_once_may_pend_in_documented_profile() {
    // "If the operation does not complete immediately, the final completion status is
    // retrieved through the completion routine or WSAGetOverlappedResult": whether a
    // send completes at once is the provider's business (documented profile choice);
    // verified Windows completes a small send on a fresh connection at once (O3).
    let mut found = None;
    for seed in 0..200 {
        let (mut h, t) = documented_quiet(seed);
        let (c, s) = tcp_pair(&mut h, t, None);
        let ev = h.wsa_create_event(t);
        let ov = ov_with(&mut h, ev);
        let sent = out(&mut h);
        let (r, e) = send_data(&mut h, t, c, b"small", sent, ov, Ptr::NULL);
        if r == 0 {
            assert_eq!(read_u32(&h, sent), 5);
            continue;
        }
        assert_eq!(e, WsaError::WSA_IO_PENDING.0, "seed {seed}");
        assert_eq!(read_u32(&h, sent), SENTINEL, "not updated when pending");
        assert_eq!(internal(&h, ov), STATUS_PENDING);
        assert_eq!(drain_all(&mut h, t, s), b"small");
        assert!(signaled(&mut h, t, ev));
        assert_eq!(get_result(&mut h, t, c, ov, false), (1, 0, 5));
        found = Some(seed);
        break;
    }
    assert!(found.is_some(), "no seed in 0..200 pended a small send");
    for seed in 0..30 {
        let (mut h, t) = started(Profile::Windows, seed);
        let (c, _s) = tcp_pair(&mut h, t, None);
        let ov = ov_with(&mut h, 0);
        let sent = out(&mut h);
        assert_eq!(
            send_data(&mut h, t, c, b"small", sent, ov, Ptr::NULL),
            (0, 0)
        );
        assert_eq!(read_u32(&h, sent), 5, "windows seed {seed}");
    }
}

// ===== Remarks: completion routines =======================================================

#[test]
fn completion_routine_runs_only_in_an_alertable_wait() {
    // "The completion routine will not be invoked until the thread is in an alertable
    // wait state" (wine-facts C1).
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, _s) = tcp_pair(&mut h, t, None);
    let (routine, calls) = recorder(&mut h);
    let ov = ov_with(&mut h, 0);
    assert_eq!(
        send_data(&mut h, t, c, b"abc", Ptr::NULL, ov, routine),
        (0, 0)
    );
    assert_eq!(
        sleep(&mut h, t, 50, false),
        0,
        "non-alertable SleepEx times out"
    );
    assert!(calls.borrow().is_empty());
    assert_eq!(sleep(&mut h, t, 50, true), i64::from(WAIT_IO_COMPLETION));
    assert_eq!(WAIT_IO_COMPLETION, 192);
    assert_eq!(calls.borrow().len(), 1);
}

#[test]
fn completion_routine_runs_in_an_alertable_wsawaitformultipleevents() {
    // "such as can occur when the function WSAWaitForMultipleEvents with the fAlertable
    // parameter set to TRUE is invoked" (wine-facts C11).
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, _s) = tcp_pair(&mut h, t, None);
    let (routine, calls) = recorder(&mut h);
    let ov = ov_with(&mut h, 0);
    assert_eq!(
        send_data(&mut h, t, c, b"abc", Ptr::NULL, ov, routine),
        (0, 0)
    );
    let ev = h.wsa_create_event(t);
    let evs = h.sim().alloc_bytes(&ev.to_le_bytes());
    let call = h.wsa_wait_for_multiple_events(t, 1, evs, FALSE, 0, FALSE);
    assert_eq!(h.done(t, call), i64::from(WSA_WAIT_TIMEOUT));
    assert!(calls.borrow().is_empty(), "not in a non-alertable wait");
    let call = h.wsa_wait_for_multiple_events(t, 1, evs, FALSE, INFINITE, TRUE);
    assert_eq!(h.done(t, call), i64::from(WSA_WAIT_IO_COMPLETION));
    assert_eq!(calls.borrow().as_slice(), &[(0, 3, ov, 0)]);
}

#[test]
fn with_a_completion_routine_hevent_is_not_signalled_and_carries_context() {
    // "If lpCompletionRoutine is not NULL, the hEvent parameter is ignored and can be used
    // by the application to pass context information to the completion routine"
    // (wine-facts C5).
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, _s) = tcp_pair(&mut h, t, None);
    let ev = h.wsa_create_event(t);
    let ov = ov_with(&mut h, ev);
    let seen = Rc::new(Cell::new(0u64));
    let sc = seen.clone();
    let routine = h.routine(move |h, _, _, _, ov, _| {
        sc.set(h.mem().read_u64(Ptr(ov.0 + ovl::HEVENT)).unwrap());
    });
    assert_eq!(
        send_data(&mut h, t, c, b"abc", Ptr::NULL, ov, routine),
        (0, 0)
    );
    assert_eq!(sleep(&mut h, t, 0, true), i64::from(WAIT_IO_COMPLETION));
    assert_eq!(seen.get(), ev, "the routine sees hEvent as context");
    assert!(!signaled(&mut h, t, ev), "hEvent is not signalled");
    // A value that is no handle at all is fine too.
    let ov2 = ov_with(&mut h, 0xC0FFEE);
    assert_eq!(
        send_data(&mut h, t, c, b"abc", Ptr::NULL, ov2, routine),
        (0, 0)
    );
    assert_eq!(sleep(&mut h, t, 0, true), i64::from(WAIT_IO_COMPLETION));
    assert_eq!(seen.get(), 0xC0FFEE);
}

#[test]
fn completion_routine_arguments_on_success_and_on_failure() {
    // "The dwError parameter specifies the completion status ... cbTransferred specifies
    // the number of bytes sent ... dwFlags will be zero" (wine-facts C2).
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = unbuffered_pair(&mut h, t);
    let (routine, calls) = recorder(&mut h);
    let ov = ov_with(&mut h, 0);
    let (_, data, _) = pend_mib(&mut h, t, c, ov, routine);
    assert_same(&drain_all(&mut h, t, s), &data, "peer data");
    assert_eq!(sleep(&mut h, t, 0, true), i64::from(WAIT_IO_COMPLETION));
    assert_eq!(calls.borrow().as_slice(), &[(0, MIB as u32, ov, 0)]);
    let ov2 = ov_with(&mut h, 0);
    pend_mib(&mut h, t, c, ov2, routine);
    let tg = target(&h, c);
    assert!(h.inject(ProviderFault::KeepAliveFailure(tg)));
    assert_eq!(sleep(&mut h, t, 0, true), i64::from(WAIT_IO_COMPLETION));
    assert_eq!(calls.borrow()[1], (WsaError::WSAENETRESET.0, 0, ov2, 0));
}

#[test]
fn wsasend_can_be_issued_from_within_a_wsarecv_completion_routine() {
    // "The WSASend function using overlapped I/O can be called from within the completion
    // routine of a previous WSARecv".
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = tcp_pair(&mut h, t, None);
    let rbuf = h.sim().alloc(16);
    let rarr = wsabufs(&mut h, &[(rbuf, 16)]);
    let rflags = dword(&mut h, 0);
    let rov = ov_with(&mut h, 0);
    let replied = Rc::new(Cell::new(false));
    let rc = replied.clone();
    let routine = h.routine(move |h, t, err, n, _, _| {
        assert_eq!((err, n), (0, 4));
        assert_eq!(h.sim().read_vec(rbuf, 4).unwrap(), b"ping");
        let buf = h.sim().alloc_bytes(b"pong");
        let arr = h.sim().alloc_wsabufs(&[WsaBuf { len: 4, buf }]);
        let ov = h.sim().alloc_overlapped(0);
        let call = h.wsa_send(t, s, arr, 1, Ptr::NULL, 0, ov, Ptr::NULL);
        assert_eq!(h.done(t, call), 0);
        rc.set(true);
    });
    let call = h.wsa_recv(t, s, rarr, 1, Ptr::NULL, rflags, rov, routine);
    assert_eq!(
        (h.done(t, call), h.last_error(t)),
        (-1, WsaError::WSA_IO_PENDING.0)
    );
    assert_eq!(send_plain(&mut h, t, c, b"ping", 0), (0, 0, 4));
    assert_eq!(sleep(&mut h, t, 0, true), i64::from(WAIT_IO_COMPLETION));
    assert!(replied.get());
    assert_eq!(drain_all(&mut h, t, c), b"pong");
}

#[test]
fn all_queued_completion_routines_run_before_the_alertable_wait_returns() {
    // "All waiting completion routines are called before the alertable thread's wait is
    // satisfied with a return code of WSA_IO_COMPLETION."
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, _s) = tcp_pair(&mut h, t, None);
    let (routine, calls) = recorder(&mut h);
    let ovs: Vec<Ptr> = (0..3).map(|_| ov_with(&mut h, 0)).collect();
    for &ov in &ovs {
        assert_eq!(
            send_data(&mut h, t, c, b"abc", Ptr::NULL, ov, routine),
            (0, 0)
        );
    }
    assert_eq!(
        sleep(&mut h, t, INFINITE, true),
        i64::from(WAIT_IO_COMPLETION)
    );
    assert_eq!(calls.borrow().len(), 3);
    assert_eq!(sleep(&mut h, t, 0, true), 0, "nothing left");
}

#[test]
fn wsasend_can_be_issued_from_within_its_completion_routine_chain_of_ten() {
    // "The WSASend function using overlapped I/O can be called from within the completion
    // routine of a previous ... WSASend"; "The transport providers allow an application
    // to invoke send and receive operations from within the context of the socket I/O
    // completion routine".
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = tcp_pair(&mut h, t, None);
    let ov = ov_with(&mut h, 0);
    let count = Rc::new(Cell::new(0u32));
    let me = Rc::new(Cell::new(Ptr::NULL));
    let (cc, mc) = (count.clone(), me.clone());
    let routine = h.routine(move |h, t, err, n, ov, _| {
        assert_eq!((err, n), (0, 100));
        cc.set(cc.get() + 1);
        if cc.get() < 10 {
            let i = cc.get() as u8;
            let buf = h.sim().alloc_bytes(&[i; 100]);
            let arr = h.sim().alloc_wsabufs(&[WsaBuf { len: 100, buf }]);
            let call = h.wsa_send(t, c, arr, 1, Ptr::NULL, 0, ov, mc.get());
            assert_eq!(h.done(t, call), 0);
        }
    });
    me.set(routine);
    assert_eq!(
        send_data(&mut h, t, c, &[0; 100], Ptr::NULL, ov, routine),
        (0, 0)
    );
    assert_eq!(
        sleep(&mut h, t, INFINITE, true),
        i64::from(WAIT_IO_COMPLETION)
    );
    assert_eq!(count.get(), 10);
    let want: Vec<u8> = (0..10u8).flat_map(|i| [i; 100]).collect();
    assert_same(&drain_all(&mut h, t, s), &want, "peer data");
    assert!(h.contract_reports().is_empty());
}

#[test]
fn completion_routines_for_one_socket_do_not_nest_but_another_sockets_may_run() {
    // "guarantee that, for a given socket, I/O completion routines will not be nested";
    // "Returning from this function allows invocation of another pending completion
    // routine for this socket."
    let (mut h, t) = started(Profile::Windows, 1);
    let (a, _as) = pair_on(&mut h, t, 27020);
    let (b, _bs) = pair_on(&mut h, t, 27021);
    let log = Rc::new(RefCell::new(Vec::<String>::new()));
    let l1 = log.clone();
    let outer = h.routine(move |h, t, _, _, _, _| {
        l1.borrow_mut().push("a1 start".into());
        let r = sleep(h, t, 0, true);
        l1.borrow_mut().push(format!("a1 nested sleep {r}"));
    });
    let l2 = log.clone();
    let second = h.routine(move |_, _, _, _, _, _| l2.borrow_mut().push("a2".into()));
    let l3 = log.clone();
    let other = h.routine(move |_, _, _, _, _, _| l3.borrow_mut().push("b".into()));
    for (sock, routine) in [(a, outer), (a, second), (b, other)] {
        let ov = ov_with(&mut h, 0);
        assert_eq!(
            send_data(&mut h, t, sock, b"x", Ptr::NULL, ov, routine),
            (0, 0)
        );
    }
    assert_eq!(sleep(&mut h, t, 0, true), i64::from(WAIT_IO_COMPLETION));
    assert_eq!(
        log.borrow().as_slice(),
        ["a1 start", "b", "a1 nested sleep 192", "a2"]
    );
}

/// Issues three immediate sends with routines on one socket and returns the order their
/// routines ran in (by issue index).
fn routine_order(h: &mut Harness, t: ThreadId) -> Vec<usize> {
    let (c, _s) = tcp_pair(h, t, None);
    let order = Rc::new(RefCell::new(Vec::new()));
    let mut ovs = Vec::new();
    for _ in 0..3 {
        ovs.push(ov_with(h, 0));
    }
    let (o, list) = (order.clone(), ovs.clone());
    let routine = h.routine(move |_, _, _, _, ov, _| {
        o.borrow_mut()
            .push(list.iter().position(|&x| x == ov).unwrap())
    });
    for &ov in &ovs {
        let (r, e) = send_data(h, t, c, b"abc", Ptr::NULL, ov, routine);
        assert!(r == 0 || e == WsaError::WSA_IO_PENDING.0);
    }
    h.settle();
    assert_eq!(sleep(h, t, 0, true), i64::from(WAIT_IO_COMPLETION));
    let v = order.borrow().clone();
    assert_eq!(v.len(), 3);
    v
}

#[test]
fn completion_routine_order_is_fifo_in_windows_and_may_differ_in_documented_profile() {
    // "The completion routines can be called in any order, not necessarily in the same
    // order the overlapped operations are completed."
    for seed in 0..30 {
        let (mut h, t) = started(Profile::Windows, seed);
        assert_eq!(routine_order(&mut h, t), [0, 1, 2], "windows seed {seed}");
    }
    let found = (0..200).find(|&seed| {
        let (mut h, t) = documented_quiet(seed);
        routine_order(&mut h, t) != [0, 1, 2]
    });
    assert!(found.is_some(), "no seed in 0..200 reordered the routines");
}

// ===== Remarks: notes =====================================================================

#[test]
fn successful_completion_does_not_mean_the_data_was_delivered() {
    // "Note: The successful completion of a WSASend does not indicate that the data was
    // successfully delivered."
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = tcp_pair(&mut h, t, None);
    let ev = h.wsa_create_event(t);
    let ov = ov_with(&mut h, ev);
    assert_eq!(
        send_data(&mut h, t, c, b"lost", Ptr::NULL, ov, Ptr::NULL),
        (0, 0)
    );
    assert!(signaled(&mut h, t, ev));
    assert_eq!(get_result(&mut h, t, c, ov, false), (1, 0, 4));
    // The bytes sit in the peer's buffer, unread, when the peer resets.
    let n = dword(&mut h, 0);
    assert_eq!(h.ioctlsocket(t, s, FIONREAD, n), 0);
    assert_eq!(read_u32(&h, n), 4);
    abortive_close(&mut h, t, s);
    h.settle();
    let (r, e, _) = send_plain(&mut h, t, c, b"more", 0);
    assert_eq!((r, e), (-1, WsaError::WSAECONNRESET.0));
}

#[test]
fn so_sndtimeo_applies_to_a_blocking_send_but_not_to_an_overlapped_one() {
    // "The socket options SO_RCVTIMEO and SO_SNDTIMEO apply only to blocking sockets"
    // (wine-facts O20, P4).
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = unbuffered_pair(&mut h, t);
    set_int_opt(&mut h, t, c, SOL_SOCKET, SO_SNDTIMEO, 100);
    let buf = bytes(&mut h, &pattern(MIB, 0));
    let arr = wsabufs(&mut h, &[(buf, MIB as u32)]);
    let sent = out(&mut h);
    let start = h.now();
    let call = h.wsa_send(t, c, arr, 1, sent, 0, Ptr::NULL, Ptr::NULL);
    assert_eq!(call, Call::Blocked);
    assert_eq!(h.done(t, call), -1);
    assert_eq!(h.last_error(t), WsaError::WSAETIMEDOUT.0);
    assert!(h.now().saturating_since(start).as_millis() >= 100);
    assert_eq!(read_u32(&h, sent), SENTINEL);
    // The same socket, overlapped: no time-out.
    let _ = drain_all(&mut h, t, s);
    let ev = h.wsa_create_event(t);
    let ov = ov_with(&mut h, ev);
    pend_mib(&mut h, t, c, ov, Ptr::NULL);
    assert_eq!(sleep(&mut h, t, 500, false), 0);
    assert_eq!(
        internal(&h, ov),
        STATUS_PENDING,
        "still pending after 500 ms"
    );
    assert!(!signaled(&mut h, t, ev));
}

#[test]
fn reusing_an_overlapped_while_outstanding_is_a_contract_report() {
    // "If multiple I/O operations are simultaneously outstanding, each must reference a
    // separate WSAOVERLAPPED structure."
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, _s) = unbuffered_pair(&mut h, t);
    let ov = ov_with(&mut h, 0);
    pend_mib(&mut h, t, c, ov, Ptr::NULL);
    assert!(h.contract_reports().is_empty());
    let (r, e) = send_data(&mut h, t, c, b"abc", Ptr::NULL, ov, Ptr::NULL);
    assert_eq!((r, e), (-1, WsaError::WSA_IO_PENDING.0));
    assert!(h
        .contract_reports()
        .iter()
        .any(|r| r.rule == rules::OVERLAPPED_REUSED));
}

#[test]
fn reusing_an_overlapped_after_completion_is_fine() {
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = tcp_pair(&mut h, t, None);
    let ev = h.wsa_create_event(t);
    let ov = ov_with(&mut h, ev);
    for i in 0..10u8 {
        assert_eq!(
            send_data(&mut h, t, c, &[i; 10], Ptr::NULL, ov, Ptr::NULL),
            (0, 0)
        );
        assert_eq!(h.wsa_reset_event(t, ev), 1);
    }
    assert_eq!(drain_all(&mut h, t, s).len(), 100);
    assert!(h.contract_reports().is_empty());
}

#[test]
fn freeing_the_overlapped_of_a_pending_send_is_a_contract_report() {
    // "The lpOverlapped parameter must be valid for the duration of the overlapped
    // operation."
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = unbuffered_pair(&mut h, t);
    let ov = ov_with(&mut h, 0);
    let (_, data, _) = pend_mib(&mut h, t, c, ov, Ptr::NULL);
    h.sim().free(ov);
    assert_same(&drain_all(&mut h, t, s), &data, "peer data");
    assert!(h
        .contract_reports()
        .iter()
        .any(|r| r.rule == rules::OVERLAPPED_INVALID));
}

#[test]
fn freeing_the_data_buffer_of_a_pending_send_is_a_contract_report_and_fails_it() {
    // "once the WSASend function is called, the system owns these buffers and the
    // application may not access them."
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = unbuffered_pair(&mut h, t);
    let ev = h.wsa_create_event(t);
    let ov = ov_with(&mut h, ev);
    let (buf, _, _) = pend_mib(&mut h, t, c, ov, Ptr::NULL);
    h.sim().free(buf);
    let _ = drain_all(&mut h, t, s);
    assert!(signaled(&mut h, t, ev));
    let (ok, e, _) = get_result(&mut h, t, c, ov, false);
    assert_eq!((ok, e), (0, WsaError::WSAEFAULT.0));
    assert!(h
        .contract_reports()
        .iter()
        .any(|r| r.rule.contains("the system owns these buffers")));
}

#[test]
fn get_overlapped_result_with_fwait_true_and_a_routine_is_a_contract_report() {
    // "A caller that passes a non-NULL lpCompletionRoutine and later calls
    // WSAGetOverlappedResult for the same overlapped I/O request may not set the fWait
    // parameter for that invocation of WSAGetOverlappedResult to TRUE."
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = unbuffered_pair(&mut h, t);
    let (routine, _calls) = recorder(&mut h);
    let ev = h.wsa_create_event(t);
    let ov = ov_with(&mut h, ev);
    let (_, data, _) = pend_mib(&mut h, t, c, ov, routine);
    let n = out(&mut h);
    let flags = out(&mut h);
    let call = h.wsa_get_overlapped_result(t, c, ov, n, TRUE, flags);
    assert_eq!(call, Call::Blocked);
    assert!(h
        .contract_reports()
        .iter()
        .any(|r| r.rule == rules::FWAIT_WITH_ROUTINE));
    // Another thread completes the send and sets the event by hand; the wait then reads
    // the OVERLAPPED again.
    let t2 = h.create_thread();
    assert_same(&drain_all(&mut h, t2, s), &data, "peer data");
    assert_eq!(h.wsa_set_event(t2, ev), 1);
    assert_eq!(h.done(t, call), 1);
    assert_eq!(read_u32(&h, n), MIB as u32);
}

// ===== Remarks: dwFlags ===================================================================

#[test]
fn msg_oob_on_tcp_sends_one_urgent_byte_read_with_recv_msg_oob() {
    // "MSG_OOB: Send OOB data on a stream-style socket such as SOCK_STREAM only"
    // (wine-facts E31).
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = tcp_pair(&mut h, t, None);
    assert_eq!(send_plain(&mut h, t, c, b"!", MSG_OOB), (0, 0, 1));
    let buf = h.sim().alloc(4);
    let call = h.recv(t, s, buf, 4, MSG_OOB as i32);
    assert_eq!(h.done(t, call), 1);
    assert_eq!(h.sim().read_vec(buf, 1).unwrap(), b"!");
    assert!(drain_all(&mut h, t, s).is_empty(), "not inline");
}

#[test]
fn msg_dontroute_is_accepted_on_tcp_and_udp() {
    // "MSG_DONTROUTE ... A Windows Sockets service provider can choose to ignore this
    // flag."
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = tcp_pair(&mut h, t, None);
    assert_eq!(send_plain(&mut h, t, c, b"abc", MSG_DONTROUTE), (0, 0, 3));
    assert_eq!(drain_all(&mut h, t, s), b"abc");
    let (u, r) = udp_pair(&mut h, t);
    assert_eq!(send_plain(&mut h, t, u, b"def", MSG_DONTROUTE), (0, 0, 3));
    assert_eq!(recv_datagram(&mut h, t, r), b"def");
}

// ===== Remarks: connectionless sockets, last error ========================================

#[test]
fn wsasend_works_on_udp_with_a_default_peer() {
    // "It can also be used, however, on connectionless sockets that have a stipulated
    // default peer address established through the connect or WSAConnect function."
    let (mut h, t) = started(Profile::Windows, 1);
    let (u, r) = udp_pair(&mut h, t);
    let ev = h.wsa_create_event(t);
    let ov = ov_with(&mut h, ev);
    let sent = out(&mut h);
    assert_eq!(
        send_data(&mut h, t, u, b"datagram", sent, ov, Ptr::NULL),
        (0, 0)
    );
    assert_eq!(read_u32(&h, sent), 8);
    assert!(signaled(&mut h, t, ev));
    assert_eq!(recv_datagram(&mut h, t, r), b"datagram");
}

#[test]
fn last_error_is_zero_after_every_kind_of_success() {
    // wine-facts L1 (and L3/L4 for the siblings).
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, _s) = tcp_pair(&mut h, t, None);
    h.wsa_set_last_error(t, 12345);
    assert_eq!(
        send_plain(&mut h, t, c, b"abc", 0),
        (0, 0, 3),
        "non-overlapped"
    );
    h.wsa_set_last_error(t, 12345);
    let ov = ov_with(&mut h, 0);
    assert_eq!(
        send_data(&mut h, t, c, b"abc", Ptr::NULL, ov, Ptr::NULL),
        (0, 0)
    );
    h.wsa_set_last_error(t, 12345);
    let (routine, _) = recorder(&mut h);
    let ov = ov_with(&mut h, 0);
    assert_eq!(
        send_data(&mut h, t, c, b"abc", Ptr::NULL, ov, routine),
        (0, 0)
    );
    let (u, _r) = udp_pair(&mut h, t);
    h.wsa_set_last_error(t, 12345);
    assert_eq!(send_plain(&mut h, t, u, b"abc", 0), (0, 0, 3), "udp");
}
