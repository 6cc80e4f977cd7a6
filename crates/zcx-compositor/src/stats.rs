//! The compositor's own statistics: per composited frame the import, draw and present times
//! (hdrhistogram percentiles), process CPU per composited frame, and wake-ups while nothing
//! needed painting, made into the public `--stats-json` format, [`StatsReport`] (defined in
//! `zcx-contracts`, which zcx-bench reads it with); [`RecentRate`] gives
//! the HUD its once-a-second figures.

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use zcx_contracts::{CompositeMode, STATS_SCHEMA};
use zcx_x11::metrics::{self, CpuSample};

pub use zcx_contracts::{Percentiles, StatsReport};

/// Times of one composited frame.
#[derive(Clone, Copy, Debug, Default)]
pub struct FrameTimes {
    pub import: Duration,
    pub draw: Duration,
    pub present: Duration,
}

fn histogram() -> Histogram<u64> {
    // 1 µs to 10 min at three significant digits: constant bounds, so this cannot fail.
    Histogram::new_with_bounds(1, 600_000_000, 3)
        .unwrap_or_else(|_| unreachable!("constant bounds are valid"))
}

fn record(h: &mut Histogram<u64>, d: Duration) {
    h.saturating_record(d.as_micros().clamp(1, 600_000_000) as u64);
}

fn percentiles(h: &Histogram<u64>) -> Percentiles {
    if h.is_empty() {
        return Percentiles::default();
    }
    Percentiles {
        p50: h.value_at_quantile(0.5) as f64 / 1e3,
        p99: h.value_at_quantile(0.99) as f64 / 1e3,
    }
}

/// Accumulates everything the report needs from start to exit.
pub struct CompositorStats {
    started: Instant,
    cpu_at_start: CpuSample,
    frames: u64,
    idle_wakeups: u64,
    import_us: Histogram<u64>,
    draw_us: Histogram<u64>,
    present_us: Histogram<u64>,
    pub recent: RecentRate,
}

impl std::fmt::Debug for CompositorStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompositorStats")
            .field("frames", &self.frames)
            .field("idle_wakeups", &self.idle_wakeups)
            .finish()
    }
}

impl Default for CompositorStats {
    fn default() -> Self {
        Self::new()
    }
}

impl CompositorStats {
    pub fn new() -> Self {
        Self {
            started: Instant::now(),
            cpu_at_start: metrics::process_sample(),
            frames: 0,
            idle_wakeups: 0,
            import_us: histogram(),
            draw_us: histogram(),
            present_us: histogram(),
            recent: RecentRate::new(Instant::now()),
        }
    }

    pub fn frames(&self) -> u64 {
        self.frames
    }

    pub fn record_frame(&mut self, t: FrameTimes) {
        self.frames += 1;
        record(&mut self.import_us, t.import);
        record(&mut self.draw_us, t.draw);
        record(&mut self.present_us, t.present);
        self.recent.record(t);
    }

    pub fn record_idle_wakeup(&mut self) {
        self.idle_wakeups += 1;
    }

    pub fn report(&self, import: &str, present: &str, composite: CompositeMode) -> StatsReport {
        let duration_s = self.started.elapsed().as_secs_f64();
        let cpu = metrics::process_sample().since(&self.cpu_at_start).cpu;
        StatsReport {
            schema: STATS_SCHEMA.to_owned(),
            frames: self.frames,
            fps: if duration_s > 0.0 {
                self.frames as f64 / duration_s
            } else {
                0.0
            },
            import_ms: percentiles(&self.import_us),
            draw_ms: percentiles(&self.draw_us),
            present_ms: percentiles(&self.present_us),
            cpu_ms_per_frame: cpu.as_secs_f64() * 1e3 / self.frames.max(1) as f64,
            idle_wakeups: self.idle_wakeups,
            import: import.to_owned(),
            present: present.to_owned(),
            composite,
            duration_s,
            handoff_frames: 0,
            handoff_refused: 0,
            gl_contexts: 0,
            gl_live: false,
        }
    }
}

/// Composited fps and mean stage times over the last complete second, for the HUD.
#[derive(Clone, Copy, Debug)]
pub struct RecentRate {
    window_start: Instant,
    frames: u32,
    sum: FrameTimes,
    /// The last complete second: (fps, mean times).
    pub last: Option<(f64, FrameTimes)>,
}

impl RecentRate {
    pub const PERIOD: Duration = Duration::from_secs(1);

    pub fn new(now: Instant) -> Self {
        Self {
            window_start: now,
            frames: 0,
            sum: FrameTimes::default(),
            last: None,
        }
    }

    fn record(&mut self, t: FrameTimes) {
        self.frames += 1;
        self.sum.import += t.import;
        self.sum.draw += t.draw;
        self.sum.present += t.present;
    }

    /// Closes the current second if it is over; true when `last` changed.
    pub fn roll(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.window_start);
        if elapsed < Self::PERIOD {
            return false;
        }
        let n = self.frames.max(1);
        let mean = FrameTimes {
            import: self.sum.import / n,
            draw: self.sum.draw / n,
            present: self.sum.present / n,
        };
        self.last = Some((f64::from(self.frames) / elapsed.as_secs_f64(), mean));
        *self = Self {
            window_start: now,
            frames: 0,
            sum: FrameTimes::default(),
            last: self.last,
        };
        true
    }

    /// When the current second ends (the HUD refreshes once more then, even when idle).
    pub fn deadline(&self) -> Instant {
        self.window_start + Self::PERIOD
    }

    /// Frames counted in the current, unfinished second.
    pub fn pending_frames(&self) -> u32 {
        self.frames
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_has_percentiles_in_ms_and_names() {
        let mut s = CompositorStats::new();
        for ms in [1u64, 2, 3, 4, 100] {
            let d = Duration::from_millis(ms);
            s.record_frame(FrameTimes {
                import: d,
                draw: d,
                present: d,
            });
        }
        s.record_idle_wakeup();
        let r = s.report("shm-get-image", "shm-put", CompositeMode::ServerCopy);
        assert_eq!(r.schema, STATS_SCHEMA);
        assert_eq!(r.frames, 5);
        assert_eq!(r.idle_wakeups, 1);
        assert!((r.import_ms.p50 - 3.0).abs() < 0.01, "{:?}", r.import_ms);
        assert!((r.draw_ms.p99 - 100.0).abs() < 0.1, "{:?}", r.draw_ms);
        let json = serde_json::to_value(&r).expect("serializable");
        for key in [
            "frames",
            "fps",
            "import_ms",
            "draw_ms",
            "present_ms",
            "cpu_ms_per_frame",
            "idle_wakeups",
            "import",
            "present",
            "composite",
            "duration_s",
        ] {
            assert!(json.get(key).is_some(), "missing {key}");
        }
        assert!(json["present_ms"].get("p99").is_some());
    }

    #[test]
    fn recent_rate_closes_a_second() {
        let t0 = Instant::now();
        let mut r = RecentRate::new(t0);
        for i in 0..10 {
            assert!(!r.roll(t0 + Duration::from_millis(i * 50)));
            r.record(FrameTimes {
                draw: Duration::from_millis(2),
                ..Default::default()
            });
        }
        assert!(r.last.is_none());
        assert!(r.roll(t0 + Duration::from_secs(1)));
        let (fps, mean) = r.last.expect("closed");
        assert!((fps - 10.0).abs() < 0.01);
        assert_eq!(mean.draw, Duration::from_millis(2));
        assert_eq!(r.pending_frames(), 0);
    }
}
