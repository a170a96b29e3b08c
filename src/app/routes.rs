//! Routes: which answer a request gets. The handler the server is given.
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
//! Routes only read the request (its path, method and query, and the
//! `Accept`, `Accept-Encoding` and timeout headers) and choose: the
//! [`Terms`] of a scrape are handed down to [`crate::scrape`], which does
//! the whole of it. A scrape's budget counts from the moment its request
//! was read, as Prometheus's timeout counts from the moment it sent it.
//! `HEAD` of `/metrics` or `/probe` gets the status and headers a `GET`
//! would, without probing.

use std::sync::Arc;
use std::time::Instant;

use crate::exposition::negotiate;
use crate::http::content_coding;
use crate::http::{self, Request, Response, Status, TEXT_HTML};
use crate::scrape::budget::{budget, TIMEOUT_HEADER};
use crate::scrape::{answer, Coding, Scraper, Terms};
use crate::server::{Context, Handler};
use crate::state::{Generations, ReloadError};
use crate::target::allow;
use crate::target::{Address, Module, Target};

/// The exporter's routes: the generation in force (and its reload), and
/// the scraper that probes it.
pub struct Routes {
    generations: Arc<Generations>,
    scraper: Scraper,
}

impl Handler for Routes {
    fn respond(&self, request: &Request, server: &Context) -> Response {
        let arrived = Instant::now();
        if !http::is_known_method(&request.method) {
            return Response::text(Status::NOT_IMPLEMENTED, "unknown method");
        }
        if request.path == "/-/reload" {
            return self.reload(request);
        }
        if request.method != "GET" && request.method != "HEAD" {
            return method_not_allowed("GET, HEAD");
        }
        match request.path.as_str() {
            path if path == self.generations.config().telemetry_path => {
                self.metrics(request, arrived, server)
            }
            "/probe" => self.probe_one(request, arrived, server),
            "/" => self.landing_page(),
            "/-/healthy" => Response::text(Status::OK, "Healthy"),
            "/-/ready" if server.is_stopping() => {
                Response::text(Status::SERVICE_UNAVAILABLE, "Stopping")
            }
            "/-/ready" => Response::text(Status::OK, "Ready"),
            _ => Response::text(Status::NOT_FOUND, "not found"),
        }
    }
}

impl Routes {
    /// Routes for `generations`, with probe threads and places as its
    /// flags say.
    pub fn new(generations: Arc<Generations>) -> Routes {
        let scraper = Scraper::new(generations.config());
        Routes { generations, scraper }
    }

    /// The metrics path: the whole scrape, of the generation in force.
    fn metrics(&self, request: &Request, arrived: Instant, server: &Context) -> Response {
        let terms = self.terms(request, arrived);
        if request.method == "HEAD" {
            return answer::head(&terms);
        }
        let generation = self.generations.current();
        let reload = self.generations.reload_status();
        self.scraper.metrics(&generation, reload, &terms, server)
    }

    /// `/probe?target=HOST:PORT&module=NAME`: the multi-target pattern of
    /// blackbox_exporter, for targets the allow-list admits.
    fn probe_one(&self, request: &Request, arrived: Instant, server: &Context) -> Response {
        let generation = self.generations.current();
        if generation.allow.is_empty() {
            return Response::text(
                Status::FORBIDDEN,
                "the /probe endpoint is off: no allow rule is configured (--probe.allow or [probe] allow)",
            );
        }
        let target = match probe_target(request, &generation.modules) {
            Ok(target) => target,
            Err(message) => return Response::text(Status::BAD_REQUEST, &message),
        };
        if !allow::admits(&generation.allow, &target.address) {
            return Response::text(
                Status::FORBIDDEN,
                &format!("target `{}` is not in the allow-list", target.address),
            );
        }
        let debug = wants_debug(request);
        if request.method == "HEAD" {
            if debug {
                return Response::head_without_body(Status::OK, http::TEXT_PLAIN);
            }
            return answer::head(&self.terms(request, arrived));
        }
        // The module exists: `probe_target` found it.
        let module = request.query_param("module").unwrap_or_default();
        let terms = self.terms(request, arrived);
        self.scraper.probe_one(target, module, debug, &terms, server)
    }

    /// What the request asks of a scrape: its budget from Prometheus's
    /// timeout header, the format from `Accept`, the coding from
    /// `Accept-Encoding` unless `--web.disable-compression`.
    fn terms(&self, request: &Request, arrived: Instant) -> Terms {
        let config = self.generations.config();
        let coding = if config.disable_compression {
            Coding::PlainOnly
        } else if content_coding::accepts_gzip(request.header_values("accept-encoding")) {
            Coding::Gzip
        } else {
            Coding::Plain
        };
        Terms {
            arrived,
            budget: budget(request.header(TIMEOUT_HEADER), config.timeout_offset),
            format: negotiate::negotiate(request.header("accept")),
            coding,
        }
    }

    /// `POST /-/reload`, as blackbox_exporter has it: a changing request, so
    /// `GET` may not do it. Without a configuration file there is nothing to
    /// reload, and the answer is `403`, as Prometheus answers a reload it was
    /// not started to take (`--web.enable-lifecycle` off): the request is
    /// understood, and refused by how the process was started.
    fn reload(&self, request: &Request) -> Response {
        if request.method != "POST" {
            return method_not_allowed("POST");
        }
        match self.generations.reload() {
            Ok(_) => Response::text(Status::OK, "reloaded"),
            Err(err @ ReloadError::NoFile) => Response::text(Status::FORBIDDEN, &err.to_string()),
            Err(err) => Response::text(
                Status::INTERNAL_SERVER_ERROR,
                &format!("failed to reload the configuration: {err}"),
            ),
        }
    }

    /// The page a browser finds at `/`: where the metrics are, and what
    /// is probed.
    fn landing_page(&self) -> Response {
        let config = self.generations.config();
        let generation = self.generations.current();
        let path = html_escape(&config.telemetry_path);
        let mut targets = String::new();
        for target in generation.targets.iter() {
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
        let probe = if generation.allow.is_empty() {
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
}

/// `405`, with the `Allow` header naming the methods the path takes.
fn method_not_allowed(allowed: &str) -> Response {
    Response::text(Status::METHOD_NOT_ALLOWED, &format!("only {allowed} is supported here"))
        .with_header("Allow", allowed.to_string())
}

/// `debug=true`, as blackbox_exporter takes it.
fn wants_debug(request: &Request) -> bool {
    request.query_param("debug").is_some_and(|value| value.eq_ignore_ascii_case("true"))
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

/// `text` safe to stand in the landing page's HTML, as text or in an
/// attribute.
fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, Setup};
    use crate::exposition::TextFormat;
    use crate::http::{parse_request, Parsed};
    use crate::os::systemd::Notifier;

    /// The routes of a configuration, and a server's context to answer in.
    struct App {
        routes: Routes,
        server: Context,
    }

    fn app_of(config: Config, setup: Setup) -> App {
        let generations = Generations::new(config, setup, Notifier::disabled()).unwrap();
        App { routes: Routes::new(Arc::new(generations)), server: Context::new() }
    }

    fn app() -> App {
        app_of(Config::default(), Setup::default())
    }

    /// The response to `request_line` with a Host header.
    fn answer(app: &App, request_line: &str) -> Response {
        let text = format!("{request_line}\r\nHost: test\r\n\r\n");
        let Ok(Parsed::Complete(request, _)) = parse_request(text.as_bytes()) else {
            panic!("not a request: {request_line}");
        };
        app.routes.respond(&request, &app.server)
    }

    #[track_caller]
    fn check(app: &App, request_line: &str, status: u16) -> Response {
        let response = answer(app, request_line);
        assert_eq!(response.status, Status(status), "{request_line}: {response:?}");
        response
    }

    #[test]
    fn paths_and_methods_get_their_answers() {
        let app = app();
        check(&app, "GET /-/healthy HTTP/1.1", 200);
        check(&app, "GET /-/ready HTTP/1.1", 200);
        check(&app, "GET / HTTP/1.1", 200);
        check(&app, "HEAD /metrics HTTP/1.1", 200);
        check(&app, "GET /nope HTTP/1.1", 404);
        let post = check(&app, "POST /metrics HTTP/1.1", 405);
        assert!(post.headers.contains(&("Allow", "GET, HEAD".to_string())), "{post:?}");
        check(&app, "BREW /metrics HTTP/1.1", 501);
        check(&app, "GET /probe?target=127.0.0.1:13&module=daytime HTTP/1.1", 403);
    }

    #[test]
    fn head_gets_the_headers_of_get_and_no_length_it_cannot_know() {
        let app = app();
        let get = check(&app, "GET /metrics HTTP/1.1", 200);
        let head = check(&app, "HEAD /metrics HTTP/1.1", 200);
        assert_eq!(head.content_type, get.content_type);
        assert!(!head.length_known && head.body.is_empty(), "{head:?}");
        let accept = "Accept: application/openmetrics-text;version=1.0.0\r\n";
        let open = answer_with(&app, "HEAD /metrics HTTP/1.1", accept);
        assert_eq!(open.content_type, TextFormat::OpenMetrics.content_type());
        let text = String::from_utf8(open.head(true).into_bytes()).unwrap();
        assert!(!text.to_ascii_lowercase().contains("content-length"), "{text}");
    }

    #[test]
    fn reload_takes_post_only() {
        let app = app();
        let get = check(&app, "GET /-/reload HTTP/1.1", 405);
        assert!(get.headers.contains(&("Allow", "POST".to_string())), "{get:?}");
        // No configuration file: nothing to reload, and no pretence of it.
        let nothing = check(&app, "POST /-/reload HTTP/1.1", 403);
        let text = String::from_utf8(nothing.body).unwrap();
        assert_eq!(text, "nothing to reload: no --config.file was given\n");
    }

    #[test]
    fn ready_turns_503_once_stopping() {
        let app = app();
        app.server.begin_stop();
        check(&app, "GET /-/ready HTTP/1.1", 503);
        check(&app, "GET /-/healthy HTTP/1.1", 200);
    }

    /// The response to `request_line` with the extra header lines `headers`.
    fn answer_with(app: &App, request_line: &str, headers: &str) -> Response {
        let text = format!("{request_line}\r\nHost: test\r\n{headers}\r\n");
        let Ok(Parsed::Complete(request, _)) = parse_request(text.as_bytes()) else {
            panic!("not a request: {request_line}");
        };
        app.routes.respond(&request, &app.server)
    }

    #[test]
    fn the_metrics_format_follows_the_accept_header() {
        let app = app();
        let plain = answer(&app, "GET /metrics HTTP/1.1");
        assert_eq!(plain.content_type, TextFormat::Prometheus.content_type());
        let accept = "Accept: application/openmetrics-text;version=1.0.0,text/plain;q=0.5\r\n";
        let open = answer_with(&app, "GET /metrics HTTP/1.1", accept);
        assert_eq!(open.content_type, TextFormat::OpenMetrics.content_type());
        assert!(open.body.ends_with(b"# EOF\n"), "{:?}", String::from_utf8_lossy(&open.body));
    }

    #[test]
    fn an_exposition_is_gzipped_when_the_request_accepts_gzip() {
        let app = app();
        let vary = ("Vary", "Accept-Encoding".to_string());
        let gzip = ("Content-Encoding", "gzip".to_string());
        let plain = answer(&app, "GET /metrics HTTP/1.1");
        assert!(plain.headers.contains(&vary) && !plain.headers.contains(&gzip), "{plain:?}");
        let gzipped = answer_with(&app, "GET /metrics HTTP/1.1", "Accept-Encoding: gzip\r\n");
        assert!(gzipped.headers.contains(&vary) && gzipped.headers.contains(&gzip));
        let (body, _) = crate::gzip::inflate::gunzip(&gzipped.body).unwrap();
        assert!(body.starts_with(b"# HELP ") && body.len() > answer::MIN_GZIP_BODY);
        let refused = answer_with(&app, "GET /metrics HTTP/1.1", "Accept-Encoding: gzip;q=0\r\n");
        assert!(refused.body.starts_with(b"# HELP "));
        let small = answer_with(&app, "GET /-/healthy HTTP/1.1", "Accept-Encoding: gzip\r\n");
        assert!(small.headers.is_empty() && small.body == b"Healthy\n", "{small:?}");
    }

    #[test]
    fn probe_requests_are_checked_before_anything_is_probed() {
        let rule = crate::target::allow::Rule::parse("127.0.0.1:*").unwrap();
        let config = Config { allow: vec![rule], ..Config::default() };
        let targets = crate::config::load_setup(&config).unwrap();
        let app = app_of(config, targets);
        let unknown = check(&app, "GET /probe?target=127.0.0.1:13&module=nope HTTP/1.1", 400);
        let text = String::from_utf8(unknown.body).unwrap();
        assert!(text.contains("unknown module `nope`") && text.contains("daytime"), "{text}");
        check(&app, "GET /probe?module=daytime HTTP/1.1", 400);
        check(&app, "GET /probe?target=10.0.0.1:13&module=daytime HTTP/1.1", 403);
    }

    #[test]
    fn the_metrics_carry_the_exporters_own_families() {
        let app = app();
        let response = check(&app, "GET /metrics HTTP/1.1", 200);
        let body = String::from_utf8(response.body).unwrap();
        for name in [
            "probe_exporter_scrape_duration_seconds ",
            "probe_exporter_config_last_reload_successful 1",
            "probe_exporter_http_responses_total{code=\"200\"} ",
        ] {
            assert!(body.contains(&format!("\n{name}")), "no {name} in\n{body}");
        }
    }
}
