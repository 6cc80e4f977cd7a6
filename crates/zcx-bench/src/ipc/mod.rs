//! `zcx ipc`: the classic experiment without X. One frame at a time goes from this process to a
//! peer process (a re-exec of `zcx` with a hidden subcommand), either through a UNIX socketpair
//! whose kernel buffer is set to a size and that is written and read in pieces of that size (the
//! seed's "512b buffer"), or through a sealed memfd both map, with eventfd notification both
//! ways. Per method: the socket buffer asked for and what the kernel made of it, time per frame
//! (steady state), context switches, CPU and page faults per frame of each process, with the
//! first (warm-up) frames reported apart.
//!
//! Both consumers do the same work once a frame has arrived (check the frame number at both
//! ends, then read every byte once), so the difference is the transport alone.

mod method;
mod os;
mod parent;
mod peer;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::stats::Percentiles;

pub use method::IpcMethod;
pub use os::Usage;
pub use parent::{run_method, run_method_observed};
pub use peer::{run_peer, PeerArgs};

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
    #[error("the peer process did not answer within {} s", os::PEER_TIMEOUT.as_secs())]
    PeerTimeout,
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

    fn os(what: &'static str, e: nix::Error) -> IpcError {
        IpcError::Os(what, e)
    }
}

/// What to run: frame size and counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpcConfig {
    pub frame_bytes: usize,
    /// Measured frames (steady state), at most.
    pub frames: u64,
    /// Frames before the measured ones, reported apart (first-touch faults land here).
    pub warmup: u64,
    /// Stop measuring once this much time went by, after at least [`MIN_MEASURED_FRAMES`]
    /// (a 4K frame through a 512-byte buffer takes most of a second).
    pub budget: Option<Duration>,
}

/// The fewest measured frames a time budget may stop at.
pub const MIN_MEASURED_FRAMES: u64 = 3;

/// The two instants [`run_method_observed`] calls back at, on the sending thread, so that a
/// caller can take its own count of both processes around exactly the measured frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    /// After the last warm-up frame's acknowledgement, before the first measured frame.
    MeasuredStart,
    /// After the last measured frame's acknowledgement.
    MeasuredEnd,
}

/// One process's figures (getrusage RUSAGE_SELF: every thread of the process).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SideResult {
    /// Voluntary + involuntary context switches over the measured frames.
    pub ctx_switches: u64,
    pub ctx_switches_per_frame: f64,
    /// The involuntary part (preemptions: grows with the machine's load).
    pub involuntary_ctx_switches_per_frame: f64,
    pub cpu_ms_per_frame: f64,
    pub minor_faults_per_frame: f64,
    /// Totals over the warm-up frames.
    pub warmup_ctx_switches: u64,
    pub warmup_minor_faults: u64,
}

impl SideResult {
    fn from_usage(warmup: &Usage, steady: &Usage, frames: u64) -> SideResult {
        let per = |v: f64| if frames == 0 { 0.0 } else { v / frames as f64 };
        SideResult {
            ctx_switches: steady.ctx_switches,
            ctx_switches_per_frame: per(steady.ctx_switches as f64),
            involuntary_ctx_switches_per_frame: per(steady.involuntary_ctx_switches as f64),
            cpu_ms_per_frame: per(steady.cpu_ms),
            minor_faults_per_frame: per(steady.minor_faults as f64),
            warmup_ctx_switches: warmup.ctx_switches,
            warmup_minor_faults: warmup.minor_faults,
        }
    }
}

/// The socket's kernel buffer: asked for, and read back with getsockopt on both ends (Linux
/// doubles what it is asked for, raises it to its minimum and caps it at net.core.*mem_max).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SocketBuffer {
    /// Set with SO_SNDBUF and SO_RCVBUF; `None`: the kernel's default was left alone.
    pub requested_bytes: Option<usize>,
    /// SO_SNDBUF of the writing end (this process).
    pub send_bytes: usize,
    /// SO_RCVBUF of the reading end (the peer).
    pub receive_bytes: usize,
}

/// One method's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodResult {
    pub method: String,
    /// The name with what it means (the default-buffer variant says so).
    pub label: String,
    /// Bytes per write and per read call on the socket.
    pub piece_bytes: Option<usize>,
    pub buffer: Option<SocketBuffer>,
    pub frame_bytes: usize,
    /// Measured frames (fewer than asked when the time budget ran out).
    pub frames: u64,
    pub warmup_frames: u64,
    /// Render + transfer + the peer's acknowledgement, steady state.
    pub frame_ms: Option<Percentiles>,
    /// The render part alone (a memset of the frame plus the stamps).
    pub render_ms: Option<Percentiles>,
    /// Each warm-up frame's time, in order.
    pub warmup_frame_ms: Vec<f64>,
    pub sender: SideResult,
    pub receiver: SideResult,
}

/// The frame number written at both ends of every frame.
pub(crate) fn stamp_frame(buf: &mut [u8], frame: u64) {
    let n = buf.len();
    buf[..8].copy_from_slice(&frame.to_le_bytes());
    buf[n - 8..].copy_from_slice(&frame.to_le_bytes());
}

/// Checks both stamps, then reads every byte once; returns a checksum so the reads stay.
pub(crate) fn consume_frame(buf: &[u8], frame: u64) -> Result<u64, IpcError> {
    let n = buf.len();
    for (end, range) in [("start", 0..8), ("end", n - 8..n)] {
        let mut word = [0u8; 8];
        word.copy_from_slice(&buf[range]);
        let found = u64::from_le_bytes(word);
        if found != frame {
            return Err(IpcError::BadFrame { frame, found, end });
        }
    }
    Ok(buf
        .chunks_exact(8)
        .map(|c| u64::from_ne_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
        .fold(0u64, u64::wrapping_add))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_checked_at_both_ends() {
        let mut buf = vec![0u8; 64];
        stamp_frame(&mut buf, 7);
        assert!(consume_frame(&buf, 7).is_ok());
        buf[60] ^= 1;
        assert!(matches!(
            consume_frame(&buf, 7),
            Err(IpcError::BadFrame { end: "end", .. })
        ));
        assert!(matches!(
            consume_frame(&buf, 8),
            Err(IpcError::BadFrame { end: "start", .. })
        ));
    }
}
