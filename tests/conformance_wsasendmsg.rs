//! Conformance suite for `WSASendMsg` (seed `seeds/001_2d0a9224e54658bd.txt`), with
//! `WSASendTo`, `sendto` and the receive side that observes them (`recvfrom`,
//! `WSARecvFrom`, `WSARecvMsg`): one test per row of the seed's error table (with the
//! condition that produces it in the model), one per sentence of the Remarks, and the
//! rows of `reference/wine-facts.md` that pin Windows down (E3-E30, L2-L7, C2-C4, O12,
//! W1, W2, W8-W10). `docs/conformance.md` (section "WSASendMsg") maps each to its test.
//!
//! Conventions:
//! - `t` is the main thread, on host 0; multi-host tests give host 0 the address
//!   10.0.0.1 and put a second thread `tb` on host `b` (10.0.0.2);
//! - out-parameters start as `0xdeadbeef` so "untouched" is observable;
//! - a "slow link" carries 1000 bytes per second, so a 100-byte datagram (128 bytes on
//!   the wire) stays in the sender's datagram buffer for 128 ms.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wsasim_core::consts::*;
use wsasim_core::harness::{Harness, Stuck};
use wsasim_core::kernel::rules;
use wsasim_core::memory::{overlapped_layout as ovl, UserMemoryExt};
use wsasim_core::msg::{self, WsaMsg};
use wsasim_core::net::{HostId, IpAddr, Link, LinkOpts, SockAddr};
use wsasim_core::time::{Duration, Instant};
use wsasim_core::trace::Record;
use wsasim_core::{
    Call, Config, Profile, ProviderFault, Ptr, Ratio, ThreadId, WsaBuf, WsaError,
    EXT_FN_WSARECVMSG, EXT_FN_WSASENDMSG,
};
use wsasim_tests::*;

// ===== helpers ============================================================================

const SENTINEL: u32 = 0xdead_beef;
const STATUS_PENDING: u64 = 0x103;
const STATUS_CANCELLED: u64 = 0xC000_0120;
const STATUS_BUFFER_OVERFLOW: u64 = 0x8000_0005;

fn ip(s: &str) -> IpAddr {
    IpAddr::parse(s).expect("a valid address")
}

fn out(h: &mut Harness) -> Ptr {
    dword(h, SENTINEL)
}

/// A socket of `(af, type, protocol)` made by thread `t` (on `t`'s host).
fn sock(h: &mut Harness, t: ThreadId, af: i32, ty: i32, proto: i32) -> u64 {
    let s = h.socket(t, af, ty, proto);
    assert_ne!(s, INVALID_SOCKET, "socket: {}", h.last_error(t));
    s
}

fn udp(h: &mut Harness, t: ThreadId) -> u64 {
    sock(h, t, AF_INET, SOCK_DGRAM, IPPROTO_UDP)
}

fn udp6(h: &mut Harness, t: ThreadId) -> u64 {
    sock(h, t, AF_INET6, SOCK_DGRAM, IPPROTO_UDP)
}

/// A UDP socket (of the address's family) bound to `text`.
fn udp_bound(h: &mut Harness, t: ThreadId, text: &str) -> u64 {
    let a = SockAddr::parse(text).expect("an address");
    let u = if matches!(a.ip, IpAddr::V6(_)) {
        udp6(h, t)
    } else {
        udp(h, t)
    };
    let (p, n) = sockaddr(h, text);
    assert_eq!(h.bind(t, u, p, n), 0, "bind {text}: {}", h.last_error(t));
    u
}

/// `getsockname`: the address, or the error.
fn sockname(h: &mut Harness, t: ThreadId, s: u64) -> Result<SockAddr, u32> {
    let name = h.sim().alloc(28);
    let len = dword(h, 28);
    if h.getsockname(t, s, name, len) != 0 {
        return Err(h.last_error(t));
    }
    let n = read_u32(h, len) as i32;
    Ok(SockAddr::read(h.mem(), name, n).expect("a sockaddr"))
}

/// A `WSAMSG` in memory: `name` (a `sockaddr`, or none with `namelen` 0), one
/// `WSABUF` per slice of `data`, and `control` (none when empty).
fn wsamsg(h: &mut Harness, name: Option<&str>, data: &[&[u8]], control: &[u8]) -> Ptr {
    let (name, namelen) = match name {
        Some(text) => sockaddr(h, text),
        None => (Ptr::NULL, 0),
    };
    let bufs: Vec<(Ptr, u32)> = data.iter().map(|d| (bytes(h, d), d.len() as u32)).collect();
    let buffers = if bufs.is_empty() {
        Ptr::NULL
    } else {
        wsabufs(h, &bufs)
    };
    let control = if control.is_empty() {
        WsaBuf::default()
    } else {
        WsaBuf {
            len: control.len() as u32,
            buf: bytes(h, control),
        }
    };
    raw_msg(
        h,
        WsaMsg {
            name,
            namelen,
            buffers,
            buffer_count: bufs.len() as u32,
            control,
            flags: 0,
        },
    )
}

fn raw_msg(h: &mut Harness, m: WsaMsg) -> Ptr {
    h.sim().alloc_bytes(&m.to_bytes())
}

fn read_msg(h: &Harness, p: Ptr) -> WsaMsg {
    WsaMsg::read(h.mem(), p).expect("a WSAMSG")
}

/// A non-overlapped `WSASendMsg`, finished: `(return, last error, count)`.
fn send_msg(h: &mut Harness, t: ThreadId, s: u64, m: Ptr, flags: u32) -> (i64, u32, u32) {
    let sent = out(h);
    let call = h.wsa_send_msg(t, s, m, flags, sent, Ptr::NULL, Ptr::NULL);
    let r = h.done(t, call);
    (r, h.last_error(t), read_u32(h, sent))
}

/// `WSASendMsg` of `data` to `to` (none: the default peer), not overlapped.
fn send_to_msg(
    h: &mut Harness,
    t: ThreadId,
    s: u64,
    to: Option<&str>,
    data: &[u8],
) -> (i64, u32, u32) {
    let m = wsamsg(h, to, &[data], &[]);
    send_msg(h, t, s, m, 0)
}

/// `sendto(s, data, to)`: `(return, last error)`.
fn sendto(h: &mut Harness, t: ThreadId, s: u64, data: &[u8], to: &str) -> (i64, u32) {
    let buf = bytes(h, data);
    let (a, n) = sockaddr(h, to);
    let call = h.sendto(t, s, buf, data.len() as i32, 0, a, n);
    let r = h.done(t, call);
    (r, h.last_error(t))
}

/// A blocking `recvfrom` on `s`: the datagram and its source.
fn recv_from(h: &mut Harness, t: ThreadId, s: u64) -> (Vec<u8>, SockAddr) {
    let buf = h.sim().alloc(70_000);
    let from = h.sim().alloc(28);
    let len = dword(h, 28);
    let call = h.recvfrom(t, s, buf, 70_000, 0, from, len);
    let n = h.done(t, call);
    assert!(n >= 0, "recvfrom: {}", h.last_error(t));
    assert_eq!(h.last_error(t), 0, "wine-facts L5");
    let flen = read_u32(h, len) as i32;
    let a = SockAddr::read(h.mem(), from, flen).expect("a source address");
    (h.sim().read_vec(buf, n as usize).unwrap(), a)
}

fn nonblocking(h: &mut Harness, t: ThreadId, s: u64, on: bool) {
    let v = dword(h, u32::from(on));
    assert_eq!(h.ioctlsocket(t, s, FIONBIO, v), 0);
}

/// A `recvfrom` that must find nothing now (after due deliveries).
fn assert_no_datagram(h: &mut Harness, t: ThreadId, s: u64) {
    h.settle();
    nonblocking(h, t, s, true);
    let buf = h.sim().alloc(70_000);
    let call = h.recvfrom(t, s, buf, 70_000, 0, Ptr::NULL, Ptr::NULL);
    assert_eq!(
        (h.done(t, call), h.last_error(t)),
        (-1, WsaError::WSAEWOULDBLOCK.0),
        "no datagram expected"
    );
    nonblocking(h, t, s, false);
}

/// Lets virtual time run for `ms` on thread `t` (a non-alertable `SleepEx`).
fn pass(h: &mut Harness, t: ThreadId, ms: u32) {
    let call = h.sleep_ex(t, ms, FALSE);
    assert_eq!(h.done(t, call), 0);
}

fn sleep_alertable(h: &mut Harness, t: ThreadId, ms: u32) -> i64 {
    let call = h.sleep_ex(t, ms, TRUE);
    h.done(t, call)
}

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

fn signaled(h: &mut Harness, t: ThreadId, ev: u64) -> bool {
    let evs = h.sim().alloc_bytes(&ev.to_le_bytes());
    let call = h.wsa_wait_for_multiple_events(t, 1, evs, FALSE, 0, FALSE);
    match h.done(t, call) as u32 {
        WSA_WAIT_EVENT_0 => true,
        WSA_WAIT_TIMEOUT => false,
        other => panic!("wait returned {other:#x}"),
    }
}

/// `WSAGetOverlappedResult(s, ov, &n, fWait, &flags)`: `(BOOL, last error, n, flags)`.
fn get_result(h: &mut Harness, t: ThreadId, s: u64, ov: Ptr, wait: bool) -> (i64, u32, u32, u32) {
    let n = out(h);
    let flags = out(h);
    let call = h.wsa_get_overlapped_result(t, s, ov, n, i32::from(wait), flags);
    let r = h.done(t, call);
    (r, h.last_error(t), read_u32(h, n), read_u32(h, flags))
}

type RoutineCall = (u32, u32, Ptr, u32);

fn recorder(h: &mut Harness) -> (Ptr, Rc<RefCell<Vec<RoutineCall>>>) {
    let calls = Rc::new(RefCell::new(Vec::new()));
    let c = calls.clone();
    let r = h.routine(move |_, _, err, n, ov, flags| c.borrow_mut().push((err, n, ov, flags)));
    (r, calls)
}

fn target(h: &Harness, s: u64) -> wsasim_core::provider::SocketRef {
    h.socket_target(s).expect("a live socket")
}

fn bad_ptr(h: &mut Harness) -> Ptr {
    let p = h.sim().alloc(64);
    h.sim().free(p);
    p
}

fn slow() -> Link {
    Link {
        latency: Duration::from_millis(1),
        bandwidth: Some(1000),
    }
}

/// Host 0 gets 10.0.0.1; host `b` (10.0.0.2) is joined to it by `link`; thread `tb`
/// lives on `b`. Returns `(tb, b)`.
fn two_hosts(h: &mut Harness, link: Link) -> (ThreadId, HostId) {
    let net = h.network_mut();
    net.add_address(HostId(0), ip("10.0.0.1"), 24);
    let b = net.add_host("b", &[ip("10.0.0.2")]);
    net.link(HostId(0), b, link);
    let tb = h.create_thread();
    h.set_thread_host(tb, b);
    (tb, b)
}

/// Host 0 (10.0.1.1/24) reaches host `b` (10.0.2.1/24) through router `r` (10.0.1.254,
/// 10.0.2.254), both ways. Returns `(tb, b, r)`.
fn routed_hosts(h: &mut Harness) -> (ThreadId, HostId, HostId) {
    let net = h.network_mut();
    net.add_address(HostId(0), ip("10.0.1.1"), 24);
    let r = net.add_host("r", &[ip("10.0.1.254"), ip("10.0.2.254")]);
    let b = net.add_host("b", &[ip("10.0.2.1")]);
    net.link(HostId(0), r, Link::default());
    net.link(r, b, Link::default());
    net.add_route(HostId(0), ip("10.0.2.0"), 24, r);
    net.add_route(b, ip("0.0.0.0"), 0, r);
    let tb = h.create_thread();
    h.set_thread_host(tb, b);
    (tb, b, r)
}

/// Control data holding one `in_pktinfo` for `addr`.
fn pktinfo4(addr: &str) -> Vec<u8> {
    let IpAddr::V4(a) = ip(addr) else {
        panic!("IPv4 expected")
    };
    msg::build_control(&[(IPPROTO_IP, IP_PKTINFO, &msg::in_pktinfo(a, 0))])
}

/// Control data holding one `in6_pktinfo` for `addr`.
fn pktinfo6(addr: &str) -> Vec<u8> {
    let IpAddr::V6(a) = ip(addr) else {
        panic!("IPv6 expected")
    };
    msg::build_control(&[(IPPROTO_IPV6, IPV6_PKTINFO, &msg::in6_pktinfo(a, 0))])
}

/// Trace records `Net { what }` so far.
fn net_records(h: &Harness, what: &str) -> usize {
    h.trace()
        .entries()
        .iter()
        .filter(|e| matches!(e.rec, Record::Net { what: w, .. } if w == what))
        .count()
}

fn started_11() -> (Harness, ThreadId) {
    let mut h = Harness::new(Config::new(1, Profile::Windows));
    let t = h.main_thread();
    let data = h.sim().alloc(408);
    assert_eq!(h.wsa_startup(t, makeword(1, 1), data), 0);
    (h, t)
}

/// A sender on host 0 with `SO_SNDBUF = sndbuf`, a receiver bound to 10.0.0.2:5000 on
/// host b over a slow link: `(tb, sender, receiver)`.
fn slow_pair(h: &mut Harness, t: ThreadId, sndbuf: u32) -> (ThreadId, u64, u64) {
    let (tb, _) = two_hosts(h, slow());
    let r = udp_bound(h, tb, "10.0.0.2:5000");
    let u = udp(h, t);
    set_int_opt(h, t, u, SOL_SOCKET, SO_SNDBUF, sndbuf);
    (tb, u, r)
}

/// A 100-byte message to the slow pair's receiver.
fn msg100(h: &mut Harness, salt: u8) -> (Ptr, Vec<u8>) {
    let data: Vec<u8> = (0..100u8).map(|i| i.wrapping_add(salt)).collect();
    let m = wsamsg(h, Some("10.0.0.2:5000"), &[&data], &[]);
    (m, data)
}

// ===== WSAEACCES ==========================================================================
// "The requested address is a broadcast address, but the appropriate flag was not set."

#[test]
fn wsaeacces_for_a_broadcast_name_without_so_broadcast() {
    // wine-facts E27: without SO_BROADCAST -1; with it the full length; after turning
    // it off, -1 again.
    let (mut h, t) = started(Profile::Windows, 1);
    let (tb, _) = two_hosts(&mut h, Link::default());
    let r = udp_bound(&mut h, tb, "0.0.0.0:7000");
    let u = udp(&mut h, t);
    for to in ["255.255.255.255:7000", "10.0.0.255:7000"] {
        let (ret, e, n) = send_to_msg(&mut h, t, u, Some(to), b"ping");
        assert_eq!((ret, e, n), (-1, WsaError::WSAEACCES.0, SENTINEL), "{to}");
        assert_eq!(
            sendto(&mut h, t, u, b"ping", to),
            (-1, WsaError::WSAEACCES.0)
        );
    }
    assert_no_datagram(&mut h, tb, r);
    set_int_opt(&mut h, t, u, SOL_SOCKET, SO_BROADCAST, 1);
    assert_eq!(
        send_to_msg(&mut h, t, u, Some("255.255.255.255:7000"), b"ping"),
        (0, 0, 4)
    );
    let (got, from) = recv_from(&mut h, tb, r);
    assert_eq!((got.as_slice(), from.ip), (&b"ping"[..], ip("10.0.0.1")));
    set_int_opt(&mut h, t, u, SOL_SOCKET, SO_BROADCAST, 0);
    assert_eq!(
        send_to_msg(&mut h, t, u, Some("255.255.255.255:7000"), b"ping").1,
        WsaError::WSAEACCES.0
    );
}

#[test]
fn connect_to_broadcast_needs_no_so_broadcast_and_send_works_but_a_broadcast_name_still_fails() {
    // wine-facts E28.
    let (mut h, t) = started(Profile::Windows, 1);
    let (tb, _) = two_hosts(&mut h, Link::default());
    let r = udp_bound(&mut h, tb, "0.0.0.0:7000");
    let u = udp(&mut h, t);
    let (a, n) = sockaddr(&mut h, "255.255.255.255:7000");
    let call = h.connect(t, u, a, n);
    assert_eq!(h.done(t, call), 0);
    let v = dword(&mut h, SENTINEL);
    let len = dword(&mut h, 4);
    assert_eq!(h.getsockopt(t, u, SOL_SOCKET, SO_BROADCAST, v, len), 0);
    assert_eq!(read_u32(&h, v), 0, "SO_BROADCAST still reads 0");
    assert_eq!(send_to_msg(&mut h, t, u, None, b"hi"), (0, 0, 2));
    assert_eq!(recv_from(&mut h, tb, r).0, b"hi");
    assert_eq!(
        send_to_msg(&mut h, t, u, Some("255.255.255.255:7000"), b"hi").1,
        WsaError::WSAEACCES.0
    );
    assert_eq!(
        sendto(&mut h, t, u, b"hi", "255.255.255.255:7000").1,
        WsaError::WSAEACCES.0
    );
}

// ===== WSAECONNRESET ======================================================================
// "For a UDP datagram socket, this error would indicate that a previous send operation
// resulted in an ICMP "Port Unreachable" message."

#[test]
fn wsaeconnreset_after_icmp_port_unreachable_from_another_host_documented_only() {
    // Documented: the next send fails once the ICMP is back (after the round trip).
    let (mut h, t) = started(Profile::Documented, 1);
    let (_tb, _) = two_hosts(
        &mut h,
        Link {
            latency: Duration::from_millis(5),
            bandwidth: None,
        },
    );
    let u = udp(&mut h, t);
    assert_eq!(send_to_msg(&mut h, t, u, Some("10.0.0.2:6000"), b"x").0, 0);
    assert_eq!(
        send_to_msg(&mut h, t, u, Some("10.0.0.2:6000"), b"x").0,
        0,
        "ICMP not back yet"
    );
    pass(&mut h, t, 20);
    assert_eq!(net_records(&h, "icmp_port_unreachable"), 2);
    let (ret, e, n) = send_to_msg(&mut h, t, u, Some("10.0.0.2:6000"), b"x");
    assert_eq!((ret, e, n), (-1, WsaError::WSAECONNRESET.0, SENTINEL));

    // Windows ignores ICMP for sends (wine-facts E25): ten sends succeed; the receive
    // reports it.
    let (mut h, t) = started(Profile::Windows, 1);
    let (_tb, _) = two_hosts(&mut h, Link::default());
    let u = udp(&mut h, t);
    for _ in 0..10 {
        assert_eq!(
            send_to_msg(&mut h, t, u, Some("10.0.0.2:6000"), &[1; 16]),
            (0, 0, 16)
        );
        pass(&mut h, t, 1);
    }
    let buf = h.sim().alloc(16);
    let call = h.recvfrom(t, u, buf, 16, 0, Ptr::NULL, Ptr::NULL);
    assert_eq!(
        (h.done(t, call), h.last_error(t)),
        (-1, WsaError::WSAECONNRESET.0)
    );
}

// ===== WSAEFAULT ==========================================================================
// "The lpMsg, lpNumberOfBytesSent, lpOverlapped, or lpCompletionRoutine parameter is not
// totally contained in a valid part of the user address space."

#[test]
fn wsaefault_for_a_null_or_unreadable_wsamsg_and_such_a_call_does_not_bind() {
    // wine-facts E7, E8 (count untouched), E14 (no implicit bind).
    let (mut h, t) = started(Profile::Windows, 1);
    let u = udp(&mut h, t);
    let short = h.sim().alloc(55);
    let bad = bad_ptr(&mut h);
    for m in [Ptr::NULL, bad, short] {
        for with_count in [false, true] {
            let sent = if with_count { out(&mut h) } else { Ptr::NULL };
            let call = h.wsa_send_msg(t, u, m, 0, sent, Ptr::NULL, Ptr::NULL);
            assert_eq!(
                (h.done(t, call), h.last_error(t)),
                (-1, WsaError::WSAEFAULT.0)
            );
            if with_count {
                assert_eq!(read_u32(&h, sent), SENTINEL);
            }
        }
    }
    assert_eq!(
        sockname(&mut h, t, u),
        Err(WsaError::WSAEINVAL.0),
        "E14: not bound"
    );
}

#[test]
fn wsaefault_for_a_null_count_without_overlapped_yet_the_socket_is_bound() {
    // wine-facts E9; E13 (todo_wine, W2): "a bad call to WSASendMsg will also bind the
    // socket".
    let (mut h, t) = started(Profile::Windows, 1);
    let _r = udp_bound(&mut h, t, "127.0.0.1:5000");
    let u = udp(&mut h, t);
    assert_eq!(sockname(&mut h, t, u), Err(WsaError::WSAEINVAL.0));
    let m = wsamsg(
        &mut h,
        Some("127.0.0.1:5000"),
        &[b"hello world\0", b"hello "],
        &[],
    );
    let call = h.wsa_send_msg(t, u, m, 0, Ptr::NULL, Ptr::NULL, Ptr::NULL);
    assert_eq!(
        (h.done(t, call), h.last_error(t)),
        (-1, WsaError::WSAEFAULT.0)
    );
    let a = sockname(&mut h, t, u).expect("bound by the failing call");
    assert_eq!(a.ip, ip("0.0.0.0"));
    assert_ne!(a.port, 0);
    // An unwritable count is WSAEFAULT too.
    let bad = bad_ptr(&mut h);
    let call = h.wsa_send_msg(t, u, m, 0, bad, Ptr::NULL, Ptr::NULL);
    assert_eq!(
        (h.done(t, call), h.last_error(t)),
        (-1, WsaError::WSAEFAULT.0)
    );
}

#[test]
fn wsaefault_for_a_null_name_with_a_nonzero_namelen() {
    // "This error is also returned if a name member of the WSAMSG structure ... was a
    // NULL pointer and the namelen member ... was not set to zero."
    let (mut h, t) = started(Profile::Windows, 1);
    let (u, r) = (udp(&mut h, t), udp_bound(&mut h, t, "127.0.0.1:5000"));
    let (a, n) = sockaddr(&mut h, "127.0.0.1:5000");
    let call = h.connect(t, u, a, n);
    assert_eq!(h.done(t, call), 0);
    let p0 = wsamsg(&mut h, None, &[b"abc"], &[]);
    let mut m = read_msg(&h, p0);
    m.namelen = 16;
    let p = raw_msg(&mut h, m);
    assert_eq!(
        send_msg(&mut h, t, u, p, 0),
        (-1, WsaError::WSAEFAULT.0, SENTINEL)
    );
    // NULL with namelen 0 uses the default peer; a name too short for its family, or
    // unreadable, is WSAEFAULT as well.
    m.namelen = 0;
    let p = raw_msg(&mut h, m);
    assert_eq!(send_msg(&mut h, t, u, p, 0), (0, 0, 3));
    assert_eq!(recv_from(&mut h, t, r).0, b"abc");
    m.name = a;
    m.namelen = 15;
    let p = raw_msg(&mut h, m);
    assert_eq!(send_msg(&mut h, t, u, p, 0).1, WsaError::WSAEFAULT.0);
    m.name = bad_ptr(&mut h);
    m.namelen = 16;
    let p = raw_msg(&mut h, m);
    assert_eq!(send_msg(&mut h, t, u, p, 0).1, WsaError::WSAEFAULT.0);
    assert_no_datagram(&mut h, t, r);
}

#[test]
fn wsaefault_for_a_null_control_buf_with_a_nonzero_control_len() {
    // "This error is also returned if a Control.buf member ... was a NULL pointer and
    // the Control.len member ... was not set to zero."
    let (mut h, t) = started(Profile::Windows, 1);
    let r = udp_bound(&mut h, t, "127.0.0.1:5000");
    let u = udp(&mut h, t);
    let p0 = wsamsg(&mut h, Some("127.0.0.1:5000"), &[b"abc"], &[]);
    let mut m = read_msg(&h, p0);
    m.control = WsaBuf {
        len: 24,
        buf: Ptr::NULL,
    };
    let p = raw_msg(&mut h, m);
    assert_eq!(
        send_msg(&mut h, t, u, p, 0),
        (-1, WsaError::WSAEFAULT.0, SENTINEL)
    );
    // An unreadable control buffer is WSAEFAULT; NULL with length 0 is no control data.
    m.control = WsaBuf {
        len: 24,
        buf: bad_ptr(&mut h),
    };
    let p = raw_msg(&mut h, m);
    assert_eq!(send_msg(&mut h, t, u, p, 0).1, WsaError::WSAEFAULT.0);
    m.control = WsaBuf {
        len: 0,
        buf: Ptr::NULL,
    };
    let p = raw_msg(&mut h, m);
    assert_eq!(send_msg(&mut h, t, u, p, 0), (0, 0, 3));
    assert_eq!(recv_from(&mut h, t, r).0, b"abc");
}

#[test]
fn wsaefault_for_bad_buffers_overlapped_and_count_pointers() {
    let (mut h, t) = started(Profile::Windows, 1);
    let r = udp_bound(&mut h, t, "127.0.0.1:5000");
    let u = udp(&mut h, t);
    let p0 = wsamsg(&mut h, Some("127.0.0.1:5000"), &[b"abcd"], &[]);
    let good = read_msg(&h, p0);
    // lpBuffers unmapped; a count past the end of the array; a data buffer unmapped.
    let mut m = good;
    m.buffers = bad_ptr(&mut h);
    let p = raw_msg(&mut h, m);
    assert_eq!(send_msg(&mut h, t, u, p, 0).1, WsaError::WSAEFAULT.0);
    let mut m = good;
    m.buffer_count = 2;
    let p = raw_msg(&mut h, m);
    assert_eq!(send_msg(&mut h, t, u, p, 0).1, WsaError::WSAEFAULT.0);
    let bad = bad_ptr(&mut h);
    let arr = wsabufs(&mut h, &[(bad, 4)]);
    let mut m = good;
    m.buffers = arr;
    let p = raw_msg(&mut h, m);
    assert_eq!(send_msg(&mut h, t, u, p, 0).1, WsaError::WSAEFAULT.0);
    // lpOverlapped: unmapped, or only 16 bytes.
    let p = raw_msg(&mut h, good);
    let half = h.sim().alloc(16);
    for ov in [bad_ptr(&mut h), half] {
        let call = h.wsa_send_msg(t, u, p, 0, Ptr::NULL, ov, Ptr::NULL);
        assert_eq!(
            (h.done(t, call), h.last_error(t)),
            (-1, WsaError::WSAEFAULT.0)
        );
    }
    assert_no_datagram(&mut h, t, r);
}

// ===== WSAEINPROGRESS / WSAEINTR ==========================================================
// "A blocking Windows Sockets 1.1 call is in progress, or the service provider is still
// processing a callback function." / "A blocking Windows Socket 1.1 call was canceled
// through WSACancelBlockingCall."

#[test]
fn wsaeinprogress_for_a_winsock_11_wsasendmsg_from_an_apc_inside_a_blocking_call() {
    let (mut h, t) = started_11();
    let r = udp_bound(&mut h, t, "127.0.0.1:5000");
    let u = udp(&mut h, t);
    let m = wsamsg(&mut h, Some("127.0.0.1:5000"), &[b"x"], &[]);
    let seen = Rc::new(Cell::new((0i64, 0u32)));
    let sc = seen.clone();
    let apc = h.apc_fn(move |h, t, _| {
        let n = h.sim().alloc(4);
        let call = h.wsa_send_msg(t, u, m, 0, n, Ptr::NULL, Ptr::NULL);
        sc.set((h.done(t, call), h.last_error(t)));
        assert_eq!(h.wsa_cancel_blocking_call(t), 0);
    });
    let th = h.thread_handle(t);
    assert_ne!(h.queue_user_apc(t, apc, th, 0), 0);
    // A blocking receive with nothing to receive.
    let buf = h.sim().alloc(16);
    let call = h.recvfrom(t, r, buf, 16, 0, Ptr::NULL, Ptr::NULL);
    assert_eq!(call, Call::Blocked);
    assert_eq!(h.done(t, call), -1);
    assert_eq!(seen.get(), (-1, WsaError::WSAEINPROGRESS.0));
    assert_eq!(h.last_error(t), WsaError::WSAEINTR.0);
    assert_no_datagram(&mut h, t, r);
}

#[test]
fn wsaeintr_when_an_apc_cancels_a_blocking_wsasendmsg_of_a_winsock_11_app() {
    let (mut h, t) = started_11();
    let (tb, u, r) = slow_pair(&mut h, t, 1);
    let (m1, d1) = msg100(&mut h, 1);
    assert_eq!(
        send_msg(&mut h, t, u, m1, 0),
        (0, 0, 100),
        "fills the send buffer"
    );
    let cancelled = Rc::new(Cell::new(-2));
    let cc = cancelled.clone();
    let apc = h.apc_fn(move |h, t, _| cc.set(h.wsa_cancel_blocking_call(t)));
    let th = h.thread_handle(t);
    assert_ne!(h.queue_user_apc(t, apc, th, 0), 0);
    let (m2, _) = msg100(&mut h, 2);
    let sent = out(&mut h);
    let call = h.wsa_send_msg(t, u, m2, 0, sent, Ptr::NULL, Ptr::NULL);
    assert_eq!(call, Call::Blocked, "waits for room in the datagram buffer");
    assert_eq!(h.done(t, call), -1);
    assert_eq!(
        (cancelled.get(), h.last_error(t)),
        (0, WsaError::WSAEINTR.0)
    );
    assert_eq!(read_u32(&h, sent), SENTINEL);
    assert_eq!(recv_from(&mut h, tb, r).0, d1);
    pass(&mut h, tb, 500);
    assert_no_datagram(&mut h, tb, r);
}

// ===== WSAEINVAL ==========================================================================
// "The socket has not been bound with bind, or the socket was not created with the
// overlapped flag." Remarks: "The WSASendMsg function can only be used with datagrams
// and raw sockets."

#[test]
fn wsaeinval_for_wsasendmsg_on_a_stream_socket() {
    // wine-facts E15 (todo_wine, W1): WSAEINVAL, count untouched; connected or not.
    let (mut h, t) = started(Profile::Windows, 1);
    let c = sock(&mut h, t, AF_INET, SOCK_STREAM, 0);
    let m = wsamsg(&mut h, Some("127.0.0.1:139"), &[b"hello world\0"], &[]);
    assert_eq!(
        send_msg(&mut h, t, c, m, 0),
        (-1, WsaError::WSAEINVAL.0, SENTINEL)
    );
    let (c, s) = tcp_pair(&mut h, t, None);
    let m = wsamsg(&mut h, None, &[b"abc"], &[]);
    assert_eq!(
        send_msg(&mut h, t, c, m, 0),
        (-1, WsaError::WSAEINVAL.0, SENTINEL)
    );
    assert!(drain(&mut h, t, s).is_empty());
}

#[test]
fn wsaeinval_for_overlapped_wsasendmsg_on_a_non_overlapped_socket_in_documented_profile() {
    for profile in [Profile::Documented, Profile::Windows] {
        let (mut h, t) = started(profile, 1);
        let r = udp_bound(&mut h, t, "127.0.0.1:5000");
        let u = h.wsa_socket(t, AF_INET, SOCK_DGRAM, IPPROTO_UDP, Ptr::NULL, 0, 0);
        let ev = h.wsa_create_event(t);
        let ov = ov_with(&mut h, ev);
        let sent = out(&mut h);
        let m = wsamsg(&mut h, Some("127.0.0.1:5000"), &[b"abc"], &[]);
        let call = h.wsa_send_msg(t, u, m, 0, sent, ov, Ptr::NULL);
        let ret = (h.done(t, call), h.last_error(t), read_u32(&h, sent));
        if profile == Profile::Documented {
            assert_eq!(ret, (-1, WsaError::WSAEINVAL.0, SENTINEL));
            assert_no_datagram(&mut h, t, r);
        } else {
            // wine-facts O17: performed synchronously; the OVERLAPPED holds the result.
            assert_eq!(ret, (0, 0, 3));
            assert_eq!((internal(&h, ov), internal_high(&h, ov)), (0, 3));
            assert!(signaled(&mut h, t, ev));
            assert_eq!(recv_from(&mut h, t, r).0, b"abc");
        }
    }
}

#[test]
fn malformed_control_data_is_wsaeinval() {
    // Model choice (the seed is silent): a cmsg_len shorter than a WSACMSGHDR, one past
    // the end of Control, or an in_pktinfo of the wrong size.
    let (mut h, t) = started(Profile::Windows, 1);
    let r = udp_bound(&mut h, t, "127.0.0.1:5000");
    let u = udp(&mut h, t);
    let good = pktinfo4("127.0.0.1");
    let mut short = good.clone();
    short[0] = 8;
    let mut long = good.clone();
    long[0] = 200;
    let odd = msg::build_control(&[(IPPROTO_IP, IP_PKTINFO, &[127, 0, 0, 1])]);
    for c in [short, long, odd] {
        let m = wsamsg(&mut h, Some("127.0.0.1:5000"), &[b"abc"], &c);
        assert_eq!(
            send_msg(&mut h, t, u, m, 0),
            (-1, WsaError::WSAEINVAL.0, SENTINEL)
        );
    }
    assert_no_datagram(&mut h, t, r);
}

// ===== WSAEMSGSIZE ========================================================================
// "The socket is message oriented, and the message is larger than the maximum supported
// by the underlying transport." Remarks: "If the data is too long to pass atomically
// through the underlying protocol, the error WSAEMSGSIZE is returned and no data is
// transmitted."

#[test]
fn wsaemsgsize_over_so_max_msg_size_and_nothing_is_transmitted() {
    let (mut h, t) = started(Profile::Windows, 1);
    let r = udp_bound(&mut h, t, "127.0.0.1:5000");
    let u = udp(&mut h, t);
    let v = dword(&mut h, 0);
    let len = dword(&mut h, 4);
    assert_eq!(h.getsockopt(t, u, SOL_SOCKET, SO_MAX_MSG_SIZE, v, len), 0);
    assert_eq!(read_u32(&h, v), 65_507, "wine-facts P5");
    let big = vec![7u8; 65_508];
    assert_eq!(
        send_to_msg(&mut h, t, u, Some("127.0.0.1:5000"), &big),
        (-1, WsaError::WSAEMSGSIZE.0, SENTINEL)
    );
    // Across two buffers: the datagram is their sum.
    let m = wsamsg(
        &mut h,
        Some("127.0.0.1:5000"),
        &[&big[..60_000], &big[60_000..]],
        &[],
    );
    assert_eq!(
        send_msg(&mut h, t, u, m, 0),
        (-1, WsaError::WSAEMSGSIZE.0, SENTINEL)
    );
    assert_no_datagram(&mut h, t, r);
    // "care must be taken not to exceed the maximum message size ... SO_MAX_MSG_SIZE":
    // exactly that size goes through.
    assert_eq!(
        send_to_msg(&mut h, t, u, Some("127.0.0.1:5000"), &big[..65_507]),
        (0, 0, 65_507)
    );
    assert_eq!(recv_from(&mut h, t, r).0.len(), 65_507);
}

#[test]
fn wsaemsgsize_for_a_datagram_over_the_path_mtu_with_ip_dontfragment() {
    let (mut h, t) = started(Profile::Windows, 1);
    let (tb, b) = two_hosts(&mut h, Link::default());
    h.network_mut().set_link_opts(
        HostId(0),
        b,
        LinkOpts {
            mtu: 576,
            loss: Ratio::NEVER,
        },
    );
    let r = udp_bound(&mut h, tb, "10.0.0.2:5000");
    let u = udp(&mut h, t);
    let v = dword(&mut h, SENTINEL);
    let len = dword(&mut h, 4);
    assert_eq!(h.getsockopt(t, u, IPPROTO_IP, IP_DONTFRAGMENT, v, len), 0);
    assert_eq!(read_u32(&h, v), 0, "wine-facts P16: off for UDP");
    let tcp = sock(&mut h, t, AF_INET, SOCK_STREAM, 0);
    assert_eq!(h.getsockopt(t, tcp, IPPROTO_IP, IP_DONTFRAGMENT, v, len), 0);
    assert_eq!(read_u32(&h, v), 1, "wine-facts P16: on for TCP");
    // Without it, a datagram larger than the MTU is fragmented, and arrives whole.
    let data: Vec<u8> = (0..5000u32).map(|i| i as u8).collect();
    assert_eq!(
        send_to_msg(&mut h, t, u, Some("10.0.0.2:5000"), &data),
        (0, 0, 5000)
    );
    assert_eq!(recv_from(&mut h, tb, r).0, data);
    set_int_opt(&mut h, t, u, IPPROTO_IP, IP_DONTFRAGMENT, 1);
    assert_eq!(
        send_to_msg(&mut h, t, u, Some("10.0.0.2:5000"), &data[..549]),
        (-1, WsaError::WSAEMSGSIZE.0, SENTINEL),
        "549 + 8 + 20 > 576"
    );
    assert_eq!(
        send_to_msg(&mut h, t, u, Some("10.0.0.2:5000"), &data[..548]),
        (0, 0, 548)
    );
    assert_eq!(recv_from(&mut h, tb, r).0, &data[..548]);
}

// ===== WSAENETDOWN ========================================================================
// "The network subsystem has failed."

#[test]
fn wsaenetdown_after_network_down_and_a_pending_wsasendmsg_completes_with_it() {
    let (mut h, t) = started(Profile::Windows, 1);
    let (_tb, u, _r) = slow_pair(&mut h, t, 0);
    let ev = h.wsa_create_event(t);
    let ov = ov_with(&mut h, ev);
    let (m, _) = msg100(&mut h, 0);
    let call = h.wsa_send_msg(t, u, m, 0, Ptr::NULL, ov, Ptr::NULL);
    assert_eq!(
        (h.done(t, call), h.last_error(t)),
        (-1, WsaError::WSA_IO_PENDING.0)
    );
    assert!(h.inject(ProviderFault::NetworkDown { host: 0 }));
    assert!(signaled(&mut h, t, ev));
    assert_eq!(
        get_result(&mut h, t, u, ov, false).1,
        WsaError::WSAENETDOWN.0
    );
    assert_eq!(
        send_msg(&mut h, t, u, m, 0),
        (-1, WsaError::WSAENETDOWN.0, SENTINEL)
    );
    assert!(h.inject(ProviderFault::NetworkUp { host: 0 }));
    assert_eq!(send_msg(&mut h, t, u, m, 0), (0, 0, 100));
}

// ===== WSAENETRESET =======================================================================
// "For a datagram socket, this error indicates that the time to live has expired."

#[test]
fn wsaenetreset_on_the_send_after_a_datagram_whose_ttl_expired_at_a_router() {
    let (mut h, t) = started(Profile::Windows, 1);
    let (tb, _, _) = routed_hosts(&mut h);
    let r = udp_bound(&mut h, tb, "10.0.2.1:5000");
    let u = udp(&mut h, t);
    let v = dword(&mut h, 0);
    let len = dword(&mut h, 4);
    assert_eq!(h.getsockopt(t, u, IPPROTO_IP, IP_TTL, v, len), 0);
    assert_eq!(read_u32(&h, v), 128, "the default TTL");
    // Two links: TTL 1 expires at the router, which sends ICMP time exceeded back.
    set_int_opt(&mut h, t, u, IPPROTO_IP, IP_TTL, 1);
    assert_eq!(
        send_to_msg(&mut h, t, u, Some("10.0.2.1:5000"), b"one"),
        (0, 0, 3)
    );
    pass(&mut h, t, 10);
    assert_eq!(net_records(&h, "ttl_expired"), 1);
    assert_eq!(
        send_to_msg(&mut h, t, u, Some("10.0.2.1:5000"), b"two"),
        (-1, WsaError::WSAENETRESET.0, SENTINEL)
    );
    set_int_opt(&mut h, t, u, IPPROTO_IP, IP_TTL, 2);
    assert_eq!(
        send_to_msg(&mut h, t, u, Some("10.0.2.1:5000"), b"three"),
        (0, 0, 5)
    );
    let (got, from) = recv_from(&mut h, tb, r);
    assert_eq!((got.as_slice(), from.ip), (&b"three"[..], ip("10.0.1.1")));
    assert_no_datagram(&mut h, tb, r);
    // The TTL fault does the same without a topology.
    let tg = target(&h, u);
    assert!(h.inject(ProviderFault::TtlExpired(tg)));
    assert_eq!(
        send_to_msg(&mut h, t, u, Some("10.0.2.1:5000"), b"x").1,
        WsaError::WSAENETRESET.0
    );
}

// ===== WSAENETUNREACH =====================================================================
// "The network is unreachable."

#[test]
fn wsaenetunreach_without_a_route_and_the_same_routes_serve_streams() {
    let (mut h, t) = started(Profile::Windows, 1);
    let (tb, _, _) = routed_hosts(&mut h);
    let u = udp(&mut h, t);
    assert_eq!(
        send_to_msg(&mut h, t, u, Some("192.168.7.7:5000"), b"x"),
        (-1, WsaError::WSAENETUNREACH.0, SENTINEL)
    );
    assert_eq!(
        sendto(&mut h, t, u, b"x", "192.168.7.7:5000"),
        (-1, WsaError::WSAENETUNREACH.0)
    );
    // TCP through the router works; without a route, connect is WSAENETUNREACH.
    let l = sock(&mut h, tb, AF_INET, SOCK_STREAM, 0);
    let (a, n) = sockaddr(&mut h, "10.0.2.1:80");
    assert_eq!(h.bind(tb, l, a, n), 0);
    assert_eq!(h.listen(tb, l, 5), 0);
    let c = sock(&mut h, t, AF_INET, SOCK_STREAM, 0);
    let call = h.connect(t, c, a, n);
    assert_eq!(h.done(t, call), 0, "connect through r: {}", h.last_error(t));
    let c2 = sock(&mut h, t, AF_INET, SOCK_STREAM, 0);
    let (a, n) = sockaddr(&mut h, "192.168.7.7:80");
    let call = h.connect(t, c2, a, n);
    assert_eq!(
        (h.done(t, call), h.last_error(t)),
        (-1, WsaError::WSAENETUNREACH.0)
    );
}

// ===== WSAENOBUFS =========================================================================
// "The Windows Sockets provider reports a buffer deadlock."

#[test]
fn wsaenobufs_on_buffer_deadlock_then_sends_resume() {
    let (mut h, t) = started(Profile::Windows, 1);
    let r = udp_bound(&mut h, t, "127.0.0.1:5000");
    let u = udp(&mut h, t);
    let m = wsamsg(&mut h, Some("127.0.0.1:5000"), &[b"abc"], &[]);
    assert_eq!(send_msg(&mut h, t, u, m, 0), (0, 0, 3), "bound now");
    let tg = target(&h, u);
    assert!(h.inject(ProviderFault::BufferDeadlock(tg, 1)));
    assert_eq!(
        send_msg(&mut h, t, u, m, 0),
        (-1, WsaError::WSAENOBUFS.0, SENTINEL)
    );
    assert_eq!(send_msg(&mut h, t, u, m, 0), (0, 0, 3));
    assert_eq!(recv_from(&mut h, t, r).0, b"abc");
    assert_eq!(recv_from(&mut h, t, r).0, b"abc");
    assert_no_datagram(&mut h, t, r);
}

// ===== WSAENOTCONN ========================================================================
// "The socket is not connected."

#[test]
fn wsaenotconn_without_a_name_on_an_unconnected_socket() {
    // wine-facts E17, bound or not; sendto / WSASendTo without an address answer
    // "A destination address is required".
    let (mut h, t) = started(Profile::Windows, 1);
    for bound in [false, true] {
        let u = if bound {
            udp_bound(&mut h, t, "127.0.0.1:0")
        } else {
            udp(&mut h, t)
        };
        assert_eq!(
            send_to_msg(&mut h, t, u, None, b"x"),
            (-1, WsaError::WSAENOTCONN.0, SENTINEL)
        );
        let buf = bytes(&mut h, b"x");
        let call = h.sendto(t, u, buf, 1, 0, Ptr::NULL, 0);
        assert_eq!(
            (h.done(t, call), h.last_error(t)),
            (-1, WsaError::WSAEDESTADDRREQ.0)
        );
    }
}

// ===== WSAENOTSOCK ========================================================================
// "The descriptor is not a socket."

#[test]
fn wsaenotsock_before_any_pointer_is_checked() {
    // wine-facts E6 (a valid message, NULL count); E3 for WSASendTo.
    let (mut h, t) = started(Profile::Windows, 1);
    let m = wsamsg(&mut h, Some("127.0.0.1:139"), &[b"hello world\0"], &[]);
    let call = h.wsa_send_msg(t, INVALID_SOCKET, m, 0, Ptr::NULL, Ptr::NULL, Ptr::NULL);
    assert_eq!(
        (h.done(t, call), h.last_error(t)),
        (-1, WsaError::WSAENOTSOCK.0)
    );
    let call = h.wsa_send_msg(
        t,
        INVALID_SOCKET,
        Ptr::NULL,
        0,
        Ptr::NULL,
        Ptr::NULL,
        Ptr::NULL,
    );
    assert_eq!(h.done(t, call), -1);
    assert_eq!(
        h.last_error(t),
        WsaError::WSAENOTSOCK.0,
        "the socket before the message"
    );
    let buf = bytes(&mut h, b"hello world\0");
    let arr = wsabufs(&mut h, &[(buf, 12)]);
    let (a, n) = sockaddr(&mut h, "127.0.0.1:139");
    let call = h.wsa_send_to(
        t,
        INVALID_SOCKET,
        arr,
        1,
        Ptr::NULL,
        0,
        a,
        n,
        Ptr::NULL,
        Ptr::NULL,
    );
    assert_eq!(
        (h.done(t, call), h.last_error(t)),
        (-1, WsaError::WSAENOTSOCK.0)
    );
    // A closed socket and an event handle are not sockets either.
    let u = udp(&mut h, t);
    let call = h.closesocket(t, u);
    assert_eq!(h.done(t, call), 0);
    let ev = h.wsa_create_event(t);
    for s in [u, ev] {
        assert_eq!(
            send_msg(&mut h, t, s, m, 0),
            (-1, WsaError::WSAENOTSOCK.0, SENTINEL)
        );
    }
}

// ===== WSAEOPNOTSUPP ======================================================================
// "The socket operation is not supported. This error is returned if the dwFlags member of
// the WSAMSG structure pointed to by the lpMsg parameter includes any control flags
// invalid for WSASendMsg."

#[test]
fn wsaeopnotsupp_for_flags_outside_dontroute_partial_and_oob() {
    // "The dwFlags parameter can only contain a combination of the following control
    // flags: MSG_DONTROUTE, MSG_PARTIAL, and MSG_OOB."
    let (mut h, t) = started(Profile::Windows, 1);
    let r = udp_bound(&mut h, t, "127.0.0.1:5000");
    let u = udp(&mut h, t);
    let m = wsamsg(&mut h, Some("127.0.0.1:5000"), &[b"abc"], &[]);
    for f in [
        MSG_PEEK,
        MSG_WAITALL,
        MSG_PUSH_IMMEDIATE,
        MSG_TRUNC,
        0x10000,
        MSG_DONTROUTE | MSG_PEEK,
    ] {
        assert_eq!(
            send_msg(&mut h, t, u, m, f),
            (-1, WsaError::WSAEOPNOTSUPP.0, SENTINEL),
            "{f:#x}"
        );
    }
    // The three allowed flags: MSG_PARTIAL "WSAEOPNOTSUPP will be returned by transports
    // that do not support partial message transmissions" (UDP does not), MSG_OOB is for
    // stream sockets only; MSG_DONTROUTE "A Windows Sockets service provider can choose
    // to ignore this flag".
    assert_eq!(
        send_msg(&mut h, t, u, m, MSG_PARTIAL).1,
        WsaError::WSAEOPNOTSUPP.0
    );
    assert_eq!(
        send_msg(&mut h, t, u, m, MSG_OOB).1,
        WsaError::WSAEOPNOTSUPP.0
    );
    assert_no_datagram(&mut h, t, r);
    assert_eq!(send_msg(&mut h, t, u, m, MSG_DONTROUTE), (0, 0, 3));
    assert_eq!(recv_from(&mut h, t, r).0, b"abc");
}

#[test]
fn wsaeopnotsupp_for_control_messages_wsasendmsg_does_not_support() {
    // Control objects other than IP_PKTINFO / IPV6_PKTINFO.
    let (mut h, t) = started(Profile::Windows, 1);
    let r = udp_bound(&mut h, t, "127.0.0.1:5000");
    let u = udp(&mut h, t);
    for (level, ty) in [(IPPROTO_IP, IP_TTL), (SOL_SOCKET, 1), (IPPROTO_IPV6, 47)] {
        let c = msg::build_control(&[(level, ty, &[1, 0, 0, 0])]);
        let m = wsamsg(&mut h, Some("127.0.0.1:5000"), &[b"abc"], &c);
        assert_eq!(
            send_msg(&mut h, t, u, m, 0),
            (-1, WsaError::WSAEOPNOTSUPP.0, SENTINEL)
        );
    }
    assert_no_datagram(&mut h, t, r);
}

// ===== WSAESHUTDOWN =======================================================================
// "The socket has been shut down; it is not possible to call the WSASendMsg function on a
// socket after shutdown has been invoked with how set to SD_SEND or SD_BOTH."

#[test]
fn wsaeshutdown_after_shutdown_sd_send_or_sd_both_not_sd_receive() {
    // wine-facts E20 (sendto after SD_SEND on an unconnected UDP socket, which shutdown
    // accepts, even twice).
    let (mut h, t) = started(Profile::Windows, 1);
    let r = udp_bound(&mut h, t, "127.0.0.1:5000");
    for how in [SD_SEND, SD_BOTH] {
        let u = udp(&mut h, t);
        assert_eq!(h.shutdown(t, u, how), 0);
        assert_eq!(h.shutdown(t, u, how), 0);
        assert_eq!(h.last_error(t), 0, "wine-facts L7");
        assert_eq!(
            send_to_msg(&mut h, t, u, Some("127.0.0.1:5000"), b"x"),
            (-1, WsaError::WSAESHUTDOWN.0, SENTINEL)
        );
        assert_eq!(
            sendto(&mut h, t, u, b"x", "127.0.0.1:5000"),
            (-1, WsaError::WSAESHUTDOWN.0)
        );
    }
    let u = udp(&mut h, t);
    assert_eq!(h.shutdown(t, u, SD_RECEIVE), 0);
    assert_eq!(
        send_to_msg(&mut h, t, u, Some("127.0.0.1:5000"), b"y"),
        (0, 0, 1)
    );
    assert_eq!(recv_from(&mut h, t, r).0, b"y");
}

// ===== WSAETIMEDOUT =======================================================================
// "The socket timed out. This error is returned if the socket had a wait timeout specified
// using the SO_SNDTIMEO socket option and the timeout was exceeded."

#[test]
fn wsaetimedout_when_a_blocking_wsasendmsg_waits_longer_than_so_sndtimeo() {
    let (mut h, t) = started(Profile::Windows, 1);
    let (tb, u, r) = slow_pair(&mut h, t, 1);
    set_int_opt(&mut h, t, u, SOL_SOCKET, SO_SNDTIMEO, 50);
    let (m1, d1) = msg100(&mut h, 1);
    assert_eq!(send_msg(&mut h, t, u, m1, 0), (0, 0, 100));
    let (m2, _) = msg100(&mut h, 2);
    let sent = out(&mut h);
    let start = h.now();
    let call = h.wsa_send_msg(t, u, m2, 0, sent, Ptr::NULL, Ptr::NULL);
    assert_eq!(call, Call::Blocked);
    assert_eq!(
        (h.done(t, call), h.last_error(t)),
        (-1, WsaError::WSAETIMEDOUT.0)
    );
    assert!(h.now() >= start + Duration::from_millis(50));
    assert!(
        h.now() < start + Duration::from_millis(128),
        "before the buffer drained"
    );
    assert_eq!(read_u32(&h, sent), SENTINEL);
    // The timed-out datagram was never sent; an overlapped one ignores SO_SNDTIMEO.
    assert_eq!(recv_from(&mut h, tb, r).0, d1);
    pass(&mut h, t, 500);
    assert_no_datagram(&mut h, tb, r);
}

// ===== WSAEWOULDBLOCK =====================================================================
// "Overlapped sockets: There are too many outstanding overlapped I/O requests.
// Nonoverlapped sockets: The socket is marked as nonblocking and the send operation cannot
// be completed immediately."

#[test]
fn wsaewouldblock_for_a_nonblocking_wsasendmsg_while_the_datagram_buffer_is_full() {
    let (mut h, t) = started(Profile::Windows, 1);
    let (tb, u, r) = slow_pair(&mut h, t, 1);
    nonblocking(&mut h, t, u, true);
    let (m1, d1) = msg100(&mut h, 1);
    assert_eq!(send_msg(&mut h, t, u, m1, 0), (0, 0, 100));
    let (m2, d2) = msg100(&mut h, 2);
    assert_eq!(
        send_msg(&mut h, t, u, m2, 0),
        (-1, WsaError::WSAEWOULDBLOCK.0, SENTINEL)
    );
    pass(&mut h, t, 200);
    assert_eq!(
        send_msg(&mut h, t, u, m2, 0),
        (0, 0, 100),
        "room again once off the wire"
    );
    assert_eq!(recv_from(&mut h, tb, r).0, d1);
    assert_eq!(recv_from(&mut h, tb, r).0, d2);
}

#[test]
fn wsaewouldblock_for_an_overlapped_wsasendmsg_with_too_many_outstanding() {
    let (mut h, t) = started(Profile::Windows, 1);
    let r = udp_bound(&mut h, t, "127.0.0.1:5000");
    let u = udp(&mut h, t);
    let tg = target(&h, u);
    assert!(h.inject(ProviderFault::TooManyOutstanding(tg, 1)));
    let ev = h.wsa_create_event(t);
    let ov = ov_with(&mut h, ev);
    let m = wsamsg(&mut h, Some("127.0.0.1:5000"), &[b"abc"], &[]);
    let call = h.wsa_send_msg(t, u, m, 0, Ptr::NULL, ov, Ptr::NULL);
    assert_eq!(
        (h.done(t, call), h.last_error(t)),
        (-1, WsaError::WSAEWOULDBLOCK.0)
    );
    assert!(!signaled(&mut h, t, ev), "not initiated: no completion");
    assert_no_datagram(&mut h, t, r);
    let call = h.wsa_send_msg(t, u, m, 0, Ptr::NULL, ov, Ptr::NULL);
    assert_eq!(h.done(t, call), 0);
    assert_eq!(recv_from(&mut h, t, r).0, b"abc");
}

// ===== WSANOTINITIALISED ==================================================================

#[test]
fn wsanotinitialised_before_wsastartup_and_after_the_last_wsacleanup() {
    let mut h = Harness::new(Config::new(1, Profile::Windows));
    let t = h.main_thread();
    let m = raw_msg(&mut h, WsaMsg::default());
    let call = h.wsa_send_msg(t, 4, m, 0, Ptr::NULL, Ptr::NULL, Ptr::NULL);
    assert_eq!(
        (h.done(t, call), h.last_error(t)),
        (-1, WsaError::WSANOTINITIALISED.0)
    );
    let (mut h, t) = started(Profile::Windows, 1);
    let u = udp(&mut h, t);
    let m = wsamsg(&mut h, Some("127.0.0.1:5000"), &[b"x"], &[]);
    assert_eq!(h.wsa_cleanup(t), 0);
    assert_eq!(
        send_msg(&mut h, t, u, m, 0),
        (-1, WsaError::WSANOTINITIALISED.0, SENTINEL)
    );
}

// ===== WSA_IO_PENDING =====================================================================
// "An overlapped operation was successfully initiated and completion will be indicated at
// a later time."

#[test]
fn wsa_io_pending_until_the_datagram_is_off_the_wire_then_event_and_overlapped_report_it() {
    // Remarks: "once the buffer or buffers have been consumed by the transport, a
    // completion routine is triggered or an event object is set"; "In this case,
    // lpNumberOfBytesSent is not updated."
    let (mut h, t) = started(Profile::Windows, 1);
    let (tb, u, r) = slow_pair(&mut h, t, 0);
    let ev = h.wsa_create_event(t);
    let ov = ov_with(&mut h, ev);
    let sent = out(&mut h);
    let (m, data) = msg100(&mut h, 3);
    let call = h.wsa_send_msg(t, u, m, 0, sent, ov, Ptr::NULL);
    assert_eq!(
        (h.done(t, call), h.last_error(t)),
        (-1, WsaError::WSA_IO_PENDING.0)
    );
    assert_eq!(internal(&h, ov), STATUS_PENDING);
    assert_eq!(internal_high(&h, ov), u64::from(SENTINEL));
    assert_eq!(read_u32(&h, sent), SENTINEL);
    assert!(!signaled(&mut h, t, ev));
    assert_eq!(
        get_result(&mut h, t, u, ov, false).1,
        WsaError::WSA_IO_INCOMPLETE.0
    );
    pass(&mut h, t, 100);
    assert!(
        !signaled(&mut h, t, ev),
        "128 bytes at 1000 B/s take 128 ms"
    );
    pass(&mut h, t, 50);
    assert!(signaled(&mut h, t, ev));
    assert_eq!((internal(&h, ov), internal_high(&h, ov)), (0, 100));
    assert_eq!(get_result(&mut h, t, u, ov, false), (1, 0, 100, 0));
    assert_eq!(read_u32(&h, sent), SENTINEL, "never updated after a pend");
    let (got, from) = recv_from(&mut h, tb, r);
    assert_eq!((got, from.ip), (data, ip("10.0.0.1")));
}

#[test]
fn wsa_io_pending_accepts_a_null_count_and_a_nonblocking_socket_pends_rather_than_failing() {
    // "Use NULL for this parameter if the lpOverlapped parameter is not NULL"; "For
    // overlapped sockets, sending information uses overlapped I/O unless both
    // lpOverlapped and lpCompletionRoutine are NULL".
    let (mut h, t) = started(Profile::Windows, 1);
    let (_tb, u, _r) = slow_pair(&mut h, t, 1);
    nonblocking(&mut h, t, u, true);
    let (m, _) = msg100(&mut h, 0);
    assert_eq!(send_msg(&mut h, t, u, m, 0), (0, 0, 100));
    assert_eq!(send_msg(&mut h, t, u, m, 0).1, WsaError::WSAEWOULDBLOCK.0);
    let ev = h.wsa_create_event(t);
    let ov = ov_with(&mut h, ev);
    let call = h.wsa_send_msg(t, u, m, 0, Ptr::NULL, ov, Ptr::NULL);
    assert_eq!(
        (h.done(t, call), h.last_error(t)),
        (-1, WsaError::WSA_IO_PENDING.0)
    );
    pass(&mut h, t, 200);
    assert!(signaled(&mut h, t, ev));
    assert_eq!(get_result(&mut h, t, u, ov, true), (1, 0, 100, 0));
}

// ===== WSA_OPERATION_ABORTED ==============================================================
// "The overlapped operation has been canceled due to the closure of the socket or due to
// the execution of the SIO_FLUSH command in WSAIoctl."

#[test]
fn wsa_operation_aborted_when_the_socket_is_closed_with_a_pending_wsasendmsg() {
    let (mut h, t) = started(Profile::Windows, 1);
    let (_tb, u, _r) = slow_pair(&mut h, t, 0);
    let ev = h.wsa_create_event(t);
    let ov = ov_with(&mut h, ev);
    let (m, _) = msg100(&mut h, 0);
    let (routine, calls) = recorder(&mut h);
    let ov2 = ov_with(&mut h, 0);
    let call = h.wsa_send_msg(t, u, m, 0, Ptr::NULL, ov, Ptr::NULL);
    assert_eq!(h.done(t, call), -1);
    let call = h.wsa_send_msg(t, u, m, 0, Ptr::NULL, ov2, routine);
    assert_eq!(
        (h.done(t, call), h.last_error(t)),
        (-1, WsaError::WSA_IO_PENDING.0)
    );
    let call = h.closesocket(t, u);
    assert_eq!(h.done(t, call), 0);
    assert!(signaled(&mut h, t, ev));
    assert_eq!(
        (internal(&h, ov), internal_high(&h, ov)),
        (STATUS_CANCELLED, 0)
    );
    assert_eq!(sleep_alertable(&mut h, t, 0), i64::from(WAIT_IO_COMPLETION));
    assert_eq!(
        *calls.borrow(),
        vec![(WsaError::WSA_OPERATION_ABORTED.0, 0, ov2, 0)]
    );
}

#[test]
fn sio_flush_is_not_supported_so_it_aborts_nothing() {
    // wine-facts X12, O9: WSAEOPNOTSUPP (size 0); overlapped: pending, then
    // STATUS_NOT_SUPPORTED, the count untouched.
    let (mut h, t) = started(Profile::Windows, 1);
    let (_tb, u, _r) = slow_pair(&mut h, t, 0);
    let ev = h.wsa_create_event(t);
    let ov = ov_with(&mut h, ev);
    let (m, _) = msg100(&mut h, 0);
    let call = h.wsa_send_msg(t, u, m, 0, Ptr::NULL, ov, Ptr::NULL);
    assert_eq!(h.done(t, call), -1);
    let size = out(&mut h);
    let call = h.wsa_ioctl(
        t,
        u,
        SIO_FLUSH,
        Ptr::NULL,
        0,
        Ptr::NULL,
        0,
        size,
        Ptr::NULL,
        Ptr::NULL,
    );
    assert_eq!(
        (h.done(t, call), h.last_error(t), read_u32(&h, size)),
        (-1, WsaError::WSAEOPNOTSUPP.0, 0)
    );
    let ev2 = h.wsa_create_event(t);
    let ov2 = ov_with(&mut h, ev2);
    let size = out(&mut h);
    let call = h.wsa_ioctl(
        t,
        u,
        SIO_FLUSH,
        Ptr::NULL,
        0,
        Ptr::NULL,
        0,
        size,
        ov2,
        Ptr::NULL,
    );
    assert_eq!(
        (h.done(t, call), h.last_error(t)),
        (-1, WsaError::WSA_IO_PENDING.0)
    );
    assert_eq!(read_u32(&h, size), SENTINEL);
    assert_eq!(
        (internal(&h, ov2), internal_high(&h, ov2)),
        (0xC000_00BB, 0)
    );
    assert_eq!(
        internal(&h, ov),
        STATUS_PENDING,
        "the send is still pending"
    );
    pass(&mut h, t, 200);
    assert_eq!(internal(&h, ov), 0);
}

// ===== Remarks ============================================================================

#[test]
fn wsasendmsg_can_be_used_in_place_of_wsasend_and_wsasendto() {
    // "The WSASendMsg function can be used in place of the WSASend and WSASendTo
    // functions." The same datagram three ways; L3, L4 and E5 on the way.
    let (mut h, t) = started(Profile::Windows, 1);
    let r = udp_bound(&mut h, t, "127.0.0.1:5000");
    let u = udp(&mut h, t);
    assert_eq!(sockname(&mut h, t, u), Err(WsaError::WSAEINVAL.0));
    // WSASendTo (E5: last error 0, implicitly bound to AF_INET and a port).
    let buf = bytes(&mut h, b"same");
    let arr = wsabufs(&mut h, &[(buf, 4)]);
    let (a, n) = sockaddr(&mut h, "127.0.0.1:5000");
    let sent = out(&mut h);
    h.wsa_set_last_error(t, 12345);
    let call = h.wsa_send_to(t, u, arr, 1, sent, 0, a, n, Ptr::NULL, Ptr::NULL);
    assert_eq!(
        (h.done(t, call), h.last_error(t), read_u32(&h, sent)),
        (0, 0, 4)
    );
    let me = sockname(&mut h, t, u).expect("bound by WSASendTo");
    assert_ne!(me.port, 0);
    // WSASendMsg with a name (L4).
    h.wsa_set_last_error(t, 12345);
    assert_eq!(
        send_to_msg(&mut h, t, u, Some("127.0.0.1:5000"), b"same"),
        (0, 0, 4)
    );
    // WSASend on the connected socket, and WSASendMsg without a name.
    let call = h.connect(t, u, a, n);
    assert_eq!(h.done(t, call), 0);
    let call = h.wsa_send(t, u, arr, 1, sent, 0, Ptr::NULL, Ptr::NULL);
    assert_eq!(h.done(t, call), 0);
    assert_eq!(send_to_msg(&mut h, t, u, None, b"same"), (0, 0, 4));
    for _ in 0..4 {
        let (got, from) = recv_from(&mut h, t, r);
        assert_eq!(
            (got.as_slice(), from),
            (&b"same"[..], SockAddr::new(ip("127.0.0.1"), me.port))
        );
    }
}

#[test]
fn wsasendmsg_works_on_datagram_and_raw_sockets_and_raw_carries_its_protocol() {
    // "The WSASendMsg function can only be used with datagrams and raw sockets. The
    // socket descriptor in the s parameter must be opened with the socket type set to
    // SOCK_DGRAM or SOCK_RAW."
    let (mut h, t) = started(Profile::Windows, 1);
    let (tb, _) = two_hosts(&mut h, Link::default());
    let raw_a = sock(&mut h, t, AF_INET, SOCK_RAW, 253);
    let v = dword(&mut h, 0);
    let len = dword(&mut h, 4);
    assert_eq!(h.getsockopt(t, raw_a, SOL_SOCKET, SO_TYPE, v, len), 0);
    assert_eq!(read_u32(&h, v), SOCK_RAW as u32);
    let raw_b = sock(&mut h, tb, AF_INET, SOCK_RAW, 253);
    let other = sock(&mut h, tb, AF_INET, SOCK_RAW, 254);
    for s in [raw_b, other] {
        let (a, n) = sockaddr(&mut h, "10.0.0.2:0");
        assert_eq!(h.bind(tb, s, a, n), 0);
    }
    let udp_b = udp_bound(&mut h, tb, "10.0.0.2:0");
    assert_eq!(
        send_to_msg(&mut h, t, raw_a, Some("10.0.0.2:0"), b"proto 253"),
        (0, 0, 9)
    );
    let (got, from) = recv_from(&mut h, tb, raw_b);
    assert_eq!(
        (got.as_slice(), from),
        (&b"proto 253"[..], SockAddr::new(ip("10.0.0.1"), 0))
    );
    assert_no_datagram(&mut h, tb, other);
    assert_no_datagram(&mut h, tb, udp_b);
    assert_eq!(sendto(&mut h, t, raw_a, b"again", "10.0.0.2:0"), (5, 0));
    assert_eq!(recv_from(&mut h, tb, raw_b).0, b"again");
}

#[test]
fn wsamsg_dwflags_is_ignored_on_input_and_not_used_on_output() {
    // "The dwFlags member of the WSAMSG structure pointed to by the lpMsg parameter is
    // ignored on input and not used on output."
    let (mut h, t) = started(Profile::Windows, 1);
    let r = udp_bound(&mut h, t, "127.0.0.1:5000");
    let u = udp(&mut h, t);
    let p0 = wsamsg(&mut h, Some("127.0.0.1:5000"), &[b"abc"], &[]);
    let mut m = read_msg(&h, p0);
    m.flags = 0xFFFF_FFFF;
    let p = raw_msg(&mut h, m);
    assert_eq!(send_msg(&mut h, t, u, p, 0), (0, 0, 3));
    assert_eq!(read_msg(&h, p).flags, 0xFFFF_FFFF);
    let ev = h.wsa_create_event(t);
    let ov = ov_with(&mut h, ev);
    let call = h.wsa_send_msg(t, u, p, 0, Ptr::NULL, ov, Ptr::NULL);
    assert_eq!(h.done(t, call), 0);
    assert!(signaled(&mut h, t, ev));
    assert_eq!(read_msg(&h, p), m, "the whole WSAMSG is left alone");
    assert_eq!(recv_from(&mut h, t, r).0, b"abc");
    assert_eq!(recv_from(&mut h, t, r).0, b"abc");
}

#[test]
fn one_datagram_per_call_whatever_the_number_of_buffers() {
    // wine-facts E10, E11: 12 bytes, then 12 + 6 bytes in two buffers as one datagram;
    // E12: the successful call bound the socket to 0.0.0.0:ephemeral.
    let (mut h, t) = started(Profile::Windows, 1);
    let dst = udp_bound(&mut h, t, "127.0.0.1:0");
    let port = sockname(&mut h, t, dst).unwrap().port;
    let to = format!("127.0.0.1:{port}");
    let u = udp(&mut h, t);
    let m = wsamsg(&mut h, Some(&to), &[b"hello world\0"], &[]);
    assert_eq!(send_msg(&mut h, t, u, m, 0), (0, 0, 12));
    let (got, _) = recv_from(&mut h, t, dst);
    assert_eq!(got, b"hello world\0");
    let me = sockname(&mut h, t, u).unwrap();
    assert_eq!(me.ip, ip("0.0.0.0"));
    assert_ne!(me.port, 0);
    let m = wsamsg(&mut h, Some(&to), &[b"hello world\0", b"hello "], &[]);
    assert_eq!(send_msg(&mut h, t, u, m, 0), (0, 0, 18));
    assert_eq!(recv_from(&mut h, t, dst).0, b"hello world\0hello ");
    // No buffers at all: one empty datagram.
    let m = wsamsg(&mut h, Some(&to), &[], &[]);
    assert_eq!(send_msg(&mut h, t, u, m, 0), (0, 0, 0));
    assert_eq!(recv_from(&mut h, t, dst).0, b"");
    assert_no_datagram(&mut h, t, dst);
}

#[test]
fn nonoverlapped_wsasendmsg_copies_the_data_at_once() {
    // "For nonoverlapped sockets ... data is copied from the buffer or buffers into the
    // transport's buffer."
    let (mut h, t) = started(Profile::Windows, 1);
    let (tb, u, r) = slow_pair(&mut h, t, 64 * 1024);
    let buf = bytes(&mut h, b"before");
    let arr = wsabufs(&mut h, &[(buf, 6)]);
    let (a, n) = sockaddr(&mut h, "10.0.0.2:5000");
    let m = raw_msg(
        &mut h,
        WsaMsg {
            name: a,
            namelen: n,
            buffers: arr,
            buffer_count: 1,
            ..WsaMsg::default()
        },
    );
    assert_eq!(send_msg(&mut h, t, u, m, 0), (0, 0, 6));
    h.mem_mut().write(buf, b"after!").unwrap();
    assert_eq!(recv_from(&mut h, tb, r).0, b"before");
}

#[test]
fn a_nonblocking_datagram_send_is_never_partial() {
    // "If the socket is nonblocking and stream oriented ... only part of the
    // application's buffers" does not apply to datagrams: all or WSAEWOULDBLOCK.
    let (mut h, t) = started(Profile::Documented, 3);
    let (tb, u, r) = slow_pair(&mut h, t, 1);
    nonblocking(&mut h, t, u, true);
    let mut sent = Vec::new();
    for i in 0..6u8 {
        let (m, d) = msg100(&mut h, i);
        let (ret, e, n) = send_msg(&mut h, t, u, m, 0);
        match ret {
            0 => {
                assert_eq!(n, 100);
                sent.push(d);
            }
            _ => assert_eq!((e, n), (WsaError::WSAEWOULDBLOCK.0, SENTINEL)),
        }
    }
    pass(&mut h, t, 1000);
    for d in sent {
        assert_eq!(recv_from(&mut h, tb, r).0, d);
    }
}

#[test]
fn a_blocking_wsasendmsg_waits_until_the_buffer_takes_its_datagram() {
    // "this buffer situation on a blocking socket results in WSASendMsg blocking until
    // all of the application's buffer contents have been consumed."
    let (mut h, t) = started(Profile::Windows, 1);
    let (tb, u, r) = slow_pair(&mut h, t, 1);
    let (m1, d1) = msg100(&mut h, 1);
    let (m2, d2) = msg100(&mut h, 2);
    assert_eq!(send_msg(&mut h, t, u, m1, 0), (0, 0, 100));
    let start = h.now();
    let sent = out(&mut h);
    let call = h.wsa_send_msg(t, u, m2, 0, sent, Ptr::NULL, Ptr::NULL);
    assert_eq!(call, Call::Blocked);
    assert_eq!(
        (h.done(t, call), h.last_error(t), read_u32(&h, sent)),
        (0, 0, 100)
    );
    assert!(h.now() >= start + Duration::from_millis(128));
    assert_eq!(recv_from(&mut h, tb, r).0, d1);
    assert_eq!(recv_from(&mut h, tb, r).0, d2);
    // With SO_SNDBUF = 0 even the first send waits until its datagram is off the wire.
    set_int_opt(&mut h, t, u, SOL_SOCKET, SO_SNDBUF, 0);
    pass(&mut h, t, 500);
    let start = h.now();
    assert_eq!(send_msg(&mut h, t, u, m1, 0), (0, 0, 100));
    assert_eq!(h.now(), start + Duration::from_millis(128));
}

#[test]
fn the_wsabuf_array_and_the_wsamsg_are_captured_before_a_pending_call_returns() {
    // "it is the Winsock service provider's responsibility to capture this WSABUF
    // structure before returning from this call. This enables applications to build
    // stack-based WSABUF arrays pointed to by the lpBuffers member of the WSAMSG".
    let (mut h, t) = started(Profile::Windows, 1);
    let (tb, u, r) = slow_pair(&mut h, t, 1);
    let (m1, d1) = msg100(&mut h, 1);
    assert_eq!(send_msg(&mut h, t, u, m1, 0), (0, 0, 100));
    let data = b"captured".to_vec();
    let buf = bytes(&mut h, &data);
    let arr = wsabufs(&mut h, &[(buf, 8)]);
    let (a, n) = sockaddr(&mut h, "10.0.0.2:5000");
    let m = raw_msg(
        &mut h,
        WsaMsg {
            name: a,
            namelen: n,
            buffers: arr,
            buffer_count: 1,
            ..WsaMsg::default()
        },
    );
    let ev = h.wsa_create_event(t);
    let ov = ov_with(&mut h, ev);
    let call = h.wsa_send_msg(t, u, m, 0, Ptr::NULL, ov, Ptr::NULL);
    assert_eq!(
        (h.done(t, call), h.last_error(t)),
        (-1, WsaError::WSA_IO_PENDING.0)
    );
    // The stack frame goes away: the WSABUF array, the WSAMSG and the name with it.
    h.sim().free(arr);
    h.sim().free(m);
    h.sim().free(a);
    pass(&mut h, t, 500);
    assert!(signaled(&mut h, t, ev));
    assert_eq!(internal(&h, ov), 0);
    assert_eq!(recv_from(&mut h, tb, r).0, d1);
    assert_eq!(recv_from(&mut h, tb, r).0, data);
}

#[test]
fn in_pktinfo_chooses_the_ipv4_source_address_and_the_receiver_sees_it() {
    // "On an IPv4 socket of type SOCK_DGRAM or SOCK_RAW, an application can specific the
    // local IP source address to use for sending ... an in_pktinfo structure".
    let (mut h, t) = started(Profile::Windows, 1);
    let (tb, _) = two_hosts(&mut h, Link::default());
    h.network_mut().add_address(HostId(0), ip("10.0.0.11"), 24);
    let r = udp_bound(&mut h, tb, "10.0.0.2:5000");
    let u = udp(&mut h, t);
    assert_eq!(
        send_to_msg(&mut h, t, u, Some("10.0.0.2:5000"), b"default"),
        (0, 0, 7)
    );
    assert_eq!(recv_from(&mut h, tb, r).1.ip, ip("10.0.0.1"));
    let c = pktinfo4("10.0.0.11");
    let m = wsamsg(&mut h, Some("10.0.0.2:5000"), &[b"chosen"], &c);
    assert_eq!(send_msg(&mut h, t, u, m, 0), (0, 0, 6));
    let (got, from) = recv_from(&mut h, tb, r);
    assert_eq!((got.as_slice(), from.ip), (&b"chosen"[..], ip("10.0.0.11")));
    assert_eq!(from.port, sockname(&mut h, t, u).unwrap().port);
    // INADDR_ANY in in_pktinfo leaves the choice to the stack; an address the host does
    // not have is WSAEADDRNOTAVAIL (model choice).
    let m = wsamsg(
        &mut h,
        Some("10.0.0.2:5000"),
        &[b"any"],
        &pktinfo4("0.0.0.0"),
    );
    assert_eq!(send_msg(&mut h, t, u, m, 0), (0, 0, 3));
    assert_eq!(recv_from(&mut h, tb, r).1.ip, ip("10.0.0.1"));
    let m = wsamsg(
        &mut h,
        Some("10.0.0.2:5000"),
        &[b"x"],
        &pktinfo4("10.0.0.99"),
    );
    assert_eq!(
        send_msg(&mut h, t, u, m, 0),
        (-1, WsaError::WSAEADDRNOTAVAIL.0, SENTINEL)
    );
    assert_no_datagram(&mut h, tb, r);
}

#[test]
fn in6_pktinfo_chooses_the_ipv6_source_address_and_the_receiver_sees_it() {
    // "On an IPv6 socket of type SOCK_DGRAM or SOCK_RAW ... an in6_pktinfo structure".
    let (mut h, t) = started(Profile::Windows, 1);
    let (tb, b) = two_hosts(&mut h, Link::default());
    let net = h.network_mut();
    net.add_address(HostId(0), ip("2001:db8::1"), 64);
    net.add_address(HostId(0), ip("2001:db8::11"), 64);
    net.add_address(b, ip("2001:db8::2"), 64);
    let r = udp_bound(&mut h, tb, "[2001:db8::2]:5000");
    let u = udp6(&mut h, t);
    assert_eq!(
        send_to_msg(&mut h, t, u, Some("[2001:db8::2]:5000"), b"a"),
        (0, 0, 1)
    );
    assert_eq!(recv_from(&mut h, tb, r).1.ip, ip("2001:db8::1"));
    let m = wsamsg(
        &mut h,
        Some("[2001:db8::2]:5000"),
        &[b"b"],
        &pktinfo6("2001:db8::11"),
    );
    assert_eq!(send_msg(&mut h, t, u, m, 0), (0, 0, 1));
    assert_eq!(recv_from(&mut h, tb, r).1.ip, ip("2001:db8::11"));
}

#[test]
fn a_dual_stack_socket_takes_in_pktinfo_for_ipv4_mapped_and_in6_pktinfo_for_ipv6_destinations() {
    // "When sending to an IPv4 destination address or an IPv4-mapped IPv6 destination
    // address, ... an in_pktinfo structure"; "When sending to an IPv6 destination address
    // that is not a an IPv4-mapped IPv6 address, ... an in6_pktinfo structure".
    let (mut h, t) = started(Profile::Windows, 1);
    let (tb, b) = two_hosts(&mut h, Link::default());
    let net = h.network_mut();
    net.add_address(HostId(0), ip("10.0.0.11"), 24);
    net.add_address(HostId(0), ip("2001:db8::1"), 64);
    net.add_address(HostId(0), ip("2001:db8::11"), 64);
    net.add_address(b, ip("2001:db8::2"), 64);
    let r4 = udp_bound(&mut h, tb, "0.0.0.0:5000");
    let r6 = udp_bound(&mut h, tb, "[::]:5000");
    // IPV6_V6ONLY is on by default: an IPv4-mapped destination does not go anywhere.
    let v6only = udp6(&mut h, t);
    let both = [pktinfo4("10.0.0.11"), pktinfo6("2001:db8::11")].concat();
    let m = wsamsg(&mut h, Some("[::ffff:10.0.0.2]:5000"), &[b"v4"], &both);
    assert_eq!(
        send_msg(&mut h, t, v6only, m, 0),
        (-1, WsaError::WSAENETUNREACH.0, SENTINEL)
    );
    let u = udp6(&mut h, t);
    set_int_opt(&mut h, t, u, IPPROTO_IPV6, IPV6_V6ONLY, 0);
    assert_eq!(send_msg(&mut h, t, u, m, 0), (0, 0, 2));
    let (got, from) = recv_from(&mut h, tb, r4);
    assert_eq!((got.as_slice(), from.ip), (&b"v4"[..], ip("10.0.0.11")));
    let m = wsamsg(&mut h, Some("[2001:db8::2]:5000"), &[b"v6"], &both);
    assert_eq!(send_msg(&mut h, t, u, m, 0), (0, 0, 2));
    let (got, from) = recv_from(&mut h, tb, r6);
    assert_eq!((got.as_slice(), from.ip), (&b"v6"[..], ip("2001:db8::11")));
    // The structure that does not fit the destination is not used.
    let m = wsamsg(
        &mut h,
        Some("[::ffff:10.0.0.2]:5000"),
        &[b"4"],
        &pktinfo6("2001:db8::11"),
    );
    assert_eq!(send_msg(&mut h, t, u, m, 0), (0, 0, 1));
    assert_eq!(recv_from(&mut h, tb, r4).1.ip, ip("10.0.0.1"));
    // A dual-stack receiver sees an IPv4 source as IPv4-mapped.
    let d = udp6(&mut h, tb);
    set_int_opt(&mut h, tb, d, IPPROTO_IPV6, IPV6_V6ONLY, 0);
    let (a, n) = sockaddr(&mut h, "[::]:6000");
    assert_eq!(h.bind(tb, d, a, n), 0);
    let one = dword(&mut h, 1);
    assert_eq!(
        h.setsockopt(tb, d, IPPROTO_IPV6, IPV6_V6ONLY, one, 4),
        -1,
        "not after bind"
    );
    let v4 = udp(&mut h, t);
    assert_eq!(sendto(&mut h, t, v4, b"m", "10.0.0.2:6000"), (1, 0));
    assert_eq!(recv_from(&mut h, tb, d).1.ip, ip("::ffff:10.0.0.1"));
}

#[test]
fn ip_pktinfo_and_ipv6_pktinfo_options_need_a_datagram_socket_and_a_dword() {
    // W32 ip-pktinfo: "Only valid on SOCK_DGRAM / SOCK_RAW (option on other types ->
    // WSAENOPROTOOPT); option default FALSE; optlen must be >= sizeof(DWORD) else
    // WSAEFAULT". L8: success sets the last error to 0.
    let (mut h, t) = started(Profile::Windows, 1);
    let tcp = sock(&mut h, t, AF_INET, SOCK_STREAM, 0);
    let u = udp(&mut h, t);
    let u6 = udp6(&mut h, t);
    let one = dword(&mut h, 1);
    for (s, level, name) in [
        (u, IPPROTO_IP, IP_PKTINFO),
        (u6, IPPROTO_IPV6, IPV6_PKTINFO),
    ] {
        let v = dword(&mut h, SENTINEL);
        let len = dword(&mut h, 4);
        assert_eq!(h.getsockopt(t, s, level, name, v, len), 0);
        assert_eq!(read_u32(&h, v), 0, "default FALSE");
        for optlen in [0, 1, 3] {
            assert_eq!(h.setsockopt(t, s, level, name, one, optlen), -1);
            assert_eq!(h.last_error(t), WsaError::WSAEFAULT.0, "optlen {optlen}");
        }
        h.wsa_set_last_error(t, 12345);
        assert_eq!(h.setsockopt(t, s, level, name, one, 4), 0);
        assert_eq!(h.last_error(t), 0);
        assert_eq!(h.getsockopt(t, s, level, name, v, len), 0);
        assert_eq!(read_u32(&h, v), 1);
        assert_eq!(h.setsockopt(t, tcp, level, name, one, 4), -1);
        assert_eq!(h.last_error(t), WsaError::WSAENOPROTOOPT.0);
        assert_eq!(h.getsockopt(t, tcp, level, name, v, len), -1);
        assert_eq!(h.last_error(t), WsaError::WSAENOPROTOOPT.0);
    }
}

#[test]
fn if_an_overlapped_wsasendmsg_completes_immediately_it_returns_zero_and_still_signals_and_queues()
{
    // "If an overlapped operation completes immediately, WSASendMsg returns a value of
    // zero and the lpNumberOfBytesSent parameter is updated"; "When zero is returned, the
    // specified completion routine is called when the calling thread is in the alertable
    // state" (wine-facts C3).
    let (mut h, t) = started(Profile::Windows, 1);
    let r = udp_bound(&mut h, t, "127.0.0.1:5000");
    let u = udp(&mut h, t);
    let m = wsamsg(&mut h, Some("127.0.0.1:5000"), &[&[5; 1024]], &[]);
    let ev = h.wsa_create_event(t);
    let ov = ov_with(&mut h, ev);
    let sent = out(&mut h);
    let call = h.wsa_send_msg(t, u, m, 0, sent, ov, Ptr::NULL);
    assert_eq!(
        (h.done(t, call), h.last_error(t), read_u32(&h, sent)),
        (0, 0, 1024)
    );
    assert!(signaled(&mut h, t, ev));
    assert_eq!((internal(&h, ov), internal_high(&h, ov)), (0, 1024));
    let (routine, calls) = recorder(&mut h);
    let ov2 = ov_with(&mut h, 0);
    let call = h.wsa_send_msg(t, u, m, 0, sent, ov2, routine);
    assert_eq!(h.done(t, call), 0);
    assert!(calls.borrow().is_empty(), "not before an alertable wait");
    let call = h.sleep_ex(t, 0, FALSE);
    assert_eq!(h.done(t, call), 0);
    assert!(calls.borrow().is_empty(), "not in a non-alertable one");
    assert_eq!(sleep_alertable(&mut h, t, 0), i64::from(WAIT_IO_COMPLETION));
    assert_eq!(*calls.borrow(), vec![(0, 1024, ov2, 0)]);
    assert_eq!(recv_from(&mut h, t, r).0.len(), 1024);
}

#[test]
fn completion_routine_arguments_and_hevent_as_context() {
    // "The dwError parameter specifies the completion status ... The cbTransferred
    // parameter indicates the number of bytes sent. Currently there are no flag values
    // defined and the dwFlags parameter will be zero." "If lpCompletionRoutine is not
    // NULL, the hEvent parameter is ignored and can be used by the application to pass
    // context information to the completion routine."
    let (mut h, t) = started(Profile::Windows, 1);
    let (_tb, u, _r) = slow_pair(&mut h, t, 0);
    let ev = h.wsa_create_event(t);
    let seen = Rc::new(RefCell::new(Vec::new()));
    let sc = seen.clone();
    let routine = h.routine(move |h, _, err, n, ov, flags| {
        let ctx = h.mem().read_u64(Ptr(ov.0 + ovl::HEVENT)).unwrap();
        sc.borrow_mut().push((err, n, ov, flags, ctx));
    });
    let ov = ov_with(&mut h, ev);
    let (m, _) = msg100(&mut h, 0);
    let call = h.wsa_send_msg(t, u, m, 0, Ptr::NULL, ov, routine);
    assert_eq!(h.done(t, call), -1);
    pass(&mut h, t, 200);
    assert!(!signaled(&mut h, t, ev), "hEvent is ignored (C5)");
    assert_eq!(sleep_alertable(&mut h, t, 0), i64::from(WAIT_IO_COMPLETION));
    assert_eq!(*seen.borrow(), vec![(0, 100, ov, 0, ev)]);
    // A failure: dwError is the Winsock code, cbTransferred 0.
    let ov2 = ov_with(&mut h, 0xC0FFEE);
    let call = h.wsa_send_msg(t, u, m, 0, Ptr::NULL, ov2, routine);
    assert_eq!(h.done(t, call), -1);
    assert!(h.inject(ProviderFault::NetworkDown { host: 0 }));
    assert_eq!(sleep_alertable(&mut h, t, 0), i64::from(WAIT_IO_COMPLETION));
    assert_eq!(
        seen.borrow()[1],
        (WsaError::WSAENETDOWN.0, 0, ov2, 0, 0xC0FFEE)
    );
}

#[test]
fn completion_status_through_wsagetoverlappedresult_or_the_socket_handle() {
    // "If the operation does not complete immediately, the final completion status is
    // retrieved through the completion routine or by calling the WSAGetOverlappedResult
    // function"; "If the lpCompletionRoutine parameter is NULL, the hEvent parameter of
    // lpOverlapped is signaled when the overlapped operation completes if it contains a
    // valid event object handle" (hEvent NULL: the socket handle, wine-facts O14).
    let (mut h, t) = started(Profile::Windows, 1);
    let (_tb, u, _r) = slow_pair(&mut h, t, 0);
    let ov = ov_with(&mut h, 0);
    let (m, _) = msg100(&mut h, 0);
    let call = h.wsa_send_msg(t, u, m, 0, Ptr::NULL, ov, Ptr::NULL);
    assert_eq!(h.done(t, call), -1);
    let call = h.wait_for_single_object_ex(t, u, 0, FALSE);
    assert_eq!(h.done(t, call), i64::from(WAIT_TIMEOUT));
    assert_eq!(
        get_result(&mut h, t, u, ov, true),
        (1, 0, 100, 0),
        "waits on the socket"
    );
    assert!(h.now() >= Instant::ZERO + Duration::from_millis(128));
}

#[test]
fn wsasendmsg_from_within_completion_routines_of_sends_and_receives() {
    // "The WSASendMsg function using overlapped I/O can be called from within the
    // completion routine of a previous , WSARecv, WSARecvFrom, LPFN_WSARECVMSG
    // (WSARecvMsg), WSASend, WSASendMsg, or WSASendTo function."
    let (mut h, t) = started(Profile::Windows, 1);
    let r = udp_bound(&mut h, t, "127.0.0.1:5000");
    let u = udp_bound(&mut h, t, "127.0.0.1:5001");
    let m = wsamsg(&mut h, Some("127.0.0.1:5000"), &[b"chain"], &[]);
    let left = Rc::new(Cell::new(5));
    let lc = left.clone();
    let routine = h.routine(move |h, t, err, n, ov, _| {
        assert_eq!((err, n), (0, 5));
        if lc.get() > 0 {
            lc.set(lc.get() - 1);
            // hEvent carries the routine's own address (context, C5).
            let me = Ptr(h.mem().read_u64(Ptr(ov.0 + ovl::HEVENT)).unwrap());
            let call = h.wsa_send_msg(t, u, m, 0, Ptr::NULL, ov, me);
            assert_eq!(h.done(t, call), 0);
        }
    });
    let ov = overlapped(&mut h, routine.0);
    let call = h.wsa_send_msg(t, u, m, 0, Ptr::NULL, ov, routine);
    assert_eq!(h.done(t, call), 0);
    // Each routine's send completes at once and queues the next routine, which the same
    // alertable wait runs ("All waiting completion routines are called before the
    // alertable thread's wait is satisfied").
    assert_eq!(sleep_alertable(&mut h, t, 0), i64::from(WAIT_IO_COMPLETION));
    assert_eq!(left.get(), 0);
    for _ in 0..6 {
        assert_eq!(recv_from(&mut h, t, r).0, b"chain");
    }
    // A WSARecvFrom routine answers with WSASendMsg, and a WSARecvMsg routine too.
    let reply = wsamsg(&mut h, Some("127.0.0.1:5001"), &[b"reply"], &[]);
    let rr = h.routine(move |h, t, err, _, _, _| {
        assert_eq!(err, 0);
        let ov = h.sim().alloc_overlapped(0);
        let call = h.wsa_send_msg(t, r, reply, 0, Ptr::NULL, ov, Ptr::NULL);
        assert_eq!(h.done(t, call), 0);
    });
    let buf = h.sim().alloc(16);
    let arr = wsabufs(&mut h, &[(buf, 16)]);
    let flags = dword(&mut h, 0);
    let ov = overlapped(&mut h, 0);
    let call = h.wsa_recv_from(t, r, arr, 1, Ptr::NULL, flags, Ptr::NULL, Ptr::NULL, ov, rr);
    assert_eq!(
        (h.done(t, call), h.last_error(t)),
        (-1, WsaError::WSA_IO_PENDING.0)
    );
    let rm = wsamsg(&mut h, None, &[&[0; 16]], &[]);
    let ov2 = overlapped(&mut h, 0);
    let call = h.wsa_recv_msg(t, r, rm, Ptr::NULL, ov2, rr);
    assert_eq!(h.done(t, call), -1);
    assert_eq!(sendto(&mut h, t, u, b"q1", "127.0.0.1:5000"), (2, 0));
    assert_eq!(sendto(&mut h, t, u, b"q2", "127.0.0.1:5000"), (2, 0));
    assert_eq!(sleep_alertable(&mut h, t, 0), i64::from(WAIT_IO_COMPLETION));
    assert_eq!(recv_from(&mut h, t, u).0, b"reply");
    assert_eq!(recv_from(&mut h, t, u).0, b"reply");
}

#[test]
fn overlapped_contract_breaches_are_reported() {
    // "The lpOverlapped parameter must be valid for the duration of the overlapped
    // operation. If multiple I/O operations are simultaneously outstanding, each must
    // reference a separate WSAOVERLAPPED structure." "A caller that passes a non-NULL
    // lpCompletionRoutine and later calls WSAGetOverlappedResult ... may not set the
    // fWait parameter ... to TRUE."
    let (mut h, t) = started(Profile::Windows, 1);
    let (_tb, u, _r) = slow_pair(&mut h, t, 0);
    let (m, _) = msg100(&mut h, 0);
    let ov = ov_with(&mut h, 0);
    let call = h.wsa_send_msg(t, u, m, 0, Ptr::NULL, ov, Ptr::NULL);
    assert_eq!(h.done(t, call), -1);
    let call = h.wsa_send_msg(t, u, m, 0, Ptr::NULL, ov, Ptr::NULL);
    assert_eq!(h.done(t, call), -1);
    assert!(h
        .contract_reports()
        .iter()
        .any(|r| r.rule == rules::OVERLAPPED_REUSED));
    let ov2 = ov_with(&mut h, 0);
    let call = h.wsa_send_msg(t, u, m, 0, Ptr::NULL, ov2, Ptr::NULL);
    assert_eq!(h.done(t, call), -1);
    h.sim().free(ov2);
    pass(&mut h, t, 1000);
    assert!(h
        .contract_reports()
        .iter()
        .any(|r| r.rule == rules::OVERLAPPED_INVALID));
    let (routine, _) = recorder(&mut h);
    let ov3 = ov_with(&mut h, 0);
    let call = h.wsa_send_msg(t, u, m, 0, Ptr::NULL, ov3, routine);
    assert_eq!(h.done(t, call), -1);
    let _ = get_result(&mut h, t, u, ov3, true);
    assert!(h
        .contract_reports()
        .iter()
        .any(|r| r.rule == rules::FWAIT_WITH_ROUTINE));
}

#[test]
fn completion_routines_all_run_before_the_wait_returns_fifo_in_windows_any_order_in_documented() {
    // "All waiting completion routines are called before the alertable thread's wait is
    // satisfied"; "The completion routines can be called in any order, not necessarily
    // in the same order the overlapped operations are completed."
    let order = |profile: Profile, seed: u64| -> Vec<u32> {
        let mut c = Config::new(seed, profile);
        c.pend_ratio = Ratio::NEVER;
        c.too_many_outstanding_ratio = Ratio::NEVER;
        let mut h = Harness::new(c);
        let t = h.main_thread();
        let d = h.sim().alloc(408);
        assert_eq!(h.wsa_startup(t, makeword(2, 2), d), 0);
        let _r = udp_bound(&mut h, t, "127.0.0.1:5000");
        let u = udp(&mut h, t);
        let seen = Rc::new(RefCell::new(Vec::new()));
        let sc = seen.clone();
        let routine = h.routine(move |_, _, _, n, _, _| sc.borrow_mut().push(n));
        for len in 1..=4usize {
            let m = wsamsg(&mut h, Some("127.0.0.1:5000"), &[&vec![0; len]], &[]);
            let ov = overlapped(&mut h, 0);
            let call = h.wsa_send_msg(t, u, m, 0, Ptr::NULL, ov, routine);
            assert_eq!(h.done(t, call), 0);
        }
        assert_eq!(sleep_alertable(&mut h, t, 0), i64::from(WAIT_IO_COMPLETION));
        assert_eq!(
            sleep_alertable(&mut h, t, 0),
            0,
            "all of them ran in the first wait"
        );
        let v = seen.borrow().clone();
        v
    };
    for seed in 0..20 {
        assert_eq!(order(Profile::Windows, seed), vec![1, 2, 3, 4]);
    }
    assert!((0..50).any(|seed| order(Profile::Documented, seed) != vec![1, 2, 3, 4]));
}

#[test]
fn posted_buffers_are_sent_in_the_order_they_are_specified() {
    // "However, the posted buffers are guaranteed to be sent in the same order they are
    // specified."
    for profile in [Profile::Windows, Profile::Documented] {
        let (mut h, t) = started(profile, 7);
        let (tb, u, r) = slow_pair(&mut h, t, 0);
        let mut want = Vec::new();
        for i in 0..4u8 {
            let (m, d) = msg100(&mut h, i);
            let ov = overlapped(&mut h, 0);
            let call = h.wsa_send_msg(t, u, m, 0, Ptr::NULL, ov, Ptr::NULL);
            let ret = h.done(t, call);
            if ret == 0 || h.last_error(t) == WsaError::WSA_IO_PENDING.0 {
                want.push(d);
            }
        }
        pass(&mut h, t, 2000);
        for d in want {
            assert_eq!(recv_from(&mut h, tb, r).0, d, "{profile:?}");
        }
    }
}

#[test]
fn completion_routines_of_one_socket_do_not_nest() {
    // "guarantee that, for a given socket, I/O completion routines will not be nested".
    let (mut h, t) = started(Profile::Windows, 1);
    let _r = udp_bound(&mut h, t, "127.0.0.1:5000");
    let u = udp(&mut h, t);
    let m = wsamsg(&mut h, Some("127.0.0.1:5000"), &[b"n"], &[]);
    let depth = Rc::new(Cell::new(0));
    let max = Rc::new(Cell::new(0));
    let (dc, mc) = (depth.clone(), max.clone());
    let routine = h.routine(move |h, t, _, _, _, _| {
        dc.set(dc.get() + 1);
        mc.set(mc.get().max(dc.get()));
        let call = h.sleep_ex(t, 0, TRUE);
        let _ = h.done(t, call);
        dc.set(dc.get() - 1);
    });
    for _ in 0..3 {
        let ov = overlapped(&mut h, 0);
        let call = h.wsa_send_msg(t, u, m, 0, Ptr::NULL, ov, routine);
        assert_eq!(h.done(t, call), 0);
    }
    assert_eq!(sleep_alertable(&mut h, t, 0), i64::from(WAIT_IO_COMPLETION));
    assert_eq!(max.get(), 1);
}

// ===== the datagram network ===============================================================

#[test]
fn broadcast_reaches_every_socket_bound_to_the_port_on_the_subnet_only() {
    let (mut h, t) = started(Profile::Windows, 1);
    let (tb, b) = two_hosts(&mut h, Link::default());
    let net = h.network_mut();
    let c = net.add_host("c", &[ip("10.0.0.3")]);
    let d = net.add_host("d", &[ip("10.0.1.5")]);
    net.link(HostId(0), c, Link::default());
    net.link(HostId(0), d, Link::default());
    let _ = b;
    let (tc, td) = (h.create_thread(), h.create_thread());
    h.set_thread_host(tc, c);
    h.set_thread_host(td, d);
    let ra = udp_bound(&mut h, t, "0.0.0.0:7000");
    let rb = udp_bound(&mut h, tb, "0.0.0.0:7000");
    let rc = udp_bound(&mut h, tc, "10.0.0.3:7000");
    let rd = udp_bound(&mut h, td, "0.0.0.0:7000");
    let other_port = udp_bound(&mut h, tb, "0.0.0.0:7001");
    let u = udp(&mut h, t);
    set_int_opt(&mut h, t, u, SOL_SOCKET, SO_BROADCAST, 1);
    for to in ["10.0.0.255:7000", "255.255.255.255:7000"] {
        assert_eq!(send_to_msg(&mut h, t, u, Some(to), b"all"), (0, 0, 3));
        for (th, r) in [(t, ra), (tb, rb), (tc, rc)] {
            let (got, from) = recv_from(&mut h, th, r);
            assert_eq!(
                (got.as_slice(), from.ip),
                (&b"all"[..], ip("10.0.0.1")),
                "{to}"
            );
        }
        assert_no_datagram(&mut h, td, rd);
        assert_no_datagram(&mut h, tb, other_port);
    }
    // WSARecvMsg reports MSG_BCAST.
    assert_eq!(
        send_to_msg(&mut h, t, u, Some("10.0.0.255:7000"), b"flag"),
        (0, 0, 4)
    );
    let m = wsamsg(&mut h, None, &[&[0; 16]], &[]);
    let n = out(&mut h);
    let call = h.wsa_recv_msg(tb, rb, m, n, Ptr::NULL, Ptr::NULL);
    assert_eq!((h.done(tb, call), read_u32(&h, n)), (0, 4));
    assert_eq!(read_msg(&h, m).flags, MSG_BCAST);
}

#[test]
fn sending_to_port_zero_and_to_ipv6_multicast_succeeds() {
    // wine-facts E26 (127.0.0.1 and ::1, port 0), E29 (ff01::1).
    let (mut h, t) = started(Profile::Windows, 1);
    let u = udp(&mut h, t);
    assert_eq!(sendto(&mut h, t, u, b"zero", "127.0.0.1:0"), (4, 0));
    let u6 = udp6(&mut h, t);
    assert_eq!(sendto(&mut h, t, u6, b"zero", "[::1]:0"), (4, 0));
    let m6 = udp6(&mut h, t);
    assert_eq!(sendto(&mut h, t, m6, b"mcst", "[ff01::1]:9000"), (4, 0));
    assert_eq!(
        send_to_msg(&mut h, t, m6, Some("[ff01::1]:9000"), b"mcst"),
        (0, 0, 4)
    );
}

#[test]
fn sendto_on_a_connected_tcp_socket_ignores_the_address() {
    // wine-facts E30: success with the full length; the address and its length are not
    // modified. WSASendTo alike.
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = tcp_pair(&mut h, t, None);
    let garbage = bytes(&mut h, &[0xAA; 16]);
    let buf = bytes(&mut h, b"tcp data");
    let call = h.sendto(t, c, buf, 8, 0, garbage, 3);
    assert_eq!((h.done(t, call), h.last_error(t)), (8, 0));
    let arr = wsabufs(&mut h, &[(buf, 8)]);
    let sent = out(&mut h);
    let call = h.wsa_send_to(t, c, arr, 1, sent, 0, garbage, 3, Ptr::NULL, Ptr::NULL);
    assert_eq!((h.done(t, call), read_u32(&h, sent)), (0, 8));
    assert_eq!(h.sim().read_vec(garbage, 16).unwrap(), vec![0xAA; 16]);
    assert_eq!(drain(&mut h, t, s), b"tcp datatcp data");
}

#[test]
fn wsasendto_validation_order_and_implicit_bind() {
    // wine-facts E3 (socket before count), E4 (NULL count without OVERLAPPED), E5
    // (success: last error 0, bound to AF_INET and a port), L3.
    let (mut h, t) = started(Profile::Windows, 1);
    let u = udp(&mut h, t);
    let buf = bytes(&mut h, b"hello world\0");
    let arr = wsabufs(&mut h, &[(buf, 12)]);
    let (a, n) = sockaddr(&mut h, "127.0.0.1:139");
    h.wsa_set_last_error(t, 12345);
    let call = h.wsa_send_to(t, u, arr, 1, Ptr::NULL, 0, a, n, Ptr::NULL, Ptr::NULL);
    assert_eq!(
        (h.done(t, call), h.last_error(t)),
        (-1, WsaError::WSAEFAULT.0)
    );
    let sent = out(&mut h);
    h.wsa_set_last_error(t, 12345);
    let call = h.wsa_send_to(t, u, arr, 1, sent, 0, a, n, Ptr::NULL, Ptr::NULL);
    assert_eq!(
        (h.done(t, call), h.last_error(t), read_u32(&h, sent)),
        (0, 0, 12)
    );
    let me = sockname(&mut h, t, u).unwrap();
    assert!(matches!(me.ip, IpAddr::V4(_)) && me.port != 0);
    // A too-short tolen and an unreadable address are WSAEFAULT; an unknown family
    // WSAEAFNOSUPPORT.
    let call = h.wsa_send_to(t, u, arr, 1, sent, 0, a, 8, Ptr::NULL, Ptr::NULL);
    assert_eq!(
        (h.done(t, call), h.last_error(t)),
        (-1, WsaError::WSAEFAULT.0)
    );
    let odd = bytes(&mut h, &[99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    let call = h.wsa_send_to(t, u, arr, 1, sent, 0, odd, 16, Ptr::NULL, Ptr::NULL);
    assert_eq!(
        (h.done(t, call), h.last_error(t)),
        (-1, WsaError::WSAEAFNOSUPPORT.0)
    );
}

#[test]
fn two_threads_each_send_256_nonblocking_datagrams_and_every_send_succeeds() {
    // wine-facts E35 (the select half is not modelled).
    let (mut h, t) = started(Profile::Windows, 1);
    let _r = udp_bound(&mut h, t, "127.0.0.1:5000");
    let t2 = h.create_thread();
    let senders = [(t, udp(&mut h, t)), (t2, udp(&mut h, t2))];
    for &(th, s) in &senders {
        nonblocking(&mut h, th, s, true);
    }
    let data = vec![1u8; 256];
    for _ in 0..256 {
        for &(th, s) in &senders {
            assert_eq!(sendto(&mut h, th, s, &data, "127.0.0.1:5000"), (256, 0));
        }
    }
}

#[test]
fn fragments_latency_and_loss_are_invisible_except_where_a_loss_rule_says() {
    let (mut h, t) = started(Profile::Windows, 1);
    let (tb, b) = two_hosts(
        &mut h,
        Link {
            latency: Duration::from_millis(5),
            bandwidth: None,
        },
    );
    h.network_mut().set_link_opts(
        HostId(0),
        b,
        LinkOpts {
            mtu: 576,
            loss: Ratio::NEVER,
        },
    );
    let r = udp_bound(&mut h, tb, "10.0.0.2:5000");
    let u = udp(&mut h, t);
    let data: Vec<u8> = (0..9000u32).map(|i| (i % 253) as u8).collect();
    let start = h.now();
    assert_eq!(
        send_to_msg(&mut h, t, u, Some("10.0.0.2:5000"), &data),
        (0, 0, 9000)
    );
    assert_eq!(
        recv_from(&mut h, tb, r).0,
        data,
        "17 fragments, one datagram"
    );
    assert_eq!(
        h.now(),
        start + Duration::from_millis(5),
        "after the link's latency"
    );
    h.network_mut().set_link_opts(
        HostId(0),
        b,
        LinkOpts {
            mtu: 1500,
            loss: Ratio::new(1, 1),
        },
    );
    assert_eq!(
        send_to_msg(&mut h, t, u, Some("10.0.0.2:5000"), b"lost"),
        (0, 0, 4)
    );
    pass(&mut h, tb, 20);
    assert_no_datagram(&mut h, tb, r);
    assert_eq!(net_records(&h, "lost"), 1);
}

#[test]
fn raising_so_sndbuf_lets_a_queued_datagram_go_as_a_datagram() {
    // A datagram waiting for room in the send buffer leaves as soon as SO_SNDBUF makes
    // room (the option change pumps the datagram queue, not the stream one).
    let (mut h, t) = started(Profile::Windows, 1);
    let (tb, u, r) = slow_pair(&mut h, t, 1);
    let (m1, d1) = msg100(&mut h, 1);
    let (m2, d2) = msg100(&mut h, 2);
    assert_eq!(send_msg(&mut h, t, u, m1, 0), (0, 0, 100));
    let ev = h.wsa_create_event(t);
    let ov = ov_with(&mut h, ev);
    let call = h.wsa_send_msg(t, u, m2, 0, Ptr::NULL, ov, Ptr::NULL);
    assert_eq!(
        (h.done(t, call), h.last_error(t)),
        (-1, WsaError::WSA_IO_PENDING.0)
    );
    set_int_opt(&mut h, t, u, SOL_SOCKET, SO_SNDBUF, 64 * 1024);
    assert!(signaled(&mut h, t, ev), "taken at once");
    assert_eq!(h.now(), Instant::ZERO);
    assert_eq!(recv_from(&mut h, tb, r).0, d1);
    assert_eq!(recv_from(&mut h, tb, r).0, d2);
}

// ===== WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER) =======================================

fn guid(h: &mut Harness, g: [u8; 16]) -> Ptr {
    h.sim().alloc_bytes(&g)
}

#[test]
fn extension_function_pointers_for_wsasendmsg_and_wsarecvmsg() {
    // wine-facts test_get_extension_func: success returns 0, size = sizeof(func), last
    // error 0 (L6).
    let (mut h, t) = started(Profile::Windows, 1);
    let u = udp(&mut h, t);
    for (g, f) in [
        (WSAID_WSASENDMSG, EXT_FN_WSASENDMSG),
        (WSAID_WSARECVMSG, EXT_FN_WSARECVMSG),
    ] {
        let gp = guid(&mut h, g);
        let func = h.sim().alloc(8);
        let size = out(&mut h);
        h.wsa_set_last_error(t, 12345);
        let call = h.wsa_ioctl(
            t,
            u,
            SIO_GET_EXTENSION_FUNCTION_POINTER,
            gp,
            16,
            func,
            8,
            size,
            Ptr::NULL,
            Ptr::NULL,
        );
        assert_eq!(
            (h.done(t, call), h.last_error(t), read_u32(&h, size)),
            (0, 0, 8)
        );
        assert_eq!(read_u64(&h, func), f);
        assert_ne!(f, 0);
    }
    assert_ne!(EXT_FN_WSASENDMSG, EXT_FN_WSARECVMSG);
}

#[test]
fn extension_function_pointer_with_a_bogus_guid_is_wsaeinval_and_touches_nothing() {
    // wine-facts O6, O7: WSAEINVAL; size, Internal and InternalHigh untouched; no
    // completion.
    let (mut h, t) = started(Profile::Windows, 1);
    let u = udp(&mut h, t);
    let mut bogus = [0u8; 16];
    bogus[..4].copy_from_slice(&0xdead_beefu32.to_le_bytes());
    let gp = guid(&mut h, bogus);
    let func = h.sim().alloc(8);
    let size = out(&mut h);
    let ev = h.wsa_create_event(t);
    let ov = ov_with(&mut h, ev);
    h.mem_mut()
        .write_u64(Ptr(ov.0 + ovl::INTERNAL), u64::from(SENTINEL))
        .unwrap();
    let call = h.wsa_ioctl(
        t,
        u,
        SIO_GET_EXTENSION_FUNCTION_POINTER,
        gp,
        16,
        func,
        8,
        size,
        ov,
        Ptr::NULL,
    );
    assert_eq!(
        (h.done(t, call), h.last_error(t)),
        (-1, WsaError::WSAEINVAL.0)
    );
    assert_eq!(read_u32(&h, size), SENTINEL);
    assert_eq!(
        (internal(&h, ov), internal_high(&h, ov)),
        (u64::from(SENTINEL), u64::from(SENTINEL))
    );
    assert!(!signaled(&mut h, t, ev));
}

#[test]
fn extension_function_pointer_overlapped_completes_with_zero_and_queues_the_routine() {
    // wine-facts O8 (Internal 0, InternalHigh 0 after an immediate overlapped success),
    // C3 (the routine runs at the next alertable wait with 0, 0), O26 (NULL
    // lpcbBytesReturned with an OVERLAPPED is WSAEFAULT).
    let (mut h, t) = started(Profile::Windows, 1);
    let u = udp(&mut h, t);
    let gp = guid(&mut h, WSAID_WSASENDMSG);
    let func = h.sim().alloc(8);
    let ov = ov_with(&mut h, 0);
    let call = h.wsa_ioctl(
        t,
        u,
        SIO_GET_EXTENSION_FUNCTION_POINTER,
        gp,
        16,
        func,
        8,
        Ptr::NULL,
        ov,
        Ptr::NULL,
    );
    assert_eq!(
        (h.done(t, call), h.last_error(t)),
        (-1, WsaError::WSAEFAULT.0)
    );
    let ev = h.wsa_create_event(t);
    let ov = ov_with(&mut h, ev);
    let size = out(&mut h);
    let call = h.wsa_ioctl(
        t,
        u,
        SIO_GET_EXTENSION_FUNCTION_POINTER,
        gp,
        16,
        func,
        8,
        size,
        ov,
        Ptr::NULL,
    );
    assert_eq!(
        (h.done(t, call), h.last_error(t), read_u32(&h, size)),
        (0, 0, 8)
    );
    assert_eq!((internal(&h, ov), internal_high(&h, ov)), (0, 0));
    assert!(signaled(&mut h, t, ev));
    let (routine, calls) = recorder(&mut h);
    let ov2 = ov_with(&mut h, 0);
    let call = h.wsa_ioctl(
        t,
        u,
        SIO_GET_EXTENSION_FUNCTION_POINTER,
        gp,
        16,
        func,
        8,
        size,
        ov2,
        routine,
    );
    assert_eq!(h.done(t, call), 0);
    assert_eq!(sleep_alertable(&mut h, t, 0), i64::from(WAIT_IO_COMPLETION));
    assert_eq!(*calls.borrow(), vec![(0, 0, ov2, 0)]);
}

// ===== the receive side: recvfrom, WSARecvFrom, WSARecvMsg ================================

/// The `test_ip_pktinfo` setup: `s1` bound to `bind` with `IP_PKTINFO`, `s2` sending
/// to 127.0.0.1 at `s1`'s port. Returns `(s1, s2, destination)`.
fn pktinfo_pair(h: &mut Harness, t: ThreadId, bind: &str) -> (u64, u64, String) {
    let s1 = udp_bound(h, t, bind);
    set_int_opt(h, t, s1, IPPROTO_IP, IP_PKTINFO, 1);
    let port = sockname(h, t, s1).unwrap().port;
    let s2 = udp(h, t);
    (s1, s2, format!("127.0.0.1:{port}"))
}

/// A receive `WSAMSG`: a 10-byte buffer, the name (28 bytes) and `control_len` bytes of
/// control room.
fn recv_msg_hdr(h: &mut Harness, control_len: u32) -> (Ptr, Ptr, Ptr) {
    let buf = h.sim().alloc(10);
    let arr = wsabufs(h, &[(buf, 10)]);
    let name = h.sim().alloc(28);
    let control = h.sim().alloc(512);
    let m = raw_msg(
        h,
        WsaMsg {
            name,
            namelen: 28,
            buffers: arr,
            buffer_count: 1,
            control: WsaBuf {
                len: control_len,
                buf: control,
            },
            flags: 0,
        },
    );
    (m, buf, control)
}

#[test]
fn wsarecvmsg_returns_ip_pktinfo_with_the_destination_address() {
    // wine-facts test_ip_pktinfo, bound to 127.0.0.1 and to INADDR_ANY: sendto success
    // sets the last error to 0 (L2); the control length becomes IP_PKTINFO_LEN (24 on
    // x64) and in_pktinfo.ipi_addr is the destination; while pending, Control.len is
    // untouched.
    for bind in ["127.0.0.1:0", "0.0.0.0:0"] {
        let (mut h, t) = started(Profile::Windows, 1);
        let (s1, s2, dest) = pktinfo_pair(&mut h, t, bind);
        let call = h.wsa_recv_msg(t, s1, Ptr::NULL, Ptr::NULL, Ptr::NULL, Ptr::NULL);
        assert_eq!(
            (h.done(t, call), h.last_error(t)),
            (-1, WsaError::WSAEFAULT.0)
        );
        let (m, buf, control) = recv_msg_hdr(&mut h, 512);
        let ev = h.wsa_create_event(t);
        let ov = ov_with(&mut h, ev);
        let call = h.wsa_recv_msg(t, s1, m, Ptr::NULL, ov, Ptr::NULL);
        assert_eq!(
            (h.done(t, call), h.last_error(t)),
            (-1, WsaError::WSA_IO_PENDING.0)
        );
        assert_eq!(read_msg(&h, m).control.len, 512);
        h.wsa_set_last_error(t, SENTINEL as i32);
        assert_eq!(sendto(&mut h, t, s2, b"HELLO\0", &dest), (6, 0));
        assert!(signaled(&mut h, t, ev));
        assert_eq!(get_result(&mut h, t, s1, ov, false).2, 6);
        assert_eq!(h.sim().read_vec(buf, 6).unwrap(), b"HELLO\0");
        let back = read_msg(&h, m);
        assert_eq!(
            back.control.len, 24,
            "IP_PKTINFO_LEN = sizeof(WSACMSGHDR) + 8"
        );
        assert_eq!(back.flags, 0);
        let raw = h.sim().read_vec(control, 24).unwrap();
        let objects = msg::parse_control(&raw).unwrap();
        assert_eq!(objects.len(), 1);
        let (level, ty, data) = &objects[0];
        assert_eq!((*level, *ty), (IPPROTO_IP, IP_PKTINFO));
        assert_eq!(
            &data[..4],
            &[127, 0, 0, 1],
            "ipi_addr = the destination ({bind})"
        );
        assert_eq!(
            u32::from_le_bytes(data[4..8].try_into().unwrap()),
            1,
            "loopback interface"
        );
        let from = SockAddr::read(h.mem(), back.name, back.namelen).unwrap();
        assert_eq!(
            from,
            SockAddr::new(ip("127.0.0.1"), sockname(&mut h, t, s2).unwrap().port)
        );
    }
}

#[test]
fn wsarecvmsg_with_a_short_control_buffer_is_wsaemsgsize_with_msg_ctrunc() {
    // test_ip_pktinfo: Control.len = 1, non-overlapped: SOCKET_ERROR, WSAEMSGSIZE,
    // MSG_CTRUNC; the count still reports 6 (W10, todo_wine). Overlapped: pending, then
    // MSG_CTRUNC in WSAMSG.dwFlags; Internal STATUS_BUFFER_OVERFLOW, InternalHigh 6,
    // Offset/OffsetHigh untouched (O12); WSAGetOverlappedResult FALSE + WSAEMSGSIZE with
    // the count filled (G5) and lpdwFlags untouched (G6, W9).
    let (mut h, t) = started(Profile::Windows, 1);
    let (s1, s2, dest) = pktinfo_pair(&mut h, t, "127.0.0.1:0");
    assert_eq!(sendto(&mut h, t, s2, b"HELLO\0", &dest), (6, 0));
    let (m, buf, _) = recv_msg_hdr(&mut h, 1);
    let n = out(&mut h);
    let call = h.wsa_recv_msg(t, s1, m, n, Ptr::NULL, Ptr::NULL);
    assert_eq!(
        (h.done(t, call), h.last_error(t)),
        (-1, WsaError::WSAEMSGSIZE.0)
    );
    assert_eq!(read_msg(&h, m).flags & MSG_CTRUNC, MSG_CTRUNC);
    assert_eq!(read_u32(&h, n), 6, "W10");
    assert_eq!(h.sim().read_vec(buf, 6).unwrap(), b"HELLO\0");

    let (m, _, _) = recv_msg_hdr(&mut h, 1);
    let ev = h.wsa_create_event(t);
    let ov = ov_with(&mut h, ev);
    h.mem_mut()
        .write_u32(Ptr(ov.0 + ovl::OFFSET), 0xdead3)
        .unwrap();
    h.mem_mut()
        .write_u32(Ptr(ov.0 + ovl::OFFSET_HIGH), 0xdead4)
        .unwrap();
    let call = h.wsa_recv_msg(t, s1, m, Ptr::NULL, ov, Ptr::NULL);
    assert_eq!(
        (h.done(t, call), h.last_error(t)),
        (-1, WsaError::WSA_IO_PENDING.0)
    );
    assert_eq!(sendto(&mut h, t, s2, b"HELLO\0", &dest), (6, 0));
    assert!(signaled(&mut h, t, ev));
    assert_eq!(read_msg(&h, m).flags, MSG_CTRUNC);
    assert_eq!(
        (internal(&h, ov), internal_high(&h, ov)),
        (STATUS_BUFFER_OVERFLOW, 6)
    );
    assert_eq!(read_u32(&h, Ptr(ov.0 + ovl::OFFSET)), 0xdead3);
    assert_eq!(read_u32(&h, Ptr(ov.0 + ovl::OFFSET_HIGH)), 0xdead4);
    assert_eq!(
        get_result(&mut h, t, s1, ov, false),
        (0, WsaError::WSAEMSGSIZE.0, 6, SENTINEL)
    );
}

#[test]
fn wsarecvmsg_with_a_routine_and_a_waiting_datagram_pends_and_reports_wsaemsgsize() {
    // wine-facts C4 / W8 (todo_wine): -1 with ERROR_IO_PENDING; the routine gets
    // WSAEMSGSIZE and 6 bytes (C2).
    let (mut h, t) = started(Profile::Windows, 1);
    let (s1, s2, dest) = pktinfo_pair(&mut h, t, "127.0.0.1:0");
    assert_eq!(sendto(&mut h, t, s2, b"HELLO\0", &dest), (6, 0));
    let (m, _, _) = recv_msg_hdr(&mut h, 1);
    let (routine, calls) = recorder(&mut h);
    let ov = ov_with(&mut h, 0);
    let n = out(&mut h);
    let call = h.wsa_recv_msg(t, s1, m, n, ov, routine);
    assert_eq!(
        (h.done(t, call), h.last_error(t)),
        (-1, WsaError::WSA_IO_PENDING.0)
    );
    assert_eq!(read_u32(&h, n), SENTINEL);
    assert_eq!(sleep_alertable(&mut h, t, 0), i64::from(WAIT_IO_COMPLETION));
    assert_eq!(*calls.borrow(), vec![(WsaError::WSAEMSGSIZE.0, 6, ov, 0)]);
}

#[test]
fn a_truncated_datagram_is_wsaemsgsize_with_msg_trunc_and_the_rest_is_lost() {
    // recvfrom: "If the datagram or message is larger than the buffer specified, the
    // buffer is filled with the first part of the datagram, and recvfrom generates the
    // error WSAEMSGSIZE. For unreliable protocols (for example, UDP) the excess data is
    // lost." WSAMSG: "MSG_TRUNC".
    let (mut h, t) = started(Profile::Windows, 1);
    let r = udp_bound(&mut h, t, "127.0.0.1:5000");
    let u = udp(&mut h, t);
    assert_eq!(
        sendto(&mut h, t, u, b"0123456789abcdef", "127.0.0.1:5000"),
        (16, 0)
    );
    assert_eq!(sendto(&mut h, t, u, b"next", "127.0.0.1:5000"), (4, 0));
    let buf = h.sim().alloc(4);
    let from = h.sim().alloc(16);
    let flen = dword(&mut h, 16);
    let call = h.recvfrom(t, r, buf, 4, 0, from, flen);
    assert_eq!(
        (h.done(t, call), h.last_error(t)),
        (-1, WsaError::WSAEMSGSIZE.0)
    );
    assert_eq!(h.sim().read_vec(buf, 4).unwrap(), b"0123");
    assert_eq!(recv_from(&mut h, t, r).0, b"next", "the excess is lost");
    assert_eq!(
        sendto(&mut h, t, u, b"0123456789abcdef", "127.0.0.1:5000"),
        (16, 0)
    );
    let (m, mbuf, _) = recv_msg_hdr(&mut h, 0);
    let n = out(&mut h);
    let call = h.wsa_recv_msg(t, r, m, n, Ptr::NULL, Ptr::NULL);
    assert_eq!(
        (h.done(t, call), h.last_error(t), read_u32(&h, n)),
        (-1, WsaError::WSAEMSGSIZE.0, 10)
    );
    assert_eq!(read_msg(&h, m).flags, MSG_TRUNC);
    assert_eq!(h.sim().read_vec(mbuf, 10).unwrap(), b"0123456789");
    // Overlapped: InternalHigh = the bytes delivered (O12).
    assert_eq!(
        sendto(&mut h, t, u, b"0123456789abcdef", "127.0.0.1:5000"),
        (16, 0)
    );
    let arr = wsabufs(&mut h, &[(buf, 4)]);
    let flags = dword(&mut h, 0);
    let ev = h.wsa_create_event(t);
    let ov = ov_with(&mut h, ev);
    let call = h.wsa_recv_from(
        t,
        r,
        arr,
        1,
        Ptr::NULL,
        flags,
        Ptr::NULL,
        Ptr::NULL,
        ov,
        Ptr::NULL,
    );
    assert_eq!(h.done(t, call), -1);
    assert!(signaled(&mut h, t, ev));
    assert_eq!(
        (internal(&h, ov), internal_high(&h, ov)),
        (STATUS_BUFFER_OVERFLOW, 4)
    );
}

#[test]
fn recvfrom_and_wsarecvfrom_report_the_source_and_check_their_lengths() {
    // wine-facts E37 (len -1 is WSAEFAULT), W19 (fromlen too small fails), W18 (an
    // unbound socket is WSAEINVAL), L5 (success sets the last error to 0).
    let (mut h, t) = started(Profile::Windows, 1);
    let r = udp_bound(&mut h, t, "127.0.0.1:5000");
    let u = udp_bound(&mut h, t, "127.0.0.1:5001");
    let buf = h.sim().alloc(16);
    let call = h.recvfrom(t, r, buf, -1, 0, Ptr::NULL, Ptr::NULL);
    assert_eq!(
        (h.done(t, call), h.last_error(t)),
        (-1, WsaError::WSAEFAULT.0)
    );
    let from = h.sim().alloc(16);
    for short in [1, 15] {
        let flen = dword(&mut h, short);
        let call = h.recvfrom(t, r, buf, 16, 0, from, flen);
        assert_eq!(
            (h.done(t, call), h.last_error(t)),
            (-1, WsaError::WSAEFAULT.0)
        );
    }
    let unbound = udp(&mut h, t);
    let call = h.recvfrom(t, unbound, buf, 16, 0, Ptr::NULL, Ptr::NULL);
    assert_eq!(
        (h.done(t, call), h.last_error(t)),
        (-1, WsaError::WSAEINVAL.0)
    );
    assert_eq!(sendto(&mut h, t, u, b"src", "127.0.0.1:5000"), (3, 0));
    let arr = wsabufs(&mut h, &[(buf, 16)]);
    let n = out(&mut h);
    let flags = dword(&mut h, 0);
    let flen = dword(&mut h, 16);
    h.wsa_set_last_error(t, 12345);
    let call = h.wsa_recv_from(t, r, arr, 1, n, flags, from, flen, Ptr::NULL, Ptr::NULL);
    assert_eq!(
        (h.done(t, call), h.last_error(t), read_u32(&h, n)),
        (0, 0, 3)
    );
    assert_eq!(
        SockAddr::read(h.mem(), from, read_u32(&h, flen) as i32).unwrap(),
        SockAddr::parse("127.0.0.1:5001").unwrap()
    );
}

#[test]
fn a_blocking_recvfrom_waits_for_a_datagram_from_another_host() {
    let (mut h, t) = started(Profile::Windows, 1);
    let (tb, _) = two_hosts(
        &mut h,
        Link {
            latency: Duration::from_millis(3),
            bandwidth: None,
        },
    );
    let r = udp_bound(&mut h, tb, "10.0.0.2:5000");
    let buf = h.sim().alloc(16);
    let call = h.recvfrom(tb, r, buf, 16, 0, Ptr::NULL, Ptr::NULL);
    assert_eq!(call, Call::Blocked);
    let u = udp(&mut h, t);
    assert_eq!(sendto(&mut h, t, u, b"wake", "10.0.0.2:5000"), (4, 0));
    assert_eq!(h.done(tb, call), 4);
    assert_eq!(h.now(), Instant::ZERO + Duration::from_millis(3));
    let call = h.recvfrom(tb, r, buf, 16, 0, Ptr::NULL, Ptr::NULL);
    assert!(matches!(h.run(tb, call), Err(Stuck::Deadlock { .. })));
}
