/*
 * threads.c: two-thread programs with CreateThread. A client thread talks to the main
 * thread over the loopback; WaitForSingleObject / WaitForMultipleObjects on threads,
 * GetExitCodeThread (STILL_ACTIVE, then the routine's return value), lpThreadId,
 * per-thread last errors, QueueUserAPC waking a thread in SleepEx(INFINITE, TRUE),
 * CloseHandle, bad arguments, and a call from a thread the simulator did not create.
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <winsock2.h>
#include <ws2tcpip.h>
#include <pthread.h>
#include "check.h"

static volatile DWORD client_tid_seen_by_client;
static volatile DWORD client_last_error;

static struct sockaddr_in loopback(unsigned short port)
{
    struct sockaddr_in a;
    ZeroMemory(&a, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static DWORD WINAPI client(LPVOID param)
{
    unsigned short port = *(unsigned short *)param;
    client_tid_seen_by_client = GetCurrentThreadId();
    SetLastError(1234);
    client_last_error = GetLastError();
    SOCKET c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    struct sockaddr_in a = loopback(port);
    if (connect(c, (struct sockaddr *)&a, sizeof a) != 0) {
        return 1;
    }
    if (send(c, "ping", 4, 0) != 4) {
        return 2;
    }
    char buf[4];
    if (recv(c, buf, 4, MSG_WAITALL) != 4 || memcmp(buf, "pong", 4) != 0) {
        return 3;
    }
    closesocket(c);
    return 42;
}

static volatile ULONG_PTR apc_param;
static volatile DWORD apc_thread;
static VOID NTAPI apc(ULONG_PTR dwParam)
{
    apc_param = dwParam;
    apc_thread = GetCurrentThreadId();
}

static volatile DWORD sleeper_tid;
static DWORD WINAPI sleeper(LPVOID param)
{
    (void)param;
    sleeper_tid = GetCurrentThreadId();
    return SleepEx(INFINITE, TRUE); /* WAIT_IO_COMPLETION once an APC runs */
}

static DWORD WINAPI nap(LPVOID param)
{
    Sleep((DWORD)(ULONG_PTR)param);
    return (DWORD)(ULONG_PTR)param;
}

static void *foreign(void *arg)
{
    int *out = arg;
    out[0] = (int)socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) == (int)INVALID_SOCKET;
    out[1] = WSAGetLastError();
    return NULL;
}

int main(void)
{
    WSADATA wsd;
    WSAStartup(MAKEWORD(2, 2), &wsd);
    DWORD me = GetCurrentThreadId();
    SetLastError(0);

    /* ---- a client thread and the main thread talk ---- */
    unsigned short port = 9000;
    SOCKET l = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    struct sockaddr_in a = loopback(port);
    bind(l, (struct sockaddr *)&a, sizeof a);
    listen(l, 1);
    DWORD tid = 0;
    HANDLE h = CreateThread(NULL, 0, client, &port, 0, &tid);
    CHECK("CreateThread returns a handle", h != NULL);
    CHECK("lpThreadId is written", tid != 0 && tid != me);
    SOCKET s = accept(l, NULL, NULL);
    CHECK("accept the client thread's connection", s != INVALID_SOCKET);
    char buf[4];
    CHECK_EQ("recv ping", recv(s, buf, 4, MSG_WAITALL), 4);
    CHECK("it is ping", memcmp(buf, "ping", 4) == 0);
    CHECK_EQ("send pong", send(s, "pong", 4, 0), 4);
    CHECK_EQ("WaitForSingleObject(thread, INFINITE)", WaitForSingleObject(h, INFINITE), WAIT_OBJECT_0);
    DWORD code = 0;
    CHECK_EQ("GetExitCodeThread", GetExitCodeThread(h, &code), TRUE);
    CHECK_EQ("the exit code is the routine's return value", code, 42);
    CHECK_EQ("lpThreadId is the thread's GetCurrentThreadId", tid, client_tid_seen_by_client);
    CHECK_EQ("the client saw its own last error", client_last_error, 1234);
    CHECK_EQ("the main thread's last error is its own", GetLastError(), 0);
    CHECK_EQ("CloseHandle(thread)", CloseHandle(h), TRUE);
    CHECK_EQ("CloseHandle twice fails", CloseHandle(h), FALSE);
    CHECK_EQ("with ERROR_INVALID_HANDLE", GetLastError(), ERROR_INVALID_HANDLE);
    closesocket(s);
    closesocket(l);

    /* ---- QueueUserAPC wakes a thread in an alertable sleep ---- */
    HANDLE hs = CreateThread(NULL, 0, sleeper, NULL, 0, NULL);
    Sleep(5); /* the sleeper runs and waits */
    CHECK_EQ("GetExitCodeThread of a running thread", GetExitCodeThread(hs, &code), TRUE);
    CHECK_EQ("is STILL_ACTIVE", code, STILL_ACTIVE);
    CHECK_EQ("WaitForSingleObject times out on a running thread", WaitForSingleObject(hs, 10), WAIT_TIMEOUT);
    CHECK("QueueUserAPC to the sleeper", QueueUserAPC(apc, hs, 77) != 0);
    CHECK_EQ("the sleeper ends", WaitForSingleObject(hs, INFINITE), WAIT_OBJECT_0);
    GetExitCodeThread(hs, &code);
    CHECK_EQ("its SleepEx returned WAIT_IO_COMPLETION", code, WAIT_IO_COMPLETION);
    CHECK_EQ("the APC got dwData", apc_param, 77);
    CHECK_EQ("the APC ran on the sleeper", apc_thread, sleeper_tid);
    CloseHandle(hs);

    /* ---- wait for several threads ---- */
    HANDLE two[2];
    two[0] = CreateThread(NULL, 0, nap, (LPVOID)(ULONG_PTR)20, 0, NULL);
    two[1] = CreateThread(NULL, 0, nap, (LPVOID)(ULONG_PTR)5, 0, NULL);
    CHECK_EQ("WaitForMultipleObjects(any) returns the first to end",
             WaitForMultipleObjects(2, two, FALSE, INFINITE), WAIT_OBJECT_0 + 1);
    CHECK_EQ("WaitForMultipleObjectsEx(all)", WaitForMultipleObjectsEx(2, two, TRUE, INFINITE, TRUE),
             WAIT_OBJECT_0);
    GetExitCodeThread(two[0], &code);
    CHECK_EQ("exit code of the first", code, 20);
    CHECK_EQ("WaitForSingleObjectEx on an ended thread", WaitForSingleObjectEx(two[0], 0, TRUE), WAIT_OBJECT_0);
    CloseHandle(two[0]);
    CloseHandle(two[1]);

    /* ---- bad arguments ---- */
    CHECK("CreateThread with no routine fails", CreateThread(NULL, 0, NULL, NULL, 0, NULL) == NULL);
    CHECK_EQ("with ERROR_INVALID_PARAMETER", GetLastError(), ERROR_INVALID_PARAMETER);
    CHECK("CREATE_SUSPENDED is not supported", CreateThread(NULL, 0, nap, NULL, CREATE_SUSPENDED, NULL) == NULL);
    CHECK_EQ("with ERROR_NOT_SUPPORTED", GetLastError(), ERROR_NOT_SUPPORTED);
    CHECK("an unwritable lpThreadId fails", CreateThread(NULL, 0, nap, NULL, 0, (LPDWORD)16) == NULL);
    CHECK_EQ("with ERROR_NOACCESS", GetLastError(), ERROR_NOACCESS);
    CHECK_EQ("WaitForSingleObject on a bad handle", WaitForSingleObject((HANDLE)(ULONG_PTR)0x999, 0), WAIT_FAILED);
    CHECK_EQ("with ERROR_INVALID_HANDLE", GetLastError(), ERROR_INVALID_HANDLE);

    /* ---- a thread the simulator did not create: refused, never a crash ---- */
    pthread_t pt;
    int out[2] = {0, 0};
    pthread_create(&pt, NULL, foreign, out);
    pthread_join(pt, NULL);
    CHECK_EQ("socket() from a foreign thread fails", out[0], 1);
    CHECK_EQ("with WSASYSNOTREADY", out[1], WSASYSNOTREADY);

    WSACleanup();
    DONE();
}
