//! Integration tests of the GPU-facing paths as far as Xvfb allows: `--present egl-surface`
//! (an EGL window surface on the overlay, Mesa's software one here) shows windows with exact
//! edges, stacking, repaints and blending like the read-back paths; it refuses to mix with
//! the server-copy strategy; `--stats-json` names the path that ran. `--import egl-pixmap`
//! runs where the EGL display makes images of pixmaps and is refused with the reason where
//! not (Xvfb), and so is `--import dri3` (Xvfb has no DRI3). The same paths on a DRI3
//! server: `dri3_guest.rs`.

mod common;

use common::{expect_window, wait_exit, xvfb, CompositorProcess, BACKGROUND};
use zcx_testkit::TestWindow;

const RED: u32 = 0x00ff_0000;

#[test]
fn egl_surface_shows_windows_repaints_and_blends() {
    let x = xvfb();
    let (conn, screen) = x.connect();
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
    common::two_window_checks(&conn, screen);
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

#[test]
fn dri3_import_is_refused_without_dri3_with_the_reason_and_exit_2() {
    let x = xvfb();
    let mut child = CompositorProcess::spawn(&x, &["--composite", "gl", "--import", "dri3"]);
    let status = wait_exit(&mut child);
    assert_eq!(status.code(), Some(2), "not available here: exit status 2");
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut err)
        .expect("stderr");
    assert!(err.contains("--import dri3"), "{err}");
    assert!(
        err.contains("DRI3") || err.contains("EGL_EXT_image_dma_buf_import"),
        "{err}"
    );
    assert!(err.contains("--import shm-get-image"), "{err}");
}
