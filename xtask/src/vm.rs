//! `cargo xtask vm image|run`: the DRI3 test server for people and scripts. `image` builds
//! (or finds) the guest image; `run` also builds the zcx binaries, boots the guest, runs a
//! command there with the binaries on PATH and DISPLAY set to the guest's Xorg, prints its
//! output and exits with its status.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Subcommand;
use zcx_testkit::vm::{Dri3Vm, GuestImage};

use crate::cmd::{cargo_step, target_dir};

#[derive(Subcommand)]
pub enum VmCmd {
    /// Build the guest image if its recipe changed (needs root, mmdebstrap, network).
    Image,
    /// Boot the guest and run CMD [ARGS…] there (zcx binaries on PATH, DISPLAY set).
    Run {
        /// Share release binaries (built with --release) instead of debug ones.
        #[arg(long)]
        release: bool,
        /// Seconds the command may run (booting gets two minutes on top).
        #[arg(long, default_value_t = 600)]
        timeout: u64,
        /// The command and its arguments.
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        command: Vec<String>,
    },
}

/// Runs a `vm` subcommand; `run` exits the process with the guest command's status.
pub fn main(cmd: VmCmd) -> Result<()> {
    match cmd {
        VmCmd::Image => ensure_image().map(|_| ()),
        VmCmd::Run {
            release,
            timeout,
            command,
        } => {
            let status = run(release, Duration::from_secs(timeout), &command)?;
            std::process::exit(status)
        }
    }
}

/// The guest image for the current recipe, built when missing; says where it is.
pub fn ensure_image() -> Result<GuestImage> {
    let started = Instant::now();
    let image = GuestImage::ensure(&target_dir()).context("the DRI3 guest image")?;
    eprintln!(
        "==> guest image ready ({:.1} s): {:?}",
        started.elapsed().as_secs_f64(),
        image.root()
    );
    Ok(image)
}

fn run(release: bool, timeout: Duration, command: &[String]) -> Result<i32> {
    let profile = if release { "release" } else { "debug" };
    let mut args = vec!["build", "-p", "zcx-bench", "-p", "zcx-producer"];
    args.extend(["-p", "zcx-compositor"]);
    if release {
        args.push("--release");
    }
    cargo_step(&format!("cargo build ({profile} zcx binaries)"), &args)?;
    let image = ensure_image()?;
    let vm = Dri3Vm::new(image, &target_dir().join(profile))?;
    eprintln!("==> booting the guest and running {command:?}");
    let argv: Vec<&str> = command.iter().map(String::as_str).collect();
    let run = vm.run(&argv, timeout)?;
    print!("{}", run.output);
    eprintln!(
        "==> guest command exited with {} ({:.1} s boot to power-off)",
        run.status,
        run.wall.as_secs_f64()
    );
    Ok(run.status)
}
