/*
 * windows.h: the kernel32 part of the Windows API that Winsock programs use around
 * their sockets (threads, waits, APCs, the last error), for programs running on
 * wsasim's simulated Windows.
 *
 * Each function is the library's wsasim_<Name>; a macro maps the Windows name to it,
 * so nothing here collides with the C library. Without WIN32_LEAN_AND_MEAN, as on
 * Windows, the sockets API comes along (Winsock 2 here).
 */
#ifndef _WINDOWS_
#define _WINDOWS_

#include "minwindef.h"
#include "winerror.h"
#include "minwinbase.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- NTSTATUS values seen in OVERLAPPED.Internal ----------------------------------- */
#define STATUS_WAIT_0 ((DWORD)0x00000000)
#define STATUS_ABANDONED_WAIT_0 ((DWORD)0x00000080)
#define STATUS_USER_APC ((DWORD)0x000000C0)
#define STATUS_TIMEOUT ((DWORD)0x00000102)
#define STATUS_PENDING ((DWORD)0x00000103)

/* ---- waits ------------------------------------------------------------------------- */
#define INFINITE 0xFFFFFFFF
#define WAIT_OBJECT_0 ((STATUS_WAIT_0) + 0)
#define WAIT_ABANDONED ((STATUS_ABANDONED_WAIT_0) + 0)
#define WAIT_ABANDONED_0 ((STATUS_ABANDONED_WAIT_0) + 0)
#define WAIT_IO_COMPLETION STATUS_USER_APC
#define WAIT_TIMEOUT 258
#define WAIT_FAILED ((DWORD)0xFFFFFFFF)
#define MAXIMUM_WAIT_OBJECTS 64

/* ---- threads ----------------------------------------------------------------------- */
#define STILL_ACTIVE 259
#define CREATE_SUSPENDED 0x00000004
#define STACK_SIZE_PARAM_IS_A_RESERVATION 0x00010000
#define INVALID_HANDLE_VALUE ((HANDLE)(LONG_PTR)-1)

#define HasOverlappedIoCompleted(lpOverlapped)                                          \
    (((DWORD)(lpOverlapped)->Internal) != STATUS_PENDING)

/* ---- memory ------------------------------------------------------------------------ */
#define RtlZeroMemory(Destination, Length) __builtin_memset((Destination), 0, (Length))
#define RtlFillMemory(Destination, Length, Fill) __builtin_memset((Destination), (Fill), (Length))
#define RtlCopyMemory(Destination, Source, Length) __builtin_memcpy((Destination), (Source), (Length))
#define RtlMoveMemory(Destination, Source, Length) __builtin_memmove((Destination), (Source), (Length))
#define ZeroMemory RtlZeroMemory
#define FillMemory RtlFillMemory
#define CopyMemory RtlCopyMemory
#define MoveMemory RtlMoveMemory

/* SecureZeroMemory: zeroes through a volatile pointer, so the compiler keeps it. */
static inline PVOID wsasim_SecureZeroMemory(PVOID ptr, SIZE_T cnt)
{
    volatile char *vptr = (volatile char *)ptr;
    while (cnt) {
        *vptr = 0;
        vptr++;
        cnt--;
    }
    return ptr;
}
#define SecureZeroMemory wsasim_SecureZeroMemory
#define RtlSecureZeroMemory wsasim_SecureZeroMemory

/* ---- functions (the library's wsasim_* symbols) ------------------------------------ */
#define GetLastError wsasim_GetLastError
#define SetLastError wsasim_SetLastError
#define Sleep wsasim_Sleep
#define SleepEx wsasim_SleepEx
#define QueueUserAPC wsasim_QueueUserAPC
#define CreateThread wsasim_CreateThread
#define WaitForSingleObject wsasim_WaitForSingleObject
#define WaitForSingleObjectEx wsasim_WaitForSingleObjectEx
#define WaitForMultipleObjects wsasim_WaitForMultipleObjects
#define WaitForMultipleObjectsEx wsasim_WaitForMultipleObjectsEx
#define CloseHandle wsasim_CloseHandle
#define GetExitCodeThread wsasim_GetExitCodeThread
#define GetCurrentThreadId wsasim_GetCurrentThreadId
#define CreateIoCompletionPort wsasim_CreateIoCompletionPort
#define GetQueuedCompletionStatus wsasim_GetQueuedCompletionStatus
#define PostQueuedCompletionStatus wsasim_PostQueuedCompletionStatus

DWORD WINAPI GetLastError(VOID);
VOID WINAPI SetLastError(DWORD dwErrCode);
VOID WINAPI Sleep(DWORD dwMilliseconds);
DWORD WINAPI SleepEx(DWORD dwMilliseconds, BOOL bAlertable);
DWORD WINAPI QueueUserAPC(PAPCFUNC pfnAPC, HANDLE hThread, ULONG_PTR dwData);
HANDLE WINAPI CreateThread(LPSECURITY_ATTRIBUTES lpThreadAttributes, SIZE_T dwStackSize,
                           LPTHREAD_START_ROUTINE lpStartAddress, LPVOID lpParameter,
                           DWORD dwCreationFlags, LPDWORD lpThreadId);
DWORD WINAPI WaitForSingleObject(HANDLE hHandle, DWORD dwMilliseconds);
DWORD WINAPI WaitForSingleObjectEx(HANDLE hHandle, DWORD dwMilliseconds, BOOL bAlertable);
DWORD WINAPI WaitForMultipleObjects(DWORD nCount, CONST HANDLE *lpHandles, BOOL bWaitAll,
                                    DWORD dwMilliseconds);
DWORD WINAPI WaitForMultipleObjectsEx(DWORD nCount, CONST HANDLE *lpHandles, BOOL bWaitAll,
                                      DWORD dwMilliseconds, BOOL bAlertable);
BOOL WINAPI CloseHandle(HANDLE hObject);
BOOL WINAPI GetExitCodeThread(HANDLE hThread, LPDWORD lpExitCode);
DWORD WINAPI GetCurrentThreadId(VOID);
HANDLE WINAPI CreateIoCompletionPort(HANDLE FileHandle, HANDLE ExistingCompletionPort,
                                     ULONG_PTR CompletionKey, DWORD NumberOfConcurrentThreads);
BOOL WINAPI GetQueuedCompletionStatus(HANDLE CompletionPort, LPDWORD lpNumberOfBytesTransferred,
                                      PULONG_PTR lpCompletionKey, LPOVERLAPPED *lpOverlapped,
                                      DWORD dwMilliseconds);
BOOL WINAPI PostQueuedCompletionStatus(HANDLE CompletionPort, DWORD dwNumberOfBytesTransferred,
                                       ULONG_PTR dwCompletionKey, LPOVERLAPPED lpOverlapped);

#ifdef __cplusplus
}
#endif

#ifndef WIN32_LEAN_AND_MEAN
#include "winsock2.h"
#endif

#endif /* _WINDOWS_ */
