/* winbase.h: the kernel32 declarations live in windows.h here. */
#include "windows.h"
