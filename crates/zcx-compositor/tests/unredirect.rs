//! Integration tests of unredirection, each on its own Xvfb: a full-screen opaque window
//! bypasses the compositor (the server lets nobody name its pixmap, and what it draws reaches
//! the screen while the compositor is stopped), is composited again when a window maps over it
//! or its opacity drops (with the right pixels both ways, including what it drew meanwhile),
//! and bypasses it again afterwards; a HUD panel or `--no-unredirect` keeps it composited;
//! destroying the window or killing the compositor while it bypasses leaves a working screen.

mod common;

use common::{
    create_mapped, create_window, expect_pixel, expect_pixel_near, expect_pixels, set_opacity,
    set_stats, sync, wait_exit, Session, BACKGROUND, BLUE, GREEN, RED, STRATEGIES, TIMEOUT, YELLOW,
};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use x11rb::connection::Connection;
use x11rb::protocol::composite::ConnectionExt as _;
use x11rb::protocol::xproto::{
    ConfigureWindowAux, ConnectionExt as _, CreateGCAux, CreateWindowAux, Rectangle,
};
use x11rb::rust_connection::RustConnection;
use x11rb::wrapper::ConnectionExt as _;
use zcx_testkit::{get_pixel, poll_until};

/// Where the full-screen window's green patch is (window coordinates = screen coordinates).
const PATCH: (i16, i16, u16, u16) = (0, 0, 100, 100);

/// Whether `window` is redirected now: the server names the pixmap of redirected windows
/// only (BadMatch otherwise).
fn is_redirected(conn: &RustConnection, window: u32) -> bool {
    conn.composite_query_version(0, 4)
        .expect("request")
        .reply()
        .expect("Composite version");
    let pixmap = conn.generate_id().expect("id");
    let named = conn
        .composite_name_window_pixmap(window, pixmap)
        .expect("request")
        .check()
        .is_ok();
    if named {
        conn.free_pixmap(pixmap).expect("free");
    }
    named
}

fn wait_redirected(conn: &RustConnection, window: u32, want: bool) {
    let what = format!("window {window:#x} redirected: {want}");
    poll_until(TIMEOUT, &what, || {
        (is_redirected(conn, window) == want).then_some(())
    });
}

/// Fills `rect` of `window` with `rgb` and waits until the server has done it.
fn fill(conn: &RustConnection, window: u32, (x, y, width, height): (i16, i16, u16, u16), rgb: u32) {
    let gc = conn.generate_id().expect("id");
    conn.create_gc(gc, window, &CreateGCAux::new().foreground(rgb))
        .expect("gc");
    let r = Rectangle {
        x,
        y,
        width,
        height,
    };
    conn.poly_fill_rectangle(window, gc, &[r]).expect("fill");
    conn.free_gc(gc).expect("free gc");
    conn.sync().expect("round trip");
}

/// A red window one pixel short of full screen with a green patch drawn in it (not its
/// background, and nobody repaints it on Expose), then moved to cover the screen: the
/// compositor unredirects it. Returns its id.
fn full_screen_window(s: &Session) -> u32 {
    let aux = CreateWindowAux::new().override_redirect(1);
    let w = create_window(&s.conn, s.root, (0, 1, 320, 240), RED, (0, 0), aux);
    s.conn.map_window(w).expect("map");
    fill(&s.conn, w, PATCH, GREEN);
    expect_pixel(&s.conn, s.screen, 10, 11, GREEN);
    s.conn
        .configure_window(w, &ConfigureWindowAux::new().y(0))
        .expect("move");
    wait_redirected(&s.conn, w, false);
    w
}

/// Stops the compositor, fills `rect` of `window` and reads the root at `at`; continues it.
fn drawn_while_stopped(
    s: &Session,
    window: u32,
    rect: (i16, i16, u16, u16),
    at: (i16, i16),
) -> u32 {
    let pid = Pid::from_raw(s.compositor.child.id() as i32);
    kill(pid, Signal::SIGSTOP).expect("SIGSTOP");
    fill(&s.conn, window, rect, BLUE);
    let seen = get_pixel(&s.conn, s.root, at.0, at.1);
    kill(pid, Signal::SIGCONT).expect("SIGCONT");
    seen
}

/// With either composite strategy (the first frame after redirecting is drawn by the
/// server's copies or by GL).
#[test]
fn a_full_screen_window_bypasses_the_compositor_until_a_window_maps_over_it() {
    for strategy in STRATEGIES {
        bypasses_until_a_window_maps_over_it(&["--composite", strategy]);
    }
}

fn bypasses_until_a_window_maps_over_it(args: &[&str]) {
    let s = Session::start(args);
    let w = full_screen_window(&s);
    // Its pixmap reached the screen as drawn (not its background), and what it draws now
    // reaches the screen with the compositor stopped.
    expect_pixels(&s.conn, s.screen, &[(10, 10, GREEN), (200, 200, RED)]);
    let seen = drawn_while_stopped(&s, w, (200, 150, 50, 50), (220, 170));
    assert_eq!(seen, BLUE, "a frame drawn while the compositor is stopped");
    let top = create_mapped(&s.conn, s.root, (50, 50, 100, 80), YELLOW);
    wait_redirected(&s.conn, w, true);
    // The new window on top, the full-screen one under it, with what it drew meanwhile.
    expect_pixels(
        &s.conn,
        s.screen,
        &[
            (60, 60, YELLOW),
            (149, 129, YELLOW),
            (10, 10, GREEN),
            (150, 60, RED),
            (220, 170, BLUE),
            (319, 239, RED),
        ],
    );
    s.conn.unmap_window(top).expect("unmap");
    wait_redirected(&s.conn, w, false);
    expect_pixels(&s.conn, s.screen, &[(60, 60, GREEN), (149, 129, RED)]);
}

#[test]
fn an_opacity_below_one_composites_it_again_and_removing_it_does_not() {
    let s = Session::start(&[]);
    let w = full_screen_window(&s);
    set_opacity(&s.conn, w, 0x8000_0000);
    wait_redirected(&s.conn, w, true);
    // Half red over the background.
    expect_pixel_near(&s.conn, s.screen, 200, 200, 0x0098_1818, 3);
    s.conn
        .delete_property(w, common::atom(&s.conn, "_NET_WM_WINDOW_OPACITY"))
        .expect("delete");
    wait_redirected(&s.conn, w, false);
    expect_pixel(&s.conn, s.screen, 200, 200, RED);
}

/// A producer window (it publishes `_ZCX_STATS`) gets a HUD panel, which must stay on top;
/// without the HUD the same window bypasses the compositor.
#[test]
fn a_hud_panel_keeps_a_full_screen_producer_composited() {
    for (args, bypasses) in [(&[][..], false), (&["--no-hud"][..], true)] {
        let s = Session::start(args);
        let aux = CreateWindowAux::new().override_redirect(1);
        let w = create_window(&s.conn, s.root, (0, 0, 320, 240), RED, (0, 0), aux);
        set_stats(&s.conn, w, br#"{"mode":"shm-pixmap"}"#);
        s.conn.map_window(w).expect("map");
        expect_pixel(&s.conn, s.screen, 300, 230, RED);
        if bypasses {
            wait_redirected(&s.conn, w, false);
        } else {
            sync(&s.conn, s.screen);
            assert!(is_redirected(&s.conn, w), "composited under its HUD");
        }
    }
}

#[test]
fn no_unredirect_keeps_a_full_screen_window_composited() {
    let s = Session::start(&["--no-unredirect"]);
    let aux = CreateWindowAux::new().override_redirect(1);
    let w = create_window(&s.conn, s.root, (0, 0, 320, 240), RED, (0, 0), aux);
    s.conn.map_window(w).expect("map");
    expect_pixel(&s.conn, s.screen, 200, 200, RED);
    assert!(is_redirected(&s.conn, w), "composited");
    let seen = drawn_while_stopped(&s, w, (200, 150, 50, 50), (220, 170));
    assert_eq!(
        seen, RED,
        "nothing reaches the screen past a stopped compositor"
    );
    expect_pixel(&s.conn, s.screen, 220, 170, BLUE);
    assert!(is_redirected(&s.conn, w), "still composited");
}

#[test]
fn destroying_the_window_while_it_bypasses_composites_the_rest_again() {
    let s = Session::start(&[]);
    let under = create_mapped(&s.conn, s.root, (10, 10, 60, 40), YELLOW);
    let w = full_screen_window(&s);
    s.conn.destroy_window(w).expect("destroy");
    expect_pixels(
        &s.conn,
        s.screen,
        &[(20, 20, YELLOW), (200, 200, BACKGROUND), (10, 10, YELLOW)],
    );
    assert!(
        is_redirected(&s.conn, under),
        "the window below is composited"
    );
    let _later = create_mapped(&s.conn, s.root, (100, 100, 50, 50), BLUE);
    expect_pixel(&s.conn, s.screen, 120, 120, BLUE);
}

#[test]
fn killing_the_compositor_while_a_window_bypasses_it_leaves_the_window_on_screen() {
    let mut s = Session::start(&[]);
    let w = full_screen_window(&s);
    s.compositor.child.kill().expect("SIGKILL");
    wait_exit(&mut s.compositor.child);
    let want = [(10, 10, GREEN), (200, 200, RED), (319, 239, RED)];
    poll_until(TIMEOUT, "the window's pixels on screen", || {
        want.iter()
            .all(|&(x, y, rgb)| get_pixel(&s.conn, s.root, x, y) == rgb)
            .then_some(())
    });
    fill(&s.conn, w, (200, 150, 50, 50), BLUE);
    assert_eq!(get_pixel(&s.conn, s.root, 220, 170), BLUE);
}
