//! The runtime: user code on real OS threads, one at a time, under a baton.
//!
//! Every Winsock call is a scheduling point. The thread holding the baton makes its call
//! on the model; when the call returns, the scheduler picks the next thread to run among
//! the runnable ones (a recorded choice drawn from the seed). When a call must wait, its
//! thread passes the baton on; when no thread can run, the virtual clock jumps to the
//! next event; when nothing can ever happen again, the run ends with a deadlock report
//! naming every thread, the call it is blocked in and what it waits for. A bound on
//! scheduling steps ends a run that never finishes (a livelock) with a report too. A run
//! never hangs.
//!
//! Only the baton holder touches the model or runs user code, so a run is a function of
//! its seed: the OS decides nothing that the program can observe.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle, Thread};
use wsasim_core::apc::{Apc, ApcKind};
use wsasim_core::choice::ChoiceKind;
use wsasim_core::{Call, Config, Poll, Ptr, ThreadId, World};

/// Something that runs the APCs whose code addresses the runtime does not know itself
/// (the C ABI calls C function pointers through it).
pub trait ApcDispatcher: Send + Sync {
    /// Runs `apc` on the current (simulated) thread. Returns false if it has no function
    /// at that address.
    fn dispatch(&self, apc: &Apc) -> bool;
}

/// A completion routine of the Rust API: `(dwError, cbTransferred, lpOverlapped,
/// dwFlags)`.
pub type RoutineFn = dyn Fn(u32, u32, Ptr, u32) + Send + Sync;
/// An APC function of the Rust API (`QueueUserAPC`): `(dwParam)`.
pub type ApcFn = dyn Fn(u64) + Send + Sync;

#[derive(Clone)]
enum Callback {
    Routine(Arc<RoutineFn>),
    User(Arc<ApcFn>),
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The main thread returned (or called `ExitThread`) with this code.
    Exited(u32),
    /// Nothing could ever happen again while threads still waited.
    Deadlock(String),
    /// The step bound ran out.
    Livelock(String),
    /// User code panicked on a simulated thread.
    Panicked(String),
}

/// What a run produced.
#[derive(Debug)]
pub struct RunReport {
    /// How it ended.
    pub outcome: Outcome,
    /// The world at the end (trace, contract reports, memory).
    pub world: World,
}

impl RunReport {
    /// Whether the main thread exited with code 0.
    pub fn success(&self) -> bool {
        self.outcome == Outcome::Exited(0)
    }

    /// The trace's hash.
    pub fn trace_hash(&self) -> u64 {
        self.world.trace().hash()
    }
}

/// Most scheduling steps in one run before it counts as a livelock.
pub const STEPS_MAX_DEFAULT: u64 = 20_000_000;

pub(crate) struct State {
    pub(crate) world: World,
    current: Option<ThreadId>,
    os: BTreeMap<ThreadId, Thread>,
    joins: Vec<JoinHandle<()>>,
    callbacks: BTreeMap<u64, Callback>,
    dispatcher: Option<Arc<dyn ApcDispatcher>>,
    ended: Option<Outcome>,
    steps: u64,
    steps_max: u64,
    main: ThreadId,
}

/// Shared between the simulated threads of one run.
pub(crate) struct Shared {
    state: Mutex<State>,
    /// The OS thread that started the run waits here for its end.
    runner: Thread,
    /// Mirror of `State::current` (the thread id, 0 for none), so a thread waiting for
    /// the baton can spin briefly before parking: a hand-off then costs a cache-line
    /// transfer instead of an OS wake-up.
    baton: AtomicU32,
    /// Mirror of `State::ended.is_some()`.
    over: AtomicBool,
    /// Called (under the lock) when a run ends other than by its main thread returning,
    /// in adopted mode: prints the report and exits the process.
    on_abnormal_end: Option<AbnormalEnd>,
}

/// What an adopted run does when it ends in a deadlock, a livelock or a panic: typically
/// print the report, write the trace and exit the process with a non-zero code.
pub type AbnormalEnd = Box<dyn Fn(&World, &Outcome) + Send + Sync>;

static ADOPTED: std::sync::OnceLock<Arc<Shared>> = std::sync::OnceLock::new();

/// Why [`adopt`] refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlreadyAdopted;

/// Makes the calling OS thread the main thread of a run on `world`, for programs whose
/// `main` the runtime does not start (C programs linked to the library). There is at
/// most one adopted run per process. When that run ends in a deadlock, a livelock or a
/// panic, `on_abnormal_end` is called with the world and the outcome; it is expected
/// to exit the process (unwinding through the program's C frames is not possible).
pub fn adopt(
    world: World,
    dispatcher: Option<Arc<dyn ApcDispatcher>>,
    steps_max: u64,
    on_abnormal_end: AbnormalEnd,
) -> Result<(), AlreadyAdopted> {
    let main_id = world.main_thread();
    let shared = Shared::new(world, dispatcher, steps_max, Some(on_abnormal_end));
    ADOPTED
        .set(Arc::clone(&shared))
        .map_err(|_| AlreadyAdopted)?;
    shared.lock().os.insert(main_id, thread::current());
    CURRENT.with(|c| *c.borrow_mut() = Some((shared, main_id)));
    Ok(())
}

/// Runs `f` on the adopted run's world (for writing the trace at process exit). `None`
/// when no run was adopted.
pub fn with_adopted_world<R>(f: impl FnOnce(&mut World) -> R) -> Option<R> {
    let shared = ADOPTED.get()?;
    let mut st = shared.lock();
    Some(f(&mut st.world))
}

/// Whether the calling OS thread is a simulated thread of some run.
pub fn on_simulated_thread() -> bool {
    current().is_ok()
}

/// How many times a thread waiting for the baton polls it (spinning, then yielding the
/// core) before parking.
const SPINS_BEFORE_YIELD: u32 = 2_000;
const YIELDS_BEFORE_PARK: u32 = 50;

/// How often a scheduling point after a returning call lets another thread run.
const PREEMPT: wsasim_core::Ratio = wsasim_core::Ratio::new(1, 4);

impl State {
    fn give_baton(&mut self, shared: &Shared, to: ThreadId) {
        self.current = Some(to);
        shared.baton.store(to.0, Ordering::Release);
    }
}

/// Unwinds a simulated thread when the run ends while it is parked, or when it calls
/// `ExitThread`.
pub(crate) enum Unwind {
    /// The run is over.
    Terminated,
    /// `ExitThread(code)`.
    ExitThread(u32),
}

thread_local! {
    static CURRENT: std::cell::RefCell<Option<(Arc<Shared>, ThreadId)>> = const { std::cell::RefCell::new(None) };
}

/// The error of a Winsock call from a thread the runtime did not create: such a call
/// would run outside the scheduler and break determinism, so it is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotASimulatedThread;

impl core::fmt::Display for NotASimulatedThread {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(
            "wsasim: a Winsock call came from a thread the runtime did not create; \
             create threads with CreateThread so the seeded scheduler runs them",
        )
    }
}

/// The runtime and thread of the caller.
pub(crate) fn current() -> Result<(Arc<Shared>, ThreadId), NotASimulatedThread> {
    CURRENT
        .with(|c| c.borrow().clone())
        .ok_or(NotASimulatedThread)
}

impl Shared {
    /// The shared state of a run on `world` whose main thread holds the baton; the
    /// calling OS thread is the one that waits for the run's end.
    fn new(
        world: World,
        dispatcher: Option<Arc<dyn ApcDispatcher>>,
        steps_max: u64,
        on_abnormal_end: Option<AbnormalEnd>,
    ) -> Arc<Shared> {
        let main_id = world.main_thread();
        Arc::new(Shared {
            state: Mutex::new(State {
                world,
                current: Some(main_id),
                os: BTreeMap::new(),
                joins: Vec::new(),
                callbacks: BTreeMap::new(),
                dispatcher,
                ended: None,
                steps: 0,
                steps_max,
                main: main_id,
            }),
            runner: thread::current(),
            baton: AtomicU32::new(main_id.0),
            over: AtomicBool::new(false),
            on_abnormal_end,
        })
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock is a bug in the runtime, not in user code (user
        // code never runs under the lock); keep going with the state as it is.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Runs `main` as the program's main thread on a new world and returns when the run
/// ends: the main thread returned (the process exits, as on Windows, whatever the other
/// threads are doing), a deadlock, a livelock, or a panic in user code.
pub fn run<F>(config: Config, main: F) -> RunReport
where
    F: FnOnce() -> u32 + Send + 'static,
{
    run_with(World::new(config), None, STEPS_MAX_DEFAULT, main)
}

/// [`run`] on a prepared world (network, memory), with an optional dispatcher for APCs
/// at addresses the Rust API did not register, and a step bound.
pub fn run_with<F>(
    world: World,
    dispatcher: Option<Arc<dyn ApcDispatcher>>,
    steps_max: u64,
    main: F,
) -> RunReport
where
    F: FnOnce() -> u32 + Send + 'static,
{
    let main_id = world.main_thread();
    let shared = Shared::new(world, dispatcher, steps_max, None);
    let join = spawn_os_thread(&shared, main_id, Box::new(main));
    shared.lock().joins.push(join);
    loop {
        if shared.lock().ended.is_some() {
            break;
        }
        thread::park();
    }
    // Every simulated thread unwinds (parked ones see `ended`); join them all.
    let joins = {
        let mut st = shared.lock();
        for t in st.os.values() {
            t.unpark();
        }
        std::mem::take(&mut st.joins)
    };
    for j in joins {
        let _ = j.join();
    }
    let shared =
        Arc::try_unwrap(shared).unwrap_or_else(|_| panic!("every simulated thread has ended"));
    let st = shared.state.into_inner().unwrap_or_else(|e| e.into_inner());
    RunReport {
        outcome: st.ended.expect("the run ended"),
        world: st.world,
    }
}

type Body = Box<dyn FnOnce() -> u32 + Send + 'static>;

fn spawn_os_thread(shared: &Arc<Shared>, id: ThreadId, body: Body) -> JoinHandle<()> {
    let shared = Arc::clone(shared);
    thread::Builder::new()
        .name(format!("wsasim-{:#x}", id.0))
        .spawn(move || thread_main(shared, id, body))
        .expect("the OS can start a thread")
}

fn thread_main(shared: Arc<Shared>, me: ThreadId, body: Body) {
    CURRENT.with(|c| *c.borrow_mut() = Some((Arc::clone(&shared), me)));
    {
        let mut st = shared.lock();
        st.os.insert(me, thread::current());
        if wait_for_baton(&shared, st, me).is_err() {
            return;
        }
    }
    let result = panic::catch_unwind(AssertUnwindSafe(body));
    let mut st = shared.lock();
    let code = match result {
        Ok(code) => code,
        Err(payload) => match payload.downcast::<Unwind>() {
            Ok(u) => match *u {
                Unwind::Terminated => return,
                Unwind::ExitThread(code) => code,
            },
            Err(payload) => {
                let msg = payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "a panic".to_string());
                end_run(
                    &shared,
                    &mut st,
                    Outcome::Panicked(format!("thread {:#x}: {msg}", me.0)),
                );
                return;
            }
        },
    };
    if st.ended.is_some() {
        return;
    }
    st.world.exit_thread(me, code);
    if me == st.main {
        // The main thread returning ends the process.
        end_run(&shared, &mut st, Outcome::Exited(code));
        return;
    }
    // Pass the baton on; this OS thread is done.
    drop(pass_baton(&shared, st, me, false));
}

fn end_run(shared: &Shared, st: &mut State, outcome: Outcome) {
    if st.ended.is_none() {
        st.ended = Some(outcome.clone());
    }
    if let (Some(hook), false) = (
        &shared.on_abnormal_end,
        matches!(outcome, Outcome::Exited(_)),
    ) {
        hook(&st.world, &outcome);
    }
    shared.over.store(true, Ordering::Release);
    for t in st.os.values() {
        t.unpark();
    }
    shared.runner.unpark();
}

/// Parks until `me` holds the baton; returns the guard then, or Err if the run ended.
fn wait_for_baton<'a>(
    shared: &'a Arc<Shared>,
    mut st: MutexGuard<'a, State>,
    me: ThreadId,
) -> Result<MutexGuard<'a, State>, ()> {
    loop {
        if st.ended.is_some() {
            return Err(());
        }
        if st.current == Some(me) {
            return Ok(st);
        }
        drop(st);
        let mut polls = 0;
        while shared.baton.load(Ordering::Acquire) != me.0 && !shared.over.load(Ordering::Acquire) {
            if polls < SPINS_BEFORE_YIELD {
                std::hint::spin_loop();
            } else if polls < SPINS_BEFORE_YIELD + YIELDS_BEFORE_PARK {
                thread::yield_now();
            } else {
                thread::park();
                break;
            }
            polls += 1;
        }
        st = shared.lock();
    }
}

/// Picks the next thread to run among the runnable ones (a recorded choice when there
/// are several) and hands it the baton. With `me_runnable`, `me` is among the
/// candidates. When nobody can run, moves virtual time; when nothing will ever happen,
/// ends the run with a deadlock report. With `me_waits`, returns the guard once `me`
/// holds the baton again; Err when the run ended (or, without `me_waits`, always).
fn pass_baton<'a>(
    shared: &'a Arc<Shared>,
    mut st: MutexGuard<'a, State>,
    me: ThreadId,
    me_waits: bool,
) -> Result<MutexGuard<'a, State>, ()> {
    // After a call that returned, the thread keeps the baton unless the seed preempts it
    // (a recorded 1-in-4 choice, so runs that switch here replay as exactly as runs that
    // do not).
    if me_waits && !st.world.has_exited(me) && st.world.is_ready(me) {
        let others = st.world.runnable_threads().any(|t| t != me);
        if others && !st.world.flip(ChoiceKind::Schedule, PREEMPT) {
            st.steps += 1;
            if st.steps > st.steps_max {
                let report = livelock_report(&st);
                end_run(shared, &mut st, Outcome::Livelock(report));
                return Err(());
            }
            return Ok(st);
        }
    }
    loop {
        st.steps += 1;
        if st.steps > st.steps_max {
            let report = livelock_report(&st);
            end_run(shared, &mut st, Outcome::Livelock(report));
            return Err(());
        }
        let runnable: smallvec::SmallVec<[ThreadId; 8]> = st
            .world
            .runnable_threads()
            .filter(|&t| t != me || me_waits)
            .collect();
        if runnable.is_empty() {
            if !st.world.step() {
                let report = deadlock_report(&st);
                end_run(shared, &mut st, Outcome::Deadlock(report));
                return Err(());
            }
            continue;
        }
        let next = if runnable.len() == 1 {
            runnable[0]
        } else {
            runnable[st.world.choose(ChoiceKind::Schedule, runnable.len() as u64) as usize]
        };
        st.give_baton(shared, next);
        if next == me {
            return Ok(st);
        }
        if let Some(t) = st.os.get(&next) {
            t.unpark();
        }
        if !me_waits {
            return Err(());
        }
        return wait_for_baton(shared, st, me);
    }
}

fn deadlock_report(st: &State) -> String {
    let mut out = format!(
        "deadlock at {}: no thread can run and nothing will ever happen again\n",
        st.world.now()
    );
    for (t, api, what) in st.world.describe_waits() {
        out.push_str(&format!(
            "  thread {:#x}: blocked in {api}, waiting for {what}\n",
            t.0
        ));
    }
    out
}

fn livelock_report(st: &State) -> String {
    let mut out = format!(
        "livelock: {} scheduling steps without the run ending, at {}\n",
        st.steps_max,
        st.world.now()
    );
    for (t, api, what) in st.world.describe_waits() {
        out.push_str(&format!(
            "  thread {:#x}: in {api}, waiting for {what}\n",
            t.0
        ));
    }
    out
}

/// Makes one call on the model from the current simulated thread and drives it to its
/// end: runs APCs the wait delivers, passes the baton while it waits, and ends with a
/// scheduling point.
pub(crate) fn call(f: impl FnOnce(&mut World, ThreadId) -> Call) -> i64 {
    let (shared, me) = current().unwrap_or_else(|e| panic!("{e}"));
    let mut st = shared.lock();
    let first = f(&mut st.world, me);
    let mut value = match first {
        Call::Done(v) => Some(v),
        Call::Blocked => None,
    };
    while value.is_none() {
        match st.world.poll_thread(me) {
            Poll::Done(v) => value = Some(v),
            Poll::RunApc(apc) => {
                let cb = lookup(&st, &apc);
                let dispatcher = st.dispatcher.clone();
                drop(st);
                run_apc(&apc, cb, dispatcher);
                st = shared.lock();
                st.world.apc_done(me);
            }
            Poll::Blocked { .. } => {
                st = match pass_baton(&shared, st, me, true) {
                    Ok(g) => g,
                    Err(()) => panic::resume_unwind(Box::new(Unwind::Terminated)),
                };
            }
        }
    }
    // The call returned: a scheduling point.
    match pass_baton(&shared, st, me, true) {
        Ok(_) => {}
        Err(()) => panic::resume_unwind(Box::new(Unwind::Terminated)),
    }
    value.expect("set above")
}

/// Runs `f` on the model under the lock, without a scheduling point (for calls that
/// cannot block and do not publish anything, such as memory access).
pub(crate) fn with_world<R>(f: impl FnOnce(&mut World, ThreadId) -> R) -> R {
    let (shared, me) = current().unwrap_or_else(|e| panic!("{e}"));
    let mut st = shared.lock();
    f(&mut st.world, me)
}

fn lookup(st: &State, apc: &Apc) -> Option<Callback> {
    let func = match apc.kind {
        ApcKind::CompletionRoutine { routine, .. } => routine,
        ApcKind::User { func, .. } | ApcKind::Provider { func, .. } => func,
    };
    st.callbacks.get(&func.0).cloned()
}

fn run_apc(apc: &Apc, cb: Option<Callback>, dispatcher: Option<Arc<dyn ApcDispatcher>>) {
    match (cb, apc.kind) {
        (
            Some(Callback::Routine(f)),
            ApcKind::CompletionRoutine {
                error,
                bytes,
                overlapped,
                flags,
                ..
            },
        ) => f(error, bytes, overlapped, flags),
        (
            Some(Callback::User(f)),
            ApcKind::User { param, .. } | ApcKind::Provider { context: param, .. },
        ) => f(param),
        _ => {
            if let Some(d) = dispatcher {
                d.dispatch(apc);
            }
        }
    }
}

/// Registers a completion routine and returns its code address.
pub(crate) fn register_routine(f: Arc<RoutineFn>) -> Ptr {
    let (shared, _) = current().unwrap_or_else(|e| panic!("{e}"));
    let mut st = shared.lock();
    let p = st.world.sim().alloc_code();
    st.callbacks.insert(p.0, Callback::Routine(f));
    p
}

/// Registers an APC function and returns its code address.
pub(crate) fn register_apc(f: Arc<ApcFn>) -> Ptr {
    let (shared, _) = current().unwrap_or_else(|e| panic!("{e}"));
    let mut st = shared.lock();
    let p = st.world.sim().alloc_code();
    st.callbacks.insert(p.0, Callback::User(f));
    p
}

/// Creates a simulated thread running `body` and returns its id; it runs when the
/// scheduler picks it.
pub(crate) fn create_thread(body: Body) -> ThreadId {
    let (shared, _) = current().unwrap_or_else(|e| panic!("{e}"));
    let id = {
        let mut st = shared.lock();
        st.world.create_thread()
    };
    let join = spawn_os_thread(&shared, id, body);
    shared.lock().joins.push(join);
    id
}

/// Which simulated threads exist and have not exited (for tests).
pub(crate) fn live_threads() -> BTreeSet<ThreadId> {
    with_world(|w, _| {
        w.threads()
            .into_iter()
            .filter(|&t| !w.has_exited(t))
            .collect()
    })
}

/// Runs `make` twice (a run of one seed) and compares the trace hashes; returns the hash
/// or a message saying how the runs differ.
pub fn check_determinism<F>(make: F) -> Result<u64, String>
where
    F: Fn() -> RunReport,
{
    let a = make();
    let b = make();
    let (ha, hb) = (a.trace_hash(), b.trace_hash());
    if ha == hb && a.outcome == b.outcome {
        return Ok(ha);
    }
    let (ja, jb) = (a.world.trace().to_jsonl(), b.world.trace().to_jsonl());
    let line = ja
        .lines()
        .zip(jb.lines())
        .position(|(x, y)| x != y)
        .unwrap_or(ja.lines().count().min(jb.lines().count()));
    Err(format!(
        "the same seed gave two different runs: hashes {ha:016x} and {hb:016x}, outcomes {:?} and {:?}, first difference at trace line {}",
        a.outcome,
        b.outcome,
        line + 1
    ))
}
