#!/usr/bin/env bash
# The static musl binary for 64-bit ARM, and a smoke test of it under
# emulation: the binary that goes onto an embedded board, tried here.
#
# Rust ships the aarch64 musl standard library and its C runtime objects,
# and rust-lld links them; the target's default linker would be the host's
# `cc`, which cannot link ARM code, so no cross C toolchain is needed only
# because the linker is rust-lld. The smoke test runs `probe_exporter demo`
# under Debian's qemu-user-static (installed here if missing), scrapes
# /metrics and /probe, and expects the demo daytime service probed as up.
# It fails if the binary is over the size README.md's table of builds gives.
#
# Everything listens on 127.0.0.1 port 0, every wait is bounded, and the
# emulated process is stopped on exit. Exits 1 if a check fails.
set -euo pipefail
cd "$(dirname "$0")/.."

readonly CARGO=${CARGO:-cargo}
readonly TARGET_DIR=${CARGO_TARGET_DIR:-target}
readonly PROFILE=static
readonly TARGET=aarch64-unknown-linux-musl
readonly BINARY=$TARGET_DIR/$TARGET/$PROFILE/probe_exporter
# Emulation makes start-up slow; this is a bound, not an expectation.
readonly START_TIMEOUT_SECONDS=30

WORK=$(mktemp -d)
DEMO_PID=

# Stops the emulated exporter, by process id, and removes its files.
cleanup() {
    if [[ -n $DEMO_PID ]]; then
        kill "$DEMO_PID" 2>/dev/null || true
        wait "$DEMO_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
    echo "FAIL  $1" >&2
    if [[ -s $WORK/demo.log ]]; then
        sed 's/^/      /' "$WORK/demo.log" >&2
    fi
    exit 1
}

# Installs the Debian packages that provide these commands, where missing.
ensure_commands() {
    local missing=()
    command -v file >/dev/null || missing+=(file)
    command -v curl >/dev/null || missing+=(curl)
    command -v qemu-aarch64-static >/dev/null || missing+=(qemu-user-static)
    if ((${#missing[@]} > 0)); then
        echo "cross: installing ${missing[*]}: apt-get install -y ${missing[*]}" >&2
        apt-get install -y "${missing[@]}" >/dev/null 2>&1 ||
            { apt-get update >/dev/null && apt-get install -y "${missing[@]}" >/dev/null; }
    fi
}

build() {
    rustup target add "$TARGET" >&2
    CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER=rust-lld \
        "$CARGO" build --profile "$PROFILE" --target "$TARGET" >&2
}

# The bound README.md's table of builds gives the build whose first cell
# starts with ROW ("under N MB"), in bytes; nothing if it gives none.
readme_size_bound() {
    local megabytes
    megabytes=$(awk -F'|' -v row="$1" 'index($2, " " row) == 1 &&
        match($3, /under [0-9]+ MB/) { print substr($3, RSTART + 6, RLENGTH - 9); exit }' README.md)
    [[ -n $megabytes ]] && echo $((megabytes * 1000000))
}

describe() {
    local description bytes bound
    description=$(file -b "$BINARY")
    bytes=$(stat -c %s "$BINARY")
    echo "binary: $BINARY"
    echo "file:   $description"
    echo "size:   $bytes bytes"
    [[ $description == *"ARM aarch64"* ]] || fail "file does not say ARM aarch64"
    [[ $description == *"statically linked"* ]] || fail "file does not say statically linked"
    bound=$(readme_size_bound "musl, aarch64") || fail "README.md gives no size for musl, aarch64"
    ((bytes < bound)) || fail "$bytes bytes; README.md says under $((bound / 1000000)) MB"
}

# The address on the first log line that contains PATTERN, or nothing.
# Only complete lines are read: a line still being written could end in
# the middle of its address.
logged_address() {
    local complete_lines complete_text
    complete_lines=$(wc -l <"$WORK/demo.log")
    complete_text=$(head -n "$complete_lines" "$WORK/demo.log")
    sed -n "/$1/{s/.*address=\([0-9.:]*\).*/\1/p;q}" <<<"$complete_text"
}

# Starts the demo under qemu and waits, boundedly, for the addresses of
# the exporter and of the daytime service to appear in its log. The log
# file is created here, before the emulator starts: the backgrounded
# process opens it in its own time, and a read of a file not yet there
# would end the script (set -e). The emulator appends to it.
start_demo() {
    : >"$WORK/demo.log"
    qemu-aarch64-static "$BINARY" demo \
        --web.listen-address 127.0.0.1:0 \
        --daytime.listen 127.0.0.1:0 --counter.listen 127.0.0.1:0 \
        2>>"$WORK/demo.log" &
    DEMO_PID=$!
    local deadline=$((SECONDS + START_TIMEOUT_SECONDS))
    while ((SECONDS < deadline)); do
        EXPORTER=$(logged_address 'msg="listening" address=')
        DAYTIME=$(logged_address 'service=daytime address=')
        [[ -n $EXPORTER && -n $DAYTIME ]] && return 0
        kill -0 "$DEMO_PID" 2>/dev/null || fail "the demo exited"
        sleep 0.2
    done
    fail "no listening line within ${START_TIMEOUT_SECONDS}s"
}

# Fetches PATH from the exporter and expects the exact SAMPLE line in it.
expect_sample() {
    local path=$1 sample=$2
    curl --silent --show-error --max-time 20 "http://$EXPORTER$path" >"$WORK/body" ||
        fail "GET $path"
    grep --quiet --fixed-strings --line-regexp "$sample" "$WORK/body" ||
        fail "GET $path lacks '$sample'; it said: $(head -c 2000 "$WORK/body")"
    echo "PASS  GET $path: $sample"
}

main() {
    ensure_commands
    build
    describe
    start_demo
    expect_sample /metrics 'probe_success{target="clock",kind="daytime"} 1'
    expect_sample "/probe?target=$DAYTIME&module=daytime" 'probe_success 1'
}

main "$@"
