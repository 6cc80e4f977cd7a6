//! The zcx demo video-frame producer: frame sources, the transfer paths that move frames into
//! an X window (`FrameTransport`), per-frame statistics and the producer's event loop.

pub mod app;
pub mod cli;
mod event_loop;
pub mod outcome;
pub mod source;
pub mod stats;
pub mod transport;
pub mod window;
