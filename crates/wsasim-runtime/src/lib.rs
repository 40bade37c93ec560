//! # wsasim-runtime: Winsock for ordinary blocking code, deterministically
//!
//! [`run`] starts a program's main thread on a fresh simulated world. Inside it, the
//! functions of [`api`] are the Winsock API with Winsock's names and arguments
//! (`WSAStartup`, `socket`, `WSASend`, `WSAWaitForMultipleEvents`, `SleepEx`,
//! `CreateThread`, ...); a server blocked in `accept` and a worker in
//! `SleepEx(INFINITE, TRUE)` run as they would on Windows, on real OS threads, but one at
//! a time under a baton passed by a seeded scheduler, in virtual time. The same seed
//! gives the same run, byte for byte; a program that can never finish ends with a
//! deadlock report instead of hanging.
//!
//! ```
//! use wsasim_runtime::{api::*, run};
//! use wsasim_core::{Config, Profile};
//!
//! let report = run(Config::new(1, Profile::Windows), || {
//!     let data = alloc(408);
//!     assert_eq!(WSAStartup(0x0202, data), 0);
//!     let worker = CreateThread(|| SleepEx(INFINITE, TRUE));
//!     // Wake the worker with an APC; it returns WAIT_IO_COMPLETION (192).
//!     QueueUserAPC(apc_fn(|_| {}), worker, 0);
//!     WaitForSingleObject(worker, INFINITE);
//!     let code = alloc(4);
//!     GetExitCodeThread(worker, code);
//!     assert_eq!(read_u32(code), 192);
//!     WSACleanup();
//!     0
//! });
//! assert!(report.success(), "{:?}", report.outcome);
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]

pub mod api;
mod runtime;

pub use runtime::{
    adopt, check_determinism, on_simulated_thread, run, run_with, with_adopted_world, AbnormalEnd,
    AlreadyAdopted, ApcDispatcher, NotASimulatedThread, Outcome, RunReport, STEPS_MAX_DEFAULT,
};
