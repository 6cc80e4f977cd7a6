//! The sending side: renders each frame, moves it to the peer by the chosen method, waits for
//! the peer's acknowledgement, and combines its own figures with the peer's report.

use std::io::{BufRead, BufReader, Read};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use memmap2::MmapMut;

use super::os::{self, PeerChild, Usage};
use super::peer::PeerReport;
use super::{stamp_frame, IpcConfig, IpcError, IpcMethod, MethodResult, SideResult};
use crate::stats::Percentiles;

/// What carries frames for one method on the sending side.
enum Channel {
    Socket {
        buf: Vec<u8>,
        write_bytes: usize,
    },
    Memfd {
        map: MmapMut,
        ready: OwnedFd,
        done: OwnedFd,
    },
}

/// Runs one method: spawns `peer_exe __ipc-peer …`, moves `warmup + frames` frames, and
/// returns the figures of both sides.
pub fn run_method(
    peer_exe: &Path,
    method: IpcMethod,
    cfg: IpcConfig,
) -> Result<MethodResult, IpcError> {
    if cfg.frame_bytes < 16 {
        return Err(IpcError::FrameTooSmall(cfg.frame_bytes));
    }
    let (mut sock, theirs) = UnixStream::pair().map_err(|e| IpcError::Io("socketpair", e))?;
    sock.set_read_timeout(Some(os::PEER_TIMEOUT))
        .map_err(|e| IpcError::Io("socket timeout", e))?;
    let mut cmd = Command::new(peer_exe);
    cmd.args(["__ipc-peer", "--method", &method.name()])
        .args(["--frame-bytes", &cfg.frame_bytes.to_string()])
        .args(["--frames", &(cfg.frames + cfg.warmup).to_string()])
        .args(["--warmup", &cfg.warmup.to_string()])
        .args(["--sock-fd", &os::raw(&theirs).to_string()]);
    let mut inherit = vec![os::raw(&theirs)];
    let (mut channel, memfd) = open_channel(method, cfg.frame_bytes)?;
    if let (Channel::Memfd { ready, done, .. }, Some(fd)) = (&channel, &memfd) {
        cmd.args(["--memfd", &os::raw(fd).to_string()])
            .args(["--ready-fd", &os::raw(ready).to_string()])
            .args(["--done-fd", &os::raw(done).to_string()]);
        inherit.extend([os::raw(fd), os::raw(ready), os::raw(done)]);
    }
    log::debug!("ipc {}: spawning {cmd:?}", method.name());
    let child = PeerChild::spawn(cmd, &inherit)?;
    drop(theirs);
    drop(memfd);
    channel.prepare();
    let timings = send_frames(&mut sock, &mut channel, cfg)?;
    let report = read_report(&mut sock)?;
    child.wait()?;
    Ok(assemble(method, cfg, timings, &report))
}

fn open_channel(
    method: IpcMethod,
    frame_bytes: usize,
) -> Result<(Channel, Option<OwnedFd>), IpcError> {
    Ok(match method {
        IpcMethod::Socket { write_bytes } => {
            let buf = vec![0u8; frame_bytes];
            (Channel::Socket { buf, write_bytes }, None)
        }
        IpcMethod::Memfd => {
            let (fd, map) = zcx_x11::shm::create_mapped_memfd(frame_bytes)?;
            let ready = os::new_eventfd()?;
            let done = os::new_eventfd()?;
            (Channel::Memfd { map, ready, done }, Some(fd))
        }
    })
}

impl Channel {
    /// Faults the sender's private buffer in. Called after the peer was spawned: spawning
    /// forks, which write-protects every private page, so a buffer touched before the fork
    /// would take a copy-on-write fault per page on the first frame.
    fn prepare(&mut self) {
        if let Channel::Socket { buf, .. } = self {
            buf.fill(1);
        }
    }
}

/// The sender's measurements.
struct Timings {
    frame_ms: Vec<f64>,
    render_ms: Vec<f64>,
    warmup: Usage,
    steady: Usage,
}

fn send_frames(
    sock: &mut UnixStream,
    channel: &mut Channel,
    cfg: IpcConfig,
) -> Result<Timings, IpcError> {
    let total = cfg.frames + cfg.warmup;
    let mut frame_ms = Vec::with_capacity(total as usize);
    let mut render_ms = Vec::with_capacity(total as usize);
    let start = Usage::thread();
    let mut after_warmup = start;
    for frame in 0..total {
        if frame == cfg.warmup {
            after_warmup = Usage::thread();
        }
        let t0 = Instant::now();
        let pixels: &mut [u8] = match channel {
            Channel::Socket { buf, .. } => buf,
            Channel::Memfd { map, .. } => map,
        };
        pixels.fill(frame as u8);
        stamp_frame(pixels, frame);
        let t_render = t0.elapsed();
        match channel {
            Channel::Socket { buf, write_bytes } => {
                os::write_chunked(sock, buf, *write_bytes)?;
                let mut ack = [0u8; 1];
                sock.read_exact(&mut ack).map_err(|_| IpcError::PeerGone)?;
            }
            Channel::Memfd { ready, done, .. } => {
                os::notify(ready.as_fd())?;
                os::wait_readable(done.as_fd(), sock.as_fd())?;
                os::consume(done.as_fd())?;
            }
        }
        frame_ms.push(t0.elapsed().as_secs_f64() * 1e3);
        render_ms.push(t_render.as_secs_f64() * 1e3);
    }
    if cfg.frames == 0 {
        after_warmup = Usage::thread();
    }
    let end = Usage::thread();
    Ok(Timings {
        frame_ms,
        render_ms,
        warmup: after_warmup.since(&start),
        steady: end.since(&after_warmup),
    })
}

fn read_report(sock: &mut UnixStream) -> Result<PeerReport, IpcError> {
    let mut line = String::new();
    BufReader::new(sock)
        .read_line(&mut line)
        .map_err(|e| IpcError::Io("reading the peer's report", e))?;
    if line.is_empty() {
        return Err(IpcError::PeerGone);
    }
    serde_json::from_str(&line).map_err(IpcError::Report)
}

fn assemble(method: IpcMethod, cfg: IpcConfig, t: Timings, peer: &PeerReport) -> MethodResult {
    let w = cfg.warmup as usize;
    MethodResult {
        method: method.name(),
        write_bytes: match method {
            IpcMethod::Socket { write_bytes } => Some(write_bytes),
            IpcMethod::Memfd => None,
        },
        frame_bytes: cfg.frame_bytes,
        frames: cfg.frames,
        warmup_frames: cfg.warmup,
        frame_ms: Percentiles::of(&t.frame_ms[w..]),
        render_ms: Percentiles::of(&t.render_ms[w..]),
        warmup_frame_ms: t.frame_ms[..w].to_vec(),
        sender: SideResult::from_usage(&t.warmup, &t.steady, cfg.frames),
        receiver: SideResult::from_usage(&peer.warmup, &peer.steady, cfg.frames),
    }
}
