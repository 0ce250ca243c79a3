//! Order statistics for the stage audit.
//!
//! Percentiles use linear interpolation between closest ranks (the method
//! of Excel's `PERCENTILE.INC`, NumPy's default, R's type 7): for `n`
//! sorted values and fraction `p` in [0, 1], the rank is `h = (n - 1) * p`
//! and the value `x[⌊h⌋] + (h - ⌊h⌋) * (x[⌊h⌋ + 1] - x[⌊h⌋])`. So the
//! median of an even count is the mean of the two middle values, one value
//! is every percentile of itself, and an empty sample has none.
//!
//! The standard deviation is the population one (divide by `n`): it
//! describes the stays observed, not an estimate of a wider population,
//! and is 0 (not undefined) for a single stay.

use serde::Serialize;

/// `p`-th fraction percentile of ascending `sorted` values; `None` if empty.
pub fn percentile(sorted: &[u32], p: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let p = if p.is_nan() { 0.5 } else { p.clamp(0.0, 1.0) };
    let h = (n - 1) as f64 * p;
    let lo = h.floor() as usize;
    let lo_v = f64::from(sorted[lo.min(n - 1)]);
    match sorted.get(lo + 1) {
        Some(&hi_v) => Some(lo_v + (h - lo as f64) * (f64::from(hi_v) - lo_v)),
        None => Some(lo_v),
    }
}

/// The median (the 0.5 percentile) of ascending values.
pub fn median(sorted: &[u32]) -> Option<f64> {
    percentile(sorted, 0.5)
}

/// Arithmetic mean; `None` if empty.
pub fn mean(values: &[u32]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let sum: u64 = values.iter().map(|&v| u64::from(v)).sum();
    Some(sum as f64 / values.len() as f64)
}

/// Population standard deviation (two passes, so no cancellation); `None`
/// if empty, 0 for one value.
pub fn stddev(values: &[u32]) -> Option<f64> {
    let m = mean(values)?;
    let ss: f64 = values
        .iter()
        .map(|&v| {
            let d = f64::from(v) - m;
            d * d
        })
        .sum();
    Some((ss / values.len() as f64).sqrt())
}

/// Everything the audit reports about one sample of durations (seconds).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Summary {
    pub n: usize,
    pub median: Option<f64>,
    pub p90: Option<f64>,
    pub p25: Option<f64>,
    pub p75: Option<f64>,
    pub mean: Option<f64>,
    pub stddev: Option<f64>,
    /// Interquartile range, p75 − p25.
    pub iqr: Option<f64>,
    pub max: Option<u32>,
}

impl Summary {
    /// Sorts `values` in place and summarises them.
    pub fn of(values: &mut [u32]) -> Summary {
        values.sort_unstable();
        let p25 = percentile(values, 0.25);
        let p75 = percentile(values, 0.75);
        Summary {
            n: values.len(),
            median: median(values),
            p90: percentile(values, 0.9),
            p25,
            p75,
            mean: mean(values),
            stddev: stddev(values),
            iqr: p25.zip(p75).map(|(a, b)| b - a),
            max: values.last().copied(),
        }
    }
}

/// Whole seconds for reports: rounded half away from zero.
pub fn secs(v: Option<f64>) -> Option<i64> {
    v.filter(|x| x.is_finite()).map(|x| x.round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_sample_has_no_statistics() {
        assert_eq!(percentile(&[], 0.5), None);
        assert_eq!(median(&[]), None);
        assert_eq!(mean(&[]), None);
        assert_eq!(stddev(&[]), None);
        let s = Summary::of(&mut []);
        assert_eq!(s.n, 0);
        assert_eq!(s.iqr, None);
        assert_eq!(s.max, None);
    }

    #[test]
    fn one_value_is_every_percentile_and_has_no_spread() {
        for p in [0.0, 0.25, 0.5, 0.9, 1.0] {
            assert_eq!(percentile(&[7], p), Some(7.0));
        }
        assert_eq!(stddev(&[7]), Some(0.0));
        assert_eq!(Summary::of(&mut [7]).iqr, Some(0.0));
    }

    #[test]
    fn even_count_median_is_mean_of_middle_two() {
        assert_eq!(median(&[1, 2, 3, 4]), Some(2.5));
        assert_eq!(median(&[10, 20]), Some(15.0));
    }

    #[test]
    fn odd_count_median_is_middle_value() {
        assert_eq!(median(&[1, 5, 100]), Some(5.0));
    }

    #[test]
    fn percentiles_interpolate_between_ranks() {
        // n = 5: h = 4p. p90 → h = 3.6 → 40 + 0.6 * (50 - 40) = 46.
        let v = [10, 20, 30, 40, 50];
        assert_eq!(percentile(&v, 0.9), Some(46.0));
        // p25 → h = 1 → 20; p75 → h = 3 → 40.
        assert_eq!(percentile(&v, 0.25), Some(20.0));
        assert_eq!(percentile(&v, 0.75), Some(40.0));
        assert_eq!(percentile(&v, 0.0), Some(10.0));
        assert_eq!(percentile(&v, 1.0), Some(50.0));
        // Out-of-range fractions clamp.
        assert_eq!(percentile(&v, 2.0), Some(50.0));
        assert_eq!(percentile(&v, -1.0), Some(10.0));
        // n = 4: p90 → h = 2.7 → 3 + 0.7 * (4 - 3) = 3.7.
        let p = percentile(&[1, 2, 3, 4], 0.9).unwrap_or_default();
        assert!((p - 3.7).abs() < 1e-9, "{p}");
    }

    #[test]
    fn population_standard_deviation() {
        // mean 5; squared deviations 9,1,1,1,0,0,4,16 = 32; 32 / 8 = 4; √4 = 2.
        assert_eq!(stddev(&[2, 4, 4, 4, 5, 5, 7, 9]), Some(2.0));
        // Large values do not lose precision to cancellation.
        let big = [4_000_000_000, 4_000_000_002];
        assert_eq!(stddev(&big), Some(1.0));
    }

    #[test]
    fn summary_sorts_and_reports_iqr() {
        let mut v = [50, 10, 40, 30, 20];
        let s = Summary::of(&mut v);
        assert_eq!(v, [10, 20, 30, 40, 50]);
        assert_eq!(s.median, Some(30.0));
        assert_eq!(s.iqr, Some(20.0));
        assert_eq!(s.max, Some(50));
        assert_eq!(s.mean, Some(30.0));
    }

    #[test]
    fn seconds_round_half_away_from_zero() {
        assert_eq!(secs(Some(2.5)), Some(3));
        assert_eq!(secs(Some(2.4)), Some(2));
        assert_eq!(secs(None), None);
        assert_eq!(secs(Some(f64::NAN)), None);
    }
}
