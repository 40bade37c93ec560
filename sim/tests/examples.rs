//! The deliberately buggy programs of `sim/examples/`: exploration in the documented
//! profile finds each one (some seed fails), verified Windows never shows the bug, the
//! correct twin never fails, replay reproduces a failure exactly, and shrinking makes
//! the failing choice list smaller while it still fails the same way.

use std::path::Path;
use std::sync::Arc;
use wsasim_cli::exec::{run_one, RunOptions, Target, Verdict};
use wsasim_cli::explore::{explore, Explore, Seeds};
use wsasim_cli::shrink::shrink;
use wsasim_core::Profile;
use wsasim_scenario::Scenario;

fn load(name: &str) -> Arc<Scenario> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name);
    Arc::new(wsasim_scenario::load(&path).unwrap_or_else(|e| panic!("{e}")))
}

fn sweep(sc: &Arc<Scenario>, profile: Profile, seeds: u64) -> wsasim_cli::explore::Summary {
    explore(&Explore {
        target: Target::Scenario(Arc::clone(sc)),
        base: RunOptions::new(0, profile),
        seeds: Seeds {
            start: 0,
            end: seeds,
        },
        jobs: 2,
        shard: None,
        results: None,
        quiet: true,
        print_failures: false,
    })
    .expect("no results file to write")
}

/// Explore finds the bug in the documented profile, never in the Windows profile; the
/// twin never fails; replay and shrink work on the first failing seed. Returns the
/// first failure's reason.
fn check(buggy: &str, fixed: &str) -> String {
    let bug = load(buggy);
    let twin = load(fixed);
    let found = sweep(&bug, Profile::Documented, 32);
    let first = found
        .failures()
        .next()
        .unwrap_or_else(|| panic!("{buggy}: no seed of 32 failed"))
        .clone();
    assert_eq!(
        sweep(&bug, Profile::Windows, 16).failures().count(),
        0,
        "{buggy}: verified Windows never shows this bug"
    );
    let twin_docs = sweep(&twin, Profile::Documented, 64);
    assert_eq!(
        twin_docs.failures().count(),
        0,
        "{fixed}: {:?}",
        twin_docs.failures().next()
    );
    assert_eq!(sweep(&twin, Profile::Windows, 8).failures().count(), 0);

    // Replay: the same seed gives the same run, hash and verdict.
    let opts = RunOptions::new(first.seed, Profile::Documented);
    let again = run_one(&Target::Scenario(Arc::clone(&bug)), &opts);
    assert_eq!(
        again.trace_hash, first.trace_hash,
        "{buggy}: replay differs"
    );
    assert_eq!(again.verdict, first.verdict);
    assert_eq!(again.reason.lines().next().unwrap_or(""), first.reason);

    // Shrink: fewer non-zero choices, and the shrunk replay string still fails the
    // same way when replayed.
    let s = shrink(&bug, &opts, 300).expect("the seed fails");
    assert!(
        s.nonzero() < s.original_nonzero(),
        "{buggy}: shrinking left {} of {} non-zero choices",
        s.nonzero(),
        s.original_nonzero()
    );
    let mut replay = opts.clone();
    replay.choices = Some(s.choices.clone());
    let r = run_one(&Target::Scenario(Arc::clone(&bug)), &replay);
    assert_ne!(r.verdict, Verdict::Pass);
    assert_eq!(r.signature(), s.original.signature());
    assert_eq!(r.trace_hash, s.run.trace_hash, "the replay string replays");
    first.reason
}

#[test]
fn reusing_an_overlapped_in_flight_is_found_as_a_contract_report() {
    let reason = check("reuse-overlapped.toml", "reuse-overlapped-fixed.toml");
    assert!(
        reason.contains("each must reference a separate WSAOVERLAPPED structure"),
        "{reason}"
    );
}

#[test]
fn assuming_routines_run_in_issue_order_is_found_in_documented_only() {
    let reason = check("routine-order.toml", "routine-order-fixed.toml");
    assert!(
        reason.contains("assumed completion routines run in issue order"),
        "{reason}"
    );
}

#[test]
fn assuming_a_nonblocking_send_is_never_partial_is_found_in_documented_only() {
    let reason = check("partial-send.toml", "partial-send-fixed.toml");
    assert!(
        reason.contains("program receiver:"),
        "the receiver sees the gap: {reason}"
    );
}

#[test]
fn not_handling_wsa_io_pending_is_found_in_documented_only() {
    let reason = check("io-pending.toml", "io-pending-fixed.toml");
    assert!(
        reason.contains("WSASend failed with error: 997"),
        "{reason}"
    );
}

#[test]
fn exploring_the_freedoms_scenario_reaches_every_documented_freedom() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/freedoms.toml");
    let sc = Arc::new(wsasim_scenario::load(&path).unwrap());
    let docs = sweep(&sc, Profile::Documented, 24);
    assert_eq!(docs.failures().count(), 0);
    for (name, runs) in docs.coverage() {
        assert!(runs > 0, "{name} never reached in 24 seeds");
    }
    assert!(docs
        .coverage_text(Profile::Documented)
        .contains("every documented freedom was reached"));
    // Verified Windows takes none of them.
    let win = sweep(&sc, Profile::Windows, 4);
    assert!(win.coverage().iter().all(|(_, n)| *n == 0));
    let text = win.coverage_text(Profile::Windows);
    assert!(
        text.contains(
            "never reached: routine_order, partial_send, pend, too_many_outstanding, split_send"
        ),
        "{text}"
    );
}

#[test]
fn shrink_turns_off_a_fault_the_failure_does_not_need_and_prints_the_file_without_it() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/routine-order.toml"),
    )
    .unwrap();
    let with_fault = format!(
        "{text}\n# An unrelated fault.\n[[fault]]\nkind = \"slow-receiver\"\ntarget = \"program:receiver\"\nat_ms = 0\ndelay_ms = 1\n"
    );
    let sc = Arc::new(wsasim_scenario::parse("f.toml", &with_fault).unwrap());
    let opts = RunOptions::new(0, Profile::Documented);
    let seed = (0..16)
        .find(|&s| {
            let mut o = opts.clone();
            o.seed = s;
            !run_one(&Target::Scenario(Arc::clone(&sc)), &o).passed()
        })
        .expect("a failing seed");
    let mut o = opts.clone();
    o.seed = seed;
    let s = shrink(&sc, &o, 300).unwrap();
    assert_eq!(s.faults, vec![false], "the slow receiver is not needed");
    let shrunk = sc.text_with_faults(|i| s.faults[i]);
    assert!(!shrunk.contains("[[fault]]"), "{shrunk}");
    // The shrunk file with the replay string fails the same way.
    let sc2 = Arc::new(wsasim_scenario::parse("g.toml", &shrunk).unwrap());
    let mut replay = o.clone();
    replay.choices = Some(s.choices.clone());
    let r = run_one(&Target::Scenario(sc2), &replay);
    assert_eq!(r.signature(), s.original.signature());
}
