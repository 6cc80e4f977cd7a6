//! The screen observer: finds producer windows (WM_CLASS `zcx-producer`), samples their stamp
//! rows on the *screen* (8×1 GetImage reads of the root at each window's first and last row)
//! at a fixed rate, and measures what reached the screen per window: delivered fps, end-to-end
//! latency (stamp's CLOCK_MONOTONIC to observation), frames never seen and torn frames. It
//! works the same under any compositor or none; a scaled or covered window shows as samples
//! without a stamp. It also measures its own CPU cost.

pub mod screen;
pub mod track;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use x11rb::connection::Connection;
use zcx_x11::metrics::thread_cpu_time;
use zcx_x11::stamp::monotonic_now_ns;

pub use screen::WindowGeometry;
use screen::{find_producer_windows, sample_rows, RootReader};
pub use track::{ObservedFrame, Sample, Track, WindowSummary};

/// How far behind its schedule the sampling loop may fall before it stops catching up.
const MAX_BACKLOG: Duration = Duration::from_millis(100);

/// How to observe.
#[derive(Debug, Clone)]
pub struct ObserverConfig {
    pub samples_per_s: u32,
    pub duration: Duration,
    /// How often to look for new or moved windows.
    pub rescan: Duration,
}

impl Default for ObserverConfig {
    fn default() -> Self {
        ObserverConfig {
            samples_per_s: 250,
            duration: Duration::from_secs(5),
            rescan: Duration::from_millis(500),
        }
    }
}

/// One window's observation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ObservedWindow {
    pub window: u32,
    pub geometry: WindowGeometry,
    pub summary: WindowSummary,
    pub frames: Vec<ObservedFrame>,
}

/// The whole observation, with the observer's own cost.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Observation {
    pub duration_s: f64,
    pub sampling_rounds: u64,
    pub rounds_per_s: f64,
    pub observer_cpu_ms: f64,
    /// The observer thread's CPU time over wall time, in percent of one core.
    pub observer_cpu_percent: f64,
    pub windows: Vec<ObservedWindow>,
}

/// Observes the screen of `conn` until `config.duration` passes or `stop` is set.
pub fn observe(
    conn: &impl Connection,
    screen_num: usize,
    config: &ObserverConfig,
    stop: &AtomicBool,
) -> Observation {
    let root = conn.setup().roots[screen_num].root;
    let mut reader = RootReader::new(conn, screen_num);
    let period = Duration::from_secs_f64(1.0 / f64::from(config.samples_per_s.max(1)));
    let start = Instant::now();
    let cpu_start = thread_cpu_time();
    let mut windows = Tracked::new();
    let (mut next_scan, mut next_round, mut rounds) = (start, start, 0u64);
    while !stop.load(Ordering::Relaxed) && start.elapsed() < config.duration {
        if Instant::now() >= next_scan {
            rescan(conn, root, &mut windows);
            next_scan += config.rescan;
        }
        sample_round(&mut reader, &mut windows);
        rounds += 1;
        next_round += period;
        // A GetImage waits behind whatever the X server is doing (a 4K blit takes ms), so a
        // late round is followed by rounds back to back until the schedule is met again;
        // only a backlog longer than MAX_BACKLOG is forgiven.
        let now = Instant::now();
        match next_round.checked_duration_since(now) {
            Some(wait) => std::thread::sleep(wait),
            None if now - next_round > MAX_BACKLOG => next_round = now,
            None => {}
        }
    }
    let wall = start.elapsed().as_secs_f64();
    let cpu_ms = thread_cpu_time().saturating_sub(cpu_start).as_secs_f64() * 1e3;
    Observation {
        duration_s: wall,
        sampling_rounds: rounds,
        rounds_per_s: rounds as f64 / wall.max(1e-9),
        observer_cpu_ms: cpu_ms,
        observer_cpu_percent: cpu_ms / 10.0 / wall.max(1e-9),
        windows: windows
            .into_iter()
            .map(|(id, (geometry, track))| ObservedWindow {
                window: id,
                geometry,
                summary: track.summary(),
                frames: track.frames().to_vec(),
            })
            .collect(),
    }
}

/// Samples `window`'s stamp rows on the screen until `frames` distinct whole frames (top and
/// bottom stamp equal) were seen: true then, false when `limit` passed or `stop` was set first.
/// A measurement opens its interval only once its producer's frames reach the screen, however
/// long the compositor takes to start (picom's GLX back end, zcx-compositor under an emulated
/// CPU).
pub fn wait_for_frames(
    conn: &impl Connection,
    screen_num: usize,
    window: u32,
    frames: usize,
    limit: Duration,
    stop: &AtomicBool,
) -> bool {
    let root = conn.setup().roots[screen_num].root;
    let mut reader = RootReader::new(conn, screen_num);
    let config = ObserverConfig::default();
    let period = Duration::from_secs_f64(1.0 / f64::from(config.samples_per_s));
    let start = Instant::now();
    let (mut geometry, mut next_scan) = (None, start);
    let mut seen = std::collections::BTreeSet::new();
    while seen.len() < frames {
        if stop.load(Ordering::Relaxed) || start.elapsed() >= limit {
            return false;
        }
        if Instant::now() >= next_scan {
            geometry = find_producer_windows(conn, root)
                .into_iter()
                .find(|w| w.id == window)
                .map(|w| w.geometry);
            next_scan += config.rescan;
        }
        if let Some((Ok(top), Ok(bottom))) = geometry.and_then(|g| sample_rows(&mut reader, &g)) {
            if top == bottom {
                seen.insert(top.frame);
            }
        }
        std::thread::sleep(period);
    }
    true
}

type Tracked = BTreeMap<u32, (WindowGeometry, Track)>;

/// Adds new producer windows and follows moved ones.
fn rescan(conn: &impl Connection, root: u32, windows: &mut Tracked) {
    for w in find_producer_windows(conn, root) {
        windows
            .entry(w.id)
            .or_insert_with(|| (w.geometry, Track::default()))
            .0 = w.geometry;
    }
}

/// One sample of every tracked window's stamp rows.
fn sample_round(reader: &mut impl screen::RowReader, windows: &mut Tracked) {
    for (geometry, track) in windows.values_mut() {
        let rows = sample_rows(reader, geometry);
        let observed_ns = monotonic_now_ns();
        let (top, bottom) = rows.unwrap_or((
            Err(zcx_x11::stamp::StampError::NoRows),
            Err(zcx_x11::stamp::StampError::NoRows),
        ));
        track.add(&Sample {
            observed_ns,
            top,
            bottom,
        });
    }
}
