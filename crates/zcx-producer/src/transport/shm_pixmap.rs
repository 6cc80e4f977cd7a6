//! `shm-pixmap`: a ring of MIT-SHM shared pixmaps (ShmCreatePixmap over sealed memfd segments)
//! rendered into directly and shown with PresentPixmap. A pixmap is written again only after
//! its IdleNotify. Where the server has no Present, CopyArea shows the pixmap and a property
//! fence reports when the copy is done. No pixel crosses the socket; a compositor can read the
//! window's pixels without the producer copying anything.

use std::time::Instant;

use x11rb::connection::Connection;
use x11rb::protocol::shm;
use x11rb::protocol::xproto::{Atom, ConnectionExt as _, Pixmap};
use x11rb::protocol::Event;
use zcx_x11::shm::{ShmAccess, ShmSegment};

use super::fence::PropertyFence;
use super::present::{PresentEvent, PresentShow};
use super::{check, Completion, FrameTransport, Mode, Options, Target, TransportError};

/// A shared pixmap and the segment behind it. Field order is drop order: the pixmap is freed
/// before the segment is detached and unmapped.
struct Slot<'c, C: Connection> {
    pixmap: PixmapOwner<'c, C>,
    segment: ShmSegment<'c, C>,
    /// The frame the server may still read from this pixmap.
    in_flight: Option<u64>,
}

pub(crate) struct PixmapOwner<'c, C: Connection> {
    pub(crate) conn: &'c C,
    pub(crate) id: Pixmap,
}

impl<C: Connection> Drop for PixmapOwner<'_, C> {
    fn drop(&mut self) {
        if let Err(e) = self.conn.free_pixmap(self.id) {
            log::debug!("FreePixmap {:#x} failed: {e}", self.id);
        }
    }
}

/// How frames reach the window from the pixmaps.
enum Show<'c, C: Connection> {
    /// PresentPixmap.
    Present(PresentShow<'c, C>),
    /// CopyArea, completion by fence.
    Copy(PropertyFence),
}

pub struct ShmPixmapTransport<'c, C: Connection> {
    conn: &'c C,
    target: Target,
    show: Show<'c, C>,
    slots: Vec<Slot<'c, C>>,
}

impl<'c, C: Connection> ShmPixmapTransport<'c, C> {
    pub fn new(
        conn: &'c C,
        target: Target,
        options: Options,
        has_present: bool,
        fence_atom: Atom,
    ) -> Result<Self, TransportError> {
        let slots = (0..options.buffers.max(2))
            .map(|_| new_slot(conn, &target))
            .collect::<Result<Vec<_>, _>>()?;
        let show = if has_present {
            Show::Present(PresentShow::new(conn, target.window, options.vsync)?)
        } else {
            log::info!("shm-pixmap: showing frames with CopyArea (no Present, or --no-present)");
            Show::Copy(PropertyFence::new(target.window, fence_atom))
        };
        Ok(ShmPixmapTransport {
            conn,
            target,
            show,
            slots,
        })
    }
}

fn new_slot<'c, C: Connection>(
    conn: &'c C,
    target: &Target,
) -> Result<Slot<'c, C>, TransportError> {
    // ShmCreatePixmap needs a segment the server may write (pixmaps are drawables).
    let segment = ShmSegment::new(conn, target.frame_bytes(), ShmAccess::ServerReadWrite)?;
    let id = conn.generate_id()?;
    let cookie = shm::create_pixmap(
        conn,
        id,
        target.window,
        target.width as u16,
        target.height as u16,
        target.format.depth,
        segment.seg(),
        0,
    )?;
    check(cookie, "ShmCreatePixmap")?;
    Ok(Slot {
        pixmap: PixmapOwner { conn, id },
        segment,
        in_flight: None,
    })
}

impl<C: Connection> FrameTransport for ShmPixmapTransport<'_, C> {
    fn mode(&self) -> Mode {
        Mode::ShmPixmap
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
        slot.in_flight = Some(frame);
        match &mut self.show {
            Show::Present(present) => present.present(slot.pixmap.id, frame, 0)?,
            Show::Copy(fence) => {
                let (w, h) = (t.width as u16, t.height as u16);
                self.conn
                    .copy_area(slot.pixmap.id, t.window, t.gc, 0, 0, 0, 0, w, h)?;
                fence.send(self.conn, frame)?;
            }
        }
        self.conn.flush()?;
        Ok(())
    }

    fn handle_event(
        &mut self,
        event: &Event,
        at: Instant,
        completions: &mut Vec<Completion>,
    ) -> bool {
        match &mut self.show {
            Show::Present(present) => match present.handle_event(event, at, completions) {
                Some(PresentEvent::Idle(pixmap)) => {
                    if let Some(slot) = self.slots.iter_mut().find(|s| s.pixmap.id == pixmap) {
                        slot.in_flight = None;
                    }
                    true
                }
                Some(PresentEvent::Handled) => true,
                None => false,
            },
            Show::Copy(fence) => match fence.handle_event(event, at) {
                Some(done) => {
                    if let Some(slot) = self
                        .slots
                        .iter_mut()
                        .find(|s| s.in_flight == Some(done.frame))
                    {
                        slot.in_flight = None;
                    }
                    completions.push(done);
                    true
                }
                None => false,
            },
        }
    }

    fn in_flight(&self) -> usize {
        let busy = self.slots.iter().filter(|s| s.in_flight.is_some()).count();
        match &self.show {
            Show::Present(present) => busy.max(present.awaiting_complete()),
            Show::Copy(_) => busy,
        }
    }
}
