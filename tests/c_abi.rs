//! The C ABI end to end (issue 4): builds `libwsasim` with a nested
//! `cargo build -p wsasim-capi --release --target-dir target/c-abi` (its own target
//! directory, so the outer cargo's lock is not in the way), compiles every
//! `tests/c/*.c` with the system `cc` against `crates/wsasim-capi/include`, runs each
//! with its environment, and checks exit codes and output. The C programs print one
//! `ok`/`FAIL` line per check and exit 0 when all passed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

/// What a run may take before it counts as hung (a simulated program never hangs).
const RUN_LIMIT: Duration = Duration::from_secs(60);

/// The programs under `tests/c/` and the scenario each runs with.
const PROGRAMS: &[(&str, Option<&str>)] = &[
    ("wsasend_example", Some("tcp_client_27015.toml")),
    ("wsasend_errors", None),
    ("sockets", None),
    ("overlapped_events", None),
    ("completion_routines", None),
    ("threads", None),
    ("resolve", Some("two_hosts.toml")),
    ("layout", None),
    ("include_order_libc_first", None),
    ("include_order_winsock_first", None),
    ("livelock", None),
    ("wsasendmsg_errors", None),
    ("datagrams", Some("datagram_hosts.toml")),
    ("iocp", None),
    ("provider_user", None),
    ("provider_san_user", Some("san_hosts.toml")),
    ("faults_external", Some("fault_reset.toml")),
];

struct Built {
    root: PathBuf,
    lib_dir: PathBuf,
    out_dir: PathBuf,
    /// Program name -> executable.
    bins: BTreeMap<String, PathBuf>,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is inside the workspace")
        .to_path_buf()
}

fn have_cc() -> bool {
    Command::new("cc")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Builds the library and compiles every C program, once per test binary.
fn built() -> Option<&'static Built> {
    static BUILT: OnceLock<Option<Built>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            if !have_cc() {
                eprintln!(
                    "\n*** SKIPPED: no `cc` on this machine: the C ABI tests did not run ***\n"
                );
                return None;
            }
            let root = root();
            let target = root.join("target").join("c-abi");
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
            let build = Command::new(cargo)
                .current_dir(&root)
                .args(["build", "-p", "wsasim-capi", "--release", "--target-dir"])
                .arg(&target)
                .env_remove("CARGO_TARGET_DIR")
                .output()
                .expect("cargo runs");
            assert!(
                build.status.success(),
                "building libwsasim failed:\n{}",
                String::from_utf8_lossy(&build.stderr)
            );
            let lib_dir = target.join("release");
            assert!(
                lib_dir.join("libwsasim.so").exists(),
                "libwsasim.so was built"
            );
            assert!(
                lib_dir.join("libwsasim.a").exists(),
                "libwsasim.a was built"
            );
            let out_dir = target.join("c-tests");
            std::fs::create_dir_all(&out_dir).expect("create target/c-abi/c-tests");
            let mut children = Vec::new();
            for (name, _) in PROGRAMS {
                let exe = out_dir.join(name);
                let mut cmd = cc_command(&root, &lib_dir, name, &exe, &[]);
                children.push((name.to_string(), exe, cmd.spawn().expect("cc runs")));
            }
            let mut bins = BTreeMap::new();
            for (name, exe, child) in children {
                let out = child.wait_with_output().expect("cc finishes");
                assert!(
                    out.status.success(),
                    "cc {name}.c failed:\n{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                bins.insert(name, exe);
            }
            Some(Built {
                root,
                lib_dir,
                out_dir,
                bins,
            })
        })
        .as_ref()
}

/// `cc tests/c/NAME.c -I crates/wsasim-capi/include -L LIB -lwsasim -Wl,-rpath,LIB -o
/// EXE`: the README's command. The seed's example is compiled exactly so; the tests add
/// `-Wall -Wextra -Werror` (the headers must not warn).
fn cc_command(root: &Path, lib_dir: &Path, name: &str, exe: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new("cc");
    cmd.current_dir(root);
    if name != "wsasend_example" {
        cmd.args(["-Wall", "-Wextra", "-Werror"]);
    }
    cmd.args(extra)
        .arg(format!("tests/c/{name}.c"))
        .args(["-I", "crates/wsasim-capi/include", "-L"])
        .arg(lib_dir)
        .arg("-lwsasim")
        .arg(format!("-Wl,-rpath,{}", lib_dir.display()))
        .arg("-o")
        .arg(exe)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Runs `exe` with only the given `WSASIM_*` variables, within [`RUN_LIMIT`].
fn run_exe(exe: &Path, env: &[(&str, String)]) -> Output {
    let mut cmd = Command::new(exe);
    for (k, _) in std::env::vars() {
        if k.starts_with("WSASIM_") {
            cmd.env_remove(k);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the program starts");
    // A hang guard measured in polls (the workspace keeps the wall clock out of code).
    let poll = Duration::from_millis(5);
    for _ in 0..RUN_LIMIT.as_millis() / poll.as_millis() {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        std::thread::sleep(poll);
    }
    let _ = child.kill();
    panic!("{} hung for {RUN_LIMIT:?}", exe.display());
}

fn scenario(b: &Built, file: &str) -> String {
    b.root
        .join("tests/c/scenarios")
        .join(file)
        .display()
        .to_string()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs a check program and asserts it passed every check.
fn check_program(name: &str, env: &[(&str, String)]) -> Option<Output> {
    let b = built()?;
    let mut env = env.to_vec();
    if let Some((_, Some(sc))) = PROGRAMS.iter().find(|(n, _)| *n == name) {
        env.push(("WSASIM_SCENARIO", scenario(b, sc)));
    }
    let out = run_exe(&b.bins[name], &env);
    let stdout = text(&out.stdout);
    assert!(
        out.status.success() && !stdout.contains("FAIL") && stdout.contains(" passed, 0 failed"),
        "{name} failed ({:?}):\n{stdout}\nstderr:\n{}",
        out.status,
        text(&out.stderr)
    );
    Some(out)
}

fn temp_path(b: &Built, name: &str) -> PathBuf {
    b.out_dir.join(name)
}

// ===== the seed's example ===================================================================

#[test]
fn seed_example_with_a_tcp_client_peer_prints_accepted_and_ten_writes_and_exits_0() {
    let Some(b) = built() else { return };
    let trace = temp_path(b, "example-ok.jsonl");
    let _ = std::fs::remove_file(&trace);
    let out = run_exe(
        &b.bins["wsasend_example"],
        &[
            ("WSASIM_SCENARIO", scenario(b, "tcp_client_27015.toml")),
            ("WSASIM_TRACE", trace.display().to_string()),
        ],
    );
    let expected = format!("Client Accepted...\n{}", "Wrote 4096 bytes\n".repeat(10));
    assert_eq!(text(&out.stdout), expected, "stderr: {}", text(&out.stderr));
    assert_eq!(out.status.code(), Some(0));
    // The trace is complete on disk at exit: ten WSASend calls by the main thread.
    let jsonl = std::fs::read_to_string(&trace).expect("the trace was written at exit");
    assert!(jsonl
        .lines()
        .all(|l| l.starts_with("{\"t\":") && l.ends_with('}')));
    let sends = jsonl
        .lines()
        .filter(|l| l.contains("\"kind\":\"call\",\"thread\":4100,\"api\":\"WSASend\""))
        .count();
    assert_eq!(sends, 10);
    assert!(jsonl.contains("\"api\":\"WSACleanup\""));
}

#[test]
fn seed_example_without_a_peer_ends_with_a_deadlock_report_naming_accept_and_exit_3() {
    let Some(b) = built() else { return };
    let trace = temp_path(b, "example-deadlock.jsonl");
    let _ = std::fs::remove_file(&trace);
    let out = run_exe(
        &b.bins["wsasend_example"],
        &[("WSASIM_TRACE", trace.display().to_string())],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "stderr: {stderr}");
    assert_eq!(text(&out.stdout), "", "nothing was accepted");
    assert!(stderr.starts_with("wsasim: deadlock at "), "{stderr}");
    assert!(
        stderr.contains("wsasim:   thread 0x1004: blocked in accept, waiting for its accept"),
        "{stderr}"
    );
    assert!(stderr.contains("replay with WSASIM_SEED=0 WSASIM_PROFILE=windows"));
    let jsonl = std::fs::read_to_string(&trace).expect("the trace is written on a deadlock too");
    assert!(jsonl.contains("\"api\":\"accept\""));
}

#[test]
fn seed_example_same_seed_gives_the_same_output_and_trace_byte_for_byte() {
    let Some(b) = built() else { return };
    let runs: Vec<(String, String)> = (0..2)
        .map(|i| {
            let trace = temp_path(b, &format!("example-det-{i}.jsonl"));
            let out = run_exe(
                &b.bins["wsasend_example"],
                &[
                    ("WSASIM_SCENARIO", scenario(b, "tcp_client_27015.toml")),
                    ("WSASIM_SEED", "7".to_string()),
                    ("WSASIM_PROFILE", "documented".to_string()),
                    ("WSASIM_TRACE", trace.display().to_string()),
                ],
            );
            assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
            let jsonl = std::fs::read_to_string(&trace).expect("trace");
            (text(&out.stdout), jsonl)
        })
        .collect();
    assert_eq!(runs[0].0, runs[1].0);
    assert!(runs[0].1.lines().count() > 100);
    assert_eq!(
        runs[0].1, runs[1].1,
        "same seed, same trace, byte for byte: pointers are traced as aliases, so ASLR does not show"
    );
}

#[test]
fn seed_example_compiles_without_warnings_under_wall_and_links_statically() {
    let Some(b) = built() else { return };
    let exe = temp_path(b, "wsasend_example_wall_static");
    let out = Command::new("cc")
        .current_dir(&b.root)
        .args(["-Wall", "-Werror", "tests/c/wsasend_example.c"])
        .args(["-I", "crates/wsasim-capi/include"])
        .arg(b.lib_dir.join("libwsasim.a"))
        .arg("-o")
        .arg(&exe)
        .output()
        .expect("cc runs");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let run = run_exe(
        &exe,
        &[("WSASIM_SCENARIO", scenario(b, "tcp_client_27015.toml"))],
    );
    assert_eq!(run.status.code(), Some(0));
    assert_eq!(text(&run.stdout).matches("Wrote 4096 bytes").count(), 10);
}

// ===== the check programs ===================================================================

#[test]
fn wsasend_error_table_reachable_from_c() {
    check_program("wsasend_errors", &[]);
}

#[test]
fn completion_ports_from_c() {
    check_program("iocp", &[]);
}

#[test]
fn socket_calls_from_c() {
    check_program("sockets", &[]);
}

#[test]
fn overlapped_wsasend_with_events_from_c() {
    check_program("overlapped_events", &[]);
}

#[test]
fn completion_routines_and_apcs_are_c_function_pointers_run_in_alertable_waits() {
    check_program("completion_routines", &[]);
}

#[test]
fn two_thread_programs_with_createthread_and_waits() {
    let Some(out) = check_program("threads", &[]) else {
        return;
    };
    // The call from a pthread is refused with one line on stderr.
    let stderr = text(&out.stderr);
    assert_eq!(
        stderr
            .lines()
            .filter(|l| l.contains("a Winsock call came from a thread the runtime did not create"))
            .count(),
        1,
        "{stderr}"
    );
}

#[test]
fn getaddrinfo_inet_pton_inet_ntop_and_byte_order_from_c() {
    check_program("resolve", &[]);
}

#[test]
fn wsasendmsg_error_table_and_wsaioctl_extension_pointers_from_c() {
    check_program("wsasendmsg_errors", &[]);
}

#[test]
fn datagrams_pktinfo_overlapped_sendmsg_routes_and_mtu_from_c() {
    check_program("datagrams", &[]);
}

#[test]
fn header_layouts_match_windows_x64() {
    check_program("layout", &[]);
}

#[test]
fn headers_compile_after_the_c_library_headers() {
    check_program("include_order_libc_first", &[]);
}

#[test]
fn headers_compile_before_the_c_library_headers() {
    check_program("include_order_winsock_first", &[]);
}

// ===== scenario faults in a C program =======================================================

/// Runs `faults_external` with `scenario`, expecting its send to fail with `code` at the
/// fault's virtual time; returns (stdout, trace).
fn run_faults_external(scenario_file: &str, code: u32, seed: u64) -> Option<(String, String)> {
    let b = built()?;
    let trace = temp_path(b, &format!("faults-{scenario_file}-{seed}.jsonl"));
    let _ = std::fs::remove_file(&trace);
    let out = run_exe(
        &b.bins["faults_external"],
        &[
            ("WSASIM_SCENARIO", scenario(b, scenario_file)),
            ("WSASIM_TRACE", trace.display().to_string()),
            ("WSASIM_SEED", seed.to_string()),
            ("FAULT_EXPECT", code.to_string()),
        ],
    );
    let stdout = text(&out.stdout);
    assert!(
        out.status.success() && !stdout.contains("FAIL") && stdout.contains(" passed, 0 failed"),
        "faults_external with {scenario_file} failed ({:?}):\n{stdout}\nstderr:\n{}",
        out.status,
        text(&out.stderr)
    );
    let jsonl = std::fs::read_to_string(&trace).expect("the trace was written at exit");
    Some((stdout, jsonl))
}

#[test]
fn scheduled_reset_on_the_c_program_fails_its_send_with_wsaeconnreset_at_20_ms() {
    let Some((stdout, jsonl)) = run_faults_external("fault_reset.toml", 10054, 0) else {
        return;
    };
    assert!(stdout.contains("then error 10054"), "{stdout}");
    // One reset, at 20 ms: the program's one connected socket, not the peer's.
    let resets: Vec<&str> = jsonl
        .lines()
        .filter(|l| l.contains("\"kind\":\"fault\",\"fault\":\"reset\""))
        .collect();
    assert_eq!(resets.len(), 1, "{jsonl}");
    assert!(resets[0].starts_with("{\"t\":20"), "{}", resets[0]);
}

#[test]
fn scheduled_abort_on_the_c_program_fails_its_send_with_wsaeconnaborted() {
    let Some((stdout, jsonl)) = run_faults_external("fault_abort.toml", 10053, 0) else {
        return;
    };
    assert!(stdout.contains("then error 10053"), "{stdout}");
    assert!(
        jsonl.contains("\"kind\":\"fault\",\"fault\":\"abort\""),
        "{jsonl}"
    );
}

#[test]
fn network_down_on_the_c_programs_host_fails_its_send_with_wsaenetdown() {
    let Some((stdout, jsonl)) = run_faults_external("fault_network_down.toml", 10050, 0) else {
        return;
    };
    assert!(stdout.contains("then error 10050"), "{stdout}");
    assert!(
        jsonl.contains("\"kind\":\"fault\",\"fault\":\"network_down\",\"target\":0}"),
        "{jsonl}"
    );
}

#[test]
fn scenario_faults_in_a_c_program_replay_byte_for_byte_with_the_same_seed() {
    let Some((out1, trace1)) = run_faults_external("fault_reset.toml", 10054, 7) else {
        return;
    };
    let (out2, trace2) = run_faults_external("fault_reset.toml", 10054, 7).expect("built");
    assert_eq!(out1, out2);
    assert_eq!(trace1, trace2);
}

// ===== how a run ends ========================================================================

#[test]
fn livelock_ends_with_a_report_exit_3_and_flushed_output() {
    let Some(b) = built() else { return };
    let trace = temp_path(b, "livelock.jsonl");
    let out = run_exe(
        &b.bins["livelock"],
        &[
            ("WSASIM_STEPS_MAX", "300".to_string()),
            ("WSASIM_TRACE", trace.display().to_string()),
        ],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert_eq!(text(&out.stdout), "polling forever\n");
    assert!(
        stderr.starts_with("wsasim: livelock: 300 scheduling steps"),
        "{stderr}"
    );
    assert!(std::fs::metadata(&trace).is_ok_and(|m| m.len() > 0));
}

#[test]
fn scenario_error_prints_file_line_column_and_exits_2() {
    let Some(b) = built() else { return };
    let bad = temp_path(b, "bad-scenario.toml");
    std::fs::write(&bad, "[[peer]]\nkind = \"udp\"\n").expect("write");
    let out = run_exe(
        &b.bins["wsasend_example"],
        &[("WSASIM_SCENARIO", bad.display().to_string())],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        format!(
            "{}:2:8: expected kind = \"tcp-client\" | \"tcp-server\", found \"udp\"\n",
            bad.display()
        )
    );
    assert_eq!(text(&out.stdout), "");
}

#[test]
fn bad_environment_values_exit_2_naming_the_variable() {
    let Some(b) = built() else { return };
    for (var, value) in [("WSASIM_SEED", "twelve"), ("WSASIM_PROFILE", "linux")] {
        let out = run_exe(&b.bins["wsasend_example"], &[(var, value.to_string())]);
        assert_eq!(out.status.code(), Some(2), "{var}");
        let stderr = text(&out.stderr);
        assert!(stderr.starts_with(&format!("wsasim: {var}=")), "{stderr}");
    }
}

// ===== what the library exports ============================================================

/// The functions of issue 4, item 3 (and the two Windows Sockets 1.1 calls), each as
/// `wsasim_<name>`.
const EXPORTS: &[&str] = &[
    "WPUCompleteOverlappedRequest",
    "CreateIoCompletionPort",
    "GetQueuedCompletionStatus",
    "PostQueuedCompletionStatus",
    "WSAStartup",
    "WSACleanup",
    "WSAGetLastError",
    "WSASetLastError",
    "WSACancelBlockingCall",
    "WSAIsBlocking",
    "socket",
    "WSASocketA",
    "WSASocketW",
    "bind",
    "listen",
    "accept",
    "connect",
    "getsockname",
    "getpeername",
    "shutdown",
    "closesocket",
    "setsockopt",
    "getsockopt",
    "ioctlsocket",
    "send",
    "recv",
    "WSASend",
    "WSARecv",
    "WSACreateEvent",
    "WSACloseEvent",
    "WSASetEvent",
    "WSAResetEvent",
    "WSAWaitForMultipleEvents",
    "WSAGetOverlappedResult",
    "SleepEx",
    "Sleep",
    "QueueUserAPC",
    "CreateThread",
    "WaitForSingleObject",
    "WaitForSingleObjectEx",
    "WaitForMultipleObjects",
    "WaitForMultipleObjectsEx",
    "CloseHandle",
    "GetExitCodeThread",
    "GetCurrentThreadId",
    "GetLastError",
    "SetLastError",
    "getaddrinfo",
    "freeaddrinfo",
    "inet_pton",
    "inet_ntop",
    "htons",
    "htonl",
    "ntohs",
    "ntohl",
    // Issue 5 (WSARecvMsg is reached only through WSAIoctl, so it is not exported).
    "WSASendMsg",
    "WSASendTo",
    "sendto",
    "recvfrom",
    "WSARecvFrom",
    "WSAIoctl",
];

fn defined_symbols(args: &[&str], file: &Path) -> Vec<String> {
    let out = Command::new("nm")
        .args(args)
        .arg(file)
        .output()
        .expect("nm runs");
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .map(|s| s.split('@').next().unwrap_or(s).to_string())
        .collect()
}

#[test]
fn shared_library_exports_exactly_the_wsasim_prefixed_functions() {
    let Some(b) = built() else { return };
    let mut syms = defined_symbols(&["-D", "--defined-only"], &b.lib_dir.join("libwsasim.so"));
    syms.sort();
    let mut want: Vec<String> = EXPORTS.iter().map(|n| format!("wsasim_{n}")).collect();
    want.sort();
    assert_eq!(syms, want);
}

#[test]
fn static_library_defines_no_symbol_of_the_c_library() {
    let Some(b) = built() else { return };
    let libc = Command::new("cc")
        .arg("-print-file-name=libc.so.6")
        .output()
        .expect("cc runs");
    let libc = PathBuf::from(text(&libc.stdout).trim());
    if !libc.is_absolute() {
        eprintln!("*** SKIPPED: cc does not say where libc.so.6 is ***");
        return;
    }
    let ours: std::collections::BTreeSet<String> =
        defined_symbols(&["-g", "--defined-only"], &b.lib_dir.join("libwsasim.a"))
            .into_iter()
            .collect();
    let theirs = defined_symbols(&["-D", "--defined-only"], &libc);
    assert!(theirs.len() > 1000, "read libc's symbols");
    let clash: Vec<&String> = theirs.iter().filter(|s| ours.contains(*s)).collect();
    assert!(
        clash.is_empty(),
        "libwsasim.a defines libc symbols: {clash:?}"
    );
}

// ===== AddressSanitizer =====================================================================

/// Every C program again, built with `-fsanitize=address` against the shared library
/// (the documented command, docs/c-abi.md), with the same checks; ASan reports nothing.
#[test]
fn c_tests_under_address_sanitizer_report_nothing() {
    let Some(b) = built() else { return };
    let probe = temp_path(b, "asan-probe");
    let ok = Command::new("cc")
        .args(["-fsanitize=address", "-x", "c", "-", "-o"])
        .arg(&probe)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin
                .take()
                .expect("stdin")
                .write_all(b"int main(void){return 0;}\n")?;
            c.wait()
        })
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("\n*** SKIPPED: cc cannot build with -fsanitize=address here ***\n");
        return;
    }
    let asan_dir = b.out_dir.join("asan");
    std::fs::create_dir_all(&asan_dir).expect("mkdir");
    let mut children = Vec::new();
    for (name, _) in PROGRAMS {
        let exe = asan_dir.join(name);
        let mut cmd = cc_command(
            &b.root,
            &b.lib_dir,
            name,
            &exe,
            &["-fsanitize=address", "-g"],
        );
        children.push((*name, exe, cmd.spawn().expect("cc")));
    }
    for (name, exe, child) in children {
        let out = child.wait_with_output().expect("cc");
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
        let mut env = Vec::new();
        if name == "livelock" {
            env.push(("WSASIM_STEPS_MAX", "300".to_string()));
        }
        if let Some((_, Some(sc))) = PROGRAMS.iter().find(|(n, _)| *n == name) {
            env.push(("WSASIM_SCENARIO", scenario(b, sc)));
        }
        let run = run_exe(&exe, &env);
        let stderr = text(&run.stderr);
        assert!(!stderr.contains("AddressSanitizer"), "{name}:\n{stderr}");
        let want = if name == "livelock" { 3 } else { 0 };
        assert_eq!(run.status.code(), Some(want), "{name}:\n{stderr}");
    }
}

// ===== C service providers (issue 6) =======================================================

/// `cc -shared -fPIC tests/c/NAME.c -I crates/wsasim-capi/include -o NAME.so`: a C
/// service provider as a shared object (its WPU* calls resolve against the program's
/// libwsasim when it is loaded).
fn build_provider(b: &Built, name: &str) -> PathBuf {
    let so = b.out_dir.join(format!("{name}.so"));
    let out = Command::new("cc")
        .current_dir(&b.root)
        .args(["-Wall", "-Wextra", "-Werror", "-shared", "-fPIC"])
        .arg(format!("tests/c/{name}.c"))
        .args(["-I", "crates/wsasim-capi/include", "-o"])
        .arg(&so)
        .output()
        .expect("cc runs");
    assert!(
        out.status.success(),
        "cc -shared {name}.c failed:\n{}",
        text(&out.stderr)
    );
    so
}

/// Runs `provider_user` with the provider `name` loaded; returns (output, trace).
fn run_with_provider(name: &str) -> Option<(Output, String)> {
    let b = built()?;
    let so = build_provider(b, name);
    let trace = temp_path(b, &format!("{name}.trace.jsonl"));
    let _ = std::fs::remove_file(&trace);
    let out = check_program(
        "provider_user",
        &[
            ("WSASIM_PROVIDER", format!("{}:layered", so.display())),
            ("WSASIM_TRACE", trace.display().to_string()),
        ],
    )?;
    let t = std::fs::read_to_string(&trace).expect("the trace was written");
    Some((out, t))
}

#[test]
fn c_layered_provider_completes_routine_and_event_sends_with_no_contract_report() {
    let Some((_, trace)) = run_with_provider("provider_layered") else {
        return;
    };
    assert!(
        !trace.contains("\"kind\":\"contract\""),
        "a well-behaved C provider gets no report:\n{}",
        trace
            .lines()
            .filter(|l| l.contains("contract"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    // The provider's own APC function ran (WPUQueueApc) and its own requests went down.
    assert!(
        trace.contains("\"apc\":\"provider\""),
        "a provider APC was delivered"
    );
}

#[test]
fn c_provider_calling_the_routine_directly_is_reported_and_the_program_still_completes() {
    let Some((_, trace)) = run_with_provider("provider_broken") else {
        return;
    };
    let reports: Vec<&str> = trace
        .lines()
        .filter(|l| l.contains("\"kind\":\"contract\""))
        .collect();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(
        reports[0]
            .contains("the APC function itself cannot be the client specified-completion routine"),
        "{}",
        reports[0]
    );
}

#[test]
fn c_provider_reading_the_wsabuf_array_after_wspsend_returned_is_reported() {
    let Some((_, trace)) = run_with_provider("provider_stale_wsabuf") else {
        return;
    };
    let reports: Vec<&str> = trace
        .lines()
        .filter(|l| l.contains("\"kind\":\"contract\""))
        .collect();
    // One per send: the routine-based one and the event-based one.
    assert_eq!(reports.len(), 2, "{reports:?}");
    assert!(
        reports.iter().all(|r| r.contains(
            "it is the service provider's responsibility to capture these WSABUF structures"
        )),
        "{reports:?}"
    );
}

/// Runs `provider_san_user` over the SAN link of `san_hosts.toml` with the C SAN provider
/// `name` loaded (`:san`); returns (output, trace).
fn run_with_san_provider(name: &str) -> Option<(Output, String)> {
    let b = built()?;
    let so = build_provider(b, name);
    let trace = temp_path(b, &format!("{name}.trace.jsonl"));
    let _ = std::fs::remove_file(&trace);
    let out = run_exe(
        &b.bins["provider_san_user"],
        &[
            ("WSASIM_PROVIDER", format!("{}:san", so.display())),
            ("WSASIM_SCENARIO", scenario(b, "san_hosts.toml")),
            ("WSASIM_TRACE", trace.display().to_string()),
        ],
    );
    let t = std::fs::read_to_string(&trace).expect("the trace was written");
    Some((out, t))
}

fn lines_with<'a>(s: &'a str, what: &str) -> Vec<&'a str> {
    s.lines().filter(|l| l.contains(what)).collect()
}

#[test]
fn c_san_provider_carries_sends_across_a_san_link_completing_by_wpu_with_no_contract_report() {
    let Some((out, trace)) = run_with_san_provider("provider_san") else {
        return;
    };
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert!(
        out.status.success() && stdout.contains(" passed, 0 failed") && !stdout.contains("FAIL"),
        "provider_san_user failed ({:?}):\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    assert_eq!(
        lines_with(&stderr, "provider_san: WSPStartupEx").len(),
        1,
        "{stderr}"
    );
    // 100 bytes in one request; 200 bytes split by SO_MAX_MSG_SIZE (150): 150 + 50.
    let sends = lines_with(&stderr, "provider_san: WSPSend ");
    assert_eq!(
        sends,
        [
            "provider_san: WSPSend 100 bytes in 1 buffers, dwFlags 0, poll 0",
            "provider_san: WSPSend 150 bytes in 1 buffers, dwFlags 0, poll 0",
            "provider_san: WSPSend 50 bytes in 1 buffers, dwFlags 0, poll 0",
        ],
        "{stderr}"
    );
    // Every buffer was registered before the send and deregistered after.
    assert_eq!(
        lines_with(&stderr, "provider_san: WSPRegisterMemory").len(),
        2,
        "{stderr}"
    );
    assert_eq!(
        lines_with(&stderr, "provider_san: WSPDeregisterMemory").len(),
        2,
        "{stderr}"
    );
    // Each completed through WPUCompleteOverlappedRequest, which succeeded.
    let wpu = lines_with(&stderr, "provider_san: WPUCompleteOverlappedRequest");
    assert_eq!(
        wpu,
        [
            "provider_san: WPUCompleteOverlappedRequest 100 bytes -> 0",
            "provider_san: WPUCompleteOverlappedRequest 150 bytes -> 0",
            "provider_san: WPUCompleteOverlappedRequest 50 bytes -> 0",
        ],
        "{stderr}"
    );
    let reports = lines_with(&trace, "\"kind\":\"contract\"");
    assert!(reports.is_empty(), "{reports:?}");
}

#[test]
fn c_san_provider_returning_wsaewouldblock_is_reported_with_the_seed_sentence() {
    let Some((out, trace)) = run_with_san_provider("provider_san_broken") else {
        return;
    };
    let stderr = text(&out.stderr);
    assert!(
        !lines_with(&stderr, "provider_san: WSPSend ").is_empty(),
        "the provider was called: {stderr}"
    );
    let reports = lines_with(&trace, "\"kind\":\"contract\"");
    assert!(!reports.is_empty(), "a report: {}", text(&out.stdout));
    assert!(
        reports.iter().all(|r| r.contains(
            "a SAN service provider does not support the following error codes for WSPSend"
        )),
        "{reports:?}"
    );
}

#[test]
fn san_program_without_a_san_provider_sends_over_tcp_and_passes() {
    let Some(b) = built() else { return };
    let out = run_exe(
        &b.bins["provider_san_user"],
        &[("WSASIM_SCENARIO", scenario(b, "san_hosts.toml"))],
    );
    let stdout = text(&out.stdout);
    assert!(
        out.status.success() && stdout.contains(" passed, 0 failed"),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    assert!(!text(&out.stderr).contains("provider_san"));
}

#[test]
fn wsasim_provider_naming_no_provider_exits_2_naming_the_variable() {
    let Some(b) = built() else { return };
    let out = run_exe(
        &b.bins["provider_user"],
        &[("WSASIM_PROVIDER", "/nonexistent/provider.so".to_string())],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).starts_with("wsasim: WSASIM_PROVIDER="),
        "{}",
        text(&out.stderr)
    );
}
