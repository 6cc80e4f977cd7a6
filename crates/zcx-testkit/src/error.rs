//! Errors of the Xvfb fixture (the only fallible, non-panicking part of the testkit).

use std::path::PathBuf;

/// Why an [`crate::Xvfb`] could not be started.
#[derive(Debug, thiserror::Error)]
pub enum TestkitError {
    /// `Xvfb` is not on `PATH`.
    #[error(
        "Xvfb is not installed (not found on PATH); run `cargo xtask test`, which installs it"
    )]
    XvfbNotInstalled,
    /// Creating the `-displayfd` pipe or the log file failed.
    #[error("setting up Xvfb ({what}) failed: {source}")]
    Setup {
        /// What was being set up.
        what: &'static str,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Spawning the Xvfb process failed.
    #[error("spawning Xvfb failed: {0}")]
    Spawn(#[source] std::io::Error),
    /// Xvfb exited before it announced a display.
    #[error("Xvfb exited before announcing a display ({status}); log {log_path:?} ends with:\n{log_tail}")]
    Exited {
        /// The exit status as text.
        status: String,
        /// Where the full server log is.
        log_path: PathBuf,
        /// The last lines of the server log.
        log_tail: String,
    },
    /// Xvfb did not write a display number within the deadline.
    #[error(
        "Xvfb announced no display within {timeout_s} s; log {log_path:?} ends with:\n{log_tail}"
    )]
    Timeout {
        /// The deadline in seconds.
        timeout_s: u64,
        /// Where the full server log is.
        log_path: PathBuf,
        /// The last lines of the server log.
        log_tail: String,
    },
    /// Xvfb wrote something that is not a display number.
    #[error(
        "Xvfb wrote an unexpected display line {line:?}; log {log_path:?} ends with:\n{log_tail}"
    )]
    BadDisplay {
        /// What was read from the pipe.
        line: String,
        /// Where the full server log is.
        log_path: PathBuf,
        /// The last lines of the server log.
        log_tail: String,
    },
}
