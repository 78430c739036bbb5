# One command runs the whole gate: `make check` (format, clippy with warnings as errors, tests).

CARGO ?= cargo

.PHONY: check fmt fmt-check clippy test bench ci

check: fmt-check clippy test

fmt:
	$(CARGO) fmt --all

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# The README's test command.
test:
	$(CARGO) test --workspace

# Criterion benches; figures go to docs/benchmarks.md with the command that produced them.
bench:
	$(CARGO) bench --workspace

# What CI runs, from this checkout.
ci:
	bash .ci/run
