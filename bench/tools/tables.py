"""The configs/ tables (variants, derived variants, research boxes, external allocators) as Bazel
wrote them to configs/tables.json (configs/tables.bzl). Every tool runs through `bazel run` or
`bazel test`, whose working directory is the runfiles tree, where the file sits at TABLES; a
target whose tool imports this module lists //configs:tables.json in its data (python_lib does)."""

import functools
import json

TABLES = "configs/tables.json"


@functools.lru_cache(maxsize=None)
def load():
    try:
        with open(TABLES) as f:
            return json.load(f)
    except OSError as e:
        raise SystemExit(
            f"cannot read {TABLES} ({e.strerror}): run the tool through Bazel, "
            "with //configs:tables.json in its data"
        )


def label(name):
    """A variant's name in reports and allocator names (fast_pgo -> fast-pgo), from the table."""
    t = load()
    for v in t["variants"] + t["derived"] + t["box_variants"]:
        if v["name"] == name:
            return v["label"]
    raise KeyError(name)


def variant_names():
    return [v["name"] for v in load()["variants"]]


def external_library(name):
    """The LD_PRELOAD path of an external allocator (mimalloc, jemalloc, ...)."""
    return load()["external_allocators"][name]["library"]


def default_set(tool):
    """The allocators `tool` reports when ALLOCATORS does not choose (configs/report_defaults.bzl)."""
    return load()["report_defaults"][tool]
