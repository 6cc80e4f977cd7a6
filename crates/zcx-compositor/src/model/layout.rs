//! Where windows land on the screen (`--layout`). `normal` draws every window at its own
//! position; `side-by-side` scales the visible producer windows (WM_CLASS `zcx-producer` or a
//! `_ZCX_STATS` property) into equal columns of the screen, keeping their aspect ratio, while
//! ordinary windows keep their place. Pure functions: the model stores the placements and
//! maps damage through them.

use super::window::WindowId;
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
}
