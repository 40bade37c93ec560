/*
 * minwindef.h: the basic Windows types, with Windows x64 (LLP64) sizes on any 64-bit
 * host: BYTE 8, WORD 16, DWORD/LONG/ULONG/BOOL 32, pointers and *_PTR 64 bits. Windows'
 * long is 32 bits, so no type here is a C long.
 *
 * WINAPI, CALLBACK, __cdecl, __stdcall... are empty: on the host there is one C calling
 * convention, and the library's functions and the program's callbacks both use it.
 */
#ifndef _MINWINDEF_
#define _MINWINDEF_

#include "wsasim_compat.h"
#include "sal.h"

/* ---- calling conventions and decorations (empty on the host) ---------------------- */
#ifndef __cdecl
#define __cdecl
#endif
#ifndef __stdcall
#define __stdcall
#endif
#ifndef _cdecl
#define _cdecl
#endif
#ifndef WINAPI
#define WINAPI
#endif
#ifndef WINAPIV
#define WINAPIV
#endif
#ifndef APIENTRY
#define APIENTRY WINAPI
#endif
#ifndef CALLBACK
#define CALLBACK
#endif
#ifndef NTAPI
#define NTAPI
#endif
#ifndef WSAAPI
#define WSAAPI
#endif
#ifndef PASCAL
#define PASCAL
#endif
#ifndef FAR
#define FAR
#endif
#ifndef NEAR
#define NEAR
#endif
#ifndef CONST
#define CONST const
#endif
#ifndef VOID
#define VOID void
#endif
#ifndef FORCEINLINE
#define FORCEINLINE static inline
#endif
#ifndef DECLSPEC_IMPORT
#define DECLSPEC_IMPORT
#endif
#ifndef WINBASEAPI
#define WINBASEAPI
#endif
#ifndef WINSOCK_API_LINKAGE
#define WINSOCK_API_LINKAGE
#endif

/* ---- integer types ---------------------------------------------------------------- */
typedef char CHAR;
typedef signed char INT8;
typedef unsigned char UCHAR, UINT8, BYTE, BOOLEAN;
typedef short SHORT, INT16;
typedef unsigned short USHORT, UINT16, WORD, WCHAR;
typedef int INT, INT32, BOOL;
typedef unsigned int UINT, UINT32;
typedef int32_t LONG, LONG32;
typedef uint32_t ULONG, ULONG32, DWORD, DWORD32;
typedef long long LONGLONG, INT64, LONG64;
typedef unsigned long long ULONGLONG, UINT64, ULONG64, DWORD64, DWORDLONG;
typedef float FLOAT;

typedef long long INT_PTR, LONG_PTR, SSIZE_T;
typedef unsigned long long UINT_PTR, ULONG_PTR, DWORD_PTR, SIZE_T;
typedef LONG HRESULT;

/* ---- pointers --------------------------------------------------------------------- */
typedef void *PVOID, *LPVOID, *HANDLE, *HINSTANCE, *HMODULE;
typedef const void *LPCVOID, *PCVOID;
typedef HANDLE *PHANDLE, *LPHANDLE;
typedef CHAR *PCHAR, *LPCH, *PCH, *NPSTR, *LPSTR, *PSTR;
typedef const CHAR *LPCCH, *PCCH, *LPCSTR, *PCSTR;
typedef WCHAR *PWCHAR, *LPWCH, *PWCH, *LPWSTR, *PWSTR;
typedef const WCHAR *LPCWCH, *PCWCH, *LPCWSTR, *PCWSTR;
typedef BYTE *PBYTE, *LPBYTE;
typedef UCHAR *PUCHAR;
typedef WORD *PWORD, *LPWORD;
typedef USHORT *PUSHORT;
typedef SHORT *PSHORT;
typedef INT *PINT, *LPINT;
typedef UINT *PUINT, *LPUINT;
typedef LONG *PLONG, *LPLONG;
typedef ULONG *PULONG;
typedef DWORD *PDWORD, *LPDWORD;
typedef BOOL *PBOOL, *LPBOOL;
typedef ULONG_PTR *PULONG_PTR;
typedef DWORD_PTR *PDWORD_PTR;
typedef SIZE_T *PSIZE_T;
#ifdef UNICODE
typedef WCHAR TCHAR;
#else
typedef char TCHAR;
#endif

#ifndef NULL
#define NULL ((void *)0)
#endif
#ifndef FALSE
#define FALSE 0
#endif
#ifndef TRUE
#define TRUE 1
#endif

/* ---- words and bytes -------------------------------------------------------------- */
#define MAKEWORD(a, b)                                                                  \
    ((WORD)(((BYTE)(((DWORD_PTR)(a)) & 0xff)) | ((WORD)((BYTE)(((DWORD_PTR)(b)) & 0xff))) << 8))
#define MAKELONG(a, b)                                                                  \
    ((LONG)(((WORD)(((DWORD_PTR)(a)) & 0xffff)) | ((DWORD)((WORD)(((DWORD_PTR)(b)) & 0xffff))) << 16))
#define LOWORD(l) ((WORD)(((DWORD_PTR)(l)) & 0xffff))
#define HIWORD(l) ((WORD)((((DWORD_PTR)(l)) >> 16) & 0xffff))
#define LOBYTE(w) ((BYTE)(((DWORD_PTR)(w)) & 0xff))
#define HIBYTE(w) ((BYTE)((((DWORD_PTR)(w)) >> 8) & 0xff))

/* min and max, as windows.h has them, for C only: C++ standard headers included later
 * (std::min, std::max) would not survive the macros. */
#if !defined(NOMINMAX) && !defined(__cplusplus)
#ifndef max
#define max(a, b) (((a) > (b)) ? (a) : (b))
#endif
#ifndef min
#define min(a, b) (((a) < (b)) ? (a) : (b))
#endif
#endif

#define MAX_PATH 260

#endif /* _MINWINDEF_ */
