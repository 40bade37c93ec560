//! The cost of the model's `WSASend` path (`docs/performance.md`).
//!
//! - `send_64b_event`: one 64-byte overlapped `WSASend` with an event on a connected
//!   loopback pair, completing immediately, followed by `WSAGetOverlappedResult` and
//!   `WSAResetEvent`, as the seed's example loop does; the peer is drained every
//!   [`DRAIN_EVERY`] sends so the buffers never fill. Reported per send + completion.
//! - `send_1mib_event`: one 1 MiB overlapped `WSASend`, consumed by the transport while
//!   the peer reads it all; reported as throughput.
//!
//! Both run with `keep_trace = false`, so the trace vector does not grow.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use std::time::Duration;
use wsasim_core::consts::*;
use wsasim_core::memory::UserMemoryExt;
use wsasim_core::net::SockAddr;
use wsasim_core::{Call, Config, Profile, Ptr, ThreadId, World, WsaBuf};

/// Sends between two drains of the peer: 512 x 64 bytes = 32 KiB, half the default
/// receive window.
const DRAIN_EVERY: u32 = 512;

/// Finishes a call that must not block (the pair is loopback with zero latency).
fn done(w: &mut World, call: Call) -> i64 {
    match call {
        Call::Done(v) => v,
        Call::Blocked => {
            let t = w.main_thread();
            loop {
                match w.poll_thread(t) {
                    wsasim_core::Poll::Done(v) => return v,
                    wsasim_core::Poll::Blocked { .. } => assert!(w.step(), "deadlock"),
                    wsasim_core::Poll::RunApc(_) => panic!("no APCs in this benchmark"),
                }
            }
        }
    }
}

/// A started world and a connected loopback pair `(client, server)`.
fn pair(rcvbuf: Option<u32>) -> (World, ThreadId, u64, u64) {
    let mut cfg = Config::new(1, Profile::Windows);
    cfg.keep_trace = false;
    let mut w = World::new(cfg);
    let t = w.main_thread();
    let data = w.sim().alloc(408);
    assert_eq!(w.wsa_startup(t, 0x0202, data), 0);
    let (raw, len) = SockAddr::parse("127.0.0.1:27015")
        .expect("address")
        .to_bytes();
    let addr = w.sim().alloc_bytes(&raw[..len]);
    let l = w.socket(t, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if let Some(r) = rcvbuf {
        let v = w.sim().alloc_bytes(&r.to_le_bytes());
        assert_eq!(w.setsockopt(t, l, SOL_SOCKET, SO_RCVBUF, v, 4), 0);
    }
    assert_eq!(w.bind(t, l, addr, len as i32), 0);
    assert_eq!(w.listen(t, l, 5), 0);
    let c = w.socket(t, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    let call = w.connect(t, c, addr, len as i32);
    assert_eq!(done(&mut w, call), 0);
    let call = w.accept(t, l, Ptr::NULL, Ptr::NULL);
    let s = done(&mut w, call) as u64;
    let call = w.closesocket(t, l);
    assert_eq!(done(&mut w, call), 0);
    (w, t, c, s)
}

/// Reads everything queued on the nonblocking socket `s` into `buf`; returns the bytes.
fn drain(w: &mut World, t: ThreadId, s: u64, buf: Ptr, cap: i32) -> u64 {
    let mut total = 0;
    loop {
        let call = w.recv(t, s, buf, cap, 0);
        let n = done(w, call);
        if n <= 0 {
            return total;
        }
        total += n as u64;
    }
}

fn set_nonblocking(w: &mut World, t: ThreadId, s: u64) {
    let one = w.sim().alloc_bytes(&1u32.to_le_bytes());
    assert_eq!(w.ioctlsocket(t, s, FIONBIO, one), 0);
}

fn send_64b_event(c: &mut Criterion) {
    let (mut w, t, client, server) = pair(None);
    set_nonblocking(&mut w, t, client);
    let ev = w.wsa_create_event(t);
    let ov = w.sim().alloc_overlapped(ev);
    let data = w.sim().alloc_bytes(&[0x5a; 64]);
    let arr = w.sim().alloc_wsabufs(&[WsaBuf { len: 64, buf: data }]);
    let sent = w.sim().alloc(4);
    let n = w.sim().alloc(4);
    let flags = w.sim().alloc(4);
    let rbuf = w.sim().alloc(64 * 1024);
    let mut since_drain = 0u32;
    let mut sends = 0u64;
    let mut g = c.benchmark_group("wsasend");
    g.throughput(Throughput::Elements(1));
    g.bench_function("send_64b_event", |b| {
        b.iter(|| {
            let call = w.wsa_send(t, server, arr, 1, sent, 0, ov, Ptr::NULL);
            debug_assert_eq!(call, Call::Done(0));
            let call = w.wsa_get_overlapped_result(t, server, ov, n, 0, flags);
            debug_assert_eq!(call, Call::Done(1));
            black_box(w.wsa_reset_event(t, ev));
            sends += 1;
            since_drain += 1;
            if since_drain == DRAIN_EVERY {
                since_drain = 0;
                black_box(drain(&mut w, t, client, rbuf, 64 * 1024));
            }
        })
    });
    g.finish();
    if sends > 0 {
        // The loop really sent and completed: the last send reported 64 bytes.
        assert_eq!(w.mem().read_u32(n).expect("readable"), 64);
        assert_eq!(w.pending_ops(), 0);
    }
}

fn send_1mib_event(c: &mut Criterion) {
    const MIB: u32 = 1 << 20;
    let (mut w, t, client, server) = pair(None);
    set_nonblocking(&mut w, t, client);
    let ev = w.wsa_create_event(t);
    let ov = w.sim().alloc_overlapped(ev);
    let data = w.sim().alloc_bytes(&vec![0xa5; MIB as usize]);
    let arr = w.sim().alloc_wsabufs(&[WsaBuf {
        len: MIB,
        buf: data,
    }]);
    let n = w.sim().alloc(4);
    let flags = w.sim().alloc(4);
    let rbuf = w.sim().alloc(64 * 1024);
    let mut sends = 0u64;
    let mut g = c.benchmark_group("wsasend");
    g.throughput(Throughput::Bytes(u64::from(MIB)));
    g.bench_function("send_1mib_event", |b| {
        b.iter(|| {
            let call = w.wsa_send(t, server, arr, 1, Ptr::NULL, 0, ov, Ptr::NULL);
            let mut got = 0;
            if call != Call::Done(0) {
                // The request pends until the peer has read enough of it.
                while got < u64::from(MIB) {
                    got += drain(&mut w, t, client, rbuf, 64 * 1024);
                    if w.overlapped_internal(ov) != Some(0x103) {
                        break;
                    }
                }
            }
            while got < u64::from(MIB) {
                got += drain(&mut w, t, client, rbuf, 64 * 1024);
            }
            assert_eq!(got, u64::from(MIB));
            let call = w.wsa_get_overlapped_result(t, server, ov, n, 0, flags);
            debug_assert_eq!(call, Call::Done(1));
            black_box(w.wsa_reset_event(t, ev));
            sends += 1;
        })
    });
    g.finish();
    if sends > 0 {
        assert_eq!(w.mem().read_u32(n).expect("readable"), MIB);
        assert_eq!(w.pending_ops(), 0);
    }
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
}

criterion_group! {
    name = benches;
    config = config();
    targets = send_64b_event, send_1mib_event
}
criterion_main!(benches);
