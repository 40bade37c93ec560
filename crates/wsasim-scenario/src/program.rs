//! The programs of a scenario (`[[program]]`): built-in roles that play the program
//! under test, or an external program linked to `libwsasim`.
//!
//! A built-in role is ordinary Winsock code run as a simulated thread (`roles.rs`); it
//! checks what it should (a receiver gets exactly the bytes the sender sent) and
//! reports every error code it met, so the CLI can tell a failure a fault explains from
//! one nothing explains.

use crate::Close;
use wsasim_core::net::SockAddr;

/// A `[[program]]` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    /// Its name (unique): faults and messages refer to it.
    pub name: String,
    /// The host it runs on (default `"local"`).
    pub host: String,
    /// Virtual time, in milliseconds, at which it starts.
    pub start_ms: u32,
    /// What it is.
    pub kind: ProgramKind,
    /// 1-based line of its table header (for messages).
    pub line: usize,
}

/// What a program is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProgramKind {
    /// `role = "sender"`.
    Sender(Sender),
    /// `role = "receiver"`.
    Receiver(Receiver),
    /// `role = "echo-server"`.
    EchoServer(EchoServer),
    /// `role = "client"`.
    Client(Client),
    /// `external = "path"`.
    External(External),
}

impl ProgramKind {
    /// The role's name as the file spells it (`"external"` for an external program).
    pub fn role_name(&self) -> &'static str {
        match self {
            ProgramKind::Sender(_) => "sender",
            ProgramKind::Receiver(_) => "receiver",
            ProgramKind::EchoServer(_) => "echo-server",
            ProgramKind::Client(_) => "client",
            ProgramKind::External(_) => "external",
        }
    }
}

/// How a role reaches its peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `connect = "IP:PORT"`: it connects (TCP) or sets a default peer (UDP).
    Connect(SockAddr),
    /// `listen = "IP:PORT"`: it binds and, for TCP, listens and accepts one connection.
    Listen(SockAddr),
}

impl Endpoint {
    /// The address.
    pub fn addr(&self) -> SockAddr {
        match *self {
            Endpoint::Connect(a) | Endpoint::Listen(a) => a,
        }
    }
}

/// `protocol`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// A stream socket (`SOCK_STREAM`, `IPPROTO_TCP`).
    Tcp,
    /// A datagram socket (`SOCK_DGRAM`, `IPPROTO_UDP`), connected to a default peer.
    Udp,
}

/// How a sender sends (`io`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendIo {
    /// Overlapped `WSASend`, as the seed's example does.
    Overlapped {
        /// Event or completion routine.
        completion: Completion,
        /// How many sends it keeps in flight at once (1 to 64).
        outstanding: u32,
    },
    /// Blocking `send`.
    Blocking,
    /// Nonblocking `send` (`FIONBIO`): a send that does not fit fails with
    /// `WSAEWOULDBLOCK` or, in the documented profile, takes part of the data.
    Nonblocking,
}

/// How an overlapped send's completion is reported (`completion`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Completion {
    /// The `WSAOVERLAPPED`'s `hEvent`, waited for with `WSAWaitForMultipleEvents`, then
    /// `WSAGetOverlappedResult`.
    Event,
    /// A completion routine, run in an alertable `SleepEx`.
    Routine,
}

/// A deliberate mistake (`bug`), for teaching and for testing the explorer: each one is
/// a wrong assumption about `WSASend` that verified Windows lets pass and the
/// documentation does not promise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bug {
    /// `"reuse-overlapped"`: every send in flight uses the same `WSAOVERLAPPED`
    /// ("If multiple I/O operations are simultaneously outstanding, each must reference
    /// a separate WSAOVERLAPPED structure.").
    ReuseOverlapped,
    /// `"assume-routine-order"`: the completion routines are taken to run in issue
    /// order ("The completion routines can be called in any order").
    AssumeRoutineOrder,
    /// `"assume-full-send"`: a nonblocking `send` is taken to send everything or fail
    /// ("WSASend will return with only part of the application's buffers having been
    /// consumed").
    AssumeFullSend,
    /// `"ignore-io-pending"`: `SOCKET_ERROR` is taken as a failure even with
    /// `WSA_IO_PENDING` ("The error code WSA_IO_PENDING indicates that the overlapped
    /// operation has been successfully initiated").
    IgnoreIoPending,
}

impl Bug {
    /// The name the file uses.
    pub fn name(self) -> &'static str {
        match self {
            Bug::ReuseOverlapped => "reuse-overlapped",
            Bug::AssumeRoutineOrder => "assume-routine-order",
            Bug::AssumeFullSend => "assume-full-send",
            Bug::IgnoreIoPending => "ignore-io-pending",
        }
    }
}

/// `role = "sender"`: sends `count` buffers of `size` bytes of the pattern (byte *i* of
/// the stream is *i* mod 256; for UDP, byte *i* of each datagram), then closes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sender {
    /// Connect to, or listen on and accept one connection from, its receiver.
    pub endpoint: Endpoint,
    /// TCP or UDP (UDP: `connect` only).
    pub protocol: Protocol,
    /// How many buffers.
    pub count: u32,
    /// Bytes per buffer.
    pub size: u32,
    /// Overlapped, blocking or nonblocking.
    pub io: SendIo,
    /// `SO_SNDBUF` to set on the connected socket, if any.
    pub sndbuf: Option<u32>,
    /// How it closes.
    pub close: Close,
    /// A deliberate mistake, if any.
    pub bug: Option<Bug>,
}

/// `role = "receiver"`: receives and checks every byte against the pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receiver {
    /// Listen (and accept one connection) or connect.
    pub endpoint: Endpoint,
    /// TCP or UDP (UDP: `listen` only).
    pub protocol: Protocol,
    /// What it must receive: bytes (TCP) or datagrams (UDP). `None`: the total of the
    /// sender whose endpoint matches, if the scenario has one; else until the end of
    /// the stream.
    pub expect: Option<u64>,
    /// Bytes per receive call.
    pub read_size: u32,
    /// Overlapped `WSARecv` with an event instead of blocking `recv`.
    pub overlapped: bool,
    /// `SO_RCVBUF` to set before the connection is made, if any.
    pub rcvbuf: Option<u32>,
    /// Milliseconds to sleep before each receive (a slow reader).
    pub read_delay_ms: u32,
    /// `SO_RCVTIMEO` in milliseconds (0: none). UDP default 1000: datagrams may be lost.
    pub timeout_ms: u32,
}

/// `role = "echo-server"`: listens, accepts `accept` connections one after the other,
/// sends back every byte.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EchoServer {
    /// Where it listens.
    pub listen: SockAddr,
    /// Connections it serves.
    pub accept: u32,
}

/// One step of a client's `script`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// `connect IP:PORT`: a new TCP socket, connected (refused connects are retried
    /// every 10 ms, 100 times, as the program may not listen yet).
    Connect(SockAddr),
    /// `send N`: N more bytes of the pattern, with as many blocking `send` calls as it
    /// takes.
    Send(u64),
    /// `recv N`: exactly N bytes, checked against the pattern (an echo sends the
    /// client's own bytes back); the stream ending first is a failure.
    Recv(u64),
    /// `recv-all`: receives until the peer closes.
    RecvAll,
    /// `shutdown send|receive|both`.
    Shutdown(i32),
    /// `sleep MS`.
    Sleep(u32),
    /// `close`: `closesocket`.
    Close,
}

/// `role = "client"`: runs its `script`, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    /// The steps.
    pub script: Vec<Step>,
}

/// `external = "path"`: a program linked to `libwsasim`, run as a child process with
/// `WSASIM_SEED`, `WSASIM_PROFILE`, `WSASIM_SCENARIO` and `WSASIM_TRACE` set; its exit
/// code is the result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct External {
    /// The program (relative paths are taken from the scenario file's folder first).
    pub path: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// The exit code that counts as success.
    pub expect_exit: i32,
}
