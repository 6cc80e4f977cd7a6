//! Integration tests of what test-made windows put on screen, each on its own Xvfb and mostly
//! under both composite strategies: X borders (colour and width changes), override-redirect
//! and ordinary windows beside a tiny window manager that reparents a client into a frame and
//! out of it again, shaped windows (the bounding shape clips, also over the border, and a new
//! shape reaches the screen), CirculateWindow, a move keeping the stacking order, ARGB windows
//! (premultiplied alpha, with and without `_NET_WM_WINDOW_OPACITY`) and window ids reused at
//! once by a new client. Pixels are checked inside and just outside every edge.

mod common;

use common::{
    colour_inside, create_window, expect_pixel, expect_pixel_near, expect_pixels, expect_window,
    expect_window_as_drawn, Session, BACKGROUND, BLUE, GREEN, RED, STRATEGIES, TIMEOUT, YELLOW,
};
use x11rb::connection::Connection;
use x11rb::protocol::shape::{self, ConnectionExt as _};
use x11rb::protocol::xproto::{
    ChangeWindowAttributesAux, Circulate, ClipOrdering, ColormapAlloc, ConfigureWindowAux,
    ConnectionExt as _, CreateWindowAux, EventMask, Rectangle, VisualClass, WindowClass,
};
use x11rb::protocol::Event;
use x11rb::wrapper::ConnectionExt as _;
use zcx_testkit::{poll_until, TestWindow};

fn override_redirect() -> CreateWindowAux {
    CreateWindowAux::new().override_redirect(1)
}

#[test]
fn border_colour_and_width_changes_with_exact_edges() {
    for composite in STRATEGIES {
        let s = Session::start(&["--composite", composite]);
        let (conn, screen, root) = (&s.conn, s.screen, s.root);
        let w = create_window(
            conn,
            root,
            (40, 30, 100, 80),
            RED,
            (5, GREEN),
            override_redirect(),
        );
        conn.map_window(w).expect("map");
        expect_window(conn, screen, (40, 30, 110, 90), GREEN, BACKGROUND);
        expect_window(conn, screen, (45, 35, 100, 80), RED, GREEN);
        // The server repaints the border in its new colour.
        let aux = ChangeWindowAttributesAux::new().border_pixel(BLUE);
        conn.change_window_attributes(w, &aux).expect("recolour");
        expect_window(conn, screen, (40, 30, 110, 90), BLUE, BACKGROUND);
        expect_window(conn, screen, (45, 35, 100, 80), RED, BLUE);
        // A thinner border: the window's outer size shrinks, no stale border pixels remain.
        let aux = ConfigureWindowAux::new().border_width(2);
        conn.configure_window(w, &aux).expect("border width");
        expect_window(conn, screen, (40, 30, 104, 84), BLUE, BACKGROUND);
        expect_window(conn, screen, (42, 32, 100, 80), RED, BLUE);
        expect_pixel(conn, screen, 149, 119, BACKGROUND);
        expect_window_as_drawn(conn, screen, w, BLUE, |_, _| BACKGROUND);
    }
}

/// A tiny window manager (SubstructureRedirect on the root) frames an ordinary client window
/// when it asks to be mapped, while an override-redirect window of the same client maps at
/// its place without asking; then the manager reparents the client out of the frame, back to
/// the root at a new place, and destroys the frame.
#[test]
fn override_redirect_and_reparenting_into_and_out_of_a_frame() {
    for composite in STRATEGIES {
        let s = Session::start(&["--composite", composite]);
        let (conn, screen, root) = (&s.conn, s.screen, s.root);
        let (wm, _) = s.xvfb.connect();
        let aux = ChangeWindowAttributesAux::new().event_mask(EventMask::SUBSTRUCTURE_REDIRECT);
        wm.change_window_attributes(root, &aux)
            .expect("request")
            .check()
            .expect("becoming the window manager");
        let (client, _) = s.xvfb.connect();
        let app = create_window(
            &client,
            root,
            (50, 50, 80, 60),
            RED,
            (0, 0),
            CreateWindowAux::new(),
        );
        client.map_window(app).expect("map");
        let menu = create_window(
            &client,
            root,
            (200, 40, 40, 30),
            BLUE,
            (0, 0),
            override_redirect(),
        );
        client.map_window(menu).expect("map");
        client.flush().expect("flush");
        expect_window(conn, screen, (200, 40, 40, 30), BLUE, BACKGROUND);
        poll_until(TIMEOUT, "the client's MapRequest", || {
            match wm.poll_for_event() {
                Ok(Some(Event::MapRequest(e))) if e.window == app => Some(()),
                _ => None,
            }
        });
        expect_pixel(conn, screen, 90, 80, BACKGROUND);
        let frame = create_window(
            &wm,
            root,
            (30, 30, 120, 100),
            GREEN,
            (0, 0),
            CreateWindowAux::new(),
        );
        wm.reparent_window(app, frame, 20, 20).expect("reparent");
        wm.map_window(app).expect("map");
        wm.map_window(frame).expect("map");
        wm.flush().expect("flush");
        expect_window(conn, screen, (50, 50, 80, 60), RED, GREEN);
        expect_window(conn, screen, (30, 30, 120, 100), GREEN, BACKGROUND);
        // Out of the frame: the client at its new place, the frame without stale client pixels.
        wm.reparent_window(app, root, 180, 120).expect("reparent");
        wm.flush().expect("flush");
        expect_window(conn, screen, (180, 120, 80, 60), RED, BACKGROUND);
        expect_window(conn, screen, (50, 50, 80, 60), GREEN, GREEN);
        expect_window(conn, screen, (30, 30, 120, 100), GREEN, BACKGROUND);
        wm.destroy_window(frame).expect("destroy");
        wm.flush().expect("flush");
        expect_pixel(conn, screen, 30, 30, BACKGROUND);
        expect_pixel(conn, screen, 90, 80, BACKGROUND);
        expect_window(conn, screen, (180, 120, 80, 60), RED, BACKGROUND);
        expect_window(conn, screen, (200, 40, 40, 30), BLUE, BACKGROUND);
    }
}

fn rect(x: i16, y: i16, width: u16, height: u16) -> Rectangle {
    Rectangle {
        x,
        y,
        width,
        height,
    }
}

fn set_shape<C: Connection>(conn: &C, window: u32, rects: &[Rectangle]) {
    conn.shape_rectangles(
        shape::SO::SET,
        shape::SK::BOUNDING,
        ClipOrdering::UNSORTED,
        window,
        0,
        0,
        rects,
    )
    .expect("shape");
}

/// A red 100x100 window with a 4 px green border over a blue one, shaped to an L that takes in
/// the border: every pixel of its extents and just outside is what the shape says. A new shape
/// after the map, a thinner border (the shape stays put relative to the window's origin) and
/// no shape at all reach the screen too.
#[test]
fn shaped_window_clips_over_its_border_and_new_shapes_reach_the_screen() {
    for composite in STRATEGIES {
        let s = Session::start(&["--composite", composite]);
        let (conn, screen, root) = (&s.conn, s.screen, s.root);
        let _blue = TestWindow::new(conn, screen, 0, 0, 200, 200, BLUE);
        let under = colour_inside((0, 0, 200, 200), BLUE, BACKGROUND);
        // The window's origin is 50,50; its border's outer corner 46,46.
        let w = create_window(
            conn,
            root,
            (46, 46, 100, 100),
            RED,
            (4, GREEN),
            override_redirect(),
        );
        // The left half and the bottom-right quarter, each with its border.
        set_shape(conn, w, &[rect(-4, -4, 54, 108), rect(50, 50, 54, 54)]);
        conn.map_window(w).expect("map");
        let counts = expect_window_as_drawn(conn, screen, w, GREEN, &under);
        assert_eq!(
            counts,
            (7500, 2916),
            "{composite}: pixels inside and outside the L"
        );
        expect_pixels(
            conn,
            screen,
            &[
                (46, 46, GREEN),
                (45, 46, BLUE),
                (99, 60, RED),
                (100, 60, BLUE),
                (120, 99, BLUE),
                (120, 100, RED),
                (153, 153, GREEN),
                (154, 153, BLUE),
            ],
        );
        // Only the top-right quarter with its border.
        set_shape(conn, w, &[rect(50, -4, 54, 54)]);
        let counts = expect_window_as_drawn(conn, screen, w, GREEN, &under);
        assert_eq!(counts, (2500, 8748), "{composite}: the new shape");
        expect_pixel(conn, screen, 60, 60, BLUE);
        expect_pixel(conn, screen, 120, 60, RED);
        expect_pixel(conn, screen, 120, 120, BLUE);
        // A 1 px border: the window's origin moves to 47,47 and its shape with it.
        let aux = ConfigureWindowAux::new().border_width(1);
        conn.configure_window(w, &aux).expect("border width");
        let counts = expect_window_as_drawn(conn, screen, w, GREEN, &under);
        assert_eq!(
            counts,
            (2500, 102 * 102 - 51 * 51),
            "{composite}: after the border change"
        );
        conn.shape_mask(shape::SO::SET, shape::SK::BOUNDING, w, 0, 0, x11rb::NONE)
            .expect("unshape");
        expect_window(conn, screen, (46, 46, 102, 102), GREEN, under(0, 0));
        expect_window(conn, screen, (47, 47, 100, 100), RED, GREEN);
    }
}

#[test]
fn circulate_raises_the_lowest_and_lowers_the_highest() {
    let s = Session::start(&[]);
    let (conn, screen, root) = (&s.conn, s.screen, s.root);
    let _a = TestWindow::new(conn, screen, 0, 0, 100, 100, RED);
    let _b = TestWindow::new(conn, screen, 30, 30, 100, 100, GREEN);
    let _c = TestWindow::new(conn, screen, 60, 60, 100, 100, BLUE);
    expect_pixels(
        conn,
        screen,
        &[(70, 70, BLUE), (45, 45, GREEN), (100, 100, BLUE)],
    );
    conn.circulate_window(Circulate::RAISE_LOWEST, root)
        .expect("circulate");
    expect_pixels(
        conn,
        screen,
        &[
            (70, 70, RED),
            (45, 45, RED),
            (99, 99, RED),
            (100, 100, BLUE),
        ],
    );
    conn.circulate_window(Circulate::LOWER_HIGHEST, root)
        .expect("circulate");
    expect_pixels(
        conn,
        screen,
        &[(70, 70, BLUE), (45, 45, GREEN), (20, 20, RED)],
    );
}

/// The first window created after the compositor started sits just above the compositor's
/// own (selection) window; moving it must not raise it over the windows created after it.
#[test]
fn a_moved_window_keeps_its_place_in_the_stack() {
    let s = Session::start(&[]);
    let (conn, screen) = (&s.conn, s.screen);
    let a = TestWindow::new(conn, screen, 0, 0, 100, 100, RED);
    let _b = TestWindow::new(conn, screen, 120, 50, 100, 100, BLUE);
    expect_pixel(conn, screen, 130, 60, BLUE);
    let aux = ConfigureWindowAux::new().x(100).y(40);
    conn.configure_window(a.id(), &aux).expect("move");
    expect_pixels(
        conn,
        screen,
        &[
            (100, 40, RED),
            (119, 139, RED),
            (99, 40, BACKGROUND),
            (100, 39, BACKGROUND),
            (120, 60, BLUE),
            (199, 139, BLUE),
            (0, 0, BACKGROUND),
        ],
    );
}

/// A depth-32 TrueColor visual, if the server has one.
fn argb_visual<C: Connection>(conn: &C, screen: usize) -> Option<u32> {
    conn.setup().roots[screen]
        .allowed_depths
        .iter()
        .filter(|d| d.depth == 32)
        .flat_map(|d| d.visuals.iter())
        .find(|v| v.class == VisualClass::TRUE_COLOR)
        .map(|v| v.visual_id)
}

/// A depth-32 window whose background is red at half alpha (premultiplied 0x80800000) blends
/// over a blue window and over the background, with exact edges; `_NET_WM_WINDOW_OPACITY`
/// multiplies its alpha.
#[test]
fn argb_window_blends_premultiplied_over_what_is_below() {
    for composite in STRATEGIES {
        let s = Session::start(&["--composite", composite]);
        let (conn, screen, root) = (&s.conn, s.screen, s.root);
        let visual =
            argb_visual(conn, screen).expect("the test's Xvfb has a depth-32 TrueColor visual");
        let _blue = TestWindow::new(conn, screen, 0, 0, 100, 100, BLUE);
        let colormap = conn.generate_id().expect("id");
        conn.create_colormap(ColormapAlloc::NONE, colormap, root, visual)
            .expect("colormap");
        let w = conn.generate_id().expect("id");
        let aux = override_redirect()
            .background_pixel(0x8080_0000)
            .border_pixel(0)
            .colormap(colormap);
        conn.create_window(
            32,
            w,
            root,
            50,
            50,
            100,
            100,
            0,
            WindowClass::INPUT_OUTPUT,
            visual,
            &aux,
        )
        .expect("create");
        conn.map_window(w).expect("map");
        let (over_blue, over_bg) = (0x0080_007f, 0x0098_1818);
        for (px, py, want) in [
            (50, 50, over_blue),
            (99, 99, over_blue),
            (100, 100, over_bg),
            (149, 149, over_bg),
            (49, 50, BLUE),
            (50, 49, BLUE),
            (150, 149, BACKGROUND),
            (149, 150, BACKGROUND),
        ] {
            expect_pixel_near(conn, screen, px, py, want, 2);
        }
        common::set_opacity(conn, w, 0x8000_0000);
        expect_pixel_near(conn, screen, 75, 75, 0x0040_00bf, 2);
        expect_pixel_near(conn, screen, 125, 125, 0x0064_2424, 2);
        expect_pixel(conn, screen, 150, 125, BACKGROUND);
    }
}

/// Client A maps three windows and is killed; client B connects at once and creates windows
/// of other colours and geometry. The X server hands B the client slot and so the window ids
/// A had (printed); the screen shows B's windows at B's places and nothing of A's.
#[test]
fn window_ids_reused_at_once_by_a_new_client_show_only_its_windows() {
    for composite in STRATEGIES {
        let s = Session::start(&["--composite", composite]);
        let (conn, screen, root) = (&s.conn, s.screen, s.root);
        let a_windows = [
            ((10, 10, 60, 60), RED),
            ((100, 10, 60, 60), GREEN),
            ((190, 10, 60, 60), YELLOW),
        ];
        let (a, _) = s.xvfb.connect();
        let a_ids: Vec<u32> = a_windows
            .iter()
            .map(|&(r, rgb)| common::create_mapped(&a, root, r, rgb))
            .collect();
        a.sync().expect("sync");
        for ((x0, y0, w, h), rgb) in a_windows {
            expect_window(conn, screen, (x0, y0, w as i16, h as i16), rgb, BACKGROUND);
        }
        drop(a);
        let (b, _) = s.xvfb.connect();
        // The first at A's first place in another colour, the others elsewhere and smaller.
        let b_windows = [
            ((10, 10, 60, 60), BLUE),
            ((100, 100, 80, 40), RED),
            ((200, 20, 20, 20), GREEN),
        ];
        let b_ids: Vec<u32> = b_windows
            .iter()
            .map(|&(r, rgb)| common::create_mapped(&b, root, r, rgb))
            .collect();
        b.sync().expect("sync");
        let reused = a_ids.iter().filter(|id| b_ids.contains(id)).count();
        eprintln!("{composite}: A's ids {a_ids:x?}, B's {b_ids:x?}: {reused} reused");
        for ((x0, y0, w, h), rgb) in b_windows {
            expect_window(conn, screen, (x0, y0, w as i16, h as i16), rgb, BACKGROUND);
        }
        for (px, py) in [
            (100, 10),
            (159, 69),
            (190, 10),
            (249, 69),
            (199, 19),
            (220, 40),
        ] {
            expect_pixel(conn, screen, px, py, BACKGROUND);
        }
    }
}
