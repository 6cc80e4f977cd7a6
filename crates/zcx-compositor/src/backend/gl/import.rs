//! Pixmap importers: how a window's named pixmap reaches its GL texture (`--import`). Each
//! implementation of [`PixmapImporter`] names its mechanism; only damaged rectangles move.
//! `get-image` copies through the socket, `shm-get-image` through a sealed memfd MIT-SHM
//! segment, and `egl-pixmap` makes each pixmap an EGL image that is its texture's storage
//! (EGL_KHR_image_pixmap, zero-copy on DRI3 servers); it is refused with a clear message where
//! the EGL display lacks it (Xvfb and other software servers). `dri3` (`import_dri3`) makes
//! the same kind of image from the dma-buf DRI3 exports for the pixmap. `compositor::strategy` builds
//! the one `--import` names, or the one [`choose_auto`] picks.

use x11rb::connection::Connection;
use x11rb::protocol::shm::ConnectionExt as _;
use x11rb::protocol::xproto::{ConnectionExt as _, ImageFormat, Pixmap};
use zcx_x11::shm::{ShmAccess, ShmError, ShmSegment};
use zcx_x11::XError;

use std::collections::HashMap;
use std::rc::Rc;

use crate::backend::gl::egl_image::{EglImageApi, PixmapImage};
use crate::backend::gl::GlRenderer;
use crate::model::WindowId;
use crate::region::Rect;
use crate::scene::TextureKey;

/// The `--import` choices (shared with zcx-bench through `zcx-contracts`).
pub use zcx_contracts::ImportMode;

/// An importer once `--import auto` is resolved: the closed set the compositor builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportPath {
    GetImage,
    ShmGetImage,
    EglPixmap,
    Dri3,
}

impl ImportPath {
    /// The path `mode` names, or `None` for `auto` (resolved with [`choose_auto`]).
    pub fn named(mode: ImportMode) -> Option<Self> {
        match mode {
            ImportMode::GetImage => Some(Self::GetImage),
            ImportMode::ShmGetImage => Some(Self::ShmGetImage),
            ImportMode::EglPixmap => Some(Self::EglPixmap),
            ImportMode::Dri3 => Some(Self::Dri3),
            ImportMode::Auto => None,
        }
    }

    /// The `--import` name (as the importer reports it).
    pub fn name(self) -> &'static str {
        match self {
            Self::GetImage => "get-image",
            Self::ShmGetImage => "shm-get-image",
            Self::EglPixmap => "egl-pixmap",
            Self::Dri3 => "dri3",
        }
    }

    /// Whether its textures alias the window pixmaps ([`PixmapImporter::aliases_pixmaps`]).
    pub fn aliases_pixmaps(self) -> bool {
        matches!(self, Self::EglPixmap | Self::Dri3)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    X(#[from] XError),
    /// EGL refused the window's pixmap: it vanished under the import, an expected race.
    #[error("pixmap vanished: {0}")]
    Vanished(String),
    #[error("--import {mode} is not available here: {why}")]
    Unsupported { mode: &'static str, why: String },
    #[error("MIT-SHM segment for importing: {0}")]
    Shm(#[from] ShmError),
}

zcx_x11::impl_from_x11rb!(ImportError);

impl ImportError {
    /// Whether the window or its pixmap went away under the import (the server's error about
    /// it, or EGL's refusal of it): an expected race, not a failure.
    pub fn is_vanished(&self) -> bool {
        matches!(self, Self::Vanished(_) | Self::X(XError::X11(_)))
    }
}

/// What one window's import needs to know.
#[derive(Clone, Copy, Debug)]
pub struct ImportSource {
    /// The texture the pixmap's pixels go to.
    pub texture: TextureKey,
    pub pixmap: Pixmap,
    pub width: u32,
    pub height: u32,
}

/// Brings damaged parts of a window pixmap into the window's texture.
pub trait PixmapImporter {
    fn name(&self) -> &'static str;
    /// Imports `rects` (pixmap coordinates, already clipped to the pixmap) of `src` into the
    /// renderer's texture for `src.texture`. Returns the pixel bytes moved.
    fn import(
        &mut self,
        renderer: &mut GlRenderer,
        src: &ImportSource,
        rects: &[Rect],
    ) -> Result<u64, ImportError>;

    /// The window's pixmap is about to be freed (unmap, rename) or the window is gone: drop
    /// what the importer holds for it.
    fn forget(&mut self, _window: WindowId) {}

    /// Textures made by this importer alias the pixmap's buffer (EGL images): they must go
    /// before the pixmap is freed.
    fn aliases_pixmaps(&self) -> bool {
        false
    }
}

/// Core GetImage: every damaged pixel crosses the socket. Large rectangles are split into
/// bands of about [`BAND_BYTES`], all requested before the first reply is read (pipelined), and
/// each band is uploaded straight from the reply buffer as it arrives: the server encodes the
/// next band while this one uploads, and no 33 MB buffer is allocated, faulted in and copied
/// per 4K frame (what made one whole-window request cost 150-300 ms).
pub struct GetImageImporter<'c, C: Connection> {
    conn: &'c C,
}

/// Target size of one GetImage reply.
pub const BAND_BYTES: usize = 1 << 20;

/// Splits `r` into horizontal bands of at most `max_bytes` (at least one row each).
pub fn bands(r: Rect, max_bytes: usize) -> impl Iterator<Item = Rect> {
    let row_bytes = (r.width as usize * 4).max(1);
    let rows = (max_bytes / row_bytes).clamp(1, u16::MAX as usize) as u32;
    (0..r.height.div_ceil(rows)).map(move |i| {
        let y = i * rows;
        Rect::new(r.x, r.y + y as i32, r.width, rows.min(r.height - y))
    })
}

impl<'c, C: Connection> GetImageImporter<'c, C> {
    pub fn new(conn: &'c C) -> Self {
        Self { conn }
    }
}

/// Bytes before the image data in a GetImage reply.
const GET_IMAGE_REPLY_HEADER: usize = 32;

impl<C: Connection> PixmapImporter for GetImageImporter<'_, C> {
    fn name(&self) -> &'static str {
        "get-image"
    }

    fn import(
        &mut self,
        renderer: &mut GlRenderer,
        src: &ImportSource,
        rects: &[Rect],
    ) -> Result<u64, ImportError> {
        let mut cookies = Vec::with_capacity(rects.len());
        for band in rects.iter().flat_map(|r| bands(*r, BAND_BYTES)) {
            let c = self.conn.get_image(
                ImageFormat::Z_PIXMAP,
                src.pixmap,
                band.x as i16,
                band.y as i16,
                band.width as u16,
                band.height as u16,
                !0,
            )?;
            cookies.push((band, c));
        }
        let mut bytes = 0;
        for (r, c) in cookies {
            // The raw reply avoids parsing (a copy of the data into a fresh Vec).
            let reply = c.raw_reply()?;
            let data = reply.as_ref().get(GET_IMAGE_REPLY_HEADER..).unwrap_or(&[]);
            bytes += data.len() as u64;
            renderer.upload(src.texture, r, data, r.width as usize * 4);
        }
        Ok(bytes)
    }
}

/// MIT-SHM ShmGetImage into one sealed memfd segment, grown on demand; damaged rectangles are
/// packed one after another, fetched pipelined, then uploaded straight from the mapping.
pub struct ShmGetImageImporter<'c, C: Connection> {
    conn: &'c C,
    segment: ShmSegment<'c, C>,
}

impl<'c, C: Connection> ShmGetImageImporter<'c, C> {
    pub fn new(conn: &'c C, initial_bytes: usize) -> Result<Self, ImportError> {
        let segment = ShmSegment::new(conn, initial_bytes.max(4096), ShmAccess::ServerReadWrite)?;
        Ok(Self { conn, segment })
    }
}

impl<C: Connection> PixmapImporter for ShmGetImageImporter<'_, C> {
    fn name(&self) -> &'static str {
        "shm-get-image"
    }

    fn import(
        &mut self,
        renderer: &mut GlRenderer,
        src: &ImportSource,
        rects: &[Rect],
    ) -> Result<u64, ImportError> {
        let total: usize = rects.iter().map(|r| r.area() as usize * 4).sum();
        if total > self.segment.len() {
            log::debug!("growing the import segment to {total} bytes");
            self.segment = ShmSegment::new(self.conn, total, ShmAccess::ServerReadWrite)?;
        }
        let mut cookies = Vec::with_capacity(rects.len());
        let mut offset = 0usize;
        for r in rects {
            let c = self.conn.shm_get_image(
                src.pixmap,
                r.x as i16,
                r.y as i16,
                r.width as u16,
                r.height as u16,
                !0,
                ImageFormat::Z_PIXMAP.into(),
                self.segment.seg(),
                offset as u32,
            )?;
            cookies.push((*r, offset, c));
            offset += r.area() as usize * 4;
        }
        for (r, offset, c) in cookies {
            c.reply()?;
            let len = r.area() as usize * 4;
            renderer.upload(
                src.texture,
                r,
                &self.segment.as_slice()[offset..offset + len],
                r.width as usize * 4,
            );
        }
        Ok(offset as u64)
    }
}

/// The EGL image each window's texture is made of, and the pixmap it was made from: the
/// zero-copy importers' shared bookkeeping. An image is made once per named pixmap, again when
/// the window's pixmap is renamed (map, resize), and dropped with the window.
#[derive(Default)]
pub struct WindowImages {
    images: HashMap<TextureKey, (Pixmap, PixmapImage)>,
}

impl WindowImages {
    /// Makes `src`'s texture from `make()`'s image unless it is already made of `src.pixmap`.
    /// Moves no bytes: damage only says what to draw again.
    pub fn import(
        &mut self,
        renderer: &mut GlRenderer,
        src: &ImportSource,
        make: impl FnOnce() -> Result<PixmapImage, ImportError>,
    ) -> Result<u64, ImportError> {
        if self
            .images
            .get(&src.texture)
            .is_some_and(|(p, _)| *p == src.pixmap)
        {
            return Ok(0);
        }
        self.images.remove(&src.texture);
        let image = make()?;
        renderer
            .bind_window_image(src.texture, (src.width, src.height), &image)
            .map_err(|e| ImportError::Vanished(e.to_string()))?;
        self.images.insert(src.texture, (src.pixmap, image));
        Ok(0)
    }

    pub fn forget(&mut self, window: WindowId) {
        self.images.remove(&TextureKey::Window(window));
    }
}

/// Whether a zero-copy importer waits for the X server's renderer before GL reads a window's
/// buffer. On a software server nothing orders glamor's writes (llvmpipe in the X server) and
/// our reads (llvmpipe here) of the same dma-buf, as a GPU's implicit fences do: without the
/// wait, a window mapped in the DRI3 guest stayed black, its texture read before the server
/// had painted it, with no later damage to repaint it. The wait is a 1×1 GetImage of the
/// pixmap: glamor answers it with glReadPixels, which returns only once everything drawn into
/// the pixmap before it is finished. It does not stop the server from drawing the next frame
/// while GL reads this one (the DRI3 guest still counts torn frames), but the last frame of a
/// burst is always shown whole.
pub struct ServerFinish<'c, C: Connection> {
    conn: &'c C,
    enabled: bool,
}

impl<'c, C: Connection> ServerFinish<'c, C> {
    /// `enabled`: the renderer is software (a GPU's implicit sync makes the wait useless).
    pub fn new(conn: &'c C, enabled: bool) -> Self {
        Self { conn, enabled }
    }

    /// Returns once the server has finished drawing into `pixmap` what it was asked to before.
    pub fn wait(&self, pixmap: Pixmap) -> Result<(), ImportError> {
        if self.enabled {
            self.conn
                .get_image(ImageFormat::Z_PIXMAP, pixmap, 0, 0, 1, 1, !0)?
                .reply()?;
        }
        Ok(())
    }
}

/// EGL_KHR_image_pixmap: each window pixmap becomes an EGL image that is its texture's
/// storage. Its rows start at the pixmap's top, like every texture here (EGL pixmap images are
/// "y-inverted" only by GL's bottom-up convention). On a DRI3 X server that is the pixmap's
/// own GPU buffer, so an import moves no bytes.
pub struct EglPixmapImporter<'c, C: Connection> {
    api: Rc<EglImageApi>,
    images: WindowImages,
    finish: ServerFinish<'c, C>,
}

impl<'c, C: Connection> EglPixmapImporter<'c, C> {
    pub fn new(api: Rc<EglImageApi>, finish: ServerFinish<'c, C>) -> Self {
        Self {
            api,
            images: WindowImages::default(),
            finish,
        }
    }
}

impl<C: Connection> PixmapImporter for EglPixmapImporter<'_, C> {
    fn name(&self) -> &'static str {
        "egl-pixmap"
    }

    fn import(
        &mut self,
        renderer: &mut GlRenderer,
        src: &ImportSource,
        _rects: &[Rect],
    ) -> Result<u64, ImportError> {
        self.finish.wait(src.pixmap)?;
        self.images.import(renderer, src, || {
            self.api.image_of_pixmap(src.pixmap).ok_or_else(|| {
                ImportError::Vanished(format!(
                    "eglCreateImageKHR refused pixmap {:#x} of {}",
                    src.pixmap, src.texture
                ))
            })
        })
    }

    fn forget(&mut self, window: WindowId) {
        self.images.forget(window);
    }

    fn aliases_pixmaps(&self) -> bool {
        true
    }
}

/// Why `--import egl-pixmap` cannot run here: `missing` names what the EGL display lacks
/// (software EGL, e.g. on Xvfb, has no EGL_KHR_image_pixmap).
pub fn egl_pixmap_unsupported(missing: String) -> ImportError {
    ImportError::Unsupported {
        mode: "egl-pixmap",
        why: format!(
            "{missing} (software EGL, e.g. on Xvfb, has no pixmap images; it needs a DRI3 X \
             server); use --import shm-get-image or --import auto"
        ),
    }
}

/// What [`choose_auto`] needs to know.
#[derive(Clone, Copy, Debug)]
pub struct AutoFacts {
    /// The GL renderer is a GPU (not llvmpipe, softpipe or swrast).
    pub hardware_gl: bool,
    /// The server has DRI3 and the EGL display imports dma-bufs.
    pub dri3_usable: bool,
    /// The EGL display makes images of pixmap ids.
    pub egl_pixmap_usable: bool,
    pub shm_usable: bool,
}

/// What `--import auto` picks, and why (logged by the caller). With a GPU renderer, the
/// zero-copy images: `dri3` first (explicit layout and modifier, and it needs no pixmap
/// images from EGL's X11 platform), then `egl-pixmap`. With a software renderer, never them:
/// llvmpipe reads the pixmap's buffer while the server's own renderer may still be writing it
/// (no implicit dma-buf sync between two software renderers: the DRI3 guest's observer
/// counted torn frames through both zero-copy importers in every run, none through
/// `shm-get-image`), and the zero-copy importers cost the compositor more CPU per frame there.
/// Then ShmGetImage, else GetImage.
pub fn choose_auto(f: AutoFacts) -> (ImportPath, &'static str) {
    let zero_copy_offered = f.dri3_usable || f.egl_pixmap_usable;
    match () {
        _ if f.hardware_gl && f.dri3_usable => (
            ImportPath::Dri3,
            "a GPU renderer, DRI3 and EGL dma-buf import: each window's buffer is its texture",
        ),
        _ if f.hardware_gl && f.egl_pixmap_usable => (
            ImportPath::EglPixmap,
            "a GPU renderer and EGL images of X pixmaps (zero-copy on DRI3)",
        ),
        _ if f.shm_usable && zero_copy_offered => (
            ImportPath::ShmGetImage,
            "zero-copy images are offered but the renderer is software: it would read window              buffers while the server writes them (torn frames) at more CPU than ShmGetImage",
        ),
        _ if f.shm_usable => (
            ImportPath::ShmGetImage,
            "no zero-copy images here; MIT-SHM works on this connection",
        ),
        _ => (
            ImportPath::GetImage,
            "no zero-copy images and MIT-SHM is unusable on this connection: core GetImage",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn egl_pixmap_refusal_names_the_missing_extension() {
        let e = egl_pixmap_unsupported("the EGL display lacks EGL_KHR_image_pixmap".into());
        assert!(e.to_string().contains("EGL_KHR_image_pixmap"));
        assert!(e.to_string().contains("--import shm-get-image"));
    }

    #[test]
    fn bands_cover_the_rectangle_in_rows_under_the_limit() {
        let r = Rect::new(5, 7, 3840, 2160);
        let b: Vec<Rect> = bands(r, BAND_BYTES).collect();
        assert_eq!(b[0], Rect::new(5, 7, 3840, 68));
        assert_eq!(b.iter().map(|b| b.height).sum::<u32>(), 2160);
        assert_eq!(b.last().map(|b| b.bottom()), Some(r.bottom()));
        let tiny: Vec<Rect> = bands(Rect::new(0, 0, 10, 3), 4).collect();
        assert_eq!(tiny.len(), 3);
    }

    fn facts(hardware_gl: bool, dri3: bool, egl_pixmap: bool, shm: bool) -> AutoFacts {
        AutoFacts {
            hardware_gl,
            dri3_usable: dri3,
            egl_pixmap_usable: egl_pixmap,
            shm_usable: shm,
        }
    }

    #[test]
    fn auto_takes_zero_copy_images_only_on_a_gpu_then_shm_then_the_socket() {
        let pick = |f| choose_auto(f).0;
        assert_eq!(pick(facts(true, true, true, true)), ImportPath::Dri3);
        assert_eq!(pick(facts(true, false, true, true)), ImportPath::EglPixmap);
        assert_eq!(
            pick(facts(true, false, false, true)),
            ImportPath::ShmGetImage
        );
        // The DRI3 guest: everything offered, but llvmpipe.
        let (m, why) = choose_auto(facts(false, true, true, true));
        assert_eq!(m, ImportPath::ShmGetImage);
        assert!(why.contains("software"), "{why}");
        assert_eq!(
            pick(facts(false, false, false, true)),
            ImportPath::ShmGetImage
        );
        assert_eq!(pick(facts(false, true, true, false)), ImportPath::GetImage);
    }
}
