//! Reduces a bench's repetitions to one row per cell (compositor × mode, in the order they
//! ran): medians over repetitions of the same figures a `zcx demo` row has (end-to-end CPU per
//! frame on screen, producer and on-screen fps, latency, compositor CPU), and put-image's
//! end-to-end CPU divided by the cell's under the same compositor, taken per repetition (both
//! measured minutes apart at most) before the median. A one-copy cell is also set against its
//! floor (rendering plus one memcpy of the frame), per repetition before the median.

use std::fmt::Write as _;

use crate::report::notes::one_copy_floor;
use crate::report::{end_to_end, Run};
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
    pub latency_p99_ms: Option<f64>,
    /// End-to-end CPU per frame on screen (producer + X server + compositor).
    pub end_to_end_cpu_ms: Option<f64>,
    pub server_cpu_ms: Option<f64>,
    pub compositor_cpu_ms_per_frame: Option<f64>,
    pub compositor_cpu_percent: Option<f64>,
    /// put-image's end-to-end CPU per frame on screen over this cell's, same compositor and rep.
    pub put_image_over_this: Option<f64>,
    pub copies: Option<usize>,
    pub socket_bytes_per_frame: Option<f64>,
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
            let ratio =
                |r: &Run| Some(end_to_end(put_image_of(runs, r)?)? / end_to_end(r)?.max(1e-9));
            CellSummary {
                compositor: comp.to_owned(),
                mode: mode.to_owned(),
                reps: cell.len(),
                producer_fps: med(&cell, |r| r.interval.as_ref()?.producer_fps),
                screen_fps: med(&cell, |r| r.screen.as_ref()?.delivered_fps),
                latency_p50_ms: med(&cell, |r| Some(r.screen.as_ref()?.latency_ms?.p50)),
                torn_frames: cell
                    .iter()
                    .filter_map(|r| r.screen.as_ref())
                    .map(|s| s.torn_frames)
                    .sum(),
                latency_p99_ms: med(&cell, |r| Some(r.screen.as_ref()?.latency_ms?.p99)),
                end_to_end_cpu_ms: med(&cell, end_to_end),
                server_cpu_ms: med(&cell, |r| r.per_screen_frame.as_ref()?.server_cpu_ms),
                compositor_cpu_ms_per_frame: med(&cell, |r| r.compositor_cpu_ms_per_frame),
                compositor_cpu_percent: med(&cell, |r| r.compositor_cpu_percent),
                put_image_over_this: med(&cell, ratio),
                copies: cell.iter().find_map(|r| Some(r.copies.as_ref()?.count)),
                socket_bytes_per_frame: med(&cell, |r| r.producer.as_ref()?.socket_bytes_per_frame),
            }
        })
        .collect()
}

/// The comparison with `put-image` per cell, on the medians, saying plainly where the
/// measurement contradicts the expectation (≥ 3.5× less CPU, no pixels through the socket);
/// with the time of one memcpy of a frame, each one-copy cell's floor too.
pub fn comparison_notes(runs: &[Run], memcpy_ms: Option<f64>) -> Vec<String> {
    let mut notes = Vec::new();
    for c in summarize(runs).iter().filter(|c| c.mode != "put-image") {
        let cell = format!("{} / {}", c.mode, c.compositor);
        if let Some(r) = c.put_image_over_this {
            let verdict = if r >= 3.5 {
                "as expected (≥ 3.5×)"
            } else {
                "LESS than the 3.5× expected"
            };
            notes.push(format!(
                "{cell}: {r:.1}× less end-to-end CPU per frame on screen than put-image (median over {} repetitions) — {verdict}",
                c.reps
            ));
        }
        notes.extend(memcpy_ms.and_then(|m| floor_note(runs, c, m)));
        if let Some(b) = c.socket_bytes_per_frame.filter(|b| *b >= 1024.0) {
            notes.push(format!(
                "{cell}: {b:.0} bytes per frame through the X socket: pixels DID cross the socket"
            ));
        }
    }
    notes
}

/// A one-copy cell against its floor, medians over repetitions: the floor, the cell's headline
/// over it, and put-image's headline over it (same compositor and repetition), the most any
/// one-copy path could show here.
fn floor_note(runs: &[Run], c: &CellSummary, memcpy_ms: f64) -> Option<String> {
    let cell: Vec<&Run> = runs
        .iter()
        .filter(|r| r.compositor == c.compositor && r.mode == c.mode)
        .collect();
    let floor = |r: &Run| Some(one_copy_floor(r, memcpy_ms)?.total());
    let over_floor = |r: &Run| Some(end_to_end(r)? / floor(r)?);
    let put_image_over_floor = |r: &Run| Some(end_to_end(put_image_of(runs, r)?)? / floor(r)?);
    let total = med(&cell, floor)?;
    Some(format!(
        "{} / {}: its floor, rendering plus one memcpy of the frame ({memcpy_ms:.2} ms), is \
         {total:.2} ms per frame on screen; it measured {}× the floor, and put-image ÷ the floor \
         is {}×, the most a one-copy path can show against put-image here (medians over {} \
         repetitions)",
        c.mode,
        c.compositor,
        opt(med(&cell, over_floor), 2),
        opt(med(&cell, put_image_over_floor), 1),
        c.reps
    ))
}

/// The put-image run of `r`'s compositor and repetition: the baseline of its ratios.
fn put_image_of<'r>(runs: &'r [Run], r: &Run) -> Option<&'r Run> {
    runs.iter()
        .find(|b| b.mode == "put-image" && b.compositor == r.compositor && b.rep == r.rep)
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "–".to_owned(), |v| format!("{v:.digits$}"))
}

/// The medians as a Markdown table (also readable in a terminal).
pub fn table(runs: &[Run]) -> String {
    let mut s = String::from(
        "| compositor | mode | reps | CPU ms per frame on screen | put-image ÷ this | copies (design) | latency p50/p99 ms | on-screen fps | producer fps | torn | X CPU ms/f | compositor CPU ms/f | compositor CPU % |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for c in summarize(runs) {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {}/{} | {} | {} | {} | {} | {} | {} |",
            c.compositor,
            c.mode,
            c.reps,
            opt(c.end_to_end_cpu_ms, 2),
            c.put_image_over_this
                .map_or("–".into(), |r| format!("{r:.1}×")),
            c.copies.map_or("–".into(), |n| n.to_string()),
            opt(c.latency_p50_ms, 1),
            opt(c.latency_p99_ms, 1),
            opt(c.screen_fps, 1),
            opt(c.producer_fps, 1),
            c.torn_frames,
            opt(c.server_cpu_ms, 2),
            opt(c.compositor_cpu_ms_per_frame, 2),
            opt(c.compositor_cpu_percent, 0),
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observer::ObservedFrame;
    use crate::report::{DesignCopies, Interval, ProducerFigures, Spent};

    fn run(comp: &str, mode: &str, rep: u32, cpu: f64) -> Run {
        let frames: Vec<ObservedFrame> = (0..10)
            .map(|f| ObservedFrame {
                frame: f,
                first_seen_ns: f * 20_000_000 + 1,
                stamp_ns: f * 10_000_000,
                latency_ms: 1.0,
                torn: false,
            })
            .collect();
        let spent = Some(Spent {
            cpu_ms: cpu * 10.0,
            ctx_switches: 10,
        });
        let interval = Interval::new(
            1.0,
            250.0,
            &frames,
            [spent, Some(Spent::default()), None],
            false,
        );
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
            per_screen_frame: Some(interval.per_screen_frame()),
            interval: Some(interval),
            copies: None,
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
        assert_eq!(cells[1].end_to_end_cpu_ms, Some(2.0));
        assert_eq!(cells[1].put_image_over_this, Some(10.0));
        assert_eq!(cells[1].producer_fps, Some(100.0));
        assert_eq!(cells[0].compositor_cpu_percent, Some(20.0));
        let notes = comparison_notes(&runs, Some(1.0));
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(
            notes[0].contains("10.0× less") && notes[0].contains("as expected"),
            "{notes:?}"
        );
        let t = table(&runs);
        assert!(
            t.contains("| none | shm-pixmap | 3 | 2.00 | 10.0× |"),
            "{t}"
        );
    }

    #[test]
    fn a_one_copy_cell_is_set_against_its_floor_per_repetition() {
        // Rendering 1.0 ms per frame made, 9 made per 10 seen: 0.9 per frame on screen; one
        // memcpy 0.5 ms: the floor is 1.4 ms in every rep. put-image drifts 10 → 20 → 40 and
        // the handoff stays at a tenth of it: over the floor 0.71, 1.43, 2.86; put-image over
        // the floor 7.1, 14.3, 28.6.
        let mut runs = Vec::new();
        for (rep, base) in [(1, 10.0), (2, 20.0), (3, 40.0)] {
            runs.push(run("zcx", "put-image", rep, base));
            let mut handoff = run("zcx", "shm-pixmap (handoff)", rep, base / 10.0);
            handoff.copies = Some(DesignCopies::new(&["copy to the screen"]));
            if let Some(p) = handoff.producer.as_mut() {
                p.render_cpu_ms_per_frame = Some(1.0);
            }
            runs.push(handoff);
        }
        let notes = comparison_notes(&runs, Some(0.5));
        let floor = notes
            .iter()
            .find(|n| n.contains("its floor"))
            .unwrap_or_else(|| panic!("no floor note: {notes:?}"));
        assert!(
            floor.starts_with("shm-pixmap (handoff) / zcx:")
                && floor.contains("is 1.40 ms per frame on screen")
                && floor.contains("measured 1.43× the floor")
                && floor.contains("put-image ÷ the floor is 14.3×")
                && floor.contains("over 3 repetitions"),
            "{floor}"
        );
        // Without a memcpy figure there is no floor; put-image is never set against one.
        assert!(comparison_notes(&runs, None)
            .iter()
            .all(|n| !n.contains("floor")));
        assert_eq!(notes.iter().filter(|n| n.contains("floor")).count(), 1);
    }
}
