//! Why the IPC experiment could not run, and which of those are refusals (exit status 2).

use std::time::Duration;

use thiserror::Error;

/// Why the experiment could not run.
#[derive(Debug, Error)]
pub enum IpcError {
    #[error("{0}: {1}")]
    Os(&'static str, #[source] nix::Error),
    #[error("{0}: {1}")]
    Io(&'static str, #[source] std::io::Error),
    #[error("shared buffer: {0}")]
    Shm(#[from] zcx_x11::shm::ShmError),
    #[error("the peer process went away in the middle of a frame")]
    PeerGone,
    #[error("the peer process did not answer within {} s", .0.as_secs())]
    PeerTimeout(Duration),
    #[error("the peer process failed: {0}")]
    PeerFailed(String),
    #[error("frame {frame} arrived damaged (stamp {found:?} at the {end})")]
    BadFrame {
        frame: u64,
        found: u64,
        end: &'static str,
    },
    #[error("the peer's report is unreadable: {0}")]
    Report(#[source] serde_json::Error),
    #[error(
        "unknown method {0:?}: expected socket-<size> (512, 4k, 64k, 1m, …), \
         socket-write-<size> or memfd"
    )]
    UnknownMethod(String),
    #[error("the peer received {received} frames, {sent} were sent")]
    FrameCount { sent: u64, received: u64 },
    #[error("a frame needs at least 16 bytes (two 8-byte stamps), got {0}")]
    FrameTooSmall(usize),
}

impl IpcError {
    /// Whether the options asked for something impossible (an unknown method, a frame too
    /// small for its stamps): `zcx` exits with status 2 for these.
    pub fn is_refusal(&self) -> bool {
        matches!(self, Self::UnknownMethod(_) | Self::FrameTooSmall(_))
    }

    pub(super) fn os(what: &'static str, e: nix::Error) -> IpcError {
        IpcError::Os(what, e)
    }
}
