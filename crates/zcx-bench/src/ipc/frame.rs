//! The frame number stamped at both ends of every frame, and the consumer's check and read of
//! a frame (the same work for every method, so the difference is the transport alone).

use super::error::IpcError;

/// The frame number written at both ends of every frame.
pub(super) fn stamp_frame(buf: &mut [u8], frame: u64) {
    let n = buf.len();
    buf[..8].copy_from_slice(&frame.to_le_bytes());
    buf[n - 8..].copy_from_slice(&frame.to_le_bytes());
}

/// Checks both stamps, then reads every byte once; returns a checksum so the reads stay.
pub(super) fn consume_frame(buf: &[u8], frame: u64) -> Result<u64, IpcError> {
    let n = buf.len();
    for (end, range) in [("start", 0..8), ("end", n - 8..n)] {
        let mut word = [0u8; 8];
        word.copy_from_slice(&buf[range]);
        let found = u64::from_le_bytes(word);
        if found != frame {
            return Err(IpcError::BadFrame { frame, found, end });
        }
    }
    Ok(buf
        .chunks_exact(8)
        .map(|c| u64::from_ne_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
        .fold(0u64, u64::wrapping_add))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_checked_at_both_ends() {
        let mut buf = vec![0u8; 64];
        stamp_frame(&mut buf, 7);
        assert!(consume_frame(&buf, 7).is_ok());
        buf[60] ^= 1;
        assert!(matches!(
            consume_frame(&buf, 7),
            Err(IpcError::BadFrame { end: "end", .. })
        ));
        assert!(matches!(
            consume_frame(&buf, 8),
            Err(IpcError::BadFrame { end: "start", .. })
        ));
    }
}
