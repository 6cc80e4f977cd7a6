//! The compositor's HUD duties: parsing a producer's `_ZCX_STATS` when it changes, bringing
//! the panels (`hud_state`) in step with the producers and their statistics, and the damage
//! that keeps the screen in step (a panel is repainted when its text or place changes, and
//! redrawn over whatever is repainted below it). The compositor line refreshes once a second
//! while frames are being composited, plus once after they stop, so idle stays idle.

use std::time::Instant;

use super::hud_state::PanelState;
use super::{Compositor, CompositorError};
use crate::model::WindowId;
use crate::region::Rect;
use crate::scene::hud::{self, ProducerStats, TextGrid};
use crate::x::windows;

impl Compositor<'_> {
    /// `_ZCX_STATS` of `window` changed: parse it (garbage shows as dashes) for the HUD and
    /// the border colour.
    pub(crate) fn stats_changed(&mut self, window: WindowId) -> Result<(), CompositorError> {
        if !self.options.hud && !self.options.decorations.borders {
            return Ok(());
        }
        let stats = windows::read_stats(self.conn, &self.atoms, window)?
            .map(|bytes| ProducerStats::parse(&bytes));
        self.model
            .handle_transfer_mode(window, stats.as_ref().and_then(|s| s.mode.as_deref()));
        match stats {
            Some(s) if self.options.hud => self.hud.stats.insert(window, s),
            _ => self.hud.stats.remove(&window),
        };
        Ok(())
    }

    /// When the HUD wants one more repaint without X traffic (the end of the current second).
    pub(crate) fn hud_deadline(&self) -> Option<Instant> {
        let active =
            self.options.hud && !self.hud.panels.is_empty() && !self.hud.last_frame_hud_only;
        (active && self.stats.recent.pending_frames() > 0).then(|| self.stats.recent.deadline())
    }

    pub(crate) fn hud_refresh_due(&self, now: Instant) -> bool {
        self.hud_deadline().is_some_and(|t| now >= t)
    }

    /// Brings panels in step with the producers and their statistics; damages what changed.
    pub(crate) fn update_hud(&mut self, now: Instant) -> Result<(), CompositorError> {
        if !self.options.hud {
            return Ok(());
        }
        let nothing_else = self.model.screen_damage().is_empty();
        self.stats.recent.roll(now);
        let screen = self.model.screen();
        let compositor = self.stats.recent.last;
        let producers: Vec<(WindowId, Rect)> = self
            .model
            .stacking()
            .filter(|w| w.info.producer && w.is_visible())
            .map(|w| (w.id(), w.placement().dst))
            .collect();
        let mut damage = Vec::new();
        let mut seen = Vec::with_capacity(producers.len());
        let shared_server = producers.len() > 1;
        for (id, dst) in producers {
            let stats = self.hud.stats.get(&id).cloned().unwrap_or_default();
            let grid = TextGrid::new(&hud::lines(&stats, compositor, shared_server));
            let scale = hud::scale_within(screen, dst);
            let size = grid.panel_size(scale);
            let Some(visible) = hud::panel_rect(dst, size, screen) else {
                continue;
            };
            seen.push(id);
            let state = PanelState {
                grid,
                visible,
                at: hud::panel_at(dst, size),
                scale,
            };
            if self.hud.panels.get(&id) == Some(&state) {
                continue;
            }
            if let Some(gl) = self.strategy.gl_mut() {
                gl.renderer
                    .hud_mut()
                    .set(id, &state.grid, state.at, state.scale)?;
            }
            if let Some(h) = self.strategy.server_mut().and_then(|s| s.hud.as_mut()) {
                h.invalidate(id);
            }
            damage.extend(self.hud.panels.insert(id, state).map(|old| old.visible));
            damage.push(visible);
        }
        let gone: Vec<WindowId> = self
            .hud
            .panels
            .keys()
            .filter(|id| !seen.contains(id))
            .copied()
            .collect();
        for id in gone {
            if let Some(gl) = self.strategy.gl_mut() {
                gl.renderer.hud_mut().remove(id);
            }
            if let Some(h) = self.strategy.server_mut().and_then(|s| s.hud.as_mut()) {
                h.remove(id);
            }
            damage.extend(self.hud.panels.remove(&id).map(|old| old.visible));
        }
        self.hud.stats.retain(|id, _| self.model.get(*id).is_some());
        for r in damage {
            self.model.damage_screen(r);
        }
        if !self.model.screen_damage().is_empty() {
            self.hud.last_frame_hud_only = nothing_else;
        }
        Ok(())
    }
}
