/*
 * completion_routines.c: WSASend and WSARecv with completion routines, which are C
 * function pointers run on the issuing thread only in an alertable wait: SleepEx(...,
 * TRUE) returns WAIT_IO_COMPLETION after running them, in issue order (profile
 * windows), with (dwError, cbTransferred, lpOverlapped, 0); hEvent carries context.
 * QueueUserAPC with a C function, and a send issued from inside a routine.
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <winsock2.h>
#include <ws2tcpip.h>
#include "check.h"

#define MAX_CALLS 16
static struct {
    DWORD err, bytes, flags;
    LPWSAOVERLAPPED ov;
    HANDLE context;
    DWORD thread;
} calls[MAX_CALLS];
static int ncalls;
static SOCKET chained_socket;
static WSAOVERLAPPED chained_ov;
static char chained_data[7] = "chained";
static int chained_rc = 12345;

static void CALLBACK on_done(DWORD dwError, DWORD cbTransferred, LPWSAOVERLAPPED lpOverlapped,
                             DWORD dwFlags)
{
    if (ncalls < MAX_CALLS) {
        calls[ncalls].err = dwError;
        calls[ncalls].bytes = cbTransferred;
        calls[ncalls].flags = dwFlags;
        calls[ncalls].ov = lpOverlapped;
        calls[ncalls].context = lpOverlapped->hEvent;
        calls[ncalls].thread = GetCurrentThreadId();
    }
    ncalls++;
}

/* "The WSASend function using overlapped I/O can be called from within the completion
 * routine of a previous WSARecv, WSARecvFrom, WSASend, or WSASendTo function." */
static void CALLBACK send_again(DWORD dwError, DWORD cbTransferred, LPWSAOVERLAPPED lpOverlapped,
                                DWORD dwFlags)
{
    on_done(dwError, cbTransferred, lpOverlapped, dwFlags);
    WSABUF b = {sizeof chained_data, chained_data};
    SecureZeroMemory(&chained_ov, sizeof chained_ov);
    chained_ov.hEvent = (HANDLE)(ULONG_PTR)99;
    chained_rc = WSASend(chained_socket, &b, 1, NULL, 0, &chained_ov, on_done);
}

static ULONG_PTR apc_param;
static int apc_runs;
static VOID NTAPI my_apc(ULONG_PTR dwParam)
{
    apc_param = dwParam;
    apc_runs++;
}

static void connected_pair(SOCKET *server, SOCKET *client, unsigned short port)
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
    connect(*client, (struct sockaddr *)&a, sizeof a);
    *server = accept(l, NULL, NULL);
    closesocket(l);
}

int main(void)
{
    WSADATA wsd;
    WSAStartup(MAKEWORD(2, 2), &wsd);
    SOCKET s, c;
    connected_pair(&s, &c, 8000);
    DWORD me = GetCurrentThreadId();

    /* ---- three sends with routines; hEvent is free for context ---- */
    static char d1[10], d2[20], d3[30];
    WSABUF b1 = {sizeof d1, d1}, b2 = {sizeof d2, d2}, b3 = {sizeof d3, d3};
    WSAOVERLAPPED o1, o2, o3;
    SecureZeroMemory(&o1, sizeof o1);
    SecureZeroMemory(&o2, sizeof o2);
    SecureZeroMemory(&o3, sizeof o3);
    o1.hEvent = (HANDLE)(ULONG_PTR)1;
    o2.hEvent = (HANDLE)(ULONG_PTR)2;
    o3.hEvent = (HANDLE)(ULONG_PTR)3;
    DWORD sent = 0;
    CHECK_EQ("WSASend 1 with a routine", WSASend(s, &b1, 1, &sent, 0, &o1, on_done), 0);
    CHECK_EQ("WSASend 2 with a routine", WSASend(s, &b2, 1, NULL, 0, &o2, on_done), 0);
    CHECK_EQ("WSASend 3 with a routine", WSASend(s, &b3, 1, NULL, 0, &o3, on_done), 0);
    CHECK_EQ("no routine runs outside an alertable wait", ncalls, 0);
    CHECK_EQ("SleepEx(0, FALSE) runs none", SleepEx(0, FALSE), 0);
    CHECK_EQ("still none", ncalls, 0);
    CHECK_EQ("SleepEx(INFINITE, TRUE) returns WAIT_IO_COMPLETION", SleepEx(INFINITE, TRUE),
             WAIT_IO_COMPLETION);
    CHECK_EQ("all three ran", ncalls, 3);
    CHECK("in issue order, each with its own OVERLAPPED",
          calls[0].ov == &o1 && calls[1].ov == &o2 && calls[2].ov == &o3);
    CHECK("hEvent carried the context",
          calls[0].context == (HANDLE)1 && calls[1].context == (HANDLE)2 && calls[2].context == (HANDLE)3);
    CHECK("dwError 0", calls[0].err == 0 && calls[1].err == 0 && calls[2].err == 0);
    CHECK("cbTransferred is each send's size",
          calls[0].bytes == 10 && calls[1].bytes == 20 && calls[2].bytes == 30);
    CHECK("dwFlags is 0", calls[0].flags == 0 && calls[1].flags == 0 && calls[2].flags == 0);
    CHECK("on the issuing thread", calls[0].thread == me && calls[2].thread == me);
    CHECK_EQ("nothing left: SleepEx(0, TRUE) returns 0", SleepEx(0, TRUE), 0);

    /* ---- a receive with a routine, woken by data ---- */
    ncalls = 0;
    char rbuf[64];
    WSABUF rb = {sizeof rbuf, rbuf};
    WSAOVERLAPPED ro;
    SecureZeroMemory(&ro, sizeof ro);
    DWORD rflags = 0;
    /* 60 bytes are already waiting at the client: the receive completes at once, and
     * its routine waits for an alertable wait like any other. */
    WSAEVENT never = WSACreateEvent();
    CHECK_EQ("WSARecv with a routine", WSARecv(c, &rb, 1, NULL, &rflags, &ro, on_done), 0);
    CHECK_EQ("an alertable WSAWaitForMultipleEvents runs it",
             WSAWaitForMultipleEvents(1, &never, FALSE, INFINITE, TRUE), WSA_WAIT_IO_COMPLETION);
    CHECK_EQ("the receive's routine ran", ncalls, 1);
    CHECK_EQ("with the bytes received", calls[0].bytes, 60);
    WSACloseEvent(never);

    /* A pending receive: nothing to read yet. */
    ncalls = 0;
    SecureZeroMemory(&ro, sizeof ro);
    int rc = WSARecv(c, &rb, 1, NULL, &rflags, &ro, on_done);
    CHECK_EQ("an empty socket's WSARecv pends", rc, SOCKET_ERROR);
    CHECK_EQ("with WSA_IO_PENDING", WSAGetLastError(), WSA_IO_PENDING);
    chained_socket = s;
    static char d4[5];
    WSABUF b4 = {sizeof d4, d4};
    WSAOVERLAPPED o4;
    SecureZeroMemory(&o4, sizeof o4);
    CHECK_EQ("a send whose routine sends again", WSASend(s, &b4, 1, NULL, 0, &o4, send_again), 0);
    /* Three routines to come: the send's (which sends again), the pending receive's
     * (5 bytes), the chained send's. */
    int waits = 0;
    while (ncalls < 3 && waits < 10) {
        CHECK_EQ("SleepEx runs routines", SleepEx(INFINITE, TRUE), WAIT_IO_COMPLETION);
        waits++;
    }
    CHECK_EQ("the send from inside a routine was accepted", chained_rc, 0);
    CHECK_EQ("three routines ran", ncalls, 3);
    int saw_chained = 0, saw_recv = 0, saw_first = 0, i;
    for (i = 0; i < ncalls && i < MAX_CALLS; i++) {
        saw_first |= calls[i].ov == &o4 && calls[i].bytes == 5;
        saw_chained |= calls[i].ov == &chained_ov && calls[i].bytes == 7 && calls[i].context == (HANDLE)99;
        saw_recv |= calls[i].ov == &ro && calls[i].bytes == 5 && memcmp(rbuf, d4, 5) == 0;
    }
    CHECK("the first send's routine ran", saw_first);
    CHECK("the chained send's routine ran", saw_chained);
    CHECK("the pending receive's routine ran with the 5 bytes", saw_recv);

    /* ---- QueueUserAPC with a C function ---- */
    HANDLE never_a_thread = (HANDLE)(ULONG_PTR)0x777;
    CHECK_EQ("QueueUserAPC(NULL) fails", QueueUserAPC(NULL, (HANDLE)1, 0), 0);
    CHECK_EQ("with ERROR_INVALID_PARAMETER", GetLastError(), ERROR_INVALID_PARAMETER);
    CHECK_EQ("QueueUserAPC to a handle that is not a thread", QueueUserAPC(my_apc, never_a_thread, 5), 0);
    CHECK_EQ("with ERROR_INVALID_HANDLE", GetLastError(), ERROR_INVALID_HANDLE);

    closesocket(s);
    closesocket(c);
    WSACleanup();
    DONE();
}
