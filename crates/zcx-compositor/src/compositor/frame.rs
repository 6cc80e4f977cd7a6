//! One composited frame: fetch damage, update the HUD, let a full-screen window bypass the
//! compositor or composite it again (`unredirect`), rename stale pixmaps, build the draw
//! list for the screen damage (grown so that live windows are repainted whole), divide it by
//! the composite strategy (`scene::split`), import only what the GL part reads, queue the
//! X server's fills, tiles, copies and scaled draws (the server works while GL draws), draw,
//! present the GL part, composite the HUD in the server (`backend::server::hud`), record the
//! stage times and answer pending sync requests. Nothing happens (and no X traffic) when nothing changed.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use x11rb::connection::Connection;

use super::strategy::Strategy;
use super::{Compositor, CompositorError};
use crate::backend::gl::import::ImportSource;
use crate::model::WindowId;
use crate::region::{Rect, Region};
use crate::scene::split::{self, Split};
use crate::scene::{DrawList, Scene, TextureKey};
use crate::stats::FrameTimes;
use crate::x::windows;

/// A window whose contents changed this recently is live: with `server-copy`, damage that
/// touches it repaints it whole (`split::snapshot_damage`).
const LIVE_FOR: Duration = Duration::from_secs(1);

impl Compositor<'_> {
    /// One frame's worth of work; does nothing (and no X traffic) when nothing changed.
    pub(crate) fn refresh(&mut self) -> Result<(), CompositorError> {
        let started = Instant::now();
        self.fetch_damage()?;
        self.update_hud(Instant::now())?;
        self.update_unredirect()?;
        self.rename_pixmaps()?;
        let damage = self.model.take_screen_damage();
        // While a window bypasses the compositor the overlay is hidden: nothing to paint
        // (redirecting it again repaints the whole screen).
        if !damage.is_empty() && self.unredirected.is_none() {
            self.composite(started, &damage)?;
        }
        for (window, token) in std::mem::take(&mut self.pending_sync) {
            crate::x::sync_hook::answer(
                self.conn,
                self.atoms.zcx_sync,
                window,
                token,
                self.stats.frames() as u32,
            )?;
        }
        self.drop_idle_gl(Instant::now());
        Ok(())
    }

    /// Repaints `damage`: import what GL reads, queue the server's fills and copies, GL draw
    /// and present of the rest, then the server-composited HUD on top.
    fn composite(&mut self, started: Instant, damage: &Region) -> Result<(), CompositorError> {
        let scene = Scene::from_model(&self.model);
        let damage = if let Strategy::ServerCopy(_) = self.strategy {
            let live_since = started.checked_sub(LIVE_FOR);
            split::snapshot_damage(&scene, damage, |id| {
                self.live
                    .get(&id)
                    .is_some_and(|&t| live_since.is_none_or(|since| t >= since))
            })
        } else {
            damage.clone()
        };
        let mut list = DrawList::build(&scene, &damage, self.background.background());
        self.hud.add_ops(&mut list);
        let split = self.split(list);
        if self.needs_gl(&split) {
            self.ensure_gl(started)?;
        }
        // Import first: its replies then wait only for what was queued before, and the
        // server's copies run while GL draws.
        self.import_needed(&split.gl)?;
        let (resources, handoffs) = (&self.resources, self.handoffs.as_ref());
        let pixmap = |id| super::contents_pixmap(resources, handoffs, id);
        if let Strategy::ServerCopy(server) = &mut self.strategy {
            server.copier.fill(&split.fills)?;
            server.copier.tile(&split.tiles)?;
            server.copier.copy(&split.server, pixmap)?;
            if let Some(scaler) = &mut server.scaler {
                let model = &self.model;
                scaler.scale(&split.scaled, |id| {
                    Some((pixmap(id)?, model.get(id)?.placement()))
                })?;
            }
        }
        self.conn.flush()?;
        let draw_started = Instant::now();
        let gl = self.strategy.gl_mut();
        if let Some(gl) = gl.filter(|_| !split.gl.ops.is_empty()) {
            gl.renderer.execute(&split.gl);
            gl.renderer.finish();
        }
        let present_started = Instant::now();
        if let Some(gl) = self
            .strategy
            .gl_mut()
            .filter(|_| !split.gl.damage.is_empty())
        {
            gl.presenter.present(&gl.renderer, &split.gl.damage)?;
        }
        if let Some(server) = self.strategy.server_mut() {
            if let Some(hud) = &mut server.hud {
                let renderer = server.gl.as_ref().map(|gl| &gl.renderer);
                let panels = &self.hud;
                hud.draw(renderer, &split.hud, |id| panels.visible(id))?;
            }
        }
        if let Some(h) = &mut self.handoffs {
            h.repainted(self.conn)?;
        }
        let t = FrameTimes {
            import: draw_started - started,
            draw: present_started - draw_started,
            present: present_started.elapsed(),
        };
        self.stats.record_frame(t);
        log::debug!(
            "frame {}: {} server copies, {} server-scaled, {} GL ops, {} GL px, {t:?}",
            self.stats.frames(),
            split.server.len(),
            split.scaled.len(),
            split.gl.ops.len(),
            split.gl.damage.area()
        );
        Ok(())
    }

    /// Whether `split` has a part GL draws: its own list, or a HUD panel to draw first.
    fn needs_gl(&mut self, split: &Split) -> bool {
        let panels = &self.hud;
        let hud = self
            .strategy
            .server_mut()
            .and_then(|s| s.hud.as_ref())
            .is_some_and(|h| h.needs_drawing(&split.hud, |id| panels.visible(id)));
        hud || !split.gl.ops.is_empty() || !split.gl.damage.is_empty()
    }

    /// Divides `list` by the composite strategy. A window's area may go to the server only when
    /// its named pixmap has the overlay's depth (CopyArea needs equal depths).
    fn split(&self, list: DrawList) -> Split {
        let Strategy::ServerCopy(server) = &self.strategy else {
            return Split {
                gl: list,
                ..Split::default()
            };
        };
        let does = split::ServerDoes {
            hud: server.hud.is_some(),
            fills: server.fills,
            scale: server.scaler.is_some(),
            tiles: server.copier.tiles(),
        };
        split::split(
            list,
            |id| {
                self.model
                    .get(id)
                    .is_some_and(|w| w.info.depth == self.root_depth)
                    && self.resources.get(&id).is_some_and(|r| r.pixmap.is_some())
            },
            does,
        )
    }

    pub(crate) fn rename_pixmaps(&mut self) -> Result<(), CompositorError> {
        let stale: Vec<_> = self
            .model
            .stacking()
            .filter(|w| w.needs_pixmap && w.is_visible() && Some(w.id()) != self.unredirected)
            .map(|w| w.id())
            .collect();
        for id in stale {
            if let Some(win) = self.model.get_mut(id) {
                win.needs_pixmap = false;
            }
            if !self.resources.contains_key(&id) {
                continue;
            }
            self.release_pixmap_users(id);
            let Some(res) = self.resources.get_mut(&id) else {
                continue;
            };
            // The old texture is stale (all of the contents are damaged again): drop it. A new
            // one is made when GL first reads the window (`import_source`); with server-copy
            // that may be never.
            res.rename_pixmap(self.conn, id)?;
            self.strategy.drop_texture(TextureKey::Window(id));
        }
        Ok(())
    }

    fn fetch_damage(&mut self) -> Result<(), CompositorError> {
        if self.damaged.is_empty() {
            return Ok(());
        }
        let list: Vec<_> = self
            .damaged
            .drain()
            // An unredirected window's damage stays unread: it then reports nothing more.
            .filter(|&id| Some(id) != self.unredirected)
            .filter_map(|id| {
                self.resources
                    .get(&id)
                    .and_then(|r| r.damage.as_ref())
                    .map(|d| d.damage())
                    .or_else(|| self.background.damage_for(id))
                    .map(|d| (id, d))
            })
            .collect();
        let now = Instant::now();
        for (id, rects) in windows::fetch_damage(self.conn, self.scratch.region(), &list)? {
            if self.background.damage_for(id).is_some() {
                let screen = self.background.handle_damage(&rects, self.model.screen());
                for r in screen.rects() {
                    self.model.damage_screen(*r);
                }
            } else {
                if !rects.is_empty() {
                    self.live.insert(id, now);
                }
                self.model.handle_damage(id, &rects);
            }
        }
        Ok(())
    }

    /// Imports the damaged contents that `list` reads; the rest of each window's contents
    /// damage stays pending until GL needs it (the server copies those areas itself).
    fn import_needed(&mut self, list: &DrawList) -> Result<(), CompositorError> {
        let mut needs: BTreeMap<TextureKey, Vec<Rect>> = BTreeMap::new();
        let sizes = |id| {
            self.model
                .get(id)
                .map_or((0, 0), |w| w.info.geometry.outer_size())
        };
        for (id, r) in split::needed_sources(list, sizes) {
            needs.entry(id).or_default().push(r);
        }
        if let Some(rects) = needs.remove(&TextureKey::Background) {
            self.import_background(&rects)?;
        }
        for (key, rects) in needs {
            let TextureKey::Window(id) = key else {
                continue;
            };
            let Some(win) = self.model.get_mut(id) else {
                continue;
            };
            let mut take = Vec::new();
            for n in &rects {
                take.extend_from_slice(win.content_damage.intersected(n).rects());
                win.content_damage.subtract_rect(n);
            }
            let (width, height) = win.info.geometry.outer_size();
            if !take.is_empty() {
                self.import(id, (width, height), &take)?;
            }
        }
        Ok(())
    }

    fn import(
        &mut self,
        id: WindowId,
        (width, height): (u32, u32),
        rects: &[Rect],
    ) -> Result<(), CompositorError> {
        let Some(pixmap) = self.contents_pixmap(id) else {
            return Ok(());
        };
        let src = ImportSource {
            texture: TextureKey::Window(id),
            pixmap,
            width,
            height,
        };
        self.import_source(&src, rects)
    }

    /// Imports the stale parts of `needed` (rectangles of the root background pixmap).
    fn import_background(&mut self, needed: &[Rect]) -> Result<(), CompositorError> {
        let Some(p) = self.background.pixmap() else {
            return Ok(());
        };
        let take = self.background.take_stale(needed);
        if take.is_empty() {
            return Ok(());
        }
        let src = ImportSource {
            texture: TextureKey::Background,
            pixmap: p.pixmap,
            width: p.width,
            height: p.height,
        };
        self.import_source(&src, &take)
    }

    /// Imports `rects` of `src` into its texture, made here when GL first reads the window (an
    /// aliasing importer makes the texture itself); a vanished pixmap is a race.
    fn import_source(&mut self, src: &ImportSource, rects: &[Rect]) -> Result<(), CompositorError> {
        let Some(gl) = self.strategy.gl_mut() else {
            return Ok(());
        };
        let key = src.texture;
        if !gl.importer.aliases_pixmaps() && !gl.renderer.has_window(key) {
            let (w, h) = (src.width, src.height);
            if let Err(e) = gl.renderer.ensure_window(key, w, h) {
                log::warn!("no texture for {key} ({w}x{h}): {e}; it is not drawn");
                return Ok(());
            }
            if !gl.renderer.has_window(key) {
                return Ok(()); // over the maximum texture size: not drawn (warned once)
            }
        }
        match gl.importer.import(&mut gl.renderer, src, rects) {
            Ok(bytes) => self.counters.imported_bytes += bytes,
            Err(e) if e.is_vanished() => log::debug!("import of {key}: {e}"),
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }
}
