//! A region among others: its comparison group (the k regions most like it by named structural
//! indicators) and a value's place among a group's values (rank, percentile, median and
//! interquartile range), in words that know which direction is better.
//!
//! **The distance.** Each structural indicator is standardised over all candidate regions that
//! have every indicator (z = (x − mean) ÷ standard deviation, the population form); an indicator
//! marked `log` (e.g. the density of population, which spans three orders of magnitude) is
//! standardised on its natural logarithm. The distance of two regions is the root mean square of
//! their differences in z over the indicators, so 1.0 means "one standard deviation apart on
//! average". Standardising makes the group independent of each indicator's unit: scaling an
//! indicator by a positive constant changes no distance. An indicator on which all candidates are
//! equal tells nothing and counts zero. Ties are broken by the region's id, so a group is always
//! the same for the same data.

use std::collections::BTreeMap;

use zielwerk_domain::{Direction, IndicatorCode, RegionId};

/// A structural indicator of the distance, and whether it is compared on its logarithm.
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    pub code: IndicatorCode,
    pub log: bool,
}

/// One member of a comparison group: how far it is, and how far on each indicator (the
/// standardised difference member − region, in the order of the features).
#[derive(Debug, Clone, PartialEq)]
pub struct Neighbour {
    pub region: RegionId,
    pub distance: f64,
    pub differences: Vec<f64>,
}

/// The comparison group of a region.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub of: RegionId,
    pub features: Vec<Feature>,
    /// The nearest first.
    pub members: Vec<Neighbour>,
    /// Regions that had every indicator and were weighed (the region itself included).
    pub candidates: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GroupError {
    #[error("Für eine Vergleichsgruppe ist mindestens ein Strukturmerkmal nötig")]
    NoFeatures,
    #[error(
        "Für {0} fehlt mindestens ein Strukturmerkmal; ohne alle Merkmale lässt sich keine Vergleichsgruppe bilden"
    )]
    Incomplete(RegionId),
}

/// The `k` regions nearest to `of` by `features`; `profiles` holds each candidate's values in
/// the order of `features` (`None` where a value is missing: such a region is left out).
pub fn similar(
    of: &RegionId,
    features: &[Feature],
    profiles: &BTreeMap<RegionId, Vec<Option<f64>>>,
    k: usize,
) -> Result<Group, GroupError> {
    if features.is_empty() {
        return Err(GroupError::NoFeatures);
    }
    let transform = |f: &Feature, v: f64| if f.log { v.ln() } else { v };
    let complete: BTreeMap<&RegionId, Vec<f64>> = profiles
        .iter()
        .filter_map(|(region, values)| {
            let values: Option<Vec<f64>> = features
                .iter()
                .zip(values)
                .map(|(f, v)| {
                    v.filter(|v| v.is_finite() && (!f.log || *v > 0.0))
                        .map(|v| transform(f, v))
                })
                .collect();
            values
                .filter(|v| v.len() == features.len())
                .map(|v| (region, v))
        })
        .collect();
    let own = complete
        .get(of)
        .ok_or_else(|| GroupError::Incomplete(of.clone()))?;
    let n = complete.len() as f64;
    let scale: Vec<(f64, f64)> = (0..features.len())
        .map(|i| {
            let mean = complete.values().map(|v| v[i]).sum::<f64>() / n;
            let var = complete
                .values()
                .map(|v| (v[i] - mean).powi(2))
                .sum::<f64>()
                / n;
            (mean, var.sqrt())
        })
        .collect();
    let z = |v: &[f64]| -> Vec<f64> {
        v.iter()
            .zip(&scale)
            .map(|(x, (mean, sd))| if *sd > 0.0 { (x - mean) / sd } else { 0.0 })
            .collect()
    };
    let own_z = z(own);
    let mut members: Vec<Neighbour> = complete
        .iter()
        .filter(|(region, _)| **region != of)
        .map(|(region, values)| {
            let differences: Vec<f64> = z(values).iter().zip(&own_z).map(|(a, b)| a - b).collect();
            let distance =
                (differences.iter().map(|d| d * d).sum::<f64>() / features.len() as f64).sqrt();
            Neighbour {
                region: (*region).clone(),
                distance,
                differences,
            }
        })
        .collect();
    members.sort_by(|a, b| {
        a.distance
            .total_cmp(&b.distance)
            .then_with(|| a.region.cmp(&b.region))
    });
    members.truncate(k);
    Ok(Group {
        of: of.clone(),
        features: features.to_vec(),
        members,
        candidates: complete.len(),
    })
}

/// A value's place among the values of a set of regions (the region's own value included).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    pub value: f64,
    /// 1 is the best (the lowest where lower is better, the highest where higher is better; the
    /// lowest for a neutral direction). Equal values share the better rank.
    pub rank: usize,
    /// How many values were compared.
    pub of: usize,
    /// The share of the other values this one is better than, in percent (100: the best of
    /// all; 0: the worst, or no other value).
    pub better_than: f64,
    pub median: f64,
    /// The first and third quartile (linear interpolation between order statistics).
    pub q1: f64,
    pub q3: f64,
    pub direction: Direction,
}

/// `value` among `values` (which hold it too). `None` without values or for a value that is not
/// finite.
pub fn place(value: f64, values: &[f64], direction: Direction) -> Option<Placement> {
    if !value.is_finite() {
        return None;
    }
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let worse = |v: f64| match direction {
        Direction::Higher => v < value,
        Direction::Lower | Direction::Neutral => v > value,
    };
    let rank = rank_in_sorted(value, &sorted, direction);
    let others = sorted.len().saturating_sub(1);
    let better_than = if others == 0 {
        0.0
    } else {
        100.0 * sorted.iter().filter(|v| worse(**v)).count() as f64 / others as f64
    };
    Some(Placement {
        value,
        rank,
        of: sorted.len(),
        better_than,
        median: quantile(&sorted, 0.5),
        q1: quantile(&sorted, 0.25),
        q3: quantile(&sorted, 0.75),
        direction,
    })
}

/// The rank of `value` among ascending `sorted` values (see [`Placement::rank`]): one more than
/// the number of better values, found by binary search, so that ranking every member of a set
/// sorts it once.
pub fn rank_in_sorted(value: f64, sorted: &[f64], direction: Direction) -> usize {
    let better = match direction {
        Direction::Higher => sorted.len() - sorted.partition_point(|v| *v <= value),
        Direction::Lower | Direction::Neutral => sorted.partition_point(|v| *v < value),
    };
    1 + better
}

/// The `p`-quantile of sorted values, interpolated linearly between order statistics (the
/// definition of R's default and of most spreadsheets).
pub fn quantile(sorted: &[f64], p: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let h = (n - 1) as f64 * p.clamp(0.0, 1.0);
            let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
            sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
        }
    }
}

/// The places said in words; the others as "Rang n von N".
const ORDINALS: [&str; 3] = ["", "zweit", "dritt"];

impl Placement {
    /// "drittbester Wert von 12 vergleichbaren Kreisen; niedriger ist besser" (the first three
    /// places and the last in words, the others "Rang 5 von 12 …"); `among` names the set in the
    /// dative plural ("vergleichbaren Kreisen", "Kreisen in Nordrhein-Westfalen").
    pub fn words_de(&self, among: &str) -> String {
        let direction = match self.direction {
            Direction::Lower => "; niedriger ist besser",
            Direction::Higher => "; höher ist besser",
            Direction::Neutral => " (aufsteigend geordnet; weder höher noch niedriger ist besser)",
        };
        let place = match self.direction {
            Direction::Neutral => format!("Rang {} von {} {among}", self.rank, self.of),
            _ if self.rank == self.of && self.of > 1 => {
                format!("schlechtester Wert von {} {among}", self.of)
            }
            _ if self.rank <= ORDINALS.len() => format!(
                "{}bester Wert von {} {among}",
                ORDINALS[self.rank - 1],
                self.of
            ),
            _ => format!("Rang {} von {} {among}", self.rank, self.of),
        };
        format!("{place}{direction}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(id: &str) -> RegionId {
        id.parse().unwrap()
    }

    fn features(n: usize) -> Vec<Feature> {
        (0..n)
            .map(|i| Feature {
                code: format!("M{i}").parse().unwrap(),
                log: false,
            })
            .collect()
    }

    fn profiles(rows: &[(&str, &[f64])]) -> BTreeMap<RegionId, Vec<Option<f64>>> {
        rows.iter()
            .map(|(id, v)| (region(id), v.iter().map(|x| Some(*x)).collect()))
            .collect()
    }

    const DATA: [(&str, &[f64]); 6] = [
        ("05158", &[9.8, 1190.0, 51.5]),
        ("05111", &[17.0, 2800.0, 55.0]),
        ("05162", &[7.5, 750.0, 49.0]),
        ("05166", &[7.9, 510.0, 50.5]),
        ("05170", &[9.1, 440.0, 47.9]),
        ("05314", &[12.6, 2300.0, 54.2]),
    ];

    #[test]
    fn a_region_identical_to_another_is_its_nearest_neighbour() {
        let mut rows = DATA.to_vec();
        rows.push(("05958", DATA[4].1));
        let g = similar(&region("05170"), &features(3), &profiles(&rows), 3).unwrap();
        assert_eq!(g.members[0].region, region("05958"));
        assert_eq!(g.members[0].distance, 0.0);
        assert!(g.members[0].differences.iter().all(|d| *d == 0.0));
        assert_eq!((g.members.len(), g.candidates), (3, 7));
    }

    #[test]
    fn scaling_an_indicator_by_a_constant_does_not_change_the_group() {
        let p = profiles(&DATA);
        let scaled: BTreeMap<RegionId, Vec<Option<f64>>> = p
            .iter()
            .map(|(r, v)| {
                let mut v = v.clone();
                v[1] = v[1].map(|x| x * 1000.0);
                v[0] = v[0].map(|x| x / 100.0);
                (r.clone(), v)
            })
            .collect();
        for of in DATA.iter().map(|d| region(d.0)) {
            let a = similar(&of, &features(3), &p, 3).unwrap();
            let b = similar(&of, &features(3), &scaled, 3).unwrap();
            let ids = |g: &Group| {
                g.members
                    .iter()
                    .map(|m| m.region.clone())
                    .collect::<Vec<_>>()
            };
            assert_eq!(ids(&a), ids(&b), "{of}");
            for (x, y) in a.members.iter().zip(&b.members) {
                assert!((x.distance - y.distance).abs() < 1e-12);
            }
        }
    }

    proptest::proptest! {
        /// For any data and any positive factor per indicator the group is the same.
        #[test]
        fn groups_do_not_depend_on_units(
            values in proptest::collection::vec(proptest::collection::vec(-1e3f64..1e3, 3), 5..20),
            factors in proptest::collection::vec(1e-3f64..1e3, 3),
        ) {
            let ids: Vec<String> = (0..values.len()).map(|i| format!("{:02}", i + 1)).collect();
            let p: BTreeMap<RegionId, Vec<Option<f64>>> = ids
                .iter()
                .zip(&values)
                .map(|(id, v)| (region(id), v.iter().map(|x| Some(*x)).collect()))
                .collect();
            let scaled: BTreeMap<RegionId, Vec<Option<f64>>> = p
                .iter()
                .map(|(r, v)| (r.clone(), v.iter().zip(&factors).map(|(x, f)| x.map(|x| x * f)).collect()))
                .collect();
            let a = similar(&region("01"), &features(3), &p, 4).unwrap();
            let b = similar(&region("01"), &features(3), &scaled, 4).unwrap();
            for (x, y) in a.members.iter().zip(&b.members) {
                proptest::prop_assert!((x.distance - y.distance).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn regions_without_every_indicator_are_left_out_and_the_region_needs_them() {
        let mut p = profiles(&DATA);
        p.get_mut(&region("05111")).unwrap()[2] = None;
        let g = similar(&region("05158"), &features(3), &p, 10).unwrap();
        assert_eq!(g.candidates, 5);
        assert!(g.members.iter().all(|m| m.region != region("05111")));
        assert_eq!(
            similar(&region("05111"), &features(3), &p, 3).unwrap_err(),
            GroupError::Incomplete(region("05111"))
        );
    }

    #[test]
    fn places_are_direction_aware_and_quartiles_interpolate() {
        let values = [300.0, 350.0, 400.0, 450.0, 477.25, 500.0, 525.0];
        let p = place(477.25, &values, Direction::Lower).unwrap();
        assert_eq!((p.rank, p.of), (5, 7));
        assert!((p.better_than - 100.0 * 2.0 / 6.0).abs() < 1e-12);
        assert_eq!((p.q1, p.median, p.q3), (375.0, 450.0, 488.625));
        assert_eq!(
            p.words_de("Kreisen in Nordrhein-Westfalen"),
            "Rang 5 von 7 Kreisen in Nordrhein-Westfalen; niedriger ist besser"
        );
        let p = place(477.25, &values, Direction::Higher).unwrap();
        assert_eq!(p.rank, 3);
        assert_eq!(
            p.words_de("vergleichbaren Kreisen"),
            "drittbester Wert von 7 vergleichbaren Kreisen; höher ist besser"
        );
        let worst = place(525.0, &values, Direction::Lower).unwrap();
        assert_eq!(
            worst.words_de("Kreisen"),
            "schlechtester Wert von 7 Kreisen; niedriger ist besser"
        );
        // Equal values share the better rank.
        let tied = place(2.0, &[1.0, 2.0, 2.0, 3.0], Direction::Lower).unwrap();
        assert_eq!(tied.rank, 2);
        let tied = place(2.0, &[1.0, 2.0, 2.0, 3.0], Direction::Higher).unwrap();
        assert_eq!(tied.rank, 2);
        let sorted = [1.0, 2.0, 2.0, 3.0];
        for v in sorted {
            for d in [Direction::Lower, Direction::Higher, Direction::Neutral] {
                let counted = 1 + sorted
                    .iter()
                    .filter(|x| {
                        if d == Direction::Higher {
                            **x > v
                        } else {
                            **x < v
                        }
                    })
                    .count();
                assert_eq!(rank_in_sorted(v, &sorted, d), counted, "{v} {d:?}");
            }
        }
        assert!(place(f64::NAN, &values, Direction::Lower).is_none());
    }
}
