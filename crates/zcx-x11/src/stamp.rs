//! The public frame stamp: frame number and render-start time written into the first and last
//! pixel rows of every frame, so that observers outside the process can identify frames.
//!
//! # Format (version 1, stable: observers outside zcx read it)
//!
//! A 24-byte payload:
//!
//! | bytes  | content                                                         |
//! |--------|-----------------------------------------------------------------|
//! | 0..4   | ASCII `ZCX1`                                                    |
//! | 4..12  | frame number, u64 little-endian                                 |
//! | 12..20 | `CLOCK_MONOTONIC` nanoseconds when rendering began, u64 LE      |
//! | 20..24 | CRC-32 (IEEE, as zlib/PNG) of bytes 0..20, u32 little-endian    |
//!
//! Byte `i` is stored in pixel `i / 3`, channel `i % 3`, channels in the order R, G, B of a
//! `0x00RRGGBB` pixel (so byte 0 is bits 16..24 of pixel 0, byte 2 is bits 0..8). The eight
//! pixels are written at x = 0..8 of the first row and again of the last row. Bits 24..32 are
//! written as zero and ignored when reading. A torn frame shows as top ≠ bottom.

use thiserror::Error;

/// Pixels one stamp occupies in a row.
pub const STAMP_PIXELS: usize = 8;
/// Bytes in one stamp payload.
pub const STAMP_BYTES: usize = 24;

const MAGIC: [u8; 4] = *b"ZCX1";
const CRC_OFFSET: usize = 20;

/// What a frame carries: its number and when its rendering began.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// Frame number as counted by the producer.
    pub frame: u64,
    /// `CLOCK_MONOTONIC` time in nanoseconds when rendering of the frame began.
    pub monotonic_ns: u64,
}

/// Why a stamp could not be read.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum StampError {
    /// The frame (or pixel slice) is narrower than [`STAMP_PIXELS`], so it carries no stamp.
    #[error("frame is {width} px wide, a stamp needs {STAMP_PIXELS}")]
    TooNarrow { width: usize },
    /// The frame has no rows at all.
    #[error("frame has no rows, so it carries no stamp")]
    NoRows,
    /// The first four bytes are not `ZCX1`: not a zcx frame, or not the stamp row.
    #[error("no zcx stamp (magic is not ZCX1)")]
    BadMagic,
    /// The magic is right but the checksum is not: a damaged or partly written stamp.
    #[error("stamp checksum mismatch: stored {stored:#010x}, computed {computed:#010x}")]
    BadCrc { stored: u32, computed: u32 },
}

impl Stamp {
    /// The 24-byte payload of this stamp.
    pub fn encode(&self) -> [u8; STAMP_BYTES] {
        let mut bytes = [0u8; STAMP_BYTES];
        bytes[0..4].copy_from_slice(&MAGIC);
        bytes[4..12].copy_from_slice(&self.frame.to_le_bytes());
        bytes[12..20].copy_from_slice(&self.monotonic_ns.to_le_bytes());
        let crc = crc32fast::hash(&bytes[..CRC_OFFSET]);
        bytes[CRC_OFFSET..].copy_from_slice(&crc.to_le_bytes());
        bytes
    }

    /// Parses a 24-byte payload, checking magic and CRC.
    pub fn decode(bytes: &[u8; STAMP_BYTES]) -> Result<Stamp, StampError> {
        if bytes[0..4] != MAGIC {
            return Err(StampError::BadMagic);
        }
        let computed = crc32fast::hash(&bytes[..CRC_OFFSET]);
        let stored = u32::from_le_bytes([bytes[20], bytes[21], bytes[22], bytes[23]]);
        if stored != computed {
            return Err(StampError::BadCrc { stored, computed });
        }
        let mut frame = [0u8; 8];
        frame.copy_from_slice(&bytes[4..12]);
        let mut monotonic_ns = [0u8; 8];
        monotonic_ns.copy_from_slice(&bytes[12..20]);
        Ok(Stamp {
            frame: u64::from_le_bytes(frame),
            monotonic_ns: u64::from_le_bytes(monotonic_ns),
        })
    }

    /// The payload as eight `0x00RRGGBB` pixels.
    pub fn to_pixels(&self) -> [u32; STAMP_PIXELS] {
        let bytes = self.encode();
        let mut px = [0u32; STAMP_PIXELS];
        for (p, rgb) in px.iter_mut().zip(bytes.chunks_exact(3)) {
            *p = u32::from(rgb[0]) << 16 | u32::from(rgb[1]) << 8 | u32::from(rgb[2]);
        }
        px
    }

    /// Reads a stamp from the first eight pixels of `px`; bits 24..32 are ignored.
    pub fn from_pixels(px: &[u32]) -> Result<Stamp, StampError> {
        if px.len() < STAMP_PIXELS {
            return Err(StampError::TooNarrow { width: px.len() });
        }
        let mut bytes = [0u8; STAMP_BYTES];
        for (rgb, &p) in bytes.chunks_exact_mut(3).zip(px) {
            let [_, r, g, b] = p.to_be_bytes();
            rgb.copy_from_slice(&[r, g, b]);
        }
        Stamp::decode(&bytes)
    }

    /// Writes the stamp at x = 0..8 of the first and the last row of a row-major frame without
    /// padding. Frames narrower than [`STAMP_PIXELS`] or without rows get no stamp (nothing is
    /// written). With `height == 1` both rows are the same row.
    ///
    /// # Panics
    /// If `pixels` holds fewer than `width * height` pixels (a caller bug).
    pub fn write_frame(&self, pixels: &mut [u32], width: usize, height: usize) {
        if width < STAMP_PIXELS || height == 0 {
            return;
        }
        assert!(
            pixels.len() >= width * height,
            "frame buffer has {} pixels, {width}x{height} needs {}",
            pixels.len(),
            width * height
        );
        let px = self.to_pixels();
        let last = (height - 1) * width;
        pixels[..STAMP_PIXELS].copy_from_slice(&px);
        pixels[last..last + STAMP_PIXELS].copy_from_slice(&px);
    }
}

/// Reads the stamps of the first and last row of a row-major frame: `(top, bottom)`.
///
/// A frame whose buffer is shorter than `width * height` is read as far as it goes: a missing
/// last row reads as [`StampError::NoRows`].
pub fn read_frame(
    pixels: &[u32],
    width: usize,
    height: usize,
) -> (Result<Stamp, StampError>, Result<Stamp, StampError>) {
    if width < STAMP_PIXELS {
        let e = StampError::TooNarrow { width };
        return (Err(e.clone()), Err(e));
    }
    let row = |y: usize| -> Result<Stamp, StampError> {
        // A size whose rows lie past any buffer has no rows here (no overflow, no panic).
        let start = y.checked_mul(width).ok_or(StampError::NoRows)?;
        let end = start.checked_add(STAMP_PIXELS).ok_or(StampError::NoRows)?;
        match pixels.get(start..end) {
            Some(px) => Stamp::from_pixels(px),
            None => Err(StampError::NoRows),
        }
    };
    if height == 0 {
        return (Err(StampError::NoRows), Err(StampError::NoRows));
    }
    (row(0), row(height - 1))
}

/// `CLOCK_MONOTONIC` now, in nanoseconds: the clock stamps are written with.
pub fn monotonic_now_ns() -> u64 {
    use nix::time::{clock_gettime, ClockId};
    // CLOCK_MONOTONIC always exists on Linux; clock_gettime can only fail for an invalid
    // clock id or pointer, neither of which a caller controls.
    let ts = clock_gettime(ClockId::CLOCK_MONOTONIC).expect("CLOCK_MONOTONIC is always readable");
    let secs = u64::try_from(ts.tv_sec()).unwrap_or(0);
    let nanos = u64::try_from(ts.tv_nsec()).unwrap_or(0);
    secs * 1_000_000_000 + nanos
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOLDEN: Stamp = Stamp {
        frame: 0x0102_0304_0506_0708,
        monotonic_ns: 1_234_567_890_123,
    };

    #[test]
    fn round_trip_bytes_and_pixels() {
        for stamp in [
            GOLDEN,
            Stamp {
                frame: 0,
                monotonic_ns: 0,
            },
            Stamp {
                frame: u64::MAX,
                monotonic_ns: u64::MAX,
            },
        ] {
            assert_eq!(Stamp::decode(&stamp.encode()), Ok(stamp));
            assert_eq!(Stamp::from_pixels(&stamp.to_pixels()), Ok(stamp));
        }
    }

    #[test]
    fn golden_vector() {
        // Fixed forever: changing these values changes the public format. The CRC was computed
        // independently with Python's zlib.crc32.
        assert_eq!(
            GOLDEN.encode(),
            [
                b'Z', b'C', b'X', b'1', 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0xcb, 0x04,
                0xfb, 0x71, 0x1f, 0x01, 0x00, 0x00, 0x68, 0x3b, 0xc2, 0xbb,
            ]
        );
        assert_eq!(
            GOLDEN.to_pixels(),
            [
                0x005a_4358,
                0x0031_0807,
                0x0006_0504,
                0x0003_0201,
                0x00cb_04fb,
                0x0071_1f01,
                0x0000_0068,
                0x003b_c2bb,
            ]
        );
    }

    #[test]
    fn high_byte_is_ignored() {
        let px = GOLDEN.to_pixels().map(|p| p | 0xff00_0000);
        assert_eq!(Stamp::from_pixels(&px), Ok(GOLDEN));
    }

    #[test]
    fn corrupt_crc_and_payload_are_rejected() {
        let mut bytes = GOLDEN.encode();
        bytes[23] ^= 0x80;
        assert!(matches!(
            Stamp::decode(&bytes),
            Err(StampError::BadCrc { .. })
        ));
        let mut px = GOLDEN.to_pixels();
        px[2] ^= 0x10; // a bit of the frame number
        assert!(matches!(
            Stamp::from_pixels(&px),
            Err(StampError::BadCrc { .. })
        ));
    }

    #[test]
    fn bad_magic_is_rejected() {
        let mut bytes = GOLDEN.encode();
        bytes[3] = b'2';
        assert_eq!(Stamp::decode(&bytes), Err(StampError::BadMagic));
        assert_eq!(Stamp::from_pixels(&[0; 8]), Err(StampError::BadMagic));
    }

    #[test]
    fn narrow_frames_get_no_stamp() {
        assert_eq!(
            Stamp::from_pixels(&[0; 7]),
            Err(StampError::TooNarrow { width: 7 })
        );
        let mut frame = vec![0x00ab_cdefu32; 7 * 3];
        GOLDEN.write_frame(&mut frame, 7, 3);
        assert!(frame.iter().all(|&p| p == 0x00ab_cdef));
        let (top, bottom) = read_frame(&frame, 7, 3);
        assert_eq!(top, Err(StampError::TooNarrow { width: 7 }));
        assert_eq!(bottom, Err(StampError::TooNarrow { width: 7 }));
    }

    #[test]
    fn writes_first_and_last_row_only() {
        let (w, h) = (10, 4);
        let mut frame = vec![0u32; w * h];
        GOLDEN.write_frame(&mut frame, w, h);
        assert_eq!(read_frame(&frame, w, h), (Ok(GOLDEN), Ok(GOLDEN)));
        let px = GOLDEN.to_pixels();
        assert_eq!(frame[..8], px);
        assert_eq!(frame[30..38], px);
        assert!(frame[8..30].iter().all(|&p| p == 0));
        assert!(frame[38..].iter().all(|&p| p == 0));
    }

    #[test]
    fn torn_frame_shows_different_stamps() {
        let (w, h) = (8, 2);
        let mut frame = vec![0u32; w * h];
        GOLDEN.write_frame(&mut frame, w, h);
        let next = Stamp {
            frame: GOLDEN.frame + 1,
            ..GOLDEN
        };
        frame[..8].copy_from_slice(&next.to_pixels());
        assert_eq!(read_frame(&frame, w, h), (Ok(next), Ok(GOLDEN)));
    }

    #[test]
    fn height_one_has_one_shared_row() {
        let mut frame = vec![0u32; 8];
        GOLDEN.write_frame(&mut frame, 8, 1);
        assert_eq!(read_frame(&frame, 8, 1), (Ok(GOLDEN), Ok(GOLDEN)));
    }

    #[test]
    fn empty_frames_read_as_no_rows() {
        let mut frame: Vec<u32> = Vec::new();
        GOLDEN.write_frame(&mut frame, 8, 0);
        assert_eq!(
            read_frame(&frame, 8, 0),
            (Err(StampError::NoRows), Err(StampError::NoRows))
        );
        // A buffer shorter than width * height: the last row is missing.
        let frame = GOLDEN.to_pixels();
        assert_eq!(
            read_frame(&frame, 8, 2),
            (Ok(GOLDEN), Err(StampError::NoRows))
        );
    }

    #[test]
    fn monotonic_clock_moves_forward() {
        let a = monotonic_now_ns();
        let b = monotonic_now_ns();
        assert!(a > 0 && b >= a);
    }
}
