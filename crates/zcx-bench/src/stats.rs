//! Small statistics shared by every zcx-bench measurement: percentiles over recorded samples
//! (exact, by sorting: runs hold thousands of samples at most) and means.

use serde::{Deserialize, Serialize};

/// The median and the 99th percentile of a set of samples.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    pub p50: f64,
    pub p99: f64,
}

impl Percentiles {
    /// Nearest-rank percentiles of `samples`; `None` when there are none (or only NaNs).
    pub fn of(samples: &[f64]) -> Option<Percentiles> {
        let mut sorted: Vec<f64> = samples.iter().copied().filter(|v| !v.is_nan()).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        Some(Percentiles {
            p50: nearest_rank(&sorted, 50.0),
            p99: nearest_rank(&sorted, 99.0),
        })
    }
}

/// The nearest-rank percentile `p` (0..=100) of sorted, non-empty samples.
pub fn nearest_rank(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    let rank = ((p / 100.0) * n as f64).ceil() as usize;
    sorted[rank.clamp(1, n) - 1]
}

/// The arithmetic mean, `None` for no samples.
pub fn mean(samples: &[f64]) -> Option<f64> {
    (!samples.is_empty()).then(|| samples.iter().sum::<f64>() / samples.len() as f64)
}

/// The median of a set of values (used to combine repetitions), `None` for none.
pub fn median(values: &[f64]) -> Option<f64> {
    Percentiles::of(values).map(|p| p.p50)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        let p = Percentiles::of(&v).unwrap();
        assert_eq!((p.p50, p.p99), (50.0, 99.0));
        let p = Percentiles::of(&[3.0]).unwrap();
        assert_eq!((p.p50, p.p99), (3.0, 3.0));
        assert_eq!(Percentiles::of(&[]), None);
        assert_eq!(Percentiles::of(&[f64::NAN]), None);
    }

    #[test]
    fn mean_and_median() {
        assert_eq!(mean(&[1.0, 2.0, 6.0]), Some(3.0));
        assert_eq!(mean(&[]), None);
        assert_eq!(median(&[5.0, 1.0, 3.0]), Some(3.0));
    }
}
