#!/usr/bin/env bash
# .ci/http_cache_check.sh: proves that hakmem's build shares outputs through a plain HTTP cache.
# Starts nginx (WebDAV PUT) on 127.0.0.1, a free port, a temporary root; builds the allocator
# (//hakmem:all) into one output base through ./bazelw HAKMEM_REMOTE=http://..., then into a fresh
# one and asserts from Bazel's process summary that every action came from the cache; then checks
# that a benchmark test (tags no-remote/no-cache) sends no request to the cache while an ordinary
# test does. Prints the timings docs/build.md quotes. Run by .ci/run; exits non-zero on failure.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

work=$(mktemp -d "${TMPDIR:-/tmp}/hakmem-cache-check.XXXXXX")
bases=()
cleanup() {
  [[ -s $work/nginx.pid ]] && kill "$(cat "$work/nginx.pid")" 2>/dev/null
  local b
  for b in "${bases[@]}"; do
    ./bazelw --output_base="$b" shutdown >/dev/null 2>&1
  done
  chmod -R u+w "$work" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "http_cache_check: FAILED: $*"; exit 1; }

command -v nginx >/dev/null || fail "nginx is not installed (./bazelw installs it)"

# A free port: bind port 0 and read what the kernel chose.
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$work/root" "$work/tmp"
# A root master runs its workers as an unprivileged user, who could not write $work; run them as
# ourselves instead (the directive is only valid, and only needed, for a root master).
user_line=""
[[ $(id -u) == 0 ]] && user_line="user $(id -un) $(id -gn);"
cat >"$work/nginx.conf" <<EOF
$user_line
worker_processes 1;
pid $work/nginx.pid;
error_log $work/error.log;
events {}
http {
  access_log $work/access.log;
  client_body_temp_path $work/tmp/body;
  proxy_temp_path $work/tmp/proxy;
  fastcgi_temp_path $work/tmp/fastcgi;
  uwsgi_temp_path $work/tmp/uwsgi;
  scgi_temp_path $work/tmp/scgi;
  server {
    listen 127.0.0.1:$port;
    root $work/root;
    location / {
      dav_methods PUT;
      create_full_put_path on;
      client_max_body_size 0;
    }
  }
}
EOF
nginx -e "$work/error.log" -p "$work" -c "$work/nginx.conf" || fail "nginx did not start ($(tail -n 3 "$work/error.log"))"
# Round trip through the server before Bazel relies on it.
echo probe >"$work/probe"
probe=$(/usr/bin/python3 - "$port" "$work/probe" <<'EOF'
import sys, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/probe/x"
body = open(sys.argv[2], "rb").read()
urllib.request.urlopen(urllib.request.Request(url, data=body, method="PUT"), timeout=10)
print(urllib.request.urlopen(url, timeout=10).read().decode().strip())
EOF
) || fail "nginx on port $port does not accept PUT/GET ($(tail -n 3 "$work/error.log"))"
[[ $probe == probe ]] || fail "nginx returned '$probe' for what was stored"
echo "nginx WebDAV cache on http://127.0.0.1:$port, root $work/root"

export HAKMEM_REMOTE="http://127.0.0.1:$port"
# --disk_cache= switches off a local disk cache (user.bazelrc may set one), so a hit can only come
# from nginx.
flags=(--disk_cache= --show_result=0)

# build BASE LOG TARGETS...: ./bazelw build in output base BASE (created fresh), Bazel's output in LOG.
build() {
  local base=$1 log=$2
  shift 2
  bases+=("$base")
  ./bazelw --output_base="$base" build "${flags[@]}" "$@" >"$log" 2>&1
}

# The "INFO: N processes: ..." summary line of a Bazel log.
processes() { grep -E '^INFO: [0-9]+ processes?:' "$1" | tail -n 1; }

t=$SECONDS
build "$work/base1" "$work/cold.log" //hakmem:all || { tail -n 20 "$work/cold.log"; fail "cold build failed"; }
cold=$((SECONDS - t))
echo "cold build of //hakmem:all (empty cache, new output base): $cold s; $(processes "$work/cold.log")"
entries=$(find "$work/root" -type f | wc -l)
((entries > 0)) || fail "the cold build stored nothing in the cache"

t=$SECONDS
build "$work/base2" "$work/warm.log" //hakmem:all || { tail -n 20 "$work/warm.log"; fail "warm build failed"; }
warm=$((SECONDS - t))
summary=$(processes "$work/warm.log")
echo "warm build of //hakmem:all (filled cache, new output base): $warm s; $summary"
hits=$(grep -oE '[0-9]+ remote cache hit' <<<"$summary" | grep -oE '^[0-9]+' || echo 0)
((hits > 0)) || fail "no 'remote cache hit' in the second build's summary"
# Everything else must be Bazel-internal (symlinks, manifests): no compile or link ran here.
if grep -qE '[0-9]+ (local|linux-sandbox|processwrapper-sandbox|worker)' <<<"$summary"; then
  fail "the second build still ran actions itself: $summary"
fi

# Benchmarks: build the binaries first (ordinary, cacheable), then count the requests a test run
# makes. The bench test (tags no-remote/no-cache) must make none; a normal test over the same
# binaries must store its result, or this method would see nothing at all.
bench=//bench:mixed_10run_test
control=//bench:smoke_tenrun_test
build "$work/base2" "$work/bench_build.log" "$bench" "$control" ||
  { tail -n 20 "$work/bench_build.log"; fail "building $bench failed"; }
requests() { wc -l <"$work/access.log"; }
before=$(requests)
./bazelw --output_base="$work/base2" test "${flags[@]}" "$bench" --test_env=RUNS=1 --test_env=WARMUP=0 \
  --test_env=ITERS=20000 --test_env=ALLOCATORS=hakmem-fast >"$work/bench_test.log" 2>&1 ||
  { tail -n 20 "$work/bench_test.log"; fail "$bench failed"; }
bench_requests=$(($(requests) - before))
((bench_requests == 0)) || { tail -n "$bench_requests" "$work/access.log"; fail "$bench sent $bench_requests requests to the cache"; }
before=$(requests)
./bazelw --output_base="$work/base2" test "${flags[@]}" "$control" >"$work/control.log" 2>&1 ||
  { tail -n 20 "$work/control.log"; fail "$control failed"; }
control_puts=$(tail -n +"$((before + 1))" "$work/access.log" | grep -c '"PUT /ac/')
((control_puts > 0)) || fail "$control stored no result in the cache: the request count proves nothing"
echo "$bench: 0 cache requests; $control (cacheable): $control_puts results stored"

echo "http_cache_check: ok (cold $cold s, warm $warm s, $hits remote cache hits, load: $(cut -d' ' -f1-3 /proc/loadavg))"
