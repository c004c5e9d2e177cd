/* which_malloc.c -- proves which allocator serves this program's malloc: prints the hakmem
 * variant it is linked with, then asks for a 64 MiB block through plain malloc() and checks that
 * hakmem's own OS counters saw it (hakmem maps blocks that large directly; glibc would leave the
 * counter unchanged). Used by the Bazel consumer example and by CI's pkg-config install check.
 * Exit 0 and "hakmem serves malloc: yes" only when hakmem allocated the block. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hakmem.h"

int main(void) {
    enum { BIG = 64 << 20 };
    hak_os_stats before, after;
    hak_os_stats_get(&before);
    char *volatile block = malloc(BIG);
    hak_os_stats_get(&after);
    if (!block) {
        fprintf(stderr, "which_malloc: malloc(%d) returned NULL\n", BIG);
        return 1;
    }
    memset(block, 1, 4096);
    int served = after.huge_alloc == before.huge_alloc + 1;
    free(block);
    printf("hakmem variant: %s\n", hak_variant_name());
    printf("hakmem serves malloc: %s\n", served ? "yes" : "no");
    return served ? 0 : 1;
}
