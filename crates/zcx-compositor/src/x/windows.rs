//! The X side of tracked windows: querying what the model needs to know about a window
//! (attributes, geometry, opacity), the per-window X resources (Damage object, named pixmap)
//! owned by [`WindowResources`], and fetching accumulated damage as rectangles.

use x11rb::connection::Connection;
use x11rb::errors::{ConnectionError, ReplyError};
use x11rb::protocol::composite::ConnectionExt as _;
use x11rb::protocol::damage::{ConnectionExt as _, DamageWrapper, ReportLevel};
use x11rb::protocol::shape::{self, ConnectionExt as _};
use x11rb::protocol::xfixes::{self, ConnectionExt as _};
use x11rb::protocol::xproto::{
    AtomEnum, ChangeWindowAttributesAux, ConnectionExt as _, EventMask, MapState, PixmapWrapper,
    Window, WindowClass,
};

use crate::model::{Geometry, WindowInfo};
use crate::region::Rect;
use zcx_x11::identity::is_producer_class;

/// Interned atoms the compositor uses.
#[derive(Clone, Copy, Debug)]
pub struct Atoms {
    pub net_wm_window_opacity: u32,
    pub zcx_sync: u32,
    pub zcx_stats: u32,
    /// The root background pixmap properties, in the order they are believed.
    pub xrootpmap_id: u32,
    pub xsetroot_id: u32,
}

impl Atoms {
    pub fn intern<C: Connection>(conn: &C) -> Result<Self, ReplyError> {
        let o = conn.intern_atom(false, b"_NET_WM_WINDOW_OPACITY")?;
        let s = conn.intern_atom(false, crate::x::sync_hook::ATOM_NAME.as_bytes())?;
        let z = conn.intern_atom(false, STATS_ATOM_NAME.as_bytes())?;
        let r = conn.intern_atom(false, b"_XROOTPMAP_ID")?;
        let x = conn.intern_atom(false, b"_XSETROOT_ID")?;
        Ok(Self {
            net_wm_window_opacity: o.reply()?.atom,
            zcx_sync: s.reply()?.atom,
            zcx_stats: z.reply()?.atom,
            xrootpmap_id: r.reply()?.atom,
            xsetroot_id: x.reply()?.atom,
        })
    }
}

/// The property a producer publishes its statistics in (UTF-8 JSON).
pub const STATS_ATOM_NAME: &str = "_ZCX_STATS";
/// The most of `_ZCX_STATS` read, in 32-bit units (64 KiB); longer values are truncated.
const STATS_MAX_WORDS: u32 = 16 * 1024;

/// Cookies for what decides whether a window is a producer.
struct ProducerCookies<'a, C: Connection> {
    class: x11rb::cookie::Cookie<'a, C, x11rb::protocol::xproto::GetPropertyReply>,
    stats: x11rb::cookie::Cookie<'a, C, x11rb::protocol::xproto::GetPropertyReply>,
}

impl<'a, C: Connection> ProducerCookies<'a, C> {
    fn send(conn: &'a C, atoms: &Atoms, window: Window) -> Result<Self, ConnectionError> {
        let class = conn.get_property(false, window, AtomEnum::WM_CLASS, AtomEnum::ANY, 0, 64)?;
        let stats = conn.get_property(false, window, atoms.zcx_stats, AtomEnum::ANY, 0, 0)?;
        Ok(Self { class, stats })
    }

    /// Any value of any type or format: only the bytes are looked at.
    fn producer(self) -> bool {
        let class = self
            .class
            .reply()
            .ok()
            .is_some_and(|r| is_producer_class(&r.value));
        let stats = self
            .stats
            .reply()
            .ok()
            .is_some_and(|r| r.type_ != x11rb::NONE);
        class || stats
    }
}

/// Whether `window` is a producer now (WM_CLASS `zcx-producer` or a `_ZCX_STATS` property).
pub fn read_producer<C: Connection>(
    conn: &C,
    atoms: &Atoms,
    window: Window,
) -> Result<bool, ConnectionError> {
    Ok(ProducerCookies::send(conn, atoms, window)?.producer())
}

/// The raw `_ZCX_STATS` value (any type, format 8 expected), `None` when absent or the window
/// is gone. Values over 64 KiB are truncated (and then fail to parse, harmlessly).
pub fn read_stats<C: Connection>(
    conn: &C,
    atoms: &Atoms,
    window: Window,
) -> Result<Option<Vec<u8>>, ConnectionError> {
    let cookie = conn.get_property(
        false,
        window,
        atoms.zcx_stats,
        AtomEnum::ANY,
        0,
        STATS_MAX_WORDS,
    )?;
    Ok(cookie
        .reply()
        .ok()
        .filter(|r| r.type_ != x11rb::NONE && r.format == 8)
        .map(|r| r.value))
}

/// Selects PropertyNotify and ShapeNotify on `window` before it is first queried, so a
/// change in between is not lost.
pub fn select_window_events<C: Connection>(
    conn: &C,
    window: Window,
) -> Result<(), ConnectionError> {
    let aux = ChangeWindowAttributesAux::new().event_mask(EventMask::PROPERTY_CHANGE);
    conn.change_window_attributes(window, &aux)?;
    conn.shape_select_input(window, true)?;
    Ok(())
}

/// Reads `_NET_WM_WINDOW_OPACITY`; absent or malformed means `None`.
pub fn read_opacity<C: Connection>(
    conn: &C,
    atoms: &Atoms,
    window: Window,
) -> Result<Option<u32>, ConnectionError> {
    let cookie = conn.get_property(
        false,
        window,
        atoms.net_wm_window_opacity,
        AtomEnum::CARDINAL,
        0,
        1,
    )?;
    Ok(cookie
        .reply()
        .ok()
        .and_then(|r| r.value32().and_then(|mut v| v.next())))
}

/// Queries attributes, geometry, opacity, producer flag and bounding shape of `ids`
/// (pipelined). Windows that vanished meanwhile are left out.
pub fn query_infos<C: Connection>(
    conn: &C,
    atoms: &Atoms,
    ids: &[Window],
) -> Result<Vec<WindowInfo>, ConnectionError> {
    let mut cookies = Vec::with_capacity(ids.len());
    for &id in ids {
        let a = conn.get_window_attributes(id)?;
        let g = conn.get_geometry(id)?;
        let o = conn.get_property(
            false,
            id,
            atoms.net_wm_window_opacity,
            AtomEnum::CARDINAL,
            0,
            1,
        )?;
        let p = ProducerCookies::send(conn, atoms, id)?;
        cookies.push((id, a, g, o, p));
    }
    let mut infos = Vec::with_capacity(ids.len());
    for (id, a, g, o, p) in cookies {
        let (Ok(a), Ok(g)) = (a.reply(), g.reply()) else {
            log::debug!("window {id:#x} vanished before it could be queried");
            continue;
        };
        let opacity = o
            .reply()
            .ok()
            .and_then(|r| r.value32().and_then(|mut v| v.next()));
        infos.push(WindowInfo {
            id,
            geometry: Geometry::new(
                g.x.into(),
                g.y.into(),
                g.width.into(),
                g.height.into(),
                g.border_width.into(),
            ),
            mapped: a.map_state != MapState::UNMAPPED,
            override_redirect: a.override_redirect,
            input_only: a.class == WindowClass::INPUT_ONLY,
            depth: g.depth,
            argb: g.depth == 32,
            opacity,
            producer: p.producer(),
            bounding_shape: None,
        });
    }
    let ids: Vec<Window> = infos.iter().map(|i| i.id).collect();
    for (info, shape) in infos.iter_mut().zip(bounding_shapes(conn, &ids)?) {
        info.bounding_shape = shape;
    }
    Ok(infos)
}

/// The bounding shapes of `windows` (window-origin coordinates, pipelined), `None` for
/// unshaped or vanished windows. Only shaped windows are asked for their rectangles: for an
/// unshaped one the X server (21.1) answers a rectangle one border width short of the right
/// and bottom edges of the border.
fn bounding_shapes<C: Connection>(
    conn: &C,
    windows: &[Window],
) -> Result<Vec<Option<Vec<Rect>>>, ConnectionError> {
    let extents = windows
        .iter()
        .map(|&w| conn.shape_query_extents(w))
        .collect::<Result<Vec<_>, _>>()?;
    let mut cookies = Vec::with_capacity(windows.len());
    for (&window, extents) in windows.iter().zip(extents) {
        let shaped = extents.reply().is_ok_and(|r| r.bounding_shaped);
        cookies.push(if shaped {
            Some(conn.shape_get_rectangles(window, shape::SK::BOUNDING)?)
        } else {
            None
        });
    }
    Ok(cookies
        .into_iter()
        .map(|c| {
            let reply = c?.reply().ok()?;
            Some(reply.rectangles.iter().map(to_rect).collect())
        })
        .collect())
}

/// X resources of one tracked window. Field order is drop order: the named pixmap, then the
/// Damage object. Errors on drop (the window is already gone) are ignored by the wrappers.
pub struct WindowResources<'c, C: Connection> {
    pub pixmap: Option<PixmapWrapper<&'c C>>,
    pub damage: Option<DamageWrapper<&'c C>>,
}

impl<'c, C: Connection> WindowResources<'c, C> {
    /// Creates the Damage object of `window` (whose events [`select_window_events`] selected
    /// before it was queried). InputOnly windows get no Damage object.
    pub fn track(conn: &'c C, info: &WindowInfo) -> Result<Self, ConnectionError> {
        if info.input_only {
            return Ok(Self {
                pixmap: None,
                damage: None,
            });
        }
        let damage = match DamageWrapper::create(conn, info.id, ReportLevel::NON_EMPTY) {
            Ok(d) => Some(d),
            Err(x11rb::errors::ReplyOrIdError::ConnectionError(e)) => return Err(e),
            Err(e) => {
                log::debug!("no Damage object for {:#x}: {e}", info.id);
                None
            }
        };
        Ok(Self {
            pixmap: None,
            damage,
        })
    }

    /// NameWindowPixmap again (after map or resize); the old pixmap is freed afterwards.
    /// `Ok(false)` when the window is not viewable any more (an expected race).
    pub fn rename_pixmap(&mut self, conn: &'c C, window: Window) -> Result<bool, ConnectionError> {
        let id = match conn.generate_id() {
            Ok(id) => id,
            Err(x11rb::errors::ReplyOrIdError::ConnectionError(e)) => return Err(e),
            Err(e) => {
                log::warn!("cannot name the pixmap of {window:#x}: {e}");
                return Ok(false);
            }
        };
        match conn.composite_name_window_pixmap(window, id)?.check() {
            Ok(()) => {
                self.pixmap = Some(PixmapWrapper::for_pixmap(conn, id));
                Ok(true)
            }
            Err(ReplyError::ConnectionError(e)) => Err(e),
            Err(ReplyError::X11Error(e)) => {
                log::debug!(
                    "NameWindowPixmap({window:#x}): {:?} (window unmapped or gone)",
                    e.error_kind
                );
                self.pixmap = None;
                Ok(false)
            }
        }
    }
}

/// Moves each damaged window's accumulated damage into `scratch` (DamageSubtract) and fetches
/// it (pipelined; the server processes one window's subtract and fetch before the next).
pub fn fetch_damage<C: Connection>(
    conn: &C,
    scratch: xfixes::Region,
    damages: &[(Window, x11rb::protocol::damage::Damage)],
) -> Result<Vec<(Window, Vec<Rect>)>, ConnectionError> {
    let mut cookies = Vec::with_capacity(damages.len());
    for &(window, damage) in damages {
        conn.damage_subtract(damage, x11rb::NONE, scratch)?;
        cookies.push((window, conn.xfixes_fetch_region(scratch)?));
    }
    let mut out = Vec::with_capacity(cookies.len());
    for (window, cookie) in cookies {
        match cookie.reply() {
            Ok(r) => out.push((window, r.rectangles.iter().map(to_rect).collect())),
            Err(ReplyError::ConnectionError(e)) => return Err(e),
            Err(ReplyError::X11Error(e)) => {
                log::debug!("damage of {window:#x}: {:?}", e.error_kind)
            }
        }
    }
    Ok(out)
}

/// The bounding shape of `window` (window-origin coordinates), `None` when unshaped.
pub fn bounding_shape<C: Connection>(
    conn: &C,
    window: Window,
) -> Result<Option<Vec<Rect>>, ConnectionError> {
    let reply = conn
        .shape_get_rectangles(window, shape::SK::BOUNDING)?
        .reply();
    Ok(reply
        .ok()
        .map(|r| r.rectangles.iter().map(to_rect).collect()))
}

pub fn to_rect(r: &x11rb::protocol::xproto::Rectangle) -> Rect {
    Rect::new(r.x.into(), r.y.into(), r.width.into(), r.height.into())
}
