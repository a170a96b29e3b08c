//! The text of `--help`, kept apart so the flags' parser reads as code.

/// The text of `--help`.
pub const USAGE: &str = "\
probe_exporter: a Prometheus exporter that probes RFC 867 daytime and JSON
counter services at scrape time.

Usage:
  probe_exporter [FLAGS]                  run the exporter
  probe_exporter demo [FLAGS]             run both demo services and an exporter probing them
  probe_exporter daytime-server [--listen ADDR]   an RFC 867 daytime service (default 127.0.0.1:1113)
  probe_exporter counter-server [--listen ADDR]   a JSON counter service (default 127.0.0.1:1111)

Targets:
  --target NAME=KIND://HOST:PORT  probe this target at every scrape (repeatable);
                                  KIND is daytime or counter, e.g. clock=daytime://127.0.0.1:1113
  --config.file PATH              read targets and the /probe allow-list from PATH
                                  (again on SIGHUP or POST /-/reload)
  --config.check                  check the flags and --config.file, print what would
                                  be probed, and exit (0 if valid, 2 if not)
  --probe.allow RULE              let /probe reach HOST:PORT, *.domain:PORT, HOST:* or a CIDR range (repeatable)

Web:
  --web.listen-address ADDR       where to listen (default :10013, all interfaces; repeatable)
  --web.systemd-socket            use the sockets systemd passes in (socket activation),
                                  instead of any --web.listen-address
  --web.telemetry-path PATH       the metrics path (default /metrics)
  --web.max-connections N         open connections at most (default 256)
  --web.max-requests N            rounds of /metrics probes in flight at most, and apart,
                                  /probe requests in flight at most; then 503 (default 40)
  --web.read-timeout DURATION     a whole request head must arrive within this (default 10s)
  --web.idle-timeout DURATION     close a kept-alive connection idle this long (default 5m)
  --web.shutdown-timeout DURATION at a stop, wait this long for scrapes in flight
                                  (default: the longest probe timeout + 1s)
  --web.disable-compression       answer /metrics and /probe in plain text even when
                                  the request accepts gzip

Scrapes:
  --scrape.timeout-offset DURATION  answer this long before Prometheus's timeout (default 500ms)
  --scrape.concurrency N            probes of one scrape running at once (default 128)

Other:
  --log.level debug|info|warn|error  the least important lines logged (default info)
  --log.format logfmt|json        one logfmt line or one JSON object per event (default logfmt)
  --help, --version

Demo:
  --daytime.listen ADDR, --counter.listen ADDR  (defaults 127.0.0.1:1113, 127.0.0.1:1111)
";

#[cfg(test)]
mod tests {
    use super::USAGE;

    /// What `--help` says of `flag`: its line and the indented lines after it.
    fn help_of(flag: &str) -> String {
        let mut lines = USAGE.lines().skip_while(|line| !line.trim_start().starts_with(flag));
        let first = lines.next().unwrap_or_else(|| panic!("{flag} is not in --help"));
        let rest = lines.take_while(|line| line.starts_with("        "));
        std::iter::once(first).chain(rest).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn max_requests_bounds_metrics_rounds_and_probe_requests_apart() {
        let help = help_of("--web.max-requests");
        for says in ["rounds of /metrics probes", "apart", "/probe requests", "503"] {
            assert!(help.contains(says), "{help}");
        }
        assert!(!help.contains("scrapes"), "{help}");
    }
}
