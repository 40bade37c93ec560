/* winsock.h: Windows Sockets 1.1 programs get the Winsock 2 headers (a superset). */
#include "winsock2.h"
