/* config.c -- reads the HAKMEM_* environment once at start-up into g_hak_config.
 *
 * Runs inside the first malloc (possibly before libc is fully up under LD_PRELOAD), so it uses
 * only the OS layer's allocation-free getenv and formats messages into stack buffers. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "os.h"

hak_config g_hak_config = {
#define HAK_HOT_GATE(name, env, fast, dflt, hard, doc) .name = (dflt),
#define HAK_COLD_GATE(name, env, kind, dflt, doc) .name = (dflt),
#define HAK_BUILD_GATE(name, fast, standard, hard, doc)
#include "configs/gates.def"
#undef HAK_HOT_GATE
#undef HAK_COLD_GATE
#undef HAK_BUILD_GATE
};

enum { KIND_BOOL, KIND_UINT, KIND_MS };

/* Per kind: the largest accepted number (numeric kinds) and the words a warning lists. A
 * millisecond gate stops at a minute: longer delays would keep freed memory from the OS for good. */
static const struct {
    uint32_t max;
    const char *accepted;
} k_kinds[] = {
    [KIND_BOOL] = {1, "0, 1, on, off, true, false, yes, no"},
    [KIND_UINT] = {64, "an integer 0..64"},
    [KIND_MS] = {60000, "milliseconds 0..60000"},
};

static void warn(const char *var, const char *value, const char *accepted) {
    char line[256];
    int n = snprintf(line, sizeof line,
                     "hakmem: warning: %s=\"%.40s\" is not valid (accepted: %s); using the default\n",
                     var, value, accepted);
    if (n > 0) hak_os_write(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static bool parse_bool(const char *s, uint32_t *out) {
    static const char *const yes[] = {"1", "on", "true", "yes"};
    static const char *const no[] = {"0", "off", "false", "no"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) return (*out = 1), true;
        if (strcasecmp(s, no[i]) == 0) return (*out = 0), true;
    }
    return false;
}

static bool parse_uint(const char *s, uint32_t max, uint32_t *out) {
    uint32_t v = 0;
    if (!*s) return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return false;
        v = v * 10 + (uint32_t)(*s - '0');
        if (v > max) return false;
    }
    *out = v;
    return true;
}

static void load_one(const char *var, int kind, uint32_t *field) {
    const char *s = hak_os_getenv(var);
    if (!s) return;
    bool ok = kind == KIND_BOOL ? parse_bool(s, field) : parse_uint(s, k_kinds[kind].max, field);
    if (!ok) warn(var, s, k_kinds[kind].accepted);
}

/* HAKMEM_PROFILE presets only move defaults; explicit variables are read afterwards and win. */
static void load_profile(void) {
    const char *s = hak_os_getenv("HAKMEM_PROFILE");
    if (!s || strcmp(s, "MIXED_TINYV3_C7_SAFE") == 0) return; /* the speed-first default */
    if (strcmp(s, "MIXED_TINYV3_C7_BALANCED") == 0) {
        g_hak_config.ss_mem_lean = 1;
        g_hak_config.ss_mem_lean_decommit = 0;
        return;
    }
    warn("HAKMEM_PROFILE", s, "MIXED_TINYV3_C7_SAFE, MIXED_TINYV3_C7_BALANCED");
}

static void print_gates(void) {
    char line[512];
    int n = snprintf(line, sizeof line, "hakmem: variant=%s\n", HAK_VARIANT_NAME);
    hak_os_write(2, line, (size_t)n);
#define HAK_HOT_GATE(name, env, fast, dflt, hard, doc)                                        \
    n = snprintf(line, sizeof line, "hakmem: gate %-22s = %u  (hot, %s, env %s)\n", #name,     \
                 (unsigned)hak_gate_##name(), HAK_HOT_GATES_CONSTANT ? "compile-time" : "run-time", \
                 env);                                                                         \
    hak_os_write(2, line, (size_t)n);
#define HAK_COLD_GATE(name, env, kind, dflt, doc)                                             \
    n = snprintf(line, sizeof line, "hakmem: gate %-22s = %u  (cold, env %s)\n", #name,         \
                 (unsigned)g_hak_config.name, env);                                            \
    hak_os_write(2, line, (size_t)n);
#define HAK_BUILD_GATE(name, fast, standard, hard, doc)                                       \
    n = snprintf(line, sizeof line, "hakmem: gate %-22s = %u  (build, fixed per variant)\n", #name, \
                 (unsigned)hak_gate_##name());                                                 \
    hak_os_write(2, line, (size_t)n);
#include "configs/gates.def"
#undef HAK_HOT_GATE
#undef HAK_COLD_GATE
#undef HAK_BUILD_GATE
}

void hak_config_load(void) {
    load_profile();
#if HAK_HOT_GATES_CONSTANT
#define HAK_HOT_GATE(name, env, fast, dflt, hard, doc) \
    g_hak_config.name = HAK_HOT_GATE_CONSTANT_VALUE(fast, hard);
#else
#define HAK_HOT_GATE(name, env, fast, dflt, hard, doc) load_one(env, KIND_BOOL, &g_hak_config.name);
#endif
#define HAK_COLD_GATE(name, env, kind, dflt, doc) load_one(env, KIND_##kind, &g_hak_config.name);
#define HAK_BUILD_GATE(name, fast, standard, hard, doc)
#include "configs/gates.def"
#undef HAK_HOT_GATE
#undef HAK_COLD_GATE
#undef HAK_BUILD_GATE
    if (g_hak_config.verbose) print_gates();
}
