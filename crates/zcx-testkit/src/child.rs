//! [`ChildGuard`]: the one owner of a child process a test starts (a compositor, a producer,
//! an X client, `zcx`): SIGTERM, a grace period, then SIGKILL, and always reaped, on every
//! exit from the test, failures included.

use std::ops::{Deref, DerefMut};
use std::process::{Child, Command, ExitStatus, Output};
use std::time::Duration;

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::util::{poll_until, poll_until_or_none};

/// How long a child gets to exit after SIGTERM before it is SIGKILLed.
const GRACE: Duration = Duration::from_secs(5);

/// A running child, stopped and reaped on drop. Derefs to the [`Child`] for its id, pipes and
/// `try_wait`.
#[derive(Debug)]
pub struct ChildGuard {
    program: String,
    // `None` only once `output` has taken it.
    child: Option<Child>,
}

impl ChildGuard {
    /// Spawns `cmd`; panics naming the program when it cannot be started.
    pub fn spawn(cmd: &mut Command) -> ChildGuard {
        let program = cmd.get_program().to_string_lossy().into_owned();
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("spawning {program}: {e}"));
        ChildGuard {
            program,
            child: Some(child),
        }
    }

    /// Sends `signal` to the child (unless it has been reaped, when its id may be reused).
    pub fn signal(&mut self, signal: Signal) {
        if let Ok(None) = self.try_wait() {
            let _ = kill(self.pid(), signal);
        }
    }

    /// The child's process id as nix wants it.
    pub fn pid(&self) -> Pid {
        Pid::from_raw(self.id() as i32)
    }

    /// Waits up to `timeout` for the child to exit by itself; panics naming it when it does not.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let what = format!("{} to exit", self.program);
        poll_until(timeout, &what, || self.try_wait().ok().flatten())
    }

    /// SIGTERM, up to [`GRACE`] to exit, then SIGKILL; returns how it ended.
    pub fn stop(&mut self) -> ExitStatus {
        self.signal(Signal::SIGTERM);
        let exited = poll_until_or_none(GRACE, || self.try_wait().ok().flatten());
        match exited {
            Some(status) => status,
            None => {
                let _ = self.kill();
                self.wait()
                    .unwrap_or_else(|e| panic!("reaping {}: {e}", self.program))
            }
        }
    }

    /// Waits up to `timeout` for the child to exit by itself and collects what it wrote to its
    /// piped stdout and stderr.
    pub fn output(mut self, timeout: Duration) -> Output {
        self.wait_exit(timeout);
        let program = self.program.clone();
        let child = self
            .child
            .take()
            .expect("the child is present until output");
        child
            .wait_with_output()
            .unwrap_or_else(|e| panic!("collecting the output of {program}: {e}"))
    }
}

impl Deref for ChildGuard {
    type Target = Child;

    fn deref(&self) -> &Child {
        self.child
            .as_ref()
            .expect("the child is present until output")
    }
}

impl DerefMut for ChildGuard {
    fn deref_mut(&mut self) -> &mut Child {
        self.child
            .as_mut()
            .expect("the child is present until output")
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if self.child.is_some() {
            self.stop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drop_stops_and_reaps_a_running_child() {
        let guard = ChildGuard::spawn(Command::new("sleep").arg("60"));
        let pid = guard.pid();
        drop(guard);
        // Reaped: the id no longer names a process (or a zombie) of ours.
        assert!(kill(pid, None).is_err(), "{pid} is still there");
    }

    #[test]
    fn stop_kills_a_child_that_ignores_sigterm() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "trap '' TERM; echo ready; exec sleep 60"])
            .stdout(std::process::Stdio::piped());
        let mut guard = ChildGuard::spawn(&mut cmd);
        let mut line = String::new();
        let stdout = guard.stdout.take().expect("piped stdout");
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)
            .expect("reading the child's stdout");
        assert_eq!(line, "ready\n");
        let status = guard.stop();
        assert!(!status.success(), "{status}");
    }

    #[test]
    fn output_collects_what_the_child_wrote() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo out; echo err >&2"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let out = ChildGuard::spawn(&mut cmd).output(Duration::from_secs(10));
        assert!(out.status.success());
        assert_eq!(out.stdout, b"out\n");
        assert_eq!(out.stderr, b"err\n");
    }
}
