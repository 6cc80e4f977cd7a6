//! A minimal DRI3 client for tests whose buffer-reuse gating is broken on purpose: DRI3Open,
//! a GBM device on that fd (zcx-producer's wrapper), a few linear buffer objects made pixmaps
//! with PixmapFromBuffer(s), and PresentPixmap, but a buffer may be rewritten without
//! waiting for its IdleNotify or an idle fence (it asks for neither). Each frame is one colour with a stamp
//! written first in the top row and last in the bottom row, as a renderer would, so a server
//! that reads the buffer while it is rewritten shows the screen observer torn or stampless
//! frames. The window carries the producer's WM_CLASS, so `zcx observe` samples it.

use x11rb::connection::Connection;
use x11rb::protocol::present::{self, ConnectionExt as _};
use x11rb::protocol::xproto::{AtomEnum, PixmapWrapper, PropMode};
use x11rb::rust_connection::RustConnection;
use x11rb::wrapper::ConnectionExt as _;
use zcx_producer::transport::dri3::{send_pixmap_from_buffer, BufferLayout};
use zcx_producer::transport::gbm::{GbmBo, GbmDevice};
use zcx_testkit::TestWindow;
use zcx_x11::stamp::Stamp;

/// A pixmap and the buffer object behind it; field order is drop order.
struct Slot<'c> {
    pixmap: PixmapWrapper<&'c RustConnection>,
    bo: GbmBo,
}

/// A window fed through DRI3 pixmaps that never waits for the server to let go of a buffer.
/// Field order is drop order: pixmaps and buffers, the device, then the window.
pub struct BrokenDri3Client<'c> {
    conn: &'c RustConnection,
    slots: Vec<Slot<'c>>,
    _device: GbmDevice,
    window: TestWindow<'c, RustConnection>,
    width: usize,
    height: usize,
}

impl<'c> BrokenDri3Client<'c> {
    /// A mapped `width`x`height` window at (0, 0) of `screen` with `buffers` dma-buf pixmaps.
    /// Panics on any X or GBM failure (a test helper on a DRI3 server).
    pub fn new(
        conn: &'c RustConnection,
        screen: usize,
        (width, height): (u16, u16),
        buffers: usize,
    ) -> Self {
        let window = TestWindow::new(conn, screen, 0, 0, width, height, 0);
        conn.change_property8(
            PropMode::REPLACE,
            window.id(),
            AtomEnum::WM_CLASS,
            AtomEnum::STRING,
            zcx_x11::identity::PRODUCER_WM_CLASS,
        )
        .expect("request")
        .check()
        .expect("setting WM_CLASS");
        let device_fd = x11rb::protocol::dri3::open(conn, window.id(), 0)
            .expect("request")
            .reply()
            .expect("DRI3Open")
            .device_fd;
        let device = GbmDevice::new(device_fd).expect("a GBM device on the DRI3 fd");
        let depth = conn.setup().roots[screen].root_depth;
        let slots = (0..buffers)
            .map(|_| new_slot(conn, &device, window.id(), (width, height), depth))
            .collect();
        Self {
            conn,
            slots,
            _device: device,
            window,
            width: usize::from(width),
            height: usize::from(height),
        }
    }

    /// Renders frame `frame` into buffer `frame % buffers`, whether or not the server still
    /// reads it: the top stamp, the rows, then the bottom stamp.
    pub fn render(&mut self, frame: u64) {
        let (w, h) = (self.width, self.height);
        let stamp = Stamp {
            frame,
            monotonic_ns: zcx_x11::stamp::monotonic_now_ns(),
        }
        .to_pixels();
        let rgb = (frame as u32).wrapping_mul(0x0004_1f53) & 0x00ff_ffff;
        let n = self.slots.len();
        let slot = &mut self.slots[frame as usize % n];
        let pixels = slot.bo.map_write().expect("gbm_bo_map");
        pixels[..stamp.len()].copy_from_slice(&stamp);
        pixels[stamp.len()..].fill(rgb);
        let last = w * (h - 1);
        pixels[last..last + stamp.len()].copy_from_slice(&stamp);
        slot.bo.unmap();
    }

    /// Presents buffer `frame % buffers` (no idle fence, and no wait for IdleNotify before
    /// the next render).
    pub fn present(&mut self, frame: u64) {
        let slot = &self.slots[frame as usize % self.slots.len()];
        self.conn
            .present_pixmap(
                self.window.id(),
                slot.pixmap.pixmap(),
                frame as u32,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                u32::from(present::Option::COPY | present::Option::ASYNC),
                0,
                0,
                0,
                &[],
            )
            .expect("PresentPixmap");
        self.conn.flush().expect("flush");
    }

    /// The X errors the server sent so far (none means every request was well formed: what
    /// the observer sees comes from the missing gating, not from a broken client).
    pub fn errors(&self) -> Vec<String> {
        let mut errors = Vec::new();
        while let Ok(Some(event)) = self.conn.poll_for_event() {
            if let x11rb::protocol::Event::Error(e) = event {
                errors.push(format!("{e:?}"));
            }
        }
        errors
    }
}

fn new_slot<'c>(
    conn: &'c RustConnection,
    device: &GbmDevice,
    window: u32,
    (width, height): (u16, u16),
    depth: u8,
) -> Slot<'c> {
    let mut bo = device
        .create_linear_bo(u32::from(width), u32::from(height))
        .expect("a linear buffer object");
    bo.map_write().expect("gbm_bo_map").fill(0);
    bo.unmap();
    let layout = BufferLayout {
        width,
        height,
        stride: bo.stride(),
        depth,
        modifier: None,
    };
    let id = conn.generate_id().expect("an id");
    send_pixmap_from_buffer(conn, id, window, &layout, bo.fd().expect("a dma-buf fd"))
        .expect("request")
        .check()
        .expect("PixmapFromBuffer");
    Slot {
        pixmap: PixmapWrapper::for_pixmap(conn, id),
        bo,
    }
}
