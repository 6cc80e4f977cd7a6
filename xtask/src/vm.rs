//! `cargo xtask vm image|run`: the DRI3 test server for people and scripts. `image` builds
//! (or finds) the guest image; `run` also builds the zcx binaries, boots the guest, runs a
//! command there with the binaries on PATH and DISPLAY set to the guest's Xorg, prints its
//! output and exits with its status. `demo_in_guest` is `cargo xtask demo --guest`: `zcx demo`
//! run inside the guest, its report copied back.

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
    let profile = build_binaries(release)?;
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

/// `zcx demo` inside the guest (release binaries) with `size` frames, each row observed for
/// `duration` seconds; the report comes back to `out` (default:
/// `target/zcx-report/guest-<unix seconds>`).
/// Builds zcx, zcx-producer and zcx-compositor (release or debug); returns the profile name.
pub fn build_binaries(release: bool) -> Result<&'static str> {
    let profile = if release { "release" } else { "debug" };
    let mut args = vec!["build", "-p", "zcx-bench", "-p", "zcx-producer"];
    args.extend(["-p", "zcx-compositor"]);
    if release {
        args.push("--release");
    }
    cargo_step(&format!("cargo build ({profile} zcx binaries)"), &args)?;
    Ok(profile)
}

pub fn demo_in_guest(
    duration: f64,
    size: &str,
    out: Option<std::path::PathBuf>,
) -> Result<std::path::PathBuf> {
    build_binaries(true)?;
    let image = ensure_image()?;
    let vm = Dri3Vm::new(image, &target_dir().join("release"))?;
    let duration = duration.to_string();
    let argv = [
        "zcx",
        "demo",
        "--display",
        ":0",
        "--size",
        size,
        "--duration",
        &duration,
        "--emulated-cpu",
        "--out",
        "report",
    ];
    eprintln!("==> booting the guest and running {argv:?}");
    let run = vm.run(&argv, Duration::from_secs(1800))?;
    print!("{}", run.output);
    anyhow::ensure!(
        run.status == 0,
        "zcx demo in the guest exited with {}",
        run.status
    );
    let out = out.unwrap_or_else(|| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        target_dir().join("zcx-report").join(format!("guest-{now}"))
    });
    copy_dir(&run.work_dir().join("report"), &out)?;
    eprintln!("==> report: {}", out.display());
    Ok(out)
}

/// Copies the files of `from` (one level of folders deep is all a report has) into `to`.
fn copy_dir(from: &std::path::Path, to: &std::path::Path) -> Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let dest = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &dest)?;
        } else {
            std::fs::copy(entry.path(), &dest)
                .with_context(|| format!("copying {}", entry.path().display()))?;
        }
    }
    Ok(())
}
