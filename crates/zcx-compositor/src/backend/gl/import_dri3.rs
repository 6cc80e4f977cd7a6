//! `--import dri3`: the window's named pixmap is exported by the X server as a dma-buf (DRI3
//! BuffersFromPixmap, DRI3 ≥ 1.2, with the buffer's format modifier; BufferFromPixmap on
//! older servers), made an EGL image (EGL_EXT_image_dma_buf_import, with the modifier where
//! EGL takes modifiers) and bound as the window's texture storage. Like `egl-pixmap` the
//! texture is the pixmap's own buffer: an import moves no bytes, damage only says what to draw
//! again; one export per NameWindowPixmap. Unlike it, the buffer's layout is explicit, and it
//! does not depend on EGL's X11 platform making images of pixmap ids (an EGL without
//! EGL_KHR_image_pixmap but with dma-buf import works). Only single-plane 32-bpp buffers of
//! depth 24 (XRGB8888) or 32 (ARGB8888) are imported; anything else is refused per window.

use std::os::fd::{AsFd, OwnedFd};
use std::rc::Rc;

use x11rb::connection::Connection;
use x11rb::protocol::dri3::{self, ConnectionExt as _};
use x11rb::protocol::xproto::Pixmap;

use crate::backend::gl::dma_buf::{DmaBuf, FOURCC_ARGB8888, FOURCC_XRGB8888, MOD_INVALID};
use crate::backend::gl::egl_image::EglImageApi;
use crate::backend::gl::import::{
    ImportError, ImportSource, PixmapImporter, ServerFinish, WindowImages,
};
use crate::backend::gl::GlRenderer;
use crate::model::WindowId;
use crate::region::Rect;

/// What the server exported for one pixmap: the planes' fds, strides and offsets.
#[derive(Debug)]
pub struct Exported {
    pub width: u32,
    pub height: u32,
    pub depth: u8,
    pub bpp: u8,
    pub modifier: u64,
    pub strides: Vec<u32>,
    pub offsets: Vec<u32>,
    pub fds: Vec<OwnedFd>,
}

impl Exported {
    /// The single-plane dma-buf this export is, or why it cannot be imported.
    pub fn dma_buf(&self) -> Result<DmaBuf<'_>, String> {
        let fourcc = match (self.depth, self.bpp) {
            (24, 32) => FOURCC_XRGB8888,
            (32, 32) => FOURCC_ARGB8888,
            (d, b) => {
                return Err(format!(
                    "depth {d} at {b} bpp is not imported (24 or 32 at 32)"
                ))
            }
        };
        let (fd, stride, offset) = match (&self.fds[..], &self.strides[..], &self.offsets[..]) {
            ([fd], [stride], [offset]) => (fd, *stride, *offset),
            _ => {
                return Err(format!(
                    "{} planes ({} strides, {} offsets); only single-plane buffers are imported",
                    self.fds.len(),
                    self.strides.len(),
                    self.offsets.len()
                ))
            }
        };
        Ok(DmaBuf {
            fd: fd.as_fd(),
            width: self.width,
            height: self.height,
            fourcc,
            offset,
            stride,
            modifier: self.modifier,
        })
    }
}

/// The DRI3 dma-buf importer.
pub struct Dri3Importer<'c, C: Connection> {
    conn: &'c C,
    api: Rc<EglImageApi>,
    /// DRI3 ≥ 1.2: BuffersFromPixmap (planes and modifier); else BufferFromPixmap.
    buffers: bool,
    images: WindowImages,
    finish: ServerFinish<'c, C>,
}

impl<'c, C: Connection> Dri3Importer<'c, C> {
    /// Checks the server's DRI3 version and the EGL display's dma-buf import; refuses with
    /// what is missing.
    pub fn new(
        conn: &'c C,
        api: Rc<EglImageApi>,
        finish: ServerFinish<'c, C>,
    ) -> Result<Self, ImportError> {
        api.dma_buf_images().map_err(dri3_unsupported)?;
        if conn
            .extension_information(dri3::X11_EXTENSION_NAME)?
            .is_none()
        {
            return Err(dri3_unsupported(
                "the X server has no DRI3 extension (Xvfb and other software servers)".into(),
            ));
        }
        let v = conn.dri3_query_version(1, 2)?.reply()?;
        let buffers = (v.major_version, v.minor_version) >= (1, 2);
        log::info!(
            "DRI3 {}.{}: exporting window pixmaps with {}",
            v.major_version,
            v.minor_version,
            if buffers {
                "BuffersFromPixmap"
            } else {
                "BufferFromPixmap"
            }
        );
        Ok(Self {
            conn,
            api,
            buffers,
            images: WindowImages::default(),
            finish,
        })
    }
}

/// The server's export of `pixmap`: BuffersFromPixmap when `buffers` (DRI3 ≥ 1.2), else
/// BufferFromPixmap.
fn export<C: Connection>(conn: &C, buffers: bool, pixmap: Pixmap) -> Result<Exported, ImportError> {
    if buffers {
        let r = conn.dri3_buffers_from_pixmap(pixmap)?.reply()?;
        return Ok(Exported {
            width: r.width.into(),
            height: r.height.into(),
            depth: r.depth,
            bpp: r.bpp,
            modifier: r.modifier,
            strides: r.strides,
            offsets: r.offsets,
            fds: r.buffers,
        });
    }
    let r = conn.dri3_buffer_from_pixmap(pixmap)?.reply()?;
    Ok(Exported {
        width: r.width.into(),
        height: r.height.into(),
        depth: r.depth,
        bpp: r.bpp,
        modifier: MOD_INVALID,
        strides: vec![r.stride.into()],
        offsets: vec![0],
        fds: vec![r.pixmap_fd],
    })
}

impl<C: Connection> PixmapImporter for Dri3Importer<'_, C> {
    fn name(&self) -> &'static str {
        "dri3"
    }

    fn import(
        &mut self,
        renderer: &mut GlRenderer,
        src: &ImportSource,
        _rects: &[Rect],
    ) -> Result<u64, ImportError> {
        let Self {
            conn,
            api,
            buffers,
            images,
            finish,
        } = self;
        finish.wait(src.pixmap)?;
        images.import(renderer, src, || {
            let refused = |why: String| {
                ImportError::Vanished(format!(
                    "DRI3 export of pixmap {:#x} of {}: {why}",
                    src.pixmap, src.texture
                ))
            };
            let exported = export(*conn, *buffers, src.pixmap)?;
            let buf = exported.dma_buf().map_err(refused)?;
            // `exported`'s fds close on return: the image holds the buffer.
            api.image_of_dma_buf(&buf).map_err(refused)
        })
    }

    fn forget(&mut self, window: WindowId) {
        self.images.forget(window);
    }

    fn aliases_pixmaps(&self) -> bool {
        true
    }
}

/// Why `--import dri3` cannot run here.
pub fn dri3_unsupported(missing: String) -> ImportError {
    ImportError::Unsupported {
        mode: "dri3",
        why: format!(
            "{missing}; it needs a DRI3 X server and EGL_EXT_image_dma_buf_import: use \
             --import shm-get-image or --import auto"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use x11rb::x11_utils::Serialize;
    use zcx_testkit::recording::RecordingConnection;

    fn exported(depth: u8, planes: usize) -> Exported {
        let fds = (0..planes).map(|_| some_fd()).collect();
        Exported {
            width: 64,
            height: 32,
            depth,
            bpp: 32,
            modifier: MOD_INVALID,
            strides: vec![256; planes],
            offsets: vec![0; planes],
            fds,
        }
    }

    #[test]
    fn single_plane_depth_24_and_32_map_to_their_fourcc() {
        let e = exported(24, 1);
        let b = e.dma_buf().expect("XRGB8888");
        assert_eq!((b.fourcc, b.stride, b.width), (FOURCC_XRGB8888, 256, 64));
        let e = exported(32, 1);
        assert_eq!(e.dma_buf().expect("ARGB8888").fourcc, FOURCC_ARGB8888);
    }

    #[test]
    fn other_depths_and_multi_plane_buffers_are_refused_with_the_reason() {
        let err = exported(16, 1).dma_buf().unwrap_err();
        assert!(err.contains("depth 16"), "{err}");
        let err = exported(24, 2).dma_buf().unwrap_err();
        assert!(err.contains("2 planes"), "{err}");
        let err = exported(24, 0).dma_buf().unwrap_err();
        assert!(err.contains("0 planes"), "{err}");
    }

    #[test]
    fn refusal_names_what_is_missing_and_the_fallback() {
        let e = dri3_unsupported("the X server has no DRI3 extension".into()).to_string();
        assert!(e.contains("--import dri3") && e.contains("no DRI3"), "{e}");
        assert!(e.contains("--import shm-get-image"), "{e}");
    }

    const PIXMAP: Pixmap = 0x40_0005;

    fn some_fd() -> OwnedFd {
        std::fs::File::open("/dev/null").expect("/dev/null").into()
    }

    /// Request shape (tier 2) of BuffersFromPixmap, and its reply (layout and fds) taken
    /// as the export, against the recording connection.
    #[test]
    fn buffers_from_pixmap_asks_for_the_pixmap_and_keeps_the_reply_layout() {
        let conn = RecordingConnection::new(16_777_212, &["DRI3"]);
        let reply = dri3::BuffersFromPixmapReply {
            sequence: 1,
            length: 2,
            width: 640,
            height: 480,
            modifier: 0,
            depth: 24,
            bpp: 32,
            strides: vec![2560],
            offsets: vec![0],
            buffers: vec![some_fd()],
        };
        conn.queue_reply_with_fds(reply.serialize().to_vec(), vec![some_fd()]);
        let exported = export(&conn, true, PIXMAP).expect("the queued reply");
        let sent = conn.take();
        assert_eq!(sent.len(), 1, "one request per export: {sent:?}");
        let r = &sent[0];
        assert_eq!(
            (Some(r.major), r.minor, r.fds),
            (conn.major_opcode("DRI3"), 8, 0)
        );
        assert_eq!(r.bytes.len(), 8, "BuffersFromPixmap is the pixmap id alone");
        assert_eq!(
            u32::from_ne_bytes([r.bytes[4], r.bytes[5], r.bytes[6], r.bytes[7]]),
            PIXMAP
        );
        assert_eq!((exported.width, exported.height), (640, 480));
        assert_eq!(
            (exported.depth, exported.bpp, exported.modifier),
            (24, 32, 0)
        );
        assert_eq!(
            (&exported.strides[..], &exported.offsets[..]),
            (&[2560][..], &[0][..])
        );
        assert_eq!(exported.fds.len(), 1, "the reply's fd is kept");
        let buf = exported.dma_buf().expect("a single-plane XRGB8888 buffer");
        assert_eq!(
            (buf.fourcc, buf.stride, buf.modifier),
            (FOURCC_XRGB8888, 2560, 0)
        );
    }

    /// BufferFromPixmap (DRI3 < 1.2): same request shape under its own opcode; the export
    /// has no modifier.
    #[test]
    fn buffer_from_pixmap_exports_without_a_modifier() {
        let conn = RecordingConnection::new(16_777_212, &["DRI3"]);
        let reply = dri3::BufferFromPixmapReply {
            sequence: 1,
            length: 0,
            size: 2560 * 480,
            width: 640,
            height: 480,
            stride: 2560,
            depth: 32,
            bpp: 32,
            nfd: 1,
            pixmap_fd: some_fd(),
        };
        conn.queue_reply_with_fds(reply.serialize().to_vec(), vec![some_fd()]);
        let exported = export(&conn, false, PIXMAP).expect("the queued reply");
        let sent = conn.take();
        assert_eq!(sent.len(), 1, "one request per export: {sent:?}");
        assert_eq!((sent[0].minor, sent[0].fds, sent[0].bytes.len()), (3, 0, 8));
        assert_eq!((exported.modifier, exported.depth), (MOD_INVALID, 32));
        let buf = exported.dma_buf().expect("a single-plane ARGB8888 buffer");
        assert_eq!((buf.fourcc, buf.stride), (FOURCC_ARGB8888, 2560));
    }
}
