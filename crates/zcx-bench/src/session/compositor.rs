//! Which compositor runs during a measurement, and running it: zcx-compositor (per importer,
//! with `--composite gl` for an importer asked for by name; `--layout normal|side-by-side`,
//! `--hud`/`--no-hud`, `--shadows --borders` for the showcase, `--no-unredirect`,
//! `--stats-json` for its own figures), the peers picom (glx, xrender, each with `--config
//! /dev/null`) and xcompmgr when installed, or none. Every compositor's CPU is also sampled
//! from /proc through its pid, the only source for peers. zcx-compositor is given `--duration`
//! and left to exit by itself, so its `--stats-json` covers the measured time and no more.
//! Measurements start only once the compositor has redirected the producer windows
//! (`wait_redirected`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use x11rb::connection::Connection;
use x11rb::errors::ReplyError;
use x11rb::protocol::composite::ConnectionExt as _;
use x11rb::protocol::xproto::{ConnectionExt as _, Window};

use clap::ValueEnum as _;
use zcx_contracts::{CompositeMode, ContractError, ImportMode, StatsReport};
use zcx_x11::metrics::ProcCounters;

use crate::children::{sibling_binary, ChildGuard};
use crate::refusal::Refusal;
use crate::tools::which;

/// A compositor configuration of the matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompositorChoice {
    None,
    /// `zcx:auto` runs zcx-compositor as it runs by default (server-copy); `zcx:<importer>`
    /// runs it with `--composite gl --import <importer>`.
    Zcx {
        import: ImportMode,
    },
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

    /// Parses a name as [`CompositorChoice::name`] writes it (`zcx` alone means `zcx:auto`);
    /// `zcx:<importer>` must name one of zcx-compositor's `--import` values.
    pub fn parse(s: &str) -> Result<CompositorChoice, String> {
        Ok(match s {
            "none" => CompositorChoice::None,
            "zcx" => CompositorChoice::Zcx {
                import: ImportMode::Auto,
            },
            "picom-glx" => CompositorChoice::PicomGlx,
            "picom-xrender" => CompositorChoice::PicomXrender,
            "xcompmgr" => CompositorChoice::Xcompmgr,
            _ => {
                let Some(import) = s.strip_prefix("zcx:") else {
                    return Err(format!(
                        "unknown compositor {s:?} (none, zcx[:<importer>], picom-glx, \
                         picom-xrender, xcompmgr)"
                    ));
                };
                let import = import.parse().map_err(|_| {
                    let names: Vec<&str> = ImportMode::value_variants()
                        .iter()
                        .map(|i| i.name())
                        .collect();
                    format!(
                        "zcx-compositor has no importer {import:?} (it has {})",
                        names.join(", ")
                    )
                })?;
                CompositorChoice::Zcx { import }
            }
        })
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

/// The longest a compositor may take to redirect the producer windows.
pub const REDIRECT_WAIT: Duration = Duration::from_secs(30);

/// Added to zcx-compositor's `--duration` so that the time it takes to redirect the windows
/// cannot end it before the observation does.
pub const START_MARGIN: Duration = Duration::from_secs(2);

/// How zcx-compositor should draw (peers ignore it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZcxLook<'a> {
    /// `--layout side-by-side` (scaled columns) instead of `normal` (unscaled, readable stamps).
    pub side_by_side: bool,
    /// `--hud` instead of `--no-hud` (the HUD covers the top stamp row).
    pub hud: bool,
    /// `--shadows --borders`: producers framed in their mode's colour (the showcase).
    pub decorations: bool,
    /// `--duration`: zcx-compositor exits by itself (writing its statistics) after this.
    pub duration: Option<Duration>,
    /// More zcx-compositor arguments (a demo row's, or every measured phase's).
    pub extra: &'a [String],
}

/// A running compositor.
#[derive(Debug)]
pub struct RunningCompositor {
    pub child: ChildGuard,
    /// zcx-compositor's `--stats-json` file (written when it exits).
    pub stats_path: Option<PathBuf>,
    /// Where its stderr goes.
    log_path: PathBuf,
    counters: Option<ProcCounters>,
}

impl RunningCompositor {
    /// Starts `choice` on `display`; `None` for no compositor. Its stderr goes to
    /// `<out_dir>/compositor-<tag>.log`; zcx-compositor writes its statistics to
    /// `<out_dir>/compositor-<tag>.json`.
    pub fn start(
        choice: &CompositorChoice,
        display: &str,
        out_dir: &Path,
        tag: &str,
        look: ZcxLook<'_>,
    ) -> anyhow::Result<Option<RunningCompositor>> {
        let mut stats_path = None;
        let (name, mut cmd) = match choice {
            CompositorChoice::None => return Ok(None),
            CompositorChoice::Zcx { import } => {
                let path = out_dir.join(format!("compositor-{tag}.json"));
                let cmd = zcx_command(display, *import, look, &path)?;
                stats_path = Some(path);
                ("zcx-compositor".to_owned(), cmd)
            }
            CompositorChoice::PicomGlx => ("picom glx".to_owned(), picom_command(display, "glx")),
            CompositorChoice::PicomXrender => (
                "picom xrender".to_owned(),
                picom_command(display, "xrender"),
            ),
            CompositorChoice::Xcompmgr => {
                let mut cmd = Command::new("xcompmgr");
                cmd.env("DISPLAY", display);
                ("xcompmgr".to_owned(), cmd)
            }
        };
        if let Some(p) = &stats_path {
            // A stale file from an earlier run must not pass for this run's figures.
            let _ = std::fs::remove_file(p);
        }
        // Its messages go to a log beside the report, not over the progress bar.
        let log_path = out_dir.join(format!("compositor-{tag}.log"));
        let stderr = std::fs::File::create(&log_path).map_or_else(
            |e| {
                log::warn!("{}: {e}", log_path.display());
                Stdio::null()
            },
            Stdio::from,
        );
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr);
        let child = ChildGuard::spawn(&name, cmd)?;
        let counters = ProcCounters::open(child.pid() as i32);
        Ok(Some(RunningCompositor {
            child,
            stats_path,
            log_path,
            counters,
        }))
    }

    /// Fails when the compositor exited during start-up. Exit status 2 of zcx-compositor (it
    /// cannot run here: another compositing manager owns the screen, or a path this server
    /// lacks) is a [`Refusal`] that quotes its last message.
    pub fn check_started(&mut self, settle: Duration) -> anyhow::Result<()> {
        let Some(status) = self.child.wait_timeout(settle) else {
            return Ok(());
        };
        let name = self.child.name();
        if status.code() == Some(2) {
            let text = std::fs::read_to_string(&self.log_path).unwrap_or_default();
            let last = text
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            return Err(Refusal(format!(
                "{name} refused to run here ({status}): {last}; \
                 beside another compositing manager, use --no-compositor"
            ))
            .into());
        }
        anyhow::bail!(
            "{name} exited at start-up ({status}); see {}",
            self.log_path.display()
        )
    }

    /// Waits until the compositor has redirected `windows` (NameWindowPixmap succeeds only
    /// for a redirected window), so that an observation starts when the compositor, not the
    /// producer alone, puts the pixels on the screen: a peer that needs seconds to start
    /// (picom's GLX back end under load) is otherwise measured before it composites anything.
    /// Fails when the compositor exits first or `timeout` passes; returns early on `stop`.
    pub fn wait_redirected(
        &mut self,
        conn: &impl Connection,
        windows: &[Window],
        timeout: Duration,
        stop: &AtomicBool,
    ) -> anyhow::Result<()> {
        conn.composite_query_version(0, 4)?.reply()?;
        let deadline = Instant::now() + timeout;
        let mut waiting: Vec<Window> = windows.to_vec();
        while !waiting.is_empty() {
            let mut still = Vec::new();
            for &w in &waiting {
                let pixmap = conn.generate_id()?;
                match conn.composite_name_window_pixmap(w, pixmap)?.check() {
                    Ok(()) => {
                        conn.free_pixmap(pixmap)?;
                    }
                    Err(ReplyError::X11Error(_)) => still.push(w),
                    Err(e) => return Err(e.into()),
                }
            }
            waiting = still;
            if waiting.is_empty() || stop.load(Ordering::Relaxed) {
                break;
            }
            if let Some(status) = self.child.wait_timeout(Duration::from_millis(50)) {
                anyhow::bail!("{} exited at start-up ({status})", self.child.name());
            }
            if Instant::now() >= deadline {
                anyhow::bail!(
                    "{} did not redirect the producer windows within {timeout:?}",
                    self.child.name()
                );
            }
        }
        conn.flush()?;
        Ok(())
    }

    /// Its /proc counters, for reading at both ends of an interval.
    pub fn counters(&self) -> Option<&ProcCounters> {
        self.counters.as_ref()
    }

    /// Waits up to `timeout` (less when `stop` is set) for the compositor to exit by itself
    /// (its `--duration`), then stops it; returns its statistics when it wrote them.
    pub fn finish_within(
        mut self,
        timeout: Duration,
        stop: &AtomicBool,
    ) -> Result<Option<StatsReport>, StatsError> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline
            && !stop.load(Ordering::Relaxed)
            && self.child.wait_timeout(Duration::from_millis(50)).is_none()
        {}
        self.finish()
    }

    /// Stops it and returns its statistics when it wrote them (a peer writes none; a
    /// zcx-compositor that was killed may not have): `None`, with a warning for the latter.
    /// A file that does not match [`StatsReport`] is an error, never an empty figure.
    pub fn finish(mut self) -> Result<Option<StatsReport>, StatsError> {
        self.child.stop();
        let Some(path) = self.stats_path else {
            return Ok(None);
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) => {
                log::warn!("{}: {e}", path.display());
                return Ok(None);
            }
        };
        zcx_contracts::read_json(&text)
            .map(Some)
            .map_err(|source| StatsError { path, source })
    }
}

/// zcx-compositor's `--stats-json` file does not match what this zcx reads.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", path.display())]
pub struct StatsError {
    pub path: PathBuf,
    pub source: ContractError,
}

fn zcx_command(
    display: &str,
    import: ImportMode,
    look: ZcxLook<'_>,
    stats: &Path,
) -> anyhow::Result<Command> {
    let exe = sibling_binary("zcx-compositor", "zcx-compositor")?;
    let mut cmd = Command::new(exe);
    cmd.args(["--display", display, "--import", import.name()]);
    // An importer asked for by name is measured on every pixel: the default server-copy
    // strategy would let the X server copy opaque windows and leave the importer idle.
    if import != ImportMode::Auto {
        cmd.args(["--composite", CompositeMode::Gl.name()]);
    }
    cmd.arg("--layout")
        .arg(if look.side_by_side {
            "side-by-side"
        } else {
            "normal"
        })
        .arg(if look.hud { "--hud" } else { "--no-hud" })
        // What is measured is compositing: a full-screen producer without a HUD would
        // otherwise bypass the compositor, and the cell would measure no compositing at all
        // (`wait_redirected` does not notice: a new window is redirected until the compositor
        // unredirects it).
        .arg("--no-unredirect")
        .arg("--stats-json")
        .arg(stats);
    if look.decorations {
        cmd.args(["--shadows", "--borders"]);
    }
    if let Some(d) = look.duration {
        cmd.arg("--duration").arg(format!("{:.3}", d.as_secs_f64()));
    }
    cmd.args(look.extra);
    Ok(cmd)
}

/// picom with no configuration file (so a user's picom.conf cannot change what is measured).
fn picom_command(display: &str, backend: &str) -> Command {
    let mut cmd = Command::new("picom");
    cmd.args(["--backend", backend, "--config", "/dev/null"]);
    cmd.env("DISPLAY", display);
    cmd
}
