//! `zcx ipc`: options, running each method in turn, and the table.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use zcx_bench::ipc::{run_method, IpcConfig, IpcMethod, MethodResult, SideResult};

#[derive(Debug, clap::Args)]
pub struct IpcCli {
    /// Frame size in pixels (4 bytes each), WxH.
    #[arg(long, default_value = "3840x2160", value_parser = zcx_producer::cli::parse_size)]
    size: (u32, u32),
    /// Measured frames per method, at most (steady state).
    #[arg(long, default_value_t = 50)]
    frames: u64,
    /// Stop measuring a method after this many seconds (and at least 3 frames); 0: no limit.
    // `std::option::Option` spelled out so that clap takes it as the value's type (always
    // given; `None` is the command line's 0), not as an optional argument.
    #[arg(long, default_value = "2", value_parser = parse_budget)]
    seconds: std::option::Option<Duration>,
    /// Frames per method before the measured ones, reported apart.
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// Methods to run: socket-<size> (kernel buffer set to <size>, written and read in pieces
    /// of <size>), socket-write-<size> (pieces of <size>, default kernel buffer), memfd
    /// [default: socket-512,socket-4k,socket-64k,socket-1m,socket-write-512,memfd].
    #[arg(long, value_delimiter = ',')]
    methods: Vec<String>,
    /// Also write every figure as JSON here.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
}

/// `--seconds`: a time budget, 0 for none (`None`).
fn parse_budget(s: &str) -> Result<Option<Duration>, String> {
    crate::parse_seconds(s).map(|d| (!d.is_zero()).then_some(d))
}

pub fn run(args: &IpcCli) -> anyhow::Result<()> {
    let methods: Vec<IpcMethod> = if args.methods.is_empty() {
        IpcMethod::DEFAULT.to_vec()
    } else {
        args.methods
            .iter()
            .map(|m| m.parse())
            .collect::<Result<_, _>>()?
    };
    let cfg = IpcConfig {
        frame_bytes: args.size.0 as usize * args.size.1 as usize * 4,
        frames: args.frames,
        warmup: args.warmup,
        budget: args.seconds,
    };
    let exe = std::env::current_exe().context("finding the zcx binary to run the peer")?;
    println!(
        "zcx ipc: {} bytes per frame ({}x{}), {} warm-up + up to {} frames per method{}",
        cfg.frame_bytes,
        args.size.0,
        args.size.1,
        cfg.warmup,
        cfg.frames,
        cfg.budget
            .map(|b| format!(" or {} s", b.as_secs_f64()))
            .unwrap_or_default()
    );
    let mut results = Vec::new();
    for method in methods {
        let r =
            run_method(&exe, method, cfg).with_context(|| format!("method {}", method.name()))?;
        print_row(&r, results.is_empty());
        results.push(r);
    }
    print_legend(&results);
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&results)?;
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

fn print_row(r: &MethodResult, header: bool) {
    if header {
        println!(
            "{:<16} {:>9} {:>15} {:>6} {:>9} {:>9} {:>16} {:>16} {:>8} {:>8} {:>13}",
            "method",
            "buf asked",
            "buf got snd/rcv",
            "frames",
            "ms p50",
            "ms p99",
            "ctx/f send (inv)",
            "ctx/f recv (inv)",
            "cpu send",
            "cpu recv",
            "warm faults"
        );
    }
    let (p50, p99) = r.frame_ms.map_or((f64::NAN, f64::NAN), |p| (p.p50, p.p99));
    let (asked, got) = match r.buffer {
        Some(b) => (
            b.requested_bytes
                .map_or("default".into(), |n| n.to_string()),
            format!("{}/{}", b.send_bytes, b.receive_bytes),
        ),
        None => ("-".into(), "-".into()),
    };
    println!(
        "{:<16} {:>9} {:>15} {:>6} {:>9.2} {:>9.2} {:>16} {:>16} {:>8.2} {:>8.2} {:>6}/{:<6}",
        r.method,
        asked,
        got,
        r.frames,
        p50,
        p99,
        switches(&r.sender),
        switches(&r.receiver),
        r.sender.cpu_ms_per_frame,
        r.receiver.cpu_ms_per_frame,
        r.sender.warmup_minor_faults,
        r.receiver.warmup_minor_faults,
    );
}

/// Context switches per frame, with the involuntary part (preemptions) in brackets.
fn switches(side: &SideResult) -> String {
    format!(
        "{:.1} ({:.0})",
        side.ctx_switches_per_frame, side.involuntary_ctx_switches_per_frame
    )
}

fn print_legend(results: &[MethodResult]) {
    println!(
        "buffer sizes in bytes: asked with SO_SNDBUF (writer) and SO_RCVBUF (reader), read back \
         with getsockopt; ctx/f (involuntary part) and cpu (ms) per frame of each whole process"
    );
    for r in results.iter().filter(|r| r.label != r.method) {
        println!("{}: the write size alone, not the seed's buffer", r.label);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_seconds_is_no_budget() {
        assert_eq!(parse_budget("0"), Ok(None));
        assert_eq!(parse_budget("1.5"), Ok(Some(Duration::from_millis(1500))));
        assert!(parse_budget("forever").is_err());
    }
}
