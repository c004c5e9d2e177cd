/* process_memory.h -- what the tests read about the process's own memory: resident bytes from
 * /proc/self/statm and hakmem's OS-call counters, shared by the huge and thread tests. */
#ifndef HAKMEM_TESTS_PROCESS_MEMORY_H
#define HAKMEM_TESTS_PROCESS_MEMORY_H

#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include "hakmem.h"

/* Resident bytes into *out; false if statm could not be read (*out is then 0). */
static inline bool read_rss_bytes(size_t *out) {
    unsigned long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    bool ok = f && fscanf(f, "%lu %lu", &size, &resident) == 2;
    if (f) fclose(f);
    *out = ok ? (size_t)resident * (size_t)sysconf(_SC_PAGESIZE) : 0;
    return ok;
}

static inline hak_os_stats os_stats_now(void) {
    hak_os_stats s;
    hak_os_stats_get(&s);
    return s;
}

#endif /* HAKMEM_TESTS_PROCESS_MEMORY_H */
