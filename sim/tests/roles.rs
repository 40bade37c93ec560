//! The built-in roles of `[[program]]` tables, each in a world where it must pass, and
//! the checks that make a run fail.

use std::sync::Arc;
use wsasim_cli::exec::{run_one, RunOptions, RunResult, Target, Verdict};
use wsasim_core::Profile;

fn run(text: &str, seed: u64, profile: Profile) -> RunResult {
    let sc = Arc::new(wsasim_scenario::parse("roles.toml", text).unwrap_or_else(|e| panic!("{e}")));
    run_one(&Target::Scenario(sc), &RunOptions::new(seed, profile))
}

fn received(r: &RunResult, name: &str) -> u64 {
    let log = r.log.as_ref().unwrap();
    log.programs
        .iter()
        .find(|p| p.name == name)
        .unwrap()
        .received
}

#[test]
fn a_client_script_talks_to_an_echo_server_and_checks_the_echo() {
    let text = "[[program]]\nname = \"echo\"\nrole = \"echo-server\"\nlisten = \"0.0.0.0:7\"\naccept = 2\n\n[[program]]\nname = \"client\"\nrole = \"client\"\nscript = [\"connect 127.0.0.1:7\", \"send 100000\", \"recv 100000\", \"shutdown send\", \"recv-all\", \"close\", \"sleep 5\", \"connect 127.0.0.1:7\", \"send 10\", \"recv 10\", \"close\"]\n";
    for profile in [Profile::Windows, Profile::Documented] {
        for seed in 0..4 {
            let r = run(text, seed, profile);
            assert_eq!(r.verdict, Verdict::Pass, "{}", r.reason);
            assert_eq!(received(&r, "client"), 10, "the second connection's echo");
        }
    }
}

#[test]
fn a_client_expecting_more_than_the_echo_sends_fails_with_a_short_count() {
    let text = "[[program]]\nname = \"echo\"\nrole = \"echo-server\"\nlisten = \"0.0.0.0:7\"\n\n[[program]]\nname = \"client\"\nrole = \"client\"\nscript = [\"connect 127.0.0.1:7\", \"send 10\", \"shutdown send\", \"recv 11\"]\n";
    let r = run(text, 0, Profile::Windows);
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(r.reason, "program client: received 10 of 11 expected");
}

#[test]
fn blocking_and_overlapped_receivers_and_a_listening_sender_pass() {
    let text = "[[program]]\nname = \"server\"\nrole = \"sender\"\nlisten = \"0.0.0.0:9\"\ncount = 20\nsize = 10000\nio = \"blocking\"\n\n[[program]]\nname = \"reader\"\nrole = \"receiver\"\nconnect = \"127.0.0.1:9\"\nio = \"overlapped\"\nread_size = 3000\n";
    for profile in [Profile::Windows, Profile::Documented] {
        for seed in 0..4 {
            let r = run(text, seed, profile);
            assert_eq!(r.verdict, Verdict::Pass, "{}", r.reason);
            assert_eq!(received(&r, "reader"), 200_000);
        }
    }
}

#[test]
fn a_receiver_expecting_more_than_its_sender_sends_fails() {
    let text = "[[program]]\nname = \"r\"\nrole = \"receiver\"\nlisten = \"0.0.0.0:9\"\nexpect = 5000\n\n[[program]]\nname = \"s\"\nrole = \"sender\"\nconnect = \"127.0.0.1:9\"\ncount = 1\nsize = 4000\n";
    let r = run(text, 0, Profile::Windows);
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(r.reason, "program r: received 4000 of 5000 expected");
}

#[test]
fn a_program_that_never_gets_its_peer_is_a_deadlock_naming_it() {
    // A receiver listens; nobody connects: its accept waits forever.
    let text = "[[program]]\nname = \"lonely\"\nrole = \"receiver\"\nlisten = \"0.0.0.0:9\"\n";
    let r = run(text, 0, Profile::Windows);
    assert_eq!(r.verdict, Verdict::Deadlock);
    assert!(
        r.reason.contains("(program lonely): blocked in accept"),
        "{}",
        r.reason
    );
}

#[test]
fn a_contract_report_fails_the_run_unless_expected() {
    let bug = "[[program]]\nname = \"r\"\nrole = \"receiver\"\nlisten = \"0.0.0.0:7\"\n\n[[program]]\nname = \"s\"\nrole = \"sender\"\nconnect = \"127.0.0.1:7\"\ncount = 8\nsize = 1024\noutstanding = 2\nbug = \"reuse-overlapped\"\n";
    // Some documented seed pends a send and the reuse is reported.
    let seed = (0..16)
        .find(|&s| run(bug, s, Profile::Documented).verdict == Verdict::Fail)
        .expect("a seed of 16 pends a send");
    let r = run(bug, seed, Profile::Documented);
    assert!(r.reason.starts_with("contract report at "), "{}", r.reason);
    let expected = format!("{bug}\n[expect]\ncontract = true\n");
    let r = run(&expected, seed, Profile::Documented);
    assert_eq!(r.verdict, Verdict::Pass, "{}", r.reason);
}

#[test]
fn a_udp_sender_and_receiver_count_datagrams() {
    let text = "[[program]]\nname = \"r\"\nrole = \"receiver\"\nprotocol = \"udp\"\nlisten = \"0.0.0.0:5000\"\n\n[[program]]\nname = \"s\"\nrole = \"sender\"\nprotocol = \"udp\"\nconnect = \"127.0.0.1:5000\"\ncount = 12\nsize = 700\n";
    for profile in [Profile::Windows, Profile::Documented] {
        let r = run(text, 1, profile);
        assert_eq!(r.verdict, Verdict::Pass, "{}", r.reason);
        assert_eq!(received(&r, "r"), 12);
    }
}
