//! The X side of unredirection: once per refresh, asks [`unredirect::candidate`] which window
//! may bypass the compositor and brings the server in step. Unredirecting a window lets go of
//! its named pixmap and texture (the server's copy of it stops being updated) and leaves its
//! Damage object armed but unread, so its frames wake nobody. Redirecting it again re-arms
//! that Damage object, names the new pixmap and repaints the whole screen before the overlay
//! shows anything new. The requests themselves are `ManagerSession`'s.

use x11rb::protocol::damage::ConnectionExt as _;

use crate::compositor::{Compositor, CompositorError};
use crate::model::unredirect::{self, Blocker, Inputs};
use crate::model::WindowId;
use crate::region::Rect;
use crate::scene::TextureKey;

impl Compositor<'_> {
    /// Unredirects the window that may bypass the compositor, or redirects the one that did
    /// the moment anything must be drawn over it.
    pub(crate) fn update_unredirect(&mut self) -> Result<(), CompositorError> {
        let wanted = if self.options.unredirect {
            let panels: Vec<Rect> = self.hud.panel_rects();
            let handed_off: Vec<WindowId> = self.handoffs.as_ref().map_or_else(Vec::new, |h| {
                self.model
                    .stacking()
                    .map(|w| w.id())
                    .filter(|&id| h.pixmap(id).is_some())
                    .collect()
            });
            unredirect::candidate(
                &self.model,
                &Inputs {
                    hud_panels: &panels,
                    handed_off: &handed_off,
                },
            )
        } else {
            Err(Blocker::Disabled)
        };
        if wanted.ok() != self.unredirect_refused {
            self.unredirect_refused = None;
        }
        match (self.unredirected, wanted) {
            (Some(current), Ok(w)) if current == w => Ok(()),
            (None, Ok(w)) if self.unredirect_refused == Some(w) => Ok(()),
            (Some(current), wanted) => {
                let why =
                    wanted.map_or_else(|b| b.to_string(), |w| format!("window {w:#x} is on top"));
                self.redirect_again(current, &why)?;
                match wanted {
                    Ok(w) => self.unredirect(w),
                    Err(_) => Ok(()),
                }
            }
            (None, Ok(w)) => self.unredirect(w),
            (None, Err(_)) => Ok(()),
        }
    }

    fn unredirect(&mut self, id: WindowId) -> Result<(), CompositorError> {
        // The server stops updating the pixmap we named: free it (and what reads it).
        self.release_pixmap_users(id);
        if let Some(res) = self.resources.get_mut(&id) {
            res.pixmap = None;
        }
        self.strategy.drop_texture(TextureKey::Window(id));
        if self.session.unredirect_window(id)? {
            log::info!(
                "window {id:#x} is full screen, opaque and has nothing over it: unredirected, \
                 its frames go straight to the screen"
            );
            self.unredirected = Some(id);
        } else {
            // Not tried again while it stays the candidate: each try repaints the screen.
            self.unredirect_refused = Some(id);
            self.model.handle_redirect(id);
        }
        Ok(())
    }

    fn redirect_again(&mut self, id: WindowId, why: &str) -> Result<(), CompositorError> {
        self.unredirected = None;
        let alive = self.model.get(id).is_some();
        self.session.redirect_window(alive.then_some(id))?;
        if let Some(damage) = self
            .resources
            .get(&id)
            .and_then(|r| r.damage.as_ref())
            .map(|d| d.damage())
        {
            // Its damage was left unread while unredirected, so it reports nothing new until
            // emptied; the whole screen is repainted anyway.
            self.conn
                .damage_subtract(damage, x11rb::NONE, x11rb::NONE)?;
        }
        self.model.handle_redirect(id);
        log::info!("window {id:#x} is composited again: {why}");
        Ok(())
    }
}
