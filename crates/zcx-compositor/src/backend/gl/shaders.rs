//! The one place GLSL enters the program: sources from this crate's `shaders/` folder,
//! embedded with `include_str!` (so `cargo package` ships them). `shaders/README.md` states the
//! uniform contract.

pub const BLEND_VERT: &str = include_str!("../../../shaders/blend.vert");
pub const BLEND_FRAG: &str = include_str!("../../../shaders/blend.frag");
pub const HUD_VERT: &str = include_str!("../../../shaders/hud.vert");
pub const HUD_FRAG: &str = include_str!("../../../shaders/hud.frag");
pub const SHADOW_FRAG: &str = include_str!("../../../shaders/shadow.frag");
