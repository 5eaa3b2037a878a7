//! Key figures from the Jobcenter's own records (issue 23), exactly as § 48a SGB II and its
//! Verordnung define them. This crate is a leaf: records in, counts out, no I/O and no
//! dataframe engine. Persons are dense integer keys, spells are kept as a struct of arrays
//! sorted by person and start.
//!
//! What stands so far (see `docs/records.md` for the plan and what is still open): the stock
//! of erwerbsfähige Leistungsberechtigte (ELB) at a reporting date per Jobcenter, and the
//! Langzeitleistungsbeziehende (LZB) among them:
//!
//! - A person is in a Jobcenter's ELB stock at a reporting date when a spell of need as an ELB
//!   covers that day; the Jobcenter is that spell's (when two spells cover the day, the one that
//!   started later: the person has moved on that day).
//! - A person in the ELB stock is an LZB when they were in need on at least
//!   [`LZB_MIN_DAYS`] (638) of the last [`LZB_WINDOW_DAYS`] (730) days, the reporting date
//!   included, counted across Bedarfsgemeinschaften and Jobcenter. A day in two spells at once
//!   counts once. A day of need as a person not erwerbsfähig (a child in a BG) counts as need
//!   too: the Verordnung speaks of Hilfebedürftigkeit, not of Erwerbsfähigkeit.

use chrono::NaiveDate;

mod monthly;
pub mod read;
pub use monthly::{
    Components, Continuity, Integration, IntegrationKind, Month, Monthly, Payment, Period, Records,
};

/// How many days back the LZB test looks, the reporting date included.
pub const LZB_WINDOW_DAYS: i64 = 730;
/// How many of those days of need make an LZB (21 of 24 months, as the BA counts in days).
pub const LZB_MIN_DAYS: i64 = 638;

/// One spell of need of one person in one Bedarfsgemeinschaft at one Jobcenter, as a record
/// file gives it (pseudonymous keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spell {
    pub person: u32,
    pub bg: u32,
    pub jobcenter: u16,
    pub from: NaiveDate,
    /// The last day of need; `None` while the spell runs.
    pub to: Option<NaiveDate>,
    pub erwerbsfaehig: bool,
    pub alleinerziehend: bool,
}

/// A record that cannot be right, with the place it was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error(
        "Leistungszeitraum {index} (Person {person}): das Ende {to} liegt vor dem Beginn {from}"
    )]
    EndBeforeStart {
        index: usize,
        person: u32,
        from: NaiveDate,
        to: NaiveDate,
    },
    #[error("Zeitraum {index} (Person {person}): das Ende {to} liegt vor dem Beginn {from}")]
    PeriodEndBeforeStart {
        index: usize,
        person: u32,
        from: NaiveDate,
        to: NaiveDate,
    },
}

/// Days as integers (days since 1 January of year 1, chrono's count), so that windows are
/// arithmetic.
type Day = i32;

fn day(d: NaiveDate) -> Day {
    use chrono::Datelike;
    d.num_days_from_ce()
}

/// The spells of many persons, struct of arrays, sorted by person and start. Each person's
/// spells are `starts[p]..starts[p + 1]` of the arrays.
#[derive(Debug, Clone, Default)]
pub struct Spells {
    person: Vec<u32>,
    from: Vec<Day>,
    /// The last day of need, [`Day::MAX`] for a running spell.
    to: Vec<Day>,
    jobcenter: Vec<u16>,
    erwerbsfaehig: Vec<bool>,
    alleinerziehend: Vec<bool>,
    /// Index of each person's first spell, and the length at the end.
    starts: Vec<usize>,
}

/// Counts of one Jobcenter at one reporting date.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stock {
    /// Erwerbsfähige Leistungsberechtigte.
    pub elb: u64,
    /// Langzeitleistungsbeziehende among them.
    pub lzb: u64,
    /// ELB who are single parents.
    pub elb_alleinerziehend: u64,
}

impl Spells {
    /// Sorts and checks `spells`; refuses a spell that ends before it starts, naming it.
    pub fn new(spells: &[Spell]) -> Result<Self, RecordError> {
        for (index, s) in spells.iter().enumerate() {
            if let Some(to) = s.to
                && to < s.from
            {
                return Err(RecordError::EndBeforeStart {
                    index,
                    person: s.person,
                    from: s.from,
                    to,
                });
            }
        }
        let mut order: Vec<usize> = (0..spells.len()).collect();
        // The index last: the input's order among spells of one person that start the same day
        // (as a stable sort keeps it), sorted without the stable sort's extra memory.
        order.sort_unstable_by_key(|&i| (spells[i].person, spells[i].from, i));
        let mut out = Spells::default();
        for i in order {
            let s = &spells[i];
            if out.person.last() != Some(&s.person) {
                out.starts.push(out.person.len());
            }
            out.person.push(s.person);
            out.from.push(day(s.from));
            out.to.push(s.to.map_or(Day::MAX, day));
            out.jobcenter.push(s.jobcenter);
            out.erwerbsfaehig.push(s.erwerbsfaehig);
            out.alleinerziehend.push(s.alleinerziehend);
        }
        out.starts.push(out.person.len());
        Ok(out)
    }

    /// How many persons the spells are of.
    pub fn persons(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    /// The days of need of the person at `range` within `first..=last`, each day once however
    /// many spells cover it. The spells are sorted by start, so one pass merges them.
    fn days_in_need(&self, range: std::ops::Range<usize>, first: Day, last: Day) -> i64 {
        let mut total = 0i64;
        // The end of what is counted so far: no day up to it counts again.
        let mut counted_to = first - 1;
        for i in range {
            let from = self.from[i].max(counted_to + 1);
            let to = self.to[i].min(last);
            if from <= to {
                total += i64::from(to - from) + 1;
                counted_to = to;
            }
            if self.from[i] > last {
                break;
            }
        }
        total
    }

    /// The ELB stock and the LZB among it at `date`, per Jobcenter (by key, ascending).
    pub fn stock_at(&self, date: NaiveDate) -> Vec<(u16, Stock)> {
        let d = day(date);
        let window_first = d - (LZB_WINDOW_DAYS as Day - 1);
        let mut by_jobcenter: std::collections::BTreeMap<u16, Stock> = Default::default();
        for p in 0..self.persons() {
            let range = self.starts[p]..self.starts[p + 1];
            // The spell that covers the date, the latest started if several do.
            let Some(current) = range
                .clone()
                .rev()
                .find(|&i| self.from[i] <= d && d <= self.to[i])
            else {
                continue;
            };
            if !self.erwerbsfaehig[current] {
                continue;
            }
            let s = by_jobcenter.entry(self.jobcenter[current]).or_default();
            s.elb += 1;
            if self.alleinerziehend[current] {
                s.elb_alleinerziehend += 1;
            }
            if self.days_in_need(range, window_first, d) >= LZB_MIN_DAYS {
                s.lzb += 1;
            }
        }
        by_jobcenter.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn spell(person: u32, jobcenter: u16, from: &str, to: Option<&str>) -> Spell {
        Spell {
            person,
            bg: person * 10 + u32::from(jobcenter),
            jobcenter,
            from: date(from),
            to: to.map(date),
            erwerbsfaehig: true,
            alleinerziehend: false,
        }
    }

    /// The first day of a window of 730 days that ends on `reporting`.
    fn window_start(reporting: &str) -> NaiveDate {
        date(reporting) - chrono::Days::new(LZB_WINDOW_DAYS as u64 - 1)
    }

    fn stock(spells: &[Spell], at: &str) -> Vec<(u16, Stock)> {
        Spells::new(spells).unwrap().stock_at(date(at))
    }

    #[test]
    fn six_hundred_thirty_eight_days_make_an_lzb_and_six_hundred_thirty_seven_do_not() {
        let at = "2022-12-31";
        let start = window_start(at);
        for (days, lzb) in [(638u64, 1u64), (637, 0)] {
            // From the window's first day for `days - 1` days, then a gap, then need again on
            // the reporting date: `days` days of need in the window.
            let first = Spell {
                from: start,
                to: Some(start + chrono::Days::new(days - 2)),
                ..spell(1, 1, at, None)
            };
            let again = spell(1, 1, at, None);
            assert_eq!(
                stock(&[first, again], at),
                vec![(
                    1,
                    Stock {
                        elb: 1,
                        lzb,
                        elb_alleinerziehend: 0
                    }
                )],
                "{days} days of need"
            );
        }
    }

    #[test]
    fn only_the_days_inside_the_window_count() {
        let at = "2022-12-31";
        let start = window_start(at);
        // A spell from long before the window to 100 days into it, then back for the last 537
        // days: 100 + 537 = 637 inside, however long the first spell was.
        let spells = [
            spell(
                1,
                1,
                "2015-01-01",
                Some(&(start + chrono::Days::new(99)).to_string()),
            ),
            spell(1, 1, &(date(at) - chrono::Days::new(536)).to_string(), None),
        ];
        assert_eq!(stock(&spells, at)[0].1.lzb, 0);
        // One more day inside the window makes it.
        let spells = [
            spells[0],
            spell(1, 1, &(date(at) - chrono::Days::new(537)).to_string(), None),
        ];
        assert_eq!(stock(&spells, at)[0].1.lzb, 1);
    }

    #[test]
    fn spells_in_different_bg_and_jobcenter_add_up_and_the_date_decides_the_jobcenter() {
        let at = "2022-12-31";
        let start = window_start(at);
        let moved = start + chrono::Days::new(400);
        // 400 days in BG 1 at Jobcenter 7, then from the move on in BG 2 at Jobcenter 9: a
        // change of Jobcenter, need without a break.
        let spells = [
            Spell {
                bg: 1,
                ..spell(
                    1,
                    7,
                    &start.to_string(),
                    Some(&(moved - chrono::Days::new(1)).to_string()),
                )
            },
            Spell {
                bg: 2,
                ..spell(1, 9, &moved.to_string(), None)
            },
        ];
        let s = stock(&spells, at);
        assert_eq!(
            s,
            vec![(
                9,
                Stock {
                    elb: 1,
                    lzb: 1,
                    elb_alleinerziehend: 0
                }
            )]
        );
        // The day before the move the person was at Jobcenter 7.
        let before = Spells::new(&spells)
            .unwrap()
            .stock_at(moved - chrono::Days::new(1));
        assert_eq!(before.len(), 1);
        assert_eq!(before[0].0, 7);
    }

    #[test]
    fn a_day_in_two_spells_counts_once() {
        let at = "2022-12-31";
        let start = window_start(at);
        // Two overlapping spells of 400 days each, 200 days shared: 600 days of need.
        let a = spell(
            1,
            1,
            &start.to_string(),
            Some(&(start + chrono::Days::new(399)).to_string()),
        );
        let b = Spell {
            bg: 99,
            ..spell(
                1,
                1,
                &(start + chrono::Days::new(200)).to_string(),
                Some(&(start + chrono::Days::new(599)).to_string()),
            )
        };
        let c = spell(1, 1, at, None);
        let spells = Spells::new(&[a, b, c]).unwrap();
        let d = day(date(at));
        assert_eq!(
            spells.days_in_need(0..3, d - 729, d),
            601,
            "600 shared-once days and the date"
        );
    }

    #[test]
    fn a_person_in_need_on_the_reporting_date_only_is_in_the_stock_and_no_lzb() {
        let at = "2022-06-30";
        let s = stock(&[spell(1, 3, at, Some(at))], at);
        assert_eq!(
            s,
            vec![(
                3,
                Stock {
                    elb: 1,
                    lzb: 0,
                    elb_alleinerziehend: 0
                }
            )]
        );
        // The next day the person is gone.
        assert!(stock(&[spell(1, 3, at, Some(at))], "2022-07-01").is_empty());
    }

    #[test]
    fn who_is_not_erwerbsfaehig_on_the_date_is_not_in_the_elb_stock() {
        let child = Spell {
            erwerbsfaehig: false,
            ..spell(1, 1, "2018-01-01", None)
        };
        assert!(stock(&[child], "2022-12-31").is_empty());
        // Turned 15 and erwerbsfähig: the years as a child in the BG count as need.
        let grown = Spell {
            to: Some(date("2022-11-30")),
            ..child
        };
        let now = spell(1, 1, "2022-12-01", None);
        assert_eq!(stock(&[grown, now], "2022-12-31")[0].1.lzb, 1);
    }

    #[test]
    fn a_spell_that_ends_before_it_starts_is_refused_with_its_place() {
        let bad = spell(4, 1, "2022-05-01", Some("2022-04-30"));
        let e = Spells::new(&[spell(1, 1, "2022-01-01", None), bad]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Leistungszeitraum 1 (Person 4): das Ende 2022-04-30 liegt vor dem Beginn 2022-05-01"
        );
    }

    proptest! {
        /// The merged count equals counting day by day, for any spells of one person.
        #[test]
        fn days_in_need_is_the_count_of_distinct_days(
            raw in proptest::collection::vec((0i32..900, 0i32..400, any::<bool>()), 1..8),
            end in 0i32..1200,
        ) {
            let base = date("2020-01-01");
            let spells: Vec<Spell> = raw
                .iter()
                .map(|(from, len, open)| Spell {
                    from: base + chrono::Days::new(*from as u64),
                    to: (!open).then(|| base + chrono::Days::new((*from + *len) as u64)),
                    ..spell(1, 1, "2020-01-01", None)
                })
                .collect();
            let s = Spells::new(&spells).unwrap();
            let last = day(base) + end;
            let first = last - 729;
            let brute = (first..=last)
                .filter(|d| {
                    spells.iter().any(|sp| {
                        day(sp.from) <= *d && sp.to.is_none_or(|t| *d <= day(t))
                    })
                })
                .count() as i64;
            prop_assert_eq!(s.days_in_need(0..spells.len(), first, last), brute);
        }
    }
}
