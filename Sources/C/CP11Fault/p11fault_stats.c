// p11fault's timing statistics, so a benchmark can see where a simulated session's time goes:
// per operation with a latency, how long it took from the start of its Init call to the return
// of the operation (duration), how far that overshot the configured latency (the sleep's
// wake-up delay plus any real work beyond it), and the gap between the end of one operation and
// the start of the next on the same session (time the session sat idle: the caller's overhead
// and hand-off). Enabled by P11FAULT_STATS_DIR: cumulative counters are rewritten to
// "<dir>/stats-<pid>" every 256 operations. All updates run with p11fault's lock held; the file
// is written outside it.

#include "p11fault_internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static struct p11f_stats totals;

int p11f_stats_enabled(void) {
    static int enabled = -1;  // the environment is read once per process
    if (enabled < 0) enabled = getenv("P11FAULT_STATS_DIR") != NULL;
    return enabled;
}

int p11f_stats_add(long duration_us, long latency_us, long gap_us, struct p11f_stats *snapshot) {
    totals.ops++;
    totals.duration_us += duration_us;
    totals.latency_us += latency_us;
    if (duration_us > latency_us) totals.overshoot_us += duration_us - latency_us;
    if (gap_us >= 0) { totals.gaps++; totals.gap_us += gap_us; }
    *snapshot = totals;
    return (totals.ops & 255) == 0;
}

void p11f_stats_write(const struct p11f_stats *s) {
    const char *dir = getenv("P11FAULT_STATS_DIR");
    if (!dir) return;
    char path[4096], temp[4096];
    snprintf(path, sizeof path, "%s/stats-%ld", dir, (long)getpid());
    snprintf(temp, sizeof temp, "%s.tmp", path);
    FILE *f = fopen(temp, "w");
    if (!f) return;
    fprintf(f, "ops %ld\nduration_us %ld\nlatency_us %ld\novershoot_us %ld\ngaps %ld\ngap_us %ld\nwake_floor_us %ld\n",
            s->ops, s->duration_us, s->latency_us, s->overshoot_us, s->gaps, s->gap_us, p11f_wake_floor_us());
    fclose(f);
    rename(temp, path);
}
