/*
 * include_order_libc_first.c: the C library's headers before the Winsock headers.
 * glibc's <stdlib.h> (through <sys/types.h> and <sys/select.h>) has already defined
 * u_long (64 bits), fd_set (a bit mask), FD_SET... and struct timeval (64-bit fields);
 * after <winsock2.h> every use means Windows' types.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/select.h>
#include <sys/time.h>
#include <unistd.h>
#include <time.h>
#include <pthread.h>

#define WIN32_LEAN_AND_MEAN
#include <Windows.h>
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
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
    CHECK_EQ("fd_set is Windows' count and array", set.fd_count, 1);
    struct timeval tv = {1, 2};
    CHECK_EQ("struct timeval is two 32-bit longs", sizeof tv, 8);
    socklen_t len = -1;
    CHECK("socklen_t is Windows' int", len < 0);
    CHECK_EQ("FD_SETSIZE is Windows' 64", FD_SETSIZE, 64);
    /* The C library still works. */
    char *p = malloc(16);
    snprintf(p, 16, "%d", 42);
    CHECK_STR("stdio and stdlib", p, "42");
    free(p);
    DONE();
}
