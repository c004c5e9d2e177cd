/* preload_shim.c -- the hak_* calls of a plain test binary (malloc not replaced at link time),
 * answered by the hakmem library preloaded into it. Each call looks its function up after the
 * executable (RTLD_NEXT: the LD_PRELOAD library comes next); if no library provides it, the
 * preload failed and the test stops with one line saying so instead of testing glibc. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "hakmem.h"

static void *preloaded(const char *name) {
    void *f = dlsym(RTLD_NEXT, name);
    if (!f) {
        fprintf(stderr, "preload_shim: no %s in the process: is a hakmem library in LD_PRELOAD "
                        "(LD_PRELOAD=%s)?\n", name, getenv("LD_PRELOAD") ? getenv("LD_PRELOAD") : "");
        abort();
    }
    return f;
}

/* FORWARD(ret, name, params, args): a hak_* function of the shim calling the preloaded one. */
#define FORWARD(ret, name, params, args)                            \
    ret name params {                                               \
        static ret(*fn) params;                                     \
        if (!fn) fn = (ret(*) params)preloaded(#name);              \
        return fn args;                                             \
    }

FORWARD(const char *, hak_variant_name, (void), ())
FORWARD(int, hak_owns, (const void *p), (p))
FORWARD(void, hak_os_stats_get, (hak_os_stats * out), (out))
FORWARD(void, hak_thread_flush, (void), ())
FORWARD(void, hak_stats_print, (int fd), (fd))
