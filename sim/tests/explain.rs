//! `wsasim explain` reads `docs/conformance.md`: these tests keep the command, the
//! matrix and the test suites from drifting apart.

use std::path::Path;
use wsasim_cli::explain::{explain, lookup, rows};
use wsasim_core::WsaError;

/// Every error code of the WSASend seed's table.
const SEND_CODES: &[&str] = &[
    "WSAECONNABORTED",
    "WSAECONNRESET",
    "WSAEFAULT",
    "WSAEINTR",
    "WSAEINPROGRESS",
    "WSAEINVAL",
    "WSAEMSGSIZE",
    "WSAENETDOWN",
    "WSAENETRESET",
    "WSAENOBUFS",
    "WSAENOTCONN",
    "WSAENOTSOCK",
    "WSAEOPNOTSUPP",
    "WSAESHUTDOWN",
    "WSAEWOULDBLOCK",
    "WSANOTINITIALISED",
    "WSA_IO_PENDING",
    "WSA_OPERATION_ABORTED",
];

#[test]
fn every_wsasend_error_code_has_a_row_with_a_condition_and_a_test() {
    for name in SEND_CODES {
        let rs = rows(name);
        let send_rows: Vec<_> = rs
            .iter()
            .filter(|r| r.section == "WSASend" && r.label.starts_with(name))
            .collect();
        assert!(!send_rows.is_empty(), "{name}: no row in the WSASend table");
        assert!(
            send_rows.iter().any(|r| !r.tests.is_empty()),
            "{name}: no test named"
        );
        assert!(send_rows.iter().all(|r| !r.condition.is_empty()));
    }
}

/// Whether `file` (relative to the workspace) defines `fn name`.
fn defines(file: &str, name: &str) -> bool {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let path = root.join(file);
    if path.is_dir() {
        // A folder (`crates/.../net/`): any file in it.
        return std::fs::read_dir(&path).unwrap().any(|e| {
            std::fs::read_to_string(e.unwrap().path())
                .is_ok_and(|t| t.contains(&format!("fn {name}(")))
        });
    }
    std::fs::read_to_string(&path).is_ok_and(|t| t.contains(&format!("fn {name}(")))
}

#[test]
fn every_test_the_explained_rows_name_exists() {
    let mut checked = 0;
    let mut missing = Vec::new();
    for &code in WsaError::ALL {
        let Some(name) = code.name() else { continue };
        for r in rows(name) {
            for t in &r.tests {
                let Some((file, test)) = t.rsplit_once("::") else {
                    continue;
                };
                if !file.contains('/') {
                    continue; // a legend letter the matrix does not resolve to a file
                }
                checked += 1;
                if !defines(file, test) {
                    missing.push(t.clone());
                }
            }
        }
    }
    missing.sort();
    missing.dedup();
    assert!(checked > 50, "only {checked} tests were named");
    assert!(
        missing.is_empty(),
        "docs/conformance.md names tests that do not exist: {missing:?}"
    );
}

#[test]
fn lookup_takes_numbers_and_names_in_any_case() {
    assert_eq!(lookup("10054"), Some(WsaError::WSAECONNRESET));
    assert_eq!(lookup("wsaeconnreset"), Some(WsaError::WSAECONNRESET));
    assert_eq!(lookup(" WSA_IO_PENDING "), Some(WsaError::WSA_IO_PENDING));
    assert_eq!(lookup("99999"), None);
    assert_eq!(lookup("ECONNRESET"), None);
}

#[test]
fn explain_names_the_faults_that_produce_a_code() {
    let text = explain("WSAENOBUFS").unwrap();
    assert!(text.starts_with("WSAENOBUFS (10055)\n"));
    assert!(text.contains("The Windows Sockets provider reports a buffer deadlock."));
    assert!(text.contains("buffer-deadlock (on the target: WSASend, send)"));
    assert!(text.contains("wsaenobufs_on_buffer_deadlock_fault_then_sends_resume"));
    // A code WSASend never returns has no WSASend meaning.
    let t = explain("WSAECONNREFUSED").unwrap();
    assert!(!t.contains("WSASend (seeds/000)"));
}

#[test]
fn each_row_names_each_of_its_tests_once() {
    // Regression: the "Test" column was read twice (a case-insensitive lookup of "Test"
    // and of "test"), so every test was listed twice.
    for name in SEND_CODES {
        for r in rows(name) {
            let mut seen = std::collections::BTreeSet::new();
            for t in &r.tests {
                assert!(seen.insert(t.clone()), "{name}: {t} listed twice");
            }
        }
    }
    let text = explain("10054").unwrap();
    let line = "    test: tests/conformance_wsasend.rs::wsaeconnreset_after_peer_abortive_close";
    assert_eq!(text.matches(line).count(), 1, "{text}");
}
