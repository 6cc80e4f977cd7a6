//! The producer's window: creation with the frame visual, ICCCM/EWMH names and WM_DELETE_WINDOW,
//! the live title, the `_ZCX_STATS` property, and turning X events into producer commands.

use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    AtomEnum, ConnectionExt as _, CreateGCAux, CreateWindowAux, EventMask, Keycode, PropMode,
    Window, WindowClass,
};
use x11rb::protocol::{ErrorKind, Event};
use x11rb::wrapper::ConnectionExt as _;

use crate::transport::{check, refused, TransportError};

x11rb::atom_manager! {
    /// The atoms the producer uses.
    pub Atoms: AtomsCookie {
        WM_PROTOCOLS,
        WM_DELETE_WINDOW,
        _NET_WM_NAME,
        UTF8_STRING,
        _ZCX_STATS,
        _ZCX_FENCE,
    }
}

const XK_ESCAPE: u32 = 0xff1b;
const XK_M: [u32; 2] = [0x6d, 0x4d];
const XK_Q: [u32; 2] = [0x71, 0x51];

/// What an event asks the producer to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    None,
    NextMode,
    Quit,
    /// Another client destroyed the window.
    Destroyed,
    /// The window changed size (by the user, a window manager or another client).
    Resized {
        width: u16,
        height: u16,
    },
}

/// The window and the few things needed to talk about it. Destroyed on drop (if still alive).
pub struct ProducerWindow<'c, C: Connection> {
    conn: &'c C,
    pub id: Window,
    pub gc: u32,
    pub atoms: Atoms,
    key_m: Vec<Keycode>,
    key_quit: Vec<Keycode>,
    alive: bool,
}

impl<'c, C: Connection> ProducerWindow<'c, C> {
    /// Creates and maps a `width`×`height` window with the depth-24 `visual`.
    pub fn create(
        conn: &'c C,
        screen_num: usize,
        visual: u32,
        width: u16,
        height: u16,
    ) -> Result<Self, TransportError> {
        let screen = &conn.setup().roots[screen_num];
        let atoms = Atoms::new(conn)?
            .reply()
            .map_err(|e| refused("InternAtom", e))?;
        let id = conn.generate_id()?;
        let colormap = conn.generate_id()?;
        conn.create_colormap(
            x11rb::protocol::xproto::ColormapAlloc::NONE,
            colormap,
            screen.root,
            visual,
        )?;
        let aux = CreateWindowAux::new()
            .background_pixel(0)
            .border_pixel(0)
            .colormap(colormap)
            .event_mask(
                EventMask::KEY_PRESS | EventMask::STRUCTURE_NOTIFY | EventMask::PROPERTY_CHANGE,
            );
        let cookie = conn.create_window(
            24,
            id,
            screen.root,
            0,
            0,
            width,
            height,
            0,
            WindowClass::INPUT_OUTPUT,
            visual,
            &aux,
        )?;
        check(cookie, "CreateWindow")?;
        conn.free_colormap(colormap)?;
        let gc = conn.generate_id()?;
        conn.create_gc(gc, id, &CreateGCAux::new().graphics_exposures(0))?;
        conn.change_property32(
            PropMode::REPLACE,
            id,
            atoms.WM_PROTOCOLS,
            AtomEnum::ATOM,
            &[atoms.WM_DELETE_WINDOW],
        )?;
        conn.change_property8(
            PropMode::REPLACE,
            id,
            AtomEnum::WM_CLASS,
            AtomEnum::STRING,
            zcx_x11::identity::PRODUCER_WM_CLASS,
        )?;
        let (key_m, key_quit) = keycodes(conn)?;
        conn.map_window(id)?;
        conn.flush()?;
        Ok(ProducerWindow {
            conn,
            id,
            gc,
            atoms,
            key_m,
            key_quit,
            alive: true,
        })
    }

    pub fn set_title(&self, title: &str) -> Result<(), x11rb::errors::ConnectionError> {
        let a = &self.atoms;
        self.conn.change_property8(
            PropMode::REPLACE,
            self.id,
            a._NET_WM_NAME,
            a.UTF8_STRING,
            title.as_bytes(),
        )?;
        self.conn.change_property8(
            PropMode::REPLACE,
            self.id,
            AtomEnum::WM_NAME,
            AtomEnum::STRING,
            title.as_bytes(),
        )?;
        Ok(())
    }

    /// Publishes the current statistics (UTF-8 JSON) as `_ZCX_STATS` on the window.
    pub fn set_stats(&self, json: &str) -> Result<(), x11rb::errors::ConnectionError> {
        let a = &self.atoms;
        self.conn.change_property8(
            PropMode::REPLACE,
            self.id,
            a._ZCX_STATS,
            a.UTF8_STRING,
            json.as_bytes(),
        )?;
        Ok(())
    }

    /// Interprets an event that no transport took.
    pub fn handle_event(&mut self, event: &Event) -> Command {
        match event {
            Event::KeyPress(ev) if ev.event == self.id => {
                if self.key_m.contains(&ev.detail) {
                    Command::NextMode
                } else if self.key_quit.contains(&ev.detail) {
                    Command::Quit
                } else {
                    Command::None
                }
            }
            Event::ClientMessage(ev)
                if ev.window == self.id
                    && ev.type_ == self.atoms.WM_PROTOCOLS
                    && ev.data.as_data32()[0] == self.atoms.WM_DELETE_WINDOW =>
            {
                Command::Quit
            }
            Event::DestroyNotify(ev) if ev.window == self.id => {
                self.alive = false;
                Command::Destroyed
            }
            Event::ConfigureNotify(ev) if ev.window == self.id => Command::Resized {
                width: ev.width,
                height: ev.height,
            },
            Event::Error(e)
                if e.bad_value == self.id
                    && matches!(e.error_kind, ErrorKind::Window | ErrorKind::Drawable) =>
            {
                log::debug!("X error on our window: {e:?}");
                self.alive = false;
                Command::Destroyed
            }
            _ => Command::None,
        }
    }
}

impl<C: Connection> Drop for ProducerWindow<'_, C> {
    fn drop(&mut self) {
        let _ = self.conn.free_gc(self.gc);
        if self.alive {
            let _ = self.conn.destroy_window(self.id);
        }
        let _ = self.conn.flush();
    }
}

/// The keycodes that carry `m` and `q`/Escape in the current keyboard mapping.
fn keycodes<C: Connection>(conn: &C) -> Result<(Vec<Keycode>, Vec<Keycode>), TransportError> {
    let setup = conn.setup();
    let (min, max) = (setup.min_keycode, setup.max_keycode);
    let reply = conn
        .get_keyboard_mapping(min, max - min + 1)?
        .reply()
        .map_err(|e| refused("GetKeyboardMapping", e))?;
    let per = usize::from(reply.keysyms_per_keycode.max(1));
    let mut m = Vec::new();
    let mut quit = Vec::new();
    for (i, syms) in reply.keysyms.chunks(per).enumerate() {
        let code = min + i as u8;
        if syms.iter().any(|s| XK_M.contains(s)) {
            m.push(code);
        }
        if syms.iter().any(|s| XK_Q.contains(s) || *s == XK_ESCAPE) {
            quit.push(code);
        }
    }
    Ok((m, quit))
}
