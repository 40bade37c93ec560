//! The process's real memory, as the model sees it ([`UserMemory`]).
//!
//! A C program passes real pointers; the model reads and writes them through this type.
//! What it detects (and answers with `WSAEFAULT` instead of crashing):
//! - `NULL` and every address below [`LOW_LIMIT`] (64 KiB, Linux's default
//!   `vm.mmap_min_addr`): nothing can be mapped there, so `NULL + offset` faults;
//! - ranges that overflow, or reach past the top of the user address space;
//! - with `process_vm_readv`/`process_vm_writev` on the own process (the default):
//!   any address that is not mapped, or not readable, and for writes, not writable
//!   (a string literal passed as a receive buffer).
//!
//! What it does not detect: a pointer into memory that is mapped but belongs to
//! something else (a freed heap block, another object on the stack). Where the system
//! calls are not allowed (a seccomp filter answering `EPERM`, or `ENOSYS`), the memory is
//! accessed directly and an unmapped address crashes the program, as it would on
//! Windows without the probe (`docs/c-abi.md`, "Bad pointers").

use std::sync::atomic::{AtomicU8, Ordering};
use wsasim_core::memory::{Fault, Ptr, UserMemory};

/// Addresses below this are never valid (Linux maps nothing under 64 KiB by default).
pub const LOW_LIMIT: u64 = 0x1_0000;
/// One past the highest user-space address on x86-64 and AArch64 with 48-bit
/// addressing.
pub const HIGH_LIMIT: u64 = 0x0000_8000_0000_0000;
/// The granularity of mappings: probing one byte per page probes a whole range.
const PAGE: u64 = 4096;
/// Most `iovec`s one `process_vm_*` call takes (`UIO_MAXIOV`).
const IOV_MAX: usize = 1024;

/// Whether the `process_vm_*` system calls work here: unknown, yes, no.
static PROBE: AtomicU8 = AtomicU8::new(PROBE_UNKNOWN);
const PROBE_UNKNOWN: u8 = 0;
const PROBE_YES: u8 = 1;
const PROBE_NO: u8 = 2;

/// The process's own memory.
#[derive(Debug, Default, Clone, Copy)]
pub struct ProcessMemory;

/// What a `process_vm_*` transfer did.
enum Transfer {
    /// Every byte moved.
    Done,
    /// Some address was not accessible.
    Fault,
    /// The system call is not available here: access memory directly instead.
    Unavailable,
}

/// Which way a transfer goes.
#[derive(Clone, Copy)]
enum Dir {
    /// From the program's memory into ours.
    Read,
    /// From ours into the program's memory.
    Write,
}

/// Moves bytes between `local` and `remote` iovecs with `process_vm_readv` or
/// `process_vm_writev` on the own process.
fn transfer(dir: Dir, local: &[libc::iovec], remote: &[libc::iovec]) -> Transfer {
    if PROBE.load(Ordering::Relaxed) == PROBE_NO {
        return Transfer::Unavailable;
    }
    let want: usize = remote.iter().map(|v| v.iov_len).sum();
    // SAFETY: `getpid` has no preconditions.
    let pid = unsafe { libc::getpid() };
    // SAFETY: `local` describes memory this crate owns and may write (reads) or read
    // (writes) for its whole length; `remote` addresses are only dereferenced by the
    // kernel, which checks them and reports EFAULT instead of faulting. The counts are
    // the slices' lengths, at most IOV_MAX (the callers chunk).
    let n = unsafe {
        match dir {
            Dir::Read => libc::process_vm_readv(
                pid,
                local.as_ptr(),
                local.len() as libc::c_ulong,
                remote.as_ptr(),
                remote.len() as libc::c_ulong,
                0,
            ),
            Dir::Write => libc::process_vm_writev(
                pid,
                local.as_ptr(),
                local.len() as libc::c_ulong,
                remote.as_ptr(),
                remote.len() as libc::c_ulong,
                0,
            ),
        }
    };
    if n >= 0 {
        PROBE.store(PROBE_YES, Ordering::Relaxed);
        return if n as usize == want {
            Transfer::Done
        } else {
            Transfer::Fault
        };
    }
    let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
    match errno {
        libc::ENOSYS | libc::EPERM if PROBE.load(Ordering::Relaxed) != PROBE_YES => {
            PROBE.store(PROBE_NO, Ordering::Relaxed);
            Transfer::Unavailable
        }
        _ => Transfer::Fault,
    }
}

/// The range `[addr, addr + len)` if it lies inside the part of the address space where
/// anything can be mapped.
fn plausible(addr: Ptr, len: u64) -> Result<(), Fault> {
    let fault = Fault { addr, len };
    let end = addr.0.checked_add(len).ok_or(fault)?;
    if addr.0 < LOW_LIMIT || end > HIGH_LIMIT {
        return Err(fault);
    }
    Ok(())
}

fn iov(addr: u64, len: usize) -> libc::iovec {
    libc::iovec {
        iov_base: addr as usize as *mut libc::c_void,
        iov_len: len,
    }
}

impl ProcessMemory {
    /// Whether the probing system calls are in use (false: direct access).
    pub fn probing() -> bool {
        PROBE.load(Ordering::Relaxed) != PROBE_NO
    }

    /// Reads one byte of every page of `[addr, addr + len)` (and with `write`, writes
    /// each back unchanged): a fault if any page is not accessible that way.
    fn probe_pages(addr: Ptr, len: u64, write: bool) -> Result<(), Fault> {
        let fault = Fault { addr, len };
        // `plausible` ran first: the range ends below HIGH_LIMIT, so nothing overflows.
        let end = addr.0 + len;
        let mut at = addr.0;
        let mut bytes = [0u8; IOV_MAX];
        while at < end {
            // One byte per page: the first byte, then each page start after it.
            let mut remote: Vec<libc::iovec> = Vec::with_capacity(IOV_MAX);
            while remote.len() < IOV_MAX && at < end {
                remote.push(iov(at, 1));
                at = (at & !(PAGE - 1)) + PAGE;
            }
            let local = [iov(bytes.as_mut_ptr() as u64, remote.len())];
            match transfer(Dir::Read, &local, &remote) {
                Transfer::Done => {}
                Transfer::Fault => return Err(fault),
                Transfer::Unavailable => return Ok(()),
            }
            if write {
                // Write the same bytes back: only the permission is tested. Only the
                // thread holding the scheduler's baton runs, so nothing changes them in
                // between.
                match transfer(Dir::Write, &local, &remote) {
                    Transfer::Done => {}
                    Transfer::Fault => return Err(fault),
                    Transfer::Unavailable => return Ok(()),
                }
            }
        }
        Ok(())
    }
}

/// The `WSAOVERLAPPED`s the system allocated for itself in the process
/// ([`UserMemory::alloc_system_overlapped`]): address -> the owning box.
static SYSTEM_OVS: std::sync::Mutex<std::collections::BTreeMap<u64, Box<[u64; 4]>>> =
    std::sync::Mutex::new(std::collections::BTreeMap::new());

impl UserMemory for ProcessMemory {
    fn alloc_system_overlapped(&mut self, event: u64) -> Option<Ptr> {
        // WSAOVERLAPPED: Internal, InternalHigh, Offset/OffsetHigh, hEvent (32 bytes).
        let b: Box<[u64; 4]> = Box::new([0, 0, 0, event]);
        let addr = b.as_ptr() as usize as u64;
        SYSTEM_OVS.lock().ok()?.insert(addr, b);
        Some(Ptr(addr))
    }

    fn free_system_overlapped(&mut self, ov: Ptr) {
        if let Ok(mut m) = SYSTEM_OVS.lock() {
            m.remove(&ov.0);
        }
    }

    fn read(&self, addr: Ptr, out: &mut [u8]) -> Result<(), Fault> {
        if out.is_empty() {
            return Ok(());
        }
        plausible(addr, out.len() as u64)?;
        let mut done = 0usize;
        // Chunks of at most 1 GiB: `process_vm_readv` moves at most MAX_RW_COUNT bytes.
        while done < out.len() {
            let n = (out.len() - done).min(1 << 30);
            let local = [iov(out[done..].as_mut_ptr() as u64, n)];
            let remote = [iov(addr.0 + done as u64, n)];
            match transfer(Dir::Read, &local, &remote) {
                Transfer::Done => {}
                Transfer::Fault => {
                    return Err(Fault {
                        addr,
                        len: out.len() as u64,
                    })
                }
                Transfer::Unavailable => {
                    // SAFETY: the probing system calls are not allowed here, so the
                    // range is trusted as the program gave it (documented in
                    // docs/c-abi.md): it is plausible (above LOW_LIMIT, below
                    // HIGH_LIMIT, no overflow) and the program's threads are stopped
                    // while the model runs, so nothing writes it concurrently.
                    unsafe {
                        std::ptr::copy_nonoverlapping(
                            (addr.0 + done as u64) as usize as *const u8,
                            out[done..].as_mut_ptr(),
                            n,
                        );
                    }
                }
            }
            done += n;
        }
        Ok(())
    }

    fn write(&mut self, addr: Ptr, data: &[u8]) -> Result<(), Fault> {
        if data.is_empty() {
            return Ok(());
        }
        plausible(addr, data.len() as u64)?;
        let mut done = 0usize;
        while done < data.len() {
            let n = (data.len() - done).min(1 << 30);
            let local = [iov(data[done..].as_ptr() as u64, n)];
            let remote = [iov(addr.0 + done as u64, n)];
            match transfer(Dir::Write, &local, &remote) {
                Transfer::Done => {}
                Transfer::Fault => {
                    return Err(Fault {
                        addr,
                        len: data.len() as u64,
                    })
                }
                Transfer::Unavailable => {
                    // SAFETY: as in `read`: the range is plausible and trusted when the
                    // probing system calls are not allowed, and no other thread of the
                    // program runs while the model does.
                    unsafe {
                        std::ptr::copy_nonoverlapping(
                            data[done..].as_ptr(),
                            (addr.0 + done as u64) as usize as *mut u8,
                            n,
                        );
                    }
                }
            }
            done += n;
        }
        Ok(())
    }

    fn check(&self, addr: Ptr, len: u64, write: bool) -> Result<(), Fault> {
        if len == 0 {
            return Ok(());
        }
        plausible(addr, len)?;
        Self::probe_pages(addr, len, write)
    }

    fn check_code(&self, addr: Ptr) -> Result<(), Fault> {
        // A function's first byte must be mapped and readable (code pages are).
        plausible(addr, 1)?;
        Self::probe_pages(addr, 1, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wsasim_core::memory::UserMemoryExt;

    #[test]
    fn null_and_low_addresses_fault_without_a_system_call() {
        let m = ProcessMemory;
        let mut b = [0u8; 4];
        assert!(m.read(Ptr::NULL, &mut b).is_err());
        assert!(m.read(Ptr(16), &mut b).is_err());
        assert!(m.check(Ptr(LOW_LIMIT - 1), 1, false).is_err());
        assert!(m.check(Ptr(u64::MAX - 2), 8, false).is_err(), "overflow");
        assert!(
            m.check(Ptr(HIGH_LIMIT - 2), 4, false).is_err(),
            "kernel half"
        );
    }

    #[test]
    fn mapped_memory_reads_and_writes_through() {
        let mut m = ProcessMemory;
        let mut data = vec![1u8, 2, 3, 4, 5, 6, 7, 8];
        let p = Ptr(data.as_mut_ptr() as u64);
        assert_eq!(m.read_u32(p).unwrap(), 0x0403_0201);
        m.write_u32(p, 0xdead_beef).unwrap();
        assert!(m.check(p, 8, true).is_ok());
        assert_eq!(&data[..4], &0xdead_beefu32.to_le_bytes());
    }

    #[test]
    fn unmapped_and_read_only_memory_fault_when_probing() {
        // SAFETY: an anonymous mapping of three pages, owned by this test; the middle
        // page is unmapped again and the last made read-only.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                3 * PAGE as usize,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(base, libc::MAP_FAILED);
        let base = base as u64;
        // SAFETY: both ranges lie inside the mapping made above.
        unsafe {
            assert_eq!(
                libc::munmap((base + PAGE) as usize as *mut _, PAGE as usize),
                0
            );
            assert_eq!(
                libc::mprotect(
                    (base + 2 * PAGE) as usize as *mut _,
                    PAGE as usize,
                    libc::PROT_READ
                ),
                0
            );
        }
        let mut m = ProcessMemory;
        let mut b = [0u8; 8];
        assert!(m.read(Ptr(base), &mut b).is_ok());
        if !ProcessMemory::probing() {
            eprintln!("process_vm_readv is not allowed here: probing is off");
            return;
        }
        assert!(
            m.read(Ptr(base + PAGE - 4), &mut b).is_err(),
            "runs into the hole"
        );
        assert!(m.check(Ptr(base), 2 * PAGE, false).is_err());
        assert!(m.check(Ptr(base + 2 * PAGE), 16, false).is_ok(), "readable");
        assert!(
            m.check(Ptr(base + 2 * PAGE), 16, true).is_err(),
            "not writable"
        );
        assert!(m.write(Ptr(base + 2 * PAGE), &[1]).is_err());
        // SAFETY: unmaps what is left of the test's own mapping.
        unsafe {
            libc::munmap(base as usize as *mut _, PAGE as usize);
            libc::munmap((base + 2 * PAGE) as usize as *mut _, PAGE as usize);
        }
    }
}
