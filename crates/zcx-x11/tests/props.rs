//! Property tests of the parsers of what other clients write: the frame stamp (24 bytes, or
//! eight pixels of a frame) and the handoff messages (five 32-bit words of a ClientMessage).
//! Any input either parses to a value that encodes back to it or is refused; none panics.

use proptest::prelude::*;
use zcx_x11::handoff::{DecodeError, DoneMessage, DoneStatus, FrameMessage, VERSION};
use zcx_x11::stamp::{read_frame, Stamp, StampError, STAMP_BYTES, STAMP_PIXELS};

fn stamp() -> impl Strategy<Value = Stamp> {
    (any::<u64>(), any::<u64>()).prop_map(|(frame, monotonic_ns)| Stamp {
        frame,
        monotonic_ns,
    })
}

fn status() -> impl Strategy<Value = DoneStatus> {
    prop_oneof![
        Just(DoneStatus::Shown),
        Just(DoneStatus::Released),
        Just(DoneStatus::Refused)
    ]
}

/// Words that are a message of this version more often than uniform random words would be.
fn words() -> impl Strategy<Value = [u32; 5]> {
    (
        prop_oneof![Just(VERSION), any::<u32>()],
        prop_oneof![Just(0u32), any::<u32>()],
        any::<u32>(),
        any::<u32>(),
        prop_oneof![1..4u32, any::<u32>()],
    )
        .prop_map(|(v, w, p, s, st)| [v, w, p, s, st])
}

proptest! {
    #[test]
    fn a_stamp_survives_bytes_and_pixels(s in stamp(), high in any::<[u8; STAMP_PIXELS]>()) {
        prop_assert_eq!(Stamp::decode(&s.encode()), Ok(s));
        // Bits 24..32 of the pixels (alpha or padding) never matter.
        let px: Vec<u32> = s
            .to_pixels()
            .iter()
            .zip(high)
            .map(|(p, h)| p | u32::from(h) << 24)
            .collect();
        prop_assert_eq!(Stamp::from_pixels(&px), Ok(s));
    }

    #[test]
    fn any_24_bytes_are_a_stamp_that_encodes_back_or_refused(
        mut bytes in any::<[u8; STAMP_BYTES]>(),
        magic in any::<bool>(),
    ) {
        if magic {
            bytes[..4].copy_from_slice(b"ZCX1");
        }
        match Stamp::decode(&bytes) {
            Ok(s) => prop_assert_eq!(s.encode(), bytes),
            Err(StampError::BadMagic) => prop_assert!(&bytes[..4] != b"ZCX1"),
            Err(StampError::BadCrc { stored, computed }) => prop_assert_ne!(stored, computed),
            Err(e) => prop_assert!(false, "24 bytes refused as {e}"),
        }
    }

    #[test]
    fn a_flipped_bit_is_refused(s in stamp(), bit in 0..STAMP_BYTES * 8) {
        let mut bytes = s.encode();
        bytes[bit / 8] ^= 1 << (bit % 8);
        prop_assert!(Stamp::decode(&bytes).is_err());
    }

    #[test]
    fn random_pixels_never_panic(px in prop::collection::vec(any::<u32>(), 0..20)) {
        match Stamp::from_pixels(&px) {
            Ok(s) => prop_assert_eq!(&s.to_pixels()[..], &px[..STAMP_PIXELS].iter().map(|p| p & 0x00ff_ffff).collect::<Vec<_>>()[..]),
            Err(StampError::TooNarrow { width }) => prop_assert!(width < STAMP_PIXELS && width == px.len()),
            Err(_) => {}
        }
    }

    #[test]
    fn frames_of_any_x_size_read_back_or_are_refused(
        s in stamp(),
        width in 0..2000usize,
        height in 0..40usize,
        short_by in prop_oneof![Just(0usize), 0..100usize],
    ) {
        let len = width * height;
        let mut frame = vec![0u32; len];
        s.write_frame(&mut frame, width, height);
        frame.truncate(len.saturating_sub(short_by));
        let (top, bottom) = read_frame(&frame, width, height);
        if width < STAMP_PIXELS {
            prop_assert_eq!(top, Err(StampError::TooNarrow { width }));
        } else if height == 0 {
            prop_assert_eq!(top, Err(StampError::NoRows));
        } else {
            prop_assert_eq!(top.is_ok(), frame.len() >= STAMP_PIXELS);
            if short_by == 0 {
                prop_assert_eq!((top, bottom), (Ok(s), Ok(s)));
            }
        }
    }

    /// Any size, X's 16-bit ones and absurd ones alike; the buffer may be any length (a short
    /// or damaged read).
    #[test]
    fn reading_random_buffers_of_any_size_never_panics(
        px in prop::collection::vec(any::<u32>(), 0..64),
        width in prop_oneof![any::<u16>().prop_map(usize::from), any::<usize>()],
        height in prop_oneof![any::<u16>().prop_map(usize::from), any::<usize>()],
    ) {
        let (top, _) = read_frame(&px, width, height);
        if let Ok(s) = top {
            prop_assert_eq!(Stamp::from_pixels(&px), Ok(s));
        }
    }

    #[test]
    fn handoff_messages_round_trip(
        window in 1..=u32::MAX,
        pixmap in any::<u32>(),
        serial in any::<u32>(),
        status in status(),
    ) {
        let frame = FrameMessage { window, pixmap, serial };
        prop_assert_eq!(FrameMessage::decode(frame.encode()), Ok(frame));
        let done = DoneMessage { window, pixmap, serial, status };
        prop_assert_eq!(DoneMessage::decode(done.encode()), Ok(done));
    }

    #[test]
    fn any_five_words_are_a_message_that_encodes_back_or_refused(w in words()) {
        match FrameMessage::decode(w) {
            // The fifth word is reserved: a message encodes it as zero.
            Ok(m) => prop_assert_eq!(&m.encode()[..4], &w[..4]),
            Err(DecodeError::Version(v)) => prop_assert!(v == w[0] && v != VERSION),
            Err(DecodeError::NoWindow) => prop_assert_eq!(w[1], 0),
            Err(e) => prop_assert!(false, "a frame message refused as {e}"),
        }
        match DoneMessage::decode(w) {
            Ok(m) => prop_assert_eq!(m.encode(), w),
            Err(DecodeError::Version(v)) => prop_assert!(v == w[0] && v != VERSION),
            Err(DecodeError::Status(s)) => prop_assert!(s == w[4] && !(1..=3).contains(&s)),
            Err(e) => prop_assert!(false, "a done message refused as {e}"),
        }
    }
}
