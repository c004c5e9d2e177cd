"""Smoke test of rb_ab.py without Bazel inside Bazel: a run-time gate of Standard
(HAKMEM_SS_PREWARM=1,2, no build) and a research box with both values --prebuilt (FAST and the
box variant HAK_RB_TINY_HEADER=1 that `//...` builds, handed over as --box-build), and layout mode
on two shuffled copies of FAST, tiny ITERS and 2 rounds: the report has both linkages, a
delta with a CI, Ir/op of each side, the floor and a verdict; bad input (unknown gate, one value,
a build needed outside `bazel run`, a bad FLOOR_PCT, a non-0/1 build gate) exits 2 with one line;
the gate table read from the sources and the Bazel flags of both build kinds are checked too."""

import json
import os
import sys

from ptcheck import check, expect_usage_error, finish, run

TINY = {"ITERS": "20000", "RUNS": "2", "WARMUP": "0", "CG_ITERS": "40000", "CG_BASE_ITERS": "20000"}
VERDICTS = ("**Verdict: GO**", "**Verdict: NO-GO**", "**Verdict: NEUTRAL**")


def check_report(what, rc, out, err, folder, gate, floor=True):
    """floor: a single-layout A/B names the floor its band is widened to (layout mode has none)."""
    if not check(rc == 0, f"{what}: exit {rc}: {err[-1500:]}"):
        return
    for needle in ("| linked |", "| preload |", "Ir/op, whole Mixed run", "Peak RSS") + (
        ("layout-noise floor:",) if floor else ()
    ):
        check(needle in out, f"{what}: report lacks {needle!r}")
    check(any(v in out for v in VERDICTS), f"{what}: no verdict line")
    with open(os.path.join(folder, "rb_ab.json")) as f:
        data = json.load(f)
    check(
        data["gate"] == gate and data["ir_per_op"]["a"] > 10 and data["verdict"] in ("GO", "NO-GO", "NEUTRAL"),
        f"{what}: rb_ab.json {data.get('gate')} {data.get('ir_per_op')} {data.get('verdict')}",
    )


def check_gate_table(base):
    """rb_ab's reading of research_boxes.h and gates.def, and the Bazel flags it builds with."""
    import rb_ab

    paths = dict(a[2:].split("=", 1) for a in base if a.startswith(("--research-boxes=", "--gates=")))
    gates = rb_ab.known_gates(paths["research-boxes"], paths["gates"])
    expected = {
        "HAK_RB_TINY_HEADER": "build-define",
        "HAK_RB_REMOTE_BATCH": "build-define",
        "encode_free_list": "build-gate",
        "HAKMEM_CHECK_DOUBLE_FREE": "runtime",
        "HAKMEM_SS_PREWARM": "runtime",
    }
    for name, kind in expected.items():
        check(gates.get(name, (None,))[0] == kind, f"gate table: {name} -> {gates.get(name)}, expected {kind}")
    flags = rb_ab.bazel_flags("build-define", "HAK_RB_TINY_HEADER", "1", "fast")
    check(
        flags
        == ["--config=fast", "--cc_output_directory_tag=rb_hak_rb_tiny_header_1", "--copt=-DHAK_RB_TINY_HEADER=1"],
        f"research-box flags {flags}",
    )
    flags = rb_ab.bazel_flags("build-gate", "encode_free_list", "0", "standard")
    check(
        "--copt=-DHAK_BUILD_GATE_FORCE=encode_free_list" in flags
        and "--copt=-DHAK_BUILD_GATE_FORCE_VALUE=0" in flags
        and "--config=standard" in flags,
        f"build-gate flags {flags}",
    )


def main(argv):
    tool = argv[0]
    sep = argv.index("--")
    base, copies = argv[1:sep], argv[sep + 1 :]
    # Two shuffled-layout copies of FAST (--copy/--preload) for layout mode's byte-identical null.
    linked = [a.split("=", 2)[2] for a in copies if a.startswith("--copy=")]
    libs = [a.split("=", 2)[2] for a in copies if a.startswith("--preload=")]
    rc, out, err, folder = run(tool, base + ["HAKMEM_SS_PREWARM=1,2"], TINY)
    check_report("run-time gate", rc, out, err, folder, "HAKMEM_SS_PREWARM")
    prebuilt = ["--prebuilt=" + a[len("--box-build=") :] for a in copies if a.startswith("--box-build=")]
    check(len(prebuilt) == 2, f"expected --box-build for values 0 and 1, got {copies}")
    rc, out, err, folder = run(tool, base + prebuilt + ["HAK_RB_TINY_HEADER=0,1"], {**TINY, "FLOOR_PCT": "0.5"})
    check_report("prebuilt research box", rc, out, err, folder, "HAK_RB_TINY_HEADER")
    # Layout mode: both copies given for each value (a byte-identical null), paired by seed.
    layout = [f"--prebuilt={v}={linked[i]}:{libs[i]}" for v in "01" for i in (0, 1)]
    rc, out, err, folder = run(tool, base + layout + ["HAK_RB_TINY_HEADER=0,1"], {**TINY, "LAYOUTS": "2"})
    check_report("layout mode", rc, out, err, folder, "HAK_RB_TINY_HEADER", floor=False)
    if rc == 0:
        with open(os.path.join(folder, "rb_ab.json")) as f:
            data = json.load(f)
        check(
            data["mode"] == "layout"
            and data["floor"] is None
            and "t over pairs" in out
            and [p["seed"] for p in data["linkages"]["linked"]["pairs"]] == [1, 2],
            f"layout mode: mode {data.get('mode')}, pairs {data['linkages']['linked'].get('pairs', '?')!s:.200}",
        )
    expect_usage_error(
        tool, base + layout[:3] + ["HAK_RB_TINY_HEADER=0,1"], {**TINY, "LAYOUTS": "2"}, "expected 2", "one copy short"
    )
    expect_usage_error(
        tool,
        base + ["HAKMEM_SS_PREWARM=1,2"],
        {**TINY, "LAYOUTS": "2"},
        "run-time gate",
        "layout mode of a run-time gate",
    )
    expect_usage_error(
        tool, base + layout + ["HAK_RB_TINY_HEADER=0,1"], {**TINY, "LAYOUTS": "1"}, "LAYOUTS=1", "LAYOUTS=1"
    )
    expect_usage_error(tool, base + ["HAK_RB_NO_SUCH_BOX=0,1"], TINY, "unknown gate", "unknown gate")
    expect_usage_error(
        tool, base + ["--variant=turbo", "HAK_RB_TINY_HEADER=0,1"], TINY, "unknown variant", "unknown variant"
    )
    expect_usage_error(tool, base + ["HAK_RB_TINY_HEADER=1"], TINY, "two different", "one value")
    expect_usage_error(tool, base + ["HAK_RB_TINY_HEADER=0,1"], TINY, "bazel run", "build outside bazel run")
    expect_usage_error(tool, base + ["encode_free_list=0,2"], TINY, "0 and 1", "build gate value 2")
    expect_usage_error(tool, base + ["HAKMEM_SS_PREWARM=1,2"], {**TINY, "FLOOR_PCT": "x"}, "FLOOR_PCT", "bad FLOOR_PCT")
    check_gate_table(base)
    finish("rb_ab", "rb_ab smoke checks passed")


if __name__ == "__main__":
    main(sys.argv[1:])
