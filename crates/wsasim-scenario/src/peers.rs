//! The scripted peers: simulated threads that call Winsock like any program. What they
//! see (bytes read, errors) is in the trace through those calls; they print nothing, so
//! the program's stdout stays the program's.
//!
//! Each peer calls `WSAStartup` itself and never `WSACleanup` (the reference count lets
//! the program's own `WSAStartup`/`WSACleanup` pair work as it would alone). A peer's
//! exit code is 0 when its script ran to the end, or the WSA error code of the call that
//! stopped it.

use crate::{Close, Mode, Payload, Peer, Read, Role, Scenario, TcpClient, TcpServer};
use std::sync::{Arc, Mutex};
use wsasim_core::net::{HostId, SockAddr};
use wsasim_core::Ptr;
use wsasim_runtime::api::{self, *};

/// Size of a peer's receive buffer and of its send chunks.
const CHUNK: usize = 64 * 1024;

/// A buffer the model can read and write: in a simulated address space, an allocation
/// there; in a process's own memory (a C program's run), a heap buffer of this thread,
/// passed by address.
struct Buf {
    ptr: Ptr,
    /// Keeps the heap buffer alive (and unmoved) while the model uses its address.
    _own: Option<Vec<u8>>,
}

impl Buf {
    fn new(bytes: &[u8]) -> Buf {
        if api::has_sim_memory() {
            return Buf {
                ptr: api::alloc_bytes(bytes),
                _own: None,
            };
        }
        let mut v = bytes.to_vec();
        if v.is_empty() {
            v.push(0);
        }
        // The address of a heap buffer that never grows: it stays valid until `Buf` drops.
        let ptr = Ptr(v.as_mut_ptr() as u64);
        Buf { ptr, _own: Some(v) }
    }

    fn zeroed(len: usize) -> Buf {
        Buf::new(&vec![0; len])
    }

    fn at(&self, offset: usize) -> Ptr {
        Ptr(self.ptr.0 + offset as u64)
    }
}

fn addr_buf(a: &SockAddr) -> (Buf, i32) {
    let (raw, len) = a.to_bytes();
    (Buf::new(&raw[..len]), len as i32)
}

fn last_error() -> u32 {
    WSAGetLastError() as u32
}

fn startup() -> Result<(), u32> {
    let data = Buf::zeroed(408);
    match WSAStartup(0x0202, data.ptr) {
        0 => Ok(()),
        e => Err(e as u32),
    }
}

/// Starts a peer's thread on `host`: a harness thread (`World::mark_harness_thread`),
/// so the sockets it makes are the scenario's, not the program's, and faults aimed at
/// an external program's sockets skip them (`Scenario::start_faults`). The mark comes
/// before the thread's first call.
fn peer_thread(host: HostId, body: impl FnOnce() -> u32 + Send + 'static) -> u64 {
    api::create_thread_on(host, move || {
        api::harness_world(|w, t| w.mark_harness_thread(t));
        body()
    })
}

/// Sleeps until virtual time `ms` (no call when it has come).
fn sleep_until(ms: u32) {
    let target = u64::from(ms) * 1_000_000;
    let now = api::now().as_nanos();
    if target > now {
        Sleep((target - now).div_ceil(1_000_000) as u32);
    }
}

fn af(a: &SockAddr) -> i32 {
    a.ip.family()
}

/// Sends `len` bytes at `p`, however many `send` calls it takes.
fn send_all(s: SOCKET, p: &Buf, len: usize) -> Result<(), u32> {
    let mut sent = 0;
    while sent < len {
        let n = send(s, p.at(sent), (len - sent) as i32, 0);
        if n == SOCKET_ERROR {
            return Err(last_error());
        }
        sent += n as usize;
    }
    Ok(())
}

/// Closes `s` as the scenario says.
fn close(s: SOCKET, how: Close) {
    if how == Close::Reset {
        // LINGER { l_onoff = 1, l_linger = 0 }: closesocket then resets the connection.
        let linger = Buf::new(&[1, 0, 0, 0]);
        setsockopt(s, SOL_SOCKET, SO_LINGER, linger.ptr, 4);
    }
    closesocket(s);
}

pub(crate) fn start(scenario: &Scenario) -> Vec<u64> {
    scenario.peers().iter().map(start_one).collect()
}

fn start_one(peer: &Peer) -> u64 {
    let host = api::host_named(&peer.host).unwrap_or_else(|| {
        panic!(
            "wsasim-scenario: the world has no host {:?}: install the scenario before start_peers",
            peer.host
        )
    });
    let (start_ms, how) = (peer.start_ms, peer.close);
    match &peer.role {
        Role::TcpClient(c) => {
            let c = c.clone();
            peer_thread(host, move || match client(&c, start_ms, how) {
                Ok(()) => 0,
                Err(e) => e,
            })
        }
        Role::TcpServer(sv) => start_server(host, sv.clone(), start_ms, how),
    }
}

fn client(c: &TcpClient, start_ms: u32, how: Close) -> Result<(), u32> {
    startup()?;
    sleep_until(start_ms);
    let (name, namelen) = addr_buf(&c.connect);
    let mut attempt = 1;
    let s = loop {
        let s = socket(af(&c.connect), SOCK_STREAM, IPPROTO_TCP);
        if s == INVALID_SOCKET {
            return Err(last_error());
        }
        if connect(s, name.ptr, namelen) == 0 {
            break s;
        }
        let e = last_error();
        closesocket(s);
        // The program under test may listen after the peer's start time: a refused
        // connect is tried again, every connect_retry_ms, up to connect_attempts times.
        if e != wsasim_core::WsaError::WSAECONNREFUSED.0 || attempt >= c.connect_attempts {
            return Err(e);
        }
        attempt += 1;
        Sleep(c.connect_retry_ms);
    };
    let result = converse(s, c);
    close(s, how);
    result
}

/// What a connected client does: send, maybe shut down its sending side, read.
fn converse(s: SOCKET, c: &TcpClient) -> Result<(), u32> {
    match &c.send {
        Payload::None => {}
        Payload::Text(bytes) => send_all(s, &Buf::new(bytes), bytes.len())?,
        Payload::Pattern(total) => {
            // Byte i of the stream is i mod 256; a chunk is a multiple of 256 long, so
            // every chunk starts the pattern afresh.
            let pattern: Vec<u8> = (0..CHUNK).map(|i| i as u8).collect();
            let chunk = Buf::new(&pattern);
            let mut left = *total;
            while left > 0 {
                let n = left.min(CHUNK as u64) as usize;
                send_all(s, &chunk, n)?;
                left -= n as u64;
            }
        }
    }
    if c.shutdown_send && shutdown(s, SD_SEND) == SOCKET_ERROR {
        return Err(last_error());
    }
    let want = match c.read {
        Read::None => return Ok(()),
        Read::All => u64::MAX,
        Read::Bytes(n) => n,
    };
    let buf = Buf::zeroed(CHUNK);
    let mut got = 0u64;
    while got < want {
        let len = (want - got).min(CHUNK as u64) as i32;
        let n = recv(s, buf.ptr, len, 0);
        if n == SOCKET_ERROR {
            return Err(last_error());
        }
        if n == 0 {
            break;
        }
        got += n as u64;
    }
    Ok(())
}

/// Starts a server peer. One whose start time has come listens before this returns: a
/// setup thread binds and listens, starts the serving thread and exits, and the caller
/// waits for it. Returns the serving thread's handle (the setup thread's, when setup
/// failed: its exit code is the error).
fn start_server(host: HostId, sv: TcpServer, start_ms: u32, how: Close) -> u64 {
    if u64::from(start_ms) * 1_000_000 > api::now().as_nanos() {
        return peer_thread(host, move || {
            sleep_until(start_ms);
            match listening(&sv) {
                Ok(l) => serve(l, &sv, how),
                Err(e) => e,
            }
        });
    }
    let serving: Arc<Mutex<Option<u64>>> = Arc::new(Mutex::new(None));
    let slot = Arc::clone(&serving);
    let setup = peer_thread(host, move || match listening(&sv) {
        Ok(l) => {
            let h = peer_thread(host, move || serve(l, &sv, how));
            *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(h);
            0
        }
        Err(e) => e,
    });
    WaitForSingleObject(setup, INFINITE);
    let serving = serving.lock().unwrap_or_else(|e| e.into_inner()).take();
    match serving {
        Some(h) => {
            CloseHandle(setup);
            h
        }
        None => setup,
    }
}

/// `WSAStartup`, `socket`, `bind`, `listen`.
fn listening(sv: &TcpServer) -> Result<SOCKET, u32> {
    startup()?;
    let l = socket(af(&sv.listen), SOCK_STREAM, IPPROTO_TCP);
    if l == INVALID_SOCKET {
        return Err(last_error());
    }
    let (name, namelen) = addr_buf(&sv.listen);
    if bind(l, name.ptr, namelen) == SOCKET_ERROR || listen(l, SOMAXCONN) == SOCKET_ERROR {
        let e = last_error();
        closesocket(l);
        return Err(e);
    }
    Ok(l)
}

/// Accepts `sv.accept` connections one after the other, echoing or discarding until
/// the client closes; then closes the listener. Returns the exit code.
fn serve(l: SOCKET, sv: &TcpServer, how: Close) -> u32 {
    let buf = Buf::zeroed(CHUNK);
    for _ in 0..sv.accept {
        let s = accept(l, Ptr::NULL, Ptr::NULL);
        if s == INVALID_SOCKET {
            let e = last_error();
            closesocket(l);
            return e;
        }
        let result = loop {
            let n = recv(s, buf.ptr, CHUNK as i32, 0);
            if n == SOCKET_ERROR {
                break Err(last_error());
            }
            if n == 0 {
                break Ok(());
            }
            if sv.mode == Mode::Echo {
                if let Err(e) = send_all(s, &buf, n as usize) {
                    break Err(e);
                }
            }
        };
        close(s, how);
        if let Err(e) = result {
            closesocket(l);
            return e;
        }
    }
    closesocket(l);
    0
}
