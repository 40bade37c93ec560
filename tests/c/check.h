/*
 * check.h: the C tests' assertions. Each check prints one line ("ok   ..." or
 * "FAIL ..."); DONE() prints the tally and makes the exit code (0: all passed).
 * Include it after the Winsock headers.
 */
#ifndef WSASIM_TEST_CHECK_H
#define WSASIM_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

static int checks_failed;
static int checks_passed;

#define CHECK_EQ(what, got, want)                                                       \
    do {                                                                                \
        long long got_ = (long long)(got), want_ = (long long)(want);                   \
        if (got_ == want_) {                                                            \
            checks_passed++;                                                            \
            printf("ok   %s\n", what);                                                  \
        } else {                                                                        \
            checks_failed++;                                                            \
            printf("FAIL %s: got %lld, want %lld (line %d)\n", what, got_, want_,       \
                   __LINE__);                                                           \
        }                                                                               \
        fflush(stdout);                                                                 \
    } while (0)

#define CHECK(what, cond) CHECK_EQ(what, !!(cond), 1)

#define CHECK_STR(what, got, want)                                                      \
    do {                                                                                \
        const char *g_ = (got), *w_ = (want);                                           \
        if (g_ && strcmp(g_, w_) == 0) {                                                \
            checks_passed++;                                                            \
            printf("ok   %s\n", what);                                                  \
        } else {                                                                        \
            checks_failed++;                                                            \
            printf("FAIL %s: got \"%s\", want \"%s\" (line %d)\n", what,                \
                   g_ ? g_ : "(null)", w_, __LINE__);                                   \
        }                                                                               \
        fflush(stdout);                                                                 \
    } while (0)

/* A call that fails with SOCKET_ERROR and the given last error. */
#define CHECK_FAILS(what, call, err)                                                    \
    do {                                                                                \
        int r_ = (int)(call);                                                           \
        int e_ = WSAGetLastError();                                                     \
        CHECK_EQ(what " returns SOCKET_ERROR", r_, SOCKET_ERROR);                       \
        CHECK_EQ(what " sets " #err, e_, err);                                          \
    } while (0)

#define DONE()                                                                          \
    do {                                                                                \
        printf("%d passed, %d failed\n", checks_passed, checks_failed);                 \
        return checks_failed ? 1 : 0;                                                   \
    } while (0)

#endif /* WSASIM_TEST_CHECK_H */
