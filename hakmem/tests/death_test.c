/* death_test.c -- the checked variants' defaults: a forked child does a double free (also after
 * writing into the freed block, which a check kept in the block itself would miss), frees a
 * stack address, a pointer into a foreign mmap or (unless HAKMEM_CHECK_INVALID_FREE=0, the
 * death_interior_off_test targets) an interior pointer, frees a block twice from another thread
 * (or there and then here), or poisons a free list (overwrites a free block's link, glibc's
 * tcache-poisoning shape); the child must die of SIGABRT and its stderr must hold one line
 * naming the pointer ("%p") and the check ("double free", "invalid free", "corruption").
 * Double frees cover every size range: 48 B, 3000 B, 200 KiB (slab) and 3 MiB (huge). The
 * parent's own blocks carry patterns that must be intact after all the children died.
 * (FAST compiles the checks out, so this test is not built for it.) */
#define _GNU_SOURCE
#include <ctype.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hakmem.h"
#include "hakmem/tests/allocator_probe.h"
#include "hakmem/tests/check.h"
#include "hakmem/tests/pattern.h"

typedef void (*scenario_fn)(void *ptr);

static void do_double_free(void *p) {
    free(p);
    free(p);
}

static void do_single_free(void *p) { free(p); }

/* Double free through a dangling pointer the program wrote through in between. */
static void do_double_free_after_reuse(void *p) {
    free(p);
    memset(p, 0x5a, 48);
    free(p);
    void *volatile a = malloc(48), *volatile b = malloc(48); /* would be the same block twice */
    (void)a;
    (void)b;
}

/* Frees from another thread: twice there, or once there and once here (the owner). */
static void *free_twice_thread(void *p) {
    free(p);
    free(p);
    return NULL;
}
static void *free_once_thread(void *p) {
    free(p);
    return NULL;
}
static void run_in_thread(void *(*fn)(void *), void *p) {
    pthread_t t;
    if (pthread_create(&t, NULL, fn, p) == 0) pthread_join(t, NULL);
}
static void do_remote_double_free(void *p) { run_in_thread(free_twice_thread, p); }
static void do_remote_then_local_free(void *p) {
    run_in_thread(free_once_thread, p);
    free(p);
}

/* Use after free: overwrite a free block's link word, then allocate through it. */
static void do_overwrite_free_link(void *p) {
    free(p);
    memset(p, 0x41, sizeof(void *));
    for (int i = 0; i < 4; i++) {
        void *volatile q = malloc(48);
        (void)q;
    }
}

/* glibc's tcache-poisoning shape: free two blocks, aim the later one's link at a stack buffer,
 * malloc twice; the second malloc would return the forged address. */
static void *g_first_victim;
static void do_poison_free_list(void *second) {
    static char target[64] __attribute__((aligned(16)));
    free(g_first_victim);
    free(second);
    *(void **)second = target;
    void *volatile a = malloc(48), *volatile b = malloc(48);
    if (b == (void *)target) {
        static const char msg[] = "malloc returned the forged address\n";
        ssize_t w = write(2, msg, sizeof msg - 1);
        (void)w;
    }
    (void)a;
}

static int contains(const char *hay, const char *needle);

/* Case-insensitive search for one of the '|'-separated alternatives of needles in hay. */
static int contains_any(const char *hay, const char *needles) {
    char alt[64];
    for (const char *n = needles; *n;) {
        size_t len = strcspn(n, "|");
        snprintf(alt, sizeof alt, "%.*s", (int)len, n);
        if (contains(hay, alt)) return 1;
        n += len + (n[len] == '|');
    }
    return 0;
}

/* Case-insensitive substring search. */
static int contains(const char *hay, const char *needle) {
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] && tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n) return 1;
    }
    return 0;
}

/* Forks; the child runs fn(ptr) with stderr on a pipe. Checks the death and the message. */
static void expect_abort(const char *name, scenario_fn fn, void *ptr, const char *phrase) {
    int fds[2];
    CHECK(pipe(fds) == 0);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        close(fds[0]);
        dup2(fds[1], 2);
        alarm(10);
        fn(ptr);
        static const char msg[] = "child survived the bad free\n";
        ssize_t w = write(2, msg, sizeof msg - 1);
        (void)w;
        _exit(0);
    }
    close(fds[1]);
    static char buf[16384];
    size_t len = 0;
    ssize_t r;
    while ((r = read(fds[0], buf + len, sizeof buf - 1 - len)) > 0) len += (size_t)r;
    buf[len] = 0;
    close(fds[0]);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);

    char want[64];
    snprintf(want, sizeof want, "%p", ptr);
    int lines = 0;
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
        if (strstr(line, want) && contains_any(line, phrase)) lines++;
    printf("%s: %s (status 0x%x), %d line(s) naming %s with \"%s\"\n", name,
           WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "exited", status, lines, want,
           phrase);
    EXPECTF(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
            "%s: child status 0x%x, not SIGABRT; its stderr: %.300s", name, status, buf);
    EXPECTF(lines == 1, "%s: %d stderr line(s) name %s with \"%s\"", name, lines, want, phrase);
}

int main(void) {
    expect_hakmem_allocator();
    /* Every pointer is made in the parent, so the child (a copy) frees the very same value. */
    void *tiny = malloc(48);
    void *medium = malloc(3000);
    void *large = malloc(200000);
    void *big = malloc(200 << 10);
    void *huge = malloc(3u << 20);
    CHECK(tiny && medium && large && big && huge);
    void *const parent_blocks[] = {tiny, medium, large, big, huge};
    const size_t parent_sizes[] = {48, 3000, 200000, 200 << 10, 3u << 20};
    for (int i = 0; i < 5; i++) pattern_fill(parent_blocks[i], parent_sizes[i], (uint64_t)i);
    expect_abort("double free (48 B)", do_double_free, tiny, "double free");
    expect_abort("double free (3000 B)", do_double_free, medium, "double free");
    expect_abort("double free (200 KiB)", do_double_free, big, "double free");
    /* A freed huge mapping leaves the registry (cached or unmapped), so its second free is told
     * from a never-allocated pointer only by "invalid free"; either way it must abort. */
    expect_abort("double free (3 MiB)", do_double_free, huge, "double free|invalid free");

    char *blk = malloc(64);
    CHECK(blk != NULL);
    expect_abort("double free from another thread", do_remote_double_free, tiny, "double free");
    expect_abort("free from another thread, then here", do_remote_then_local_free, tiny,
                 "double free");

    void *reused = malloc(48);
    CHECK(reused != NULL);
    expect_abort("double free after writing the freed block", do_double_free_after_reuse, reused,
                 "double free");

    const char *interior = getenv("HAKMEM_CHECK_INVALID_FREE");
    if (!interior || strcmp(interior, "0") != 0) {
        expect_abort("interior pointer (64 B block + 16)", do_single_free, blk + 16, "invalid free");
        expect_abort("interior pointer (200000 B block + 4096)", do_single_free,
                     (char *)large + 4096, "invalid free");
    }

    void *victim = malloc(48);
    CHECK(victim != NULL);
    expect_abort("overwritten free-list link", do_overwrite_free_link, victim, "corruption");
    g_first_victim = malloc(48);
    void *second = malloc(48);
    CHECK(g_first_victim && second);
    expect_abort("poisoned free list (two frees, forged link, two mallocs)", do_poison_free_list,
                 second, "corruption");

    char stack_buf[256];
    memset(stack_buf, 0, sizeof stack_buf);
    expect_abort("stack address", do_single_free, stack_buf + 32, "invalid free");

    size_t len = 1u << 16;
    char *foreign = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(foreign != MAP_FAILED);
    memset(foreign, 0, len);
    expect_abort("foreign mmap", do_single_free, foreign + 4096 + 64, "invalid free");
    munmap(foreign, len);

    /* The parent's own blocks are untouched by what the children did. */
    for (int i = 0; i < 5; i++) {
        long bad = pattern_check(parent_blocks[i], parent_sizes[i], (uint64_t)i);
        EXPECTF(bad < 0, "parent block of %zu B changed at byte %ld", parent_sizes[i], bad);
        free(parent_blocks[i]);
    }
    free(blk);
    free(reused);
    free(victim);
    free(g_first_victim);
    free(second);
    return check_summary();
}
