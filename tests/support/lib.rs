//! Helpers shared by the cross-crate tests: a started world, connected socket pairs,
//! and memory shortcuts. Each helper asserts what it sets up, so a test fails at the
//! step that broke.

use wsasim_core::consts::*;
use wsasim_core::harness::Harness;
use wsasim_core::memory::UserMemoryExt;
use wsasim_core::net::SockAddr;
use wsasim_core::{Config, Profile, Ptr, ThreadId, WsaBuf};

/// A harness with `WSAStartup(2.2)` done on the main thread.
pub fn started(profile: Profile, seed: u64) -> (Harness, ThreadId) {
    let mut h = Harness::new(Config::new(seed, profile));
    let t = h.main_thread();
    let data = h.sim().alloc(408);
    assert_eq!(h.wsa_startup(t, makeword(2, 2), data), 0);
    (h, t)
}

/// A `sockaddr` for `"ip:port"` in the world's memory, with its length.
pub fn sockaddr(h: &mut Harness, text: &str) -> (Ptr, i32) {
    let a = SockAddr::parse(text).expect("a valid address");
    let (raw, len) = a.to_bytes();
    (h.sim().alloc_bytes(&raw[..len]), len as i32)
}

/// A buffer holding `bytes`.
pub fn bytes(h: &mut Harness, bytes: &[u8]) -> Ptr {
    h.sim().alloc_bytes(bytes)
}

/// A `WSABUF` array over `(address, length)` pairs.
pub fn wsabufs(h: &mut Harness, bufs: &[(Ptr, u32)]) -> Ptr {
    let v: Vec<WsaBuf> = bufs.iter().map(|&(buf, len)| WsaBuf { len, buf }).collect();
    h.sim().alloc_wsabufs(&v)
}

/// A zeroed `WSAOVERLAPPED` whose `hEvent` is `event`.
pub fn overlapped(h: &mut Harness, event: u64) -> Ptr {
    h.sim().alloc_overlapped(event)
}

/// A `DWORD` out-parameter holding `init`.
pub fn dword(h: &mut Harness, init: u32) -> Ptr {
    h.sim().alloc_bytes(&init.to_le_bytes())
}

/// Reads a `DWORD`.
pub fn read_u32(h: &Harness, p: Ptr) -> u32 {
    h.mem().read_u32(p).expect("readable")
}

/// Reads a `ULONG_PTR`.
pub fn read_u64(h: &Harness, p: Ptr) -> u64 {
    h.mem().read_u64(p).expect("readable")
}

/// Sets an `int` socket option, asserting success.
pub fn set_int_opt(h: &mut Harness, t: ThreadId, s: u64, level: i32, name: i32, v: u32) {
    let p = dword(h, v);
    assert_eq!(
        h.setsockopt(t, s, level, name, p, 4),
        0,
        "setsockopt({name:#x}) = {}",
        h.last_error(t)
    );
}

/// A listening TCP socket on 127.0.0.1:`port`, with `SO_RCVBUF = rcvbuf` (inherited by
/// accepted sockets) when given.
pub fn listener(h: &mut Harness, t: ThreadId, port: u16, rcvbuf: Option<u32>) -> u64 {
    let l = h.socket(t, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    assert_ne!(l, INVALID_SOCKET);
    if let Some(r) = rcvbuf {
        set_int_opt(h, t, l, SOL_SOCKET, SO_RCVBUF, r);
    }
    let (a, n) = sockaddr(h, &format!("127.0.0.1:{port}"));
    assert_eq!(h.bind(t, l, a, n), 0);
    assert_eq!(h.listen(t, l, 5), 0);
    l
}

/// A connected TCP pair over loopback: `(client, server)`. `server_rcvbuf` sets the
/// accepted socket's receive window (through the listener).
pub fn tcp_pair(h: &mut Harness, t: ThreadId, server_rcvbuf: Option<u32>) -> (u64, u64) {
    let port = 27015;
    let l = listener(h, t, port, server_rcvbuf);
    let c = h.socket(t, AF_INET, SOCK_STREAM, IPPROTO_TCP);
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

/// Receives everything available on `s` now (nonblocking reads), restoring blocking
/// mode after.
pub fn drain(h: &mut Harness, t: ThreadId, s: u64) -> Vec<u8> {
    let nb = dword(h, 1);
    assert_eq!(h.ioctlsocket(t, s, FIONBIO, nb), 0);
    let buf = h.sim().alloc(65536);
    let mut out = Vec::new();
    loop {
        let call = h.recv(t, s, buf, 65536, 0);
        let n = h.done(t, call);
        if n <= 0 {
            break;
        }
        out.extend(h.sim().read_vec(buf, n as usize).expect("readable"));
    }
    let b = dword(h, 0);
    assert_eq!(h.ioctlsocket(t, s, FIONBIO, b), 0);
    out
}

/// Builds a world twice with `f` and asserts the two traces are identical, byte for byte
/// (naming the first line that differs); returns the trace hash. "The same seed gives the
/// same trace, byte for byte, and a test proves it" (DESIGN.md, determinism rules).
#[track_caller]
pub fn run_twice_and_compare<F: Fn() -> Harness>(f: F) -> u64 {
    let (a, b) = (f(), f());
    let (ja, jb) = (a.trace().to_jsonl(), b.trace().to_jsonl());
    if ja != jb {
        let (la, lb): (Vec<&str>, Vec<&str>) = (ja.lines().collect(), jb.lines().collect());
        let i = la
            .iter()
            .zip(&lb)
            .position(|(x, y)| x != y)
            .unwrap_or(la.len().min(lb.len()));
        panic!(
            "two runs gave different traces at line {i} ({} vs {} lines):\n  {}\n  {}",
            la.len(),
            lb.len(),
            la.get(i).unwrap_or(&"<end>"),
            lb.get(i).unwrap_or(&"<end>")
        );
    }
    assert!(
        !ja.is_empty(),
        "the runs kept no trace (keep_trace = false?)"
    );
    assert_eq!(a.trace().hash(), b.trace().hash());
    a.trace().hash()
}
