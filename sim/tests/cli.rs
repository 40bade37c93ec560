//! The `wsasim` command as a user runs it: its forms (DESIGN.md, "Contracts"), outputs
//! and exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn wsasim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wsasim"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("wsasim-cli-test-{}-{name}", std::process::id()))
}

/// `trace hash XXXXXXXXXXXXXXXX` from a report.
fn hash_of(text: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix("trace hash "))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("no trace hash in {text}"))
        .to_string()
}

#[test]
fn no_arguments_runs_the_demo_and_demo_is_the_same() {
    let o = wsasim(&[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.starts_with("SEED=0 PROFILE=windows\nClient Accepted...\n"),
        "{out}"
    );
    assert_eq!(out.matches("Wrote 4096 bytes").count(), 10);
    assert!(out.contains("timeline of the server's WSASend operations (virtual time)"));
    assert!(out.contains("bytes received   40960"));
    assert!(out.contains("trace hash       "));
    let d = wsasim(&["demo"]);
    assert_eq!(stdout(&d), out);
    // The demo's old options still work without the command.
    let s = wsasim(&["--seed", "7", "--profile", "documented"]);
    assert!(stdout(&s).starts_with("SEED=7 PROFILE=documented\n"));
}

#[test]
fn run_passes_prints_the_programs_and_the_same_hash_every_time() {
    let a = wsasim(&["run", "sim/scenarios/demo.toml", "--seed", "3"]);
    assert!(a.status.success(), "{}{}", stdout(&a), stderr(&a));
    let out = stdout(&a);
    assert!(out.starts_with("SEED=3 PROFILE=windows TARGET=sim/scenarios/demo.toml\n"));
    assert!(out.contains("server         sender"), "{out}");
    assert!(out.contains("received     40960  ok"), "{out}");
    assert!(out.contains("result: pass"));
    let b = wsasim(&["run", "sim/scenarios/demo.toml", "--seed", "3"]);
    assert_eq!(hash_of(&out), hash_of(&stdout(&b)));
    let c = wsasim(&[
        "run",
        "sim/scenarios/demo.toml",
        "--seed",
        "3",
        "--timeline",
    ]);
    assert!(stdout(&c).contains("timeline of the overlapped operations (virtual time)"));
    assert!(stdout(&c).contains("pending (SOCKET_ERROR, WSA_IO_PENDING)"));
}

#[test]
fn run_of_a_failing_seed_exits_1_and_prints_how_to_replay_it() {
    let o = wsasim(&[
        "run",
        "sim/examples/io-pending.toml",
        "--profile",
        "documented",
        "--seed",
        "0",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("result: FAIL (fail)"), "{out}");
    assert!(
        out.contains("replay: wsasim replay 0 --profile documented sim/examples/io-pending.toml")
    );
}

#[test]
fn scenario_mistakes_print_file_line_column_and_the_expected_form() {
    let path = temp("bad.toml");
    std::fs::write(
        &path,
        "[[program]]\nname = \"s\"\nrole = \"sender\"\nconnect = \"127.0.0.1:7\"\nspeed = 3\n",
    )
    .unwrap();
    let o = wsasim(&["run", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.starts_with(&format!(
            "{}:5:1: unknown key \"speed\" in [[program]] (sender); expected one of: name, role,",
            path.display()
        )),
        "{err}"
    );
    let _ = std::fs::remove_file(path);
}

#[test]
fn a_scenario_without_programs_is_refused_with_a_hint() {
    let o = wsasim(&["run", "sim/scenarios/seed-example.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).starts_with("sim/scenarios/seed-example.toml: the scenario has no [[program]]"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn explore_prints_a_line_per_failing_seed_and_exits_non_zero() {
    let o = wsasim(&[
        "explore",
        "--profile",
        "documented",
        "--seeds",
        "8",
        "--jobs",
        "2",
        "-q",
        "sim/examples/routine-order.toml",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let failing: Vec<&str> = out.lines().filter(|l| l.starts_with("seed ")).collect();
    assert!(!failing.is_empty(), "{out}");
    for l in &failing {
        assert!(
            l.contains(": program sender: the completion routine"),
            "{l}"
        );
    }
    // In seed order.
    let seeds: Vec<u64> = failing
        .iter()
        .map(|l| l[5..l.find(':').unwrap()].parse().unwrap())
        .collect();
    assert!(seeds.windows(2).all(|w| w[0] < w[1]));
    assert!(out.contains("explored 8 seeds in the documented profile:"));
    assert!(out.contains("coverage of the documented freedoms over 8 runs"));
}

#[test]
fn explore_of_a_passing_scenario_exits_0_and_writes_json_lines_results() {
    let results = temp("results.jsonl");
    let o = wsasim(&[
        "explore",
        "sim/scenarios/demo.toml",
        "--seeds",
        "5..9",
        "--results",
        results.to_str().unwrap(),
        "-q",
    ]);
    assert!(o.status.success(), "{}", stdout(&o));
    let text = std::fs::read_to_string(&results).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    for (i, v) in lines.iter().enumerate() {
        assert_eq!(v["seed"], 5 + i as u64);
        assert_eq!(v["profile"], "windows");
        assert_eq!(v["outcome"], "pass");
        assert_eq!(v["reason"], "");
        assert_eq!(v["trace_hash"].as_str().unwrap().len(), 16);
        assert_eq!(v["target"], "sim/scenarios/demo.toml");
    }
    let _ = std::fs::remove_file(results);
}

#[test]
fn shards_split_the_seeds_by_modulo_and_their_results_merge_into_the_whole_sweep() {
    let whole = temp("whole.jsonl");
    let o = wsasim(&[
        "explore",
        "sim/examples/io-pending.toml",
        "--profile",
        "documented",
        "--seeds",
        "0..10",
        "-q",
        "--results",
        whole.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let mut parts = Vec::new();
    for k in 1..=3 {
        let p = temp(&format!("shard{k}.jsonl"));
        wsasim(&[
            "explore",
            "sim/examples/io-pending.toml",
            "--profile",
            "documented",
            "--seeds",
            "0..10",
            "--shard",
            &format!("{k}/3"),
            "-q",
            "--results",
            p.to_str().unwrap(),
        ]);
        let text = std::fs::read_to_string(&p).unwrap();
        for l in text.lines() {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            assert_eq!(
                v["seed"].as_u64().unwrap() % 3,
                k - 1,
                "seed i is shard i mod N + 1"
            );
        }
        parts.push(p);
    }
    // `wsasim results` merges the shards; the merged sweep is the whole one.
    let args: Vec<&str> = std::iter::once("results")
        .chain(parts.iter().map(|p| p.to_str().unwrap()))
        .collect();
    let merged = wsasim(&args);
    let one = wsasim(&["results", whole.to_str().unwrap()]);
    assert_eq!(stdout(&merged), stdout(&one));
    assert!(stdout(&one).contains("10 seeds: "));
    let mut lines: Vec<String> = parts
        .iter()
        .flat_map(|p| {
            std::fs::read_to_string(p)
                .unwrap()
                .lines()
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .collect();
    lines.sort_by_key(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["seed"].as_u64());
    let whole_lines: Vec<String> = std::fs::read_to_string(&whole)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(lines, whole_lines);
    for p in parts.iter().chain([&whole]) {
        let _ = std::fs::remove_file(p);
    }
}

#[test]
fn replay_reproduces_the_run_with_the_same_hash_and_exit() {
    let run = wsasim(&[
        "run",
        "sim/examples/routine-order.toml",
        "--profile",
        "documented",
        "--seed",
        "1",
    ]);
    let replay = wsasim(&[
        "replay",
        "1",
        "--profile",
        "documented",
        "sim/examples/routine-order.toml",
    ]);
    assert_eq!(run.status.code(), replay.status.code());
    assert_eq!(replay.status.code(), Some(1));
    assert_eq!(hash_of(&stdout(&run)), hash_of(&stdout(&replay)));
}

#[test]
fn shrink_prints_a_shorter_replay_string_that_run_and_replay_accept() {
    let o = wsasim(&[
        "shrink",
        "sim/examples/routine-order.toml",
        "--seed",
        "1",
        "--profile",
        "documented",
    ]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    let line = out
        .lines()
        .find(|l| l.starts_with("replay: "))
        .unwrap_or_else(|| panic!("{out}"));
    let choices = line
        .split("--choices ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    let r = wsasim(&[
        "replay",
        "1",
        "--profile",
        "documented",
        "--choices",
        choices,
        "sim/examples/routine-order.toml",
    ]);
    assert_eq!(r.status.code(), Some(1), "{}", stdout(&r));
    assert!(stdout(&r).contains("assumed completion routines run in issue order"));
}

#[test]
fn trace_and_chrome_files_are_written() {
    let trace = temp("trace.jsonl");
    let chrome = temp("chrome.json");
    let o = wsasim(&[
        "run",
        "sim/scenarios/freedoms.toml",
        "--profile",
        "documented",
        "--seed",
        "2",
        "--trace",
        trace.to_str().unwrap(),
        "--chrome",
        chrome.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stdout(&o));
    let jsonl = std::fs::read_to_string(&trace).unwrap();
    assert_eq!(
        format!("{:016x}", wsasim_core::trace::fnv1a(jsonl.as_bytes())),
        hash_of(&stdout(&o)),
        "the printed hash is the file's"
    );
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&chrome).unwrap()).unwrap();
    let events = doc["traceEvents"].as_array().unwrap();
    let names: Vec<&str> = events
        .iter()
        .filter(|e| e["name"] == "thread_name")
        .filter_map(|e| e["args"]["name"].as_str())
        .collect();
    // A track per program thread, named, and tracks of their overlapped operations.
    assert!(
        names.iter().any(|n| n.contains("(program routines)")),
        "{names:?}"
    );
    assert!(names.iter().any(|n| n.contains("overlapped operations")));
    // A span per overlapped operation; instants for APC deliveries.
    assert!(events
        .iter()
        .any(|e| e["cat"] == "overlapped" && e["ph"] == "X" && e["dur"].is_number()));
    assert!(events.iter().any(|e| e["cat"] == "apc" && e["ph"] == "i"));
    assert!(events
        .iter()
        .any(|e| e["cat"] == "call" && e["name"] == "WSASend"));
    let _ = std::fs::remove_file(trace);
    let _ = std::fs::remove_file(chrome);
}

#[test]
fn chrome_export_shows_faults_as_instants() {
    let sc = temp("fault.toml");
    std::fs::write(
        &sc,
        "[[program]]\nname = \"r\"\nrole = \"receiver\"\nlisten = \"0.0.0.0:7\"\n\n[[program]]\nname = \"s\"\nrole = \"sender\"\nconnect = \"127.0.0.1:7\"\ncount = 4\nio = \"blocking\"\n\n[[fault]]\nkind = \"buffer-deadlock\"\ntarget = \"program:s\"\nratio = \"1/1\"\n",
    )
    .unwrap();
    let chrome = temp("fault-chrome.json");
    let o = wsasim(&[
        "run",
        sc.to_str().unwrap(),
        "--chrome",
        chrome.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stdout(&o));
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&chrome).unwrap()).unwrap();
    assert!(doc["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["cat"] == "fault" && e["name"] == "fault: buffer_deadlock" && e["s"] == "g"));
    let _ = std::fs::remove_file(sc);
    let _ = std::fs::remove_file(chrome);
}

#[test]
fn explain_takes_a_number_or_a_name_in_any_case() {
    let a = wsasim(&["explain", "10054"]);
    assert!(a.status.success());
    let out = stdout(&a);
    assert!(out.starts_with("WSAECONNRESET (10054)\n"), "{out}");
    assert!(out.contains("An existing connection was forcibly closed by the remote host."));
    assert!(out.contains("For a stream socket, the virtual circuit was reset by the remote side."));
    assert!(out.contains("tests/conformance_wsasend.rs::wsaeconnreset_after_peer_abortive_close"));
    assert!(out.contains("reset (on the target: WSASend, send, WSARecv, recv)"));
    assert_eq!(stdout(&wsasim(&["explain", "WSAECONNRESET"])), out);
    assert_eq!(stdout(&wsasim(&["explain", "wsaeconnreset"])), out);
    let bad = wsasim(&["explain", "WSAEBOGUS"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("is not a Winsock error code"));
}

#[test]
fn explore_runs_an_external_program_once_per_seed_with_the_seed_in_its_environment() {
    // A shell script stands for a program linked to libwsasim: it fails on odd seeds.
    let script = temp("prog.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\n[ \"$WSASIM_PROFILE\" = documented ] || exit 9\nexit $((WSASIM_SEED % 2 * 4))\n",
    )
    .unwrap();
    let o = wsasim(&[
        "explore",
        "--profile",
        "documented",
        "--seeds",
        "4",
        "-q",
        "--",
        "sh",
        script.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("seed 1: exit code 4\nseed 3: exit code 4\n"),
        "{out}"
    );
    assert!(!out.contains("seed 0:") && !out.contains("seed 2:"));
    // replay exits as the program did.
    let r = wsasim(&[
        "replay",
        "3",
        "--profile",
        "documented",
        "--",
        "sh",
        script.to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(4));
    let _ = std::fs::remove_file(script);
}
