/*
 * ws2ipdef.h: IPv6 addresses (SOCKADDR_IN6, 28 bytes), SOCKADDR_INET, packet info for
 * control messages, and the IPPROTO_IP / IPPROTO_IPV6 option numbers. Values and x64
 * layouts of the Windows SDK's shared/ws2ipdef.h.
 */
#ifndef _WS2IPDEF_
#define _WS2IPDEF_

#include "ws2def.h"
#include "in6addr.h"

#ifdef __cplusplus
extern "C" {
#endif

/* SOCKADDR_IN6: family @0, port @2, flowinfo @4, address @8, scope id @24; 28 bytes. */
typedef struct sockaddr_in6 {
    ADDRESS_FAMILY sin6_family; /* AF_INET6 */
    USHORT sin6_port;           /* transport level port number */
    ULONG sin6_flowinfo;        /* IPv6 flow information */
    IN6_ADDR sin6_addr;         /* IPv6 address */
    union {
        ULONG sin6_scope_id;        /* set of interfaces for a scope */
        SCOPE_ID sin6_scope_struct;
    };
} SOCKADDR_IN6_LH, *PSOCKADDR_IN6_LH, SOCKADDR_IN6, *PSOCKADDR_IN6, *LPSOCKADDR_IN6;

typedef union _SOCKADDR_INET {
    SOCKADDR_IN Ipv4;
    SOCKADDR_IN6 Ipv6;
    ADDRESS_FAMILY si_family;
} SOCKADDR_INET, *PSOCKADDR_INET;

/* Text lengths, with the terminating NUL (Windows' values). */
#define INET_ADDRSTRLEN 22
#define INET6_ADDRSTRLEN 65

#define IN6ADDR_ANY_INIT {{{0}}}
#define IN6ADDR_LOOPBACK_INIT {{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}}}

/* ---- packet info (IP_PKTINFO / IPV6_PKTINFO control messages) ---------------------- */
typedef struct in_pktinfo {
    IN_ADDR ipi_addr;  /* source/destination IPv4 address */
    ULONG ipi_ifindex; /* send/receive interface index */
} IN_PKTINFO, *PIN_PKTINFO;

typedef struct in6_pktinfo {
    IN6_ADDR ipi6_addr;  /* source/destination IPv6 address */
    ULONG ipi6_ifindex;  /* send/receive interface index */
} IN6_PKTINFO, *PIN6_PKTINFO;

/* ---- IPPROTO_IP options ------------------------------------------------------------ */
#define IP_OPTIONS 1
#define IP_HDRINCL 2
#define IP_TOS 3
#define IP_TTL 4
#define IP_MULTICAST_IF 9
#define IP_MULTICAST_TTL 10
#define IP_MULTICAST_LOOP 11
#define IP_ADD_MEMBERSHIP 12
#define IP_DROP_MEMBERSHIP 13
#define IP_DONTFRAGMENT 14
#define IP_PKTINFO 19
#define IP_RECVTTL 21
#define IP_RECEIVE_BROADCAST 22
#define IP_RECVIF 24
#define IP_RECVDSTADDR 25
#define IP_ORIGINAL_ARRIVAL_IF 47
#define IP_MTU_DISCOVER 71
#define IP_MTU 73

/* ---- IPPROTO_IPV6 options ---------------------------------------------------------- */
#define IPV6_HOPOPTS 1
#define IPV6_HDRINCL 2
#define IPV6_UNICAST_HOPS 4
#define IPV6_MULTICAST_IF 9
#define IPV6_MULTICAST_HOPS 10
#define IPV6_MULTICAST_LOOP 11
#define IPV6_ADD_MEMBERSHIP 12
#define IPV6_JOIN_GROUP IPV6_ADD_MEMBERSHIP
#define IPV6_DROP_MEMBERSHIP 13
#define IPV6_LEAVE_GROUP IPV6_DROP_MEMBERSHIP
#define IPV6_DONTFRAG 14
#define IPV6_PKTINFO 19
#define IPV6_HOPLIMIT 21
#define IPV6_PROTECTION_LEVEL 23
#define IPV6_RECVIF 24
#define IPV6_RECVDSTADDR 25
#define IPV6_CHECKSUM 26
#define IPV6_V6ONLY 27
#define IPV6_RTHDR 32
#define IPV6_RECVRTHDR 38
#define IPV6_TCLASS 39
#define IPV6_RECVTCLASS 40

/* ---- TCP options (IPPROTO_TCP) ----------------------------------------------------- */
#define TCP_EXPEDITED_1122 0x0002
#define TCP_KEEPALIVE 3
#define TCP_MAXSEG 4
#define TCP_MAXRT 5
#define TCP_STDURG 6
#define TCP_NOURG 7
#define TCP_ATMARK 8
#define TCP_NOSYNRETRIES 9
#define TCP_TIMESTAMPS 10
#define TCP_CONGESTION_ALGORITHM 12
#define TCP_DELAY_FIN_ACK 13
#define TCP_MAXRTMS 14
#define TCP_FASTOPEN 15
#define TCP_KEEPCNT 16
#define TCP_KEEPIDLE TCP_KEEPALIVE
#define TCP_KEEPINTVL 17

#ifdef __cplusplus
}
#endif

#endif /* _WS2IPDEF_ */
