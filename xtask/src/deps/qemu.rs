//! qemu-system-x86 for the DRI3 guest, installed so that it matches the machine's qemu-utils.
//!
//! Debian bookworm's qemu-system-x86 (7.2) breaks a qemu-utils from bookworm-backports
//! (10.x: `Breaks: qemu-system-common (<< 1:8.0)`), so apt would remove the newer qemu-utils.
//! Where qemu-utils came from backports, qemu-system-x86 is installed from the same suite,
//! through a private apt configuration under the target dir (the system's sources stay as
//! they are); otherwise from the system's sources.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};

use crate::cmd::run_step;

/// The Debian package that provides `qemu-system-x86_64`.
pub const QEMU_PACKAGE: &str = "qemu-system-x86";

/// Installs [`QEMU_PACKAGE`] (root only), from backports when qemu-utils is a backport.
pub fn install(apt_dir: &Path) -> Result<()> {
    let utils = installed_version("qemu-utils");
    if !utils.as_deref().is_some_and(is_bookworm_backport) {
        return run_step(
            "apt-get install qemu-system-x86",
            apt_install(&mut Command::new("apt-get")),
        );
    }
    eprintln!(
        "==> qemu-utils {} is a bookworm backport: installing {QEMU_PACKAGE} from \
         bookworm-backports too (a private apt configuration in {apt_dir:?})",
        utils.unwrap_or_default()
    );
    let lists = apt_dir.join("lists");
    std::fs::create_dir_all(lists.join("partial"))
        .with_context(|| format!("creating {lists:?}"))?;
    let sources = apt_dir.join("sources.list");
    std::fs::write(&sources, BACKPORTS_SOURCES).with_context(|| format!("writing {sources:?}"))?;
    let private = |cmd: &mut Command| {
        cmd.arg("-o")
            .arg(format!("Dir::Etc::sourcelist={}", sources.display()))
            .args(["-o", "Dir::Etc::sourceparts=-", "-o"])
            .arg(format!("Dir::State::lists={}", lists.display()));
    };
    let mut update = Command::new("apt-get");
    private(&mut update);
    run_step(
        "apt-get update (with bookworm-backports)",
        update.arg("update"),
    )?;
    let mut install = Command::new("apt-get");
    private(&mut install);
    install.args(["-t", "bookworm-backports"]);
    run_step(
        "apt-get install -t bookworm-backports qemu-system-x86",
        apt_install(&mut install),
    )
}

const BACKPORTS_SOURCES: &str = "\
deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
deb http://deb.debian.org/debian bookworm-backports main
";

fn apt_install(cmd: &mut Command) -> &mut Command {
    cmd.env("DEBIAN_FRONTEND", "noninteractive").args([
        "install",
        "-y",
        "--no-install-recommends",
        QEMU_PACKAGE,
    ])
}

/// The installed version of `package`, if dpkg has it installed.
fn installed_version(package: &str) -> Option<String> {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f=${Status} ${Version}", package])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text.strip_prefix("install ok installed ")?;
    (out.status.success() && !version.is_empty()).then(|| version.trim().to_string())
}

/// Whether a Debian version string is a bookworm backport (`~bpo12+N`).
fn is_bookworm_backport(version: &str) -> bool {
    version.contains("~bpo12")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_bookworm_backports() {
        assert!(is_bookworm_backport("1:10.0.2+ds-2+deb13u1~bpo12+1"));
        assert!(!is_bookworm_backport("1:7.2+dfsg-7+deb12u18+b3"));
    }
}
