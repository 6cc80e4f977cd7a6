//! The report's PNG charts, drawn with plotters into bitmaps, with text from the bundled
//! DejaVu Sans Mono through plotters' `ab_glyph` (no system font libraries): on-screen frame
//! interval distribution per run, latency CDF, context switches per frame, and CPU per frame
//! stacked client / X server / compositor.

use std::path::Path;
use std::sync::Once;

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::model::Run;

static FONT: &[u8] = include_bytes!("../../assets/DejaVuSansMono.ttf");
const SIZE: (u32, u32) = (900, 520);
const FAMILY: &str = "sans-serif";

/// File names of the charts, in the order `index.html` shows them.
pub const CHARTS: [(&str, &str); 4] = [
    ("frame_times.png", "Time between frames on screen, per run"),
    (
        "latency_cdf.png",
        "End-to-end latency (stamp → screen), CDF",
    ),
    (
        "ctx_switches.png",
        "Context switches per frame on screen (producer, X server, compositor)",
    ),
    (
        "cpu_per_frame.png",
        "CPU per frame on screen: producer / X server / compositor",
    ),
];

#[derive(Debug, thiserror::Error)]
#[error("drawing {file}: {message}")]
pub struct ChartError {
    file: String,
    message: String,
}

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_err() {
            log::warn!("the bundled chart font did not load; charts will have no text");
        }
    });
}

/// Draws every chart into `dir`.
pub fn draw_all(dir: &Path, runs: &[Run]) -> Result<(), ChartError> {
    register_font();
    draw(dir, CHARTS[0].0, |a| frame_times(a, runs))?;
    draw(dir, CHARTS[1].0, |a| latency_cdf(a, runs))?;
    draw(dir, CHARTS[2].0, |a| ctx_switches(a, runs))?;
    draw(dir, CHARTS[3].0, |a| cpu_per_frame(a, runs))
}

type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;
type DrawResult = Result<(), Box<dyn std::error::Error + 'static>>;

fn draw(dir: &Path, file: &str, f: impl FnOnce(&Area<'_>) -> DrawResult) -> Result<(), ChartError> {
    let path = dir.join(file);
    let err = |e: &dyn std::fmt::Display| ChartError {
        file: file.to_owned(),
        message: e.to_string(),
    };
    let area = BitMapBackend::new(&path, SIZE).into_drawing_area();
    area.fill(&WHITE).map_err(|e| err(&e))?;
    f(&area).map_err(|e| err(&e))?;
    area.present().map_err(|e| err(&e))
}

fn color(i: usize) -> RGBColor {
    const P: [RGBColor; 6] = [
        RGBColor(0xd6, 0x27, 0x28),
        RGBColor(0x1f, 0x77, 0xb4),
        RGBColor(0x2c, 0xa0, 0x2c),
        RGBColor(0xff, 0x7f, 0x0e),
        RGBColor(0x94, 0x67, 0xbd),
        RGBColor(0x8c, 0x56, 0x4b),
    ];
    P[i % P.len()]
}

fn no_data(area: &Area<'_>, title: &str) -> DrawResult {
    area.draw(&Text::new(
        format!("{title}: no data"),
        (20, 20),
        (FAMILY, 18).into_font(),
    ))?;
    Ok(())
}

/// Sorted values with their cumulative fraction.
fn cdf(values: &[f64]) -> Vec<(f64, f64)> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    let n = v.len() as f64;
    v.into_iter()
        .enumerate()
        .map(|(i, x)| (x, (i + 1) as f64 / n))
        .collect()
}

/// Intervals between consecutive distinct frames on screen, in ms.
pub fn intervals_ms(run: &Run) -> Vec<f64> {
    run.frames
        .windows(2)
        .map(|w| w[1].first_seen_ns.saturating_sub(w[0].first_seen_ns) as f64 / 1e6)
        .collect()
}

fn line_chart(
    area: &Area<'_>,
    title: &str,
    x_desc: &str,
    series: &[(String, Vec<(f64, f64)>)],
) -> DrawResult {
    let x_max = series
        .iter()
        .flat_map(|(_, s)| s.iter().map(|p| p.0))
        .fold(1.0f64, f64::max);
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FAMILY, 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(0.0..x_max * 1.05, 0.0..1.0)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc("fraction of frames")
        .label_style((FAMILY, 13))
        .draw()?;
    for (i, (name, points)) in series.iter().enumerate() {
        let c = color(i);
        chart
            .draw_series(LineSeries::new(points.iter().copied(), c.stroke_width(2)))?
            .label(name.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font((FAMILY, 13))
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

fn frame_times(area: &Area<'_>, runs: &[Run]) -> DrawResult {
    let series: Vec<_> = runs
        .iter()
        .map(|r| (r.name.clone(), cdf(&intervals_ms(r))))
        .filter(|(_, s)| !s.is_empty())
        .collect();
    if series.is_empty() {
        return no_data(area, CHARTS[0].1);
    }
    line_chart(
        area,
        CHARTS[0].1,
        "ms between distinct frames on screen (CDF)",
        &series,
    )
}

fn latency_cdf(area: &Area<'_>, runs: &[Run]) -> DrawResult {
    let series: Vec<_> = runs
        .iter()
        .map(|r| {
            let lat: Vec<f64> = r.frames.iter().map(|f| f.latency_ms).collect();
            (r.name.clone(), cdf(&lat))
        })
        .filter(|(_, s)| !s.is_empty())
        .collect();
    if series.is_empty() {
        return no_data(area, CHARTS[1].1);
    }
    line_chart(
        area,
        CHARTS[1].1,
        "ms from render start to first seen on screen",
        &series,
    )
}

/// Bars: per run, stacked (or side by side) segments `(label, value)`.
fn bar_chart(
    area: &Area<'_>,
    title: &str,
    y_desc: &str,
    runs: &[Run],
    stacked: bool,
    segments: &dyn Fn(&Run) -> Vec<(&'static str, f64)>,
) -> DrawResult {
    let values: Vec<Vec<(&str, f64)>> = runs.iter().map(segments).collect();
    if values.iter().all(|v| v.iter().all(|s| s.1 == 0.0)) {
        return no_data(area, title);
    }
    let height = |v: &Vec<(&str, f64)>| {
        if stacked {
            v.iter().map(|s| s.1).sum()
        } else {
            v.iter().map(|s| s.1).fold(0.0, f64::max)
        }
    };
    let y_max = values.iter().map(height).fold(1e-3, f64::max) * 1.15;
    let n = runs.len();
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FAMILY, 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..n as f64, 0.0..y_max)?;
    let names: Vec<String> = runs.iter().map(|r| r.name.clone()).collect();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n.max(1) * 2 + 1)
        .x_label_formatter(&|x| {
            let i = x.floor() as usize;
            if (x - i as f64 - 0.5).abs() < 0.01 {
                names.get(i).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .y_desc(y_desc)
        .label_style((FAMILY, 12))
        .draw()?;
    draw_bars(&mut chart, &values, stacked)?;
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font((FAMILY, 13))
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

fn ctx_switches(area: &Area<'_>, runs: &[Run]) -> DrawResult {
    bar_chart(
        area,
        CHARTS[2].1,
        "context switches per frame on screen",
        runs,
        false,
        &|r| {
            let p = r.per_screen_frame.clone().unwrap_or_default();
            vec![
                ("producer", p.producer_ctx_switches.unwrap_or(0.0)),
                ("X server", p.server_ctx_switches.unwrap_or(0.0)),
                ("compositor", p.compositor_ctx_switches.unwrap_or(0.0)),
            ]
        },
    )
}

fn cpu_per_frame(area: &Area<'_>, runs: &[Run]) -> DrawResult {
    bar_chart(
        area,
        CHARTS[3].1,
        "CPU ms per frame on screen",
        runs,
        true,
        &|r| {
            let p = r.per_screen_frame.clone().unwrap_or_default();
            vec![
                ("producer", p.producer_cpu_ms.unwrap_or(0.0)),
                ("X server", p.server_cpu_ms.unwrap_or(0.0)),
                ("compositor", p.compositor_cpu_ms.unwrap_or(0.0)),
            ]
        },
    )
}

type BarChart<'a, 'b> =
    ChartContext<'a, BitMapBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// One series per segment label: side by side per run, or stacked.
fn draw_bars(
    chart: &mut BarChart<'_, '_>,
    values: &[Vec<(&str, f64)>],
    stacked: bool,
) -> DrawResult {
    let labels: Vec<&str> = values
        .first()
        .map(|v| v.iter().map(|s| s.0).collect())
        .unwrap_or_default();
    for (k, label) in labels.iter().enumerate() {
        let c = color(k + 1);
        let rects = values.iter().enumerate().map(|(i, v)| {
            let base: f64 = if stacked {
                v[..k].iter().map(|s| s.1).sum()
            } else {
                0.0
            };
            let (x0, x1) = if stacked {
                (i as f64 + 0.2, i as f64 + 0.8)
            } else {
                let w = 0.6 / labels.len() as f64;
                (
                    i as f64 + 0.2 + w * k as f64,
                    i as f64 + 0.2 + w * (k + 1) as f64,
                )
            };
            Rectangle::new([(x0, base), (x1, base + v[k].1)], c.filled())
        });
        chart
            .draw_series(rects)?
            .label(*label)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], c.filled()));
    }
    Ok(())
}
