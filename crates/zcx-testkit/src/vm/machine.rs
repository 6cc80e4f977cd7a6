//! `Dri3Vm`: boots the guest image under qemu (TCG, never /dev/kvm), shares the zcx
//! binaries (read-only, tag `bin`) and a fresh work folder (tag `host`) over 9p, runs one
//! command there with `DISPLAY` set to the guest's Xorg, and returns its exit status, output
//! and files. qemu is killed and reaped on every path (deadline, error, drop).

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::error::VmError;
use super::image::GuestImage;
use crate::util::{file_tail, find_on_path, poll_until_or_none};

/// What a boot may take on top of the command's own time: kernel, virtio-gpu, Xorg start and
/// power-off under TCG on a loaded 2-core host (about 15 s when the host is idle).
const BOOT_ALLOWANCE: Duration = Duration::from_secs(120);
/// How many log lines errors quote.
const TAIL_LINES: usize = 25;

/// The guest machine: an image, qemu, and the folder of zcx binaries to share.
#[derive(Debug, Clone)]
pub struct Dri3Vm {
    qemu: PathBuf,
    image: GuestImage,
    bin_dir: PathBuf,
}

/// One finished run in the guest. Its work folder is removed on drop.
#[derive(Debug)]
pub struct VmRun {
    /// The command's exit status in the guest.
    pub status: i32,
    /// Its stdout and stderr, interleaved.
    pub output: String,
    /// How long the whole boot-run-power-off cycle took.
    pub wall: Duration,
    share: ShareDir,
}

impl VmRun {
    /// The command's working directory (files it wrote are here).
    pub fn work_dir(&self) -> PathBuf {
        self.share.path.join("share").join("work")
    }

    /// The guest Xorg's log.
    pub fn xorg_log(&self) -> String {
        std::fs::read_to_string(self.share.path.join("share").join("Xorg.log")).unwrap_or_default()
    }
}

impl Dri3Vm {
    /// A machine booting `image` and sharing `bin_dir` (put first on the guest's PATH).
    pub fn new(image: GuestImage, bin_dir: &Path) -> Result<Dri3Vm, VmError> {
        let qemu = find_on_path("qemu-system-x86_64").ok_or(VmError::ToolMissing {
            tool: "qemu-system-x86_64",
        })?;
        Ok(Dri3Vm {
            qemu,
            image,
            bin_dir: bin_dir.to_path_buf(),
        })
    }

    /// Boots the guest, runs `argv` in its work folder with the zcx binaries on PATH and
    /// `DISPLAY` set to its Xorg, and powers off. `timeout` is for the command; booting gets
    /// [`BOOT_ALLOWANCE`] on top. A non-zero exit of the command is not an error.
    pub fn run(&self, argv: &[&str], timeout: Duration) -> Result<VmRun, VmError> {
        let started = Instant::now();
        let share = ShareDir::create()?;
        let guest = share.path.join("share");
        std::fs::create_dir_all(guest.join("work"))
            .map_err(VmError::io(format!("creating {guest:?}")))?;
        std::fs::write(guest.join("run.sh"), run_script(argv))
            .map_err(VmError::io("writing run.sh"))?;
        let console = share.path.join("console.log");
        let mut qemu = Qemu::spawn(self.command(&guest), &console)?;
        let limit = timeout + BOOT_ALLOWANCE;
        let qemu_status = qemu.wait(limit).ok_or_else(|| VmError::Timeout {
            timeout_s: limit.as_secs(),
            console_tail: file_tail(&console, TAIL_LINES),
        })?;
        if let Ok(message) = std::fs::read_to_string(guest.join("init-error")) {
            return Err(VmError::GuestSetup {
                message: message.trim().to_string(),
                xorg_tail: file_tail(&guest.join("Xorg.log"), TAIL_LINES),
                console_tail: file_tail(&console, TAIL_LINES),
            });
        }
        let status = std::fs::read_to_string(guest.join("status"))
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .ok_or_else(|| VmError::NoStatus {
                status: qemu_status,
                console_tail: file_tail(&console, TAIL_LINES),
            })?;
        let output = std::fs::read_to_string(guest.join("output.log")).unwrap_or_default();
        Ok(VmRun {
            status,
            output,
            wall: started.elapsed(),
            share,
        })
    }

    /// The qemu command line (TCG, q35, virtio disk as a snapshot, two 9p shares, virtio-gpu).
    /// No `-accel kvm`: this machine's /dev/kvm is a nested software hypervisor on which a
    /// stock kernel fails.
    fn command(&self, share: &Path) -> Command {
        let mut cmd = Command::new(&self.qemu);
        cmd.args([
            "-accel", "tcg", "-cpu", GUEST_CPU, "-smp", "2", "-m", "2048",
        ])
        .args([
            "-machine",
            "q35",
            "-nographic",
            "-vga",
            "none",
            "-nic",
            "none",
        ])
        .arg("-no-reboot")
        .arg("-kernel")
        .arg(self.image.kernel())
        .arg("-initrd")
        .arg(self.image.initrd())
        .args(["-append", KERNEL_CMDLINE])
        .arg("-drive")
        .arg(format!(
            "file={},if=virtio,format=raw,snapshot=on",
            self.image.root().display()
        ))
        .arg("-virtfs")
        .arg(format!(
            "local,path={},mount_tag=host,security_model=none",
            share.display()
        ))
        .arg("-virtfs")
        .arg(format!(
            "local,path={},mount_tag=bin,security_model=none,readonly=on",
            self.bin_dir.display()
        ))
        .args(["-device", "virtio-gpu-pci"]);
        cmd
    }
}

/// TCG's `max` CPU, but reporting Intel: on an AMD host qemu 10 reports AuthenticAMD family 6,
/// which LLVM 15 takes for a 32-bit Athlon, and llvmpipe (so Xorg's glamor) aborts with
/// "64-bit code requested on a subtarget that doesn't support it".
const GUEST_CPU: &str = "max,vendor=GenuineIntel";

/// `panic=-1` with `-no-reboot`: a guest kernel panic ends qemu at once.
const KERNEL_CMDLINE: &str =
    "console=ttyS0 root=/dev/vda rw init=/sbin/zcx-init panic=-1 loglevel=4";

/// The script the guest's init runs: `argv`, each word single-quoted.
fn run_script(argv: &[&str]) -> String {
    let words: Vec<String> = argv.iter().map(|a| shell_quote(a)).collect();
    format!("exec {}\n", words.join(" "))
}

/// `'word'`, with embedded single quotes as `'\''`.
fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// A running qemu; SIGKILLed and reaped on drop, and by the kernel if we die first.
struct Qemu {
    child: Child,
}

impl Qemu {
    fn spawn(mut cmd: Command, console: &Path) -> Result<Qemu, VmError> {
        let out = File::create(console).map_err(VmError::io(format!("creating {console:?}")))?;
        let err = out
            .try_clone()
            .map_err(VmError::io("duplicating the console log"))?;
        let parent = nix::unistd::getpid();
        // SAFETY: the closure runs in the forked child before exec and only calls prctl(2) and
        // getppid(2), which are async-signal-safe; the error path allocates nothing. It makes
        // the kernel SIGKILL qemu when the thread that started it dies (a killed test or
        // xtask: the one path on which our Drop cannot run); if the parent died before prctl
        // took effect, getppid no longer names it and qemu is not started.
        unsafe {
            cmd.pre_exec(move || {
                nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)?;
                if nix::unistd::getppid() != parent {
                    return Err(nix::errno::Errno::ESRCH.into());
                }
                Ok(())
            });
        }
        log::debug!("starting qemu: {cmd:?}");
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(VmError::io("starting qemu-system-x86_64"))?;
        Ok(Qemu { child })
    }

    /// Waits for qemu to exit (the guest powers off); `None` when `limit` passes first.
    fn wait(&mut self, limit: Duration) -> Option<String> {
        let child = &mut self.child;
        poll_until_or_none(limit, || match child.try_wait() {
            Ok(Some(status)) => Some(status.to_string()),
            Ok(None) => None,
            Err(e) => Some(format!("waiting failed: {e}")),
        })
    }
}

impl Drop for Qemu {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A fresh folder in the temp dir (`console.log`, and `share/` given to the guest); removed
/// on drop.
#[derive(Debug)]
struct ShareDir {
    path: PathBuf,
}

impl ShareDir {
    fn create() -> Result<ShareDir, VmError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = std::env::temp_dir().join(format!("zcx-vm-{}-{n}", std::process::id()));
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(ShareDir { path }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(VmError::io(format!("creating {path:?}"))(e)),
            }
        }
    }
}

impl Drop for ShareDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_script_quotes_every_word() {
        assert_eq!(
            run_script(&["zcx", "probe", "it's here", "$HOME"]),
            "exec 'zcx' 'probe' 'it'\\''s here' '$HOME'\n"
        );
    }
}
