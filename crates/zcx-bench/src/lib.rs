//! The zcx front end as a library (the `zcx` binary is a thin command line over it): the IPC
//! experiment, the display probe, the screen observer, the report, and the demo/bench
//! orchestration of an X server, compositors and producers.

pub mod bench;
pub mod children;
pub mod demo;
pub mod ipc;
pub mod observer;
pub mod probe;
pub mod refusal;
pub mod report;
pub mod session;
pub mod stats;
pub mod tools;
pub mod xserver;
