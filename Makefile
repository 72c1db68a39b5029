# Témoin: the two commands a newcomer needs are `make run` and `make test`.
# Everything builds into the one default target directory, target/.

CARGO ?= cargo

# rustup puts cargo in ~/.cargo/bin, which a fresh non-login shell may not
# have on PATH. Appended, so a cargo already on PATH still wins.
ifneq ($(wildcard $(HOME)/.cargo/bin/cargo),)
export PATH := $(PATH):$(HOME)/.cargo/bin
endif

# A one-off build, as in CI, gains nothing from incremental compilation,
# whose caches take gigabytes of the disk.
ifeq ($(CI),true)
export CARGO_INCREMENTAL := 0
endif

.DEFAULT_GOAL := build
.PHONY: deps build ui app run demo e2e package bindings test lint bench soak fuzz clean

## Install the system tools the tests and the demo need (idempotent).
deps:
	CARGO='$(CARGO)' bash scripts/deps.sh

## Build every crate (the app embeds the interface, so that comes first).
build: ui
	$(CARGO) build --workspace --locked

## Build the interface (ui/dist), which the app embeds at compile time.
ui:
	npm --prefix ui run build

## Build the desktop app and the CLI (debug build: its dependencies are optimised).
app: ui
	$(CARGO) build --locked -p temoin-app -p temoin-cli

## Build and start the desktop app, with a demo intake server on this computer.
run: deps app
	bash scripts/run-app.sh

## The scripted CLI demo (vault, case, evidence, consent, sealed bundle).
demo: deps
	$(CARGO) build --locked -p temoin-cli
	bash scripts/demo.sh

## End-to-end tests of the real app under Xvfb through WebDriver.
e2e: deps app
	bash scripts/e2e.sh

## A .deb package built by the Tauri bundler (release build), checked by dpkg.
package: deps ui
	cd src-tauri && ../ui/node_modules/.bin/tauri build --bundles deb
	@deb=$$(ls -t target/release/bundle/deb/temoin_*.deb | head -n 1); \
	  dpkg --validate-pkgname "$$(dpkg-deb -f $$deb Package)" && \
	  dpkg-deb -f $$deb Package Version Depends && ls -l $$deb

## Rewrite ui/src/bindings.ts from the Rust commands (commit the result).
bindings:
	TEMOIN_WRITE_BINDINGS=1 $(CARGO) test --locked -p temoin-app --test bindings

## Run every test. CRASH_CYCLES sets how many kill -9 cycles the crash tests run.
test: deps ui lint
	npm --prefix ui run check
	npm --prefix ui test
	CRASH_CYCLES=$${CRASH_CYCLES:-200} $(CARGO) test --workspace --locked
	# The app and the CLI were built by the tests above (their integration
	# tests need the binaries), with the same features: no second build.
	bash scripts/e2e.sh
	bash scripts/fuzz.sh 10

## Every fuzz target for a minute each (FUZZ_SECONDS to change).
fuzz:
	bash scripts/fuzz.sh $${FUZZ_SECONDS:-60}

## Formatting, clippy and the crate map, as CI expects them at every commit.
lint:
	python3 scripts/layers.py --self-test
	python3 scripts/layers.py
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

## Benchmarks against reference tools (rage, curl) measured in the same run.
bench:
	CARGO='$(CARGO)' bash scripts/deps.sh bench
	@test -f scripts/bench.sh || { echo "scripts/bench.sh does not exist yet" >&2; exit 1; }
	bash scripts/bench.sh

## The long crash-recovery soak: 2000 kill -9 cycles, optimised build.
soak:
	CRASH_CYCLES=2000 $(CARGO) test --locked --release -p temoin-vault --test crash -- --nocapture

## Remove build output, the demo vault and the bench tools under target/.
clean:
	$(CARGO) clean
