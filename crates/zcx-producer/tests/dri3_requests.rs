//! Request shapes (tier 2) of the dri3 transport's buffer sharing, against a recording fake
//! connection: PixmapFromBuffers (DRI3 1.2, with a modifier) and PixmapFromBuffer (DRI3 1.0)
//! carry the buffer's layout and exactly one fd. The GBM allocation is not involved, so this
//! runs without a GPU.

use std::os::fd::OwnedFd;

use zcx_producer::transport::dri3::{send_pixmap_from_buffer, BufferLayout};
use zcx_testkit::recording::{Recorded, RecordingConnection};

const WINDOW: u32 = 0x40_0001;
const PIXMAP: u32 = 0x20_0007;
const PIXMAP_FROM_BUFFER: u8 = 2;
const PIXMAP_FROM_BUFFERS: u8 = 7;
const MOD_LINEAR: u64 = 0;

fn u16_at(b: &[u8], i: usize) -> u16 {
    u16::from_ne_bytes([b[i], b[i + 1]])
}
fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_ne_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}
fn u64_at(b: &[u8], i: usize) -> u64 {
    u64::from(u32_at(b, i)) | u64::from(u32_at(b, i + 4)) << 32
}

/// A stand-in for a dma-buf fd: the request only carries it.
fn some_fd() -> OwnedFd {
    std::fs::File::open("/dev/null").expect("/dev/null").into()
}

fn layout(modifier: Option<u64>) -> BufferLayout {
    BufferLayout {
        width: 3840,
        height: 2160,
        stride: 3840 * 4,
        depth: 24,
        modifier,
    }
}

fn send_one(modifier: Option<u64>) -> (RecordingConnection, Recorded) {
    let conn = RecordingConnection::new(16_777_212, &["DRI3"]);
    let cookie = send_pixmap_from_buffer(&conn, PIXMAP, WINDOW, &layout(modifier), some_fd())
        .expect("the request is sent");
    cookie.check().expect("the fake reports no error");
    let mut requests = conn.take();
    assert_eq!(requests.len(), 1, "one request per buffer: {requests:?}");
    let r = requests.remove(0);
    assert_eq!(Some(r.major), conn.major_opcode("DRI3"), "a DRI3 request");
    assert_eq!(r.fds, 1, "exactly the buffer's fd goes with it");
    (conn, r)
}

#[test]
fn pixmap_from_buffers_carries_one_plane_and_the_modifier() {
    let (_conn, r) = send_one(Some(MOD_LINEAR));
    let b = &r.bytes;
    assert_eq!(r.minor, PIXMAP_FROM_BUFFERS);
    assert_eq!(b.len(), 64, "fixed size, no payload");
    assert_eq!(usize::from(u16_at(b, 2)) * 4, b.len(), "length field");
    assert_eq!(u32_at(b, 4), PIXMAP);
    assert_eq!(u32_at(b, 8), WINDOW);
    assert_eq!(b[12], 1, "num_buffers");
    assert_eq!((u16_at(b, 16), u16_at(b, 18)), (3840, 2160), "size");
    assert_eq!((u32_at(b, 20), u32_at(b, 24)), (3840 * 4, 0), "plane 0");
    for plane in 1..4 {
        let at = 20 + 8 * plane;
        assert_eq!((u32_at(b, at), u32_at(b, at + 4)), (0, 0), "plane {plane}");
    }
    assert_eq!((b[52], b[53]), (24, 32), "depth, bpp");
    assert_eq!(u64_at(b, 56), MOD_LINEAR, "modifier");
}

#[test]
fn pixmap_from_buffers_passes_an_invalid_modifier_through() {
    let invalid = 0x00ff_ffff_ffff_ffff;
    let (_conn, r) = send_one(Some(invalid));
    assert_eq!(u64_at(&r.bytes, 56), invalid);
}

#[test]
fn pixmap_from_buffer_carries_size_and_a_16_bit_stride() {
    let (_conn, r) = send_one(None);
    let b = &r.bytes;
    assert_eq!(r.minor, PIXMAP_FROM_BUFFER);
    assert_eq!(b.len(), 24, "fixed size, no payload");
    assert_eq!(usize::from(u16_at(b, 2)) * 4, b.len(), "length field");
    assert_eq!(u32_at(b, 4), PIXMAP);
    assert_eq!(u32_at(b, 8), WINDOW);
    assert_eq!(u32_at(b, 12), 3840 * 4 * 2160, "buffer size");
    assert_eq!((u16_at(b, 16), u16_at(b, 18)), (3840, 2160), "size");
    assert_eq!(u16_at(b, 20), 3840 * 4, "stride");
    assert_eq!((b[22], b[23]), (24, 32), "depth, bpp");
}
