/* config.h -- gates and run-time options, generated from configs/gates.def.
 *
 * hak_gate_NAME() is what code tests. In FAST a hot gate is a literal constant (the dead branch
 * is compiled out); elsewhere it reads g_hak_config, filled once by hak_config_load(). */
#ifndef HAKMEM_CONFIG_H
#define HAKMEM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#if defined(HAK_VARIANT_FAST)
#define HAK_VARIANT_NAME "fast"
#define HAK_HOT_GATES_CONSTANT 1
#define HAK_HOT_GATE_CONSTANT_VALUE(fast, hardened) (fast)
#define HAK_BUILD_GATE_VALUE(fast, standard, hardened) (fast)
#elif defined(HAK_VARIANT_HARDENED)
#define HAK_VARIANT_NAME "hardened"
#define HAK_HOT_GATES_CONSTANT 1
#define HAK_HOT_GATE_CONSTANT_VALUE(fast, hardened) (hardened)
#define HAK_BUILD_GATE_VALUE(fast, standard, hardened) (hardened)
#elif defined(HAK_VARIANT_OBSERVE)
#define HAK_VARIANT_NAME "observe"
#define HAK_HOT_GATES_CONSTANT 0
#define HAK_BUILD_GATE_VALUE(fast, standard, hardened) (standard)
#define HAK_OBSERVE 1
#elif defined(HAK_VARIANT_STANDARD)
#define HAK_VARIANT_NAME "standard"
#define HAK_HOT_GATES_CONSTANT 0
#define HAK_BUILD_GATE_VALUE(fast, standard, hardened) (standard)
#else
#error "define one of HAK_VARIANT_{FAST,STANDARD,OBSERVE,HARDENED} (configs/variants.bzl)"
#endif

/* The build's own name when the variant table gives one (fast_pgo shares FAST's gates but must
 * say "fast-pgo", so a benchmark can tell which library it measured). */
#if defined(HAK_VARIANT_LABEL)
#define HAK_STRINGIFY_(x) #x
#define HAK_STRINGIFY(x) HAK_STRINGIFY_(x)
#undef HAK_VARIANT_NAME
#define HAK_VARIANT_NAME HAK_STRINGIFY(HAK_VARIANT_LABEL)
#endif

/* Every variant but FAST reports misuse it finds on slow paths (foreign pointers etc.). */
#if defined(HAK_VARIANT_FAST)
#define HAK_CHECKED_VARIANT 0
#else
#define HAK_CHECKED_VARIANT 1
#endif

#ifndef HAK_OBSERVE
#define HAK_OBSERVE 0
#endif

#include "research_boxes.h"
/* The checked variants track handed-out blocks in the SuperSlab's live bitmap (check.h). */
#define HAK_LIVE_BITMAP HAK_CHECKED_VARIANT

typedef struct hak_config {
#define HAK_HOT_GATE(name, env, fast, dflt, hard, doc) uint32_t name;
#define HAK_COLD_GATE(name, env, kind, dflt, doc) uint32_t name;
#define HAK_BUILD_GATE(name, fast, standard, hard, doc)
#include "configs/gates.def"
#undef HAK_HOT_GATE
#undef HAK_COLD_GATE
#undef HAK_BUILD_GATE
} hak_config;

extern hak_config g_hak_config;

#if HAK_HOT_GATES_CONSTANT
#define HAK_HOT_GATE(name, env, fast, dflt, hard, doc) \
    static inline bool hak_gate_##name(void) { return HAK_HOT_GATE_CONSTANT_VALUE(fast, hard) != 0; }
#else
#define HAK_HOT_GATE(name, env, fast, dflt, hard, doc) \
    static inline bool hak_gate_##name(void) { return g_hak_config.name != 0; }
#endif
#define HAK_COLD_GATE(name, env, kind, dflt, doc) \
    static inline uint32_t hak_gate_##name(void) { return g_hak_config.name; }
/* An A/B build of one build gate (perf_tools rb_ab) passes -DHAK_BUILD_GATE_FORCE=<name>
 * -DHAK_BUILD_GATE_FORCE_VALUE=<0|1>. The name test compares two string literals, which the
 * compiler folds, so the gate stays a compile-time constant in the A/B build too. */
#ifdef HAK_BUILD_GATE_FORCE
#ifndef HAK_STRINGIFY /* defined above when the build has a HAK_VARIANT_LABEL */
#define HAK_STRINGIFY_(x) #x
#define HAK_STRINGIFY(x) HAK_STRINGIFY_(x)
#endif
#define HAK_BUILD_GATE_PICK(name, value) \
    (__builtin_strcmp(#name, HAK_STRINGIFY(HAK_BUILD_GATE_FORCE)) == 0 ? (HAK_BUILD_GATE_FORCE_VALUE) : (value))
#else
#define HAK_BUILD_GATE_PICK(name, value) (value)
#endif
#define HAK_BUILD_GATE(name, fast, standard, hard, doc) \
    static inline bool hak_gate_##name(void) { return HAK_BUILD_GATE_PICK(name, HAK_BUILD_GATE_VALUE(fast, standard, hard)) != 0; }
#include "configs/gates.def"
#undef HAK_HOT_GATE
#undef HAK_COLD_GATE
#undef HAK_BUILD_GATE

/* Reads every HAKMEM_* variable once (profile first, then explicit variables), warns about bad
 * values on stderr, and prints the gate table when HAKMEM_VERBOSE=1. Allocates nothing. */
void hak_config_load(void);

#endif
