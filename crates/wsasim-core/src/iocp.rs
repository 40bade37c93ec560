//! I/O completion ports: a FIFO of completion packets that threads dequeue.
//!
//! Heads up: W32 `FileIO/createiocompletionport`, `FileIO/i-o-completion-ports`, SDK
//! `getqueuedcompletionstatus`, `postqueuedcompletionstatus`; `windows-semantics.md` §5;
//! `wine-facts.md` O5, O6, O21, C6, X8.
//!
//! - "A handle can be associated with only one port and stays associated until closed."
//! - An operation that completes, at once or later, on an associated socket queues a
//!   packet (O5: "An operation that completes immediately on an IOCP-associated socket
//!   still posts a completion packet"); one that fails immediately queues none (O6).
//! - "specifying a valid event handle for the hEvent member of the OVERLAPPED structure,
//!   and setting its low-order bit ... keeps I/O completion from being queued to the
//!   completion port" (SDK getqueuedcompletionstatus; O21).
//! - A completion routine on an associated socket is `WSAEINVAL` (C6).
//! - Thread exit does not cancel I/O on an associated socket (ExitThread; X8).

use crate::memory::Ptr;
use crate::status::NtStatus;
use std::collections::VecDeque;

/// A completion packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packet {
    /// The completion key given at association (or to `PostQueuedCompletionStatus`).
    pub key: u64,
    /// The OVERLAPPED of the operation (any value for a posted packet).
    pub overlapped: Ptr,
    /// Bytes transferred.
    pub bytes: u32,
    /// The operation's status.
    pub status: NtStatus,
}

/// A completion port.
#[derive(Clone, Debug, Default)]
pub struct CompletionPort {
    /// Packets, oldest first ("Completion packets are queued FIFO").
    pub packets: VecDeque<Packet>,
}

/// The Win32 error `GetQueuedCompletionStatus` reports for a failed operation's status
/// (kernel32 maps with `RtlNtStatusToDosError`, not to Winsock codes: `wine-facts.md`
/// §2.5 and G9).
pub fn win32_error(status: NtStatus) -> u32 {
    match status {
        NtStatus::CONNECTION_RESET | NtStatus::LOCAL_DISCONNECT | NtStatus::REMOTE_DISCONNECT => 64, // ERROR_NETNAME_DELETED
        NtStatus::CANCELLED => 995,            // ERROR_OPERATION_ABORTED
        NtStatus::CONNECTION_ABORTED => 1236,  // ERROR_CONNECTION_ABORTED
        NtStatus::CONNECTION_REFUSED => 1225,  // ERROR_CONNECTION_REFUSED
        NtStatus::NOT_SUPPORTED => 50,         // ERROR_NOT_SUPPORTED
        NtStatus::NETWORK_UNREACHABLE => 1231, // ERROR_NETWORK_UNREACHABLE
        NtStatus::HOST_UNREACHABLE => 1232,    // ERROR_HOST_UNREACHABLE
        NtStatus::PORT_UNREACHABLE => 1234,    // ERROR_PORT_UNREACHABLE
        NtStatus::IO_TIMEOUT => 121,           // ERROR_SEM_TIMEOUT
        NtStatus::BUFFER_OVERFLOW => 234,      // ERROR_MORE_DATA
        NtStatus::ACCESS_VIOLATION => 998,     // ERROR_NOACCESS
        NtStatus::INSUFFICIENT_RESOURCES => 1450, // ERROR_NO_SYSTEM_RESOURCES
        NtStatus::INVALID_PARAMETER => 87,     // ERROR_INVALID_PARAMETER
        // Statuses the model writes for codes with no NTSTATUS of their own carry the
        // Winsock code itself.
        s => s.to_wsa_exact().0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel32_sees_win32_codes_where_winsock_sees_wsa_codes() {
        // wine-facts §2.5: CONNECTION_RESET is ERROR_NETNAME_DELETED (64) through
        // GetQueuedCompletionStatus but WSAECONNRESET through WSAGetOverlappedResult.
        assert_eq!(win32_error(NtStatus::CONNECTION_RESET), 64);
        assert_eq!(NtStatus::CONNECTION_RESET.to_wsa().0, 10054);
        assert_eq!(win32_error(NtStatus::CANCELLED), 995);
        assert_eq!(win32_error(NtStatus::CONNECTION_ABORTED), 1236);
    }
}
