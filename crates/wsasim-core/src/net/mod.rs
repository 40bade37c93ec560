//! The simulated network: hosts with addresses, loopback, links with latency and
//! bandwidth, and the queue of deliveries in flight, ordered by `(arrival time, seq)`.
//!
//! Several hosts, each with IPv4 and IPv6 addresses and a prefix length per address
//! (its subnet). A host reaches the owner of an address directly when the two are joined
//! by a [`Link`]; otherwise through its route table (`dest/prefix via gateway-host`,
//! longest prefix first), one hop at a time: [`Network::route`]. Without a route the
//! address is unreachable (`WSAENETUNREACH`). Links also carry an MTU and a datagram
//! loss ratio ([`LinkOpts`]); the provider fragments datagrams larger than the path MTU
//! transparently, decrements the TTL at each router, and draws losses from the run's
//! generator. Streams (TCP) use the same routes ([`Network::path`]).

pub mod addr;

use crate::config::Ratio;
use crate::time::{Duration, Instant};
pub use addr::{IpAddr, SockAddr};
use std::collections::BTreeMap;

/// A host's index in the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HostId(pub u32);

/// A host.
#[derive(Clone, Debug)]
pub struct Host {
    /// Its name (scenario files and traces use it).
    pub name: String,
    /// Its addresses (loopback is implicit).
    pub addrs: Vec<IpAddr>,
    /// Whether its network subsystem has failed (`WSAENETDOWN`).
    pub down: bool,
    next_ephemeral: u16,
    /// Prefix lengths of its addresses (absent: [`DEFAULT_PREFIX_V4`] or
    /// [`DEFAULT_PREFIX_V6`]).
    prefixes: BTreeMap<IpAddr, u8>,
    /// Its route table, in the order entries were added.
    routes: Vec<RouteEntry>,
}

/// Prefix length of an IPv4 address added without one (a /24).
pub const DEFAULT_PREFIX_V4: u8 = 24;
/// Prefix length of an IPv6 address added without one (a /64).
pub const DEFAULT_PREFIX_V6: u8 = 64;
/// MTU of a link unless set ([`LinkOpts`]): Ethernet's 1500 bytes.
pub const MTU_DEFAULT: u32 = 1500;
/// The most hops a route may have: a routing loop ends there (its datagrams' TTL
/// expires first, since a TTL is at most 255).
pub const HOPS_MAX: usize = 256;

/// A route table entry: destinations in `dest/prefix` are sent to the neighbour `via`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RouteEntry {
    /// The destination network.
    pub dest: IpAddr,
    /// Its prefix length (0: the default route).
    pub prefix: u8,
    /// The gateway host (a neighbour: it must be linked to the host).
    pub via: HostId,
}

/// What a link does to datagrams: its MTU and how often it loses one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkOpts {
    /// The largest IP packet (header included) the link carries in one piece; a larger
    /// datagram travels in fragments and is reassembled at the destination.
    pub mtu: u32,
    /// The probability that one fragment crossing the link is lost (integer ratio,
    /// drawn from the run's generator and traced). Streams are not affected (TCP
    /// retransmits; the model does not show it).
    pub loss: Ratio,
}

impl Default for LinkOpts {
    fn default() -> LinkOpts {
        LinkOpts {
            mtu: MTU_DEFAULT,
            loss: Ratio::NEVER,
        }
    }
}

/// One link crossed by a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Leg {
    /// The host at the far end.
    pub to: HostId,
    /// The link's timing.
    pub link: Link,
    /// Its MTU and loss.
    pub opts: LinkOpts,
}

/// The way from a host to an address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// The host that owns the address.
    pub dst: HostId,
    /// The links crossed, in order; empty when the address is the host's own (loopback).
    pub legs: Vec<Leg>,
}

impl Route {
    /// The timing of the whole route: latencies add up, the slowest link's bandwidth
    /// counts.
    pub fn link(&self, loopback: Link) -> Link {
        if self.legs.is_empty() {
            return loopback;
        }
        Link {
            latency: self
                .legs
                .iter()
                .fold(Duration::ZERO, |acc, l| acc + l.link.latency),
            bandwidth: self.legs.iter().filter_map(|l| l.link.bandwidth).min(),
        }
    }
    /// The smallest MTU on the way (`u32::MAX` for loopback).
    pub fn mtu(&self) -> u32 {
        self.legs
            .iter()
            .map(|l| l.opts.mtu)
            .min()
            .unwrap_or(u32::MAX)
    }
}

/// Why [`Network::route`] found no way to an address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RouteError {
    /// The source host has no route at all: the send fails with `WSAENETUNREACH`.
    NoRoute,
    /// The packet leaves, but is dropped after crossing `legs`: a router without a
    /// route, an address on a subnet that nobody owns, or a routing loop (then `legs`
    /// has [`HOPS_MAX`] entries and the TTL expires first).
    Dropped {
        /// The links crossed before the drop.
        legs: Vec<Leg>,
    },
}

/// A link between two hosts (both directions alike).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Link {
    /// One-way latency.
    pub latency: Duration,
    /// Bytes per second; `None` is unlimited.
    pub bandwidth: Option<u64>,
}

impl Default for Link {
    fn default() -> Link {
        Link {
            latency: Duration::from_micros(100),
            bandwidth: None,
        }
    }
}

/// First ephemeral port (Windows' dynamic range starts at 49152).
pub const EPHEMERAL_FIRST: u16 = 49_152;

/// The network's topology and timing. What travels on it is the provider's business;
/// this says when it arrives.
#[derive(Debug)]
pub struct Network {
    hosts: Vec<Host>,
    links: BTreeMap<(HostId, HostId), Link>,
    /// Loopback timing (zero latency, unlimited bandwidth by default).
    pub loopback: Link,
    /// When each directed path is next free to transmit (bandwidth serialisation).
    busy_until: BTreeMap<(HostId, HostId), Instant>,
    /// MTU and loss of each link (absent: [`LinkOpts::default`]).
    opts: BTreeMap<(HostId, HostId), LinkOpts>,
    /// The latest arrival handed out by [`Network::arrival`] on each directed path, so
    /// a stream stays in order when a link's latency drops during a run.
    last_arrival: BTreeMap<(HostId, HostId), Instant>,
    /// Links that are system area network links (Windows Sockets Direct): a stream
    /// connection between their two hosts goes through the SAN provider.
    san_links: std::collections::BTreeSet<(HostId, HostId)>,
}

impl Default for Network {
    fn default() -> Network {
        Network::new()
    }
}

impl Network {
    /// A network with one host, `local`, at 127.0.0.1 / ::1 only.
    pub fn new() -> Network {
        let mut n = Network {
            hosts: Vec::new(),
            links: BTreeMap::new(),
            loopback: Link {
                latency: Duration::ZERO,
                bandwidth: None,
            },
            busy_until: BTreeMap::new(),
            opts: BTreeMap::new(),
            last_arrival: BTreeMap::new(),
            san_links: std::collections::BTreeSet::new(),
        };
        n.add_host("local", &[]);
        n
    }

    /// Adds a host with the given addresses (each in its default subnet: /24 for IPv4,
    /// /64 for IPv6; [`Network::add_address`] gives another prefix).
    pub fn add_host(&mut self, name: &str, addrs: &[IpAddr]) -> HostId {
        self.hosts.push(Host {
            name: name.to_string(),
            addrs: addrs.to_vec(),
            down: false,
            next_ephemeral: EPHEMERAL_FIRST,
            prefixes: BTreeMap::new(),
            routes: Vec::new(),
        });
        HostId(self.hosts.len() as u32 - 1)
    }

    /// Gives host `h` the address `ip` in a `/prefix` subnet (or sets the prefix of an
    /// address it has).
    pub fn add_address(&mut self, h: HostId, ip: IpAddr, prefix: u8) {
        let host = self.host_mut(h);
        if !host.addrs.contains(&ip) {
            host.addrs.push(ip);
        }
        host.prefixes.insert(ip, prefix);
    }

    /// The prefix length of `h`'s address `ip`.
    pub fn prefix_len(&self, h: HostId, ip: &IpAddr) -> u8 {
        self.host(h).prefixes.get(ip).copied().unwrap_or(match ip {
            IpAddr::V4(_) => DEFAULT_PREFIX_V4,
            IpAddr::V6(_) => DEFAULT_PREFIX_V6,
        })
    }

    /// Adds `dest/prefix via gateway` to `h`'s route table (0.0.0.0/0 or ::/0 is a
    /// default route). The gateway must be linked to `h` for the route to be usable.
    pub fn add_route(&mut self, h: HostId, dest: IpAddr, prefix: u8, via: HostId) {
        self.host_mut(h)
            .routes
            .push(RouteEntry { dest, prefix, via });
    }

    /// `h`'s route table.
    pub fn routes(&self, h: HostId) -> &[RouteEntry] {
        &self.host(h).routes
    }

    /// Sets the MTU and loss of the link between `a` and `b`.
    pub fn set_link_opts(&mut self, a: HostId, b: HostId, opts: LinkOpts) {
        self.opts.insert((a.min(b), a.max(b)), opts);
    }

    /// Marks the link between `a` and `b` as a system area network (SAN) link, or not:
    /// "WSD routes Winsock traffic over a system area network instead of TCP/IP" and
    /// "the switch ... chooses per connection SAN vs TCP/IP" (windows-semantics §8, WDD
    /// `windows-sockets-direct-architecture.md`). Kept apart from [`LinkOpts`] so that
    /// existing `LinkOpts { .. }` literals stay valid.
    pub fn set_san_link(&mut self, a: HostId, b: HostId, san: bool) {
        let key = (a.min(b), a.max(b));
        if san {
            self.san_links.insert(key);
        } else {
            self.san_links.remove(&key);
        }
    }

    /// Whether `a` and `b` are joined by a SAN link.
    pub fn is_san_link(&self, a: HostId, b: HostId) -> bool {
        a != b && self.san_links.contains(&(a.min(b), a.max(b)))
    }

    /// The MTU and loss of the link between `a` and `b`.
    pub fn link_opts(&self, a: HostId, b: HostId) -> LinkOpts {
        self.opts
            .get(&(a.min(b), a.max(b)))
            .copied()
            .unwrap_or_default()
    }

    /// Whether `a` and `b` are joined by a link.
    pub fn linked(&self, a: HostId, b: HostId) -> bool {
        self.links.contains_key(&(a.min(b), a.max(b)))
    }

    /// Whether one of `h`'s addresses has `ip` in its subnet.
    pub fn on_link(&self, h: HostId, ip: &IpAddr) -> bool {
        self.host(h)
            .addrs
            .iter()
            .any(|a| ip.in_subnet(a, self.prefix_len(h, a)))
    }

    fn leg(&self, a: HostId, b: HostId) -> Option<Leg> {
        let link = *self.links.get(&(a.min(b), a.max(b)))?;
        Some(Leg {
            to: b,
            link,
            opts: self.link_opts(a, b),
        })
    }

    /// The gateway of `h`'s longest-prefix route to `ip`.
    fn next_hop(&self, h: HostId, ip: &IpAddr) -> Option<HostId> {
        self.host(h)
            .routes
            .iter()
            .filter(|r| ip.in_subnet(&r.dest, r.prefix))
            .max_by_key(|r| r.prefix)
            .map(|r| r.via)
    }

    /// The route from `from` to the address `dst` (an IPv4-mapped address is its IPv4
    /// address): loopback when it is `from`'s own; one link when its owner is a
    /// neighbour; else through the route table, hop by hop.
    pub fn route(&self, from: HostId, dst: &IpAddr) -> Result<Route, RouteError> {
        let dst = dst.unmapped();
        if dst.is_loopback() || self.host(from).addrs.contains(&dst) {
            return Ok(Route {
                dst: from,
                legs: Vec::new(),
            });
        }
        let owner = self.host_of(from, &dst);
        let mut cur = from;
        let mut legs: Vec<Leg> = Vec::new();
        loop {
            if cur != from && self.host(cur).addrs.contains(&dst) {
                return Ok(Route { dst: cur, legs });
            }
            if let Some(leg) = owner.and_then(|o| self.leg(cur, o)) {
                legs.push(leg);
                return Ok(Route { dst: leg.to, legs });
            }
            let via = self.next_hop(cur, &dst).and_then(|gw| self.leg(cur, gw));
            match via {
                Some(leg) if legs.len() < HOPS_MAX => {
                    legs.push(leg);
                    cur = leg.to;
                }
                Some(_) => return Err(RouteError::Dropped { legs }),
                // An address on one of the host's own subnets goes out on the link even
                // when nobody owns it; anything else needs a route.
                None if cur == from && !self.on_link(from, &dst) => {
                    return Err(RouteError::NoRoute)
                }
                None => return Err(RouteError::Dropped { legs }),
            }
        }
    }

    /// Whether `ip` is a broadcast address for `h`: the limited broadcast
    /// 255.255.255.255, or the directed broadcast of one of `h`'s IPv4 subnets.
    pub fn is_broadcast_for(&self, h: HostId, ip: &IpAddr) -> bool {
        ip.is_broadcast()
            || self
                .host(h)
                .addrs
                .iter()
                .any(|a| a.directed_broadcast(self.prefix_len(h, a)) == Some(*ip))
    }

    /// The hosts a broadcast from `from` to `ip` reaches: `from` itself and every
    /// neighbour with an address on the subnet it is for (for 255.255.255.255: on any
    /// of `from`'s IPv4 subnets). Broadcasts are not routed.
    pub fn broadcast_hosts(&self, from: HostId, ip: &IpAddr) -> Vec<HostId> {
        let subnets: Vec<(IpAddr, u8)> = self
            .host(from)
            .addrs
            .iter()
            .filter(|a| matches!(a, IpAddr::V4(_)))
            .map(|a| (*a, self.prefix_len(from, a)))
            .filter(|(a, p)| ip.is_broadcast() || a.directed_broadcast(*p) == Some(*ip))
            .collect();
        let mut out = vec![from];
        for (id, host) in self.hosts() {
            if id == from || !self.linked(from, id) {
                continue;
            }
            if host
                .addrs
                .iter()
                .any(|b| subnets.iter().any(|(a, p)| b.in_subnet(a, *p)))
            {
                out.push(id);
            }
        }
        out
    }

    /// The source address `from` uses to reach `dst` when the socket does not say: the
    /// loopback or own address itself; else `from`'s address (of `dst`'s family) on the
    /// subnet of the first hop, or of `dst`; else its first address of the family.
    pub fn source_for(&self, from: HostId, dst: &IpAddr) -> Option<IpAddr> {
        let dst = dst.unmapped();
        if dst.is_loopback() || self.host(from).addrs.contains(&dst) {
            return Some(dst);
        }
        let same_family = |a: &&IpAddr| a.family() == dst.family();
        let mine: Vec<IpAddr> = self
            .host(from)
            .addrs
            .iter()
            .filter(same_family)
            .copied()
            .collect();
        let first_hop = self
            .route(from, &dst)
            .ok()
            .and_then(|r| r.legs.first().map(|l| l.to));
        let on = |target: &IpAddr| {
            mine.iter()
                .copied()
                .find(|a| target.in_subnet(a, self.prefix_len(from, a)))
        };
        if let Some(hop) = first_hop {
            for b in self.host(hop).addrs.iter().filter(same_family) {
                if let Some(a) = on(b) {
                    return Some(a);
                }
            }
        }
        on(&dst).or_else(|| mine.first().copied())
    }

    /// The interface index of `h`'s address `ip`, as `IP_PKTINFO` reports it: 1 for
    /// loopback, 2 and up for the host's addresses in order.
    pub fn if_index(&self, h: HostId, ip: &IpAddr) -> u32 {
        let ip = ip.unmapped();
        if ip.is_loopback() {
            return 1;
        }
        self.host(h)
            .addrs
            .iter()
            .position(|a| *a == ip)
            .map_or(1, |i| i as u32 + 2)
    }

    /// Joins two hosts with a link.
    pub fn link(&mut self, a: HostId, b: HostId, link: Link) {
        self.links.insert((a.min(b), a.max(b)), link);
    }

    /// The host `h`.
    pub fn host(&self, h: HostId) -> &Host {
        &self.hosts[h.0 as usize]
    }

    /// The host `h`, mutably.
    pub fn host_mut(&mut self, h: HostId) -> &mut Host {
        &mut self.hosts[h.0 as usize]
    }

    /// Every host, in order.
    pub fn hosts(&self) -> impl Iterator<Item = (HostId, &Host)> {
        self.hosts
            .iter()
            .enumerate()
            .map(|(i, h)| (HostId(i as u32), h))
    }

    /// Whether `ip` is one of `h`'s own addresses (loopback included).
    pub fn is_local(&self, h: HostId, ip: &IpAddr) -> bool {
        ip.is_loopback() || ip.is_unspecified() || self.host(h).addrs.contains(ip)
    }

    /// The host that owns `ip` as seen from `from` (loopback is `from` itself).
    pub fn host_of(&self, from: HostId, ip: &IpAddr) -> Option<HostId> {
        if ip.is_loopback() {
            return Some(from);
        }
        self.hosts()
            .find(|(_, h)| h.addrs.contains(ip))
            .map(|(id, _)| id)
    }

    /// The link from `a` to `b` (`loopback` when equal), if they are joined; otherwise
    /// the timing of the route from `a` to one of `b`'s addresses ([`Route::link`]), if
    /// there is one.
    pub fn path(&self, a: HostId, b: HostId) -> Option<Link> {
        if a == b {
            return Some(self.loopback);
        }
        if let Some(l) = self.links.get(&(a.min(b), a.max(b))) {
            return Some(*l);
        }
        self.host(b)
            .addrs
            .iter()
            .find_map(|ip| match self.route(a, ip) {
                Ok(r) if r.dst == b => Some(r.link(self.loopback)),
                _ => None,
            })
    }

    /// When `bytes` sent now from `a` to `b` arrive, taking the path's latency and its
    /// bandwidth (transmissions on one directed path are serialised) into account.
    ///
    /// Arrivals on one directed path never overtake each other: a stream is ordered
    /// ("the posted buffers are guaranteed to be sent in the same order they are
    /// specified", WSASend), also when a link's latency drops while segments are in
    /// flight (a scenario's latency or partition fault). Datagrams use
    /// [`Network::transmit`] and may be reordered.
    pub fn arrival(&mut self, now: Instant, a: HostId, b: HostId, bytes: u64) -> Option<Instant> {
        let at = self.transmit(now, a, b, bytes).map(|(_, at)| at)?;
        let last = self.last_arrival.entry((a, b)).or_insert(at);
        if *last < at {
            *last = at;
        }
        Some(*last)
    }

    /// Like [`Network::arrival`], with the instant the last byte leaves `a` first (the
    /// datagram send buffer holds the bytes until then).
    pub fn transmit(
        &mut self,
        now: Instant,
        a: HostId,
        b: HostId,
        bytes: u64,
    ) -> Option<(Instant, Instant)> {
        let link = self.path(a, b)?;
        let start = self
            .busy_until
            .get(&(a, b))
            .copied()
            .unwrap_or(now)
            .max(now);
        let tx = match link.bandwidth {
            Some(bps) if bps > 0 => Duration::from_nanos(bytes.saturating_mul(1_000_000_000) / bps),
            _ => Duration::ZERO,
        };
        let done = start + tx;
        // With nothing to transmit, the link is busy until `max(busy, now)`, which an
        // absent or older entry already says for every later `now` (time never goes
        // back): skip the map write on the zero-bandwidth-cost path of every segment.
        if tx > Duration::ZERO {
            self.busy_until.insert((a, b), done);
        }
        Some((done, done + link.latency))
    }

    /// The next ephemeral port on `h` not rejected by `in_use`.
    pub fn ephemeral_port(
        &mut self,
        h: HostId,
        mut in_use: impl FnMut(u16) -> bool,
    ) -> Option<u16> {
        let host = self.host_mut(h);
        for _ in 0..=(u16::MAX - EPHEMERAL_FIRST) {
            let p = host.next_ephemeral;
            host.next_ephemeral = if p == u16::MAX {
                EPHEMERAL_FIRST
            } else {
                p + 1
            };
            if !in_use(p) {
                return Some(p);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bandwidth_serialises_and_latency_adds() {
        let mut n = Network::new();
        let a = n.add_host("a", &[IpAddr::parse("10.0.0.1").unwrap()]);
        let b = n.add_host("b", &[IpAddr::parse("10.0.0.2").unwrap()]);
        n.link(
            a,
            b,
            Link {
                latency: Duration::from_millis(1),
                bandwidth: Some(1_000_000),
            },
        );
        let t0 = Instant::ZERO;
        // 1000 bytes at 1 MB/s = 1 ms on the wire, + 1 ms latency.
        assert_eq!(
            n.arrival(t0, a, b, 1000),
            Some(Instant::from_nanos(2_000_000))
        );
        // The second send waits for the first to leave the wire.
        assert_eq!(
            n.arrival(t0, a, b, 1000),
            Some(Instant::from_nanos(3_000_000))
        );
        assert_eq!(n.arrival(t0, a, HostId(0), 1), None, "no link");
    }

    #[test]
    fn arrivals_on_a_path_stay_in_order_when_the_latency_drops() {
        let mut n = Network::new();
        let a = n.add_host("a", &[IpAddr::parse("10.0.0.1").unwrap()]);
        let b = n.add_host("b", &[IpAddr::parse("10.0.0.2").unwrap()]);
        let slow = Link {
            latency: Duration::from_millis(10),
            bandwidth: None,
        };
        n.link(a, b, slow);
        let first = n.arrival(Instant::ZERO, a, b, 1).unwrap();
        assert_eq!(first, Instant::from_nanos(10_000_000));
        n.link(
            a,
            b,
            Link {
                latency: Duration::from_millis(1),
                bandwidth: None,
            },
        );
        // Sent later over a faster link: it may not overtake the first segment.
        let t1 = Instant::from_nanos(1_000_000);
        assert_eq!(n.arrival(t1, a, b, 1), Some(first));
        // The other direction is not held back.
        assert_eq!(n.arrival(t1, b, a, 1), Some(Instant::from_nanos(2_000_000)));
        // Datagrams (transmit) are not clamped: they may be reordered.
        assert_eq!(
            n.transmit(t1, a, b, 1).map(|(_, at)| at),
            Some(Instant::from_nanos(2_000_000))
        );
        assert_eq!(
            n.arrival(Instant::ZERO, a, a, 10),
            Some(Instant::ZERO),
            "loopback is instant by default"
        );
    }

    fn ip(s: &str) -> IpAddr {
        IpAddr::parse(s).unwrap()
    }

    /// a (10.0.1.1/24) -- r (10.0.1.254, 10.0.2.254) -- b (10.0.2.1/24); a and b route
    /// through r.
    fn routed() -> (Network, HostId, HostId, HostId) {
        let mut n = Network::new();
        let a = n.add_host("a", &[ip("10.0.1.1")]);
        let r = n.add_host("r", &[ip("10.0.1.254"), ip("10.0.2.254")]);
        let b = n.add_host("b", &[ip("10.0.2.1")]);
        let ms = |m| Link {
            latency: Duration::from_millis(m),
            bandwidth: None,
        };
        n.link(a, r, ms(1));
        n.link(r, b, ms(2));
        n.add_route(a, ip("10.0.2.0"), 24, r);
        n.add_route(b, ip("0.0.0.0"), 0, r);
        (n, a, r, b)
    }

    #[test]
    fn routes_go_hop_by_hop_and_streams_see_their_timing() {
        let (mut n, a, r, b) = routed();
        let route = n.route(a, &ip("10.0.2.1")).unwrap();
        assert_eq!(route.dst, b);
        assert_eq!(
            route.legs.iter().map(|l| l.to).collect::<Vec<_>>(),
            vec![r, b]
        );
        assert_eq!(route.link(n.loopback).latency, Duration::from_millis(3));
        // A neighbour is reached directly, without the route table.
        assert_eq!(n.route(a, &ip("10.0.1.254")).unwrap().legs.len(), 1);
        // Own and loopback addresses: no link at all.
        assert!(n.route(a, &ip("127.0.0.1")).unwrap().legs.is_empty());
        assert!(n.route(a, &ip("10.0.1.1")).unwrap().legs.is_empty());
        // `path` (streams) follows the same route.
        assert_eq!(
            n.path(a, b).map(|l| l.latency),
            Some(Duration::from_millis(3))
        );
        assert_eq!(
            n.arrival(Instant::ZERO, b, a, 10),
            Some(Instant::from_nanos(3_000_000)),
            "b's default route"
        );
        // No route: unreachable at the source.
        assert_eq!(n.route(a, &ip("192.168.9.9")), Err(RouteError::NoRoute));
        // An on-link address nobody owns goes out and is dropped.
        assert_eq!(
            n.route(a, &ip("10.0.1.77")),
            Err(RouteError::Dropped { legs: vec![] })
        );
        // A router without a route drops it after one hop.
        n.add_route(a, ip("172.16.0.0"), 12, r);
        assert!(matches!(
            n.route(a, &ip("172.16.1.1")),
            Err(RouteError::Dropped { legs }) if legs.len() == 1
        ));
    }

    #[test]
    fn a_routing_loop_ends_at_hops_max() {
        let (mut n, a, r, _) = routed();
        n.add_route(a, ip("172.16.0.0"), 12, r);
        n.add_route(r, ip("172.16.0.0"), 12, a);
        assert!(matches!(
            n.route(a, &ip("172.16.1.1")),
            Err(RouteError::Dropped { legs }) if legs.len() == HOPS_MAX
        ));
    }

    #[test]
    fn longest_prefix_wins_and_unlinked_gateways_do_not_route() {
        let (mut n, a, r, b) = routed();
        let c = n.add_host("c", &[ip("10.0.3.1")]);
        n.link(a, c, Link::default());
        n.add_route(a, ip("10.0.0.0"), 8, c);
        assert_eq!(
            n.route(a, &ip("10.0.2.1")).unwrap().legs[0].to,
            r,
            "/24 beats /8"
        );
        n.add_route(c, ip("10.0.2.0"), 24, b); // c is not linked to b
        let d = n.add_host("d", &[ip("10.9.0.1")]);
        n.add_route(a, ip("10.9.0.0"), 16, d); // nor is a to d
        assert_eq!(n.route(a, &ip("10.9.0.1")), Err(RouteError::NoRoute));
    }

    #[test]
    fn broadcasts_reach_the_subnet_and_sources_follow_the_first_hop() {
        let (mut n, a, r, b) = routed();
        let a2 = n.add_host("a2", &[ip("10.0.1.2")]);
        n.link(a, a2, Link::default());
        assert!(n.is_broadcast_for(a, &ip("255.255.255.255")));
        assert!(n.is_broadcast_for(a, &ip("10.0.1.255")));
        assert!(!n.is_broadcast_for(a, &ip("10.0.2.255")));
        assert_eq!(n.broadcast_hosts(a, &ip("10.0.1.255")), vec![a, r, a2]);
        assert_eq!(n.broadcast_hosts(b, &ip("255.255.255.255")), vec![b, r]);
        assert_eq!(n.source_for(a, &ip("10.0.2.1")), Some(ip("10.0.1.1")));
        assert_eq!(n.source_for(r, &ip("10.0.2.1")), Some(ip("10.0.2.254")));
        assert_eq!(n.source_for(r, &ip("10.0.1.1")), Some(ip("10.0.1.254")));
        assert_eq!(n.source_for(a, &ip("127.0.0.1")), Some(ip("127.0.0.1")));
        assert_eq!(n.source_for(a, &ip("::1")), Some(ip("::1")));
        assert_eq!(n.source_for(a, &ip("2001:db8::1")), None, "no IPv6 address");
        n.add_address(a, ip("10.0.1.1"), 16);
        assert_eq!(n.prefix_len(a, &ip("10.0.1.1")), 16);
        assert!(n.is_broadcast_for(a, &ip("10.0.255.255")));
        assert_eq!(n.if_index(r, &ip("10.0.2.254")), 3);
        assert_eq!(n.if_index(r, &ip("127.0.0.1")), 1);
    }

    #[test]
    fn ephemeral_ports_are_sequential_and_skip_ports_in_use() {
        let mut n = Network::new();
        let h = HostId(0);
        assert_eq!(n.ephemeral_port(h, |_| false), Some(EPHEMERAL_FIRST));
        assert_eq!(
            n.ephemeral_port(h, |p| p == EPHEMERAL_FIRST + 1),
            Some(EPHEMERAL_FIRST + 2)
        );
    }
}
