// CPU affinity for event-loop threads: CPU_ZERO/CPU_SET are macros over cpu_set_t that Swift
// cannot import, and sched_setaffinity needs _GNU_SOURCE.
#ifndef SHIM_AFFINITY_H
#define SHIM_AFFINITY_H

/// Restricts the calling thread to CPU `cpu`. Returns 0, or -1 with errno set.
int cshim_pin_current_thread(int cpu);
#endif
