#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 10; `make fuzz` runs
# longer). cargo-fuzz needs nightly features; the one stable toolchain here
# gets them through RUSTC_BOOTSTRAP, which is fine for a test-only build.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
export PATH="$PWD/target/tools/bin:$PATH"
if ! command -v cargo-fuzz >/dev/null; then
  echo "installing cargo-fuzz into target/tools (a one-off build)"
  cargo install cargo-fuzz --locked --root target/tools
fi
# cargo-fuzz has no --locked: check the committed lock file first, so that
# a fuzz run never rewrites it (make test leaves the work tree clean).
if ! cargo metadata --locked --format-version 1 --manifest-path fuzz/Cargo.toml >/dev/null 2>&1; then
  echo "fuzz/Cargo.lock does not match fuzz/Cargo.toml: run" >&2
  echo "  cargo update --workspace --manifest-path fuzz/Cargo.toml" >&2
  echo "and commit fuzz/Cargo.lock" >&2
  exit 1
fi
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="$PWD/target/fuzz"
mkdir -p "$CARGO_TARGET_DIR"
cd fuzz
targets=$(cargo fuzz list)
for t in $targets; do
  mkdir -p corpus/$t
  echo "== fuzz $t for ${seconds}s =="
  log="$CARGO_TARGET_DIR/fuzz-$t.log"
  # Targets with real files to start from get them as a second corpus.
  seeds=()
  if [ "$t" = av ]; then seeds=(../vault/tests/fixtures); fi
  if [ "$t" = bundle ] && command -v age >/dev/null; then
    mkdir -p "$CARGO_TARGET_DIR/seeds/bundle"
    age -d -i ../docs/test-vectors/bundle/omct.key ../docs/test-vectors/bundle/good.tar.age \
      >"$CARGO_TARGET_DIR/seeds/bundle/good.tar"
    seeds=("$CARGO_TARGET_DIR/seeds/bundle")
  fi
  if ! cargo fuzz run "$t" corpus/$t ${seeds[@]+"${seeds[@]}"} -- -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=1024 \
      -print_final_stats=1 >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    echo "fuzz target $t failed; the input is under fuzz/artifacts/$t" >&2
    exit 1
  fi
  grep -E '^stat::number_of_executed_units' "$log" || true
done
