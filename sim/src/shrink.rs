//! `wsasim shrink`: a failing run made smaller, still failing the same way.
//!
//! A run is a function of its seed and the choices forced into it (`--choices`; a pick
//! past the list is 0, and 0 is always the default: no pend, no partial send, FIFO
//! routines, the first runnable thread, no fault). Shrinking first turns faults off,
//! then zeroes picks (delta debugging over the non-zero ones), then lowers the picks
//! left to 1. A candidate is kept only when its run fails with the same signature
//! ([`crate::exec::RunResult::signature`]).

use crate::exec::{run_one, RunOptions, RunResult, Target};
use std::sync::Arc;
use wsasim_scenario::Scenario;

/// What shrinking found.
#[derive(Debug)]
pub struct Shrunk {
    /// The original run.
    pub original: RunResult,
    /// The smallest failing run found.
    pub run: RunResult,
    /// The forced picks of that run (trailing zeros dropped).
    pub choices: Vec<u64>,
    /// Which faults are still on.
    pub faults: Vec<bool>,
    /// Runs made.
    pub runs: usize,
}

impl Shrunk {
    /// Non-zero picks of the original run's choices.
    pub fn original_nonzero(&self) -> usize {
        self.original.choices.iter().filter(|c| c.2 != 0).count()
    }

    /// Non-zero picks left.
    pub fn nonzero(&self) -> usize {
        self.choices.iter().filter(|&&c| c != 0).count()
    }

    /// The replay string (`--choices`).
    pub fn replay_string(&self) -> String {
        self.choices
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }
}

fn trimmed(mut v: Vec<u64>) -> Vec<u64> {
    while v.last() == Some(&0) {
        v.pop();
    }
    v
}

struct Search<'a> {
    sc: &'a Arc<Scenario>,
    base: RunOptions,
    signature: String,
    runs: usize,
    max_runs: usize,
}

impl Search<'_> {
    /// Runs with `picks` and `faults`; the result if it fails the same way.
    fn try_run(&mut self, picks: &[u64], faults: &[bool]) -> Option<RunResult> {
        if self.runs >= self.max_runs {
            return None;
        }
        self.runs += 1;
        let mut opts = self.base.clone();
        opts.choices = Some(picks.to_vec());
        opts.faults = Some(faults.to_vec());
        let r = run_one(&Target::Scenario(Arc::clone(self.sc)), &opts);
        (!r.passed() && r.signature() == self.signature).then_some(r)
    }
}

/// Shrinks the failing run `opts` of scenario `sc`. `Err` when it passes.
pub fn shrink(sc: &Arc<Scenario>, opts: &RunOptions, max_runs: usize) -> Result<Shrunk, String> {
    let target = Target::Scenario(Arc::clone(sc));
    let original = run_one(&target, opts);
    if original.passed() {
        return Err(format!(
            "seed {} passes in the {} profile: nothing to shrink",
            opts.seed,
            opts.profile.name()
        ));
    }
    let mut s = Search {
        sc,
        base: opts.clone(),
        signature: original.signature(),
        runs: 1,
        max_runs,
    };
    let mut picks: Vec<u64> = match &opts.choices {
        Some(p) => p.clone(),
        None => original.choices.iter().map(|c| c.2).collect(),
    };
    let mut faults: Vec<bool> = opts
        .faults
        .clone()
        .unwrap_or_else(|| vec![true; sc.faults().len()]);
    // The baseline under forced picks (it replays the original exactly).
    let mut best = match s.try_run(&picks, &faults) {
        Some(r) => r,
        None => {
            return Err(
                "the run does not replay from its recorded choices (a nondeterminism bug)".into(),
            )
        }
    };

    // 1. Faults, one at a time.
    for i in 0..faults.len() {
        if !faults[i] {
            continue;
        }
        let mut f = faults.clone();
        f[i] = false;
        if let Some(r) = s.try_run(&picks, &f) {
            faults = f;
            best = r;
        }
    }

    // 2. Delta debugging over the non-zero picks: zero a chunk, keep it zeroed if the
    // run still fails the same way.
    let mut n = 2usize;
    loop {
        let nonzero: Vec<usize> = (0..picks.len()).filter(|&i| picks[i] != 0).collect();
        if nonzero.is_empty() || s.runs >= s.max_runs {
            break;
        }
        let n_eff = n.min(nonzero.len());
        let chunk = nonzero.len().div_ceil(n_eff);
        let mut progressed = false;
        for c in nonzero.chunks(chunk) {
            let mut cand = picks.clone();
            for &i in c {
                cand[i] = 0;
            }
            if let Some(r) = s.try_run(&cand, &faults) {
                picks = cand;
                best = r;
                progressed = true;
                n = (n_eff - 1).max(2);
                break;
            }
        }
        if !progressed {
            if n_eff >= nonzero.len() {
                break;
            }
            n = (n_eff * 2).min(nonzero.len());
        }
    }

    // 3. Picks above 1 lowered to 1 where that still fails.
    for i in 0..picks.len() {
        if picks[i] > 1 {
            let mut cand = picks.clone();
            cand[i] = 1;
            if let Some(r) = s.try_run(&cand, &faults) {
                picks = cand;
                best = r;
            }
        }
    }
    Ok(Shrunk {
        original,
        run: best,
        choices: trimmed(picks),
        faults,
        runs: s.runs,
    })
}
