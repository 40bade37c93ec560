/*
 * overlapped_events.c: overlapped WSASend and WSARecv with event objects, as the seed's
 * example uses them: immediate completion (0, bytes written at once, Internal 0,
 * InternalHigh the bytes, the event signalled); a pending send (WSA_IO_PENDING,
 * Internal STATUS_PENDING, WSAGetOverlappedResult WSA_IO_INCOMPLETE until the peer
 * reads, then the bytes); event waits, time-outs, resets and closed events.
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <winsock2.h>
#include <ws2tcpip.h>
#include "check.h"

/* A connected pair on the loopback; the client's receive buffer is `rcvbuf` bytes from
 * the start (a small window lets the server's sends pend). */
static void connected_pair(SOCKET *server, SOCKET *client, unsigned short port, int rcvbuf)
{
    struct sockaddr_in a;
    ZeroMemory(&a, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    SOCKET l = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    bind(l, (struct sockaddr *)&a, sizeof a);
    listen(l, 1);
    *client = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    setsockopt(*client, SOL_SOCKET, SO_RCVBUF, (const char *)&rcvbuf, sizeof rcvbuf);
    connect(*client, (struct sockaddr *)&a, sizeof a);
    *server = accept(l, NULL, NULL);
    closesocket(l);
}

int main(void)
{
    WSADATA wsd;
    WSAStartup(MAKEWORD(2, 2), &wsd);
    SOCKET s, c;
    connected_pair(&s, &c, 7000, 4096);

    WSAEVENT ev = WSACreateEvent();
    CHECK("WSACreateEvent", ev != WSA_INVALID_EVENT);
    CHECK_EQ("a new event is not signalled", WSAWaitForMultipleEvents(1, &ev, TRUE, 0, FALSE),
             WSA_WAIT_TIMEOUT);

    /* ---- immediate completion ---- */
    char data[100];
    memset(data, 'x', sizeof data);
    WSABUF buf = {sizeof data, data};
    WSAOVERLAPPED ov;
    SecureZeroMemory(&ov, sizeof ov);
    ov.hEvent = ev;
    DWORD sent = 0, flags = 0;
    CHECK_EQ("overlapped WSASend completes at once", WSASend(s, &buf, 1, &sent, 0, &ov, NULL), 0);
    CHECK_EQ("lpNumberOfBytesSent is written", sent, sizeof data);
    CHECK_EQ("Internal is STATUS_SUCCESS", ov.Internal, 0);
    CHECK_EQ("InternalHigh is the bytes", ov.InternalHigh, sizeof data);
    CHECK("HasOverlappedIoCompleted", HasOverlappedIoCompleted(&ov));
    CHECK_EQ("the event is signalled", WSAWaitForMultipleEvents(1, &ev, TRUE, INFINITE, TRUE),
             WSA_WAIT_EVENT_0);
    DWORD got = 0;
    CHECK_EQ("WSAGetOverlappedResult", WSAGetOverlappedResult(s, &ov, &got, FALSE, &flags), TRUE);
    CHECK_EQ("WSAGetOverlappedResult bytes", got, sizeof data);
    CHECK_EQ("WSAResetEvent", WSAResetEvent(ev), TRUE);
    CHECK_EQ("reset event times out", WSAWaitForMultipleEvents(1, &ev, FALSE, 5, FALSE), WSA_WAIT_TIMEOUT);

    /* ---- a pending send: no send buffer (SO_SNDBUF 0) and a 4 KiB window, so 1 MiB
     * is consumed only as the peer reads ---- */
    int zero = 0;
    CHECK_EQ("SO_SNDBUF 0", setsockopt(s, SOL_SOCKET, SO_SNDBUF, (const char *)&zero, sizeof zero), 0);
    static char big[1 << 20];
    WSABUF bigbuf = {sizeof big, big};
    WSAOVERLAPPED ov2;
    SecureZeroMemory(&ov2, sizeof ov2);
    ov2.hEvent = WSACreateEvent();
    int rc = WSASend(s, &bigbuf, 1, NULL, 0, &ov2, NULL);
    CHECK_EQ("a 1 MiB overlapped send pends", rc, SOCKET_ERROR);
    CHECK_EQ("with WSA_IO_PENDING", WSAGetLastError(), WSA_IO_PENDING);
    CHECK_EQ("Internal is STATUS_PENDING while it pends", ov2.Internal, STATUS_PENDING);
    CHECK("HasOverlappedIoCompleted is false", !HasOverlappedIoCompleted(&ov2));
    CHECK_EQ("WSAGetOverlappedResult(fWait=FALSE) while pending",
             WSAGetOverlappedResult(s, &ov2, &got, FALSE, &flags), FALSE);
    CHECK_EQ("is WSA_IO_INCOMPLETE", WSAGetLastError(), WSA_IO_INCOMPLETE);
    CHECK_EQ("its event times out", WSAWaitForMultipleEvents(1, &ov2.hEvent, TRUE, 10, FALSE),
             WSA_WAIT_TIMEOUT);

    /* The peer drains with overlapped receives and an event of its own. */
    static char sink[1 << 16];
    WSABUF sinkbuf = {sizeof sink, sink};
    WSAOVERLAPPED rov;
    SecureZeroMemory(&rov, sizeof rov);
    rov.hEvent = WSACreateEvent();
    unsigned long total = 0;
    int rounds = 0;
    while (total < sizeof data + sizeof big && rounds < 10000) {
        DWORD n = 0, rflags = 0;
        rounds++;
        if (WSARecv(c, &sinkbuf, 1, &n, &rflags, &rov, NULL) == SOCKET_ERROR) {
            if (WSAGetLastError() != WSA_IO_PENDING) {
                break;
            }
            WSAWaitForMultipleEvents(1, &rov.hEvent, TRUE, INFINITE, FALSE);
            WSAGetOverlappedResult(c, &rov, &n, FALSE, &rflags);
        }
        WSAResetEvent(rov.hEvent);
        total += n;
        if (n == 0) {
            break;
        }
    }
    CHECK_EQ("the peer receives every byte", total, sizeof data + sizeof big);
    CHECK_EQ("the pending send's event is signalled",
             WSAWaitForMultipleEvents(1, &ov2.hEvent, TRUE, INFINITE, FALSE), WSA_WAIT_EVENT_0);
    CHECK_EQ("WSAGetOverlappedResult after completion", WSAGetOverlappedResult(s, &ov2, &got, FALSE, &flags),
             TRUE);
    CHECK_EQ("all 1 MiB sent", got, sizeof big);
    CHECK_EQ("Internal is STATUS_SUCCESS", ov2.Internal, 0);
    CHECK_EQ("InternalHigh is 1 MiB", ov2.InternalHigh, sizeof big);

    /* ---- events: wait for any of two, set, close ---- */
    WSAEVENT two[2] = {WSACreateEvent(), WSACreateEvent()};
    CHECK_EQ("WSASetEvent", WSASetEvent(two[1]), TRUE);
    CHECK_EQ("wait for any returns the signalled index", WSAWaitForMultipleEvents(2, two, FALSE, 0, FALSE),
             WSA_WAIT_EVENT_0 + 1);
    CHECK_EQ("wait for all times out", WSAWaitForMultipleEvents(2, two, TRUE, 0, FALSE), WSA_WAIT_TIMEOUT);
    CHECK_EQ("WSACloseEvent", WSACloseEvent(two[0]), TRUE);
    CHECK_EQ("waiting on a closed event fails", WSAWaitForMultipleEvents(1, &two[0], FALSE, 0, FALSE),
             WSA_WAIT_FAILED);
    CHECK_EQ("with WSA_INVALID_HANDLE", WSAGetLastError(), WSA_INVALID_HANDLE);
    CHECK_EQ("WSACloseEvent twice fails", WSACloseEvent(two[0]), FALSE);
    CHECK_EQ("WSAWaitForMultipleEvents with a NULL array", WSAWaitForMultipleEvents(1, NULL, FALSE, 0, FALSE),
             WSA_WAIT_FAILED);
    CHECK_EQ("WSAWaitForMultipleEvents(0 events)", WSAWaitForMultipleEvents(0, two, FALSE, 0, FALSE),
             WSA_WAIT_FAILED);
    CHECK_EQ("is WSA_INVALID_PARAMETER", WSAGetLastError(), WSA_INVALID_PARAMETER);

    WSACloseEvent(two[1]);
    WSACloseEvent(ev);
    WSACloseEvent(ov2.hEvent);
    WSACloseEvent(rov.hEvent);
    closesocket(s);
    closesocket(c);
    WSACleanup();
    DONE();
}
