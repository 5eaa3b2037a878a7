//! Sign-in through the administration's identity provider: OpenID Connect, authorization code
//! flow with PKCE, through the `openidconnect` crate (docs/oidc.md).
//!
//! The flow: `/anmelden/extern` discovers the provider (kept ten minutes), makes `state`,
//! `nonce` and a PKCE verifier, keeps them in the database by the SHA-256 of `state`
//! (`sign_in_flow`, ten minutes, taken out by the first return) and sends the browser to the
//! provider. `/anmelden/extern/rueckkehr` takes the flow out by the returned `state` (a replay
//! finds nothing), exchanges the code with the verifier and the client secret, and verifies the
//! ID token: signature against the provider's published keys (fetched again once when the
//! token names a key not yet known: key rotation), issuer, audience, expiry, `nonce`, and
//! `auth_time` against the `max_age` asked for. Who the verified claims are and which grants
//! they give is the application core's (`zielwerk_app::external`); then a session starts as for
//! a password ([`crate::auth::start_session`]). Logging out ends the local session and, when the
//! provider publishes an end-session endpoint, sends the browser there (RP-initiated logout).
//!
//! The client secret is read from a file or the environment and never logged (`Secret`'s
//! `Debug` shows no characters).

use std::sync::Arc;
use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType,
    CoreGenderClaim, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
    CoreRevocableToken, CoreRevocationErrorResponse, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AuthorizationCode, Client, ClientId, ClientSecret, CsrfToken,
    EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet, IdTokenFields, IssuerUrl,
    LogoutRequest, Nonce, PkceCodeChallenge, PkceCodeVerifier, PostLogoutRedirectUrl,
    ProviderMetadataWithLogout, RedirectUrl, Scope, StandardErrorResponse, StandardTokenResponse,
    TokenResponse,
};
use serde::{Deserialize, Serialize};
use zielwerk_app::external::{ExternalIdentity, ExternalPolicy};

/// How long a discovered provider (its endpoints and keys) is used before it is asked again.
const METADATA_SECONDS: u64 = 600;
/// How long a sign-in may stay at the provider.
pub const FLOW_MINUTES: i64 = 10;
/// The `max_age` asked for: a sign-in at the provider older than a session is not taken.
const MAX_AGE_SECONDS: u64 = crate::auth::SESSION_HOURS as u64 * 3600;

/// A secret that never shows in logs or debug output.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: String) -> Self {
        Self(s)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

pub use zielwerk_app::external::LocalSignIn;

/// The identity provider as the installation configures it.
#[derive(Debug, Clone)]
pub struct OidcSettings {
    /// The issuer URL, e.g. `https://login.kreis.example/realms/verwaltung`.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Secret,
    pub policy: ExternalPolicy,
    pub local: LocalSignIn,
    /// The words of the sign-in button, e.g. „Mit dem Konto der Kreisverwaltung anmelden“.
    pub label: String,
}

/// Every claim of the ID token beyond the standard ones (`groups`, `realm_access`, …), kept as
/// they came for the grant mapping.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OtherClaims {
    #[serde(flatten)]
    pub rest: serde_json::Map<String, serde_json::Value>,
}

impl AdditionalClaims for OtherClaims {}

type Fields = IdTokenFields<
    OtherClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type Tokens = StandardTokenResponse<Fields, CoreTokenType>;
type OidcClient = Client<
    OtherClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    Tokens,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Why a sign-in through the provider did not happen, in words for the sign-in page.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The provider could not be reached or described itself wrongly.
    #[error(
        "Die zentrale Anmeldung ist gerade nicht erreichbar ({0}). Bitte versuchen Sie es in einigen Minuten erneut."
    )]
    Unreachable(String),
    /// No sign-in under way with this `state`: used already, expired, or never started here.
    #[error(
        "Diese Anmeldung ist abgelaufen oder wurde schon verwendet. Bitte melden Sie sich erneut an."
    )]
    UnknownFlow,
    /// The provider sent the person back with an error (cancelled, refused).
    #[error("Der Anmeldedienst hat die Anmeldung nicht bestätigt: {0}")]
    Provider(String),
    /// The token endpoint refused the code (used twice, expired, wrong verifier).
    #[error(
        "Der Anmeldedienst hat den Anmeldecode nicht angenommen ({0}). Bitte melden Sie sich erneut an."
    )]
    Code(String),
    /// The ID token did not pass a check.
    #[error(
        "Die Anmeldebestätigung des Anmeldedienstes ist ungültig ({0}); Sie sind nicht angemeldet."
    )]
    Token(String),
}

/// The configured provider, with its discovered metadata.
pub struct Oidc {
    pub settings: OidcSettings,
    http: openidconnect::reqwest::Client,
    metadata: tokio::sync::Mutex<Option<(Arc<ProviderMetadataWithLogout>, Instant)>>,
}

impl std::fmt::Debug for Oidc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oidc")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Oidc {
    pub fn new(settings: OidcSettings) -> Result<Self, String> {
        IssuerUrl::new(settings.issuer.clone())
            .map_err(|e| format!("Aussteller-Adresse „{}“: {e}", settings.issuer))?;
        let http = openidconnect::reqwest::Client::builder()
            // Against SSRF through redirects (the crate's advice).
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            settings,
            http,
            metadata: Default::default(),
        })
    }

    /// The provider's origin (scheme, host, port), for the pages' Content-Security-Policy.
    pub fn origin(&self) -> Option<String> {
        let url = openidconnect::url::Url::parse(&self.settings.issuer).ok()?;
        Some(url.origin().ascii_serialization()).filter(|o| o != "null")
    }

    /// The provider's metadata and keys: kept ones unless `fresh` or older than
    /// [`METADATA_SECONDS`].
    async fn metadata(&self, fresh: bool) -> Result<Arc<ProviderMetadataWithLogout>, Refusal> {
        let mut kept = self.metadata.lock().await;
        if let Some((m, at)) = kept.as_ref()
            && !fresh
            && at.elapsed() < Duration::from_secs(METADATA_SECONDS)
        {
            return Ok(m.clone());
        }
        let issuer = IssuerUrl::new(self.settings.issuer.clone())
            .map_err(|e| Refusal::Unreachable(e.to_string()))?;
        let m = ProviderMetadataWithLogout::discover_async(issuer, &self.http)
            .await
            .map_err(|e| {
                tracing::warn!(issuer = %self.settings.issuer, error = %error_chain(&e), "OpenID discovery failed");
                Refusal::Unreachable(self.settings.issuer.clone())
            })?;
        let m = Arc::new(m);
        *kept = Some((m.clone(), Instant::now()));
        Ok(m)
    }

    fn client(
        &self,
        m: &ProviderMetadataWithLogout,
        redirect: &str,
    ) -> Result<OidcClient, Refusal> {
        let redirect = RedirectUrl::new(redirect.to_owned())
            .map_err(|e| Refusal::Unreachable(format!("Rückkehradresse: {e}")))?;
        let client: OidcClient = Client::from_provider_metadata(
            m.clone(),
            ClientId::new(self.settings.client_id.clone()),
            Some(ClientSecret::new(self.settings.client_secret.0.clone())),
        );
        Ok(client.set_redirect_uri(redirect))
    }

    /// Starts a sign-in: the provider's authorization URL, and what to keep until the browser
    /// returns: (URL, state, nonce, PKCE verifier).
    pub async fn start(&self, redirect: &str) -> Result<(String, String, String, String), Refusal> {
        let m = self.metadata(false).await?;
        let client = self.client(&m, redirect)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("profile".into()))
            .add_scope(Scope::new("email".into()))
            .set_pkce_challenge(challenge)
            .set_max_age(Duration::from_secs(MAX_AGE_SECONDS))
            .url();
        Ok((
            url.to_string(),
            state.secret().clone(),
            nonce.secret().clone(),
            verifier.secret().clone(),
        ))
    }

    /// Finishes a sign-in: exchanges `code` with `verifier` and verifies the ID token against
    /// `nonce`; the person it names.
    pub async fn finish(
        &self,
        redirect: &str,
        code: &str,
        nonce: &str,
        verifier: &str,
    ) -> Result<ExternalIdentity, Refusal> {
        let m = self.metadata(false).await?;
        let client = self.client(&m, redirect)?;
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| Refusal::Unreachable(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|e| {
                tracing::warn!(error = %error_chain(&e), "OpenID token request refused");
                Refusal::Code(token_error(&e))
            })?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| Refusal::Token("keine ID-Token in der Antwort".into()))?;
        let nonce = Nonce::new(nonce.to_owned());
        let check = |client: &OidcClient| {
            let now = chrono::Utc::now();
            let verifier = client
                .id_token_verifier()
                .set_auth_time_verifier_fn(move |auth_time| match auth_time {
                    None => Err("auth_time fehlt, obwohl max_age verlangt war".into()),
                    Some(t) if t > now + chrono::Duration::seconds(60) => {
                        Err("auth_time liegt in der Zukunft".into())
                    }
                    Some(t) if now - t > chrono::Duration::seconds(MAX_AGE_SECONDS as i64 + 60) => {
                        Err("die Anmeldung beim Anmeldedienst liegt zu lange zurück".into())
                    }
                    Some(_) => Ok(()),
                });
            id_token.claims(&verifier, &nonce).cloned()
        };
        let claims = match check(&client) {
            Ok(c) => c,
            // A key not yet known: the provider may have rotated its keys. Asked once more.
            Err(openidconnect::ClaimsVerificationError::SignatureVerification(
                openidconnect::SignatureVerificationError::NoMatchingKey,
            )) => {
                let m = self.metadata(true).await?;
                check(&self.client(&m, redirect)?).map_err(|e| Refusal::Token(claims_error(&e)))?
            }
            Err(e) => {
                tracing::warn!(error = %e, "OpenID ID token refused");
                return Err(Refusal::Token(claims_error(&e)));
            }
        };
        let subject = claims.subject().as_str().to_owned();
        let login = claims
            .preferred_username()
            .map(|u| u.as_str().to_owned())
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| subject.clone());
        let name = claims
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().to_owned())
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| login.clone());
        Ok(ExternalIdentity {
            issuer: claims.issuer().as_str().to_owned(),
            subject,
            login,
            name,
            claims: serde_json::Value::Object(claims.additional_claims().rest.clone()),
        })
    }

    /// Where the browser goes to end the provider's session too, if the provider offers it.
    pub async fn logout_url(&self, after: &str) -> Option<String> {
        let m = self.metadata(false).await.ok()?;
        let end = m.additional_metadata().end_session_endpoint.clone()?;
        let mut request =
            LogoutRequest::from(end).set_client_id(ClientId::new(self.settings.client_id.clone()));
        if let Ok(after) = PostLogoutRedirectUrl::new(after.to_owned()) {
            request = request.set_post_logout_redirect_uri(after);
        }
        Some(request.http_get_url().to_string())
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

/// The token endpoint's refusal in words: its error code where it sent one.
fn token_error<E: std::error::Error>(e: &E) -> String {
    let text = error_chain(e);
    if text.contains("invalid_grant") {
        "ungültig oder schon verwendet".into()
    } else if text.contains("invalid_client") {
        "Zielwerk ist beim Anmeldedienst nicht oder anders registriert".into()
    } else {
        "keine gültige Antwort".into()
    }
}

/// An ID token check that failed, in words.
fn claims_error(e: &openidconnect::ClaimsVerificationError) -> String {
    use openidconnect::ClaimsVerificationError as E;
    match e {
        E::Expired(_) => "abgelaufen".into(),
        E::InvalidAudience(_) => "für eine andere Anwendung ausgestellt".into(),
        E::InvalidIssuer(_) => "von einem anderen Aussteller".into(),
        E::InvalidNonce(_) => "passt nicht zu dieser Anmeldung (nonce)".into(),
        E::SignatureVerification(_) => "Signatur ungültig".into(),
        E::InvalidAuthTime(why) => why.clone(),
        other => other.to_string(),
    }
}
