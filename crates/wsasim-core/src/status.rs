//! NTSTATUS values as they appear in `WSAOVERLAPPED.Internal`, and their mapping to
//! Winsock codes.
//!
//! Heads up: `WSAGetOverlappedResult`, a completion routine's `dwError` and every
//! synchronous failure see the Winsock mapping verified on Windows by Wine's conformance
//! suite (`reference/wine-facts.md` §2.5, `map_status` and `test_WSAGetOverlappedResult`).

use crate::error::WsaError;

/// An NTSTATUS value, as stored in `OVERLAPPED.Internal`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NtStatus(pub u32);

#[allow(missing_docs)]
impl NtStatus {
    pub const SUCCESS: NtStatus = NtStatus(0);
    /// "Internal: `STATUS_PENDING` while outstanding" (SDK `minwinbase/ns-minwinbase-overlapped.md`).
    pub const PENDING: NtStatus = NtStatus(0x0000_0103);
    pub const BUFFER_OVERFLOW: NtStatus = NtStatus(0x8000_0005);
    pub const INVALID_PARAMETER: NtStatus = NtStatus(0xC000_000D);
    pub const ACCESS_VIOLATION: NtStatus = NtStatus(0xC000_0005);
    pub const INSUFFICIENT_RESOURCES: NtStatus = NtStatus(0xC000_009A);
    pub const DEVICE_NOT_READY: NtStatus = NtStatus(0xC000_00A3);
    pub const PIPE_DISCONNECTED: NtStatus = NtStatus(0xC000_00B0);
    pub const IO_TIMEOUT: NtStatus = NtStatus(0xC000_00B5);
    pub const NOT_SUPPORTED: NtStatus = NtStatus(0xC000_00BB);
    pub const CANCELLED: NtStatus = NtStatus(0xC000_0120);
    pub const LOCAL_DISCONNECT: NtStatus = NtStatus(0xC000_013B);
    pub const REMOTE_DISCONNECT: NtStatus = NtStatus(0xC000_013C);
    pub const INVALID_CONNECTION: NtStatus = NtStatus(0xC000_0140);
    pub const CONNECTION_RESET: NtStatus = NtStatus(0xC000_020D);
    pub const CONNECTION_REFUSED: NtStatus = NtStatus(0xC000_0236);
    pub const NETWORK_UNREACHABLE: NtStatus = NtStatus(0xC000_023C);
    pub const HOST_UNREACHABLE: NtStatus = NtStatus(0xC000_023D);
    pub const PORT_UNREACHABLE: NtStatus = NtStatus(0xC000_023F);
    pub const REQUEST_ABORTED: NtStatus = NtStatus(0xC000_0240);
    pub const CONNECTION_ABORTED: NtStatus = NtStatus(0xC000_0241);
    pub const NETWORK_BUSY: NtStatus = NtStatus(0xC000_00BF);
    pub const LINK_TIMEOUT: NtStatus = NtStatus(0xC000_013F);

    /// `NT_SUCCESS(status)`: severity success or informational.
    pub const fn is_success(self) -> bool {
        (self.0 as i32) >= 0
    }

    /// The Winsock code this status reports through `WSAGetOverlappedResult` and a
    /// completion routine's `dwError` (`reference/wine-facts.md` §2.5).
    pub fn to_wsa(self) -> WsaError {
        match self {
            NtStatus::SUCCESS => WsaError::NO_ERROR,
            NtStatus::PENDING => WsaError::WSA_IO_INCOMPLETE,
            NtStatus::BUFFER_OVERFLOW => WsaError::WSAEMSGSIZE,
            NtStatus::ACCESS_VIOLATION => WsaError::WSAEFAULT,
            NtStatus::INSUFFICIENT_RESOURCES => WsaError::WSAENOBUFS,
            NtStatus::DEVICE_NOT_READY => WsaError::WSAEWOULDBLOCK,
            NtStatus::PIPE_DISCONNECTED => WsaError::WSAESHUTDOWN,
            NtStatus::IO_TIMEOUT | NtStatus::LINK_TIMEOUT => WsaError::WSAETIMEDOUT,
            NtStatus::NOT_SUPPORTED => WsaError::WSAEOPNOTSUPP,
            NtStatus::CANCELLED => WsaError::WSA_OPERATION_ABORTED,
            NtStatus::LOCAL_DISCONNECT | NtStatus::CONNECTION_ABORTED => WsaError::WSAECONNABORTED,
            NtStatus::REMOTE_DISCONNECT
            | NtStatus::CONNECTION_RESET
            | NtStatus::PORT_UNREACHABLE => WsaError::WSAECONNRESET,
            NtStatus::INVALID_CONNECTION => WsaError::WSAENOTCONN,
            NtStatus::CONNECTION_REFUSED => WsaError::WSAECONNREFUSED,
            NtStatus::NETWORK_UNREACHABLE => WsaError::WSAENETUNREACH,
            NtStatus::HOST_UNREACHABLE => WsaError::WSAEHOSTUNREACH,
            NtStatus::REQUEST_ABORTED => WsaError::WSAEINTR,
            NtStatus::NETWORK_BUSY => WsaError::WSAENETDOWN,
            NtStatus(raw) if raw & 0xFFFF_0000 == 0xC001_0000 && raw & 0xFFFF == 996 => {
                WsaError::WSA_IO_INCOMPLETE
            }
            s if s.is_success() => WsaError(s.0 & 0xFFFF),
            _ => WsaError::WSAEINVAL,
        }
    }

    /// The status a provider writes into `Internal` when it completes an operation with a
    /// Winsock code. Inverse of [`NtStatus::to_wsa`] for every code the model produces;
    /// codes with no NTSTATUS of their own are carried as customer-defined
    /// `0xE000_0000 | code` values and map back through [`NtStatus::to_wsa_exact`].
    pub fn from_wsa(e: WsaError) -> NtStatus {
        match e {
            WsaError::NO_ERROR => NtStatus::SUCCESS,
            WsaError::WSAEMSGSIZE => NtStatus::BUFFER_OVERFLOW,
            WsaError::WSAEFAULT => NtStatus::ACCESS_VIOLATION,
            WsaError::WSAENOBUFS => NtStatus::INSUFFICIENT_RESOURCES,
            WsaError::WSAEWOULDBLOCK => NtStatus::DEVICE_NOT_READY,
            WsaError::WSAESHUTDOWN => NtStatus::PIPE_DISCONNECTED,
            WsaError::WSAETIMEDOUT => NtStatus::IO_TIMEOUT,
            WsaError::WSAEOPNOTSUPP => NtStatus::NOT_SUPPORTED,
            WsaError::WSA_OPERATION_ABORTED => NtStatus::CANCELLED,
            WsaError::WSAECONNABORTED => NtStatus::CONNECTION_ABORTED,
            WsaError::WSAECONNRESET => NtStatus::CONNECTION_RESET,
            WsaError::WSAENOTCONN => NtStatus::INVALID_CONNECTION,
            WsaError::WSAECONNREFUSED => NtStatus::CONNECTION_REFUSED,
            WsaError::WSAENETUNREACH => NtStatus::NETWORK_UNREACHABLE,
            WsaError::WSAEHOSTUNREACH => NtStatus::HOST_UNREACHABLE,
            WsaError::WSAEINTR => NtStatus::REQUEST_ABORTED,
            WsaError::WSAENETDOWN => NtStatus::NETWORK_BUSY,
            WsaError::WSAEINVAL => NtStatus::INVALID_PARAMETER,
            other => NtStatus(0xE000_0000 | (other.0 & 0xFFFF)),
        }
    }

    /// Like [`NtStatus::to_wsa`], but also decodes the customer-defined values
    /// [`NtStatus::from_wsa`] uses for codes with no NTSTATUS of their own (such as
    /// `WSAENETRESET`).
    pub fn to_wsa_exact(self) -> WsaError {
        if self.0 & 0xFFFF_0000 == 0xE000_0000 {
            WsaError(self.0 & 0xFFFF)
        } else {
            self.to_wsa()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_the_model_completes_with_round_trips() {
        for e in [
            WsaError::NO_ERROR,
            WsaError::WSAECONNRESET,
            WsaError::WSAECONNABORTED,
            WsaError::WSA_OPERATION_ABORTED,
            WsaError::WSAENETRESET,
            WsaError::WSAENETDOWN,
            WsaError::WSAENOBUFS,
            WsaError::WSAEMSGSIZE,
            WsaError::WSAESHUTDOWN,
            WsaError::WSAETIMEDOUT,
            WsaError::WSAENOTCONN,
            WsaError::WSAEFAULT,
        ] {
            assert_eq!(NtStatus::from_wsa(e).to_wsa_exact(), e, "{e:?}");
        }
    }

    #[test]
    fn verified_windows_mappings() {
        // wine-facts §2.5: verified on Windows by test_WSAGetOverlappedResult.
        assert_eq!(NtStatus::CONNECTION_RESET.to_wsa(), WsaError::WSAECONNRESET);
        assert_eq!(
            NtStatus::CANCELLED.to_wsa(),
            WsaError::WSA_OPERATION_ABORTED
        );
        assert_eq!(
            NtStatus::CONNECTION_ABORTED.to_wsa(),
            WsaError::WSAECONNABORTED
        );
        assert_eq!(NtStatus::BUFFER_OVERFLOW.to_wsa(), WsaError::WSAEMSGSIZE);
        assert_eq!(NtStatus::PENDING.to_wsa(), WsaError::WSA_IO_INCOMPLETE);
        assert_eq!(NtStatus(0xC000_0001).to_wsa(), WsaError::WSAEINVAL);
        assert!(NtStatus::SUCCESS.is_success() && !NtStatus::BUFFER_OVERFLOW.is_success());
    }
}
