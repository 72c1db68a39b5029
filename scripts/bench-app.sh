#!/usr/bin/env bash
# The app's benchmarks (part of `make bench`), each against a reference run
# in the same script: the least a WebKitGTK program can do
# (tests/e2e/reference-webview.py, a GTK window with one WebKit view on a
# small local page), on the same libraries.
#   1. start to the unlock screen, cold (files dropped from the page cache)
#      and warm (median of 5);
#   2. memory of the idle, unlocked app (PSS of all its processes), and
#   3. responsiveness during a 1 GiB import (tests/e2e/bench.mjs, through
#      WebDriver).
# Needs the release app: target/release/temoin-app (built here).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/target/bench-app
APP=$ROOT/target/release/temoin-app
REF="/usr/bin/python3 $ROOT/tests/e2e/reference-webview.py"
mkdir -p "$OUT"
rm -rf "$OUT/home"

LIBS=(/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1 /usr/lib/x86_64-linux-gnu/libwebkit2gtk-4.1.so.0
  /usr/lib/x86_64-linux-gnu/libjavascriptcoregtk-4.1.so.0 /usr/lib/x86_64-linux-gnu/libgtk-3.so.0)
evict() { /usr/bin/python3 tests/e2e/evict.py "$APP" "${LIBS[@]}" "$@"; }

# Milliseconds from spawning "$@" to the line $1-ready on its stdout.
start_ms() {
  local marker=$1
  shift
  local t0 t1
  t0=$(date +%s%N)
  coproc PROG { exec "$@" 2>/dev/null; }
  local pid=$PROG_PID line
  while IFS= read -r -t 60 line <&"${PROG[0]}"; do
    [ "$line" = "$marker" ] && break
  done
  t1=$(date +%s%N)
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  echo $(((t1 - t0) / 1000000))
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

run_bench() {
  export TEMOIN_HOME=$OUT/home TEMOIN_BENCH_READY=1
  evict
  local ours_cold ref_cold ours_warm ref_warm
  ours_cold=$(start_ms temoin-ready "$APP")
  evict
  ref_cold=$(start_ms reference-ready $REF)
  ours_warm=$(for _ in 1 2 3 4 5; do start_ms temoin-ready "$APP"; done | median)
  ref_warm=$(for _ in 1 2 3 4 5; do start_ms reference-ready $REF; done | median)
  echo "start to the unlock screen, cold: ours ${ours_cold} ms, reference WebKit window ${ref_cold} ms, ratio $(awk "BEGIN{printf \"%.2f\", $ours_cold/$ref_cold}")x"
  echo "start to the unlock screen, warm (median of 5): ours ${ours_warm} ms (target < 1000 ms), reference ${ref_warm} ms, ratio $(awk "BEGIN{printf \"%.2f\", $ours_warm/$ref_warm}")x"
}

if [ "${1:-}" = inner ]; then
  run_bench
  # Memory and responsiveness through WebDriver.
  "$ROOT/target/tools/bin/tauri-driver" --port 4444 > "$OUT/tauri-driver.log" 2>&1 &
  driver=$!
  rc=0
  E2E_APP=$APP E2E_OUT=$OUT node tests/e2e/bench.mjs || rc=$?
  kill -TERM "$driver" 2>/dev/null
  wait "$driver" 2>/dev/null || true
  exit $rc
fi

npm --prefix ui run build > /dev/null
cargo build --release --locked -p temoin-app
xvfb-run -a -s "-screen 0 1366x768x24" bash "$0" inner
