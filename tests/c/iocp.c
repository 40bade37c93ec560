/*
 * iocp.c: I/O completion ports from C. An overlapped WSASend that completes at once on
 * an associated socket still posts a packet (wine-facts O5); the low bit of hEvent keeps
 * it off the port (O21); a completion routine on an associated socket is WSAEINVAL (C6);
 * PostQueuedCompletionStatus packets come back verbatim; a time-out is FALSE with
 * WAIT_TIMEOUT and *lpOverlapped NULL.
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <winsock2.h>
#include <ws2tcpip.h>
#include "check.h"

static void CALLBACK never(DWORD e, DWORD n, LPWSAOVERLAPPED ov, DWORD f)
{
    (void)e; (void)n; (void)ov; (void)f;
    printf("FAIL the routine ran\n");
}

int main(void)
{
    WSADATA wsd;
    CHECK_EQ("WSAStartup", WSAStartup(MAKEWORD(2, 2), &wsd), 0);
    struct sockaddr_in a;
    ZeroMemory(&a, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(27100);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    SOCKET l = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    CHECK_EQ("bind", bind(l, (struct sockaddr *)&a, sizeof a), 0);
    CHECK_EQ("listen", listen(l, 1), 0);
    SOCKET c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    CHECK_EQ("connect", connect(c, (struct sockaddr *)&a, sizeof a), 0);
    SOCKET s = accept(l, NULL, NULL);
    CHECK("accept", s != INVALID_SOCKET);

    HANDLE port = CreateIoCompletionPort((HANDLE)c, NULL, 0x77, 0);
    CHECK("CreateIoCompletionPort associates", port != NULL);
    CHECK("a second association fails",
          CreateIoCompletionPort((HANDLE)c, port, 1, 0) == NULL && GetLastError() == 87);

    char data[5] = "hello";
    WSABUF buf = {5, data};
    WSAOVERLAPPED ov;
    ZeroMemory(&ov, sizeof ov);
    DWORD sent = 0;
    CHECK_EQ("WSASend completes at once", WSASend(c, &buf, 1, &sent, 0, &ov, NULL), 0);
    DWORD bytes = 0;
    ULONG_PTR key = 0;
    LPOVERLAPPED got = NULL;
    CHECK_EQ("a packet is queued", GetQueuedCompletionStatus(port, &bytes, &key, &got, 0), TRUE);
    CHECK_EQ("packet bytes", bytes, 5);
    CHECK_EQ("packet key", key, 0x77);
    CHECK("packet OVERLAPPED", got == &ov);

    WSAEVENT ev = WSACreateEvent();
    WSAOVERLAPPED ov2;
    ZeroMemory(&ov2, sizeof ov2);
    ov2.hEvent = (HANDLE)((ULONG_PTR)ev | 1);
    CHECK_EQ("WSASend with the low bit set", WSASend(c, &buf, 1, &sent, 0, &ov2, NULL), 0);
    CHECK_EQ("the event is signalled", WSAWaitForMultipleEvents(1, &ev, TRUE, 0, FALSE), WSA_WAIT_EVENT_0);
    got = &ov;
    CHECK_EQ("no packet", GetQueuedCompletionStatus(port, &bytes, &key, &got, 0), FALSE);
    CHECK_EQ("time-out error", GetLastError(), WAIT_TIMEOUT);
    CHECK("time-out clears *lpOverlapped", got == NULL);

    WSAOVERLAPPED ov3;
    ZeroMemory(&ov3, sizeof ov3);
    CHECK_EQ("a routine on an associated socket fails", WSASend(c, &buf, 1, NULL, 0, &ov3, never), SOCKET_ERROR);
    CHECK_EQ("... with WSAEINVAL", WSAGetLastError(), WSAEINVAL);
    CHECK_EQ("no routine runs", SleepEx(0, TRUE), 0);

    CHECK_EQ("PostQueuedCompletionStatus", PostQueuedCompletionStatus(port, 11, 0xAB, (LPOVERLAPPED)0x1234), TRUE);
    CHECK_EQ("posted packet comes back", GetQueuedCompletionStatus(port, &bytes, &key, &got, INFINITE), TRUE);
    CHECK("posted values verbatim", bytes == 11 && key == 0xAB && got == (LPOVERLAPPED)0x1234);
    CHECK("bad lpOverlapped is refused, not a crash",
          GetQueuedCompletionStatus(port, &bytes, &key, (LPOVERLAPPED *)8, 0) == FALSE && GetLastError() == 998);

    CHECK_EQ("CloseHandle(port)", CloseHandle(port), TRUE);
    closesocket(c);
    closesocket(s);
    closesocket(l);
    WSACleanup();
    DONE();
}
