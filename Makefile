# Témoin: the two commands a newcomer needs are `make run` and `make test`.
# Everything builds into the one default target directory, target/.

CARGO ?= cargo

# rustup puts cargo in ~/.cargo/bin, which a fresh non-login shell may not
# have on PATH. Appended, so a cargo already on PATH still wins.
ifneq ($(wildcard $(HOME)/.cargo/bin/cargo),)
export PATH := $(PATH):$(HOME)/.cargo/bin
endif

.DEFAULT_GOAL := build
.PHONY: deps build run test lint bench soak fuzz clean

## Install the system tools the tests and the demo need (idempotent).
deps:
	CARGO='$(CARGO)' bash scripts/deps.sh

## Build every crate.
build:
	$(CARGO) build --workspace --locked

## Build the CLI and run the scripted demo (until the desktop app exists).
run: deps
	$(CARGO) build --locked -p temoin-cli
	bash scripts/demo.sh

## Run every test. CRASH_CYCLES sets how many kill -9 cycles the crash tests run.
test: deps lint
	CRASH_CYCLES=$${CRASH_CYCLES:-200} $(CARGO) test --workspace --locked
	bash scripts/fuzz.sh 10

## Every fuzz target for a minute each (FUZZ_SECONDS to change).
fuzz:
	bash scripts/fuzz.sh $${FUZZ_SECONDS:-60}

## Formatting and clippy, as CI expects them at every commit.
lint:
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
