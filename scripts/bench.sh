#!/usr/bin/env bash
# Runs the benchmarks. Each prints its figures beside a reference measured in
# the same run (rage, a bare fdatasync, a naive scan, exiftool, ImageMagick,
# curl, @tus/server), never a bare time.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/target/tools/bin:$PATH"
cargo build --release --locked -p temoin-cli -p temoin-tests -p temoin-intake
echo "== ingest (tests/src/bin/bench-ingest.rs) =="
target/release/bench-ingest
echo
echo "== unlock, search, save (tests/src/bin/bench-vault.rs) =="
target/release/bench-vault
echo
echo "== metadata strip and previews (tests/src/bin/bench-media.rs) =="
target/release/bench-media
echo
echo "== upload to the intake server against curl, and resume (tests/src/bin/bench-upload.rs) =="
target/release/bench-upload
echo
echo "== the intake server under 1,000 devices against @tus/server + @tus/s3-store, and its cost growth (tests/src/bin/bench-fleet.rs) =="
target/release/bench-fleet
echo
echo "== duress unlock against normal unlock (tests/src/bin/bench-duress.rs) =="
target/release/bench-duress
echo
echo "== reading and checking bundles of 3,000 and 30,000 files (tests/src/bin/bench-bundle.rs) =="
target/release/bench-bundle

echo
echo "== OMCT's desk: a 1 GiB case into the store against age -d, the inbox of 10,000 cases (tests/src/bin/bench-desk.rs) =="
target/release/bench-desk
echo
echo "== the desktop app: start, memory, responsiveness during a 1 GiB import (scripts/bench-app.sh) =="
bash scripts/bench-app.sh
