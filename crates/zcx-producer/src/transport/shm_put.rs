//! `shm-put`: frames are rendered straight into sealed memfd segments shared with the server
//! and shown with ShmPutImage (send_event = true). No pixel crosses the socket; the server does
//! one blit. A buffer is written again only after its ShmCompletion event, so the server never
//! reads a half-rendered frame.

use std::time::Instant;

use x11rb::connection::Connection;
use x11rb::protocol::shm;
use x11rb::protocol::xproto::ImageFormat;
use x11rb::protocol::Event;
use zcx_x11::shm::{ShmAccess, ShmSegment};

use super::error::TransportError;
use super::mode::Mode;
use super::role::{Completion, FrameTransport, Target};

struct Slot<'c, C: Connection> {
    segment: ShmSegment<'c, C>,
    /// The frame the server may still be reading from this segment.
    in_flight: Option<u64>,
}

/// ShmPutImage from a ring of shared segments.
pub struct ShmPutTransport<'c, C: Connection> {
    conn: &'c C,
    target: Target,
    slots: Vec<Slot<'c, C>>,
}

impl<'c, C: Connection> ShmPutTransport<'c, C> {
    pub fn new(conn: &'c C, target: Target, buffers: usize) -> Result<Self, TransportError> {
        let slots = (0..buffers.max(2))
            .map(|_| {
                Ok(Slot {
                    segment: ShmSegment::new(
                        conn,
                        target.frame_bytes(),
                        ShmAccess::ServerReadOnly,
                    )?,
                    in_flight: None,
                })
            })
            .collect::<Result<Vec<_>, TransportError>>()?;
        Ok(ShmPutTransport {
            conn,
            target,
            slots,
        })
    }
}

impl<C: Connection> FrameTransport for ShmPutTransport<'_, C> {
    fn mode(&self) -> Mode {
        Mode::ShmPut
    }

    fn acquire(&mut self) -> Option<usize> {
        self.slots.iter().position(|s| s.in_flight.is_none())
    }

    fn pixels(&mut self, buffer: usize) -> Result<&mut [u32], TransportError> {
        let pixels = self.target.frame_pixels();
        Ok(&mut self.slots[buffer].segment.as_u32_mut()[..pixels])
    }

    fn submit(&mut self, buffer: usize, frame: u64) -> Result<(), TransportError> {
        let t = self.target;
        let slot = &mut self.slots[buffer];
        shm::put_image(
            self.conn,
            t.window,
            t.gc,
            t.width as u16,
            t.height as u16,
            0,
            0,
            t.width as u16,
            t.height as u16,
            0,
            0,
            t.format.depth,
            ImageFormat::Z_PIXMAP.into(),
            true,
            slot.segment.seg(),
            0,
        )?;
        slot.in_flight = Some(frame);
        self.conn.flush()?;
        Ok(())
    }

    fn handle_event(
        &mut self,
        event: &Event,
        at: Instant,
        completions: &mut Vec<Completion>,
    ) -> bool {
        let Event::ShmCompletion(ev) = event else {
            return false;
        };
        let Some(slot) = self.slots.iter_mut().find(|s| s.segment.seg() == ev.shmseg) else {
            return false;
        };
        if let Some(frame) = slot.in_flight.take() {
            completions.push(Completion { frame, at });
        }
        true
    }

    fn in_flight(&self) -> usize {
        self.slots.iter().filter(|s| s.in_flight.is_some()).count()
    }

    fn frame_memory(&self) -> Vec<std::ops::Range<usize>> {
        self.slots
            .iter()
            .map(|s| s.segment.address_range())
            .collect()
    }
}
