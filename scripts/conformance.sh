#!/usr/bin/env bash
# Conformance: the exporter's output, read by Prometheus's own tools.
#
# Unit and integration tests check our output against our reading of the
# specifications. This script asks the other side: promtool parses both
# exposition formats, and a real Prometheus server scrapes /metrics and
# /probe from `probe_exporter demo`, so the checks below are the verdicts
# of the parsers that users' Prometheus servers run.
#
# Needs cargo, curl, python3, promtool and prometheus (Debian: `apt-get
# install prometheus curl`). Everything listens on 127.0.0.1 only, every
# wait is bounded, and everything started here is stopped on exit.
# Prints one PASS/FAIL line per check and exits 1 if any check failed.
set -euo pipefail
cd "$(dirname "$0")/.."

readonly OPENMETRICS='application/openmetrics-text; version=1.0.0'
readonly OPENMETRICS_TYPE='application/openmetrics-text; version=1.0.0; charset=utf-8'
readonly TEXT_TYPE='text/plain; version=0.0.4; charset=utf-8'

# ---------------------------------------------------------------------------
# Bookkeeping: temporary files, child processes, and the tally of checks.

WORK=$(mktemp -d)
EXPORTER_PID=
PROMETHEUS_PID=
SCALE_OUT_PIDS=()
FAILED=0

# Stops what this script started, by process id, and removes its files.
cleanup() {
    for pid in "$PROMETHEUS_PID" "$EXPORTER_PID" "${SCALE_OUT_PIDS[@]}"; do
        if [[ -n $pid ]]; then
            kill "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

# Stops the run when a step that every check depends on fails.
die() {
    echo "FAIL  $1" >&2
    shift
    for log in "$@"; do
        sed 's/^/      /' "$log" >&2
    done
    exit 1
}

# Runs `check DESCRIPTION COMMAND...` and prints one PASS or FAIL line; on
# failure the command's output follows, indented. A check function must
# fail through its exit status: bash ignores `set -e` inside a command
# whose status is being tested, so each one ends on the test that decides.
check() {
    local description=$1 output
    shift
    if output=$("$@" 2>&1); then
        echo "PASS  $description"
    else
        echo "FAIL  $description"
        [[ -z $output ]] || sed 's/^/      /' <<<"$output"
        FAILED=$((FAILED + 1))
    fi
}

# Polls `COMMAND...` every 0.2 s until it succeeds or SECONDS have passed.
wait_for() {
    local seconds=$1 attempt
    shift
    for ((attempt = 0; attempt < seconds * 5; attempt++)); do
        if "$@"; then
            return 0
        fi
        sleep 0.2
    done
    return 1
}

# A free loopback port. Prometheus's --web.listen-address does not report
# the port it bound for port 0, so the kernel picks one here; the socket is
# closed before Prometheus binds it, a race that is harmless on a test host.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

for tool in cargo curl python3 promtool prometheus; do
    command -v "$tool" >/dev/null || die "$tool is not installed (Debian: apt-get install prometheus curl)"
done

# ---------------------------------------------------------------------------
# 1. Build the exporter and start the demo: two services and an exporter
#    that probes them, each on a port the kernel picks.

echo "building the release binary..."
cargo build --release --quiet
BINARY="${CARGO_TARGET_DIR:-target}/release/probe_exporter"

"$BINARY" demo \
    --web.listen-address 127.0.0.1:0 \
    --daytime.listen 127.0.0.1:0 \
    --counter.listen 127.0.0.1:0 \
    2>"$WORK/exporter.log" &
EXPORTER_PID=$!

# The exporter logs `ts=… level=info msg="listening" address=HOST:PORT` once it
# serves; the demo services each log `msg="demo service listening"` before.
exporter_address() {
    sed -n 's/^ts=[^ ]* level=info msg="listening" address=\([^ ]*\)$/\1/p' "$WORK/exporter.log"
}
demo_address() {
    sed -n "s/^ts=[^ ]* level=info msg=\"demo service listening\" service=$1 address=\([^ ]*\)\$/\1/p" "$WORK/exporter.log"
}
exporter_listening() {
    [[ -n $(exporter_address) ]] || ! kill -0 "$EXPORTER_PID" 2>/dev/null
}
wait_for 10 exporter_listening || die "the exporter did not log its address within 10 s" "$WORK/exporter.log"
EXPORTER=$(exporter_address)
DAYTIME=$(demo_address daytime)
COUNTER=$(demo_address counter)
[[ -n $EXPORTER && -n $DAYTIME && -n $COUNTER ]] ||
    die "the exporter exited or did not log all three addresses" "$WORK/exporter.log"
echo "exporter on $EXPORTER, daytime service on $DAYTIME, counter service on $COUNTER"

# The two pages under test: the exporter's own targets, and one /probe of the
# counter service (the richer of the two: it adds a counter with _created).
declare -A PAGES=(
    [metrics]="/metrics"
    [probe]="/probe?target=$COUNTER&module=counter"
)

# Fetches PAGE from the exporter with Accept header ACCEPT into
# $WORK/PAGE.FORMAT, and its Content-Type into $WORK/PAGE.FORMAT.type.
fetch() {
    local page=$1 format=$2 accept=$3
    curl --silent --show-error --fail --max-time 10 \
        --header "Accept: $accept" \
        --output "$WORK/$page.$format" \
        --write-out '%{content_type}' \
        "http://$EXPORTER${PAGES[$page]}" >"$WORK/$page.$format.type"
}

# ---------------------------------------------------------------------------
# 2a. The Prometheus text format 0.0.4, through `promtool check metrics`.
#
# promtool parses the page with Prometheus's 0.0.4 parser and then lints it
# (names, HELP text, counter suffixes, units in names). It prints nothing
# and exits 0 only when the page parses and every lint passes.

promtool_is_silent() {
    local page=$1 output
    [[ $(<"$WORK/$page.text.type") == "$TEXT_TYPE" ]] ||
        { echo "Content-Type: $(<"$WORK/$page.text.type")"; return 1; }
    output=$(promtool check metrics <"$WORK/$page.text" 2>&1) || { echo "$output"; return 1; }
    [[ -z $output ]] || { echo "$output"; return 1; }
}

# ---------------------------------------------------------------------------
# 2b. OpenMetrics 1.0.0. `promtool check metrics` speaks only 0.0.4 (it
#     rejects `# TYPE ... stateset`), so three other checks stand in.

# The header and the terminator. OpenMetrics names the exact media type and
# requires the page to end with the line `# EOF`: without it a scraper
# cannot tell a complete page from a truncated one.
openmetrics_is_framed() {
    local page=$1
    [[ $(<"$WORK/$page.om.type") == "$OPENMETRICS_TYPE" ]] ||
        { echo "Content-Type: $(<"$WORK/$page.om.type")"; return 1; }
    [[ $(tail -n 1 "$WORK/$page.om") == '# EOF' ]] ||
        { echo "last line: $(tail -n 1 "$WORK/$page.om")"; return 1; }
}

# Prometheus's own OpenMetrics parser, reached through promtool's backfill:
# `promtool tsdb create-blocks-from openmetrics` parses the page with the
# parser the server uses for scrapes (it rejects a missing `# EOF`, unknown
# types, a UNIT that is not the name's suffix, bad escapes and numbers) and
# writes every sample to a TSDB block. Backfill demands a timestamp on
# every sample, so the current second is appended to each sample line (the
# pages carry no exemplars, after which a timestamp would be misplaced).
# The block must hold exactly as many samples as the page has sample lines:
# none was dropped or merged as a duplicate.
promtool_ingests_openmetrics() {
    local page=$1 now output lines samples
    local stamped="$WORK/$page.om.stamped" blocks="$WORK/$page.blocks"
    now=$(date +%s)
    awk -v now="$now" '/^#/ { print; next } { print $0 " " now }' "$WORK/$page.om" >"$stamped"
    output=$(promtool tsdb create-blocks-from openmetrics "$stamped" "$blocks" 2>&1) ||
        { echo "$output"; return 1; }
    lines=$(grep -vc '^#' "$WORK/$page.om")
    # The table's fifth column is NUM SAMPLES, one row per block written.
    samples=$(awk 'NR > 1 { total += $5 } END { print total + 0 }' <<<"$output")
    [[ $samples == "$lines" ]] || { echo "$output"; echo "sample lines: $lines, samples in blocks: $samples"; return 1; }
}

# What Prometheus 2.42's OpenMetrics parser does not check, checked here
# from the specification's "Metric types" and "Text format" sections:
# each family's samples are contiguous and follow its TYPE line, carry the
# family name plus a suffix its type allows (a counter's `_total` and
# `_created`, a histogram's `_bucket`, `_count`, `_sum`, `_created`), and
# a stateset's samples carry a label named after the family.
openmetrics_families_are_well_formed() {
    python3 - "$WORK/$1.om" <<'PYTHON'
import re
import sys

SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "gaugehistogram": ("_bucket", "_gcount", "_gsum"),
    "summary": ("", "_count", "_sum", "_created"),
    "info": ("_info",),
    "gauge": ("",),
    "stateset": ("",),
    "unknown": ("",),
}
SAMPLE = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s")

problems = []
seen, family, kind = set(), None, None
with open(sys.argv[1], encoding="utf-8") as page:
    lines = page.read().splitlines(keepends=True)
for number, line in enumerate(lines, start=1):
    if line.startswith("# TYPE "):
        _, _, family, kind = line.split()
        if family in seen:
            problems.append(f"line {number}: family {family} appears twice")
        seen.add(family)
    elif not line.startswith("#"):
        match = SAMPLE.match(line)
        if match is None:
            problems.append(f"line {number}: not a sample: {line.rstrip()}")
            continue
        name, labels = match.group(1), match.group(2) or ""
        if family is None or name not in [family + s for s in SUFFIXES.get(kind, ())]:
            problems.append(f"line {number}: {name} is not a sample name of {kind} {family}")
        if kind == "stateset" and f"{family}=" not in labels:
            problems.append(f"line {number}: stateset sample without a {family} label")
print("\n".join(problems))
sys.exit(1 if problems else 0)
PYTHON
}

echo "checking the exposition formats with promtool..."
for page in metrics probe; do
    check "$page: answers in text format 0.0.4" fetch "$page" text 'text/plain; version=0.0.4'
    check "$page: 0.0.4 passes promtool check metrics, which prints nothing" promtool_is_silent "$page"
    check "$page: answers in OpenMetrics" fetch "$page" om "$OPENMETRICS"
    check "$page: OpenMetrics has its Content-Type and ends with # EOF" openmetrics_is_framed "$page"
    check "$page: OpenMetrics is parsed and ingested by promtool tsdb create-blocks-from" \
        promtool_ingests_openmetrics "$page"
    check "$page: OpenMetrics families, suffixes and stateset labels follow the spec" \
        openmetrics_families_are_well_formed "$page"
done

# ---------------------------------------------------------------------------
# 2c. The scale-out recipe of the README: six daytime services, and two more
#     exporters (shards) that may probe any of them through /probe.

# Starts `probe_exporter ARGS...` in the background, logging to LOG.
start_logged() {
    local log=$1
    shift
    "$BINARY" "$@" >/dev/null 2>"$log" &
    SCALE_OUT_PIDS+=($!)
}

# Prints the address of LOG's first `listening` line (an exporter's, or a
# daytime service's), waiting up to 10 s for it.
logged_address() {
    local log=$1 attempt address
    for ((attempt = 0; attempt < 50; attempt++)); do
        address=$(sed -n 's/^ts=[^ ]* level=info msg="listening" .*address=\([^ ]*\)$/\1/p' "$log" | head -n 1)
        if [[ -n $address ]]; then
            echo "$address"
            return 0
        fi
        sleep 0.2
    done
    return 1
}

SHARD_TARGETS=()
for n in 1 2 3 4 5 6; do
    start_logged "$WORK/daytime$n.log" daytime-server --listen 127.0.0.1:0
    address=$(logged_address "$WORK/daytime$n.log") ||
        die "daytime service $n did not start" "$WORK/daytime$n.log"
    SHARD_TARGETS+=("$address")
done
SHARDS=()
for n in 0 1; do
    start_logged "$WORK/shard$n.log" --web.listen-address 127.0.0.1:0 --probe.allow '127.0.0.1:*'
    address=$(logged_address "$WORK/shard$n.log") || die "shard $n did not start" "$WORK/shard$n.log"
    SHARDS+=("$address")
done
echo "shards on ${SHARDS[*]}, probing ${SHARD_TARGETS[*]}"

# Which shard Prometheus's hashmod relabeling sends TARGET to: the low 8
# bytes of the MD5 of the label value, big-endian, modulo the shard count.
shard_of() {
    python3 -c 'import hashlib, sys; print(int.from_bytes(hashlib.md5(sys.argv[1].encode()).digest()[8:], "big") % 2)' "$1"
}

# ---------------------------------------------------------------------------
# 3. A real Prometheus server: one job scrapes /metrics; a second scrapes
#    /probe the way a blackbox exporter is scraped, one target per demo
#    service. The demo's allow-list admits exactly those two addresses.

PROMETHEUS_PORT=$(free_port)
PROMETHEUS="127.0.0.1:$PROMETHEUS_PORT"

# The probe job's relabeling is the blackbox exporter's: the listed address
# becomes the `target` URL parameter and the `instance` label, and the
# scrape goes to the exporter instead. `__param_module` set per group picks
# the module URL parameter for each service.
cat >"$WORK/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: probe_exporter
    static_configs:
      - targets: ['$EXPORTER']
  - job_name: probe
    metrics_path: /probe
    static_configs:
      - targets: ['$DAYTIME']
        labels: {__param_module: daytime}
      - targets: ['$COUNTER']
        labels: {__param_module: counter}
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - target_label: __address__
        replacement: '$EXPORTER'
  # The README's "More than one exporter": hashmod splits the /probe
  # targets between two exporters, and each exporter is scraped as well.
  - job_name: probe_sharded
    metrics_path: /probe
    params:
      module: [daytime]
    static_configs:
      - targets: [$(printf "'%s'," "${SHARD_TARGETS[@]}")]
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - source_labels: [__param_target]
        modulus: 2
        target_label: __tmp_shard
        action: hashmod
      - source_labels: [__tmp_shard]
        regex: '0'
        target_label: __address__
        replacement: '${SHARDS[0]}'
      - source_labels: [__tmp_shard]
        regex: '1'
        target_label: __address__
        replacement: '${SHARDS[1]}'
      - source_labels: [__address__]
        target_label: exporter
  - job_name: shards
    static_configs:
      - targets: ['${SHARDS[0]}', '${SHARDS[1]}']
EOF

# Debug logging, because Prometheus logs a failed scrape or a page it
# cannot parse ("Append failed" err=...) at debug level only.
prometheus \
    --config.file="$WORK/prometheus.yml" \
    --storage.tsdb.path="$WORK/tsdb" \
    --web.listen-address="$PROMETHEUS" \
    --log.level=debug \
    2>"$WORK/prometheus.log" &
PROMETHEUS_PID=$!
echo "prometheus on $PROMETHEUS"

prometheus_ready() {
    curl --silent --fail --max-time 2 "http://$PROMETHEUS/-/ready" >/dev/null
}
wait_for 15 prometheus_ready || die "Prometheus was not ready within 15 s" "$WORK/prometheus.log"

# ---------------------------------------------------------------------------
# 4. What Prometheus made of the scrapes, through its HTTP API.

# Runs a PromQL instant query; prints one line per series: `{labels} value`.
query() {
    curl --silent --show-error --fail --max-time 5 --get \
        --data-urlencode "query=$1" "http://$PROMETHEUS/api/v1/query" |
        python3 -c '
import json, sys
for series in json.load(sys.stdin)["data"]["result"]:
    labels = ",".join(f"{k}=\"{v}\"" for k, v in sorted(series["metric"].items()))
    print("{" + labels + "}", series["value"][1])'
}

# Succeeds when EXPRESSION has exactly COUNT series, each of value 1.
all_ones() {
    local expression=$1 count=$2 result
    result=$(query "$expression") || return 1
    echo "$expression:"
    echo "$result"
    awk -v count="$count" '$NF != "1" { bad = 1 } END { exit !(NR == count && !bad) }' <<<"$result"
}

# Prometheus picks up targets on its discovery tick (every 5 s), then
# scrapes each within an interval: `up` has a series per target once every
# target has been scraped, whatever the outcome.
every_target_scraped() {
    [[ $(query 'up' | wc -l) == 11 ]]
}
wait_for 30 every_target_scraped ||
    die "Prometheus did not scrape all eleven targets within 30 s" "$WORK/prometheus.log"

echo "checking what Prometheus scraped..."
check "up is 1 for the exporter, its two probe targets, six sharded targets and both shards" all_ones 'up' 11
check "probe_success is 1 for both targets on /metrics" all_ones 'probe_success{job="probe_exporter"}' 2
check "probe_success is 1 for both targets on /probe" all_ones 'probe_success{job="probe"}' 2

# Prometheus asks for gzip with every scrape, and `up` above says it read
# the answers; the same request from curl comes back gzipped, and inflates.
answers_gzip() {
    local head
    head=$(curl -sS -D - -o "$WORK/metrics.gz" -H 'Accept-Encoding: gzip' \
        "http://$EXPORTER/metrics") || return 1
    echo "$head"
    grep -qi '^content-encoding: gzip' <<<"$head" &&
        gzip -dc "$WORK/metrics.gz" | grep -q '^probe_success{'
}
check "a scrape that accepts gzip, as Prometheus's does, is gzipped and inflates" answers_gzip

# Succeeds when each of the COUNT series of EXPRESSION grows between two
# queries three scrape intervals apart.
series_grow() {
    local expression=$1 count=$2 before after
    before=$(query "$expression") || return 1
    sleep 3
    after=$(query "$expression") || return 1
    printf 'before:\n%s\nafter:\n%s\n' "$before" "$after"
    awk -v count="$count" 'NR == FNR { before[$1] = $2; next }
         { n++; if (!($1 in before) || $2 <= before[$1]) bad = 1 }
         END { exit !(n == count && !bad) }' <(echo "$before") <(echo "$after")
}

# Every scrape of /metrics probes each target once and observes the latency
# in the target's histogram, so its count must grow.
check "probe_latency_seconds_count grows for both targets" \
    series_grow 'probe_latency_seconds_count{job="probe_exporter"}' 2

# The metric types Prometheus recorded for METRIC on the targets of JOB,
# one per line, from the per-target metadata of the last scrapes.
metadata_types() {
    curl --silent --show-error --fail --max-time 5 --get \
        --data-urlencode "match_target={job=\"$1\"}" \
        --data-urlencode "metric=$2" \
        "http://$PROMETHEUS/api/v1/targets/metadata" |
        python3 -c 'import json, sys; [print(m["type"]) for m in json.load(sys.stdin)["data"]]' |
        sort -u
}

# Proof that Prometheus negotiated OpenMetrics, not 0.0.4. Prometheus 2.42
# asks for OpenMetrics first in its Accept header, and its metadata records
# what its parser read from the page's TYPE lines. Served this exporter's
# 0.0.4 page, Prometheus 2.42 records probe_outcome as a gauge (0.0.4 has
# no stateset), no family service_requests, and two families,
# service_requests_total (counter) and service_requests_created (gauge).
# Only the OpenMetrics parser yields a `stateset`, a counter family named
# without `_total`, and `_created` as part of that family, not its own.
# Both jobs are checked: the counter module's /probe page carries both
# families too.
negotiated_openmetrics() {
    local job=$1 outcome requests created
    outcome=$(metadata_types "$job" probe_outcome) || return 1
    requests=$(metadata_types "$job" service_requests) || return 1
    created=$(metadata_types "$job" service_requests_created) || return 1
    echo "probe_outcome: ${outcome:-none}; service_requests: ${requests:-none}; service_requests_created: ${created:-none}"
    [[ $outcome == stateset && $requests == counter && -z $created ]]
}
check "Prometheus negotiated OpenMetrics on /metrics" negotiated_openmetrics probe_exporter
check "Prometheus negotiated OpenMetrics on /probe" negotiated_openmetrics probe

# The sharded job: every target up with probe_success 1, each probed by the
# exporter hashmod assigns it to, and each shard's responses counter grows.
check "probe_success is 1 for the six sharded targets" all_ones 'probe_success{job="probe_sharded"}' 6

each_shard_probes_its_share() {
    local target expected=() got
    for target in "${SHARD_TARGETS[@]}"; do
        expected+=("{exporter=\"${SHARDS[$(shard_of "$target")]}\",instance=\"$target\"}")
    done
    got=$(query 'max by (exporter, instance) (probe_success{job="probe_sharded"})' | cut -d' ' -f1 | sort)
    printf 'expected:\n%s\ngot:\n%s\n' "$(printf '%s\n' "${expected[@]}" | sort)" "$got"
    [[ $got == "$(printf '%s\n' "${expected[@]}" | sort)" ]]
}
check "each shard probes the targets hashmod gives it" each_shard_probes_its_share

check "probe_exporter_http_responses_total grows on both shards" \
    series_grow 'probe_exporter_http_responses_total{job="shards",code="200"}' 2

# Every target's last scrape ended without an error, in the targets API.
no_scrape_errors() {
    curl --silent --show-error --fail --max-time 5 "http://$PROMETHEUS/api/v1/targets" |
        python3 -c '
import json, sys
bad = [t for t in json.load(sys.stdin)["data"]["activeTargets"] if t["health"] != "up" or t["lastError"]]
for t in bad:
    print(t["scrapeUrl"], t["health"], t["lastError"])
sys.exit(1 if bad else 0)'
}
check "every target's last scrape reports no error" no_scrape_errors

# Nor did any scrape fail or half-parse on the way: Prometheus logs those,
# at debug level, from its scrape manager.
prometheus_log_is_clean() {
    ! grep -i 'scrape' "$WORK/prometheus.log" | grep -Ei 'parse|error|err=|fail'
}
check "the Prometheus log has no scrape or parse errors" prometheus_log_is_clean

# The exporter logs only its start-up lines at the default level; a warning
# or an error means it met something unexpected while being scraped.
exporter_log_is_clean() {
    ! grep -Ev '^ts=[^ ]* level=info ' "$WORK/exporter.log"
}
check "the exporter logged no warnings or errors" exporter_log_is_clean

# ---------------------------------------------------------------------------
# 5. The verdict.

if ((FAILED > 0)); then
    echo "conformance: $FAILED check(s) failed"
    exit 1
fi
echo "conformance: all checks passed"
