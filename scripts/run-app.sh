#!/usr/bin/env bash
# `make run`: starts the desktop app with a demonstration OMCT intake server
# on this computer, so a newcomer sees the whole flow (record, seal, hand
# over, receipt, and OMCT's acknowledgement: a demonstration desk pulls and
# opens what arrives every ten seconds, as OMCT's desk would; with DESK=1
# the desk is a second window of the app instead). The app shows a "demo
# server" banner; nothing reaches OMCT. The demo vault and server live in target/demo-app/ (TEMOIN_HOME to
# put the vault elsewhere).
set -euo pipefail
cd "$(dirname "$0")/.."
DEMO=target/demo-app
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "run-app: no display here (DISPLAY and WAYLAND_DISPLAY are unset)." >&2
  echo "  Run 'make run' from a desktop session, or 'make e2e' to watch the tests drive it under Xvfb." >&2
  exit 1
fi
bash scripts/demo-omct.sh "$DEMO/omct"
if [ "${DESK:-}" = 1 ]; then
  # OMCT's desk in a second window of the app (choose "I receive cases at
  # OMCT's desk"; its passphrase is in the demo's desk.pass): it pulls and
  # opens what the first window sends when asked.
  TEMOIN_HOME=$DEMO/desk-home TEMOIN_DESK_DIR=$DEMO/omct/desk target/debug/temoin-app &
  desk_loop=$!
  echo "run-app: the desk window opens $DEMO/omct/desk; its passphrase: $(cat "$DEMO/omct/desk.pass")"
else
  (
    while sleep 10; do
      target/debug/temoin --passphrase-file "$DEMO/omct/desk.pass" desk pull --dir "$DEMO/omct/desk" >/dev/null 2>&1 || true
      target/debug/temoin --passphrase-file "$DEMO/omct/desk.pass" desk open --dir "$DEMO/omct/desk" >/dev/null 2>&1 || true
    done
  ) &
  desk_loop=$!
fi
trap 'kill "$desk_loop" 2>/dev/null; kill "$(cat "$DEMO/omct/server.pid")" 2>/dev/null || true' EXIT
set -a
# shellcheck disable=SC1091
. "$DEMO/omct/env"
set +a
export TEMOIN_HOME=${TEMOIN_HOME:-$DEMO/home}
echo "run-app: the vault is in $TEMOIN_HOME/vault (a demo: choose any passphrase you like)"
target/debug/temoin-app
