//! The report's data: the fixed `report.json` schema (versioned by [`SCHEMA`]), the machine it
//! ran on, and one [`Run`] per producer mode × compositor × repetition.

use serde::{Deserialize, Serialize};

use super::interval::{DesignCopies, Interval, PerScreenFrame};
use crate::observer::{ObservedFrame, WindowSummary};
use crate::stats::Percentiles;
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
}

/// A run's headline figure: end-to-end CPU ms per frame on screen.
pub fn end_to_end(run: &Run) -> Option<f64> {
    run.per_screen_frame.as_ref()?.end_to_end_cpu_ms
}
