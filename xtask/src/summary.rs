//! The figures of the producer's `--summary-json` that `xtask bench` tabulates, read
//! with zcx-producer's own strict reader (`read_summaries`: its type, its schema), and medians
//! across repeated runs.

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

/// p50/p99 of one per-frame time, in milliseconds; either may be null.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    /// Median.
    pub p50: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
}

/// One producer run's figures from `zcx-producer --summary-json`, with optional percentile
/// halves so that medians over runs can leave one out. Numbers are `None` where the producer
/// could not measure them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub mode: String,
    pub width: u32,
    pub height: u32,
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
    pub server: String,
}

impl From<zcx_producer::stats::Summary> for Summary {
    fn from(s: zcx_producer::stats::Summary) -> Self {
        let p = |p: Option<zcx_producer::stats::Percentiles>| {
            p.map(|p| Percentiles {
                p50: Some(p.p50),
                p99: Some(p.p99),
            })
        };
        Summary {
            mode: s.mode.name().to_owned(),
            width: s.width,
            height: s.height,
            frames: s.frames,
            warmup_frames: s.warmup_frames,
            fps: s.fps,
            render_ms: p(s.render_ms),
            submit_ms: p(s.submit_ms),
            complete_ms: p(s.complete_ms),
            render_cpu_ms_per_frame: s.render_cpu_ms_per_frame,
            client_cpu_ms_per_frame: s.client_cpu_ms_per_frame,
            server_cpu_ms_per_frame: s.server_cpu_ms_per_frame,
            client_ctx_switches_per_frame: s.client_ctx_switches_per_frame,
            server_ctx_switches_per_frame: s.server_ctx_switches_per_frame,
            socket_bytes_per_frame: s.socket_bytes_per_frame,
            server: s.server,
        }
    }
}

impl Summary {
    /// Client + server CPU per frame: what moving the frame costs; `None` if either is.
    pub fn transport_cpu_ms_per_frame(&self) -> Option<f64> {
        Some(self.client_cpu_ms_per_frame? + self.server_cpu_ms_per_frame?)
    }
}

/// Parses a summary file strictly and picks the entry for `mode` (or the only entry).
pub fn parse_for_mode(json: &str, mode: &str) -> Result<Summary> {
    let all: Vec<Summary> = zcx_producer::stats::read_summaries(json)
        .context("reading the summary JSON")?
        .into_iter()
        .map(Summary::from)
        .collect();
    if let Some(s) = all.iter().find(|s| s.mode == mode) {
        return Ok(s.clone());
    }
    match all.as_slice() {
        [only] => Ok(only.clone()),
        [] => bail!("the summary JSON is an empty array"),
        _ => bail!("the summary JSON has no entry for mode {mode}"),
    }
}

/// Median of the present values; `None` when there are none.
pub fn median(values: impl IntoIterator<Item = Option<f64>>) -> Option<f64> {
    let mut v: Vec<f64> = values
        .into_iter()
        .flatten()
        .filter(|x| x.is_finite())
        .collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    })
}

/// Field-wise medians of several runs of one mode (the first run supplies the rest).
/// Returns `None` for an empty slice.
pub fn median_summary(runs: &[Summary]) -> Option<Summary> {
    let first = runs.first()?;
    let m = |f: fn(&Summary) -> Option<f64>| median(runs.iter().map(f));
    let mp = |f: fn(&Summary) -> Option<&Percentiles>| {
        let p50 = median(runs.iter().map(|s| f(s).and_then(|p| p.p50)));
        let p99 = median(runs.iter().map(|s| f(s).and_then(|p| p.p99)));
        (p50.is_some() || p99.is_some()).then_some(Percentiles { p50, p99 })
    };
    Some(Summary {
        fps: m(|s| s.fps),
        render_ms: mp(|s| s.render_ms.as_ref()),
        submit_ms: mp(|s| s.submit_ms.as_ref()),
        complete_ms: mp(|s| s.complete_ms.as_ref()),
        render_cpu_ms_per_frame: m(|s| s.render_cpu_ms_per_frame),
        client_cpu_ms_per_frame: m(|s| s.client_cpu_ms_per_frame),
        server_cpu_ms_per_frame: m(|s| s.server_cpu_ms_per_frame),
        client_ctx_switches_per_frame: m(|s| s.client_ctx_switches_per_frame),
        server_ctx_switches_per_frame: m(|s| s.server_ctx_switches_per_frame),
        socket_bytes_per_frame: m(|s| s.socket_bytes_per_frame),
        ..first.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const SAMPLE: &str = include_str!("testdata/summary_sample.json");

    #[test]
    fn parses_the_recorded_sample() {
        let s = parse_for_mode(SAMPLE, "shm-put").expect("parse");
        assert_eq!(s.mode, "shm-put");
        assert_eq!((s.width, s.height), (3840, 2160));
        assert_eq!(s.submit_ms.as_ref().and_then(|p| p.p99), Some(0.4));
        let tcp = parse_for_mode(SAMPLE, "shm-pixmap").expect("parse");
        assert_eq!(tcp.server_cpu_ms_per_frame, None);
        assert_eq!(tcp.transport_cpu_ms_per_frame(), None);
    }

    #[test]
    fn missing_mode_in_a_multi_entry_file_is_an_error() {
        assert!(parse_for_mode(SAMPLE, "dri3").is_err());
        assert!(parse_for_mode("[]", "dri3").is_err());
        assert!(parse_for_mode("{", "dri3").is_err());
        // A field the producer does not write (here: renamed) is refused, not read as null.
        let renamed = SAMPLE.replace("\"fps\"", "\"frames_per_s\"");
        assert!(parse_for_mode(&renamed, "shm-put").is_err());
    }

    #[test]
    fn median_ignores_nulls_and_averages_even_counts() {
        assert_eq!(median([Some(3.0), None, Some(1.0), Some(2.0)]), Some(2.0));
        assert_eq!(median([Some(4.0), Some(1.0)]), Some(2.5));
        assert_eq!(median([None, None]), None);
    }

    #[test]
    fn median_summary_takes_fieldwise_medians() {
        let base = parse_for_mode(SAMPLE, "put-image").expect("parse");
        let runs: Vec<Summary> = [10.0, 30.0, 20.0]
            .iter()
            .map(|&fps| Summary {
                fps: Some(fps),
                ..base.clone()
            })
            .collect();
        let med = median_summary(&runs).expect("non-empty");
        assert_eq!(med.fps, Some(20.0));
        assert_eq!(med.submit_ms, base.submit_ms);
        assert!(median_summary(&[]).is_none());
    }
}
