//! `wsasim explore`: many seeds, in parallel, in seed order on output.
//!
//! Sharding: seed *i* of the range belongs to shard *K* of *N* when `i mod N == K - 1`
//! (the seed's own value, not its position in the range), so any batch system can split
//! a sweep and the shards' JSON Lines results concatenate into the sweep's results.

use crate::exec::{exercised, run_one, RunOptions, RunResult, Target, Verdict, FREEDOMS};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;
use std::io::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use wsasim_core::Profile;

/// A range of seeds: `N` is `0..N`; `A..B` excludes B; `A..=B` includes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seeds {
    /// First seed.
    pub start: u64,
    /// One past the last seed.
    pub end: u64,
}

impl std::str::FromStr for Seeds {
    type Err = String;
    fn from_str(s: &str) -> Result<Seeds, String> {
        let bad = || format!("expected --seeds N | A..B | A..=B, found {s:?}");
        let num = |t: &str| t.trim().parse::<u64>().map_err(|_| bad());
        if let Some((a, b)) = s.split_once("..=") {
            let (a, b) = (num(a)?, num(b)?);
            if b < a || b == u64::MAX {
                return Err(bad());
            }
            return Ok(Seeds {
                start: a,
                end: b + 1,
            });
        }
        if let Some((a, b)) = s.split_once("..") {
            let (a, b) = (num(a)?, num(b)?);
            if b < a {
                return Err(bad());
            }
            return Ok(Seeds { start: a, end: b });
        }
        Ok(Seeds {
            start: 0,
            end: num(s)?,
        })
    }
}

/// `--shard K/N`: `1 ≤ K ≤ N`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// K (1-based).
    pub k: u64,
    /// N.
    pub n: u64,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("expected --shard K/N with 1 ≤ K ≤ N, found {s:?}");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (k, n): (u64, u64) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if n == 0 || k == 0 || k > n {
            return Err(bad());
        }
        Ok(Shard { k, n })
    }
}

impl Shard {
    /// Whether `seed` is this shard's: `seed mod N == K - 1`.
    pub fn owns(&self, seed: u64) -> bool {
        seed % self.n == self.k - 1
    }
}

/// How to explore.
#[derive(Debug)]
pub struct Explore {
    /// What to run.
    pub target: Target,
    /// The run options (the seed is replaced for each run).
    pub base: RunOptions,
    /// The seeds.
    pub seeds: Seeds,
    /// Parallel runs.
    pub jobs: usize,
    /// This process's share.
    pub shard: Option<Shard>,
    /// Where the JSON Lines results go.
    pub results: Option<std::path::PathBuf>,
    /// No progress bar.
    pub quiet: bool,
    /// Print `seed N: <reason>` for each failing seed (the command does; tests need not).
    pub print_failures: bool,
}

/// What one seed gave, as the results file holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedResult {
    /// The seed.
    pub seed: u64,
    /// The profile.
    pub profile: Profile,
    /// How it ended.
    pub verdict: Verdict,
    /// Why it failed.
    pub reason: String,
    /// Its trace hash.
    pub trace_hash: u64,
    /// How many choices it made.
    pub choices: usize,
    /// The kinds of choice it made with a non-default pick.
    pub freedoms: Vec<String>,
}

impl SeedResult {
    fn of(r: &RunResult) -> SeedResult {
        SeedResult {
            seed: r.seed,
            profile: r.profile,
            verdict: r.verdict,
            reason: r.reason.lines().next().unwrap_or("").to_string(),
            trace_hash: r.trace_hash,
            choices: r.choices.len(),
            freedoms: exercised(&r.choices),
        }
    }

    /// Its line of the results file (`docs/cli.md`, "Results").
    pub fn to_json(&self, target: &str) -> String {
        json!({
            "seed": self.seed,
            "profile": self.profile.name(),
            "target": target,
            "outcome": self.verdict.name(),
            "reason": self.reason,
            "trace_hash": format!("{:016x}", self.trace_hash),
            "choices": self.choices,
            "freedoms": self.freedoms,
        })
        .to_string()
    }
}

/// What a sweep found.
#[derive(Debug)]
pub struct Summary {
    /// One per seed explored, in seed order.
    pub results: Vec<SeedResult>,
}

impl Summary {
    /// The failing seeds' results.
    pub fn failures(&self) -> impl Iterator<Item = &SeedResult> {
        self.results.iter().filter(|r| r.verdict != Verdict::Pass)
    }

    /// Per documented freedom (trace name): how many runs took it with a non-default
    /// pick.
    pub fn coverage(&self) -> Vec<(&'static str, usize)> {
        FREEDOMS
            .iter()
            .map(|k| {
                let name = k.name();
                let n = self
                    .results
                    .iter()
                    .filter(|r| r.freedoms.iter().any(|f| f == name))
                    .count();
                (name, n)
            })
            .collect()
    }

    /// The coverage summary printed at the end of a sweep.
    pub fn coverage_text(&self, profile: Profile) -> String {
        let mut out = format!(
            "coverage of the documented freedoms over {} runs (runs that took a non-default pick):\n",
            self.results.len()
        );
        let cov = self.coverage();
        for (name, n) in &cov {
            out.push_str(&format!("  {name:<22}{n:>8}\n"));
        }
        let never: Vec<&str> = cov
            .iter()
            .filter(|(_, n)| *n == 0)
            .map(|(k, _)| *k)
            .collect();
        if never.is_empty() {
            out.push_str("every documented freedom was reached\n");
        } else {
            out.push_str(&format!("never reached: {}\n", never.join(", ")));
            if profile == Profile::Windows {
                out.push_str(
                    "(the windows profile makes no documented choice: explore with --profile documented)\n",
                );
            }
        }
        out
    }
}

/// Runs the sweep: prints `seed N: <reason>` for each failing seed, in seed order, and
/// writes the results file. Returns the summary.
pub fn explore(x: &Explore) -> std::io::Result<Summary> {
    let seeds: Vec<u64> = (x.seeds.start..x.seeds.end)
        .filter(|s| x.shard.is_none_or(|sh| sh.owns(*s)))
        .collect();
    let bar = ProgressBar::new(seeds.len() as u64);
    if x.quiet {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    } else {
        // Drawn on stderr only when it is a terminal (indicatif's own check).
        bar.set_draw_target(ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} seeds, {msg}",
            )
            .expect("a valid template"),
        );
        bar.set_message("0 failed");
    }
    let mut file = match &x.results {
        Some(p) => Some(std::io::BufWriter::new(std::fs::File::create(p)?)),
        None => None,
    };
    let target_name = x.target.describe();
    let slots: Arc<Mutex<Vec<Option<SeedResult>>>> = Arc::new(Mutex::new(vec![None; seeds.len()]));
    let next = AtomicUsize::new(0);
    let printed = Mutex::new(0usize);
    let failed = AtomicUsize::new(0);
    let io_error: Mutex<Option<std::io::Error>> = Mutex::new(None);
    let file = Mutex::new(file.take());
    let jobs = x.jobs.max(1).min(seeds.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= seeds.len() {
                    return;
                }
                let mut opts = x.base.clone();
                opts.seed = seeds[i];
                let r = SeedResult::of(&run_one(&x.target, &opts));
                if r.verdict != Verdict::Pass {
                    let n = failed.fetch_add(1, Ordering::Relaxed) + 1;
                    bar.set_message(format!("{n} failed"));
                }
                slots.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r);
                bar.inc(1);
                // Print (and write) the finished prefix, in seed order.
                let mut p = printed.lock().unwrap_or_else(|e| e.into_inner());
                let s = slots.lock().unwrap_or_else(|e| e.into_inner());
                while *p < s.len() {
                    let Some(r) = &s[*p] else { break };
                    if r.verdict != Verdict::Pass && x.print_failures {
                        // A closed stdout (`| head`) is not an error of the sweep.
                        bar.suspend(|| {
                            let _ = writeln!(std::io::stdout(), "seed {}: {}", r.seed, r.reason);
                        });
                    }
                    if let Some(f) = file.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
                        if let Err(e) = writeln!(f, "{}", r.to_json(&target_name)) {
                            *io_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(e);
                        }
                    }
                    *p += 1;
                }
            });
        }
    });
    bar.finish_and_clear();
    if let Some(f) = file.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
        f.flush()?;
    }
    if let Some(e) = io_error.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(e);
    }
    let results = Arc::try_unwrap(slots)
        .expect("the workers are done")
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|r| r.expect("every seed ran"))
        .collect();
    Ok(Summary { results })
}

/// Reads results files (of shards, concatenated or not) into one summary, in seed
/// order; a seed seen twice keeps its first line.
pub fn merge(texts: &[String]) -> Result<Summary, String> {
    let mut by_seed: std::collections::BTreeMap<u64, SeedResult> = Default::default();
    for (n, text) in texts.iter().enumerate() {
        for (ln, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let v: serde_json::Value = serde_json::from_str(line)
                .map_err(|e| format!("results file {}: line {}: {e}", n + 1, ln + 1))?;
            let get = |k: &str| v.get(k).ok_or(format!("line {}: no {k:?}", ln + 1));
            let seed = get("seed")?.as_u64().ok_or("seed is not a number")?;
            let profile = Profile::from_name(get("profile")?.as_str().unwrap_or(""))
                .ok_or("unknown profile")?;
            let outcome = get("outcome")?.as_str().unwrap_or("");
            let verdict = [
                Verdict::Pass,
                Verdict::Fail,
                Verdict::Deadlock,
                Verdict::Livelock,
                Verdict::Panic,
                Verdict::Exit,
                Verdict::Error,
            ]
            .into_iter()
            .find(|v| v.name() == outcome)
            .ok_or(format!("line {}: unknown outcome {outcome:?}", ln + 1))?;
            let hash = u64::from_str_radix(get("trace_hash")?.as_str().unwrap_or(""), 16)
                .map_err(|_| format!("line {}: trace_hash is not hex", ln + 1))?;
            by_seed.entry(seed).or_insert(SeedResult {
                seed,
                profile,
                verdict,
                reason: get("reason")?.as_str().unwrap_or("").to_string(),
                trace_hash: hash,
                choices: v.get("choices").and_then(|c| c.as_u64()).unwrap_or(0) as usize,
                freedoms: v
                    .get("freedoms")
                    .and_then(|f| f.as_array())
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default(),
            });
        }
    }
    Ok(Summary {
        results: by_seed.into_values().collect(),
    })
}
