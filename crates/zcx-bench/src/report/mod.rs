//! The report: `report.json` (every figure and the machine, schema [`model::SCHEMA`]),
//! `frames.csv` (one row per frame seen on screen per run), `report.md` (the comparison table
//! and notes, for people), PNG charts and `index.html` showing them together. Written into
//! `target/zcx-report/<unix-timestamp>/` unless the caller chooses a directory.

pub mod charts;
pub mod model;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use thiserror::Error;

pub use model::{Machine, ProducerFigures, Report, Run};

#[derive(Debug, Error)]
pub enum ReportError {
    #[error("writing {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Chart(#[from] charts::ChartError),
    #[error("encoding report.json: {0}")]
    Json(#[from] serde_json::Error),
}

/// `<target>/zcx-report/<unix-seconds>`.
pub fn default_dir(target_dir: &Path, created_unix_s: u64) -> PathBuf {
    target_dir
        .join("zcx-report")
        .join(created_unix_s.to_string())
}

/// Writes every file of the report into `dir` (created if needed).
pub fn write_report(dir: &Path, report: &Report) -> Result<(), ReportError> {
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).map_err(|source| ReportError::Write { path, source })
    };
    std::fs::create_dir_all(dir).map_err(|source| ReportError::Write {
        path: dir.to_owned(),
        source,
    })?;
    write(
        "report.json",
        serde_json::to_string_pretty(report)?.as_bytes(),
    )?;
    write("frames.csv", frames_csv(&report.runs).as_bytes())?;
    write("report.md", markdown(report).as_bytes())?;
    charts::draw_all(dir, &report.runs)?;
    write("index.html", html(report).as_bytes())
}

/// One row per frame seen on screen per run.
pub fn frames_csv(runs: &[Run]) -> String {
    let mut s =
        String::from("run,mode,compositor,rep,frame,first_seen_ns,stamp_ns,latency_ms,torn\n");
    for r in runs {
        for f in &r.frames {
            let _ = writeln!(
                s,
                "{},{},{},{},{},{},{},{:.3},{}",
                csv_field(&r.name),
                csv_field(&r.mode),
                csv_field(&r.compositor),
                r.rep,
                f.frame,
                f.first_seen_ns,
                f.stamp_ns,
                f.latency_ms,
                f.torn
            );
        }
    }
    s
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "–".to_owned(), |v| format!("{v:.digits$}"))
}

/// The comparison table (Markdown, also readable in a terminal).
pub fn table(report: &Report) -> String {
    let mut s = String::from(
        "| run | producer fps | on-screen fps | latency p50/p99 ms | dropped | torn | client CPU ms/f | X CPU ms/f | compositor CPU ms/f | ctx/f client/X | socket KiB/f | CPU vs put-image |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in &report.runs {
        let p = r.producer.clone().unwrap_or_default();
        let sc = r.screen.as_ref();
        let lat = sc
            .and_then(|s| s.latency_ms)
            .map_or("–".into(), |l| format!("{:.1}/{:.1}", l.p50, l.p99));
        let cpu = |f: &ProducerFigures| {
            Some(f.client_cpu_ms_per_frame? + f.server_cpu_ms_per_frame.unwrap_or(0.0))
        };
        let ratio = report
            .baseline(&r.compositor, r.rep)
            .and_then(|b| cpu(b.producer.as_ref()?))
            .zip(cpu(&p))
            .map(|(b, c)| format!("{:.2}×", c / b.max(1e-9)));
        let _ = writeln!(
            s,
            "| {} | {} | {} | {lat} | {} | {} | {} | {} | {} | {}/{} | {} | {} |",
            r.name,
            opt(p.fps, 1),
            opt(sc.and_then(|s| s.delivered_fps), 1),
            sc.map_or("–".into(), |s| s.dropped_frames.to_string()),
            sc.map_or("–".into(), |s| s.torn_frames.to_string()),
            opt(p.client_cpu_ms_per_frame, 2),
            opt(p.server_cpu_ms_per_frame, 2),
            opt(r.compositor_cpu_ms_per_frame, 2),
            opt(p.client_ctx_switches_per_frame, 1),
            opt(p.server_ctx_switches_per_frame, 1),
            opt(p.socket_bytes_per_frame.map(|b| b / 1024.0), 1),
            ratio.unwrap_or_else(|| "–".into()),
        );
    }
    s
}

fn markdown(report: &Report) -> String {
    let m = &report.machine;
    let mut s = format!(
        "# zcx report\n\n`{}`\n\nMachine: {} ({} cores), Linux {}, X server {} release {}, GL {}.\n\n",
        report.command,
        m.cpu_model,
        m.cores,
        m.kernel,
        m.x_vendor,
        m.x_release,
        m.gl_renderer.as_deref().unwrap_or("unknown")
    );
    s.push_str(&table(report));
    if let Some(c) = report.observer_cpu_percent {
        let _ = writeln!(s, "\nScreen observer cost: {c:.2}% of one core.");
    }
    if !report.notes.is_empty() {
        s.push_str("\n## Notes\n\n");
        for n in &report.notes {
            let _ = writeln!(s, "- {n}");
        }
    }
    s.push_str("\nCPU ratios are client + X server CPU per frame against put-image under the same compositor, measured in this run. On-screen figures come from the screen observer (stamp rows read back from the root window); a window that is scaled or covered shows none.\n");
    s
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn html(report: &Report) -> String {
    let mut s = String::from("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>zcx report</title>\n<style>body{font-family:sans-serif;max-width:1900px;margin:1em auto}img{width:900px;margin:4px}pre{background:#f4f4f4;padding:8px;overflow-x:auto}</style></head><body>\n<h1>zcx report</h1>\n");
    let _ = writeln!(s, "<p><code>{}</code></p>", escape(&report.command));
    let _ = writeln!(s, "<pre>{}</pre>", escape(&table(report)));
    for n in &report.notes {
        let _ = writeln!(s, "<p>{}</p>", escape(n));
    }
    for (file, title) in charts::CHARTS {
        let _ = writeln!(s, "<figure style=\"display:inline-block\"><img src=\"{file}\" alt=\"{title}\"><figcaption>{title}</figcaption></figure>");
    }
    // Repeated runs come from `zcx bench`, which writes the medians into summary.md.
    let summary = if report.runs.iter().any(|r| r.rep > 0) {
        " · <a href=\"summary.md\">summary.md (medians over repetitions)</a>"
    } else {
        ""
    };
    let _ = writeln!(s, "<p><a href=\"report.json\">report.json</a> · <a href=\"frames.csv\">frames.csv</a> · <a href=\"report.md\">report.md</a>{summary}</p>");
    s.push_str("<figure><img src=\"screenshot.png\" alt=\"screenshot (when the demo took one)\" style=\"width:1800px\"></figure>\n</body></html>\n");
    s
}

#[cfg(test)]
mod tests;
