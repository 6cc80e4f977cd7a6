//! The window model: every child of the root window the compositor knows about, in stacking
//! order (each one a [`Window`], defined in `window`), the layout's placement, and the
//! screen damage; event handling that keeps them in step. Pure data: the X side translates events into `handle_<event>` calls and reads back what
//! needs doing (`needs_pixmap`, `take_screen_damage`). Events for unknown windows are ignored,
//! because windows vanish between events.

use std::collections::{HashMap, HashSet};

use crate::region::{Rect, Region};

pub mod background;
pub mod decor;
pub mod layout;
pub mod placement;
pub mod unredirect;
mod window;

use decor::Decorations;
use layout::Layout;

pub use window::{Geometry, Window, WindowId, WindowInfo};

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
    layout: Layout,
    decor: Decorations,
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

    /// Windows the compositor itself owns (overlay, selection window) never enter the model as
    /// windows. One that is a child of the root keeps its place in the stack as an id without a
    /// window, so that a window configured or restacked just above it stays where X puts it.
    pub fn ignore(&mut self, id: WindowId) {
        self.ignored.insert(id);
        self.remove(id);
    }

    /// Chooses the layout (`--layout`) and places the windows accordingly.
    pub fn set_layout(&mut self, layout: Layout) {
        self.layout = layout;
        self.relayout();
    }

    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Chooses the decorations (`--shadows`, `--borders`); everything is repainted.
    pub fn set_decorations(&mut self, decor: Decorations) {
        self.decor = decor;
        self.damage_all();
    }

    pub fn decorations(&self) -> Decorations {
        self.decor
    }

    pub fn screen(&self) -> Rect {
        self.screen
    }

    pub fn len(&self) -> usize {
        self.windows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }

    pub fn get(&self, id: WindowId) -> Option<&Window> {
        self.windows.get(&id)
    }

    pub fn get_mut(&mut self, id: WindowId) -> Option<&mut Window> {
        self.windows.get_mut(&id)
    }

    /// Windows bottom to top.
    pub fn stacking(&self) -> impl DoubleEndedIterator<Item = &Window> {
        self.stack.iter().filter_map(|id| self.windows.get(id))
    }

    /// Window ids bottom to top, the compositor's own windows' places included.
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

    /// Damages everything the window and its decorations paint.
    fn damage_window_extents(&mut self, id: WindowId) {
        if let Some(w) = self.windows.get(&id).filter(|w| w.is_visible()) {
            let r = self.decor.visual_extents(&w.decor_facts());
            self.damage_screen(r);
        }
    }

    /// Recomputes layout placements; windows that move are damaged where they were and are.
    fn relayout(&mut self) {
        let mut wanted: HashMap<WindowId, Rect> = HashMap::new();
        if self.layout == Layout::SideBySide {
            let mut producers: Vec<(WindowId, u32, u32)> = self
                .stacking()
                .filter(|w| w.info.producer && w.is_visible())
                .map(|w| {
                    let (width, height) = w.info.geometry.outer_size();
                    (w.id(), width, height)
                })
                .collect();
            producers.sort_unstable_by_key(|p| p.0);
            wanted.extend(layout::columns(self.screen, &producers));
        }
        let ids: Vec<WindowId> = self.stack.clone();
        for id in ids {
            let new = wanted.get(&id).copied();
            if self.windows.get(&id).is_some_and(|w| w.placed_at != new) {
                self.damage_window_extents(id);
                if let Some(w) = self.windows.get_mut(&id) {
                    w.placed_at = new;
                }
                self.damage_window_extents(id);
            }
        }
    }

    fn insert_top(&mut self, info: WindowInfo) {
        let id = info.id;
        self.remove(id);
        self.stack.push(id);
        if self.ignored.contains(&id) {
            return;
        }
        self.windows.insert(id, Window::new(info));
        self.damage_window_extents(id);
        self.relayout();
    }

    fn remove(&mut self, id: WindowId) -> Option<Window> {
        self.damage_window_extents(id);
        self.stack.retain(|&s| s != id);
        let removed = self.windows.remove(&id);
        if removed.as_ref().is_some_and(|w| w.info.producer) {
            self.relayout();
        }
        removed
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
        self.relayout();
        self.damage_window_extents(id);
    }

    /// The GL textures are new: all of each mapped window's contents count as not imported.
    pub fn forget_imports(&mut self) {
        for w in self.windows.values_mut().filter(|w| w.info.mapped) {
            let (width, height) = w.info.geometry.outer_size();
            w.content_damage = Region::from_rect(Rect::new(0, 0, width, height));
        }
    }

    pub fn handle_unmap(&mut self, id: WindowId) {
        self.damage_window_extents(id);
        if let Some(w) = self.windows.get_mut(&id) {
            w.info.mapped = false;
            w.needs_pixmap = false;
            w.content_damage.clear();
        }
        self.relayout();
    }

    pub fn handle_configure(&mut self, ev: Configure) {
        if self.ignored.contains(&ev.id) && self.position_of(ev.id).is_some() {
            self.restack_above(ev.id, ev.above_sibling);
        }
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
            if old.border_width != ev.geometry.border_width {
                // The shape stays put relative to the window's origin, which the border moves.
                let shape = w.info.bounding_shape.take();
                w.set_bounding_shape(shape);
            }
        }
        if restack {
            self.restack_above(ev.id, ev.above_sibling);
        }
        self.relayout();
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

    /// The window became a producer or stopped being one (WM_CLASS, `_ZCX_STATS`).
    pub fn handle_producer(&mut self, id: WindowId, producer: bool) {
        let Some(w) = self.windows.get_mut(&id) else {
            return;
        };
        if w.info.producer != producer {
            self.damage_window_extents(id);
            if let Some(w) = self.windows.get_mut(&id) {
                w.info.producer = producer;
            }
            self.damage_window_extents(id);
            self.relayout();
        }
    }

    /// A producer's `_ZCX_STATS` named its transfer mode (`None`: unknown or garbage).
    pub fn handle_transfer_mode(&mut self, id: WindowId, mode: Option<&str>) {
        let Some(w) = self.windows.get_mut(&id) else {
            return;
        };
        if w.transfer_mode.as_deref() != mode {
            w.transfer_mode = mode.map(str::to_owned);
            if self.decor.borders {
                self.damage_window_extents(id);
            }
        }
    }

    /// The bounding shape changed; rects are relative to the window origin (inside the
    /// border), as the SHAPE extension reports them. `None`: no longer shaped.
    pub fn handle_shape(&mut self, id: WindowId, bounding: Option<Vec<Rect>>) {
        if !self.windows.contains_key(&id) {
            return;
        }
        // The old shape may have cast a shadow the new one does not.
        self.damage_window_extents(id);
        if let Some(w) = self.windows.get_mut(&id) {
            w.set_bounding_shape(bounding);
        }
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
        let placement = w.placement();
        let mut screen = Vec::with_capacity(rects.len());
        for r in rects {
            if let Some(local) = r.translate(bw, bw).intersect(&pixmap) {
                w.content_damage.add(local);
                screen.extend(placement.to_screen(local));
            }
        }
        for r in screen {
            self.damage_screen(r);
        }
    }

    /// `id` is composited again after it bypassed the compositor (`unredirect`): its
    /// contents must be named afresh, and the whole screen repainted, since the overlay's
    /// pixels are stale.
    pub fn handle_redirect(&mut self, id: WindowId) {
        if let Some(w) = self.windows.get_mut(&id).filter(|w| w.info.mapped) {
            w.mark_contents_stale();
        }
        self.damage_all();
    }

    /// The root window changed size (RandR).
    pub fn handle_root_resize(&mut self, width: u32, height: u32) {
        self.screen = Rect::new(0, 0, width, height);
        self.relayout();
        self.damage_all();
    }
}

#[cfg(test)]
mod tests;
