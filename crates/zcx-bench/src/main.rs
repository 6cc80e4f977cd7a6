//! The `zcx` binary: command line, logging, and exit statuses over the `zcx_bench` library.

mod cmd_bench;
mod cmd_ipc;

use std::time::Duration;

use clap::{Parser, Subcommand};

/// Zero-copy frame transport in X11, measured: probe, demo, bench, ipc.
#[derive(Debug, Parser)]
#[command(name = "zcx", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// More log output (-v info, -vv debug); RUST_LOG also works.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// One frame at a time between two processes: socket buffers of four sizes vs a shared memfd.
    Ipc(cmd_ipc::IpcCli),
    /// What this display supports: extensions, shared pixmaps, DRI3, GL, modes and importers.
    Probe {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// X display (default: $DISPLAY).
        #[arg(long)]
        display: Option<String>,
    },
    /// Watch producer windows on the screen: delivered fps, latency, dropped and torn frames.
    Observe {
        /// X display (default: $DISPLAY).
        #[arg(long)]
        display: Option<String>,
        /// Seconds to observe.
        #[arg(long, default_value = "5", value_parser = parse_seconds)]
        duration: Duration,
        /// Sampling rounds per second (each reads two 8x1 rows per window).
        #[arg(long, default_value_t = 250)]
        rate: u32,
        /// Write the observation (every frame seen) as JSON here.
        #[arg(long, value_name = "FILE")]
        json: Option<std::path::PathBuf>,
    },
    /// Each path measured alone under zcx-compositor, then side by side: report, screenshot.
    Demo {
        /// Seconds each path is observed alone (its measured phase, an unscaled window).
        #[arg(long, default_value = "20", value_parser = parse_seconds)]
        duration: Duration,
        /// Seconds of the side-by-side phase with the HUD that ends in the screenshot.
        #[arg(long, default_value = "4", value_parser = parse_seconds)]
        showcase: Duration,
        /// Report directory (default: target/zcx-report/<timestamp>).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        /// Run without a compositor (e.g. when another one already runs).
        #[arg(long)]
        no_compositor: bool,
        /// X display (default: $DISPLAY, else a private Xvfb of --size).
        #[arg(long)]
        display: Option<String>,
        /// Frame size, WxH (also the private Xvfb's screen).
        #[arg(long, default_value = "3840x2160", value_parser = zcx_producer::cli::parse_size)]
        size: (u32, u32),
        /// The display runs under an emulated CPU (the DRI3 test server, `cargo xtask demo
        /// --guest`): the report says its timings are not speed.
        #[arg(long)]
        emulated_cpu: bool,
    },
    /// Producer modes × compositors (zcx per importer, picom, xcompmgr, none), repeated and
    /// interleaved: on-screen fps and latency, CPU, ratios against put-image.
    Bench(cmd_bench::BenchCli),
    /// The receiving process of `zcx ipc` (started by it).
    #[command(name = "__ipc-peer", hide = true)]
    IpcPeer(zcx_bench::ipc::PeerArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let level = ["warn", "info", "debug", "trace"][usize::from(cli.verbose.min(3))];
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(level)).init();
    let result = match &cli.command {
        Command::Ipc(args) => cmd_ipc::run(args),
        Command::Probe { json, display } => probe(*json, display.as_deref()),
        Command::Observe {
            display,
            duration,
            rate,
            json,
        } => observe(display.as_deref(), *duration, *rate, json.as_deref()),
        Command::Demo {
            duration,
            showcase,
            out,
            no_compositor,
            display,
            size,
            emulated_cpu,
        } => demo(
            [*duration, *showcase],
            out.clone(),
            [*no_compositor, *emulated_cpu],
            display.clone(),
            *size,
        ),
        Command::Bench(args) => {
            stop_flag().and_then(|stop| cmd_bench::run(args, &stop, target_dir()))
        }
        Command::IpcPeer(args) => zcx_bench::ipc::run_peer(args).map_err(anyhow::Error::from),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("zcx: {}", zcx_x11::message::one_line(e.as_ref()));
            std::process::ExitCode::from(exit_status(&e))
        }
    }
}

/// README "Exit status": 2 when what was asked cannot be done here or was asked wrongly (clap
/// exits 2 by itself for options it rejects), 1 for any other error.
fn exit_status(e: &anyhow::Error) -> u8 {
    let ipc_refusal = e
        .downcast_ref::<zcx_bench::ipc::IpcError>()
        .is_some_and(zcx_bench::ipc::IpcError::is_refusal);
    if ipc_refusal || e.downcast_ref::<zcx_bench::refusal::Refusal>().is_some() {
        2
    } else {
        1
    }
}

/// A number of seconds (fractions allowed, 0 included) as a clap value parser, so a bad value
/// is a bad option (exit status 2).
pub(crate) fn parse_seconds(s: &str) -> Result<Duration, String> {
    let secs: f64 = s.parse().map_err(|e| format!("{s}: {e}"))?;
    Duration::try_from_secs_f64(secs).map_err(|e| format!("{s}: {e}"))
}

fn probe(json: bool, display: Option<&str>) -> anyhow::Result<()> {
    let report = zcx_bench::probe::probe_display(display)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", zcx_bench::probe::render_text(&report));
    }
    Ok(())
}

fn observe(
    display: Option<&str>,
    duration: Duration,
    rate: u32,
    json: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let c = zcx_x11::connect(display)?;
    let config = zcx_bench::observer::ObserverConfig {
        samples_per_s: rate,
        duration,
        ..Default::default()
    };
    let stop = std::sync::atomic::AtomicBool::new(false);
    let obs = zcx_bench::observer::observe(&c.conn, c.screen_num, &config, &stop);
    println!(
        "{:.1} s, {:.0} rounds/s, observer CPU {:.2}% of a core",
        obs.duration_s, obs.rounds_per_s, obs.observer_cpu_percent
    );
    if obs.windows.is_empty() {
        println!("no viewable window with WM_CLASS zcx-producer");
    }
    for w in &obs.windows {
        let s = &w.summary;
        let lat = s
            .latency_ms
            .map_or("-".into(), |p| format!("{:.1}/{:.1}", p.p50, p.p99));
        println!(
            "window {:#x} at {},{} {}x{}: {} frames, {} fps, latency p50/p99 {lat} ms, \
             dropped {}, torn {}, samples without stamp {}/{}",
            w.window,
            w.geometry.x,
            w.geometry.y,
            w.geometry.width,
            w.geometry.height,
            s.distinct_frames,
            s.delivered_fps.map_or("-".into(), |f| format!("{f:.1}")),
            s.dropped_frames,
            s.torn_frames,
            s.samples_without_stamp,
            s.samples
        );
    }
    if let Some(path) = json {
        std::fs::write(path, serde_json::to_string_pretty(&obs)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

fn demo(
    [duration, showcase]: [Duration; 2],
    out: Option<std::path::PathBuf>,
    [no_compositor, emulated_cpu]: [bool; 2],
    display: Option<String>,
    size: (u32, u32),
) -> anyhow::Result<()> {
    let stop = stop_flag()?;
    let opts = zcx_bench::demo::DemoOptions {
        duration,
        showcase,
        out,
        no_compositor,
        display,
        size,
        target_dir: target_dir(),
        command: std::env::args().collect::<Vec<_>>().join(" "),
        emulated_cpu,
    };
    zcx_bench::demo::run(&opts, &stop)?;
    Ok(())
}

/// A flag set by SIGINT and SIGTERM: the long commands poll it, end early, write what they
/// measured and stop their children.
fn stop_flag() -> anyhow::Result<std::sync::Arc<std::sync::atomic::AtomicBool>> {
    use anyhow::Context as _;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, std::sync::Arc::clone(&stop))
            .context("installing signal handlers")?;
    }
    Ok(stop)
}

/// The target directory `zcx` runs from (target/<profile>/zcx -> target).
fn target_dir() -> std::path::PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.to_path_buf()))
        .unwrap_or_else(|| std::path::PathBuf::from("target"))
}
