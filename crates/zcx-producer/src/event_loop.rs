//! The producer's per-frame loop: wait for the pacing deadline and a free buffer while pumping
//! X events, render on the worker pool while the X thread keeps reading events (so completions
//! are timed when they arrive), stamp, submit, account; switch modes after draining; publish
//! statistics on the terminal, in the title and as `_ZCX_STATS`.

use std::collections::VecDeque;
use std::num::NonZeroU64;
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::eventfd::{EfdFlags, EventFd};
use x11rb::connection::Connection;
use x11rb::protocol::Event;
use zcx_x11::format::FrameFormat;
use zcx_x11::metrics::{self, ProcCounters};
use zcx_x11::probe::ServerProbe;
use zcx_x11::stamp::{monotonic_now_ns, Stamp};
use zcx_x11::{Connected, SocketKind, ZcxConnection};

use crate::cli::Cli;
use crate::outcome::{Ending, Outcome};
use crate::source::{FrameMut, FrameSource};
use crate::stats::{stats_line, FrameRecord, Meters, ModeStats};
use crate::transport::{Completion, FrameTransport, Mode, Options, Target, Transport};
use crate::window::{Command, ProducerWindow};

const LONGEST_WAIT: Duration = Duration::from_millis(100);
const DRAIN_TIMEOUT: Duration = Duration::from_secs(2);

/// The producer once connected: its window, source, counters and options.
pub(crate) struct Producer<'c> {
    conn: &'c ZcxConnection,
    probe: &'c ServerProbe,
    window: ProducerWindow<'c, ZcxConnection>,
    target: Target,
    source: Box<dyn FrameSource>,
    meters: Meters,
    options: Options,
    frame_limit: Option<NonZeroU64>,
    warmup: u64,
    interval: Option<Duration>,
    stop: Arc<AtomicBool>,
    source_name: String,
    server_name: String,
    /// The threads that render frames, as many as the source uses
    /// ([`FrameSource::threads`]): an idle rayon worker spins (yields) before it sleeps, so
    /// every extra one costs context switches on each frame.
    render_pool: rayon::ThreadPool,
    /// Written by the render job when the frame is done; wakes the X thread.
    render_done: EventFd,
    /// Events read while a frame was rendering, with the instant each was read.
    pending: VecDeque<(Event, Instant)>,
}

impl<'c> Producer<'c> {
    pub(crate) fn new(
        connected: &'c Connected,
        probe: &'c ServerProbe,
        format: FrameFormat,
        cli: &Cli,
        source: Box<dyn FrameSource>,
        stop: Arc<AtomicBool>,
    ) -> anyhow::Result<Self> {
        let conn = &connected.conn;
        let (width, height) = cli.size;
        let window = ProducerWindow::create(
            conn,
            connected.screen_num,
            format.visual,
            width as u16,
            height as u16,
        )
        .context("cannot create the producer window")?;
        let server = match connected.socket {
            SocketKind::Local => {
                metrics::peer_pid(conn.stream().as_fd()).and_then(ProcCounters::open)
            }
            SocketKind::Tcp => None,
        };
        if server.is_none() {
            log::warn!("the X server's process cannot be read here (remote or another user's): server CPU and context switches are not measured");
        }
        Ok(Producer {
            conn,
            probe,
            target: Target {
                window: window.id,
                gc: window.gc,
                format,
                width,
                height,
            },
            window,
            source_name: source.describe(),
            render_pool: rayon::ThreadPoolBuilder::new()
                .num_threads(source.threads())
                .thread_name(|i| format!("zcx-render-{i}"))
                .build()
                .context("cannot start the render threads")?,
            source,
            meters: Meters {
                server,
                socket_bytes: Arc::clone(&connected.bytes_written),
            },
            options: Options {
                buffers: usize::from(cli.buffers),
                vsync: cli.fps.is_some(),
                present: !cli.no_present,
                screen: connected.screen_num,
                handoff: cli.handoff == crate::cli::Handoff::Auto,
            },
            frame_limit: cli.frames,
            warmup: cli.warmup,
            interval: cli
                .fps
                .map(|fps| Duration::from_secs_f64(1.0 / f64::from(fps.get()))),
            stop,
            server_name: format!("{} {}", probe.vendor, probe.release),
            render_done: EventFd::from_value_and_flags(
                0,
                EfdFlags::EFD_CLOEXEC | EfdFlags::EFD_NONBLOCK,
            )
            .context("cannot create an eventfd")?,
            pending: VecDeque::new(),
        })
    }

    pub(crate) fn run(&mut self, first: Mode) -> anyhow::Result<Outcome> {
        let modes = Mode::available(self.probe);
        let mut mode = first;
        let mut summaries = Vec::new();
        let mut frame = 0u64;
        loop {
            let mut stats = ModeStats::new(
                mode,
                self.target.width,
                self.target.height,
                self.warmup,
                self.server_name.clone(),
            );
            let step = {
                let mut transport = Transport::new(
                    self.conn,
                    mode,
                    self.target,
                    self.probe,
                    self.options,
                    self.window.atoms._ZCX_FENCE,
                )
                .with_context(|| format!("cannot set up the {mode} transport"))?;
                let memory = transport.frame_memory();
                stats.set_frame_memory(
                    (!memory.is_empty())
                        .then(|| zcx_x11::pages::own_frame_memory(&memory))
                        .flatten(),
                );
                let step = self.run_mode(&mut transport, &mut stats, &mut frame)?;
                if step != Step::WindowGone {
                    transport
                        .wind_down()
                        .with_context(|| format!("cannot wind the {mode} transport down"))?;
                    self.drain(&mut transport, &mut stats)?;
                }
                step
            };
            let summary = stats.summary(&self.meters);
            println!("{}", stats_line(&summary));
            summaries.push(summary);
            match step {
                Step::NextMode => {
                    let i = modes
                        .iter()
                        .position(|m| *m == mode)
                        .map_or(0, |i| (i + 1) % modes.len());
                    mode = modes[i];
                    log::info!("switching to {mode}");
                }
                Step::Done => {
                    return Ok(Outcome {
                        ending: Ending::Finished,
                        summaries,
                    })
                }
                Step::WindowGone => {
                    return Ok(Outcome {
                        ending: Ending::WindowDestroyed,
                        summaries,
                    })
                }
            }
        }
    }

    /// Streams frames in one mode until the user switches, quits, or the frame budget is spent.
    fn run_mode(
        &mut self,
        transport: &mut Transport<'c, ZcxConnection>,
        stats: &mut ModeStats,
        frame: &mut u64,
    ) -> anyhow::Result<Step> {
        let mut ticker = Ticker::new();
        let mut next_due = Instant::now();
        let mut completions = Vec::new();
        loop {
            if let Some(step) = self.pump(transport, stats, &mut completions)? {
                return Ok(step);
            }
            if self.stop.load(Ordering::Relaxed)
                || self.frame_limit.is_some_and(|n| *frame >= n.get())
            {
                return Ok(Step::Done);
            }
            let now = Instant::now();
            if self.interval.is_some() && now < next_due {
                self.wait((next_due - now).min(LONGEST_WAIT))?;
                continue;
            }
            let Some(buffer) = transport.acquire() else {
                self.wait(LONGEST_WAIT)?;
                continue;
            };
            stats.frame_starting(*frame, &self.meters);
            let record = self.produce(transport, buffer, *frame)?;
            stats.record_frame(record);
            *frame += 1;
            if let Some(interval) = self.interval {
                next_due += interval;
                // Fell behind by more than a frame: start afresh rather than burst.
                if Instant::now() > next_due + interval {
                    next_due = Instant::now();
                }
            }
            ticker.frame(self, stats)?;
        }
    }

    /// Renders, stamps and submits one frame into `buffer`. Rendering runs on the worker pool
    /// while this thread keeps reading X events, so completions are timed when they arrive.
    fn produce(
        &mut self,
        transport: &mut Transport<'c, ZcxConnection>,
        buffer: usize,
        frame: u64,
    ) -> anyhow::Result<FrameRecord> {
        let (width, height) = (self.target.width, self.target.height);
        let started = Instant::now();
        let stamp_ns = monotonic_now_ns();
        let thread_before = metrics::thread_sample();
        let pixels = transport
            .pixels(buffer)
            .with_context(|| format!("cannot get buffer {buffer} for frame {frame}"))?;
        let (source, done) = (&mut self.source, &self.render_done);
        let (conn, pending) = (self.conn, &mut self.pending);
        let collected = self.render_pool.in_place_scope(|scope| {
            scope.spawn(move |_| {
                let _notify = NotifyOnDrop(done);
                source.render(
                    frame,
                    FrameMut {
                        pixels: &mut *pixels,
                        width,
                        height,
                    },
                );
                Stamp {
                    frame,
                    monotonic_ns: stamp_ns,
                }
                .write_frame(pixels, width as usize, height as usize);
            });
            collect_events_until(conn, done, pending)
        });
        collected?;
        let render_thread = metrics::thread_sample().since(&thread_before);
        let rendered = Instant::now();
        transport
            .submit(buffer, frame)
            .with_context(|| format!("cannot send frame {frame}"))?;
        let submitted_at = Instant::now();
        Ok(FrameRecord {
            handed_off: transport.handed_off(),
            frame,
            render: rendered - started,
            render_thread,
            submit: submitted_at - rendered,
            submitted_at,
        })
    }

    /// Handles every queued event; returns a step when the mode's loop must end.
    fn pump(
        &mut self,
        transport: &mut Transport<'c, ZcxConnection>,
        stats: &mut ModeStats,
        completions: &mut Vec<Completion>,
    ) -> anyhow::Result<Option<Step>> {
        let mut step = None;
        loop {
            let (event, at) = match self.pending.pop_front() {
                Some(queued) => queued,
                None => match self
                    .conn
                    .poll_for_event()
                    .context("the X connection failed")?
                {
                    Some(event) => (event, Instant::now()),
                    None => break,
                },
            };
            if transport.handle_event(&event, at, completions) {
                for c in completions.drain(..) {
                    stats.record_completion(c);
                }
                continue;
            }
            match self.window.handle_event(&event) {
                Command::None => {
                    if let x11rb::protocol::Event::Error(e) = &event {
                        log::warn!("{}", zcx_x11::error::describe(e));
                    }
                }
                Command::NextMode => step = step.or(Some(Step::NextMode)),
                Command::Quit => step = Some(Step::Done),
                Command::Destroyed => return Ok(Some(Step::WindowGone)),
                Command::Resized { width, height } => {
                    if (u32::from(width), u32::from(height))
                        != (self.target.width, self.target.height)
                    {
                        log::info!("the window is now {width}x{height}; frames stay {}x{} (clipped or bordered by the server)", self.target.width, self.target.height);
                    }
                }
            }
        }
        Ok(step)
    }

    /// Blocks until the X socket is readable, `timeout` passes, or a signal arrives.
    fn wait(&self, timeout: Duration) -> anyhow::Result<()> {
        let fd = self.conn.stream().as_fd();
        let mut fds = [PollFd::new(fd, PollFlags::POLLIN)];
        // Rounded up: waking a little late costs less than waking early and sleeping again.
        let ms = timeout.as_micros().div_ceil(1000).max(1) as u64;
        let ms = PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX);
        match poll(&mut fds, ms) {
            Ok(_) | Err(nix::errno::Errno::EINTR) => Ok(()),
            Err(e) => bail!("waiting on the X socket failed: {e}"),
        }
    }

    /// Waits (bounded) until the server has consumed every submitted frame.
    fn drain(
        &mut self,
        transport: &mut Transport<'c, ZcxConnection>,
        stats: &mut ModeStats,
    ) -> anyhow::Result<()> {
        let deadline = Instant::now() + DRAIN_TIMEOUT;
        let mut completions = Vec::new();
        while transport.in_flight() > 0 && Instant::now() < deadline {
            if let Some(Step::WindowGone) = self.pump(transport, stats, &mut completions)? {
                return Ok(());
            }
            if transport.in_flight() > 0 {
                self.wait(LONGEST_WAIT)?;
            }
        }
        if transport.in_flight() > 0 {
            log::warn!(
                "{} frame(s) still in flight after {DRAIN_TIMEOUT:?}",
                transport.in_flight()
            );
        }
        Ok(())
    }
}

/// Reads X events into `pending` until the render job signals `done`.
fn collect_events_until(
    conn: &ZcxConnection,
    done: &EventFd,
    pending: &mut VecDeque<(Event, Instant)>,
) -> anyhow::Result<()> {
    loop {
        while let Some(event) = conn.poll_for_event().context("the X connection failed")? {
            pending.push_back((event, Instant::now()));
        }
        if done.read().is_ok() {
            return Ok(());
        }
        let mut fds = [
            PollFd::new(conn.stream().as_fd(), PollFlags::POLLIN),
            PollFd::new(done.as_fd(), PollFlags::POLLIN),
        ];
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) | Err(nix::errno::Errno::EINTR) => {}
            Err(e) => bail!("waiting for the renderer failed: {e}"),
        }
    }
}

/// Signals the X thread when the render job ends, even by panic.
struct NotifyOnDrop<'a>(&'a EventFd);

impl Drop for NotifyOnDrop<'_> {
    fn drop(&mut self) {
        if let Err(e) = self.0.write(1) {
            log::error!("cannot signal the end of rendering: {e}");
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    NextMode,
    Done,
    WindowGone,
}

/// Once-a-second terminal line and title; `_ZCX_STATS` twice a second.
struct Ticker {
    last_line: Instant,
    last_property: Instant,
    frames_since_line: u64,
}

impl Ticker {
    fn new() -> Self {
        let now = Instant::now();
        Ticker {
            last_line: now,
            last_property: now,
            frames_since_line: 0,
        }
    }

    fn frame(&mut self, p: &Producer<'_>, stats: &ModeStats) -> anyhow::Result<()> {
        self.frames_since_line += 1;
        let now = Instant::now();
        if now.duration_since(self.last_property) >= Duration::from_millis(500) {
            self.last_property = now;
            let summary = stats.summary(&p.meters);
            p.window.set_stats(&serde_json::to_string(&summary)?)?;
            if now.duration_since(self.last_line) >= Duration::from_secs(1) {
                let live_fps = self.frames_since_line as f64
                    / now.duration_since(self.last_line).as_secs_f64();
                self.last_line = now;
                self.frames_since_line = 0;
                println!("{}", stats_line(&summary));
                p.window.set_title(&format!(
                    "zcx-producer — {} — {live_fps:.1} fps — {}",
                    stats.mode(),
                    p.source_name
                ))?;
            }
        }
        Ok(())
    }
}
