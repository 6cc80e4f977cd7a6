//! `zcx ipc`: options, running each method in turn, and the table.

use std::path::PathBuf;

use anyhow::Context as _;
use zcx_bench::ipc::{run_method, IpcConfig, IpcMethod, MethodResult};

#[derive(Debug, clap::Args)]
pub struct IpcCli {
    /// Frame size in pixels (4 bytes each), WxH.
    #[arg(long, default_value = "3840x2160", value_parser = zcx_producer::cli::parse_size)]
    size: (u32, u32),
    /// Measured frames per method (steady state).
    #[arg(long, default_value_t = 10)]
    frames: u64,
    /// Frames per method before the measured ones, reported apart.
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// Methods to run (default: socket-512,socket-4k,socket-64k,socket-1m,memfd).
    #[arg(long, value_delimiter = ',')]
    methods: Vec<String>,
    /// Also write every figure as JSON here.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
}

pub fn run(args: &IpcCli) -> anyhow::Result<()> {
    let methods: Vec<IpcMethod> = if args.methods.is_empty() {
        IpcMethod::ALL.to_vec()
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
    };
    let exe = std::env::current_exe().context("finding the zcx binary to run the peer")?;
    println!(
        "zcx ipc: {} bytes per frame ({}x{}), {} frames + {} warm-up per method",
        cfg.frame_bytes, args.size.0, args.size.1, cfg.frames, cfg.warmup
    );
    let mut results = Vec::new();
    for method in methods {
        let r =
            run_method(&exe, method, cfg).with_context(|| format!("method {}", method.name()))?;
        print_row(&r, results.is_empty());
        results.push(r);
    }
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&results)?;
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

fn print_row(r: &MethodResult, header: bool) {
    if header {
        println!(
            "{:<11} {:>9} {:>9} {:>10} {:>10} {:>9} {:>9} {:>12}",
            "method",
            "ms p50",
            "ms p99",
            "ctx/f send",
            "ctx/f recv",
            "cpu send",
            "cpu recv",
            "warm faults"
        );
    }
    let (p50, p99) = r.frame_ms.map_or((f64::NAN, f64::NAN), |p| (p.p50, p.p99));
    println!(
        "{:<11} {:>9.2} {:>9.2} {:>10.1} {:>10.1} {:>9.2} {:>9.2} {:>6}/{:<6}",
        r.method,
        p50,
        p99,
        r.sender.ctx_switches_per_frame,
        r.receiver.ctx_switches_per_frame,
        r.sender.cpu_ms_per_frame,
        r.receiver.cpu_ms_per_frame,
        r.sender.warmup_minor_faults,
        r.receiver.warmup_minor_faults,
    );
}
