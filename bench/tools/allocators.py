"""The allocators the bench tools compare, and how each one gets under a workload binary:
same-binary (hakmem variants, and glibc inside the hakmem binary via HAKMEM_FORCE_LIBC_ALLOC=1),
linked (a separate binary: mimalloc via -lmimalloc, system glibc) or preload (LD_PRELOAD into the
plain binary). Binaries come from Bazel as --bin KEY=PATH; hakmem variants, derived variants and
the external allocators from the tables (configs/, read through tables.py).

API for tools: selected_from_args(args) -> [Allocator] (what ALLOCATORS or the defaults pick);
known_allocators(bins, preload_libs) -> every Allocator those binaries make possible; names are
hakmem-<variant label>[-preload], libc-same-binary, <external>-linked, <external>-preload, system.
config_comparisons(config) -> the (A, B) pairs whose verdict the 10-run prints under a config."""

import os

import tables
from benchlib import UsageError, split_key_value

LINKAGE_NOTES = {
    "same-binary": "same workload code layout; only the allocator differs",
    "linked": "separate binary: includes code-layout differences",
    "preload": "plain binary + LD_PRELOAD: includes layout and PLT-call differences",
}


class Allocator:
    def __init__(self, name, binary, linkage, expect, env=None):
        self.name = name  # the name users pass in ALLOCATORS
        self.binary = binary  # absolute path of the workload binary to run
        self.linkage = linkage  # same-binary | linked | preload
        self.expect = expect  # what the workload's RESULT allocator= field must say
        self.env = env or {}  # extra environment (LD_PRELOAD, HAKMEM_FORCE_LIBC_ALLOC)

    def describe(self):
        return {
            "name": self.name,
            "linkage": self.linkage,
            "binary": self.binary,
            "env": self.env,
            "note": LINKAGE_NOTES[self.linkage],
        }


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
    variants = [k[len("hakmem-") :] for k in keys if k.startswith("hakmem-")]
    for v in variants:
        if "hakmem-" + v in bins:
            table.append(Allocator("hakmem-" + v, bins["hakmem-" + v], "same-binary", expect("hakmem-" + v)))
    host = "hakmem-" + tables.label(tables.load()["libc_same_binary_host"])
    if host in bins:
        table.append(Allocator("libc-same-binary", bins[host], "same-binary", host, {"HAKMEM_FORCE_LIBC_ALLOC": "1"}))
    externals = tables.load()["external_allocators"]
    for name in externals:
        if name in bins:
            table.append(Allocator(name + "-linked", bins[name], "linked", name))
    if "plain" in bins:
        for name, spec in externals.items():
            table.append(Allocator(name + "-preload", bins["plain"], "preload", name, {"LD_PRELOAD": spec["library"]}))
    if "system" in bins:
        table.append(Allocator("system", bins["system"], "linked", "glibc"))
    if "plain" in bins:
        for v in variants:
            if "hakmem-" + v in preload_libs:
                table.append(
                    Allocator(
                        "hakmem-%s-preload" % v,
                        bins["plain"],
                        "preload",
                        expect("hakmem-" + v),
                        {"LD_PRELOAD": preload_libs["hakmem-" + v]},
                    )
                )
    return table


# The allocator every hakmem build is compared with, like with like (linked in, preloaded).
REFERENCE = "mimalloc"
LINKED, PRELOADED = "linked in", "preloaded"


def name_of(variant, linkage):
    """hakmem's allocator name for a table variant in one linkage (hakmem-fast-pgo-preload)."""
    return "hakmem-" + tables.label(variant) + ("-preload" if linkage == PRELOADED else "")


def reference_of(linkage):
    return REFERENCE + ("-preload" if linkage == PRELOADED else "-linked")


def _pgo_chain(variant):
    """A PGO variant's baseline, the variant and the copies derived from it (bolt/), in order."""
    spec = next(v for v in tables.load()["variants"] if v["name"] == variant)
    return [spec["baseline"], variant] + [d["name"] for d in tables.load()["derived"] if d["base"] == variant]


def config_default_sets():
    """Per --config (the variant it selects): under a PGO config the PGO build sits beside its
    baseline (the build it is trained from) and its post-link copies (bolt/, docs/bolt.md), linked
    in and preloaded, then mimalloc, so the profile's gain is read off one table."""
    sets = {}
    for v in tables.load()["variants"]:
        if v["pgo"]:
            base, pgo, *derived = _pgo_chain(v["name"])
            order = [pgo, base] + derived
            sets[v["name"]] = [name_of(x, l) for l in (LINKED, PRELOADED) for x in order] + [
                reference_of(l) for l in (LINKED, PRELOADED)
            ]
    return sets


def config_comparisons(config):
    """(linkage, A, B) per verdict the 10-run prints under --config=config (B vs A): a PGO variant
    vs its baseline, each derived copy vs what it was made from, the baseline vs mimalloc; each
    like with like, once linked in and once preloaded. [] for a config without such a chain."""
    if config not in config_default_sets():
        return []
    chain = _pgo_chain(config)
    pairs = [(chain[0], chain[1])] + [(config, d) for d in chain[2:]]
    out = []
    for linkage in (LINKED, PRELOADED):
        out += [(linkage, name_of(a, linkage), name_of(b, linkage)) for a, b in pairs]
        out.append((linkage, reference_of(linkage), name_of(chain[0], linkage)))
    return out


def select_allocators(table, text, default=None):
    """ALLOCATORS=a,b,c -> those Allocator entries (validated); empty -> the default set."""
    by_name = {a.name: a for a in table}
    if not text:
        wanted = [n for n in (default or tables.default_set("tenrun")) if n in by_name]
    else:
        wanted = [n.strip() for n in text.split(",")]
        unknown = [n for n in wanted if n not in by_name]
        if unknown or "" in wanted:
            raise UsageError(
                f"ALLOCATORS: unknown allocator name(s) {', '.join(repr(n) for n in unknown or [''])};"
                f" known: {', '.join(by_name)}"
            )
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
    narrowed by ALLOCATORS (else `default`, else the --config's set, else the seed's 10-run set,
    configs/report_defaults.bzl)."""
    reports_as = dict(split_key_value(item, "--reports-as") for item in args.reports_as)
    table = known_allocators(parse_pairs(args.bin, "--bin"), parse_pairs(args.preload_lib, "--preload-lib"), reports_as)
    return select_allocators(
        table, os.environ.get("ALLOCATORS", ""), default or config_default_sets().get(getattr(args, "variant", None))
    )
