"""hakmem's C/C++ toolchain configuration: LLVM 19 (tools from llvm.bzl) and the flags that shape code.

One rule, llvm_cc_toolchain_config, used by toolchain/BUILD.bazel for both the target and the host
(exec) configuration, so a tool built for a genrule compiles exactly like the code it trains.
Bazel's legacy features supply the plumbing (includes, defines, PIC, archiving, libraries); the
features below hold hakmem's flags. Opt-in features (`--features=NAME`): thinlto, asan, ubsan.
"""

load(
    "@bazel_tools//tools/cpp:cc_toolchain_config_lib.bzl",
    "feature",
    "flag_group",
    "flag_set",
    "tool_path",
    "with_feature_set",
)
load("@bazel_tools//tools/build_defs/cc:action_names.bzl", "ACTION_NAMES")
load(":llvm.bzl", "LLVM_CLANG_RESOURCE_DIR", "llvm_tool")

C_COMPILE = [ACTION_NAMES.c_compile]
CXX_COMPILE = [
    ACTION_NAMES.cpp_compile,
    ACTION_NAMES.cpp_header_parsing,
    ACTION_NAMES.cpp_module_compile,
    ACTION_NAMES.cpp_module_codegen,
    ACTION_NAMES.linkstamp_compile,
]
ALL_COMPILE = C_COMPILE + CXX_COMPILE + [
    ACTION_NAMES.assemble,
    ACTION_NAMES.preprocess_assemble,
]
ALL_LINK = [
    ACTION_NAMES.cpp_link_executable,
    ACTION_NAMES.cpp_link_dynamic_library,
    ACTION_NAMES.cpp_link_nodeps_dynamic_library,
]

# Bazel's tool slots, all filled from llvm.bzl: llvm-ar indexes LLVM 19 ThinLTO bitcode itself,
# where GNU ar tried LLVM 14's gold plugin first and printed "bfd plugin: ..." for every archive.
TOOL_SLOTS = {
    "gcc": "clang",  # Bazel calls the compiler driver "gcc"; clang compiles C and C++ and links
    "cpp": "clang-cpp",
    "ar": "llvm-ar",
    "ld": "ld.lld",
    "nm": "llvm-nm",
    "objcopy": "llvm-objcopy",
    "objdump": "llvm-objdump",
    "strip": "llvm-strip",
    "gcov": "llvm-cov",
    "llvm-cov": "llvm-cov",
    "dwp": "llvm-dwp",
}

# Every compile. The same set the auto-detected toolchain used before (stack protector, frame
# pointer kept unless a target says otherwise), so allocator code and its numbers did not move.
BASE_COPTS = ["-U_FORTIFY_SOURCE", "-fstack-protector", "-Wall", "-fno-omit-frame-pointer"]
C_STD = ["-std=c17"]
CXX_STD = ["-std=c++17"]
OPT_COPTS = ["-g0", "-O2", "-D_FORTIFY_SOURCE=1", "-DNDEBUG", "-ffunction-sections", "-fdata-sections"]
DBG_COPTS = ["-g", "-O0"]
FASTBUILD_COPTS = ["-O0"]

# Outputs must not depend on when or where they were built, or no cache could share them.
REPRODUCIBLE_COPTS = [
    "-no-canonical-prefixes",
    "-Wno-builtin-macro-redefined",
    "-D__DATE__=\"redacted\"",
    "-D__TIMESTAMP__=\"redacted\"",
    "-D__TIME__=\"redacted\"",
]

# --ld-path: LLVM 19's lld by full path (a bare -fuse-ld=lld could find LLVM 14's /usr/bin/ld.lld,
# which cannot read LLVM 19 bitcode). --emit-relocs keeps relocations so bolt/ can reorder code.
LINK_FLAGS = [
    "--ld-path=" + llvm_tool("ld.lld"),
    "-no-canonical-prefixes",
    "-Wl,-z,relro,-z,now",
    "-Wl,--emit-relocs",
]
OPT_LINK_FLAGS = ["-Wl,--gc-sections"]

# Bazel links every output with the C++ runtime; --as-needed drops it where unused (libstdc++
# alone added 0.7 MiB of RSS to every preloaded process).
RUNTIME_LIBS = ["-Wl,--as-needed", "-lstdc++", "-lm"]

# Opt-in code-shaping features: name -> (compile flags, link flags).
OPT_IN = {
    "thinlto": (["-flto=thin"], ["-flto=thin"]),
    "asan": (["-fsanitize=address", "-fno-omit-frame-pointer"], ["-fsanitize=address"]),
    "ubsan": (["-fsanitize=undefined", "-fno-sanitize-recover=all"], ["-fsanitize=undefined"]),
}

def _flags(actions, flags, with_features = None):
    return flag_set(
        actions = actions,
        flag_groups = [flag_group(flags = flags)],
        with_features = [with_feature_set(features = [with_features])] if with_features else [],
    )

def _features():
    modes = [feature(name = mode) for mode in ["opt", "dbg", "fastbuild"]]
    compile_flags = feature(
        name = "default_compile_flags",
        enabled = True,
        flag_sets = [
            _flags(ALL_COMPILE, BASE_COPTS),
            _flags(C_COMPILE, C_STD),
            _flags(CXX_COMPILE, CXX_STD),
            _flags(ALL_COMPILE, OPT_COPTS, "opt"),
            _flags(ALL_COMPILE, DBG_COPTS, "dbg"),
            _flags(ALL_COMPILE, FASTBUILD_COPTS, "fastbuild"),
        ],
    )
    reproducible = feature(
        name = "unfiltered_compile_flags",
        enabled = True,
        flag_sets = [_flags(ALL_COMPILE, REPRODUCIBLE_COPTS)],
    )
    link_flags = feature(
        name = "default_link_flags",
        enabled = True,
        flag_sets = [_flags(ALL_LINK, LINK_FLAGS), _flags(ALL_LINK, OPT_LINK_FLAGS, "opt")],
    )
    runtime_libs = feature(
        name = "runtime_libraries",
        enabled = True,
        flag_sets = [_flags(ALL_LINK, RUNTIME_LIBS)],
    )
    opt_in = [
        feature(
            name = name,
            flag_sets = [_flags(C_COMPILE + CXX_COMPILE, copts), _flags(ALL_LINK, linkopts)],
        )
        for name, (copts, linkopts) in OPT_IN.items()
    ]
    return modes + [
        feature(name = "supports_pic", enabled = True),
        feature(name = "supports_dynamic_linker", enabled = True),
        compile_flags,
        link_flags,
        runtime_libs,
        reproducible,
    ] + opt_in

def _impl(ctx):
    return cc_common.create_cc_toolchain_config_info(
        ctx = ctx,
        features = _features(),
        cxx_builtin_include_directories = [
            LLVM_CLANG_RESOURCE_DIR,
            "/usr/include",  # glibc and libstdc++ (Debian 12: /usr/include/c++/12)
            "/usr/local/include",
        ],
        toolchain_identifier = "hakmem-llvm19",
        host_system_name = "x86_64-linux-gnu",
        target_system_name = "x86_64-linux-gnu",
        target_cpu = "k8",
        target_libc = "glibc",
        compiler = "clang",
        abi_version = "clang-19",
        abi_libc_version = "glibc",
        tool_paths = [tool_path(name = slot, path = llvm_tool(t)) for slot, t in TOOL_SLOTS.items()],
    )

llvm_cc_toolchain_config = rule(
    implementation = _impl,
    attrs = {},
    provides = [CcToolchainConfigInfo],
)
