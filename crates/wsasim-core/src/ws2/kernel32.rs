//! The kernel32 calls around Winsock that the runtime and programs need: thread exit,
//! thread and event waits, exit codes, `CloseHandle`, `Sleep`.
//!
//! Heads up: SDK `exitthread`, `waitforsingleobjectex`, `waitformultipleobjectsex`,
//! `getexitcodethread`, `closehandle`, `queueuserapc`; `windows-semantics.md` §3.
//! Unlike the Winsock calls, these need no `WSAStartup` and report Win32 codes.

use crate::consts::*;
use crate::error::WsaError;
use crate::kernel::Object;
use crate::memory::{Ptr, UserMemoryExt};
use crate::status::NtStatus;
use crate::thread::{Alertable, Frame, Resume, ThreadId, Wait, WaitFor};
use crate::trace::Record;
use crate::world::{Call, World};
use smallvec::SmallVec;

/// `STILL_ACTIVE`: the exit code of a thread that has not exited.
pub const STILL_ACTIVE: u32 = 259;

impl World {
    /// The thread `t` exits with `code`.
    ///
    /// - "When the thread is terminated ... the APCs in its APC queue are lost. The APC
    ///   functions are not called." (SDK queueuserapc)
    /// - "All I/O initiated by a given thread is canceled when that thread exits"
    ///   (WSASend, Remarks): its pending overlapped operations complete with
    ///   `WSA_OPERATION_ABORTED`, and a cancelled operation still signals its event. The
    ///   exception ExitThread documents (I/O "associated with a completion port" stays
    ///   pending, `wine-facts.md` X8) applies to sockets bound to a completion port, which
    ///   the model does not have yet.
    /// - The thread's handle becomes signalled.
    pub fn exit_thread(&mut self, t: ThreadId, code: u32) {
        self.trace_call(t, "ExitThread", &[("code", u64::from(code))]);
        let th = self.k.thread_mut(t);
        th.apcs.clear();
        th.frames.clear();
        th.exit_code = Some(code);
        let ops: Vec<(u64, u64)> = self
            .k
            .ops
            .values()
            .filter(|o| o.thread == t && o.is_pending())
            .map(|o| (o.id, o.socket))
            .collect();
        for (op, s) in ops {
            // ExitThread cancels "all pending I/O initiated by the thread that is not
            // associated with a completion port"; verified (wine-facts X8): on a socket
            // bound to a completion port the operation stays pending and completes
            // normally.
            if self.k.socket_entry(s).is_some_and(|e| e.port.is_some()) {
                continue;
            }
            match self.socket_ref(s) {
                Ok((p, r, _)) => {
                    self.providers[p].cancel_op(&mut self.k, r, op, WsaError::WSA_OPERATION_ABORTED)
                }
                Err(_) => {
                    if self.k.op(op).is_some_and(|o| o.is_pending()) {
                        self.k.complete_op(op, NtStatus::CANCELLED, 0, 0, 0);
                    }
                }
            }
            // An internal (blocking) operation has no waiter left.
            self.k.take_op(op);
        }
        self.k.trace(Record::World {
            what: "thread_exit",
            value: u64::from(t.0),
        });
    }

    /// Whether thread `t` has exited.
    pub fn has_exited(&self, t: ThreadId) -> bool {
        self.k.thread(t).exit_code.is_some()
    }

    /// Every thread, in id order.
    pub fn threads(&self) -> Vec<ThreadId> {
        self.k.threads.keys().copied().collect()
    }

    /// The threads that can make progress now (not exited, and running or with a wait
    /// that would end or an APC to run), in id order, without allocating.
    pub fn runnable_threads(&self) -> impl Iterator<Item = ThreadId> + '_ {
        self.k
            .threads
            .iter()
            .filter(|(_, th)| th.exit_code.is_none())
            .map(|(&t, _)| t)
            .filter(|&t| self.is_ready(t))
    }

    /// What each waiting thread waits for, for deadlock reports: `(thread, api, what)`.
    pub fn describe_waits(&self) -> Vec<(ThreadId, &'static str, String)> {
        let mut out = Vec::new();
        for (id, th) in &self.k.threads {
            if th.exit_code.is_some() {
                continue;
            }
            let Some(w) = th.frames.iter().rev().find_map(|f| match f {
                Frame::Wait(w) => Some(w),
                Frame::Apc { .. } => None,
            }) else {
                continue;
            };
            let what = match &w.on {
                WaitFor::Nothing => "time".to_string(),
                WaitFor::Op(op) => match self.k.op(*op) {
                    Some(o) => format!("its {} on socket {:#x} to complete", o.what, o.socket),
                    None => format!("operation {op}"),
                },
                WaitFor::Handles { handles, all } => {
                    let hs: Vec<String> = handles.iter().map(|h| format!("{h:#x}")).collect();
                    format!(
                        "{} of handles [{}]",
                        if *all { "all" } else { "any" },
                        hs.join(", ")
                    )
                }
            };
            let what = match w.deadline {
                Some(d) => format!("{what}, until {d}"),
                None => what,
            };
            out.push((*id, w.api, what));
        }
        out
    }

    /// `DWORD WaitForSingleObjectEx(HANDLE hHandle, DWORD dwMilliseconds, BOOL
    /// bAlertable)`.
    pub fn wait_for_single_object_ex(
        &mut self,
        t: ThreadId,
        h: HANDLE,
        ms: u32,
        alertable: i32,
    ) -> Call {
        self.trace_call(
            t,
            "WaitForSingleObjectEx",
            &[
                ("h", h),
                ("ms", u64::from(ms)),
                ("alertable", alertable as u64),
            ],
        );
        self.kernel_wait(
            t,
            "WaitForSingleObjectEx",
            smallvec::smallvec![h],
            false,
            ms,
            alertable != 0,
        )
    }

    /// `DWORD WaitForMultipleObjectsEx(DWORD nCount, const HANDLE *lpHandles, BOOL
    /// bWaitAll, DWORD dwMilliseconds, BOOL bAlertable)`.
    pub fn wait_for_multiple_objects_ex(
        &mut self,
        t: ThreadId,
        count: u32,
        handles: Ptr,
        wait_all: i32,
        ms: u32,
        alertable: i32,
    ) -> Call {
        self.trace_call(
            t,
            "WaitForMultipleObjectsEx",
            &[
                ("count", u64::from(count)),
                ("handles", handles.0),
                ("all", wait_all as u64),
                ("ms", u64::from(ms)),
            ],
        );
        let api = "WaitForMultipleObjectsEx";
        if count == 0 || count > WSA_MAXIMUM_WAIT_EVENTS {
            return self.finish(
                t,
                api,
                Err(WsaError::WSA_INVALID_PARAMETER),
                i64::from(WAIT_FAILED),
            );
        }
        let mut hs: SmallVec<[u64; 8]> = SmallVec::new();
        for i in 0..u64::from(count) {
            match self.k.mem.read_u64(Ptr(handles.0.wrapping_add(i * 8))) {
                Ok(h) if !handles.is_null() => hs.push(h),
                _ => {
                    return self.finish(
                        t,
                        api,
                        Err(WsaError::ERROR_NOACCESS),
                        i64::from(WAIT_FAILED),
                    )
                }
            }
        }
        self.kernel_wait(t, api, hs, wait_all != 0, ms, alertable != 0)
    }

    fn kernel_wait(
        &mut self,
        t: ThreadId,
        api: &'static str,
        handles: SmallVec<[u64; 8]>,
        all: bool,
        ms: u32,
        alertable: bool,
    ) -> Call {
        if handles.iter().any(|&h| self.k.is_signaled(h).is_none()) {
            return self.finish(
                t,
                api,
                Err(WsaError::WSA_INVALID_HANDLE),
                i64::from(WAIT_FAILED),
            );
        }
        let deadline = self.deadline_in(ms);
        let on = WaitFor::Handles { handles, all };
        self.block(
            t,
            Wait::new(
                api,
                on,
                deadline,
                Alertable::from_flag(alertable),
                Resume::WaitHandles,
            ),
        )
    }

    /// `BOOL GetExitCodeThread(HANDLE hThread, LPDWORD lpExitCode)`: `STILL_ACTIVE`
    /// while the thread runs.
    pub fn get_exit_code_thread(&mut self, t: ThreadId, h: HANDLE, lp_exit_code: Ptr) -> i32 {
        self.trace_call(t, "GetExitCodeThread", &[("h", h)]);
        let r = match self.k.handles.get(h) {
            Some(Object::Thread(target)) => {
                let code = self.k.thread(*target).exit_code.unwrap_or(STILL_ACTIVE);
                self.k
                    .mem
                    .write_u32(lp_exit_code, code)
                    .map(|_| 1)
                    .map_err(|_| WsaError::ERROR_NOACCESS)
            }
            _ => Err(WsaError::WSA_INVALID_HANDLE),
        };
        self.finish(t, "GetExitCodeThread", r, 0)
            .done()
            .expect("returns") as i32
    }

    /// `BOOL CloseHandle(HANDLE hObject)` for thread and event handles.
    pub fn close_handle(&mut self, t: ThreadId, h: HANDLE) -> i32 {
        self.trace_call(t, "CloseHandle", &[("h", h)]);
        let r = match self.k.handles.get(h) {
            Some(Object::Thread(_)) | Some(Object::Event(_)) | Some(Object::Port(_)) => {
                self.k.handles.remove(h);
                Ok(1)
            }
            // Sockets are closed with closesocket in this model.
            _ => Err(WsaError::WSA_INVALID_HANDLE),
        };
        self.finish(t, "CloseHandle", r, 0).done().expect("returns") as i32
    }
}
