/*
 * provider_broken.c: provider_layered.c, deliberately broken: it calls the client's
 * completion routine directly from its lower completion instead of from its own APC
 * function queued with WPUQueueApc ("Because only a single context value is available,
 * the APC function itself cannot be the client specified-completion routine", LPWSPSEND).
 * The switch reports it (trace record "contract").
 */
#define CALL_ROUTINE_DIRECTLY 1
#include "provider_layered.c"
