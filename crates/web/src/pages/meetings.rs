//! Steering dialogues: the meetings of an agreement, the meeting page (agenda with frozen
//! figures, appraisals, decisions and action items, status of earlier action items), the
//! minutes as PDF and DOCX, the Jobcenter-wide list of action items, and comments on values.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use zielwerk_domain::{
    Action, ActionItem, ActionStatus, BaId, Key, MeetingHeader, MeetingKind, Participant,
    PartyRole, YearMonth,
};
use zielwerk_engine::assess_agreement;
use zielwerk_report::minutes::{Figures, action_line, figures};
use zielwerk_report::present::{self as view, date_de, value_text};
use zielwerk_store::{ActionFilter, AgendaKind, StoredAction};

use super::{
    Head, PageResult, agreement_for, agreement_key, blocking, date_field, field, head, html, today,
};
use crate::AppState;
use crate::auth::Session;
use crate::error::WebError;
use crate::paths;
use zielwerk_app as app;
use zielwerk_app::documents::{self, DOCX, MeetingBundle, PDF};

fn bad(problems: Vec<String>) -> WebError {
    WebError::BadRequest(format!(
        "Nicht gespeichert: {}. Gehen Sie zurück; Ihre Eingaben stehen noch im Formular.",
        problems.join("; ")
    ))
}

fn party_options() -> Vec<(&'static str, &'static str)> {
    PartyRole::ALL
        .iter()
        .map(|p| (p.as_str(), p.label_de()))
        .collect()
}

fn kind_options() -> Vec<(&'static str, &'static str)> {
    MeetingKind::ALL
        .iter()
        .map(|k| (k.as_str(), k.label_de()))
        .collect()
}

fn status_options() -> Vec<(&'static str, &'static str)> {
    ActionStatus::ALL
        .iter()
        .map(|s| (s.as_str(), s.label_de()))
        .collect()
}

fn parse_party(label: &str, raw: &str) -> Result<PartyRole, String> {
    PartyRole::ALL
        .into_iter()
        .find(|p| p.as_str() == raw)
        .ok_or_else(|| {
            format!("Feld „{label}“: „{raw}“ ist keine Partei (kreis, agentur oder jobcenter)")
        })
}

// ----- Meeting list and creation -----------------------------------------------------------

struct MeetingRow {
    url: String,
    title: String,
    month: String,
    items: String,
}

#[derive(Template)]
#[template(path = "meetings.html")]
struct MeetingsPage {
    head: Head,
    meetings: Vec<MeetingRow>,
    kinds: Vec<(&'static str, &'static str)>,
    months: Vec<(String, String)>,
    default_month: String,
    today: String,
    parties: Vec<(&'static str, &'static str, String)>,
}

/// A meeting for a user who may do `action` with its Jobcenter's data, or 404.
async fn meeting_for(
    state: &AppState,
    session: &Session,
    mid: &str,
    action: Action,
) -> Result<zielwerk_store::StoredMeeting, WebError> {
    Ok(app::meetings::meeting_for(&state.store, &session.principal, mid, action).await?)
}

pub async fn list(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> PageResult {
    let k = agreement_for(&session, &id, Action::ReadInternal)?;
    let loaded = documents::load(&state.store, &k).await?;
    let a = &loaded.agreement;
    let sizes = state.store.agenda_sizes(&k).await?;
    let meetings = state
        .store
        .meetings(&k)
        .await?
        .into_iter()
        .map(|m| MeetingRow {
            url: paths::Meeting::url(&m.id),
            title: m.header.display_title(),
            month: m.header.month.german_long(),
            items: format!(
                "{} Tagesordnungspunkte",
                sizes.get(&m.id).copied().unwrap_or(0)
            ),
        })
        .collect();
    let (jan, dec) =
        YearMonth::year_bounds(a.year).map_err(|e| WebError::Internal(e.to_string()))?;
    let default_month =
        zielwerk_engine::default_as_of(a, loaded.values.iter().map(|v| v.observation.month));
    html(&MeetingsPage {
        head: head(a, &loaded.values),
        meetings,
        kinds: kind_options(),
        months: jan
            .through(dec)
            .map(|m| (m.to_string(), m.german_long()))
            .collect(),
        default_month: default_month.to_string(),
        today: today().to_string(),
        parties: PartyRole::ALL
            .iter()
            .map(|p| {
                (
                    p.as_str(),
                    p.label_de(),
                    a.party(*p).map(|x| x.name.clone()).unwrap_or_default(),
                )
            })
            .collect(),
    })
}

/// Reads the meeting form: kind, title, date, month, place, one participant per line per party.
fn parse_meeting(fields: &[(String, String)]) -> Result<MeetingHeader, Vec<String>> {
    let mut problems = Vec::new();
    let kind = MeetingKind::parse(field(fields, "art")).unwrap_or_else(|| {
        problems.push("Feld „Art der Sitzung“: bitte eine Art wählen".into());
        MeetingKind::Free
    });
    let date = date_field("Datum", field(fields, "datum"))
        .map_err(|e| problems.push(e))
        .ok();
    let month = field(fields, "monat")
        .parse::<YearMonth>()
        .map_err(|e| problems.push(format!("Feld „Berichtsmonat“: {e}")))
        .ok();
    let mut participants = Vec::new();
    for p in PartyRole::ALL {
        for line in field(fields, &format!("teilnehmende_{}", p.as_str())).lines() {
            let name = line.trim();
            if name.chars().count() > 200 {
                problems.push(format!(
                    "Feld „Teilnehmende {}“: höchstens 200 Zeichen je Zeile",
                    p.label_de()
                ));
            } else if !name.is_empty() {
                participants.push(Participant {
                    party: p,
                    name: name.to_owned(),
                });
            }
        }
    }
    match (date, month) {
        (Some(date), Some(month)) if problems.is_empty() => Ok(MeetingHeader {
            kind,
            title: field(fields, "bezeichnung").to_owned(),
            date,
            month,
            place: field(fields, "ort").to_owned(),
            participants,
        }),
        _ => Err(problems),
    }
}

pub async fn create(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let header = parse_meeting(&fields).map_err(bad)?;
    let mid = app::meetings::create(&state.store, &session.principal, &id, header)
        .await
        .map_err(not_saved)?;
    Ok(Redirect::to(&paths::Meeting::url(&mid)).into_response())
}

// ----- Meeting page --------------------------------------------------------------------------

struct FrozenView {
    figures: Figures,
    status_icon: &'static str,
    as_of: String,
    /// Set when the figures have been revised since the agenda was drawn up.
    revised: Option<String>,
}

struct DecisionView {
    text: String,
    action: Option<String>,
}

struct ItemView {
    id: String,
    number: usize,
    title: String,
    kind: &'static str,
    goal_url: Option<String>,
    goal_key: String,
    frozen: Option<FrozenView>,
    appraisal: String,
    steering_needed: bool,
    revision: i64,
    action: Option<ActionView>,
    decisions: Vec<DecisionView>,
    first: bool,
    last: bool,
}

struct ActionView {
    id: String,
    what: String,
    owner: String,
    due: String,
    status: &'static str,
    status_label: &'static str,
    overdue: bool,
    goal: String,
    revision: i64,
}

fn action_view(
    a: &StoredAction,
    agreement: &zielwerk_domain::Agreement,
    day: NaiveDate,
) -> ActionView {
    let i = &a.item;
    ActionView {
        id: a.id.clone(),
        what: i.what.clone(),
        owner: i.owner_de(),
        due: date_de(i.due),
        status: i.status.as_str(),
        status_label: i.status.label_de(),
        overdue: i.is_overdue(day),
        goal: i
            .goal
            .as_ref()
            .map(|k| {
                agreement
                    .goal(k)
                    .map_or_else(|| k.to_string(), |g| g.title.clone())
            })
            .unwrap_or_default(),
        revision: a.revision,
    }
}

#[derive(Template)]
#[template(path = "meeting.html")]
struct MeetingPage {
    head: Head,
    id: String,
    title: String,
    kind: &'static str,
    date: String,
    month: String,
    place: String,
    participants: Vec<(&'static str, String)>,
    items: Vec<ItemView>,
    earlier: Vec<ActionView>,
    changed: Vec<(String, &'static str, String)>,
    parties: Vec<(&'static str, &'static str)>,
    statuses: Vec<(&'static str, &'static str)>,
    measures: Vec<(String, String)>,
    goals: Vec<(String, String)>,
    default_due: String,
    /// The header form: kind, title, ISO date, place, participants per party, revision.
    kinds: Vec<(&'static str, &'static str)>,
    kind_token: &'static str,
    header_title: String,
    iso_date: String,
    editable_participants: Vec<(&'static str, &'static str, String)>,
    revision: i64,
}

fn meeting_page(b: MeetingBundle, earlier: Vec<StoredAction>) -> Result<MeetingPage, WebError> {
    let a = &b.loaded.agreement;
    let h = &b.meeting.header;
    let day = h.date;
    // Today's figures for the same month, to show where the frozen ones have been revised.
    let obs: Vec<_> = b
        .loaded
        .values
        .iter()
        .map(|v| v.observation.clone())
        .collect();
    let now = assess_agreement(a, &obs, h.month);
    let items = b
        .agenda
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let (kind, goal_url, goal_key, frozen, action) = match &item.kind {
                AgendaKind::Goal { goal, snapshot } => {
                    let current = now.goals.iter().find(|g| &g.goal.key == goal);
                    let revised = current.and_then(|g| {
                        let asm = &g.assessment;
                        let same = asm.status == snapshot.status
                            && asm.month == snapshot.value_month
                            && match (asm.actual, snapshot.actual) {
                                (Some(x), Some(y)) => (x - y).abs() <= 1e-9 * y.abs().max(1.0),
                                (None, None) => true,
                                _ => false,
                            };
                        (!same).then(|| {
                            format!(
                                "Die Werte wurden seitdem revidiert: heute {} ({}). Die Würdigung bezieht sich auf die eingefrorenen Zahlen oben.",
                                asm.actual
                                    .map(|v| value_text(g.indicator, v))
                                    .unwrap_or_else(|| "kein Wert".into()),
                                asm.status.label_de()
                            )
                        })
                    });
                    (
                        "goal",
                        Some(format!("{}?stand={}", paths::Goal::url(a.key(), goal), h.month)),
                        goal.to_string(),
                        Some(FrozenView {
                            figures: figures(snapshot),
                            status_icon: view::status_icon(snapshot.status),
                            as_of: snapshot.as_of.german_long(),
                            revised,
                        }),
                        None,
                    )
                }
                AgendaKind::Action { action_id } => (
                    "action",
                    None,
                    String::new(),
                    None,
                    b.actions.get(action_id).map(|x| action_view(x, a, day)),
                ),
                AgendaKind::Free => ("free", None, String::new(), None, None),
            };
            ItemView {
                id: item.id.clone(),
                number: i + 1,
                title: item.title.clone(),
                kind,
                goal_url,
                goal_key,
                frozen,
                appraisal: item.appraisal.clone(),
                steering_needed: item.steering_needed,
                revision: item.revision,
                action,
                decisions: b
                    .decisions
                    .iter()
                    .filter(|d| d.agenda_item_id.as_deref() == Some(item.id.as_str()))
                    .map(|d| DecisionView {
                        text: d.text.clone(),
                        action: b
                            .actions
                            .values()
                            .find(|x| x.decision_id == d.id)
                            .map(|x| action_line(&x.item)),
                    })
                    .collect(),
                first: i == 0,
                last: i + 1 == b.agenda.len(),
            }
        })
        .collect();
    let changed = b
        .updates
        .iter()
        .filter_map(|u| {
            let x = b.actions.get(&u.action_id)?;
            (x.meeting_id != b.meeting.id)
                .then(|| (x.item.what.clone(), u.status.label_de(), u.note.clone()))
        })
        .collect();
    Ok(MeetingPage {
        head: head(a, &b.loaded.values),
        id: b.meeting.id.clone(),
        title: h.display_title(),
        kind: h.kind.label_de(),
        date: date_de(h.date),
        month: h.month.german_long(),
        place: h.place.clone(),
        participants: PartyRole::ALL
            .iter()
            .map(|p| {
                (
                    p.label_de(),
                    h.of_party(*p)
                        .map(|x| x.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            })
            .filter(|(_, n)| !n.is_empty())
            .collect(),
        items,
        earlier: earlier
            .iter()
            .filter(|x| x.meeting_id != b.meeting.id)
            .map(|x| action_view(x, a, day))
            .collect(),
        changed,
        parties: party_options(),
        statuses: status_options(),
        measures: a
            .measures
            .iter()
            .map(|m| (m.key.to_string(), m.title.clone()))
            .collect(),
        goals: a
            .goals
            .iter()
            .map(|g| (g.key.to_string(), g.title.clone()))
            .collect(),
        default_due: (day + chrono::Days::new(28)).to_string(),
        kinds: kind_options(),
        kind_token: h.kind.as_str(),
        header_title: h.title.clone(),
        iso_date: h.date.to_string(),
        editable_participants: PartyRole::ALL
            .iter()
            .map(|p| {
                (
                    p.as_str(),
                    p.label_de(),
                    h.of_party(*p)
                        .map(|x| x.name.as_str())
                        .collect::<Vec<_>>()
                        .join("\n"),
                )
            })
            .collect(),
        revision: b.meeting.revision,
    })
}

pub async fn show(
    State(state): State<AppState>,
    session: Session,
    Path(mid): Path<String>,
) -> PageResult {
    meeting_for(&state, &session, &mid, Action::ReadInternal).await?;
    let b = documents::load_meeting(&state.store, &mid).await?;
    let jobcenter = b.meeting.jobcenter.clone();
    // Action items of earlier meetings still open, and those changed in this meeting.
    let mut earlier = state
        .store
        .actions(
            &jobcenter,
            &ActionFilter {
                statuses: vec![ActionStatus::Open, ActionStatus::InProgress],
                ..Default::default()
            },
        )
        .await?;
    for x in b.actions.values() {
        if x.meeting_id != mid && !earlier.iter().any(|e| e.id == x.id) {
            earlier.push(x.clone());
        }
    }
    earlier.sort_by_key(|x| x.item.due);
    html(&blocking(move || meeting_page(b, earlier)).await?)
}

/// Saves the meeting's header (kind, title, date, place, participants). The reporting month stays:
/// the agenda's frozen figures belong to it.
pub async fn update(
    State(state): State<AppState>,
    session: Session,
    Path(mid): Path<String>,
    Form(mut fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let m = meeting_for(&state, &session, &mid, Action::ManageMeetings).await?;
    // The reporting month is not the form's to change (the agenda was drawn up for it).
    fields.retain(|(k, _)| k != "monat");
    fields.push(("monat".into(), m.header.month.to_string()));
    let header = parse_meeting(&fields).map_err(bad)?;
    let revision: i64 = field(&fields, "revision").parse().map_err(|_| {
        bad(vec![
            "Die Bearbeitungsnummer fehlt; laden Sie die Seite neu".into(),
        ])
    })?;
    app::meetings::update(&state.store, &session.principal, &mid, header, revision)
        .await
        .map_err(not_saved)?;
    Ok(back(&mid, "sitzungsdaten"))
}

fn back(mid: &str, anchor: &str) -> Response {
    Redirect::to(&format!("{}#{anchor}", paths::Meeting::url(mid))).into_response()
}

pub async fn add_item(
    State(state): State<AppState>,
    session: Session,
    Path(mid): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    app::meetings::add_item(
        &state.store,
        &session.principal,
        &mid,
        field(&fields, "titel"),
    )
    .await
    .map_err(not_saved)?;
    Ok(back(&mid, "tagesordnung-neu"))
}

pub async fn move_item(
    State(state): State<AppState>,
    session: Session,
    Path((mid, item)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let up = match field(&fields, "richtung") {
        "hoch" => true,
        "runter" => false,
        other => {
            return Err(bad(vec![format!(
                "Feld „Richtung“: „{other}“ (erwartet hoch oder runter)"
            )]));
        }
    };
    app::meetings::move_item(&state.store, &session.principal, &mid, &item, up)
        .await
        .map_err(not_saved)?;
    Ok(back(&mid, &format!("top-{item}")))
}

pub async fn appraise(
    State(state): State<AppState>,
    session: Session,
    Path((mid, item)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let revision: i64 = field(&fields, "revision").parse().map_err(|_| {
        bad(vec![
            "Die Bearbeitungsnummer fehlt; laden Sie die Seite neu".into(),
        ])
    })?;
    let cmd = app::meetings::Appraise {
        meeting: mid.clone(),
        item: item.clone(),
        text: field(&fields, "wuerdigung").to_owned(),
        steering_needed: field(&fields, "steuerungsbedarf") == "1",
        revision,
    };
    app::meetings::appraise(&state.store, &session.principal, cmd)
        .await
        .map_err(not_saved)?;
    Ok(back(&mid, &format!("top-{item}")))
}

/// Reads the decision form: the decision, and an action item if its text is given.
fn parse_decision(
    fields: &[(String, String)],
) -> Result<(String, Option<ActionItem>), Vec<String>> {
    let mut problems = Vec::new();
    let text = field(fields, "beschluss").to_owned();
    let what = field(fields, "aufgabe");
    let action = if what.is_empty() {
        None
    } else {
        let owner = parse_party("verantwortliche Partei", field(fields, "partei"))
            .map_err(|e| problems.push(e))
            .ok();
        let due = date_field("fällig am", field(fields, "faellig"))
            .map_err(|e| problems.push(e))
            .ok();
        let key = |name: &str, label: &str, problems: &mut Vec<String>| match field(fields, name) {
            "" => None,
            raw => raw
                .parse::<Key>()
                .map_err(|e| problems.push(format!("Feld „{label}“: {e}")))
                .ok(),
        };
        let goal = key("ziel", "Ziel", &mut problems);
        let measure = key("massnahme", "Maßnahme", &mut problems);
        match (owner, due) {
            (Some(owner_party), Some(due)) => Some(ActionItem {
                what: what.to_owned(),
                owner_party,
                owner_person: field(fields, "person").to_owned(),
                due,
                status: ActionStatus::Open,
                goal,
                measure,
            }),
            _ => None,
        }
    };
    if problems.is_empty() {
        Ok((text, action))
    } else {
        Err(problems)
    }
}

pub async fn decide(
    State(state): State<AppState>,
    session: Session,
    Path(mid): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let (text, action) = parse_decision(&fields).map_err(bad)?;
    let item = field(&fields, "top").to_owned();
    let cmd = app::meetings::Decide {
        meeting: mid.clone(),
        item: item.clone(),
        text,
        action,
    };
    app::meetings::decide(&state.store, &session.principal, cmd)
        .await
        .map_err(not_saved)?;
    Ok(back(&mid, &format!("top-{item}")))
}

pub async fn set_status(
    State(state): State<AppState>,
    session: Session,
    Path(aid): Path<String>,
    Form(form): Form<StatusForm>,
) -> PageResult {
    let revision: i64 = form.revision.trim().parse().map_err(|_| {
        bad(vec![
            "Die Bearbeitungsnummer fehlt; laden Sie die Seite neu".into(),
        ])
    })?;
    let meeting = Some(form.sitzung.clone()).filter(|m| !m.trim().is_empty());
    zielwerk_app::actions::set_status(
        &state.store,
        &session.principal,
        zielwerk_app::actions::SetStatus {
            action: aid.clone(),
            status: form.status,
            note: form.vermerk,
            meeting: meeting.clone(),
            revision,
        },
    )
    .await
    .map_err(not_saved)?;
    Ok(match (meeting, form.zurueck.as_str()) {
        (Some(m), _) => back(&m, &format!("aufgabe-{aid}")),
        // Back to the action list of a Jobcenter, never to another site.
        (None, url) if url.starts_with("/jobcenter/") => Redirect::to(url).into_response(),
        (None, _) => Redirect::to(paths::Home::PATH).into_response(),
    })
}

/// The status form of an action item (in a meeting or in the list of a Jobcenter's items).
#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    vermerk: String,
    #[serde(default)]
    revision: String,
    #[serde(default)]
    sitzung: String,
    #[serde(default)]
    zurueck: String,
}

pub async fn minutes(
    State(state): State<AppState>,
    session: Session,
    Path((mid, file)): Path<(String, String)>,
) -> PageResult {
    meeting_for(&state, &session, &mid, Action::ReadInternal).await?;
    let b = documents::load_meeting(&state.store, &mid).await?;
    let stem = format!(
        "niederschrift-{}-{}",
        b.meeting.header.kind.as_str(),
        b.meeting.header.date
    );
    let (mime, pdf) = match file.as_str() {
        "niederschrift.pdf" => (PDF, true),
        "niederschrift.docx" => (DOCX, false),
        f => {
            return Err(WebError::NotFound(format!(
                "Das Dokument „{f}“ gibt es nicht."
            )));
        }
    };
    let bytes = blocking(move || {
        let m = documents::minutes_model(&b, today());
        if pdf {
            documents::minutes_pdf(&m, today())
        } else {
            documents::minutes_docx(&m)
        }
    })
    .await?;
    let name = format!("{stem}.{}", if pdf { "pdf" } else { "docx" });
    Ok(super::reports::download(mime, &name, bytes))
}

// ----- Jobcenter-wide action items ---------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct ActionQuery {
    status: Option<String>,
    partei: Option<String>,
    ueberfaellig: Option<String>,
    vereinbarung: Option<String>,
}

struct ListedAction {
    a: ActionView,
    meeting_url: String,
    agreement: String,
}

#[derive(Template)]
#[template(path = "actions.html")]
struct ActionsPage {
    jobcenter: String,
    ba_id: String,
    rows: Vec<ListedAction>,
    status: String,
    party: String,
    overdue_only: bool,
    agreement: String,
    agreements: Vec<(String, String)>,
    parties: Vec<(&'static str, &'static str)>,
    statuses: Vec<(&'static str, &'static str)>,
    count: String,
    back: String,
}

pub async fn actions(
    State(state): State<AppState>,
    session: Session,
    Path(ba): Path<String>,
    Query(q): Query<ActionQuery>,
    uri: axum::http::Uri,
) -> PageResult {
    let missing = || format!("Das Jobcenter „{ba}“ gibt es nicht.");
    let jobcenter: BaId = ba.parse().map_err(|_| WebError::NotFound(missing()))?;
    session.require(&jobcenter, Action::ReadInternal, missing)?;
    let summaries: Vec<_> = state
        .store
        .agreements()
        .await?
        .into_iter()
        .filter(|s| s.jobcenter == jobcenter)
        .collect();
    let Some(first) = summaries.first() else {
        return Err(WebError::NotFound(format!(
            "Für das Jobcenter „{ba}“ ist keine Vereinbarung gespeichert."
        )));
    };
    let status = q.status.clone().unwrap_or_else(|| "offen-in-arbeit".into());
    let statuses = match status.as_str() {
        "offen-in-arbeit" => vec![ActionStatus::Open, ActionStatus::InProgress],
        "alle" => Vec::new(),
        s => vec![ActionStatus::parse(s).ok_or_else(|| {
            WebError::BadRequest(format!(
                "Parameter „status“: „{s}“ (erwartet offen-in-arbeit, alle, offen, in-arbeit, erledigt oder verworfen)"
            ))
        })?],
    };
    let party = match q.partei.as_deref().unwrap_or("") {
        "" => None,
        p => Some(parse_party("Partei", p).map_err(WebError::BadRequest)?),
    };
    let agreement = match q.vereinbarung.as_deref().unwrap_or("") {
        "" => None,
        k => Some(agreement_key(k)?),
    };
    let overdue_only = matches!(q.ueberfaellig.as_deref(), Some("1"));
    let filter = ActionFilter {
        agreement,
        statuses,
        party,
        ..Default::default()
    };
    let day = today();
    let mut agreements = std::collections::BTreeMap::new();
    let mut rows = Vec::new();
    for x in state.store.actions(&jobcenter, &filter).await? {
        if overdue_only && !x.item.is_overdue(day) {
            continue;
        }
        if !agreements.contains_key(&x.agreement)
            && let Some(a) = state.store.agreement(&x.agreement).await?
        {
            agreements.insert(x.agreement.clone(), a);
        }
        let Some(a) = agreements.get(&x.agreement) else {
            continue;
        };
        rows.push(ListedAction {
            a: action_view(&x, a, day),
            meeting_url: format!("{}#aufgabe-{}", paths::Meeting::url(&x.meeting_id), x.id),
            agreement: a.title.clone(),
        });
    }
    let overdue = rows.iter().filter(|r| r.a.overdue).count();
    html(&ActionsPage {
        jobcenter: first.jobcenter_name.clone(),
        ba_id: jobcenter.to_string(),
        count: format!(
            "{}, davon {overdue} überfällig.",
            zielwerk_domain::format::counted(rows.len(), "Aufgabe", "Aufgaben")
        ),
        rows,
        status,
        party: q.partei.unwrap_or_default(),
        overdue_only,
        agreement: q.vereinbarung.unwrap_or_default(),
        // Versions of one year share their title: name version and standing.
        agreements: summaries
            .iter()
            .map(|s| {
                let versions: Vec<_> = summaries
                    .iter()
                    .filter(|b| b.year == s.year)
                    .map(|b| (b.version, b.status))
                    .collect();
                let standing = zielwerk_domain::version_standing(s.version, s.status, &versions);
                (
                    s.key.to_string(),
                    format!("{}, Version {} ({standing})", s.title, s.version),
                )
            })
            .collect(),
        parties: party_options(),
        statuses: status_options(),
        back: uri.to_string(),
    })
}

// ----- Comments on values --------------------------------------------------------------------

pub async fn comment(
    State(state): State<AppState>,
    session: Session,
    Path((id, goal)): Path<(String, String)>,
    Form(form): Form<CommentForm>,
) -> PageResult {
    zielwerk_app::values::comment(
        &state.store,
        &session.principal,
        zielwerk_app::values::Comment {
            agreement: id.clone(),
            goal: goal.clone(),
            month: form.monat,
            text: form.text,
            author: form.autor,
        },
    )
    .await
    .map_err(not_saved)?;
    Ok(Redirect::to(&format!("{}#anmerkungen", paths::Goal::url(&id, &goal))).into_response())
}

/// The comment form of a goal page.
#[derive(Deserialize)]
pub struct CommentForm {
    #[serde(default)]
    monat: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    autor: String,
}

/// A command refused as invalid: the form's "not saved" page with every problem.
fn not_saved(e: zielwerk_app::AppError) -> WebError {
    match e {
        zielwerk_app::AppError::Invalid(problems) => {
            bad(problems.into_iter().map(|p| p.message).collect())
        }
        e => e.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn meeting_form_names_every_wrong_field() {
        let problems = parse_meeting(&form(&[
            ("art", "stammtisch"),
            ("datum", "31.02.2022"),
            ("monat", "2022-13"),
        ]))
        .unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].starts_with("Feld „Art der Sitzung“"));
        assert!(problems[1].starts_with("Feld „Datum“: „31.02.2022“"));
        assert!(problems[2].starts_with("Feld „Berichtsmonat“"));
        let ok = parse_meeting(&form(&[
            ("art", "zielnachhaltedialog"),
            ("datum", "12.10.2022"),
            ("monat", "2022-09"),
            ("teilnehmende_kreis", "Frau A\r\n\r\n Herr B "),
            ("teilnehmende_agentur", "Frau C"),
        ]))
        .unwrap();
        assert_eq!(ok.participants.len(), 3);
        assert_eq!(ok.of_party(PartyRole::Kreis).count(), 2);
        assert_eq!(ok.participants[1].name, "Herr B");
    }

    #[test]
    fn decision_form_needs_owner_and_due_date_only_with_an_action() {
        let (text, action) =
            parse_decision(&form(&[("beschluss", "Zur Kenntnis genommen")])).unwrap();
        assert_eq!((text.as_str(), action), ("Zur Kenntnis genommen", None));
        let problems = parse_decision(&form(&[
            ("beschluss", "Konzept"),
            ("aufgabe", "Konzept vorlegen"),
            ("partei", "bund"),
            ("faellig", "morgen"),
        ]))
        .unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:?}");
        let (_, action) = parse_decision(&form(&[
            ("beschluss", "Konzept"),
            ("aufgabe", "Konzept vorlegen"),
            ("partei", "jobcenter"),
            ("person", "Herr Muster"),
            ("faellig", "2022-11-30"),
            ("ziel", "k2"),
        ]))
        .unwrap();
        let action = action.unwrap();
        assert_eq!(action.status, ActionStatus::Open);
        assert_eq!(action.goal.unwrap().as_str(), "k2");
        // Whether an empty decision may be saved is the app core's rule
        // (`zielwerk_app::meetings::decision_problems`), not the form's.
    }
}
