/* winnt.h: the basic types live in minwindef.h here. */
#include "minwindef.h"
