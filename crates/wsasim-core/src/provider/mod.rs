//! Service providers: the layer the switch (ws2) dispatches every socket call to.
//!
//! Heads up: read `seeds/002` (WSPSend) and `seeds/003` (LPWSPSEND), and
//! `windows-semantics.md` §8. The switch validates in Windows' order, captures the
//! `WSABUF` array ("it is the Winsock service provider's responsibility to capture the
//! WSABUF structures before returning from this call"; in Rust the slice handed to
//! [`Provider::send`] is borrowed for the call only, so a provider must copy what it
//! keeps), and then calls the socket's provider. Providers complete operations through
//! the kernel's upcalls: [`Kernel::complete_op`] (`WPUCompleteOverlappedRequest` and the
//! routine path) and [`Kernel::queue_apc`] (`WPUQueueApc`).
//!
//! A method returns `Ok` for an immediate success and `Err(code)` for a failure, with
//! `Err(WSA_IO_PENDING)` meaning the operation was initiated and completes later (for a
//! blocking call, the thread then waits on [`crate::thread::Thread::blocking_op`]).

pub mod base;
pub mod layered;
pub mod san;
pub mod spi;

use crate::consts::{SOCKET, SOCKET_ERROR};
use crate::error::WsaError;
use crate::kernel::Kernel;
use crate::memory::{Ptr, WsaBuf};
use crate::net::{IpAddr, SockAddr};
use crate::thread::ThreadId;
use crate::time::Instant;
pub use spi::{Upcalls, WsaThreadId};

/// What the switch knows of a socket when it calls its provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SocketRef {
    /// The socket handle.
    pub handle: SOCKET,
    /// The provider's own identifier (`WPUCreateSocketHandle`'s `dwContext`).
    pub context: u64,
}

/// An option value, decoded by the switch from `optval`/`optlen`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptValue {
    /// A `DWORD`, `int` or `BOOL`.
    Int(u32),
    /// `LINGER { u_short l_onoff; u_short l_linger; }`.
    Linger {
        /// `l_onoff`.
        onoff: u16,
        /// `l_linger`, seconds.
        linger: u16,
    },
}

/// Where a datagram receive writes what comes with the data, in the application's
/// memory: `WSARecvFrom`'s `lpFrom`/`lpFromlen`, or `WSARecvMsg`'s `WSAMSG` (`name`,
/// `namelen`, `Control`, `dwFlags`). The provider writes them when it takes a datagram
/// for the request, also later for a pending one. NULL pointers are not written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RecvMeta {
    /// Where the source address goes (`lpFrom`, `WSAMSG.name`).
    pub from: Ptr,
    /// An `INT`: the room at `from` (checked by the switch), then the address length
    /// (`lpFromlen`, `&WSAMSG.namelen`).
    pub fromlen: Ptr,
    /// `WSAMSG.Control.buf`, where control data (`IP_PKTINFO`) goes (WSARecvMsg only).
    pub control: Ptr,
    /// `WSAMSG.Control.len` at the call: the room at `control`.
    pub control_cap: u32,
    /// `&WSAMSG.Control.len`: the control bytes written.
    pub control_len: Ptr,
    /// `&WSAMSG.dwFlags`: `MSG_TRUNC`, `MSG_CTRUNC`, `MSG_BCAST`, `MSG_MCAST`.
    pub msg_flags: Ptr,
}

/// A fault injected into a provider ([`crate::World::inject`], [`crate::World::schedule_fault`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProviderFault {
    /// The host's network subsystem fails: `WSAENETDOWN`.
    NetworkDown {
        /// Which host (index).
        host: u32,
    },
    /// The host's network comes back.
    NetworkUp {
        /// Which host (index).
        host: u32,
    },
    /// Keep-alive detects a dead connection: operations in progress fail with
    /// `WSAENETRESET`, later calls with `WSAENOTCONN`.
    KeepAliveFailure(SocketRef),
    /// The connection is aborted locally ("terminated due to a time-out or other
    /// failure"): `WSAECONNABORTED`; the peer sees a reset.
    Abort(SocketRef),
    /// The peer resets the connection: `WSAECONNRESET`.
    Reset(SocketRef),
    /// The provider reports a buffer deadlock on the next `count` sends: `WSAENOBUFS`.
    BufferDeadlock(SocketRef, u32),
    /// The next `count` overlapped sends find too many outstanding requests:
    /// `WSAEWOULDBLOCK`.
    TooManyOutstanding(SocketRef, u32),
    /// A datagram's time to live expired: the next send reports `WSAENETRESET`.
    TtlExpired(SocketRef),
    /// An ICMP port unreachable came back for an earlier datagram.
    PortUnreachable(SocketRef),
    /// The receiver stops reading into its buffer (a stalled peer): its window closes.
    StallReceiver(SocketRef, bool),
}

/// A transport service provider (`WSPPROC_TABLE`, as Rust methods).
pub trait Provider: core::fmt::Debug + Send {
    /// The provider's name (traces, `WSAEnumProtocols`).
    fn name(&self) -> &'static str;

    /// Whether the provider serves `(af, type, protocol)`; `protocol` 0 means "default".
    fn supports(&self, af: i32, ty: i32, protocol: i32) -> bool;

    /// `WSPSocket`: creates a socket on `host` (the calling thread's host) and its handle
    /// (via `WPUCreateSocketHandle`).
    #[allow(clippy::too_many_arguments)]
    fn socket(
        &mut self,
        k: &mut Kernel,
        me: usize,
        host: crate::net::HostId,
        af: i32,
        ty: i32,
        protocol: i32,
        overlapped: bool,
    ) -> Result<SOCKET, WsaError>;

    /// `WSPBind`.
    fn bind(&mut self, k: &mut Kernel, s: SocketRef, addr: SockAddr) -> Result<(), WsaError>;

    /// `WSPListen`.
    fn listen(&mut self, k: &mut Kernel, s: SocketRef, backlog: i32) -> Result<(), WsaError>;

    /// `WSPAccept`: the new socket and its peer's address. `Err(WSA_IO_PENDING)` when a
    /// blocking accept must wait (the kernel op completes with the new socket in `info`).
    fn accept(
        &mut self,
        k: &mut Kernel,
        s: SocketRef,
        t: ThreadId,
    ) -> Result<(SOCKET, SockAddr), WsaError>;

    /// `WSPConnect`. `Err(WSA_IO_PENDING)` when a blocking connect must wait.
    fn connect(
        &mut self,
        k: &mut Kernel,
        s: SocketRef,
        t: ThreadId,
        addr: SockAddr,
    ) -> Result<(), WsaError>;

    /// `WSPSend(s, lpBuffers, dwBufferCount, lpNumberOfBytesSent, dwFlags, lpOverlapped,
    /// lpCompletionRoutine, lpThreadId, lpErrno)`: `Ok(bytes)` when it completed at once
    /// (the completion indication has already occurred), `Err(WSA_IO_PENDING)` when it
    /// will complete later, any other error when it was not initiated.
    #[allow(clippy::too_many_arguments)]
    fn send(
        &mut self,
        k: &mut Kernel,
        s: SocketRef,
        bufs: &[WsaBuf],
        flags: u32,
        ov: Ptr,
        routine: Ptr,
        thread: ThreadId,
    ) -> Result<u32, WsaError>;

    /// `int WSPSend(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount, LPDWORD
    /// lpNumberOfBytesSent, DWORD dwFlags, LPWSAOVERLAPPED lpOverlapped,
    /// LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine, LPWSATHREADID lpThreadId,
    /// LPINT lpErrno)`, with the SPI's own shape: "If no error occurs and the send
    /// operation has completed immediately, LPWSPSend returns zero. ... Otherwise, a
    /// value of SOCKET_ERROR is returned, and a specific error code is available in
    /// lpErrno" (LPWSPSEND, Return value). `lp_buffers` is borrowed for the call only
    /// ("The array of WSABUF structures pointed to by the lpBuffers parameter is
    /// transient"); `lp_thread_id` is a structure to copy ("The provider should store the
    /// referenced WSATHREADID structure (not the pointer to same)").
    ///
    /// The switch calls this; the default is the adapter over [`Provider::send`].
    #[allow(clippy::too_many_arguments)]
    fn wsp_send(
        &mut self,
        k: &mut Kernel,
        s: SocketRef,
        lp_buffers: &[WsaBuf],
        dw_buffer_count: u32,
        lp_number_of_bytes_sent: &mut u32,
        dw_flags: u32,
        lp_overlapped: Ptr,
        lp_completion_routine: Ptr,
        lp_thread_id: &WsaThreadId,
        lp_errno: &mut i32,
    ) -> i32 {
        let n = (dw_buffer_count as usize).min(lp_buffers.len());
        match self.send(
            k,
            s,
            &lp_buffers[..n],
            dw_flags,
            lp_overlapped,
            lp_completion_routine,
            lp_thread_id.thread(),
        ) {
            Ok(bytes) => {
                *lp_number_of_bytes_sent = bytes;
                0
            }
            Err(e) => {
                *lp_errno = e.0 as i32;
                SOCKET_ERROR
            }
        }
    }

    /// Runs the provider's own APC function `func` (queued with `WPUQueueApc`) on thread
    /// `t` with its single context value. The switch calls it when the APC is delivered
    /// in an alertable wait; the function may invoke the client's routine through
    /// [`Upcalls::call_client_routine`]. Only providers that register APC functions
    /// (layered providers) have one.
    fn run_apc(&mut self, k: &mut Kernel, t: ThreadId, func: Ptr, context: u64) {
        let _ = (k, t, func, context);
    }

    /// Whether this is a SAN provider (Windows Sockets Direct): the switch then holds it
    /// to the SAN contract of `WSPSend` (`seeds/002`).
    fn is_san(&self) -> bool {
        false
    }

    /// `HANDLE WSPRegisterMemory(SOCKET s, PVOID lpBuffer, DWORD dwBufferLength, DWORD
    /// dwFlags, LPINT lpErrno)`: a SAN extension; others answer `WSAEOPNOTSUPP`
    /// ("unsupported optional ones -> WSAEOPNOTSUPP", windows-semantics §8).
    fn register_memory(
        &mut self,
        k: &mut Kernel,
        s: SocketRef,
        buf: Ptr,
        len: u32,
        flags: u32,
    ) -> Result<u64, WsaError> {
        let _ = (k, s, buf, len, flags);
        Err(WsaError::WSAEOPNOTSUPP)
    }

    /// `int WSPDeregisterMemory(SOCKET s, HANDLE handle, LPINT lpErrno)`: a SAN
    /// extension.
    fn deregister_memory(
        &mut self,
        k: &mut Kernel,
        s: SocketRef,
        handle: u64,
    ) -> Result<(), WsaError> {
        let _ = (k, s, handle);
        Err(WsaError::WSAEOPNOTSUPP)
    }

    /// The `WSPSend` of the SAN provider under a Windows Sockets Direct switch in this
    /// provider, called directly as an SPI client would (tests of the SAN provider's
    /// contract); `None` when there is none for `s`.
    #[allow(clippy::too_many_arguments)]
    fn san_wsp_send(
        &mut self,
        k: &mut Kernel,
        s: SocketRef,
        lp_buffers: &[WsaBuf],
        lp_number_of_bytes_sent: &mut u32,
        dw_flags: u32,
        lp_overlapped: Ptr,
        lp_completion_routine: Ptr,
        lp_thread_id: &WsaThreadId,
        lp_errno: &mut i32,
    ) -> Option<i32> {
        let _ = (
            k,
            s,
            lp_buffers,
            lp_number_of_bytes_sent,
            dw_flags,
            lp_overlapped,
            lp_completion_routine,
            lp_thread_id,
            lp_errno,
        );
        None
    }

    /// `WSPSendTo`, and the data path of `WSASendMsg`: one datagram to `to` (`None`: the
    /// default peer), from the source address `src` (`None`: the provider's choice; set
    /// by `IP_PKTINFO` / `IPV6_PKTINFO` control data). Results as for
    /// [`Provider::send`]. A provider without datagrams sends as `WSPSend` when there is
    /// no address (`sendto` on a stream socket ignores it, `wine-facts.md` E30).
    #[allow(clippy::too_many_arguments)]
    fn send_to(
        &mut self,
        k: &mut Kernel,
        s: SocketRef,
        bufs: &[WsaBuf],
        flags: u32,
        to: Option<SockAddr>,
        src: Option<IpAddr>,
        ov: Ptr,
        routine: Ptr,
        thread: ThreadId,
    ) -> Result<u32, WsaError> {
        if src.is_some() {
            return Err(WsaError::WSAEOPNOTSUPP);
        }
        let _ = to;
        self.send(k, s, bufs, flags, ov, routine, thread)
    }

    /// `WSPRecvFrom`, and the data path of `WSARecvMsg`: as [`Provider::recv`], writing
    /// the datagram's source address and control data where `meta` says.
    #[allow(clippy::too_many_arguments)]
    fn recv_from(
        &mut self,
        k: &mut Kernel,
        s: SocketRef,
        bufs: &[WsaBuf],
        flags: u32,
        meta: RecvMeta,
        ov: Ptr,
        routine: Ptr,
        thread: ThreadId,
    ) -> Result<(u32, u32), WsaError> {
        let _ = meta;
        self.recv(k, s, bufs, flags, ov, routine, thread)
    }

    /// Binds an unbound socket to the wildcard address and an ephemeral port, as the
    /// first send does (`wine-facts.md` E5, E12, E13). Nothing for a bound socket.
    fn implicit_bind(&mut self, k: &mut Kernel, s: SocketRef) -> Result<(), WsaError> {
        let _ = (k, s);
        Ok(())
    }

    /// `WSPRecv`: `Ok((bytes, flags))` at once, or as for [`Provider::send`].
    #[allow(clippy::too_many_arguments)]
    fn recv(
        &mut self,
        k: &mut Kernel,
        s: SocketRef,
        bufs: &[WsaBuf],
        flags: u32,
        ov: Ptr,
        routine: Ptr,
        thread: ThreadId,
    ) -> Result<(u32, u32), WsaError>;

    /// `WSPShutdown`.
    fn shutdown(&mut self, k: &mut Kernel, s: SocketRef, how: i32) -> Result<(), WsaError>;

    /// `WSPCloseSocket`: cancels pending operations and releases the handle (via
    /// `WPUCloseSocketHandle`). `Err(WSA_IO_PENDING)` when a lingering close must wait
    /// (the kernel op completes when the data is gone or the linger time ran out).
    fn close(&mut self, k: &mut Kernel, s: SocketRef, t: ThreadId) -> Result<(), WsaError>;

    /// `WSPGetSockOpt`, decoded.
    fn get_option(
        &mut self,
        k: &mut Kernel,
        s: SocketRef,
        level: i32,
        name: i32,
    ) -> Result<OptValue, WsaError>;

    /// `WSPSetSockOpt`, decoded.
    fn set_option(
        &mut self,
        k: &mut Kernel,
        s: SocketRef,
        level: i32,
        name: i32,
        value: OptValue,
    ) -> Result<(), WsaError>;

    /// `WSPIoctl` for the `ioctlsocket` commands: the output value.
    fn ioctl(&mut self, k: &mut Kernel, s: SocketRef, cmd: u32, arg: u32) -> Result<u32, WsaError>;

    /// `WSPGetSockName`.
    fn sock_name(&self, k: &Kernel, s: SocketRef) -> Result<SockAddr, WsaError>;

    /// `WSPGetPeerName`.
    fn peer_name(&self, k: &Kernel, s: SocketRef) -> Result<SockAddr, WsaError>;

    /// Whether the socket is in nonblocking mode (FIONBIO).
    fn is_nonblocking(&self, s: SocketRef) -> bool;

    /// Ends operation `op` early, completing it with `error`: a blocking call's internal
    /// operation at its time-out or at `WSACancelBlockingCall`, or an overlapped one whose
    /// issuing thread exited.
    fn cancel_op(&mut self, k: &mut Kernel, s: SocketRef, op: u64, error: WsaError);

    /// When the provider next needs [`Provider::advance`] (a delivery or timer).
    fn poll_at(&self) -> Option<Instant>;

    /// Processes everything due at or before the kernel's current time.
    fn advance(&mut self, k: &mut Kernel);

    /// Applies a fault. Returns false if the fault does not apply to this provider.
    fn inject(&mut self, k: &mut Kernel, fault: ProviderFault) -> bool;

    /// The simulated network, if this provider owns one.
    fn network_mut(&mut self) -> Option<&mut crate::net::Network> {
        None
    }
}
