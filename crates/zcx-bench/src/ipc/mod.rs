//! `zcx ipc`: the classic experiment without X. One frame at a time goes from this process to a
//! peer process (a re-exec of `zcx` with a hidden subcommand), either through a UNIX socketpair
//! in writes of a fixed size, or through a sealed memfd both map, with eventfd notification both
//! ways. Per method: time per frame (steady state), context switches, CPU and page faults per
//! frame on each side, with the first (warm-up) frames reported apart.
//!
//! Both consumers do the same work once a frame has arrived (check the frame number at both
//! ends, then read every byte once), so the difference is the transport alone.

mod os;
mod parent;
mod peer;

use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::stats::Percentiles;

pub use os::Usage;
pub use parent::run_method;
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
        "unknown method {0:?}: expected socket-512, socket-4k, socket-64k, socket-1m or memfd"
    )]
    UnknownMethod(String),
    #[error("a frame needs at least 16 bytes (two 8-byte stamps), got {0}")]
    FrameTooSmall(usize),
}

impl IpcError {
    fn os(what: &'static str, e: nix::Error) -> IpcError {
        IpcError::Os(what, e)
    }
}

/// How a frame travels to the peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpcMethod {
    /// Through a UNIX socketpair, in writes (and reads) of this many bytes.
    Socket { write_bytes: usize },
    /// Rendered in place in a sealed memfd both processes map; eventfd both ways.
    Memfd,
}

impl IpcMethod {
    /// The four socket write sizes of the experiment, then the shared buffer.
    pub const ALL: [IpcMethod; 5] = [
        IpcMethod::Socket { write_bytes: 512 },
        IpcMethod::Socket { write_bytes: 4096 },
        IpcMethod::Socket { write_bytes: 65536 },
        IpcMethod::Socket {
            write_bytes: 1 << 20,
        },
        IpcMethod::Memfd,
    ];

    /// The CLI and report name.
    pub fn name(self) -> String {
        match self {
            IpcMethod::Socket { write_bytes } => format!("socket-{}", size_name(write_bytes)),
            IpcMethod::Memfd => "memfd".to_owned(),
        }
    }
}

fn size_name(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{}m", b >> 20),
        b if b >= 1024 && b % 1024 == 0 => format!("{}k", b >> 10),
        b => b.to_string(),
    }
}

impl FromStr for IpcMethod {
    type Err = IpcError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "memfd" {
            return Ok(IpcMethod::Memfd);
        }
        let unknown = || IpcError::UnknownMethod(s.to_owned());
        let size = s.strip_prefix("socket-").ok_or_else(unknown)?;
        let (digits, unit) = match size.as_bytes().last() {
            Some(b'k') => (&size[..size.len() - 1], 1024),
            Some(b'm') => (&size[..size.len() - 1], 1 << 20),
            _ => (size, 1),
        };
        let n: usize = digits.parse().map_err(|_| unknown())?;
        match n.checked_mul(unit) {
            Some(write_bytes) if write_bytes > 0 => Ok(IpcMethod::Socket { write_bytes }),
            _ => Err(unknown()),
        }
    }
}

/// What to run: frame size and counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpcConfig {
    pub frame_bytes: usize,
    /// Measured frames (steady state).
    pub frames: u64,
    /// Frames before the measured ones, reported apart (first-touch faults land here).
    pub warmup: u64,
}

/// One side's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SideResult {
    pub ctx_switches_per_frame: f64,
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
            ctx_switches_per_frame: per(steady.ctx_switches as f64),
            cpu_ms_per_frame: per(steady.cpu_ms),
            minor_faults_per_frame: per(steady.minor_faults as f64),
            warmup_ctx_switches: warmup.ctx_switches,
            warmup_minor_faults: warmup.minor_faults,
        }
    }
}

/// One method's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodResult {
    pub method: String,
    pub write_bytes: Option<usize>,
    pub frame_bytes: usize,
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
    fn method_names_round_trip() {
        for m in IpcMethod::ALL {
            assert_eq!(m.name().parse::<IpcMethod>().unwrap(), m);
        }
        assert_eq!(IpcMethod::ALL[0].name(), "socket-512");
        assert_eq!(IpcMethod::ALL[3].name(), "socket-1m");
        assert!("socket-0".parse::<IpcMethod>().is_err());
        assert!("pipe".parse::<IpcMethod>().is_err());
        assert!("socket-xk".parse::<IpcMethod>().is_err());
    }

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
