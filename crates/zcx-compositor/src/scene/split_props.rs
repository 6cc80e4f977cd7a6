//! Property tests of the composite split on random scenes (a few windows of random geometry,
//! opacity, ARGB, shape, producer border and shadow; random damage, live windows, HUD panels
//! and server abilities): what the X server draws and what GL presents partition the damage,
//! and nothing drawn later in the draw list covers a server copy.

use proptest::prelude::*;

use super::*;
use crate::model::background::{Background, RootPixmap};
use crate::model::decor::Decorations;
use crate::model::layout::Layout;
use crate::model::{WindowInfo, WindowModel};
use crate::region::props::{pixels, Pixels};
use crate::scene::HudPanel;

const SCREEN: (u32, u32) = (48, 32);

fn rect(max_x: i32, max_y: i32, max_size: u32) -> impl Strategy<Value = Rect> {
    (-8..max_x, -8..max_y, 1..max_size, 1..max_size).prop_map(|(x, y, w, h)| Rect::new(x, y, w, h))
}

/// One window: geometry, opacity, ARGB, producer, shape (window coordinates).
fn window() -> impl Strategy<Value = (Rect, Option<u32>, bool, bool, Option<Vec<Rect>>)> {
    (
        rect(SCREEN.0 as i32, SCREEN.1 as i32, 30),
        prop::option::weighted(0.3, prop_oneof![Just(u32::MAX), any::<u32>()]),
        prop::bool::weighted(0.25),
        any::<bool>(),
        prop::option::weighted(0.3, prop::collection::vec(rect(20, 20, 16), 0..3)),
    )
}

#[derive(Debug)]
struct Case {
    scene: Scene,
    damage: Region,
    live: Vec<WindowId>,
    hud: Vec<HudPanel>,
    /// Window `id` has a pixmap the server can copy from when `copyable[id]`.
    copyable: Vec<bool>,
    does: ServerDoes,
    tiled: bool,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(window(), 0..5),
        (any::<bool>(), any::<bool>(), prop::bool::weighted(0.5)),
        prop::collection::vec(rect(SCREEN.0 as i32, SCREEN.1 as i32, 40), 1..4),
        prop::collection::vec(1..6u32, 0..4),
        prop::collection::vec((1..6u32, rect(40, 24, 16)), 0..3),
        prop::collection::vec(prop::bool::weighted(0.8), 6),
        any::<[bool; 5]>(),
    )
        .prop_map(
            |(windows, (shadows, borders, sbs), damage, live, hud, copyable, d)| {
                let mut model = WindowModel::new(SCREEN.0, SCREEN.1);
                let ids = 1..;
                let infos: Vec<WindowInfo> = ids
                    .zip(&windows)
                    .map(|(id, (g, opacity, argb, producer, _))| WindowInfo {
                        opacity: *opacity,
                        argb: *argb,
                        depth: if *argb { 32 } else { 24 },
                        producer: *producer,
                        ..WindowInfo::mapped_at(id, g.x, g.y, g.width, g.height)
                    })
                    .collect();
                model.add_existing(infos);
                for (id, (.., shape)) in (1..).zip(&windows) {
                    model.handle_shape(id, shape.clone());
                }
                model.set_decorations(Decorations { shadows, borders });
                if sbs {
                    model.set_layout(Layout::SideBySide);
                }
                let mut region = Region::new();
                for r in damage {
                    region.add(r);
                }
                Case {
                    scene: Scene::from_model(&model),
                    damage: region,
                    live,
                    hud: hud
                        .into_iter()
                        .map(|(window, rect)| HudPanel { window, rect })
                        .collect(),
                    copyable,
                    does: ServerDoes {
                        hud: d[0],
                        fills: d[1],
                        scale: d[2],
                        tiles: d[3],
                    },
                    tiled: d[4],
                }
            },
        )
}

fn draw_list(case: &Case) -> DrawList {
    let damage = snapshot_damage(&case.scene, &case.damage, |w| case.live.contains(&w));
    let background = if case.tiled {
        Background::Pixmap(RootPixmap {
            pixmap: 7,
            width: 16,
            height: 8,
        })
    } else {
        Background::Solid(0x0011_2233)
    };
    let mut list = DrawList::build(&case.scene, &damage, background);
    list.add_hud(&case.hud);
    list
}

/// Whether an operation of the draw list is the one a server part came from.
type FromOp<'a> = Box<dyn Fn(&DrawOp) -> bool + 'a>;

/// Every screen rectangle the X server writes besides the HUD, with the operation it came
/// from recognised by `source` (a copy with the same source offset, a fill of that colour…).
fn server_parts(s: &Split) -> Vec<(Rect, FromOp<'_>)> {
    let mut parts: Vec<(Rect, FromOp)> = Vec::new();
    for c in &s.server {
        let from = move |op: &DrawOp| match *op {
            DrawOp::Copy { window, src, dst } => {
                window == c.window
                    && dst.contains(&c.dst)
                    && c.src == c.dst.translate(src.x - dst.x, src.y - dst.y)
            }
            _ => false,
        };
        parts.push((c.dst, Box::new(from)));
    }
    for &(dst, rgb) in &s.fills {
        let from = move |op: &DrawOp| matches!(*op, DrawOp::Fill { dst: d, rgb: c } if c == rgb && d.contains(&dst));
        parts.push((dst, Box::new(from)));
    }
    for &dst in &s.tiles {
        let from =
            move |op: &DrawOp| matches!(*op, DrawOp::Tile { dst: d, .. } if d.contains(&dst));
        parts.push((dst, Box::new(from)));
    }
    for &(window, dst) in &s.scaled {
        parts.push((
            dst,
            Box::new(move |op: &DrawOp| opaque_scaled(op) == Some((window, dst))),
        ));
    }
    parts
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn server_and_gl_partition_the_damage_and_nothing_later_covers_a_server_part(case in case()) {
        let list = draw_list(&case);
        let split = split(list.clone(), |w| case.copyable.get(w as usize) == Some(&true), case.does);
        let parts = server_parts(&split);
        let mut server = Pixels::new();
        for (dst, _) in &parts {
            let px = pixels(dst);
            prop_assert!(server.is_disjoint(&px), "server parts overlap at {:?}", dst);
            server.extend(px);
        }
        let gl: Pixels = split.gl.damage.rects().iter().flat_map(pixels).collect();
        let damage: Pixels = list.damage.rects().iter().flat_map(pixels).collect();
        prop_assert!(server.is_disjoint(&gl), "a pixel is both server-drawn and GL-presented");
        prop_assert_eq!(&server | &gl, damage);

        // Painting order as the split saw it: HUD operations leave first when the server
        // composites them (on top, after everything else).
        let ops: Vec<DrawOp> = list
            .ops
            .iter()
            .filter(|op| !(case.does.hud && matches!(op, DrawOp::Hud { .. })))
            .copied()
            .collect();
        for (dst, from) in &parts {
            let i = ops.iter().position(from);
            prop_assert!(i.is_some(), "server part {:?} comes from no operation", dst);
            let later = &ops[i.unwrap_or(0) + 1..];
            prop_assert!(
                later.iter().all(|op| op_dst(op).intersect(dst).is_none()),
                "a later operation covers the server part {:?}", dst
            );
        }
    }

    #[test]
    fn snapshot_damage_holds_the_damage_and_each_touched_live_window_whole(case in case()) {
        let grown = snapshot_damage(&case.scene, &case.damage, |w| case.live.contains(&w));
        let got: Pixels = grown.rects().iter().flat_map(pixels).collect();
        let screen = pixels(&case.scene.screen);
        let damage: Pixels = case.damage.rects().iter().flat_map(pixels).collect();
        prop_assert!(got.is_subset(&screen));
        prop_assert!((&damage & &screen).is_subset(&got));
        for item in &case.scene.items {
            let extents = pixels(&item.extents);
            if case.live.contains(&item.window) && !extents.is_disjoint(&damage) {
                prop_assert!((&extents & &screen).is_subset(&got), "live window {} cut", item.window);
            }
        }
    }
}
