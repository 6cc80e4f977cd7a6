//! The server-copy strategy's GL side lives only while something on the screen needs GL: a
//! screen of opaque windows never makes a GL context (`gl_contexts: 0` in `--stats-json`), the
//! first translucent window brings one up and is blended right, and a side dropped after a few
//! idle seconds is made again with every texture imported afresh.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{
    close, expect_pixel, selection_owner, set_opacity, sync, wait_exit, xvfb, BACKGROUND, BLUE,
    RED, TIMEOUT,
};
use nix::sys::signal::Signal;
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ConfigureWindowAux, ConnectionExt as _};
use zcx_contracts::{CompositeMode, StatsReport};
use zcx_testkit::{get_pixel, poll_until, ChildGuard, TestWindow, Xvfb};

/// A server-copy compositor with `--stats-json`, its info log lines sent to a channel.
struct Logged {
    child: ChildGuard,
    lines: mpsc::Receiver<String>,
    stats: PathBuf,
    _dir: TempDir,
}

/// A temporary directory, removed on drop.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Logged {
    fn start<C: Connection>(x: &Xvfb, conn: &C, screen: usize, name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("zcx-gl-side-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let stats = dir.join("stats.json");
        let mut child = ChildGuard::spawn(
            Command::new(env!("CARGO_BIN_EXE_zcx-compositor"))
                .env("RUST_LOG", "zcx_compositor=info")
                .arg("--display")
                .arg(x.display())
                .args(["--composite", "server-copy", "--stats-json"])
                .arg(&stats)
                .stdout(Stdio::null())
                .stderr(Stdio::piped()),
        );
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("compositor: {line}");
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        poll_until(TIMEOUT, "the compositor to own _NET_WM_CM_S0", || {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("zcx-compositor exited early: {status}");
            }
            (selection_owner(conn, screen) != x11rb::NONE).then_some(())
        });
        sync(conn, screen);
        Self {
            child,
            lines,
            stats,
            _dir: TempDir(dir),
        }
    }

    /// Waits for a log line containing `text`.
    fn expect_log(&self, text: &str, timeout: Duration) {
        poll_until(timeout, &format!("the log line \"{text}\""), || {
            self.lines
                .recv_timeout(Duration::from_millis(50))
                .ok()
                .filter(|l| l.contains(text))
        });
    }

    /// Stops the compositor (SIGTERM) and reads its statistics.
    fn finish(mut self) -> StatsReport {
        self.child.signal(Signal::SIGTERM);
        assert_eq!(wait_exit(&mut self.child).code(), Some(0));
        read_stats(&self.stats)
    }
}

fn read_stats(path: &Path) -> StatsReport {
    let text = std::fs::read_to_string(path).expect("stats file written");
    zcx_contracts::read_json(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// Red at 50% over blue, as the GL blend composites it (see `effects`).
fn expect_half_red_over_blue<C: Connection>(conn: &C, screen: usize) {
    sync(conn, screen);
    let root = conn.setup().roots[screen].root;
    let over_blue = get_pixel(conn, root, 75, 75);
    assert!(
        close(over_blue, 0x0080_007f, 2),
        "red at 50% over blue: {over_blue:#08x}"
    );
    let over_bg = get_pixel(conn, root, 125, 125);
    assert!(
        close(over_bg, 0x0098_1818, 2),
        "red at 50% over the background: {over_bg:#08x}"
    );
}

#[test]
fn opaque_windows_with_server_copy_never_make_a_gl_context() {
    let x = xvfb();
    let (conn, screen) = x.connect();
    let _blue = TestWindow::new(&conn, screen, 0, 0, 100, 100, BLUE);
    let c = Logged::start(&x, &conn, screen, "opaque");
    let red = TestWindow::new(&conn, screen, 50, 50, 100, 100, RED);
    expect_pixel(&conn, screen, 75, 75, RED);
    conn.configure_window(red.id(), &ConfigureWindowAux::new().x(150))
        .expect("move");
    sync(&conn, screen);
    expect_pixel(&conn, screen, 75, 75, BLUE);
    expect_pixel(&conn, screen, 175, 75, RED);
    expect_pixel(&conn, screen, 125, 125, BACKGROUND);
    let stats = c.finish();
    assert_eq!(stats.gl_contexts, 0, "{stats:?}");
    assert!(!stats.gl_live, "{stats:?}");
    assert_eq!(stats.composite, CompositeMode::ServerCopy, "{stats:?}");
}

#[test]
fn the_first_translucent_window_brings_gl_up_and_an_idle_one_goes_and_comes_back() {
    let x = xvfb();
    let (conn, screen) = x.connect();
    let _blue = TestWindow::new(&conn, screen, 0, 0, 100, 100, BLUE);
    let red = TestWindow::new(&conn, screen, 50, 50, 100, 100, RED);
    let c = Logged::start(&x, &conn, screen, "translucent");
    expect_pixel(&conn, screen, 75, 75, RED);
    set_opacity(&conn, red.id(), 0x8000_0000);
    expect_half_red_over_blue(&conn, screen);
    c.expect_log("GL side made", TIMEOUT);
    let opacity = common::atom(&conn, "_NET_WM_WINDOW_OPACITY");
    conn.delete_property(red.id(), opacity).expect("delete");
    sync(&conn, screen);
    expect_pixel(&conn, screen, 75, 75, RED);
    // Nothing needs GL now: the side goes after a few idle seconds ...
    c.expect_log("GL side dropped", Duration::from_secs(20));
    expect_pixel(&conn, screen, 75, 75, RED);
    // ... and the next translucent window brings a new one, whose textures are imported whole.
    set_opacity(&conn, red.id(), 0x8000_0000);
    expect_half_red_over_blue(&conn, screen);
    let stats = c.finish();
    assert_eq!(stats.gl_contexts, 2, "{stats:?}");
}
