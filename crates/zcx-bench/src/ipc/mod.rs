//! `zcx ipc`: the classic experiment without X. One frame at a time goes from this process to a
//! peer process (a re-exec of `zcx` with a hidden subcommand), either through a UNIX socketpair
//! whose kernel buffer is set to a size and that is written and read in pieces of that size (the
//! seed's "512b buffer"), or through a sealed memfd both map, with eventfd notification both
//! ways. Per method: the socket buffer asked for and what the kernel made of it, time per frame
//! (steady state), context switches, CPU and page faults per frame of each process, with the
//! first (warm-up) frames reported apart.
//!
//! Both consumers do the same work once a frame has arrived (check the frame number at both
//! ends, then read every byte once), so the difference is the transport alone.

mod error;
mod frame;
mod method;
mod os;
mod parent;
mod peer;
mod results;

pub use error::IpcError;
pub use method::IpcMethod;
pub use os::Usage;
pub use parent::{run_method, run_method_observed};
pub use peer::{run_peer, PeerArgs};
pub use results::{Edge, IpcConfig, MethodResult, SideResult, SocketBuffer, MIN_MEASURED_FRAMES};
