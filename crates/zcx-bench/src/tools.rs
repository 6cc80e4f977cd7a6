//! External programs zcx-bench may use when they are installed (glxinfo, eglinfo, picom,
//! xcompmgr, Xvfb): finding them on PATH and running one with a deadline, capturing stdout.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The program's path when it is on `PATH`.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Runs `program args…` with `DISPLAY=display` (when given), stdin closed and stderr dropped,
/// and returns its stdout if it exits within `timeout`, successfully or (with `any_status`,
/// for tools such as `eglinfo` that fail when one of several platforms fails) with output.
/// The program is killed and reaped when the deadline passes.
pub fn run_capture(
    program: &str,
    args: &[&str],
    display: Option<&str>,
    timeout: Duration,
    any_status: bool,
) -> Result<String, String> {
    let exe = which(program).ok_or_else(|| format!("{program} is not installed"))?;
    let mut cmd = Command::new(exe);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(d) = display {
        cmd.env("DISPLAY", d);
    }
    let mut child = cmd.spawn().map_err(|e| format!("{program}: {e}"))?;
    let mut stdout = child.stdout.take().ok_or("no stdout pipe")?;
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) | Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{program} did not finish within {timeout:?}"));
            }
        }
    };
    let out = reader.join().unwrap_or_default();
    if status.success() || (any_status && !out.trim().is_empty()) {
        Ok(out)
    } else {
        Err(format!("{program} failed: {status}"))
    }
}
