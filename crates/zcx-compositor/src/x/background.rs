//! The X side of the root background: reading `_XROOTPMAP_ID`, then `_XSETROOT_ID`, on the
//! root; validating the pixmap a value names (GetGeometry: it exists, on our screen, with the
//! root's depth; GetWindowAttributes must fail, since a window is not a pixmap); a Damage object
//! on the chosen pixmap, so that drawing into it repaints the screen. [`RootBackground`] owns
//! that state and the pixmap rectangles GL has not imported yet. Garbage in the properties and
//! pixmaps freed under us are normal: they mean the solid `--background` colour, logged; only a
//! broken connection is an error.

use x11rb::connection::Connection;
use x11rb::errors::{ConnectionError, ReplyError, ReplyOrIdError};
use x11rb::protocol::damage::{Damage, DamageWrapper, ReportLevel};
use x11rb::protocol::xproto::{AtomEnum, ConnectionExt as _, GetPropertyReply, Window};
use zcx_x11::error::describe;

use crate::model::background::{self, Background, RootPixmap};
use crate::region::{Rect, Region};
use crate::x::windows::Atoms;

/// The root background in use. Field order is drop order (only the Damage object is an X
/// resource; the pixmap belongs to whoever published it).
pub struct RootBackground<'c, C: Connection> {
    damage: Option<DamageWrapper<&'c C>>,
    pixmap: Option<RootPixmap>,
    fallback_rgb: u32,
    /// Pixmap rectangles whose contents GL has not imported yet.
    stale: Region,
}

impl<'c, C: Connection> RootBackground<'c, C> {
    /// The solid colour (0x00RRGGBB) until [`Self::reload`] finds a pixmap.
    pub fn new(fallback_rgb: u32) -> Self {
        Self {
            damage: None,
            pixmap: None,
            fallback_rgb,
            stale: Region::new(),
        }
    }

    pub fn background(&self) -> Background {
        self.pixmap
            .map_or(Background::Solid(self.fallback_rgb), Background::Pixmap)
    }

    pub fn pixmap(&self) -> Option<RootPixmap> {
        self.pixmap
    }

    /// Reads the properties again and takes the first usable pixmap, else the colour. A pixmap
    /// is wholly stale for GL afterwards (the same id may have been redrawn).
    pub fn reload(
        &mut self,
        conn: &'c C,
        atoms: &Atoms,
        root: Window,
        root_depth: u8,
    ) -> Result<(), ConnectionError> {
        self.damage = None;
        self.pixmap = None;
        self.stale.clear();
        for (name, atom) in [
            ("_XROOTPMAP_ID", atoms.xrootpmap_id),
            ("_XSETROOT_ID", atoms.xsetroot_id),
        ] {
            match read_pixmap(conn, atom, root, root_depth)? {
                Found::Pixmap(p) => {
                    log::info!(
                        "root background: the {}x{} pixmap {:#x} from {name}",
                        p.width,
                        p.height,
                        p.pixmap
                    );
                    return self.take(conn, p);
                }
                Found::Unset => log::debug!("root background: {name} is not set"),
                Found::Unusable(why) => {
                    log::info!("root background: {name} is not usable: {why}")
                }
            }
        }
        self.fall_back("no usable root pixmap");
        Ok(())
    }

    /// Uses `p`, with a Damage object on it (an error for a pixmap freed meanwhile arrives as an
    /// event and is logged there; the last contents stay).
    fn take(&mut self, conn: &'c C, p: RootPixmap) -> Result<(), ConnectionError> {
        self.damage = match DamageWrapper::create(conn, p.pixmap, ReportLevel::NON_EMPTY) {
            Ok(d) => Some(d),
            Err(ReplyOrIdError::ConnectionError(e)) => return Err(e),
            Err(e) => {
                log::info!("no Damage object on the root pixmap {:#x}: {e}", p.pixmap);
                None
            }
        };
        self.pixmap = Some(p);
        self.stale = Region::from_rect(Rect::new(0, 0, p.width, p.height));
        Ok(())
    }

    /// The GL texture is new: all of the pixmap counts as not imported.
    pub fn forget_imports(&mut self) {
        if let Some(p) = self.pixmap {
            self.stale = Region::from_rect(Rect::new(0, 0, p.width, p.height));
        }
    }

    /// Goes back to the solid colour (the pixmap cannot be drawn here), saying why.
    pub fn fall_back(&mut self, why: &str) {
        log::info!(
            "root background: the solid colour {:#08x} ({why})",
            self.fallback_rgb
        );
        self.damage = None;
        self.pixmap = None;
        self.stale.clear();
    }

    /// The Damage object, when `drawable` is the background pixmap.
    pub fn damage_for(&self, drawable: u32) -> Option<Damage> {
        let p = self.pixmap?;
        (p.pixmap == drawable)
            .then(|| self.damage.as_ref().map(|d| d.damage()))
            .flatten()
    }

    /// Records that `rects` (pixmap coordinates) of the pixmap changed; returns the screen
    /// rectangles that show them.
    pub fn handle_damage(&mut self, rects: &[Rect], screen: Rect) -> Region {
        let Some(p) = self.pixmap else {
            return Region::new();
        };
        for r in rects {
            self.stale.add(*r);
        }
        background::screen_damage(rects, (p.width, p.height), screen)
    }

    /// The stale parts of `needed` (pixmap rectangles), which count as imported from now on.
    pub fn take_stale(&mut self, needed: &[Rect]) -> Vec<Rect> {
        let mut take = Vec::new();
        for n in needed {
            take.extend_from_slice(self.stale.intersected(n).rects());
            self.stale.subtract_rect(n);
        }
        take
    }
}

/// What one background property holds.
enum Found {
    Unset,
    Unusable(String),
    Pixmap(RootPixmap),
}

/// The usable root pixmap named by `atom` on `root`, or why there is none.
fn read_pixmap<C: Connection>(
    conn: &C,
    atom: u32,
    root: Window,
    root_depth: u8,
) -> Result<Found, ConnectionError> {
    let reply = match conn
        .get_property(false, root, atom, AtomEnum::ANY, 0, 1)?
        .reply()
    {
        Ok(r) => r,
        Err(e) => return x_failure(e, "GetProperty"),
    };
    let pixmap = match pixmap_id(&reply) {
        Ok(Some(p)) => p,
        Ok(None) => return Ok(Found::Unset),
        Err(why) => return Ok(Found::Unusable(why)),
    };
    let geometry = conn.get_geometry(pixmap)?;
    let attributes = conn.get_window_attributes(pixmap)?;
    let g = match geometry.reply() {
        Ok(g) => g,
        Err(e) => return x_failure(e, &format!("pixmap {pixmap:#x}")),
    };
    if attributes.reply().is_ok() {
        return Ok(Found::Unusable(format!(
            "{pixmap:#x} is a window, not a pixmap"
        )));
    }
    let (width, height) = (u32::from(g.width), u32::from(g.height));
    let checked = background::check_geometry((g.depth, width, height), root_depth, g.root == root);
    Ok(match checked {
        Ok(()) => Found::Pixmap(RootPixmap {
            pixmap,
            width,
            height,
        }),
        Err(why) => Found::Unusable(format!("pixmap {pixmap:#x}: {why}")),
    })
}

/// The pixmap id in a `_XROOTPMAP_ID`/`_XSETROOT_ID` value read with a length of one item:
/// type PIXMAP, format 32, exactly one non-zero item; `None` when the property is not set.
/// Anything else is why not.
pub fn pixmap_id(reply: &GetPropertyReply) -> Result<Option<u32>, String> {
    if reply.type_ == u32::from(AtomEnum::NONE) {
        return Ok(None);
    }
    if reply.type_ != u32::from(AtomEnum::PIXMAP) || reply.format != 32 {
        return Err(format!(
            "type atom {} format {} instead of PIXMAP/32",
            reply.type_, reply.format
        ));
    }
    if reply.value_len != 1 || reply.bytes_after != 0 {
        return Err(format!(
            "{} items (and {} bytes more) instead of one",
            reply.value_len, reply.bytes_after
        ));
    }
    match reply.value32().and_then(|mut v| v.next()) {
        Some(0) | None => Err("pixmap id 0".into()),
        Some(id) => Ok(Some(id)),
    }
}

/// An X error is a reason (the resource is gone or never was); a broken connection is an error.
fn x_failure(e: ReplyError, what: &str) -> Result<Found, ConnectionError> {
    match e {
        ReplyError::ConnectionError(c) => Err(c),
        ReplyError::X11Error(x) => Ok(Found::Unusable(format!("{what}: {}", describe(&x)))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prop(
        type_: impl Into<u32>,
        format: u8,
        items: &[u32],
        bytes_after: u32,
    ) -> GetPropertyReply {
        GetPropertyReply {
            format,
            sequence: 0,
            length: 0,
            type_: type_.into(),
            bytes_after,
            value_len: items.len() as u32,
            value: items.iter().flat_map(|i| i.to_ne_bytes()).collect(),
        }
    }

    #[test]
    fn a_single_pixmap_item_is_accepted_and_garbage_refused() {
        assert_eq!(
            pixmap_id(&prop(AtomEnum::PIXMAP, 32, &[0x40_0001], 0)),
            Ok(Some(0x40_0001))
        );
        assert_eq!(pixmap_id(&prop(AtomEnum::NONE, 0, &[], 0)), Ok(None));
        for bad in [
            prop(AtomEnum::CARDINAL, 32, &[0x40_0001], 0),
            prop(AtomEnum::PIXMAP, 16, &[0x40_0001], 0),
            prop(AtomEnum::PIXMAP, 32, &[], 0),
            prop(AtomEnum::PIXMAP, 32, &[0x40_0001], 4),
            prop(AtomEnum::PIXMAP, 32, &[0x40_0001, 0x40_0002], 0),
            prop(AtomEnum::PIXMAP, 32, &[0], 0),
        ] {
            assert!(pixmap_id(&bad).is_err(), "{bad:?}");
        }
    }
}
