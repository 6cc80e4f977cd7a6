//! The DRI3 test server: a qemu guest (Debian bookworm, Xorg modesetting + glamor on
//! virtio-gpu, Mesa llvmpipe) that offers DRI3 1.2 and Present, which Xvfb cannot.
//!
//! Owns the guest image's recipe and cache ([`GuestImage`]), booting it and running one
//! command inside ([`Dri3Vm`], [`VmRun`]), and the test-side rule ([`dri3_vm_or_skip`]):
//! print `skipped: <reason>` where the guest cannot run, except under `CI=true`, where that
//! is a failure.

mod error;
mod image;
mod machine;

use std::path::Path;

pub use error::VmError;
pub use image::{GuestImage, PACKAGES};
pub use machine::{Dri3Vm, VmRun};

use crate::util::{in_ci, skipped};

/// A guest machine sharing `bin_dir` (a cargo profile folder such as `target/debug`; its
/// parent is the target dir holding the image cache), building the image if it is missing.
///
/// Where that is impossible (no qemu, not root, no network) it prints `skipped: <reason>` and
/// returns `None`, unless the environment has `CI=true`: then it panics with the reason.
pub fn dri3_vm_or_skip(bin_dir: &Path) -> Option<Dri3Vm> {
    match dri3_vm(bin_dir) {
        Ok(vm) => Some(vm),
        Err(e) => {
            let reason = format!("the DRI3 guest cannot run here: {e}");
            if in_ci() {
                panic!("{reason} (CI=true: DRI3 tests must run)");
            }
            skipped(&reason);
            None
        }
    }
}

fn dri3_vm(bin_dir: &Path) -> Result<Dri3Vm, VmError> {
    if crate::util::find_on_path("qemu-system-x86_64").is_none() {
        return Err(VmError::ToolMissing {
            tool: "qemu-system-x86_64",
        });
    }
    let target_dir = bin_dir.parent().unwrap_or(bin_dir);
    let image = GuestImage::ensure(target_dir)?;
    Dri3Vm::new(image, bin_dir)
}
