// p11fault's configuration: parsing the config file, re-reading it when it changes, and the
// settings in force for a token (global keys overlaid by its "[token:LABEL]" section). See
// p11fault.c for the file format. All functions run with p11fault's lock held.

#include "p11fault_internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MAX_SECTIONS 64

struct section { char label[33]; struct settings s; unsigned set_mask; };

enum { SET_LAT = 1, SET_INIT = 2, SET_MAX = 4, SET_FAULT = 8, SET_EVERY = 16, SET_NODE = 32 };

static struct settings global;
static struct section sections[MAX_SECTIONS];
static int nsections;
static struct stat config_stat;
static struct timespec last_check;

static void parse_line(char *line, struct settings *s, unsigned *mask) {
    char *eq = strchr(line, '=');
    if (!eq) return;
    *eq = 0;
    char key[64] = {0}, value[64] = {0};
    sscanf(line, " %63s", key);
    sscanf(eq + 1, " %63s", value);
    if (!strcmp(key, "latency_us")) { s->latency_us = atol(value); *mask |= SET_LAT; }
    else if (!strcmp(key, "init_latency_us")) { s->init_latency_us = atol(value); *mask |= SET_INIT; }
    else if (!strcmp(key, "max_sessions")) { s->max_sessions = atol(value); *mask |= SET_MAX; }
    else if (!strcmp(key, "fault_every")) { s->fault_every = atol(value); *mask |= SET_EVERY; }
    else if (!strcmp(key, "node_ops_per_s")) { s->node_ops_per_s = atol(value); *mask |= SET_NODE; }
    else if (!strcmp(key, "fault")) {
        *mask |= SET_FAULT;
        s->fault = !strcmp(value, "device_error") ? FAULT_DEVICE_ERROR
                 : !strcmp(value, "session_invalid") ? FAULT_SESSION_INVALID
                 : !strcmp(value, "device_removed") ? FAULT_DEVICE_REMOVED
                 : !strcmp(value, "hang") ? FAULT_HANG
                 : !strcmp(value, "operation_active") ? FAULT_OPERATION_ACTIVE
                 : !strcmp(value, "not_initialized") ? FAULT_NOT_INITIALIZED
                 : !strcmp(value, "object_invalid") ? FAULT_OBJECT_INVALID : FAULT_NONE;
    }
}

// Re-reads the config when it changed; at most every 2 ms. Caller holds `lock`.
void p11f_refresh_config(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long elapsed_ns = (now.tv_sec - last_check.tv_sec) * 1000000000L + (now.tv_nsec - last_check.tv_nsec);
    if (last_check.tv_sec != 0 && elapsed_ns < 2000000L) return;
    last_check = now;
    const char *path = getenv("P11FAULT_CONFIG");
    struct stat st;
    if (!path || stat(path, &st) != 0) {
        memset(&global, 0, sizeof global);
        nsections = 0;
        memset(&config_stat, 0, sizeof config_stat);
        return;
    }
    if (st.st_ino == config_stat.st_ino && st.st_size == config_stat.st_size &&
        st.st_mtim.tv_sec == config_stat.st_mtim.tv_sec && st.st_mtim.tv_nsec == config_stat.st_mtim.tv_nsec) return;
    FILE *f = fopen(path, "r");
    if (!f) return;
    config_stat = st;
    memset(&global, 0, sizeof global);
    nsections = 0;
    struct settings *target = &global;
    unsigned dummy = 0, *mask = &dummy;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        char *hash = strchr(line, '#');
        if (hash) *hash = 0;
        char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (!strncmp(p, "[token:", 7) && nsections < MAX_SECTIONS) {
            char *end = strchr(p, ']');
            if (!end) continue;
            *end = 0;
            struct section *sec = &sections[nsections++];
            memset(sec, 0, sizeof *sec);
            snprintf(sec->label, sizeof sec->label, "%s", p + 7);
            target = &sec->s;
            mask = &sec->set_mask;
            continue;
        }
        parse_line(p, target, mask);
    }
    fclose(f);
}

struct settings p11f_effective(const char *label) {
    struct settings s = global;
    if (!label) return s;
    for (int i = 0; i < nsections; i++) {
        if (strcmp(sections[i].label, label) != 0) continue;
        unsigned m = sections[i].set_mask;
        if (m & SET_LAT) s.latency_us = sections[i].s.latency_us;
        if (m & SET_INIT) s.init_latency_us = sections[i].s.init_latency_us;
        if (m & SET_MAX) s.max_sessions = sections[i].s.max_sessions;
        if (m & SET_FAULT) s.fault = sections[i].s.fault;
        if (m & SET_EVERY) s.fault_every = sections[i].s.fault_every;
        if (m & SET_NODE) s.node_ops_per_s = sections[i].s.node_ops_per_s;
    }
    return s;
}
