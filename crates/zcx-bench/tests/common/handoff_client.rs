//! A second, minimal implementation of the producer's end of the frame handoff protocol, for
//! tests: a window, a ring of MIT-SHM shared pixmaps filled with one colour and stamped, frame
//! messages to the compositing manager, and its answers. `ignore_releases` makes it rewrite a
//! pixmap the manager may still be reading (the bug the release gating prevents), so a test
//! can show that the screen observer catches it.

use std::time::{Duration, Instant};

use x11rb::connection::Connection;
use x11rb::protocol::shm::ConnectionExt as _;
use x11rb::protocol::xproto::{
    AtomEnum, ClientMessageEvent, ConnectionExt as _, CreateWindowAux, EventMask, WindowClass,
};
use x11rb::protocol::Event;
use x11rb::rust_connection::RustConnection;
use x11rb::COPY_FROM_PARENT;
use zcx_x11::handoff::{self, DoneMessage, DoneStatus, FrameMessage};
use zcx_x11::shm::{ShmAccess, ShmSegment};
use zcx_x11::stamp::Stamp;

/// The atom called `name`.
pub fn atom(conn: &RustConnection, name: &str) -> u32 {
    conn.intern_atom(false, name.as_bytes())
        .expect("intern")
        .reply()
        .expect("atom")
        .atom
}

/// The owner of `_NET_WM_CM_S<screen>` (`NONE` when there is none).
pub fn selection_owner(conn: &RustConnection, screen: usize) -> Option<u32> {
    let selection = atom(conn, &format!("_NET_WM_CM_S{screen}"));
    Some(
        conn.get_selection_owner(selection)
            .ok()?
            .reply()
            .ok()?
            .owner,
    )
}

/// The compositing manager's selection window once it advertises the handoff protocol.
pub fn wait_for_handoff_owner(conn: &RustConnection, screen: usize, timeout: Duration) -> u32 {
    let advertise = atom(conn, handoff::ADVERTISE_ATOM);
    zcx_testkit::poll_until(timeout, "a manager advertising _ZCX_HANDOFF", || {
        let owner = selection_owner(conn, screen)?;
        let reply = conn
            .get_property(false, owner, advertise, AtomEnum::CARDINAL, 0, 1)
            .ok()?
            .reply()
            .ok()?;
        let version = reply.value32()?.next()?;
        (version == handoff::VERSION).then_some(owner)
    })
}

struct Slot<'c> {
    pixmap: u32,
    segment: ShmSegment<'c, RustConnection>,
    busy: bool,
}

/// A window whose frames are handed to the manager.
pub struct HandoffClient<'c> {
    conn: &'c RustConnection,
    pub window: u32,
    pub width: u32,
    pub height: u32,
    owner: u32,
    frame_atom: u32,
    done_atom: u32,
    slots: Vec<Slot<'c>>,
    pub ignore_releases: bool,
    /// Every answer received, in order.
    pub answers: Vec<DoneMessage>,
}

impl<'c> HandoffClient<'c> {
    /// A mapped `width`x`height` window at (x, y) with `buffers` shared pixmaps, talking to
    /// the manager whose selection window is `owner`.
    pub fn new(
        conn: &'c RustConnection,
        screen: usize,
        owner: u32,
        (x, y): (i16, i16),
        (width, height): (u32, u32),
        buffers: usize,
    ) -> Self {
        let s = &conn.setup().roots[screen];
        let window = conn.generate_id().expect("id");
        let aux = CreateWindowAux::new()
            .background_pixel(0)
            .override_redirect(1);
        conn.create_window(
            s.root_depth,
            window,
            s.root,
            x,
            y,
            width as u16,
            height as u16,
            0,
            WindowClass::INPUT_OUTPUT,
            COPY_FROM_PARENT,
            &aux,
        )
        .expect("create_window")
        .check()
        .expect("CreateWindow");
        conn.map_window(window)
            .expect("map")
            .check()
            .expect("MapWindow");
        let slots = (0..buffers)
            .map(|_| {
                let bytes = width as usize * height as usize * 4;
                let segment = ShmSegment::new(conn, bytes, ShmAccess::ServerReadWrite)
                    .expect("shared memory segment");
                let pixmap = conn.generate_id().expect("id");
                conn.shm_create_pixmap(
                    pixmap,
                    window,
                    width as u16,
                    height as u16,
                    s.root_depth,
                    segment.seg(),
                    0,
                )
                .expect("request")
                .check()
                .expect("ShmCreatePixmap");
                Slot {
                    pixmap,
                    segment,
                    busy: false,
                }
            })
            .collect();
        Self {
            conn,
            window,
            width,
            height,
            owner,
            frame_atom: atom(conn, handoff::FRAME_ATOM),
            done_atom: atom(conn, handoff::DONE_ATOM),
            slots,
            ignore_releases: false,
            answers: Vec::new(),
        }
    }

    /// A buffer that may be written: one the manager released (or the next, round robin, when
    /// releases are ignored), waiting for answers up to `timeout`.
    pub fn acquire(&mut self, frame: u64, timeout: Duration) -> usize {
        if self.ignore_releases {
            self.pump();
            return frame as usize % self.slots.len();
        }
        let deadline = Instant::now() + timeout;
        loop {
            self.pump();
            if let Some(i) = self.slots.iter().position(|s| !s.busy) {
                return i;
            }
            assert!(
                Instant::now() < deadline,
                "no buffer released within {timeout:?}"
            );
            self.wait_event(deadline);
        }
    }

    /// Fills buffer `slot` with `rgb`, stamps it as frame `frame` (top row first, bottom row
    /// last, as a renderer would) and hands it to the manager.
    pub fn send(&mut self, slot: usize, frame: u64, rgb: u32) {
        let (w, h) = (self.width as usize, self.height as usize);
        let stamp = Stamp {
            frame,
            monotonic_ns: zcx_x11::stamp::monotonic_now_ns(),
        };
        let s = &mut self.slots[slot];
        let pixels = &mut s.segment.as_u32_mut()[..w * h];
        // Top to bottom: the top stamp, the rows, then the bottom stamp, so a reader that
        // copies the buffer meanwhile gets two different stamps.
        let row = stamp.to_pixels();
        pixels[..row.len()].copy_from_slice(&row);
        pixels[row.len()..].fill(rgb);
        let last = w * (h - 1);
        pixels[last..last + row.len()].copy_from_slice(&row);
        s.busy = true;
        let message = FrameMessage {
            window: self.window,
            pixmap: s.pixmap,
            serial: frame as u32,
        };
        self.send_words(message.encode());
    }

    /// Sends a frame message with any words (for forgeries) to the manager.
    pub fn send_words(&self, words: [u32; 5]) {
        let event = ClientMessageEvent::new(32, self.owner, self.frame_atom, words);
        self.conn
            .send_event(false, self.owner, EventMask::NO_EVENT, event)
            .expect("SendEvent");
        self.conn.flush().expect("flush");
    }

    /// Waits until the manager answers `status` about frame `serial`.
    pub fn wait_for(&mut self, serial: u32, status: DoneStatus, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            self.pump();
            if self
                .answers
                .iter()
                .any(|a| a.serial == serial && a.status == status)
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "no {status:?} for frame {serial} within {timeout:?}; answers: {:?}",
                self.answers
            );
            self.wait_event(deadline);
        }
    }

    fn wait_event(&self, deadline: Instant) {
        use std::os::fd::AsFd;
        let fd = self.conn.stream().as_fd();
        let mut fds = [nix::poll::PollFd::new(fd, nix::poll::PollFlags::POLLIN)];
        let ms = deadline
            .saturating_duration_since(Instant::now())
            .as_millis()
            .min(1000) as u16;
        let _ = nix::poll::poll(&mut fds, ms);
    }

    /// Reads every queued event, keeping the manager's answers.
    pub fn pump(&mut self) {
        while let Some(event) = self.conn.poll_for_event().expect("X connection") {
            let Event::ClientMessage(e) = event else {
                continue;
            };
            if e.type_ != self.done_atom {
                continue;
            }
            let done = DoneMessage::decode(e.data.as_data32()).expect("a well-formed answer");
            if matches!(done.status, DoneStatus::Released | DoneStatus::Refused) {
                if let Some(s) = self.slots.iter_mut().find(|s| s.pixmap == done.pixmap) {
                    s.busy = false;
                }
            }
            self.answers.push(done);
        }
    }
}
