//! Pixmap importers: how a window's named pixmap reaches its GL texture (`--import`). Each
//! implementation of [`PixmapImporter`] names its mechanism; only damaged rectangles move.
//! `get-image` copies through the socket, `shm-get-image` through a sealed memfd MIT-SHM
//! segment, and `egl-pixmap` makes each pixmap an EGL image that is its texture's storage
//! (EGL_KHR_image_pixmap, zero-copy on DRI3 servers); it is refused with a clear message where
//! the EGL display lacks it (Xvfb and other software servers).

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
}

impl ImportPath {
    /// The path `mode` names, or `None` for `auto` (resolved with [`choose_auto`]).
    pub fn named(mode: ImportMode) -> Option<Self> {
        match mode {
            ImportMode::GetImage => Some(Self::GetImage),
            ImportMode::ShmGetImage => Some(Self::ShmGetImage),
            ImportMode::EglPixmap => Some(Self::EglPixmap),
            ImportMode::Auto => None,
        }
    }

    /// The `--import` name (as the importer reports it).
    pub fn name(self) -> &'static str {
        match self {
            Self::GetImage => "get-image",
            Self::ShmGetImage => "shm-get-image",
            Self::EglPixmap => "egl-pixmap",
        }
    }

    /// Whether its textures alias the window pixmaps ([`PixmapImporter::aliases_pixmaps`]).
    pub fn aliases_pixmaps(self) -> bool {
        self == Self::EglPixmap
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

/// EGL_KHR_image_pixmap: each window pixmap becomes an EGL image that is its texture's
/// storage, made once per NameWindowPixmap. Its rows start at the pixmap's top, like every
/// texture here (EGL pixmap images are "y-inverted" only by GL's bottom-up convention). On a DRI3 X server that is the pixmap's own GPU
/// buffer, so an import moves no bytes: damage only says what to draw again. Made again when
/// the window's pixmap is renamed (map, resize); dropped with the window.
pub struct EglPixmapImporter {
    api: Rc<EglImageApi>,
    images: HashMap<TextureKey, (Pixmap, PixmapImage)>,
}

impl EglPixmapImporter {
    pub fn new(api: Rc<EglImageApi>) -> Self {
        Self {
            api,
            images: HashMap::new(),
        }
    }
}

impl PixmapImporter for EglPixmapImporter {
    fn name(&self) -> &'static str {
        "egl-pixmap"
    }

    fn import(
        &mut self,
        renderer: &mut GlRenderer,
        src: &ImportSource,
        _rects: &[Rect],
    ) -> Result<u64, ImportError> {
        if self
            .images
            .get(&src.texture)
            .is_some_and(|(p, _)| *p == src.pixmap)
        {
            return Ok(0);
        }
        self.images.remove(&src.texture);
        let image = self.api.image_of_pixmap(src.pixmap).ok_or_else(|| {
            ImportError::Vanished(format!(
                "eglCreateImageKHR refused pixmap {:#x} of {}",
                src.pixmap, src.texture
            ))
        })?;
        renderer
            .bind_window_image(src.texture, (src.width, src.height), &image)
            .map_err(|e| ImportError::Vanished(e.to_string()))?;
        self.images.insert(src.texture, (src.pixmap, image));
        Ok(0)
    }

    fn forget(&mut self, window: WindowId) {
        self.images.remove(&TextureKey::Window(window));
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

/// What `--import auto` picks, and why (logged by the caller): zero-copy EGL images where the
/// EGL display offers them, else ShmGetImage, else GetImage.
pub fn choose_auto(egl_pixmap_usable: bool, shm_usable: bool) -> (ImportPath, &'static str) {
    if egl_pixmap_usable {
        (
            ImportPath::EglPixmap,
            "the EGL display makes images of X pixmaps (zero-copy on DRI3)",
        )
    } else if shm_usable {
        (
            ImportPath::ShmGetImage,
            "no EGL pixmap images here; MIT-SHM works on this connection",
        )
    } else {
        (
            ImportPath::GetImage,
            "no EGL pixmap images and MIT-SHM is unusable on this connection: core GetImage",
        )
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

    #[test]
    fn auto_prefers_egl_images_then_shm_then_the_socket() {
        assert_eq!(choose_auto(true, true).0, ImportPath::EglPixmap);
        assert_eq!(choose_auto(false, true).0, ImportPath::ShmGetImage);
        assert_eq!(choose_auto(false, false).0, ImportPath::GetImage);
    }
}
