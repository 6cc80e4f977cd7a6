//! Counts how often the screen changes: a Damage object on the root window (report level
//! non-empty, subtracted after each notify) sees every repaint that reaches the screen, whether
//! a compositor paints its overlay or, without one, a client draws into its window. Prints one
//! JSON line: `{"repaints":N,"seconds":S,"per_second":R}`. Used by `bench/compare.sh`.
//!
//! `cargo run --release -p zcx-compositor --example screen_rate -- SECONDS` (display: $DISPLAY)

use std::time::{Duration, Instant};

use std::os::fd::AsFd;

use anyhow::Context as _;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use x11rb::connection::Connection;
use x11rb::protocol::damage::{self, ConnectionExt as _, ReportLevel};
use x11rb::protocol::Event;

fn main() -> anyhow::Result<()> {
    let seconds: f64 = std::env::args()
        .nth(1)
        .map_or(Ok(10.0), |s| s.parse())
        .context("SECONDS")?;
    let (conn, screen_num) = x11rb::connect(None).context("connect")?;
    let root = conn.setup().roots[screen_num].root;
    conn.damage_query_version(1, 1)?.reply().context("DAMAGE")?;
    let dmg = damage::DamageWrapper::create(&conn, root, ReportLevel::NON_EMPTY)?;
    conn.flush()?;
    let start = Instant::now();
    let end = start + Duration::try_from_secs_f64(seconds).context("SECONDS")?;
    let mut repaints = 0u64;
    while Instant::now() < end {
        match conn.poll_for_event()? {
            Some(Event::DamageNotify(_)) => {
                repaints += 1;
                conn.damage_subtract(dmg.damage(), x11rb::NONE, x11rb::NONE)?;
                conn.flush()?;
            }
            Some(_) => {}
            None => {
                let left = end
                    .saturating_duration_since(Instant::now())
                    .as_millis()
                    .min(1000) as u16;
                let mut fds = [PollFd::new(conn.stream().as_fd(), PollFlags::POLLIN)];
                match poll(&mut fds, PollTimeout::from(left)) {
                    Ok(_) | Err(nix::Error::EINTR) => {}
                    Err(e) => return Err(e).context("poll"),
                }
            }
        }
    }
    let s = start.elapsed().as_secs_f64();
    println!(
        "{{\"repaints\":{repaints},\"seconds\":{s:.3},\"per_second\":{:.2}}}",
        repaints as f64 / s
    );
    Ok(())
}
