//! `cargo xtask`: the project's front door. Owns the command line and the order of steps:
//! `deps` (system packages), `test` (fmt, the import check, the DRI3 guest image, clippy, tests,
//! the skips, doc-tests), `demo` (release build, then `zcx demo`), `bench` (producer runs
//! compared in one table), `vm` (the DRI3 test server). Child processes are reaped on every exit path: Ctrl-C
//! sets a flag that the runner polls, and the Xvfb fixture is stopped by its `Drop`.

mod bench;
mod cmd;
mod deps;
mod imports;
mod runner;
mod skips;
mod summary;
mod table;
mod vm;

use std::process::Command;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use crate::cmd::{cargo_step, target_dir};
use crate::runner::{RunSpec, Session};

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
    /// deps, then cargo fmt --check, the import check (no module import circles), the DRI3
    /// guest image, clippy -D warnings, cargo test --workspace (unit and integration tests,
    /// the skips they logged, then the doc-tests).
    Test,
    /// Build in release mode and run `zcx demo`: each path measured alone under
    /// zcx-compositor, then side by side: report, screenshot and comparison table.
    Demo {
        /// Seconds each path is observed alone (`zcx demo --duration`).
        #[arg(long, default_value_t = 20.0)]
        duration: f64,
        /// Report directory (default: target/zcx-report/<timestamp>).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        /// Run without a compositor.
        #[arg(long)]
        no_compositor: bool,
        /// Run it inside the DRI3 test server (the guest), with a dri3 row beside put-image
        /// and shm-pixmap; its report says that timings under an emulated CPU are not speed.
        #[arg(long, conflicts_with = "no_compositor")]
        guest: bool,
        /// Frame size with --guest (the guest's screen is 1280x800).
        #[arg(long, default_value = "1280x720", requires = "guest")]
        size: String,
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
    /// The DRI3 test server: a qemu guest running Xorg with glamor (DRI3 1.2, Present).
    Vm {
        #[command(subcommand)]
        command: vm::VmCmd,
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
        Cmd::Demo {
            duration,
            out,
            guest: true,
            size,
            ..
        } => vm::demo_in_guest(duration, &size, out).map(|_| ()),
        Cmd::Demo {
            duration,
            out,
            no_compositor,
            ..
        } => demo(duration, out, no_compositor),
        Cmd::Bench {
            reps,
            frames,
            warmup,
        } => {
            deps::ensure()?;
            let session = Session::start(interrupted)?;
            bench::run(&session, RunSpec { frames, warmup }, reps.max(1))
        }
        Cmd::Vm { command } => vm::main(command),
    }
}

/// The tests run in two cargo invocations: unit and integration tests, then the skip list
/// (every `skipped:` they logged), then the doc-tests, so that the output still ends with
/// cargo test's summary lines.
fn test() -> Result<()> {
    deps::ensure()?;
    cargo_step("cargo fmt --check", &["fmt", "--all", "--", "--check"])?;
    imports::check(&cmd::workspace_root()).context("the import check")?;
    guest_image()?;
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
    let skip_log = skips::log_path(&target_dir());
    skips::clear(&skip_log)?;
    let tests = cmd::run_step(
        "cargo test (unit and integration tests)",
        Command::new(cmd::cargo())
            .args(["test", "--workspace", "--lib", "--bins", "--tests"])
            .env(zcx_testkit::SKIP_LOG_ENV, &skip_log)
            .current_dir(cmd::workspace_root()),
    );
    skips::print(&skip_log)?;
    tests?;
    cargo_step("cargo test (doc-tests)", &["test", "--workspace", "--doc"])
}

/// Builds the DRI3 guest image before the tests that boot it. Without it those tests skip,
/// which is only allowed outside CI.
fn guest_image() -> Result<()> {
    match vm::ensure_image() {
        Ok(_) => Ok(()),
        Err(e) if zcx_testkit::in_ci() => Err(e),
        Err(e) => {
            eprintln!("warning: {e:#}; the DRI3 tests will print `skipped:`");
            Ok(())
        }
    }
}

fn demo(duration: f64, out: Option<std::path::PathBuf>, no_compositor: bool) -> Result<()> {
    deps::ensure()?;
    vm::build_binaries(true)?;
    let mut cmd = std::process::Command::new(target_dir().join("release").join("zcx"));
    cmd.args(["demo", "--duration", &duration.to_string()]);
    if let Some(out) = out {
        cmd.arg("--out").arg(out);
    }
    if no_compositor {
        cmd.arg("--no-compositor");
    }
    // zcx demo reaps its own children on Ctrl-C (it gets the signal too) and still reports.
    cmd::run_step("zcx demo", &mut cmd)
}
