//! `zcx bench`: the matrix of producer modes × compositors (zcx-compositor per importer that
//! works here, picom glx and xrender, xcompmgr, none), repeated with the repetitions
//! interleaved (every cell of repetition 1, then every cell of repetition 2, …) so that slow
//! drifts of the machine hit every cell alike. One cell = one unscaled producer at (0, 0) under
//! one compositor, observed on the screen for `--duration`, measured by
//! `session::measure_alone` exactly as a `zcx demo` row (same interval, same figures). `plan` decides what runs and what
//! is skipped (with the reason and the fix), `summary` reduces the repetitions to medians and
//! ratios against `put-image` measured in the same repetition. Ctrl-C ends the current cell
//! early and still writes the report of everything measured.

pub mod plan;
pub mod summary;

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use zcx_producer::transport::Mode;

use crate::observer::ObserverConfig;
use crate::report::{self, interval, Machine, Report, Run};
use crate::session::{self, measure_alone, Alone, CompositorChoice, Context, Display};
pub use plan::{plan, Plan};

/// The bench's options.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Producer modes (empty: every mode that works here).
    pub modes: Vec<Mode>,
    /// Compositors (empty: all of them, peers where installed).
    pub compositors: Vec<CompositorChoice>,
    pub reps: u32,
    /// Observation per cell.
    pub duration: Duration,
    pub size: (u32, u32),
    /// Producer `--fps` (`None`: as fast as the path allows, `--fps 0`).
    pub fps: Option<NonZeroU32>,
    pub out: Option<PathBuf>,
    pub display: Option<String>,
    pub target_dir: PathBuf,
    pub command: String,
    /// The display runs under an emulated CPU: the report says so (`demo::EMULATED_CPU_NOTE`).
    pub emulated_cpu: bool,
}

/// Producer frames left out of its own statistics in each cell.
const WARMUP_FRAMES: u32 = 5;

/// What every cell shares.
struct Bench<'a> {
    ctx: Context<'a>,
    opts: &'a BenchOptions,
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
    // Refused before anything is written: a refusal leaves no report folder behind.
    let plan = plan(&opts.modes, &opts.compositors, &probe)?;
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    for s in &plan.skipped {
        println!("skipped: {s}");
    }
    if opts.emulated_cpu {
        let note = crate::demo::EMULATED_CPU_NOTE;
        report.notes.push(note.to_owned());
    }
    report
        .notes
        .extend(plan.skipped.iter().map(|s| format!("skipped: {s}")));
    report.memcpy_ms_per_frame = Some(session::memcpy_ms(
        opts.size.0 as usize * opts.size.1 as usize * 4,
    ));
    let bench = Bench {
        ctx: Context::new(&c.conn, c.screen_num, &display.name, &dir, stop),
        opts,
    };
    report.observer_cost = session::observer_cost::measure(&bench.ctx);
    bench.run_matrix(&plan, &mut report);
    finish_report(&mut report, &dir, stop)?;
    drop(display);
    Ok(dir)
}

impl Bench<'_> {
    /// Every repetition of every cell, interleaved, behind a progress bar.
    fn run_matrix(&self, plan: &Plan, report: &mut Report) {
        let cells: Vec<(&CompositorChoice, Variant)> = plan
            .compositors
            .iter()
            .flat_map(|comp| {
                plan.modes.iter().flat_map(move |&mode| {
                    Variant::of(mode, comp).into_iter().map(move |v| (comp, v))
                })
            })
            .collect();
        let total = u64::from(self.opts.reps) * cells.len() as u64;
        let bar = ProgressBar::new(total).with_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} cells {msg} [{elapsed} < {eta}]")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        'matrix: for rep in 1..=self.opts.reps {
            for (comp, variant) in &cells {
                if self.ctx.stop.load(Ordering::Relaxed) {
                    break 'matrix;
                }
                let name = format!("{} / {} #{rep}", variant.label, comp.name());
                bar.set_message(name.clone());
                match self.run_cell(comp, variant, rep) {
                    Ok(run) => report.runs.push(run),
                    Err(e) => {
                        let msg = format!("{name} failed: {e:#}");
                        bar.println(format!("warning: {msg}"));
                        report.notes.push(msg);
                    }
                }
                bar.inc(1);
            }
        }
        bar.finish_and_clear();
    }

    /// One producer, unscaled at (0, 0), under one compositor, observed for the duration.
    fn run_cell(
        &self,
        comp: &CompositorChoice,
        variant: &Variant,
        rep: u32,
    ) -> anyhow::Result<Run> {
        let slug = comp.name().replace(':', "-");
        let mut producer_args = vec![
            "--size".to_owned(),
            format!("{}x{}", self.opts.size.0, self.opts.size.1),
            "--fps".to_owned(),
            self.opts.fps.map_or(0, NonZeroU32::get).to_string(),
            "--warmup".to_owned(),
            WARMUP_FRAMES.to_string(),
        ];
        producer_args.extend(variant.producer_args.iter().map(|&a| a.to_owned()));
        let composited = *comp != CompositorChoice::None;
        let cell = Alone {
            name: format!("{} / {} #{rep}", variant.label, comp.name()),
            mode: variant.mode,
            producer_args,
            compositor: comp,
            compositor_args: Vec::new(),
            duration: self.opts.duration,
            tag: format!("{}{slug}-{rep}", variant.tag),
            rep,
            copies: variant.copies(composited),
        };
        let mut run = measure_alone(&self.ctx, &cell)?;
        run.mode = variant.label.clone();
        Ok(run)
    }
}

/// A producer configuration of the matrix: a mode, and for shm-pixmap under zcx-compositor
/// both ways its frames can reach the compositor (`(present)`: PresentPixmap into the window;
/// `(handoff)`: handed straight to the compositor, README "Frame handoff"). Elsewhere
/// shm-pixmap always presents (`--handoff off`, so a bench never depends on who owns the
/// screen).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    /// The row's name: the mode, with the delivery for shm-pixmap.
    pub label: String,
    pub mode: Mode,
    pub producer_args: &'static [&'static str],
    /// Goes into file names, so that two variants of a mode do not share them.
    tag: &'static str,
    /// The copies a frame takes by design (`None` where the server decides: dri3).
    copies: Option<&'static [&'static str]>,
}

impl Variant {
    pub fn of(mode: Mode, comp: &CompositorChoice) -> Vec<Variant> {
        if mode != Mode::ShmPixmap {
            return vec![Variant {
                label: mode.name().to_owned(),
                mode,
                producer_args: &[],
                tag: "",
                copies: interval::copies_of(mode),
            }];
        }
        let present = Variant {
            label: "shm-pixmap (present)".into(),
            mode,
            producer_args: &["--handoff", "off"],
            tag: "present-",
            copies: Some(interval::SHM_PIXMAP_PRESENT_COPIES),
        };
        match comp {
            CompositorChoice::Zcx { .. } => vec![
                present,
                Variant {
                    label: "shm-pixmap (handoff)".into(),
                    mode,
                    producer_args: &["--handoff", "auto"],
                    tag: "handoff-",
                    copies: Some(interval::SHM_PIXMAP_HANDOFF_COPIES),
                },
            ],
            _ => vec![present],
        }
    }

    fn copies(&self, composited: bool) -> Option<crate::report::DesignCopies> {
        self.copies
            .map(|c| interval::without_compositor_copy(c, composited))
    }
}

/// Notes, `report.*`, `summary.md`, and the tables on stdout.
fn finish_report(report: &mut Report, dir: &Path, stop: &AtomicBool) -> anyhow::Result<()> {
    if stop.load(Ordering::Relaxed) {
        report.notes.push(
            "interrupted (Ctrl-C): the matrix stopped early; the last cell was cut short".into(),
        );
    }
    report.notes.push(format!("on-screen fps counts distinct frames seen by sampling the stamp rows {} times a second: rates above about half of that are lower bounds", ObserverConfig::default().samples_per_s));
    report.notes.push("every figure of a cell comes from its interval (the observation, one producer alone): CPU per frame on screen is the producer's, the X server's and the compositor's /proc CPU over it divided by the distinct frames the observer saw; the X server's part includes serving the compositor and the observer's small reads".into());
    if let Ok(l) = std::fs::read_to_string("/proc/loadavg") {
        let l: Vec<&str> = l.split_whitespace().take(3).collect();
        report
            .notes
            .push(format!("load average at the end: {}", l.join(" ")));
    }
    report.observer_cpu_percent = None;
    report.notes.extend(summary::comparison_notes(
        &report.runs,
        report.memcpy_ms_per_frame,
    ));
    report.add_context_notes();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shm_pixmap_has_both_deliveries_under_zcx_and_presents_elsewhere() {
        let zcx = CompositorChoice::Zcx {
            import: zcx_contracts::ImportMode::Auto,
        };
        let labels = |v: Vec<Variant>| v.into_iter().map(|v| v.label).collect::<Vec<_>>();
        assert_eq!(
            labels(Variant::of(Mode::ShmPixmap, &zcx)),
            ["shm-pixmap (present)", "shm-pixmap (handoff)"]
        );
        assert_eq!(
            labels(Variant::of(
                Mode::ShmPixmap,
                &CompositorChoice::PicomXrender
            )),
            ["shm-pixmap (present)"]
        );
        assert_eq!(labels(Variant::of(Mode::PutImage, &zcx)), ["put-image"]);
        let handoff = &Variant::of(Mode::ShmPixmap, &zcx)[1];
        assert_eq!(handoff.producer_args, ["--handoff", "auto"]);
        assert_eq!(handoff.copies(true).map(|c| c.count), Some(1));
        assert_eq!(
            Variant::of(Mode::ShmPixmap, &zcx)[0]
                .copies(true)
                .map(|c| c.count),
            Some(2)
        );
    }
}
