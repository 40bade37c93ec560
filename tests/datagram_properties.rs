//! Properties of datagrams on the simulated network, over random sizes, buffer counts,
//! MTUs, loss ratios, latencies and seeds:
//!
//! - a datagram is never split or merged: every receive returns exactly the bytes of one
//!   send, however many `WSABUF`s it was gathered from and however many fragments the
//!   path MTU cut it into ("one message per call whatever the number of buffers",
//!   `wine-facts.md` E11; fragmentation is invisible to the receiver);
//! - it arrives at most once;
//! - it is lost only where a loss rule says so: with a zero ratio every datagram
//!   arrives, and each missing one has its `lost` trace record;
//! - the same seed loses the same datagrams.
//!
//! Each datagram carries its id and length in its first 8 bytes, then a pattern derived
//! from its id, so a split, a merge or a mix-up shows in the comparison.

use proptest::prelude::*;
use std::collections::BTreeMap;
use wsasim_core::consts::*;
use wsasim_core::harness::Harness;
use wsasim_core::msg::WsaMsg;
use wsasim_core::net::{HostId, IpAddr, Link, LinkOpts, SockAddr};
use wsasim_core::time::Duration;
use wsasim_core::trace::Record;
use wsasim_core::{Config, Profile, Ptr, Ratio, ThreadId, WsaBuf};
use wsasim_tests::*;

/// The bytes of datagram `id`, `len` long (at least 8).
fn payload(id: u32, len: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(len);
    v.extend_from_slice(&id.to_le_bytes());
    v.extend_from_slice(&(len as u32).to_le_bytes());
    v.extend((8..len).map(|i| (i as u32).wrapping_mul(31).wrapping_add(id) as u8));
    v
}

#[derive(Clone, Debug)]
struct Case {
    seed: u64,
    profile: Profile,
    /// Per datagram: its length and how many buffers it is gathered from.
    datagrams: Vec<(usize, u8)>,
    mtu: u32,
    loss: (u32, u32),
    latency_us: u64,
    /// Two links and a router in between, rather than one link.
    routed: bool,
}

fn case() -> impl Strategy<Value = Case> {
    (
        any::<u64>(),
        any::<bool>(),
        prop::collection::vec((8usize..6000, 1u8..5), 1..40),
        prop_oneof![Just(576u32), Just(1280), Just(1500), 600u32..9000],
        prop_oneof![Just((0u32, 1u32)), (0u32..4, 4u32..9)],
        0u64..3000,
        any::<bool>(),
    )
        .prop_map(
            |(seed, doc, datagrams, mtu, loss, latency_us, routed)| Case {
                seed,
                profile: if doc {
                    Profile::Documented
                } else {
                    Profile::Windows
                },
                datagrams,
                mtu,
                loss,
                latency_us,
                routed,
            },
        )
}

/// What a run observed: the datagrams received (in order), the `lost` records, the
/// `drop` records.
struct Observed {
    received: Vec<Vec<u8>>,
    lost: usize,
    dropped: usize,
    sent: usize,
}

fn run(c: &Case) -> Observed {
    let mut h = Harness::new(Config::new(c.seed, c.profile));
    let t = h.main_thread();
    let data = h.sim().alloc(408);
    assert_eq!(h.wsa_startup(t, makeword(2, 2), data), 0);
    let ip = |s: &str| IpAddr::parse(s).unwrap();
    let link = Link {
        latency: Duration::from_micros(c.latency_us),
        bandwidth: Some(10_000_000),
    };
    let opts = LinkOpts {
        mtu: c.mtu,
        loss: Ratio::new(c.loss.0, c.loss.1),
    };
    let net = h.network_mut();
    net.add_address(HostId(0), ip("10.0.1.1"), 24);
    let (b, dest) = if c.routed {
        let r = net.add_host("r", &[ip("10.0.1.254"), ip("10.0.2.254")]);
        let b = net.add_host("b", &[ip("10.0.2.1")]);
        net.link(HostId(0), r, link);
        net.link(r, b, link);
        net.set_link_opts(HostId(0), r, opts);
        net.set_link_opts(r, b, opts);
        net.add_route(HostId(0), ip("10.0.2.0"), 24, r);
        (b, "10.0.2.1:5000")
    } else {
        let b = net.add_host("b", &[ip("10.0.1.2")]);
        net.link(HostId(0), b, link);
        net.set_link_opts(HostId(0), b, opts);
        (b, "10.0.1.2:5000")
    };
    let tb = h.create_thread();
    h.set_thread_host(tb, b);
    let r = h.socket(tb, AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    set_int_opt(&mut h, tb, r, SOL_SOCKET, SO_RCVBUF, 64 << 20);
    let (a, n) = sockaddr(&mut h, dest);
    assert_eq!(h.bind(tb, r, a, n), 0);
    let u = h.socket(t, AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    let mut sent = 0;
    for (id, &(len, nbufs)) in c.datagrams.iter().enumerate() {
        let p = payload(id as u32, len);
        // Gather it from `nbufs` pieces.
        let cut = len / usize::from(nbufs);
        let mut bufs = Vec::new();
        for i in 0..usize::from(nbufs) {
            let end = if i + 1 == usize::from(nbufs) {
                len
            } else {
                (i + 1) * cut
            };
            let piece = &p[i * cut..end];
            bufs.push((bytes(&mut h, piece), piece.len() as u32));
        }
        let arr = wsabufs(&mut h, &bufs);
        let count = dword(&mut h, 0);
        let call = if id % 2 == 0 {
            let m = WsaMsg {
                name: a,
                namelen: n,
                buffers: arr,
                buffer_count: u32::from(nbufs),
                ..WsaMsg::default()
            };
            let mp = h.sim().alloc_bytes(&m.to_bytes());
            h.wsa_send_msg(t, u, mp, 0, count, Ptr::NULL, Ptr::NULL)
        } else {
            h.wsa_send_to(
                t,
                u,
                arr,
                u32::from(nbufs),
                count,
                0,
                a,
                n,
                Ptr::NULL,
                Ptr::NULL,
            )
        };
        assert_eq!(h.done(t, call), 0, "send {id}: {}", h.last_error(t));
        assert_eq!(read_u32(&h, count) as usize, len);
        sent += 1;
    }
    // Everything in flight lands.
    while h.step() {}
    let received = drain_datagrams(&mut h, tb, r);
    let count = |what: &str| {
        h.trace()
            .entries()
            .iter()
            .filter(|e| matches!(e.rec, Record::Net { what: w, .. } if w == what))
            .count()
    };
    Observed {
        received,
        lost: count("lost"),
        dropped: count("drop"),
        sent,
    }
}

/// Every datagram queued at `s`, one per receive.
fn drain_datagrams(h: &mut Harness, t: ThreadId, s: u64) -> Vec<Vec<u8>> {
    let nb = dword(h, 1);
    assert_eq!(h.ioctlsocket(t, s, FIONBIO, nb), 0);
    let buf = h.sim().alloc(70_000);
    let arr = h.sim().alloc_wsabufs(&[WsaBuf { len: 70_000, buf }]);
    let mut out = Vec::new();
    loop {
        let n = dword(h, 0);
        let flags = dword(h, 0);
        let from = h.sim().alloc(16);
        let flen = dword(h, 16);
        let call = h.wsa_recv_from(t, s, arr, 1, n, flags, from, flen, Ptr::NULL, Ptr::NULL);
        if h.done(t, call) != 0 {
            assert_eq!(h.last_error(t), WsaError::WSAEWOULDBLOCK.0);
            return out;
        }
        let src = SockAddr::read(h.mem(), from, read_u32(h, flen) as i32).unwrap();
        assert_eq!(src.ip, IpAddr::parse("10.0.1.1").unwrap());
        let len = read_u32(h, n) as usize;
        out.push(h.sim().read_vec(buf, len).unwrap());
    }
}

use wsasim_core::WsaError;

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn datagrams_are_never_split_or_merged_arrive_at_most_once_and_are_lost_only_by_a_loss_rule(
        c in case()
    ) {
        let o = run(&c);
        prop_assert_eq!(o.dropped, 0, "the receive buffer is large enough");
        let mut seen: BTreeMap<u32, usize> = BTreeMap::new();
        for d in &o.received {
            prop_assert!(d.len() >= 8);
            let id = u32::from_le_bytes(d[..4].try_into().unwrap());
            let len = u32::from_le_bytes(d[4..8].try_into().unwrap()) as usize;
            prop_assert!((id as usize) < c.datagrams.len(), "an id that was sent");
            prop_assert_eq!(len, c.datagrams[id as usize].0);
            // Exactly one send's bytes: not split, not merged.
            prop_assert!(*d == payload(id, len), "datagram {} intact", id);
            *seen.entry(id).or_default() += 1;
        }
        prop_assert!(seen.values().all(|&n| n == 1), "at most once: {:?}", seen);
        let missing = o.sent - seen.len();
        prop_assert_eq!(missing, o.lost, "each missing datagram has its loss record");
        if c.loss.0 == 0 {
            prop_assert_eq!(missing, 0, "no loss rule, no loss");
        }
        // In order, too: one path, serialised.
        let ids: Vec<u32> = o.received.iter().map(|d| u32::from_le_bytes(d[..4].try_into().unwrap())).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        prop_assert_eq!(ids, sorted);
    }

    #[test]
    fn the_same_seed_loses_the_same_datagrams(c in case()) {
        let a = run(&c);
        let b = run(&c);
        prop_assert_eq!(a.received, b.received);
        prop_assert_eq!(a.lost, b.lost);
    }
}

#[test]
fn a_certain_loss_rule_loses_every_datagram_and_traces_each() {
    let c = Case {
        seed: 1,
        profile: Profile::Windows,
        datagrams: vec![(100, 1), (3000, 3), (8, 1)],
        mtu: 576,
        loss: (1, 1),
        latency_us: 10,
        routed: true,
    };
    let o = run(&c);
    assert!(o.received.is_empty());
    assert_eq!(o.lost, 3);
}
