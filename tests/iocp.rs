//! I/O completion ports: what issue 3's thread-exit rule needs (wine-facts X8), and the
//! packet rules around it (O5, O6, O21, C6, R2, X6, G9).

use std::sync::{Arc, Mutex};
use wsasim_core::consts::*;
use wsasim_core::memory::UserMemoryExt;
use wsasim_core::{Config, Profile, Ptr, WsaBuf};
use wsasim_tests::*;

const INVALID_HANDLE_VALUE: u64 = !0;

struct Gq {
    bytes: Ptr,
    key: Ptr,
    ov: Ptr,
}

fn gq(h: &mut wsasim_core::harness::Harness) -> Gq {
    Gq {
        bytes: h.sim().alloc(4),
        key: h.sim().alloc(8),
        ov: h.sim().alloc(8),
    }
}

#[test]
fn an_immediate_overlapped_send_on_an_associated_socket_still_posts_a_packet() {
    // wine-facts O5: "An operation that completes immediately on an IOCP-associated
    // socket still posts a completion packet (key, bytes, OVERLAPPED pointer)".
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, _s) = tcp_pair(&mut h, t, None);
    let port = h.create_io_completion_port(t, c, 0, 0x77, 0);
    assert_ne!(port, 0);
    let ov = overlapped(&mut h, 0);
    let data = bytes(&mut h, b"hello");
    let arr = wsabufs(&mut h, &[(data, 5)]);
    let sent = dword(&mut h, 0);
    let call = h.wsa_send(t, c, arr, 1, sent, 0, ov, Ptr::NULL);
    assert_eq!(h.done(t, call), 0, "completed at once");
    let g = gq(&mut h);
    let call = h.get_queued_completion_status(t, port, g.bytes, g.key, g.ov, 0);
    assert_eq!(h.done(t, call), 1);
    assert_eq!(
        (
            read_u32(&h, g.bytes),
            read_u64(&h, g.key),
            read_u64(&h, g.ov)
        ),
        (5, 0x77, ov.0)
    );
    // One packet only.
    let call = h.get_queued_completion_status(t, port, g.bytes, g.key, g.ov, 0);
    assert_eq!(h.done(t, call), 0);
    assert_eq!(
        h.last_error(t),
        WAIT_TIMEOUT,
        "time-out: FALSE with WAIT_TIMEOUT"
    );
    assert_eq!(read_u64(&h, g.ov), 0, "*lpOverlapped = NULL on a time-out");
}

#[test]
fn the_low_bit_of_hevent_keeps_the_packet_off_the_port_but_the_event_is_signalled() {
    // SDK getqueuedcompletionstatus; wine-facts O21.
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, _s) = tcp_pair(&mut h, t, None);
    let port = h.create_io_completion_port(t, c, 0, 1, 0);
    let ev = h.wsa_create_event(t);
    let ov = overlapped(&mut h, ev | 1);
    let data = bytes(&mut h, b"x");
    let arr = wsabufs(&mut h, &[(data, 1)]);
    let call = h.wsa_send(t, c, arr, 1, Ptr::NULL, 0, ov, Ptr::NULL);
    assert_eq!(h.done(t, call), 0);
    let evs = h.sim().alloc_bytes(&ev.to_le_bytes());
    let call = h.wsa_wait_for_multiple_events(t, 1, evs, 1, 0, 0);
    assert_eq!(h.done(t, call), 0, "the event is signalled");
    let g = gq(&mut h);
    let call = h.get_queued_completion_status(t, port, g.bytes, g.key, g.ov, 0);
    assert_eq!(h.done(t, call), 0);
    assert_eq!(h.last_error(t), WAIT_TIMEOUT, "no packet");
}

#[test]
fn a_completion_routine_on_an_associated_socket_is_wsaeinval_and_never_called() {
    // wine-facts C6.
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, _s) = tcp_pair(&mut h, t, None);
    assert_ne!(h.create_io_completion_port(t, c, 0, 1, 0), 0);
    let called = Arc::new(Mutex::new(false));
    let c2 = Arc::clone(&called);
    let r = h.routine(move |_, _, _, _, _, _| *c2.lock().unwrap() = true);
    let ov = overlapped(&mut h, 0);
    let data = bytes(&mut h, b"x");
    let arr = wsabufs(&mut h, &[(data, 1)]);
    let call = h.wsa_send(t, c, arr, 1, Ptr::NULL, 0, ov, r);
    assert_eq!(h.done(t, call), -1);
    assert_eq!(h.last_error(t), 10022, "WSAEINVAL");
    let call = h.sleep_ex(t, 0, 1);
    assert_eq!(h.done(t, call), 0);
    assert!(!*called.lock().unwrap());
}

#[test]
fn an_immediate_failure_posts_no_packet_and_a_reset_completes_a_pending_recv_with_netname_deleted()
{
    // wine-facts O6, R2 (through the port: FALSE, ERROR_NETNAME_DELETED, 0 bytes).
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = tcp_pair(&mut h, t, None);
    let port = h.create_io_completion_port(t, s, 0, 9, 0);
    let ov = overlapped(&mut h, 0);
    let buf = h.sim().alloc(16);
    let arr = wsabufs(&mut h, &[(buf, 16)]);
    let flags = dword(&mut h, 0);
    let call = h.wsa_recv(t, s, arr, 1, Ptr::NULL, flags, ov, Ptr::NULL);
    assert_eq!(h.done(t, call), -1);
    assert_eq!(h.last_error(t), 997);
    // The peer resets: SO_LINGER {1, 0} and close.
    let linger = h.sim().alloc_bytes(&1u32.to_le_bytes());
    assert_eq!(h.setsockopt(t, c, SOL_SOCKET, SO_LINGER, linger, 4), 0);
    let call = h.closesocket(t, c);
    assert_eq!(h.done(t, call), 0);
    let g = gq(&mut h);
    let call = h.get_queued_completion_status(t, port, g.bytes, g.key, g.ov, 0);
    assert_eq!(h.done(t, call), 0);
    assert_eq!(h.last_error(t), 64, "ERROR_NETNAME_DELETED");
    assert_eq!(
        (
            read_u32(&h, g.bytes),
            read_u64(&h, g.key),
            read_u64(&h, g.ov)
        ),
        (0, 9, ov.0)
    );
    // A new receive after the reset fails at once and posts nothing (O6).
    let ov2 = overlapped(&mut h, 0);
    let call = h.wsa_recv(t, s, arr, 1, Ptr::NULL, flags, ov2, Ptr::NULL);
    assert_eq!(h.done(t, call), -1);
    assert_eq!(h.last_error(t), 10054);
    let call = h.get_queued_completion_status(t, port, g.bytes, g.key, g.ov, 0);
    assert_eq!(h.done(t, call), 0);
    assert_eq!(h.last_error(t), WAIT_TIMEOUT);
}

#[test]
fn a_socket_associates_with_one_port_only_and_must_be_overlapped() {
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, _s) = tcp_pair(&mut h, t, None);
    let p1 = h.create_io_completion_port(t, INVALID_HANDLE_VALUE, 0, 0, 0);
    assert_ne!(p1, 0);
    assert_eq!(
        h.create_io_completion_port(t, c, p1, 1, 0),
        p1,
        "associating returns the same port"
    );
    assert_eq!(
        h.create_io_completion_port(t, c, p1, 2, 0),
        0,
        "a handle can be associated with only one port"
    );
    assert_eq!(h.last_error(t), 87);
    let plain = h.wsa_socket(t, AF_INET, SOCK_STREAM, IPPROTO_TCP, Ptr::NULL, 0, 0);
    assert_eq!(
        h.create_io_completion_port(t, plain, p1, 3, 0),
        0,
        "not opened for overlapped I/O"
    );
    assert_eq!(h.last_error(t), 87);
}

#[test]
fn posted_packets_come_back_verbatim_in_fifo_order() {
    let (mut h, t) = started(Profile::Windows, 1);
    let port = h.create_io_completion_port(t, INVALID_HANDLE_VALUE, 0, 0, 0);
    assert_eq!(
        h.post_queued_completion_status(t, port, 11, 0xAA, Ptr(0x1234)),
        1
    );
    assert_eq!(
        h.post_queued_completion_status(t, port, 22, 0xBB, Ptr(0x5678)),
        1
    );
    let g = gq(&mut h);
    for (n, k, o) in [(11, 0xAA, 0x1234), (22, 0xBB, 0x5678)] {
        let call = h.get_queued_completion_status(t, port, g.bytes, g.key, g.ov, INFINITE);
        assert_eq!(h.done(t, call), 1);
        assert_eq!(
            (
                read_u32(&h, g.bytes),
                read_u64(&h, g.key),
                read_u64(&h, g.ov)
            ),
            (n, k, o)
        );
    }
}

#[test]
fn thread_exit_leaves_io_on_a_port_bound_socket_pending_and_it_completes_normally() {
    // wine-facts X8: "a WSARecv issued by a thread that then exits stays pending, later
    // completes with the 12 bytes sent". Without the port the same receive is cancelled
    // with WSA_OPERATION_ABORTED (tests/runtime.rs).
    use wsasim_runtime::api::*;
    let report = wsasim_runtime::run(Config::new(5, Profile::Windows), || {
        WSAStartup(0x0202, alloc(408));
        let l = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
        let (a, n) = sockaddr("127.0.0.1:27015");
        bind(l, a, n);
        listen(l, 5);
        let c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
        assert_eq!(connect(c, a, n), 0);
        let s = accept(l, Ptr::NULL, Ptr::NULL);
        let port = CreateIoCompletionPort(s, 0, 42, 0);
        assert_ne!(port, 0);
        let ov = alloc_overlapped(0);
        let buf = alloc(64);
        let arr = alloc_wsabufs(&[WsaBuf { len: 64, buf }]);
        let worker = CreateThread(move || {
            let flags = alloc(4);
            assert_eq!(
                WSARecv(s, arr, 1, Ptr::NULL, flags, ov, Ptr::NULL),
                SOCKET_ERROR
            );
            assert_eq!(WSAGetLastError(), 997);
            0
        });
        WaitForSingleObject(worker, INFINITE);
        let data = alloc_bytes(b"twelve bytes");
        assert_eq!(send(c, data, 12, 0), 12);
        let (nb, key, pov) = (alloc(4), alloc(8), alloc(8));
        assert_eq!(
            GetQueuedCompletionStatus(port, nb, key, pov, INFINITE),
            TRUE
        );
        assert_eq!(read_u32(nb), 12);
        assert_eq!(read(buf, 12), b"twelve bytes");
        let k = with_mem_u64(key);
        assert_eq!(k, 42);
        0
    });
    assert!(report.success(), "{:?}", report.outcome);
}

fn with_mem_u64(p: Ptr) -> u64 {
    let b = wsasim_runtime::api::read(p, 8);
    u64::from_le_bytes(b.try_into().unwrap())
}

#[test]
fn closesocket_with_a_pending_recv_on_an_associated_socket_posts_its_failure() {
    // SDK closesocket: "Any event, completion routine, or completion port action
    // specified ... is performed"; wine-facts X6: CONNECTION_ABORTED, which kernel32
    // reports as ERROR_CONNECTION_ABORTED (1236).
    let (mut h, t) = started(Profile::Windows, 1);
    let (_c, s) = tcp_pair(&mut h, t, None);
    let port = h.create_io_completion_port(t, s, 0, 5, 0);
    let ov = overlapped(&mut h, 0);
    let buf = h.sim().alloc(16);
    let arr = wsabufs(&mut h, &[(buf, 16)]);
    let flags = dword(&mut h, 0);
    let call = h.wsa_recv(t, s, arr, 1, Ptr::NULL, flags, ov, Ptr::NULL);
    assert_eq!(h.done(t, call), -1);
    let call = h.closesocket(t, s);
    assert_eq!(h.done(t, call), 0);
    let g = gq(&mut h);
    let call = h.get_queued_completion_status(t, port, g.bytes, g.key, g.ov, 0);
    assert_eq!(h.done(t, call), 0);
    assert_eq!(h.last_error(t), 1236);
    assert_eq!(h.mem().read_u64(g.ov).unwrap(), ov.0);
}

#[test]
fn a_successful_dequeue_leaves_the_last_error_untouched() {
    // wine-facts O5: "GetQueuedCompletionStatus success leaves last error untouched".
    let (mut h, t) = started(Profile::Windows, 1);
    let port = h.create_io_completion_port(t, INVALID_HANDLE_VALUE, 0, 0, 0);
    assert_eq!(h.post_queued_completion_status(t, port, 1, 2, Ptr(3)), 1);
    h.wsa_set_last_error(t, 1234);
    let g = gq(&mut h);
    let call = h.get_queued_completion_status(t, port, g.bytes, g.key, g.ov, 0);
    assert_eq!(h.done(t, call), 1);
    assert_eq!(h.last_error(t), 1234);
}
