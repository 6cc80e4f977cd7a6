//! The transfer paths that move a rendered frame into the producer's window
//! (`FrameTransport`), the closed set of modes, and the choice of mode for a server.

pub mod dri3;
mod error;
mod fence;
pub mod gbm;
pub mod handoff;
mod mode;
mod present;
pub mod put_image;
mod role;
mod shm_fence;
pub mod shm_pixmap;
pub mod shm_put;

use std::time::Instant;

use x11rb::connection::Connection;
use x11rb::protocol::Event;
use zcx_x11::probe::ServerProbe;

pub use dri3::Dri3Transport;
pub use error::TransportError;
pub(crate) use error::{check, refused};
pub use mode::Mode;
pub use put_image::{row_chunks, PutImageTransport, RowChunk};
pub use role::{Completion, FrameTransport, Options, Target};
pub use shm_pixmap::ShmPixmapTransport;
pub use shm_put::ShmPutTransport;

/// The transport chosen at start-up (or switched to with the `m` key).
pub enum Transport<'c, C: Connection> {
    PutImage(PutImageTransport<'c, C>),
    ShmPut(ShmPutTransport<'c, C>),
    ShmPixmap(ShmPixmapTransport<'c, C>),
    Dri3(Dri3Transport<'c, C>),
}

impl<'c, C: Connection> Transport<'c, C> {
    /// Creates the transport for `mode`; the mode must be available (see [`Mode::available`]).
    pub fn new(
        conn: &'c C,
        mode: Mode,
        target: Target,
        probe: &ServerProbe,
        options: Options,
        fence_atom: x11rb::protocol::xproto::Atom,
    ) -> Result<Self, TransportError> {
        if let Some(why) = mode.unavailable_reason(probe) {
            return Err(TransportError::Unsupported(format!("--mode {mode}: {why}")));
        }
        Ok(match mode {
            Mode::PutImage => Transport::PutImage(PutImageTransport::new(
                conn,
                target,
                probe.max_request_bytes,
                fence_atom,
            )?),
            Mode::ShmPut => Transport::ShmPut(ShmPutTransport::new(conn, target, options.buffers)?),
            Mode::ShmPixmap => Transport::ShmPixmap(ShmPixmapTransport::new(
                conn,
                target,
                options,
                options.present && probe.present.is_some(),
                fence_atom,
            )?),
            Mode::Dri3 => Transport::Dri3(Dri3Transport::new(
                conn,
                target,
                options,
                probe.dri3.is_some_and(|v| v.at_least(1, 2)),
            )?),
        })
    }

    fn inner(&mut self) -> &mut dyn FrameTransport {
        match self {
            Transport::PutImage(t) => t,
            Transport::ShmPut(t) => t,
            Transport::ShmPixmap(t) => t,
            Transport::Dri3(t) => t,
        }
    }

    fn inner_ref(&self) -> &dyn FrameTransport {
        match self {
            Transport::PutImage(t) => t,
            Transport::ShmPut(t) => t,
            Transport::ShmPixmap(t) => t,
            Transport::Dri3(t) => t,
        }
    }
}

impl<C: Connection> FrameTransport for Transport<'_, C> {
    fn mode(&self) -> Mode {
        self.inner_ref().mode()
    }
    fn acquire(&mut self) -> Option<usize> {
        self.inner().acquire()
    }
    fn pixels(&mut self, buffer: usize) -> Result<&mut [u32], TransportError> {
        self.inner().pixels(buffer)
    }
    fn submit(&mut self, buffer: usize, frame: u64) -> Result<(), TransportError> {
        self.inner().submit(buffer, frame)
    }
    fn handle_event(
        &mut self,
        event: &Event,
        at: Instant,
        completions: &mut Vec<Completion>,
    ) -> bool {
        self.inner().handle_event(event, at, completions)
    }
    fn in_flight(&self) -> usize {
        self.inner_ref().in_flight()
    }
    fn handed_off(&self) -> bool {
        self.inner_ref().handed_off()
    }
    fn frame_memory(&self) -> Vec<std::ops::Range<usize>> {
        self.inner_ref().frame_memory()
    }
    fn wind_down(&mut self) -> Result<(), TransportError> {
        self.inner().wind_down()
    }
}
