#!/usr/bin/env bash
# real_programs.sh [--ci] [--only=python,git,cc,redis] [VARIANT=]LIB.so...: real programs under
# LD_PRELOAD=LIB for each hakmem library and without hakmem (their own allocator: glibc; jemalloc for
# Debian's redis-server); outputs must match. python3's own tests + a stress script, git
# clone/log/fsck/gc, gcc/g++ compiling real sources (objects' sha256), redis + redis-benchmark.
# --ci: the short set. Each LIB must load and report VARIANT (hak_variant_name) before its runs, and
# no run may print the loader's "cannot be preloaded": else it is a FAIL, never glibc vs glibc.
# A program that is not installed is a SKIP, except with CI=true (every tool bazelw installs must
# be there in CI): then it is a FAIL.
set -uo pipefail

here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
ci=0
only=python,git,cc,redis
libs=()
declare -A expect=() # library path -> the variant it must report ("" = any)
for a in "$@"; do
  case $a in
    --ci) ci=1 ;;
    --only=*) only=${a#--only=} ;;
    *=*) lib=$(readlink -m "${a#*=}") && libs+=("$lib") && expect[$lib]=${a%%=*} ;;
    *) lib=$(readlink -m "$a") && libs+=("$lib") && expect[$lib]= ;;
  esac
done
((${#libs[@]})) || { echo "usage: $0 [--ci] [--only=LIST] [VARIANT=]libhakmem_X.so..." >&2; exit 2; }
work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/real_programs.XXXXXX")
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT # jobs: a redis-server left running
export HOME=$work LC_ALL=C.UTF-8 TZ=UTC GIT_AUTHOR_NAME=hakmem GIT_AUTHOR_EMAIL=hakmem@localhost \
  GIT_COMMITTER_NAME=hakmem GIT_COMMITTER_EMAIL=hakmem@localhost
failures=0

log() { printf '%s\n' "$*"; }
pass() { log "  PASS  $*"; }
fail() { log "  FAIL  $*"; failures=$((failures + 1)); }
# A missing program: a SKIP by hand, a FAIL in CI (where bazelw has installed all of them).
skip() { if [[ ${CI:-} == true ]]; then fail "$* (CI=true: every tool must be installed)"; else log "  SKIP  $*"; fi; }

# with LIB CMD...: runs CMD with LD_PRELOAD=LIB (LIB empty: glibc, no preload).
with() {
  local lib=$1
  shift
  if [[ -n $lib ]]; then LD_PRELOAD=$lib "$@"; else "$@"; fi
  return $?
}

# variant_of LIB: the variant a hakmem library reports, read through python's ctypes under
# LD_PRELOAD, and only if a block from python's own malloc is hakmem's (hak_owns): proves the library
# loaded and really is the process's allocator. Prints nothing otherwise.
variant_of() {
  LD_PRELOAD=$1 /usr/bin/python3 -c 'import ctypes
lib = ctypes.CDLL(None)
lib.malloc.restype = ctypes.c_void_p
lib.hak_owns.argtypes = [ctypes.c_void_p]
lib.hak_variant_name.restype = ctypes.c_char_p
if lib.hak_owns(lib.malloc(40)) == 1: print(lib.hak_variant_name().decode())' 2>/dev/null
}

# Checks every library once: it loads, serves python's mallocs and reports the expected variant.
# A library that fails is dropped from the runs (with a FAIL), so no run compares glibc to glibc.
check_libs() {
  local lib v ok=()
  for lib in "${libs[@]}"; do
    v=$(variant_of "$lib")
    if [[ -z $v ]]; then
      fail "$lib: does not load as the process's allocator under LD_PRELOAD (no hak_variant_name, or malloc is not hakmem's)"
    elif [[ -n ${expect[$lib]} && $v != "${expect[$lib]}" ]]; then
      fail "$lib: reports variant $v, expected ${expect[$lib]}"
    else
      ok+=("$lib")
    fi
  done
  libs=("${ok[@]}")
}

# show_rates FILE [LABEL]: throughput lines a task left on stderr (redis-benchmark), indented.
show_rates() {
  grep -E 'requests per second' "$1" | sed -E "s/^/          ${2:+$2: }/; s/, p50=.*//"
}

# compare NAME TASK: runs TASK (a function writing its comparable output to stdout) once per
# allocator and checks every output equals glibc's. TASK gets the LD_PRELOAD value as $1.
compare() {
  local name=$1 task=$2 t0=$SECONDS
  local ref="$work/$name.glibc"
  if ! "$task" "" >"$ref" 2>"$ref.err"; then
    fail "$name: fails without hakmem too (environment problem): $(tail -n 3 "$ref.err")"
    return
  fi
  local glibc_s=$((SECONDS - t0)) lib
  show_rates "$ref.err" "without hakmem"
  for lib in "${libs[@]}"; do
    local v t=$SECONDS
    local out="$work/$name.$(basename "$lib")"
    v="$(variant_of "$lib") ($(basename "$lib"))" # two libraries may share a variant (a BOLTed copy)
    if ! "$task" "$lib" >"$out" 2>"$out.err"; then
      fail "$name under $v: exit status non-zero; stderr: $(tail -n 5 "$out.err")"
    elif grep -q 'cannot be preloaded' "$out.err"; then
      fail "$name under $v: a process ran without hakmem: $(grep -m 1 'cannot be preloaded' "$out.err")"
    elif ! cmp -s "$ref" "$out"; then
      fail "$name under $v: output differs from the run without hakmem:"
      diff "$ref" "$out" | head -n 20
    else
      pass "$name under $v ($((SECONDS - t)) s; without hakmem $glibc_s s; $(wc -l <"$out") lines equal)"
      show_rates "$out.err"
    fi
  done
}

# ---- python ----------------------------------------------------------------------------------
py_suite() {
  local mods=(test.test_list test.test_dict test.test_set test.test_json test.test_re
              test.test_itertools test.test_collections)
  ((ci)) || mods+=(test.test_unicode test.test_bigaddrspace test.test_deque test.test_heapq
                   test.test_array test.test_long test.test_struct test.test_pickle test.test_gc)
  # unittest -v prints one line per test (sets in a fixed order with PYTHONHASHSEED=0); the
  # timing line is dropped.
  PYTHONHASHSEED=0 with "$1" /usr/bin/python3 -B -m unittest -v "${mods[@]}" 2>&1 | sed -E 's/^Ran ([0-9]+) tests in .*/Ran \1 tests/'
  return "${PIPESTATUS[0]}"
}

py_stress() {
  with "$1" /usr/bin/python3 -B - <<'EOF'
# Deterministic allocation stress: containers of every size, strings, big ints, cycles for the gc.
import gc, hashlib, json, random, re
rng = random.Random(1234)
h = hashlib.sha256()
live = {}
for step in range(300000):
    k = rng.randrange(5000)
    kind = rng.randrange(6)
    if kind == 0: v = [rng.random() for _ in range(rng.randrange(64))]
    elif kind == 1: v = "x%d" % k * rng.randrange(1, 300)
    elif kind == 2: v = {str(i): i * i for i in range(rng.randrange(50))}
    elif kind == 3: v = rng.getrandbits(rng.randrange(8, 20000))
    elif kind == 4: v = bytearray(rng.randrange(1, 70000))
    else:
        a, b = [], []
        a.append(b); b.append(a)  # a reference cycle only the gc frees
        v = (a, len(live))
    old = live.pop(k, None)
    if old is not None:
        h.update(repr(type(old)).encode() + str(len(old) if hasattr(old, "__len__") else old % 997).encode())
    live[k] = v
    if step % 50000 == 0:
        gc.collect()
        h.update(json.dumps(sorted(live)[:100]).encode())
text = " ".join("word%d" % rng.randrange(10000) for _ in range(200000))
h.update(str(sorted(set(re.findall(r"word(\d+)7\b", text)))[:50]).encode())
# What the final collection frees is deterministic for this script (the gc runs on allocation
# counts, not addresses), so it is compared with glibc's run like the rest.
print(h.hexdigest(), len(live), gc.collect())
EOF
}

# ---- git ---------------------------------------------------------------------------------------
git_repo() { # a bare snapshot of this script's repository (others may commit meanwhile), or
  local top gen="$work/gen" i f # a generated repository if there is none (a sandboxed copy)
  if top=$(git -C "$here" rev-parse --show-toplevel 2>/dev/null); then
    git clone -q --bare --no-local "$top" "$work/snapshot.git" && { echo "$work/snapshot.git"; return; }
  fi
  git init -q "$gen"
  for i in $(seq 1 60); do
    for f in $(seq 1 $((i % 7 + 1))); do seq "$i" $((i * 37 + f * 11)) >"$gen/file$f.txt"; done
    printf 'commit %d\n' "$i" >>"$gen/CHANGES"
    git -C "$gen" add -A && git -C "$gen" commit -q -m "change $i"
  done
  echo "$gen"
}

git_task() {
  local lib=$1 dir="$work/clone.$RANDOM"
  with "$lib" git clone -q --no-local --no-hardlinks "$repo" "$dir" || return 1
  with "$lib" git -C "$dir" log --stat --format='%H %an %s' HEAD | sha256sum
  with "$lib" git -C "$dir" fsck --full --strict 2>&1 || return 1
  with "$lib" git -C "$dir" gc -q --aggressive --prune=now || return 1
  with "$lib" git -C "$dir" repack -a -d -f -q || return 1
  with "$lib" git -C "$dir" count-objects -v | grep -E '^(count|in-pack|packs|garbage):'
  with "$lib" git -C "$dir" rev-list --objects --all | sort | sha256sum
  with "$lib" git -C "$dir" grep -c -e malloc -e free HEAD -- . | sha256sum
  with "$lib" git -C "$dir" diff --stat "$(git -C "$dir" rev-list --max-parents=0 HEAD | tail -n 1)" HEAD | sha256sum
  rm -rf "$dir"
}

# ---- cc ----------------------------------------------------------------------------------------
cc_task() {
  local lib=$1 out="$work/obj.$RANDOM" f
  mkdir -p "$out"
  # hakmem's own sources: C, with the include paths its BUILD file gives them.
  for f in "$src_root"/hakmem/src/*.c; do
    with "$lib" gcc -std=gnu17 -O2 -g -DHAK_VARIANT_STANDARD=1 -I"$src_root/hakmem/include" \
      -I"$src_root" -c "$f" -o "$out/$(basename "$f").o" || return 1
  done
  if ((!ci)) && [[ -d /usr/src/googletest/googletest ]]; then # C++: googletest from Debian's source package
    local g=/usr/src/googletest/googletest
    with "$lib" g++ -std=c++17 -O2 -I"$g/include" -I"$g" -c "$g/src/gtest-all.cc" -o "$out/gtest-all.o" || return 1
  fi
  (cd "$out" && sha256sum ./*.o)
  rm -rf "$out"
}

# ---- redis ---------------------------------------------------------------------------------------
redis_task() {
  local lib=$1 dir="$work/redis.$RANDOM" port pid= try i
  mkdir -p "$dir"
  for try in 1 2 3 4 5; do # a random high port; another if it is taken (the log says so)
    port=$((20000 + RANDOM % 30000))
    with "$lib" redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
      --dir "$dir" --daemonize no --protected-mode yes --enable-debug-command local >"$dir/log" 2>&1 &
    pid=$!
    for i in $(seq 1 100); do
      grep -q 'Ready to accept connections' "$dir/log" && break
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    grep -q 'Ready to accept connections' "$dir/log" && break
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=
  done
  [[ -n $pid ]] || { cat "$dir/log" >&2; return 1; }
  local cli=(timeout 120 redis-cli -p "$port")
  with "$lib" timeout 300 redis-benchmark -p "$port" -q -n 20000 -r 10000 -d 300 \
    -t set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,lrange_100,mset >"$dir/bench" 2>&1 ||
    { kill "$pid"; wait "$pid"; return 1; }
  "${cli[@]}" flushall >/dev/null
  # set/get consistency: 3000 keys of sizes 1..60000 via --pipe, read back, values hashed.
  /usr/bin/python3 -c 'import sys
for i in range(1, 3001):
    v = chr(97 + i % 26) * ((i * 7919) % 60000 + 1)
    sys.stdout.write("*3\r\n$3\r\nSET\r\n$%d\r\nkey:%d\r\n$%d\r\n%s\r\n" % (len("key:%d" % i), i, len(v), v))' |
    "${cli[@]}" --pipe | tail -n 1
  for i in $(seq 1 3000); do printf 'GET key:%d\r\n' "$i"; done | "${cli[@]}" --pipe >/dev/null
  "${cli[@]}" dbsize
  for i in $(seq 1 3000 | shuf --random-source=<(yes) -n 300); do "${cli[@]}" get "key:$i"; done | sha256sum
  "${cli[@]}" debug digest
  "${cli[@]}" shutdown nosave >/dev/null 2>&1
  wait "$pid"
  local rc=$?
  tr '\r' '\n' <"$dir/bench" | grep -E '^[A-Za-z_0-9 ()]+: [0-9.]+ requests per second' >&2
  rm -rf "$dir"
  return "$rc"
}

log "real programs under LD_PRELOAD: ${libs[*]} ($([[ $ci == 1 ]] && echo CI set || echo full set))"
check_libs
has() { [[ ,$only, == *",$1,"* ]]; }
if has python; then
  if /usr/bin/python3 -c 'import test.test_list' 2>/dev/null; then compare python-testsuite py_suite
  else skip "python-testsuite: Debian package libpython3.11-testsuite not installed"; fi
  compare python-stress py_stress
fi
if has git; then
  if command -v git >/dev/null; then repo=$(git_repo) && compare git git_task
  else skip "git: not installed"; fi
fi
if has cc; then
  src=${HAKMEM_SRC_ROOT:-$(cd "$here/.." && pwd)}
  if command -v gcc >/dev/null && [[ -d $src/hakmem/src ]]; then
    src_root="$work/src" # a snapshot: others may edit the tree meanwhile
    mkdir -p "$src_root/hakmem" "$src_root/configs"
    cp -rL "$src/hakmem/src" "$src/hakmem/include" "$src_root/hakmem/"
    cp -L "$src/configs/gates.def" "$src_root/configs/"
    compare cc cc_task
  else skip "cc: gcc or the hakmem sources missing"; fi
fi
if has redis; then
  if command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null; then compare redis redis_task
  else skip "redis: Debian package redis-server not installed"; fi
fi
log "real programs: $failures failure(s)"
((failures == 0))
