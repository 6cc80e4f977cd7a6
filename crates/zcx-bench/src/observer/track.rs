//! Turning stamp samples of one window into what reached the screen (pure, unit-tested):
//! distinct frames with the time each was first seen, end-to-end latency, frames never seen
//! (gaps in frame numbers), torn samples (top ≠ bottom) and samples without a stamp.

use serde::{Deserialize, Serialize};
use zcx_x11::stamp::{Stamp, StampError};

use crate::stats::Percentiles;

/// One observation of a window's two stamp rows, at `observed_ns` (CLOCK_MONOTONIC).
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub observed_ns: u64,
    pub top: Result<Stamp, StampError>,
    pub bottom: Result<Stamp, StampError>,
}

/// One distinct frame seen on screen (a `frames.csv` row without the run columns).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObservedFrame {
    pub frame: u64,
    pub first_seen_ns: u64,
    pub stamp_ns: u64,
    pub latency_ms: f64,
    /// Seen at least once with different top and bottom stamps.
    pub torn: bool,
}

/// What one window delivered to the screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowSummary {
    pub samples: u64,
    pub samples_without_stamp: u64,
    pub torn_samples: u64,
    pub distinct_frames: u64,
    pub delivered_fps: Option<f64>,
    pub latency_ms: Option<Percentiles>,
    pub dropped_frames: u64,
    pub torn_frames: u64,
    pub first_frame: Option<u64>,
    pub last_frame: Option<u64>,
}

/// Accumulates the samples of one window.
#[derive(Debug, Default, Clone)]
pub struct Track {
    samples: u64,
    without_stamp: u64,
    torn_samples: u64,
    frames: Vec<ObservedFrame>,
    first_sample_ns: Option<u64>,
    last_sample_ns: u64,
}

impl Track {
    /// Adds one sample. A frame counts once, when first seen (by its top stamp, which the
    /// producer writes first; a torn sample still shows a new top frame).
    pub fn add(&mut self, s: &Sample) {
        self.samples += 1;
        self.first_sample_ns.get_or_insert(s.observed_ns);
        self.last_sample_ns = s.observed_ns;
        let (top, bottom) = match (&s.top, &s.bottom) {
            (Ok(t), Ok(b)) => (*t, *b),
            _ => {
                self.without_stamp += 1;
                return;
            }
        };
        let torn = top != bottom;
        self.torn_samples += u64::from(torn);
        if let Some(last) = self.frames.last_mut() {
            if last.frame == top.frame {
                last.torn |= torn;
                return;
            }
            if top.frame < last.frame {
                // An older frame again (a producer restarted, or a stale copy): not new.
                return;
            }
        }
        self.frames.push(ObservedFrame {
            frame: top.frame,
            first_seen_ns: s.observed_ns,
            stamp_ns: top.monotonic_ns,
            latency_ms: s.observed_ns.saturating_sub(top.monotonic_ns) as f64 / 1e6,
            torn,
        });
    }

    pub fn frames(&self) -> &[ObservedFrame] {
        &self.frames
    }

    /// The figures so far. Delivered fps is distinct frames over the time between the first
    /// and the last new frame seen.
    pub fn summary(&self) -> WindowSummary {
        let n = self.frames.len() as u64;
        let fps = match (self.frames.first(), self.frames.last()) {
            (Some(a), Some(b)) if n >= 2 && b.first_seen_ns > a.first_seen_ns => {
                Some((n - 1) as f64 / ((b.first_seen_ns - a.first_seen_ns) as f64 / 1e9))
            }
            _ => None,
        };
        let latencies: Vec<f64> = self.frames.iter().map(|f| f.latency_ms).collect();
        let dropped = self
            .frames
            .windows(2)
            .map(|w| w[1].frame - w[0].frame - 1)
            .sum();
        WindowSummary {
            samples: self.samples,
            samples_without_stamp: self.without_stamp,
            torn_samples: self.torn_samples,
            distinct_frames: n,
            delivered_fps: fps,
            latency_ms: Percentiles::of(&latencies),
            dropped_frames: dropped,
            torn_frames: self.frames.iter().filter(|f| f.torn).count() as u64,
            first_frame: self.frames.first().map(|f| f.frame),
            last_frame: self.frames.last().map(|f| f.frame),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observer::screen::{sample_rows, FakeScreen, RowReader};
    use crate::observer::WindowGeometry;

    const MS: u64 = 1_000_000;

    fn stamp(frame: u64) -> Stamp {
        Stamp {
            frame,
            monotonic_ns: frame * 16 * MS,
        }
    }

    fn geom() -> WindowGeometry {
        WindowGeometry {
            x: 10,
            y: 5,
            width: 40,
            height: 20,
        }
    }

    /// A 100x50 screen with a window at (10,5) 40x20 showing `top` and `bottom` stamps.
    fn screen(top: Option<Stamp>, bottom: Option<Stamp>) -> FakeScreen {
        let mut s = FakeScreen::new(100, 50, 0x0030_3030);
        let g = geom();
        if let Some(t) = top {
            s.put(g.x, g.y, &t.to_pixels());
        }
        if let Some(b) = bottom {
            s.put(g.x, g.y + g.height as i32 - 1, &b.to_pixels());
        }
        s
    }

    fn observe(track: &mut Track, scr: &mut FakeScreen, at_ns: u64) {
        let (top, bottom) = sample_rows(scr, &geom()).unwrap();
        track.add(&Sample {
            observed_ns: at_ns,
            top,
            bottom,
        });
    }

    #[test]
    fn decodes_frames_latency_and_fps_from_a_synthetic_screen() {
        let mut t = Track::default();
        for f in 0..10u64 {
            let mut scr = screen(Some(stamp(f)), Some(stamp(f)));
            // Two samples per frame; the first 5 ms after the stamp.
            observe(&mut t, &mut scr, f * 16 * MS + 5 * MS);
            observe(&mut t, &mut scr, f * 16 * MS + 10 * MS);
        }
        let s = t.summary();
        assert_eq!(
            (s.samples, s.distinct_frames, s.dropped_frames),
            (20, 10, 0)
        );
        assert_eq!(s.latency_ms.unwrap().p50, 5.0);
        let fps = s.delivered_fps.unwrap();
        assert!((fps - 62.5).abs() < 1e-9, "{fps}");
        assert_eq!((s.first_frame, s.last_frame), (Some(0), Some(9)));
    }

    #[test]
    fn torn_missing_and_dropped_frames() {
        let mut t = Track::default();
        observe(&mut t, &mut screen(Some(stamp(1)), Some(stamp(1))), 20 * MS);
        // Frame 2 is torn: the top shows it, the bottom still frame 1.
        observe(&mut t, &mut screen(Some(stamp(2)), Some(stamp(1))), 40 * MS);
        observe(&mut t, &mut screen(Some(stamp(2)), Some(stamp(2))), 45 * MS);
        // Nothing readable: covered, scaled or not yet drawn.
        observe(&mut t, &mut screen(None, None), 50 * MS);
        observe(&mut t, &mut screen(Some(stamp(3)), None), 55 * MS);
        // Frames 3 and 4 never seen whole: 5 follows 2.
        observe(&mut t, &mut screen(Some(stamp(5)), Some(stamp(5))), 90 * MS);
        // A damaged stamp (a bit flipped) does not count as a frame.
        let mut bad = screen(Some(stamp(6)), Some(stamp(6)));
        let g = geom();
        bad.put(g.x + 2, g.y, &[0x0000_0001]);
        observe(&mut t, &mut bad, 100 * MS);
        let s = t.summary();
        assert_eq!(s.samples, 7);
        assert_eq!(s.samples_without_stamp, 3);
        assert_eq!((s.torn_samples, s.torn_frames), (1, 1));
        assert_eq!(s.distinct_frames, 3);
        assert_eq!(s.dropped_frames, 2);
        assert!(t.frames()[1].torn && !t.frames()[0].torn);
    }

    #[test]
    fn old_frames_do_not_count_again_and_empty_tracks_have_no_rates() {
        let mut t = Track::default();
        assert_eq!(t.summary().delivered_fps, None);
        assert_eq!(t.summary().latency_ms, None);
        observe(
            &mut t,
            &mut screen(Some(stamp(7)), Some(stamp(7))),
            200 * MS,
        );
        observe(
            &mut t,
            &mut screen(Some(stamp(3)), Some(stamp(3))),
            210 * MS,
        );
        let s = t.summary();
        assert_eq!(s.distinct_frames, 1);
        assert_eq!(s.delivered_fps, None);
    }

    #[test]
    fn windows_partly_off_screen_are_unreadable_not_errors() {
        let mut scr = FakeScreen::new(30, 10, 0);
        let g = WindowGeometry {
            x: 25,
            y: 0,
            width: 40,
            height: 20,
        };
        assert!(sample_rows(&mut scr, &g).is_none());
        assert!(scr.read_row(25, 0, 8).is_none());
    }
}
