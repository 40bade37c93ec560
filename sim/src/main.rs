//! `wsasim`: runs simulated Winsock worlds.
//!
//! With no arguments it runs the built-in demo: the `WSASend` seed's example program
//! (a server that sends ten 4 KiB buffers with overlapped `WSASend` and an event) against
//! a client on another simulated host, one millisecond away, and prints the life of each
//! operation and a summary.
//!
//! Options: `--seed N`, `--profile windows|documented`, `--trace FILE` (JSON Lines).

#![forbid(unsafe_code)]

mod demo;

use std::process::ExitCode;
use wsasim_core::Profile;

fn usage() -> ExitCode {
    eprintln!("usage: wsasim [--seed N] [--profile windows|documented] [--trace FILE]");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut seed = 0u64;
    let mut profile = Profile::Windows;
    let mut trace = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--seed" => match args.next().and_then(|v| v.parse().ok()) {
                Some(v) => seed = v,
                None => return usage(),
            },
            "--profile" => match args.next().as_deref().and_then(Profile::from_name) {
                Some(p) => profile = p,
                None => return usage(),
            },
            "--trace" => match args.next() {
                Some(f) => trace = Some(f),
                None => return usage(),
            },
            "-h" | "--help" => {
                usage();
                return ExitCode::SUCCESS;
            }
            _ => return usage(),
        }
    }
    match demo::run(seed, profile) {
        Ok(out) => {
            print!("{}", out.report);
            if let Some(path) = trace {
                if let Err(e) = std::fs::write(&path, out.trace_jsonl) {
                    eprintln!("wsasim: cannot write {path}: {e}");
                    return ExitCode::FAILURE;
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("wsasim: {e}");
            ExitCode::FAILURE
        }
    }
}
