"""Generates hakmem's per-variant targets from the variant table (configs/variants.bzl): every
variant and every instrumented twin (INSTRUMENTED) gets its libraries; a "pgo" variant compiles
with its profile as a declared input; tests cover the variants (twins are only trained)."""

load("@rules_cc//cc:defs.bzl", "cc_binary", "cc_library", "cc_test")
load(
    "//configs:variants.bzl",
    "HAK_COPTS",
    "HAK_RELEASE_COPTS",
    "HAK_RELEASE_LINKOPTS",
    "LAYOUT_BUILDS",
    "LAYOUT_SEEDS",
    "LIBRARY_VARIANT_NAMES",
    "TOOL_COPTS",
    "VARIANT_NAMES",
    "allocator_suffix",
    "malloc_replacing_compatible_with",
    "layout_copy",
    "library_variant",
    "pgo_profile",
    "pgo_use_copts",
    "shuffle_linkopts",
    "variant_defines",
)

SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]

def hakmem_variants(core_srcs, override_srcs, hdrs):
    """For each variant V: hakmem_core_V, hakmem_V (drop-in, alwayslink), libhakmem_V.so and
    hakmem_core_V_sanitized (the hak_* API built with ASan+UBSan, for the library's own tests);
    a layout build B (LAYOUT_BUILDS) gets hakmem_core_B and hakmem_B, compiled once, and one
    preload library per seed, libhakmem_B<seed>.so, each linked with its own function order."""
    for v in LIBRARY_VARIANT_NAMES + sorted(LAYOUT_BUILDS):
        spec = library_variant(v)
        tags = spec.get("tags", [])
        profile = [pgo_profile(v)] if spec.get("pgo") else []
        copts = HAK_COPTS + HAK_RELEASE_COPTS + spec["copts"] + (pgo_use_copts(v) if profile else [])
        cc_library(
            name = "hakmem_core_" + v,
            srcs = core_srcs + profile,
            hdrs = hdrs,
            includes = ["include"],
            copts = copts,
            local_defines = variant_defines(v),
            linkopts = ["-lpthread"] + HAK_RELEASE_LINKOPTS + spec["linkopts"],
            deps = ["//configs:gates"],
            alwayslink = True,
            linkstatic = True,  # no implicit lib<name>.so clashing with libhakmem_V.so
            tags = tags,
            visibility = ["//visibility:public"],
        )
        cc_library(
            name = "hakmem_" + v,
            srcs = override_srcs + profile,
            copts = copts,
            local_defines = variant_defines(v),
            deps = [":hakmem_core_" + v],
            alwayslink = True,
            linkstatic = True,  # no implicit lib<name>.so clashing with libhakmem_V.so
            tags = tags,
            visibility = ["//visibility:public"],
        )
        copies = [(layout_copy(v, seed), shuffle_linkopts(seed)) for seed in LAYOUT_SEEDS] if v in LAYOUT_BUILDS else [(v, [])]
        for name, shuffle in copies:
            cc_binary(
                name = "libhakmem_%s.so" % name,
                deps = [":hakmem_" + v],
                linkshared = True,
                linkopts = HAK_RELEASE_LINKOPTS + spec["linkopts"] + shuffle + ["-Wl,--emit-relocs", "-Wl,-z,now"],
                tags = tags,
                visibility = ["//visibility:public"],
            )
    for v in VARIANT_NAMES:
        cc_library(
            name = "hakmem_core_%s_sanitized" % v,
            srcs = core_srcs,
            hdrs = hdrs,
            includes = ["include"],
            copts = HAK_COPTS + SANITIZE + ["-O1"],
            local_defines = variant_defines(v),
            linkopts = ["-lpthread"] + SANITIZE,
            deps = ["//configs:gates"],
            linkstatic = True,
            visibility = ["//visibility:public"],
        )

def expect_variant_define(v):
    """The define telling hakmem/tests/allocator_probe.h which variant must be under test (a bare
    word: Bazel tokenizes defines like a shell, so the header turns it into a string)."""
    return "HAK_TEST_EXPECT_VARIANT=" + allocator_suffix(v)

def hakmem_test(name, srcs, size = "small", variants = VARIANT_NAMES, deps = [], copts = TOOL_COPTS,
                **kwargs):
    """One cc_test per variant (name_V) whose malloc is hakmem variant V, plus a test_suite `name`.

    copts defaults to TOOL_COPTS (C17); a C++ test passes its own (e.g. with -std=c++17)."""
    for v in variants:
        cc_test(
            name = "%s_%s" % (name, v),
            srcs = srcs,
            copts = copts,
            local_defines = variant_defines(v) + [expect_variant_define(v)],
            malloc = "//hakmem:hakmem_" + v,
            deps = deps + ["//hakmem:hakmem_core_" + v],
            size = size,
            target_compatible_with = malloc_replacing_compatible_with(),
            **kwargs
        )
    native.test_suite(name = name, tests = ["%s_%s" % (name, v) for v in variants])

def hakmem_sanitized_test(name, srcs, size = "small", deps = [], **kwargs):
    """The hak_* API under ASan+UBSan (the override stays out, so the sanitizer keeps malloc)."""
    for v in VARIANT_NAMES:
        cc_test(
            name = "%s_%s" % (name, v),
            srcs = srcs,
            copts = TOOL_COPTS + SANITIZE + ["-O1"],
            local_defines = variant_defines(v) + [expect_variant_define(v)],
            linkopts = SANITIZE,
            deps = deps + ["//hakmem:hakmem_core_%s_sanitized" % v],
            size = size,
            **kwargs
        )
    native.test_suite(name = name, tests = ["%s_%s" % (name, v) for v in VARIANT_NAMES])
