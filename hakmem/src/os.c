/* os.c -- the OS layer: every mmap/munmap/mremap/madvise and every environment read of hakmem
 * happens here (hakmem/tests/os_layer_test checks that no other file does), and the clock the
 * huge cache's purge delay runs on is read here. Each memory call is counted in relaxed atomics:
 * cheap, always on, the basis of the [SS_OS_STATS] line. */
#define _GNU_SOURCE
#include "os.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <string.h>
#include <linux/membarrier.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

extern char **environ;

bool hak_os_membarrier_register(void) {
    return syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
}

void hak_os_membarrier(void) { syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0); }

static struct {
    _Atomic uint64_t mmap_calls, mmap_failures, munmap_calls, madvise_calls, madvise_enomem,
        madvise_other, madvise_disabled, mremap_calls, superslab_alloc, superslab_free, huge_alloc,
        huge_fail, mincore_calls, fault_reads;
} g_os;

#define COUNT(field) atomic_fetch_add_explicit(&g_os.field, 1, memory_order_relaxed)

static void *map_raw(size_t size, int extra_flags) {
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | extra_flags,
                   -1, 0);
    if (p == MAP_FAILED) {
        COUNT(mmap_failures);
        return NULL;
    }
    COUNT(mmap_calls);
    return p;
}

void *hak_os_map(size_t size, size_t alignment) {
    if (alignment <= HAK_PAGE_SIZE) return map_raw(size, 0);
    /* Over-map by the alignment, then trim both ends: the only portable way to get alignment
     * from mmap. Costs up to two munmap calls, counted like any other. */
    size_t span = size + alignment;
    if (span < size) return NULL;
    char *raw = map_raw(span, MAP_NORESERVE);
    if (!raw) return NULL;
    uintptr_t start = ((uintptr_t)raw + alignment - 1) & ~(uintptr_t)(alignment - 1);
    size_t head = start - (uintptr_t)raw;
    size_t tail = span - head - size;
    if (head) hak_os_unmap(raw, head);
    if (tail) hak_os_unmap((char *)start + size, tail);
    return (void *)start;
}

void hak_os_unmap(void *addr, size_t size) {
    if (munmap(addr, size) == 0) COUNT(munmap_calls);
}

void *hak_os_remap(void *addr, size_t old_size, size_t new_size) {
    void *p = mremap(addr, old_size, new_size, MREMAP_MAYMOVE);
    if (p == MAP_FAILED) return NULL;
    COUNT(mremap_calls);
    return p;
}

/* One madvise, counted by outcome (EINVAL for MADV_HUGEPAGE: a kernel without transparent huge
 * pages, counted as "other"). */
static void advise(void *addr, size_t size, int advice) {
    if (madvise(addr, size, advice) == 0) {
        COUNT(madvise_calls);
    } else if (errno == ENOMEM) {
        COUNT(madvise_enomem);
    } else {
        COUNT(madvise_other);
    }
}

void hak_os_advise_huge_pages(void *addr, size_t size) { advise(addr, size, MADV_HUGEPAGE); }

void hak_os_decommit(void *addr, size_t size) { advise(addr, size, MADV_DONTNEED); }

size_t hak_os_resident_bytes(void *addr, size_t size) {
    unsigned char vec[4096]; /* one byte per page: 16 MiB per mincore call */
    size_t resident = 0;
    for (size_t off = 0; off < size; off += sizeof vec * HAK_PAGE_SIZE) {
        size_t chunk = size - off;
        if (chunk > sizeof vec * HAK_PAGE_SIZE) chunk = sizeof vec * HAK_PAGE_SIZE;
        if (mincore((char *)addr + off, chunk, vec) != 0) return size; /* unknown: assume all */
        COUNT(mincore_calls);
        size_t pages = (chunk + HAK_PAGE_SIZE - 1) / HAK_PAGE_SIZE;
        for (size_t i = 0; i < pages; i++) resident += (size_t)(vec[i] & 1u) * HAK_PAGE_SIZE;
    }
    return resident;
}

uint64_t hak_os_fault_count(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return UINT64_MAX; /* unknown: no bound */
    COUNT(fault_reads);
    return (uint64_t)ru.ru_minflt + (uint64_t)ru.ru_majflt;
}

bool hak_os_thp_always(void) {
    static _Atomic int cached = -1; /* every thread that reads it first computes the same answer */
    int always = atomic_load_explicit(&cached, memory_order_relaxed);
    if (always < 0) {
        char buf[128] = {0};
        int fd = open("/sys/kernel/mm/transparent_hugepage/enabled", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            ssize_t n = read(fd, buf, sizeof buf - 1);
            if (n < 0) buf[0] = 0;
            close(fd);
        }
        always = strstr(buf, "[always]") != NULL;
        atomic_store_explicit(&cached, always, memory_order_relaxed);
    }
    return always;
}

uint64_t hak_os_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void hak_os_note_decommit_disabled(void) { COUNT(madvise_disabled); }
void hak_os_note_superslab(bool allocated) {
    if (allocated) COUNT(superslab_alloc);
    else COUNT(superslab_free);
}
void hak_os_note_huge(bool ok) {
    if (ok) COUNT(huge_alloc);
    else COUNT(huge_fail);
}

/* The environment the process started with, read from /proc/self/environ, for a first call made
 * before libc's start-up has set `environ`: a sanitizer runtime's preinit_array function calls
 * dlsym, which allocates, so hakmem initialises (and reads its settings) before libc does. Read
 * once into an anonymous mapping that lives as long as the process (returned values point into
 * it); an environment larger than the mapping keeps what fits, entries whole. */
#define BOOT_ENV_MAX ((size_t)2 << 20) /* far above what execve accepts in practice (ARG_MAX) */
static const char *g_boot_env;
static size_t g_boot_env_len;

static void load_boot_env(void) {
    int fd = open("/proc/self/environ", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    char *buf = map_raw(BOOT_ENV_MAX, MAP_NORESERVE);
    size_t len = 0;
    if (buf) {
        for (ssize_t n; len < BOOT_ENV_MAX && (n = read(fd, buf + len, BOOT_ENV_MAX - len)) != 0;) {
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) break;
            len += (size_t)n;
        }
        while (len > 0 && buf[len - 1] != '\0') len--; /* a cut-off last entry is dropped */
        g_boot_env = buf;
        g_boot_env_len = len;
    }
    close(fd);
}

static const char *boot_getenv(const char *name, size_t len) {
    if (!g_boot_env) load_boot_env();
    for (size_t at = 0; at < g_boot_env_len; at += strlen(g_boot_env + at) + 1) {
        const char *e = g_boot_env + at;
        if (strncmp(e, name, len) == 0 && e[len] == '=') return e + len + 1;
    }
    return NULL;
}

const char *hak_os_getenv(const char *name) {
    size_t len = strlen(name);
    if (!environ) return boot_getenv(name, len);
    for (char **e = environ; *e; e++) {
        if (strncmp(*e, name, len) == 0 && (*e)[len] == '=') return *e + len + 1;
    }
    return NULL;
}

uint64_t hak_os_random_seed(unsigned which) {
    const unsigned char *r = (const unsigned char *)getauxval(AT_RANDOM);
    uint64_t seed = 0x9e3779b97f4a7c15ull * (which + 1);
    if (r) memcpy(&seed, r + 8 * (which & 1u), sizeof seed);
    return seed | 1u;
}

void hak_os_write(int fd, const char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) continue;
            return;
        }
        buf += n;
        len -= (size_t)n;
    }
}

void hak_os_stats_get(hak_os_stats *out) {
#define LOAD(field) out->field = atomic_load_explicit(&g_os.field, memory_order_relaxed)
    LOAD(mmap_calls);
    LOAD(mmap_failures);
    LOAD(munmap_calls);
    LOAD(madvise_calls);
    LOAD(madvise_enomem);
    LOAD(madvise_other);
    LOAD(madvise_disabled);
    LOAD(mremap_calls);
    LOAD(superslab_alloc);
    LOAD(superslab_free);
    LOAD(huge_alloc);
    LOAD(huge_fail);
    LOAD(mincore_calls);
    LOAD(fault_reads);
#undef LOAD
}
