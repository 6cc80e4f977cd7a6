//! RAII test windows: a solid-colour, override-redirect InputOutput window that is mapped
//! on creation and destroyed on drop; and waiting for a started zcx-producer's window.

use std::time::Duration;
use x11rb::connection::Connection;

use x11rb::protocol::xproto::{AtomEnum, ConnectionExt as _, CreateWindowAux, Window, WindowClass};
use x11rb::COPY_DEPTH_FROM_PARENT;

/// A mapped top-level window with a solid background; destroyed when dropped.
///
/// It is override-redirect, so it sits exactly at the requested position even when a
/// window manager runs. `new` returns after a round trip, so the server has processed
/// the map (and painted the background, unless a compositor redirects the window).
pub struct TestWindow<'c, C: Connection> {
    conn: &'c C,
    id: Window,
}

impl<'c, C: Connection> TestWindow<'c, C> {
    /// Creates and maps a window on the root of `screen` with background pixel `rgb`
    /// (`0x00RRGGBB` on the usual TrueColor visuals). Panics on X errors (test helper).
    pub fn new(conn: &'c C, screen: usize, x: i16, y: i16, w: u16, h: u16, rgb: u32) -> Self {
        let root = conn
            .setup()
            .roots
            .get(screen)
            .unwrap_or_else(|| panic!("the server has no screen {screen}"))
            .root;
        let id = conn
            .generate_id()
            .unwrap_or_else(|e| panic!("generating a window id failed: {e}"));
        let aux = CreateWindowAux::new()
            .background_pixel(rgb)
            .override_redirect(1);
        let result = (|| -> Result<(), x11rb::errors::ReplyError> {
            conn.create_window(
                COPY_DEPTH_FROM_PARENT,
                id,
                root,
                x,
                y,
                w,
                h,
                0,
                WindowClass::INPUT_OUTPUT,
                x11rb::COPY_FROM_PARENT,
                &aux,
            )?
            .check()?;
            conn.map_window(id)?.check()
        })();
        if let Err(e) = result {
            panic!("creating test window {w}x{h}+{x}+{y} failed: {e}");
        }
        Self { conn, id }
    }

    /// The X window id.
    pub fn id(&self) -> u32 {
        self.id
    }
}

impl<C: Connection> Drop for TestWindow<'_, C> {
    fn drop(&mut self) {
        // The connection may already be broken (server gone); nothing to do about it then.
        let _ = self.conn.destroy_window(self.id);
        let _ = self.conn.flush();
    }
}

/// The window of the zcx-producer `producer` once it has published its `_ZCX_STATS`
/// statistics (frames are flowing): a child of the root of `screen`. Panics when the
/// producer exits first or `timeout` passes.
pub fn wait_for_producer_window<C: Connection>(
    conn: &C,
    screen: usize,
    producer: &mut crate::ChildGuard,
    timeout: Duration,
) -> Window {
    let root = conn.setup().roots[screen].root;
    let stats = conn
        .intern_atom(false, b"_ZCX_STATS")
        .ok()
        .and_then(|c| c.reply().ok())
        .map(|r| r.atom)
        .expect("interning _ZCX_STATS");
    crate::poll_until(timeout, "the producer's first statistics", || {
        if let Ok(Some(status)) = producer.try_wait() {
            panic!("zcx-producer exited early: {status}");
        }
        let tree = conn.query_tree(root).ok()?.reply().ok()?;
        tree.children.into_iter().find(|&w| {
            conn.get_property(false, w, stats, AtomEnum::ANY, 0, 1)
                .ok()
                .and_then(|c| c.reply().ok())
                .is_some_and(|p| !p.value.is_empty())
        })
    })
}
