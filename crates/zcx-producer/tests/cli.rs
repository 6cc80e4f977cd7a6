//! The `zcx-producer` binary end to end: bad input ends in one clear message and the right exit
//! status (README "Exit status": 0, 1, 2 and 3 are each asserted here), faults caused by other
//! clients are handled, and every run leaves nothing behind.

mod common;

use std::time::Duration;

use common::{find_producer_window, run, stderr, stdout, temp_path, Producer};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{AtomEnum, ConfigureWindowAux, ConnectionExt as _};
use zcx_testkit::{poll_until, require_tools, skipped, Lacks, Xvfb};

fn summaries(path: &std::path::Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).expect("summary JSON written");
    let _ = std::fs::remove_file(path);
    // Strictly, as zcx-bench reads it: every field present, none unknown, this schema.
    if let Err(e) = zcx_producer::stats::read_summaries(&text) {
        panic!("{e}: {text}");
    }
    serde_json::from_str(&text).expect("summary JSON parses")
}

#[test]
fn no_display_is_one_clear_error() {
    let out = run(&["--frames", "1"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("set DISPLAY or pass --display"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn unreachable_and_malformed_displays_are_clear_errors() {
    let out = run(&["--display", ":31999", "--frames", "1"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stderr(&out);
    assert!(
        text.contains("cannot reach the X server at \":31999\""),
        "{text}"
    );
    // One line, the cause said once (the error quotes it and also carries it as its source).
    assert_eq!(text.trim_end().lines().count(), 1, "{text}");
    assert_eq!(text.matches("(os error").count(), 1, "{text}");
    let out = run(&["--display", "no display here", "--frames", "1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("cannot parse the display name"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn bad_sizes_are_rejected_before_connecting() {
    for (size, why) in [
        ("0x0", "at least one pixel"),
        ("40000x3", "32767"),
        ("4k", "is not WxH"),
    ] {
        let out = run(&["--size", size]);
        assert_eq!(out.status.code(), Some(2), "{size}: {}", stderr(&out));
        assert!(stderr(&out).contains(why), "{size}: {}", stderr(&out));
    }
}

#[test]
fn frames_too_large_for_memory_are_refused() {
    let available_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemAvailable:"))?
                .split_whitespace()
                .nth(1)?
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kib| kib >> 20);
    // 8 buffers + 1 of 32767x32767 at 4 bytes: 36 GiB.
    if available_gib >= 72 {
        skipped(
            Lacks::MemoryShortage,
            &format!("{available_gib} GiB available: 36 GiB of frames would fit"),
        );
        return;
    }
    let xvfb = Xvfb::builder().size(640, 480, 24).start().expect("Xvfb");
    let out = run(&[
        "--display",
        xvfb.display(),
        "--size",
        "32767x32767",
        "--buffers",
        "8",
        "--frames",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("use a smaller --size or fewer --buffers"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn odd_sizes_run_in_every_mode() {
    let xvfb = Xvfb::builder().size(4200, 200, 24).start().expect("Xvfb");
    for size in ["1x1", "4097x3", "7x1"] {
        for mode in ["put-image", "shm-put", "shm-pixmap"] {
            let json = temp_path(&format!("odd-{size}-{mode}.json"));
            let out = run(&[
                "--display",
                xvfb.display(),
                "--size",
                size,
                "--mode",
                mode,
                "--fps",
                "0",
                "--frames",
                "12",
                "--warmup",
                "2",
                "--summary-json",
                json.to_str().unwrap(),
            ]);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{size} {mode}: {}",
                stderr(&out)
            );
            let s = summaries(&json);
            assert_eq!(s[0]["frames"], 10, "{size} {mode}: {s:?}");
        }
    }
}

#[test]
fn missing_and_corrupt_assets_are_clear_errors() {
    let xvfb = Xvfb::builder().size(640, 480, 24).start().expect("Xvfb");
    let out = run(&[
        "--display",
        xvfb.display(),
        "--source",
        "asset:/no/such/file.png",
        "--frames",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("/no/such/file.png"),
        "{}",
        stderr(&out)
    );
    let corrupt = temp_path("corrupt.png");
    std::fs::write(&corrupt, b"\x89PNG\r\n\x1a\nthis is not a png").unwrap();
    let source = format!("asset:{}", corrupt.display());
    let out = run(&[
        "--display",
        xvfb.display(),
        "--source",
        &source,
        "--frames",
        "1",
    ]);
    let _ = std::fs::remove_file(&corrupt);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(corrupt.to_str().unwrap()),
        "{}",
        stderr(&out)
    );
    let windows = xvfb_windows(&xvfb);
    assert_eq!(windows, 0, "a failed start left {windows} window(s) behind");
}

fn xvfb_windows(xvfb: &Xvfb) -> usize {
    let (conn, screen) = xvfb.connect();
    let root = conn.setup().roots[screen].root;
    conn.query_tree(root)
        .unwrap()
        .reply()
        .unwrap()
        .children
        .len()
}

#[test]
fn without_mit_shm_explicit_shm_modes_refuse_and_auto_falls_back() {
    let xvfb = Xvfb::builder()
        .size(1280, 720, 24)
        .arg("-extension")
        .arg("MIT-SHM")
        .start()
        .expect("Xvfb");
    for mode in ["shm-put", "shm-pixmap"] {
        let out = run(&["--display", xvfb.display(), "--mode", mode, "--frames", "3"]);
        assert_eq!(out.status.code(), Some(2), "{mode}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("no MIT-SHM") && err.contains("available on this display: put-image"),
            "{err}"
        );
    }
    let json = temp_path("noshm-auto.json");
    let out = run(&[
        "--display",
        xvfb.display(),
        "--size",
        "1280x720",
        "--fps",
        "0",
        "--frames",
        "20",
        "--warmup",
        "5",
        "--summary-json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stderr(&out).matches("WARN").count(),
        1,
        "exactly one warning: {}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("using put-image"), "{}", stderr(&out));
    assert_eq!(summaries(&json)[0]["mode"], "put-image");
}

#[test]
fn a_server_killed_mid_stream_is_a_clear_error_not_a_hang() {
    for mode in ["put-image", "shm-pixmap"] {
        let xvfb = Xvfb::builder().size(1280, 720, 24).start().expect("Xvfb");
        let json = temp_path(&format!("killed-{mode}.json"));
        let producer = streaming(&xvfb, &json, "1280x720", "0", &["--mode", mode]);
        let (conn, screen) = xvfb.connect();
        let window = find_producer_window(&conn, conn.setup().roots[screen].root);
        wait_for_stats(&conn, window);
        kill(Pid::from_raw(xvfb.pid() as i32), Signal::SIGKILL).unwrap();
        let out = producer.finish(Duration::from_secs(30));
        let _ = std::fs::remove_file(&json);
        assert_eq!(out.status.code(), Some(1), "{mode}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("X connection failed"),
            "{mode}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn a_depth_16_server_is_a_clear_error() {
    let xvfb = Xvfb::builder().size(640, 480, 16).start().expect("Xvfb");
    let out = run(&["--display", xvfb.display(), "--frames", "3"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("run the X server at depth 24"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn dri3_mode_says_why_it_is_unavailable() {
    let xvfb = Xvfb::builder().size(640, 480, 24).start().expect("Xvfb");
    let out = run(&[
        "--display",
        xvfb.display(),
        "--mode",
        "dri3",
        "--frames",
        "3",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("no DRI3 extension") && err.contains("shm-pixmap, shm-put, put-image"),
        "{err}"
    );
}

#[test]
fn window_destroyed_by_another_client_ends_with_a_summary() {
    let xvfb = Xvfb::builder().size(1280, 720, 24).start().expect("Xvfb");
    let json = temp_path("destroyed.json");
    let producer = streaming(&xvfb, &json, "640x360", "30", &[]);
    let (conn, screen) = xvfb.connect();
    let window = find_producer_window(&conn, conn.setup().roots[screen].root);
    wait_for_stats(&conn, window);
    conn.destroy_window(window).unwrap();
    conn.flush().unwrap();
    let out = producer.finish(Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("destroyed by another client"),
        "{}",
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("mode "),
        "summary table printed: {}",
        stdout(&out)
    );
    assert!(summaries(&json)[0]["frames"].as_u64().unwrap() > 0);
}

/// Starts a producer that streams until stopped, without warm-up, writing its summaries to `json`.
fn streaming(
    xvfb: &Xvfb,
    json: &std::path::Path,
    size: &str,
    fps: &str,
    extra: &[&str],
) -> Producer {
    let mut args = vec![
        "--display",
        xvfb.display(),
        "--size",
        size,
        "--fps",
        fps,
        "--warmup",
        "0",
    ];
    args.extend_from_slice(extra);
    args.extend(["--summary-json", json.to_str().expect("UTF-8 temp path")]);
    Producer::spawn(&args)
}

/// Sends a key with xdotool to `window` (`keydown` only when the press will close the window).
fn xdotool(xvfb: &Xvfb, verb: &str, window: u32, key: &str) {
    let status = std::process::Command::new("xdotool")
        .args([verb, "--window", &window.to_string(), key])
        .env("DISPLAY", xvfb.display())
        .status()
        .expect("xdotool");
    assert!(status.success(), "xdotool {verb} {key} failed");
}

/// Waits until the producer has published statistics (it is streaming).
fn wait_for_stats<C: Connection>(conn: &C, window: u32) -> serde_json::Value {
    let atom = conn
        .intern_atom(false, b"_ZCX_STATS")
        .unwrap()
        .reply()
        .unwrap()
        .atom;
    poll_until(
        Duration::from_secs(30),
        "_ZCX_STATS on the producer window",
        || {
            let p = conn
                .get_property(false, window, atom, AtomEnum::ANY, 0, 4096)
                .ok()?
                .reply()
                .ok()?;
            serde_json::from_slice::<serde_json::Value>(&p.value)
                .ok()
                .filter(|v| v["frames"].as_u64() > Some(0))
        },
    )
}

#[test]
fn resize_by_another_client_then_sigterm_exits_cleanly() {
    let xvfb = Xvfb::builder().size(1280, 720, 24).start().expect("Xvfb");
    let json = temp_path("sigterm.json");
    let producer = streaming(&xvfb, &json, "640x360", "60", &["--mode", "shm-put"]);
    let (conn, screen) = xvfb.connect();
    let window = find_producer_window(&conn, conn.setup().roots[screen].root);
    let stats = wait_for_stats(&conn, window);
    assert_eq!(stats["mode"], "shm-put");
    assert_eq!(stats["width"], 640);
    conn.configure_window(window, &ConfigureWindowAux::new().width(200).height(900))
        .unwrap();
    conn.flush().unwrap();
    let frames_then = wait_for_stats(&conn, window)["frames"].as_u64().unwrap();
    poll_until(Duration::from_secs(30), "frames after the resize", || {
        (wait_for_stats(&conn, window)["frames"].as_u64().unwrap() > frames_then + 5).then_some(())
    });
    kill(Pid::from_raw(producer.pid()), Signal::SIGTERM).unwrap();
    let out = producer.finish(Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let s = summaries(&json);
    assert_eq!(s.len(), 1);
    assert!(s[0]["frames"].as_u64().unwrap() > frames_then);
    assert_eq!(xvfb_windows(&xvfb), 0, "the window is gone after exit");
}

#[test]
fn tcp_display_auto_falls_back_to_put_image_with_one_warning() {
    let xvfb = Xvfb::builder()
        .size(1280, 720, 24)
        .arg("-listen")
        .arg("tcp")
        .arg("-ac")
        .start()
        .expect("Xvfb");
    let tcp = format!("127.0.0.1{}", xvfb.display());
    let json = temp_path("tcp-auto.json");
    let out = run(&[
        "--display",
        &tcp,
        "--size",
        "640x360",
        "--fps",
        "0",
        "--frames",
        "15",
        "--warmup",
        "5",
        "--summary-json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let warnings: Vec<_> = stderr(&out)
        .lines()
        .filter(|l| l.contains("WARN"))
        .map(str::to_owned)
        .collect();
    // One warning for the fallback; one that the remote server's CPU cannot be measured.
    assert!(
        warnings.iter().any(|w| w.contains("using put-image")),
        "{warnings:?}"
    );
    assert!(warnings.len() <= 2, "{warnings:?}");
    let s = summaries(&json);
    assert_eq!(s[0]["mode"], "put-image");
    assert!(
        s[0]["server_cpu_ms_per_frame"].is_null(),
        "no server CPU over TCP: {s:?}"
    );
    assert!(s[0]["socket_bytes_per_frame"].as_f64().unwrap() >= 640.0 * 360.0 * 4.0);
    let out = run(&["--display", &tcp, "--mode", "shm-pixmap", "--frames", "3"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("MIT-SHM is not usable on this connection"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn wm_delete_window_and_sigint_end_with_summaries() {
    let xvfb = Xvfb::builder().size(1280, 720, 24).start().expect("Xvfb");
    let json = temp_path("delete.json");
    let producer = streaming(&xvfb, &json, "320x200", "60", &[]);
    let (conn, screen) = xvfb.connect();
    let window = find_producer_window(&conn, conn.setup().roots[screen].root);
    wait_for_stats(&conn, window);
    let atom = |name: &[u8]| conn.intern_atom(false, name).unwrap().reply().unwrap().atom;
    let (protocols, delete) = (atom(b"WM_PROTOCOLS"), atom(b"WM_DELETE_WINDOW"));
    let message = x11rb::protocol::xproto::ClientMessageEvent::new(
        32,
        window,
        protocols,
        [delete, 0, 0, 0, 0],
    );
    conn.send_event(
        false,
        window,
        x11rb::protocol::xproto::EventMask::NO_EVENT,
        message,
    )
    .unwrap();
    conn.flush().unwrap();
    let out = producer.finish(Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(summaries(&json)[0]["frames"].as_u64().unwrap() > 0);

    let producer = streaming(&xvfb, &json, "320x200", "60", &[]);
    let window = find_producer_window(&conn, conn.setup().roots[screen].root);
    wait_for_stats(&conn, window);
    kill(Pid::from_raw(producer.pid()), Signal::SIGINT).unwrap();
    let out = producer.finish(Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("mode "),
        "summary table on SIGINT: {}",
        stdout(&out)
    );
    assert!(summaries(&json)[0]["frames"].as_u64().unwrap() > 0);
}

#[test]
fn m_key_cycles_modes_and_q_quits_with_every_summary() {
    require_tools(&["xdotool"]);
    let xvfb = Xvfb::builder().size(1280, 720, 24).start().expect("Xvfb");
    let json = temp_path("keys.json");
    let producer = streaming(&xvfb, &json, "640x360", "60", &[]);
    let (conn, screen) = xvfb.connect();
    let window = find_producer_window(&conn, conn.setup().roots[screen].root);
    assert_eq!(wait_for_stats(&conn, window)["mode"], "shm-pixmap");
    xdotool(&xvfb, "key", window, "m");
    poll_until(
        Duration::from_secs(30),
        "the mode to change to shm-put",
        || (wait_for_stats(&conn, window)["mode"] == "shm-put").then_some(()),
    );
    // Only the press: the window is gone before a release could be sent.
    xdotool(&xvfb, "keydown", window, "q");
    let out = producer.finish(Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let modes: Vec<_> = summaries(&json).iter().map(|s| s["mode"].clone()).collect();
    assert_eq!(modes, ["shm-pixmap", "shm-put"]);
}

/// The frame mappings of process `pid` as anyone can read them in its `/proc/<pid>/smaps`,
/// parsed here independently of the producer's own reader: `(bytes, huge_page_bytes)` of the
/// shared segments (`/memfd:zcx-frame`) and, apart, of private anonymous mappings with huge
/// pages asked for (`hg` in VmFlags: put-image's buffer).
fn frame_mappings_from_outside(pid: i32) -> ((u64, u64), (u64, u64)) {
    let smaps =
        std::fs::read_to_string(format!("/proc/{pid}/smaps")).expect("the producer's smaps");
    let (mut shared, mut private) = ((0, 0), (0, 0));
    let mut vmas: Vec<Vec<&str>> = Vec::new();
    for line in smaps.lines() {
        let is_header = line
            .split_whitespace()
            .next()
            .is_some_and(|r| r.contains('-') && !r.ends_with(':'));
        if is_header {
            vmas.push(vec![line]);
        } else if let Some(v) = vmas.last_mut() {
            v.push(line);
        }
    }
    let kib = |vma: &[&str], field: &str| -> u64 {
        vma.iter()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.trim().strip_suffix("kB")?.trim().parse().ok())
            .unwrap_or(0)
            * 1024
    };
    for vma in &vmas {
        let header: Vec<&str> = vma[0].split_whitespace().collect();
        let path = header.get(5..).map(|p| p.join(" ")).unwrap_or_default();
        let flags = vma
            .iter()
            .find_map(|l| l.strip_prefix("VmFlags:"))
            .unwrap_or("");
        if path.starts_with("/memfd:zcx-frame") {
            shared.0 += kib(vma, "Size");
            shared.1 += kib(vma, "ShmemPmdMapped");
        } else if path.is_empty() && flags.split_whitespace().any(|f| f == "hg") {
            private.0 += kib(vma, "Size");
            private.1 += kib(vma, "AnonHugePages");
        }
    }
    (shared, private)
}

/// The producer's `frame_memory` (its frame buffers and how much of them is on huge pages)
/// agrees with what an outside reader of its /proc/<pid>/smaps sees, in every mode whose
/// buffers stay mapped: put-image's one private buffer, the shared paths' ring of segments.
#[test]
fn frame_memory_agrees_with_the_producers_smaps() {
    let xvfb = Xvfb::builder().size(1920, 1080, 24).start().expect("Xvfb");
    let frame_bytes = 1920 * 1080 * 4;
    for (mode, buffers) in [("put-image", 1), ("shm-put", 3), ("shm-pixmap", 3)] {
        let json = temp_path(&format!("pages-{mode}.json"));
        let producer = streaming(
            &xvfb,
            &json,
            "1920x1080",
            "30",
            &["--mode", mode, "--buffers", "3"],
        );
        let (conn, screen) = xvfb.connect();
        let window = find_producer_window(&conn, conn.setup().roots[screen].root);
        let stats = wait_for_stats(&conn, window);
        let (shared, private) = frame_mappings_from_outside(producer.pid());
        kill(Pid::from_raw(producer.pid()), Signal::SIGTERM).unwrap();
        let out = producer.finish(Duration::from_secs(30));
        assert_eq!(out.status.code(), Some(0), "{mode}: {}", stderr(&out));
        let memory = &stats["frame_memory"];
        let (bytes, huge) = (
            memory["bytes"].as_u64().expect("frame_memory.bytes"),
            memory["huge_page_bytes"]
                .as_u64()
                .expect("frame_memory.huge_page_bytes"),
        );
        assert_eq!(bytes, buffers * frame_bytes, "{mode}: {memory}");
        let outside = if mode == "put-image" { private } else { shared };
        eprintln!("{mode}: producer says {bytes} bytes, {huge} on huge pages; smaps {outside:?}");
        assert_eq!(outside.0, bytes, "{mode}: mapped size, outside vs {memory}");
        // khugepaged may still collapse small pages into huge ones after the producer counted.
        assert!(
            outside.1 >= huge && outside.1 <= bytes,
            "{mode}: huge pages outside {} vs the producer's {memory}",
            outside.1
        );
        let _ = std::fs::remove_file(&json);
    }
}
