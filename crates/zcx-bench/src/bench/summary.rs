//! Reduces a bench's repetitions to one row per cell (compositor × mode, in the order they
//! ran): medians over repetitions of producer fps, on-screen fps and latency, client + X
//! server CPU per frame, compositor CPU, and the CPU ratio against `put-image` under the same
//! compositor, taken per repetition (both measured minutes apart at most) before the median.

use std::fmt::Write as _;

use crate::report::{ProducerFigures, Run};
use crate::stats::median;

/// One cell's medians.
#[derive(Debug, Clone, PartialEq)]
pub struct CellSummary {
    pub compositor: String,
    pub mode: String,
    pub reps: usize,
    pub producer_fps: Option<f64>,
    pub screen_fps: Option<f64>,
    pub latency_p50_ms: Option<f64>,
    pub torn_frames: u64,
    pub cpu_ms_per_frame: Option<f64>,
    pub compositor_cpu_ms_per_frame: Option<f64>,
    pub compositor_cpu_percent: Option<f64>,
    pub display_cpu_ms_per_screen_frame: Option<f64>,
    /// This mode's client + X server CPU per frame over put-image's, same compositor and rep.
    pub cpu_vs_put_image: Option<f64>,
    pub socket_bytes_per_frame: Option<f64>,
}

/// Client + X server CPU per frame.
pub fn transport_cpu(p: &ProducerFigures) -> Option<f64> {
    Some(p.client_cpu_ms_per_frame? + p.server_cpu_ms_per_frame.unwrap_or(0.0))
}

fn med(runs: &[&Run], f: impl Fn(&Run) -> Option<f64>) -> Option<f64> {
    let v: Vec<f64> = runs.iter().filter_map(|r| f(r)).collect();
    median(&v)
}

/// One row per cell in the order the cells first ran.
pub fn summarize(runs: &[Run]) -> Vec<CellSummary> {
    let mut keys: Vec<(&str, &str)> = Vec::new();
    for r in runs {
        let k = (r.compositor.as_str(), r.mode.as_str());
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys.into_iter()
        .map(|(comp, mode)| {
            let cell: Vec<&Run> = runs
                .iter()
                .filter(|r| r.compositor == comp && r.mode == mode)
                .collect();
            let ratio = |r: &Run| {
                let base = runs
                    .iter()
                    .find(|b| b.mode == "put-image" && b.compositor == comp && b.rep == r.rep)?;
                let b = transport_cpu(base.producer.as_ref()?)?;
                Some(transport_cpu(r.producer.as_ref()?)? / b.max(1e-9))
            };
            CellSummary {
                compositor: comp.to_owned(),
                mode: mode.to_owned(),
                reps: cell.len(),
                producer_fps: med(&cell, |r| r.producer.as_ref()?.fps),
                screen_fps: med(&cell, |r| r.screen.as_ref()?.delivered_fps),
                latency_p50_ms: med(&cell, |r| Some(r.screen.as_ref()?.latency_ms?.p50)),
                torn_frames: cell
                    .iter()
                    .filter_map(|r| r.screen.as_ref())
                    .map(|s| s.torn_frames)
                    .sum(),
                cpu_ms_per_frame: med(&cell, |r| transport_cpu(r.producer.as_ref()?)),
                compositor_cpu_ms_per_frame: med(&cell, |r| r.compositor_cpu_ms_per_frame),
                compositor_cpu_percent: med(&cell, |r| r.compositor_cpu_percent),
                display_cpu_ms_per_screen_frame: med(&cell, |r| r.display_cpu_ms_per_screen_frame),
                cpu_vs_put_image: med(&cell, ratio),
                socket_bytes_per_frame: med(&cell, |r| r.producer.as_ref()?.socket_bytes_per_frame),
            }
        })
        .collect()
}

/// The comparison with `put-image` per cell, on the medians, saying plainly where the
/// measurement contradicts the expectation (≥ 3.5× less CPU, no pixels through the socket).
pub fn comparison_notes(runs: &[Run]) -> Vec<String> {
    let mut notes = Vec::new();
    for c in summarize(runs).iter().filter(|c| c.mode != "put-image") {
        let cell = format!("{} / {}", c.mode, c.compositor);
        if let Some(r) = c.cpu_vs_put_image.filter(|r| *r > 0.0) {
            let verdict = if 1.0 / r >= 3.5 {
                "as expected (≥ 3.5×)"
            } else {
                "LESS than the 3.5× expected"
            };
            notes.push(format!(
                "{cell}: {:.1}× less client+X-server CPU per frame than put-image (median over {} repetitions) — {verdict}",
                1.0 / r,
                c.reps
            ));
        }
        if let Some(b) = c.socket_bytes_per_frame.filter(|b| *b >= 1024.0) {
            notes.push(format!(
                "{cell}: {b:.0} bytes per frame through the X socket: pixels DID cross the socket"
            ));
        }
    }
    notes
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "–".to_owned(), |v| format!("{v:.digits$}"))
}

/// The medians as a Markdown table (also readable in a terminal).
pub fn table(runs: &[Run]) -> String {
    let mut s = String::from(
        "| compositor | mode | reps | producer fps | on-screen fps | latency p50 ms | torn | client+X CPU ms/f | compositor CPU ms/f | compositor CPU % | compositor+X CPU ms/screen frame | CPU vs put-image |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for c in summarize(runs) {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            c.compositor,
            c.mode,
            c.reps,
            opt(c.producer_fps, 1),
            opt(c.screen_fps, 1),
            opt(c.latency_p50_ms, 1),
            c.torn_frames,
            opt(c.cpu_ms_per_frame, 2),
            opt(c.compositor_cpu_ms_per_frame, 2),
            opt(c.compositor_cpu_percent, 0),
            opt(c.display_cpu_ms_per_screen_frame, 1),
            c.cpu_vs_put_image
                .map_or("–".into(), |r| format!("{r:.2}×")),
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(comp: &str, mode: &str, rep: u32, cpu: f64) -> Run {
        Run {
            name: format!("{mode} / {comp} #{rep}"),
            mode: mode.into(),
            compositor: comp.into(),
            rep,
            producer: Some(ProducerFigures {
                mode: mode.into(),
                fps: Some(cpu),
                client_cpu_ms_per_frame: Some(cpu),
                ..Default::default()
            }),
            compositor_stats: None,
            compositor_cpu_ms_per_frame: None,
            compositor_cpu_percent: Some(10.0 * f64::from(rep)),
            display_cpu_ms_per_screen_frame: None,
            screen: None,
            frames: Vec::new(),
        }
    }

    #[test]
    fn medians_over_reps_and_ratios_within_each_rep() {
        // put-image drifts 10 → 20 → 40 between reps; shm stays at 1/10 of it in each rep.
        let mut runs = Vec::new();
        for (rep, base) in [(1, 10.0), (2, 20.0), (3, 40.0)] {
            runs.push(run("none", "put-image", rep, base));
            runs.push(run("none", "shm-pixmap", rep, base / 10.0));
        }
        let cells = summarize(&runs);
        assert_eq!(cells.len(), 2);
        assert_eq!((cells[0].mode.as_str(), cells[0].reps), ("put-image", 3));
        assert_eq!(cells[1].cpu_ms_per_frame, Some(2.0));
        assert_eq!(cells[1].cpu_vs_put_image, Some(0.1));
        assert_eq!(cells[0].compositor_cpu_percent, Some(20.0));
        let notes = comparison_notes(&runs);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(
            notes[0].contains("10.0× less") && notes[0].contains("as expected"),
            "{notes:?}"
        );
        let t = table(&runs);
        assert!(
            t.contains("| none | shm-pixmap | 3 |") && t.contains("0.10×"),
            "{t}"
        );
    }
}
