//! Windows Sockets Direct: a SAN service provider under the switch.
//!
//! Heads up: read `seeds/002` (WSPSend for a SAN provider) in full and
//! `windows-semantics.md` §8, "Windows Sockets Direct (SAN) switch model". The switch
//! is "an OS-supplied provider layered over TCP/IP and SAN providers: makes them look
//! like one provider, chooses per connection SAN vs TCP/IP, emulates TCP semantics on
//! SAN" (WDD `windows-sockets-direct-architecture.md`).
//!
//! Here the switch is a [`Layer`] ([`SanSwitch`], installed by
//! [`crate::World::install_san_switch`]) over the base TCP/IP provider, holding a
//! [`SanProvider`]. A connected stream socket whose two hosts are joined by a SAN link
//! ([`crate::net::Network::set_san_link`]) goes to the SAN provider; every other socket
//! goes to TCP/IP unchanged. The switch turns the application's request (blocking,
//! event, routine, completion port) into SAN `WSPSend` calls that always carry an
//! OVERLAPPED with an event and no routine, registers the buffers first, splits by the
//! provider's `SO_MAX_MSG_SIZE`, and completes the application's request itself.
//!
//! Where the model simplifies: the SAN "hardware" is the base provider's stream to the
//! same peer (the SAN provider issues its own private requests on it, as a non-IFS
//! layer does), so the receiving side is ordinary TCP; the switch registers the
//! application's buffers per send (not "during connection setup time") and deregisters
//! them when the send completes.

use super::layered::{check_san_code, Layer, LayerCx};
use super::spi::{self, rules, WsaThreadId, WSS_OPERATION_IN_PROGRESS};
use super::SocketRef;
use crate::consts::{MSG_DONTROUTE, MSG_OOB, MSG_PARTIAL};
use crate::consts::{SOCKET, SOCKET_ERROR};
use crate::error::WsaError;
use crate::event::Event;
use crate::kernel::{Kernel, Object};
use crate::memory::{overlapped_layout as ovl, Ptr, UserMemoryExt, WsaBuf};
use crate::status::NtStatus;
use crate::thread::ThreadId;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

/// `MEM_READ` (ws2san.h): the registered memory is a send source.
pub const MEM_READ: u32 = 1;
/// `MEM_WRITE` (ws2san.h): the registered memory is a receive target.
pub const MEM_WRITE: u32 = 2;
/// `MEM_READWRITE` (ws2san.h).
pub const MEM_READWRITE: u32 = 3;

/// The SAN provider's `SO_MAX_MSG_SIZE` unless set ([`SanProvider::new`]).
pub const SAN_MAX_MSG_SIZE_DEFAULT: u32 = 64 * 1024;

/// One `WSPSend` the SAN provider received, as it saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SanSend {
    /// The socket.
    pub socket: SOCKET,
    /// Bytes offered.
    pub bytes: u32,
    /// `dwBufferCount`.
    pub buffers: u32,
    /// `dwFlags`.
    pub flags: u32,
    /// `lpOverlapped`.
    pub overlapped: Ptr,
    /// `hEvent` of the OVERLAPPED (low bit included).
    pub h_event: u64,
    /// `lpCompletionRoutine`.
    pub routine: Ptr,
}

/// What the SAN provider and its switch did, shared with whoever installed them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SanLog {
    /// Every `WSPSend` the SAN provider received, in order.
    pub sends: Vec<SanSend>,
    /// `WSPRegisterMemory` calls that succeeded.
    pub registered: u64,
    /// `WSPDeregisterMemory` calls that succeeded.
    pub deregistered: u64,
    /// `WSPGetOverlappedResult` calls the switch made.
    pub polls: u64,
    /// Completions the provider indicated with `WPUCompleteOverlappedRequest`.
    pub wpu_completions: u64,
    /// Sends the switch passed to TCP/IP (sockets not on a SAN link).
    pub tcp_sends: u64,
}

/// A handle to the [`SanLog`] (cloneable; read it with [`SanLogHandle::get`]).
#[derive(Clone, Debug, Default)]
pub struct SanLogHandle(Arc<Mutex<SanLog>>);

impl SanLogHandle {
    /// A copy of the log now.
    pub fn get(&self) -> SanLog {
        self.0.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Changes the log (a SAN provider written outside this module records in it).
    pub fn with(&self, f: impl FnOnce(&mut SanLog)) {
        if let Ok(mut l) = self.0.lock() {
            f(&mut l);
        }
    }
}

/// A registration made by `WSPRegisterMemory`.
#[derive(Clone, Copy, Debug)]
struct Registration {
    socket: SOCKET,
    buf: u64,
    len: u32,
    flags: u32,
    /// Duplicate registrations ("providers should refcount duplicate registrations").
    count: u32,
    /// Transfers using it now.
    in_use: u32,
}

/// A `WSPSend` in flight in the SAN provider.
#[derive(Clone, Debug)]
struct SanRequest {
    socket: SOCKET,
    ov: Ptr,
    /// The low bit of `hEvent` was set: no notification, the switch polls.
    poll: bool,
    handles: Vec<u64>,
    /// The captured WSABUF array.
    _bufs: Vec<WsaBuf>,
}

/// What the Windows Sockets Direct switch needs of a SAN service provider: the calls it
/// makes (`WSPSend` of `seeds/002`, the `WSPRegisterMemory` / `WSPDeregisterMemory`
/// extension functions, `WSPGetOverlappedResult`, `WSPGetSockOpt(SO_MAX_MSG_SIZE)`) and
/// the completions of the private requests the provider issues on its "wire" (the base
/// provider's stream, [`LayerCx::alloc_system_private_overlapped`]). [`SanProvider`] is
/// the model's; the C ABI implements it over a C SAN provider.
pub trait SanService: core::fmt::Debug + Send {
    /// `WSPGetSockOpt(SOL_SOCKET, SO_MAX_MSG_SIZE)`.
    fn max_msg_size(&self) -> u32;
    /// The log the switch writes to.
    fn log(&self) -> SanLogHandle;
    /// `WSPRegisterMemory`.
    fn register_memory(
        &mut self,
        cx: &mut LayerCx<'_>,
        s: SocketRef,
        buf: Ptr,
        len: u32,
        flags: u32,
    ) -> Result<u64, WsaError>;
    /// `WSPDeregisterMemory`.
    fn deregister_memory(
        &mut self,
        cx: &mut LayerCx<'_>,
        s: SocketRef,
        handle: u64,
    ) -> Result<(), WsaError>;
    /// `WSPSend` (`seeds/002`).
    #[allow(clippy::too_many_arguments)]
    fn wsp_send(
        &mut self,
        cx: &mut LayerCx<'_>,
        s: SocketRef,
        lp_buffers: &[WsaBuf],
        dw_buffer_count: u32,
        lp_number_of_bytes_sent: &mut u32,
        dw_flags: u32,
        lp_overlapped: Ptr,
        lp_completion_routine: Ptr,
        lp_thread_id: &WsaThreadId,
        lp_errno: &mut i32,
    ) -> i32;
    /// A private request of the provider's on the wire completed.
    fn private_completed(&mut self, cx: &mut LayerCx<'_>, ov: Ptr, error: u32, bytes: u32);
    /// `WSPGetOverlappedResult(s, lpOverlapped, &cb, FALSE, &flags, &errno)`: the bytes,
    /// `WSA_IO_INCOMPLETE` while pending, or the request's error.
    fn wsp_get_overlapped_result(
        &mut self,
        cx: &mut LayerCx<'_>,
        s: SOCKET,
        ov: Ptr,
    ) -> Result<u32, WsaError>;
}

impl SanService for SanProvider {
    fn max_msg_size(&self) -> u32 {
        SanProvider::max_msg_size(self)
    }
    fn log(&self) -> SanLogHandle {
        SanProvider::log(self)
    }
    fn register_memory(
        &mut self,
        cx: &mut LayerCx<'_>,
        s: SocketRef,
        buf: Ptr,
        len: u32,
        flags: u32,
    ) -> Result<u64, WsaError> {
        SanProvider::register_memory(self, cx, s, buf, len, flags)
    }
    fn deregister_memory(
        &mut self,
        cx: &mut LayerCx<'_>,
        s: SocketRef,
        handle: u64,
    ) -> Result<(), WsaError> {
        let _ = cx;
        SanProvider::deregister_memory(self, s, handle)
    }
    fn wsp_send(
        &mut self,
        cx: &mut LayerCx<'_>,
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
        SanProvider::wsp_send(
            self,
            cx,
            s,
            lp_buffers,
            dw_buffer_count,
            lp_number_of_bytes_sent,
            dw_flags,
            lp_overlapped,
            lp_completion_routine,
            lp_thread_id,
            lp_errno,
        )
    }
    fn private_completed(&mut self, cx: &mut LayerCx<'_>, ov: Ptr, error: u32, bytes: u32) {
        SanProvider::private_completed(self, cx, ov, error, bytes);
    }
    fn wsp_get_overlapped_result(
        &mut self,
        cx: &mut LayerCx<'_>,
        s: SOCKET,
        ov: Ptr,
    ) -> Result<u32, WsaError> {
        let _ = s;
        SanProvider::wsp_get_overlapped_result(self, cx.kernel(), ov)
    }
}

/// A SAN service provider (`WSPSend` of `seeds/002`, `WSPRegisterMemory`,
/// `WSPDeregisterMemory`, `WSPGetOverlappedResult`).
#[derive(Debug)]
pub struct SanProvider {
    max_msg_size: u32,
    regs: BTreeMap<u64, Registration>,
    next_handle: u64,
    /// Private OVERLAPPED (on the wire) -> the switch's request.
    pending: BTreeMap<u64, SanRequest>,
    /// Private OVERLAPPEDs whose request completed at once: freed when their private
    /// completion arrives.
    stale: BTreeSet<u64>,
    log: SanLogHandle,
}

impl SanProvider {
    /// A SAN provider whose `SO_MAX_MSG_SIZE` is `max_msg_size`.
    pub fn new(max_msg_size: u32) -> SanProvider {
        SanProvider {
            max_msg_size: max_msg_size.max(1),
            regs: BTreeMap::new(),
            next_handle: 0x5A40_0000,
            pending: BTreeMap::new(),
            stale: BTreeSet::new(),
            log: SanLogHandle::default(),
        }
    }

    /// Its log.
    pub fn log(&self) -> SanLogHandle {
        self.log.clone()
    }

    /// `WSPGetSockOpt(SOL_SOCKET, SO_MAX_MSG_SIZE)`.
    pub fn max_msg_size(&self) -> u32 {
        self.max_msg_size
    }

    /// `HANDLE WSPRegisterMemory(SOCKET s, PVOID lpBuffer, DWORD dwBufferLength, DWORD
    /// dwFlags, LPINT lpErrno)`: "NULL + error (WSAENOBUFS, WSAEFAULT, WSAEINVAL bad
    /// flags, WSAENOTCONN); handle valid only for that socket/process"; "providers
    /// should refcount duplicate registrations" (windows-semantics §8, WDD ff566311,
    /// ff566279).
    pub fn register_memory(
        &mut self,
        cx: &mut LayerCx<'_>,
        s: SocketRef,
        buf: Ptr,
        len: u32,
        flags: u32,
    ) -> Result<u64, WsaError> {
        if !(MEM_READ..=MEM_READWRITE).contains(&flags) {
            return Err(WsaError::WSAEINVAL);
        }
        let (lower, k) = cx.lower();
        if lower.peer_name(k, s).is_err() {
            return Err(WsaError::WSAENOTCONN);
        }
        if len == 0
            || buf.is_null()
            || k.mem()
                .check(buf, u64::from(len), flags & MEM_WRITE != 0)
                .is_err()
        {
            return Err(WsaError::WSAEFAULT);
        }
        if let Some((h, r)) = self.regs.iter_mut().find(|(_, r)| {
            r.socket == s.handle && r.buf == buf.0 && r.len == len && r.flags == flags
        }) {
            r.count += 1;
            let h = *h;
            self.log.with(|l| l.registered += 1);
            return Ok(h);
        }
        self.next_handle += 0x10;
        let h = self.next_handle;
        self.regs.insert(
            h,
            Registration {
                socket: s.handle,
                buf: buf.0,
                len,
                flags,
                count: 1,
                in_use: 0,
            },
        );
        self.log.with(|l| l.registered += 1);
        Ok(h)
    }

    /// `int WSPDeregisterMemory(SOCKET s, HANDLE handle, LPINT lpErrno)`: a handle that
    /// is not this socket's ("handle valid only for that socket"), or memory "in use by
    /// a transfer" -> `WSAEINVAL` (WDD ff566279).
    pub fn deregister_memory(&mut self, s: SocketRef, handle: u64) -> Result<(), WsaError> {
        let Some(r) = self.regs.get_mut(&handle) else {
            return Err(WsaError::WSAEINVAL);
        };
        if r.socket != s.handle || r.in_use > 0 {
            return Err(WsaError::WSAEINVAL);
        }
        r.count -= 1;
        if r.count == 0 {
            self.regs.remove(&handle);
        }
        self.log.with(|l| l.deregistered += 1);
        Ok(())
    }

    /// The registration of `s` that holds `[buf, buf+len)` for sending.
    fn registration_for(&self, s: SOCKET, b: &WsaBuf) -> Option<u64> {
        let (start, end) = (b.buf.0, b.buf.0 + u64::from(b.len));
        self.regs
            .iter()
            .find(|(_, r)| {
                r.socket == s
                    && r.flags & MEM_READ != 0
                    && r.buf <= start
                    && end <= r.buf + u64::from(r.len)
            })
            .map(|(h, _)| *h)
    }

    /// A code the provider may return: "Note that a SAN service provider does not
    /// support the following error codes for WSPSend" (WSPSend, Return value). What the
    /// wire reports in their place: a keep-alive failure (`WSAENETRESET`, "Detecting a
    /// broken connection from the remote host resetting is not supported") is "The
    /// connection to the remote peer was terminated due to a time-out or other
    /// failure" (`WSAECONNABORTED`); no room (`WSAEWOULDBLOCK`, "The Windows Sockets
    /// switch uses overlapped sockets") is "SAN service provider reports a buffer
    /// deadlock" (`WSAENOBUFS`).
    fn san_code(e: WsaError) -> WsaError {
        match e {
            WsaError::WSAENETRESET => WsaError::WSAECONNABORTED,
            WsaError::WSAEACCES
            | WsaError::WSAEINPROGRESS
            | WsaError::WSAEOPNOTSUPP
            | WsaError::WSAEWOULDBLOCK
            | WsaError::WSAEMSGSIZE => WsaError::WSAENOBUFS,
            e => e,
        }
    }

    /// `WSPSend` (`seeds/002`).
    #[allow(clippy::too_many_arguments)]
    pub fn wsp_send(
        &mut self,
        cx: &mut LayerCx<'_>,
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
        let t = lp_thread_id.thread();
        let fail = |lp_errno: &mut i32, e: WsaError| {
            *lp_errno = e.0 as i32;
            SOCKET_ERROR
        };
        let bufs: Vec<WsaBuf> =
            lp_buffers[..(dw_buffer_count as usize).min(lp_buffers.len())].to_vec();
        let h_event = if lp_overlapped.is_null() {
            0
        } else {
            match cx
                .kernel()
                .mem()
                .read_u64(Ptr(lp_overlapped.0 + ovl::HEVENT))
            {
                Ok(h) => h,
                Err(_) => return fail(lp_errno, WsaError::WSAEFAULT),
            }
        };
        self.log.with(|l| {
            l.sends.push(SanSend {
                socket: s.handle,
                bytes: bufs.iter().map(|b| b.len).sum(),
                buffers: bufs.len() as u32,
                flags: dw_flags,
                overlapped: lp_overlapped,
                h_event,
                routine: lp_completion_routine,
            })
        });
        // "dwFlags [in] Must be zero." (WSPSend, Parameters): a caller that passes
        // anything else breaks the contract; the model's provider refuses the call.
        if dw_flags != 0 {
            cx.kernel().contract(t, rules::SAN_FLAGS_NOT_ZERO);
            return fail(lp_errno, WsaError::WSAEINVAL);
        }
        // "WSAEINVAL: The switch either did not create the socket with the overlapped
        // flag ..." and "The switch specifies an overlapped structure and NULL for a
        // completion routine": the SAN provider only does overlapped I/O.
        if lp_overlapped.is_null() {
            return fail(lp_errno, WsaError::WSAEINVAL);
        }
        {
            let (lower, k) = cx.lower();
            if lower.peer_name(k, s).is_err() {
                return fail(lp_errno, WsaError::WSAENOTCONN);
            }
        }
        // "Each WSABUF structure describes a buffer. The switch registered each buffer in
        // a previous call to the WSPRegisterMemory function." A buffer outside this
        // socket's registered memory is "not totally contained in a valid part of the
        // user address space": WSAEFAULT.
        let mut handles = Vec::new();
        for b in bufs.iter().filter(|b| b.len > 0) {
            match self.registration_for(s.handle, b) {
                Some(h) => handles.push(h),
                None => return fail(lp_errno, WsaError::WSAEFAULT),
            }
        }
        // "If the low order bit of the hEvent member in the WSAOVERLAPPED structure is
        // set, the switch specifically requests to not be notified upon completion".
        let poll = h_event & 1 == 1;
        if poll {
            let _ = cx.kernel().mem_mut().write_u64(
                Ptr(lp_overlapped.0 + ovl::INTERNAL),
                WSS_OPERATION_IN_PROGRESS,
            );
        } else if let Err(e) =
            cx.upcalls()
                .begin_request(s.handle, lp_overlapped, Ptr::NULL, lp_thread_id, "san send")
        {
            return fail(lp_errno, Self::san_code(e));
        }
        let private = cx.alloc_private_overlapped();
        let (mut sent, mut errno) = (0u32, 0i32);
        let rc = cx.lower_wsp_send(
            s,
            &bufs,
            bufs.len() as u32,
            &mut sent,
            0,
            private,
            Ptr::NULL,
            lp_thread_id,
            &mut errno,
        );
        let req = SanRequest {
            socket: s.handle,
            ov: lp_overlapped,
            poll,
            handles,
            _bufs: bufs,
        };
        if rc == 0 {
            // "If the data transmission operation completes immediately, the SAN service
            // provider returns from WSPSend with a value of zero and specifies the number
            // of bytes transmitted at lpNumberOfBytesSent."
            self.stale.insert(private.0);
            self.finish(cx, &req, 0, sent);
            *lp_number_of_bytes_sent = sent;
            return 0;
        }
        if errno == WsaError::WSA_IO_PENDING.0 as i32 {
            // "If the data-transmission operation cannot complete immediately, the
            // operation proceeds, but WSPSend returns with the WSA_IO_PENDING error
            // code."
            for h in &req.handles {
                if let Some(r) = self.regs.get_mut(h) {
                    r.in_use += 1;
                }
            }
            self.pending.insert(private.0, req);
            return fail(lp_errno, WsaError::WSA_IO_PENDING);
        }
        // Not initiated: no completion indication will occur.
        if poll {
            let _ = cx
                .kernel()
                .mem_mut()
                .write_u64(Ptr(lp_overlapped.0 + ovl::INTERNAL), 0);
        } else {
            cx.upcalls().abandon_request(lp_overlapped);
        }
        cx.free_private_overlapped(private);
        let _ = t;
        fail(lp_errno, Self::san_code(WsaError(errno as u32)))
    }

    /// Completes the switch's request: "at completion set OffsetHigh = WSA error,
    /// Offset = result flags, call WPUCompleteOverlappedRequest with the byte count"
    /// (windows-semantics §8) -- unless the switch asked not to be notified, when the
    /// provider only writes the result for `WSPGetOverlappedResult` ("the SAN service
    /// provider is not required to call the WPUCompleteOverlappedRequest function").
    fn finish(&mut self, cx: &mut LayerCx<'_>, req: &SanRequest, error: u32, bytes: u32) {
        let error = Self::san_code(WsaError(error)).0;
        let _ = spi::set_overlapped_result(cx.kernel().mem_mut(), req.ov, error, 0);
        if req.poll {
            let status = NtStatus::from_wsa(WsaError(error));
            let mem = cx.kernel().mem_mut();
            // InternalHigh before Internal, as WPUCompleteOverlappedRequest does.
            let _ = mem.write_u64(Ptr(req.ov.0 + ovl::INTERNAL_HIGH), u64::from(bytes));
            let _ = mem.write_u64(Ptr(req.ov.0 + ovl::INTERNAL), u64::from(status.0));
        } else {
            // "The SAN service provider should call the WPUCompleteOverlappedRequest
            // function in the context of an arbitrary thread to complete the data
            // transmission operation."
            let mut errno = 0;
            cx.upcalls()
                .wpu_complete_overlapped_request(req.socket, req.ov, error, bytes, &mut errno);
            self.log.with(|l| l.wpu_completions += 1);
        }
        for h in &req.handles {
            if let Some(r) = self.regs.get_mut(h) {
                r.in_use = r.in_use.saturating_sub(1);
            }
        }
    }

    /// A private request on the wire completed.
    fn private_completed(&mut self, cx: &mut LayerCx<'_>, ov: Ptr, error: u32, bytes: u32) {
        if self.stale.remove(&ov.0) {
            cx.free_private_overlapped(ov);
            return;
        }
        let Some(req) = self.pending.remove(&ov.0) else {
            return;
        };
        self.finish(cx, &req, error, bytes);
        cx.free_private_overlapped(ov);
    }

    /// `WSPGetOverlappedResult(s, lpOverlapped, &cb, FALSE, &flags, &errno)`:
    /// `WSA_IO_INCOMPLETE` while pending.
    pub fn wsp_get_overlapped_result(&self, k: &Kernel, ov: Ptr) -> Result<u32, WsaError> {
        self.log.with(|l| l.polls += 1);
        spi::wsp_get_overlapped_result(k.mem(), ov).map(|(bytes, _)| bytes)
    }
}

/// One SAN `WSPSend` the switch issued for an application's request.
#[derive(Clone, Copy, Debug)]
struct Chunk {
    socket: SOCKET,
    /// The application's request (key in `SanSwitch::requests`).
    request: u64,
    event: u64,
    poll: bool,
}

/// The application's send, as the switch tracks it.
#[derive(Clone, Debug)]
struct AppRequest {
    socket: SocketRef,
    thread: ThreadId,
    /// The kernel operation of the application's request (`None`: a nonblocking send
    /// the switch already reported as done).
    op: Option<u64>,
    outstanding: u32,
    bytes: u32,
    error: u32,
    handles: Vec<u64>,
}

/// The Windows Sockets Direct switch: a layer over TCP/IP that sends the connections
/// between hosts joined by a SAN link through its [`SanProvider`].
#[derive(Debug)]
pub struct SanSwitch {
    san: Box<dyn SanService>,
    /// Whether the switch always polls (sets the low bit of `hEvent`); it also polls for
    /// sockets associated with a completion port.
    always_poll: bool,
    /// Socket contexts known to be on a SAN link, or not.
    route: BTreeMap<u64, bool>,
    chunks: BTreeMap<u64, Chunk>,
    requests: BTreeMap<u64, AppRequest>,
    next_request: u64,
    log: SanLogHandle,
}

impl SanSwitch {
    /// A switch over `san`; `always_poll` makes it set the low bit of `hEvent` on every
    /// request and poll `WSPGetOverlappedResult`.
    pub fn new(san: Box<dyn SanService>, always_poll: bool) -> SanSwitch {
        let log = san.log();
        SanSwitch {
            san,
            always_poll,
            route: BTreeMap::new(),
            chunks: BTreeMap::new(),
            requests: BTreeMap::new(),
            next_request: 1,
            log,
        }
    }

    /// Its log (shared with the SAN provider).
    pub fn log(&self) -> SanLogHandle {
        self.log.clone()
    }

    /// Whether `s` is a connection between two hosts joined by a SAN link: "chooses per
    /// connection SAN vs TCP/IP" (windows-semantics §8).
    fn on_san(&mut self, cx: &mut LayerCx<'_>, s: SocketRef) -> bool {
        if let Some(v) = self.route.get(&s.context) {
            return *v;
        }
        let (lower, k) = cx.lower();
        let (Ok(local), Ok(peer)) = (lower.sock_name(k, s), lower.peer_name(k, s)) else {
            return false;
        };
        let Some(net) = lower.network_mut() else {
            return false;
        };
        let san = match net.host_of(crate::net::HostId(0), &local.ip) {
            Some(a) => net
                .host_of(a, &peer.ip)
                .is_some_and(|b| net.is_san_link(a, b)),
            None => false,
        };
        self.route.insert(s.context, san);
        san
    }

    /// Polls the outstanding SAN requests: those whose event is signalled, and those
    /// the switch asked not to be notified about ("In this case, the switch calls the
    /// WSPGetOverlappedResult function to poll for completion").
    fn poll(&mut self, cx: &mut LayerCx<'_>) {
        let ovs: Vec<u64> = self.chunks.keys().copied().collect();
        for ov in ovs {
            let c = self.chunks[&ov];
            if !c.poll && cx.kernel().is_signaled(c.event) != Some(true) {
                continue;
            }
            let r = self.san.wsp_get_overlapped_result(cx, c.socket, Ptr(ov));
            if r == Err(WsaError::WSA_IO_INCOMPLETE) {
                continue;
            }
            self.chunks.remove(&ov);
            self.free_chunk(cx, Ptr(ov), c.event);
            if let Some(req) = self.requests.get_mut(&c.request) {
                req.outstanding -= 1;
                match r {
                    Ok(n) => req.bytes += n,
                    Err(e) if req.error == 0 => req.error = e.0,
                    Err(_) => {}
                }
            }
            self.finish_request(cx, c.request);
        }
    }

    fn free_chunk(&mut self, cx: &mut LayerCx<'_>, ov: Ptr, event: u64) {
        let k = cx.kernel();
        k.handles.remove(event);
        k.mem.free_system_overlapped(ov);
    }

    /// Completes the application's request once no SAN request of it is outstanding.
    fn finish_request(&mut self, cx: &mut LayerCx<'_>, id: u64) {
        let Some(req) = self.requests.get(&id) else {
            return;
        };
        if req.outstanding > 0 {
            return;
        }
        let req = self.requests.remove(&id).expect("present");
        for h in &req.handles {
            let _ = self.san.deregister_memory(cx, req.socket, *h);
        }
        if let Some(op) = req.op {
            if cx.kernel().op(op).is_some_and(|o| o.is_pending()) {
                let status = NtStatus::from_wsa(WsaError(req.error));
                cx.kernel().complete_op(op, status, req.bytes, 0, 0);
            }
        }
        let _ = req.thread;
    }
}

impl Layer for SanSwitch {
    fn name(&self) -> &'static str {
        "Windows Sockets Direct switch"
    }

    fn wsp_send(
        &mut self,
        cx: &mut LayerCx<'_>,
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
        if !self.on_san(cx, s) {
            self.log.with(|l| l.tcp_sends += 1);
            return cx.lower_wsp_send(
                s,
                lp_buffers,
                dw_buffer_count,
                lp_number_of_bytes_sent,
                dw_flags,
                lp_overlapped,
                lp_completion_routine,
                lp_thread_id,
                lp_errno,
            );
        }
        let t = lp_thread_id.thread();
        let fail = |lp_errno: &mut i32, e: WsaError| {
            *lp_errno = e.0 as i32;
            SOCKET_ERROR
        };
        // The SAN provider's dwFlags "Must be zero": MSG_DONTROUTE ("A Windows Sockets
        // service provider can choose to ignore this flag", LPWSPSEND) is dropped; the
        // model's switch does not emulate out-of-band data or partial messages on a SAN
        // (divergence noted).
        if dw_flags & (MSG_OOB | MSG_PARTIAL) != 0 {
            return fail(lp_errno, WsaError::WSAEOPNOTSUPP);
        }
        let _ = MSG_DONTROUTE;
        let port = cx
            .kernel()
            .socket_entry(s.handle)
            .is_some_and(|e| e.port.is_some());
        // wine-facts C6: a routine on a socket associated with a port -> WSAEINVAL.
        if port && !lp_completion_routine.is_null() {
            return fail(lp_errno, WsaError::WSAEINVAL);
        }
        let bufs: Vec<WsaBuf> = lp_buffers[..(dw_buffer_count as usize).min(lp_buffers.len())]
            .iter()
            .copied()
            .filter(|b| b.len > 0)
            .collect();
        // "Typically during connection setup time, the switch calls the SAN service
        // provider's WSPRegisterMemory extension function to preregister all memory for
        // the buffer array that is the source of the outgoing data." The switch "fails
        // it with WSAENOBUFS if it cannot register/allocate memory"
        // (using-session-protocol).
        let mut handles = Vec::new();
        for b in &bufs {
            match self.san.register_memory(cx, s, b.buf, b.len, MEM_READ) {
                Ok(h) => handles.push(h),
                Err(e) => {
                    for h in &handles {
                        let _ = self.san.deregister_memory(cx, s, *h);
                    }
                    let e = if e == WsaError::WSAENOTCONN {
                        e
                    } else {
                        WsaError::WSAENOBUFS
                    };
                    return fail(lp_errno, e);
                }
            }
        }
        // "The switch does not pass send message requests to the SAN service provider
        // that exceed the size that the SAN service provider returns in WSPGetSockOpt
        // calls for the value of the SO_MAX_MSG_SIZE socket option": split.
        let max = self.san.max_msg_size();
        let mut pieces: Vec<Vec<WsaBuf>> = Vec::new();
        let mut cur: Vec<WsaBuf> = Vec::new();
        let mut room = max;
        for b in &bufs {
            let mut off = 0u32;
            while off < b.len {
                let n = (b.len - off).min(room);
                cur.push(WsaBuf {
                    len: n,
                    buf: Ptr(b.buf.0 + u64::from(off)),
                });
                off += n;
                room -= n;
                if room == 0 {
                    pieces.push(std::mem::take(&mut cur));
                    room = max;
                }
            }
        }
        if !cur.is_empty() || pieces.is_empty() {
            pieces.push(cur);
        }
        let id = self.next_request;
        self.next_request += 1;
        let mut req = AppRequest {
            socket: s,
            thread: t,
            op: None,
            outstanding: 0,
            bytes: 0,
            error: 0,
            handles,
        };
        let poll = self.always_poll || port;
        let mut first_error = None;
        for piece in &pieces {
            // "the switch always specifies an event in an overlapped structure and NULL
            // for a completion routine if the switch calls the SAN service provider's
            // WSPSend function in an overlapped manner".
            let Some(event) = cx.kernel().handles.insert(Object::Event(Event::wsa())) else {
                first_error = Some(WsaError::WSAENOBUFS);
                break;
            };
            let h_event = event | u64::from(poll);
            let Some(ov) = cx.kernel().mem.alloc_system_overlapped(h_event) else {
                cx.kernel().handles.remove(event);
                first_error = Some(WsaError::WSAENOBUFS);
                break;
            };
            let (mut sent, mut errno) = (0u32, 0i32);
            let rc = self.san.wsp_send(
                cx,
                s,
                piece,
                piece.len() as u32,
                &mut sent,
                0,
                ov,
                Ptr::NULL,
                lp_thread_id,
                &mut errno,
            );
            if rc == SOCKET_ERROR {
                check_san_code(cx.kernel(), t, errno);
            }
            if rc == 0 {
                req.bytes += sent;
                self.free_chunk(cx, ov, event);
            } else if errno == WsaError::WSA_IO_PENDING.0 as i32 {
                req.outstanding += 1;
                self.chunks.insert(
                    ov.0,
                    Chunk {
                        socket: s.handle,
                        request: id,
                        event,
                        poll,
                    },
                );
            } else {
                self.free_chunk(cx, ov, event);
                first_error = Some(WsaError(errno as u32));
                break;
            }
        }
        if let Some(e) = first_error {
            if req.outstanding == 0 && req.bytes == 0 {
                for h in &req.handles {
                    let _ = self.san.deregister_memory(cx, s, *h);
                }
                return fail(lp_errno, e);
            }
            req.error = e.0;
        }
        let overlapped = !lp_overlapped.is_null() || !lp_completion_routine.is_null();
        let nonblocking = {
            let (lower, _) = cx.lower();
            lower.is_nonblocking(s)
        };
        if req.outstanding == 0 {
            // Done at once: the switch indicates the application's completion now ("in
            // this case the completion routine, if specified, will have already been
            // queued").
            let bytes = req.bytes;
            let error = req.error;
            for h in &req.handles {
                let _ = self.san.deregister_memory(cx, s, *h);
            }
            if overlapped {
                match cx.kernel().begin_op(
                    s.handle,
                    t,
                    lp_overlapped,
                    lp_completion_routine,
                    "send",
                    u64::from(bytes),
                ) {
                    Ok(op) => {
                        let status = NtStatus::from_wsa(WsaError(error));
                        cx.kernel().complete_op(op, status, bytes, 0, 0);
                    }
                    Err(e) => return fail(lp_errno, e),
                }
            }
            if error != 0 {
                return fail(lp_errno, WsaError(error));
            }
            *lp_number_of_bytes_sent = bytes;
            return 0;
        }
        if !overlapped && nonblocking {
            // A nonblocking send: the switch has taken the data and reports it consumed.
            let total: u32 = bufs.iter().map(|b| b.len).sum();
            self.requests.insert(id, req);
            *lp_number_of_bytes_sent = total;
            return 0;
        }
        // The switch turns the application's blocking call, event or routine into its
        // own event-based requests, and completes the application's request itself.
        match cx.kernel().begin_op(
            s.handle,
            t,
            lp_overlapped,
            lp_completion_routine,
            "send",
            u64::from(req.bytes),
        ) {
            Ok(op) => req.op = Some(op),
            Err(e) => return fail(lp_errno, e),
        }
        self.requests.insert(id, req);
        // A completion may already be there.
        self.poll(cx);
        fail(lp_errno, WsaError::WSA_IO_PENDING)
    }

    fn register_memory(
        &mut self,
        cx: &mut LayerCx<'_>,
        s: SocketRef,
        buf: Ptr,
        len: u32,
        flags: u32,
    ) -> Option<Result<u64, WsaError>> {
        Some(self.san.register_memory(cx, s, buf, len, flags))
    }

    fn deregister_memory(
        &mut self,
        cx: &mut LayerCx<'_>,
        s: SocketRef,
        handle: u64,
    ) -> Option<Result<(), WsaError>> {
        Some(self.san.deregister_memory(cx, s, handle))
    }

    fn san_wsp_send(
        &mut self,
        cx: &mut LayerCx<'_>,
        s: SocketRef,
        lp_buffers: &[WsaBuf],
        lp_number_of_bytes_sent: &mut u32,
        dw_flags: u32,
        lp_overlapped: Ptr,
        lp_completion_routine: Ptr,
        lp_thread_id: &WsaThreadId,
        lp_errno: &mut i32,
    ) -> Option<i32> {
        let rc = self.san.wsp_send(
            cx,
            s,
            lp_buffers,
            lp_buffers.len() as u32,
            lp_number_of_bytes_sent,
            dw_flags,
            lp_overlapped,
            lp_completion_routine,
            lp_thread_id,
            lp_errno,
        );
        if rc == SOCKET_ERROR {
            check_san_code(cx.kernel(), lp_thread_id.thread(), *lp_errno);
        }
        Some(rc)
    }

    fn private_completed(
        &mut self,
        cx: &mut LayerCx<'_>,
        ov: Ptr,
        error: u32,
        bytes: u32,
        flags: u32,
    ) {
        let _ = flags;
        self.san.private_completed(cx, ov, error, bytes);
        self.poll(cx);
    }
}
