//! `zcx bench`: options, the stop flag, and handing over to the library's matrix.

use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use zcx_bench::bench::BenchOptions;
use zcx_bench::session::CompositorChoice;
use zcx_producer::transport::Mode;

#[derive(Debug, clap::Args)]
pub struct BenchCli {
    /// Repetitions of the whole matrix, interleaved (A/B/A/B).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    reps: u32,
    /// Seconds each cell is observed on the screen.
    #[arg(long, default_value = "2", value_parser = crate::parse_seconds)]
    duration: std::time::Duration,
    /// Producer modes: put-image, shm-put, shm-pixmap, dri3 (default: every mode that works on
    /// this display).
    #[arg(long, value_delimiter = ',')]
    modes: Vec<Mode>,
    /// Compositors: none, zcx:<importer> (or zcx for auto), picom-glx, picom-xrender, xcompmgr
    /// (default: all, zcx once per importer that works here, peers where installed).
    #[arg(long, value_delimiter = ',', value_parser = CompositorChoice::parse)]
    compositors: Vec<CompositorChoice>,
    /// Frame size, WxH (also the private Xvfb's screen).
    #[arg(long, default_value = "3840x2160", value_parser = zcx_producer::cli::parse_size)]
    size: (u32, u32),
    /// Producer frames per second (0: as fast as the path allows).
    // `std::option::Option` spelled out so that clap takes it as the value's type (always
    // given; `None` is the command line's 0), not as an optional argument.
    #[arg(long, default_value = "0", value_parser = zcx_producer::cli::parse_fps)]
    fps: std::option::Option<NonZeroU32>,
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
