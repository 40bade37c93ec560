//! Layered providers: a provider stacked on a lower one, the two ways the docs describe.
//!
//! Heads up (`windows-semantics.md` §8, "LSPs and wrapping WSPSend"):
//! - **IFS style, pass-through**: "its WSPSend inspects buffers and passes *all*
//!   arguments (same `lpOverlapped`, `lpCompletionRoutine`, `lpThreadId`) straight to
//!   `NextProcTable.lpWSPSend`". This is [`Layer::wsp_send`]'s default.
//! - **Non-IFS style**: "for each overlapped call allocate a private overlapped, copy the
//!   WSABUF array, ... copy the WSATHREADID, issue the lower WSPSend with the private
//!   overlapped ..., then complete the caller's request via WPUQueueApc or
//!   WPUCompleteOverlappedRequest". [`NonIfsLayer`] does exactly that.
//!
//! A user writes a layer by implementing [`Layer`] and installs it with
//! [`crate::World::install_layered_provider`]. The switch wraps the lower provider in a
//! [`LayeredStack`], which calls the layer for the sockets in its [`LayerScope`] and
//! passes everything else straight down. After each call into the layer the switch
//! hands it the completions of its private requests ([`Layer::private_completed`]) and
//! checks the requests it owns against the contract (`provider/spi.rs`).
//!
//! Where the model simplifies: the layer shares the lower provider's socket handle
//! (as an IFS layer does after `WPUModifyIFSHandle`), also in the non-IFS style, and a
//! layer sees `WSPSend` (and `WSPSendTo` without an address) only; other calls pass
//! straight down.

use super::spi::{self, Upcalls, WsaThreadId};
use super::{OptValue, Provider, ProviderFault, RecvMeta, SocketRef};
use crate::consts::{SOCKET, SOCKET_ERROR};
use crate::error::WsaError;
use crate::kernel::Kernel;
use crate::memory::{Ptr, WsaBuf};
use crate::net::{IpAddr, SockAddr};
use crate::thread::ThreadId;
use crate::time::Instant;
use std::collections::{BTreeMap, BTreeSet};

/// Which sockets a layer applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayerScope {
    /// Sockets created afterwards for this `(af, type, protocol)` (protocol 0: any).
    Protocol {
        /// Address family.
        af: i32,
        /// Socket type.
        ty: i32,
        /// Protocol, 0 for any.
        protocol: i32,
    },
    /// Every socket created afterwards.
    NewSockets,
}

impl LayerScope {
    fn covers(self, af: i32, ty: i32, protocol: i32) -> bool {
        match self {
            LayerScope::NewSockets => true,
            LayerScope::Protocol {
                af: a,
                ty: t,
                protocol: p,
            } => a == af && t == ty && (p == 0 || p == protocol),
        }
    }
}

/// What a layer's methods get: the upcalls, the lower provider and its own APC function.
#[derive(Debug)]
pub struct LayerCx<'a> {
    k: &'a mut Kernel,
    lower: &'a mut dyn Provider,
    me: usize,
    apc_fn: Ptr,
}

impl<'a> LayerCx<'a> {
    /// The upcall table.
    pub fn upcalls(&mut self) -> Upcalls<'_> {
        Upcalls::new(self.k, self.me)
    }

    /// The kernel (memory, clock, trace).
    pub fn kernel(&mut self) -> &mut Kernel {
        self.k
    }

    /// The lower provider (`NextProcTable`) and the kernel, for calls other than
    /// `WSPSend` (names, options, the network).
    pub fn lower(&mut self) -> (&mut dyn Provider, &mut Kernel) {
        (&mut *self.lower, &mut *self.k)
    }

    /// The code address of this layer's own APC function: pass it to
    /// [`Upcalls::wpu_queue_apc`]; when the APC is delivered, [`Layer::apc`] runs.
    pub fn apc_fn(&self) -> Ptr {
        self.apc_fn
    }

    /// The lower provider's `WSPSend` (`NextProcTable.lpWSPSend`).
    #[allow(clippy::too_many_arguments)]
    pub fn lower_wsp_send(
        &mut self,
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
        lower_send_checked(
            self.k,
            self.lower,
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

    /// A private `WSAOVERLAPPED` (no event) for a request to the lower provider; its
    /// completion comes back through [`Layer::private_completed`]. NULL when the
    /// application's memory is not the simulated one (a layer then passes through).
    pub fn alloc_private_overlapped(&mut self) -> Ptr {
        let Some(sim) = self.k.mem.as_sim() else {
            return Ptr::NULL;
        };
        let ov = sim.alloc_overlapped(0);
        self.k.spi.private_ovs.insert(ov.0, self.me);
        ov
    }

    /// Releases a private `WSAOVERLAPPED`.
    pub fn free_private_overlapped(&mut self, ov: Ptr) {
        self.k.spi.private_ovs.remove(&ov.0);
        self.k.mem.free_system_overlapped(ov);
    }

    /// A private `WSAOVERLAPPED` as [`LayerCx::alloc_private_overlapped`], in whatever
    /// memory the application has (the C ABI's process memory too); NULL when none can
    /// be had. Its completion comes back through [`Layer::private_completed`].
    pub fn alloc_system_private_overlapped(&mut self) -> Ptr {
        let Some(ov) = self.k.mem.alloc_system_overlapped(0) else {
            return Ptr::NULL;
        };
        self.k.spi.private_ovs.insert(ov.0, self.me);
        ov
    }
}

/// Calls a lower provider's `WSPSend` the way the switch does, with the checks the
/// switch makes on what comes back: a SAN provider must not answer a code the `WSPSend`
/// seed says it never returns, and must be handed `dwFlags == 0`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn lower_send_checked(
    k: &mut Kernel,
    lower: &mut dyn Provider,
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
    let rc = lower.wsp_send(
        k,
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
    if lower.is_san() && rc == SOCKET_ERROR {
        check_san_code(k, lp_thread_id.thread(), *lp_errno);
    }
    rc
}

/// "Note that a SAN service provider does not support the following error codes for
/// WSPSend" (WSPSend, Return value): reports a SAN provider that returns one.
pub(crate) fn check_san_code(k: &mut Kernel, t: ThreadId, errno: i32) {
    if spi::SAN_FORBIDDEN.contains(&WsaError(errno as u32)) {
        k.contract(t, spi::rules::SAN_FORBIDDEN_CODE);
    }
}

/// A layered service provider, written in Rust. Every method has the default of an IFS
/// layer that passes everything through.
pub trait Layer: core::fmt::Debug + Send {
    /// The layer's name (traces).
    fn name(&self) -> &'static str;

    /// The layer's `WSPSend` (LPWSPSEND), for the sockets in its scope. The default
    /// passes every argument to the lower provider unchanged: the same OVERLAPPED,
    /// routine and thread id.
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
    ) -> i32 {
        cx.lower_wsp_send(
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

    /// Whether this layer is a SAN provider: whoever calls its `WSPSend` through
    /// [`LayerCx::lower_wsp_send`] then holds it to the SAN contract (`seeds/002`).
    fn is_san(&self) -> bool {
        false
    }

    /// `WSPRegisterMemory` for a socket in the layer's scope; `None` passes it to the
    /// lower provider.
    fn register_memory(
        &mut self,
        cx: &mut LayerCx<'_>,
        s: SocketRef,
        buf: Ptr,
        len: u32,
        flags: u32,
    ) -> Option<Result<u64, WsaError>> {
        let _ = (cx, s, buf, len, flags);
        None
    }

    /// `WSPDeregisterMemory` for a socket in the layer's scope; `None` passes it to the
    /// lower provider.
    fn deregister_memory(
        &mut self,
        cx: &mut LayerCx<'_>,
        s: SocketRef,
        handle: u64,
    ) -> Option<Result<(), WsaError>> {
        let _ = (cx, s, handle);
        None
    }

    /// The `WSPSend` of a SAN provider the layer holds (a Windows Sockets Direct
    /// switch), called directly as an SPI client would; `None` when the layer holds
    /// none.
    #[allow(clippy::too_many_arguments)]
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
        let _ = (
            cx,
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

    /// The layer's own APC function ([`LayerCx::apc_fn`]), delivered in an alertable wait
    /// of the thread named in `WPUQueueApc`, with its single context value.
    fn apc(&mut self, cx: &mut LayerCx<'_>, context: u64) {
        let _ = (cx, context);
    }

    /// A private request (OVERLAPPED from [`LayerCx::alloc_private_overlapped`])
    /// completed in the lower provider.
    fn private_completed(
        &mut self,
        cx: &mut LayerCx<'_>,
        ov: Ptr,
        error: u32,
        bytes: u32,
        flags: u32,
    ) {
        let _ = (cx, ov, error, bytes, flags);
    }
}

/// A layer stacked on its lower provider: what the switch dispatches to.
#[derive(Debug)]
pub struct LayeredStack {
    layer: Box<dyn Layer>,
    lower: Box<dyn Provider>,
    me: usize,
    scope: LayerScope,
    apc_fn: Ptr,
    /// Provider contexts of the sockets the layer applies to.
    layered: BTreeSet<u64>,
}

impl LayeredStack {
    /// `layer` over `lower`, at index `me` in the switch's list, with APC function
    /// `apc_fn`.
    pub fn new(
        layer: Box<dyn Layer>,
        lower: Box<dyn Provider>,
        me: usize,
        scope: LayerScope,
        apc_fn: Ptr,
    ) -> LayeredStack {
        LayeredStack {
            layer,
            lower,
            me,
            scope,
            apc_fn,
            layered: BTreeSet::new(),
        }
    }

    /// Whether the layer applies to `s`.
    pub fn covers(&self, s: SocketRef) -> bool {
        self.layered.contains(&s.context)
    }

    /// After the lower provider or the layer ran: hands the layer its private
    /// completions, then checks the requests the switch watches.
    fn after(&mut self, k: &mut Kernel) {
        while let Some(i) = k
            .spi
            .private_done
            .iter()
            .position(|c| c.provider == self.me)
        {
            let c = k.spi.private_done.remove(i).expect("index found above");
            let mut cx = LayerCx {
                k,
                lower: &mut *self.lower,
                me: self.me,
                apc_fn: self.apc_fn,
            };
            self.layer
                .private_completed(&mut cx, c.ov, c.error, c.bytes, c.flags);
        }
        spi::check_all_watched(k);
    }
}

impl Provider for LayeredStack {
    fn name(&self) -> &'static str {
        self.layer.name()
    }

    fn supports(&self, af: i32, ty: i32, protocol: i32) -> bool {
        self.lower.supports(af, ty, protocol)
    }

    fn socket(
        &mut self,
        k: &mut Kernel,
        me: usize,
        host: crate::net::HostId,
        af: i32,
        ty: i32,
        protocol: i32,
        overlapped: bool,
    ) -> Result<SOCKET, WsaError> {
        let s = self
            .lower
            .socket(k, me, host, af, ty, protocol, overlapped)?;
        if self.scope.covers(af, ty, protocol) {
            if let Some(e) = k.socket_entry(s) {
                self.layered.insert(e.context);
            }
        }
        Ok(s)
    }

    fn bind(&mut self, k: &mut Kernel, s: SocketRef, addr: SockAddr) -> Result<(), WsaError> {
        self.lower.bind(k, s, addr)
    }

    fn listen(&mut self, k: &mut Kernel, s: SocketRef, backlog: i32) -> Result<(), WsaError> {
        self.lower.listen(k, s, backlog)
    }

    fn accept(
        &mut self,
        k: &mut Kernel,
        s: SocketRef,
        t: ThreadId,
    ) -> Result<(SOCKET, SockAddr), WsaError> {
        let r = self.lower.accept(k, s, t);
        // An accepted socket of a layered listener is layered too.
        if let Ok((ns, _)) = r {
            if self.covers(s) {
                if let Some(e) = k.socket_entry(ns) {
                    self.layered.insert(e.context);
                }
            }
        }
        self.after(k);
        r
    }

    fn connect(
        &mut self,
        k: &mut Kernel,
        s: SocketRef,
        t: ThreadId,
        addr: SockAddr,
    ) -> Result<(), WsaError> {
        let r = self.lower.connect(k, s, t, addr);
        self.after(k);
        r
    }

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
        if !self.covers(s) {
            return self.lower.wsp_send(
                k,
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
        let mut cx = LayerCx {
            k,
            lower: &mut *self.lower,
            me: self.me,
            apc_fn: self.apc_fn,
        };
        let rc = self.layer.wsp_send(
            &mut cx,
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
        self.after(k);
        rc
    }

    fn send(
        &mut self,
        k: &mut Kernel,
        s: SocketRef,
        bufs: &[WsaBuf],
        flags: u32,
        ov: Ptr,
        routine: Ptr,
        thread: ThreadId,
    ) -> Result<u32, WsaError> {
        let tid = WsaThreadId::of(k, thread);
        let (mut sent, mut errno) = (0u32, 0i32);
        let rc = self.wsp_send(
            k,
            s,
            bufs,
            bufs.len() as u32,
            &mut sent,
            flags,
            ov,
            routine,
            &tid,
            &mut errno,
        );
        if rc == 0 {
            Ok(sent)
        } else {
            Err(WsaError(errno as u32))
        }
    }

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
        if to.is_none() && src.is_none() && self.covers(s) {
            return self.send(k, s, bufs, flags, ov, routine, thread);
        }
        let r = self
            .lower
            .send_to(k, s, bufs, flags, to, src, ov, routine, thread);
        self.after(k);
        r
    }

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
        let r = self
            .lower
            .recv_from(k, s, bufs, flags, meta, ov, routine, thread);
        self.after(k);
        r
    }

    fn implicit_bind(&mut self, k: &mut Kernel, s: SocketRef) -> Result<(), WsaError> {
        self.lower.implicit_bind(k, s)
    }

    fn recv(
        &mut self,
        k: &mut Kernel,
        s: SocketRef,
        bufs: &[WsaBuf],
        flags: u32,
        ov: Ptr,
        routine: Ptr,
        thread: ThreadId,
    ) -> Result<(u32, u32), WsaError> {
        let r = self.lower.recv(k, s, bufs, flags, ov, routine, thread);
        self.after(k);
        r
    }

    fn shutdown(&mut self, k: &mut Kernel, s: SocketRef, how: i32) -> Result<(), WsaError> {
        let r = self.lower.shutdown(k, s, how);
        self.after(k);
        r
    }

    fn close(&mut self, k: &mut Kernel, s: SocketRef, t: ThreadId) -> Result<(), WsaError> {
        let r = self.lower.close(k, s, t);
        self.after(k);
        r
    }

    fn get_option(
        &mut self,
        k: &mut Kernel,
        s: SocketRef,
        level: i32,
        name: i32,
    ) -> Result<OptValue, WsaError> {
        self.lower.get_option(k, s, level, name)
    }

    fn set_option(
        &mut self,
        k: &mut Kernel,
        s: SocketRef,
        level: i32,
        name: i32,
        value: OptValue,
    ) -> Result<(), WsaError> {
        self.lower.set_option(k, s, level, name, value)
    }

    fn ioctl(&mut self, k: &mut Kernel, s: SocketRef, cmd: u32, arg: u32) -> Result<u32, WsaError> {
        self.lower.ioctl(k, s, cmd, arg)
    }

    fn sock_name(&self, k: &Kernel, s: SocketRef) -> Result<SockAddr, WsaError> {
        self.lower.sock_name(k, s)
    }

    fn peer_name(&self, k: &Kernel, s: SocketRef) -> Result<SockAddr, WsaError> {
        self.lower.peer_name(k, s)
    }

    fn is_nonblocking(&self, s: SocketRef) -> bool {
        self.lower.is_nonblocking(s)
    }

    fn cancel_op(&mut self, k: &mut Kernel, s: SocketRef, op: u64, error: WsaError) {
        self.lower.cancel_op(k, s, op, error);
        self.after(k);
    }

    fn poll_at(&self) -> Option<Instant> {
        self.lower.poll_at()
    }

    fn advance(&mut self, k: &mut Kernel) {
        self.lower.advance(k);
        self.after(k);
    }

    fn inject(&mut self, k: &mut Kernel, fault: ProviderFault) -> bool {
        let r = self.lower.inject(k, fault);
        self.after(k);
        r
    }

    fn network_mut(&mut self) -> Option<&mut crate::net::Network> {
        self.lower.network_mut()
    }

    fn run_apc(&mut self, k: &mut Kernel, t: ThreadId, func: Ptr, context: u64) {
        if func != self.apc_fn {
            self.lower.run_apc(k, t, func, context);
            self.after(k);
            return;
        }
        let mut cx = LayerCx {
            k,
            lower: &mut *self.lower,
            me: self.me,
            apc_fn: self.apc_fn,
        };
        self.layer.apc(&mut cx, context);
        self.after(k);
    }

    fn is_san(&self) -> bool {
        self.layer.is_san()
    }

    fn register_memory(
        &mut self,
        k: &mut Kernel,
        s: SocketRef,
        buf: Ptr,
        len: u32,
        flags: u32,
    ) -> Result<u64, WsaError> {
        if self.covers(s) {
            let mut cx = LayerCx {
                k,
                lower: &mut *self.lower,
                me: self.me,
                apc_fn: self.apc_fn,
            };
            if let Some(r) = self.layer.register_memory(&mut cx, s, buf, len, flags) {
                self.after(k);
                return r;
            }
        }
        self.lower.register_memory(k, s, buf, len, flags)
    }

    fn deregister_memory(
        &mut self,
        k: &mut Kernel,
        s: SocketRef,
        handle: u64,
    ) -> Result<(), WsaError> {
        if self.covers(s) {
            let mut cx = LayerCx {
                k,
                lower: &mut *self.lower,
                me: self.me,
                apc_fn: self.apc_fn,
            };
            if let Some(r) = self.layer.deregister_memory(&mut cx, s, handle) {
                self.after(k);
                return r;
            }
        }
        self.lower.deregister_memory(k, s, handle)
    }

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
        if self.covers(s) {
            let mut cx = LayerCx {
                k,
                lower: &mut *self.lower,
                me: self.me,
                apc_fn: self.apc_fn,
            };
            let r = self.layer.san_wsp_send(
                &mut cx,
                s,
                lp_buffers,
                lp_number_of_bytes_sent,
                dw_flags,
                lp_overlapped,
                lp_completion_routine,
                lp_thread_id,
                lp_errno,
            );
            if r.is_some() {
                self.after(k);
                return r;
            }
        }
        self.lower.san_wsp_send(
            k,
            s,
            lp_buffers,
            lp_number_of_bytes_sent,
            dw_flags,
            lp_overlapped,
            lp_completion_routine,
            lp_thread_id,
            lp_errno,
        )
    }
}

/// An IFS-style layer that passes every `WSPSend` through unchanged and counts what it
/// saw (an inspector, `LSP_INSPECTOR`).
#[derive(Debug, Default)]
pub struct PassThroughLayer {
    /// `WSPSend` calls seen.
    pub calls: u64,
    /// Bytes offered in them.
    pub bytes: u64,
}

impl Layer for PassThroughLayer {
    fn name(&self) -> &'static str {
        "pass-through layer"
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
        self.calls += 1;
        self.bytes += lp_buffers.iter().map(|b| u64::from(b.len)).sum::<u64>();
        cx.lower_wsp_send(
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
}

/// How a [`NonIfsLayer`] completes its caller's request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Completion {
    /// Routine-based requests by `WPUQueueApc` with the layer's own APC function;
    /// event-based ones by `WPUCompleteOverlappedRequest` (the Microsoft LSP sample).
    Apc,
    /// Every request by `WPUCompleteOverlappedRequest`.
    CompleteOverlappedRequest,
}

/// A caller's request in flight in a [`NonIfsLayer`].
#[derive(Clone, Debug)]
struct Pending {
    socket: SOCKET,
    caller_ov: Ptr,
    routine: Ptr,
    /// The copy of the caller's WSATHREADID (not the pointer).
    thread_id: WsaThreadId,
    /// The copied WSABUF array, kept for the life of the request.
    _bufs: Vec<WsaBuf>,
    /// The result, once the private request completed (error, bytes, flags).
    result: Option<(u32, u32, u32)>,
}

/// A non-IFS-style layer (the Microsoft `nonifslsp` pattern): for an overlapped
/// `WSPSend` it copies the `WSABUF` array and the `WSATHREADID`, issues its own request
/// with a private OVERLAPPED to the lower provider, and completes the caller's request
/// when that completes: by `WPUQueueApc` with its own APC function, which reads the
/// result through the single context value (the caller's OVERLAPPED) and then calls the
/// client's routine, or by `WPUCompleteOverlappedRequest`. Blocking calls pass through.
#[derive(Debug)]
pub struct NonIfsLayer {
    mode: Completion,
    /// Private OVERLAPPED -> the caller's request.
    by_private: BTreeMap<u64, Pending>,
    /// Caller OVERLAPPED -> private OVERLAPPED, for requests waiting for their APC.
    by_caller: BTreeMap<u64, u64>,
    /// Requests issued (for tests).
    pub issued: u64,
}

impl NonIfsLayer {
    /// A layer completing its callers as `mode` says.
    pub fn new(mode: Completion) -> NonIfsLayer {
        NonIfsLayer {
            mode,
            by_private: BTreeMap::new(),
            by_caller: BTreeMap::new(),
            issued: 0,
        }
    }

    /// Completes the caller's request of private request `private`.
    fn complete_caller(&mut self, cx: &mut LayerCx<'_>, private: u64) {
        let Some(p) = self.by_private.get(&private).cloned() else {
            return;
        };
        let (error, bytes, flags) = p.result.expect("completed");
        let mut errno = 0;
        // "at completion set OffsetHigh = WSA error, Offset = result flags" (the
        // provider's WSPGetOverlappedResult reads them).
        let _ = spi::set_overlapped_result(cx.kernel().mem_mut(), p.caller_ov, error, flags);
        if !p.routine.is_null() && self.mode == Completion::Apc {
            // "The service provider must instead supply a pointer to its own APC
            // function that uses the supplied context value to access the needed result
            // information for the overlapped operation, and then invokes the client
            // specified-completion routine."
            let apc = cx.apc_fn();
            self.by_caller.insert(p.caller_ov.0, private);
            cx.upcalls()
                .wpu_queue_apc(&p.thread_id, apc, p.caller_ov.0, &mut errno);
        } else {
            cx.upcalls().wpu_complete_overlapped_request(
                p.socket,
                p.caller_ov,
                error,
                bytes,
                &mut errno,
            );
            self.by_private.remove(&private);
            cx.free_private_overlapped(Ptr(private));
        }
    }
}

impl Layer for NonIfsLayer {
    fn name(&self) -> &'static str {
        "non-IFS layer"
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
        let private = if lp_overlapped.is_null() {
            Ptr::NULL
        } else {
            cx.alloc_private_overlapped()
        };
        if private.is_null() {
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
        // "it is the service provider's responsibility to capture these WSABUF
        // structures before returning from this call": the layer's own copy.
        let bufs: Vec<WsaBuf> =
            lp_buffers[..(dw_buffer_count as usize).min(lp_buffers.len())].to_vec();
        if let Err(e) = cx.upcalls().begin_request(
            s.handle,
            lp_overlapped,
            lp_completion_routine,
            lp_thread_id,
            "send",
        ) {
            cx.free_private_overlapped(private);
            *lp_errno = e.0 as i32;
            return SOCKET_ERROR;
        }
        self.issued += 1;
        self.by_private.insert(
            private.0,
            Pending {
                socket: s.handle,
                caller_ov: lp_overlapped,
                routine: lp_completion_routine,
                thread_id: *lp_thread_id,
                _bufs: bufs.clone(),
                result: None,
            },
        );
        let mut sent = 0;
        let rc = cx.lower_wsp_send(
            s,
            &bufs,
            bufs.len() as u32,
            &mut sent,
            dw_flags,
            private,
            Ptr::NULL,
            lp_thread_id,
            lp_errno,
        );
        if rc == 0 {
            // Completed at once: the private completion is already queued to the layer;
            // complete the caller now ("Note that in this case the completion routine,
            // if specified, will have already been queued").
            let p = self.by_private.get_mut(&private.0).expect("just inserted");
            p.result = Some((0, sent, 0));
            self.complete_caller(cx, private.0);
            *lp_number_of_bytes_sent = sent;
            return 0;
        }
        if *lp_errno != WsaError::WSA_IO_PENDING.0 as i32 {
            // "Any other error code indicates that no overlapped operation was initiated
            // and no completion indication will occur."
            self.by_private.remove(&private.0);
            cx.upcalls().abandon_request(lp_overlapped);
            cx.free_private_overlapped(private);
        }
        SOCKET_ERROR
    }

    fn private_completed(
        &mut self,
        cx: &mut LayerCx<'_>,
        ov: Ptr,
        error: u32,
        bytes: u32,
        flags: u32,
    ) {
        let Some(p) = self.by_private.get_mut(&ov.0) else {
            return;
        };
        if p.result.is_some() {
            // Completed at once; the caller was completed in WSPSend.
            if !self.by_caller.values().any(|v| *v == ov.0) {
                self.by_private.remove(&ov.0);
                cx.free_private_overlapped(ov);
            }
            return;
        }
        p.result = Some((error, bytes, flags));
        self.complete_caller(cx, ov.0);
    }

    fn apc(&mut self, cx: &mut LayerCx<'_>, context: u64) {
        // The single context value is the caller's OVERLAPPED.
        let Some(private) = self.by_caller.remove(&context) else {
            return;
        };
        let Some(p) = self.by_private.get(&private).cloned() else {
            return;
        };
        let (error, bytes, flags) = p.result.expect("completed before its APC");
        // Only free the private OVERLAPPED once its own completion arrived.
        if !cx
            .kernel()
            .spi
            .private_done
            .iter()
            .any(|c| c.ov.0 == private)
        {
            self.by_private.remove(&private);
            cx.free_private_overlapped(Ptr(private));
        }
        cx.upcalls()
            .call_client_routine(p.routine, error, bytes, p.caller_ov, flags);
    }
}
