//! The receiving side, run as `zcx __ipc-peer` by [`super::run_method`]: sizes its end's
//! kernel buffer, takes each frame by the chosen method, checks and reads it, acknowledges it,
//! and when the sender closes the stream writes its own usage figures (warm-up and steady state)
//! and the buffer size it got as one JSON line on the socket.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, RawFd};
use std::os::unix::net::UnixStream;

use memmap2::MmapOptions;
use serde::{Deserialize, Serialize};

use super::error::IpcError;
use super::frame::consume_frame;
use super::method::IpcMethod;
use super::os::{self, Usage, Wake};

/// The peer's command line (built by the parent; hidden from users).
#[derive(Debug, Clone, clap::Args)]
pub struct PeerArgs {
    #[arg(long)]
    pub method: String,
    #[arg(long)]
    pub frame_bytes: usize,
    /// Frames before the measured ones (the sender decides how many follow).
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
    /// Frames received, warm-up included.
    pub frames: u64,
    pub warmup: Usage,
    pub steady: Usage,
    pub checksum: u64,
    /// SO_RCVBUF of this end as read back after setting it (socket methods).
    pub receive_buffer_bytes: Option<usize>,
}

/// Runs the receiving side until the sender closes the stream, then reports.
pub fn run_peer(args: &PeerArgs) -> Result<(), IpcError> {
    let method: IpcMethod = args.method.parse()?;
    // SAFETY: the parent passed these descriptor numbers on our command line after leaving
    // them open across exec; nothing else in this process owns them.
    let sock = unsafe { os::owned_from_raw(args.sock_fd) };
    let mut sock = UnixStream::from(sock);
    let report = match method.piece_bytes() {
        Some(piece_bytes) => {
            let receive = os::size_receive_buffer(&sock, method.requested_buffer_bytes())?;
            let mut report = receive_socket(&mut sock, args, piece_bytes)?;
            report.receive_buffer_bytes = Some(receive);
            report
        }
        None => receive_memfd(&mut sock, args)?,
    };
    let mut line = serde_json::to_string(&report).map_err(IpcError::Report)?;
    line.push('\n');
    sock.write_all(line.as_bytes())
        .map_err(|e| IpcError::Io("writing the report", e))
}

fn receive_socket(
    sock: &mut UnixStream,
    args: &PeerArgs,
    piece_bytes: usize,
) -> Result<PeerReport, IpcError> {
    let mut buf = vec![0u8; args.frame_bytes];
    buf.fill(1); // fault the receiver's buffer in before anything is measured
    let mut meter = Meter::new(args.warmup);
    let mut checksum = 0u64;
    while os::read_frame_chunked(sock, &mut buf, piece_bytes)? {
        checksum = checksum.wrapping_add(consume_frame(&buf, meter.frames)?);
        sock.write_all(&[1])
            .map_err(|e| IpcError::Io("acknowledging", e))?;
        meter.frame_done();
    }
    Ok(meter.finish(checksum))
}

fn receive_memfd(sock: &mut UnixStream, args: &PeerArgs) -> Result<PeerReport, IpcError> {
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
    while os::wait_readable(ready.as_fd(), sock.as_fd())? == Wake::Ready {
        os::consume(ready.as_fd())?;
        checksum = checksum.wrapping_add(consume_frame(&map, meter.frames)?);
        os::notify(done.as_fd())?;
        meter.frame_done();
    }
    // The sender sends nothing on the socket in this method: readable means end of stream.
    if sock
        .read(&mut [0u8; 1])
        .map_err(|e| IpcError::Io("socket read", e))?
        != 0
    {
        return Err(IpcError::PeerFailed(
            "unexpected bytes on the socket".into(),
        ));
    }
    Ok(meter.finish(checksum))
}

/// Usage snapshots at the start, after the warm-up and after the last frame's acknowledgement:
/// the instants at which the sender, woken by that acknowledgement, marks its own edges.
struct Meter {
    warmup_frames: u64,
    frames: u64,
    start: Usage,
    after_warmup: Usage,
    last: Usage,
}

impl Meter {
    fn new(warmup_frames: u64) -> Meter {
        let now = Usage::process();
        Meter {
            warmup_frames,
            frames: 0,
            start: now,
            after_warmup: now,
            last: now,
        }
    }

    fn frame_done(&mut self) {
        self.frames += 1;
        self.last = Usage::process();
        if self.frames == self.warmup_frames {
            self.after_warmup = self.last;
        }
    }

    fn finish(self, checksum: u64) -> PeerReport {
        PeerReport {
            frames: self.frames,
            warmup: self.after_warmup.since(&self.start),
            steady: self.last.since(&self.after_warmup),
            checksum,
            receive_buffer_bytes: None,
        }
    }
}
