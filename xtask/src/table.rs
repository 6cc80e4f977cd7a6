//! The comparison table printed by `bench`: one row per mode, with the
//! transport cost of each mode as a ratio against `put-image`.

use crate::summary::{Percentiles, Summary};

/// The mode every other mode is compared with.
pub const BASELINE_MODE: &str = "put-image";

/// One line of the table: a measured mode, or a mode that could not run.
#[derive(Debug, Clone)]
pub enum Row {
    /// The mode ran; its (possibly median) summary.
    Measured(Box<Summary>),
    /// The mode could not run here; why (the producer's last stderr line).
    Unavailable { mode: String, reason: String },
}

impl Row {
    fn mode(&self) -> &str {
        match self {
            Row::Measured(s) => &s.mode,
            Row::Unavailable { mode, .. } => mode,
        }
    }
}

const HEADERS: [&str; 11] = [
    "mode",
    "fps",
    "render p50",
    "submit p50/p99",
    "complete p50/p99",
    "client CPU",
    "server CPU",
    "transport CPU",
    "ctx sw client/server",
    "socket KiB",
    "transport cost vs put-image",
];

/// Printed under every table: the units of the columns.
pub const UNITS: &str = "times and CPU in ms, CPU/ctx switches/KiB per frame; \
transport CPU = client + server; ratio = put-image transport CPU ÷ this mode's (higher = cheaper)";

/// Formats a number with precision that suits its size; `–` when unmeasured.
fn num(v: Option<f64>) -> String {
    match v {
        None => "–".to_string(),
        Some(x) if !x.is_finite() => "–".to_string(),
        Some(x) if x.abs() >= 100.0 => format!("{x:.0}"),
        Some(x) if x.abs() >= 10.0 => format!("{x:.1}"),
        Some(x) => format!("{x:.2}"),
    }
}

fn pair(a: Option<f64>, b: Option<f64>) -> String {
    format!("{} / {}", num(a), num(b))
}

fn pct(p: &Option<Percentiles>) -> (Option<f64>, Option<f64>) {
    p.as_ref().map_or((None, None), |p| (p.p50, p.p99))
}

/// `baseline ÷ this`: how many times cheaper than put-image this mode moves a frame.
fn ratio(baseline: Option<f64>, this: Option<f64>) -> String {
    match (baseline, this) {
        (Some(b), Some(t)) if t > 0.0 && b.is_finite() && t.is_finite() => {
            format!("{:.2}x", b / t)
        }
        _ => "–".to_string(),
    }
}

fn cells(s: &Summary, baseline: Option<f64>) -> Vec<String> {
    let (sub50, sub99) = pct(&s.submit_ms);
    let (com50, com99) = pct(&s.complete_ms);
    let transport = s.transport_cpu_ms_per_frame();
    vec![
        s.mode.clone(),
        num(s.fps),
        num(pct(&s.render_ms).0),
        pair(sub50, sub99),
        pair(com50, com99),
        num(s.client_cpu_ms_per_frame),
        num(s.server_cpu_ms_per_frame),
        num(transport),
        pair(
            s.client_ctx_switches_per_frame,
            s.server_ctx_switches_per_frame,
        ),
        num(s.socket_bytes_per_frame.map(|b| b / 1024.0)),
        ratio(baseline, transport),
    ]
}

/// Renders the table (header, rule, one line per row) as text ending in a newline.
pub fn render(rows: &[Row]) -> String {
    let baseline = rows.iter().find_map(|r| match r {
        Row::Measured(s) if s.mode == BASELINE_MODE => s.transport_cpu_ms_per_frame(),
        _ => None,
    });
    let header: Vec<String> = HEADERS.iter().map(|h| h.to_string()).collect();
    let body: Vec<Option<Vec<String>>> = rows
        .iter()
        .map(|r| match r {
            Row::Measured(s) => Some(cells(s, baseline)),
            Row::Unavailable { .. } => None,
        })
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for line in body.iter().flatten() {
        for (w, c) in widths.iter_mut().zip(line) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mode_width = rows
        .iter()
        .map(|r| r.mode().len())
        .fold(widths[0], usize::max);
    widths[0] = mode_width;
    let mut out = format_line(&header, &widths);
    let rule_len = widths.iter().sum::<usize>() + 3 * (widths.len() - 1);
    out.push_str(&"-".repeat(rule_len));
    out.push('\n');
    for (row, line) in rows.iter().zip(&body) {
        match (row, line) {
            (_, Some(line)) => out.push_str(&format_line(line, &widths)),
            (Row::Unavailable { mode, reason }, None) => {
                out.push_str(&format!("{mode:<mode_width$} | unavailable: {reason}\n"));
            }
            (Row::Measured(_), None) => {}
        }
    }
    out.push_str(UNITS);
    out.push('\n');
    out
}

fn format_line(cells: &[String], widths: &[usize]) -> String {
    let parts: Vec<String> = cells
        .iter()
        .zip(widths)
        .enumerate()
        .map(|(i, (c, &w))| {
            let pad = w.saturating_sub(c.chars().count());
            if i == 0 {
                format!("{c}{}", " ".repeat(pad))
            } else {
                format!("{}{c}", " ".repeat(pad))
            }
        })
        .collect();
    let mut line = parts.join(" | ");
    line.truncate(line.trim_end().len());
    line.push('\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::parse_for_mode;

    const SAMPLE: &str = include_str!("testdata/summary_sample.json");

    fn sample_rows() -> Vec<Row> {
        let mut rows: Vec<Row> = ["put-image", "shm-put", "shm-pixmap"]
            .iter()
            .map(|m| {
                let mut s = parse_for_mode(SAMPLE, m).expect("sample parses");
                if let Some(p) = s.complete_ms.as_mut().filter(|_| *m == "shm-pixmap") {
                    // A median over runs can lack one half (no run measured it).
                    p.p99 = None;
                }
                Row::Measured(Box::new(s))
            })
            .collect();
        rows.push(Row::Unavailable {
            mode: "dri3".into(),
            reason: "the X server has no DRI3".into(),
        });
        rows
    }

    fn line_for<'a>(table: &'a str, mode: &str) -> &'a str {
        table
            .lines()
            .find(|l| l.starts_with(mode) && l[mode.len()..].starts_with(' '))
            .unwrap_or_else(|| panic!("no line for {mode} in\n{table}"))
    }

    #[test]
    fn table_has_a_row_per_mode_and_ratios_against_put_image() {
        let table = render(&sample_rows());
        assert!(table.lines().next().expect("header").starts_with("mode"));
        // put-image: 6 + 20 = 26 ms transport; shm-put: 0.5 + 5.5 = 6 ms → 4.33x.
        let put = line_for(&table, "put-image");
        assert!(put.contains("26.0") && put.ends_with("1.00x"), "{put}");
        let shm = line_for(&table, "shm-put");
        assert!(shm.ends_with("4.33x"), "{shm}");
        assert!(shm.contains("0.10 / 0.40"), "{shm}");
        // 33,177,648 bytes = 32,400 KiB; 40 bytes = 0.04 KiB.
        assert!(put.contains("32400"), "{put}");
        assert!(shm.contains("0.04"), "{shm}");
    }

    #[test]
    fn nulls_show_as_dashes_and_unavailable_modes_say_why() {
        let table = render(&sample_rows());
        let pix = line_for(&table, "shm-pixmap");
        assert!(pix.contains("5.90 / –"), "{pix}");
        assert!(pix.ends_with('–'), "{pix}");
        let dri3 = line_for(&table, "dri3");
        assert!(
            dri3.ends_with("unavailable: the X server has no DRI3"),
            "{dri3}"
        );
    }

    #[test]
    fn columns_line_up() {
        let table = render(&sample_rows());
        let bars: Vec<Vec<usize>> = table
            .lines()
            .filter(|l| l.contains(" | ") && !l.starts_with("dri3"))
            .map(|l| {
                l.chars()
                    .enumerate()
                    .filter(|(_, c)| *c == '|')
                    .map(|(i, _)| i)
                    .collect()
            })
            .collect();
        assert!(bars.windows(2).all(|w| w[0] == w[1]), "{table}");
    }

    #[test]
    fn no_baseline_means_no_ratios() {
        let rows: Vec<Row> = sample_rows().into_iter().skip(1).collect();
        let table = render(&rows);
        assert!(line_for(&table, "shm-put").ends_with('–'));
    }
}
