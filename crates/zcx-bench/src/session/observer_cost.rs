//! What the observer's own reads cost the X server, measured once per session before the
//! measurements: every row's X CPU includes serving the observer (a grab, two 8×1 GetImages
//! and an ungrab per window, 250 rounds a second), and a report should say how much of it is
//! the measurement's rather than the path's. One producer window that changes once a second is
//! put on the screen; the X server's CPU (/proc) over a quiet stretch is set against the same
//! stretch with the observer sampling, and the difference per second is the observer's cost.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use zcx_producer::transport::Mode;
use zcx_x11::metrics::ProcCounters;

use super::display::wait_unless_stopped;
use super::measure::Context;
use super::producer::{start_producer, ProducerSpec};
use crate::observer::{observe, wait_for_frames, ObserverConfig};
use crate::report::ObserverCost;

/// How long each of the two stretches lasts.
const STRETCH: Duration = Duration::from_secs(2);

/// Measures it on `ctx`'s display; `None` (with a log line saying why) where the X server's
/// /proc is unreadable, the producer does not show, or the session is stopped.
pub fn measure(ctx: &Context<'_>) -> Option<ObserverCost> {
    let server = ctx.server.as_ref()?;
    let extra: Vec<String> = ["--size", "320x240", "--fps", "1", "--warmup", "0"]
        .map(String::from)
        .into();
    let spec = ProducerSpec {
        display: ctx.display,
        mode: Mode::PutImage,
        out_dir: ctx.dir,
        tag: "-observer-cost",
        extra: &extra,
    };
    let producer = match start_producer(ctx.conn, ctx.screen_num, &spec, ctx.stop) {
        Ok(p) => p,
        Err(e) => {
            log::warn!("the observer's cost to the X server is not measured: {e:#}");
            return None;
        }
    };
    let cost = measure_with(ctx, server, producer.window.id);
    // Its summary is not a run of the report: stopped, then removed.
    let summary = producer.summary_path.clone();
    drop(producer);
    let _ = std::fs::remove_file(summary);
    cost.filter(|_| !ctx.stop.load(Ordering::Relaxed))
}

/// Two stretches with `window` on the screen: quiet, then observed.
fn measure_with(ctx: &Context<'_>, server: &ProcCounters, window: u32) -> Option<ObserverCost> {
    let limit = Duration::from_secs(10);
    if !wait_for_frames(ctx.conn, ctx.screen_num, window, 1, limit, ctx.stop) {
        log::warn!("the observer's cost to the X server is not measured: no frame was seen");
        return None;
    }
    let (quiet, ()) = per_second(server, || {
        wait_unless_stopped(STRETCH, ctx.stop);
    })?;
    let config = ObserverConfig {
        duration: STRETCH,
        ..Default::default()
    };
    let (observing, obs) = per_second(server, || {
        observe(ctx.conn, ctx.screen_num, &config, ctx.stop)
    })?;
    Some(ObserverCost {
        server_ms_per_s: (observing - quiet).max(0.0),
        rounds_per_s: obs.rounds_per_s,
    })
}

/// The X server's CPU ms per second while `f` runs, and what `f` returned.
fn per_second<T>(server: &ProcCounters, f: impl FnOnce() -> T) -> Option<(f64, T)> {
    let before = server.sample()?;
    let start = Instant::now();
    let out = f();
    let after = server.sample()?;
    let ms = after.since(&before).cpu.as_secs_f64() * 1e3;
    Some((ms / start.elapsed().as_secs_f64().max(1e-9), out))
}
