// Internal interface between p11fault.c (the wrapped function table), p11fault_stats.c and p11fault_config.c (the
// config file). Not part of the module's public header.
#ifndef P11FAULT_INTERNAL_H
#define P11FAULT_INTERNAL_H
#include "p11fault.h"

enum fault_kind {
    FAULT_NONE, FAULT_DEVICE_ERROR, FAULT_SESSION_INVALID, FAULT_DEVICE_REMOVED, FAULT_HANG,
    FAULT_OPERATION_ACTIVE, FAULT_NOT_INITIALIZED, FAULT_OBJECT_INVALID
};

struct settings {
    long latency_us, init_latency_us, max_sessions, fault_every, node_ops_per_s;
    int fault;
};

/// Re-reads the config file if it changed (at most every 2 ms). Caller holds p11fault's lock.
void p11f_refresh_config(void);

/// Settings for the token labelled `label` (NULL: the global ones). Caller holds the lock.
struct settings p11f_effective(const char *label);
/// Reserves the next service slot of the node (token) `label`, shared by every process using the
/// same config file, for one operation arriving at `now_us`; returns when that service ends (µs).
/// Caller holds p11fault's lock.
long p11f_node_reserve(const char *label, long now_us, long period_us);
/// The timer's idle wake-up delay taken off every latency (µs; measured on first use).
long p11f_wake_floor_us(void);
/// Cumulative timing of operations that have a latency (see p11fault_stats.c).
struct p11f_stats { long ops, duration_us, latency_us, overshoot_us, gaps, gap_us; };

/// Whether P11FAULT_STATS_DIR is set.
int p11f_stats_enabled(void);
/// Adds one operation (gap_us < 0: no previous operation on the session); copies the totals to
/// *snapshot and returns non-zero when they should be written. Caller holds the lock.
int p11f_stats_add(long duration_us, long latency_us, long gap_us, struct p11f_stats *snapshot);
/// Writes the totals to the stats file. Call without the lock.
void p11f_stats_write(const struct p11f_stats *snapshot);
#endif
