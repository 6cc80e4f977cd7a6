//! `zcx ipc` on small frames: every method moves every frame intact between two processes,
//! the socket buffer is the size asked for as the kernel reports it, and a time budget stops a
//! slow method early.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use zcx_bench::ipc::{run_method, IpcConfig, IpcMethod, MIN_MEASURED_FRAMES};

const ZCX: &str = env!("CARGO_BIN_EXE_zcx");

/// `frames` measured frames of `frame_bytes` after `warmup`, with no time budget.
fn cfg(frame_bytes: usize, frames: u64, warmup: u64) -> IpcConfig {
    IpcConfig {
        frame_bytes,
        frames,
        warmup,
        budget: None,
    }
}

#[test]
fn every_method_moves_small_frames() {
    let cfg = cfg(64 * 48 * 4, 6, 2);
    for method in IpcMethod::DEFAULT {
        let r = run_method(Path::new(ZCX), method, cfg)
            .unwrap_or_else(|e| panic!("{}: {e}", method.name()));
        assert_eq!(r.method, method.name());
        assert_eq!(r.frames, 6);
        assert_eq!(r.warmup_frame_ms.len(), 2);
        let p = r.frame_ms.expect("steady-state percentiles");
        assert!(p.p50 > 0.0 && p.p99 >= p.p50, "{p:?}");
        assert!(r.sender.ctx_switches_per_frame >= 0.0);
    }
}

#[test]
fn odd_sizes_and_a_frame_smaller_than_one_write() {
    // 1001 bytes: not a multiple of any write size, smaller than most.
    let cfg = cfg(1001, 3, 0);
    for method in ["socket-512", "socket-1m", "memfd"] {
        let r = run_method(Path::new(ZCX), method.parse().unwrap(), cfg).unwrap();
        assert_eq!(r.warmup_frame_ms.len(), 0);
        assert!(r.frame_ms.is_some());
    }
}

#[test]
fn socket_buffers_are_asked_for_and_read_back_on_both_ends() {
    let cfg = cfg(256 * 256 * 4, 3, 1);
    let run = |name: &str| {
        let r = run_method(Path::new(ZCX), name.parse().unwrap(), cfg).unwrap();
        r.buffer
            .unwrap_or_else(|| panic!("{name}: no buffer sizes"))
    };
    let seed = run("socket-512");
    assert_eq!(seed.requested_bytes, Some(512));
    // Linux doubles the value and raises it to its minimum (about 4.6 KB to send).
    assert!(
        seed.send_bytes >= 1024 && seed.receive_bytes >= 1024,
        "{seed:?}"
    );
    let sized = run("socket-64k");
    assert_eq!(sized.requested_bytes, Some(65536));
    assert!(sized.send_bytes > seed.send_bytes, "{sized:?} vs {seed:?}");
    let default = run("socket-write-512");
    assert_eq!(default.requested_bytes, None);
    assert!(default.send_bytes > seed.send_bytes, "{default:?}");
    let memfd = run_method(Path::new(ZCX), IpcMethod::Memfd, cfg).unwrap();
    assert!(memfd.buffer.is_none() && memfd.piece_bytes.is_none());
}

#[test]
fn a_time_budget_stops_after_the_fewest_frames_and_the_peer_agrees() {
    let cfg = IpcConfig {
        budget: Some(Duration::ZERO),
        ..cfg(640 * 480 * 4, 1000, 1)
    };
    for method in [IpcMethod::Socket { bytes: 4096 }, IpcMethod::Memfd] {
        let r = run_method(Path::new(ZCX), method, cfg).unwrap();
        assert_eq!(r.frames, MIN_MEASURED_FRAMES, "{}", r.method);
        assert!(r.receiver.ctx_switches > 0, "{r:?}");
    }
}

#[test]
fn cli_writes_json_for_each_method() {
    let dir = std::env::temp_dir().join(format!("zcx-ipc-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let json = dir.join("ipc.json");
    let out = Command::new(ZCX)
        .args([
            "ipc", "--size", "32x32", "--frames", "3", "--warmup", "1", "--json",
        ])
        .arg(&json)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("socket-64k") && stdout.contains("memfd"),
        "{stdout}"
    );
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(v.as_array().map(Vec::len), Some(6));
    assert!(
        stdout.contains("socket-write-512 (default kernel buffer)"),
        "{stdout}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn cli_rejects_unknown_methods_and_tiny_frames() {
    let out = Command::new(ZCX)
        .args(["ipc", "--methods", "pipe"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "a bad option: exit status 2");
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown method"));
    let out = Command::new(ZCX)
        .args(["ipc", "--size", "1x1", "--frames", "1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "a bad option: exit status 2");
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 16 bytes"));
}
