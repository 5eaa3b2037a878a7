//! Why the Kosten der Unterkunft changed: the change of a total split exactly into a quantity
//! effect (more or fewer Bedarfsgemeinschaften), a price effect (higher or lower cost per BG)
//! and, with figures by household size, a structure effect (a changed mix of household sizes).
//!
//! Total = Σ_h B · s_h · k_h, with B the number of BG, s_h the share of household size h and k_h
//! the cost per BG of that size. Each term is a product of three factors; the change of a product
//! is split with the Shapley weights, which attribute the interaction terms symmetrically and
//! leave no residual:
//!
//! Δ(x·y·z) = Δx·w(y, z) + Δy·w(x, z) + Δz·w(x, y),  w(a, b) = (a₀b₀ + a₁b₁)/3 + (a₀b₁ + a₁b₀)/6.
//!
//! Without household sizes (one class) the structure effect is zero and the formula reduces to
//! the midpoint split ΔB·(k₀+k₁)/2 + Δk·(B₀+B₁)/2.

/// One group (e.g. a household size) at the start and the end: BG count and cost per BG.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cell {
    pub bg_start: f64,
    pub bg_end: f64,
    pub cost_start: f64,
    pub cost_end: f64,
}

/// The change of the total split into its causes. `quantity + price + structure == end − start`
/// up to floating-point rounding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decomposition {
    pub start: f64,
    pub end: f64,
    /// From the change in the number of BG.
    pub quantity: f64,
    /// From the change in cost per BG within each group.
    pub price: f64,
    /// From the change in the mix of groups (zero with a single group).
    pub structure: f64,
}

impl Decomposition {
    pub fn change(&self) -> f64 {
        self.end - self.start
    }

    /// What the three effects leave unexplained; zero but for rounding.
    pub fn residual(&self) -> f64 {
        self.change() - (self.quantity + self.price + self.structure)
    }
}

fn w(a0: f64, a1: f64, b0: f64, b1: f64) -> f64 {
    (a0 * b0 + a1 * b1) / 3.0 + (a0 * b1 + a1 * b0) / 6.0
}

/// Splits the change of Σ BG × cost over `cells`. Returns `None` without BG at the start or the
/// end (shares are undefined then) or for non-finite input.
pub fn decompose(cells: &[Cell]) -> Option<Decomposition> {
    let total_start: f64 = cells.iter().map(|c| c.bg_start).sum();
    let total_end: f64 = cells.iter().map(|c| c.bg_end).sum();
    let finite = cells.iter().all(|c| {
        [c.bg_start, c.bg_end, c.cost_start, c.cost_end]
            .iter()
            .all(|v| v.is_finite())
    });
    if !finite || cells.is_empty() || total_start <= 0.0 || total_end <= 0.0 {
        return None;
    }
    let (b0, b1) = (total_start, total_end);
    let mut out = Decomposition {
        start: cells.iter().map(|c| c.bg_start * c.cost_start).sum(),
        end: cells.iter().map(|c| c.bg_end * c.cost_end).sum(),
        quantity: 0.0,
        price: 0.0,
        structure: 0.0,
    };
    for c in cells {
        let (s0, s1) = (c.bg_start / b0, c.bg_end / b1);
        let (k0, k1) = (c.cost_start, c.cost_end);
        out.quantity += (b1 - b0) * w(s0, s1, k0, k1);
        out.structure += (s1 - s0) * w(b0, b1, k0, k1);
        out.price += (k1 - k0) * w(b0, b1, s0, s1);
    }
    Some(out)
}

/// The mean cost per BG over groups, weighted by their BG: Σ B_h·k_h / Σ B_h (the BA weights
/// the recognised KdU per BG this way, by BG with recognised KdU).
pub fn weighted_mean(groups: &[(f64, f64)]) -> Option<f64> {
    let bg: f64 = groups.iter().map(|(b, _)| b).sum();
    (bg > 0.0).then(|| groups.iter().map(|(b, k)| b * k).sum::<f64>() / bg)
}

/// The two-factor case: total = BG × cost per BG.
pub fn decompose_total(
    bg_start: f64,
    bg_end: f64,
    cost_start: f64,
    cost_end: f64,
) -> Option<Decomposition> {
    decompose(&[Cell {
        bg_start,
        bg_end,
        cost_start,
        cost_end,
    }])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn two_factors_split_at_the_midpoint() {
        // 18 000 BG at 690 EUR → 17 500 BG at 720 EUR.
        let d = decompose_total(18_000.0, 17_500.0, 690.0, 720.0).unwrap();
        assert_eq!(d.start, 12_420_000.0);
        assert_eq!(d.end, 12_600_000.0);
        assert!((d.quantity - (-500.0 * 705.0)).abs() < 1e-6, "{d:?}");
        assert!((d.price - (30.0 * 17_750.0)).abs() < 1e-6, "{d:?}");
        assert_eq!(d.structure, 0.0);
        assert!(d.residual().abs() < 1e-6);
        // Fewer BG but higher cost: the seed paper's situation, in numbers.
        assert!(d.quantity < 0.0 && d.price > 0.0 && d.change() > 0.0);
    }

    #[test]
    fn a_pure_mix_shift_is_structure_only() {
        // Same BG, same cost per size, but more large households: neither quantity nor price.
        let cells = [
            Cell {
                bg_start: 600.0,
                bg_end: 500.0,
                cost_start: 500.0,
                cost_end: 500.0,
            },
            Cell {
                bg_start: 400.0,
                bg_end: 500.0,
                cost_start: 900.0,
                cost_end: 900.0,
            },
        ];
        let d = decompose(&cells).unwrap();
        assert!(d.quantity.abs() < 1e-9);
        assert!(d.price.abs() < 1e-9);
        assert!((d.structure - 40_000.0).abs() < 1e-6, "{d:?}");
    }

    #[test]
    fn no_bg_means_no_decomposition() {
        assert!(decompose_total(0.0, 10.0, 1.0, 1.0).is_none());
        assert!(decompose(&[]).is_none());
        assert!(decompose_total(1.0, 1.0, f64::NAN, 1.0).is_none());
    }

    /// The BA's KdU statistics for Jobcenter Mettmann, April 2026 (shared/data/real/).
    #[test]
    fn real_mettmann_household_sizes() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/real/ba_wohnkosten_mettmann/t36402_mettmann_202604_household_size.csv"
        );
        let mut rows = std::collections::HashMap::new();
        for r in csv::Reader::from_path(path).unwrap().records() {
            let r = r.unwrap();
            let values: Vec<f64> = (6..13).map(|i| r[i].parse().unwrap()).collect();
            rows.insert(r[5].to_owned(), values);
        }
        let sizes = |m: &str| rows[m][1..].to_vec();
        let bg = sizes("bg_stock");
        assert_eq!(bg.iter().sum::<f64>(), 17_225.0);
        assert_eq!(rows["bg_stock"][0], 17_225.0);
        let weights = sizes("bg_stock_with_recognised_kdu");
        let per_bg = sizes("recognised_kdu_total_eur_per_bg");
        let groups: Vec<(f64, f64)> = weights
            .iter()
            .copied()
            .zip(per_bg.iter().copied())
            .collect();
        let mean = weighted_mean(&groups).unwrap();
        assert!((mean - 732.3986).abs() < 1e-3, "{mean}");
        assert!((mean - rows["recognised_kdu_total_eur_per_bg"][0]).abs() < 1e-3);
        // A month with the same costs but all BG one size smaller in mix would be a structure
        // effect only; here: the same month against itself is no change at all.
        let cells: Vec<Cell> = groups
            .iter()
            .map(|(b, k)| Cell {
                bg_start: *b,
                bg_end: *b,
                cost_start: *k,
                cost_end: *k,
            })
            .collect();
        let d = decompose(&cells).unwrap();
        assert_eq!((d.quantity, d.price, d.structure), (0.0, 0.0, 0.0));
    }

    fn cell() -> impl Strategy<Value = Cell> {
        (
            1.0..20_000.0f64,
            1.0..20_000.0f64,
            100.0..2_000.0f64,
            100.0..2_000.0f64,
        )
            .prop_map(|(bg_start, bg_end, cost_start, cost_end)| Cell {
                bg_start,
                bg_end,
                cost_start,
                cost_end,
            })
    }

    proptest! {
        #[test]
        fn effects_sum_to_the_total_change(cells in prop::collection::vec(cell(), 1..7)) {
            let d = decompose(&cells).unwrap();
            let scale = d.start.abs().max(d.end.abs()).max(1.0);
            prop_assert!(d.residual().abs() <= 1e-9 * scale, "{d:?}");
        }

        #[test]
        fn unchanged_cost_has_no_price_effect(cells in prop::collection::vec(cell(), 1..7)) {
            let cells: Vec<Cell> = cells.into_iter().map(|c| Cell { cost_end: c.cost_start, ..c }).collect();
            let d = decompose(&cells).unwrap();
            prop_assert!(d.price.abs() <= 1e-9 * d.start.abs().max(1.0));
        }

        #[test]
        fn scaling_all_bg_is_quantity_only(cells in prop::collection::vec(cell(), 1..7), f in 0.5..2.0f64) {
            let cells: Vec<Cell> = cells.into_iter().map(|c| Cell { bg_end: c.bg_start * f, cost_end: c.cost_start, ..c }).collect();
            let d = decompose(&cells).unwrap();
            let scale = d.start.abs().max(1.0);
            prop_assert!(d.structure.abs() <= 1e-9 * scale && d.price.abs() <= 1e-9 * scale, "{d:?}");
            prop_assert!((d.quantity - d.change()).abs() <= 1e-9 * scale);
        }
    }
}
