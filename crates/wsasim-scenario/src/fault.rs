//! The faults of a scenario (`[[fault]]`), what each one does to the world, and the
//! error codes it may make a call return.
//!
//! # The contract rule
//!
//! A fault can only produce an error code that the documentation lists for that call
//! (`seeds/000` for `WSASend`; the SDK pages of `send`, `recv`, `WSARecv`, `connect`,
//! `accept`, `closesocket`, `shutdown` and `WSAGetOverlappedResult` for the others).
//! [`FaultKind::produces`] says which `(call, code)` pairs each fault can cause, for the
//! program it targets and for the program at the other end of its connection;
//! [`documented_errors`] lists what each call may return. The unit test
//! `every_code_a_fault_produces_is_documented_for_that_call` checks the first against
//! the second, and the CLI fails a run in which a program met an error that no fault
//! that fired explains (so the scenario tests of `sim/tests/faults.rs` check every fault
//! kind against this table at run time).
//!
//! | `kind` | target | how it is made | `(call: code)` it may produce |
//! | --- | --- | --- | --- |
//! | `reset` | program | the other end of its connection aborts (`ProviderFault::Abort` on the peer's socket, found by address; `ProviderFault::Reset` on its own when the peer is not a program) | target: send, recv: `WSAECONNRESET`; peer: `WSAECONNABORTED` |
//! | `abort` | program | `ProviderFault::Abort` on its socket (the peer gets a reset) | target: `WSAECONNABORTED`; peer: `WSAECONNRESET` |
//! | `network-down` | host, or a program's host | `ProviderFault::NetworkDown`, and `NetworkUp` after `duration_ms`; the remote ends of its programs' connections are aborted ("terminated due to a time-out") | target: `WSAENETDOWN`; peer: `WSAECONNABORTED` |
//! | `keepalive-failure` | program | `ProviderFault::KeepAliveFailure` on both ends of its connection | `WSAENETRESET` for calls in progress, `WSAENOTCONN` after |
//! | `ttl-expired` | program (UDP) | `ProviderFault::TtlExpired` | send: `WSAENETRESET` |
//! | `port-unreachable` | program (UDP) | `ProviderFault::PortUnreachable` | send: `WSAECONNRESET` (documented profile; Windows ignores it) |
//! | `buffer-deadlock` | program | `ProviderFault::BufferDeadlock(count)` | send: `WSAENOBUFS` |
//! | `too-many-outstanding` | program | `ProviderFault::TooManyOutstanding(count)` | overlapped `WSASend`: `WSAEWOULDBLOCK` |
//! | `latency`, `bandwidth` | link | the link's timing changes (a stream never reorders) | none |
//! | `loss` | link | the link loses that ratio of datagram fragments | none (datagrams go missing) |
//! | `partition` | link | for `duration_ms`, datagrams are lost and stream bytes wait until it heals | none |
//! | `reorder` | link | for `duration_ms`, the latency jumps every millisecond among seeded values: datagrams overtake each other; streams stay in order | none |
//! | `slow-receiver` | program | it sleeps `delay_ms` before each receive | none |
//! | `stall-receiver` | program | `ProviderFault::StallReceiver` for `duration_ms` (its window closes) | none |
//! | `close-pending` | program | another thread calls `closesocket` on its socket | pending operations: `WSA_OPERATION_ABORTED` (`WSAECONNABORTED` for a receive in the Windows profile), later calls: `WSAENOTSOCK` |
//! | `thread-exit` | program | its thread calls `ExitThread` at its next call; its sockets are closed afterwards, as the process's cleanup would | pending operations: `WSA_OPERATION_ABORTED` |

use wsasim_core::{Ratio, WsaError};

/// A `[[fault]]` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// What happens.
    pub kind: FaultKind,
    /// To what.
    pub target: Target,
    /// When.
    pub when: When,
    /// How long it lasts (`network-down`, `partition`, `reorder`, `stall-receiver`);
    /// `None`: until the run ends.
    pub duration_ms: Option<u32>,
    /// How many sends it affects (`buffer-deadlock`, `too-many-outstanding`).
    pub count: u32,
    /// The new one-way latency (`latency`), in microseconds.
    pub latency_us: Option<u64>,
    /// The new bandwidth (`bandwidth`), in bits per second.
    pub bandwidth_bps: Option<u64>,
    /// The datagram loss ratio (`loss`).
    pub loss: Option<Ratio>,
    /// Milliseconds before each receive (`slow-receiver`).
    pub delay_ms: u32,
    /// 1-based line of its table header.
    pub line: usize,
    /// Byte range of its table in the file (from its header to the next table), so a
    /// shrunk scenario can be printed without it.
    pub span: std::ops::Range<usize>,
}

/// What a fault names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// `"host:NAME"`.
    Host(String),
    /// `"link:A/B"`.
    Link(String, String),
    /// `"program:NAME"`: its socket (or, for `network-down`, its host).
    Program(String),
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Host(h) => write!(f, "host:{h}"),
            Target::Link(a, b) => write!(f, "link:{a}/{b}"),
            Target::Program(p) => write!(f, "program:{p}"),
        }
    }
}

/// When a fault fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    /// `at_ms = N`: at that virtual time (a program target: if its socket exists then).
    At(u32),
    /// `ratio = "A/B"`: before each send or receive call of the target program, with
    /// that probability (a recorded choice), at most `times` times.
    Ratio {
        /// The probability.
        ratio: Ratio,
        /// Most firings.
        times: u32,
    },
}

macro_rules! fault_kinds {
    ($( $(#[$doc:meta])* $v:ident = $name:literal, $target:ident; )*) => {
        /// What a fault does (`kind`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
        pub enum FaultKind {
            $( $(#[$doc])* $v, )*
        }

        impl FaultKind {
            /// Every kind, in the order of the table above.
            pub const ALL: &'static [FaultKind] = &[ $( FaultKind::$v, )* ];

            /// The name the file uses.
            pub fn name(self) -> &'static str {
                match self { $( FaultKind::$v => $name, )* }
            }

            /// Parses a name.
            pub fn from_name(s: &str) -> Option<FaultKind> {
                match s { $( $name => Some(FaultKind::$v), )* _ => None }
            }

            /// What it may target.
            pub fn target_kind(self) -> TargetKind {
                match self { $( FaultKind::$v => TargetKind::$target, )* }
            }
        }
    };
}

fault_kinds! {
    /// The connection is reset by the remote side.
    Reset = "reset", Program;
    /// The connection is aborted locally.
    Abort = "abort", Program;
    /// The host's network subsystem fails.
    NetworkDown = "network-down", HostOrProgram;
    /// Keep-alive finds the connection dead.
    KeepAliveFailure = "keepalive-failure", Program;
    /// A datagram's time to live expires.
    TtlExpired = "ttl-expired", Program;
    /// An ICMP port unreachable comes back.
    PortUnreachable = "port-unreachable", Program;
    /// The provider reports a buffer deadlock.
    BufferDeadlock = "buffer-deadlock", Program;
    /// Too many outstanding overlapped requests.
    TooManyOutstanding = "too-many-outstanding", Program;
    /// The link's latency changes.
    Latency = "latency", Link;
    /// The link's bandwidth changes.
    Bandwidth = "bandwidth", Link;
    /// The link loses datagrams.
    Loss = "loss", Link;
    /// The link carries nothing for a while.
    Partition = "partition", Link;
    /// The link reorders datagrams for a while.
    Reorder = "reorder", Link;
    /// The program reads slowly.
    SlowReceiver = "slow-receiver", Program;
    /// The program's socket stops taking data.
    StallReceiver = "stall-receiver", Program;
    /// Another thread closes the program's socket while its operations pend.
    ClosePending = "close-pending", Program;
    /// The program's thread exits.
    ThreadExit = "thread-exit", Program;
}

/// What a kind of fault may name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetKind {
    /// `program:NAME`.
    Program,
    /// `host:NAME` or `program:NAME` (its host).
    HostOrProgram,
    /// `link:A/B`.
    Link,
}

/// Which side of a connection a code is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The program the fault targets (for a host: every program on it).
    Target,
    /// The program at the other end of the target's connection.
    Peer,
}

/// The calls whose failures roles report, for [`FaultKind::produces`] rows that apply
/// to every data call.
const DATA_CALLS: &[&str] = &["WSASend", "send", "WSARecv", "recv"];

impl FaultKind {
    /// Whether this fault (on `side`) explains `code` from `api`. `api` is the call that
    /// returned it, or, for a completion status, the call that issued the operation.
    pub fn explains(self, side: Side, api: &str, code: WsaError) -> bool {
        self.produces()
            .iter()
            .any(|&(s, calls, c)| s == side && c == code && calls.contains(&api))
    }

    /// The `(side, calls, code)` triples this fault can cause (the table in this
    /// module's documentation).
    pub fn produces(self) -> &'static [(Side, &'static [&'static str], WsaError)] {
        use Side::*;
        use WsaError as E;
        match self {
            FaultKind::Reset => &[
                (Target, DATA_CALLS, E::WSAECONNRESET),
                (Peer, DATA_CALLS, E::WSAECONNABORTED),
            ],
            FaultKind::Abort => &[
                (Target, DATA_CALLS, E::WSAECONNABORTED),
                (Peer, DATA_CALLS, E::WSAECONNRESET),
            ],
            FaultKind::NetworkDown => &[
                (Target, DATA_CALLS, E::WSAENETDOWN),
                (
                    Target,
                    &["connect", "accept", "closesocket"],
                    E::WSAENETDOWN,
                ),
                (Peer, DATA_CALLS, E::WSAECONNABORTED),
            ],
            FaultKind::KeepAliveFailure => &[
                (Target, DATA_CALLS, E::WSAENETRESET),
                (Target, DATA_CALLS, E::WSAENOTCONN),
                (Peer, DATA_CALLS, E::WSAENETRESET),
                (Peer, DATA_CALLS, E::WSAENOTCONN),
            ],
            FaultKind::TtlExpired => &[(Target, &["WSASend", "send"], E::WSAENETRESET)],
            FaultKind::PortUnreachable => &[(Target, &["WSASend", "send"], E::WSAECONNRESET)],
            FaultKind::BufferDeadlock => &[(Target, &["WSASend", "send"], E::WSAENOBUFS)],
            FaultKind::TooManyOutstanding => &[(Target, &["WSASend"], E::WSAEWOULDBLOCK)],
            FaultKind::Latency
            | FaultKind::Bandwidth
            | FaultKind::Loss
            | FaultKind::Partition
            | FaultKind::Reorder
            | FaultKind::SlowReceiver
            | FaultKind::StallReceiver => &[],
            FaultKind::ClosePending => &[
                (Target, &["WSASend", "WSARecv"], E::WSA_OPERATION_ABORTED),
                // Windows profile: a receive cancelled by closesocket completes with
                // STATUS_CONNECTION_ABORTED (wine-facts X6).
                (Target, &["WSARecv", "recv"], E::WSAECONNABORTED),
                (
                    Target,
                    &[
                        "WSASend",
                        "send",
                        "WSARecv",
                        "recv",
                        "closesocket",
                        "shutdown",
                        "WSAGetOverlappedResult",
                    ],
                    E::WSAENOTSOCK,
                ),
            ],
            FaultKind::ThreadExit => &[(Target, &["WSASend", "WSARecv"], E::WSA_OPERATION_ABORTED)],
        }
    }
}

/// The error codes the documentation lists for `api`, or `None` for a call not in the
/// table. Sources: `seeds/000` (WSASend) and the SDK pages of the other calls.
pub fn documented_errors(api: &str) -> Option<&'static [WsaError]> {
    use WsaError as E;
    Some(match api {
        // seeds/000_9e1b51605a139a38.txt, "Error code / Meaning".
        "WSASend" => &[
            E::WSAECONNABORTED,
            E::WSAECONNRESET,
            E::WSAEFAULT,
            E::WSAEINTR,
            E::WSAEINPROGRESS,
            E::WSAEINVAL,
            E::WSAEMSGSIZE,
            E::WSAENETDOWN,
            E::WSAENETRESET,
            E::WSAENOBUFS,
            E::WSAENOTCONN,
            E::WSAENOTSOCK,
            E::WSAEOPNOTSUPP,
            E::WSAESHUTDOWN,
            E::WSAEWOULDBLOCK,
            E::WSANOTINITIALISED,
            E::WSA_IO_PENDING,
            E::WSA_OPERATION_ABORTED,
        ],
        // https://learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-send
        "send" => &[
            E::WSANOTINITIALISED,
            E::WSAENETDOWN,
            E::WSAEACCES,
            E::WSAEINTR,
            E::WSAEINPROGRESS,
            E::WSAEFAULT,
            E::WSAENETRESET,
            E::WSAENOBUFS,
            E::WSAENOTCONN,
            E::WSAENOTSOCK,
            E::WSAEOPNOTSUPP,
            E::WSAESHUTDOWN,
            E::WSAEWOULDBLOCK,
            E::WSAEMSGSIZE,
            E::WSAEHOSTUNREACH,
            E::WSAEINVAL,
            E::WSAECONNABORTED,
            E::WSAECONNRESET,
            E::WSAETIMEDOUT,
        ],
        // https://learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-recv
        "recv" => &[
            E::WSANOTINITIALISED,
            E::WSAENETDOWN,
            E::WSAEFAULT,
            E::WSAENOTCONN,
            E::WSAEINTR,
            E::WSAEINPROGRESS,
            E::WSAENETRESET,
            E::WSAENOTSOCK,
            E::WSAEOPNOTSUPP,
            E::WSAESHUTDOWN,
            E::WSAEWOULDBLOCK,
            E::WSAEMSGSIZE,
            E::WSAEINVAL,
            E::WSAECONNABORTED,
            E::WSAETIMEDOUT,
            E::WSAECONNRESET,
        ],
        // https://learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-wsarecv
        "WSARecv" => &[
            E::WSAECONNABORTED,
            E::WSAECONNRESET,
            E::WSAEDISCON,
            E::WSAEFAULT,
            E::WSAEINPROGRESS,
            E::WSAEINTR,
            E::WSAEINVAL,
            E::WSAEMSGSIZE,
            E::WSAENETDOWN,
            E::WSAENETRESET,
            E::WSAENOTCONN,
            E::WSAENOTSOCK,
            E::WSAEOPNOTSUPP,
            E::WSAESHUTDOWN,
            E::WSAETIMEDOUT,
            E::WSAEWOULDBLOCK,
            E::WSANOTINITIALISED,
            E::WSA_IO_PENDING,
            E::WSA_OPERATION_ABORTED,
        ],
        // https://learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-connect
        "connect" => &[
            E::WSANOTINITIALISED,
            E::WSAENETDOWN,
            E::WSAEADDRINUSE,
            E::WSAEINTR,
            E::WSAEINPROGRESS,
            E::WSAEALREADY,
            E::WSAEADDRNOTAVAIL,
            E::WSAEAFNOSUPPORT,
            E::WSAECONNREFUSED,
            E::WSAEFAULT,
            E::WSAEINVAL,
            E::WSAEISCONN,
            E::WSAENETUNREACH,
            E::WSAEHOSTUNREACH,
            E::WSAENOBUFS,
            E::WSAENOTSOCK,
            E::WSAETIMEDOUT,
            E::WSAEWOULDBLOCK,
            E::WSAEACCES,
        ],
        // https://learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-accept
        "accept" => &[
            E::WSANOTINITIALISED,
            E::WSAECONNRESET,
            E::WSAEFAULT,
            E::WSAEINTR,
            E::WSAEINVAL,
            E::WSAEINPROGRESS,
            E::WSAEMFILE,
            E::WSAENETDOWN,
            E::WSAENOBUFS,
            E::WSAENOTSOCK,
            E::WSAEOPNOTSUPP,
            E::WSAEWOULDBLOCK,
        ],
        // https://learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-closesocket
        "closesocket" => &[
            E::WSANOTINITIALISED,
            E::WSAENETDOWN,
            E::WSAENOTSOCK,
            E::WSAEINPROGRESS,
            E::WSAEINTR,
            E::WSAEWOULDBLOCK,
        ],
        // https://learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-shutdown
        "shutdown" => &[
            E::WSAECONNABORTED,
            E::WSAECONNRESET,
            E::WSAEINPROGRESS,
            E::WSAEINVAL,
            E::WSAENETDOWN,
            E::WSAENOTCONN,
            E::WSAENOTSOCK,
            E::WSANOTINITIALISED,
        ],
        // https://learn.microsoft.com/windows/win32/api/winsock2/nf-winsock2-wsagetoverlappedresult
        // (plus the code of the operation, which roles report under the call that
        // issued it).
        "WSAGetOverlappedResult" => &[
            E::WSANOTINITIALISED,
            E::WSAENETDOWN,
            E::WSAENOTSOCK,
            E::WSA_INVALID_HANDLE,
            E::WSA_INVALID_PARAMETER,
            E::WSA_IO_INCOMPLETE,
            E::WSAEFAULT,
        ],
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_a_fault_produces_is_documented_for_that_call() {
        for &kind in FaultKind::ALL {
            for &(_, calls, code) in kind.produces() {
                for api in calls {
                    let listed = documented_errors(api)
                        .unwrap_or_else(|| panic!("{api} has no documented error list"));
                    assert!(
                        listed.contains(&code),
                        "fault {} may make {api} return {code:?}, which its documentation does not list",
                        kind.name()
                    );
                }
            }
        }
    }

    #[test]
    fn the_documented_lists_reject_what_the_pages_do_not_list() {
        // The rule has teeth: WSAETIMEDOUT is not among WSASend's codes, WSAECONNREFUSED
        // only connect's.
        assert!(!documented_errors("WSASend")
            .unwrap()
            .contains(&WsaError::WSAETIMEDOUT));
        assert!(!documented_errors("recv")
            .unwrap()
            .contains(&WsaError::WSAECONNREFUSED));
        assert!(documented_errors("connect")
            .unwrap()
            .contains(&WsaError::WSAECONNREFUSED));
        assert!(documented_errors("ExitProcess").is_none());
    }

    #[test]
    fn explains_matches_side_call_and_code() {
        let k = FaultKind::Reset;
        assert!(k.explains(Side::Target, "WSASend", WsaError::WSAECONNRESET));
        assert!(!k.explains(Side::Peer, "WSASend", WsaError::WSAECONNRESET));
        assert!(k.explains(Side::Peer, "recv", WsaError::WSAECONNABORTED));
        assert!(!k.explains(Side::Target, "connect", WsaError::WSAECONNRESET));
        assert!(!FaultKind::Latency.explains(Side::Target, "recv", WsaError::WSAETIMEDOUT));
    }

    #[test]
    fn names_round_trip() {
        for &k in FaultKind::ALL {
            assert_eq!(FaultKind::from_name(k.name()), Some(k));
        }
        assert_eq!(FaultKind::ALL.len(), 17);
    }
}
