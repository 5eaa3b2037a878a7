//! The trilateral target agreement: parties, goal areas, goals with targets, and the Jobcenter's
//! planning document (further goals and measures).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::ids::{Ags, BaId, IndicatorCode, Key};
use crate::indicator::{Formula, Indicator, Unit};
use crate::month::YearMonth;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jobcenter {
    pub ba_id: BaId,
    pub name: String,
    /// The Kreis or kreisfreie Stadt the Jobcenter serves.
    pub ags: Ags,
    /// IAB comparison type (Vergleichstyp), e.g. "IIc". Free text because the typology changes.
    pub vergleichstyp: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartyRole {
    /// The kommunaler Träger (Kreis or kreisfreie Stadt).
    Kreis,
    /// The Agentur für Arbeit.
    Agentur,
    /// The Jobcenter (gemeinsame Einrichtung).
    Jobcenter,
}

impl PartyRole {
    pub const ALL: [PartyRole; 3] = [PartyRole::Kreis, PartyRole::Agentur, PartyRole::Jobcenter];

    pub fn as_str(self) -> &'static str {
        match self {
            PartyRole::Kreis => "kreis",
            PartyRole::Agentur => "agentur",
            PartyRole::Jobcenter => "jobcenter",
        }
    }

    pub fn label_de(self) -> &'static str {
        match self {
            PartyRole::Kreis => "Kommunaler Träger",
            PartyRole::Agentur => "Agentur für Arbeit",
            PartyRole::Jobcenter => "Jobcenter",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    pub role: PartyRole,
    pub name: String,
    pub signatory: String,
    pub signed_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgreementStatus {
    Draft,
    Negotiating,
    Signed,
}

impl AgreementStatus {
    pub const ALL: [AgreementStatus; 3] = [
        AgreementStatus::Draft,
        AgreementStatus::Negotiating,
        AgreementStatus::Signed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AgreementStatus::Draft => "draft",
            AgreementStatus::Negotiating => "negotiating",
            AgreementStatus::Signed => "signed",
        }
    }

    pub fn label_de(self) -> &'static str {
        match self {
            AgreementStatus::Draft => "Entwurf",
            AgreementStatus::Negotiating => "in Verhandlung",
            AgreementStatus::Signed => "unterzeichnet",
        }
    }
}

/// Where one version of an agreement stands among all versions of the same Jobcenter and year:
/// of the signed versions the latest is in force, the earlier ones are superseded by it (a
/// Nachtrag amends, it does not add a second agreement).
pub fn version_standing(
    version: u32,
    status: AgreementStatus,
    all: &[(u32, AgreementStatus)],
) -> String {
    let in_force = all
        .iter()
        .filter(|(_, s)| *s == AgreementStatus::Signed)
        .map(|(v, _)| *v)
        .max();
    match (status, in_force) {
        (AgreementStatus::Signed, Some(v)) if v == version => "unterzeichnet, in Kraft".into(),
        (AgreementStatus::Signed, Some(v)) => format!("unterzeichnet, ersetzt durch Version {v}"),
        (s, Some(v)) if version > v => format!("{} (Nachtrag zu Version {v})", s.label_de()),
        (s, _) => s.label_de().into(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaKind {
    /// Federal key figures under § 48a SGB II (K1–K3).
    Federal,
    /// The Kreis's own service areas (KdU, § 16a, BuT, KIM).
    Municipal,
    /// Goals of the Jobcenter's local planning document.
    Jobcenter,
}

impl AreaKind {
    pub const ALL: [AreaKind; 3] = [AreaKind::Federal, AreaKind::Municipal, AreaKind::Jobcenter];

    pub fn as_str(self) -> &'static str {
        match self {
            AreaKind::Federal => "federal",
            AreaKind::Municipal => "municipal",
            AreaKind::Jobcenter => "jobcenter",
        }
    }

    pub fn label_de(self) -> &'static str {
        match self {
            AreaKind::Federal => "Bundesziele (§ 48a SGB II)",
            AreaKind::Municipal => "Kommunale Ziele",
            AreaKind::Jobcenter => "Ziele des Jobcenters",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoalArea {
    pub key: Key,
    pub title: String,
    pub kind: AreaKind,
    pub description: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Agreed in the trilateral target agreement (Anlage 1).
    Agreement,
    /// From the Jobcenter's local planning document (Anlage 2).
    PlanningDocument,
}

impl Origin {
    pub const ALL: [Origin; 2] = [Origin::Agreement, Origin::PlanningDocument];

    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Agreement => "agreement",
            Origin::PlanningDocument => "planning_document",
        }
    }

    pub fn label_de(self) -> &'static str {
        match self {
            Origin::Agreement => "Zielvereinbarung",
            Origin::PlanningDocument => "Lokales Planungsdokument",
        }
    }
}

/// What a goal aims at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    /// One value for the year: for a flow indicator the sum over the year, for a stock indicator
    /// the value in December.
    Annual { value: f64 },
    /// A value for each month (a trajectory). Months without a value take none.
    Monthly { values: BTreeMap<YearMonth, f64> },
    /// A milestone to be reached by a date.
    Milestone { due: NaiveDate },
}

impl Target {
    pub fn kind_de(&self) -> &'static str {
        match self {
            Target::Annual { .. } => "Jahreszielwert",
            Target::Monthly { .. } => "Monatlicher Zielpfad",
            Target::Milestone { .. } => "Meilenstein",
        }
    }
}

/// How far a value may miss its target and still count as "gefährdet" rather than "verfehlt".
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Tolerance {
    /// In the indicator's unit (e.g. 1.0 percentage point, 200 BG).
    Absolute { value: f64 },
    /// In percent of the target value.
    Relative { percent: f64 },
    /// For milestones: an open milestone becomes "gefährdet" this many days before it is due.
    Days { days: u32 },
}

impl Tolerance {
    /// The tolerance in the indicator's unit around `target`.
    pub fn amount(self, target: f64) -> f64 {
        match self {
            Tolerance::Absolute { value } => value,
            Tolerance::Relative { percent } => target.abs() * percent / 100.0,
            Tolerance::Days { .. } => 0.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Goal {
    pub key: Key,
    pub area: Key,
    pub title: String,
    pub description: String,
    pub responsible: PartyRole,
    pub origin: Origin,
    pub indicator: IndicatorCode,
    pub target: Target,
    pub tolerance: Tolerance,
}

/// A Handlungsansatz of the planning document, with its expected effect (Wirkungserwartung).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Measure {
    pub key: Key,
    pub title: String,
    pub description: String,
    pub expected_effect: String,
    pub responsible: PartyRole,
    pub start: YearMonth,
    pub end: Option<YearMonth>,
    pub goals: Vec<Key>,
}

/// A known break in an indicator's series (the move of refugees from Ukraine into the SGB II in
/// June 2022, the pandemic): from `month` on the series stands at another level, and a forecast
/// takes its level from there instead of carrying the old level and trend across the break.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesBreak {
    pub indicator: IndicatorCode,
    /// The first month at the new level.
    pub month: YearMonth,
    /// Why the series breaks, in the words documents print.
    pub reason: String,
}

/// Identifies one version of one agreement.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AgreementKey {
    pub jobcenter: BaId,
    pub year: i32,
    pub version: u32,
}

impl fmt::Display for AgreementKey {
    /// The stable id used in URLs and the database, e.g. `t36402-2022-v1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-v{}", self.jobcenter, self.year, self.version)
    }
}

impl std::str::FromStr for AgreementKey {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        let mut parts = s.splitn(3, '-');
        let jobcenter = parts.next().ok_or(())?.parse().map_err(|_| ())?;
        let year = parts.next().ok_or(())?.parse().map_err(|_| ())?;
        let version = parts
            .next()
            .and_then(|v| v.strip_prefix('v'))
            .ok_or(())?
            .parse()
            .map_err(|_| ())?;
        Ok(Self {
            jobcenter,
            year,
            version,
        })
    }
}

/// The most goal areas, goals, own indicators and measures one agreement may have.
pub const MAX_AREAS: usize = 100;
pub const MAX_GOALS: usize = 1_000;
pub const MAX_INDICATORS: usize = 5_000;
pub const MAX_MEASURES: usize = 1_000;
pub const MAX_BREAKS: usize = 1_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    pub jobcenter: Jobcenter,
    pub year: i32,
    pub version: u32,
    pub status: AgreementStatus,
    pub title: String,
    pub parties: Vec<Party>,
    pub areas: Vec<GoalArea>,
    pub indicators: Vec<Indicator>,
    pub goals: Vec<Goal>,
    pub measures: Vec<Measure>,
    /// Known breaks in the series of its indicators. Absent from the serialised form when there
    /// are none, so that the content digest of an agreement without breaks stays what it was.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breaks: Vec<SeriesBreak>,
}

/// One segment of a path into an agreement, e.g. `goals[3].indicator`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSeg {
    Field(&'static str),
    Index(usize),
}

/// Where in an agreement a problem sits; the file layer turns it into line and column.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldPath(pub Vec<PathSeg>);

impl FieldPath {
    fn of(segs: &[PathSeg]) -> Self {
        Self(segs.to_vec())
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                PathSeg::Field(name) if i == 0 => write!(f, "{name}")?,
                PathSeg::Field(name) => write!(f, ".{name}")?,
                PathSeg::Index(n) => write!(f, "[{}]", n + 1)?,
            }
        }
        Ok(())
    }
}

/// A rule of the agreement that is broken, with where and why (in German).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: FieldPath,
    pub message: String,
}

use PathSeg::{Field as F, Index as I};

impl Agreement {
    pub fn key(&self) -> AgreementKey {
        AgreementKey {
            jobcenter: self.jobcenter.ba_id.clone(),
            year: self.year,
            version: self.version,
        }
    }

    pub fn indicator(&self, code: &IndicatorCode) -> Option<&Indicator> {
        self.indicators.iter().find(|i| &i.code == code)
    }

    pub fn goal(&self, key: &Key) -> Option<&Goal> {
        self.goals.iter().find(|g| &g.key == key)
    }

    pub fn area(&self, key: &Key) -> Option<&GoalArea> {
        self.areas.iter().find(|a| &a.key == key)
    }

    pub fn party(&self, role: PartyRole) -> Option<&Party> {
        self.parties.iter().find(|p| p.role == role)
    }

    /// The codes of the indicators whose values are stored (the others are computed from them).
    pub fn stored_indicator_codes(&self) -> Vec<&IndicatorCode> {
        self.indicators
            .iter()
            .filter(|i| i.formula.is_stored())
            .map(|i| &i.code)
            .collect()
    }

    /// The stored indicators the value of `code` is computed from (itself, if stored), following
    /// formulas through this agreement's indicators.
    pub fn stored_inputs(&self, code: &IndicatorCode) -> Vec<&IndicatorCode> {
        let mut out: Vec<&IndicatorCode> = Vec::new();
        let mut stack = vec![code];
        let mut seen = HashSet::new();
        while let Some(c) = stack.pop() {
            if !seen.insert(c) {
                continue;
            }
            if let Some(ind) = self.indicator(c) {
                if ind.formula.is_stored() {
                    out.push(&ind.code);
                } else {
                    stack.extend(ind.formula.inputs());
                }
            }
        }
        out.sort();
        out
    }

    /// The draft of next year's agreement prepared from this one: the same parties (unsigned),
    /// areas, indicators, goals, Handlungsansätze and known breaks, as version 1 of the next year.
    /// Targets are carried a year on as proposals for the parties to negotiate: an annual value
    /// stays, a monthly trajectory moves to the same months of the next year, a milestone to the
    /// same day (28 February for a 29th). A Handlungsansatz that ended within this year moves a
    /// year on too (the planning document proposes it again); one that runs on keeps its dates.
    /// The year in the title is replaced where it appears.
    pub fn for_next_year(&self) -> Agreement {
        let year = self.year + 1;
        let on_year = |m: YearMonth| m.plus(12).unwrap_or(m);
        let mut next = self.clone();
        next.year = year;
        next.version = 1;
        next.status = AgreementStatus::Draft;
        next.title = self
            .title
            .replace(&self.year.to_string(), &year.to_string());
        for p in &mut next.parties {
            p.signed_on = None;
        }
        for g in &mut next.goals {
            g.target = match &g.target {
                Target::Annual { value } => Target::Annual { value: *value },
                Target::Monthly { values } => Target::Monthly {
                    values: values.iter().map(|(m, v)| (on_year(*m), *v)).collect(),
                },
                Target::Milestone { due } => Target::Milestone {
                    due: due
                        .with_year(due.year() + 1)
                        .or_else(|| NaiveDate::from_ymd_opt(due.year() + 1, due.month(), 28))
                        .unwrap_or(*due),
                },
            };
        }
        for m in &mut next.measures {
            if m.end.is_some_and(|e| e.year() <= self.year) {
                m.start = on_year(m.start);
                m.end = m.end.map(on_year);
            }
        }
        next
    }

    /// Measures linked to a goal.
    pub fn measures_for<'a>(&'a self, goal: &'a Key) -> impl Iterator<Item = &'a Measure> + 'a {
        self.measures.iter().filter(move |m| m.goals.contains(goal))
    }

    /// Checks every rule that the types alone cannot carry: references between sections,
    /// uniqueness of keys, targets that fit their indicator and year. Returns all problems, not
    /// only the first, so that a user can fix a file in one pass.
    pub fn check(&self) -> Vec<Problem> {
        // Far beyond any real agreement (Mettmann's has 14 goals): a file over these is a
        // mistake or an attack, and checking each of its parts would only bury that.
        let too_many: Vec<Problem> = [
            ("areas", self.areas.len(), MAX_AREAS, "Zielbereiche"),
            ("goals", self.goals.len(), MAX_GOALS, "Ziele"),
            (
                "indicators",
                self.indicators.len(),
                MAX_INDICATORS,
                "eigene Kennzahlen",
            ),
            ("measures", self.measures.len(), MAX_MEASURES, "Maßnahmen"),
            ("breaks", self.breaks.len(), MAX_BREAKS, "Reihenbrüche"),
        ]
        .into_iter()
        .filter(|(_, n, max, _)| n > max)
        .map(|(field, n, max, what)| Problem {
            path: FieldPath::of(&[F(field)]),
            message: format!("Die Vereinbarung hat {n} {what}; höchstens {max} sind zulässig"),
        })
        .collect();
        if !too_many.is_empty() {
            return too_many;
        }
        let mut out = Vec::new();
        let mut push = |segs: &[PathSeg], message: String| {
            out.push(Problem {
                path: FieldPath::of(segs),
                message,
            })
        };

        if !(crate::month::MIN_YEAR..=crate::month::MAX_YEAR).contains(&self.year) {
            push(
                &[F("agreement"), F("year")],
                format!(
                    "Jahr {} liegt außerhalb des zulässigen Bereichs {} bis {}",
                    self.year,
                    crate::month::MIN_YEAR,
                    crate::month::MAX_YEAR
                ),
            );
        }
        if self.version == 0 {
            push(
                &[F("agreement"), F("version")],
                "Die Version muss 1 oder größer sein".into(),
            );
        }
        if self.title.trim().is_empty() {
            push(
                &[F("agreement"), F("title")],
                "Der Titel darf nicht leer sein".into(),
            );
        }
        // Texts that documents print: no control characters (NUL, ESC …); line breaks and tabs
        // only where a text may have paragraphs.
        let mut texts: Vec<(Vec<PathSeg>, &str, bool)> = vec![
            (vec![F("agreement"), F("title")], &self.title, false),
            (vec![F("jobcenter"), F("name")], &self.jobcenter.name, false),
        ];
        if let Some(v) = &self.jobcenter.vergleichstyp {
            texts.push((vec![F("jobcenter"), F("vergleichstyp")], v, false));
        }
        for (i, p) in self.parties.iter().enumerate() {
            texts.push((vec![F("parties"), I(i), F("name")], &p.name, false));
            texts.push((
                vec![F("parties"), I(i), F("signatory")],
                &p.signatory,
                false,
            ));
        }
        for (i, a) in self.areas.iter().enumerate() {
            texts.push((vec![F("areas"), I(i), F("title")], &a.title, false));
            texts.push((
                vec![F("areas"), I(i), F("description")],
                &a.description,
                true,
            ));
        }
        for (i, ind) in self.indicators.iter().enumerate() {
            texts.push((vec![F("indicators"), I(i), F("name")], &ind.name, false));
            texts.push((
                vec![F("indicators"), I(i), F("description")],
                &ind.description,
                true,
            ));
        }
        for (i, g) in self.goals.iter().enumerate() {
            texts.push((vec![F("goals"), I(i), F("title")], &g.title, false));
            texts.push((
                vec![F("goals"), I(i), F("description")],
                &g.description,
                true,
            ));
        }
        for (i, m) in self.measures.iter().enumerate() {
            texts.push((vec![F("measures"), I(i), F("title")], &m.title, false));
            texts.push((
                vec![F("measures"), I(i), F("description")],
                &m.description,
                true,
            ));
            texts.push((
                vec![F("measures"), I(i), F("expected_effect")],
                &m.expected_effect,
                true,
            ));
        }
        for (i, b) in self.breaks.iter().enumerate() {
            texts.push((vec![F("breaks"), I(i), F("reason")], &b.reason, false));
        }
        for (path, text, paragraphs) in texts {
            let allowed = |c: char| paragraphs && matches!(c, '\n' | '\r' | '\t');
            if let Some(c) = text.chars().find(|c| c.is_control() && !allowed(*c)) {
                push(
                    &path,
                    format!(
                        "Der Text enthält ein Steuerzeichen (U+{:04X}); erlaubt sind Buchstaben, Ziffern, Satzzeichen{}",
                        c as u32,
                        if paragraphs {
                            " und Zeilenumbrüche"
                        } else {
                            ""
                        }
                    ),
                );
            }
        }

        // Parties: each role exactly once; a signed agreement needs all signatures.
        let mut seen_roles = HashSet::new();
        for (i, party) in self.parties.iter().enumerate() {
            if !seen_roles.insert(party.role) {
                push(
                    &[F("parties"), I(i), F("role")],
                    format!(
                        "Die Partei „{}“ ist doppelt aufgeführt; jede Rolle darf nur einmal vorkommen",
                        party.role.as_str()
                    ),
                );
            }
            if party.name.trim().is_empty() {
                push(
                    &[F("parties"), I(i), F("name")],
                    "Der Name der Partei darf nicht leer sein".into(),
                );
            }
            if self.status == AgreementStatus::Signed && party.signed_on.is_none() {
                push(
                    &[F("parties"), I(i), F("signed_on")],
                    "Die Vereinbarung ist als unterzeichnet markiert, aber für diese Partei fehlt das Datum der Unterschrift (signed_on)".into(),
                );
            }
        }
        for role in PartyRole::ALL {
            if !seen_roles.contains(&role) {
                push(
                    &[F("parties")],
                    format!(
                        "Die Partei „{}“ ({}) fehlt; eine trilaterale Vereinbarung braucht Kreis, Agentur und Jobcenter",
                        role.as_str(),
                        role.label_de()
                    ),
                );
            }
        }

        // Areas.
        let mut area_keys = HashSet::new();
        for (i, area) in self.areas.iter().enumerate() {
            if !area_keys.insert(&area.key) {
                push(
                    &[F("areas"), I(i), F("key")],
                    format!("Der Zielbereich „{}“ ist doppelt definiert", area.key),
                );
            }
            if area.title.trim().is_empty() {
                push(
                    &[F("areas"), I(i), F("title")],
                    "Der Titel des Zielbereichs darf nicht leer sein".into(),
                );
            }
        }

        // Indicators: unique codes, formula inputs defined, no cycles.
        let mut indicators: HashMap<&IndicatorCode, &Indicator> = HashMap::new();
        for (i, ind) in self.indicators.iter().enumerate() {
            if indicators.insert(&ind.code, ind).is_some() {
                push(
                    &[F("indicators"), I(i), F("code")],
                    format!("Die Kennzahl „{}“ ist doppelt definiert", ind.code),
                );
            }
        }
        let on_cycle = indicators_on_cycles(&indicators);
        for (i, ind) in self.indicators.iter().enumerate() {
            for input in ind.formula.inputs() {
                if !indicators.contains_key(input) {
                    push(
                        &[F("indicators"), I(i), F("formula")],
                        format!(
                            "Die Formel von „{}“ verweist auf die Kennzahl „{}“, die in dieser Datei nicht definiert ist",
                            ind.code, input
                        ),
                    );
                }
            }
            if let Formula::StoredRatio { scale } | Formula::Ratio { scale, .. } = ind.formula
                && !(scale.is_finite() && scale > 0.0)
            {
                push(
                    &[F("indicators"), I(i), F("formula")],
                    format!("Der Faktor (scale) muss eine positive Zahl sein, gefunden: {scale}"),
                );
            }
            if let Some(legal) = crate::keyfigures::key_figure(&ind.code)
                && (legal.formula != ind.formula
                    || legal.unit != ind.unit
                    || legal.direction != ind.direction)
            {
                push(
                    &[F("indicators"), I(i), F("formula")],
                    format!(
                        "{} ist eine Kennzahl nach § 48a SGB II und muss wie in der Verordnung definiert sein: {}, Einheit percent, Richtung {}. Lassen Sie die Definition in der Datei weg: dann gilt die gesetzliche",
                        ind.code,
                        legal.formula.describe_de(),
                        legal.direction.as_str()
                    ),
                );
            }
            if let Formula::RollingRate { lag, .. } = ind.formula
                && lag > 12
            {
                push(
                    &[F("indicators"), I(i), F("formula")],
                    format!(
                        "Die Verschiebung (lag) darf höchstens 12 Monate betragen, gefunden: {lag}"
                    ),
                );
            }
            if ind.name.trim().is_empty() {
                push(
                    &[F("indicators"), I(i), F("name")],
                    "Der Name der Kennzahl darf nicht leer sein".into(),
                );
            }
            if on_cycle.contains(&ind.code) {
                push(
                    &[F("indicators"), I(i), F("formula")],
                    format!(
                        "Die Formel von „{}“ verweist über andere Kennzahlen auf sich selbst",
                        ind.code
                    ),
                );
            }
        }

        // Goals.
        let mut goal_keys = HashSet::new();
        let (jan, dec) = YearMonth::year_bounds(self.year)
            .unwrap_or_else(|_| YearMonth::year_bounds(2000 + 5).expect("valid"));
        for (i, goal) in self.goals.iter().enumerate() {
            let at = |field| [F("goals"), I(i), F(field)];
            if !goal_keys.insert(&goal.key) {
                push(
                    &at("key"),
                    format!("Das Ziel „{}“ ist doppelt definiert", goal.key),
                );
            }
            if goal.title.trim().is_empty() {
                push(
                    &at("title"),
                    "Der Titel des Ziels darf nicht leer sein".into(),
                );
            }
            if !area_keys.contains(&goal.area) {
                push(
                    &at("area"),
                    format!(
                        "Der Zielbereich „{}“ ist nicht definiert; bekannt sind: {}",
                        goal.area,
                        join_keys(self.areas.iter().map(|a| a.key.as_str()))
                    ),
                );
            }
            let indicator = indicators.get(&goal.indicator);
            if indicator.is_none() {
                push(
                    &at("indicator"),
                    format!(
                        "Die Kennzahl „{}“ ist nicht definiert; ergänzen Sie sie unter [[indicators]]",
                        goal.indicator
                    ),
                );
            }
            let is_milestone = indicator.is_some_and(|i| i.unit == Unit::Milestone);
            match &goal.target {
                Target::Annual { value } => {
                    if !value.is_finite() {
                        push(&at("target"), "Der Zielwert muss eine Zahl sein".into());
                    }
                    if *value < 0.0 && indicator.is_some_and(|i| i.unit.counts()) {
                        push(
                            &at("target"),
                            format!(
                                "Die Kennzahl „{}“ zählt; ein Zielwert kann nicht negativ sein",
                                goal.indicator
                            ),
                        );
                    }
                    if is_milestone {
                        push(
                            &at("target"),
                            "Für eine Meilenstein-Kennzahl ist ein Ziel der Art „milestone“ mit Fälligkeitsdatum nötig".into(),
                        );
                    }
                }
                Target::Monthly { values } => {
                    if values.is_empty() {
                        push(&at("target"), "Der Zielpfad enthält keinen Monat".into());
                    }
                    for (month, value) in values {
                        if *month < jan || *month > dec {
                            push(
                                &at("target"),
                                format!(
                                    "Der Zielpfad enthält den Monat {month}, der nicht im Vereinbarungsjahr {} liegt",
                                    self.year
                                ),
                            );
                        }
                        if !value.is_finite() {
                            push(
                                &at("target"),
                                format!("Der Zielwert für {month} muss eine Zahl sein"),
                            );
                        }
                        if *value < 0.0 && indicator.is_some_and(|i| i.unit.counts()) {
                            push(
                                &at("target"),
                                format!(
                                    "Der Zielwert für {month} ist negativ; die Kennzahl „{}“ zählt",
                                    goal.indicator
                                ),
                            );
                        }
                    }
                    if is_milestone {
                        push(
                            &at("target"),
                            "Für eine Meilenstein-Kennzahl ist ein Ziel der Art „milestone“ mit Fälligkeitsdatum nötig".into(),
                        );
                    }
                }
                Target::Milestone { due } => {
                    if indicator.is_some() && !is_milestone {
                        push(
                            &at("target"),
                            format!(
                                "Ein Meilenstein-Ziel braucht eine Kennzahl mit der Einheit „milestone“; „{}“ hat eine andere Einheit",
                                goal.indicator
                            ),
                        );
                    }
                    if YearMonth::of_date(*due).map(|m| m.year()) != Ok(self.year) {
                        push(
                            &at("target"),
                            format!(
                                "Das Fälligkeitsdatum {due} liegt nicht im Vereinbarungsjahr {}",
                                self.year
                            ),
                        );
                    }
                }
            }
            match goal.tolerance {
                Tolerance::Absolute { value: v } | Tolerance::Relative { percent: v }
                    if !(v.is_finite() && v >= 0.0) =>
                {
                    push(
                        &at("tolerance"),
                        format!("Die Toleranz muss null oder positiv sein, gefunden: {v}"),
                    );
                }
                Tolerance::Days { .. } if !matches!(goal.target, Target::Milestone { .. }) => {
                    push(
                        &at("tolerance"),
                        "Eine Toleranz in Tagen gilt nur für Meilensteine; verwenden Sie „absolute“ oder „relative“".into(),
                    );
                }
                Tolerance::Absolute { .. } | Tolerance::Relative { .. }
                    if matches!(goal.target, Target::Milestone { .. }) =>
                {
                    push(
                        &at("tolerance"),
                        "Für Meilensteine wird die Toleranz in Tagen angegeben (kind = \"days\")"
                            .into(),
                    );
                }
                _ => {}
            }
        }

        // Measures.
        let mut measure_keys = HashSet::new();
        for (i, measure) in self.measures.iter().enumerate() {
            let at = |field| [F("measures"), I(i), F(field)];
            if !measure_keys.insert(&measure.key) {
                push(
                    &at("key"),
                    format!(
                        "Der Handlungsansatz „{}“ ist doppelt definiert",
                        measure.key
                    ),
                );
            }
            if measure.title.trim().is_empty() {
                push(
                    &at("title"),
                    "Der Titel des Handlungsansatzes darf nicht leer sein".into(),
                );
            }
            if let Some(end) = measure.end
                && end < measure.start
            {
                push(
                    &at("end"),
                    format!("Das Ende {end} liegt vor dem Beginn {}", measure.start),
                );
            }
            for goal in &measure.goals {
                if !goal_keys.contains(goal) {
                    push(
                        &at("goals"),
                        format!("Das Ziel „{goal}“ ist nicht definiert"),
                    );
                }
            }
        }

        // Breaks: of a defined indicator, with a reason, each month of a series once.
        let mut break_months = HashSet::new();
        for (i, b) in self.breaks.iter().enumerate() {
            let at = |field| [F("breaks"), I(i), F(field)];
            if self.indicator(&b.indicator).is_none() {
                push(
                    &at("indicator"),
                    format!("Die Kennzahl „{}“ ist nicht definiert", b.indicator),
                );
            }
            if !break_months.insert((&b.indicator, b.month)) {
                push(
                    &at("month"),
                    format!(
                        "Für „{}“ ist der Bruch im Monat {} doppelt angegeben",
                        b.indicator, b.month
                    ),
                );
            }
            if b.reason.trim().is_empty() {
                push(
                    &at("reason"),
                    "Bitte angeben, warum die Reihe bricht (z. B. „Wechsel Geflüchteter aus der Ukraine in das SGB II“)".into(),
                );
            }
        }
        out
    }

    /// The months at which the series of `indicator` breaks, oldest first.
    pub fn breaks_of(&self, indicator: &IndicatorCode) -> Vec<YearMonth> {
        let mut months: Vec<YearMonth> = self
            .breaks
            .iter()
            .filter(|b| &b.indicator == indicator)
            .map(|b| b.month)
            .collect();
        months.sort();
        months
    }
}

fn join_keys<'a>(keys: impl Iterator<Item = &'a str>) -> String {
    let v: Vec<_> = keys.collect();
    if v.is_empty() {
        "(keine)".into()
    } else {
        v.join(", ")
    }
}

/// The indicators whose formula leads back to themselves, found in one pass over all of them
/// (Tarjan's strongly connected components, iteratively): a chain of 20,000 formulas is
/// walked once, not once per indicator.
fn indicators_on_cycles<'a>(
    all: &HashMap<&'a IndicatorCode, &'a Indicator>,
) -> HashSet<&'a IndicatorCode> {
    #[derive(Clone, Copy)]
    struct Mark {
        index: usize,
        low: usize,
        on_stack: bool,
    }
    let inputs = |c: &IndicatorCode| -> Vec<&'a IndicatorCode> {
        all.get(c).map(|i| i.formula.inputs()).unwrap_or_default()
    };
    let mut marks: HashMap<&'a IndicatorCode, Mark> = HashMap::new();
    let mut stack: Vec<&'a IndicatorCode> = Vec::new();
    let mut found = HashSet::new();
    let mut next = 0;
    let mut roots: Vec<&'a IndicatorCode> = all.keys().copied().collect();
    roots.sort();
    for root in roots {
        if marks.contains_key(root) {
            continue;
        }
        // (node, its inputs, how many of them are done)
        let mut work: Vec<(&'a IndicatorCode, Vec<&'a IndicatorCode>, usize)> = Vec::new();
        marks.insert(
            root,
            Mark {
                index: next,
                low: next,
                on_stack: true,
            },
        );
        next += 1;
        stack.push(root);
        work.push((root, inputs(root), 0));
        while let Some((node, children, done)) = work.last_mut() {
            let node = *node;
            if let Some(&child) = children.get(*done) {
                *done += 1;
                match marks.get(child).copied() {
                    None if all.contains_key(child) => {
                        marks.insert(
                            child,
                            Mark {
                                index: next,
                                low: next,
                                on_stack: true,
                            },
                        );
                        next += 1;
                        stack.push(child);
                        let grandchildren = inputs(child);
                        work.push((child, grandchildren, 0));
                    }
                    Some(m) if m.on_stack => {
                        let low = marks[node].low.min(m.index);
                        marks.get_mut(node).expect("marked").low = low;
                    }
                    _ => {}
                }
                continue;
            }
            work.pop();
            let m = marks[node];
            if let Some((parent, ..)) = work.last() {
                let low = marks[parent].low.min(m.low);
                marks.get_mut(parent).expect("marked").low = low;
            }
            if m.low == m.index {
                let mut component = Vec::new();
                while let Some(c) = stack.pop() {
                    marks.get_mut(c).expect("marked").on_stack = false;
                    component.push(c);
                    if c == node {
                        break;
                    }
                }
                let self_loop = inputs(node).contains(&node);
                if component.len() > 1 || self_loop {
                    found.extend(component);
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_signed_version_is_in_force() {
        use AgreementStatus::{Draft, Signed};
        let all = [(1, Signed), (2, Signed), (3, Draft)];
        assert_eq!(
            version_standing(1, Signed, &all),
            "unterzeichnet, ersetzt durch Version 2"
        );
        assert_eq!(version_standing(2, Signed, &all), "unterzeichnet, in Kraft");
        assert_eq!(
            version_standing(3, Draft, &all),
            "Entwurf (Nachtrag zu Version 2)"
        );
        assert_eq!(version_standing(1, Draft, &[(1, Draft)]), "Entwurf");
    }
}
