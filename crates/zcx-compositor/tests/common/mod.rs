//! Shared fixtures for the compositor's integration tests: a compositor child process bound
//! to one test Xvfb, killed (SIGTERM) and reaped on drop, and sync-then-check pixel helpers.

#![allow(dead_code)]

use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use x11rb::connection::Connection;
use x11rb::protocol::xproto::ConnectionExt as _;
use zcx_compositor::sync_hook;
use zcx_testkit::{get_pixel, poll_until, Xvfb};

pub const BACKGROUND: u32 = 0x0030_3030;
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// A running `zcx-compositor`; SIGTERM and reap on drop.
pub struct CompositorProcess {
    pub child: Child,
}

impl CompositorProcess {
    pub fn spawn(xvfb: &Xvfb, args: &[&str]) -> Child {
        Command::new(env!("CARGO_BIN_EXE_zcx-compositor"))
            .arg("--display")
            .arg(xvfb.display())
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawning zcx-compositor")
    }

    /// Starts the compositor and waits until it has painted (answers the sync hook).
    pub fn start<C: Connection>(xvfb: &Xvfb, conn: &C, screen: usize, args: &[&str]) -> Self {
        let mut child = Self::spawn(xvfb, args);
        poll_until(TIMEOUT, "the compositor to own _NET_WM_CM_S0", || {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("zcx-compositor exited early: {status}");
            }
            (selection_owner(conn, screen) != x11rb::NONE).then_some(())
        });
        let this = Self { child };
        sync(conn, screen);
        this
    }

    pub fn terminate(&mut self) -> ExitStatus {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        wait_exit(&mut self.child)
    }
}

impl Drop for CompositorProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.terminate();
        }
    }
}

pub fn wait_exit(child: &mut Child) -> ExitStatus {
    poll_until(TIMEOUT, "zcx-compositor to exit", || {
        child.try_wait().ok().flatten()
    })
}

pub fn selection_owner<C: Connection>(conn: &C, screen: usize) -> u32 {
    let atom = format!("_NET_WM_CM_S{screen}");
    let atom = conn
        .intern_atom(false, atom.as_bytes())
        .expect("intern")
        .reply()
        .expect("atom")
        .atom;
    conn.get_selection_owner(atom)
        .expect("request")
        .reply()
        .expect("reply")
        .owner
}

/// Waits until the compositor has painted everything sent before this call.
pub fn sync<C: Connection>(conn: &C, screen: usize) {
    conn.flush().expect("flush");
    sync_hook::wait_for_compositor(conn, screen, TIMEOUT).expect("compositor sync");
}

/// Syncs with the compositor, then polls a root pixel until it is `want`.
pub fn expect_pixel<C: Connection>(conn: &C, screen: usize, x: i16, y: i16, want: u32) {
    sync(conn, screen);
    let root = conn.setup().roots[screen].root;
    let mut last = 0;
    let ok = (0..200).any(|_| {
        last = get_pixel(conn, root, x, y);
        last == want || {
            std::thread::sleep(Duration::from_millis(10));
            false
        }
    });
    assert!(ok, "pixel {x},{y}: want {want:#08x}, last seen {last:#08x}");
}

/// Checks the pixels just inside and just outside each edge of a window at x,y of w×h.
pub fn expect_window<C: Connection>(
    conn: &C,
    screen: usize,
    (x, y, w, h): (i16, i16, i16, i16),
    inside: u32,
    outside: u32,
) {
    for (px, py) in [
        (x, y),
        (x + w - 1, y),
        (x, y + h - 1),
        (x + w - 1, y + h - 1),
    ] {
        expect_pixel(conn, screen, px, py, inside);
    }
    for (px, py) in [
        (x - 1, y),
        (x + w, y + h - 1),
        (x, y - 1),
        (x + w - 1, y + h),
    ] {
        expect_pixel(conn, screen, px, py, outside);
    }
}

/// Sets a window's `_ZCX_STATS` (what a producer publishes) to `bytes`.
pub fn set_stats<C: Connection>(conn: &C, window: u32, bytes: &[u8]) {
    use x11rb::protocol::xproto::{AtomEnum, PropMode};
    use x11rb::wrapper::ConnectionExt as _;
    let atom = conn
        .intern_atom(false, b"_ZCX_STATS")
        .expect("intern")
        .reply()
        .expect("atom")
        .atom;
    conn.change_property8(PropMode::REPLACE, window, atom, AtomEnum::STRING, bytes)
        .expect("set _ZCX_STATS");
}

/// A 320x240x24 Xvfb for one test.
pub fn xvfb() -> Xvfb {
    Xvfb::builder()
        .size(320, 240, 24)
        .start()
        .expect("starting Xvfb")
}

/// Whether two 0x00RRGGBB colours differ by at most 2 in each channel (blending rounds).
pub fn close(a: u32, b: u32) -> bool {
    (0..3).all(|i| ((a >> (i * 8)) & 0xff).abs_diff((b >> (i * 8)) & 0xff) <= 2)
}
