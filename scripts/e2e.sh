#!/usr/bin/env bash
# `make e2e`: the real app in a real window under Xvfb, driven through
# WebDriver (tauri-driver + WebKitWebDriver) by tests/e2e/run.mjs (the
# defender's path) then tests/e2e/desk.mjs (a desk window and a defender
# window side by side), against a real intake server on loopback.
# Screenshots and the accessibility reports land in target/e2e/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/target/e2e
APP=$ROOT/target/debug/temoin-app
DRIVER=$ROOT/target/tools/bin/tauri-driver
for f in "$APP" "$DRIVER" target/debug/temoin; do
  [ -x "$f" ] || { echo "e2e: $f is missing: run 'make app' and 'make deps' first" >&2; exit 1; }
done
rm -rf "$OUT"
mkdir -p "$OUT/artifacts"

bash scripts/demo-omct.sh "$OUT/omct" > /dev/null
cleanup() { kill "$(cat "$OUT/omct/server.pid")" 2>/dev/null || true; }
trap cleanup EXIT
set -a
# shellcheck disable=SC1091
. "$OUT/omct/env"
set +a
# TEMOIN_E2E (debug builds only) also lets the test shorten how long
# copied text stays on the clipboard.
export TEMOIN_HOME=$OUT/home TEMOIN_E2E=1 TEMOIN_E2E_CLIPBOARD_SECONDS=5
# Everything the app and its web view write goes under target/e2e, where
# the test scans it for plaintext.
export TMPDIR=$OUT/tmp XDG_DATA_HOME=$OUT/xdg/data XDG_CACHE_HOME=$OUT/xdg/cache XDG_CONFIG_HOME=$OUT/xdg/config
mkdir -p "$TMPDIR" "$XDG_DATA_HOME" "$XDG_CACHE_HOME" "$XDG_CONFIG_HOME"
export E2E_APP=$APP E2E_OUT=$OUT E2E_DESK=$OUT/omct/desk E2E_TEMOIN=$ROOT/target/debug/temoin

# A photograph carrying GPS tags and a camera's make and model.
/usr/bin/convert -size 800x600 gradient:'#335577'-'#ccddee' "$OUT/photo.jpg"
exiftool -q -overwrite_original -GPSLatitude=46.2044 -GPSLatitudeRef=N \
  -GPSLongitude=6.1432 -GPSLongitudeRef=E -Make=E2ECam -Model=Field-7 \
  -DateTimeOriginal='2026:11:01 10:00:00' "$OUT/photo.jpg"
export E2E_PHOTO=$OUT/photo.jpg
# Two seconds of a recording (noise from a fixed seed): its bytes are
# what the plaintext scan looks for.
python3 - "$OUT/recording.wav" <<'PY'
import random, struct, sys, wave
r = random.Random(7)
with wave.open(sys.argv[1], "wb") as w:
    w.setnchannels(1)
    w.setsampwidth(2)
    w.setframerate(16000)
    w.writeframes(b"".join(struct.pack("<h", r.randint(-8000, 8000)) for _ in range(32000)))
PY
export E2E_AUDIO=$OUT/recording.wav E2E_DRIVER=$DRIVER

# tauri-driver must be stopped with SIGTERM: after SIGKILL its
# WebKitWebDriver child lives on and holds the output pipe.
xvfb-run -a -s "-screen 0 1366x768x24" bash -c '
  "$0" --port 4444 > "$E2E_OUT/tauri-driver.log" 2>&1 &
  driver=$!
  node tests/e2e/run.mjs
  rc=$?
  kill -TERM "$driver" 2>/dev/null
  wait "$driver" 2>/dev/null
  [ $rc -eq 0 ] || exit $rc
  # The desk window beside a second defender window: their own drivers.
  node tests/e2e/desk.mjs
' "$DRIVER"
