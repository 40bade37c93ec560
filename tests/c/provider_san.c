/*
 * provider_san.c: a C SAN service provider (built as a shared object and loaded with
 * WSASIM_PROVIDER=provider_san.so:san) under wsasim's Windows Sockets Direct switch
 * (seeds/002, windows-semantics.md §8). It exports WSPStartupEx and keeps the
 * WSPUPCALLTABLEEX; its WSPIoctl hands out WSPRegisterMemory / WSPDeregisterMemory for
 * SIO_GET_EXTENSION_FUNCTION_POINTER with the WSAID_* GUIDs of ws2san.h; its WSPSend
 * refuses dwFlags != 0 and buffers outside registered memory, captures the WSABUF array,
 * puts the data on its "hardware" (the wire table wsasim hands it in *lpProcTable) and
 * returns WSA_IO_PENDING; when the hardware finishes it completes the request with
 * WPUCompleteOverlappedRequest -- unless the low-order bit of hEvent is set, when it
 * only records the result for WSPGetOverlappedResult, which the switch polls.
 * SO_MAX_MSG_SIZE is 150, so the switch splits larger sends.
 *
 * Each call prints one line to stderr ("provider_san: WSPSend ..."), which the test
 * counts. Built with -DFORBIDDEN_CODE=N (provider_san_broken.c) WSPSend fails with N,
 * a code "a SAN service provider does not support": the switch reports it.
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <winsock2.h>
#include <ws2san.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BUFS 16
#define MAX_MSG_SIZE 150

static WSPUPCALLTABLEEX upcalls; /* a copy of the table */
static WSPPROC_TABLE wire;        /* the "hardware" */

typedef struct registration {
    struct registration *next;
    SOCKET s;
    char *buf;
    DWORD len, flags;
} registration;
static registration *regs;

static HANDLE WSPAPI san_register_memory(SOCKET s, PVOID lpBuffer, DWORD dwBufferLength,
                                         DWORD dwFlags, LPINT lpErrno)
{
    if (dwFlags < MEM_READ || dwFlags > MEM_READWRITE) {
        *lpErrno = WSAEINVAL;
        return NULL;
    }
    if (!lpBuffer || !dwBufferLength) {
        *lpErrno = WSAEFAULT;
        return NULL;
    }
    registration *r = calloc(1, sizeof *r);
    if (!r) {
        *lpErrno = WSAENOBUFS;
        return NULL;
    }
    r->s = s;
    r->buf = lpBuffer;
    r->len = dwBufferLength;
    r->flags = dwFlags;
    r->next = regs;
    regs = r;
    fprintf(stderr, "provider_san: WSPRegisterMemory %lu bytes\n", (unsigned long)dwBufferLength);
    return (HANDLE)r;
}

static int WSPAPI san_deregister_memory(SOCKET s, HANDLE handle, LPINT lpErrno)
{
    for (registration **p = &regs; *p; p = &(*p)->next) {
        if ((HANDLE)*p == handle && (*p)->s == s) {
            registration *r = *p;
            *p = r->next;
            free(r);
            fprintf(stderr, "provider_san: WSPDeregisterMemory\n");
            return 0;
        }
    }
    *lpErrno = WSAEINVAL;
    return SOCKET_ERROR;
}

/* "The switch registered each buffer in a previous call to the WSPRegisterMemory
 * function." */
static int registered(SOCKET s, const WSABUF *b)
{
    for (registration *r = regs; r; r = r->next)
        if (r->s == s && (r->flags & MEM_READ) && b->buf >= r->buf &&
            b->buf + b->len <= r->buf + r->len)
            return 1;
    return 0;
}

typedef struct request {
    WSAOVERLAPPED own; /* the hardware request */
    SOCKET s;
    LPWSAOVERLAPPED ov; /* the switch's */
    WSABUF bufs[MAX_BUFS]; /* the captured WSABUF array */
} request;

/* The hardware finished a transfer (called on an arbitrary thread). */
static void CALLBACK transfer_done(DWORD dwError, DWORD cbTransferred, LPWSAOVERLAPPED own,
                                   DWORD dwFlags)
{
    (void)dwFlags;
    request *r = (request *)((char *)own - offsetof(request, own));
    LPWSAOVERLAPPED ov = r->ov;
    DWORD err = dwError == WSAENETRESET ? WSAECONNABORTED : dwError;
    ov->Offset = 0;
    ov->OffsetHigh = err;
    if ((ULONG_PTR)ov->hEvent & 1) {
        /* "If the low order bit of the hEvent member in the WSAOVERLAPPED structure is
         * set, the switch specifically requests to not be notified": only the result,
         * for WSPGetOverlappedResult. */
        ov->InternalHigh = cbTransferred;
        ov->Internal = err ? 0xC0000001 : 0;
        fprintf(stderr, "provider_san: completed %lu bytes for polling\n",
                (unsigned long)cbTransferred);
    } else {
        /* "The SAN service provider should call the WPUCompleteOverlappedRequest
         * function in the context of an arbitrary thread". */
        int e = 0;
        int rc = upcalls.lpWPUCompleteOverlappedRequest(r->s, ov, err, cbTransferred, &e);
        fprintf(stderr, "provider_san: WPUCompleteOverlappedRequest %lu bytes -> %d\n",
                (unsigned long)cbTransferred, rc);
    }
    free(r);
}

static int WSPAPI san_send(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                           LPDWORD lpNumberOfBytesSent, DWORD dwFlags,
                           LPWSAOVERLAPPED lpOverlapped,
                           LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                           LPWSATHREADID lpThreadId, LPINT lpErrno)
{
    (void)lpNumberOfBytesSent;
    DWORD total = 0;
    for (DWORD i = 0; i < dwBufferCount; i++)
        total += lpBuffers[i].len;
    fprintf(stderr, "provider_san: WSPSend %lu bytes in %lu buffers, dwFlags %lu, poll %d\n",
            (unsigned long)total, (unsigned long)dwBufferCount, (unsigned long)dwFlags,
            lpOverlapped ? (int)((ULONG_PTR)lpOverlapped->hEvent & 1) : -1);
#ifdef FORBIDDEN_CODE
    *lpErrno = FORBIDDEN_CODE;
    return SOCKET_ERROR;
#endif
    /* "dwFlags [in] Must be zero." The switch uses overlapped sockets and no routine. */
    if (dwFlags != 0 || !lpOverlapped || lpCompletionRoutine || dwBufferCount > MAX_BUFS) {
        *lpErrno = WSAEINVAL;
        return SOCKET_ERROR;
    }
    for (DWORD i = 0; i < dwBufferCount; i++) {
        if (lpBuffers[i].len && !registered(s, &lpBuffers[i])) {
            *lpErrno = WSAEFAULT;
            return SOCKET_ERROR;
        }
    }
    request *r = calloc(1, sizeof *r);
    if (!r) {
        *lpErrno = WSAENOBUFS;
        return SOCKET_ERROR;
    }
    r->s = s;
    r->ov = lpOverlapped;
    /* "the SAN service provider must capture the pointer to the array of WSABUF
     * structures before returning from WSPSend" */
    memcpy(r->bufs, lpBuffers, dwBufferCount * sizeof *lpBuffers);
    lpOverlapped->Internal = WSS_OPERATION_IN_PROGRESS;
    DWORD sent = 0;
    int err = 0;
    int rc = wire.lpWSPSend(s, r->bufs, dwBufferCount, &sent, 0, &r->own, transfer_done,
                            lpThreadId, &err);
    if (rc == SOCKET_ERROR && err != WSA_IO_PENDING) {
        free(r);
        lpOverlapped->Internal = 0;
        /* Never one of the codes a SAN provider does not support. */
        *lpErrno = err == WSAENETRESET ? WSAECONNABORTED
                 : err == WSAEWOULDBLOCK ? WSAENOBUFS
                 : err;
        return SOCKET_ERROR;
    }
    /* The transfer finishes later (transfer_done), even when the hardware took it at
     * once. */
    *lpErrno = WSA_IO_PENDING;
    return SOCKET_ERROR;
}

static BOOL WSPAPI san_get_overlapped_result(SOCKET s, LPWSAOVERLAPPED lpOverlapped,
                                             LPDWORD lpcbTransfer, BOOL fWait,
                                             LPDWORD lpdwFlags, LPINT lpErrno)
{
    (void)s;
    (void)fWait;
    fprintf(stderr, "provider_san: WSPGetOverlappedResult\n");
    if (lpOverlapped->Internal == WSS_OPERATION_IN_PROGRESS) {
        *lpErrno = WSA_IO_INCOMPLETE;
        return FALSE;
    }
    *lpcbTransfer = (DWORD)lpOverlapped->InternalHigh;
    *lpdwFlags = lpOverlapped->Offset;
    if (lpOverlapped->OffsetHigh) {
        *lpErrno = (int)lpOverlapped->OffsetHigh;
        return FALSE;
    }
    return TRUE;
}

static int WSPAPI san_ioctl(SOCKET s, DWORD dwIoControlCode, LPVOID lpvInBuffer,
                            DWORD cbInBuffer, LPVOID lpvOutBuffer, DWORD cbOutBuffer,
                            LPDWORD lpcbBytesReturned, LPWSAOVERLAPPED lpOverlapped,
                            LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                            LPWSATHREADID lpThreadId, LPINT lpErrno)
{
    (void)s;
    (void)lpOverlapped;
    (void)lpCompletionRoutine;
    (void)lpThreadId;
    GUID reg = WSAID_REGISTERMEMORY, dereg = WSAID_DEREGISTERMEMORY;
    if (dwIoControlCode != SIO_GET_EXTENSION_FUNCTION_POINTER || cbInBuffer != sizeof(GUID) ||
        cbOutBuffer < sizeof(void *)) {
        *lpErrno = WSAEINVAL;
        return SOCKET_ERROR;
    }
    if (memcmp(lpvInBuffer, &reg, sizeof reg) == 0) {
        LPFN_WSPREGISTERMEMORY f = san_register_memory;
        memcpy(lpvOutBuffer, &f, sizeof f);
    } else if (memcmp(lpvInBuffer, &dereg, sizeof dereg) == 0) {
        LPFN_WSPDEREGISTERMEMORY f = san_deregister_memory;
        memcpy(lpvOutBuffer, &f, sizeof f);
    } else {
        *lpErrno = WSAEINVAL;
        return SOCKET_ERROR;
    }
    *lpcbBytesReturned = sizeof(void *);
    return 0;
}

static int WSPAPI san_getsockopt(SOCKET s, int level, int optname, char *optval,
                                 LPINT optlen, LPINT lpErrno)
{
    (void)s;
    if (level == SOL_SOCKET && optname == SO_MAX_MSG_SIZE && *optlen >= (int)sizeof(DWORD)) {
        DWORD v = MAX_MSG_SIZE;
        memcpy(optval, &v, sizeof v);
        *optlen = sizeof v;
        return 0;
    }
    *lpErrno = WSAENOPROTOOPT;
    return SOCKET_ERROR;
}

int WSPAPI WSPStartupEx(WORD wVersionRequested, LPWSPDATA lpWSPData,
                        LPWSAPROTOCOL_INFOW lpProtocolInfo, LPWSPUPCALLTABLEEX lpUpcallTable,
                        LPWSPPROC_TABLE lpProcTable)
{
    (void)lpProtocolInfo;
    if (wVersionRequested < 0x0202)
        return WSAVERNOTSUPPORTED;
    if (!lpUpcallTable->lpWPUCompleteOverlappedRequest)
        return WSAEINVAL;
    upcalls = *lpUpcallTable;
    wire = *lpProcTable;
    lpWSPData->wVersion = 0x0202;
    lpWSPData->wHighVersion = 0x0202;
    lpProcTable->lpWSPSend = san_send;
    lpProcTable->lpWSPIoctl = san_ioctl;
    lpProcTable->lpWSPGetOverlappedResult = san_get_overlapped_result;
    lpProcTable->lpWSPGetSockOpt = san_getsockopt;
    fprintf(stderr, "provider_san: WSPStartupEx\n");
    return 0;
}
