//! Where windows land on the screen (`--layout`). `normal` draws every window at its own
//! position; `side-by-side` scales the visible producer windows (WM_CLASS `zcx-producer` or a
//! `_ZCX_STATS` property) into equal columns of the screen, keeping their aspect ratio, while
//! ordinary windows keep their place. Pure functions: the model stores the placements and
//! maps damage through them.

use crate::model::WindowId;
use crate::region::Rect;

/// The `--layout` choices.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Layout {
    #[default]
    Normal,
    SideBySide,
}

/// Screen rectangles for the producers in `side-by-side`: producer `(id, width, height)` i of n
/// is fitted into column i (columns in the given order), centred, aspect ratio kept, with a
/// margin of 1/64 of the screen width inside each column and above and below, so borders and
/// shadows (`decor`) fall on the background rather than on the next column.
pub fn columns(screen: Rect, producers: &[(WindowId, u32, u32)]) -> Vec<(WindowId, Rect)> {
    let n = producers.len() as i64;
    let (sw, sh) = (i64::from(screen.width), i64::from(screen.height));
    let margin = sw / 64;
    let sh = sh - 2 * margin;
    producers
        .iter()
        .enumerate()
        .filter_map(|(i, &(id, w, h))| {
            let i = i as i64;
            let (x0, x1) = (i * sw / n + margin, (i + 1) * sw / n - margin);
            let col_w = x1 - x0;
            if w == 0 || h == 0 || col_w <= 0 || sh <= 0 {
                return None;
            }
            let scale = (col_w as f64 / f64::from(w)).min(sh as f64 / f64::from(h));
            let dw = ((f64::from(w) * scale).round() as i64).clamp(1, col_w);
            let dh = ((f64::from(h) * scale).round() as i64).clamp(1, sh);
            let x = i64::from(screen.x) + x0 + (col_w - dw) / 2;
            let y = i64::from(screen.y) + margin + (sh - dh) / 2;
            Some((id, Rect::new(x as i32, y as i32, dw as u32, dh as u32)))
        })
        .collect()
}

/// A source rectangle in texture pixels with fractional edges (scaled drawing).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SrcRect {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
}

impl From<Rect> for SrcRect {
    fn from(r: Rect) -> Self {
        Self {
            x: r.x as f32,
            y: r.y as f32,
            width: r.width as f32,
            height: r.height as f32,
        }
    }
}

/// How a window's pixmap (`size`) maps onto its screen rectangle `dst`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placement {
    pub size: (u32, u32),
    pub dst: Rect,
}

impl Placement {
    pub fn is_scaled(&self) -> bool {
        self.size != (self.dst.width, self.dst.height)
    }

    /// Screen rectangle covering pixmap rectangle `r`, rounded outwards, plus one pixel on each
    /// side when scaled (bilinear filtering reads neighbours), clipped to `dst`.
    pub fn to_screen(&self, r: Rect) -> Option<Rect> {
        if !self.is_scaled() {
            return r.translate(self.dst.x, self.dst.y).intersect(&self.dst);
        }
        let (sx, sy) = self.scale();
        let x0 = (f64::from(r.x) * sx).floor() as i64 - 1;
        let y0 = (f64::from(r.y) * sy).floor() as i64 - 1;
        let x1 = ((r.right() as f64) * sx).ceil() as i64 + 1;
        let y1 = ((r.bottom() as f64) * sy).ceil() as i64 + 1;
        let local = Rect::new(
            x0 as i32,
            y0 as i32,
            (x1 - x0).max(0) as u32,
            (y1 - y0).max(0) as u32,
        );
        local.translate(self.dst.x, self.dst.y).intersect(&self.dst)
    }

    /// The pixmap area that lands on screen rectangle `r` (inside `dst`), with fractional edges.
    pub fn to_source(&self, r: Rect) -> SrcRect {
        let (sx, sy) = self.scale();
        SrcRect {
            x: ((f64::from(r.x - self.dst.x)) / sx) as f32,
            y: ((f64::from(r.y - self.dst.y)) / sy) as f32,
            width: (f64::from(r.width) / sx) as f32,
            height: (f64::from(r.height) / sy) as f32,
        }
    }

    /// Screen pixels per pixmap pixel, horizontally and vertically.
    fn scale(&self) -> (f64, f64) {
        (
            f64::from(self.dst.width) / f64::from(self.size.0.max(1)),
            f64::from(self.dst.height) / f64::from(self.size.1.max(1)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_4k_producers_get_half_size_columns_centred_vertically() {
        let cols = columns(
            Rect::new(0, 0, 3840, 2160),
            &[(1, 3840, 2160), (2, 3840, 2160)],
        );
        assert_eq!(
            cols,
            vec![
                // 60 px margins: columns of 1800x2040, windows 1800x1013 centred.
                (1, Rect::new(60, 573, 1800, 1013)),
                (2, Rect::new(1980, 573, 1800, 1013))
            ]
        );
    }

    #[test]
    fn a_tall_window_is_limited_by_the_screen_height() {
        let cols = columns(Rect::new(0, 0, 256, 100), &[(7, 100, 200)]);
        // Margin 4: 92 rows of height, so 46 columns wide, centred.
        assert_eq!(cols, vec![(7, Rect::new(105, 4, 46, 92))]);
    }

    #[test]
    fn empty_windows_get_no_column() {
        assert!(columns(Rect::new(0, 0, 200, 100), &[(1, 0, 10)]).is_empty());
    }

    #[test]
    fn unscaled_placement_translates() {
        let p = Placement {
            size: (10, 10),
            dst: Rect::new(5, 5, 10, 10),
        };
        assert_eq!(
            p.to_screen(Rect::new(2, 3, 4, 5)),
            Some(Rect::new(7, 8, 4, 5))
        );
    }

    #[test]
    fn scaled_placement_rounds_outwards_with_a_margin_and_maps_back() {
        let p = Placement {
            size: (100, 100),
            dst: Rect::new(10, 10, 50, 50),
        };
        assert_eq!(
            p.to_screen(Rect::new(10, 10, 10, 10)),
            Some(Rect::new(14, 14, 7, 7))
        );
        assert_eq!(
            p.to_screen(Rect::new(0, 0, 100, 100)),
            Some(Rect::new(10, 10, 50, 50))
        );
        let s = p.to_source(Rect::new(20, 10, 5, 50));
        assert_eq!(
            s,
            SrcRect {
                x: 20.0,
                y: 0.0,
                width: 10.0,
                height: 100.0
            }
        );
    }
}
