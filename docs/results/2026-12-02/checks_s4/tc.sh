#!/bin/bash
# tc.sh ROUNDS OUT  then lines "label bin [preload]" on stdin: CPU time (task-clock msec), interleaved
rounds=$1; out=$2; mapfile -t L
uptime >> $out
for r in $(seq $rounds); do
  for l in "${L[@]}"; do set -- $l; lab=$1; bin=$2; pre=$3
    if [ -n "$pre" ]; then v=$(LD_PRELOAD=$pre taskset -c 0 perf stat -x, -e task-clock $bin 2>&1 >/dev/null | grep task-clock | cut -d, -f1)
    else v=$(taskset -c 0 perf stat -x, -e task-clock $bin 2>&1 >/dev/null | grep task-clock | cut -d, -f1); fi
    echo "$lab $v" >> $out
  done
done
uptime >> $out
python3 - $out <<'PY'
import sys,statistics as st,collections
d=collections.OrderedDict()
for line in open(sys.argv[1]):
    p=line.split()
    if len(p)==2:
        try: d.setdefault(p[0],[]).append(float(p[1]))
        except: pass
for k,v in d.items(): print(f"{k:28s} n={len(v)} median={st.median(v):8.2f} mean={st.mean(v):8.2f} min={min(v):8.2f}")
PY
