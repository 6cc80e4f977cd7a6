//! A measurement session shared by `zcx demo` and `zcx bench`: the display (given, or a
//! private Xvfb), an optional compositor (zcx-compositor with its layout, HUD and
//! `--stats-json`, or a peer such as picom), producers in their own process groups with
//! `--summary-json`, finding and placing their windows, turning what was measured into report
//! runs, what the observer's own reads cost the X server (`observer_cost`), and the root
//! screenshot. Every child has a [`ChildGuard`], so all of them are stopped
//! and reaped however the session ends (Ctrl-C included: waits here poll the stop flag).

mod compositor;
mod display;
mod measure;
pub mod observer_cost;
mod producer;
mod screenshot;

pub use compositor::{
    CompositorChoice, RunningCompositor, StatsError, ZcxLook, REDIRECT_WAIT, START_MARGIN,
};
pub use display::{wait_unless_stopped, Display};
pub use measure::{measure_alone, memcpy_ms, Alone, Context, EXIT_WAIT, SETTLE};
pub use producer::{place_window, start_producer, ProducerRun, ProducerSpec};
pub use screenshot::save_root_png;
