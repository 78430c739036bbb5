# One command runs the whole gate: `make check` (format, clippy with warnings as errors, tests).

CARGO ?= cargo
CARGO_FLAGS ?=

.PHONY: check deps test-deps fmt fmt-check clippy test testnet bench bench-net ci

check: fmt-check clippy test

# System packages the build needs (clang, libclang-dev for RocksDB), installed if missing; the tests
# also need headless Chromium and chromedriver (the portal's browser tests).
deps:
	@bash scripts/install-deps.sh

test-deps:
	@bash scripts/install-deps.sh browser

# checks/ is a crate of its own, outside the workspace (see its Cargo.toml), so each step names it too.
fmt:
	$(CARGO) fmt --all
	$(CARGO) fmt --manifest-path checks/Cargo.toml

fmt-check:
	$(CARGO) fmt --all -- --check
	$(CARGO) fmt --manifest-path checks/Cargo.toml -- --check

clippy: deps
	$(CARGO) clippy --workspace --all-targets $(CARGO_FLAGS) -- -D warnings
	$(CARGO) clippy --manifest-path checks/Cargo.toml --all-targets --locked -- -D warnings

# The README's test command: the source checks (checks/, quick: an Action match with a catch-all arm,
# the portal's wire tables against the ledger's types), then the workspace's tests.
test: test-deps
	$(CARGO) test --manifest-path checks/Cargo.toml --locked
	$(CARGO) test --workspace $(CARGO_FLAGS)

# The README's first command: build (the same build as `make test`, so the two share it), then run a
# local network of four validators with the demo until Ctrl-C. Options go in ARGS, e.g.
# `make testnet ARGS="--validators 7"`.
testnet: deps
	$(CARGO) test --workspace --no-run $(CARGO_FLAGS)
	"$${CARGO_TARGET_DIR:-target}/debug/ebl-testnet" up $(ARGS)

# Criterion benches; figures go to docs/benchmarks.md with the command that produced them.
bench: deps
	$(CARGO) bench -p ebl-ledger -p ebl-contracts

# The network benchmark (DESIGN §9; docs/benchmarks.md): a release build, then fresh four-validator
# networks, three runs, saturating unless ARGS gives a rate, e.g. `make bench-net ARGS="--rate 3000"`.
# The test crate is left out: its Byzantine validator would switch test-utils on in the nodes measured.
# The report (JSON, Markdown, SVG) goes to .bench/report.
bench-net: deps
	$(CARGO) build --release --workspace --exclude ebl-tests --bins $(CARGO_FLAGS)
	"$${CARGO_TARGET_DIR:-target}/release/ebl-testnet" --dir .bench bench --runs 3 $(ARGS)

# What CI runs, from this checkout.
ci:
	bash .ci/run
