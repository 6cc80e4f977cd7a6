//! The `skipped: <reason>` convention: the closed set of things a machine can really lack
//! ([`Lacks`]), the one way a test says it cannot run ([`skipped`]), and the skip log that
//! `cargo xtask test` lists at the end ([`SKIP_LOG_ENV`]).
//!
//! Anything else that keeps a test from setting up (Xvfb failing to start, a tool that
//! `cargo xtask deps` installs being missing) is a failure: the test panics with the cause.

use std::io::Write;

/// The environment variable naming the file every skip is appended to (one line each);
/// `cargo xtask test` sets it and prints that file after the tests.
pub const SKIP_LOG_ENV: &str = "ZCX_SKIP_LOG";

/// What this machine lacks, so that a test cannot run here. Closed on purpose: a new reason
/// is a decision about what the project cannot test, not a way around a failing set-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lacks {
    /// A DRI3 X server: the qemu guest that provides one cannot run (no qemu, or no guest
    /// image and no way to build it). Under `CI=true` this is a failure, not a skip.
    Dri3Server,
    /// EGL pixmap images (`EGL_KHR_image_pixmap`), which only a DRI3 (GPU) X server's EGL
    /// offers; Xvfb's software EGL never does.
    EglPixmapImages,
    /// Too little memory for the check to bite: the test needs a machine on which the largest
    /// frames the command line accepts do not fit.
    MemoryShortage,
}

impl Lacks {
    /// The reason as printed after `skipped: `.
    pub fn describe(self) -> &'static str {
        match self {
            Lacks::Dri3Server => "no DRI3 X server",
            Lacks::EglPixmapImages => "no EGL pixmap images (a DRI3 X server's EGL)",
            Lacks::MemoryShortage => "too much memory to run out of",
        }
    }

    /// Whether CI must have it: there a skip for this reason fails the test.
    pub fn required_in_ci(self) -> bool {
        matches!(self, Lacks::Dri3Server)
    }
}

impl std::fmt::Display for Lacks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.describe())
    }
}

/// Prints exactly `skipped: <reason>: <detail>` to stdout and stderr and appends it, with the
/// test's file and name, to the skip log when [`SKIP_LOG_ENV`] names one.
///
/// A test that cannot run on this machine calls this and returns; it never passes silently.
/// Under `CI=true` a reason that CI must have ([`Lacks::required_in_ci`]) panics instead.
#[track_caller]
pub fn skipped(lacks: Lacks, detail: &str) {
    let line = format!("skipped: {lacks}: {detail}");
    if lacks.required_in_ci() && crate::in_ci() {
        panic!("{line} (CI=true: this must run in CI)");
    }
    println!("{line}");
    eprintln!("{line}");
    let caller = std::panic::Location::caller();
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("?");
    append_to_log(&format!("{} {test}: {line}", caller.file()));
}

/// Appends one line to the skip log, if there is one; a log that cannot be written fails the
/// test (the skip would otherwise go unlisted).
fn append_to_log(line: &str) {
    let Some(path) = std::env::var_os(SKIP_LOG_ENV) else {
        return;
    };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("opening the skip log {path:?}: {e}"));
    // One write of one short line: appends from parallel test processes do not interleave.
    file.write_all(format!("{line}\n").as_bytes())
        .unwrap_or_else(|e| panic!("writing the skip log {path:?}: {e}"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_dri3_server_is_required_in_ci() {
        assert!(Lacks::Dri3Server.required_in_ci());
        assert!(!Lacks::EglPixmapImages.required_in_ci());
        assert!(!Lacks::MemoryShortage.required_in_ci());
    }
}
