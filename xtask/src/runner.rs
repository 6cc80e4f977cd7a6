//! Runs `zcx-producer` once per mode against one display, with a timeout, and turns each
//! run into a table [`Row`]. Owns the session (Xvfb when there is no `DISPLAY`, the
//! release producer binary) and makes sure every child is reaped on every exit path.

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use zcx_producer::transport::Mode;
use zcx_testkit::Xvfb;

use crate::cmd::{cargo_step, target_dir};
use crate::summary::parse_for_mode;
use crate::table::Row;

/// The transfer modes, in table order: the producer's own list, so none can be missing or
/// misspelt here.
pub const MODES: [Mode; 4] = Mode::ALL;

/// How many frames a run pushes.
#[derive(Debug, Clone, Copy)]
pub struct RunSpec {
    pub frames: u32,
    pub warmup: u32,
}

impl RunSpec {
    /// Generous: a 4K put-image frame costs ~25 ms here; a hung producer must not hang us.
    fn timeout(&self) -> Duration {
        Duration::from_secs(60) + Duration::from_millis(250) * (self.frames + self.warmup)
    }
}

/// A display to run on and the producer binary. Dropping it stops our Xvfb, if any.
pub struct Session {
    // Field order is drop order: nothing else here owns a process.
    xvfb: Option<Xvfb>,
    display: String,
    producer: PathBuf,
    interrupted: Arc<AtomicBool>,
}

impl Session {
    /// Builds the release producer, then uses `$DISPLAY` or starts a 4K Xvfb.
    pub fn start(interrupted: Arc<AtomicBool>) -> Result<Self> {
        cargo_step(
            "build zcx-producer (release)",
            &["build", "--release", "-p", "zcx-producer"],
        )?;
        if interrupted.load(Ordering::SeqCst) {
            bail!("interrupted");
        }
        let producer = target_dir().join("release").join("zcx-producer");
        if !producer.is_file() {
            bail!(
                "the release build produced no {} (does crates/zcx-producer have its binary yet?)",
                producer.display()
            );
        }
        let (xvfb, display) = match std::env::var("DISPLAY") {
            Ok(d) if !d.is_empty() => {
                eprintln!("==> using DISPLAY={d}");
                (None, d)
            }
            _ => {
                let xvfb = Xvfb::builder()
                    .size(3840, 2160, 24)
                    .start()
                    .context("starting Xvfb (DISPLAY is not set)")?;
                let d = xvfb.display().to_string();
                eprintln!("==> DISPLAY is not set; started Xvfb 3840x2160x24 on {d}");
                (Some(xvfb), d)
            }
        };
        Ok(Self {
            xvfb,
            display,
            producer,
            interrupted,
        })
    }

    /// The display the producers run on.
    pub fn display(&self) -> &str {
        &self.display
    }

    /// Whether we started the X server ourselves.
    pub fn own_server(&self) -> bool {
        self.xvfb.is_some()
    }

    /// The producer command line for one run (without the spawn).
    pub fn producer_command(&self, mode: &str, spec: RunSpec, json: &Path) -> Command {
        let mut cmd = Command::new(&self.producer);
        cmd.args(["--display", &self.display, "--mode", mode, "--fps", "0"])
            .args(["--frames", &spec.frames.to_string()])
            .args(["--warmup", &spec.warmup.to_string()])
            .arg("--summary-json")
            .arg(json);
        cmd
    }

    /// Runs one mode; a failed run is `Row::Unavailable`. Errors only when interrupted
    /// or when the output files cannot be created.
    pub fn run_mode(&self, mode: &str, spec: RunSpec, out_dir: &Path, tag: &str) -> Result<Row> {
        let json = out_dir.join(format!("{tag}{mode}.json"));
        let stderr_path = out_dir.join(format!("{tag}{mode}.stderr.log"));
        let _ = std::fs::remove_file(&json);
        let mut cmd = self.producer_command(mode, spec, &json);
        let stdout = File::create(out_dir.join(format!("{tag}{mode}.stdout.log")))
            .context("creating the producer stdout log")?;
        let stderr = File::create(&stderr_path).context("creating the producer stderr log")?;
        // Its own process group, so that stopping it also stops anything it started.
        cmd.process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::from(stdout))
            .stderr(Stdio::from(stderr));
        eprintln!("==> {mode}: {}", shell_line(&cmd));
        let started = Instant::now();
        let failure = match cmd.spawn() {
            Ok(child) => self.wait(ChildGuard(child), spec.timeout())?,
            Err(e) => Some(format!("could not start {:?}: {e}", self.producer)),
        };
        let reason = match failure {
            Some(reason) => reason,
            None => match read_summary(&json, mode) {
                Ok(summary) => {
                    eprintln!("    ok in {:.1} s", started.elapsed().as_secs_f64());
                    return Ok(Row::Measured(Box::new(summary)));
                }
                Err(e) => format!("{e:#}"),
            },
        };
        let reason = last_line(&stderr_path).unwrap_or(reason);
        eprintln!("    unavailable: {reason} (log: {})", stderr_path.display());
        Ok(Row::Unavailable {
            mode: mode.to_string(),
            reason,
        })
    }

    /// Waits for the child: `None` on success, `Some(reason)` on failure or timeout.
    fn wait(&self, mut child: ChildGuard, timeout: Duration) -> Result<Option<String>> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = child.0.try_wait().context("waiting for the producer")? {
                return Ok((!status.success()).then(|| format!("producer {status}")));
            }
            if self.interrupted.load(Ordering::SeqCst) {
                drop(child);
                bail!("interrupted");
            }
            if Instant::now() >= deadline {
                drop(child);
                return Ok(Some(format!("timed out after {} s", timeout.as_secs())));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// On drop, unless the child has already been reaped: SIGKILLs its process group (the
/// producer runs in its own; while the leader is unreaped its id cannot be reused) and
/// the child itself, then reaps it.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            if let Ok(pid) = i32::try_from(self.0.id()) {
                let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
            }
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn read_summary(path: &Path, mode: &str) -> Result<crate::summary::Summary> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("producer wrote no summary at {}", path.display()))?;
    parse_for_mode(&text, mode)
}

/// The last non-empty line of a file.
fn last_line(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_string)
}

/// A copy-pasteable rendering of a command line.
pub fn shell_line(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| {
            let s = a.to_string_lossy();
            if s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./:=,".contains(c))
            {
                s.into_owned()
            } else {
                format!("'{}'", s.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests;
