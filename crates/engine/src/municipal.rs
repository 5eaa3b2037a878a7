//! Municipal figures computed from case lists: Bildung und Teilhabe (take-up, processing time,
//! backlog), § 16a addiction counselling (referrals, starts, completions, waiting time) and KIM
//! milestones. Case lists hold pseudonymised ids only; what leaves this module are counts and
//! shares.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use zielwerk_domain::YearMonth;

/// One BuT application (§ 28 SGB II) from the case list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ButApplication {
    /// Pseudonymised id of the child.
    pub child: String,
    pub applied: NaiveDate,
    pub decided: Option<NaiveDate>,
    pub granted: bool,
}

/// A share with its numerator and denominator named, as every rate in Zielwerk.
#[derive(Debug, Clone, PartialEq)]
pub struct Share {
    pub numerator: f64,
    pub denominator: f64,
    pub numerator_label: &'static str,
    pub denominator_label: &'static str,
}

impl Share {
    /// In percent; `None` for an empty denominator.
    pub fn percent(&self) -> Option<f64> {
        (self.denominator > 0.0).then(|| self.numerator / self.denominator * 100.0)
    }
}

/// Take-up in a calendar year: distinct children with at least one granted benefit decided in the
/// year, over the children entitled (from the benefit statistics; it must be given, not guessed).
pub fn but_take_up(applications: &[ButApplication], year: i32, entitled_children: u32) -> Share {
    let children: BTreeSet<&str> = applications
        .iter()
        .filter(|a| {
            a.granted
                && a.decided
                    .is_some_and(|d| chrono::Datelike::year(&d) == year)
        })
        .map(|a| a.child.as_str())
        .collect();
    Share {
        numerator: children.len() as f64,
        denominator: f64::from(entitled_children),
        numerator_label: "Kinder mit mindestens einer bewilligten Leistung im Jahr",
        denominator_label: "Leistungsberechtigte Kinder",
    }
}

/// Processing of the applications decided in a month.
#[derive(Debug, Clone, PartialEq)]
pub struct Processing {
    pub decided: usize,
    /// Median days from application to decision (the mean of the two middle values for an even
    /// count); `None` without decisions.
    pub median_days: Option<f64>,
    /// Decided within the given number of days.
    pub within: Share,
    /// Applications open at the end of the month for longer than `backlog_days`.
    pub backlog: usize,
}

pub fn but_processing(
    applications: &[ButApplication],
    month: YearMonth,
    within_days: i64,
    backlog_days: i64,
) -> Processing {
    let end = month.last_day();
    let mut days: Vec<i64> = applications
        .iter()
        .filter_map(|a| {
            let d = a.decided?;
            (YearMonth::of_date(d).ok()? == month).then(|| (d - a.applied).num_days())
        })
        .collect();
    days.sort_unstable();
    let median_days = median(&days);
    let fast = days.iter().filter(|d| **d <= within_days).count();
    let backlog = applications
        .iter()
        .filter(|a| a.applied <= end && a.decided.is_none_or(|d| d > end))
        .filter(|a| (end - a.applied).num_days() > backlog_days)
        .count();
    Processing {
        decided: days.len(),
        median_days,
        within: Share {
            numerator: fast as f64,
            denominator: days.len() as f64,
            numerator_label: "Binnen der Frist entschieden",
            denominator_label: "Im Monat entschiedene Anträge",
        },
        backlog,
    }
}

fn median(sorted: &[i64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2] as f64),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) as f64 / 2.0),
    }
}

/// One referral to addiction counselling under § 16a SGB II.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referral {
    pub person: String,
    pub referred: NaiveDate,
    pub started: Option<NaiveDate>,
    pub completed: Option<NaiveDate>,
}

/// § 16a figures of a month, as reported to the Kreis: aggregates only.
#[derive(Debug, Clone, PartialEq)]
pub struct Counselling {
    pub referrals: usize,
    /// Counselling started in the month (whenever referred).
    pub starts: usize,
    pub completions: usize,
    /// Mean days from referral to the first meeting, for starts in the month.
    pub mean_waiting_days: Option<f64>,
    /// Referrals of the month that started counselling by the end of the month after.
    pub take_up: Share,
}

pub fn counselling(referrals: &[Referral], month: YearMonth) -> Counselling {
    let in_month = |d: NaiveDate| YearMonth::of_date(d).ok() == Some(month);
    let waits: Vec<i64> = referrals
        .iter()
        .filter_map(|r| {
            r.started
                .filter(|s| in_month(*s))
                .map(|s| (s - r.referred).num_days())
        })
        .collect();
    let horizon = month.next().map_or(month.last_day(), YearMonth::last_day);
    let referred: Vec<&Referral> = referrals.iter().filter(|r| in_month(r.referred)).collect();
    let started_in_time = referred
        .iter()
        .filter(|r| r.started.is_some_and(|s| s <= horizon))
        .count();
    Counselling {
        referrals: referred.len(),
        starts: waits.len(),
        completions: referrals
            .iter()
            .filter(|r| r.completed.is_some_and(in_month))
            .count(),
        mean_waiting_days: (!waits.is_empty())
            .then(|| waits.iter().sum::<i64>() as f64 / waits.len() as f64),
        take_up: Share {
            numerator: started_in_time as f64,
            denominator: referred.len() as f64,
            numerator_label: "Beratung bis Ende des Folgemonats begonnen",
            denominator_label: "Zuweisungen im Monat",
        },
    }
}

/// KIM: milestones reached by a date, of those due by then.
pub fn milestones_reached(milestones: &[(NaiveDate, Option<NaiveDate>)], on: NaiveDate) -> Share {
    let due: Vec<_> = milestones.iter().filter(|(due, _)| *due <= on).collect();
    Share {
        numerator: due
            .iter()
            .filter(|(due, reached)| reached.is_some_and(|r| r <= *due))
            .count() as f64,
        denominator: due.len() as f64,
        numerator_label: "Fristgerecht erreichte Meilensteine",
        denominator_label: "Fällige Meilensteine",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn app(child: &str, applied: &str, decided: Option<&str>, granted: bool) -> ButApplication {
        ButApplication {
            child: child.into(),
            applied: d(applied),
            decided: decided.map(d),
            granted,
        }
    }

    #[test]
    fn take_up_counts_each_child_once_and_names_its_denominator() {
        let apps = [
            app("k1", "2022-01-03", Some("2022-01-10"), true),
            app("k1", "2022-03-01", Some("2022-03-05"), true), // the same child again
            app("k2", "2022-02-01", Some("2022-02-20"), false), // refused
            app("k3", "2021-12-20", Some("2022-01-04"), true), // decided in 2022
            app("k4", "2022-12-28", None, false),              // open
        ];
        let s = but_take_up(&apps, 2022, 4);
        assert_eq!((s.numerator, s.denominator), (2.0, 4.0));
        assert_eq!(s.percent(), Some(50.0));
        assert_eq!(s.denominator_label, "Leistungsberechtigte Kinder");
        assert_eq!(
            but_take_up(&apps, 2022, 0).percent(),
            None,
            "no entitled children, no rate"
        );
    }

    #[test]
    fn processing_time_median_share_and_backlog() {
        let apps = [
            app("a", "2022-03-01", Some("2022-03-05"), true), // 4 days
            app("b", "2022-03-01", Some("2022-03-15"), true), // 14 days: within
            app("c", "2022-02-20", Some("2022-03-21"), true), // 29 days
            app("d", "2022-03-10", Some("2022-03-12"), false), // 2 days
            app("e", "2022-02-01", None, false),              // open since 58 days at 31.03.
            app("f", "2022-03-20", None, false),              // open, 11 days
            app("g", "2022-02-25", Some("2022-04-02"), true), // decided after March: open then, 34 days
        ];
        let p = but_processing(&apps, "2022-03".parse().unwrap(), 14, 30);
        assert_eq!(p.decided, 4);
        assert_eq!(p.median_days, Some(9.0), "mean of 4 and 14");
        assert_eq!((p.within.numerator, p.within.denominator), (3.0, 4.0));
        assert_eq!(p.backlog, 2);
        let empty = but_processing(&apps, "2022-06".parse().unwrap(), 14, 30);
        assert_eq!((empty.median_days, empty.within.percent()), (None, None));
    }

    #[test]
    fn counselling_month() {
        let r =
            |p: &str, referred: &str, started: Option<&str>, completed: Option<&str>| Referral {
                person: p.into(),
                referred: d(referred),
                started: started.map(d),
                completed: completed.map(d),
            };
        let list = [
            r("p1", "2022-04-04", Some("2022-04-14"), None),
            r("p2", "2022-04-20", Some("2022-05-30"), None), // starts by the end of May: counts
            r("p3", "2022-04-28", Some("2022-06-02"), None), // too late for April's take-up
            r("p4", "2022-03-15", Some("2022-04-05"), Some("2022-04-29")),
            r("p5", "2022-04-30", None, None),
        ];
        let c = counselling(&list, "2022-04".parse().unwrap());
        assert_eq!((c.referrals, c.starts, c.completions), (4, 2, 1));
        assert_eq!(c.mean_waiting_days, Some((10.0 + 21.0) / 2.0));
        assert_eq!((c.take_up.numerator, c.take_up.denominator), (2.0, 4.0));
    }

    #[test]
    fn milestones_due_and_reached_in_time() {
        let m = [
            (d("2022-03-31"), Some(d("2022-03-15"))),
            (d("2022-06-30"), Some(d("2022-08-01"))), // late
            (d("2022-10-31"), None),                  // not yet due in July
        ];
        let s = milestones_reached(&m, d("2022-07-31"));
        assert_eq!((s.numerator, s.denominator), (1.0, 2.0));
    }

    proptest! {
        /// A longer deadline never lowers the share decided within it.
        #[test]
        fn share_within_is_monotone_in_the_deadline(
            waits in prop::collection::vec(0i64..60, 1..40),
            n in 0i64..60,
        ) {
            let apps: Vec<ButApplication> = waits
                .iter()
                .enumerate()
                .map(|(i, w)| {
                    let decided = d("2022-05-31");
                    ButApplication { child: i.to_string(), applied: decided - chrono::Duration::days(*w), decided: Some(decided), granted: true }
                })
                .collect();
            let m: YearMonth = "2022-05".parse().unwrap();
            let a = but_processing(&apps, m, n, 30).within.numerator;
            let b = but_processing(&apps, m, n + 1, 30).within.numerator;
            prop_assert!(b >= a);
        }
    }
}
