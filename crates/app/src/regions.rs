//! Published statistics across regions: a Land's (or the Bund's) Kreise for one indicator and
//! year, and one Kreis against its Land, the Bund and its computed comparison group.
//!
//! Published statistics (INKAR, the BA's tables for Kreise, Länder and the Bund) are readable by
//! every signed-in person ([`may_read_statistics`]); what a Jobcenter keeps internal is not read
//! here. A Jobcenter's agreement is linked only for those who may read it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use zielwerk_domain::format::number;
use zielwerk_domain::{
    Action, AgreementKey, Indicator, IndicatorCode, PeriodKind, Principal, Region, RegionId,
    RegionKind, Unit,
};
use zielwerk_engine::Status;
use zielwerk_engine::comparison::{self, Feature, Group, Placement};
use zielwerk_store::Store;

use crate::assessments::Assessments;
use crate::{AppError, Problem};

/// Who may read published statistics: everyone signed in. The rule lives here, once.
pub fn may_read_statistics(_p: &Principal) -> bool {
    true
}

/// The line the INKAR licence (Datenlizenz Deutschland – Namensnennung 2.0) asks for wherever
/// its figures are shown.
pub const INKAR_ATTRIBUTION: &str =
    "Datenbasis: INKAR, BBSR Bonn; Statistik der Bundesagentur für Arbeit";

/// The indicators a region view offers: the yearly statistics built in.
pub fn indicators() -> Vec<Indicator> {
    zielwerk_domain::keyfigures::inkar_statistics()
}

/// The structural indicators of a computed comparison group (`docs/comparisons.md`): the level
/// of need, the density of population (on its logarithm), and the make-up of the
/// Bedarfsgemeinschaften and the persons in them.
pub fn structure() -> Vec<Feature> {
    [
        ("Q_SGBII", false),
        ("Q_BEV_FL", true),
        ("A_BG1P", false),
        ("A_BGKIND", false),
        ("A_EWFBG_ALLEIN", false),
        ("A_EWFBG_55UM_", false),
    ]
    .into_iter()
    .map(|(code, log)| Feature {
        code: code.parse().expect("built-in codes are valid"),
        log,
    })
    .collect()
}

/// How many regions a computed comparison group holds.
pub const GROUP_SIZE: usize = 10;

/// The order of a region table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// The best first (regions without a value last).
    Rank,
    Name,
    /// The largest first.
    Value,
    /// The largest increase first.
    Change,
}

impl Sort {
    pub const ALL: [Sort; 4] = [Sort::Rank, Sort::Name, Sort::Value, Sort::Change];

    /// The parameter as the address writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Rank => "rang",
            Sort::Name => "name",
            Sort::Value => "wert",
            Sort::Change => "veraenderung",
        }
    }

    pub fn label_de(self) -> &'static str {
        match self {
            Sort::Rank => "Rang (bester zuerst)",
            Sort::Name => "Name",
            Sort::Value => "Wert (größter zuerst)",
            Sort::Change => "Veränderung (stärkster Anstieg zuerst)",
        }
    }
}

/// What a region view is asked for; every field as typed (from a form or the address).
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub indicator: Option<String>,
    pub year: Option<String>,
    pub sort: Option<String>,
    /// Only regions whose name contains this (any case).
    pub filter: Option<String>,
}

/// One Kreis in a table.
#[derive(Debug, Clone)]
pub struct Row {
    pub region: Region,
    pub value: Option<f64>,
    /// Against the year before, in the indicator's unit (percentage points for a share).
    pub change: Option<f64>,
    /// 1 is the best among the table's regions with a value (see [`Placement::rank`]).
    pub rank: Option<usize>,
    /// An identity the published value violates.
    pub warning: Option<String>,
    /// The Jobcenter covering the Kreis, with the agreement of the year where the reader may
    /// read it.
    pub jobcenter: Vec<JobcenterLink>,
}

#[derive(Debug, Clone)]
pub struct JobcenterLink {
    pub region: Region,
    /// The agreement of the year, for who may read it.
    pub agreement: Option<AgreementKey>,
    /// Where its goals stand, for who may read that (the carriers and Aufsicht).
    pub standing: Option<Standing>,
}

/// Where the goals of an agreement stand at its latest reporting month: how many goals have each
/// status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub key: AgreementKey,
    pub as_of: zielwerk_domain::YearMonth,
    pub on_track: usize,
    pub at_risk: usize,
    pub missed: usize,
    pub no_data: usize,
}

impl Standing {
    /// "Stand Dezember 2022: 5 im Plan, 2 gefährdet, 3 verfehlt, 1 ohne Daten".
    pub fn words_de(&self) -> String {
        let parts: Vec<String> = [
            (self.on_track, "im Plan"),
            (self.at_risk, "gefährdet"),
            (self.missed, "verfehlt"),
            (self.no_data, "ohne Daten"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, w)| format!("{n} {w}"))
        .collect();
        format!(
            "Stand {}: {}",
            self.as_of.german_long(),
            if parts.is_empty() {
                "keine Ziele".to_owned()
            } else {
                parts.join(", ")
            }
        )
    }
}

/// A Land or the Bund with its Kreise for one indicator and year.
#[derive(Debug, Clone)]
pub struct AreaView {
    pub area: Region,
    pub indicator: Indicator,
    pub year: i32,
    /// The years with values of the indicator, newest first.
    pub years: Vec<i32>,
    pub sort: Sort,
    pub filter: String,
    /// The regions shown (after the filter), in the order asked for.
    pub rows: Vec<Row>,
    /// The regions of the area, before the filter.
    pub total: usize,
    /// Every Kreis of the area with a value (the filter does not apply), and whether the filter
    /// matches it: the chart shows all and marks the matches.
    pub all: Vec<(String, f64, bool)>,
    /// The area's own value and the Bund's (for a Land).
    pub references: Vec<(Region, Option<f64>)>,
    /// First quartile, median and third quartile of the Kreise's values.
    pub spread: Option<(f64, f64, f64)>,
    pub attribution: &'static str,
}

/// A Kreis against its Land, the Bund and its comparison group, for one indicator and year.
#[derive(Debug, Clone)]
pub struct RegionView {
    pub region: Region,
    pub land: Option<Region>,
    pub indicator: Indicator,
    pub year: i32,
    pub years: Vec<i32>,
    pub value: Option<f64>,
    pub warning: Option<String>,
    /// Among the Kreise of its Land, of the Bund, of its group.
    pub in_land: Option<Placement>,
    pub in_bund: Option<Placement>,
    pub in_group: Option<Placement>,
    pub references: Vec<(Region, Option<f64>)>,
    /// The computed group and the members' names and values, nearest first; the reason when
    /// no group can be computed.
    pub group: Result<Group, String>,
    pub members: Vec<(Region, Option<f64>)>,
    /// The structural indicators of the group, with their names.
    pub structure: Vec<Indicator>,
    pub attribution: &'static str,
}

fn invalid(field: &str, message: String) -> AppError {
    AppError::Invalid(vec![Problem::at(field, message)])
}

fn region_missing(id: &str) -> AppError {
    AppError::NotFound(format!("Die Region „{id}“ gibt es nicht."))
}

/// The indicator asked for, or the housing costs per BG.
fn indicator(wanted: Option<&str>) -> Result<Indicator, AppError> {
    let all = indicators();
    let code = wanted.map(str::trim).filter(|s| !s.is_empty());
    match code {
        None => Ok(all
            .into_iter()
            .find(|i| i.code.as_str() == "D_UNTERKUNFT_LSTG")
            .expect("built in")),
        Some(c) => all
            .into_iter()
            .find(|i| i.code.as_str().eq_ignore_ascii_case(c))
            .ok_or_else(|| {
                invalid(
                    "kennzahl",
                    format!(
                        "Parameter „kennzahl“: „{c}“ ist keine der Jahreskennzahlen dieser Ansicht"
                    ),
                )
            }),
    }
}

/// Yearly values by region and year.
type Values = BTreeMap<RegionId, BTreeMap<i32, f64>>;

/// The year asked for (which must have values) or the latest with values, the years with
/// values newest first, and every region's values of `code` in that year and the one before.
async fn yearly(
    store: &Store,
    code: &IndicatorCode,
    wanted: Option<&str>,
) -> Result<(i32, Vec<i32>, Values), AppError> {
    let mut years: Vec<i32> = store
        .periods_across(code, PeriodKind::Year)
        .await?
        .into_iter()
        .map(|p| p.end.year())
        .collect();
    years.sort_unstable_by(|a, b| b.cmp(a));
    years.dedup();
    let year = match wanted.map(str::trim).filter(|s| !s.is_empty()) {
        Some(y) => {
            let y: i32 = y.parse().map_err(|_| {
                invalid(
                    "jahr",
                    format!("Parameter „jahr“: „{y}“ ist kein Jahr (erwartet z. B. 2021)"),
                )
            })?;
            if !years.contains(&y) {
                return Err(invalid(
                    "jahr",
                    format!("Parameter „jahr“: Für {y} liegen keine Werte vor"),
                ));
            }
            y
        }
        None => years.first().copied().unwrap_or(0),
    };
    let periods: Vec<zielwerk_domain::Period> = [year, year - 1]
        .into_iter()
        .filter_map(|y| zielwerk_domain::Period::year(y).ok())
        .collect();
    let mut values = Values::new();
    if !years.is_empty() {
        for v in store
            .values_across(&[code], PeriodKind::Year, &periods)
            .await?
        {
            values
                .entry(v.region)
                .or_default()
                .insert(v.period.end.year(), v.value);
        }
    }
    Ok((year, years, values))
}

fn warnings_of(warnings: &[zielwerk_store::ValueWarning], year: i32) -> BTreeMap<RegionId, String> {
    warnings
        .iter()
        .filter(|w| w.period.kind == PeriodKind::Year && w.period.end.year() == year)
        .map(|w| (w.region.clone(), w.message.clone()))
        .collect()
}

/// A Land (`05`) or the Bund (`DE`) with its Kreise.
pub async fn area(
    store: &Store,
    assessments: &Arc<Assessments>,
    p: &Principal,
    id: &str,
    request: &Request,
) -> Result<AreaView, AppError> {
    if !may_read_statistics(p) {
        return Err(region_missing(id));
    }
    let regions = store.regions().await?;
    let wanted: RegionId = RegionId::from_key(id).map_err(|_| region_missing(id))?;
    let area = regions
        .iter()
        .find(|r| r.id == wanted && matches!(r.kind(), RegionKind::Land | RegionKind::Bund))
        .cloned()
        .ok_or_else(|| region_missing(id))?;
    let kreise: Vec<&Region> = regions
        .iter()
        .filter(|r| {
            r.kind() == RegionKind::Kreis
                && (area.kind() == RegionKind::Bund || r.parent.as_ref() == Some(&area.id))
        })
        .collect();
    let indicator = indicator(request.indicator.as_deref())?;
    let (year, years, values) = yearly(store, &indicator.code, request.year.as_deref()).await?;
    let sort = match request
        .sort
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => Sort::Rank,
        Some(s) => Sort::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| {
                invalid(
                    "sortierung",
                    format!(
                        "Parameter „sortierung“: „{s}“ gibt es nicht; möglich sind {}",
                        Sort::ALL.map(Sort::as_str).join(", ")
                    ),
                )
            })?,
    };
    let at = |r: &RegionId, y: i32| values.get(r).and_then(|by| by.get(&y)).copied();
    // Sorted once: every row's rank is a binary search in it.
    let mut sorted: Vec<f64> = kreise.iter().filter_map(|k| at(&k.id, year)).collect();
    sorted.sort_by(f64::total_cmp);
    let direction = indicator.direction;
    let warnings = warnings_of(&store.warnings_of(&indicator.code).await?, year);
    let links = jobcenter_links(store, assessments, p, &regions, year).await?;
    let filter = request.filter.as_deref().unwrap_or("").trim().to_owned();
    let needle = filter.to_lowercase();
    let matches = |k: &Region| needle.is_empty() || k.name.to_lowercase().contains(&needle);
    let all = kreise
        .iter()
        .filter_map(|k| {
            Some((
                k.name.clone(),
                at(&k.id, year)?,
                !needle.is_empty() && matches(k),
            ))
        })
        .collect();
    let mut rows: Vec<Row> = kreise
        .iter()
        .filter(|k| matches(k))
        .map(|k| {
            let value = at(&k.id, year);
            Row {
                region: (*k).clone(),
                value,
                change: value.zip(at(&k.id, year - 1)).map(|(a, b)| a - b),
                rank: value.map(|v| comparison::rank_in_sorted(v, &sorted, direction)),
                warning: warnings.get(&k.id).cloned(),
                jobcenter: links.get(&k.id).cloned().unwrap_or_default(),
            }
        })
        .collect();
    sort_rows(&mut rows, sort);
    let mut references = vec![(area.clone(), at(&area.id, year))];
    if area.kind() == RegionKind::Land
        && let Some(bund) = regions.iter().find(|r| r.kind() == RegionKind::Bund)
    {
        references.push((bund.clone(), at(&bund.id, year)));
    }
    let spread = (!sorted.is_empty()).then(|| {
        (
            comparison::quantile(&sorted, 0.25),
            comparison::quantile(&sorted, 0.5),
            comparison::quantile(&sorted, 0.75),
        )
    });
    Ok(AreaView {
        total: kreise.len(),
        all,
        area,
        indicator,
        year,
        years,
        sort,
        filter,
        rows,
        references,
        spread,
        attribution: INKAR_ATTRIBUTION,
    })
}

fn sort_rows(rows: &mut [Row], sort: Sort) {
    let desc = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => b.total_cmp(&a),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    };
    rows.sort_by(|a, b| {
        let by = match sort {
            Sort::Rank => match (a.rank, b.rank) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            },
            Sort::Name => std::cmp::Ordering::Equal,
            Sort::Value => desc(a.value, b.value),
            Sort::Change => desc(a.change, b.change),
        };
        by.then_with(|| a.region.name.cmp(&b.region.name))
    });
}

/// How long the Land view waits for an agreement's assessment that is being computed.
const STANDING_WAIT: Duration = Duration::from_secs(2);

/// The Jobcenter covering each Kreis, with the agreement of `year` (its latest version) where
/// `p` may read it, and where its goals stand where `p` may read that.
async fn jobcenter_links(
    store: &Store,
    assessments: &Arc<Assessments>,
    p: &Principal,
    regions: &[Region],
    year: i32,
) -> Result<BTreeMap<RegionId, Vec<JobcenterLink>>, AppError> {
    let agreements = store.agreements().await?;
    let mut out: BTreeMap<RegionId, Vec<JobcenterLink>> = BTreeMap::new();
    for jc in regions.iter().filter(|r| r.kind() == RegionKind::Jobcenter) {
        let Some(ba) = jc.id.jobcenter() else {
            continue;
        };
        let of_year = agreements
            .iter()
            .filter(|a| a.jobcenter == ba && a.year == year)
            .max_by_key(|a| a.version)
            .map(|a| a.key.clone());
        let agreement = of_year.clone().filter(|_| p.may(&ba, Action::ReadInternal));
        let standing = match of_year.filter(|_| p.may(&ba, Action::ReadStatus)) {
            Some(key) => Some(standing(assessments, key).await?),
            None => None,
        };
        for kreis in &jc.covers {
            out.entry(kreis.clone()).or_default().push(JobcenterLink {
                region: jc.clone(),
                agreement: agreement.clone(),
                standing: standing.clone(),
            });
        }
    }
    Ok(out)
}

/// Where the goals of `key` stand at its latest reporting month (the caller has authorised).
async fn standing(assessments: &Arc<Assessments>, key: AgreementKey) -> Result<Standing, AppError> {
    let read = assessments.read(&key, STANDING_WAIT).await?;
    let l = &read.snapshot.loaded;
    let as_of =
        zielwerk_engine::default_as_of(&l.agreement, l.values.iter().map(|v| v.observation.month));
    let state = read.snapshot.at(as_of);
    let count = |s: Status| {
        state
            .goals
            .iter()
            .filter(|g| g.assessment.status == s)
            .count()
    };
    Ok(Standing {
        key,
        as_of,
        on_track: count(Status::OnTrack),
        at_risk: count(Status::AtRisk),
        missed: count(Status::Missed),
        no_data: count(Status::NoData),
    })
}

/// One Kreis against its Land, the Bund and its computed comparison group.
pub async fn region(
    store: &Store,
    p: &Principal,
    id: &str,
    request: &Request,
) -> Result<RegionView, AppError> {
    if !may_read_statistics(p) {
        return Err(region_missing(id));
    }
    let regions = store.regions().await?;
    let wanted: RegionId = RegionId::from_key(id).map_err(|_| region_missing(id))?;
    let region = regions
        .iter()
        .find(|r| r.id == wanted && r.kind() == RegionKind::Kreis)
        .cloned()
        .ok_or_else(|| region_missing(id))?;
    let land = regions
        .iter()
        .find(|r| Some(&r.id) == region.parent.as_ref())
        .cloned();
    let kreise: Vec<&Region> = regions
        .iter()
        .filter(|r| r.kind() == RegionKind::Kreis)
        .collect();
    let indicator = indicator(request.indicator.as_deref())?;
    let (year, years, values) = yearly(store, &indicator.code, request.year.as_deref()).await?;
    let at = |r: &RegionId| values.get(r).and_then(|by| by.get(&year)).copied();
    let value = at(&region.id);
    let direction = indicator.direction;
    let among = |members: &mut dyn Iterator<Item = &RegionId>| -> Option<Placement> {
        let vs: Vec<f64> = members.filter_map(&at).collect();
        value.and_then(|v| comparison::place(v, &vs, direction))
    };
    let in_land = among(
        &mut kreise
            .iter()
            .filter(|k| k.parent == region.parent)
            .map(|k| &k.id),
    );
    let in_bund = among(&mut kreise.iter().map(|k| &k.id));

    // The group, from the structural indicators of the same year.
    let features = structure();
    let mut profiles: BTreeMap<RegionId, Vec<Option<f64>>> = kreise
        .iter()
        .map(|k| (k.id.clone(), vec![None; features.len()]))
        .collect();
    let codes: Vec<&IndicatorCode> = features.iter().map(|f| &f.code).collect();
    // Without a year with values there is nothing to compare: every profile stays empty.
    if let Ok(of_year) = zielwerk_domain::Period::year(year) {
        for v in store
            .values_across(&codes, PeriodKind::Year, &[of_year])
            .await?
        {
            let i = features.iter().position(|f| f.code == v.indicator);
            if let (Some(profile), Some(i)) = (profiles.get_mut(&v.region), i) {
                profile[i] = Some(v.value);
            }
        }
    }
    let group = comparison::similar(&region.id, &features, &profiles, GROUP_SIZE)
        .map_err(|e| format!("{e} (Jahr {year})"));
    let (in_group, members) = match &group {
        Ok(g) => (
            among(
                &mut g
                    .members
                    .iter()
                    .map(|m| &m.region)
                    .chain(std::iter::once(&region.id)),
            ),
            g.members
                .iter()
                .filter_map(|m| {
                    regions
                        .iter()
                        .find(|r| r.id == m.region)
                        .map(|r| (r.clone(), at(&r.id)))
                })
                .collect(),
        ),
        Err(_) => (None, Vec::new()),
    };
    let mut references: Vec<(Region, Option<f64>)> =
        land.iter().map(|l| (l.clone(), at(&l.id))).collect();
    if let Some(bund) = regions.iter().find(|r| r.kind() == RegionKind::Bund) {
        references.push((bund.clone(), at(&bund.id)));
    }
    let warning = warnings_of(&store.warnings_of(&indicator.code).await?, year).remove(&region.id);
    let catalogue = indicators();
    let structure = features
        .iter()
        .filter_map(|f| catalogue.iter().find(|i| i.code == f.code).cloned())
        .collect();
    Ok(RegionView {
        region,
        land,
        indicator,
        year,
        years,
        value,
        warning,
        in_land,
        in_bund,
        in_group,
        references,
        group,
        members,
        structure,
        attribution: INKAR_ATTRIBUTION,
    })
}

/// The Land view as an Excel workbook: the rows as shown (sorted, filtered), the unit, the
/// year, the references and the source line.
pub fn area_xlsx(view: &AreaView) -> Result<Vec<u8>, AppError> {
    let lines: Vec<zielwerk_report::xlsx::RegionLine> = view
        .rows
        .iter()
        .map(|r| zielwerk_report::xlsx::RegionLine {
            name: r.region.name.clone(),
            id: r.region.id.to_string(),
            value: r.value,
            change: r.change,
            rank: r.rank,
            warning: r.warning.clone().unwrap_or_default(),
        })
        .collect();
    let title = format!(
        "{} ({}), {}: Kreise in {}",
        view.indicator.name, view.indicator.code, view.year, view.area.name
    );
    let notes = [
        ("Einheit", view.indicator.unit.label_de().to_owned()),
        (
            "Rang",
            match view.indicator.direction {
                zielwerk_domain::Direction::Lower => "1 = niedrigster Wert (niedriger ist besser)",
                zielwerk_domain::Direction::Higher => "1 = höchster Wert (höher ist besser)",
                zielwerk_domain::Direction::Neutral => {
                    "1 = niedrigster Wert (keine bessere Richtung)"
                }
            }
            .to_owned(),
        ),
        (
            "Vergleichswerte",
            view.references
                .iter()
                .map(|(r, v)| {
                    format!(
                        "{}: {}",
                        r.name,
                        v.map(|v| value_de(&view.indicator, v))
                            .unwrap_or_else(|| "kein Wert".into())
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
        ),
        ("Quelle", view.attribution.to_owned()),
    ];
    zielwerk_report::xlsx::regions(&title, &lines, &notes)
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// A value in the indicator's unit: "477,25 €", "9,75 %".
pub fn value_de(indicator: &Indicator, v: f64) -> String {
    match indicator.unit {
        Unit::Euro => format!("{}\u{a0}€", number(v, 2)),
        Unit::Percent => format!("{}\u{a0}%", number(v, 2)),
        _ => number(v, 2),
    }
}

/// A change in the indicator's unit: "+12,40 €", "−0,35 Prozentpunkte".
pub fn change_de(indicator: &Indicator, v: f64) -> String {
    let s = zielwerk_domain::format::signed(v, 2);
    match indicator.unit {
        Unit::Euro => format!("{s}\u{a0}€"),
        Unit::Percent => format!("{s} Prozentpunkte"),
        _ => s,
    }
}

/// The group named in words: "die 10 Kreise, die Mettmann nach … am ähnlichsten sind
/// (berechnet aus den Werten von 2021)".
pub fn group_de(view: &RegionView) -> String {
    match &view.group {
        Ok(g) => format!(
            "Vergleichsgruppe: die {} Kreise und kreisfreien Städte, die {} nach {} am ähnlichsten sind (berechnet aus den Werten von {}; {} Kreise mit allen Merkmalen verglichen)",
            g.members.len(),
            view.region.name,
            view.structure
                .iter()
                .zip(&g.features)
                .map(|(i, f)| if f.log {
                    format!("{} (logarithmiert)", i.name)
                } else {
                    i.name.clone()
                })
                .collect::<Vec<_>>()
                .join(", "),
            view.year,
            g.candidates
        ),
        Err(reason) => format!("Keine Vergleichsgruppe: {reason}"),
    }
}
