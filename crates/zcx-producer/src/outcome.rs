//! What a run ends with: why the producer stopped ([`Ending`]) and the per-mode summaries
//! ([`Outcome`]), made by the frame loop and read by the binary for its exit status.

use crate::stats::Summary;

/// Why the producer stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// `--frames` reached, `q`, WM_DELETE_WINDOW, SIGINT or SIGTERM.
    Finished,
    /// Another client destroyed the window.
    WindowDestroyed,
}

/// Everything the run produced.
#[derive(Debug)]
pub struct Outcome {
    pub ending: Ending,
    pub summaries: Vec<Summary>,
}
