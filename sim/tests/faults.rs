//! A scenario test for every fault kind: the fault fires, has its effect, the run passes
//! (every failure a program met is explained by the fault), and every error code a
//! program met is one the fault may produce and one the documentation lists for that
//! call (`crates/wsasim-scenario/src/fault.rs`, "The contract rule").

use std::sync::Arc;
use wsasim_cli::exec::{run_one, RunOptions, RunResult, Target, Verdict};
use wsasim_core::{Profile, WsaError};
use wsasim_scenario::fault::{documented_errors, FaultKind, Side};

/// Two hosts 1 ms apart at 8 Mbit/s (1 MB/s): a sender on `local` sends 40 x 4 KiB with
/// two overlapped sends in flight and no send buffering (`SO_SNDBUF = 0`), so its
/// sends are still pending 20 ms in, when the faults below fire.
const TCP: &str = r#"
[[host]]
name = "local"
addrs = ["10.0.0.1"]

[[host]]
name = "b"
addrs = ["10.0.0.2"]

[[link]]
between = ["local", "b"]
latency_us = 1000
bandwidth_bps = 8000000

[[program]]
name = "receiver"
role = "receiver"
host = "b"
listen = "0.0.0.0:7000"

[[program]]
name = "sender"
role = "sender"
connect = "10.0.0.2:7000"
count = 40
size = 4096
io = "overlapped"
completion = "COMPLETION"
outstanding = 2
sndbuf = 0
"#;

/// The same hosts with a UDP sender: 40 datagrams of 512 bytes, blocking sends with no
/// send buffering (`SO_SNDBUF = 0`) over 4 Mbit/s, so about one a millisecond and a
/// fault can land in the middle.
const UDP: &str = r#"
[[host]]
name = "local"
addrs = ["10.0.0.1"]

[[host]]
name = "b"
addrs = ["10.0.0.2"]

[[link]]
between = ["local", "b"]
latency_us = 1000
bandwidth_bps = 4000000

[[program]]
name = "receiver"
role = "receiver"
protocol = "udp"
host = "b"
listen = "0.0.0.0:7001"
timeout_ms = 200

[[program]]
name = "sender"
role = "sender"
protocol = "udp"
connect = "10.0.0.2:7001"
count = 40
size = 512
io = "blocking"
sndbuf = 0
"#;

fn scenario(base: &str, completion: &str, fault: &str) -> Arc<wsasim_scenario::Scenario> {
    let text = format!(
        "{}\n[[fault]]\n{fault}\n",
        base.replace("COMPLETION", completion)
    );
    Arc::new(wsasim_scenario::parse("fault.toml", &text).unwrap_or_else(|e| panic!("{e}")))
}

fn run(sc: &Arc<wsasim_scenario::Scenario>, seed: u64, profile: Profile) -> RunResult {
    run_one(
        &Target::Scenario(Arc::clone(sc)),
        &RunOptions::new(seed, profile),
    )
}

/// Every error the programs met: (program, api, code, handled).
fn errors(r: &RunResult) -> Vec<(String, &'static str, u32, bool)> {
    let log = r.log.as_ref().expect("in-process run");
    log.programs
        .iter()
        .flat_map(|p| {
            p.errors
                .iter()
                .map(|e| (p.name.clone(), e.api, e.code, e.handled))
        })
        .collect()
}

/// The run passed, the fault fired once, and every error code met is one the fault
/// may produce for that side and one the documentation lists for that call.
fn check_contract(r: &RunResult, kind: FaultKind) {
    assert_eq!(r.verdict, Verdict::Pass, "{}", r.reason);
    let log = r.log.as_ref().unwrap();
    assert_eq!(
        log.fired,
        vec![1],
        "the fault fired once: {:?}",
        log.firings
    );
    for (prog, api, code, _) in errors(r) {
        let listed = documented_errors(api).unwrap_or_else(|| panic!("{api} has no list"));
        assert!(
            listed.contains(&WsaError(code)),
            "{prog}: {api} returned {code}, not documented for it"
        );
        let i = log.programs.iter().position(|p| p.name == prog).unwrap();
        let fi = &log.firings[0];
        let side_ok = (fi.targets.contains(&i) && kind.explains(Side::Target, api, WsaError(code)))
            || (fi.peers.contains(&i) && kind.explains(Side::Peer, api, WsaError(code)));
        assert!(
            side_ok,
            "{prog}: {api} returned {code}, which fault {} may not produce there",
            kind.name()
        );
    }
}

fn has(r: &RunResult, prog: &str, api: &str, code: WsaError) -> bool {
    errors(r)
        .iter()
        .any(|(p, a, c, _)| p == prog && *a == api && *c == code.0)
}

fn program<'a>(r: &'a RunResult, name: &str) -> &'a wsasim_scenario::ProgramReport {
    r.log
        .as_ref()
        .unwrap()
        .programs
        .iter()
        .find(|p| p.name == name)
        .unwrap()
}

#[test]
fn baseline_without_faults_passes_with_every_byte_received() {
    let sc =
        Arc::new(wsasim_scenario::parse("base.toml", &TCP.replace("COMPLETION", "event")).unwrap());
    let r = run(&sc, 1, Profile::Windows);
    assert_eq!(r.verdict, Verdict::Pass, "{}", r.reason);
    assert_eq!(program(&r, "receiver").received, 40 * 4096);
    assert!(errors(&r).is_empty());
}

#[test]
fn reset_fails_the_targets_pending_send_with_wsaeconnreset_and_its_peer_with_wsaeconnaborted() {
    let sc = scenario(
        TCP,
        "event",
        "kind = \"reset\"\ntarget = \"program:sender\"\nat_ms = 20",
    );
    let r = run(&sc, 1, Profile::Windows);
    check_contract(&r, FaultKind::Reset);
    assert!(has(&r, "sender", "WSASend", WsaError::WSAECONNRESET));
    assert!(has(&r, "receiver", "recv", WsaError::WSAECONNABORTED));
}

#[test]
fn abort_fails_the_target_with_wsaeconnaborted_and_resets_its_peer() {
    let sc = scenario(
        TCP,
        "routine",
        "kind = \"abort\"\ntarget = \"program:sender\"\nat_ms = 20",
    );
    let r = run(&sc, 2, Profile::Windows);
    check_contract(&r, FaultKind::Abort);
    assert!(has(&r, "sender", "WSASend", WsaError::WSAECONNABORTED));
    assert!(has(&r, "receiver", "recv", WsaError::WSAECONNRESET));
}

#[test]
fn network_down_fails_the_hosts_programs_with_wsaenetdown_and_aborts_their_peers() {
    let sc = scenario(
        TCP,
        "event",
        "kind = \"network-down\"\ntarget = \"host:local\"\nat_ms = 20",
    );
    let r = run(&sc, 3, Profile::Windows);
    check_contract(&r, FaultKind::NetworkDown);
    assert!(has(&r, "sender", "WSASend", WsaError::WSAENETDOWN));
    assert!(has(&r, "receiver", "recv", WsaError::WSAECONNABORTED));
}

#[test]
fn keepalive_failure_completes_pending_sends_with_wsaenetreset() {
    let sc = scenario(
        TCP,
        "event",
        "kind = \"keepalive-failure\"\ntarget = \"program:sender\"\nat_ms = 20",
    );
    let r = run(&sc, 4, Profile::Windows);
    check_contract(&r, FaultKind::KeepAliveFailure);
    assert!(has(&r, "sender", "WSASend", WsaError::WSAENETRESET));
    assert!(has(&r, "receiver", "recv", WsaError::WSAENETRESET));
}

#[test]
fn buffer_deadlock_fails_the_next_send_with_wsaenobufs() {
    let sc = scenario(
        TCP,
        "event",
        "kind = \"buffer-deadlock\"\ntarget = \"program:sender\"\nat_ms = 20\ncount = 3",
    );
    let r = run(&sc, 5, Profile::Windows);
    check_contract(&r, FaultKind::BufferDeadlock);
    assert!(has(&r, "sender", "WSASend", WsaError::WSAENOBUFS));
    assert!(program(&r, "receiver").received < 40 * 4096);
}

#[test]
fn too_many_outstanding_makes_overlapped_sends_wait_and_retry_after_wsaewouldblock() {
    let sc = scenario(
        TCP,
        "event",
        "kind = \"too-many-outstanding\"\ntarget = \"program:sender\"\nat_ms = 20\ncount = 2",
    );
    let r = run(&sc, 6, Profile::Windows);
    check_contract(&r, FaultKind::TooManyOutstanding);
    let handled: Vec<_> = errors(&r).into_iter().filter(|e| e.3).collect();
    assert_eq!(
        handled.len(),
        2,
        "two WSAEWOULDBLOCK, both handled: {handled:?}"
    );
    assert!(has(&r, "sender", "WSASend", WsaError::WSAEWOULDBLOCK));
    // A correct program waits for a completion and tries again: nothing is lost.
    assert_eq!(program(&r, "receiver").received, 40 * 4096);
}

#[test]
fn ttl_expired_fails_the_next_datagram_send_with_wsaenetreset() {
    let sc = scenario(
        UDP,
        "",
        "kind = \"ttl-expired\"\ntarget = \"program:sender\"\nat_ms = 5",
    );
    let r = run(&sc, 7, Profile::Windows);
    check_contract(&r, FaultKind::TtlExpired);
    assert!(has(&r, "sender", "send", WsaError::WSAENETRESET));
}

#[test]
fn port_unreachable_fails_the_next_datagram_send_with_wsaeconnreset_in_documented_only() {
    let sc = scenario(
        UDP,
        "",
        "kind = \"port-unreachable\"\ntarget = \"program:sender\"\nat_ms = 5",
    );
    let r = run(&sc, 8, Profile::Documented);
    check_contract(&r, FaultKind::PortUnreachable);
    assert!(has(&r, "sender", "send", WsaError::WSAECONNRESET));
    // Verified Windows ignores it for sends (wine-facts E25): every datagram arrives.
    let w = run(&sc, 8, Profile::Windows);
    check_contract(&w, FaultKind::PortUnreachable);
    assert!(errors(&w).is_empty());
    assert_eq!(program(&w, "receiver").received, 40);
}

#[test]
fn latency_fault_slows_the_transfer_without_any_error() {
    let base =
        Arc::new(wsasim_scenario::parse("base.toml", &TCP.replace("COMPLETION", "event")).unwrap());
    let sc = scenario(
        TCP,
        "event",
        "kind = \"latency\"\ntarget = \"link:local/b\"\nat_ms = 5\nlatency_us = 20000",
    );
    let r = run(&sc, 9, Profile::Windows);
    check_contract(&r, FaultKind::Latency);
    assert_eq!(program(&r, "receiver").received, 40 * 4096);
    assert!(end_time(&r) > end_time(&run(&base, 9, Profile::Windows)) + 19_000_000);
}

/// When the run without faults ends (virtual nanoseconds).
fn base_end(seed: u64) -> u64 {
    let base =
        Arc::new(wsasim_scenario::parse("base.toml", &TCP.replace("COMPLETION", "event")).unwrap());
    end_time(&run(&base, seed, Profile::Windows))
}

fn end_time(r: &RunResult) -> u64 {
    wsasim_cli::timeline::records(&r.trace)
        .last()
        .and_then(|v| v.get("t").and_then(|t| t.as_u64()))
        .unwrap()
}

#[test]
fn bandwidth_fault_slows_the_transfer_without_any_error() {
    let base =
        Arc::new(wsasim_scenario::parse("base.toml", &TCP.replace("COMPLETION", "event")).unwrap());
    let sc = scenario(
        TCP,
        "event",
        "kind = \"bandwidth\"\ntarget = \"link:local/b\"\nat_ms = 5\nbandwidth_bps = 800000",
    );
    let r = run(&sc, 10, Profile::Windows);
    check_contract(&r, FaultKind::Bandwidth);
    assert_eq!(program(&r, "receiver").received, 40 * 4096);
    // 10 times slower from 5 ms on.
    assert!(end_time(&r) > 4 * end_time(&run(&base, 10, Profile::Windows)));
}

#[test]
fn loss_fault_loses_datagrams_and_explains_the_short_count() {
    let sc = scenario(
        UDP,
        "",
        "kind = \"loss\"\ntarget = \"link:local/b\"\nloss = \"1/2\"",
    );
    let r = run(&sc, 11, Profile::Windows);
    check_contract(&r, FaultKind::Loss);
    let got = program(&r, "receiver").received;
    assert!(got > 0 && got < 40, "about half of 40 arrive, got {got}");
}

#[test]
fn partition_delays_the_stream_in_order_and_loses_datagrams_while_it_lasts() {
    let sc = scenario(
        TCP,
        "event",
        "kind = \"partition\"\ntarget = \"link:local/b\"\nat_ms = 10\nduration_ms = 100",
    );
    let r = run(&sc, 12, Profile::Windows);
    check_contract(&r, FaultKind::Partition);
    // Every byte arrives, in order (the receiver checks each one), after the heal.
    assert_eq!(program(&r, "receiver").received, 40 * 4096);
    assert!(
        end_time(&r) > base_end(12) + 50_000_000,
        "{} vs {}",
        end_time(&r),
        base_end(12)
    );
    let u = scenario(
        UDP,
        "",
        "kind = \"partition\"\ntarget = \"link:local/b\"\nat_ms = 5\nduration_ms = 10",
    );
    let r = run(&u, 12, Profile::Windows);
    check_contract(&r, FaultKind::Partition);
    let got = program(&r, "receiver").received;
    assert!(
        (20..40).contains(&got),
        "the partition's datagrams are lost: {got}"
    );
}

#[test]
fn reorder_lets_datagrams_overtake_each_other_while_streams_stay_in_order() {
    let u = scenario(
        UDP,
        "",
        "kind = \"reorder\"\ntarget = \"link:local/b\"\nat_ms = 0\nduration_ms = 60\nlatency_us = 6000",
    );
    let reordered: u64 = (0..8)
        .map(|seed| {
            let r = run(&u, seed, Profile::Windows);
            check_contract(&r, FaultKind::Reorder);
            assert_eq!(program(&r, "receiver").received, 40);
            program(&r, "receiver").reordered
        })
        .sum();
    assert!(reordered > 0, "some datagram was overtaken");
    let t = scenario(
        TCP,
        "event",
        "kind = \"reorder\"\ntarget = \"link:local/b\"\nat_ms = 0\nduration_ms = 60\nlatency_us = 6000",
    );
    for seed in 0..4 {
        let r = run(&t, seed, Profile::Windows);
        check_contract(&r, FaultKind::Reorder);
        assert_eq!(program(&r, "receiver").received, 40 * 4096);
    }
}

#[test]
fn slow_receiver_makes_the_transfer_take_longer_without_errors() {
    let sc = scenario(
        TCP,
        "event",
        "kind = \"slow-receiver\"\ntarget = \"program:receiver\"\nat_ms = 5\ndelay_ms = 100",
    );
    let r = run(&sc, 13, Profile::Windows);
    check_contract(&r, FaultKind::SlowReceiver);
    assert_eq!(program(&r, "receiver").received, 40 * 4096);
    assert!(
        end_time(&r) > base_end(13) + 100_000_000,
        "{} vs {}",
        end_time(&r),
        base_end(13)
    );
}

#[test]
fn stall_receiver_holds_the_senders_operations_pending_until_it_resumes() {
    let sc = scenario(
        TCP,
        "event",
        "kind = \"stall-receiver\"\ntarget = \"program:receiver\"\nat_ms = 10\nduration_ms = 500",
    );
    let r = run(&sc, 14, Profile::Windows);
    check_contract(&r, FaultKind::StallReceiver);
    assert_eq!(program(&r, "receiver").received, 40 * 4096);
    assert!(end_time(&r) > 510_000_000, "{}", end_time(&r));
}

#[test]
fn close_pending_aborts_pending_sends_with_wsa_operation_aborted() {
    let sc = scenario(
        TCP,
        "routine",
        "kind = \"close-pending\"\ntarget = \"program:sender\"\nat_ms = 20",
    );
    let r = run(&sc, 15, Profile::Windows);
    check_contract(&r, FaultKind::ClosePending);
    assert!(has(
        &r,
        "sender",
        "WSASend",
        WsaError::WSA_OPERATION_ABORTED
    ));
    assert!(program(&r, "receiver").received < 40 * 4096);
}

#[test]
fn thread_exit_cancels_the_threads_pending_sends_and_the_receiver_gets_a_prefix() {
    let sc = scenario(
        TCP,
        "event",
        "kind = \"thread-exit\"\ntarget = \"program:sender\"\nat_ms = 20",
    );
    let r = run(&sc, 16, Profile::Windows);
    check_contract(&r, FaultKind::ThreadExit);
    assert!(program(&r, "sender").exited_by_fault);
    assert!(program(&r, "receiver").received < 40 * 4096);
    // "All I/O initiated by a given thread is canceled when that thread exits": a send
    // completed with STATUS_CANCELLED (0xC0000120).
    assert!(
        r.trace.contains("\"event\":\"completed\",\"a\":3221225760"),
        "a pending send was cancelled"
    );
}

#[test]
fn an_error_no_fault_explains_fails_the_run() {
    // reset on the receiver explains nothing the sender meets on its own side... but
    // a fault of another kind than the code: too-many-outstanding cannot explain
    // WSAECONNRESET. The sender's reset here comes from an abort of the receiver.
    let sc = scenario(
        TCP,
        "event",
        "kind = \"abort\"\ntarget = \"program:receiver\"\nat_ms = 20",
    );
    let r = run(&sc, 17, Profile::Windows);
    assert_eq!(r.verdict, Verdict::Pass, "{}", r.reason);
    let log = r.log.clone().unwrap();
    // Judge the same log as if a different fault kind had fired: nothing explains it.
    let mut other = log.clone();
    other.kinds = vec![FaultKind::TooManyOutstanding];
    let verdict = other.verdict(&sc);
    assert!(
        verdict
            .as_deref()
            .is_some_and(|v| v.contains("which no fault that fired explains")),
        "{verdict:?}"
    );
}

#[test]
fn a_probabilistic_fault_fires_at_the_targets_calls_as_a_recorded_choice() {
    let sc = scenario(
        TCP,
        "event",
        "kind = \"buffer-deadlock\"\ntarget = \"program:sender\"\nratio = \"1/4\"\ntimes = 1",
    );
    let mut fired = 0;
    for seed in 0..6 {
        let r = run(&sc, seed, Profile::Windows);
        assert_eq!(r.verdict, Verdict::Pass, "{}", r.reason);
        let log = r.log.as_ref().unwrap();
        assert!(log.fired[0] <= 1);
        if log.fired[0] == 1 {
            fired += 1;
            assert!(has(&r, "sender", "WSASend", WsaError::WSAENOBUFS));
        }
        assert!(r.choices.iter().any(|c| c.0 == "fault"));
        // The same seed, the same run.
        assert_eq!(run(&sc, seed, Profile::Windows).trace_hash, r.trace_hash);
    }
    assert!(fired > 0, "1/4 per send over 40 sends fires on some seed");
}

#[test]
fn swarm_draws_which_faults_are_on_per_seed() {
    let text = format!(
        "{}\n[swarm]\nratio = \"1/2\"\n\n[[fault]]\nkind = \"latency\"\ntarget = \"link:local/b\"\nat_ms = 5\nlatency_us = 3000\n\n[[fault]]\nkind = \"slow-receiver\"\ntarget = \"program:receiver\"\nat_ms = 5\ndelay_ms = 1\n",
        TCP.replace("COMPLETION", "event")
    );
    let sc = Arc::new(wsasim_scenario::parse("swarm.toml", &text).unwrap());
    let mut patterns = std::collections::BTreeSet::new();
    for seed in 0..12 {
        let r = run(&sc, seed, Profile::Windows);
        assert_eq!(r.verdict, Verdict::Pass, "{}", r.reason);
        patterns.insert(r.log.unwrap().faults_on);
    }
    assert!(
        patterns.len() >= 3,
        "the seeds draw different sets: {patterns:?}"
    );
}
