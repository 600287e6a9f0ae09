// The simulated node's service queue for `node_ops_per_s`: one 64-bit "busy until" time (µs, on
// CLOCK_MONOTONIC, which every process shares) per token label, in a small file mapped shared
// next to the config file ("<config>.node-<label>"), so the HSM worker processes of one node
// queue behind each other as they would on one device. Updated with compare-and-swap; without
// the file (no config path, or it cannot be mapped) the queue is this process's own.

#include "p11fault_internal.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_NODES 64

static struct { char label[33]; long *busy_until; long local; } nodes[MAX_NODES];
static int nnodes;

static long *node_clock(const char *label) {
    for (int i = 0; i < nnodes; i++) if (!strcmp(nodes[i].label, label)) return nodes[i].busy_until;
    if (nnodes == MAX_NODES) return NULL;
    int i = nnodes++;
    snprintf(nodes[i].label, sizeof nodes[i].label, "%s", label);
    nodes[i].busy_until = &nodes[i].local;
    const char *config = getenv("P11FAULT_CONFIG");
    if (!config) return nodes[i].busy_until;
    char path[4200], safe[33];
    snprintf(safe, sizeof safe, "%s", label);
    for (char *c = safe; *c; c++) if (*c == '/' || *c == ' ') *c = '_';
    snprintf(path, sizeof path, "%s.node-%s", config, safe);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return nodes[i].busy_until;
    if (ftruncate(fd, sizeof(long)) == 0) {
        void *map = mmap(NULL, sizeof(long), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (map != MAP_FAILED) nodes[i].busy_until = map;
    }
    close(fd);
    return nodes[i].busy_until;
}

long p11f_node_reserve(const char *label, long now_us, long period_us) {
    long *busy = node_clock(label);
    if (!busy) return now_us + period_us;
    long seen = __atomic_load_n(busy, __ATOMIC_ACQUIRE);
    for (;;) {
        // A time more than 10 s ahead is left from before a reboot (the monotonic clock restarted).
        long from = seen > now_us && seen - now_us < 10000000L ? seen : now_us;
        long served = from + period_us;
        if (__atomic_compare_exchange_n(busy, &seen, served, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) return served;
    }
}
