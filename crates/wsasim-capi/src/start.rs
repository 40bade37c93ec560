//! How a C program's run starts and ends.
//!
//! There is no `main` of ours in a C program: the first Winsock call starts the run
//! ([`ensure_started`]). It reads the environment (`WSASIM_SEED`, `WSASIM_PROFILE`,
//! `WSASIM_TRACE`, `WSASIM_SCENARIO`; DESIGN.md, "Contracts"), builds a world over the
//! process's memory, installs the scenario, makes the calling OS thread the run's main
//! thread (`wsasim_runtime::adopt`) and starts the scenario's peers and faults
//! (`Scenario::start_faults`). From then on every call is a scheduling point of the
//! seeded runtime.
//!
//! The run ends in one of two ways:
//! - the program exits (returns from `main` or calls `exit`): an `atexit` handler writes
//!   the trace, so it is complete on disk when the process is gone;
//! - the runtime finds a deadlock or a livelock (or a simulated thread panicked): the
//!   report goes to stderr, each line prefixed with `wsasim: `, the trace is written and
//!   the process exits with [`EXIT_ABNORMAL`]. A simulated program never hangs.

use crate::memory::ProcessMemory;
use std::cell::Cell;
use std::ffi::c_void;
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Once, OnceLock};
use wsasim_core::apc::{Apc, ApcKind};
use wsasim_core::memory::UserMemory;
use wsasim_core::net::Network;
use wsasim_core::{Config, Profile, World, WsaError};
use wsasim_runtime::{AbnormalEnd, ApcDispatcher, NotASimulatedThread, Outcome};

/// Exit code of a run whose configuration is wrong (a bad variable, a scenario error).
pub const EXIT_CONFIG: i32 = 2;
/// Exit code of a run that ended in a deadlock, a livelock or a panic.
pub const EXIT_ABNORMAL: i32 = 3;

/// What the environment asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `WSASIM_SEED` (default 0).
    pub seed: u64,
    /// `WSASIM_PROFILE` (default `windows`).
    pub profile: Profile,
    /// `WSASIM_TRACE`: where the JSON Lines trace goes.
    pub trace: Option<PathBuf>,
    /// `WSASIM_SCENARIO`: the world description to load.
    pub scenario: Option<PathBuf>,
    /// `WSASIM_STEPS_MAX`: the scheduling steps after which a run counts as a livelock.
    pub steps_max: u64,
    /// `WSASIM_PROVIDER`: a C service provider to load (`path.so[:layered]`,
    /// [`crate::spi`]).
    pub provider: Option<String>,
}

impl Settings {
    /// Reads the settings through `var` (the environment, or a test's table). An empty
    /// variable counts as unset.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Settings, String> {
        let var = |name: &str| var(name).filter(|v| !v.is_empty());
        let seed = match var("WSASIM_SEED") {
            None => 0,
            Some(v) => parse_u64(&v)
                .ok_or_else(|| format!("WSASIM_SEED={v:?} is not a number (0 to 2^64-1)"))?,
        };
        let profile = match var("WSASIM_PROFILE") {
            None => Profile::Windows,
            Some(v) => Profile::from_name(&v).ok_or_else(|| {
                format!("WSASIM_PROFILE={v:?} is not a profile (windows or documented)")
            })?,
        };
        let steps_max = match var("WSASIM_STEPS_MAX") {
            None => wsasim_runtime::STEPS_MAX_DEFAULT,
            Some(v) => parse_u64(&v)
                .filter(|&n| n > 0)
                .ok_or_else(|| format!("WSASIM_STEPS_MAX={v:?} is not a positive number"))?,
        };
        Ok(Settings {
            seed,
            profile,
            trace: var("WSASIM_TRACE").map(PathBuf::from),
            scenario: var("WSASIM_SCENARIO").map(PathBuf::from),
            steps_max,
            provider: var("WSASIM_PROVIDER"),
        })
    }
}

/// A decimal or `0x` hexadecimal u64.
fn parse_u64(s: &str) -> Option<u64> {
    let s = s.trim();
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

static INIT: Once = Once::new();
/// The settings of the run, once started.
static SETTINGS: OnceLock<Settings> = OnceLock::new();
/// The scenario's faults, once the run started with a scenario.
static FAULTS: OnceLock<wsasim_scenario::Faults> = OnceLock::new();
/// Set when the process is ending (an abnormal end, or `exit`): from then on every call
/// fails at once without touching the runtime, whose lock the ending thread may hold.
pub(crate) static ENDING: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// The last error of an OS thread the runtime did not create (its calls are refused).
    static FOREIGN_ERROR: Cell<u32> = const { Cell::new(0) };
    /// Whether that thread was told so on stderr.
    static WARNED: Cell<bool> = const { Cell::new(false) };
}

/// Starts the run on the first call (from any function but the pure ones).
pub(crate) fn ensure_started() {
    INIT.call_once(|| {
        if panic::catch_unwind(start).is_err() {
            eprintln!("wsasim: the simulated world could not be set up");
            std::process::exit(EXIT_CONFIG);
        }
    });
}

fn start() {
    let settings = match Settings::from_vars(|name| std::env::var(name).ok()) {
        Ok(s) => s,
        Err(msg) => {
            eprintln!("wsasim: {msg}");
            std::process::exit(EXIT_CONFIG);
        }
    };
    let scenario = settings.scenario.as_ref().map(|path| {
        wsasim_scenario::load(path).unwrap_or_else(|e| {
            // FILE:LINE:COLUMN: message, as compilers print it.
            eprintln!("{e}");
            std::process::exit(EXIT_CONFIG);
        })
    });
    let mut config = Config::new(settings.seed, settings.profile);
    config.keep_trace = settings.trace.is_some();
    let mut world = World::with_memory(config, Box::new(ProcessMemory), Network::new());
    if let Some(sc) = &scenario {
        sc.install(&mut world);
    }
    if let Some(spec) = &settings.provider {
        if let Err(msg) = crate::spi::load_provider(&mut world, spec) {
            eprintln!("wsasim: {msg}");
            std::process::exit(EXIT_CONFIG);
        }
    }
    let steps_max = settings.steps_max;
    SETTINGS.set(settings).expect("the run starts once (INIT)");
    let hook: AbnormalEnd = Box::new(abnormal_end);
    if wsasim_runtime::adopt(world, Some(Arc::new(CDispatcher)), steps_max, hook).is_err() {
        eprintln!("wsasim: this process already runs a simulated world");
        std::process::exit(EXIT_CONFIG);
    }
    // SAFETY: `at_exit` is a plain `extern "C" fn()` that captures nothing and stays
    // valid for the life of the process (the library is never unloaded while it runs).
    if unsafe { libc::atexit(at_exit) } != 0 {
        eprintln!("wsasim: cannot register the exit handler; the trace may be incomplete");
    }
    if let Some(sc) = &scenario {
        sc.start_peers();
        // The scenario's [[fault]] tables, as for built-in programs (docs/c-abi.md).
        let _ = FAULTS.set(sc.start_faults());
    }
}

/// Writes the trace, if `WSASIM_TRACE` asked for one.
fn write_trace(world: &World) {
    let Some(path) = SETTINGS.get().and_then(|s| s.trace.as_ref()) else {
        return;
    };
    if let Err(e) = std::fs::write(path, world.trace().to_jsonl()) {
        eprintln!("wsasim: cannot write the trace to {}: {e}", path.display());
    }
}

/// The `atexit` handler: the program is exiting; the trace is written now, so it is
/// complete on disk when the process is gone. Calls made after this (from the program's
/// own `atexit` handlers) fail.
extern "C" fn at_exit() {
    if ENDING.swap(true, Ordering::SeqCst) {
        return;
    }
    wsasim_runtime::with_adopted_world(|w| write_trace(w));
}

/// The runtime's hook for a run that ends in a deadlock, a livelock or a panic (called
/// with the runtime's lock held): report, write the trace, exit.
fn abnormal_end(world: &World, outcome: &Outcome) {
    let report = match outcome {
        Outcome::Deadlock(r) | Outcome::Livelock(r) => r.clone(),
        Outcome::Panicked(msg) => format!("a simulated thread panicked: {msg}"),
        Outcome::Exited(_) => return,
    };
    ENDING.store(true, Ordering::SeqCst);
    for line in report.lines() {
        eprintln!("wsasim: {line}");
    }
    if let Some(s) = SETTINGS.get() {
        eprintln!(
            "wsasim: seed {}, profile {}: replay with WSASIM_SEED={} WSASIM_PROFILE={}",
            s.seed,
            s.profile.name(),
            s.seed,
            s.profile.name()
        );
    }
    write_trace(world);
    // `exit`, not `_exit`: the program's buffered output (printf) is flushed; our
    // `atexit` handler sees ENDING and returns.
    std::process::exit(EXIT_ABNORMAL);
}

/// A bug in the library: report it, write the trace, exit. Unwinding into C is not
/// possible, and the program cannot go on without the call it made.
fn internal_error(api: &str, msg: &str) -> ! {
    ENDING.store(true, Ordering::SeqCst);
    eprintln!("wsasim: internal error in {api}: {msg}");
    wsasim_runtime::with_adopted_world(|w| write_trace(w));
    std::process::exit(EXIT_ABNORMAL);
}

/// Runs `f`, turning a panic into [`internal_error`]. A panic without a message is the
/// runtime unwinding a thread whose run is over (the process is exiting): the thread
/// then waits for the exit instead of returning into the program.
fn caught<R>(api: &str, f: impl FnOnce() -> R) -> R {
    match panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()));
            match msg {
                Some(m) => internal_error(api, &m),
                None => loop {
                    std::thread::park();
                },
            }
        }
    }
}

/// Runs the Winsock or kernel32 call `api` as `f` on the calling simulated thread.
/// From an OS thread the runtime did not create, the call fails with `refused` (its last
/// error is `WSASYSNOTREADY`) and one line on stderr says why; nothing unwinds into C.
pub(crate) fn call<R>(api: &'static str, refused: R, f: impl FnOnce() -> R) -> R {
    if ENDING.load(Ordering::SeqCst) {
        return refused;
    }
    ensure_started();
    if !wsasim_runtime::on_simulated_thread() {
        refuse(api);
        return refused;
    }
    caught(api, || {
        // Before a send or receive call, a probabilistic fault may fire.
        if let Some(faults) = FAULTS.get() {
            faults.before_call(api);
        }
        f()
    })
}

/// Like [`call`], for the functions that work on any thread (the last error, address
/// text conversion): on a thread the runtime did not create, `foreign` runs instead.
pub(crate) fn call_any<R>(
    api: &'static str,
    f: impl FnOnce() -> R,
    foreign: impl FnOnce() -> R,
) -> R {
    if !ENDING.load(Ordering::SeqCst) {
        ensure_started();
    }
    if ENDING.load(Ordering::SeqCst) || !wsasim_runtime::on_simulated_thread() {
        return foreign();
    }
    caught(api, f)
}

fn refuse(api: &str) {
    FOREIGN_ERROR.with(|e| e.set(WsaError::WSASYSNOTREADY.0));
    if !WARNED.with(|w| w.replace(true)) {
        eprintln!(
            "{NotASimulatedThread} ({api} and later calls from this thread fail with WSASYSNOTREADY)"
        );
    }
}

/// The last error of a thread the runtime did not create.
pub(crate) fn foreign_error() -> u32 {
    FOREIGN_ERROR.with(Cell::get)
}

/// Sets the last error of a thread the runtime did not create.
pub(crate) fn set_foreign_error(code: u32) {
    FOREIGN_ERROR.with(|e| e.set(code));
}

/// Sets the calling thread's last error, simulated or not.
pub(crate) fn set_last_error(code: u32) {
    if wsasim_runtime::on_simulated_thread() && !ENDING.load(Ordering::SeqCst) {
        wsasim_runtime::api::SetLastError(code);
    } else {
        set_foreign_error(code);
    }
}

/// `void CALLBACK CompletionRoutine(DWORD dwError, DWORD cbTransferred, LPWSAOVERLAPPED
/// lpOverlapped, DWORD dwFlags)`.
pub(crate) type CompletionRoutine = unsafe extern "C" fn(u32, u32, *mut c_void, u32);
/// `VOID NTAPI ApcProc(ULONG_PTR dwParam)` (`QueueUserAPC`, and `WPUQueueApc`'s
/// `void CALLBACK (DWORD_PTR)`).
pub(crate) type ApcProc = unsafe extern "C" fn(usize);

/// Runs the program's completion routines and APC functions: C function pointers,
/// called on the simulated thread the APC was queued to, in its alertable wait.
#[derive(Debug)]
struct CDispatcher;

impl ApcDispatcher for CDispatcher {
    fn dispatch(&self, apc: &Apc) -> bool {
        match apc.kind {
            ApcKind::CompletionRoutine {
                routine,
                error,
                bytes,
                overlapped,
                flags,
                ..
            } => {
                if ProcessMemory.check_code(routine).is_err() {
                    return false;
                }
                // SAFETY: `routine` is the lpCompletionRoutine the program passed to
                // WSASend/WSARecv, non-null and mapped (probed just above, and when the
                // operation started); its documented prototype is
                // `void CALLBACK (DWORD, DWORD, LPWSAOVERLAPPED, DWORD)`, and CALLBACK is
                // the host's C calling convention (include/minwindef.h).
                let f =
                    unsafe { std::mem::transmute::<usize, CompletionRoutine>(routine.0 as usize) };
                // SAFETY: calls the program's routine with the arguments Windows passes,
                // on the thread that issued the operation, outside the runtime's lock.
                unsafe { f(error, bytes, overlapped.0 as usize as *mut c_void, flags) };
                true
            }
            ApcKind::User { func, param }
            | ApcKind::Provider {
                func,
                context: param,
                ..
            } => {
                if ProcessMemory.check_code(func).is_err() {
                    return false;
                }
                // SAFETY: `func` is the pfnAPC the program passed to QueueUserAPC (or a
                // C provider's WPUQueueApc function), non-null and mapped (probed just
                // above); its prototype is `VOID NTAPI (ULONG_PTR)` (`void CALLBACK
                // (DWORD_PTR)` for WPUQueueApc) with the host's C calling convention.
                let f = unsafe { std::mem::transmute::<usize, ApcProc>(func.0 as usize) };
                let provider = matches!(apc.kind, ApcKind::Provider { .. });
                // SAFETY: calls the program's APC function with its dwData, on the thread
                // it was queued to, outside the runtime's lock.
                let run = || unsafe { f(param as usize) };
                if provider {
                    crate::spi::in_provider_apc(run);
                } else {
                    run();
                }
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, String> {
        let table: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_vars(|name| table.get(name).cloned())
    }

    #[test]
    fn no_variables_give_seed_0_windows_no_trace_no_scenario() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.seed, 0);
        assert_eq!(s.profile, Profile::Windows);
        assert_eq!(s.trace, None);
        assert_eq!(s.scenario, None);
        assert_eq!(s.steps_max, wsasim_runtime::STEPS_MAX_DEFAULT);
    }

    #[test]
    fn every_variable_is_read() {
        let s = settings(&[
            ("WSASIM_SEED", "0x2a"),
            ("WSASIM_PROFILE", "documented"),
            ("WSASIM_TRACE", "/tmp/t.jsonl"),
            ("WSASIM_SCENARIO", "s.toml"),
            ("WSASIM_STEPS_MAX", "1000"),
        ])
        .unwrap();
        assert_eq!(s.seed, 42);
        assert_eq!(s.profile, Profile::Documented);
        assert_eq!(s.trace, Some(PathBuf::from("/tmp/t.jsonl")));
        assert_eq!(s.scenario, Some(PathBuf::from("s.toml")));
        assert_eq!(s.steps_max, 1000);
        assert_eq!(
            settings(&[("WSASIM_SEED", "18446744073709551615")])
                .unwrap()
                .seed,
            u64::MAX
        );
    }

    #[test]
    fn bad_values_are_errors_naming_the_variable() {
        assert!(settings(&[("WSASIM_SEED", "x")])
            .unwrap_err()
            .contains("WSASIM_SEED"));
        assert!(settings(&[("WSASIM_SEED", "-1")]).is_err());
        assert!(settings(&[("WSASIM_PROFILE", "linux")])
            .unwrap_err()
            .contains("WSASIM_PROFILE"));
        assert!(settings(&[("WSASIM_STEPS_MAX", "0")]).is_err());
        assert_eq!(
            settings(&[("WSASIM_TRACE", "")]).unwrap().trace,
            None,
            "empty is unset"
        );
    }
}
