//! Every component of the 15 key figures per Jobcenter and month, from the records.
//!
//! The reporting date of a month is its last day. Per person, the spells are turned into a
//! timeline of days of need (each day once, the spell that started latest deciding the
//! Jobcenter and whether the person is erwerbsfähig and alleinerziehend that day); everything
//! is read off that timeline:
//!
//! - **Stocks** (ELB, ELB_AE, LZB, LZB_AKTIV) at the reporting date.
//! - **ELB inflows and outflows**: an inflow is a day as an ELB after a day without (not in need,
//!   or in need but not erwerbsfähig), counted at that day's Jobcenter in its month; an outflow
//!   is the first day without after a day as an ELB, counted at the Jobcenter of the last day
//!   as an ELB, in the month of the first day without. A change of Jobcenter without a day
//!   between is neither. So the stock of all Jobcenter together moves by exactly inflows minus
//!   outflows.
//! - **LZB inflows and outflows**: Langzeitleistungsbezug is a status at a reporting date, so
//!   they are the persons who are LZB at this month's reporting date and were not at the
//!   previous one (counted at this month's Jobcenter), and the other way round (counted at the
//!   previous month's Jobcenter, as the denominator of K3E4 is the previous month's stock).
//! - **Integrations** of an ELB: the person is an ELB on the day before the integration (or,
//!   newly in need, on its day); that day decides the Jobcenter, whether the person counts as
//!   alleinerziehend and whether as LZB. At most one integration per person and month: the
//!   first of the month counts, and only when that one is into employment subject to social
//!   insurance does it count for K2E3. Marginal and publicly funded employment are no
//!   integrations; each is counted at most once per person and month on its own.
//! - **K2E3's six following months**: an integration into employment subject to social
//!   insurance in month m counts as continuous when the person is so employed at the reporting
//!   date of each of the months m+1 … m+6. Until the employment records reach the reporting date
//!   of m+6 the value does not exist yet ([`Continuity::Pending`]).
//! - **Payments**: Leistungen zum Lebensunterhalt and for Unterkunft und Heizung summed per
//!   Jobcenter and month, in cents.

use chrono::{Datelike, NaiveDate};

use crate::{Day, LZB_MIN_DAYS, LZB_WINDOW_DAYS, Spells, day};

/// A calendar month, as a count of months since year 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month(i32);

impl Month {
    /// `None` for a month outside 1–12.
    pub fn new(year: i32, month: u32) -> Option<Month> {
        (1..=12)
            .contains(&month)
            .then(|| Month(year * 12 + month as i32 - 1))
    }

    pub fn of(date: NaiveDate) -> Month {
        Month(date.year() * 12 + date.month0() as i32)
    }

    pub fn year(self) -> i32 {
        self.0.div_euclid(12)
    }

    /// 1–12.
    pub fn month(self) -> u32 {
        self.0.rem_euclid(12) as u32 + 1
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year(), self.month(), 1).expect("a month's first day exists")
    }

    /// The reporting date.
    pub fn last_day(self) -> NaiveDate {
        self.plus(1)
            .first_day()
            .pred_opt()
            .expect("a month has a last day")
    }

    pub fn plus(self, months: i32) -> Month {
        Month(self.0 + months)
    }

    /// How many months `self` is after `earlier`.
    pub fn since(self, earlier: Month) -> i32 {
        self.0 - earlier.0
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month())
    }
}

/// What a person took up, as the integration records say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IntegrationKind {
    /// Employment subject to social insurance (also when subsidised).
    Beschaeftigung,
    /// A fully qualifying vocational training.
    Ausbildung,
    /// Self-employment.
    Selbstaendig,
    /// Marginal employment: no integration, counted for K2E1.
    Minijob,
    /// Publicly funded employment (§§ 16d, 16e a. F., 16i SGB II): no integration, counted for
    /// K2E2.
    OeffentlichGefoerdert,
}

impl IntegrationKind {
    pub fn is_integration(self) -> bool {
        matches!(
            self,
            IntegrationKind::Beschaeftigung
                | IntegrationKind::Ausbildung
                | IntegrationKind::Selbstaendig
        )
    }
}

/// One take-up of work, training or self-employment by a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Integration {
    pub person: u32,
    pub date: NaiveDate,
    pub kind: IntegrationKind,
}

/// A period of one person: employment subject to social insurance, or participation in an
/// active labour-market measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub person: u32,
    pub from: NaiveDate,
    /// `None` while it lasts.
    pub to: Option<NaiveDate>,
}

/// What one Bedarfsgemeinschaft was paid for one month, in cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Payment {
    pub bg: u32,
    pub jobcenter: u16,
    pub month: Month,
    /// Leistungen zum Lebensunterhalt (§§ 20, 21, 23, 24 Abs. 1 SGB II).
    pub lebensunterhalt: i64,
    /// Leistungen für Unterkunft und Heizung (§ 22 SGB II).
    pub unterkunft: i64,
}

/// The records of one computation.
#[derive(Debug, Clone, Default)]
pub struct Records {
    pub spells: Spells,
    /// Sorted by person, date and kind.
    integrations: Vec<(u32, Day, IntegrationKind)>,
    employment: Periods,
    participations: Periods,
    payments: Vec<Payment>,
    /// The last day the employment records cover.
    employment_until: Option<NaiveDate>,
}

/// Periods as (person, from, to) sorted by person and start; a running one ends at
/// [`Day::MAX`].
#[derive(Debug, Clone, Default)]
struct Periods(Vec<(u32, Day, Day)>);

impl Periods {
    fn new(periods: &[Period]) -> Result<Periods, crate::RecordError> {
        let mut out = Vec::with_capacity(periods.len());
        for (index, p) in periods.iter().enumerate() {
            if let Some(to) = p.to
                && to < p.from
            {
                return Err(crate::RecordError::PeriodEndBeforeStart {
                    index,
                    person: p.person,
                    from: p.from,
                    to,
                });
            }
            out.push((p.person, day(p.from), p.to.map_or(Day::MAX, day)));
        }
        out.sort_unstable();
        Ok(Periods(out))
    }

    /// The range of `person`'s periods, searching from `from` on (persons come in order).
    fn of(&self, person: u32, cursor: &mut usize) -> std::ops::Range<usize> {
        let v = &self.0;
        while *cursor < v.len() && v[*cursor].0 < person {
            *cursor += 1;
        }
        let start = *cursor;
        while *cursor < v.len() && v[*cursor].0 == person {
            *cursor += 1;
        }
        start..*cursor
    }

    fn covers(&self, range: std::ops::Range<usize>, d: Day) -> bool {
        self.0[range]
            .iter()
            .any(|&(_, from, to)| from <= d && d <= to)
    }

    fn first_at_or_after(&self, person: u32) -> usize {
        self.0.partition_point(|p| p.0 < person)
    }
}

impl Records {
    /// Checks and sorts the records. `employment_until` is the last day the employment records
    /// cover (their Datenstand); K2E3 needs them to reach six months past an integration.
    pub fn new(
        spells: Spells,
        integrations: &[Integration],
        employment: &[Period],
        employment_until: Option<NaiveDate>,
        participations: &[Period],
        payments: Vec<Payment>,
    ) -> Result<Records, crate::RecordError> {
        let mut ints: Vec<(u32, Day, IntegrationKind)> = integrations
            .iter()
            .map(|i| (i.person, day(i.date), i.kind))
            .collect();
        ints.sort_unstable();
        Ok(Records {
            spells,
            integrations: ints,
            employment: Periods::new(employment)?,
            participations: Periods::new(participations)?,
            payments,
            employment_until,
        })
    }

    /// Every component for every Jobcenter and every month from `first` to `last`, computed
    /// on `threads` threads (at least one).
    pub fn monthly(&self, first: Month, last: Month, threads: usize) -> Monthly {
        let months = (last.since(first) + 1).max(0) as usize;
        let jobcenters = self
            .spells
            .jobcenter
            .iter()
            .copied()
            .chain(self.payments.iter().map(|p| p.jobcenter))
            .max()
            .map_or(0, |m| usize::from(m) + 1);
        let calendar = Calendar::new(first, last);
        let persons = self.spells.persons();
        let threads = threads.clamp(1, persons.max(1));
        let per = persons.div_ceil(threads).max(1);
        let parts: Vec<Vec<Cell>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let calendar = &calendar;
                    let range = (t * per).min(persons)..((t + 1) * per).min(persons);
                    scope.spawn(move || self.count_persons(range, calendar, jobcenters, months))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a counting thread does not panic"))
                .collect()
        });
        let mut cells = vec![Cell::default(); jobcenters * months];
        for part in parts {
            for (c, p) in cells.iter_mut().zip(part) {
                for k in 0..K {
                    c.0[k] += p.0[k];
                }
            }
        }
        for p in &self.payments {
            if let Some(m) = calendar.index(p.month) {
                let c = &mut cells[usize::from(p.jobcenter) * months + m];
                c.0[LLU] += p.lebensunterhalt;
                c.0[KDU] += p.unterkunft;
            }
        }
        Monthly {
            first,
            months,
            jobcenters,
            cells,
            employment_until: self.employment_until,
        }
    }

    fn count_persons(
        &self,
        persons: std::ops::Range<usize>,
        calendar: &Calendar,
        jobcenters: usize,
        months: usize,
    ) -> Vec<Cell> {
        let mut cells = vec![Cell::default(); jobcenters * months];
        let s = &self.spells;
        let Some(first_person) = persons.clone().next().map(|p| s.person[s.starts[p]]) else {
            return cells;
        };
        let mut int_cursor = self.integrations.partition_point(|i| i.0 < first_person);
        let mut emp_cursor = self.employment.first_at_or_after(first_person);
        let mut part_cursor = self.participations.first_at_or_after(first_person);
        let mut timeline = Vec::new();
        // Per reporting date from the month before `first`: the Jobcenter where the person is
        // an LZB, if they are.
        let mut lzb_at: Vec<Option<u16>> = Vec::with_capacity(months + 1);
        for p in persons {
            let range = s.starts[p]..s.starts[p + 1];
            let person = s.person[range.start];
            s.timeline(range, &mut timeline);
            let employment = self.employment.of(person, &mut emp_cursor);
            let participations = self.participations.of(person, &mut part_cursor);
            let mut add = |jc: u16, m: usize, k: usize| {
                cells[usize::from(jc) * months + m].0[k] += 1;
            };
            // Stocks at every reporting date, and who is an LZB where.
            lzb_at.clear();
            let mut seg = 0;
            for (i, &end) in calendar.ends.iter().enumerate().take(months + 1) {
                while seg < timeline.len() && timeline[seg].to < end {
                    seg += 1;
                }
                let state = timeline
                    .get(seg)
                    .filter(|t| t.from <= end && t.elb)
                    .copied();
                let lzb = state.filter(|_| need_days(&timeline, end) >= LZB_MIN_DAYS);
                lzb_at.push(lzb.map(|t| t.jc));
                // Index 0 is the month before `first`: only its LZB status is wanted.
                let Some(m) = i.checked_sub(1) else { continue };
                if let Some(t) = state {
                    add(t.jc, m, ELB);
                    if t.ae {
                        add(t.jc, m, ELB_AE);
                    }
                }
                if let Some(t) = lzb {
                    add(t.jc, m, LZB);
                    if self.participations.covers(participations.clone(), end) {
                        add(t.jc, m, LZB_AKTIV);
                    }
                }
                match (lzb_at[i - 1], lzb_at[i]) {
                    (None, Some(now)) => add(now, m, LZB_ZUGANG),
                    (Some(before), None) => add(before, m, LZB_ABGANG),
                    _ => {}
                }
            }
            // Inflows and outflows of ELB.
            for (i, t) in timeline.iter().enumerate() {
                if !t.elb {
                    continue;
                }
                let before = i.checked_sub(1).map(|j| timeline[j]);
                if before.is_none_or(|b| !b.elb || b.to + 1 < t.from)
                    && let Some(m) = calendar.month_of(t.from)
                {
                    add(t.jc, m, ELB_ZUGANG);
                }
                let after = timeline.get(i + 1);
                if t.to != Day::MAX
                    && after.is_none_or(|a| !a.elb || a.from > t.to + 1)
                    && let Some(m) = calendar.month_of(t.to + 1)
                {
                    add(t.jc, m, ELB_ABGANG);
                }
            }
            // Integrations and entries into other employment.
            while int_cursor < self.integrations.len() && self.integrations[int_cursor].0 < person {
                int_cursor += 1;
            }
            let mut taken: [Option<usize>; 3] = [None; 3];
            while int_cursor < self.integrations.len() && self.integrations[int_cursor].0 == person
            {
                let (_, d, kind) = self.integrations[int_cursor];
                int_cursor += 1;
                let Some(m) = calendar.month_of(d) else {
                    continue;
                };
                let Some((status_day, t)) = [d - 1, d]
                    .into_iter()
                    .find_map(|sd| state_at(&timeline, sd).filter(|t| t.elb).map(|t| (sd, t)))
                else {
                    continue;
                };
                let slot = match kind {
                    k if k.is_integration() => 0,
                    IntegrationKind::Minijob => 1,
                    _ => 2,
                };
                if taken[slot] == Some(m) {
                    continue;
                }
                taken[slot] = Some(m);
                match slot {
                    1 => add(t.jc, m, MINIJOB),
                    2 => add(t.jc, m, OEFF),
                    _ => {
                        add(t.jc, m, INT);
                        if t.ae {
                            add(t.jc, m, INT_AE);
                        }
                        if need_days(&timeline, status_day) >= LZB_MIN_DAYS {
                            add(t.jc, m, INT_LZB);
                        }
                        if kind == IntegrationKind::Beschaeftigung {
                            add(t.jc, m, INT_SVB);
                            let stays = (1..=6).all(|k| {
                                self.employment
                                    .covers(employment.clone(), calendar.end_after(m, k))
                            });
                            if stays {
                                add(t.jc, m, INT_SVB_KONT);
                            }
                        }
                    }
                }
            }
        }
        cells
    }
}

/// The days of need in the window of [`LZB_WINDOW_DAYS`] that ends on `d`.
fn need_days(timeline: &[Segment], d: Day) -> i64 {
    let first = d - (LZB_WINDOW_DAYS as Day - 1);
    timeline
        .iter()
        .take_while(|t| t.from <= d)
        .map(|t| {
            let (a, b) = (t.from.max(first), t.to.min(d));
            if a <= b { i64::from(b - a) + 1 } else { 0 }
        })
        .sum()
}

fn state_at(timeline: &[Segment], d: Day) -> Option<Segment> {
    let i = timeline.partition_point(|t| t.to < d);
    timeline.get(i).filter(|t| t.from <= d).copied()
}

/// Days of need of one person with the same Jobcenter and status, in order and disjoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Segment {
    pub(crate) from: Day,
    pub(crate) to: Day,
    pub(crate) jc: u16,
    pub(crate) elb: bool,
    pub(crate) ae: bool,
}

impl Spells {
    /// The person's days of need at `range` as segments: between two consecutive starts or
    /// ends of spells, the spell that started latest among those covering decides.
    pub(crate) fn timeline(&self, range: std::ops::Range<usize>, out: &mut Vec<Segment>) {
        out.clear();
        let mut bounds: Vec<Day> = Vec::with_capacity(range.len() * 2);
        for i in range.clone() {
            bounds.push(self.from[i]);
            if self.to[i] != Day::MAX {
                bounds.push(self.to[i] + 1);
            }
        }
        bounds.sort_unstable();
        bounds.dedup();
        for (k, &from) in bounds.iter().enumerate() {
            let to = bounds.get(k + 1).map_or(Day::MAX, |next| next - 1);
            let Some(i) = range
                .clone()
                .rev()
                .find(|&i| self.from[i] <= from && from <= self.to[i])
            else {
                continue;
            };
            let seg = Segment {
                from,
                to,
                jc: self.jobcenter[i],
                elb: self.erwerbsfaehig[i],
                ae: self.alleinerziehend[i],
            };
            match out.last_mut() {
                Some(last)
                    if last.to != Day::MAX
                        && last.to + 1 == from
                        && (last.jc, last.elb, last.ae) == (seg.jc, seg.elb, seg.ae) =>
                {
                    last.to = to;
                }
                _ => out.push(seg),
            }
        }
    }
}

/// The reporting dates of the months around the computation's.
struct Calendar {
    first: Month,
    months: usize,
    /// The reporting dates from the month before the first to six months after the last.
    ends: Vec<Day>,
    first_day: Day,
}

impl Calendar {
    fn new(first: Month, last: Month) -> Calendar {
        let months = (last.since(first) + 1).max(0) as usize;
        let ends = (-1..months as i32 + 7)
            .map(|k| day(first.plus(k).last_day()))
            .collect();
        Calendar {
            first,
            months,
            ends,
            first_day: day(first.first_day()),
        }
    }

    /// The index of `d`'s month, if it is one of the computation's.
    fn month_of(&self, d: Day) -> Option<usize> {
        if d < self.first_day {
            return None;
        }
        // ends[0] is the month before the first.
        let i = self.ends[1..].partition_point(|&e| e < d);
        (i < self.months).then_some(i)
    }

    fn index(&self, m: Month) -> Option<usize> {
        usize::try_from(m.since(self.first))
            .ok()
            .filter(|&i| i < self.months)
    }

    /// The reporting date `k` months after month index `m`.
    fn end_after(&self, m: usize, k: usize) -> Day {
        self.ends[1 + m + k]
    }
}

const LLU: usize = 0;
const KDU: usize = 1;
const ELB: usize = 2;
const ELB_ZUGANG: usize = 3;
const ELB_ABGANG: usize = 4;
const INT: usize = 5;
const MINIJOB: usize = 6;
const OEFF: usize = 7;
const INT_SVB: usize = 8;
const INT_SVB_KONT: usize = 9;
const ELB_AE: usize = 10;
const INT_AE: usize = 11;
const LZB: usize = 12;
const INT_LZB: usize = 13;
const LZB_AKTIV: usize = 14;
const LZB_ZUGANG: usize = 15;
const LZB_ABGANG: usize = 16;
const K: usize = 17;

#[derive(Debug, Clone, Copy, Default)]
struct Cell([i64; K]);

/// Whether K2E3's numerator of a month can be known yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Continuity {
    Known(i64),
    /// The employment records end before the reporting date of the sixth following month.
    Pending {
        records_until: Option<NaiveDate>,
        needed_until: NaiveDate,
    },
}

impl Continuity {
    pub fn known(self) -> Option<i64> {
        match self {
            Continuity::Known(n) => Some(n),
            Continuity::Pending { .. } => None,
        }
    }

    /// Why there is no value yet, in German.
    pub fn reason(self) -> Option<String> {
        match self {
            Continuity::Known(_) => None,
            Continuity::Pending {
                records_until,
                needed_until,
            } => Some(format!(
                "Noch kein Wert: die sechs Folgemonate reichen bis {}, die Beschäftigungsdaten {}",
                needed_until.format("%d.%m.%Y"),
                match records_until {
                    Some(d) => format!("bis {}", d.format("%d.%m.%Y")),
                    None => "fehlen".to_owned(),
                }
            )),
        }
    }
}

/// The components of one Jobcenter in one month. Money in cents, everything else in persons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Components {
    pub llu_summe: i64,
    pub kdu_summe: i64,
    pub elb: i64,
    pub elb_zugang: i64,
    pub elb_abgang: i64,
    pub integrationen: i64,
    pub zugang_minijob: i64,
    pub zugang_oeff_besch: i64,
    pub integrationen_svb: i64,
    pub integrationen_svb_kontinuierlich: Continuity,
    pub elb_ae: i64,
    pub integrationen_ae: i64,
    pub lzb: i64,
    pub integrationen_lzb: i64,
    pub lzb_aktiv: i64,
    pub lzb_zugang: i64,
    pub lzb_abgang: i64,
}

impl Components {
    /// The components under the codes of `zielwerk_domain::keyfigures::components`, with
    /// money in euros; K2E3's numerator only once it can be known.
    pub fn by_code(&self) -> Vec<(&'static str, f64)> {
        let mut v = vec![
            ("LLU_SUMME", self.llu_summe as f64 / 100.0),
            ("KDU_SUMME", self.kdu_summe as f64 / 100.0),
            ("ELB", self.elb as f64),
            ("ELB_ZUGANG", self.elb_zugang as f64),
            ("ELB_ABGANG", self.elb_abgang as f64),
            ("INTEGRATIONEN", self.integrationen as f64),
            ("ZUGANG_MINIJOB", self.zugang_minijob as f64),
            ("ZUGANG_OEFF_BESCH", self.zugang_oeff_besch as f64),
            ("INTEGRATIONEN_SVB", self.integrationen_svb as f64),
            ("ELB_AE", self.elb_ae as f64),
            ("INTEGRATIONEN_AE", self.integrationen_ae as f64),
            ("LZB", self.lzb as f64),
            ("INTEGRATIONEN_LZB", self.integrationen_lzb as f64),
            ("LZB_AKTIV", self.lzb_aktiv as f64),
            ("LZB_ZUGANG", self.lzb_zugang as f64),
            ("LZB_ABGANG", self.lzb_abgang as f64),
        ];
        if let Some(n) = self.integrationen_svb_kontinuierlich.known() {
            v.push(("INTEGRATIONEN_SVB_KONTINUIERLICH", n as f64));
        }
        v
    }
}

/// The components of every Jobcenter and month of one computation.
#[derive(Debug, Clone)]
pub struct Monthly {
    first: Month,
    months: usize,
    jobcenters: usize,
    /// By Jobcenter, then month.
    cells: Vec<Cell>,
    employment_until: Option<NaiveDate>,
}

impl Monthly {
    pub fn first(&self) -> Month {
        self.first
    }

    pub fn months(&self) -> impl Iterator<Item = Month> + use<> {
        let first = self.first;
        (0..self.months as i32).map(move |k| first.plus(k))
    }

    /// One past the largest Jobcenter key seen.
    pub fn jobcenters(&self) -> usize {
        self.jobcenters
    }

    /// The components of `jobcenter` in `month`; `None` outside the computation.
    pub fn get(&self, jobcenter: u16, month: Month) -> Option<Components> {
        let m = usize::try_from(month.since(self.first))
            .ok()
            .filter(|&m| m < self.months)?;
        let c = self.cells.get(usize::from(jobcenter) * self.months + m)?.0;
        let needed_until = month.plus(6).last_day();
        let continuity = if self.employment_until.is_some_and(|u| u >= needed_until) {
            Continuity::Known(c[INT_SVB_KONT])
        } else {
            Continuity::Pending {
                records_until: self.employment_until,
                needed_until,
            }
        };
        Some(Components {
            llu_summe: c[LLU],
            kdu_summe: c[KDU],
            elb: c[ELB],
            elb_zugang: c[ELB_ZUGANG],
            elb_abgang: c[ELB_ABGANG],
            integrationen: c[INT],
            zugang_minijob: c[MINIJOB],
            zugang_oeff_besch: c[OEFF],
            integrationen_svb: c[INT_SVB],
            integrationen_svb_kontinuierlich: continuity,
            elb_ae: c[ELB_AE],
            integrationen_ae: c[INT_AE],
            lzb: c[LZB],
            integrationen_lzb: c[INT_LZB],
            lzb_aktiv: c[LZB_AKTIV],
            lzb_zugang: c[LZB_ZUGANG],
            lzb_abgang: c[LZB_ABGANG],
        })
    }
}
