//! The root background as pure data: a solid colour (`--background`) or the pixmap a desktop
//! tool published in `_XROOTPMAP_ID` (feh, nitrogen, hsetroot, Esetroot) or `_XSETROOT_ID`
//! (xsetroot on colour-mapped visuals), tiled from the screen origin. This module decides what a
//! property value and a pixmap's geometry are worth (garbage is normal: anything odd means the
//! solid colour), how a damaged screen rectangle becomes background operations, which pixmap
//! rectangles a tiled rectangle reads, and which screen pixels a change inside the pixmap
//! touches. `xbackground` owns the X side.

use x11rb::protocol::xproto::{AtomEnum, GetPropertyReply};

use crate::model::WindowId;
use crate::region::{Rect, Region};
use crate::scene::DrawOp;

/// The renderer's texture key for the background pixmap. X resource ids have their top three
/// bits clear (X protocol, "Resource IDs"), so no window id can ever be `u32::MAX`.
pub const BACKGROUND_TEXTURE: WindowId = u32::MAX;

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

impl Background {
    /// The operation that paints the uncovered screen rectangle `dst`.
    pub fn draw_op(&self, dst: Rect) -> DrawOp {
        match *self {
            Self::Solid(rgb) => DrawOp::Fill { dst, rgb },
            Self::Pixmap(p) => DrawOp::Tile {
                dst,
                width: p.width,
                height: p.height,
            },
        }
    }
}

/// The pixmap id in a `_XROOTPMAP_ID`/`_XSETROOT_ID` value read with a length of one item:
/// type PIXMAP, format 32, exactly one non-zero item; `None` when the property is not set.
/// Anything else is why not.
pub fn pixmap_id(reply: &GetPropertyReply) -> Result<Option<u32>, String> {
    if reply.type_ == u32::from(AtomEnum::NONE) {
        return Ok(None);
    }
    if reply.type_ != u32::from(AtomEnum::PIXMAP) || reply.format != 32 {
        return Err(format!(
            "type atom {} format {} instead of PIXMAP/32",
            reply.type_, reply.format
        ));
    }
    if reply.value_len != 1 || reply.bytes_after != 0 {
        return Err(format!(
            "{} items (and {} bytes more) instead of one",
            reply.value_len, reply.bytes_after
        ));
    }
    match reply.value32().and_then(|mut v| v.next()) {
        Some(0) | None => Err("pixmap id 0".into()),
        Some(id) => Ok(Some(id)),
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

    fn prop(
        type_: impl Into<u32>,
        format: u8,
        items: &[u32],
        bytes_after: u32,
    ) -> GetPropertyReply {
        GetPropertyReply {
            format,
            sequence: 0,
            length: 0,
            type_: type_.into(),
            bytes_after,
            value_len: items.len() as u32,
            value: items.iter().flat_map(|i| i.to_ne_bytes()).collect(),
        }
    }

    #[test]
    fn a_single_pixmap_item_is_accepted_and_garbage_refused() {
        assert_eq!(
            pixmap_id(&prop(AtomEnum::PIXMAP, 32, &[0x40_0001], 0)),
            Ok(Some(0x40_0001))
        );
        assert_eq!(pixmap_id(&prop(AtomEnum::NONE, 0, &[], 0)), Ok(None));
        for bad in [
            prop(AtomEnum::CARDINAL, 32, &[0x40_0001], 0),
            prop(AtomEnum::PIXMAP, 16, &[0x40_0001], 0),
            prop(AtomEnum::PIXMAP, 32, &[], 0),
            prop(AtomEnum::PIXMAP, 32, &[0x40_0001], 4),
            prop(AtomEnum::PIXMAP, 32, &[0x40_0001, 0x40_0002], 0),
            prop(AtomEnum::PIXMAP, 32, &[0], 0),
        ] {
            assert!(pixmap_id(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn only_root_depth_pixmaps_on_our_screen_are_backgrounds() {
        assert!(check_geometry((24, 64, 64), 24, true).is_ok());
        let dummy = check_geometry((1, 1, 1), 24, true).unwrap_err();
        assert!(dummy.contains("depth 1"), "{dummy}");
        assert!(check_geometry((24, 64, 64), 24, false).is_err());
        assert!(check_geometry((24, 0, 64), 24, true).is_err());
    }

    #[test]
    fn solid_and_pixmap_backgrounds_make_fills_and_tiles() {
        let dst = Rect::new(1, 2, 3, 4);
        assert_eq!(
            Background::from(7).draw_op(dst),
            DrawOp::Fill { dst, rgb: 7 }
        );
        let p = RootPixmap {
            pixmap: 9,
            width: 64,
            height: 32,
        };
        assert_eq!(
            Background::Pixmap(p).draw_op(dst),
            DrawOp::Tile {
                dst,
                width: 64,
                height: 32
            }
        );
    }

    #[test]
    fn uncovered_damage_shows_the_pixmap_and_windows_cover_it() {
        use crate::model::{Geometry, WindowInfo, WindowModel};
        use crate::scene::{DrawList, Scene};
        let mut m = WindowModel::new(100, 100);
        m.add_existing([WindowInfo {
            id: 1,
            geometry: Geometry::new(0, 0, 100, 50, 0),
            mapped: true,
            depth: 24,
            ..Default::default()
        }]);
        let bg = Background::Pixmap(RootPixmap {
            pixmap: 9,
            width: 64,
            height: 64,
        });
        let list = DrawList::build(
            &Scene::from_model(&m),
            &Region::from_rect(Rect::new(0, 0, 100, 100)),
            bg,
        );
        assert_eq!(
            list.ops,
            vec![
                bg.draw_op(Rect::new(0, 50, 100, 50)),
                DrawOp::Copy {
                    window: 1,
                    src: Rect::new(0, 0, 100, 50),
                    dst: Rect::new(0, 0, 100, 50)
                },
            ]
        );
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
