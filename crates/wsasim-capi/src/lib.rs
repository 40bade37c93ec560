//! # wsasim-capi: the C ABI of wsasim
//!
//! `libwsasim.so` and `libwsasim.a`, with the Winsock headers in `include/`, let an
//! unmodified Winsock C program build and run on Linux against the simulated Windows:
//!
//! ```text
//! cc prog.c -I crates/wsasim-capi/include -L target/release -lwsasim \
//!    -Wl,-rpath,$PWD/target/release -o prog
//! WSASIM_SEED=7 WSASIM_SCENARIO=world.toml ./prog
//! ```
//!
//! - Every function is exported as `wsasim_<name>` and the headers map the Windows name
//!   to it (`#define WSASend wsasim_WSASend`): nothing here is a symbol the C library
//!   defines, so libc and Rust's own runtime are untouched.
//! - The first call starts the run from the environment and makes the calling thread
//!   the simulated main thread ([`start`]); `CreateThread` makes more.
//! - Pointers reach the model as addresses; it reads and writes them through
//!   [`memory::ProcessMemory`], which probes the process's memory, so a bad pointer is
//!   `WSAEFAULT` rather than a crash.
//! - Completion routines and APC functions are C function pointers, called on the
//!   simulated thread they belong to, in its alertable wait.
//!
//! `docs/c-abi.md` is the user's guide. This is the one crate of the workspace that
//! uses `unsafe`: every block says why it is sound.

#![warn(missing_docs, missing_debug_implementations)]

pub mod datagram;
pub mod iocp;
pub mod kernel32;
pub mod layout;
pub mod memory;
pub mod resolve;
pub mod spi;
pub mod start;
pub mod winsock;
