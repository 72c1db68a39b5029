#!/usr/bin/env bash
# A scripted tour of the `temoin` command line, run by `make run` until the
# desktop app exists. It creates a throw-away demo vault in target/demo/,
# documents a fictional case in it, and shows what the vault keeps: records,
# revisions, evidence with its hash, the signed custody log, verification.
#
# Everything here is fictional. The demo passphrase sits in a file so that
# the script runs without typing; a real vault never does that (see step 1).
set -Eeuo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
BIN=${TEMOIN_BIN:-$ROOT/target/debug/temoin}
DEMO=$ROOT/target/demo
VAULT=$DEMO/vault
PASS=$DEMO/passphrase

if [ ! -x "$BIN" ]; then
  echo "demo: $BIN is missing; build it first with 'make run' (or 'cargo build -p temoin-cli')." >&2
  exit 1
fi

n=0
step() {
  n=$((n + 1))
  if [ -t 1 ]; then
    printf '\n\033[1m== %d. %s\033[0m\n' "$n" "$*"
  else
    printf '\n== %d. %s\n' "$n" "$*"
  fi
}
trap 'echo "demo: step $n failed (see the message above)." >&2' ERR

# Every command unlocks the vault with the demo passphrase file.
temoin() {
  "$BIN" --vault "$VAULT" --passphrase-file "$PASS" "$@"
}

# The value of the first "id" field of `--json` output (no jq needed).
json_id() {
  sed -n 's/^[[:space:]]*"id":[[:space:]]*"\([0-9a-f-]*\)".*/\1/p' | head -n 1
}

step "Create a demo vault in target/demo/vault"
rm -rf "$DEMO"
mkdir -p "$DEMO"
(umask 077 && printf '%s\n' "demo only: cedar lantern river witness" >"$PASS")
cat <<'NOTE'
This is a DEMO. Its passphrase is stored in target/demo/passphrase and passed
with --passphrase-file, and it uses '--kdf minimum' only to be quick.
A real vault: run 'temoin --vault DIR init', type a long passphrase at the
prompt, never store it in a file, and keep the default calibrated KDF.
NOTE
temoin init --kdf minimum

step "Open a case"
CASE_ID=$(temoin --json case new \
  --title "Arbitrary detention at the central police station" \
  --summary "A student held for six days without access to a lawyer or a judge; alleges beatings during questioning." |
  json_id)
[ -n "$CASE_ID" ] || { echo "demo: no case id in the output" >&2; exit 1; }
echo "case id: $CASE_ID"

step "Add a testimony from a narrative file"
NARRATIVE=$DEMO/narrative.txt
cat >"$NARRATIVE" <<'TEXT'
(Fictional demo testimony.) On the evening of 14 May I was arrested at my home
by four officers in plain clothes and taken to the central police station.
I was held in detention there for six days. Nobody told me why. I asked for a lawyer and
was refused. During questioning on the second night I was beaten on the soles
of my feet and made to stand for hours. My family did not know where I was.
TEXT
temoin testimony add "$CASE_ID" --narrative-file "$NARRATIVE" --language en
# The file is plaintext outside the vault; the vault now holds it sealed.
rm -f "$NARRATIVE"

step "Add an evidence file (a small PNG image)"
PHOTO=$DEMO/cell-door.png
base64 -d >"$PHOTO" <<'PNG'
iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAIAAACQkWg2AAAAFklEQVR42mPYoqFBEmIY1TCqYfhqAADGYgQQGPmLzwAAAABJRU5ErkJggg==
PNG
ADDED=$(temoin evidence add "$CASE_ID" "$PHOTO")
echo "$ADDED"
EVIDENCE_ID=$(printf '%s\n' "$ADDED" | head -n 1)

step "Show the case"
temoin case show "$CASE_ID"

step "Search (case and accents are ignored: 'DÉTENTION' finds 'detention')"
temoin search DÉTENTION police

step "Edit the case title (a new revision; the old one is kept)"
temoin case edit "$CASE_ID" --title "Arbitrary detention and ill-treatment at the central police station"

step "Show the case's history"
temoin case history "$CASE_ID"

step "Export the evidence and compare SHA-256 with the original"
EXPORTED=$DEMO/exported.png
temoin evidence export "$EVIDENCE_ID" "$EXPORTED"
sha256sum "$PHOTO" "$EXPORTED"
if [ "$(sha256sum <"$PHOTO")" = "$(sha256sum <"$EXPORTED")" ]; then
  echo "The export is byte for byte the original."
else
  echo "demo: the export differs from the original!" >&2
  exit 1
fi

step "Show the custody log (hash-chained, each entry signed by the device key)"
temoin custody

step "Verify every record, evidence file and the custody chain"
temoin verify

step "Show this device's public signing key (minisign format)"
temoin device

step "Record consent, then seal the case into a bundle for a litigator"
temoin consent add "$CASE_ID" --scope litigation --scope share-with-omct \
  --given-by-name "the witness" --given-on 2024-03-05
LITIGATOR_KEY=$DEMO/litigator.key
rm -f "$LITIGATOR_KEY" "$DEMO/case.tar.age"
age-keygen -o "$LITIGATOR_KEY" 2>/dev/null
temoin export --case "$CASE_ID" --recipient "$(age-keygen -y "$LITIGATOR_KEY")" \
  --out "$DEMO/case.tar.age"

step "The litigator checks it with standard tools: age, tar, minisign, sha256sum"
DEVICE_KEY=$(temoin --json device | sed -n 's/.*"public_key": *"\([^"]*\)".*/\1/p')
rm -rf "$DEMO/opened" && mkdir -p "$DEMO/opened"
age -d -i "$LITIGATOR_KEY" "$DEMO/case.tar.age" | tar -x -C "$DEMO/opened"
(cd "$DEMO/opened" && minisign -Vm manifest.json -P "$DEVICE_KEY" && sha256sum -c SHA256SUMS)

step "... and with temoin verify (also checks the custody entries and every path)"
rm -rf "$DEMO/checked"
"$BIN" verify "$DEMO/case.tar.age" --identity "$LITIGATOR_KEY" --device-key "$DEVICE_KEY" \
  --out "$DEMO/checked"

step "What is on disk: ids, sizes and ciphertext only"
(cd "$VAULT" && find . -maxdepth 2 | sort)
if grep -rqaiF "police station" "$VAULT"; then
  echo "demo: plaintext found in the vault folder!" >&2
  exit 1
fi
echo "No trace of the case title anywhere in the vault folder."

printf '\nDone. The demo vault is in %s; try for example:\n' "${VAULT#"$ROOT"/}"
printf '  %s --vault %s --passphrase-file %s case list\n' \
  "${BIN#"$ROOT"/}" "${VAULT#"$ROOT"/}" "${PASS#"$ROOT"/}"
