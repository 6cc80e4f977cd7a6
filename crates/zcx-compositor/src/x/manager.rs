//! Compositing-manager duties: the `_NET_WM_CM_S<n>` selection (refusing, or replacing with
//! `--replace`, another manager), manual redirection of the root's subwindows and the Composite
//! overlay window with an empty input shape. [`ManagerSession`] owns all of it and undoes it on
//! drop, so every window is visible again whichever way the compositor exits.

use std::time::{Duration, Instant};

use x11rb::connection::Connection;
use x11rb::errors::ReplyError;
use x11rb::protocol::composite::{self, ConnectionExt as _, Redirect};
use x11rb::protocol::damage::ConnectionExt as _;
use x11rb::protocol::shape::SK;
use x11rb::protocol::xfixes::ConnectionExt as _;
use x11rb::protocol::xproto::{
    AtomEnum, ChangeWindowAttributesAux, ConnectionExt as _, CreateGCAux, CreateWindowAux,
    EventMask, PropMode, SubwindowMode, Window, WindowClass,
};
use x11rb::protocol::ErrorKind;
use x11rb::wrapper::ConnectionExt as _;
use x11rb::{CURRENT_TIME, NONE};
use zcx_x11::XError;

/// How long `--replace` waits for the old manager to let go.
pub const REPLACE_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, thiserror::Error)]
pub enum ManagerError {
    #[error("another compositing manager (window {owner:#x}) owns {selection}; stop it first or run with --replace")]
    AlreadyRunning { selection: String, owner: Window },
    #[error("another client already redirects the root's subwindows (a compositing manager that does not own {selection}?)")]
    RedirectRefused { selection: String },
    #[error("the previous compositing manager did not let go of {selection} within {timeout:?}")]
    ReplaceTimeout {
        selection: String,
        timeout: Duration,
    },
    #[error("the X server lacks the {0} extension, which a compositing manager needs")]
    MissingExtension(&'static str),
    #[error(transparent)]
    X(#[from] XError),
}

zcx_x11::impl_from_x11rb!(ManagerError);

/// Checks the extensions a compositing manager needs and announces the versions we speak
/// (Damage and XFixes refuse requests until QueryVersion has been sent).
pub fn init_extensions<C: Connection>(conn: &C) -> Result<(), ManagerError> {
    for (name, ext) in [
        ("Composite", composite::X11_EXTENSION_NAME),
        ("DAMAGE", x11rb::protocol::damage::X11_EXTENSION_NAME),
        ("XFIXES", x11rb::protocol::xfixes::X11_EXTENSION_NAME),
        ("SHAPE", x11rb::protocol::shape::X11_EXTENSION_NAME),
    ] {
        if conn.extension_information(ext)?.is_none() {
            return Err(ManagerError::MissingExtension(name));
        }
    }
    let c = conn.composite_query_version(0, 4)?.reply()?;
    if (c.major_version, c.minor_version) < (0, 3) {
        return Err(ManagerError::MissingExtension(
            "Composite ≥ 0.3 (overlay window)",
        ));
    }
    conn.damage_query_version(1, 1)?.reply()?;
    let x = conn.xfixes_query_version(5, 0)?.reply()?;
    if x.major_version < 2 {
        return Err(ManagerError::MissingExtension("XFIXES ≥ 2 (regions)"));
    }
    Ok(())
}

/// The running manager's hold on the screen. Dropping it unredirects every window, releases
/// the overlay and gives up the selection.
pub struct ManagerSession<'c, C: Connection> {
    conn: &'c C,
    root: Window,
    selection_window: Window,
    selection_atom: u32,
    selection_name: String,
    redirected: bool,
    overlay: Option<Window>,
}

impl<C: Connection> std::fmt::Debug for ManagerSession<'_, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManagerSession")
            .field("selection", &self.selection_name)
            .field("selection_window", &self.selection_window)
            .field("overlay", &self.overlay)
            .finish()
    }
}

impl<'c, C: Connection> ManagerSession<'c, C> {
    /// Takes the selection (or refuses), redirects the root's subwindows and sets up the
    /// overlay. Refusal is immediate: no waiting, no retrying.
    pub fn acquire(conn: &'c C, screen_num: usize, replace: bool) -> Result<Self, ManagerError> {
        init_extensions(conn)?;
        let root = conn.setup().roots[screen_num].root;
        let selection_name = format!("_NET_WM_CM_S{screen_num}");
        let selection_atom = conn
            .intern_atom(false, selection_name.as_bytes())?
            .reply()?
            .atom;
        let owner = conn.get_selection_owner(selection_atom)?.reply()?.owner;
        if owner != NONE && !replace {
            return Err(ManagerError::AlreadyRunning {
                selection: selection_name,
                owner,
            });
        }
        let selection_window = conn.generate_id()?;
        conn.create_window(
            0,
            selection_window,
            root,
            -1,
            -1,
            1,
            1,
            0,
            WindowClass::INPUT_ONLY,
            0,
            &CreateWindowAux::new().override_redirect(1),
        )?
        .check()?;
        let mut session = Self {
            conn,
            root,
            selection_window,
            selection_atom,
            selection_name,
            redirected: false,
            overlay: None,
        };
        session.set_name()?;
        if owner != NONE {
            log::info!(
                "replacing the compositing manager that owns {} (window {owner:#x})",
                session.selection_name
            );
            // Hear the old owner's window go away (it may already be gone: ignore errors).
            let aux = ChangeWindowAttributesAux::new().event_mask(EventMask::STRUCTURE_NOTIFY);
            conn.change_window_attributes(owner, &aux)?;
        }
        // Select the root's events before announcing ourselves: requests sent to a manager
        // that owns the selection (such as sync-hook messages) are queued, never lost.
        let mask = EventMask::SUBSTRUCTURE_NOTIFY
            | EventMask::STRUCTURE_NOTIFY
            | EventMask::PROPERTY_CHANGE;
        conn.change_window_attributes(root, &ChangeWindowAttributesAux::new().event_mask(mask))?
            .check()?;
        conn.set_selection_owner(selection_window, selection_atom, CURRENT_TIME)?;
        if conn.get_selection_owner(selection_atom)?.reply()?.owner != selection_window {
            return Err(ManagerError::AlreadyRunning {
                selection: session.selection_name.clone(),
                owner,
            });
        }
        session.redirect(owner != NONE)?;
        session.setup_overlay()?;
        Ok(session)
    }

    fn set_name(&self) -> Result<(), ManagerError> {
        let name = b"zcx-compositor";
        self.conn.change_property8(
            PropMode::REPLACE,
            self.selection_window,
            AtomEnum::WM_NAME,
            AtomEnum::STRING,
            name,
        )?;
        Ok(())
    }

    /// Redirects the root's subwindows (manual). While replacing, the old manager may still
    /// hold its redirection for a moment: retry until [`REPLACE_TIMEOUT`].
    fn redirect(&mut self, replacing: bool) -> Result<(), ManagerError> {
        let deadline = Instant::now() + REPLACE_TIMEOUT;
        loop {
            match self
                .conn
                .composite_redirect_subwindows(self.root, Redirect::MANUAL)?
                .check()
            {
                Ok(()) => {
                    self.redirected = true;
                    return Ok(());
                }
                Err(ReplyError::X11Error(e)) if e.error_kind == ErrorKind::Access => {
                    if !replacing {
                        return Err(ManagerError::RedirectRefused {
                            selection: self.selection_name.clone(),
                        });
                    }
                    if Instant::now() >= deadline {
                        return Err(ManagerError::ReplaceTimeout {
                            selection: self.selection_name.clone(),
                            timeout: REPLACE_TIMEOUT,
                        });
                    }
                    // The old manager is shutting down; wait for its next X activity.
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    fn setup_overlay(&mut self) -> Result<(), ManagerError> {
        let overlay = self
            .conn
            .composite_get_overlay_window(self.root)?
            .reply()?
            .overlay_win;
        self.overlay = Some(overlay);
        let region = self.conn.generate_id()?;
        self.conn.xfixes_create_region(region, &[])?;
        self.conn
            .xfixes_set_window_shape_region(overlay, SK::INPUT, 0, 0, region)?;
        self.conn.xfixes_destroy_region(region)?.check()?;
        Ok(())
    }

    /// Lets `window`'s frames go straight to the screen (see ARCHITECTURE.md, unredirection).
    /// The overlay is unmapped first: manual redirection of the root's subwindows inhibits the
    /// root's background painting, so the screen keeps the last composited frame. Then only
    /// `window` is unredirected; the server copies its pixmap onto the screen in the same
    /// request, and the other windows keep their pixmaps. `Ok(false)` (overlay mapped again):
    /// the window vanished or is not ours to unredirect, an expected race.
    pub fn unredirect_window(&self, window: Window) -> Result<bool, ManagerError> {
        self.conn.unmap_window(self.overlay())?;
        match self
            .conn
            .composite_unredirect_window(window, Redirect::MANUAL)?
            .check()
        {
            Ok(()) => Ok(true),
            Err(ReplyError::X11Error(e)) => {
                log::debug!("cannot unredirect {window:#x}: {:?}", e.error_kind);
                self.conn.map_window(self.overlay())?;
                Ok(false)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Composites `window` again after [`Self::unredirect_window`] (`None` when it is gone or
    /// no longer a child of the root): redirects it, fills its new pixmap with what it shows on
    /// the screen, then maps the overlay, which keeps the screen's pixels until the compositor
    /// repaints it (the overlay has no background).
    pub fn redirect_window(&self, window: Option<Window>) -> Result<(), ManagerError> {
        if let Some(w) = window {
            // A window that vanished meanwhile answers BadWindow: an expected race, logged
            // by the event loop.
            self.conn.composite_redirect_window(w, Redirect::MANUAL)?;
            self.refill_from_screen(w)?;
        }
        self.conn.map_window(self.overlay())?;
        Ok(())
    }

    /// Copies what `window` shows on the screen (the overlay is unmapped) into its new pixmap.
    /// Xvfb 21.1 fills it so itself; later servers skip that for a window with a background
    /// (`compNewPixmap`), which would leave the pixmap uninitialised until the client draws.
    fn refill_from_screen(&self, window: Window) -> Result<(), ManagerError> {
        let Ok(g) = self.conn.get_geometry(window)?.reply() else {
            return Ok(()); // gone: an expected race
        };
        let pixmap = self.conn.generate_id()?;
        if let Err(e) = self
            .conn
            .composite_name_window_pixmap(window, pixmap)?
            .check()
        {
            log::debug!("no pixmap to refill for {window:#x}: {e}");
            return Ok(());
        }
        let gc = self.conn.generate_id()?;
        let aux = CreateGCAux::new()
            .subwindow_mode(SubwindowMode::INCLUDE_INFERIORS)
            .graphics_exposures(0);
        self.conn.create_gc(gc, self.root, &aux)?;
        let (width, height) = (
            g.width.saturating_add(g.border_width.saturating_mul(2)),
            g.height.saturating_add(g.border_width.saturating_mul(2)),
        );
        self.conn
            .copy_area(self.root, pixmap, gc, g.x, g.y, 0, 0, width, height)?;
        self.conn.free_gc(gc)?;
        self.conn.free_pixmap(pixmap)?;
        Ok(())
    }

    pub fn root(&self) -> Window {
        self.root
    }

    /// The Composite overlay window the compositor draws on.
    pub fn overlay(&self) -> Window {
        self.overlay.unwrap_or(self.root)
    }

    pub fn selection_window(&self) -> Window {
        self.selection_window
    }

    pub fn selection_atom(&self) -> u32 {
        self.selection_atom
    }
}

impl<C: Connection> Drop for ManagerSession<'_, C> {
    fn drop(&mut self) {
        let conn = self.conn;
        if self.redirected {
            let _ = conn.composite_unredirect_subwindows(self.root, Redirect::MANUAL);
        }
        if self.overlay.take().is_some() {
            let _ = conn.composite_release_overlay_window(self.root);
        }
        // Destroying the owner window releases the selection.
        let _ = conn.destroy_window(self.selection_window);
        if let Err(e) = conn.sync() {
            log::debug!("while releasing the screen: {e}");
        }
        log::info!("released {}; windows are unredirected", self.selection_name);
    }
}
