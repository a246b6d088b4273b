/* Checked guest memory access: every guest pointer goes through the guest's
 * memory ops (translate: gmem's ledger, hv/guest_gmem.c); a GPA that is not
 * guest memory is -EFAULT, never host memory. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hv/guest.h"
#include "hv/log.h"
#include "hv/mem.h"
#include "hv/pmem.h"
#include "hv/pt.h"

