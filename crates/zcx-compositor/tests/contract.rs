//! Integration tests of the command-line contract the `zcx` front end depends on:
//! exit status 2 for bad options, `--duration` with `--stats-json` (read strictly, as zcx-bench
//! reads it), `--layout side-by-side`, the HUD (`--hud`/`--no-hud`)
//! over producer windows only, robust against garbage `_ZCX_STATS`, and idle staying idle.
//! Each test has its own Xvfb.

mod common;

use common::{expect_pixel, set_stats, sync, wait_exit, xvfb, CompositorProcess, BACKGROUND};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{AtomEnum, ConnectionExt as _, PropMode, Window};
use x11rb::wrapper::ConnectionExt as _;
use zcx_contracts::{CompositeMode, StatsReport};
use zcx_testkit::{get_pixel, get_rect, TestWindow};

const RED: u32 = 0x00ff_0000;
const GREEN: u32 = 0x0000_ff00;
const BLUE: u32 = 0x0000_00ff;

const STATS: &str = r#"{"mode":"shm-pixmap","fps":59.9,"complete_ms":{"p50":6.2,"p99":9.1},
"client_cpu_ms_per_frame":4.5,"server_cpu_ms_per_frame":5.5,"client_ctx_switches_per_frame":1.2,
"server_ctx_switches_per_frame":1.3,"socket_bytes_per_frame":96.0}"#;

fn set_class<C: Connection>(conn: &C, window: Window, class: &[u8]) {
    conn.change_property8(
        PropMode::REPLACE,
        window,
        AtomEnum::WM_CLASS,
        AtomEnum::STRING,
        class,
    )
    .expect("set WM_CLASS");
}

/// README "Exit status": bad options end with 2 before anything connects (the other cases:
/// `manager::refuses_beside_another_manager_with_exit_code_2`, the refusals in `present`, and
/// 0 below).
#[test]
fn bad_options_exit_2() {
    zcx_testkit::expect_exit_status(
        env!("CARGO_BIN_EXE_zcx-compositor"),
        &[
            &["--no-such-option"],
            &["--background", "0x1000000"],
            &["--import", "telepathy"],
            &["--duration", "soon"],
        ],
        2,
    );
}

#[test]
fn duration_exits_0_and_writes_stats_json_as_the_bench_reads_it() {
    let x = xvfb();
    let (conn, screen) = x.connect();
    let dir = std::env::temp_dir().join(format!("zcx-stats-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("stats.json");
    let path_arg = path.to_string_lossy().into_owned();
    let _w = TestWindow::new(&conn, screen, 10, 10, 50, 50, RED);
    let mut c = CompositorProcess::start(
        &x,
        &conn,
        screen,
        &["--duration", "1.5", "--stats-json", &path_arg],
    );
    assert_eq!(wait_exit(&mut c.child).code(), Some(0));
    let text = std::fs::read_to_string(&path).expect("stats file written");
    // The reader zcx-bench uses: every field present, none unknown, this schema.
    let r: StatsReport = zcx_contracts::read_json(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert!(r.frames >= 1, "{text}");
    assert!((1.4..5.0).contains(&r.duration_s), "{text}");
    assert_eq!(r.present, "shm-put");
    assert_eq!(r.composite, CompositeMode::ServerCopy);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn side_by_side_scales_producers_into_columns_and_keeps_ordinary_windows() {
    let x = xvfb();
    let (conn, screen) = x.connect();
    let _c = CompositorProcess::start(&x, &conn, screen, &["--layout", "side-by-side", "--no-hud"]);
    let red = TestWindow::new(&conn, screen, 200, 150, 100, 100, RED);
    let blue = TestWindow::new(&conn, screen, 0, 0, 100, 100, BLUE);
    let _green = TestWindow::new(&conn, screen, 5, 5, 20, 20, GREEN);
    set_class(&conn, red.id(), b"zcx-producer\0zcx-producer\0");
    set_stats(&conn, blue.id(), b"{}");
    // Margins of 320/64 = 5 px: two columns of 150x230, so each 100x100 producer becomes
    // 150x150 at y = 45.
    let (first, second) = if red.id() < blue.id() {
        (RED, BLUE)
    } else {
        (BLUE, RED)
    };
    for (x0, colour) in [(5i16, first), (165, second)] {
        expect_pixel(&conn, screen, x0, 45, colour);
        expect_pixel(&conn, screen, x0 + 149, 194, colour);
        expect_pixel(&conn, screen, x0 - 1, 100, BACKGROUND);
        expect_pixel(&conn, screen, x0 + 150, 100, BACKGROUND);
        expect_pixel(&conn, screen, x0 + 75, 44, BACKGROUND);
        expect_pixel(&conn, screen, x0 + 75, 195, BACKGROUND);
    }
    expect_pixel(&conn, screen, 10, 10, GREEN);
    expect_pixel(&conn, screen, 26, 26, BACKGROUND);
    // One producer left: it fills the column's height (230), centred.
    drop(blue);
    expect_pixel(&conn, screen, 45, 5, RED);
    expect_pixel(&conn, screen, 274, 234, RED);
    expect_pixel(&conn, screen, 44, 120, BACKGROUND);
    expect_pixel(&conn, screen, 275, 120, BACKGROUND);
}

/// A scaled producer whose two halves differ, repainted in part: the column shows each half
/// where scaling puts it, before and after the repaint (server-copy scales it with RENDER,
/// gl with a linear sampler).
fn scaled_contents_follow_partial_repaints(composite: &str) {
    let x = xvfb();
    let (conn, screen) = x.connect();
    let args = [
        "--layout",
        "side-by-side",
        "--no-hud",
        "--composite",
        composite,
    ];
    let _c = CompositorProcess::start(&x, &conn, screen, &args);
    let producer = TestWindow::new(&conn, screen, 10, 10, 200, 100, RED);
    set_stats(&conn, producer.id(), b"{}");
    // The right half is a blue child window (part of the producer's pixmap).
    let half = conn.generate_id().expect("id");
    let aux = x11rb::protocol::xproto::CreateWindowAux::new().background_pixel(BLUE);
    conn.create_window(
        x11rb::COPY_DEPTH_FROM_PARENT,
        half,
        producer.id(),
        100,
        0,
        100,
        100,
        0,
        x11rb::protocol::xproto::WindowClass::INPUT_OUTPUT,
        x11rb::COPY_FROM_PARENT,
        &aux,
    )
    .expect("create");
    conn.map_window(half).expect("map");
    // One column of 310x230 (5 px margins): 200x100 becomes 310x155 at (5, 42); the halves
    // meet at x = 160.
    for (px, colour) in [(5, RED), (150, RED), (170, BLUE), (314, BLUE)] {
        expect_pixel(&conn, screen, px, 42, colour);
        expect_pixel(&conn, screen, px, 196, colour);
    }
    expect_pixel(&conn, screen, 100, 41, BACKGROUND);
    expect_pixel(&conn, screen, 100, 197, BACKGROUND);
    let aux = x11rb::protocol::xproto::ChangeWindowAttributesAux::new().background_pixel(GREEN);
    conn.change_window_attributes(half, &aux).expect("recolour");
    conn.clear_area(false, half, 0, 0, 0, 0).expect("repaint");
    for (px, colour) in [(150, RED), (170, GREEN), (314, GREEN)] {
        expect_pixel(&conn, screen, px, 120, colour);
    }
}

#[test]
fn server_copy_scales_contents_and_partial_repaints_correctly() {
    scaled_contents_follow_partial_repaints("server-copy");
}

#[test]
fn gl_scales_contents_and_partial_repaints_correctly() {
    scaled_contents_follow_partial_repaints("gl");
}

#[test]
fn hud_is_drawn_over_producers_only_and_survives_garbage_stats() {
    hud_over_producers_only("server-copy");
}

/// The GL-composited HUD (`--composite gl`) looks the same as the server-composited one.
#[test]
fn gl_hud_is_drawn_over_producers_only_and_survives_garbage_stats() {
    hud_over_producers_only("gl");
}

fn hud_over_producers_only(composite: &str) {
    let x = xvfb();
    let (conn, screen) = x.connect();
    let root = conn.setup().roots[screen].root;
    let _c = CompositorProcess::start(&x, &conn, screen, &["--composite", composite]);
    let producer = TestWindow::new(&conn, screen, 10, 10, 200, 100, RED);
    let ordinary = TestWindow::new(&conn, screen, 10, 130, 200, 100, RED);
    set_stats(&conn, producer.id(), STATS.as_bytes());
    sync(&conn, screen);
    // The panel starts 8 px inside the window: translucent black over red there.
    let panel = get_pixel(&conn, root, 19, 19);
    assert!(
        panel >> 16 < 0x80 && panel & 0xffff == 0,
        "panel pixel over red: {panel:#08x}"
    );
    assert_eq!(
        get_pixel(&conn, root, 17, 17),
        RED,
        "just outside the panel"
    );
    let bright = get_rect(&conn, root, 19, 19, 150, 40)
        .iter()
        .filter(|&&p| p & 0xff > 0x80)
        .count();
    assert!(bright > 50, "text pixels in the panel: {bright}");
    assert_eq!(
        get_pixel(&conn, root, 19, 139),
        RED,
        "no HUD on an ordinary window"
    );
    for garbage in [&b"\xff\x00garbage{"[..], b"", &[b'{'; 70_000][..]] {
        set_stats(&conn, producer.id(), garbage);
        sync(&conn, screen);
    }
    let atom = conn
        .intern_atom(false, b"_ZCX_STATS")
        .expect("intern")
        .reply()
        .expect("atom")
        .atom;
    conn.change_property32(
        PropMode::REPLACE,
        producer.id(),
        atom,
        AtomEnum::CARDINAL,
        &[1, 2, 3],
    )
    .expect("format 32");
    sync(&conn, screen);
    assert!(
        get_pixel(&conn, root, 19, 19) >> 16 < 0x80,
        "panel still drawn"
    );
    drop(ordinary);
    expect_pixel(&conn, screen, 19, 139, BACKGROUND);
}

/// The HUD grows with the output, as mpv's stats overlay does: on a 4K screen both renderers
/// (server-composited and GL) draw 4 screen pixels per font pixel, so the six-line panel is
/// (6 × 10 + 2 × 3) × 4 = 264 pixels high (it was 132 at the old scale of 2).
#[test]
fn hud_glyphs_scale_with_a_4k_output_in_both_renderers() {
    for composite in ["server-copy", "gl"] {
        let x = zcx_testkit::Xvfb::builder()
            .size(3840, 2160, 24)
            .start()
            .expect("starting a 4K Xvfb");
        let (conn, screen) = x.connect();
        let root = conn.setup().roots[screen].root;
        let _c = CompositorProcess::start(&x, &conn, screen, &["--composite", composite]);
        // Wide enough for the widest panel at scale 4 (narrower windows get a smaller scale).
        let producer = TestWindow::new(&conn, screen, 10, 10, 1600, 600, RED);
        set_stats(&conn, producer.id(), STATS.as_bytes());
        sync(&conn, screen);
        let dark = |p: u32| p >> 16 < 0x80 && p & 0xffff == 0;
        // The panel starts 8 px inside the window and ends 264 px lower.
        let last_row = get_pixel(&conn, root, 20, 18 + 263);
        assert!(
            dark(last_row),
            "{composite}: panel's last row {last_row:#08x}"
        );
        assert_eq!(
            get_pixel(&conn, root, 20, 18 + 264),
            RED,
            "{composite}: just below the panel"
        );
        // Text: bright pixels in the first two lines (the second in the white text ink).
        let bright = get_rect(&conn, root, 18, 18, 600, 100)
            .iter()
            .filter(|&&p| p & 0xff > 0x80)
            .count();
        assert!(
            bright > 800,
            "{composite}: text pixels in the panel: {bright}"
        );
    }
}

#[test]
fn no_hud_draws_producers_untouched() {
    let x = xvfb();
    let (conn, screen) = x.connect();
    let _c = CompositorProcess::start(&x, &conn, screen, &["--hud", "--no-hud"]);
    let producer = TestWindow::new(&conn, screen, 10, 10, 200, 100, RED);
    set_stats(&conn, producer.id(), STATS.as_bytes());
    expect_pixel(&conn, screen, 19, 19, RED);
}

/// Idle stays idle with either strategy: static windows (one a producer with a HUD) are
/// painted, then nothing is repainted and the compositor sleeps (`idle_wakeups` counts the
/// wake-ups after which nothing needed painting; the start-up sync is one of them).
#[test]
fn static_windows_cause_no_repaints_and_almost_no_wakeups() {
    for composite in ["server-copy", "gl"] {
        let x = xvfb();
        let (conn, screen) = x.connect();
        let dir = std::env::temp_dir().join(format!("zcx-idle-{}-{composite}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("stats.json");
        let path_arg = path.to_string_lossy().into_owned();
        let producer = TestWindow::new(&conn, screen, 10, 10, 200, 100, RED);
        set_stats(&conn, producer.id(), STATS.as_bytes());
        let _w = TestWindow::new(&conn, screen, 50, 150, 60, 60, BLUE);
        conn.flush().expect("flush");
        let args = [
            "--composite",
            composite,
            "--duration",
            "3",
            "--stats-json",
            &path_arg,
        ];
        let mut c = CompositorProcess::start(&x, &conn, screen, &args);
        assert_eq!(wait_exit(&mut c.child).code(), Some(0));
        let text = std::fs::read_to_string(&path).expect("stats file written");
        let v: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        let frames = v["frames"].as_u64().unwrap_or(u64::MAX);
        let idle = v["idle_wakeups"].as_u64().unwrap_or(u64::MAX);
        eprintln!("{composite}: {frames} frames, {idle} idle wake-ups in 3 s");
        assert!(
            frames <= 4,
            "{composite}: {frames} frames while static: {text}"
        );
        assert!(idle <= 4, "{composite}: {idle} idle wake-ups: {text}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
