//! The Xvfb fixture: one private headless X server per test.
//!
//! Owns the server process from spawn to reap. The display number is read from a
//! `-displayfd` pipe (up to the newline, with a deadline; never a fixed number, never
//! `DISPLAY`). Server stderr goes to a temp log whose tail is quoted in start errors.

use std::fs::File;
use std::io::Read;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use nix::fcntl::{fcntl, FcntlArg, FdFlag, OFlag};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use x11rb::rust_connection::RustConnection;

use crate::error::TestkitError;
use crate::util::{file_tail, find_on_path};

/// How long Xvfb may take to announce its display.
const DISPLAY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long Xvfb may take to exit after SIGTERM before it gets SIGKILL.
const TERM_TIMEOUT: Duration = Duration::from_secs(5);
/// How many log lines start errors quote.
const LOG_TAIL_LINES: usize = 20;

/// A running Xvfb; SIGTERMed (then SIGKILLed) and reaped on drop.
pub struct Xvfb {
    child: Child,
    display: String,
    log_path: PathBuf,
    keep_log: bool,
}

/// Options for [`Xvfb`]: screen size and extra server arguments.
#[derive(Debug, Clone)]
pub struct XvfbBuilder {
    width: u32,
    height: u32,
    depth: u8,
    args: Vec<String>,
}

impl Default for XvfbBuilder {
    fn default() -> Self {
        Self {
            width: 3840,
            height: 2160,
            depth: 24,
            args: Vec::new(),
        }
    }
}

impl XvfbBuilder {
    /// Screen 0 size and depth (default 3840x2160x24).
    pub fn size(mut self, width: u32, height: u32, depth: u8) -> Self {
        self.width = width;
        self.height = height;
        self.depth = depth;
        self
    }

    /// One extra server argument, e.g. `"-extension"`, `"MIT-SHM"`, `"-listen"`, `"tcp"`.
    pub fn arg(mut self, a: impl Into<String>) -> Self {
        self.args.push(a.into());
        self
    }

    /// The full argument list after `-displayfd <fd>`.
    fn server_args(&self) -> Vec<String> {
        let has = |flag: &str| self.args.iter().any(|a| a == flag);
        let has_pair =
            |flag: &str, value: &str| self.args.windows(2).any(|w| w[0] == flag && w[1] == value);
        let mut out = Vec::new();
        if !has("-screen") {
            let screen = format!("{}x{}x{}", self.width, self.height, self.depth);
            out.extend(["-screen".to_string(), "0".to_string(), screen]);
        }
        if !has_pair("-listen", "tcp") && !has_pair("-nolisten", "tcp") {
            out.extend(["-nolisten".to_string(), "tcp".to_string()]);
        }
        if !has("-noreset") && !has("-terminate") {
            out.push("-noreset".to_string());
        }
        out.extend(self.args.iter().cloned());
        out
    }

    /// Starts the server and waits (at most 10 s) until it accepts connections.
    pub fn start(self) -> Result<Xvfb, TestkitError> {
        let exe = find_on_path("Xvfb").ok_or(TestkitError::XvfbNotInstalled)?;
        let (log_path, log_file) = create_log()?;
        let (read_end, write_end) =
            nix::unistd::pipe2(OFlag::O_CLOEXEC).map_err(|e| TestkitError::Setup {
                what: "the -displayfd pipe",
                source: e.into(),
            })?;
        let write_fd = write_end.as_raw_fd();
        let mut cmd = Command::new(exe);
        cmd.arg("-displayfd")
            .arg(write_fd.to_string())
            .args(self.server_args())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log_file));
        // SAFETY: the closure runs in the forked child before exec and only calls fcntl(2),
        // which is async-signal-safe; it allocates nothing and touches no locks. It clears
        // FD_CLOEXEC on the child's own copy of the pipe's write end so that Xvfb inherits
        // it, while every other process (spawned concurrently by other tests) does not.
        unsafe {
            cmd.pre_exec(move || {
                fcntl(write_fd, FcntlArg::F_SETFD(FdFlag::empty()))?;
                Ok(())
            });
        }
        log::debug!("starting Xvfb: {cmd:?}");
        let child = cmd.spawn().map_err(TestkitError::Spawn)?;
        drop(write_end);
        // From here on, every error path drops `xvfb`, which kills and reaps the child.
        let mut xvfb = Xvfb {
            child,
            display: String::new(),
            log_path,
            keep_log: true,
        };
        let number = xvfb.read_display_number(read_end)?;
        xvfb.display = format!(":{number}");
        xvfb.keep_log = false;
        log::debug!("Xvfb pid {} is on {}", xvfb.pid(), xvfb.display);
        Ok(xvfb)
    }
}

/// Creates a fresh, uniquely named log file in the temp dir.
fn create_log() -> Result<(PathBuf, File), TestkitError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("zcx-xvfb-{}-{n}.log", std::process::id()));
        match File::options().write(true).create_new(true).open(&path) {
            Ok(f) => return Ok((path, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(source) => {
                return Err(TestkitError::Setup {
                    what: "the server log file",
                    source,
                })
            }
        }
    }
}

/// The last `LOG_TAIL_LINES` lines of a log file (or why it could not be read).
fn log_tail(path: &Path) -> String {
    file_tail(path, LOG_TAIL_LINES)
}

impl Xvfb {
    /// A builder with the defaults (3840x2160x24).
    pub fn builder() -> XvfbBuilder {
        XvfbBuilder::default()
    }

    /// Starts a server with the defaults.
    pub fn start() -> Result<Xvfb, TestkitError> {
        Self::builder().start()
    }

    /// The display string, e.g. `":7"`.
    pub fn display(&self) -> &str {
        &self.display
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Where the server's stderr goes.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// Connects to this server; panics with a clear message when that fails (test helper).
    pub fn connect(&self) -> (RustConnection, usize) {
        RustConnection::connect(Some(&self.display)).unwrap_or_else(|e| {
            panic!(
                "connecting to Xvfb {} (pid {}) failed: {e}; server log {:?} ends with:\n{}",
                self.display,
                self.pid(),
                self.log_path,
                log_tail(&self.log_path)
            )
        })
    }

    /// Reads the display number line from the `-displayfd` pipe, with a deadline.
    ///
    /// Stops at the first newline rather than at EOF, so a write end that leaked into some
    /// other process cannot make this wait for ever.
    fn read_display_number(&mut self, read_end: OwnedFd) -> Result<u32, TestkitError> {
        let deadline = Instant::now() + DISPLAY_TIMEOUT;
        let mut pipe = File::from(read_end);
        let mut buf = Vec::new();
        loop {
            if let Some(pos) = buf.iter().position(|&b| b == b'\n') {
                let line = String::from_utf8_lossy(&buf[..pos]).trim().to_string();
                return line.parse().map_err(|_| TestkitError::BadDisplay {
                    line,
                    log_path: self.log_path.clone(),
                    log_tail: log_tail(&self.log_path),
                });
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(self.exited_error(status.to_string()));
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(TestkitError::Timeout {
                    timeout_s: DISPLAY_TIMEOUT.as_secs(),
                    log_path: self.log_path.clone(),
                    log_tail: log_tail(&self.log_path),
                });
            }
            if wait_readable(&pipe, deadline - now) {
                let mut chunk = [0u8; 64];
                match pipe.read(&mut chunk) {
                    Ok(0) => {
                        let status = self.wait_briefly();
                        return Err(self.exited_error(status));
                    }
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(self.exited_error(format!("pipe read failed: {e}"))),
                }
            }
        }
    }

    /// After EOF on the pipe: gives the server a moment to exit and says how it ended.
    fn wait_briefly(&mut self) -> String {
        let deadline = Instant::now() + Duration::from_secs(1);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.to_string();
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        "closed the -displayfd pipe without writing a display".to_string()
    }

    fn exited_error(&self, status: String) -> TestkitError {
        TestkitError::Exited {
            status,
            log_path: self.log_path.clone(),
            log_tail: log_tail(&self.log_path),
        }
    }
}

/// Waits up to `min(timeout, 100 ms)` for `pipe` to become readable (or hung up).
fn wait_readable(pipe: &File, timeout: Duration) -> bool {
    let ms = timeout.min(Duration::from_millis(100)).as_millis();
    let ms = u16::try_from(ms).unwrap_or(100);
    let mut fds = [PollFd::new(pipe.as_fd(), PollFlags::POLLIN)];
    matches!(poll(&mut fds, PollTimeout::from(ms)), Ok(n) if n > 0)
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        // Only signal a child that has not been reaped yet, so the pid cannot be reused.
        if let Ok(None) = self.child.try_wait() {
            if let Ok(pid) = i32::try_from(self.child.id()) {
                let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
            }
            let deadline = Instant::now() + TERM_TIMEOUT;
            let mut exited = false;
            while Instant::now() < deadline {
                if !matches!(self.child.try_wait(), Ok(None)) {
                    exited = true;
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            if !exited {
                log::warn!("Xvfb {} ignored SIGTERM; sending SIGKILL", self.display);
                let _ = self.child.kill();
                let _ = self.child.wait();
            }
        }
        if self.keep_log {
            log::info!("Xvfb log kept at {:?}", self.log_path);
        } else {
            let _ = std::fs::remove_file(&self.log_path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_args_are_private_and_4k() {
        let args = Xvfb::builder().server_args();
        assert_eq!(
            args,
            [
                "-screen",
                "0",
                "3840x2160x24",
                "-nolisten",
                "tcp",
                "-noreset"
            ]
        );
    }

    #[test]
    fn listen_tcp_drops_nolisten_tcp() {
        let args = Xvfb::builder()
            .size(640, 480, 24)
            .arg("-listen")
            .arg("tcp")
            .server_args();
        assert!(!args
            .windows(2)
            .any(|w| w[0] == "-nolisten" && w[1] == "tcp"));
        assert!(args.windows(2).any(|w| w[0] == "-listen" && w[1] == "tcp"));
        assert!(args.contains(&"640x480x24".to_string()));
    }

    #[test]
    fn caller_screen_replaces_ours() {
        let args = Xvfb::builder()
            .arg("-screen")
            .arg("0")
            .arg("800x600x24")
            .server_args();
        assert_eq!(args.iter().filter(|a| *a == "-screen").count(), 1);
    }
}
