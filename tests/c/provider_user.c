/*
 * provider_user.c: a program run with a C layered provider loaded
 * (WSASIM_PROVIDER=provider_layered.so): a WSASend with a completion routine and one
 * with an event both complete once, with the right byte counts, and the data arrives in
 * order. It does not know the provider is there.
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <winsock2.h>
#include <ws2tcpip.h>
#include "check.h"

static int ncalls;
static DWORD got_err = 99, got_bytes, got_flags = 99;
static LPWSAOVERLAPPED got_ov;

static void CALLBACK on_done(DWORD dwError, DWORD cbTransferred, LPWSAOVERLAPPED lpOverlapped,
                             DWORD dwFlags)
{
    ncalls++;
    got_err = dwError;
    got_bytes = cbTransferred;
    got_ov = lpOverlapped;
    got_flags = dwFlags;
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

    /* ---- a send with a completion routine ---- */
    static char d1[100], d2[200];
    memset(d1, 'r', sizeof d1);
    memset(d2, 'e', sizeof d2);
    WSABUF b1 = {sizeof d1, d1};
    WSAOVERLAPPED o1;
    SecureZeroMemory(&o1, sizeof o1);
    int rc = WSASend(c, &b1, 1, NULL, 0, &o1, on_done);
    CHECK("WSASend with a routine is initiated",
          rc == 0 || (rc == SOCKET_ERROR && WSAGetLastError() == WSA_IO_PENDING));
    CHECK_EQ("no routine outside an alertable wait", ncalls, 0);
    for (int i = 0; i < 20 && ncalls == 0; i++)
        SleepEx(10, TRUE);
    CHECK_EQ("the routine ran once", ncalls, 1);
    CHECK_EQ("dwError 0", got_err, 0);
    CHECK_EQ("cbTransferred 100", got_bytes, 100);
    CHECK("lpOverlapped is the caller's", got_ov == &o1);
    CHECK_EQ("dwFlags 0", got_flags, 0);

    /* ---- a send with an event ---- */
    WSAEVENT ev = WSACreateEvent();
    WSABUF b2 = {sizeof d2, d2};
    WSAOVERLAPPED o2;
    SecureZeroMemory(&o2, sizeof o2);
    o2.hEvent = ev;
    rc = WSASend(c, &b2, 1, NULL, 0, &o2, NULL);
    CHECK("WSASend with an event is initiated",
          rc == 0 || (rc == SOCKET_ERROR && WSAGetLastError() == WSA_IO_PENDING));
    DWORD w = WSA_WAIT_IO_COMPLETION;
    for (int i = 0; i < 20 && w != WSA_WAIT_EVENT_0; i++)
        w = WSAWaitForMultipleEvents(1, &ev, TRUE, 100, TRUE);
    CHECK_EQ("the event is signalled", w, WSA_WAIT_EVENT_0);
    DWORD bytes = 0, flags = 0;
    CHECK_EQ("WSAGetOverlappedResult", WSAGetOverlappedResult(c, &o2, &bytes, FALSE, &flags),
             TRUE);
    CHECK_EQ("200 bytes", bytes, 200);
    CHECK_EQ("the routine did not run again", ncalls, 1);

    /* ---- the data, in order ---- */
    static char in[300];
    int total = 0;
    while (total < 300) {
        int n = recv(s, in + total, sizeof in - total, 0);
        if (n <= 0)
            break;
        total += n;
    }
    CHECK_EQ("300 bytes arrive", total, 300);
    CHECK("in order", in[0] == 'r' && in[99] == 'r' && in[100] == 'e' && in[299] == 'e');
    closesocket(c);
    closesocket(s);
    closesocket(l);
    WSACleanup();
    DONE();
}
