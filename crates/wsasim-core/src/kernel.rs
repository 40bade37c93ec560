//! The kernel side of the model: the handle table (sockets, events, threads), threads,
//! overlapped operations, the user address space, the clock, the run's choices and the
//! trace. Providers reach it through its upcalls, which mirror the Winsock SPI's:
//! `WPUCreateSocketHandle`, `WPUCloseSocketHandle`, `WPUQueueApc`,
//! `WPUCompleteOverlappedRequest` (SDK `ws2spi`; `windows-semantics.md` §8).

use crate::apc::{Apc, ApcKind};
use crate::choice::{ChoiceKind, Choices};
use crate::config::{Config, Profile};
use crate::consts::{HANDLE, SOCKET};
use crate::error::WsaError;
use crate::event::Event;
use crate::handle::HandleTable;
use crate::memory::{overlapped_layout as ovl, Ptr, UserMemory, UserMemoryExt};
use crate::overlapped::{Notify, Op, OpState};
use crate::seqmap::{SeqMap, SlotMap, VecMap};
use crate::status::NtStatus;
use crate::thread::{Thread, ThreadId};
use crate::time::{Clock, Instant};
use crate::trace::{Args, OpEvent, Record, Trace};
use std::collections::BTreeMap;

/// What a handle refers to.
#[derive(Debug)]
pub enum Object {
    /// A socket, owned by a provider.
    Socket(SocketEntry),
    /// An event object.
    Event(Event),
    /// A thread.
    Thread(ThreadId),
    /// An I/O completion port.
    Port(crate::iocp::CompletionPort),
}

/// The switch's record of a socket handle (`WPUCreateSocketHandle`'s context).
#[derive(Debug, Clone, Copy)]
pub struct SocketEntry {
    /// Index of the provider that owns it.
    pub provider: usize,
    /// The provider's own identifier for the socket (`dwContext`).
    pub context: u64,
    /// Whether the socket has the overlapped attribute (`socket()`, or `WSASocket` with
    /// `WSA_FLAG_OVERLAPPED`).
    pub overlapped: bool,
    /// The socket handle's own signalled state: set when an operation with no event and
    /// no routine completes (`wine-facts.md` O14), reset when one is issued.
    pub signaled: bool,
    /// The completion port and key the socket is associated with, if any.
    pub port: Option<(HANDLE, u64)>,
    /// Whether the socket belongs to the simulator's harness (a scenario's scripted
    /// peer) rather than to the program under test ([`crate::World::mark_harness_socket`]).
    pub harness: bool,
}

/// A breach of a documented contract, seen by the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContractReport {
    /// When.
    pub at: Instant,
    /// Which thread.
    pub thread: ThreadId,
    /// The sentence broken, with its source.
    pub rule: &'static str,
}

/// Contract sentences the kernel checks.
pub mod rules {
    /// WSASend, lpOverlapped.
    pub const OVERLAPPED_REUSED: &str = "\"If multiple I/O operations are simultaneously outstanding, each must reference a separate WSAOVERLAPPED structure.\" (WSASend, Remarks)";
    /// WSASend, lpOverlapped.
    pub const OVERLAPPED_INVALID: &str = "\"The lpOverlapped parameter must be valid for the duration of the overlapped operation.\" (WSASend, Remarks)";
    /// WSASend, blocking call inside an APC.
    pub const NESTED_BLOCKING_CALL: &str = "\"Issuing another blocking Winsock call inside an APC that interrupted an ongoing blocking Winsock call on the same thread will lead to undefined behavior, and must never be attempted by Winsock clients.\" (WSASend, Remarks)";
    /// WSASend, fWait with a routine.
    pub const FWAIT_WITH_ROUTINE: &str = "\"A caller that passes a non-NULL lpCompletionRoutine and later calls WSAGetOverlappedResult for the same overlapped I/O request may not set the fWait parameter for that invocation of WSAGetOverlappedResult to TRUE.\" (WSASend, Remarks)";
    /// WSAWaitForMultipleEvents, duplicate handles.
    pub const DUPLICATE_WAIT_ALL: &str =
        "\"must not contain duplicates if fWaitAll is TRUE\" (WSAWaitForMultipleEvents)";
}

/// The names of call arguments that are pointers into the application's memory.
pub const POINTER_ARGS: &[&str] = &[
    "ov",
    "routine",
    "buf",
    "sent",
    "name",
    "msg",
    "to",
    "from",
    "handles",
    "func",
    "events",
    "wsadata",
    "argp",
    "addr",
    "addrlen",
    "optval",
    "optlen",
    "recvd",
    "flags_ptr",
    "control",
    "bytes_ptr",
];

/// The kernel: everything below the providers.
#[derive(Debug)]
pub struct Kernel {
    pub(crate) config: Config,
    pub(crate) clock: Clock,
    pub(crate) choices: Choices,
    pub(crate) trace: Trace,
    pub(crate) mem: Box<dyn UserMemory>,
    pub(crate) handles: HandleTable<Object>,
    pub(crate) threads: SlotMap<ThreadId, Thread>,
    /// Operations by id (ids come from a counter: a [`SeqMap`], on every send's path).
    pub(crate) ops: SeqMap<u64, Op>,
    /// OVERLAPPED address -> operation, for the pending ones.
    pub(crate) ov_in_flight: VecMap<u64, u64>,
    pub(crate) contract: Vec<ContractReport>,
    /// Set while `WSACleanup` tears sockets down: completions update the OVERLAPPED but
    /// signal nothing ("without setting the event object or invoking the completion
    /// routine", SDK wsacleanup).
    pub(crate) silent: bool,
    /// The switch's SPI bookkeeping: providers' APC functions, watched requests,
    /// layered providers' private requests (`provider/spi.rs`).
    pub(crate) spi: crate::provider::spi::SpiState,
    /// Set when the application's memory is the process's own (C programs): pointer
    /// arguments are traced as aliases in order of first appearance, so address-space
    /// layout randomisation does not change the trace.
    pub(crate) canonical_ptrs: bool,
    ptr_alias: BTreeMap<u64, u64>,
    next_op: u64,
    next_apc: u64,
    next_thread: u32,
}

impl Kernel {
    pub(crate) fn new(config: Config, mem: Box<dyn UserMemory>) -> Kernel {
        Kernel {
            choices: Choices::new(config.seed),
            trace: Trace::new(config.keep_trace),
            config,
            clock: Clock::default(),
            mem,
            handles: HandleTable::default(),
            threads: SlotMap::new(),
            ops: SeqMap::new(),
            ov_in_flight: VecMap::new(),
            contract: Vec::new(),
            silent: false,
            spi: crate::provider::spi::SpiState::default(),
            canonical_ptrs: false,
            ptr_alias: BTreeMap::new(),
            next_op: 1,
            next_apc: 0,
            next_thread: 0,
        }
    }

    /// The current virtual time.
    #[inline]
    pub fn now(&self) -> Instant {
        self.clock.now()
    }

    /// The run's profile.
    #[inline]
    pub fn profile(&self) -> Profile {
        self.config.profile
    }

    /// The run's configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Appends a trace record at the current time.
    #[inline(always)]
    pub fn trace(&mut self, rec: Record) {
        if !self.trace.wanted() {
            // Nobody keeps or listens: the record is counted, never built or moved.
            self.trace.skip();
            return;
        }
        let now = self.clock.now();
        let rec = if self.canonical_ptrs {
            self.canonicalise(rec)
        } else {
            rec
        };
        self.trace.push(now, rec);
    }

    /// The alias of pointer `p` (0 stays 0): its rank among the distinct addresses seen.
    fn alias(&mut self, p: u64) -> u64 {
        if p == 0 {
            return 0;
        }
        let next = self.ptr_alias.len() as u64 + 1;
        *self.ptr_alias.entry(p).or_insert(next)
    }

    /// Replaces the pointer values of a record by their aliases: the arguments named in
    /// [`POINTER_ARGS`], and the function of a user or provider APC.
    fn canonicalise(&mut self, rec: Record) -> Record {
        match rec {
            Record::Call { thread, api, args } => {
                let mut pairs = [("", 0u64); 6];
                let n = args.as_slice().len();
                for (i, &(k, v)) in args.as_slice().iter().enumerate() {
                    pairs[i] = (
                        k,
                        if POINTER_ARGS.contains(&k) {
                            self.alias(v)
                        } else {
                            v
                        },
                    );
                }
                Record::Call {
                    thread,
                    api,
                    args: Args::new(&pairs[..n]),
                }
            }
            Record::Apc {
                thread,
                what,
                kind,
                target,
            } if kind != "completion" => Record::Apc {
                thread,
                what,
                kind,
                target: self.alias(target),
            },
            other => other,
        }
    }

    /// The application's memory.
    pub fn mem(&self) -> &dyn UserMemory {
        &*self.mem
    }

    /// The application's memory, mutably.
    pub fn mem_mut(&mut self) -> &mut dyn UserMemory {
        &mut *self.mem
    }

    /// Records a contract breach (and traces it).
    pub fn contract(&mut self, thread: ThreadId, rule: &'static str) {
        let at = self.now();
        self.contract.push(ContractReport { at, thread, rule });
        self.trace(Record::Contract {
            thread: thread.0,
            rule,
        });
    }

    /// Makes a documented choice (documented profile) and traces it.
    pub fn choose(&mut self, kind: ChoiceKind, options: u64) -> u64 {
        let rec = self.choices.choose(kind, options);
        self.trace(Record::Choice(rec));
        rec.picked
    }

    /// A yes/no documented choice with probability `ratio`, traced.
    pub fn flip(&mut self, kind: ChoiceKind, ratio: crate::config::Ratio) -> bool {
        let (yes, rec) = self.choices.flip(kind, ratio.num, ratio.den);
        self.trace(Record::Choice(rec));
        yes
    }

    // ----- threads -------------------------------------------------------------------

    /// Creates a thread object and returns its id.
    pub(crate) fn create_thread(&mut self) -> ThreadId {
        self.next_thread += 1;
        let id = ThreadId(0x1000 + 4 * self.next_thread);
        let handle = self
            .handles
            .insert(Object::Thread(id))
            .expect("handle table has room for threads");
        self.threads.insert(id, Thread::new(id, handle));
        id
    }

    /// The thread `t`.
    ///
    /// # Panics
    /// If `t` was never created: thread ids come from the model, so that is a bug.
    pub fn thread(&self, t: ThreadId) -> &Thread {
        self.threads
            .get(&t)
            .expect("thread ids come from the model")
    }

    /// The thread `t`, mutably.
    pub fn thread_mut(&mut self, t: ThreadId) -> &mut Thread {
        self.threads
            .get_mut(&t)
            .expect("thread ids come from the model")
    }

    /// Sets `t`'s last error.
    #[inline]
    pub fn set_last_error(&mut self, t: ThreadId, e: WsaError) {
        self.thread_mut(t).last_error = e.0;
    }

    // ----- socket handles (WPUCreateSocketHandle / WPUCloseSocketHandle) --------------

    /// `WPUCreateSocketHandle`: a new socket handle for `provider`'s socket `context`.
    pub fn create_socket_handle(
        &mut self,
        provider: usize,
        context: u64,
        overlapped: bool,
    ) -> Option<SOCKET> {
        self.handles.insert(Object::Socket(SocketEntry {
            provider,
            context,
            overlapped,
            signaled: false,
            port: None,
            harness: false,
        }))
    }

    /// `WPUCloseSocketHandle`: the handle goes stale.
    pub fn close_socket_handle(&mut self, s: SOCKET) {
        let removed = self.handles.remove(s);
        debug_assert!(
            matches!(removed, Some(Object::Socket(_))),
            "closing a handle that is not a socket"
        );
    }

    /// The socket entry behind `s`, if `s` is a live socket handle.
    #[inline]
    pub fn socket_entry(&self, s: SOCKET) -> Option<SocketEntry> {
        match self.handles.get(s) {
            Some(Object::Socket(e)) => Some(*e),
            _ => None,
        }
    }

    /// Marks the live socket `s` as a harness socket ([`SocketEntry::harness`]).
    pub(crate) fn set_socket_harness(&mut self, s: SOCKET) {
        if let Some(Object::Socket(e)) = self.handles.get_mut(s) {
            e.harness = true;
        }
    }

    fn set_socket_signaled(&mut self, s: SOCKET, on: bool) {
        if let Some(Object::Socket(e)) = self.handles.get_mut(s) {
            e.signaled = on;
        }
    }

    // ----- events ----------------------------------------------------------------------

    /// Signals the event `h` (the low bit of an `hEvent` is masked off first). Returns
    /// false if `h` is not an event.
    pub fn set_event(&mut self, h: HANDLE) -> bool {
        match self.handles.get_mut(h & !1) {
            Some(Object::Event(e)) => {
                e.signaled = true;
                true
            }
            _ => false,
        }
    }

    /// Clears the event `h`. Returns false if `h` is not an event.
    pub fn reset_event(&mut self, h: HANDLE) -> bool {
        match self.handles.get_mut(h & !1) {
            Some(Object::Event(e)) => {
                e.signaled = false;
                true
            }
            _ => false,
        }
    }

    /// Whether the waitable object `h` is signalled; `None` if `h` is not waitable.
    pub fn is_signaled(&self, h: HANDLE) -> Option<bool> {
        match self.handles.get(h)? {
            Object::Event(e) => Some(e.signaled),
            Object::Socket(e) => Some(e.signaled),
            Object::Thread(t) => Some(self.threads.get(t).is_some_and(|t| t.exit_code.is_some())),
            // A port "is signalled" while it holds packets (GetQueuedCompletionStatus
            // waits for one).
            Object::Port(p) => Some(!p.packets.is_empty()),
        }
    }

    /// A wait was satisfied by `h`: auto-reset events are cleared.
    pub(crate) fn consume_signal(&mut self, h: HANDLE) {
        if let Some(Object::Event(e)) = self.handles.get_mut(h) {
            if !e.manual_reset {
                e.signaled = false;
            }
        }
    }

    // ----- APCs (WPUQueueApc / QueueUserAPC) -------------------------------------------

    /// Queues an APC to thread `t`. Fails with `ERROR_GEN_FAILURE` if the thread exited:
    /// "QueueUserAPC to a thread being terminated fails with ERROR_GEN_FAILURE (31)".
    pub fn queue_apc(&mut self, t: ThreadId, kind: ApcKind) -> Result<(), WsaError> {
        let seq = self.next_apc;
        self.next_apc += 1;
        let thread = self.threads.get_mut(&t).ok_or(WsaError::WSAEFAULT)?;
        if thread.exit_code.is_some() {
            return Err(WsaError::ERROR_GEN_FAILURE);
        }
        let apc = Apc { seq, kind };
        thread.apcs.push_back(apc);
        self.trace(Record::Apc {
            thread: t.0,
            what: "queued",
            kind: apc.kind_name(),
            target: apc.target(),
        });
        Ok(())
    }

    // ----- operations (WPUCompleteOverlappedRequest) -----------------------------------

    /// Starts an operation on `socket` for thread `t`.
    ///
    /// - With an OVERLAPPED: `Internal` becomes `STATUS_PENDING`; with an event, the event
    ///   is reset ("When an overlapped op pends, the initiating function resets hEvent to
    ///   nonsignaled", SDK `wsagetoverlappedresult`); with neither event nor routine, the
    ///   socket handle's own state is reset.
    /// - Reusing an OVERLAPPED that is still in flight is a contract report.
    pub fn begin_op(
        &mut self,
        socket: SOCKET,
        t: ThreadId,
        ov: Ptr,
        routine: Ptr,
        what: &'static str,
        bytes: u64,
    ) -> Result<u64, WsaError> {
        // wine-facts C6: "Supplying a completion routine on a socket associated with an I/O
        // completion port -> immediate SOCKET_ERROR + WSAEINVAL; routine never called."
        if !routine.is_null() && self.socket_entry(socket).is_some_and(|e| e.port.is_some()) {
            return Err(WsaError::WSAEINVAL);
        }
        // `hEvent` (when no routine is given) and `Internal = STATUS_PENDING`, in one
        // access to the OVERLAPPED (`docs/performance.md`).
        let notify = if ov.is_null() {
            Notify::Internal
        } else {
            let h = self
                .mem
                .begin_overlapped(ov, routine.is_null(), u64::from(NtStatus::PENDING.0))
                .map_err(|_| WsaError::WSAEFAULT)?;
            if !routine.is_null() {
                Notify::Routine(routine)
            } else if h & !1 == 0 {
                Notify::Socket
            } else {
                Notify::Event(h & !1)
            }
        };
        match notify {
            Notify::Event(h) => {
                self.reset_event(h);
            }
            Notify::Socket => self.set_socket_signaled(socket, false),
            Notify::Routine(_) | Notify::Internal => {}
        }
        let id = self.next_op;
        self.next_op += 1;
        if !ov.is_null() {
            if let Some(prev) = self.ov_in_flight.insert(ov.0, id) {
                if self.ops.get(&prev).is_some_and(Op::is_pending) {
                    self.contract(t, rules::OVERLAPPED_REUSED);
                }
            }
        }
        self.ops.insert(
            id,
            Op {
                id,
                socket,
                thread: t,
                ov,
                notify,
                state: OpState::Pending,
                what,
            },
        );
        if ov.is_null() {
            self.thread_mut(t).blocking_op = Some(id);
        }
        self.trace(Record::Op {
            op: id,
            socket,
            event: OpEvent::Issued,
            a: bytes,
            b: 0,
        });
        Ok(id)
    }

    /// The operation `id`, if it is known.
    pub fn op(&self, id: u64) -> Option<&Op> {
        self.ops.get(&id)
    }

    /// Completes operation `id` exactly once (the `WPUCompleteOverlappedRequest` upcall,
    /// or the APC path for a routine): writes `InternalHigh` = bytes then `Internal` =
    /// status into the caller's OVERLAPPED, then signals the event, or the socket handle,
    /// or queues the completion routine to the issuing thread.
    ///
    /// # Panics
    /// If `id` is not a pending operation: an operation completes exactly once.
    pub fn complete_op(&mut self, id: u64, status: NtStatus, bytes: u32, flags: u32, info: u64) {
        let op = self
            .ops
            .get_mut(&id)
            .expect("completing an unknown operation");
        assert!(op.is_pending(), "operation {id} completed twice");
        op.state = OpState::Completed {
            status,
            bytes,
            flags,
            info,
        };
        let op = op.clone();
        self.trace(Record::Op {
            op: id,
            socket: op.socket,
            event: OpEvent::Completed,
            a: u64::from(status.0),
            b: u64::from(bytes),
        });
        if !op.ov.is_null() {
            self.ov_in_flight.remove_if(&op.ov.0, |&v| v == id);
            let ok = self
                .mem
                .write_overlapped_status(op.ov, u64::from(bytes), u64::from(status.0))
                .is_ok();
            if !ok {
                self.contract(op.thread, rules::OVERLAPPED_INVALID);
            }
        }
        // A layered provider's private request: its completion goes to the layer (what a
        // non-IFS LSP collects on its own completion port).
        if let Some(&provider) = self.spi.private_ovs.get(&op.ov.0) {
            if !op.ov.is_null() {
                self.spi
                    .private_done
                    .push_back(crate::provider::spi::PrivateCompletion {
                        provider,
                        ov: op.ov,
                        error: status.to_wsa_exact().0,
                        bytes,
                        flags,
                    });
            }
        }
        if self.silent && op.notify != Notify::Internal {
            self.ops.remove(&id);
            return;
        }
        self.post_packet(&op, status, bytes);
        match op.notify {
            Notify::Event(h) => {
                if self.set_event(h) {
                    self.trace(Record::Op {
                        op: id,
                        socket: op.socket,
                        event: OpEvent::EventSignaled,
                        a: h,
                        b: 0,
                    });
                }
                self.ops.remove(&id);
            }
            Notify::Socket => {
                self.set_socket_signaled(op.socket, true);
                self.ops.remove(&id);
            }
            Notify::Routine(routine) => {
                // C2 (wine-facts): dwError is a Winsock code, cbTransferred the bytes,
                // dwFlags 0.
                let kind = ApcKind::CompletionRoutine {
                    routine,
                    error: status.to_wsa_exact().0,
                    bytes,
                    overlapped: op.ov,
                    flags: 0,
                    socket: op.socket,
                    op: id,
                };
                if self.queue_apc(op.thread, kind).is_ok() {
                    self.trace(Record::Op {
                        op: id,
                        socket: op.socket,
                        event: OpEvent::RoutineQueued,
                        a: u64::from(op.thread.0),
                        b: 0,
                    });
                }
                self.ops.remove(&id);
            }
            // The blocked thread takes the result with `take_op`.
            Notify::Internal => {}
        }
    }

    /// Queues the completion packet of `op` to its socket's completion port, if the
    /// socket has one and the OVERLAPPED's `hEvent` does not have its low-order bit set
    /// ("keeps I/O completion from being queued to the completion port").
    fn post_packet(&mut self, op: &Op, status: NtStatus, bytes: u32) {
        if op.ov.is_null() {
            return;
        }
        let Some((port, key)) = self.socket_entry(op.socket).and_then(|e| e.port) else {
            return;
        };
        let low_bit = self
            .mem
            .read_u64(Ptr(op.ov.0 + ovl::HEVENT))
            .is_ok_and(|h| h & 1 == 1);
        if low_bit {
            return;
        }
        if let Some(Object::Port(p)) = self.handles.get_mut(port) {
            p.packets.push_back(crate::iocp::Packet {
                key,
                overlapped: op.ov,
                bytes,
                status,
            });
            self.trace(Record::World {
                what: "iocp_packet",
                value: op.id,
            });
        }
    }

    /// Takes the result of a completed internal operation.
    pub(crate) fn take_op(&mut self, id: u64) -> Option<OpState> {
        match self.ops.get(&id) {
            Some(op) if !op.is_pending() => self.ops.remove(&id).map(|op| op.state),
            _ => None,
        }
    }

    /// Pending operations on `socket`, in issue order.
    pub fn pending_ops_on(&self, socket: SOCKET) -> Vec<u64> {
        self.ops
            .values()
            .filter(|o| o.socket == socket && o.is_pending())
            .map(|o| o.id)
            .collect()
    }

    /// Marks an operation as having pended (trace only).
    pub fn trace_op(&mut self, id: u64, socket: SOCKET, event: OpEvent, a: u64) {
        self.trace(Record::Op {
            op: id,
            socket,
            event,
            a,
            b: 0,
        });
    }
}
