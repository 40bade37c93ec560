/*
 * ws2spi.h: the Windows Sockets service provider interface (SPI), as far as wsasim
 * needs it so far: WSPDATA, WSATHREADID, the WSPSend family's prototypes, and the
 * WSPPROC_TABLE (30 entries, 240 bytes) and WSPUPCALLTABLE (15 entries) in the SDK's
 * order. Entries whose prototypes are not written out yet are WSASIM_SPI_PROC, a
 * function pointer of the same size (a later issue gives each its prototype).
 */
#ifndef _WINSOCK2SPI_
#define _WINSOCK2SPI_

#include "winsock2.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef WSPAPI
#define WSPAPI
#endif

#define WSPDESCRIPTION_LEN 255
#define WSS_OPERATION_IN_PROGRESS 0x00000103L

typedef struct WSPData {
    WORD wVersion;
    WORD wHighVersion;
    WCHAR szDescription[WSPDESCRIPTION_LEN + 1];
} WSPDATA, *LPWSPDATA;

/* WSATHREADID: 16 bytes on x64. */
typedef struct _WSATHREADID {
    HANDLE ThreadHandle;
    DWORD_PTR Reserved;
} WSATHREADID, *LPWSATHREADID;

/* void CALLBACK UserApc(DWORD_PTR dwContext) (WPUQueueApc) */
typedef void(CALLBACK *LPWSAUSERAPC)(DWORD_PTR dwContext);

/* A table entry whose prototype is still to be written. */
typedef INT(WSPAPI *WSASIM_SPI_PROC)(void);

typedef int(CALLBACK *LPCONDITIONPROC)(LPWSABUF lpCallerId, LPWSABUF lpCallerData,
                                       void *lpSQOS, void *lpGQOS, LPWSABUF lpCalleeId,
                                       LPWSABUF lpCalleeData, GROUP *g,
                                       DWORD_PTR dwCallbackData);

typedef SOCKET(WSPAPI *LPWSPACCEPT)(SOCKET s, struct sockaddr *addr, LPINT addrlen,
                                    LPCONDITIONPROC lpfnCondition, DWORD_PTR dwCallbackData,
                                    LPINT lpErrno);
typedef int(WSPAPI *LPWSPBIND)(SOCKET s, const struct sockaddr *name, int namelen,
                               LPINT lpErrno);
typedef int(WSPAPI *LPWSPCLEANUP)(LPINT lpErrno);
typedef int(WSPAPI *LPWSPCLOSESOCKET)(SOCKET s, LPINT lpErrno);
typedef int(WSPAPI *LPWSPLISTEN)(SOCKET s, int backlog, LPINT lpErrno);
typedef int(WSPAPI *LPWSPSHUTDOWN)(SOCKET s, int how, LPINT lpErrno);
typedef SOCKET(WSPAPI *LPWSPSOCKET)(int af, int type, int protocol,
                                    LPWSAPROTOCOL_INFOW lpProtocolInfo, GROUP g,
                                    DWORD dwFlags, LPINT lpErrno);
typedef BOOL(WSPAPI *LPWSPGETOVERLAPPEDRESULT)(SOCKET s, LPWSAOVERLAPPED lpOverlapped,
                                               LPDWORD lpcbTransfer, BOOL fWait,
                                               LPDWORD lpdwFlags, LPINT lpErrno);
typedef int(WSPAPI *LPWSPSEND)(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                               LPDWORD lpNumberOfBytesSent, DWORD dwFlags,
                               LPWSAOVERLAPPED lpOverlapped,
                               LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                               LPWSATHREADID lpThreadId, LPINT lpErrno);
typedef int(WSPAPI *LPWSPSENDTO)(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                                 LPDWORD lpNumberOfBytesSent, DWORD dwFlags,
                                 const struct sockaddr *lpTo, int iTolen,
                                 LPWSAOVERLAPPED lpOverlapped,
                                 LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                                 LPWSATHREADID lpThreadId, LPINT lpErrno);
typedef int(WSPAPI *LPWSPRECV)(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                               LPDWORD lpNumberOfBytesRecvd, LPDWORD lpFlags,
                               LPWSAOVERLAPPED lpOverlapped,
                               LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                               LPWSATHREADID lpThreadId, LPINT lpErrno);

/* WSPPROC_TABLE: 30 entries, in the SDK's order; 240 bytes on x64. */
typedef struct _WSPPROC_TABLE {
    LPWSPACCEPT lpWSPAccept;
    WSASIM_SPI_PROC lpWSPAddressToString;
    WSASIM_SPI_PROC lpWSPAsyncSelect;
    LPWSPBIND lpWSPBind;
    WSASIM_SPI_PROC lpWSPCancelBlockingCall;
    LPWSPCLEANUP lpWSPCleanup;
    LPWSPCLOSESOCKET lpWSPCloseSocket;
    WSASIM_SPI_PROC lpWSPConnect;
    WSASIM_SPI_PROC lpWSPDuplicateSocket;
    WSASIM_SPI_PROC lpWSPEnumNetworkEvents;
    WSASIM_SPI_PROC lpWSPEventSelect;
    LPWSPGETOVERLAPPEDRESULT lpWSPGetOverlappedResult;
    WSASIM_SPI_PROC lpWSPGetPeerName;
    WSASIM_SPI_PROC lpWSPGetSockName;
    WSASIM_SPI_PROC lpWSPGetSockOpt;
    WSASIM_SPI_PROC lpWSPGetQOSByName;
    WSASIM_SPI_PROC lpWSPIoctl;
    WSASIM_SPI_PROC lpWSPJoinLeaf;
    LPWSPLISTEN lpWSPListen;
    LPWSPRECV lpWSPRecv;
    WSASIM_SPI_PROC lpWSPRecvDisconnect;
    WSASIM_SPI_PROC lpWSPRecvFrom;
    WSASIM_SPI_PROC lpWSPSelect;
    LPWSPSEND lpWSPSend;
    WSASIM_SPI_PROC lpWSPSendDisconnect;
    LPWSPSENDTO lpWSPSendTo;
    WSASIM_SPI_PROC lpWSPSetSockOpt;
    LPWSPSHUTDOWN lpWSPShutdown;
    LPWSPSOCKET lpWSPSocket;
    WSASIM_SPI_PROC lpWSPStringToAddress;
} WSPPROC_TABLE, *LPWSPPROC_TABLE;

/* int WPUQueueApc(LPWSATHREADID, LPWSAUSERAPC, DWORD_PTR, LPINT) */
typedef int(WSPAPI *LPWPUQUEUEAPC)(LPWSATHREADID lpThreadId, LPWSAUSERAPC lpfnUserApc,
                                   DWORD_PTR dwContext, LPINT lpErrno);

/* WSPUPCALLTABLE: 15 entries, in the SDK's order; 120 bytes on x64. */
typedef struct _WSPUPCALLTABLE {
    WSASIM_SPI_PROC lpWPUCloseEvent;
    WSASIM_SPI_PROC lpWPUCloseSocketHandle;
    WSASIM_SPI_PROC lpWPUCreateEvent;
    WSASIM_SPI_PROC lpWPUCreateSocketHandle;
    WSASIM_SPI_PROC lpWPUFDIsSet;
    WSASIM_SPI_PROC lpWPUGetProviderPath;
    WSASIM_SPI_PROC lpWPUModifyIFSHandle;
    WSASIM_SPI_PROC lpWPUPostMessage;
    WSASIM_SPI_PROC lpWPUQueryBlockingCallback;
    WSASIM_SPI_PROC lpWPUQuerySocketHandleContext;
    LPWPUQUEUEAPC lpWPUQueueApc;
    WSASIM_SPI_PROC lpWPUResetEvent;
    WSASIM_SPI_PROC lpWPUSetEvent;
    WSASIM_SPI_PROC lpWPUOpenCurrentThread;
    WSASIM_SPI_PROC lpWPUCloseThread;
} WSPUPCALLTABLE, *LPWSPUPCALLTABLE;

#ifdef __cplusplus
}
#endif

#endif /* _WINSOCK2SPI_ */
