//! The command line and the configuration file, through the real binary.
//!
//! A mistake must stop the exporter before it listens: exit status 2 and
//! one line on standard error that names the flag, or the file and line,
//! so that a typo never becomes a silently ignored setting. Every run is
//! given a timeout, so an exporter that started serving fails the test.

use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;

use crate::support::{ExporterCommand, TempFile};

/// A process that exits by itself does so well within this.
const EXIT_WITHIN: Duration = Duration::from_secs(10);

/// Runs the binary with `args`, which must make it exit with `code` by
/// itself; one still running at the timeout is killed, has no exit code,
/// and fails the test.
fn run(args: &[&str], code: i32) -> Output {
    let mut command = Command::cargo_bin("probe_exporter").expect("the binary is built");
    let assert = command.args(args).timeout(EXIT_WITHIN).assert().code(code);
    assert.get_output().clone()
}

/// Checks that `args` (after a listen address) exit with status 2, on
/// one line that starts with `start` and mentions each of `mentions`;
/// returns the line.
#[track_caller]
fn check_rejected(args: &[&str], start: &str, mentions: &[&str]) -> String {
    let mut all_args = vec!["--web.listen-address", "127.0.0.1:0"];
    all_args.extend_from_slice(args);
    let output = run(&all_args, 2);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.ends_with('\n') && stderr.lines().count() == 1, "{args:?}:\n{stderr}");
    assert!(stderr.starts_with(start), "{args:?}: expected `{start}...`, got:\n{stderr}");
    for mention in mentions {
        assert!(stderr.contains(mention), "{args:?}: `{mention}` is not in:\n{stderr}");
    }
    assert!(!stderr.contains("listening"), "{args:?}:\n{stderr}");
    assert!(output.stdout.is_empty(), "{args:?}");
    stderr.into_owned()
}

#[test]
fn help_prints_the_usage() {
    let output = run(&["--help"], 0);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("Usage:"), "{stdout}");
    assert!(stdout.contains("--target NAME=KIND://HOST:PORT"), "{stdout}");
    assert!(stdout.contains("--config.file"), "{stdout}");
}

#[test]
fn version_prints_the_version_in_the_prometheus_shape() {
    let output = run(&["--version"], 0);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut lines = stdout.lines();
    let first = lines.next().unwrap_or_default();
    let expected_start = format!("probe_exporter, version {} (branch: ", env!("CARGO_PKG_VERSION"));
    assert!(first.starts_with(&expected_start), "{stdout}");
    assert!(first.contains(", revision: ") && first.ends_with(')'), "{stdout}");
    // Labels after two spaces, values in one column, as prometheus/common's
    // version.Print writes them.
    let rest: Vec<&str> = lines.collect();
    let labels: Vec<&str> =
        rest.iter().filter_map(|line| line.strip_prefix("  ")?.split(':').next()).collect();
    assert_eq!(labels, ["build date", "rust version", "platform"], "{stdout}");
    let columns: Vec<usize> = rest
        .iter()
        .map(|line| {
            line.len() - line.split(':').skip(1).collect::<Vec<_>>().join(":").trim_start().len()
        })
        .collect();
    assert!(columns.windows(2).all(|pair| pair[0] == pair[1]), "{stdout}");
    assert!(rest[1].contains("rustc "), "{stdout}");
    assert!(
        rest[2].trim_end().ends_with(&format!(
            "{}/{}",
            std::env::consts::OS,
            std::env::consts::ARCH
        )),
        "{stdout}"
    );
}

#[test]
fn config_check_prints_what_would_be_probed_and_exits() {
    let config = TempFile::new(
        "[target clock]\nkind = daytime\naddress = 127.0.0.1:13\n\n[probe]\nallow = 10.0.0.0/8\n",
    );
    let output = run(&["--config.file", config.path(), "--config.check"], 0);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("target clock: daytime 127.0.0.1:13"), "{stdout}");
    assert!(stdout.contains("10.0.0.0/8"), "{stdout}");
    assert!(!String::from_utf8_lossy(&output.stderr).contains("listening"));

    let broken = TempFile::new("[target clock]\nkind = daytime\naddres = 127.0.0.1:13\n");
    let output = run(&["--config.file", broken.path(), "--config.check"], 2);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with(&format!("probe_exporter: {}:3: ", broken.path())), "{stderr}");
}

#[test]
fn an_unknown_flag_is_named() {
    check_rejected(&["--no-such-flag"], "probe_exporter: flag --no-such-flag: ", &[]);
    check_rejected(
        &["--web.listen-adress=127.0.0.1:0"],
        "probe_exporter: flag --web.listen-adress: ",
        &[],
    );
}

#[test]
fn a_bad_value_names_its_flag() {
    check_rejected(
        &["--web.max-connections=0"],
        "probe_exporter: flag --web.max-connections: ",
        &["`0`"],
    );
    check_rejected(
        &["--web.read-timeout", "soon"],
        "probe_exporter: flag --web.read-timeout: ",
        &["`soon`"],
    );
    check_rejected(&["--log.level", "loud"], "probe_exporter: flag --log.level: ", &["`loud`"]);
    check_rejected(
        &["--target", "clock=ntp://127.0.0.1:13"],
        "probe_exporter: flag --target: ",
        &["`ntp`"],
    );
    check_rejected(&["--web.read-timeout"], "probe_exporter: flag --web.read-timeout: ", &[]);
    // `/-/reload` answers GET with 405: metrics there could never be read.
    check_rejected(
        &["--web.telemetry-path", "/-/reload"],
        "probe_exporter: flag --web.telemetry-path: ",
        &["`/-/reload`"],
    );
    // A malformed listen address is a flag mistake that `--config.check`
    // finds, not a failure to bind once the check has passed.
    check_rejected(
        &["--web.listen-address", "127.0.0.1:99999", "--config.check"],
        "probe_exporter: flag --web.listen-address: ",
        &["`127.0.0.1:99999`"],
    );
}

#[test]
fn an_unknown_key_in_the_file_names_the_file_and_line() {
    let config = TempFile::new(
        "# A target with a typo.\n[target clock]\nkind = daytime\ntimeuot = 2s\naddress = 127.0.0.1:13\n",
    );
    check_rejected(
        &["--config.file", config.path()],
        &format!("probe_exporter: {}:4: ", config.path()),
        &["`timeuot`"],
    );
}

#[test]
fn a_native_schema_out_of_range_names_the_file_and_line() {
    let config = TempFile::new(
        "[target clock]\nkind = daytime\naddress = 127.0.0.1:13\nnative_buckets = 9\n",
    );
    check_rejected(
        &["--config.file", config.path()],
        &format!("probe_exporter: {}:4: ", config.path()),
        &["native schema `9`", "-4 to 4"],
    );
}

#[test]
fn a_target_name_in_both_a_flag_and_the_file_is_an_error() {
    let config = TempFile::new("[target clock]\nkind = daytime\naddress = 127.0.0.1:13\n");
    let args = ["--config.file", config.path(), "--target", "clock=daytime://127.0.0.1:1113"];
    let stderr = check_rejected(&args, "probe_exporter: ", &["`clock`", "twice"]);
    // The line names where the clash is: the flag, or the file and line.
    let in_file = format!("probe_exporter: {}:", config.path());
    assert!(
        stderr.starts_with("probe_exporter: flag --target: ") || stderr.starts_with(&in_file),
        "{stderr}"
    );
}

#[test]
fn a_config_file_that_is_not_a_small_regular_file_is_refused() {
    // A 2 MiB comment is valid text, but no configuration is that large:
    // it is some other file named by mistake, and reading it whole could
    // exhaust memory.
    let huge = TempFile::new(&format!("# {}\n", "x".repeat(2 << 20)));
    check_rejected(
        &["--config.file", huge.path(), "--config.check"],
        &format!("probe_exporter: cannot read {}: ", huge.path()),
        &["larger than"],
    );
    // Cut at the cap in the middle of a character, it is still too large,
    // not text that is not UTF-8.
    let huge_accented = TempFile::new(&format!("# {}\n", "é".repeat(1 << 20)));
    check_rejected(
        &["--config.file", huge_accented.path(), "--config.check"],
        &format!("probe_exporter: cannot read {}: ", huge_accented.path()),
        &["larger than"],
    );
    let binary = TempFile::new("");
    std::fs::write(binary.path(), b"\xff\xfe[target a]\n").expect("write the file");
    check_rejected(
        &["--config.file", binary.path(), "--config.check"],
        &format!("probe_exporter: cannot read {}: ", binary.path()),
        &["not UTF-8 text"],
    );
    // A FIFO without a writer would block the open, and so the start or a
    // reload, forever.
    let fifo = std::env::temp_dir().join(format!("probe_exporter-it-{}.fifo", std::process::id()));
    let fifo = fifo.to_str().expect("the temporary directory has a UTF-8 path");
    let made = std::process::Command::new("mkfifo").arg(fifo).status().expect("run mkfifo");
    assert!(made.success(), "mkfifo {fifo}");
    let result = std::panic::catch_unwind(|| {
        check_rejected(
            &["--config.file", fifo, "--config.check"],
            &format!("probe_exporter: cannot read {fifo}: "),
            &["not a regular file"],
        )
    });
    let _ = std::fs::remove_file(fifo);
    assert!(result.is_ok(), "a FIFO as the configuration file");
}

#[test]
fn config_check_into_a_pipe_closed_early_exits_quietly() {
    // More lines than a pipe holds, read by a reader that stops after the
    // first, as `--config.check | head -1` does.
    let sections: String = (0..3000)
        .map(|idx| format!("[target t{idx}]\nkind = daytime\naddress = 127.0.0.1:13\n"))
        .collect();
    let config = TempFile::new(&sections);
    let mut process = ExporterCommand::exactly(&["--config.file", config.path(), "--config.check"])
        .capture_stdout()
        .spawn();
    let mut first_line = String::new();
    let stdout = process.take_stdout();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut first_line)
        .expect("read the first line");
    assert!(first_line.starts_with("configuration is valid"), "{first_line}");
    // The reader is gone now; the exporter must neither panic nor fail.
    let status = process.wait_exit(EXIT_WITHIN).expect("exits after its reader went away");
    let stderr = process.log().to_end(EXIT_WITHIN).join("\n");
    assert!(status.success(), "{status}: {stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}
