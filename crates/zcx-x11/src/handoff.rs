//! The zcx frame handoff protocol (public, versioned; README "Frame handoff"): a producer hands
//! each presented shared pixmap straight to the compositing manager instead of asking the X
//! server to copy it into its redirected window, and the manager says when it has shown the
//! frame and when the pixmap may be rewritten. This is what X's Present `RedirectNotify` was
//! meant to give (no server implemented it), done between two clients with ordinary requests.
//!
//! This module owns the wire format only: atom names, the protocol version and the encoding of
//! the two client messages into the five 32-bit words of a ClientMessage. Who sends what, and
//! when, lives in the producer's `shm-pixmap` transport and the compositor's handoff module.
//!
//! - The manager advertises support with the property [`ADVERTISE_ATOM`] (CARDINAL/32, one
//!   word: the highest protocol version it speaks) on its `_NET_WM_CM_S<n>` selection window.
//! - The producer sends [`FrameMessage`]s (type [`FRAME_ATOM`]) to that selection window.
//! - The manager answers with [`DoneMessage`]s (type [`DONE_ATOM`]) sent to the producer's
//!   window with an empty event mask (delivered to the window's creator).

/// The protocol version this build speaks.
pub const VERSION: u32 = 1;
/// Property on the manager's selection window: the highest version it speaks.
pub const ADVERTISE_ATOM: &str = "_ZCX_HANDOFF";
/// ClientMessage type of a frame handed to the manager.
pub const FRAME_ATOM: &str = "_ZCX_HANDOFF_FRAME";
/// ClientMessage type of the manager's answer about one frame.
pub const DONE_ATOM: &str = "_ZCX_HANDOFF_DONE";

/// "Show `pixmap` as the contents of `window`" (serial: the producer's frame counter, low
/// 32 bits). Words: `[version, window, pixmap, serial, 0]`. A `pixmap` of 0 (None) withdraws:
/// the producer shows its frames in the window itself again, so the manager releases what it
/// holds and draws the window's own contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameMessage {
    pub window: u32,
    pub pixmap: u32,
    pub serial: u32,
}

/// What the manager did with a handed frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DoneStatus {
    /// Copied to the screen; the manager still holds the pixmap (it may repaint from it).
    Shown = 1,
    /// The manager will not read the pixmap again: the producer may rewrite it. Sent after
    /// the manager's last request that reads it, so the server has run those first.
    Released = 2,
    /// Not taken (unknown window, wrong size or depth, not redirected…): the pixmap was never
    /// read; the producer must present the frame itself.
    Refused = 3,
}

/// The manager's answer about one frame. Words: `[version, window, pixmap, serial, status]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DoneMessage {
    pub window: u32,
    pub pixmap: u32,
    pub serial: u32,
    pub status: DoneStatus,
}

/// Why five words are not a message of this version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("protocol version {0} (this build speaks {VERSION})")]
    Version(u32),
    #[error("unknown status {0}")]
    Status(u32),
    #[error("a zero window id")]
    NoWindow,
}

impl FrameMessage {
    /// The withdrawal of `window`'s frames.
    pub fn withdraw(window: u32) -> Self {
        Self {
            window,
            pixmap: 0,
            serial: 0,
        }
    }

    pub fn is_withdrawal(&self) -> bool {
        self.pixmap == 0
    }

    pub fn encode(&self) -> [u32; 5] {
        [VERSION, self.window, self.pixmap, self.serial, 0]
    }

    pub fn decode(words: [u32; 5]) -> Result<Self, DecodeError> {
        let [version, window, pixmap, serial, _] = words;
        if version != VERSION {
            return Err(DecodeError::Version(version));
        }
        if window == 0 {
            return Err(DecodeError::NoWindow);
        }
        Ok(Self {
            window,
            pixmap,
            serial,
        })
    }
}

impl DoneMessage {
    pub fn encode(&self) -> [u32; 5] {
        [
            VERSION,
            self.window,
            self.pixmap,
            self.serial,
            self.status as u32,
        ]
    }

    pub fn decode(words: [u32; 5]) -> Result<Self, DecodeError> {
        let [version, window, pixmap, serial, status] = words;
        if version != VERSION {
            return Err(DecodeError::Version(version));
        }
        let status = match status {
            1 => DoneStatus::Shown,
            2 => DoneStatus::Released,
            3 => DoneStatus::Refused,
            other => return Err(DecodeError::Status(other)),
        };
        Ok(Self {
            window,
            pixmap,
            serial,
            status,
        })
    }
}

/// Whether two resource ids were allocated by the same client: the server gives each client
/// its own id base, and `resource_id_mask` (from the connection setup) covers the bits a
/// client chooses. A window's contents may only come from its own client's pixmaps.
pub fn same_client(a: u32, b: u32, resource_id_mask: u32) -> bool {
    a & !resource_id_mask == b & !resource_id_mask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_round_trips_and_pins_the_layout() {
        let m = FrameMessage {
            window: 0x0140_0001,
            pixmap: 0x0140_0007,
            serial: 42,
        };
        assert_eq!(m.encode(), [1, 0x0140_0001, 0x0140_0007, 42, 0]);
        assert_eq!(FrameMessage::decode(m.encode()), Ok(m));
    }

    #[test]
    fn done_round_trips_every_status() {
        for status in [DoneStatus::Shown, DoneStatus::Released, DoneStatus::Refused] {
            let m = DoneMessage {
                window: 7,
                pixmap: 9,
                serial: u32::MAX,
                status,
            };
            assert_eq!(m.encode()[4], status as u32);
            assert_eq!(DoneMessage::decode(m.encode()), Ok(m));
        }
    }

    #[test]
    fn garbage_is_refused() {
        assert_eq!(
            FrameMessage::decode([2, 1, 1, 1, 0]),
            Err(DecodeError::Version(2))
        );
        assert_eq!(
            FrameMessage::decode([1, 0, 1, 1, 0]),
            Err(DecodeError::NoWindow)
        );
        let withdrawal = FrameMessage::decode([1, 5, 0, 0, 0]);
        assert_eq!(withdrawal, Ok(FrameMessage::withdraw(5)));
        assert!(withdrawal.is_ok_and(|m| m.is_withdrawal()));
        assert_eq!(
            DoneMessage::decode([1, 1, 1, 1, 0]),
            Err(DecodeError::Status(0))
        );
        assert_eq!(
            DoneMessage::decode([0, 1, 1, 1, 1]),
            Err(DecodeError::Version(0))
        );
    }

    #[test]
    fn same_client_compares_the_id_base() {
        let mask = 0x001f_ffff;
        assert!(same_client(0x0140_0001, 0x015f_ffff, mask));
        assert!(!same_client(0x0140_0001, 0x0160_0001, mask));
    }
}
