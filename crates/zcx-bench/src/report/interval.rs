//! One row's figures, all taken from its interval (the observation window of one producer
//! running alone): CPU time and context switches of the producer, the X server and the
//! compositor read from /proc at both ends, what the observer saw (distinct frames, its own
//! sampling rate) and the producer's frame numbers from the stamps it saw (so the producer's
//! rate is checked from outside, over the same interval). Everything per frame is per frame
//! that reached the screen; the headline is the sum, end-to-end CPU per frame on screen.
//! Also the path's design count of copies per frame, which is a statement, not a measurement.

use serde::{Deserialize, Serialize};
use zcx_producer::transport::Mode;

use crate::observer::ObservedFrame;

/// What one process spent over an interval (/proc, all its threads).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Spent {
    pub cpu_ms: f64,
    pub ctx_switches: u64,
}

/// The raw counts of one row's interval.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// The observation's wall time.
    pub seconds: f64,
    /// Sampling rounds per second the observer achieved (it cannot see more frames than this).
    pub sampling_rounds_per_s: f64,
    /// Distinct frames of the producer the observer saw on the screen.
    pub screen_frames: u64,
    /// Producer frames made between the first and the last frame seen (stamp numbers).
    pub producer_frames: Option<u64>,
    /// `producer_frames` over the stamps' own clock between those two frames.
    pub producer_fps: Option<f64>,
    pub producer: Option<Spent>,
    pub server: Option<Spent>,
    /// `None` with no compositor (or when its /proc could not be read).
    pub compositor: Option<Spent>,
    /// Whether a compositor ran (so a missing `compositor` means unreadable, not zero).
    pub composited: bool,
}

/// Every figure of a row per frame that reached the screen.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PerScreenFrame {
    /// The headline: (producer + X server + compositor CPU) / frames seen on the screen.
    pub end_to_end_cpu_ms: Option<f64>,
    pub producer_cpu_ms: Option<f64>,
    pub server_cpu_ms: Option<f64>,
    pub compositor_cpu_ms: Option<f64>,
    pub producer_ctx_switches: Option<f64>,
    pub server_ctx_switches: Option<f64>,
    pub compositor_ctx_switches: Option<f64>,
}

/// The copies a frame takes on its way to the screen by the path's design (named one by
/// one), as opposed to what was measured.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DesignCopies {
    pub count: usize,
    pub copies: Vec<String>,
}

impl DesignCopies {
    pub fn new(copies: &[&str]) -> DesignCopies {
        DesignCopies {
            count: copies.len(),
            copies: copies.iter().map(|&c| c.to_owned()).collect(),
        }
    }
}

/// The copy the compositor makes of a window onto the screen (left out with no compositor).
pub const COMPOSITOR_COPY: &str = "compositor copy to the screen";
/// put-image under a compositor.
pub const PUT_IMAGE_COPIES: &[&str] = &[
    "socket write",
    "socket read",
    "blit into the window",
    COMPOSITOR_COPY,
];
/// shm-put under a compositor.
pub const SHM_PUT_COPIES: &[&str] = &[
    "blit from the shared segment into the window pixmap",
    COMPOSITOR_COPY,
];
/// shm-pixmap shown with Present under a compositor.
pub const SHM_PIXMAP_PRESENT_COPIES: &[&str] = &["Present copy into the window", COMPOSITOR_COPY];
/// dri3 on a server whose Present copies (every server under a compositor; the DRI3 test
/// server always): the server copies the dma-buf into the window, the compositor copies that.
pub const DRI3_PRESENT_COPIES: &[&str] = &["Present copy into the window", COMPOSITOR_COPY];
/// shm-pixmap handed to zcx-compositor (README "Frame handoff"): it copies the shared pixmap
/// straight to the screen.
pub const SHM_PIXMAP_HANDOFF_COPIES: &[&str] = &[COMPOSITOR_COPY];

/// The copies a frame of `mode` takes by design under a compositor, presented into its window
/// (producer defaults, `--handoff off`); `None` where the count depends on the server (dri3).
pub fn copies_of(mode: Mode) -> Option<&'static [&'static str]> {
    match mode {
        Mode::PutImage => Some(PUT_IMAGE_COPIES),
        Mode::ShmPut => Some(SHM_PUT_COPIES),
        Mode::ShmPixmap => Some(SHM_PIXMAP_PRESENT_COPIES),
        Mode::Dri3 => None,
    }
}

/// [`copies_of`] `mode`, with or without a compositor.
pub fn design_copies(mode: Mode, composited: bool) -> Option<DesignCopies> {
    copies_of(mode).map(|all| without_compositor_copy(all, composited))
}

/// `copies`, leaving out [`COMPOSITOR_COPY`] when nothing composites.
pub fn without_compositor_copy(copies: &[&str], composited: bool) -> DesignCopies {
    let kept: Vec<&str> = copies
        .iter()
        .copied()
        .filter(|&c| composited || c != COMPOSITOR_COPY)
        .collect();
    DesignCopies::new(&kept)
}

impl Interval {
    /// The interval from the observer's frames of one window and the /proc differences.
    pub fn new(
        seconds: f64,
        sampling_rounds_per_s: f64,
        frames: &[ObservedFrame],
        [producer, server, compositor]: [Option<Spent>; 3],
        composited: bool,
    ) -> Interval {
        let (producer_frames, producer_fps) = match (frames.first(), frames.last()) {
            (Some(a), Some(b)) if b.frame > a.frame => {
                let n = b.frame - a.frame;
                let span_s = b.stamp_ns.saturating_sub(a.stamp_ns) as f64 / 1e9;
                (Some(n), (span_s > 0.0).then(|| n as f64 / span_s))
            }
            _ => (None, None),
        };
        Interval {
            seconds,
            sampling_rounds_per_s,
            screen_frames: frames.len() as u64,
            producer_frames,
            producer_fps,
            producer,
            server,
            compositor,
            composited,
        }
    }

    /// Every figure per frame seen on the screen (none when no frame was seen).
    pub fn per_screen_frame(&self) -> PerScreenFrame {
        let n = self.screen_frames as f64;
        let per = |s: Option<Spent>, f: fn(Spent) -> f64| s.filter(|_| n > 0.0).map(|s| f(s) / n);
        let cpu = |s| per(s, |s| s.cpu_ms);
        let ctx = |s| per(s, |s| s.ctx_switches as f64);
        // No compositor costs nothing; an unreadable one leaves the sum unknown.
        let compositor_cpu = if self.composited {
            cpu(self.compositor)
        } else {
            Some(0.0).filter(|_| n > 0.0)
        };
        PerScreenFrame {
            end_to_end_cpu_ms: cpu(self.producer)
                .zip(cpu(self.server))
                .zip(compositor_cpu)
                .map(|((p, s), c)| p + s + c),
            producer_cpu_ms: cpu(self.producer),
            server_cpu_ms: cpu(self.server),
            compositor_cpu_ms: cpu(self.compositor),
            producer_ctx_switches: ctx(self.producer),
            server_ctx_switches: ctx(self.server),
            compositor_ctx_switches: ctx(self.compositor),
        }
    }

    /// Whether the on-screen rate is within 10% of the observer's sampling rate, so the
    /// observer may have missed frames and the rate is a lower bound.
    pub fn sampling_limited(&self, screen_fps: f64) -> bool {
        self.sampling_rounds_per_s > 0.0 && screen_fps >= 0.9 * self.sampling_rounds_per_s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(frame: u64, ms: u64) -> ObservedFrame {
        ObservedFrame {
            frame,
            first_seen_ns: ms * 1_000_000 + 5_000_000,
            stamp_ns: ms * 1_000_000,
            latency_ms: 5.0,
            torn: false,
        }
    }

    fn spent(cpu_ms: f64, ctx_switches: u64) -> Option<Spent> {
        Some(Spent {
            cpu_ms,
            ctx_switches,
        })
    }

    #[test]
    fn per_screen_frame_sums_the_three_parties_over_frames_seen() {
        // 5 frames seen of 9 made (1..=9 in 800 ms of stamps): producer at 10 fps.
        let frames: Vec<_> = [1, 3, 5, 7, 9].iter().map(|&f| frame(f, f * 100)).collect();
        let spent = [spent(10.0, 5), spent(20.0, 50), spent(5.0, 10)];
        let i = Interval::new(1.0, 250.0, &frames, spent, true);
        assert_eq!((i.screen_frames, i.producer_frames), (5, Some(8)));
        assert_eq!(i.producer_fps, Some(10.0));
        let p = i.per_screen_frame();
        assert_eq!(p.end_to_end_cpu_ms, Some(7.0));
        assert_eq!(p.server_cpu_ms, Some(4.0));
        assert_eq!(p.server_ctx_switches, Some(10.0));
        // Per-row X CPU × frames is exactly the interval's X CPU: nothing is counted twice.
        assert_eq!(
            p.server_cpu_ms.map(|c| c * i.screen_frames as f64),
            Some(20.0)
        );
    }

    #[test]
    fn unknown_parts_leave_the_headline_unknown_but_no_compositor_costs_nothing() {
        let frames = [frame(1, 0), frame(2, 16)];
        let unreadable = Interval::new(
            1.0,
            250.0,
            &frames,
            [spent(1.0, 1), spent(1.0, 1), None],
            true,
        );
        assert_eq!(unreadable.per_screen_frame().end_to_end_cpu_ms, None);
        let none = Interval::new(
            1.0,
            250.0,
            &frames,
            [spent(1.0, 1), spent(1.0, 1), None],
            false,
        );
        assert_eq!(none.per_screen_frame().end_to_end_cpu_ms, Some(1.0));
        let unseen = Interval::new(1.0, 250.0, &[], [spent(1.0, 1), spent(1.0, 1), None], false);
        assert_eq!(unseen.per_screen_frame(), PerScreenFrame::default());
    }

    #[test]
    fn sampling_limit_and_design_copies() {
        let i = Interval {
            sampling_rounds_per_s: 200.0,
            ..Interval::default()
        };
        assert!(i.sampling_limited(185.0) && !i.sampling_limited(170.0));
        assert_eq!(
            design_copies(Mode::PutImage, true).map(|c| c.count),
            Some(4)
        );
        assert_eq!(
            design_copies(Mode::PutImage, false).map(|c| c.count),
            Some(3)
        );
        assert_eq!(
            design_copies(Mode::ShmPixmap, false).map(|c| c.count),
            Some(1)
        );
        assert_eq!(design_copies(Mode::Dri3, true), None);
    }
}
