//! X11 plumbing shared by every zcx program, with no GL: connecting (with a socket that counts
//! the bytes it writes), probing what the server can do, pixel formats, sealed memfd shared
//! memory segments, metrics of both sides of the socket, how much frame memory is on huge
//! pages, the public frame stamp, the frame handoff protocol's wire format, the producer
//! window's WM_CLASS and the one typed X error every crate wraps.

pub mod connection;
pub mod error;
pub mod format;
pub mod handoff;
pub mod identity;
pub mod message;
pub mod metrics;
pub mod pages;
pub mod probe;
pub mod shm;
pub mod stamp;

pub use connection::{connect, ConnectError, Connected, SocketKind, ZcxConnection};
pub use error::XError;
