//! The role every transport plays ([`FrameTransport`]), what it is given (the [`Target`]
//! window, the [`Options`]) and what it reports ([`Completion`]).

use std::ops::Range;
use std::time::Instant;

use x11rb::protocol::xproto::{Gcontext, Window};
use x11rb::protocol::Event;
use zcx_x11::format::FrameFormat;

use super::error::TransportError;
use super::mode::Mode;

/// Where frames go: the window, a GC for it, the pixel format and the frame size.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    pub window: Window,
    pub gc: Gcontext,
    pub format: FrameFormat,
    pub width: u32,
    pub height: u32,
}

impl Target {
    pub fn frame_bytes(&self) -> usize {
        self.format.frame_bytes(self.width, self.height)
    }
    pub fn frame_pixels(&self) -> usize {
        self.width as usize * self.height as usize
    }
}

/// The server has consumed frame `frame` (finished reading its pixels) at `at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Completion {
    pub frame: u64,
    pub at: Instant,
}

/// A path that moves rendered frames into the window.
///
/// The producer asks for a buffer the server no longer reads ([`acquire`](Self::acquire)),
/// renders into it, hands it over with [`submit`](Self::submit), and feeds every X event to
/// [`handle_event`](Self::handle_event), which frees buffers and reports completions.
pub trait FrameTransport {
    fn mode(&self) -> Mode;

    /// A buffer that may be written now, or `None` while every buffer is still in flight.
    fn acquire(&mut self) -> Option<usize>;

    /// The pixels of buffer `buffer` (`width * height`, row-major, 0x00RRGGBB). Fails only
    /// where making them writable can (mapping a dma-buf).
    fn pixels(&mut self, buffer: usize) -> Result<&mut [u32], TransportError>;

    /// Sends buffer `buffer`, holding frame `frame`, to the window and flushes.
    fn submit(&mut self, buffer: usize, frame: u64) -> Result<(), TransportError>;

    /// Takes `event`, read from the socket at `at`, if it belongs to this transport, appending
    /// any completed frames.
    fn handle_event(
        &mut self,
        event: &Event,
        at: Instant,
        completions: &mut Vec<Completion>,
    ) -> bool;

    /// Frames submitted and not yet consumed by the server.
    fn in_flight(&self) -> usize;

    /// Whether the frame submitted last was handed to the compositing manager rather than
    /// shown in the window by the server (`shm_pixmap`, README "Frame handoff").
    fn handed_off(&self) -> bool {
        false
    }

    /// This transport's frame memory, as address ranges mapped in this process, so that how
    /// much of it the kernel backs with huge pages can be counted (`zcx_x11::pages`); empty
    /// where frames are mapped only while they are written (dri3's buffer objects).
    fn frame_memory(&self) -> Vec<Range<usize>> {
        Vec::new()
    }

    /// The transport is about to stop: end what would keep buffers in flight forever (a
    /// handoff), so draining can finish. The window's own contents are made right.
    fn wind_down(&mut self) -> Result<(), TransportError> {
        Ok(())
    }
}

/// How a transport is asked to pace presentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Buffers in the ring (at least 2 for the shared-memory paths).
    pub buffers: usize,
    /// Present at the next vblank rather than at once (Present paths only). The shm-pixmap
    /// path presents at once anyway while a compositing manager owns the screen (its own
    /// repaint is what reaches the screen; waiting for a vblank first only adds a frame).
    pub vsync: bool,
    /// Use Present where the server has it; `false` shows shared pixmaps with CopyArea.
    pub present: bool,
    /// The screen whose compositing manager (`_NET_WM_CM_S<n>`) the shm-pixmap path follows.
    pub screen: usize,
    /// Hand shm-pixmap frames to that manager when it takes them (`--handoff auto`); false
    /// never does (`--handoff off`).
    pub handoff: bool,
}
