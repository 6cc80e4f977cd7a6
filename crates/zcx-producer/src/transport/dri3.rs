//! `dri3`: a ring of linear dma-buf buffers shared with the X server. DRI3Open gives a DRM fd,
//! a GBM device on it makes linear XRGB8888 buffer objects, and each becomes a pixmap once
//! (PixmapFromBuffers with a modifier from GetSupportedModifiers when the server has DRI3 1.2,
//! else PixmapFromBuffer). Frames are rendered into a write mapping of the buffer, unmapped
//! before PresentPixmap; a buffer is written again only after its IdleNotify *and* its idle
//! fence (`shm_fence`): the event alone does not mean the server's GL has read it; and free
//! buffers are taken in ring order (see `acquire`).
//! No pixel crosses the socket and the server reads the buffer itself (glamor imports it as
//! a texture).

use std::time::Instant;

use std::os::fd::OwnedFd;

use x11rb::connection::Connection;
use x11rb::cookie::VoidCookie;
use x11rb::errors::ConnectionError;
use x11rb::protocol::dri3;
use x11rb::protocol::xproto::{Pixmap, PixmapWrapper, Window};
use x11rb::protocol::Event;

use super::error::{check, refused, TransportError};
use super::gbm::{GbmBo, GbmDevice, GbmError};
use super::mode::Mode;
use super::present::{PresentEvent, PresentShow};
use super::role::{Completion, FrameTransport, Options, Target};
use super::shm_fence::ShmFence;

/// `DRM_FORMAT_MOD_INVALID`: "the driver chooses"; what PixmapFromBuffers takes when the
/// server lists no modifiers for the format.
const MOD_INVALID: u64 = 0x00ff_ffff_ffff_ffff;

/// How long the server may take to trigger an idle fence after its IdleNotify.
const FENCE_LIMIT: std::time::Duration = std::time::Duration::from_secs(5);

/// A pixmap, its idle fence and the buffer object behind it. Field order is drop order: the
/// pixmap is freed and the fence destroyed before the buffer is.
struct Slot<'c, C: Connection> {
    pixmap: PixmapWrapper<&'c C>,
    idle: ShmFence<'c, C>,
    bo: GbmBo,
    /// The frame the server may still read from this buffer (until IdleNotify).
    in_flight: Option<u64>,
    /// The idle fence was given to a PresentPixmap and not yet awaited.
    fence_armed: bool,
}

/// Field order is drop order: Present deselected, then pixmaps and buffers, then the device.
pub struct Dri3Transport<'c, C: Connection> {
    conn: &'c C,
    present: PresentShow<'c, C>,
    slots: Vec<Slot<'c, C>>,
    /// The slot after the last one submitted: buffers are taken in ring order (see `acquire`).
    next: usize,
    _device: GbmDevice,
}

impl<'c, C: Connection> Dri3Transport<'c, C> {
    pub fn new(
        conn: &'c C,
        target: Target,
        options: Options,
        dri3_1_2: bool,
    ) -> Result<Self, TransportError> {
        let reply = dri3::open(conn, target.window, 0)?
            .reply()
            .map_err(|e| refused("DRI3Open", e))?;
        let device = GbmDevice::new(reply.device_fd).map_err(gbm_error)?;
        let modifier = if dri3_1_2 {
            Some(pick_modifier(conn, &target)?)
        } else {
            None
        };
        let slots = (0..options.buffers.max(2))
            .map(|_| new_slot(conn, &device, &target, modifier))
            .collect::<Result<Vec<_>, _>>()?;
        let present = PresentShow::new(conn, target.window, options.vsync)?;
        Ok(Dri3Transport {
            conn,
            present,
            slots,
            next: 0,
            _device: device,
        })
    }
}

/// The modifier for PixmapFromBuffers: LINEAR when the server lists it for depth 24/32 bpp,
/// else `DRM_FORMAT_MOD_INVALID` (servers without modifier support list none).
fn pick_modifier<C: Connection>(conn: &C, target: &Target) -> Result<u64, TransportError> {
    let reply = dri3::get_supported_modifiers(conn, target.window, target.format.depth, 32)?
        .reply()
        .map_err(|e| refused("DRI3GetSupportedModifiers", e))?;
    let modifier = linear_or_invalid(&reply.window_modifiers, &reply.screen_modifiers);
    log::info!(
        "dri3: the server lists {} window and {} screen modifiers; using {modifier:#x}",
        reply.window_modifiers.len(),
        reply.screen_modifiers.len(),
    );
    Ok(modifier)
}

/// `DRM_FORMAT_MOD_LINEAR` (0) when either list has it, else `DRM_FORMAT_MOD_INVALID`.
fn linear_or_invalid(window: &[u64], screen: &[u64]) -> u64 {
    const LINEAR: u64 = 0;
    if window.iter().chain(screen).any(|&m| m == LINEAR) {
        LINEAR
    } else {
        MOD_INVALID
    }
}

fn new_slot<'c, C: Connection>(
    conn: &'c C,
    device: &GbmDevice,
    target: &Target,
    modifier: Option<u64>,
) -> Result<Slot<'c, C>, TransportError> {
    let (w, h) = (target.width, target.height);
    let mut bo = device.create_linear_bo(w, h).map_err(gbm_error)?;
    // Map once now, so a mapping this path cannot use (padded rows) is refused at start-up.
    bo.map_write().map_err(gbm_error)?;
    bo.unmap();
    let stride = bo.stride();
    if stride != w * 4 {
        return Err(TransportError::Unsupported(format!(
            "dri3: the driver pads {w}-pixel rows to {stride} bytes; only packed rows are supported"
        )));
    }
    let fd = bo.fd().map_err(gbm_error)?;
    let id = conn.generate_id()?;
    let layout = BufferLayout {
        width: w as u16,
        height: h as u16,
        stride,
        depth: target.format.depth,
        modifier,
    };
    let cookie = send_pixmap_from_buffer(conn, id, target.window, &layout, fd)?;
    check(cookie, "DRI3 PixmapFromBuffer(s)")?;
    Ok(Slot {
        pixmap: PixmapWrapper::for_pixmap(conn, id),
        idle: ShmFence::new(conn, target.window)?,
        bo,
        in_flight: None,
        fence_armed: false,
    })
}

/// What the server needs to know of one packed single-plane 32 bpp buffer to wrap it in a pixmap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufferLayout {
    pub width: u16,
    pub height: u16,
    /// Bytes per row.
    pub stride: u32,
    pub depth: u8,
    /// `Some` for PixmapFromBuffers (DRI3 1.2), `None` for PixmapFromBuffer (DRI3 1.0).
    pub modifier: Option<u64>,
}

/// Sends the request that makes `pixmap` from the dma-buf `fd` (not flushed, not checked):
/// the pure request-building half of a slot, kept apart from the GBM allocation so its
/// request shape can be tested without a GPU.
pub fn send_pixmap_from_buffer<'c, C: Connection>(
    conn: &'c C,
    pixmap: Pixmap,
    window: Window,
    layout: &BufferLayout,
    fd: OwnedFd,
) -> Result<VoidCookie<'c, C>, ConnectionError> {
    let BufferLayout {
        width,
        height,
        stride,
        depth,
        modifier,
    } = *layout;
    match modifier {
        Some(modifier) => dri3::pixmap_from_buffers(
            conn,
            pixmap,
            window,
            width,
            height,
            stride,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            depth,
            32,
            modifier,
            vec![fd],
        ),
        None => dri3::pixmap_from_buffer(
            conn,
            pixmap,
            window,
            stride * u32::from(height),
            width,
            height,
            stride as u16,
            depth,
            32,
            fd,
        ),
    }
}

fn gbm_error(e: GbmError) -> TransportError {
    TransportError::Unsupported(format!("dri3: {e}"))
}

impl<C: Connection> FrameTransport for Dri3Transport<'_, C> {
    fn mode(&self) -> Mode {
        Mode::Dri3
    }

    /// The free buffer presented longest ago. On glamor the idle fence is triggered after a
    /// glFlush, not a glFinish: a GPU's implicit dma-buf sync covers the rest, but a software
    /// renderer (llvmpipe) may still be reading the buffer. Taking buffers in ring order
    /// leaves the server the other buffers' frame times to finish.
    fn acquire(&mut self) -> Option<usize> {
        let n = self.slots.len();
        (0..n)
            .map(|i| (self.next + i) % n)
            .find(|&i| self.slots[i].in_flight.is_none())
    }

    fn pixels(&mut self, buffer: usize) -> Result<&mut [u32], TransportError> {
        let slot = &mut self.slots[buffer];
        if slot.fence_armed {
            slot.idle.await_and_reset(FENCE_LIMIT)?;
            slot.fence_armed = false;
        }
        slot.bo.map_write().map_err(gbm_error)
    }

    fn submit(&mut self, buffer: usize, frame: u64) -> Result<(), TransportError> {
        self.next = (buffer + 1) % self.slots.len();
        let slot = &mut self.slots[buffer];
        slot.bo.unmap();
        slot.in_flight = Some(frame);
        slot.fence_armed = true;
        self.present
            .present(slot.pixmap.pixmap(), frame, slot.idle.id())?;
        self.conn.flush()?;
        Ok(())
    }

    fn handle_event(
        &mut self,
        event: &Event,
        at: Instant,
        completions: &mut Vec<Completion>,
    ) -> bool {
        match self.present.handle_event(event, at, completions) {
            Some(PresentEvent::Idle(pixmap)) => {
                if let Some(slot) = self.slots.iter_mut().find(|s| s.pixmap.pixmap() == pixmap) {
                    slot.in_flight = None;
                }
                true
            }
            Some(PresentEvent::Handled) => true,
            None => false,
        }
    }

    fn in_flight(&self) -> usize {
        let busy = self.slots.iter().filter(|s| s.in_flight.is_some()).count();
        busy.max(self.present.awaiting_complete())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_when_listed_else_invalid() {
        assert_eq!(linear_or_invalid(&[], &[]), MOD_INVALID);
        assert_eq!(linear_or_invalid(&[0x0100_0000_0000_0001], &[0]), 0);
        assert_eq!(
            linear_or_invalid(&[0x0100_0000_0000_0001], &[]),
            MOD_INVALID
        );
    }

    /// Request shapes (tier 2) of a dri3 slot's present, against the recording connection:
    /// the idle fence is shared by FenceFromFD with its fd, PresentPixmap names it as
    /// `idle_fence`, and dropping the fence destroys it.
    #[test]
    fn present_pixmap_carries_the_idle_fence() {
        use zcx_testkit::recording::RecordingConnection;
        const WINDOW: u32 = 0x40_0001;
        const PIXMAP: u32 = 0x40_0009;
        let u32_at = |b: &[u8], i: usize| u32::from_ne_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let conn = RecordingConnection::new(16_777_212, &["DRI3", "Present", "SYNC"]);
        let opcode = |name| conn.major_opcode(name).expect("a fake extension");
        let mut present = PresentShow::new(&conn, WINDOW, false).expect("select input");
        let fence = ShmFence::new(&conn, WINDOW).expect("an idle fence");
        let setup = conn.take();
        let share = setup.last().expect("FenceFromFD");
        assert_eq!(
            (share.major, share.minor, share.fds),
            (opcode("DRI3"), 4, 1)
        );
        assert_eq!(
            (u32_at(&share.bytes, 4), u32_at(&share.bytes, 8)),
            (WINDOW, fence.id())
        );
        assert_eq!(share.bytes[12], 0, "created untriggered");

        present.present(PIXMAP, 7, fence.id()).expect("present");
        let sent = conn.take();
        assert_eq!(sent.len(), 1, "one request per frame: {sent:?}");
        let b = &sent[0].bytes;
        assert_eq!(
            (sent[0].major, sent[0].minor, sent[0].fds),
            (opcode("Present"), 1, 0)
        );
        assert_eq!((u32_at(b, 4), u32_at(b, 8)), (WINDOW, PIXMAP));
        assert_eq!(u32_at(b, 36), fence.id(), "idle_fence");
        assert_eq!(u32_at(b, 32), 0, "no wait_fence");
        assert_eq!(u32_at(b, 40), 0b11, "options COPY | ASYNC without vsync");
        assert_eq!(present.awaiting_complete(), 1);

        let id = fence.id();
        drop(fence);
        let freed = conn.take();
        let destroy = freed.first().expect("SyncDestroyFence");
        assert_eq!((destroy.major, destroy.minor), (opcode("SYNC"), 17));
        assert_eq!(u32_at(&destroy.bytes, 4), id);
    }
}
