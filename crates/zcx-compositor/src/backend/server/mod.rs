//! The server-side backend, used with `--composite server-copy`: requests that make the X
//! server itself draw parts of the draw list onto the overlay. `copy` (CopyArea of window
//! pixmaps, background fills and tiles), `scale` (RENDER Composite with a scaling transform)
//! and `hud` (HUD panels composited with RENDER). None of them waits for a reply per frame.

pub mod copy;
pub mod hud;
pub mod scale;
