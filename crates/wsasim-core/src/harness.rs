//! A single-threaded driver for a [`World`]: tests and the demo call the Winsock API on
//! simulated threads from one OS thread, and [`Harness::run`] drives a blocked call to
//! its end, running completion routines and APCs (Rust closures registered as code
//! addresses) and moving virtual time when nothing else can happen.
//!
//! The runtime issue replaces this with real threads under a seeded scheduler; the
//! model underneath is the same.

use crate::apc::{Apc, ApcKind};
use crate::config::Config;
use crate::memory::Ptr;
use crate::thread::ThreadId;
use crate::world::{Call, Poll, World};
use std::collections::BTreeMap;
use std::ops::{Deref, DerefMut};

/// A completion routine: `(harness, thread, dwError, cbTransferred, lpOverlapped,
/// dwFlags)`.
pub type Routine = Box<dyn FnMut(&mut Harness, ThreadId, u32, u32, Ptr, u32)>;
/// A user APC (`QueueUserAPC`): `(harness, thread, dwParam)`.
pub type UserApc = Box<dyn FnMut(&mut Harness, ThreadId, u64)>;

enum Callback {
    Routine(Routine),
    User(UserApc),
}

/// Why [`Harness::run`] could not finish a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stuck {
    /// Nothing can ever wake the thread: it waits in `api` forever.
    Deadlock {
        /// The thread.
        thread: ThreadId,
        /// The call it is blocked in.
        api: &'static str,
    },
    /// The step bound ran out (a livelock guard).
    Livelock {
        /// The thread.
        thread: ThreadId,
    },
}

/// A world plus the Rust callbacks behind its code addresses.
pub struct Harness {
    /// The world.
    pub world: World,
    callbacks: BTreeMap<u64, Option<Callback>>,
    /// APCs that ran, in order (thread, APC), for assertions.
    pub delivered: Vec<(ThreadId, Apc)>,
}

impl core::fmt::Debug for Harness {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Harness")
            .field("world", &self.world)
            .field("callbacks", &self.callbacks.len())
            .finish()
    }
}

impl Deref for Harness {
    type Target = World;
    fn deref(&self) -> &World {
        &self.world
    }
}

impl DerefMut for Harness {
    fn deref_mut(&mut self) -> &mut World {
        &mut self.world
    }
}

/// Most steps [`Harness::run`] takes for one call before it calls it a livelock.
pub const RUN_STEPS_MAX: u64 = 10_000_000;

impl Harness {
    /// A harness over a new world.
    pub fn new(config: Config) -> Harness {
        Harness {
            world: World::new(config),
            callbacks: BTreeMap::new(),
            delivered: Vec::new(),
        }
    }

    /// Registers a completion routine and returns its code address.
    pub fn routine(
        &mut self,
        f: impl FnMut(&mut Harness, ThreadId, u32, u32, Ptr, u32) + 'static,
    ) -> Ptr {
        let p = self.world.sim().alloc_code();
        self.callbacks
            .insert(p.0, Some(Callback::Routine(Box::new(f))));
        p
    }

    /// Registers an APC function (`PAPCFUNC`) and returns its code address.
    pub fn apc_fn(&mut self, f: impl FnMut(&mut Harness, ThreadId, u64) + 'static) -> Ptr {
        let p = self.world.sim().alloc_code();
        self.callbacks
            .insert(p.0, Some(Callback::User(Box::new(f))));
        p
    }

    /// Finishes `call` made by thread `t`: returns its value, driving the thread (and
    /// time) while it waits.
    pub fn run(&mut self, t: ThreadId, call: Call) -> Result<i64, Stuck> {
        if let Call::Done(v) = call {
            return Ok(v);
        }
        for _ in 0..RUN_STEPS_MAX {
            match self.world.poll_thread(t) {
                Poll::Done(v) => return Ok(v),
                Poll::RunApc(apc) => self.run_apc(t, apc),
                Poll::Blocked { .. } => {
                    if !self.world.step() {
                        let api = self.world.k.thread(t).current_wait().map_or("?", |w| w.api);
                        return Err(Stuck::Deadlock { thread: t, api });
                    }
                }
            }
        }
        Err(Stuck::Livelock { thread: t })
    }

    /// Like [`Harness::run`], panicking if the call cannot finish.
    #[track_caller]
    pub fn done(&mut self, t: ThreadId, call: Call) -> i64 {
        match self.run(t, call) {
            Ok(v) => v,
            Err(e) => panic!("call did not finish: {e:?}"),
        }
    }

    fn run_apc(&mut self, t: ThreadId, apc: Apc) {
        self.delivered.push((t, apc));
        let func = match apc.kind {
            ApcKind::CompletionRoutine { routine, .. } => routine,
            ApcKind::User { func, .. } | ApcKind::Provider { func, .. } => func,
        };
        let cb = self.callbacks.get_mut(&func.0).and_then(Option::take);
        match (cb, apc.kind) {
            (
                Some(Callback::Routine(mut f)),
                ApcKind::CompletionRoutine {
                    error,
                    bytes,
                    overlapped,
                    flags,
                    ..
                },
            ) => {
                f(self, t, error, bytes, overlapped, flags);
                self.callbacks.insert(func.0, Some(Callback::Routine(f)));
            }
            (
                Some(Callback::User(mut f)),
                ApcKind::User { param, .. } | ApcKind::Provider { context: param, .. },
            ) => {
                f(self, t, param);
                self.callbacks.insert(func.0, Some(Callback::User(f)));
            }
            (Some(other), _) => {
                self.callbacks.insert(func.0, Some(other));
            }
            // A routine address with no callback behind it (or one already running
            // re-entrantly): nothing to call.
            (None, _) => {}
        }
        self.world.apc_done(t);
    }
}
