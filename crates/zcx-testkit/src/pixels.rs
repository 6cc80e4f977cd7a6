//! Pixel reads for assertions: core `GetImage` in ZPixmap format, decoded to `0x00RRGGBB`.

use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ConnectionExt as _, ImageFormat, ImageOrder};

/// Reads one pixel of `drawable` as `0x00RRGGBB` (test helper; panics on X errors).
pub fn get_pixel(conn: &impl Connection, drawable: u32, x: i16, y: i16) -> u32 {
    get_rect(conn, drawable, x, y, 1, 1)[0]
}

/// Reads a `w`×`h` rectangle of `drawable`, row-major, each pixel as `0x00RRGGBB`.
///
/// Handles depth 24 and 32 at 32 bits per pixel in either image byte order; any other
/// layout panics with a message naming it (test helper).
pub fn get_rect(conn: &impl Connection, drawable: u32, x: i16, y: i16, w: u16, h: u16) -> Vec<u32> {
    let reply = (|| -> Result<_, x11rb::errors::ReplyError> {
        conn.get_image(ImageFormat::Z_PIXMAP, drawable, x, y, w, h, !0)?
            .reply()
    })()
    .unwrap_or_else(|e| {
        panic!("GetImage of drawable {drawable:#x} at {x},{y} size {w}x{h} failed: {e}")
    });
    let setup = conn.setup();
    let bpp = setup
        .pixmap_formats
        .iter()
        .find(|f| f.depth == reply.depth)
        .map(|f| f.bits_per_pixel);
    assert_eq!(
        bpp,
        Some(32),
        "get_rect supports 32 bits per pixel only; depth {} has {bpp:?}",
        reply.depth
    );
    let expected_bytes = usize::from(w) * usize::from(h) * 4;
    assert!(
        reply.data.len() >= expected_bytes,
        "GetImage returned {} bytes, expected {expected_bytes}",
        reply.data.len()
    );
    let lsb_first = setup.image_byte_order == ImageOrder::LSB_FIRST;
    reply.data[..expected_bytes]
        .chunks_exact(4)
        .map(|px| decode(px, lsb_first))
        .collect()
}

fn decode(px: &[u8], lsb_first: bool) -> u32 {
    let bytes = [px[0], px[1], px[2], px[3]];
    let v = if lsb_first {
        u32::from_le_bytes(bytes)
    } else {
        u32::from_be_bytes(bytes)
    };
    v & 0x00ff_ffff
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn decodes_both_orders_and_drops_alpha() {
        assert_eq!(decode(&[0x33, 0x22, 0x11, 0xff], true), 0x112233);
        assert_eq!(decode(&[0xff, 0x11, 0x22, 0x33], false), 0x112233);
    }
}
