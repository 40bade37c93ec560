/*
 * ws2tcpip.h: name resolution over the simulated world (getaddrinfo, freeaddrinfo),
 * address text conversion (inet_pton, inet_ntop), and the TCP/IP definitions of the
 * Windows SDK's um/WS2tcpip.h.
 *
 * getaddrinfo resolves: a NULL node (the wildcard address with AI_PASSIVE, loopback
 * without), "localhost", numeric IPv4 and IPv6 addresses, and the host names of the
 * scenario's hosts; a numeric service (port). Errors are WSA codes (EAI_* below).
 */
#ifndef _WS2TCPIP_H_
#define _WS2TCPIP_H_

#include "winsock2.h"
#include "ws2ipdef.h"

#ifdef __cplusplus
extern "C" {
#endif

/* socklen_t: Windows' is an int (glibc's <unistd.h> has an unsigned one). */
typedef int wsasim_socklen_t;
#if defined(__GLIBC__) && !defined(__socklen_t_defined)
#define __socklen_t_defined
#endif
#undef socklen_t
#define socklen_t wsasim_socklen_t

/* ---- getaddrinfo error codes -------------------------------------------------------- */
#define EAI_AGAIN WSATRY_AGAIN
#define EAI_BADFLAGS WSAEINVAL
#define EAI_FAIL WSANO_RECOVERY
#define EAI_FAMILY WSAEAFNOSUPPORT
#define EAI_MEMORY WSA_NOT_ENOUGH_MEMORY
#define EAI_NOSECURENAME WSA_SECURE_HOST_NOT_FOUND
#define EAI_NONAME WSAHOST_NOT_FOUND
#define EAI_SERVICE WSATYPE_NOT_FOUND
#define EAI_SOCKTYPE WSAESOCKTNOSUPPORT
#define EAI_IPSECPOLICY WSA_IPSEC_NAME_POLICY_ERROR
#define EAI_NODATA EAI_NONAME

/* ---- getnameinfo flags and sizes ----------------------------------------------------- */
#define NI_MAXHOST 1025
#define NI_MAXSERV 32
#define NI_NOFQDN 0x01
#define NI_NUMERICHOST 0x02
#define NI_NAMEREQD 0x04
#define NI_NUMERICSERV 0x08
#define NI_DGRAM 0x10

typedef ADDRINFOA ADDRINFO, *LPADDRINFO;

/* ---- functions (the library's wsasim_* symbols) ------------------------------------ */
#define getaddrinfo wsasim_getaddrinfo
#define freeaddrinfo wsasim_freeaddrinfo
#define inet_pton wsasim_inet_pton
#define inet_ntop wsasim_inet_ntop
#define InetPtonA wsasim_inet_pton
#define InetNtopA wsasim_inet_ntop
#define GetAddrInfoA wsasim_getaddrinfo
#define FreeAddrInfoA wsasim_freeaddrinfo

INT WSAAPI getaddrinfo(PCSTR pNodeName, PCSTR pServiceName, const ADDRINFOA *pHints,
                       PADDRINFOA *ppResult);
VOID WSAAPI freeaddrinfo(PADDRINFOA pAddrInfo);
INT WSAAPI inet_pton(INT Family, PCSTR pszAddrString, PVOID pAddrBuf);
PCSTR WSAAPI inet_ntop(INT Family, const VOID *pAddr, PSTR pStringBuf, size_t StringBufSize);

#ifdef __cplusplus
}
#endif

#endif /* _WS2TCPIP_H_ */
