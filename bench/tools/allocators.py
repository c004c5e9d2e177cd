"""The allocators the bench tools compare, and how each one gets under a workload binary:
same-binary (hakmem variants, and glibc inside the hakmem binary via HAKMEM_FORCE_LIBC_ALLOC=1),
linked (a separate binary: mimalloc via -lmimalloc, system glibc) or preload (LD_PRELOAD into the
plain binary). Binaries come from Bazel as --bin KEY=PATH, hakmem variants from the variant table."""

import os

from benchlib import JEMALLOC_SO, MIMALLOC_SO, UsageError, split_key_value

LINKAGE_NOTES = {
    "same-binary": "same workload code layout; only the allocator differs",
    "linked": "separate binary: includes code-layout differences",
    "preload": "plain binary + LD_PRELOAD: includes layout and PLT-call differences",
}


class Allocator:
    def __init__(self, name, binary, linkage, expect, env=None):
        self.name = name          # the name users pass in ALLOCATORS
        self.binary = binary      # absolute path of the workload binary to run
        self.linkage = linkage    # same-binary | linked | preload
        self.expect = expect      # what the workload's RESULT allocator= field must say
        self.env = env or {}      # extra environment (LD_PRELOAD, HAKMEM_FORCE_LIBC_ALLOC)

    def describe(self):
        return {"name": self.name, "linkage": self.linkage, "binary": self.binary,
                "env": self.env, "note": LINKAGE_NOTES[self.linkage]}


def parse_pairs(items, flag):
    pairs = {}
    for item in items or []:
        key, value = split_key_value(item, flag)
        pairs[key] = os.path.abspath(value)
    return pairs


def known_allocators(bins, preload_libs, reports_as=None):
    """Every allocator that can be run with these binaries, in report order. reports_as maps a
    key to the allocator name its binaries report (a BOLTed copy reports its base variant)."""
    table = []

    def expect(key):
        return (reports_as or {}).get(key, key)

    keys = list(bins) + [k for k in preload_libs if k not in bins]
    variants = [k[len("hakmem-"):] for k in keys if k.startswith("hakmem-")]
    for v in variants:
        if "hakmem-" + v in bins:
            table.append(Allocator("hakmem-" + v, bins["hakmem-" + v], "same-binary", expect("hakmem-" + v)))
    if "hakmem-standard" in bins:
        table.append(Allocator("libc-same-binary", bins["hakmem-standard"], "same-binary", "hakmem-standard",
                               {"HAKMEM_FORCE_LIBC_ALLOC": "1"}))
    if "mimalloc" in bins:
        table.append(Allocator("mimalloc-linked", bins["mimalloc"], "linked", "mimalloc"))
    if "plain" in bins:
        table.append(Allocator("mimalloc-preload", bins["plain"], "preload", "mimalloc", {"LD_PRELOAD": MIMALLOC_SO}))
        table.append(Allocator("jemalloc-preload", bins["plain"], "preload", "jemalloc", {"LD_PRELOAD": JEMALLOC_SO}))
    if "system" in bins:
        table.append(Allocator("system", bins["system"], "linked", "glibc"))
    if "plain" in bins:
        for v in variants:
            if "hakmem-" + v in preload_libs:
                table.append(Allocator("hakmem-%s-preload" % v, bins["plain"], "preload", expect("hakmem-" + v),
                                       {"LD_PRELOAD": preload_libs["hakmem-" + v]}))
    return table


DEFAULT_SET = ["hakmem-fast", "hakmem-standard", "hakmem-observe", "libc-same-binary",
               "mimalloc-linked", "mimalloc-preload", "jemalloc-preload", "system"]

# Per --config (the variant it selects): under fast_pgo the PGO build sits beside the FAST build
# it is trained from, both linked in and preloaded, so the profile's gain is read off one table;
# bolt/'s BOLTed copy of it (docs/bolt.md) joins them.
CONFIG_DEFAULT_SETS = {
    "fast_pgo": ["hakmem-fast-pgo", "hakmem-fast", "hakmem-fast-pgo-bolt", "hakmem-fast-pgo-preload",
                 "hakmem-fast-preload", "hakmem-fast-pgo-bolt-preload", "mimalloc-linked", "mimalloc-preload"],
}


def select_allocators(table, text, default=None):
    """ALLOCATORS=a,b,c -> those Allocator entries (validated); empty -> the default set."""
    by_name = {a.name: a for a in table}
    if not text:
        wanted = [n for n in (default or DEFAULT_SET) if n in by_name]
    else:
        wanted = [n.strip() for n in text.split(",")]
        unknown = [n for n in wanted if n not in by_name]
        if unknown or "" in wanted:
            raise UsageError(f"ALLOCATORS: unknown allocator name(s) {', '.join(repr(n) for n in unknown or [''])};"
                             f" known: {', '.join(by_name)}")
        dupes = sorted({n for n in wanted if wanted.count(n) > 1})
        if dupes:
            raise UsageError(f"ALLOCATORS lists {', '.join(dupes)} more than once")
    chosen = [by_name[n] for n in wanted]
    for a in chosen:
        lib = a.env.get("LD_PRELOAD")
        if lib and not os.path.exists(lib):
            raise UsageError(f"{a.name} needs {lib}, which does not exist (install the Debian package)")
        if not os.access(a.binary, os.X_OK):
            raise UsageError(f"{a.name}: workload binary {a.binary} is missing or not executable")
    if not chosen:
        raise UsageError("no allocator selected")
    return chosen


def selected_from_args(args, default=None):
    """The allocators a tool runs: every one its --bin/--preload-lib arguments make possible,
    narrowed by ALLOCATORS (else `default`, else the --config's set, else the seed's set)."""
    reports_as = dict(split_key_value(item, "--reports-as") for item in args.reports_as)
    table = known_allocators(parse_pairs(args.bin, "--bin"), parse_pairs(args.preload_lib, "--preload-lib"),
                             reports_as)
    return select_allocators(table, os.environ.get("ALLOCATORS", ""),
                             default or CONFIG_DEFAULT_SETS.get(getattr(args, "variant", None)))
