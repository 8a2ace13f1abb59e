#!/bin/bash
# How long `ztai run` takes to stop: starts the agent with the packaged config, waits until it
# runs, sends SIGTERM and times until it has exited. Prints one row per run and the median.
# Needs root (it loads the BPF programs). Not run by ctest: a measurement, not a test.
#   tests/bench/stop_bench.sh BUILD/agent/ztai [runs] [config]
set -eu
bin=${1:?usage: stop_bench.sh ZTAI_BINARY [runs] [config]}
runs=${2:-5}
config=${3:-$(dirname "$0")/../../packaging/config/ztai.yaml}
dir=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
  rm -rf "$dir"
}
trap cleanup EXIT
times=()
printf '%-4s %-10s %s\n' run programs stop_s
for i in $(seq 1 "$runs"); do
  "$bin" run --config "$config" >/dev/null 2>"$dir/err" &
  pid=$!
  for _ in $(seq 1 600); do
    grep -q 'running: [0-9]* programs attached' "$dir/err" && break
    kill -0 "$pid" 2>/dev/null || { cat "$dir/err" >&2; exit 1; }
    sleep 0.1
  done
  programs=$(sed -n 's/.*running: \([0-9]*\) programs attached.*/\1/p' "$dir/err")
  sleep 1
  start=$(date +%s.%N)
  kill -TERM "$pid"
  wait "$pid" || true
  end=$(date +%s.%N)
  pid=
  t=$(echo "$end - $start" | bc)
  times+=("$t")
  printf '%-4s %-10s %.2f\n' "$i" "$programs" "$t"
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "median %.2f s over %d runs (min %.2f, max %.2f)\n", a[int((NR+1)/2)], NR, a[1], a[NR]}'
