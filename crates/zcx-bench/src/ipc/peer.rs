//! The receiving side, run as `zcx __ipc-peer` by [`super::run_method`]: takes each frame by
//! the chosen method, checks and reads it, acknowledges it, and at the end writes its own
//! usage figures (warm-up and steady state) as one JSON line on the socket.

use std::fs::File;
use std::io::Write;
use std::os::fd::{AsFd, RawFd};
use std::os::unix::net::UnixStream;

use memmap2::MmapOptions;
use serde::{Deserialize, Serialize};

use super::os::{self, Usage};
use super::{consume_frame, IpcError, IpcMethod};

/// The peer's command line (built by the parent; hidden from users).
#[derive(Debug, Clone, clap::Args)]
pub struct PeerArgs {
    #[arg(long)]
    pub method: String,
    #[arg(long)]
    pub frame_bytes: usize,
    /// Frames in total, warm-up included.
    #[arg(long)]
    pub frames: u64,
    #[arg(long)]
    pub warmup: u64,
    #[arg(long)]
    pub sock_fd: RawFd,
    #[arg(long)]
    pub memfd: Option<RawFd>,
    #[arg(long)]
    pub ready_fd: Option<RawFd>,
    #[arg(long)]
    pub done_fd: Option<RawFd>,
}

/// What the peer sends back.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PeerReport {
    pub warmup: Usage,
    pub steady: Usage,
    pub checksum: u64,
}

/// Runs the receiving side until all frames arrived, then reports.
pub fn run_peer(args: &PeerArgs) -> Result<(), IpcError> {
    let method: IpcMethod = args.method.parse()?;
    // SAFETY: the parent passed these descriptor numbers on our command line after leaving
    // them open across exec; nothing else in this process owns them.
    let sock = unsafe { os::owned_from_raw(args.sock_fd) };
    let mut sock = UnixStream::from(sock);
    let report = match method {
        IpcMethod::Socket { write_bytes } => receive_socket(&mut sock, args, write_bytes)?,
        IpcMethod::Memfd => receive_memfd(&sock, args)?,
    };
    let mut line = serde_json::to_string(&report).map_err(IpcError::Report)?;
    line.push('\n');
    sock.write_all(line.as_bytes())
        .map_err(|e| IpcError::Io("writing the report", e))
}

fn receive_socket(
    sock: &mut UnixStream,
    args: &PeerArgs,
    write_bytes: usize,
) -> Result<PeerReport, IpcError> {
    let mut buf = vec![0u8; args.frame_bytes];
    buf.fill(1); // fault the receiver's buffer in before anything is measured
    let mut meter = Meter::new(args.warmup);
    let mut checksum = 0u64;
    for frame in 0..args.frames {
        meter.frame_starting(frame);
        os::read_exact_chunked(sock, &mut buf, write_bytes)?;
        checksum = checksum.wrapping_add(consume_frame(&buf, frame)?);
        sock.write_all(&[1])
            .map_err(|e| IpcError::Io("acknowledging", e))?;
    }
    Ok(meter.finish(checksum))
}

fn receive_memfd(sock: &UnixStream, args: &PeerArgs) -> Result<PeerReport, IpcError> {
    let missing =
        || IpcError::PeerFailed("memfd method without --memfd/--ready-fd/--done-fd".into());
    let (memfd, ready, done) = match (args.memfd, args.ready_fd, args.done_fd) {
        (Some(m), Some(r), Some(d)) => (m, r, d),
        _ => return Err(missing()),
    };
    // SAFETY: as in `run_peer`: numbers handed to us by the parent, owned by nobody else here.
    let (memfd, ready, done) = unsafe {
        (
            os::owned_from_raw(memfd),
            os::owned_from_raw(ready),
            os::owned_from_raw(done),
        )
    };
    let file = File::from(memfd);
    // SAFETY: the memfd is sealed against shrinking and growing by the parent, so the mapping
    // cannot be truncated under us; the parent writes only between our `done` and its `ready`.
    let map = unsafe { MmapOptions::new().len(args.frame_bytes).map(&file) }
        .map_err(|e| IpcError::Io("mapping the shared buffer", e))?;
    let mut meter = Meter::new(args.warmup);
    let mut checksum = 0u64;
    for frame in 0..args.frames {
        meter.frame_starting(frame);
        os::wait_readable(ready.as_fd(), sock.as_fd())?;
        os::consume(ready.as_fd())?;
        checksum = checksum.wrapping_add(consume_frame(&map, frame)?);
        os::notify(done.as_fd())?;
    }
    Ok(meter.finish(checksum))
}

/// Usage snapshots at the start, after the warm-up and at the end.
struct Meter {
    warmup_frames: u64,
    start: Usage,
    after_warmup: Option<Usage>,
}

impl Meter {
    fn new(warmup_frames: u64) -> Meter {
        Meter {
            warmup_frames,
            start: Usage::thread(),
            after_warmup: None,
        }
    }

    fn frame_starting(&mut self, frame: u64) {
        if frame == self.warmup_frames {
            self.after_warmup = Some(Usage::thread());
        }
    }

    fn finish(self, checksum: u64) -> PeerReport {
        let end = Usage::thread();
        let mid = self.after_warmup.unwrap_or(end);
        PeerReport {
            warmup: mid.since(&self.start),
            steady: end.since(&mid),
            checksum,
        }
    }
}
