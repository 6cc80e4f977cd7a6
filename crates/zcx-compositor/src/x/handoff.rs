//! The manager's end of the frame handoff protocol (`zcx_x11::handoff`, README "Frame
//! handoff"): a producer hands its presented shared pixmap to us instead of asking the server
//! to copy it into its redirected window, and the pixmap is that window's contents until the
//! next one, so the only copy left is ours onto the screen. [`Handoffs`] advertises support,
//! validates each frame (a window we manage, redirected and mapped; a pixmap of the same
//! client whose depth and size fit the window, asked of the server once per pixmap), holds the
//! current frame per window and answers: Shown once a repaint has read it, Released when it will
//! not be read again, Refused when it was not taken. A withdrawal gives the window its own
//! contents back. Garbage never crashes and never draws.

use std::collections::HashMap;

use x11rb::connection::Connection;
use x11rb::errors::{ConnectionError, ReplyError};
use x11rb::protocol::xproto::{
    AtomEnum, ClientMessageEvent, ConnectionExt as _, EventMask, Pixmap, PropMode, Window,
};
use x11rb::wrapper::ConnectionExt as _;
use zcx_x11::handoff::{self, DoneMessage, DoneStatus, FrameMessage};

use crate::model::WindowId;

/// What the model says about a window a frame names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowFacts {
    pub width: u32,
    pub height: u32,
    pub depth: u8,
    pub border_width: u32,
    /// Mapped, redirected, with a named pixmap: the compositor draws its contents.
    pub drawn: bool,
}

/// A pixmap's depth and size as the server reported them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PixmapFacts {
    width: u32,
    height: u32,
    depth: u8,
}

/// The frame a window shows now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Held {
    pixmap: Pixmap,
    serial: u32,
    shown: bool,
}

/// Why a frame was not taken (debug log only: a forged or stale message is normal life).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("{0}")]
    Garbage(#[from] handoff::DecodeError),
    #[error("window {0:#x} is not one this compositor manages")]
    UnknownWindow(Window),
    #[error("window {0:#x} is not drawn from its pixmap now (unmapped or not redirected)")]
    NotDrawn(Window),
    #[error("window {0:#x} has a border or a depth the screen cannot copy from")]
    Unsupported(Window),
    #[error("pixmap {pixmap:#x} does not belong to the client of window {window:#x}")]
    ForeignPixmap { window: Window, pixmap: Pixmap },
    #[error("pixmap {0:#x} does not exist")]
    NoPixmap(Pixmap),
    #[error("pixmap {pixmap:#x} is {got}, window {window:#x} needs {want}")]
    Mismatch {
        window: Window,
        pixmap: Pixmap,
        got: String,
        want: String,
    },
}

/// The frame handoff state of every window.
pub struct Handoffs {
    frame_atom: u32,
    done_atom: u32,
    resource_id_mask: u32,
    held: HashMap<WindowId, Held>,
    /// Pixmaps already asked about, per window (a producer's ring is a few pixmaps).
    known: HashMap<WindowId, HashMap<Pixmap, Option<PixmapFacts>>>,
    pub taken: u64,
    pub refused: u64,
}

impl Handoffs {
    /// Interns the protocol's atoms and advertises it on `selection_window`.
    pub fn advertise<C: Connection>(
        conn: &C,
        selection_window: Window,
    ) -> Result<Self, ReplyError> {
        let a = conn.intern_atom(false, handoff::ADVERTISE_ATOM.as_bytes())?;
        let f = conn.intern_atom(false, handoff::FRAME_ATOM.as_bytes())?;
        let d = conn.intern_atom(false, handoff::DONE_ATOM.as_bytes())?;
        let (advertise, frame_atom, done_atom) =
            (a.reply()?.atom, f.reply()?.atom, d.reply()?.atom);
        conn.change_property32(
            PropMode::REPLACE,
            selection_window,
            advertise,
            AtomEnum::CARDINAL,
            &[handoff::VERSION],
        )?
        .check()?;
        Ok(Self {
            frame_atom,
            done_atom,
            resource_id_mask: conn.setup().resource_id_mask,
            held: HashMap::new(),
            known: HashMap::new(),
            taken: 0,
            refused: 0,
        })
    }

    /// Whether a ClientMessage type is a handed frame.
    pub fn is_frame(&self, type_: u32) -> bool {
        type_ == self.frame_atom
    }

    /// The pixmap `window` shows now, if a frame was handed to it.
    pub fn pixmap(&self, window: WindowId) -> Option<Pixmap> {
        self.held.get(&window).map(|h| h.pixmap)
    }

    /// Takes a handed frame if it is valid (`facts` looks a window up in the model); answers
    /// Released for the frame it replaces and Refused for one it does not take (only to windows
    /// this compositor manages; the frame it holds stays: a refused forgery must not change
    /// the screen). A withdrawal releases the held frame. Returns the window whose contents
    /// changed.
    pub fn take<C: Connection>(
        &mut self,
        conn: &C,
        words: [u32; 5],
        facts: impl Fn(Window) -> Option<WindowFacts>,
    ) -> Result<Option<WindowId>, ConnectionError> {
        let message = match FrameMessage::decode(words) {
            Ok(m) => m,
            Err(e) => {
                log::debug!("handoff: ignored a frame message: {e}");
                return Ok(None);
            }
        };
        let Some(window) = facts(message.window) else {
            log::debug!(
                "handoff: ignored: {}",
                Refusal::UnknownWindow(message.window)
            );
            return Ok(None);
        };
        if message.is_withdrawal() {
            let held = self.release(conn, message.window)?;
            return Ok(held.then_some(message.window));
        }
        if let Err(why) = self.validate(conn, &message, window)? {
            log::debug!("handoff: refused frame {}: {why}", message.serial);
            self.refused += 1;
            self.answer(
                conn,
                message.window,
                message.pixmap,
                message.serial,
                DoneStatus::Refused,
            )?;
            return Ok(None);
        }
        let new = Held {
            pixmap: message.pixmap,
            serial: message.serial,
            shown: false,
        };
        // The same pixmap handed again is still held: it is not released.
        if let Some(old) = self
            .held
            .insert(message.window, new)
            .filter(|old| old.pixmap != message.pixmap)
        {
            self.answer(
                conn,
                message.window,
                old.pixmap,
                old.serial,
                DoneStatus::Released,
            )?;
        }
        self.taken += 1;
        Ok(Some(message.window))
    }

    fn validate<C: Connection>(
        &mut self,
        conn: &C,
        m: &FrameMessage,
        w: WindowFacts,
    ) -> Result<Result<(), Refusal>, ConnectionError> {
        if !w.drawn {
            return Ok(Err(Refusal::NotDrawn(m.window)));
        }
        if w.border_width != 0 {
            return Ok(Err(Refusal::Unsupported(m.window)));
        }
        if !handoff::same_client(m.window, m.pixmap, self.resource_id_mask) {
            return Ok(Err(Refusal::ForeignPixmap {
                window: m.window,
                pixmap: m.pixmap,
            }));
        }
        let known = self.known.entry(m.window).or_default();
        let facts = match known.get(&m.pixmap) {
            Some(f) => *f,
            None => {
                let f = pixmap_facts(conn, m.pixmap)?;
                known.insert(m.pixmap, f);
                f
            }
        };
        let Some(p) = facts else {
            return Ok(Err(Refusal::NoPixmap(m.pixmap)));
        };
        if (p.width, p.height, p.depth) != (w.width, w.height, w.depth) {
            return Ok(Err(Refusal::Mismatch {
                window: m.window,
                pixmap: m.pixmap,
                got: format!("{}x{} depth {}", p.width, p.height, p.depth),
                want: format!("{}x{} depth {}", w.width, w.height, w.depth),
            }));
        }
        Ok(Ok(()))
    }

    /// A repaint has issued its reads: every held frame not yet shown is answered Shown (the
    /// requests that read it were sent before this answer).
    pub fn repainted<C: Connection>(&mut self, conn: &C) -> Result<(), ConnectionError> {
        let fresh: Vec<(WindowId, Held)> = self
            .held
            .iter_mut()
            .filter(|(_, h)| !h.shown)
            .map(|(&w, h)| {
                h.shown = true;
                (w, *h)
            })
            .collect();
        for (window, h) in fresh {
            self.answer(conn, window, h.pixmap, h.serial, DoneStatus::Shown)?;
        }
        Ok(())
    }

    /// `window`'s own contents are what to show again (they changed, it was unmapped or
    /// resized): its frame is released. Returns whether it held one.
    pub fn release<C: Connection>(
        &mut self,
        conn: &C,
        window: WindowId,
    ) -> Result<bool, ConnectionError> {
        match self.held.remove(&window) {
            Some(h) => {
                self.answer(conn, window, h.pixmap, h.serial, DoneStatus::Released)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// A request about `pixmap` failed (it was freed after it was validated): nothing more is
    /// learnt from or drawn with it. Returns the window that showed it, whose own contents are
    /// what to draw again.
    pub fn pixmap_failed(&mut self, pixmap: Pixmap) -> Option<WindowId> {
        for known in self.known.values_mut() {
            known.remove(&pixmap);
        }
        let window = self
            .held
            .iter()
            .find(|(_, h)| h.pixmap == pixmap)
            .map(|(&w, _)| w)?;
        self.held.remove(&window);
        Some(window)
    }

    /// `window` is gone: forget it without answering (nobody is left to hear).
    pub fn forget(&mut self, window: WindowId) {
        self.held.remove(&window);
        self.known.remove(&window);
    }

    /// `window` changed size: what was learnt of its pixmaps no longer decides anything.
    pub fn resized<C: Connection>(
        &mut self,
        conn: &C,
        window: WindowId,
    ) -> Result<(), ConnectionError> {
        self.known.remove(&window);
        self.release(conn, window).map(|_| ())
    }

    fn answer<C: Connection>(
        &self,
        conn: &C,
        window: Window,
        pixmap: Pixmap,
        serial: u32,
        status: DoneStatus,
    ) -> Result<(), ConnectionError> {
        let done = DoneMessage {
            window,
            pixmap,
            serial,
            status,
        };
        let event = ClientMessageEvent::new(32, window, self.done_atom, done.encode());
        // An empty mask delivers the event to the window's creator, the producer.
        conn.send_event(false, window, EventMask::NO_EVENT, event)?;
        Ok(())
    }
}

/// The pixmap's depth and size, `None` when it does not exist (or is not a pixmap).
fn pixmap_facts<C: Connection>(
    conn: &C,
    pixmap: Pixmap,
) -> Result<Option<PixmapFacts>, ConnectionError> {
    match conn.get_geometry(pixmap)?.reply() {
        Ok(g) => Ok(Some(PixmapFacts {
            width: g.width.into(),
            height: g.height.into(),
            depth: g.depth,
        })),
        Err(ReplyError::ConnectionError(e)) => Err(e),
        Err(ReplyError::X11Error(_)) => Ok(None),
    }
}
