// See shim_affinity.h.
#define _GNU_SOURCE
#include <sched.h>
#include <errno.h>
#include "shim_affinity.h"

int cshim_pin_current_thread(int cpu) {
    if (cpu < 0 || cpu >= CPU_SETSIZE) { errno = EINVAL; return -1; }
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof(set), &set);
}
