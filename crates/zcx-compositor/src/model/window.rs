//! One window as the model sees it: its X-side facts (`WindowInfo`: geometry, map state,
//! class, depth/ARGB, opacity, producer flag, bounding shape) and what the compositor tracks
//! for it (pending NameWindowPixmap, contents damage not yet imported, bounding shape in
//! pixmap coordinates, layout placement, the transfer mode that colours its border).

use super::decor::DecorFacts;
use super::placement::Placement;
use crate::region::{disjoint, Rect, Region};

pub type WindowId = u32;

/// Position and size as ConfigureNotify reports them: `x`/`y` is the outer (border) corner
/// relative to the root, `width`/`height` exclude the border.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Geometry {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
    pub border_width: u32,
}

impl Geometry {
    pub fn new(x: i32, y: i32, width: u32, height: u32, border_width: u32) -> Self {
        Self {
            x,
            y,
            width,
            height,
            border_width,
        }
    }

    /// Outer size including the border: the size of the window's named pixmap.
    pub fn outer_size(&self) -> (u32, u32) {
        let b = self.border_width.saturating_mul(2);
        (self.width.saturating_add(b), self.height.saturating_add(b))
    }

    /// The screen rectangle the window covers, border included.
    pub fn extents(&self) -> Rect {
        let (w, h) = self.outer_size();
        Rect::new(self.x, self.y, w, h)
    }
}

/// What the X side learns about a window when it first appears (QueryTree, CreateNotify,
/// ReparentNotify to the root).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WindowInfo {
    pub id: WindowId,
    pub geometry: Geometry,
    pub mapped: bool,
    pub override_redirect: bool,
    pub input_only: bool,
    pub depth: u8,
    /// The visual has an alpha channel (depth-32 ARGB): contents are premultiplied alpha.
    pub argb: bool,
    /// `_NET_WM_WINDOW_OPACITY`, 0..=0xffff_ffff.
    pub opacity: Option<u32>,
    /// A frame producer: WM_CLASS `zcx-producer` or a `_ZCX_STATS` property.
    pub producer: bool,
    /// The bounding shape relative to the window origin (inside the border), as the SHAPE
    /// extension reports it; `None` when unshaped.
    pub bounding_shape: Option<Vec<Rect>>,
}

#[cfg(test)]
impl WindowInfo {
    /// A mapped depth-24 window at `x`,`y` of `w`×`h` without a border (unit tests).
    pub(crate) fn mapped_at(id: WindowId, x: i32, y: i32, w: u32, h: u32) -> Self {
        Self {
            id,
            geometry: Geometry::new(x, y, w, h, 0),
            mapped: true,
            depth: 24,
            ..Default::default()
        }
    }
}

/// One tracked window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    pub info: WindowInfo,
    /// The window's contents must be (re)named with NameWindowPixmap: set on map and resize.
    pub needs_pixmap: bool,
    /// Damaged contents in pixmap coordinates (outer corner = 0,0), not yet imported.
    pub content_damage: Region,
    /// Bounding shape in pixmap coordinates; `None` means unshaped (the whole extents).
    pub bounding_shape: Option<Vec<Rect>>,
    /// Where the layout puts the pixmap when not at its own extents (side-by-side columns).
    pub placed_at: Option<Rect>,
    /// The transfer mode a producer's `_ZCX_STATS` names (its border colour).
    pub transfer_mode: Option<String>,
}

impl Window {
    pub(super) fn new(info: WindowInfo) -> Self {
        let mut w = Self {
            info,
            needs_pixmap: false,
            content_damage: Region::new(),
            bounding_shape: None,
            placed_at: None,
            transfer_mode: None,
        };
        w.set_bounding_shape(w.info.bounding_shape.clone());
        if w.info.mapped {
            w.mark_contents_stale();
        }
        w
    }

    pub fn id(&self) -> WindowId {
        self.info.id
    }

    /// The window's own screen rectangle, border included (where X puts it).
    pub fn extents(&self) -> Rect {
        self.info.geometry.extents()
    }

    /// Where the pixmap is drawn: its own extents, or the layout's rectangle.
    pub fn placement(&self) -> Placement {
        Placement {
            size: self.info.geometry.outer_size(),
            dst: self.placed_at.unwrap_or_else(|| self.extents()),
        }
    }

    /// Mapped, InputOutput and of non-zero size: something the scene draws.
    pub fn is_visible(&self) -> bool {
        self.info.mapped && !self.info.input_only && !self.extents().is_empty()
    }

    /// Opacity as a fraction in 0.0..=1.0.
    pub fn opacity(&self) -> f32 {
        self.info
            .opacity
            .map_or(1.0, |o| (f64::from(o) / f64::from(u32::MAX)) as f32)
    }

    /// Covers everything below it inside its shape.
    pub fn is_opaque(&self) -> bool {
        !self.info.argb && self.info.opacity.is_none_or(|o| o == u32::MAX)
    }

    /// What decides this window's decorations (`decor`).
    pub fn decor_facts(&self) -> DecorFacts<'_> {
        DecorFacts {
            dst: self.placement().dst,
            producer: self.info.producer,
            shaped_or_argb: self.bounding_shape.is_some() || self.info.argb,
            mode: self.transfer_mode.as_deref(),
        }
    }

    /// Sets the bounding shape, given relative to the window origin (inside the border). The
    /// rectangles are made disjoint (a server sends them so, another source may not): a pixel
    /// painted twice would be blended twice.
    pub(super) fn set_bounding_shape(&mut self, bounding: Option<Vec<Rect>>) {
        let bw = self.info.geometry.border_width as i32;
        self.bounding_shape = bounding
            .as_ref()
            .map(|rs| disjoint(rs.iter().map(|r| r.translate(bw, bw))));
        self.info.bounding_shape = bounding;
    }

    pub(super) fn mark_contents_stale(&mut self) {
        self.needs_pixmap = true;
        let (w, h) = self.info.geometry.outer_size();
        self.content_damage = Region::from_rect(Rect::new(0, 0, w, h));
    }
}
