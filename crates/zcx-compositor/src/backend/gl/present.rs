//! Presenting the composited frame on the overlay window: a transfer path chosen on purpose
//! (`--present`, [`choose`]). [`ShmPutPresenter`] reads only the damaged rectangles back from
//! GL into an MIT-SHM segment and ShmPutImages them (no pixel bytes through the socket);
//! [`PutImagePresenter`] is the fallback where MIT-SHM is unusable (remote connections),
//! pushing the damaged pixels through the socket; [`EglSurfacePresenter`] blits the
//! composition target to an EGL window surface of the overlay and swaps it (the path for a GPU
//! server, where the swap is a buffer exchange: picked by `auto` with a hardware renderer and
//! `--composite gl`; on a software renderer Mesa 22 PutImages every swap, so it is only used
//! there when asked for). The read-back paths never wait for the server per frame: Neither waits for the server per frame: ShmPutPresenter fences its segment with
//! the cookie of a GetInputFocus sent after the ShmPutImages, and waits for that reply only
//! before it rewrites the segment (by then the next frame's damage round trip has usually
//! brought it in). The sync hook stays truthful because its answer is ordered after the puts.

use x11rb::connection::Connection;
use x11rb::cookie::Cookie;
use x11rb::protocol::shm::ConnectionExt as _;
use x11rb::protocol::xproto::{
    ConnectionExt as _, CreateGCAux, GcontextWrapper, GetInputFocusReply, ImageFormat, Window,
};
use x11rb::wrapper::ConnectionExt as _;
use zcx_x11::shm::{ShmAccess, ShmError, ShmSegment};
use zcx_x11::XError;

use std::rc::Rc;

use crate::backend::gl::{GlContext, GlError, GlRenderer};
use crate::region::{Rect, Region};
use crate::scene::split::CompositeMode;

#[derive(Debug, thiserror::Error)]
pub enum PresentError {
    #[error(transparent)]
    X(#[from] XError),
    #[error("MIT-SHM segment for presenting: {0}")]
    Shm(#[from] ShmError),
    #[error(transparent)]
    Gl(#[from] GlError),
}

/// The `--present` choices.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum PresentMode {
    /// egl-surface with a hardware renderer and `--composite gl`, else shm-put, else put-image.
    #[default]
    Auto,
    /// Read back damaged rectangles, ShmPutImage them (needs MIT-SHM on a local display).
    ShmPut,
    /// Read back damaged rectangles, PutImage them through the socket.
    PutImage,
    /// Blit to an EGL window surface of the overlay and swap (needs `--composite gl`).
    EglSurface,
}

/// A present path once `--present auto` is resolved: the closed set the compositor builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PresentPath {
    ShmPut,
    PutImage,
    EglSurface,
}

impl PresentPath {
    /// The `--present` name (as the presenter reports it).
    pub fn name(self) -> &'static str {
        match self {
            Self::ShmPut => "shm-put",
            Self::PutImage => "put-image",
            Self::EglSurface => "egl-surface",
        }
    }
}

/// What [`choose`] needs to know.
#[derive(Clone, Copy, Debug)]
pub struct PresentFacts {
    pub composite: CompositeMode,
    pub shm_usable: bool,
    /// The GL renderer is a GPU (not llvmpipe, softpipe or swrast).
    pub hardware_gl: bool,
}

/// Resolves `mode` or says why it cannot be used and what to do.
pub fn choose(mode: PresentMode, f: PresentFacts) -> Result<PresentPath, String> {
    let gl_only = f.composite == CompositeMode::Gl;
    match mode {
        PresentMode::Auto if gl_only && f.hardware_gl => Ok(PresentPath::EglSurface),
        PresentMode::Auto if f.shm_usable => Ok(PresentPath::ShmPut),
        PresentMode::Auto | PresentMode::PutImage => Ok(PresentPath::PutImage),
        PresentMode::ShmPut if f.shm_usable => Ok(PresentPath::ShmPut),
        PresentMode::ShmPut => Err(
            "--present shm-put needs MIT-SHM, which is unusable on this \
            display (a remote or TCP connection?): use --present put-image or auto"
                .into(),
        ),
        PresentMode::EglSurface if gl_only => Ok(PresentPath::EglSurface),
        PresentMode::EglSurface => Err("--present egl-surface needs --composite gl: a swapped \
            window surface replaces the overlay's contents, so the X server's own copies \
            (server-copy) cannot be mixed with it"
            .into()),
    }
}

/// Whether a GL_RENDERER string names a software rasteriser.
pub fn is_software_renderer(renderer: &str) -> bool {
    let r = renderer.to_ascii_lowercase();
    ["llvmpipe", "softpipe", "swrast", "software"]
        .iter()
        .any(|s| r.contains(s))
}

zcx_x11::impl_from_x11rb!(PresentError);

/// Puts the damaged parts of the renderer's composition target on the screen.
pub trait Presenter {
    fn name(&self) -> &'static str;
    /// Queues `damage` for the screen; the pixels are consumed by the X server before any
    /// request sent after this call.
    fn present(&mut self, renderer: &GlRenderer, damage: &Region) -> Result<(), PresentError>;
    /// The screen changed size (RandR).
    fn resize(&mut self, width: u32, height: u32) -> Result<(), PresentError>;
}

fn overlay_gc<C: Connection>(
    conn: &C,
    overlay: Window,
) -> Result<GcontextWrapper<&C>, PresentError> {
    Ok(GcontextWrapper::create_gc(
        conn,
        overlay,
        &CreateGCAux::new().graphics_exposures(0),
    )?)
}

/// Read back damaged rectangles into one screen-sized MIT-SHM segment, ShmPutImage each.
pub struct ShmPutPresenter<'c, C: Connection> {
    conn: &'c C,
    /// Answered once the server has executed the last ShmPutImages from the segment.
    fence: Option<Cookie<'c, C, GetInputFocusReply>>,
    gc: GcontextWrapper<&'c C>,
    /// Made at the first present: with `server-copy`, GL may never present anything.
    segment: Option<ShmSegment<'c, C>>,
    overlay: Window,
    depth: u8,
    width: u32,
    height: u32,
}

impl<'c, C: Connection> ShmPutPresenter<'c, C> {
    pub fn new(
        conn: &'c C,
        overlay: Window,
        depth: u8,
        width: u32,
        height: u32,
    ) -> Result<Self, PresentError> {
        let gc = overlay_gc(conn, overlay)?;
        Ok(Self {
            conn,
            fence: None,
            gc,
            segment: None,
            overlay,
            depth,
            width,
            height,
        })
    }
}

impl<C: Connection> Presenter for ShmPutPresenter<'_, C> {
    fn name(&self) -> &'static str {
        "shm-put"
    }

    fn present(&mut self, renderer: &GlRenderer, damage: &Region) -> Result<(), PresentError> {
        let stride = self.width as usize * 4;
        let screen = Rect::new(0, 0, self.width, self.height);
        let rects: Vec<Rect> = damage
            .rects()
            .iter()
            .filter_map(|r| r.intersect(&screen))
            .collect();
        self.wait_fence()?;
        let segment = match &mut self.segment {
            Some(s) => s,
            None => {
                let size_bytes = (stride * self.height as usize).max(4);
                let s = ShmSegment::new(self.conn, size_bytes, ShmAccess::ServerReadOnly)?;
                self.segment.insert(s)
            }
        };
        let seg = segment.seg();
        for r in &rects {
            let offset = r.y as usize * stride + r.x as usize * 4;
            renderer.read_back(*r, segment.as_mut_slice(), offset, stride);
        }
        for r in &rects {
            self.conn.shm_put_image(
                self.overlay,
                self.gc.gcontext(),
                self.width as u16,
                self.height as u16,
                r.x as u16,
                r.y as u16,
                r.width as u16,
                r.height as u16,
                r.x as i16,
                r.y as i16,
                self.depth,
                ImageFormat::Z_PIXMAP.into(),
                false,
                seg,
                0,
            )?;
        }
        // The server reads the segment while executing ShmPutImage: the fence's reply proves it
        // is done before the next read-back rewrites the segment.
        self.fence = Some(self.conn.get_input_focus()?);
        Ok(())
    }

    fn resize(&mut self, width: u32, height: u32) -> Result<(), PresentError> {
        let size_bytes = width as usize * height as usize * 4;
        if self.segment.as_ref().is_some_and(|s| size_bytes > s.len()) {
            self.wait_fence()?;
            self.segment = None; // made again at the next present, at the new size
        }
        (self.width, self.height) = (width, height);
        Ok(())
    }
}

impl<C: Connection> ShmPutPresenter<'_, C> {
    /// Waits until the server has executed every ShmPutImage sent from the segment.
    fn wait_fence(&mut self) -> Result<(), PresentError> {
        if let Some(fence) = self.fence.take() {
            fence.reply()?;
        }
        Ok(())
    }
}

/// Fallback without MIT-SHM: read back each rectangle and PutImage it in request-sized strips.
pub struct PutImagePresenter<'c, C: Connection> {
    conn: &'c C,
    gc: GcontextWrapper<&'c C>,
    overlay: Window,
    depth: u8,
    buffer: Vec<u8>,
}

impl<'c, C: Connection> PutImagePresenter<'c, C> {
    pub fn new(conn: &'c C, overlay: Window, depth: u8) -> Result<Self, PresentError> {
        let gc = overlay_gc(conn, overlay)?;
        Ok(Self {
            conn,
            gc,
            overlay,
            depth,
            buffer: Vec::new(),
        })
    }
}

impl<C: Connection> Presenter for PutImagePresenter<'_, C> {
    fn name(&self) -> &'static str {
        "put-image"
    }

    fn present(&mut self, renderer: &GlRenderer, damage: &Region) -> Result<(), PresentError> {
        // Request header is 24 bytes; keep a margin.
        let max_bytes = self
            .conn
            .maximum_request_bytes()
            .saturating_sub(64)
            .max(4096);
        for r in damage.rects() {
            let stride = r.width as usize * 4;
            self.buffer.resize(stride * r.height as usize, 0);
            renderer.read_back(*r, &mut self.buffer, 0, stride);
            let rows_per_request = (max_bytes / stride).max(1);
            for (i, rows) in self.buffer.chunks(rows_per_request * stride).enumerate() {
                let y = r.y + (i * rows_per_request) as i32;
                let h = rows.len() / stride;
                self.conn.put_image(
                    ImageFormat::Z_PIXMAP,
                    self.overlay,
                    self.gc.gcontext(),
                    r.width as u16,
                    h as u16,
                    r.x as i16,
                    y as i16,
                    0,
                    self.depth,
                    rows,
                )?;
            }
        }
        self.conn.sync()?;
        Ok(())
    }

    fn resize(&mut self, _width: u32, _height: u32) -> Result<(), PresentError> {
        Ok(())
    }
}

/// Blits the composition target to the context's EGL window surface on the overlay and swaps
/// (with the damage as a hint where EGL takes one). The whole target is blitted: a window
/// surface's back buffer holds no defined contents after a swap.
pub struct EglSurfacePresenter {
    gl: Rc<GlContext>,
    height: u32,
}

impl EglSurfacePresenter {
    pub fn new(gl: Rc<GlContext>, height: u32) -> Self {
        Self { gl, height }
    }
}

impl Presenter for EglSurfacePresenter {
    fn name(&self) -> &'static str {
        "egl-surface"
    }

    fn present(&mut self, renderer: &GlRenderer, damage: &Region) -> Result<(), PresentError> {
        renderer.blit_to_window();
        self.gl.swap(damage.rects(), self.height)?;
        Ok(())
    }

    fn resize(&mut self, width: u32, height: u32) -> Result<(), PresentError> {
        self.gl.resize_window(width, height);
        self.height = height;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(composite: CompositeMode, shm_usable: bool, hardware_gl: bool) -> PresentFacts {
        PresentFacts {
            composite,
            shm_usable,
            hardware_gl,
        }
    }

    #[test]
    fn auto_takes_the_window_surface_only_on_a_gpu_with_gl_compositing() {
        use CompositeMode::{Gl, ServerCopy};
        use PresentMode::{Auto, EglSurface, ShmPut};
        assert_eq!(
            choose(Auto, facts(Gl, true, true)),
            Ok(PresentPath::EglSurface)
        );
        assert_eq!(
            choose(Auto, facts(ServerCopy, true, true)),
            Ok(PresentPath::ShmPut)
        );
        assert_eq!(
            choose(Auto, facts(Gl, true, false)),
            Ok(PresentPath::ShmPut)
        );
        assert_eq!(
            choose(Auto, facts(Gl, false, false)),
            Ok(PresentPath::PutImage)
        );
        assert_eq!(
            choose(EglSurface, facts(Gl, true, false)),
            Ok(PresentPath::EglSurface)
        );
        assert!(choose(EglSurface, facts(ServerCopy, true, true))
            .unwrap_err()
            .contains("--composite gl"));
        assert!(choose(ShmPut, facts(Gl, false, true))
            .unwrap_err()
            .contains("put-image"));
    }

    #[test]
    fn software_renderers_are_recognised() {
        assert!(is_software_renderer(
            "llvmpipe (LLVM 15.0.6, 256 bits) / 4.5 (Core Profile) Mesa 22.3.6"
        ));
        assert!(is_software_renderer("Software Rasterizer"));
        assert!(!is_software_renderer(
            "NVIDIA H200/PCIe/SSE2 / 4.6.0 NVIDIA 550.54"
        ));
        assert!(!is_software_renderer(
            "AMD Radeon Graphics (radeonsi, renoir, LLVM 15.0.6, DRM 3.49)"
        ));
    }
}
