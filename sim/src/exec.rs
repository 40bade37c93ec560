//! One run of one seed: a scenario in this process (on the runtime), or an external
//! program as a child process with the seed and profile in its environment.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration as WallDuration;
use wsasim_core::choice::ChoiceKind;
use wsasim_core::{Config, Profile, World};
use wsasim_runtime::Outcome;
use wsasim_scenario::{RunLog, Scenario};

/// What is run.
#[derive(Clone, Debug)]
pub enum Target {
    /// A scenario's built-in programs, in this process. (A scenario whose program is
    /// external is turned into [`Target::Program`] by [`Target::from_scenario`].)
    Scenario(Arc<Scenario>),
    /// An external program linked to `libwsasim`, one process per run.
    Program {
        /// The program and its arguments.
        argv: Vec<String>,
        /// The scenario it gets in `WSASIM_SCENARIO`, if any.
        scenario: Option<PathBuf>,
        /// The exit code that counts as success.
        expect_exit: i32,
    },
}

impl Target {
    /// The target for a scenario file: its built-in programs, or its external program.
    pub fn from_scenario(sc: Scenario, path: &Path) -> Target {
        if let Some(e) = sc.external() {
            let mut program = PathBuf::from(&e.path);
            if program.is_relative() {
                let beside = path.parent().unwrap_or(Path::new(".")).join(&e.path);
                if beside.exists() {
                    program = beside;
                }
            }
            let mut argv = vec![program.display().to_string()];
            argv.extend(e.args.iter().cloned());
            return Target::Program {
                argv,
                scenario: Some(path.to_path_buf()),
                expect_exit: e.expect_exit,
            };
        }
        Target::Scenario(Arc::new(sc))
    }

    /// How results name it.
    pub fn describe(&self) -> String {
        match self {
            Target::Scenario(s) => s.file().to_string(),
            Target::Program { argv, .. } => argv.join(" "),
        }
    }
}

/// How one run is made.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// The seed.
    pub seed: u64,
    /// The profile.
    pub profile: Profile,
    /// Choices forced first (a replay string); picks past its end are 0.
    pub choices: Option<Vec<u64>>,
    /// Swarm: the seed also draws which faults are on (`--swarm`, or the file's
    /// `[swarm]`).
    pub swarm: bool,
    /// Faults turned off by index (shrinking); `None`: all on.
    pub faults: Option<Vec<bool>>,
    /// Scheduling steps before a run counts as a livelock.
    pub steps_max: u64,
    /// Wall-clock limit of an external program.
    pub timeout: WallDuration,
}

impl RunOptions {
    /// A run of `seed` in `profile` with everything else default.
    pub fn new(seed: u64, profile: Profile) -> RunOptions {
        RunOptions {
            seed,
            profile,
            choices: None,
            swarm: false,
            faults: None,
            steps_max: 2_000_000,
            timeout: WallDuration::from_secs(60),
        }
    }
}

/// How a run ended, as results print it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every check passed.
    Pass,
    /// A program's check failed, or a contract report nobody expected.
    Fail,
    /// No thread could run and nothing would ever happen again.
    Deadlock,
    /// The step bound ran out.
    Livelock,
    /// A simulated thread panicked.
    Panic,
    /// An external program exited with another code than expected.
    Exit,
    /// The run could not be made (the program could not start, timed out).
    Error,
}

impl Verdict {
    /// The name results use.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Deadlock => "deadlock",
            Verdict::Livelock => "livelock",
            Verdict::Panic => "panic",
            Verdict::Exit => "exit",
            Verdict::Error => "error",
        }
    }
}

/// What one run produced.
#[derive(Debug)]
pub struct RunResult {
    /// The seed.
    pub seed: u64,
    /// The profile.
    pub profile: Profile,
    /// How it ended.
    pub verdict: Verdict,
    /// Why it failed (empty when it passed).
    pub reason: String,
    /// The trace's hash (FNV-1a of its JSON Lines).
    pub trace_hash: u64,
    /// The trace, JSON Lines.
    pub trace: String,
    /// The recorded choices, as `(kind name, options, picked)`.
    pub choices: Vec<(String, u64, u64)>,
    /// The programs' log (in-process runs).
    pub log: Option<RunLog>,
    /// The external program's exit code, if it exited.
    pub exit_code: Option<i32>,
    /// The external program's standard output and error.
    pub output: String,
}

impl RunResult {
    /// Whether it passed.
    pub fn passed(&self) -> bool {
        self.verdict == Verdict::Pass
    }

    /// The replay string of its choices: the picks, comma-separated, with trailing
    /// zeros dropped (a pick past the end of the list is 0).
    pub fn replay_string(&self) -> String {
        let mut picks: Vec<u64> = self.choices.iter().map(|c| c.2).collect();
        while picks.last() == Some(&0) {
            picks.pop();
        }
        picks
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The failure's signature: shrinking keeps a change only if the run still fails
    /// with the same signature (the verdict, and the reason with its numbers blotted
    /// out; for a deadlock or livelock, the verdict alone).
    pub fn signature(&self) -> String {
        match self.verdict {
            Verdict::Deadlock | Verdict::Livelock | Verdict::Pass => self.verdict.name().into(),
            _ => {
                let mut out = String::from(self.verdict.name());
                out.push(':');
                let mut digit = false;
                for c in self.reason.chars() {
                    if c.is_ascii_digit() {
                        if !digit {
                            out.push('#');
                        }
                        digit = true;
                    } else {
                        digit = false;
                        out.push(c);
                    }
                }
                out
            }
        }
    }
}

/// The documented freedoms (`docs/architecture.md`, "Profiles and choice points"), in
/// the order coverage lists them.
pub const FREEDOMS: &[ChoiceKind] = &[
    ChoiceKind::RoutineOrder,
    ChoiceKind::PartialSend,
    ChoiceKind::PendInsteadOfImmediate,
    ChoiceKind::TooManyOutstanding,
    ChoiceKind::SplitSend,
];

/// The kinds of choice a run made with a non-default pick (not 0), in trace names.
pub fn exercised(choices: &[(String, u64, u64)]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (kind, _, picked) in choices {
        if *picked != 0 && !out.contains(kind) {
            out.push(kind.clone());
        }
    }
    out.sort();
    out
}

/// Runs one seed.
pub fn run_one(target: &Target, opts: &RunOptions) -> RunResult {
    match target {
        Target::Scenario(sc) => run_scenario(sc, opts),
        Target::Program {
            argv,
            scenario,
            expect_exit,
        } => run_external(argv, scenario.as_deref(), *expect_exit, opts),
    }
}

/// A world for `sc`, with the forced choices.
fn world_for(sc: &Scenario, opts: &RunOptions) -> World {
    let mut world = World::new(Config::new(opts.seed, opts.profile));
    sc.install(&mut world);
    if let Some(picks) = &opts.choices {
        // Picks past the list are 0: pad well past any run's length.
        let pad = picks.len() * 4 + 100_000;
        world.force_choices(picks.iter().copied().chain(std::iter::repeat_n(0, pad)));
    }
    world
}

fn run_scenario(sc: &Arc<Scenario>, opts: &RunOptions) -> RunResult {
    let world = world_for(sc, opts);
    let log = Arc::new(Mutex::new(RunLog::default()));
    let swarm = if opts.swarm {
        Some(sc.swarm().unwrap_or(wsasim_core::Ratio::new(1, 2)))
    } else {
        sc.swarm()
    };
    let enabled = opts
        .faults
        .clone()
        .unwrap_or_else(|| vec![true; sc.faults().len()]);
    let (sc2, log2) = (Arc::clone(sc), Arc::clone(&log));
    let report = wsasim_runtime::run_with(world, None, opts.steps_max, move || {
        sc2.run_programs(&enabled, swarm, &log2)
    });
    let log = log.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let names = |text: &str| -> String {
        // "thread 0x1008:" -> "thread 0x1008 (program receiver):"
        let mut out = text.to_string();
        for p in &log.programs {
            if p.thread != 0 {
                let from = format!("thread {:#x}:", p.thread);
                let to = format!("thread {:#x} (program {}):", p.thread, p.name);
                out = out.replace(&from, &to);
            }
        }
        out
    };
    let (verdict, reason) = match &report.outcome {
        Outcome::Exited(_) => {
            let contract = report.world.contract_reports().first().cloned();
            match (contract, sc.expects_contract_reports()) {
                (Some(c), false) => (
                    Verdict::Fail,
                    names(&format!(
                        "contract report at {}: thread {:#x}: {}",
                        c.at, c.thread.0, c.rule
                    )),
                ),
                _ => match log.verdict(sc) {
                    None => (Verdict::Pass, String::new()),
                    Some(r) => (Verdict::Fail, r),
                },
            }
        }
        Outcome::Deadlock(r) => (Verdict::Deadlock, names(r.trim_end())),
        Outcome::Livelock(r) => (Verdict::Livelock, names(r.trim_end())),
        Outcome::Panicked(r) => (Verdict::Panic, names(r.trim_end())),
    };
    let trace = report.world.trace().to_jsonl();
    let choices = report
        .world
        .choices()
        .iter()
        .map(|c| (c.kind.name().to_string(), c.options, c.picked))
        .collect();
    RunResult {
        seed: opts.seed,
        profile: opts.profile,
        verdict,
        reason,
        trace_hash: wsasim_core::trace::fnv1a(trace.as_bytes()),
        trace,
        choices,
        log: Some(log),
        exit_code: None,
        output: String::new(),
    }
}

static TEMP_SEQ: AtomicU64 = AtomicU64::new(0);

/// A fresh path in the temporary folder.
fn temp_path(what: &str) -> PathBuf {
    let n = TEMP_SEQ.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("wsasim-{}-{n}-{what}", std::process::id()))
}

/// The choice records of a JSON Lines trace.
pub fn choices_of_trace(trace: &str) -> Vec<(String, u64, u64)> {
    trace
        .lines()
        .filter(|l| l.contains("\"kind\":\"choice\""))
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| {
            Some((
                v.get("choice")?.as_str()?.to_string(),
                v.get("options")?.as_u64()?,
                v.get("picked")?.as_u64()?,
            ))
        })
        .collect()
}

fn run_external(
    argv: &[String],
    scenario: Option<&Path>,
    expect_exit: i32,
    opts: &RunOptions,
) -> RunResult {
    let trace_path = temp_path("trace.jsonl");
    let out_path = temp_path("output.txt");
    let mut result = RunResult {
        seed: opts.seed,
        profile: opts.profile,
        verdict: Verdict::Error,
        reason: String::new(),
        trace_hash: 0,
        trace: String::new(),
        choices: Vec::new(),
        log: None,
        exit_code: None,
        output: String::new(),
    };
    let out_file = match std::fs::File::create(&out_path) {
        Ok(f) => f,
        Err(e) => {
            result.reason = format!("cannot create {}: {e}", out_path.display());
            return result;
        }
    };
    let err_file = out_file
        .try_clone()
        .expect("a file handle can be duplicated");
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .env("WSASIM_SEED", opts.seed.to_string())
        .env("WSASIM_PROFILE", opts.profile.name())
        .env("WSASIM_TRACE", &trace_path)
        .env("WSASIM_STEPS_MAX", opts.steps_max.to_string())
        .stdin(Stdio::null())
        .stdout(out_file)
        .stderr(err_file);
    // Without a scenario file of its own, the program keeps the WSASIM_SCENARIO of
    // wsasim's environment, if any.
    if let Some(s) = scenario {
        cmd.env("WSASIM_SCENARIO", s);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            result.reason = format!("cannot start {}: {e}", argv[0]);
            let _ = std::fs::remove_file(&out_path);
            return result;
        }
    };
    // Wall clock: only to stop a program that hangs outside the simulation.
    let started = crate::wall::Stopwatch::start();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() > opts.timeout => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(WallDuration::from_millis(1)),
            Err(_) => break None,
        }
    };
    let mut output = String::new();
    if let Ok(mut f) = std::fs::File::open(&out_path) {
        let _ = f.read_to_string(&mut output);
    }
    let _ = std::fs::remove_file(&out_path);
    result.trace = std::fs::read_to_string(&trace_path).unwrap_or_default();
    let _ = std::fs::remove_file(&trace_path);
    result.trace_hash = wsasim_core::trace::fnv1a(result.trace.as_bytes());
    result.choices = choices_of_trace(&result.trace);
    let wsasim_lines: Vec<&str> = output
        .lines()
        .filter_map(|l| l.strip_prefix("wsasim: "))
        .collect();
    match status {
        None => {
            result.reason = format!(
                "no exit after {} s of wall-clock time (killed)",
                opts.timeout.as_secs()
            );
        }
        Some(st) => {
            let code = st.code();
            result.exit_code = code;
            let first = wsasim_lines.first().copied().unwrap_or("");
            result.verdict = match code {
                Some(c) if c == expect_exit => Verdict::Pass,
                _ if first.starts_with("deadlock") => Verdict::Deadlock,
                _ if first.starts_with("livelock") => Verdict::Livelock,
                _ if first.starts_with("a simulated thread panicked") => Verdict::Panic,
                _ => Verdict::Exit,
            };
            if result.verdict != Verdict::Pass {
                result.reason = match (code, first) {
                    (_, f) if !f.is_empty() => f.to_string(),
                    (Some(c), _) => {
                        let last = output.lines().last().unwrap_or("").trim();
                        if last.is_empty() {
                            format!("exit code {c}")
                        } else {
                            format!("exit code {c}: {last}")
                        }
                    }
                    (None, _) => "killed by a signal".to_string(),
                };
            }
        }
    }
    result.output = output;
    result
}
