//! Connecting to the X server over a socket that counts the bytes written to it, and knowing
//! what kind of connection it is (local UNIX socket or TCP) and which process serves it.

use std::io::IoSlice;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use x11rb::rust_connection::{DefaultStream, PollMode, RustConnection, Stream};
use x11rb::utils::RawFdContainer;
use x11rb_protocol::parse_display::parse_display;
use x11rb_protocol::xauth::{get_auth, Family};

/// The connection type every zcx client uses: x11rb's pure-Rust connection over [`CountingStream`].
pub type ZcxConnection = RustConnection<CountingStream>;

/// Errors while connecting to the X server.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("no X display given: set DISPLAY or pass --display (for example :0)")]
    NoDisplay,
    #[error("cannot parse the display name {0:?}: expected [host]:display[.screen], e.g. :0")]
    BadDisplayName(String),
    #[error("cannot reach the X server at {display:?}: {source}; is the server running, and may this user connect (xauth)?")]
    Unreachable {
        display: String,
        source: std::io::Error,
    },
    #[error("the X server at {display:?} refused the connection: {source}")]
    Handshake {
        display: String,
        source: x11rb::errors::ConnectError,
    },
}

/// How the client reaches the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SocketKind {
    /// A UNIX domain socket: fd passing and MIT-SHM can work.
    Local,
    /// TCP: no fd passing, MIT-SHM answers BadRequest, pixels always cross the network.
    Tcp,
}

/// A connected client: the connection plus what we learned while connecting.
pub struct Connected {
    pub conn: ZcxConnection,
    pub screen_num: usize,
    pub display: String,
    pub socket: SocketKind,
    /// Counter of every byte this client wrote to the X socket.
    pub bytes_written: Arc<AtomicU64>,
}

impl std::fmt::Debug for Connected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connected")
            .field("display", &self.display)
            .field("screen_num", &self.screen_num)
            .field("socket", &self.socket)
            .finish_non_exhaustive()
    }
}

/// Connects to `display`, or to `$DISPLAY` when `None`.
pub fn connect(display: Option<&str>) -> Result<Connected, ConnectError> {
    let name = match display {
        Some(d) => d.to_owned(),
        None => match std::env::var("DISPLAY") {
            Ok(d) if !d.is_empty() => d,
            _ => return Err(ConnectError::NoDisplay),
        },
    };
    let parsed =
        parse_display(Some(&name)).map_err(|_| ConnectError::BadDisplayName(name.clone()))?;
    let mut last_error = None;
    for addr in parsed.connect_instruction() {
        let (stream, (family, address)) = match DefaultStream::connect(&addr) {
            Ok(ok) => ok,
            Err(e) => {
                log::debug!("connecting to {addr:?} failed: {e}");
                last_error = Some(e);
                continue;
            }
        };
        let socket = if family == Family::LOCAL {
            SocketKind::Local
        } else {
            SocketKind::Tcp
        };
        let (auth_name, auth_data) = get_auth(family, &address, parsed.display)
            .ok()
            .flatten()
            .unwrap_or_default();
        let bytes_written = Arc::new(AtomicU64::new(0));
        let stream = CountingStream {
            inner: stream,
            bytes_written: Arc::clone(&bytes_written),
        };
        let screen_num = usize::from(parsed.screen);
        let conn = RustConnection::connect_to_stream_with_auth_info(
            stream, screen_num, auth_name, auth_data,
        )
        .map_err(|source| ConnectError::Handshake {
            display: name.clone(),
            source,
        })?;
        return Ok(Connected {
            conn,
            screen_num,
            display: name,
            socket,
            bytes_written,
        });
    }
    Err(ConnectError::Unreachable {
        display: name,
        source: last_error.unwrap_or_else(|| std::io::Error::other("no address to try")),
    })
}

/// x11rb's default socket, counting the bytes written through it.
#[derive(Debug)]
pub struct CountingStream {
    inner: DefaultStream,
    bytes_written: Arc<AtomicU64>,
}

impl CountingStream {
    fn count(&self, result: std::io::Result<usize>) -> std::io::Result<usize> {
        if let Ok(n) = result {
            self.bytes_written.fetch_add(n as u64, Ordering::Relaxed);
        }
        result
    }
}

impl Stream for CountingStream {
    fn poll(&self, mode: PollMode) -> std::io::Result<()> {
        self.inner.poll(mode)
    }

    fn read(&self, buf: &mut [u8], fd_storage: &mut Vec<RawFdContainer>) -> std::io::Result<usize> {
        self.inner.read(buf, fd_storage)
    }

    fn write(&self, buf: &[u8], fds: &mut Vec<RawFdContainer>) -> std::io::Result<usize> {
        self.count(self.inner.write(buf, fds))
    }

    fn write_vectored(
        &self,
        bufs: &[IoSlice<'_>],
        fds: &mut Vec<RawFdContainer>,
    ) -> std::io::Result<usize> {
        self.count(self.inner.write_vectored(bufs, fds))
    }
}

impl AsRawFd for CountingStream {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}

impl AsFd for CountingStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}
