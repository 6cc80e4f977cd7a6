//! The report: `report.json` (every figure and the machine, schema [`model::SCHEMA`]),
//! `frames.csv` (one row per frame seen on screen per run), `report.md` (the headline and
//! details tables and notes, for people), PNG charts and `index.html` showing them together. Written into
//! `target/zcx-report/<unix-timestamp>/` unless the caller chooses a directory.

pub mod charts;
mod html;
pub mod interval;
pub mod model;
pub mod notes;
pub mod table;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use thiserror::Error;

pub use interval::{DesignCopies, Interval, PerScreenFrame, Spent};
pub use model::{end_to_end, Machine, ObserverCost, ProducerFigures, Report, Run};

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
    write("index.html", html::page(report).as_bytes())
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

/// The headline and the details tables (Markdown, also readable in a terminal).
pub fn table(report: &Report) -> String {
    format!(
        "{}\nDetails (per frame on screen, same intervals):\n\n{}",
        table::headline(report).markdown(),
        table::details(report).markdown()
    )
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
    s.push_str("\nCPU per frame on screen is producer + X server + compositor CPU over each row's interval (/proc) divided by the distinct frames the screen observer saw in it; the ratio is put-image's divided by the row's, under the same compositor. Copies by design are a count, not a measurement. A window that is scaled or covered shows no on-screen figures.\n");
    s
}

#[cfg(test)]
mod tests;
