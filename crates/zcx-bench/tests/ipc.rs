//! `zcx ipc` on small frames: every method moves every frame intact between two processes.

use std::path::Path;
use std::process::Command;

use zcx_bench::ipc::{run_method, IpcConfig, IpcMethod};

const ZCX: &str = env!("CARGO_BIN_EXE_zcx");

#[test]
fn every_method_moves_small_frames() {
    let cfg = IpcConfig {
        frame_bytes: 64 * 48 * 4,
        frames: 6,
        warmup: 2,
    };
    for method in IpcMethod::ALL {
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
    let cfg = IpcConfig {
        frame_bytes: 1001,
        frames: 3,
        warmup: 0,
    };
    for method in ["socket-512", "socket-1m", "memfd"] {
        let r = run_method(Path::new(ZCX), method.parse().unwrap(), cfg).unwrap();
        assert_eq!(r.warmup_frame_ms.len(), 0);
        assert!(r.frame_ms.is_some());
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
    assert_eq!(v.as_array().map(Vec::len), Some(5));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn cli_rejects_unknown_methods_and_tiny_frames() {
    let out = Command::new(ZCX)
        .args(["ipc", "--methods", "pipe"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown method"));
    let out = Command::new(ZCX)
        .args(["ipc", "--size", "1x1", "--frames", "1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 16 bytes"));
}
