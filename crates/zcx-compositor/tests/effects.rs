//! Integration tests of what the GL blend path puts on screen: `_NET_WM_WINDOW_OPACITY`.

mod common;

use common::{sync, CompositorProcess, BACKGROUND};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{AtomEnum, ConnectionExt as _, PropMode};
use x11rb::wrapper::ConnectionExt as _;
use zcx_testkit::{get_pixel, TestWindow, Xvfb};

fn close(a: u32, b: u32) -> bool {
    (0..3).all(|i| ((a >> (i * 8)) & 0xff).abs_diff((b >> (i * 8)) & 0xff) <= 2)
}

#[test]
fn half_opaque_red_over_blue_blends_and_deleting_opacity_restores_red() {
    let x = Xvfb::builder()
        .size(320, 240, 24)
        .start()
        .expect("starting Xvfb");
    let (conn, screen) = x.connect();
    let root = conn.setup().roots[screen].root;
    let _c = CompositorProcess::start(&x, &conn, screen, &[]);
    let _blue = TestWindow::new(&conn, screen, 0, 0, 100, 100, 0x0000_00ff);
    let red = TestWindow::new(&conn, screen, 50, 50, 100, 100, 0x00ff_0000);
    let opacity = conn
        .intern_atom(false, b"_NET_WM_WINDOW_OPACITY")
        .expect("intern")
        .reply()
        .expect("atom")
        .atom;
    conn.change_property32(
        PropMode::REPLACE,
        red.id(),
        opacity,
        AtomEnum::CARDINAL,
        &[0x8000_0000],
    )
    .expect("set");
    sync(&conn, screen);
    let over_blue = get_pixel(&conn, root, 75, 75);
    assert!(
        close(over_blue, 0x0080_007f),
        "red at 50% over blue: {over_blue:#08x}"
    );
    let over_bg = get_pixel(&conn, root, 125, 125);
    assert!(
        close(over_bg, 0x0098_1818),
        "red at 50% over the background: {over_bg:#08x}"
    );
    conn.delete_property(red.id(), opacity).expect("delete");
    sync(&conn, screen);
    assert_eq!(get_pixel(&conn, root, 75, 75), 0x00ff_0000);
    assert_eq!(get_pixel(&conn, root, 151, 151), BACKGROUND);
}
