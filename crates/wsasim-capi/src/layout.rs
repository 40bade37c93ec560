//! `#[repr(C)]` mirrors of the Windows x64 structures the headers declare, so the Rust
//! side agrees with `include/` on every size and offset (the tests below pin them; the
//! C side pins the same numbers with `_Static_assert`s in `tests/c/layout.c`).
//!
//! Sources: `reference/windows-semantics.md` §4 and `reference/wine-facts.md` §2.1
//! (sizes and offsets of the SDK headers on x64).

#![allow(missing_docs)]

use std::ffi::{c_char, c_void};

/// `WSABUF { ULONG len; CHAR *buf; }`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct WsaBuf {
    pub len: u32,
    pub buf: *mut c_char,
}

/// `OVERLAPPED` (= `WSAOVERLAPPED`); `Offset`/`OffsetHigh` share 8 bytes with `Pointer`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Overlapped {
    pub internal: usize,
    pub internal_high: usize,
    pub offset: u32,
    pub offset_high: u32,
    pub h_event: *mut c_void,
}

/// `WSAMSG`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct WsaMsg {
    pub name: *mut c_void,
    pub namelen: i32,
    pub lp_buffers: *mut WsaBuf,
    pub dw_buffer_count: u32,
    pub control: WsaBuf,
    pub dw_flags: u32,
}

/// `WSACMSGHDR { SIZE_T cmsg_len; INT cmsg_level; INT cmsg_type; }`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct WsaCmsgHdr {
    pub cmsg_len: usize,
    pub cmsg_level: i32,
    pub cmsg_type: i32,
}

/// `SOCKADDR { ADDRESS_FAMILY sa_family; CHAR sa_data[14]; }`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct SockAddr {
    pub sa_family: u16,
    pub sa_data: [u8; 14],
}

/// `SOCKADDR_IN`; `sin_addr` is an `IN_ADDR` (4 bytes, network order).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct SockAddrIn {
    pub sin_family: u16,
    pub sin_port: u16,
    pub sin_addr: u32,
    pub sin_zero: [u8; 8],
}

/// `SOCKADDR_IN6`; the scope is a union of `ULONG` and `SCOPE_ID` (4 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct SockAddrIn6 {
    pub sin6_family: u16,
    pub sin6_port: u16,
    pub sin6_flowinfo: u32,
    pub sin6_addr: [u8; 16],
    pub sin6_scope_id: u32,
}

/// `SOCKADDR_STORAGE`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct SockAddrStorage {
    pub ss_family: u16,
    pub ss_pad1: [u8; 6],
    pub ss_align: i64,
    pub ss_pad2: [u8; 112],
}

/// `ADDRINFOA`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct AddrInfo {
    pub ai_flags: i32,
    pub ai_family: i32,
    pub ai_socktype: i32,
    pub ai_protocol: i32,
    pub ai_addrlen: usize,
    pub ai_canonname: *mut c_char,
    pub ai_addr: *mut c_void,
    pub ai_next: *mut AddrInfo,
}

/// `fd_set { u_int fd_count; SOCKET fd_array[FD_SETSIZE]; }` with `FD_SETSIZE` 64.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct FdSet {
    pub fd_count: u32,
    pub fd_array: [u64; 64],
}

/// `timeval { long tv_sec; long tv_usec; }` with Windows' 32-bit `long`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct TimeVal {
    pub tv_sec: i32,
    pub tv_usec: i32,
}

/// `LINGER { u_short l_onoff; u_short l_linger; }`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Linger {
    pub l_onoff: u16,
    pub l_linger: u16,
}

/// `WSADATA` in the Win64 field order.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct WsaData {
    pub w_version: u16,
    pub w_high_version: u16,
    pub i_max_sockets: u16,
    pub i_max_udp_dg: u16,
    pub lp_vendor_info: *mut c_char,
    pub sz_description: [u8; 257],
    pub sz_system_status: [u8; 129],
}

/// `WSANETWORKEVENTS { long lNetworkEvents; int iErrorCode[FD_MAX_EVENTS]; }`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct WsaNetworkEvents {
    pub l_network_events: i32,
    pub i_error_code: [i32; 10],
}

/// `WSAPOLLFD { SOCKET fd; SHORT events; SHORT revents; }`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct WsaPollFd {
    pub fd: u64,
    pub events: i16,
    pub revents: i16,
}

/// `WSATHREADID { HANDLE ThreadHandle; DWORD_PTR Reserved; }`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct WsaThreadId {
    pub thread_handle: *mut c_void,
    pub reserved: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{align_of, offset_of, size_of};
    use wsasim_core::memory::{overlapped_layout as ovl, WsaBuf as ModelWsaBuf};

    #[test]
    fn socket_and_handles_are_pointer_sized() {
        assert_eq!(size_of::<crate::winsock::SOCKET>(), 8);
        assert_eq!(size_of::<*mut c_void>(), 8, "HANDLE, WSAEVENT");
    }

    #[test]
    fn wsabuf_is_16_bytes_len_at_0_buf_at_8() {
        assert_eq!(size_of::<WsaBuf>(), 16);
        assert_eq!(offset_of!(WsaBuf, len), 0);
        assert_eq!(offset_of!(WsaBuf, buf), 8);
        assert_eq!(
            size_of::<WsaBuf>() as u64,
            ModelWsaBuf::SIZE,
            "the model agrees"
        );
    }

    #[test]
    fn overlapped_is_32_bytes_with_the_model_offsets() {
        assert_eq!(size_of::<Overlapped>(), 32);
        assert_eq!(align_of::<Overlapped>(), 8);
        assert_eq!(offset_of!(Overlapped, internal) as u64, ovl::INTERNAL);
        assert_eq!(
            offset_of!(Overlapped, internal_high) as u64,
            ovl::INTERNAL_HIGH
        );
        assert_eq!(offset_of!(Overlapped, offset) as u64, ovl::OFFSET);
        assert_eq!(offset_of!(Overlapped, offset_high) as u64, ovl::OFFSET_HIGH);
        assert_eq!(offset_of!(Overlapped, h_event) as u64, ovl::HEVENT);
        assert_eq!(size_of::<Overlapped>() as u64, ovl::SIZE);
    }

    #[test]
    fn wsamsg_is_56_bytes() {
        assert_eq!(size_of::<WsaMsg>(), 56);
        assert_eq!(offset_of!(WsaMsg, name), 0);
        assert_eq!(offset_of!(WsaMsg, namelen), 8);
        assert_eq!(offset_of!(WsaMsg, lp_buffers), 16);
        assert_eq!(offset_of!(WsaMsg, dw_buffer_count), 24);
        assert_eq!(offset_of!(WsaMsg, control), 32);
        assert_eq!(offset_of!(WsaMsg, dw_flags), 48);
        assert_eq!(size_of::<WsaCmsgHdr>(), 16);
    }

    #[test]
    fn socket_addresses_have_the_windows_sizes() {
        assert_eq!(size_of::<SockAddr>(), 16);
        assert_eq!(size_of::<SockAddrIn>(), 16);
        assert_eq!(offset_of!(SockAddrIn, sin_port), 2);
        assert_eq!(offset_of!(SockAddrIn, sin_addr), 4);
        assert_eq!(offset_of!(SockAddrIn, sin_zero), 8);
        assert_eq!(size_of::<SockAddrIn6>(), 28);
        assert_eq!(offset_of!(SockAddrIn6, sin6_flowinfo), 4);
        assert_eq!(offset_of!(SockAddrIn6, sin6_addr), 8);
        assert_eq!(offset_of!(SockAddrIn6, sin6_scope_id), 24);
        assert_eq!(size_of::<SockAddrStorage>(), 128);
        assert_eq!(
            i32::try_from(size_of::<SockAddrIn>()).unwrap(),
            wsasim_core::net::addr::SOCKADDR_IN_LEN
        );
        assert_eq!(
            i32::try_from(size_of::<SockAddrIn6>()).unwrap(),
            wsasim_core::net::addr::SOCKADDR_IN6_LEN
        );
    }

    #[test]
    fn addrinfoa_is_48_bytes_with_a_size_t_addrlen() {
        assert_eq!(size_of::<AddrInfo>(), 48);
        assert_eq!(offset_of!(AddrInfo, ai_family), 4);
        assert_eq!(offset_of!(AddrInfo, ai_socktype), 8);
        assert_eq!(offset_of!(AddrInfo, ai_protocol), 12);
        assert_eq!(offset_of!(AddrInfo, ai_addrlen), 16);
        assert_eq!(offset_of!(AddrInfo, ai_canonname), 24);
        assert_eq!(offset_of!(AddrInfo, ai_addr), 32);
        assert_eq!(offset_of!(AddrInfo, ai_next), 40);
    }

    #[test]
    fn fd_set_timeval_linger_wsadata_have_the_windows_sizes() {
        assert_eq!(size_of::<FdSet>(), 520);
        assert_eq!(offset_of!(FdSet, fd_array), 8);
        assert_eq!(size_of::<TimeVal>(), 8);
        assert_eq!(size_of::<Linger>(), 4);
        assert_eq!(offset_of!(Linger, l_linger), 2);
        assert_eq!(size_of::<WsaData>(), 408);
        assert_eq!(offset_of!(WsaData, i_max_sockets), 4);
        assert_eq!(offset_of!(WsaData, lp_vendor_info), 8);
        assert_eq!(offset_of!(WsaData, sz_description), 16);
        assert_eq!(offset_of!(WsaData, sz_system_status), 273);
    }

    #[test]
    fn event_poll_and_spi_structures_have_the_windows_sizes() {
        assert_eq!(size_of::<WsaNetworkEvents>(), 44);
        assert_eq!(size_of::<WsaPollFd>(), 16);
        assert_eq!(offset_of!(WsaPollFd, events), 8);
        assert_eq!(offset_of!(WsaPollFd, revents), 10);
        assert_eq!(size_of::<WsaThreadId>(), 16);
    }
}
