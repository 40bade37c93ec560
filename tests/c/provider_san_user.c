/*
 * provider_san_user.c: a program whose connection crosses a SAN link
 * (scenarios/san_hosts.toml), run with a C SAN provider loaded
 * (WSASIM_PROVIDER=provider_san.so:san): a WSASend with a completion routine and one
 * with an event both complete once with the right byte counts, and the echo server sends
 * every byte back in order. It does not know the SAN provider is there.
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <winsock2.h>
#include <ws2tcpip.h>
#include "check.h"

static int ncalls;
static DWORD got_err = 99, got_bytes;
static LPWSAOVERLAPPED got_ov;

static void CALLBACK on_done(DWORD dwError, DWORD cbTransferred, LPWSAOVERLAPPED lpOverlapped,
                             DWORD dwFlags)
{
    (void)dwFlags;
    ncalls++;
    got_err = dwError;
    got_bytes = cbTransferred;
    got_ov = lpOverlapped;
}

int main(void)
{
    WSADATA wsd;
    CHECK_EQ("WSAStartup", WSAStartup(MAKEWORD(2, 2), &wsd), 0);
    struct sockaddr_in a;
    ZeroMemory(&a, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(27200);
    inet_pton(AF_INET, "10.0.0.2", &a.sin_addr);
    SOCKET c = WSASocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
    CHECK("socket", c != INVALID_SOCKET);
    int rc = SOCKET_ERROR;
    for (int i = 0; i < 50 && rc != 0; i++) {
        rc = connect(c, (struct sockaddr *)&a, sizeof a);
        if (rc != 0)
            Sleep(10);
    }
    CHECK_EQ("connect across the SAN link", rc, 0);

    /* ---- a send with a completion routine ---- */
    static char d1[100], d2[200];
    memset(d1, 'r', sizeof d1);
    memset(d2, 'e', sizeof d2);
    WSABUF b1 = {sizeof d1, d1};
    WSAOVERLAPPED o1;
    SecureZeroMemory(&o1, sizeof o1);
    rc = WSASend(c, &b1, 1, NULL, 0, &o1, on_done);
    CHECK("WSASend with a routine is initiated",
          rc == 0 || (rc == SOCKET_ERROR && WSAGetLastError() == WSA_IO_PENDING));
    for (int i = 0; i < 50 && ncalls == 0; i++)
        SleepEx(10, TRUE);
    CHECK_EQ("the routine ran once", ncalls, 1);
    CHECK_EQ("dwError 0", got_err, 0);
    CHECK_EQ("cbTransferred 100", got_bytes, 100);
    CHECK("lpOverlapped is the caller's", got_ov == &o1);

    /* ---- a send with an event: larger than SO_MAX_MSG_SIZE (150), split ---- */
    WSAEVENT ev = WSACreateEvent();
    WSABUF b2 = {sizeof d2, d2};
    WSAOVERLAPPED o2;
    SecureZeroMemory(&o2, sizeof o2);
    o2.hEvent = ev;
    rc = WSASend(c, &b2, 1, NULL, 0, &o2, NULL);
    CHECK("WSASend with an event is initiated",
          rc == 0 || (rc == SOCKET_ERROR && WSAGetLastError() == WSA_IO_PENDING));
    DWORD w = WSA_WAIT_TIMEOUT;
    for (int i = 0; i < 20 && w != WSA_WAIT_EVENT_0; i++)
        w = WSAWaitForMultipleEvents(1, &ev, TRUE, 100, FALSE);
    CHECK_EQ("the event is signalled", w, WSA_WAIT_EVENT_0);
    DWORD bytes = 0, flags = 0;
    CHECK_EQ("WSAGetOverlappedResult", WSAGetOverlappedResult(c, &o2, &bytes, FALSE, &flags),
             TRUE);
    CHECK_EQ("200 bytes", bytes, 200);
    CHECK_EQ("the routine did not run again", ncalls, 1);

    /* ---- the echo, in order ---- */
    static char in[300];
    int total = 0;
    while (total < 300) {
        int n = recv(c, in + total, sizeof in - total, 0);
        if (n <= 0)
            break;
        total += n;
    }
    CHECK_EQ("300 bytes come back", total, 300);
    CHECK("in order", in[0] == 'r' && in[99] == 'r' && in[100] == 'e' && in[299] == 'e');
    closesocket(c);
    WSACleanup();
    DONE();
}
