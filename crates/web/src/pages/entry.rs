//! Values entered by hand on a goal (a count that comes on paper): the form and its save. The
//! checks and revision rules are the import's (`zielwerk_app::values::enter_by_hand`).

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use zielwerk_app::AppError;
use zielwerk_app::values::{HandValue, enter_by_hand, hand_indicators};
use zielwerk_domain::{Action, Agreement, Formula, Goal, YearMonth};

use super::{Head, PageResult, agreement_for, field, head, html, stored_agreement, today};
use crate::AppState;
use crate::auth::Session;
use crate::error::WebError;
use crate::paths;

#[derive(Template)]
#[template(path = "value_entry.html")]
struct EntryPage {
    head: Head,
    goal_title: String,
    goal_url: String,
    action_url: String,
    /// (code, label, selected) of each indicator a value may be entered for.
    indicators: Vec<(String, String, bool)>,
    /// (JJJJ-MM, German, selected) of the agreement year's months.
    months: Vec<(String, String, bool)>,
    /// Whether some indicator takes numerator and denominator instead of a value.
    ratio: bool,
    value: String,
    numerator: String,
    denominator: String,
    /// "endgültig" or "vorläufig".
    status: String,
    datenstand: String,
    /// Problems by form field ("" for the whole form).
    problems: Vec<(String, String)>,
    /// After a save: what it did.
    saved: Option<String>,
}

impl EntryPage {
    /// The problem of a field, if any.
    fn problem(&self, field: &str) -> Option<&str> {
        self.problems
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

fn may_enter(session: &Session, a: &Agreement, g: &Goal) -> Result<(), WebError> {
    if session
        .principal
        .may(&a.jobcenter.ba_id, Action::ImportValues)
        && !hand_indicators(a, g).is_empty()
    {
        Ok(())
    } else {
        Err(WebError::Forbidden(
            "Werte für dieses Jobcenter darf Ihr Konto nicht erfassen.".into(),
        ))
    }
}

fn page(a: &Agreement, g: &Goal, typed: Option<&[(String, String)]>) -> EntryPage {
    let get = |name: &str| typed.map(|f| field(f, name).to_owned());
    let indicators = hand_indicators(a, g);
    let chosen = get("kennzahl").unwrap_or_else(|| {
        indicators
            .first()
            .map(|i| i.code.to_string())
            .unwrap_or_default()
    });
    // Last month, as a paper count usually reports it, inside the agreement year.
    let default_month = {
        use chrono::Datelike;
        let now = today();
        let month = if now.year() > a.year {
            12
        } else if now.year() < a.year {
            1
        } else {
            now.month().saturating_sub(1).max(1)
        };
        format!("{}-{month:02}", a.year)
    };
    let month = get("monat").unwrap_or(default_month);
    EntryPage {
        head: head(a, &[]),
        goal_title: g.title.clone(),
        goal_url: paths::Goal::url(a.key(), &g.key),
        action_url: paths::EnterValue::url(a.key(), &g.key),
        ratio: indicators
            .iter()
            .any(|i| matches!(i.formula, Formula::StoredRatio { .. })),
        indicators: indicators
            .iter()
            .map(|i| {
                let code = i.code.to_string();
                let selected = code == chosen;
                (code.clone(), format!("{} ({code})", i.name), selected)
            })
            .collect(),
        months: YearMonth::year_bounds(a.year)
            .map(|(jan, dec)| {
                jan.through(dec)
                    .map(|m| (m.to_string(), m.german_long(), m.to_string() == month))
                    .collect()
            })
            .unwrap_or_default(),
        value: get("wert").unwrap_or_default(),
        numerator: get("zaehler").unwrap_or_default(),
        denominator: get("nenner").unwrap_or_default(),
        status: get("status").unwrap_or_else(|| "endgültig".into()),
        datenstand: get("datenstand").unwrap_or_else(|| today().format("%d.%m.%Y").to_string()),
        problems: Vec::new(),
        saved: None,
    }
}

pub async fn form(
    State(state): State<AppState>,
    session: Session,
    Path((id, goal)): Path<(String, String)>,
) -> PageResult {
    let k = agreement_for(&session, &id, Action::ReadInternal)?;
    let a = stored_agreement(&state, &k).await?;
    let g = zielwerk_app::agreements::find_goal(&a, &goal)?;
    may_enter(&session, &a, g)?;
    html(&page(&a, g, None))
}

pub async fn save(
    State(state): State<AppState>,
    session: Session,
    Path((id, goal)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let k = agreement_for(&session, &id, Action::ReadInternal)?;
    let a = stored_agreement(&state, &k).await?;
    let g = zielwerk_app::agreements::find_goal(&a, &goal)?;
    may_enter(&session, &a, g)?;
    let v = HandValue {
        agreement: id.clone(),
        goal: goal.clone(),
        indicator: field(&fields, "kennzahl").to_owned(),
        month: field(&fields, "monat").to_owned(),
        value: field(&fields, "wert").to_owned(),
        numerator: field(&fields, "zaehler").to_owned(),
        denominator: field(&fields, "nenner").to_owned(),
        status: field(&fields, "status").to_owned(),
        datenstand: field(&fields, "datenstand").to_owned(),
    };
    let month = v
        .month
        .trim()
        .parse::<YearMonth>()
        .map(|m| m.german_long())
        .unwrap_or_default();
    match enter_by_hand(&state.store, &session.principal, v).await {
        Ok(report) => {
            let o = report.outcome;
            let what = if o.inserted > 0 {
                format!("Der Wert für {month} ist gespeichert.")
            } else if o.revised > 0 {
                format!(
                    "Der Wert für {month} ist gespeichert und ersetzt den bisherigen; der bisherige bleibt in der Historie."
                )
            } else if o.kept_final > 0 {
                format!(
                    "Nicht übernommen: Für {month} ist ein endgültiger Wert gespeichert; ein vorläufiger ersetzt ihn nicht."
                )
            } else if o.older > 0 {
                format!(
                    "Der Wert für {month} hat einen älteren Datenstand als der gespeicherte; er ist als Historie gespeichert, der gespeicherte gilt weiter."
                )
            } else {
                format!("Der Wert für {month} war schon so gespeichert; nichts geändert.")
            };
            let mut p = page(&a, g, None);
            p.saved = Some(what);
            html(&p)
        }
        Err(AppError::Invalid(problems)) => {
            let mut p = page(&a, g, Some(&fields));
            p.problems = problems.into_iter().map(|p| (p.field, p.message)).collect();
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(p.render()?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
