//! Which window, if any, may bypass the compositor (unredirection): a pure function of the
//! window model, of what the compositor itself would draw (HUD panels) and of which windows
//! hand their frames over (`handoff`). A window qualifies when nothing needs compositing: it
//! is the top window that shows on the screen, it covers the whole screen (border included) at
//! its own place and size, it is opaque (no alpha channel, no `_NET_WM_WINDOW_OPACITY` below
//! 1), its bounding shape (if any) still covers the screen, no HUD panel would be drawn and its
//! frames are not handed to the compositor. Everything else that could be drawn over it
//! (another window, override-redirect or not, a translucent one, a shadow or border of a window
//! above) is a window above it that shows on the screen. The X side is `compositor::unredirect`.

use crate::model::{Window, WindowId, WindowModel};
use crate::region::{Rect, Region};

/// What besides the window model decides unredirection.
#[derive(Clone, Copy, Debug, Default)]
pub struct Inputs<'a> {
    /// Screen rectangles of the HUD panels the compositor would draw.
    pub hud_panels: &'a [Rect],
    /// Windows whose frames are handed to the compositor (`handoff`): their own contents are
    /// stale, so they must stay composited (from the handed pixmaps, one copy as well).
    pub handed_off: &'a [WindowId],
}

/// Why no window may bypass the compositor now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Blocker {
    /// `--no-unredirect`.
    Disabled,
    /// No window shows on the screen.
    NoWindow,
    /// The top window does not cover the whole screen.
    NotFullScreen(WindowId),
    /// The top window has an alpha channel or an opacity below 1.
    Translucent(WindowId),
    /// The top window's bounding shape lets what is below show through.
    Shaped(WindowId),
    /// The layout moves or scales the top window.
    Placed(WindowId),
    /// A HUD panel would be drawn over it.
    Hud(WindowId),
    /// Its frames are handed to the compositor.
    HandedOff(WindowId),
}

impl std::fmt::Display for Blocker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Self::Disabled => write!(f, "unredirection is off"),
            Self::NoWindow => write!(f, "no window shows on the screen"),
            Self::NotFullScreen(w) => write!(f, "window {w:#x} is on top and not full screen"),
            Self::Translucent(w) => write!(f, "window {w:#x} on top is translucent"),
            Self::Shaped(w) => write!(f, "window {w:#x} on top is shaped"),
            Self::Placed(w) => write!(f, "the layout moves or scales window {w:#x} on top"),
            Self::Hud(w) => write!(f, "a HUD panel is drawn over window {w:#x}"),
            Self::HandedOff(w) => write!(f, "window {w:#x} on top hands its frames over"),
        }
    }
}

/// The window whose frames may go straight to the screen, or why none may.
pub fn candidate(model: &WindowModel, inputs: &Inputs) -> Result<WindowId, Blocker> {
    let screen = model.screen();
    let decor = model.decorations();
    let top = model
        .stacking()
        .rev()
        .filter(|w| w.is_visible())
        .find(|w| {
            decor
                .visual_extents(&w.decor_facts())
                .intersect(&screen)
                .is_some()
        })
        .ok_or(Blocker::NoWindow)?;
    let id = top.id();
    if !top.extents().contains(&screen) {
        return Err(Blocker::NotFullScreen(id));
    }
    let placement = top.placement();
    if placement.is_scaled() || placement.dst != top.extents() {
        return Err(Blocker::Placed(id));
    }
    if !top.is_opaque() {
        return Err(Blocker::Translucent(id));
    }
    if !shape_covers(top, screen) {
        return Err(Blocker::Shaped(id));
    }
    if inputs
        .hud_panels
        .iter()
        .any(|p| p.intersect(&screen).is_some())
    {
        return Err(Blocker::Hud(id));
    }
    if inputs.handed_off.contains(&id) {
        return Err(Blocker::HandedOff(id));
    }
    Ok(id)
}

/// Whether the window's bounding shape (if any) covers all of `screen`.
fn shape_covers(w: &Window, screen: Rect) -> bool {
    let Some(shape) = &w.bounding_shape else {
        return true;
    };
    let origin = w.extents();
    let mut uncovered = Region::from_rect(screen);
    for r in shape {
        uncovered.subtract_rect(&r.translate(origin.x, origin.y));
    }
    uncovered.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::decor::Decorations;
    use crate::model::{Geometry, WindowInfo};

    const FULL: (i32, i32, u32, u32) = (0, 0, 100, 80);

    fn win(id: WindowId, (x, y, w, h): (i32, i32, u32, u32)) -> WindowInfo {
        WindowInfo::mapped_at(id, x, y, w, h)
    }

    fn model(infos: Vec<WindowInfo>) -> WindowModel {
        let mut m = WindowModel::new(100, 80);
        m.add_existing(infos);
        m
    }

    fn verdict(m: &WindowModel) -> Result<WindowId, Blocker> {
        candidate(m, &Inputs::default())
    }

    #[test]
    fn an_opaque_full_screen_window_with_nothing_over_it_qualifies() {
        let m = model(vec![win(1, (10, 10, 20, 20)), win(2, FULL)]);
        assert_eq!(verdict(&m), Ok(2));
    }

    #[test]
    fn covering_counts_the_border_and_allows_overhang() {
        let bordered = WindowInfo {
            geometry: Geometry::new(0, 0, 96, 76, 2),
            ..win(1, FULL)
        };
        assert_eq!(verdict(&model(vec![bordered])), Ok(1));
        assert_eq!(verdict(&model(vec![win(1, (-5, -5, 120, 90))])), Ok(1));
        for short in [
            (0, 0, 99, 80),
            (0, 0, 100, 79),
            (1, 0, 100, 80),
            (0, -1, 100, 80),
        ] {
            assert_eq!(
                verdict(&model(vec![win(1, short)])),
                Err(Blocker::NotFullScreen(1)),
                "{short:?}"
            );
        }
    }

    #[test]
    fn argb_or_an_opacity_below_one_blocks_and_full_opacity_does_not() {
        let argb = WindowInfo {
            argb: true,
            depth: 32,
            ..win(1, FULL)
        };
        assert_eq!(verdict(&model(vec![argb])), Err(Blocker::Translucent(1)));
        let mut m = model(vec![win(1, FULL)]);
        m.handle_opacity(1, Some(0xffff_fffe));
        assert_eq!(verdict(&m), Err(Blocker::Translucent(1)));
        m.handle_opacity(1, Some(u32::MAX));
        assert_eq!(verdict(&m), Ok(1));
        m.handle_opacity(1, None);
        assert_eq!(verdict(&m), Ok(1));
    }

    #[test]
    fn a_shape_blocks_only_where_something_shows_through() {
        let mut m = model(vec![win(1, FULL)]);
        m.handle_shape(1, Some(vec![Rect::new(0, 0, 100, 40)]));
        assert_eq!(verdict(&m), Err(Blocker::Shaped(1)));
        m.handle_shape(
            1,
            Some(vec![Rect::new(0, 0, 100, 40), Rect::new(0, 40, 100, 40)]),
        );
        assert_eq!(verdict(&m), Ok(1));
    }

    #[test]
    fn any_window_above_that_shows_blocks_override_redirect_included() {
        let tooltip = WindowInfo {
            override_redirect: true,
            ..win(2, (90, 70, 5, 5))
        };
        let m = model(vec![win(1, FULL), tooltip]);
        assert_eq!(verdict(&m), Err(Blocker::NotFullScreen(2)));
        let translucent_full = WindowInfo {
            opacity: Some(0x8000_0000),
            ..win(2, FULL)
        };
        let m = model(vec![win(1, FULL), translucent_full]);
        assert_eq!(verdict(&m), Err(Blocker::Translucent(2)));
    }

    #[test]
    fn windows_above_that_do_not_show_are_ignored() {
        let unmapped = WindowInfo {
            mapped: false,
            ..win(2, (10, 10, 5, 5))
        };
        let input_only = WindowInfo {
            input_only: true,
            ..win(3, (10, 10, 5, 5))
        };
        let off_screen = win(4, (200, 200, 5, 5));
        let m = model(vec![win(1, FULL), unmapped, input_only, off_screen]);
        assert_eq!(verdict(&m), Ok(1));
    }

    #[test]
    fn the_shadow_of_a_window_above_counts_when_it_reaches_the_screen() {
        let mut m = model(vec![win(1, FULL), win(2, (101, 10, 5, 5))]);
        assert_eq!(verdict(&m), Ok(1));
        m.set_decorations(Decorations {
            shadows: true,
            borders: false,
        });
        assert_eq!(verdict(&m), Err(Blocker::NotFullScreen(2)));
    }

    #[test]
    fn a_hud_panel_on_the_screen_blocks() {
        let m = model(vec![win(1, FULL)]);
        let on = [Rect::new(4, 4, 30, 10)];
        let hud = Inputs {
            hud_panels: &on,
            ..Inputs::default()
        };
        assert_eq!(candidate(&m, &hud), Err(Blocker::Hud(1)));
        let off = [Rect::new(400, 4, 30, 10)];
        let hud = Inputs {
            hud_panels: &off,
            ..Inputs::default()
        };
        assert_eq!(candidate(&m, &hud), Ok(1));
    }

    #[test]
    fn a_window_whose_frames_are_handed_off_stays_composited() {
        let m = model(vec![win(1, (0, 0, 10, 10)), win(2, FULL)]);
        let handed = Inputs {
            handed_off: &[2],
            ..Inputs::default()
        };
        assert_eq!(candidate(&m, &handed), Err(Blocker::HandedOff(2)));
        let other = Inputs {
            handed_off: &[1],
            ..Inputs::default()
        };
        assert_eq!(candidate(&m, &other), Ok(2));
    }

    #[test]
    fn a_window_the_layout_scales_is_composited() {
        let producer = WindowInfo {
            producer: true,
            ..win(1, FULL)
        };
        let other = WindowInfo {
            producer: true,
            ..win(2, (0, 0, 10, 10))
        };
        let mut m = model(vec![other, producer]);
        m.set_layout(crate::model::layout::Layout::SideBySide);
        assert_eq!(verdict(&m), Err(Blocker::Placed(1)));
        assert_eq!(verdict(&model(vec![])), Err(Blocker::NoWindow));
    }
}
