//! The two ways a draw list reaches the overlay: `server` (the X server copies, scales, fills
//! and composites the HUD itself) and `gl` (OpenGL composites off screen, then a present path
//! puts the pixels on the overlay). Both read the scene's draw list; neither knows the other's
//! requests, except that the server HUD has its panels drawn by GL once per change.

pub mod gl;
pub mod server;
