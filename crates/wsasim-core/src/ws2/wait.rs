//! Events, waits, `SleepEx`, `WSAGetOverlappedResult`, `QueueUserAPC`.
//!
//! Heads up: SDK `wsacreateevent`, `wsawaitformultipleevents`, `sleepex`,
//! `wsagetoverlappedresult`, `queueuserapc`; `windows-semantics.md` §1-§3;
//! `wine-facts.md` C1-C11, G1-G9.

use crate::apc::ApcKind;
use crate::consts::*;
use crate::error::WsaError;
use crate::event::Event;
use crate::kernel::{rules, Object};
use crate::memory::{overlapped_layout as ovl, Ptr, UserMemoryExt};
use crate::overlapped::Notify;
use crate::status::NtStatus;
use crate::thread::{Alertable, Resume, ThreadId, Wait, WaitFor};
use crate::world::{Call, World};
use smallvec::SmallVec;

impl World {
    /// `WSAEVENT WSACreateEvent(void)`: a manual-reset event, not signalled;
    /// `WSA_INVALID_EVENT` (0) on failure.
    pub fn wsa_create_event(&mut self, t: ThreadId) -> HANDLE {
        self.trace_call(t, "WSACreateEvent", &[]);
        let r = self.prolog(t).and_then(|_| {
            self.k
                .handles
                .insert(Object::Event(Event::wsa()))
                .map(|h| h as i64)
                .ok_or(WsaError::WSA_NOT_ENOUGH_MEMORY)
        });
        self.finish(t, "WSACreateEvent", r, 0)
            .done()
            .expect("returns") as u64
    }

    fn event_call(
        &mut self,
        t: ThreadId,
        api: &'static str,
        h: HANDLE,
        f: impl FnOnce(&mut World, HANDLE) -> bool,
    ) -> i32 {
        self.trace_call(t, api, &[("h", h)]);
        let r = self.prolog(t).and_then(|_| {
            if !matches!(self.k.handles.get(h), Some(Object::Event(_))) {
                return Err(WsaError::WSA_INVALID_HANDLE);
            }
            f(self, h);
            Ok(1)
        });
        self.finish(t, api, r, 0).done().expect("returns") as i32
    }

    /// `BOOL WSACloseEvent(WSAEVENT hEvent)`: afterwards "further references to this
    /// handle will fail with the error WSA_INVALID_HANDLE".
    pub fn wsa_close_event(&mut self, t: ThreadId, h: HANDLE) -> i32 {
        self.event_call(t, "WSACloseEvent", h, |w, h| {
            w.k.handles.remove(h).is_some()
        })
    }

    /// `BOOL WSASetEvent(WSAEVENT hEvent)`.
    pub fn wsa_set_event(&mut self, t: ThreadId, h: HANDLE) -> i32 {
        self.event_call(t, "WSASetEvent", h, |w, h| w.k.set_event(h))
    }

    /// `BOOL WSAResetEvent(WSAEVENT hEvent)`.
    pub fn wsa_reset_event(&mut self, t: ThreadId, h: HANDLE) -> i32 {
        self.event_call(t, "WSAResetEvent", h, |w, h| w.k.reset_event(h))
    }

    /// `DWORD WSAWaitForMultipleEvents(DWORD cEvents, const WSAEVENT *lphEvents, BOOL
    /// fWaitAll, DWORD dwTimeout, BOOL fAlertable)`.
    pub fn wsa_wait_for_multiple_events(
        &mut self,
        t: ThreadId,
        c_events: u32,
        lph_events: Ptr,
        f_wait_all: i32,
        dw_timeout: u32,
        f_alertable: i32,
    ) -> Call {
        self.trace_call(
            t,
            "WSAWaitForMultipleEvents",
            &[
                ("count", u64::from(c_events)),
                ("events", lph_events.0),
                ("all", f_wait_all as u64),
                ("timeout", u64::from(dw_timeout)),
                ("alertable", f_alertable as u64),
            ],
        );
        let api = "WSAWaitForMultipleEvents";
        let fail = i64::from(WSA_WAIT_FAILED);
        if let Err(e) = self.prolog(t) {
            return self.finish(t, api, Err(e), fail);
        }
        // "cEvents: 1 ... WSA_MAXIMUM_WAIT_EVENTS"; "WSA_INVALID_PARAMETER: The cEvents
        // parameter does not contain a valid handle count."
        if c_events == 0 || c_events > WSA_MAXIMUM_WAIT_EVENTS {
            return self.finish(t, api, Err(WsaError::WSA_INVALID_PARAMETER), fail);
        }
        let mut handles: SmallVec<[u64; 8]> = SmallVec::new();
        for i in 0..u64::from(c_events) {
            match self.k.mem.read_u64(Ptr(lph_events.0.wrapping_add(i * 8))) {
                Ok(h) if !lph_events.is_null() => handles.push(h),
                // The call is WaitForMultipleObjectsEx, which fails an unreadable array
                // with ERROR_NOACCESS.
                _ => return self.finish(t, api, Err(WsaError::ERROR_NOACCESS), fail),
            }
        }
        // "WSA_INVALID_HANDLE: One or more of the values in the lphEvents array is not a
        // valid event object handle."
        if handles.iter().any(|&h| self.k.is_signaled(h).is_none()) {
            return self.finish(t, api, Err(WsaError::WSA_INVALID_HANDLE), fail);
        }
        let all = f_wait_all != 0;
        if all {
            let mut sorted = handles.clone();
            sorted.sort_unstable();
            if sorted.windows(2).any(|w| w[0] == w[1]) {
                self.k.contract(t, rules::DUPLICATE_WAIT_ALL);
                return self.finish(t, api, Err(WsaError::WSA_INVALID_PARAMETER), fail);
            }
        }
        let deadline = self.deadline_in(dw_timeout);
        let on = WaitFor::Handles { handles, all };
        self.block(
            t,
            Wait::new(
                api,
                on,
                deadline,
                Alertable::from_flag(f_alertable != 0),
                Resume::WaitHandles,
            ),
        )
    }

    /// `DWORD SleepEx(DWORD dwMilliseconds, BOOL bAlertable)`: 0 when the interval
    /// expires, `WAIT_IO_COMPLETION` when APCs ran.
    pub fn sleep_ex(&mut self, t: ThreadId, dw_milliseconds: u32, b_alertable: i32) -> Call {
        self.trace_call(
            t,
            "SleepEx",
            &[
                ("ms", u64::from(dw_milliseconds)),
                ("alertable", b_alertable as u64),
            ],
        );
        let deadline = self.deadline_in(dw_milliseconds);
        let alertable = Alertable::from_flag(b_alertable != 0);
        self.block(
            t,
            Wait::new(
                "SleepEx",
                WaitFor::Nothing,
                deadline,
                alertable,
                Resume::Sleep,
            ),
        )
    }

    /// `DWORD QueueUserAPC(PAPCFUNC pfnAPC, HANDLE hThread, ULONG_PTR dwData)`: non-zero
    /// on success.
    pub fn queue_user_apc(
        &mut self,
        t: ThreadId,
        pfn_apc: Ptr,
        h_thread: HANDLE,
        dw_data: u64,
    ) -> u32 {
        self.trace_call(
            t,
            "QueueUserAPC",
            &[("func", pfn_apc.0), ("thread", h_thread), ("data", dw_data)],
        );
        let r = match self.k.handles.get(h_thread) {
            Some(Object::Thread(target)) => {
                let target = *target;
                self.k
                    .queue_apc(
                        target,
                        ApcKind::User {
                            func: pfn_apc,
                            param: dw_data,
                        },
                    )
                    .map(|_| 1)
            }
            _ => Err(WsaError::WSA_INVALID_HANDLE),
        };
        self.finish(t, "QueueUserAPC", r, 0)
            .done()
            .expect("returns") as u32
    }

    /// `BOOL WSAGetOverlappedResult(SOCKET s, LPWSAOVERLAPPED lpOverlapped, LPDWORD
    /// lpcbTransfer, BOOL fWait, LPDWORD lpdwFlags)`.
    pub fn wsa_get_overlapped_result(
        &mut self,
        t: ThreadId,
        s: SOCKET,
        lp_overlapped: Ptr,
        lpcb_transfer: Ptr,
        f_wait: i32,
        lpdw_flags: Ptr,
    ) -> Call {
        self.trace_call(
            t,
            "WSAGetOverlappedResult",
            &[("s", s), ("ov", lp_overlapped.0), ("wait", f_wait as u64)],
        );
        let api = "WSAGetOverlappedResult";
        let pre = self
            .prolog(t)
            .and_then(|_| self.socket_ref(s))
            .and_then(|_| {
                if lp_overlapped.is_null() {
                    return Err(WsaError::WSA_INVALID_PARAMETER);
                }
                let mem = self.k.mem();
                if mem.check(lp_overlapped, ovl::SIZE, false).is_err()
                    || lpcb_transfer.is_null()
                    || mem.check(lpcb_transfer, 4, true).is_err()
                    || lpdw_flags.is_null()
                    || mem.check(lpdw_flags, 4, true).is_err()
                {
                    return Err(WsaError::WSAEFAULT);
                }
                Ok(())
            });
        if let Err(e) = pre {
            return self.finish(t, api, Err(e), 0);
        }
        match self.overlapped_result_now(s, lp_overlapped, lpcb_transfer, lpdw_flags, false) {
            Err(WsaError::WSA_IO_INCOMPLETE) if f_wait != 0 => {
                // "fWait = TRUE is allowed only if the operation selected event-based
                // notification."
                let in_flight = self
                    .k
                    .ov_in_flight
                    .get(&lp_overlapped.0)
                    .and_then(|id| self.k.op(*id))
                    .map(|o| o.notify);
                if matches!(in_flight, Some(Notify::Routine(_))) {
                    self.k.contract(t, rules::FWAIT_WITH_ROUTINE);
                }
                // Wait (not alertably, wine-facts C9) on hEvent, or on the socket handle
                // when hEvent is NULL, then read the OVERLAPPED again (G7).
                let h = self
                    .k
                    .mem
                    .read_u64(Ptr(lp_overlapped.0 + ovl::HEVENT))
                    .unwrap_or(0)
                    & !1;
                let h = if h == 0 { s } else { h };
                if self.k.is_signaled(h).is_none() {
                    return self.finish(t, api, Err(WsaError::WSA_INVALID_HANDLE), 0);
                }
                let resume = Resume::GetOverlappedResult {
                    s,
                    ov: lp_overlapped,
                    lp_transfer: lpcb_transfer,
                    lp_flags: lpdw_flags,
                };
                let on = WaitFor::Handles {
                    handles: smallvec::smallvec![h],
                    all: false,
                };
                self.block(t, Wait::new(api, on, None, Alertable::No, resume))
            }
            r => self.finish(t, api, r.map(|_| 1), 0),
        }
    }

    /// Reads an OVERLAPPED's outcome: `WSA_IO_INCOMPLETE` while `Internal` is
    /// `STATUS_PENDING`; otherwise the bytes from `InternalHigh` (also on failure,
    /// wine-facts G5/G8) and the status mapped to a Winsock code (G4). On success
    /// `lpdwFlags` gets the result flags; on failure it is left alone (G6).
    pub(crate) fn overlapped_result_now(
        &mut self,
        _s: SOCKET,
        ov: Ptr,
        lp_transfer: Ptr,
        lp_flags: Ptr,
        waited: bool,
    ) -> Result<(), WsaError> {
        let mem = &mut self.k.mem;
        let (internal, high) = mem
            .read_overlapped_status(ov)
            .map_err(|_| WsaError::WSAEFAULT)?;
        let status = NtStatus(internal as u32);
        if status == NtStatus::PENDING {
            // G7: woken with Internal still pending (the event was set by hand): TRUE,
            // last error ERROR_IO_PENDING.
            if waited {
                return Ok(());
            }
            return Err(WsaError::WSA_IO_INCOMPLETE);
        }
        let bytes = high.map_err(|_| WsaError::WSAEFAULT)?;
        mem.write_u32(lp_transfer, bytes as u32)
            .map_err(|_| WsaError::WSAEFAULT)?;
        if status.is_success() {
            mem.write_u32(lp_flags, 0)
                .map_err(|_| WsaError::WSAEFAULT)?;
            Ok(())
        } else {
            Err(status.to_wsa_exact())
        }
    }
}
