//! Errors of the DRI3 guest: building its image and running a command in it.

use std::path::PathBuf;

/// Why the guest image could not be built or a command could not be run in the guest.
#[derive(Debug, thiserror::Error)]
pub enum VmError {
    /// A host tool the guest needs is not on `PATH`.
    #[error("{tool} is not installed (not found on PATH); run `cargo xtask deps` as root, which installs it")]
    ToolMissing {
        /// The missing executable.
        tool: &'static str,
    },
    /// Building the image needs root (mmdebstrap's root mode, `mkfs.ext4 -d` keeping owners).
    #[error(
        "no guest image at {dir:?}, and building it needs root: run `sudo cargo xtask vm image`"
    )]
    NeedsRoot {
        /// Where the image would be.
        dir: PathBuf,
    },
    /// A file-system operation on the host failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A build step (mmdebstrap, mkfs.ext4) failed.
    #[error("building the guest image: {step} failed ({status}); {log:?} ends with:\n{log_tail}")]
    Build {
        /// The step that failed.
        step: &'static str,
        /// How it ended.
        status: String,
        /// Its full log.
        log: PathBuf,
        /// The last lines of its log.
        log_tail: String,
    },
    /// A leftover build tree still has file systems mounted under it (an interrupted build).
    #[error("{dir:?} still has mounts under it (an interrupted mmdebstrap?); unmount them first")]
    MountedLeftover {
        /// The leftover build tree.
        dir: PathBuf,
    },
    /// The guest did not power off in time.
    #[error("the guest did not finish within {timeout_s} s (qemu killed); console ends with:\n{console_tail}")]
    Timeout {
        /// The deadline in seconds.
        timeout_s: u64,
        /// The last lines of the serial console.
        console_tail: String,
    },
    /// The guest's init could not set up the X server (or the shares).
    #[error("the guest's init failed: {message}; Xorg log ends with:\n{xorg_tail}\nconsole ends with:\n{console_tail}")]
    GuestSetup {
        /// What the init reported.
        message: String,
        /// The last lines of Xorg's log (if it got that far).
        xorg_tail: String,
        /// The last lines of the serial console.
        console_tail: String,
    },
    /// qemu exited without the guest writing the command's exit status.
    #[error("qemu exited ({status}) without the guest reporting an exit status; console ends with:\n{console_tail}")]
    NoStatus {
        /// How qemu ended.
        status: String,
        /// The last lines of the serial console.
        console_tail: String,
    },
}

impl VmError {
    /// An [`VmError::Io`] naming what was being done.
    pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> VmError {
        let what = what.into();
        move |source| VmError::Io { what, source }
    }
}
