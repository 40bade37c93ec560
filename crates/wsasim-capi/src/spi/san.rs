//! C SAN service providers under the Windows Sockets Direct switch
//! (`WSASIM_PROVIDER=path.so:san`).
//!
//! Heads up: read `seeds/002` (WSPSend for a SAN provider) and `windows-semantics.md`
//! §8, "Windows Sockets Direct (SAN) switch model". The switch is `wsasim_core`'s
//! [`SanSwitch`](wsasim_core::provider::san::SanSwitch); [`CSan`] is the
//! [`SanService`] it calls, over the C provider's `WSPPROC_TABLE`:
//! - `WSPStartupEx` (else `WSPStartup`) gets a `WSPUPCALLTABLEEX` whose
//!   `lpWPUCompleteOverlappedRequest` is filled ("The SAN service provider should call
//!   the WPUCompleteOverlappedRequest function in the context of an arbitrary thread");
//! - `WSPRegisterMemory` / `WSPDeregisterMemory` are fetched from the provider's
//!   `WSPIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER)` with the `WSAID_*` GUIDs of ws2san.h;
//! - `WSPSend` gets a copy of the switch's `WSABUF` array (poisoned once it returns,
//!   as for a layered provider), `dwFlags` 0, the switch's OVERLAPPED with an event (low
//!   bit set: poll) and no routine;
//! - the provider's "hardware" is the base provider's stream to the same peer: on entry
//!   to `WSPStartupEx`, `*lpProcTable` holds a table whose `lpWSPSend` ([`wire_send`])
//!   takes a request with the provider's own OVERLAPPED and completion routine; the
//!   routine is called when the transfer finishes (even when `lpWSPSend` returned 0),
//!   from the network's progress -- an arbitrary thread, not an APC.

use super::*;
use std::collections::BTreeMap;
use std::sync::Mutex;
use wsasim_core::consts::{SOCKET, SOL_SOCKET, SO_MAX_MSG_SIZE};
use wsasim_core::memory::overlapped_layout as ovl;
use wsasim_core::provider::san::{SanLogHandle, SanSend, SanService, SAN_MAX_MSG_SIZE_DEFAULT};
use wsasim_core::provider::spi::{self as core_spi, WSS_OPERATION_IN_PROGRESS};

/// `SIO_GET_EXTENSION_FUNCTION_POINTER` (`_WSAIORW(IOC_WS2, 6)`).
const SIO_GET_EXTENSION_FUNCTION_POINTER: u32 = 0xC800_0006;
/// `WSAID_REGISTERMEMORY` (ws2san.h), as the bytes of a `GUID`.
const WSAID_REGISTERMEMORY: [u8; 16] = guid(0xC0B4_22F5);
/// `WSAID_DEREGISTERMEMORY` (ws2san.h).
const WSAID_DEREGISTERMEMORY: [u8; 16] = guid(0xC0B4_22F6);

/// `{d1, 0xF58C, 0x11d1, {0xAD, 0x6C, 0x00, 0xC0, 0x4F, 0xA3, 0x4A, 0x2D}}` in memory.
const fn guid(d1: u32) -> [u8; 16] {
    let a = d1.to_le_bytes();
    let b = 0xF58Cu16.to_le_bytes();
    let c = 0x11d1u16.to_le_bytes();
    [
        a[0], a[1], a[2], a[3], b[0], b[1], c[0], c[1], 0xAD, 0x6C, 0x00, 0xC0, 0x4F, 0xA3, 0x4A,
        0x2D,
    ]
}

/// The provider's private requests on the wire: the system's OVERLAPPED -> (the
/// provider's OVERLAPPED, the provider's completion routine).
static WIRE: Mutex<BTreeMap<u64, (usize, usize)>> = Mutex::new(BTreeMap::new());

/// `NextProcTable.lpWSPSend` of a C SAN provider: its "hardware". The request goes to
/// the base provider's stream with a private OVERLAPPED of the system's; when it
/// finishes, the provider's `lpCompletionRoutine` is called with the provider's own
/// `lpOverlapped` (whose `InternalHigh` / `Internal` are written first). Only inside the
/// provider's `WSPSend` (elsewhere `WSAENETDOWN`).
#[allow(clippy::too_many_arguments)]
pub(super) extern "C" fn wire_send(
    s: u64,
    lp_buffers: *mut WsaBufC,
    dw_buffer_count: u32,
    lp_number_of_bytes_sent: *mut u32,
    dw_flags: u32,
    lp_overlapped: *mut c_void,
    lp_completion_routine: Option<CompletionRoutine>,
    lp_thread_id: *mut WsaThreadIdC,
    lp_errno: *mut c_int,
) -> c_int {
    let Some(bufs) = read_c_bufs(lp_buffers, dw_buffer_count) else {
        write_errno(lp_errno, WsaError::WSAEFAULT.0 as i32);
        return SOCKET_ERROR;
    };
    if bufs.iter().any(|b| b.buf.0 == POISON) {
        let tid = read_thread_id(lp_thread_id).unwrap_or_default();
        with_upcalls(|u| u.report(tid.thread(), rules::WSABUF_READ_AFTER_RETURN));
        write_errno(lp_errno, WsaError::WSAEFAULT.0 as i32);
        return SOCKET_ERROR;
    }
    let tid = read_thread_id(lp_thread_id).unwrap_or_default();
    let routine = lp_completion_routine.map_or(0, |f| f as usize);
    let r = with_cx(|cx| {
        let Some(e) = cx.kernel().socket_entry(s) else {
            return (SOCKET_ERROR, 0, WsaError::WSAENOTSOCK.0 as i32);
        };
        let sr = SocketRef {
            handle: s,
            context: e.context,
        };
        let private = cx.alloc_system_private_overlapped();
        if private.is_null() {
            return (SOCKET_ERROR, 0, WsaError::WSAENOBUFS.0 as i32);
        }
        let (mut sent, mut errno) = (0u32, 0i32);
        let rc = cx.lower_wsp_send(
            sr,
            &bufs,
            bufs.len() as u32,
            &mut sent,
            dw_flags,
            private,
            Ptr::NULL,
            &tid,
            &mut errno,
        );
        if rc == 0 || errno == WsaError::WSA_IO_PENDING.0 as i32 {
            if let Ok(mut w) = WIRE.lock() {
                w.insert(private.0, (lp_overlapped as usize, routine));
            }
        } else {
            cx.free_private_overlapped(private);
        }
        (rc, sent, errno)
    });
    let (rc, sent, errno) = r.unwrap_or((SOCKET_ERROR, 0, WsaError::WSAENETDOWN.0 as i32));
    if rc == 0 {
        let _ = ProcessMemory.write_u32(Ptr(lp_number_of_bytes_sent as usize as u64), sent);
    } else {
        write_errno(lp_errno, errno);
    }
    rc
}

/// The C SAN provider's `WPUCompleteOverlappedRequest` (`WSPUPCALLTABLEEX`).
pub(super) extern "C" fn wpu_complete_overlapped_request(
    s: u64,
    lp_overlapped: *mut c_void,
    dw_error: u32,
    cb_transferred: u32,
    lp_errno: *mut c_int,
) -> c_int {
    let rc =
        wsasim_WPUCompleteOverlappedRequest(s, lp_overlapped, dw_error, cb_transferred, lp_errno);
    if rc == 0 {
        if let Some(log) = LOG.get() {
            log.with(|l| l.wpu_completions += 1);
        }
    }
    rc
}

/// The log of the loaded C SAN provider.
static LOG: OnceLock<SanLogHandle> = OnceLock::new();

/// A C SAN provider, as the switch sees it.
#[derive(Debug)]
pub struct CSan {
    send: WspSendFn,
    ioctl: Option<WspIoctlFn>,
    get_overlapped_result: Option<WspGetOverlappedResultFn>,
    max_msg_size: u32,
    register: Option<WspRegisterMemoryFn>,
    deregister: Option<WspDeregisterMemoryFn>,
    poisoned: Vec<Box<[WsaBufC]>>,
    log: SanLogHandle,
}

// SAFETY: as for `CLayer`: plain code pointers and owned, poisoned boxes; used under the
// run's lock only.
unsafe impl Send for CSan {}

impl CSan {
    /// Fetches `WSPRegisterMemory` / `WSPDeregisterMemory` from the provider's
    /// `WSPIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER)`, once, with a socket of its own.
    fn extensions(&mut self, s: SOCKET) {
        if self.register.is_some() && self.deregister.is_some() {
            return;
        }
        let Some(ioctl) = self.ioctl else { return };
        for (id, slot) in [(WSAID_REGISTERMEMORY, 0), (WSAID_DEREGISTERMEMORY, 1)] {
            let mut guid = id;
            let mut out: usize = 0;
            let (mut ret, mut errno) = (0u32, 0 as c_int);
            let mut tid = WsaThreadIdC::default();
            // SAFETY: the provider's lpWSPIoctl with valid pointers to locals (a 16-byte
            // GUID in, a pointer-sized buffer out), no OVERLAPPED, no routine.
            let rc = unsafe {
                ioctl(
                    s,
                    SIO_GET_EXTENSION_FUNCTION_POINTER,
                    guid.as_mut_ptr() as *mut c_void,
                    16,
                    &mut out as *mut usize as *mut c_void,
                    8,
                    &mut ret,
                    std::ptr::null_mut(),
                    None,
                    &mut tid,
                    &mut errno,
                )
            };
            if rc != 0 || out == 0 {
                continue;
            }
            // SAFETY: the provider returned its extension function for that GUID; the
            // prototypes are ws2san.h's LPFN_WSPREGISTERMEMORY / LPFN_WSPDEREGISTERMEMORY.
            unsafe {
                if slot == 0 {
                    self.register = Some(std::mem::transmute::<usize, WspRegisterMemoryFn>(out));
                } else {
                    self.deregister =
                        Some(std::mem::transmute::<usize, WspDeregisterMemoryFn>(out));
                }
            }
        }
    }
}

impl SanService for CSan {
    fn max_msg_size(&self) -> u32 {
        self.max_msg_size
    }

    fn log(&self) -> SanLogHandle {
        self.log.clone()
    }

    fn register_memory(
        &mut self,
        cx: &mut LayerCx<'_>,
        s: SocketRef,
        buf: Ptr,
        len: u32,
        flags: u32,
    ) -> Result<u64, WsaError> {
        let _ = cx;
        self.extensions(s.handle);
        // The switch gets WSAEOPNOTSUPP from a provider without the extension.
        let Some(f) = self.register else {
            return Err(WsaError::WSAEOPNOTSUPP);
        };
        let mut errno: c_int = 0;
        // SAFETY: the provider's WSPRegisterMemory with the application's buffer address
        // (the provider only records it) and a local errno.
        let h = unsafe {
            f(
                s.handle,
                buf.0 as usize as *mut c_void,
                len,
                flags,
                &mut errno,
            )
        };
        if h == 0 {
            return Err(WsaError(errno as u32));
        }
        self.log.with(|l| l.registered += 1);
        Ok(h)
    }

    fn deregister_memory(
        &mut self,
        cx: &mut LayerCx<'_>,
        s: SocketRef,
        handle: u64,
    ) -> Result<(), WsaError> {
        let _ = cx;
        let Some(f) = self.deregister else {
            return Err(WsaError::WSAEOPNOTSUPP);
        };
        let mut errno: c_int = 0;
        // SAFETY: the provider's WSPDeregisterMemory with a handle it returned.
        if unsafe { f(s.handle, handle, &mut errno) } != 0 {
            return Err(WsaError(errno as u32));
        }
        self.log.with(|l| l.deregistered += 1);
        Ok(())
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
        let n = (dw_buffer_count as usize).min(lp_buffers.len());
        let h_event = if lp_overlapped.is_null() {
            0
        } else {
            cx.kernel()
                .mem()
                .read_u64(Ptr(lp_overlapped.0 + ovl::HEVENT))
                .unwrap_or(0)
        };
        self.log.with(|l| {
            l.sends.push(SanSend {
                socket: s.handle,
                bytes: lp_buffers[..n].iter().map(|b| b.len).sum(),
                buffers: n as u32,
                flags: dw_flags,
                overlapped: lp_overlapped,
                h_event,
                routine: lp_completion_routine,
            })
        });
        let poll = h_event & 1 == 1;
        // The switch watches an event-notified request from here ("at start set
        // Internal = WSS_OPERATION_IN_PROGRESS"): completing it without
        // WPUCompleteOverlappedRequest, twice or never is reported.
        if !lp_overlapped.is_null() {
            if poll {
                let _ = cx.kernel().mem_mut().write_u64(
                    Ptr(lp_overlapped.0 + ovl::INTERNAL),
                    WSS_OPERATION_IN_PROGRESS,
                );
            } else if let Err(e) = cx.upcalls().begin_request(
                s.handle,
                lp_overlapped,
                Ptr::NULL,
                lp_thread_id,
                "san send",
            ) {
                *lp_errno = e.0 as i32;
                return SOCKET_ERROR;
            }
        }
        let mut copy: Box<[WsaBufC]> = lp_buffers[..n]
            .iter()
            .map(|b| WsaBufC {
                len: b.len,
                buf: b.buf.0 as usize as *mut c_char,
            })
            .collect();
        let mut tid = WsaThreadIdC {
            thread_handle: lp_thread_id.thread_handle,
            reserved: lp_thread_id.reserved,
        };
        let (mut sent, mut errno): (u32, c_int) = (0, 0);
        let prev = CX.with(|c| c.replace(cx as *mut LayerCx<'_> as *mut c_void));
        // SAFETY: the provider's lpWSPSend (checked non-null at load) with pointers valid
        // for the call: the WSABUF copy and WSATHREADID owned here, locals, and the
        // switch's OVERLAPPED (allocated by the switch, freed after completion).
        let rc = unsafe {
            (self.send)(
                s.handle,
                copy.as_mut_ptr(),
                n as u32,
                &mut sent,
                dw_flags,
                lp_overlapped.0 as usize as *mut c_void,
                None,
                &mut tid,
                &mut errno,
            )
        };
        CX.with(|c| c.set(prev));
        // "The buffer array is transient": poisoned now.
        for b in copy.iter_mut() {
            b.buf = POISON as usize as *mut c_char;
        }
        self.poisoned.push(copy);
        let pending = rc != 0 && errno == WsaError::WSA_IO_PENDING.0 as i32;
        if !pending && !poll && !lp_overlapped.is_null() {
            // Done at once, or not initiated: the switch takes the result from the
            // return value; nothing more is watched.
            cx.upcalls().abandon_request(lp_overlapped);
        }
        if rc == 0 {
            *lp_number_of_bytes_sent = sent;
            return 0;
        }
        *lp_errno = errno;
        SOCKET_ERROR
    }

    fn private_completed(&mut self, cx: &mut LayerCx<'_>, ov: Ptr, error: u32, bytes: u32) {
        let entry = WIRE.lock().ok().and_then(|mut w| w.remove(&ov.0));
        cx.free_private_overlapped(ov);
        let Some((c_ov, routine)) = entry else { return };
        if c_ov != 0 {
            let status = wsasim_core::NtStatus::from_wsa(WsaError(error));
            let a = c_ov as u64;
            let _ = ProcessMemory.write_u64(Ptr(a + ovl::INTERNAL_HIGH), u64::from(bytes));
            let _ = ProcessMemory.write_u64(Ptr(a + ovl::INTERNAL), u64::from(status.0));
        }
        if routine == 0 {
            return;
        }
        // SAFETY: the provider's own completion routine for its wire request, prototype
        // LPWSAOVERLAPPED_COMPLETION_ROUTINE.
        let f = unsafe { std::mem::transmute::<usize, CompletionRoutine>(routine) };
        let prev = CX.with(|c| c.replace(cx as *mut LayerCx<'_> as *mut c_void));
        // SAFETY: the provider's code with its own OVERLAPPED, on whatever thread drives
        // the network now ("in the context of an arbitrary thread").
        unsafe { f(error, bytes, c_ov as *mut c_void, 0) };
        CX.with(|c| c.set(prev));
    }

    fn wsp_get_overlapped_result(
        &mut self,
        cx: &mut LayerCx<'_>,
        s: SOCKET,
        ov: Ptr,
    ) -> Result<u32, WsaError> {
        self.log.with(|l| l.polls += 1);
        let Some(f) = self.get_overlapped_result else {
            return core_spi::wsp_get_overlapped_result(cx.kernel().mem(), ov).map(|(b, _)| b);
        };
        let (mut cb, mut flags, mut errno) = (0u32, 0u32, 0 as c_int);
        // SAFETY: the provider's lpWSPGetOverlappedResult with the switch's OVERLAPPED
        // and locals, fWait FALSE.
        let ok = unsafe {
            f(
                s,
                ov.0 as usize as *mut c_void,
                &mut cb,
                0,
                &mut flags,
                &mut errno,
            )
        };
        if ok != 0 {
            Ok(cb)
        } else {
            Err(WsaError(errno as u32))
        }
    }
}

/// Loads a C SAN provider from the `dlopen`ed `handle`: `WSPStartupEx` (else
/// `WSPStartup`) with the `WSPUPCALLTABLEEX` and `*lpProcTable` holding the wire, then
/// installs it under the Windows Sockets Direct switch.
pub(super) fn load_san(world: &mut World, spec: &str, handle: *mut c_void) -> Result<(), String> {
    let mut upcalls = WspUpcallTableEx { entries: [0; 16] };
    upcalls.entries[UPCALL_QUEUE_APC] = wpu_queue_apc as *const () as usize;
    upcalls.entries[UPCALL_OPEN_CURRENT_THREAD] = wpu_open_current_thread as *const () as usize;
    upcalls.entries[UPCALL_CLOSE_THREAD] = wpu_close_thread as *const () as usize;
    upcalls.entries[UPCALL_EX_COMPLETE_OVERLAPPED_REQUEST] =
        wpu_complete_overlapped_request as *const () as usize;
    let mut table = WspProcTable { entries: [0; 30] };
    table.entries[PROC_SEND] = wire_send as *const () as usize;
    let mut data = WspData {
        w_version: 0,
        w_high_version: 0,
        sz_description: [0; 256],
    };
    let mut info = [0u8; 628];
    // SAFETY: dlsym on a live handle with NUL-terminated names.
    let ex = unsafe { libc::dlsym(handle, c"WSPStartupEx".as_ptr()) };
    let rc = if !ex.is_null() {
        // SAFETY: WSPStartupEx has ws2san.h's prototype (LPWSPSTARTUPEX).
        let f = unsafe { std::mem::transmute::<*mut c_void, WspStartupExFn>(ex) };
        // SAFETY: pointers to locals that outlive the call.
        unsafe {
            f(
                0x0202,
                &mut data,
                info.as_mut_ptr() as *mut c_void,
                &mut upcalls,
                &mut table,
            )
        }
    } else {
        // SAFETY: as above.
        let sym = unsafe { libc::dlsym(handle, c"WSPStartup".as_ptr()) };
        if sym.is_null() {
            return Err(format!(
                "WSASIM_PROVIDER={spec:?}: the shared object exports neither WSPStartupEx nor WSPStartup"
            ));
        }
        // SAFETY: WSPStartup's documented prototype (the first 15 entries of the
        // extended table are the WSPUPCALLTABLE, by value).
        let f = unsafe { std::mem::transmute::<*mut c_void, WspStartupFn>(sym) };
        let mut base = WspUpcallTable { entries: [0; 15] };
        base.entries.copy_from_slice(&upcalls.entries[..15]);
        // SAFETY: pointers to locals that outlive the call.
        unsafe {
            f(
                0x0202,
                &mut data,
                info.as_mut_ptr() as *mut c_void,
                base,
                &mut table,
            )
        }
    };
    if rc != 0 {
        return Err(format!(
            "WSASIM_PROVIDER={spec:?}: WSPStartupEx returned {rc}"
        ));
    }
    let send = table.entries[PROC_SEND];
    if send == 0 || send == wire_send as *const () as usize {
        return Err(format!(
            "WSASIM_PROVIDER={spec:?}: WSPStartupEx left lpWSPSend unset (WSAEINVALIDPROCTABLE)"
        ));
    }
    let opt = |i: usize| (table.entries[i] != 0).then_some(table.entries[i]);
    // SAFETY: non-null entries the provider filled in, with ws2spi.h's prototypes.
    let (send, ioctl, gor, getsockopt) = unsafe {
        (
            std::mem::transmute::<usize, WspSendFn>(send),
            opt(PROC_IOCTL).map(|p| std::mem::transmute::<usize, WspIoctlFn>(p)),
            opt(PROC_GET_OVERLAPPED_RESULT)
                .map(|p| std::mem::transmute::<usize, WspGetOverlappedResultFn>(p)),
            opt(PROC_GET_SOCK_OPT).map(|p| std::mem::transmute::<usize, WspGetSockOptFn>(p)),
        )
    };
    // "The switch does not pass send message requests to the SAN service provider that
    // exceed the size that the SAN service provider returns in WSPGetSockOpt calls for
    // the value of the SO_MAX_MSG_SIZE socket option": asked once, here, with
    // INVALID_SOCKET (the model asks before any socket exists).
    let mut max_msg_size = SAN_MAX_MSG_SIZE_DEFAULT;
    if let Some(f) = getsockopt {
        let (mut v, mut len, mut errno) = (0u32, 4 as c_int, 0 as c_int);
        // SAFETY: the provider's lpWSPGetSockOpt with locals.
        let rc = unsafe {
            f(
                u64::MAX,
                SOL_SOCKET as c_int,
                SO_MAX_MSG_SIZE as c_int,
                &mut v as *mut u32 as *mut c_char,
                &mut len,
                &mut errno,
            )
        };
        if rc == 0 && v > 0 {
            max_msg_size = v;
        }
    }
    let log = SanLogHandle::default();
    let _ = LOG.set(log.clone());
    let (p, _) = world.install_san_service(
        Box::new(CSan {
            send,
            ioctl,
            get_overlapped_result: gor,
            max_msg_size,
            register: None,
            deregister: None,
            poisoned: Vec::new(),
            log,
        }),
        false,
    );
    let _ = ME.set(p);
    Ok(())
}
