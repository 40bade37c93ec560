/*
 * faults_external.c: a scenario's [[fault]] tables reach a C program. The program
 * connects to the scenario's tcp-server peer (127.0.0.1:7, discard) and sends 100 bytes
 * every millisecond of virtual time until a send fails; the scenario's fault (a reset or
 * an abort aimed at program:app, or network-down on host:local, at 20 ms) must make it
 * fail with the code the environment variable FAULT_EXPECT names (decimal; default
 * WSAECONNRESET, the reset of scenarios/fault_reset.toml), after the sends before the
 * fault went through.
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <winsock2.h>
#include <ws2tcpip.h>
#include <stdlib.h>
#include "check.h"

int main(void)
{
    const char *expect_text = getenv("FAULT_EXPECT");
    int expect = expect_text ? atoi(expect_text) : WSAECONNRESET;

    WSADATA wsa;
    CHECK_EQ("WSAStartup", WSAStartup(MAKEWORD(2, 2), &wsa), 0);
    SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    CHECK("socket", s != INVALID_SOCKET);
    struct sockaddr_in a;
    ZeroMemory(&a, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(7);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK_EQ("connect to the scenario's peer", connect(s, (struct sockaddr *)&a, sizeof a), 0);

    char buf[100];
    memset(buf, 'x', sizeof buf);
    int sent_ok = 0, err = 0;
    for (int i = 0; i < 1000; i++) {
        if (send(s, buf, sizeof buf, 0) == SOCKET_ERROR) {
            err = WSAGetLastError();
            break;
        }
        sent_ok++;
        Sleep(1);
    }
    printf("sends before the fault: %d, then error %d\n", sent_ok, err);
    /* One send per millisecond: the fault fires at 20 ms, not at the start. */
    CHECK("the sends before the fault's time went through", sent_ok >= 15 && sent_ok <= 25);
    CHECK_EQ("the send after the fault fails with the fault's documented code", err, expect);
    closesocket(s);
    WSACleanup();
    DONE();
}
