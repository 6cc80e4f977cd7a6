//! The OpenGL context: an EGL display on the compositor's own XCB connection (so EGL pixmap
//! import can name X pixmaps), a desktop GL 3.3 core context made current without a surface
//! (rendering goes to an off-screen framebuffer), and glow loaded through EGL.

use std::ffi::CStr;
use std::num::NonZeroU32;
use std::ptr::NonNull;
use std::rc::Rc;

use glow::HasContext;
use glutin::api::egl;
use glutin::config::{ConfigSurfaceTypes, ConfigTemplateBuilder};
use glutin::context::{ContextApi, ContextAttributesBuilder, GlProfile, Version};
use glutin::display::GetDisplayExtensions as _;
use glutin::prelude::*;
use raw_window_handle::{RawDisplayHandle, XcbDisplayHandle};

#[derive(Debug, thiserror::Error)]
pub enum GlError {
    #[error("cannot open an EGL display on the X connection: {0}")]
    Display(glutin::error::Error),
    #[error("no EGL config with 8-bit RGBA and pbuffer support")]
    NoConfig,
    #[error("cannot create a desktop OpenGL 3.3 core context: {0}")]
    Context(glutin::error::Error),
    #[error("cannot make the context current: {0}")]
    MakeCurrent(glutin::error::Error),
    #[error("GL object creation failed: {0}")]
    Object(String),
    #[error("shader {name} failed to compile or link: {log}")]
    Shader { name: &'static str, log: String },
}

/// The GL context and the EGL display it lives on. Field order is drop order: the surface and
/// context go before the display.
pub struct GlContext {
    pub gl: Rc<glow::Context>,
    _surface: Option<egl::surface::Surface<glutin::surface::PbufferSurface>>,
    _context: egl::context::PossiblyCurrentContext,
    display: egl::display::Display,
}

impl std::fmt::Debug for GlContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GlContext")
            .field("renderer", &self.renderer())
            .finish()
    }
}

impl GlContext {
    /// Opens EGL on the XCB connection `raw_xcb` (from `XCBConnection::get_raw_xcb_connection`).
    ///
    /// # Safety
    /// `raw_xcb` must be a live `xcb_connection_t` that outlives the returned context.
    pub unsafe fn new(
        raw_xcb: NonNull<std::ffi::c_void>,
        screen_num: usize,
    ) -> Result<Self, GlError> {
        let handle = RawDisplayHandle::Xcb(XcbDisplayHandle::new(Some(raw_xcb), screen_num as i32));
        // SAFETY: the caller guarantees the connection is valid and outlives the display.
        let display = unsafe { egl::display::Display::new(handle) }.map_err(GlError::Display)?;
        let template = ConfigTemplateBuilder::new()
            .with_alpha_size(8)
            .with_surface_type(ConfigSurfaceTypes::PBUFFER)
            .build();
        // SAFETY: the template is well formed; the display is live.
        let config = unsafe { display.find_configs(template) }
            .map_err(GlError::Display)?
            .next()
            .ok_or(GlError::NoConfig)?;
        let attrs = ContextAttributesBuilder::new()
            .with_context_api(ContextApi::OpenGl(Some(Version::new(3, 3))))
            .with_profile(GlProfile::Core)
            .build(None);
        // SAFETY: config comes from this display; no window handle is involved.
        let not_current =
            unsafe { display.create_context(&config, &attrs) }.map_err(GlError::Context)?;
        let (context, surface) = match not_current.make_current_surfaceless() {
            Ok(c) => (c, None),
            Err(e) => {
                log::debug!("surfaceless EGL context refused ({e}); using a 1x1 pbuffer");
                // make_current_surfaceless consumed the context: create it again.
                // SAFETY: as above.
                let not_current =
                    unsafe { display.create_context(&config, &attrs) }.map_err(GlError::Context)?;
                let one = NonZeroU32::MIN;
                let sattrs = glutin::surface::SurfaceAttributesBuilder::<
                    glutin::surface::PbufferSurface,
                >::new()
                .build(one, one);
                // SAFETY: config belongs to this display.
                let surface = unsafe { display.create_pbuffer_surface(&config, &sattrs) }
                    .map_err(GlError::Context)?;
                (
                    not_current
                        .make_current(&surface)
                        .map_err(GlError::MakeCurrent)?,
                    Some(surface),
                )
            }
        };
        // SAFETY: the context is current on this thread; EGL returns valid function pointers
        // (or null, which glow treats as missing).
        let gl = unsafe {
            glow::Context::from_loader_function_cstr(|name: &CStr| display.get_proc_address(name))
        };
        let ctx = Self {
            gl: Rc::new(gl),
            _surface: surface,
            _context: context,
            display,
        };
        log::info!("OpenGL: {}", ctx.renderer());
        Ok(ctx)
    }

    pub fn renderer(&self) -> String {
        // SAFETY: querying strings of a current context.
        unsafe {
            format!(
                "{} / {}",
                self.gl.get_parameter_string(glow::RENDERER),
                self.gl.get_parameter_string(glow::VERSION)
            )
        }
    }

    /// Whether the EGL display has an extension (e.g. `EGL_KHR_image_pixmap`).
    pub fn has_egl_extension(&self, name: &str) -> bool {
        self.display.extensions().contains(name)
    }
}
