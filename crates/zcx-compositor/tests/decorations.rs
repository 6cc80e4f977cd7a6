//! Integration tests of the decorations (`--shadows`, `--borders`) on a real Xvfb, with both
//! composite strategies: the border ring around a producer window in its mode's colour (and a
//! new colour when the mode changes), no border around ordinary windows, the shadow's
//! darkening against the Rust reference of the shader (`decor::ShadowStyle::alpha_at`), the
//! window itself untouched, and nothing left behind when the window goes.

mod common;

use common::{close, expect_pixel, set_stats, sync, xvfb, CompositorProcess, BACKGROUND};
use x11rb::connection::Connection;
use zcx_compositor::model::decor::{mode_rgb, BORDER_WIDTH, SHADOW};
use zcx_compositor::region::Rect;
use zcx_testkit::{get_pixel, TestWindow};

const RED: u32 = 0x00ff_0000;
const BLUE: u32 = 0x0000_00ff;

/// `rgb` darkened by a shadow of coverage `alpha` (premultiplied black over it).
fn shaded(rgb: u32, alpha: f32) -> u32 {
    let ch = |shift: u32| {
        let c = ((rgb >> shift) & 0xff) as f32;
        ((c * (1.0 - alpha)).round() as u32) << shift
    };
    ch(16) | ch(8) | ch(0)
}

fn decorations(composite: &str) {
    let x = xvfb();
    let (conn, screen) = x.connect();
    let root = conn.setup().roots[screen].root;
    let _c = CompositorProcess::start(
        &x,
        &conn,
        screen,
        &[
            "--shadows",
            "--borders",
            "--no-hud",
            "--composite",
            composite,
        ],
    );
    // A producer (it publishes _ZCX_STATS) and an ordinary window.
    let producer = TestWindow::new(&conn, screen, 60, 60, 100, 80, RED);
    set_stats(&conn, producer.id(), br#"{"mode":"shm-pixmap"}"#);
    let _plain = TestWindow::new(&conn, screen, 220, 20, 40, 40, BLUE);
    sync(&conn, screen);

    // The window itself is untouched, up to its edges.
    for (px, py) in [(60, 60), (159, 60), (60, 139), (159, 139)] {
        expect_pixel(&conn, screen, px, py, RED);
    }
    // The ring: BORDER_WIDTH pixels outside each edge, in the mode's colour.
    let b = BORDER_WIDTH as i16;
    let green = mode_rgb(Some("shm-pixmap"));
    for (px, py) in [
        (60 - b, 100),
        (59, 100),
        (160, 100),
        (159 + b, 100),
        (100, 59),
        (100, 140),
    ] {
        expect_pixel(&conn, screen, px, py, green);
    }
    // The shadow below and right of the ring, as the reference computes it.
    let ring = Rect::new(56, 56, 108, 88);
    let caster = SHADOW.caster(ring);
    for (px, py) in [(170, 150), (166, 100), (100, 146), (180, 160), (60, 150)] {
        let want = shaded(
            BACKGROUND,
            SHADOW.alpha_at(caster, px as f32 + 0.5, py as f32 + 0.5),
        );
        let got = get_pixel(&conn, root, px, py);
        assert!(
            close(got, want, 3),
            "{composite}: shadow at {px},{py}: got {got:#08x}, want about {want:#08x}"
        );
        assert_ne!(got, BACKGROUND, "{composite}: no shadow at {px},{py}");
    }
    // Beyond its reach the background is exact.
    let reach = SHADOW.reach() as i16;
    expect_pixel(&conn, screen, 164 + 6 + reach + 1, 100, BACKGROUND);
    // The ordinary window: no border (just outside it only the faint edge of its own
    // shadow), but a shadow.
    expect_pixel(&conn, screen, 220, 20, BLUE);
    let plain_caster = SHADOW.caster(Rect::new(220, 20, 40, 40));
    for (px, py) in [(219, 30), (262, 62), (240, 61)] {
        let want = shaded(
            BACKGROUND,
            SHADOW.alpha_at(plain_caster, px as f32 + 0.5, py as f32 + 0.5),
        );
        let got = get_pixel(&conn, root, px, py);
        assert!(
            close(got, want, 3),
            "{composite}: ordinary window's shadow at {px},{py}: got {got:#08x}, want {want:#08x}"
        );
    }

    // A new mode recolours the ring.
    set_stats(&conn, producer.id(), br#"{"mode":"put-image"}"#);
    expect_pixel(&conn, screen, 59, 100, mode_rgb(Some("put-image")));
    // Garbage names no mode: grey.
    set_stats(&conn, producer.id(), b"\xff\x00garbage");
    expect_pixel(&conn, screen, 59, 100, mode_rgb(None));

    // Gone: ring and shadow leave nothing behind.
    drop(producer);
    for (px, py) in [(59, 100), (170, 150), (100, 146), (60, 100)] {
        expect_pixel(&conn, screen, px, py, BACKGROUND);
    }
}

#[test]
fn borders_and_shadows_with_server_copy() {
    decorations("server-copy");
}

#[test]
fn borders_and_shadows_with_gl() {
    decorations("gl");
}
