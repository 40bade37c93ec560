/*
 * sockets.c: the socket calls of the C ABI on the loopback of the simulated host:
 * socket, WSASocketA/W, bind, listen, connect, accept, getsockname, getpeername,
 * setsockopt, getsockopt, ioctlsocket (a 32-bit u_long), send, recv, WSARecv,
 * shutdown, closesocket, WSACleanup.
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <winsock2.h>
#include <ws2tcpip.h>
#include "check.h"

static struct sockaddr_in loopback(unsigned short port)
{
    struct sockaddr_in a;
    ZeroMemory(&a, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

int main(void)
{
    WSADATA wsd;
    CHECK_EQ("WSAStartup(2.2)", WSAStartup(MAKEWORD(2, 2), &wsd), 0);
    CHECK_EQ("WSADATA.wVersion", wsd.wVersion, MAKEWORD(2, 2));
    CHECK_EQ("WSADATA.wHighVersion", wsd.wHighVersion, MAKEWORD(2, 2));

    SOCKET l = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    CHECK("socket returns a socket", l != INVALID_SOCKET);
    struct sockaddr_in a = loopback(5000);
    CHECK_EQ("bind 127.0.0.1:5000", bind(l, (struct sockaddr *)&a, sizeof a), 0);
    CHECK_FAILS("bind again", bind(l, (struct sockaddr *)&a, sizeof a), WSAEINVAL);
    CHECK_EQ("listen", listen(l, SOMAXCONN), 0);

    SOCKET c = WSASocketA(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
    CHECK("WSASocketA returns a socket", c != INVALID_SOCKET);
    CHECK_EQ("connect", connect(c, (struct sockaddr *)&a, sizeof a), 0);

    struct sockaddr_in peer;
    int peerlen = sizeof peer;
    SOCKET s = accept(l, (struct sockaddr *)&peer, &peerlen);
    CHECK("accept returns a socket", s != INVALID_SOCKET);
    CHECK_EQ("accept writes a sockaddr_in length", peerlen, sizeof(struct sockaddr_in));
    CHECK_EQ("accepted peer is loopback", ntohl(peer.sin_addr.s_addr), INADDR_LOOPBACK);

    struct sockaddr_in name;
    int namelen = sizeof name;
    CHECK_EQ("getsockname", getsockname(c, (struct sockaddr *)&name, &namelen), 0);
    CHECK_EQ("getsockname family", name.sin_family, AF_INET);
    CHECK_EQ("client port is the peer port the server saw", name.sin_port, peer.sin_port);
    namelen = sizeof name;
    CHECK_EQ("getpeername", getpeername(c, (struct sockaddr *)&name, &namelen), 0);
    CHECK_EQ("getpeername port", ntohs(name.sin_port), 5000);
    namelen = 4;
    CHECK_FAILS("getpeername into 4 bytes", getpeername(c, (struct sockaddr *)&name, &namelen),
                WSAEFAULT);

    int sndbuf = 0, optlen = sizeof sndbuf;
    CHECK_EQ("getsockopt SO_SNDBUF", getsockopt(s, SOL_SOCKET, SO_SNDBUF, (char *)&sndbuf, &optlen), 0);
    CHECK_EQ("SO_SNDBUF is an int", optlen, sizeof(int));
    sndbuf = 8192;
    CHECK_EQ("setsockopt SO_SNDBUF", setsockopt(s, SOL_SOCKET, SO_SNDBUF, (const char *)&sndbuf, sizeof sndbuf), 0);
    sndbuf = 0;
    optlen = sizeof sndbuf;
    getsockopt(s, SOL_SOCKET, SO_SNDBUF, (char *)&sndbuf, &optlen);
    CHECK_EQ("SO_SNDBUF reads back", sndbuf, 8192);
    int type = 0;
    optlen = sizeof type;
    CHECK_EQ("getsockopt SO_TYPE", getsockopt(s, SOL_SOCKET, SO_TYPE, (char *)&type, &optlen), 0);
    CHECK_EQ("SO_TYPE is SOCK_STREAM", type, SOCK_STREAM);

    /* recv on an empty nonblocking socket: FIONBIO takes a 32-bit u_long. */
    u_long on = 1;
    CHECK_EQ("ioctlsocket FIONBIO", ioctlsocket(c, FIONBIO, &on), 0);
    char buf[64];
    CHECK_FAILS("recv with nothing to read, nonblocking", recv(c, buf, sizeof buf, 0), WSAEWOULDBLOCK);
    u_long avail = 99;
    CHECK_EQ("ioctlsocket FIONREAD", ioctlsocket(c, FIONREAD, &avail), 0);
    CHECK_EQ("FIONREAD is 0", avail, 0);

    CHECK_EQ("send 5 bytes", send(s, "hello", 5, 0), 5);
    Sleep(1); /* virtual time: the bytes cross the loopback */
    avail = 0;
    ioctlsocket(c, FIONREAD, &avail);
    CHECK_EQ("FIONREAD sees them", avail, 5);
    CHECK_EQ("recv gets them", recv(c, buf, sizeof buf, 0), 5);
    CHECK("recv bytes", memcmp(buf, "hello", 5) == 0);

    /* WSARecv, blocking, two buffers. */
    on = 0;
    ioctlsocket(c, FIONBIO, &on);
    CHECK_EQ("send 6 bytes", send(s, "abcdef", 6, 0), 6);
    char b1[2], b2[8];
    WSABUF bufs[2] = {{sizeof b1, b1}, {sizeof b2, b2}};
    DWORD got = 0, flags = 0;
    CHECK_EQ("WSARecv", WSARecv(c, bufs, 2, &got, &flags, NULL, NULL), 0);
    CHECK_EQ("WSARecv count", got, 6);
    CHECK("WSARecv scatters", memcmp(b1, "ab", 2) == 0 && memcmp(b2, "cdef", 4) == 0);

    CHECK_EQ("shutdown SD_SEND", shutdown(s, SD_SEND), 0);
    CHECK_FAILS("send after SD_SEND", send(s, "x", 1, 0), WSAESHUTDOWN);
    CHECK_EQ("recv sees the FIN", recv(c, buf, sizeof buf, 0), 0);

    SOCKET w = WSASocketW(AF_INET6, SOCK_DGRAM, IPPROTO_UDP, NULL, 0, 0);
    CHECK("WSASocketW (IPv6 UDP)", w != INVALID_SOCKET);
    CHECK_FAILS("socket with a bad family", socket(12345, SOCK_STREAM, 0), WSAEAFNOSUPPORT);

    CHECK_EQ("closesocket", closesocket(s), 0);
    CHECK_FAILS("closesocket twice", closesocket(s), WSAENOTSOCK);
    closesocket(c);
    closesocket(l);
    closesocket(w);
    CHECK_EQ("WSACleanup", WSACleanup(), 0);
    CHECK_FAILS("socket after the last WSACleanup", socket(AF_INET, SOCK_STREAM, 0), WSANOTINITIALISED);
    CHECK_FAILS("WSACleanup without WSAStartup", WSACleanup(), WSANOTINITIALISED);
    DONE();
}
