"""Proves that the PGO profile in use matches the current sources and that a stale one cannot build.

For every hakmem .c file: compile it exactly as the PGO variant does (the toolchain's command line
for the variant's flags, from pgo/compile_flags.bzl) against the profile the build trained -> must
succeed without a profile warning; then compile a copy in which its most-called function gains a
branch -> must fail with a profile mismatch error. The first half shows the profile was made from these sources,
the second that an edited source with an old profile is an error, not a silent slowdown.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

PROBE_DECL = "static volatile int pgo_stale_probe_;\n"
PROBE_STMT = " if (pgo_stale_probe_) pgo_stale_probe_ = 0; "


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--compile-flags",
        required=True,
        help="file: the compiler, then the variant's compile flags, one per line (pgo/compile_flags.bzl)",
    )
    p.add_argument("--llvm-profdata", required=True)
    p.add_argument("--profile", required=True)
    p.add_argument("--include", action="append", default=[], help="an include folder")
    p.add_argument("sources", nargs="+", help="the variant's source files (.c are compiled)")
    return p.parse_args(argv)


def profiled_functions(profdata, profile):
    """{name: entry count} of the profile's executed functions: 'name' for external functions,
    'file.c:name' for static ones. Only executed ones: a record of all zeros is not checked."""
    out = subprocess.run(
        [profdata, "show", "--all-functions", profile], capture_output=True, text=True, check=True
    ).stdout
    found = re.finditer(r"^  (\S+):\n(?:    .*\n)*?    Function count: (\d+)$", out, re.M)
    return {m.group(1): int(m.group(2)) for m in found if int(m.group(2)) > 0}


def definition_brace(text, name):
    """Offset just after the opening brace of the definition of `name`, or None."""
    for m in re.finditer(r"^[A-Za-z_][^;{}\n]*\b%s\s*\(" % re.escape(name), text, re.M):
        brace, semi = text.find("{", m.end()), text.find(";", m.end())
        if brace != -1 and (semi == -1 or brace < semi):
            return brace + 1
    return None


def pick_function(text, base, known):
    """The most-called function defined in this file (not in a header) that the profile knows."""
    for name in sorted(known, key=lambda n: -known[n]):
        local = name.split(":", 1)[1] if name.startswith(base + ":") else name
        if ":" in local:
            continue
        at = definition_brace(text, local)
        if at is not None:
            return local, at
    return None, None


def compile_c(command, profile, includes, path):
    cmd = command + ["-fprofile-instr-use=" + profile] + ["-I" + i for i in includes]
    cmd += ["-c", path, "-o", os.devnull]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    return proc.returncode, proc.stderr


# How clang reports a changed function: "out of date" (hash mismatch) or "missing" (LLVM reads the
# changed hash's top bits as another profile kind and finds no record at all).
STALE_ERRORS = ("profile-instr-out-of-date", "profile-instr-missing")


def main(argv):
    args = parse_args(argv)
    command = [line for line in open(args.compile_flags).read().splitlines() if line]
    known = profiled_functions(args.llvm_profdata, args.profile)
    failures, checked = [], 0
    sources = [s for s in args.sources if s.endswith(".c")]
    if not sources:
        sys.exit("stale_profile_test: no .c sources given")
    with tempfile.TemporaryDirectory() as tmp:
        for src in sources:
            base = os.path.basename(src)
            text = open(src).read()
            copy = os.path.join(tmp, base)
            shutil.copyfile(src, copy)
            includes = args.include + [os.path.dirname(src)]
            rc, err = compile_c(command, args.profile, includes, copy)
            if rc != 0 or "profile" in err:
                failures.append(f"{src}: the unchanged source does not match the profile:\n{err.strip()}")
                continue
            name, at = pick_function(text, base, known)
            if name is None:
                # A file whose every function is inline in a header has nothing of its own to edit.
                print(f"{src}: matches the profile; no function of its own to edit")
                continue
            with open(copy, "w") as f:
                f.write(PROBE_DECL + text[:at] + PROBE_STMT + text[at:])
            rc, err = compile_c(command, args.profile, includes, copy)
            if rc == 0 or not any(e in err for e in STALE_ERRORS):
                failures.append(f"{src}: {name}() edited, yet the old profile was accepted (exit {rc}):\n{err.strip()}")
                continue
            checked += 1
            why = next(e for e in STALE_ERRORS if e in err)
            print(f"{src}: matches the profile; with {name}() edited: rejected ({why})")
    for f in failures:
        print("FAIL: " + f)
    print(f"{checked} edited files rejected, {len(failures)} failures")
    if failures or checked == 0:
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1:])
