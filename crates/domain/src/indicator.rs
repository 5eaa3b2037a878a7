//! Indicators: what is measured, in which unit, which direction is better, and how the value is
//! obtained (stored as it arrives, or computed from stored components).

use serde::{Deserialize, Serialize};

use crate::ids::IndicatorCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Persons, Bedarfsgemeinschaften, cases.
    Count,
    /// A share or rate in percent.
    Percent,
    /// Amounts in euro.
    Euro,
    /// Durations in days.
    Days,
    /// A milestone: 0 = open, 1 = reached.
    Milestone,
}

impl Unit {
    /// Units that count something (cases, days, euros): their values and targets are not
    /// negative. Percentages may be (a change against last year).
    pub fn counts(self) -> bool {
        matches!(self, Unit::Count | Unit::Days | Unit::Euro)
    }

    pub const ALL: [Unit; 5] = [
        Unit::Count,
        Unit::Percent,
        Unit::Euro,
        Unit::Days,
        Unit::Milestone,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "count",
            Unit::Percent => "percent",
            Unit::Euro => "euro",
            Unit::Days => "days",
            Unit::Milestone => "milestone",
        }
    }

    /// German label for tables and axis titles.
    pub fn label_de(self) -> &'static str {
        match self {
            Unit::Count => "Anzahl",
            Unit::Percent => "%",
            Unit::Euro => "EUR",
            Unit::Days => "Tage",
            Unit::Milestone => "Meilenstein",
        }
    }

    /// Decimal places shown for a value of this unit.
    pub fn decimals(self) -> usize {
        match self {
            Unit::Count | Unit::Milestone => 0,
            Unit::Percent | Unit::Days => 1,
            Unit::Euro => 2,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Higher values are better (e.g. Integrationsquote).
    Higher,
    /// Lower values are better (e.g. number of Langzeitleistungsbeziehende).
    Lower,
    /// Neither: the value should stay close to its target.
    Neutral,
}

impl Direction {
    pub const ALL: [Direction; 3] = [Direction::Higher, Direction::Lower, Direction::Neutral];

    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Higher => "higher",
            Direction::Lower => "lower",
            Direction::Neutral => "neutral",
        }
    }

    pub fn label_de(self) -> &'static str {
        match self {
            Direction::Higher => "höher ist besser",
            Direction::Lower => "niedriger ist besser",
            Direction::Neutral => "nah am Zielwert",
        }
    }
}

/// How monthly values add up over a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Accumulation {
    /// A level or rate at each month (stock, share, average). The target applies to the month.
    Stock,
    /// Events counted per month (referrals, payments). The target applies to the sum over the
    /// calendar year; to date it is compared with the sum so far.
    Flow,
}

impl Accumulation {
    pub const ALL: [Accumulation; 2] = [Accumulation::Stock, Accumulation::Flow];

    pub fn as_str(self) -> &'static str {
        match self {
            Accumulation::Stock => "stock",
            Accumulation::Flow => "flow",
        }
    }

    pub fn label_de(self) -> &'static str {
        match self {
            Accumulation::Stock => "Bestand/Quote je Monat",
            Accumulation::Flow => "Summe im Kalenderjahr",
        }
    }
}

/// How an indicator's monthly value comes about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Formula {
    /// The value is stored as it arrives.
    Stored,
    /// Numerator and denominator are stored; value = numerator / denominator × scale.
    StoredRatio { scale: f64 },
    /// Ratio of two other indicators in the same month: numerator(t) / denominator(t) × scale.
    Ratio {
        numerator: IndicatorCode,
        denominator: IndicatorCode,
        scale: f64,
    },
    /// Change against the same month a year earlier, in percent: (x(t) / x(t−12) − 1) × 100.
    YearOverYear { base: IndicatorCode },
    /// Twelve-month rate in percent: Σ numerator over months t−11..t divided by the mean of the
    /// denominator over the same months, × 100 (the form of the Integrationsquote K2).
    Rolling12 {
        numerator: IndicatorCode,
        denominator: IndicatorCode,
    },
    /// Twelve-month average rate in percent: Σ numerator over t−11..t divided by Σ denominator
    /// over the same months shifted back by `lag` (0: the same month's stock, as for inflow
    /// rates; 1: the previous month's stock, as for outflow rates), × 100.
    RollingRate {
        numerator: IndicatorCode,
        denominator: IndicatorCode,
        lag: u8,
    },
    /// Change over `periods` periods of the series' own kind (months of a monthly series, years
    /// of a yearly one): x(t) − x(t−n), or in percent (x(t) ÷ x(t−n) − 1) × 100. December to
    /// December over ten years is `periods = 120` on a monthly series, `10` on a yearly one.
    Change {
        base: IndicatorCode,
        periods: u16,
        percent: bool,
    },
    /// A total as quantity × price in the same month: e.g. the month's KdU as BG with
    /// recognised KdU × recognised KdU per such BG. The price is a mean per unit of exactly this
    /// quantity (the BA's KdU per BG counts only BG with recognised KdU), so the product is the
    /// total and a change of it splits into quantity, price and, by household size, structure.
    Product {
        quantity: IndicatorCode,
        price: IndicatorCode,
    },
}

impl Formula {
    /// Numerator and denominator indicators of a formula that divides one indicator by another.
    pub fn components(&self) -> Option<(&IndicatorCode, &IndicatorCode)> {
        match self {
            Formula::Ratio {
                numerator,
                denominator,
                ..
            }
            | Formula::Rolling12 {
                numerator,
                denominator,
            }
            | Formula::RollingRate {
                numerator,
                denominator,
                ..
            } => Some((numerator, denominator)),
            Formula::Stored
            | Formula::StoredRatio { .. }
            | Formula::YearOverYear { .. }
            | Formula::Change { .. }
            | Formula::Product { .. } => None,
        }
    }

    /// The other indicators this formula reads.
    pub fn inputs(&self) -> Vec<&IndicatorCode> {
        match (self, self.components()) {
            (_, Some((numerator, denominator))) => vec![numerator, denominator],
            (Formula::YearOverYear { base } | Formula::Change { base, .. }, None) => vec![base],
            (Formula::Product { quantity, price }, None) => vec![quantity, price],
            _ => Vec::new(),
        }
    }

    pub fn is_stored(&self) -> bool {
        matches!(self, Formula::Stored | Formula::StoredRatio { .. })
    }

    /// A German description of the formula for the goal page.
    pub fn describe_de(&self) -> String {
        match self {
            Formula::Stored => "Wert wird so gespeichert, wie er geliefert wird".into(),
            Formula::StoredRatio { scale } => format!("Zähler ÷ Nenner{}", times(*scale)),
            Formula::Ratio {
                numerator,
                denominator,
                scale,
            } => format!(
                "{numerator} ÷ {denominator}{} im selben Monat",
                times(*scale)
            ),
            Formula::YearOverYear { base } => {
                format!("({base} im Monat ÷ {base} im Vorjahresmonat − 1) × 100")
            }
            Formula::Rolling12 {
                numerator,
                denominator,
            } => format!(
                "Summe {numerator} über 12 Monate ÷ Durchschnitt {denominator} über dieselben 12 Monate × 100"
            ),
            Formula::RollingRate {
                numerator,
                denominator,
                lag: 0,
            } => format!(
                "Summe {numerator} über 12 Monate ÷ Summe {denominator} über dieselben 12 Monate × 100"
            ),
            Formula::RollingRate {
                numerator,
                denominator,
                lag,
            } => format!(
                "Summe {numerator} über 12 Monate ÷ Summe {denominator} über dieselben 12 Monate, jeweils {} früher, × 100",
                crate::format::counted(usize::from(*lag), "Monat", "Monate")
            ),
            Formula::Change {
                base,
                periods,
                percent: false,
            } => format!(
                "{base} im Zeitraum − {base} {} früher (Monate bei Monatswerten, Jahre bei Jahreswerten)",
                crate::format::counted(usize::from(*periods), "Zeitraum", "Zeiträume")
            ),
            Formula::Change {
                base,
                periods,
                percent: true,
            } => format!(
                "({base} im Zeitraum ÷ {base} {} früher − 1) × 100 (Monate bei Monatswerten, Jahre bei Jahreswerten)",
                crate::format::counted(usize::from(*periods), "Zeitraum", "Zeiträume")
            ),
            Formula::Product { quantity, price } => {
                format!("{quantity} × {price} im selben Monat")
            }
        }
    }
}

/// " × 100" for a scale other than 1.
fn times(scale: f64) -> String {
    if scale == 1.0 {
        String::new()
    } else {
        format!(" × {}", crate::format::number(scale, 0))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Indicator {
    pub code: IndicatorCode,
    /// German name shown to users.
    pub name: String,
    pub description: String,
    pub unit: Unit,
    pub direction: Direction,
    pub accumulation: Accumulation,
    pub formula: Formula,
    /// Names of numerator and denominator for [`Formula::StoredRatio`], e.g. "Kinder mit Leistung".
    pub numerator_label: Option<String>,
    pub denominator_label: Option<String>,
    /// The published yearly statistic across regions (Kreise, Länder, Bund) that measures the same
    /// thing, e.g. INKAR's `D_UNTERKUNFT_LSTG` for KdU per BG: where it is set, pages and
    /// documents place the Jobcenter's Kreis among its Land, the Bund and its comparison group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison: Option<IndicatorCode>,
}
