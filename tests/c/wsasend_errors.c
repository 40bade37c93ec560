/*
 * wsasend_errors.c: the error table of the WSASend seed, as far as a C program can
 * reach it without fault injection: calls before WSAStartup (WSANOTINITIALISED), stale
 * and never-issued handles (WSAENOTSOCK), NULL and bad pointers (WSAEFAULT, never a
 * crash: unmapped pages, read-only memory, NULL + small offsets, counts that run off
 * the array), unconnected and shut-down sockets (WSAENOTCONN, WSAESHUTDOWN), a full
 * nonblocking socket (WSAEWOULDBLOCK), and the successful returns around them.
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <winsock2.h>
#include <ws2tcpip.h>
#include <sys/mman.h>
#include "check.h"

static const WSAOVERLAPPED read_only_overlapped; /* in .rodata: readable, not writable */

static void CALLBACK routine(DWORD err, DWORD bytes, LPWSAOVERLAPPED ov, DWORD flags)
{
    (void)err, (void)bytes, (void)ov, (void)flags;
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
    char data[16] = "0123456789abcdef";
    WSABUF buf = {sizeof data, data};
    DWORD sent = 0;
    WSAOVERLAPPED ov;
    ZeroMemory(&ov, sizeof ov);

    /* ---- before WSAStartup ---- */
    CHECK_FAILS("WSASend before WSAStartup", WSASend(1, &buf, 1, &sent, 0, NULL, NULL),
                WSANOTINITIALISED);
    CHECK_FAILS("socket before WSAStartup", socket(AF_INET, SOCK_STREAM, 0), WSANOTINITIALISED);
    CHECK_EQ("WSAStartup with a NULL WSADATA returns WSAEFAULT", WSAStartup(MAKEWORD(2, 2), NULL),
             WSAEFAULT);
    CHECK_EQ("WSAStartup(0.0) returns WSAVERNOTSUPPORTED", WSAStartup(0, NULL), WSAVERNOTSUPPORTED);
    WSADATA wsd;
    CHECK_EQ("WSAStartup", WSAStartup(MAKEWORD(2, 2), &wsd), 0);

    /* ---- handles ---- */
    CHECK_FAILS("WSASend on a handle never issued", WSASend(12345, &buf, 1, &sent, 0, NULL, NULL),
                WSAENOTSOCK);
    CHECK_FAILS("WSASend on INVALID_SOCKET", WSASend(INVALID_SOCKET, &buf, 1, &sent, 0, NULL, NULL),
                WSAENOTSOCK);
    SOCKET gone = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    closesocket(gone);
    CHECK_FAILS("WSASend on a closed socket", WSASend(gone, &buf, 1, &sent, 0, NULL, NULL),
                WSAENOTSOCK);
    SOCKET again = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    CHECK("a new socket never reuses a closed one's value", again != gone);
    CHECK_FAILS("WSASend on an unconnected socket", WSASend(again, &buf, 1, &sent, 0, NULL, NULL),
                WSAENOTCONN);
    closesocket(again);

    SOCKET s, c;
    connected_pair(&s, &c, 6000);
    CHECK_EQ("WSASend on a connected socket", WSASend(s, &buf, 1, &sent, 0, NULL, NULL), 0);
    CHECK_EQ("lpNumberOfBytesSent", sent, sizeof data);

    /* ---- pointers: WSAEFAULT, not a crash ---- */
    long page = 4096;
    char *map = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK("mmap", map != MAP_FAILED);
    munmap(map + page, page);                   /* a hole */
    mprotect(map + 2 * page, page, PROT_READ);  /* read-only */
    char *hole = map + page;
    char *ro = map + 2 * page;

    CHECK_FAILS("NULL lpBuffers", WSASend(s, NULL, 1, &sent, 0, NULL, NULL), WSAEFAULT);
    CHECK_FAILS("lpBuffers = (LPWSABUF)16", WSASend(s, (LPWSABUF)16, 1, &sent, 0, NULL, NULL), WSAEFAULT);
    CHECK_FAILS("lpBuffers in an unmapped page", WSASend(s, (LPWSABUF)hole, 1, &sent, 0, NULL, NULL),
                WSAEFAULT);
    WSABUF *last = (WSABUF *)(hole - sizeof(WSABUF)); /* the last WSABUF before the hole */
    last->len = 4;
    last->buf = data;
    CHECK_EQ("one WSABUF just before the hole", WSASend(s, last, 1, &sent, 0, NULL, NULL), 0);
    CHECK_FAILS("a count that runs into the hole", WSASend(s, last, 2, &sent, 0, NULL, NULL), WSAEFAULT);
    CHECK_FAILS("a count of 2^32-1", WSASend(s, &buf, 0xFFFFFFFF, &sent, 0, NULL, NULL), WSAEFAULT);
    WSABUF nullbuf = {10, NULL};
    CHECK_FAILS("a WSABUF with a NULL buf and a length", WSASend(s, &nullbuf, 1, &sent, 0, NULL, NULL),
                WSAEFAULT);
    WSABUF holebuf = {10, hole};
    CHECK_FAILS("a WSABUF in an unmapped page", WSASend(s, &holebuf, 1, &sent, 0, NULL, NULL), WSAEFAULT);
    WSABUF straddle = {16, hole - 8};
    CHECK_FAILS("a WSABUF that runs into the hole", WSASend(s, &straddle, 1, &sent, 0, NULL, NULL),
                WSAEFAULT);
    WSABUF robuf = {16, ro};
    CHECK_EQ("a read-only buffer is fine to send", WSASend(s, &robuf, 1, &sent, 0, NULL, NULL), 0);
    CHECK_FAILS("NULL lpNumberOfBytesSent without an OVERLAPPED", WSASend(s, &buf, 1, NULL, 0, NULL, NULL),
                WSAEFAULT);
    CHECK_FAILS("read-only lpNumberOfBytesSent", WSASend(s, &buf, 1, (LPDWORD)ro, 0, NULL, NULL),
                WSAEFAULT);
    CHECK_FAILS("lpNumberOfBytesSent in an unmapped page", WSASend(s, &buf, 1, (LPDWORD)hole, 0, NULL, NULL),
                WSAEFAULT);
    CHECK_FAILS("lpOverlapped in an unmapped page",
                WSASend(s, &buf, 1, &sent, 0, (LPWSAOVERLAPPED)hole, NULL), WSAEFAULT);
    CHECK_FAILS("read-only lpOverlapped",
                WSASend(s, &buf, 1, &sent, 0, (LPWSAOVERLAPPED)&read_only_overlapped, NULL), WSAEFAULT);
    CHECK_FAILS("lpOverlapped = (LPWSAOVERLAPPED)8", WSASend(s, &buf, 1, &sent, 0, (LPWSAOVERLAPPED)8, NULL),
                WSAEFAULT);
    CHECK_FAILS("lpCompletionRoutine in an unmapped page",
                WSASend(s, &buf, 1, &sent, 0, &ov, (LPWSAOVERLAPPED_COMPLETION_ROUTINE)(void *)hole),
                WSAEFAULT);
    CHECK_FAILS("lpCompletionRoutine = 0x20",
                WSASend(s, &buf, 1, &sent, 0, &ov, (LPWSAOVERLAPPED_COMPLETION_ROUTINE)(void *)0x20),
                WSAEFAULT);
    CHECK_EQ("a real routine is accepted", WSASend(s, &buf, 1, &sent, 0, &ov, routine), 0);
    SleepEx(0, TRUE);
    CHECK_FAILS("a WSABUF count of 0", WSASend(s, &buf, 0, &sent, 0, NULL, NULL), WSAEINVAL);
    CHECK_FAILS("an unknown flag", WSASend(s, &buf, 1, &sent, 0x10000, NULL, NULL), WSAEINVAL);
    CHECK_FAILS("stale handle beats a bad pointer (validation order)",
                WSASend(gone, NULL, 1, NULL, 0, NULL, NULL), WSAENOTSOCK);

    /* ---- a full nonblocking socket: WSAEWOULDBLOCK (the peer never reads) ---- */
    u_long on = 1;
    ioctlsocket(s, FIONBIO, &on);
    static char big[65536];
    WSABUF bigbuf = {sizeof big, big};
    int rc = 0, i;
    for (i = 0; i < 64 && rc == 0; i++) {
        rc = WSASend(s, &bigbuf, 1, &sent, 0, NULL, NULL);
    }
    CHECK_EQ("a nonblocking send that cannot fit fails", rc, SOCKET_ERROR);
    CHECK_EQ("with WSAEWOULDBLOCK", WSAGetLastError(), WSAEWOULDBLOCK);

    /* ---- shutdown ---- */
    shutdown(s, SD_SEND);
    CHECK_FAILS("WSASend after shutdown(SD_SEND)", WSASend(s, &buf, 1, &sent, 0, NULL, NULL), WSAESHUTDOWN);

    closesocket(s);
    closesocket(c);
    WSACleanup();
    CHECK_FAILS("WSASend after the last WSACleanup", WSASend(s, &buf, 1, &sent, 0, NULL, NULL),
                WSANOTINITIALISED);
    munmap(map, page);
    munmap(ro, page);
    DONE();
}
