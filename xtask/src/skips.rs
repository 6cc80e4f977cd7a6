//! The skip log of `cargo xtask test`: a file under the target dir that every test appends its
//! `skipped:` line to (zcx-testkit's `skipped`, through `ZCX_SKIP_LOG`), cleared before the
//! tests and listed after them, so that no skip hides in captured test output.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Where the tests of one `cargo xtask test` write their skips.
pub fn log_path(target_dir: &Path) -> PathBuf {
    target_dir.join("zcx-skips.log")
}

/// Removes the previous run's log.
pub fn clear(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("removing the old skip log {}", path.display()))
        }
        _ => Ok(()),
    }
}

/// The skip list as printed: a header and one indented line per skip, sorted.
pub fn render(log: &str) -> String {
    let mut lines: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
    lines.sort_unstable();
    if lines.is_empty() {
        return "==> skipped tests: none".to_owned();
    }
    let mut out = format!(
        "==> skipped tests: {} (what this machine lacks; see zcx_testkit::Lacks)",
        lines.len()
    );
    for line in lines {
        out.push_str("\n    ");
        out.push_str(line);
    }
    out
}

/// Prints the skip list of the run that wrote `path` (none when it wrote no file).
pub fn print(path: &Path) -> Result<()> {
    let log = match std::fs::read_to_string(path) {
        Ok(log) => log,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    eprintln!("{}", render(&log));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_sorts_the_skips_and_says_when_there_are_none() {
        assert_eq!(render(""), "==> skipped tests: none");
        let out = render("b.rs t2: skipped: x: y\n\na.rs t1: skipped: z: w\n");
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].starts_with("==> skipped tests: 2 "), "{out}");
        assert_eq!(
            &lines[1..],
            ["    a.rs t1: skipped: z: w", "    b.rs t2: skipped: x: y"]
        );
    }
}
