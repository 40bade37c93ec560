/*
 * resolve.c: getaddrinfo and freeaddrinfo over the simulated world (run with
 * WSASIM_SCENARIO=tests/c/scenarios/two_hosts.toml), inet_pton and inet_ntop with the
 * behaviours verified on Windows, and the byte-order functions.
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <winsock2.h>
#include <ws2tcpip.h>
#include "check.h"

int main(void)
{
    struct addrinfo hints, *res = NULL;

    /* ---- byte order (no run needed) ---- */
    CHECK_EQ("htons", htons(0x1234), 0x3412);
    CHECK_EQ("htonl (32 bits)", htonl(0x7f000001), 0x0100007f);
    CHECK_EQ("ntohs", ntohs(htons(27015)), 27015);
    CHECK_EQ("ntohl", ntohl(htonl(0xdeadbeef)), 0xdeadbeef);
    CHECK_EQ("u_long is 32 bits", sizeof(u_long), 4);

    /* ---- before WSAStartup ---- */
    SecureZeroMemory(&hints, sizeof hints);
    hints.ai_family = AF_INET;
    CHECK_EQ("getaddrinfo before WSAStartup", getaddrinfo("localhost", "80", &hints, &res), WSANOTINITIALISED);
    CHECK_EQ("sets the last error too", WSAGetLastError(), WSANOTINITIALISED);

    WSADATA wsd;
    WSAStartup(MAKEWORD(2, 2), &wsd);

    /* ---- the seed's call: NULL node, AI_PASSIVE, IPv4 TCP, port 27015 ---- */
    SecureZeroMemory(&hints, sizeof hints);
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    hints.ai_flags = AI_PASSIVE;
    CHECK_EQ("getaddrinfo(NULL, \"27015\", passive)", getaddrinfo(NULL, "27015", &hints, &res), 0);
    CHECK("one result", res != NULL && res->ai_next == NULL);
    CHECK_EQ("ai_family", res->ai_family, AF_INET);
    CHECK_EQ("ai_socktype", res->ai_socktype, SOCK_STREAM);
    CHECK_EQ("ai_protocol", res->ai_protocol, IPPROTO_TCP);
    CHECK_EQ("ai_addrlen is sizeof(sockaddr_in)", res->ai_addrlen, sizeof(struct sockaddr_in));
    struct sockaddr_in *sin = (struct sockaddr_in *)res->ai_addr;
    CHECK_EQ("sin_family", sin->sin_family, AF_INET);
    CHECK_EQ("sin_port is 27015, network order", sin->sin_port, htons(27015));
    CHECK_EQ("the wildcard address", sin->sin_addr.s_addr, INADDR_ANY);
    CHECK("no canonical name unless asked", res->ai_canonname == NULL);
    freeaddrinfo(res);

    /* ---- no AI_PASSIVE: loopback; AF_UNSPEC: IPv6 first ---- */
    hints.ai_flags = 0;
    hints.ai_family = AF_UNSPEC;
    CHECK_EQ("getaddrinfo(NULL, \"80\", AF_UNSPEC)", getaddrinfo(NULL, "80", &hints, &res), 0);
    CHECK_EQ("IPv6 first", res->ai_family, AF_INET6);
    CHECK_EQ("sockaddr_in6 is 28 bytes", res->ai_addrlen, 28);
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)res->ai_addr;
    CHECK_EQ("::1", sin6->sin6_addr.s6_addr[15], 1);
    CHECK_EQ("sin6_port", ntohs(sin6->sin6_port), 80);
    CHECK("then IPv4", res->ai_next != NULL && res->ai_next->ai_family == AF_INET);
    CHECK_EQ("127.0.0.1", ((struct sockaddr_in *)res->ai_next->ai_addr)->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
    freeaddrinfo(res);

    /* ---- names: localhost, numeric, the scenario's hosts ---- */
    hints.ai_family = AF_INET;
    CHECK_EQ("localhost", getaddrinfo("localhost", NULL, &hints, &res), 0);
    CHECK_EQ("is 127.0.0.1", ((struct sockaddr_in *)res->ai_addr)->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
    freeaddrinfo(res);
    CHECK_EQ("numeric 10.1.2.3", getaddrinfo("10.1.2.3", "9", &hints, &res), 0);
    CHECK_EQ("is 10.1.2.3", ((struct sockaddr_in *)res->ai_addr)->sin_addr.s_addr, htonl(0x0a010203));
    freeaddrinfo(res);
    hints.ai_flags = AI_CANONNAME;
    CHECK_EQ("a scenario host by name", getaddrinfo("server", "80", &hints, &res), 0);
    CHECK_EQ("its IPv4 address", ((struct sockaddr_in *)res->ai_addr)->sin_addr.s_addr, htonl(0x0a000002));
    CHECK_STR("AI_CANONNAME gives its name", res->ai_canonname, "server");
    freeaddrinfo(res);
    hints.ai_flags = 0;
    hints.ai_family = AF_INET6;
    CHECK_EQ("the host's IPv6 address", getaddrinfo("SERVER", NULL, &hints, &res), 0);
    char text[INET6_ADDRSTRLEN];
    CHECK_STR("is fd00::2", inet_ntop(AF_INET6, &((struct sockaddr_in6 *)res->ai_addr)->sin6_addr, text, sizeof text),
              "fd00::2");
    freeaddrinfo(res);

    /* ---- errors ---- */
    hints.ai_family = AF_INET;
    res = (struct addrinfo *)0x1;
    CHECK_EQ("an unknown name is WSAHOST_NOT_FOUND", getaddrinfo("nowhere.example", "80", &hints, &res),
             WSAHOST_NOT_FOUND);
    CHECK_EQ("EAI_NONAME is the same code", EAI_NONAME, WSAHOST_NOT_FOUND);
    CHECK_EQ("last error too", WSAGetLastError(), WSAHOST_NOT_FOUND);
    CHECK_EQ("no node and no service", getaddrinfo(NULL, NULL, &hints, &res), WSAHOST_NOT_FOUND);
    CHECK_EQ("a service name is WSATYPE_NOT_FOUND", getaddrinfo("localhost", "http", &hints, &res), WSATYPE_NOT_FOUND);
    hints.ai_family = 12345;
    CHECK_EQ("a bad family is WSAEAFNOSUPPORT", getaddrinfo("localhost", "80", &hints, &res), WSAEAFNOSUPPORT);
    hints.ai_family = AF_INET;
    hints.ai_socktype = 77;
    CHECK_EQ("a bad socket type is WSAESOCKTNOSUPPORT", getaddrinfo("localhost", "80", &hints, &res),
             WSAESOCKTNOSUPPORT);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST;
    CHECK_EQ("AI_NUMERICHOST with a name", getaddrinfo("server", "80", &hints, &res), WSAHOST_NOT_FOUND);
    hints.ai_flags = 0;
    CHECK_EQ("NULL ppResult is WSAEFAULT", getaddrinfo("localhost", "80", &hints, NULL), WSAEFAULT);
    CHECK_EQ("an unreadable node is WSAEFAULT", getaddrinfo((const char *)16, "80", &hints, &res), WSAEFAULT);
    CHECK_EQ("unreadable hints are WSAEFAULT", getaddrinfo("localhost", "80", (struct addrinfo *)16, &res),
             WSAEFAULT);
    freeaddrinfo(NULL);
    freeaddrinfo((struct addrinfo *)&hints); /* not ours: ignored, no crash */
    CHECK("freeaddrinfo(NULL) and of a foreign pointer are harmless", 1);

    /* ---- inet_pton (verified on Windows: wine dlls/ws2_32/tests/protocol.c) ---- */
    unsigned char b[16];
    IN_ADDR in4;
    WSASetLastError(0xbeef);
    CHECK_EQ("inet_pton(AF_INET, 127.0.0.1)", inet_pton(AF_INET, "127.0.0.1", &in4), 1);
    CHECK_EQ("into network order", in4.s_addr, htonl(INADDR_LOOPBACK));
    CHECK_EQ("S_un_b view", in4.S_un.S_un_b.s_b1, 127);
    CHECK_EQ("success leaves the last error alone", WSAGetLastError(), 0xbeef);
    CHECK_EQ("not an address: 0", inet_pton(AF_INET, "1.2.3.256", b), 0);
    CHECK_EQ("an IPv6 text for AF_INET: 0", inet_pton(AF_INET, "::1", b), 0);
    CHECK_EQ("0 leaves the last error alone", WSAGetLastError(), 0xbeef);
    CHECK_EQ("inet_pton(AF_INET6, 2001:db8::1)", inet_pton(AF_INET6, "2001:db8::1", b), 1);
    CHECK("the 16 bytes", b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8 && b[15] == 1);
    CHECK_EQ("a NULL string is -1", inet_pton(AF_UNSPEC, NULL, b), -1);
    CHECK_EQ("with WSAEFAULT, whatever the family", WSAGetLastError(), WSAEFAULT);
    CHECK_EQ("AF_UNSPEC is -1", inet_pton(AF_UNSPEC, "127.0.0.1", b), -1);
    CHECK_EQ("with WSAEAFNOSUPPORT", WSAGetLastError(), WSAEAFNOSUPPORT);
    CHECK_EQ("a NULL buffer is -1", inet_pton(AF_INET, "127.0.0.1", NULL), -1);
    CHECK_EQ("with WSAEFAULT", WSAGetLastError(), WSAEFAULT);

    /* ---- inet_ntop ---- */
    char dst[16];
    in4.s_addr = 0x20201015;
    CHECK_STR("inet_ntop(AF_INET)", inet_ntop(AF_INET, &in4, dst, sizeof dst), "21.16.32.32");
    CHECK("returns the buffer", inet_ntop(AF_INET, &in4, dst, sizeof dst) == dst);
    CHECK("a buffer one byte short fails", inet_ntop(AF_INET, &in4, dst, 11) == NULL);
    CHECK_EQ("with STATUS_INVALID_PARAMETER (Windows 8+)", (DWORD)WSAGetLastError(), 0xC000000D);
    CHECK_STR("exactly enough room", inet_ntop(AF_INET, &in4, dst, 12), "21.16.32.32");
    CHECK("a NULL buffer fails", inet_ntop(AF_INET, &in4, NULL, 16) == NULL);
    CHECK("a bad family fails", inet_ntop(1, &in4, dst, sizeof dst) == NULL);
    CHECK_EQ("with WSAEAFNOSUPPORT", WSAGetLastError(), WSAEAFNOSUPPORT);
    unsigned char v4compat[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xcc, 0x98, 0xbd, 0x74};
    char dst6[64];
    CHECK_STR("IPv4-compatible IPv6 text", inet_ntop(AF_INET6, v4compat, dst6, sizeof dst6), "::204.152.189.116");
    unsigned char pre[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xfe, 0xcc, 0x98, 0xbd, 0x74};
    CHECK_STR("zero-prefixed IPv6 text", inet_ntop(AF_INET6, pre, dst6, sizeof dst6), "::fffe:cc98:bd74");
    CHECK("16 bytes are too few for it", inet_ntop(AF_INET6, pre, dst6, 16) == NULL);
    CHECK("an unreadable address fails", inet_ntop(AF_INET, (void *)16, dst, sizeof dst) == NULL);
    CHECK_EQ("with WSAEFAULT", WSAGetLastError(), WSAEFAULT);

    WSACleanup();
    DONE();
}
