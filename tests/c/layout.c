/*
 * layout.c: every header, with the compile-time layout checks (layout_check.h), and the
 * SPI and extension types; prints the sizes. Compiling it is the test; running it
 * prints what it checked.
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <winsock2.h>
#include <ws2tcpip.h>
#include <ws2def.h>
#include <ws2ipdef.h>
#include <mswsock.h>
#include <ws2spi.h>
#include "layout_check.h"
#include "check.h"

LAYOUT(sizeof(WSATHREADID) == 16);
LAYOUT(sizeof(WSPPROC_TABLE) == 240);
LAYOUT(sizeof(WSPUPCALLTABLE) == 120);
LAYOUT(offsetof(WSPPROC_TABLE, lpWSPSend) == 23 * 8);
LAYOUT(sizeof(WSPDATA) == 2 + 2 + 2 * 256);

int main(void)
{
    CHECK_EQ("sizeof(SOCKET)", sizeof(SOCKET), 8);
    CHECK_EQ("sizeof(WSABUF)", sizeof(WSABUF), 16);
    CHECK_EQ("sizeof(WSAOVERLAPPED)", sizeof(WSAOVERLAPPED), 32);
    CHECK_EQ("sizeof(WSAMSG)", sizeof(WSAMSG), 56);
    CHECK_EQ("sizeof(struct sockaddr_in)", sizeof(struct sockaddr_in), 16);
    CHECK_EQ("sizeof(struct sockaddr_in6)", sizeof(struct sockaddr_in6), 28);
    CHECK_EQ("sizeof(ADDRINFOA)", sizeof(ADDRINFOA), 48);
    CHECK_EQ("sizeof(fd_set)", sizeof(fd_set), 520);
    CHECK_EQ("sizeof(struct timeval)", sizeof(struct timeval), 8);
    CHECK_EQ("sizeof(WSADATA)", sizeof(WSADATA), 408);
    CHECK_EQ("sizeof(LINGER)", sizeof(LINGER), 4);
    CHECK_EQ("sizeof(WSPPROC_TABLE)", sizeof(WSPPROC_TABLE), 240);

    /* fd_set macros: Windows' count-and-array semantics */
    fd_set set;
    FD_ZERO(&set);
    FD_SET((SOCKET)5, &set);
    FD_SET((SOCKET)7, &set);
    FD_SET((SOCKET)5, &set);
    CHECK_EQ("FD_SET adds each socket once", set.fd_count, 2);
    CHECK("FD_ISSET", FD_ISSET((SOCKET)7, &set) && !FD_ISSET((SOCKET)6, &set));
    FD_CLR((SOCKET)5, &set);
    CHECK("FD_CLR keeps the others", set.fd_count == 1 && set.fd_array[0] == 7);
    CHECK_EQ("__WSAFDIsSet", __WSAFDIsSet((SOCKET)7, &set), 1);

    /* S_un views and s_addr */
    IN_ADDR a;
    a.S_un.S_un_b.s_b1 = 127;
    a.S_un.S_un_b.s_b2 = 0;
    a.S_un.S_un_b.s_b3 = 0;
    a.S_un.S_un_b.s_b4 = 1;
    CHECK_EQ("in_addr S_un views", a.s_addr, htonl(INADDR_LOOPBACK));

    /* SecureZeroMemory and ZeroMemory */
    char buf[8] = "abcdefg";
    CHECK("SecureZeroMemory returns its pointer", SecureZeroMemory(buf, 4) == buf);
    CHECK("and zeroes", buf[0] == 0 && buf[3] == 0 && buf[4] == 'e');
    ZeroMemory(buf, sizeof buf);
    CHECK_EQ("ZeroMemory", buf[4], 0);
    CHECK_EQ("LOBYTE/HIBYTE", LOBYTE(0x0201) + 10 * HIBYTE(0x0201), 1 + 20);

    GUID sendmsg = WSAID_WSASENDMSG;
    CHECK_EQ("WSAID_WSASENDMSG", sendmsg.Data1, 0xa441e712);
    DONE();
}
