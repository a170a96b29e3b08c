#!/usr/bin/env bash
# A statically linked, stripped probe_exporter: one file that runs on any
# x86-64 Linux, with no libc or loader to match on the host.
#
# The first choice is musl (x86_64-unknown-linux-musl), linked by the
# rust-lld that ships with Rust, so no C toolchain is needed. musl reads
# /etc/resolv.conf and /etc/hosts itself and loads no NSS modules, which
# is what a static binary wants. Where the musl target cannot be
# installed, the fallback is glibc's static-pie (+crt-static): it works,
# but it is about twice as large, and its name lookups may still load NSS
# modules at run time, which work only if the host's glibc matches the
# one the binary was built with.
#
# Both use the `static` profile of Cargo.toml (release, tuned for size).
# STATIC_LIBC=glibc asks for the glibc flavour directly. Prints the
# binary's path, what `file` says about it, and its size in bytes, and
# fails if the size is over the bound README.md's table of builds gives.
# Installs what is missing, saying so: the musl target (rustup) and
# `file` (apt-get).
set -euo pipefail
cd "$(dirname "$0")/.."

readonly CARGO=${CARGO:-cargo}
readonly TARGET_DIR=${CARGO_TARGET_DIR:-target}
readonly PROFILE=static
readonly MUSL=x86_64-unknown-linux-musl
readonly GLIBC=x86_64-unknown-linux-gnu

# Installs `file` where it is missing (Debian's minimal images lack it).
ensure_file_command() {
    if ! command -v file >/dev/null; then
        echo "static: installing file: apt-get install -y file" >&2
        apt-get install -y file >/dev/null 2>&1 ||
            { apt-get update >/dev/null && apt-get install -y file >/dev/null; }
    fi
}

# Succeeds when the musl target is installed, or could be installed now.
musl_available() {
    command -v rustup >/dev/null && rustup target add "$MUSL" >&2
}

# The relative relocations of a position-independent binary are packed
# (DT_RELR): about 19 KB smaller. The loader that applies them is musl's,
# linked into the binary itself, so no host needs to know the format.
# Identical functions (the same machine code under two generic names) are
# kept once: about 3.5 KB, at no cost in speed.
readonly SMALLER_LINK="-C link-arg=-zpack-relative-relocs -C link-arg=--icf=all"

build_musl() {
    RUSTFLAGS="${RUSTFLAGS:-} $SMALLER_LINK" \
        CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_LINKER=rust-lld \
        "$CARGO" build --profile "$PROFILE" --target "$MUSL"
}

build_glibc_static_pie() {
    RUSTFLAGS="-C target-feature=+crt-static" \
        "$CARGO" build --profile "$PROFILE" --target "$GLIBC"
}

# The bound README.md's table of builds gives the build whose first cell
# starts with ROW ("under N MB"), in bytes; nothing if it gives none.
readme_size_bound() {
    local megabytes
    megabytes=$(awk -F'|' -v row="$1" 'index($2, " " row) == 1 &&
        match($3, /under [0-9]+ MB/) { print substr($3, RSTART + 6, RLENGTH - 9); exit }' README.md)
    [[ -n $megabytes ]] && echo $((megabytes * 1000000))
}

# Fails unless BINARY is smaller than README.md says the build ROW is.
check_size() {
    local binary=$1 row=$2 bound bytes
    bound=$(readme_size_bound "$row") || true
    [[ -n $bound ]] || { echo "static: README.md gives no size for the build '$row'" >&2; exit 1; }
    bytes=$(stat -c %s "$binary")
    if ((bytes >= bound)); then
        echo "static: $binary is $bytes bytes; README.md says '$row' is under $((bound / 1000000)) MB" >&2
        exit 1
    fi
}

main() {
    local target row
    if [[ ${STATIC_LIBC:-musl} == glibc ]]; then
        target=$GLIBC
        build_glibc_static_pie
    elif musl_available; then
        target=$MUSL
        build_musl
    else
        echo "static: the musl target cannot be installed; building glibc static-pie" >&2
        target=$GLIBC
        build_glibc_static_pie
    fi
    local binary=$TARGET_DIR/$target/$PROFILE/probe_exporter
    ensure_file_command
    echo "binary: $binary"
    echo "file:   $(file -b "$binary")"
    echo "size:   $(stat -c %s "$binary") bytes"
    if [[ $target == "$MUSL" ]]; then row="musl, x86-64"; else row="glibc static-pie, x86-64"; fi
    check_size "$binary" "$row"
}

main "$@"
