//! Pixel formats: the one frame format zcx moves (depth 24, 32 bits per pixel, 0x00RRGGBB in
//! the host's byte order) and the checks that the server's ZPixmap format matches it.

use x11rb::protocol::xproto::{ImageOrder, Screen, Setup, VisualClass, Visualid};

/// The depth of every frame zcx sends.
pub const FRAME_DEPTH: u8 = 24;
/// Bytes per pixel of a depth-24 ZPixmap at 32 bits per pixel.
pub const BYTES_PER_PIXEL: usize = 4;

/// Why the server's image format cannot carry our frames unconverted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FormatError {
    #[error("the X server has no depth-24 ZPixmap format at 32 bits per pixel (found {found}); zcx needs a 24/32 TrueColor server")]
    NoDepth24At32Bpp { found: String },
    #[error("the screen has no depth-24 TrueColor visual with 0xff0000/0xff00/0xff masks; run the X server at depth 24 (for Xvfb: -screen 0 WxHx24)")]
    NoTrueColorVisual,
    #[error("the X server's image byte order ({server:?}) differs from this machine's; zcx does not convert pixels")]
    ByteOrder { server: ImageOrder },
}

/// The frame format agreed with the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameFormat {
    pub visual: Visualid,
    pub depth: u8,
    pub bits_per_pixel: u8,
    pub scanline_pad_bits: u8,
}

impl FrameFormat {
    /// Finds the depth-24 TrueColor visual and its 32-bpp ZPixmap format on `screen`.
    pub fn for_screen(setup: &Setup, screen: &Screen) -> Result<FrameFormat, FormatError> {
        let native = if cfg!(target_endian = "little") {
            ImageOrder::LSB_FIRST
        } else {
            ImageOrder::MSB_FIRST
        };
        if setup.image_byte_order != native {
            return Err(FormatError::ByteOrder {
                server: setup.image_byte_order,
            });
        }
        let format = setup
            .pixmap_formats
            .iter()
            .find(|f| f.depth == FRAME_DEPTH && f.bits_per_pixel == 32)
            .ok_or_else(|| FormatError::NoDepth24At32Bpp {
                found: format!("{:?}", setup.pixmap_formats),
            })?;
        let visual = screen
            .allowed_depths
            .iter()
            .filter(|d| d.depth == FRAME_DEPTH)
            .flat_map(|d| d.visuals.iter())
            .find(|v| {
                v.class == VisualClass::TRUE_COLOR
                    && (v.red_mask, v.green_mask, v.blue_mask) == (0xff_0000, 0xff00, 0xff)
            })
            .ok_or(FormatError::NoTrueColorVisual)?;
        Ok(FrameFormat {
            visual: visual.visual_id,
            depth: FRAME_DEPTH,
            bits_per_pixel: format.bits_per_pixel,
            scanline_pad_bits: format.scanline_pad,
        })
    }

    /// Bytes from one row to the next for a frame `width_px` wide.
    pub fn stride_bytes(&self, width_px: u32) -> usize {
        let bits = width_px as usize * self.bits_per_pixel as usize;
        let pad = self.scanline_pad_bits.max(8) as usize;
        bits.div_ceil(pad) * pad / 8
    }

    /// Bytes of a whole frame.
    pub fn frame_bytes(&self, width_px: u32, height_px: u32) -> usize {
        self.stride_bytes(width_px) * height_px as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stride_follows_bits_per_pixel_and_pad() {
        let f = FrameFormat {
            visual: 0,
            depth: 24,
            bits_per_pixel: 32,
            scanline_pad_bits: 32,
        };
        assert_eq!(f.stride_bytes(1), 4);
        assert_eq!(f.stride_bytes(4097), 4097 * 4);
        assert_eq!(f.frame_bytes(3840, 2160), 33_177_600);
    }
}
