//! Which compositor runs during a measurement, and running it: zcx-compositor (per importer,
//! with `--layout side-by-side`, `--hud`, `--stats-json` and `--duration` when its `--help`
//! offers them, a logged note otherwise), the peers picom (glx, xrender) and xcompmgr when
//! installed, or none. The compositor's CPU comes from /proc through its pid.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use zcx_x11::metrics::ProcCounters;

use crate::children::{sibling_binary, ChildGuard};
use crate::tools::{run_capture, which};

/// A compositor configuration of the matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompositorChoice {
    None,
    Zcx { import: String },
    PicomGlx,
    PicomXrender,
    Xcompmgr,
}

impl CompositorChoice {
    pub fn name(&self) -> String {
        match self {
            CompositorChoice::None => "none".into(),
            CompositorChoice::Zcx { import } => format!("zcx:{import}"),
            CompositorChoice::PicomGlx => "picom-glx".into(),
            CompositorChoice::PicomXrender => "picom-xrender".into(),
            CompositorChoice::Xcompmgr => "xcompmgr".into(),
        }
    }

    /// Why this choice cannot run here (a peer that is not installed), with the fix.
    pub fn missing(&self) -> Option<String> {
        let need = |prog: &str, pkg: &str| {
            which(prog)
                .is_none()
                .then(|| format!("{prog} is not installed (apt-get install {pkg})"))
        };
        match self {
            CompositorChoice::None => None,
            CompositorChoice::Zcx { .. } => sibling_binary("zcx-compositor", "zcx-compositor")
                .err()
                .map(|e| e.to_string()),
            CompositorChoice::PicomGlx | CompositorChoice::PicomXrender => need("picom", "picom"),
            CompositorChoice::Xcompmgr => need("xcompmgr", "xcompmgr"),
        }
    }
}

/// A running compositor.
#[derive(Debug)]
pub struct RunningCompositor {
    pub child: ChildGuard,
    pub stats_path: Option<PathBuf>,
    counters: Option<ProcCounters>,
    cpu_start: Option<Duration>,
    /// What the binary did not support (logged and put in the report's notes).
    pub notes: Vec<String>,
}

impl RunningCompositor {
    /// Starts `choice` on `display`; `None` for no compositor.
    pub fn start(
        choice: &CompositorChoice,
        display: &str,
        out_dir: &Path,
        side_by_side: bool,
    ) -> anyhow::Result<Option<RunningCompositor>> {
        let mut notes = Vec::new();
        let mut stats_path = None;
        let (name, mut cmd) = match choice {
            CompositorChoice::None => return Ok(None),
            CompositorChoice::Zcx { import } => {
                let exe = sibling_binary("zcx-compositor", "zcx-compositor")?;
                let help = run_capture(
                    &exe.to_string_lossy(),
                    &["--help"],
                    None,
                    Duration::from_secs(10),
                    false,
                )
                .unwrap_or_default();
                let mut cmd = Command::new(&exe);
                cmd.args(["--display", display, "--import", import]);
                let mut flag = |f: &str, args: &[&str], why: &str| {
                    if help.contains(f) {
                        cmd.args(args);
                        true
                    } else {
                        notes.push(format!("zcx-compositor in this tree has no {f} yet: {why}"));
                        false
                    }
                };
                if side_by_side {
                    flag(
                        "--layout",
                        &["--layout", "side-by-side"],
                        "windows are placed side by side unscaled instead",
                    );
                    flag("--hud", &["--hud"], "no HUD in the screenshot");
                }
                let path = out_dir.join(format!("compositor-{import}.json"));
                let p = path.to_string_lossy().into_owned();
                if flag(
                    "--stats-json",
                    &["--stats-json", &p],
                    "compositor CPU comes from /proc only",
                ) {
                    stats_path = Some(path);
                }
                ("zcx-compositor".to_owned(), cmd)
            }
            CompositorChoice::PicomGlx | CompositorChoice::PicomXrender => {
                let backend = if *choice == CompositorChoice::PicomGlx {
                    "glx"
                } else {
                    "xrender"
                };
                let mut cmd = Command::new("picom");
                cmd.args(["--backend", backend, "--vsync", "--no-fading-openclose"]);
                cmd.env("DISPLAY", display);
                (format!("picom {backend}"), cmd)
            }
            CompositorChoice::Xcompmgr => {
                let mut cmd = Command::new("xcompmgr");
                cmd.env("DISPLAY", display);
                ("xcompmgr".to_owned(), cmd)
            }
        };
        for n in &notes {
            log::warn!("{n}");
        }
        cmd.stdin(Stdio::null()).stdout(Stdio::null());
        let child = ChildGuard::spawn(&name, cmd)?;
        let counters = ProcCounters::open(child.pid() as i32);
        let cpu_start = counters.as_ref().and_then(|c| c.sample()).map(|s| s.cpu);
        Ok(Some(RunningCompositor {
            child,
            stats_path,
            counters,
            cpu_start,
            notes,
        }))
    }

    /// Fails when the compositor exited during start-up (exit status 2 of zcx-compositor means
    /// another compositing manager owns the screen).
    pub fn check_started(&mut self, settle: Duration) -> anyhow::Result<()> {
        if let Some(status) = self.child.wait_timeout(settle) {
            let hint = if status.code() == Some(2) {
                ": another compositing manager is running here; use --no-compositor"
            } else {
                ""
            };
            anyhow::bail!("{} exited at start-up ({status}){hint}", self.child.name());
        }
        Ok(())
    }

    /// CPU the compositor used since it started.
    pub fn cpu_ms(&self) -> Option<f64> {
        let now = self.counters.as_ref()?.sample()?.cpu;
        Some(now.saturating_sub(self.cpu_start?).as_secs_f64() * 1e3)
    }

    /// Stops it and returns its stats JSON when it wrote one.
    pub fn finish(mut self) -> Option<serde_json::Value> {
        self.child.stop();
        let text = std::fs::read_to_string(self.stats_path.as_ref()?).ok()?;
        serde_json::from_str(&text).ok()
    }
}
