//! The server-composited HUD, used with `--composite server-copy`: each panel is drawn by the
//! HUD shader only when its text or place changes, read back as premultiplied ARGB into a
//! depth-32 pixmap, and composited onto the overlay by the X server (RENDER Composite, OVER)
//! wherever a frame repaints under it. A producer window under its panel then stays a pure
//! server copy: per frame no import, no GL pass and no read-back for the HUD. Without RENDER's
//! ARGB32 format the HUD stays in the GL draw list.

use std::collections::HashMap;

use x11rb::connection::Connection;
use x11rb::protocol::render::{
    ConnectionExt as _, CreatePictureAux, PictOp, PictType, Pictformat, PictureWrapper,
};
use x11rb::protocol::xproto::{
    ConnectionExt as _, CreateGCAux, GcontextWrapper, ImageFormat, PixmapWrapper, Window,
};

use crate::backend::gl::GlRenderer;
use crate::model::WindowId;
use crate::region::Rect;
use crate::x::render::{OverlayPicture, RenderError};

/// One panel's pixels in the X server. Field order is drop order: picture, GC, pixmap.
struct ServerPanel<'c, C: Connection> {
    picture: PictureWrapper<&'c C>,
    gc: GcontextWrapper<&'c C>,
    pixmap: PixmapWrapper<&'c C>,
    /// The screen rectangle the pixmap holds (the panel's visible part).
    rect: Rect,
    stale: bool,
}

/// Field order is drop order: panels, then the overlay's picture.
pub struct ServerHud<'c, C: Connection> {
    panels: HashMap<WindowId, ServerPanel<'c, C>>,
    overlay_picture: PictureWrapper<&'c C>,
    conn: &'c C,
    overlay: Window,
    argb32: Pictformat,
    buffer: Vec<u8>,
}

impl<'c, C: Connection> ServerHud<'c, C> {
    pub fn new(conn: &'c C, overlay: Window) -> Result<Self, RenderError> {
        let formats = conn.render_query_pict_formats()?.reply()?;
        let argb32 = formats
            .formats
            .iter()
            .find(|f| {
                let d = &f.direct;
                f.type_ == PictType::DIRECT
                    && f.depth == 32
                    && (d.alpha_shift, d.alpha_mask) == (24, 0xff)
                    && (d.red_shift, d.green_shift, d.blue_shift) == (16, 8, 0)
            })
            .map(|f| f.id)
            .ok_or(RenderError::NoFormat("ARGB32"))?;
        let overlay_picture = OverlayPicture::new(conn, overlay, &formats)?.picture;
        Ok(Self {
            panels: HashMap::new(),
            overlay_picture,
            conn,
            overlay,
            argb32,
            buffer: Vec::new(),
        })
    }

    /// `window`'s panel text or place changed: redraw it before its next composite.
    pub fn invalidate(&mut self, window: WindowId) {
        if let Some(p) = self.panels.get_mut(&window) {
            p.stale = true;
        }
    }

    pub fn remove(&mut self, window: WindowId) {
        self.panels.remove(&window);
    }

    /// Whether compositing `ops` first needs a panel drawn (new, stale or moved), which takes
    /// the GL renderer.
    pub fn needs_drawing(
        &self,
        ops: &[(WindowId, Rect)],
        visible: impl Fn(WindowId) -> Option<Rect>,
    ) -> bool {
        ops.iter().any(|&(window, _)| {
            visible(window).is_some_and(|rect| !rect.is_empty() && !self.is_fresh(window, rect))
        })
    }

    fn is_fresh(&self, window: WindowId, rect: Rect) -> bool {
        self.panels
            .get(&window)
            .is_some_and(|p| !p.stale && p.rect == rect)
    }

    /// Composites each (window, clip) panel part over the overlay, first redrawing panels that
    /// are stale or moved (`visible` gives a panel's current visible rectangle; without a
    /// renderer such a panel is not drawn). Uses the renderer's target as scratch space: call
    /// after this frame's GL present.
    pub fn draw(
        &mut self,
        renderer: Option<&GlRenderer>,
        ops: &[(WindowId, Rect)],
        visible: impl Fn(WindowId) -> Option<Rect>,
    ) -> Result<(), RenderError> {
        for &(window, clip) in ops {
            let Some(rect) = visible(window) else {
                continue;
            };
            self.ensure(renderer, window, rect)?;
            let Some(p) = self.panels.get(&window) else {
                continue;
            };
            let Some(c) = clip.intersect(&p.rect) else {
                continue;
            };
            self.conn.render_composite(
                PictOp::OVER,
                p.picture.picture(),
                x11rb::NONE,
                self.overlay_picture.picture(),
                (c.x - p.rect.x) as i16,
                (c.y - p.rect.y) as i16,
                0,
                0,
                c.x as i16,
                c.y as i16,
                c.width as u16,
                c.height as u16,
            )?;
        }
        Ok(())
    }

    /// Makes the server's copy of `window`'s panel current for `rect`.
    fn ensure(
        &mut self,
        renderer: Option<&GlRenderer>,
        window: WindowId,
        rect: Rect,
    ) -> Result<(), RenderError> {
        if self.is_fresh(window, rect) || rect.is_empty() {
            return Ok(());
        }
        let Some(renderer) = renderer else {
            // Never composite a pixmap whose contents are not current.
            self.panels.remove(&window);
            return Ok(());
        };
        if self
            .panels
            .get(&window)
            .is_none_or(|p| (p.rect.width, p.rect.height) != (rect.width, rect.height))
        {
            self.panels.remove(&window);
            let panel = self.create_panel(rect)?;
            self.panels.insert(window, panel);
        }
        let Some(p) = self.panels.get_mut(&window) else {
            return Ok(());
        };
        if !renderer.render_hud_panel(window, rect, &mut self.buffer) {
            // Never composite a pixmap whose contents were not drawn.
            self.panels.remove(&window);
            return Ok(());
        }
        self.conn.put_image(
            ImageFormat::Z_PIXMAP,
            p.pixmap.pixmap(),
            p.gc.gcontext(),
            rect.width as u16,
            rect.height as u16,
            0,
            0,
            0,
            32,
            &self.buffer,
        )?;
        p.rect = rect;
        p.stale = false;
        Ok(())
    }

    fn create_panel(&self, rect: Rect) -> Result<ServerPanel<'c, C>, RenderError> {
        let (w, h) = (rect.width.max(1) as u16, rect.height.max(1) as u16);
        let pixmap = PixmapWrapper::create_pixmap(self.conn, 32, self.overlay, w, h)?;
        let gc = GcontextWrapper::create_gc(
            self.conn,
            pixmap.pixmap(),
            &CreateGCAux::new().graphics_exposures(0),
        )?;
        let picture = PictureWrapper::create_picture(
            self.conn,
            pixmap.pixmap(),
            self.argb32,
            &CreatePictureAux::new(),
        )?;
        Ok(ServerPanel {
            picture,
            gc,
            pixmap,
            rect,
            stale: true,
        })
    }
}
