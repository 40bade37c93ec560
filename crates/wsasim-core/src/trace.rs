//! The structured trace: every API call, state change, operation life event, choice,
//! fault and contract report, with its virtual time.
//!
//! Records are plain data pushed onto a vector (no formatting on the hot path). They are
//! also emitted as `tracing` events (target `wsasim`) for subscribers that want them.
//! [`Trace::to_jsonl`] is the stable serialisation (schema in `docs/trace.md`), and
//! [`Trace::hash`] its FNV-1a hash, which the determinism tests compare across runs.

use crate::choice::ChoiceRecord;
use crate::time::Instant;
use core::fmt::Write as _;

/// Up to six named integer arguments of a call, inline (no allocation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Args {
    len: u8,
    items: [(&'static str, u64); 6],
}

impl Args {
    /// Arguments from name/value pairs (at most six are kept).
    pub fn new(pairs: &[(&'static str, u64)]) -> Args {
        let mut a = Args::default();
        for &p in pairs.iter().take(6) {
            a.items[a.len as usize] = p;
            a.len += 1;
        }
        a
    }
    /// The pairs.
    pub fn as_slice(&self) -> &[(&'static str, u64)] {
        &self.items[..self.len as usize]
    }
}

/// One moment in an overlapped operation's life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpEvent {
    /// The operation was issued with this many bytes.
    Issued,
    /// It completed within the call (the call returns 0).
    Immediate,
    /// It pends (the call returns `WSA_IO_PENDING`).
    Pending,
    /// The transport consumed some of its bytes.
    Consumed,
    /// It completed with a status and a byte count.
    Completed,
    /// Its completion routine was queued to a thread's APC queue.
    RoutineQueued,
    /// Its event was signalled.
    EventSignaled,
    /// Its completion routine ran in an alertable wait.
    Delivered,
}

impl OpEvent {
    fn name(self) -> &'static str {
        match self {
            OpEvent::Issued => "issued",
            OpEvent::Immediate => "immediate",
            OpEvent::Pending => "pending",
            OpEvent::Consumed => "consumed",
            OpEvent::Completed => "completed",
            OpEvent::RoutineQueued => "routine_queued",
            OpEvent::EventSignaled => "event_signaled",
            OpEvent::Delivered => "delivered",
        }
    }
}

/// A trace record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Record {
    /// A thread called an API.
    Call {
        /// Calling thread id.
        thread: u32,
        /// API name, as Winsock spells it.
        api: &'static str,
        /// Arguments that matter.
        args: Args,
    },
    /// An API call returned.
    Return {
        /// Calling thread id.
        thread: u32,
        /// API name.
        api: &'static str,
        /// Return value (sign-extended).
        ret: i64,
        /// The thread's last error after the call.
        error: u32,
    },
    /// A call had to wait.
    Blocked {
        /// Thread id.
        thread: u32,
        /// API name.
        api: &'static str,
        /// What it waits for.
        on: &'static str,
    },
    /// A socket changed state.
    Socket {
        /// The socket.
        socket: u64,
        /// Old state.
        from: &'static str,
        /// New state.
        to: &'static str,
    },
    /// An overlapped operation moved through its life.
    Op {
        /// Operation id (order of issue).
        op: u64,
        /// Its socket.
        socket: u64,
        /// What happened.
        event: OpEvent,
        /// Bytes, status or thread, by event.
        a: u64,
        /// Second value (bytes at completion).
        b: u64,
    },
    /// An APC was queued to, or delivered on, a thread.
    Apc {
        /// Target thread id.
        thread: u32,
        /// `queued`, `delivered` or `returned`.
        what: &'static str,
        /// `completion`, `user` or `provider`.
        kind: &'static str,
        /// The operation or function it carries.
        target: u64,
    },
    /// A documented freedom was chosen.
    Choice(ChoiceRecord),
    /// A fault rule fired.
    Fault {
        /// Which fault.
        what: &'static str,
        /// Its target (socket, host or link).
        target: u64,
    },
    /// The program broke a documented contract; the run goes on as described in
    /// `docs/divergences.md`.
    Contract {
        /// The thread that broke it.
        thread: u32,
        /// The sentence it breaks, with its source.
        rule: &'static str,
    },
    /// Bytes moved on the simulated network.
    Net {
        /// `segment`, `syn`, `synack`, `rst`, `fin`, `datagram`, `drop`,
        /// `icmp_port_unreachable`, `lost`, `ttl_expired`, `unroutable`.
        what: &'static str,
        /// Sending side: a socket handle or the provider's socket id, depending on
        /// `what` (table in `docs/trace.md`); 0 if none.
        from: u64,
        /// Receiving side: a socket handle or the provider's socket id, depending on
        /// `what`; 0 if none.
        to: u64,
        /// Payload bytes.
        bytes: u64,
    },
    /// A world-level event (clock jump, startup).
    World {
        /// What happened.
        what: &'static str,
        /// A value that goes with it.
        value: u64,
    },
}

/// A record with its virtual time and sequence number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Virtual time of the record.
    pub at: Instant,
    /// Position in the trace.
    pub seq: u64,
    /// The record.
    pub rec: Record,
}

/// The run's trace.
#[derive(Debug, Default)]
pub struct Trace {
    keep: bool,
    seq: u64,
    entries: Vec<Entry>,
}

impl Trace {
    /// A trace that keeps its records when `keep`, or only counts them.
    pub fn new(keep: bool) -> Trace {
        Trace {
            keep,
            seq: 0,
            entries: Vec::new(),
        }
    }

    /// Appends a record.
    #[inline]
    pub fn push(&mut self, at: Instant, rec: Record) {
        let seq = self.seq;
        self.seq += 1;
        // When nobody keeps or listens, this is all: the caller's record is never built
        // (benchmarks run with `keep_trace = false`; `docs/performance.md`).
        if self.wanted() {
            self.record(at, seq, rec);
        }
    }

    /// Whether a record pushed now would be kept or listened to. When not, callers
    /// may skip building it and call [`Trace::skip`] instead.
    #[inline(always)]
    pub fn wanted(&self) -> bool {
        self.keep
            || (tracing::Level::TRACE <= tracing::level_filters::STATIC_MAX_LEVEL
                && tracing::Level::TRACE <= tracing::level_filters::LevelFilter::current())
    }

    /// Counts a record that nobody wants, without building it.
    #[inline(always)]
    pub fn skip(&mut self) {
        self.seq += 1;
    }

    #[inline(never)]
    fn record(&mut self, at: Instant, seq: u64, rec: Record) {
        tracing::trace!(target: "wsasim", seq, t = at.as_nanos(), record = ?rec);
        if self.keep {
            self.entries.push(Entry { at, seq, rec });
        }
    }

    /// The records kept so far.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// How many records were pushed (kept or not).
    pub fn len(&self) -> u64 {
        self.seq
    }

    /// Whether no record was pushed.
    pub fn is_empty(&self) -> bool {
        self.seq == 0
    }

    /// The stable JSON Lines serialisation of the kept records (`docs/trace.md`).
    pub fn to_jsonl(&self) -> String {
        let mut out = String::with_capacity(self.entries.len() * 96);
        for e in &self.entries {
            write_entry(&mut out, e);
            out.push('\n');
        }
        out
    }

    /// FNV-1a 64 of [`Trace::to_jsonl`]: equal for equal traces, byte for byte.
    pub fn hash(&self) -> u64 {
        fnv1a(self.to_jsonl().as_bytes())
    }
}

/// FNV-1a, 64 bits: a stable, portable hash.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn write_entry(out: &mut String, e: &Entry) {
    let _ = write!(out, "{{\"t\":{},\"seq\":{},", e.at.as_nanos(), e.seq);
    match e.rec {
        Record::Call { thread, api, args } => {
            let _ = write!(
                out,
                "\"kind\":\"call\",\"thread\":{thread},\"api\":\"{api}\",\"args\":{{"
            );
            for (i, (k, v)) in args.as_slice().iter().enumerate() {
                let sep = if i == 0 { "" } else { "," };
                let _ = write!(out, "{sep}\"{k}\":{v}");
            }
            out.push_str("}}");
        }
        Record::Return {
            thread,
            api,
            ret,
            error,
        } => {
            let _ = write!(
                out,
                "\"kind\":\"return\",\"thread\":{thread},\"api\":\"{api}\",\"ret\":{ret},\"error\":{error}}}"
            );
        }
        Record::Blocked { thread, api, on } => {
            let _ = write!(
                out,
                "\"kind\":\"blocked\",\"thread\":{thread},\"api\":\"{api}\",\"on\":\"{on}\"}}"
            );
        }
        Record::Socket { socket, from, to } => {
            let _ = write!(
                out,
                "\"kind\":\"socket\",\"socket\":{socket},\"from\":\"{from}\",\"to\":\"{to}\"}}"
            );
        }
        Record::Op {
            op,
            socket,
            event,
            a,
            b,
        } => {
            let _ = write!(
                out,
                "\"kind\":\"op\",\"op\":{op},\"socket\":{socket},\"event\":\"{}\",\"a\":{a},\"b\":{b}}}",
                event.name()
            );
        }
        Record::Apc {
            thread,
            what,
            kind,
            target,
        } => {
            let _ = write!(
                out,
                "\"kind\":\"apc\",\"thread\":{thread},\"what\":\"{what}\",\"apc\":\"{kind}\",\"target\":{target}}}"
            );
        }
        Record::Choice(c) => {
            let _ = write!(
                out,
                "\"kind\":\"choice\",\"choice\":\"{}\",\"options\":{},\"picked\":{}}}",
                c.kind.name(),
                c.options,
                c.picked
            );
        }
        Record::Fault { what, target } => {
            let _ = write!(
                out,
                "\"kind\":\"fault\",\"fault\":\"{what}\",\"target\":{target}}}"
            );
        }
        Record::Contract { thread, rule } => {
            out.push_str("\"kind\":\"contract\",");
            let _ = write!(out, "\"thread\":{thread},\"rule\":");
            write_json_str(out, rule);
            out.push('}');
        }
        Record::Net {
            what,
            from,
            to,
            bytes,
        } => {
            let _ = write!(out, "\"kind\":\"net\",\"what\":\"{what}\",\"from\":{from},\"to\":{to},\"bytes\":{bytes}}}");
        }
        Record::World { what, value } => {
            let _ = write!(
                out,
                "\"kind\":\"world\",\"what\":\"{what}\",\"value\":{value}}}"
            );
        }
    }
}

fn write_json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialisation_is_stable() {
        let mut t = Trace::new(true);
        t.push(
            Instant::from_nanos(5),
            Record::Call {
                thread: 4,
                api: "WSASend",
                args: Args::new(&[("s", 8), ("count", 1)]),
            },
        );
        t.push(
            Instant::from_nanos(5),
            Record::Contract {
                thread: 4,
                rule: "say \"no\"",
            },
        );
        assert_eq!(
            t.to_jsonl(),
            "{\"t\":5,\"seq\":0,\"kind\":\"call\",\"thread\":4,\"api\":\"WSASend\",\"args\":{\"s\":8,\"count\":1}}\n\
             {\"t\":5,\"seq\":1,\"kind\":\"contract\",\"thread\":4,\"rule\":\"say \\\"no\\\"\"}\n"
        );
        assert_eq!(t.hash(), fnv1a(t.to_jsonl().as_bytes()));
    }

    #[test]
    fn a_dropped_trace_still_counts() {
        let mut t = Trace::new(false);
        t.push(
            Instant::ZERO,
            Record::World {
                what: "start",
                value: 0,
            },
        );
        assert_eq!(t.len(), 1);
        assert!(t.entries().is_empty());
    }
}
