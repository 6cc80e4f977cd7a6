//! The window model: every child of the root window the compositor knows about, in stacking
//! order, with geometry, map state, class, depth, opacity, shape and accumulated damage.
//! Pure data: the X side translates events into `handle_<event>` calls and reads back what
//! needs doing (`needs_pixmap`, `take_screen_damage`). Events for unknown windows are ignored,
//! because windows vanish between events.

use std::collections::{HashMap, HashSet};

use crate::region::{Rect, Region};

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
}

impl Window {
    fn new(info: WindowInfo) -> Self {
        let mut w = Self {
            info,
            needs_pixmap: false,
            content_damage: Region::new(),
            bounding_shape: None,
        };
        if w.info.mapped {
            w.mark_contents_stale();
        }
        w
    }

    pub fn id(&self) -> WindowId {
        self.info.id
    }

    pub fn extents(&self) -> Rect {
        self.info.geometry.extents()
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

    fn mark_contents_stale(&mut self) {
        self.needs_pixmap = true;
        let (w, h) = self.info.geometry.outer_size();
        self.content_damage = Region::from_rect(Rect::new(0, 0, w, h));
    }
}

/// Where CirculateNotify put a window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    Top,
    Bottom,
}

/// The ConfigureNotify fields the model uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Configure {
    pub id: WindowId,
    pub geometry: Geometry,
    /// The sibling this window is now directly above; `None` means the bottom of the stack.
    pub above_sibling: Option<WindowId>,
    pub override_redirect: bool,
}

/// All windows that are children of the root, bottom to top, plus screen damage.
#[derive(Clone, Debug, Default)]
pub struct WindowModel {
    screen: Rect,
    stack: Vec<WindowId>,
    windows: HashMap<WindowId, Window>,
    ignored: HashSet<WindowId>,
    screen_damage: Region,
}

impl WindowModel {
    pub fn new(width: u32, height: u32) -> Self {
        let screen = Rect::new(0, 0, width, height);
        Self {
            screen,
            screen_damage: Region::from_rect(screen),
            ..Self::default()
        }
    }

    /// Windows the compositor itself owns (overlay, selection window) never enter the model.
    pub fn ignore(&mut self, id: WindowId) {
        self.ignored.insert(id);
        self.remove(id);
    }

    pub fn screen(&self) -> Rect {
        self.screen
    }

    pub fn len(&self) -> usize {
        self.stack.len()
    }

    pub fn is_empty(&self) -> bool {
        self.stack.is_empty()
    }

    pub fn get(&self, id: WindowId) -> Option<&Window> {
        self.windows.get(&id)
    }

    pub fn get_mut(&mut self, id: WindowId) -> Option<&mut Window> {
        self.windows.get_mut(&id)
    }

    /// Windows bottom to top.
    pub fn stacking(&self) -> impl Iterator<Item = &Window> {
        self.stack.iter().filter_map(|id| self.windows.get(id))
    }

    pub fn stacking_ids(&self) -> &[WindowId] {
        &self.stack
    }

    pub fn windows_mut(&mut self) -> impl Iterator<Item = &mut Window> {
        self.windows.values_mut()
    }

    /// Windows present at start, in QueryTree order (bottom to top).
    pub fn add_existing(&mut self, infos: impl IntoIterator<Item = WindowInfo>) {
        for info in infos {
            self.insert_top(info);
        }
    }

    pub fn screen_damage(&self) -> &Region {
        &self.screen_damage
    }

    pub fn take_screen_damage(&mut self) -> Region {
        self.screen_damage.take()
    }

    pub fn damage_all(&mut self) {
        self.screen_damage = Region::from_rect(self.screen);
    }

    /// Adds screen damage, clipped to the screen.
    pub fn damage_screen(&mut self, r: Rect) {
        if let Some(r) = r.intersect(&self.screen) {
            self.screen_damage.add(r);
        }
    }

    fn damage_window_extents(&mut self, id: WindowId) {
        if let Some(w) = self.windows.get(&id).filter(|w| w.is_visible()) {
            let r = w.extents();
            self.damage_screen(r);
        }
    }

    fn insert_top(&mut self, info: WindowInfo) {
        if self.ignored.contains(&info.id) {
            return;
        }
        let id = info.id;
        self.remove(id);
        self.windows.insert(id, Window::new(info));
        self.stack.push(id);
        self.damage_window_extents(id);
    }

    fn remove(&mut self, id: WindowId) -> Option<Window> {
        self.damage_window_extents(id);
        self.stack.retain(|&s| s != id);
        self.windows.remove(&id)
    }

    pub fn handle_create(&mut self, info: WindowInfo) {
        self.insert_top(WindowInfo {
            mapped: false,
            ..info
        });
    }

    pub fn handle_destroy(&mut self, id: WindowId) {
        self.remove(id);
    }

    pub fn handle_map(&mut self, id: WindowId) {
        let Some(w) = self.windows.get_mut(&id) else {
            return;
        };
        w.info.mapped = true;
        w.mark_contents_stale();
        self.damage_window_extents(id);
    }

    pub fn handle_unmap(&mut self, id: WindowId) {
        self.damage_window_extents(id);
        if let Some(w) = self.windows.get_mut(&id) {
            w.info.mapped = false;
            w.needs_pixmap = false;
            w.content_damage.clear();
        }
    }

    pub fn handle_configure(&mut self, ev: Configure) {
        let Some(w) = self.windows.get(&ev.id) else {
            return;
        };
        let old = w.info.geometry;
        let restack = self
            .position_of(ev.id)
            .and_then(|i| i.checked_sub(1))
            .map(|i| self.stack[i])
            != ev.above_sibling;
        self.damage_window_extents(ev.id);
        if let Some(w) = self.windows.get_mut(&ev.id) {
            w.info.geometry = ev.geometry;
            w.info.override_redirect = ev.override_redirect;
            if w.info.mapped && old.outer_size() != ev.geometry.outer_size() {
                w.mark_contents_stale();
            }
        }
        if restack {
            self.restack_above(ev.id, ev.above_sibling);
        }
        self.damage_window_extents(ev.id);
    }

    fn position_of(&self, id: WindowId) -> Option<usize> {
        self.stack.iter().position(|&s| s == id)
    }

    fn restack_above(&mut self, id: WindowId, sibling: Option<WindowId>) {
        self.stack.retain(|&s| s != id);
        let at = match sibling {
            None => 0,
            Some(s) => {
                match self.position_of(s) {
                    Some(i) => i + 1,
                    None => {
                        log::debug!("window {id:#x} restacked above unknown sibling {s:#x}; putting it on top");
                        self.stack.len()
                    }
                }
            }
        };
        self.stack.insert(at, id);
    }

    /// ReparentNotify. `into_root` carries the window's info when its new parent is the root;
    /// `None` means it moved into another parent (a frame) and leaves the model.
    pub fn handle_reparent(&mut self, id: WindowId, into_root: Option<WindowInfo>) {
        match into_root {
            Some(info) => self.insert_top(WindowInfo { id, ..info }),
            None => {
                self.remove(id);
            }
        }
    }

    pub fn handle_circulate(&mut self, id: WindowId, place: Place) {
        if !self.windows.contains_key(&id) {
            return;
        }
        self.stack.retain(|&s| s != id);
        match place {
            Place::Top => self.stack.push(id),
            Place::Bottom => self.stack.insert(0, id),
        }
        self.damage_window_extents(id);
    }

    /// `_NET_WM_WINDOW_OPACITY` was set, changed or deleted (`None`).
    pub fn handle_opacity(&mut self, id: WindowId, opacity: Option<u32>) {
        let Some(w) = self.windows.get_mut(&id) else {
            return;
        };
        if w.info.opacity != opacity {
            w.info.opacity = opacity;
            self.damage_window_extents(id);
        }
    }

    /// The bounding shape changed; rects are relative to the window origin (inside the
    /// border), as the SHAPE extension reports them. `None`: no longer shaped.
    pub fn handle_shape(&mut self, id: WindowId, bounding: Option<Vec<Rect>>) {
        let Some(w) = self.windows.get_mut(&id) else {
            return;
        };
        let bw = w.info.geometry.border_width as i32;
        w.bounding_shape = bounding.map(|rs| rs.iter().map(|r| r.translate(bw, bw)).collect());
        self.damage_window_extents(id);
    }

    /// New contents damage; rects are relative to the window origin (inside the border), as
    /// DAMAGE reports them for a window.
    pub fn handle_damage(&mut self, id: WindowId, rects: &[Rect]) {
        let Some(w) = self.windows.get_mut(&id) else {
            return;
        };
        if !w.is_visible() {
            return;
        }
        let bw = w.info.geometry.border_width as i32;
        let (ow, oh) = w.info.geometry.outer_size();
        let pixmap = Rect::new(0, 0, ow, oh);
        let origin = w.extents();
        let mut screen = Vec::with_capacity(rects.len());
        for r in rects {
            if let Some(local) = r.translate(bw, bw).intersect(&pixmap) {
                w.content_damage.add(local);
                screen.push(local.translate(origin.x, origin.y));
            }
        }
        for r in screen {
            self.damage_screen(r);
        }
    }

    /// The root window changed size (RandR).
    pub fn handle_root_resize(&mut self, width: u32, height: u32) {
        self.screen = Rect::new(0, 0, width, height);
        self.damage_all();
    }
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;
