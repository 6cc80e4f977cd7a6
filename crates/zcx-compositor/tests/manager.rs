//! Integration tests of the manager duties and of what reaches the screen, each on its own
//! Xvfb: start-up with windows already mapped, map/unmap/destroy, stacking, refusal beside
//! another manager, --replace, clean exit on SIGTERM, input through the overlay.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{expect_pixel, expect_window, xvfb, CompositorProcess, BACKGROUND, TIMEOUT};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    ChangeWindowAttributesAux, ConfigureWindowAux, ConnectionExt as _, EventMask, StackMode,
};
use x11rb::protocol::Event;
use zcx_testkit::{get_pixel, poll_until, require_tools, TestWindow, Xvfb};

const RED: u32 = 0x00ff_0000;
const GREEN: u32 = 0x0000_ff00;
const BLUE: u32 = 0x0000_00ff;

#[test]
fn window_mapped_before_start_is_shown_with_exact_edges() {
    let x = xvfb();
    let (conn, screen) = x.connect();
    let _w = TestWindow::new(&conn, screen, 40, 30, 100, 80, RED);
    let _c = CompositorProcess::start(&x, &conn, screen, &[]);
    expect_window(&conn, screen, (40, 30, 100, 80), RED, BACKGROUND);
}

/// The GL path for opaque windows (blits) stays exact with `--composite gl`.
#[test]
fn gl_strategy_shows_windows_with_exact_edges_and_stacking() {
    let x = xvfb();
    let (conn, screen) = x.connect();
    let _w = TestWindow::new(&conn, screen, 40, 30, 100, 80, RED);
    let _c = CompositorProcess::start(&x, &conn, screen, &["--composite", "gl"]);
    expect_window(&conn, screen, (40, 30, 100, 80), RED, BACKGROUND);
    let b = TestWindow::new(&conn, screen, 90, 70, 100, 100, BLUE);
    for (px, py, want) in [
        (90, 70, BLUE),
        (189, 169, BLUE),
        (89, 70, RED),
        (90, 69, RED),
        (190, 169, BACKGROUND),
    ] {
        expect_pixel(&conn, screen, px, py, want);
    }
    drop(b);
    expect_pixel(&conn, screen, 100, 80, RED);
    expect_pixel(&conn, screen, 150, 150, BACKGROUND);
}

#[test]
fn map_unmap_destroy_reach_the_screen() {
    let x = xvfb();
    let (conn, screen) = x.connect();
    let _c = CompositorProcess::start(&x, &conn, screen, &[]);
    let w = TestWindow::new(&conn, screen, 10, 10, 50, 40, GREEN);
    expect_window(&conn, screen, (10, 10, 50, 40), GREEN, BACKGROUND);
    conn.unmap_window(w.id()).expect("unmap");
    expect_pixel(&conn, screen, 30, 30, BACKGROUND);
    conn.map_window(w.id()).expect("map");
    expect_pixel(&conn, screen, 30, 30, GREEN);
    drop(w);
    expect_pixel(&conn, screen, 30, 30, BACKGROUND);
}

#[test]
fn stacking_and_restacking() {
    let x = xvfb();
    let (conn, screen) = x.connect();
    let _c = CompositorProcess::start(&x, &conn, screen, &[]);
    let a = TestWindow::new(&conn, screen, 0, 0, 100, 100, RED);
    let _b = TestWindow::new(&conn, screen, 50, 50, 100, 100, BLUE);
    expect_pixel(&conn, screen, 75, 75, BLUE);
    expect_pixel(&conn, screen, 25, 25, RED);
    conn.configure_window(
        a.id(),
        &ConfigureWindowAux::new().stack_mode(StackMode::ABOVE),
    )
    .expect("raise");
    expect_pixel(&conn, screen, 75, 75, RED);
    expect_pixel(&conn, screen, 125, 125, BLUE);
    conn.configure_window(a.id(), &ConfigureWindowAux::new().x(200).y(100))
        .expect("move");
    expect_pixel(&conn, screen, 25, 25, BACKGROUND);
    expect_pixel(&conn, screen, 205, 105, RED);
}

#[test]
fn refuses_beside_another_manager_with_exit_code_2() {
    let x = xvfb();
    let (conn, screen) = x.connect();
    let _first = CompositorProcess::start(&x, &conn, screen, &[]);
    let started = Instant::now();
    let mut second = CompositorProcess::spawn(&x, &[]);
    let status = common::wait_exit(&mut second);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "refusal took {:?}",
        started.elapsed()
    );
    assert_eq!(status.code(), Some(2));
    let out = second.output(common::TIMEOUT);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("another compositing manager"),
        "stderr: {stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "one clear message: {stderr}");
}

#[test]
fn replace_takes_over_and_the_old_one_exits_cleanly() {
    let x = xvfb();
    let (conn, screen) = x.connect();
    let mut first = CompositorProcess::start(&x, &conn, screen, &[]);
    let owner = common::selection_owner(&conn, screen);
    let _w = TestWindow::new(&conn, screen, 10, 10, 50, 40, GREEN);
    let _second = CompositorProcess::start(&x, &conn, screen, &["--replace"]);
    assert_eq!(common::wait_exit(&mut first.child).code(), Some(0));
    assert_ne!(common::selection_owner(&conn, screen), owner);
    expect_window(&conn, screen, (10, 10, 50, 40), GREEN, BACKGROUND);
}

#[test]
fn sigterm_exits_0_and_leaves_every_window_visible() {
    let x = xvfb();
    let (conn, screen) = x.connect();
    let _w = TestWindow::new(&conn, screen, 20, 20, 60, 60, RED);
    let mut c = CompositorProcess::start(&x, &conn, screen, &[]);
    expect_pixel(&conn, screen, 21, 21, RED);
    assert_eq!(c.terminate().code(), Some(0));
    assert_eq!(common::selection_owner(&conn, screen), x11rb::NONE);
    let root = conn.setup().roots[screen].root;
    poll_until(TIMEOUT, "the unredirected window on screen", || {
        let inside = get_pixel(&conn, root, 21, 21) == RED && get_pixel(&conn, root, 79, 79) == RED;
        let outside = get_pixel(&conn, root, 19, 19) != BACKGROUND;
        (inside && outside).then_some(())
    });
}

#[test]
fn sigterm_exits_0_promptly_while_the_screen_keeps_changing() {
    let x = Xvfb::builder()
        .size(1280, 720, 24)
        .start()
        .expect("starting Xvfb");
    let (conn, screen) = x.connect();
    let w = TestWindow::new(&conn, screen, 0, 0, 1280, 720, RED);
    // The GL path makes every repaint slow enough that new damage always arrives meanwhile.
    let mut c = CompositorProcess::start(&x, &conn, screen, &["--composite", "gl"]);
    // Another client repaints the window without pause, so the compositor never goes idle.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let painter = {
        let (stop, display, window) = (stop.clone(), x.display().to_owned(), w.id());
        std::thread::spawn(move || {
            let (conn, _) = x11rb::connect(Some(&display)).expect("painter connects");
            let gc = conn.generate_id().expect("gc id");
            let aux = x11rb::protocol::xproto::CreateGCAux::new();
            conn.create_gc(gc, window, &aux).expect("gc");
            let rect = x11rb::protocol::xproto::Rectangle {
                x: 0,
                y: 0,
                width: 1280,
                height: 720,
            };
            // Until stopped, or at the deadline should the test never get that far.
            let deadline = Instant::now() + 2 * TIMEOUT;
            for colour in (0u32..).step_by(0x010203) {
                if stop.load(std::sync::atomic::Ordering::Relaxed) || Instant::now() > deadline {
                    break;
                }
                let aux =
                    x11rb::protocol::xproto::ChangeGCAux::new().foreground(colour & 0xff_ffff);
                let _ = conn.change_gc(gc, &aux);
                let _ = conn.poly_fill_rectangle(window, gc, &[rect]);
                let _ = x11rb::wrapper::ConnectionExt::sync(&conn);
            }
        })
    };
    // Stops the painter on every exit from this test, failures included.
    struct StopOnDrop(std::sync::Arc<std::sync::atomic::AtomicBool>);
    impl Drop for StopOnDrop {
        fn drop(&mut self) {
            self.0.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }
    let _stop_painter = StopOnDrop(stop.clone());
    common::sync(&conn, screen);
    let pid = nix::unistd::Pid::from_raw(c.child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("SIGTERM");
    // Like the refusal beside another manager, a signal must end the compositor promptly.
    let status = poll_until(
        Duration::from_secs(5),
        "zcx-compositor to exit after SIGTERM",
        || c.child.try_wait().ok().flatten(),
    );
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    painter.join().expect("painter thread");
    assert_eq!(
        status.code(),
        Some(0),
        "SIGTERM while busy must end the compositor cleanly"
    );
    assert_eq!(common::selection_owner(&conn, screen), x11rb::NONE);
}

#[test]
fn clicks_reach_the_window_below_the_overlay() {
    require_tools(&["xdotool"]);
    let x = xvfb();
    let (conn, screen) = x.connect();
    let w = TestWindow::new(&conn, screen, 100, 100, 80, 60, BLUE);
    let aux = ChangeWindowAttributesAux::new().event_mask(EventMask::BUTTON_PRESS);
    conn.change_window_attributes(w.id(), &aux)
        .expect("select")
        .check()
        .expect("select ButtonPress");
    let _c = CompositorProcess::start(&x, &conn, screen, &[]);
    expect_pixel(&conn, screen, 140, 130, BLUE);
    let status = Command::new("xdotool")
        .env("DISPLAY", x.display())
        .args(["mousemove", "140", "130", "click", "1"])
        .status()
        .expect("running xdotool");
    assert!(status.success());
    poll_until(TIMEOUT, "a ButtonPress on the test window", || {
        match conn.poll_for_event() {
            Ok(Some(Event::ButtonPress(e))) if e.event == w.id() => Some(()),
            _ => None,
        }
    });
}
