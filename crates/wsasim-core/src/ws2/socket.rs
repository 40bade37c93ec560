//! `socket`, `WSASocket`, `bind`, `listen`, `accept`, `connect`, `getsockname`,
//! `getpeername`, `shutdown`, `closesocket`.
//!
//! Heads up: SDK `socket`, `wsasocketw`, `bind`, `listen`, `accept`, `connect`,
//! `getsockname`, `getpeername`, `shutdown`, `closesocket`; `windows-semantics.md` §5, §6.

use crate::consts::*;
use crate::error::WsaError;
use crate::memory::{Ptr, UserMemoryExt};
use crate::net::SockAddr;
use crate::thread::{Resume, ThreadId};
use crate::time::Duration;
use crate::world::{Call, World};

impl World {
    /// `SOCKET socket(int af, int type, int protocol)`: "A socket created by the socket
    /// function will have the overlapped attribute as the default."
    pub fn socket(&mut self, t: ThreadId, af: i32, ty: i32, protocol: i32) -> SOCKET {
        self.create_socket(t, "socket", af, ty, protocol, WSA_FLAG_OVERLAPPED)
    }

    /// `SOCKET WSASocketW(int af, int type, int protocol, LPWSAPROTOCOL_INFOW
    /// lpProtocolInfo, GROUP g, DWORD dwFlags)`: overlapped only with
    /// `WSA_FLAG_OVERLAPPED`.
    #[allow(clippy::too_many_arguments)]
    pub fn wsa_socket(
        &mut self,
        t: ThreadId,
        af: i32,
        ty: i32,
        protocol: i32,
        _lp_protocol_info: Ptr,
        _g: u32,
        dw_flags: u32,
    ) -> SOCKET {
        self.create_socket(t, "WSASocket", af, ty, protocol, dw_flags)
    }

    fn create_socket(
        &mut self,
        t: ThreadId,
        api: &'static str,
        af: i32,
        ty: i32,
        protocol: i32,
        flags: u32,
    ) -> SOCKET {
        self.trace_call(
            t,
            api,
            &[
                ("af", af as u64),
                ("type", ty as u64),
                ("protocol", protocol as u64),
                ("flags", u64::from(flags)),
            ],
        );
        let r = self.prolog(t).and_then(|_| {
            if af != AF_INET && af != AF_INET6 {
                return Err(WsaError::WSAEAFNOSUPPORT);
            }
            if !matches!(ty, SOCK_STREAM | SOCK_DGRAM | SOCK_RAW) {
                return Err(WsaError::WSAESOCKTNOSUPPORT);
            }
            let p =
                (0..self.providers.len()).find(|&i| self.providers[i].supports(af, ty, protocol));
            let Some(p) = p else {
                return Err(
                    if (0..self.providers.len()).any(|i| self.providers[i].supports(af, ty, 0)) {
                        WsaError::WSAEPROTONOSUPPORT
                    } else {
                        WsaError::WSAESOCKTNOSUPPORT
                    },
                );
            };
            let host = self.k.thread(t).host;
            self.providers[p]
                .socket(
                    &mut self.k,
                    p,
                    host,
                    af,
                    ty,
                    protocol,
                    flags & WSA_FLAG_OVERLAPPED != 0,
                )
                .map(|s| {
                    if self.k.thread(t).harness {
                        self.k.set_socket_harness(s);
                    }
                    s as i64
                })
        });
        self.finish(t, api, r, INVALID_SOCKET as i64)
            .done()
            .expect("socket returns") as u64
    }

    /// `int bind(SOCKET s, const sockaddr *name, int namelen)`.
    pub fn bind(&mut self, t: ThreadId, s: SOCKET, name: Ptr, namelen: i32) -> i32 {
        self.trace_call(
            t,
            "bind",
            &[("s", s), ("name", name.0), ("namelen", namelen as u64)],
        );
        let r = self
            .prolog(t)
            .and_then(|_| self.socket_ref(s))
            .and_then(|(p, r, _)| {
                // bind: WSAEFAULT "the name parameter contains an incorrect address format
                // for the associated address family".
                let addr =
                    SockAddr::read(self.k.mem(), name, namelen).map_err(|_| WsaError::WSAEFAULT)?;
                self.providers[p].bind(&mut self.k, r, addr).map(|_| 0)
            });
        self.finish(t, "bind", r, -1).done().expect("returns") as i32
    }

    /// `int listen(SOCKET s, int backlog)`.
    pub fn listen(&mut self, t: ThreadId, s: SOCKET, backlog: i32) -> i32 {
        self.trace_call(t, "listen", &[("s", s), ("backlog", backlog as u64)]);
        let r = self
            .prolog(t)
            .and_then(|_| self.socket_ref(s))
            .and_then(|(p, r, _)| self.providers[p].listen(&mut self.k, r, backlog).map(|_| 0));
        self.finish(t, "listen", r, -1).done().expect("returns") as i32
    }

    /// `SOCKET accept(SOCKET s, sockaddr *addr, int *addrlen)`.
    pub fn accept(&mut self, t: ThreadId, s: SOCKET, addr: Ptr, addrlen: Ptr) -> Call {
        self.trace_call(
            t,
            "accept",
            &[("s", s), ("addr", addr.0), ("addrlen", addrlen.0)],
        );
        let fail = INVALID_SOCKET as i64;
        let (p, r, _) = match self.prolog(t).and_then(|_| self.socket_ref(s)) {
            Ok(x) => x,
            Err(e) => return self.finish(t, "accept", Err(e), fail),
        };
        // accept: WSAEFAULT "The addrlen parameter is too small or addr is not a valid
        // part of the user address space."
        if !addr.is_null() {
            let ok =
                !addrlen.is_null() && self.k.mem.read_u32(addrlen).is_ok_and(|n| n as i32 >= 16);
            if !ok {
                return self.finish(t, "accept", Err(WsaError::WSAEFAULT), fail);
            }
        }
        match self.providers[p].accept(&mut self.k, r, t) {
            Ok((new, _)) => {
                let w = self.write_peer(new, addr, addrlen).map(|_| new as i64);
                self.finish(t, "accept", w, fail)
            }
            Err(WsaError::WSA_IO_PENDING) => self.block_on_op(
                t,
                "accept",
                p,
                r,
                Resume::Accept { addr, addrlen },
                None,
                fail,
            ),
            Err(e) => self.finish(t, "accept", Err(e), fail),
        }
    }

    /// `int connect(SOCKET s, const sockaddr *name, int namelen)`. A connect to a
    /// listening socket completes through its backlog, before `accept` is called.
    pub fn connect(&mut self, t: ThreadId, s: SOCKET, name: Ptr, namelen: i32) -> Call {
        self.trace_call(
            t,
            "connect",
            &[("s", s), ("name", name.0), ("namelen", namelen as u64)],
        );
        let fail = i64::from(SOCKET_ERROR);
        let (p, r, _) = match self.prolog(t).and_then(|_| self.socket_ref(s)) {
            Ok(x) => x,
            Err(e) => return self.finish(t, "connect", Err(e), fail),
        };
        let addr = match SockAddr::read(self.k.mem(), name, namelen) {
            Ok(a) => a,
            Err(e) => return self.finish(t, "connect", Err(e), fail),
        };
        match self.providers[p].connect(&mut self.k, r, t, addr) {
            Ok(()) => self.finish(t, "connect", Ok(0), fail),
            Err(WsaError::WSA_IO_PENDING) => {
                self.block_on_op(t, "connect", p, r, Resume::Connect, None, fail)
            }
            Err(e) => self.finish(t, "connect", Err(e), fail),
        }
    }

    /// `int getsockname(SOCKET s, sockaddr *name, int *namelen)`.
    pub fn getsockname(&mut self, t: ThreadId, s: SOCKET, name: Ptr, namelen: Ptr) -> i32 {
        self.trace_call(t, "getsockname", &[("s", s)]);
        let r = self
            .prolog(t)
            .and_then(|_| self.socket_ref(s))
            .and_then(|(p, r, _)| {
                let a = self.providers[p].sock_name(&self.k, r)?;
                a.write_out(&mut *self.k.mem, name, namelen).map(|_| 0)
            });
        self.finish(t, "getsockname", r, -1)
            .done()
            .expect("returns") as i32
    }

    /// `int getpeername(SOCKET s, sockaddr *name, int *namelen)`.
    pub fn getpeername(&mut self, t: ThreadId, s: SOCKET, name: Ptr, namelen: Ptr) -> i32 {
        self.trace_call(t, "getpeername", &[("s", s)]);
        let r = self
            .prolog(t)
            .and_then(|_| self.socket_ref(s))
            .and_then(|(p, r, _)| {
                let a = self.providers[p].peer_name(&self.k, r)?;
                a.write_out(&mut *self.k.mem, name, namelen).map(|_| 0)
            });
        self.finish(t, "getpeername", r, -1)
            .done()
            .expect("returns") as i32
    }

    /// `int shutdown(SOCKET s, int how)`.
    pub fn shutdown(&mut self, t: ThreadId, s: SOCKET, how: i32) -> i32 {
        self.trace_call(t, "shutdown", &[("s", s), ("how", how as u64)]);
        let r = self
            .prolog(t)
            .and_then(|_| self.socket_ref(s))
            .and_then(|(p, r, _)| self.providers[p].shutdown(&mut self.k, r, how).map(|_| 0));
        self.finish(t, "shutdown", r, -1).done().expect("returns") as i32
    }

    /// `int closesocket(SOCKET s)`. Pending operations are cancelled and their
    /// notifications performed; with `SO_LINGER {1, 0}` the connection is reset; with a
    /// linger time on a blocking socket the call waits up to that long for the data to
    /// go.
    pub fn closesocket(&mut self, t: ThreadId, s: SOCKET) -> Call {
        self.trace_call(t, "closesocket", &[("s", s)]);
        let fail = i64::from(SOCKET_ERROR);
        let (p, r, _) = match self.prolog(t).and_then(|_| self.socket_ref(s)) {
            Ok(x) => x,
            Err(e) => return self.finish(t, "closesocket", Err(e), fail),
        };
        let linger = match self.providers[p].get_option(&mut self.k, r, SOL_SOCKET, SO_LINGER) {
            Ok(crate::provider::OptValue::Linger { onoff, linger }) if onoff != 0 => Some(linger),
            _ => None,
        };
        match self.providers[p].close(&mut self.k, r, t) {
            Ok(()) => self.finish(t, "closesocket", Ok(0), fail),
            Err(WsaError::WSA_IO_PENDING) => {
                let op = self
                    .k
                    .thread(t)
                    .blocking_op
                    .expect("a lingering close starts an operation");
                self.closing.insert(op, (p, r));
                let deadline =
                    linger.map(|secs| self.k.now() + Duration::from_millis(u64::from(secs) * 1000));
                self.block_on_op(t, "closesocket", p, r, Resume::Close, deadline, fail)
            }
            Err(e) => self.finish(t, "closesocket", Err(e), fail),
        }
    }
}
