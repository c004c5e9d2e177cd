/* init.h -- one-time process initialisation (configuration, size classes, fork and thread-exit
 * hooks, prewarm), run by the first allocation of any thread. */
#ifndef HAKMEM_INIT_H
#define HAKMEM_INIT_H

#include <stdbool.h>

/* True once hakmem can serve allocations. Safe to call re-entrantly from within init. */
bool hak_ensure_init(void);
void hak_heap_module_init(void);

#endif
