//! `zcx ipc`'s context switches per frame, for each process, against an outside count: the
//! voluntary + nonvoluntary switches in /proc/<pid>/task/*/status of this process (the sender)
//! and of the peer, read around exactly the measured frames. Alone in its test binary, so no
//! other test's threads switch in this process meanwhile.

use std::path::Path;

use zcx_bench::ipc::{run_method_observed, Edge, IpcConfig, IpcMethod, MethodResult};
use zcx_x11::metrics::ProcCounters;

const ZCX: &str = env!("CARGO_BIN_EXE_zcx");

/// Voluntary + nonvoluntary context switches of every thread of `pid`.
fn switches(pid: u32) -> u64 {
    let counters =
        ProcCounters::open(pid as i32).unwrap_or_else(|| panic!("/proc/{pid} is unreadable"));
    counters
        .sample()
        .unwrap_or_else(|| panic!("/proc/{pid}/task is unreadable"))
        .ctx_switches
}

/// The sender's and the peer's switches over the measured frames, counted from /proc.
#[derive(Debug, Default)]
struct Outside {
    start: Option<(u64, u64)>,
    sender: u64,
    receiver: u64,
}

impl Outside {
    fn at(&mut self, edge: Edge, peer_pid: u32) {
        let now = (switches(std::process::id()), switches(peer_pid));
        match (edge, self.start) {
            (Edge::MeasuredStart, _) => self.start = Some(now),
            (Edge::MeasuredEnd, Some((sender, receiver))) => {
                self.sender = now.0 - sender;
                self.receiver = now.1 - receiver;
            }
            (Edge::MeasuredEnd, None) => panic!("MeasuredEnd without MeasuredStart"),
        }
    }
}

fn run(method: IpcMethod, frames: u64) -> (MethodResult, Outside) {
    let cfg = IpcConfig {
        frame_bytes: 640 * 480 * 4,
        frames,
        warmup: 2,
        budget: None,
    };
    let mut outside = Outside::default();
    let r = run_method_observed(Path::new(ZCX), method, cfg, &mut |edge, pid| {
        outside.at(edge, pid)
    })
    .unwrap_or_else(|e| panic!("{}: {e}", method.name()));
    assert_eq!(r.frames, frames);
    (r, outside)
}

fn agree(method: &str, side: &str, reported_per_frame: f64, outside: u64, frames: u64) -> bool {
    let outside_per_frame = outside as f64 / frames as f64;
    let ok = (reported_per_frame - outside_per_frame).abs() <= 0.10 * outside_per_frame;
    println!(
        "{method:<16} {side:<8} reported {reported_per_frame:>8.2}/frame, /proc \
         {outside_per_frame:>8.2}/frame ({outside} over {frames} frames){}",
        if ok { "" } else { "  <-- more than 10% apart" }
    );
    ok
}

#[test]
fn reported_context_switches_agree_with_proc_for_both_processes() {
    // Enough frames that each side switches a few hundred times at least, on a 640x480 frame,
    // on a quiet machine too (a busy one adds preemptions: the write-size-only method then
    // switches twice as often).
    let plan = [
        (IpcMethod::Socket { bytes: 512 }, 10),
        (IpcMethod::Socket { bytes: 4096 }, 20),
        (IpcMethod::Socket { bytes: 65536 }, 60),
        (IpcMethod::SocketWrite { bytes: 512 }, 150),
        (IpcMethod::Memfd, 400),
    ];
    let mut all_agree = true;
    for (method, frames) in plan {
        let (r, outside) = run(method, frames);
        for (side, reported, counted) in [
            ("sender", &r.sender, outside.sender),
            ("receiver", &r.receiver, outside.receiver),
        ] {
            assert!(
                counted >= 100,
                "{} {side}: only {counted} switches in /proc, too few to compare",
                r.method
            );
            all_agree &= agree(
                &r.method,
                side,
                reported.ctx_switches_per_frame,
                counted,
                r.frames,
            );
        }
    }
    assert!(all_agree, "see the lines marked above");
}
