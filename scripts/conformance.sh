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
readonly OPENMETRICS_TYPE='application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores'
readonly TEXT_TYPE='text/plain; version=0.0.4; charset=utf-8'
readonly TEXT_1_0_0_TYPE='text/plain; version=1.0.0; charset=utf-8; escaping=allow-utf-8'

# ---------------------------------------------------------------------------
# Bookkeeping: temporary files, child processes, and the tally of checks.

WORK=$(mktemp -d)
EXPORTER_PID=
PROMETHEUS_PID=
SCALE_OUT_PIDS=()
DEADLINE_PIDS=()
FAILED=0

# Stops what this script started, by process id, and removes its files.
cleanup() {
    for pid in "$PROMETHEUS_PID" "$EXPORTER_PID" "${SCALE_OUT_PIDS[@]}" "${DEADLINE_PIDS[@]}"; do
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

# The text format 1.0.0 that Prometheus 3 asks for: the 0.0.4 syntax, with
# the escaping it used named in its Content-Type. promtool reads it as 0.0.4.
promtool_reads_text_1_0_0() {
    local page=$1 output
    [[ $(<"$WORK/$page.text1.type") == "$TEXT_1_0_0_TYPE" ]] ||
        { echo "Content-Type: $(<"$WORK/$page.text1.type")"; return 1; }
    output=$(promtool check metrics <"$WORK/$page.text1" 2>&1) || { echo "$output"; return 1; }
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
    check "$page: answers in text format 1.0.0" \
        fetch "$page" text1 'text/plain;version=1.0.0;escaping=allow-utf-8'
    check "$page: 1.0.0 states its escaping and passes promtool check metrics" \
        promtool_reads_text_1_0_0 "$page"
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
# Deadlines on a busy host: a target that accepts and never answers, with a
# timeout of a minute, scraped with Prometheus's timeout of 30 s. Both
# /metrics and /probe must answer within the budget of 29.5 s and 50 ms,
# while two busy loops keep both cores at work: a kernel timer that runs
# late shows most there, and most with long waits. (`make test` has the
# same check with a budget of 2.5 s.)

echo "deadlines: a silent target with a 30 s scrape timeout, on a busy host (30 s)..."
python3 -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
print("127.0.0.1:%d" % s.getsockname()[1], flush=True)
held = []
while True:
    held.append(s.accept()[0])
' >"$WORK/silent.address" &
DEADLINE_PIDS+=($!)
silent_listening() { [[ -s $WORK/silent.address ]]; }
wait_for 10 silent_listening || die "the silent target did not start"
SILENT=$(<"$WORK/silent.address")
printf '[target silent]\nkind = daytime\naddress = %s\ntimeout = 1m\n\n[module slow]\nkind = daytime\ntimeout = 1m\n\n[probe]\nallow = %s\n' \
    "$SILENT" "$SILENT" >"$WORK/deadline.conf"
"$BINARY" --web.listen-address 127.0.0.1:0 --config.file "$WORK/deadline.conf" \
    2>"$WORK/deadline-exporter.log" &
DEADLINE_PIDS+=($!)
deadline_exporter_address() {
    sed -n 's/^ts=[^ ]* level=info msg="listening" address=\([^ ]*\)$/\1/p' "$WORK/deadline-exporter.log"
}
deadline_exporter_listening() { [[ -n $(deadline_exporter_address) ]]; }
wait_for 10 deadline_exporter_listening ||
    die "the exporter for the deadline checks did not start" "$WORK/deadline-exporter.log"
DEADLINE_EXPORTER=$(deadline_exporter_address)
for _ in 1 2; do
    sh -c 'while :; do :; done' &
    DEADLINE_PIDS+=($!)
done

# Fetches PATH with Prometheus's 30 s timeout into OUT: the status and the
# seconds from the start of the connection to the last byte.
scrape_timed() {
    curl --silent --output /dev/null --max-time 40 \
        --header 'X-Prometheus-Scrape-Timeout-Seconds: 30' \
        --write-out '%{http_code} %{time_total}' "http://$DEADLINE_EXPORTER$1" >"$2" || true
}
scrape_timed /metrics "$WORK/deadline.metrics" &
METRICS_SCRAPE=$!
scrape_timed "/probe?target=$SILENT&module=slow" "$WORK/deadline.probe" &
PROBE_SCRAPE=$!
wait "$METRICS_SCRAPE" "$PROBE_SCRAPE"

# Whether the answer in FILE was a 200 within 29.55 s.
answered_within_the_budget() {
    local status seconds
    read -r status seconds <"$1" || true
    echo "status ${status:-none} after ${seconds:-?} s (budget 29.5 s + 50 ms)"
    [[ $status == 200 ]] && awk -v took="$seconds" 'BEGIN { exit !(took < 29.55) }'
}
check "/metrics of a silent 1m target answers within 29.5 s + 50 ms on a busy host" \
    answered_within_the_budget "$WORK/deadline.metrics"
check "/probe of a silent 1m target answers within 29.5 s + 50 ms on a busy host" \
    answered_within_the_budget "$WORK/deadline.probe"

# ---------------------------------------------------------------------------
# Protobuf: the answer Prometheus asks for first when it scrapes native
# histograms, read by a decoder written here from metrics.proto's field
# numbers, then scraped by a Prometheus started with
# --enable-feature=native-histograms (2.42 then sends the Accept header
# below, protobuf first).

readonly PROTOBUF_ACCEPT='application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'
readonly PROTOBUF_TYPE='application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited'

# Prints one line per MetricFamily of the delimited protobuf page FILE:
# `NAME TYPE METRICS START NATIVE`, where TYPE is MetricType's number,
# START says whether every counter and histogram carries a start_timestamp,
# and NATIVE whether a histogram carries native buckets (a schema, a zero
# bucket or a span). Fails on a truncated or malformed stream.
decode_protobuf_families() {
    python3 - "$1" <<'PYTHON'
import sys

def varint(data, pos):
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos

def fields(data):
    pos = 0
    while pos < len(data):
        key, pos = varint(data, pos)
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value, pos = varint(data, pos)
        elif wire_type == 1:
            value, pos = data[pos:pos + 8], pos + 8
        elif wire_type == 2:
            length, pos = varint(data, pos)
            value, pos = data[pos:pos + length], pos + length
        else:
            raise ValueError(f"wire type {wire_type}")
        if pos > len(data):
            raise ValueError("a field runs past the end of its message")
        yield number, value

body = open(sys.argv[1], "rb").read()
pos = 0
while pos < len(body):
    length, pos = varint(body, pos)
    family = body[pos:pos + length]
    if len(family) != length:
        raise ValueError("a MetricFamily runs past the end of the body")
    pos += length
    name, kind, metrics, started, native = "", 0, 0, True, False
    for number, value in fields(family):
        if number == 1:
            name = value.decode()
        elif number == 3:
            kind = value
        elif number == 4:
            metrics += 1
            for field, inner in fields(value):
                if field == 3:  # Counter: 3 start_timestamp
                    started &= any(n == 3 for n, _ in fields(inner))
                elif field == 7:  # Histogram: 15 start_timestamp; 5, 6, 7, 12 native
                    numbers = {n for n, _ in fields(inner)}
                    started &= 15 in numbers
                    native |= bool(numbers & {5, 6, 7, 12})
    print(name, kind, metrics, "start" if started else "nostart", "native" if native else "classic")
PYTHON
}

# The page in protobuf: its Content-Type, and every family of the 0.0.4
# page (a `_created` family aside) in the same order, with the counters and
# histograms carrying their start timestamps. The process CPU counter has
# no start of its own.
protobuf_page_is_complete() {
    local page=$1 names expected
    [[ $(<"$WORK/$page.pb.type") == "$PROTOBUF_TYPE" ]] ||
        { echo "Content-Type: $(<"$WORK/$page.pb.type")"; return 1; }
    decode_protobuf_families "$WORK/$page.pb" >"$WORK/$page.pb.families" || return 1
    cat "$WORK/$page.pb.families"
    names=$(cut -d' ' -f1 "$WORK/$page.pb.families")
    expected=$(sed -n 's/^# TYPE \([^ ]*\) .*/\1/p' "$WORK/$page.text" | grep -v '_created$')
    [[ $names == "$expected" ]] || { printf 'expected:\n%s\n' "$expected"; return 1; }
    ! grep -v '^process_cpu_seconds_total ' "$WORK/$page.pb.families" | grep -q ' nostart ' ||
        { echo "a family without start_timestamp"; return 1; }
}

echo "checking the protobuf format..."
for page in metrics probe; do
    check "$page: answers Prometheus 2.42's native-histogram Accept in protobuf" \
        fetch "$page" pb "$PROTOBUF_ACCEPT"
    check "$page: protobuf has every family, counters and histograms with their start" \
        protobuf_page_is_complete "$page"
done

# The first Prometheus has done its part: it is stopped, so that from here
# on the demo's counter service is probed by the scrapes of the second
# alone, once a second, and the counter's rate is known.
kill "$PROMETHEUS_PID" 2>/dev/null || true
wait "$PROMETHEUS_PID" 2>/dev/null || true
PROMETHEUS_PID=
PROMETHEUS_PORT=$(free_port)
PROMETHEUS="127.0.0.1:$PROMETHEUS_PORT"
cat >"$WORK/prometheus-native.yml" <<YAML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: native
    static_configs:
      - targets: ['$EXPORTER']
YAML
prometheus \
    --config.file="$WORK/prometheus-native.yml" \
    --storage.tsdb.path="$WORK/tsdb-native" \
    --web.listen-address="$PROMETHEUS" \
    --enable-feature=native-histograms \
    --log.level=debug \
    2>"$WORK/prometheus-native.log" &
PROMETHEUS_PID=$!
echo "prometheus with native histograms on $PROMETHEUS"
wait_for 15 prometheus_ready ||
    die "Prometheus with native histograms was not ready within 15 s" "$WORK/prometheus-native.log"

native_target_up() {
    [[ $(query 'up{job="native"}') == *' 1' ]]
}
wait_for 30 native_target_up ||
    die "Prometheus with native histograms did not scrape the exporter within 30 s" "$WORK/prometheus-native.log"
# Ten seconds of scrapes, for rate() and resets() over a window of them.
sleep 10

check "up is 1 for the exporter scraped in protobuf" all_ones 'up{job="native"}' 1

# Proof that Prometheus read protobuf: its protobuf parser records the
# counter under its series name (OpenMetrics: `service_requests`), the state
# set as a gauge (OpenMetrics: `stateset`), and no `_created` family (0.0.4
# writes `service_requests_created`).
negotiated_protobuf() {
    local outcome requests created
    outcome=$(metadata_types native probe_outcome) || return 1
    requests=$(metadata_types native service_requests_total) || return 1
    created=$(metadata_types native service_requests_created) || return 1
    echo "probe_outcome: ${outcome:-none}; service_requests_total: ${requests:-none}; service_requests_created: ${created:-none}"
    [[ $outcome == gauge && $requests == counter && -z $created ]]
}
check "Prometheus negotiated protobuf on /metrics" negotiated_protobuf

# The counter service counts its connections, and each scrape probes it
# once: over the last scrapes it grew by one a scrape (a second), as the
# exporter's own count of 200 responses did, and never went down. The two
# rates agree to within 5 %, not exactly: a scrape whose probe misses its
# deadline on a busy host leaves no service_requests_total sample, and rate()
# extrapolates from the samples each series has.
counter_rate_is_one_per_scrape() {
    local resets rate responses
    resets=$(query 'resets(service_requests_total{job="native"}[8s])') || return 1
    rate=$(query 'rate(service_requests_total{job="native"}[8s])') || return 1
    responses=$(query 'rate(probe_exporter_http_responses_total{job="native",code="200"}[8s])') || return 1
    printf 'resets: %s\nrate: %s\nresponses: %s\n' "$resets" "$rate" "$responses"
    [[ $resets == *' 0' ]] || return 1
    python3 -c 'import sys; r, s = float(sys.argv[1]), float(sys.argv[2]); sys.exit(not (0.75 <= r <= 1.25 and abs(r - s) <= 0.05 * s))' \
        "${rate##* }" "${responses##* }"
}
check "service_requests_total: no resets, and a rate of one per scrape" counter_rate_is_one_per_scrape

# The native histogram. Until probe_latency_seconds carries native buckets
# (the decoder above says whether it does), Prometheus keeps its classic
# buckets, and these two checks are skipped, not passed.
latency_is_native_histogram() {
    curl --silent --show-error --fail --max-time 5 --get \
        --data-urlencode 'query=probe_latency_seconds{job="native"}' "http://$PROMETHEUS/api/v1/query" |
        python3 -c '
import json, sys
result = json.load(sys.stdin)["data"]["result"]
print(result)
sys.exit(not (len(result) == 2 and all("histogram" in series for series in result)))'
}
latency_quantile_is_a_number() {
    local result
    result=$(query 'histogram_quantile(0.9, rate(probe_latency_seconds{job="native"}[8s]))') || return 1
    echo "$result"
    python3 -c 'import math, sys; values = [float(v) for v in sys.argv[1:]]; sys.exit(not (len(values) == 2 and all(math.isfinite(v) and v > 0 for v in values)))' \
        $(awk '{ print $NF }' <<<"$result")
}
if grep -q '^probe_latency_seconds .* native$' "$WORK/metrics.pb.families" 2>/dev/null; then
    check "probe_latency_seconds is stored as a native histogram" latency_is_native_histogram
    check "histogram_quantile over the native probe_latency_seconds is a number" \
        latency_quantile_is_a_number
else
    echo "SKIP  native histogram checks: probe_latency_seconds carries classic buckets only"
fi

native_log_is_clean() {
    ! grep -i 'scrape' "$WORK/prometheus-native.log" | grep -Ei 'parse|error|err=|fail'
}
check "the native-histogram Prometheus log has no scrape or parse errors" native_log_is_clean

# ---------------------------------------------------------------------------
# 5. The verdict.

if ((FAILED > 0)); then
    echo "conformance: $FAILED check(s) failed"
    exit 1
fi
echo "conformance: all checks passed"
