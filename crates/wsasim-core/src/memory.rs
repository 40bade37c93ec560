//! The application's address space, as the model sees it.
//!
//! Winsock takes pointers: the `WSABUF` array, the data buffers, `lpNumberOfBytesSent`,
//! the `WSAOVERLAPPED` whose `Internal`/`InternalHigh` the system writes. The model never
//! holds a raw pointer; it reads and writes through [`UserMemory`] at addresses ([`Ptr`]).
//! That is what lets it:
//! - answer `WSAEFAULT` for a pointer "not totally contained in a valid part of the user
//!   address space" (WSASend, error table), instead of crashing;
//! - read a send's data only when the transport consumes it ("once the WSASend function
//!   is called, the system owns these buffers"), so a program that touches its buffers
//!   too early sees the effect, deterministically;
//! - leave `Internal = STATUS_PENDING` (0x103) in the caller's `WSAOVERLAPPED` while an
//!   operation is outstanding, as `HasOverlappedIoCompleted` expects.
//!
//! The Rust API uses [`SimMemory`], a simulated address space; the C ABI crate implements
//! the trait over the process's real memory.

use std::cell::Cell;

/// An address in the application's address space (x64: 64 bits). 0 is `NULL`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ptr(pub u64);

impl Ptr {
    /// `NULL`.
    pub const NULL: Ptr = Ptr(0);
    /// Whether this is `NULL`.
    pub const fn is_null(self) -> bool {
        self.0 == 0
    }
    /// `self + bytes`, or `None` on overflow (an overflowing range is a fault).
    pub fn offset(self, bytes: u64) -> Option<Ptr> {
        self.0.checked_add(bytes).map(Ptr)
    }
}

/// An access outside the valid part of the address space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    /// The first address of the failed access.
    pub addr: Ptr,
    /// Its length.
    pub len: u64,
}

/// The application's memory. Reads and writes either touch the whole range or fail.
pub trait UserMemory: core::fmt::Debug + Send {
    /// Copies `out.len()` bytes at `addr` into `out`.
    fn read(&self, addr: Ptr, out: &mut [u8]) -> Result<(), Fault>;
    /// Copies `data` to `addr`.
    fn write(&mut self, addr: Ptr, data: &[u8]) -> Result<(), Fault>;
    /// Whether `len` bytes at `addr` could be read (and written, if `write`), without
    /// touching them. Used to validate pointers before an operation starts, as the
    /// system probes and locks buffers when an I/O request is built.
    fn check(&self, addr: Ptr, len: u64, write: bool) -> Result<(), Fault>;
    /// Whether `addr` can be the address of a function the program passed (a completion
    /// routine, an APC function): "The ... lpCompletionRoutine parameter is not totally
    /// contained in a valid part of the user address space" is `WSAEFAULT` (WSASend,
    /// error table). The default accepts any non-null address (the Rust API's routines
    /// are registered code addresses); the C ABI probes the process's memory.
    fn check_code(&self, addr: Ptr) -> Result<(), Fault> {
        if addr.is_null() {
            Err(Fault { addr, len: 1 })
        } else {
            Ok(())
        }
    }
    /// Starts a request on the `WSAOVERLAPPED` at `ov`: reads its `hEvent` when
    /// `read_event` (0 otherwise), then writes `Internal` = `internal`; returns `hEvent`.
    /// Fails, writing nothing, when `hEvent` cannot be read. The default is those two
    /// accesses; [`SimMemory`] looks the structure up once (`docs/performance.md`).
    fn begin_overlapped(&mut self, ov: Ptr, read_event: bool, internal: u64) -> Result<u64, Fault> {
        begin_overlapped_each(self, ov, read_event, internal)
    }
    /// Writes `InternalHigh` = `internal_high`, then `Internal` = `internal`, into the
    /// `WSAOVERLAPPED` at `ov` (in that order: `Internal` leaving `STATUS_PENDING` is what
    /// `HasOverlappedIoCompleted` watches); stops at the first that faults.
    fn write_overlapped_status(
        &mut self,
        ov: Ptr,
        internal_high: u64,
        internal: u64,
    ) -> Result<(), Fault> {
        write_overlapped_status_each(self, ov, internal_high, internal)
    }
    /// Reads `Internal` of the `WSAOVERLAPPED` at `ov`, and the result of reading its
    /// `InternalHigh` (which the caller looks at only when `Internal` is not pending).
    fn read_overlapped_status(&self, ov: Ptr) -> Result<(u64, Result<u64, Fault>), Fault> {
        read_overlapped_status_each(self, ov)
    }
    /// This memory as a [`SimMemory`], if it is one (the Rust API allocates through it).
    fn as_sim(&mut self) -> Option<&mut SimMemory> {
        None
    }
    /// Allocates a zeroed `WSAOVERLAPPED` whose `hEvent` is `event` for a request the
    /// system makes itself (the Windows Sockets Direct switch's requests to a SAN
    /// provider, a provider's private requests); `None` when this memory cannot.
    fn alloc_system_overlapped(&mut self, event: u64) -> Option<Ptr> {
        self.as_sim().map(|m| m.alloc_overlapped(event))
    }
    /// Frees what [`UserMemory::alloc_system_overlapped`] returned.
    fn free_system_overlapped(&mut self, ov: Ptr) {
        if let Some(sim) = self.as_sim() {
            sim.free(ov);
        }
    }
}

/// [`UserMemory::begin_overlapped`] as one access per field.
fn begin_overlapped_each<M: UserMemory + ?Sized>(
    mem: &mut M,
    ov: Ptr,
    read_event: bool,
    internal: u64,
) -> Result<u64, Fault> {
    let h = if read_event {
        mem.read_u64(Ptr(ov.0.wrapping_add(overlapped_layout::HEVENT)))?
    } else {
        0
    };
    mem.write_u64(
        Ptr(ov.0.wrapping_add(overlapped_layout::INTERNAL)),
        internal,
    )?;
    Ok(h)
}

/// [`UserMemory::write_overlapped_status`] as one access per field.
fn write_overlapped_status_each<M: UserMemory + ?Sized>(
    mem: &mut M,
    ov: Ptr,
    internal_high: u64,
    internal: u64,
) -> Result<(), Fault> {
    mem.write_u64(
        Ptr(ov.0.wrapping_add(overlapped_layout::INTERNAL_HIGH)),
        internal_high,
    )?;
    mem.write_u64(
        Ptr(ov.0.wrapping_add(overlapped_layout::INTERNAL)),
        internal,
    )
}

/// [`UserMemory::read_overlapped_status`] as one access per field.
fn read_overlapped_status_each<M: UserMemory + ?Sized>(
    mem: &M,
    ov: Ptr,
) -> Result<(u64, Result<u64, Fault>), Fault> {
    let internal = mem.read_u64(Ptr(ov.0.wrapping_add(overlapped_layout::INTERNAL)))?;
    let high = mem.read_u64(Ptr(ov.0.wrapping_add(overlapped_layout::INTERNAL_HIGH)));
    Ok((internal, high))
}

/// Reads and writes of the fixed-size values the Windows x64 ABI puts in memory.
pub trait UserMemoryExt: UserMemory {
    /// A little-endian `u32` at `addr`.
    fn read_u32(&self, addr: Ptr) -> Result<u32, Fault> {
        let mut b = [0u8; 4];
        self.read(addr, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    /// A little-endian `u64` at `addr`.
    fn read_u64(&self, addr: Ptr) -> Result<u64, Fault> {
        let mut b = [0u8; 8];
        self.read(addr, &mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    /// Writes a little-endian `u32`.
    fn write_u32(&mut self, addr: Ptr, v: u32) -> Result<(), Fault> {
        self.write(addr, &v.to_le_bytes())
    }
    /// Writes a little-endian `u64`.
    fn write_u64(&mut self, addr: Ptr, v: u64) -> Result<(), Fault> {
        self.write(addr, &v.to_le_bytes())
    }
}

impl<M: UserMemory + ?Sized> UserMemoryExt for M {}

/// `WSABUF { ULONG len; CHAR *buf; }`: 16 bytes on x64, `len` at 0, `buf` at 8.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WsaBuf {
    /// Length of the buffer in bytes.
    pub len: u32,
    /// Address of the buffer.
    pub buf: Ptr,
}

impl WsaBuf {
    /// Size of one `WSABUF` on x64.
    pub const SIZE: u64 = 16;

    /// Reads `count` `WSABUF`s at `addr` into `out` (cleared first).
    pub fn read_array<M: UserMemory + ?Sized>(
        mem: &M,
        addr: Ptr,
        count: u32,
        out: &mut smallvec::SmallVec<[WsaBuf; 4]>,
    ) -> Result<(), Fault> {
        out.clear();
        let bytes = u64::from(count) * WsaBuf::SIZE;
        // The whole array must be valid before any of it is used; with one element, the
        // read below is that check.
        if count > 1 {
            mem.check(addr, bytes, false)?;
        }
        let mut raw = [0u8; 16];
        for i in 0..u64::from(count) {
            let at = Ptr(addr.0 + i * WsaBuf::SIZE);
            mem.read(at, &mut raw)?;
            let len = u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]);
            let mut p = [0u8; 8];
            p.copy_from_slice(&raw[8..16]);
            out.push(WsaBuf {
                len,
                buf: Ptr(u64::from_le_bytes(p)),
            });
        }
        Ok(())
    }

    /// The 16 bytes of this `WSABUF`.
    pub fn to_bytes(self) -> [u8; 16] {
        let mut raw = [0u8; 16];
        raw[0..4].copy_from_slice(&self.len.to_le_bytes());
        raw[8..16].copy_from_slice(&self.buf.0.to_le_bytes());
        raw
    }
}

/// Offsets in `WSAOVERLAPPED` (= `OVERLAPPED`) on x64: 32 bytes.
pub mod overlapped_layout {
    /// `ULONG_PTR Internal`: the NTSTATUS of the request.
    pub const INTERNAL: u64 = 0;
    /// `ULONG_PTR InternalHigh`: bytes transferred.
    pub const INTERNAL_HIGH: u64 = 8;
    /// `DWORD Offset`: reserved for service providers.
    pub const OFFSET: u64 = 16;
    /// `DWORD OffsetHigh`: reserved for service providers.
    pub const OFFSET_HIGH: u64 = 20;
    /// `HANDLE hEvent`.
    pub const HEVENT: u64 = 24;
    /// `sizeof(WSAOVERLAPPED)`.
    pub const SIZE: u64 = 32;
}

#[derive(Debug)]
struct Region {
    data: Vec<u8>,
    /// Code regions hold "functions" (completion routines, APCs) of the Rust API; they
    /// are valid addresses but reads and writes of them fault.
    code: bool,
}

/// A simulated address space: regions allocated at increasing addresses with gaps
/// between them, so an access past the end of a region, or to a freed region, faults.
/// Addresses are never reused, so a stale pointer always faults.
#[derive(Debug)]
pub struct SimMemory {
    /// `(base, region)`, sorted by base: regions are allocated at increasing addresses,
    /// so a push keeps the order, and a lookup is a binary search (every read, write and
    /// check of a send goes through it; `docs/performance.md`).
    regions: Vec<(u64, Region)>,
    next: u64,
    /// A lookup cache: for page `p` (`addr >> 12`), slot `p % HINTS` holds 1 + the index
    /// of the region an access in that page last found (0: none). A hint is only a guess,
    /// checked against the region's bounds before use, so a stale one costs a binary
    /// search, never a wrong answer; `free` clears them all, as it shifts indices.
    hints: [Cell<u32>; SimMemory::HINTS],
}

impl Default for SimMemory {
    fn default() -> SimMemory {
        SimMemory::new()
    }
}

impl SimMemory {
    /// Gap left unmapped after every region.
    const GUARD: u64 = 4096;
    /// Slots of the lookup cache.
    const HINTS: usize = 64;

    /// An empty address space; the first region starts at 0x10000.
    pub fn new() -> SimMemory {
        SimMemory {
            regions: Vec::new(),
            next: 0x1_0000,
            hints: std::array::from_fn(|_| Cell::new(0)),
        }
    }

    /// Allocates `len` zeroed bytes and returns their address.
    pub fn alloc(&mut self, len: usize) -> Ptr {
        self.alloc_region(vec![0; len], false)
    }

    /// Allocates a copy of `bytes`.
    pub fn alloc_bytes(&mut self, bytes: &[u8]) -> Ptr {
        self.alloc_region(bytes.to_vec(), false)
    }

    /// Allocates a "function" address for the Rust API's callbacks (a completion routine
    /// or an APC function): a valid, non-null code address whose bytes cannot be touched.
    pub fn alloc_code(&mut self) -> Ptr {
        self.alloc_region(vec![0; 16], true)
    }

    /// Allocates and fills a `WSABUF` array.
    pub fn alloc_wsabufs(&mut self, bufs: &[WsaBuf]) -> Ptr {
        let mut bytes = Vec::with_capacity(bufs.len() * 16);
        for b in bufs {
            bytes.extend_from_slice(&b.to_bytes());
        }
        if bytes.is_empty() {
            bytes.resize(16, 0);
        }
        self.alloc_region(bytes, false)
    }

    /// Allocates a zeroed `WSAOVERLAPPED` whose `hEvent` is `event`.
    pub fn alloc_overlapped(&mut self, event: u64) -> Ptr {
        let p = self.alloc(overlapped_layout::SIZE as usize);
        self.write(Ptr(p.0 + overlapped_layout::HEVENT), &event.to_le_bytes())
            .expect("fresh region");
        p
    }

    fn alloc_region(&mut self, data: Vec<u8>, code: bool) -> Ptr {
        let base = self.next;
        let len = data.len().max(1) as u64;
        self.next = (base + len + Self::GUARD + 15) & !15;
        debug_assert!(self.regions.last().is_none_or(|&(b, _)| b < base));
        self.regions.push((base, Region { data, code }));
        Ptr(base)
    }

    /// Frees the region starting at `p`. Later accesses to it fault.
    ///
    /// # Panics
    /// If `p` is not the start of a live region (a bug in the caller's test).
    pub fn free(&mut self, p: Ptr) {
        let i = self
            .regions
            .binary_search_by_key(&p.0, |&(b, _)| b)
            .expect("free of an address that is not a live region");
        self.regions.remove(i);
        for h in &self.hints {
            h.set(0);
        }
    }

    /// Reads `len` bytes at `p` into a new vector (test convenience).
    pub fn read_vec(&self, p: Ptr, len: usize) -> Result<Vec<u8>, Fault> {
        let mut v = vec![0; len];
        self.read(p, &mut v)?;
        Ok(v)
    }

    /// `(region index, offset in it)` of `[addr, addr + len)` when one region holds all
    /// of it. The hint makes the usual case a few comparisons (`docs/performance.md`).
    #[inline]
    fn find(&self, addr: u64, len: u64) -> Option<(usize, usize)> {
        let end = addr.checked_add(len)?;
        let hint = self.hints[(addr >> 12) as usize % Self::HINTS].get() as usize;
        if let Some((base, region)) = self.regions.get(hint.wrapping_sub(1)) {
            if *base <= addr && end <= base + region.data.len() as u64 && addr != 0 {
                return Some((hint - 1, (addr - base) as usize));
            }
        }
        self.find_slow(addr, end)
    }

    /// [`SimMemory::find`] by binary search; remembers the answer in the hint.
    #[cold]
    fn find_slow(&self, addr: u64, end: u64) -> Option<(usize, usize)> {
        // The last region starting at or below `addr`.
        let i = self
            .regions
            .partition_point(|&(b, _)| b <= addr)
            .checked_sub(1)?;
        let (base, region) = &self.regions[i];
        if addr == 0 || end > base + region.data.len() as u64 {
            return None;
        }
        self.hints[(addr >> 12) as usize % Self::HINTS].set(u32::try_from(i + 1).unwrap_or(0));
        Some((i, (addr - base) as usize))
    }
}

impl UserMemory for SimMemory {
    fn as_sim(&mut self) -> Option<&mut SimMemory> {
        Some(self)
    }

    // The OVERLAPPED accesses: one lookup for the whole structure when one region holds
    // it (the usual case); otherwise field by field, so a partly valid structure faults
    // exactly as the separate accesses would.
    fn begin_overlapped(&mut self, ov: Ptr, read_event: bool, internal: u64) -> Result<u64, Fault> {
        const SIZE: usize = overlapped_layout::SIZE as usize;
        match self.find(ov.0, SIZE as u64) {
            Some((i, off)) if !self.regions[i].1.code => {
                let o: &mut [u8; SIZE] = (&mut self.regions[i].1.data[off..off + SIZE])
                    .try_into()
                    .expect("SIZE bytes");
                let h = if read_event {
                    u64::from_le_bytes(o[24..32].try_into().expect("8 bytes"))
                } else {
                    0
                };
                o[0..8].copy_from_slice(&internal.to_le_bytes());
                Ok(h)
            }
            _ => begin_overlapped_each(self, ov, read_event, internal),
        }
    }

    fn write_overlapped_status(
        &mut self,
        ov: Ptr,
        internal_high: u64,
        internal: u64,
    ) -> Result<(), Fault> {
        match self.find(ov.0, 16) {
            Some((i, off)) if !self.regions[i].1.code => {
                let o: &mut [u8; 16] = (&mut self.regions[i].1.data[off..off + 16])
                    .try_into()
                    .expect("16 bytes");
                o[8..16].copy_from_slice(&internal_high.to_le_bytes());
                o[0..8].copy_from_slice(&internal.to_le_bytes());
                Ok(())
            }
            _ => write_overlapped_status_each(self, ov, internal_high, internal),
        }
    }

    fn read_overlapped_status(&self, ov: Ptr) -> Result<(u64, Result<u64, Fault>), Fault> {
        match self.find(ov.0, 16) {
            Some((i, off)) if !self.regions[i].1.code => {
                let o = &self.regions[i].1.data[off..off + 16];
                let internal = u64::from_le_bytes(o[0..8].try_into().expect("8 bytes"));
                let high = u64::from_le_bytes(o[8..16].try_into().expect("8 bytes"));
                Ok((internal, Ok(high)))
            }
            _ => read_overlapped_status_each(self, ov),
        }
    }

    fn read(&self, addr: Ptr, out: &mut [u8]) -> Result<(), Fault> {
        let len = out.len();
        match self.find(addr.0, len as u64) {
            Some((i, off)) if !self.regions[i].1.code => {
                copy(out, &self.regions[i].1.data[off..off + len]);
                Ok(())
            }
            _ => Err(Fault {
                addr,
                len: len as u64,
            }),
        }
    }

    fn write(&mut self, addr: Ptr, data: &[u8]) -> Result<(), Fault> {
        let len = data.len();
        match self.find(addr.0, len as u64) {
            Some((i, off)) if !self.regions[i].1.code => {
                copy(&mut self.regions[i].1.data[off..off + len], data);
                Ok(())
            }
            _ => Err(Fault {
                addr,
                len: len as u64,
            }),
        }
    }

    fn check(&self, addr: Ptr, len: u64, _write: bool) -> Result<(), Fault> {
        if len == 0 {
            return Ok(());
        }
        match self.find(addr.0, len) {
            Some((i, _)) if !self.regions[i].1.code => Ok(()),
            _ => Err(Fault { addr, len }),
        }
    }
}

/// `dst.copy_from_slice(src)`, with the sizes of `DWORD`s, pointers and `WSABUF`s copied
/// inline rather than through a `memcpy` call (most accesses are those).
#[inline]
fn copy(dst: &mut [u8], src: &[u8]) {
    match dst.len() {
        4 => dst[..4].copy_from_slice(&src[..4]),
        8 => dst[..8].copy_from_slice(&src[..8]),
        16 => dst[..16].copy_from_slice(&src[..16]),
        _ => dst.copy_from_slice(src),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_bounds_null_and_freed_accesses_fault() {
        let mut m = SimMemory::new();
        let p = m.alloc_bytes(b"hello");
        assert_eq!(m.read_vec(p, 5).unwrap(), b"hello");
        assert!(m.read_vec(p, 6).is_err(), "one past the end");
        assert!(m.read_vec(Ptr::NULL, 1).is_err());
        assert!(
            m.check(Ptr(u64::MAX - 1), 8, false).is_err(),
            "overflowing range"
        );
        m.free(p);
        assert!(m.read_vec(p, 1).is_err(), "freed");
        let q = m.alloc(4);
        assert_ne!(p, q, "addresses are never reused");
    }

    #[test]
    fn wsabuf_arrays_use_the_x64_layout() {
        let mut m = SimMemory::new();
        let data = m.alloc(10);
        let arr = m.alloc_wsabufs(&[WsaBuf { len: 10, buf: data }, WsaBuf { len: 3, buf: data }]);
        let raw = m.read_vec(arr, 32).unwrap();
        assert_eq!(&raw[0..4], &10u32.to_le_bytes());
        assert_eq!(&raw[8..16], &data.0.to_le_bytes());
        let mut out = smallvec::SmallVec::new();
        WsaBuf::read_array(&m, arr, 2, &mut out).unwrap();
        assert_eq!(out[1], WsaBuf { len: 3, buf: data });
        assert!(
            WsaBuf::read_array(&m, arr, 3, &mut out).is_err(),
            "array runs off the region"
        );
    }

    /// A `UserMemory` with only the required methods: the trait's field-by-field
    /// defaults, as the C ABI's memory uses them.
    #[derive(Debug)]
    struct Plain(SimMemory);
    impl UserMemory for Plain {
        fn read(&self, addr: Ptr, out: &mut [u8]) -> Result<(), Fault> {
            self.0.read(addr, out)
        }
        fn write(&mut self, addr: Ptr, data: &[u8]) -> Result<(), Fault> {
            self.0.write(addr, data)
        }
        fn check(&self, addr: Ptr, len: u64, write: bool) -> Result<(), Fault> {
            self.0.check(addr, len, write)
        }
    }

    /// The OVERLAPPED accesses on `m`: `ov` is a whole `WSAOVERLAPPED` whose `hEvent`
    /// is 0x84, `short` an 8-byte region holding 7 (only `Internal` is valid).
    fn overlapped_accesses(m: &mut dyn UserMemory, ov: Ptr, short: Ptr) {
        assert_eq!(m.begin_overlapped(ov, true, 0x103), Ok(0x84));
        assert_eq!(m.read_u64(ov), Ok(0x103));
        assert_eq!(m.begin_overlapped(ov, false, 0x103), Ok(0));
        assert_eq!(m.read_overlapped_status(ov), Ok((0x103, Ok(0))));
        m.write_overlapped_status(ov, 64, 0).unwrap();
        assert_eq!(m.read_overlapped_status(ov), Ok((0, Ok(64))));
        assert_eq!(m.read_u64(Ptr(ov.0 + 24)), Ok(0x84), "hEvent untouched");
        // A partly valid structure faults as its fields would, one by one.
        assert!(
            m.begin_overlapped(short, true, 0x103).is_err(),
            "hEvent faults"
        );
        assert_eq!(m.read_u64(short), Ok(7), "nothing written");
        assert_eq!(m.begin_overlapped(short, false, 0x103), Ok(0));
        assert_eq!(m.read_u64(short), Ok(0x103));
        assert!(m.write_overlapped_status(short, 1, 0).is_err());
        assert_eq!(m.read_u64(short), Ok(0x103), "InternalHigh faults first");
        let (internal, high) = m.read_overlapped_status(short).unwrap();
        assert_eq!(internal, 0x103);
        assert!(high.is_err());
    }

    #[test]
    fn overlapped_fast_paths_match_the_field_by_field_accesses() {
        let mut sim = SimMemory::new();
        let (ov, short) = (
            sim.alloc_overlapped(0x84),
            sim.alloc_bytes(&7u64.to_le_bytes()),
        );
        overlapped_accesses(&mut sim, ov, short);
        let mut plain = Plain(SimMemory::new());
        let (ov, short) = (
            plain.0.alloc_overlapped(0x84),
            plain.0.alloc_bytes(&7u64.to_le_bytes()),
        );
        overlapped_accesses(&mut plain, ov, short);
    }

    #[test]
    fn code_addresses_are_valid_but_untouchable() {
        let mut m = SimMemory::new();
        let f = m.alloc_code();
        assert!(!f.is_null());
        assert!(m.read_vec(f, 1).is_err());
    }
}
