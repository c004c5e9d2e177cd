"""The training table: the workloads that teach PGO (pgo/) and BOLT (bolt/) how hakmem is used.

One table serves both pipelines, so the profile that shapes the compiler's decisions and the one
that shapes BOLT's layout come from the same runs. Each entry runs one bench/ workload binary
(//bench:<workload> and its per-variant twins) with the given environment parameters; `weight`
scales its counts when the raw profiles are merged (pgo/: `llvm-profdata merge --weighted-input`;
bolt/ says in docs/bolt.md how it applies the same weights).

Parameters are smoke-sized on purpose: training runs inside every CI build of fast_pgo, and the
profile needs the *shape* of the calls (which branches, which classes), not a long run. A few
hundred thousand operations per shape already hit every fast-path branch.

HOLDOUT names workloads that are never trained on: reports measure them to show over-fitting.
The table is checked when this file is loaded (validate_training): an unknown workload or a
malformed entry fails every build that uses it, naming the entry and the known workloads.
"""

load("//bench:defs.bzl", "WORKLOADS")

TRAINING = [
    # The seed's Mixed: one thread, 16..1024 B, 400 live slots. Weighted highest: it is the
    # workload the variant is judged on.
    {"name": "mixed", "workload": "mixed", "weight": 4,
     "env": {"ITERS": "2000000", "WS": "400", "MIN": "16", "MAX": "1024", "SEED": "7"}},
    # A larger working set: more refills and slab turnover than WS=400.
    {"name": "mixed_ws4000", "workload": "mixed", "weight": 1,
     "env": {"ITERS": "1000000", "WS": "4000", "MIN": "16", "MAX": "1024", "SEED": "8"}},
    # Cross-thread frees: every block is freed by another thread (remote inbox path).
    {"name": "prodcons", "workload": "prodcons", "weight": 1,
     "env": {"PRODUCERS": "1", "CONSUMERS": "1", "ITERS": "300000", "SEED": "9"}},
    # Thread churn and frees by a successor thread.
    {"name": "larson", "workload": "larson", "weight": 1,
     "env": {"THREADS": "2", "SLOTS": "500", "ROUNDS": "4", "ITERS": "50000", "SEED": "10"}},
    # realloc chains and calloc.
    {"name": "realloc_calloc", "workload": "realloc_calloc", "weight": 1,
     "env": {"ITERS": "300000", "SEED": "11"}},
    # Medium and large blocks (huge path, huge cache).
    {"name": "medium_large", "workload": "medium_large", "weight": 1,
     "env": {"ITERS": "20000", "WS": "32", "SEED": "12"}},
]

# Never trained on: the hold-out that shows whether the profile over-fits.
HOLDOUT = ["mixed_mt"]

_KEYS = ["name", "workload", "weight", "env"]
_SAFE_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-/:"

def validate_training(training, holdout, workloads):
    """fail()s at load time, naming the entry, on anything the training runs could not do."""
    names = {}
    for i, e in enumerate(training):
        where = "pgo/training.bzl TRAINING[%d]" % i
        if type(e) != "dict" or sorted(e.keys()) != sorted(_KEYS):
            fail("%s: an entry has exactly the keys %s, got %r" % (where, ", ".join(_KEYS), e))
        where += " (%s)" % e["name"]
        if type(e["name"]) != "string" or not e["name"] or e["name"] in names:
            fail("%s: name must be a non-empty string, unique in the table" % where)
        names[e["name"]] = True
        if e["workload"] not in workloads:
            fail("%s: unknown workload %r; known (bench/defs.bzl WORKLOADS): %s" %
                 (where, e["workload"], ", ".join(workloads)))
        if e["workload"] in holdout:
            fail("%s: workload %r is in HOLDOUT; a hold-out is never trained on" % (where, e["workload"]))
        if type(e["weight"]) != "int" or e["weight"] < 1:
            fail("%s: weight must be an integer >= 1, got %r" % (where, e["weight"]))
        if type(e["env"]) != "dict":
            fail("%s: env must be a dict of NAME: \"value\"" % where)
        for k, v in e["env"].items():
            if type(k) != "string" or type(v) != "string" or not k or "=" in k:
                fail("%s: env entry %r: %r must be a string NAME and a string value" % (where, k, v))
            if [c for c in (k + v).elems() if c not in _SAFE_CHARS]:
                fail("%s: env entry %s=%r: only letters, digits and %s (it goes on a command line)" %
                     (where, k, v, "._-/:"))
    for w in holdout:
        if w not in workloads:
            fail("pgo/training.bzl HOLDOUT: unknown workload %r; known (bench/defs.bzl WORKLOADS): %s" %
                 (w, ", ".join(workloads)))
    if not training:
        fail("pgo/training.bzl: TRAINING is empty; a profile needs at least one workload")
    return training

# Runs whenever anything loads this file (pgo/ and bolt/ alike).
_CHECKED = validate_training(TRAINING, HOLDOUT, WORKLOADS)
