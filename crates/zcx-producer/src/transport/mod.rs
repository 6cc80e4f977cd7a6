//! The transfer paths that move a rendered frame into the producer's window
//! (`FrameTransport`), the closed set of modes, and the choice of mode for a server.

pub mod dri3;
mod fence;
mod gbm;
pub mod handoff;
mod present;
pub mod put_image;
mod shm_fence;
pub mod shm_pixmap;
pub mod shm_put;

use std::time::Instant;

use x11rb::connection::Connection;
use x11rb::protocol::xproto::{Gcontext, Window};
use x11rb::protocol::Event;
use zcx_x11::error::{describe, ReplyError, X11Error};
use zcx_x11::format::FrameFormat;
use zcx_x11::probe::ServerProbe;
use zcx_x11::XError;

pub use dri3::Dri3Transport;
pub use put_image::{row_chunks, PutImageTransport, RowChunk};
pub use shm_pixmap::ShmPixmapTransport;
pub use shm_put::ShmPutTransport;

/// The transfer modes; the CLI value of each is [`Mode::name`], and so is its JSON form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    PutImage,
    ShmPut,
    ShmPixmap,
    Dri3,
}

impl Mode {
    pub const ALL: [Mode; 4] = [Mode::PutImage, Mode::ShmPut, Mode::ShmPixmap, Mode::Dri3];

    pub fn name(self) -> &'static str {
        match self {
            Mode::PutImage => "put-image",
            Mode::ShmPut => "shm-put",
            Mode::ShmPixmap => "shm-pixmap",
            Mode::Dri3 => "dri3",
        }
    }

    /// Why this server cannot run the mode, or `None` when it can.
    pub fn unavailable_reason(self, probe: &ServerProbe) -> Option<String> {
        let shm_problem = || match &probe.shm {
            None => Some("the server has no MIT-SHM extension".to_owned()),
            Some(shm) => match &shm.trial_attach {
                Ok(()) => None,
                Err(why) => Some(format!("MIT-SHM is not usable on this connection ({why})")),
            },
        };
        match self {
            Mode::PutImage => None,
            Mode::ShmPut => shm_problem(),
            Mode::ShmPixmap => shm_problem().or_else(|| {
                let shared = probe.shm.as_ref().is_some_and(|s| s.shared_pixmaps);
                (!shared).then(|| "the server's MIT-SHM does not offer shared pixmaps".to_owned())
            }),
            Mode::Dri3 => dri3_problem(probe),
        }
    }

    /// The modes this server can run, cheapest transport first.
    pub fn available(probe: &ServerProbe) -> Vec<Mode> {
        [Mode::Dri3, Mode::ShmPixmap, Mode::ShmPut, Mode::PutImage]
            .into_iter()
            .filter(|m| m.unavailable_reason(probe).is_none())
            .collect()
    }
}

/// Why `dri3` cannot run here: no DRI3 or Present, a connection that cannot pass fds, or no
/// libgbm on this machine.
fn dri3_problem(probe: &ServerProbe) -> Option<String> {
    if probe.dri3.is_none() {
        return Some(
            "the server has no DRI3 extension (DRI3 needs a GPU X server: Xorg with \
             modesetting/glamor, amdgpu, intel, NVIDIA ≥ 470 or Xwayland)"
                .to_owned(),
        );
    }
    if probe.present.is_none() {
        return Some("the server has DRI3 but no Present".to_owned());
    }
    if probe.socket != zcx_x11::SocketKind::Local {
        return Some("DRI3 passes fds, which needs a local UNIX socket".to_owned());
    }
    gbm::available().err().map(|e| e.to_string())
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

impl std::str::FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Mode::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| format!("unknown mode {s:?}"))
    }
}

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

/// Errors a transport reports; the producer turns them into one clear message.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error(transparent)]
    X(#[from] XError),
    #[error(transparent)]
    Shm(#[from] zcx_x11::shm::ShmError),
    #[error("the X server refused {what}: {}", describe(error))]
    Refused { what: &'static str, error: X11Error },
    #[error("{0}")]
    Unsupported(String),
}

zcx_x11::impl_from_x11rb!(TransportError);

/// `e` as the server's refusal of `what` (a connection failure stays one).
pub(crate) fn refused(what: &'static str, e: ReplyError) -> TransportError {
    match XError::from(e) {
        XError::X11(error) => TransportError::Refused { what, error },
        other => TransportError::X(other),
    }
}

/// Waits for the server's verdict on a request whose failure must be reported now.
pub(crate) fn check<C: Connection>(
    cookie: x11rb::cookie::VoidCookie<'_, C>,
    what: &'static str,
) -> Result<(), TransportError> {
    cookie.check().map_err(|e| refused(what, e))
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

    /// The transport is about to stop: end what would keep buffers in flight forever (a
    /// handoff), so draining can finish. The window's own contents are made right.
    fn wind_down(&mut self) -> Result<(), TransportError> {
        Ok(())
    }
}

/// The transport chosen at start-up (or switched to with the `m` key).
pub enum Transport<'c, C: Connection> {
    PutImage(PutImageTransport<'c, C>),
    ShmPut(ShmPutTransport<'c, C>),
    ShmPixmap(ShmPixmapTransport<'c, C>),
    Dri3(Dri3Transport<'c, C>),
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
    fn wind_down(&mut self) -> Result<(), TransportError> {
        self.inner().wind_down()
    }
}
