/* oom_test.c -- out of memory: in forked children under setrlimit(RLIMIT_AS) (the current address
 * space + 192 MiB; hakmem's 64 MiB region map is .bss, already counted), allocate until NULL with
 * huge, medium, small and aligned blocks: NULL with errno ENOMEM (posix_memalign: ENOMEM), live
 * blocks intact, and after freeing half the process allocates again and exits cleanly. */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hakmem.h"
#include "hakmem/tests/allocator_probe.h"
#include "hakmem/tests/check.h"
#include "hakmem/tests/pattern.h"

enum { MAX_BLOCKS = 1 << 21 };
static void *g_block[MAX_BLOCKS]; /* .bss: counted in the address space before the limit is set */
static size_t g_size[MAX_BLOCKS];

/* Virtual size of this process in bytes (VmSize of /proc/self/status). */
static size_t vm_size(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    size_t kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmSize: %zu kB", &kb) == 1) break;
    if (f) fclose(f);
    return kb * 1024;
}

typedef enum { K_MALLOC, K_CALLOC, K_MEMALIGN, K_POSIX_MEMALIGN, K_REALLOC } kind_t;

/* One allocation of the given kind; on NULL checks the error report (errno / return code). */
static void *alloc_one(kind_t kind, size_t size, size_t i) {
    void *p = NULL;
    errno = 0;
    switch (kind) {
    case K_MALLOC: p = malloc(size); break;
    case K_CALLOC: p = calloc(1, size); break;
    case K_MEMALIGN: p = memalign(4096, size); break;
    case K_REALLOC: p = realloc(NULL, size); break;
    case K_POSIX_MEMALIGN: {
        int rc = posix_memalign(&p, 256, size);
        CHECKF(rc == 0 || (rc == ENOMEM && p == NULL), "posix_memalign returned %d", rc);
        errno = rc;
        break;
    }
    }
    CHECKF(p || errno == ENOMEM, "NULL with errno %d, not ENOMEM (size %zu)", errno, size);
    if (p) {
        CHECK(kind != K_CALLOC || zero_check(p, size) < 0);
        pattern_fill(p, size, pattern_key(i, size));
    }
    return p;
}

static void verify(size_t n) {
    for (size_t i = 0; i < n; i++)
        if (g_block[i])
            CHECKF(pattern_check(g_block[i], g_size[i], pattern_key(i, g_size[i])) < 0,
                   "block %zu (%zu bytes) corrupted", i, g_size[i]);
}

/* The child: exhaust memory with `size`-byte blocks of `kind`, then free half and go on. */
static void exhaust(kind_t kind, size_t size) {
    struct rlimit rl;
    rl.rlim_cur = rl.rlim_max = vm_size() + ((size_t)192 << 20);
    CHECK(setrlimit(RLIMIT_AS, &rl) == 0);
    size_t n = 0;
    while (n < MAX_BLOCKS) {
        g_size[n] = size;
        g_block[n] = alloc_one(kind, size, n);
        if (!g_block[n]) break;
        n++;
    }
    CHECKF(n < MAX_BLOCKS && n > 0, "got %zu blocks of %zu bytes under a 192 MiB budget", n, size);
    /* Still out of memory: a second try fails the same way, and a failed realloc keeps the block. */
    CHECK(alloc_one(kind, size, n) == NULL);
    errno = 0;
    CHECK(realloc(g_block[0], (size_t)256 << 20) == NULL && errno == ENOMEM);
    verify(n);
    /* Free the older half: whole slabs empty, so every size class (not only this one) can use
     * the memory again. (Freeing every other block would empty no slab: in a slab allocator
     * that memory serves only this size class.) */
    for (size_t i = 0; i < n / 2; i++) {
        free(g_block[i]);
        g_block[i] = NULL;
    }
    size_t again = 0;
    for (size_t i = 0; i < n / 4; i++, again++)
        CHECKF((g_block[i] = alloc_one(kind, size, i)) != NULL, "re-allocation %zu failed", again);
    static const size_t others[] = {16, 200, 3000, 70000, (size_t)3 << 20};
    for (size_t k = 0; k < sizeof others / sizeof others[0]; k++) {
        void *p = malloc(others[k]);
        CHECKF(p != NULL, "malloc(%zu) failed after freeing half", others[k]);
        memset(p, 0x5a, others[k]);
        free(p);
    }
    verify(n);
    for (size_t i = 0; i < n; i++) free(g_block[i]);
    printf("  %zu-byte blocks (kind %d): %zu allocated before ENOMEM, recovered %zu\n", size,
           (int)kind, n, again);
}

static void run_child(kind_t kind, size_t size) {
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        exhaust(kind, size);
        exit(check_summary() == 0 ? 0 : 3); /* exit(): the allocator's exit path runs too */
    }
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    EXPECTF(WIFEXITED(status) && WEXITSTATUS(status) == 0,
            "child (kind %d, size %zu) ended with status 0x%x", (int)kind, size, status);
}

int main(void) {
    expect_hakmem_allocator();
    run_child(K_MALLOC, (size_t)8 << 20);   /* huge: one mapping each */
    run_child(K_MALLOC, (size_t)1 << 20);   /* largest slab class */
    run_child(K_MALLOC, 48 * 1024);          /* medium */
    run_child(K_MALLOC, 1000);               /* small: the tiny front */
    run_child(K_CALLOC, 160);
    run_child(K_MEMALIGN, 5000);
    run_child(K_POSIX_MEMALIGN, 300);
    run_child(K_REALLOC, 128);
    /* An impossible request fails the same way without any limit. */
    errno = 0;
    EXPECT(malloc((size_t)1 << 62) == NULL && errno == ENOMEM);
    return check_summary();
}
