//! Conformance of the service provider interface: `WSPSend` (`seeds/002`, the SAN
//! provider's page) and `LPWSPSEND` (`seeds/003`), the upcalls, layered providers and the
//! switch's contract checks. Each test names the sentence it shows.

use std::sync::{Arc, Mutex};
use wsasim_core::consts::*;
use wsasim_core::harness::Harness;
use wsasim_core::memory::{overlapped_layout as ovl, UserMemoryExt};
use wsasim_core::provider::layered::{
    Completion, Layer, LayerCx, LayerScope, NonIfsLayer, PassThroughLayer,
};
use wsasim_core::provider::spi::{self, rules, WSS_OPERATION_IN_PROGRESS};
use wsasim_core::provider::{SocketRef, WsaThreadId};
use wsasim_core::{Profile, Ptr, ThreadId, WsaBuf, WsaError};
use wsasim_tests::*;

const PENDING: i64 = SOCKET_ERROR as i64;

/// A started world with `layer` installed for new sockets, and a TCP pair whose client
/// has `SO_SNDBUF = 0` and whose server window is 1024 bytes (the pending recipe,
/// wine-facts O1).
fn layered_pair(layer: Option<Box<dyn Layer>>) -> (Harness, ThreadId, u64, u64) {
    let (mut h, t) = started(Profile::Windows, 7);
    if let Some(l) = layer {
        h.install_layered_provider(l, LayerScope::NewSockets);
    }
    let (c, s) = tcp_pair(&mut h, t, Some(1024));
    set_int_opt(&mut h, t, c, SOL_SOCKET, SO_SNDBUF, 0);
    (h, t, c, s)
}

/// What a test routine saw: (dwError, cbTransferred, lpOverlapped, dwFlags).
type Seen = Arc<Mutex<Vec<(u32, u32, u64, u32)>>>;

fn recording_routine(h: &mut Harness) -> (Ptr, Seen) {
    let seen: Seen = Arc::default();
    let s2 = seen.clone();
    let r = h.routine(move |_h, _t, e, n, ov, f| s2.lock().unwrap().push((e, n, ov.0, f)));
    (r, seen)
}

/// Issues an overlapped `WSASend` of `len` bytes of `fill` on `c`.
fn send_ov(h: &mut Harness, t: ThreadId, c: u64, len: usize, ov: Ptr, routine: Ptr) -> i64 {
    let data = bytes(h, &vec![0x5A; len]);
    let arr = wsabufs(h, &[(data, len as u32)]);
    let call = h.wsa_send(t, c, arr, 1, Ptr::NULL, 0, ov, routine);
    h.done(t, call)
}

fn reports(h: &Harness) -> Vec<&'static str> {
    h.contract_reports().iter().map(|r| r.rule).collect()
}

// ----- 1. WSPSend semantics, WSATHREADID, upcalls, WSPGetOverlappedResult -------------

#[test]
fn wsathreadid_is_a_sixteen_byte_value_naming_the_calling_thread() {
    let (h, t) = started(Profile::Windows, 1);
    let id = h.thread_id_of(t);
    assert_eq!(WsaThreadId::SIZE, 16);
    assert_eq!(id.thread(), t);
    assert_eq!(id.thread_handle, h.thread_handle(t));
    assert_eq!(WsaThreadId::from_bytes(id.to_bytes()), id);
}

#[test]
fn wspsend_immediate_returns_zero_and_writes_bytes_sent() {
    // "If no error occurs and the send operation has completed immediately, LPWSPSend
    // returns zero." (LPWSPSEND, Return value)
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, _s) = tcp_pair(&mut h, t, None);
    let data = bytes(&mut h, &[1; 100]);
    let (mut sent, mut errno) = (0, 0);
    let rc = h.spi_send(
        t,
        c,
        &[WsaBuf {
            len: 100,
            buf: data,
        }],
        &mut sent,
        0,
        Ptr::NULL,
        Ptr::NULL,
        &mut errno,
    );
    assert_eq!((rc, sent, errno), (0, 100, 0));
}

#[test]
fn wspsend_pending_returns_socket_error_with_io_pending_in_errno_and_leaves_bytes_sent() {
    // "If the overlapped operation is successfully initiated and will complete later,
    // LPWSPSend returns SOCKET_ERROR and indicates error code WSA_IO_PENDING. In this
    // case, lpNumberOfBytesSent is not updated." (LPWSPSEND)
    let (mut h, t, c, _s) = layered_pair(None);
    let ev = h.wsa_create_event(t);
    let ov = overlapped(&mut h, ev);
    let data = bytes(&mut h, &[1; 4096]);
    let (mut sent, mut errno) = (0xDEAD, 0);
    let rc = h.spi_send(
        t,
        c,
        &[WsaBuf {
            len: 4096,
            buf: data,
        }],
        &mut sent,
        0,
        ov,
        Ptr::NULL,
        &mut errno,
    );
    assert_eq!(rc, SOCKET_ERROR);
    assert_eq!(errno, WsaError::WSA_IO_PENDING.0 as i32);
    assert_eq!(sent, 0xDEAD);
    assert_eq!(read_u64(&h, ov), WSS_OPERATION_IN_PROGRESS);
}

#[test]
fn wspsend_error_is_reported_through_errno() {
    // "Otherwise, a value of SOCKET_ERROR is returned, and a specific error code is
    // available in lpErrno." WSAESHUTDOWN: "Socket has been shut down".
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, _s) = tcp_pair(&mut h, t, None);
    assert_eq!(h.shutdown(t, c, SD_SEND), 0);
    let data = bytes(&mut h, &[1; 10]);
    let (mut sent, mut errno) = (0, 0);
    let rc = h.spi_send(
        t,
        c,
        &[WsaBuf { len: 10, buf: data }],
        &mut sent,
        0,
        Ptr::NULL,
        Ptr::NULL,
        &mut errno,
    );
    assert_eq!((rc, errno), (SOCKET_ERROR, WsaError::WSAESHUTDOWN.0 as i32));
}

#[test]
fn wpuqueueapc_with_a_thread_id_naming_no_thread_fails_with_wsaefault() {
    // WPUQueueApc: 0 or SOCKET_ERROR (WSAEFAULT: invalid thread).
    let (mut h, t) = started(Profile::Windows, 1);
    let f = h.apc_fn(|_, _, _| {});
    let bogus = WsaThreadId {
        thread_handle: 0x1234,
        reserved: u64::from(t.0),
    };
    let mut errno = 0;
    assert_eq!(
        h.upcalls().wpu_queue_apc(&bogus, f, 9, &mut errno),
        SOCKET_ERROR
    );
    assert_eq!(errno, WsaError::WSAEFAULT.0 as i32);
}

#[test]
fn wpuqueueapc_runs_the_provider_function_with_its_context_in_an_alertable_wait() {
    // "The WPUQueueApc function takes as input parameters a pointer to a WSATHREADID
    // structure ..., a pointer to an APC function to be invoked, and a context value
    // that is subsequently passed to the APC function."
    let (mut h, t) = started(Profile::Windows, 1);
    let got = Arc::new(Mutex::new(Vec::new()));
    let g2 = got.clone();
    let f = h.apc_fn(move |_, _, ctx| g2.lock().unwrap().push(ctx));
    let id = h.thread_id_of(t);
    let mut errno = 0;
    assert_eq!(h.upcalls().wpu_queue_apc(&id, f, 0xC0FFEE, &mut errno), 0);
    assert!(
        got.lock().unwrap().is_empty(),
        "not before an alertable wait"
    );
    let call = h.sleep_ex(t, 0, 1);
    assert_eq!(h.done(t, call), i64::from(WAIT_IO_COMPLETION));
    assert_eq!(*got.lock().unwrap(), vec![0xC0FFEE]);
}

#[test]
fn wpucreatesockethandle_and_wpuclosesockethandle_make_and_retire_a_socket_handle() {
    let (mut h, _t) = started(Profile::Windows, 1);
    let mut errno = 0;
    let s = h.upcalls().wpu_create_socket_handle(77, true, &mut errno);
    assert!(h.is_socket(s));
    assert_eq!(h.upcalls().wpu_close_socket_handle(s, &mut errno), 0);
    assert!(!h.is_socket(s));
    assert_eq!(
        h.upcalls().wpu_close_socket_handle(s, &mut errno),
        SOCKET_ERROR
    );
    assert_eq!(errno, WsaError::WSAENOTSOCK.0 as i32);
}

#[test]
fn wpuopencurrentthread_gives_the_thread_id_the_switch_would_pass() {
    let (mut h, t) = started(Profile::Windows, 1);
    let mut id = WsaThreadId::default();
    let mut errno = 0;
    assert_eq!(
        h.upcalls().wpu_open_current_thread(t, &mut id, &mut errno),
        0
    );
    assert_eq!(id, h.thread_id_of(t));
    assert_eq!(h.upcalls().wpu_close_thread(&id, &mut errno), 0);
}

#[test]
fn wspgetoverlappedresult_reads_internalhigh_offsethigh_offset_once_internal_is_not_0x103() {
    // LPWSPGETOVERLAPPEDRESULT: Internal = WSS_OPERATION_IN_PROGRESS while pending
    // (WSA_IO_INCOMPLETE); then (InternalHigh, OffsetHigh, Offset) = (bytes, error,
    // flags).
    let (mut h, _t) = started(Profile::Windows, 1);
    let ov = overlapped(&mut h, 0);
    h.mem_mut()
        .write_u64(ov, WSS_OPERATION_IN_PROGRESS)
        .unwrap();
    assert_eq!(
        spi::wsp_get_overlapped_result(h.mem(), ov),
        Err(WsaError::WSA_IO_INCOMPLETE)
    );
    h.mem_mut()
        .write_u64(Ptr(ov.0 + ovl::INTERNAL_HIGH), 42)
        .unwrap();
    spi::set_overlapped_result(h.mem_mut(), ov, 0, 3).unwrap();
    h.mem_mut().write_u64(ov, 0).unwrap();
    assert_eq!(spi::wsp_get_overlapped_result(h.mem(), ov), Ok((42, 3)));
    spi::set_overlapped_result(h.mem_mut(), ov, WsaError::WSAECONNRESET.0, 0).unwrap();
    assert_eq!(
        spi::wsp_get_overlapped_result(h.mem(), ov),
        Err(WsaError::WSAECONNRESET)
    );
}

// ----- 2. Layered providers ------------------------------------------------------------

/// A pass-through layer that shares what it saw with the test.
#[derive(Debug, Default)]
struct Spy(Arc<Mutex<Vec<(u64, u64, WsaThreadId)>>>);

impl Layer for Spy {
    fn name(&self) -> &'static str {
        "spy"
    }
    fn wsp_send(
        &mut self,
        cx: &mut LayerCx<'_>,
        s: SocketRef,
        b: &[WsaBuf],
        n: u32,
        sent: &mut u32,
        f: u32,
        ov: Ptr,
        r: Ptr,
        tid: &WsaThreadId,
        e: &mut i32,
    ) -> i32 {
        self.0.lock().unwrap().push((ov.0, r.0, *tid));
        cx.lower_wsp_send(s, b, n, sent, f, ov, r, tid, e)
    }
}

#[test]
fn pass_through_layer_forwards_the_same_overlapped_routine_and_thread_id() {
    // IFS LSP: "passes all arguments (same lpOverlapped, lpCompletionRoutine,
    // lpThreadId) straight to NextProcTable.lpWSPSend".
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (mut h, t, c, s) = layered_pair(Some(Box::new(Spy(seen.clone()))));
    let (r, got) = recording_routine(&mut h);
    let ov = overlapped(&mut h, 0);
    assert_eq!(send_ov(&mut h, t, c, 100, ov, r), 0);
    assert_eq!(*seen.lock().unwrap(), vec![(ov.0, r.0, h.thread_id_of(t))]);
    let call = h.sleep_ex(t, 0, 1);
    assert_eq!(h.done(t, call), i64::from(WAIT_IO_COMPLETION));
    assert_eq!(*got.lock().unwrap(), vec![(0, 100, ov.0, 0)]);
    assert_eq!(drain(&mut h, t, s), vec![0x5A; 100]);
    assert!(h.contract_reports().is_empty());
}

#[test]
fn pass_through_layer_applies_only_to_its_protocol() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (mut h, t) = started(Profile::Windows, 1);
    h.install_layered_provider(
        Box::new(Spy(seen.clone())),
        LayerScope::Protocol {
            af: AF_INET,
            ty: SOCK_DGRAM,
            protocol: 0,
        },
    );
    let (c, _s) = tcp_pair(&mut h, t, None);
    let ov = overlapped(&mut h, 0);
    assert_eq!(send_ov(&mut h, t, c, 10, ov, Ptr::NULL), 0);
    assert!(seen.lock().unwrap().is_empty(), "TCP is not in the scope");
}

#[test]
fn library_pass_through_layer_keeps_stream_bytes_in_order() {
    let (mut h, t, c, s) = layered_pair(Some(Box::<PassThroughLayer>::default()));
    let ov1 = overlapped(&mut h, 0);
    let ov2 = overlapped(&mut h, 0);
    let a = bytes(&mut h, b"first ");
    let b = bytes(&mut h, b"second");
    let arr = wsabufs(&mut h, &[(a, 6), (b, 6)]);
    let call = h.wsa_send(t, c, arr, 2, Ptr::NULL, 0, ov1, Ptr::NULL);
    assert_eq!(h.done(t, call), 0);
    let arr2 = wsabufs(&mut h, &[(b, 6)]);
    let call = h.wsa_send(t, c, arr2, 1, Ptr::NULL, 0, ov2, Ptr::NULL);
    assert_eq!(h.done(t, call), 0);
    // "the service provider guarantees to the client that posted buffers are sent in the
    // same order they are supplied."
    assert_eq!(drain(&mut h, t, s), b"first secondsecond".to_vec());
}

#[test]
fn non_ifs_layer_pending_routine_request_completes_by_its_own_apc_like_the_base_provider() {
    // "Because only a single context value is available, the APC function itself cannot
    // be the client specified-completion routine. The service provider must instead
    // supply a pointer to its own APC function that uses the supplied context value to
    // access the needed result information for the overlapped operation, and then
    // invokes the client specified-completion routine."
    let run = |layered: bool| {
        let layer: Option<Box<dyn Layer>> =
            layered.then(|| Box::new(NonIfsLayer::new(Completion::Apc)) as Box<dyn Layer>);
        let (mut h, t, c, s) = layered_pair(layer);
        let (r, got) = recording_routine(&mut h);
        let ov = overlapped(&mut h, 0xAB0); // hEvent is free for context with a routine
        assert_eq!(send_ov(&mut h, t, c, 4096, ov, r), PENDING);
        assert_eq!(h.last_error(t), WsaError::WSA_IO_PENDING.0);
        assert_eq!(read_u64(&h, ov), WSS_OPERATION_IN_PROGRESS);
        let mut got_data = Vec::new();
        while got_data.len() < 4096 {
            h.settle();
            got_data.extend(drain(&mut h, t, s));
            let call = h.sleep_ex(t, 1, 0);
            h.done(t, call);
        }
        assert_eq!(got_data, vec![0x5A; 4096]);
        assert!(
            got.lock().unwrap().is_empty(),
            "a non-alertable wait runs nothing"
        );
        let call = h.sleep_ex(t, 0, 1);
        assert_eq!(h.done(t, call), i64::from(WAIT_IO_COMPLETION));
        let seen = got.lock().unwrap().clone();
        assert_eq!(read_u64(&h, Ptr(ov.0 + ovl::INTERNAL_HIGH)), 4096);
        assert_eq!(read_u64(&h, ov), 0);
        (seen, h.contract_reports().len())
    };
    let (base, _) = run(false);
    let (layered, breaches) = run(true);
    assert_eq!(base.len(), 1);
    assert_eq!(base[0].0, 0);
    assert_eq!(base[0].1, 4096);
    assert_eq!(base[0].3, 0);
    assert_eq!(layered.len(), 1);
    assert_eq!((layered[0].0, layered[0].1, layered[0].3), (0, 4096, 0));
    assert_eq!(breaches, 0);
}

#[test]
fn non_ifs_layer_immediate_routine_request_returns_zero_with_the_routine_already_queued() {
    // "Note that in this case the completion routine, if specified, will have already
    // been queued." (LPWSPSEND, Return value)
    let (mut h, t, c, _s) = layered_pair(Some(Box::new(NonIfsLayer::new(Completion::Apc))));
    let (r, got) = recording_routine(&mut h);
    let ov = overlapped(&mut h, 0);
    assert_eq!(send_ov(&mut h, t, c, 100, ov, r), 0);
    assert!(got.lock().unwrap().is_empty());
    let call = h.sleep_ex(t, 0, 1);
    assert_eq!(h.done(t, call), i64::from(WAIT_IO_COMPLETION));
    assert_eq!(*got.lock().unwrap(), vec![(0, 100, ov.0, 0)]);
    assert!(h.contract_reports().is_empty(), "{:?}", reports(&h));
}

#[test]
fn non_ifs_layer_event_request_completes_by_wpucompleteoverlappedrequest() {
    // "If the lpCompletionRoutine parameter is null, the service provider signals the
    // hEvent member of lpOverlapped when the overlapped operation completes";
    // WPUCompleteOverlappedRequest sets InternalHigh, then Internal.
    let (mut h, t, c, s) = layered_pair(Some(Box::new(NonIfsLayer::new(
        Completion::CompleteOverlappedRequest,
    ))));
    let ev = h.wsa_create_event(t);
    let ov = overlapped(&mut h, ev);
    assert_eq!(send_ov(&mut h, t, c, 4096, ov, Ptr::NULL), PENDING);
    assert_eq!(h.last_error(t), WsaError::WSA_IO_PENDING.0);
    let mut got = 0;
    while got < 4096 {
        got += drain(&mut h, t, s).len();
        h.settle();
        let call = h.sleep_ex(t, 1, 0);
        h.done(t, call);
    }
    let evs = h.sim().alloc_bytes(&ev.to_le_bytes());
    let call = h.wsa_wait_for_multiple_events(t, 1, evs, 1, 0, 0);
    assert_eq!(h.done(t, call), 0, "the event is signalled");
    let n = dword(&mut h, 0);
    let fl = dword(&mut h, 0);
    let call = h.wsa_get_overlapped_result(t, c, ov, n, 0, fl);
    assert_eq!(h.done(t, call), 1);
    assert_eq!(read_u32(&h, n), 4096);
    assert_eq!(spi::wsp_get_overlapped_result(h.mem(), ov), Ok((4096, 0)));
    assert!(h.contract_reports().is_empty(), "{:?}", reports(&h));
}

#[test]
fn non_ifs_layer_routine_may_send_again_and_routines_for_a_socket_never_nest() {
    // "Providers must allow this function to be called from within the completion
    // routine of a previous LPWSPRecv, LPWSPRecvFrom, LPWSPSend or LPWSPSendTo function.
    // However, for a given socket, I/O completion routines cannot be nested."
    let (mut h, t, c, _s) = layered_pair(Some(Box::new(NonIfsLayer::new(Completion::Apc))));
    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    let data = bytes(&mut h, &[1; 10]);
    let arr = wsabufs(&mut h, &[(data, 10)]);
    let ov2 = overlapped(&mut h, 0);
    let l2 = log.clone();
    let inner =
        h.routine(move |_h, _t, e, n, _ov, _f| l2.lock().unwrap().push(format!("inner {e} {n}")));
    let l1 = log.clone();
    let outer = h.routine(move |h, t, e, n, _ov, _f| {
        l1.lock().unwrap().push(format!("outer {e} {n} start"));
        let call = h.wsa_send(t, c, arr, 1, Ptr::NULL, 0, ov2, inner);
        assert_eq!(
            h.done(t, call),
            0,
            "a send from inside a completion routine"
        );
        // An alertable wait inside the routine does not run the socket's next routine.
        let call = h.sleep_ex(t, 0, 1);
        assert_eq!(h.done(t, call), 0);
        l1.lock().unwrap().push("outer end".into());
    });
    let ov = overlapped(&mut h, 0);
    assert_eq!(send_ov(&mut h, t, c, 10, ov, outer), 0);
    let call = h.sleep_ex(t, 0, 1);
    assert_eq!(h.done(t, call), i64::from(WAIT_IO_COMPLETION));
    assert_eq!(
        *log.lock().unwrap(),
        vec!["outer 0 10 start", "outer end", "inner 0 10"]
    );
    assert!(h.contract_reports().is_empty(), "{:?}", reports(&h));
}

#[test]
fn non_ifs_layer_error_from_the_lower_provider_leaves_no_completion() {
    // "Any other error code indicates that no overlapped operation was initiated and no
    // completion indication will occur."
    let (mut h, t, c, _s) = layered_pair(Some(Box::new(NonIfsLayer::new(Completion::Apc))));
    assert_eq!(h.shutdown(t, c, SD_SEND), 0);
    let (r, got) = recording_routine(&mut h);
    let ov = overlapped(&mut h, 0);
    assert_eq!(send_ov(&mut h, t, c, 10, ov, r), PENDING);
    assert_eq!(h.last_error(t), WsaError::WSAESHUTDOWN.0);
    let call = h.sleep_ex(t, 0, 1);
    assert_eq!(h.done(t, call), 0);
    assert!(got.lock().unwrap().is_empty());
    assert_eq!(h.pending_ops(), 0);
}

// ----- 3. Checking providers -----------------------------------------------------------

/// A broken layer: what it does wrong is chosen by the test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Breach {
    /// Sets the caller's event itself (WPUSetEvent) instead of
    /// WPUCompleteOverlappedRequest.
    SetsEvent,
    /// Writes Internal itself.
    WritesInternal,
    /// Calls the client's routine from WSPSend.
    CallsRoutineDirectly,
    /// Completes with WPUCompleteOverlappedRequest twice.
    CompletesTwice,
    /// Returns WSA_IO_PENDING and never completes.
    NeverCompletes,
    /// A SAN provider answering WSAEWOULDBLOCK.
    SanWouldBlock,
}

#[derive(Debug)]
struct Broken(Breach);

impl Layer for Broken {
    fn name(&self) -> &'static str {
        "broken"
    }
    fn is_san(&self) -> bool {
        self.0 == Breach::SanWouldBlock
    }
    fn wsp_send(
        &mut self,
        cx: &mut LayerCx<'_>,
        s: SocketRef,
        b: &[WsaBuf],
        _n: u32,
        _sent: &mut u32,
        _f: u32,
        ov: Ptr,
        r: Ptr,
        tid: &WsaThreadId,
        e: &mut i32,
    ) -> i32 {
        if self.0 == Breach::SanWouldBlock {
            *e = WsaError::WSAEWOULDBLOCK.0 as i32;
            return SOCKET_ERROR;
        }
        let total: u32 = b.iter().map(|x| x.len).sum();
        cx.upcalls()
            .begin_request(s.handle, ov, r, tid, "send")
            .expect("a valid OVERLAPPED");
        let mut errno = 0;
        match self.0 {
            Breach::SetsEvent => {
                let ev = cx.kernel().mem().read_u64(Ptr(ov.0 + ovl::HEVENT)).unwrap();
                cx.upcalls().wpu_set_event(ev, &mut errno);
            }
            Breach::WritesInternal => {
                cx.kernel().mem_mut().write_u64(ov, 0).unwrap();
            }
            Breach::CallsRoutineDirectly => {
                cx.upcalls().call_client_routine(r, 0, total, ov, 0);
            }
            Breach::CompletesTwice => {
                assert_eq!(
                    cx.upcalls()
                        .wpu_complete_overlapped_request(s.handle, ov, 0, total, &mut errno),
                    0
                );
                assert_eq!(
                    cx.upcalls()
                        .wpu_complete_overlapped_request(s.handle, ov, 0, total, &mut errno),
                    SOCKET_ERROR
                );
            }
            Breach::NeverCompletes | Breach::SanWouldBlock => {}
        }
        *e = WsaError::WSA_IO_PENDING.0 as i32;
        SOCKET_ERROR
    }
}

fn broken_world(b: Breach) -> (Harness, ThreadId, u64) {
    let (mut h, t) = started(Profile::Windows, 3);
    h.install_layered_provider(Box::new(Broken(b)), LayerScope::NewSockets);
    if b == Breach::SanWouldBlock {
        // The switch above the SAN provider: a pass-through layer calling it.
        h.install_layered_provider(Box::<PassThroughLayer>::default(), LayerScope::NewSockets);
    }
    let (c, _s) = tcp_pair(&mut h, t, None);
    (h, t, c)
}

#[test]
fn provider_setting_the_event_itself_is_reported_as_completing_without_wpucompleteoverlappedrequest(
) {
    let (mut h, t, c) = broken_world(Breach::SetsEvent);
    let ev = h.wsa_create_event(t);
    let ov = overlapped(&mut h, ev);
    assert_eq!(send_ov(&mut h, t, c, 10, ov, Ptr::NULL), PENDING);
    assert_eq!(reports(&h), vec![rules::COMPLETED_WITHOUT_WPU]);
}

#[test]
fn provider_writing_internal_itself_is_reported_as_completing_without_wpucompleteoverlappedrequest()
{
    let (mut h, t, c) = broken_world(Breach::WritesInternal);
    let ev = h.wsa_create_event(t);
    let ov = overlapped(&mut h, ev);
    assert_eq!(send_ov(&mut h, t, c, 10, ov, Ptr::NULL), PENDING);
    assert_eq!(reports(&h), vec![rules::COMPLETED_WITHOUT_WPU]);
}

#[test]
fn provider_calling_the_routine_directly_is_reported_and_the_routine_still_runs_once() {
    let (mut h, t, c) = broken_world(Breach::CallsRoutineDirectly);
    let (r, got) = recording_routine(&mut h);
    let ov = overlapped(&mut h, 0);
    assert_eq!(send_ov(&mut h, t, c, 10, ov, r), PENDING);
    assert_eq!(reports(&h), vec![rules::ROUTINE_CALLED_DIRECTLY]);
    let call = h.sleep_ex(t, 0, 1);
    assert_eq!(h.done(t, call), i64::from(WAIT_IO_COMPLETION));
    assert_eq!(*got.lock().unwrap(), vec![(0, 10, ov.0, 0)]);
}

#[test]
fn provider_completing_twice_is_reported_and_the_second_completion_fails_wsaeinval() {
    let (mut h, t, c) = broken_world(Breach::CompletesTwice);
    let ev = h.wsa_create_event(t);
    let ov = overlapped(&mut h, ev);
    assert_eq!(send_ov(&mut h, t, c, 10, ov, Ptr::NULL), PENDING);
    assert_eq!(reports(&h), vec![rules::COMPLETED_TWICE]);
}

#[test]
fn provider_never_completing_is_reported_when_the_run_ends() {
    let (mut h, t, c) = broken_world(Breach::NeverCompletes);
    let ev = h.wsa_create_event(t);
    let ov = overlapped(&mut h, ev);
    assert_eq!(send_ov(&mut h, t, c, 10, ov, Ptr::NULL), PENDING);
    assert!(h.contract_reports().is_empty());
    let evs = h.sim().alloc_bytes(&ev.to_le_bytes());
    let call = h.wsa_wait_for_multiple_events(t, 1, evs, 1, INFINITE, 0);
    assert!(
        h.run(t, call).is_err(),
        "nothing will ever signal the event"
    );
    assert_eq!(reports(&h), vec![rules::NEVER_COMPLETED]);
}

#[test]
fn san_provider_returning_wsaewouldblock_is_reported_with_the_seeds_list() {
    // "Note that a SAN service provider does not support the following error codes for
    // WSPSend: ... WSAEWOULDBLOCK: The Windows Sockets switch uses overlapped sockets."
    let (mut h, t, c) = broken_world(Breach::SanWouldBlock);
    let ev = h.wsa_create_event(t);
    let ov = overlapped(&mut h, ev);
    assert_eq!(send_ov(&mut h, t, c, 10, ov, Ptr::NULL), PENDING);
    assert_eq!(reports(&h), vec![rules::SAN_FORBIDDEN_CODE]);
    assert_eq!(
        spi::SAN_FORBIDDEN.map(|e| e.name().unwrap()),
        [
            "WSAEACCES",
            "WSAEINPROGRESS",
            "WSAENETRESET",
            "WSAEOPNOTSUPP",
            "WSAEWOULDBLOCK",
            "WSAEMSGSIZE"
        ]
    );
}

#[test]
fn well_behaved_layers_get_no_contract_reports() {
    for layer in [
        Box::new(NonIfsLayer::new(Completion::Apc)) as Box<dyn Layer>,
        Box::new(NonIfsLayer::new(Completion::CompleteOverlappedRequest)),
        Box::<PassThroughLayer>::default(),
    ] {
        let (mut h, t, c, s) = layered_pair(Some(layer));
        let (r, got) = recording_routine(&mut h);
        let ov = overlapped(&mut h, 0);
        assert_eq!(send_ov(&mut h, t, c, 100, ov, r), 0);
        let ev = h.wsa_create_event(t);
        let ov2 = overlapped(&mut h, ev);
        assert_eq!(send_ov(&mut h, t, c, 100, ov2, Ptr::NULL), 0);
        let call = h.sleep_ex(t, 0, 1);
        assert_eq!(h.done(t, call), i64::from(WAIT_IO_COMPLETION));
        assert_eq!(got.lock().unwrap().len(), 1);
        assert_eq!(drain(&mut h, t, s).len(), 200);
        let evs = h.sim().alloc_bytes(&ev.to_le_bytes());
        let call = h.wsa_wait_for_multiple_events(t, 1, evs, 1, INFINITE, 0);
        assert_eq!(h.done(t, call), 0);
        let call = h.sleep_ex(t, INFINITE, 0);
        let _ = h.run(t, call);
        assert!(h.contract_reports().is_empty(), "{:?}", reports(&h));
    }
}

// ----- 4. The SAN provider under the Windows Sockets Direct switch (seeds/002) --------

use wsasim_core::net::{HostId, IpAddr as NetIp, Link};
use wsasim_core::provider::san::{SanLogHandle, SanProvider, MEM_READ};

/// Host 0 (10.0.0.1) and host b (10.0.0.2) joined by a link, a SAN link when `san`; the
/// switch installed over a SAN provider with `SO_MAX_MSG_SIZE = max`; a connection from
/// host 0 (`c`, thread `t`) to b (`s`, thread `tb`) whose server window is 1024 bytes
/// and whose client has `SO_SNDBUF = 0` (so larger sends pend).
struct San {
    h: Harness,
    t: ThreadId,
    tb: ThreadId,
    c: u64,
    s: u64,
    log: SanLogHandle,
}

fn san_pair(san: bool, max: u32, always_poll: bool) -> San {
    let (mut h, t) = started(Profile::Windows, 11);
    let ip = |s: &str| NetIp::parse(s).expect("a valid address");
    let net = h.network_mut();
    net.add_address(HostId(0), ip("10.0.0.1"), 24);
    let b = net.add_host("b", &[ip("10.0.0.2")]);
    net.link(HostId(0), b, Link::default());
    net.set_san_link(HostId(0), b, san);
    let tb = h.create_thread();
    h.set_thread_host(tb, b);
    let log = h.install_san_switch(SanProvider::new(max), always_poll);
    let l = h.socket(tb, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    set_int_opt(&mut h, tb, l, SOL_SOCKET, SO_RCVBUF, 1024);
    let (a, n) = sockaddr(&mut h, "0.0.0.0:27015");
    assert_eq!(h.bind(tb, l, a, n), 0);
    assert_eq!(h.listen(tb, l, 5), 0);
    let c = h.socket(t, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    let (a, n) = sockaddr(&mut h, "10.0.0.2:27015");
    let call = h.connect(t, c, a, n);
    assert_eq!(h.done(t, call), 0, "connect: {}", h.last_error(t));
    let call = h.accept(tb, l, Ptr::NULL, Ptr::NULL);
    let s = h.done(tb, call) as u64;
    assert_ne!(s, INVALID_SOCKET);
    set_int_opt(&mut h, t, c, SOL_SOCKET, SO_SNDBUF, 0);
    San {
        h,
        t,
        tb,
        c,
        s,
        log,
    }
}

/// Waits (alertably) for `ev` on `t`.
fn wait_event(h: &mut Harness, t: ThreadId, ev: u64) -> i64 {
    let evs = h.sim().alloc_bytes(&ev.to_le_bytes());
    let call = h.wsa_wait_for_multiple_events(t, 1, evs, 1, INFINITE, 0);
    h.done(t, call)
}

/// Reads everything the peer has sent so far and what arrives while `t` sleeps.
fn drain_after(h: &mut Harness, t: ThreadId, tb: ThreadId, s: u64, want: usize) -> Vec<u8> {
    let mut got = Vec::new();
    for _ in 0..64 {
        got.extend(drain(h, tb, s));
        if got.len() >= want {
            break;
        }
        let call = h.sleep_ex(t, 1, 1);
        let _ = h.done(t, call);
    }
    got
}

#[test]
fn san_link_connection_uses_the_san_provider_and_tcp_ip_otherwise() {
    // "Sockets between hosts joined by a SAN link use it" (issue 6); the switch "chooses
    // per connection SAN vs TCP/IP" (windows-semantics §8, WDD architecture).
    for san in [true, false] {
        let mut x = san_pair(san, 65536, false);
        let data = bytes(&mut x.h, b"hello over the san");
        let arr = wsabufs(&mut x.h, &[(data, 18)]);
        let sent = dword(&mut x.h, 0);
        let call =
            x.h.wsa_send(x.t, x.c, arr, 1, sent, 0, Ptr::NULL, Ptr::NULL);
        assert_eq!(x.h.done(x.t, call), 0);
        assert_eq!(read_u32(&x.h, sent), 18);
        assert_eq!(
            drain_after(&mut x.h, x.t, x.tb, x.s, 18),
            b"hello over the san".to_vec()
        );
        let log = x.log.get();
        assert_eq!(log.sends.len(), usize::from(san), "san link: {san}");
        assert_eq!(log.tcp_sends, u64::from(!san));
        assert!(x.h.contract_reports().is_empty(), "{:?}", reports(&x.h));
    }
}

#[test]
fn switch_registers_each_buffer_before_the_san_wspsend_and_releases_it_after() {
    // "Each WSABUF structure describes a buffer. The switch registered each buffer in a
    // previous call to the WSPRegisterMemory function." (WSPSend, lpBuffers)
    let mut x = san_pair(true, 65536, false);
    let a = bytes(&mut x.h, &[1; 10]);
    let b = bytes(&mut x.h, &[2; 20]);
    let arr = wsabufs(&mut x.h, &[(a, 10), (b, 20)]);
    let sent = dword(&mut x.h, 0);
    let call =
        x.h.wsa_send(x.t, x.c, arr, 2, sent, 0, Ptr::NULL, Ptr::NULL);
    assert_eq!(x.h.done(x.t, call), 0);
    let log = x.log.get();
    assert_eq!(log.registered, 2);
    assert_eq!(log.sends.len(), 1);
    assert_eq!((log.sends[0].buffers, log.sends[0].bytes), (2, 30));
    assert_eq!(log.deregistered, 2);
    let mut want = vec![1u8; 10];
    want.extend([2u8; 20]);
    assert_eq!(drain_after(&mut x.h, x.t, x.tb, x.s, 30), want);
}

#[test]
fn san_wspsend_from_unregistered_memory_is_wsaefault() {
    // "The switch registered each buffer in a previous call to the WSPRegisterMemory
    // function"; a buffer outside registered memory is "not totally contained in a
    // valid part of the user address space" (WSAEFAULT).
    let mut x = san_pair(true, 65536, false);
    let data = bytes(&mut x.h, &[7; 64]);
    let ov = overlapped(&mut x.h, 0);
    let ev = x.h.wsa_create_event(x.t);
    x.h.mem_mut()
        .write_u64(Ptr(ov.0 + ovl::HEVENT), ev)
        .unwrap();
    let (mut sent, mut errno) = (0, 0);
    let buf = [WsaBuf { len: 64, buf: data }];
    let rc =
        x.h.san_wsp_send(x.t, x.c, &buf, &mut sent, 0, ov, Ptr::NULL, &mut errno);
    assert_eq!((rc, errno), (SOCKET_ERROR, WsaError::WSAEFAULT.0 as i32));
    // Registered, but only half of it: still outside.
    let handle = x.h.san_register_memory(x.c, data, 32, MEM_READ, &mut errno);
    assert_ne!(handle, 0);
    let rc =
        x.h.san_wsp_send(x.t, x.c, &buf, &mut sent, 0, ov, Ptr::NULL, &mut errno);
    assert_eq!((rc, errno), (SOCKET_ERROR, WsaError::WSAEFAULT.0 as i32));
    // All of it: initiated (SO_SNDBUF is 0, so it pends) and completed later.
    let whole = x.h.san_register_memory(x.c, data, 64, MEM_READ, &mut errno);
    assert_ne!(whole, 0);
    let rc =
        x.h.san_wsp_send(x.t, x.c, &buf, &mut sent, 0, ov, Ptr::NULL, &mut errno);
    assert_eq!(
        (rc, errno),
        (SOCKET_ERROR, WsaError::WSA_IO_PENDING.0 as i32)
    );
    assert_eq!(drain_after(&mut x.h, x.tb, x.tb, x.s, 64), vec![7; 64]);
    assert_eq!(wait_event(&mut x.h, x.t, ev), 0);
    assert_eq!(
        x.h.mem().read_u64(Ptr(ov.0 + ovl::INTERNAL_HIGH)).unwrap(),
        64
    );
    assert!(x.h.contract_reports().is_empty(), "{:?}", reports(&x.h));
}

#[test]
fn register_memory_rejects_bad_flags_and_deregister_in_use_or_foreign_is_wsaeinval() {
    // WSPRegisterMemory: "WSAEINVAL bad flags"; WSPDeregisterMemory: memory "in use by a
    // transfer -> WSAEINVAL"; the handle is "valid only for that socket"
    // (windows-semantics §8, WDD ff566311 / ff566279).
    let mut x = san_pair(true, 65536, false);
    let data = bytes(&mut x.h, &[3; 4096]);
    let mut errno = 0;
    assert_eq!(x.h.san_register_memory(x.c, data, 4096, 0, &mut errno), 0);
    assert_eq!(errno, WsaError::WSAEINVAL.0 as i32);
    assert_eq!(x.h.san_register_memory(x.c, data, 4096, 4, &mut errno), 0);
    assert_eq!(errno, WsaError::WSAEINVAL.0 as i32);
    let handle =
        x.h.san_register_memory(x.c, data, 4096, MEM_READ, &mut errno);
    assert_ne!(handle, 0);
    // Another socket's handle.
    assert_eq!(
        x.h.san_deregister_memory(x.s, handle, &mut errno),
        SOCKET_ERROR
    );
    assert_eq!(errno, WsaError::WSAEINVAL.0 as i32);
    // A send that pends keeps the memory in use.
    let ev = x.h.wsa_create_event(x.t);
    let ov = overlapped(&mut x.h, ev);
    let (mut sent, mut errno2) = (0, 0);
    let buf = [WsaBuf {
        len: 4096,
        buf: data,
    }];
    let rc =
        x.h.san_wsp_send(x.t, x.c, &buf, &mut sent, 0, ov, Ptr::NULL, &mut errno2);
    assert_eq!(
        (rc, errno2),
        (SOCKET_ERROR, WsaError::WSA_IO_PENDING.0 as i32)
    );
    assert_eq!(
        x.h.san_deregister_memory(x.c, handle, &mut errno),
        SOCKET_ERROR
    );
    assert_eq!(errno, WsaError::WSAEINVAL.0 as i32);
    // Once it completed, it can go.
    assert_eq!(drain_after(&mut x.h, x.t, x.tb, x.s, 4096).len(), 4096);
    assert_eq!(wait_event(&mut x.h, x.t, ev), 0);
    assert_eq!(x.h.san_deregister_memory(x.c, handle, &mut errno), 0);
    assert!(x.h.contract_reports().is_empty(), "{:?}", reports(&x.h));
}

#[test]
fn san_wspsend_with_nonzero_dwflags_is_a_contract_report() {
    // "dwFlags [in] Must be zero." (WSPSend, Parameters)
    let mut x = san_pair(true, 65536, false);
    let data = bytes(&mut x.h, &[7; 8]);
    let mut errno = 0;
    assert_ne!(
        x.h.san_register_memory(x.c, data, 8, MEM_READ, &mut errno),
        0
    );
    let ev = x.h.wsa_create_event(x.t);
    let ov = overlapped(&mut x.h, ev);
    let mut sent = 0;
    let buf = [WsaBuf { len: 8, buf: data }];
    let rc = x.h.san_wsp_send(
        x.t,
        x.c,
        &buf,
        &mut sent,
        MSG_DONTROUTE,
        ov,
        Ptr::NULL,
        &mut errno,
    );
    assert_eq!((rc, errno), (SOCKET_ERROR, WsaError::WSAEINVAL.0 as i32));
    assert_eq!(reports(&x.h), vec![rules::SAN_FLAGS_NOT_ZERO]);
    // The switch itself never passes flags: MSG_DONTROUTE from the application is
    // dropped ("A Windows Sockets service provider can choose to ignore this flag").
    let arr = wsabufs(&mut x.h, &[(data, 8)]);
    let call = x.h.wsa_send(
        x.t,
        x.c,
        arr,
        1,
        Ptr::NULL,
        MSG_DONTROUTE,
        Ptr::NULL,
        Ptr::NULL,
    );
    let _ = x.h.done(x.t, call);
    assert!(x.log.get().sends.iter().skip(1).all(|s| s.flags == 0));
    assert_eq!(x.h.contract_reports().len(), 1);
}

#[test]
fn switch_passes_an_event_and_no_routine_and_completes_the_applications_routine() {
    // "The switch specifies NULL for a completion routine." (WSPSend,
    // lpCompletionRoutine); "the switch always specifies an event in an overlapped
    // structure and NULL for a completion routine" (Overlapped Socket I/O).
    let mut x = san_pair(true, 65536, false);
    let (r, got) = recording_routine(&mut x.h);
    let ov = overlapped(&mut x.h, 0);
    assert_eq!(send_ov(&mut x.h, x.t, x.c, 3000, ov, r), PENDING);
    assert_eq!(x.h.last_error(x.t), WsaError::WSA_IO_PENDING.0);
    let log = x.log.get();
    assert_eq!(log.sends.len(), 1);
    assert!(log.sends[0].routine.is_null());
    assert!(!log.sends[0].overlapped.is_null());
    assert_ne!(log.sends[0].h_event & !1, 0, "an event");
    assert_ne!(log.sends[0].overlapped, ov, "the switch's own OVERLAPPED");
    assert_eq!(drain_after(&mut x.h, x.tb, x.tb, x.s, 3000).len(), 3000);
    let call = x.h.sleep_ex(x.t, INFINITE, 1);
    assert_eq!(x.h.done(x.t, call), i64::from(WAIT_IO_COMPLETION));
    assert_eq!(*got.lock().unwrap(), vec![(0, 3000, ov.0, 0)]);
    assert!(x.h.contract_reports().is_empty(), "{:?}", reports(&x.h));
}

#[test]
fn blocking_send_on_a_san_socket_becomes_an_overlapped_san_request() {
    // "the switch turns blocking WSPSend/WSPRecv into overlapped calls on the SAN
    // provider" (windows-semantics §8, WDD blocking-calls-for-a-san).
    let mut x = san_pair(true, 65536, false);
    let data = bytes(&mut x.h, &vec![9; 3000]);
    let arr = wsabufs(&mut x.h, &[(data, 3000)]);
    let sent = dword(&mut x.h, 0);
    let call =
        x.h.wsa_send(x.t, x.c, arr, 1, sent, 0, Ptr::NULL, Ptr::NULL);
    assert!(matches!(call, wsasim_core::Call::Blocked));
    let log = x.log.get();
    assert_eq!(log.sends.len(), 1);
    assert!(!log.sends[0].overlapped.is_null());
    // The peer reads; the blocked call returns with everything sent.
    let got = drain_after(&mut x.h, x.tb, x.tb, x.s, 1024);
    assert!(!got.is_empty());
    let mut total = got.len();
    while total < 3000 {
        let call2 = x.h.sleep_ex(x.tb, 1, 0);
        let _ = x.h.done(x.tb, call2);
        total += drain(&mut x.h, x.tb, x.s).len();
    }
    assert_eq!(x.h.done(x.t, call), 0);
    assert_eq!(read_u32(&x.h, sent), 3000);
}

#[test]
fn san_completion_comes_through_wpucompleteoverlappedrequest_and_signals_the_app() {
    // "The SAN service provider should call the WPUCompleteOverlappedRequest function in
    // the context of an arbitrary thread to complete the data transmission operation."
    let mut x = san_pair(true, 65536, false);
    let ev = x.h.wsa_create_event(x.t);
    let ov = overlapped(&mut x.h, ev);
    assert_eq!(send_ov(&mut x.h, x.t, x.c, 3000, ov, Ptr::NULL), PENDING);
    assert_eq!(x.log.get().wpu_completions, 0);
    // The peer reads on its own thread; the completion arrives with no call from `t`.
    assert_eq!(drain_after(&mut x.h, x.tb, x.tb, x.s, 3000).len(), 3000);
    assert_eq!(x.log.get().wpu_completions, 1);
    assert_eq!(x.h.mem().read_u64(Ptr(ov.0 + ovl::INTERNAL)).unwrap(), 0);
    assert_eq!(
        x.h.mem().read_u64(Ptr(ov.0 + ovl::INTERNAL_HIGH)).unwrap(),
        3000
    );
    assert_eq!(wait_event(&mut x.h, x.t, ev), 0);
    assert!(x.h.contract_reports().is_empty(), "{:?}", reports(&x.h));
}

#[test]
fn low_bit_of_hevent_means_no_notification_and_the_switch_polls() {
    // "If the low order bit of the hEvent member in the WSAOVERLAPPED structure is set,
    // the switch specifically requests to not be notified ... In this case, the switch
    // calls the WSPGetOverlappedResult function to poll for completion."
    let mut x = san_pair(true, 65536, true);
    let ev = x.h.wsa_create_event(x.t);
    let ov = overlapped(&mut x.h, ev);
    assert_eq!(send_ov(&mut x.h, x.t, x.c, 3000, ov, Ptr::NULL), PENDING);
    let log = x.log.get();
    assert_eq!(log.sends[0].h_event & 1, 1);
    assert_eq!(drain_after(&mut x.h, x.tb, x.tb, x.s, 3000).len(), 3000);
    let log = x.log.get();
    assert_eq!(log.wpu_completions, 0, "not notified");
    assert!(log.polls >= 1, "polled");
    // The application's own request still completes (the switch completes it).
    assert_eq!(wait_event(&mut x.h, x.t, ev), 0);
    assert_eq!(
        x.h.mem().read_u64(Ptr(ov.0 + ovl::INTERNAL_HIGH)).unwrap(),
        3000
    );
    assert!(x.h.contract_reports().is_empty(), "{:?}", reports(&x.h));
}

#[test]
fn sends_larger_than_so_max_msg_size_never_reach_the_san_provider() {
    // "The switch does not pass send message requests to the SAN service provider that
    // exceed the size that the SAN service provider returns in WSPGetSockOpt calls for
    // the value of the SO_MAX_MSG_SIZE socket option." And "the SAN service provider
    // transmits data from posted buffers in the same order in which the switch supplies
    // them."
    let mut x = san_pair(true, 1000, false);
    let payload: Vec<u8> = (0..4500u32).map(|i| (i % 251) as u8).collect();
    let data = bytes(&mut x.h, &payload);
    let arr = wsabufs(&mut x.h, &[(data, 4500)]);
    let ev = x.h.wsa_create_event(x.t);
    let ov = overlapped(&mut x.h, ev);
    let call = x.h.wsa_send(x.t, x.c, arr, 1, Ptr::NULL, 0, ov, Ptr::NULL);
    let _ = x.h.done(x.t, call);
    assert_eq!(drain_after(&mut x.h, x.tb, x.tb, x.s, 4500), payload);
    let sizes: Vec<u32> = x.log.get().sends.iter().map(|s| s.bytes).collect();
    assert_eq!(sizes, vec![1000, 1000, 1000, 1000, 500]);
    assert_eq!(wait_event(&mut x.h, x.t, ev), 0);
    assert_eq!(
        x.h.mem().read_u64(Ptr(ov.0 + ovl::INTERNAL_HIGH)).unwrap(),
        4500
    );
}

#[test]
fn san_provider_never_returns_the_codes_the_seed_excludes() {
    // "Note that a SAN service provider does not support the following error codes for
    // WSPSend: ... WSAEWOULDBLOCK: The Windows Sockets switch uses overlapped sockets."
    // The wire's "too many outstanding" becomes a buffer deadlock (WSAENOBUFS).
    let mut x = san_pair(true, 65536, false);
    let r = x.h.socket_target(x.c).unwrap();
    assert!(x
        .h
        .inject(wsasim_core::ProviderFault::TooManyOutstanding(r, 1)));
    let ev = x.h.wsa_create_event(x.t);
    let ov = overlapped(&mut x.h, ev);
    assert_eq!(send_ov(&mut x.h, x.t, x.c, 100, ov, Ptr::NULL), PENDING);
    assert_eq!(x.h.last_error(x.t), WsaError::WSAENOBUFS.0);
    assert!(
        !reports(&x.h).contains(&rules::SAN_FORBIDDEN_CODE),
        "{:?}",
        reports(&x.h)
    );
}
