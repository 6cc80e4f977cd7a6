//! Running child commands as named steps, and where things live (workspace root, target dir).

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context, Result};

/// The cargo that runs us (`$CARGO`), or `cargo` from PATH.
pub fn cargo() -> PathBuf {
    std::env::var_os("CARGO").map_or_else(|| "cargo".into(), PathBuf::from)
}

/// The workspace root (the parent of the xtask crate).
pub fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map_or(manifest.clone(), |p| p.to_path_buf())
}

/// `$CARGO_TARGET_DIR`, or `<root>/target`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                workspace_root().join(dir)
            }
        }
        None => workspace_root().join("target"),
    }
}

/// Runs `cmd` with inherited stdio (output streams through) as the step `step`; a
/// non-zero exit becomes an error naming the step.
pub fn run_step(step: &str, cmd: &mut Command) -> Result<()> {
    eprintln!("==> {step}");
    let status = cmd
        .status()
        .with_context(|| format!("step `{step}`: could not start {:?}", cmd.get_program()))?;
    if !status.success() {
        bail!("step `{step}` failed ({status})");
    }
    Ok(())
}

/// Runs a cargo subcommand in the workspace root as a step.
pub fn cargo_step(step: &str, args: &[&str]) -> Result<()> {
    run_step(
        step,
        Command::new(cargo())
            .args(args)
            .current_dir(workspace_root()),
    )
}
