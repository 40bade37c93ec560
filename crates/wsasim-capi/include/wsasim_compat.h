/*
 * wsasim_compat.h: the part of the Winsock headers that must live beside the C
 * library's headers in one translation unit.
 *
 * Windows and glibc both define u_char, u_short, u_int, u_long, fd_set, FD_SET...,
 * FD_SETSIZE and struct timeval, differently: Windows' u_long and timeval fields are
 * 32 bits, glibc's 64; Windows' fd_set is {u_int fd_count; SOCKET fd_array[64];},
 * glibc's a 1024-bit mask. A Winsock program includes <stdio.h> and <stdlib.h> after
 * <winsock2.h> (glibc's <stdlib.h> pulls in <sys/types.h> and <sys/select.h>), or
 * before it. Both orders work:
 *
 * - Our types are named wsasim_u_long, wsasim_fd_set, struct wsasim_timeval..., and the
 *   Windows names are macros for them. When glibc came first, its typedefs stay (under
 *   names nobody uses any more) and the macros redirect every later use to ours.
 * - When we come first, glibc's include guards are defined here (__u_char_defined,
 *   _SYS_SELECT_H, __timeval_defined, _STRUCT_TIMEVAL), so glibc skips its versions.
 *   The cost: glibc's select() and the BSD quad_t/u_quad_t/fsid_t are not declared,
 *   and a later <sys/time.h> or <sys/resource.h> sees Windows' 8-byte timeval
 *   (docs/c-abi.md, "What the headers cover").
 *
 * Never include host socket headers (<sys/socket.h>, <netinet/in.h>, <netdb.h>,
 * <arpa/inet.h>) in a program that includes these headers.
 */
#ifndef WSASIM_COMPAT_H
#define WSASIM_COMPAT_H

#include <stddef.h>
#include <stdint.h>

#if defined(__SIZEOF_POINTER__) && __SIZEOF_POINTER__ != 8
#error "wsasim: these headers describe Windows x64 (LLP64); build for a 64-bit target"
#endif

/* Windows programs ask the linker for ws2_32.lib with #pragma comment(lib, ...); GCC
 * does not know that pragma (-Wall would warn on every such line). The library to link
 * is -lwsasim, given on the command line. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wunknown-pragmas"
#endif

/* ---- u_char, u_short, u_int, u_long (Windows: u_long is 32 bits) ----------------- */
typedef unsigned char wsasim_u_char;
typedef unsigned short wsasim_u_short;
typedef unsigned int wsasim_u_int;
typedef uint32_t wsasim_u_long;

#if defined(__GLIBC__) && !defined(__u_char_defined)
/* glibc's <sys/types.h> has not been seen yet: keep its 64-bit u_long out. */
#define __u_char_defined
#endif

#undef u_char
#undef u_short
#undef u_int
#undef u_long
#define u_char wsasim_u_char
#define u_short wsasim_u_short
#define u_int wsasim_u_int
#define u_long wsasim_u_long

/* ---- struct timeval (Windows: two 32-bit longs) ------------------------------------ */
struct wsasim_timeval {
    int32_t tv_sec;  /* seconds */
    int32_t tv_usec; /* and microseconds */
};
#if defined(__GLIBC__)
#ifndef __timeval_defined
#define __timeval_defined 1
#endif
#ifndef _STRUCT_TIMEVAL
#define _STRUCT_TIMEVAL 1
#endif
#endif
#undef timeval
#define timeval wsasim_timeval

#undef timerisset
#undef timercmp
#undef timerclear
#define timerisset(tvp) ((tvp)->tv_sec || (tvp)->tv_usec)
#define timercmp(tvp, uvp, cmp)                                                         \
    ((tvp)->tv_sec cmp(uvp)->tv_sec ||                                                  \
     ((tvp)->tv_sec == (uvp)->tv_sec && (tvp)->tv_usec cmp(uvp)->tv_usec))
#define timerclear(tvp) ((tvp)->tv_sec = (tvp)->tv_usec = 0)

/* ---- fd_set (Windows: a count and an array of SOCKETs) ----------------------------- */
#if defined(__GLIBC__) && !defined(_SYS_SELECT_H)
/* glibc's <sys/select.h> has not been seen yet: keep its fd_set and select() out. */
#define _SYS_SELECT_H 1
#endif

/* FD_SETSIZE: 64, unless the program chose another before including us (Windows lets
 * it). glibc's own 1024 is not a choice of the program. */
#if defined(FD_SETSIZE) && defined(__FD_SETSIZE)
#if FD_SETSIZE == __FD_SETSIZE
#undef FD_SETSIZE
#endif
#endif
#ifndef FD_SETSIZE
#define FD_SETSIZE 64
#endif

typedef struct wsasim_fd_set {
    wsasim_u_int fd_count;                 /* how many are SET? */
    unsigned long long fd_array[FD_SETSIZE]; /* an array of SOCKETs */
} wsasim_fd_set;
#undef fd_set
#define fd_set wsasim_fd_set

/* __WSAFDIsSet: ws2_32 exports it; here it is inline (no symbol a C library defines). */
static inline int wsasim___WSAFDIsSet(unsigned long long fd, const wsasim_fd_set *set)
{
    wsasim_u_int i;
    for (i = 0; i < set->fd_count; i++) {
        if (set->fd_array[i] == fd) {
            return 1;
        }
    }
    return 0;
}
#define __WSAFDIsSet wsasim___WSAFDIsSet

#undef FD_CLR
#undef FD_SET
#undef FD_ZERO
#undef FD_ISSET
#define FD_CLR(fd, set)                                                                 \
    do {                                                                                \
        wsasim_u_int __i;                                                               \
        for (__i = 0; __i < ((wsasim_fd_set *)(set))->fd_count; __i++) {               \
            if (((wsasim_fd_set *)(set))->fd_array[__i] == (unsigned long long)(fd)) {  \
                while (__i < ((wsasim_fd_set *)(set))->fd_count - 1) {                 \
                    ((wsasim_fd_set *)(set))->fd_array[__i] =                           \
                        ((wsasim_fd_set *)(set))->fd_array[__i + 1];                    \
                    __i++;                                                              \
                }                                                                       \
                ((wsasim_fd_set *)(set))->fd_count--;                                   \
                break;                                                                  \
            }                                                                           \
        }                                                                               \
    } while (0)
#define FD_SET(fd, set)                                                                 \
    do {                                                                                \
        wsasim_u_int __i;                                                               \
        for (__i = 0; __i < ((wsasim_fd_set *)(set))->fd_count; __i++) {               \
            if (((wsasim_fd_set *)(set))->fd_array[__i] == (unsigned long long)(fd)) {  \
                break;                                                                  \
            }                                                                           \
        }                                                                               \
        if (__i == ((wsasim_fd_set *)(set))->fd_count) {                                \
            if (((wsasim_fd_set *)(set))->fd_count < FD_SETSIZE) {                      \
                ((wsasim_fd_set *)(set))->fd_array[__i] = (unsigned long long)(fd);     \
                ((wsasim_fd_set *)(set))->fd_count++;                                   \
            }                                                                           \
        }                                                                               \
    } while (0)
#define FD_ZERO(set) (((wsasim_fd_set *)(set))->fd_count = 0)
#define FD_ISSET(fd, set) wsasim___WSAFDIsSet((unsigned long long)(fd), (wsasim_fd_set *)(set))

#endif /* WSASIM_COMPAT_H */
