/* basetsd.h: the sized types (ULONG_PTR, SIZE_T...) live in minwindef.h here. */
#include "minwindef.h"
