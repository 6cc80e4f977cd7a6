//! `zcx bench` on a tiny matrix (320x180, one repetition, `none` and `zcx`, two modes, and
//! shm-pixmap both presented and handed off under zcx) on its own Xvfb: every cell runs, the
//! observer reads the unscaled windows, zcx-compositor's own statistics reach the report, and
//! the medians table is printed and written.

mod common;

use std::process::Command;

use zcx_testkit::require_tools;

const ZCX: &str = env!("CARGO_BIN_EXE_zcx");

#[test]
fn tiny_matrix_runs_every_cell_and_writes_the_report() {
    require_tools(&["Xvfb"]);
    common::sibling_binaries();
    let dir = common::fresh_dir("bench-test");
    let out = Command::new(ZCX)
        .args([
            "bench",
            "--size",
            "320x180",
            "--reps",
            "1",
            "--duration",
            "1",
        ])
        .args([
            "--compositors",
            "none,zcx",
            "--modes",
            "put-image,shm-pixmap",
        ])
        .arg("--out")
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
    // Under zcx-compositor shm-pixmap runs both ways: presented, and handed to the compositor.
    for row in ["shm-pixmap (present)", "shm-pixmap (handoff)"] {
        assert!(
            stdout.contains(&format!("| zcx:auto | {row} | 1 |")),
            "{stdout}"
        );
    }
    assert!(
        !stdout.contains("| none | shm-pixmap (handoff)"),
        "{stdout}"
    );
    for f in [
        "report.json",
        "report.md",
        "summary.md",
        "frames.csv",
        "index.html",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    let bytes = std::fs::read(dir.join("report.json")).unwrap();
    // The report reads back into its own type (the compositor's statistics in it included).
    let typed: zcx_bench::report::Report = serde_json::from_slice(&bytes).unwrap();
    assert!(typed.runs.iter().any(|r| r.compositor_stats.is_some()));
    let report: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let runs = report["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 5, "{report}");
    for r in runs {
        // Unscaled windows: the observer saw frames on the screen in every cell.
        assert!(
            r["screen"]["distinct_frames"].as_u64() > Some(0),
            "nothing seen on screen: {r}"
        );
        assert!(r["producer"]["frames"].as_u64() > Some(0), "{r}");
        // The same interval figures as a demo row.
        assert!(
            r["per_screen_frame"]["end_to_end_cpu_ms"].is_number(),
            "{r}"
        );
        assert!(r["interval"]["producer_fps"].is_number(), "{r}");
        if r["compositor"] == "zcx:auto" {
            assert!(r["compositor_stats"]["fps"].is_number(), "{r}");
        }
        let handed = r["compositor_stats"]["handoff_frames"]
            .as_u64()
            .unwrap_or(0);
        if r["mode"] == "shm-pixmap (handoff)" {
            assert!(handed > 0, "no frame was handed off: {r}");
        } else {
            assert_eq!(handed, 0, "{r}");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
