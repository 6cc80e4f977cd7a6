//! The guest half of `dri3_guest.rs`: what its `guest_*` tests share inside the DRI3 test
//! server (its Xorg is `DISPLAY`, the zcx binaries are on `PATH`, the working directory is the
//! work folder shared with the host): the refusal outside the guest, a compositor started and
//! painted with generous deadlines, a streaming dri3 producer and its statistics, RandR and
//! key presses.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use x11rb::connection::Connection;
use x11rb::protocol::xproto::{AtomEnum, ConnectionExt as _};
use zcx_compositor::x::sync_hook;
use zcx_testkit::{poll_until, ChildGuard};

/// Set in the guest by the host test; the `guest_*` tests refuse to run without it.
pub const IN_GUEST: &str = "ZCX_IN_DRI3_GUEST";

/// Generous: the guest's first GL frame (shader compiles on llvmpipe under TCG) takes ~5 s.
pub const GUEST_TIMEOUT: Duration = Duration::from_secs(90);

/// Panics outside the guest: these tests need its DRI3 server as `DISPLAY`.
pub fn guest_only() {
    assert!(
        std::env::var_os(IN_GUEST).is_some(),
        "runs only inside the DRI3 guest (started by gpu_paths_in_the_dri3_guest)"
    );
}

/// A compositor in the guest with `args`, painted once; its `--stats-json` file.
pub struct GuestCompositor {
    child: ChildGuard,
    stats: PathBuf,
}

impl GuestCompositor {
    pub fn start<C: Connection>(conn: &C, screen: usize, tag: &str, args: &[&str]) -> Self {
        let stats = std::env::current_dir()
            .expect("work folder")
            .join(format!("stats-{tag}.json"));
        let mut child = ChildGuard::spawn(
            Command::new("zcx-compositor")
                .args(args)
                .arg("--stats-json")
                .arg(&stats)
                .stdout(Stdio::null())
                .stderr(Stdio::inherit()),
        );
        poll_until(GUEST_TIMEOUT, "the compositor to paint", || {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("zcx-compositor {args:?} exited early: {status}");
            }
            conn.flush().ok()?;
            sync_hook::wait_for_compositor(conn, screen, Duration::from_secs(2))
                .ok()
                .map(|_| ())
        });
        Self { child, stats }
    }

    /// Stops it (SIGTERM), checks a clean exit and returns its statistics.
    pub fn finish(mut self) -> serde_json::Value {
        self.child.signal(nix::sys::signal::Signal::SIGTERM);
        let status = self.child.wait_exit(GUEST_TIMEOUT);
        assert!(status.success(), "zcx-compositor exited with {status}");
        let text = std::fs::read_to_string(&self.stats).expect("--stats-json written");
        serde_json::from_str(&text).expect("--stats-json is JSON")
    }
}

pub fn guest_connection() -> (x11rb::rust_connection::RustConnection, usize) {
    x11rb::connect(None).expect("connecting to the guest's Xorg")
}

/// The producer's `_ZCX_STATS` on `window`, parsed (`None` until it has published one).
pub fn producer_stats<C: Connection>(conn: &C, window: u32) -> Option<serde_json::Value> {
    let atom = super::atom(conn, "_ZCX_STATS");
    let reply = conn
        .get_property(false, window, atom, AtomEnum::ANY, 0, 1 << 16)
        .ok()?
        .reply()
        .ok()?;
    serde_json::from_slice(&reply.value).ok()
}

/// Waits until the producer has published `_ZCX_STATS` (frames are flowing); its window.
pub fn wait_for_producer_stats<C: Connection>(
    conn: &C,
    screen: usize,
    producer: &mut ChildGuard,
) -> u32 {
    zcx_testkit::wait_for_producer_window(conn, screen, producer, GUEST_TIMEOUT)
}

/// The root's and the compositor's overlay's size once both are `want`.
pub fn wait_for_screen_size<C: Connection>(conn: &C, screen: usize, want: (u16, u16)) {
    use x11rb::protocol::composite::ConnectionExt as _;
    let root = conn.setup().roots[screen].root;
    let overlay = conn
        .composite_get_overlay_window(root)
        .expect("request")
        .reply()
        .expect("the overlay window")
        .overlay_win;
    let size = |w| {
        conn.get_geometry(w)
            .ok()
            .and_then(|c| c.reply().ok())
            .map(|g| (g.width, g.height))
    };
    poll_until(
        GUEST_TIMEOUT,
        "the root and the overlay to take the new size",
        || {
            let (r, o) = (size(root), size(overlay));
            (r == Some(want) && o == Some(want)).then_some(())
        },
    );
    conn.composite_release_overlay_window(root)
        .expect("release the overlay");
}

/// `xrandr --output Virtual-1 --mode <mode>`; panics with xrandr's own listing on failure.
pub fn xrandr_mode(mode: &str) {
    let out = ChildGuard::spawn(
        Command::new("xrandr")
            .args(["--output", "Virtual-1", "--mode", mode])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    )
    .output(GUEST_TIMEOUT);
    let listing = Command::new("xrandr").output().map(|o| o.stdout);
    assert!(
        out.status.success(),
        "xrandr --mode {mode}: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&listing.unwrap_or_default())
    );
}

/// Presses `m` in `window` (a KeyPress sent to it, as xdotool does for a given window).
pub fn press_m<C: Connection>(conn: &C, screen: usize, window: u32) {
    use x11rb::protocol::xproto::{EventMask, KeyButMask, KeyPressEvent, KEY_PRESS_EVENT};
    let setup = conn.setup();
    let (min, count) = (setup.min_keycode, setup.max_keycode - setup.min_keycode + 1);
    let map = conn
        .get_keyboard_mapping(min, count)
        .expect("request")
        .reply()
        .expect("keyboard mapping");
    let per = usize::from(map.keysyms_per_keycode.max(1));
    let index = map
        .keysyms
        .chunks(per)
        .position(|syms| syms.contains(&u32::from(b'm')))
        .expect("a keycode for m");
    let event = KeyPressEvent {
        response_type: KEY_PRESS_EVENT,
        detail: min + index as u8,
        sequence: 0,
        time: x11rb::CURRENT_TIME,
        root: setup.roots[screen].root,
        event: window,
        child: x11rb::NONE,
        root_x: 0,
        root_y: 0,
        event_x: 0,
        event_y: 0,
        state: KeyButMask::default(),
        same_screen: true,
    };
    conn.send_event(true, window, EventMask::KEY_PRESS, event)
        .expect("send the key press");
    conn.flush().expect("flush");
}

/// A `zcx-producer --mode dri3` of 320x240 frames at 30 fps that runs until stopped, with
/// `extra` arguments.
pub fn spawn_dri3_producer(extra: &[&std::ffi::OsStr]) -> ChildGuard {
    ChildGuard::spawn(
        Command::new("zcx-producer")
            .args(["--mode", "dri3", "--size", "320x240", "--fps", "30"])
            .args(["--frames", "1000000"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit()),
    )
}
