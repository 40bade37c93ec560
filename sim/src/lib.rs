//! # wsasim-cli: the `wsasim` command as a library
//!
//! The binary (`src/main.rs`) parses the command line; everything it does is here, so
//! the tests in `sim/tests/` call it directly:
//!
//! - [`demo`]: the built-in demo (the `WSASend` seed's example, with its timeline);
//! - [`exec`]: one run of one seed, of a scenario in this process or of an external
//!   program as a child process, with its verdict;
//! - [`explore`]: many seeds in parallel, sharded, with JSON Lines results and the
//!   coverage of the documented freedoms;
//! - [`shrink`]: a failing run reduced to fewer faults and choices;
//! - [`timeline`]: the terminal timeline and the Chrome trace / Perfetto export;
//! - [`explain`]: what an error code means and where wsasim produces it.
//!
//! Every command and output format: `docs/cli.md`.

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]

pub mod demo;
pub mod exec;
pub mod explain;
pub mod explore;
pub mod shrink;
pub mod timeline;
pub mod wall;
