//! The configuration file: the parser answers for any text, and generated
//! files load the targets they name.

use probe_exporter::config::{self, ConfigError};

use crate::support::rng::{check_property, mutate, random_text, Rng, CASES};

const CONFIG_FILE: &str = include_str!("../../../dist/probe_exporter.conf");

/// Pieces of configuration lines, valid and not, to assemble files from.
const CONFIG_PIECES: &[&str] = &[
    "[target a]",
    "[target b.c-d_e]",
    "[probe]",
    "[target]",
    "[targets x]",
    "[target a",
    "kind = daytime",
    "kind = counter",
    "kind = gopher",
    "address = 127.0.0.1:13",
    "address = [::1]:1111",
    "address = host.example:0",
    "address = ::1:13",
    "timeout = 1s",
    "timeout = 0s",
    "timeout = 1.5ms",
    "timeout = -1s",
    "metric = service_requests",
    "metric = bad-name",
    "requests_field = requests",
    "launched_field = launched",
    "launched_offset = +01:00",
    "launched_offset = +24:00",
    "buckets = 0.1, 1, 10",
    "buckets = 1, 0.1",
    "buckets = NaN",
    "allow = 10.0.0.0/8",
    "allow = 127.0.0.1:13",
    "allow = 300.0.0.0/99",
    "# a comment",
    "",
    "   ",
    "=",
    "key",
];

#[test]
fn config_parser_answers_ok_or_err_for_any_text() {
    check_property("config::parse_file never panics", CASES, |rng| {
        let text = if rng.one_in(2) {
            let mut bytes = CONFIG_FILE.as_bytes().to_vec();
            mutate(rng, &mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        } else {
            let n_lines = rng.below(16);
            let mut lines: Vec<String> =
                (0..n_lines).map(|_| rng.pick(CONFIG_PIECES).to_string()).collect();
            if let Some(line) = lines.iter_mut().find(|_| rng.one_in(4)) {
                line.push_str(&random_text(rng, 8));
            }
            lines.join(rng.pick_str(&["\n", "\r\n"]))
        };
        if let Err(err) = config::parse_file(&text, "fuzz.conf") {
            let message = err.to_string();
            assert!(message.starts_with("fuzz.conf:"), "{message}");
            if let ConfigError::Line { line, .. } = err {
                assert!(line >= 1 && line <= text.lines().count(), "{message}");
            }
        }
    });
}

#[test]
fn generated_config_files_load_the_targets_they_name() {
    check_property("config: file -> targets", CASES, |rng| {
        let mut text = String::new();
        let mut expected = Vec::new();
        for idx in 0..rng.below(6) {
            let name = format!("{}{idx}", random_target_name(rng));
            let kind = rng.pick_str(&["daytime", "counter"]);
            let address = *rng.pick(&["127.0.0.1:13", "[::1]:1111", "clock.example:65535"]);
            let timeout_ms = rng.between(1, 60_000);
            let mut settings = vec![
                format!("kind = {kind}"),
                format!("address{}={}{address}", spaces(rng), spaces(rng)),
                format!("timeout = {timeout_ms}ms"),
            ];
            if kind == "counter" && rng.one_in(2) {
                settings.push("metric = app_requests".to_string());
            }
            // Settings may come in any order, with comments and blanks between.
            for idx in (1..settings.len()).rev() {
                settings.swap(idx, rng.below(idx + 1));
            }
            text.push_str(&format!("{}[target {name}]\n", spaces(rng)));
            for setting in settings {
                text.push_str(rng.pick_str(&["", "\n", "# note\n", "  \t\n"]));
                text.push_str(&format!("{}{setting}{}\n", spaces(rng), spaces(rng)));
            }
            expected.push((name, kind, address.to_string(), timeout_ms));
        }
        let file =
            config::parse_file(&text, "gen.conf").unwrap_or_else(|err| panic!("{err} in\n{text}"));
        let loaded: Vec<_> = file
            .targets
            .iter()
            .map(|t| {
                let timeout_ms = t.timeout.as_millis() as u32;
                (t.name.clone(), t.kind.name(), t.address.to_string(), timeout_ms)
            })
            .collect();
        assert_eq!(loaded, expected, "in\n{text}");
    });
}

fn random_target_name(rng: &mut Rng) -> String {
    const NAME_BYTES: &[u8] = b"abcxyzABCXYZ0189_.-";
    let len = 1 + rng.below(10);
    (0..len).map(|_| char::from(*rng.pick(NAME_BYTES))).collect()
}

fn spaces(rng: &mut Rng) -> &'static str {
    rng.pick_str(&["", " ", "  ", "\t"])
}
