//! The producer's end of the frame handoff protocol (`zcx_x11::handoff`, README "Frame
//! handoff"): [`HandoffLink`] follows the owner of the screen's `_NET_WM_CM_S<n>` selection
//! (XFixes selection events, and property changes on the owner's window), knows whether that
//! owner takes frames, sends frame messages to it and decodes its answers. The `shm-pixmap`
//! transport decides what to hand off and what to present, and presents without waiting for a
//! vblank while any compositing manager owns the screen ([`HandoffLink::compositing`]).

use std::time::{Duration, Instant};

use x11rb::connection::Connection;
use x11rb::protocol::xfixes::{self, ConnectionExt as _, SelectionEventMask};
use x11rb::protocol::xproto::{
    Atom, AtomEnum, ChangeWindowAttributesAux, ClientMessageEvent, ConnectionExt as _, EventMask,
    Window,
};
use x11rb::protocol::Event;
use zcx_x11::handoff::{self, DoneMessage, FrameMessage};

use super::error::{refused, TransportError};

/// The core protocol's SendEvent request.
const SEND_EVENT_OPCODE: u8 = 25;

/// After a refusal, frames are presented for this long before the next offer.
pub const REFUSED_BACKOFF: Duration = Duration::from_secs(1);

/// What an event meant to the link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkEvent {
    /// Not ours.
    Other,
    /// Ours, nothing to do (a property change that did not change the offer, garbage).
    Handled,
    /// The selection owner or its offer changed; `was_taking` says whether frames were being
    /// handed to the previous one (they will never be read by it again).
    OwnerChanged { was_taking: bool },
    /// The manager's answer about one frame.
    Done(DoneMessage),
}

/// Atoms of the protocol.
#[derive(Debug, Clone, Copy)]
struct Atoms {
    selection: Atom,
    advertise: Atom,
    frame: Atom,
    done: Atom,
}

/// Follows the compositing manager of one screen and talks the handoff protocol with it.
pub struct HandoffLink<'c, C: Connection> {
    conn: &'c C,
    window: Window,
    atoms: Atoms,
    /// The selection owner's window and whether it advertised a version we speak.
    owner: Option<(Window, bool)>,
    /// The owner frames were last sent to: a frame sent just before it went away fails with
    /// BadWindow, an expected race.
    sent_to: Option<Window>,
    refused_until: Option<Instant>,
    /// Whether frames may be offered at all (`--handoff auto`); false only follows the owner.
    offers: bool,
}

impl<'c, C: Connection> HandoffLink<'c, C> {
    /// Starts following `_NET_WM_CM_S<screen_num>` for `window`, offering frames when
    /// `offers`; `None` when the server has no XFixes (selection events), in which case frames
    /// are always presented and nothing is known about a compositing manager.
    pub fn new(
        conn: &'c C,
        window: Window,
        screen_num: usize,
        offers: bool,
    ) -> Result<Option<Self>, TransportError> {
        if conn
            .extension_information(xfixes::X11_EXTENSION_NAME)?
            .is_none()
        {
            log::info!("handoff: the server has no XFIXES; frames are presented");
            return Ok(None);
        }
        conn.xfixes_query_version(5, 0)?
            .reply()
            .map_err(|e| refused("a handoff request", e))?;
        let names = [
            format!("_NET_WM_CM_S{screen_num}"),
            handoff::ADVERTISE_ATOM.to_owned(),
            handoff::FRAME_ATOM.to_owned(),
            handoff::DONE_ATOM.to_owned(),
        ];
        let cookies = names
            .iter()
            .map(|n| conn.intern_atom(false, n.as_bytes()))
            .collect::<Result<Vec<_>, _>>()?;
        let mut ids = Vec::with_capacity(cookies.len());
        for c in cookies {
            ids.push(c.reply().map_err(|e| refused("a handoff request", e))?.atom);
        }
        let atoms = Atoms {
            selection: ids[0],
            advertise: ids[1],
            frame: ids[2],
            done: ids[3],
        };
        let mask = SelectionEventMask::SET_SELECTION_OWNER
            | SelectionEventMask::SELECTION_WINDOW_DESTROY
            | SelectionEventMask::SELECTION_CLIENT_CLOSE;
        conn.xfixes_select_selection_input(window, atoms.selection, mask)?;
        let mut link = Self {
            conn,
            window,
            atoms,
            owner: None,
            sent_to: None,
            refused_until: None,
            offers,
        };
        link.refresh_owner()?;
        Ok(Some(link))
    }

    /// Whether frames go to the manager now.
    pub fn taking(&self, now: Instant) -> bool {
        self.offers
            && self.owner.is_some_and(|(_, speaks)| speaks)
            && self.refused_until.is_none_or(|t| now >= t)
    }

    /// Whether a compositing manager (ours or not) owns the screen.
    pub fn compositing(&self) -> bool {
        self.owner.is_some()
    }

    /// The manager refused a frame: present for [`REFUSED_BACKOFF`] before offering again.
    pub fn back_off(&mut self, now: Instant) {
        self.refused_until = Some(now + REFUSED_BACKOFF);
    }

    /// Stops offering frames for good (the transport is winding down).
    pub fn stop(&mut self) {
        self.owner = None;
    }

    /// Hands `pixmap`, holding frame `serial`, to the manager as the window's contents.
    pub fn send_frame(&mut self, pixmap: u32, serial: u32) -> Result<(), TransportError> {
        self.send(FrameMessage {
            window: self.window,
            pixmap,
            serial,
        })
    }

    /// Tells the manager that frames are shown in the window itself again: it releases what it
    /// holds and draws the window's own contents.
    pub fn withdraw(&mut self) -> Result<(), TransportError> {
        self.send(FrameMessage::withdraw(self.window))
    }

    fn send(&mut self, message: FrameMessage) -> Result<(), TransportError> {
        let Some((owner, _)) = self.owner else {
            return Ok(());
        };
        self.sent_to = Some(owner);
        let event = ClientMessageEvent::new(32, owner, self.atoms.frame, message.encode());
        self.conn
            .send_event(false, owner, EventMask::NO_EVENT, event)?;
        Ok(())
    }

    /// Interprets `event` if it belongs to the protocol.
    pub fn handle_event(&mut self, event: &Event) -> Result<LinkEvent, TransportError> {
        match event {
            Event::XfixesSelectionNotify(e) if e.selection == self.atoms.selection => {
                self.owner_changed()
            }
            Event::PropertyNotify(e)
                if e.atom == self.atoms.advertise && Some(e.window) == self.owner_window() =>
            {
                self.owner_changed()
            }
            Event::ClientMessage(e) if e.type_ == self.atoms.done => {
                if e.format != 32 || e.window != self.window {
                    return Ok(LinkEvent::Handled);
                }
                match DoneMessage::decode(e.data.as_data32()) {
                    Ok(done) if done.window == self.window => Ok(LinkEvent::Done(done)),
                    Ok(_) => Ok(LinkEvent::Handled),
                    Err(why) => {
                        log::debug!("handoff: ignored an answer: {why}");
                        Ok(LinkEvent::Handled)
                    }
                }
            }
            Event::Error(e)
                if e.major_opcode == SEND_EVENT_OPCODE && Some(e.bad_value) == self.sent_to =>
            {
                log::debug!("handoff: the manager's window {:#x} went away", e.bad_value);
                Ok(LinkEvent::Handled)
            }
            _ => Ok(LinkEvent::Other),
        }
    }

    fn owner_window(&self) -> Option<Window> {
        self.owner.map(|(w, _)| w)
    }

    fn owner_changed(&mut self) -> Result<LinkEvent, TransportError> {
        let was_taking = self.taking(Instant::now());
        let before = self.owner;
        self.refresh_owner()?;
        if self.owner == before {
            return Ok(LinkEvent::Handled);
        }
        self.refused_until = None;
        Ok(LinkEvent::OwnerChanged { was_taking })
    }

    /// Reads who owns the selection and whether it advertises a version we speak. The owner's
    /// property changes are selected first, so an offer made meanwhile is not missed.
    fn refresh_owner(&mut self) -> Result<(), TransportError> {
        let owner = self
            .conn
            .get_selection_owner(self.atoms.selection)?
            .reply()
            .map_err(|e| refused("a handoff request", e))?
            .owner;
        self.owner = None;
        if owner == x11rb::NONE {
            log::info!("handoff: no compositing manager; frames are presented");
            return Ok(());
        }
        let aux = ChangeWindowAttributesAux::new().event_mask(EventMask::PROPERTY_CHANGE);
        if self
            .conn
            .change_window_attributes(owner, &aux)?
            .check()
            .is_err()
        {
            return Ok(()); // the owner's window is already gone: a new event follows
        }
        let reply = self
            .conn
            .get_property(false, owner, self.atoms.advertise, AtomEnum::CARDINAL, 0, 1)?
            .reply();
        let version = match reply {
            Ok(r) if r.format == 32 => r.value32().and_then(|mut v| v.next()),
            _ => None,
        };
        let speaks = version.is_some_and(|v| v >= handoff::VERSION);
        log::info!(
            "handoff: compositing manager {owner:#x} {}",
            if speaks {
                "takes frames: shared pixmaps are handed to it (one copy to the screen)"
            } else {
                "does not take frames: they are presented"
            }
        );
        self.owner = Some((owner, speaks));
        Ok(())
    }
}

impl<C: Connection> Drop for HandoffLink<'_, C> {
    fn drop(&mut self) {
        let none = SelectionEventMask::from(0u8);
        let _ = self
            .conn
            .xfixes_select_selection_input(self.window, self.atoms.selection, none);
    }
}
