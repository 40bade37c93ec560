//! `[[program]]`, `[[fault]]`, `[swarm]` and `[expect]`: checked like the rest of the
//! file (unknown keys are errors, every message has the line, the column and the
//! expected form).

use super::{expected, found, line_col, Span, Src, Table, MS_MAX};
use crate::fault::{Fault, FaultKind, Target, TargetKind, When};
use crate::program::{
    Bug, Client, Completion, EchoServer, Endpoint, External, Program, ProgramKind, Protocol,
    Receiver, SendIo, Sender, Step,
};
use crate::{Close, Host, Link, Peer, Role, ScenarioError, LOCAL_HOST};
use toml::de::{DeTable, DeValue};
use wsasim_core::consts::{SD_BOTH, SD_RECEIVE, SD_SEND};
use wsasim_core::net::SockAddr;
use wsasim_core::Ratio;

const ROLE: &str = r#""sender" | "receiver" | "echo-server" | "client""#;
const NAME: &str = r#""<program name>" (not empty, unique)"#;
const PROTOCOL: &str = r#""tcp" | "udp""#;
const COUNT: &str = "<an integer from 1 to 4294967295>";
const SIZE: &str = "<bytes: an integer from 1 to 1073741824>";
const SEND_IO: &str = r#""overlapped" | "blocking" | "nonblocking""#;
const RECV_IO: &str = r#""blocking" | "overlapped""#;
const COMPLETION: &str = r#""event" | "routine""#;
const OUTSTANDING: &str = "<sends in flight: an integer from 1 to 64>";
const BUFSIZE: &str = "<bytes: an integer from 0 to 2147483647>";
const CLOSE: &str = r#""graceful" | "reset""#;
const BUG: &str =
    r#""reuse-overlapped" | "assume-routine-order" | "assume-full-send" | "ignore-io-pending""#;
const EXPECT: &str = "<bytes (TCP) or datagrams (UDP): an integer ≥ 1>";
const MS: &str = "<milliseconds: an integer from 0 to 4294967294>";
const SCRIPT: &str = r#"["connect IP:PORT", "send N", "recv N", "recv-all", "shutdown send|receive|both", "sleep MS", "close"]"#;
const PATH: &str = r#""<path of a program linked to libwsasim>""#;
const ARGS: &str = r#"["<argument>", ...]"#;
const EXIT: &str = "<an exit code: an integer from 0 to 255>";
const ENDPOINT: &str = r#"connect = "IP:PORT" or listen = "IP:PORT""#;

const FAULT_KIND: &str = r#""reset" | "abort" | "network-down" | "keepalive-failure" | "ttl-expired" | "port-unreachable" | "buffer-deadlock" | "too-many-outstanding" | "latency" | "bandwidth" | "loss" | "partition" | "reorder" | "slow-receiver" | "stall-receiver" | "close-pending" | "thread-exit""#;
const RATIO: &str = r#""A/B" (an integer ratio, 0 ≤ A ≤ B, B ≥ 1, e.g. "1/8")"#;
const TIMES: &str = "<most firings: an integer from 1 to 4294967295>";
const LATENCY: &str = "<one-way latency in microseconds: an integer ≥ 0>";
const BANDWIDTH: &str = "<bits per second: an integer ≥ 8>";
const FAULT_COUNT: &str = "<sends affected: an integer from 1 to 4294967295>";

const PROGRAM_KEYS: &[&str] = &["name", "role", "external", "host", "start_ms"];
const SENDER_KEYS: &[&str] = &[
    "connect",
    "listen",
    "protocol",
    "count",
    "size",
    "io",
    "completion",
    "outstanding",
    "sndbuf",
    "close",
    "bug",
];
const RECEIVER_KEYS: &[&str] = &[
    "connect",
    "listen",
    "protocol",
    "expect",
    "read_size",
    "io",
    "rcvbuf",
    "read_delay_ms",
    "timeout_ms",
];
const ECHO_KEYS: &[&str] = &["listen", "accept"];
const CLIENT_KEYS: &[&str] = &["script"];
const EXTERNAL_KEYS: &[&str] = &["args", "expect_exit"];
const FAULT_KEYS: &[&str] = &["kind", "target", "at_ms", "ratio", "times"];
pub(crate) const SWARM_KEYS: &[&str] = &["ratio"];
pub(crate) const EXPECT_KEYS: &[&str] = &["contract"];

fn role_keys(role: &str) -> &'static [&'static str] {
    match role {
        "sender" => SENDER_KEYS,
        "receiver" => RECEIVER_KEYS,
        "echo-server" => ECHO_KEYS,
        "client" => CLIENT_KEYS,
        _ => EXTERNAL_KEYS,
    }
}

/// The extra keys a kind of fault takes (beyond [`FAULT_KEYS`]).
fn fault_keys(kind: FaultKind) -> &'static [&'static str] {
    match kind {
        FaultKind::NetworkDown | FaultKind::StallReceiver | FaultKind::Partition => {
            &["duration_ms"]
        }
        FaultKind::Reorder => &["duration_ms", "latency_us"],
        FaultKind::BufferDeadlock | FaultKind::TooManyOutstanding => &["count"],
        FaultKind::Latency => &["latency_us"],
        FaultKind::Bandwidth => &["bandwidth_bps"],
        FaultKind::Loss => &["loss"],
        FaultKind::SlowReceiver => &["delay_ms"],
        _ => &[],
    }
}

/// `"A/B"`.
pub(crate) fn ratio(text: &str) -> Option<Ratio> {
    let (a, b) = text.split_once('/')?;
    let (a, b): (u32, u32) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
    (b >= 1 && a <= b).then_some(Ratio::new(a, b))
}

impl Table<'_, '_> {
    fn ratio(&self, key: &str) -> Result<Option<Ratio>, ScenarioError> {
        match self.string(key, RATIO)? {
            None => Ok(None),
            Some((text, span)) => ratio(text).map(Some).ok_or_else(|| {
                self.src
                    .err(&span, format!("expected {key} = {RATIO}, found {text:?}"))
            }),
        }
    }

    fn u32_key(&self, key: &str, form: &str, min: i128) -> Result<Option<u32>, ScenarioError> {
        Ok(self
            .int(key, form, min, i128::from(u32::MAX))?
            .map(|n| n as u32))
    }

    fn ms(&self, key: &str) -> Result<Option<u32>, ScenarioError> {
        Ok(self.int(key, MS, 0, MS_MAX)?.map(|n| n as u32))
    }

    fn key_span(&self, key: &str) -> Span {
        self.get(key).map_or(self.span.clone(), |(k, _)| k.span())
    }

    /// An error at `key` saying it belongs elsewhere.
    fn misplaced(&self, key: &str, why: &str) -> ScenarioError {
        self.src.err(&self.key_span(key), why.to_string())
    }
}

/// Where a key of another role belongs (for the unknown-key message).
fn other_role(key: &str) -> Option<String> {
    let roles: [(&str, &[&str]); 5] = [
        ("sender", SENDER_KEYS),
        ("receiver", RECEIVER_KEYS),
        ("echo-server", ECHO_KEYS),
        ("client", CLIENT_KEYS),
        ("external", EXTERNAL_KEYS),
    ];
    let owners: Vec<&str> = roles
        .iter()
        .filter(|(_, keys)| keys.contains(&key))
        .map(|(r, _)| *r)
        .collect();
    (!owners.is_empty()).then(|| format!("{key} is a key of: {}", owners.join(", ")))
}

/// A program's address: `listen` is the wildcard, loopback or one of the host's own;
/// `connect` is not a wildcard; port not 0.
fn endpoint(
    src: &Src<'_>,
    t: &Table<'_, '_>,
    host: &str,
    hosts: &[Host],
    required: bool,
) -> Result<Option<(Endpoint, Span)>, ScenarioError> {
    let form = r#""IP:PORT" (e.g. "127.0.0.1:27015")"#;
    let c = t.string("connect", form)?;
    let l = t.string("listen", form)?;
    let (key, text, span) = match (c, l) {
        (Some(_), Some(_)) => {
            return Err(t.misplaced(
                "listen",
                &format!("connect and listen exclude each other; expected {ENDPOINT}, not both"),
            ))
        }
        (Some((text, span)), None) => ("connect", text, span),
        (None, Some((text, span))) => ("listen", text, span),
        (None, None) if required => {
            return Err(src.err(
                &t.span,
                format!("missing key in {}: expected {ENDPOINT}", t.what),
            ))
        }
        (None, None) => return Ok(None),
    };
    let a = match SockAddr::parse(text) {
        Some(a) if a.port != 0 => a,
        _ => {
            return Err(src.err(&span, format!("expected {key} = {form}, found {text:?}")));
        }
    };
    if key == "connect" {
        if a.ip.is_unspecified() {
            return Err(src.err(
                &span,
                format!("{a} names no host (the wildcard address is for listening); expected connect = {form}"),
            ));
        }
        return Ok(Some((Endpoint::Connect(a), span)));
    }
    let own = hosts
        .iter()
        .find(|h| h.name == host)
        .map_or(&[][..], |h| h.addrs.as_slice());
    if !(a.ip.is_unspecified() || a.ip.is_loopback() || own.contains(&a.ip)) {
        return Err(src.err(
            &span,
            format!(
                "{} is not an address of host {host:?}; expected listen = {form} with the wildcard, a loopback address or one of the host's addrs",
                a.ip
            ),
        ));
    }
    Ok(Some((Endpoint::Listen(a), span)))
}

/// Checks that `(host, addr)` overlaps no listening address seen so far, and records it.
fn listen_once(
    src: &Src<'_>,
    listening: &mut Vec<(String, SockAddr, bool, usize)>,
    host: &str,
    addr: SockAddr,
    udp: bool,
    span: &Span,
) -> Result<(), ScenarioError> {
    let conflict = listening.iter().find(|(h, a, u, _)| {
        h == host
            && *u == udp
            && a.port == addr.port
            && a.ip.family() == addr.ip.family()
            && (a.ip == addr.ip || a.ip.is_unspecified() || addr.ip.is_unspecified())
    });
    if let Some((_, a, _, line)) = conflict {
        return Err(src.err(
            span,
            format!(
                "{addr} overlaps {a}, listened on at line {line} on host {host:?}; expected listen = an address no other program or peer of the host uses"
            ),
        ));
    }
    listening.push((
        host.to_string(),
        addr,
        udp,
        line_col(src.text, span.start).0,
    ));
    Ok(())
}

pub(crate) fn parse_programs(
    src: &Src<'_>,
    tables: &[Table<'_, '_>],
    hosts: &[Host],
    peers: &[Peer],
) -> Result<Vec<Program>, ScenarioError> {
    let names = super::host_names(hosts);
    let mut programs: Vec<Program> = Vec::new();
    // Addresses peers listen on, then programs.
    let mut listening: Vec<(String, SockAddr, bool, usize)> = peers
        .iter()
        .filter_map(|p| match &p.role {
            Role::TcpServer(s) => Some((p.host.clone(), s.listen, false, 0)),
            Role::TcpClient(_) => None,
        })
        .collect();
    for t in tables {
        let role = t.string("role", ROLE)?;
        let external = t.string("external", PATH)?;
        let (role_name, what) = match (role, external.clone()) {
            (Some(_), Some(_)) => {
                return Err(t.misplaced(
                    "external",
                    &format!("role and external exclude each other; expected role = {ROLE} or external = {PATH}, not both"),
                ))
            }
            (None, None) => {
                return Err(src.err(
                    &t.span,
                    format!(
                        "missing key in [[program]]: expected role = {ROLE} or external = {PATH}"
                    ),
                ))
            }
            (None, Some(_)) => ("external", "[[program]] (external)".to_string()),
            (Some((r, span)), None) => {
                if !["sender", "receiver", "echo-server", "client"].contains(&r) {
                    return Err(src.err(&span, format!("expected role = {ROLE}, found {r:?}")));
                }
                (r, format!("[[program]] ({r})"))
            }
        };
        let t = Table {
            src,
            what,
            span: t.span.clone(),
            entries: t.entries.clone(),
        };
        let allowed: Vec<&str> = PROGRAM_KEYS
            .iter()
            .chain(role_keys(role_name))
            .copied()
            .collect();
        t.check_keys(&allowed, other_role)?;
        let (name, name_span) = t.required_string("name", NAME)?;
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(src.err(
                &name_span,
                format!("expected name = {NAME} (no spaces), found {name:?}"),
            ));
        }
        if let Some(p) = programs.iter().find(|p| p.name == name) {
            return Err(src.err(
                &name_span,
                format!(
                    "program {name:?} is already defined at line {}; expected name = {NAME}",
                    p.line
                ),
            ));
        }
        let host = match t.string("host", r#""<name of a [[host]]>""#)? {
            Some((h, span)) if !names.contains(&h) => {
                return Err(super::unknown_host(src, "host", &span, h, hosts))
            }
            Some((h, _)) => h.to_string(),
            None => LOCAL_HOST.to_string(),
        };
        let start_ms = t.ms("start_ms")?.unwrap_or(0);
        let kind = match role_name {
            "sender" => ProgramKind::Sender(parse_sender(src, &t, &host, hosts, &mut listening)?),
            "receiver" => {
                ProgramKind::Receiver(parse_receiver(src, &t, &host, hosts, &mut listening)?)
            }
            "echo-server" => {
                let (ep, span) = endpoint(src, &t, &host, hosts, true)?.expect("required");
                let Endpoint::Listen(listen) = ep else {
                    return Err(t.misplaced(
                        "connect",
                        "an echo server listens; expected listen = \"IP:PORT\"",
                    ));
                };
                listen_once(src, &mut listening, &host, listen, false, &span)?;
                let accept = t
                    .u32_key(
                        "accept",
                        "<connections: an integer from 1 to 4294967295>",
                        1,
                    )?
                    .unwrap_or(1);
                ProgramKind::EchoServer(EchoServer { listen, accept })
            }
            "client" => ProgramKind::Client(parse_client(src, &t)?),
            _ => {
                let (path, _) = external.expect("checked above");
                let args = match t.get("args") {
                    None => Vec::new(),
                    Some((_, v)) => match v.get_ref() {
                        DeValue::Array(items) => {
                            let mut out = Vec::new();
                            for i in items.iter() {
                                match i.get_ref() {
                                    DeValue::String(s) => out.push(s.to_string()),
                                    other => {
                                        return Err(
                                            src.err(&i.span(), expected("args", ARGS, other))
                                        )
                                    }
                                }
                            }
                            out
                        }
                        other => return Err(src.err(&v.span(), expected("args", ARGS, other))),
                    },
                };
                let expect_exit = t.int("expect_exit", EXIT, 0, 255)?.unwrap_or(0) as i32;
                ProgramKind::External(External {
                    path: path.to_string(),
                    args,
                    expect_exit,
                })
            }
        };
        programs.push(Program {
            name: name.to_string(),
            host,
            start_ms,
            kind,
            line: src.line(&t.span),
        });
    }
    let externals = programs
        .iter()
        .filter(|p| matches!(p.kind, ProgramKind::External(_)))
        .count();
    if externals > 0 && programs.len() > 1 {
        let t = tables
            .iter()
            .zip(&programs)
            .find(|(_, p)| matches!(p.kind, ProgramKind::External(_)))
            .map(|(t, _)| t)
            .expect("counted above");
        return Err(src.err(
            &t.span,
            "an external program must be the scenario's only [[program]] (its peers are [[peer]] tables, which its C runtime starts); expected one [[program]] with external = \"path\"",
        ));
    }
    Ok(programs)
}

fn protocol(t: &Table<'_, '_>) -> Result<Protocol, ScenarioError> {
    Ok(t.choice(
        "protocol",
        PROTOCOL,
        &[("tcp", Protocol::Tcp), ("udp", Protocol::Udp)],
    )?
    .unwrap_or(Protocol::Tcp))
}

fn parse_sender(
    src: &Src<'_>,
    t: &Table<'_, '_>,
    host: &str,
    hosts: &[Host],
    listening: &mut Vec<(String, SockAddr, bool, usize)>,
) -> Result<Sender, ScenarioError> {
    let protocol = protocol(t)?;
    let (endpoint, span) = endpoint(src, t, host, hosts, true)?.expect("required");
    match endpoint {
        Endpoint::Listen(a) if protocol == Protocol::Udp => {
            let _ = a;
            return Err(t.misplaced(
                "listen",
                "a UDP sender sends to its receiver; expected connect = \"IP:PORT\"",
            ));
        }
        Endpoint::Listen(a) => listen_once(src, listening, host, a, false, &span)?,
        Endpoint::Connect(_) => {}
    }
    let count = t.u32_key("count", COUNT, 1)?.unwrap_or(10);
    let size = t.int("size", SIZE, 1, 1 << 30)?.unwrap_or(4096) as u32;
    let io_kind = t
        .choice(
            "io",
            SEND_IO,
            &[("overlapped", 0u8), ("blocking", 1), ("nonblocking", 2)],
        )?
        .unwrap_or(0);
    let completion = t.choice(
        "completion",
        COMPLETION,
        &[
            ("event", Completion::Event),
            ("routine", Completion::Routine),
        ],
    )?;
    let outstanding = t.int("outstanding", OUTSTANDING, 1, 64)?.map(|n| n as u32);
    let io = match io_kind {
        0 => SendIo::Overlapped {
            completion: completion.unwrap_or(Completion::Event),
            outstanding: outstanding.unwrap_or(1),
        },
        n => {
            for key in ["completion", "outstanding"] {
                if t.get(key).is_some() {
                    return Err(t.misplaced(
                        key,
                        &format!("{key} is a key of an overlapped sender; expected io = \"overlapped\" to use it"),
                    ));
                }
            }
            if n == 1 {
                SendIo::Blocking
            } else {
                SendIo::Nonblocking
            }
        }
    };
    let sndbuf = t.int("sndbuf", BUFSIZE, 0, i128::from(i32::MAX))?;
    let close = t
        .choice(
            "close",
            CLOSE,
            &[("graceful", Close::Graceful), ("reset", Close::Reset)],
        )?
        .unwrap_or(Close::Graceful);
    let bug = t.choice(
        "bug",
        BUG,
        &[
            ("reuse-overlapped", Bug::ReuseOverlapped),
            ("assume-routine-order", Bug::AssumeRoutineOrder),
            ("assume-full-send", Bug::AssumeFullSend),
            ("ignore-io-pending", Bug::IgnoreIoPending),
        ],
    )?;
    if let Some(b) = bug {
        let fits = match (b, io) {
            (Bug::ReuseOverlapped, SendIo::Overlapped { outstanding, .. }) => outstanding >= 2,
            (
                Bug::AssumeRoutineOrder,
                SendIo::Overlapped {
                    completion: Completion::Routine,
                    outstanding,
                },
            ) => outstanding >= 2,
            (Bug::AssumeFullSend, SendIo::Nonblocking) => true,
            (Bug::IgnoreIoPending, SendIo::Overlapped { .. }) => true,
            _ => false,
        };
        if !fits {
            let needs = match b {
                Bug::ReuseOverlapped => "io = \"overlapped\" with outstanding ≥ 2",
                Bug::AssumeRoutineOrder => {
                    "io = \"overlapped\", completion = \"routine\", outstanding ≥ 2"
                }
                Bug::AssumeFullSend => "io = \"nonblocking\"",
                Bug::IgnoreIoPending => "io = \"overlapped\"",
            };
            return Err(t.misplaced(
                "bug",
                &format!("bug = {:?} needs a sender with {needs}", b.name()),
            ));
        }
    }
    Ok(Sender {
        endpoint,
        protocol,
        count,
        size,
        io,
        sndbuf: sndbuf.map(|n| n as u32),
        close,
        bug,
    })
}

fn parse_receiver(
    src: &Src<'_>,
    t: &Table<'_, '_>,
    host: &str,
    hosts: &[Host],
    listening: &mut Vec<(String, SockAddr, bool, usize)>,
) -> Result<Receiver, ScenarioError> {
    let protocol = protocol(t)?;
    let (endpoint, span) = endpoint(src, t, host, hosts, true)?.expect("required");
    match endpoint {
        Endpoint::Connect(_) if protocol == Protocol::Udp => {
            return Err(t.misplaced(
                "connect",
                "a UDP receiver binds its address; expected listen = \"IP:PORT\"",
            ));
        }
        Endpoint::Listen(a) => {
            listen_once(src, listening, host, a, protocol == Protocol::Udp, &span)?
        }
        Endpoint::Connect(_) => {}
    }
    let expect = t.int("expect", EXPECT, 1, i128::from(i64::MAX))?;
    let read_size = t.int("read_size", SIZE, 1, 1 << 30)?.unwrap_or(65536) as u32;
    let overlapped = t
        .choice("io", RECV_IO, &[("blocking", false), ("overlapped", true)])?
        .unwrap_or(false);
    let rcvbuf = t.int("rcvbuf", BUFSIZE, 0, i128::from(i32::MAX))?;
    let read_delay_ms = t.ms("read_delay_ms")?.unwrap_or(0);
    let timeout_ms =
        t.ms("timeout_ms")?
            .unwrap_or(if protocol == Protocol::Udp { 1000 } else { 0 });
    Ok(Receiver {
        endpoint,
        protocol,
        expect,
        read_size,
        overlapped,
        rcvbuf: rcvbuf.map(|n| n as u32),
        read_delay_ms,
        timeout_ms,
    })
}

fn parse_client(src: &Src<'_>, t: &Table<'_, '_>) -> Result<Client, ScenarioError> {
    let Some((_, v)) = t.get("script") else {
        return Err(t.missing("script", SCRIPT));
    };
    let DeValue::Array(items) = v.get_ref() else {
        return Err(src.err(&v.span(), expected("script", SCRIPT, v.get_ref())));
    };
    let mut script = Vec::new();
    for item in items.iter() {
        let span = item.span();
        let DeValue::String(s) = item.get_ref() else {
            return Err(src.err(&span, expected("script", SCRIPT, item.get_ref())));
        };
        let words: Vec<&str> = s.split_whitespace().collect();
        let num = |w: Option<&&str>, max: u64| {
            w.and_then(|w| w.parse::<u64>().ok())
                .filter(|&n| n >= 1 && n <= max)
        };
        let step = match (words.first().copied(), words.len()) {
            (Some("connect"), 2) => SockAddr::parse(words[1])
                .filter(|a| a.port != 0 && !a.ip.is_unspecified())
                .map(Step::Connect),
            (Some("send"), 2) => num(words.get(1), i64::MAX as u64).map(Step::Send),
            (Some("recv"), 2) => num(words.get(1), i64::MAX as u64).map(Step::Recv),
            (Some("recv-all"), 1) => Some(Step::RecvAll),
            (Some("shutdown"), 2) => match words[1] {
                "send" => Some(Step::Shutdown(SD_SEND)),
                "receive" => Some(Step::Shutdown(SD_RECEIVE)),
                "both" => Some(Step::Shutdown(SD_BOTH)),
                _ => None,
            },
            (Some("sleep"), 2) => words[1]
                .parse::<u32>()
                .ok()
                .filter(|&n| n < u32::MAX)
                .map(Step::Sleep),
            (Some("close"), 1) => Some(Step::Close),
            _ => None,
        };
        let Some(step) = step else {
            return Err(src.err(
                &span,
                format!("expected a step of script = {SCRIPT}, found {s:?}"),
            ));
        };
        if !matches!(step, Step::Connect(_) | Step::Sleep(_))
            && !script.iter().any(|s| matches!(s, Step::Connect(_)))
        {
            return Err(src.err(
                &span,
                format!(
                    "{s:?} comes before any \"connect IP:PORT\" step; expected a connect first"
                ),
            ));
        }
        script.push(step);
    }
    Ok(Client { script })
}

/// The byte range of the table whose header starts at `start`: up to the line of the
/// next table header, less the comments and blank lines right above that header.
fn table_extent(text: &str, start: usize) -> std::ops::Range<usize> {
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let mut offset = text[start..]
        .find('\n')
        .map_or(text.len(), |i| start + i + 1);
    let mut end = text.len();
    let mut tail = offset; // the start of the comment block before the next header
    while offset < text.len() {
        let next = text[offset..]
            .find('\n')
            .map_or(text.len(), |i| offset + i + 1);
        let line = text[offset..next].trim();
        if line.starts_with('[') {
            end = tail;
            break;
        }
        if !(line.is_empty() || line.starts_with('#')) {
            tail = next;
        }
        offset = next;
    }
    line_start..end.max(line_start)
}

pub(crate) fn parse_faults(
    src: &Src<'_>,
    tables: &[Table<'_, '_>],
    links: &[Link],
    programs: &[Program],
    hosts: &[Host],
) -> Result<Vec<Fault>, ScenarioError> {
    let mut faults = Vec::new();
    for t in tables {
        let Some((kind_text, kind_span)) = t.string("kind", FAULT_KIND)? else {
            return Err(t.missing("kind", FAULT_KIND));
        };
        let Some(kind) = FaultKind::from_name(kind_text) else {
            return Err(src.err(
                &kind_span,
                format!("expected kind = {FAULT_KIND}, found {kind_text:?}"),
            ));
        };
        let t = Table {
            src,
            what: format!("[[fault]] ({kind_text})"),
            span: t.span.clone(),
            entries: t.entries.clone(),
        };
        let allowed: Vec<&str> = FAULT_KEYS.iter().chain(fault_keys(kind)).copied().collect();
        t.check_keys(&allowed, |_| None)?;

        let tk = kind.target_kind();
        let target_form = match tk {
            TargetKind::Program => r#""program:NAME" (a [[program]])"#,
            TargetKind::HostOrProgram => r#""host:NAME" | "program:NAME""#,
            TargetKind::Link => r#""link:A/B" (the hosts of a [[link]])"#,
        };
        let (text, span) = t.required_string("target", target_form)?;
        let bad = || {
            src.err(
                &span,
                format!("expected target = {target_form}, found {text:?}"),
            )
        };
        let target = match text.split_once(':') {
            Some(("program", name)) if tk != TargetKind::Link => {
                match programs.iter().find(|p| p.name == name) {
                    // An external program's faults run in its own process
                    // (`Scenario::start_faults`), which cannot stop one of its threads
                    // from outside: a C thread cannot be unwound.
                    Some(p)
                        if matches!(p.kind, ProgramKind::External(_))
                            && kind == FaultKind::ThreadExit =>
                    {
                        return Err(src.err(
                            &span,
                            format!("program {name:?} is external: a thread-exit fault cannot stop one of its threads; expected target = a built-in [[program]]"),
                        ))
                    }
                    Some(_) => Target::Program(name.to_string()),
                    None => return Err(bad()),
                }
            }
            Some(("host", name)) if tk == TargetKind::HostOrProgram => {
                if !super::host_names(hosts).contains(&name) {
                    return Err(super::unknown_host(src, "target", &span, name, hosts));
                }
                Target::Host(name.to_string())
            }
            Some(("link", pair)) if tk == TargetKind::Link => {
                let Some((a, b)) = pair.split_once('/') else {
                    return Err(bad());
                };
                if !links.iter().any(|l| {
                    (l.between[0] == a && l.between[1] == b)
                        || (l.between[0] == b && l.between[1] == a)
                }) {
                    return Err(src.err(
                        &span,
                        format!(
                            "no [[link]] joins {a:?} and {b:?}; expected target = {target_form}"
                        ),
                    ));
                }
                Target::Link(a.to_string(), b.to_string())
            }
            _ => return Err(bad()),
        };

        let at = t.ms("at_ms")?;
        let r = t.ratio("ratio")?;
        let when = match (at, r) {
            (Some(_), Some(_)) => {
                return Err(t.misplaced(
                    "ratio",
                    &format!("at_ms and ratio exclude each other; expected at_ms = {MS} or ratio = {RATIO}, not both"),
                ))
            }
            (Some(ms), None) => When::At(ms),
            (None, Some(ratio)) => {
                if !matches!(target, Target::Program(_)) || tk == TargetKind::Link {
                    return Err(t.misplaced(
                        "ratio",
                        "a fault with a ratio fires at the target program's send and receive calls; expected target = \"program:NAME\"",
                    ));
                }
                let times = t.u32_key("times", TIMES, 1)?.unwrap_or(1);
                When::Ratio { ratio, times }
            }
            (None, None) if tk == TargetKind::Link => When::At(0),
            (None, None) => {
                return Err(src.err(
                    &t.span,
                    format!("missing key in {}: expected at_ms = {MS} or ratio = {RATIO}", t.what),
                ))
            }
        };
        if matches!(when, When::At(_)) && t.get("times").is_some() {
            return Err(t.misplaced(
                "times",
                "times goes with ratio; expected ratio = \"A/B\" to use it",
            ));
        }
        let duration_ms = t.ms("duration_ms")?;
        if matches!(kind, FaultKind::Partition | FaultKind::Reorder) && duration_ms.is_none() {
            return Err(t.missing("duration_ms", MS));
        }
        let count = t.u32_key("count", FAULT_COUNT, 1)?.unwrap_or(1);
        let latency_us = t.int("latency_us", LATENCY, 0, i128::from(i64::MAX / 1000))?;
        if kind == FaultKind::Latency && latency_us.is_none() {
            return Err(t.missing("latency_us", LATENCY));
        }
        let bandwidth_bps = t.int("bandwidth_bps", BANDWIDTH, 8, i128::from(i64::MAX))?;
        if kind == FaultKind::Bandwidth && bandwidth_bps.is_none() {
            return Err(t.missing("bandwidth_bps", BANDWIDTH));
        }
        let loss = t.ratio("loss")?;
        if kind == FaultKind::Loss && loss.is_none() {
            return Err(t.missing("loss", RATIO));
        }
        let delay_ms = t.ms("delay_ms")?;
        if kind == FaultKind::SlowReceiver && delay_ms.is_none() {
            return Err(t.missing("delay_ms", MS));
        }
        faults.push(Fault {
            kind,
            target,
            when,
            duration_ms,
            count,
            latency_us,
            bandwidth_bps,
            loss,
            delay_ms: delay_ms.unwrap_or(0),
            line: src.line(&t.span),
            span: table_extent(src.text, t.span.start),
        });
    }
    Ok(faults)
}

/// A top-level table (`[swarm]`, `[expect]`) with its allowed keys.
pub(crate) fn single_table<'t, 'i>(
    src: &'t Src<'t>,
    name: &str,
    doc: &'t DeTable<'i>,
    keys: &[&str],
) -> Result<Option<Table<'t, 'i>>, ScenarioError> {
    let Some((_, v)) = doc.iter().find(|(k, _)| k.get_ref().as_ref() == name) else {
        return Ok(None);
    };
    let DeValue::Table(t) = v.get_ref() else {
        return Err(src.err(
            &v.span(),
            format!("expected [{name}] (a table), found {}", found(v.get_ref())),
        ));
    };
    let table = Table::new(src, &format!("[{name}]"), t, v.span());
    table.check_keys(keys, |_| None)?;
    Ok(Some(table))
}

pub(crate) fn parse_swarm(t: &Table<'_, '_>) -> Result<Ratio, ScenarioError> {
    Ok(t.ratio("ratio")?.unwrap_or(Ratio::new(1, 2)))
}

pub(crate) fn parse_expect(t: &Table<'_, '_>) -> Result<bool, ScenarioError> {
    match t.get("contract") {
        None => Ok(false),
        Some((_, v)) => match v.get_ref() {
            DeValue::Boolean(b) => Ok(*b),
            other => Err(t.src.err(
                &v.span(),
                expected(
                    "contract",
                    "true | false (whether contract reports are expected)",
                    other,
                ),
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use crate::fault::{FaultKind, Target, When};
    use crate::program::{Bug, Completion, Endpoint, ProgramKind, SendIo, Step};
    use crate::ScenarioError;
    use wsasim_core::Ratio;

    fn err(text: &str) -> (usize, usize, String) {
        let e: ScenarioError = crate::parse("t.toml", text).unwrap_err();
        (e.line, e.column, e.message)
    }

    const PAIR: &str = "[[program]]\nname = \"r\"\nrole = \"receiver\"\nlisten = \"0.0.0.0:7\"\n\n[[program]]\nname = \"s\"\nrole = \"sender\"\nconnect = \"127.0.0.1:7\"\n";

    #[test]
    fn programs_parse_with_their_defaults() {
        let s = crate::parse("t.toml", PAIR).unwrap();
        assert_eq!(s.programs().len(), 2);
        let ProgramKind::Sender(snd) = &s.programs()[1].kind else {
            panic!("a sender")
        };
        assert_eq!(snd.count, 10);
        assert_eq!(snd.size, 4096);
        assert_eq!(
            snd.io,
            SendIo::Overlapped {
                completion: Completion::Event,
                outstanding: 1
            }
        );
        assert!(matches!(snd.endpoint, Endpoint::Connect(_)));
        assert_eq!(s.expected_of(0), Some(40960), "the sender's total");
        assert_eq!(s.partners(0), vec![1]);
        assert_eq!(s.programs()[1].line, 6);
    }

    #[test]
    fn a_client_script_parses_step_by_step() {
        let s = crate::parse(
            "t.toml",
            "[[program]]\nname = \"c\"\nrole = \"client\"\nscript = [\"connect 127.0.0.1:7\", \"send 100\", \"recv 100\", \"shutdown send\", \"recv-all\", \"sleep 5\", \"close\"]\n",
        )
        .unwrap();
        let ProgramKind::Client(c) = &s.programs()[0].kind else {
            panic!("a client")
        };
        assert_eq!(c.script.len(), 7);
        assert_eq!(c.script[1], Step::Send(100));
        assert_eq!(c.script[3], Step::Shutdown(wsasim_core::consts::SD_SEND));
    }

    #[test]
    fn program_mistakes_point_at_the_key_or_value() {
        let (l, c, m) = err(&format!("{PAIR}count = 0\n"));
        assert_eq!((l, c), (10, 9));
        assert_eq!(
            m,
            "expected count = <an integer from 1 to 4294967295>, found 0"
        );
        let (l, c, m) = err(&format!("{PAIR}expect = 5\n"));
        assert_eq!((l, c), (10, 1));
        assert!(
            m.starts_with("unknown key \"expect\" in [[program]] (sender) (expect is a key of: receiver); expected one of: name, role, external, host, start_ms, connect, listen,"),
            "{m}"
        );
        let (l, c, m) = err("[[program]]\nname = \"x\"\nrole = \"server\"\n");
        assert_eq!((l, c), (3, 8));
        assert_eq!(
            m,
            "expected role = \"sender\" | \"receiver\" | \"echo-server\" | \"client\", found \"server\""
        );
        let (l, c, m) = err("[[program]]\nname = \"x\"\n");
        assert_eq!((l, c), (1, 1));
        assert!(
            m.starts_with("missing key in [[program]]: expected role = "),
            "{m}"
        );
        let (l, _, m) = err(&format!(
            "{PAIR}[[program]]\nname = \"s\"\nrole = \"client\"\nscript = []\n"
        ));
        assert_eq!(l, 11);
        assert!(
            m.starts_with("program \"s\" is already defined at line 6"),
            "{m}"
        );
        let (l, c, m) =
            err("[[program]]\nname = \"c\"\nrole = \"client\"\nscript = [\"send 5\"]\n");
        assert_eq!((l, c), (4, 11));
        assert!(
            m.contains("comes before any \"connect IP:PORT\" step"),
            "{m}"
        );
        let (_, _, m) = err("[[program]]\nname = \"c\"\nrole = \"client\"\nscript = [\"connect 127.0.0.1:7\", \"fly\"]\n");
        assert!(m.starts_with("expected a step of script = "), "{m}");
        let (l, c, m) = err(&format!(
            "{PAIR}completion = \"routine\"\nio = \"blocking\"\n"
        ));
        assert_eq!((l, c), (10, 1));
        assert!(
            m.starts_with("completion is a key of an overlapped sender"),
            "{m}"
        );
        let (l, c, m) = err(&format!("{PAIR}bug = \"reuse-overlapped\"\n"));
        assert_eq!((l, c), (10, 1));
        assert_eq!(
            m,
            "bug = \"reuse-overlapped\" needs a sender with io = \"overlapped\" with outstanding ≥ 2"
        );
        let (_, _, m) = err("[[program]]\nname = \"r\"\nrole = \"receiver\"\nlisten = \"0.0.0.0:7\"\n[[program]]\nname = \"e\"\nrole = \"echo-server\"\nlisten = \"127.0.0.1:7\"\n");
        assert!(
            m.starts_with("127.0.0.1:7 overlaps 0.0.0.0:7, listened on at line 4"),
            "{m}"
        );
        let (_, _, m) = err("[[program]]\nname = \"x\"\nexternal = \"./a.out\"\n[[program]]\nname = \"r\"\nrole = \"receiver\"\nlisten = \"0.0.0.0:7\"\n");
        assert!(
            m.starts_with("an external program must be the scenario's only [[program]]"),
            "{m}"
        );
    }

    #[test]
    fn faults_parse_with_targets_and_times() {
        let s = crate::parse(
            "t.toml",
            &format!("{PAIR}\n[[fault]]\nkind = \"reset\"\ntarget = \"program:s\"\nat_ms = 20\n\n[[fault]]\nkind = \"buffer-deadlock\"\ntarget = \"program:s\"\nratio = \"1/8\"\ntimes = 3\ncount = 2\n"),
        )
        .unwrap();
        let f = s.faults();
        assert_eq!(f[0].kind, FaultKind::Reset);
        assert_eq!(f[0].target, Target::Program("s".into()));
        assert_eq!(f[0].when, When::At(20));
        assert_eq!(
            f[1].when,
            When::Ratio {
                ratio: Ratio::new(1, 8),
                times: 3
            }
        );
        assert_eq!(f[1].count, 2);
        // The shrunk text of the file without fault 0 has fault 1 only.
        let text = s.text_with_faults(|i| i == 1);
        assert!(
            !text.contains("kind = \"reset\"") && text.contains("buffer-deadlock"),
            "{text}"
        );
        let reparsed = crate::parse("t.toml", &text).unwrap();
        assert_eq!(reparsed.faults().len(), 1);
        assert_eq!(reparsed.programs(), s.programs());
    }

    #[test]
    fn fault_mistakes_point_at_the_key_or_value() {
        let f = |body: &str| err(&format!("{PAIR}[[fault]]\n{body}"));
        let (l, c, m) = f("kind = \"meteor\"\n");
        assert_eq!((l, c), (11, 8));
        assert!(
            m.starts_with("expected kind = \"reset\" | \"abort\""),
            "{m}"
        );
        let (l, c, m) = f("kind = \"reset\"\ntarget = \"program:nobody\"\nat_ms = 1\n");
        assert_eq!((l, c), (12, 10));
        assert_eq!(
            m,
            "expected target = \"program:NAME\" (a [[program]]), found \"program:nobody\""
        );
        let (_, _, m) = f("kind = \"latency\"\ntarget = \"link:local/b\"\nlatency_us = 5\n");
        assert!(
            m.starts_with("no [[link]] joins \"local\" and \"b\""),
            "{m}"
        );
        let (l, c, m) = f("kind = \"reset\"\ntarget = \"program:s\"\n");
        assert_eq!((l, c), (10, 1));
        assert!(
            m.starts_with("missing key in [[fault]] (reset): expected at_ms = "),
            "{m}"
        );
        let (_, _, m) = f("kind = \"reset\"\ntarget = \"program:s\"\nratio = \"3/2\"\n");
        assert!(m.starts_with("expected ratio = \"A/B\""), "{m}");
        let (l, c, m) = f("kind = \"reset\"\ntarget = \"program:s\"\nat_ms = 1\nlatency_us = 5\n");
        assert_eq!((l, c), (14, 1));
        assert_eq!(
            m,
            "unknown key \"latency_us\" in [[fault]] (reset); expected one of: kind, target, at_ms, ratio, times"
        );
        let (_, _, m) = f("kind = \"reset\"\ntarget = \"host:local\"\nat_ms = 1\n");
        assert!(m.starts_with("expected target = \"program:NAME\""), "{m}");
        let (_, _, m) = f("kind = \"network-down\"\ntarget = \"host:mars\"\nat_ms = 1\n");
        assert!(
            m.starts_with("expected target = the name of a [[host]]"),
            "{m}"
        );
        let (_, _, m) = f("kind = \"partition\"\ntarget = \"link:local/b\"\n");
        assert!(m.starts_with("no [[link]]"), "{m}");
        let (l, c, m) = err("[swarm]\nratio = 2\n");
        assert_eq!((l, c), (2, 9));
        assert!(m.starts_with("expected ratio = \"A/B\""), "{m}");
        let (_, _, m) = err("[expect]\ncontracts = true\n");
        assert_eq!(
            m,
            "unknown key \"contracts\" in [expect]; expected one of: contract"
        );
    }

    #[test]
    fn swarm_and_expect_tables() {
        let s = crate::parse(
            "t.toml",
            "[swarm]\nratio = \"1/3\"\n[expect]\ncontract = true\n",
        )
        .unwrap();
        assert_eq!(s.swarm(), Some(Ratio::new(1, 3)));
        assert!(s.expects_contract_reports());
        let s = crate::parse("t.toml", "[swarm]\n").unwrap();
        assert_eq!(s.swarm(), Some(Ratio::new(1, 2)));
        assert!(!s.expects_contract_reports());
    }

    #[test]
    fn bugs_need_the_sender_they_are_about() {
        let ok = crate::parse(
            "t.toml",
            &format!(
                "{PAIR}completion = \"routine\"\noutstanding = 4\nbug = \"assume-routine-order\"\n"
            ),
        )
        .unwrap();
        let ProgramKind::Sender(s) = &ok.programs()[1].kind else {
            panic!()
        };
        assert_eq!(s.bug, Some(Bug::AssumeRoutineOrder));
        let (_, _, m) = err(&format!(
            "{PAIR}io = \"blocking\"\nbug = \"assume-full-send\"\n"
        ));
        assert_eq!(
            m,
            "bug = \"assume-full-send\" needs a sender with io = \"nonblocking\""
        );
    }
}
