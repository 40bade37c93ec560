//! `WSAMSG` and its control data (`WSACMSGHDR`) in Windows' x64 layout, and Rust
//! versions of the `WSA_CMSG_*` macros of `ws2def.h`.
//!
//! Heads up (`reference/windows-semantics.md` §4):
//! - `WSAMSG { LPSOCKADDR name; INT namelen; LPWSABUF lpBuffers; ULONG dwBufferCount;
//!   WSABUF Control; ULONG dwFlags; }`: x64 `name`@0, `namelen`@8, `lpBuffers`@16,
//!   `dwBufferCount`@24, `Control`@32 (`len`@32, `buf`@40), `dwFlags`@48, size 56.
//! - `WSACMSGHDR { SIZE_T cmsg_len; INT cmsg_level; INT cmsg_type; }`: the real header
//!   uses `SIZE_T`, so on x64 the header is 16 bytes and the data starts at 16 (the
//!   WSAMSG page's `UINT cmsg_len` is wrong). `cmsg_len` counts from the start of the
//!   header to the end of the data, without trailing padding.
//! - Worked values on x64: `in_pktinfo` (8 bytes): `WSA_CMSG_SPACE` 24, `WSA_CMSG_LEN`
//!   24; `in6_pktinfo` (20 bytes): `WSA_CMSG_SPACE` 40, `WSA_CMSG_LEN` 36.

use crate::memory::{Fault, Ptr, UserMemory, WsaBuf};

/// Offsets in `WSAMSG` on x64.
pub mod wsamsg_layout {
    /// `LPSOCKADDR name`.
    pub const NAME: u64 = 0;
    /// `INT namelen`.
    pub const NAMELEN: u64 = 8;
    /// `LPWSABUF lpBuffers`.
    pub const LP_BUFFERS: u64 = 16;
    /// `ULONG dwBufferCount`.
    pub const DW_BUFFER_COUNT: u64 = 24;
    /// `WSABUF Control`: its `len`.
    pub const CONTROL_LEN: u64 = 32;
    /// `WSABUF Control`: its `buf`.
    pub const CONTROL_BUF: u64 = 40;
    /// `ULONG dwFlags`.
    pub const DW_FLAGS: u64 = 48;
    /// `sizeof(WSAMSG)`.
    pub const SIZE: u64 = 56;
}

/// A `WSAMSG`, as read from (or to be written to) the application's memory.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WsaMsg {
    /// `name`: the peer address (send: the destination; receive: the source).
    pub name: Ptr,
    /// `namelen`.
    pub namelen: i32,
    /// `lpBuffers`.
    pub buffers: Ptr,
    /// `dwBufferCount`.
    pub buffer_count: u32,
    /// `Control`: the control data.
    pub control: WsaBuf,
    /// `dwFlags`.
    pub flags: u32,
}

impl WsaMsg {
    /// Reads the 56 bytes of a `WSAMSG` at `p`.
    pub fn read<M: UserMemory + ?Sized>(mem: &M, p: Ptr) -> Result<WsaMsg, Fault> {
        let mut raw = [0u8; wsamsg_layout::SIZE as usize];
        mem.read(p, &mut raw)?;
        let u32_at = |o: usize| u32::from_le_bytes([raw[o], raw[o + 1], raw[o + 2], raw[o + 3]]);
        let u64_at = |o: usize| u64::from(u32_at(o)) | (u64::from(u32_at(o + 4)) << 32);
        Ok(WsaMsg {
            name: Ptr(u64_at(0)),
            namelen: u32_at(8) as i32,
            buffers: Ptr(u64_at(16)),
            buffer_count: u32_at(24),
            control: WsaBuf {
                len: u32_at(32),
                buf: Ptr(u64_at(40)),
            },
            flags: u32_at(48),
        })
    }

    /// The 56 bytes of this `WSAMSG`.
    pub fn to_bytes(&self) -> [u8; wsamsg_layout::SIZE as usize] {
        let mut raw = [0u8; wsamsg_layout::SIZE as usize];
        raw[0..8].copy_from_slice(&self.name.0.to_le_bytes());
        raw[8..12].copy_from_slice(&self.namelen.to_le_bytes());
        raw[16..24].copy_from_slice(&self.buffers.0.to_le_bytes());
        raw[24..28].copy_from_slice(&self.buffer_count.to_le_bytes());
        raw[32..48].copy_from_slice(&self.control.to_bytes());
        raw[48..52].copy_from_slice(&self.flags.to_le_bytes());
        raw
    }
}

/// `sizeof(WSACMSGHDR)` on x64.
pub const CMSGHDR_SIZE: u64 = 16;
/// `TYPE_ALIGNMENT(WSACMSGHDR)` on x64.
pub const CMSGHDR_ALIGNMENT: u64 = 8;
/// `MAX_NATURAL_ALIGNMENT` on x64 (`sizeof(ULONGLONG)`).
pub const MAX_NATURAL_ALIGNMENT: u64 = 8;
/// `sizeof(IN_PKTINFO)`.
pub const IN_PKTINFO_SIZE: u64 = 8;
/// `sizeof(IN6_PKTINFO)`.
pub const IN6_PKTINFO_SIZE: u64 = 20;

const fn round_up(n: u64, to: u64) -> u64 {
    (n + to - 1) & !(to - 1)
}

/// `WSA_CMSGHDR_ALIGN(n)`: `n` rounded up to the header's alignment.
pub const fn wsa_cmsghdr_align(n: u64) -> u64 {
    round_up(n, CMSGHDR_ALIGNMENT)
}

/// `WSA_CMSGDATA_ALIGN(n)`: `n` rounded up to `MAX_NATURAL_ALIGNMENT`.
pub const fn wsa_cmsgdata_align(n: u64) -> u64 {
    round_up(n, MAX_NATURAL_ALIGNMENT)
}

/// `WSA_CMSG_SPACE(n)`: the bytes one control object with `n` data bytes takes,
/// padding included.
pub const fn wsa_cmsg_space(n: u64) -> u64 {
    wsa_cmsgdata_align(CMSGHDR_SIZE + wsa_cmsghdr_align(n))
}

/// `WSA_CMSG_LEN(n)`: the `cmsg_len` of a control object with `n` data bytes.
pub const fn wsa_cmsg_len(n: u64) -> u64 {
    wsa_cmsgdata_align(CMSGHDR_SIZE) + n
}

/// `WSA_CMSG_DATA(cmsg)`: where the data of the header at `cmsg` starts.
pub const fn wsa_cmsg_data(cmsg: Ptr) -> Ptr {
    Ptr(cmsg.0 + wsa_cmsgdata_align(CMSGHDR_SIZE))
}

/// `WSA_CMSG_FIRSTHDR(msg)`: `Control.buf` if `Control.len >= sizeof(WSACMSGHDR)`.
pub fn wsa_cmsg_firsthdr(msg: &WsaMsg) -> Option<Ptr> {
    (u64::from(msg.control.len) >= CMSGHDR_SIZE).then_some(msg.control.buf)
}

/// `WSA_CMSG_NXTHDR(msg, cmsg)`: the first header for `None`; otherwise the header after
/// `cmsg`, or `None` when a header there would pass the end of `Control`. Reads
/// `cmsg->cmsg_len` from `mem`.
pub fn wsa_cmsg_nxthdr<M: UserMemory + ?Sized>(
    mem: &M,
    msg: &WsaMsg,
    cmsg: Option<Ptr>,
) -> Result<Option<Ptr>, Fault> {
    let Some(c) = cmsg else {
        return Ok(wsa_cmsg_firsthdr(msg));
    };
    let hdr = CmsgHdr::read(mem, c)?;
    let next = c.0.saturating_add(wsa_cmsghdr_align(hdr.len));
    let end = msg.control.buf.0 + u64::from(msg.control.len);
    Ok((next.saturating_add(CMSGHDR_SIZE) <= end).then_some(Ptr(next)))
}

/// A `WSACMSGHDR`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CmsgHdr {
    /// `cmsg_len` (`SIZE_T`).
    pub len: u64,
    /// `cmsg_level`.
    pub level: i32,
    /// `cmsg_type`.
    pub ty: i32,
}

impl CmsgHdr {
    /// Reads the 16-byte header at `p`.
    pub fn read<M: UserMemory + ?Sized>(mem: &M, p: Ptr) -> Result<CmsgHdr, Fault> {
        let mut raw = [0u8; CMSGHDR_SIZE as usize];
        mem.read(p, &mut raw)?;
        Ok(CmsgHdr::from_bytes(&raw))
    }

    /// Decodes the 16 bytes of a header.
    pub fn from_bytes(raw: &[u8; CMSGHDR_SIZE as usize]) -> CmsgHdr {
        let mut len = [0u8; 8];
        len.copy_from_slice(&raw[0..8]);
        CmsgHdr {
            len: u64::from_le_bytes(len),
            level: i32::from_le_bytes([raw[8], raw[9], raw[10], raw[11]]),
            ty: i32::from_le_bytes([raw[12], raw[13], raw[14], raw[15]]),
        }
    }

    /// The 16 bytes of this header.
    pub fn to_bytes(&self) -> [u8; CMSGHDR_SIZE as usize] {
        let mut raw = [0u8; CMSGHDR_SIZE as usize];
        raw[0..8].copy_from_slice(&self.len.to_le_bytes());
        raw[8..12].copy_from_slice(&self.level.to_le_bytes());
        raw[12..16].copy_from_slice(&self.ty.to_le_bytes());
        raw
    }
}

/// `IN_PKTINFO { IN_ADDR ipi_addr; ULONG ipi_ifindex; }`.
pub fn in_pktinfo(addr: [u8; 4], if_index: u32) -> [u8; IN_PKTINFO_SIZE as usize] {
    let mut raw = [0u8; IN_PKTINFO_SIZE as usize];
    raw[0..4].copy_from_slice(&addr);
    raw[4..8].copy_from_slice(&if_index.to_le_bytes());
    raw
}

/// `IN6_PKTINFO { IN6_ADDR ipi6_addr; ULONG ipi6_ifindex; }`.
pub fn in6_pktinfo(addr: [u8; 16], if_index: u32) -> [u8; IN6_PKTINFO_SIZE as usize] {
    let mut raw = [0u8; IN6_PKTINFO_SIZE as usize];
    raw[0..16].copy_from_slice(&addr);
    raw[16..20].copy_from_slice(&if_index.to_le_bytes());
    raw
}

/// Control data holding `entries` (`(cmsg_level, cmsg_type, data)`), each object
/// taking `WSA_CMSG_SPACE(data.len())` bytes, as an application builds it with the
/// macros.
pub fn build_control(entries: &[(i32, i32, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for &(level, ty, data) in entries {
        let start = out.len();
        let hdr = CmsgHdr {
            len: wsa_cmsg_len(data.len() as u64),
            level,
            ty,
        };
        out.extend_from_slice(&hdr.to_bytes());
        out.extend_from_slice(data);
        out.resize(start + wsa_cmsg_space(data.len() as u64) as usize, 0);
    }
    out
}

/// A malformed control object: `cmsg_len` shorter than a header, or past the end of
/// the buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadCmsg;

/// The control objects of `control` (`(cmsg_level, cmsg_type, data)`), walked as
/// `WSA_CMSG_FIRSTHDR` / `WSA_CMSG_NXTHDR` do.
pub fn parse_control(control: &[u8]) -> Result<Vec<(i32, i32, Vec<u8>)>, BadCmsg> {
    let mut out = Vec::new();
    let end = control.len() as u64;
    let mut at = 0u64;
    while at + CMSGHDR_SIZE <= end {
        let mut raw = [0u8; CMSGHDR_SIZE as usize];
        raw.copy_from_slice(&control[at as usize..(at + CMSGHDR_SIZE) as usize]);
        let hdr = CmsgHdr::from_bytes(&raw);
        if hdr.len < CMSGHDR_SIZE || hdr.len > end - at {
            return Err(BadCmsg);
        }
        let data = wsa_cmsg_data(Ptr(at)).0;
        out.push((
            hdr.level,
            hdr.ty,
            control[data as usize..(at + hdr.len) as usize].to_vec(),
        ));
        at += wsa_cmsghdr_align(hdr.len);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::SimMemory;

    #[test]
    fn cmsg_macros_have_the_x64_values() {
        // windows-semantics §4: in_pktinfo SPACE 24 / LEN 24; in6_pktinfo SPACE 40 / LEN 36.
        assert_eq!(wsa_cmsg_space(IN_PKTINFO_SIZE), 24);
        assert_eq!(wsa_cmsg_len(IN_PKTINFO_SIZE), 24);
        assert_eq!(wsa_cmsg_space(IN6_PKTINFO_SIZE), 40);
        assert_eq!(wsa_cmsg_len(IN6_PKTINFO_SIZE), 36);
        assert_eq!(wsa_cmsg_data(Ptr(0x1000)), Ptr(0x1010));
        assert_eq!(wsa_cmsghdr_align(36), 40);
    }

    #[test]
    fn wsamsg_round_trips_in_56_bytes() {
        let m = WsaMsg {
            name: Ptr(0x1122_3344_5566),
            namelen: 16,
            buffers: Ptr(0x7788),
            buffer_count: 2,
            control: WsaBuf {
                len: 24,
                buf: Ptr(0x99AA),
            },
            flags: 0xdead_beef,
        };
        let mut mem = SimMemory::new();
        let p = mem.alloc_bytes(&m.to_bytes());
        assert_eq!(WsaMsg::read(&mem, p).unwrap(), m);
        assert_eq!(m.to_bytes().len(), 56);
    }

    #[test]
    fn nxthdr_walks_built_control_data_and_stops_at_the_end() {
        let a = in_pktinfo([10, 0, 0, 1], 2);
        let b = in6_pktinfo([0xfe; 16], 3);
        let bytes = build_control(&[(0, 19, &a), (41, 19, &b)]);
        assert_eq!(bytes.len(), 24 + 40);
        let mut mem = SimMemory::new();
        let buf = mem.alloc_bytes(&bytes);
        let msg = WsaMsg {
            control: WsaBuf {
                len: bytes.len() as u32,
                buf,
            },
            ..WsaMsg::default()
        };
        let first = wsa_cmsg_nxthdr(&mem, &msg, None).unwrap().unwrap();
        assert_eq!(first, buf);
        let second = wsa_cmsg_nxthdr(&mem, &msg, Some(first)).unwrap().unwrap();
        assert_eq!(second, Ptr(buf.0 + 24));
        assert_eq!(CmsgHdr::read(&mem, second).unwrap().len, 36);
        assert_eq!(wsa_cmsg_nxthdr(&mem, &msg, Some(second)).unwrap(), None);
        let parsed = parse_control(&bytes).unwrap();
        assert_eq!(parsed[0], (0, 19, a.to_vec()));
        assert_eq!(parsed[1], (41, 19, b.to_vec()));
        let short = WsaMsg {
            control: WsaBuf { len: 15, buf },
            ..WsaMsg::default()
        };
        assert_eq!(wsa_cmsg_firsthdr(&short), None);
        let mut bad = bytes.clone();
        bad[0] = 8; // cmsg_len shorter than the header
        assert_eq!(parse_control(&bad), Err(BadCmsg));
    }
}
