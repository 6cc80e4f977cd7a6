//! The compositor's GPU-side paths on the DRI3 test server (zcx-testkit's qemu guest: Xorg
//! with glamor, Mesa's EGL through DRI3), which Xvfb cannot test: `--import egl-pixmap`,
//! `--import dri3` and `--present egl-surface` show windows with exact edges, stacking,
//! repaints and blending like the read-back paths; `auto` picks ShmGetImage there (software
//! GL); a `--mode dri3` producer's frames reach the screen through each importer; a real RandR
//! mode change while it streams; and its `m` key cycling from dri3 through every mode back to
//! dri3 (the producer's own check, here because it needs the same server and one boot serves
//! both).
//!
//! One boot runs every check: the host test (`gpu_paths_in_the_dri3_guest`) runs this test
//! binary inside the guest (the cargo profile folder is shared as `/mnt/bin`) with the
//! `guest_*` tests selected, and asserts each one's result separately. Those tests are
//! `#[ignore]`d on the host, where they have no DRI3 server, and refuse to run outside the
//! guest. Timeouts are long: under TCG a GL frame of the software renderer takes seconds.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::guest::{
    guest_connection, guest_only, press_m, producer_stats, spawn_dri3_producer,
    wait_for_producer_stats, wait_for_screen_size, xrandr_mode, GuestCompositor, GUEST_TIMEOUT,
    IN_GUEST,
};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::ConnectionExt as _;
use zcx_testkit::vm::dri3_vm_or_skip;
use zcx_testkit::{poll_until, ChildGuard};

/// The checks that run inside the guest, in order.
const GUEST_TESTS: &[&str] = &[
    "guest_auto_picks_shm_get_image_and_shm_put_on_software_gl",
    "guest_pixels_through_egl_pixmap",
    "guest_pixels_through_dri3",
    "guest_pixels_through_egl_surface",
    "guest_pixels_through_dri3_and_egl_surface",
    "guest_dri3_producer_through_dri3",
    "guest_dri3_producer_through_egl_pixmap",
    "guest_dri3_producer_through_shm_get_image",
    "guest_randr_mode_change_while_a_dri3_producer_streams",
    "guest_m_switches_the_producer_to_and_from_dri3",
];

/// Every `guest_*` test of this file is one the host runs in the guest and checks: an ignored
/// test missing from `GUEST_TESTS` would never run anywhere.
#[test]
fn every_guest_test_is_run_in_the_guest() {
    let source = include_str!("dri3_guest.rs");
    let defined: Vec<&str> = source
        .lines()
        .filter_map(|l| l.strip_prefix("fn guest_"))
        .filter_map(|rest| rest.split('(').next())
        .collect();
    assert_eq!(defined.len(), GUEST_TESTS.len(), "guest tests {defined:?}");
    for name in defined {
        assert!(
            GUEST_TESTS.contains(&format!("guest_{name}").as_str()),
            "guest_{name} is not in GUEST_TESTS"
        );
    }
}

#[test]
fn gpu_paths_in_the_dri3_guest() {
    let exe = std::env::current_exe().expect("the test binary's path");
    // target/<profile>/deps/<this test>: the profile folder is what the guest shares.
    let bin_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test binary lies in <profile>/deps")
        .to_path_buf();
    build_siblings();
    let Some(vm) = dri3_vm_or_skip(&bin_dir) else {
        return;
    };
    let rel = exe
        .strip_prefix(&bin_dir)
        .expect("under the profile folder");
    let guest_exe = Path::new("/mnt/bin").join(rel);
    let script = format!(
        "export {IN_GUEST}=1\n{} --ignored --exact --test-threads 1 {} >tests.log 2>&1\n",
        guest_exe.display(),
        GUEST_TESTS.join(" ")
    );
    let run = vm
        .run(&["sh", "-c", &script], Duration::from_secs(900))
        .unwrap_or_else(|e| panic!("running in the DRI3 guest: {e}"));
    eprintln!("guest cycle: {:.1} s", run.wall.as_secs_f64());
    let log = std::fs::read_to_string(run.work_dir().join("tests.log"))
        .unwrap_or_else(|e| panic!("no tests.log from the guest ({e}):\n{}", run.output));
    for figures in ["dri3", "egl_pixmap", "shm_get_image"] {
        let path = run.work_dir().join(format!("figures-{figures}.json"));
        if let Ok(text) = std::fs::read_to_string(path) {
            eprintln!("producer through {figures}: {text}");
        }
    }
    let failures: Vec<String> = GUEST_TESTS
        .iter()
        .filter(|name| !log.contains(&format!("test {name} ... ok")))
        .map(|name| format!("{name}:\n{}", failure_section(&log, name)))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} guest checks failed:\n\n{}\n\nXorg log tail:\n{}",
        failures.len(),
        GUEST_TESTS.len(),
        failures.join("\n\n"),
        tail(&run.xorg_log(), 30)
    );
}

/// libtest's report of one failed test (its captured output and panic), or the whole log
/// when the test did not run.
fn failure_section(log: &str, name: &str) -> String {
    let start = format!("---- {name} stdout ----");
    match log.find(&start) {
        Some(i) => {
            let rest = &log[i..];
            let end = rest[start.len()..]
                .find("\n---- ")
                .or_else(|| rest.find("\nfailures:\n"))
                .map_or(rest.len(), |e| e + start.len());
            rest[..end].to_owned()
        }
        None => format!("(no result; the guest's test log:)\n{}", tail(log, 40)),
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// The producer and `zcx` (the observer) the guest runs lie beside this crate's binaries;
/// build them when missing.
fn build_siblings() {
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_zcx-compositor"));
    for (package, bin) in [("zcx-producer", "zcx-producer"), ("zcx-bench", "zcx")] {
        if exe.with_file_name(bin).is_file() {
            continue;
        }
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "-p", package, "--bin", bin])
            .status()
            .expect("running cargo build");
        assert!(status.success(), "cargo build -p {package} failed");
    }
}

// ---- the guest half -------------------------------------------------------------------

#[test]
#[ignore = "runs inside the DRI3 guest, started by gpu_paths_in_the_dri3_guest"]
fn guest_auto_picks_shm_get_image_and_shm_put_on_software_gl() {
    guest_only();
    let (conn, screen) = guest_connection();
    let c = GuestCompositor::start(&conn, screen, "auto", &[]);
    let stats = c.finish();
    assert_eq!(stats["import"], "shm-get-image", "{stats}");
    assert_eq!(stats["present"], "shm-put", "{stats}");
    assert_eq!(stats["composite"], "server-copy", "{stats}");
}

/// Two overlapping windows: exact edges and stacking, a repaint of the lower one and a move
/// of the upper one, and the upper one at 50% over the background, all composited by GL with
/// `args`; the statistics name `import` and `present`.
fn pixel_checks(tag: &str, args: &[&str], import: &str, present: &str) {
    guest_only();
    let (conn, screen) = guest_connection();
    let c = GuestCompositor::start(&conn, screen, tag, args);
    common::two_window_checks(&conn, screen);
    let stats = c.finish();
    assert_eq!(stats["import"], import, "{stats}");
    assert_eq!(stats["present"], present, "{stats}");
    assert!(stats["frames"].as_u64().unwrap_or(0) >= 3, "{stats}");
}

#[test]
#[ignore = "runs inside the DRI3 guest, started by gpu_paths_in_the_dri3_guest"]
fn guest_pixels_through_egl_pixmap() {
    let args = ["--composite", "gl", "--import", "egl-pixmap"];
    pixel_checks("egl-pixmap", &args, "egl-pixmap", "shm-put");
}

#[test]
#[ignore = "runs inside the DRI3 guest, started by gpu_paths_in_the_dri3_guest"]
fn guest_pixels_through_dri3() {
    let args = ["--composite", "gl", "--import", "dri3"];
    pixel_checks("dri3", &args, "dri3", "shm-put");
}

#[test]
#[ignore = "runs inside the DRI3 guest, started by gpu_paths_in_the_dri3_guest"]
fn guest_pixels_through_egl_surface() {
    let args = ["--composite", "gl", "--present", "egl-surface"];
    pixel_checks("egl-surface", &args, "shm-get-image", "egl-surface");
}

#[test]
#[ignore = "runs inside the DRI3 guest, started by gpu_paths_in_the_dri3_guest"]
fn guest_pixels_through_dri3_and_egl_surface() {
    let args = [
        "--composite",
        "gl",
        "--import",
        "dri3",
        "--present",
        "egl-surface",
    ];
    pixel_checks("dri3-egl-surface", &args, "dri3", "egl-surface");
}

/// A `--mode dri3` producer under a GL-compositing compositor importing with `import`, watched
/// by `zcx observe` for 4 s. Frames must reach the screen with valid stamps. Torn frames are
/// counted, and must be 0 only where the X server makes the copy (`shm-get-image`): through
/// the zero-copy importers llvmpipe samples the window's buffer while glamor (llvmpipe too,
/// in the server) may be writing it, and software renderers have no implicit dma-buf sync.
fn producer_checks(import: &str) {
    guest_only();
    let (conn, screen) = guest_connection();
    let mut producer = spawn_dri3_producer(&[]);
    wait_for_producer_stats(&conn, screen, &mut producer);
    let args = ["--composite", "gl", "--import", import];
    let c = GuestCompositor::start(&conn, screen, &format!("producer-{import}"), &args);
    let json = std::env::current_dir()
        .expect("work folder")
        .join(format!("observe-{import}.json"));
    let out = ChildGuard::spawn(
        Command::new("zcx")
            .args(["observe", "--duration", "4", "--json"])
            .arg(&json)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    )
    .output(GUEST_TIMEOUT);
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "zcx observe: {said}");
    let stats = c.finish();
    producer.stop();
    let observed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("observe json"))
            .expect("observe json is JSON");
    let seen = &observed["windows"][0]["summary"];
    let figures = serde_json::json!({ "seen": seen, "compositor_fps": stats["fps"],
        "compositor_cpu_ms_per_frame": stats["cpu_ms_per_frame"] });
    let tag = import.replace('-', "_");
    std::fs::write(format!("figures-{tag}.json"), figures.to_string()).expect("figures");
    assert_eq!(stats["import"], import, "{stats}");
    let distinct = seen["distinct_frames"].as_u64().unwrap_or(0);
    assert!(distinct >= 3, "only {distinct} frames seen: {said}");
    if import == "shm-get-image" {
        assert_eq!(seen["torn_frames"], 0, "{said}");
    }
}

#[test]
#[ignore = "runs inside the DRI3 guest, started by gpu_paths_in_the_dri3_guest"]
fn guest_dri3_producer_through_dri3() {
    producer_checks("dri3");
}

#[test]
#[ignore = "runs inside the DRI3 guest, started by gpu_paths_in_the_dri3_guest"]
fn guest_dri3_producer_through_egl_pixmap() {
    producer_checks("egl-pixmap");
}

#[test]
#[ignore = "runs inside the DRI3 guest, started by gpu_paths_in_the_dri3_guest"]
fn guest_dri3_producer_through_shm_get_image() {
    producer_checks("shm-get-image");
}

/// A real mode change on the guest's KMS server while the compositor runs (the default
/// server-copy strategy, HUD on) and a dri3 producer streams: the overlay follows the root,
/// a window near the new screen's corner shows with exact edges and the background up to the
/// corner, and when the screen grows back the area it gains shows the background (nothing
/// stale, nothing left undrawn).
#[test]
#[ignore = "runs inside the DRI3 guest, started by gpu_paths_in_the_dri3_guest"]
fn guest_randr_mode_change_while_a_dri3_producer_streams() {
    guest_only();
    let (conn, screen) = guest_connection();
    let root = conn.setup().roots[screen].root;
    let g = conn
        .get_geometry(root)
        .expect("request")
        .reply()
        .expect("root");
    let (w0, h0) = (g.width, g.height);
    assert!(w0 > 800 && h0 > 600, "the guest's screen is {w0}x{h0}");
    let mut producer = spawn_dri3_producer(&[]);
    wait_for_producer_stats(&conn, screen, &mut producer);
    let c = GuestCompositor::start(&conn, screen, "randr", &[]);
    xrandr_mode("800x600");
    wait_for_screen_size(&conn, screen, (800, 600));
    let red = zcx_testkit::TestWindow::new(&conn, screen, 680, 480, 100, 100, common::RED);
    common::expect_window(
        &conn,
        screen,
        (680, 480, 100, 100),
        common::RED,
        common::BACKGROUND,
    );
    for (x, y) in [(500, 400), (799, 599)] {
        common::expect_pixel_near(&conn, screen, x, y, common::BACKGROUND, 0);
    }
    let mode0 = format!("{w0}x{h0}");
    xrandr_mode(&mode0);
    wait_for_screen_size(&conn, screen, (w0, h0));
    let (right, bottom) = (w0 as i16 - 1, h0 as i16 - 1);
    for (x, y) in [(right, bottom), (810, 300), (300, 610)] {
        common::expect_pixel_near(&conn, screen, x, y, common::BACKGROUND, 0);
    }
    common::expect_pixel_near(&conn, screen, 779, 579, common::RED, 0);
    drop(red);
    let stats = c.finish();
    producer.stop();
    assert!(stats["frames"].as_u64().unwrap_or(0) >= 3, "{stats}");
}

/// `m` cycles the producer through every mode the guest offers, from dri3 back to dri3, each
/// switch drained, and its summary has one entry per mode in that order.
#[test]
#[ignore = "runs inside the DRI3 guest, started by gpu_paths_in_the_dri3_guest"]
fn guest_m_switches_the_producer_to_and_from_dri3() {
    guest_only();
    let (conn, screen) = guest_connection();
    let json = std::env::current_dir()
        .expect("work folder")
        .join("m-summary.json");
    let mut producer = spawn_dri3_producer(&["--summary-json".as_ref(), json.as_os_str()]);
    let window = wait_for_producer_stats(&conn, screen, &mut producer);
    let cycle = ["shm-pixmap", "shm-put", "put-image", "dri3"];
    for want in cycle {
        press_m(&conn, screen, window);
        poll_until(GUEST_TIMEOUT, &format!("the switch to {want}"), || {
            let mode = producer_stats(&conn, window).map(|s| s["mode"].clone());
            mode.as_ref().is_some_and(|m| m == want).then_some(())
        });
    }
    producer.signal(nix::sys::signal::Signal::SIGTERM);
    let status = producer.wait_exit(GUEST_TIMEOUT);
    assert!(status.success(), "zcx-producer exited with {status}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("summary written"))
            .expect("summary is JSON");
    let modes: Vec<&str> = summary
        .as_array()
        .map(|a| a.iter().filter_map(|s| s["mode"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        modes,
        ["dri3", "shm-pixmap", "shm-put", "put-image", "dri3"]
    );
}
