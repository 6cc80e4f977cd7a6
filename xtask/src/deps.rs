//! System prerequisites: the Debian packages zcx needs (one list, [`PACKAGES`], plus
//! qemu-system-x86 for the DRI3 guest, chosen in `qemu`) and the rustfmt/clippy components.
//! Installs what is missing when root, explains how otherwise.

mod qemu;

use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::cmd::{cargo, run_step, target_dir};

/// Every Debian package the project needs at build, test or demo time. Add to this list.
pub const PACKAGES: &[&str] = &[
    "xvfb",
    "x11-utils",
    "x11-xserver-utils",
    "x11-apps",
    "picom",
    "xcompmgr",
    "xterm",
    "xdotool",
    "mesa-utils",
    "libegl1",
    "libegl-mesa0",
    "libgl1",
    "libglx-mesa0",
    "libgl1-mesa-dri",
    "libxcb1",
    // The DRI3 guest (qemu-system-x86 comes through `qemu`): its image is built with
    // mmdebstrap and `mkfs.ext4 -d`.
    "mmdebstrap",
    "e2fsprogs",
];

/// Makes sure the packages and Rust components are present (installing them when root).
pub fn ensure() -> Result<()> {
    ensure_packages()?;
    ensure_rust_components()
}

fn ensure_packages() -> Result<()> {
    ensure_listed_packages()?;
    ensure_qemu()
}

fn ensure_qemu() -> Result<()> {
    if !zcx_testkit::have_tool("dpkg-query") || is_installed(qemu::QEMU_PACKAGE)? {
        return Ok(());
    }
    if !nix::unistd::geteuid().is_root() {
        eprintln!(
            "warning: {} is not installed, so DRI3 tests will be skipped; `sudo cargo xtask \
             deps` installs it (from bookworm-backports where qemu-utils came from there)",
            qemu::QEMU_PACKAGE
        );
        return Ok(());
    }
    qemu::install(&target_dir().join("zcx-vm").join("apt-backports"))
}

fn ensure_listed_packages() -> Result<()> {
    if !zcx_testkit::have_tool("dpkg-query") {
        eprintln!(
            "warning: dpkg-query not found (not a Debian system?); make sure the equivalents \
             of these Debian packages are installed: {}",
            PACKAGES.join(" ")
        );
        return Ok(());
    }
    let missing = missing_packages()?;
    if missing.is_empty() {
        eprintln!("==> deps: all {} Debian packages installed", PACKAGES.len());
        return Ok(());
    }
    let list = missing.join(" ");
    if !nix::unistd::geteuid().is_root() {
        let sudo = format!(
            "sudo apt-get update && sudo apt-get install -y --no-install-recommends {list}"
        );
        eprintln!("missing Debian packages: {list}\ninstall them with:\n  {sudo}");
        bail!("missing Debian packages ({list}); run `{sudo}` and try again");
    }
    eprintln!("==> installing missing Debian packages: {list}");
    run_step("apt-get update", Command::new("apt-get").arg("update"))?;
    run_step(
        "apt-get install",
        Command::new("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["install", "-y", "--no-install-recommends"])
            .args(&missing),
    )?;
    let still = missing_packages()?;
    if !still.is_empty() {
        bail!(
            "packages still missing after apt-get install: {}",
            still.join(" ")
        );
    }
    Ok(())
}

/// The packages from [`PACKAGES`] that dpkg does not report as installed.
fn missing_packages() -> Result<Vec<&'static str>> {
    let mut missing = Vec::new();
    for &pkg in PACKAGES {
        if !is_installed(pkg)? {
            missing.push(pkg);
        }
    }
    Ok(missing)
}

/// Whether dpkg reports `pkg` as installed.
fn is_installed(pkg: &str) -> Result<bool> {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", pkg])
        .output()
        .context("running dpkg-query")?;
    Ok(is_installed_status(
        out.status.success(),
        &String::from_utf8_lossy(&out.stdout),
    ))
}

/// Interprets `dpkg-query -W -f='${Status}'`: only "install ok installed" counts.
fn is_installed_status(success: bool, status: &str) -> bool {
    success && status.trim() == "install ok installed"
}

fn ensure_rust_components() -> Result<()> {
    let has = |sub: &str| {
        Command::new(cargo())
            .args([sub, "--version"])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    if has("fmt") && has("clippy") {
        return Ok(());
    }
    if !zcx_testkit::have_tool("rustup") {
        bail!("cargo fmt or cargo clippy is missing and rustup is not installed; install the rustfmt and clippy components");
    }
    run_step(
        "rustup component add",
        Command::new("rustup").args(["component", "add", "rustfmt", "clippy"]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_fully_installed_counts() {
        assert!(is_installed_status(true, "install ok installed"));
        assert!(!is_installed_status(true, "deinstall ok config-files"));
        assert!(!is_installed_status(false, ""));
    }

    #[test]
    fn package_list_has_no_duplicates() {
        let mut v = PACKAGES.to_vec();
        v.sort_unstable();
        v.dedup();
        assert_eq!(v.len(), PACKAGES.len());
    }
}
