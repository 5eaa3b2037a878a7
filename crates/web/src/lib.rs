//! HTTP: axum routes, askama templates, static assets. Server-rendered German HTML that works
//! without JavaScript.
//!
//! Handlers are small: they parse the request, load through the [`Store`], let the engine assess,
//! and hand plain view models to templates. No SQL here, no domain rules.

pub mod api;
pub mod auth;
mod cache;
mod error;
pub mod oidc;
mod pages;
pub mod paths;

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::routing::{get, post};
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use zielwerk_store::Store;

pub use error::WebError;
pub use pages::import::IN_BACKGROUND_FROM;

/// What every handler can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    pub store: Store,
    /// Every agreement assessed at every month, kept current in the background.
    pub assessments: std::sync::Arc<zielwerk_app::assessments::Assessments>,
    pages: std::sync::Arc<cache::PageCache>,
    /// The installation's key for sign-in tokens, read from the database on first use.
    login_secret: std::sync::Arc<tokio::sync::OnceCell<std::sync::Arc<[u8]>>>,
    /// Mark cookies Secure even without a proxy header saying the request came over TLS.
    pub secure_cookies: bool,
    /// The address under which the installation is reached (`https://zielwerk.kreis.example`),
    /// for the absolute ids of OParl. Without it the ids follow the request's `Host` header.
    pub public_url: Option<String>,
    /// How long a request may take before it is ended with a German page.
    pub time_limits: TimeLimits,
    /// Imports of large uploads running in the background.
    imports: std::sync::Arc<pages::import::Jobs>,
    /// The administration's identity provider, when sign-in through it is configured.
    pub oidc: Option<std::sync::Arc<oidc::Oidc>>,
    /// Where uploaded records are kept for recomputation; `None` (the default) keeps none.
    pub keep_records: Option<zielwerk_app::own_records::Kept>,
}

/// How long requests may take: imports of large files get longer than pages.
#[derive(Debug, Clone, Copy)]
pub struct TimeLimits {
    pub page: Duration,
    pub import: Duration,
    /// How long a page waits for the assessment of data that just changed before it shows the
    /// last one (and says so).
    pub assessment: Duration,
}

impl Default for TimeLimits {
    fn default() -> Self {
        Self {
            page: Duration::from_secs(30),
            import: Duration::from_secs(600),
            assessment: Duration::from_millis(700),
        }
    }
}

impl AppState {
    pub fn new(store: Store) -> Self {
        Self {
            assessments: zielwerk_app::assessments::Assessments::new(store.clone()),
            store,
            pages: Default::default(),
            login_secret: Default::default(),
            secure_cookies: false,
            public_url: None,
            time_limits: TimeLimits::default(),
            imports: Default::default(),
            oidc: None,
            keep_records: None,
        }
    }
}

const CSS: &str = include_str!("../static/style.css");

/// The whole application as a router.
pub fn router(state: AppState) -> Router {
    let limits = state.time_limits;
    // Forms post to this site only; signing out of an identity provider's account ends in a
    // redirect to the provider's logout page, which the browser checks against form-action too.
    let form_action = match state.oidc.as_ref().and_then(|o| o.origin()) {
        Some(provider) => format!("'self' {provider}"),
        None => "'self'".to_owned(),
    };
    let csp = HeaderValue::from_str(&format!(
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
    ))
    .expect("an origin is a valid header value");
    let security = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            header::HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            header::HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=(), payment=()",
        ),
    ];
    let pages = Router::new()
        .route(paths::Home::PATH, get(pages::index))
        .route("/health", get(|| async { "ok" }))
        .route("/static/style.css", get(css))
        .route(
            paths::SignIn::PATH,
            get(pages::account::login_form).post(pages::account::login),
        )
        .route(paths::SignOut::PATH, post(pages::account::logout))
        .route(
            paths::ExternalSignIn::PATH,
            get(pages::account::external_start),
        )
        .route(
            paths::ExternalReturn::PATH,
            get(pages::account::external_return),
        )
        .route(
            paths::Users::PATH,
            get(pages::users::list).post(pages::users::add),
        )
        .route(
            paths::User::PATH,
            get(pages::users::edit_form).post(pages::users::edit),
        )
        .route(
            paths::Password::PATH,
            get(pages::account::password_form).post(pages::account::change_password),
        )
        .route(
            paths::Tokens::PATH,
            get(pages::tokens::list).post(pages::tokens::create),
        )
        .route(paths::RevokeToken::PATH, post(pages::tokens::revoke))
        .route(paths::Regions::PATH, get(pages::regions::index))
        .route(paths::Region::PATH, get(pages::regions::show))
        .route(paths::RegionXlsx::PATH, get(pages::regions::xlsx))
        .route(paths::Import::PATH, get(pages::import::form))
        .route(paths::ImportPreview::PATH, post(pages::import::preview))
        .route(paths::ImportConfirm::PATH, post(pages::import::confirm))
        .route(paths::OwnData::PATH, get(pages::import::own_form))
        .route(
            paths::OwnDataPreview::PATH,
            post(pages::import::own_preview),
        )
        .route(paths::ImportRun::PATH, get(pages::import::progress))
        .layer(DefaultBodyLimit::max(UPLOAD_LIMIT))
        .route(paths::Agreement::PATH, get(pages::overview))
        .route(paths::Annexes::PATH, get(pages::annexes))
        .route(paths::ExportToml::PATH, get(pages::export_toml))
        .route(paths::Goal::PATH, get(pages::goal))
        .route(
            paths::EditGoal::PATH,
            get(pages::trust::edit_goal_form).post(pages::trust::edit_goal),
        )
        .route(paths::GoalAudit::PATH, get(pages::trust::goal_audit))
        .route(
            paths::EditMeasure::PATH,
            get(pages::trust::edit_measure_form).post(pages::trust::edit_measure),
        )
        .route(
            paths::AgreementAudit::PATH,
            get(pages::trust::agreement_audit),
        )
        .route(paths::Signing::PATH, get(pages::trust::signing))
        .route(paths::Sign::PATH, post(pages::trust::sign))
        .route(paths::Nachtrag::PATH, post(pages::trust::open_nachtrag))
        .route(paths::NextYear::PATH, post(pages::trust::prepare_next_year))
        .route(paths::Reports::PATH, get(pages::reports::list))
        .route(paths::NewVorlage::PATH, post(pages::reports::create))
        .route(paths::Monitoring::PATH, get(pages::reports::monitoring))
        .route(
            paths::MonitoringPdf::PATH,
            get(pages::reports::monitoring_pdf),
        )
        .route(paths::FiguresXlsx::PATH, get(pages::reports::figures_xlsx))
        .route(
            paths::PeriodReport::PATH,
            get(pages::reports::period_report),
        )
        .route(
            paths::Vorlage::PATH,
            get(pages::reports::edit).post(pages::reports::save),
        )
        .route(paths::PublishVorlage::PATH, post(pages::reports::publish))
        .route(paths::VorlageDocument::PATH, get(pages::reports::document))
        .route(paths::Comments::PATH, post(pages::meetings::comment))
        .route(
            paths::RemoveGoal::PATH,
            get(pages::drafting::remove_form).post(pages::drafting::remove),
        )
        .route(
            paths::AddGoal::PATH,
            get(pages::drafting::form).post(pages::drafting::save),
        )
        .route(paths::Draft::PATH, get(pages::elements::draft))
        .route(
            paths::AddMeasure::PATH,
            get(pages::trust::add_measure_form).post(pages::trust::add_measure),
        )
        .route(
            paths::RemoveMeasure::PATH,
            get(pages::elements::remove_measure_form).post(pages::elements::remove_measure),
        )
        .route(
            paths::EditArea::PATH,
            get(pages::elements::edit_area_form).post(pages::elements::edit_area),
        )
        .route(
            paths::RemoveArea::PATH,
            get(pages::elements::remove_area_form).post(pages::elements::remove_area),
        )
        .route(
            paths::EditIndicator::PATH,
            get(pages::elements::edit_indicator_form).post(pages::elements::edit_indicator),
        )
        .route(
            paths::RemoveIndicator::PATH,
            get(pages::elements::remove_indicator_form).post(pages::elements::remove_indicator),
        )
        .route(
            paths::EnterValue::PATH,
            get(pages::entry::form).post(pages::entry::save),
        )
        .route(
            paths::Meetings::PATH,
            get(pages::meetings::list).post(pages::meetings::create),
        )
        .route(
            paths::Meeting::PATH,
            get(pages::meetings::show).post(pages::meetings::update),
        )
        .route(paths::AgendaItems::PATH, post(pages::meetings::add_item))
        .route(paths::MoveItem::PATH, post(pages::meetings::move_item))
        .route(paths::Appraise::PATH, post(pages::meetings::appraise))
        .route(paths::Decisions::PATH, post(pages::meetings::decide))
        .route(paths::Minutes::PATH, get(pages::meetings::minutes))
        .route(paths::ActionStatus::PATH, post(pages::meetings::set_status))
        .route(paths::Actions::PATH, get(pages::meetings::actions))
        // Rejections of the extractors above (a form or query that does not deserialize) are
        // answered in German; OParl answers its own as problem+json.
        .layer(axum::middleware::map_response(error::german_rejections))
        .nest("/oparl/v1", pages::oparl::router())
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
        .with_state(state.clone());
    // The API authenticates its own requests (token or session with CSRF header) and answers
    // as problem+json; the pages' sign-in redirect and form check do not apply to it. Its
    // routes are matched first, everything else goes to the pages.
    let mut app = api::router(state.clone())
        .layer(DefaultBodyLimit::max(UPLOAD_LIMIT))
        .with_state(state)
        .fallback_service(pages);
    app = app.layer(SetResponseHeaderLayer::if_not_present(
        header::CONTENT_SECURITY_POLICY,
        csp,
    ));
    for (name, value) in security {
        app = app.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ));
    }
    app.layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn_with_state(limits, time_limit))
        .layer(TraceLayer::new_for_http())
}

/// The largest file an upload may carry: a file of a million rows of the long format (about
/// 65 MB) fits, with room for wider rows.
pub const UPLOAD_LIMIT: usize = 128 * 1024 * 1024;

/// Ends a request that takes longer than its limit with a German page (408). An import that is
/// stopped this way is rolled back whole: its transaction ends with the request.
async fn time_limit(
    axum::extract::State(limits): axum::extract::State<TimeLimits>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let path = req.uri().path();
    let limit = if path.starts_with("/import/")
        || path.starts_with("/api/v1/werte")
        || path.starts_with("/api/v1/eigene-daten")
    {
        limits.import
    } else {
        limits.page
    };
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => {
            let mut r = error::WebError::TimedOut(format!(
                "Die Anfrage dauerte länger als {} und wurde abgebrochen. Bitte versuchen Sie es erneut.",
                zielwerk_domain::format::counted(
                    usize::try_from(limit.as_secs().max(1)).unwrap_or(usize::MAX),
                    "Sekunde",
                    "Sekunden"
                )
            ))
            .into_response();
            r.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            r
        }
    }
}

async fn css() -> impl axum::response::IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
}

/// Serves `state` on `listener` until Ctrl-C.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
