//! Published statistics across regions: the Länder and the Bund, a Land's (or the Bund's)
//! Kreise for one indicator and year, one Kreis against its Land, the Bund and its comparison
//! group. The page only translates; the rules and the figures are in `zielwerk_app::regions`.

use askama::Template;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use zielwerk_app::regions::{
    self, AreaView, GroupUsed, RegionView, Sort, change_de, group_de, value_de,
};
use zielwerk_domain::RegionKind;
use zielwerk_domain::format::number;

use super::{PageResult, html};
use crate::AppState;
use crate::auth::Session;
use crate::paths;

#[derive(Deserialize, Default)]
pub struct RegionQuery {
    #[serde(default)]
    kennzahl: String,
    #[serde(default)]
    jahr: String,
    #[serde(default)]
    sortierung: String,
    #[serde(default)]
    suche: String,
    #[serde(default)]
    gruppe: String,
}

impl RegionQuery {
    fn request(&self) -> regions::Request {
        let some = |s: &str| (!s.trim().is_empty()).then(|| s.to_owned());
        regions::Request {
            indicator: some(&self.kennzahl),
            year: some(&self.jahr),
            sort: some(&self.sortierung),
            filter: some(&self.suche),
            group: some(&self.gruppe),
        }
    }
}

#[derive(Template)]
#[template(path = "regions.html")]
struct IndexPage {
    lands: Vec<(String, String)>,
    bund: String,
}

/// The Länder and the Bund.
pub async fn index(State(state): State<AppState>, _session: Session) -> PageResult {
    let all = state.store.regions().await?;
    let lands = all
        .iter()
        .filter(|r| r.kind() == RegionKind::Land)
        .map(|r| (paths::Region::url(&r.id), r.name.clone()))
        .collect();
    html(&IndexPage {
        lands,
        bund: paths::Region::url(zielwerk_domain::RegionId::bund()),
    })
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

struct AreaRow {
    name: String,
    url: String,
    value: String,
    change: String,
    rank: String,
    warning: String,
    /// Name, link to the agreement (for who may read it), where its goals stand.
    jobcenter: Vec<(String, Option<String>, String)>,
}

#[derive(Template)]
#[template(path = "region_area.html")]
struct AreaPage {
    /// The Excel download of what the page shows.
    xlsx: String,
    title: String,
    path: String,
    indicators: Vec<Choice>,
    years: Vec<Choice>,
    sorts: Vec<Choice>,
    filter: String,
    caption: String,
    rows: Vec<AreaRow>,
    references: Vec<(String, String)>,
    spread: String,
    chart: String,
    /// Whether the chart marks the Kreise the search found.
    marked: bool,
    direction: &'static str,
    attribution: &'static str,
}

#[derive(Template)]
#[template(path = "region_kreis.html")]
struct KreisPage {
    title: String,
    path: String,
    land: Option<(String, String)>,
    indicators: Vec<Choice>,
    years: Vec<Choice>,
    value: String,
    warning: String,
    placements: Vec<(String, String)>,
    references: Vec<(String, String)>,
    group_named: String,
    members: Vec<(String, String, String, String, Vec<String>)>,
    /// Whether the group is computed (its table shows distances and differences).
    computed: bool,
    /// The other group, where there is a choice: address and link text.
    switch: Option<(String, String)>,
    structure: Vec<String>,
    chart: String,
    attribution: &'static str,
}

fn indicator_choices(selected: &str) -> Vec<Choice> {
    regions::indicators()
        .into_iter()
        .map(|i| Choice {
            selected: i.code.as_str() == selected,
            value: i.code.to_string(),
            label: i.name,
        })
        .collect()
}

fn year_choices(years: &[i32], selected: i32) -> Vec<Choice> {
    years
        .iter()
        .map(|y| Choice {
            value: y.to_string(),
            label: y.to_string(),
            selected: *y == selected,
        })
        .collect()
}

/// A Land, the Bund, or a Kreis.
pub async fn show(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Query(q): Query<RegionQuery>,
) -> PageResult {
    let p = &session.principal;
    let is_kreis =
        zielwerk_domain::RegionId::from_key(&id).is_ok_and(|r| r.kind() == RegionKind::Kreis);
    if is_kreis {
        let view = regions::region(&state.store, p, &id, &q.request()).await?;
        html(&kreis_page(&view))
    } else {
        let view = regions::area(&state.store, &state.assessments, p, &id, &q.request()).await?;
        html(&area_page(&view))
    }
}

/// A Land view (or the Bund's) as an Excel workbook, as the page shows it.
pub async fn xlsx(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Query(q): Query<RegionQuery>,
) -> PageResult {
    let view = regions::area(
        &state.store,
        &state.assessments,
        &session.principal,
        &id,
        &q.request(),
    )
    .await?;
    let bytes = regions::area_xlsx(&view)?;
    let name = format!(
        "regionen-{}-{}-{}.xlsx",
        view.area.id, view.indicator.code, view.year
    );
    Ok(super::reports::download(
        zielwerk_app::documents::XLSX,
        &name,
        bytes,
    ))
}

/// The Land's and the Bund's values as dashed lines of a strip plot, and in words for its
/// description ("Nordrhein-Westfalen 438,14 €, Bundesrepublik Deutschland 423,46 €").
fn chart_references(
    ind: &zielwerk_domain::Indicator,
    references: &[(zielwerk_domain::Region, Option<f64>)],
) -> (Vec<zielwerk_charts::Reference>, String) {
    let lines: Vec<zielwerk_charts::Reference> = references
        .iter()
        .filter_map(|(r, x)| {
            x.map(|value| zielwerk_charts::Reference {
                label: r.name.clone(),
                value,
            })
        })
        .collect();
    let words = lines
        .iter()
        .map(|r| format!("{} {}", r.label, value_de(ind, r.value)))
        .collect::<Vec<_>>()
        .join(", ");
    (lines, words)
}

/// How many Kreise the search may find for the chart to name them.
const MARKED_AT_MOST: usize = 5;

fn area_page(v: &AreaView) -> AreaPage {
    let ind = &v.indicator;
    let fmt = |x: Option<f64>| x.map(|x| value_de(ind, x)).unwrap_or_else(|| "–".into());
    let of_area = if v.area.kind() == RegionKind::Bund {
        "in Deutschland".to_owned()
    } else {
        format!("in {}", v.area.name)
    };
    let rows = v
        .rows
        .iter()
        .map(|r| AreaRow {
            name: r.region.name.clone(),
            url: format!(
                "{}?kennzahl={}&jahr={}",
                paths::Region::url(&r.region.id),
                ind.code,
                v.year
            ),
            value: fmt(r.value),
            change: r
                .change
                .map(|c| change_de(ind, c))
                .unwrap_or_else(|| "–".into()),
            rank: r.rank.map(|x| x.to_string()).unwrap_or_else(|| "–".into()),
            warning: r.warning.clone().unwrap_or_default(),
            jobcenter: r
                .jobcenter
                .iter()
                .map(|j| {
                    (
                        j.region.name.clone(),
                        j.agreement.as_ref().map(paths::Agreement::url),
                        match (&j.standing, j.pending) {
                            (Some(s), _) => s.words_de(),
                            (None, true) => {
                                "Stand wird noch berechnet – bitte die Seite gleich neu laden"
                                    .to_owned()
                            }
                            (None, false) => String::new(),
                        },
                    )
                })
                .collect(),
        })
        .collect();
    // Every Kreis in the chart, whatever the filter; the ones it finds are marked with their
    // names when they are few enough to label.
    let found = v.all.iter().filter(|d| d.2).count();
    let dots = v
        .all
        .iter()
        .map(|(name, value, marked)| zielwerk_charts::Dot {
            label: name.clone(),
            value: *value,
            marked: *marked && found <= MARKED_AT_MOST,
        })
        .collect::<Vec<_>>();
    let with_value = dots.len();
    let (references, references_de) = chart_references(ind, &v.references);
    let chart = zielwerk_charts::StripPlot {
        id: "verteilung".into(),
        title: format!("{}, {} {}", ind.name, v.year, of_area),
        description: format!(
            "Streudiagramm: jeder Punkt ein Kreis {of_area} ({} mit Wert), gestrichelt {}. Die Zahlen stehen in der Tabelle.",
            with_value,
            references_de
        ),
        unit: unit_de(ind),
        decimals: 2,
        dots,
        references,
    }
    .render();
    let query = format!(
        "kennzahl={}&jahr={}&sortierung={}&suche={}",
        ind.code,
        v.year,
        v.sort.as_str(),
        percent_encode(&v.filter)
    );
    AreaPage {
        xlsx: format!("{}?{query}", paths::RegionXlsx::url(&v.area.id)),
        title: format!("Kreise {of_area}: {}", ind.name),
        path: paths::Region::url(&v.area.id),
        indicators: indicator_choices(ind.code.as_str()),
        years: year_choices(&v.years, v.year),
        sorts: Sort::ALL
            .iter()
            .map(|s| Choice {
                value: s.as_str().into(),
                label: s.label_de().into(),
                selected: *s == v.sort,
            })
            .collect(),
        filter: v.filter.clone(),
        caption: format!(
            "{}, {}: {} {}{}",
            ind.name,
            v.year,
            number(v.rows.len() as f64, 0),
            if v.rows.len() == 1 { "Kreis" } else { "Kreise" },
            if v.rows.len() < v.total {
                format!(" von {} (Suche „{}“)", v.total, v.filter)
            } else {
                String::new()
            }
        ),
        rows,
        references: v
            .references
            .iter()
            .map(|(r, x)| (r.name.clone(), fmt(*x)))
            .collect(),
        spread: v
            .spread
            .map(|(q1, m, q3)| {
                format!(
                    "Median der Kreise {}; die mittlere Hälfte liegt zwischen {} und {}.",
                    value_de(ind, m),
                    value_de(ind, q1),
                    value_de(ind, q3)
                )
            })
            .unwrap_or_default(),
        chart,
        marked: found > 0 && found <= MARKED_AT_MOST,
        direction: direction_de(ind.direction),
        attribution: v.attribution,
    }
}

/// A form value in a query string.
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn unit_de(ind: &zielwerk_domain::Indicator) -> String {
    match ind.unit {
        zielwerk_domain::Unit::Euro => "EUR".into(),
        zielwerk_domain::Unit::Percent => "Prozent".into(),
        _ => String::new(),
    }
}

fn direction_de(d: zielwerk_domain::Direction) -> &'static str {
    match d {
        zielwerk_domain::Direction::Lower => {
            "Rang 1 ist der niedrigste Wert (niedriger ist besser)."
        }
        zielwerk_domain::Direction::Higher => "Rang 1 ist der höchste Wert (höher ist besser).",
        zielwerk_domain::Direction::Neutral => {
            "Rang 1 ist der niedrigste Wert; die Kennzahl hat keine bessere Richtung."
        }
    }
}

fn kreis_page(v: &RegionView) -> KreisPage {
    let ind = &v.indicator;
    let fmt = |x: Option<f64>| x.map(|x| value_de(ind, x)).unwrap_or_else(|| "–".into());
    let placements =
        regions::placements_de(ind, v.land.as_ref(), [v.in_land, v.in_group, v.in_bund]);
    let link = |r: &zielwerk_domain::Region| {
        format!(
            "{}?kennzahl={}&jahr={}",
            paths::Region::url(&r.id),
            ind.code,
            v.year
        )
    };
    let members = match &v.group {
        Ok(GroupUsed::Computed(g)) => g
            .members
            .iter()
            .zip(&v.members)
            .map(|(m, (r, value))| {
                (
                    r.name.clone(),
                    link(r),
                    number(m.distance, 2),
                    fmt(*value),
                    m.differences
                        .iter()
                        .map(|d| zielwerk_domain::format::signed(*d, 2))
                        .collect(),
                )
            })
            .collect(),
        Ok(GroupUsed::Assigned(_)) => v
            .members
            .iter()
            .map(|(r, value)| {
                (
                    r.name.clone(),
                    link(r),
                    String::new(),
                    fmt(*value),
                    Vec::new(),
                )
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    let computed = matches!(v.group, Ok(GroupUsed::Computed(_)));
    let switch = v.assigned_available.then(|| {
        let here = link(&v.region);
        if computed {
            (here, "Zugeordnete Vergleichsgruppe anzeigen".to_owned())
        } else {
            (
                format!("{here}&gruppe=berechnet"),
                "Berechnete Vergleichsgruppe (ähnlichste Kreise) anzeigen".to_owned(),
            )
        }
    });
    let mut dots: Vec<zielwerk_charts::Dot> = v
        .members
        .iter()
        .filter_map(|(r, x)| {
            x.map(|value| zielwerk_charts::Dot {
                label: r.name.clone(),
                value,
                marked: false,
            })
        })
        .collect();
    if let Some(value) = v.value {
        dots.push(zielwerk_charts::Dot {
            label: v.region.name.clone(),
            value,
            marked: true,
        });
    }
    let (references, references_de) = chart_references(ind, &v.references);
    let chart = zielwerk_charts::StripPlot {
        id: "gruppe".into(),
        title: format!("{}, {}: {} und seine Vergleichsgruppe", ind.name, v.year, v.region.name),
        description: format!(
            "Streudiagramm: {} (Raute) {}, die {} Kreise der Vergleichsgruppe als Punkte, gestrichelt {}. Die Zahlen stehen in den Tabellen.",
            v.region.name,
            fmt(v.value),
            v.members.len(),
            references_de
        ),
        unit: unit_de(ind),
        decimals: 2,
        dots,
        references,
    }
    .render();
    KreisPage {
        title: format!("{}: {}", v.region.name, ind.name),
        path: paths::Region::url(&v.region.id),
        land: v.land.as_ref().map(|l| {
            (
                format!(
                    "{}?kennzahl={}&jahr={}",
                    paths::Region::url(&l.id),
                    ind.code,
                    v.year
                ),
                l.name.clone(),
            )
        }),
        indicators: indicator_choices(ind.code.as_str()),
        years: year_choices(&v.years, v.year),
        value: fmt(v.value),
        warning: v.warning.clone().unwrap_or_default(),
        placements,
        references: v
            .references
            .iter()
            .map(|(r, x)| (r.name.clone(), fmt(*x)))
            .collect(),
        group_named: group_de(v),
        members,
        computed,
        switch,
        structure: v.structure.iter().map(|i| i.name.clone()).collect(),
        chart,
        attribution: v.attribution,
    }
}

/// A goal's comparison with other Kreise (goal page): the places in the latest year, the group
/// named, the chart of the group over the years and its table.
pub struct ComparisonSection {
    pub heading: String,
    /// The latest year with the Kreis's value: the year of the places.
    pub year: i32,
    pub group_named: String,
    pub placements: Vec<(String, String)>,
    pub chart: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub link: String,
    pub attribution: &'static str,
}

pub fn comparison_section(b: &regions::Benchmark) -> ComparisonSection {
    let ind = &b.statistic;
    let fmt = |x: Option<f64>| x.map(|x| value_de(ind, x)).unwrap_or_else(|| "–".into());
    let short = b
        .group
        .as_ref()
        .map(GroupUsed::short_de)
        .unwrap_or_else(|_| "Vergleichsgruppe".into());
    let references: Vec<zielwerk_charts::YearLine> = [
        (
            &b.land,
            (|y| y.land) as fn(&regions::BenchmarkYear) -> Option<f64>,
        ),
        (&b.bund, |y| y.bund),
    ]
    .into_iter()
    .filter_map(|(region, pick)| {
        Some(zielwerk_charts::YearLine {
            label: region.as_ref()?.name.clone(),
            points: b
                .years
                .iter()
                .filter_map(|y| Some((y.year, pick(y)?)))
                .collect(),
        })
    })
    .collect();
    let first = b.years.first().map_or(b.year, |y| y.year);
    let chart = zielwerk_charts::GroupBandChart {
        id: "vergleich".into(),
        title: format!(
            "{}: {} und die Vergleichsgruppe {}–{}",
            ind.name, b.kreis.name, first, b.year
        ),
        description: format!(
            "Liniendiagramm der Jahreswerte {first} bis {}: {} als durchgezogene Linie mit Punkten, der Median der Vergleichsgruppe gestrichelt mit der mittleren Hälfte der Gruppe als Fläche, {} gepunktet. Die Zahlen stehen in der Tabelle darunter.",
            b.year,
            b.kreis.name,
            references
                .iter()
                .map(|r| r.label.clone())
                .collect::<Vec<_>>()
                .join(" und ")
        ),
        unit: unit_de(ind),
        decimals: 2,
        own: zielwerk_charts::YearLine {
            label: b.kreis.name.clone(),
            points: b
                .years
                .iter()
                .filter_map(|y| Some((y.year, y.own?)))
                .collect(),
        },
        group: b
            .years
            .iter()
            .filter_map(|y| y.group.map(|(q1, m, q3, _)| (y.year, q1, m, q3)))
            .collect(),
        group_label: short.clone(),
        references,
    }
    .render();
    let mut header = vec![
        "Jahr".to_owned(),
        b.kreis.name.clone(),
        format!("{short}: Median"),
        "mittlere Hälfte".to_owned(),
    ];
    header.extend(b.land.iter().chain(&b.bund).map(|r| r.name.clone()));
    let rows = b
        .years
        .iter()
        .rev()
        .map(|y| {
            let mut row = vec![
                y.year.to_string(),
                fmt(y.own),
                fmt(y.group.map(|g| g.1)),
                y.group
                    .map(|(q1, _, q3, n)| {
                        format!(
                            "{} bis {} ({n} Kreise)",
                            value_de(ind, q1),
                            value_de(ind, q3)
                        )
                    })
                    .unwrap_or_else(|| "–".into()),
            ];
            if b.land.is_some() {
                row.push(fmt(y.land));
            }
            if b.bund.is_some() {
                row.push(fmt(y.bund));
            }
            row
        })
        .collect();
    ComparisonSection {
        heading: format!("Im Vergleich mit anderen Kreisen: {}", ind.name),
        year: b.year,
        group_named: b.group_named.clone(),
        placements: b.placements_de(),
        chart,
        header,
        rows,
        link: format!(
            "{}?kennzahl={}&jahr={}",
            paths::Region::url(&b.kreis.id),
            ind.code,
            b.year
        ),
        attribution: b.attribution,
    }
}
