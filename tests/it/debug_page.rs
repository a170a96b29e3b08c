//! `/probe?…&debug=true`: the reply that was read, escaped and capped, and
//! every setting of the module, as blackbox_exporter's debug output shows
//! the lines it read and the module's configuration.

use crate::support::{Fixture, Response, RunningExporter, TempFile, DAYTIME_LINE};

/// The most bytes of a reply the page shows (`trace::SHOWN_REPLY`).
const SHOWN_REPLY: usize = 1024;

/// Probes `fixture` with module `name`, defined by `module` (its settings
/// under `[module NAME]`), and returns the debug page.
fn debug_probe(fixture: &Fixture, name: &str, module: &str) -> (Response, TempFile) {
    let config = TempFile::new(&format!("[module {name}]\n{module}"));
    let allow = fixture.addr.to_string();
    let exporter =
        RunningExporter::start(&["--config.file", config.path(), "--probe.allow", &allow]);
    let page = exporter.get(&format!("/probe?target={allow}&module={name}&debug=true"));
    assert_eq!(page.status, 200, "{}", page.body);
    (page, config)
}

/// The line of the page's log whose message is `msg`.
#[track_caller]
fn log_line<'a>(page: &'a Response, msg: &str) -> &'a str {
    let wanted = format!("msg=\"{msg}\"");
    let line = page.body.lines().find(|line| line.contains(&wanted));
    line.unwrap_or_else(|| panic!("no {wanted} in\n{}", page.body))
}

/// Everything after the "Module configuration:" heading.
#[track_caller]
fn module_section(page: &Response) -> &str {
    let (_, section) = page.body.split_once("\nModule configuration:\n").expect(&page.body);
    section
}

#[test]
fn a_daytime_line_that_is_no_date_is_shown_with_the_settings_that_refused_it() {
    let fixture = Fixture::replying(b"hello world\r\n");
    let settings = "kind = daytime\ntimeout = 2s\ndaytime_zone = +01:00\nexpect = date\n";
    let (page, _config) = debug_probe(&fixture, "clock", settings);
    let read = log_line(&page, "Read the reply");
    assert!(read.contains(r#" bytes=13 reply="hello world\r\n" "#), "{read}");
    let failed = log_line(&page, "Probe failed");
    assert!(failed.contains("not a date in any known daytime format"), "{failed}");
    // The section is the module as the file writes it, every key there.
    assert_eq!(module_section(&page), format!("[module clock]\n{settings}"));
}

#[test]
fn a_daytime_module_shows_its_defaults_too() {
    let fixture = Fixture::replying(DAYTIME_LINE);
    let (page, _config) = debug_probe(&fixture, "plain", "kind = daytime\n");
    let read = log_line(&page, "Read the reply");
    assert!(read.contains(r#" reply="Sat Oct 31 18:15:12 2020\r\n" "#), "{read}");
    assert_eq!(
        module_section(&page),
        "[module plain]\nkind = daytime\ntimeout = 5s\ndaytime_zone = +00:00\nexpect = line\n"
    );
}

#[test]
fn a_long_counter_reply_is_shown_to_the_cap_with_its_length() {
    // A valid reply, but its count is no whole number, behind a long
    // field: the page shows the start, cut, and the whole length.
    let padding = "p".repeat(3000);
    let reply = format!(r#"{{"padding": "{padding}", "requests": 2.5}}"#);
    let fixture = Fixture::replying(reply.clone());
    let settings = "kind = counter\ntimeout = 3s\nlaunched_field = none\n";
    let (page, _config) = debug_probe(&fixture, "app", settings);
    let read = log_line(&page, "Read the reply");
    let shown = format!(r#"{}…"#, reply[..SHOWN_REPLY].replace('"', "\\\""));
    assert!(read.contains(&format!(" bytes={} reply=\"{shown}\" ", reply.len())), "{read}");
    let failed = log_line(&page, "Probe failed");
    assert!(failed.contains("is 2.5, not a whole number"), "{failed}");
    assert_eq!(
        module_section(&page),
        "[module app]\nkind = counter\ntimeout = 3s\nmetric = service_requests\n\
         requests_field = requests\nlaunched_field = none\nlaunched_offset = +00:00\n"
    );
}
