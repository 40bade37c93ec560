//! One socket of the base provider: its state and buffers.

use super::bytebuf::ByteBuf;
use crate::memory::WsaBuf;
use crate::net::{HostId, IpAddr, SockAddr};
use crate::provider::RecvMeta;
use smallvec::SmallVec;
use std::collections::VecDeque;

/// Stream or datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `SOCK_STREAM` (TCP).
    Stream,
    /// `SOCK_DGRAM` (UDP).
    Dgram,
    /// `SOCK_RAW`: datagrams of the socket's protocol, without ports.
    Raw,
}

/// A socket's state. TCP: created, bound, listening, connecting, connected, and the ends
/// of a connection (reset by the peer, aborted locally, broken by keep-alive, closed);
/// shutdown directions are flags beside the state. UDP: created (unbound), bound,
/// connected (a default peer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Fresh from `socket()`.
    Created,
    /// Bound to a local address.
    Bound,
    /// Accepting connections.
    Listening,
    /// A connect is in progress.
    Connecting,
    /// Connected (TCP), or with a default peer (UDP).
    Connected,
    /// The peer reset the connection.
    Reset,
    /// The connection was aborted on this host (time-out or other failure).
    Aborted,
    /// Keep-alive found the connection dead.
    KeepAliveFailed,
    /// The handle was closed; the socket may still be draining its data.
    Closed,
}

impl State {
    /// Name used in traces.
    pub fn name(self) -> &'static str {
        match self {
            State::Created => "created",
            State::Bound => "bound",
            State::Listening => "listening",
            State::Connecting => "connecting",
            State::Connected => "connected",
            State::Reset => "reset",
            State::Aborted => "aborted",
            State::KeepAliveFailed => "keepalive_failed",
            State::Closed => "closed",
        }
    }
}

/// A send that the transport has not finished consuming.
#[derive(Debug, Clone)]
pub(crate) struct SendReq {
    /// The kernel operation.
    pub op: u64,
    /// The captured `WSABUF` array.
    pub bufs: SmallVec<[WsaBuf; 4]>,
    /// Total bytes.
    pub total: u32,
    /// Bytes consumed so far.
    pub taken: u32,
    /// `MSG_OOB`: the last byte is urgent.
    pub urgent: bool,
    /// Documented profile: held back so it pends although it could complete at once.
    pub deferred: bool,
}

/// A receive waiting for data.
#[derive(Debug, Clone)]
pub(crate) struct RecvReq {
    pub op: u64,
    pub bufs: SmallVec<[WsaBuf; 4]>,
    pub peek: bool,
}

/// Options the socket stores (`options.rs` reads and writes them).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Opts {
    pub sndbuf: u32,
    pub rcvbuf: u32,
    pub sndtimeo: u32,
    pub rcvtimeo: u32,
    pub linger_onoff: u16,
    pub linger_secs: u16,
    pub broadcast: bool,
    pub oobinline: bool,
    pub keepalive: bool,
    pub reuseaddr: bool,
    pub nodelay: bool,
    pub debug: bool,
    pub dontroute: bool,
    /// `SO_ERROR` as set by `setsockopt`: returned and reset by `getsockopt`.
    pub error: u32,
    /// `IP_TTL` / `IPV6_UNICAST_HOPS`: the time to live of the datagrams it sends.
    pub ttl: u32,
    /// `IP_DONTFRAGMENT`: a datagram larger than the path MTU is `WSAEMSGSIZE`.
    pub dontfragment: bool,
    /// `IP_PKTINFO`: `WSARecvMsg` returns an `in_pktinfo` with each IPv4 datagram.
    pub pktinfo: bool,
    /// `IPV6_PKTINFO`: `WSARecvMsg` returns an `in6_pktinfo` with each IPv6 datagram.
    pub pktinfo6: bool,
    /// `IPV6_V6ONLY`: an `AF_INET6` socket handles IPv6 only (the default); off, it is
    /// dual-stack and also sends to and receives from IPv4 (as IPv4-mapped addresses).
    pub v6only: bool,
    /// The error of a failed nonblocking connect: `SO_ERROR` reports it, across reads,
    /// until a connection succeeds (`wine-facts.md` V5).
    pub connect_error: u32,
}

/// Default `SO_SNDBUF` and `SO_RCVBUF`: 64 KiB (divergence: Windows sizes them
/// dynamically; no test asserts the default, `wine-facts.md` P1/P2).
pub(crate) const BUF_DEFAULT: u32 = 64 * 1024;

/// Default `IP_TTL` (Windows' `DefaultTTL` is 128).
pub(crate) const TTL_DEFAULT: u32 = 128;

/// A datagram waiting in a receive queue.
#[derive(Debug, Clone)]
pub(crate) struct Dgram {
    /// Its source address (what `recvfrom` reports).
    pub from: SockAddr,
    /// Its destination address (what `IP_PKTINFO` reports).
    pub to: IpAddr,
    /// The receiving host's interface index for `to`.
    pub if_index: u32,
    /// It was sent to a broadcast (`MSG_BCAST`) or multicast (`MSG_MCAST`) address.
    pub bcast: bool,
    /// The payload.
    pub bytes: Vec<u8>,
}

/// Where an overlapped datagram goes, and from which source address.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DgramOut {
    pub dest: SockAddr,
    pub src: Option<IpAddr>,
}

impl Default for Opts {
    fn default() -> Opts {
        Opts {
            sndbuf: BUF_DEFAULT,
            rcvbuf: BUF_DEFAULT,
            sndtimeo: 0,
            rcvtimeo: 0,
            linger_onoff: 0,
            linger_secs: 0,
            broadcast: false,
            oobinline: false,
            keepalive: false,
            reuseaddr: false,
            nodelay: false,
            debug: false,
            dontroute: false,
            error: 0,
            connect_error: 0,
            ttl: TTL_DEFAULT,
            dontfragment: false,
            pktinfo: false,
            pktinfo6: false,
            v6only: true,
        }
    }
}

/// Faults armed on a socket.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Faults {
    pub nobufs: u32,
    pub too_many: u32,
    pub ttl_expired: bool,
    pub stalled: bool,
}

/// A socket of the base provider.
#[derive(Debug)]
pub(crate) struct Sock {
    pub handle: u64,
    pub host: HostId,
    pub kind: Kind,
    pub af: i32,
    #[allow(dead_code)]
    pub proto: i32,
    pub state: State,
    pub local: Option<SockAddr>,
    pub peer_addr: Option<SockAddr>,
    pub opts: Opts,
    pub nonblocking: bool,
    pub sd_send: bool,
    pub sd_recv: bool,
    /// The handle was closed but the socket still drains (graceful close).
    pub orphan: bool,
    pub faults: Faults,

    // Stream.
    pub peer: Option<u64>,
    pub send_q: VecDeque<SendReq>,
    /// `SO_SNDBUF = 0`: requests wholly on the wire, as `(end offset, op, bytes)`; each
    /// completes when the peer's buffer has taken its last byte.
    pub unacked: VecDeque<(u64, u64, u32)>,
    pub sndbuf: ByteBuf,
    /// Stream offset of the urgent byte in `sndbuf` order, if one is queued.
    pub urgent_at: Option<u64>,
    /// Bytes handed to the wire so far (stream offset).
    pub next_seq: u64,
    /// Bytes the peer's receive buffer has taken so far.
    pub acked: u64,
    pub rcv: ByteBuf,
    /// The receive window: `SO_RCVBUF` when the connection was made, and never less
    /// afterwards (a TCP window does not shrink; `wine-facts.md` E36 needs this).
    pub rcv_window: u32,
    pub recv_q: VecDeque<RecvReq>,
    pub fin_rcvd: bool,
    pub fin_sent: bool,
    pub oob: Option<u8>,
    pub backlog: VecDeque<u64>,
    pub backlog_max: usize,
    pub accept_ops: VecDeque<u64>,
    pub connect_op: Option<u64>,
    pub linger_op: Option<u64>,

    // Datagram.
    pub dgrams: VecDeque<Dgram>,
    /// Destinations of the queued datagram sends, by operation.
    pub dgram_dest: VecDeque<(u64, DgramOut)>,
    /// Where each queued datagram receive writes its address and control data, by
    /// operation.
    pub dgram_meta: VecDeque<(u64, RecvMeta)>,
    pub dgram_bytes: usize,
    /// Bytes of this socket's datagrams not yet off the wire (the datagram send buffer).
    pub dgram_tx: u64,
    pub icmp_unreachable: bool,
}

impl Sock {
    pub fn new(host: HostId, kind: Kind, af: i32, proto: i32) -> Sock {
        Sock {
            handle: 0,
            host,
            kind,
            af,
            proto,
            state: State::Created,
            local: None,
            peer_addr: None,
            opts: Opts::default(),
            nonblocking: false,
            sd_send: false,
            sd_recv: false,
            orphan: false,
            faults: Faults::default(),
            peer: None,
            send_q: VecDeque::new(),
            unacked: VecDeque::new(),
            sndbuf: ByteBuf::default(),
            urgent_at: None,
            next_seq: 0,
            acked: 0,
            rcv: ByteBuf::default(),
            rcv_window: BUF_DEFAULT,
            recv_q: VecDeque::new(),
            fin_rcvd: false,
            fin_sent: false,
            oob: None,
            backlog: VecDeque::new(),
            backlog_max: 0,
            accept_ops: VecDeque::new(),
            connect_op: None,
            linger_op: None,
            dgrams: VecDeque::new(),
            dgram_dest: VecDeque::new(),
            dgram_meta: VecDeque::new(),
            dgram_bytes: 0,
            dgram_tx: 0,
            icmp_unreachable: false,
        }
    }

    /// Whether the socket no longer holds its address.
    pub fn closed(&self) -> bool {
        self.state == State::Closed
    }

    /// Bytes in flight toward the peer (handed to the wire, not yet in its buffer).
    pub fn in_flight(&self) -> u64 {
        self.next_seq - self.acked
    }

    /// Whether nothing is left to send (a closed socket can then be forgotten).
    pub fn drained(&self) -> bool {
        self.send_q.is_empty()
            && self.unacked.is_empty()
            && self.sndbuf.is_empty()
            && self.in_flight() == 0
    }
}
