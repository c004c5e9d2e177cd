"""Code-review report for a pull request: `bazel run //perf_tools:review -- --base <rev>` builds
the base revision (a git worktree, its own Bazel output base) and the working tree (or, with
--head <rev>, that revision the same way as the base), then writes
one markdown report: 10-run interleaved A/B on Mixed (linked in and preloaded) and on Mixed_MT,
the verdict against the layout-noise floor, instructions per operation and the top-50 diff
(callgrind, exact), perf's sampled diff, the layout diff of the hot functions, and peak RSS.

usage: review.py --llvm-readelf P --floor JSON --variants LIST [--variant fast] [--allow-dirty] --base REV [--head REV]
       review.py ... --prebuilt-base L:LIB:MT --prebuilt-head L:LIB:MT --plain BIN   (no builds)
  environment: RUNS (10), WARMUP (1), PIN, CG_ITERS / CG_BASE_ITERS, PERF=0 (no perf), LAYOUTS=K
  (layout mode for Mixed: both revisions built as their first K shuffled-layout copies, paired by
  seed; Mixed_MT and the profiles stay single-layout)."""

import argparse
import os
import shutil
import subprocess
import sys
import types
import tempfile

import abrun
import elfinfo
import hot
import layout_diff
import profiles
import ptlib
from ptlib import bl
from allocators import Allocator

TOOL = "review"
# Changes outside these leave the measured binaries alone; a dirty tree inside them would make
# the report describe code no revision holds.
SOURCE_PATHS = ["hakmem", "bench", "configs", "toolchain", "pgo", "bolt", "WORKSPACE", ".bazelrc", "third_party"]


def git(workspace, *args):
    return subprocess.run(["git", "-C", workspace] + list(args), capture_output=True, text=True)


def resolve(workspace, rev, flag):
    proc = git(workspace, "rev-parse", "--verify", "--quiet", rev + "^{commit}")
    if proc.returncode != 0:
        raise bl.UsageError(f"{flag} '{rev}' is not a revision of this repository")
    return proc.stdout.strip()


def check_git(workspace, base, allow_dirty):
    """(base sha, head description) or UsageError: unknown revision, dirty sources."""
    sha = resolve(workspace, base, "--base")
    dirty = git(workspace, "status", "--porcelain", "--untracked-files=no", "--", *SOURCE_PATHS).stdout.rstrip()
    if dirty and not allow_dirty:
        raise bl.UsageError(
            "the working tree has uncommitted changes under "
            + ", ".join(sorted({l[3:].split("/")[0] for l in dirty.splitlines()}))
            + "; commit them or pass --allow-dirty"
        )
    head = git(workspace, "rev-parse", "--short", "HEAD").stdout.strip() + (" + uncommitted changes" if dirty else "")
    return sha, head


def targets(variant, copies):
    return [
        f"//bench:mixed_{variant}",
        "//bench:mixed",
        f"//bench:mixed_mt_{variant}",
        f"//hakmem:libhakmem_{variant}.so",
    ] + [t for c in copies for t in (f"//bench:mixed_{c}", f"//hakmem:libhakmem_{c}.so")]


def build(tree, startup, variant, copies, log_path, label):
    """Builds the measured targets in `tree`; returns {linked, plain, mt, lib} paths, plus
    copy<i>_linked / copy<i>_lib of each layout copy (layout mode)."""
    flags = [f"--config={variant}"]
    print(f"  [{TOOL}] building {label} in {tree} (log: {log_path})", file=sys.stderr, flush=True)
    with open(log_path, "w") as f:
        rc = subprocess.run(
            ["./bazelw"] + startup + ["build"] + flags + targets(variant, copies),
            cwd=tree,
            stdout=f,
            stderr=subprocess.STDOUT,
        ).returncode
    if rc != 0:
        with open(log_path) as f:
            tail = f.read().strip().splitlines()[-15:]
        sys.exit(f"{TOOL}: building {label} failed (exit {rc}); last lines of {log_path}:\n" + "\n".join(tail))
    info = subprocess.run(
        ["./bazelw"] + startup + ["info"] + flags + ["bazel-bin"], cwd=tree, capture_output=True, text=True
    )
    if info.returncode != 0:
        sys.exit(f"{TOOL}: bazel info in {tree} failed: {info.stderr.strip()[-400:]}")
    out = info.stdout.strip().splitlines()[-1]
    paths = {
        "linked": os.path.join(out, "bench", f"mixed_{variant}"),
        "plain": os.path.join(out, "bench", "mixed"),
        "mt": os.path.join(out, "bench", f"mixed_mt_{variant}"),
        "lib": os.path.join(out, "hakmem", f"libhakmem_{variant}.so"),
    }
    for i, c in enumerate(copies):
        paths[f"copy{i}_linked"] = os.path.join(out, "bench", f"mixed_{c}")
        paths[f"copy{i}_lib"] = os.path.join(out, "hakmem", f"libhakmem_{c}.so")
    return paths


def build_rev(workspace, sha, variant, copies, folder, label):
    """A revision in a throw-away git worktree, built in an output base of its own (kept
    under ~/.cache for the next review; its Bazel server is shut down afterwards). Binaries are
    copied out before the worktree goes."""
    cache = os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "hakmem-review")
    tree = tempfile.mkdtemp(prefix=f"hakmem-review-{label}.")
    os.rmdir(tree)
    startup = [f"--output_base={os.path.join(cache, 'output_base')}"]
    if git(workspace, "worktree", "add", "--detach", tree, sha).returncode != 0:
        sys.exit(f"{TOOL}: git worktree add {tree} {sha} failed")
    try:
        user_rc = os.path.join(workspace, "user.bazelrc")
        if os.path.isfile(user_rc):  # the same disk cache and JVM cap as the working tree
            shutil.copy(user_rc, tree)
        paths = build(tree, startup, variant, copies, os.path.join(folder, f"build-{label}.log"), f"{label} {sha[:10]}")
        keep = os.path.join(folder, f"{label}-bin")
        os.makedirs(keep, exist_ok=True)
        for key in paths:
            dst = os.path.join(keep, os.path.basename(paths[key]))
            shutil.copy2(paths[key], dst)
            paths[key] = dst
        return paths
    finally:
        subprocess.run(["./bazelw"] + startup + ["shutdown"], cwd=tree, capture_output=True)
        git(workspace, "worktree", "remove", "--force", tree)


def prebuilt(text, plain, flag, layouts):
    """LINKED:LIB:MT, or in layout mode LINKED:LIB:MT followed by :LINKED:LIB of each copy."""
    parts = text.split(":")
    if len(parts) != 3 + 2 * layouts:
        raise bl.UsageError(
            f"{flag} expects LINKED:LIB:MT"
            + (f" and {layouts} x :LINKED:LIB (LAYOUTS={layouts})" if layouts else "")
            + f", got '{text}'"
        )
    paths = {
        "linked": ptlib.require_exec(parts[0], flag + " LINKED"),
        "lib": ptlib.require_file(parts[1], flag + " LIB"),
        "mt": ptlib.require_exec(parts[2], flag + " MT"),
        "plain": plain,
    }
    for i in range(layouts):
        paths[f"copy{i}_linked"] = ptlib.require_exec(parts[3 + 2 * i], f"{flag} copy {i + 1} LINKED")
        paths[f"copy{i}_lib"] = ptlib.require_file(parts[4 + 2 * i], f"{flag} copy {i + 1} LIB")
    return paths


def copies_of(paths, seeds):
    """[(seed, linked, lib)] of a built side's layout copies (none in single-layout mode)."""
    return [(seed, paths[f"copy{i}_linked"], paths[f"copy{i}_lib"]) for i, seed in enumerate(seeds)]


def parse(argv):
    p = argparse.ArgumentParser(prog=TOOL, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--llvm-readelf", required=True)
    p.add_argument("--floor", required=True)
    p.add_argument("--base", help="the revision the working tree is compared with")
    p.add_argument("--head", help="a revision to build as the head instead of the working tree")
    p.add_argument(
        "--variant", required=True, help="the variant built; Bazel passes the floor's, a later --variant wins"
    )
    p.add_argument("--variants", required=True, help="the variant table's names, comma-separated (from Bazel)")
    p.add_argument("--allow-dirty", action="store_true")
    p.add_argument("--prebuilt-base")
    p.add_argument("--prebuilt-head")
    p.add_argument("--plain", help="plain Mixed binary (with --prebuilt-*)")
    p.add_argument("--layout-build", required=True, help="the layout build of configs/variants.bzl (fast_layout)")
    p.add_argument("--layout-seeds", required=True, help="its seeds, comma-separated (from Bazel)")
    p.add_argument("--name", default=TOOL)
    args = p.parse_args(argv)
    try:
        if args.variant not in args.variants.split(","):
            raise bl.UsageError(f"unknown variant '{args.variant}'; known: {args.variants}")
        readelf = ptlib.require_exec(args.llvm_readelf, "--llvm-readelf")
        floor = ptlib.load_floor(args.floor)
        all_seeds = [int(x) for x in args.layout_seeds.split(",")]
        layouts = bl.env_int("LAYOUTS", 0, 0, len(all_seeds))
        if layouts == 1:
            raise bl.UsageError("LAYOUTS=1: layout mode needs at least 2 copies per side (0 = single layout)")
        base_variant = args.layout_build.rsplit("_layout", 1)[0]
        if layouts and args.variant != base_variant:
            raise bl.UsageError(
                f"LAYOUTS={layouts}: layout copies exist of variant {base_variant} only, not {args.variant}"
            )
        seeds = all_seeds[:layouts]
        if args.prebuilt_base or args.prebuilt_head:
            if not (args.prebuilt_base and args.prebuilt_head and args.plain) or args.base or args.head:
                raise bl.UsageError("--prebuilt-base, --prebuilt-head and --plain go together, without --base/--head")
            plain = ptlib.require_exec(args.plain, "--plain")
            sides = (
                prebuilt(args.prebuilt_base, plain, "--prebuilt-base", layouts),
                prebuilt(args.prebuilt_head, plain, "--prebuilt-head", layouts),
            )
            labels, workspace, sha, head_sha = ("base (prebuilt)", "head (prebuilt)"), None, None, None
        else:
            if not args.base:
                raise bl.UsageError("--base REV is required")
            workspace = os.environ.get("BUILD_WORKSPACE_DIRECTORY")
            if not workspace:
                raise bl.UsageError(
                    "building needs `bazel run //perf_tools:review` (or pass --prebuilt-base/--prebuilt-head)"
                )
            if args.head:
                sha, head_sha = resolve(workspace, args.base, "--base"), resolve(workspace, args.head, "--head")
                head = head_sha[:10]
            else:
                sha, head = check_git(workspace, args.base, args.allow_dirty)
                head_sha = None
            sides, labels = None, (f"base {sha[:10]}", f"head {head}")
        runs = bl.env_int("RUNS", 10, 2, 1000)
        warmup = bl.env_int("WARMUP", 1, 0, 100)
        cg_iters = ptlib.callgrind_iters()
        use_perf = os.environ.get("PERF", "1")
        if use_perf not in ("0", "1"):
            raise bl.UsageError(f"PERF='{use_perf}' (expected 0 or 1)")
        if use_perf == "1":
            profiles.perf_available()
        pin = bl.pin_prefix(os.environ.get("PIN", ""))
        params = bl.workload_params(("ITERS", "WS", "MIN", "MAX", "SEED"))
        folder = bl.results_dir(args.name)
    except bl.UsageError as e:
        bl.fail_usage(TOOL, str(e))
    revs = (sha, head_sha) if sides is None else (None, None)
    # One object rather than a tuple: main() reads each setting by name.
    return types.SimpleNamespace(
        args=args,
        readelf=readelf,
        floor=floor,
        sides=sides,
        labels=labels,
        workspace=workspace,
        revs=revs,
        runs=runs,
        warmup=warmup,
        cg_iters=cg_iters,
        use_perf=use_perf == "1",
        pin=pin,
        params=params,
        folder=folder,
        seeds=seeds,
    )


def main(argv):
    st = parse(argv)
    sha = st.revs[0]
    copies = [f"{st.args.layout_build}{s}" for s in st.seeds]
    if st.sides is None:
        base = build_rev(st.workspace, st.revs[0], st.args.variant, copies, st.folder, "base")
        if st.revs[1]:
            head = build_rev(st.workspace, st.revs[1], st.args.variant, copies, st.folder, "head")
        else:
            head = build(st.workspace, [], st.args.variant, copies, os.path.join(st.folder, "build-head.log"), "head")
        st.sides = (base, head)
    a = abrun.Build(
        st.labels[0],
        st.sides[0]["linked"],
        st.sides[0]["lib"],
        st.sides[0]["plain"],
        copies=copies_of(st.sides[0], st.seeds),
    )
    b = abrun.Build(
        st.labels[1],
        st.sides[1]["linked"],
        st.sides[1]["lib"],
        st.sides[1]["plain"],
        copies=copies_of(st.sides[1], st.seeds),
    )
    title = f"Review: {st.labels[1]} vs {st.labels[0]} ({st.args.variant})"
    out, data = abrun.measure(
        TOOL, a, b, "build", st.floor, st.runs, st.warmup, st.params, st.pin, st.cg_iters, st.folder, title
    )
    mt_a = abrun.Build(st.labels[0], st.sides[0]["mt"], None, None)
    mt_b = abrun.Build(st.labels[1], st.sides[1]["mt"], None, None)
    mt_out, mt_data = abrun.measure(
        TOOL,
        mt_a,
        mt_b,
        "build",
        st.floor,
        st.runs,
        st.warmup,
        {"ITERS": str(max(1, int(st.params.get("ITERS", "20000000")) // 2))},
        st.pin,
        None,
        st.folder,
        "Mixed_MT (2 threads), linked in",
        "Mixed_MT",
    )
    out += ["## Multi-threaded: " + mt_out[0][2:]] + ["#" + l if l.startswith("## ") else l for l in mt_out[1:]]
    prof = {
        "a": {"callgrind": data["top_a"], "cg_total": data["ir_per_op"]["a"], "perf": None, "samples": 0},
        "b": {"callgrind": data["top_b"], "cg_total": data["ir_per_op"]["b"], "perf": None, "samples": 0},
    }
    if st.use_perf:
        with tempfile.TemporaryDirectory() as workdir:
            for key, build_ in (("a", a), ("b", b)):
                side = build_.sides["linked"]
                try:
                    prof[key]["perf"], prof[key]["samples"] = profiles.perf(
                        TOOL,
                        Allocator(build_.label, side.binary, "same-binary", ""),
                        st.params,
                        int(st.params.get("ITERS", "20000000")),
                        workdir,
                    )
                except RuntimeError as e:
                    sys.exit(f"{TOOL}: {e}")
        out += [f"Profiles: {profiles.hardware_note()[2]}.", ""]
    out += ["## Top-50 hot functions", ""] + hot.diff_tables("base", "head", prof["a"], prof["b"], 50)
    # Linked in, ThinLTO inlines malloc and free into the workload's loop, so the profile's hot
    # allocator functions are looked up in the library: the entry points, then the profile's
    # functions that the library defines.
    in_lib = elfinfo.functions(st.readelf, st.sides[1]["lib"])
    hot_names = ["malloc", "free"] + [
        r["function"] for r in data["top_b"] if r["function"] in in_lib and r["function"] not in ("malloc", "free")
    ]
    ld_text, ld_data = layout_diff.diff(
        st.readelf,
        st.sides[0]["lib"],
        st.sides[1]["lib"],
        hot_names[:20],
        "malloc, free and the library's functions in head's callgrind top 50",
        "base",
        "head",
    )
    out += ["## Layout of the hot functions (preload library)"] + ld_text.splitlines()[1:] + [""]
    out += [
        "## What is exact and what is noisy",
        "",
        "- Exact (callgrind, the same count on every run): instructions per operation and the callgrind top-50 diff.",
        "- Exact (read from the binaries): the layout diff.",
        "- Noisy (wall clock on a shared machine): throughput deltas, their CIs and the verdicts; perf's sampled "
        "self %; peak RSS (small run-to-run variation). A delta inside the layout-noise floor is NEUTRAL.",
    ]
    data.update(
        {
            "mt": mt_data,
            "layout": ld_data,
            "perf": {k: prof[k]["perf"] for k in prof},
            "machine": bl.machine_info([st.sides[0]["linked"], st.sides[1]["linked"]], {"variant": st.args.variant}),
            "base_revision": sha,
            "head_revision": st.revs[1] or st.labels[1],
        }
    )
    bl.write_json(os.path.join(st.folder, "review.json"), data)
    ptlib.write_report(st.folder, "review", "\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1:])
