"""The training table: the workloads that teach PGO (pgo/) and BOLT (bolt/) how hakmem is used.

One table serves both pipelines, so the profile that shapes the compiler's decisions and the one
that shapes BOLT's layout come from the same runs. An entry is one of two kinds:
  {name, workload, weight, env}  a bench/ workload binary (//bench:<workload> and its per-variant
                                 twins) with the given environment parameters;
  {name, app, weight, size}      a real program of //bench:apps (bench/tools/apps_table.py: its
                                 Debian binary and generated input at `size`), run with the
                                 instrumented library preloaded (pgo/train.py --app).
`weight` scales an entry's counts when the raw profiles are merged (pgo/: `llvm-profdata merge
--weighted-input`; bolt/ says in docs/bolt.md how it applies the same weights).

Parameters are smoke-sized on purpose: training runs inside every CI build of fast_pgo, and the
profile needs the *shape* of the calls (which branches, which classes), not a long run. A few
hundred thousand operations per shape already hit every fast-path branch.

HOLDOUT and HOLDOUT_APPS name the workloads and programs that are never trained on: the reports
measure them to show whether the profile carries over to code it never saw. The table is checked
when this file is loaded (validate_training): an unknown workload, a trained hold-out or a
malformed entry fails every build that uses it, naming the entry; an app name train.py does not
know, or a program missing from the machine, fails the training action naming it.
"""

load("//bench:defs.bzl", "WORKLOADS")

_BENCH_TRAINING = [
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

# Real programs, "small" inputs (the size //bench:apps EXACT=1 uses: 0.05-0.3 s each with the
# instrumented library; sqlite and perl ~0.13 M mallocs, git 6.5 k, most of them slow-path).
# The split puts each allocation style on both sides (bench/tools/apps_table.py describes them):
#   trained  sqlite (database: page cache, B-tree pages, sort buffers), perl (hash and string
#            churn, realloc growing strings), git (pack-objects: large buffers and zlib, the
#            slow and medium paths)
#   held out lua (GC interpreter, everything through one realloc hook), python (interpreter,
#            refill-heavy), clang (many mid-sized nodes), redis (a server; the only one that
#            links its own allocator).
# Not lua in training: its hook calls realloc(NULL, n) for every new block, and a profile weighted
# towards that idiom laid realloc out against growing an existing block: held-out perl then took
# 135 k instead of 88 k taken branches in hakmem (+53 %, BOLT dyno-stats of its own run), while
# training perl leaves held-out lua where the bench-only profile had it (1.022 M vs 1.023 M;
# docs/pgo.md, "Real programs in the profile").
# Weight 8 brings sqlite's and perl's calls near a 1 M-operation bench entry, so a profile of
# hakmem in real programs is not drowned by Mixed's 8 M weighted operations.
_APP_TRAINING = [
    {"name": "app_sqlite", "app": "sqlite", "weight": 8, "size": "small"},
    {"name": "app_perl", "app": "perl", "weight": 8, "size": "small"},
    {"name": "app_git", "app": "git", "weight": 8, "size": "small"},
]

TRAINING = _BENCH_TRAINING + _APP_TRAINING

# Never trained on: the hold-out that shows whether the profile over-fits.
HOLDOUT = ["mixed_mt"]
HOLDOUT_APPS = ["lua", "python", "clang", "redis"]

def bench_entries(table):
    """The entries that run a bench/ workload binary."""
    return [e for e in table if "workload" in e]

def app_entries(table):
    """The entries that run a real program with the instrumented library preloaded."""
    return [e for e in table if "app" in e]

def training_summary(e):
    """NAME:WHAT:WEIGHT:K=V,... of an entry for the reports (WHAT: the workload, or app/<name>)."""
    if "app" in e:
        return "%s:app/%s:%d:SIZE=%s" % (e["name"], e["app"], e["weight"], e["size"])
    return "%s:%s:%d:%s" % (e["name"], e["workload"], e["weight"],
                            ",".join(["%s=%s" % kv for kv in sorted(e["env"].items())]))

_KEYS = ["name", "workload", "weight", "env"]
_APP_KEYS = ["name", "app", "weight", "size"]
_SAFE_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-/:"

def _safe(where, what, text):
    if type(text) != "string" or not text or [c for c in text.elems() if c not in _SAFE_CHARS]:
        fail("%s: %s %r must be a non-empty string of letters, digits and %s (it goes on a command line)" %
             (where, what, text, "._-/:"))

def validate_training(training, holdout, holdout_apps, workloads):
    """fail()s at load time, naming the entry, on anything the training runs could not do."""
    names = {}
    for i, e in enumerate(training):
        where = "pgo/training.bzl TRAINING[%d]" % i
        if type(e) != "dict" or sorted(e.keys()) not in (sorted(_KEYS), sorted(_APP_KEYS)):
            fail("%s: an entry has exactly the keys %s (a workload) or %s (a program), got %r" %
                 (where, ", ".join(_KEYS), ", ".join(_APP_KEYS), e))
        where += " (%s)" % e["name"]
        if type(e["name"]) != "string" or not e["name"] or e["name"] in names:
            fail("%s: name must be a non-empty string, unique in the table" % where)
        names[e["name"]] = True
        if type(e["weight"]) != "int" or e["weight"] < 1:
            fail("%s: weight must be an integer >= 1, got %r" % (where, e["weight"]))
        if "app" in e:
            _safe(where, "app", e["app"])
            _safe(where, "size", e["size"])
            if e["app"] in holdout_apps:
                fail("%s: program %r is in HOLDOUT_APPS; a hold-out is never trained on" % (where, e["app"]))
            continue
        if e["workload"] not in workloads:
            fail("%s: unknown workload %r; known (bench/defs.bzl WORKLOADS): %s" %
                 (where, e["workload"], ", ".join(workloads)))
        if e["workload"] in holdout:
            fail("%s: workload %r is in HOLDOUT; a hold-out is never trained on" % (where, e["workload"]))
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
    for a in holdout_apps:
        _safe("pgo/training.bzl HOLDOUT_APPS", "app", a)
    if not bench_entries(training):
        fail("pgo/training.bzl: TRAINING has no workload entry; the linked-in builds train on those")
    return training

# Runs whenever anything loads this file (pgo/ and bolt/ alike).
_CHECKED = validate_training(TRAINING, HOLDOUT, HOLDOUT_APPS, WORKLOADS)
