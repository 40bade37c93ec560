//! # wsasim-scenario: a world described in TOML
//!
//! A scenario file names the hosts of a simulated network, the links between them and
//! scripted peers: small programs, run as simulated threads, that talk to the program
//! under test the way a real client or server would. [`load`] and [`parse`] read and
//! check a file: every mistake (a TOML syntax error, an unknown key, a wrong type, a bad
//! address, a missing key) is a [`ScenarioError`] with the file, the 1-based line and
//! column of the offending key or value, and the expected form. [`Scenario::install`]
//! adds the hosts and links to a world before a run; [`Scenario::start_peers`] starts
//! the peers from a simulated thread once the run has begun, and, for an external
//! program (a C program linked to `libwsasim`), [`Scenario::start_faults`] its faults.
//!
//! The form every tool relies on (DESIGN.md, "Contracts"):
//!
//! ```toml
//! [[peer]]
//! kind = "tcp-client"          # connects to the program under test
//! connect = "127.0.0.1:27015"
//! start_ms = 10                # virtual time of the connect
//! read = "all"                 # read until the program closes
//! ```
//!
//! Every key, its type, default and meaning: `docs/scenario.md`.
//!
//! ```
//! let s = wsasim_scenario::parse(
//!     "seed.toml",
//!     "[[peer]]\nkind = \"tcp-client\"\nconnect = \"127.0.0.1:27015\"\nstart_ms = 10\nread = \"all\"\n",
//! )
//! .unwrap();
//! assert_eq!(s.peers().len(), 1);
//!
//! let e = wsasim_scenario::parse("bad.toml", "[[peer]]\nkind = \"udp\"\n").unwrap_err();
//! assert_eq!(
//!     e.to_string(),
//!     "bad.toml:2:8: expected kind = \"tcp-client\" | \"tcp-server\", found \"udp\""
//! );
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]

pub mod fault;
mod parse;
mod peers;
pub mod program;
mod roles;
mod run;

pub use fault::{Fault, FaultKind, Target, When};
pub use program::{Program, ProgramKind};
pub use run::{ErrorSeen, FaultFiring, Faults, ProgramReport, RunLog};

use std::fmt;
use std::path::Path;
use wsasim_core::net::{IpAddr, Link as NetLink, SockAddr};
use wsasim_core::time::Duration;
use wsasim_core::World;

/// A mistake in a scenario file: where it is and what was expected there.
///
/// `Display` prints `FILE:LINE:COLUMN: MESSAGE`; the message ends with the expected
/// form (`expected kind = "tcp-client" | "tcp-server", found "udp"`). Line and column
/// are 1-based, columns count characters. A file that cannot be read at all has line
/// and column 0 and prints as `FILE: MESSAGE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file name as given to [`load`] or [`parse`].
    pub file: String,
    /// 1-based line of the offending key or value (0: the file as a whole).
    pub line: usize,
    /// 1-based column, in characters (0: the file as a whole).
    pub column: usize,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.line, self.column, self.message
            )
        }
    }
}

impl std::error::Error for ScenarioError {}

/// A host of the simulated network (`[[host]]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Host {
    /// Its name; `"local"` is the host the program under test runs on.
    pub name: String,
    /// Its addresses (loopback is implicit on every host).
    pub addrs: Vec<IpAddr>,
    /// The prefix length of each address, in the order of `addrs` (`"10.0.0.2/16"`;
    /// without one, /24 for IPv4 and /64 for IPv6, the network's defaults).
    pub prefixes: Vec<u8>,
}

/// A route table entry (`[[route]]`): `host` sends what is for `dest/prefix` to its
/// neighbour `via`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// The host whose table holds it.
    pub host: String,
    /// The destination network (host bits zero).
    pub dest: IpAddr,
    /// Its prefix length (0: a default route).
    pub prefix: u8,
    /// The gateway: a host linked to `host`.
    pub via: String,
}

/// A link between two hosts (`[[link]]`), the same in both directions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// The two hosts it joins.
    pub between: [String; 2],
    /// One-way latency in microseconds (default 100).
    pub latency_us: u64,
    /// Bits per second; `None` (the default) is unlimited.
    pub bandwidth_bps: Option<u64>,
    /// The largest IP packet it carries in one piece (`None`: 1500).
    pub mtu: Option<u32>,
    /// The chance that a datagram fragment crossing it is lost (`None`: never).
    pub loss: Option<wsasim_core::Ratio>,
    /// `san = true`: a SAN link ([`wsasim_core::net::Network::set_san_link`]): stream
    /// connections across it use the SAN provider when a Windows Sockets Direct switch
    /// is installed (`WSASIM_PROVIDER=path.so:san`); default `false`.
    pub san: bool,
}

/// How a peer closes a connection (`close`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Close {
    /// `closesocket` with lingering off: the data still queued is sent, then FIN.
    Graceful,
    /// `SO_LINGER` with `l_onoff = 1, l_linger = 0`, then `closesocket`: an abortive
    /// close, the other side sees `WSAECONNRESET`.
    Reset,
}

/// What a `tcp-client` peer reads (`read`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Read {
    /// Until the program closes (`recv` returns 0) or the connection fails.
    All,
    /// Until this many bytes arrived (or the connection ends first).
    Bytes(u64),
    /// Nothing.
    None,
}

/// What a `tcp-client` peer sends after connecting (`send`, `send_bytes`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payload {
    /// Nothing.
    None,
    /// These bytes (`send = "text"`, UTF-8).
    Text(Vec<u8>),
    /// This many bytes of the pattern `0, 1, ..., 255, 0, 1, ...` (`send_bytes = N`).
    Pattern(u64),
}

/// What a `tcp-server` peer does with what it receives (`mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Sends every byte back.
    Echo,
    /// Drops it.
    Discard,
}

/// A `tcp-client` peer: connects to the program under test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TcpClient {
    /// The address it connects to.
    pub connect: SockAddr,
    /// What it sends after connecting.
    pub send: Payload,
    /// Whether it shuts down its sending side (`shutdown(SD_SEND)`) after sending.
    pub shutdown_send: bool,
    /// What it reads then.
    pub read: Read,
    /// Milliseconds between connect attempts refused with `WSAECONNREFUSED`.
    pub connect_retry_ms: u32,
    /// Most connect attempts (the first one included).
    pub connect_attempts: u32,
}

/// A `tcp-server` peer: accepts connections from the program under test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TcpServer {
    /// The address it listens on.
    pub listen: SockAddr,
    /// Echo or discard.
    pub mode: Mode,
    /// How many connections it accepts (one after the other).
    pub accept: u32,
}

/// What a peer is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// `kind = "tcp-client"`.
    TcpClient(TcpClient),
    /// `kind = "tcp-server"`.
    TcpServer(TcpServer),
}

/// A scripted peer (`[[peer]]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
    /// The host it runs on (default `"local"`, the program's host).
    pub host: String,
    /// Virtual time, in milliseconds, at which it connects or starts listening.
    pub start_ms: u32,
    /// How it closes its connections.
    pub close: Close,
    /// Client or server, with the role's settings.
    pub role: Role,
}

/// A parsed and checked scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    file: String,
    text: String,
    hosts: Vec<Host>,
    links: Vec<Link>,
    routes: Vec<Route>,
    peers: Vec<Peer>,
    programs: Vec<Program>,
    faults: Vec<Fault>,
    swarm: Option<wsasim_core::Ratio>,
    expect_contract: bool,
}

/// The host the program under test runs on (the network's first host).
pub const LOCAL_HOST: &str = "local";

/// Reads and checks the scenario file at `path`.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
        file: file.clone(),
        line: 0,
        column: 0,
        message: format!("cannot read the scenario: {e}"),
    })?;
    parse(&file, &text)
}

/// Checks the scenario `text`; `file_name` is used in error messages.
pub fn parse(file_name: &str, text: &str) -> Result<Scenario, ScenarioError> {
    parse::scenario(file_name, text)
}

impl Scenario {
    /// The file name it was parsed under.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The `[[host]]` tables, in file order.
    pub fn hosts(&self) -> &[Host] {
        &self.hosts
    }

    /// The `[[link]]` tables, in file order.
    pub fn links(&self) -> &[Link] {
        &self.links
    }

    /// The `[[route]]` tables, in file order.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// The `[[peer]]` tables, in file order.
    pub fn peers(&self) -> &[Peer] {
        &self.peers
    }

    /// The `[[program]]` tables, in file order.
    pub fn programs(&self) -> &[Program] {
        &self.programs
    }

    /// The `[[fault]]` tables, in file order.
    pub fn faults(&self) -> &[Fault] {
        &self.faults
    }

    /// The `[swarm]` table's ratio (the chance that each fault is on in a run), if the
    /// file has one.
    pub fn swarm(&self) -> Option<wsasim_core::Ratio> {
        self.swarm
    }

    /// Whether `[expect] contract = true`: contract reports do not fail a run.
    pub fn expects_contract_reports(&self) -> bool {
        self.expect_contract
    }

    /// The scenario's external program, if it has one (then it is its only program).
    pub fn external(&self) -> Option<&program::External> {
        self.programs.iter().find_map(|p| match &p.kind {
            ProgramKind::External(e) => Some(e),
            _ => None,
        })
    }

    /// The file's text without the `[[fault]]` tables whose index `keep` rejects: a
    /// scenario that can be checked in after shrinking.
    pub fn text_with_faults(&self, keep: impl Fn(usize) -> bool) -> String {
        let mut out = String::new();
        let mut at = 0;
        for (i, f) in self.faults.iter().enumerate() {
            if keep(i) {
                continue;
            }
            out.push_str(&self.text[at..f.span.start]);
            at = f.span.end;
        }
        out.push_str(&self.text[at..]);
        out
    }

    /// Adds the scenario's hosts, addresses (with their prefix lengths), links (with
    /// their MTU and loss) and routes to the world's network before the run. A
    /// `[[host]]` whose name the network already has (`"local"`, the program's host) gets
    /// the addresses added; the others are new hosts.
    pub fn install(&self, world: &mut World) {
        let net = world.network_mut();
        for h in &self.hosts {
            let existing = net
                .hosts()
                .find(|(_, nh)| nh.name == h.name)
                .map(|(id, _)| id);
            let id = existing.unwrap_or_else(|| net.add_host(&h.name, &[]));
            for (i, a) in h.addrs.iter().enumerate() {
                let prefix = h.prefixes.get(i).copied().unwrap_or(match a {
                    IpAddr::V4(_) => wsasim_core::net::DEFAULT_PREFIX_V4,
                    IpAddr::V6(_) => wsasim_core::net::DEFAULT_PREFIX_V6,
                });
                net.add_address(id, *a, prefix);
            }
        }
        let id = |net: &wsasim_core::net::Network, name: &str| {
            net.hosts()
                .find(|(_, nh)| nh.name == name)
                .map(|(id, _)| id)
                .expect("the hosts were added above or checked by parse")
        };
        for l in &self.links {
            let (a, b) = (id(net, &l.between[0]), id(net, &l.between[1]));
            if l.mtu.is_some() || l.loss.is_some() {
                let d = wsasim_core::net::LinkOpts::default();
                net.set_link_opts(
                    a,
                    b,
                    wsasim_core::net::LinkOpts {
                        mtu: l.mtu.unwrap_or(d.mtu),
                        loss: l.loss.unwrap_or(d.loss),
                    },
                );
            }
            net.link(
                a,
                b,
                NetLink {
                    latency: Duration::from_micros(l.latency_us),
                    // The model counts bytes per second.
                    bandwidth: l.bandwidth_bps.map(|bps| bps / 8),
                },
            );
            if l.san {
                net.set_san_link(a, b, true);
            }
        }
        for r in &self.routes {
            let (h, via) = (id(net, &r.host), id(net, &r.via));
            net.add_route(h, r.dest, r.prefix, via);
        }
    }

    /// Starts the scripted peers as simulated threads (call from a simulated thread,
    /// e.g. the adopted main thread, right after the run starts; after [`install`]).
    /// Returns their thread handles, in file order; a peer's exit code is 0 when its
    /// script ran to the end, or the WSA error code of the call that stopped it.
    ///
    /// A `tcp-server` peer whose start time has come is listening when this returns (the
    /// calling thread waits for it with `WaitForSingleObject` on a setup thread, so the
    /// program under test can never connect before its server exists).
    ///
    /// # Panics
    /// If a peer's host is not in the world (the scenario was not installed), or when
    /// not called from a simulated thread.
    ///
    /// [`install`]: Scenario::install
    pub fn start_peers(&self) -> Vec<u64> {
        peers::start(self)
    }
}
