/*
 * include_order_winsock_first.c: the Winsock headers before the C library's, as in the
 * seed's example. They keep glibc's own u_long, fd_set and timeval out (its include
 * guards are already defined), so <stdlib.h> and friends compile after them.
 */
#define WIN32_LEAN_AND_MEAN
#include <Windows.h>
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/select.h>
#include <unistd.h>
#include <time.h>
#include <errno.h>
#include <pthread.h>
#include "layout_check.h"
#include "check.h"

int main(void)
{
    u_long big = 0xFFFFFFFF;
    big++;
    CHECK_EQ("u_long wraps at 32 bits", big, 0);
    fd_set set;
    FD_ZERO(&set);
    FD_SET((SOCKET)3, &set);
    FD_SET((SOCKET)4, &set);
    CHECK_EQ("fd_set is Windows' count and array", set.fd_count, 2);
    struct timeval tv = {1, 2};
    CHECK_EQ("struct timeval is two 32-bit longs", sizeof tv, 8);
    CHECK_EQ("FD_SETSIZE is Windows' 64", FD_SETSIZE, 64);
    char *p = malloc(16);
    snprintf(p, 16, "%d", 7);
    CHECK_STR("stdio and stdlib", p, "7");
    free(p);
    CHECK("errno works", (errno = 0) == 0);
    DONE();
}
