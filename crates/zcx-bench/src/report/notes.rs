//! The report's notes: plain statements drawn from its runs, each saying where the
//! measurement contradicts the expectation or what a figure includes. Against put-image (the
//! end-to-end ratio, latency, pixels through the socket), a one-copy path against its floor
//! (rendering plus one memcpy), frame memory's page size where the rows differ, and the
//! observer's own cost to the X server per row.

use super::model::{end_to_end, ProducerFigures, Report, Run};
use crate::stats::median;

impl Report {
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
        self.notes.extend(notes);
        self.add_context_notes();
    }

    /// Adds the notes that say what shaped every row alike (`zcx demo` after its per-run
    /// comparisons, `zcx bench` after its per-cell ones): the rows' frame memory page sizes
    /// and the observer's cost.
    pub fn add_context_notes(&mut self) {
        let notes: Vec<String> = [self.huge_page_note(), self.observer_note()]
            .into_iter()
            .flatten()
            .collect();
        self.notes.extend(notes);
    }

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

    /// Where the rows' frame memory differs in page size (the kernel gives huge pages to
    /// private memory and, by default, not to shared memory), which shows in their rendering
    /// cost: each row's share on huge pages and rendering CPU per frame made (medians over its
    /// runs), the system's policy, and how to give shared memory huge pages too.
    fn huge_page_note(&self) -> Option<String> {
        let per_row: Vec<(&str, f64, Option<f64>)> = self
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
        if per_row.iter().all(|r| huge(r.1)) || per_row.iter().all(|r| !huge(r.1)) {
            return None;
        }
        let rows: Vec<String> = per_row
            .iter()
            .map(|(row, share, render)| {
                let render = render.map_or_else(String::new, |r| format!(", rendering {r:.2} ms"));
                format!("{row} {:.0}%{render}", share * 100.0)
            })
            .collect();
        let policy = |p: &Option<String>| p.clone().unwrap_or_else(|| "unknown".into());
        Some(format!(
            "frame memory on huge pages (the producer's /proc/self/smaps; rendering CPU per \
             frame made): {}. The kernel decides per kind of memory: private memory (put-image's \
             buffer) follows transparent_hugepage/enabled ({}), shared memory (the shared paths' \
             segments) shmem_enabled ({}); rendering writes every page of a frame, and on small \
             pages a thread that wakes once per frame pays a page walk for most of them. As \
             root, `echo advise > /sys/kernel/mm/transparent_hugepage/shmem_enabled` gives the \
             shared segments huge pages too",
            rows.join("; "),
            policy(&self.machine.thp_enabled),
            policy(&self.machine.thp_shmem_enabled),
        ))
    }

    /// What the observer's reads added to each mode's X CPU per frame on screen (every row
    /// pays them: they are the measurement's, not the path's), and put-image's headline over
    /// each other mode's with them taken out of both (same compositor and repetition; medians
    /// over the runs).
    fn observer_note(&self) -> Option<String> {
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
