//! `Scenario::start_faults`: a scenario's faults for an external program (a C program
//! linked to libwsasim), here played by Rust code on the adopted main thread. The rule:
//! a fault aimed at the program hits every socket the program owns when it fires (its
//! main thread's and those of the threads it creates), never a scenario peer's.

use std::sync::{Arc, Mutex};
use wsasim_core::{Config, Profile, World, WsaError};
use wsasim_runtime::api::*;
use wsasim_runtime::{run_with, Outcome, STEPS_MAX_DEFAULT};
use wsasim_scenario::parse;

const WORLD: &str = r#"
[[peer]]
kind = "tcp-server"
listen = "127.0.0.1:7"
mode = "echo"
accept = 2

[[program]]
name = "app"
external = "./app"

[[fault]]
kind = "buffer-deadlock"
target = "program:app"
at_ms = 5
"#;

fn connected() -> SOCKET {
    let s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    let (a, n) = sockaddr("127.0.0.1:7");
    assert_eq!(connect(s, a, n), 0, "connect: {}", WSAGetLastError());
    s
}

#[test]
fn program_fault_on_an_external_program_hits_its_threads_sockets_not_the_peers() {
    let sc = parse("ext.toml", WORLD).unwrap();
    let mut world = World::new(Config::new(3, Profile::Windows));
    sc.install(&mut world);
    let seen: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
    let out = Arc::clone(&seen);
    let report = run_with(world, None, STEPS_MAX_DEFAULT, move || {
        let log = |m: String| out.lock().unwrap().push(m);
        assert_eq!(WSAStartup(0x0202, alloc(408)), 0);
        let peers = sc.start_peers();
        let faults = sc.start_faults();
        assert_eq!(
            faults.threads().len(),
            1,
            "one thread applies the timed fault"
        );
        // One socket of the main thread, one of a thread it creates.
        let a = connected();
        let slot = Arc::new(Mutex::new(0u64));
        let b_slot = Arc::clone(&slot);
        let t = CreateThread(move || {
            *b_slot.lock().unwrap() = connected();
            0
        });
        WaitForSingleObject(t, INFINITE);
        let b = *slot.lock().unwrap();
        // The peer's listener and accepted socket are harness sockets; a and b are not.
        let harness = harness_world(|w, _| {
            w.sockets()
                .into_iter()
                .filter(|&s| w.is_harness_socket(s))
                .count()
        });
        log(format!("harness sockets {harness}"));
        log(format!(
            "a harness {}, b harness {}",
            harness_world(|w, _| w.is_harness_socket(a)),
            harness_world(|w, _| w.is_harness_socket(b))
        ));
        Sleep(10);
        // buffer-deadlock (count 1) hit both of the program's sockets.
        let byte = alloc_bytes(b"x");
        for (name, s) in [("a", a), ("b", b)] {
            let r = send(s, byte, 1, 0);
            log(format!(
                "{name} send after the fault: {r} {}",
                WSAGetLastError()
            ));
        }
        // ... and not the peer's: it echoes a's next byte.
        assert_eq!(send(a, byte, 1, 0), 1);
        let buf = alloc(1);
        log(format!("a echo: {}", recv(a, buf, 1, 0)));
        let l = faults.log();
        log(format!(
            "firings {}, missed {:?}, targets {:?}",
            l.firings.len(),
            l.firings[0].missed,
            l.firings[0].targets
        ));
        closesocket(a);
        closesocket(b);
        // The peer served both connections without a failed call.
        let code = alloc(4);
        WaitForSingleObject(peers[0], INFINITE);
        GetExitCodeThread(peers[0], code);
        log(format!("peer exit {}", read_u32(code)));
        0
    });
    assert!(
        matches!(report.outcome, Outcome::Exited(0)),
        "{:?}",
        report.outcome
    );
    let nobufs = WsaError::WSAENOBUFS.0;
    assert_eq!(
        *seen.lock().unwrap(),
        vec![
            "harness sockets 2".to_string(),
            "a harness false, b harness false".to_string(),
            format!("a send after the fault: -1 {nobufs}"),
            format!("b send after the fault: -1 {nobufs}"),
            "a echo: 1".to_string(),
            "firings 1, missed None, targets [0]".to_string(),
            "peer exit 0".to_string(),
        ]
    );
}

#[test]
fn connection_fault_on_an_external_program_without_a_connection_is_missed() {
    let text = WORLD.replace("buffer-deadlock", "abort");
    let sc = parse("ext.toml", &text).unwrap();
    let mut world = World::new(Config::new(0, Profile::Windows));
    sc.install(&mut world);
    let seen: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
    let out = Arc::clone(&seen);
    let report = run_with(world, None, STEPS_MAX_DEFAULT, move || {
        assert_eq!(WSAStartup(0x0202, alloc(408)), 0);
        sc.start_peers();
        let faults = sc.start_faults();
        // A socket of its own, never connected: an abort has nothing to abort.
        let s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
        Sleep(10);
        *out.lock().unwrap() = faults.log().firings[0].missed.clone();
        closesocket(s);
        0
    });
    assert!(
        matches!(report.outcome, Outcome::Exited(0)),
        "{:?}",
        report.outcome
    );
    assert_eq!(
        seen.lock().unwrap().as_deref(),
        Some("program app had no connected socket at t=5.000000ms")
    );
}

#[test]
fn thread_exit_cannot_target_an_external_program() {
    let text = WORLD.replace("buffer-deadlock", "thread-exit");
    let e = parse("ext.toml", &text).unwrap_err();
    assert!(
        e.message.starts_with(
            "program \"app\" is external: a thread-exit fault cannot stop one of its threads"
        ),
        "{e}"
    );
}

#[test]
fn probabilistic_fault_fires_in_before_call_of_a_send_and_counts_its_times() {
    let text = WORLD.replace("at_ms = 5", "ratio = \"1/1\"\ntimes = 1");
    let sc = parse("ext.toml", &text).unwrap();
    let mut world = World::new(Config::new(0, Profile::Windows));
    sc.install(&mut world);
    let seen: Arc<Mutex<Vec<i32>>> = Arc::new(Mutex::new(Vec::new()));
    let out = Arc::clone(&seen);
    let report = run_with(world, None, STEPS_MAX_DEFAULT, move || {
        assert_eq!(WSAStartup(0x0202, alloc(408)), 0);
        sc.start_peers();
        let faults = sc.start_faults();
        assert!(
            faults.threads().is_empty(),
            "no timed fault, no fault thread"
        );
        faults.before_call("connect");
        let a = connected();
        let byte = alloc_bytes(b"x");
        let mut v = Vec::new();
        for _ in 0..2 {
            faults.before_call("send");
            let r = send(a, byte, 1, 0);
            v.push(if r < 0 { WSAGetLastError() } else { r });
        }
        v.push(faults.log().fired[0] as i32);
        *out.lock().unwrap() = v;
        closesocket(a);
        0
    });
    assert!(
        matches!(report.outcome, Outcome::Exited(0)),
        "{:?}",
        report.outcome
    );
    // 1/1: the first send's fault fires; times = 1: the second send works.
    assert_eq!(
        *seen.lock().unwrap(),
        vec![WsaError::WSAENOBUFS.0 as i32, 1, 1]
    );
}
