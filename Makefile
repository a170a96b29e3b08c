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

## make static: a statically linked, stripped binary (musl, or glibc static-pie);
## installs the musl target with rustup, and `file` with apt-get, if missing
static:
	scripts/static.sh

## make cross: the static binary for 64-bit ARM, smoke-tested under qemu;
## installs the aarch64 target with rustup, and qemu-user-static, file and
## curl with apt-get, if missing
cross:
	scripts/cross.sh

## make bench: CPU, system calls, instructions, latency, threads, memory and
## size, each against its target, for the glibc release binary and the
## static musl binary side by side (needs strace, valgrind and prlimit);
## make bench FIGURES=6 (or 1,3,5) measures only those figures.
## It installs what is missing, saying so first: strace and valgrind with
## apt-get (Debian; needs root), and through scripts/static.sh the musl
## target with rustup and `file` with apt-get.
FIGURES ?=
bench:
	@for tool in strace valgrind; do \
		command -v $$tool >/dev/null && continue; \
		echo "bench: $$tool is missing; installing it: apt-get install -y $$tool"; \
		apt-get install -y $$tool || { apt-get update && apt-get install -y $$tool; }; \
	done
	@musl=; if out=$$(scripts/static.sh); then \
		echo "$$out"; \
		musl=$$(echo "$$out" | sed -n 's|^binary: \(.*x86_64-unknown-linux-musl/.*\)$$|\1|p'); \
	fi; \
	[ -n "$$musl" ] && musl=$$(realpath "$$musl"); \
	[ -n "$$musl" ] || echo "bench: no static musl build; its column is skipped"; \
	PROBE_EXPORTER_MUSL="$$musl" BENCH_FIGURES="$(FIGURES)" $(CARGO) bench --bench bench

## make soak: mixed load for SOAK_SECONDS (default 60), memory and fds at start and end
soak:
	$(CARGO) bench --bench soak

## make conformance: promtool and a real Prometheus server against the demo
conformance:
	scripts/conformance.sh

clean:
	$(CARGO) clean
