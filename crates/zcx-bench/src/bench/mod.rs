//! `zcx bench`: the matrix of producer modes × compositors (zcx-compositor per importer that
//! works here, picom glx and xrender, xcompmgr, none), repeated with the repetitions
//! interleaved (every cell of repetition 1, then every cell of repetition 2, …) so that slow
//! drifts of the machine hit every cell alike. One cell = one unscaled producer at (0, 0) under
//! one compositor, observed on the screen for `--duration`. `plan` decides what runs and what
//! is skipped (with the reason and the fix), `summary` reduces the repetitions to medians and
//! ratios against `put-image` measured in the same repetition. Ctrl-C ends the current cell
//! early and still writes the report of everything measured.

pub mod plan;
pub mod summary;

use std::os::fd::AsFd as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use zcx_x11::metrics::{self, ProcCounters};
use zcx_x11::ZcxConnection;

use crate::observer::{observe, ObserverConfig};
use crate::report::{self, Machine, Report, Run};
use crate::session::{
    self, CompositorChoice, Display, ProducerSpec, RunningCompositor, ZcxLook, REDIRECT_WAIT,
    START_MARGIN,
};
pub use plan::{plan, Plan};

/// The bench's options.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Producer modes (empty: every mode that works here).
    pub modes: Vec<String>,
    /// Compositors by name (empty: all of them, peers where installed).
    pub compositors: Vec<String>,
    pub reps: u32,
    /// Observation per cell.
    pub duration: Duration,
    pub size: (u32, u32),
    /// Producer `--fps` (0: as fast as the path allows).
    pub fps: u32,
    pub out: Option<PathBuf>,
    pub display: Option<String>,
    pub target_dir: PathBuf,
    pub command: String,
}

/// How long a compositor gets to start (and a producer to warm up) before a cell's observation.
const SETTLE: Duration = Duration::from_secs(1);
/// How long zcx-compositor gets to finish its last frame and exit by its `--duration`.
const EXIT_WAIT: Duration = Duration::from_secs(6);
/// Producer frames left out of its statistics in each cell.
const WARMUP_FRAMES: u32 = 5;

/// What every cell shares.
struct Bench<'a> {
    conn: &'a ZcxConnection,
    /// The X server's /proc counters (its pid from SO_PEERCRED), when readable.
    server: Option<ProcCounters>,
    screen_num: usize,
    display: &'a str,
    dir: &'a Path,
    opts: &'a BenchOptions,
    stop: &'a AtomicBool,
}

/// Runs the matrix; returns the report directory.
pub fn run(opts: &BenchOptions, stop: &AtomicBool) -> anyhow::Result<PathBuf> {
    let display = Display::open(opts.display.as_deref(), opts.size)?;
    let probe = crate::probe::probe_display(Some(&display.name)).context("probing the display")?;
    let c = zcx_x11::connect(Some(&display.name)).context("connecting to the display")?;
    let mut report = Report::new(
        opts.command.clone(),
        Machine::detect(
            probe.server.vendor.clone(),
            probe.server.release,
            probe.gl.renderer.clone(),
        ),
    );
    let dir = opts
        .out
        .clone()
        .unwrap_or_else(|| report::default_dir(&opts.target_dir, report.created_unix_s));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let plan = plan(opts, &probe)?;
    for s in &plan.skipped {
        println!("skipped: {s}");
    }
    report
        .notes
        .extend(plan.skipped.iter().map(|s| format!("skipped: {s}")));
    let server = metrics::peer_pid(c.conn.stream().as_fd()).and_then(ProcCounters::open);
    let bench = Bench {
        conn: &c.conn,
        server,
        screen_num: c.screen_num,
        display: &display.name,
        dir: &dir,
        opts,
        stop,
    };
    bench.run_matrix(&plan, &mut report);
    finish_report(&mut report, &dir, stop)?;
    drop(display);
    Ok(dir)
}

impl Bench<'_> {
    /// Every repetition of every cell, interleaved, behind a progress bar.
    fn run_matrix(&self, plan: &Plan, report: &mut Report) {
        let total = u64::from(self.opts.reps) * (plan.modes.len() * plan.compositors.len()) as u64;
        let bar = ProgressBar::new(total).with_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} cells {msg} [{elapsed} < {eta}]")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        'matrix: for rep in 1..=self.opts.reps {
            for comp in &plan.compositors {
                for mode in &plan.modes {
                    if self.stop.load(Ordering::Relaxed) {
                        break 'matrix;
                    }
                    bar.set_message(format!("{mode} / {} #{rep}", comp.name()));
                    match self.run_cell(comp, mode, rep) {
                        Ok(run) => report.runs.push(run),
                        Err(e) => {
                            let msg = format!("{mode} / {} #{rep} failed: {e:#}", comp.name());
                            bar.println(format!("warning: {msg}"));
                            report.notes.push(msg);
                        }
                    }
                    bar.inc(1);
                }
            }
        }
        bar.finish_and_clear();
    }

    /// One producer, unscaled at (0, 0), under one compositor, observed for the duration.
    fn run_cell(&self, comp: &CompositorChoice, mode: &str, rep: u32) -> anyhow::Result<Run> {
        let slug = comp.name().replace(':', "-");
        let extra = [
            "--size".to_owned(),
            format!("{}x{}", self.opts.size.0, self.opts.size.1),
            "--fps".to_owned(),
            self.opts.fps.to_string(),
            "--warmup".to_owned(),
            WARMUP_FRAMES.to_string(),
        ];
        let tag = format!("-{slug}-{rep}");
        let spec = ProducerSpec {
            display: self.display,
            mode,
            out_dir: self.dir,
            tag: &tag,
            extra: &extra,
        };
        let mut producer = session::start_producer(self.conn, self.screen_num, &spec, self.stop)?;
        session::place_window(self.conn, &mut producer, 0)?;
        let look = ZcxLook {
            side_by_side: false,
            hud: false,
            decorations: false,
            duration: Some(SETTLE + self.opts.duration + START_MARGIN),
        };
        let stats_tag = format!("{slug}-{mode}-{rep}");
        let mut compositor =
            RunningCompositor::start(comp, self.display, self.dir, &stats_tag, look)?;
        match compositor.as_mut() {
            Some(c) => {
                c.wait_redirected(self.conn, &[producer.window.id], REDIRECT_WAIT, self.stop)?;
                c.check_started(SETTLE)?;
            }
            None => {
                session::wait_unless_stopped(SETTLE, self.stop);
            }
        }
        let cpu_before = compositor.as_ref().and_then(RunningCompositor::cpu_ms);
        let server_before = self.server_cpu_ms();
        let config = ObserverConfig {
            duration: self.opts.duration,
            ..Default::default()
        };
        let obs = observe(self.conn, self.screen_num, &config, self.stop);
        let cpu_ms = compositor
            .as_ref()
            .and_then(RunningCompositor::cpu_ms)
            .zip(cpu_before)
            .map(|(after, before)| after - before);
        let server_ms = self
            .server_cpu_ms()
            .zip(server_before)
            .map(|(after, before)| after - before);
        let stats = compositor.and_then(|c| c.finish_within(EXIT_WAIT, self.stop));
        let mut run = producer.into_run(Some(&obs), &comp.name(), rep);
        attribute_compositor(&mut run, stats, cpu_ms, obs.duration_s);
        let seen = run.screen.as_ref().map_or(0, |s| s.distinct_frames);
        run.display_cpu_ms_per_screen_frame = server_ms
            .filter(|_| seen > 0)
            .map(|x| (x + cpu_ms.unwrap_or(0.0)) / seen as f64);
        Ok(run)
    }

    /// The X server's CPU so far, in ms.
    fn server_cpu_ms(&self) -> Option<f64> {
        Some(self.server.as_ref()?.sample()?.cpu.as_secs_f64() * 1e3)
    }
}

/// The compositor's CPU: per composited frame from zcx-compositor's own statistics, else
/// (peers) the /proc CPU over the observation per frame seen on the screen; and in percent
/// of one core over the observation for every compositor.
fn attribute_compositor(
    run: &mut Run,
    stats: Option<serde_json::Value>,
    cpu_ms: Option<f64>,
    observed_s: f64,
) {
    let from_stats = stats
        .as_ref()
        .and_then(|s| s.get("cpu_ms_per_frame")?.as_f64());
    let seen = run.screen.as_ref().map_or(0, |s| s.distinct_frames);
    let per_seen = cpu_ms.filter(|_| seen > 0).map(|c| c / seen as f64);
    run.compositor_cpu_ms_per_frame = from_stats.or(per_seen);
    run.compositor_cpu_percent = cpu_ms.map(|c| c / 10.0 / observed_s.max(1e-9));
    run.compositor_stats = stats;
}

/// Notes, `report.*`, `summary.md`, and the tables on stdout.
fn finish_report(report: &mut Report, dir: &Path, stop: &AtomicBool) -> anyhow::Result<()> {
    if stop.load(Ordering::Relaxed) {
        report.notes.push(
            "interrupted (Ctrl-C): the matrix stopped early; the last cell was cut short".into(),
        );
    }
    report.notes.push(format!("on-screen fps counts distinct frames seen by sampling the stamp rows {} times a second: rates above about half of that are lower bounds", ObserverConfig::default().samples_per_s));
    report.notes.push("compositor CPU ms/f is zcx-compositor's CPU per composited frame (its --stats-json); for picom and xcompmgr, their /proc CPU during the observation per distinct frame seen on the screen".into());
    report.notes.push("compositor+X CPU ms/screen frame is the compositor's and the X server's /proc CPU during the observation per distinct frame of the producer seen on the screen: what the display side spent to show one frame (the X server's part includes serving the producer and the observer's small reads)".into());
    if let Ok(l) = std::fs::read_to_string("/proc/loadavg") {
        let l: Vec<&str> = l.split_whitespace().take(3).collect();
        report
            .notes
            .push(format!("load average at the end: {}", l.join(" ")));
    }
    report.observer_cpu_percent = None;
    report.notes.extend(summary::comparison_notes(&report.runs));
    report::write_report(dir, report)?;
    let medians = summary::table(&report.runs);
    let path = dir.join("summary.md");
    std::fs::write(
        &path,
        format!(
            "# zcx bench: medians over repetitions\n\n`{}`\n\n{medians}",
            report.command
        ),
    )
    .with_context(|| format!("writing {}", path.display()))?;
    println!("\nMedians over repetitions (ratios against put-image in the same repetition):\n");
    println!("{medians}");
    for n in &report.notes {
        println!("- {n}");
    }
    println!("\nreport: {}", dir.join("index.html").display());
    Ok(())
}
