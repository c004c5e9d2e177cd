/* env_test.c -- HAKMEM_* variables, read at start-up: each case re-executes /proc/self/exe --child
 * with its own environment and checks the output: silence by default, HAKMEM_VERBOSE=1 lists every
 * gate of configs/gates.def, bad values warn once and keep the default, profiles, the
 * [SS_OS_STATS] exit line, HAKMEM_FORCE_LIBC_ALLOC=1 serving blocks from glibc. */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hakmem.h"
#include "hakmem/tests/allocator_probe.h"
#include "hakmem/tests/check.h"

extern char **environ;

#define HAK_HOT_GATE(name, env, fast_value, default_value, hardened_value, doc) {#name, env},
#define HAK_COLD_GATE(name, env, kind, default_value, doc) {#name, env},
#define HAK_BUILD_GATE(name, fast_value, standard_value, hardened_value, doc) /* no env var */
static const struct {
    const char *name, *env;
} kGates[] = {
#include "configs/gates.def"
};

/* ---- child side ------------------------------------------------------------------------------ */
static int child_work(void) {
    for (int i = 0; i < 20000; i++) {
        size_t n = 16 + (size_t)(i * 37) % 3000;
        unsigned char *p = malloc(n);
        if (!p) return 2;
        memset(p, i & 0xff, n);
        free(p);
    }
    char *big = malloc((size_t)64 << 20);
    if (!big) return 3;
    big[0] = big[((size_t)64 << 20) - 1] = 1;
    free(big);
    hak_os_stats s;
    hak_os_stats_get(&s);
    printf("ok child_huge=%llu child_mmap=%llu\n", (unsigned long long)s.huge_alloc,
           (unsigned long long)s.mmap_calls);
    return 0;
}

/* Many live blocks (about 60 MiB, some 4 MiB ones): hakmem must map memory for them, glibc
 * (FORCE_LIBC_ALLOC) must not make hakmem map anything. */
static int child_libc(void) {
    enum { N = 60000, BIG = 8 };
    static void *blk[N + BIG];
    free(malloc(100)); /* start-up done before the baseline */
    hak_os_stats a, b;
    hak_os_stats_get(&a);
    int usable_bad = 0;
    for (int i = 0; i < N + BIG; i++) {
        size_t n = i < N ? 16 + (size_t)(i * 131) % 2033 : (size_t)4 << 20;
        blk[i] = malloc(n);
        if (!blk[i]) return 2;
        size_t u = malloc_usable_size(blk[i]);
        if (u < n) usable_bad++;
        memset(blk[i], 0x3c, u < n ? n : u);
    }
    hak_os_stats_get(&b);
    for (int i = 0; i < N + BIG; i++) free(blk[i]);
    printf("ok mmap=%llu superslab=%llu huge=%llu usable_bad=%d\n",
           (unsigned long long)(b.mmap_calls - a.mmap_calls),
           (unsigned long long)(b.superslab_alloc - a.superslab_alloc),
           (unsigned long long)(b.huge_alloc - a.huge_alloc), usable_bad);
    return 0;
}

/* ---- parent side ----------------------------------------------------------------------------- */
typedef struct {
    int status;
    char out[4096];
    char err[16384];
} result_t;

/* Runs `/proc/self/exe --child scenario` with environ minus HAKMEM_* plus `vars` (NULL-ended). */
static void run(result_t *res, const char *scenario, const char *const *vars) {
    const char *envp[512];
    size_t k = 0;
    for (char **e = environ; *e && k < 400; e++)
        if (strncmp(*e, "HAKMEM_", 7) != 0) envp[k++] = *e;
    for (; vars && *vars; vars++) envp[k++] = *vars;
    envp[k] = NULL;
    int po[2], pe[2];
    CHECK(pipe(po) == 0 && pipe(pe) == 0);
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        dup2(po[1], 1);
        dup2(pe[1], 2);
        close(po[0]), close(pe[0]), close(po[1]), close(pe[1]);
        char *argv[] = {"env_test", "--child", (char *)scenario, NULL};
        execve("/proc/self/exe", argv, (char **)envp);
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    struct pollfd pf[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
    char *buf[2] = {res->out, res->err};
    size_t cap[2] = {sizeof res->out - 1, sizeof res->err - 1}, len[2] = {0, 0};
    int open_fds = 2;
    while (open_fds > 0) {
        CHECK(poll(pf, 2, 30000) > 0);
        for (int i = 0; i < 2; i++) {
            if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP))) continue;
            char tmp[4096];
            ssize_t r = read(pf[i].fd, tmp, sizeof tmp);
            if (r <= 0) {
                close(pf[i].fd);
                pf[i].fd = -1;
                open_fds--;
                continue;
            }
            size_t take = (size_t)r < cap[i] - len[i] ? (size_t)r : cap[i] - len[i];
            memcpy(buf[i] + len[i], tmp, take);
            len[i] += take;
        }
    }
    res->out[len[0]] = res->err[len[1]] = 0;
    CHECK(waitpid(pid, &res->status, 0) == pid);
}

static int exited_ok(const result_t *r) {
    return WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0 &&
           (strncmp(r->out, "ok ", 3) == 0 || strstr(r->out, "\nok ") != NULL);
}

static int count_lines(const char *s) {
    int n = 0;
    for (const char *l = s; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l))
        if (*l != '\n') n++;
    return n;
}

static int is_word_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Whether `word` occurs in s as a whole word (not inside a longer identifier). */
static int has_word(const char *s, const char *word) {
    size_t n = strlen(word);
    for (const char *p = strstr(s, word); p; p = strstr(p + 1, word))
        if ((p == s || !is_word_char(p[-1])) && !is_word_char(p[n])) return 1;
    return 0;
}

/* Value of " field=" (or "field=" at line start) within line, or -1. */
static long long field(const char *line, const char *name) {
    size_t n = strlen(name);
    for (const char *p = strstr(line, name); p; p = strstr(p + 1, name))
        if ((p == line || p[-1] == ' ') && p[n] == '=' && p[n + 1] >= '0' && p[n + 1] <= '9')
            return strtoll(p + n + 1, NULL, 10);
    return -1;
}

/* Whether a and b hold the same lines (in order), ignoring lines that contain `skip`:
 * compares HAKMEM_VERBOSE=1 configuration dumps without knowing their format. */
static const char *skip_lines(const char *s, const char *skip) {
    while (*s && skip) {
        size_t len = strcspn(s, "\n");
        char line[1024];
        snprintf(line, sizeof line, "%.*s", (int)len, s);
        if (!strstr(line, skip)) break;
        s += len + (s[len] == '\n');
    }
    return s;
}

static int same_config(const char *a, const char *b, const char *skip) {
    for (;;) {
        a = skip_lines(a, skip);
        b = skip_lines(b, skip);
        if (!*a || !*b) return !*a && !*b;
        size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");
        if (la != lb || memcmp(a, b, la) != 0) return 0;
        a += la + (a[la] == '\n');
        b += lb + (b[lb] == '\n');
    }
}

/* The HAKMEM_VERBOSE=1 dump of the default configuration (filled by test_verbose). */
static char default_config[16384];

/* Runs with HAKMEM_VERBOSE=1 plus `vars`; whether the dump (minus lines containing `skip`)
 * equals the default configuration's. */
static int config_is_default(const char *const *vars, const char *skip) {
    const char *all[8] = {"HAKMEM_VERBOSE=1"};
    int k = 1;
    for (; vars && *vars && k < 7; vars++) all[k++] = *vars;
    all[k] = NULL;
    result_t r;
    run(&r, "work", all);
    EXPECTF(exited_ok(&r), "verbose run with %s: status 0x%x", all[1], r.status);
    return same_config(default_config, r.err, skip);
}

static void test_silent_default(void) {
    result_t r;
    run(&r, "work", NULL);
    EXPECTF(exited_ok(&r), "plain run: status 0x%x, stdout %s", r.status, r.out);
    EXPECTF(r.err[0] == 0, "plain run printed to stderr: %.300s", r.err);
}

static void test_verbose(void) {
    result_t r;
    const char *vars[] = {"HAKMEM_VERBOSE=1", NULL};
    run(&r, "work", vars);
    EXPECT(exited_ok(&r));
    snprintf(default_config, sizeof default_config, "%s", r.err);
    EXPECTF(has_word(r.err, hak_variant_name()), "VERBOSE: no variant name in: %.300s",
            r.err);
    for (size_t i = 0; i < sizeof kGates / sizeof kGates[0]; i++)
        EXPECTF(has_word(r.err, kGates[i].name) || has_word(r.err, kGates[i].env),
                "HAKMEM_VERBOSE=1 does not mention gate %s (%s)", kGates[i].name, kGates[i].env);
}

/* A bad value: one stderr line naming the variable and the accepted values, default kept. */
static void test_bad_value(const char *assign, const char *var, const char *const *accepted) {
    result_t r;
    const char *vars[] = {assign, NULL};
    run(&r, "work", vars);
    EXPECTF(exited_ok(&r), "%s: status 0x%x, stdout %s", assign, r.status, r.out);
    EXPECTF(count_lines(r.err) == 1, "%s: want exactly one stderr line, got: %.400s", assign,
            r.err);
    EXPECTF(strstr(r.err, var) != NULL, "%s: warning does not name %s: %.300s", assign, var,
            r.err);
    for (; *accepted; accepted++)
        EXPECTF(strstr(r.err, *accepted) != NULL, "%s: warning lacks accepted value '%s': %.300s",
                assign, *accepted, r.err);
    printf("%s -> %.*s\n", assign, (int)strcspn(r.err, "\n"), r.err);
    const char *bad_value = strchr(assign, '=') + 1;
    EXPECTF(config_is_default(vars, bad_value),
            "%s: the HAKMEM_VERBOSE=1 configuration differs from the default one", assign);
}

/* Valid settings must change the configuration; an explicit variable beats the profile. */
static void test_settings_take_effect(void) {
    const char *pool[] = {"HAKMEM_SS_WARM_POOL=7", NULL};
    EXPECTF(!config_is_default(pool, NULL), "HAKMEM_SS_WARM_POOL=7 changed nothing");
    const char *lean[] = {"HAKMEM_SS_MEM_LEAN=yes", NULL};
    EXPECTF(!config_is_default(lean, NULL), "HAKMEM_SS_MEM_LEAN=yes changed nothing");
    const char *balanced[] = {"HAKMEM_PROFILE=MIXED_TINYV3_C7_BALANCED", NULL};
    EXPECTF(!config_is_default(balanced, "MIXED_TINYV3_C7_BALANCED"),
            "profile MIXED_TINYV3_C7_BALANCED changed nothing");
    const char *safe[] = {"HAKMEM_PROFILE=MIXED_TINYV3_C7_SAFE", NULL};
    EXPECTF(config_is_default(safe, "MIXED_TINYV3_C7_SAFE"),
            "profile MIXED_TINYV3_C7_SAFE (the default) changed the configuration");
    const char *overridden[] = {"HAKMEM_PROFILE=MIXED_TINYV3_C7_BALANCED",
                                "HAKMEM_SS_MEM_LEAN=0", "HAKMEM_SS_MEM_LEAN_DECOMMIT=1", NULL};
    EXPECTF(config_is_default(overridden, "MIXED_TINYV3_C7_BALANCED"),
            "explicit HAKMEM_SS_MEM_LEAN=0/_DECOMMIT=1 did not override the BALANCED profile");
}

static void test_accepted_silently(const char *assign) {
    result_t r;
    const char *vars[] = {assign, NULL};
    run(&r, "work", vars);
    EXPECTF(exited_ok(&r), "%s: status 0x%x", assign, r.status);
    EXPECTF(r.err[0] == 0, "%s: stderr not empty: %.300s", assign, r.err);
}

static void test_os_stats_line(void) {
    static const char *const fields[] = {"alloc", "free", "madvise", "madvise_enomem",
        "madvise_other", "madvise_disabled", "mmap_total", "fallback_mmap", "huge_alloc",
        "huge_fail"};
    result_t r;
    const char *vars[] = {"HAKMEM_SS_OS_STATS=1", NULL};
    run(&r, "work", vars);
    EXPECT(exited_ok(&r));
    const char *line = NULL;
    int found = 0;
    for (int i = 0; i < 2; i++) { /* the line may go to either stream */
        const char *s = i ? r.err : r.out;
        for (const char *p = strstr(s, "[SS_OS_STATS] alloc="); p;
             p = strstr(p + 1, "[SS_OS_STATS] alloc="))
            if (p == s || p[-1] == '\n') line = p, found++;
    }
    EXPECTF(found == 1, "want one line starting '[SS_OS_STATS] alloc=', found %d; stderr: %.300s",
            found, r.err);
    if (!line) return;
    char l[1024];
    snprintf(l, sizeof l, "%.*s", (int)strcspn(line, "\n"), line);
    printf("%s\n", l);
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        EXPECTF(field(l, fields[i]) >= 0, "no numeric field %s= in: %s", fields[i], l);
    /* The child's own reading (a missing field reads -1, so each is first required present and
     * positive): its 64 MiB malloc is one huge allocation at least, and the exit line, printed
     * later, can only have counted more. */
    long long huge = field(r.out, "child_huge"), mm = field(r.out, "child_mmap");
    EXPECTF(huge >= 1, "child_huge=%lld after a 64 MiB malloc: %s", huge, r.out);
    EXPECTF(mm >= 1, "child_mmap=%lld: hakmem mapped nothing: %s", mm, r.out);
    EXPECTF(field(l, "huge_alloc") >= huge && huge >= 1, "huge_alloc in line < %lld from hak_os_stats", huge);
    EXPECTF(field(l, "mmap_total") >= mm && mm >= 1,
            "mmap_total in line < mmap_calls %lld from hak_os_stats", mm);
}

static void test_force_libc(void) {
    result_t r;
    run(&r, "libc", NULL);
    EXPECT(exited_ok(&r));
    printf("hakmem: %s", r.out);
    EXPECTF(field(r.out, "mmap") >= 0 && field(r.out, "superslab") >= 0 && field(r.out, "huge") >= 0 &&
                field(r.out, "mmap") + field(r.out, "superslab") + field(r.out, "huge") > 0,
            "control run: 60 MiB of live blocks made hakmem map nothing: %s", r.out);
    EXPECT(field(r.out, "usable_bad") == 0);
    const char *vars[] = {"HAKMEM_FORCE_LIBC_ALLOC=1", NULL};
    run(&r, "libc", vars);
    printf("FORCE_LIBC_ALLOC=1: %s", r.out);
    EXPECTF(exited_ok(&r), "FORCE_LIBC_ALLOC=1: status 0x%x, stderr %.300s", r.status, r.err);
    EXPECTF(field(r.out, "mmap") == 0 && field(r.out, "superslab") == 0 &&
                field(r.out, "huge") == 0,
            "FORCE_LIBC_ALLOC=1 still maps through hakmem: %s", r.out);
    EXPECT(field(r.out, "usable_bad") == 0);
    EXPECTF(r.err[0] == 0, "FORCE_LIBC_ALLOC=1: stderr %.300s", r.err);
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--child") == 0) {
        if (strcmp(argv[2], "work") == 0) return child_work();
        if (strcmp(argv[2], "libc") == 0) return child_libc();
        return 100;
    }
    expect_hakmem_allocator();
    test_silent_default();
    test_verbose();
    static const char *const bool_vals[] = {"0", "1", NULL};
    static const char *const uint_vals[] = {"0", "64", NULL};
    static const char *const profiles[] = {"MIXED_TINYV3_C7_SAFE", "MIXED_TINYV3_C7_BALANCED",
                                           NULL};
    test_bad_value("HAKMEM_SS_MEM_LEAN=banana", "HAKMEM_SS_MEM_LEAN", bool_vals);
    test_bad_value("HAKMEM_SS_WARM_POOL=-3", "HAKMEM_SS_WARM_POOL", uint_vals);
    test_bad_value("HAKMEM_PROFILE=NOPE", "HAKMEM_PROFILE", profiles);
    static const char *const ms_vals[] = {"milliseconds", "60000", NULL};
    test_bad_value("HAKMEM_HUGE_PURGE_MS=60001", "HAKMEM_HUGE_PURGE_MS", ms_vals);
    test_bad_value("HAKMEM_HUGE_CACHE_PCT=65", "HAKMEM_HUGE_CACHE_PCT", uint_vals);
    test_bad_value("HAKMEM_HUGE_THP=maybe", "HAKMEM_HUGE_THP", bool_vals);
    test_accepted_silently("HAKMEM_PROFILE=MIXED_TINYV3_C7_BALANCED");
    test_accepted_silently("HAKMEM_PROFILE=MIXED_TINYV3_C7_SAFE");
    test_accepted_silently("HAKMEM_SS_MEM_LEAN=on");
    test_accepted_silently("HAKMEM_SS_MEM_LEAN_DECOMMIT=OFF");
    test_accepted_silently("HAKMEM_SS_WARM_POOL=0");
    test_accepted_silently("HAKMEM_HUGE_PURGE_MS=60000");
    test_settings_take_effect();
    test_os_stats_line();
    test_force_libc();
    return check_summary();
}
