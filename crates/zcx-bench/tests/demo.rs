//! `zcx demo --duration 3` end to end, without DISPLAY: it starts its own Xvfb, the
//! compositor and two producers, and writes the report files (with the compositor's own
//! statistics) and a side-by-side screenshot that shows both producer windows.

mod common;

use std::collections::HashSet;
use std::process::Command;

use zcx_testkit::{have_tool, skipped};

const ZCX: &str = env!("CARGO_BIN_EXE_zcx");

fn distinct_colors(img: &image::RgbImage, x0: u32, x1: u32) -> usize {
    let mut seen = HashSet::new();
    for y in (0..img.height()).step_by(7) {
        for x in (x0..x1).step_by(7) {
            seen.insert(img.get_pixel(x, y).0);
        }
    }
    seen.len()
}

#[test]
fn demo_end_to_end_writes_report_and_screenshot() {
    if !have_tool("Xvfb") {
        return skipped("Xvfb is not installed");
    }
    common::sibling_binaries();
    let dir = common::fresh_dir("demo-test");
    let out = Command::new(ZCX)
        .args(["demo", "--duration", "3", "--out"])
        .arg(&dir)
        .env_remove("DISPLAY")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("put-image /") && stdout.contains("shm-pixmap /"),
        "{stdout}"
    );
    for f in [
        "report.json",
        "report.md",
        "frames.csv",
        "index.html",
        "screenshot.png",
        "latency_cdf.png",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["schema"], "zcx-report/1");
    assert_eq!(report["runs"].as_array().map(Vec::len), Some(2));
    // The compositor's own statistics (its --stats-json) are in the report, and the notes say
    // that the scaled phase had no per-window on-screen measurement.
    let stats = &report["runs"][0]["compositor_stats"];
    assert!(stats["fps"].is_number(), "no compositor stats: {stats}");
    assert!(dir.join("compositor-side-by-side.json").is_file());
    let notes = report["notes"].to_string();
    assert!(notes.contains("NOT measured"), "{notes}");
    let shot = image::open(dir.join("screenshot.png")).unwrap().to_rgb8();
    assert_eq!((shot.width(), shot.height()), (3840, 2160));
    // Each half of the screen shows a test card (thousands of colours), not a flat background.
    let half = shot.width() / 2;
    assert!(distinct_colors(&shot, 0, half) > 200, "left half is empty");
    assert!(
        distinct_colors(&shot, half, shot.width()) > 200,
        "right half is empty"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn demo_beside_another_compositor_says_so_and_runs_with_no_compositor() {
    if !have_tool("Xvfb") {
        return skipped("Xvfb is not installed");
    }
    common::workspace_bin("zcx-producer", "zcx-producer");
    let other = common::workspace_bin("zcx-compositor", "zcx-compositor");
    let xvfb = zcx_testkit::Xvfb::builder()
        .size(1280, 720, 24)
        .start()
        .expect("Xvfb");
    let (conn, screen) = xvfb.connect();
    // Another compositing manager owns the screen first.
    let mut manager = Command::new(other)
        .args(["--display", xvfb.display()])
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn the other compositor");
    let selection = format!("_NET_WM_CM_S{screen}");
    zcx_testkit::poll_until(
        std::time::Duration::from_secs(30),
        "the other compositor to own the screen",
        || {
            use x11rb::protocol::xproto::ConnectionExt as _;
            let atom = conn
                .intern_atom(false, selection.as_bytes())
                .ok()?
                .reply()
                .ok()?
                .atom;
            let owner = conn.get_selection_owner(atom).ok()?.reply().ok()?.owner;
            (owner != x11rb::NONE).then_some(())
        },
    );
    let dir = common::fresh_dir("demo-busy");
    let run = |extra: &[&str]| {
        Command::new(ZCX)
            .args([
                "demo",
                "--duration",
                "1",
                "--showcase",
                "1",
                "--display",
                xvfb.display(),
            ])
            .args(extra)
            .arg("--out")
            .arg(&dir)
            .output()
            .unwrap()
    };
    let refused = run(&[]);
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success(),
        "the demo ran beside another manager"
    );
    assert!(
        err.contains("another compositing manager is running here; use --no-compositor"),
        "{err}"
    );
    let without = run(&["--no-compositor"]);
    assert!(
        without.status.success(),
        "{}",
        String::from_utf8_lossy(&without.stderr)
    );
    assert!(dir.join("report.json").is_file());
    let _ = manager.kill();
    let _ = manager.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
