//! The OpenGL backend: context creation (EGL on the X connection, no window surface), RAII
//! GL objects, the shaders, and the renderer that executes draw lists into an off-screen
//! composition target and reads damaged rectangles back for presenting; `import` brings
//! window pixmaps into textures, `present` puts the target's damaged pixels on the overlay.

pub mod context;
pub mod dma_buf;
pub mod egl_image;
pub mod hud;
pub mod import;
pub mod import_dri3;
pub mod objects;
pub mod present;
pub mod renderer;
pub mod shaders;
pub mod shadow;

pub use context::{GlContext, GlError, NativeWindow};
pub use renderer::GlRenderer;
