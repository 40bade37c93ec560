//! Winsock error codes as one table: name, number, documented meaning.
//!
//! Heads up: the numbers are those of `WinSock2.h` / `winerror.h` (see
//! `reference/windows-semantics.md` §9 and `reference/wine-facts.md` §2.3). The meanings
//! are short paraphrases of the "Windows Sockets Error Codes" page; where the `WSASend`
//! page gives a send-specific meaning, [`WsaError::send_meaning`] has it.

use core::fmt;

macro_rules! wsa_errors {
    ($( $name:ident = $value:expr, $meaning:expr; )*) => {
        /// A Winsock (or Win32) error code, as `WSAGetLastError` returns it.
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct WsaError(pub u32);

        #[allow(missing_docs)]
        impl WsaError {
            $( pub const $name: WsaError = WsaError($value); )*

            /// Every code in the table, in declaration order.
            pub const ALL: &'static [WsaError] = &[ $( WsaError::$name, )* ];

            /// The symbolic name (`"WSAECONNRESET"`), or `None` for a code not in the table.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $( $value => Some(stringify!($name)), )*
                    _ => None,
                }
            }

            /// The generic documented meaning, or `None` for a code not in the table.
            pub fn meaning(self) -> Option<&'static str> {
                match self.0 {
                    $( $value => Some($meaning), )*
                    _ => None,
                }
            }

            /// Looks a code up by its symbolic name (case-insensitive).
            pub fn from_name(name: &str) -> Option<WsaError> {
                $( if name.eq_ignore_ascii_case(stringify!($name)) { return Some(WsaError::$name); } )*
                None
            }
        }
    };
}

wsa_errors! {
    NO_ERROR = 0, "The operation completed successfully.";
    ERROR_GEN_FAILURE = 31, "A device attached to the system is not functioning (QueueUserAPC to a terminating thread).";
    WSA_INVALID_HANDLE = 6, "Specified event object handle is invalid.";
    WSA_NOT_ENOUGH_MEMORY = 8, "Insufficient memory available.";
    WSA_INVALID_PARAMETER = 87, "One or more parameters are invalid.";
    WSA_OPERATION_ABORTED = 995, "Overlapped operation aborted.";
    WSA_IO_INCOMPLETE = 996, "Overlapped I/O event object not in signaled state.";
    WSA_IO_PENDING = 997, "Overlapped operations will complete later.";
    ERROR_NOACCESS = 998, "Invalid access to memory location.";
    WSAEINTR = 10004, "A blocking operation was interrupted by a call to WSACancelBlockingCall.";
    WSAEBADF = 10009, "The file handle supplied is not valid.";
    WSAEACCES = 10013, "An attempt was made to access a socket in a way forbidden by its access permissions.";
    WSAEFAULT = 10014, "The system detected an invalid pointer address in attempting to use a pointer argument in a call.";
    WSAEINVAL = 10022, "An invalid argument was supplied.";
    WSAEMFILE = 10024, "Too many open sockets.";
    WSAEWOULDBLOCK = 10035, "A non-blocking socket operation could not be completed immediately.";
    WSAEINPROGRESS = 10036, "A blocking operation is currently executing.";
    WSAEALREADY = 10037, "An operation was attempted on a non-blocking socket that already had an operation in progress.";
    WSAENOTSOCK = 10038, "An operation was attempted on something that is not a socket.";
    WSAEDESTADDRREQ = 10039, "A required address was omitted from an operation on a socket.";
    WSAEMSGSIZE = 10040, "A message sent on a datagram socket was larger than the internal message buffer or some other network limit.";
    WSAEPROTOTYPE = 10041, "A protocol was specified in the socket function call that does not support the semantics of the socket type requested.";
    WSAENOPROTOOPT = 10042, "An unknown, invalid, or unsupported option or level was specified in a getsockopt or setsockopt call.";
    WSAEPROTONOSUPPORT = 10043, "The requested protocol has not been configured into the system, or no implementation for it exists.";
    WSAESOCKTNOSUPPORT = 10044, "The support for the specified socket type does not exist in this address family.";
    WSAEOPNOTSUPP = 10045, "The attempted operation is not supported for the type of object referenced.";
    WSAEPFNOSUPPORT = 10046, "The protocol family has not been configured into the system or no implementation for it exists.";
    WSAEAFNOSUPPORT = 10047, "An address incompatible with the requested protocol was used.";
    WSAEADDRINUSE = 10048, "Only one usage of each socket address (protocol/network address/port) is normally permitted.";
    WSAEADDRNOTAVAIL = 10049, "The requested address is not valid in its context.";
    WSAENETDOWN = 10050, "A socket operation encountered a dead network.";
    WSAENETUNREACH = 10051, "A socket operation was attempted to an unreachable network.";
    WSAENETRESET = 10052, "The connection has been broken due to keep-alive activity detecting a failure while the operation was in progress.";
    WSAECONNABORTED = 10053, "An established connection was aborted by the software in your host machine.";
    WSAECONNRESET = 10054, "An existing connection was forcibly closed by the remote host.";
    WSAENOBUFS = 10055, "An operation on a socket could not be performed because the system lacked sufficient buffer space or because a queue was full.";
    WSAEISCONN = 10056, "A connect request was made on an already connected socket.";
    WSAENOTCONN = 10057, "A request to send or receive data was disallowed because the socket is not connected.";
    WSAESHUTDOWN = 10058, "A request to send or receive data was disallowed because the socket had already been shut down in that direction.";
    WSAETOOMANYREFS = 10059, "Too many references to some kernel object.";
    WSAETIMEDOUT = 10060, "A connection attempt failed because the connected party did not properly respond after a period of time.";
    WSAECONNREFUSED = 10061, "No connection could be made because the target machine actively refused it.";
    WSAEHOSTDOWN = 10064, "A socket operation failed because the destination host was down.";
    WSAEHOSTUNREACH = 10065, "A socket operation was attempted to an unreachable host.";
    WSAEPROCLIM = 10067, "A Windows Sockets implementation may have a limit on the number of applications that may use it simultaneously.";
    WSASYSNOTREADY = 10091, "WSAStartup cannot function at this time because the underlying system it uses to provide network services is currently unavailable.";
    WSAVERNOTSUPPORTED = 10092, "The Windows Sockets version requested is not supported.";
    WSANOTINITIALISED = 10093, "Either the application has not called WSAStartup, or WSAStartup failed.";
    WSAEDISCON = 10101, "Returned by WSARecv or WSARecvFrom to indicate the remote party has initiated a graceful shutdown sequence.";
    WSAEINVALIDPROCTABLE = 10104, "The procedure call table is invalid.";
    WSAEINVALIDPROVIDER = 10105, "The requested service provider is invalid.";
    WSAEPROVIDERFAILEDINIT = 10106, "The requested service provider could not be loaded or initialized.";
    WSATYPE_NOT_FOUND = 10109, "The specified class was not found (getaddrinfo: the service is not supported for the socket type).";
    WSAHOST_NOT_FOUND = 11001, "No such host is known.";
    WSATRY_AGAIN = 11002, "This is usually a temporary error during hostname resolution.";
    WSANO_RECOVERY = 11003, "A non-recoverable error occurred during a database lookup.";
    WSANO_DATA = 11004, "The requested name is valid, but no data of the requested type was found.";
}

impl WsaError {
    /// The meaning the `WSASend` page gives this code, where it gives one
    /// (seed `000`, "Error code / Meaning" table). `None` for codes `WSASend` never returns.
    pub fn send_meaning(self) -> Option<&'static str> {
        Some(match self {
            WsaError::WSAECONNABORTED => "The virtual circuit was terminated due to a time-out or other failure.",
            WsaError::WSAECONNRESET => "For a stream socket, the virtual circuit was reset by the remote side. The application should close the socket as it is no longer usable. For a UDP datagram socket, this error would indicate that a previous send operation resulted in an ICMP \"Port Unreachable\" message.",
            WsaError::WSAEFAULT => "The lpBuffers, lpNumberOfBytesSent, lpOverlapped, lpCompletionRoutine parameter is not totally contained in a valid part of the user address space.",
            WsaError::WSAEINTR => "A blocking Windows Socket 1.1 call was canceled through WSACancelBlockingCall.",
            WsaError::WSAEINPROGRESS => "A blocking Windows Sockets 1.1 call is in progress, or the service provider is still processing a callback function.",
            WsaError::WSAEINVAL => "The socket has not been bound with bind or the socket is not created with the overlapped flag.",
            WsaError::WSAEMSGSIZE => "The socket is message oriented, and the message is larger than the maximum supported by the underlying transport.",
            WsaError::WSAENETDOWN => "The network subsystem has failed.",
            WsaError::WSAENETRESET => "For a stream socket, the connection has been broken due to keep-alive activity detecting a failure while the operation was in progress. For a datagram socket, this error indicates that the time to live has expired.",
            WsaError::WSAENOBUFS => "The Windows Sockets provider reports a buffer deadlock.",
            WsaError::WSAENOTCONN => "The socket is not connected.",
            WsaError::WSAENOTSOCK => "The descriptor is not a socket.",
            WsaError::WSAEOPNOTSUPP => "MSG_OOB was specified, but the socket is not stream-style such as type SOCK_STREAM, OOB data is not supported in the communication domain associated with this socket, MSG_PARTIAL is not supported, or the socket is unidirectional and supports only receive operations.",
            WsaError::WSAESHUTDOWN => "The socket has been shut down; it is not possible to WSASend on a socket after shutdown has been invoked with how set to SD_SEND or SD_BOTH.",
            WsaError::WSAEWOULDBLOCK => "Overlapped sockets: There are too many outstanding overlapped I/O requests. Nonoverlapped sockets: The socket is marked as nonblocking and the send operation cannot be completed immediately.",
            WsaError::WSANOTINITIALISED => "A successful WSAStartup call must occur before using this function.",
            WsaError::WSA_IO_PENDING => "An overlapped operation was successfully initiated and completion will be indicated at a later time.",
            WsaError::WSA_OPERATION_ABORTED => "The overlapped operation has been canceled due to the closure of the socket, the execution of the \"SIO_FLUSH\" command in WSAIoctl, or the thread that initiated the overlapped request exited before the operation completed.",
            _ => return None,
        })
    }

    /// The raw number, as `WSAGetLastError` returns it.
    pub const fn code(self) -> u32 {
        self.0
    }
}

impl fmt::Debug for WsaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name}({})", self.0),
            None => write!(f, "WsaError({})", self.0),
        }
    }
}

impl fmt::Display for WsaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.name(), self.meaning()) {
            (Some(name), Some(meaning)) => write!(f, "{name} ({}): {meaning}", self.0),
            _ => write!(f, "error {}", self.0),
        }
    }
}

impl std::error::Error for WsaError {}

/// Shorthand for results inside the model.
pub type WsaResult<T> = Result<T, WsaError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_round_trips_names_and_numbers() {
        for &e in WsaError::ALL {
            let name = e.name().expect("every table entry has a name");
            assert_eq!(WsaError::from_name(name), Some(e));
            assert!(e.meaning().is_some());
        }
        assert_eq!(WsaError::WSAECONNRESET.code(), 10054);
        assert_eq!(WsaError::WSA_IO_PENDING.code(), 997);
        assert_eq!(format!("{:?}", WsaError::WSAENOTSOCK), "WSAENOTSOCK(10038)");
    }

    #[test]
    fn every_wsasend_table_code_has_its_send_meaning() {
        let table = [
            "WSAECONNABORTED",
            "WSAECONNRESET",
            "WSAEFAULT",
            "WSAEINTR",
            "WSAEINPROGRESS",
            "WSAEINVAL",
            "WSAEMSGSIZE",
            "WSAENETDOWN",
            "WSAENETRESET",
            "WSAENOBUFS",
            "WSAENOTCONN",
            "WSAENOTSOCK",
            "WSAEOPNOTSUPP",
            "WSAESHUTDOWN",
            "WSAEWOULDBLOCK",
            "WSANOTINITIALISED",
            "WSA_IO_PENDING",
            "WSA_OPERATION_ABORTED",
        ];
        for name in table {
            let e = WsaError::from_name(name).unwrap();
            assert!(e.send_meaning().is_some(), "{name}");
        }
    }
}
