//! `zcx demo`: the truthful side-by-side. One measured phase per [`ROWS`] entry, each path
//! ALONE under zcx-compositor (unless `--no-compositor`): one producer unscaled at (0, 0), the
//! same compositor arguments, the same duration and the same observer, measured by
//! `session::measure_alone` (so the X server's and the compositor's CPU in a row's interval are
//! that row's). Then the showcase phase: every row's producer side by side with the HUD,
//! shadows and borders, and the screenshot; its figures are the compositor's own (a picture,
//! not a measurement). Then the report and the tables. Ctrl-C ends the current phase early
//! and still writes what was measured.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use x11rb::connection::Connection as _;
use zcx_contracts::{ImportMode, StatsReport};
use zcx_producer::transport::Mode;
use zcx_x11::ZcxConnection;

use crate::report::{self, interval, Machine, Report};
use crate::session::{
    self, measure_alone, Alone, CompositorChoice, Context, Display, ProducerRun, ProducerSpec,
    RunningCompositor, ZcxLook, EXIT_WAIT,
};

/// The demo's options.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Each row's measured (unscaled, observed) phase.
    pub duration: Duration,
    /// The side-by-side phase with the HUD, ending in the screenshot.
    pub showcase: Duration,
    pub out: Option<PathBuf>,
    pub no_compositor: bool,
    pub display: Option<String>,
    pub size: (u32, u32),
    pub target_dir: PathBuf,
    pub command: String,
    /// The display runs under an emulated CPU (the DRI3 test server): the report says so.
    pub emulated_cpu: bool,
}

/// One row of the comparison: a path, measured alone.
#[derive(Debug, Clone, Copy)]
pub struct Row {
    pub label: &'static str,
    /// `zcx-producer --mode`.
    pub mode: Mode,
    /// More producer arguments for this row (e.g. `--handoff off`).
    pub producer_args: &'static [&'static str],
    /// More zcx-compositor arguments for this row's measured phase.
    pub compositor_args: &'static [&'static str],
    /// The copies a frame takes to the screen under zcx-compositor, by design (with
    /// `--no-compositor`, [`interval::COMPOSITOR_COPY`] is left out).
    pub copies: &'static [&'static str],
    /// The path exists only between zcx programs (the handoff): left out with `--no-compositor`.
    pub needs_zcx: bool,
}

/// The rows, in the order they are measured and shown; put-image is the baseline of ratios.
/// Adding a row is one line here.
#[rustfmt::skip]
pub const ROWS: &[Row] = &[
    Row { label: "put-image", mode: Mode::PutImage, producer_args: &[], compositor_args: &[], copies: interval::PUT_IMAGE_COPIES, needs_zcx: false },
    Row { label: "shm-pixmap (present)", mode: Mode::ShmPixmap, producer_args: &["--handoff", "off"], compositor_args: &[], copies: interval::SHM_PIXMAP_PRESENT_COPIES, needs_zcx: false },
    Row { label: "shm-pixmap (handoff)", mode: Mode::ShmPixmap, producer_args: &["--handoff", "auto"], compositor_args: &[], copies: interval::SHM_PIXMAP_HANDOFF_COPIES, needs_zcx: true },
    Row { label: "dri3", mode: Mode::Dri3, producer_args: &[], compositor_args: &[], copies: interval::DRI3_PRESENT_COPIES, needs_zcx: false },
];

/// zcx-compositor arguments of every measured phase (besides `--layout normal --no-hud`).
pub const MEASURED_COMPOSITOR_ARGS: &[&str] = &[];

/// The rows whose producer mode runs on this server; a note for each one left out.
fn available_rows(
    server: &zcx_x11::probe::ServerProbe,
    notes: &mut Vec<String>,
) -> Vec<&'static Row> {
    let mut rows = Vec::new();
    for row in ROWS {
        match unavailable(row, server) {
            Some(why) => notes.push(format!("{}: left out: {why}", row.label)),
            None => rows.push(row),
        }
    }
    rows
}

/// Why `row`'s producer mode cannot run on this server (dri3 without DRI3, e.g. on Xvfb).
fn unavailable(row: &Row, server: &zcx_x11::probe::ServerProbe) -> Option<String> {
    row.mode.unavailable_reason(server)
}

/// The note a report of a display under an emulated CPU carries.
pub const EMULATED_CPU_NOTE: &str = "this display runs under an emulated CPU (the DRI3 test server: qemu TCG, Mesa llvmpipe): its timings and fps are not speed and do not compare with a real machine's; what holds there is what each path does per frame: socket bytes, context switches of producer and X server, the copies by design, and each row's figures against the other rows of the same run";

/// What the showcase phase gave.
#[derive(Debug, Default)]
struct Showcase {
    stats: Option<StatsReport>,
    seconds: f64,
}

/// What every step of the demo shares.
struct Demo<'a> {
    ctx: Context<'a>,
    opts: &'a DemoOptions,
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
        ctx: Context::new(&c.conn, c.screen_num, &display.name, &dir, stop),
        opts,
    };
    let (w, h) = opts.size;
    report.memcpy_ms_per_frame = Some(session::memcpy_ms(w as usize * h as usize * 4));
    report.observer_cost = session::observer_cost::measure(&demo.ctx);
    let choice = if opts.no_compositor {
        CompositorChoice::None
    } else {
        CompositorChoice::Zcx {
            import: ImportMode::Auto,
        }
    };
    let server = zcx_x11::probe::ServerProbe::probe(&c.conn, c.screen_num, c.socket)
        .context("probing the display")?;
    let rows = available_rows(&server, &mut report.notes);
    for (i, row) in rows.iter().enumerate() {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        if row.needs_zcx && opts.no_compositor {
            report.notes.push(format!(
                "{}: left out: it hands frames to zcx-compositor (--no-compositor)",
                row.label
            ));
            continue;
        }
        report.runs.push(demo.measure_row(i, row, &choice)?);
    }
    let showcase = if opts.no_compositor || stop.load(Ordering::Relaxed) {
        demo.take_screenshot(&mut report);
        None
    } else {
        Some(demo.showcase(&mut report, &rows)?)
    };
    describe_phases(&mut report, opts, showcase.as_ref(), stop);
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

/// `--size WxH` and a warm-up that follows the duration (a second of it per frame, 3 to 30)
/// so that a short demo still measures the slow socket path in its steady state.
fn producer_args(opts: &DemoOptions, row: &Row) -> Vec<String> {
    let (w, h) = opts.size;
    let warmup = (opts.duration.as_secs() as u32).clamp(3, 30);
    let mut args = vec![
        "--size".to_owned(),
        format!("{w}x{h}"),
        "--warmup".to_owned(),
        warmup.to_string(),
    ];
    args.extend(row.producer_args.iter().map(|&a| a.to_owned()));
    args
}

impl Demo<'_> {
    /// Row `i`'s measured phase: its producer alone under `choice`, observed.
    fn measure_row(
        &self,
        i: usize,
        row: &Row,
        choice: &CompositorChoice,
    ) -> anyhow::Result<report::Run> {
        println!(
            "measuring {} alone on {} for {:?}…",
            row.label, self.ctx.display, self.opts.duration
        );
        let composited = *choice != CompositorChoice::None;
        let compositor_args = MEASURED_COMPOSITOR_ARGS
            .iter()
            .chain(row.compositor_args)
            .map(|&a| a.to_owned())
            .collect();
        let alone = Alone {
            name: row.label.to_owned(),
            mode: row.mode,
            producer_args: producer_args(self.opts, row),
            compositor: choice,
            compositor_args,
            duration: self.opts.duration,
            tag: format!("measured-{}", i + 1),
            rep: 0,
            copies: Some(interval::without_compositor_copy(row.copies, composited)),
        };
        measure_alone(&self.ctx, &alone).with_context(|| format!("measuring {}", row.label))
    }

    /// Every row's producer side by side (the n-th at x = n × width / rows until the
    /// compositor lays them out), zcx-compositor with the HUD, shadows and borders, the
    /// screenshot after `--showcase`; its statistics are the compositor's own.
    fn showcase(&self, report: &mut Report, rows: &[&Row]) -> anyhow::Result<Showcase> {
        let ctx = &self.ctx;
        let width = i32::from(ctx.conn.setup().roots[ctx.screen_num].width_in_pixels);
        let mut producers: Vec<ProducerRun> = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            let args = producer_args(self.opts, row);
            let tag = format!("-showcase-{}", i + 1);
            let spec = ProducerSpec {
                display: ctx.display,
                mode: row.mode,
                out_dir: ctx.dir,
                tag: &tag,
                extra: &args,
            };
            let mut p = session::start_producer(ctx.conn, ctx.screen_num, &spec, ctx.stop)?;
            session::place_window(ctx.conn, &mut p, i as i32 * width / rows.len() as i32)?;
            producers.push(p);
        }
        println!(
            "showcase: {} producers side by side with the HUD…",
            producers.len()
        );
        let choice = CompositorChoice::Zcx {
            import: ImportMode::Auto,
        };
        // It outlives the wait so the screenshot catches it still compositing.
        let look = ZcxLook {
            side_by_side: true,
            hud: true,
            decorations: true,
            duration: Some(self.opts.showcase + EXIT_WAIT / 3),
            extra: &[],
        };
        let started = std::time::Instant::now();
        let comp = RunningCompositor::start(&choice, ctx.display, ctx.dir, "side-by-side", look)
            .unwrap_or_else(|e| {
                report
                    .notes
                    .push(format!("the side-by-side phase did not start: {e:#}"));
                None
            });
        session::wait_unless_stopped(self.opts.showcase, ctx.stop);
        self.take_screenshot(report);
        let seconds = started.elapsed().as_secs_f64();
        let stats = comp
            .map(|c| c.finish_within(EXIT_WAIT, ctx.stop))
            .transpose()
            .unwrap_or_else(|e| {
                report.notes.push(format!("the side-by-side phase: {e}"));
                None
            })
            .flatten();
        drop(producers);
        Ok(Showcase { stats, seconds })
    }

    fn take_screenshot(&self, report: &mut Report) {
        let path = self.ctx.dir.join("screenshot.png");
        if let Err(e) = session::save_root_png(self.ctx.conn, self.ctx.screen_num, &path) {
            report.notes.push(format!("no screenshot: {e:#}"));
        }
    }
}

/// Says plainly what each phase measured and what it could not.
fn describe_phases(
    report: &mut Report,
    opts: &DemoOptions,
    showcase: Option<&Showcase>,
    stop: &AtomicBool,
) {
    let compositor = if opts.no_compositor {
        "no compositor"
    } else {
        "zcx-compositor --layout normal --no-hud"
    };
    let mut notes: Vec<String> = opts
        .emulated_cpu
        .then(|| EMULATED_CPU_NOTE.to_owned())
        .into_iter()
        .collect();
    notes.push(format!(
        "measured phases: one per row, each path ALONE ({compositor}, one producer unscaled at (0, 0), {:.1} s observed); every figure of a row comes from its interval: CPU and context switches of producer, X server and compositor from /proc at both ends, on-screen fps, latency, dropped and torn frames from the screen observer reading the stamp rows, producer fps from the frame numbers in those stamps",
        opts.duration.as_secs_f64()
    ));
    for r in &report.runs {
        if let Some(stats) = &r.compositor_stats {
            notes.push(format!(
                "{}: zcx-compositor {}",
                r.name,
                compositor_line(stats)
            ));
        }
    }
    let copies_unit = report.memcpy_ms_per_frame.map_or(String::new(), |m| {
        format!(" (a memcpy of one frame took {m:.2} ms here)")
    });
    notes.push(format!("copies per frame (design) is a count from each path's design, not a measurement; the measured companion is the X server's CPU per frame on screen divided by a memcpy of one frame{copies_unit}"));
    if let Some(s) = showcase {
        let what = s
            .stats
            .as_ref()
            .map_or_else(|| "wrote no statistics".to_owned(), compositor_line);
        notes.push(format!("showcase phase ({:.1} s, the screenshot): every row's producer at once, scaled side by side with the HUD, shadows and borders — a picture, not a measurement: the paths share the X server and the compositor, and the scaled stamps cannot be read; the compositor's own figures: {what}", s.seconds));
    }
    if stop.load(Ordering::Relaxed) {
        notes.push("interrupted (Ctrl-C): the phases ended early; figures cover what ran".into());
    }
    if let Ok(l) = std::fs::read_to_string("/proc/loadavg") {
        let l: Vec<&str> = l.split_whitespace().take(3).collect();
        notes.push(format!("load average at the end: {}", l.join(" ")));
    }
    report.notes.extend(notes);
    report.add_comparison_notes();
}

/// `composited N frames (F fps, the rate its picture changed on screen), import/draw/present
/// p50 …, CPU … ms per composited frame (import path, present path)`.
fn compositor_line(s: &StatsReport) -> String {
    format!(
        "composited {} frames ({:.1} fps, the rate its picture changed on screen), import/draw/present p50 {:.1}/{:.1}/{:.1} ms, {:.1} CPU ms per composited frame ({} import, {} present)",
        s.frames,
        s.fps,
        s.import_ms.p50,
        s.draw_ms.p50,
        s.present_ms.p50,
        s.cpu_ms_per_frame,
        s.import,
        s.present,
    )
}

/// The tables, the notes and where the report is.
pub fn print_report(report: &Report, dir: &Path) {
    println!("\n{}", report::table(report));
    for n in &report.notes {
        println!("- {n}");
    }
    println!("\nreport: {}", dir.join("index.html").display());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_start_with_the_baseline_and_have_distinct_labels() {
        assert_eq!(ROWS[0].mode, Mode::PutImage);
        let mut labels: Vec<&str> = ROWS.iter().map(|r| r.label).collect();
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), ROWS.len());
        let c: crate::report::DesignCopies =
            interval::without_compositor_copy(ROWS[1].copies, false);
        assert_eq!(c.count, 1);
    }
}
