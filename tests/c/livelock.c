/*
 * livelock.c: a program that never ends and never waits (it polls with SleepEx(0)).
 * Run with a small WSASIM_STEPS_MAX, it ends with the runtime's livelock report on
 * stderr and exit code 3, its buffered output flushed, instead of spinning forever.
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <winsock2.h>
#include <stdio.h>

int main(void)
{
    WSADATA wsd;
    WSAStartup(MAKEWORD(2, 2), &wsd);
    printf("polling forever\n"); /* buffered: the library's exit must flush it */
    for (;;) {
        SleepEx(0, FALSE);
    }
    return 0;
}
