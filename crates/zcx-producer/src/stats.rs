//! Per-mode frame statistics: latency percentiles of each stage, the steady-state means of
//! CPU time, context switches and socket bytes per frame on both sides of the X socket, and how
//! much of the transport's frame memory is on huge pages.
//! Frames before `warmup` are left out (first-touch page faults, caches, server warm-up).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use zcx_contracts::{ContractError, Versioned};
use zcx_x11::metrics::{self, CpuSample, ProcCounters};
use zcx_x11::pages::FrameMemory;

use crate::transport::{Completion, Mode};

/// Counters of both sides of the socket, read together.
#[derive(Debug, Clone)]
pub struct Meters {
    pub server: Option<ProcCounters>,
    pub socket_bytes: Arc<AtomicU64>,
}

/// One reading of every counter.
#[derive(Debug, Clone, Copy)]
struct Snapshot {
    at: Instant,
    process: CpuSample,
    /// The X thread (the one that renders through rayon and talks to the server).
    thread: CpuSample,
    /// What the X thread spent inside rendering so far (waiting for the render workers).
    thread_in_render: CpuSample,
    server: Option<CpuSample>,
    socket_bytes: u64,
}

impl Meters {
    fn snapshot(&self, thread_in_render: CpuSample) -> Snapshot {
        Snapshot {
            at: Instant::now(),
            process: metrics::process_sample(),
            thread: metrics::thread_sample(),
            thread_in_render,
            server: self.server.as_ref().and_then(ProcCounters::sample),
            socket_bytes: self.socket_bytes.load(Ordering::Relaxed),
        }
    }
}

pub use zcx_contracts::Percentiles;

/// The `schema` of [`Summary`].
pub const SUMMARY_SCHEMA: &str = "zcx-producer-summary/2";

/// The summary of one mode's run; the keys are a public format (`--summary-json`, `_ZCX_STATS`;
/// README "zcx-producer"), read back strictly by zcx-bench ([`read_summaries`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    /// [`SUMMARY_SCHEMA`].
    pub schema: String,
    pub mode: Mode,
    pub width: u32,
    pub height: u32,
    /// Frames in the statistics (after the warm-up).
    pub frames: u64,
    pub warmup_frames: u64,
    pub fps: Option<f64>,
    pub render_ms: Option<Percentiles>,
    pub submit_ms: Option<Percentiles>,
    pub complete_ms: Option<Percentiles>,
    pub render_cpu_ms_per_frame: Option<f64>,
    pub client_cpu_ms_per_frame: Option<f64>,
    pub server_cpu_ms_per_frame: Option<f64>,
    pub client_ctx_switches_per_frame: Option<f64>,
    pub server_ctx_switches_per_frame: Option<f64>,
    pub socket_bytes_per_frame: Option<f64>,
    /// Frames in the statistics that were handed to the compositing manager instead of shown
    /// in the window by the server (README "Frame handoff").
    pub handoff_frames: u64,
    /// The transport's frame memory and how much of it is on huge pages (this process's
    /// `/proc/self/smaps` once the transport is set up); `None` for dri3, whose buffers are
    /// mapped only while written, or where smaps cannot be read.
    pub frame_memory: Option<FrameMemory>,
    pub server: String,
}

impl Versioned for Summary {
    const SCHEMA: &'static str = SUMMARY_SCHEMA;
    fn schema(&self) -> &str {
        &self.schema
    }
}

/// Reads a `--summary-json` file's text: one [`Summary`] per mode that ran, each with every
/// field, no unknown one, and this schema.
pub fn read_summaries(text: &str) -> Result<Vec<Summary>, ContractError> {
    zcx_contracts::read_json_list(text)
}

/// What the producer measured of one frame on its own thread.
#[derive(Debug, Clone, Copy)]
pub struct FrameRecord {
    pub frame: u64,
    /// The frame went to the compositing manager (`FrameTransport::handed_off`).
    pub handed_off: bool,
    pub render: Duration,
    /// The X thread's CPU and context switches while the frame was rendered.
    pub render_thread: CpuSample,
    pub submit: Duration,
    pub submitted_at: Instant,
}

/// Statistics of one mode since it started.
pub struct ModeStats {
    mode: Mode,
    width: u32,
    height: u32,
    warmup: u64,
    server: String,
    frames_seen: u64,
    first_steady_frame: Option<u64>,
    steady_frames: u64,
    handoff_frames: u64,
    render_us: Histogram<u64>,
    submit_us: Histogram<u64>,
    complete_us: Histogram<u64>,
    submitted: VecDeque<(u64, Instant)>,
    thread_in_render: CpuSample,
    steady_start: Option<Snapshot>,
    frame_memory: Option<FrameMemory>,
}

fn histogram() -> Histogram<u64> {
    // 1 µs to 10 min at three significant digits; the bounds are constants, so this cannot fail.
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("constant histogram bounds are valid")
}

fn micros(d: Duration) -> u64 {
    d.as_micros().clamp(1, 600_000_000) as u64
}

impl ModeStats {
    pub fn new(mode: Mode, width: u32, height: u32, warmup: u64, server: String) -> Self {
        ModeStats {
            mode,
            width,
            height,
            warmup,
            server,
            frames_seen: 0,
            first_steady_frame: None,
            steady_frames: 0,
            handoff_frames: 0,
            frame_memory: None,
            render_us: histogram(),
            submit_us: histogram(),
            complete_us: histogram(),
            submitted: VecDeque::new(),
            thread_in_render: CpuSample::default(),
            steady_start: None,
        }
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Call before rendering frame `frame`: starts the steady state after the warm-up.
    pub fn frame_starting(&mut self, frame: u64, meters: &Meters) {
        if self.frames_seen == self.warmup && self.steady_start.is_none() {
            self.steady_start = Some(meters.snapshot(self.thread_in_render));
            self.first_steady_frame = Some(frame);
        }
    }

    pub fn record_frame(&mut self, r: FrameRecord) {
        self.frames_seen += 1;
        self.thread_in_render.cpu += r.render_thread.cpu;
        self.thread_in_render.ctx_switches += r.render_thread.ctx_switches;
        self.submitted.push_back((r.frame, r.submitted_at));
        if self.submitted.len() > 64 {
            self.submitted.pop_front();
        }
        if self.is_steady(r.frame) {
            self.steady_frames += 1;
            self.handoff_frames += u64::from(r.handed_off);
            let _ = self.render_us.record(micros(r.render));
            let _ = self.submit_us.record(micros(r.submit));
        }
    }

    /// The transport's frame memory, as counted once it is set up.
    pub fn set_frame_memory(&mut self, memory: Option<FrameMemory>) {
        self.frame_memory = memory;
    }

    pub fn record_completion(&mut self, c: Completion) {
        let Some(i) = self.submitted.iter().position(|&(f, _)| f == c.frame) else {
            return;
        };
        let (frame, submitted_at) = self.submitted.remove(i).unwrap_or((c.frame, c.at));
        if self.is_steady(frame) {
            let _ = self
                .complete_us
                .record(micros(c.at.saturating_duration_since(submitted_at)));
        }
    }

    fn is_steady(&self, frame: u64) -> bool {
        self.first_steady_frame.is_some_and(|f| frame >= f)
    }

    /// The summary from the start of the steady state until now.
    pub fn summary(&self, meters: &Meters) -> Summary {
        let p = |h: &Histogram<u64>| {
            (!h.is_empty()).then(|| Percentiles {
                p50: h.value_at_quantile(0.50) as f64 / 1000.0,
                p99: h.value_at_quantile(0.99) as f64 / 1000.0,
            })
        };
        let mut s = Summary {
            schema: SUMMARY_SCHEMA.to_owned(),
            mode: self.mode,
            width: self.width,
            height: self.height,
            frames: self.steady_frames,
            handoff_frames: self.handoff_frames,
            warmup_frames: self.warmup,
            fps: None,
            render_ms: p(&self.render_us),
            submit_ms: p(&self.submit_us),
            complete_ms: p(&self.complete_us),
            render_cpu_ms_per_frame: None,
            client_cpu_ms_per_frame: None,
            server_cpu_ms_per_frame: None,
            client_ctx_switches_per_frame: None,
            server_ctx_switches_per_frame: None,
            socket_bytes_per_frame: None,
            frame_memory: self.frame_memory,
            server: self.server.clone(),
        };
        let (Some(start), true) = (self.steady_start, self.steady_frames > 0) else {
            return s;
        };
        let end = meters.snapshot(self.thread_in_render);
        let n = self.steady_frames as f64;
        let ms = |d: Duration| d.as_secs_f64() * 1000.0 / n;
        let process = end.process.since(&start.process);
        let thread = end.thread.since(&start.thread);
        let in_render = end.thread_in_render.since(&start.thread_in_render);
        let client = thread.since(&in_render);
        let elapsed = end.at.duration_since(start.at).as_secs_f64();
        s.fps = (elapsed > 0.0).then(|| n / elapsed);
        s.client_cpu_ms_per_frame = Some(ms(client.cpu));
        s.render_cpu_ms_per_frame = Some(ms(process.cpu.saturating_sub(client.cpu)));
        s.client_ctx_switches_per_frame = Some(client.ctx_switches as f64 / n);
        if let (Some(a), Some(b)) = (start.server, end.server) {
            let server = b.since(&a);
            s.server_cpu_ms_per_frame = Some(ms(server.cpu));
            s.server_ctx_switches_per_frame = Some(server.ctx_switches as f64 / n);
        }
        s.socket_bytes_per_frame =
            Some(end.socket_bytes.saturating_sub(start.socket_bytes) as f64 / n);
        s
    }
}

/// One line for the terminal, printed once a second.
pub fn stats_line(s: &Summary) -> String {
    let p50 = |p: Option<Percentiles>| p.map_or("-".to_owned(), |p| format!("{:.2}", p.p50));
    let f = |v: Option<f64>, prec: usize| v.map_or("-".to_owned(), |v| format!("{v:.prec$}"));
    format!(
        "{:<10} {:>6} fps | render {} ms | submit {} ms | complete {} ms | cpu/frame client {} server {} ms | ctx/frame client {} server {} | socket {} KiB/frame",
        s.mode,
        f(s.fps, 1),
        p50(s.render_ms),
        p50(s.submit_ms),
        p50(s.complete_ms),
        f(s.client_cpu_ms_per_frame, 2),
        f(s.server_cpu_ms_per_frame, 2),
        f(s.client_ctx_switches_per_frame, 1),
        f(s.server_ctx_switches_per_frame, 1),
        f(s.socket_bytes_per_frame.map(|b| b / 1024.0), 1),
    )
}

fn huge_percent(m: FrameMemory) -> String {
    format!("{:.0}%", m.huge_share() * 100.0)
}

/// The table printed at exit, one row per mode that ran.
pub fn summary_table(summaries: &[Summary]) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{:<10} {:>6} {:>7} {:>13} {:>13} {:>9} {:>9} {:>9} {:>9} {:>11} {:>6}\n",
        "mode",
        "frames",
        "fps",
        "submit p50/99",
        "complete p50/99",
        "render",
        "client",
        "server",
        "ctx c/s",
        "socket KiB",
        "huge"
    ));
    for s in summaries {
        let pp = |p: Option<Percentiles>| {
            p.map_or("-".to_owned(), |p| format!("{:.1}/{:.1}", p.p50, p.p99))
        };
        let f = |v: Option<f64>, prec: usize| v.map_or("-".to_owned(), |v| format!("{v:.prec$}"));
        out.push_str(&format!(
            "{:<10} {:>6} {:>7} {:>13} {:>13} {:>9} {:>9} {:>9} {:>9} {:>11} {:>6}\n",
            s.mode,
            s.frames,
            f(s.fps, 1),
            pp(s.submit_ms),
            pp(s.complete_ms),
            f(s.render_cpu_ms_per_frame, 2),
            f(s.client_cpu_ms_per_frame, 2),
            f(s.server_cpu_ms_per_frame, 2),
            format!(
                "{}/{}",
                f(s.client_ctx_switches_per_frame, 1),
                f(s.server_ctx_switches_per_frame, 1)
            ),
            f(s.socket_bytes_per_frame.map(|b| b / 1024.0), 1),
            s.frame_memory.map_or("-".to_owned(), huge_percent),
        ));
    }
    out.push_str("(times in ms; render/client/server = CPU ms per frame; ctx = context switches per frame; huge = frame memory on huge pages)\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_read_back_strictly_as_written() {
        let stats = ModeStats::new(Mode::ShmPixmap, 64, 32, 5, "Xvfb 1".into());
        let meters = Meters {
            server: None,
            socket_bytes: Arc::new(AtomicU64::new(0)),
        };
        let written = vec![stats.summary(&meters)];
        let text = serde_json::to_string(&written).expect("serializable");
        assert!(text.contains(r#""mode":"shm-pixmap""#), "{text}");
        assert_eq!(read_summaries(&text).expect("reads back"), written);
        let renamed = text.replace("\"socket_bytes_per_frame\"", "\"socket_bytes\"");
        let e = read_summaries(&renamed).expect_err("renamed field");
        assert!(e.to_string().contains(SUMMARY_SCHEMA), "{e}");
    }
}
