//! The deterministic runtime (issue 3): real threads under a seeded scheduler, blocking
//! calls, alertable waits, thread exit, deadlock and livelock reports.

use std::sync::{Arc, Mutex};
use wsasim_core::{Config, Profile, Ptr, WsaBuf};
use wsasim_runtime::api::*;
use wsasim_runtime::{check_determinism, run, run_with, Outcome, RunReport};

fn startup() {
    let data = alloc(408);
    assert_eq!(WSAStartup(0x0202, data), 0);
}

/// A listening socket on 127.0.0.1:`port`.
fn listening(port: u16) -> SOCKET {
    let l = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    let (a, n) = sockaddr(&format!("127.0.0.1:{port}"));
    assert_eq!(bind(l, a, n), 0);
    assert_eq!(listen(l, 5), 0);
    l
}

fn connected(port: u16) -> SOCKET {
    let c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    let (a, n) = sockaddr(&format!("127.0.0.1:{port}"));
    assert_eq!(connect(c, a, n), 0, "connect: {}", WSAGetLastError());
    c
}

fn set_int(s: SOCKET, name: i32, v: u32) {
    let p = alloc_bytes(&v.to_le_bytes());
    assert_eq!(setsockopt(s, SOL_SOCKET, name, p, 4), 0);
}

fn exit_code(h: HANDLE) -> u32 {
    let p = alloc(4);
    assert_eq!(GetExitCodeThread(h, p), 1);
    read_u32(p)
}

/// A server thread blocked in accept, a client thread sending with blocking sends; the
/// main thread joins both. Returns the bytes the server received.
fn client_server(seed: u64, profile: Profile) -> (RunReport, Arc<Mutex<Vec<u8>>>) {
    let got = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&got);
    let report = run(Config::new(seed, profile), move || {
        startup();
        let l = listening(27015);
        let server = CreateThread(move || {
            let s = accept(l, Ptr::NULL, Ptr::NULL);
            assert_ne!(s, INVALID_SOCKET);
            let buf = alloc(1000);
            loop {
                let n = recv(s, buf, 1000, 0);
                assert!(n >= 0, "recv: {}", WSAGetLastError());
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend(read(buf, n as usize));
            }
            closesocket(s);
            0
        });
        let client = CreateThread(|| {
            let c = connected(27015);
            for i in 0..10u8 {
                let data = alloc_bytes(&[i; 4096]);
                assert_eq!(send(c, data, 4096, 0), 4096);
            }
            closesocket(c);
            0
        });
        let hs = alloc_bytes(&[server.to_le_bytes(), client.to_le_bytes()].concat());
        assert_eq!(WaitForMultipleObjects(2, hs, TRUE, INFINITE), WAIT_OBJECT_0);
        assert_eq!(exit_code(server), 0);
        WSACleanup();
        0
    });
    (report, got)
}

#[test]
fn threads_blocked_in_accept_recv_and_send_wake_each_other_with_the_same_result_for_every_seed() {
    let expected: Vec<u8> = (0..10u8).flat_map(|i| [i; 4096]).collect();
    for profile in [Profile::Windows, Profile::Documented] {
        for seed in 0..12 {
            let (report, got) = client_server(seed, profile);
            assert!(
                report.success(),
                "seed {seed} {profile:?}: {:?}",
                report.outcome
            );
            assert_eq!(*got.lock().unwrap(), expected, "seed {seed} {profile:?}");
        }
    }
}

#[test]
fn one_seed_gives_one_trace_with_real_threads() {
    for seed in [0, 1, 99] {
        check_determinism(|| client_server(seed, Profile::Windows).0).unwrap();
        check_determinism(|| client_server(seed, Profile::Documented).0).unwrap();
    }
    // Different seeds schedule differently (the trace records the choices).
    let a = client_server(1, Profile::Windows).0.trace_hash();
    let b = client_server(2, Profile::Windows).0.trace_hash();
    assert_ne!(a, b);
}

#[test]
fn a_program_waiting_forever_gets_a_deadlock_report_naming_the_call() {
    let report = run(Config::new(3, Profile::Windows), || {
        startup();
        let l = listening(27015);
        let _ = accept(l, Ptr::NULL, Ptr::NULL);
        0
    });
    match report.outcome {
        Outcome::Deadlock(text) => {
            assert!(text.contains("blocked in accept"), "{text}");
            assert!(text.contains("accept on socket"), "{text}");
        }
        other => panic!("expected a deadlock, got {other:?}"),
    }
}

#[test]
fn a_deadlock_between_two_threads_names_both() {
    let report = run(Config::new(4, Profile::Windows), || {
        startup();
        let ev = WSACreateEvent();
        let other = CreateThread(move || {
            let evs = alloc_bytes(&ev.to_le_bytes());
            WSAWaitForMultipleEvents(1, evs, TRUE, INFINITE, FALSE)
        });
        WaitForSingleObject(other, INFINITE);
        0
    });
    let Outcome::Deadlock(text) = report.outcome else {
        panic!("{:?}", report.outcome)
    };
    assert!(text.contains("blocked in WaitForSingleObjectEx"), "{text}");
    assert!(
        text.contains("blocked in WSAWaitForMultipleEvents"),
        "{text}"
    );
}

#[test]
fn a_livelock_ends_with_a_report() {
    let world = wsasim_core::World::new(Config::new(5, Profile::Windows));
    let report = run_with(world, None, 10_000, || loop {
        SleepEx(0, FALSE);
    });
    let Outcome::Livelock(text) = report.outcome else {
        panic!("{:?}", report.outcome)
    };
    assert!(text.contains("10000 scheduling steps"), "{text}");
}

#[test]
fn a_worker_in_an_alertable_sleep_runs_queued_apcs_in_fifo_order() {
    let order = Arc::new(Mutex::new(Vec::new()));
    let o = Arc::clone(&order);
    let report = run(Config::new(6, Profile::Windows), move || {
        let worker = CreateThread(|| SleepEx(INFINITE, TRUE));
        let f = apc_fn(move |p| o.lock().unwrap().push(p));
        for i in 1..=3 {
            assert_eq!(QueueUserAPC(f, worker, i), 1);
        }
        assert_eq!(WaitForSingleObject(worker, INFINITE), WAIT_OBJECT_0);
        // "the thread handles all pending APCs in first in, first out (FIFO) order, and
        // the wait operation returns WAIT_IO_COMPLETION" (SDK queueuserapc).
        assert_eq!(exit_code(worker), WAIT_IO_COMPLETION);
        0
    });
    assert!(report.success(), "{:?}", report.outcome);
    // The worker may run its APCs after the first, second or third was queued; every
    // APC it ran was in FIFO order, and the ones queued later ran in a later wait or never.
    let got = order.lock().unwrap().clone();
    assert!(
        !got.is_empty() && got.windows(2).all(|w| w[0] < w[1]) && got[0] == 1,
        "{got:?}"
    );
}

#[test]
fn an_event_set_by_one_thread_wakes_a_wait_in_another_after_virtual_time() {
    let report = run(Config::new(7, Profile::Windows), || {
        startup();
        let ev = WSACreateEvent();
        let setter = CreateThread(move || {
            Sleep(250);
            WSASetEvent(ev);
            0
        });
        let evs = alloc_bytes(&ev.to_le_bytes());
        assert_eq!(
            WSAWaitForMultipleEvents(1, evs, TRUE, INFINITE, FALSE),
            WSA_WAIT_EVENT_0
        );
        WaitForSingleObject(setter, INFINITE);
        0
    });
    assert!(report.success(), "{:?}", report.outcome);
    assert!(
        report.world.now().as_nanos() >= 250_000_000,
        "{}",
        report.world.now()
    );
}

#[test]
fn thread_exit_cancels_its_pending_overlapped_send_with_operation_aborted_and_signals_the_event() {
    let report = run(Config::new(8, Profile::Windows), || {
        startup();
        let l = listening(27015);
        let c = connected(27015);
        let s = accept(l, Ptr::NULL, Ptr::NULL);
        set_int(s, SO_SNDBUF, 0);
        let ev = WSACreateEvent();
        let ov = alloc_overlapped(ev);
        let sender = CreateThread(move || {
            let data = alloc(1 << 20);
            let arr = alloc_wsabufs(&[WsaBuf {
                len: 1 << 20,
                buf: data,
            }]);
            // The peer does not read: with SO_SNDBUF = 0 the send pends (wine-facts O1).
            assert_eq!(
                WSASend(s, arr, 1, Ptr::NULL, 0, ov, Ptr::NULL),
                SOCKET_ERROR
            );
            assert_eq!(WSAGetLastError(), WSA_IO_PENDING.code() as i32);
            0
        });
        WaitForSingleObject(sender, INFINITE);
        // "All I/O initiated by a given thread is canceled when that thread exits"; the
        // cancelled operation still signals its event.
        let evs = alloc_bytes(&ev.to_le_bytes());
        assert_eq!(
            WSAWaitForMultipleEvents(1, evs, TRUE, 0, FALSE),
            WSA_WAIT_EVENT_0
        );
        let (n, f) = (alloc(4), alloc(4));
        assert_eq!(WSAGetOverlappedResult(s, ov, n, FALSE, f), FALSE);
        assert_eq!(WSAGetLastError(), 995);
        let _ = c;
        0
    });
    assert!(report.success(), "{:?}", report.outcome);
}

use wsasim_core::WsaError;
const WSA_IO_PENDING: WsaError = WsaError::WSA_IO_PENDING;

#[test]
fn thread_exit_drops_its_queued_apcs() {
    let ran = Arc::new(Mutex::new(false));
    let r = Arc::clone(&ran);
    let report = run(Config::new(9, Profile::Windows), move || {
        let gate = CreateThread(|| {
            // Never alertable: it waits for nothing and returns.
            Sleep(10);
            7
        });
        let f = apc_fn(move |_| *r.lock().unwrap() = true);
        QueueUserAPC(f, gate, 0);
        WaitForSingleObject(gate, INFINITE);
        assert_eq!(exit_code(gate), 7);
        // "the APCs in its APC queue are lost. The APC functions are not called."
        assert_eq!(QueueUserAPC(f, gate, 0), 0);
        assert_eq!(
            GetLastError(),
            31,
            "ERROR_GEN_FAILURE for a thread that exited"
        );
        0
    });
    assert!(report.success(), "{:?}", report.outcome);
    assert!(!*ran.lock().unwrap());
}

#[test]
fn a_blocking_send_with_sndtimeo_times_out_after_virtual_time() {
    let report = run(Config::new(10, Profile::Windows), || {
        startup();
        let l = listening(27015);
        let c = connected(27015);
        let s = accept(l, Ptr::NULL, Ptr::NULL);
        set_int(s, SO_SNDBUF, 0);
        set_int(s, SO_SNDTIMEO, 100);
        let data = alloc(1 << 20);
        // The peer never reads: the blocking send times out.
        assert_eq!(send(s, data, 1 << 20, 0), SOCKET_ERROR);
        assert_eq!(WSAGetLastError(), 10060, "WSAETIMEDOUT");
        let _ = c;
        0
    });
    assert!(report.success(), "{:?}", report.outcome);
    assert!(report.world.now().as_nanos() >= 100_000_000);
}

#[test]
fn an_apc_runs_during_a_blocking_recv_and_can_send_the_data_that_satisfies_it() {
    // wine-facts C8: "a user APC queued before a blocking recv runs while the call waits
    // (it may even send the data that satisfies it)".
    let report = run(Config::new(11, Profile::Windows), || {
        startup();
        let l = listening(27015);
        let c = connected(27015);
        let s = accept(l, Ptr::NULL, Ptr::NULL);
        let payload = alloc_bytes(b"hello");
        let f = apc_fn(move |_| {
            assert_eq!(send(c, payload, 5, 0), 5);
        });
        let me = with_current_handle();
        assert_eq!(QueueUserAPC(f, me, 0), 1);
        let buf = alloc(16);
        assert_eq!(recv(s, buf, 16, 0), 5);
        assert_eq!(read(buf, 5), b"hello");
        0
    });
    assert!(report.success(), "{:?}", report.outcome);
}

fn with_current_handle() -> HANDLE {
    // The thread's handle: QueueUserAPC to the current thread.
    current_thread_handle()
}

#[test]
fn a_blocking_call_inside_an_apc_that_interrupted_a_blocking_call_is_wsaeinprogress() {
    let report = run(Config::new(12, Profile::Windows), || {
        startup();
        let l = listening(27015);
        let c = connected(27015);
        let s = accept(l, Ptr::NULL, Ptr::NULL);
        let inner = Arc::new(Mutex::new(0i32));
        let i2 = Arc::clone(&inner);
        let f = apc_fn(move |_| {
            let buf = alloc(4);
            // Nothing to read: this blocking recv would wait inside the APC.
            let r = recv(s, buf, 4, 0);
            *i2.lock().unwrap() = if r == SOCKET_ERROR {
                WSAGetLastError()
            } else {
                r
            };
            let data = alloc_bytes(b"x");
            send(c, data, 1, 0);
        });
        QueueUserAPC(f, current_thread_handle(), 0);
        let buf = alloc(4);
        assert_eq!(recv(s, buf, 4, 0), 1);
        assert_eq!(*inner.lock().unwrap(), 10036, "WSAEINPROGRESS");
        0
    });
    assert!(report.success(), "{:?}", report.outcome);
    assert_eq!(report.world.contract_reports().len(), 1);
    assert!(report.world.contract_reports()[0]
        .rule
        .contains("undefined behavior"));
}

#[test]
fn wsagetoverlappedresult_with_fwait_waits_without_running_apcs() {
    let ran = Arc::new(Mutex::new(false));
    let r = Arc::clone(&ran);
    let report = run(Config::new(13, Profile::Windows), move || {
        startup();
        let l = listening(27015);
        let c = connected(27015);
        let s = accept(l, Ptr::NULL, Ptr::NULL);
        let ev = WSACreateEvent();
        let ov = alloc_overlapped(ev);
        let buf = alloc(8);
        let arr = alloc_wsabufs(&[WsaBuf { len: 8, buf }]);
        let flags = alloc(4);
        assert_eq!(
            WSARecv(s, arr, 1, Ptr::NULL, flags, ov, Ptr::NULL),
            SOCKET_ERROR
        );
        let f = apc_fn(move |_| *r.lock().unwrap() = true);
        QueueUserAPC(f, current_thread_handle(), 0);
        let sender = CreateThread(move || {
            Sleep(5);
            let d = alloc_bytes(b"abc");
            send(c, d, 3, 0);
            0
        });
        let (n, fl) = (alloc(4), alloc(4));
        assert_eq!(WSAGetOverlappedResult(s, ov, n, TRUE, fl), TRUE);
        assert_eq!(read_u32(n), 3);
        WaitForSingleObject(sender, INFINITE);
        // wine-facts C9: the queued APC did not run during the fWait = TRUE wait.
        0
    });
    assert!(report.success(), "{:?}", report.outcome);
    assert!(!*ran.lock().unwrap());
}

#[test]
fn completion_routines_are_fifo_in_windows_and_vary_with_the_seed_in_documented() {
    fn order(seed: u64, profile: Profile) -> Vec<u64> {
        let got = Arc::new(Mutex::new(Vec::new()));
        let g = Arc::clone(&got);
        let report = run(Config::new(seed, profile), move || {
            startup();
            let l = listening(27015);
            let _c = connected(27015);
            let s = accept(l, Ptr::NULL, Ptr::NULL);
            let g2 = Arc::clone(&g);
            let r = routine(move |err, _, ov, _| {
                assert_eq!(err, 0);
                g2.lock().unwrap().push(ov.0);
            });
            let mut ovs = Vec::new();
            for _ in 0..4 {
                let ov = alloc_overlapped(0);
                let data = alloc(16);
                let arr = alloc_wsabufs(&[WsaBuf { len: 16, buf: data }]);
                // Documented profile: "too many outstanding overlapped I/O requests"
                // (WSAEWOULDBLOCK) may come back; let the others complete and retry.
                loop {
                    let rc = WSASend(s, arr, 1, Ptr::NULL, 0, ov, r);
                    if rc == 0 || WSAGetLastError() == 997 {
                        break;
                    }
                    assert_eq!(WSAGetLastError(), 10035);
                    SleepEx(0, TRUE);
                }
                ovs.push(ov.0);
            }
            while g.lock().unwrap().len() < 4 {
                SleepEx(INFINITE, TRUE);
            }
            let got: Vec<u64> = g
                .lock()
                .unwrap()
                .iter()
                .map(|ov| ovs.iter().position(|o| o == ov).unwrap() as u64)
                .collect();
            *g.lock().unwrap() = got;
            0
        });
        assert!(report.success(), "{:?}", report.outcome);
        let v = got.lock().unwrap().clone();
        v
    }
    for seed in 0..10 {
        assert_eq!(
            order(seed, Profile::Windows),
            vec![0, 1, 2, 3],
            "seed {seed}"
        );
    }
    let mut permuted = false;
    for seed in 0..40 {
        let o = order(seed, Profile::Documented);
        let mut sorted = o.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, vec![0, 1, 2, 3], "every routine runs once");
        permuted |= o != vec![0, 1, 2, 3];
    }
    assert!(
        permuted,
        "the documented profile reorders routines for some seed"
    );
}

#[test]
fn a_winsock_call_from_a_thread_the_runtime_did_not_create_is_refused() {
    let err = std::thread::spawn(|| socket(AF_INET, SOCK_STREAM, IPPROTO_TCP))
        .join()
        .unwrap_err();
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("did not create"), "{msg}");
    assert!(!is_simulated_thread());
}

/// Two threads send 8 KiB of 'a' and of 'b' on one stream socket at once, through a
/// small send buffer, to a receiver that reads after both are done.
fn concurrent_senders(seed: u64, profile: Profile) -> Vec<u8> {
    let got = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&got);
    let report = run(Config::new(seed, profile), move || {
        startup();
        let l = listening(27015);
        let c = connected(27015);
        let s = accept(l, Ptr::NULL, Ptr::NULL);
        set_int(c, SO_SNDBUF, 1024);
        let sender = |byte: u8| {
            move || {
                let data = alloc_bytes(&[byte; 8192]);
                assert_eq!(send(c, data, 8192, 0), 8192);
                0
            }
        };
        let a = CreateThread(sender(b'a'));
        let b = CreateThread(sender(b'b'));
        let hs = alloc_bytes(&[a.to_le_bytes(), b.to_le_bytes()].concat());
        let buf = alloc(4096);
        let mut total = Vec::new();
        while total.len() < 16384 {
            let n = recv(s, buf, 4096, 0);
            assert!(n > 0, "recv: {}", WSAGetLastError());
            total.extend(read(buf, n as usize));
        }
        assert_eq!(WaitForMultipleObjects(2, hs, TRUE, INFINITE), WAIT_OBJECT_0);
        *sink.lock().unwrap() = total;
        0
    });
    assert!(report.success(), "{:?}", report.outcome);
    let v = got.lock().unwrap().clone();
    v
}

/// How many times the byte stream switches between the two senders' bytes.
fn switches(data: &[u8]) -> usize {
    data.windows(2).filter(|w| w[0] != w[1]).count()
}

#[test]
fn concurrent_sends_on_one_stream_socket_interleave_only_where_the_documented_profile_splits_them()
{
    // WSASend: "some Winsock providers may split a large send request into multiple
    // transmissions, and this may lead to unintended data interleaving from multiple
    // concurrent send requests on the same stream-oriented socket." The verified Windows
    // profile takes each send whole (E33/E34), so the streams never interleave.
    for seed in 0..16 {
        let d = concurrent_senders(seed, Profile::Windows);
        assert_eq!(d.len(), 16384);
        assert_eq!(switches(&d), 1, "seed {seed}: one block of each sender");
    }
    let interleaved = (0..64).any(|seed| {
        let d = concurrent_senders(seed, Profile::Documented);
        assert_eq!(
            d.iter().filter(|&&b| b == b'a').count(),
            8192,
            "every byte arrives once"
        );
        switches(&d) > 1
    });
    assert!(
        interleaved,
        "the documented profile interleaves concurrent sends for some seed"
    );
}
