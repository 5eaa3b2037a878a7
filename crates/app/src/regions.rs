//! Published statistics across regions: a Land's (or the Bund's) Kreise for one indicator and
//! year, and one Kreis against its Land, the Bund and its computed comparison group.
//!
//! Published statistics (INKAR, the BA's tables for Kreise, Länder and the Bund) are readable by
//! every signed-in person ([`may_read_statistics`]); what a Jobcenter keeps internal is not read
//! here. A Jobcenter's agreement is linked only for those who may read it.

use std::collections::BTreeMap;
use std::sync::Arc;

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

/// How many years before the year shown a computed group may take its structure from, where the
/// year itself lacks a structural indicator.
pub const GROUP_YEARS_BACK: i32 = 3;

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
    /// `berechnet` asks for the computed group where an assigned one exists.
    pub group: Option<String>,
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
    /// The standing is still being computed (the first view after a start or an import).
    pub pending: bool,
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
    /// The group used and the members' names and values (nearest first for a computed group);
    /// the reason when there is none.
    pub group: Result<GroupUsed, String>,
    pub members: Vec<(Region, Option<f64>)>,
    /// Whether an assigned group exists for the Kreis (and so a choice between the two).
    pub assigned_available: bool,
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
    let values = if years.is_empty() {
        Values::new()
    } else {
        values_by_year(store, code, &periods).await?
    };
    Ok((year, years, values))
}

/// Every region's values of `code` in `periods` (years), by region and year.
async fn values_by_year(
    store: &Store,
    code: &IndicatorCode,
    periods: &[zielwerk_domain::Period],
) -> Result<Values, AppError> {
    let mut values = Values::new();
    for v in store
        .values_across(&[code], PeriodKind::Year, periods)
        .await?
    {
        values
            .entry(v.region)
            .or_default()
            .insert(v.period.end.year(), v.value);
    }
    Ok(values)
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
    let links = jobcenter_links(store, assessments, p, &regions, &kreise, year).await?;
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

/// The Jobcenter covering each Kreis, with the agreement of `year` (its latest version) where
/// `p` may read it, and where its goals stand where `p` may read that.
async fn jobcenter_links(
    store: &Store,
    assessments: &Arc<Assessments>,
    p: &Principal,
    regions: &[Region],
    kreise: &[&Region],
    year: i32,
) -> Result<BTreeMap<RegionId, Vec<JobcenterLink>>, AppError> {
    let agreements = store.agreements().await?;
    let shown: std::collections::HashSet<&RegionId> = kreise.iter().map(|k| &k.id).collect();
    let mut out: BTreeMap<RegionId, Vec<JobcenterLink>> = BTreeMap::new();
    // Only the Jobcenter covering a Kreis of the table.
    for jc in regions
        .iter()
        .filter(|r| r.kind() == RegionKind::Jobcenter && r.covers.iter().any(|k| shown.contains(k)))
    {
        let Some(ba) = jc.id.jobcenter() else {
            continue;
        };
        let of_year = agreements
            .iter()
            .filter(|a| a.jobcenter == ba && a.year == year)
            .max_by_key(|a| a.version)
            .map(|a| a.key.clone());
        let agreement = of_year.clone().filter(|_| p.may(&ba, Action::ReadInternal));
        // The kept assessment, never a computation of its own: the background worker assesses
        // every agreement in turn, and a view over hundreds must not start them all at once.
        let (standing, pending) = match of_year.filter(|_| p.may(&ba, Action::ReadStatus)) {
            None => (None, false),
            Some(key) => match assessments.latest(&key) {
                Some(snapshot) => (Some(standing(key, &snapshot)), false),
                None => (None, true),
            },
        };
        for kreis in &jc.covers {
            out.entry(kreis.clone()).or_default().push(JobcenterLink {
                region: jc.clone(),
                agreement: agreement.clone(),
                standing: standing.clone(),
                pending,
            });
        }
    }
    Ok(out)
}

/// Where the goals of `key` stand at its latest reporting month (the caller has authorised).
fn standing(key: AgreementKey, snapshot: &crate::assessments::Snapshot) -> Standing {
    let l = &snapshot.loaded;
    let as_of =
        zielwerk_engine::default_as_of(&l.agreement, l.values.iter().map(|v| v.observation.month));
    let state = snapshot.at(as_of);
    let count = |s: Status| {
        state
            .goals
            .iter()
            .filter(|g| g.assessment.status == s)
            .count()
    };
    Standing {
        key,
        as_of,
        on_track: count(Status::OnTrack),
        at_risk: count(Status::AtRisk),
        missed: count(Status::Missed),
        no_data: count(Status::NoData),
    }
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

    let prefer_computed = request.group.as_deref().map(str::trim) == Some("berechnet");
    let (group, assigned_available) =
        comparison_group(store, &regions, &region.id, year, prefer_computed).await?;
    let (in_group, members) = match &group {
        Ok(g) => (
            among(&mut g.with_region(&region.id).iter()),
            g.others(&region.id)
                .iter()
                .filter_map(|m| {
                    regions
                        .iter()
                        .find(|r| r.id == *m)
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
    let structure = structure_indicators();
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
        assigned_available,
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

/// A Kreis's places in words, a row each: among the Kreise of its Land, in its comparison group
/// (with the percentile, median and middle half), among all Kreise. `places` are in that order.
pub fn placements_de(
    ind: &Indicator,
    land: Option<&Region>,
    places: [Option<Placement>; 3],
) -> Vec<(String, String)> {
    let [in_land, in_group, in_bund] = places;
    let mut out = Vec::new();
    if let (Some(p), Some(land)) = (in_land, land) {
        out.push((
            format!("unter den Kreisen in {}", land.name),
            p.words_de(&format!("Kreisen in {}", land.name)),
        ));
    }
    if let Some(p) = in_group {
        out.push((
            "in der Vergleichsgruppe".to_owned(),
            format!(
                "{}; besser als {} % der anderen; Median der Gruppe {}, mittlere Hälfte {} bis {}",
                p.words_de("vergleichbaren Kreisen (Gruppe und Kreis selbst)"),
                number(p.better_than, 0),
                value_de(ind, p.median),
                value_de(ind, p.q1),
                value_de(ind, p.q3)
            ),
        ));
    }
    if let Some(p) = in_bund {
        out.push((
            "unter allen Kreisen".to_owned(),
            p.words_de("Kreisen in Deutschland"),
        ));
    }
    out
}

/// The group named in words: "die 10 Kreise …, die Mettmann nach … am ähnlichsten sind
/// (berechnet aus den Werten von 2021 …)" or "SGB-II-Vergleichstyp „IIc“ … (zugeordnet aus …)".
pub fn group_de(view: &RegionView) -> String {
    group_words_de(&view.group, &view.region, &view.structure)
}

/// [`group_de`] for any group of `region`; `structure` names the features of a computed one.
pub fn group_words_de(
    group: &Result<GroupUsed, String>,
    region: &Region,
    structure: &[Indicator],
) -> String {
    match group {
        Ok(GroupUsed::Computed(g)) => format!(
            "Vergleichsgruppe: die {} Kreise und kreisfreien Städte, die {} nach {} am ähnlichsten sind (berechnet aus den Werten von {}; {} Kreise mit allen Merkmalen verglichen)",
            g.members.len(),
            region.name,
            structure
                .iter()
                .zip(&g.features)
                .map(|(i, f)| if f.log {
                    format!("{} (logarithmiert)", i.name)
                } else {
                    i.name.clone()
                })
                .collect::<Vec<_>>()
                .join(", "),
            g.year,
            g.candidates
        ),
        Ok(GroupUsed::Assigned(a)) => {
            let others = a.members.len().saturating_sub(1);
            format!(
                "Vergleichsgruppe: {} „{}“{} mit {} {} (zugeordnet aus der Datei {}, eingelesen am {})",
                a.scheme.name,
                a.code,
                if a.name != a.code {
                    format!(" ({})", a.name)
                } else {
                    String::new()
                },
                others,
                if others == 1 {
                    "weiteren Kreis"
                } else {
                    "weiteren Kreisen"
                },
                a.scheme.file_name,
                date_de(&a.scheme.imported_at)
            )
        }
        Err(reason) => format!("Keine Vergleichsgruppe: {reason}"),
    }
}

/// "02.12.2026" from a stored RFC 3339 time (the text itself if it is not one).
fn date_de(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.format("%d.%m.%Y").to_string())
        .unwrap_or_else(|_| rfc3339.to_owned())
}

/// The comparison group of a Kreis: the one assigned from a file where one is imported (the
/// BA's SGB II Vergleichstyp), computed from the structural indicators otherwise.
#[derive(Debug, Clone)]
pub enum GroupUsed {
    Assigned(zielwerk_store::AssignedGroup),
    Computed(ComputedGroup),
}

/// A computed group with the year its structural indicators are from.
#[derive(Debug, Clone)]
pub struct ComputedGroup {
    pub year: i32,
    pub group: Group,
}

impl std::ops::Deref for ComputedGroup {
    type Target = Group;
    fn deref(&self) -> &Group {
        &self.group
    }
}

impl GroupUsed {
    /// The members other than `region`, nearest first for a computed group.
    pub fn others(&self, region: &RegionId) -> Vec<RegionId> {
        match self {
            GroupUsed::Computed(g) => g.members.iter().map(|m| m.region.clone()).collect(),
            GroupUsed::Assigned(a) => a.members.iter().filter(|m| *m != region).cloned().collect(),
        }
    }

    /// Every member with `region` itself: the set its rank is taken in.
    pub fn with_region(&self, region: &RegionId) -> Vec<RegionId> {
        let mut all = self.others(region);
        all.push(region.clone());
        all
    }

    /// A short name for tables and charts: "Vergleichstyp IIc", "10 ähnlichste Kreise".
    pub fn short_de(&self) -> String {
        match self {
            GroupUsed::Computed(g) => format!("{} ähnlichste Kreise", g.members.len()),
            GroupUsed::Assigned(a) => format!("{} „{}“", a.scheme.name, a.code),
        }
    }
}

/// The group of `kreis` for `year`: the assigned one unless `prefer_computed`, and whether an
/// assigned one exists.
async fn comparison_group(
    store: &Store,
    regions: &[Region],
    kreis: &RegionId,
    year: i32,
    prefer_computed: bool,
) -> Result<(Result<GroupUsed, String>, bool), AppError> {
    let assigned = store.assigned_group(kreis).await?;
    let available = assigned.is_some();
    if let Some(a) = assigned.filter(|_| !prefer_computed) {
        return Ok((Ok(GroupUsed::Assigned(a)), true));
    }
    let features = structure();
    let codes: Vec<&IndicatorCode> = features.iter().map(|f| &f.code).collect();
    // The structure of the year itself, or of the latest year before it with all features
    // for the Kreis (INKAR publishes some structural figures a year later than others); each
    // year read only when the one after it lacks a feature.
    let kreise: Vec<&RegionId> = regions
        .iter()
        .filter(|r| r.kind() == RegionKind::Kreis)
        .map(|r| &r.id)
        .collect();
    let mut first_error = None;
    for y in (year - GROUP_YEARS_BACK..=year).rev() {
        let Ok(period) = zielwerk_domain::Period::year(y) else {
            continue;
        };
        let mut profiles: BTreeMap<RegionId, Vec<Option<f64>>> = kreise
            .iter()
            .map(|k| ((*k).clone(), vec![None; features.len()]))
            .collect();
        for v in store
            .values_across(&codes, PeriodKind::Year, &[period])
            .await?
        {
            let i = features.iter().position(|f| f.code == v.indicator);
            if let (Some(profile), Some(i)) = (profiles.get_mut(&v.region), i) {
                profile[i] = Some(v.value);
            }
        }
        match comparison::similar(kreis, &features, &profiles, GROUP_SIZE) {
            Ok(group) => {
                return Ok((
                    Ok(GroupUsed::Computed(ComputedGroup { year: y, group })),
                    available,
                ));
            }
            Err(e) => {
                first_error.get_or_insert(format!("{e} (Jahr {y})"));
            }
        }
    }
    let group = Err(first_error.unwrap_or_else(|| format!("keine Strukturmerkmale für {year}")));
    Ok((group, available))
}

/// The structural indicators of a computed group with their names.
pub fn structure_indicators() -> Vec<Indicator> {
    let catalogue = indicators();
    structure()
        .iter()
        .filter_map(|f| catalogue.iter().find(|i| i.code == f.code).cloned())
        .collect()
}

/// One year of a Kreis against its references.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchmarkYear {
    pub year: i32,
    pub own: Option<f64>,
    pub land: Option<f64>,
    pub bund: Option<f64>,
    /// First quartile, median and third quartile of the group with the Kreis, and how many of
    /// them have a value that year.
    pub group: Option<(f64, f64, f64, usize)>,
}

/// A goal's indicator as the statistics publish it across regions: the Jobcenter's Kreis
/// against its Land, the Bund and its comparison group, year by year, and its place in the
/// latest year (`docs/comparisons.md`).
#[derive(Debug, Clone)]
pub struct Benchmark {
    /// The goal's own indicator and the published statistic it is compared as.
    pub goal_indicator: IndicatorCode,
    pub statistic: Indicator,
    pub kreis: Region,
    pub land: Option<Region>,
    pub bund: Option<Region>,
    pub group: Result<GroupUsed, String>,
    /// The group named in words (always shown).
    pub group_named: String,
    /// Oldest first.
    pub years: Vec<BenchmarkYear>,
    /// The latest year with the Kreis's value.
    pub year: i32,
    pub in_land: Option<Placement>,
    pub in_group: Option<Placement>,
    pub in_bund: Option<Placement>,
    pub attribution: &'static str,
}

impl Benchmark {
    /// As documents print it.
    pub fn text(&self) -> zielwerk_report::present::ComparisonText {
        zielwerk_report::present::ComparisonText {
            sentence: self.sentence_de(),
            group: self.group_named.clone(),
            attribution: self.attribution.to_owned(),
        }
    }

    /// The places in the latest year, in words (see [`placements_de`]).
    pub fn placements_de(&self) -> Vec<(String, String)> {
        placements_de(
            &self.statistic,
            self.land.as_ref(),
            [self.in_land, self.in_group, self.in_bund],
        )
    }

    /// One sentence for documents: "Leistungen für Unterkunft je Bedarfsgemeinschaft und Monat
    /// 2022: Mettmann 494,33 €, Rang 10 von 11 vergleichbaren Kreisen; niedriger ist besser;
    /// Median der Gruppe 452,08 €; Nordrhein-Westfalen 451,31 €, Bundesrepublik Deutschland
    /// 440,80 €."
    pub fn sentence_de(&self) -> String {
        let ind = &self.statistic;
        let latest = self.years.iter().find(|y| y.year == self.year);
        let mut s = format!(
            "{} {}: {} {}",
            ind.name,
            self.year,
            self.kreis.name,
            latest
                .and_then(|y| y.own)
                .map(|v| value_de(ind, v))
                .unwrap_or_else(|| "ohne Wert".into())
        );
        if let Some(p) = &self.in_group {
            s.push_str(&format!(
                ", {}; Median der Gruppe {}",
                p.words_de("vergleichbaren Kreisen"),
                value_de(ind, p.median)
            ));
        }
        let refs: Vec<String> = [
            (&self.land, latest.and_then(|y| y.land)),
            (&self.bund, latest.and_then(|y| y.bund)),
        ]
        .into_iter()
        .filter_map(|(r, v)| Some(format!("{} {}", r.as_ref()?.name, value_de(ind, v?))))
        .collect();
        if !refs.is_empty() {
            s.push_str(&format!("; {}", refs.join(", ")));
        }
        s.push('.');
        s
    }
}

/// The benchmarks of an agreement's indicators that name a published statistic
/// ([`Indicator::comparison`]), for the Kreis its Jobcenter covers; an indicator whose statistic
/// has no values for that Kreis gets none. Published figures only: anyone who reads the goal may
/// read these.
pub async fn benchmarks(
    store: &Store,
    agreement: &zielwerk_domain::Agreement,
) -> Result<BTreeMap<IndicatorCode, Benchmark>, AppError> {
    let mut out = BTreeMap::new();
    let wanted: Vec<(&IndicatorCode, &IndicatorCode)> = agreement
        .indicators
        .iter()
        .filter_map(|i| Some((&i.code, i.comparison.as_ref()?)))
        .collect();
    if wanted.is_empty() {
        return Ok(out);
    }
    let regions = store.regions().await?;
    let jobcenter: RegionId = (&agreement.jobcenter.ba_id).into();
    // A Jobcenter covering several Kreise has no single Kreis to compare: none is shown.
    let Some(kreis) =
        regions
            .iter()
            .find(|r| r.id == jobcenter)
            .and_then(|jc| match jc.covers.as_slice() {
                [one] => regions.iter().find(|r| r.id == *one),
                _ => None,
            })
    else {
        return Ok(out);
    };
    let land = regions
        .iter()
        .find(|r| Some(&r.id) == kreis.parent.as_ref())
        .cloned();
    let bund = regions
        .iter()
        .find(|r| r.kind() == RegionKind::Bund)
        .cloned();
    let catalogue = indicators();
    for (goal_indicator, code) in wanted {
        let statistic = catalogue
            .iter()
            .find(|i| i.code == *code)
            .cloned()
            .unwrap_or_else(|| {
                // A statistic the catalogue does not know (from another table of the same kind):
                // compared with the goal indicator's unit and direction.
                let own = agreement.indicator(goal_indicator);
                Indicator {
                    code: code.clone(),
                    name: code.to_string(),
                    description: String::new(),
                    unit: own.map_or(Unit::Count, |i| i.unit),
                    direction: own.map_or(zielwerk_domain::Direction::Neutral, |i| i.direction),
                    accumulation: zielwerk_domain::Accumulation::Stock,
                    formula: zielwerk_domain::Formula::Stored,
                    numerator_label: None,
                    denominator_label: None,
                    comparison: None,
                }
            });
        let periods = store.periods_across(code, PeriodKind::Year).await?;
        let values = values_by_year(store, code, &periods).await?;
        let Some(year) = values
            .get(&kreis.id)
            .and_then(|by| by.keys().next_back().copied())
        else {
            continue;
        };
        let (group, _) = comparison_group(store, &regions, &kreis.id, year, false).await?;
        let group_named = group_words_de(&group, kreis, &structure_indicators());
        let members: Vec<RegionId> = match &group {
            Ok(g) => g.with_region(&kreis.id),
            Err(_) => Vec::new(),
        };
        let at = |r: &RegionId, y: i32| values.get(r).and_then(|by| by.get(&y)).copied();
        let mut all_years: Vec<i32> = periods.iter().map(|p| p.end.year()).collect();
        all_years.sort_unstable();
        all_years.dedup();
        let years = all_years
            .iter()
            .map(|&y| {
                let mut of_group: Vec<f64> = members.iter().filter_map(|m| at(m, y)).collect();
                of_group.sort_by(f64::total_cmp);
                BenchmarkYear {
                    year: y,
                    own: at(&kreis.id, y),
                    land: land.as_ref().and_then(|l| at(&l.id, y)),
                    bund: bund.as_ref().and_then(|b| at(&b.id, y)),
                    group: (!of_group.is_empty()).then(|| {
                        (
                            comparison::quantile(&of_group, 0.25),
                            comparison::quantile(&of_group, 0.5),
                            comparison::quantile(&of_group, 0.75),
                            of_group.len(),
                        )
                    }),
                }
            })
            .collect();
        let direction = statistic.direction;
        let value = at(&kreis.id, year);
        let among = |set: &mut dyn Iterator<Item = &RegionId>| -> Option<Placement> {
            let vs: Vec<f64> = set.filter_map(|r| at(r, year)).collect();
            value.and_then(|v| comparison::place(v, &vs, direction))
        };
        let kreise = || regions.iter().filter(|r| r.kind() == RegionKind::Kreis);
        let in_land = among(&mut kreise().filter(|k| k.parent == kreis.parent).map(|k| &k.id));
        let in_bund = among(&mut kreise().map(|k| &k.id));
        let in_group = (!members.is_empty())
            .then(|| among(&mut members.iter()))
            .flatten();
        out.insert(
            goal_indicator.clone(),
            Benchmark {
                goal_indicator: goal_indicator.clone(),
                statistic,
                kreis: kreis.clone(),
                land: land.clone(),
                bund: bund.clone(),
                group,
                group_named,
                years,
                year,
                in_land,
                in_group,
                in_bund,
                attribution: INKAR_ATTRIBUTION,
            },
        );
    }
    Ok(out)
}

/// An assigned grouping as imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupingImported {
    pub name: String,
    pub regions: usize,
    pub groups: usize,
    pub sha256: String,
}

/// The longest name of a grouping.
pub const MAX_GROUPING_NAME: usize = 100;

/// Who may import an assigned grouping: as for published statistics, whoever may import values
/// for some Jobcenter (a grouping holds no one's internal figures, and every signed-in person
/// sees it).
pub fn may_import_grouping(p: &Principal) -> bool {
    p.may_anywhere(Action::ImportValues)
}

/// Reads an assigned grouping (`docs/comparisons.md`, e.g. the BA's SGB II Vergleichstypen) and
/// stores it as `name`, replacing a grouping of that name: all or nothing. A file refused is
/// `Ok(Err(refused))` with every problem at its row and column.
pub async fn import_grouping(
    store: &Store,
    p: &Principal,
    name: &str,
    file_name: &str,
    input: impl std::io::Read,
) -> Result<Result<GroupingImported, zielwerk_ingest::long_csv::Refused>, AppError> {
    if !may_import_grouping(p) {
        return Err(AppError::Forbidden(format!(
            "Dazu fehlt Ihnen die Berechtigung: {}.",
            Action::ImportValues.label_de()
        )));
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_GROUPING_NAME {
        return Err(invalid(
            "name",
            format!(
                "Name der Vergleichsgruppen: erwartet wird ein Name mit 1 bis {MAX_GROUPING_NAME} Zeichen, z. B. „SGB-II-Vergleichstypen 2024“"
            ),
        ));
    }
    let known: std::collections::HashSet<RegionId> = store
        .regions()
        .await?
        .into_iter()
        .filter(|r| r.kind() == RegionKind::Kreis)
        .map(|r| r.id)
        .collect();
    let grouping = match zielwerk_ingest::groups::read(file_name, input, &known) {
        Ok(g) => g,
        Err(refused) => return Ok(Err(refused)),
    };
    let rows: Vec<(RegionId, String, String)> = grouping
        .assignments
        .iter()
        .map(|a| (a.region.clone(), a.code.clone(), a.name.clone()))
        .collect();
    store
        .replace_grouping(name, file_name, &grouping.sha256, &rows)
        .await?;
    Ok(Ok(GroupingImported {
        name: name.to_owned(),
        regions: rows.len(),
        groups: grouping.sizes().len(),
        sha256: grouping.sha256,
    }))
}
