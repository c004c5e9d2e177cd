/* death_test.c -- the checked variants' defaults: a forked child does a double free (also after
 * writing into the freed block, which a check kept in the block itself would miss), frees a
 * stack address, a pointer into a foreign mmap or (unless HAKMEM_CHECK_INVALID_FREE=0, the
 * death_interior_off_test targets) an interior pointer, frees a block twice from another thread
 * (or there and then here); the child must die of SIGABRT and its stderr must hold one line
 * naming the pointer ("%p") and the check ("double free", "invalid free"). Or the child
 * poisons a free list (overwrites free blocks' first words, glibc's tcache-poisoning shape, in
 * the thread cache and, after an overflow, in a slab's free list): no malloc may return the
 * forged address, and a forged link that is followed aborts naming the block ("corruption").
 * Double frees cover every size range: 48 B, 3000 B, 200 KiB (slab) and 3 MiB (huge). The
 * parent's own blocks carry patterns that must be intact after all the children died.
 * (FAST compiles the checks out, so this test is not built for it.) */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdbool.h>
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

/* Use after free: overwrite a free block's first word, then allocate through it. With the
 * thread cache an array (research box HAK_RB_ARRAY_CACHE) no link is read there, so the
 * overwrite cannot steer malloc; with the list cache the link is read and must be refused. */
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

/* The same forgery one level down: free more 48-byte blocks than a thread caches, so the
 * overflow returns some to their slab's free list (linked through the blocks), overwrite every
 * freed block's first word with a stack address, and allocate them all back. The refill that
 * follows a forged slab link must abort naming one of these blocks (OVERFLOW_BLOCKS is above
 * every class's cache bound of 256, size_class.c); no malloc may return the stack address. */
enum { OVERFLOW_BLOCKS = 600 };
static void *g_overflow_blocks[OVERFLOW_BLOCKS];
static void do_poison_after_overflow(void *unused) {
    (void)unused;
    static char target[64] __attribute__((aligned(16)));
    for (int i = 0; i < OVERFLOW_BLOCKS; i++) free(g_overflow_blocks[i]);
    for (int i = 0; i < OVERFLOW_BLOCKS; i++) *(void **)g_overflow_blocks[i] = target;
    for (int i = 0; i < 2 * OVERFLOW_BLOCKS; i++) {
        void *volatile q = malloc(48);
        if (q == (void *)target) {
            static const char msg[] = "malloc returned the forged address\n";
            ssize_t w = write(2, msg, sizeof msg - 1);
            (void)w;
        }
    }
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

/* Forks; the child runs fn(ptr) with stderr (at most sizeof buf - 1 bytes kept) on a pipe.
 * Returns the child's wait status. */
static int run_child(scenario_fn fn, void *ptr, char *buf, size_t size) {
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
    size_t len = 0;
    ssize_t r;
    while ((r = read(fds[0], buf + len, size - 1 - len)) > 0) len += (size_t)r;
    buf[len] = 0;
    close(fds[0]);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    return status;
}

/* Lines of buf naming ptr ("%p") and holding one of the phrases; buf is cut into lines. */
static int count_lines_naming(char *buf, const void *ptr, const char *phrase) {
    char want[64];
    snprintf(want, sizeof want, "%p", ptr);
    int lines = 0;
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
        if (strstr(line, want) && contains_any(line, phrase)) lines++;
    return lines;
}

/* The child must die of SIGABRT with one stderr line naming ptr and the check. */
static void expect_abort(const char *name, scenario_fn fn, void *ptr, const char *phrase) {
    static char buf[16384];
    int status = run_child(fn, ptr, buf, sizeof buf);
    static char copy[sizeof buf];
    memcpy(copy, buf, sizeof buf);
    int lines = count_lines_naming(copy, ptr, phrase);
    printf("%s: %s (status 0x%x), %d line(s) naming %p with \"%s\"\n", name,
           WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "exited", status, lines, ptr,
           phrase);
    EXPECTF(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
            "%s: child status 0x%x, not SIGABRT; its stderr: %.300s", name, status, buf);
    EXPECTF(lines == 1, "%s: %d stderr line(s) name %p with \"%s\"", name, lines, ptr, phrase);
}

/* Forged links: no malloc may return the forged address. A link that is followed must be
 * refused (SIGABRT, one "corruption" line naming one of the n blocks whose links were forged);
 * unless must_abort, the child may also end normally, the forged word never having been read
 * as a link (the array thread cache holds no links). */
static void expect_no_forged_address(const char *name, scenario_fn fn, void *ptr,
                                     void *const *blocks, int n, bool must_abort) {
    static char buf[16384], copy[sizeof buf];
    int status = run_child(fn, ptr, buf, sizeof buf);
    bool aborted = WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
    bool exited = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    int lines = 0;
    for (int i = 0; i < n; i++) {
        memcpy(copy, buf, sizeof buf);
        lines += count_lines_naming(copy, blocks[i], "corruption");
    }
    printf("%s: %s (status 0x%x), %d line(s) naming a forged block with \"corruption\"\n", name,
           aborted ? "Aborted" : exited ? "exited normally" : "other end", status, lines);
    EXPECTF(!strstr(buf, "forged address"), "%s: malloc returned the forged address", name);
    EXPECTF(aborted ? lines == 1 : exited && !must_abort,
            "%s: child status 0x%x, %d naming line(s); its stderr: %.300s", name, status, lines,
            buf);
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
    expect_no_forged_address("overwritten free-list link", do_overwrite_free_link, victim, &victim,
                             1, false);
    g_first_victim = malloc(48);
    void *second = malloc(48);
    CHECK(g_first_victim && second);
    expect_no_forged_address("poisoned free list (two frees, forged link, two mallocs)",
                             do_poison_free_list, second, &second, 1, false);
    for (int i = 0; i < OVERFLOW_BLOCKS; i++) CHECK((g_overflow_blocks[i] = malloc(48)) != NULL);
    expect_no_forged_address("forged slab free-list links after a cache overflow",
                             do_poison_after_overflow, NULL, g_overflow_blocks, OVERFLOW_BLOCKS,
                             true);

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
    for (int i = 0; i < OVERFLOW_BLOCKS; i++) free(g_overflow_blocks[i]);
    return check_summary();
}
