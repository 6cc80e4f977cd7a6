//! The report's two tables as data (headers + cells), rendered as Markdown for the terminal
//! and `report.md` and as HTML for `index.html`: the headline (end-to-end CPU per frame on
//! screen and its ratio to put-image, copies per frame by design and as measured, latency,
//! on-screen and producer fps) and the details (each party's CPU and context switches per
//! frame on screen, drops, tearing, socket bytes). One row per run, any number of runs.

use std::fmt::Write as _;

use super::interval::PerScreenFrame;
use super::model::{end_to_end, Report, Run};

/// Headers and cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "–".to_owned(), |v| format!("{v:.digits$}"))
}

/// On-screen fps, or "≥ N (sampling-limited)" when it is within 10% of the observer's rate.
fn screen_fps(r: &Run) -> String {
    let Some(fps) = r.screen.as_ref().and_then(|s| s.delivered_fps) else {
        return "–".into();
    };
    match &r.interval {
        Some(i) if i.sampling_limited(fps) => format!("≥ {fps:.0} (sampling-limited)"),
        _ => format!("{fps:.1}"),
    }
}

fn per_frame(r: &Run) -> PerScreenFrame {
    r.per_screen_frame.clone().unwrap_or_default()
}

/// The headline: what one frame on the screen cost, end to end, per run.
pub fn headline(report: &Report) -> Table {
    let headers = vec![
        "row",
        "CPU ms per frame on screen (producer + X + compositor)",
        "put-image ÷ this",
        "copies per frame (design)",
        "X CPU per frame in memcpys (measured)",
        "latency p50/p99 ms",
        "on-screen fps",
        "producer fps",
    ];
    let rows = report
        .runs
        .iter()
        .map(|r| {
            let ratio = report
                .baseline(&r.compositor, r.rep)
                .and_then(end_to_end)
                .zip(end_to_end(r))
                .map_or("–".into(), |(b, c)| format!("{:.1}×", b / c.max(1e-9)));
            let copies = r.copies.as_ref().map_or("–".into(), |c| {
                format!("{} ({})", c.count, c.copies.join(" + "))
            });
            let memcpys = per_frame(r)
                .server_cpu_ms
                .zip(report.memcpy_ms_per_frame.filter(|m| *m > 0.0))
                .map(|(x, m)| x / m);
            let lat = r
                .screen
                .as_ref()
                .and_then(|s| s.latency_ms)
                .map_or("–".into(), |l| format!("{:.1}/{:.1}", l.p50, l.p99));
            vec![
                r.name.clone(),
                opt(end_to_end(r), 2),
                ratio,
                copies,
                opt(memcpys, 1),
                lat,
                screen_fps(r),
                opt(r.interval.as_ref().and_then(|i| i.producer_fps), 1),
            ]
        })
        .collect();
    Table { headers, rows }
}

/// The parts of the headline and what else the observer and the producer counted.
pub fn details(report: &Report) -> Table {
    let headers = vec![
        "row",
        "producer CPU ms/f",
        "X CPU ms/f",
        "compositor CPU ms/f",
        "ctx switches/f producer/X/compositor",
        "frames on screen / made",
        "dropped",
        "torn",
        "socket KiB/f (producer's count)",
        "interval s",
    ];
    let rows = report
        .runs
        .iter()
        .map(|r| {
            let p = per_frame(r);
            let sc = r.screen.as_ref();
            let i = r.interval.as_ref();
            vec![
                r.name.clone(),
                opt(p.producer_cpu_ms, 2),
                opt(p.server_cpu_ms, 2),
                opt(p.compositor_cpu_ms, 2),
                format!(
                    "{}/{}/{}",
                    opt(p.producer_ctx_switches, 1),
                    opt(p.server_ctx_switches, 1),
                    opt(p.compositor_ctx_switches, 1)
                ),
                i.map_or("–".into(), |i| {
                    let made = i.producer_frames.map(|n| n + 1);
                    format!(
                        "{} / {}",
                        i.screen_frames,
                        made.map_or("–".into(), |n| n.to_string())
                    )
                }),
                sc.map_or("–".into(), |s| s.dropped_frames.to_string()),
                sc.map_or("–".into(), |s| s.torn_frames.to_string()),
                opt(
                    r.producer
                        .as_ref()
                        .and_then(|p| p.socket_bytes_per_frame)
                        .map(|b| b / 1024.0),
                    1,
                ),
                opt(i.map(|i| i.seconds), 1),
            ]
        })
        .collect();
    Table { headers, rows }
}

impl Table {
    /// GitHub-flavoured Markdown (also readable in a terminal).
    pub fn markdown(&self) -> String {
        let mut s = format!("| {} |\n", self.headers.join(" | "));
        let _ = writeln!(s, "|{}", "---|".repeat(self.headers.len()));
        for row in &self.rows {
            let _ = writeln!(s, "| {} |", row.join(" | "));
        }
        s
    }

    /// An HTML `<table>`, every cell escaped.
    pub fn html(&self) -> String {
        let mut s = String::from("<table>\n<thead><tr>");
        for h in &self.headers {
            let _ = write!(s, "<th>{}</th>", escape(h));
        }
        s.push_str("</tr></thead>\n<tbody>\n");
        for row in &self.rows {
            s.push_str("<tr>");
            for (i, cell) in row.iter().enumerate() {
                let tag = if i == 0 { "th" } else { "td" };
                let _ = write!(s, "<{tag}>{}</{tag}>", escape(cell));
            }
            s.push_str("</tr>\n");
        }
        s.push_str("</tbody>\n</table>\n");
        s
    }
}

/// `&`, `<`, `>` and `"` as entities.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
