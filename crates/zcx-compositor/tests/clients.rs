//! Integration tests driven by real X clients, each on its own Xvfb with both composite
//! strategies: xeyes (a SHAPEd window: its eyes on screen, what is below it elsewhere in its
//! rectangle), xterm (its colours and its X border, with exact edges; moved, raised, unmapped,
//! mapped by xdotool, then killed), glxgears (a GL client's frames keep reaching the screen)
//! and clients mapped before the compositor starts. Every
//! window is checked pixel by pixel against its own contents and bounding shape as the X
//! server reports them (`common::expect_window_as_drawn`). A missing client fails the test
//! (`cargo xtask deps` installs them all).

mod common;

use common::{
    colour_inside, expect_pixel, expect_pixels, expect_window, expect_window_as_drawn, sync, xvfb,
    ClientProcess, CompositorProcess, Session, BACKGROUND, BLACK, BLUE, GREEN, RED, STRATEGIES,
    TIMEOUT, WHITE,
};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ConfigureWindowAux, ConnectionExt as _, StackMode};
use zcx_testkit::{get_rect, poll_until, require_tools, TestWindow};

/// A green test window over the left part of the screen, for shaped clients to stand on.
const GREEN_RECT: (i16, i16, u16, u16) = (0, 0, 100, 240);

fn under_green(x: i16, y: i16) -> u32 {
    colour_inside(GREEN_RECT, GREEN, BACKGROUND)(x, y)
}

fn xeyes_args() -> [&'static str; 2] {
    ["-geometry", "150x100+40+40"]
}

/// xeyes' eyes are on screen and the rest of its rectangle shows the window below it (green)
/// or the background, as its bounding shape says.
#[test]
fn xeyes_shape_shows_its_eyes_and_what_is_below_elsewhere() {
    require_tools(&["xeyes"]);
    for composite in STRATEGIES {
        let s = Session::start(&["--composite", composite]);
        let (conn, screen) = (&s.conn, s.screen);
        let (gx, gy, gw, gh) = GREEN_RECT;
        let _green = TestWindow::new(conn, screen, gx, gy, gw, gh, GREEN);
        let (_xeyes, id) = s.client("xeyes", &xeyes_args(), "xeyes");
        check_xeyes(conn, screen, id, composite);
    }
}

/// The shaped xeyes window on screen pixel by pixel, plus: it has drawn its white eyes and its
/// shape really leaves part of its rectangle (the corners) to what is below.
fn check_xeyes<C: Connection>(conn: &C, screen: usize, id: u32, composite: &str) {
    let root = conn.setup().roots[screen].root;
    let (x, y, w, h, bw) = common::geometry(conn, id);
    let whites = poll_until(TIMEOUT, "xeyes to draw its eyes", || {
        sync(conn, screen);
        let n = get_rect(conn, root, x, y, w + 2 * bw, h + 2 * bw)
            .iter()
            .filter(|&&p| p == WHITE)
            .count();
        (n > 2000).then_some(n)
    });
    let (inside, outside) = expect_window_as_drawn(conn, screen, id, BLACK, under_green);
    eprintln!("{composite}: xeyes {w}x{h}+{x}+{y}: {inside} px in its shape ({whites} white), {outside} outside");
    assert!(outside > 1000, "{composite}: the shape clips {outside} px");
    let (x0, y0) = (x + bw as i16, y + bw as i16);
    let (x1, y1) = (x0 + w as i16 - 1, y0 + h as i16 - 1);
    for (px, py) in [(x0, y0), (x1, y0), (x0, y1), (x1, y1)] {
        expect_pixel(conn, screen, px, py, under_green(px, py));
    }
}

/// A red xterm at 30,40 with 20x5 characters and `extra` options, running `cat` (which waits
/// for ever on its terminal).
fn xterm_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["-bg", "#ff0000", "-geometry", "20x5+30+40"];
    args.extend_from_slice(extra);
    args.extend(["-e", "cat"]);
    args
}

/// xterm's background fills its window up to the edges, its X border has its border colour,
/// and just outside is the background.
#[test]
fn xterm_colours_and_border_with_exact_edges() {
    require_tools(&["xterm"]);
    let args = xterm_args(&["-fg", "#ffff00", "-bd", "#0000ff", "-bw", "3"]);
    for composite in STRATEGIES {
        let s = Session::start(&["--composite", composite]);
        let (conn, screen) = (&s.conn, s.screen);
        let (_xterm, id) = s.client("xterm", &args, "xterm");
        let (wx, wy, w, h, bw) = common::geometry(conn, id);
        assert_eq!((wx, wy, bw), (30, 40, 3), "xterm's geometry");
        let (w, h, b) = (w as i16, h as i16, bw as i16);
        // The outer corner and edges are border; the inner ones xterm's background.
        expect_window(
            conn,
            screen,
            (wx, wy, w + 2 * b, h + 2 * b),
            BLUE,
            BACKGROUND,
        );
        expect_window(conn, screen, (wx + b, wy + b, w, h), RED, BLUE);
        expect_window_as_drawn(conn, screen, id, BLUE, |_, _| BACKGROUND);
    }
}

/// xdotool moves, unmaps, maps and raises an xterm, and the killed client's window leaves:
/// each step reaches the screen with exact edges and no stale pixels where it was.
#[test]
fn xterm_moved_unmapped_mapped_raised_and_killed_by_xdotool() {
    require_tools(&["xterm", "xdotool"]);
    let args = xterm_args(&["-bw", "0"]);
    for composite in STRATEGIES {
        let s = Session::start(&["--composite", composite]);
        let (conn, screen) = (&s.conn, s.screen);
        let (xterm, id) = s.client("xterm", &args, "xterm");
        let (_, _, w, h, _) = common::geometry(conn, id);
        let (w, h) = (w as i16, h as i16);
        expect_window(conn, screen, (30, 40, w, h), RED, BACKGROUND);
        let blue = TestWindow::new(conn, screen, 200, 150, 40, 40, BLUE);
        let xdotool = |args: &[&str]| common::xdotool(&s.xvfb, id, args);
        xdotool(&["windowmove", "%1", "170", "120"]);
        expect_window(conn, screen, (170, 120, w, h), RED, BACKGROUND);
        let old_corners = [(30, 40, BACKGROUND), (29 + w, 39 + h, BACKGROUND)];
        expect_pixels(conn, screen, &old_corners);
        expect_pixel(conn, screen, 210, 160, BLUE);
        xdotool(&["windowraise", "%1"]);
        expect_pixel(conn, screen, 210, 160, RED);
        xdotool(&["windowunmap", "%1"]);
        let new_corners = [(170, 120, BACKGROUND), (169 + w, 119 + h, BACKGROUND)];
        expect_pixels(conn, screen, &new_corners);
        expect_pixel(conn, screen, 210, 160, BLUE);
        xdotool(&["windowmap", "%1"]);
        expect_window(conn, screen, (170, 120, w, h), RED, BACKGROUND);
        let under = colour_inside((200, 150, 40, 40), BLUE, BACKGROUND);
        expect_window_as_drawn(conn, screen, id, BLACK, under);
        let aux = ConfigureWindowAux::new().stack_mode(StackMode::ABOVE);
        conn.configure_window(blue.id(), &aux).expect("raise");
        expect_pixel(conn, screen, 210, 160, BLUE);
        drop(xterm);
        expect_pixels(conn, screen, &new_corners);
        expect_pixels(conn, screen, &[(210, 160, BLUE), (200, 150, BLUE)]);
    }
}

/// glxgears (GL through GLX, presented into its window by the X server) shows its gears on a
/// black window, and new frames keep reaching the screen: damage from a GL client is composited.
#[test]
fn glxgears_frames_keep_reaching_the_screen() {
    require_tools(&["glxgears"]);
    for composite in STRATEGIES {
        let s = Session::start(&["--composite", composite]);
        let (conn, screen, root) = (&s.conn, s.screen, s.root);
        let (_gears, id) = s.client("glxgears", &["-geometry", "120x120+20+30"], "glxgears");
        let (gx, gy, w, h, _) = common::geometry(conn, id);
        assert_eq!((gx, gy, w, h), (20, 30, 120, 120), "glxgears' geometry");
        expect_window(conn, screen, (20, 30, 120, 120), BLACK, BACKGROUND);
        let coloured = |pixels: &[u32]| pixels.iter().filter(|&&p| p != BLACK).count();
        let mut last = poll_until(TIMEOUT, "gears on screen", || {
            sync(conn, screen);
            let now = get_rect(conn, root, 20, 30, 120, 120);
            (coloured(&now) > 1000).then_some(now)
        });
        for frame in 1..=3 {
            last = poll_until(TIMEOUT, &format!("{composite}: new frame {frame}"), || {
                sync(conn, screen);
                let now = get_rect(conn, root, 20, 30, 120, 120);
                (now != last && coloured(&now) > 1000).then_some(now)
            });
        }
        expect_pixel(conn, screen, 19, 90, BACKGROUND);
        expect_pixel(conn, screen, 140, 90, BACKGROUND);
    }
}

/// Clients mapped before the compositor starts (a shaped xeyes over a green window, an xterm)
/// are shown exactly as the server drew them, shape included.
#[test]
fn clients_mapped_before_start_are_shown_with_their_shapes() {
    require_tools(&["xeyes", "xterm"]);
    for composite in STRATEGIES {
        let x = xvfb();
        let (conn, screen) = x.connect();
        let (gx, gy, gw, gh) = GREEN_RECT;
        let _green = TestWindow::new(&conn, screen, gx, gy, gw, gh, GREEN);
        let mut xeyes = ClientProcess::spawn(&x, "xeyes", &xeyes_args());
        let args = ["-bg", "#ff0000", "-geometry", "10x3+200+150", "-e", "cat"];
        let mut xterm = ClientProcess::spawn(&x, "xterm", &args);
        let eyes = xeyes.find_window(&conn, screen, "xeyes");
        let term = xterm.find_window(&conn, screen, "xterm");
        let _c = CompositorProcess::start(&x, &conn, screen, &["--composite", composite]);
        check_xeyes(&conn, screen, eyes, composite);
        expect_window_as_drawn(&conn, screen, term, BLACK, |_, _| BACKGROUND);
        let (tx, ty, w, h, bw) = common::geometry(&conn, term);
        let b = bw as i16;
        expect_window(
            &conn,
            screen,
            (tx + b, ty + b, w as i16, h as i16),
            RED,
            BLACK,
        );
    }
}
