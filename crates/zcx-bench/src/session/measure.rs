//! One producer alone under one compositor, observed: what `zcx demo` measures per row and
//! `zcx bench` per cell, with one definition of every figure. The producer starts unscaled at
//! (0, 0), the compositor (`--layout normal --no-hud`, plus the caller's arguments) redirects
//! it, and after a settling second, once the observer has seen the producer's frames change on
//! the screen, the interval opens: the /proc counters of the producer,
//! the X server (its pid from SO_PEERCRED) and the compositor are read, the observer watches
//! the screen for the duration, and the counters are read again. The run's figures are those
//! differences and what the observer saw ([`Interval`]); nothing else shares the interval, so
//! the X server's and the compositor's work can be charged to this one producer.

use std::os::fd::AsFd as _;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use zcx_contracts::StatsReport;
use zcx_producer::transport::Mode;
use zcx_x11::metrics::{self, CpuSample, ProcCounters};
use zcx_x11::ZcxConnection;

use super::compositor::{
    CompositorChoice, RunningCompositor, ZcxLook, REDIRECT_WAIT, START_MARGIN,
};
use super::display::wait_unless_stopped;
use super::producer::{place_window, start_producer, ProducerSpec};
use crate::observer::{observe, wait_for_frames, Observation, ObserverConfig};
use crate::report::{DesignCopies, Interval, Run, Spent};

/// How long a compositor gets to start (and a producer to warm up) before the interval.
pub const SETTLE: Duration = Duration::from_secs(1);
/// How long zcx-compositor gets to finish its last frame and exit by its `--duration` (a 4K
/// frame on llvmpipe under load takes up to a second or two).
pub const EXIT_WAIT: Duration = Duration::from_secs(6);
/// How long the producer's frames may take to reach the screen after the settling second (a
/// compositor still starting: picom's GLX back end, anything under an emulated CPU).
pub const FRAMES_WAIT: Duration = Duration::from_secs(30);
/// Distinct frames the observer must see on the screen before the interval opens.
const FIRST_FRAMES: usize = 3;

/// What every measurement of one session shares.
pub struct Context<'a> {
    pub conn: &'a ZcxConnection,
    pub screen_num: usize,
    pub display: &'a str,
    pub dir: &'a Path,
    pub stop: &'a AtomicBool,
    /// The X server's /proc counters, when its pid is known and readable.
    pub server: Option<ProcCounters>,
}

impl<'a> Context<'a> {
    pub fn new(
        conn: &'a ZcxConnection,
        screen_num: usize,
        display: &'a str,
        dir: &'a Path,
        stop: &'a AtomicBool,
    ) -> Context<'a> {
        let server = metrics::peer_pid(conn.stream().as_fd()).and_then(ProcCounters::open);
        if server.is_none() {
            log::warn!("the X server's /proc counters are not readable: no X CPU figures");
        }
        Context {
            conn,
            screen_num,
            display,
            dir,
            stop,
            server,
        }
    }
}

/// One measurement: a producer alone under a compositor.
#[derive(Debug, Clone)]
pub struct Alone<'a> {
    /// The run's name in the report.
    pub name: String,
    pub mode: Mode,
    /// `zcx-producer` arguments besides `--mode` and `--display`.
    pub producer_args: Vec<String>,
    pub compositor: &'a CompositorChoice,
    /// zcx-compositor arguments besides the layout, HUD and duration.
    pub compositor_args: Vec<String>,
    pub duration: Duration,
    /// Names this measurement's files (`producer-<mode>-<tag>.json`,
    /// `compositor-<mode>-<tag>.{json,log}`).
    pub tag: String,
    pub rep: u32,
    pub copies: Option<DesignCopies>,
}

/// The /proc counters of the three parties, read together.
struct Parties<'a> {
    producer: Option<ProcCounters>,
    server: Option<&'a ProcCounters>,
    compositor: Option<&'a ProcCounters>,
}

impl Parties<'_> {
    fn sample(&self) -> [Option<CpuSample>; 3] {
        [
            self.producer.as_ref().and_then(ProcCounters::sample),
            self.server.and_then(ProcCounters::sample),
            self.compositor.and_then(ProcCounters::sample),
        ]
    }
}

fn spent(before: [Option<CpuSample>; 3], after: [Option<CpuSample>; 3]) -> [Option<Spent>; 3] {
    let mut out = [None; 3];
    for (o, (b, a)) in out.iter_mut().zip(before.into_iter().zip(after)) {
        *o = b.zip(a).map(|(b, a)| {
            let d = a.since(&b);
            Spent {
                cpu_ms: d.cpu.as_secs_f64() * 1e3,
                ctx_switches: d.ctx_switches,
            }
        });
    }
    out
}

/// Runs `m`: the producer alone under its compositor, observed for its duration.
pub fn measure_alone(ctx: &Context<'_>, m: &Alone<'_>) -> anyhow::Result<Run> {
    let tag = format!("-{}", m.tag);
    let spec = ProducerSpec {
        display: ctx.display,
        mode: m.mode,
        out_dir: ctx.dir,
        tag: &tag,
        extra: &m.producer_args,
    };
    let mut producer = start_producer(ctx.conn, ctx.screen_num, &spec, ctx.stop)?;
    place_window(ctx.conn, &mut producer, 0)?;
    let look = ZcxLook {
        side_by_side: false,
        hud: false,
        decorations: false,
        // A safety net: it is stopped (SIGTERM, statistics written) when the interval ends.
        duration: Some(SETTLE + FRAMES_WAIT + m.duration + START_MARGIN),
        extra: &m.compositor_args,
    };
    let mut compositor =
        RunningCompositor::start(m.compositor, ctx.display, ctx.dir, &m.tag, look)?;
    match compositor.as_mut() {
        Some(c) => {
            c.wait_redirected(ctx.conn, &[producer.window.id], REDIRECT_WAIT, ctx.stop)?;
            c.check_started(SETTLE)?;
        }
        None => {
            wait_unless_stopped(SETTLE, ctx.stop);
        }
    }
    let window = producer.window.id;
    let shown = wait_for_frames(
        ctx.conn,
        ctx.screen_num,
        window,
        FIRST_FRAMES,
        FRAMES_WAIT,
        ctx.stop,
    );
    if !shown && !ctx.stop.load(std::sync::atomic::Ordering::Relaxed) {
        log::warn!(
            "{}: no frame of the producer reached the screen within {FRAMES_WAIT:?}; measuring what the screen shows",
            m.name
        );
    }
    let parties = Parties {
        producer: ProcCounters::open(producer.child.pid() as i32),
        server: ctx.server.as_ref(),
        compositor: compositor.as_ref().and_then(RunningCompositor::counters),
    };
    let config = ObserverConfig {
        duration: m.duration,
        ..Default::default()
    };
    let start = Instant::now();
    let before = parties.sample();
    let obs = observe(ctx.conn, ctx.screen_num, &config, ctx.stop);
    let after = parties.sample();
    let seconds = start.elapsed().as_secs_f64();
    let stats = match compositor {
        Some(c) => c.finish()?,
        None => None,
    };
    let mut run = producer.into_run(Some(&obs), &m.compositor.name(), m.rep)?;
    run.name.clone_from(&m.name);
    run.copies.clone_from(&m.copies);
    let interval = interval(&obs, window, seconds, spent(before, after), m.compositor);
    attribute_compositor(&mut run, stats, &interval);
    run.per_screen_frame = Some(interval.per_screen_frame());
    run.interval = Some(interval);
    Ok(run)
}

fn interval(
    obs: &Observation,
    window: u32,
    seconds: f64,
    spent: [Option<Spent>; 3],
    compositor: &CompositorChoice,
) -> Interval {
    let frames = obs
        .windows
        .iter()
        .find(|w| w.window == window)
        .map_or(&[][..], |w| &w.frames[..]);
    let composited = *compositor != CompositorChoice::None;
    Interval::new(seconds, obs.rounds_per_s, frames, spent, composited)
}

/// The compositor's own view: CPU per composited frame from zcx-compositor's statistics, else
/// (peers) its interval CPU per frame on screen; and its CPU in percent of one core.
fn attribute_compositor(run: &mut Run, stats: Option<StatsReport>, interval: &Interval) {
    let from_stats = stats.as_ref().map(|s| s.cpu_ms_per_frame);
    let per_seen = interval.per_screen_frame().compositor_cpu_ms;
    run.compositor_cpu_ms_per_frame = from_stats.or(per_seen);
    run.compositor_cpu_percent = interval
        .compositor
        .map(|c| c.cpu_ms / 10.0 / interval.seconds.max(1e-9));
    run.compositor_stats = stats;
}

/// The CPU time of a memcpy of one frame of `bytes`, measured here: the fastest of 15 copies
/// after 3 unmeasured ones (buffers pre-faulted; the thread's CPU clock). The fastest, because
/// a copy has an intrinsic cost that load, a cold cache or a slow first touch only add to: on
/// the 2-vCPU VM single copies ranged from 2.3 to 4.6 ms, falling over the first few. The unit
/// in which the report counts the X server's CPU per frame as copies, and one copy in a
/// one-copy path's floor.
pub fn memcpy_ms(bytes: usize) -> f64 {
    let src = vec![1u8; bytes];
    let mut dst = vec![0u8; bytes];
    for _ in 0..3 {
        dst.copy_from_slice(std::hint::black_box(&src));
    }
    (0..15)
        .map(|_| {
            let t = metrics::thread_cpu_time();
            dst.copy_from_slice(std::hint::black_box(&src));
            std::hint::black_box(&dst);
            metrics::thread_cpu_time().saturating_sub(t).as_secs_f64() * 1e3
        })
        .fold(f64::INFINITY, f64::min)
}
