/*
 * datagrams.c: datagrams from C over the multi-host world of
 * scenarios/datagram_hosts.toml: WSASendTo / recvfrom and sendto / WSARecvFrom round
 * trips (one datagram per call whatever the number of buffers, the source address, a
 * truncated datagram); IP_PKTINFO control data built with the WSA_CMSG_* macros choosing
 * the source address, which the receiver sees through WSARecvMsg (obtained with
 * WSAIoctl), with its own IP_PKTINFO; overlapped WSASendMsg with an event (pending while
 * the slow link carries the datagram) and with completion routines; routes (a routed
 * subnet, WSAENETUNREACH elsewhere) and the link MTU (IP_DONTFRAGMENT: WSAEMSGSIZE).
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#include "check.h"

static struct sockaddr_in addr4(const char *ip, unsigned short port)
{
    struct sockaddr_in a;
    ZeroMemory(&a, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, ip, &a.sin_addr);
    return a;
}

static SOCKET udp_bound(const char *ip, unsigned short port)
{
    SOCKET s = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    struct sockaddr_in a = addr4(ip, port);
    bind(s, (struct sockaddr *)&a, sizeof a);
    return s;
}

static unsigned short port_of(SOCKET s)
{
    struct sockaddr_in a;
    int len = sizeof a;
    if (getsockname(s, (struct sockaddr *)&a, &len) != 0)
        return 0;
    return ntohs(a.sin_port);
}

static const char *ip_text(const IN_ADDR *a)
{
    static char text[INET_ADDRSTRLEN];
    return inet_ntop(AF_INET, a, text, sizeof text);
}

#define MAX_CALLS 8
static struct {
    DWORD err, bytes, flags;
    LPWSAOVERLAPPED ov;
    HANDLE context;
} calls[MAX_CALLS];
static int ncalls;

static void CALLBACK on_done(DWORD dwError, DWORD cbTransferred, LPWSAOVERLAPPED lpOverlapped,
                             DWORD dwFlags)
{
    if (ncalls < MAX_CALLS) {
        calls[ncalls].err = dwError;
        calls[ncalls].bytes = cbTransferred;
        calls[ncalls].flags = dwFlags;
        calls[ncalls].ov = lpOverlapped;
        calls[ncalls].context = lpOverlapped->hEvent;
    }
    ncalls++;
}

int main(void)
{
    WSADATA wsd;
    CHECK_EQ("WSAStartup", WSAStartup(MAKEWORD(2, 2), &wsd), 0);
    char in[8192];
    struct sockaddr_in from;
    int fromlen;
    DWORD n, flags, got;

    /* ---- WSASendTo and recvfrom on the loopback ---- */
    SOCKET r = udp_bound("127.0.0.1", 7000);
    SOCKET u = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    struct sockaddr_in ra = addr4("127.0.0.1", 7000);
    char p1[] = "one", p2[] = "two", p3[] = "three!";
    WSABUF three[3] = {{3, p1}, {3, p2}, {6, p3}};
    DWORD sent = 0;
    CHECK_EQ("WSASendTo with three buffers",
             WSASendTo(u, three, 3, &sent, 0, (struct sockaddr *)&ra, sizeof ra, NULL, NULL), 0);
    CHECK_EQ("  lpNumberOfBytesSent", sent, 12);
    CHECK("  the first send bound the socket", port_of(u) != 0);
    fromlen = sizeof from;
    ZeroMemory(&from, sizeof from);
    CHECK_EQ("recvfrom: one datagram of 12 bytes",
             recvfrom(r, in, sizeof in, 0, (struct sockaddr *)&from, &fromlen), 12);
    CHECK("  the buffers in order", memcmp(in, "onetwothree!", 12) == 0);
    CHECK_EQ("  fromlen", fromlen, sizeof(struct sockaddr_in));
    CHECK_STR("  from 127.0.0.1", ip_text(&from.sin_addr), "127.0.0.1");
    CHECK_EQ("  from the sender's port", ntohs(from.sin_port), port_of(u));

    /* ---- sendto and WSARecvFrom ---- */
    CHECK_EQ("sendto", sendto(u, "hello", 5, 0, (struct sockaddr *)&ra, sizeof ra), 5);
    WSABUF rb = {sizeof in, in};
    n = 0;
    flags = 0;
    fromlen = sizeof from;
    CHECK_EQ("WSARecvFrom",
             WSARecvFrom(r, &rb, 1, &n, &flags, (struct sockaddr *)&from, &fromlen, NULL, NULL), 0);
    CHECK_EQ("  lpNumberOfBytesRecvd", n, 5);
    CHECK_EQ("  lpFlags", flags, 0);
    CHECK("  the bytes", memcmp(in, "hello", 5) == 0);
    CHECK_EQ("  from the sender's port", ntohs(from.sin_port), port_of(u));
    CHECK_FAILS("WSARecvFrom with a NULL lpFlags",
                WSARecvFrom(r, &rb, 1, &n, NULL, NULL, NULL, NULL, NULL), WSAEFAULT);
    CHECK_FAILS("recvfrom with a from and a NULL fromlen",
                recvfrom(r, in, sizeof in, 0, (struct sockaddr *)&from, NULL), WSAEFAULT);

    /* A datagram larger than the buffer: the part that fits, and WSAEMSGSIZE; the rest
     * is gone. */
    CHECK_EQ("sendto 10 bytes", sendto(u, "0123456789", 10, 0, (struct sockaddr *)&ra, sizeof ra), 10);
    memset(in, 0, 16);
    CHECK_FAILS("recvfrom into 4 bytes", recvfrom(r, in, 4, 0, NULL, NULL), WSAEMSGSIZE);
    CHECK("  fills the 4 bytes", memcmp(in, "0123", 4) == 0 && in[4] == 0);
    u_long one = 1;
    ioctlsocket(r, FIONBIO, &one);
    CHECK_FAILS("  and drops the rest", recvfrom(r, in, sizeof in, 0, NULL, NULL), WSAEWOULDBLOCK);

    /* ---- the extension functions ---- */
    GUID send_id = WSAID_WSASENDMSG, recv_id = WSAID_WSARECVMSG;
    LPFN_WSASENDMSG pSendMsg = NULL;
    LPFN_WSARECVMSG pRecvMsg = NULL;
    CHECK_EQ("WSAIoctl: LPFN_WSASENDMSG",
             WSAIoctl(u, SIO_GET_EXTENSION_FUNCTION_POINTER, &send_id, sizeof send_id, &pSendMsg,
                      sizeof pSendMsg, &got, NULL, NULL),
             0);
    CHECK_EQ("WSAIoctl: LPFN_WSARECVMSG",
             WSAIoctl(u, SIO_GET_EXTENSION_FUNCTION_POINTER, &recv_id, sizeof recv_id, &pRecvMsg,
                      sizeof pRecvMsg, &got, NULL, NULL),
             0);
    if (!pSendMsg || !pRecvMsg) {
        printf("FAIL no extension functions: cannot go on\n");
        return 1;
    }

    /* ---- IP_PKTINFO: the sender chooses its source address ---- */
    SOCKET rp = udp_bound("0.0.0.0", 7100);
    DWORD on = 1;
    CHECK_EQ("setsockopt(IP_PKTINFO) on the receiver",
             setsockopt(rp, IPPROTO_IP, IP_PKTINFO, (const char *)&on, sizeof on), 0);
    SOCKET s = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    struct sockaddr_in dest = addr4("10.0.0.1", 7100);
    char chosen[] = "chosen";
    WSABUF sb = {6, chosen};
    union {
        WSACMSGHDR align;
        char bytes[WSA_CMSG_SPACE(sizeof(IN_PKTINFO))];
    } ctl;
    ZeroMemory(&ctl, sizeof ctl);
    WSAMSG m;
    ZeroMemory(&m, sizeof m);
    m.name = (LPSOCKADDR)&dest;
    m.namelen = sizeof dest;
    m.lpBuffers = &sb;
    m.dwBufferCount = 1;
    m.Control.buf = ctl.bytes;
    m.Control.len = sizeof ctl.bytes;
    CHECK_EQ("WSA_CMSG_SPACE(sizeof(IN_PKTINFO)) is 24 on x64", sizeof ctl.bytes, 24);
    WSACMSGHDR *c = WSA_CMSG_FIRSTHDR(&m);
    CHECK("WSA_CMSG_FIRSTHDR is Control.buf", (char *)c == ctl.bytes);
    c->cmsg_len = WSA_CMSG_LEN(sizeof(IN_PKTINFO));
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    IN_PKTINFO *pi = (IN_PKTINFO *)WSA_CMSG_DATA(c);
    inet_pton(AF_INET, "10.0.0.11", &pi->ipi_addr);
    pi->ipi_ifindex = 0;
    CHECK("WSA_CMSG_NXTHDR: one object only", WSA_CMSG_NXTHDR(&m, c) == NULL);
    sent = 0;
    CHECK_EQ("WSASendMsg with in_pktinfo 10.0.0.11", WSASendMsg(s, &m, 0, &sent, NULL, NULL), 0);
    CHECK_EQ("  lpNumberOfBytesSent", sent, 6);

    union {
        WSACMSGHDR align;
        char bytes[64];
    } rctl;
    ZeroMemory(&rctl, sizeof rctl);
    WSAMSG rm;
    ZeroMemory(&rm, sizeof rm);
    ZeroMemory(&from, sizeof from);
    rm.name = (LPSOCKADDR)&from;
    rm.namelen = sizeof from;
    rm.lpBuffers = &rb;
    rm.dwBufferCount = 1;
    rm.Control.buf = rctl.bytes;
    rm.Control.len = sizeof rctl.bytes;
    n = 0;
    CHECK_EQ("WSARecvMsg (the LPFN_WSARECVMSG)", pRecvMsg(rp, &rm, &n, NULL, NULL), 0);
    CHECK_EQ("  the bytes received", n, 6);
    CHECK("  the data", memcmp(in, "chosen", 6) == 0);
    CHECK_STR("  the source is the chosen address", ip_text(&from.sin_addr), "10.0.0.11");
    CHECK_EQ("  from the sender's port", ntohs(from.sin_port), port_of(s));
    CHECK_EQ("  namelen", rm.namelen, sizeof(struct sockaddr_in));
    CHECK_EQ("  dwFlags", rm.dwFlags, 0);
    CHECK_EQ("  Control.len is one IN_PKTINFO object", rm.Control.len,
             WSA_CMSG_SPACE(sizeof(IN_PKTINFO)));
    c = WSA_CMSG_FIRSTHDR(&rm);
    CHECK("  WSA_CMSG_FIRSTHDR", c != NULL);
    if (c) {
        CHECK_EQ("  cmsg_level IPPROTO_IP", c->cmsg_level, IPPROTO_IP);
        CHECK_EQ("  cmsg_type IP_PKTINFO", c->cmsg_type, IP_PKTINFO);
        CHECK_EQ("  cmsg_len WSA_CMSG_LEN(sizeof(IN_PKTINFO))", c->cmsg_len,
                 WSA_CMSG_LEN(sizeof(IN_PKTINFO)));
        pi = (IN_PKTINFO *)WSA_CMSG_DATA(c);
        CHECK_STR("  ipi_addr is the destination", ip_text(&pi->ipi_addr), "10.0.0.1");
        CHECK_EQ("  ipi_ifindex of 10.0.0.1 (the host's first address)", pi->ipi_ifindex, 2);
        CHECK("  WSA_CMSG_NXTHDR ends the list", WSA_CMSG_NXTHDR(&rm, c) == NULL);
    }

    /* Without control data the stack picks the address itself. */
    m.Control.buf = NULL;
    m.Control.len = 0;
    CHECK_EQ("WSASendMsg without control data", pSendMsg(s, &m, 0, &sent, NULL, NULL), 0);
    rm.namelen = sizeof from;
    rm.Control.len = sizeof rctl.bytes;
    CHECK_EQ("WSARecvMsg", pRecvMsg(rp, &rm, &n, NULL, NULL), 0);
    CHECK_STR("  the source is the destination's own address", ip_text(&from.sin_addr), "10.0.0.1");
    /* An address the host does not have. */
    m.Control.buf = ctl.bytes;
    m.Control.len = sizeof ctl.bytes;
    c = WSA_CMSG_FIRSTHDR(&m);
    inet_pton(AF_INET, "10.0.0.99", &((IN_PKTINFO *)WSA_CMSG_DATA(c))->ipi_addr);
    CHECK_FAILS("in_pktinfo with an address the host lacks", WSASendMsg(s, &m, 0, &sent, NULL, NULL),
                WSAEADDRNOTAVAIL);
    /* A control buffer too small for what arrives: MSG_CTRUNC. */
    CHECK_EQ("sendto", sendto(s, "xy", 2, 0, (struct sockaddr *)&dest, sizeof dest), 2);
    rm.namelen = sizeof from;
    rm.Control.len = 8;
    rm.dwFlags = 0;
    CHECK_FAILS("WSARecvMsg with 8 bytes of control space", pRecvMsg(rp, &rm, &n, NULL, NULL),
                WSAEMSGSIZE);
    CHECK_EQ("  still delivers the data", n, 2);
    CHECK("  and says MSG_CTRUNC", (rm.dwFlags & MSG_CTRUNC) != 0);

    /* ---- overlapped WSASendMsg with an event: pending while the 1000 B/s link to b
     * carries the datagram ---- */
    SOCKET o = WSASocket(AF_INET, SOCK_DGRAM, IPPROTO_UDP, NULL, 0, WSA_FLAG_OVERLAPPED);
    int zero = 0;
    CHECK_EQ("SO_SNDBUF 0", setsockopt(o, SOL_SOCKET, SO_SNDBUF, (const char *)&zero, sizeof zero), 0);
    struct sockaddr_in bdest = addr4("10.0.0.2", 5000);
    static char hundred[100];
    for (int i = 0; i < 100; i++)
        hundred[i] = (char)i;
    WSABUF hb = {100, hundred};
    m.name = (LPSOCKADDR)&bdest;
    m.namelen = sizeof bdest;
    m.lpBuffers = &hb;
    m.Control.buf = NULL;
    m.Control.len = 0;
    WSAOVERLAPPED ov;
    ZeroMemory(&ov, sizeof ov);
    WSAEVENT ev = WSACreateEvent();
    ov.hEvent = ev;
    sent = 0xdead;
    CHECK_FAILS("overlapped WSASendMsg pends", WSASendMsg(o, &m, 0, &sent, &ov, NULL), WSA_IO_PENDING);
    CHECK_EQ("  lpNumberOfBytesSent is not updated", sent, 0xdead);
    CHECK_EQ("  Internal is STATUS_PENDING", ov.Internal, STATUS_PENDING);
    CHECK_EQ("WSAGetOverlappedResult(fWait FALSE) while pending",
             WSAGetOverlappedResult(o, &ov, &got, FALSE, &flags), FALSE);
    CHECK_EQ("  WSA_IO_INCOMPLETE", WSAGetLastError(), WSA_IO_INCOMPLETE);
    CHECK_EQ("the event is not set after 100 ms (128 bytes at 1000 B/s)",
             WSAWaitForMultipleEvents(1, &ev, TRUE, 100, FALSE), WSA_WAIT_TIMEOUT);
    CHECK_EQ("it is set once the datagram is off the wire",
             WSAWaitForMultipleEvents(1, &ev, TRUE, WSA_INFINITE, FALSE), WSA_WAIT_EVENT_0);
    got = 0;
    CHECK_EQ("WSAGetOverlappedResult", WSAGetOverlappedResult(o, &ov, &got, FALSE, &flags), TRUE);
    CHECK_EQ("  cbTransfer", got, 100);
    CHECK_EQ("  Internal 0", ov.Internal, 0);
    CHECK_EQ("  InternalHigh 100", ov.InternalHigh, 100);
    CHECK_EQ("  lpNumberOfBytesSent still not updated", sent, 0xdead);

    /* ---- completion routines: through the pointer, pending; then immediate ---- */
    WSAOVERLAPPED ov2;
    ZeroMemory(&ov2, sizeof ov2);
    ov2.hEvent = (HANDLE)(ULONG_PTR)0x5150;
    CHECK_FAILS("WSASendMsg with a completion routine pends",
                pSendMsg(o, &m, 0, NULL, &ov2, on_done), WSA_IO_PENDING);
    CHECK_EQ("SleepEx(0, FALSE) runs no routine", SleepEx(0, FALSE), 0);
    CHECK_EQ("  none ran", ncalls, 0);
    CHECK_EQ("SleepEx(INFINITE, TRUE) returns WAIT_IO_COMPLETION", SleepEx(INFINITE, TRUE),
             WAIT_IO_COMPLETION);
    CHECK_EQ("  one routine ran", ncalls, 1);
    CHECK_EQ("  dwError 0", calls[0].err, 0);
    CHECK_EQ("  cbTransferred 100", calls[0].bytes, 100);
    CHECK_EQ("  dwFlags 0", calls[0].flags, 0);
    CHECK("  lpOverlapped", calls[0].ov == &ov2);
    CHECK("  hEvent carried the context", calls[0].context == (HANDLE)(ULONG_PTR)0x5150);

    struct sockaddr_in own = addr4("10.0.0.11", 7100);
    m.name = (LPSOCKADDR)&own;
    m.namelen = sizeof own;
    WSAOVERLAPPED ov3;
    ZeroMemory(&ov3, sizeof ov3);
    sent = 0;
    CHECK_EQ("an overlapped WSASendMsg to this host completes at once",
             WSASendMsg(o, &m, 0, &sent, &ov3, on_done), 0);
    CHECK_EQ("  lpNumberOfBytesSent", sent, 100);
    CHECK_EQ("  its routine waits for an alertable wait", ncalls, 1);
    CHECK_EQ("SleepEx(0, TRUE)", SleepEx(0, TRUE), WAIT_IO_COMPLETION);
    CHECK_EQ("  then it ran", ncalls, 2);
    CHECK("  for this OVERLAPPED", calls[1].ov == &ov3 && calls[1].bytes == 100 && calls[1].err == 0);
    rm.namelen = sizeof from;
    rm.Control.len = sizeof rctl.bytes;
    CHECK_EQ("the receiver gets it", pRecvMsg(rp, &rm, &n, NULL, NULL), 0);
    CHECK_EQ("  100 bytes", n, 100);
    CHECK("  the data", memcmp(in, hundred, 100) == 0);

    /* ---- WSASendTo overlapped with an event, at once ---- */
    WSAOVERLAPPED ov4;
    ZeroMemory(&ov4, sizeof ov4);
    ov4.hEvent = WSACreateEvent();
    sent = 0;
    CHECK_EQ("overlapped WSASendTo to this host",
             WSASendTo(o, three, 3, &sent, 0, (struct sockaddr *)&own, sizeof own, &ov4, NULL), 0);
    CHECK_EQ("  lpNumberOfBytesSent", sent, 12);
    CHECK_EQ("  its event is set", WSAWaitForMultipleEvents(1, &ov4.hEvent, TRUE, 0, FALSE),
             WSA_WAIT_EVENT_0);
    CHECK_EQ("  InternalHigh", ov4.InternalHigh, 12);
    CHECK_EQ("recvfrom", recvfrom(rp, in, sizeof in, 0, NULL, NULL), 12);

    /* ---- routes ---- */
    SOCKET v = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    struct sockaddr_in routed = addr4("10.1.0.2", 9), onlink = addr4("10.0.0.77", 9),
                       nowhere = addr4("192.168.1.1", 9);
    CHECK_EQ("sendto 10.1.0.2 through b (the [[route]])",
             sendto(v, "r", 1, 0, (struct sockaddr *)&routed, sizeof routed), 1);
    CHECK_EQ("sendto an unused address of this host's subnet",
             sendto(v, "l", 1, 0, (struct sockaddr *)&onlink, sizeof onlink), 1);
    CHECK_FAILS("sendto 192.168.1.1: no route",
                sendto(v, "n", 1, 0, (struct sockaddr *)&nowhere, sizeof nowhere), WSAENETUNREACH);

    /* ---- the link's MTU (576) with IP_DONTFRAGMENT ---- */
    static char big[5000];
    CHECK_EQ("5000 bytes to b without IP_DONTFRAGMENT are fragmented and go",
             sendto(v, big, 5000, 0, (struct sockaddr *)&bdest, sizeof bdest), 5000);
    CHECK_EQ("IP_DONTFRAGMENT", setsockopt(v, IPPROTO_IP, IP_DONTFRAGMENT, (const char *)&on, sizeof on), 0);
    CHECK_FAILS("549 bytes (+ 8 + 20 > 576)",
                sendto(v, big, 549, 0, (struct sockaddr *)&bdest, sizeof bdest), WSAEMSGSIZE);
    CHECK_EQ("548 bytes fit", sendto(v, big, 548, 0, (struct sockaddr *)&bdest, sizeof bdest), 548);
    CHECK_EQ("5000 bytes to this host's own address (no link)",
             sendto(v, big, 5000, 0, (struct sockaddr *)&own, sizeof own), 5000);

    closesocket(v);
    closesocket(o);
    closesocket(s);
    closesocket(rp);
    closesocket(u);
    closesocket(r);
    WSACloseEvent(ev);
    WSACloseEvent(ov4.hEvent);
    WSACleanup();
    DONE();
}
