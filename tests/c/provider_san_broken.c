/*
 * provider_san_broken.c: provider_san.c, deliberately broken: its WSPSend fails with
 * WSAEWOULDBLOCK, a code "a SAN service provider does not support" ("The Windows
 * Sockets switch uses overlapped sockets", WSPSend). The switch reports it (trace record
 * "contract").
 */
#define FORBIDDEN_CODE WSAEWOULDBLOCK
#include "provider_san.c"
