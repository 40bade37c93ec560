//! Blocking hand-off between two simulated threads: thread A signals an event and waits
//! on another; thread B waits on the first and signals the second. Each round trip is two
//! baton passes with a wake-up each. Reported as time per hand-off.
//!
//! Wall-clock timing is fine here: it measures the simulator, not the model.
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::time::{Duration, Instant};
use wsasim_core::{Config, Profile};
use wsasim_runtime::api::*;
use wsasim_runtime::run;

fn ping_pong(round_trips: u64) -> Duration {
    let mut config = Config::new(1, Profile::Windows);
    config.keep_trace = false;
    let start = Instant::now();
    let report = run(config, move || {
        let data = alloc(408);
        WSAStartup(0x0202, data);
        let (ping, pong) = (WSACreateEvent(), WSACreateEvent());
        let ping_arr = alloc_bytes(&ping.to_le_bytes());
        let pong_arr = alloc_bytes(&pong.to_le_bytes());
        let b = CreateThread(move || {
            for _ in 0..round_trips {
                WSAWaitForMultipleEvents(1, ping_arr, TRUE, INFINITE, FALSE);
                WSAResetEvent(ping);
                WSASetEvent(pong);
            }
            0
        });
        for _ in 0..round_trips {
            WSASetEvent(ping);
            WSAWaitForMultipleEvents(1, pong_arr, TRUE, INFINITE, FALSE);
            WSAResetEvent(pong);
        }
        WaitForSingleObject(b, INFINITE);
        0
    });
    assert!(report.success(), "{:?}", report.outcome);
    start.elapsed()
}

fn handoff(c: &mut Criterion) {
    let mut g = c.benchmark_group("runtime");
    g.throughput(Throughput::Elements(2));
    g.measurement_time(Duration::from_secs(5));
    g.bench_function("blocking_handoff_round_trip", |b| {
        b.iter_custom(|iters| ping_pong(iters.max(1)));
    });
    g.finish();
}

criterion_group!(benches, handoff);
criterion_main!(benches);
