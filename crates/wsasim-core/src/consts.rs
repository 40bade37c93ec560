//! Winsock constants with the values of the Windows SDK headers on x64
//! (`WinSock2.h`, `ws2def.h`, `ws2ipdef.h`, `winbase.h`; see
//! `reference/windows-semantics.md` §9 and `reference/wine-facts.md` §2).

#![allow(missing_docs)]

/// `SOCKET` is `UINT_PTR`: pointer-sized on x64.
pub type SOCKET = u64;
/// `INVALID_SOCKET` = `(SOCKET)(~0)`.
pub const INVALID_SOCKET: SOCKET = !0;
/// `SOCKET_ERROR` = -1.
pub const SOCKET_ERROR: i32 = -1;
/// Handles (`HANDLE`, `WSAEVENT`) are pointer-sized.
pub type HANDLE = u64;
pub const WSA_INVALID_EVENT: HANDLE = 0;

// Address families, types, protocols.
pub const AF_UNSPEC: i32 = 0;
pub const AF_INET: i32 = 2;
pub const AF_INET6: i32 = 23;
pub const SOCK_STREAM: i32 = 1;
pub const SOCK_DGRAM: i32 = 2;
pub const SOCK_RAW: i32 = 3;
pub const IPPROTO_IP: i32 = 0;
pub const IPPROTO_TCP: i32 = 6;
pub const IPPROTO_UDP: i32 = 17;
pub const IPPROTO_IPV6: i32 = 41;

// WSASocket flags.
pub const WSA_FLAG_OVERLAPPED: u32 = 0x01;
pub const WSA_FLAG_NO_HANDLE_INHERIT: u32 = 0x80;

// send/recv flags.
pub const MSG_OOB: u32 = 0x1;
pub const MSG_PEEK: u32 = 0x2;
pub const MSG_DONTROUTE: u32 = 0x4;
pub const MSG_WAITALL: u32 = 0x8;
pub const MSG_PUSH_IMMEDIATE: u32 = 0x20;
pub const MSG_PARTIAL: u32 = 0x8000;
// WSAMSG.dwFlags on output of WSARecvMsg.
pub const MSG_TRUNC: u32 = 0x0100;
pub const MSG_CTRUNC: u32 = 0x0200;
pub const MSG_BCAST: u32 = 0x0400;
pub const MSG_MCAST: u32 = 0x0800;

// IPPROTO_IP and IPPROTO_IPV6 options (ws2ipdef.h).
pub const IP_TTL: i32 = 4;
pub const IP_DONTFRAGMENT: i32 = 14;
pub const IP_PKTINFO: i32 = 19;
pub const IPV6_UNICAST_HOPS: i32 = 4;
pub const IPV6_PKTINFO: i32 = 19;
pub const IPV6_V6ONLY: i32 = 27;
pub const IPPROTO_ICMP: i32 = 1;
pub const IPPROTO_ICMPV6: i32 = 58;

// WSAIoctl (WinSock2.h, MSWSock.h).
pub const SIO_GET_EXTENSION_FUNCTION_POINTER: u32 = 0xC800_0006;
pub const SIO_FLUSH: u32 = 0x2800_0004;
/// `WSAID_WSASENDMSG` {0xa441e712,0x754f,0x43ca,{0x84,0xa7,0x0d,0xee,0x44,0xcf,0x60,0x6d}},
/// as the 16 bytes of a `GUID` in memory (Data1..Data3 little-endian).
pub const WSAID_WSASENDMSG: [u8; 16] = [
    0x12, 0xe7, 0x41, 0xa4, 0x4f, 0x75, 0xca, 0x43, 0x84, 0xa7, 0x0d, 0xee, 0x44, 0xcf, 0x60, 0x6d,
];
/// `WSAID_WSARECVMSG` {0xf689d7c8,0x6f1f,0x436b,{0x8a,0x53,0xe5,0x4f,0xe3,0x51,0xc3,0x22}},
/// as the 16 bytes of a `GUID` in memory.
pub const WSAID_WSARECVMSG: [u8; 16] = [
    0xc8, 0xd7, 0x89, 0xf6, 0x1f, 0x6f, 0x6b, 0x43, 0x8a, 0x53, 0xe5, 0x4f, 0xe3, 0x51, 0xc3, 0x22,
];

// shutdown.
pub const SD_RECEIVE: i32 = 0;
pub const SD_SEND: i32 = 1;
pub const SD_BOTH: i32 = 2;

// Socket options.
pub const SOL_SOCKET: i32 = 0xFFFF;
pub const SO_DEBUG: i32 = 0x0001;
pub const SO_ACCEPTCONN: i32 = 0x0002;
pub const SO_REUSEADDR: i32 = 0x0004;
pub const SO_KEEPALIVE: i32 = 0x0008;
pub const SO_DONTROUTE: i32 = 0x0010;
pub const SO_BROADCAST: i32 = 0x0020;
pub const SO_LINGER: i32 = 0x0080;
pub const SO_OOBINLINE: i32 = 0x0100;
pub const SO_DONTLINGER: i32 = !SO_LINGER;
pub const SO_SNDBUF: i32 = 0x1001;
pub const SO_RCVBUF: i32 = 0x1002;
pub const SO_SNDLOWAT: i32 = 0x1003;
pub const SO_RCVLOWAT: i32 = 0x1004;
pub const SO_SNDTIMEO: i32 = 0x1005;
pub const SO_RCVTIMEO: i32 = 0x1006;
pub const SO_ERROR: i32 = 0x1007;
pub const SO_TYPE: i32 = 0x1008;
pub const SO_MAX_MSG_SIZE: i32 = 0x2003;
pub const TCP_NODELAY: i32 = 0x0001;

// ioctlsocket.
pub const FIONBIO: u32 = 0x8004_667E;
pub const FIONREAD: u32 = 0x4004_667F;
pub const SIOCATMARK: u32 = 0x4004_7307;

// Waits (winbase.h / WinSock2.h).
pub const WAIT_OBJECT_0: u32 = 0;
pub const WSA_WAIT_EVENT_0: u32 = 0;
pub const WAIT_ABANDONED: u32 = 0x80;
/// `WAIT_IO_COMPLETION` = `WSA_WAIT_IO_COMPLETION` = `STATUS_USER_APC` = 192. The
/// WSASend page's "WSA_IO_COMPLETION" is a typo for this constant.
pub const WAIT_IO_COMPLETION: u32 = 0xC0;
pub const WSA_WAIT_IO_COMPLETION: u32 = WAIT_IO_COMPLETION;
pub const WAIT_TIMEOUT: u32 = 0x102;
pub const WSA_WAIT_TIMEOUT: u32 = WAIT_TIMEOUT;
pub const WAIT_FAILED: u32 = 0xFFFF_FFFF;
pub const WSA_WAIT_FAILED: u32 = WAIT_FAILED;
pub const INFINITE: u32 = 0xFFFF_FFFF;
pub const WSA_INFINITE: u32 = INFINITE;
pub const WSA_MAXIMUM_WAIT_EVENTS: u32 = 64;

pub const TRUE: i32 = 1;
pub const FALSE: i32 = 0;

/// `SO_MAX_MSG_SIZE` of a UDP socket: 65507 (`reference/wine-facts.md` P5).
pub const UDP_MAX_MSG_SIZE: u32 = 65_507;
/// `SOMAXCONN` as `WinSock2.h` defines it.
pub const SOMAXCONN: i32 = 0x7FFF_FFFF;

/// `MAKEWORD(lo, hi)`.
pub const fn makeword(lo: u8, hi: u8) -> u16 {
    (lo as u16) | ((hi as u16) << 8)
}
