/*
 * provider_stale_wsabuf.c: provider_layered.c, deliberately broken: it keeps the
 * caller's lpBuffers pointer and passes that array to the next provider after WSPSend
 * returned ("The array of WSABUF structures pointed to by the lpBuffers parameter is
 * transient", LPWSPSEND). The switch poisoned its copy when WSPSend returned, sees the
 * poison, reports the breach and fails that call with WSAEFAULT.
 */
#define KEEP_WSABUF_POINTER 1
#include "provider_layered.c"
