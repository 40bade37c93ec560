/*
 * wsasendmsg_errors.c: the error table of the WSASendMsg seed as far as a C program
 * reaches it without fault injection, through the exported WSASendMsg and through the
 * pointer WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER, WSAID_WSASENDMSG) returns:
 * WSANOTINITIALISED, WSAENOTSOCK, WSAEFAULT (NULL message; NULL count without an
 * OVERLAPPED, which still binds the socket; NULL name with a namelen; NULL Control.buf
 * with a Control.len; unmapped and read-only pointers, never a crash), WSAEINVAL (a
 * stream socket), WSAEOPNOTSUPP (flags outside MSG_DONTROUTE | MSG_PARTIAL | MSG_OOB,
 * a control message it does not support), WSAEMSGSIZE (nothing is sent), WSAEACCES
 * (broadcast without SO_BROADCAST), WSAENOTCONN, WSAESHUTDOWN, WSAENETUNREACH; and
 * WSAIoctl's own answers (bogus GUID, short or missing output, unsupported codes,
 * FIONBIO and FIONREAD).
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#include <sys/mman.h>
#include "check.h"

static const DWORD read_only_count = 7; /* in .rodata: readable, not writable */

static struct sockaddr_in addr4(const char *ip, unsigned short port)
{
    struct sockaddr_in a;
    ZeroMemory(&a, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, ip, &a.sin_addr);
    return a;
}

static SOCKET udp_bound(unsigned short port)
{
    SOCKET s = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    struct sockaddr_in a = addr4("127.0.0.1", port);
    bind(s, (struct sockaddr *)&a, sizeof a);
    return s;
}

/* The bytes waiting on `s`, through WSAIoctl(FIONREAD). */
static u_long pending_bytes(SOCKET s)
{
    u_long n = 12345;
    DWORD ret = 0;
    if (WSAIoctl(s, FIONREAD, NULL, 0, &n, sizeof n, &ret, NULL, NULL) != 0)
        return 99999;
    return n;
}

int main(void)
{
    char data[8] = "datagram";
    WSABUF buf = {sizeof data, data};
    struct sockaddr_in to = addr4("127.0.0.1", 6000);
    WSAMSG msg;
    DWORD sent = 0;

    /* ---- before WSAStartup ---- */
    ZeroMemory(&msg, sizeof msg);
    CHECK_FAILS("WSASendMsg before WSAStartup", WSASendMsg(1, &msg, 0, &sent, NULL, NULL),
                WSANOTINITIALISED);
    CHECK_FAILS("sendto before WSAStartup", sendto(1, data, 1, 0, NULL, 0), WSANOTINITIALISED);
    CHECK_FAILS("WSAIoctl before WSAStartup",
                WSAIoctl(1, FIONBIO, NULL, 0, NULL, 0, &sent, NULL, NULL), WSANOTINITIALISED);
    WSADATA wsd;
    CHECK_EQ("WSAStartup", WSAStartup(MAKEWORD(2, 2), &wsd), 0);

    SOCKET r = udp_bound(6000);
    SOCKET u = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    CHECK("a UDP socket", u != INVALID_SOCKET);

    /* ---- the extension function pointers ---- */
    GUID send_id = WSAID_WSASENDMSG, recv_id = WSAID_WSARECVMSG;
    GUID bogus = {0x12345678, 0x1234, 0x5678, {1, 2, 3, 4, 5, 6, 7, 8}};
    LPFN_WSASENDMSG pSendMsg = NULL;
    LPFN_WSARECVMSG pRecvMsg = NULL;
    DWORD got = 0xdead;
    CHECK_EQ("WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER, WSAID_WSASENDMSG)",
             WSAIoctl(u, SIO_GET_EXTENSION_FUNCTION_POINTER, &send_id, sizeof send_id, &pSendMsg,
                      sizeof pSendMsg, &got, NULL, NULL),
             0);
    CHECK_EQ("  *lpcbBytesReturned is the pointer's size", got, sizeof pSendMsg);
    CHECK_EQ("  and the last error is 0", WSAGetLastError(), 0);
    CHECK("  the pointer is a function", pSendMsg != NULL);
    CHECK_EQ("WSAIoctl(..., WSAID_WSARECVMSG)",
             WSAIoctl(u, SIO_GET_EXTENSION_FUNCTION_POINTER, &recv_id, sizeof recv_id, &pRecvMsg,
                      sizeof pRecvMsg, &got, NULL, NULL),
             0);
    CHECK("  WSARecvMsg is another function", pRecvMsg != NULL && (void *)pRecvMsg != (void *)pSendMsg);
    void *untouched = (void *)0x1234;
    CHECK_FAILS("a bogus GUID",
                WSAIoctl(u, SIO_GET_EXTENSION_FUNCTION_POINTER, &bogus, sizeof bogus, &untouched,
                         sizeof untouched, &got, NULL, NULL),
                WSAEINVAL);
    CHECK("  leaves the output alone", untouched == (void *)0x1234);
    CHECK_FAILS("a GUID shorter than 16 bytes",
                WSAIoctl(u, SIO_GET_EXTENSION_FUNCTION_POINTER, &send_id, 15, &untouched,
                         sizeof untouched, &got, NULL, NULL),
                WSAEFAULT);
    CHECK_FAILS("an output shorter than a pointer",
                WSAIoctl(u, SIO_GET_EXTENSION_FUNCTION_POINTER, &send_id, sizeof send_id,
                         &untouched, 4, &got, NULL, NULL),
                WSAEFAULT);
    CHECK_FAILS("a NULL lpcbBytesReturned",
                WSAIoctl(u, SIO_GET_EXTENSION_FUNCTION_POINTER, &send_id, sizeof send_id,
                         &untouched, sizeof untouched, NULL, NULL, NULL),
                WSAEFAULT);
    CHECK_FAILS("a NULL output buffer",
                WSAIoctl(u, SIO_GET_EXTENSION_FUNCTION_POINTER, &send_id, sizeof send_id, NULL,
                         sizeof untouched, &got, NULL, NULL),
                WSAEFAULT);
    got = 77;
    CHECK_FAILS("WSAIoctl(SIO_FLUSH) is not supported",
                WSAIoctl(u, SIO_FLUSH, NULL, 0, NULL, 0, &got, NULL, NULL), WSAEOPNOTSUPP);
    CHECK_EQ("  with *lpcbBytesReturned = 0", got, 0);
    CHECK_FAILS("WSAIoctl on a handle never issued",
                WSAIoctl(424242, FIONBIO, NULL, 0, NULL, 0, &got, NULL, NULL), WSAENOTSOCK);

    /* ---- WSAENOTSOCK ---- */
    ZeroMemory(&msg, sizeof msg);
    msg.name = (LPSOCKADDR)&to;
    msg.namelen = sizeof to;
    msg.lpBuffers = &buf;
    msg.dwBufferCount = 1;
    CHECK_FAILS("WSASendMsg on a handle never issued", WSASendMsg(424242, &msg, 0, &sent, NULL, NULL),
                WSAENOTSOCK);
    CHECK_FAILS("  and through the pointer", pSendMsg(424242, &msg, 0, &sent, NULL, NULL),
                WSAENOTSOCK);
    CHECK_FAILS("  before the NULL message is looked at", WSASendMsg(424242, NULL, 0, NULL, NULL, NULL),
                WSAENOTSOCK);

    /* ---- success, through both entry points ---- */
    sent = 0;
    CHECK_EQ("WSASendMsg sends a datagram", WSASendMsg(u, &msg, 0, &sent, NULL, NULL), 0);
    CHECK_EQ("  lpNumberOfBytesSent", sent, sizeof data);
    sent = 0;
    CHECK_EQ("the WSAIoctl pointer sends one too", pSendMsg(u, &msg, 0, &sent, NULL, NULL), 0);
    CHECK_EQ("  lpNumberOfBytesSent", sent, sizeof data);
    CHECK_EQ("FIONREAD: the first datagram's size", pending_bytes(r), sizeof data);
    char in[64];
    CHECK_EQ("recvfrom reads the first", recvfrom(r, in, sizeof in, 0, NULL, NULL), sizeof data);
    CHECK_EQ("  a second one waits", pending_bytes(r), sizeof data);
    CHECK_EQ("recvfrom reads the second", recvfrom(r, in, sizeof in, 0, NULL, NULL), sizeof data);
    CHECK_EQ("  nothing waits", pending_bytes(r), 0);
    CHECK("  the bytes", memcmp(in, data, sizeof data) == 0);
    CHECK_EQ("MSG_DONTROUTE is a valid flag", WSASendMsg(u, &msg, MSG_DONTROUTE, &sent, NULL, NULL), 0);
    recvfrom(r, in, sizeof in, 0, NULL, NULL);

    /* ---- WSAEFAULT ---- */
    SOCKET fresh = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    struct sockaddr_in name;
    int namelen = sizeof name;
    CHECK_FAILS("a NULL lpMsg", WSASendMsg(fresh, NULL, 0, &sent, NULL, NULL), WSAEFAULT);
    CHECK_FAILS("  through the pointer", pSendMsg(fresh, NULL, 0, &sent, NULL, NULL), WSAEFAULT);
    CHECK_FAILS("  and it does not bind the socket",
                getsockname(fresh, (struct sockaddr *)&name, &namelen), WSAEINVAL);
    CHECK_FAILS("a NULL count without an OVERLAPPED", WSASendMsg(fresh, &msg, 0, NULL, NULL, NULL),
                WSAEFAULT);
    namelen = sizeof name;
    CHECK_EQ("  yet it binds the socket", getsockname(fresh, (struct sockaddr *)&name, &namelen), 0);
    CHECK("  to an ephemeral port", ntohs(name.sin_port) != 0);
    CHECK_EQ("  and sends nothing", pending_bytes(r), 0);
    closesocket(fresh);

    WSAMSG bad = msg;
    bad.name = NULL;
    CHECK_FAILS("a NULL name with a non-zero namelen", WSASendMsg(u, &bad, 0, &sent, NULL, NULL),
                WSAEFAULT);
    bad = msg;
    bad.Control.buf = NULL;
    bad.Control.len = 24;
    CHECK_FAILS("a NULL Control.buf with a non-zero Control.len",
                WSASendMsg(u, &bad, 0, &sent, NULL, NULL), WSAEFAULT);
    bad.Control.len = 0;
    CHECK_EQ("a NULL Control.buf with Control.len 0 is fine", WSASendMsg(u, &bad, 0, &sent, NULL, NULL), 0);
    recvfrom(r, in, sizeof in, 0, NULL, NULL);

    long page = 4096;
    char *map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK("mmap", map != MAP_FAILED);
    char *hole = map + page;
    munmap(hole, page);
    CHECK_FAILS("lpMsg in an unmapped page", WSASendMsg(u, (LPWSAMSG)hole, 0, &sent, NULL, NULL),
                WSAEFAULT);
    CHECK_FAILS("lpMsg at NULL + 16", WSASendMsg(u, (LPWSAMSG)16, 0, &sent, NULL, NULL), WSAEFAULT);
    bad = msg;
    bad.lpBuffers = (LPWSABUF)hole;
    CHECK_FAILS("lpBuffers in an unmapped page", WSASendMsg(u, &bad, 0, &sent, NULL, NULL), WSAEFAULT);
    bad = msg;
    bad.name = (LPSOCKADDR)hole;
    CHECK_FAILS("name in an unmapped page", WSASendMsg(u, &bad, 0, &sent, NULL, NULL), WSAEFAULT);
    bad = msg;
    bad.Control.buf = hole;
    bad.Control.len = 24;
    CHECK_FAILS("Control.buf in an unmapped page", WSASendMsg(u, &bad, 0, &sent, NULL, NULL), WSAEFAULT);
    CHECK_FAILS("a read-only lpNumberOfBytesSent",
                WSASendMsg(u, &msg, 0, (LPDWORD)&read_only_count, NULL, NULL), WSAEFAULT);
    CHECK_FAILS("lpNumberOfBytesSent in an unmapped page",
                WSASendMsg(u, &msg, 0, (LPDWORD)hole, NULL, NULL), WSAEFAULT);
    CHECK_EQ("none of them sent anything", pending_bytes(r), 0);
    CHECK_FAILS("WSAIoctl with lpcbBytesReturned in an unmapped page",
                WSAIoctl(u, FIONREAD, NULL, 0, in, 4, (LPDWORD)hole, NULL, NULL), WSAEFAULT);
    munmap(map, page);

    /* ---- WSAEINVAL: a stream socket ---- */
    SOCKET tcp = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    CHECK_FAILS("WSASendMsg on a SOCK_STREAM socket", WSASendMsg(tcp, &msg, 0, &sent, NULL, NULL),
                WSAEINVAL);
    CHECK_FAILS("  through the pointer", pSendMsg(tcp, &msg, 0, &sent, NULL, NULL), WSAEINVAL);
    closesocket(tcp);

    /* ---- WSAEOPNOTSUPP ---- */
    CHECK_FAILS("flags MSG_PEEK", WSASendMsg(u, &msg, MSG_PEEK, &sent, NULL, NULL), WSAEOPNOTSUPP);
    CHECK_FAILS("flags 0x10000", WSASendMsg(u, &msg, 0x10000, &sent, NULL, NULL), WSAEOPNOTSUPP);
    bad = msg;
    bad.dwFlags = 0xFFFFFFFF;
    CHECK_EQ("WSAMSG.dwFlags is ignored on input", WSASendMsg(u, &bad, 0, &sent, NULL, NULL), 0);
    CHECK_EQ("  and not used on output", bad.dwFlags, 0xFFFFFFFF);
    recvfrom(r, in, sizeof in, 0, NULL, NULL);
    union {
        WSACMSGHDR align;
        char bytes[WSA_CMSG_SPACE(sizeof(INT))];
    } ttl;
    ZeroMemory(&ttl, sizeof ttl);
    bad = msg;
    bad.Control.buf = ttl.bytes;
    bad.Control.len = sizeof ttl.bytes;
    WSACMSGHDR *c = WSA_CMSG_FIRSTHDR(&bad);
    c->cmsg_len = WSA_CMSG_LEN(sizeof(INT));
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_TTL;
    *(INT *)WSA_CMSG_DATA(c) = 5;
    CHECK_FAILS("an IP_TTL control message", WSASendMsg(u, &bad, 0, &sent, NULL, NULL), WSAEOPNOTSUPP);
    CHECK_EQ("none of them sent anything", pending_bytes(r), 0);

    /* ---- WSAEMSGSIZE ---- */
    int max = 0, optlen = sizeof max;
    CHECK_EQ("getsockopt(SO_MAX_MSG_SIZE)",
             getsockopt(u, SOL_SOCKET, SO_MAX_MSG_SIZE, (char *)&max, &optlen), 0);
    CHECK_EQ("  is 65507", max, 65507);
    static char big[65508];
    WSABUF bigbufs[2] = {{60000, big}, {5508, big + 60000}};
    bad = msg;
    bad.lpBuffers = bigbufs;
    bad.dwBufferCount = 2;
    CHECK_FAILS("65508 bytes in two buffers", WSASendMsg(u, &bad, 0, &sent, NULL, NULL), WSAEMSGSIZE);
    CHECK_EQ("  and nothing was transmitted", pending_bytes(r), 0);
    bigbufs[1].len = 5507;
    CHECK_EQ("65507 bytes go", WSASendMsg(u, &bad, 0, &sent, NULL, NULL), 0);
    CHECK_EQ("  as one datagram", pending_bytes(r), 65507);
    CHECK_EQ("  received whole", recvfrom(r, big, sizeof big, 0, NULL, NULL), 65507);

    /* ---- WSAEACCES ---- */
    struct sockaddr_in bcast = addr4("255.255.255.255", 6000);
    bad = msg;
    bad.name = (LPSOCKADDR)&bcast;
    CHECK_FAILS("broadcast without SO_BROADCAST", WSASendMsg(u, &bad, 0, &sent, NULL, NULL), WSAEACCES);
    CHECK_FAILS("  sendto too", sendto(u, data, 4, 0, (struct sockaddr *)&bcast, sizeof bcast),
                WSAEACCES);
    BOOL on = TRUE;
    CHECK_EQ("SO_BROADCAST", setsockopt(u, SOL_SOCKET, SO_BROADCAST, (const char *)&on, sizeof on), 0);
    sent = 0;
    CHECK_EQ("then the broadcast goes", WSASendMsg(u, &bad, 0, &sent, NULL, NULL), 0);
    CHECK_EQ("  lpNumberOfBytesSent", sent, sizeof data);

    /* ---- WSAENOTCONN ---- */
    bad = msg;
    bad.name = NULL;
    bad.namelen = 0;
    CHECK_FAILS("no name on an unconnected socket", WSASendMsg(u, &bad, 0, &sent, NULL, NULL),
                WSAENOTCONN);
    CHECK_FAILS("sendto without an address", sendto(u, data, 4, 0, NULL, 0), WSAEDESTADDRREQ);
    CHECK_EQ("connect", connect(u, (struct sockaddr *)&to, sizeof to), 0);
    CHECK_EQ("no name on a connected socket goes to the peer", WSASendMsg(u, &bad, 0, &sent, NULL, NULL), 0);

    /* ---- WSAESHUTDOWN ---- */
    CHECK_EQ("shutdown(SD_SEND)", shutdown(u, SD_SEND), 0);
    CHECK_FAILS("WSASendMsg after shutdown(SD_SEND)", WSASendMsg(u, &msg, 0, &sent, NULL, NULL),
                WSAESHUTDOWN);

    /* ---- WSAENETUNREACH: this host has loopback only ---- */
    SOCKET v = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    struct sockaddr_in far = addr4("192.168.7.7", 9);
    bad = msg;
    bad.name = (LPSOCKADDR)&far;
    CHECK_FAILS("no route to 192.168.7.7", WSASendMsg(v, &bad, 0, &sent, NULL, NULL), WSAENETUNREACH);

    /* ---- WSAIoctl FIONBIO ---- */
    u_long one = 1;
    CHECK_EQ("WSAIoctl(FIONBIO, 1)", WSAIoctl(v, FIONBIO, &one, sizeof one, NULL, 0, &got, NULL, NULL), 0);
    CHECK_FAILS("then recvfrom on an empty socket would block",
                recvfrom(v, in, sizeof in, 0, NULL, NULL), WSAEWOULDBLOCK);
    CHECK_FAILS("WSAIoctl(FIONBIO) with a 3-byte input",
                WSAIoctl(v, FIONBIO, &one, 3, NULL, 0, &got, NULL, NULL), WSAEFAULT);

    closesocket(v);
    closesocket(u);
    closesocket(r);
    WSACleanup();
    CHECK_FAILS("WSASendMsg after the last WSACleanup", WSASendMsg(1, &msg, 0, &sent, NULL, NULL),
                WSANOTINITIALISED);
    DONE();
}
