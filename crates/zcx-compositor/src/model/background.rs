//! The root background as pure data: a solid colour (`--background`) or the pixmap a desktop
//! tool published in `_XROOTPMAP_ID` (feh, nitrogen, hsetroot, Esetroot) or `_XSETROOT_ID`
//! (xsetroot on colour-mapped visuals), tiled from the screen origin. This module decides what a
//! pixmap's geometry is worth (garbage is normal: anything odd means the
//! solid colour), which pixmap
//! rectangles a tiled rectangle reads, and which screen pixels a change inside the pixmap
//! touches. `x::background` owns the X side (and what a property value is worth); the scene
//! turns uncovered rectangles into background operations.

use crate::region::{Rect, Region};

/// A validated root background pixmap: it existed with the root window's depth when read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RootPixmap {
    pub pixmap: u32,
    pub width: u32,
    pub height: u32,
}

/// What the screen shows where no window covers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Background {
    /// 0x00RRGGBB.
    Solid(u32),
    /// Tiled from the screen origin (clipped when larger than the screen).
    Pixmap(RootPixmap),
}

/// A plain colour (0x00RRGGBB) is a solid background.
impl From<u32> for Background {
    fn from(rgb: u32) -> Self {
        Self::Solid(rgb)
    }
}

/// Whether a drawable's GetGeometry answer makes it a usable background: on our screen, with
/// the root's depth (`xsetroot -solid` on a colour-mapped visual publishes a 1x1 depth-1 dummy
/// in `_XSETROOT_ID` only to keep its colours allocated), and not empty.
pub fn check_geometry(
    (depth, width, height): (u8, u32, u32),
    root_depth: u8,
    on_our_screen: bool,
) -> Result<(), String> {
    if !on_our_screen {
        return Err("it belongs to another screen".into());
    }
    if depth != root_depth {
        return Err(format!(
            "depth {depth} (a {width}x{height} pixmap) is not the root's depth {root_depth}"
        ));
    }
    if width == 0 || height == 0 {
        return Err("it is empty".into());
    }
    Ok(())
}

/// `[start, start + len)` cut where it crosses multiples of `period`: (pixmap offset, screen
/// start, length) per piece.
fn axis_pieces(start: i32, len: u32, period: u32) -> impl Iterator<Item = (u32, i32, u32)> {
    let period = i64::from(period.max(1));
    let end = i64::from(start) + i64::from(len);
    let mut pos = i64::from(start);
    std::iter::from_fn(move || {
        if pos >= end {
            return None;
        }
        let offset = pos.rem_euclid(period);
        let n = (period - offset).min(end - pos);
        let piece = (offset as u32, pos as i32, n as u32);
        pos += n;
        Some(piece)
    })
}

/// The copies (pixmap rectangle, screen rectangle; same size) that tile a `width`×`height`
/// pixmap from the screen origin over `dst`, or `None` when there would be more than `max`.
pub fn tile_parts(dst: Rect, (width, height): (u32, u32), max: usize) -> Option<Vec<(Rect, Rect)>> {
    let xs: Vec<_> = axis_pieces(dst.x, dst.width, width).take(max + 1).collect();
    let ys: Vec<_> = axis_pieces(dst.y, dst.height, height)
        .take(max + 1)
        .collect();
    if xs.len().saturating_mul(ys.len()) > max {
        return None;
    }
    let mut out = Vec::with_capacity(xs.len() * ys.len());
    for &(sy, dy, h) in &ys {
        for &(sx, dx, w) in &xs {
            let src = Rect::new(sx as i32, sy as i32, w, h);
            out.push((src, Rect::new(dx, dy, w, h)));
        }
    }
    Some(out)
}

/// The pixmap intervals `[start, start + len)` reads along one axis: the whole period, or one
/// or two pieces.
fn axis_sources(start: i32, len: u32, period: u32) -> Vec<(u32, u32)> {
    if len >= period {
        return vec![(0, period)];
    }
    axis_pieces(start, len, period)
        .map(|(offset, _, n)| (offset, n))
        .collect()
}

/// The pixmap rectangles (at most four) that tiling `dst` reads.
pub fn tile_sources(dst: Rect, (width, height): (u32, u32)) -> Vec<Rect> {
    let xs = axis_sources(dst.x, dst.width, width);
    let ys = axis_sources(dst.y, dst.height, height);
    ys.iter()
        .flat_map(|&(y, h)| {
            xs.iter()
                .map(move |&(x, w)| Rect::new(x as i32, y as i32, w, h))
        })
        .collect()
}

/// The most tile copies a pixmap change is mapped through before the whole screen is damaged.
const MAX_DAMAGE_TILES: u64 = 64;

/// The screen pixels that change when `rects` (pixmap coordinates) of a `width`×`height`
/// background pixmap change: every tile copy of them on `screen`.
pub fn screen_damage(rects: &[Rect], (width, height): (u32, u32), screen: Rect) -> Region {
    let (w, h) = (width.max(1), height.max(1));
    let (cols, rows) = (screen.width.div_ceil(w), screen.height.div_ceil(h));
    if u64::from(cols) * u64::from(rows) > MAX_DAMAGE_TILES {
        return Region::from_rect(screen);
    }
    let pixmap = Rect::new(0, 0, w, h);
    let mut out = Region::new();
    for r in rects.iter().filter_map(|r| r.intersect(&pixmap)) {
        for row in 0..rows {
            for col in 0..cols {
                let (dx, dy) = ((col * w) as i32, (row * h) as i32);
                if let Some(s) = r.translate(dx, dy).intersect(&screen) {
                    out.add(s);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_root_depth_pixmaps_on_our_screen_are_backgrounds() {
        assert!(check_geometry((24, 64, 64), 24, true).is_ok());
        let dummy = check_geometry((1, 1, 1), 24, true).unwrap_err();
        assert!(dummy.contains("depth 1"), "{dummy}");
        assert!(check_geometry((24, 64, 64), 24, false).is_err());
        assert!(check_geometry((24, 0, 64), 24, true).is_err());
    }

    #[test]
    fn tile_parts_cut_at_tile_edges_from_the_screen_origin() {
        let parts = tile_parts(Rect::new(60, 30, 10, 4), (64, 32), 16).expect("few");
        assert_eq!(
            parts,
            vec![
                (Rect::new(60, 30, 4, 2), Rect::new(60, 30, 4, 2)),
                (Rect::new(0, 30, 6, 2), Rect::new(64, 30, 6, 2)),
                (Rect::new(60, 0, 4, 2), Rect::new(60, 32, 4, 2)),
                (Rect::new(0, 0, 6, 2), Rect::new(64, 32, 6, 2)),
            ]
        );
        let inside = Rect::new(10, 10, 100, 100);
        assert_eq!(
            tile_parts(inside, (1920, 1080), 16),
            Some(vec![(inside, inside)])
        );
        assert_eq!(tile_parts(Rect::new(0, 0, 3840, 2160), (16, 16), 16), None);
        let area: u64 = tile_parts(Rect::new(5, 7, 200, 100), (64, 64), 64)
            .expect("few")
            .iter()
            .map(|(_, d)| d.area())
            .sum();
        assert_eq!(area, 200 * 100);
    }

    #[test]
    fn tile_sources_are_what_the_tiling_reads() {
        assert_eq!(
            tile_sources(Rect::new(60, 0, 10, 300), (64, 64)),
            vec![Rect::new(60, 0, 4, 64), Rect::new(0, 0, 6, 64)]
        );
        assert_eq!(
            tile_sources(Rect::new(70, 70, 5, 5), (64, 64)),
            vec![Rect::new(6, 6, 5, 5)]
        );
    }

    #[test]
    fn pixmap_changes_damage_every_tile_copy_or_the_whole_screen() {
        let screen = Rect::new(0, 0, 100, 100);
        let d = screen_damage(&[Rect::new(0, 0, 40, 40)], (64, 64), screen);
        assert_eq!(d.area(), 40 * 40 + 2 * 36 * 40 + 36 * 36);
        assert!(d.rects().contains(&Rect::new(64, 64, 36, 36)));
        let big = screen_damage(&[Rect::new(90, 90, 50, 50)], (200, 200), screen);
        assert_eq!(big.rects(), &[Rect::new(90, 90, 10, 10)]);
        let tiny = screen_damage(&[Rect::new(0, 0, 1, 1)], (4, 4), screen);
        assert_eq!(tiny.rects(), &[screen]);
    }
}
