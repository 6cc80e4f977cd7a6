//! Producers in a session: starting `zcx-producer` in its own process group with
//! `--summary-json`, finding and placing its window, and turning what it and the observer
//! measured into a report run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ConfigureWindowAux, ConnectionExt as _};

use crate::children::{sibling_binary, ChildGuard};
use crate::observer::screen::{find_producer_windows, FoundWindow};
use crate::observer::Observation;
use crate::report::{ProducerFigures, Run};
use zcx_producer::stats::{read_summaries, Summary};
use zcx_producer::transport::Mode;

/// A producer run: its process, window and where its summary will be written.
#[derive(Debug)]
pub struct ProducerRun {
    pub mode: Mode,
    pub window: FoundWindow,
    pub summary_path: PathBuf,
    pub child: ChildGuard,
}

impl ProducerRun {
    /// Stops the producer (SIGTERM: it writes its summary on the way out) and reads its
    /// summary of the mode it ran: `None` when it wrote none (it was killed), with a warning;
    /// an error when the file does not match [`Summary`] (never an empty figure).
    pub fn finish(mut self) -> anyhow::Result<Option<Summary>> {
        self.child.stop();
        let path = &self.summary_path;
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) => {
                log::warn!("{}: {e}", path.display());
                return Ok(None);
            }
        };
        let all = read_summaries(&text).with_context(|| format!("{}", path.display()))?;
        Ok(all.into_iter().find(|s| s.mode == self.mode))
    }

    /// Stops the producer and makes its report run: its own figures and what `obs` saw of
    /// its window on the screen.
    pub fn into_run(
        self,
        obs: Option<&Observation>,
        compositor: &str,
        rep: u32,
    ) -> anyhow::Result<Run> {
        let seen = obs.and_then(|o| o.windows.iter().find(|w| w.window == self.window.id));
        let mode = self.mode.name().to_owned();
        let name = if rep == 0 {
            format!("{mode} / {compositor}")
        } else {
            format!("{mode} / {compositor} #{rep}")
        };
        let screen = seen.map(|w| w.summary.clone());
        let frames = seen.map(|w| w.frames.clone()).unwrap_or_default();
        let producer = self.finish()?.as_ref().map(ProducerFigures::from);
        Ok(Run {
            name,
            compositor: compositor.to_owned(),
            rep,
            screen,
            frames,
            producer,
            mode,
            compositor_stats: None,
            compositor_cpu_ms_per_frame: None,
            compositor_cpu_percent: None,
            interval: None,
            per_screen_frame: None,
            copies: None,
        })
    }
}

/// Where and how a producer starts.
#[derive(Debug, Clone, Copy)]
pub struct ProducerSpec<'a> {
    pub display: &'a str,
    pub mode: Mode,
    pub out_dir: &'a Path,
    /// Names the summary file `producer-<mode><tag>.json`.
    pub tag: &'a str,
    /// More `zcx-producer` arguments (`--size`, `--fps`, `--warmup`).
    pub extra: &'a [String],
}

/// Starts `zcx-producer --mode <mode>` and waits until its window is viewable; returns it
/// once found (a window id not seen before). Fails when `stop` is set meanwhile.
pub fn start_producer(
    conn: &impl Connection,
    screen_num: usize,
    spec: &ProducerSpec<'_>,
    stop: &AtomicBool,
) -> anyhow::Result<ProducerRun> {
    let ProducerSpec {
        display,
        mode,
        out_dir,
        tag,
        extra,
    } = *spec;
    let exe = sibling_binary("zcx-producer", "zcx-producer")?;
    let root = conn.setup().roots[screen_num].root;
    let known: Vec<u32> = find_producer_windows(conn, root)
        .iter()
        .map(|w| w.id)
        .collect();
    let summary_path = out_dir.join(format!("producer-{mode}{tag}.json"));
    let _ = std::fs::remove_file(&summary_path);
    let mut cmd = Command::new(exe);
    cmd.args([
        "--mode",
        mode.name(),
        "--display",
        display,
        "--summary-json",
    ])
    .arg(&summary_path)
    .args(extra)
    .stdin(Stdio::null())
    .stdout(Stdio::null());
    let mut child = ChildGuard::spawn(&format!("zcx-producer {mode}"), cmd)?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(w) = find_producer_windows(conn, root)
            .into_iter()
            .find(|w| !known.contains(&w.id))
        {
            return Ok(ProducerRun {
                mode,
                window: w,
                summary_path,
                child,
            });
        }
        if let Some(status) = child.try_exited() {
            anyhow::bail!("zcx-producer --mode {mode} exited before showing a window: {status}");
        }
        if stop.load(Ordering::Relaxed) {
            anyhow::bail!("interrupted while zcx-producer --mode {mode} was starting");
        }
        if Instant::now() >= deadline {
            anyhow::bail!("zcx-producer --mode {mode} showed no window within 30 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Moves a producer window so its left edge is at `x` (used to put windows side by side,
/// unscaled, when no compositor layout does it). Without a window manager nobody objects.
pub fn place_window(conn: &impl Connection, run: &mut ProducerRun, x: i32) -> anyhow::Result<()> {
    conn.configure_window(run.window.id, &ConfigureWindowAux::new().x(x).y(0))?
        .check()
        .context("moving a producer window")?;
    run.window.geometry.x = x;
    Ok(())
}
