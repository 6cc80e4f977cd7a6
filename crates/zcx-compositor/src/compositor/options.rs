//! The compositor's start-up choices (`main` fills them from its flags).

use std::time::Duration;

use crate::backend::gl::import::ImportMode;
use crate::backend::gl::present::PresentMode;
use crate::model::decor::Decorations;
use crate::model::layout::Layout;
use crate::scene::split::CompositeMode;

/// Start-up choices.
#[derive(Clone, Debug)]
pub struct Options {
    pub screen_num: usize,
    pub replace: bool,
    pub import: ImportMode,
    /// The background where no root pixmap is published (`x::background`).
    pub background_rgb: u32,
    /// Stop after this many composited frames.
    pub frames: Option<u64>,
    /// Stop after this long.
    pub duration: Option<Duration>,
    pub layout: Layout,
    /// Draw the HUD over producer windows.
    pub hud: bool,
    /// Who produces the repainted pixels (`scene::split`).
    pub composite: CompositeMode,
    /// Drop shadows and mode-coloured producer borders (`decor`).
    pub decorations: Decorations,
    /// How the GL-composited pixels reach the overlay (`present::choose`).
    pub present: PresentMode,
    /// Let a full-screen opaque window with nothing over it bypass compositing
    /// (`unredirect`); `--no-unredirect` turns it off.
    pub unredirect: bool,
    /// Take frames handed over by producers (`handoff`; `--no-handoff` turns it off).
    pub handoff: bool,
}
