//! `wsasim explore`, `replay` and `run` with an external C program linked to
//! `libwsasim`: the WSASend seed's example (`tests/c/wsasend_example.c`), one process
//! per seed, seed and profile in its environment. Skipped (with a note) without `cc`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Builds libwsasim (in `target/c-abi`, as `tests/c_abi.rs` does, so the two share the
/// build) and the seed's example; `None` without a C compiler.
fn example() -> Option<&'static PathBuf> {
    static EXE: OnceLock<Option<PathBuf>> = OnceLock::new();
    EXE.get_or_init(|| {
        let have_cc = Command::new("cc")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !have_cc {
            eprintln!("\n*** SKIPPED: no `cc`: external programs were not explored ***\n");
            return None;
        }
        let target = root().join("target").join("c-abi");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
        let build = Command::new(cargo)
            .current_dir(root())
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
        let lib = target.join("release");
        let exe = target.join("wsasim-cli-wsasend-example");
        let cc = Command::new("cc")
            .current_dir(root())
            .arg("tests/c/wsasend_example.c")
            .args(["-I", "crates/wsasim-capi/include", "-L"])
            .arg(&lib)
            .arg("-lwsasim")
            .arg(format!("-Wl,-rpath,{}", lib.display()))
            .arg("-o")
            .arg(&exe)
            .output()
            .expect("cc runs");
        assert!(
            cc.status.success(),
            "{}",
            String::from_utf8_lossy(&cc.stderr)
        );
        Some(exe)
    })
    .as_ref()
}

fn wsasim(args: &[&str], scenario: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wsasim"));
    cmd.args(args).current_dir(root());
    for (k, _) in std::env::vars() {
        if k.starts_with("WSASIM_") {
            cmd.env_remove(k);
        }
    }
    if let Some(s) = scenario {
        cmd.env("WSASIM_SCENARIO", s);
    }
    cmd.output().expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn explore_runs_the_seed_example_once_per_seed_and_replay_gives_the_same_hash() {
    let Some(exe) = example() else { return };
    let results = std::env::temp_dir().join(format!("wsasim-ext-{}.jsonl", std::process::id()));
    let exe = exe.to_str().unwrap();
    let o = wsasim(
        &[
            "explore",
            "--profile",
            "documented",
            "--seeds",
            "4",
            "--jobs",
            "2",
            "-q",
            "--results",
            results.to_str().unwrap(),
            "--",
            exe,
        ],
        Some("tests/c/scenarios/tcp_client_27015.toml"),
    );
    assert!(o.status.success(), "{}", stdout(&o));
    let text = std::fs::read_to_string(&results).unwrap();
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first["outcome"], "pass");
    // The trace came back from the program (WSASIM_TRACE): its choices were counted.
    assert!(first["choices"].as_u64().unwrap() > 0);
    assert!(first["freedoms"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f == "pend"));
    let r = wsasim(
        &["replay", "0", "--profile", "documented", "--", exe],
        Some("tests/c/scenarios/tcp_client_27015.toml"),
    );
    assert!(r.status.success());
    let out = stdout(&r);
    assert!(
        out.contains("Wrote 4096 bytes"),
        "the program's output: {out}"
    );
    assert!(
        out.contains(&format!(
            "trace hash {}",
            first["trace_hash"].as_str().unwrap()
        )),
        "{out}"
    );
    let _ = std::fs::remove_file(results);
}

#[test]
fn run_of_a_scenario_with_an_external_program_gives_it_the_scenario() {
    let Some(exe) = example() else { return };
    let sc = std::env::temp_dir().join(format!("wsasim-ext-{}.toml", std::process::id()));
    std::fs::write(
        &sc,
        format!(
            "[[program]]\nname = \"server\"\nexternal = {:?}\n\n[[peer]]\nkind = \"tcp-client\"\nconnect = \"127.0.0.1:27015\"\nstart_ms = 10\nread = \"all\"\n",
            exe.to_str().unwrap()
        ),
    )
    .unwrap();
    let o = wsasim(&["run", sc.to_str().unwrap(), "--seed", "5"], None);
    assert!(o.status.success(), "{}", stdout(&o));
    assert_eq!(stdout(&o).matches("Wrote 4096 bytes").count(), 10);
    // Without the peer the program waits in accept forever: a deadlock, reported.
    std::fs::write(
        &sc,
        format!(
            "[[program]]\nname = \"server\"\nexternal = {:?}\n",
            exe.to_str().unwrap()
        ),
    )
    .unwrap();
    let o = wsasim(&["run", sc.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("result: FAIL (deadlock)"),
        "{}",
        stdout(&o)
    );
    let _ = std::fs::remove_file(sc);
}

/// `tests/c/faults_external.c`, built against the library [`example`] built.
fn faults_program() -> Option<PathBuf> {
    example()?;
    let target = root().join("target").join("c-abi");
    let lib = target.join("release");
    let exe = target.join("wsasim-cli-faults-external");
    let cc = Command::new("cc")
        .current_dir(root())
        .arg("tests/c/faults_external.c")
        .args(["-I", "crates/wsasim-capi/include", "-L"])
        .arg(&lib)
        .arg("-lwsasim")
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .arg("-o")
        .arg(&exe)
        .output()
        .expect("cc runs");
    assert!(
        cc.status.success(),
        "{}",
        String::from_utf8_lossy(&cc.stderr)
    );
    Some(exe)
}

#[test]
fn explore_of_a_c_program_applies_the_scenarios_faults_and_replay_shows_them() {
    let Some(exe) = faults_program() else { return };
    let exe = exe.to_str().unwrap();
    let scenario = Some("tests/c/scenarios/fault_reset.toml");
    // The program passes only if its send fails with WSAECONNRESET at 20 ms.
    let o = wsasim(&["explore", "--seeds", "3", "-q", "--", exe], scenario);
    assert!(o.status.success(), "{}", stdout(&o));
    let r = wsasim(&["replay", "1", "--timeline", "--", exe], scenario);
    assert!(r.status.success(), "{}", stdout(&r));
    let out = stdout(&r);
    assert!(out.contains("then error 10054"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.contains("t=20.000000ms") && l.contains("fault") && l.contains("reset")),
        "{out}"
    );
}
