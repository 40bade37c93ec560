//! The built-in demo: the WSASend seed's example program, run against a simulated client.
//!
//! The server thread runs the seed's code step for step (WSAStartup, socket, bind,
//! listen, accept, then ten overlapped `WSASend`s of 4096 bytes, each followed by
//! `WSAWaitForMultipleEvents`, `WSAGetOverlappedResult` and `WSAResetEvent`). Its
//! accepted socket has `SO_SNDBUF = 0`, so each send stays pending until the client's
//! receive buffer has taken its bytes, one millisecond away: the timeline shows each
//! operation issued, pending, consumed, completed and its event signalled.

use std::fmt::Write as _;
use wsasim_core::consts::*;
use wsasim_core::harness::Harness;
use wsasim_core::memory::UserMemoryExt;
use wsasim_core::net::{HostId, IpAddr, Link, SockAddr};
use wsasim_core::time::Duration;
use wsasim_core::trace::{OpEvent, Record};
use wsasim_core::{Config, Profile, Ptr, ThreadId, WsaBuf};

/// What a demo run produced.
#[derive(Debug)]
pub struct Output {
    /// The text to print.
    pub report: String,
    /// The JSON Lines trace.
    pub trace_jsonl: String,
}

const DATA_BUFSIZE: u32 = 4096;
const SEND_COUNT: usize = 10;

fn check(cond: bool, what: &str, h: &Harness, t: ThreadId) -> Result<(), String> {
    if cond {
        Ok(())
    } else {
        Err(format!("{what} failed with error: {}", h.last_error(t)))
    }
}

fn sockaddr(h: &mut Harness, text: &str) -> (Ptr, i32) {
    let a = SockAddr::parse(text).expect("demo addresses are valid");
    let (raw, len) = a.to_bytes();
    (h.sim().alloc_bytes(&raw[..len]), len as i32)
}

/// Runs the demo with `seed` in `profile`.
pub fn run(seed: u64, profile: Profile) -> Result<Output, String> {
    let mut h = Harness::new(Config::new(seed, profile));
    let mut out = String::new();
    let _ = writeln!(out, "SEED={seed} PROFILE={}", profile.name());

    // Two hosts, 1 ms apart at 100 Mbit/s.
    let server_ip = IpAddr::parse("10.0.0.1").expect("valid");
    let client_ip = IpAddr::parse("10.0.0.2").expect("valid");
    let net = h.network_mut();
    net.host_mut(HostId(0)).addrs.push(server_ip);
    let client_host = net.add_host("client", &[client_ip]);
    net.link(
        HostId(0),
        client_host,
        Link {
            latency: Duration::from_millis(1),
            bandwidth: Some(12_500_000),
        },
    );
    let server = h.main_thread();
    let client = h.create_thread();
    h.set_thread_host(client, client_host);

    // The seed's program, server side.
    let wsd = h.sim().alloc(408);
    let rc = h.wsa_startup(server, makeword(2, 2), wsd);
    if rc != 0 {
        return Err(format!("Unable to load Winsock: {rc}"));
    }
    let listen_socket = h.socket(server, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    check(listen_socket != INVALID_SOCKET, "socket", &h, server)?;
    let (any, len) = sockaddr(&mut h, "0.0.0.0:27015");
    let rc = h.bind(server, listen_socket, any, len);
    check(rc == 0, "bind", &h, server)?;
    let rc = h.listen(server, listen_socket, 1);
    check(rc == 0, "listen", &h, server)?;

    // The client: connect, then post ten overlapped receives.
    let cs = h.socket(client, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    let (srv, len) = sockaddr(&mut h, "10.0.0.1:27015");
    let call = h.connect(client, cs, srv, len);
    let rc = h
        .run(client, call)
        .map_err(|e| format!("client connect: {e:?}"))?;
    check(rc == 0, "connect", &h, client)?;

    let call = h.accept(server, listen_socket, Ptr::NULL, Ptr::NULL);
    let accept_socket = h.run(server, call).map_err(|e| format!("accept: {e:?}"))? as u64;
    check(accept_socket != INVALID_SOCKET, "accept", &h, server)?;
    let _ = writeln!(out, "Client Accepted...");
    let zero = h.sim().alloc_bytes(&0u32.to_le_bytes());
    let rc = h.setsockopt(server, accept_socket, SOL_SOCKET, SO_SNDBUF, zero, 4);
    check(rc == 0, "setsockopt(SO_SNDBUF)", &h, server)?;

    let mut client_bufs = Vec::new();
    for _ in 0..SEND_COUNT {
        let data = h.sim().alloc(DATA_BUFSIZE as usize);
        let arr = h.sim().alloc_wsabufs(&[WsaBuf {
            len: DATA_BUFSIZE,
            buf: data,
        }]);
        let ov = h.sim().alloc_overlapped(0);
        let flags = h.sim().alloc(4);
        let call = h.wsa_recv(client, cs, arr, 1, Ptr::NULL, flags, ov, Ptr::NULL);
        let rc = h
            .run(client, call)
            .map_err(|e| format!("client WSARecv: {e:?}"))?;
        check(
            rc == 0 || h.last_error(client) == 997,
            "client WSARecv",
            &h,
            client,
        )?;
        client_bufs.push((data, ov));
    }

    // The seed's send loop.
    let buffer = h.sim().alloc_bytes(&[b'x'; DATA_BUFSIZE as usize]);
    let data_buf = h.sim().alloc_wsabufs(&[WsaBuf {
        len: DATA_BUFSIZE,
        buf: buffer,
    }]);
    let send_overlapped = h.sim().alloc(32);
    let event = h.wsa_create_event(server);
    check(event != 0, "WSACreateEvent", &h, server)?;
    h.mem_mut()
        .write_u64(Ptr(send_overlapped.0 + 24), event)
        .map_err(|_| "overlapped".to_string())?;
    let event_array = h.sim().alloc_bytes(&event.to_le_bytes());
    let send_bytes = h.sim().alloc(4);
    let flags = h.sim().alloc(4);
    for _ in 0..SEND_COUNT {
        let call = h.wsa_send(
            server,
            accept_socket,
            data_buf,
            1,
            send_bytes,
            0,
            send_overlapped,
            Ptr::NULL,
        );
        let rc = h.run(server, call).map_err(|e| format!("WSASend: {e:?}"))?;
        let err = h.last_error(server);
        if rc == i64::from(SOCKET_ERROR) && err != 997 {
            return Err(format!("WSASend failed with error: {err}"));
        }
        let call = h.wsa_wait_for_multiple_events(server, 1, event_array, TRUE, INFINITE, TRUE);
        let rc = h
            .run(server, call)
            .map_err(|e| format!("WSAWaitForMultipleEvents: {e:?}"))?;
        check(
            rc != i64::from(WSA_WAIT_FAILED),
            "WSAWaitForMultipleEvents",
            &h,
            server,
        )?;
        let call = h.wsa_get_overlapped_result(
            server,
            accept_socket,
            send_overlapped,
            send_bytes,
            FALSE,
            flags,
        );
        let rc = h
            .run(server, call)
            .map_err(|e| format!("WSAGetOverlappedResult: {e:?}"))?;
        check(rc != 0, "WSASend", &h, server)?;
        let n = h.mem().read_u32(send_bytes).unwrap_or(0);
        let _ = writeln!(out, "Wrote {n} bytes");
        h.wsa_reset_event(server, event);
    }
    h.wsa_close_event(server, event);
    let call = h.closesocket(server, accept_socket);
    h.run(server, call)
        .map_err(|e| format!("closesocket: {e:?}"))?;
    let call = h.closesocket(server, listen_socket);
    h.run(server, call)
        .map_err(|e| format!("closesocket: {e:?}"))?;
    // Let the last bytes and the FIN reach the client.
    while h.step() {}
    let mut received = 0u64;
    for (_, ov) in &client_bufs {
        received += h.mem().read_u64(Ptr(ov.0 + 8)).unwrap_or(0);
    }
    h.wsa_cleanup(server);

    timeline(&h, &mut out, accept_socket);
    let ops = h.trace().entries().iter().filter(|e| matches!(e.rec, Record::Op { event: OpEvent::Issued, socket, .. } if socket == accept_socket)).count();
    let pending = h.trace().entries().iter().filter(|e| matches!(e.rec, Record::Op { event: OpEvent::Pending, socket, .. } if socket == accept_socket)).count();
    let _ = writeln!(out, "\nsummary");
    let _ = writeln!(out, "  sends issued     {ops}");
    let _ = writeln!(out, "  pending          {pending}");
    let _ = writeln!(out, "  immediate        {}", ops - pending);
    let _ = writeln!(out, "  bytes received   {received}");
    let _ = writeln!(out, "  virtual time     {}", h.now());
    let _ = writeln!(out, "  trace records    {}", h.trace().len());
    let _ = writeln!(out, "  trace hash       {:016x}", h.trace().hash());
    Ok(Output {
        report: out,
        trace_jsonl: h.trace().to_jsonl(),
    })
}

/// One line per moment of each send's life on the server's socket.
fn timeline(h: &Harness, out: &mut String, socket: u64) {
    let _ = writeln!(
        out,
        "\ntimeline of the server's WSASend operations (virtual time)"
    );
    for e in h.trace().entries() {
        if let Record::Op {
            op,
            socket: s,
            event,
            a,
            b,
        } = e.rec
        {
            if s != socket {
                continue;
            }
            let what = match event {
                OpEvent::Issued => format!("issued, {a} bytes"),
                OpEvent::Immediate => "completed immediately (WSASend returned 0)".to_string(),
                OpEvent::Pending => {
                    "pending (WSASend returned SOCKET_ERROR, WSA_IO_PENDING)".to_string()
                }
                OpEvent::Consumed => format!("transport consumed {a} bytes"),
                OpEvent::Completed => format!("completed: Internal=0x{a:x}, InternalHigh={b}"),
                OpEvent::RoutineQueued => format!("completion routine queued to thread {a}"),
                OpEvent::EventSignaled => format!("event 0x{a:x} signalled"),
                OpEvent::Delivered => format!("completion routine delivered on thread {a}"),
            };
            let _ = writeln!(out, "  {:>16}  op {op:>3}  {what}", e.at.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_writes_ten_buffers_and_the_client_receives_them() {
        let out = run(0, Profile::Windows).expect("the demo runs");
        assert!(out.report.contains("Client Accepted..."));
        assert_eq!(out.report.matches("Wrote 4096 bytes").count(), 10);
        assert!(out.report.contains("bytes received   40960"));
        assert!(
            out.report.contains("pending          10"),
            "SO_SNDBUF = 0 and 1 ms away: every send pends"
        );
    }

    #[test]
    fn demo_is_deterministic() {
        for profile in [Profile::Windows, Profile::Documented] {
            let a = run(7, profile).expect("runs");
            let b = run(7, profile).expect("runs");
            assert_eq!(a.trace_jsonl, b.trace_jsonl);
            assert_eq!(a.report, b.report);
        }
    }
}
