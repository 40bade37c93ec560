//! The simulated network: hosts with addresses, loopback, links with latency and
//! bandwidth, and the queue of deliveries in flight, ordered by `(arrival time, seq)`.

pub mod addr;

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
        };
        n.add_host("local", &[]);
        n
    }

    /// Adds a host with the given addresses.
    pub fn add_host(&mut self, name: &str, addrs: &[IpAddr]) -> HostId {
        self.hosts.push(Host {
            name: name.to_string(),
            addrs: addrs.to_vec(),
            down: false,
            next_ephemeral: EPHEMERAL_FIRST,
        });
        HostId(self.hosts.len() as u32 - 1)
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

    /// The link from `a` to `b` (`loopback` when equal), if they are joined.
    pub fn path(&self, a: HostId, b: HostId) -> Option<Link> {
        if a == b {
            return Some(self.loopback);
        }
        self.links.get(&(a.min(b), a.max(b))).copied()
    }

    /// When `bytes` sent now from `a` to `b` arrive, taking the path's latency and its
    /// bandwidth (transmissions on one directed path are serialised) into account.
    pub fn arrival(&mut self, now: Instant, a: HostId, b: HostId, bytes: u64) -> Option<Instant> {
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
        self.busy_until.insert((a, b), done);
        Some(done + link.latency)
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
        assert_eq!(
            n.arrival(t0, a, a, 10),
            Some(t0),
            "loopback is instant by default"
        );
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
