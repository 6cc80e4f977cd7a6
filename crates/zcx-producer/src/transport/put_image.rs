//! `put-image`: the frame goes through the X socket as core PutImage requests, split into row
//! bands that fit the server's maximum request length (BIG-REQUESTS where the server has it).
//! The server reads every pixel from the socket and then blits it: two copies and a lot of
//! context switches. A property fence after the last band reports when the server is done.

use std::time::Instant;

use x11rb::connection::Connection;
use x11rb::protocol::xproto::{Atom, ConnectionExt as _, ImageFormat};
use x11rb::protocol::Event;

use super::error::TransportError;
use super::fence::PropertyFence;
use super::mode::Mode;
use super::role::{Completion, FrameTransport, Target};

/// Bytes of a PutImage request before its pixel data, with the BIG-REQUESTS length field.
pub const PUT_IMAGE_HEADER_BYTES: usize = 28;

/// Frames allowed in flight (sent but not yet processed by the server). One, so that the time
/// until the server is done is measured per frame, like the classic PutImage-and-round-trip.
const MAX_IN_FLIGHT: usize = 1;

/// One PutImage request: rows `y .. y + rows` of the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowChunk {
    pub y: u32,
    pub rows: u32,
}

/// Splits `height` rows of `stride_bytes` each into the fewest requests of at most
/// `max_request_bytes`. Fails when not even one row fits.
pub fn row_chunks(
    height: u32,
    stride_bytes: usize,
    max_request_bytes: usize,
) -> Result<Vec<RowChunk>, TransportError> {
    let room = max_request_bytes.saturating_sub(PUT_IMAGE_HEADER_BYTES);
    let rows_per_request = (room / stride_bytes.max(1)).min(u16::MAX as usize) as u32;
    if rows_per_request == 0 {
        return Err(TransportError::Unsupported(format!(
            "one row of the frame ({stride_bytes} bytes) does not fit in the server's maximum \
             request of {max_request_bytes} bytes; use a narrower --size"
        )));
    }
    Ok((0..height)
        .step_by(rows_per_request as usize)
        .map(|y| RowChunk {
            y,
            rows: rows_per_request.min(height - y),
        })
        .collect())
}

/// The client-side frame: a private anonymous mapping readied as the shared paths' segments
/// are (`zcx_x11::shm::prepare_frame_memory`: huge pages asked for, pre-faulted). With
/// Debian's defaults this anonymous memory gets huge pages and the shared segments do not
/// (README "What bounds the end-to-end ratio").
struct FrameBuffer {
    map: memmap2::MmapMut,
}

impl FrameBuffer {
    fn new(pixels: usize) -> Result<FrameBuffer, TransportError> {
        let bytes = pixels * 4;
        let mut map = memmap2::MmapOptions::new()
            .len(bytes)
            .map_anon()
            .map_err(|e| {
                TransportError::Unsupported(format!("cannot map a {bytes}-byte frame buffer: {e}"))
            })?;
        zcx_x11::shm::prepare_frame_memory(&mut map);
        Ok(FrameBuffer { map })
    }

    fn pixels(&self) -> &[u32] {
        bytemuck::cast_slice(&self.map[..])
    }

    fn pixels_mut(&mut self) -> &mut [u32] {
        bytemuck::cast_slice_mut(&mut self.map[..])
    }
}

/// Core PutImage from a client-side buffer.
pub struct PutImageTransport<'c, C: Connection> {
    conn: &'c C,
    target: Target,
    chunks: Vec<RowChunk>,
    buffer: FrameBuffer,
    fence: PropertyFence,
}

impl<'c, C: Connection> PutImageTransport<'c, C> {
    pub fn new(
        conn: &'c C,
        target: Target,
        max_request_bytes: usize,
        fence_atom: Atom,
    ) -> Result<Self, TransportError> {
        let stride = target.format.stride_bytes(target.width);
        if stride != target.width as usize * 4 {
            return Err(TransportError::Unsupported(format!(
                "the server pads rows to {stride} bytes; put-image sends unpadded 32-bit rows"
            )));
        }
        let chunks = row_chunks(target.height, stride, max_request_bytes)?;
        log::info!(
            "put-image: {} request(s) per frame (maximum request {} bytes)",
            chunks.len(),
            max_request_bytes
        );
        Ok(PutImageTransport {
            conn,
            target,
            chunks,
            buffer: FrameBuffer::new(target.frame_pixels())?,
            fence: PropertyFence::new(target.window, fence_atom),
        })
    }
}

impl<C: Connection> FrameTransport for PutImageTransport<'_, C> {
    fn mode(&self) -> Mode {
        Mode::PutImage
    }

    fn acquire(&mut self) -> Option<usize> {
        // The pixels are copied into the socket during submit, so the one buffer is free
        // again at once; the limit only keeps the server from falling behind unboundedly.
        (self.fence.pending() < MAX_IN_FLIGHT).then_some(0)
    }

    fn pixels(&mut self, _buffer: usize) -> Result<&mut [u32], TransportError> {
        Ok(self.buffer.pixels_mut())
    }

    fn submit(&mut self, _buffer: usize, frame: u64) -> Result<(), TransportError> {
        let width = self.target.width as usize;
        for chunk in &self.chunks {
            let start = chunk.y as usize * width;
            let end = start + chunk.rows as usize * width;
            let data: &[u8] = bytemuck::cast_slice(&self.buffer.pixels()[start..end]);
            self.conn.put_image(
                ImageFormat::Z_PIXMAP,
                self.target.window,
                self.target.gc,
                self.target.width as u16,
                chunk.rows as u16,
                0,
                chunk.y as i16,
                0,
                self.target.format.depth,
                data,
            )?;
        }
        self.fence.send(self.conn, frame)?;
        self.conn.flush()?;
        Ok(())
    }

    fn handle_event(
        &mut self,
        event: &Event,
        at: Instant,
        completions: &mut Vec<Completion>,
    ) -> bool {
        match self.fence.handle_event(event, at) {
            Some(done) => {
                completions.push(done);
                true
            }
            None => false,
        }
    }

    fn in_flight(&self) -> usize {
        self.fence.pending()
    }

    fn frame_memory(&self) -> Vec<std::ops::Range<usize>> {
        std::iter::once(zcx_x11::pages::address_range(&self.buffer.map)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_4k_at_xvfb_limit_like_the_server_needs() {
        let chunks = row_chunks(2160, 3840 * 4, 16_777_212).unwrap();
        assert_eq!(
            chunks,
            vec![
                RowChunk { y: 0, rows: 1092 },
                RowChunk {
                    y: 1092,
                    rows: 1068
                }
            ]
        );
    }

    #[test]
    fn follows_a_lowered_limit_and_covers_every_row() {
        let chunks = row_chunks(2160, 3840 * 4, 1_000_000).unwrap();
        assert!(chunks
            .iter()
            .all(|c| c.rows as usize * 3840 * 4 + PUT_IMAGE_HEADER_BYTES <= 1_000_000));
        assert_eq!(chunks.iter().map(|c| c.rows).sum::<u32>(), 2160);
        for pair in chunks.windows(2) {
            assert_eq!(pair[0].y + pair[0].rows, pair[1].y);
        }
    }

    #[test]
    fn one_row_too_wide_is_an_error_not_a_panic() {
        assert!(row_chunks(3, 4097 * 4, 1000).is_err());
        assert_eq!(row_chunks(3, 4097 * 4, 262_140).unwrap().len(), 1);
        assert_eq!(
            row_chunks(1, 4, 262_140).unwrap(),
            vec![RowChunk { y: 0, rows: 1 }]
        );
    }
}
