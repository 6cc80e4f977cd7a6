//! Integration tests of the GPU-facing paths as far as Xvfb allows: `--present egl-surface`
//! (an EGL window surface on the overlay, Mesa's software one here) shows windows with exact
//! edges, stacking, repaints and blending like the read-back paths; it refuses to mix with
//! the server-copy strategy; `--stats-json` names the path that ran. `--import egl-pixmap`
//! runs where the EGL display makes images of pixmaps and is refused with the reason where
//! not (Xvfb).

mod common;

use common::{
    expect_pixel, expect_window, set_opacity, sync, wait_exit, xvfb, CompositorProcess, BACKGROUND,
};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ChangeWindowAttributesAux, ConfigureWindowAux, ConnectionExt as _};
use zcx_testkit::{get_pixel, TestWindow};

const RED: u32 = 0x00ff_0000;
const BLUE: u32 = 0x0000_00ff;
const GREEN: u32 = 0x0000_ff00;

#[test]
fn egl_surface_shows_windows_repaints_and_blends() {
    let x = xvfb();
    let (conn, screen) = x.connect();
    let root = conn.setup().roots[screen].root;
    let dir = std::env::temp_dir().join(format!("zcx-present-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let stats = dir.join("stats.json");
    let stats_arg = stats.to_str().expect("utf-8 path");
    let mut c = CompositorProcess::start(
        &x,
        &conn,
        screen,
        &[
            "--composite",
            "gl",
            "--present",
            "egl-surface",
            "--stats-json",
            stats_arg,
        ],
    );
    let blue = TestWindow::new(&conn, screen, 20, 20, 100, 80, BLUE);
    let red = TestWindow::new(&conn, screen, 60, 50, 100, 80, RED);
    // Red over blue where they overlap; exact edges where each meets the background.
    for (px, py, want) in [
        (60, 50, RED),
        (159, 129, RED),
        (59, 99, BLUE),
        (20, 20, BLUE),
        (160, 100, BACKGROUND),
        (100, 130, BACKGROUND),
        (19, 20, BACKGROUND),
    ] {
        expect_pixel(&conn, screen, px, py, want);
    }
    // A repaint of the lower window and a move of the upper one.
    let aux = ChangeWindowAttributesAux::new().background_pixel(GREEN);
    conn.change_window_attributes(blue.id(), &aux)
        .expect("recolour");
    conn.clear_area(false, blue.id(), 0, 0, 0, 0)
        .expect("repaint");
    conn.configure_window(red.id(), &ConfigureWindowAux::new().x(180))
        .expect("move");
    expect_window(&conn, screen, (20, 20, 100, 80), GREEN, BACKGROUND);
    expect_window(&conn, screen, (180, 50, 100, 80), RED, BACKGROUND);
    // Translucency goes through the same swap.
    set_opacity(&conn, red.id(), 0x8000_0000);
    sync(&conn, screen);
    let over_bg = get_pixel(&conn, root, 200, 100);
    assert!(
        common::close(over_bg, 0x0098_1818, 2),
        "red at 50% over the background: {over_bg:#08x}"
    );
    assert!(c.terminate().success());
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&stats).expect("stats written"))
            .expect("stats json");
    assert_eq!(json["present"], "egl-surface", "{json}");
    assert_eq!(json["composite"], "gl", "{json}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn egl_surface_refuses_the_server_copy_strategy_with_a_reason_and_exit_2() {
    let x = xvfb();
    let mut child = CompositorProcess::spawn(&x, &["--present", "egl-surface"]);
    let status = wait_exit(&mut child);
    assert_eq!(status.code(), Some(2), "not available here: exit status 2");
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut err)
        .expect("stderr");
    assert!(err.contains("--composite gl"), "{err}");
}

#[test]
fn egl_pixmap_import_shows_windows_or_is_refused_with_the_reason() {
    let x = xvfb();
    let (conn, screen) = x.connect();
    let args = ["--composite", "gl", "--import", "egl-pixmap"];
    let mut child = CompositorProcess::spawn(&x, &args);
    let started =
        zcx_testkit::poll_until(common::TIMEOUT, "the compositor to start or exit", || {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(Err(status));
            }
            // It owns the selection before it sets up importing: wait for a painted frame.
            let painted = zcx_compositor::x::sync_hook::wait_for_compositor(
                &conn,
                screen,
                std::time::Duration::from_millis(200),
            );
            painted.is_ok().then_some(Ok(()))
        });
    match started {
        Err(status) => {
            assert_eq!(status.code(), Some(2), "not available here: exit status 2");
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut err)
                .expect("stderr");
            assert!(
                err.contains("EGL_KHR_image") && err.contains("--import shm-get-image"),
                "{err}"
            );
            zcx_testkit::skipped(
                zcx_testkit::Lacks::EglPixmapImages,
                "the egl-pixmap importer's refusal was checked; its pixels were not",
            );
        }
        Ok(()) => {
            let c = CompositorProcess { child };
            let _w = TestWindow::new(&conn, screen, 40, 30, 120, 90, RED);
            expect_window(&conn, screen, (40, 30, 120, 90), RED, BACKGROUND);
            drop(c);
        }
    }
}
