//! The session's display (given, or a private Xvfb it owns) and the one way a session waits:
//! a sleep that ends early when the stop flag (Ctrl-C) is set.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::xserver::PrivateXvfb;

/// Sleeps until `duration` has passed or `stop` is set; false when stopped.
pub fn wait_unless_stopped(duration: Duration, stop: &AtomicBool) -> bool {
    let deadline = Instant::now() + duration;
    while Instant::now() < deadline {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        std::thread::sleep(
            Duration::from_millis(20).min(deadline.saturating_duration_since(Instant::now())),
        );
    }
    !stop.load(Ordering::Relaxed)
}

/// The display: given, or a private Xvfb that lives as long as this value.
#[derive(Debug)]
pub struct Display {
    pub name: String,
    pub private: Option<PrivateXvfb>,
}

impl Display {
    /// `--display`, else `$DISPLAY`, else a private Xvfb of `size`.
    pub fn open(requested: Option<&str>, size: (u32, u32)) -> anyhow::Result<Display> {
        if let Some(d) = requested
            .map(str::to_owned)
            .or_else(|| std::env::var("DISPLAY").ok())
        {
            return Ok(Display {
                name: d,
                private: None,
            });
        }
        let x = PrivateXvfb::start(size.0, size.1).context("starting a private Xvfb")?;
        Ok(Display {
            name: x.display().to_owned(),
            private: Some(x),
        })
    }
}
