//! Pixmap importers: how a window's named pixmap reaches its GL texture (`--import`). Each
//! implementation of [`PixmapImporter`] names its mechanism; only damaged rectangles move.
//! `get-image` copies through the socket, `shm-get-image` through a sealed memfd MIT-SHM
//! segment, and `egl-pixmap` (EGL_KHR_image_pixmap, zero-copy on DRI3 servers) is refused with a
//! clear message where the EGL display lacks it (Xvfb and other software servers).

use x11rb::connection::Connection;
use x11rb::errors::{ConnectionError, ReplyError};
use x11rb::protocol::shm::ConnectionExt as _;
use x11rb::protocol::xproto::{ConnectionExt as _, ImageFormat, Pixmap};
use zcx_x11::shm::{ShmAccess, ShmError, ShmSegment};

use crate::gl::GlRenderer;
use crate::model::WindowId;
use crate::region::Rect;

/// The `--import` choices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportMode {
    GetImage,
    ShmGetImage,
    EglPixmap,
    Auto,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("X connection failed: {0}")]
    Connection(#[from] ConnectionError),
    /// The window vanished or its pixmap is gone: an expected race.
    #[error("pixmap vanished: {0}")]
    Vanished(String),
    #[error("--import {mode} is not available here: {why}")]
    Unsupported { mode: &'static str, why: String },
    #[error("MIT-SHM segment for importing: {0}")]
    Shm(#[from] ShmError),
}

impl From<ReplyError> for ImportError {
    fn from(e: ReplyError) -> Self {
        match e {
            ReplyError::ConnectionError(c) => Self::Connection(c),
            ReplyError::X11Error(x) => Self::Vanished(format!("{:?}", x.error_kind)),
        }
    }
}

/// What one window's import needs to know.
#[derive(Clone, Copy, Debug)]
pub struct ImportSource {
    pub window: WindowId,
    pub pixmap: Pixmap,
    pub width: u32,
    pub height: u32,
}

/// Brings damaged parts of a window pixmap into the window's texture.
pub trait PixmapImporter {
    fn name(&self) -> &'static str;
    /// Imports `rects` (pixmap coordinates, already clipped to the pixmap) of `src` into the
    /// renderer's texture for `src.window`. Returns the pixel bytes moved.
    fn import(
        &mut self,
        renderer: &GlRenderer,
        src: &ImportSource,
        rects: &[Rect],
    ) -> Result<u64, ImportError>;
}

/// Core GetImage: every damaged pixel crosses the socket. Requests are pipelined.
pub struct GetImageImporter<'c, C: Connection> {
    conn: &'c C,
}

impl<'c, C: Connection> GetImageImporter<'c, C> {
    pub fn new(conn: &'c C) -> Self {
        Self { conn }
    }
}

impl<C: Connection> PixmapImporter for GetImageImporter<'_, C> {
    fn name(&self) -> &'static str {
        "get-image"
    }

    fn import(
        &mut self,
        renderer: &GlRenderer,
        src: &ImportSource,
        rects: &[Rect],
    ) -> Result<u64, ImportError> {
        let mut cookies = Vec::with_capacity(rects.len());
        for r in rects {
            let c = self.conn.get_image(
                ImageFormat::Z_PIXMAP,
                src.pixmap,
                r.x as i16,
                r.y as i16,
                r.width as u16,
                r.height as u16,
                !0,
            )?;
            cookies.push((*r, c));
        }
        let mut bytes = 0;
        for (r, c) in cookies {
            let reply = c.reply()?;
            bytes += reply.data.len() as u64;
            renderer.upload(src.window, r, &reply.data, r.width as usize * 4);
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
        renderer: &GlRenderer,
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
                src.window,
                r,
                &self.segment.as_slice()[offset..offset + len],
                r.width as usize * 4,
            );
        }
        Ok(offset as u64)
    }
}

/// Why `--import egl-pixmap` cannot run here, if it cannot: the EGL display must offer
/// EGL_KHR_image_pixmap (DRI3 X servers); software EGL on Xvfb does not.
pub fn egl_pixmap_unsupported(has_image_pixmap: bool) -> Option<ImportError> {
    (!has_image_pixmap).then(|| ImportError::Unsupported {
        mode: "egl-pixmap",
        why: "the EGL display lacks EGL_KHR_image_pixmap (software EGL, e.g. on Xvfb, has none; \
              it needs a DRI3 X server); use --import shm-get-image or --import auto"
            .into(),
    })
}

/// What `--import auto` picks, and why (logged by the caller).
pub fn choose_auto(shm_usable: bool) -> (ImportMode, &'static str) {
    if shm_usable {
        (
            ImportMode::ShmGetImage,
            "MIT-SHM works on this connection (egl-pixmap import is not implemented yet)",
        )
    } else {
        (
            ImportMode::GetImage,
            "MIT-SHM is unusable on this connection: falling back to core GetImage",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn egl_pixmap_refusal_names_the_missing_extension() {
        let e = egl_pixmap_unsupported(false).expect("refused");
        assert!(e.to_string().contains("EGL_KHR_image_pixmap"));
        assert!(egl_pixmap_unsupported(true).is_none());
    }

    #[test]
    fn auto_prefers_shm_and_falls_back() {
        assert_eq!(choose_auto(true).0, ImportMode::ShmGetImage);
        assert_eq!(choose_auto(false).0, ImportMode::GetImage);
    }
}
