//! `Accept-Encoding` → whether to answer with gzip (RFC 9110 section
//! 12.5.3).
//!
//! The header lists content codings with optional weights:
//! `gzip, deflate;q=0.5, *;q=0`, in one line or several. A coding is acceptable when its weight,
//! or failing a mention of it, the weight of `*`, is above zero; `x-gzip`
//! is the same coding as `gzip` (RFC 9110 section 8.4.1.3). The answer is
//! gzip when gzip is acceptable and the client does not weigh `identity`
//! (no coding) higher; a request without the header, or with `identity`
//! alone, gets the plain body. Sans-IO: a string in, a yes or no out.

/// Whether a request whose `Accept-Encoding` lines are `lines` gets gzip.
pub fn accepts_gzip<'a>(lines: impl IntoIterator<Item = &'a str>) -> bool {
    let (mut gzip, mut any, mut identity) = (None, None, None);
    for element in lines.into_iter().flat_map(|line| line.split(',')) {
        let mut parts = element.split(';');
        let coding = parts.next().unwrap_or_default().trim();
        let Some(weight) = weight(parts) else { continue };
        let is = |name: &str| coding.eq_ignore_ascii_case(name);
        let slot = if is("gzip") || is("x-gzip") {
            &mut gzip
        } else if coding == "*" {
            &mut any
        } else if is("identity") {
            &mut identity
        } else {
            continue;
        };
        // A coding listed twice keeps its first weight.
        slot.get_or_insert(weight);
    }
    let gzip = gzip.or(any).unwrap_or(0);
    gzip > 0 && gzip >= identity.unwrap_or(0)
}

/// The weight of an element from the parameters after its coding, in
/// thousandths: 1000 without a `q`, `None` when `q` is not a valid
/// qvalue (the element is then ignored, as if it were not there).
fn weight<'a>(parameters: impl Iterator<Item = &'a str>) -> Option<u16> {
    let mut weight = 1000;
    for parameter in parameters {
        let (name, value) = parameter.split_once('=')?;
        if name.trim().eq_ignore_ascii_case("q") {
            weight = qvalue(value.trim())?;
        }
    }
    Some(weight)
}

/// A qvalue (RFC 9110 section 12.4.2): `0` or `1`, with up to three
/// decimals, `1` only with zeros after the point; in thousandths.
fn qvalue(text: &str) -> Option<u16> {
    let (whole, decimals) = text.split_once('.').unwrap_or((text, ""));
    if decimals.len() > 3 || !decimals.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = decimals.bytes().chain(std::iter::repeat(b'0')).take(3);
    let fraction = thousandths.fold(0, |sum, digit| sum * 10 + u16::from(digit - b'0'));
    match whole {
        "0" => Some(fraction),
        "1" if fraction == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(header: &str, expected: bool) {
        assert_eq!(accepts_gzip([header]), expected, "Accept-Encoding: {header}");
    }

    #[test]
    fn what_prometheus_and_browsers_send_accepts_gzip() {
        check("gzip", true);
        check("gzip, deflate, br", true);
        check("deflate, gzip;q=1.0, *;q=0.5", true);
        check("GZIP", true);
        check("x-gzip", true);
        check(" br ; q=0.9 , gzip ; q=0.1 ", true);
    }

    #[test]
    fn a_wildcard_accepts_gzip_unless_gzip_is_refused_by_name() {
        check("*", true);
        check("*;q=0.1", true);
        check("gzip;q=0, *", false);
        check("*, gzip;q=0", false);
        check("*;q=0", false);
    }

    #[test]
    fn no_header_identity_alone_or_a_zero_weight_is_plain() {
        assert!(!accepts_gzip([]));
        check("", false);
        check("identity", false);
        check("deflate, br", false);
        check("gzip;q=0", false);
        check("gzip;q=0.000", false);
        check("gzip; q=0.0", false);
    }

    #[test]
    fn identity_weighed_higher_than_gzip_wins() {
        check("gzip;q=0.5, identity", false);
        check("gzip;q=0.5, identity;q=0.4", true);
        check("gzip, identity;q=1", true);
        check("identity;q=0, gzip;q=0.001", true);
    }

    #[test]
    fn a_malformed_weight_ignores_its_element() {
        check("gzip;q=2", false);
        check("gzip;q=1.5", false);
        check("gzip;q=0.1234", false);
        check("gzip;q=abc", false);
        check("gzip;q=", false);
        check("gzip;q", false);
        check("gzip;q=-0", false);
        check("gzip;q=2, *", true);
        // Other parameters are no reason to refuse.
        check("gzip;level=9", true);
    }

    #[test]
    fn several_lines_are_one_list() {
        assert!(accepts_gzip(["br", "gzip"]));
        assert!(!accepts_gzip(["gzip;q=0", "*"]));
        assert!(!accepts_gzip(["", "identity"]));
    }

    #[test]
    fn qvalues_in_thousandths() {
        assert_eq!(qvalue("1"), Some(1000));
        assert_eq!(qvalue("1.000"), Some(1000));
        assert_eq!(qvalue("1.001"), None);
        assert_eq!(qvalue("0.5"), Some(500));
        assert_eq!(qvalue("0.25"), Some(250));
        assert_eq!(qvalue("0."), Some(0));
        assert_eq!(qvalue(".5"), None);
    }
}
