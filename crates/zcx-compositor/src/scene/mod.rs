//! The scene and the draw list: pure functions from the window model (what is on screen) and
//! a damage region (what must be repainted) to a list of drawing operations (data). Opaque
//! windows occlude what is below them, so each damaged pixel is written by at most one copy
//! plus the translucent windows above it. The GL backend executes the list.

use crate::model::background::Background;
use crate::model::decor::{WindowDecor, SHADOW};
use crate::model::placement::{Placement, SrcRect};
use crate::model::{WindowId, WindowModel};
use crate::region::{self, Rect, Region};

pub mod hud;
pub mod split;

/// What a GL texture holds, and what a draw operation reads: a window's contents or the root
/// background pixmap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TextureKey {
    Window(WindowId),
    Background,
}

impl std::fmt::Display for TextureKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Window(id) => write!(f, "window {id:#x}"),
            Self::Background => f.write_str("the root background pixmap"),
        }
    }
}

/// One visible window, as the scene sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct SceneItem {
    pub window: WindowId,
    /// Screen rectangle the window's pixmap (border included) is drawn to.
    pub extents: Rect,
    /// How the pixmap maps onto `extents` (scaled in the side-by-side layout).
    pub placement: Placement,
    /// Screen rectangles the window covers (its bounding shape, clipped to its extents).
    pub shape: Vec<Rect>,
    pub opacity: f32,
    /// Contents carry premultiplied alpha (depth-32 ARGB visual).
    pub argb: bool,
    pub opaque: bool,
    /// Shadow and mode-coloured border (`decor`), when on.
    pub decor: WindowDecor,
}

/// Visible windows bottom to top.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Scene {
    pub screen: Rect,
    pub items: Vec<SceneItem>,
}

impl Scene {
    pub fn from_model(model: &WindowModel) -> Self {
        let decor = model.decorations();
        let items = model
            .stacking()
            .filter(|w| w.is_visible())
            .map(|w| {
                let placement = w.placement();
                let extents = placement.dst;
                let shape = match &w.bounding_shape {
                    None => vec![extents],
                    // Disjoint in the window; scaled, each is rounded outwards, so neighbours
                    // can overlap on the screen and must be made disjoint again (else a pixel
                    // is painted twice, and a later part covers an earlier server copy).
                    Some(rs) if placement.is_scaled() => {
                        region::disjoint(rs.iter().filter_map(|r| placement.to_screen(*r)))
                    }
                    Some(rs) => rs.iter().filter_map(|r| placement.to_screen(*r)).collect(),
                };
                SceneItem {
                    window: w.id(),
                    extents,
                    placement,
                    shape,
                    opacity: w.opacity(),
                    argb: w.info.argb,
                    opaque: w.is_opaque(),
                    decor: decor.for_window(&w.decor_facts()),
                }
            })
            .collect();
        Self {
            screen: model.screen(),
            items,
        }
    }
}

/// One drawing operation; `src` is in the window's pixmap coordinates, `dst` on the screen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DrawOp {
    /// Fill with a solid colour (0x00RRGGBB): the root background or a decoration border.
    Fill { dst: Rect, rgb: u32 },
    /// Paint the root background pixmap (`width`×`height`, tiled from the screen origin).
    Tile { dst: Rect, width: u32, height: u32 },
    /// Copy an opaque window's pixels unchanged (a blit, no shader pass).
    Copy {
        window: WindowId,
        src: Rect,
        dst: Rect,
    },
    /// Scale an opaque window's whole pixmap onto `dst` (a linear blit, no shader pass).
    Scale { window: WindowId, dst: Rect },
    /// Blend a window over what is below: premultiplied-alpha "over", bilinear when `scaled`.
    Blend {
        window: WindowId,
        src: SrcRect,
        dst: Rect,
        opacity: f32,
        argb: bool,
        scaled: bool,
    },
    /// Darken part of the screen by a drop shadow.
    Shadow(ShadowPart),
    /// Draw the HUD panel of `window` (its text changed or what is below was repainted),
    /// clipped to `clip`.
    Hud { window: WindowId, clip: Rect },
}

impl DrawOp {
    /// The operation that paints the uncovered screen rectangle `dst`.
    pub fn background(background: Background, dst: Rect) -> Self {
        match background {
            Background::Solid(rgb) => Self::Fill { dst, rgb },
            Background::Pixmap(p) => Self::Tile {
                dst,
                width: p.width,
                height: p.height,
            },
        }
    }
}

/// Darkens `dst` by the drop shadow `caster` casts: `caster` blurred by a Gaussian of
/// standard deviation `sigma`, at most `opacity` dark.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ShadowPart {
    pub dst: Rect,
    pub caster: Rect,
    pub sigma: f32,
    pub opacity: f32,
}

/// A HUD panel on the screen, drawn above everything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HudPanel {
    pub window: WindowId,
    pub rect: Rect,
}

/// Operations in painting order, plus the damage they repaint (what must be presented).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DrawList {
    pub ops: Vec<DrawOp>,
    pub damage: Region,
}

impl DrawList {
    /// Builds the operations that repaint `damage` (screen coordinates) for `scene`; what no
    /// window covers shows `background` (a colour 0x00RRGGBB or a root pixmap).
    pub fn build(scene: &Scene, damage: &Region, background: impl Into<Background>) -> Self {
        let damage = damage.intersected(&scene.screen);
        let mut remaining = damage.clone();
        let mut top_down = Vec::new();
        for item in scene.items.iter().rev() {
            if remaining.is_empty() {
                break;
            }
            for part in &item.shape {
                for r in remaining.intersected(part).rects() {
                    top_down.push(item.draw_op(*r));
                }
            }
            if item.opaque {
                for part in &item.shape {
                    remaining.subtract_rect(part);
                }
            }
            item.decor_ops(&mut remaining, &mut top_down);
        }
        let background = background.into();
        let mut ops: Vec<DrawOp> = remaining
            .rects()
            .iter()
            .map(|&dst| DrawOp::background(background, dst))
            .collect();
        ops.extend(top_down.into_iter().rev());
        Self { ops, damage }
    }

    /// Adds the HUD panels on top: a panel is redrawn where the damage touches it.
    pub fn add_hud(&mut self, panels: &[HudPanel]) {
        for p in panels {
            for r in self.damage.intersected(&p.rect).rects() {
                self.ops.push(DrawOp::Hud {
                    window: p.window,
                    clip: *r,
                });
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.damage.is_empty()
    }
}

impl SceneItem {
    /// Below the window: its border (opaque fills of the ring around it) and, below that, its
    /// shadow, which never darkens the window or its border. Pushed top-down like `build`.
    fn decor_ops(&self, remaining: &mut Region, top_down: &mut Vec<DrawOp>) {
        let mut outer = self.extents;
        if let Some((ring, rgb)) = self.decor.border {
            for band in ring.subtract(&self.extents) {
                for r in remaining.intersected(&band).rects() {
                    top_down.push(DrawOp::Fill { dst: *r, rgb });
                }
                remaining.subtract_rect(&band);
            }
            outer = ring;
        }
        if let Some(caster) = self.decor.shadow {
            let extents = crate::model::decor::grow(caster, SHADOW.reach());
            for band in extents.subtract(&outer) {
                for r in remaining.intersected(&band).rects() {
                    top_down.push(DrawOp::Shadow(ShadowPart {
                        dst: *r,
                        caster,
                        sigma: SHADOW.sigma,
                        opacity: SHADOW.opacity,
                    }));
                }
            }
        }
    }

    /// The operation that paints screen rectangle `dst` (inside this item's shape).
    fn draw_op(&self, dst: Rect) -> DrawOp {
        let window = self.window;
        let scaled = self.placement.is_scaled();
        if !scaled && self.opaque {
            let src = dst.translate(-self.extents.x, -self.extents.y);
            return DrawOp::Copy { window, src, dst };
        }
        if scaled && self.opaque && dst == self.extents {
            return DrawOp::Scale { window, dst };
        }
        let src = if scaled {
            self.placement.to_source(dst)
        } else {
            dst.translate(-self.extents.x, -self.extents.y).into()
        };
        let (opacity, argb) = if self.opaque {
            (1.0, false)
        } else {
            (self.opacity, self.argb)
        };
        DrawOp::Blend {
            window,
            src,
            dst,
            opacity,
            argb,
            scaled,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::WindowInfo;

    const BG: u32 = 0x0011_2233;

    fn model(infos: Vec<WindowInfo>) -> WindowModel {
        let mut m = WindowModel::new(100, 100);
        m.add_existing(infos);
        m
    }

    fn win(id: WindowId, x: i32, y: i32, w: u32, h: u32) -> WindowInfo {
        WindowInfo::mapped_at(id, x, y, w, h)
    }

    fn full() -> Region {
        Region::from_rect(Rect::new(0, 0, 100, 100))
    }

    #[test]
    fn empty_screen_is_one_background_fill() {
        let list = DrawList::build(&Scene::from_model(&model(vec![])), &full(), BG);
        assert_eq!(
            list.ops,
            vec![DrawOp::Fill {
                dst: Rect::new(0, 0, 100, 100),
                rgb: BG
            }]
        );
    }

    #[test]
    fn scene_skips_unmapped_and_input_only() {
        let mut hidden = win(2, 0, 0, 5, 5);
        hidden.mapped = false;
        let input_only = WindowInfo {
            input_only: true,
            ..win(3, 0, 0, 5, 5)
        };
        let scene = Scene::from_model(&model(vec![win(1, 0, 0, 5, 5), hidden, input_only]));
        assert_eq!(
            scene.items.iter().map(|i| i.window).collect::<Vec<_>>(),
            vec![1]
        );
    }

    #[test]
    fn opaque_window_occludes_the_one_below_and_the_background() {
        let scene = Scene::from_model(&model(vec![win(1, 0, 0, 50, 50), win(2, 0, 0, 100, 100)]));
        let list = DrawList::build(&scene, &full(), BG);
        assert_eq!(
            list.ops,
            vec![DrawOp::Copy {
                window: 2,
                src: Rect::new(0, 0, 100, 100),
                dst: Rect::new(0, 0, 100, 100)
            }]
        );
    }

    #[test]
    fn only_damaged_parts_are_drawn_in_window_coordinates() {
        let scene = Scene::from_model(&model(vec![win(1, 10, 20, 50, 50)]));
        let damage = Region::from_rect(Rect::new(0, 30, 20, 5));
        let list = DrawList::build(&scene, &damage, BG);
        assert_eq!(
            list.ops,
            vec![
                DrawOp::Fill {
                    dst: Rect::new(0, 30, 10, 5),
                    rgb: BG
                },
                DrawOp::Copy {
                    window: 1,
                    src: Rect::new(0, 10, 10, 5),
                    dst: Rect::new(10, 30, 10, 5)
                },
            ]
        );
    }

    #[test]
    fn translucent_window_is_blended_after_what_is_below() {
        let top = WindowInfo {
            opacity: Some(0x8000_0000),
            ..win(2, 0, 0, 10, 10)
        };
        let scene = Scene::from_model(&model(vec![win(1, 0, 0, 10, 10), top]));
        let list = DrawList::build(&scene, &Region::from_rect(Rect::new(0, 0, 10, 10)), BG);
        assert!(matches!(list.ops[0], DrawOp::Copy { window: 1, .. }));
        assert!(
            matches!(list.ops[1], DrawOp::Blend { window: 2, opacity, argb: false, .. } if (opacity - 0.5).abs() < 0.01)
        );
        assert_eq!(list.ops.len(), 2);
    }

    #[test]
    fn argb_window_over_background_fills_first() {
        let top = WindowInfo {
            argb: true,
            depth: 32,
            ..win(1, 0, 0, 10, 10)
        };
        let scene = Scene::from_model(&model(vec![top]));
        let list = DrawList::build(&scene, &Region::from_rect(Rect::new(0, 0, 10, 10)), BG);
        assert!(matches!(list.ops[0], DrawOp::Fill { .. }));
        assert!(matches!(
            list.ops[1],
            DrawOp::Blend {
                window: 1,
                argb: true,
                ..
            }
        ));
    }

    #[test]
    fn overlapping_shape_rectangles_paint_each_pixel_once() {
        let mut m = model(vec![win(1, 0, 0, 20, 20)]);
        m.handle_shape(
            1,
            Some(vec![Rect::new(5, 5, 10, 10), Rect::new(0, 0, 20, 20)]),
        );
        let scene = Scene::from_model(&m);
        let shape = &scene.items[0].shape;
        let area: u64 = shape.iter().map(Rect::area).sum();
        assert_eq!(area, 400, "shape {shape:?} counts a pixel twice");
    }

    #[test]
    fn a_scaled_shape_stays_disjoint_on_the_screen() {
        // A 10x30 producer scaled into a 100x100 screen's one column: its two shape bands,
        // disjoint in the window, are rounded outwards on the screen and would overlap.
        let mut m = model(vec![WindowInfo {
            producer: true,
            ..win(1, 0, 0, 10, 30)
        }]);
        m.set_layout(crate::model::layout::Layout::SideBySide);
        m.handle_shape(
            1,
            Some(vec![Rect::new(0, 0, 10, 7), Rect::new(0, 7, 10, 23)]),
        );
        let scene = Scene::from_model(&m);
        let item = &scene.items[0];
        assert!(item.placement.is_scaled(), "{:?}", item.placement);
        let shape = &item.shape;
        for (i, a) in shape.iter().enumerate() {
            for b in &shape[i + 1..] {
                assert_eq!(a.intersect(b), None, "{a:?} and {b:?} overlap in {shape:?}");
            }
        }
        let area: u64 = shape.iter().map(Rect::area).sum();
        assert_eq!(area, item.extents.area(), "shape {shape:?}");
    }

    #[test]
    fn shaped_window_leaves_the_background_outside_its_shape() {
        let mut m = model(vec![win(1, 10, 10, 20, 20)]);
        m.handle_shape(1, Some(vec![Rect::new(0, 0, 10, 20)]));
        let list = DrawList::build(
            &Scene::from_model(&m),
            &Region::from_rect(Rect::new(10, 10, 20, 20)),
            BG,
        );
        assert_eq!(
            list.ops,
            vec![
                DrawOp::Fill {
                    dst: Rect::new(20, 10, 10, 20),
                    rgb: BG
                },
                DrawOp::Copy {
                    window: 1,
                    src: Rect::new(0, 0, 10, 20),
                    dst: Rect::new(10, 10, 10, 20)
                },
            ]
        );
    }

    #[test]
    fn damage_outside_the_screen_is_dropped() {
        let scene = Scene::from_model(&model(vec![]));
        let list = DrawList::build(&scene, &Region::from_rect(Rect::new(90, 90, 50, 50)), BG);
        assert_eq!(list.damage.rects(), &[Rect::new(90, 90, 10, 10)]);
    }

    fn decorated(infos: Vec<WindowInfo>, shadows: bool, borders: bool) -> WindowModel {
        let mut m = model(infos);
        m.set_decorations(crate::model::decor::Decorations { shadows, borders });
        m
    }

    fn area_of(ops: &[DrawOp], pick: impl Fn(&DrawOp) -> Option<Rect>) -> u64 {
        ops.iter().filter_map(pick).map(|r| r.area()).sum()
    }

    #[test]
    fn a_producer_border_is_an_opaque_ring_of_its_mode_colour_outside_the_window() {
        let mut p = win(1, 20, 20, 40, 30);
        p.producer = true;
        let mut m = decorated(vec![p], false, true);
        m.handle_transfer_mode(1, Some("put-image"));
        let list = DrawList::build(&Scene::from_model(&m), &full(), BG);
        let red = crate::model::decor::mode_rgb(Some("put-image"));
        let ring = area_of(&list.ops, |op| match *op {
            DrawOp::Fill { dst, rgb } if rgb == red => Some(dst),
            _ => None,
        });
        assert_eq!(ring, 48 * 38 - 40 * 30);
        let background = area_of(&list.ops, |op| match *op {
            DrawOp::Fill { dst, rgb } if rgb == BG => Some(dst),
            _ => None,
        });
        assert_eq!(
            background,
            100 * 100 - 48 * 38,
            "the ring occludes the background"
        );
        assert!(list
            .ops
            .iter()
            .any(|op| matches!(op, DrawOp::Copy { dst, .. }
            if *dst == Rect::new(20, 20, 40, 30))));
    }

    #[test]
    fn ordinary_windows_get_no_border() {
        let m = decorated(vec![win(1, 20, 20, 40, 30)], false, true);
        let list = DrawList::build(&Scene::from_model(&m), &full(), BG);
        assert!(list.ops.iter().all(|op| match op {
            DrawOp::Fill { rgb, .. } => *rgb == BG,
            _ => true,
        }));
    }

    #[test]
    fn a_shadow_is_drawn_below_its_window_and_over_what_is_below_never_under_the_window() {
        let below = win(1, 0, 0, 100, 100);
        let top = win(2, 20, 20, 40, 30);
        let m = decorated(vec![below, top], true, false);
        let list = DrawList::build(&Scene::from_model(&m), &full(), BG);
        let shadows: Vec<(usize, Rect)> = list
            .ops
            .iter()
            .enumerate()
            .filter_map(|(i, op)| match *op {
                DrawOp::Shadow(s) => {
                    assert_eq!(s.caster, Rect::new(26, 28, 40, 30));
                    Some((i, s.dst))
                }
                _ => None,
            })
            .collect();
        assert!(!shadows.is_empty());
        let window = Rect::new(20, 20, 40, 30);
        let copy_at = |w: WindowId| {
            list.ops
                .iter()
                .position(|op| matches!(op, DrawOp::Copy { window, .. } if *window == w))
                .unwrap()
        };
        for (i, dst) in &shadows {
            assert!(
                dst.intersect(&window).is_none(),
                "{dst:?} darkens the window"
            );
            assert!(
                *i > copy_at(1) && *i < copy_at(2),
                "order: below, shadow, window"
            );
        }
    }

    #[test]
    fn an_opaque_window_above_hides_a_shadow_and_shaped_or_argb_windows_cast_none() {
        let m = decorated(
            vec![win(1, 20, 20, 40, 30), win(2, 0, 0, 100, 100)],
            true,
            false,
        );
        let list = DrawList::build(&Scene::from_model(&m), &full(), BG);
        assert!(!list.ops.iter().any(|op| matches!(op, DrawOp::Shadow(_))));
        let argb = WindowInfo {
            argb: true,
            depth: 32,
            ..win(1, 20, 20, 40, 30)
        };
        let mut m = decorated(vec![argb, win(2, 5, 5, 5, 5)], true, false);
        m.handle_shape(2, Some(vec![Rect::new(0, 0, 2, 2)]));
        let list = DrawList::build(&Scene::from_model(&m), &full(), BG);
        assert!(!list.ops.iter().any(|op| matches!(op, DrawOp::Shadow(_))));
    }

    #[test]
    fn moving_a_decorated_window_damages_its_shadow_and_border_too() {
        let mut p = win(1, 30, 30, 20, 10);
        p.producer = true;
        let mut m = decorated(vec![p], true, true);
        m.take_screen_damage();
        m.handle_unmap(1);
        let damage = m.take_screen_damage().bounds();
        let reach = crate::model::decor::SHADOW.reach() as i32;
        // Border 4 px around, the shadow 6 right and 8 down of that, blurred by `reach`.
        assert_eq!((damage.x, damage.y), (26 + 6 - reach, 26 + 8 - reach));
        assert_eq!(damage.right(), i64::from(26 + 28 + 6 + reach));
        assert_eq!(damage.bottom(), i64::from(26 + 18 + 8 + reach));
    }

    #[test]
    fn solid_and_pixmap_backgrounds_make_fills_and_tiles() {
        use crate::model::background::RootPixmap;
        let dst = Rect::new(1, 2, 3, 4);
        assert_eq!(
            DrawOp::background(Background::from(7), dst),
            DrawOp::Fill { dst, rgb: 7 }
        );
        let p = RootPixmap {
            pixmap: 9,
            width: 64,
            height: 32,
        };
        assert_eq!(
            DrawOp::background(Background::Pixmap(p), dst),
            DrawOp::Tile {
                dst,
                width: 64,
                height: 32
            }
        );
    }

    #[test]
    fn uncovered_damage_shows_the_pixmap_and_windows_cover_it() {
        use crate::model::background::RootPixmap;
        use crate::model::Geometry;
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
                DrawOp::background(bg, Rect::new(0, 50, 100, 50)),
                DrawOp::Copy {
                    window: 1,
                    src: Rect::new(0, 0, 100, 50),
                    dst: Rect::new(0, 0, 100, 50)
                },
            ]
        );
    }
}
