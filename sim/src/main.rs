//! `wsasim`: runs simulated Winsock worlds.
//!
//! With no arguments it runs the built-in demo: the `WSASend` seed's example program
//! (a server that sends ten 4 KiB buffers with overlapped `WSASend` and an event) against
//! a client on another simulated host, one millisecond away, and prints the life of each
//! operation and a summary.
//!
//! Commands: `demo`, `run`, `explore`, `replay`, `shrink`, `explain`, `results`. Every
//! command, option and output format: `docs/cli.md`.

#![forbid(unsafe_code)]

use clap::{Args, Parser, Subcommand};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use wsasim_cli::exec::{run_one, RunOptions, RunResult, Target, Verdict};
use wsasim_cli::explore::{Explore, Seeds, Shard};
use wsasim_cli::{demo, explain, explore, shrink, timeline};
use wsasim_core::Profile;

/// `println!` that ignores a closed stdout (`wsasim explore ... | head`).
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

/// `print!` that ignores a closed stdout.
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($t)*);
    }};
}

/// Exit code of a usage or input mistake (a bad option, a scenario error).
const EXIT_USAGE: u8 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "wsasim",
    version,
    about = "A deterministic Winsock simulator: scenarios, fault injection, exploration over seeds, replay and shrinking.",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Options of the demo, which runs when no command is given.
    #[command(flatten)]
    demo: DemoArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// The built-in demo (the default): the WSASend seed's example, with its timeline.
    Demo(DemoArgs),
    /// Runs one seed of a scenario.
    Run(RunArgs),
    /// Runs many seeds of a scenario or of an external program.
    Explore(ExploreArgs),
    /// Runs one seed again, exactly, and exits as it did.
    Replay(ReplayArgs),
    /// Reduces a failing run's faults and choices to a minimal one that still fails.
    Shrink(ShrinkArgs),
    /// What a Winsock error code means and where wsasim produces it.
    Explain {
        /// A number (10054) or a name (WSAECONNRESET, any case).
        code: String,
    },
    /// Summarises explore results files (the shards of a sweep, merged).
    Results {
        /// JSON Lines files written by `explore --results`.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

fn profile(s: &str) -> Result<Profile, String> {
    Profile::from_name(s).ok_or_else(|| format!("expected windows or documented, found {s:?}"))
}

/// A replay string: picks, comma-separated (empty: every pick 0).
#[derive(Clone, Debug)]
struct ChoiceList(Vec<u64>);

fn choices(s: &str) -> Result<ChoiceList, String> {
    if s.trim().is_empty() {
        return Ok(ChoiceList(Vec::new()));
    }
    s.split(',')
        .map(|p| {
            p.trim()
                .parse::<u64>()
                .map_err(|_| format!("expected --choices N,N,... (integers), found {p:?}"))
        })
        .collect::<Result<Vec<u64>, String>>()
        .map(ChoiceList)
}

#[derive(Args, Debug, Clone)]
struct DemoArgs {
    /// The seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// windows (verified behaviour) or documented (every documented freedom).
    #[arg(long, value_parser = profile, default_value = "windows")]
    profile: Profile,
    /// Writes the JSON Lines trace here.
    #[arg(long)]
    trace: Option<PathBuf>,
    /// Writes a Chrome trace (Perfetto, chrome://tracing) here.
    #[arg(long)]
    chrome: Option<PathBuf>,
}

/// Options shared by `run` and `replay`.
#[derive(Args, Debug, Clone)]
struct OneRun {
    /// windows (verified behaviour) or documented (every documented freedom).
    #[arg(long, value_parser = profile, default_value = "windows")]
    profile: Profile,
    /// Forces these choices first (a replay string printed by `shrink`); picks past its
    /// end are 0.
    #[arg(long, value_parser = choices)]
    choices: Option<ChoiceList>,
    /// Swarm: the seed also draws which faults are on.
    #[arg(long)]
    swarm: bool,
    /// Writes the JSON Lines trace here.
    #[arg(long)]
    trace: Option<PathBuf>,
    /// Writes a Chrome trace (Perfetto, chrome://tracing) here.
    #[arg(long)]
    chrome: Option<PathBuf>,
    /// Prints the timeline of every overlapped operation, fault and contract report.
    #[arg(long)]
    timeline: bool,
    /// Scheduling steps before a run counts as a livelock.
    #[arg(long, default_value_t = 2_000_000)]
    steps_max: u64,
    /// Wall-clock seconds an external program may take.
    #[arg(long, default_value_t = 60)]
    timeout_secs: u64,
}

#[derive(Args, Debug)]
struct RunArgs {
    /// The scenario (TOML; docs/scenario.md).
    scenario: PathBuf,
    /// The seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[command(flatten)]
    one: OneRun,
}

#[derive(Args, Debug)]
struct ReplayArgs {
    /// The seed to run again.
    seed: u64,
    /// The scenario, or nothing when a program follows `--`.
    scenario: Option<PathBuf>,
    #[command(flatten)]
    one: OneRun,
    /// An external program and its arguments (after `--`).
    #[arg(last = true)]
    program: Vec<String>,
}

#[derive(Args, Debug)]
struct ExploreArgs {
    /// The scenario, or nothing when a program follows `--`.
    scenario: Option<PathBuf>,
    /// windows (verified behaviour) or documented (every documented freedom).
    #[arg(long, value_parser = profile, default_value = "windows")]
    profile: Profile,
    /// N (seeds 0 to N-1), A..B (B excluded) or A..=B.
    #[arg(long, default_value = "100")]
    seeds: Seeds,
    /// Runs at once (default: the machine's cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// K/N: only the seeds s with s mod N == K-1.
    #[arg(long)]
    shard: Option<Shard>,
    /// Swarm: each seed also draws which faults are on.
    #[arg(long)]
    swarm: bool,
    /// Writes one JSON object per seed here (JSON Lines).
    #[arg(long)]
    results: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
    /// Scheduling steps before a run counts as a livelock.
    #[arg(long, default_value_t = 2_000_000)]
    steps_max: u64,
    /// Wall-clock seconds an external program may take per seed.
    #[arg(long, default_value_t = 60)]
    timeout_secs: u64,
    /// An external program and its arguments (after `--`).
    #[arg(last = true)]
    program: Vec<String>,
}

#[derive(Args, Debug)]
struct ShrinkArgs {
    /// The scenario.
    scenario: PathBuf,
    /// The failing seed.
    #[arg(long)]
    seed: u64,
    /// windows or documented.
    #[arg(long, value_parser = profile, default_value = "windows")]
    profile: Profile,
    /// Starts from these choices instead of the seed's own.
    #[arg(long, value_parser = choices)]
    choices: Option<ChoiceList>,
    /// Swarm, as the failing run had it.
    #[arg(long)]
    swarm: bool,
    /// Writes the scenario with only the faults still needed here.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Most runs to try.
    #[arg(long, default_value_t = 400)]
    max_runs: usize,
    /// Scheduling steps before a run counts as a livelock.
    #[arg(long, default_value_t = 2_000_000)]
    steps_max: u64,
}

fn load(path: &Path) -> Result<wsasim_scenario::Scenario, ExitCode> {
    let sc = wsasim_scenario::load(path).map_err(|e| {
        eprintln!("{e}");
        ExitCode::from(EXIT_USAGE)
    })?;
    if sc.programs().is_empty() {
        eprintln!(
            "{}: the scenario has no [[program]], so nothing would run; add one (docs/scenario.md), or run a C program in it with WSASIM_SCENARIO={} wsasim explore -- PROGRAM",
            path.display(),
            path.display()
        );
        return Err(ExitCode::from(EXIT_USAGE));
    }
    Ok(sc)
}

/// The target of `explore`/`replay`: a scenario, or a program after `--`.
fn target_of(scenario: &Option<PathBuf>, program: &[String]) -> Result<Target, ExitCode> {
    match (scenario, program.is_empty()) {
        (Some(p), true) => Ok(Target::from_scenario(load(p)?, p)),
        (None, false) => Ok(Target::Program {
            argv: program.to_vec(),
            scenario: None,
            expect_exit: 0,
        }),
        _ => {
            eprintln!("wsasim: expected a SCENARIO or -- PROGRAM [ARGS], not both");
            Err(ExitCode::from(EXIT_USAGE))
        }
    }
}

fn write_file(path: &Path, text: &str) -> Result<(), ExitCode> {
    std::fs::write(path, text).map_err(|e| {
        eprintln!("wsasim: cannot write {}: {e}", path.display());
        ExitCode::FAILURE
    })
}

fn thread_names(r: &RunResult) -> BTreeMap<u64, String> {
    let mut names = BTreeMap::new();
    if let Some(log) = &r.log {
        for p in &log.programs {
            if p.thread != 0 {
                names.insert(u64::from(p.thread), format!("program {}", p.name));
            }
        }
    }
    names
}

/// Prints a run's report (`docs/cli.md`, "run").
fn report(target: &Target, r: &RunResult, one: &OneRun) {
    outln!(
        "SEED={} PROFILE={} TARGET={}",
        r.seed,
        r.profile.name(),
        target.describe()
    );
    if let (Some(log), Target::Scenario(sc)) = (&r.log, target) {
        if !log.programs.is_empty() {
            outln!("\nprograms");
        }
        for (i, p) in log.programs.iter().enumerate() {
            let role = sc.programs()[i].kind.role_name();
            let state = match &p.failure {
                None if p.exited_by_fault => "exited (thread-exit fault)".to_string(),
                None if p.finished => "ok".to_string(),
                None => "did not finish".to_string(),
                Some(f) => f.to_string(),
            };
            outln!(
                "  {:<14} {:<12} sent {:>9}  received {:>9}  {state}",
                p.name,
                role,
                p.sent,
                p.received
            );
        }
        if !sc.faults().is_empty() {
            outln!("\nfaults");
        }
        for (i, f) in sc.faults().iter().enumerate() {
            let on = log.faults_on.get(i).copied().unwrap_or(true);
            let mut state = if on {
                match log.fired.get(i).copied().unwrap_or(0) {
                    0 => "did not fire".to_string(),
                    n => format!("fired {n}x"),
                }
            } else {
                "off in this run".to_string()
            };
            if let Some(fi) = log.firings.iter().find(|fi| fi.fault == i) {
                let at = wsasim_core::time::Instant::from_nanos(fi.at_ns);
                match &fi.missed {
                    Some(m) => state = format!("missed ({m})"),
                    None => state.push_str(&format!(", first at {at}")),
                }
            }
            outln!(
                "  #{:<3} {:<22} {:<24} line {:<4} {state}",
                i + 1,
                f.kind.name(),
                f.target.to_string(),
                f.line
            );
        }
    }
    if !r.output.is_empty() {
        outln!("\nprogram output");
        for l in r.output.lines() {
            outln!("  {l}");
        }
    }
    if one.timeline {
        outln!();
        out!("{}", timeline::timeline(&r.trace));
    }
    outln!();
    match r.verdict {
        Verdict::Pass => outln!("result: pass"),
        v => {
            outln!("result: FAIL ({})", v.name());
            for l in r.reason.lines() {
                outln!("  {l}");
            }
        }
    }
    outln!(
        "trace hash {:016x} ({} records, {} choices)",
        r.trace_hash,
        r.trace.lines().count(),
        r.choices.len()
    );
}

fn outputs(r: &RunResult, one: &OneRun) -> Result<(), ExitCode> {
    if let Some(p) = &one.trace {
        write_file(p, &r.trace)?;
    }
    if let Some(p) = &one.chrome {
        write_file(p, &timeline::chrome(&r.trace, &thread_names(r)))?;
    }
    Ok(())
}

fn options(seed: u64, one: &OneRun) -> RunOptions {
    let mut o = RunOptions::new(seed, one.profile);
    o.choices = one.choices.clone().map(|c| c.0);
    o.swarm = one.swarm;
    o.steps_max = one.steps_max;
    o.timeout = std::time::Duration::from_secs(one.timeout_secs);
    o
}

fn check_choices(target: &Target, one: &OneRun) -> Result<(), ExitCode> {
    if one.choices.is_some() && matches!(target, Target::Program { .. }) {
        eprintln!("wsasim: --choices replays a scenario's built-in programs, not an external program (it gets only the seed)");
        return Err(ExitCode::from(EXIT_USAGE));
    }
    Ok(())
}

fn cmd_demo(a: &DemoArgs) -> ExitCode {
    match demo::run(a.seed, a.profile) {
        Ok(out) => {
            out!("{}", out.report);
            if let Some(path) = &a.trace {
                if let Err(c) = write_file(path, &out.trace_jsonl) {
                    return c;
                }
            }
            if let Some(path) = &a.chrome {
                let text = timeline::chrome(&out.trace_jsonl, &BTreeMap::new());
                if let Err(c) = write_file(path, &text) {
                    return c;
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("wsasim: {e}");
            ExitCode::FAILURE
        }
    }
}

fn cmd_run(a: &RunArgs) -> Result<ExitCode, ExitCode> {
    let target = Target::from_scenario(load(&a.scenario)?, &a.scenario);
    check_choices(&target, &a.one)?;
    let r = run_one(&target, &options(a.seed, &a.one));
    report(&target, &r, &a.one);
    outputs(&r, &a.one)?;
    if !r.passed() {
        let choices = a
            .one
            .choices
            .as_ref()
            .map(|_| format!(" --choices {}", r.replay_string()))
            .unwrap_or_default();
        outln!(
            "replay: wsasim replay {} --profile {}{}{} {}",
            r.seed,
            r.profile.name(),
            if a.one.swarm { " --swarm" } else { "" },
            choices,
            a.scenario.display()
        );
    }
    Ok(if r.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn cmd_replay(a: &ReplayArgs) -> Result<ExitCode, ExitCode> {
    let target = target_of(&a.scenario, &a.program)?;
    check_choices(&target, &a.one)?;
    let r = run_one(&target, &options(a.seed, &a.one));
    report(&target, &r, &a.one);
    outputs(&r, &a.one)?;
    // An external program exits as it did; a scenario 0 when it passed, 1 otherwise.
    Ok(match (&target, r.exit_code) {
        (Target::Program { .. }, Some(c)) => ExitCode::from(c.clamp(0, 255) as u8),
        _ if r.passed() => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    })
}

fn cmd_explore(a: &ExploreArgs) -> Result<ExitCode, ExitCode> {
    let target = target_of(&a.scenario, &a.program)?;
    let mut base = RunOptions::new(0, a.profile);
    base.swarm = a.swarm;
    base.steps_max = a.steps_max;
    base.timeout = std::time::Duration::from_secs(a.timeout_secs);
    let jobs = a.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let x = Explore {
        target,
        base,
        seeds: a.seeds,
        jobs,
        shard: a.shard,
        results: a.results.clone(),
        quiet: a.quiet,
        print_failures: true,
    };
    let started = wsasim_cli::wall::Stopwatch::start();
    let summary = explore::explore(&x).map_err(|e| {
        eprintln!("wsasim: cannot write the results: {e}");
        ExitCode::FAILURE
    })?;
    let failed = summary.failures().count();
    let shard = a
        .shard
        .map(|s| format!(" (shard {}/{})", s.k, s.n))
        .unwrap_or_default();
    let secs = started.elapsed().as_secs_f64();
    outln!(
        "explored {} seeds{shard} in the {} profile: {} failed ({:.1} seeds/s)",
        summary.results.len(),
        a.profile.name(),
        failed,
        summary.results.len() as f64 / secs.max(1e-9)
    );
    out!("{}", summary.coverage_text(a.profile));
    if let Some(first) = summary.failures().next() {
        let what = match (&a.scenario, a.program.is_empty()) {
            (Some(p), _) => p.display().to_string(),
            (None, _) => format!("-- {}", a.program.join(" ")),
        };
        outln!(
            "replay the first: wsasim replay {} --profile {}{} {what}",
            first.seed,
            a.profile.name(),
            if a.swarm { " --swarm" } else { "" }
        );
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn cmd_shrink(a: &ShrinkArgs) -> Result<ExitCode, ExitCode> {
    let sc = Arc::new(load(&a.scenario)?);
    if sc.external().is_some() {
        eprintln!("wsasim: shrink works on a scenario's built-in programs; an external program gets only its seed");
        return Err(ExitCode::from(EXIT_USAGE));
    }
    let mut opts = RunOptions::new(a.seed, a.profile);
    opts.choices = a.choices.clone().map(|c| c.0);
    opts.swarm = a.swarm;
    opts.steps_max = a.steps_max;
    let s = match shrink::shrink(&sc, &opts, a.max_runs) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("wsasim: {e}");
            return Ok(ExitCode::from(EXIT_USAGE));
        }
    };
    outln!(
        "seed {} fails ({}): {}",
        a.seed,
        s.original.verdict.name(),
        s.original.reason.lines().next().unwrap_or("")
    );
    outln!(
        "shrunk in {} runs: {} non-zero choices of {} (was {} of {})",
        s.runs,
        s.nonzero(),
        s.choices.len(),
        s.original_nonzero(),
        s.original.choices.len()
    );
    outln!(
        "still fails ({}): {}",
        s.run.verdict.name(),
        s.run.reason.lines().next().unwrap_or("")
    );
    let kept: Vec<String> = sc
        .faults()
        .iter()
        .enumerate()
        .filter(|(i, _)| s.faults[*i])
        .map(|(i, f)| format!("#{} {} (line {})", i + 1, f.kind.name(), f.line))
        .collect();
    if !sc.faults().is_empty() {
        outln!(
            "faults needed: {}",
            if kept.is_empty() {
                "none".to_string()
            } else {
                kept.join(", ")
            }
        );
    }
    let removed = s.faults.iter().any(|on| !on);
    let scenario_arg = match (&a.out, removed) {
        (Some(out), _) => {
            write_file(out, &sc.text_with_faults(|i| s.faults[i]))?;
            outln!(
                "wrote the scenario with only those faults to {}",
                out.display()
            );
            out.display().to_string()
        }
        (None, true) => {
            outln!("\nthe scenario with only those faults (--out FILE writes it):\n");
            out!("{}", sc.text_with_faults(|i| s.faults[i]));
            "SHRUNK.toml".to_string()
        }
        (None, false) => a.scenario.display().to_string(),
    };
    outln!(
        "replay: wsasim replay {} --profile {}{} --choices {} {scenario_arg}",
        a.seed,
        a.profile.name(),
        if a.swarm { " --swarm" } else { "" },
        if s.choices.is_empty() {
            "\"\"".to_string()
        } else {
            s.replay_string()
        },
    );
    Ok(ExitCode::SUCCESS)
}

fn cmd_results(files: &[PathBuf]) -> Result<ExitCode, ExitCode> {
    let mut texts = Vec::new();
    for f in files {
        texts.push(std::fs::read_to_string(f).map_err(|e| {
            eprintln!("wsasim: cannot read {}: {e}", f.display());
            ExitCode::from(EXIT_USAGE)
        })?);
    }
    let summary = explore::merge(&texts).map_err(|e| {
        eprintln!("wsasim: {e}");
        ExitCode::from(EXIT_USAGE)
    })?;
    for r in summary.failures() {
        outln!("seed {}: {}", r.seed, r.reason);
    }
    let failed = summary.failures().count();
    let profile = summary
        .results
        .first()
        .map_or(Profile::Windows, |r| r.profile);
    outln!("{} seeds: {} failed", summary.results.len(), failed);
    out!("{}", summary.coverage_text(profile));
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let r = match &cli.command {
        None => Ok(cmd_demo(&cli.demo)),
        Some(Command::Demo(a)) => Ok(cmd_demo(a)),
        Some(Command::Run(a)) => cmd_run(a),
        Some(Command::Explore(a)) => cmd_explore(a),
        Some(Command::Replay(a)) => cmd_replay(a),
        Some(Command::Shrink(a)) => cmd_shrink(a),
        Some(Command::Explain { code }) => match explain::explain(code) {
            Some(text) => {
                out!("{text}");
                Ok(ExitCode::SUCCESS)
            }
            None => {
                eprintln!("wsasim: {code:?} is not a Winsock error code wsasim knows (a number such as 10054 or a name such as WSAECONNRESET)");
                Ok(ExitCode::from(EXIT_USAGE))
            }
        },
        Some(Command::Results { files }) => cmd_results(files),
    };
    r.unwrap_or_else(|code| code)
}
