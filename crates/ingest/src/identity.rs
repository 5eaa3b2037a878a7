//! Identities that published tables carry: parts add up to a total, the classes of a breakdown
//! add up to the total, a published share equals numerator ÷ denominator × scale at the
//! published precision, a published mean per unit equals the mean of its classes weighted by
//! the classes of its unit. A mapping declares them (`[[identities]]`, `docs/import-mapping.md`);
//! the import checks every region and period that has all their values and warns for each one
//! that does not hold, naming region, period and both sides. A warning, not an error: the
//! figures are the publisher's, and the user decides.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Deserialize;
use zielwerk_domain::{IndicatorCode, Observation, Period, RegionId, format};

use crate::long_csv::Problem;

/// One identity, as a mapping declares it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Identity {
    /// `total` = Σ `parts`.
    Sum {
        total: String,
        parts: Vec<String>,
        #[serde(default)]
        tolerance: Option<f64>,
    },
    /// The classes of `indicator`'s breakdown `dimension` add up to its total.
    Classes {
        indicator: String,
        dimension: String,
        #[serde(default)]
        tolerance: Option<f64>,
    },
    /// `value` = `numerator` ÷ `denominator` × `scale`, published to `decimals` places.
    Ratio {
        value: String,
        numerator: String,
        denominator: String,
        #[serde(default = "hundred")]
        scale: f64,
        #[serde(default)]
        decimals: u32,
        /// The largest difference that still holds; by default half a unit of the last
        /// published decimal.
        #[serde(default)]
        tolerance: Option<f64>,
    },
    /// The total of `value` (an amount per unit, e.g. KdU per BG) equals the mean of its
    /// classes of breakdown `dimension`, weighted by the same classes of `weight` (the units it
    /// is per, e.g. BG with recognised KdU), published to `decimals` places.
    WeightedMean {
        value: String,
        weight: String,
        dimension: String,
        #[serde(default)]
        decimals: u32,
        /// By default one unit of the last published decimal: the classes are rounded too.
        #[serde(default)]
        tolerance: Option<f64>,
    },
}

fn hundred() -> f64 {
    100.0
}

impl Identity {
    /// The indicators the identity reads.
    fn indicators(&self) -> Vec<&str> {
        match self {
            Identity::Sum { total, parts, .. } => std::iter::once(total.as_str())
                .chain(parts.iter().map(String::as_str))
                .collect(),
            Identity::Classes { indicator, .. } => vec![indicator.as_str()],
            Identity::Ratio {
                value,
                numerator,
                denominator,
                ..
            } => vec![value, numerator, denominator],
            Identity::WeightedMean { value, weight, .. } => vec![value, weight],
        }
    }

    /// The indicator whose published value the identity checks (the total, the share, the
    /// mean): a violation is shown beside its value.
    pub fn checked(&self) -> &str {
        match self {
            Identity::Sum { total, .. } => total,
            Identity::Classes { indicator, .. } => indicator,
            Identity::Ratio { value, .. } | Identity::WeightedMean { value, .. } => value,
        }
    }

    /// In words, for messages: "A = B / C × 100".
    pub fn describe(&self) -> String {
        match self {
            Identity::Sum { total, parts, .. } => format!("{total} = {}", parts.join(" + ")),
            Identity::Classes {
                indicator,
                dimension,
                ..
            } => format!("{indicator} = Summe der Klassen nach {dimension}"),
            Identity::Ratio {
                value,
                numerator,
                denominator,
                scale,
                ..
            } => format!(
                "{value} = {numerator} / {denominator} × {}",
                format::number(*scale, 0)
            ),
            Identity::WeightedMean {
                value,
                weight,
                dimension,
                ..
            } => format!("{value} = Mittel der Klassen nach {dimension}, gewichtet mit {weight}"),
        }
    }

    /// Checks the declaration against the indicators a file may name.
    pub fn check(&self, known: &dyn Fn(&str) -> bool) -> Result<(), String> {
        let unknown: Vec<&str> = self
            .indicators()
            .into_iter()
            .filter(|c| !known(c))
            .collect();
        if !unknown.is_empty() {
            return Err(format!(
                "Die Identität „{}“ nennt unbekannte Kennzahlen: {}",
                self.describe(),
                unknown.join(", ")
            ));
        }
        match self {
            Identity::Sum { parts, .. } if parts.is_empty() => Err(format!(
                "Die Identität „{}“ braucht mindestens einen Teil (parts)",
                self.describe()
            )),
            Identity::Ratio { scale, .. } if !scale.is_finite() || *scale == 0.0 => Err(format!(
                "Die Identität „{}“ braucht einen Faktor (scale) ungleich 0",
                self.describe()
            )),
            _ => Ok(()),
        }
    }
}

/// A value seen: what it is, the line it came from.
#[derive(Debug, Clone, Copy)]
struct Seen {
    value: f64,
    row: u64,
}

/// The values the identities need, by region and period, collected while a file is read.
/// Only the indicators the identities name are kept.
#[derive(Debug, Default)]
pub(crate) struct Identities {
    declared: Vec<Identity>,
    wanted: HashSet<String>,
    /// (region, period) → (indicator, breakdown key) → value.
    values: BTreeMap<(RegionId, Period), HashMap<(String, String), Seen>>,
}

/// How many violations are listed one by one (the rest are counted in one more warning).
const LISTED: usize = 100;

impl Identities {
    pub(crate) fn new(declared: &[Identity]) -> Self {
        Self {
            wanted: declared
                .iter()
                .flat_map(|i| i.indicators().into_iter().map(str::to_owned))
                .collect(),
            declared: declared.to_vec(),
            values: BTreeMap::new(),
        }
    }

    pub(crate) fn note(&mut self, obs: &Observation, row: u64) {
        if self.declared.is_empty() || !self.wanted.contains(obs.indicator.as_str()) {
            return;
        }
        let Some(value) = obs
            .value
            .or_else(|| match (obs.numerator, obs.denominator) {
                (Some(n), Some(d)) if d != 0.0 => Some(n / d),
                _ => None,
            })
        else {
            return;
        };
        self.values
            .entry((obs.region.clone(), obs.period()))
            .or_default()
            .insert(
                (
                    obs.indicator.to_string(),
                    obs.breakdown.as_ref().map(|b| b.key()).unwrap_or_default(),
                ),
                Seen { value, row },
            );
    }

    /// Every check made: the value checked and, where the identity does not hold, why; and the
    /// violations as warnings at the line of the value checked (the first [`LISTED`] one by
    /// one, the rest counted in one more).
    pub(crate) fn results(&self) -> (Vec<Problem>, Vec<IdentityCheck>) {
        let mut warnings = Vec::new();
        let mut checks: Vec<IdentityCheck> = Vec::new();
        let mut more = 0u64;
        for ((region, period), values) in &self.values {
            let total = |code: &str| values.get(&(code.to_owned(), String::new())).copied();
            let group = checks.len();
            for identity in &self.declared {
                let Some((left, right, tolerance, decimals, at)) =
                    evaluate(identity, &total, values)
                else {
                    continue;
                };
                let Ok(indicator) = identity.checked().parse::<IndicatorCode>() else {
                    continue;
                };
                let violation = ((left - right).abs() > tolerance + 1e-9).then(|| {
                    format!(
                        "veröffentlicht {}, berechnet {} (Abweichung {})",
                        format::number(left, decimals),
                        format::number(right, decimals.max(2) + 2),
                        format::number((left - right).abs(), decimals.max(2) + 2),
                    )
                });
                if let Some(sides) = &violation {
                    if warnings.len() < LISTED {
                        warnings.push(Problem {
                            row: at,
                            message: format!(
                                "Identität „{}“ verletzt für {region}, {}: {sides}",
                                identity.describe(),
                                period.german_long()
                            ),
                            ..Default::default()
                        });
                    } else {
                        more += 1;
                    }
                }
                let violation = violation
                    .map(|sides| format!("Identität „{}“ verletzt: {sides}", identity.describe()));
                // Two identities checking the same value: one check, both reasons.
                match checks[group..]
                    .iter_mut()
                    .find(|c| c.indicator == indicator)
                {
                    Some(c) => {
                        c.violation = match (c.violation.take(), violation) {
                            (Some(a), Some(b)) => Some(format!("{a}; {b}")),
                            (a, b) => a.or(b),
                        }
                    }
                    None => checks.push(IdentityCheck {
                        region: region.clone(),
                        period: *period,
                        indicator,
                        violation,
                    }),
                }
            }
        }
        if more > 0 {
            warnings.push(Problem {
                row: warnings.last().map(|p| p.row).unwrap_or(1),
                message: format!(
                    "… und {} weitere verletzte Identitäten (die ersten {LISTED} sind einzeln genannt)",
                    format::number(more as f64, 0)
                ),
                ..Default::default()
            });
        }
        (warnings, checks)
    }
}

/// One identity checked for one value: the value, and the violation if it does not hold.
/// The store keeps the violations beside the values (`value_warning`), and a later import
/// that checks the same value again replaces them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityCheck {
    pub region: RegionId,
    pub period: Period,
    pub indicator: IndicatorCode,
    /// Why the identity does not hold; `None` where it holds.
    pub violation: Option<String>,
}

/// The classes of `indicator`'s breakdown `dimension`: class key → value.
fn classes_of<'v>(
    values: &'v HashMap<(String, String), Seen>,
    indicator: &str,
    dimension: &str,
) -> BTreeMap<&'v str, f64> {
    let prefix = format!("{dimension}=");
    values
        .iter()
        .filter(|((code, _), _)| code == indicator)
        .filter_map(|((_, bd), s)| Some((bd.strip_prefix(&prefix)?, s.value)))
        .collect()
}

/// The published side, the computed side, the tolerance, the decimals to show and the line of
/// the published value; `None` when a value is missing.
fn evaluate(
    identity: &Identity,
    total: &dyn Fn(&str) -> Option<Seen>,
    values: &HashMap<(String, String), Seen>,
) -> Option<(f64, f64, f64, usize, u64)> {
    match identity {
        Identity::Sum {
            total: t,
            parts,
            tolerance,
        } => {
            let t = total(t)?;
            let mut sum = 0.0;
            for p in parts {
                sum += total(p)?.value;
            }
            Some((t.value, sum, tolerance.unwrap_or(1e-6), 2, t.row))
        }
        Identity::Classes {
            indicator,
            dimension,
            tolerance,
        } => {
            let t = total(indicator)?;
            let classes = classes_of(values, indicator, dimension);
            if classes.is_empty() {
                return None;
            }
            Some((
                t.value,
                classes.values().sum(),
                tolerance.unwrap_or(1e-6),
                2,
                t.row,
            ))
        }
        Identity::WeightedMean {
            value,
            weight,
            dimension,
            decimals,
            tolerance,
        } => {
            let v = total(value)?;
            let amounts = classes_of(values, value, dimension);
            let weights = classes_of(values, weight, dimension);
            // Every class of the amount needs its weight, and the other way round.
            if amounts.is_empty() || !amounts.keys().eq(weights.keys()) {
                return None;
            }
            let sum_weights: f64 = weights.values().sum();
            if sum_weights == 0.0 {
                return None;
            }
            let weighted: f64 = amounts.iter().map(|(c, a)| a * weights[c]).sum();
            let unit = 10f64.powi(-(*decimals as i32));
            Some((
                v.value,
                weighted / sum_weights,
                tolerance.unwrap_or(unit),
                *decimals as usize,
                v.row,
            ))
        }
        Identity::Ratio {
            value,
            numerator,
            denominator,
            scale,
            decimals,
            tolerance,
        } => {
            let v = total(value)?;
            let (n, d) = (total(numerator)?.value, total(denominator)?.value);
            if d == 0.0 {
                return None;
            }
            let half_unit = 0.5 * 10f64.powi(-(*decimals as i32));
            Some((
                v.value,
                n / d * scale,
                tolerance.unwrap_or(half_unit),
                *decimals as usize,
                v.row,
            ))
        }
    }
}
