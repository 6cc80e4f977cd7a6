//! The root window as a PNG: one GetImage of the whole screen, converted to RGB.

use std::path::Path;

use anyhow::Context as _;
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ConnectionExt as _, ImageFormat, ImageOrder};

/// Saves the screen of `screen_num` as `path` (PNG); returns (width, height).
pub fn save_root_png(
    conn: &impl Connection,
    screen_num: usize,
    path: &Path,
) -> anyhow::Result<(u32, u32)> {
    let setup = conn.setup();
    let screen = &setup.roots[screen_num];
    let (w, h) = (screen.width_in_pixels, screen.height_in_pixels);
    let reply = conn
        .get_image(ImageFormat::Z_PIXMAP, screen.root, 0, 0, w, h, !0)?
        .reply()
        .context("GetImage of the root window")?;
    let msb = setup.image_byte_order == ImageOrder::MSB_FIRST;
    let n = usize::from(w) * usize::from(h);
    anyhow::ensure!(
        reply.data.len() >= n * 4,
        "the screen is not 32 bits per pixel"
    );
    let mut rgb = Vec::with_capacity(n * 3);
    for px in reply.data.chunks_exact(4).take(n) {
        let b = [px[0], px[1], px[2], px[3]];
        let v = if msb {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        };
        rgb.extend_from_slice(&[(v >> 16) as u8, (v >> 8) as u8, v as u8]);
    }
    image::save_buffer(
        path,
        &rgb,
        u32::from(w),
        u32::from(h),
        image::ExtendedColorType::Rgb8,
    )
    .with_context(|| format!("writing {}", path.display()))?;
    Ok((u32::from(w), u32::from(h)))
}
