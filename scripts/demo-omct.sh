#!/usr/bin/env bash
# Starts a demonstration "OMCT side" on this computer, for `make run` and
# the end-to-end tests: an intake server on loopback and a desk folder,
# made with the temoin CLI. Nothing sent to it reaches OMCT.
#
#   scripts/demo-omct.sh DIR
#
# Creates DIR/intake and DIR/desk once, starts the server in the background
# (its passphrase in DIR/desk.pass) and writes DIR/env with the TEMOIN_DEMO_SERVER and TEMOIN_DEMO_CODE the
# app reads (a fresh single-use enrollment code each time), and
# DIR/server.pid. Stop it with: kill "$(cat DIR/server.pid)".
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:?usage: scripts/demo-omct.sh DIR}
TEMOIN=${TEMOIN:-target/debug/temoin}
mkdir -p "$DIR"

if [ ! -f "$DIR/intake/pin" ]; then
  rm -rf "$DIR/intake" "$DIR/desk"
  "$TEMOIN" intake init --dir "$DIR/intake" --json > "$DIR/intake.json"
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pin"])' "$DIR/intake.json" > "$DIR/intake/pin"
fi
PIN=$(cat "$DIR/intake/pin")

# One port for the life of DIR: the desk and the enrolled app remember the
# server's address.
if [ ! -f "$DIR/port" ]; then
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' > "$DIR/port"
fi
# The server prints its address on its first line.
rm -f "$DIR/server.out"
"$TEMOIN" intake serve --dir "$DIR/intake" --listen "127.0.0.1:$(cat "$DIR/port")" > "$DIR/server.out" 2> "$DIR/server.err" &
echo $! > "$DIR/server.pid"
for _ in $(seq 1 100); do
  grep -q "listening on" "$DIR/server.out" 2>/dev/null && break
  sleep 0.1
done
URL=$(sed -n 's/^Intake server listening on //p' "$DIR/server.out" | head -n1)
[ -n "$URL" ] || { echo "demo-omct: the intake server did not start (see $DIR/server.err)" >&2; exit 1; }

# The demonstration desk's store is sealed with a passphrase kept beside
# it in DIR/desk.pass: a demonstration holds nothing real. OMCT's desk
# keeps its passphrase in a person's head.
PASS="$DIR/desk.pass"
[ -f "$PASS" ] || echo "demonstration desk, nothing real" > "$PASS"
# Made once; a desk of plain files from an older demo is moved into the
# store by the same command, and a making cut short is finished by it.
if ! "$TEMOIN" --passphrase-file "$PASS" desk devices --dir "$DIR/desk" > /dev/null 2>&1; then
  "$TEMOIN" --passphrase-file "$PASS" desk init --dir "$DIR/desk" --kdf minimum \
    --server "$URL" --pin "$PIN" --desk-token-file "$DIR/intake/desk.token" > /dev/null
fi
CODE=$("$TEMOIN" --passphrase-file "$PASS" desk enroll --dir "$DIR/desk" --label "demo app" 2>/dev/null)
cat > "$DIR/env" <<ENV
TEMOIN_DEMO_SERVER=$URL
TEMOIN_DEMO_CODE=$(echo "$CODE" | tr -d '[:space:]')
ENV
echo "demo-omct: intake server at $URL (pid $(cat "$DIR/server.pid"))"
