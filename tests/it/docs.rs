//! The maps must be true: every source file that README.md,
//! ARCHITECTURE.md and docs/limits.md name exists, so a file moved or renamed without its map
//! fails here instead of sending a reader to nothing.

use std::path::Path;

/// The crate's root, where README.md and `src/` are.
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Every `….rs` or `…/` path written in backquotes in `text`, such as
/// `src/scrape/round.rs` or `server/`, with any `:line` or `#anchor` cut.
fn named_paths(text: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for (index, quoted) in text.split('`').enumerate() {
        // Odd pieces lie between a pair of backquotes.
        if index % 2 == 0 {
            continue;
        }
        let Some(word) = quoted.split_whitespace().next() else { continue };
        let path = word.split([':', '#']).next().unwrap_or(word);
        let looks_like_a_path = path.ends_with(".rs")
            || (path.ends_with('/') && path.len() > 1 && !path.contains("//"));
        let is_plain = path.chars().all(|c| c.is_ascii_alphanumeric() || "/_.-".contains(c));
        if looks_like_a_path && is_plain && !path.starts_with('/') {
            paths.push(path.to_string());
        }
    }
    paths
}

/// Every file and folder of the project's own, as paths from the root
/// (`src/scrape/mod.rs`, `src/scrape/`).
fn project_paths() -> Vec<String> {
    let mut paths: Vec<String> = std::fs::read_dir(ROOT)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut folders: Vec<String> =
        ["src", "tests", "benches", "scripts", "dist", "docs", ".ci"].map(String::from).to_vec();
    while let Some(folder) = folders.pop() {
        paths.push(format!("{folder}/"));
        for entry in std::fs::read_dir(Path::new(ROOT).join(&folder)).unwrap() {
            let entry = entry.unwrap();
            let path = format!("{folder}/{}", entry.file_name().to_string_lossy());
            if entry.file_type().unwrap().is_dir() {
                folders.push(path);
            } else {
                paths.push(path);
            }
        }
    }
    paths
}

/// Whether a named path is one of the project's: as written from the
/// root, or as the end of one, since maps name files from the folder they
/// are in (`server/connection.rs`, or `mod.rs` in a list of `server/`).
fn exists(path: &str, project: &[String]) -> bool {
    let tail = format!("/{path}");
    project.iter().any(|known| known == path || known.ends_with(&tail))
}

#[track_caller]
fn check_map(file: &str) {
    let text = std::fs::read_to_string(Path::new(ROOT).join(file)).unwrap();
    let project = project_paths();
    let missing: Vec<String> =
        named_paths(&text).into_iter().filter(|path| !exists(path, &project)).collect();
    assert!(missing.is_empty(), "{file} names files that do not exist: {missing:?}");
}

#[test]
fn the_paths_quoted_in_a_text_are_found() {
    let text = "see `src/scrape/mod.rs` and `server/`, `src/a.rs:12`, not `/metrics` nor `x y`";
    assert_eq!(named_paths(text), ["src/scrape/mod.rs", "server/", "src/a.rs"]);
}

#[test]
fn readme_names_only_files_that_exist() {
    check_map("README.md");
}

#[test]
fn architecture_names_only_files_that_exist() {
    check_map("ARCHITECTURE.md");
}

#[test]
fn the_limits_page_names_only_files_that_exist() {
    check_map("docs/limits.md");
}
