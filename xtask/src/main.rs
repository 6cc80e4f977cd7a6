//! `cargo xtask`: the project's front door. Owns the command line and the order of steps:
//! `deps` (system packages), `test` (fmt, clippy, tests), `demo` and `bench` (producer runs
//! compared in one table). Child processes are reaped on every exit path: Ctrl-C sets a
//! flag that the runner polls, and the Xvfb fixture is stopped by its `Drop`.

mod bench;
mod cmd;
mod deps;
mod runner;
mod summary;
mod table;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use crate::cmd::{cargo_step, target_dir};
use crate::runner::{RunSpec, Session, MODES};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "zcx development tasks"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Check (and, as root, install) the Debian packages and Rust components zcx needs.
    Deps,
    /// deps, then cargo fmt --check, clippy -D warnings, and cargo test --workspace.
    Test,
    /// Run every transfer mode once and print a comparison table.
    Demo {
        /// Measured frames per mode.
        #[arg(long, default_value_t = 150)]
        frames: u32,
        /// Warm-up frames per mode (reported apart).
        #[arg(long, default_value_t = 30)]
        warmup: u32,
    },
    /// Repeated interleaved runs of every mode; medians, ratios, raw JSON kept.
    Bench {
        /// Rounds over all modes.
        #[arg(long, default_value_t = 3)]
        reps: u32,
        /// Measured frames per run.
        #[arg(long, default_value_t = 600)]
        frames: u32,
        /// Warm-up frames per run.
        #[arg(long, default_value_t = 60)]
        warmup: u32,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let interrupted = Arc::new(AtomicBool::new(false));
    for signal in [
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ] {
        signal_hook::flag::register(signal, Arc::clone(&interrupted))
            .context("installing the signal handler")?;
    }
    match cli.command {
        Cmd::Deps => deps::ensure(),
        Cmd::Test => test(),
        Cmd::Demo { frames, warmup } => demo(interrupted, RunSpec { frames, warmup }),
        Cmd::Bench {
            reps,
            frames,
            warmup,
        } => {
            deps::ensure()?;
            let session = Session::start(interrupted)?;
            bench::run(&session, RunSpec { frames, warmup }, reps.max(1))
        }
    }
}

/// `cargo test` runs last so that its summary is the last thing printed.
fn test() -> Result<()> {
    deps::ensure()?;
    cargo_step("cargo fmt --check", &["fmt", "--all", "--", "--check"])?;
    cargo_step(
        "cargo clippy",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    cargo_step("cargo test", &["test", "--workspace"])
}

fn demo(interrupted: Arc<AtomicBool>, spec: RunSpec) -> Result<()> {
    deps::ensure()?;
    let session = Session::start(interrupted)?;
    let out_dir = target_dir().join("zcx-demo");
    std::fs::create_dir_all(&out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let rows = MODES
        .iter()
        .map(|mode| session.run_mode(mode, spec, &out_dir, ""))
        .collect::<Result<Vec<_>>>()?;
    println!(
        "\n{} frames (+{} warm-up) per mode on {}",
        spec.frames,
        spec.warmup,
        session.display()
    );
    print!("{}", table::render(&rows));
    println!("JSON and logs: {}", out_dir.display());
    Ok(())
}
