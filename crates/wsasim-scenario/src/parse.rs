//! Reading a scenario: TOML with spans (`toml::de::DeTable`), then a check of every
//! table against the keys it may hold, in file order, so that the first mistake in the
//! file is the one reported, at the line and column of its key or value.

mod extra;
mod network;

use crate::{
    Close, Host, Link, Mode, Payload, Peer, Read, Role, Scenario, ScenarioError, TcpClient,
    TcpServer, LOCAL_HOST,
};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Range;
use toml::de::{DeTable, DeValue};
use toml::Spanned;
use wsasim_core::net::{IpAddr, SockAddr};

type Span = Range<usize>;
type Key<'i> = Spanned<Cow<'i, str>>;
type Value<'i> = Spanned<DeValue<'i>>;

/// Milliseconds a `Sleep` can wait (`INFINITE` excluded).
const MS_MAX: i128 = u32::MAX as i128 - 1;

// The expected forms, as the messages print them.
const KIND: &str = r#""tcp-client" | "tcp-server""#;
const CONNECT: &str = r#""IP:PORT" (the program's address, e.g. "127.0.0.1:27015")"#;
const LISTEN: &str = r#""IP:PORT" (e.g. "0.0.0.0:7")"#;
const START_MS: &str = "<virtual time in milliseconds: an integer from 0 to 4294967294>";
const READ: &str = r#""all" | "none" | <a byte count: an integer ≥ 1>"#;
const SEND: &str = r#""<text to send>""#;
const SEND_BYTES: &str = "<a byte count: an integer ≥ 1>";
const RETRY_MS: &str = "<milliseconds between attempts: an integer from 1 to 4294967294>";
const ATTEMPTS: &str = "<an integer from 1 to 4294967295>";
const SHUTDOWN: &str = r#""send" | "none""#;
const CLOSE: &str = r#""graceful" | "reset""#;
const MODE: &str = r#""echo" | "discard""#;
const ACCEPT: &str = "<connections to accept: an integer from 1 to 4294967295>";
const HOST_NAME: &str = r#""<host name>" (not empty)"#;
const ADDRS: &str = r#"["<IP address>[/<prefix length>]", ...] (e.g. ["10.0.0.2/24"])"#;
const BETWEEN: &str = r#"["<host>", "<host>"] (two different hosts)"#;
const LATENCY: &str = "<one-way latency in microseconds: an integer ≥ 0>";
const BANDWIDTH: &str = "<bits per second: an integer ≥ 8>";

const TOP_KEYS: &[&str] = &[
    "host", "link", "route", "peer", "program", "fault", "swarm", "expect",
];
const HOST_KEYS: &[&str] = &["name", "addrs"];
const LINK_KEYS: &[&str] = &[
    "between",
    "latency_us",
    "bandwidth_bps",
    "mtu",
    "loss",
    "san",
];
const SAN: &str = "true or false (whether the link is a SAN: connections across it use the SAN provider under the Windows Sockets Direct switch)";
const PEER_KEYS: &[&str] = &["kind", "host", "start_ms", "close"];
const CLIENT_KEYS: &[&str] = &[
    "connect",
    "send",
    "send_bytes",
    "shutdown",
    "read",
    "connect_retry_ms",
    "connect_attempts",
];
const SERVER_KEYS: &[&str] = &["listen", "mode", "accept"];

/// The file being read.
struct Src<'a> {
    file: &'a str,
    text: &'a str,
}

impl Src<'_> {
    fn err(&self, span: &Span, message: impl Into<String>) -> ScenarioError {
        let (line, column) = line_col(self.text, span.start);
        ScenarioError {
            file: self.file.to_string(),
            line,
            column,
            message: message.into(),
        }
    }

    fn line(&self, span: &Span) -> usize {
        line_col(self.text, span.start).0
    }
}

/// The 1-based line and column (in characters) of byte `offset` of `text`.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut at = offset.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// How a value reads in a message: strings quoted, scalars as written, containers by
/// their type.
fn found(v: &DeValue<'_>) -> String {
    match v {
        DeValue::String(s) => format!("{:?}", s.as_ref()),
        DeValue::Integer(i) => i.to_string(),
        DeValue::Float(f) => f.to_string(),
        DeValue::Boolean(b) => b.to_string(),
        DeValue::Datetime(d) => d.to_string(),
        DeValue::Array(_) => "an array".to_string(),
        DeValue::Table(_) => "a table".to_string(),
    }
}

fn expected(key: &str, form: &str, v: &DeValue<'_>) -> String {
    format!("expected {key} = {form}, found {}", found(v))
}

fn integer(v: &DeValue<'_>) -> Option<i128> {
    match v {
        DeValue::Integer(i) => i128::from_str_radix(i.as_str(), i.radix()).ok(),
        _ => None,
    }
}

/// One table of the file, its entries in file order.
struct Table<'t, 'i> {
    src: &'t Src<'t>,
    /// How messages name it: `[[peer]]`, `[[peer]] (tcp-client)`.
    what: String,
    /// Its header (`[[peer]]`) or, inline, its braces.
    span: Span,
    entries: Vec<(&'t Key<'i>, &'t Value<'i>)>,
}

impl<'t, 'i> Table<'t, 'i> {
    fn new(src: &'t Src<'t>, what: &str, t: &'t DeTable<'i>, span: Span) -> Table<'t, 'i> {
        let mut entries: Vec<_> = t.iter().collect();
        entries.sort_by_key(|(k, _)| k.span().start);
        Table {
            src,
            what: what.to_string(),
            span,
            entries,
        }
    }

    /// The first key (in file order) not in `allowed` is an error; `elsewhere` says
    /// where such a key belongs, if anywhere.
    fn check_keys(
        &self,
        allowed: &[&str],
        elsewhere: impl Fn(&str) -> Option<String>,
    ) -> Result<(), ScenarioError> {
        for (k, _) in &self.entries {
            let name = k.get_ref().as_ref();
            if allowed.contains(&name) {
                continue;
            }
            let note = elsewhere(name).map_or(String::new(), |n| format!(" ({n})"));
            return Err(self.src.err(
                &k.span(),
                format!(
                    "unknown key {name:?} in {}{note}; expected one of: {}",
                    self.what,
                    allowed.join(", ")
                ),
            ));
        }
        Ok(())
    }

    fn get(&self, key: &str) -> Option<(&'t Key<'i>, &'t Value<'i>)> {
        self.entries
            .iter()
            .find(|(k, _)| k.get_ref().as_ref() == key)
            .copied()
    }

    fn missing(&self, key: &str, form: &str) -> ScenarioError {
        self.src.err(
            &self.span,
            format!("missing key in {}: expected {key} = {form}", self.what),
        )
    }

    fn string(&self, key: &str, form: &str) -> Result<Option<(&'t str, Span)>, ScenarioError> {
        let Some((_, v)) = self.get(key) else {
            return Ok(None);
        };
        match v.get_ref() {
            DeValue::String(s) => Ok(Some((s.as_ref(), v.span()))),
            other => Err(self.src.err(&v.span(), expected(key, form, other))),
        }
    }

    fn required_string(&self, key: &str, form: &str) -> Result<(&'t str, Span), ScenarioError> {
        self.string(key, form)?
            .ok_or_else(|| self.missing(key, form))
    }

    /// One of `choices` (a string), mapped to its value.
    fn choice<T: Copy>(
        &self,
        key: &str,
        form: &str,
        choices: &[(&str, T)],
    ) -> Result<Option<T>, ScenarioError> {
        let Some((_, v)) = self.get(key) else {
            return Ok(None);
        };
        if let DeValue::String(s) = v.get_ref() {
            if let Some((_, t)) = choices.iter().find(|(name, _)| *name == s.as_ref()) {
                return Ok(Some(*t));
            }
        }
        Err(self.src.err(&v.span(), expected(key, form, v.get_ref())))
    }

    /// An integer in `min..=max`.
    fn int(
        &self,
        key: &str,
        form: &str,
        min: i128,
        max: i128,
    ) -> Result<Option<u64>, ScenarioError> {
        let Some((_, v)) = self.get(key) else {
            return Ok(None);
        };
        match integer(v.get_ref()) {
            Some(n) if (min..=max).contains(&n) => Ok(Some(n as u64)),
            _ => Err(self.src.err(&v.span(), expected(key, form, v.get_ref()))),
        }
    }
}

/// The tables of a top-level array of tables (`[[peer]]`, or `peer = [{...}]`).
fn tables<'t, 'i>(
    src: &'t Src<'t>,
    name: &str,
    doc: &'t DeTable<'i>,
) -> Result<Vec<Table<'t, 'i>>, ScenarioError> {
    let Some((_, v)) = doc.iter().find(|(k, _)| k.get_ref().as_ref() == name) else {
        return Ok(Vec::new());
    };
    let form = format!("[[{name}]] tables (an array of tables)");
    let DeValue::Array(items) = v.get_ref() else {
        return Err(src.err(
            &v.span(),
            format!("expected {form}, found {}", found(v.get_ref())),
        ));
    };
    items
        .iter()
        .map(|item| match item.get_ref() {
            DeValue::Table(t) => Ok(Table::new(src, &format!("[[{name}]]"), t, item.span())),
            other => Err(src.err(
                &item.span(),
                format!("expected {form}, found {}", found(other)),
            )),
        })
        .collect()
}

/// Parses and checks a scenario.
pub(crate) fn scenario(file: &str, text: &str) -> Result<Scenario, ScenarioError> {
    let src = Src { file, text };
    let doc = DeTable::parse(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        src.err(&span, format!("invalid TOML: {}", e.message()))
    })?;
    let doc = doc.get_ref();
    Table::new(&src, "the scenario", doc, 0..0).check_keys(TOP_KEYS, |_| None)?;

    let host_tables = tables(&src, "host", doc)?;
    let link_tables = tables(&src, "link", doc)?;
    let route_tables = tables(&src, "route", doc)?;
    let peer_tables = tables(&src, "peer", doc)?;

    let program_tables = tables(&src, "program", doc)?;
    let fault_tables = tables(&src, "fault", doc)?;
    let swarm_table = extra::single_table(&src, "swarm", doc, extra::SWARM_KEYS)?;
    let expect_table = extra::single_table(&src, "expect", doc, extra::EXPECT_KEYS)?;

    let hosts = parse_hosts(&src, &host_tables)?;
    let links = parse_links(&src, &link_tables, &hosts)?;
    let routes = network::parse_routes(&src, &route_tables, &hosts, &links)?;
    let peers = parse_peers(&src, &peer_tables, &hosts)?;
    let programs = extra::parse_programs(&src, &program_tables, &hosts, &peers)?;
    let faults = extra::parse_faults(&src, &fault_tables, &links, &programs, &hosts)?;
    let swarm = swarm_table.as_ref().map(extra::parse_swarm).transpose()?;
    let expect_contract = expect_table
        .as_ref()
        .map(extra::parse_expect)
        .transpose()?
        .unwrap_or(false);
    Ok(Scenario {
        file: file.to_string(),
        text: text.to_string(),
        hosts,
        links,
        routes,
        peers,
        programs,
        faults,
        swarm,
        expect_contract,
    })
}

fn parse_hosts(src: &Src<'_>, tables: &[Table<'_, '_>]) -> Result<Vec<Host>, ScenarioError> {
    let mut hosts: Vec<Host> = Vec::new();
    // Where each name and address was first given (a line, for messages).
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    let mut owners: BTreeMap<IpAddr, (String, usize)> = BTreeMap::new();
    for t in tables {
        t.check_keys(HOST_KEYS, |_| None)?;
        let (name, name_span) = t.required_string("name", HOST_NAME)?;
        if name.is_empty() {
            return Err(src.err(
                &name_span,
                format!("expected name = {HOST_NAME}, found \"\""),
            ));
        }
        if let Some(line) = names.get(name) {
            return Err(src.err(
                &name_span,
                format!(
                    "host {name:?} is already defined at line {line}; expected name = a name no other [[host]] has"
                ),
            ));
        }
        names.insert(name.to_string(), src.line(&name_span));
        let mut addrs = Vec::new();
        let mut prefixes = Vec::new();
        if let Some((_, v)) = t.get("addrs") {
            let DeValue::Array(items) = v.get_ref() else {
                return Err(src.err(&v.span(), expected("addrs", ADDRS, v.get_ref())));
            };
            for item in items.iter() {
                let span = item.span();
                let DeValue::String(text) = item.get_ref() else {
                    return Err(src.err(&span, expected("addrs", ADDRS, item.get_ref())));
                };
                let (ip, prefix) = network::host_addr(text).map_err(|why| {
                    network::bad_host_addr(src, &span, text, ADDRS, why, item.get_ref())
                })?;
                if ip.directed_broadcast(prefix) == Some(ip) {
                    return Err(src.err(
                        &span,
                        format!(
                            "{text} is the broadcast address of its subnet; expected addrs = {ADDRS}"
                        ),
                    ));
                }
                if ip.is_loopback() || ip.is_unspecified() || ip.is_broadcast() {
                    return Err(src.err(
                        &span,
                        format!(
                            "{ip} cannot be a host's address (loopback is implicit on every host; the wildcard and broadcast addresses belong to none); expected addrs = {ADDRS}"
                        ),
                    ));
                }
                if let Some((owner, line)) = owners.get(&ip) {
                    return Err(src.err(
                        &span,
                        format!(
                            "{ip} already belongs to host {owner:?} (line {line}); expected addrs = addresses no other host has"
                        ),
                    ));
                }
                owners.insert(ip, (name.to_string(), src.line(&span)));
                addrs.push(ip);
                prefixes.push(prefix);
            }
        }
        hosts.push(Host {
            name: name.to_string(),
            addrs,
            prefixes,
        });
    }
    Ok(hosts)
}

/// The names a scenario may refer to: `local` and every `[[host]]`.
fn host_names(hosts: &[Host]) -> Vec<&str> {
    let mut names = vec![LOCAL_HOST];
    names.extend(
        hosts
            .iter()
            .map(|h| h.name.as_str())
            .filter(|n| *n != LOCAL_HOST),
    );
    names
}

fn unknown_host(
    src: &Src<'_>,
    key: &str,
    span: &Span,
    name: &str,
    hosts: &[Host],
) -> ScenarioError {
    let known: Vec<String> = host_names(hosts).iter().map(|n| format!("{n:?}")).collect();
    src.err(
        span,
        format!(
            "expected {key} = the name of a [[host]] ({}), found {name:?}",
            known.join(", ")
        ),
    )
}

fn parse_links(
    src: &Src<'_>,
    tables: &[Table<'_, '_>],
    hosts: &[Host],
) -> Result<Vec<Link>, ScenarioError> {
    let names = host_names(hosts);
    let mut links: Vec<Link> = Vec::new();
    let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
    for t in tables {
        t.check_keys(LINK_KEYS, |_| None)?;
        let Some((_, v)) = t.get("between") else {
            return Err(t.missing("between", BETWEEN));
        };
        let pair: Vec<(&str, Span)> = match v.get_ref() {
            DeValue::Array(items) => items
                .iter()
                .filter_map(|i| match i.get_ref() {
                    DeValue::String(s) => Some((s.as_ref(), i.span())),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let all_strings = matches!(v.get_ref(), DeValue::Array(items) if items.len() == pair.len());
        if pair.len() != 2 || !all_strings {
            return Err(src.err(&v.span(), expected("between", BETWEEN, v.get_ref())));
        }
        for (name, span) in &pair {
            if !names.contains(name) {
                return Err(unknown_host(src, "between", span, name, hosts));
            }
        }
        if pair[0].0 == pair[1].0 {
            return Err(src.err(
                &v.span(),
                format!(
                    "a link joins two different hosts (a host reaches itself over loopback); expected between = {BETWEEN}"
                ),
            ));
        }
        let key = (
            pair[0].0.min(pair[1].0).to_string(),
            pair[0].0.max(pair[1].0).to_string(),
        );
        if let Some(line) = seen.get(&key) {
            return Err(src.err(
                &v.span(),
                format!(
                    "hosts {:?} and {:?} are already linked at line {line}; expected between = two hosts not linked yet",
                    pair[0].0, pair[1].0
                ),
            ));
        }
        seen.insert(key, src.line(&v.span()));
        let latency_us = t
            .int("latency_us", LATENCY, 0, i128::from(i64::MAX / 1000))?
            .unwrap_or(100);
        let bandwidth_bps = t.int("bandwidth_bps", BANDWIDTH, 8, i128::from(i64::MAX))?;
        let (mtu, loss) = network::link_opts(t)?;
        let san = match t.get("san") {
            None => false,
            Some((_, v)) => match v.get_ref() {
                DeValue::Boolean(b) => *b,
                other => return Err(src.err(&v.span(), expected("san", SAN, other))),
            },
        };
        links.push(Link {
            between: [pair[0].0.to_string(), pair[1].0.to_string()],
            latency_us,
            bandwidth_bps,
            mtu,
            loss,
            san,
        });
    }
    Ok(links)
}

/// Where a key of the other kind of peer belongs.
fn other_kind(key: &str) -> Option<String> {
    if CLIENT_KEYS.contains(&key) {
        Some(format!("{key} is a key of a tcp-client peer"))
    } else if SERVER_KEYS.contains(&key) {
        Some(format!("{key} is a key of a tcp-server peer"))
    } else {
        None
    }
}

fn parse_peers(
    src: &Src<'_>,
    tables: &[Table<'_, '_>],
    hosts: &[Host],
) -> Result<Vec<Peer>, ScenarioError> {
    let names = host_names(hosts);
    let mut peers = Vec::new();
    // Listening addresses so far: (host, address) -> line.
    let mut listening: Vec<(String, SockAddr, usize)> = Vec::new();
    for t in tables {
        let kind = t
            .choice("kind", KIND, &[("tcp-client", true), ("tcp-server", false)])?
            .ok_or_else(|| t.missing("kind", KIND))?;
        let (what, keys) = if kind {
            ("[[peer]] (tcp-client)", CLIENT_KEYS)
        } else {
            ("[[peer]] (tcp-server)", SERVER_KEYS)
        };
        let t = Table {
            src,
            what: what.to_string(),
            span: t.span.clone(),
            entries: t.entries.clone(),
        };
        let allowed: Vec<&str> = PEER_KEYS.iter().chain(keys).copied().collect();
        t.check_keys(&allowed, other_kind)?;

        let host = match t.string("host", r#""<name of a [[host]]>""#)? {
            Some((name, span)) if !names.contains(&name) => {
                return Err(unknown_host(src, "host", &span, name, hosts))
            }
            Some((name, _)) => name.to_string(),
            None => LOCAL_HOST.to_string(),
        };
        let start_ms = t.int("start_ms", START_MS, 0, MS_MAX)?.unwrap_or(0) as u32;
        let close = t
            .choice(
                "close",
                CLOSE,
                &[("graceful", Close::Graceful), ("reset", Close::Reset)],
            )?
            .unwrap_or(Close::Graceful);
        let role = if kind {
            Role::TcpClient(parse_client(src, &t)?)
        } else {
            let server = parse_server(src, &t, &host, hosts)?;
            let (_, v) = t.get("listen").expect("parse_server read it");
            let conflict = listening.iter().find(|(h, a, _)| {
                *h == host
                    && a.port == server.listen.port
                    && a.ip.family() == server.listen.ip.family()
                    && (a.ip == server.listen.ip
                        || a.ip.is_unspecified()
                        || server.listen.ip.is_unspecified())
            });
            if let Some((_, a, line)) = conflict {
                return Err(src.err(
                    &v.span(),
                    format!(
                        "{} overlaps {a}, listened on by the [[peer]] at line {line} on host {host:?}; expected listen = an address no other peer of the host listens on",
                        server.listen
                    ),
                ));
            }
            listening.push((host.clone(), server.listen, src.line(&v.span())));
            Role::TcpServer(server)
        };
        peers.push(Peer {
            host,
            start_ms,
            close,
            role,
        });
    }
    Ok(peers)
}

/// `"IP:PORT"` with a port other than 0.
fn sockaddr(t: &Table<'_, '_>, key: &str, form: &str) -> Result<(SockAddr, Span), ScenarioError> {
    let (text, span) = t.required_string(key, form)?;
    match SockAddr::parse(text) {
        Some(a) if a.port != 0 => Ok((a, span)),
        _ => Err(t
            .src
            .err(&span, format!("expected {key} = {form}, found {text:?}"))),
    }
}

fn parse_client(src: &Src<'_>, t: &Table<'_, '_>) -> Result<TcpClient, ScenarioError> {
    let (connect, span) = sockaddr(t, "connect", CONNECT)?;
    if connect.ip.is_unspecified() {
        return Err(src.err(
            &span,
            format!(
                "{connect} names no host (the wildcard address is for listening); expected connect = {CONNECT}"
            ),
        ));
    }
    let text = t.string("send", SEND)?;
    let count = t.int("send_bytes", SEND_BYTES, 1, i128::from(i64::MAX))?;
    let send = match (text, count) {
        (Some(_), Some(_)) => {
            let (second, _) = [t.get("send"), t.get("send_bytes")]
                .into_iter()
                .flatten()
                .max_by_key(|(k, _)| k.span().start)
                .expect("both are present");
            return Err(src.err(
                &second.span(),
                r#"send and send_bytes exclude each other; expected send = "<text to send>" or send_bytes = <a byte count>, not both"#,
            ));
        }
        (Some((s, _)), None) => Payload::Text(s.as_bytes().to_vec()),
        (None, Some(n)) => Payload::Pattern(n),
        (None, None) => Payload::None,
    };
    let shutdown_send = t
        .choice("shutdown", SHUTDOWN, &[("send", true), ("none", false)])?
        .unwrap_or(send != Payload::None);
    let read = match t.get("read") {
        None => Read::All,
        Some((_, v)) => match v.get_ref() {
            DeValue::String(s) if s.as_ref() == "all" => Read::All,
            DeValue::String(s) if s.as_ref() == "none" => Read::None,
            other => match integer(other) {
                Some(n) if n >= 1 && n <= i128::from(i64::MAX) => Read::Bytes(n as u64),
                _ => return Err(src.err(&v.span(), expected("read", READ, other))),
            },
        },
    };
    let connect_retry_ms = t
        .int("connect_retry_ms", RETRY_MS, 1, MS_MAX)?
        .unwrap_or(10) as u32;
    let connect_attempts = t
        .int("connect_attempts", ATTEMPTS, 1, i128::from(u32::MAX))?
        .unwrap_or(100) as u32;
    Ok(TcpClient {
        connect,
        send,
        shutdown_send,
        read,
        connect_retry_ms,
        connect_attempts,
    })
}

fn parse_server(
    src: &Src<'_>,
    t: &Table<'_, '_>,
    host: &str,
    hosts: &[Host],
) -> Result<TcpServer, ScenarioError> {
    let (listen, span) = sockaddr(t, "listen", LISTEN)?;
    let own: &[IpAddr] = hosts
        .iter()
        .find(|h| h.name == host)
        .map_or(&[], |h| h.addrs.as_slice());
    if !(listen.ip.is_unspecified() || listen.ip.is_loopback() || own.contains(&listen.ip)) {
        return Err(src.err(
            &span,
            format!(
                "{} is not an address of host {host:?}; expected listen = {LISTEN} with the wildcard, a loopback address or one of the host's addrs",
                listen.ip
            ),
        ));
    }
    let mode = t
        .choice(
            "mode",
            MODE,
            &[("echo", Mode::Echo), ("discard", Mode::Discard)],
        )?
        .unwrap_or(Mode::Echo);
    let accept = t
        .int("accept", ACCEPT, 1, i128::from(u32::MAX))?
        .unwrap_or(1) as u32;
    Ok(TcpServer {
        listen,
        mode,
        accept,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The error for `text`, as `(line, column, message)`.
    fn err(text: &str) -> (usize, usize, String) {
        let e = scenario("t.toml", text).expect_err("the scenario is wrong");
        assert_eq!(e.file, "t.toml");
        (e.line, e.column, e.message)
    }

    const CLIENT: &str = "[[peer]]\nkind = \"tcp-client\"\nconnect = \"127.0.0.1:27015\"\n";

    #[test]
    fn design_md_example_parses_to_a_tcp_client_reading_all_at_10_ms() {
        let s = scenario(
            "seed.toml",
            r#"[[peer]]
kind = "tcp-client"          # connects to the program under test
connect = "127.0.0.1:27015"
start_ms = 10                # virtual time of the connect
read = "all"                 # read until the program closes
"#,
        )
        .unwrap();
        assert!(s.hosts.is_empty() && s.links.is_empty());
        assert_eq!(
            s.peers,
            vec![Peer {
                host: "local".into(),
                start_ms: 10,
                close: Close::Graceful,
                role: Role::TcpClient(TcpClient {
                    connect: SockAddr::parse("127.0.0.1:27015").unwrap(),
                    send: Payload::None,
                    shutdown_send: false,
                    read: Read::All,
                    connect_retry_ms: 10,
                    connect_attempts: 100,
                }),
            }]
        );
    }

    #[test]
    fn every_key_is_read_with_its_value() {
        let s = scenario(
            "t.toml",
            r#"
[[host]]
name = "local"
addrs = ["10.0.0.1"]

[[host]]
name = "b"
addrs = ["10.0.0.2", "fe80::2"]

[[link]]
between = ["local", "b"]
latency_us = 1000
bandwidth_bps = 8000000

[[peer]]
kind = "tcp-server"
host = "b"
listen = "10.0.0.2:7"
mode = "discard"
accept = 3
start_ms = 5
close = "reset"

[[peer]]
kind = "tcp-client"
connect = "[::1]:80"
send_bytes = 100000
shutdown = "none"
read = 12288
connect_retry_ms = 20
connect_attempts = 7

[[peer]]
kind = "tcp-client"
connect = "10.0.0.1:80"
send = "hello"
read = "none"
"#,
        )
        .unwrap();
        assert_eq!(
            s.hosts,
            vec![
                Host {
                    name: "local".into(),
                    addrs: vec![IpAddr::parse("10.0.0.1").unwrap()],
                    prefixes: vec![24],
                },
                Host {
                    name: "b".into(),
                    addrs: vec![
                        IpAddr::parse("10.0.0.2").unwrap(),
                        IpAddr::parse("fe80::2").unwrap()
                    ],
                    prefixes: vec![24, 64],
                },
            ]
        );
        assert_eq!(
            s.links,
            vec![Link {
                between: ["local".into(), "b".into()],
                latency_us: 1000,
                bandwidth_bps: Some(8_000_000),
                mtu: None,
                loss: None,
                san: false,
            }]
        );
        assert_eq!(
            s.peers[0],
            Peer {
                host: "b".into(),
                start_ms: 5,
                close: Close::Reset,
                role: Role::TcpServer(TcpServer {
                    listen: SockAddr::parse("10.0.0.2:7").unwrap(),
                    mode: Mode::Discard,
                    accept: 3,
                }),
            }
        );
        assert_eq!(
            s.peers[1].role,
            Role::TcpClient(TcpClient {
                connect: SockAddr::parse("[::1]:80").unwrap(),
                send: Payload::Pattern(100_000),
                shutdown_send: false,
                read: Read::Bytes(12288),
                connect_retry_ms: 20,
                connect_attempts: 7,
            })
        );
        assert_eq!(
            s.peers[2].role,
            Role::TcpClient(TcpClient {
                connect: SockAddr::parse("10.0.0.1:80").unwrap(),
                send: Payload::Text(b"hello".to_vec()),
                // Sending implies shutting down the sending side, unless told otherwise.
                shutdown_send: true,
                read: Read::None,
                connect_retry_ms: 10,
                connect_attempts: 100,
            })
        );
    }

    #[test]
    fn link_san_true_is_read_and_a_non_boolean_san_is_an_error() {
        let text = "[[host]]\nname = \"b\"\naddrs = [\"10.0.0.2\"]\n[[link]]\nbetween = [\"local\", \"b\"]\n";
        let s = scenario("t.toml", &format!("{text}san = true\n")).unwrap();
        assert!(s.links[0].san);
        let s = scenario("t.toml", text).unwrap();
        assert!(!s.links[0].san, "default false");
        let e = scenario("t.toml", &format!("{text}san = 1\n")).unwrap_err();
        assert!(e.to_string().contains("san"), "{e}");
    }

    #[test]
    fn tcp_server_defaults_are_echo_one_connection_on_local() {
        let s = scenario(
            "t.toml",
            "[[peer]]\nkind = \"tcp-server\"\nlisten = \"0.0.0.0:7\"\n",
        )
        .unwrap();
        assert_eq!(
            s.peers[0],
            Peer {
                host: "local".into(),
                start_ms: 0,
                close: Close::Graceful,
                role: Role::TcpServer(TcpServer {
                    listen: SockAddr::parse("0.0.0.0:7").unwrap(),
                    mode: Mode::Echo,
                    accept: 1,
                }),
            }
        );
    }

    #[test]
    fn inline_array_of_tables_is_accepted_too() {
        let s = scenario(
            "t.toml",
            "peer = [{ kind = \"tcp-client\", connect = \"127.0.0.1:1\" }]\n",
        )
        .unwrap();
        assert_eq!(s.peers.len(), 1);
    }

    #[test]
    fn an_empty_file_is_an_empty_world() {
        let s = scenario("t.toml", "# nothing\n").unwrap();
        assert!(s.hosts.is_empty() && s.links.is_empty() && s.peers.is_empty());
    }

    #[test]
    fn line_col_counts_lines_and_characters_from_one() {
        let text = "ab\nçd = 1\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 2), (1, 3));
        assert_eq!(line_col(text, 3), (2, 1));
        // 'ç' is two bytes, one column.
        assert_eq!(line_col(text, 5), (2, 2));
        assert_eq!(line_col(text, text.len()), (3, 1));
    }

    // ----- errors: each form, with its line and column ---------------------------------

    #[test]
    fn toml_syntax_error_points_at_the_fault() {
        let (l, c, m) = err("[[peer]]\nkind = tcp-client\n");
        assert_eq!((l, c), (2, 8));
        assert!(m.starts_with("invalid TOML: "), "{m}");
        assert!(m.contains("expected"), "{m}");
    }

    #[test]
    fn duplicate_key_is_a_toml_error_at_the_second_key() {
        let (l, c, m) = err(&format!("{CLIENT}connect = \"127.0.0.1:1\"\n"));
        assert_eq!((l, c, m.as_str()), (4, 1, "invalid TOML: duplicate key"));
    }

    #[test]
    fn unknown_top_level_key_is_an_error_at_the_key() {
        let (l, c, m) = err("\n[[peers]]\nkind = \"tcp-client\"\n");
        assert_eq!((l, c), (2, 3));
        assert_eq!(
            m,
            "unknown key \"peers\" in the scenario; expected one of: host, link, route, peer, program, fault, swarm, expect"
        );
    }

    #[test]
    fn unknown_peer_key_is_an_error_at_the_key_listing_the_kinds_keys() {
        let (l, c, m) = err(&format!("{CLIENT}  retries = 3\n"));
        assert_eq!((l, c), (4, 3));
        assert_eq!(
            m,
            "unknown key \"retries\" in [[peer]] (tcp-client); expected one of: kind, host, start_ms, close, connect, send, send_bytes, shutdown, read, connect_retry_ms, connect_attempts"
        );
    }

    #[test]
    fn a_key_of_the_other_kind_says_where_it_belongs() {
        let (l, c, m) = err(&format!("{CLIENT}mode = \"echo\"\n"));
        assert_eq!((l, c), (4, 1));
        assert!(
            m.starts_with("unknown key \"mode\" in [[peer]] (tcp-client) (mode is a key of a tcp-server peer); expected one of: kind,"),
            "{m}"
        );
        let (l, c, m) =
            err("[[peer]]\nkind = \"tcp-server\"\nlisten = \"0.0.0.0:7\"\nread = \"all\"\n");
        assert_eq!((l, c), (4, 1));
        assert!(m.contains("(read is a key of a tcp-client peer); expected one of: kind, host, start_ms, close, listen, mode, accept"), "{m}");
    }

    #[test]
    fn unknown_host_and_link_keys_are_errors() {
        let (l, c, m) = err("[[host]]\nname = \"b\"\naddr = [\"10.0.0.2\"]\n");
        assert_eq!((l, c), (3, 1));
        assert_eq!(
            m,
            "unknown key \"addr\" in [[host]]; expected one of: name, addrs"
        );
        let (l, c, m) = err("[[link]]\nbetween = [\"local\", \"local\"]\nlatency = 1\n");
        assert_eq!((l, c), (3, 1));
        assert_eq!(
            m,
            "unknown key \"latency\" in [[link]]; expected one of: between, latency_us, bandwidth_bps, mtu, loss, san"
        );
    }

    #[test]
    fn unknown_kind_is_an_error_at_the_value() {
        let (l, c, m) = err("[[peer]]\nkind = \"udp-client\"\n");
        assert_eq!((l, c), (2, 8));
        assert_eq!(
            m,
            "expected kind = \"tcp-client\" | \"tcp-server\", found \"udp-client\""
        );
        let (_, _, m) = err("[[peer]]\nkind = 1\n");
        assert_eq!(
            m,
            "expected kind = \"tcp-client\" | \"tcp-server\", found 1"
        );
    }

    #[test]
    fn missing_required_keys_are_errors_at_the_table_header() {
        let (l, c, m) = err("# peers\n\n  [[peer]]\nconnect = \"127.0.0.1:1\"\n");
        assert_eq!((l, c), (3, 3));
        assert_eq!(
            m,
            "missing key in [[peer]]: expected kind = \"tcp-client\" | \"tcp-server\""
        );
        let (l, c, m) = err(&format!("{CLIENT}\n[[peer]]\nkind = \"tcp-client\"\n"));
        assert_eq!((l, c), (5, 1));
        assert_eq!(
            m,
            "missing key in [[peer]] (tcp-client): expected connect = \"IP:PORT\" (the program's address, e.g. \"127.0.0.1:27015\")"
        );
        let (l, c, m) = err("[[peer]]\nkind = \"tcp-server\"\n");
        assert_eq!((l, c), (1, 1));
        assert_eq!(
            m,
            "missing key in [[peer]] (tcp-server): expected listen = \"IP:PORT\" (e.g. \"0.0.0.0:7\")"
        );
        let (l, c, m) = err("[[host]]\naddrs = []\n");
        assert_eq!((l, c), (1, 1));
        assert_eq!(
            m,
            "missing key in [[host]]: expected name = \"<host name>\" (not empty)"
        );
        let (l, c, m) = err("[[link]]\nlatency_us = 1\n");
        assert_eq!((l, c), (1, 1));
        assert_eq!(
            m,
            "missing key in [[link]]: expected between = [\"<host>\", \"<host>\"] (two different hosts)"
        );
    }

    #[test]
    fn wrong_types_are_errors_at_the_value_with_the_expected_form() {
        let (l, c, m) = err(&format!("{CLIENT}start_ms = \"10\"\n"));
        assert_eq!((l, c), (4, 12));
        assert_eq!(
            m,
            "expected start_ms = <virtual time in milliseconds: an integer from 0 to 4294967294>, found \"10\""
        );
        let (l, c, m) = err(&format!("{CLIENT}start_ms = 1.5\n"));
        assert_eq!((l, c), (4, 12));
        assert!(m.ends_with("found 1.5"), "{m}");
        let (_, _, m) = err(&format!("{CLIENT}start_ms = -1\n"));
        assert!(m.ends_with("found -1"), "{m}");
        let (_, _, m) = err(&format!("{CLIENT}start_ms = 4294967295\n"));
        assert!(m.ends_with("found 4294967295"), "{m}");
        let (_, _, m) = err(&format!("{CLIENT}start_ms = 99999999999999999999999\n"));
        assert!(m.starts_with("expected start_ms = "), "{m}");
        let (l, c, m) = err(&format!("{CLIENT}send = [1]\n"));
        assert_eq!((l, c), (4, 8));
        assert_eq!(m, "expected send = \"<text to send>\", found an array");
        let (_, _, m) = err(&format!("{CLIENT}connect_attempts = 0\n"));
        assert_eq!(
            m,
            "expected connect_attempts = <an integer from 1 to 4294967295>, found 0"
        );
        let (_, _, m) = err(&format!("{CLIENT}connect_retry_ms = 0\n"));
        assert!(
            m.starts_with("expected connect_retry_ms = <milliseconds between attempts"),
            "{m}"
        );
        let (l, c, m) = err(&format!("{CLIENT}host = true\n"));
        assert_eq!((l, c), (4, 8));
        assert_eq!(m, "expected host = \"<name of a [[host]]>\", found true");
        let (_, _, m) =
            err("[[peer]]\nkind = \"tcp-server\"\nlisten = \"0.0.0.0:7\"\naccept = 0\n");
        assert_eq!(
            m,
            "expected accept = <connections to accept: an integer from 1 to 4294967295>, found 0"
        );
    }

    #[test]
    fn bad_choices_are_errors_at_the_value() {
        let (l, c, m) = err(&format!("{CLIENT}read = \"some\"\n"));
        assert_eq!((l, c), (4, 8));
        assert_eq!(
            m,
            "expected read = \"all\" | \"none\" | <a byte count: an integer ≥ 1>, found \"some\""
        );
        let (_, _, m) = err(&format!("{CLIENT}read = 0\n"));
        assert!(m.ends_with("found 0"), "{m}");
        let (l, c, m) = err(&format!("{CLIENT}close = \"abort\"\n"));
        assert_eq!((l, c), (4, 9));
        assert_eq!(
            m,
            "expected close = \"graceful\" | \"reset\", found \"abort\""
        );
        let (_, _, m) = err(&format!("{CLIENT}shutdown = \"both\"\n"));
        assert_eq!(m, "expected shutdown = \"send\" | \"none\", found \"both\"");
        let (l, c, m) =
            err("[[peer]]\nkind = \"tcp-server\"\nlisten = \"0.0.0.0:7\"\nmode = \"chargen\"\n");
        assert_eq!((l, c), (4, 8));
        assert_eq!(
            m,
            "expected mode = \"echo\" | \"discard\", found \"chargen\""
        );
    }

    #[test]
    fn bad_addresses_are_errors_at_the_value() {
        let (l, c, m) = err("[[peer]]\nkind = \"tcp-client\"\nconnect = \"127.0.0.1\"\n");
        assert_eq!((l, c), (3, 11));
        assert_eq!(
            m,
            "expected connect = \"IP:PORT\" (the program's address, e.g. \"127.0.0.1:27015\"), found \"127.0.0.1\""
        );
        let (_, _, m) = err("[[peer]]\nkind = \"tcp-client\"\nconnect = \"localhost:80\"\n");
        assert!(m.ends_with("found \"localhost:80\""), "{m}");
        let (_, _, m) = err("[[peer]]\nkind = \"tcp-client\"\nconnect = \"127.0.0.1:0\"\n");
        assert!(m.ends_with("found \"127.0.0.1:0\""), "{m}");
        let (l, c, m) = err("[[peer]]\nkind = \"tcp-client\"\nconnect = \"0.0.0.0:80\"\n");
        assert_eq!((l, c), (3, 11));
        assert!(m.starts_with("0.0.0.0:80 names no host"), "{m}");
        let (l, c, m) = err("[[peer]]\nkind = \"tcp-server\"\nlisten = \"10.1.1.1:7\"\n");
        assert_eq!((l, c), (3, 10));
        assert!(
            m.starts_with("10.1.1.1 is not an address of host \"local\"; expected listen = "),
            "{m}"
        );
        let (l, c, m) = err("[[host]]\nname = \"b\"\naddrs = [\"10.0.0.2\", \"10.0.0\"]\n");
        assert_eq!((l, c), (3, 22));
        assert_eq!(
            m,
            "expected addrs = [\"<IP address>[/<prefix length>]\", ...] (e.g. [\"10.0.0.2/24\"]), found \"10.0.0\""
        );
        let (l, c, _) = err("[[host]]\nname = \"b\"\naddrs = \"10.0.0.2\"\n");
        assert_eq!((l, c), (3, 9));
        let (l, c, m) = err("[[host]]\nname = \"b\"\naddrs = [\"127.0.0.1\"]\n");
        assert_eq!((l, c), (3, 10));
        assert!(m.starts_with("127.0.0.1 cannot be a host's address"), "{m}");
        let (l, c, m) = err(
            "[[host]]\nname = \"a\"\naddrs = [\"10.0.0.2\"]\n[[host]]\nname = \"b\"\naddrs = [\"10.0.0.2\"]\n",
        );
        assert_eq!((l, c), (6, 10));
        assert!(
            m.starts_with("10.0.0.2 already belongs to host \"a\" (line 3)"),
            "{m}"
        );
    }

    #[test]
    fn host_names_must_be_unique_and_known() {
        let (l, c, m) = err("[[host]]\nname = \"b\"\n[[host]]\nname = \"b\"\n");
        assert_eq!((l, c), (4, 8));
        assert!(
            m.starts_with("host \"b\" is already defined at line 2"),
            "{m}"
        );
        let (l, c, m) = err("[[host]]\nname = \"\"\n");
        assert_eq!((l, c), (2, 8));
        assert_eq!(m, "expected name = \"<host name>\" (not empty), found \"\"");
        let (l, c, m) = err(&format!("[[host]]\nname = \"b\"\n{CLIENT}host = \"c\"\n"));
        assert_eq!((l, c), (6, 8));
        assert_eq!(
            m,
            "expected host = the name of a [[host]] (\"local\", \"b\"), found \"c\""
        );
    }

    #[test]
    fn links_join_two_different_known_hosts_once() {
        let hosts = "[[host]]\nname = \"b\"\n";
        let (l, c, m) = err(&format!("{hosts}[[link]]\nbetween = [\"local\", \"x\"]\n"));
        assert_eq!((l, c), (4, 21));
        assert_eq!(
            m,
            "expected between = the name of a [[host]] (\"local\", \"b\"), found \"x\""
        );
        let (l, c, m) = err(&format!("{hosts}[[link]]\nbetween = [\"b\", \"b\"]\n"));
        assert_eq!((l, c), (4, 11));
        assert!(m.starts_with("a link joins two different hosts"), "{m}");
        let (l, c, m) = err(&format!("{hosts}[[link]]\nbetween = [\"b\"]\n"));
        assert_eq!((l, c), (4, 11));
        assert_eq!(
            m,
            "expected between = [\"<host>\", \"<host>\"] (two different hosts), found an array"
        );
        let (_, _, m) = err(&format!("{hosts}[[link]]\nbetween = [\"b\", 1]\n"));
        assert!(m.starts_with("expected between = "), "{m}");
        let (l, c, m) = err(&format!(
            "{hosts}[[link]]\nbetween = [\"b\", \"local\"]\n[[link]]\nbetween = [\"local\", \"b\"]\n"
        ));
        assert_eq!((l, c), (6, 11));
        assert!(
            m.starts_with("hosts \"local\" and \"b\" are already linked at line 4"),
            "{m}"
        );
        let (l, c, m) = err(&format!(
            "{hosts}[[link]]\nbetween = [\"b\", \"local\"]\nbandwidth_bps = 7\n"
        ));
        assert_eq!((l, c), (5, 17));
        assert_eq!(
            m,
            "expected bandwidth_bps = <bits per second: an integer ≥ 8>, found 7"
        );
        let (_, _, m) = err(&format!(
            "{hosts}[[link]]\nbetween = [\"b\", \"local\"]\nlatency_us = -5\n"
        ));
        assert_eq!(
            m,
            "expected latency_us = <one-way latency in microseconds: an integer ≥ 0>, found -5"
        );
    }

    #[test]
    fn send_and_send_bytes_exclude_each_other() {
        let (l, c, m) = err(&format!("{CLIENT}send_bytes = 10\nsend = \"x\"\n"));
        assert_eq!((l, c), (5, 1));
        assert!(
            m.starts_with("send and send_bytes exclude each other"),
            "{m}"
        );
    }

    #[test]
    fn two_servers_on_one_port_of_a_host_overlap() {
        let server = "[[peer]]\nkind = \"tcp-server\"\n";
        let (l, c, m) = err(&format!(
            "{server}listen = \"0.0.0.0:7\"\n{server}listen = \"127.0.0.1:7\"\n"
        ));
        assert_eq!((l, c), (6, 10));
        assert!(m.starts_with("127.0.0.1:7 overlaps 0.0.0.0:7, listened on by the [[peer]] at line 3 on host \"local\""), "{m}");
        // Other port, other family, other host: no overlap.
        scenario(
            "t.toml",
            &format!(
                "[[host]]\nname = \"b\"\n{server}listen = \"0.0.0.0:7\"\n{server}listen = \"0.0.0.0:8\"\n{server}listen = \"[::]:7\"\n{server}listen = \"0.0.0.0:7\"\nhost = \"b\"\n"
            ),
        )
        .unwrap();
    }

    #[test]
    fn peer_must_be_an_array_of_tables() {
        let (l, c, m) = err("[peer]\nkind = \"tcp-client\"\n");
        assert_eq!((l, c), (1, 1));
        assert_eq!(
            m,
            "expected [[peer]] tables (an array of tables), found a table"
        );
        let (l, c, m) = err("peer = [1]\n");
        assert_eq!((l, c), (1, 9));
        assert_eq!(m, "expected [[peer]] tables (an array of tables), found 1");
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let (l, c, _) = err("[[peer]] # café\nkind = \"tcp-client\"\nconnect = \"127.0.0.1:1\" # é\nsend = \"é\"\nread = \"é\"\n");
        assert_eq!((l, c), (5, 8));
        let (l, c, _) = err(
            "[[peer]]\nkind = \"tcp-client\"\nconnect = \"127.0.0.1:1\"\nsend = \"éé\"; read = 0\n",
        );
        // TOML has no ';': the fault is right after the string, at character 12.
        assert_eq!((l, c), (4, 12));
    }
}
