//! The screen observer against a real producer on a private Xvfb: it finds the window by
//! WM_CLASS and sees increasing frame numbers with plausible latency.

mod common;

use std::process::{Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use x11rb::connection::Connection;
use zcx_bench::observer::screen::find_producer_windows;
use zcx_bench::observer::{observe, ObserverConfig};
use zcx_testkit::{poll_until, ChildGuard, Xvfb};

#[test]
fn observer_sees_a_producer_deliver_increasing_frames() {
    let xvfb = Xvfb::builder()
        .size(640, 480, 24)
        .start()
        .unwrap_or_else(|e| panic!("{e}"));
    let producer = common::workspace_bin("zcx-producer", "zcx-producer");
    let mut cmd = Command::new(producer);
    cmd.args(["--mode", "shm-put", "--size", "320x240", "--fps", "120"])
        .args(["--display", xvfb.display()])
        .stdout(Stdio::null());
    let _producer = ChildGuard::spawn(&mut cmd);
    let (conn, screen) = xvfb.connect();
    let root = conn.setup().roots[screen].root;
    let found = poll_until(Duration::from_secs(20), "the producer window", || {
        let w = find_producer_windows(&conn, root);
        (!w.is_empty()).then_some(w)
    });
    assert_eq!(found.len(), 1);
    assert_eq!(
        (found[0].geometry.width, found[0].geometry.height),
        (320, 240)
    );
    // Wait for the first stamped frame rather than sleeping.
    let config = ObserverConfig {
        samples_per_s: 200,
        duration: Duration::from_millis(1500),
        ..ObserverConfig::default()
    };
    let stop = AtomicBool::new(false);
    let obs = poll_until(Duration::from_secs(20), "observed frames", || {
        let o = observe(&conn, screen, &config, &stop);
        (o.windows.first()?.summary.distinct_frames >= 5).then_some(o)
    });
    let w = &obs.windows[0];
    let numbers: Vec<u64> = w.frames.iter().map(|f| f.frame).collect();
    assert!(numbers.windows(2).all(|p| p[1] > p[0]), "{numbers:?}");
    let lat = w.summary.latency_ms.expect("latency");
    assert!(lat.p50 > 0.0 && lat.p50 < 2000.0, "{lat:?}");
    assert!(w.summary.delivered_fps.is_some_and(|f| f > 1.0));
    assert!(
        obs.rounds_per_s > 100.0,
        "sampling rate {}",
        obs.rounds_per_s
    );
    eprintln!(
        "observer: {:.0} rounds/s, {:.2}% of a core, {} frames at {:?} fps, latency {lat:?}",
        obs.rounds_per_s,
        obs.observer_cpu_percent,
        w.summary.distinct_frames,
        w.summary.delivered_fps
    );
}
