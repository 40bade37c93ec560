//! The terminal timeline of a run (the demo's format, for every socket) and the Chrome
//! trace / Perfetto export, both read from the JSON Lines trace (`docs/trace.md`), so
//! they work the same for in-process runs and for external programs' trace files.

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use wsasim_core::time::Instant;

/// The trace's records, parsed.
pub fn records(trace: &str) -> Vec<Value> {
    trace
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn u(v: &Value, k: &str) -> u64 {
    v.get(k).and_then(Value::as_u64).unwrap_or(0)
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

/// What an `op` record says, in the demo's words.
fn op_words(event: &str, a: u64, b: u64) -> String {
    match event {
        "issued" => format!("issued, {a} bytes"),
        "immediate" => "completed immediately (the call returned 0)".to_string(),
        "pending" => "pending (SOCKET_ERROR, WSA_IO_PENDING)".to_string(),
        "consumed" => format!("transport consumed {a} bytes"),
        "completed" => format!("completed: Internal=0x{a:x}, InternalHigh={b}"),
        "routine_queued" => format!("completion routine queued to thread {a}"),
        "event_signaled" => format!("event 0x{a:x} signalled"),
        "delivered" => format!("completion routine delivered on thread {a}"),
        other => other.to_string(),
    }
}

/// One line per moment of each overlapped operation's life, per fault and per
/// contract report, in virtual time.
pub fn timeline(trace: &str) -> String {
    let mut out = String::from("timeline of the overlapped operations (virtual time)\n");
    for r in records(trace) {
        let at = Instant::from_nanos(u(&r, "t")).to_string();
        match s(&r, "kind") {
            "op" => {
                let _ = writeln!(
                    out,
                    "  {at:>16}  op {:>3}  socket {:<6} {}",
                    u(&r, "op"),
                    u(&r, "socket"),
                    op_words(s(&r, "event"), u(&r, "a"), u(&r, "b"))
                );
            }
            "fault" => {
                let _ = writeln!(
                    out,
                    "  {at:>16}  fault   {} (target {})",
                    s(&r, "fault"),
                    u(&r, "target")
                );
            }
            "contract" => {
                let _ = writeln!(
                    out,
                    "  {at:>16}  CONTRACT thread {}: {}",
                    u(&r, "thread"),
                    s(&r, "rule")
                );
            }
            _ => {}
        }
    }
    out
}

/// Microseconds, as Chrome traces count (`ts`, `dur`), from nanoseconds.
fn us(ns: u64) -> Value {
    json!(ns as f64 / 1000.0)
}

/// The Chrome trace (Trace Event Format, opens in Perfetto and `chrome://tracing`): a
/// track per simulated thread with its API calls as spans and its APC deliveries as
/// instants; under it, tracks of the overlapped operations it issued, a span per
/// operation from issued to completed (lanes so spans never overlap on a track);
/// faults and contract reports as global instants. `names` gives threads a label
/// (`program sender`).
pub fn chrome(trace: &str, names: &BTreeMap<u64, String>) -> String {
    let recs = records(trace);
    let mut events: Vec<Value> = Vec::new();
    let mut threads: BTreeMap<u64, ()> = BTreeMap::new();
    // Open API calls per thread: stack of (api, start).
    let mut calls: BTreeMap<u64, Vec<(String, u64)>> = BTreeMap::new();
    // Operations: id -> (thread, socket, issued at, bytes).
    let mut ops: BTreeMap<u64, (u64, u64, u64, u64)> = BTreeMap::new();
    // Lanes of each thread's operation tracks: when each lane is free again.
    let mut lanes: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    let mut op_spans: Vec<(u64, u64, u64, u64, u64, u64, String)> = Vec::new();
    let mut last_thread = 0u64;
    for r in &recs {
        let t = u(r, "t");
        match s(r, "kind") {
            "call" => {
                let th = u(r, "thread");
                last_thread = th;
                threads.insert(th, ());
                calls
                    .entry(th)
                    .or_default()
                    .push((s(r, "api").to_string(), t));
            }
            "return" => {
                let th = u(r, "thread");
                if let Some((api, start)) = calls.entry(th).or_default().pop() {
                    events.push(json!({
                        "name": api, "cat": "call", "ph": "X", "pid": 1, "tid": th,
                        "ts": us(start), "dur": us(t - start),
                        "args": {"ret": r.get("ret"), "error": r.get("error")},
                    }));
                }
            }
            "op" => {
                let id = u(r, "op");
                match s(r, "event") {
                    "issued" => {
                        ops.insert(id, (last_thread, u(r, "socket"), t, u(r, "a")));
                    }
                    "completed" => {
                        if let Some((th, sock, start, bytes)) = ops.remove(&id) {
                            op_spans.push((
                                th,
                                start,
                                t,
                                id,
                                sock,
                                u(r, "a"),
                                format!("{bytes} bytes requested, {} transferred", u(r, "b")),
                            ));
                        }
                    }
                    _ => {}
                }
            }
            "apc" if s(r, "what") == "delivered" => {
                let th = u(r, "thread");
                threads.insert(th, ());
                events.push(json!({
                    "name": format!("APC delivered ({})", s(r, "apc")), "cat": "apc",
                    "ph": "i", "s": "t", "pid": 1, "tid": th, "ts": us(t),
                    "args": {"target": u(r, "target")},
                }));
            }
            "fault" => events.push(json!({
                "name": format!("fault: {}", s(r, "fault")), "cat": "fault", "ph": "i",
                "s": "g", "pid": 1, "tid": 0, "ts": us(t), "args": {"target": u(r, "target")},
            })),
            "contract" => events.push(json!({
                "name": "contract report", "cat": "contract", "ph": "i", "s": "g",
                "pid": 1, "tid": 0, "ts": us(t),
                "args": {"thread": u(r, "thread"), "rule": s(r, "rule")},
            })),
            _ => {}
        }
    }
    let end = recs.last().map_or(0, |r| u(r, "t"));
    // Operations never completed: open until the end of the trace.
    for (id, (th, sock, start, bytes)) in ops {
        op_spans.push((
            th,
            start,
            end,
            id,
            sock,
            u64::MAX,
            format!("{bytes} bytes requested, never completed"),
        ));
    }
    op_spans.sort_by_key(|o| (o.1, o.3));
    let mut op_tracks: BTreeMap<u64, (u64, usize)> = BTreeMap::new();
    for (th, start, stop, id, sock, status, what) in op_spans {
        let ls = lanes.entry(th).or_default();
        let lane = match ls.iter().position(|&free| free <= start) {
            Some(l) => l,
            None => {
                ls.push(0);
                ls.len() - 1
            }
        };
        // A zero-length span still takes its lane until the next instant.
        ls[lane] = stop.max(start + 1);
        let tid = th * 100 + 1 + lane as u64;
        op_tracks.insert(tid, (th, lane));
        let status = if status == u64::MAX {
            Value::Null
        } else {
            json!(format!("0x{status:x}"))
        };
        events.push(json!({
            "name": format!("op {id}"), "cat": "overlapped", "ph": "X", "pid": 1,
            "tid": tid, "ts": us(start), "dur": us(stop - start),
            "args": {"socket": sock, "status": status, "what": what},
        }));
    }
    let mut meta = vec![json!({"name": "process_name", "ph": "M", "pid": 1,
        "args": {"name": "wsasim"}})];
    for th in threads.keys() {
        let label = names.get(th).map_or(format!("thread {th:#x}"), |n| {
            format!("thread {th:#x} ({n})")
        });
        meta.push(
            json!({"name": "thread_name", "ph": "M", "pid": 1, "tid": th,
            "args": {"name": label}}),
        );
        meta.push(
            json!({"name": "thread_sort_index", "ph": "M", "pid": 1, "tid": th,
            "args": {"sort_index": th * 100}}),
        );
    }
    for (tid, (th, lane)) in &op_tracks {
        meta.push(
            json!({"name": "thread_name", "ph": "M", "pid": 1, "tid": tid,
            "args": {"name": format!("thread {th:#x}: overlapped operations ({})", lane + 1)}}),
        );
        meta.push(
            json!({"name": "thread_sort_index", "ph": "M", "pid": 1, "tid": tid,
            "args": {"sort_index": tid}}),
        );
    }
    meta.push(json!({"name": "thread_name", "ph": "M", "pid": 1, "tid": 0,
        "args": {"name": "faults and contract reports"}}));
    meta.extend(events);
    let doc = json!({"displayTimeUnit": "ns", "traceEvents": meta});
    serde_json::to_string(&doc).expect("a JSON value serialises")
}
