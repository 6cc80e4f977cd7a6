//! X event dispatch: one `handle_<event>` method per event kind, translating protocol events
//! into window-model calls and keeping per-window X resources in step. Errors about windows
//! that vanished between events are expected races and logged at debug.

use x11rb::protocol::shape;
use x11rb::protocol::xproto::{
    AtomEnum, CirculateNotifyEvent, ConfigureNotifyEvent, CreateNotifyEvent, Place as XPlace,
    PropertyNotifyEvent, ReparentNotifyEvent,
};
use x11rb::protocol::{ErrorKind, Event};
use x11rb::x11_utils::X11Error;
use zcx_x11::error::describe;
use zcx_x11::XError;

use super::strategy::Strategy;
use super::{Compositor, CompositorError, Exit};
use crate::backend::server::copy::ServerCopyError;
use crate::model::{Configure, Geometry, Place};
use crate::region::Rect;
use crate::scene::TextureKey;
use crate::x::handoff::WindowFacts;
use crate::x::windows;

impl Compositor<'_> {
    fn root(&self) -> u32 {
        self.session.root()
    }

    /// Routes one event; `Some(exit)` ends the event loop.
    pub(crate) fn handle_event(&mut self, event: Event) -> Result<Option<Exit>, CompositorError> {
        match event {
            Event::CreateNotify(e) => self.handle_create(e)?,
            Event::DestroyNotify(e) => {
                self.model.handle_destroy(e.window);
                self.untrack(e.window);
            }
            Event::MapNotify(e) if e.event == self.root() => self.model.handle_map(e.window),
            Event::UnmapNotify(e) if e.event == self.root() => self.handle_unmap(e.window)?,
            Event::ConfigureNotify(e) => self.handle_configure(e)?,
            Event::ReparentNotify(e) => self.handle_reparent(e)?,
            Event::CirculateNotify(e) => self.handle_circulate(e),
            Event::PropertyNotify(e) => self.handle_property(e)?,
            Event::ShapeNotify(e) => self.handle_shape(e)?,
            Event::DamageNotify(e) => {
                self.damaged.insert(e.drawable);
            }
            Event::SelectionClear(e) if e.selection == self.session.selection_atom() => {
                log::info!(
                    "another compositing manager took {:#x}; exiting",
                    e.selection
                );
                return Ok(Some(Exit::SelectionLost));
            }
            Event::ClientMessage(e) if e.type_ == self.atoms.zcx_sync && e.format == 32 => {
                let d = e.data.as_data32();
                self.pending_sync.push((d[0], d[1]));
            }
            Event::ClientMessage(e)
                if e.format == 32
                    && self.handoffs.as_ref().is_some_and(|h| h.is_frame(e.type_)) =>
            {
                self.handle_handoff(e.data.as_data32())?;
            }
            Event::Error(e) => {
                handle_error(&e);
                self.handoff_pixmap_failed(e.bad_value);
            }
            other => log::trace!("ignored event {other:?}"),
        }
        Ok(None)
    }

    fn handle_create(&mut self, e: CreateNotifyEvent) -> Result<(), CompositorError> {
        if e.parent != self.root() {
            return Ok(());
        }
        // The creation event has the geometry but not the class, depth or shape: ask, after
        // selecting property and shape changes so that one made meanwhile is not missed.
        windows::select_window_events(self.conn, e.window)?;
        for info in windows::query_infos(self.conn, &self.atoms, &[e.window])? {
            self.track(&info)?;
            self.model.handle_create(info);
        }
        self.read_new_producer_stats(&[e.window])
    }

    /// A producer handed a frame over: if it is taken, the window's contents are that pixmap
    /// now, and all of it changed.
    fn handle_handoff(&mut self, words: [u32; 5]) -> Result<(), CompositorError> {
        // A window mapped in this same batch of events gets its pixmap named at the next
        // repaint: name it now, so its first frames are not refused.
        if self
            .model
            .get(words[1])
            .is_some_and(|w| w.needs_pixmap && w.is_visible())
        {
            self.rename_pixmaps()?;
        }
        let Some(handoffs) = &mut self.handoffs else {
            return Ok(());
        };
        let (model, resources, root_depth) = (&self.model, &self.resources, self.root_depth);
        let facts = |id| {
            let w = model.get(id)?;
            let g = w.info.geometry;
            let named = resources.get(&id).is_some_and(|r| r.pixmap.is_some());
            Some(WindowFacts {
                width: g.width,
                height: g.height,
                depth: w.info.depth,
                border_width: g.border_width,
                drawn: named && w.is_visible() && w.info.depth == root_depth,
            })
        };
        if let Some(id) = handoffs.take(self.conn, words, facts)? {
            self.live.insert(id, std::time::Instant::now());
            self.damage_whole(id);
        }
        Ok(())
    }

    /// All of `id`'s contents changed (another pixmap holds them now).
    fn damage_whole(&mut self, id: u32) {
        let (width, height) = self
            .model
            .get(id)
            .map_or((0, 0), |w| w.info.geometry.outer_size());
        self.model
            .handle_damage(id, &[Rect::new(0, 0, width, height)]);
    }

    /// A handed pixmap that failed in a request is dropped: its window's own pixmap shows.
    fn handoff_pixmap_failed(&mut self, resource: u32) {
        let Some(id) = self
            .handoffs
            .as_mut()
            .and_then(|h| h.pixmap_failed(resource))
        else {
            return;
        };
        log::debug!("handoff: pixmap {resource:#x} of window {id:#x} vanished");
        self.damage_whole(id);
    }

    fn handle_unmap(&mut self, window: u32) -> Result<(), CompositorError> {
        if let Some(h) = &mut self.handoffs {
            h.release(self.conn, window)?;
        }
        self.model.handle_unmap(window);
        // The named pixmap of an unmapped window is stale; its texture too.
        self.release_pixmap_users(window);
        if let Some(res) = self.resources.get_mut(&window) {
            res.pixmap = None;
        }
        self.strategy.drop_texture(TextureKey::Window(window));
        Ok(())
    }

    fn handle_configure(&mut self, e: ConfigureNotifyEvent) -> Result<(), CompositorError> {
        if e.window == self.root() {
            return self.resize_screen(e.width.into(), e.height.into());
        }
        if e.event != self.root() {
            return Ok(());
        }
        let geometry = Geometry::new(
            e.x.into(),
            e.y.into(),
            e.width.into(),
            e.height.into(),
            e.border_width.into(),
        );
        let resized = self.model.get(e.window).is_some_and(|w| {
            let g = w.info.geometry;
            (g.width, g.height, g.border_width)
                != (geometry.width, geometry.height, geometry.border_width)
        });
        if resized {
            if let Some(h) = &mut self.handoffs {
                h.resized(self.conn, e.window)?;
            }
        }
        let above_sibling = (e.above_sibling != x11rb::NONE).then_some(e.above_sibling);
        self.model.handle_configure(Configure {
            id: e.window,
            geometry,
            above_sibling,
            override_redirect: e.override_redirect,
        });
        Ok(())
    }

    /// The root changed size (RandR): the composition target and the present segment follow,
    /// and everything is repainted.
    fn resize_screen(&mut self, width: u32, height: u32) -> Result<(), CompositorError> {
        let screen = self.model.screen();
        if (screen.width, screen.height) == (width, height) {
            return Ok(());
        }
        log::info!("screen resized to {width}x{height}");
        if let Some(gl) = self.strategy.gl_mut() {
            gl.renderer.resize(width, height)?;
            gl.presenter.resize(width, height)?;
        }
        self.model.handle_root_resize(width, height);
        Ok(())
    }

    fn handle_reparent(&mut self, e: ReparentNotifyEvent) -> Result<(), CompositorError> {
        if e.parent == self.root() {
            windows::select_window_events(self.conn, e.window)?;
            for info in windows::query_infos(self.conn, &self.atoms, &[e.window])? {
                self.track(&info)?;
                self.model.handle_reparent(e.window, Some(info));
            }
            self.read_new_producer_stats(&[e.window])?;
        } else if self.model.get(e.window).is_some() {
            self.model.handle_reparent(e.window, None);
            self.untrack(e.window);
        }
        Ok(())
    }

    fn handle_circulate(&mut self, e: CirculateNotifyEvent) {
        let place = if e.place == XPlace::ON_TOP {
            Place::Top
        } else {
            Place::Bottom
        };
        self.model.handle_circulate(e.window, place);
    }

    fn handle_property(&mut self, e: PropertyNotifyEvent) -> Result<(), CompositorError> {
        if e.window == self.root()
            && (e.atom == self.atoms.xrootpmap_id || e.atom == self.atoms.xsetroot_id)
        {
            return self.reload_background();
        }
        if e.atom == self.atoms.net_wm_window_opacity && self.model.get(e.window).is_some() {
            let opacity = windows::read_opacity(self.conn, &self.atoms, e.window)?;
            self.model.handle_opacity(e.window, opacity);
        } else if (e.atom == self.atoms.zcx_stats || e.atom == u32::from(AtomEnum::WM_CLASS))
            && self.model.get(e.window).is_some()
        {
            let producer = windows::read_producer(self.conn, &self.atoms, e.window)?;
            self.model.handle_producer(e.window, producer);
            if e.atom == self.atoms.zcx_stats {
                self.stats_changed(e.window)?;
            }
        }
        Ok(())
    }

    /// Reads the root background again (at start-up, and when a tool publishes another one):
    /// the GL texture and the server's tile follow, and the whole screen is repainted. What GL
    /// or the server cannot draw means the solid colour.
    pub(crate) fn reload_background(&mut self) -> Result<(), CompositorError> {
        let root = self.root();
        self.background
            .reload(self.conn, &self.atoms, root, self.root_depth)?;
        self.model.damage_all();
        self.make_background_texture();
        let pixmap = self.background.pixmap().map(|p| p.pixmap);
        if let Strategy::ServerCopy(server) = &mut self.strategy {
            match server.copier.set_tile(pixmap) {
                Ok(()) => {}
                Err(ServerCopyError::X(e @ XError::Connection(_))) => return Err(e.into()),
                Err(e) => self
                    .background
                    .fall_back(&format!("cannot tile with it: {e}")),
            }
        }
        if self.background.pixmap().is_none() {
            self.strategy.drop_texture(TextureKey::Background);
        }
        Ok(())
    }

    /// Makes the GL texture of the root background pixmap where there is a GL side; what GL
    /// cannot hold means the solid colour.
    pub(crate) fn make_background_texture(&mut self) {
        let (Some(p), Some(gl)) = (self.background.pixmap(), self.strategy.gl_mut()) else {
            return;
        };
        let key = TextureKey::Background;
        if let Err(e) = gl.renderer.ensure_window(key, p.width, p.height) {
            self.background
                .fall_back(&format!("no texture for it: {e}"));
        } else if !gl.renderer.has_window(key) {
            self.background
                .fall_back("it is over the maximum texture size");
        }
    }

    fn handle_shape(&mut self, e: shape::NotifyEvent) -> Result<(), CompositorError> {
        if e.shape_kind != shape::SK::BOUNDING || self.model.get(e.affected_window).is_none() {
            return Ok(());
        }
        let rects = if e.shaped {
            windows::bounding_shape(self.conn, e.affected_window)?
        } else {
            None
        };
        self.model.handle_shape(e.affected_window, rects);
        Ok(())
    }
}

/// Errors about resources that vanished between events are expected; others are logged.
fn handle_error(e: &X11Error) {
    match e.error_kind {
        ErrorKind::Window
        | ErrorKind::Drawable
        | ErrorKind::Pixmap
        | ErrorKind::Match
        | ErrorKind::DamageBadDamage => log::debug!("expected race: {}", describe(e)),
        _ => log::warn!("{}", describe(e)),
    }
}
