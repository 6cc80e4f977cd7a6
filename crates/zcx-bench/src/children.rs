//! Child processes the front end starts (Xvfb, compositors, producers, peers): each runs in
//! its own process group and has one owner, [`ChildGuard`], whose Drop sends SIGTERM to the
//! group, waits up to a grace period, then SIGKILLs the group and reaps the child, on every
//! exit path (errors, panics and Ctrl-C included, since the main loop turns signals into a
//! flag and unwinds normally). A child also gets SIGKILL from the kernel when `zcx` itself dies
//! without unwinding (SIGKILL, a crash): PR_SET_PDEATHSIG, which follows the *thread* that
//! spawned it, so guards are made and dropped on one thread. Also finds the sibling binaries
//! next to `zcx`.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ChildError {
    #[error("starting {name}: {source}")]
    Spawn {
        name: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{name} not found next to {} (build it: cargo build -p {package})", dir.display())]
    NoSibling {
        name: String,
        package: String,
        dir: PathBuf,
    },
    #[error("cannot tell where the zcx binary is: {0}")]
    CurrentExe(#[source] std::io::Error),
}

/// A running child in its own process group; stopped and reaped on drop.
#[derive(Debug)]
pub struct ChildGuard {
    name: String,
    child: Child,
    grace: Duration,
    exited: Option<ExitStatus>,
}

impl ChildGuard {
    /// Spawns `cmd` as the leader of a new process group, to be killed if this thread dies.
    pub fn spawn(name: &str, mut cmd: Command) -> Result<ChildGuard, ChildError> {
        cmd.process_group(0);
        let parent = nix::unistd::getpid();
        // SAFETY: runs in the forked child before exec; prctl(2) and getppid(2) are
        // async-signal-safe system calls, and the error path allocates nothing (an io::Error
        // from an errno). If the parent died before prctl took effect, getppid no longer
        // names it and the child gives up instead of outliving it.
        unsafe {
            cmd.pre_exec(move || {
                nix::sys::prctl::set_pdeathsig(Signal::SIGKILL)?;
                if nix::unistd::getppid() != parent {
                    return Err(nix::errno::Errno::ESRCH.into());
                }
                Ok(())
            });
        }
        log::debug!("starting {name}: {cmd:?}");
        let child = cmd.spawn().map_err(|source| ChildError::Spawn {
            name: name.to_owned(),
            source,
        })?;
        Ok(ChildGuard {
            name: name.to_owned(),
            child,
            grace: Duration::from_secs(3),
            exited: None,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The exit status if the child has exited (reaping it).
    pub fn try_exited(&mut self) -> Option<ExitStatus> {
        if self.exited.is_none() {
            self.exited = self.child.try_wait().ok().flatten();
        }
        self.exited
    }

    /// Waits up to `timeout` for the child to exit by itself.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(s) = self.try_exited() {
                return Some(s);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// SIGTERM to the group, then SIGKILL after the grace period; returns the exit status.
    pub fn stop(&mut self) -> Option<ExitStatus> {
        let group = Pid::from_raw(self.child.id() as i32);
        if self.try_exited().is_none() {
            let _ = killpg(group, Signal::SIGTERM);
            if self.wait_timeout(self.grace).is_none() {
                log::warn!("{} did not stop on SIGTERM; killing it", self.name);
                let _ = killpg(group, Signal::SIGKILL);
                self.exited = self.child.wait().ok();
            }
        }
        // Whatever else is left in the group (grandchildren) goes too.
        let _ = killpg(group, Signal::SIGKILL);
        self.exited
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let status = self.stop();
        log::debug!("{} stopped: {status:?}", self.name);
    }
}

/// The binary `name` (of workspace package `package`) next to the running executable, or next
/// to its parent directory when the running executable is a test in `target/<profile>/deps`.
pub fn sibling_binary(name: &str, package: &str) -> Result<PathBuf, ChildError> {
    let exe = std::env::current_exe().map_err(ChildError::CurrentExe)?;
    let dir = exe.parent().unwrap_or(Path::new(".")).to_path_buf();
    let candidates = [dir.join(name), dir.parent().unwrap_or(&dir).join(name)];
    candidates
        .into_iter()
        .find(|p| p.is_file())
        .ok_or(ChildError::NoSibling {
            name: name.to_owned(),
            package: package.to_owned(),
            dir,
        })
}
