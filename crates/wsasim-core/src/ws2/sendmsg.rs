//! `WSASendMsg`, `WSASendTo` and `sendto`: datagrams to an address, with control data.
//!
//! Heads up: read the WSASendMsg seed (`seeds/001`) in full; SDK `sendto`, `wsasendto`
//! (`windows-semantics.md` §7); `wine-facts.md` E3-E15, E25-E30, L2-L4, W1, W2.
//! Validation order verified on Windows: initialised, then the socket (E3, E6), then the
//! message pointer (E7, E8: a NULL message does not bind, E14), then the socket type
//! (E15), then the implicit bind that even a failing call performs (E13), then the
//! other pointers (E4, E9). The overlapped, event and completion-routine forms are
//! those of `WSASend` (`send.rs`): the same kernel operations, the same documented
//! freedoms, drawn by the provider.

use crate::config::Profile;
use crate::consts::*;
use crate::error::WsaError;
use crate::memory::{overlapped_layout as ovl, Ptr, UserMemoryExt, WsaBuf};
use crate::msg::{self, WsaMsg};
use crate::net::{IpAddr, SockAddr};
use crate::provider::{OptValue, SocketRef};
use crate::thread::{Resume, ThreadId};
use crate::world::{Call, World};
use smallvec::SmallVec;

/// "The dwFlags parameter can only contain a combination of the following control
/// flags: MSG_DONTROUTE, MSG_PARTIAL, and MSG_OOB." (WSASendMsg, Remarks)
const SENDMSG_FLAGS: u32 = MSG_DONTROUTE | MSG_PARTIAL | MSG_OOB;

/// Flags `WSASendTo` and `sendto` take (as `WSASend`); others are `WSAEINVAL`.
const SENDTO_FLAGS: u32 = MSG_OOB | MSG_DONTROUTE | MSG_PARTIAL;

/// The token `WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER)` returns for
/// `WSAID_WSASENDMSG`: the model has no code addresses of its own, so the embedder
/// (the C ABI) maps this value to its exported `WSASendMsg`; a Rust caller calls
/// [`World::wsa_send_msg`].
pub const EXT_FN_WSASENDMSG: u64 = 0x0000_7FFF_5753_0001;
/// The token returned for `WSAID_WSARECVMSG` ([`World::wsa_recv_msg`]).
pub const EXT_FN_WSARECVMSG: u64 = 0x0000_7FFF_5753_0002;

/// How a send call is performed, decided from its `lpOverlapped`, `lpCompletionRoutine`
/// and the socket's overlapped attribute (as `WSASend` decides).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Overlap {
    /// Overlapped I/O: the OVERLAPPED and routine go to the provider.
    pub overlapped: bool,
    pub ov: Ptr,
    pub routine: Ptr,
    /// wine-facts O17: an OVERLAPPED on a socket without the overlapped attribute; the
    /// call runs synchronously and fills it at the end. NULL otherwise.
    pub sync_ov: Ptr,
}

impl World {
    /// `int WSASendMsg(SOCKET Handle, LPWSAMSG lpMsg, DWORD dwFlags, LPDWORD
    /// lpNumberOfBytesSent, LPWSAOVERLAPPED lpOverlapped,
    /// LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine)`. `lpMsg` points at a
    /// 56-byte `WSAMSG` (x64 layout, [`crate::msg::wsamsg_layout`]).
    #[allow(clippy::too_many_arguments)]
    pub fn wsa_send_msg(
        &mut self,
        t: ThreadId,
        handle: SOCKET,
        lp_msg: Ptr,
        dw_flags: u32,
        lp_number_of_bytes_sent: Ptr,
        lp_overlapped: Ptr,
        lp_completion_routine: Ptr,
    ) -> Call {
        const API: &str = "WSASendMsg";
        self.trace_call(
            t,
            API,
            &[
                ("s", handle),
                ("msg", lp_msg.0),
                ("flags", u64::from(dw_flags)),
                ("sent", lp_number_of_bytes_sent.0),
                ("ov", lp_overlapped.0),
                ("routine", lp_completion_routine.0),
            ],
        );
        let fail = i64::from(SOCKET_ERROR);
        // "A successful WSAStartup call must occur before using this function."; "The
        // descriptor is not a socket." (wine-facts E6: before anything else).
        let target = match self.prolog(t).and_then(|_| self.socket_ref(handle)) {
            Ok(x) => x,
            Err(e) => return self.finish(t, API, Err(e), fail),
        };
        let (p, r, _) = target;
        // "The lpMsg ... parameter is not totally contained in a valid part of the user
        // address space" (wine-facts E7, E8: a NULL message fails, and does not bind the
        // socket, E14).
        let m = match self.read_wsamsg(lp_msg) {
            Ok(m) => m,
            Err(e) => return self.finish(t, API, Err(e), fail),
        };
        // "The WSASendMsg function can only be used with datagrams and raw sockets"
        // (wine-facts E15, W1: WSAEINVAL on a stream socket).
        if self.socket_type(p, r) == Some(SOCK_STREAM) {
            return self.finish(t, API, Err(WsaError::WSAEINVAL), fail);
        }
        // wine-facts E13 (W2): a WSASendMsg that fails for its NULL count still binds
        // the socket, as a successful one does (E12).
        let _ = self.providers[p].implicit_bind(&mut self.k, r);
        let o = match self.overlap(
            target,
            lp_number_of_bytes_sent,
            lp_overlapped,
            lp_completion_routine,
        ) {
            Ok(o) => o,
            Err(e) => return self.finish(t, API, Err(e), fail),
        };
        // WSAEOPNOTSUPP: "This error is returned if the dwFlags ... includes any control
        // flags invalid for WSASendMsg." The flags checked are the dwFlags parameter:
        // "The dwFlags member of the WSAMSG structure ... is ignored on input".
        if dw_flags & !SENDMSG_FLAGS != 0 {
            return self.finish(t, API, Err(WsaError::WSAEOPNOTSUPP), fail);
        }
        // "This error is also returned if a name member of the WSAMSG structure ... was
        // a NULL pointer and the namelen member ... was not set to zero."
        let to = match (m.name.is_null(), m.namelen) {
            (true, 0) => None,
            (true, _) => return self.finish(t, API, Err(WsaError::WSAEFAULT), fail),
            (false, len) => match SockAddr::read(self.k.mem(), m.name, len) {
                Ok(a) => Some(a),
                Err(e) => return self.finish(t, API, Err(e), fail),
            },
        };
        // "The WSASendMsg function can be used in place of the WSASend and WSASendTo
        // functions": the same buffers, captured before returning ("it is the Winsock
        // service provider's responsibility to capture this WSABUF structure before
        // returning from this call"). No buffers at all is a zero-length datagram.
        let bufs = match self.capture_bufs(m.buffers, m.buffer_count, true) {
            Ok(b) => b,
            Err(e) => return self.finish(t, API, Err(e), fail),
        };
        // "This error is also returned if a Control.buf member ... was a NULL pointer and
        // the Control.len member ... was not set to zero."
        let src = match self.control_source(p, r, &m, to) {
            Ok(s) => s,
            Err(e) => return self.finish(t, API, Err(e), fail),
        };
        self.dispatch_send_to(
            t,
            API,
            target,
            bufs,
            lp_number_of_bytes_sent,
            dw_flags,
            to,
            src,
            o,
            false,
        )
    }

    /// `int WSASendTo(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount, LPDWORD
    /// lpNumberOfBytesSent, DWORD dwFlags, const sockaddr *lpTo, int iTolen,
    /// LPWSAOVERLAPPED lpOverlapped, LPWSAOVERLAPPED_COMPLETION_ROUTINE
    /// lpCompletionRoutine)`.
    #[allow(clippy::too_many_arguments)]
    pub fn wsa_send_to(
        &mut self,
        t: ThreadId,
        s: SOCKET,
        lp_buffers: Ptr,
        dw_buffer_count: u32,
        lp_number_of_bytes_sent: Ptr,
        dw_flags: u32,
        lp_to: Ptr,
        i_tolen: i32,
        lp_overlapped: Ptr,
        lp_completion_routine: Ptr,
    ) -> Call {
        const API: &str = "WSASendTo";
        self.trace_call(
            t,
            API,
            &[
                ("s", s),
                ("count", u64::from(dw_buffer_count)),
                ("sent", lp_number_of_bytes_sent.0),
                ("flags", u64::from(dw_flags)),
                ("to", lp_to.0),
                ("tolen", i_tolen as u64),
                ("ov", lp_overlapped.0),
                ("routine", lp_completion_routine.0),
            ],
        );
        let fail = i64::from(SOCKET_ERROR);
        // wine-facts E3: the socket is checked before the NULL count.
        let target = match self.prolog(t).and_then(|_| self.socket_ref(s)) {
            Ok(x) => x,
            Err(e) => return self.finish(t, API, Err(e), fail),
        };
        // As WSASend: no buffers is WSAEINVAL (by analogy with WSARecv, wine-facts O19).
        if dw_buffer_count == 0 {
            return self.finish(t, API, Err(WsaError::WSAEINVAL), fail);
        }
        let bufs = match self.capture_bufs(lp_buffers, dw_buffer_count, false) {
            Ok(b) => b,
            Err(e) => return self.finish(t, API, Err(e), fail),
        };
        // wine-facts E4: a NULL count without an OVERLAPPED is WSAEFAULT.
        let o = match self.overlap(
            target,
            lp_number_of_bytes_sent,
            lp_overlapped,
            lp_completion_routine,
        ) {
            Ok(o) => o,
            Err(e) => return self.finish(t, API, Err(e), fail),
        };
        if dw_flags & !SENDTO_FLAGS != 0 {
            return self.finish(t, API, Err(WsaError::WSAEINVAL), fail);
        }
        let (to, null_to) = match self.destination(target, lp_to, i_tolen) {
            Ok(a) => a,
            Err(e) => return self.finish(t, API, Err(e), fail),
        };
        self.dispatch_send_to(
            t,
            API,
            target,
            bufs,
            lp_number_of_bytes_sent,
            dw_flags,
            to,
            None,
            o,
            null_to,
        )
    }

    /// `int sendto(SOCKET s, const char *buf, int len, int flags, const sockaddr *to,
    /// int tolen)`: the number of bytes sent.
    #[allow(clippy::too_many_arguments)]
    pub fn sendto(
        &mut self,
        t: ThreadId,
        s: SOCKET,
        buf: Ptr,
        len: i32,
        flags: i32,
        to: Ptr,
        tolen: i32,
    ) -> Call {
        const API: &str = "sendto";
        self.trace_call(
            t,
            API,
            &[
                ("s", s),
                ("buf", buf.0),
                ("len", len as u64),
                ("flags", flags as u64),
                ("to", to.0),
                ("tolen", tolen as u64),
            ],
        );
        let fail = i64::from(SOCKET_ERROR);
        let target = match self.prolog(t).and_then(|_| self.socket_ref(s)) {
            Ok(x) => x,
            Err(e) => return self.finish(t, API, Err(e), fail),
        };
        // As send: a negative length is WSAEFAULT.
        if len < 0 {
            return self.finish(t, API, Err(WsaError::WSAEFAULT), fail);
        }
        let bufs: SmallVec<[WsaBuf; 4]> = smallvec::smallvec![WsaBuf {
            len: len as u32,
            buf
        }];
        if len > 0 && self.k.mem().check(buf, len as u64, false).is_err() {
            return self.finish(t, API, Err(WsaError::WSAEFAULT), fail);
        }
        let o = Overlap {
            overlapped: false,
            ov: Ptr::NULL,
            routine: Ptr::NULL,
            sync_ov: Ptr::NULL,
        };
        if flags as u32 & !SENDTO_FLAGS != 0 {
            return self.finish(t, API, Err(WsaError::WSAEINVAL), fail);
        }
        let (dest, null_to) = match self.destination(target, to, tolen) {
            Ok(a) => a,
            Err(e) => return self.finish(t, API, Err(e), fail),
        };
        self.dispatch_send_to(
            t,
            API,
            target,
            bufs,
            Ptr::NULL,
            flags as u32,
            dest,
            None,
            o,
            null_to,
        )
    }

    // ----- shared steps ---------------------------------------------------------------

    /// Reads the `WSAMSG` at `p` (`WSAEFAULT` for NULL or unreadable).
    pub(crate) fn read_wsamsg(&self, p: Ptr) -> Result<WsaMsg, WsaError> {
        if p.is_null() {
            return Err(WsaError::WSAEFAULT);
        }
        WsaMsg::read(self.k.mem(), p).map_err(|_| WsaError::WSAEFAULT)
    }

    /// `SO_TYPE` of a socket, as its provider answers.
    pub(crate) fn socket_type(&mut self, p: usize, r: SocketRef) -> Option<i32> {
        match self.providers[p].get_option(&mut self.k, r, SOL_SOCKET, SO_TYPE) {
            Ok(OptValue::Int(v)) => Some(v as i32),
            _ => None,
        }
    }

    /// Captures a `WSABUF` array and probes the buffers it points to ("not totally
    /// contained in a valid part of the user address space": `WSAEFAULT`). `count = 0`
    /// reads nothing when `allow_empty`.
    pub(crate) fn capture_bufs(
        &self,
        lp_buffers: Ptr,
        count: u32,
        allow_empty: bool,
    ) -> Result<SmallVec<[WsaBuf; 4]>, WsaError> {
        let mut bufs: SmallVec<[WsaBuf; 4]> = SmallVec::new();
        if count == 0 && allow_empty {
            return Ok(bufs);
        }
        WsaBuf::read_array(self.k.mem(), lp_buffers, count, &mut bufs)
            .map_err(|_| WsaError::WSAEFAULT)?;
        let mem = self.k.mem();
        for b in &bufs {
            if b.len > 0 && mem.check(b.buf, u64::from(b.len), false).is_err() {
                return Err(WsaError::WSAEFAULT);
            }
        }
        Ok(bufs)
    }

    /// Decides how the call runs, as `WSASend` does, and checks the `OVERLAPPED` and
    /// count pointers: "This parameter can be NULL only if the lpOverlapped parameter is
    /// not NULL" (wine-facts E4, E9).
    pub(crate) fn overlap(
        &self,
        (_, _, overlapped_attr): (usize, SocketRef, bool),
        lp_sent: Ptr,
        ov: Ptr,
        routine: Ptr,
    ) -> Result<Overlap, WsaError> {
        // "For overlapped sockets, sending information uses overlapped I/O unless both
        // lpOverlapped and lpCompletionRoutine are NULL".
        let mut overlapped = !ov.is_null() || !routine.is_null();
        let mut sync_ov = Ptr::NULL;
        if overlapped && !overlapped_attr {
            // "The socket was not created with the overlapped flag" (documented);
            // verified Windows performs the call synchronously (wine-facts O17).
            if self.k.profile() == Profile::Documented {
                return Err(WsaError::WSAEINVAL);
            }
            overlapped = false;
            sync_ov = ov;
        }
        let mem = self.k.mem();
        let bad = |p: Ptr, len: u64| p.is_null() || mem.check(p, len, true).is_err();
        if overlapped && bad(ov, ovl::SIZE) {
            return Err(WsaError::WSAEFAULT);
        }
        if (!overlapped && sync_ov.is_null() && bad(lp_sent, 4))
            || (!lp_sent.is_null() && bad(lp_sent, 4))
            || (!sync_ov.is_null() && bad(sync_ov, ovl::SIZE))
        {
            return Err(WsaError::WSAEFAULT);
        }
        let (ov, routine) = if overlapped {
            (ov, routine)
        } else {
            (Ptr::NULL, Ptr::NULL)
        };
        Ok(Overlap {
            overlapped,
            ov,
            routine,
            sync_ov,
        })
    }

    /// The destination of `sendto` / `WSASendTo`: none for a stream socket ("the to and
    /// tolen parameters are ignored", wine-facts E30); none for `(NULL, 0)` (the default
    /// peer); else the `sockaddr` (`WSAEFAULT`: "The to parameter is not a valid part of
    /// the user address space, or the tolen parameter is too small"). The flag says a
    /// datagram socket was given no address.
    fn destination(
        &mut self,
        (p, r, _): (usize, SocketRef, bool),
        to: Ptr,
        tolen: i32,
    ) -> Result<(Option<SockAddr>, bool), WsaError> {
        if self.socket_type(p, r) == Some(SOCK_STREAM) {
            return Ok((None, false));
        }
        if to.is_null() {
            return if tolen == 0 {
                Ok((None, true))
            } else {
                Err(WsaError::WSAEFAULT)
            };
        }
        SockAddr::read(self.k.mem(), to, tolen).map(|a| (Some(a), false))
    }

    /// The source address chosen by the message's control data: "One of the control
    /// data objects ... may contain an in_pktinfo structure used to specify the local
    /// IPv4 source address to use for sending" (IPv6: `in6_pktinfo`). For a dual-stack
    /// socket: "When sending to an IPv4 destination address or an IPv4-mapped IPv6
    /// destination address, ... an in_pktinfo structure"; "When sending to an IPv6
    /// destination address that is not a an IPv4-mapped IPv6 address, ... an
    /// in6_pktinfo structure". The object that does not fit the destination is
    /// ignored. A control object of another kind is `WSAEOPNOTSUPP` (the socket
    /// operation is not supported); a malformed one (`cmsg_len` too short, past the
    /// buffer, or the wrong size for its structure) is `WSAEINVAL`.
    fn control_source(
        &mut self,
        p: usize,
        r: SocketRef,
        m: &WsaMsg,
        to: Option<SockAddr>,
    ) -> Result<Option<IpAddr>, WsaError> {
        let c = m.control;
        if c.buf.is_null() {
            return if c.len == 0 {
                Ok(None)
            } else {
                Err(WsaError::WSAEFAULT)
            };
        }
        if c.len == 0 {
            return Ok(None);
        }
        let mut raw = vec![0u8; c.len as usize];
        self.k
            .mem()
            .read(c.buf, &mut raw)
            .map_err(|_| WsaError::WSAEFAULT)?;
        let objects = msg::parse_control(&raw).map_err(|_| WsaError::WSAEINVAL)?;
        let mut v4 = None;
        let mut v6 = None;
        for (level, ty, data) in objects {
            match (level, ty) {
                (IPPROTO_IP, IP_PKTINFO) => {
                    if data.len() as u64 != msg::IN_PKTINFO_SIZE {
                        return Err(WsaError::WSAEINVAL);
                    }
                    v4 = Some(IpAddr::V4([data[0], data[1], data[2], data[3]]));
                }
                (IPPROTO_IPV6, IPV6_PKTINFO) => {
                    if data.len() as u64 != msg::IN6_PKTINFO_SIZE {
                        return Err(WsaError::WSAEINVAL);
                    }
                    let mut a = [0u8; 16];
                    a.copy_from_slice(&data[..16]);
                    v6 = Some(IpAddr::V6(a));
                }
                _ => return Err(WsaError::WSAEOPNOTSUPP),
            }
        }
        if v4.is_none() && v6.is_none() {
            return Ok(None);
        }
        let dest = match to {
            Some(a) => Some(a),
            None => self.providers[p].peer_name(&self.k, r).ok(),
        };
        Ok(match dest.map(|d| d.ip) {
            Some(ip) if matches!(ip.unmapped(), IpAddr::V4(_)) => v4,
            Some(_) => v6,
            None => None,
        })
    }

    /// Hands one datagram (or, on a stream socket, the data) to the provider and ends
    /// the call as `WSASend` does: 0 and the count for an immediate completion (the
    /// routine is still queued, the event still signalled); `WSA_IO_PENDING` with the
    /// count untouched; a blocking call waits (`SO_SNDTIMEO`); any other error means no
    /// completion indication will occur. `null_to`: `sendto` / `WSASendTo` without an
    /// address, where a missing default peer is `WSAEDESTADDRREQ` ("A destination
    /// address is required").
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn dispatch_send_to(
        &mut self,
        t: ThreadId,
        api: &'static str,
        (p, r, overlapped_attr): (usize, SocketRef, bool),
        bufs: SmallVec<[WsaBuf; 4]>,
        lp_sent: Ptr,
        flags: u32,
        to: Option<SockAddr>,
        src: Option<IpAddr>,
        o: Overlap,
        null_to: bool,
    ) -> Call {
        let fail = i64::from(SOCKET_ERROR);
        let is_wsa = api.starts_with("WSA");
        // wine-facts O17: the synchronous call blocks even in nonblocking mode.
        let force_blocking = !o.sync_ov.is_null() && self.providers[p].is_nonblocking(r);
        if force_blocking {
            let _ = self.providers[p].ioctl(&mut self.k, r, FIONBIO, 0);
        }
        let res =
            self.providers[p].send_to(&mut self.k, r, &bufs, flags, to, src, o.ov, o.routine, t);
        if force_blocking {
            let _ = self.providers[p].ioctl(&mut self.k, r, FIONBIO, 1);
        }
        if !matches!(res, Err(WsaError::WSA_IO_PENDING)) {
            let filled = res.map(|n| (n, 0));
            self.fill_sync_overlapped(o.sync_ov, &filled);
        }
        match res {
            Ok(n) => {
                // "If an overlapped operation completes immediately, WSASendMsg returns a
                // value of zero and the lpNumberOfBytesSent parameter is updated with the
                // number of bytes sent."
                if !lp_sent.is_null() && self.k.mem.write_u32(lp_sent, n).is_err() {
                    return self.finish(t, api, Err(WsaError::WSAEFAULT), fail);
                }
                self.finish(t, api, Ok(if is_wsa { 0 } else { i64::from(n) }), fail)
            }
            // "If the overlapped operation is successfully initiated and will complete
            // later, WSASendMsg returns SOCKET_ERROR and indicates error code
            // WSA_IO_PENDING. In this case, lpNumberOfBytesSent is not updated."
            Err(WsaError::WSA_IO_PENDING) if o.overlapped => {
                self.finish(t, api, Err(WsaError::WSA_IO_PENDING), fail)
            }
            // "this buffer situation on a blocking socket results in WSASendMsg blocking
            // until all of the application's buffer contents have been consumed".
            Err(WsaError::WSA_IO_PENDING) => {
                let deadline = self.timeout_deadline(p, r, overlapped_attr, SO_SNDTIMEO);
                self.block_on_op(
                    t,
                    api,
                    p,
                    r,
                    Resume::Send {
                        lp_sent,
                        sync_ov: o.sync_ov,
                    },
                    deadline,
                    fail,
                )
            }
            Err(WsaError::WSAENOTCONN) if null_to => {
                self.finish(t, api, Err(WsaError::WSAEDESTADDRREQ), fail)
            }
            Err(e) => self.finish(t, api, Err(e), fail),
        }
    }
}
