//! The multi-host network's keys (issue 5): host addresses with prefix lengths
//! (`"10.0.0.2/24"`), a link's `mtu` and datagram `loss`, and `[[route]]` tables.
//! Checked like the rest of the file: every message has the line, the column and the
//! expected form.

use super::{expected, host_names, unknown_host, Span, Src, Table};
use crate::{Host, Link, Route, ScenarioError};
use std::collections::BTreeMap;
use toml::de::DeValue;
use wsasim_core::net::{IpAddr, DEFAULT_PREFIX_V4, DEFAULT_PREFIX_V6};
use wsasim_core::Ratio;

pub(super) const ROUTE_KEYS: &[&str] = &["host", "dest", "via"];
const DEST: &str = r#""<network>/<prefix length>" (e.g. "10.1.0.0/16", "0.0.0.0/0")"#;
const VIA: &str = r#""<name of a [[host]] linked to the route's host>""#;
const ROUTE_HOST: &str = r#""<name of a [[host]]>""#;
pub(super) const MTU: &str =
    "<the largest IP packet in bytes, header included: an integer from 68 to 65535>";
pub(super) const LOSS: &str = r#""A/B" (the chance a datagram fragment is lost: an integer ratio, 0 ≤ A ≤ B, B ≥ 1, e.g. "1/100")"#;

/// The largest prefix length of an address of `ip`'s family.
fn max_prefix(ip: &IpAddr) -> u8 {
    match ip {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    }
}

/// `"IP"` or `"IP/PREFIX"`: the address and its prefix length (`None` without one).
/// `Err` says what is wrong with the prefix.
fn ip_prefix(text: &str) -> Option<Result<(IpAddr, Option<u8>), String>> {
    let Some((ip, prefix)) = text.split_once('/') else {
        return IpAddr::parse(text).map(|ip| Ok((ip, None)));
    };
    let ip = IpAddr::parse(ip)?;
    let max = max_prefix(&ip);
    let fam = if max == 32 { "IPv4" } else { "IPv6" };
    Some(match prefix.parse::<u8>() {
        Ok(p) if p <= max && !prefix.starts_with('+') => Ok((ip, Some(p))),
        _ => Err(format!(
            "the prefix length of an {fam} address is an integer from 0 to {max}, found {prefix:?}"
        )),
    })
}

/// One entry of a host's `addrs`: its address and prefix length (the network's default
/// without one). `Err(None)`: not an address at all; `Err(Some(why))`: a bad prefix.
pub(super) fn host_addr(text: &str) -> Result<(IpAddr, u8), Option<String>> {
    match ip_prefix(text) {
        None => Err(None),
        Some(Err(why)) => Err(Some(why)),
        Some(Ok((ip, Some(0)))) => Err(Some(format!(
            "a host's address has a prefix length from 1 to {} (/0 would put every address on its link)",
            max_prefix(&ip)
        ))),
        Some(Ok((ip, prefix))) => Ok((
            ip,
            prefix.unwrap_or(match ip {
                IpAddr::V4(_) => DEFAULT_PREFIX_V4,
                IpAddr::V6(_) => DEFAULT_PREFIX_V6,
            }),
        )),
    }
}

/// `mtu` and `loss` of a `[[link]]`.
pub(super) fn link_opts(t: &Table<'_, '_>) -> Result<(Option<u32>, Option<Ratio>), ScenarioError> {
    let mtu = t.int("mtu", MTU, 68, 65_535)?.map(|n| n as u32);
    let loss = match t.string("loss", LOSS)? {
        None => None,
        Some((text, span)) => Some(super::extra::ratio(text).ok_or_else(|| {
            t.src
                .err(&span, format!("expected loss = {LOSS}, found {text:?}"))
        })?),
    };
    Ok((mtu, loss))
}

/// The `[[route]]` tables: each names a known host, a network with its prefix (host
/// bits zero) and a gateway linked to that host; one entry per host and network.
pub(super) fn parse_routes(
    src: &Src<'_>,
    tables: &[Table<'_, '_>],
    hosts: &[Host],
    links: &[Link],
) -> Result<Vec<Route>, ScenarioError> {
    let names = host_names(hosts);
    let mut routes = Vec::new();
    let mut seen: BTreeMap<(String, IpAddr, u8), usize> = BTreeMap::new();
    for t in tables {
        t.check_keys(ROUTE_KEYS, |_| None)?;
        let (host, host_span) = t.required_string("host", ROUTE_HOST)?;
        if !names.contains(&host) {
            return Err(unknown_host(src, "host", &host_span, host, hosts));
        }
        let (dest_text, dest_span) = t.required_string("dest", DEST)?;
        let (dest, prefix) = match ip_prefix(dest_text) {
            Some(Ok((ip, Some(p)))) => (ip, p),
            Some(Err(why)) => {
                return Err(src.err(&dest_span, format!("{why}; expected dest = {DEST}")))
            }
            _ => {
                return Err(src.err(
                    &dest_span,
                    format!("expected dest = {DEST}, found {dest_text:?}"),
                ))
            }
        };
        if !network_address(&dest, prefix) {
            return Err(src.err(
                &dest_span,
                format!(
                    "{dest_text} has host bits set; expected dest = the network's first address with its prefix length, e.g. \"10.1.0.0/16\""
                ),
            ));
        }
        let (via, via_span) = t.required_string("via", VIA)?;
        if !names.contains(&via) {
            return Err(unknown_host(src, "via", &via_span, via, hosts));
        }
        if via == host {
            return Err(src.err(
                &via_span,
                format!("a host is not its own gateway; expected via = {VIA}"),
            ));
        }
        let linked = links.iter().any(|l| {
            (l.between[0] == host && l.between[1] == via)
                || (l.between[0] == via && l.between[1] == host)
        });
        if !linked {
            return Err(src.err(
                &via_span,
                format!(
                    "{via:?} is not linked to {host:?} (a gateway is a neighbour: add a [[link]] between them); expected via = {VIA}"
                ),
            ));
        }
        let key = (host.to_string(), dest, prefix);
        if let Some(line) = seen.get(&key) {
            return Err(src.err(
                &dest_span,
                format!(
                    "host {host:?} already has a route to {dest}/{prefix} at line {line}; expected dest = a network not routed yet"
                ),
            ));
        }
        seen.insert(key, src.line(&dest_span));
        routes.push(Route {
            host: host.to_string(),
            dest,
            prefix,
            via: via.to_string(),
        });
    }
    Ok(routes)
}

/// Whether `ip`'s bits after the first `prefix` are zero.
fn network_address(ip: &IpAddr, prefix: u8) -> bool {
    (usize::from(prefix)..usize::from(max_prefix(ip))).all(|i| !bit(ip, i))
}

/// Bit `i` of `ip`, counting from the most significant.
fn bit(ip: &IpAddr, i: usize) -> bool {
    let bytes: &[u8] = match ip {
        IpAddr::V4(a) => a,
        IpAddr::V6(a) => a,
    };
    bytes[i / 8] & (0x80 >> (i % 8)) != 0
}

/// An `addrs` entry with a bad prefix, or the directed broadcast address of its own
/// subnet: the error for `span`.
pub(super) fn bad_host_addr(
    src: &Src<'_>,
    span: &Span,
    text: &str,
    form: &str,
    why: Option<String>,
    v: &DeValue<'_>,
) -> ScenarioError {
    match why {
        Some(why) => src.err(span, format!("{text}: {why}; expected addrs = {form}")),
        None => src.err(span, expected("addrs", form, v)),
    }
}

#[cfg(test)]
mod tests {
    use crate::{parse, Route};
    use wsasim_core::net::{HostId, IpAddr, LinkOpts, RouteEntry};
    use wsasim_core::{Config, Profile, Ratio, World};

    fn ip(s: &str) -> IpAddr {
        IpAddr::parse(s).unwrap()
    }

    fn err(text: &str) -> (usize, usize, String) {
        let e = parse("net.toml", text).unwrap_err();
        (e.line, e.column, e.message)
    }

    const NET: &str = r#"[[host]]
name = "local"
addrs = ["10.0.0.1/16", "10.0.9.9", "fd00::1/48"]

[[host]]
name = "b"
addrs = ["10.0.0.2/16", "10.1.0.1/16"]

[[host]]
name = "c"
addrs = ["10.1.0.2/16"]

[[link]]
between = ["local", "b"]
mtu = 576
loss = "1/100"

[[link]]
between = ["b", "c"]
mtu = 9000

[[route]]
host = "local"
dest = "10.1.0.0/16"
via = "b"

[[route]]
host = "c"
dest = "0.0.0.0/0"
via = "b"
"#;

    #[test]
    fn addresses_take_prefix_lengths_and_plain_ones_keep_the_defaults() {
        let s = parse("net.toml", NET).unwrap();
        assert_eq!(
            s.hosts()[0].addrs,
            vec![ip("10.0.0.1"), ip("10.0.9.9"), ip("fd00::1")]
        );
        assert_eq!(s.hosts()[0].prefixes, vec![16, 24, 48]);
        assert_eq!(s.hosts()[1].prefixes, vec![16, 16]);
    }

    #[test]
    fn links_carry_mtu_and_loss_and_routes_are_read_in_file_order() {
        let s = parse("net.toml", NET).unwrap();
        assert_eq!(
            (s.links()[0].mtu, s.links()[0].loss),
            (Some(576), Some(Ratio::new(1, 100)))
        );
        assert_eq!((s.links()[1].mtu, s.links()[1].loss), (Some(9000), None));
        assert_eq!(
            s.routes(),
            &[
                Route {
                    host: "local".into(),
                    dest: ip("10.1.0.0"),
                    prefix: 16,
                    via: "b".into()
                },
                Route {
                    host: "c".into(),
                    dest: ip("0.0.0.0"),
                    prefix: 0,
                    via: "b".into()
                },
            ]
        );
    }

    #[test]
    fn install_gives_the_network_prefixes_link_options_and_routes() {
        let s = parse("net.toml", NET).unwrap();
        let mut w = World::new(Config::new(0, Profile::Windows));
        s.install(&mut w);
        let net = w.network_mut();
        let (local, b, c) = (HostId(0), HostId(1), HostId(2));
        assert_eq!(net.prefix_len(local, &ip("10.0.0.1")), 16);
        assert_eq!(net.prefix_len(local, &ip("10.0.9.9")), 24);
        assert_eq!(net.prefix_len(local, &ip("fd00::1")), 48);
        // /16: 10.0.200.5 is on local's link; the directed broadcast is 10.0.255.255.
        assert!(net.on_link(local, &ip("10.0.200.5")));
        assert!(net.is_broadcast_for(local, &ip("10.0.255.255")));
        assert_eq!(
            net.link_opts(local, b),
            LinkOpts {
                mtu: 576,
                loss: Ratio::new(1, 100)
            }
        );
        assert_eq!(
            net.link_opts(c, b),
            LinkOpts {
                mtu: 9000,
                loss: Ratio::NEVER
            }
        );
        assert_eq!(
            net.routes(local),
            &[RouteEntry {
                dest: ip("10.1.0.0"),
                prefix: 16,
                via: b
            }]
        );
        // local reaches c through b; nothing reaches 192.168.0.0/16.
        let r = net.route(local, &ip("10.1.0.2")).unwrap();
        assert_eq!((r.dst, r.legs.len(), r.mtu()), (c, 2, 576));
        assert!(net.route(local, &ip("192.168.1.1")).is_err());
    }

    #[test]
    fn a_link_without_mtu_or_loss_keeps_the_network_defaults() {
        let s = parse(
            "n.toml",
            "[[host]]\nname = \"b\"\naddrs = [\"10.0.0.2\"]\n[[link]]\nbetween = [\"local\", \"b\"]\n",
        )
        .unwrap();
        let mut w = World::new(Config::new(0, Profile::Windows));
        s.install(&mut w);
        assert_eq!(
            w.network_mut().link_opts(HostId(0), HostId(1)),
            LinkOpts::default()
        );
    }

    #[test]
    fn bad_prefixes_are_errors_at_the_address() {
        let (l, c, m) = err("[[host]]\nname = \"b\"\naddrs = [\"10.0.0.2/33\"]\n");
        assert_eq!((l, c), (3, 10));
        assert_eq!(
            m,
            "10.0.0.2/33: the prefix length of an IPv4 address is an integer from 0 to 32, found \"33\"; expected addrs = [\"<IP address>[/<prefix length>]\", ...] (e.g. [\"10.0.0.2/24\"])"
        );
        let (_, _, m) = err("[[host]]\nname = \"b\"\naddrs = [\"fd00::2/129\"]\n");
        assert!(
            m.contains("an IPv6 address is an integer from 0 to 128, found \"129\""),
            "{m}"
        );
        let (_, _, m) = err("[[host]]\nname = \"b\"\naddrs = [\"10.0.0.2/x\"]\n");
        assert!(m.contains("found \"x\""), "{m}");
        let (l, c, m) = err("[[host]]\nname = \"b\"\naddrs = [\"10.0.0.2/0\"]\n");
        assert_eq!((l, c), (3, 10));
        assert!(
            m.starts_with("10.0.0.2/0: a host's address has a prefix length from 1 to 32"),
            "{m}"
        );
        let (l, c, m) =
            err("[[host]]\nname = \"b\"\naddrs = [\"10.0.0.2\", \"10.0.255.255/16\"]\n");
        assert_eq!((l, c), (3, 22));
        assert!(
            m.starts_with("10.0.255.255/16 is the broadcast address of its subnet"),
            "{m}"
        );
        // A /31 has no broadcast address: both ends are hosts.
        assert!(parse(
            "n.toml",
            "[[host]]\nname = \"b\"\naddrs = [\"10.0.0.1/31\"]\n"
        )
        .is_ok());
    }

    #[test]
    fn bad_mtu_and_loss_are_errors_at_the_value() {
        let base = "[[host]]\nname = \"b\"\n[[link]]\nbetween = [\"local\", \"b\"]\n";
        let (l, c, m) = err(&format!("{base}mtu = 67\n"));
        assert_eq!((l, c), (5, 7));
        assert_eq!(
            m,
            "expected mtu = <the largest IP packet in bytes, header included: an integer from 68 to 65535>, found 67"
        );
        let (_, _, m) = err(&format!("{base}mtu = \"1500\"\n"));
        assert!(m.ends_with("found \"1500\""), "{m}");
        let (l, c, m) = err(&format!("{base}loss = \"2/1\"\n"));
        assert_eq!((l, c), (5, 8));
        assert!(m.starts_with("expected loss = \"A/B\""), "{m}");
        assert!(m.ends_with("found \"2/1\""), "{m}");
        let (_, _, m) = err(&format!("{base}loss = 0.01\n"));
        assert!(m.ends_with("found 0.01"), "{m}");
        assert!(parse("n.toml", &format!("{base}loss = \"0/1\"\nmtu = 68\n")).is_ok());
    }

    #[test]
    fn route_mistakes_are_errors_at_the_key_or_value() {
        let hosts = "[[host]]\nname = \"b\"\naddrs = [\"10.0.0.2\"]\n[[host]]\nname = \"c\"\n[[link]]\nbetween = [\"local\", \"b\"]\n";
        // line 8 is [[route]]
        let (l, c, m) = err(&format!(
            "{hosts}[[route]]\nhost = \"local\"\nvia = \"b\"\n"
        ));
        assert_eq!((l, c), (8, 1));
        assert!(
            m.starts_with("missing key in [[route]]: expected dest = "),
            "{m}"
        );
        let (l, c, m) = err(&format!(
            "{hosts}[[route]]\nhost = \"local\"\ndest = \"10.1.0.0/16\"\nvia = \"b\"\ngateway = \"b\"\n"
        ));
        assert_eq!((l, c), (12, 1));
        assert_eq!(
            m,
            "unknown key \"gateway\" in [[route]]; expected one of: host, dest, via"
        );
        let (l, c, m) = err(&format!(
            "{hosts}[[route]]\nhost = \"x\"\ndest = \"10.1.0.0/16\"\nvia = \"b\"\n"
        ));
        assert_eq!((l, c), (9, 8));
        assert!(
            m.starts_with("expected host = the name of a [[host]]"),
            "{m}"
        );
        let (l, c, m) = err(&format!(
            "{hosts}[[route]]\nhost = \"local\"\ndest = \"10.1.0.0\"\nvia = \"b\"\n"
        ));
        assert_eq!((l, c), (10, 8));
        assert!(
            m.starts_with("expected dest = \"<network>/<prefix length>\""),
            "{m}"
        );
        let (_, _, m) = err(&format!(
            "{hosts}[[route]]\nhost = \"local\"\ndest = \"10.1.0.1/16\"\nvia = \"b\"\n"
        ));
        assert!(m.starts_with("10.1.0.1/16 has host bits set"), "{m}");
        let (_, _, m) = err(&format!(
            "{hosts}[[route]]\nhost = \"local\"\ndest = \"10.1.0.0/40\"\nvia = \"b\"\n"
        ));
        assert!(m.contains("from 0 to 32, found \"40\""), "{m}");
        let (l, c, m) = err(&format!(
            "{hosts}[[route]]\nhost = \"local\"\ndest = \"10.1.0.0/16\"\nvia = \"c\"\n"
        ));
        assert_eq!((l, c), (11, 7));
        assert!(m.starts_with("\"c\" is not linked to \"local\""), "{m}");
        let (_, _, m) = err(&format!(
            "{hosts}[[route]]\nhost = \"local\"\ndest = \"10.1.0.0/16\"\nvia = \"local\"\n"
        ));
        assert!(m.starts_with("a host is not its own gateway"), "{m}");
        let (l, c, m) = err(&format!(
            "{hosts}[[route]]\nhost = \"local\"\ndest = \"10.1.0.0/16\"\nvia = \"b\"\n[[route]]\nhost = \"local\"\ndest = \"10.1.0.0/16\"\nvia = \"b\"\n"
        ));
        assert_eq!((l, c), (14, 8));
        assert_eq!(
            m,
            "host \"local\" already has a route to 10.1.0.0/16 at line 10; expected dest = a network not routed yet"
        );
        // IPv6 routes work alike.
        assert!(parse(
            "n.toml",
            &format!("{hosts}[[route]]\nhost = \"local\"\ndest = \"fd01::/16\"\nvia = \"b\"\n")
        )
        .is_ok());
    }
}
