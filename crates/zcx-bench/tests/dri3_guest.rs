//! The DRI3 test server (zcx-testkit's qemu guest running Xorg with glamor). One boot runs
//! every check, each step writing its own files in the work folder: `zcx probe --json` inside
//! the guest must see DRI3 ≥ 1.2 and Present, and Mesa's EGL on the X11 platform must offer
//! pixmap images and dma-buf import there; xdpyinfo must list DRI3; and `zcx-producer --mode
//! dri3` must stream frames through dma-buf pixmaps (under 1 KiB through the socket per
//! frame) that `zcx observe` reads back from the screen with valid, untorn stamps; and `zcx
//! demo --emulated-cpu` there must measure a dri3 row beside put-image and shm-pixmap and say
//! that its timings are an emulated CPU's; and 4K dri3 frames, on a screen made 3840x2160,
//! must pass no pixels through the socket and reach the screen with valid stamps; and a dri3
//! producer killed with SIGKILL mid-stream must leave the server answering, its window gone,
//! /dev/shm as it was, the server's pixmaps back to their count before it started (XRes), and
//! a new dri3 producer streaming; and a test client that rewrites its DRI3 buffers without
//! waiting for IdleNotify must be caught by the same observer; and `zcx bench --emulated-cpu`
//! there must measure dri3 cells under no compositor and zcx-compositor. Prints `skipped:`
//! where the guest cannot run (no qemu, no image and not root), and fails instead under
//! `CI=true`.
//!
//! The checks that need a Rust client inside the guest (the broken DRI3 client, the XRes
//! counts) are `#[ignore]`d tests of this binary (`dri3_guest/in_guest.rs`) that the script
//! runs there; the host reads their logs and files.

mod common;
#[path = "dri3_guest/in_guest.rs"]
mod in_guest;

use std::path::Path;
use std::time::Duration;

use zcx_testkit::vm::dri3_vm_or_skip;

/// Everything the one boot runs; `{test}` is this test binary as the guest sees it. The
/// observer starts once the producer has printed its first once-a-second statistics line
/// (frames are flowing; under TCG the producer takes seconds to load Mesa's driver for GBM),
/// polled with a 120 s deadline; its 4 s then fall inside the producer's 8 s at 30 fps. The
/// broken client (`guest_broken_reuse_gating_is_seen_torn`) runs at the same size and rate
/// and the same observer watches it for as long, until the script tells it to stop.
const SCRIPT: &str = "\
export ZCX_IN_DRI3_GUEST=1
zcx probe --json >probe.json
xdpyinfo -queryExtensions >xdpyinfo.txt
zcx-producer --mode dri3 --size 640x360 --fps 30 --frames 240 --warmup 10 \
    --summary-json dri3.json >producer.log 2>&1 &
producer=$!
deadline=$(($(date +%s) + 120))
until grep -q 'fps |' producer.log || [ \"$(date +%s)\" -ge $deadline ]; do sleep 0.1; done
zcx observe --duration 4 --json observe.json >observe.log 2>&1
echo $? >observe.status
wait $producer
echo $? >producer.status
{test} --ignored --exact --nocapture in_guest::guest_broken_reuse_gating_is_seen_torn >broken.log 2>&1 &
broken=$!
deadline=$(($(date +%s) + 120))
until [ -e broken.streaming ] || [ \"$(date +%s)\" -ge $deadline ]; do sleep 0.1; done
zcx observe --duration 4 --json observe-broken.json >observe-broken.log 2>&1
echo $? >observe-broken.status
touch broken.stop
wait $broken
zcx demo --display :0 --size 640x360 --duration 2 --showcase 1 --emulated-cpu --out demo \
    >demo.log 2>&1
echo $? >demo.status
zcx bench --display :0 --emulated-cpu --reps 1 --duration 2 --size 320x240 --fps 30 \
    --modes dri3,shm-pixmap --compositors none,zcx --out bench >bench.log 2>&1
echo $? >bench.status
xrandr --fb 3840x2160 >xrandr.log 2>&1
zcx-producer --mode dri3 --size 3840x2160 --fps 0 --frames 20 --warmup 4 \
    --summary-json dri3-4k.json >producer-4k.log 2>&1 &
producer=$!
deadline=$(($(date +%s) + 120))
until grep -q 'fps |' producer-4k.log || [ \"$(date +%s)\" -ge $deadline ]; do sleep 0.2; done
zcx observe --duration 3 --json observe-4k.json >observe-4k.log 2>&1
echo $? >observe-4k.status
wait $producer
echo $? >producer-4k.status
{test} --ignored --exact --nocapture in_guest::guest_killed_producer_leaves_no_pixmaps >killed.log 2>&1
zcx-producer --mode dri3 --size 640x360 --fps 0 --frames 12 --warmup 2 \
    --summary-json dri3-after-kill.json >producer-after-kill.log 2>&1
echo $? >producer-after-kill.status
";

/// Every in-guest test of `dri3_guest/in_guest.rs` is run by [`SCRIPT`]: an ignored test the
/// script does not name would never run anywhere.
#[test]
fn every_in_guest_test_is_run_by_the_script() {
    let source = include_str!("dri3_guest/in_guest.rs");
    let lines: Vec<&str> = source.lines().collect();
    let defined: Vec<&str> = lines
        .windows(2)
        .filter(|w| w[0].starts_with("#[ignore"))
        .filter_map(|w| w[1].strip_prefix("fn "))
        .filter_map(|rest| rest.split('(').next())
        .collect();
    assert!(
        !defined.is_empty(),
        "no in-guest tests found in in_guest.rs"
    );
    for name in defined {
        assert!(
            SCRIPT.contains(&format!("in_guest::{name} ")),
            "in_guest::{name} is not run by the guest SCRIPT"
        );
    }
}

#[test]
fn guest_xorg_offers_dri3_and_the_producer_streams_through_it() {
    let bin_dir = common::bin_dir();
    common::workspace_bin("zcx-producer", "zcx-producer");
    let Some(vm) = dri3_vm_or_skip(&bin_dir) else {
        return;
    };
    let exe = std::env::current_exe().expect("the test binary's path");
    // target/<profile>/deps/<this test>: the profile folder is shared as /mnt/bin.
    let rel = exe
        .strip_prefix(&bin_dir)
        .expect("under the profile folder");
    let script = SCRIPT.replace("{test}", &Path::new("/mnt/bin").join(rel).to_string_lossy());
    let run = vm
        .run(&["sh", "-c", &script], Duration::from_secs(480))
        .unwrap_or_else(|e| panic!("running in the DRI3 guest: {e}"));
    eprintln!(
        "guest cycle (boot, checks, power-off): {:.1} s",
        run.wall.as_secs_f64()
    );
    assert_eq!(
        run.status,
        0,
        "guest command failed; output:\n{}\nXorg log:\n{}",
        run.output,
        run.xorg_log()
    );
    let read = |name: &str| {
        std::fs::read_to_string(run.work_dir().join(name))
            .unwrap_or_else(|e| panic!("reading {name} written in the guest: {e}"))
    };
    let probe: serde_json::Value = serde_json::from_str(&read("probe.json"))
        .unwrap_or_else(|e| panic!("probe.json is not JSON: {e}"));
    let server = &probe["server"];
    let version = |ext: &str| {
        let v = &server[ext];
        (v["major"].as_u64(), v["minor"].as_u64())
    };
    let dri3 = version("dri3");
    assert!(
        matches!(dri3, (Some(1), Some(minor)) if minor >= 2),
        "DRI3 {dri3:?}, want ≥ 1.2; probe: {probe:#}"
    );
    assert!(
        version("present").0.is_some(),
        "no Present; probe: {probe:#}"
    );
    assert_eq!(probe["dri3"], true);
    let egl = probe["gl"]["egl_x11"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for ext in ["EGL_KHR_image_pixmap", "EGL_EXT_image_dma_buf_import"] {
        assert!(
            egl.iter().any(|e| e[0] == ext && e[1] == true),
            "{ext} not offered on the guest's X11 EGL platform; probe: {probe:#}"
        );
    }
    let xdpyinfo = read("xdpyinfo.txt");
    assert!(
        xdpyinfo.lines().any(|l| l.trim_start().starts_with("DRI3")),
        "xdpyinfo lists no DRI3:\n{xdpyinfo}"
    );
    check_dri3_producer(&read);
    check_broken_client(&read);
    check_producer_killed(&read);
    check_dri3_4k(&read);
    check_demo(&read);
    check_bench(&read);
}

/// A guest test's log, asserted to show that test passed.
fn guest_test_passed(read: &dyn Fn(&str) -> String, log: &str, name: &str) -> String {
    let text = read(log);
    assert!(
        text.contains(&format!("test {name} ... ok")),
        "{name} in the guest:\n{text}"
    );
    text
}

/// The broken client's frames, seen by the same observer as the real producer's at the same
/// size and rate: far beyond the bound the real producer stays within.
fn check_broken_client(read: &dyn Fn(&str) -> String) {
    let log = guest_test_passed(
        read,
        "broken.log",
        "in_guest::guest_broken_reuse_gating_is_seen_torn",
    );
    let observe_log = read("observe-broken.log");
    assert_eq!(read("observe-broken.status").trim(), "0", "{observe_log}");
    let observed: serde_json::Value = serde_json::from_str(&read("observe-broken.json"))
        .unwrap_or_else(|e| panic!("observe-broken.json: {e}; observer:\n{observe_log}"));
    let seen = &observed["windows"][0]["summary"];
    eprintln!("broken DRI3 client seen on the guest's screen: {seen}");
    let samples = seen["samples"].as_u64().unwrap_or(0);
    let without = seen["samples_without_stamp"].as_u64().unwrap_or(0);
    let torn = seen["torn_frames"].as_u64().unwrap_or(0);
    assert!(
        samples >= 50,
        "only {samples} samples: {observe_log}\n{log}"
    );
    // The real producer's bound is 2% of the samples without a stamp and 1 torn frame; the
    // broken client must exceed one of them tenfold, so that neither check passes by chance.
    assert!(
        torn >= 10 || without * 5 >= samples,
        "the observer missed the broken gating: {torn} torn frames and {without} of {samples} \
         samples without a stamp: {observe_log}\n{log}"
    );
}

/// A dri3 producer killed (SIGKILL) mid-stream: the guest test checked the server's pixmaps,
/// its window and /dev/shm (`in_guest::guest_killed_producer_leaves_no_pixmaps`); a new dri3
/// producer streams after it.
fn check_producer_killed(read: &dyn Fn(&str) -> String) {
    guest_test_passed(
        read,
        "killed.log",
        "in_guest::guest_killed_producer_leaves_no_pixmaps",
    );
    eprintln!(
        "server pixmaps around a killed dri3 producer: {}",
        read("pixmaps.json")
    );
    let again = read("producer-after-kill.log");
    assert_eq!(read("producer-after-kill.status").trim(), "0", "{again}");
    let summary: serde_json::Value = serde_json::from_str(&read("dri3-after-kill.json"))
        .unwrap_or_else(|e| panic!("dri3-after-kill.json: {e}; producer:\n{again}"));
    assert_eq!(summary[0]["frames"], 10, "{summary:#}");
}

/// 4K frames (the screen made 3840x2160 with `xrandr --fb`): no pixels through the socket,
/// and what the observer sees of them carries valid, untorn stamps. Under TCG a 4K dri3 frame
/// takes over half a second, so a few frames are all the observer can see.
fn check_dri3_4k(read: &dyn Fn(&str) -> String) {
    let log = read("producer-4k.log");
    assert_eq!(
        read("producer-4k.status").trim(),
        "0",
        "4K producer (xrandr: {}):\n{log}",
        read("xrandr.log")
    );
    let summary: serde_json::Value = serde_json::from_str(&read("dri3-4k.json"))
        .unwrap_or_else(|e| panic!("dri3-4k.json: {e}; producer:\n{log}"));
    let run = &summary[0];
    assert_eq!(
        (run["width"].as_u64(), run["height"].as_u64()),
        (Some(3840), Some(2160))
    );
    assert_eq!(run["frames"], 16, "{summary:#}");
    let socket = run["socket_bytes_per_frame"].as_f64().unwrap_or(f64::MAX);
    assert!(socket <= 1024.0, "{socket} socket bytes per 4K dri3 frame");
    let observe_log = read("observe-4k.log");
    assert_eq!(read("observe-4k.status").trim(), "0", "{observe_log}");
    let observed: serde_json::Value = serde_json::from_str(&read("observe-4k.json"))
        .unwrap_or_else(|e| panic!("observe-4k.json: {e}; observer:\n{observe_log}"));
    let seen = &observed["windows"][0]["summary"];
    eprintln!("4K dri3 producer: {run}\nseen: {seen}");
    assert!(
        seen["distinct_frames"].as_u64().unwrap_or(0) >= 1,
        "no 4K frame seen: {observe_log}"
    );
    // No check of samples without a stamp here: the observer starts at the producer's first
    // once-a-second line, which at 4K under TCG (a frame every ~0.6 s) can come before the
    // first frame is on the screen.
    assert_eq!(seen["torn_frames"], 0, "{observe_log}");
}

/// `zcx bench` on the guest's display: a dri3 cell measured under no compositor and under
/// zcx-compositor (frames made, frames seen on the screen, no pixels through the socket), beside
/// shm-pixmap, and the report's note that its timings are an emulated CPU's.
fn check_bench(read: &dyn Fn(&str) -> String) {
    let log = read("bench.log");
    assert_eq!(read("bench.status").trim(), "0", "zcx bench:\n{log}");
    let report: serde_json::Value = serde_json::from_str(&read("bench/report.json"))
        .unwrap_or_else(|e| panic!("bench/report.json: {e}; zcx bench:\n{log}"));
    let runs = report["runs"].as_array().cloned().unwrap_or_default();
    for run in &runs {
        eprintln!("zcx bench, {}: {}", run["name"], run["screen"]);
    }
    for compositor in ["none", "zcx"] {
        let cell = |mode: &str| {
            runs.iter()
                .find(|r| {
                    r["mode"] == mode
                        && r["compositor"]
                            .as_str()
                            .is_some_and(|c| c.split(':').next() == Some(compositor))
                })
                .unwrap_or_else(|| panic!("no {mode} / {compositor} cell:\n{log}"))
        };
        cell("shm-pixmap (present)");
        let dri3 = cell("dri3");
        assert!(
            dri3["producer"]["frames"].as_u64().unwrap_or(0) >= 1,
            "dri3 / {compositor} made no frames: {dri3:#}"
        );
        // A cell opens only once its frames reach the screen (however long zcx-compositor
        // takes to start under TCG), so every cell must have seen them.
        assert!(
            dri3["screen"]["distinct_frames"].as_u64().unwrap_or(0) >= 1,
            "no dri3 frame seen on the screen under {compositor}: {dri3:#}"
        );
        let socket = dri3["producer"]["socket_bytes_per_frame"]
            .as_f64()
            .unwrap_or(f64::MAX);
        assert!(socket <= 1024.0, "{socket} socket bytes per dri3 frame");
    }
    let notes = report["notes"].as_array().cloned().unwrap_or_default();
    assert!(
        notes
            .iter()
            .any(|n| n.as_str().is_some_and(|n| n.contains("emulated CPU"))),
        "the bench report does not say its timings are not speed: {notes:?}"
    );
}

/// The demo's report: a dri3 row with no pixels through the socket, beside the others, and
/// the emulated-CPU note.
fn check_demo(read: &dyn Fn(&str) -> String) {
    let log = read("demo.log");
    assert_eq!(read("demo.status").trim(), "0", "zcx demo:\n{log}");
    let report: serde_json::Value = serde_json::from_str(&read("demo/report.json"))
        .unwrap_or_else(|e| panic!("demo/report.json: {e}; zcx demo:\n{log}"));
    let runs = report["runs"].as_array().cloned().unwrap_or_default();
    let modes: Vec<&str> = runs.iter().filter_map(|r| r["mode"].as_str()).collect();
    for mode in ["put-image", "shm-pixmap", "dri3"] {
        assert!(modes.contains(&mode), "no {mode} row in {modes:?}:\n{log}");
    }
    let dri3 = runs
        .iter()
        .find(|r| r["mode"] == "dri3")
        .expect("a dri3 row");
    let socket = dri3["producer"]["socket_bytes_per_frame"]
        .as_f64()
        .unwrap_or(f64::MAX);
    assert!(
        socket <= 1024.0,
        "{socket} socket bytes per dri3 frame:\n{log}"
    );
    assert!(
        log.contains("emulated CPU"),
        "the report says its timings are not speed:\n{log}"
    );
}

/// The producer's summary and what the observer saw of its window.
fn check_dri3_producer(read: &dyn Fn(&str) -> String) {
    let log = read("producer.log");
    assert_eq!(read("producer.status").trim(), "0", "producer:\n{log}");
    let summary: serde_json::Value = serde_json::from_str(&read("dri3.json"))
        .unwrap_or_else(|e| panic!("dri3.json: {e}; producer:\n{log}"));
    let run = &summary[0];
    assert_eq!(run["mode"], "dri3", "{summary:#}");
    assert_eq!(run["frames"], 230, "{summary:#}");
    let socket = run["socket_bytes_per_frame"].as_f64().unwrap_or(f64::MAX);
    assert!(socket <= 1024.0, "{socket} socket bytes per dri3 frame");
    let observe_log = read("observe.log");
    assert_eq!(
        read("observe.status").trim(),
        "0",
        "observer:\n{observe_log}"
    );
    let observed: serde_json::Value = serde_json::from_str(&read("observe.json"))
        .unwrap_or_else(|e| panic!("observe.json: {e}; observer:\n{observe_log}"));
    let windows = observed["windows"].as_array().cloned().unwrap_or_default();
    assert_eq!(windows.len(), 1, "{observe_log}");
    let seen = &windows[0]["summary"];
    eprintln!("dri3 producer: {run}\nseen on the guest's screen: {seen}");
    let distinct = seen["distinct_frames"].as_u64().unwrap_or(0);
    assert!(
        distinct >= 10,
        "only {distinct} frames seen on the screen: {observe_log}"
    );
    // Frames flow before the observer starts, so a sample without a valid stamp is a buffer
    // rewritten while the server still read it: without the idle fence 272 of 279 samples. With
    // it, a quiet host shows none, but under host load (CI beside other builds) 1 to 3 of ~200
    // samples, once with 1 torn frame: the guest's server renders with llvmpipe, and the cause
    // is not found yet (README, DRI3 test server). Allowed: at most 2% of the samples and 1
    // torn frame, which a broken reuse gating exceeds by far.
    let samples = seen["samples"].as_u64().unwrap_or(0);
    let without = seen["samples_without_stamp"].as_u64().unwrap_or(u64::MAX);
    assert!(
        samples >= 50 && without * 50 <= samples,
        "{without} of {samples} samples without a valid stamp: {observe_log}"
    );
    let torn = seen["torn_frames"].as_u64().unwrap_or(u64::MAX);
    assert!(torn <= 1, "{torn} torn frames: {observe_log}");
}
