//! A completion fence built from the X protocol itself: a zero-length append to a private
//! property of our window makes the server send a PropertyNotify once it has processed every
//! request before it. Paths without a completion event of their own (core PutImage, CopyArea)
//! learn this way when the server has consumed a frame, without a blocking round trip.

use std::collections::VecDeque;
use std::time::Instant;

use x11rb::connection::Connection;
use x11rb::protocol::xproto::{AtomEnum, ConnectionExt as _, PropMode, Window};
use x11rb::protocol::Event;

use super::role::Completion;

#[derive(Debug)]
pub(crate) struct PropertyFence {
    window: Window,
    atom: u32,
    pending: VecDeque<u64>,
}

impl PropertyFence {
    /// `atom` must be private to the producer; the window must select PropertyChangeMask.
    pub(crate) fn new(window: Window, atom: u32) -> Self {
        PropertyFence {
            window,
            atom,
            pending: VecDeque::new(),
        }
    }

    /// Queues the fence for `frame` after the requests already sent.
    pub(crate) fn send<C: Connection>(
        &mut self,
        conn: &C,
        frame: u64,
    ) -> Result<(), x11rb::errors::ConnectionError> {
        conn.change_property(
            PropMode::APPEND,
            self.window,
            self.atom,
            AtomEnum::CARDINAL,
            8,
            0,
            &[],
        )?;
        self.pending.push_back(frame);
        Ok(())
    }

    /// Takes our PropertyNotify; the oldest pending frame is then complete.
    pub(crate) fn handle_event(&mut self, event: &Event, at: Instant) -> Option<Completion> {
        match event {
            Event::PropertyNotify(ev) if ev.window == self.window && ev.atom == self.atom => self
                .pending
                .pop_front()
                .map(|frame| Completion { frame, at }),
            _ => None,
        }
    }

    pub(crate) fn pending(&self) -> usize {
        self.pending.len()
    }
}
