//! The sending side: sizes the socket's kernel buffer, renders each frame, moves it to the peer
//! by the chosen method, waits for the peer's acknowledgement, closes its end when done, and
//! combines its own figures with the peer's report.

use std::io::{BufRead, BufReader, Read};
use std::net::Shutdown;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use memmap2::MmapMut;

use super::error::IpcError;
use super::frame::stamp_frame;
use super::method::IpcMethod;
use super::os::{self, PeerChild, Usage, Wake};
use super::peer::PeerReport;
use super::results::{
    Edge, IpcConfig, MethodResult, SideResult, SocketBuffer, MIN_MEASURED_FRAMES,
};
use crate::stats::Percentiles;

/// What carries frames for one method on the sending side.
enum Channel {
    Socket {
        buf: Vec<u8>,
        piece_bytes: usize,
    },
    Memfd {
        map: MmapMut,
        ready: OwnedFd,
        done: OwnedFd,
    },
}

/// Runs one method: spawns `peer_exe __ipc-peer …`, moves the warm-up and then the measured
/// frames, and returns the figures of both processes.
pub fn run_method(
    peer_exe: &Path,
    method: IpcMethod,
    cfg: IpcConfig,
) -> Result<MethodResult, IpcError> {
    run_method_observed(peer_exe, method, cfg, &mut |_, _| {})
}

/// [`run_method`], calling `on_edge(edge, peer_pid)` on the sending thread around exactly the
/// frames the result's per-frame figures cover (for a count taken from outside, e.g. /proc).
pub fn run_method_observed(
    peer_exe: &Path,
    method: IpcMethod,
    cfg: IpcConfig,
    on_edge: &mut dyn FnMut(Edge, u32),
) -> Result<MethodResult, IpcError> {
    if cfg.frame_bytes < 16 {
        return Err(IpcError::FrameTooSmall(cfg.frame_bytes));
    }
    let (mut sock, theirs) = UnixStream::pair().map_err(|e| IpcError::Io("socketpair", e))?;
    sock.set_read_timeout(Some(os::PEER_TIMEOUT))
        .map_err(|e| IpcError::Io("socket timeout", e))?;
    let send_buffer = match method {
        IpcMethod::Memfd => None,
        _ => Some(os::size_send_buffer(
            &sock,
            method.requested_buffer_bytes(),
        )?),
    };
    let (mut channel, memfd) = open_channel(method, cfg.frame_bytes)?;
    let child = spawn_peer(peer_exe, method, cfg, &theirs, &channel, memfd.as_ref())?;
    drop(theirs);
    drop(memfd);
    channel.prepare();
    let timings = send_frames(&mut sock, &mut channel, cfg, child.pid(), on_edge)?;
    // The end of the stream tells the peer that no more frames come.
    sock.shutdown(Shutdown::Write)
        .map_err(|e| IpcError::Io("closing the socket for writing", e))?;
    let report = read_report(&mut sock)?;
    child.wait()?;
    let sent = cfg.warmup + timings.measured;
    if report.frames != sent {
        return Err(IpcError::FrameCount {
            sent,
            received: report.frames,
        });
    }
    let buffer = match (send_buffer, report.receive_buffer_bytes) {
        (Some(send_bytes), Some(receive_bytes)) => Some(SocketBuffer {
            requested_bytes: method.requested_buffer_bytes(),
            send_bytes,
            receive_bytes,
        }),
        (None, None) => None,
        _ => {
            return Err(IpcError::PeerFailed(
                "its report lacks the buffer size".into(),
            ))
        }
    };
    Ok(assemble(method, cfg, buffer, timings, &report))
}

/// Starts `peer_exe __ipc-peer …` with the peer's socket end and, for the shared buffer, the
/// memfd and both eventfds left open across exec.
fn spawn_peer(
    peer_exe: &Path,
    method: IpcMethod,
    cfg: IpcConfig,
    theirs: &UnixStream,
    channel: &Channel,
    memfd: Option<&OwnedFd>,
) -> Result<PeerChild, IpcError> {
    let mut cmd = Command::new(peer_exe);
    cmd.args(["__ipc-peer", "--method", &method.name()])
        .args(["--frame-bytes", &cfg.frame_bytes.to_string()])
        .args(["--warmup", &cfg.warmup.to_string()])
        .args(["--sock-fd", &os::raw(theirs).to_string()]);
    let mut inherit = vec![os::raw(theirs)];
    if let (Channel::Memfd { ready, done, .. }, Some(fd)) = (channel, memfd) {
        cmd.args(["--memfd", &os::raw(fd).to_string()])
            .args(["--ready-fd", &os::raw(ready).to_string()])
            .args(["--done-fd", &os::raw(done).to_string()]);
        inherit.extend([os::raw(fd), os::raw(ready), os::raw(done)]);
    }
    log::debug!("ipc {}: spawning {cmd:?}", method.name());
    PeerChild::spawn(cmd, &inherit)
}

fn open_channel(
    method: IpcMethod,
    frame_bytes: usize,
) -> Result<(Channel, Option<OwnedFd>), IpcError> {
    Ok(match method.piece_bytes() {
        Some(piece_bytes) => {
            let buf = vec![0u8; frame_bytes];
            (Channel::Socket { buf, piece_bytes }, None)
        }
        None => {
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

    /// Renders frame `frame` and moves it to the peer; returns the render time.
    fn send(&mut self, sock: &mut UnixStream, frame: u64) -> Result<f64, IpcError> {
        let t0 = Instant::now();
        let pixels: &mut [u8] = match self {
            Channel::Socket { buf, .. } => buf,
            Channel::Memfd { map, .. } => map,
        };
        pixels.fill(frame as u8);
        stamp_frame(pixels, frame);
        let render_ms = t0.elapsed().as_secs_f64() * 1e3;
        match self {
            Channel::Socket { buf, piece_bytes } => {
                os::write_chunked(sock, buf, *piece_bytes)?;
                let mut ack = [0u8; 1];
                sock.read_exact(&mut ack).map_err(|_| IpcError::PeerGone)?;
            }
            Channel::Memfd { ready, done, .. } => {
                os::notify(ready.as_fd())?;
                match os::wait_readable(done.as_fd(), sock.as_fd())? {
                    Wake::Ready => os::consume(done.as_fd())?,
                    Wake::PeerSocket => return Err(IpcError::PeerGone),
                };
            }
        }
        Ok(render_ms)
    }
}

/// The sender's measurements.
#[derive(Default)]
struct Timings {
    /// Warm-up frames first, then the measured ones.
    frame_ms: Vec<f64>,
    render_ms: Vec<f64>,
    measured: u64,
    warmup: Usage,
    steady: Usage,
}

impl Timings {
    fn send_one(
        &mut self,
        sock: &mut UnixStream,
        channel: &mut Channel,
        frame: u64,
    ) -> Result<(), IpcError> {
        let t0 = Instant::now();
        let render_ms = channel.send(sock, frame)?;
        self.frame_ms.push(t0.elapsed().as_secs_f64() * 1e3);
        self.render_ms.push(render_ms);
        Ok(())
    }
}

fn send_frames(
    sock: &mut UnixStream,
    channel: &mut Channel,
    cfg: IpcConfig,
    peer_pid: u32,
    on_edge: &mut dyn FnMut(Edge, u32),
) -> Result<Timings, IpcError> {
    let mut t = Timings::default();
    let start = Usage::process();
    for frame in 0..cfg.warmup {
        t.send_one(sock, channel, frame)?;
    }
    on_edge(Edge::MeasuredStart, peer_pid);
    let mid = Usage::process();
    let began = Instant::now();
    let out_of_time = |measured: u64| {
        measured >= MIN_MEASURED_FRAMES && cfg.budget.is_some_and(|b| began.elapsed() >= b)
    };
    while t.measured < cfg.frames && !out_of_time(t.measured) {
        t.send_one(sock, channel, cfg.warmup + t.measured)?;
        t.measured += 1;
    }
    let end = Usage::process();
    on_edge(Edge::MeasuredEnd, peer_pid);
    t.warmup = mid.since(&start);
    t.steady = end.since(&mid);
    Ok(t)
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

fn assemble(
    method: IpcMethod,
    cfg: IpcConfig,
    buffer: Option<SocketBuffer>,
    t: Timings,
    peer: &PeerReport,
) -> MethodResult {
    let w = cfg.warmup as usize;
    MethodResult {
        method: method.name(),
        label: method.label(),
        piece_bytes: method.piece_bytes(),
        buffer,
        frame_bytes: cfg.frame_bytes,
        frames: t.measured,
        warmup_frames: cfg.warmup,
        frame_ms: Percentiles::of(&t.frame_ms[w..]),
        render_ms: Percentiles::of(&t.render_ms[w..]),
        warmup_frame_ms: t.frame_ms[..w].to_vec(),
        sender: SideResult::from_usage(&t.warmup, &t.steady, t.measured),
        receiver: SideResult::from_usage(&peer.warmup, &peer.steady, t.measured),
    }
}
