//! The compositor's HUD bookkeeping as data: the latest parsed `_ZCX_STATS` of each producer,
//! the panel text and rectangle last given to the renderers, and the panels' draw operations.
//! `compositor::hud` keeps it in step with the producers.

use std::collections::HashMap;

use crate::backend::gl::hud::HudRenderer;
use crate::backend::gl::GlError;
use crate::model::WindowId;
use crate::region::Rect;
use crate::scene::hud::{ProducerStats, TextGrid};
use crate::scene::{DrawList, HudPanel};

#[derive(Clone, Debug, PartialEq)]
pub(super) struct PanelState {
    pub(super) grid: TextGrid,
    pub(super) visible: Rect,
    /// Where the whole panel lies (`visible` is its part on the screen), and its scale.
    pub(super) at: Rect,
    pub(super) scale: u32,
}

/// HUD state owned by the compositor (GL objects live in the renderer).
#[derive(Debug, Default)]
pub(crate) struct HudState {
    pub(super) stats: HashMap<WindowId, ProducerStats>,
    pub(super) panels: HashMap<WindowId, PanelState>,
    /// The last composited frame repainted only HUD panels (no deadline follows it).
    pub(super) last_frame_hud_only: bool,
}

impl HudState {
    /// Gives a new GL side every panel's text and place.
    pub(crate) fn upload_panels(&self, gl: &mut HudRenderer) -> Result<(), GlError> {
        for (&id, p) in &self.panels {
            gl.set(id, &p.grid, p.at, p.scale)?;
        }
        Ok(())
    }

    /// The visible rectangle of `window`'s panel, if it has one.
    pub(crate) fn visible(&self, window: WindowId) -> Option<Rect> {
        self.panels.get(&window).map(|p| p.visible)
    }

    /// The screen rectangles of the panels the HUD draws now.
    pub(crate) fn panel_rects(&self) -> Vec<Rect> {
        self.panels.values().map(|p| p.visible).collect()
    }

    /// Puts the HUD operations on top of `list`.
    pub(crate) fn add_ops(&self, list: &mut DrawList) {
        let panels: Vec<HudPanel> = self
            .panels
            .iter()
            .map(|(&window, p)| HudPanel {
                window,
                rect: p.visible,
            })
            .collect();
        list.add_hud(&panels);
    }
}
