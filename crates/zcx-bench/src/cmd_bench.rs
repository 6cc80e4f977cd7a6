//! `zcx bench`: options, the stop flag, and handing over to the library's matrix.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use zcx_bench::bench::BenchOptions;

#[derive(Debug, clap::Args)]
pub struct BenchCli {
    /// Repetitions of the whole matrix, interleaved (A/B/A/B).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    reps: u32,
    /// Seconds each cell is observed on the screen.
    #[arg(long, default_value = "2", value_parser = crate::parse_seconds)]
    duration: std::time::Duration,
    /// Producer modes (default: every mode that works on this display).
    #[arg(long, value_delimiter = ',')]
    modes: Vec<String>,
    /// Compositors: none, zcx:<importer> (or zcx for auto), picom-glx, picom-xrender, xcompmgr
    /// (default: all, zcx once per importer that works here, peers where installed).
    #[arg(long, value_delimiter = ',')]
    compositors: Vec<String>,
    /// Frame size, WxH (also the private Xvfb's screen).
    #[arg(long, default_value = "3840x2160", value_parser = zcx_producer::cli::parse_size)]
    size: (u32, u32),
    /// Producer frames per second (0: as fast as the path allows).
    #[arg(long, default_value_t = 0)]
    fps: u32,
    /// Report directory (default: target/zcx-report/<timestamp>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// X display (default: $DISPLAY, else a private Xvfb of --size).
    #[arg(long)]
    display: Option<String>,
    /// The display runs under an emulated CPU (the DRI3 test server, `cargo xtask vm run --
    /// zcx bench --emulated-cpu …`): the report says its timings are not speed.
    #[arg(long)]
    emulated_cpu: bool,
}

pub fn run(args: &BenchCli, stop: &AtomicBool, target_dir: PathBuf) -> anyhow::Result<()> {
    let opts = BenchOptions {
        modes: args.modes.clone(),
        compositors: args.compositors.clone(),
        reps: args.reps,
        duration: args.duration,
        size: args.size,
        fps: args.fps,
        out: args.out.clone(),
        display: args.display.clone(),
        target_dir,
        command: std::env::args().collect::<Vec<_>>().join(" "),
        emulated_cpu: args.emulated_cpu,
    };
    zcx_bench::bench::run(&opts, stop)?;
    Ok(())
}
