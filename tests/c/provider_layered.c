/*
 * provider_layered.c: a C layered service provider (built as a shared object and
 * loaded with WSASIM_PROVIDER=provider_layered.so). It follows the non-IFS pattern of
 * the Microsoft LSP sample (windows-semantics.md §8): for an overlapped WSPSend it
 * captures the WSABUF array and copies the WSATHREADID structure ("The provider should
 * store the referenced WSATHREADID structure (not the pointer to same)"), issues its own
 * request with its own OVERLAPPED to the next provider, and when that completes it
 * completes the caller: a routine-based request by WPUQueueApc with its own APC
 * function, which reads the result through the single context value and then calls the
 * client's routine; an event-based one by WPUCompleteOverlappedRequest. Blocking calls
 * pass straight through.
 *
 * Built with -DCALL_ROUTINE_DIRECTLY (provider_broken.c) it calls the client's routine
 * directly from its lower completion instead: the switch reports the breach. Built with
 * -DKEEP_WSABUF_POINTER (provider_stale_wsabuf.c) it also keeps the caller's lpBuffers
 * pointer and hands that array to the next provider after WSPSend returned: the switch
 * poisoned its copy, and reports the breach.
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <winsock2.h>
#include <ws2spi.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BUFS 16

static WSPPROC_TABLE next_table; /* the next provider's WSPPROC_TABLE */
static WSPUPCALLTABLE upcalls;   /* the most recent upcall table */

typedef struct request {
    WSAOVERLAPPED own; /* first member: the lower request's OVERLAPPED */
    SOCKET s;
    LPWSAOVERLAPPED caller;
    LPWSAOVERLAPPED_COMPLETION_ROUTINE routine;
    WSATHREADID thread; /* a copy of the structure */
    WSABUF bufs[MAX_BUFS]; /* the captured WSABUF array */
    DWORD error, bytes, flags;
    LPWSABUF kept; /* KEEP_WSABUF_POINTER: the caller's array, not a copy */
    DWORD nbufs;
} request;

#ifndef CALL_ROUTINE_DIRECTLY
/* The provider's own APC function: one context value, the request. */
static void CALLBACK provider_apc(DWORD_PTR dwContext)
{
    request *r = (request *)dwContext;
    r->routine(r->error, r->bytes, r->caller, r->flags);
    free(r);
}
#endif

/* The next provider completed the provider's own request (a completion routine run in
 * the issuing thread's alertable wait). */
static void CALLBACK lower_done(DWORD dwError, DWORD cbTransferred, LPWSAOVERLAPPED ov,
                                DWORD dwFlags)
{
    request *r = (request *)ov;
    int err = 0;
#ifdef KEEP_WSABUF_POINTER
    DWORD again = 0;
    next_table.lpWSPSend(r->s, r->kept, r->nbufs, &again, 0, NULL, NULL, &r->thread, &err);
#endif
    r->error = dwError;
    r->bytes = cbTransferred;
    r->flags = 0;
    (void)dwFlags;
    /* What WSPGetOverlappedResult reads: OffsetHigh = error, Offset = flags. */
    r->caller->OffsetHigh = dwError;
    r->caller->Offset = 0;
    if (r->routine) {
#ifdef CALL_ROUTINE_DIRECTLY
        r->routine(r->error, r->bytes, r->caller, r->flags);
        free(r);
#else
        upcalls.lpWPUQueueApc(&r->thread, provider_apc, (DWORD_PTR)r, &err);
#endif
    } else {
        WPUCompleteOverlappedRequest(r->s, r->caller, dwError, cbTransferred, &err);
        free(r);
    }
}

static int WSPAPI layered_send(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                               LPDWORD lpNumberOfBytesSent, DWORD dwFlags,
                               LPWSAOVERLAPPED lpOverlapped,
                               LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                               LPWSATHREADID lpThreadId, LPINT lpErrno)
{
    if (!lpOverlapped || dwBufferCount > MAX_BUFS)
        return next_table.lpWSPSend(s, lpBuffers, dwBufferCount, lpNumberOfBytesSent,
                                    dwFlags, lpOverlapped, lpCompletionRoutine, lpThreadId,
                                    lpErrno);
    request *r = calloc(1, sizeof *r);
    if (!r) {
        *lpErrno = WSAENOBUFS;
        return SOCKET_ERROR;
    }
    r->s = s;
    r->caller = lpOverlapped;
    r->routine = lpCompletionRoutine;
    r->thread = *lpThreadId;
    memcpy(r->bufs, lpBuffers, dwBufferCount * sizeof *lpBuffers);
    r->kept = lpBuffers;
    r->nbufs = dwBufferCount;
    DWORD sent = 0;
    int rc = next_table.lpWSPSend(s, r->bufs, dwBufferCount, &sent, dwFlags, &r->own,
                                  lower_done, &r->thread, lpErrno);
    if (rc == SOCKET_ERROR && *lpErrno != WSA_IO_PENDING) {
        free(r);
        return SOCKET_ERROR;
    }
    /* Completed or not, the caller hears of it later, through lower_done. */
    *lpErrno = WSA_IO_PENDING;
    return SOCKET_ERROR;
}

int WSPAPI WSPStartup(WORD wVersionRequested, LPWSPDATA lpWSPData,
                      LPWSAPROTOCOL_INFOW lpProtocolInfo, WSPUPCALLTABLE UpcallTable,
                      LPWSPPROC_TABLE lpProcTable)
{
    (void)lpProtocolInfo;
    if (wVersionRequested < MAKEWORD(2, 2))
        return WSAVERNOTSUPPORTED;
    upcalls = UpcallTable;
    next_table = *lpProcTable;
    lpWSPData->wVersion = MAKEWORD(2, 2);
    lpWSPData->wHighVersion = MAKEWORD(2, 2);
    lpProcTable->lpWSPSend = layered_send;
    return 0;
}
