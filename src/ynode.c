/* ynode: implementation lands in the next commit. */
#include "ynode.h"
