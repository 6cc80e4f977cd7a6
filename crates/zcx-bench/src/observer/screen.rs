//! Reading the screen: the [`RowReader`] role (8-pixel rows of the screen at root
//! coordinates), its X implementation [`RootReader`] (pipelined GetImage of the root window),
//! a fake screen for tests, and finding producer windows (WM_CLASS `zcx-producer`) with their
//! geometry in root coordinates.

use serde::{Deserialize, Serialize};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    AtomEnum, ConnectionExt as _, ImageFormat, ImageOrder, MapState, Window,
};
use zcx_x11::stamp::{Stamp, StampError, STAMP_PIXELS};

/// A window's rectangle in root coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowGeometry {
    pub x: i32,
    pub y: i32,
    pub width: u16,
    pub height: u16,
}

/// A stamp row: the first eight pixels.
pub type Row = [u32; STAMP_PIXELS];

/// Reads short rows of what is on the screen.
pub trait RowReader {
    /// The eight pixels at each `(x, y)` (root coordinates), or `None` when any of them is
    /// off the screen or could not be read.
    fn read_rows(&mut self, at: &[(i32, i32)]) -> Option<Vec<Row>>;

    /// One row, for convenience.
    fn read_row(&mut self, x: i32, y: i32, width: usize) -> Option<Row> {
        debug_assert_eq!(width, STAMP_PIXELS);
        self.read_rows(&[(x, y)]).and_then(|v| v.into_iter().next())
    }
}

/// Reads a window's top and bottom stamp rows.
pub fn sample_rows(
    reader: &mut impl RowReader,
    g: &WindowGeometry,
) -> Option<(Result<Stamp, StampError>, Result<Stamp, StampError>)> {
    let bottom_y = g.y + i32::from(g.height.max(1)) - 1;
    let rows = reader.read_rows(&[(g.x, g.y), (g.x, bottom_y)])?;
    Some((Stamp::from_pixels(&rows[0]), Stamp::from_pixels(&rows[1])))
}

/// GetImage of the root window, both rows of a window requested before either reply is read.
pub struct RootReader<'c, C: Connection> {
    conn: &'c C,
    root: Window,
    width: i32,
    height: i32,
    msb_first: bool,
}

impl<'c, C: Connection> RootReader<'c, C> {
    pub fn new(conn: &'c C, screen_num: usize) -> RootReader<'c, C> {
        let setup = conn.setup();
        let screen = &setup.roots[screen_num];
        RootReader {
            conn,
            root: screen.root,
            width: i32::from(screen.width_in_pixels),
            height: i32::from(screen.height_in_pixels),
            msb_first: setup.image_byte_order == ImageOrder::MSB_FIRST,
        }
    }

    fn on_screen(&self, x: i32, y: i32) -> bool {
        x >= 0 && y >= 0 && x + STAMP_PIXELS as i32 <= self.width && y < self.height
    }

    fn decode(&self, data: &[u8]) -> Option<Row> {
        let mut row = [0u32; STAMP_PIXELS];
        if data.len() < STAMP_PIXELS * 4 {
            return None;
        }
        for (p, b) in row.iter_mut().zip(data.chunks_exact(4)) {
            let b = [b[0], b[1], b[2], b[3]];
            *p = if self.msb_first {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            };
        }
        Some(row)
    }
}

impl<C: Connection> RowReader for RootReader<'_, C> {
    fn read_rows(&mut self, at: &[(i32, i32)]) -> Option<Vec<Row>> {
        if !at.iter().all(|&(x, y)| self.on_screen(x, y)) {
            return None;
        }
        let at: Vec<(i16, i16)> = at
            .iter()
            .map(|&(x, y)| Some((i16::try_from(x).ok()?, i16::try_from(y).ok()?)))
            .collect::<Option<_>>()?;
        // The rows of one round are read under a server grab, so no other client's request
        // (a producer's frame, a compositor's repaint) can land between them: a torn frame
        // is then really torn on the screen, not an artefact of sampling. Nothing between the
        // grab and the ungrab can return early.
        self.conn.grab_server().ok()?;
        let cookies: Vec<_> = at
            .iter()
            .map(|&(x, y)| {
                self.conn
                    .get_image(ImageFormat::Z_PIXMAP, self.root, x, y, 8, 1, !0)
            })
            .collect();
        self.conn.ungrab_server().ok()?;
        self.conn.flush().ok()?;
        let cookies = cookies.into_iter().collect::<Result<Vec<_>, _>>().ok()?;
        let mut rows = Vec::with_capacity(at.len());
        for c in cookies {
            match c.reply() {
                Ok(r) => rows.push(self.decode(&r.data)?),
                Err(e) => {
                    log::debug!("GetImage of the root failed: {e}");
                    return None;
                }
            }
        }
        Some(rows)
    }
}

/// A producer window found on the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundWindow {
    pub id: Window,
    pub geometry: WindowGeometry,
}

/// Viewable producer windows (`zcx_x11::identity`), at most two levels below the root
/// (a reparenting window manager adds one), with geometry in root coordinates. Windows that
/// vanish while being queried are skipped.
pub fn find_producer_windows(conn: &impl Connection, root: Window) -> Vec<FoundWindow> {
    let mut found = Vec::new();
    let Ok(tree) = conn
        .query_tree(root)
        .ok()
        .and_then(|c| c.reply().ok())
        .ok_or(())
    else {
        return found;
    };
    for top in tree.children {
        let mut candidates = vec![top];
        if let Some(t) = conn.query_tree(top).ok().and_then(|c| c.reply().ok()) {
            candidates.extend(t.children);
        }
        for w in candidates {
            if let Some(g) = producer_geometry(conn, root, w) {
                found.push(FoundWindow { id: w, geometry: g });
            }
        }
    }
    found
}

fn producer_geometry(conn: &impl Connection, root: Window, w: Window) -> Option<WindowGeometry> {
    let prop = conn
        .get_property(false, w, AtomEnum::WM_CLASS, AtomEnum::STRING, 0, 64)
        .ok()?
        .reply()
        .ok()?;
    if !zcx_x11::identity::is_producer_class(&prop.value) {
        return None;
    }
    let attrs = conn.get_window_attributes(w).ok()?.reply().ok()?;
    if attrs.map_state != MapState::VIEWABLE {
        return None;
    }
    let geo = conn.get_geometry(w).ok()?.reply().ok()?;
    let pos = conn
        .translate_coordinates(w, root, 0, 0)
        .ok()?
        .reply()
        .ok()?;
    Some(WindowGeometry {
        x: i32::from(pos.dst_x),
        y: i32::from(pos.dst_y),
        width: geo.width,
        height: geo.height,
    })
}

/// A screen in memory, for tests.
#[cfg(test)]
pub struct FakeScreen {
    width: i32,
    height: i32,
    pixels: Vec<u32>,
}

#[cfg(test)]
impl FakeScreen {
    pub fn new(width: i32, height: i32, fill: u32) -> FakeScreen {
        FakeScreen {
            width,
            height,
            pixels: vec![fill; (width * height) as usize],
        }
    }

    pub fn put(&mut self, x: i32, y: i32, px: &[u32]) {
        let start = (y * self.width + x) as usize;
        self.pixels[start..start + px.len()].copy_from_slice(px);
    }
}

#[cfg(test)]
impl RowReader for FakeScreen {
    fn read_rows(&mut self, at: &[(i32, i32)]) -> Option<Vec<Row>> {
        at.iter()
            .map(|&(x, y)| {
                if x < 0 || y < 0 || x + 8 > self.width || y >= self.height {
                    return None;
                }
                let start = (y * self.width + x) as usize;
                let mut row = [0u32; STAMP_PIXELS];
                row.copy_from_slice(&self.pixels[start..start + STAMP_PIXELS]);
                Some(row)
            })
            .collect()
    }
}
