//! `zcx demo` end to end: without DISPLAY (its own 4K Xvfb, each row measured alone, then the
//! side-by-side screenshot showing both producer windows), on a test Xvfb whose CPU is read
//! from /proc outside the demo (the rows never claim more X server CPU than it spent), and
//! beside another compositing manager.

mod common;

use std::collections::HashSet;
use std::process::Command;

use zcx_testkit::require_tools;
use zcx_x11::metrics::ProcCounters;

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
    require_tools(&["Xvfb"]);
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
        stdout.contains("dri3: left out: the server has no DRI3"),
        "Xvfb has no DRI3: the dri3 row is left out with the reason\n{stdout}"
    );
    assert!(
        stdout.contains("| put-image |") && stdout.contains("| shm-pixmap (present) |"),
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
    assert_eq!(report["schema"], "zcx-report/4");
    // The observer's cost to the X server was measured before the rows and is noted.
    let cost = &report["observer_cost"];
    assert!(
        cost["server_ms_per_s"].as_f64().is_some_and(|v| v >= 0.0)
            && cost["rounds_per_s"].as_f64().is_some_and(|v| v > 0.0),
        "observer_cost: {cost}"
    );
    assert!(
        report["notes"].as_array().unwrap().iter().any(|n| n
            .as_str()
            .is_some_and(|n| n.contains("observer's reads cost the X server"))),
        "no observer note: {}",
        report["notes"]
    );
    let names: Vec<&str> = report["runs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert_eq!(
        names,
        ["put-image", "shm-pixmap (present)", "shm-pixmap (handoff)"]
    );
    // Each row has its own measured phase, with the compositor's own statistics, and the
    // notes say that the side-by-side phase is a picture, not a measurement. Only the handoff
    // row hands frames to the compositor.
    for run in report["runs"].as_array().unwrap() {
        let stats = &run["compositor_stats"];
        assert!(stats["fps"].is_number(), "no compositor stats: {stats}");
        let handed = stats["handoff_frames"].as_u64().unwrap_or(0);
        assert_eq!(handed > 0, run["name"] == "shm-pixmap (handoff)", "{run}");
        assert!(
            run["per_screen_frame"]["end_to_end_cpu_ms"].is_number(),
            "{run}"
        );
    }
    assert!(dir.join("compositor-side-by-side.json").is_file());
    let notes = report["notes"].to_string();
    assert!(notes.contains("a picture, not a measurement"), "{notes}");
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

/// Issue 8's artefact: rows that divide the X server's whole CPU by their own frame counts claim
/// more server CPU than the server spent. Each row's X CPU per frame × its frames must add up
/// to at most what the test reads from the Xvfb's /proc, outside the demo, around it.
#[test]
fn rows_never_claim_more_x_server_cpu_than_the_server_spent() {
    require_tools(&["Xvfb"]);
    common::sibling_binaries();
    let xvfb = zcx_testkit::Xvfb::builder()
        .size(640, 360, 24)
        .start()
        .expect("Xvfb");
    let server = ProcCounters::open(xvfb.pid() as i32).expect("the Xvfb's /proc");
    let dir = common::fresh_dir("demo-attribution");
    let before = server.sample().expect("Xvfb CPU before");
    let out = Command::new(ZCX)
        .args([
            "demo",
            "--size",
            "640x360",
            "--duration",
            "1.5",
            "--showcase",
            "0.5",
        ])
        .args(["--display", xvfb.display(), "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    let spent_ms = server
        .sample()
        .expect("Xvfb CPU after")
        .since(&before)
        .cpu
        .as_secs_f64()
        * 1e3;
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("report.json")).unwrap()).unwrap();
    let runs = report["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 3, "{report}");
    // The observer's cost, measured before the rows from the same /proc, charged to each row
    // by its seconds and sampling rounds: the charges never add up to more than the X CPU of
    // the rows' intervals.
    let cost = &report["observer_cost"];
    let (Some(cost_ms_per_s), Some(cost_rounds)) = (
        cost["server_ms_per_s"].as_f64(),
        cost["rounds_per_s"].as_f64(),
    ) else {
        panic!("no observer cost in {report}");
    };
    let (mut claimed_ms, mut observer_ms) = (0.0, 0.0);
    for run in runs {
        let per_frame = run["per_screen_frame"]["server_cpu_ms"].as_f64();
        let frames = run["interval"]["screen_frames"].as_f64();
        let (Some(per_frame), Some(frames)) = (per_frame, frames) else {
            panic!("no X CPU per frame or frame count in {run}");
        };
        assert!(frames > 0.0 && per_frame > 0.0, "{run}");
        claimed_ms += per_frame * frames;
        let interval = &run["interval"];
        observer_ms += cost_ms_per_s
            * interval["seconds"].as_f64().expect("seconds")
            * interval["sampling_rounds_per_s"].as_f64().expect("rounds")
            / cost_rounds;
    }
    assert!(
        observer_ms <= claimed_ms,
        "the observer is charged {observer_ms:.1} ms of rows whose X CPU was {claimed_ms:.1} ms"
    );
    // Both readings are schedstat nanoseconds; allow for rounding in the JSON.
    assert!(
        claimed_ms <= spent_ms * 1.01 + 1.0,
        "the rows claim {claimed_ms:.1} ms of X server CPU; it spent {spent_ms:.1} ms"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn demo_beside_another_compositor_says_so_and_runs_with_no_compositor() {
    require_tools(&["Xvfb"]);
    common::workspace_bin("zcx-producer", "zcx-producer");
    let other = common::workspace_bin("zcx-compositor", "zcx-compositor");
    let xvfb = zcx_testkit::Xvfb::builder()
        .size(1280, 720, 24)
        .start()
        .expect("Xvfb");
    let (conn, screen) = xvfb.connect();
    // Another compositing manager owns the screen first.
    let _manager = zcx_testkit::ChildGuard::spawn(
        Command::new(other)
            .args(["--display", xvfb.display()])
            .stderr(std::process::Stdio::null()),
    );
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
    assert_eq!(
        refused.status.code(),
        Some(2),
        "beside another manager: exit status 2; {err}"
    );
    assert!(
        err.contains("owns _NET_WM_CM_S") && err.contains("use --no-compositor"),
        "{err}"
    );
    let without = run(&["--no-compositor"]);
    assert!(
        without.status.success(),
        "{}",
        String::from_utf8_lossy(&without.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("report.json")).unwrap()).unwrap();
    // Without a compositor there is nobody to hand frames to: that row is left out, and said.
    assert_eq!(report["runs"].as_array().map(Vec::len), Some(2), "{report}");
    assert!(
        report["notes"].to_string().contains("(handoff): left out"),
        "{report}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
