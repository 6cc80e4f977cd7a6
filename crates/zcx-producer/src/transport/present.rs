//! Showing pixmaps with PresentPixmap, shared by `shm-pixmap` and `dri3`: the Present event
//! selection on the window (removed on drop), serials, the frames waiting for their
//! CompleteNotify, and which pixmap an IdleNotify frees for rewriting.

use std::time::Instant;

use x11rb::connection::Connection;
use x11rb::protocol::present::{self, CompleteKind, EventMask as PresentEventMask};
use x11rb::protocol::xproto::{Pixmap, Window};
use x11rb::protocol::Event;

use super::error::{check, TransportError};
use super::role::Completion;

/// What a Present event meant to the transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PresentEvent {
    /// The server no longer reads this pixmap: it may be written again.
    Idle(Pixmap),
    /// Ours, and fully handled (a CompleteNotify).
    Handled,
}

pub(crate) struct PresentShow<'c, C: Connection> {
    conn: &'c C,
    window: Window,
    eid: u32,
    /// Present at the next vblank (false: at once, PresentOptionAsync).
    vsync: bool,
    next_serial: u32,
    /// Serials (with their frames) whose CompleteNotify has not arrived. In copy mode the
    /// server sends IdleNotify before CompleteNotify, so this is tracked apart from reuse.
    awaiting_complete: Vec<(u32, u64)>,
}

impl<'c, C: Connection> PresentShow<'c, C> {
    /// Selects CompleteNotify and IdleNotify on `window`; `vsync` false presents at once.
    pub(crate) fn new(conn: &'c C, window: Window, vsync: bool) -> Result<Self, TransportError> {
        let eid = conn.generate_id()?;
        let mask = PresentEventMask::COMPLETE_NOTIFY | PresentEventMask::IDLE_NOTIFY;
        check(
            present::select_input(conn, eid, window, mask)?,
            "PresentSelectInput",
        )?;
        Ok(PresentShow {
            conn,
            window,
            eid,
            vsync,
            next_serial: 1,
            awaiting_complete: Vec::new(),
        })
    }

    /// Whether later frames wait for the next vblank.
    pub(crate) fn set_vsync(&mut self, vsync: bool) {
        self.vsync = vsync;
    }

    /// PresentPixmap of the whole `pixmap` holding `frame` (not flushed); `idle_fence` (or 0)
    /// is triggered when the server has finished reading the pixmap.
    pub(crate) fn present(
        &mut self,
        pixmap: Pixmap,
        frame: u64,
        idle_fence: u32,
    ) -> Result<(), TransportError> {
        let serial = self.next_serial;
        self.next_serial = self.next_serial.wrapping_add(1).max(1);
        self.awaiting_complete.push((serial, frame));
        let mut options = u32::from(present::Option::COPY);
        if !self.vsync {
            options |= u32::from(present::Option::ASYNC);
        }
        present::pixmap(
            self.conn,
            self.window,
            pixmap,
            serial,
            0,
            0,
            0,
            0,
            0,
            0,
            idle_fence,
            options,
            0,
            0,
            0,
            &[],
        )?;
        Ok(())
    }

    /// Takes a Present event for our window, appending completed frames.
    pub(crate) fn handle_event(
        &mut self,
        event: &Event,
        at: Instant,
        completions: &mut Vec<Completion>,
    ) -> Option<PresentEvent> {
        match event {
            Event::PresentCompleteNotify(ev) if ev.window == self.window => {
                if ev.kind == CompleteKind::PIXMAP {
                    self.complete(ev.serial, at, completions);
                }
                Some(PresentEvent::Handled)
            }
            Event::PresentIdleNotify(ev) if ev.window == self.window => {
                Some(PresentEvent::Idle(ev.pixmap))
            }
            _ => None,
        }
    }

    /// Presented frames whose CompleteNotify has not arrived.
    pub(crate) fn awaiting_complete(&self) -> usize {
        self.awaiting_complete.len()
    }

    fn complete(&mut self, serial: u32, at: Instant, completions: &mut Vec<Completion>) {
        if let Some(i) = self
            .awaiting_complete
            .iter()
            .position(|&(s, _)| s == serial)
        {
            let (_, frame) = self.awaiting_complete.swap_remove(i);
            completions.push(Completion { frame, at });
        }
    }
}

impl<C: Connection> Drop for PresentShow<'_, C> {
    fn drop(&mut self) {
        // Deselecting frees the event id; errors mean the window is gone, which is fine.
        let _ = present::select_input(self.conn, self.eid, self.window, PresentEventMask::NO_EVENT);
    }
}
