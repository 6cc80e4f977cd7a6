//! The procedural test card: moving colour bars and gradients in which every pixel changes on
//! every frame, with a large seven-segment frame counter that stays readable in a screenshot.
//!
//! Speed comes from separability: a pixel is `column_table[x] + row_value[y]`, where both
//! terms keep each channel in 0..=127, so the sum never carries from one channel into the next
//! and the inner loop is a plain vectorizable add. The frame counter is folded into the same
//! pass as per-pixel masks (`Overlay`), so each pixel is written once, with streaming stores
//! (`stream`): rendering is bound by memory bandwidth, not arithmetic, so it runs on one
//! thread. Measured on the 2-vCPU EPYC VM at 4K, CPU per frame: ordinary stores on two rayon
//! threads 1.8 ms (3.3 in the producer beside the X server), streaming stores on one thread
//! 1.4 ms; a second thread shortened the wall time a little and cost CPU in its wake-ups.
//!
//! Why every pixel changes: the blue term of the column table is `(ramp(x) + 3 * frame) mod
//! 128` and the blue term of the row value does not depend on the frame, so blue moves by 3
//! (or by 3 - 128) between consecutive frames everywhere. The counter overlay keeps the low 5
//! bits of each channel, which also move by 3 mod 32, so counter pixels change too.

use super::frame::{FrameMut, FrameSource};
use super::stream::{self, Mask};

/// Each channel of either term stays at or below this, so the sum fits in 8 bits.
const CHANNEL_MAX: u32 = 0x7f;
/// Colour bars across the width, as (red, green) pairs in 0..=127.
const BARS: [(u32, u32); 8] = [
    (127, 127),
    (127, 100),
    (0, 120),
    (20, 110),
    (127, 0),
    (110, 20),
    (10, 10),
    (64, 64),
];
/// Overlay operations, chosen to keep the low 5 bits of every channel.
const DARK_MASK: u32 = 0x001f_1f1f;
const BRIGHT_BITS: u32 = 0x00e0_e0e0;
/// Fewer digits are zero-padded to this many.
const MIN_DIGITS: usize = 6;
/// Below this digit height the counter would be unreadable, so it is left out.
const MIN_DIGIT_HEIGHT: usize = 10;

/// The procedural animated test card.
#[derive(Debug, Default)]
pub struct TestCard {
    columns: Vec<u32>,
    rows: Vec<u32>,
    overlay: Overlay,
}

/// How a rectangle of the counter overlay changes the pixels under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ink {
    Dark,
    Bright,
}

/// A rectangle of the counter overlay, in frame pixels, already clipped to the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rect {
    x: usize,
    y: usize,
    w: usize,
    h: usize,
    ink: Ink,
}

impl TestCard {
    pub fn new() -> TestCard {
        TestCard::default()
    }

    /// Fills the per-frame column table: moving bars in red and green, a moving blue ramp.
    fn fill_columns(&mut self, width: usize, t: u64) {
        let shift = (t as usize).wrapping_mul((width / 240).max(1)) % width;
        let blue_phase = (t.wrapping_mul(3) & u64::from(CHANNEL_MAX)) as usize;
        self.columns.clear();
        self.columns.extend((0..width).map(|x| {
            let (r, g) = BARS[((x + shift) % width) * BARS.len() / width];
            let b = ((x * 128 / width + blue_phase) & CHANNEL_MAX as usize) as u32;
            r << 16 | g << 8 | b
        }));
    }

    /// Fills the per-frame row values: red and green gradients moving at different speeds
    /// (triangle waves, so they stay smooth), a static blue ramp.
    fn fill_rows(&mut self, height: usize, t: u64) {
        let red_phase = (t.wrapping_mul(2) % 256) as usize;
        let green_phase = (t.wrapping_mul(5) % 256) as usize;
        self.rows.clear();
        self.rows.extend((0..height).map(|y| {
            let ramp = y * 256 / height;
            let r = triangle(ramp + red_phase);
            let g = triangle(ramp / 2 + 256 - green_phase);
            let b = (y * 128 / height) as u32 & CHANNEL_MAX;
            r << 16 | g << 8 | b
        }));
    }
}

/// A triangle wave with period 256 and values in 0..=127.
fn triangle(v: usize) -> u32 {
    let v = (v % 256) as u32;
    if v < 128 {
        v
    } else {
        255 - v
    }
}

impl FrameSource for TestCard {
    fn describe(&self) -> String {
        "testcard".to_owned()
    }

    fn render(&mut self, frame_number: u64, frame: FrameMut<'_>) {
        let (width, height) = (frame.width as usize, frame.height as usize);
        if width == 0 || height == 0 {
            return;
        }
        self.fill_columns(width, frame_number);
        self.fill_rows(height, frame_number);
        let rects = counter_rects(frame_number, width, height);
        self.overlay.rebuild(&rects, width, height);
        let len = frame.pixels.len().min(width * height);
        let rows = frame.pixels[..len].chunks_mut(width).zip(&self.rows);
        for (y, (row, &value)) in rows.enumerate() {
            stream::store_row(row, &self.columns, value, self.overlay.mask(y));
        }
        stream::fence();
    }
}

/// The counter overlay as runs of rows that share one per-pixel mask: outside every rectangle
/// a pixel is kept; inside, the rectangles covering it are applied in order (the dark box, then
/// the bright segments on it) as one `and` and one `or`. Each pixel is then written once, in the
/// same pass as the card under it, and every row is streamed whole (mixing ordinary and
/// streaming stores within a row cost more than the overlay itself). Rebuilt each frame into
/// the same allocations.
#[derive(Debug, Default)]
struct Overlay {
    width: usize,
    /// `(first row after the run, index of its masks in `masks` or None where nothing covers
    /// it)`, in row order, covering every row.
    runs: Vec<(usize, Option<usize>)>,
    /// Pairs of `and` and `or` masks, `width` pixels each.
    masks: Vec<u32>,
}

impl Overlay {
    fn rebuild(&mut self, rects: &[Rect], width: usize, height: usize) {
        let mut edges: Vec<usize> = rects.iter().flat_map(|r| [r.y, r.y + r.h]).collect();
        edges.extend([0, height]);
        edges.sort_unstable();
        edges.dedup();
        self.width = width;
        self.runs.clear();
        self.masks.clear();
        for pair in edges.windows(2) {
            let y = pair[0];
            let mut covering = rects.iter().filter(|r| (r.y..r.y + r.h).contains(&y));
            let Some(first) = covering.next() else {
                self.runs.push((pair[1], None));
                continue;
            };
            let at = self.masks.len();
            self.masks.resize(at + width, !0);
            self.masks.resize(at + 2 * width, 0);
            let (and, or) = self.masks[at..].split_at_mut(width);
            for r in std::iter::once(first).chain(covering) {
                let span = r.x..r.x + r.w;
                for (a, o) in and[span.clone()].iter_mut().zip(&mut or[span]) {
                    match r.ink {
                        Ink::Dark => (*a, *o) = (*a & DARK_MASK, *o & DARK_MASK),
                        Ink::Bright => *o |= BRIGHT_BITS,
                    }
                }
            }
            self.runs.push((pair[1], Some(at)));
        }
    }

    /// The mask of row `y` (none where no rectangle covers it).
    fn mask(&self, y: usize) -> Option<Mask<'_>> {
        let run = self.runs.partition_point(|&(end, _)| end <= y);
        let at = self.runs.get(run)?.1?;
        let (and, or) = self.masks[at..at + 2 * self.width].split_at(self.width);
        Some(Mask { and, or })
    }
}

/// Segments lit for each decimal digit, bits a..g as 0..6 (a top, then clockwise, g middle).
const DIGIT_SEGMENTS: [u8; 10] = [
    0b011_1111, 0b000_0110, 0b101_1011, 0b100_1111, 0b110_0110, 0b110_1101, 0b111_1101, 0b000_0111,
    0b111_1111, 0b110_1111,
];

/// The frame counter as rectangles: a dark box, then bright seven-segment digits, centred.
/// Empty when the frame is too small for a readable counter.
fn counter_rects(frame_number: u64, width: usize, height: usize) -> Vec<Rect> {
    let text = format!("{frame_number:0MIN_DIGITS$}");
    let n = text.len();
    // Digits are h/2 wide with h/5 gaps and h/5 padding: the box is h * (0.7 n + 0.2) wide,
    // which should take at most 80% of the width.
    let digit_h = (height / 4).min(width * 8 / (7 * n + 2));
    if digit_h < MIN_DIGIT_HEIGHT {
        return Vec::new();
    }
    let (digit_w, gap, pad) = (digit_h / 2, digit_h / 5, digit_h / 5);
    let box_w = n * digit_w + (n - 1) * gap + 2 * pad;
    let box_h = digit_h + 2 * pad;
    let (box_x, box_y) = ((width - box_w.min(width)) / 2, (height - box_h) / 2);
    let mut rects = vec![Rect {
        x: box_x,
        y: box_y,
        w: box_w,
        h: box_h,
        ink: Ink::Dark,
    }];
    for (i, ch) in text.bytes().enumerate() {
        let x = box_x + pad + i * (digit_w + gap);
        let segments = DIGIT_SEGMENTS[usize::from(ch - b'0')];
        push_digit(&mut rects, x, box_y + pad, digit_h, segments);
    }
    rects.retain_mut(|r| clip(r, width, height));
    rects
}

/// Adds the lit segments of one digit whose top-left corner is (x, y).
fn push_digit(rects: &mut Vec<Rect>, x: usize, y: usize, h: usize, segments: u8) {
    let w = h / 2;
    let t = (h / 10).max(1);
    let half = h / 2;
    let across = w - 2 * t;
    let down = half - t;
    let geometry = [
        (t, 0, across, t),            // a: top
        (w - t, t, t, down),          // b: upper right
        (w - t, half, t, down),       // c: lower right
        (t, h - t, across, t),        // d: bottom
        (0, half, t, down),           // e: lower left
        (0, t, t, down),              // f: upper left
        (t, half - t / 2, across, t), // g: middle
    ];
    for (bit, &(dx, dy, sw, sh)) in geometry.iter().enumerate() {
        if segments & (1 << bit) != 0 {
            let ink = Ink::Bright;
            rects.push(Rect {
                x: x + dx,
                y: y + dy,
                w: sw,
                h: sh,
                ink,
            });
        }
    }
}

/// Clips a rectangle to the frame; false when nothing is left.
fn clip(r: &mut Rect, width: usize, height: usize) -> bool {
    r.w = r.w.min(width.saturating_sub(r.x));
    r.h = r.h.min(height.saturating_sub(r.y));
    r.w > 0 && r.h > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(card: &mut TestCard, n: u64, width: u32, height: u32) -> Vec<u32> {
        let mut pixels = vec![0xdead_beef; width as usize * height as usize];
        card.render(
            n,
            FrameMut {
                pixels: &mut pixels,
                width,
                height,
            },
        );
        pixels
    }

    fn assert_every_pixel_changes(width: u32, height: u32, frames: &[u64]) {
        let mut card = TestCard::new();
        for &n in frames {
            let a = render(&mut card, n, width, height);
            let b = render(&mut card, n.wrapping_add(1), width, height);
            let same = a.iter().zip(&b).filter(|(p, q)| p == q).count();
            assert_eq!(
                same, 0,
                "{width}x{height}: {same} pixels unchanged at frame {n}"
            );
            assert!(
                a.iter().all(|&p| p <= 0x00ff_ffff),
                "{width}x{height}: alpha bits set"
            );
        }
    }

    #[test]
    fn every_pixel_changes_between_consecutive_frames() {
        let frames = [0, 1, 42, 127, 128, 999_999, u64::MAX - 1];
        assert_every_pixel_changes(640, 360, &frames);
        for (w, h) in [(1, 1), (7, 1), (4097, 3), (33, 17), (1, 300)] {
            assert_every_pixel_changes(w, h, &frames);
        }
    }

    /// The card computed the plain way: the sum, then each counter rectangle painted in order.
    fn reference(n: u64, width: u32, height: u32) -> Vec<u32> {
        let (w, h) = (width as usize, height as usize);
        let mut card = TestCard::new();
        card.fill_columns(w, n);
        card.fill_rows(h, n);
        let mut pixels: Vec<u32> = (0..w * h)
            .map(|i| card.columns[i % w] + card.rows[i / w])
            .collect();
        for r in counter_rects(n, w, h) {
            for y in r.y..r.y + r.h {
                for p in &mut pixels[y * w + r.x..y * w + r.x + r.w] {
                    match r.ink {
                        Ink::Dark => *p &= DARK_MASK,
                        Ink::Bright => *p |= BRIGHT_BITS,
                    }
                }
            }
        }
        pixels
    }

    #[test]
    fn one_streamed_pass_draws_what_the_plain_passes_draw() {
        // Odd widths start most rows off a 16-byte boundary.
        for (w, h) in [(640, 360), (641, 361), (3, 5), (97, 200)] {
            for n in [0, 7, 123_456] {
                assert_eq!(
                    render(&mut TestCard::new(), n, w, h),
                    reference(n, w, h),
                    "{w}x{h}, frame {n}"
                );
            }
        }
    }

    #[test]
    fn same_frame_number_renders_the_same() {
        let mut card = TestCard::new();
        let a = render(&mut card, 1234, 640, 360);
        let _ = render(&mut card, 99, 320, 200);
        let b = render(&mut TestCard::new(), 1234, 640, 360);
        assert_eq!(a, render(&mut card, 1234, 640, 360));
        assert_eq!(a, b);
    }

    #[test]
    fn odd_sizes_do_not_panic() {
        let mut card = TestCard::new();
        for (w, h) in [(1, 1), (7, 1), (4097, 3), (3, 4097), (0, 5), (5, 0)] {
            render(&mut card, 7, w, h);
        }
        // A buffer shorter than width * height is filled as far as it goes.
        let mut short = vec![0u32; 100];
        card.render(
            3,
            FrameMut {
                pixels: &mut short,
                width: 64,
                height: 64,
            },
        );
    }

    #[test]
    fn counter_is_drawn_in_the_middle() {
        let rects = counter_rects(123_456, 640, 360);
        // The box and 6 digits of 2..7 segments.
        assert!(rects.len() > 6 * 2);
        let (bx, by) = (rects[0].x, rects[0].y);
        assert!(bx > 0 && bx < 320 && by > 0 && by < 180);
        assert!(rects.iter().all(|r| r.x + r.w <= 640 && r.y + r.h <= 360));
        let pixels = render(&mut TestCard::new(), 123_456, 640, 360);
        let centre = pixels[180 * 640..181 * 640]
            .iter()
            .filter(|&&p| p >= BRIGHT_BITS);
        assert!(
            centre.count() > 0,
            "no bright counter pixels on the middle row"
        );
    }

    #[test]
    fn long_counters_fit_or_are_left_out() {
        for (w, h) in [(3840, 2160), (640, 360), (64, 40), (8, 8)] {
            let rects = counter_rects(u64::MAX, w, h);
            assert!(rects.iter().all(|r| r.x + r.w <= w && r.y + r.h <= h));
        }
        assert!(counter_rects(1, 8, 8).is_empty());
    }
}
