//! # wsasim-core: a deterministic model of Winsock
//!
//! Sockets, transport buffers, overlapped operations, events, APC queues and service
//! providers, reproducing the documented semantics and error codes of `WSASend` (and the
//! calls around it) without an operating system underneath: no clock, no entropy, no
//! sockets, no threads. A run is a function of its [`Config`] (seed and profile) and of
//! the calls made.
//!
//! Start at [`World`]: it holds the kernel objects and the providers, and its methods
//! are the Winsock API, one per function, with the calling thread first and pointers as
//! addresses in the application's memory ([`memory`]). Calls that would block return
//! [`Call::Blocked`]; [`World::poll_thread`] and [`World::step`] drive them. The
//! [`harness`] module drives a world from a single-threaded test.
//!
//! Layers, top to bottom (see `docs/architecture.md`):
//! `ws2` (the switch) → [`provider`] (`WSPSend` and friends) → [`kernel`] (handles,
//! threads, APCs, events, [`overlapped`] operations) → the base provider's transport →
//! [`net`] (hosts, links) → [`time`], [`rng`], [`choice`], [`trace`].

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]

pub mod apc;
pub mod choice;
pub mod config;
pub mod consts;
pub mod error;
pub mod event;
pub mod handle;
pub mod harness;
pub mod iocp;
pub mod kernel;
pub mod memory;
pub mod msg;
pub mod net;
pub mod overlapped;
pub mod provider;
pub mod rng;
mod seqmap;
pub mod status;
pub mod thread;
pub mod time;
pub mod trace;
mod world;
mod ws2;

pub use config::{Config, Profile, Ratio};
pub use error::WsaError;
pub use memory::{Ptr, SimMemory, UserMemory, WsaBuf};
pub use provider::ProviderFault;
pub use status::NtStatus;
pub use thread::ThreadId;
pub use world::{Call, Poll, World};
pub use ws2::{EXT_FN_WSARECVMSG, EXT_FN_WSASENDMSG};
