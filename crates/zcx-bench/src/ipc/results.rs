//! What the IPC experiment is asked to run ([`IpcConfig`]) and what it reports per method
//! ([`MethodResult`], each process's [`SideResult`], the [`SocketBuffer`]).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::os::Usage;
use crate::stats::Percentiles;

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

/// The two instants [`run_method_observed`](super::run_method_observed) calls back at, on the
/// sending thread, so that a caller can take its own count of both processes around exactly
/// the measured frames.
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
    pub(super) fn from_usage(warmup: &Usage, steady: &Usage, frames: u64) -> SideResult {
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
