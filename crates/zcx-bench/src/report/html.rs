//! `index.html`: the headline table at the top (end-to-end CPU per frame on screen and its
//! ratio, copies per frame, latency, on-screen fps), then the details table, the notes, the
//! charts and the screenshot. Real HTML tables, no preformatted Markdown.

use std::fmt::Write as _;

use super::charts;
use super::model::Report;
use super::table::{details, escape, headline};

const STYLE: &str = "body{font-family:sans-serif;max-width:1900px;margin:1em auto;padding:0 1em}\
table{border-collapse:collapse;margin:0.5em 0 1.5em}\
th,td{border:1px solid #bbb;padding:4px 10px;text-align:right}\
thead th{background:#eee;text-align:center}tbody th{text-align:left;white-space:nowrap}\
table.headline{font-size:1.25em}table.headline td:nth-child(2){font-weight:bold}table.headline td:nth-child(4){text-align:left}\
img{width:900px;margin:4px}li{margin:0.3em 0}";

pub fn page(report: &Report) -> String {
    let m = &report.machine;
    let mut s = format!("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>zcx report</title>\n<style>{STYLE}</style></head><body>\n<h1>zcx report</h1>\n");
    let _ = writeln!(
        s,
        "<p><code>{}</code><br>{} ({} cores), Linux {}, X server {} release {}, GL {}</p>",
        escape(&report.command),
        escape(&m.cpu_model),
        m.cores,
        escape(&m.kernel),
        escape(&m.x_vendor),
        m.x_release,
        escape(m.gl_renderer.as_deref().unwrap_or("unknown"))
    );
    s.push_str("<h2>Headline: what one frame on the screen cost</h2>\n");
    s.push_str(
        &headline(report)
            .html()
            .replacen("<table>", "<table class=\"headline\">", 1),
    );
    s.push_str("<p>CPU per frame on screen = (producer + X server + compositor CPU over the row's interval, from /proc) ÷ distinct frames the screen observer saw in that interval. Each row ran alone under the same compositor, for the same time, with the same observer. Copies by design are a count from the path's design, not a measurement; the measured companion is the X server's CPU per frame on screen divided by a memcpy of one frame timed in the same run.</p>\n");
    s.push_str("<h2>Details (per frame on screen, same intervals)</h2>\n");
    s.push_str(&details(report).html());
    if !report.notes.is_empty() {
        s.push_str("<h2>Notes</h2>\n<ul>\n");
        for n in &report.notes {
            let _ = writeln!(s, "<li>{}</li>", escape(n));
        }
        s.push_str("</ul>\n");
    }
    s.push_str("<h2>Charts</h2>\n");
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
    s.push_str("<h2>Screenshot</h2>\n<figure><img src=\"screenshot.png\" alt=\"screenshot (when the demo took one)\" style=\"width:100%\"></figure>\n</body></html>\n");
    s
}
