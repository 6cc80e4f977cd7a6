//! The composite strategy (`--composite`): who produces each repainted pixel. With
//! `server-copy` (the default) the parts of a draw list that are plain copies of an opaque,
//! unscaled window with nothing drawn over them are copied by the X server itself (CopyArea
//! from the window's named pixmap to the overlay: no import, no GL, no read-back, no present of
//! those pixels); opaque scaled windows are scaled by it (`backend::server::scale`); uncovered
//! background is filled by it (a colour, or tiled with the root background pixmap); HUD panels
//! are composited by it on top (`backend::server::hud`). GL composites only what needs it (translucency,
//! ARGB, shadows and what lies under those). `gl` sends everything through GL. [`split`] is
//! the pure decision and [`snapshot_damage`] keeps live windows whole on the screen;
//! `backend::server` owns the X side. On a software renderer a 4K frame through GL costs
//! import + upload + blit + read-back + ShmPutImage (~33 ms of work and several round trips);
//! the server's CopyArea costs one ~5 ms blit in the X server (what xcompmgr does).

use crate::model::background;
use crate::model::WindowId;
use crate::region::{Rect, Region};
use crate::scene::{DrawList, DrawOp, Scene, ShadowPart, TextureKey};

/// The `--composite` choices (shared with zcx-bench through `zcx-contracts`).
pub use zcx_contracts::CompositeMode;

/// One rectangle the X server copies from a window's pixmap (`src`, pixmap coordinates) to the
/// overlay (`dst`, screen coordinates; same size).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerCopy {
    pub window: WindowId,
    pub src: Rect,
    pub dst: Rect,
}

/// A draw list divided between the X server and GL; `gl.damage` excludes every server copy.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Split {
    pub server: Vec<ServerCopy>,
    pub gl: DrawList,
    /// HUD panel parts (window, clip) the X server composites over everything else
    /// (`backend::server::hud`), drawn after the copies and the GL present.
    pub hud: Vec<(WindowId, Rect)>,
    /// Background rectangles (dst, 0x00RRGGBB) the X server fills.
    pub fills: Vec<(Rect, u32)>,
    /// Screen rectangles of opaque scaled windows the X server scales from their pixmaps
    /// (RENDER Composite with a scaling transform and a bilinear filter; `backend::server::scale`).
    pub scaled: Vec<(WindowId, Rect)>,
    /// Screen rectangles the X server tiles with the root background pixmap.
    pub tiles: Vec<Rect>,
}

/// Grows `damage` so that every *live* window (its contents changed recently, e.g. a producer)
/// that the damage touches is repainted whole. Without it, damage from something else (a
/// window below, a HUD panel) makes the compositor copy only part of a live window, and that
/// part may already hold a newer frame than the rest of it on the screen: a torn frame. With
/// it, and with one clipped copy per window (`backend::server::copy::ServerCopier`), a live
/// window on the screen is always one snapshot of its pixmap.
pub fn snapshot_damage(scene: &Scene, damage: &Region, live: impl Fn(WindowId) -> bool) -> Region {
    let mut out = damage.clone();
    for item in &scene.items {
        let touched = damage
            .rects()
            .iter()
            .any(|r| r.intersect(&item.extents).is_some());
        if touched && live(item.window) {
            out.add(item.extents);
        }
    }
    out.intersected(&scene.screen)
}

/// The screen rectangle an operation writes.
fn op_dst(op: &DrawOp) -> Rect {
    match *op {
        DrawOp::Fill { dst, .. }
        | DrawOp::Tile { dst, .. }
        | DrawOp::Copy { dst, .. }
        | DrawOp::Scale { dst, .. }
        | DrawOp::Blend { dst, .. }
        | DrawOp::Shadow(ShadowPart { dst, .. }) => dst,
        DrawOp::Hud { clip, .. } => clip,
    }
}

/// What the X server takes over besides copies of opaque windows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServerDoes {
    /// HUD operations leave the GL list for [`Split::hud`] (composited on top by the server)
    /// and cover nothing.
    pub hud: bool,
    /// Background fills no later operation draws over become [`Split::fills`]
    /// (PolyFillRectangle; needs a visual whose pixel value is 0x00RRGGBB).
    pub fills: bool,
    /// Opaque scaled windows no later operation draws over become [`Split::scaled`]
    /// (needs RENDER with transforms and filters).
    pub scale: bool,
    /// Background pixmap tiles no later operation draws over become [`Split::tiles`]
    /// (PolyFillRectangle with a tiled GC; needs that GC).
    pub tiles: bool,
}

/// Moves the parts of `Copy` operations that no later operation draws over (and whose window
/// `copyable` accepts: it has a named pixmap of the overlay's depth) to the X server, and
/// likewise background fills, opaque scaled windows and HUD operations as `does` allows.
/// What a later operation covers stays in GL, so blending over it still sees the right pixels.
pub fn split(list: DrawList, copyable: impl Fn(WindowId) -> bool, does: ServerDoes) -> Split {
    let DrawList {
        mut ops,
        mut damage,
    } = list;
    let mut out = Split::default();
    if does.hud {
        ops.retain(|op| match *op {
            DrawOp::Hud { window, clip } => {
                out.hud.push((window, clip));
                false
            }
            _ => true,
        });
    }
    for (i, op) in ops.iter().enumerate() {
        let by_server = match *op {
            DrawOp::Copy { window, .. } => copyable(window),
            DrawOp::Fill { .. } => does.fills,
            DrawOp::Tile { .. } => does.tiles,
            _ => false,
        };
        if let Some((window, dst)) = opaque_scaled(op).filter(|_| does.scale) {
            // All or nothing: a scaled part someone draws over stays in GL whole.
            if copyable(window) && ops[i + 1..].iter().all(|l| !overlaps(l, &dst)) {
                out.scaled.push((window, dst));
                damage.subtract_rect(&dst);
                continue;
            }
        }
        if !by_server {
            out.gl.ops.push(*op);
            continue;
        }
        let dst = op_dst(op);
        let mut free = Region::from_rect(dst);
        for later in &ops[i + 1..] {
            free.subtract_rect(&op_dst(later));
        }
        for part in free.rects() {
            match restrict(op, *part) {
                DrawOp::Copy { window, src, dst } => {
                    out.server.push(ServerCopy { window, src, dst })
                }
                DrawOp::Fill { dst, rgb } => out.fills.push((dst, rgb)),
                DrawOp::Tile { dst, .. } => out.tiles.push(dst),
                _ => {}
            }
            damage.subtract_rect(part);
        }
        for covered in subtract_all(dst, free.rects()) {
            out.gl.ops.push(restrict(op, covered));
        }
    }
    out.gl.damage = damage;
    out
}

/// The window and screen rectangle of an operation that draws an opaque window scaled.
fn opaque_scaled(op: &DrawOp) -> Option<(WindowId, Rect)> {
    match *op {
        DrawOp::Scale { window, dst } => Some((window, dst)),
        DrawOp::Blend {
            window,
            dst,
            opacity,
            argb: false,
            scaled: true,
            ..
        } if opacity >= 1.0 => Some((window, dst)),
        _ => None,
    }
}

fn overlaps(op: &DrawOp, r: &Rect) -> bool {
    op_dst(op).intersect(r).is_some()
}

/// `op` (a copy, fill or tile) limited to the screen rectangle `part` of its destination.
fn restrict(op: &DrawOp, part: Rect) -> DrawOp {
    match *op {
        DrawOp::Copy { window, src, dst } => DrawOp::Copy {
            window,
            src: part.translate(src.x - dst.x, src.y - dst.y),
            dst: part,
        },
        DrawOp::Fill { rgb, .. } => DrawOp::Fill { dst: part, rgb },
        DrawOp::Tile { width, height, .. } => DrawOp::Tile {
            dst: part,
            width,
            height,
        },
        other => other,
    }
}

/// `r` minus every rectangle of `cuts`, as disjoint rectangles.
fn subtract_all(r: Rect, cuts: &[Rect]) -> Vec<Rect> {
    let mut left = vec![r];
    for c in cuts {
        left = left.iter().flat_map(|p| p.subtract(c)).collect();
    }
    left
}

/// The pixmap rectangles of each window and of the root background pixmap that executing
/// `list` reads (what must be imported).
pub fn needed_sources(
    list: &DrawList,
    pixmap_size: impl Fn(WindowId) -> (u32, u32),
) -> Vec<(TextureKey, Rect)> {
    let mut out = Vec::new();
    for op in &list.ops {
        let (window, r) = match *op {
            DrawOp::Copy { window, src, .. } => (window, src),
            DrawOp::Scale { window, .. } => {
                let (w, h) = pixmap_size(window);
                (window, Rect::new(0, 0, w, h))
            }
            DrawOp::Blend { window, src, .. } => {
                // Bilinear sampling may read one texel beyond the fractional rectangle.
                let x0 = src.x.floor() as i32 - 1;
                let y0 = src.y.floor() as i32 - 1;
                let x1 = (src.x + src.width).ceil() as i32 + 1;
                let y1 = (src.y + src.height).ceil() as i32 + 1;
                let r = Rect::new(x0, y0, (x1 - x0).max(0) as u32, (y1 - y0).max(0) as u32);
                (window, r)
            }
            DrawOp::Tile { dst, width, height } => {
                let reads = background::tile_sources(dst, (width, height));
                out.extend(reads.into_iter().map(|r| (TextureKey::Background, r)));
                continue;
            }
            DrawOp::Fill { .. } | DrawOp::Shadow(_) | DrawOp::Hud { .. } => continue,
        };
        out.push((TextureKey::Window(window), r));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::placement::SrcRect;

    fn copy(window: WindowId, src: Rect, dst: Rect) -> DrawOp {
        DrawOp::Copy { window, src, dst }
    }

    /// Window 2 at half opacity over `dst`, unscaled.
    fn half_blend(dst: Rect) -> DrawOp {
        DrawOp::Blend {
            window: 2,
            src: SrcRect::from(Rect::new(0, 0, dst.width, dst.height)),
            dst,
            opacity: 0.5,
            argb: false,
            scaled: false,
        }
    }

    #[test]
    fn an_uncovered_copy_goes_to_the_server_whole() {
        let dst = Rect::new(10, 20, 100, 50);
        let list = DrawList {
            ops: vec![copy(1, Rect::new(0, 0, 100, 50), dst)],
            damage: Region::from_rect(dst),
        };
        let s = split(list, |_| true, ServerDoes::default());
        assert_eq!(
            s.server,
            vec![ServerCopy {
                window: 1,
                src: Rect::new(0, 0, 100, 50),
                dst
            }]
        );
        assert!(s.gl.ops.is_empty());
        assert!(s.gl.damage.is_empty());
    }

    /// Window 1 copied to (10, 20) 100x50, its HUD panel over the top-left 30x10.
    fn copy_under_hud() -> (Rect, Rect, DrawList) {
        let dst = Rect::new(10, 20, 100, 50);
        let hud = Rect::new(10, 20, 30, 10);
        let list = DrawList {
            ops: vec![
                copy(1, Rect::new(0, 0, 100, 50), dst),
                DrawOp::Hud {
                    window: 1,
                    clip: hud,
                },
            ],
            damage: Region::from_rect(dst),
        };
        (dst, hud, list)
    }

    #[test]
    fn what_a_hud_covers_stays_in_gl_with_matching_source() {
        let (_, hud, list) = copy_under_hud();
        let s = split(list, |_| true, ServerDoes::default());
        assert_eq!(
            s.server.iter().map(|c| c.dst.area()).sum::<u64>(),
            100 * 50 - 300
        );
        for c in &s.server {
            assert_eq!(c.src, c.dst.translate(-10, -20));
            assert!(c.dst.intersect(&hud).is_none());
        }
        assert_eq!(
            s.gl.ops,
            vec![
                copy(1, Rect::new(0, 0, 30, 10), hud),
                DrawOp::Hud {
                    window: 1,
                    clip: hud
                }
            ]
        );
        assert_eq!(s.gl.damage.rects(), &[hud]);
    }

    #[test]
    fn a_server_hud_leaves_the_copy_whole_for_the_server() {
        let (dst, hud, list) = copy_under_hud();
        let s = split(
            list,
            |_| true,
            ServerDoes {
                hud: true,
                ..ServerDoes::default()
            },
        );
        assert_eq!(s.server.len(), 1);
        assert_eq!(s.server[0].dst, dst);
        assert!(s.gl.ops.is_empty() && s.gl.damage.is_empty());
        assert_eq!(s.hud, vec![(1, hud)]);
    }

    #[test]
    fn a_translucent_window_above_keeps_its_area_in_gl() {
        let blend = DrawOp::Blend {
            window: 2,
            src: SrcRect::from(Rect::new(0, 0, 10, 10)),
            dst: Rect::new(0, 0, 10, 10),
            opacity: 0.5,
            argb: false,
            scaled: false,
        };
        let full = Rect::new(0, 0, 20, 10);
        let list = DrawList {
            ops: vec![copy(1, full, full), blend],
            damage: Region::from_rect(full),
        };
        let s = split(list, |_| true, ServerDoes::default());
        assert_eq!(s.server.len(), 1);
        assert_eq!(s.server[0].dst, Rect::new(10, 0, 10, 10));
        assert_eq!(
            s.gl.ops[0],
            copy(1, Rect::new(0, 0, 10, 10), Rect::new(0, 0, 10, 10))
        );
        assert_eq!(s.gl.damage.rects(), &[Rect::new(0, 0, 10, 10)]);
    }

    #[test]
    fn uncovered_fills_go_to_the_server_and_covered_ones_stay_in_gl() {
        let full = Rect::new(0, 0, 20, 10);
        let left = Rect::new(0, 0, 10, 10);
        let blend = half_blend(left);
        let list = DrawList {
            ops: vec![DrawOp::Fill { dst: full, rgb: 7 }, blend],
            damage: Region::from_rect(full),
        };
        let does = ServerDoes {
            hud: true,
            fills: true,
            scale: false,
            tiles: false,
        };
        let s = split(list.clone(), |_| true, does);
        assert_eq!(s.fills, vec![(Rect::new(10, 0, 10, 10), 7)]);
        assert_eq!(s.gl.ops, vec![DrawOp::Fill { dst: left, rgb: 7 }, blend]);
        assert_eq!(s.gl.damage.rects(), &[left]);
        let gl_only = split(list.clone(), |_| true, ServerDoes::default());
        assert!(gl_only.fills.is_empty());
        assert_eq!(gl_only.gl, list);
    }

    #[test]
    fn uncovered_tiles_go_to_the_server_and_gl_reads_only_what_it_tiles() {
        let full = Rect::new(0, 0, 100, 10);
        let right = Rect::new(60, 0, 40, 10);
        let blend = half_blend(right);
        let tile = |dst| DrawOp::Tile {
            dst,
            width: 64,
            height: 64,
        };
        let list = DrawList {
            ops: vec![tile(full), blend],
            damage: Region::from_rect(full),
        };
        let does = ServerDoes {
            tiles: true,
            ..ServerDoes::default()
        };
        let s = split(list, |_| true, does);
        assert_eq!(s.tiles, vec![Rect::new(0, 0, 60, 10)]);
        assert!(s.fills.is_empty());
        assert_eq!(s.gl.ops, vec![tile(right), blend]);
        let reads = needed_sources(&s.gl, |_| (40, 10));
        assert_eq!(
            &reads[..2],
            &[
                (TextureKey::Background, Rect::new(60, 0, 4, 10)),
                (TextureKey::Background, Rect::new(0, 0, 36, 10)),
            ]
        );
    }

    #[test]
    fn windows_that_are_not_copyable_stay_in_gl() {
        let r = Rect::new(0, 0, 10, 10);
        let list = DrawList {
            ops: vec![copy(7, r, r)],
            damage: Region::from_rect(r),
        };
        let s = split(list.clone(), |w| w != 7, ServerDoes::default());
        assert!(s.server.is_empty());
        assert_eq!(s.gl, list);
    }

    #[test]
    fn needed_sources_cover_copies_scales_and_blend_filter_margins() {
        let list = DrawList {
            ops: vec![
                copy(1, Rect::new(5, 5, 10, 10), Rect::new(0, 0, 10, 10)),
                DrawOp::Scale {
                    window: 2,
                    dst: Rect::new(0, 0, 5, 5),
                },
                DrawOp::Blend {
                    window: 3,
                    src: SrcRect {
                        x: 1.5,
                        y: 2.0,
                        width: 3.0,
                        height: 4.0,
                    },
                    dst: Rect::new(0, 0, 3, 4),
                    opacity: 1.0,
                    argb: true,
                    scaled: true,
                },
            ],
            damage: Region::new(),
        };
        let n = needed_sources(&list, |_| (40, 30));
        assert_eq!(
            n,
            vec![
                (TextureKey::Window(1), Rect::new(5, 5, 10, 10)),
                (TextureKey::Window(2), Rect::new(0, 0, 40, 30)),
                (TextureKey::Window(3), Rect::new(0, 1, 6, 6)),
            ]
        );
    }

    fn scaled_blend(window: WindowId, dst: Rect, opacity: f32) -> DrawOp {
        DrawOp::Blend {
            window,
            src: SrcRect::from(Rect::new(0, 0, 1, 1)),
            dst,
            opacity,
            argb: false,
            scaled: true,
        }
    }

    #[test]
    fn opaque_scaled_windows_go_to_the_server_unless_something_is_drawn_over_them() {
        let does = ServerDoes {
            scale: true,
            ..ServerDoes::default()
        };
        let col = Rect::new(0, 0, 50, 30);
        let part = Rect::new(50, 0, 50, 10);
        let shadow = DrawOp::Shadow(ShadowPart {
            dst: Rect::new(90, 5, 10, 10),
            caster: Rect::new(0, 0, 1, 1),
            sigma: 1.0,
            opacity: 0.5,
        });
        let list = DrawList {
            ops: vec![
                DrawOp::Scale {
                    window: 1,
                    dst: col,
                },
                scaled_blend(2, part, 1.0),
                shadow,
                scaled_blend(3, Rect::new(0, 40, 10, 10), 0.5),
            ],
            damage: Region::from_rect(Rect::new(0, 0, 100, 50)),
        };
        let s = split(list, |_| true, does);
        assert_eq!(s.scaled, vec![(1, col)]);
        // Window 2 is under a shadow, window 3 translucent: both stay in GL.
        assert_eq!(s.gl.ops.len(), 3);
        assert_eq!(s.gl.damage.area(), 100 * 50 - col.area());
        let no = split(
            DrawList {
                ops: vec![DrawOp::Scale {
                    window: 1,
                    dst: col,
                }],
                damage: Region::from_rect(col),
            },
            |w| w != 1,
            does,
        );
        assert!(no.scaled.is_empty() && no.gl.ops.len() == 1);
    }

    #[test]
    fn damage_touching_a_live_window_repaints_it_whole_and_leaves_static_ones_alone() {
        use crate::model::{Geometry, WindowInfo, WindowModel};
        let mut m = WindowModel::new(100, 100);
        let win = |id, x| WindowInfo {
            id,
            geometry: Geometry::new(x, 0, 40, 100, 0),
            mapped: true,
            depth: 24,
            ..Default::default()
        };
        m.add_existing([win(1, 0), win(2, 50)]);
        let scene = Scene::from_model(&m);
        // A band across both windows (say from a window below both).
        let band = Region::from_rect(Rect::new(0, 10, 100, 5));
        let grown = snapshot_damage(&scene, &band, |w| w == 2);
        assert_eq!(
            grown.intersected(&Rect::new(50, 0, 40, 100)).area(),
            40 * 100
        );
        assert_eq!(grown.area(), 40 * 100 + 60 * 5);
        let untouched = Region::from_rect(Rect::new(0, 10, 10, 5));
        assert_eq!(
            snapshot_damage(&scene, &untouched, |_| true).area(),
            40 * 100
        );
        assert_eq!(snapshot_damage(&scene, &untouched, |_| false), untouched);
    }
}

#[cfg(test)]
#[path = "split_props.rs"]
mod props;
