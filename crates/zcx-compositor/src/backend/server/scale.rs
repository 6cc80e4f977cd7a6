//! Scaling in the X server, used with `--composite server-copy`: opaque windows that the
//! layout scales (`--layout side-by-side`) are drawn onto the overlay by RENDER Composite from
//! a picture of their named pixmap with a scaling transform, a bilinear filter and padded
//! edges, so a scaled 4K producer costs one pixman pass in the server instead of an import,
//! a GL pass, a read-back and a ShmPutImage. One picture per window, made again when its
//! pixmap is renamed or its placement changes; nothing waits.

use std::collections::HashMap;

use x11rb::connection::Connection;
use x11rb::protocol::render::{
    self, ConnectionExt as _, CreatePictureAux, PictOp, Pictformat, PictureWrapper, Repeat,
    Transform,
};
use x11rb::protocol::xproto::{Pixmap, Window};

use crate::model::placement::Placement;
use crate::model::WindowId;
use crate::region::Rect;
use crate::x::render::{OverlayPicture, RenderError};

/// A window's scaled source: the picture and what it was made for.
struct Source<'c, C: Connection> {
    picture: PictureWrapper<&'c C>,
    pixmap: Pixmap,
    placement: Placement,
}

/// Field order is drop order: window pictures, then the overlay's picture.
pub struct ServerScaler<'c, C: Connection> {
    sources: HashMap<WindowId, Source<'c, C>>,
    overlay_picture: PictureWrapper<&'c C>,
    conn: &'c C,
    format: Pictformat,
}

impl<'c, C: Connection> ServerScaler<'c, C> {
    /// Needs RENDER 0.10 (transforms, filters, pad repeat); window pictures use the overlay's
    /// format (only windows of the overlay's depth are scaled by the server).
    pub fn new(conn: &'c C, overlay: Window) -> Result<Self, RenderError> {
        let version = conn.render_query_version(0, 11)?.reply()?;
        if (version.major_version, version.minor_version) < (0, 10) {
            return Err(RenderError::OldRender(
                version.major_version,
                version.minor_version,
            ));
        }
        let formats = conn.render_query_pict_formats()?.reply()?;
        let OverlayPicture {
            picture: overlay_picture,
            format,
        } = OverlayPicture::new(conn, overlay, &formats)?;
        Ok(Self {
            sources: HashMap::new(),
            overlay_picture,
            conn,
            format,
        })
    }

    /// Draws each (window, screen rectangle) scaled from the window's pixmap as `source`
    /// gives it (pixmap and placement); returns the screen pixels drawn.
    pub fn scale(
        &mut self,
        parts: &[(WindowId, Rect)],
        source: impl Fn(WindowId) -> Option<(Pixmap, Placement)>,
    ) -> Result<u64, RenderError> {
        let mut pixels = 0;
        for &(window, r) in parts {
            let Some((pixmap, placement)) = source(window) else {
                continue;
            };
            let picture = self.picture(window, pixmap, placement)?;
            // The transform maps the destination-sized space onto the pixmap, so the source
            // origin is the part's offset inside the window's screen rectangle.
            self.conn.render_composite(
                PictOp::SRC,
                picture,
                x11rb::NONE,
                self.overlay_picture.picture(),
                (r.x - placement.dst.x) as i16,
                (r.y - placement.dst.y) as i16,
                0,
                0,
                r.x as i16,
                r.y as i16,
                r.width as u16,
                r.height as u16,
            )?;
            pixels += r.area();
        }
        Ok(pixels)
    }

    /// Drops the pictures of windows `keep` rejects (gone or no longer scaled).
    pub fn retain(&mut self, mut keep: impl FnMut(WindowId) -> bool) {
        self.sources.retain(|&id, _| keep(id));
    }

    /// The picture of `window`'s pixmap scaled to `placement`, made when missing or stale.
    fn picture(
        &mut self,
        window: WindowId,
        pixmap: Pixmap,
        placement: Placement,
    ) -> Result<render::Picture, RenderError> {
        if let Some(s) = self
            .sources
            .get(&window)
            .filter(|s| s.pixmap == pixmap && s.placement == placement)
        {
            return Ok(s.picture.picture());
        }
        self.sources.remove(&window);
        let aux = CreatePictureAux::new().repeat(Repeat::PAD);
        let picture = PictureWrapper::create_picture(self.conn, pixmap, self.format, &aux)?;
        self.conn
            .render_set_picture_transform(picture.picture(), scale_transform(placement))?;
        self.conn
            .render_set_picture_filter(picture.picture(), b"bilinear", &[])?;
        let id = picture.picture();
        self.sources.insert(
            window,
            Source {
                picture,
                pixmap,
                placement,
            },
        );
        Ok(id)
    }
}

/// RENDER's 16.16 fixed-point matrix from destination to pixmap coordinates for `p`.
pub fn scale_transform(p: Placement) -> Transform {
    let fixed = |v: f64| (v * 65536.0).round() as i32;
    let sx = f64::from(p.size.0) / f64::from(p.dst.width.max(1));
    let sy = f64::from(p.size.1) / f64::from(p.dst.height.max(1));
    Transform {
        matrix11: fixed(sx),
        matrix12: 0,
        matrix13: 0,
        matrix21: 0,
        matrix22: fixed(sy),
        matrix23: 0,
        matrix31: 0,
        matrix32: 0,
        matrix33: fixed(1.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transform_maps_the_column_onto_the_whole_pixmap() {
        let p = Placement {
            size: (3840, 2160),
            dst: Rect::new(1920, 540, 1920, 1080),
        };
        let t = scale_transform(p);
        assert_eq!(
            (t.matrix11, t.matrix22, t.matrix33),
            (2 << 16, 2 << 16, 1 << 16)
        );
        assert_eq!(
            (t.matrix12, t.matrix13, t.matrix21, t.matrix23),
            (0, 0, 0, 0)
        );
        let odd = scale_transform(Placement {
            size: (100, 100),
            dst: Rect::new(0, 0, 300, 300),
        });
        assert_eq!(odd.matrix11, 21845);
    }
}
