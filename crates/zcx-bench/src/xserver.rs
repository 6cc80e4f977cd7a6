//! A private headless X server for `zcx demo`/`zcx bench` when there is no display: Xvfb
//! started with `-displayfd` (the server picks a free display number and writes it to a pipe;
//! no fixed numbers, no lock-file races), owned by a [`ChildGuard`] so it is always reaped.

use std::io::Read;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::fcntl::{fcntl, FcntlArg, FdFlag, OFlag};

use crate::children::{ChildError, ChildGuard};

#[derive(Debug, thiserror::Error)]
pub enum XvfbError {
    #[error("Xvfb is not installed (Debian: apt-get install xvfb)")]
    NotInstalled,
    #[error("the -displayfd pipe: {0}")]
    Pipe(#[source] nix::Error),
    #[error(transparent)]
    Spawn(#[from] ChildError),
    #[error("Xvfb did not report a display within {0:?}")]
    Timeout(Duration),
}

/// A running Xvfb; stopped and reaped on drop.
#[derive(Debug)]
pub struct PrivateXvfb {
    display: String,
    _child: ChildGuard,
}

impl PrivateXvfb {
    /// Starts `Xvfb -displayfd N -screen 0 WxHx24 -nolisten tcp`.
    pub fn start(width: u32, height: u32) -> Result<PrivateXvfb, XvfbError> {
        let exe = crate::tools::which("Xvfb").ok_or(XvfbError::NotInstalled)?;
        let (read_end, write_end) =
            nix::unistd::pipe2(OFlag::O_CLOEXEC).map_err(XvfbError::Pipe)?;
        let write_fd = write_end.as_raw_fd();
        let mut cmd = Command::new(exe);
        cmd.args(["-displayfd", &write_fd.to_string(), "-screen", "0"])
            .arg(format!("{width}x{height}x24"))
            .args(["-nolisten", "tcp", "-noreset"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: runs in the forked child before exec; fcntl(2) is async-signal-safe and
        // nothing is allocated. Only the child's copy of the write end loses FD_CLOEXEC.
        unsafe {
            cmd.pre_exec(move || {
                fcntl(write_fd, FcntlArg::F_SETFD(FdFlag::empty()))?;
                Ok(())
            });
        }
        let child = ChildGuard::spawn("Xvfb", cmd)?;
        drop(write_end);
        let number = read_display_number(std::fs::File::from(read_end), Duration::from_secs(15))?;
        log::info!("started Xvfb on :{number} ({width}x{height}x24)");
        Ok(PrivateXvfb {
            display: format!(":{number}"),
            _child: child,
        })
    }

    pub fn display(&self) -> &str {
        &self.display
    }
}

fn read_display_number(mut pipe: std::fs::File, timeout: Duration) -> Result<u32, XvfbError> {
    let deadline = Instant::now() + timeout;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut s = String::new();
        let mut byte = [0u8; 1];
        while let Ok(1) = pipe.read(&mut byte) {
            if byte[0] == b'\n' {
                break;
            }
            s.push(char::from(byte[0]));
        }
        let _ = tx.send(s);
    });
    let wait = deadline.saturating_duration_since(Instant::now());
    rx.recv_timeout(wait)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .ok_or(XvfbError::Timeout(timeout))
}
