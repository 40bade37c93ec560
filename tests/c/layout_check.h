/*
 * layout_check.h: compile-time checks of every Windows x64 size, offset and value the
 * headers promise (reference/windows-semantics.md §4, §9; wine-facts.md §2). A program
 * that includes it after the Winsock headers does not compile if one is off. The Rust
 * side pins the same numbers (crates/wsasim-capi/src/layout.rs).
 */
#ifndef WSASIM_LAYOUT_CHECK_H
#define WSASIM_LAYOUT_CHECK_H

#include <stddef.h>

#define LAYOUT(cond) _Static_assert(cond, #cond)

/* integer widths: Windows' long is 32 bits */
LAYOUT(sizeof(BYTE) == 1 && sizeof(WORD) == 2 && sizeof(DWORD) == 4);
LAYOUT(sizeof(LONG) == 4 && sizeof(ULONG) == 4 && sizeof(BOOL) == 4 && sizeof(INT) == 4);
LAYOUT(sizeof(u_char) == 1 && sizeof(u_short) == 2 && sizeof(u_int) == 4 && sizeof(u_long) == 4);
LAYOUT(sizeof(ULONG_PTR) == 8 && sizeof(SIZE_T) == 8 && sizeof(HANDLE) == 8);
LAYOUT(sizeof(WCHAR) == 2);

/* SOCKET */
LAYOUT(sizeof(SOCKET) == 8);
LAYOUT(INVALID_SOCKET == (SOCKET)0xFFFFFFFFFFFFFFFFull);
LAYOUT(SOCKET_ERROR == -1);

/* WSABUF: len @0, buf @8, 16 bytes */
LAYOUT(sizeof(WSABUF) == 16);
LAYOUT(offsetof(WSABUF, len) == 0 && offsetof(WSABUF, buf) == 8);

/* WSAOVERLAPPED = OVERLAPPED: 32 bytes */
LAYOUT(sizeof(WSAOVERLAPPED) == 32);
LAYOUT(offsetof(WSAOVERLAPPED, Internal) == 0);
LAYOUT(offsetof(WSAOVERLAPPED, InternalHigh) == 8);
LAYOUT(offsetof(WSAOVERLAPPED, Offset) == 16);
LAYOUT(offsetof(WSAOVERLAPPED, OffsetHigh) == 20);
LAYOUT(offsetof(WSAOVERLAPPED, Pointer) == 16);
LAYOUT(offsetof(WSAOVERLAPPED, hEvent) == 24);

/* WSAMSG: 56 bytes */
LAYOUT(sizeof(WSAMSG) == 56);
LAYOUT(offsetof(WSAMSG, name) == 0 && offsetof(WSAMSG, namelen) == 8);
LAYOUT(offsetof(WSAMSG, lpBuffers) == 16 && offsetof(WSAMSG, dwBufferCount) == 24);
LAYOUT(offsetof(WSAMSG, Control) == 32 && offsetof(WSAMSG, dwFlags) == 48);
LAYOUT(sizeof(WSACMSGHDR) == 16);
LAYOUT(WSA_CMSG_SPACE(8) == 24 && WSA_CMSG_LEN(8) == 24);   /* in_pktinfo */
LAYOUT(WSA_CMSG_SPACE(20) == 40 && WSA_CMSG_LEN(20) == 36); /* in6_pktinfo */
LAYOUT(sizeof(IN_PKTINFO) == 8 && sizeof(IN6_PKTINFO) == 20);

/* addresses */
LAYOUT(sizeof(struct sockaddr) == 16);
LAYOUT(sizeof(IN_ADDR) == 4);
LAYOUT(sizeof(struct sockaddr_in) == 16);
LAYOUT(offsetof(struct sockaddr_in, sin_port) == 2 && offsetof(struct sockaddr_in, sin_addr) == 4);
LAYOUT(offsetof(struct sockaddr_in, sin_zero) == 8);
LAYOUT(sizeof(IN6_ADDR) == 16);
LAYOUT(sizeof(struct sockaddr_in6) == 28);
LAYOUT(offsetof(struct sockaddr_in6, sin6_port) == 2 && offsetof(struct sockaddr_in6, sin6_flowinfo) == 4);
LAYOUT(offsetof(struct sockaddr_in6, sin6_addr) == 8 && offsetof(struct sockaddr_in6, sin6_scope_id) == 24);
LAYOUT(sizeof(SOCKADDR_STORAGE) == 128);
LAYOUT(sizeof(SOCKADDR_INET) == 28);

/* ADDRINFOA: 48 bytes, size_t ai_addrlen */
LAYOUT(sizeof(ADDRINFOA) == 48);
LAYOUT(offsetof(ADDRINFOA, ai_flags) == 0 && offsetof(ADDRINFOA, ai_family) == 4);
LAYOUT(offsetof(ADDRINFOA, ai_socktype) == 8 && offsetof(ADDRINFOA, ai_protocol) == 12);
LAYOUT(offsetof(ADDRINFOA, ai_addrlen) == 16 && offsetof(ADDRINFOA, ai_canonname) == 24);
LAYOUT(offsetof(ADDRINFOA, ai_addr) == 32 && offsetof(ADDRINFOA, ai_next) == 40);

/* fd_set, timeval, LINGER, WSADATA */
LAYOUT(FD_SETSIZE == 64);
LAYOUT(sizeof(fd_set) == 520);
LAYOUT(offsetof(fd_set, fd_count) == 0 && offsetof(fd_set, fd_array) == 8);
LAYOUT(sizeof(struct timeval) == 8);
LAYOUT(offsetof(struct timeval, tv_usec) == 4);
LAYOUT(sizeof(LINGER) == 4 && offsetof(LINGER, l_linger) == 2);
LAYOUT(sizeof(WSADATA) == 408);
LAYOUT(offsetof(WSADATA, iMaxSockets) == 4 && offsetof(WSADATA, iMaxUdpDg) == 6);
LAYOUT(offsetof(WSADATA, lpVendorInfo) == 8 && offsetof(WSADATA, szDescription) == 16);
LAYOUT(offsetof(WSADATA, szSystemStatus) == 273);

/* more structures */
LAYOUT(sizeof(WSANETWORKEVENTS) == 44);
LAYOUT(sizeof(WSAPOLLFD) == 16);
LAYOUT(sizeof(GUID) == 16);
LAYOUT(sizeof(WSAPROTOCOL_INFOA) == 372 && sizeof(WSAPROTOCOL_INFOW) == 628);

/* values */
LAYOUT(FIONBIO == 0x8004667E && FIONREAD == 0x4004667F && SIOCATMARK == 0x40047307);
LAYOUT(SIO_FLUSH == 0x28000004 && SIO_GET_EXTENSION_FUNCTION_POINTER == 0xC8000006);
LAYOUT(SIO_BASE_HANDLE == 0x48000022 && SIO_BSP_HANDLE == 0x4800001B);
LAYOUT(SIO_IDEAL_SEND_BACKLOG_QUERY == 0x4004747B && SIO_IDEAL_SEND_BACKLOG_CHANGE == 0x2000747A);
LAYOUT(SOL_SOCKET == 0xFFFF && SO_SNDBUF == 0x1001 && SO_MAX_MSG_SIZE == 0x2003);
LAYOUT(SO_DONTLINGER == -129 && SO_EXCLUSIVEADDRUSE == -5);
LAYOUT(MSG_OOB == 1 && MSG_PEEK == 2 && MSG_DONTROUTE == 4 && MSG_WAITALL == 8 && MSG_PARTIAL == 0x8000);
LAYOUT(AF_INET == 2 && AF_INET6 == 23 && SOCK_STREAM == 1 && SOCK_DGRAM == 2 && SOCK_RAW == 3);
LAYOUT(IPPROTO_TCP == 6 && IPPROTO_UDP == 17 && IPPROTO_IPV6 == 41);
LAYOUT(SD_RECEIVE == 0 && SD_SEND == 1 && SD_BOTH == 2);
LAYOUT(SOMAXCONN == 0x7fffffff);
LAYOUT(WSA_IO_PENDING == 997 && WSA_IO_INCOMPLETE == 996 && WSA_OPERATION_ABORTED == 995);
LAYOUT(WSA_INVALID_HANDLE == 6 && WSA_INVALID_PARAMETER == 87 && WSA_NOT_ENOUGH_MEMORY == 8);
LAYOUT(WSAEFAULT == 10014 && WSAEWOULDBLOCK == 10035 && WSAENOTSOCK == 10038);
LAYOUT(WSANOTINITIALISED == 10093 && WSAHOST_NOT_FOUND == 11001 && WSATYPE_NOT_FOUND == 10109);
LAYOUT(WSA_WAIT_EVENT_0 == 0 && WSA_WAIT_IO_COMPLETION == 0xC0 && WSA_WAIT_TIMEOUT == 258);
LAYOUT(WSA_WAIT_FAILED == 0xFFFFFFFF && WSA_INFINITE == 0xFFFFFFFF && INFINITE == 0xFFFFFFFF);
LAYOUT(WSA_MAXIMUM_WAIT_EVENTS == 64 && STATUS_PENDING == 0x103 && STILL_ACTIVE == 259);
LAYOUT(WSA_FLAG_OVERLAPPED == 1 && AI_PASSIVE == 1 && AI_CANONNAME == 2 && AI_NUMERICHOST == 4);
LAYOUT(MAKEWORD(2, 2) == 0x0202 && MAKEWORD(1, 2) == 0x0201);
LAYOUT(TRUE == 1 && FALSE == 0);
LAYOUT(INET_ADDRSTRLEN == 22 && INET6_ADDRSTRLEN == 65);

#endif /* WSASIM_LAYOUT_CHECK_H */
