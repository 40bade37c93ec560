/* Windows.h: the same as windows.h (Windows' file names are case-insensitive). */
#include "windows.h"
