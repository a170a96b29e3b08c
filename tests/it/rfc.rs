//! The request-head rules of RFC 9110 and RFC 9112, against the real
//! binary: raw bytes on a loopback socket, and the status line back.
//!
//! The parser's unit tests cover each rule case by case; these check that
//! the server acts on them: a head the RFCs call bad gets its 400 and the
//! connection is closed, since where the next request would start is
//! unknown, and the exporter goes on serving everyone else.

use std::io::Write;
use std::net::TcpStream;

use crate::support::{assert_closed, exchange, read_response, Response, RunningExporter};

/// Sends `raw` on a new connection and reads one response; the connection
/// is returned for whatever the test does next. Its reads time out (see
/// `support::connect`), so a server that never answers fails the test.
fn send(exporter: &RunningExporter, raw: &str) -> (Response, TcpStream) {
    let mut stream = exporter.connect();
    let response = exchange(&mut stream, raw);
    (response, stream)
}

/// `raw` is answered 400 and its connection closed, and a new connection
/// is still served.
#[track_caller]
fn check_bad_request(exporter: &RunningExporter, raw: &str) {
    let (response, mut stream) = send(exporter, raw);
    assert_eq!(response.status, 400, "{raw:?}: {}", response.body);
    assert_closed(&mut stream);
    assert_eq!(exporter.get("/-/healthy").status, 200, "a new connection after {raw:?}");
}

#[test]
fn a_second_host_line_is_400() {
    // RFC 9112 section 3.2: "A server MUST respond with a 400 (Bad
    // Request) status code to any HTTP/1.1 request message that lacks a
    // Host header field and to any request message that contains more than
    // one Host header field line or a Host header field with an invalid
    // field value."
    let exporter = RunningExporter::start(&[]);
    check_bad_request(&exporter, "GET /-/healthy HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
    check_bad_request(&exporter, "GET /-/healthy HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n");
}

#[test]
fn a_host_that_is_not_host_and_port_is_400() {
    // RFC 9110 section 7.2: `Host = uri-host [ ":" port ]`.
    let exporter = RunningExporter::start(&[]);
    check_bad_request(&exporter, "GET /-/healthy HTTP/1.1\r\nHost: a b\r\n\r\n");
    check_bad_request(&exporter, "GET /-/healthy HTTP/1.1\r\nHost: user@a.test\r\n\r\n");
}

#[test]
fn a_transfer_encoding_not_ending_in_chunked_is_400_and_closes() {
    // RFC 9112 section 6.3: "If a Transfer-Encoding header field is present
    // in a request and the chunked transfer coding is not the final
    // encoding, the message body length cannot be determined reliably; the
    // server MUST respond with the 400 (Bad Request) status code and then
    // close the connection."
    let exporter = RunningExporter::start(&[]);
    let gzip = "GET /-/healthy HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\nabc";
    check_bad_request(&exporter, gzip);
    // Section 6.1 lets a server reject Transfer-Encoding with
    // Content-Length; this one does.
    let both =
        "GET /-/healthy HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc";
    check_bad_request(&exporter, both);
}

#[test]
fn targets_in_no_form_get_may_use_are_400_not_404() {
    // RFC 9112 section 3.2: GET has origin-form (`/metrics`) and
    // absolute-form (`http://a/metrics`); `*` "is only used for a
    // server-wide OPTIONS request" (§3.2.4), `host:port` "is only used for
    // CONNECT requests" (§3.2.3).
    let exporter = RunningExporter::start(&[]);
    // Decoded, this would be `/metrics`, and would be served.
    check_bad_request(&exporter, "GET %2Fmetrics HTTP/1.1\r\nHost: a\r\n\r\n");
    check_bad_request(&exporter, "GET * HTTP/1.1\r\nHost: a\r\n\r\n");
    check_bad_request(&exporter, "GET metrics HTTP/1.1\r\nHost: a\r\n\r\n");
    check_bad_request(&exporter, "GET a.test:443 HTTP/1.1\r\nHost: a\r\n\r\n");
    let (absolute, _) = send(&exporter, "GET http://a/-/healthy HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(absolute.status, 200, "{}", absolute.body);
}

#[test]
fn http_1_2_is_answered_as_http_1_1() {
    // RFC 9110 section 2.5: a recipient of a higher minor version "SHOULD
    // process the message as if it were in the highest minor version
    // within that major version to which the recipient is conformant".
    // So it is answered, and kept alive as HTTP/1.1 is.
    let exporter = RunningExporter::start(&[]);
    let request = "GET /-/healthy HTTP/1.2\r\nHost: a\r\n\r\n";
    let (first, mut stream) = send(&exporter, request);
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.header("Connection"), Some("keep-alive"));
    stream.write_all(request.as_bytes()).expect("write the second request");
    let second = read_response(&mut stream).expect("read the second response");
    assert_eq!(second.status, 200, "{}", second.body);
}
