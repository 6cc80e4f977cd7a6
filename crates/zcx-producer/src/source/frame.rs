//! The frame a source renders into and the role every frame source plays.

/// A frame to render into: `width * height` pixels, row-major, no padding between rows.
/// Each pixel is `0x00RRGGBB` (depth 24, 32 bits per pixel, native byte order).
#[derive(Debug)]
pub struct FrameMut<'a> {
    pub pixels: &'a mut [u32],
    pub width: u32,
    pub height: u32,
}

/// A producer of animated frames.
pub trait FrameSource: Send {
    /// A short description for logs and the window title, e.g. `testcard` or `asset:demo.jpg`.
    fn describe(&self) -> String;

    /// How many threads render this source well: one where rendering is bound by memory
    /// bandwidth (more only add wake-ups), the cores where it is bound by arithmetic.
    fn threads(&self) -> usize {
        1
    }

    /// Renders frame `frame_number` into `frame`, writing every pixel.
    fn render(&mut self, frame_number: u64, frame: FrameMut<'_>);
}
