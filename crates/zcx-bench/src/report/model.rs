//! The report's data: the fixed `report.json` schema (versioned by [`SCHEMA`]), the machine it
//! ran on, and one [`Run`] per producer mode × compositor × repetition.

use serde::{Deserialize, Serialize};

use super::interval::{DesignCopies, Interval, PerScreenFrame};
use crate::observer::{ObservedFrame, WindowSummary};
use crate::stats::{median, Percentiles};
use zcx_contracts::StatsReport;
use zcx_producer::stats::Summary;
use zcx_x11::pages::{self, FrameMemory};

/// The schema name written into every report; bump when a key changes meaning.
pub const SCHEMA: &str = "zcx-report/4";

/// Where the figures were measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    pub cpu_model: String,
    pub cores: usize,
    pub kernel: String,
    pub x_vendor: String,
    pub x_release: u32,
    pub gl_renderer: Option<String>,
    /// The kernel's huge-page policy (`/sys/kernel/mm/transparent_hugepage`) for private
    /// anonymous memory (`enabled`) and for shared memory (`shmem_enabled`).
    #[serde(default)]
    pub thp_enabled: Option<String>,
    #[serde(default)]
    pub thp_shmem_enabled: Option<String>,
}

impl Machine {
    /// This machine's CPU and kernel, with the X server and renderer the caller probed.
    pub fn detect(x_vendor: String, x_release: u32, gl_renderer: Option<String>) -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split_once(':')))
            .map_or_else(|| "unknown".to_owned(), |(_, v)| v.trim().to_owned());
        let (thp_enabled, thp_shmem_enabled) = pages::thp_policy();
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map_or_else(|_| "unknown".to_owned(), |s| s.trim().to_owned());
        Machine {
            cpu_model,
            cores: std::thread::available_parallelism().map_or(1, usize::from),
            kernel,
            x_vendor,
            x_release,
            gl_renderer,
            thp_enabled,
            thp_shmem_enabled,
        }
    }
}

impl From<&Summary> for ProducerFigures {
    fn from(s: &Summary) -> Self {
        let p = |p: Option<zcx_contracts::Percentiles>| {
            p.map(|p| Percentiles {
                p50: p.p50,
                p99: p.p99,
            })
        };
        ProducerFigures {
            mode: s.mode.name().to_owned(),
            frames: s.frames,
            fps: s.fps,
            render_ms: p(s.render_ms),
            submit_ms: p(s.submit_ms),
            complete_ms: p(s.complete_ms),
            render_cpu_ms_per_frame: s.render_cpu_ms_per_frame,
            client_cpu_ms_per_frame: s.client_cpu_ms_per_frame,
            server_cpu_ms_per_frame: s.server_cpu_ms_per_frame,
            client_ctx_switches_per_frame: s.client_ctx_switches_per_frame,
            server_ctx_switches_per_frame: s.server_ctx_switches_per_frame,
            socket_bytes_per_frame: s.socket_bytes_per_frame,
            frame_memory: s.frame_memory,
        }
    }
}

/// What the producer reported about itself (a subset of its `--summary-json` keys).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProducerFigures {
    pub mode: String,
    pub frames: u64,
    pub fps: Option<f64>,
    pub render_ms: Option<Percentiles>,
    pub submit_ms: Option<Percentiles>,
    pub complete_ms: Option<Percentiles>,
    /// CPU per frame made spent rendering (the producer's own count over its run).
    pub render_cpu_ms_per_frame: Option<f64>,
    pub client_cpu_ms_per_frame: Option<f64>,
    pub server_cpu_ms_per_frame: Option<f64>,
    pub client_ctx_switches_per_frame: Option<f64>,
    pub server_ctx_switches_per_frame: Option<f64>,
    pub socket_bytes_per_frame: Option<f64>,
    /// The transport's frame memory and how much of it was on huge pages.
    #[serde(default)]
    pub frame_memory: Option<FrameMemory>,
}

/// The observer's cost to the X server, per second of observation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ObserverCost {
    /// X server CPU ms per second while observing, over that of the quiet stretch.
    pub server_ms_per_s: f64,
    /// Sampling rounds per second the observer achieved meanwhile.
    pub rounds_per_s: f64,
}

impl ObserverCost {
    /// What it charged a run that observed `seconds` at `rounds_per_s`: the cost scaled by the
    /// rounds (the X server's work is per request).
    pub fn charged_ms(&self, seconds: f64, rounds_per_s: f64) -> f64 {
        if self.rounds_per_s <= 0.0 {
            return 0.0;
        }
        self.server_ms_per_s * seconds * rounds_per_s / self.rounds_per_s
    }
}

/// One producer in one configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// `<mode> / <compositor>` (plus `#rep` when repeated).
    pub name: String,
    pub mode: String,
    pub compositor: String,
    pub rep: u32,
    pub producer: Option<ProducerFigures>,
    /// zcx-compositor's `--stats-json`, as written (absent for peers, and when it wrote none).
    pub compositor_stats: Option<StatsReport>,
    /// Compositor CPU per composited frame: from zcx-compositor's stats, or for peers from
    /// /proc over the observation divided by the frames seen on screen.
    pub compositor_cpu_ms_per_frame: Option<f64>,
    /// Compositor CPU over the observation in percent of one core (/proc), when measured.
    #[serde(default)]
    pub compositor_cpu_percent: Option<f64>,
    /// The counts of this run's interval (its observation), where every headline figure comes
    /// from.
    #[serde(default)]
    pub interval: Option<Interval>,
    /// The interval's figures per frame seen on the screen.
    #[serde(default)]
    pub per_screen_frame: Option<PerScreenFrame>,
    /// The path's copies per frame by design (not measured).
    #[serde(default)]
    pub copies: Option<DesignCopies>,
    /// What the screen observer saw of this producer's window.
    pub screen: Option<WindowSummary>,
    /// Frames seen on screen (these go to `frames.csv`, not `report.json`).
    #[serde(skip)]
    pub frames: Vec<ObservedFrame>,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema: String,
    pub created_unix_s: u64,
    pub command: String,
    pub machine: Machine,
    pub observer_cpu_percent: Option<f64>,
    /// A memcpy of one frame timed in this run (the unit of the measured copies column).
    #[serde(default)]
    pub memcpy_ms_per_frame: Option<f64>,
    /// What the observer's reads cost the X server (`session::observer_cost`), measured
    /// before the runs.
    #[serde(default)]
    pub observer_cost: Option<ObserverCost>,
    pub runs: Vec<Run>,
    /// Plain statements about the result (including where it contradicts expectations).
    pub notes: Vec<String>,
}

impl Report {
    pub fn new(command: String, machine: Machine) -> Report {
        Report {
            schema: SCHEMA.to_owned(),
            created_unix_s: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            command,
            machine,
            observer_cpu_percent: None,
            memcpy_ms_per_frame: None,
            observer_cost: None,
            runs: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// The `put-image` run under the same compositor used as the baseline for ratios: the
    /// one of the same repetition when there is one, else any.
    pub fn baseline(&self, compositor: &str, rep: u32) -> Option<&Run> {
        let candidates = || {
            self.runs
                .iter()
                .filter(move |r| r.mode == "put-image" && r.compositor == compositor)
        };
        candidates()
            .find(|r| r.rep == rep)
            .or_else(|| candidates().next())
    }

    /// Adds the notes that compare each path with put-image on the headline (end-to-end CPU
    /// per frame on screen) and on latency, saying plainly where the measurement contradicts
    /// the expectation (≥ 3.5× less CPU, zero socket bytes, the shared path no later).
    pub fn add_comparison_notes(&mut self) {
        let mut notes = Vec::new();
        for run in self.runs.iter().filter(|r| r.mode != "put-image") {
            let Some(base) = self.baseline(&run.compositor, run.rep) else {
                continue;
            };
            if let Some((b, r)) = end_to_end(base).zip(end_to_end(run)) {
                let ratio = b / r.max(1e-9);
                let verdict = if ratio >= 3.5 {
                    "as expected (≥ 3.5×)"
                } else {
                    "LESS than the 3.5× expected"
                };
                notes.push(format!(
                    "{}: {ratio:.1}× less end-to-end CPU per frame on screen than {} ({r:.2} vs {b:.2} ms) — {verdict}",
                    run.name, base.name
                ));
            }
            let p50 = |r: &Run| Some(r.screen.as_ref()?.latency_ms?.p50);
            if let Some((b, r)) = p50(base).zip(p50(run)).filter(|(b, r)| r > b) {
                notes.push(format!(
                    "{}: reaches the screen LATER than {} (latency p50 {r:.1} vs {b:.1} ms)",
                    run.name, base.name
                ));
            }
            notes.extend(self.floor_note(run, base));
            if let Some(bytes) = run.producer.as_ref().and_then(|p| p.socket_bytes_per_frame) {
                let pixel_free = bytes < 1024.0;
                notes.push(format!(
                    "{}: {bytes:.0} bytes per frame through the X socket ({})",
                    run.name,
                    if pixel_free {
                        "requests only, no pixels"
                    } else {
                        "pixels DID cross the socket"
                    }
                ));
            }
        }
        notes.extend(self.huge_page_note());
        notes.extend(self.observer_note());
        self.notes.extend(notes);
    }
}

impl Report {
    /// For a path whose design is one copy: its floor (see [`one_copy_floor`]), how near the
    /// run came, and put-image's headline over that floor: the most any one-copy path could
    /// show against put-image on this machine.
    fn floor_note(&self, run: &Run, base: &Run) -> Option<String> {
        let memcpy = self.memcpy_ms_per_frame?;
        let floor = one_copy_floor(run, memcpy)?;
        let (measured, put_image) = (end_to_end(run)?, end_to_end(base)?);
        Some(format!(
            "{}: its floor is rendering plus one copy, {:.2} ms per frame on screen \
             (rendering {:.2} ms by the producer's own count, one memcpy of the frame \
             {memcpy:.2} ms); it measured {measured:.2} ({:.2}× the floor); {} ÷ the floor is \
             {:.1}×, the most a one-copy path can show against it here",
            run.name,
            floor.total(),
            floor.render_ms,
            measured / floor.total(),
            base.name,
            put_image / floor.total()
        ))
    }

    /// Where the modes' frame memory differs in page size (the kernel gives huge pages to
    /// private memory and, by default, not to shared memory), which shows in their rendering
    /// cost: each mode's share on huge pages and rendering CPU per frame made (medians over its
    /// runs), the system's policy, and how to give shared memory huge pages too.
    pub fn huge_page_note(&self) -> Option<String> {
        let per_mode: Vec<(&str, f64, Option<f64>)> = self
            .rows()
            .into_iter()
            .filter_map(|row| {
                let figures: Vec<&ProducerFigures> = self
                    .runs
                    .iter()
                    .filter(|r| row_of(r) == row)
                    .filter_map(|r| r.producer.as_ref())
                    .collect();
                let shares: Vec<f64> = figures
                    .iter()
                    .filter_map(|p| Some(p.frame_memory?.huge_share()))
                    .collect();
                let renders: Vec<f64> = figures
                    .iter()
                    .filter_map(|p| p.render_cpu_ms_per_frame)
                    .collect();
                Some((row, median(&shares)?, median(&renders)))
            })
            .collect();
        let huge = |share: f64| share >= 0.5;
        if per_mode.iter().all(|m| huge(m.1)) || per_mode.iter().all(|m| !huge(m.1)) {
            return None;
        }
        let modes: Vec<String> = per_mode
            .iter()
            .map(|(mode, share, render)| {
                let render = render.map_or_else(String::new, |r| format!(", rendering {r:.2} ms"));
                format!("{mode} {:.0}%{render}", share * 100.0)
            })
            .collect();
        let policy = |p: &Option<String>| p.clone().unwrap_or_else(|| "unknown".into());
        Some(format!(
            "frame memory on huge pages (the producer's /proc/self/smaps; rendering CPU per \
             frame made): {}. The kernel decides per kind of memory: private memory (put-image's \
             buffer) follows transparent_hugepage/enabled ({}), shared memory (the shared paths' \
             segments) shmem_enabled ({}); rendering writes every page of a frame, and on small \
             pages a thread that wakes once per frame pays a page walk for most of them. As root, `echo advise > /sys/kernel/mm/transparent_hugepage/shmem_enabled` gives the \
             shared segments huge pages too",
            modes.join("; "),
            policy(&self.machine.thp_enabled),
            policy(&self.machine.thp_shmem_enabled),
        ))
    }
}

impl Report {
    /// What the observer's reads added to each mode's X CPU per frame on screen (every row
    /// pays them: they are the measurement's, not the path's), and put-image's headline over
    /// each other mode's with them taken out of both (same compositor and repetition; medians
    /// over the runs).
    pub fn observer_note(&self) -> Option<String> {
        let cost = self.observer_cost?;
        let charged = |r: &Run| {
            let i = r.interval.as_ref()?;
            (i.screen_frames > 0).then(|| {
                cost.charged_ms(i.seconds, i.sampling_rounds_per_s) / i.screen_frames as f64
            })
        };
        let without = |r: &Run| Some(end_to_end(r)? - charged(r)?);
        let parts: Vec<String> = self
            .rows()
            .into_iter()
            .filter_map(|row| {
                let runs: Vec<&Run> = self.runs.iter().filter(|r| row_of(r) == row).collect();
                let share = median(&runs.iter().filter_map(|r| charged(r)).collect::<Vec<_>>())?;
                let ratios: Vec<f64> = runs
                    .iter()
                    .filter(|r| r.mode != "put-image")
                    .filter_map(|r| {
                        let base = self.baseline(&r.compositor, r.rep)?;
                        Some(without(base)? / without(r)?.max(1e-9))
                    })
                    .collect();
                Some(match median(&ratios) {
                    Some(q) => {
                        format!("{row} {share:.2} ms (put-image ÷ this without them {q:.1}×)")
                    }
                    None => format!("{row} {share:.2} ms"),
                })
            })
            .collect();
        (!parts.is_empty()).then(|| {
            format!(
                "the observer's reads cost the X server {:.1} ms per second at {:.0} rounds a \
                 second (measured over a still window before the runs) and are part of every \
                 run's X CPU; per frame on screen: {}",
                cost.server_ms_per_s,
                cost.rounds_per_s,
                parts.join("; ")
            )
        })
    }
}

impl Report {
    /// The report's rows (a demo row, a bench cell) in the order they first ran.
    fn rows(&self) -> Vec<&str> {
        let mut rows: Vec<&str> = Vec::new();
        for r in &self.runs {
            if !rows.contains(&row_of(r)) {
                rows.push(row_of(r));
            }
        }
        rows
    }
}

/// The row a run belongs to: its name without the repetition (`put-image / zcx:auto #2` is a
/// repetition of `put-image / zcx:auto`).
fn row_of(run: &Run) -> &str {
    match run.name.rsplit_once(" #") {
        Some((row, rep)) if rep.parse::<u32>().is_ok() => row,
        _ => &run.name,
    }
}

/// The least a frame on screen can cost on a path whose design is one copy: the producer's
/// rendering (its own count, per frame on screen) plus one memcpy of the frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Floor {
    pub render_ms: f64,
    pub memcpy_ms: f64,
}

impl Floor {
    pub fn total(self) -> f64 {
        self.render_ms + self.memcpy_ms
    }
}

/// `run`'s floor, given the time of one memcpy of a frame on this machine; `None` for a path
/// of more than one copy, or where a figure is missing.
pub fn one_copy_floor(run: &Run, memcpy_ms: f64) -> Option<Floor> {
    if run.copies.as_ref()?.count != 1 || memcpy_ms <= 0.0 {
        return None;
    }
    let interval = run.interval.as_ref()?;
    let made_per_seen = interval.producer_frames? as f64 / interval.screen_frames.max(1) as f64;
    Some(Floor {
        render_ms: run.producer.as_ref()?.render_cpu_ms_per_frame? * made_per_seen,
        memcpy_ms,
    })
}

/// A run's headline figure: end-to-end CPU ms per frame on screen.
pub fn end_to_end(run: &Run) -> Option<f64> {
    run.per_screen_frame.as_ref()?.end_to_end_cpu_ms
}
