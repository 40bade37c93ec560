/*
 * minwinbase.h: OVERLAPPED, SECURITY_ATTRIBUTES and the thread and APC function types.
 */
#ifndef _MINWINBASE_
#define _MINWINBASE_

#include "minwindef.h"

/* OVERLAPPED (= WSAOVERLAPPED): 32 bytes on x64. Internal @0 holds the NTSTATUS of the
 * request (STATUS_PENDING, 0x103, while it is outstanding), InternalHigh @8 the bytes
 * transferred, Offset @16, OffsetHigh @20 (reserved for service providers), hEvent @24. */
typedef struct _OVERLAPPED {
    ULONG_PTR Internal;
    ULONG_PTR InternalHigh;
    union {
        struct {
            DWORD Offset;
            DWORD OffsetHigh;
        };
        PVOID Pointer;
    };
    HANDLE hEvent;
} OVERLAPPED, *LPOVERLAPPED;

typedef struct _SECURITY_ATTRIBUTES {
    DWORD nLength;
    LPVOID lpSecurityDescriptor;
    BOOL bInheritHandle;
} SECURITY_ATTRIBUTES, *PSECURITY_ATTRIBUTES, *LPSECURITY_ATTRIBUTES;

/* DWORD WINAPI ThreadProc(LPVOID lpParameter) */
typedef DWORD(WINAPI *PTHREAD_START_ROUTINE)(LPVOID lpThreadParameter);
typedef PTHREAD_START_ROUTINE LPTHREAD_START_ROUTINE;

/* VOID NTAPI ApcProc(ULONG_PTR Parameter) (QueueUserAPC) */
typedef VOID(NTAPI *PAPCFUNC)(ULONG_PTR Parameter);

/* VOID WINAPI FileIOCompletionRoutine(DWORD, DWORD, LPOVERLAPPED) */
typedef VOID(WINAPI *LPOVERLAPPED_COMPLETION_ROUTINE)(DWORD dwErrorCode,
                                                     DWORD dwNumberOfBytesTransfered,
                                                     LPOVERLAPPED lpOverlapped);

#endif /* _MINWINBASE_ */
