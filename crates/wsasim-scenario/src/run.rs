//! One run of a scenario's built-in programs, on the simulated main thread: the swarm's
//! draw of which faults are on, the peers, the programs (listeners first), the fault
//! thread that applies timed faults, and the wait for every program. What happened is
//! written to a [`RunLog`] as it happens, so a run that deadlocks still tells which
//! program was where.

use crate::fault::{Fault, FaultKind, Side, Target, When};
use crate::program::{Endpoint, ProgramKind, Protocol};
use crate::Scenario;
use std::sync::{Arc, Mutex, MutexGuard};
use wsasim_core::choice::ChoiceKind;
use wsasim_core::net::{Link, LinkOpts, SockAddr};
use wsasim_core::provider::ProviderFault;
use wsasim_core::time::Duration;
use wsasim_core::{Ratio, WsaError};
use wsasim_runtime::api::{self, *};

/// A failing call a program met.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorSeen {
    /// The call that returned it, or, for a completion status, the call that issued
    /// the operation (`WSASend`, `WSARecv`).
    pub api: &'static str,
    /// The code (`WSAGetLastError`, the routine's `dwError`).
    pub code: u32,
    /// Whether it came as an operation's completion status.
    pub completion: bool,
    /// Whether the program handled it and went on (`WSAEWOULDBLOCK` for too many
    /// outstanding requests: it waited and tried again).
    pub handled: bool,
    /// Virtual time, in nanoseconds.
    pub at_ns: u64,
}

/// Why a built-in program failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// A call failed (the last entry of the program's errors); a fault may explain it.
    Call(ErrorSeen),
    /// It received less than it should have; a fault on it or its partner may explain
    /// it.
    Short {
        /// Bytes (TCP) or datagrams (UDP) received.
        got: u64,
        /// What it expected.
        want: u64,
    },
    /// A byte that is not the pattern's: nothing explains that.
    Data(String),
    /// One of its own checks (a deliberate bug's wrong assumption) failed.
    Check(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Call(e) => {
                let name = WsaError(e.code).name().unwrap_or("error");
                if e.completion {
                    write!(f, "{} completed with {name} ({})", e.api, e.code)
                } else {
                    write!(f, "{} failed with {name} ({})", e.api, e.code)
                }
            }
            Failure::Short { got, want } => write!(f, "received {got} of {want} expected"),
            Failure::Data(m) | Failure::Check(m) => f.write_str(m),
        }
    }
}

/// What one program did.
#[derive(Clone, Debug, Default)]
pub struct ProgramReport {
    /// Its name.
    pub name: String,
    /// Its simulated thread id (0 before it starts).
    pub thread: u32,
    /// Whether its code ran to its end (a `thread-exit` fault stops it first).
    pub finished: bool,
    /// Its failure, if any.
    pub failure: Option<Failure>,
    /// Every failing call it met.
    pub errors: Vec<ErrorSeen>,
    /// Bytes (or datagrams) it sent.
    pub sent: u64,
    /// Bytes (or datagrams) it received.
    pub received: u64,
    /// Datagrams that arrived after one sent later (UDP receivers).
    pub reordered: u64,
    /// Its current socket, if any.
    pub socket: Option<u64>,
    /// Every socket it created (closed for it if its thread exits by a fault).
    pub sockets: Vec<u64>,
    /// Its connection's local and remote addresses (to find the other end).
    pub conn: Option<(SockAddr, SockAddr)>,
    /// Set by a `thread-exit` fault: exit at the next call.
    pub exit_requested: bool,
    /// Whether it exited because of a `thread-exit` fault.
    pub exited_by_fault: bool,
    /// Milliseconds to sleep before each receive (`slow-receiver`, `read_delay_ms`).
    pub read_delay_ms: u32,
}

/// One firing of a fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultFiring {
    /// Index of the fault in the file's `[[fault]]` tables.
    pub fault: usize,
    /// Virtual time, in nanoseconds.
    pub at_ns: u64,
    /// Programs it hit as the target side (by index).
    pub targets: Vec<usize>,
    /// Programs at the other end of their connections.
    pub peers: Vec<usize>,
    /// Why it did nothing, if it did nothing (no socket yet, already closed).
    pub missed: Option<String>,
}

/// What a run of a scenario's programs did.
#[derive(Clone, Debug, Default)]
pub struct RunLog {
    /// One per `[[program]]`, in file order.
    pub programs: Vec<ProgramReport>,
    /// Which faults are on in this run (all of them, unless a swarm run drew).
    pub faults_on: Vec<bool>,
    /// Each firing, in order.
    pub firings: Vec<FaultFiring>,
    /// How many times each fault fired.
    pub fired: Vec<u32>,
    /// The kind of each fault of the scenario (for [`RunLog::explains`]).
    pub kinds: Vec<FaultKind>,
}

impl RunLog {
    /// Why the run failed, from the programs' side (the runtime's outcome is checked
    /// by the caller): the failure no fault explains that is closest to a cause, in
    /// this order: a program's own check (a wrong assumption), a byte that is not the
    /// sender's, a failed call, a short count, a program that did not finish; file
    /// order within each. `None` when every program passed or was excused.
    pub fn verdict(&self, scenario: &Scenario) -> Option<String> {
        let mut found: Vec<(u8, usize, String)> = Vec::new();
        for (i, p) in self.programs.iter().enumerate() {
            let Some(f) = &p.failure else {
                if !p.finished && !p.exited_by_fault && p.thread != 0 {
                    found.push((4, i, format!("program {}: did not finish", p.name)));
                }
                continue;
            };
            let (rank, excused) = match f {
                Failure::Check(_) => (0, false),
                Failure::Data(_) => (1, false),
                Failure::Call(e) => (2, self.explains(i, e)),
                Failure::Short { .. } => {
                    let partners = scenario.partners(i);
                    let touched = self.firings.iter().any(|fi| {
                        fi.missed.is_none()
                            && (fi.targets.contains(&i)
                                || fi.peers.contains(&i)
                                || partners
                                    .iter()
                                    .any(|j| fi.targets.contains(j) || fi.peers.contains(j)))
                    });
                    (3, touched)
                }
            };
            if !excused {
                let why = match f {
                    Failure::Call(_) if !self.firings.is_empty() => {
                        format!("{f}, which no fault that fired explains")
                    }
                    _ => f.to_string(),
                };
                found.push((rank, i, format!("program {}: {why}", p.name)));
            }
        }
        found.sort_by_key(|(rank, i, _)| (*rank, *i));
        found.into_iter().next().map(|(_, _, m)| m)
    }

    /// Whether a fault that fired before `e` explains it for program `i`.
    pub fn explains(&self, i: usize, e: &ErrorSeen) -> bool {
        self.firings.iter().any(|fi| {
            if fi.missed.is_some() || fi.at_ns > e.at_ns {
                return false;
            }
            let kind = self.kind_of(fi.fault);
            (fi.targets.contains(&i)
                && kind.is_some_and(|k| k.explains(Side::Target, e.api, WsaError(e.code))))
                || (fi.peers.contains(&i)
                    && kind.is_some_and(|k| k.explains(Side::Peer, e.api, WsaError(e.code))))
        })
    }

    fn kind_of(&self, fault: usize) -> Option<FaultKind> {
        self.kinds.get(fault).copied()
    }
}

impl Scenario {
    /// The programs whose endpoint is the other end of program `i`'s (a sender and
    /// its receiver): same port, one connects, the other listens.
    pub fn partners(&self, i: usize) -> Vec<usize> {
        let ep = |k: &ProgramKind| match k {
            ProgramKind::Sender(s) => Some(s.endpoint),
            ProgramKind::Receiver(r) => Some(r.endpoint),
            ProgramKind::EchoServer(e) => Some(Endpoint::Listen(e.listen)),
            _ => None,
        };
        let mine = ep(&self.programs[i].kind);
        let client_ports = |k: &ProgramKind| -> Vec<u16> {
            match k {
                ProgramKind::Client(c) => c
                    .script
                    .iter()
                    .filter_map(|s| match s {
                        crate::program::Step::Connect(a) => Some(a.port),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            }
        };
        let my_ports = client_ports(&self.programs[i].kind);
        (0..self.programs.len())
            .filter(|&j| j != i)
            .filter(|&j| {
                let other = ep(&self.programs[j].kind);
                match (mine, other) {
                    (Some(Endpoint::Connect(a)), Some(Endpoint::Listen(b)))
                    | (Some(Endpoint::Listen(b)), Some(Endpoint::Connect(a))) => a.port == b.port,
                    (Some(Endpoint::Listen(b)), None) => {
                        client_ports(&self.programs[j].kind).contains(&b.port)
                    }
                    (None, Some(Endpoint::Listen(b))) => my_ports.contains(&b.port),
                    _ => false,
                }
            })
            .collect()
    }

    /// What receiver `i` expects when its file does not say: the total of its sender.
    pub fn expected_of(&self, i: usize) -> Option<u64> {
        let ProgramKind::Receiver(r) = &self.programs[i].kind else {
            return None;
        };
        if r.expect.is_some() {
            return r.expect;
        }
        self.partners(i)
            .into_iter()
            .find_map(|j| match &self.programs[j].kind {
                ProgramKind::Sender(s) => Some(match s.protocol {
                    Protocol::Tcp => u64::from(s.count) * u64::from(s.size),
                    Protocol::Udp => u64::from(s.count),
                }),
                _ => None,
            })
    }

    /// The main thread of an in-process run of the scenario's built-in programs. Call
    /// on a run's main thread, after [`Scenario::install`]; `enabled` turns faults off
    /// (shrinking), `swarm` draws which of the enabled ones are on. Fills `log` as the
    /// run goes and returns the main thread's exit code (0).
    ///
    /// # Panics
    /// If the scenario has an external program (it runs as a child process instead).
    pub fn run_programs(
        self: &Arc<Self>,
        enabled: &[bool],
        swarm: Option<Ratio>,
        log: &Arc<Mutex<RunLog>>,
    ) -> u32 {
        assert!(
            self.external().is_none(),
            "an external program runs as a child process"
        );
        let data = api::alloc(408);
        WSAStartup(0x0202, data);
        let on = self.begin_faults(log, enabled, swarm);
        let _peers = self.start_peers();

        // Programs, in file order; a listening one is listening (or has failed) before
        // the next one starts.
        let mut handles = Vec::new();
        for (i, p) in self.programs.iter().enumerate() {
            let host = api::host_named(&p.host).expect("the scenario was installed");
            let listens = matches!(
                &p.kind,
                ProgramKind::Sender(s) if matches!(s.endpoint, Endpoint::Listen(_))
            ) || matches!(
                &p.kind,
                ProgramKind::Receiver(r) if matches!(r.endpoint, Endpoint::Listen(_))
            ) || matches!(p.kind, ProgramKind::EchoServer(_));
            let wait_ready = listens && u64::from(p.start_ms) * 1_000_000 <= api::now().as_nanos();
            let ready = if wait_ready { WSACreateEvent() } else { 0 };
            let ctx = crate::roles::Ctx {
                scenario: Arc::clone(self),
                log: Arc::clone(log),
                index: i,
                on: on.clone(),
                ready: std::cell::Cell::new(ready),
            };
            let h = api::create_thread_on(host, move || crate::roles::run(ctx));
            handles.push((i, h));
            if wait_ready {
                let events = api::alloc_bytes(&ready.to_le_bytes());
                WSAWaitForMultipleEvents(1, events, TRUE, INFINITE, FALSE);
                WSACloseEvent(ready);
            }
        }

        self.start_fault_thread(log, &on);

        // Wait for every program; a program stopped by a thread-exit fault has its
        // sockets closed, as the process's cleanup would.
        while !handles.is_empty() {
            let raw: Vec<u8> = handles.iter().flat_map(|(_, h)| h.to_le_bytes()).collect();
            let arr = api::alloc_bytes(&raw);
            let r = WaitForMultipleObjects(handles.len() as u32, arr, FALSE, INFINITE);
            let k = r as usize;
            if k >= handles.len() {
                break;
            }
            let (i, h) = handles.remove(k);
            CloseHandle(h);
            let (exited, sockets) = {
                let l = lock(log);
                let p = &l.programs[i];
                (p.exited_by_fault, p.sockets.clone())
            };
            if exited {
                for s in sockets {
                    closesocket(s);
                }
            }
        }
        0
    }
}

impl Scenario {
    /// Starts the scenario's faults for an external program linked to `libwsasim` (the
    /// C ABI calls it on the process's main thread, right after
    /// [`Scenario::start_peers`]): the swarm's draw of which faults are on (the file's
    /// `[swarm]` table), the thread that applies timed faults, and
    /// [`Faults::before_call`] for the probabilistic ones. The draws are recorded choices
    /// of kind `fault` of the run's seed, as in a run of built-in programs, so the same
    /// `WSASIM_SEED` replays them.
    ///
    /// Host and link faults work as for built-in programs. A fault whose target is the
    /// external program (`program:NAME`, its `[[program]]` table) hits **every socket
    /// the program owns when it fires**: every live socket but the scenario's peers'
    /// (the sockets of the process's main thread and of the threads it creates; a
    /// peer's thread is a harness thread, `World::mark_harness_thread`). The connection
    /// faults (`reset`, `abort`, `keepalive-failure`, `stall-receiver`,
    /// `close-pending`) hit its connected sockets only. A `reset` makes each of them
    /// receive a reset (`ProviderFault::Reset`: the peers are not programs of the
    /// file). With no such socket the firing is missed. `slow-receiver` delays its
    /// receive calls in [`Faults::before_call`]; `thread-exit` cannot target it (parse
    /// rejects it).
    ///
    /// # Panics
    /// When not called from a simulated thread of a run, or before
    /// [`Scenario::install`].
    pub fn start_faults(&self) -> Faults {
        let sc = Arc::new(self.clone());
        let log = Arc::new(Mutex::new(RunLog::default()));
        let on = sc.begin_faults(&log, &[], sc.swarm);
        let threads = sc.start_fault_thread(&log, &on).into_iter().collect();
        let index = sc
            .programs
            .iter()
            .position(|p| matches!(p.kind, ProgramKind::External(_)));
        Faults {
            sc,
            log,
            on,
            index,
            threads,
        }
    }

    /// A run's first steps with its faults: the log gets a report per program and
    /// the faults' kinds; the swarm draws which faults are on (a recorded choice per
    /// fault, so shrinking can turn one off by forcing 0); `enabled` turns faults off
    /// (shrinking). Returns which faults are on.
    fn begin_faults(
        &self,
        log: &Arc<Mutex<RunLog>>,
        enabled: &[bool],
        swarm: Option<Ratio>,
    ) -> Vec<bool> {
        {
            let mut l = lock(log);
            l.programs = self
                .programs
                .iter()
                .map(|p| ProgramReport {
                    name: p.name.clone(),
                    ..ProgramReport::default()
                })
                .collect();
            l.fired = vec![0; self.faults.len()];
            l.kinds = self.faults.iter().map(|f| f.kind).collect();
        }
        let on: Vec<bool> = (0..self.faults.len())
            .map(|i| {
                enabled.get(i).copied().unwrap_or(true)
                    && swarm.is_none_or(|r| api::harness_world(|w, _| w.flip(ChoiceKind::Fault, r)))
            })
            .collect();
        lock(log).faults_on = on.clone();
        on
    }

    /// Starts the thread that applies the timed faults that are `on`; its handle, or
    /// `None` when there are none.
    fn start_fault_thread(self: &Arc<Self>, log: &Arc<Mutex<RunLog>>, on: &[bool]) -> Option<u64> {
        let timed: Vec<usize> = (0..self.faults.len())
            .filter(|&i| on[i] && matches!(self.faults[i].when, When::At(_)))
            .collect();
        if timed.is_empty() {
            return None;
        }
        let sc = Arc::clone(self);
        let lg = Arc::clone(log);
        let local = api::host_named(crate::LOCAL_HOST).expect("every world has it");
        Some(api::create_thread_on(local, move || {
            fault_thread(&sc, &lg, &timed);
            0
        }))
    }
}

/// The faults of an external program's run, started by [`Scenario::start_faults`].
#[derive(Debug)]
pub struct Faults {
    sc: Arc<Scenario>,
    log: Arc<Mutex<RunLog>>,
    on: Vec<bool>,
    /// The external program's `[[program]]` table, if the file has one.
    index: Option<usize>,
    threads: Vec<u64>,
}

/// The calls before which a probabilistic fault may fire, as for a built-in program's
/// sends and receives; the second list are the receive calls (`slow-receiver`).
const SEND_CALLS: &[&str] = &["send", "WSASend", "sendto", "WSASendTo", "WSASendMsg"];
const RECV_CALLS: &[&str] = &["recv", "WSARecv", "recvfrom", "WSARecvFrom", "WSARecvMsg"];

impl Faults {
    /// The handle of the thread that applies the timed faults (none without any).
    pub fn threads(&self) -> &[u64] {
        &self.threads
    }

    /// What the faults did so far: which were on, each firing, what it hit.
    pub fn log(&self) -> RunLog {
        lock(&self.log).clone()
    }

    /// Call on the program's thread before each of its calls, with the call's name:
    /// before a send or receive call (`send`, `WSASend`, `sendto`, `WSASendTo`,
    /// `WSASendMsg` and their receive twins) each probabilistic fault aimed at the
    /// program may fire (a recorded choice), as before a built-in program's calls; a
    /// receive call then waits a `slow-receiver` fault's `delay_ms`. Other calls do
    /// nothing.
    pub fn before_call(&self, api: &str) {
        let Some(i) = self.index else {
            return;
        };
        let receive = RECV_CALLS.contains(&api);
        if !receive && !SEND_CALLS.contains(&api) {
            return;
        }
        before_call(&self.sc, &self.log, i, &self.on);
        let delay = lock(&self.log).programs[i].read_delay_ms;
        if receive && delay > 0 {
            Sleep(delay);
        }
    }
}

pub(crate) fn lock(log: &Arc<Mutex<RunLog>>) -> MutexGuard<'_, RunLog> {
    log.lock().unwrap_or_else(|e| e.into_inner())
}

fn sleep_until_ns(target: u64) {
    let now = api::now().as_nanos();
    if target > now {
        Sleep((target - now).div_ceil(1_000_000) as u32);
    }
}

/// Something the fault thread does at a time.
enum Action {
    Fire(usize),
    /// The end of a fault that lasts (`duration_ms`).
    End(usize, Saved),
    /// One millisecond of a `reorder` fault.
    ReorderTick(usize, u64, Saved),
}

/// What a lasting fault changed, to put it back.
#[derive(Clone, Copy)]
enum Saved {
    Link(Link, LinkOpts),
    Host(u32),
    Socket(u64),
}

/// Applies the timed faults `which`, in time order (file order at equal times).
fn fault_thread(sc: &Arc<Scenario>, log: &Arc<Mutex<RunLog>>, which: &[usize]) {
    let mut agenda: Vec<(u64, u64, Action)> = which
        .iter()
        .enumerate()
        .map(|(n, &i)| {
            let When::At(ms) = sc.faults[i].when else {
                unreachable!("only timed faults")
            };
            (u64::from(ms) * 1_000_000, n as u64, Action::Fire(i))
        })
        .collect();
    let mut seq = agenda.len() as u64;
    loop {
        agenda.sort_by_key(|(at, s, _)| (*at, *s));
        if agenda.is_empty() {
            return;
        }
        let (at, _, action) = agenda.remove(0);
        sleep_until_ns(at);
        let later = match action {
            Action::Fire(i) => fire(sc, log, i),
            Action::End(i, saved) => {
                end(sc, i, saved);
                Vec::new()
            }
            Action::ReorderTick(i, until, saved) => {
                let f = &sc.faults[i];
                if api::now().as_nanos() >= until {
                    end(sc, i, saved);
                    Vec::new()
                } else {
                    reorder_tick(f, saved);
                    vec![(1_000_000, Action::ReorderTick(i, until, saved))]
                }
            }
        };
        for (after, a) in later {
            agenda.push((api::now().as_nanos() + after, seq, a));
            seq += 1;
        }
    }
}

/// The current socket of program `name`, its index and its host.
fn program_socket(
    sc: &Scenario,
    log: &Arc<Mutex<RunLog>>,
    name: &str,
) -> (usize, Option<u64>, String) {
    let i = sc
        .programs
        .iter()
        .position(|p| p.name == name)
        .expect("parse checked the target");
    let s = lock(log).programs[i].socket;
    (i, s, sc.programs[i].host.clone())
}

/// The programs whose connection's other end is program `i`'s.
fn peers_of(log: &RunLog, i: usize) -> Vec<usize> {
    let Some((local, remote)) = log.programs[i].conn else {
        return Vec::new();
    };
    (0..log.programs.len())
        .filter(|&j| j != i && log.programs[j].conn == Some((remote, local)))
        .collect()
}

fn target_ref(s: u64) -> Option<wsasim_core::provider::SocketRef> {
    api::harness_world(|w, _| w.socket_target(s))
}

fn inject(f: ProviderFault) -> bool {
    api::harness_world(|w, _| w.inject(f))
}

fn host_id(name: &str) -> u32 {
    api::host_named(name).expect("parse checked the host").0
}

fn link_hosts(f: &Fault) -> (wsasim_core::net::HostId, wsasim_core::net::HostId) {
    let Target::Link(a, b) = &f.target else {
        unreachable!("a link fault names a link")
    };
    (
        api::host_named(a).expect("parse checked the link"),
        api::host_named(b).expect("parse checked the link"),
    )
}

/// Applies fault `i` now (from the fault thread, or from a program's thread for a
/// probabilistic one). Returns what to do later for a lasting fault: after how many
/// nanoseconds, what.
fn fire(sc: &Arc<Scenario>, log: &Arc<Mutex<RunLog>>, i: usize) -> Vec<(u64, Action)> {
    let f = &sc.faults[i];
    let at_ns = api::now().as_nanos();
    let mut firing = FaultFiring {
        fault: i,
        at_ns,
        targets: Vec::new(),
        peers: Vec::new(),
        missed: None,
    };
    let mut later = Vec::new();
    let duration = f.duration_ms.map(|ms| u64::from(ms) * 1_000_000);
    match f.kind.target_kind() {
        crate::fault::TargetKind::Link => {
            let (a, b) = link_hosts(f);
            let (link, opts) = api::harness_world(|w, _| {
                let net = w.network_mut();
                (
                    net.path(a, b).expect("parse checked the link"),
                    net.link_opts(a, b),
                )
            });
            // Every program on either end is touched (a short count is explained).
            let ends = [a, b];
            firing.targets = (0..sc.programs.len())
                .filter(|&p| {
                    api::host_named(&sc.programs[p].host).is_some_and(|h| ends.contains(&h))
                })
                .collect();
            api::harness_world(|w, _| {
                let net = w.network_mut();
                match f.kind {
                    FaultKind::Latency => net.link(
                        a,
                        b,
                        Link {
                            latency: Duration::from_micros(f.latency_us.unwrap_or(0)),
                            ..link
                        },
                    ),
                    FaultKind::Bandwidth => net.link(
                        a,
                        b,
                        Link {
                            bandwidth: f.bandwidth_bps.map(|bps| bps / 8),
                            ..link
                        },
                    ),
                    FaultKind::Loss => net.set_link_opts(
                        a,
                        b,
                        LinkOpts {
                            loss: f.loss.unwrap_or(Ratio::NEVER),
                            ..opts
                        },
                    ),
                    FaultKind::Partition => {
                        // Stream bytes sent during the partition arrive after it heals
                        // (never out of order); datagrams are lost.
                        let d = Duration::from_nanos(duration.unwrap_or(0));
                        net.link(
                            a,
                            b,
                            Link {
                                latency: link.latency + d,
                                ..link
                            },
                        );
                        net.set_link_opts(
                            a,
                            b,
                            LinkOpts {
                                loss: Ratio::new(1, 1),
                                ..opts
                            },
                        );
                    }
                    FaultKind::Reorder => {}
                    _ => unreachable!("link faults only"),
                }
            });
            let saved = Saved::Link(link, opts);
            if f.kind == FaultKind::Reorder {
                later.push((
                    0,
                    Action::ReorderTick(i, at_ns + duration.unwrap_or(0), saved),
                ));
            } else if let Some(d) = duration.filter(|_| f.kind == FaultKind::Partition) {
                later.push((d, Action::End(i, saved)));
            }
        }
        _ => {
            let host_target = match &f.target {
                Target::Host(h) => Some(h.clone()),
                Target::Program(p) if f.kind == FaultKind::NetworkDown => Some(
                    sc.programs
                        .iter()
                        .find(|x| &x.name == p)
                        .expect("checked")
                        .host
                        .clone(),
                ),
                _ => None,
            };
            if let Some(host) = host_target {
                // network-down: every program of the host is a target; the remote ends
                // of their connections are aborted ("terminated due to a time-out").
                let id = host_id(&host);
                inject(ProviderFault::NetworkDown { host: id });
                let l = lock(log).clone();
                firing.targets = (0..sc.programs.len())
                    .filter(|&p| sc.programs[p].host == host)
                    .collect();
                for &t in &firing.targets.clone() {
                    for q in peers_of(&l, t) {
                        if sc.programs[q].host != host {
                            if let Some(r) = l.programs[q].socket.and_then(target_ref) {
                                inject(ProviderFault::Abort(r));
                            }
                            firing.peers.push(q);
                        }
                    }
                }
                if let Some(d) = duration {
                    later.push((d, Action::End(i, Saved::Host(id))));
                }
            } else {
                let Target::Program(name) = &f.target else {
                    unreachable!("program faults name a program")
                };
                let (p, socket, _) = program_socket(sc, log, name);
                firing.targets.push(p);
                let external = matches!(sc.programs[p].kind, ProgramKind::External(_));
                match f.kind {
                    FaultKind::SlowReceiver => {
                        lock(log).programs[p].read_delay_ms = f.delay_ms;
                    }
                    FaultKind::ThreadExit => {
                        lock(log).programs[p].exit_requested = true;
                    }
                    _ if external => {
                        // Every socket the external program owns now (the connected
                        // ones for a connection fault): `Scenario::start_faults`.
                        let owned = external_sockets(f.kind);
                        let mut hit = false;
                        for s in owned {
                            if let Some(r) = target_ref(s) {
                                let (applied, _, after) = hit_socket(f, i, s, r, &[], duration);
                                hit |= applied;
                                later.extend(after);
                            }
                        }
                        if !hit {
                            let which = if connection_fault(f.kind) {
                                "connected"
                            } else {
                                "open"
                            };
                            firing.missed = Some(format!(
                                "program {name} had no {which} socket at {}",
                                api::now()
                            ));
                        }
                    }
                    _ => {
                        let l = lock(log).clone();
                        let peers = peers_of(&l, p);
                        match (socket, socket.and_then(target_ref)) {
                            (Some(s), Some(r)) => {
                                let peer_refs: Vec<_> = peers
                                    .iter()
                                    .filter_map(|&q| l.programs[q].socket.and_then(target_ref))
                                    .collect();
                                let (_, told, after) = hit_socket(f, i, s, r, &peer_refs, duration);
                                if told {
                                    firing.peers = peers.clone();
                                }
                                later.extend(after);
                            }
                            _ => {
                                firing.missed = Some(format!(
                                    "program {name} had no open socket at {}",
                                    api::now()
                                ));
                            }
                        }
                    }
                }
            }
        }
    }
    let mut l = lock(log);
    if firing.missed.is_none() {
        l.fired[i] += 1;
    }
    l.firings.push(firing);
    later
}

/// Whether `kind` acts on a connection (an external program's connected sockets only).
fn connection_fault(kind: FaultKind) -> bool {
    matches!(
        kind,
        FaultKind::Reset
            | FaultKind::Abort
            | FaultKind::KeepAliveFailure
            | FaultKind::StallReceiver
            | FaultKind::ClosePending
    )
}

/// The sockets a fault of `kind` aimed at the external program hits now: every live
/// socket that is not a scenario peer's (`World::is_harness_socket`), in handle order;
/// for a connection fault, the connected ones.
fn external_sockets(kind: FaultKind) -> Vec<u64> {
    api::harness_world(|w, _| {
        w.sockets()
            .into_iter()
            .filter(|&s| !w.is_harness_socket(s))
            .filter(|&s| !connection_fault(kind) || w.socket_peer(s).is_some())
            .collect()
    })
}

/// Applies program fault `i` (`f`) to its target's socket `s` (`r`); `peers` are the
/// sockets at the other end of its connection that belong to programs of the file.
/// Returns whether the provider took it, whether the peers were told, and what to do
/// later (the end of a `stall-receiver`).
fn hit_socket(
    f: &Fault,
    i: usize,
    s: u64,
    r: wsasim_core::provider::SocketRef,
    peers: &[wsasim_core::provider::SocketRef],
    duration: Option<u64>,
) -> (bool, bool, Option<(u64, Action)>) {
    match f.kind {
        FaultKind::Reset => match peers.first() {
            // The other end resets: it aborts its side, this side gets the reset. A
            // peer that is no program of the file is not told.
            Some(&pr) => (inject(ProviderFault::Abort(pr)), true, None),
            None => (inject(ProviderFault::Reset(r)), false, None),
        },
        FaultKind::Abort => (inject(ProviderFault::Abort(r)), true, None),
        FaultKind::KeepAliveFailure => {
            let applied = inject(ProviderFault::KeepAliveFailure(r));
            for &pr in peers {
                inject(ProviderFault::KeepAliveFailure(pr));
            }
            (applied, true, None)
        }
        FaultKind::TtlExpired => (inject(ProviderFault::TtlExpired(r)), false, None),
        FaultKind::PortUnreachable => (inject(ProviderFault::PortUnreachable(r)), false, None),
        FaultKind::BufferDeadlock => (
            inject(ProviderFault::BufferDeadlock(r, f.count)),
            false,
            None,
        ),
        FaultKind::TooManyOutstanding => (
            inject(ProviderFault::TooManyOutstanding(r, f.count)),
            false,
            None,
        ),
        FaultKind::StallReceiver => (
            inject(ProviderFault::StallReceiver(r, true)),
            false,
            duration.map(|d| (d, Action::End(i, Saved::Socket(r.handle)))),
        ),
        // Another thread closes the socket while its operations pend.
        FaultKind::ClosePending => (closesocket(s) == 0, true, None),
        _ => unreachable!("every program fault is handled by fire or here"),
    }
}

fn end(sc: &Arc<Scenario>, i: usize, saved: Saved) {
    let f = &sc.faults[i];
    match saved {
        Saved::Link(link, opts) => {
            let (a, b) = link_hosts(f);
            api::harness_world(|w, _| {
                let net = w.network_mut();
                net.link(a, b, link);
                net.set_link_opts(a, b, opts);
            });
        }
        Saved::Host(h) => {
            inject(ProviderFault::NetworkUp { host: h });
        }
        Saved::Socket(s) => {
            if let Some(r) = target_ref(s) {
                inject(ProviderFault::StallReceiver(r, false));
            }
        }
    }
}

/// One millisecond of a reorder fault: the link's latency becomes its normal latency
/// plus 0, 1, 2 or 3 thirds of `latency_us` (default 1000), drawn by the seed.
fn reorder_tick(f: &Fault, saved: Saved) {
    let Saved::Link(link, _) = saved else {
        return;
    };
    let (a, b) = link_hosts(f);
    let jitter = f.latency_us.unwrap_or(1000);
    api::harness_world(|w, _| {
        let pick = w.choose(ChoiceKind::Fault, 4);
        let net = w.network_mut();
        net.link(
            a,
            b,
            Link {
                latency: link.latency + Duration::from_micros(jitter * pick / 3),
                ..link
            },
        );
    });
}

/// Before a send or receive call of program `i`: a requested thread exit happens, and
/// each probabilistic fault that targets it may fire (a recorded choice).
pub(crate) fn before_call(sc: &Arc<Scenario>, log: &Arc<Mutex<RunLog>>, i: usize, on: &[bool]) {
    let name = &sc.programs[i].name;
    for (k, f) in sc.faults.iter().enumerate() {
        let When::Ratio { ratio, times } = f.when else {
            continue;
        };
        if !on[k] || !matches!(&f.target, Target::Program(p) if p == name) {
            continue;
        }
        if lock(log).fired[k] >= times {
            continue;
        }
        if api::harness_world(|w, _| w.flip(ChoiceKind::Fault, ratio)) {
            for (after, action) in fire(sc, log, k) {
                // A lasting fault fired from a program: end it from a thread of its own.
                let sc2 = Arc::clone(sc);
                let local = api::host_named(crate::LOCAL_HOST).expect("every world has it");
                let until = api::now().as_nanos() + after;
                api::create_thread_on(local, move || {
                    sleep_until_ns(until);
                    match action {
                        Action::End(j, saved) => end(&sc2, j, saved),
                        Action::ReorderTick(..) | Action::Fire(_) => {}
                    }
                    0
                });
            }
        }
    }
    let exit = {
        let mut l = lock(log);
        let p = &mut l.programs[i];
        if p.exit_requested && !p.exited_by_fault {
            p.exited_by_fault = true;
            true
        } else {
            false
        }
    };
    if exit {
        // "All I/O initiated by a given thread is canceled when that thread exits."
        ExitThread(0xDEAD);
    }
}
