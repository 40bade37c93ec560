//! `WSAStartup`, `WSACleanup`, the last error, and the Windows Sockets 1.1 blocking
//! calls.
//!
//! Heads up: SDK `wsastartup`, `wsacleanup`; W32 `windows-sockets-1-1-blocking-routines-
//! and-einprogress-2`; `windows-semantics.md` §7.

use crate::consts::*;
use crate::error::WsaError;
use crate::kernel::Object;
use crate::memory::Ptr;
use crate::provider::{OptValue, SocketRef};
use crate::thread::{Frame, ThreadId};
use crate::trace::Record;
use crate::world::World;

/// `sizeof(WSADATA)` on Win64: `wVersion, wHighVersion, iMaxSockets, iMaxUdpDg,
/// lpVendorInfo, szDescription[257], szSystemStatus[129]`, 408 bytes.
pub const WSADATA_SIZE: usize = 408;

/// The highest version ws2_32 supports: 2.2.
const HIGHEST: u16 = 0x0202;

impl World {
    /// `int WSAStartup(WORD wVersionRequested, LPWSADATA lpWSAData)`: returns the error
    /// directly ("do not call WSAGetLastError").
    pub fn wsa_startup(&mut self, t: ThreadId, version: u16, lp_wsa_data: Ptr) -> i32 {
        self.trace_call(
            t,
            "WSAStartup",
            &[("version", u64::from(version)), ("wsadata", lp_wsa_data.0)],
        );
        let r = self.startup_inner(version, lp_wsa_data);
        let code = r.err().unwrap_or(WsaError::NO_ERROR);
        self.k.trace(Record::Return {
            thread: t.0,
            api: "WSAStartup",
            ret: i64::from(code.0),
            error: self.k.thread(t).last_error,
        });
        code.0 as i32
    }

    fn startup_inner(&mut self, version: u16, data: Ptr) -> Result<(), WsaError> {
        let (major, minor) = ((version & 0xFF) as u8, (version >> 8) as u8);
        // "Ws2_32 accepts 1.0, 1.1, 2.0, 2.1, 2.2 ... if requested < lowest supported ->
        // WSAVERNOTSUPPORTED"; a request above 2.2 gets 2.2.
        if major == 0 {
            return Err(WsaError::WSAVERNOTSUPPORTED);
        }
        let negotiated = if (major, minor) > (2, 2) {
            HIGHEST
        } else {
            version
        };
        if data.is_null() {
            return Err(WsaError::WSAEFAULT);
        }
        let mut raw = [0u8; WSADATA_SIZE];
        raw[0..2].copy_from_slice(&negotiated.to_le_bytes());
        raw[2..4].copy_from_slice(&HIGHEST.to_le_bytes());
        if major < 2 {
            // Windows Sockets 1.x applications see iMaxSockets and iMaxUdpDg.
            raw[4..6].copy_from_slice(&32767u16.to_le_bytes());
            raw[6..8].copy_from_slice(&65467u16.to_le_bytes());
        }
        let desc = b"WinSock 2.0 (wsasim)";
        raw[16..16 + desc.len()].copy_from_slice(desc);
        let status = b"Running";
        raw[273..273 + status.len()].copy_from_slice(status);
        self.k
            .mem
            .write(data, &raw)
            .map_err(|_| WsaError::WSAEFAULT)?;
        if self.startup.count == 0 {
            self.startup.version = negotiated;
        }
        self.startup.count += 1;
        Ok(())
    }

    /// `int WSACleanup(void)`. "Reference counted: N successful WSAStartups need N
    /// WSACleanups; only the last does the work. Calling WSACleanup too many times ...
    /// WSANOTINITIALISED". The last one closes every socket as `closesocket` would, except
    /// that pending overlapped operations "are canceled without setting the event object
    /// or invoking the completion routine".
    pub fn wsa_cleanup(&mut self, t: ThreadId) -> i32 {
        self.trace_call(t, "WSACleanup", &[]);
        if self.startup.count == 0 {
            return self
                .finish(
                    t,
                    "WSACleanup",
                    Err(WsaError::WSANOTINITIALISED),
                    i64::from(SOCKET_ERROR),
                )
                .done()
                .unwrap_or(-1) as i32;
        }
        self.startup.count -= 1;
        if self.startup.count == 0 {
            let sockets: Vec<(u64, usize, u64)> = self
                .k
                .handles
                .iter()
                .filter_map(|(h, o)| match o {
                    Object::Socket(e) => Some((h, e.provider, e.context)),
                    _ => None,
                })
                .collect();
            self.k.silent = true;
            for (h, p, ctx) in sockets {
                let r = SocketRef {
                    handle: h,
                    context: ctx,
                };
                // WSACleanup neither waits nor fails for one socket: a socket lingering
                // with a time-out (which would make closesocket block, or fail with
                // WSAEWOULDBLOCK and stay open) is closed in the background, as with
                // linger off. "Sockets that were open when WSACleanup was called are
                // reset and automatically deallocated as if closesocket were called"
                // (SDK wsacleanup).
                if let Ok(OptValue::Linger { onoff, linger }) =
                    self.providers[p].get_option(&mut self.k, r, SOL_SOCKET, SO_LINGER)
                {
                    if onoff != 0 && linger != 0 {
                        let off = OptValue::Linger { onoff: 0, linger };
                        let _ = self.providers[p].set_option(
                            &mut self.k,
                            r,
                            SOL_SOCKET,
                            SO_LINGER,
                            off,
                        );
                    }
                }
                let closed = self.providers[p].close(&mut self.k, r, t);
                debug_assert!(closed.is_ok(), "a socket without linger closes at once");
            }
            self.k.silent = false;
        }
        self.finish(t, "WSACleanup", Ok(0), -1).done().unwrap_or(0) as i32
    }

    /// `int WSAGetLastError(void)`.
    pub fn wsa_get_last_error(&self, t: ThreadId) -> i32 {
        self.k.thread(t).last_error as i32
    }

    /// `void WSASetLastError(int iError)`.
    pub fn wsa_set_last_error(&mut self, t: ThreadId, error: i32) {
        self.k.thread_mut(t).last_error = error as u32;
    }

    /// `int WSACancelBlockingCall(void)` (Windows Sockets 1.1): cancels the blocking call
    /// in progress on the thread, which then fails with `WSAEINTR`. Windows Sockets 2
    /// removed it: applications that negotiated 2.x get `WSAEOPNOTSUPP`.
    pub fn wsa_cancel_blocking_call(&mut self, t: ThreadId) -> i32 {
        self.trace_call(t, "WSACancelBlockingCall", &[]);
        if self.startup.count == 0 {
            return self
                .finish(
                    t,
                    "WSACancelBlockingCall",
                    Err(WsaError::WSANOTINITIALISED),
                    -1,
                )
                .done()
                .unwrap_or(-1) as i32;
        }
        if !self.winsock11() {
            return self
                .finish(t, "WSACancelBlockingCall", Err(WsaError::WSAEOPNOTSUPP), -1)
                .done()
                .unwrap_or(-1) as i32;
        }
        let th = self.k.thread_mut(t);
        let target = th.frames.iter_mut().rev().find_map(|f| match f {
            Frame::Wait(w) if w.winsock_blocking => Some(w),
            _ => None,
        });
        // Windows Sockets 1.1: "WSAEINVAL: Indicates that there is no outstanding
        // blocking call."
        let r = match target {
            Some(w) => {
                w.cancelled = true;
                Ok(0)
            }
            None => Err(WsaError::WSAEINVAL),
        };
        self.finish(t, "WSACancelBlockingCall", r, -1)
            .done()
            .unwrap_or(-1) as i32
    }

    /// `BOOL WSAIsBlocking(void)` (Windows Sockets 1.1).
    pub fn wsa_is_blocking(&self, t: ThreadId) -> i32 {
        i32::from(
            self.k
                .thread(t)
                .frames
                .iter()
                .any(|f| matches!(f, Frame::Wait(w) if w.winsock_blocking)),
        )
    }

    /// `GetCurrentThreadId()`.
    pub fn get_current_thread_id(&self, t: ThreadId) -> u32 {
        t.0
    }

    /// Whether a successful `WSAStartup` is in effect (its reference count is above 0),
    /// for the Winsock functions outside the model that are gated on it
    /// (`getaddrinfo` in the C ABI: "WSANOTINITIALISED: A successful WSAStartup call
    /// must occur before using this function").
    pub fn wsa_started(&self) -> bool {
        self.startup.count > 0
    }
}
