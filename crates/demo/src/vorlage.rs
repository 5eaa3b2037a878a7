//! The demo's committee paper: a Sachstandsbericht of the Sozialamt to the Sozialausschuss in the
//! form of the seed paper (Vorlage 50/003/2022), reporting the state of the 2022 agreement as of
//! September 2022. The occasion text follows the seed paper.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use zielwerk_domain::{Agreement, Consultation, DecisionKind, VorlageHeader, YearMonth};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

const OCCASION: &str = "\
Für das Jahr 2022 haben der Kreis Mettmann, die Agentur für Arbeit und das Jobcenter ME-aktiv die \
der Anlage 1 zu entnehmende Trilaterale Zielvereinbarung abgeschlossen. Die kommunalen Ziele und \
Zielwerte sind auf konkrete Leistungsbereiche des Kreises Mettmann als kommunaler Träger der \
gemeinsamen Einrichtung gerichtet, an deren Optimierung gemeinsam gearbeitet werden soll.

In diesem Jahr liegt der Fokus wieder auf der Entwicklung der Kosten der Unterkunft. Der fallende \
Trend bei der Entwicklung der Bedarfsgemeinschaften bei vergleichsweise hohen Kosten der Unterkunft \
begründet das Wiederaufgreifen des Themas und die Prüfung von Möglichkeiten der Gegensteuerung.

Im Bereich der kommunalen Eingliederungsleistungen nach § 16a SGB II werden die Optimierungsansätze \
weiterverfolgt, mit einer Fokussierung auf die Suchtberatung. Bei den Leistungen zur Bildung und \
Teilhabe gilt weiterhin: Kein Kind bleibt ohne die ihm zustehende Leistung. Mit der Zielformulierung \
zum Kommunalen Integrationsmanagement werden erste Meilensteine zur Zusammenarbeit gesetzt.

Die Nachhaltung der Ziele erfolgt über etablierte und neu vereinbarte Berichtsformate. In \
regelmäßigen Gesprächen zwischen den Trägern Kreis und BA und der Geschäftsführung des Jobcenters \
werden Teilziele gewürdigt und Steuerungsbedarfe erörtert. Dieser Bericht gibt den Stand zum \
Ende des dritten Quartals wieder. In dem in Anlage 2 beigefügten lokalen Planungsdokument hat das \
Jobcenter ME-aktiv weitere Zielsetzungen, Handlungsansätze und Wirkungserwartungen formuliert.";

/// The demo Vorlage for the Mettmann agreement.
pub fn mettmann_vorlage(agreement: &Agreement) -> VorlageHeader {
    let mut notes = BTreeMap::new();
    notes.insert(
        "kdu".to_owned(),
        "Seit Juni 2022 wechseln Geflüchtete aus der Ukraine in die Grundsicherung; Zahl der \
         Bedarfsgemeinschaften und Kosten der Unterkunft steigen dadurch. Die Träger prüfen im \
         Zielnachhaltedialog, ob der Zielwert angepasst werden soll."
            .to_owned(),
    );
    notes.insert(
        "sucht".to_owned(),
        "Die Zuweisungen in die Suchtberatung bleiben hinter dem Plan zurück. Das Jobcenter \
         schult die Integrationsfachkräfte im vierten Quartal zur Ansprache von Suchtthemen."
            .to_owned(),
    );
    VorlageHeader {
        number: "50/058/2022".into(),
        bearbeiter: "Martin Klemmer".into(),
        consultations: vec![Consultation {
            committee: "Sozialausschuss".into(),
            date: date(2022, 11, 24),
            decision: DecisionKind::Kenntnisnahme,
        }],
        occasion: OCCASION.into(),
        area_notes: notes
            .into_iter()
            .filter(|(k, _)| agreement.areas.iter().any(|a| a.key.as_str() == k))
            .collect(),
        as_of: YearMonth::new(2022, 9).ok(),
        ..VorlageHeader::draft(agreement, date(2022, 11, 8))
    }
}
