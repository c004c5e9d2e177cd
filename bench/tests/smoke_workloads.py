"""CI smoke test of the workload binaries of one allocator flavor: each runs with tiny parameters
and must print one well-formed, plausible RESULT line naming the expected allocator; bad inputs
must exit 2 with an error message; the same SEED must give the same operation sequence; mixed's
soak mode must print EPOCH lines. Never asserts speed."""

import argparse
import os
import subprocess

import benchlib as bl
from smokecheck import check, finish

TINY = {
    "mixed": {"ITERS": "20000", "WS": "64"},
    "mixed_mt": {"THREADS": "2", "ITERS": "10000", "WS": "64"},
    "prodcons": {"PRODUCERS": "2", "CONSUMERS": "2", "ITERS": "5000", "QUEUE": "64"},
    "larson": {"THREADS": "2", "SLOTS": "64", "ROUNDS": "3", "ITERS": "2000"},
    "realloc_calloc": {"ITERS": "20000", "WS": "32"},
    "medium_large": {"ITERS": "2000", "WS": "16", "MAX": "1048576"},
    "malloc_simple": {"ITERS": "16000"},
    "large_blocks": {"BLOCKS": "4", "ITERS": "40", "MIN": "1048576", "MAX": "3145728", "ALLOC_FIRST": "1"},
    "batch_fifo": {"WORKERS": "2", "ITERS": "500", "BATCH": "50"},
}
# A field of the RESULT line that only depends on the seed (same seed -> same value).
DETERMINISTIC_FIELD = {
    "mixed": "live_bytes_end",
    "realloc_calloc": "callocs",
    "medium_large": "bytes_allocated",
    "large_blocks": "bytes_written",
}
# (environment, argv, the word the error message must contain)
BAD_INPUTS = [
    ({"ITERS": "abc"}, [], "ITERS"),
    ({"ITERS": "0"}, [], "ITERS"),
    ({"ITERS": "-5"}, [], "ITERS"),
    ({"ITERS": "99999999999999999999999"}, [], "ITERS"),
    ({"SEED": "1x"}, [], "SEED"),
    ({}, ["bogus"], "bogus"),
]
RSS_READING_SLACK_KB = 1024
HAS_MIN_MAX = {"mixed", "mixed_mt", "prodcons", "larson", "medium_large", "malloc_simple", "large_blocks", "batch_fifo"}
HAS_SEED = set(TINY) - {"malloc_simple"}  # malloc_simple's operation sequence is fixed


def run(binary, env, argv=(), preload=None):
    full_env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", **env}
    if preload:
        full_env["LD_PRELOAD"] = preload
    proc = subprocess.run([binary, *argv], env=full_env, capture_output=True, text=True, timeout=60)
    return proc.returncode, proc.stdout, proc.stderr


def check_result(workload, rc, out, err, expect):
    if not check(rc == 0, f"{workload}: exit {rc}, stderr: {err.strip()[-400:]}"):
        return None
    try:
        r = bl.parse_result(out)
    except ValueError as e:
        check(False, f"{workload}: {e}")
        return None
    check(r["workload"] == workload, f"{workload}: RESULT says workload={r['workload']}")
    check(r["allocator"] == expect, f"{workload}: RESULT says allocator={r['allocator']}, expected {expect}")
    for key in ("ops", "peak_rss_kb"):
        check(isinstance(r[key], int) and r[key] > 0, f"{workload}: {key}={r[key]} is not a positive integer")
    for key in ("seconds", "ops_per_sec"):
        check(isinstance(r[key], (int, float)) and r[key] > 0, f"{workload}: {key}={r[key]} is not positive")
    # The tiny parameters keep at most 16 MiB live (medium_large: 16 blocks of <= 1 MiB); with the
    # binary, libc and hakmem's prewarmed SuperSlab a run stays far below 128 MiB, so more is a
    # leak or a broken reading. The peak (VmHWM) cannot exceed the kernel's ru_maxrss either.
    check(r["peak_rss_kb"] < 128 * 1024, f"{workload}: peak_rss_kb={r['peak_rss_kb']} > 128 MiB")
    # The two readings come from the kernel's per-CPU (batched) RSS counters at different moments:
    # after large munmap/mremap swings (large_blocks) VmHWM was seen 124 KiB above ru_maxrss.
    check(
        r["peak_rss_kb"] <= r.get("ru_maxrss_kb", 0) + RSS_READING_SLACK_KB,
        f"{workload}: peak_rss_kb={r['peak_rss_kb']} above ru_maxrss_kb={r.get('ru_maxrss_kb')}",
    )
    return r


def smoke_workload(workload, binary, expect, preload):
    r = check_result(workload, *run(binary, TINY[workload], preload=preload), expect)
    field = DETERMINISTIC_FIELD.get(workload)
    if r and field:
        again = check_result(workload, *run(binary, TINY[workload], preload=preload), expect)
        if again:
            check(again[field] == r[field], f"{workload}: same SEED gave {field}={r[field]} then {again[field]}")
    rc, out, _ = run(binary, {}, ["--help"], preload)
    check(rc == 0 and "usage" in out, f"{workload}: --help should print the usage and exit 0 (exit {rc})")
    bad = [b for b in BAD_INPUTS if workload in HAS_SEED or "SEED" not in b[0]]
    if workload in HAS_MIN_MAX:
        bad.append(({"MIN": "2048", "MAX": "1024"}, [], "MIN"))
    for env, argv, word in bad:
        rc, out, err = run(binary, {**TINY[workload], **env}, argv, preload)
        shown = " ".join(f"{k}={v}" for k, v in env.items()) + " " + " ".join(argv)
        check(rc == 2, f"{workload} {shown}: exit {rc}, expected 2")
        check("error" in err and word in err, f"{workload} {shown}: stderr lacks a clear error: {err.strip()!r}")
        check("RESULT" not in out, f"{workload} {shown}: printed a RESULT line for bad input")


def smoke_soak(binary, expect, preload):
    rc, out, err = run(binary, {"DURATION_SEC": "1", "EPOCH_SEC": "1", "WS": "64"}, preload=preload)
    r = check_result("mixed", rc, out, err, expect)
    epochs = bl.parse_epochs(out)
    check(len(epochs) >= 1, f"mixed soak: no EPOCH line in {out!r}")
    for e in epochs:
        check(
            all(isinstance(e.get(k), int) and e[k] > 0 for k in ("n", "ops", "ops_per_sec", "rss_kb")),
            f"mixed soak: malformed EPOCH line {e}",
        )
    if r:
        check(r.get("mode") == "soak", "mixed soak: RESULT lacks mode=soak")
    rc, _, err = run(binary, {"DURATION_SEC": "1", "EPOCH_SEC": "5"}, preload=preload)
    check(rc == 2 and "EPOCH_SEC" in err, f"mixed soak: EPOCH_SEC > DURATION_SEC should exit 2 (exit {rc})")


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--flavor", required=True)
    p.add_argument("--expect", required=True, help="allocator= value every RESULT line must carry")
    p.add_argument("--preload", help="library to LD_PRELOAD into every run")
    p.add_argument("--bin", action="append", required=True, help="WORKLOAD=PATH")
    args = p.parse_args()
    preload = os.path.abspath(args.preload) if args.preload and not args.preload.startswith("/") else args.preload
    bins = dict(b.split("=", 1) for b in args.bin)
    check(set(bins) == set(TINY), f"binaries given for {sorted(bins)}, expected {sorted(TINY)}")
    for workload, binary in sorted(bins.items()):
        if workload in TINY:
            smoke_workload(workload, binary, args.expect, preload)
    if "mixed" in bins:
        smoke_soak(bins["mixed"], args.expect, preload)
    finish(args.flavor, f"{args.flavor}: all workload smoke checks passed")


if __name__ == "__main__":
    main()
