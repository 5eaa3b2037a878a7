//! Axis scales with "nice" tick values.

/// A linear mapping from data values to pixels, with nicely rounded ticks.
#[derive(Debug, Clone)]
pub struct Scale {
    pub min: f64,
    pub max: f64,
    pub ticks: Vec<f64>,
    /// Decimal places the ticks need.
    pub decimals: usize,
}

impl Scale {
    /// A scale covering `lo..=hi` with about `target_ticks` ticks.
    pub fn nice(lo: f64, hi: f64, target_ticks: usize) -> Self {
        let (mut lo, mut hi) = if lo.is_finite() && hi.is_finite() {
            (lo.min(hi), lo.max(hi))
        } else {
            (0.0, 1.0)
        };
        if (hi - lo).abs() < f64::EPSILON * hi.abs().max(1.0) {
            let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.05 };
            lo -= pad;
            hi += pad;
        }
        let raw = (hi - lo) / target_ticks.max(2) as f64;
        let magnitude = 10f64.powf(raw.log10().floor());
        let step = [1.0, 2.0, 2.5, 5.0, 10.0]
            .into_iter()
            .map(|f| f * magnitude)
            .find(|s| *s >= raw)
            .unwrap_or(10.0 * magnitude);
        let min = (lo / step).floor() * step;
        let max = (hi / step).ceil() * step;
        let n = ((max - min) / step).round() as usize;
        let ticks = (0..=n).map(|i| min + step * i as f64).collect();
        // The fewest decimals that write the step exactly (2.5 needs one, 0.25 two).
        let decimals = (0..=6)
            .find(|d| {
                let scaled = step * 10f64.powi(*d);
                (scaled - scaled.round()).abs() < 1e-6
            })
            .unwrap_or(6) as usize;
        Self {
            min,
            max,
            ticks,
            decimals,
        }
    }

    /// Maps `v` into `from..to` (pixels; `from` is the pixel for `min`).
    pub fn map(&self, v: f64, from: f64, to: f64) -> f64 {
        if self.max == self.min {
            return (from + to) / 2.0;
        }
        from + (v - self.min) / (self.max - self.min) * (to - from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_ticks() {
        let s = Scale::nice(17_230.0, 18_940.0, 5);
        assert_eq!(
            s.ticks,
            vec![17_000.0, 17_500.0, 18_000.0, 18_500.0, 19_000.0]
        );
        assert_eq!(s.decimals, 0);
        let s = Scale::nice(0.1, 0.9, 4);
        assert_eq!(s.ticks, vec![0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]);
        assert_eq!(s.decimals, 1);
        let s = Scale::nice(-3.0, 4.0, 5);
        assert!(s.min <= -3.0 && s.max >= 4.0);
        assert!(s.ticks.contains(&0.0));
        // A flat series still gets a range.
        let s = Scale::nice(5.0, 5.0, 5);
        assert!(s.min < 5.0 && s.max > 5.0);
    }

    #[test]
    fn maps_linearly() {
        let s = Scale::nice(0.0, 100.0, 5);
        assert_eq!(s.map(0.0, 200.0, 0.0), 200.0);
        assert_eq!(s.map(100.0, 200.0, 0.0), 0.0);
        assert_eq!(s.map(50.0, 200.0, 0.0), 100.0);
    }
}
