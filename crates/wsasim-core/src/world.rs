//! The world: the kernel, the providers and the ws2 switch state, and how a run moves
//! forward. The Winsock API itself is in `ws2/`, one file per family of calls.
//!
//! Sans-IO: every API call returns at once, either with its result ([`Call::Done`]) or
//! with the calling thread waiting ([`Call::Blocked`]). The embedder then drives that
//! thread with [`World::poll_thread`], which yields the call's result, an APC to run on
//! the thread ([`Poll::RunApc`], then [`World::apc_done`]), or says it still waits; and
//! it moves virtual time with [`World::step`] when nothing can run.

use crate::apc::{Apc, ApcKind};
use crate::choice::ChoiceKind;
use crate::config::{Config, Profile};
use crate::consts::*;
use crate::error::WsaError;
use crate::kernel::{ContractReport, Kernel, Object};
use crate::memory::{Ptr, SimMemory, UserMemory};
use crate::net::Network;
use crate::provider::base::BaseProvider;
use crate::provider::{Provider, ProviderFault, SocketRef};
use crate::thread::{Alertable, Frame, Resume, ThreadId, Wait, WaitFor};
use crate::time::Instant;
use crate::trace::{Args, OpEvent, Record, Trace};
use std::collections::BTreeMap;

/// What an API call did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    /// It returned this value, widened: an `int` is sign-extended (`SOCKET_ERROR` is
    /// -1), a `DWORD` zero-extended (`WSA_WAIT_FAILED` is 4294967295).
    Done(i64),
    /// The thread waits: drive it with [`World::poll_thread`].
    Blocked,
}

impl Call {
    /// The value, if the call returned.
    pub fn done(self) -> Option<i64> {
        match self {
            Call::Done(v) => Some(v),
            Call::Blocked => None,
        }
    }
}

/// What a waiting thread does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Poll {
    /// Its call returned this value.
    Done(i64),
    /// Run this APC on the thread, then call [`World::apc_done`].
    RunApc(Apc),
    /// It still waits, until `deadline` at the latest.
    Blocked {
        /// When its wait times out, if ever.
        deadline: Option<Instant>,
    },
}

/// `WSAStartup` state: the reference count and the negotiated version.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Startup {
    pub count: u32,
    pub version: u16,
}

/// A fault scheduled at a virtual time.
#[derive(Debug, Clone, Copy)]
struct Scheduled {
    fault: ProviderFault,
}

/// The simulated machine(s): kernel, providers, switch.
#[derive(Debug)]
pub struct World {
    pub(crate) k: Kernel,
    pub(crate) providers: Vec<Box<dyn Provider>>,
    pub(crate) startup: Startup,
    faults: BTreeMap<(Instant, u64), Scheduled>,
    fault_seq: u64,
    main: ThreadId,
    /// Lingering closes in progress: operation -> the closed socket's provider and
    /// context (its handle is already stale).
    pub(crate) closing: BTreeMap<u64, (usize, SocketRef)>,
}

/// Why a wait ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Its object was signalled (for handle waits: the index), or its operation completed.
    Satisfied(u32),
    /// Its deadline passed.
    Timeout,
    /// APCs ran (`WAIT_IO_COMPLETION`).
    IoCompletion,
    /// `WSACancelBlockingCall`.
    Cancelled,
}

impl World {
    /// A world with a simulated address space ([`SimMemory`]) and one host.
    pub fn new(config: Config) -> World {
        World::with_memory(config, Box::new(SimMemory::new()), Network::new())
    }

    /// A world over the given memory and network (the C ABI passes the process's memory).
    pub fn with_memory(config: Config, mem: Box<dyn UserMemory>, net: Network) -> World {
        let mut mem = mem;
        let host_memory = mem.as_sim().is_none();
        let mut k = Kernel::new(config, mem);
        k.canonical_ptrs = host_memory;
        let main = k.create_thread();
        k.trace(Record::World {
            what: "start",
            value: k.config.seed,
        });
        World {
            k,
            providers: vec![Box::new(BaseProvider::new(net))],
            startup: Startup::default(),
            faults: BTreeMap::new(),
            fault_seq: 0,
            main,
            closing: BTreeMap::new(),
        }
    }

    /// The thread the world started with.
    pub fn main_thread(&self) -> ThreadId {
        self.main
    }

    /// Creates another thread (the runtime gives it code to run).
    pub fn create_thread(&mut self) -> ThreadId {
        self.k.create_thread()
    }

    /// Puts thread `t` on simulated host `host`: the sockets it creates live there.
    pub fn set_thread_host(&mut self, t: ThreadId, host: crate::net::HostId) {
        self.k.thread_mut(t).host = host;
    }

    /// A thread's handle (for `QueueUserAPC` and waits).
    pub fn thread_handle(&self, t: ThreadId) -> HANDLE {
        self.k.thread(t).handle
    }

    /// The run's profile.
    pub fn profile(&self) -> Profile {
        self.k.profile()
    }

    /// The current virtual time.
    pub fn now(&self) -> Instant {
        self.k.now()
    }

    /// The application's memory.
    pub fn mem(&self) -> &dyn UserMemory {
        self.k.mem()
    }

    /// The application's memory, mutably.
    pub fn mem_mut(&mut self) -> &mut dyn UserMemory {
        self.k.mem_mut()
    }

    /// The simulated address space, when the world uses one.
    pub fn sim(&mut self) -> &mut SimMemory {
        self.k
            .mem
            .as_sim()
            .expect("this world runs on the process's memory, not a SimMemory")
    }

    /// The trace so far.
    pub fn trace(&self) -> &Trace {
        &self.k.trace
    }

    /// Contract breaches seen so far.
    pub fn contract_reports(&self) -> &[ContractReport] {
        &self.k.contract
    }

    /// The documented choices made so far.
    pub fn choices(&self) -> &[crate::choice::ChoiceRecord] {
        self.k.choices.log()
    }

    /// Makes a recorded choice among `options` (the runtime's scheduler uses
    /// [`ChoiceKind::Schedule`]).
    pub fn choose(&mut self, kind: ChoiceKind, options: u64) -> u64 {
        self.k.choose(kind, options)
    }

    /// A recorded yes/no choice with probability `ratio`.
    pub fn flip(&mut self, kind: ChoiceKind, ratio: crate::config::Ratio) -> bool {
        self.k.flip(kind, ratio)
    }

    /// Forces the next documented choices (replay).
    pub fn force_choices(&mut self, picks: impl IntoIterator<Item = u64>) {
        self.k.choices.force(picks);
    }

    /// The base provider's network (to add hosts and links before the run).
    pub fn network_mut(&mut self) -> &mut Network {
        self.providers[0]
            .network_mut()
            .expect("the base provider owns the network")
    }

    /// `GetLastError` / `WSAGetLastError` of thread `t`.
    pub fn last_error(&self, t: ThreadId) -> u32 {
        self.k.thread(t).last_error
    }

    /// Pending (not yet completed) operations, for leak checks.
    pub fn pending_ops(&self) -> usize {
        self.k.ops.values().filter(|o| o.is_pending()).count()
    }

    // ----- prolog and epilog of every API call ------------------------------------------

    #[inline]
    pub(crate) fn trace_call(
        &mut self,
        t: ThreadId,
        api: &'static str,
        args: &[(&'static str, u64)],
    ) {
        if self.k.config.keep_trace {
            self.k.trace(Record::Call {
                thread: t.0,
                api,
                args: Args::new(args),
            });
        }
    }

    /// The checks every Winsock function makes first: `WSANOTINITIALISED` before the
    /// first successful `WSAStartup` and after the last `WSACleanup`; `WSAEINPROGRESS`
    /// when a Windows Sockets 1.1 application calls while a blocking call is in progress
    /// on the thread ("Only one outstanding Winsock call per task/thread in 1.1",
    /// W32 `windows-sockets-1-1-blocking-routines-and-einprogress-2`).
    pub(crate) fn prolog(&mut self, t: ThreadId) -> Result<(), WsaError> {
        if self.startup.count == 0 {
            return Err(WsaError::WSANOTINITIALISED);
        }
        if self.winsock11() && self.k.thread(t).in_apc_within_blocking_call() {
            return Err(WsaError::WSAEINPROGRESS);
        }
        Ok(())
    }

    /// Whether the application negotiated Windows Sockets 1.x.
    pub(crate) fn winsock11(&self) -> bool {
        self.startup.version & 0xFF < 2
    }

    /// The socket entry behind `s`, or `WSAENOTSOCK`.
    #[inline]
    pub(crate) fn socket_ref(&self, s: SOCKET) -> Result<(usize, SocketRef, bool), WsaError> {
        let e = self.k.socket_entry(s).ok_or(WsaError::WSAENOTSOCK)?;
        Ok((
            e.provider,
            SocketRef {
                handle: s,
                context: e.context,
            },
            e.overlapped,
        ))
    }

    /// Ends a call: sets the last error (0 after a success: `wine-facts.md` L1-L9) and
    /// traces the return.
    #[inline]
    pub(crate) fn finish(
        &mut self,
        t: ThreadId,
        api: &'static str,
        r: Result<i64, WsaError>,
        fail: i64,
    ) -> Call {
        let (ret, err) = match r {
            Ok(v) => (v, WsaError::NO_ERROR),
            Err(e) => (fail, e),
        };
        self.k.set_last_error(t, err);
        if self.k.config.keep_trace {
            self.k.trace(Record::Return {
                thread: t.0,
                api,
                ret,
                error: err.0,
            });
        }
        Call::Done(ret)
    }

    /// The deadline of a wait of `ms` milliseconds from now (`INFINITE`: none).
    pub(crate) fn deadline_in(&self, ms: u32) -> Option<Instant> {
        (ms != INFINITE).then(|| self.k.now() + crate::time::Duration::from_millis(u64::from(ms)))
    }

    /// Makes thread `t` wait; the call's result comes from [`World::poll_thread`].
    pub(crate) fn block(&mut self, t: ThreadId, wait: Wait) -> Call {
        let (api, on) = (
            wait.api,
            match wait.on {
                WaitFor::Nothing => "time",
                WaitFor::Handles { .. } => "handles",
                WaitFor::Op(_) => "operation",
            },
        );
        self.k.trace(Record::Blocked {
            thread: t.0,
            api,
            on,
        });
        // Decide without side effects: a wait already satisfied, or (with no APC to
        // run) already timed out, ends here; anything else (an APC to deliver, a wait)
        // is the embedder's to drive through `poll_thread`, so the trace records each
        // delivery once.
        let satisfied = self.satisfied(&wait);
        let apc_due =
            wait.alertable != Alertable::No && self.k.thread(t).deliverable().next().is_some();
        let timed_out = wait.deadline.is_some_and(|d| d <= self.k.now());
        self.k.thread_mut(t).frames.push(Frame::Wait(wait));
        if let Some(i) = satisfied {
            return Call::Done(self.end_wait(t, Outcome::Satisfied(i)));
        }
        if timed_out && !apc_due {
            return Call::Done(self.end_wait(t, Outcome::Timeout));
        }
        Call::Blocked
    }

    /// A blocking Winsock call must wait: checks the undefined case first ("Issuing
    /// another blocking Winsock call inside an APC that interrupted an ongoing blocking
    /// Winsock call on the same thread will lead to undefined behavior": the model
    /// answers `WSAEINPROGRESS` and records a contract report), then waits alertably
    /// (`wine-facts.md` C8).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn block_on_op(
        &mut self,
        t: ThreadId,
        api: &'static str,
        provider: usize,
        s: SocketRef,
        resume: Resume,
        deadline: Option<Instant>,
        fail: i64,
    ) -> Call {
        let op = self
            .k
            .thread_mut(t)
            .blocking_op
            .take()
            .expect("a provider that pends a blocking call starts an operation");
        if self.k.thread(t).in_apc_within_blocking_call() {
            self.k
                .contract(t, crate::kernel::rules::NESTED_BLOCKING_CALL);
            self.providers[provider].cancel_op(&mut self.k, s, op, WsaError::WSAEINPROGRESS);
            self.k.take_op(op);
            return self.finish(t, api, Err(WsaError::WSAEINPROGRESS), fail);
        }
        self.block(
            t,
            Wait {
                api,
                on: WaitFor::Op(op),
                deadline,
                alertable: Alertable::RunAndContinue,
                resume,
                apcs_ran: false,
                cancelled: false,
                winsock_blocking: true,
            },
        )
    }

    // ----- driving threads ---------------------------------------------------------------

    /// Drives waiting thread `t`: its call's result, an APC to run, or still waiting.
    ///
    /// The order follows NT's waits: an object already signalled satisfies the wait
    /// without running APCs (`wine-facts.md` C8: "it does not run if the call completes
    /// synchronously"); otherwise, in an alertable wait, queued APCs run first, all of
    /// them ("All waiting completion routines are called before the alertable thread's
    /// wait is satisfied with a return code of WSA_IO_COMPLETION", WSASend Remarks);
    /// then the time-out.
    ///
    /// # Panics
    /// If `t` is not waiting.
    pub fn poll_thread(&mut self, t: ThreadId) -> Poll {
        let w = self
            .k
            .thread(t)
            .current_wait()
            .expect("poll_thread on a thread that is not waiting")
            .clone();
        if w.cancelled {
            return Poll::Done(self.end_wait(t, Outcome::Cancelled));
        }
        if !w.apcs_ran || w.alertable == Alertable::RunAndContinue {
            if let Some(i) = self.satisfied(&w) {
                return Poll::Done(self.end_wait(t, Outcome::Satisfied(i)));
            }
        }
        if w.alertable != Alertable::No {
            if let Some(apc) = self.next_apc(t) {
                let th = self.k.thread_mut(t);
                th.current_wait_mut().expect("waiting").apcs_ran = true;
                th.frames.push(Frame::Apc {
                    socket: apc.socket(),
                    seq: apc.seq,
                });
                self.k.trace(Record::Apc {
                    thread: t.0,
                    what: "delivered",
                    kind: apc.kind_name(),
                    target: apc.target(),
                });
                // A provider's own APC function (WPUQueueApc): the switch runs it here;
                // the client routine it invokes runs inside this APC frame.
                if let ApcKind::Provider { func, context, .. } = apc.kind {
                    if let Some(&p) = self.k.spi.apc_fns.get(&func.0) {
                        if let Some(routine) = self.run_provider_apc(t, p, func, context) {
                            return Poll::RunApc(Apc {
                                seq: apc.seq,
                                kind: routine,
                            });
                        }
                        self.apc_done(t);
                        return self.poll_thread(t);
                    }
                }
                if let ApcKind::CompletionRoutine { op, socket, .. } = apc.kind {
                    self.k.trace(Record::Op {
                        op,
                        socket,
                        event: OpEvent::Delivered,
                        a: u64::from(t.0),
                        b: 0,
                    });
                }
                return Poll::RunApc(apc);
            }
            if w.apcs_ran && w.alertable == Alertable::ReturnIoCompletion {
                return Poll::Done(self.end_wait(t, Outcome::IoCompletion));
            }
        }
        if w.deadline.is_some_and(|d| d <= self.k.now()) {
            return Poll::Done(self.end_wait(t, Outcome::Timeout));
        }
        Poll::Blocked {
            deadline: w.deadline,
        }
    }

    /// Runs provider `p`'s own APC function on `t` (inside the `Frame::Apc` already
    /// pushed). If it invoked the client's routine, returns that routine's APC for the
    /// embedder to run: the same arguments, in the same alertable wait, under the same
    /// non-nesting rule as a base provider's routine.
    fn run_provider_apc(
        &mut self,
        t: ThreadId,
        p: usize,
        func: Ptr,
        context: u64,
    ) -> Option<ApcKind> {
        self.k.spi.apc_thread = Some(t);
        self.k.spi.routine_call = None;
        self.providers[p].run_apc(&mut self.k, t, func, context);
        self.k.spi.apc_thread = None;
        let call = self.k.spi.routine_call.take()?;
        // "However, for a given socket, I/O completion routines cannot be nested."
        let th = self.k.thread_mut(t);
        let outer = th.frames.len().saturating_sub(1);
        let nested = th.frames[..outer]
            .iter()
            .any(|f| matches!(f, Frame::Apc { socket: Some(s), .. } if *s == call.socket));
        if let Some(Frame::Apc { socket, .. }) = th.frames.last_mut() {
            *socket = Some(call.socket);
        }
        if nested {
            self.k
                .contract(t, crate::provider::spi::rules::ROUTINES_NESTED);
        }
        self.k.trace(Record::Op {
            op: call.op,
            socket: call.socket,
            event: OpEvent::Delivered,
            a: u64::from(t.0),
            b: 0,
        });
        Some(ApcKind::CompletionRoutine {
            routine: call.routine,
            error: call.error,
            bytes: call.bytes,
            overlapped: call.ov,
            flags: call.flags,
            socket: call.socket,
            op: call.op,
        })
    }

    /// Stacks `layer` on the provider that serves `scope` (the base provider for
    /// [`LayerScope::NewSockets`]): sockets created afterwards in the scope go through
    /// the layer's `WSPSend`. Returns the stack's index. Layers stack: installing a
    /// second one puts it above the first.
    pub fn install_layered_provider(
        &mut self,
        layer: Box<dyn crate::provider::layered::Layer>,
        scope: crate::provider::layered::LayerScope,
    ) -> usize {
        use crate::provider::layered::{LayerScope, LayeredStack};
        let p = match scope {
            LayerScope::NewSockets => 0,
            LayerScope::Protocol { af, ty, protocol } => (0..self.providers.len())
                .find(|&i| self.providers[i].supports(af, ty, protocol))
                .unwrap_or(0),
        };
        let apc_fn = self.provider_code(p);
        let lower = self.providers.remove(p);
        self.providers.insert(
            p,
            Box::new(LayeredStack::new(layer, lower, p, scope, apc_fn)),
        );
        p
    }

    /// Installs the Windows Sockets Direct switch with `san` underneath, over the
    /// provider of IPv4 stream sockets: connections created afterwards between hosts
    /// joined by a SAN link ([`crate::net::Network::set_san_link`]) use the SAN
    /// provider, every other socket TCP/IP. `always_poll`: the switch sets the low bit
    /// of `hEvent` on every request and polls `WSPGetOverlappedResult`. Returns the log
    /// the provider and the switch keep.
    pub fn install_san_switch(
        &mut self,
        san: crate::provider::san::SanProvider,
        always_poll: bool,
    ) -> crate::provider::san::SanLogHandle {
        self.install_san_service(Box::new(san), always_poll).1
    }

    /// [`World::install_san_switch`] with any SAN provider (a C SAN provider loaded by
    /// the C ABI implements [`crate::provider::san::SanService`] over its `WSPSend`).
    /// Returns the switch's index among the providers and the log.
    pub fn install_san_service(
        &mut self,
        san: Box<dyn crate::provider::san::SanService>,
        always_poll: bool,
    ) -> (usize, crate::provider::san::SanLogHandle) {
        use crate::consts::{AF_INET, SOCK_STREAM};
        use crate::provider::layered::LayerScope;
        let switch = crate::provider::san::SanSwitch::new(san, always_poll);
        let log = switch.log();
        let p = self.install_layered_provider(
            Box::new(switch),
            LayerScope::Protocol {
                af: AF_INET,
                ty: SOCK_STREAM,
                protocol: 0,
            },
        );
        (p, log)
    }

    /// `HANDLE WSPRegisterMemory(SOCKET s, PVOID lpBuffer, DWORD dwBufferLength, DWORD
    /// dwFlags, LPINT lpErrno)` of `s`'s SAN provider, as the switch calls it: the
    /// handle, or 0 with the code at `lp_errno` (`WSAEOPNOTSUPP` without a SAN
    /// provider, `WSAENOTSOCK` for a handle that is not a socket).
    pub fn san_register_memory(
        &mut self,
        s: SOCKET,
        lp_buffer: Ptr,
        dw_buffer_length: u32,
        dw_flags: u32,
        lp_errno: &mut i32,
    ) -> u64 {
        let Ok((p, r, _)) = self.socket_ref(s) else {
            *lp_errno = WsaError::WSAENOTSOCK.0 as i32;
            return 0;
        };
        match self.providers[p].register_memory(
            &mut self.k,
            r,
            lp_buffer,
            dw_buffer_length,
            dw_flags,
        ) {
            Ok(h) => h,
            Err(e) => {
                *lp_errno = e.0 as i32;
                0
            }
        }
    }

    /// `int WSPDeregisterMemory(SOCKET s, HANDLE handle, LPINT lpErrno)` of `s`'s SAN
    /// provider.
    pub fn san_deregister_memory(&mut self, s: SOCKET, handle: u64, lp_errno: &mut i32) -> i32 {
        let Ok((p, r, _)) = self.socket_ref(s) else {
            *lp_errno = WsaError::WSAENOTSOCK.0 as i32;
            return SOCKET_ERROR;
        };
        match self.providers[p].deregister_memory(&mut self.k, r, handle) {
            Ok(()) => 0,
            Err(e) => {
                *lp_errno = e.0 as i32;
                SOCKET_ERROR
            }
        }
    }

    /// The SAN provider's `WSPSend` for `s`, called directly (as the switch would, but
    /// with whatever arguments the test gives), with the switch's checks on the result.
    /// `WSAEOPNOTSUPP` when `s` has no SAN provider.
    #[allow(clippy::too_many_arguments)]
    pub fn san_wsp_send(
        &mut self,
        t: ThreadId,
        s: SOCKET,
        lp_buffers: &[crate::memory::WsaBuf],
        lp_number_of_bytes_sent: &mut u32,
        dw_flags: u32,
        lp_overlapped: Ptr,
        lp_completion_routine: Ptr,
        lp_errno: &mut i32,
    ) -> i32 {
        let Ok((p, r, _)) = self.socket_ref(s) else {
            *lp_errno = WsaError::WSAENOTSOCK.0 as i32;
            return SOCKET_ERROR;
        };
        let tid = crate::provider::WsaThreadId::of(&self.k, t);
        match self.providers[p].san_wsp_send(
            &mut self.k,
            r,
            lp_buffers,
            lp_number_of_bytes_sent,
            dw_flags,
            lp_overlapped,
            lp_completion_routine,
            &tid,
            lp_errno,
        ) {
            Some(rc) => rc,
            None => {
                *lp_errno = WsaError::WSAEOPNOTSUPP.0 as i32;
                SOCKET_ERROR
            }
        }
    }

    /// A code address for provider `p`'s own APC function. The switch runs these
    /// itself, so they live outside the application's address space.
    pub(crate) fn provider_code(&mut self, p: usize) -> Ptr {
        let spi = &mut self.k.spi;
        spi.next_code += 1;
        let f = Ptr(0xFFFF_F000_0000_0000 + spi.next_code * 16);
        spi.apc_fns.insert(f.0, p);
        f
    }

    /// The SPI client's view: calls the `WSPSend` of `s`'s provider directly, with no
    /// switch validation in front, for tests of provider semantics. Returns 0 or
    /// `SOCKET_ERROR` with the code in `lp_errno`; `lp_number_of_bytes_sent` is written
    /// only on 0. `WSAENOTSOCK` for a handle that is not a socket.
    #[allow(clippy::too_many_arguments)]
    pub fn spi_send(
        &mut self,
        t: ThreadId,
        s: SOCKET,
        lp_buffers: &[crate::memory::WsaBuf],
        lp_number_of_bytes_sent: &mut u32,
        dw_flags: u32,
        lp_overlapped: Ptr,
        lp_completion_routine: Ptr,
        lp_errno: &mut i32,
    ) -> i32 {
        let Ok((p, r, _)) = self.socket_ref(s) else {
            *lp_errno = WsaError::WSAENOTSOCK.0 as i32;
            return SOCKET_ERROR;
        };
        let tid = crate::provider::WsaThreadId::of(&self.k, t);
        self.providers[p].wsp_send(
            &mut self.k,
            r,
            lp_buffers,
            lp_buffers.len() as u32,
            lp_number_of_bytes_sent,
            dw_flags,
            lp_overlapped,
            lp_completion_routine,
            &tid,
            lp_errno,
        )
    }

    /// The upcall table, as the base provider (index 0) would use it: for tests of the
    /// upcalls themselves.
    pub fn upcalls(&mut self) -> crate::provider::Upcalls<'_> {
        crate::provider::Upcalls::new(&mut self.k, 0)
    }

    /// The upcall table of provider `p` (its index in the switch's list, as
    /// [`World::install_layered_provider`] returns it).
    pub fn upcalls_for(&mut self, p: usize) -> crate::provider::Upcalls<'_> {
        crate::provider::Upcalls::new(&mut self.k, p)
    }

    /// The `WSATHREADID` the switch passes for calls made on `t`.
    pub fn thread_id_of(&self, t: ThreadId) -> crate::provider::WsaThreadId {
        crate::provider::WsaThreadId::of(&self.k, t)
    }

    /// Calls provider `p`'s `WSPSend` the way the switch does: with a `WSATHREADID` for
    /// `t`, and the result folded back into a `Result`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn dispatch_wsp_send(
        &mut self,
        p: usize,
        r: SocketRef,
        bufs: &[crate::memory::WsaBuf],
        flags: u32,
        ov: Ptr,
        routine: Ptr,
        t: ThreadId,
    ) -> Result<u32, WsaError> {
        let tid = crate::provider::WsaThreadId::of(&self.k, t);
        let (mut sent, mut errno) = (0u32, 0i32);
        let rc = self.providers[p].wsp_send(
            &mut self.k,
            r,
            bufs,
            bufs.len() as u32,
            &mut sent,
            flags,
            ov,
            routine,
            &tid,
            &mut errno,
        );
        if rc == 0 {
            Ok(sent)
        } else {
            Err(WsaError(errno as u32))
        }
    }

    /// Whether `t` can make progress now (its wait would end or an APC would run).
    pub fn is_ready(&self, t: ThreadId) -> bool {
        let th = self.k.thread(t);
        let Some(w) = th.current_wait() else {
            return th.exit_code.is_none();
        };
        if w.cancelled
            || ((!w.apcs_ran || w.alertable == Alertable::RunAndContinue)
                && self.satisfied(w).is_some())
        {
            return true;
        }
        if w.alertable != Alertable::No
            && (th.deliverable().next().is_some()
                || w.apcs_ran && w.alertable == Alertable::ReturnIoCompletion)
        {
            return true;
        }
        w.deadline.is_some_and(|d| d <= self.k.now())
    }

    /// The APC an alertable wait runs next: the first deliverable one, except that in the
    /// documented profile the order among queued completion routines is a choice ("The
    /// completion routines can be called in any order").
    fn next_apc(&mut self, t: ThreadId) -> Option<Apc> {
        let th = self.k.thread(t);
        let candidates: Vec<usize> = th.deliverable().collect();
        let first = *candidates.first()?;
        let mut pick = first;
        if self.k.profile() == Profile::Documented && th.apcs[first].is_completion() {
            let routines: Vec<usize> = candidates
                .iter()
                .copied()
                .filter(|&i| th.apcs[i].is_completion())
                .collect();
            if routines.len() > 1 {
                pick = routines[self
                    .k
                    .choose(ChoiceKind::RoutineOrder, routines.len() as u64)
                    as usize];
            }
        }
        self.k.thread_mut(t).apcs.remove(pick)
    }

    /// Ends the APC `t` is running (the embedder ran it).
    ///
    /// # Panics
    /// If `t` is not running an APC.
    pub fn apc_done(&mut self, t: ThreadId) {
        let th = self.k.thread_mut(t);
        match th.frames.pop() {
            Some(Frame::Apc { seq, .. }) => {
                self.k.trace(Record::Apc {
                    thread: t.0,
                    what: "returned",
                    kind: "apc",
                    target: seq,
                });
            }
            other => panic!("apc_done on a thread not running an APC: {other:?}"),
        }
    }

    fn satisfied(&self, w: &Wait) -> Option<u32> {
        match &w.on {
            WaitFor::Nothing => None,
            WaitFor::Op(id) => match self.k.op(*id) {
                Some(op) if op.is_pending() => None,
                _ => Some(0),
            },
            WaitFor::Handles { handles, all } => {
                if *all {
                    handles
                        .iter()
                        .all(|&h| self.k.is_signaled(h) == Some(true))
                        .then_some(0)
                } else {
                    handles
                        .iter()
                        .position(|&h| self.k.is_signaled(h) == Some(true))
                        .map(|i| i as u32)
                }
            }
        }
    }

    fn end_wait(&mut self, t: ThreadId, outcome: Outcome) -> i64 {
        let w = match self.k.thread_mut(t).frames.pop() {
            Some(Frame::Wait(w)) => w,
            other => panic!("end_wait without a wait: {other:?}"),
        };
        if let (Outcome::Satisfied(i), WaitFor::Handles { handles, all }) = (outcome, &w.on) {
            if *all {
                for &h in handles {
                    self.k.consume_signal(h);
                }
            } else {
                self.k.consume_signal(handles[i as usize]);
            }
        }
        let call = self.resume(t, &w, outcome);
        match call {
            Call::Done(v) => v,
            Call::Blocked => unreachable!("a resumed call returns"),
        }
    }

    // ----- time --------------------------------------------------------------------------

    /// When something next happens on its own: a delivery, a provider timer, a wait's
    /// deadline or a scheduled fault. `None` when nothing ever will.
    pub fn next_event(&self) -> Option<Instant> {
        let mut next = self.providers.iter().filter_map(|p| p.poll_at()).min();
        let mut consider = |t: Instant| next = Some(next.map_or(t, |n: Instant| n.min(t)));
        for th in self.k.threads.values() {
            for f in &th.frames {
                if let Frame::Wait(Wait {
                    deadline: Some(d), ..
                }) = f
                {
                    consider(*d);
                }
            }
        }
        if let Some((&(at, _), _)) = self.faults.iter().next() {
            consider(at);
        }
        next
    }

    /// Processes everything due now (deliveries, faults) without moving the clock.
    pub fn settle(&mut self) {
        let now = self.k.now();
        while let Some(entry) = self.faults.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let Scheduled { fault } = entry.remove();
            self.inject(fault);
        }
        for i in 0..self.providers.len() {
            if self.providers[i].poll_at().is_some_and(|at| at <= now) {
                self.providers[i].advance(&mut self.k);
            }
        }
    }

    /// Moves the clock to the next event and processes it. Returns false when nothing
    /// will ever happen again (every waiting thread is then deadlocked).
    pub fn step(&mut self) -> bool {
        let Some(at) = self.next_event() else {
            // Nothing will ever happen again: a request a provider still holds will
            // never have its completion indicated.
            crate::provider::spi::report_never_completed(&mut self.k);
            return false;
        };
        if at > self.k.now() {
            self.k.clock.advance_to(at);
            self.k.trace(Record::World {
                what: "clock",
                value: at.as_nanos(),
            });
        }
        self.settle();
        true
    }

    // ----- faults ------------------------------------------------------------------------

    /// Applies a fault now. Returns false when no provider recognises its target.
    pub fn inject(&mut self, fault: ProviderFault) -> bool {
        let mut applied = false;
        for p in &mut self.providers {
            applied |= p.inject(&mut self.k, fault);
        }
        applied
    }

    /// Applies a fault at virtual time `at`.
    pub fn schedule_fault(&mut self, at: Instant, fault: ProviderFault) {
        let seq = self.fault_seq;
        self.fault_seq += 1;
        self.faults.insert((at, seq), Scheduled { fault });
    }

    /// The [`SocketRef`] of `s`, for fault rules that target a socket.
    pub fn socket_target(&self, s: SOCKET) -> Option<SocketRef> {
        self.socket_ref(s).ok().map(|(_, r, _)| r)
    }

    /// The live socket handles, in handle-table order (scenario faults aimed at a
    /// program's sockets enumerate them).
    pub fn sockets(&self) -> Vec<SOCKET> {
        self.k
            .handles
            .iter()
            .filter(|(_, o)| matches!(o, Object::Socket(_)))
            .map(|(h, _)| h)
            .collect()
    }

    /// Marks thread `t` as the simulator's own (a scenario's scripted peer), not the
    /// program's: the sockets it creates from now on, and the connections its
    /// listening sockets accept, are harness sockets ([`World::is_harness_socket`]).
    pub fn mark_harness_thread(&mut self, t: ThreadId) {
        self.k.thread_mut(t).harness = true;
    }

    /// Whether `s` is a live socket made by a harness thread
    /// ([`World::mark_harness_thread`]) or accepted on one of its listening sockets.
    pub fn is_harness_socket(&self, s: SOCKET) -> bool {
        self.k.socket_entry(s).is_some_and(|e| e.harness)
    }

    /// The address the live socket `s` is connected to, if it is connected (no call:
    /// nothing traced, no last error set).
    pub fn socket_peer(&self, s: SOCKET) -> Option<crate::net::SockAddr> {
        let (p, r, _) = self.socket_ref(s).ok()?;
        self.providers[p].peer_name(&self.k, r).ok()
    }

    /// Whether `h` is a live handle of any kind.
    pub fn is_handle(&self, h: HANDLE) -> bool {
        self.k.handles.get(h).is_some()
    }

    /// Whether `h` is a socket handle.
    pub fn is_socket(&self, h: HANDLE) -> bool {
        matches!(self.k.handles.get(h), Some(Object::Socket(_)))
    }

    /// Reads a `WSAOVERLAPPED`'s `Internal` (test convenience).
    pub fn overlapped_internal(&self, ov: Ptr) -> Option<u64> {
        use crate::memory::UserMemoryExt;
        self.k.mem().read_u64(ov).ok()
    }
}
