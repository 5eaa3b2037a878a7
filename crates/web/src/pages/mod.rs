//! Page handlers, one function per page, with the template each renders.

pub mod account;
pub mod drafting;
pub mod elements;
pub mod entry;
pub mod import;
pub mod meetings;
pub mod oparl;
pub mod regions;
pub mod reports;
pub mod tokens;
pub mod trust;
pub mod users;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{Uri, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use zielwerk_domain::{
    Action, Agreement, AgreementKey, AreaKind, Key, Origin, Target, Unit, YearMonth,
};
use zielwerk_engine::{GoalState, Status, default_as_of};
use zielwerk_store::{AgreementSummary, CurrentValue};

use crate::AppState;
use crate::auth::Session;
use crate::error::WebError;
use zielwerk_report::present::{self as view, Provenance, value_text};

type PageResult = Result<Response, WebError>;

fn html<T: Template>(t: &T) -> PageResult {
    Ok(Html(t.render()?).into_response())
}

/// Serves the page for `uri` from the cache if the data has not changed since it was rendered;
/// otherwise renders it with `render` (given the data version just read) and keeps it, compressed
/// once. `render` says whether the
/// page rests on the current data: one that shows the last assessment while a newer one is
/// computed is not kept. Errors are never cached.
async fn cached<F, Fut, T>(
    state: &AppState,
    uri: &Uri,
    headers: &axum::http::HeaderMap,
    render: F,
) -> PageResult
where
    F: FnOnce(i64) -> Fut,
    Fut: std::future::Future<Output = Result<(T, bool), WebError>>,
    T: Template,
{
    // Pages carry the session's CSRF token and what its roles may do: cached per session.
    let key = format!("{} {uri}", crate::auth::session_key());
    let version = state.store.data_version().await?;
    let page = match state.pages.get(&key, version) {
        Some(page) => page,
        None => {
            let (rendered, keep) = render(version).await?;
            let body = Bytes::from(rendered.render()?);
            let page = blocking(move || Ok::<_, WebError>(crate::cache::Page::new(body))).await?;
            if keep {
                state.pages.put(key, version, page.clone());
            }
            page
        }
    };
    Ok(answer(page, accepts_gzip(headers)))
}

/// A kept page as a response: the gzip body for a client that accepts it.
fn answer(page: crate::cache::Page, gzip: bool) -> Response {
    let mut r = if gzip && !page.gzip.is_empty() {
        let mut r = Html(page.gzip).into_response();
        r.headers_mut().insert(
            header::CONTENT_ENCODING,
            axum::http::HeaderValue::from_static("gzip"),
        );
        r
    } else {
        Html(page.body).into_response()
    };
    r.headers_mut().insert(
        header::VARY,
        axum::http::HeaderValue::from_static("accept-encoding"),
    );
    r
}

/// Whether `Accept-Encoding` allows gzip (`gzip` or `*` without `q=0`).
fn accepts_gzip(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or_default().to_ascii_lowercase();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (coding == "gzip" || coding == "*") && !refused
        })
}

pub(crate) fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .unwrap_or_default()
}

/// Parses a date field (ISO from date inputs, or TT.MM.JJJJ typed by hand).
pub(crate) fn date_field(label: &str, raw: &str) -> Result<chrono::NaiveDate, String> {
    let raw = raw.trim();
    chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .or_else(|_| chrono::NaiveDate::parse_from_str(raw, "%d.%m.%Y"))
        .map_err(|_| format!("Feld „{label}“: „{raw}“ ist kein Datum (erwartet TT.MM.JJJJ)"))
}

/// The agreement id of a URL, or 404.
pub(crate) fn agreement_key(id: &str) -> Result<AgreementKey, WebError> {
    id.parse()
        .map_err(|_| WebError::NotFound(format!("Die Vereinbarung „{id}“ gibt es nicht.")))
}

/// The agreement id of a URL, for a user who may do `action` with its Jobcenter's data; 404 for
/// ids of Jobcenter the user may not see (the same answer as for ids that do not exist).
pub(crate) fn agreement_for(
    session: &Session,
    id: &str,
    action: Action,
) -> Result<AgreementKey, WebError> {
    let key = agreement_key(id)?;
    session.require(&key.jobcenter, action, || {
        format!("Die Vereinbarung „{id}“ gibt es nicht.")
    })?;
    Ok(key)
}

/// A stored agreement without its values, or 404.
pub(crate) async fn stored_agreement(
    state: &AppState,
    key: &AgreementKey,
) -> Result<Agreement, WebError> {
    state
        .store
        .agreement(key)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("Die Vereinbarung „{key}“ gibt es nicht.")))
}

/// The server's date, for documents and due dates.
pub(crate) fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

pub(crate) async fn load(
    state: &AppState,
    session: &Session,
    id: &str,
) -> Result<(Agreement, Vec<CurrentValue>), WebError> {
    let key = agreement_for(session, id, Action::ReadInternal)?;
    let l = zielwerk_app::documents::load(&state.store, &key).await?;
    Ok((l.agreement, l.values))
}

#[derive(Deserialize)]
pub struct StandQuery {
    stand: Option<String>,
}

fn as_of(
    agreement: &Agreement,
    values: &[CurrentValue],
    q: &StandQuery,
) -> Result<YearMonth, WebError> {
    match q.stand.as_deref().filter(|s| !s.is_empty()) {
        None => Ok(default_as_of(
            agreement,
            values.iter().map(|v| v.observation.month),
        )),
        Some(s) => {
            let m: YearMonth = s
                .parse()
                .map_err(|e| WebError::BadRequest(format!("Parameter „stand“: {e}")))?;
            if m.year() != agreement.year {
                return Err(WebError::BadRequest(format!(
                    "Parameter „stand“: {m} liegt nicht im Vereinbarungsjahr {}",
                    agreement.year
                )));
            }
            Ok(m)
        }
    }
}

// ----- Start page ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage {
    agreements: Vec<IndexRow>,
    /// Agreements whose audit trail the user may read but whose content they may not (the
    /// administration): the way to the audit trail.
    audits: Vec<IndexRow>,
    published: Vec<PublishedRow>,
    may_manage_users: bool,
    /// Aufsicht somewhere: the region pages show where the goals stand.
    oversees: bool,
    /// The user's roles in words, for the greeting.
    roles: String,
}

/// An agreement version on the start page, with where it stands among its versions.
struct IndexRow {
    a: AgreementSummary,
    standing: String,
}

/// A published Vorlage with its files, for readers.
struct PublishedRow {
    number: String,
    title: String,
    jobcenter: String,
    published: String,
    files: Vec<(String, String)>,
}

/// The agreements the user may work with, and the published Vorlagen they may read. Nothing of
/// another Jobcenter appears.
pub async fn index(State(state): State<AppState>, session: Session) -> PageResult {
    let p = &session.principal;
    let may = |jc: &zielwerk_domain::BaId, action| p.may(jc, action);
    let all = state.store.agreements().await?;
    let row = |a: &AgreementSummary| {
        let versions: Vec<(u32, zielwerk_domain::AgreementStatus)> = all
            .iter()
            .filter(|b| b.jobcenter == a.jobcenter && b.year == a.year)
            .map(|b| (b.version, b.status))
            .collect();
        IndexRow {
            a: a.clone(),
            standing: zielwerk_domain::version_standing(a.version, a.status, &versions),
        }
    };
    let agreements = all
        .iter()
        .filter(|a| may(&a.jobcenter, Action::ReadInternal))
        .map(row)
        .collect();
    let audits = all
        .iter()
        .filter(|a| {
            !may(&a.jobcenter, Action::ReadInternal) && may(&a.jobcenter, Action::ReadAudit)
        })
        .map(row)
        .collect();
    let mut published = Vec::new();
    for v in state.store.published_vorlagen().await? {
        if !may(&v.jobcenter, Action::ReadPublished) {
            continue;
        }
        let files = state
            .store
            .vorlage_files(&v.id)
            .await?
            .into_iter()
            .map(|f| {
                (
                    format!("/oparl/v1/files/{}/{}/download", f.vorlage_id, f.name),
                    f.title,
                )
            })
            .collect();
        published.push(PublishedRow {
            number: v.header.number.clone(),
            title: v.header.title.clone(),
            jobcenter: v.jobcenter.to_string(),
            published: view::date_de(v.header.date),
            files,
        });
    }
    let mut roles: Vec<String> = p
        .grants
        .iter()
        .map(|g| match &g.scope {
            zielwerk_domain::Scope::All => format!("{} (alle Jobcenter)", g.role.label_de()),
            zielwerk_domain::Scope::Jobcenter(j) => format!("{} ({j})", g.role.label_de()),
        })
        .collect();
    roles.sort();
    roles.dedup();
    html(&IndexPage {
        agreements,
        audits,
        published,
        may_manage_users: p.may_anywhere(Action::ManageUsers),
        oversees: p
            .grants
            .iter()
            .any(|g| g.role == zielwerk_domain::Role::Aufsicht),
        roles: roles.join(", "),
    })
}

// ----- Overview -----------------------------------------------------------------------------

struct GoalRow {
    url: String,
    title: String,
    responsible: &'static str,
    origin: &'static str,
    indicator: String,
    value: String,
    month: String,
    target_to_date: String,
    annual_target: String,
    status_label: &'static str,
    status_css: &'static str,
    status_icon: &'static str,
    reason: String,
    spark: String,
    /// Year-end forecast and the probability of reaching the target, or why there is none.
    forecast: String,
    probability: String,
}

struct AreaBlock {
    id: String,
    title: String,
    kind: &'static str,
    description: String,
    goals: Vec<GoalRow>,
}

struct Counts {
    on_track: usize,
    at_risk: usize,
    missed: usize,
    no_data: usize,
}

pub(crate) struct Head {
    id: String,
    title: String,
    year: i32,
    version: u32,
    status: &'static str,
    jobcenter: String,
    ba_id: String,
    parties: Vec<(String, String, String)>,
    demo: bool,
    sources: Vec<String>,
    /// When the assessment shown was computed, for pages that show one.
    computed: Option<Computed>,
}

/// When the assessment a page shows was computed, and whether newer data is being computed.
pub(crate) struct Computed {
    at: String,
    current: bool,
}

impl Computed {
    pub(crate) fn of(read: &zielwerk_app::assessments::Read) -> Self {
        Self {
            at: read
                .snapshot
                .computed_at
                .with_timezone(&chrono::Local)
                .format("%d.%m.%Y um %H:%M Uhr")
                .to_string(),
            current: read.current,
        }
    }
}

pub(crate) fn head(a: &Agreement, values: &[CurrentValue]) -> Head {
    let (demo, sources) = view::sources(values);
    Head {
        id: a.key().to_string(),
        title: a.title.clone(),
        year: a.year,
        version: a.version,
        status: a.status.label_de(),
        jobcenter: a.jobcenter.name.clone(),
        ba_id: a.jobcenter.ba_id.to_string(),
        parties: a
            .parties
            .iter()
            .map(|p| {
                (
                    p.role.label_de().to_owned(),
                    p.name.clone(),
                    p.signed_on
                        .map(|d| format!("unterzeichnet am {}", view::date_de(d)))
                        .unwrap_or_else(|| "nicht unterzeichnet".into()),
                )
            })
            .collect(),
        demo,
        sources,
        computed: None,
    }
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    head: Head,
    as_of: String,
    months: Vec<(String, String, bool)>,
    counts: Counts,
    areas: Vec<AreaBlock>,
    /// Later versions (Nachträge) of this agreement: id, version, status.
    later: Vec<(String, u32, &'static str)>,
    /// Adding a goal, for a party that may while the agreement is not signed.
    add_goal_url: Option<String>,
}

fn goal_row(a: &Agreement, g: &GoalState<'_>, as_of: YearMonth) -> GoalRow {
    let asm = &g.assessment;
    let ind = g.indicator;
    let annual_target = view::target_text(g.goal, ind);
    let (forecast, probability) =
        view::year_end_columns(g, as_of, "Wahrscheinlichkeit, das Ziel zu erreichen: ");
    GoalRow {
        url: crate::paths::Goal::url(a.key(), &g.goal.key),
        title: g.goal.title.clone(),
        responsible: g.goal.responsible.label_de(),
        origin: g.goal.origin.label_de(),
        indicator: ind.name.clone(),
        value: asm
            .actual
            .map(|v| value_text(ind, v))
            .unwrap_or_else(|| "–".into()),
        month: asm.month.map(|m| m.german_long()).unwrap_or_default(),
        target_to_date: view::target_to_date_text(g),
        annual_target,
        status_label: asm.status.label_de(),
        status_css: asm.status.css(),
        status_icon: view::status_icon(asm.status),
        reason: asm.reason.clone(),
        spark: view::spark(g, a.year),
        forecast,
        probability,
    }
}

pub async fn overview(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Query(q): Query<StandQuery>,
    uri: Uri,
    headers: axum::http::HeaderMap,
) -> PageResult {
    cached(&state, &uri, &headers, |version| {
        overview_page(&state, &session, id, q, version)
    })
    .await
}

async fn overview_page(
    state: &AppState,
    session: &Session,
    id: String,
    q: StandQuery,
    version: i64,
) -> Result<(OverviewPage, bool), WebError> {
    let key = agreement_for(session, &id, Action::ReadInternal)?;
    let read = state
        .assessments
        .read_at(&key, version, state.time_limits.assessment)
        .await?;
    let later = read
        .snapshot
        .later
        .iter()
        .map(|a| (a.key.to_string(), a.version, a.status.label_de()))
        .collect();
    let snapshot = read.snapshot.clone();
    let add_goal_url = (!zielwerk_app::agreements::editable_parties(
        &session.principal,
        &read.snapshot.loaded.agreement,
    )
    .is_empty())
    .then(|| crate::paths::AddGoal::url(&key));
    let mut page = blocking(move || overview_model(&snapshot, q)).await?;
    page.later = later;
    page.add_goal_url = add_goal_url;
    page.head.computed = Some(Computed::of(&read));
    Ok((page, read.current))
}

/// CPU work on the application core's blocking pool (one turn per core, see
/// `zielwerk_app::compute`), for models that fail with a page's error.
pub(crate) async fn blocking<T: Send + 'static, E: Into<WebError> + Send + 'static>(
    work: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, WebError> {
    zielwerk_app::compute::blocking(move || {
        Ok::<_, zielwerk_app::AppError>(work().map_err(Into::into))
    })
    .await?
}

fn overview_model(
    snapshot: &zielwerk_app::assessments::Snapshot,
    q: StandQuery,
) -> Result<OverviewPage, WebError> {
    let (agreement, values) = (&snapshot.loaded.agreement, &snapshot.loaded.values);
    let as_of = as_of(agreement, values, &q)?;
    let st = snapshot.at(as_of);
    let count = |s: Status| st.goals.iter().filter(|g| g.assessment.status == s).count();
    let areas = agreement
        .areas
        .iter()
        .map(|area| AreaBlock {
            id: format!("bereich-{}", area.key),
            title: area.title.clone(),
            kind: area.kind.label_de(),
            description: area.description.clone(),
            goals: st
                .goals
                .iter()
                .filter(|g| g.goal.area == area.key)
                .map(|g| goal_row(agreement, g, as_of))
                .collect(),
        })
        .collect();
    let (jan, dec) =
        YearMonth::year_bounds(agreement.year).map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(OverviewPage {
        head: head(agreement, values),
        as_of: as_of.german_long(),
        months: jan
            .through(dec)
            .map(|m| (m.to_string(), m.german_long(), m == as_of))
            .collect(),
        counts: Counts {
            on_track: count(Status::OnTrack),
            at_risk: count(Status::AtRisk),
            missed: count(Status::Missed),
            no_data: count(Status::NoData),
        },
        areas,
        later: Vec::new(),
        add_goal_url: None,
    })
}

// ----- Goal page ----------------------------------------------------------------------------

struct ValueRow {
    month: String,
    value: String,
    numerator: String,
    denominator: String,
    target: String,
    status: &'static str,
    datenstand: String,
    source: String,
    /// Numbers of the comments on this month's value, e.g. "Anm. 1".
    comment: String,
    /// Identities the month's published value (or one it is computed from) violates.
    warnings: Vec<String>,
}

struct MeasureRow {
    title: String,
    description: String,
    expected_effect: String,
    responsible: &'static str,
    period: String,
}

#[derive(Template)]
#[template(path = "goal.html")]
struct GoalPage {
    head: Head,
    as_of: String,
    area: String,
    title: String,
    description: String,
    responsible: &'static str,
    origin: &'static str,
    indicator: String,
    indicator_code: String,
    unit: &'static str,
    direction: &'static str,
    accumulation: &'static str,
    formula: String,
    target_kind: &'static str,
    target: String,
    tolerance: String,
    status_label: &'static str,
    status_css: &'static str,
    status_icon: &'static str,
    reason: String,
    chart: String,
    has_forecast_band: bool,
    /// The chart draws months from own data (as squares).
    has_own: bool,
    /// Forecast sentence and, if forecast, the probability of reaching the target.
    forecast: Option<(String, Option<String>)>,
    milestone: bool,
    change: Option<view::ChangeView>,
    numerator_label: String,
    denominator_label: String,
    has_components: bool,
    rows: Vec<ValueRow>,
    measures: Vec<MeasureRow>,
    history: Vec<HistoryRow>,
    /// Months where the figure from the Jobcenter's own records stands beside the official one.
    own_rows: Vec<OwnRow>,
    comments: Vec<view::NumberedComment>,
    /// Months of the agreement year up to the reporting month, latest first, for the comment form.
    comment_months: Vec<(String, String)>,
    comment_url: String,
    /// The goal editor, for the party responsible while the agreement is not signed.
    edit_url: Option<String>,
    /// The goal's audit trail, for those who may read it.
    audit_url: Option<String>,
    /// Entering a value by hand, for those who may import values of this Jobcenter.
    entry_url: Option<String>,
    /// Whether the user may comment on values.
    may_comment: bool,
    /// The Kreis among Land, Bund and comparison group, where the indicator names a published
    /// statistic.
    comparison: Option<regions::ComparisonSection>,
}

impl GoalPage {
    /// The links under the heading: editing, entering a value, the trail; those the user may use.
    fn goal_links(&self) -> Vec<(&str, &'static str)> {
        [
            (&self.edit_url, "Ziel bearbeiten"),
            (&self.entry_url, "Wert von Hand erfassen"),
            (&self.audit_url, "Änderungsprotokoll dieses Ziels"),
        ]
        .into_iter()
        .filter_map(|(u, label)| Some((u.as_deref()?, label)))
        .collect()
    }
}

/// An earlier revision of a value.
/// The goal's figure of one month from own records beside the official one.
struct OwnRow {
    month: String,
    own: String,
    official: String,
    difference: String,
}

/// A difference in the indicator's unit, with its sign (percentage points for a percentage).
fn difference_text(ind: &zielwerk_domain::Indicator, d: f64) -> String {
    let sign = if d > 0.0 {
        "+"
    } else if d < 0.0 {
        "−"
    } else {
        "±"
    };
    let body = match ind.unit {
        Unit::Percent => format!(
            "{}\u{a0}Prozentpunkte",
            zielwerk_domain::format::number(d.abs(), 1)
        ),
        _ => value_text(ind, d.abs()),
    };
    format!("{sign}{body}")
}

struct HistoryRow {
    month: String,
    indicator: String,
    value: String,
    status: &'static str,
    datenstand: String,
    source: String,
}

pub async fn goal(
    State(state): State<AppState>,
    session: Session,
    Path((id, goal_key)): Path<(String, String)>,
    Query(q): Query<StandQuery>,
    uri: Uri,
    headers: axum::http::HeaderMap,
) -> PageResult {
    cached(&state, &uri, &headers, |version| {
        goal_page(&state, &session, id, goal_key, q, version)
    })
    .await
}

async fn goal_page(
    state: &AppState,
    session: &Session,
    id: String,
    goal_key: String,
    q: StandQuery,
    version: i64,
) -> Result<(GoalPage, bool), WebError> {
    let key = agreement_for(session, &id, Action::ReadInternal)?;
    let read = state
        .assessments
        .read_at(&key, version, state.time_limits.assessment)
        .await?;
    let principal = session.principal.clone();
    let snapshot = read.snapshot.clone();
    let mut page = blocking(move || goal_model(&snapshot, goal_key, q, principal)).await?;
    page.head.computed = Some(Computed::of(&read));
    Ok((page, read.current))
}

fn goal_model(
    snapshot: &zielwerk_app::assessments::Snapshot,
    goal_key: String,
    q: StandQuery,
    principal: zielwerk_domain::Principal,
) -> Result<GoalPage, WebError> {
    let (agreement, values, comments) = (
        &snapshot.loaded.agreement,
        &snapshot.loaded.values,
        &snapshot.loaded.comments,
    );
    let missing = || {
        WebError::NotFound(format!(
            "Das Ziel „{goal_key}“ gibt es in dieser Vereinbarung nicht."
        ))
    };
    let key: Key = goal_key.parse().map_err(|_| missing())?;
    let as_of = as_of(agreement, values, &q)?;
    let st = snapshot.at(as_of);
    let g = st
        .goals
        .iter()
        .find(|g| g.goal.key == key)
        .ok_or_else(missing)?;
    let ind = g.indicator;
    let inputs = agreement.stored_inputs(&ind.code);
    // The identity warnings of the goal's value and of the stored values it is computed from,
    // by month; another indicator's warning names it.
    let mut warnings: std::collections::BTreeMap<YearMonth, Vec<String>> = Default::default();
    for w in &snapshot.loaded.warnings {
        if w.period.kind == zielwerk_domain::PeriodKind::Month && inputs.contains(&&w.indicator) {
            warnings
                .entry(w.period.end)
                .or_default()
                .push(if w.indicator == ind.code {
                    w.message.clone()
                } else {
                    format!("{}: {}", w.indicator, w.message)
                });
        }
    }
    let provenance = Provenance::new(agreement, values);
    let notes = view::goal_comments(g, comments, agreement.year, as_of, true);
    let targets: std::collections::BTreeMap<YearMonth, f64> =
        g.target_path.iter().copied().collect();
    let ytd: std::collections::BTreeMap<YearMonth, f64> =
        g.year_to_date(agreement.year).into_iter().collect();
    let flow = ind.accumulation == zielwerk_domain::Accumulation::Flow;
    let fmt_opt = |v: Option<f64>, decimals: usize| {
        v.map(|v| zielwerk_domain::format::number(v, decimals))
            .unwrap_or_default()
    };
    // Components carry their own names and units: KdU per BG = KdU total (EUR) ÷ BG (count).
    let components = view::Components::of(agreement, ind);
    let decimals = |unit: Unit| if unit == Unit::Euro { 2 } else { 0 };
    let (num_decimals, den_decimals) = (
        decimals(components.numerator_unit),
        decimals(components.denominator_unit),
    );
    let rows = g
        .series
        .iter()
        .rev()
        .map(|(m, p)| {
            let (datenstand, source) = provenance.of(&ind.code, *m);
            let shown = if flow {
                format!(
                    "{} (Summe seit Januar: {})",
                    value_text(ind, p.value),
                    ytd.get(m)
                        .map(|v| value_text(ind, *v))
                        .unwrap_or_else(|| "–".into())
                )
            } else {
                value_text(ind, p.value)
            };
            ValueRow {
                month: m.german_long(),
                value: shown,
                numerator: fmt_opt(p.numerator, num_decimals),
                denominator: fmt_opt(p.denominator, den_decimals),
                target: targets
                    .get(m)
                    .map(|t| value_text(ind, *t))
                    .unwrap_or_default(),
                status: p.status.label_de(),
                datenstand,
                source,
                comment: notes
                    .iter()
                    .filter(|c| c.month == *m)
                    .map(|c| format!("Anm. {}", c.number))
                    .collect::<Vec<_>>()
                    .join(", "),
                warnings: warnings.get(m).cloned().unwrap_or_default(),
            }
        })
        .collect::<Vec<_>>();
    let has_components = g.series.values().any(|p| p.numerator.is_some());
    let year_end = view::year_end(g, as_of);
    let asm = &g.assessment;
    let area = agreement
        .area(&g.goal.area)
        .map(|a| a.title.clone())
        .unwrap_or_default();
    let mut page = GoalPage {
        head: head(agreement, values),
        as_of: as_of.german_long(),
        area,
        title: g.goal.title.clone(),
        description: g.goal.description.clone(),
        responsible: g.goal.responsible.label_de(),
        origin: g.goal.origin.label_de(),
        indicator: ind.name.clone(),
        indicator_code: ind.code.to_string(),
        unit: ind.unit.label_de(),
        direction: ind.direction.label_de(),
        accumulation: ind.accumulation.label_de(),
        formula: view::formula_text(ind),
        target_kind: g.goal.target.kind_de(),
        target: view::target_text(g.goal, ind),
        tolerance: view::tolerance_text(g.goal, ind),
        status_label: asm.status.label_de(),
        status_css: asm.status.css(),
        status_icon: view::status_icon(asm.status),
        reason: asm.reason.clone(),
        chart: view::goal_chart(
            g,
            agreement.year,
            as_of,
            year_end
                .as_ref()
                .and_then(|r| r.as_ref().ok())
                .map_or(&[][..], |y| &y.path),
            "zielchart",
            &Default::default(),
            &notes,
        ),
        has_forecast_band: year_end
            .as_ref()
            .and_then(|r| r.as_ref().ok())
            .is_some_and(|y| !y.path.is_empty()),
        has_own: false,
        forecast: year_end
            .as_ref()
            .map(|r| view::forecast_text(g, agreement.year, r)),
        milestone: matches!(g.goal.target, Target::Milestone { .. }),
        change: st.explain_change(g.goal).as_ref().map(view::change_view),
        own_rows: {
            let current: Vec<_> = values.iter().map(|v| v.observation.clone()).collect();
            let earlier: Vec<_> = snapshot
                .superseded
                .iter()
                .map(|v| v.observation.clone())
                .collect();
            zielwerk_engine::series::own_beside_official(
                &ind.code,
                &agreement.indicators,
                &current,
                &earlier,
            )
            .into_iter()
            .map(|r| OwnRow {
                month: r.month.german_long(),
                own: value_text(ind, r.own),
                official: value_text(ind, r.official),
                difference: difference_text(ind, r.difference()),
            })
            .collect()
        },
        // Earlier revisions of the values behind this goal.
        history: snapshot
            .superseded
            .iter()
            .filter(|h| inputs.contains(&&h.observation.indicator))
            .map(|h| {
                let o = &h.observation;
                let ind = agreement.indicator(&o.indicator);
                let value = match (o.value, o.numerator, o.denominator, ind) {
                    (Some(v), _, _, Some(i)) => value_text(i, v),
                    (_, Some(n), Some(d), _) => format!(
                        "{} ÷ {}",
                        zielwerk_domain::format::number(n, 0),
                        zielwerk_domain::format::number(d, 0)
                    ),
                    (Some(v), _, _, None) => zielwerk_domain::format::number(v, 2),
                    _ => "–".into(),
                };
                HistoryRow {
                    month: o.month.german_long(),
                    indicator: ind.map_or_else(|| o.indicator.to_string(), |i| i.name.clone()),
                    value,
                    status: o.status.label_de(),
                    datenstand: view::date_de(o.datenstand),
                    source: h.source_label.clone(),
                }
            })
            .collect(),
        comment_months: YearMonth::year_bounds(agreement.year)
            .map(|(jan, _)| {
                let mut months: Vec<(String, String)> = jan
                    .through(as_of)
                    .map(|m| (m.to_string(), m.german_long()))
                    .collect();
                months.reverse();
                months
            })
            .unwrap_or_default(),
        comment_url: crate::paths::Comments::url(agreement.key(), &g.goal.key),
        edit_url: zielwerk_app::access::can_edit(&principal, agreement, g.goal.responsible)
            .then(|| crate::paths::EditGoal::url(agreement.key(), &g.goal.key)),
        audit_url: principal
            .may(&agreement.jobcenter.ba_id, Action::ReadAudit)
            .then(|| crate::paths::GoalAudit::url(agreement.key(), &g.goal.key)),
        entry_url: zielwerk_app::values::may_enter_by_hand(&principal, agreement, g.goal)
            .then(|| crate::paths::EnterValue::url(agreement.key(), &g.goal.key)),
        may_comment: principal.may(&agreement.jobcenter.ba_id, Action::Comment),
        comparison: snapshot
            .loaded
            .benchmarks
            .get(&ind.code)
            .map(regions::comparison_section),
        comments: notes,
        numerator_label: components.numerator_label,
        denominator_label: components.denominator_label,
        has_components,
        rows,
        measures: agreement
            .measures_for(&g.goal.key)
            .map(|m| MeasureRow {
                title: m.title.clone(),
                description: m.description.clone(),
                expected_effect: m.expected_effect.clone(),
                responsible: m.responsible.label_de(),
                period: view::period(m),
            })
            .collect(),
    };
    // What the chart draws, said once more in its caption.
    page.has_own = page.chart.contains(r#"class="own""#);
    Ok(page)
}

// ----- Annexes (Anlage 1 and 2) -------------------------------------------------------------

struct AnnexGoal {
    url: String,
    title: String,
    description: String,
    indicator: String,
    target: String,
    tolerance: String,
    responsible: &'static str,
}

struct AnnexArea {
    title: String,
    description: String,
    goals: Vec<AnnexGoal>,
}

struct AnnexMeasure {
    title: String,
    description: String,
    expected_effect: String,
    responsible: &'static str,
    period: String,
    goals: Vec<(String, String)>,
    /// The editor, for the party responsible while the agreement is not signed.
    edit_url: Option<String>,
}

#[derive(Template)]
#[template(path = "annexes.html")]
struct AnnexPage {
    head: Head,
    municipal: Vec<AnnexArea>,
    federal: Vec<AnnexArea>,
    planning: Vec<AnnexArea>,
    measures: Vec<AnnexMeasure>,
}

pub async fn annexes(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    uri: Uri,
    headers: axum::http::HeaderMap,
) -> PageResult {
    cached(&state, &uri, &headers, |_| async {
        Ok((annex_page(&state, &session, id).await?, true))
    })
    .await
}

async fn annex_page(
    state: &AppState,
    session: &Session,
    id: String,
) -> Result<AnnexPage, WebError> {
    let (agreement, values) = load(state, session, &id).await?;
    let url = |k: &Key| crate::paths::Goal::url(agreement.key(), k);
    let areas = |pred: &dyn Fn(AreaKind, Origin) -> bool| -> Vec<AnnexArea> {
        agreement
            .areas
            .iter()
            .map(|area| AnnexArea {
                title: area.title.clone(),
                description: area.description.clone(),
                goals: agreement
                    .goals
                    .iter()
                    .filter(|g| g.area == area.key && pred(area.kind, g.origin))
                    .filter_map(|g| {
                        let ind = agreement.indicator(&g.indicator)?;
                        Some(AnnexGoal {
                            url: url(&g.key),
                            title: g.title.clone(),
                            description: g.description.clone(),
                            indicator: ind.name.clone(),
                            target: view::target_text(g, ind),
                            tolerance: view::tolerance_text(g, ind),
                            responsible: g.responsible.label_de(),
                        })
                    })
                    .collect(),
            })
            .filter(|a| !a.goals.is_empty())
            .collect()
    };
    let municipal = areas(&|k, o| k == AreaKind::Municipal && o == Origin::Agreement);
    let federal = areas(&|k, o| k != AreaKind::Municipal && o == Origin::Agreement);
    let planning = areas(&|_, o| o == Origin::PlanningDocument);
    let measures = agreement
        .measures
        .iter()
        .map(|m| AnnexMeasure {
            title: m.title.clone(),
            description: m.description.clone(),
            expected_effect: m.expected_effect.clone(),
            responsible: m.responsible.label_de(),
            period: view::period(m),
            goals: m
                .goals
                .iter()
                .filter_map(|k| agreement.goal(k).map(|g| (url(k), g.title.clone())))
                .collect(),
            edit_url: zielwerk_app::access::can_edit(&session.principal, &agreement, m.responsible)
                .then(|| crate::paths::EditMeasure::url(agreement.key(), &m.key)),
        })
        .collect();
    Ok(AnnexPage {
        head: head(&agreement, &values),
        municipal,
        federal,
        planning,
        measures,
    })
}

pub async fn export_toml(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> PageResult {
    let (agreement, _) = load(&state, &session, &id).await?;
    let body = zielwerk_ingest::export(&agreement);
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/toml; charset=utf-8".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"vereinbarung-{}.toml\"",
                    agreement.key()
                ),
            ),
        ],
        body,
    )
        .into_response())
}

pub async fn not_found() -> WebError {
    WebError::NotFound("Diese Seite gibt es nicht.".into())
}
