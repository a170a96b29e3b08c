//! Routes: which answer a request gets.
//!
//! | path                | answer                                            |
//! |---------------------|---------------------------------------------------|
//! | `/metrics`          | probe every configured target, then the exposition |
//! | `/probe?target=&module=` | probe one target the allow-list admits       |
//! | `/`                 | a small HTML page linking to the rest             |
//! | `/-/healthy`        | 200, as long as the process serves at all         |
//! | `/-/ready`          | 200 while serving, 503 once stopping              |
//! | `POST /-/reload`    | read the configuration file again: 200, or 500 and why; 403 without a file |
//!
//! Handlers are plain functions from a request to a [`Response`]; the
//! connection loop writes it. A failed probe is not an HTTP error: the
//! scrape still answers 200, with `probe_success 0` in it. A scrape's
//! budget counts from the moment its request was read, as Prometheus's
//! timeout counts from the moment it sent it. `HEAD` of `/metrics` or
//! `/probe` gets the status and headers a `GET` would, without probing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::allow;
use crate::content_coding;
use crate::exporter::{Exporter, ReloadError};
use crate::exposition::negotiate;
use crate::exposition::{self, Format, Writer};
use crate::gzip;
use crate::http::{self, Request, Response, Status, TEXT_HTML};
use crate::log;
use crate::metrics::{self, ScrapeData};
use crate::probe::{trace, Report};
use crate::process;
use crate::target::{Address, Module, Target};

/// The answer to `request`.
pub fn respond(request: &Request, exporter: &Exporter) -> Response {
    let arrived = Instant::now();
    if !http::is_known_method(&request.method) {
        return Response::text(Status::NOT_IMPLEMENTED, "unknown method");
    }
    if request.path == "/-/reload" {
        return reload(request, exporter);
    }
    if request.method != "GET" && request.method != "HEAD" {
        return method_not_allowed("GET, HEAD");
    }
    match request.path.as_str() {
        path if path == exporter.config().telemetry_path => metrics(request, exporter, arrived),
        "/probe" => probe_one(request, exporter, arrived),
        "/" => landing_page(exporter),
        "/-/healthy" => Response::text(Status::OK, "Healthy"),
        "/-/ready" if exporter.is_stopping() => {
            Response::text(Status::SERVICE_UNAVAILABLE, "Stopping")
        }
        "/-/ready" => Response::text(Status::OK, "Ready"),
        _ => Response::text(Status::NOT_FOUND, "not found"),
    }
}

fn method_not_allowed(allowed: &str) -> Response {
    Response::text(Status::METHOD_NOT_ALLOWED, &format!("only {allowed} is supported here"))
        .with_header("Allow", allowed.to_string())
}

/// `POST /-/reload`, as blackbox_exporter has it: a changing request, so
/// `GET` may not do it. Without a configuration file there is nothing to
/// reload, and the answer is `403`, as Prometheus answers a reload it was
/// not started to take (`--web.enable-lifecycle` off): the request is
/// understood, and refused by how the process was started.
fn reload(request: &Request, exporter: &Exporter) -> Response {
    if request.method != "POST" {
        return method_not_allowed("POST");
    }
    match exporter.reload() {
        Ok(_) => Response::text(Status::OK, "reloaded"),
        Err(err @ ReloadError::NoFile) => Response::text(Status::FORBIDDEN, &err.to_string()),
        Err(err) => Response::text(
            Status::INTERNAL_SERVER_ERROR,
            &format!("failed to reload the configuration: {err}"),
        ),
    }
}

/// The configured targets' metrics, then the exporter's own.
/// A scrape that arrives while a round of probes of the same targets is
/// under way may take its reports ([`crate::scrape`]).
fn metrics(request: &Request, exporter: &Exporter, arrived: Instant) -> Response {
    if request.method == "HEAD" {
        return head_of_exposition(request, exporter);
    }
    let loaded = exporter.loaded();
    let budget = scrape_budget(request, exporter);
    let Some(round) = exporter.probes().join_or_start(&loaded.targets, arrived, budget) else {
        return too_many_scrapes();
    };
    // The process's figures are read while the probes run.
    let process = process::read_self();
    let reports = round.wait(|reports| loaded.record(reports));
    let scrape_duration = arrived.elapsed();

    let latencies = loaded.latencies();
    let (reload_successful, reload_success_at) = exporter.reload_status();
    let responses = exporter.telemetry().responses();
    let scrape = ScrapeData {
        targets: &loaded.targets,
        spelled_labels: &loaded.spelled_labels,
        reports: &reports,
        latencies: &latencies,
        scrape_duration,
        reload_successful,
        reload_success_at,
        responses: &responses,
        counting_since: exporter.telemetry().started_at(),
        process,
    };
    let expected = exporter.scrape_size_hint();
    let plain = plain_exposition(request, exporter, expected, |writer| {
        metrics::write_scrape(writer, &scrape)
    });
    exporter.remember_scrape_size(plain.body.len());
    gzip_if_accepted(plain, request, exporter)
}

/// The header in which Prometheus says how long it will wait, in seconds
/// (`10`, `0.5`, or `10.000000` from Prometheus before 2.28).
pub const TIMEOUT_HEADER: &str = "X-Prometheus-Scrape-Timeout-Seconds";

/// The share of Prometheus's timeout a scrape always keeps, however large
/// the offset: a quarter. With `--scrape.timeout-offset 500ms` this
/// applies to timeouts under 667 ms.
const MIN_BUDGET_SHARE: f64 = 0.25;

/// The time Prometheus leaves this scrape, given the value of its
/// [`TIMEOUT_HEADER`]: that timeout less `offset`, but never less than a
/// quarter of it, so that a timeout barely above the offset (or below it)
/// still leaves time to probe and the answer still arrives before
/// Prometheus gives up. `None` when there is no header (the request is
/// not from Prometheus) or it says nonsense.
pub fn budget(header: Option<&str>, offset: Duration) -> Option<Duration> {
    let seconds: f64 = header?.trim().parse().ok()?;
    if !seconds.is_finite() || seconds <= 0.0 {
        return None;
    }
    let usable = (seconds - offset.as_secs_f64()).max(seconds * MIN_BUDGET_SHARE);
    let budget = Duration::from_secs_f64(usable.min(86_400.0));
    // Less than a millisecond is no time to probe anything: nonsense.
    (budget >= Duration::from_millis(1)).then_some(budget)
}

/// The budget of a scrape from Prometheus, if it sent its timeout.
fn scrape_budget(request: &Request, exporter: &Exporter) -> Option<Duration> {
    budget(request.header(TIMEOUT_HEADER), exporter.config().timeout_offset)
}

/// `/probe?target=HOST:PORT&module=NAME`: the multi-target
/// pattern of blackbox_exporter, for targets the allow-list admits.
fn probe_one(request: &Request, exporter: &Exporter, arrived: Instant) -> Response {
    let loaded = exporter.loaded();
    if loaded.allow.is_empty() {
        return Response::text(
            Status::FORBIDDEN,
            "the /probe endpoint is off: no allow rule is configured (--probe.allow or [probe] allow)",
        );
    }
    let target = match probe_target(request, &loaded.modules) {
        Ok(target) => target,
        Err(message) => return Response::text(Status::BAD_REQUEST, &message),
    };
    if !allow::admits(&loaded.allow, &target.address) {
        return Response::text(
            Status::FORBIDDEN,
            &format!("target `{}` is not in the allow-list", target.address),
        );
    }
    if request.method == "HEAD" {
        if wants_debug(request) {
            return Response::head_without_body(Status::OK, http::TEXT_PLAIN);
        }
        return head_of_exposition(request, exporter);
    }
    let Some(_slot) = exporter.begin_probe() else {
        return too_many_scrapes();
    };
    let budget = scrape_budget(request, exporter);
    let targets: Arc<[Target]> = Arc::new([target]);
    let keep_reply = if wants_debug(request) { trace::SHOWN_REPLY } else { 0 };
    let reports = exporter.probes().probe_all(&targets, arrived, budget, keep_reply);
    let (target, report) = (&targets[0], &reports[0]);
    // The module exists: `probe_target` found it.
    let module = request.query_param("module").unwrap_or_default();
    if let Err(err) = &report.result {
        log::debug(
            "probe failed",
            &[
                ("target", &target.address),
                ("module", &module),
                ("phase", &err.phase()),
                ("err", err),
            ],
        );
    }
    if wants_debug(request) {
        return debug_page(report, target, module);
    }
    exposition_response(request, exporter, PROBE_BODY_SIZE, |writer| {
        metrics::write_probe(writer, target, report)
    })
}

/// The answer to `HEAD` of an exposition: its status, content type and
/// content coding, without probing. Its length is known only once the
/// targets have been probed, so no `Content-Length` is sent rather than a
/// wrong one.
fn head_of_exposition(request: &Request, exporter: &Exporter) -> Response {
    let answer = negotiate::negotiate(request.header("accept"));
    gzip_if_accepted(
        Response::head_without_body(Status::OK, answer.content_type()),
        request,
        exporter,
    )
}

/// `debug=true`, as blackbox_exporter takes it.
fn wants_debug(request: &Request) -> bool {
    request.query_param("debug").is_some_and(|value| value.eq_ignore_ascii_case("true"))
}

/// What blackbox_exporter answers a debug probe with, in plain text: the
/// probe's log, the metrics it would have returned, and the module's
/// settings, each section headed by a sentence.
fn debug_page(report: &Report, target: &Target, module: &str) -> Response {
    let mut page = trace::debug_log(report, target, module);
    page.push_str("\n\n\nMetrics that would have been returned:\n");
    metrics::write_probe(Writer::new(&mut page, Format::Prometheus), target, report);
    page.push_str("\n\n\nModule configuration:\n");
    page.push_str(&trace::module_settings(module, target));
    Response::new(Status::OK, http::TEXT_PLAIN, page)
}

/// The target that `/probe`'s query names, probed as its module says.
fn probe_target(request: &Request, modules: &[Module]) -> Result<Target, String> {
    let address = request.query_param("target").ok_or("missing `target` parameter (HOST:PORT)")?;
    let address = Address::parse(address)
        .map_err(|err| format!("bad `target` parameter `{address}`: {err}"))?;
    let known = || modules.iter().map(|module| module.name.as_str()).collect::<Vec<_>>().join(", ");
    let name = request
        .query_param("module")
        .ok_or_else(|| format!("missing `module` parameter (known: {})", known()))?;
    let module = modules
        .iter()
        .find(|module| module.name == name)
        .ok_or_else(|| format!("unknown module `{name}` (known: {})", known()))?;
    Ok(module.target(address))
}

/// About the size of a `/probe` answer: a counter target's, in OpenMetrics.
const PROBE_BODY_SIZE: usize = 2 << 10;

/// A 200 whose body `write` fills in the format (and the escaping of names)
/// the request accepts. The body starts with room for `expected` bytes, so
/// it is not grown step by step.
fn exposition_response(
    request: &Request,
    exporter: &Exporter,
    expected: usize,
    write: impl FnOnce(Writer),
) -> Response {
    let plain = plain_exposition(request, exporter, expected, write);
    gzip_if_accepted(plain, request, exporter)
}

/// The answer [`exposition_response`] compresses, as written.
fn plain_exposition(
    request: &Request,
    exporter: &Exporter,
    expected: usize,
    write: impl FnOnce(Writer),
) -> Response {
    let answer = negotiate::negotiate(request.header("accept"));
    let body = exposition::write_body(exporter.output_buffer(expected), answer, write);
    Response::new(Status::OK, answer.content_type(), body)
}

/// Bodies shorter than this are sent plain: with the head, they fit one
/// TCP segment (1,460 bytes on Ethernet) either way, so compressing them
/// saves no packet, only a few bytes, for the CPU and the 18 bytes of
/// gzip's frame. Every scrape answer is longer (a scrape of no target is
/// about 4 KB, one probe about 2 KB).
const MIN_GZIP_BODY: usize = 1024;

/// `response` with its body gzipped when the request accepts gzip, the
/// body is long enough and `--web.disable-compression` is not given. It
/// then says `Vary: Accept-Encoding` whether gzipped or not, since the
/// same request with another `Accept-Encoding` could get other bytes.
/// The answer to a `HEAD`, whose body was not made, gets the headers its
/// `GET` would: every exposition is longer than [`MIN_GZIP_BODY`].
fn gzip_if_accepted(response: Response, request: &Request, exporter: &Exporter) -> Response {
    if exporter.config().disable_compression {
        return response;
    }
    let mut response = response.with_header("Vary", "Accept-Encoding");
    let too_short = response.length_known && response.body.len() < MIN_GZIP_BODY;
    if too_short || !content_coding::accepts_gzip(request.header_values("accept-encoding")) {
        return response;
    }
    if !response.length_known {
        return response.with_header("Content-Encoding", "gzip");
    }
    // A scrape compresses about tenfold; the buffer grows if it must.
    let mut gzipped = exporter.output_buffer(response.body.len() / 8).into_bytes();
    gzip::gzip(&response.body, &mut gzipped);
    exporter.recycle_body(std::mem::replace(&mut response.body, gzipped));
    response.with_header("Content-Encoding", "gzip")
}

fn too_many_scrapes() -> Response {
    Response::text(Status::SERVICE_UNAVAILABLE, "too many scrapes in flight (--web.max-requests)")
        .with_header("Retry-After", "1")
}

fn landing_page(exporter: &Exporter) -> Response {
    let config = exporter.config();
    let loaded = exporter.loaded();
    let path = html_escape(&config.telemetry_path);
    let mut targets = String::new();
    for target in loaded.targets.iter() {
        targets.push_str(&format!(
            "<li><code>{}</code>: {} at <code>{}</code></li>\n",
            html_escape(&target.name),
            target.kind.name(),
            html_escape(&target.address.to_string())
        ));
    }
    if targets.is_empty() {
        targets.push_str("<li>none configured</li>\n");
    }
    let probe = if loaded.allow.is_empty() {
        "<p><code>/probe</code> is off: no allow rule is configured.</p>".to_string()
    } else {
        "<p><code>/probe?target=HOST:PORT&amp;module=NAME</code> probes one allowed target; <code>&amp;debug=true</code> shows its steps.</p>"
            .to_string()
    };
    let body = format!(
        "<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"><title>probe_exporter</title></head>\n<body>\n\
         <h1>probe_exporter</h1>\n<p>A Prometheus exporter that probes daytime and counter services at scrape time. \
         Version {version}.</p>\n<ul>\n<li><a href=\"{path}\">Metrics</a></li>\n\
         <li><a href=\"/-/healthy\">Health</a></li>\n</ul>\n<h2>Targets</h2>\n<ul>\n{targets}</ul>\n{probe}\n</body>\n</html>\n",
        version = env!("CARGO_PKG_VERSION"),
    );
    Response::new(Status::OK, TEXT_HTML, body)
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, Targets};
    use crate::http::{parse_request, Parsed};
    use crate::os::systemd::Notifier;

    fn exporter() -> Exporter {
        Exporter::new(Config::default(), Targets::default(), Notifier::disabled()).unwrap()
    }

    /// The response to `request_line` with a Host header.
    fn answer(exporter: &Exporter, request_line: &str) -> Response {
        let text = format!("{request_line}\r\nHost: test\r\n\r\n");
        let Ok(Parsed::Complete(request, _)) = parse_request(text.as_bytes()) else {
            panic!("not a request: {request_line}");
        };
        respond(&request, exporter)
    }

    #[track_caller]
    fn check(exporter: &Exporter, request_line: &str, status: u16) -> Response {
        let response = answer(exporter, request_line);
        assert_eq!(response.status, Status(status), "{request_line}: {response:?}");
        response
    }

    #[test]
    fn paths_and_methods_get_their_answers() {
        let exporter = exporter();
        check(&exporter, "GET /-/healthy HTTP/1.1", 200);
        check(&exporter, "GET /-/ready HTTP/1.1", 200);
        check(&exporter, "GET / HTTP/1.1", 200);
        check(&exporter, "HEAD /metrics HTTP/1.1", 200);
        check(&exporter, "GET /nope HTTP/1.1", 404);
        let post = check(&exporter, "POST /metrics HTTP/1.1", 405);
        assert!(post.headers.contains(&("Allow", "GET, HEAD".to_string())), "{post:?}");
        check(&exporter, "BREW /metrics HTTP/1.1", 501);
        check(&exporter, "GET /probe?target=127.0.0.1:13&module=daytime HTTP/1.1", 403);
    }

    #[test]
    fn head_gets_the_headers_of_get_and_no_length_it_cannot_know() {
        let exporter = exporter();
        let get = check(&exporter, "GET /metrics HTTP/1.1", 200);
        let head = check(&exporter, "HEAD /metrics HTTP/1.1", 200);
        assert_eq!(head.content_type, get.content_type);
        assert!(!head.length_known && head.body.is_empty(), "{head:?}");
        let accept = "Accept: application/openmetrics-text;version=1.0.0\r\n";
        let open = answer_with(&exporter, "HEAD /metrics HTTP/1.1", accept);
        assert_eq!(open.content_type, Format::OpenMetrics.content_type());
        let text = String::from_utf8(open.head(true).into_bytes()).unwrap();
        assert!(!text.to_ascii_lowercase().contains("content-length"), "{text}");
    }

    #[test]
    fn reload_takes_post_only() {
        let exporter = exporter();
        let get = check(&exporter, "GET /-/reload HTTP/1.1", 405);
        assert!(get.headers.contains(&("Allow", "POST".to_string())), "{get:?}");
        // No configuration file: nothing to reload, and no pretence of it.
        let nothing = check(&exporter, "POST /-/reload HTTP/1.1", 403);
        let text = String::from_utf8(nothing.body).unwrap();
        assert_eq!(text, "nothing to reload: no --config.file was given\n");
    }

    #[test]
    fn ready_turns_503_once_stopping() {
        let exporter = exporter();
        exporter.begin_stop();
        check(&exporter, "GET /-/ready HTTP/1.1", 503);
        check(&exporter, "GET /-/healthy HTTP/1.1", 200);
    }

    /// The response to `request_line` with the extra header lines `headers`.
    fn answer_with(exporter: &Exporter, request_line: &str, headers: &str) -> Response {
        let text = format!("{request_line}\r\nHost: test\r\n{headers}\r\n");
        let Ok(Parsed::Complete(request, _)) = parse_request(text.as_bytes()) else {
            panic!("not a request: {request_line}");
        };
        respond(&request, exporter)
    }

    #[test]
    fn the_metrics_format_follows_the_accept_header() {
        let exporter = exporter();
        let plain = answer(&exporter, "GET /metrics HTTP/1.1");
        assert_eq!(plain.content_type, Format::Prometheus.content_type());
        let accept = "Accept: application/openmetrics-text;version=1.0.0,text/plain;q=0.5\r\n";
        let open = answer_with(&exporter, "GET /metrics HTTP/1.1", accept);
        assert_eq!(open.content_type, Format::OpenMetrics.content_type());
        assert!(open.body.ends_with(b"# EOF\n"), "{:?}", String::from_utf8_lossy(&open.body));
    }

    #[test]
    fn an_exposition_is_gzipped_when_the_request_accepts_gzip() {
        let exporter = exporter();
        let vary = ("Vary", "Accept-Encoding".to_string());
        let gzip = ("Content-Encoding", "gzip".to_string());
        let plain = answer(&exporter, "GET /metrics HTTP/1.1");
        assert!(plain.headers.contains(&vary) && !plain.headers.contains(&gzip), "{plain:?}");
        let gzipped = answer_with(&exporter, "GET /metrics HTTP/1.1", "Accept-Encoding: gzip\r\n");
        assert!(gzipped.headers.contains(&vary) && gzipped.headers.contains(&gzip));
        let (body, _) = crate::gzip::inflate::gunzip(&gzipped.body).unwrap();
        assert!(body.starts_with(b"# HELP ") && body.len() > MIN_GZIP_BODY);
        let refused =
            answer_with(&exporter, "GET /metrics HTTP/1.1", "Accept-Encoding: gzip;q=0\r\n");
        assert!(refused.body.starts_with(b"# HELP "));
        let small = answer_with(&exporter, "GET /-/healthy HTTP/1.1", "Accept-Encoding: gzip\r\n");
        assert!(small.headers.is_empty() && small.body == b"Healthy\n", "{small:?}");
    }

    #[test]
    fn probe_requests_are_checked_before_anything_is_probed() {
        let rule = crate::allow::Rule::parse("127.0.0.1:*").unwrap();
        let config = Config { allow: vec![rule], ..Config::default() };
        let targets = crate::config::load_targets(&config).unwrap();
        let exporter = Exporter::new(config, targets, Notifier::disabled()).unwrap();
        let unknown = check(&exporter, "GET /probe?target=127.0.0.1:13&module=nope HTTP/1.1", 400);
        let text = String::from_utf8(unknown.body).unwrap();
        assert!(text.contains("unknown module `nope`") && text.contains("daytime"), "{text}");
        check(&exporter, "GET /probe?module=daytime HTTP/1.1", 400);
        check(&exporter, "GET /probe?target=10.0.0.1:13&module=daytime HTTP/1.1", 403);
    }

    #[test]
    fn the_metrics_carry_the_exporters_own_families() {
        let exporter = exporter();
        let response = check(&exporter, "GET /metrics HTTP/1.1", 200);
        let body = String::from_utf8(response.body).unwrap();
        for name in [
            "probe_exporter_scrape_duration_seconds ",
            "probe_exporter_config_last_reload_successful 1",
            "probe_exporter_http_responses_total{code=\"200\"} ",
        ] {
            assert!(body.contains(&format!("\n{name}")), "no {name} in\n{body}");
        }
    }

    #[track_caller]
    fn check_budget(header: &str, expected: Option<f64>) {
        let value = header.strip_prefix(TIMEOUT_HEADER).and_then(|rest| rest.strip_prefix(": "));
        let budget = budget(value, Duration::from_millis(500));
        assert_eq!(
            budget.map(|b| (b.as_secs_f64() * 1000.0).round() / 1000.0),
            expected,
            "{header}"
        );
    }

    #[test]
    fn budget_comes_from_the_prometheus_header() {
        check_budget("X-Prometheus-Scrape-Timeout-Seconds: 10", Some(9.5));
        check_budget("X-Prometheus-Scrape-Timeout-Seconds: 10.000000", Some(9.5));
        check_budget("X-Prometheus-Scrape-Timeout-Seconds: 0.75", Some(0.25));
        // Barely above the offset, or below it: a quarter of the timeout
        // is kept for probing, and the answer is still in time.
        check_budget("X-Prometheus-Scrape-Timeout-Seconds: 0.5000001", Some(0.125));
        check_budget("X-Prometheus-Scrape-Timeout-Seconds: 0.4", Some(0.1));
        check_budget("X-Prometheus-Scrape-Timeout-Seconds: 0", None);
        check_budget("X-Prometheus-Scrape-Timeout-Seconds: -3", None);
        check_budget("X-Prometheus-Scrape-Timeout-Seconds: NaN", None);
        check_budget("X-Prometheus-Scrape-Timeout-Seconds: 1e-300", None);
        check_budget("X-Prometheus-Scrape-Timeout-Seconds: soon", None);
        check_budget("X-Other: 1", None);
    }
}
