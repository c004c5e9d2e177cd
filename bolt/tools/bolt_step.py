"""The checked steps of bolt/'s Bazel actions: instrument, merge (weighted) and optimize.

Each step checks its input before calling LLVM (the tool is installed, the input kept its
relocations, the profile is not empty) and its output after (BOLT matched the profile to the input
and marked the result), so a broken input stops the build with one line saying which and what to
do, and no un-BOLTed copy is ever produced under the BOLT name. Tool paths come from
toolchain/llvm.bzl through bolt/defs.bzl; the flags from bolt/flags.bzl.
"""

import argparse
import json
import os
import re
import subprocess
import sys

TOOL = "bolt"


class StepError(Exception):
    """A bad input or a failed LLVM run: reported as one line (plus the tool's output), exit 1."""


def require_tool(path, what):
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise StepError(
            f"{what} not found at {path}: install Debian's bolt-19 (./bazelw installs it)"
            " or point LLVM_ROOT in toolchain/llvm.bzl at an LLVM that has it"
        )


def require_relocations(readelf, binary):
    """BOLT can only move functions of an input linked with -Wl,--emit-relocs (.rela.text)."""
    proc = subprocess.run([readelf, "-S", "-W", binary], capture_output=True, text=True)
    if proc.returncode != 0:
        raise StepError(f"{binary} is not an ELF file llvm-readelf can read:\n{proc.stderr.strip()}")
    if not re.search(r"\s\.rela\.text\s", proc.stdout):
        raise StepError(
            f"{binary} has no .rela.text section: link it with -Wl,--emit-relocs (the"
            " .bazelrc default) so llvm-bolt can reorder its functions"
        )


def run_bolt(cmd, log_path, what):
    """Runs llvm-bolt with its whole output in log_path; returns that output."""
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    with open(log_path, "w") as f:
        f.write("$ " + " ".join(cmd) + "\n" + proc.stdout)
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.strip().splitlines()[-15:])
        raise StepError(f"llvm-bolt failed to {what} (exit code {proc.returncode}); its output ends:\n{tail}")
    return proc.stdout


def instrument(args):
    require_tool(args.llvm_bolt, "llvm-bolt")
    if not os.path.isfile(args.runtime):
        raise StepError(
            f"BOLT's instrumentation runtime {args.runtime} is missing: install Debian's"
            " bolt-19 (BOLT_INSTR_RUNTIME in toolchain/llvm.bzl)"
        )
    require_relocations(args.llvm_readelf, args.input)
    run_bolt([args.llvm_bolt, args.input, "-o", args.output] + args.flag, args.log, f"instrument {args.input}")


def merge(args):
    """merge-fdata sums counts and has no weights, so an entry of weight w is given w times: its
    counts enter the sum w times, the same effect as llvm-profdata's --weighted-input for PGO."""
    require_tool(args.merge_fdata, "merge-fdata")
    with open(args.manifest) as f:
        runs = json.load(f)["runs"]
    inputs = []
    for run in runs:
        files = [p for p in run["files"] if p.endswith(".fdata")]
        if not files:
            raise StepError(
                f"training entry '{run['name']}' left no .fdata profile (files: "
                f"{', '.join(run['files'])}): was the instrumented copy really run?"
            )
        inputs += files * run["weight"]
    with open(args.output, "w") as out:
        proc = subprocess.run([args.merge_fdata] + inputs, stdout=out, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        os.unlink(args.output)
        raise StepError(f"merge-fdata failed (exit code {proc.returncode}):\n{proc.stderr.strip()}")
    if os.path.getsize(args.output) == 0:
        os.unlink(args.output)
        raise StepError(f"merge-fdata wrote an empty profile from {len(inputs)} inputs")
    with open(args.log, "w") as f:
        json.dump({"merge_fdata_inputs": inputs, "runs": runs}, f, indent=2)
        f.write("\n")


PROFILED = re.compile(
    r"BOLT-INFO: (\d+) out of (\d+) functions in the binary \([\d.]+%\) have non-empty execution profile"
)
STALE = re.compile(r"BOLT-WARNING: (\d+) \([\d.]+% of all profiled\) functions have invalid \(possibly stale\) profile")


def optimize(args):
    require_tool(args.llvm_bolt, "llvm-bolt")
    require_relocations(args.llvm_readelf, args.input)
    if os.path.getsize(args.profile) == 0:
        raise StepError(f"the profile {args.profile} is empty: the training runs recorded nothing")
    out = run_bolt(
        [args.llvm_bolt, args.input, "-o", args.output, "-data=" + args.profile] + args.flag,
        args.log,
        f"optimize {args.input}",
    )
    profiled = PROFILED.search(out)
    if not profiled or int(profiled.group(1)) == 0:
        os.unlink(args.output)
        raise StepError(
            f"no function of {args.input} matched the profile {args.profile}: the"
            " profile comes from another binary (in the Bazel graph that is a bug of bolt/)"
        )
    stale = STALE.search(out)
    if stale:
        os.unlink(args.output)
        raise StepError(
            f"{stale.group(1)} functions of {args.input} have a stale profile: the"
            f" training ran another build than the one being optimized (see {args.log})"
        )
    notes = subprocess.run([args.llvm_readelf, "-S", "-W", args.output], capture_output=True, text=True)
    if ".note.bolt_info" not in notes.stdout:
        os.unlink(args.output)
        raise StepError(f"llvm-bolt's output {args.output} carries no .note.bolt_info: not a BOLTed file")


def parse_args(argv):
    p = argparse.ArgumentParser(prog=TOOL, description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="step", required=True)
    i = sub.add_parser("instrument", help="llvm-bolt -instrument INPUT")
    i.add_argument("--runtime", required=True, help="BOLT's instrumentation runtime (must exist)")
    o = sub.add_parser("optimize", help="llvm-bolt INPUT -data=PROFILE")
    o.add_argument("--profile", required=True)
    for s in (i, o):
        s.add_argument("--llvm-bolt", required=True)
        s.add_argument("--llvm-readelf", required=True)
        s.add_argument("--input", required=True)
        s.add_argument("--flag", action="append", default=[], help="one llvm-bolt flag (bolt/flags.bzl)")
    m = sub.add_parser("merge", help="merge-fdata the training runs of a manifest, weighted")
    m.add_argument("--merge-fdata", required=True)
    m.add_argument("--manifest", required=True, help="manifest.json of the training runner")
    for s in (i, o, m):
        s.add_argument("--output", required=True)
        s.add_argument("--log", required=True, help="where the step's full output goes")
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    try:
        {"instrument": instrument, "merge": merge, "optimize": optimize}[args.step](args)
    except StepError as e:
        print(f"{TOOL}: error: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1:])
