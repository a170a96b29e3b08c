//! HTTP request heads: the parser answers for any bytes, and a head is
//! partial until its last byte.

use probe_exporter::http::{self, Parsed};

use crate::support::rng::{check_property, hostile_input, random_bytes, CASES};

/// Valid request heads, one each.
const HTTP_HEADS: &[&[u8]] = &[
    b"GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET / HTTP/1.0\r\n\r\n",
    b"HEAD /-/healthy HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    b"GET /probe?target=127.0.0.1%3A13&module=daytime HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET http://a:10013/metrics?x=1+2 HTTP/1.1\r\nHost: a\r\nAccept: text/plain\r\n\r\n",
    b"POST /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n",
    b"GET /metrics HTTP/1.1\nHost: a\nX-Prometheus-Scrape-Timeout-Seconds: 10\n\n",
];

#[test]
fn http_parser_answers_ok_or_err_for_any_bytes() {
    let mut valid_inputs = HTTP_HEADS.to_vec();
    let pipelined = [HTTP_HEADS[0], HTTP_HEADS[2]].concat();
    valid_inputs.push(&pipelined);
    check_property("http::parse_request never panics", CASES, |rng| {
        let input = hostile_input(rng, &valid_inputs);
        match http::parse_request(&input) {
            Ok(Parsed::Complete(_, used)) => {
                assert!(used <= input.len(), "used {used} of {} bytes", input.len());
                assert_eq!(input[used - 1], b'\n', "a head ends with a line feed");
                // The head alone is the same request: nothing after it counted.
                let head_alone = http::parse_request(&input[..used]);
                assert!(matches!(head_alone, Ok(Parsed::Complete(_, n)) if n == used));
            }
            Ok(Parsed::Partial) => {}
            Err(err) => assert!((400..600).contains(&err.status().0), "{err:?}"),
        }
    });
}

#[test]
fn http_heads_are_partial_until_their_last_byte_whatever_follows() {
    check_property("http::parse_request: prefixes and followers", CASES, |rng| {
        let head = *rng.pick(HTTP_HEADS);
        // Incomplete input is not invalid: every proper prefix asks for more.
        let cut = rng.below(head.len());
        assert_eq!(http::parse_request(&head[..cut]), Ok(Parsed::Partial), "{cut} bytes");
        // A whole head is complete, and what follows it (the next pipelined
        // request, or garbage) changes nothing about it.
        let mut input = head.to_vec();
        input.extend(random_bytes(rng, 64));
        let Ok(Parsed::Complete(request, used)) = http::parse_request(&input) else {
            panic!("{:?} is not complete", String::from_utf8_lossy(&input));
        };
        assert_eq!(used, head.len());
        assert_eq!(http::parse_request(head), Ok(Parsed::Complete(request, used)));
    });
}
