//! `zcx demo`: put-image and shm-pixmap producers under zcx-compositor (unless
//! `--no-compositor`) in two phases. The measured phase (`--duration`) runs the compositor with
//! `--layout normal --no-hud` and the windows unscaled at x = 0 and x = width/2, so the screen
//! observer can read their stamp rows; the showcase phase (`--showcase`) restarts it with
//! `--layout side-by-side --hud` and takes the screenshot, whose on-screen rate is the
//! compositor's own composited fps. Then the report and the comparison table. Ctrl-C ends the
//! current phase early and still writes what was measured.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use x11rb::connection::Connection as _;
use zcx_x11::ZcxConnection;

use crate::observer::{observe, Observation, ObserverConfig};
use crate::report::{self, Machine, Report};
use crate::session::{
    self, CompositorChoice, Display, ProducerRun, ProducerSpec, RunningCompositor, ZcxLook,
    REDIRECT_WAIT, START_MARGIN,
};

/// The demo's options.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// The measured (unscaled, observed) phase.
    pub duration: Duration,
    /// The side-by-side phase with the HUD, ending in the screenshot.
    pub showcase: Duration,
    pub out: Option<PathBuf>,
    pub no_compositor: bool,
    pub display: Option<String>,
    pub size: (u32, u32),
    pub target_dir: PathBuf,
    pub command: String,
}

pub const DEMO_MODES: [&str; 2] = ["put-image", "shm-pixmap"];

/// How long the compositor gets to start before the observation begins.
const SETTLE: Duration = Duration::from_secs(1);
/// How long a compositor gets to finish its last frame and exit by itself (a 4K frame on
/// llvmpipe under load takes up to a second or two).
const EXIT_WAIT: Duration = Duration::from_secs(6);

/// What the showcase phase gave.
#[derive(Debug, Default)]
struct Showcase {
    stats: Option<serde_json::Value>,
    seconds: f64,
}

/// What the measured phase gave.
struct Measured {
    obs: Observation,
    /// zcx-compositor's `--stats-json`.
    stats: Option<serde_json::Value>,
    /// The compositor's CPU from /proc over its life.
    cpu_ms: Option<f64>,
}

/// What every step of the demo shares.
struct Demo<'a> {
    conn: &'a ZcxConnection,
    screen_num: usize,
    display: &'a str,
    dir: &'a Path,
    opts: &'a DemoOptions,
    stop: &'a AtomicBool,
}

/// Runs the demo; returns the report directory.
pub fn run(opts: &DemoOptions, stop: &AtomicBool) -> anyhow::Result<PathBuf> {
    let display = Display::open(opts.display.as_deref(), opts.size)?;
    let c = zcx_x11::connect(Some(&display.name)).context("connecting to the display")?;
    let mut report = new_report(&c.conn, c.screen_num, c.socket, &display.name, opts)?;
    let dir = opts
        .out
        .clone()
        .unwrap_or_else(|| report::default_dir(&opts.target_dir, report.created_unix_s));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let demo = Demo {
        conn: &c.conn,
        screen_num: c.screen_num,
        display: &display.name,
        dir: &dir,
        opts,
        stop,
    };
    let choice = if opts.no_compositor {
        CompositorChoice::None
    } else {
        CompositorChoice::Zcx {
            import: "auto".into(),
        }
    };
    let producers = demo.start_producers()?;
    let windows: Vec<u32> = producers.iter().map(|p| p.window.id).collect();
    let measured = demo.measure(&choice, &windows)?;
    let showcase = if opts.no_compositor || stop.load(Ordering::Relaxed) {
        demo.take_screenshot(&mut report);
        None
    } else {
        Some(demo.showcase(&mut report))
    };
    fill_report(&mut report, producers, &choice, &measured);
    describe_phases(&mut report, &measured.obs, showcase.as_ref(), stop);
    report::write_report(&dir, &report)?;
    print_report(&report, &dir);
    drop(display);
    Ok(dir)
}

fn new_report(
    conn: &ZcxConnection,
    screen_num: usize,
    socket: zcx_x11::SocketKind,
    display: &str,
    opts: &DemoOptions,
) -> anyhow::Result<Report> {
    let server = zcx_x11::probe::ServerProbe::probe(conn, screen_num, socket)?;
    let gl = crate::probe::gl_info(display);
    Ok(Report::new(
        opts.command.clone(),
        Machine::detect(server.vendor.clone(), server.release, gl.renderer.clone()),
    ))
}

impl Demo<'_> {
    /// The producers of [`DEMO_MODES`], unscaled, the n-th at x = n × width / 2. Their warm-up
    /// follows the duration (a second of it per frame, 3 to 30) so that a short demo still
    /// measures the slow socket path.
    fn start_producers(&self) -> anyhow::Result<Vec<ProducerRun>> {
        let (w, h) = self.opts.size;
        let warmup = (self.opts.duration.as_secs() as u32).clamp(3, 30);
        let extra = [
            "--size".to_owned(),
            format!("{w}x{h}"),
            "--warmup".to_owned(),
            warmup.to_string(),
        ];
        let width = i32::from(self.conn.setup().roots[self.screen_num].width_in_pixels);
        let mut producers = Vec::new();
        for (i, mode) in DEMO_MODES.iter().enumerate() {
            let spec = ProducerSpec {
                display: self.display,
                mode,
                out_dir: self.dir,
                tag: "",
                extra: &extra,
            };
            let mut p = session::start_producer(self.conn, self.screen_num, &spec, self.stop)?;
            session::place_window(self.conn, &mut p, i as i32 * width / 2)?;
            producers.push(p);
        }
        Ok(producers)
    }

    /// The measured phase: `choice` with `--layout normal --no-hud` (stamps readable), the
    /// observer for the duration, then the compositor's exit by its `--duration`.
    fn measure(&self, choice: &CompositorChoice, windows: &[u32]) -> anyhow::Result<Measured> {
        let look = ZcxLook {
            side_by_side: false,
            hud: false,
            decorations: false,
            duration: Some(SETTLE + self.opts.duration + START_MARGIN),
        };
        let mut compositor =
            RunningCompositor::start(choice, self.display, self.dir, "measured", look)?;
        if let Some(comp) = compositor.as_mut() {
            comp.wait_redirected(self.conn, windows, REDIRECT_WAIT, self.stop)?;
            comp.check_started(SETTLE)?;
        }
        println!(
            "measuring {} unscaled producers on {} for {:?}…",
            windows.len(),
            self.display,
            self.opts.duration
        );
        let config = ObserverConfig {
            duration: self.opts.duration,
            ..Default::default()
        };
        let obs = observe(self.conn, self.screen_num, &config, self.stop);
        let cpu_ms = compositor.as_ref().and_then(RunningCompositor::cpu_ms);
        let stats = compositor.and_then(|c| c.finish_within(EXIT_WAIT, self.stop));
        Ok(Measured { obs, stats, cpu_ms })
    }

    /// Restarts zcx-compositor side by side with the HUD, waits `--showcase` and takes the
    /// screenshot; its statistics give the composited (on-screen) rate of this phase.
    fn showcase(&self, report: &mut Report) -> Showcase {
        let choice = CompositorChoice::Zcx {
            import: "auto".into(),
        };
        // It outlives the wait so the screenshot catches it still compositing.
        let look = ZcxLook {
            side_by_side: true,
            hud: true,
            decorations: true,
            duration: Some(self.opts.showcase + EXIT_WAIT / 3),
        };
        let started = std::time::Instant::now();
        let comp = RunningCompositor::start(&choice, self.display, self.dir, "side-by-side", look)
            .unwrap_or_else(|e| {
                report
                    .notes
                    .push(format!("the side-by-side phase did not start: {e:#}"));
                None
            });
        session::wait_unless_stopped(self.opts.showcase, self.stop);
        self.take_screenshot(report);
        let seconds = started.elapsed().as_secs_f64();
        Showcase {
            stats: comp.and_then(|c| c.finish_within(EXIT_WAIT, self.stop)),
            seconds,
        }
    }

    fn take_screenshot(&self, report: &mut Report) {
        let path = self.dir.join("screenshot.png");
        if let Err(e) = session::save_root_png(self.conn, self.screen_num, &path) {
            report.notes.push(format!("no screenshot: {e:#}"));
        }
    }
}

/// One run per producer with the measured phase's figures. The compositor's CPU per
/// composited frame comes from its `--stats-json`, else from /proc spread over the frames
/// the producers sent.
fn fill_report(
    report: &mut Report,
    producers: Vec<ProducerRun>,
    choice: &CompositorChoice,
    measured: &Measured,
) {
    let Measured { obs, stats, cpu_ms } = measured;
    report.observer_cpu_percent = Some(obs.observer_cpu_percent);
    let name = choice.name();
    for p in producers {
        report.runs.push(p.into_run(Some(obs), &name, 0));
    }
    let from_stats = stats
        .as_ref()
        .and_then(|s| s.get("cpu_ms_per_frame")?.as_f64());
    let frames: u64 = report
        .runs
        .iter()
        .filter_map(|r| r.producer.as_ref().map(|p| p.frames))
        .sum();
    let from_proc = cpu_ms.filter(|_| frames > 0).map(|c| c / frames as f64);
    if from_stats.is_none() && from_proc.is_some() {
        report.notes.push("compositor CPU per frame comes from /proc over the frames the producers sent (zcx-compositor wrote no statistics)".into());
    }
    for r in &mut report.runs {
        r.compositor_cpu_ms_per_frame = from_stats.or(from_proc);
        r.compositor_stats = stats.clone();
    }
}

/// Says plainly what each phase measured and what it could not.
fn describe_phases(
    report: &mut Report,
    obs: &Observation,
    showcase: Option<&Showcase>,
    stop: &AtomicBool,
) {
    let n = &mut report.notes;
    n.push(format!(
        "measured phase ({:.1} s): windows unscaled (the second covers the right half of the first), no HUD; on-screen fps, latency, dropped and torn frames come from the screen observer reading their stamp rows",
        obs.duration_s
    ));
    if let Some(stats) = report
        .runs
        .first()
        .and_then(|r| r.compositor_stats.as_ref())
    {
        n.push(format!(
            "measured phase: zcx-compositor {}",
            compositor_line(stats)
        ));
    }
    if let Some(s) = showcase {
        let what = s
            .stats
            .as_ref()
            .map_or_else(|| "wrote no statistics".to_owned(), compositor_line);
        n.push(format!("side-by-side phase ({:.1} s, HUD on, the screenshot): windows scaled into columns, so their stamps cannot be read and per-window on-screen fps, latency, drops and tearing were NOT measured; zcx-compositor {what}", s.seconds));
    }
    n.push(
        "producer figures cover each producer's whole run (both phases), warm-up frames excluded"
            .into(),
    );
    if stop.load(Ordering::Relaxed) {
        n.push("interrupted (Ctrl-C): the phases ended early; figures cover what ran".into());
    }
    if let Ok(l) = std::fs::read_to_string("/proc/loadavg") {
        let l: Vec<&str> = l.split_whitespace().take(3).collect();
        n.push(format!("load average at the end: {}", l.join(" ")));
    }
    report.add_comparison_notes();
}

/// `composited N frames (F fps, the rate its picture changed on screen), import/draw/present
/// p50 …, CPU … ms per composited frame (import path, present path)`.
fn compositor_line(s: &serde_json::Value) -> String {
    let f = |k: &str| s.get(k).and_then(serde_json::Value::as_f64);
    let p50 = |k: &str| s.get(k).and_then(|v| v.get("p50")?.as_f64());
    let opt = |v: Option<f64>| v.map_or("–".to_owned(), |v| format!("{v:.1}"));
    format!(
        "composited {} frames ({} fps, the rate its picture changed on screen), import/draw/present p50 {}/{}/{} ms, {} CPU ms per composited frame ({} import, {} present)",
        opt(f("frames")).trim_end_matches(".0"),
        opt(f("fps")),
        opt(p50("import_ms")),
        opt(p50("draw_ms")),
        opt(p50("present_ms")),
        opt(f("cpu_ms_per_frame")),
        s.get("import").and_then(|v| v.as_str()).unwrap_or("?"),
        s.get("present").and_then(|v| v.as_str()).unwrap_or("?"),
    )
}

/// The table, the notes and where the report is.
pub fn print_report(report: &Report, dir: &std::path::Path) {
    println!("\n{}", report::table(report));
    for n in &report.notes {
        println!("- {n}");
    }
    println!("\nreport: {}", dir.join("index.html").display());
}
