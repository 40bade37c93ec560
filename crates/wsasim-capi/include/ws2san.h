/*
 * ws2san.h: Windows Sockets Direct (SAN) service providers, as far as wsasim needs it:
 * WSPStartupEx with WSPUPCALLTABLEEX (the 15 WSPUPCALLTABLE entries in the SDK's order
 * followed by lpWPUCompleteOverlappedRequest), MEM_READ / MEM_WRITE / MEM_READWRITE,
 * WSABUFEX, the WSPRegisterMemory / WSPDeregisterMemory extension functions and their
 * WSAID_* GUIDs (fetched with WSPIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER)), the layout
 * of the WDK's ws2san.h. docs/spi.md shows a C SAN provider built against it.
 */
#ifndef _WS2SAN_H_
#define _WS2SAN_H_

#include "ws2spi.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SO_MAX_RDMA_SIZE 0x700D
#define SO_RDMA_THRESHOLD_SIZE 0x700E

#define MEM_READ 1
#define MEM_WRITE 2
#define MEM_READWRITE 3

#define WSAID_REGISTERMEMORY                                                              \
    {0xC0B422F5, 0xF58C, 0x11d1, {0xAD, 0x6C, 0x00, 0xC0, 0x4F, 0xA3, 0x4A, 0x2D}}
#define WSAID_DEREGISTERMEMORY                                                            \
    {0xC0B422F6, 0xF58C, 0x11d1, {0xAD, 0x6C, 0x00, 0xC0, 0x4F, 0xA3, 0x4A, 0x2D}}
#define WSAID_REGISTERRDMAMEMORY                                                          \
    {0xC0B422F7, 0xF58C, 0x11d1, {0xAD, 0x6C, 0x00, 0xC0, 0x4F, 0xA3, 0x4A, 0x2D}}
#define WSAID_DEREGISTERRDMAMEMORY                                                        \
    {0xC0B422F8, 0xF58C, 0x11d1, {0xAD, 0x6C, 0x00, 0xC0, 0x4F, 0xA3, 0x4A, 0x2D}}

/* WSABUFEX: a WSABUF with the registration handle of its memory. */
typedef struct _WSABUFEX {
    u_long len;
    char *buf;
    HANDLE handle;
} WSABUFEX, *LPWSABUFEX;

/* int WPUCompleteOverlappedRequest(SOCKET, LPWSAOVERLAPPED, DWORD, DWORD, LPINT) */
typedef int(WSPAPI *LPWPUCOMPLETEOVERLAPPEDREQUEST)(SOCKET s, LPWSAOVERLAPPED lpOverlapped,
                                                    DWORD dwError, DWORD cbTransferred,
                                                    LPINT lpErrno);

/* WSPUPCALLTABLEEX: 16 entries, 128 bytes on x64. wsasim fills lpWPUQueueApc,
 * lpWPUOpenCurrentThread, lpWPUCloseThread and lpWPUCompleteOverlappedRequest; the
 * others are NULL. */
typedef struct _WSPUPCALLTABLEEX {
    LPWPUCLOSEEVENT lpWPUCloseEvent;
    LPWPUCLOSESOCKETHANDLE lpWPUCloseSocketHandle;
    LPWPUCREATEEVENT lpWPUCreateEvent;
    LPWPUCREATESOCKETHANDLE lpWPUCreateSocketHandle;
    LPWPUFDISSET lpWPUFDIsSet;
    LPWPUGETPROVIDERPATH lpWPUGetProviderPath;
    LPWPUMODIFYIFSHANDLE lpWPUModifyIFSHandle;
    LPWPUPOSTMESSAGE lpWPUPostMessage;
    LPWPUQUERYBLOCKINGCALLBACK lpWPUQueryBlockingCallback;
    LPWPUQUERYSOCKETHANDLECONTEXT lpWPUQuerySocketHandleContext;
    LPWPUQUEUEAPC lpWPUQueueApc;
    LPWPURESETEVENT lpWPUResetEvent;
    LPWPUSETEVENT lpWPUSetEvent;
    LPWPUOPENCURRENTTHREAD lpWPUOpenCurrentThread;
    LPWPUCLOSETHREAD lpWPUCloseThread;
    LPWPUCOMPLETEOVERLAPPEDREQUEST lpWPUCompleteOverlappedRequest;
} WSPUPCALLTABLEEX, *LPWSPUPCALLTABLEEX;

/* int WSPStartupEx(WORD, LPWSPDATA, LPWSAPROTOCOL_INFOW, LPWSPUPCALLTABLEEX,
 * LPWSPPROC_TABLE): the SAN provider's entry point (the upcall table by pointer). */
typedef int(WSPAPI *LPWSPSTARTUPEX)(WORD wVersionRequested, LPWSPDATA lpWSPData,
                                    LPWSAPROTOCOL_INFOW lpProtocolInfo,
                                    LPWSPUPCALLTABLEEX lpUpcallTable,
                                    LPWSPPROC_TABLE lpProcTable);
int WSPAPI WSPStartupEx(WORD wVersionRequested, LPWSPDATA lpWSPData,
                        LPWSAPROTOCOL_INFOW lpProtocolInfo, LPWSPUPCALLTABLEEX lpUpcallTable,
                        LPWSPPROC_TABLE lpProcTable);

/* HANDLE WSPRegisterMemory(SOCKET, PVOID, DWORD, DWORD, LPINT) */
typedef HANDLE(WSPAPI *LPFN_WSPREGISTERMEMORY)(SOCKET s, PVOID lpBuffer, DWORD dwBufferLength,
                                               DWORD dwFlags, LPINT lpErrno);
/* int WSPDeregisterMemory(SOCKET, HANDLE, LPINT) */
typedef int(WSPAPI *LPFN_WSPDEREGISTERMEMORY)(SOCKET s, HANDLE handle, LPINT lpErrno);

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
_Static_assert(sizeof(WSPUPCALLTABLEEX) == 128, "WSPUPCALLTABLEEX is 16 pointers");
_Static_assert(__builtin_offsetof(WSPUPCALLTABLEEX, lpWPUCompleteOverlappedRequest) == 15 * 8,
               "lpWPUCompleteOverlappedRequest is entry 16");
_Static_assert(sizeof(WSABUFEX) == 24, "WSABUFEX is 24 bytes");
#endif

#ifdef __cplusplus
}
#endif

#endif /* _WS2SAN_H_ */
