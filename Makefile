# probe_exporter: every task a user or CI needs, one target each.
CARGO ?= cargo

.PHONY: run test build release static cross bench soak conformance clean

## make run: the exporter with both demo services, on http://localhost:10013/metrics
## (extra flags: make run ARGS='--log.level debug')
ARGS ?=
run:
	$(CARGO) run --release -- demo $(ARGS)

## make test: unit and integration tests, then lints and formatting
test:
	$(CARGO) test
	$(CARGO) clippy --all-targets -- -D warnings
	$(CARGO) fmt --check

build:
	$(CARGO) build

release:
	$(CARGO) build --release

## make static: a statically linked, stripped binary (musl, or glibc static-pie)
static:
	scripts/static.sh

## make cross: the static binary for 64-bit ARM, smoke-tested under qemu
cross:
	scripts/cross.sh

## make bench: latency, throughput, memory and start-up figures
bench:
	$(CARGO) bench --bench bench

## make soak: mixed load for SOAK_SECONDS (default 60), memory and fds at start and end
soak:
	$(CARGO) bench --bench soak

## make conformance: promtool and a real Prometheus server against the demo
conformance:
	scripts/conformance.sh

clean:
	$(CARGO) clean
