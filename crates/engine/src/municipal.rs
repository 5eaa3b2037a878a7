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
    let (from, to) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    );
    match (from, to) {
        (Some(from), Some(to)) => but_take_up_between(applications, from, to, entitled_children),
        _ => but_take_up_between(
            applications,
            NaiveDate::MAX,
            NaiveDate::MIN,
            entitled_children,
        ),
    }
}

/// Take-up over the twelve months ending with `month` (the form of the indicator „mindestens
/// eine Leistung in den letzten 12 Monaten“).
pub fn but_take_up_12_months(
    applications: &[ButApplication],
    month: YearMonth,
    entitled_children: u32,
) -> Share {
    let from = month.plus(-11).unwrap_or(month).first_day();
    but_take_up_between(applications, from, month.last_day(), entitled_children)
}

fn but_take_up_between(
    applications: &[ButApplication],
    from: NaiveDate,
    to: NaiveDate,
    entitled_children: u32,
) -> Share {
    let children: BTreeSet<&str> = applications
        .iter()
        .filter(|a| a.granted && a.decided.is_some_and(|d| from <= d && d <= to))
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

/// The codes under which figures from case lists are stored (`docs/records.md`): an agreement
/// that defines an indicator with one of these codes gets its values from an uploaded case list.
pub mod codes {
    pub const BUT_QUOTE: &str = "BUT_QUOTE";
    pub const BUT_14_TAGE: &str = "BUT_14_TAGE";
    pub const BUT_RUECKSTAND: &str = "BUT_RUECKSTAND";
    pub const BUT_BEARBEITUNGSDAUER: &str = "BUT_BEARBEITUNGSDAUER";
    pub const SUCHT_ZUWEISUNGEN: &str = "SUCHT_ZUWEISUNGEN";
    pub const SUCHT_ANTRITT: &str = "SUCHT_ANTRITT";
    pub const SUCHT_WARTEZEIT: &str = "SUCHT_WARTEZEIT";
    pub const SUCHT_ABSCHLUESSE: &str = "SUCHT_ABSCHLUESSE";
}

/// Days within which a BuT application counts as decided in time (`BUT_14_TAGE`).
pub const BUT_WITHIN_DAYS: i64 = 14;
/// Days after which an open BuT application counts in the backlog (`BUT_RUECKSTAND`).
pub const BUT_BACKLOG_DAYS: i64 = 30;

/// What a figure from a case list is: a number, or a share with its two parts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Amount {
    Value(f64),
    Share { numerator: f64, denominator: f64 },
}

/// One figure of one month from a case list, under its code ([`codes`]).
#[derive(Debug, Clone, PartialEq)]
pub struct CaseFigure {
    pub month: YearMonth,
    pub code: &'static str,
    pub amount: Amount,
}

/// A figure of a month that cannot be given yet, with the reason in German.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub month: YearMonth,
    pub code: &'static str,
    pub reason: String,
}

/// The figures of a case list for a run of months, and those that are not known yet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseFigures {
    pub figures: Vec<CaseFigure>,
    pub pending: Vec<Pending>,
}

impl CaseFigures {
    fn value(&mut self, month: YearMonth, code: &'static str, v: f64) {
        self.figures.push(CaseFigure {
            month,
            code,
            amount: Amount::Value(v),
        });
    }

    fn share(&mut self, month: YearMonth, code: &'static str, s: &Share) {
        self.figures.push(CaseFigure {
            month,
            code,
            amount: Amount::Share {
                numerator: s.numerator,
                denominator: s.denominator,
            },
        });
    }

    fn pending(&mut self, month: YearMonth, code: &'static str, reason: String) {
        self.pending.push(Pending {
            month,
            code,
            reason,
        });
    }

    /// Whether `month` is over by `stand` (the day the list was exported); if not, every code
    /// of the month is pending with the reason.
    fn complete(&mut self, month: YearMonth, stand: NaiveDate, codes: &[&'static str]) -> bool {
        if month.last_day() <= stand {
            return true;
        }
        for code in codes {
            self.pending(
                month,
                code,
                format!(
                    "Noch kein Wert: {} endet erst nach dem Datenstand {}",
                    month.german_long(),
                    stand.format("%d.%m.%Y")
                ),
            );
        }
        false
    }
}

/// The BuT figures of the months `first` to `last` from the list of applications exported on
/// `stand`: the share decided within [`BUT_WITHIN_DAYS`] and the median days (months with
/// decisions), the backlog at the month's end, and the take-up over twelve months where the
/// entitled children of the month are given and the list reaches back to the first of the
/// twelve months.
pub fn but_figures(
    applications: &[ButApplication],
    entitled: &std::collections::BTreeMap<YearMonth, u32>,
    first: YearMonth,
    last: YearMonth,
    stand: NaiveDate,
) -> CaseFigures {
    let mut out = CaseFigures::default();
    let earliest = applications
        .iter()
        .map(|a| a.applied)
        .min()
        .and_then(|d| YearMonth::of_date(d).ok());
    for month in first.through(last) {
        use codes::*;
        let all = [
            BUT_14_TAGE,
            BUT_BEARBEITUNGSDAUER,
            BUT_RUECKSTAND,
            BUT_QUOTE,
        ];
        if !out.complete(month, stand, &all) {
            continue;
        }
        let p = but_processing(applications, month, BUT_WITHIN_DAYS, BUT_BACKLOG_DAYS);
        if p.decided > 0 {
            out.share(month, BUT_14_TAGE, &p.within);
        }
        if let Some(days) = p.median_days {
            out.value(month, BUT_BEARBEITUNGSDAUER, days);
        }
        out.value(month, BUT_RUECKSTAND, p.backlog as f64);
        let window = month.plus(-11).unwrap_or(month);
        match (entitled.get(&month), earliest) {
            (None, _) => out.pending(
                month,
                BUT_QUOTE,
                "Kein Wert: die Zahl der leistungsberechtigten Kinder des Monats fehlt (Datei but_berechtigte)".to_owned(),
            ),
            (Some(_), Some(e)) if e > window => out.pending(
                month,
                BUT_QUOTE,
                format!(
                    "Kein Wert: die Quote braucht die Entscheidungen ab {}, die Liste beginnt mit Anträgen aus {}",
                    window.german_long(),
                    e.german_long()
                ),
            ),
            (Some(children), _) => {
                out.share(
                    month,
                    BUT_QUOTE,
                    &but_take_up_12_months(applications, month, *children),
                );
            }
        }
    }
    out
}

/// The § 16a figures of the months `first` to `last` from the list of referrals exported on
/// `stand`: referrals, completions and the mean waiting time of the counselling started in the
/// month, and the share of the month's referrals that started by the end of the month after
/// (pending until that month is over).
pub fn counselling_figures(
    referrals: &[Referral],
    first: YearMonth,
    last: YearMonth,
    stand: NaiveDate,
) -> CaseFigures {
    let mut out = CaseFigures::default();
    for month in first.through(last) {
        use codes::*;
        let all = [
            SUCHT_ZUWEISUNGEN,
            SUCHT_ABSCHLUESSE,
            SUCHT_WARTEZEIT,
            SUCHT_ANTRITT,
        ];
        if !out.complete(month, stand, &all) {
            continue;
        }
        let c = counselling(referrals, month);
        out.value(month, SUCHT_ZUWEISUNGEN, c.referrals as f64);
        out.value(month, SUCHT_ABSCHLUESSE, c.completions as f64);
        if let Some(days) = c.mean_waiting_days {
            out.value(month, SUCHT_WARTEZEIT, days);
        }
        let horizon = month.next().map_or(month.last_day(), YearMonth::last_day);
        if horizon > stand {
            out.pending(
                month,
                SUCHT_ANTRITT,
                format!(
                    "Noch kein Wert: die Antrittsquote zählt Beratungen bis {}, die Liste reicht bis {}",
                    horizon.format("%d.%m.%Y"),
                    stand.format("%d.%m.%Y")
                ),
            );
        } else if c.referrals > 0 {
            out.share(month, SUCHT_ANTRITT, &c.take_up);
        }
    }
    out
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
    fn take_up_over_twelve_months_reaches_back_to_the_first_day_of_the_eleventh_month_before_it() {
        let apps = [
            app("k1", "2020-12-20", Some("2020-12-31"), true), // before the window of Dec 2021
            app("k2", "2020-12-25", Some("2021-01-01"), true), // first day of the window
            app("k3", "2021-12-20", Some("2021-12-31"), true), // last day
            app("k4", "2021-12-20", Some("2022-01-01"), true), // after
        ];
        let s = but_take_up_12_months(&apps, "2021-12".parse().unwrap(), 10);
        assert_eq!((s.numerator, s.denominator), (2.0, 10.0));
    }

    #[test]
    fn but_figures_per_month_with_what_is_not_known_yet() {
        let apps = [
            app("a", "2022-02-01", Some("2022-02-10"), true), // 9 days
            app("b", "2022-02-01", Some("2022-02-20"), true), // 19 days
            app("c", "2022-01-05", None, false),              // open: backlog from 4 Feb
        ];
        let entitled = [("2022-02".parse().unwrap(), 40)].into_iter().collect();
        let f = but_figures(
            &apps,
            &entitled,
            "2022-02".parse().unwrap(),
            "2022-03".parse().unwrap(),
            d("2022-03-15"),
        );
        let feb: YearMonth = "2022-02".parse().unwrap();
        let get = |code| {
            f.figures
                .iter()
                .find(|x| x.month == feb && x.code == code)
                .map(|x| x.amount)
        };
        assert_eq!(
            get(codes::BUT_14_TAGE),
            Some(Amount::Share {
                numerator: 1.0,
                denominator: 2.0
            })
        );
        assert_eq!(get(codes::BUT_BEARBEITUNGSDAUER), Some(Amount::Value(14.0)));
        assert_eq!(get(codes::BUT_RUECKSTAND), Some(Amount::Value(1.0)));
        // The list starts in February 2022: the twelve months back to March 2021 are missing.
        assert_eq!(get(codes::BUT_QUOTE), None);
        let reasons: Vec<_> = f
            .pending
            .iter()
            .map(|p| (p.code, p.reason.as_str()))
            .collect();
        assert!(reasons.contains(&(
            codes::BUT_QUOTE,
            "Kein Wert: die Quote braucht die Entscheidungen ab März 2021, die Liste beginnt mit Anträgen aus Januar 2022"
        )), "{reasons:?}");
        // March is not over on 15 March.
        assert!(f.figures.iter().all(|x| x.month == feb));
        assert!(reasons.contains(&(
            codes::BUT_RUECKSTAND,
            "Noch kein Wert: März 2022 endet erst nach dem Datenstand 15.03.2022"
        )));
    }

    #[test]
    fn counselling_take_up_waits_for_the_end_of_the_month_after() {
        let list = [
            Referral {
                person: "p1".into(),
                referred: d("2022-04-04"),
                started: Some(d("2022-05-14")),
                completed: None,
            },
            Referral {
                person: "p2".into(),
                referred: d("2022-05-02"),
                started: None,
                completed: None,
            },
        ];
        let f = counselling_figures(
            &list,
            "2022-04".parse().unwrap(),
            "2022-05".parse().unwrap(),
            d("2022-05-31"),
        );
        let april: YearMonth = "2022-04".parse().unwrap();
        let may: YearMonth = "2022-05".parse().unwrap();
        assert!(f.figures.contains(&CaseFigure {
            month: april,
            code: codes::SUCHT_ANTRITT,
            amount: Amount::Share {
                numerator: 1.0,
                denominator: 1.0
            }
        }));
        assert!(f.figures.contains(&CaseFigure {
            month: may,
            code: codes::SUCHT_WARTEZEIT,
            amount: Amount::Value(40.0)
        }));
        assert_eq!(
            f.pending,
            vec![Pending {
                month: may,
                code: codes::SUCHT_ANTRITT,
                reason: "Noch kein Wert: die Antrittsquote zählt Beratungen bis 30.06.2022, die Liste reicht bis 31.05.2022".into()
            }]
        );
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
