//! The built-in roles: ordinary Winsock code, run as simulated threads. Every stream
//! carries the pattern (byte *i* is *i* mod 256; for UDP, byte *i* of each datagram),
//! so a receiver checks every byte it gets. Each failing call is recorded with its code
//! in the run log; the role stops at the first one it cannot handle.

use crate::program::{
    Bug, Client, Completion, EchoServer, Endpoint, ProgramKind, Protocol, Receiver, SendIo, Sender,
    Step,
};
use crate::run::{before_call, lock, ErrorSeen, Failure, RunLog};
use crate::{Close, Scenario};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use wsasim_core::net::SockAddr;
use wsasim_core::{Ptr, WsaBuf, WsaError};
use wsasim_runtime::api::{self, *};

/// Bytes per `send` call of a client script, per echo, per blocking receive default.
const CHUNK: usize = 64 * 1024;
/// A nonblocking sender gives up after this many `WSAEWOULDBLOCK` in a row, one
/// millisecond apart (a minute of virtual time without progress).
const WOULDBLOCK_MAX: u32 = 60_000;
/// Connect attempts refused with `WSAECONNREFUSED` before giving up, 10 ms apart.
const CONNECT_ATTEMPTS: u32 = 100;
/// Handled errors recorded per program (failures are always recorded).
const ERRORS_MAX: usize = 100;

/// What a role's thread gets.
pub(crate) struct Ctx {
    pub(crate) scenario: Arc<Scenario>,
    pub(crate) log: Arc<Mutex<RunLog>>,
    pub(crate) index: usize,
    pub(crate) on: Vec<bool>,
    /// An event to set once listening (0: nobody waits).
    pub(crate) ready: std::cell::Cell<HANDLE>,
}

type R<T> = Result<T, Failure>;

impl Ctx {
    fn log(&self) -> std::sync::MutexGuard<'_, RunLog> {
        lock(&self.log)
    }

    /// Records the calling thread's last error for `api` and returns it as a failure.
    fn fail(&self, api: &'static str) -> Failure {
        let code = WSAGetLastError() as u32;
        self.fail_with(api, code, false)
    }

    fn fail_with(&self, api: &'static str, code: u32, completion: bool) -> Failure {
        Failure::Call(self.record(api, code, completion, false))
    }

    /// Records an error the program met (handled ones: at most [`ERRORS_MAX`]).
    fn record(&self, api: &'static str, code: u32, completion: bool, handled: bool) -> ErrorSeen {
        let e = ErrorSeen {
            api,
            code,
            completion,
            handled,
            at_ns: api::now().as_nanos(),
        };
        let mut l = self.log();
        let errors = &mut l.programs[self.index].errors;
        if errors.len() < ERRORS_MAX || !handled {
            errors.push(e.clone());
        }
        e
    }

    /// The failure of a `WSAGetOverlappedResult` that returned FALSE: the operation's
    /// status (reported under the call that issued it), or the call's own error (a
    /// closed socket: `WSAENOTSOCK`).
    fn overlapped_failure(&self, op_api: &'static str) -> Failure {
        let code = WSAGetLastError() as u32;
        let own = [
            WsaError::WSAENOTSOCK,
            WsaError::WSA_INVALID_HANDLE,
            WsaError::WSA_INVALID_PARAMETER,
            WsaError::WSA_IO_INCOMPLETE,
            WsaError::WSAEFAULT,
            WsaError::WSANOTINITIALISED,
        ];
        if own.contains(&WsaError(code)) {
            self.fail_with("WSAGetOverlappedResult", code, false)
        } else {
            self.fail_with(op_api, code, true)
        }
    }

    fn before(&self) {
        before_call(&self.scenario, &self.log, self.index, &self.on);
    }

    fn before_recv(&self) {
        self.before();
        let delay = self.log().programs[self.index].read_delay_ms;
        if delay > 0 {
            Sleep(delay);
        }
    }

    fn signal_ready(&self) {
        let ready = self.ready.replace(0);
        if ready != 0 {
            WSASetEvent(ready);
        }
    }

    fn set_socket(&self, s: SOCKET) {
        let mut l = self.log();
        let p = &mut l.programs[self.index];
        p.socket = Some(s);
        p.sockets.push(s);
    }

    fn closed(&self, s: SOCKET) {
        let mut l = self.log();
        let p = &mut l.programs[self.index];
        if p.socket == Some(s) {
            p.socket = None;
        }
    }

    /// Records the connection's two addresses (so a fault can find the other end).
    fn record_conn(&self, s: SOCKET) {
        let name = |f: fn(SOCKET, Ptr, Ptr) -> i32| -> Option<SockAddr> {
            let buf = api::alloc(28);
            let len = api::alloc_bytes(&28i32.to_le_bytes());
            if f(s, buf, len) != 0 {
                return None;
            }
            api::harness_world(|w, _| SockAddr::read(w.mem(), buf, 28).ok())
        };
        if let (Some(l), Some(r)) = (name(getsockname), name(getpeername)) {
            self.log().programs[self.index].conn = Some((l, r));
        }
    }

    fn add_sent(&self, n: u64) {
        self.log().programs[self.index].sent += n;
    }

    fn set_received(&self, n: u64) {
        self.log().programs[self.index].received = n;
    }
}

/// A program's thread.
pub(crate) fn run(ctx: Ctx) -> u32 {
    let program = ctx.scenario.programs[ctx.index].clone();
    ctx.log().programs[ctx.index].thread = GetCurrentThreadId();
    let data = api::alloc(408);
    let result = if WSAStartup(0x0202, data) != 0 {
        Err(ctx.fail("WSAStartup"))
    } else {
        sleep_until_ms(program.start_ms);
        match &program.kind {
            ProgramKind::Sender(s) => sender(&ctx, s),
            ProgramKind::Receiver(r) => receiver(&ctx, r),
            ProgramKind::EchoServer(e) => echo_server(&ctx, e),
            ProgramKind::Client(c) => client(&ctx, c),
            ProgramKind::External(_) => unreachable!("external programs run as processes"),
        }
    };
    ctx.signal_ready();
    let mut l = ctx.log();
    let p = &mut l.programs[ctx.index];
    p.finished = true;
    match result {
        Ok(()) => 0,
        Err(f) => {
            p.failure = Some(f);
            1
        }
    }
}

fn sleep_until_ms(ms: u32) {
    let target = u64::from(ms) * 1_000_000;
    let now = api::now().as_nanos();
    if target > now {
        Sleep((target - now).div_ceil(1_000_000) as u32);
    }
}

/// The pattern: byte *k* is `(offset + k) mod 256`.
fn pattern(offset: u64, len: usize) -> Vec<u8> {
    (0..len as u64).map(|k| (offset + k) as u8).collect()
}

/// Checks received bytes against the pattern at `offset`.
fn check(offset: u64, bytes: &[u8], what: &str) -> R<()> {
    match bytes
        .iter()
        .enumerate()
        .find(|&(k, &b)| b != (offset + k as u64) as u8)
    {
        None => Ok(()),
        Some((k, &b)) => Err(Failure::Data(format!(
            "{what} byte {} is {b}, expected {} (the sender's pattern)",
            offset + k as u64,
            (offset + k as u64) as u8
        ))),
    }
}

fn sockaddr_buf(a: &SockAddr) -> (Ptr, i32) {
    let (raw, len) = a.to_bytes();
    (api::alloc_bytes(&raw[..len]), len as i32)
}

fn set_int_opt(ctx: &Ctx, s: SOCKET, opt: i32, v: u32) -> R<()> {
    let p = api::alloc_bytes(&v.to_le_bytes());
    if setsockopt(s, SOL_SOCKET, opt, p, 4) != 0 {
        return Err(ctx.fail("setsockopt"));
    }
    Ok(())
}

fn new_socket(ctx: &Ctx, a: &SockAddr, protocol: Protocol) -> R<SOCKET> {
    let (ty, proto) = match protocol {
        Protocol::Tcp => (SOCK_STREAM, IPPROTO_TCP),
        Protocol::Udp => (SOCK_DGRAM, IPPROTO_UDP),
    };
    let s = socket(a.ip.family(), ty, proto);
    if s == INVALID_SOCKET {
        return Err(ctx.fail("socket"));
    }
    ctx.set_socket(s);
    Ok(s)
}

/// A connected TCP socket: `connect`, retrying refused attempts. `before` runs on the
/// new socket before it connects (`SO_RCVBUF`).
fn connect_stream(ctx: &Ctx, a: &SockAddr, before: impl Fn(SOCKET) -> R<()>) -> R<SOCKET> {
    let (name, len) = sockaddr_buf(a);
    let mut attempt = 1;
    loop {
        let s = new_socket(ctx, a, Protocol::Tcp)?;
        before(s)?;
        if connect(s, name, len) == 0 {
            ctx.record_conn(s);
            return Ok(s);
        }
        let e = WSAGetLastError() as u32;
        closesocket(s);
        ctx.closed(s);
        // The other program may not listen yet.
        if e != WsaError::WSAECONNREFUSED.0 || attempt >= CONNECT_ATTEMPTS {
            return Err(ctx.fail_with("connect", e, false));
        }
        attempt += 1;
        Sleep(10);
    }
}

/// A listening TCP socket (the ready event is set once it listens).
fn listen_stream(ctx: &Ctx, a: &SockAddr, before: impl Fn(SOCKET) -> R<()>) -> R<SOCKET> {
    let l = new_socket(ctx, a, Protocol::Tcp)?;
    before(l)?;
    let (name, len) = sockaddr_buf(a);
    if bind(l, name, len) != 0 {
        return Err(ctx.fail("bind"));
    }
    if listen(l, SOMAXCONN) != 0 {
        return Err(ctx.fail("listen"));
    }
    ctx.signal_ready();
    Ok(l)
}

fn accept_one(ctx: &Ctx, l: SOCKET) -> R<SOCKET> {
    let s = accept(l, Ptr::NULL, Ptr::NULL);
    if s == INVALID_SOCKET {
        return Err(ctx.fail("accept"));
    }
    ctx.set_socket(s);
    ctx.record_conn(s);
    Ok(s)
}

fn open_stream(ctx: &Ctx, ep: &Endpoint, before: impl Fn(SOCKET) -> R<()>) -> R<SOCKET> {
    match ep {
        Endpoint::Connect(a) => connect_stream(ctx, a, before),
        Endpoint::Listen(a) => {
            let l = listen_stream(ctx, a, before)?;
            let s = accept_one(ctx, l);
            closesocket(l);
            s
        }
    }
}

fn close(ctx: &Ctx, s: SOCKET, how: Close) {
    if how == Close::Reset {
        // LINGER { l_onoff = 1, l_linger = 0 }: an abortive close.
        let linger = api::alloc_bytes(&[1, 0, 0, 0]);
        setsockopt(s, SOL_SOCKET, SO_LINGER, linger, 4);
    }
    closesocket(s);
    ctx.closed(s);
}

// ----- sender ---------------------------------------------------------------------------

fn sender(ctx: &Ctx, snd: &Sender) -> R<()> {
    let s = match snd.protocol {
        Protocol::Tcp => open_stream(ctx, &snd.endpoint, |_| Ok(()))?,
        Protocol::Udp => {
            let a = snd.endpoint.addr();
            let s = new_socket(ctx, &a, Protocol::Udp)?;
            let (name, len) = sockaddr_buf(&a);
            // A default peer: "on connectionless sockets that have a stipulated default
            // peer address established through the connect or WSAConnect function".
            if connect(s, name, len) != 0 {
                return Err(ctx.fail("connect"));
            }
            ctx.record_conn(s);
            s
        }
    };
    if let Some(n) = snd.sndbuf {
        set_int_opt(ctx, s, SO_SNDBUF, n)?;
    }
    let result = match snd.io {
        SendIo::Overlapped {
            completion,
            outstanding,
        } => send_overlapped(ctx, s, snd, completion, outstanding),
        SendIo::Blocking => send_plain(ctx, s, snd, false),
        SendIo::Nonblocking => send_plain(ctx, s, snd, true),
    };
    close(ctx, s, snd.close);
    result
}

/// Where buffer `k` of a sender starts in the pattern: its offset in the stream (TCP);
/// for UDP, `k`, so the first byte numbers the datagram (mod 256).
fn offset_of(snd: &Sender, k: u32) -> u64 {
    match snd.protocol {
        Protocol::Tcp => u64::from(k) * u64::from(snd.size),
        Protocol::Udp => u64::from(k),
    }
}

/// Blocking or nonblocking `send` of every buffer.
fn send_plain(ctx: &Ctx, s: SOCKET, snd: &Sender, nonblocking: bool) -> R<()> {
    if nonblocking {
        let one = api::alloc_bytes(&1u32.to_le_bytes());
        if ioctlsocket(s, FIONBIO, one) != 0 {
            return Err(ctx.fail("ioctlsocket"));
        }
    }
    let size = snd.size as usize;
    let buf = api::alloc(size);
    for k in 0..snd.count {
        api::write(buf, &pattern(offset_of(snd, k), size));
        let mut off = 0usize;
        let mut idle = 0u32;
        while off < size {
            ctx.before();
            let n = send(s, Ptr(buf.0 + off as u64), (size - off) as i32, 0);
            if n == SOCKET_ERROR {
                let e = WSAGetLastError() as u32;
                // "The socket is marked as nonblocking and the send operation cannot be
                // completed immediately": try again a millisecond later.
                if nonblocking && e == WsaError::WSAEWOULDBLOCK.0 {
                    idle += 1;
                    if idle > WOULDBLOCK_MAX {
                        return Err(Failure::Check(format!(
                            "send made no progress for {WOULDBLOCK_MAX} ms (WSAEWOULDBLOCK every time)"
                        )));
                    }
                    Sleep(1);
                    continue;
                }
                return Err(ctx.fail_with("send", e, false));
            }
            idle = 0;
            ctx.add_sent(n as u64);
            if snd.bug == Some(Bug::AssumeFullSend) {
                // The mistake: "send never sends partially" (it may, documented).
                off = size;
            } else {
                off += n as usize;
            }
        }
    }
    Ok(())
}

/// One overlapped send's slot: its buffer, `WSABUF`, `WSAOVERLAPPED` and event.
struct Slot {
    data: Ptr,
    wsabuf: Ptr,
    ov: Ptr,
    event: HANDLE,
}

fn send_overlapped(
    ctx: &Ctx,
    s: SOCKET,
    snd: &Sender,
    completion: Completion,
    outstanding: u32,
) -> R<()> {
    let size = snd.size as usize;
    let reuse = snd.bug == Some(Bug::ReuseOverlapped);
    let mut slots: Vec<Slot> = Vec::new();
    for k in 0..outstanding as usize {
        let data = api::alloc(size);
        let wsabuf = api::alloc_wsabufs(&[WsaBuf {
            len: snd.size,
            buf: data,
        }]);
        let (ov, event) = if reuse && k > 0 {
            // The mistake: one WSAOVERLAPPED (and its event) for every send in flight.
            (slots[0].ov, slots[0].event)
        } else {
            let event = match completion {
                Completion::Event => {
                    let e = WSACreateEvent();
                    if e == 0 {
                        return Err(ctx.fail("WSACreateEvent"));
                    }
                    e
                }
                Completion::Routine => 0,
            };
            (api::alloc_overlapped(event), event)
        };
        slots.push(Slot {
            data,
            wsabuf,
            ov,
            event,
        });
    }
    // Routine mode: the routine records (lpOverlapped, dwError, cbTransferred).
    let done: Arc<Mutex<Vec<(Ptr, u32, u32)>>> = Arc::new(Mutex::new(Vec::new()));
    let routine = match completion {
        Completion::Routine => {
            let d = Arc::clone(&done);
            api::routine(move |err, bytes, ov, _flags| {
                d.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((ov, err, bytes));
            })
        }
        Completion::Event => Ptr::NULL,
    };
    let bytes = api::alloc(4);
    let flags = api::alloc(4);
    // (slot, buffer index), oldest first.
    let mut in_flight: VecDeque<(usize, u32)> = VecDeque::new();
    let mut next = 0u32;
    let mut refused = 0u32;
    while next < snd.count || !in_flight.is_empty() {
        if next < snd.count && in_flight.len() < outstanding as usize {
            let slot = (0..slots.len())
                .find(|k| !in_flight.iter().any(|(f, _)| f == k))
                .expect("fewer in flight than slots");
            let sl = &slots[slot];
            api::write(sl.data, &pattern(offset_of(snd, next), size));
            ctx.before();
            let rc = WSASend(s, sl.wsabuf, 1, Ptr::NULL, 0, sl.ov, routine);
            if rc == 0 {
                // "the completion routine will have already been scheduled" (or the
                // event signalled): the completion is still collected below.
                in_flight.push_back((slot, next));
                next += 1;
                refused = 0;
                continue;
            }
            let e = WSAGetLastError() as u32;
            if e == WsaError::WSA_IO_PENDING.0 {
                if snd.bug == Some(Bug::IgnoreIoPending) {
                    // The mistake: SOCKET_ERROR taken for a failure, whatever the code.
                    return Err(Failure::Check(
                        "WSASend failed with error: 997 (the program took WSA_IO_PENDING, \"successfully initiated\", for a failure)".to_string(),
                    ));
                }
                in_flight.push_back((slot, next));
                next += 1;
                refused = 0;
                continue;
            }
            if e == WsaError::WSAEWOULDBLOCK.0 {
                // "There are too many outstanding overlapped I/O requests": wait for one
                // to complete, then try again.
                ctx.record("WSASend", e, false, true);
                refused += 1;
                if refused > WOULDBLOCK_MAX {
                    return Err(ctx.fail_with("WSASend", e, false));
                }
                if in_flight.is_empty() {
                    SleepEx(1, TRUE);
                    continue;
                }
            } else {
                return Err(ctx.fail_with("WSASend", e, false));
            }
        }
        // Collect at least one completion.
        match completion {
            Completion::Event => {
                let (slot, _) = *in_flight.front().expect("something is in flight");
                let sl = &slots[slot];
                let events = api::alloc_bytes(&sl.event.to_le_bytes());
                // HasOverlappedIoCompleted: Internal is no longer STATUS_PENDING (a
                // shared, reused structure may already have been waited for).
                let internal = api::harness_world(|w, _| w.overlapped_internal(sl.ov));
                if internal == Some(0x103) {
                    loop {
                        let r = WSAWaitForMultipleEvents(1, events, TRUE, INFINITE, TRUE);
                        if r == WSA_WAIT_FAILED {
                            return Err(ctx.fail("WSAWaitForMultipleEvents"));
                        }
                        if r != WAIT_IO_COMPLETION {
                            break;
                        }
                    }
                }
                if WSAGetOverlappedResult(s, sl.ov, bytes, FALSE, flags) == 0 {
                    return Err(ctx.overlapped_failure("WSASend"));
                }
                ctx.add_sent(u64::from(api::read_u32(bytes)));
                WSAResetEvent(sl.event);
                in_flight.pop_front();
            }
            Completion::Routine => {
                SleepEx(INFINITE, TRUE);
                let finished: Vec<(Ptr, u32, u32)> =
                    std::mem::take(&mut *done.lock().unwrap_or_else(|e| e.into_inner()));
                for (ov, err, n) in finished {
                    let Some(pos) = in_flight.iter().position(|&(k, _)| slots[k].ov == ov) else {
                        continue;
                    };
                    if snd.bug == Some(Bug::AssumeRoutineOrder) && pos != 0 {
                        // The mistake: "routines run in the order the sends were issued".
                        return Err(Failure::Check(format!(
                            "the completion routine of send #{} ran before the one of send #{}, issued earlier: this program assumed completion routines run in issue order",
                            in_flight[pos].1 + 1,
                            in_flight[0].1 + 1
                        )));
                    }
                    if err != 0 {
                        return Err(ctx.fail_with("WSASend", err, true));
                    }
                    ctx.add_sent(u64::from(n));
                    in_flight.remove(pos);
                }
            }
        }
    }
    for sl in &slots {
        if sl.event != 0 && !(reuse && sl.ov != slots[0].ov) {
            WSACloseEvent(sl.event);
        }
    }
    Ok(())
}

// ----- receiver -------------------------------------------------------------------------

fn receiver(ctx: &Ctx, rcv: &Receiver) -> R<()> {
    let want = ctx.scenario.expected_of(ctx.index);
    match rcv.protocol {
        Protocol::Tcp => {
            let rcvbuf = rcv.rcvbuf;
            let timeout = rcv.timeout_ms;
            let c = ctx;
            let setup = |s: SOCKET| -> R<()> {
                if let Some(n) = rcvbuf {
                    set_int_opt(c, s, SO_RCVBUF, n)?;
                }
                if timeout > 0 {
                    set_int_opt(c, s, SO_RCVTIMEO, timeout)?;
                }
                Ok(())
            };
            let s = match rcv.endpoint {
                Endpoint::Connect(a) => connect_stream(c, &a, setup)?,
                Endpoint::Listen(a) => {
                    let l = listen_stream(ctx, &a, setup)?;
                    let s = accept_one(ctx, l);
                    closesocket(l);
                    s?
                }
            };
            let r = receive_stream(ctx, s, rcv, want);
            close(ctx, s, Close::Graceful);
            r
        }
        Protocol::Udp => {
            let a = rcv.endpoint.addr();
            let s = new_socket(ctx, &a, Protocol::Udp)?;
            if let Some(n) = rcv.rcvbuf {
                set_int_opt(ctx, s, SO_RCVBUF, n)?;
            }
            if rcv.timeout_ms > 0 {
                set_int_opt(ctx, s, SO_RCVTIMEO, rcv.timeout_ms)?;
            }
            let (name, len) = sockaddr_buf(&a);
            if bind(s, name, len) != 0 {
                return Err(ctx.fail("bind"));
            }
            ctx.signal_ready();
            let r = receive_datagrams(ctx, s, rcv, want);
            close(ctx, s, Close::Graceful);
            r
        }
    }
}

fn receive_stream(ctx: &Ctx, s: SOCKET, rcv: &Receiver, want: Option<u64>) -> R<()> {
    let size = rcv.read_size as usize;
    let buf = api::alloc(size);
    let (wsabuf, ov, event, count, flags) = if rcv.overlapped {
        let event = WSACreateEvent();
        (
            api::alloc_wsabufs(&[WsaBuf {
                len: rcv.read_size,
                buf,
            }]),
            api::alloc_overlapped(event),
            event,
            api::alloc(4),
            api::alloc(4),
        )
    } else {
        (Ptr::NULL, Ptr::NULL, 0, Ptr::NULL, Ptr::NULL)
    };
    let mut got = 0u64;
    loop {
        if want.is_some_and(|w| got >= w) {
            break;
        }
        ctx.before_recv();
        let n = if rcv.overlapped {
            api::write(flags, &0u32.to_le_bytes());
            let rc = WSARecv(s, wsabuf, 1, Ptr::NULL, flags, ov, Ptr::NULL);
            if rc != 0 {
                let e = WSAGetLastError() as u32;
                if e != WsaError::WSA_IO_PENDING.0 {
                    return Err(ctx.fail_with("WSARecv", e, false));
                }
            }
            let events = api::alloc_bytes(&event.to_le_bytes());
            WSAWaitForMultipleEvents(1, events, TRUE, INFINITE, FALSE);
            if WSAGetOverlappedResult(s, ov, count, FALSE, flags) == 0 {
                return Err(ctx.overlapped_failure("WSARecv"));
            }
            WSAResetEvent(event);
            api::read_u32(count) as usize
        } else {
            let n = recv(s, buf, size as i32, 0);
            if n == SOCKET_ERROR {
                return Err(ctx.fail("recv"));
            }
            n as usize
        };
        if n == 0 {
            break;
        }
        check(got, &api::read(buf, n), "stream")?;
        got += n as u64;
        ctx.set_received(got);
    }
    if event != 0 {
        WSACloseEvent(event);
    }
    match want {
        Some(w) if got < w => Err(Failure::Short { got, want: w }),
        _ => Ok(()),
    }
}

fn receive_datagrams(ctx: &Ctx, s: SOCKET, rcv: &Receiver, want: Option<u64>) -> R<()> {
    let size = rcv.read_size as usize;
    let buf = api::alloc(size);
    let mut got = 0u64;
    let mut newest = 0u8;
    loop {
        if want.is_some_and(|w| got >= w) {
            break;
        }
        ctx.before_recv();
        let n = recv(s, buf, size as i32, 0);
        if n == SOCKET_ERROR {
            let e = WSAGetLastError() as u32;
            // SO_RCVTIMEO: no more datagrams are coming.
            if e == WsaError::WSAETIMEDOUT.0 {
                break;
            }
            return Err(ctx.fail_with("recv", e, false));
        }
        let bytes = api::read(buf, n as usize);
        // Datagram k carries the pattern from offset k: its first byte numbers it.
        let first = bytes.first().copied().unwrap_or(0);
        check(u64::from(first), &bytes, &format!("datagram {}:", got + 1))?;
        if got > 0 && first.wrapping_sub(newest) >= 128 {
            // Sent before the newest one seen so far: it was overtaken.
            ctx.log().programs[ctx.index].reordered += 1;
        } else {
            newest = first;
        }
        got += 1;
        ctx.set_received(got);
    }
    match want {
        Some(w) if got < w => Err(Failure::Short { got, want: w }),
        _ => Ok(()),
    }
}

// ----- echo server ----------------------------------------------------------------------

fn echo_server(ctx: &Ctx, e: &EchoServer) -> R<()> {
    let l = listen_stream(ctx, &e.listen, |_| Ok(()))?;
    let buf = api::alloc(CHUNK);
    for _ in 0..e.accept {
        let s = match accept_one(ctx, l) {
            Ok(s) => s,
            Err(f) => {
                closesocket(l);
                return Err(f);
            }
        };
        let r = (|| -> R<()> {
            loop {
                ctx.before_recv();
                let n = recv(s, buf, CHUNK as i32, 0);
                if n == SOCKET_ERROR {
                    return Err(ctx.fail("recv"));
                }
                if n == 0 {
                    return Ok(());
                }
                send_all(ctx, s, buf, n as usize)?;
            }
        })();
        close(ctx, s, Close::Graceful);
        if let Err(f) = r {
            closesocket(l);
            return Err(f);
        }
    }
    closesocket(l);
    Ok(())
}

fn send_all(ctx: &Ctx, s: SOCKET, buf: Ptr, len: usize) -> R<()> {
    let mut off = 0;
    while off < len {
        ctx.before();
        let n = send(s, Ptr(buf.0 + off as u64), (len - off) as i32, 0);
        if n == SOCKET_ERROR {
            return Err(ctx.fail("send"));
        }
        off += n as usize;
        ctx.add_sent(n as u64);
    }
    Ok(())
}

// ----- client ---------------------------------------------------------------------------

fn client(ctx: &Ctx, c: &Client) -> R<()> {
    let mut s: Option<SOCKET> = None;
    let (mut sent, mut got) = (0u64, 0u64);
    let buf = api::alloc(CHUNK);
    let result = (|| -> R<()> {
        for step in &c.script {
            match step {
                Step::Connect(a) => {
                    if let Some(old) = s.take() {
                        closesocket(old);
                        ctx.closed(old);
                    }
                    s = Some(connect_stream(ctx, a, |_| Ok(()))?);
                    (sent, got) = (0, 0);
                }
                Step::Send(n) => {
                    let sock = s.expect("parse puts a connect first");
                    let mut left = *n;
                    while left > 0 {
                        let k = left.min(CHUNK as u64) as usize;
                        api::write(buf, &pattern(sent, k));
                        send_all(ctx, sock, buf, k)?;
                        sent += k as u64;
                        left -= k as u64;
                    }
                }
                Step::Recv(_) | Step::RecvAll if s.is_none() => {
                    return Err(Failure::Check("recv after close".to_string()));
                }
                Step::Recv(_) | Step::RecvAll => {
                    let sock = s.expect("checked above");
                    let want = match step {
                        Step::Recv(n) => Some(got + n),
                        _ => None,
                    };
                    loop {
                        if want.is_some_and(|w| got >= w) {
                            break;
                        }
                        let len = want.map_or(CHUNK as u64, |w| (w - got).min(CHUNK as u64));
                        ctx.before_recv();
                        let n = recv(sock, buf, len as i32, 0);
                        if n == SOCKET_ERROR {
                            return Err(ctx.fail("recv"));
                        }
                        if n == 0 {
                            if let Some(w) = want {
                                return Err(Failure::Short { got, want: w });
                            }
                            break;
                        }
                        check(got, &api::read(buf, n as usize), "echoed")?;
                        got += n as u64;
                        ctx.set_received(got);
                    }
                }
                Step::Shutdown(how) => {
                    let sock = s.expect("parse puts a connect first");
                    if shutdown(sock, *how) != 0 {
                        return Err(ctx.fail("shutdown"));
                    }
                }
                Step::Sleep(ms) => Sleep(*ms),
                Step::Close => {
                    if let Some(old) = s.take() {
                        closesocket(old);
                        ctx.closed(old);
                    }
                }
            }
        }
        Ok(())
    })();
    if let Some(old) = s.take() {
        closesocket(old);
        ctx.closed(old);
    }
    result
}
