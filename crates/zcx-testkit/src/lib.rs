//! Dev-only test fixtures shared by every zcx integration test.
//!
//! Owns: the owner of every child process a test starts ([`ChildGuard`]), a headless X
//! server per test ([`Xvfb`], started with `-displayfd`, never a fixed
//! display number and never touching `DISPLAY`), RAII test windows ([`TestWindow`]), a
//! started producer's window ([`wait_for_producer_window`]),
//! pixel reads through core `GetImage` ([`get_pixel`], [`get_rect`]), deadline polling
//! ([`poll_until`]), the explicit `skipped: <reason>` convention ([`skipped`] with one of
//! [`Lacks`]), a fake connection that records requests for request-shape tests
//! ([`recording`]), and the DRI3 test server, a qemu guest running Xorg with glamor ([`vm`]).

mod child;
mod error;
mod pixels;
pub mod recording;
mod skip;
mod util;
pub mod vm;
mod window;
mod xvfb;

pub use child::ChildGuard;
pub use error::TestkitError;
pub use pixels::{get_pixel, get_rect};
pub use skip::{skipped, Lacks, SKIP_LOG_ENV};
pub use util::{
    expect_exit_status, have_tool, in_ci, poll_until, poll_until_or_none, require_tools,
};
pub use window::{wait_for_producer_window, TestWindow};
pub use xvfb::{Xvfb, XvfbBuilder};
