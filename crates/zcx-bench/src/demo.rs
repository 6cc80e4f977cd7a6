//! `zcx demo`: put-image and shm-pixmap producers side by side (under zcx-compositor unless
//! `--no-compositor`), observed on the screen for the duration, then a screenshot, the report
//! and the comparison table. Ctrl-C ends the observation early and still writes the report.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use crate::observer::{observe, ObserverConfig};
use crate::report::{self, Machine, Report, Run};
use crate::session::{self, CompositorChoice, Display, RunningCompositor};

/// The demo's options.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub duration: Duration,
    pub out: Option<PathBuf>,
    pub no_compositor: bool,
    pub display: Option<String>,
    pub size: (u32, u32),
    pub target_dir: PathBuf,
    pub command: String,
}

pub const DEMO_MODES: [&str; 2] = ["put-image", "shm-pixmap"];

/// Runs the demo; returns the report directory.
pub fn run(opts: &DemoOptions, stop: Arc<AtomicBool>) -> anyhow::Result<PathBuf> {
    let display = Display::open(opts.display.as_deref(), opts.size)?;
    let c = zcx_x11::connect(Some(&display.name)).context("connecting to the display")?;
    let server = zcx_x11::probe::ServerProbe::probe(&c.conn, c.screen_num, c.socket)?;
    let gl = crate::probe::gl_info(&display.name);
    let mut report = Report::new(
        opts.command.clone(),
        Machine::detect(server.vendor.clone(), server.release, gl.renderer.clone()),
    );
    let dir = opts
        .out
        .clone()
        .unwrap_or_else(|| report::default_dir(&opts.target_dir, report.created_unix_s));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let choice = if opts.no_compositor {
        CompositorChoice::None
    } else {
        CompositorChoice::Zcx {
            import: "auto".into(),
        }
    };
    let mut compositor = RunningCompositor::start(&choice, &display.name, &dir, true)?;
    if let Some(comp) = compositor.as_mut() {
        comp.check_started(Duration::from_millis(700))?;
        report.notes.extend(comp.notes.iter().cloned());
    }
    let scaled_layout = compositor
        .as_ref()
        .is_some_and(|c| !c.notes.iter().any(|n| n.contains("--layout")));
    let mut producers = Vec::new();
    for (i, mode) in DEMO_MODES.iter().enumerate() {
        let mut p = session::start_producer(&c.conn, c.screen_num, &display.name, mode, &dir, &[])?;
        if !scaled_layout {
            let x = i as i32 * i32::from(server.screen_width) / 2;
            session::place_window(&c.conn, &mut p, x)?;
        }
        producers.push(p);
    }
    let config = ObserverConfig {
        duration: opts.duration,
        ..Default::default()
    };
    println!(
        "observing {} producers on {} for {:?}…",
        producers.len(),
        display.name,
        opts.duration
    );
    let obs = observe(&c.conn, c.screen_num, &config, &stop);
    report.observer_cpu_percent = Some(obs.observer_cpu_percent);
    let shot = dir.join("screenshot.png");
    session::save_root_png(&c.conn, c.screen_num, &shot).context("taking the screenshot")?;
    let comp_name = choice.name();
    let comp_cpu = compositor.as_ref().and_then(RunningCompositor::cpu_ms);
    for p in producers {
        let seen = obs
            .windows
            .iter()
            .find(|w| w.window == p.window.id)
            .cloned();
        let mode = p.mode.clone();
        let figures = p.finish();
        report.runs.push(Run {
            name: format!("{mode} / {comp_name}"),
            mode,
            compositor: comp_name.clone(),
            rep: 0,
            producer: figures,
            compositor_stats: None,
            compositor_cpu_ms_per_frame: None,
            screen: seen.as_ref().map(|w| w.summary.clone()),
            frames: seen.map(|w| w.frames).unwrap_or_default(),
        });
    }
    let stats = compositor.and_then(RunningCompositor::finish);
    attribute_compositor(&mut report, comp_cpu, stats);
    if scaled_layout {
        report.notes.push("zcx-compositor scales the windows (side-by-side layout): the screen observer cannot read their stamps, so on-screen figures are absent".into());
    }
    report.add_comparison_notes();
    report::write_report(&dir, &report)?;
    println!("\n{}", report::table(&report));
    for n in &report.notes {
        println!("- {n}");
    }
    println!("\nreport: {}", dir.join("index.html").display());
    drop(display);
    Ok(dir)
}

/// Spreads the compositor's CPU over the frames the producers sent (per producer frame, as
/// DESIGN.md quotes peers) and attaches its stats to every run.
fn attribute_compositor(
    report: &mut Report,
    cpu_ms: Option<f64>,
    stats: Option<serde_json::Value>,
) {
    let frames: u64 = report
        .runs
        .iter()
        .filter_map(|r| r.producer.as_ref().map(|p| p.frames))
        .sum();
    let from_stats = stats
        .as_ref()
        .and_then(|s| s.get("cpu_ms_per_frame")?.as_f64());
    let per_frame = from_stats.or_else(|| cpu_ms.filter(|_| frames > 0).map(|c| c / frames as f64));
    for r in &mut report.runs {
        r.compositor_cpu_ms_per_frame = per_frame;
        r.compositor_stats = stats.clone();
    }
}
