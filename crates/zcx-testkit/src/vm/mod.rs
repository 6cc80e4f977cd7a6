//! The DRI3 test server: a qemu guest (Debian bookworm, Xorg modesetting + glamor on
//! virtio-gpu, Mesa llvmpipe) that offers DRI3 1.2 and Present, which Xvfb cannot.
//!
//! Owns the guest image's recipe and cache ([`GuestImage`]), booting it and running one
//! command inside ([`Dri3Vm`], [`VmRun`]), and the test-side rule ([`dri3_vm_or_skip`]):
//! print `skipped:` where this machine cannot run the guest, except under `CI=true`, where
//! that is a failure.

mod error;
mod image;
mod machine;

use std::path::Path;

pub use error::VmError;
pub use image::{GuestImage, PACKAGES};
pub use machine::{Dri3Vm, VmRun};

use crate::skip::{skipped, Lacks};

/// A guest machine sharing `bin_dir` (a cargo profile folder such as `target/debug`; its
/// parent is the target dir holding the image cache), building the image if it is missing.
///
/// Where the machine lacks what the guest needs (no qemu; no image and not root; a build that
/// failed, as without network) it prints `skipped: no DRI3 X server: <why>` and returns
/// `None`; under `CI=true` that panics. Any other error (the host's files, leftover mounts)
/// fails the test.
pub fn dri3_vm_or_skip(bin_dir: &Path) -> Option<Dri3Vm> {
    match dri3_vm(bin_dir) {
        Ok(vm) => Some(vm),
        Err(
            e @ (VmError::ToolMissing { .. } | VmError::NeedsRoot { .. } | VmError::Build { .. }),
        ) => {
            skipped(
                Lacks::Dri3Server,
                &format!("the DRI3 guest cannot run here: {e}"),
            );
            None
        }
        Err(e) => panic!("setting up the DRI3 guest failed: {e}"),
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
