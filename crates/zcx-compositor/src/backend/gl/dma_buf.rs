//! EGL images of dma-bufs (EGL_EXT_image_dma_buf_import, with the format modifier where
//! EGL_EXT_image_dma_buf_import_modifiers is offered): what one single-plane buffer is
//! ([`DmaBuf`], as DRI3 BuffersFromPixmap describes it) and the attribute list that turns it
//! into a [`PixmapImage`]. EGL does not take the file descriptor: the caller closes it after
//! the image is made, and the image keeps the buffer.

use std::ffi::c_void;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::rc::Rc;

use super::egl_image::{EglImageApi, PixmapImage};

const EGL_LINUX_DMA_BUF_EXT: u32 = 0x3270;
const EGL_WIDTH: i32 = 0x3057;
const EGL_HEIGHT: i32 = 0x3056;
const EGL_LINUX_DRM_FOURCC_EXT: i32 = 0x3271;
const EGL_DMA_BUF_PLANE0_FD_EXT: i32 = 0x3272;
const EGL_DMA_BUF_PLANE0_OFFSET_EXT: i32 = 0x3273;
const EGL_DMA_BUF_PLANE0_PITCH_EXT: i32 = 0x3274;
const EGL_DMA_BUF_PLANE0_MODIFIER_LO_EXT: i32 = 0x3443;
const EGL_DMA_BUF_PLANE0_MODIFIER_HI_EXT: i32 = 0x3444;
const EGL_NONE: i32 = 0x3038;

/// DRM_FORMAT_MOD_INVALID: "the modifier is implicit" (what a server without modifiers sends).
pub const MOD_INVALID: u64 = 0x00ff_ffff_ffff_ffff;
/// DRM_FORMAT_MOD_LINEAR.
pub const MOD_LINEAR: u64 = 0;
/// DRM_FORMAT_XRGB8888 ('XR24'): depth 24 in 32 bits, X's 0x00RRGGBB.
pub const FOURCC_XRGB8888: u32 = u32::from_le_bytes(*b"XR24");
/// DRM_FORMAT_ARGB8888 ('AR24'): depth 32.
pub const FOURCC_ARGB8888: u32 = u32::from_le_bytes(*b"AR24");

/// One single-plane dma-buf and its layout.
#[derive(Clone, Copy, Debug)]
pub struct DmaBuf<'fd> {
    pub fd: BorrowedFd<'fd>,
    pub width: u32,
    pub height: u32,
    pub fourcc: u32,
    pub offset: u32,
    pub stride: u32,
    /// `MOD_INVALID` when the exporter names none.
    pub modifier: u64,
}

/// The attribute list for `buf`; the modifier is passed only when EGL takes modifiers and
/// the exporter named one. `Err` when the buffer has an explicit non-linear layout that EGL
/// cannot be told about.
pub fn attributes(buf: &DmaBuf, modifiers: bool) -> Result<Vec<i32>, String> {
    let mut attrs = vec![
        EGL_WIDTH,
        buf.width as i32,
        EGL_HEIGHT,
        buf.height as i32,
        EGL_LINUX_DRM_FOURCC_EXT,
        buf.fourcc as i32,
        EGL_DMA_BUF_PLANE0_FD_EXT,
        buf.fd.as_raw_fd(),
        EGL_DMA_BUF_PLANE0_OFFSET_EXT,
        buf.offset as i32,
        EGL_DMA_BUF_PLANE0_PITCH_EXT,
        buf.stride as i32,
    ];
    match (buf.modifier, modifiers) {
        (MOD_INVALID, _) | (MOD_LINEAR, false) => {}
        (m, true) => attrs.extend([
            EGL_DMA_BUF_PLANE0_MODIFIER_LO_EXT,
            m as u32 as i32,
            EGL_DMA_BUF_PLANE0_MODIFIER_HI_EXT,
            (m >> 32) as u32 as i32,
        ]),
        (m, false) => {
            return Err(format!(
                "the buffer has format modifier {m:#x} and the EGL display lacks \
                 EGL_EXT_image_dma_buf_import_modifiers"
            ))
        }
    }
    attrs.push(EGL_NONE);
    Ok(attrs)
}

impl EglImageApi {
    /// An EGL image of the dma-buf `buf`; `Err` says why EGL refused it.
    pub fn image_of_dma_buf(self: &Rc<Self>, buf: &DmaBuf) -> Result<PixmapImage, String> {
        self.dma_buf_images()?;
        let attrs = attributes(buf, self.modifiers)?;
        // SAFETY: a live EGL display, no context and no client buffer (required for
        // EGL_LINUX_DMA_BUF_EXT), an attribute list terminated by EGL_NONE whose fd is open
        // for the duration of the call (borrowed).
        let image = unsafe {
            (self.create)(
                self.display,
                std::ptr::null(),
                EGL_LINUX_DMA_BUF_EXT,
                std::ptr::null_mut::<c_void>(),
                attrs.as_ptr(),
            )
        };
        PixmapImage::adopt(self, image).ok_or_else(|| {
            format!(
                "eglCreateImageKHR refused the dma-buf ({}x{}, fourcc {:#x}, stride {}, \
                 modifier {:#x})",
                buf.width, buf.height, buf.fourcc, buf.stride, buf.modifier
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    fn buf(fd: BorrowedFd<'_>, modifier: u64) -> DmaBuf<'_> {
        DmaBuf {
            fd,
            width: 640,
            height: 360,
            fourcc: FOURCC_XRGB8888,
            offset: 0,
            stride: 2560,
            modifier,
        }
    }

    #[test]
    fn modifiers_are_passed_only_when_named_and_taken() {
        let stdin = std::io::stdin();
        let fd = stdin.as_fd();
        let plain = attributes(&buf(fd, MOD_INVALID), true).expect("implicit modifier");
        assert_eq!(plain.len(), 13, "six pairs and EGL_NONE: {plain:?}");
        assert_eq!(
            &plain[..6],
            &[EGL_WIDTH, 640, EGL_HEIGHT, 360, 0x3271, 0x3432_5258]
        );
        let linear = attributes(&buf(fd, MOD_LINEAR), false).expect("linear without the ext");
        assert_eq!(linear, plain);
        let tiled = attributes(&buf(fd, 0x0100_0000_0000_0001), true).expect("modifiers ext");
        assert_eq!(
            &tiled[12..],
            &[0x3443, 1, 0x3444, 0x0100_0000, EGL_NONE],
            "{tiled:?}"
        );
        let refused = attributes(&buf(fd, 0x0100_0000_0000_0001), false).unwrap_err();
        assert!(refused.contains("modifiers"), "{refused}");
    }
}
