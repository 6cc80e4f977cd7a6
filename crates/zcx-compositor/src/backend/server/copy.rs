//! The X side of the server-copy strategy (`scene::split`): CopyArea from named window pixmaps
//! and PolyFillRectangle of the background onto the overlay, with a GC that generates no
//! exposures, and a second one whose tile is the root background pixmap (fill style Tiled,
//! tile origin at the screen's: the server tiles and clips a pixmap of any size itself, and
//! the GC's reference keeps drawing the pixmap's current contents). Windows are copied with
//! one clipped CopyArea each (so a window is never shown as parts of two frames). Nothing
//! waits: the requests are ordered before whatever the compositor sends next
//! (the GL present, the HUD composites, the sync hook's answer).

use std::collections::BTreeMap;

use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    ChangeGCAux, ClipOrdering, ConnectionExt as _, CreateGCAux, FillStyle, GcontextWrapper, Pixmap,
    Rectangle, Screen, VisualClass, Window,
};
use zcx_x11::XError;

use crate::model::WindowId;
use crate::region::Rect;
use crate::scene::split::ServerCopy;

/// Whether a 0x00RRGGBB colour is also the pixel value on `screen`'s root visual (TrueColor
/// with 8-bit red, green and blue masks in that order), so the server can fill with it.
pub fn rgb_is_pixel(screen: &Screen) -> bool {
    screen
        .allowed_depths
        .iter()
        .flat_map(|d| &d.visuals)
        .find(|v| v.visual_id == screen.root_visual)
        .is_some_and(|v| {
            v.class == VisualClass::TRUE_COLOR
                && (v.red_mask, v.green_mask, v.blue_mask) == (0xff_0000, 0xff00, 0xff)
        })
}

#[derive(Debug, thiserror::Error)]
pub enum ServerCopyError {
    #[error(transparent)]
    X(#[from] XError),
}

zcx_x11::impl_from_x11rb!(ServerCopyError);

fn to_rectangle(r: &Rect) -> Rectangle {
    Rectangle {
        x: r.x as i16,
        y: r.y as i16,
        width: r.width as u16,
        height: r.height as u16,
    }
}

/// Issues the server's copies and fills onto the overlay (no-exposure GCs); never waits.
pub struct ServerCopier<'c, C: Connection> {
    conn: &'c C,
    gc: GcontextWrapper<&'c C>,
    /// Tiles with the root background pixmap, when there is one.
    tile_gc: Option<GcontextWrapper<&'c C>>,
    overlay: Window,
}

impl<'c, C: Connection> ServerCopier<'c, C> {
    pub fn new(conn: &'c C, overlay: Window) -> Result<Self, ServerCopyError> {
        let gc =
            GcontextWrapper::create_gc(conn, overlay, &CreateGCAux::new().graphics_exposures(0))?;
        Ok(Self {
            conn,
            gc,
            tile_gc: None,
            overlay,
        })
    }

    /// Tiles with `pixmap` from now on (`None`: no tiling). Waits for the server's answer, so
    /// a pixmap that vanished since it was validated is an error here, not a later BadGC.
    pub fn set_tile(&mut self, pixmap: Option<Pixmap>) -> Result<(), ServerCopyError> {
        self.tile_gc = None;
        let Some(pixmap) = pixmap else {
            return Ok(());
        };
        let aux = CreateGCAux::new()
            .graphics_exposures(0)
            .fill_style(FillStyle::TILED)
            .tile(pixmap)
            .tile_stipple_x_origin(0)
            .tile_stipple_y_origin(0);
        let id = self.conn.generate_id()?;
        self.conn.create_gc(id, self.overlay, &aux)?.check()?;
        self.tile_gc = Some(GcontextWrapper::for_gcontext(self.conn, id));
        Ok(())
    }

    /// Whether [`Self::tile`] can draw (a background pixmap is set).
    pub fn tiles(&self) -> bool {
        self.tile_gc.is_some()
    }

    /// Tiles each of `rects` on the overlay with the background pixmap.
    pub fn tile(&self, rects: &[Rect]) -> Result<(), ServerCopyError> {
        let Some(gc) = &self.tile_gc else {
            return Ok(());
        };
        if !rects.is_empty() {
            let rects: Vec<Rectangle> = rects.iter().map(to_rectangle).collect();
            self.conn
                .poly_fill_rectangle(self.overlay, gc.gcontext(), &rects)?;
        }
        Ok(())
    }

    /// Fills each (rectangle, 0x00RRGGBB) of `fills` on the overlay.
    pub fn fill(&self, fills: &[(Rect, u32)]) -> Result<(), ServerCopyError> {
        let mut colours: Vec<u32> = fills.iter().map(|f| f.1).collect();
        colours.sort_unstable();
        colours.dedup();
        for rgb in colours {
            let rects: Vec<Rectangle> = fills
                .iter()
                .filter(|f| f.1 == rgb)
                .map(|(r, _)| to_rectangle(r))
                .collect();
            let gc = self.gc.gcontext();
            self.conn
                .change_gc(gc, &ChangeGCAux::new().foreground(rgb))?;
            self.conn.poly_fill_rectangle(self.overlay, gc, &rects)?;
        }
        Ok(())
    }

    /// Copies each of `copies` whose window `pixmap` names; returns the pixels copied. All
    /// parts of one window go in one CopyArea clipped to them, so another client's drawing
    /// cannot land between them: the window on the screen is one snapshot of its pixmap.
    pub fn copy(
        &self,
        copies: &[ServerCopy],
        pixmap: impl Fn(WindowId) -> Option<Pixmap>,
    ) -> Result<u64, ServerCopyError> {
        let mut by_window: BTreeMap<WindowId, Vec<&ServerCopy>> = BTreeMap::new();
        for c in copies {
            by_window.entry(c.window).or_default().push(c);
        }
        let mut pixels = 0;
        for (window, parts) in by_window {
            let Some(p) = pixmap(window) else {
                continue;
            };
            let offset = |c: &ServerCopy| (c.src.x - c.dst.x, c.src.y - c.dst.y);
            let same_offset = parts.iter().all(|c| offset(c) == offset(parts[0]));
            if parts.len() > 1 && same_offset {
                self.copy_clipped(p, &parts)?;
            } else {
                for c in &parts {
                    self.copy_area(p, c.src, c.dst)?;
                }
            }
            pixels += parts.iter().map(|c| c.dst.area()).sum::<u64>();
        }
        Ok(pixels)
    }

    /// One CopyArea of the bounds of `parts` (same source offset), clipped to the parts.
    fn copy_clipped(&self, pixmap: Pixmap, parts: &[&ServerCopy]) -> Result<(), ServerCopyError> {
        let gc = self.gc.gcontext();
        let clip: Vec<Rectangle> = parts.iter().map(|c| to_rectangle(&c.dst)).collect();
        let dst = parts
            .iter()
            .skip(1)
            .fold(parts[0].dst, |b, c| b.union_bounds(&c.dst));
        let src = dst.translate(
            parts[0].src.x - parts[0].dst.x,
            parts[0].src.y - parts[0].dst.y,
        );
        self.conn
            .set_clip_rectangles(ClipOrdering::UNSORTED, gc, 0, 0, &clip)?;
        self.copy_area(pixmap, src, dst)?;
        self.conn
            .change_gc(gc, &ChangeGCAux::new().clip_mask(x11rb::NONE))?;
        Ok(())
    }

    fn copy_area(&self, pixmap: Pixmap, src: Rect, dst: Rect) -> Result<(), ServerCopyError> {
        self.conn.copy_area(
            pixmap,
            self.overlay,
            self.gc.gcontext(),
            src.x as i16,
            src.y as i16,
            dst.x as i16,
            dst.y as i16,
            dst.width as u16,
            dst.height as u16,
        )?;
        Ok(())
    }
}
