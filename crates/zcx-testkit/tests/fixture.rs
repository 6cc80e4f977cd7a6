//! Integration tests of the testkit against real Xvfb servers.

use std::time::Duration;

use x11rb::connection::{Connection, RequestConnection};
use zcx_testkit::{get_pixel, get_rect, poll_until, TestWindow, TestkitError, Xvfb};

/// Default Xvfb maximum request length in bytes (BIG-REQUESTS, 4,194,303 units).
const DEFAULT_MAX_REQUEST_BYTES: usize = 16_777_212;

fn small() -> Xvfb {
    Xvfb::builder()
        .size(640, 480, 24)
        .start()
        .expect("start Xvfb")
}

#[test]
fn default_server_is_4k_depth_24() {
    let xvfb = Xvfb::start().expect("start Xvfb");
    let (conn, screen) = xvfb.connect();
    let s = &conn.setup().roots[screen];
    assert_eq!((s.width_in_pixels, s.height_in_pixels), (3840, 2160));
    assert_eq!(s.root_depth, 24);
    assert_eq!(conn.maximum_request_bytes(), DEFAULT_MAX_REQUEST_BYTES);
}

#[test]
fn two_servers_at_once_get_different_displays() {
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(small);
        let b = s.spawn(small);
        (a.join().expect("thread a"), b.join().expect("thread b"))
    });
    assert_ne!(a.display(), b.display());
    assert_ne!(a.pid(), b.pid());
    let _ca = a.connect();
    let _cb = b.connect();
}

#[test]
fn drop_kills_and_reaps_the_server() {
    let xvfb = small();
    let proc_dir = format!("/proc/{}", xvfb.pid());
    let log = xvfb.log_path().to_path_buf();
    assert!(std::path::Path::new(&proc_dir).exists());
    drop(xvfb);
    // Reaped means no /proc entry at all (a zombie would still have one).
    assert!(
        !std::path::Path::new(&proc_dir).exists(),
        "{proc_dir} still exists after drop"
    );
    assert!(!log.exists(), "log {log:?} left behind");
}

#[test]
fn maxbigreqsize_is_honoured() {
    let xvfb = Xvfb::builder()
        .size(640, 480, 24)
        .arg("-maxbigreqsize")
        .arg("1")
        .start()
        .expect("start Xvfb");
    let (conn, _) = xvfb.connect();
    // -maxbigreqsize N sets N MiB minus one 4-byte unit.
    assert_eq!(conn.maximum_request_bytes(), (1 << 20) * 4 - 4);
}

#[test]
fn a_bad_argument_is_an_error_quoting_the_log() {
    let err = match Xvfb::builder().arg("-zcx-no-such-option").start() {
        Ok(x) => panic!("Xvfb started on {} with a bogus option", x.display()),
        Err(e) => e,
    };
    let text = err.to_string();
    assert!(text.contains("zcx-no-such-option"), "error was: {text}");
    match err {
        TestkitError::Exited { log_path, .. } => {
            let _ = std::fs::remove_file(log_path);
        }
        other => panic!("expected Exited, got {other:?}"),
    }
}

#[test]
fn test_window_pixels_inside_and_outside_edges() {
    let xvfb = small();
    let (conn, screen) = xvfb.connect();
    let root = conn.setup().roots[screen].root;
    let outside = get_pixel(&conn, root, 5, 5);
    {
        let win = TestWindow::new(&conn, screen, 10, 20, 30, 40, 0x123456);
        assert_eq!(get_pixel(&conn, win.id(), 0, 0), 0x123456);
        let rect = get_rect(&conn, root, 9, 19, 2, 2);
        assert_eq!(rect, [outside, outside, outside, 0x123456]);
        assert_eq!(get_pixel(&conn, root, 39, 59), 0x123456);
        assert_eq!(get_pixel(&conn, root, 40, 59), outside);
        assert_eq!(get_pixel(&conn, root, 39, 60), outside);
    }
    // After drop the root shows through again.
    poll_until(Duration::from_secs(5), "the window to vanish", || {
        (get_pixel(&conn, root, 10, 20) == outside).then_some(())
    });
}
