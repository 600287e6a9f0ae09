// p11fault: a PKCS#11 module that wraps another one and injects latency and faults, so the
// scheduler's batching, failover and recovery can be tested and benchmarked against something that
// behaves like a network HSM (CloudHSM-like ~1 ms per operation) without one.
//
// Environment:
//   P11FAULT_MODULE  path of the real module (default /usr/lib/softhsm/libsofthsm2.so)
//   P11FAULT_CONFIG  path of the config file (optional; without it the module only forwards)
//   P11FAULT_WAKE_CALIBRATION=0  do not take the timer's idle wake-up delay off latencies (below)
//
// Config file: "key = value" lines; "#" comments; a "[token:LABEL]" line starts a section whose
// keys override the global ones for sessions on the token with that label. Re-read when the
// file's mtime, size or inode changes (write a temp file and rename it for an atomic flip).
//   latency_us     = N   C_Sign/C_Encrypt/C_Decrypt/C_Generate*/C_DeriveKey end at least N µs
//                        after the operation started: after the start of its C_*Init call when
//                        init_latency_us is 0, else after the start of the call itself. The real
//                        module's work in both calls counts towards it, like the HSM's own work
//                        inside a remote HSM's round trip.
//   init_latency_us= N   same for C_SignInit/C_EncryptInit/C_DecryptInit
//   node_ops_per_s = N   the node (token) serves at most N operations per second, shared by every
//                        session in every process using this config file (p11fault_node.c): an
//                        operation ends no earlier than its turn in the node's queue, nor than its
//                        latency_us. A network HSM's capacity is its own rate; its latency is
//                        hidden by keeping more than N × latency operations in flight.
//   max_sessions   = N   C_OpenSession fails with CKR_SESSION_COUNT beyond N open sessions per token
//   fault          = none | device_error | session_invalid | device_removed | hang |
//                    operation_active | not_initialized | object_invalid
//   fault_every    = N   inject only on every Nth C_SignInit/C_EncryptInit/C_DecryptInit (0 = on
//                        every call that touches the token); at Init so no half-done operation
//                        is left active in the real module
// session_invalid really closes the session (later calls see CKR_SESSION_HANDLE_INVALID too);
// device_removed forgets every session of the token; hang blocks calls until the fault changes.
// C_GetTokenInfo reports this module's own session count and limit. C_Finalize closes our
// sessions and finalizes the real module only if this module initialised it.

#include "p11fault_internal.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <errno.h>
#include <sys/prctl.h>

#define MAX_SLOTS 256
#define TABLE_SIZE 4096

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static CK_FUNCTION_LIST real_copy, ours;
static CK_FUNCTION_LIST_PTR real;
static int loaded, initialized, own_real_init;


// Slot → token label (cached), per-slot open-session counters and fault counters.
static struct { CK_SLOT_ID id; char label[33]; int known; long open; unsigned long ops; } slots[MAX_SLOTS];
static int nslots;

// Open sessions: handle → slot index (open addressing, handle 0 = empty). `busy` counts calls in
// flight; a session dropped by C_Finalize or device_removed while busy becomes a zombie that is
// really closed when its last call returns (closing a session under a running C_Sign crashes
// SoftHSM2).
// `op_start` is when the session's pending C_*Init started (µs, 0 = none): the operation's latency
// counts from there.
// `last_end` is when its last operation with a latency returned (for the idle-gap statistics).
static struct { CK_SESSION_HANDLE handle; int slot; int busy; int zombie; long op_start, last_end; } table[TABLE_SIZE];

// Effective settings for a slot index. Caller holds `lock`.
static struct settings effective(int slot) { return p11f_effective(slot >= 0 ? slots[slot].label : NULL); }

// Slot index for a slot id, learning its token label on first sight. With `refresh` the label is
// read again (C_OpenSession does this: a slot id can change hands when a token is initialised).
// Caller holds `lock`.
static int slot_index_ex(CK_SLOT_ID id, int refresh) {
    int i = -1;
    for (int k = 0; k < nslots; k++) if (slots[k].id == id && slots[k].known) { i = k; break; }
    if (i >= 0 && !refresh) return i;
    CK_TOKEN_INFO info;
    if (real->C_GetTokenInfo(id, &info) != CKR_OK) return i;
    char label[33] = {0};
    memcpy(label, info.label, 32);
    for (int j = 31; j >= 0 && (label[j] == ' ' || label[j] == 0); j--) label[j] = 0;
    if (i >= 0 && strcmp(label, slots[i].label) == 0) return i;
    if (i >= 0) slots[i].id = (CK_SLOT_ID)-1;  // retire the stale entry; its sessions keep their index
    if (nslots >= MAX_SLOTS) return -1;
    i = nslots++;
    memset(&slots[i], 0, sizeof slots[i]);
    slots[i].id = id;
    slots[i].known = 1;
    memcpy(slots[i].label, label, sizeof label);
    return i;
}

static int slot_index(CK_SLOT_ID id) { return slot_index_ex(id, 0); }

static int table_find(CK_SESSION_HANDLE h) {
    if (h == 0) return -1;
    for (unsigned n = 0, i = (unsigned)(h % TABLE_SIZE); n < TABLE_SIZE; n++, i = (i + 1) % TABLE_SIZE) {
        if (table[i].handle == h) return (int)i;
        if (table[i].handle == 0) return -1;
    }
    return -1;
}

static void table_insert_full(CK_SESSION_HANDLE h, int slot, int busy, int zombie, long op_start) {
    for (unsigned n = 0, i = (unsigned)(h % TABLE_SIZE); n < TABLE_SIZE; n++, i = (i + 1) % TABLE_SIZE) {
        if (table[i].handle == 0) {
            table[i].handle = h; table[i].slot = slot; table[i].busy = busy; table[i].zombie = zombie;
            table[i].op_start = op_start;
            table[i].last_end = 0;
            return;
        }
    }
}

static void table_insert(CK_SESSION_HANDLE h, int slot) { table_insert_full(h, slot, 0, 0, 0); }

// Removes entry i and re-inserts the probe chain after it (open addressing deletion).
static void table_remove_at(int i) {
    table[i].handle = 0;
    for (unsigned j = (unsigned)(i + 1) % TABLE_SIZE; table[j].handle != 0; j = (j + 1) % TABLE_SIZE) {
        CK_SESSION_HANDLE h = table[j].handle;
        int s = table[j].slot, busy = table[j].busy, zombie = table[j].zombie;
        long op_start = table[j].op_start;
        table[j].handle = 0;
        table_insert_full(h, s, busy, zombie, op_start);
    }
}

// Forgets every session of slot index `slot` (-1: all): idle ones are really closed now, busy
// ones become zombies closed by their last call. Caller holds `lock`.
static void drop_sessions(int slot) {
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < TABLE_SIZE; i++) {
            while (table[i].handle != 0 && !table[i].zombie && (slot < 0 || table[i].slot == slot)) {
                if (table[i].busy > 0) { table[i].zombie = 1; if (table[i].slot >= 0) slots[table[i].slot].open--; break; }
                CK_SESSION_HANDLE h = table[i].handle;
                int s = table[i].slot;
                table_remove_at(i);
                if (s >= 0) slots[s].open--;
                real->C_CloseSession(h);
            }
        }
    }
}

// Ends a call on `h`: closes a zombie whose last call this was.
static void after(CK_SESSION_HANDLE h) {
    pthread_mutex_lock(&lock);
    int at = table_find(h);
    if (at >= 0 && --table[at].busy == 0 && table[at].zombie) {
        table_remove_at(at);
        real->C_CloseSession(h);
    }
    pthread_mutex_unlock(&lock);
}

static void sleep_us(long us) { if (us > 0) usleep((useconds_t)us); }

static long now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000L + t.tv_nsec / 1000;
}

enum call_kind { CALL_PLAIN, CALL_INIT, CALL_OP };

// Common front of every session-bound call: checks the session, applies hangs and faults.
// Returns CKR_OK to proceed; fills *lat with the latency to enforce, counted from *start.
static CK_RV before(CK_SESSION_HANDLE h, enum call_kind kind, long *lat, long *start) {
    *lat = 0;
    *start = 0;
    for (;;) {
        pthread_mutex_lock(&lock);
        if (!initialized) { pthread_mutex_unlock(&lock); return CKR_CRYPTOKI_NOT_INITIALIZED; }
        p11f_refresh_config();
        int at = table_find(h);
        if (at < 0 || table[at].zombie) { pthread_mutex_unlock(&lock); return CKR_SESSION_HANDLE_INVALID; }
        int slot = table[at].slot;
        struct settings s = effective(slot);
        if (s.fault == FAULT_HANG) { pthread_mutex_unlock(&lock); sleep_us(10000); continue; }
        int inject = 0;
        if (s.fault != FAULT_NONE) {
            if (s.fault_every <= 0) inject = 1;
            else if (kind == CALL_INIT && slot >= 0 && (++slots[slot].ops % (unsigned long)s.fault_every) == 0) inject = 1;
        }
        CK_RV rv = CKR_OK;
        if (inject) {
            switch (s.fault) {
            case FAULT_DEVICE_ERROR: rv = CKR_DEVICE_ERROR; break;
            case FAULT_SESSION_INVALID:
                if (slot >= 0) slots[slot].open--;
                if (table[at].busy > 0) {
                    table[at].zombie = 1;
                } else {
                    table_remove_at(at);
                    real->C_CloseSession(h);
                }
                rv = CKR_SESSION_HANDLE_INVALID;
                break;
            case FAULT_DEVICE_REMOVED: drop_sessions(slot); rv = CKR_DEVICE_REMOVED; break;
            case FAULT_OPERATION_ACTIVE: rv = CKR_OPERATION_ACTIVE; break;
            case FAULT_NOT_INITIALIZED: rv = CKR_CRYPTOKI_NOT_INITIALIZED; break;
            case FAULT_OBJECT_INVALID: rv = CKR_OBJECT_HANDLE_INVALID; break;
            default: break;
            }
        }
        *lat = kind == CALL_OP ? s.latency_us : kind == CALL_INIT ? s.init_latency_us : 0;
        if (rv == CKR_OK) {
            table[at].busy++;
            long now = (*lat > 0 || (kind == CALL_INIT && s.latency_us > 0)) ? now_us() : 0;
            *start = now;
            if (kind == CALL_INIT) table[at].op_start = s.init_latency_us > 0 ? 0 : now;
            if (kind == CALL_OP) {
                if (table[at].op_start != 0) *start = table[at].op_start;
                table[at].op_start = 0;
                if (s.node_ops_per_s > 0 && slot >= 0) {
                    if (now == 0) now = now_us();
                    if (*start == 0) *start = now;
                    long served = p11f_node_reserve(slots[slot].label, now, 1000000L / s.node_ops_per_s);
                    if (served - *start > *lat) *lat = served - *start;
                }
            }
        }
        pthread_mutex_unlock(&lock);
        return rv;
    }
}

// Records one finished operation with a latency in the statistics (when enabled).
static void op_done(CK_SESSION_HANDLE h, long start_us, long lat_us) {
    if (!p11f_stats_enabled()) return;
    long end = now_us();
    struct p11f_stats snapshot;
    int write = 0;
    pthread_mutex_lock(&lock);
    int at = table_find(h);
    if (at >= 0) {
        long gap = table[at].last_end > 0 && start_us >= table[at].last_end ? start_us - table[at].last_end : -1;
        table[at].last_end = end;
        write = p11f_stats_add(end - start_us, lat_us, gap, &snapshot);
    }
    pthread_mutex_unlock(&lock);
    if (write) p11f_stats_write(&snapshot);
}

// The timer's own wake-up delay on an idle CPU (µs): the least overshoot of 16 absolute 200 µs
// sleeps, measured once per process, at most 200. A VM's timer wakes 30–60 µs late even when
// idle, so without this every simulated 1 ms operation would take ~1.05 ms and the model could
// never deliver its nominal capacity. Only this floor is taken off; the extra delay a busy CPU
// adds stays in the measurement. P11FAULT_WAKE_CALIBRATION=0 turns it off.
static long wake_floor_us;
static pthread_once_t wake_once = PTHREAD_ONCE_INIT;

static void measure_wake_floor(void) {
    const char *flag = getenv("P11FAULT_WAKE_CALIBRATION");
    if (flag && !strcmp(flag, "0")) return;
    prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
    long least = 200;
    for (int i = 0; i < 16; i++) {
        long end = now_us() + 200;
        struct timespec t = { .tv_sec = end / 1000000L, .tv_nsec = (end % 1000000L) * 1000L };
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR) {}
        long late = now_us() - end;
        if (late >= 0 && late < least) least = late;
    }
    wake_floor_us = least;
}

long p11f_wake_floor_us(void) {
    pthread_once(&wake_once, measure_wake_floor);
    return wake_floor_us;
}

// Sleeps until `start_us + lat_us` on the monotonic clock (absolute, so the real call's time counts
// towards the latency), less the timer's idle wake-up delay, with 1 µs timer slack so the simulated
// latency is the configured one and not 50 µs more.
static void sleep_until(long start_us, long lat_us) {
    long end = start_us + lat_us - p11f_wake_floor_us();
    if (now_us() >= end) return;
    prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
    struct timespec t = { .tv_sec = end / 1000000L, .tv_nsec = (end % 1000000L) * 1000L };
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR) {}
}

#define SESSION_CALL(kind, call)                                   \
    long lat, start;                                                \
    CK_RV pre = before(session, kind, &lat, &start);                \
    if (pre != CKR_OK) return pre;                                  \
    CK_RV rv = call;                                                \
    after(session);                                                 \
    if (lat > 0) sleep_until(start, lat);                           \
    if (lat > 0 && kind == CALL_OP) op_done(session, start, lat);   \
    return rv;

static CK_RV w_Initialize(void *args) {
    pthread_mutex_lock(&lock);
    if (initialized) { pthread_mutex_unlock(&lock); return CKR_CRYPTOKI_ALREADY_INITIALIZED; }
    CK_RV rv = real->C_Initialize(args);
    if (rv == CKR_OK) own_real_init = 1;
    else if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED) rv = CKR_OK;
    if (rv == CKR_OK) { initialized = 1; nslots = 0; }
    pthread_mutex_unlock(&lock);
    return rv;
}

static CK_RV w_Finalize(void *reserved) {
    pthread_mutex_lock(&lock);
    if (!initialized) { pthread_mutex_unlock(&lock); return CKR_CRYPTOKI_NOT_INITIALIZED; }
    drop_sessions(-1);
    initialized = 0;
    nslots = 0;
    CK_RV rv = CKR_OK;
    if (own_real_init) { rv = real->C_Finalize(reserved); own_real_init = 0; }
    pthread_mutex_unlock(&lock);
    return rv;
}

// Calls that name a slot fail while the token is removed or broken; C_OpenSession (not
// C_GetTokenInfo, which scanning for a token label touches on every slot) also hangs.
static CK_RV slot_gate(CK_SLOT_ID id, int *index_out, int may_hang) {
    for (;;) {
        pthread_mutex_lock(&lock);
        if (!initialized) { pthread_mutex_unlock(&lock); return CKR_CRYPTOKI_NOT_INITIALIZED; }
        p11f_refresh_config();
        int idx = slot_index_ex(id, may_hang);
        struct settings s = effective(idx);
        if (s.fault == FAULT_HANG && may_hang) { pthread_mutex_unlock(&lock); sleep_us(10000); continue; }
        pthread_mutex_unlock(&lock);
        if (index_out) *index_out = idx;
        if (s.fault == FAULT_DEVICE_REMOVED && s.fault_every <= 0) return CKR_DEVICE_REMOVED;
        if (s.fault == FAULT_DEVICE_ERROR && s.fault_every <= 0) return CKR_DEVICE_ERROR;
        return CKR_OK;
    }
}

static CK_RV w_GetTokenInfo(CK_SLOT_ID id, CK_TOKEN_INFO_PTR info) {
    int idx = -1;
    CK_RV rv = slot_gate(id, &idx, 0);
    if (rv != CKR_OK) return rv;
    rv = real->C_GetTokenInfo(id, info);
    if (rv == CKR_OK && idx >= 0) {
        pthread_mutex_lock(&lock);
        struct settings s = effective(idx);
        info->ulSessionCount = (CK_ULONG)slots[idx].open;
        if (s.max_sessions > 0) info->ulMaxSessionCount = (CK_ULONG)s.max_sessions;
        pthread_mutex_unlock(&lock);
    }
    return rv;
}

static CK_RV w_OpenSession(CK_SLOT_ID id, CK_FLAGS flags, void *app, CK_NOTIFY notify, CK_SESSION_HANDLE_PTR out) {
    int idx = -1;
    CK_RV rv = slot_gate(id, &idx, 1);
    if (rv != CKR_OK) return rv;
    pthread_mutex_lock(&lock);
    struct settings s = effective(idx);
    if (idx >= 0 && s.max_sessions > 0 && slots[idx].open >= s.max_sessions) {
        pthread_mutex_unlock(&lock);
        return CKR_SESSION_COUNT;
    }
    if (idx >= 0) slots[idx].open++;  // reserve before the real call
    pthread_mutex_unlock(&lock);
    rv = real->C_OpenSession(id, flags, app, notify, out);
    pthread_mutex_lock(&lock);
    if (rv == CKR_OK) table_insert(*out, idx);
    else if (idx >= 0) slots[idx].open--;
    pthread_mutex_unlock(&lock);
    return rv;
}

static CK_RV w_CloseSession(CK_SESSION_HANDLE session) {
    pthread_mutex_lock(&lock);
    int at = table_find(session);
    if (at < 0 || table[at].zombie || table[at].busy > 0) { pthread_mutex_unlock(&lock); return CKR_SESSION_HANDLE_INVALID; }
    int slot = table[at].slot;
    table_remove_at(at);
    if (slot >= 0) slots[slot].open--;
    pthread_mutex_unlock(&lock);
    return real->C_CloseSession(session);
}

static CK_RV w_CloseAllSessions(CK_SLOT_ID id) {
    pthread_mutex_lock(&lock);
    int idx = slot_index(id);
    if (idx >= 0) drop_sessions(idx);
    pthread_mutex_unlock(&lock);
    return CKR_OK;
}

static CK_RV w_GetSessionInfo(CK_SESSION_HANDLE session, CK_SESSION_INFO_PTR info) {
    SESSION_CALL(CALL_PLAIN, real->C_GetSessionInfo(session, info))
}
static CK_RV w_Login(CK_SESSION_HANDLE session, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG len) {
    SESSION_CALL(CALL_PLAIN, real->C_Login(session, user, pin, len))
}
static CK_RV w_Logout(CK_SESSION_HANDLE session) { SESSION_CALL(CALL_PLAIN, real->C_Logout(session)) }
static CK_RV w_InitPIN(CK_SESSION_HANDLE session, CK_UTF8CHAR_PTR pin, CK_ULONG len) {
    SESSION_CALL(CALL_PLAIN, real->C_InitPIN(session, pin, len))
}
static CK_RV w_CreateObject(CK_SESSION_HANDLE session, CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR o) {
    SESSION_CALL(CALL_PLAIN, real->C_CreateObject(session, t, n, o))
}
static CK_RV w_DestroyObject(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE o) {
    SESSION_CALL(CALL_PLAIN, real->C_DestroyObject(session, o))
}
static CK_RV w_GetAttributeValue(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t, CK_ULONG n) {
    SESSION_CALL(CALL_PLAIN, real->C_GetAttributeValue(session, o, t, n))
}
static CK_RV w_SetAttributeValue(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t, CK_ULONG n) {
    SESSION_CALL(CALL_PLAIN, real->C_SetAttributeValue(session, o, t, n))
}
static CK_RV w_FindObjectsInit(CK_SESSION_HANDLE session, CK_ATTRIBUTE_PTR t, CK_ULONG n) {
    SESSION_CALL(CALL_PLAIN, real->C_FindObjectsInit(session, t, n))
}
static CK_RV w_FindObjects(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE_PTR o, CK_ULONG max, CK_ULONG_PTR n) {
    SESSION_CALL(CALL_PLAIN, real->C_FindObjects(session, o, max, n))
}
static CK_RV w_FindObjectsFinal(CK_SESSION_HANDLE session) { SESSION_CALL(CALL_PLAIN, real->C_FindObjectsFinal(session)) }
static CK_RV w_SignInit(CK_SESSION_HANDLE session, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k) {
    SESSION_CALL(CALL_INIT, real->C_SignInit(session, m, k))
}
static CK_RV w_Sign(CK_SESSION_HANDLE session, CK_BYTE_PTR d, CK_ULONG dl, CK_BYTE_PTR s, CK_ULONG_PTR sl) {
    SESSION_CALL(CALL_OP, real->C_Sign(session, d, dl, s, sl))
}
static CK_RV w_EncryptInit(CK_SESSION_HANDLE session, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k) {
    SESSION_CALL(CALL_INIT, real->C_EncryptInit(session, m, k))
}
static CK_RV w_Encrypt(CK_SESSION_HANDLE session, CK_BYTE_PTR d, CK_ULONG dl, CK_BYTE_PTR o, CK_ULONG_PTR ol) {
    SESSION_CALL(CALL_OP, real->C_Encrypt(session, d, dl, o, ol))
}
static CK_RV w_DecryptInit(CK_SESSION_HANDLE session, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k) {
    SESSION_CALL(CALL_INIT, real->C_DecryptInit(session, m, k))
}
static CK_RV w_Decrypt(CK_SESSION_HANDLE session, CK_BYTE_PTR d, CK_ULONG dl, CK_BYTE_PTR o, CK_ULONG_PTR ol) {
    SESSION_CALL(CALL_OP, real->C_Decrypt(session, d, dl, o, ol))
}
static CK_RV w_DigestInit(CK_SESSION_HANDLE session, CK_MECHANISM_PTR m) {
    SESSION_CALL(CALL_PLAIN, real->C_DigestInit(session, m))
}
static CK_RV w_Digest(CK_SESSION_HANDLE session, CK_BYTE_PTR d, CK_ULONG dl, CK_BYTE_PTR o, CK_ULONG_PTR ol) {
    SESSION_CALL(CALL_PLAIN, real->C_Digest(session, d, dl, o, ol))
}
static CK_RV w_GenerateKey(CK_SESSION_HANDLE session, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR t, CK_ULONG n,
                           CK_OBJECT_HANDLE_PTR k) {
    SESSION_CALL(CALL_OP, real->C_GenerateKey(session, m, t, n, k))
}
static CK_RV w_GenerateKeyPair(CK_SESSION_HANDLE session, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR pt, CK_ULONG pn,
                               CK_ATTRIBUTE_PTR st, CK_ULONG sn, CK_OBJECT_HANDLE_PTR pk, CK_OBJECT_HANDLE_PTR sk) {
    SESSION_CALL(CALL_OP, real->C_GenerateKeyPair(session, m, pt, pn, st, sn, pk, sk))
}
static CK_RV w_DeriveKey(CK_SESSION_HANDLE session, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE base, CK_ATTRIBUTE_PTR t,
                         CK_ULONG n, CK_OBJECT_HANDLE_PTR k) {
    SESSION_CALL(CALL_OP, real->C_DeriveKey(session, m, base, t, n, k))
}
static CK_RV w_GenerateRandom(CK_SESSION_HANDLE session, CK_BYTE_PTR out, CK_ULONG len) {
    SESSION_CALL(CALL_PLAIN, real->C_GenerateRandom(session, out, len))
}

static CK_RV load_real(void) {
    if (loaded) return CKR_OK;
    const char *path = getenv("P11FAULT_MODULE");
    if (!path || !*path) path = "/usr/lib/softhsm/libsofthsm2.so";
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) return CKR_GENERAL_ERROR;
    CK_RV (*get)(CK_FUNCTION_LIST_PTR_PTR) = (CK_RV (*)(CK_FUNCTION_LIST_PTR_PTR))dlsym(handle, "C_GetFunctionList");
    CK_FUNCTION_LIST_PTR list = NULL;
    if (!get || get(&list) != CKR_OK || !list) return CKR_GENERAL_ERROR;
    real_copy = *list;
    real = &real_copy;
    ours = real_copy;  // everything not wrapped below forwards untouched
    ours.C_Initialize = w_Initialize;
    ours.C_Finalize = w_Finalize;
    ours.C_GetFunctionList = C_GetFunctionList;
    ours.C_GetTokenInfo = w_GetTokenInfo;
    ours.C_OpenSession = w_OpenSession;
    ours.C_CloseSession = w_CloseSession;
    ours.C_CloseAllSessions = w_CloseAllSessions;
    ours.C_GetSessionInfo = w_GetSessionInfo;
    ours.C_Login = w_Login;
    ours.C_Logout = w_Logout;
    ours.C_InitPIN = w_InitPIN;
    ours.C_CreateObject = w_CreateObject;
    ours.C_DestroyObject = w_DestroyObject;
    ours.C_GetAttributeValue = w_GetAttributeValue;
    ours.C_SetAttributeValue = w_SetAttributeValue;
    ours.C_FindObjectsInit = w_FindObjectsInit;
    ours.C_FindObjects = w_FindObjects;
    ours.C_FindObjectsFinal = w_FindObjectsFinal;
    ours.C_SignInit = w_SignInit;
    ours.C_Sign = w_Sign;
    ours.C_EncryptInit = w_EncryptInit;
    ours.C_Encrypt = w_Encrypt;
    ours.C_DecryptInit = w_DecryptInit;
    ours.C_Decrypt = w_Decrypt;
    ours.C_DigestInit = w_DigestInit;
    ours.C_Digest = w_Digest;
    ours.C_GenerateKey = w_GenerateKey;
    ours.C_GenerateKeyPair = w_GenerateKeyPair;
    ours.C_DeriveKey = w_DeriveKey;
    ours.C_GenerateRandom = w_GenerateRandom;
    loaded = 1;
    return CKR_OK;
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list) {
    if (!list) return CKR_ARGUMENTS_BAD;
    pthread_mutex_lock(&lock);
    CK_RV rv = load_real();
    pthread_mutex_unlock(&lock);
    if (rv != CKR_OK) return rv;
    *list = &ours;
    return CKR_OK;
}
