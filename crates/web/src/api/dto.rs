//! The API's JSON, field names in German as the pages say them. These types are the contract:
//! a change here changes `openapi.json`, whose snapshot test makes it a reviewed change.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zielwerk_app::reads::{Assessed, GoalReport, SeriesPoint, SeriesReport};
use zielwerk_domain::Agreement;

/// The API's token for a goal's status (German, like every field).
fn status_token(s: zielwerk_domain::Status) -> &'static str {
    use zielwerk_domain::Status as S;
    match s {
        S::OnTrack => "im-plan",
        S::AtRisk => "gefaehrdet",
        S::Missed => "verfehlt",
        S::NoData => "keine-daten",
    }
}

/// The API's token for a value's status, as the import formats accept it back.
fn value_status_token(s: zielwerk_domain::ValueStatus) -> &'static str {
    match s {
        zielwerk_domain::ValueStatus::Projected => "vorlaeufig",
        zielwerk_domain::ValueStatus::Final => "endgueltig",
        zielwerk_domain::ValueStatus::Own => "eigene_daten",
    }
}

/// The API's token for an agreement's status.
fn agreement_status_token(s: zielwerk_domain::AgreementStatus) -> &'static str {
    use zielwerk_domain::AgreementStatus as A;
    match s {
        A::Draft => "entwurf",
        A::Negotiating => "in-verhandlung",
        A::Signed => "unterzeichnet",
    }
}

/// Eine Seite einer Liste.
#[derive(Debug, Serialize, ToSchema)]
pub struct Paged<T> {
    pub seite: u64,
    pub pro_seite: u64,
    /// Einträge insgesamt, über alle Seiten.
    pub gesamt: u64,
    pub eintraege: Vec<T>,
}

/// Eine Vereinbarung in der Liste.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementSummary {
    /// z. B. t36402-2022-1
    pub id: String,
    pub jobcenter: String,
    pub jobcenter_name: String,
    pub jahr: i32,
    pub version: u32,
    /// entwurf, in-verhandlung oder unterzeichnet
    pub status: String,
    pub status_text: String,
    pub titel: String,
    pub ziele: i64,
}

impl From<zielwerk_store::AgreementSummary> for AgreementSummary {
    fn from(a: zielwerk_store::AgreementSummary) -> Self {
        Self {
            id: a.key.to_string(),
            jobcenter: a.jobcenter.to_string(),
            jobcenter_name: a.jobcenter_name,
            jahr: a.year,
            version: a.version,
            status: agreement_status_token(a.status).into(),
            status_text: a.status.label_de().into(),
            titel: a.title,
            ziele: a.goals,
        }
    }
}

/// Die Prognose zum Jahresende.
#[derive(Debug, Serialize, ToSchema)]
pub struct Forecast {
    pub wert: f64,
    /// Untergrenze des 80-%-Intervalls.
    pub untergrenze: f64,
    /// Obergrenze des 80-%-Intervalls.
    pub obergrenze: f64,
    /// Wahrscheinlichkeit, das Ziel zu erreichen, 0 bis 1.
    pub wahrscheinlichkeit: f64,
    /// Das Verfahren in wenigen Worten; null, wenn der Dezember schon vorliegt.
    pub verfahren: Option<String>,
    /// Welches Verfahren und warum, in ganzen Sätzen (wie auf der Zielseite); null, wenn der
    /// Dezember schon vorliegt.
    pub verfahren_begruendung: Option<String>,
}

/// Ein Ziel zum Berichtsmonat.
#[derive(Debug, Serialize, ToSchema)]
pub struct GoalState {
    pub schluessel: String,
    pub bereich: String,
    pub titel: String,
    pub kennzahl: String,
    /// kreis, agentur oder jobcenter
    pub verantwortlich: String,
    /// im-plan, gefaehrdet, verfehlt oder keine-daten
    pub status: String,
    /// im Plan, gefährdet, verfehlt, keine Daten
    pub status_text: String,
    /// Die Regel, die entschieden hat.
    pub begruendung: String,
    /// Der Monat des Werts (JJJJ-MM).
    pub monat: Option<String>,
    pub wert: Option<f64>,
    /// Das Soll bis zu diesem Monat (bei Strömen: Summe seit Januar).
    pub soll_bis_dahin: Option<f64>,
    pub toleranz: Option<f64>,
    /// Das Jahresziel (Soll im Dezember); null bei Meilensteinen.
    pub jahresziel: Option<f64>,
    /// null bei Meilensteinen und wenn keine Prognose möglich ist (siehe prognose_hinweis).
    pub prognose: Option<Forecast>,
    /// Warum es keine Prognose gibt.
    pub prognose_hinweis: Option<String>,
}

impl From<GoalReport> for GoalState {
    fn from(g: GoalReport) -> Self {
        let (prognose, prognose_hinweis) = match g.forecast {
            None => (None, None),
            Some(Ok(f)) => (
                Some(Forecast {
                    wert: f.point,
                    untergrenze: f.lower,
                    obergrenze: f.upper,
                    wahrscheinlichkeit: f.probability,
                    verfahren: f.method,
                    verfahren_begruendung: f.method_reason,
                }),
                None,
            ),
            Some(Err(why)) => (None, Some(why)),
        };
        Self {
            schluessel: g.key.to_string(),
            bereich: g.area.to_string(),
            titel: g.title,
            kennzahl: g.indicator.to_string(),
            verantwortlich: g.responsible.as_str().into(),
            status: status_token(g.status).into(),
            status_text: g.status.label_de().into(),
            begruendung: g.reason,
            monat: g.month.map(|m| m.to_string()),
            wert: g.value,
            soll_bis_dahin: g.target_to_date,
            toleranz: g.tolerance,
            jahresziel: g.year_target,
            prognose,
            prognose_hinweis,
        }
    }
}

/// Eine Vereinbarung mit ihren Zielen zum Berichtsmonat.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementReport {
    pub id: String,
    pub jobcenter: String,
    pub jobcenter_name: String,
    pub jahr: i32,
    pub version: u32,
    /// entwurf, in-verhandlung oder unterzeichnet
    pub status: String,
    pub titel: String,
    /// Der Berichtsmonat (JJJJ-MM).
    pub stand: String,
    /// Wann Bewertung und Prognosen berechnet wurden (RFC 3339).
    pub berechnet_am: String,
    /// `false`, solange neue Werte eingerechnet werden: dann ist dies die letzte Bewertung, mit
    /// den Werten von damals.
    pub aktuell: bool,
    pub ziele: Vec<GoalState>,
}

impl AgreementReport {
    pub fn new(a: &Assessed, goals: Vec<GoalReport>) -> Self {
        let ag = a.agreement();
        Self {
            id: ag.key().to_string(),
            jobcenter: ag.jobcenter.ba_id.to_string(),
            jobcenter_name: ag.jobcenter.name.clone(),
            jahr: ag.year,
            version: ag.version,
            status: agreement_status_token(ag.status).into(),
            titel: ag.title.clone(),
            stand: a.as_of.to_string(),
            berechnet_am: a.snapshot.computed_at.to_rfc3339(),
            aktuell: a.current,
            ziele: goals.into_iter().map(GoalState::from).collect(),
        }
    }
}

/// Ein Ziel mit der Monatsreihe seiner Kennzahl.
#[derive(Debug, Serialize, ToSchema)]
pub struct GoalDetail {
    pub vereinbarung: String,
    #[serde(flatten)]
    pub ziel: GoalState,
    pub kennzahl_name: String,
    pub einheit: String,
    pub werte: Vec<SeriesValue>,
}

impl GoalDetail {
    pub fn new(a: &Agreement, g: GoalReport, s: &SeriesReport) -> Self {
        Self {
            vereinbarung: a.key().to_string(),
            ziel: g.into(),
            kennzahl_name: s.indicator.name.clone(),
            einheit: s.indicator.unit.label_de().into(),
            werte: s.points.iter().map(SeriesValue::from).collect(),
        }
    }
}

/// Ein Monat einer Kennzahlreihe.
#[derive(Debug, Serialize, ToSchema)]
pub struct SeriesValue {
    /// JJJJ-MM
    pub monat: String,
    pub wert: f64,
    pub zaehler: Option<f64>,
    pub nenner: Option<f64>,
    /// vorlaeufig, endgueltig oder eigene_daten (aus eigenen Daten des Jobcenters)
    pub status: String,
    /// Der jüngste Datenstand der Werte, aus denen er stammt (JJJJ-MM-TT).
    pub datenstand: Option<String>,
    pub quellen: Vec<String>,
}

impl From<&SeriesPoint> for SeriesValue {
    fn from(p: &SeriesPoint) -> Self {
        Self {
            monat: p.month.to_string(),
            wert: p.value,
            zaehler: p.numerator,
            nenner: p.denominator,
            status: value_status_token(p.status).into(),
            datenstand: p.datenstand.map(|d| d.to_string()),
            quellen: p.sources.clone(),
        }
    }
}

/// Die Kennzahl einer Reihe.
#[derive(Debug, Serialize, ToSchema)]
pub struct SeriesHead {
    pub vereinbarung: String,
    pub kennzahl: String,
    pub name: String,
    pub einheit: String,
}

impl From<&SeriesReport> for SeriesHead {
    fn from(s: &SeriesReport) -> Self {
        Self {
            vereinbarung: s.agreement.to_string(),
            kennzahl: s.indicator.code.to_string(),
            name: s.indicator.name.clone(),
            einheit: s.indicator.unit.label_de().into(),
        }
    }
}

/// Eine Seite einer Kennzahlreihe.
#[derive(Debug, Serialize, ToSchema)]
pub struct PagedSeries {
    #[serde(flatten)]
    pub kennzahl: SeriesHead,
    pub seite: u64,
    pub pro_seite: u64,
    pub gesamt: u64,
    pub eintraege: Vec<SeriesValue>,
}

impl PagedSeries {
    pub fn new(head: SeriesHead, p: Paged<SeriesValue>) -> Self {
        Self {
            kennzahl: head,
            seite: p.seite,
            pro_seite: p.pro_seite,
            gesamt: p.gesamt,
            eintraege: p.eintraege,
        }
    }
}

/// Ein Steuerungsgespräch.
#[derive(Debug, Serialize, ToSchema)]
pub struct Meeting {
    pub id: String,
    pub vereinbarung: String,
    pub art: String,
    pub titel: String,
    /// JJJJ-MM-TT
    pub datum: String,
    /// Der Berichtsmonat, dessen Zahlen besprochen werden (JJJJ-MM).
    pub berichtsmonat: String,
    pub ort: String,
    pub revision: i64,
}

impl From<&zielwerk_store::StoredMeeting> for Meeting {
    fn from(m: &zielwerk_store::StoredMeeting) -> Self {
        Self {
            id: m.id.clone(),
            vereinbarung: m.agreement.to_string(),
            art: m.header.kind.as_str().into(),
            titel: m.header.display_title(),
            datum: m.header.date.to_string(),
            berichtsmonat: m.header.month.to_string(),
            ort: m.header.place.clone(),
            revision: m.revision,
        }
    }
}

/// Eine Aufgabe aus einem Beschluss.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionItem {
    pub id: String,
    pub vereinbarung: String,
    pub sitzung: String,
    pub was: String,
    /// kreis, agentur oder jobcenter
    pub verantwortlich: String,
    pub person: String,
    /// JJJJ-MM-TT
    pub faellig: String,
    /// offen, in-arbeit, erledigt oder verworfen
    pub status: String,
    pub ziel: Option<String>,
    pub handlungsansatz: Option<String>,
    /// Für die nächste Änderung des Stands mitzuschicken.
    pub revision: i64,
}

impl From<&zielwerk_store::StoredAction> for ActionItem {
    fn from(a: &zielwerk_store::StoredAction) -> Self {
        Self {
            id: a.id.clone(),
            vereinbarung: a.agreement.to_string(),
            sitzung: a.meeting_id.clone(),
            was: a.item.what.clone(),
            verantwortlich: a.item.owner_party.as_str().into(),
            person: a.item.owner_person.clone(),
            faellig: a.item.due.to_string(),
            status: a.item.status.as_str().into(),
            ziel: a.item.goal.as_ref().map(ToString::to_string),
            handlungsansatz: a.item.measure.as_ref().map(ToString::to_string),
            revision: a.revision,
        }
    }
}

/// Den Stand einer Aufgabe ändern.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetActionStatus {
    /// offen, in-arbeit, erledigt oder verworfen
    pub status: String,
    /// Vermerk, höchstens 1000 Zeichen.
    #[serde(default)]
    pub vermerk: Option<String>,
    /// Die Sitzung, in der die Änderung festgehalten wird (desselben Jobcenters).
    #[serde(default)]
    pub sitzung: Option<String>,
    /// Die zuletzt gelesene Revision der Aufgabe.
    pub revision: i64,
}

/// Gespeichert.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionStatusChanged {
    pub aufgabe: String,
    /// Die neue Revision.
    pub revision: i64,
}

/// Eine Datei einer veröffentlichten Vorlage.
#[derive(Debug, Serialize, ToSchema)]
pub struct VorlageFile {
    pub name: String,
    pub titel: String,
    pub typ: String,
    pub groesse: i64,
    /// SHA-256 des Inhalts (hex).
    pub sha256: String,
    /// Pfad zum Herunterladen über die API.
    pub pfad: String,
}

/// Eine Vorlage an den Ausschuss.
#[derive(Debug, Serialize, ToSchema)]
pub struct Vorlage {
    pub id: String,
    pub vereinbarung: String,
    pub nummer: String,
    pub titel: String,
    /// entwurf oder veroeffentlicht
    pub status: String,
    /// Zeitpunkt der Veröffentlichung (RFC 3339).
    pub veroeffentlicht: Option<String>,
    pub dateien: Vec<VorlageFile>,
}

impl Vorlage {
    pub fn new(v: &zielwerk_store::StoredVorlage, files: &[zielwerk_store::FileMeta]) -> Self {
        Self {
            id: v.id.clone(),
            vereinbarung: v.agreement.to_string(),
            nummer: v.header.number.clone(),
            titel: v.header.title.clone(),
            status: if v.published_at.is_some() {
                "veroeffentlicht"
            } else {
                "entwurf"
            }
            .into(),
            veroeffentlicht: v.published_at.clone(),
            dateien: files
                .iter()
                .map(|f| VorlageFile {
                    name: f.name.clone(),
                    titel: f.title.clone(),
                    typ: f.mime_type.clone(),
                    groesse: f.size,
                    sha256: f.sha512.clone(),
                    pfad: format!("/api/v1/vorlagen/{}/dateien/{}", v.id, f.name),
                })
                .collect(),
        }
    }
}

/// Ein Eintrag des Änderungsprotokolls.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    pub nr: i64,
    /// RFC 3339
    pub zeit: String,
    pub wer: String,
    /// Stabiler Schlüssel, z. B. goal.edit
    pub aktion: String,
    pub aktion_text: String,
    pub gegenstand: String,
    pub ziel: Option<String>,
    pub kennzahl: Option<String>,
    /// Zustand vorher (JSON als Text).
    pub vorher: Option<String>,
    /// Zustand nachher (JSON als Text).
    pub nachher: Option<String>,
    /// Prüfsumme der Kette.
    pub hash: String,
}

impl From<&zielwerk_store::AuditEvent> for AuditEntry {
    fn from(e: &zielwerk_store::AuditEvent) -> Self {
        Self {
            nr: e.seq,
            zeit: e.at.clone(),
            wer: e.actor.clone(),
            aktion: e.action.clone(),
            aktion_text: e.action_de().into(),
            gegenstand: e.subject.clone(),
            ziel: e.goal.clone(),
            kennzahl: e.indicator.clone(),
            vorher: e.before.clone(),
            nachher: e.after.clone(),
            hash: e.hash.clone(),
        }
    }
}

/// Werte im Format der langen CSV-Datei, Zahlen als Zahlen (siehe docs/import-format.md).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ValueDelivery {
    #[schema(value_type = Vec<ValueRecord>)]
    pub werte: Vec<zielwerk_app::values::ValueRecord>,
}

/// Ein Wert.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // The schema of `zielwerk_app::values::ValueRecord`, for the contract.
pub struct ValueRecord {
    /// BA-Kennung, z. B. t36402
    jobcenter: String,
    /// Code der Kennzahl, z. B. K2_Z
    kennzahl: String,
    /// JJJJ-MM
    monat: String,
    /// Der Wert; oder zaehler und nenner.
    wert: Option<f64>,
    zaehler: Option<f64>,
    nenner: Option<f64>,
    /// vorlaeufig, endgueltig oder eigene_daten (aus eigenen Daten des Jobcenters)
    status: String,
    /// TT.MM.JJJJ oder JJJJ-MM-TT
    datenstand: String,
    /// Klasse einer Aufschlüsselung, z. B. hh:1
    aufschluesselung: Option<String>,
}

/// Dateien mit Datensätzen des Jobcenters oder Falllisten des Kreises (docs/records.md); die
/// Art jeder Datei steht am Anfang ihres Namens (z. B. but_antraege.csv).
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // The schema of a multipart body; the handler reads the parts one by one.
pub struct OwnDataUpload {
    /// Die Dateien (das Feld mehrfach).
    #[schema(value_type = Vec<String>, format = Binary)]
    pub dateien: Vec<Vec<u8>>,
    /// Erster Monat, z. B. 2022-07 oder 07.2022
    pub von: String,
    /// Letzter Monat
    pub bis: String,
    /// Der Tag, an dem die Daten ausgelesen wurden: TT.MM.JJJJ oder JJJJ-MM-TT
    pub datenstand: String,
    /// Jobcenter einer Fallliste ohne Spalte jobcenter, z. B. t36402
    pub jobcenter: Option<String>,
}

/// Eine Datei, aus der gerechnet wurde; gespeichert wird nur ihre Prüfsumme.
#[derive(Debug, Serialize, ToSchema)]
pub struct OwnDataFile {
    pub name: String,
    pub sha256: String,
}

/// Kennzahlen, die für diese Monate noch keinen Wert haben, mit dem Grund.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotYetDto {
    /// z. B. „Juli 2022 bis Dezember 2022“
    pub monate: String,
    pub kennzahl: String,
    pub grund: String,
}

/// Berechnete Werte einer Kennzahl, die keine Vereinbarung definiert: nicht gespeichert.
#[derive(Debug, Serialize, ToSchema)]
pub struct UndefinedDto {
    pub kennzahl: String,
    pub werte: u64,
}

/// Was die Berechnung aus eigenen Daten ergab und der Import getan hat (oder, als Vorschau,
/// täte). Die Datensätze selbst werden nicht gespeichert.
#[derive(Debug, Serialize, ToSchema)]
pub struct OwnDataReport {
    /// false für eine Vorschau: nichts wurde gespeichert.
    pub gespeichert: bool,
    /// Berechnete Werte, die eine Vereinbarung definiert
    pub berechnet: u64,
    pub neu: u64,
    pub revidiert: u64,
    pub unveraendert: u64,
    pub aelter: u64,
    /// Neben einem amtlichen Wert nicht übernommen (er bleibt)
    pub neben_amtlichem_wert: u64,
    pub import_kennung: Option<String>,
    /// JJJJ-MM-TT
    pub datenstand: String,
    pub dateien: Vec<OwnDataFile>,
    pub noch_kein_wert: Vec<NotYetDto>,
    pub nicht_definiert: Vec<UndefinedDto>,
    pub hinweise: Vec<super::problem::FieldProblem>,
}

impl OwnDataReport {
    pub fn new(
        f: &zielwerk_app::own_records::OwnFigures,
        undefined: &[(String, usize)],
        r: &zielwerk_importer::Report,
    ) -> Self {
        Self {
            gespeichert: r.committed,
            berechnet: r.accepted.rows,
            neu: r.outcome.inserted,
            revidiert: r.outcome.revised,
            unveraendert: r.outcome.unchanged,
            aelter: r.outcome.older,
            neben_amtlichem_wert: r.outcome.kept_official,
            import_kennung: r.import_id.clone(),
            datenstand: f.datenstand.to_string(),
            dateien: f
                .files
                .iter()
                .map(|(name, sha256)| OwnDataFile {
                    name: name.clone(),
                    sha256: sha256.clone(),
                })
                .collect(),
            noch_kein_wert: f
                .not_yet_by_span()
                .into_iter()
                .map(|(monate, kennzahl, grund)| NotYetDto {
                    monate,
                    kennzahl,
                    grund,
                })
                .collect(),
            nicht_definiert: undefined
                .iter()
                .map(|(kennzahl, n)| UndefinedDto {
                    kennzahl: kennzahl.clone(),
                    werte: *n as u64,
                })
                .collect(),
            hinweise: r
                .accepted
                .warnings
                .iter()
                .map(|w| {
                    let mut p = super::problem::RowPlace::File.of(w);
                    p.zeile = None;
                    p
                })
                .collect(),
        }
    }
}

/// Was ein Import getan hat (oder, als Vorschau, täte).
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    pub datei: String,
    /// false für eine Vorschau: nichts wurde gespeichert.
    pub gespeichert: bool,
    pub gelesen: u64,
    pub neu: u64,
    /// Neuerer Datenstand; der alte Wert bleibt als Historie.
    pub revidiert: u64,
    pub unveraendert: u64,
    /// Älterer Datenstand: nur als Historie gespeichert.
    pub aelter: u64,
    /// Kennung des Imports, wenn sich etwas geändert hat und gespeichert wurde.
    pub import_kennung: Option<String>,
    pub sha256: String,
    pub hinweise: Vec<super::problem::FieldProblem>,
}

impl ImportReport {
    pub fn new(name: &str, r: &zielwerk_importer::Report, place: super::problem::RowPlace) -> Self {
        Self {
            datei: name.into(),
            gespeichert: r.committed,
            gelesen: r.accepted.rows,
            neu: r.outcome.inserted,
            revidiert: r.outcome.revised,
            unveraendert: r.outcome.unchanged,
            aelter: r.outcome.older,
            import_kennung: r.import_id.clone(),
            sha256: r.accepted.sha256.clone(),
            hinweise: r.accepted.warnings.iter().map(|w| place.of(w)).collect(),
        }
    }
}

/// Eine Anmerkung zu einem Wert.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewComment {
    /// JJJJ-MM im Vereinbarungsjahr
    pub monat: String,
    pub text: String,
    /// Verfasst von; ohne: der Name des Kontos.
    #[serde(default)]
    pub autor: Option<String>,
}

/// Gespeichert.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentCreated {
    pub id: String,
}
