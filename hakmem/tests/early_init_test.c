/* early_init_test.c -- hakmem's first call made before libc has initialised. A function in the
 * program's .preinit_array runs before libc's own start-up (sanitizer runtimes do this and call
 * dlsym, which allocates), so hakmem initialises while libc's `environ` is still unset. Its
 * settings must still come from the environment the process was started with: under
 * HAKMEM_FORCE_LIBC_ALLOC=1 (the _force_libc targets) every block must be glibc's, which the
 * allocator probe checks in main. Used to be ignored silently (found under --config=ubsan). */
#include <stdlib.h>

#include "hakmem/tests/allocator_probe.h"
#include "hakmem/tests/check.h"

extern char **environ;

static int g_environ_was_unset;

static void before_libc(int argc, char **argv, char **envp) {
    (void)argc, (void)argv, (void)envp;
    g_environ_was_unset = environ == NULL;
    free(malloc(24)); /* hakmem initialises here */
}

__attribute__((section(".preinit_array"), used)) static void (*const preinit_entry)(int, char **, char **) =
    before_libc;

int main(void) {
    /* The premise: otherwise this test would not test the early path. */
    CHECKF(g_environ_was_unset, "environ was already set in .preinit_array: the early path is not exercised");
    expect_hakmem_allocator();
    void *p = malloc(100);
    CHECK(p != NULL);
    free(p);
    return check_summary();
}
