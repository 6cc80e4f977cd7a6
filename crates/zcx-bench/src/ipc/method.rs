//! The closed set of ways a frame travels in `zcx ipc`: their CLI names, the label the report
//! shows, and the sizes each implies (bytes per read/write call, kernel buffer asked for).

use std::str::FromStr;

use super::error::IpcError;

/// How a frame travels to the peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpcMethod {
    /// The seed's model: a UNIX socketpair whose kernel buffer is set to `bytes` (SO_SNDBUF on
    /// the writing end, SO_RCVBUF on the reading end), written and read in pieces of `bytes`.
    Socket { bytes: usize },
    /// Writes and reads of `bytes` into the socketpair's default kernel buffer: the size of the
    /// calls alone, not of the buffer.
    SocketWrite { bytes: usize },
    /// Rendered in place in a sealed memfd both processes map; eventfd both ways.
    Memfd,
}

impl IpcMethod {
    /// What `zcx ipc` runs by default: the seed's buffer at four sizes, the 512-byte calls into
    /// the default buffer for contrast, then the shared buffer.
    pub const DEFAULT: [IpcMethod; 6] = [
        IpcMethod::Socket { bytes: 512 },
        IpcMethod::Socket { bytes: 4096 },
        IpcMethod::Socket { bytes: 65536 },
        IpcMethod::Socket { bytes: 1 << 20 },
        IpcMethod::SocketWrite { bytes: 512 },
        IpcMethod::Memfd,
    ];

    /// The CLI and report name.
    pub fn name(self) -> String {
        match self {
            IpcMethod::Socket { bytes } => format!("socket-{}", size_name(bytes)),
            IpcMethod::SocketWrite { bytes } => format!("socket-write-{}", size_name(bytes)),
            IpcMethod::Memfd => "memfd".to_owned(),
        }
    }

    /// The name with what it means, where the name alone could mislead.
    pub fn label(self) -> String {
        match self {
            IpcMethod::SocketWrite { .. } => format!("{} (default kernel buffer)", self.name()),
            _ => self.name(),
        }
    }

    /// Bytes per write and per read call on the socket; `None` for the shared buffer.
    pub fn piece_bytes(self) -> Option<usize> {
        match self {
            IpcMethod::Socket { bytes } | IpcMethod::SocketWrite { bytes } => Some(bytes),
            IpcMethod::Memfd => None,
        }
    }

    /// The kernel socket buffer to ask for; `None` leaves the kernel's default.
    pub fn requested_buffer_bytes(self) -> Option<usize> {
        match self {
            IpcMethod::Socket { bytes } => Some(bytes),
            IpcMethod::SocketWrite { .. } | IpcMethod::Memfd => None,
        }
    }
}

fn size_name(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{}m", b >> 20),
        b if b >= 1024 && b % 1024 == 0 => format!("{}k", b >> 10),
        b => b.to_string(),
    }
}

/// `512`, `4k`, `1m`: a positive byte count.
fn parse_size(size: &str) -> Option<usize> {
    let (digits, unit) = match size.as_bytes().last() {
        Some(b'k') => (&size[..size.len() - 1], 1024),
        Some(b'm') => (&size[..size.len() - 1], 1 << 20),
        _ => (size, 1),
    };
    let n: usize = digits.parse().ok()?;
    n.checked_mul(unit).filter(|&b| b > 0)
}

impl FromStr for IpcMethod {
    type Err = IpcError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "memfd" {
            return Ok(IpcMethod::Memfd);
        }
        let method = if let Some(size) = s.strip_prefix("socket-write-") {
            parse_size(size).map(|bytes| IpcMethod::SocketWrite { bytes })
        } else {
            let size = s.strip_prefix("socket-").unwrap_or("");
            parse_size(size).map(|bytes| IpcMethod::Socket { bytes })
        };
        method.ok_or_else(|| IpcError::UnknownMethod(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_names_round_trip() {
        for m in IpcMethod::DEFAULT {
            assert_eq!(m.name().parse::<IpcMethod>().unwrap(), m);
        }
        assert_eq!(IpcMethod::DEFAULT[0].name(), "socket-512");
        assert_eq!(IpcMethod::DEFAULT[3].name(), "socket-1m");
        assert_eq!(
            "socket-write-4k".parse::<IpcMethod>().unwrap(),
            IpcMethod::SocketWrite { bytes: 4096 }
        );
        for bad in [
            "socket-0",
            "pipe",
            "socket-xk",
            "socket-",
            "socket-write-",
            "memfd-1",
        ] {
            assert!(bad.parse::<IpcMethod>().is_err(), "{bad}");
        }
    }

    #[test]
    fn only_the_seeds_buffer_is_sized_and_the_other_is_labelled() {
        let seed = IpcMethod::Socket { bytes: 512 };
        let calls = IpcMethod::SocketWrite { bytes: 512 };
        assert_eq!(seed.requested_buffer_bytes(), Some(512));
        assert_eq!(calls.requested_buffer_bytes(), None);
        assert_eq!(seed.piece_bytes(), calls.piece_bytes());
        assert_eq!(calls.label(), "socket-write-512 (default kernel buffer)");
        assert_eq!(IpcMethod::Memfd.piece_bytes(), None);
    }
}
