//! `shm-pixmap`: a ring of MIT-SHM shared pixmaps (ShmCreatePixmap over sealed memfd segments)
//! rendered into directly and shown with PresentPixmap. A pixmap is written again only after
//! its IdleNotify. Where the server has no Present, CopyArea shows the pixmap and a property
//! fence reports when the copy is done. No pixel crosses the socket; a compositor can read the
//! window's pixels without the producer copying anything.
//!
//! While a compositing manager that speaks the handoff protocol owns the screen (`handoff`),
//! frames are handed to it instead of presented: it copies the pixmap straight to the screen
//! (one copy instead of Present's copy into the redirected window plus the manager's copy), and
//! a pixmap is written again only after the manager's Released answer. When the manager goes
//! away or refuses a frame, the frame is presented at once, so the window's own contents are
//! right again.

use std::time::Instant;

use x11rb::connection::Connection;
use x11rb::protocol::shm;
use x11rb::protocol::xproto::{Atom, ConnectionExt as _, PixmapWrapper};
use x11rb::protocol::Event;
use zcx_x11::handoff::DoneStatus;
use zcx_x11::shm::{ShmAccess, ShmSegment};

use super::error::{check, TransportError};
use super::fence::PropertyFence;
use super::handoff::{HandoffLink, LinkEvent};
use super::mode::Mode;
use super::present::{PresentEvent, PresentShow};
use super::role::{Completion, FrameTransport, Options, Target};

/// A shared pixmap and the segment behind it. Field order is drop order: the pixmap is freed
/// before the segment is detached and unmapped.
struct Slot<'c, C: Connection> {
    pixmap: PixmapWrapper<&'c C>,
    segment: ShmSegment<'c, C>,
    /// The frame the server may still read from this pixmap.
    in_flight: Option<u64>,
    /// The frame was handed to the compositing manager (it reads it until it releases it).
    handed: bool,
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
    next_serial: u32,
    /// Handoff serials (with their frames) whose Shown (or Released) has not arrived.
    awaiting_shown: Vec<(u32, u64)>,
    /// The compositing manager, followed to hand it frames (`--handoff auto`) and to present
    /// at once while one owns the screen.
    handoff: Option<HandoffLink<'c, C>>,
    /// Presenting waits for a vblank when no compositing manager owns the screen (`--fps` > 0).
    vsync: bool,
    /// The buffer and frame submitted last, to present again when a handoff ends.
    last: Option<(usize, u64)>,
    /// Whether the last submitted frame was handed off.
    last_handed: bool,
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
        // The manager is followed to hand frames to it, or to know when a vblank wait would
        // only delay what its own repaint shows.
        let follow = options.handoff || (options.vsync && matches!(show, Show::Present(_)));
        let handoff = if follow {
            HandoffLink::new(conn, target.window, options.screen, options.handoff)?
        } else {
            None
        };
        Ok(ShmPixmapTransport {
            conn,
            target,
            show,
            slots,
            next_serial: 1,
            awaiting_shown: Vec::new(),
            handoff,
            vsync: options.vsync,
            last: None,
            last_handed: false,
        })
    }

    fn take_serial(&mut self) -> u32 {
        let serial = self.next_serial;
        self.next_serial = self.next_serial.wrapping_add(1).max(1);
        serial
    }

    /// Shows buffer `buffer` (frame `frame`) in the window itself: Present, or CopyArea + fence.
    fn show(&mut self, buffer: usize, frame: u64) -> Result<(), TransportError> {
        let t = self.target;
        let composited = self.handoff.as_ref().is_some_and(|l| l.compositing());
        let slot = &mut self.slots[buffer];
        slot.in_flight = Some(frame);
        slot.handed = false;
        match &mut self.show {
            Show::Present(present) => {
                present.set_vsync(self.vsync && !composited);
                present.present(slot.pixmap.pixmap(), frame, 0)?;
            }
            Show::Copy(fence) => {
                let (w, h) = (t.width as u16, t.height as u16);
                self.conn
                    .copy_area(slot.pixmap.pixmap(), t.window, t.gc, 0, 0, 0, 0, w, h)?;
                fence.send(self.conn, frame)?;
            }
        }
        Ok(())
    }

    /// Hands buffer `buffer` (frame `frame`) to the compositing manager.
    fn hand_off(&mut self, buffer: usize, frame: u64) -> Result<(), TransportError> {
        let serial = self.take_serial();
        let slot = &mut self.slots[buffer];
        slot.in_flight = Some(frame);
        slot.handed = true;
        self.awaiting_shown.push((serial, frame));
        if let Some(link) = &mut self.handoff {
            link.send_frame(slot.pixmap.pixmap(), serial)?;
        }
        Ok(())
    }

    /// Forgets the handoff serial `serial` without a completion.
    fn forget_serial(&mut self, serial: u32) {
        self.awaiting_shown.retain(|&(s, _)| s != serial);
    }

    /// The manager that took frames is gone or replaced: it will never read them again, so
    /// every handed buffer is free, and the newest frame is presented so the window's own
    /// contents are right.
    fn handoff_ended(
        &mut self,
        at: Instant,
        completions: &mut Vec<Completion>,
    ) -> Result<(), TransportError> {
        let handed: Vec<u64> = self
            .slots
            .iter_mut()
            .filter(|s| s.handed)
            .filter_map(|s| {
                s.handed = false;
                s.in_flight.take()
            })
            .collect();
        for frame in handed {
            if let Some(i) = self.awaiting_shown.iter().position(|&(_, f)| f == frame) {
                self.awaiting_shown.swap_remove(i);
                completions.push(Completion { frame, at });
            }
        }
        if let (Some((buffer, frame)), true) = (self.last, self.last_handed) {
            log::info!("handoff ended: presenting frame {frame} again in the window itself");
            self.last_handed = false;
            self.show(buffer, frame)?;
            self.conn.flush()?;
        }
        Ok(())
    }

    /// Acts on the manager's answer about one handed frame.
    fn handle_done(
        &mut self,
        done: zcx_x11::handoff::DoneMessage,
        at: Instant,
        completions: &mut Vec<Completion>,
    ) -> Result<(), TransportError> {
        let Some(buffer) = self
            .slots
            .iter()
            .position(|s| s.handed && s.pixmap.pixmap() == done.pixmap)
        else {
            return Ok(()); // stale or forged: no buffer of ours is waiting for it
        };
        match done.status {
            DoneStatus::Shown => self.complete(done.serial, at, completions),
            DoneStatus::Released => {
                self.complete(done.serial, at, completions);
                let slot = &mut self.slots[buffer];
                slot.handed = false;
                slot.in_flight = None;
            }
            DoneStatus::Refused => {
                let frame = self.slots[buffer].in_flight.unwrap_or_default();
                log::info!(
                    "handoff: the compositing manager refused frame {frame}; presenting for {:?}",
                    super::handoff::REFUSED_BACKOFF
                );
                self.forget_serial(done.serial);
                if let Some(link) = &mut self.handoff {
                    link.back_off(at);
                    link.withdraw()?;
                }
                if self.last.is_some_and(|(b, _)| b == buffer) {
                    self.last_handed = false;
                }
                self.show(buffer, frame)?;
                self.conn.flush()?;
            }
        }
        Ok(())
    }

    /// A handed frame was shown (or released unshown): its completion.
    fn complete(&mut self, serial: u32, at: Instant, completions: &mut Vec<Completion>) {
        if let Some(i) = self.awaiting_shown.iter().position(|&(s, _)| s == serial) {
            let (_, frame) = self.awaiting_shown.swap_remove(i);
            completions.push(Completion { frame, at });
        }
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
        pixmap: PixmapWrapper::for_pixmap(conn, id),
        segment,
        in_flight: None,
        handed: false,
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
        let handing = self
            .handoff
            .as_ref()
            .is_some_and(|l| l.taking(Instant::now()));
        if handing {
            self.hand_off(buffer, frame)?;
        } else {
            self.show(buffer, frame)?;
        }
        self.last = Some((buffer, frame));
        self.last_handed = handing;
        self.conn.flush()?;
        Ok(())
    }

    fn handed_off(&self) -> bool {
        self.last_handed
    }

    fn wind_down(&mut self) -> Result<(), TransportError> {
        let Some(link) = &mut self.handoff else {
            return Ok(());
        };
        if self.last_handed {
            link.withdraw()?;
        }
        link.stop();
        // Withdrawn: the manager releases what it holds. Present the newest frame, so the
        // window's own contents are right.
        if let (Some((buffer, frame)), true) = (self.last, self.last_handed) {
            self.last_handed = false;
            let serial = self
                .awaiting_shown
                .iter()
                .find(|&&(_, f)| f == frame)
                .map(|&(s, _)| s);
            if let Some(serial) = serial {
                self.forget_serial(serial);
            }
            self.show(buffer, frame)?;
            self.conn.flush()?;
        }
        Ok(())
    }

    fn handle_event(
        &mut self,
        event: &Event,
        at: Instant,
        completions: &mut Vec<Completion>,
    ) -> bool {
        if let Some(link) = &mut self.handoff {
            let outcome = match link.handle_event(event) {
                Ok(LinkEvent::Other) => None,
                Ok(LinkEvent::Handled) => Some(Ok(())),
                Ok(LinkEvent::OwnerChanged { was_taking }) => Some(if was_taking {
                    self.handoff_ended(at, completions)
                } else {
                    Ok(())
                }),
                Ok(LinkEvent::Done(done)) => Some(self.handle_done(done, at, completions)),
                Err(e) => Some(Err(e)),
            };
            if let Some(result) = outcome {
                if let Err(e) = result {
                    log::warn!("handoff: {e}");
                }
                return true;
            }
        }
        match &mut self.show {
            Show::Present(present) => match present.handle_event(event, at, completions) {
                Some(PresentEvent::Idle(pixmap)) => {
                    if let Some(slot) = self.slots.iter_mut().find(|s| s.pixmap.pixmap() == pixmap)
                    {
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

    fn frame_memory(&self) -> Vec<std::ops::Range<usize>> {
        self.slots
            .iter()
            .map(|s| s.segment.address_range())
            .collect()
    }

    fn in_flight(&self) -> usize {
        let busy = self.slots.iter().filter(|s| s.in_flight.is_some()).count();
        let presented = match &self.show {
            Show::Present(present) => present.awaiting_complete(),
            Show::Copy(_) => 0,
        };
        busy.max(presented + self.awaiting_shown.len())
    }
}
