//! Small test helpers: deadline polling, the CI flag, PATH look-ups, log tails,
//! exit statuses of bad command lines.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

/// Calls `f` until it returns `Some`, with a short exponential backoff (1 ms up to 50 ms).
///
/// Panics naming `what` when `timeout` passes first. Use this instead of fixed sleeps
/// whenever a test waits for the X server or another process.
pub fn poll_until<T>(timeout: Duration, what: &str, f: impl FnMut() -> Option<T>) -> T {
    poll_until_or_none(timeout, f)
        .unwrap_or_else(|| panic!("timed out after {timeout:?} waiting for {what}"))
}

/// Like [`poll_until`], but `None` instead of a panic when `timeout` passes.
pub fn poll_until_or_none<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    let mut backoff = Duration::from_millis(1);
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        let now = Instant::now();
        if now >= deadline {
            return None;
        }
        std::thread::sleep(backoff.min(deadline - now));
        backoff = (backoff * 2).min(Duration::from_millis(50));
    }
}

/// Whether this is a CI run (`CI=true`), where a DRI3 test that would skip must fail instead.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Whether an executable file called `name` is on `PATH`.
pub fn have_tool(name: &str) -> bool {
    find_on_path(name).is_some()
}

/// Panics naming the first of `tools` that is not on `PATH`: `cargo xtask deps` installs every
/// tool the tests run, so a missing one is a broken set-up, never a skip.
pub fn require_tools(tools: &[&str]) {
    if let Some(t) = tools.iter().find(|t| !have_tool(t)) {
        panic!("{t} is not installed (not found on PATH); `cargo xtask deps` installs it");
    }
}

/// The last `lines` lines of a log file (or why it could not be read).
pub(crate) fn file_tail(path: &Path, lines: usize) -> String {
    match std::fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        }
        Err(e) => format!("(log unreadable: {e})"),
    }
}

pub(crate) fn find_on_path(name: &str) -> Option<std::path::PathBuf> {
    if name.contains('/') {
        return is_executable(Path::new(name)).then(|| name.into());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    p.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Runs `binary` with each argument list in `cases`, without `DISPLAY` (so nothing can reach an
/// X server by accident), and asserts that each exits with `code`, showing its stderr when not.
pub fn expect_exit_status(binary: &str, cases: &[&[&str]], code: i32) {
    for args in cases {
        let out = std::process::Command::new(binary)
            .args(*args)
            .env_remove("DISPLAY")
            .output()
            .unwrap_or_else(|e| panic!("running {binary}: {e}"));
        assert_eq!(
            out.status.code(),
            Some(code),
            "{binary} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poll_until_returns_first_some() {
        let mut n = 0;
        let v = poll_until(Duration::from_secs(5), "a counter", || {
            n += 1;
            (n >= 3).then_some(n)
        });
        assert_eq!(v, 3);
    }

    #[test]
    #[should_panic(expected = "waiting for the impossible")]
    fn poll_until_panics_naming_what() {
        poll_until(Duration::from_millis(20), "the impossible", || None::<()>);
    }

    #[test]
    fn have_tool_finds_sh_and_not_nonsense() {
        assert!(have_tool("sh"));
        assert!(!have_tool("zcx-no-such-tool-here"));
    }

    #[test]
    #[should_panic(expected = "zcx-no-such-tool-here is not installed")]
    fn require_tools_panics_naming_the_missing_one() {
        require_tools(&["sh", "zcx-no-such-tool-here"]);
    }
}
