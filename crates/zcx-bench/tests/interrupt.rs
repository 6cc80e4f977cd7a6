//! Ctrl-C in the middle of `zcx demo` and `zcx bench`: SIGINT to `zcx` alone (its children
//! live in their own process groups, as with a terminal's Ctrl-C they would not get it from
//! the terminal) ends the run cleanly: exit status 0, the report of what was measured, and
//! no child left running (Xvfb, compositor, producers). And when `zcx` is killed outright
//! (SIGKILL: nothing can unwind), the kernel takes its children along (PR_SET_PDEATHSIG).

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::procs;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use zcx_testkit::{require_tools, ChildGuard};

const ZCX: &str = env!("CARGO_BIN_EXE_zcx");

/// Polls `cond` until it holds or `timeout` passes.
fn wait_for(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    cond()
}

fn start(args: &[&str], dir: &Path) -> ChildGuard {
    let _ = std::fs::remove_dir_all(dir);
    ChildGuard::spawn(
        Command::new(ZCX)
            .args(args)
            .arg("--out")
            .arg(dir)
            .env_remove("DISPLAY")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    )
}

/// SIGINT to `zcx` once `ready` holds; checks the exit, the report and that every
/// descendant seen before the signal is gone. Returns report.json.
fn interrupt(mut zcx: ChildGuard, dir: &Path, ready: impl Fn(&[u32]) -> bool) -> serde_json::Value {
    let pid = zcx.id();
    let mut seen = Vec::new();
    let got_ready = wait_for(Duration::from_secs(90), || {
        for p in procs::descendants(pid) {
            if !seen.contains(&p) {
                seen.push(p);
            }
        }
        ready(&seen)
    });
    let names: Vec<String> = seen.iter().map(|&p| procs::comm(p)).collect();
    assert!(got_ready, "never got ready; descendants: {names:?}");
    kill(Pid::from_raw(pid as i32), Signal::SIGINT).unwrap();
    let exited = wait_for(Duration::from_secs(60), || {
        zcx.try_wait().ok().flatten().is_some()
    });
    if !exited {
        let _ = zcx.kill();
    }
    let out = zcx.output(Duration::from_secs(10));
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(exited, "zcx did not exit within 60 s of SIGINT: {text}");
    assert!(out.status.success(), "{}: {text}", out.status);
    let survivors: Vec<String> = seen
        .iter()
        .filter(|&&p| procs::running(p))
        .map(|&p| format!("{p} {}", procs::comm(p)))
        .collect();
    assert!(
        survivors.is_empty(),
        "still running: {survivors:?} (of {names:?})"
    );
    let report = std::fs::read(dir.join("report.json")).unwrap_or_default();
    let report: serde_json::Value =
        serde_json::from_slice(&report).unwrap_or_else(|e| panic!("report.json: {e}: {text}"));
    assert!(
        report["notes"].to_string().contains("interrupted"),
        "{report}"
    );
    report
}

fn set_up() {
    require_tools(&["Xvfb"]);
    common::sibling_binaries();
}

#[test]
fn ctrl_c_during_demo_writes_the_report_and_reaps_every_child() {
    set_up();
    let dir = common::fresh_dir("int-demo");
    let zcx = start(&["demo", "--duration", "60", "--size", "960x540"], &dir);
    // Mid-run: Xvfb, the first row's producer and the compositor are up.
    let report = interrupt(zcx, &dir, |seen| {
        let names: Vec<String> = seen.iter().map(|&p| procs::comm(p)).collect();
        let count = |n: &str| names.iter().filter(|c| c.starts_with(n)).count();
        count("Xvfb") == 1 && count("zcx-producer") == 1 && count("zcx-compositor") >= 1
    });
    // The row cut short is reported; the rows after it and the showcase do not run.
    assert_eq!(report["runs"].as_array().map(Vec::len), Some(1));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn ctrl_c_during_bench_writes_the_cells_measured_and_reaps_every_child() {
    set_up();
    let dir = common::fresh_dir("int-bench");
    let zcx = start(
        &[
            "bench",
            "--size",
            "320x180",
            "--reps",
            "20",
            "--duration",
            "1",
            "--compositors",
            "none,zcx",
            "--modes",
            "put-image",
        ],
        &dir,
    );
    // After the first cell (its producer summary is written when it stops), while the
    // second runs under zcx-compositor.
    let first = dir.join("producer-put-image-none-1.json");
    let report = interrupt(zcx, &dir, |seen| {
        first.is_file()
            && seen
                .iter()
                .any(|&p| procs::comm(p).starts_with("zcx-compositor"))
    });
    assert!(
        report["runs"].as_array().map_or(0, Vec::len) >= 1,
        "{report}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sigkill_of_zcx_takes_its_children_along() {
    set_up();
    let dir = common::fresh_dir("int-kill");
    let mut zcx = start(&["demo", "--duration", "60", "--size", "960x540"], &dir);
    let pid = zcx.id();
    let mut seen: Vec<u32> = Vec::new();
    // Xvfb, the first row's producer and the compositor.
    let ready = wait_for(Duration::from_secs(90), || {
        seen = procs::descendants(pid);
        seen.len() >= 3
    });
    assert!(ready, "children never all started: {seen:?}");
    zcx.kill().unwrap();
    zcx.wait().unwrap();
    let gone = wait_for(Duration::from_secs(20), || {
        seen.iter().all(|&p| !procs::running(p))
    });
    let survivors: Vec<String> = seen
        .iter()
        .filter(|&&p| procs::running(p))
        .map(|&p| format!("{p} {}", procs::comm(p)))
        .collect();
    for &p in &seen {
        // Clean up after a failure; these are this test's own grandchildren.
        let _ = kill(Pid::from_raw(-(p as i32)), Signal::SIGKILL);
    }
    assert!(gone, "still running after SIGKILL of zcx: {survivors:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
