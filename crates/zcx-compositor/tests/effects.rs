//! Integration tests of what the GL blend path puts on screen: `_NET_WM_WINDOW_OPACITY`, and
//! how it meets the server-copy strategy (a window repainted under a translucent one).

mod common;

use common::{close, expect_pixel, sync, xvfb, CompositorProcess, BACKGROUND};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ChangeWindowAttributesAux, ConfigureWindowAux, ConnectionExt as _};
use zcx_testkit::{get_pixel, TestWindow};

#[test]
fn half_opaque_red_over_blue_blends_and_deleting_opacity_restores_red() {
    let x = xvfb();
    let (conn, screen) = x.connect();
    let root = conn.setup().roots[screen].root;
    let _c = CompositorProcess::start(&x, &conn, screen, &[]);
    let _blue = TestWindow::new(&conn, screen, 0, 0, 100, 100, 0x0000_00ff);
    let red = TestWindow::new(&conn, screen, 50, 50, 100, 100, 0x00ff_0000);
    common::set_opacity(&conn, red.id(), 0x8000_0000);
    sync(&conn, screen);
    let over_blue = get_pixel(&conn, root, 75, 75);
    assert!(
        close(over_blue, 0x0080_007f, 2),
        "red at 50% over blue: {over_blue:#08x}"
    );
    let over_bg = get_pixel(&conn, root, 125, 125);
    assert!(
        close(over_bg, 0x0098_1818, 2),
        "red at 50% over the background: {over_bg:#08x}"
    );
    conn.delete_property(red.id(), common::atom(&conn, "_NET_WM_WINDOW_OPACITY"))
        .expect("delete");
    sync(&conn, screen);
    assert_eq!(get_pixel(&conn, root, 75, 75), 0x00ff_0000);
    assert_eq!(get_pixel(&conn, root, 151, 151), BACKGROUND);
}

/// A window repainted while a translucent one covers part of it: the uncovered part reaches
/// the screen by whatever the strategy chooses, the covered part is blended by GL from freshly
/// imported contents, and moving the translucent window away shows the new contents exactly.
fn repaint_under_translucent(composite: &str) {
    let x = xvfb();
    let (conn, screen) = x.connect();
    let root = conn.setup().roots[screen].root;
    let _c = CompositorProcess::start(&x, &conn, screen, &["--composite", composite]);
    let below = TestWindow::new(&conn, screen, 0, 0, 100, 100, 0x0000_00ff);
    let red = TestWindow::new(&conn, screen, 50, 50, 100, 100, 0x00ff_0000);
    common::set_opacity(&conn, red.id(), 0x8000_0000);
    sync(&conn, screen);
    let aux = ChangeWindowAttributesAux::new().background_pixel(0x0000_ff00);
    conn.change_window_attributes(below.id(), &aux)
        .expect("recolour");
    conn.clear_area(false, below.id(), 0, 0, 0, 0)
        .expect("repaint");
    expect_pixel(&conn, screen, 25, 25, 0x0000_ff00);
    expect_pixel(&conn, screen, 99, 49, 0x0000_ff00);
    let over_green = get_pixel(&conn, root, 75, 75);
    assert!(
        close(over_green, 0x0080_7f00, 2),
        "red at 50% over the repainted green: {over_green:#08x}"
    );
    conn.configure_window(red.id(), &ConfigureWindowAux::new().x(200))
        .expect("move");
    expect_pixel(&conn, screen, 75, 75, 0x0000_ff00);
    expect_pixel(&conn, screen, 99, 99, 0x0000_ff00);
    expect_pixel(&conn, screen, 100, 99, BACKGROUND);
}

#[test]
fn repaint_under_translucent_window_with_server_copy() {
    repaint_under_translucent("server-copy");
}

#[test]
fn repaint_under_translucent_window_with_gl() {
    repaint_under_translucent("gl");
}
