//! The OpenGL context: an EGL display on the compositor's own XCB connection (so EGL pixmap
//! import can name X pixmaps), a desktop GL 3.3 core context, and glow loaded through EGL.
//! Rendering always goes to an off-screen framebuffer; the context is current without a
//! surface (or on a 1x1 pbuffer), or, for the `egl-surface` present path, on an EGL window
//! surface of the overlay window, which [`GlContext::swap`] shows.

use std::ffi::CStr;
use std::num::NonZeroU32;
use std::ptr::NonNull;
use std::rc::Rc;

use glow::HasContext;
use glutin::api::egl;
use glutin::config::{ConfigSurfaceTypes, ConfigTemplateBuilder};
use glutin::context::{ContextApi, ContextAttributesBuilder, GlProfile, Version};
use glutin::display::{AsRawDisplay as _, GetDisplayExtensions as _};
use glutin::prelude::*;
use glutin::surface::{PbufferSurface, SurfaceAttributesBuilder, SwapInterval, WindowSurface};
use raw_window_handle::{RawDisplayHandle, RawWindowHandle, XcbDisplayHandle, XcbWindowHandle};

use crate::region::Rect;

#[derive(Debug, thiserror::Error)]
pub enum GlError {
    #[error("cannot open an EGL display on the X connection: {0}")]
    Display(glutin::error::Error),
    #[error("no EGL config with 8-bit RGBA and pbuffer support")]
    NoConfig,
    #[error("no EGL config can draw to the overlay window (visual {0:#x})")]
    NoWindowConfig(u32),
    #[error("cannot create an EGL window surface on the overlay window: {0}")]
    Surface(glutin::error::Error),
    #[error("eglSwapBuffers failed: {0}")]
    Swap(glutin::error::Error),
    #[error("cannot create a desktop OpenGL 3.3 core context: {0}")]
    Context(glutin::error::Error),
    #[error("cannot make the context current: {0}")]
    MakeCurrent(glutin::error::Error),
    #[error("GL object creation failed: {0}")]
    Object(String),
    #[error("shader {name} failed to compile or link: {log}")]
    Shader { name: &'static str, log: String },
}

/// What the context is current on.
enum CurrentOn {
    None,
    /// Never read: owned so that it lives while the context is current on it.
    #[allow(dead_code)]
    Pbuffer(egl::surface::Surface<PbufferSurface>),
    Window(egl::surface::Surface<WindowSurface>),
}

/// The window an EGL window surface is made for (the overlay).
#[derive(Clone, Copy, Debug)]
pub struct NativeWindow {
    pub id: u32,
    pub visual: u32,
    pub width: u32,
    pub height: u32,
}

/// The GL context and the EGL display it lives on. Field order is drop order: the surface and
/// context go before the display.
pub struct GlContext {
    pub gl: Rc<glow::Context>,
    surface: CurrentOn,
    context: egl::context::PossiblyCurrentContext,
    display: egl::display::Display,
}

/// A context that stays current is only marked for deletion by eglDestroyContext: release it
/// first, so that dropping a `GlContext` frees what the driver allocated for it (the
/// server-copy strategy drops its GL side when idle).
impl Drop for GlContext {
    fn drop(&mut self) {
        if let Err(e) = self.context.make_not_current_in_place() {
            log::debug!("releasing the GL context: {e}");
        }
    }
}

impl std::fmt::Debug for GlContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GlContext")
            .field("renderer", &self.renderer())
            .finish()
    }
}

impl GlContext {
    /// Opens EGL on the XCB connection `raw_xcb` (from `XCBConnection::get_raw_xcb_connection`),
    /// current on an EGL window surface of `window` when given, else without a surface.
    ///
    /// # Safety
    /// `raw_xcb` must be a live `xcb_connection_t` that outlives the returned context, and
    /// `window` (if any) a window on it that outlives the context too.
    pub unsafe fn new(
        raw_xcb: NonNull<std::ffi::c_void>,
        screen_num: usize,
        window: Option<NativeWindow>,
    ) -> Result<Self, GlError> {
        let handle = RawDisplayHandle::Xcb(XcbDisplayHandle::new(Some(raw_xcb), screen_num as i32));
        // SAFETY: the caller guarantees the connection is valid and outlives the display.
        let display = unsafe { egl::display::Display::new(handle) }.map_err(GlError::Display)?;
        let attrs = ContextAttributesBuilder::new()
            .with_context_api(ContextApi::OpenGl(Some(Version::new(3, 3))))
            .with_profile(GlProfile::Core)
            .build(None);
        let (context, surface) = match window {
            // SAFETY: forwarded from the caller.
            Some(w) => unsafe { Self::on_window(&display, &attrs, w) }?,
            // SAFETY: forwarded from the caller.
            None => unsafe { Self::off_screen(&display, &attrs) }?,
        };
        // SAFETY: the context is current on this thread; EGL returns valid function pointers
        // (or null, which glow treats as missing).
        let gl = unsafe {
            glow::Context::from_loader_function_cstr(|name: &CStr| display.get_proc_address(name))
        };
        let ctx = Self {
            gl: Rc::new(gl),
            surface,
            context,
            display,
        };
        log::info!("OpenGL: {}", ctx.renderer());
        Ok(ctx)
    }

    /// A context current without a surface, or on a 1x1 pbuffer where EGL refuses that.
    ///
    /// # Safety
    /// `display` must be live.
    unsafe fn off_screen(
        display: &egl::display::Display,
        attrs: &glutin::context::ContextAttributes,
    ) -> Result<(egl::context::PossiblyCurrentContext, CurrentOn), GlError> {
        let template = ConfigTemplateBuilder::new()
            .with_alpha_size(8)
            .with_surface_type(ConfigSurfaceTypes::PBUFFER)
            .build();
        // SAFETY: the template is well formed; the display is live.
        let config = unsafe { display.find_configs(template) }
            .map_err(GlError::Display)?
            .next()
            .ok_or(GlError::NoConfig)?;
        // SAFETY: config comes from this display; no window handle is involved.
        let not_current =
            unsafe { display.create_context(&config, attrs) }.map_err(GlError::Context)?;
        match not_current.make_current_surfaceless() {
            Ok(c) => Ok((c, CurrentOn::None)),
            Err(e) => {
                log::debug!("surfaceless EGL context refused ({e}); using a 1x1 pbuffer");
                // make_current_surfaceless consumed the context: create it again.
                // SAFETY: as above.
                let not_current =
                    unsafe { display.create_context(&config, attrs) }.map_err(GlError::Context)?;
                let one = NonZeroU32::MIN;
                let sattrs = SurfaceAttributesBuilder::<PbufferSurface>::new().build(one, one);
                // SAFETY: config belongs to this display.
                let surface = unsafe { display.create_pbuffer_surface(&config, &sattrs) }
                    .map_err(GlError::Context)?;
                let context = not_current
                    .make_current(&surface)
                    .map_err(GlError::MakeCurrent)?;
                Ok((context, CurrentOn::Pbuffer(surface)))
            }
        }
    }

    /// A context current on an EGL window surface of `w`, swapping without waiting for a
    /// vertical blank (the compositor paces itself by damage).
    ///
    /// # Safety
    /// `display` must be live and `w` a live window of its connection.
    unsafe fn on_window(
        display: &egl::display::Display,
        attrs: &glutin::context::ContextAttributes,
        w: NativeWindow,
    ) -> Result<(egl::context::PossiblyCurrentContext, CurrentOn), GlError> {
        let id = NonZeroU32::new(w.id).ok_or(GlError::NoWindowConfig(w.visual))?;
        let mut handle = XcbWindowHandle::new(id);
        handle.visual_id = NonZeroU32::new(w.visual);
        let raw = RawWindowHandle::Xcb(handle);
        let template = ConfigTemplateBuilder::new()
            .with_surface_type(ConfigSurfaceTypes::WINDOW)
            .compatible_with_native_window(raw)
            .build();
        // SAFETY: the template is well formed; the display is live.
        let config = unsafe { display.find_configs(template) }
            .map_err(GlError::Display)?
            .next()
            .ok_or(GlError::NoWindowConfig(w.visual))?;
        // SAFETY: config comes from this display.
        let not_current =
            unsafe { display.create_context(&config, attrs) }.map_err(GlError::Context)?;
        let size = |v: u32| NonZeroU32::new(v).unwrap_or(NonZeroU32::MIN);
        let sattrs = SurfaceAttributesBuilder::<WindowSurface>::new().build(
            raw,
            size(w.width),
            size(w.height),
        );
        // SAFETY: the caller guarantees the window is live; config belongs to this display.
        let surface =
            unsafe { display.create_window_surface(&config, &sattrs) }.map_err(GlError::Surface)?;
        let context = not_current
            .make_current(&surface)
            .map_err(GlError::MakeCurrent)?;
        if let Err(e) = surface.set_swap_interval(&context, SwapInterval::DontWait) {
            log::debug!("swap interval 0 refused: {e}");
        }
        Ok((context, CurrentOn::Window(surface)))
    }

    /// Whether the context draws to an EGL window surface (the `egl-surface` present path).
    pub fn has_window_surface(&self) -> bool {
        matches!(self.surface, CurrentOn::Window(_))
    }

    /// Shows the window surface's back buffer; `damage` (screen rectangles, row 0 at the top
    /// of a `height`-row surface) tells EGL what changed where EGL_KHR_swap_buffers_with_damage
    /// is offered. Does nothing without a window surface.
    pub fn swap(&self, damage: &[Rect], height: u32) -> Result<(), GlError> {
        let CurrentOn::Window(surface) = &self.surface else {
            return Ok(());
        };
        let rects: Vec<glutin::surface::Rect> = damage
            .iter()
            .map(|r| {
                let bottom = height as i32 - r.y - r.height as i32;
                glutin::surface::Rect::new(r.x, bottom, r.width as i32, r.height as i32)
            })
            .collect();
        if !rects.is_empty()
            && surface
                .swap_buffers_with_damage(&self.context, &rects)
                .is_ok()
        {
            return Ok(());
        }
        surface.swap_buffers(&self.context).map_err(GlError::Swap)
    }

    /// The overlay changed size (RandR): resize the window surface, if there is one.
    pub fn resize_window(&self, width: u32, height: u32) {
        if let CurrentOn::Window(surface) = &self.surface {
            let size = |v: u32| NonZeroU32::new(v).unwrap_or(NonZeroU32::MIN);
            surface.resize(&self.context, size(width), size(height));
        }
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

    /// An EGL or GL entry point by name (null when missing).
    pub fn proc_address(&self, name: &CStr) -> *const std::ffi::c_void {
        self.display.get_proc_address(name)
    }

    /// The `EGLDisplay` handle.
    pub fn raw_egl_display(&self) -> *const std::ffi::c_void {
        match self.display.raw_display() {
            glutin::display::RawDisplay::Egl(d) => d,
        }
    }

    /// Whether the EGL display has an extension (e.g. `EGL_KHR_image_pixmap`).
    pub fn has_egl_extension(&self, name: &str) -> bool {
        self.display.extensions().contains(name)
    }
}
