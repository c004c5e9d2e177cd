"""The one place that says which LLVM hakmem builds and measures with: LLVM 19, by full path.

Everything that runs an LLVM tool (the C/C++ toolchain, pgo/, bolt/, perf_tools/) loads its path
from here, so moving to another LLVM is a change of LLVM_ROOT. Full paths, not `clang-19` from
PATH: a bare name can resolve to another LLVM (Debian keeps LLVM 14 at /usr/bin), whose tools
cannot read LLVM 19 bitcode or profiles.
"""

LLVM_ROOT = "/usr/lib/llvm-19"
LLVM_BIN = LLVM_ROOT + "/bin"

LLVM_TOOLS = {
    "clang": LLVM_BIN + "/clang",
    "clang++": LLVM_BIN + "/clang++",
    "clang-cpp": LLVM_BIN + "/clang-cpp",
    "ld.lld": LLVM_BIN + "/ld.lld",
    "llvm-ar": LLVM_BIN + "/llvm-ar",
    "llvm-nm": LLVM_BIN + "/llvm-nm",
    "llvm-cov": LLVM_BIN + "/llvm-cov",
    "llvm-dwp": LLVM_BIN + "/llvm-dwp",
    "llvm-objcopy": LLVM_BIN + "/llvm-objcopy",
    "llvm-objdump": LLVM_BIN + "/llvm-objdump",
    "llvm-readelf": LLVM_BIN + "/llvm-readelf",
    "llvm-strip": LLVM_BIN + "/llvm-strip",
    "llvm-profdata": LLVM_BIN + "/llvm-profdata",
    "llvm-bolt": LLVM_BIN + "/llvm-bolt",
    "perf2bolt": LLVM_BIN + "/perf2bolt",
    "merge-fdata": LLVM_BIN + "/merge-fdata",
}

# clang's own headers (stddef.h, sanitizer interfaces, ...) and sanitizer ignore lists; the C/C++
# toolchain declares them as built-in include directories.
LLVM_CLANG_RESOURCE_DIR = LLVM_ROOT + "/lib/clang/19"

# llvm-bolt -instrument links this runtime into the instrumented binary. Debian's llvm-bolt-19
# wrapper looks for it at /usr/lib/libbolt_rt_instr.a and fails; pass this path explicitly.
BOLT_INSTR_RUNTIME = LLVM_ROOT + "/lib/libbolt_rt_instr.a"

def llvm_tool(name):
    """The full path of LLVM tool `name`; fails at load time for a name not in LLVM_TOOLS."""
    if name not in LLVM_TOOLS:
        fail("unknown LLVM tool %r; known: %s" % (name, ", ".join(sorted(LLVM_TOOLS))))
    return LLVM_TOOLS[name]
