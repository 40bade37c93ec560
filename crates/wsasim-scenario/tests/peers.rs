//! Scripted peers against programs run by `wsasim_runtime`: a scenario is installed on
//! the world, the program's main thread starts the peers, and what the peers did is
//! read back from the trace.

use std::path::{Path, PathBuf};
use wsasim_core::net::{HostId, IpAddr, Link};
use wsasim_core::time::Duration;
use wsasim_core::trace::Record;
use wsasim_core::{Config, Profile, Ptr, World};
use wsasim_runtime::api::*;
use wsasim_runtime::{check_determinism, run_with, Outcome, RunReport, STEPS_MAX_DEFAULT};
use wsasim_scenario::{load, parse, Scenario};

fn scenario_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../sim/scenarios")
        .join(name)
}

/// Runs `main` on a world with `s` installed; `main` gets the peers' handles, started
/// first thing.
fn run_scenario(
    s: &Scenario,
    seed: u64,
    profile: Profile,
    main: impl FnOnce(Vec<u64>) -> u32 + Send + 'static,
) -> RunReport {
    let mut world = World::new(Config::new(seed, profile));
    s.install(&mut world);
    let s = s.clone();
    run_with(world, None, STEPS_MAX_DEFAULT, move || {
        main(s.start_peers())
    })
}

fn startup() {
    assert_eq!(WSAStartup(0x0202, alloc(408)), 0);
}

fn exit_code(h: HANDLE) -> u32 {
    assert_eq!(WaitForSingleObject(h, INFINITE), WAIT_OBJECT_0);
    let p = alloc(4);
    assert_eq!(GetExitCodeThread(h, p), 1);
    read_u32(p)
}

/// A listening socket on `addr`.
fn listening(addr: &str) -> SOCKET {
    let l = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    let (a, n) = sockaddr(addr);
    assert_eq!(bind(l, a, n), 0, "bind: {}", WSAGetLastError());
    assert_eq!(listen(l, SOMAXCONN), 0);
    l
}

/// The successful `recv` returns of threads other than the main one, added up.
fn peer_recv_total(r: &RunReport) -> i64 {
    let main = r.world.main_thread().0;
    r.world
        .trace()
        .entries()
        .iter()
        .filter_map(|e| match e.rec {
            Record::Return {
                thread, api, ret, ..
            } if api == "recv" && thread != main && ret > 0 => Some(ret),
            _ => None,
        })
        .sum()
}

/// `(call time, return time, return value, error)` of every `connect` of other threads.
fn peer_connects(r: &RunReport) -> Vec<(u64, u64, i64, u32)> {
    let main = r.world.main_thread().0;
    let mut calls = Vec::new();
    let mut out = Vec::new();
    for e in r.world.trace().entries() {
        match e.rec {
            Record::Call { thread, api, .. } if api == "connect" && thread != main => {
                calls.push(e.at.as_nanos())
            }
            Record::Return {
                thread,
                api,
                ret,
                error,
            } if api == "connect" && thread != main => {
                out.push((calls.remove(0), e.at.as_nanos(), ret, error))
            }
            _ => {}
        }
    }
    out
}

const MS: u64 = 1_000_000;

/// The program of the DESIGN.md example, in small: accept one client, write three
/// 4 KiB buffers, close.
fn tiny_server(peers: Vec<u64>) -> u32 {
    startup();
    let l = listening("0.0.0.0:27015");
    let a = accept(l, Ptr::NULL, Ptr::NULL);
    assert_ne!(a, INVALID_SOCKET, "accept: {}", WSAGetLastError());
    for i in 0..3u8 {
        let buf = alloc_bytes(&[i; 4096]);
        assert_eq!(send(a, buf, 4096, 0), 4096);
    }
    assert_eq!(closesocket(a), 0);
    assert_eq!(closesocket(l), 0);
    assert_eq!(peers.len(), 1);
    assert_eq!(exit_code(peers[0]), 0, "the peer's script ran to its end");
    assert_eq!(WSACleanup(), 0);
    0
}

#[test]
fn seed_example_file_is_the_design_md_form() {
    let s = load(&scenario_file("seed-example.toml")).unwrap();
    let design = parse(
        "design.toml",
        r#"[[peer]]
kind = "tcp-client"          # connects to the program under test
connect = "127.0.0.1:27015"
start_ms = 10                # virtual time of the connect
read = "all"                 # read until the program closes
"#,
    )
    .unwrap();
    assert_eq!(s.peers(), design.peers());
    assert!(s.hosts().is_empty() && s.links().is_empty());
}

#[test]
fn design_md_client_connects_at_10_ms_and_reads_all_12288_bytes_of_a_tiny_server() {
    let s = load(&scenario_file("seed-example.toml")).unwrap();
    for profile in [Profile::Windows, Profile::Documented] {
        for seed in 0..8 {
            let r = run_scenario(&s, seed, profile, tiny_server);
            assert!(r.success(), "seed {seed} {profile:?}: {:?}", r.outcome);
            assert_eq!(peer_recv_total(&r), 12288, "seed {seed} {profile:?}");
            // The program listened at 0 ms; the peer connected at its start time.
            let connects = peer_connects(&r);
            assert_eq!(connects.len(), 1, "seed {seed} {profile:?}");
            assert_eq!(connects[0].0, 10 * MS);
            assert_eq!(connects[0].2, 0);
        }
    }
}

#[test]
fn one_seed_gives_one_trace_with_peers() {
    let s = load(&scenario_file("seed-example.toml")).unwrap();
    for seed in [1, 7] {
        check_determinism(|| run_scenario(&s, seed, Profile::Documented, tiny_server)).unwrap();
    }
}

#[test]
fn refused_connect_is_retried_every_connect_retry_ms_until_the_program_listens() {
    let s = parse(
        "t.toml",
        "[[peer]]\nkind = \"tcp-client\"\nconnect = \"127.0.0.1:27015\"\nstart_ms = 10\n",
    )
    .unwrap();
    let r = run_scenario(&s, 3, Profile::Windows, |peers| {
        Sleep(35);
        tiny_server(peers)
    });
    assert!(r.success(), "{:?}", r.outcome);
    let connects = peer_connects(&r);
    let refused = WSAECONNREFUSED_CODE;
    assert_eq!(
        connects
            .iter()
            .map(|&(at, _, ret, err)| (at / MS, ret, err))
            .collect::<Vec<_>>(),
        vec![
            (10, -1, refused),
            (20, -1, refused),
            (30, -1, refused),
            (40, 0, 0)
        ]
    );
    assert_eq!(peer_recv_total(&r), 12288);
}

const WSAECONNREFUSED_CODE: u32 = wsasim_core::WsaError::WSAECONNREFUSED.0;

#[test]
fn client_gives_up_after_connect_attempts_with_wsaeconnrefused_as_exit_code() {
    let s = parse(
        "t.toml",
        "[[peer]]\nkind = \"tcp-client\"\nconnect = \"127.0.0.1:27015\"\nconnect_attempts = 3\nconnect_retry_ms = 5\n",
    )
    .unwrap();
    let r = run_scenario(&s, 0, Profile::Windows, |peers| {
        assert_eq!(exit_code(peers[0]), WSAECONNREFUSED_CODE);
        0
    });
    assert!(r.success(), "{:?}", r.outcome);
    let times: Vec<u64> = peer_connects(&r).iter().map(|c| c.0 / MS).collect();
    assert_eq!(times, vec![0, 5, 10]);
}

/// A client program: connect to `addr`, send `data`, shut down sending, read to the end.
fn echo_client(addr: &'static str, data: Vec<u8>) -> impl FnOnce(Vec<u64>) -> u32 + Send {
    move |peers| {
        startup();
        let c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
        let (a, n) = sockaddr(addr);
        // No waiting: the server peer listens before start_peers returns.
        assert_eq!(connect(c, a, n), 0, "connect: {}", WSAGetLastError());
        let buf = alloc_bytes(&data);
        assert_eq!(send(c, buf, data.len() as i32, 0), data.len() as i32);
        assert_eq!(shutdown(c, SD_SEND), 0);
        let mut got = Vec::new();
        let rbuf = alloc(1000);
        loop {
            let k = recv(c, rbuf, 1000, 0);
            assert!(k >= 0, "recv: {}", WSAGetLastError());
            if k == 0 {
                break;
            }
            got.extend(read(rbuf, k as usize));
        }
        assert_eq!(closesocket(c), 0);
        assert_eq!(exit_code(peers[0]), 0);
        WSACleanup();
        // The main thread's exit code says how many bytes came back.
        got.len() as u32 + if got == data[..got.len()] { 0 } else { 1 << 30 }
    }
}

#[test]
fn tcp_server_echo_peer_sends_every_byte_back_and_listens_before_start_peers_returns() {
    let s = load(&scenario_file("echo-server.toml")).unwrap();
    let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
    for profile in [Profile::Windows, Profile::Documented] {
        for seed in 0..16 {
            let r = run_scenario(&s, seed, profile, echo_client("127.0.0.1:7", data.clone()));
            assert_eq!(
                r.outcome,
                Outcome::Exited(10_000),
                "seed {seed} {profile:?}: all 10000 bytes back, in order"
            );
            assert_eq!(peer_recv_total(&r), 10_000);
        }
    }
}

#[test]
fn tcp_server_discard_peer_reads_everything_and_sends_nothing() {
    let s = parse(
        "t.toml",
        "[[peer]]\nkind = \"tcp-server\"\nlisten = \"127.0.0.1:9\"\nmode = \"discard\"\n",
    )
    .unwrap();
    let r = run_scenario(
        &s,
        5,
        Profile::Windows,
        echo_client("127.0.0.1:9", vec![7; 5000]),
    );
    assert_eq!(r.outcome, Outcome::Exited(0), "nothing came back");
    assert_eq!(peer_recv_total(&r), 5000);
}

#[test]
fn tcp_server_accepts_n_connections_one_after_the_other_then_closes_its_listener() {
    let s = parse(
        "t.toml",
        "[[peer]]\nkind = \"tcp-server\"\nlisten = \"0.0.0.0:7\"\naccept = 2\n",
    )
    .unwrap();
    let r = run_scenario(&s, 2, Profile::Windows, |peers| {
        startup();
        for round in 0..3 {
            let c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
            let (a, n) = sockaddr("127.0.0.1:7");
            let rc = connect(c, a, n);
            if round < 2 {
                assert_eq!(rc, 0);
                let b = alloc_bytes(b"ping");
                assert_eq!(send(c, b, 4, 0), 4);
                shutdown(c, SD_SEND);
                let rb = alloc(8);
                assert_eq!(recv(c, rb, 8, 0), 4);
                assert_eq!(recv(c, rb, 8, 0), 0);
            } else {
                // The third finds no listener.
                assert_eq!(rc, SOCKET_ERROR);
                assert_eq!(WSAGetLastError() as u32, WSAECONNREFUSED_CODE);
            }
            closesocket(c);
            if round == 1 {
                assert_eq!(exit_code(peers[0]), 0);
            }
        }
        0
    });
    assert!(r.success(), "{:?}", r.outcome);
}

#[test]
fn tcp_server_that_cannot_bind_returns_its_setup_thread_with_the_error_as_exit_code() {
    let s = parse(
        "t.toml",
        "[[peer]]\nkind = \"tcp-server\"\nlisten = \"0.0.0.0:7\"\n",
    )
    .unwrap();
    let mut world = World::new(Config::new(0, Profile::Windows));
    s.install(&mut world);
    let r = run_with(world, None, STEPS_MAX_DEFAULT, move || {
        startup();
        // The program holds the port first.
        let _l = listening("0.0.0.0:7");
        let peers = s.start_peers();
        assert_eq!(exit_code(peers[0]), wsasim_core::WsaError::WSAEADDRINUSE.0);
        0
    });
    assert!(r.success(), "{:?}", r.outcome);
}

#[test]
fn tcp_server_with_a_start_time_listens_then_and_not_before() {
    let s = parse(
        "t.toml",
        "[[peer]]\nkind = \"tcp-server\"\nlisten = \"0.0.0.0:7\"\nstart_ms = 20\n",
    )
    .unwrap();
    let r = run_scenario(&s, 0, Profile::Windows, |_peers| {
        startup();
        let (a, n) = sockaddr("127.0.0.1:7");
        let c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
        assert_eq!(connect(c, a, n), SOCKET_ERROR, "nobody listens at 0 ms");
        closesocket(c);
        Sleep(20);
        let c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
        assert_eq!(connect(c, a, n), 0, "{}", WSAGetLastError());
        closesocket(c);
        0
    });
    assert!(r.success(), "{:?}", r.outcome);
}

#[test]
fn send_bytes_sends_the_0_to_255_pattern_in_chunks_then_shuts_down_sending() {
    let s = parse(
        "t.toml",
        "[[peer]]\nkind = \"tcp-client\"\nconnect = \"127.0.0.1:5000\"\nsend_bytes = 70000\nread = \"none\"\n",
    )
    .unwrap();
    let r = run_scenario(&s, 4, Profile::Windows, |peers| {
        startup();
        let l = listening("127.0.0.1:5000");
        let a = accept(l, Ptr::NULL, Ptr::NULL);
        let buf = alloc(8192);
        let mut got = Vec::new();
        loop {
            let k = recv(a, buf, 8192, 0);
            assert!(k >= 0, "recv: {}", WSAGetLastError());
            if k == 0 {
                break;
            }
            got.extend(read(buf, k as usize));
        }
        let want: Vec<u8> = (0..70000usize).map(|i| i as u8).collect();
        assert!(got == want, "{} bytes, pattern {}", got.len(), got == want);
        assert_eq!(exit_code(peers[0]), 0);
        0
    });
    assert!(r.success(), "{:?}", r.outcome);
}

#[test]
fn send_text_arrives_as_written() {
    let s = parse(
        "t.toml",
        "[[peer]]\nkind = \"tcp-client\"\nconnect = \"127.0.0.1:5000\"\nsend = \"GET / HTTP/1.0\\r\\n\\r\\n\"\nread = \"none\"\n",
    )
    .unwrap();
    let r = run_scenario(&s, 4, Profile::Windows, |_| {
        startup();
        let l = listening("127.0.0.1:5000");
        let a = accept(l, Ptr::NULL, Ptr::NULL);
        let buf = alloc(100);
        let mut got = Vec::new();
        loop {
            let k = recv(a, buf, 100, 0);
            if k <= 0 {
                break;
            }
            got.extend(read(buf, k as usize));
        }
        assert_eq!(got, b"GET / HTTP/1.0\r\n\r\n");
        0
    });
    assert!(r.success(), "{:?}", r.outcome);
}

#[test]
fn read_n_reads_exactly_n_bytes_then_closes() {
    let s = parse(
        "t.toml",
        "[[peer]]\nkind = \"tcp-client\"\nconnect = \"127.0.0.1:5000\"\nread = 4096\n",
    )
    .unwrap();
    let r = run_scenario(&s, 6, Profile::Windows, |peers| {
        startup();
        let l = listening("127.0.0.1:5000");
        let a = accept(l, Ptr::NULL, Ptr::NULL);
        let buf = alloc_bytes(&[1; 10000]);
        assert_eq!(send(a, buf, 10000, 0), 10000);
        assert_eq!(exit_code(peers[0]), 0);
        0
    });
    assert!(r.success(), "{:?}", r.outcome);
    assert_eq!(peer_recv_total(&r), 4096);
}

#[test]
fn close_reset_makes_the_program_see_wsaeconnreset() {
    let s = parse(
        "t.toml",
        "[[peer]]\nkind = \"tcp-client\"\nconnect = \"127.0.0.1:5000\"\nsend = \"x\"\nshutdown = \"none\"\nread = \"none\"\nclose = \"reset\"\n",
    )
    .unwrap();
    let r = run_scenario(&s, 0, Profile::Windows, |peers| {
        startup();
        let l = listening("127.0.0.1:5000");
        let a = accept(l, Ptr::NULL, Ptr::NULL);
        assert_eq!(exit_code(peers[0]), 0);
        let buf = alloc(10);
        // What arrived before the reset may or may not still be readable; the reset
        // itself is reported, never an orderly end (0).
        let mut k = recv(a, buf, 10, 0);
        if k == 1 {
            k = recv(a, buf, 10, 0);
        }
        assert_eq!(k, SOCKET_ERROR);
        assert_eq!(
            WSAGetLastError() as u32,
            wsasim_core::WsaError::WSAECONNRESET.0
        );
        0
    });
    assert!(r.success(), "{:?}", r.outcome);
}

#[test]
fn close_graceful_gives_the_program_an_orderly_end() {
    let s = parse(
        "t.toml",
        "[[peer]]\nkind = \"tcp-client\"\nconnect = \"127.0.0.1:5000\"\nsend = \"x\"\nread = \"none\"\n",
    )
    .unwrap();
    let r = run_scenario(&s, 0, Profile::Windows, |peers| {
        startup();
        let l = listening("127.0.0.1:5000");
        let a = accept(l, Ptr::NULL, Ptr::NULL);
        assert_eq!(exit_code(peers[0]), 0);
        let buf = alloc(10);
        assert_eq!(recv(a, buf, 10, 0), 1);
        assert_eq!(recv(a, buf, 10, 0), 0);
        0
    });
    assert!(r.success(), "{:?}", r.outcome);
}

const TWO_HOSTS: &str = r#"
[[host]]
name = "local"
addrs = ["10.0.0.1"]

[[host]]
name = "b"
addrs = ["10.0.0.2"]

[[link]]
between = ["local", "b"]
latency_us = 1000

[[peer]]
kind = "tcp-client"
host = "b"
connect = "10.0.0.1:27015"
start_ms = 10
"#;

#[test]
fn two_hosts_with_a_1_ms_link_connect_takes_2_ms_and_the_peer_is_on_host_b() {
    let s = parse("two.toml", TWO_HOSTS).unwrap();
    let r = run_scenario(&s, 0, Profile::Windows, |peers| {
        startup();
        let l = listening("0.0.0.0:27015");
        let a = accept(l, Ptr::NULL, Ptr::NULL);
        assert_ne!(a, INVALID_SOCKET);
        // The client's address is host b's.
        let name = alloc(16);
        let len = alloc_bytes(&16i32.to_le_bytes());
        assert_eq!(getpeername(a, name, len), 0);
        assert_eq!(read(Ptr(name.0 + 4), 4), vec![10, 0, 0, 2]);
        let buf = alloc_bytes(&[3; 4096]);
        assert_eq!(send(a, buf, 4096, 0), 4096);
        closesocket(a);
        assert_eq!(exit_code(peers[0]), 0);
        0
    });
    assert!(r.success(), "{:?}", r.outcome);
    let connects = peer_connects(&r);
    assert_eq!(connects.len(), 1);
    let (called, returned, ret, _) = connects[0];
    assert_eq!(ret, 0);
    assert_eq!(called, 10 * MS);
    // SYN one way, SYN-ACK back: two latencies of 1 ms.
    assert!(returned - called >= 2 * MS, "{}", returned - called);
    assert_eq!(peer_recv_total(&r), 4096);
}

#[test]
fn install_adds_hosts_addresses_and_links() {
    let s = parse(
        "t.toml",
        &format!("{TWO_HOSTS}\n[[link]]\nbetween = [\"b\", \"c\"]\nbandwidth_bps = 8000000\n[[host]]\nname = \"c\"\n"),
    )
    .unwrap();
    let mut world = World::new(Config::new(0, Profile::Windows));
    s.install(&mut world);
    let net = world.network_mut();
    let hosts: Vec<(HostId, String, Vec<IpAddr>)> = net
        .hosts()
        .map(|(id, h)| (id, h.name.clone(), h.addrs.clone()))
        .collect();
    let ip = |s| IpAddr::parse(s).unwrap();
    assert_eq!(
        hosts,
        vec![
            // "local" is the program's host, the network's first: it got the address.
            (HostId(0), "local".to_string(), vec![ip("10.0.0.1")]),
            (HostId(1), "b".to_string(), vec![ip("10.0.0.2")]),
            (HostId(2), "c".to_string(), vec![]),
        ]
    );
    assert_eq!(
        net.path(HostId(0), HostId(1)),
        Some(Link {
            latency: Duration::from_millis(1),
            bandwidth: None
        })
    );
    assert_eq!(
        net.path(HostId(2), HostId(1)),
        Some(Link {
            latency: Duration::from_micros(100),
            // 8 Mbit/s is 1 MB/s: the model counts bytes.
            bandwidth: Some(1_000_000)
        })
    );
    assert_eq!(net.path(HostId(0), HostId(2)), None, "no link, no path");
}

#[test]
fn start_peers_on_a_world_without_the_scenario_installed_panics_naming_the_host() {
    let s = parse("two.toml", TWO_HOSTS).unwrap();
    let r = wsasim_runtime::run(Config::new(0, Profile::Windows), move || {
        s.start_peers();
        0
    });
    match r.outcome {
        Outcome::Panicked(m) => assert!(m.contains("no host \"b\""), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn load_reports_a_missing_file_without_a_position() {
    let e = load(Path::new("/nonexistent/x.toml")).unwrap_err();
    assert_eq!((e.line, e.column), (0, 0));
    assert!(
        e.to_string()
            .starts_with("/nonexistent/x.toml: cannot read the scenario: "),
        "{e}"
    );
}

#[test]
fn load_reports_errors_with_the_path_as_file() {
    let dir = std::env::temp_dir().join(format!("wsasim-scenario-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.toml");
    std::fs::write(
        &path,
        "[[peer]]\nkind = \"tcp-client\"\nconnect = \"nowhere\"\n",
    )
    .unwrap();
    let e = load(&path).unwrap_err();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(
        e.to_string(),
        format!(
            "{}:3:11: expected connect = \"IP:PORT\" (the program's address, e.g. \"127.0.0.1:27015\"), found \"nowhere\"",
            path.display()
        )
    );
}
