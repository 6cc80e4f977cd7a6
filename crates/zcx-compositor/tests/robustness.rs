//! Integration tests of what X clients may do to the compositor: a root resize (RandR; Xvfb
//! cannot change its size, so the root's ConfigureNotify is sent as the server would send it),
//! bursts of window churn, id reuse, and properties of any size and format. Each test has its
//! own Xvfb and ends with a sync and pixel checks, so a crash or a stale pixel fails it.

mod common;

use common::{create_mapped, expect_pixel, sync, xvfb, CompositorProcess, BACKGROUND};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    AtomEnum, ConfigureNotifyEvent, ConfigureWindowAux, ConnectionExt as _, EventMask, PropMode,
};
use x11rb::wrapper::ConnectionExt as _;
use zcx_testkit::TestWindow;

const RED: u32 = 0x00ff_0000;
const BLUE: u32 = 0x0000_00ff;

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

#[test]
fn a_window_over_the_maximum_texture_size_is_skipped_and_others_still_draw() {
    let x = xvfb();
    let (conn, screen) = x.connect();
    let root = conn.setup().roots[screen].root;
    let mut c = CompositorProcess::start(&x, &conn, screen, &[]);
    let huge = create_mapped(&conn, root, (0, 200, 30000, 20), BLUE);
    let _w = TestWindow::new(&conn, screen, 10, 10, 40, 40, RED);
    expect_pixel(&conn, screen, 20, 20, RED);
    conn.destroy_window(huge).expect("destroy");
    expect_pixel(&conn, screen, 100, 210, BACKGROUND);
    assert!(
        c.child.try_wait().expect("wait").is_none(),
        "compositor still running"
    );
}

#[test]
fn bursts_of_2000_create_map_unmap_destroy_cycles_leave_no_stale_pixels() {
    let x = xvfb();
    let (conn, screen) = x.connect();
    let root = conn.setup().roots[screen].root;
    let _c = CompositorProcess::start(&x, &conn, screen, &[]);
    for i in 0..2000u32 {
        let id = create_mapped(
            &conn,
            root,
            ((i % 200) as i16, (i % 150) as i16, 60, 60),
            RED,
        );
        if i % 3 == 0 {
            conn.configure_window(id, &ConfigureWindowAux::new().x(5).width(90))
                .expect("configure");
        }
        conn.unmap_window(id).expect("unmap");
        conn.destroy_window(id).expect("destroy");
    }
    let _last = TestWindow::new(&conn, screen, 100, 100, 20, 20, BLUE);
    expect_pixel(&conn, screen, 110, 110, BLUE);
    for (px, py) in [(30, 30), (150, 80), (99, 99), (250, 200)] {
        expect_pixel(&conn, screen, px, py, BACKGROUND);
    }
}

#[test]
fn a_client_killed_with_200_windows_leaves_the_background() {
    let x = xvfb();
    let (conn, screen) = x.connect();
    let _c = CompositorProcess::start(&x, &conn, screen, &[]);
    {
        let (victim, vscreen) = x.connect();
        let vroot = victim.setup().roots[vscreen].root;
        for i in 0..200i16 {
            create_mapped(&victim, vroot, (i % 300, (i * 7) % 220, 20, 20), RED);
        }
        victim.sync().expect("sync");
        sync(&conn, screen);
        expect_pixel(&conn, screen, 5, 5, RED);
    } // the connection closes: the server destroys its windows
    for (px, py) in [(5, 5), (150, 70), (299, 219)] {
        expect_pixel(&conn, screen, px, py, BACKGROUND);
    }
}

#[test]
fn configure_and_property_changes_then_destroy_at_once_and_resize_storms() {
    let x = xvfb();
    let (conn, screen) = x.connect();
    let root = conn.setup().roots[screen].root;
    let _c = CompositorProcess::start(&x, &conn, screen, &[]);
    let opacity = conn
        .intern_atom(false, b"_NET_WM_WINDOW_OPACITY")
        .expect("intern")
        .reply()
        .expect("atom")
        .atom;
    let stats = conn
        .intern_atom(false, b"_ZCX_STATS")
        .expect("intern")
        .reply()
        .expect("atom")
        .atom;
    for i in 0..50i16 {
        let id = create_mapped(&conn, root, (i, i, 50, 50), RED);
        conn.configure_window(id, &ConfigureWindowAux::new().width(80).height(20))
            .expect("configure");
        conn.change_property32(
            PropMode::REPLACE,
            id,
            opacity,
            AtomEnum::CARDINAL,
            &[0x8000_0000],
        )
        .expect("opacity");
        conn.change_property8(
            PropMode::REPLACE,
            id,
            stats,
            AtomEnum::STRING,
            b"{\"mode\":",
        )
        .expect("stats");
        conn.change_property8(
            PropMode::REPLACE,
            id,
            AtomEnum::WM_CLASS,
            AtomEnum::STRING,
            &[0xff; 3000],
        )
        .expect("class");
        conn.destroy_window(id).expect("destroy");
    }
    let w = TestWindow::new(&conn, screen, 0, 0, 10, 10, BLUE);
    for i in 1..=300u32 {
        let aux = ConfigureWindowAux::new()
            .x((i % 100) as i32)
            .width(10 + i % 200)
            .height(10 + i % 150);
        conn.configure_window(w.id(), &aux).expect("resize");
    }
    let aux = ConfigureWindowAux::new().x(100).y(100).width(50).height(40);
    conn.configure_window(w.id(), &aux).expect("final size");
    common::expect_window(&conn, screen, (100, 100, 50, 40), BLUE, BACKGROUND);
    expect_pixel(&conn, screen, 20, 20, BACKGROUND);
}
