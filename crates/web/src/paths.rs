//! Every path of the pages, once: the router registers `PATH`, code and templates build links
//! with `url(…)`. A route renamed here changes every link to it; a link to a path that does
//! not exist cannot be written. (The API's paths are in `api/`, from its OpenAPI annotations.)

/// Defines a path: its pattern for the router and a function that fills it.
macro_rules! paths {
    ($( $(#[$doc:meta])* $name:ident = $pattern:literal $(, $field:ident)* ; )*) => {
        $(
            $(#[$doc])*
            pub struct $name;

            impl $name {
                /// The pattern the router registers.
                pub const PATH: &'static str = $pattern;

                /// The path with its parameters filled in.
                #[allow(clippy::too_many_arguments)]
                pub fn url($($field: impl std::fmt::Display),*) -> String {
                    #[allow(unused_mut)]
                    let mut out = Self::PATH.to_owned();
                    $(
                        out = out.replace(
                            concat!("{", stringify!($field), "}"),
                            &segment(&$field.to_string()),
                        );
                    )*
                    out
                }
            }
        )*
    };
}

/// A value as one path segment: ids, keys, logins and file names are URL-safe already; anything
/// else is percent-encoded, so that a value never adds a segment.
fn segment(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'@' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

paths! {
    /// The start page.
    Home = "/";
    SignIn = "/anmelden";
    SignOut = "/abmelden";
    /// Sign-in through the identity provider (OpenID Connect): off to it, and back.
    ExternalSignIn = "/anmelden/extern";
    ExternalReturn = "/anmelden/extern/rueckkehr";
    Users = "/verwaltung/benutzer";
    User = "/verwaltung/benutzer/{login}", login;
    Password = "/konto/passwort";
    Tokens = "/konto/api-schluessel";
    RevokeToken = "/konto/api-schluessel/{id}/widerrufen", id;
    /// The Länder and the Bund.
    Regions = "/regionen";
    /// A Land or the Bund with its Kreise, or a Kreis with its comparisons.
    Region = "/regionen/{id}", id;
    /// A Land view as an Excel workbook (the same query as the page).
    RegionXlsx = "/regionen/{id}/werte.xlsx", id;
    Import = "/import";
    ImportPreview = "/import/vorschau";
    ImportConfirm = "/import/bestaetigen";
    /// The Jobcenter's records and the Kreis's case lists, counted into figures.
    OwnData = "/import/eigene-daten";
    OwnDataPreview = "/import/eigene-daten/vorschau";
    /// A large file being imported in the background: its progress, then its result.
    ImportRun = "/import/lauf/{id}", id;
    /// An agreement's overview.
    Agreement = "/vereinbarungen/{id}", id;
    Annexes = "/vereinbarungen/{id}/anlagen", id;
    ExportToml = "/vereinbarungen/{id}/export.toml", id;
    Goal = "/vereinbarungen/{id}/ziele/{goal}", id, goal;
    /// A new goal for an unsigned agreement.
    AddGoal = "/vereinbarungen/{id}/ziel-hinzufuegen", id;
    EditGoal = "/vereinbarungen/{id}/ziele/{goal}/bearbeiten", id, goal;
    /// Removing a goal from a draft, after a confirmation.
    RemoveGoal = "/vereinbarungen/{id}/ziele/{goal}/entfernen", id, goal;
    GoalAudit = "/vereinbarungen/{id}/ziele/{goal}/protokoll", id, goal;
    Comments = "/vereinbarungen/{id}/ziele/{goal}/anmerkungen", id, goal;
    /// A value entered by hand for a goal's indicator.
    EnterValue = "/vereinbarungen/{id}/ziele/{goal}/wert", id, goal;
    EditMeasure = "/vereinbarungen/{id}/massnahmen/{measure}/bearbeiten", id, measure;
    /// Every part of a draft, with the links to change each.
    Draft = "/vereinbarungen/{id}/entwurf", id;
    AddMeasure = "/vereinbarungen/{id}/massnahme-hinzufuegen", id;
    RemoveMeasure = "/vereinbarungen/{id}/massnahmen/{measure}/entfernen", id, measure;
    EditArea = "/vereinbarungen/{id}/bereiche/{area}/bearbeiten", id, area;
    RemoveArea = "/vereinbarungen/{id}/bereiche/{area}/entfernen", id, area;
    EditIndicator = "/vereinbarungen/{id}/kennzahlen/{code}/bearbeiten", id, code;
    RemoveIndicator = "/vereinbarungen/{id}/kennzahlen/{code}/entfernen", id, code;
    AgreementAudit = "/vereinbarungen/{id}/protokoll", id;
    Signing = "/vereinbarungen/{id}/unterzeichnung", id;
    Sign = "/vereinbarungen/{id}/unterzeichnen", id;
    Nachtrag = "/vereinbarungen/{id}/nachtrag", id;
    /// Prepares next year's agreement from this one.
    NextYear = "/vereinbarungen/{id}/folgejahr", id;
    Reports = "/vereinbarungen/{id}/berichte", id;
    NewVorlage = "/vereinbarungen/{id}/vorlagen", id;
    Monitoring = "/vereinbarungen/{id}/monitoring", id;
    MonitoringPdf = "/vereinbarungen/{id}/monitoring.pdf", id;
    FiguresXlsx = "/vereinbarungen/{id}/werte.xlsx", id;
    PeriodReport = "/vereinbarungen/{id}/berichte/{file}", id, file;
    Meetings = "/vereinbarungen/{id}/sitzungen", id;
    Vorlage = "/vorlagen/{vid}", vid;
    PublishVorlage = "/vorlagen/{vid}/veroeffentlichen", vid;
    VorlageDocument = "/vorlagen/{vid}/{file}", vid, file;
    Meeting = "/sitzungen/{mid}", mid;
    AgendaItems = "/sitzungen/{mid}/tagesordnung", mid;
    MoveItem = "/sitzungen/{mid}/tagesordnung/{item}/verschieben", mid, item;
    Appraise = "/sitzungen/{mid}/tagesordnung/{item}/wuerdigung", mid, item;
    Decisions = "/sitzungen/{mid}/beschluesse", mid;
    Minutes = "/sitzungen/{mid}/{file}", mid, file;
    ActionStatus = "/aufgaben/{aid}/status", aid;
    Actions = "/jobcenter/{ba}/aufgaben", ba;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_fill_their_parameters_and_encode_what_is_not_safe() {
        assert_eq!(
            Goal::url("t36402-2022-v1", "k2"),
            "/vereinbarungen/t36402-2022-v1/ziele/k2"
        );
        assert_eq!(Home::url(), "/");
        assert_eq!(
            User::url("k.mueller@kreis"),
            "/verwaltung/benutzer/k.mueller@kreis"
        );
        assert_eq!(Agreement::url("a/b?c"), "/vereinbarungen/a%2Fb%3Fc");
        assert_eq!(
            Minutes::url("m1", "niederschrift.pdf"),
            "/sitzungen/m1/niederschrift.pdf"
        );
    }
}
