/* Implementation of bench_common.h: parameter parsing and validation (exit 2 with a clear message),
 * clocks, RSS readers, allocator detection (weak hak_* symbol or dlsym for preloaded libraries)
 * and the RESULT line. */
#define _GNU_SOURCE
#include "bench_common.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* Present only when hakmem is linked in; resolved by dlsym when it is preloaded instead. */
extern const char *hak_variant_name(void) __attribute__((weak));

static void print_usage(FILE *out, const char *workload, const char *summary,
                        const bench_param *params, size_t count) {
    fprintf(out, "usage: [NAME=VALUE ...] %s\n%s\n", workload, summary);
    fprintf(out, "Parameters are environment variables (decimal integers); no arguments except --help.\n");
    for (size_t i = 0; i < count; i++) {
        fprintf(out, "  %-13s %s (default %llu, range %llu..%llu)\n", params[i].name, params[i].help,
                (unsigned long long)params[i].default_value,
                (unsigned long long)params[i].min_value, (unsigned long long)params[i].max_value);
    }
    fprintf(out, "Output: one line 'RESULT workload=%s allocator=.. ops=.. seconds=.. ops_per_sec=.. "
                 "peak_rss_kb=.. ...' on stdout; exit 2 on bad input, 3 on allocator failure.\n",
            workload);
}

void bench_usage_error(const char *workload, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "%s: error: ", workload);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n%s: run '%s --help' for the parameters\n", workload, workload);
    exit(BENCH_EXIT_USAGE);
}

void bench_allocator_failure(const char *workload, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "%s: allocator failure: ", workload);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    exit(BENCH_EXIT_ALLOCATOR);
}

/* Strict decimal: digits only (no sign, spaces, hex or suffix), no overflow. */
static int parse_decimal(const char *text, uint64_t *out) {
    if (text[0] == '\0') return 0;
    uint64_t value = 0;
    for (const char *c = text; *c; c++) {
        if (*c < '0' || *c > '9') return 0;
        uint64_t digit = (uint64_t)(*c - '0');
        if (value > (UINT64_MAX - digit) / 10) return 0;
        value = value * 10 + digit;
    }
    *out = value;
    return 1;
}

void bench_parse_params(const char *workload, const char *summary, int argc, char **argv,
                        const bench_param *params, size_t count, uint64_t *values) {
    if (argc > 1) {
        if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
            print_usage(stdout, workload, summary, params, count);
            exit(0);
        }
        fprintf(stderr, "%s: error: unexpected argument '%s': parameters are environment variables\n",
                workload, argv[1]);
        print_usage(stderr, workload, summary, params, count);
        exit(BENCH_EXIT_USAGE);
    }
    for (size_t i = 0; i < count; i++) {
        const bench_param *p = &params[i];
        const char *text = getenv(p->name);
        if (text == NULL) {
            values[i] = p->default_value;
            continue;
        }
        uint64_t value;
        if (!parse_decimal(text, &value)) {
            bench_usage_error(workload, "%s='%s' is not a decimal integer (expected %llu..%llu)",
                              p->name, text, (unsigned long long)p->min_value,
                              (unsigned long long)p->max_value);
        }
        if (value < p->min_value || value > p->max_value) {
            bench_usage_error(workload, "%s=%llu is out of range (expected %llu..%llu)", p->name,
                              (unsigned long long)value, (unsigned long long)p->min_value,
                              (unsigned long long)p->max_value);
        }
        values[i] = value;
    }
}

double bench_now_sec(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Reads a small /proc file with read(2) into buf (stdio would allocate inside the measured heap). */
static int read_proc_file(const char *path, char *buf, size_t cap) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = '\0';
    return 1;
}

long bench_ru_maxrss_kb(void) {
    struct rusage usage;
    if (getrusage(RUSAGE_SELF, &usage) != 0) return -1;
    return usage.ru_maxrss;
}

/* VmHWM, not ru_maxrss: the kernel folds the pre-exec image's high-water mark into ru_maxrss, so
 * a workload started by a 20 MB Python runner would report >= 20 MB whatever the allocator did. */
long bench_peak_rss_kb(void) {
    char buf[4096];
    if (read_proc_file("/proc/self/status", buf, sizeof buf)) {
        const char *line = strstr(buf, "VmHWM:");
        if (line != NULL) return strtol(line + 6, NULL, 10);
    }
    return bench_ru_maxrss_kb();
}

long bench_current_rss_kb(void) {
    char buf[128];
    if (!read_proc_file("/proc/self/statm", buf, sizeof buf)) return -1;
    char *end = NULL;
    (void)strtoul(buf, &end, 10); /* first field: total program size */
    unsigned long resident_pages = strtoul(end, NULL, 10);
    return (long)(resident_pages * (unsigned long)sysconf(_SC_PAGESIZE) / 1024);
}

const char *bench_allocator_name(void) {
    static char name[64];
    const char *(*variant)(void) = hak_variant_name;
    if (variant == NULL) variant = (const char *(*)(void))dlsym(RTLD_DEFAULT, "hak_variant_name");
    if (variant != NULL) {
        snprintf(name, sizeof name, "hakmem-%s", variant());
        return name;
    }
    if (dlsym(RTLD_DEFAULT, "mi_version") != NULL) return "mimalloc";
    if (dlsym(RTLD_DEFAULT, "mallctl") != NULL) return "jemalloc";
    if (dlsym(RTLD_DEFAULT, "tc_malloc") != NULL) return "tcmalloc"; /* gperftools */
    return "glibc";
}

void bench_print_result(const char *workload, uint64_t ops, double seconds, const char *extra) {
    double rate = seconds > 0 ? (double)ops / seconds : 0.0;
    printf("RESULT workload=%s allocator=%s ops=%llu seconds=%.9f ops_per_sec=%.0f peak_rss_kb=%ld "
           "ru_maxrss_kb=%ld%s%s\n",
           workload, bench_allocator_name(), (unsigned long long)ops, seconds, rate, bench_peak_rss_kb(),
           bench_ru_maxrss_kb(), (extra && extra[0]) ? " " : "", extra ? extra : "");
    fflush(stdout);
}
