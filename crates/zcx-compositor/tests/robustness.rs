//! Integration tests of what X clients may do to the compositor: a root resize (RandR; Xvfb
//! cannot change its size, so the root's ConfigureNotify is sent as the server would send it),
//! bursts of window churn, id reuse, and properties of any size and format. Each test has its
//! own Xvfb and ends with a sync and pixel checks, so a crash or a stale pixel fails it.

mod common;

use common::{expect_pixel, sync, CompositorProcess, BACKGROUND};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ConfigureNotifyEvent, ConnectionExt as _, EventMask};
use zcx_testkit::{TestWindow, Xvfb};

const RED: u32 = 0x00ff_0000;
const BLUE: u32 = 0x0000_00ff;

fn xvfb() -> Xvfb {
    Xvfb::builder()
        .size(320, 240, 24)
        .start()
        .expect("starting Xvfb")
}

fn root_configure<C: Connection>(conn: &C, root: u32, width: u16, height: u16) {
    let ev = ConfigureNotifyEvent {
        response_type: x11rb::protocol::xproto::CONFIGURE_NOTIFY_EVENT,
        sequence: 0,
        event: root,
        window: root,
        above_sibling: x11rb::NONE,
        x: 0,
        y: 0,
        width,
        height,
        border_width: 0,
        override_redirect: false,
    };
    conn.send_event(false, root, EventMask::STRUCTURE_NOTIFY, ev)
        .expect("send ConfigureNotify");
}

#[test]
fn root_resize_reallocates_the_target_and_keeps_compositing() {
    let x = xvfb();
    let (conn, screen) = x.connect();
    let root = conn.setup().roots[screen].root;
    let _c = CompositorProcess::start(&x, &conn, screen, &[]);
    let w = TestWindow::new(&conn, screen, 250, 200, 50, 30, RED);
    expect_pixel(&conn, screen, 260, 210, RED);
    root_configure(&conn, root, 200, 150);
    let _small = TestWindow::new(&conn, screen, 10, 10, 30, 30, BLUE);
    expect_pixel(&conn, screen, 20, 20, BLUE);
    expect_pixel(&conn, screen, 45, 20, BACKGROUND);
    root_configure(&conn, root, 320, 240);
    expect_pixel(&conn, screen, 260, 210, RED);
    expect_pixel(&conn, screen, 310, 230, BACKGROUND);
    drop(w);
    expect_pixel(&conn, screen, 260, 210, BACKGROUND);
    sync(&conn, screen);
}
