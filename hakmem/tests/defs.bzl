"""hakmem_preload_test: a test built as a plain binary and run with LD_PRELOAD of every library in
PRELOAD_VARIANTS (configs/variants.bzl), so each preloadable build - the pipeline's PGO and BOLT
outputs included - passes the same suite as the linked-in variants. hakmem_test_pair: one test
declared once, linked in (hakmem_test) and preloaded."""

load("@rules_cc//cc:defs.bzl", "cc_binary")
load("//hakmem:defs.bzl", "hakmem_test")
load(
    "//configs:variants.bzl",
    "PRELOAD_VARIANTS",
    "allocator_suffix",
    "malloc_replacing_compatible_with",
    "preload_base_variant",
)

def hakmem_preload_test(name, srcs, copts, deps = [], linkopts = [], env = {}, size = "small"):
    """name_plain: the binary (no `malloc =`; hak_* calls go through preload_shim.c);
    name_preloaded_P for each library P: preloaded.sh runs it with LD_PRELOAD=P and tells the
    binary's allocator probe which variant P must report; test_suite name_preloaded: all of them."""
    binary = name + "_plain"
    cc_binary(
        name = binary,
        testonly = True,
        srcs = srcs,
        copts = copts,
        linkopts = linkopts,
        deps = deps + ["//hakmem/tests:preload_shim"],
    )
    tests = []
    for p in PRELOAD_VARIANTS:
        lib = PRELOAD_VARIANTS[p]
        test = "%s_preloaded_%s" % (name, p)
        native.sh_test(
            name = test,
            size = size,
            srcs = ["//hakmem/tests:preloaded.sh"],
            args = [
                "$(location %s)" % lib,
                allocator_suffix(preload_base_variant(p)),
                "$(location :%s)" % binary,
            ],
            data = [lib, ":" + binary],
            env = env,
            target_compatible_with = malloc_replacing_compatible_with(),
        )
        tests.append(test)
    native.test_suite(name = name + "_preloaded", tests = tests)

def hakmem_test_pair(name, srcs, copts, deps = [], linkopts = [], env = {}, size = "small", variants = None,
                     preload_env = None):
    """The same test linked in (hakmem_test: name_<variant> for each of `variants`, default every
    variant, and the suite `name`) and preloaded (hakmem_preload_test: name_preloaded_<library>
    and the suite name_preloaded). preload_env, if given, replaces env for the preloaded runs
    (e.g. a shorter run where the linked-in test covers depth)."""
    hakmem_test(
        name = name,
        srcs = srcs,
        copts = copts,
        deps = deps,
        linkopts = linkopts,
        env = env,
        size = size,
        **({"variants": variants} if variants else {})
    )
    hakmem_preload_test(
        name = name,
        srcs = srcs,
        copts = copts,
        deps = deps,
        linkopts = linkopts,
        env = env if preload_env == None else preload_env,
        size = size,
    )
