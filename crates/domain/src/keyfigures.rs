//! The key figures of § 48a SGB II as the Verordnung defines them (version of 15.03.2019), and
//! the components they are computed from.
//!
//! Every key figure is a ratio of stored components; Zielwerk stores the components and computes
//! the figure, never the other way round. Component codes are Zielwerk's names for the BA's
//! counts; an import maps the BA's columns onto them.

use crate::ids::IndicatorCode;
use crate::indicator::{Accumulation, Direction, Formula, Indicator, Unit};

fn code(s: &str) -> IndicatorCode {
    s.parse().expect("catalogue codes are valid")
}

fn component(
    c: &str,
    name: &str,
    unit: Unit,
    accumulation: Accumulation,
    direction: Direction,
) -> Indicator {
    Indicator {
        code: code(c),
        name: name.into(),
        description: String::new(),
        unit,
        direction,
        accumulation,
        formula: Formula::Stored,
        numerator_label: None,
        denominator_label: None,
        comparison: None,
    }
}

fn figure(c: &str, name: &str, direction: Direction, formula: Formula) -> Indicator {
    Indicator {
        code: code(c),
        name: name.into(),
        description: String::new(),
        unit: Unit::Percent,
        direction,
        accumulation: Accumulation::Stock,
        formula,
        numerator_label: None,
        denominator_label: None,
        comparison: None,
    }
}

fn yoy(base: &str) -> Formula {
    Formula::YearOverYear { base: code(base) }
}

fn rolling(n: &str, d: &str) -> Formula {
    Formula::Rolling12 {
        numerator: code(n),
        denominator: code(d),
    }
}

fn rate(n: &str, d: &str, lag: u8) -> Formula {
    Formula::RollingRate {
        numerator: code(n),
        denominator: code(d),
        lag,
    }
}

/// The components (stored monthly) the key figures are computed from.
pub fn components() -> Vec<Indicator> {
    use Accumulation::{Flow, Stock};
    use Direction::{Higher, Lower, Neutral};
    use Unit::{Count, Euro};
    vec![
        component(
            "LLU_SUMME",
            "Summe der Leistungen zum Lebensunterhalt (§§ 20, 21, 23, 24 Abs. 1 SGB II)",
            Euro,
            Flow,
            Lower,
        ),
        component(
            "KDU_SUMME",
            "Summe der Leistungen für Unterkunft und Heizung (§ 22 SGB II)",
            Euro,
            Flow,
            Lower,
        ),
        component(
            "ELB",
            "Erwerbsfähige Leistungsberechtigte",
            Count,
            Stock,
            Lower,
        ),
        component(
            "ELB_ZUGANG",
            "Zugänge erwerbsfähiger Leistungsberechtigter",
            Count,
            Flow,
            Lower,
        ),
        component(
            "ELB_ABGANG",
            "Abgänge erwerbsfähiger Leistungsberechtigter",
            Count,
            Flow,
            Higher,
        ),
        component("INTEGRATIONEN", "Integrationen", Count, Flow, Higher),
        component(
            "ZUGANG_MINIJOB",
            "Aufnahmen geringfügiger Beschäftigung",
            Count,
            Flow,
            Neutral,
        ),
        component(
            "ZUGANG_OEFF_BESCH",
            "Aufnahmen öffentlich geförderter Beschäftigung (§§ 16d, 16e a. F., 16i SGB II)",
            Count,
            Flow,
            Neutral,
        ),
        component(
            "INTEGRATIONEN_SVB",
            "Integrationen in sozialversicherungspflichtige Beschäftigung",
            Count,
            Flow,
            Higher,
        ),
        component(
            "INTEGRATIONEN_SVB_KONTINUIERLICH",
            "davon in jedem der sechs Folgemonate sozialversicherungspflichtig beschäftigt",
            Count,
            Flow,
            Higher,
        ),
        component(
            "ELB_AE",
            "Erwerbsfähige Leistungsberechtigte, alleinerziehend",
            Count,
            Stock,
            Lower,
        ),
        component(
            "INTEGRATIONEN_AE",
            "Integrationen von Alleinerziehenden",
            Count,
            Flow,
            Higher,
        ),
        component("LZB", "Langzeitleistungsbeziehende", Count, Stock, Lower),
        component(
            "INTEGRATIONEN_LZB",
            "Integrationen von Langzeitleistungsbeziehenden",
            Count,
            Flow,
            Higher,
        ),
        component(
            "LZB_AKTIV",
            "Langzeitleistungsbeziehende in einer Maßnahme der aktiven Arbeitsmarktpolitik",
            Count,
            Stock,
            Higher,
        ),
        component(
            "LZB_ZUGANG",
            "Zugänge in Langzeitleistungsbezug",
            Count,
            Flow,
            Lower,
        ),
        component(
            "LZB_ABGANG",
            "Abgänge aus Langzeitleistungsbezug",
            Count,
            Flow,
            Higher,
        ),
    ]
}

/// The 15 key figures K1 … K3E4.
pub fn key_figures() -> Vec<Indicator> {
    use Direction::{Higher, Lower, Neutral};
    vec![
        figure(
            "K1",
            "K1 Veränderung der Summe der Leistungen zum Lebensunterhalt",
            Lower,
            yoy("LLU_SUMME"),
        ),
        figure(
            "K1E1",
            "K1E1 Veränderung der Summe der Leistungen für Unterkunft und Heizung",
            Lower,
            yoy("KDU_SUMME"),
        ),
        figure(
            "K1E2",
            "K1E2 Veränderung der Zahl der erwerbsfähigen Leistungsberechtigten",
            Lower,
            yoy("ELB"),
        ),
        figure(
            "K1E3",
            "K1E3 Durchschnittliche Zugangsrate der erwerbsfähigen Leistungsberechtigten",
            Lower,
            rate("ELB_ZUGANG", "ELB", 0),
        ),
        figure(
            "K1E4",
            "K1E4 Durchschnittliche Abgangsrate der erwerbsfähigen Leistungsberechtigten",
            Higher,
            rate("ELB_ABGANG", "ELB", 1),
        ),
        figure(
            "K2",
            "K2 Integrationsquote",
            Higher,
            rolling("INTEGRATIONEN", "ELB"),
        ),
        figure(
            "K2E1",
            "K2E1 Quote der Aufnahmen geringfügiger Beschäftigung",
            Neutral,
            rolling("ZUGANG_MINIJOB", "ELB"),
        ),
        figure(
            "K2E2",
            "K2E2 Quote der Aufnahmen öffentlich geförderter Beschäftigung",
            Neutral,
            rolling("ZUGANG_OEFF_BESCH", "ELB"),
        ),
        figure(
            "K2E3",
            "K2E3 Kontinuierliche Beschäftigung nach Integration",
            Higher,
            rate("INTEGRATIONEN_SVB_KONTINUIERLICH", "INTEGRATIONEN_SVB", 0),
        ),
        figure(
            "K2E4",
            "K2E4 Integrationsquote der Alleinerziehenden",
            Higher,
            rolling("INTEGRATIONEN_AE", "ELB_AE"),
        ),
        figure(
            "K3",
            "K3 Veränderung der Zahl der Langzeitleistungsbeziehenden",
            Lower,
            yoy("LZB"),
        ),
        figure(
            "K3E1",
            "K3E1 Integrationsquote der Langzeitleistungsbeziehenden",
            Higher,
            rolling("INTEGRATIONEN_LZB", "LZB"),
        ),
        figure(
            "K3E2",
            "K3E2 Aktivierungsquote der Langzeitleistungsbeziehenden",
            Higher,
            Formula::Ratio {
                numerator: code("LZB_AKTIV"),
                denominator: code("LZB"),
                scale: 100.0,
            },
        ),
        figure(
            "K3E3",
            "K3E3 Durchschnittliche Zugangsrate der Langzeitleistungsbeziehenden",
            Lower,
            rate("LZB_ZUGANG", "LZB", 0),
        ),
        figure(
            "K3E4",
            "K3E4 Durchschnittliche Abgangsrate der Langzeitleistungsbeziehenden",
            Higher,
            rate("LZB_ABGANG", "LZB", 1),
        ),
    ]
}

/// Figures of the BA's housing-cost statistics ("Wohn- und Kostensituation") that are not key
/// figure components but arrive in the same files.
pub fn housing_statistics() -> Vec<Indicator> {
    use Accumulation::{Flow, Stock};
    use Direction::{Lower, Neutral};
    use Unit::{Count, Euro};
    vec![
        component("BG", "Bedarfsgemeinschaften", Count, Stock, Lower),
        component(
            "BG_MIT_ANERKANNTEN_KDU",
            "Bedarfsgemeinschaften mit anerkannten Kosten der Unterkunft",
            Count,
            Stock,
            Neutral,
        ),
        component(
            "KDU_ANERKANNT_JE_BG",
            "Anerkannte Kosten der Unterkunft und Heizung je Bedarfsgemeinschaft (BA-Statistik)",
            Euro,
            Stock,
            Lower,
        ),
        component(
            "KDU_TATSAECHLICH_JE_BG",
            "Tatsächliche Kosten der Unterkunft und Heizung je Bedarfsgemeinschaft (BA-Statistik)",
            Euro,
            Stock,
            Lower,
        ),
        // The BA's KdU per BG is a mean over BG with recognised KdU only: multiplied by all BG
        // (`BG`) the total comes out about 2 % too high.
        Indicator {
            description: "Bedarfsgemeinschaften mit anerkannten Kosten der Unterkunft × anerkannte Kosten je solcher Bedarfsgemeinschaft. Die BA rechnet die Kosten je BG nur über BG mit anerkannten KdU; mit allen BG multipliziert wäre die Summe zu hoch.".into(),
            formula: Formula::Product {
                quantity: code("BG_MIT_ANERKANNTEN_KDU"),
                price: code("KDU_ANERKANNT_JE_BG"),
            },
            ..component(
                "KDU_ANERKANNT_SUMME",
                "Anerkannte Kosten der Unterkunft und Heizung im Monat, Summe (BA-Statistik)",
                Euro,
                Flow,
                Lower,
            )
        },
    ]
}

/// The SGB II figures of INKAR (BBSR, built on the statistics of the BA), yearly for every
/// Kreis, Land and the Bund: codes are INKAR's abbreviations in capitals (`q_SGBII` is
/// `Q_SGBII`), names the BBSR's. Shares in percent; amounts in euro per Bedarfsgemeinschaft and
/// month. Datenbasis: INKAR, BBSR Bonn; Statistik der Bundesagentur für Arbeit.
pub fn inkar_statistics() -> Vec<Indicator> {
    use Accumulation::Stock;
    use Direction::{Lower, Neutral};
    use Unit::{Count, Euro, Percent};
    [
        ("Q_SGBII", "SGB-II-Quote: Leistungsberechtigte nach dem SGB II je 100 Einwohner unter 65 Jahren", Percent, Lower),
        ("A_EWFBG", "Anteil der erwerbsfähigen Leistungsberechtigten an den Personen in Bedarfsgemeinschaften", Percent, Neutral),
        ("Q_PBG_BEV", "Personen in Bedarfsgemeinschaften je 1.000 Einwohner", Count, Lower),
        ("A_BG1P", "Anteil der Bedarfsgemeinschaften mit 1 Person", Percent, Neutral),
        ("A_BG5UM", "Anteil der Bedarfsgemeinschaften mit 5 und mehr Personen", Percent, Neutral),
        ("A_BGKIND", "Anteil der Bedarfsgemeinschaften mit Kindern", Percent, Neutral),
        ("A_EWFBG_ALLEIN", "Anteil der Alleinerziehenden an den erwerbsfähigen Leistungsberechtigten", Percent, Neutral),
        ("A_EWFBG_U25_", "Anteil der unter 25-Jährigen an den erwerbsfähigen Leistungsberechtigten", Percent, Neutral),
        ("A_EWFBG_55UM_", "Anteil der 55-Jährigen und Älteren an den erwerbsfähigen Leistungsberechtigten", Percent, Neutral),
        ("A_EWFBG_F", "Anteil der Frauen an den erwerbsfähigen Leistungsberechtigten", Percent, Neutral),
        ("A_SGBII_F", "Anteil der erwerbsfähigen leistungsberechtigten Frauen an allen SGB-II-Empfängern", Percent, Neutral),
        ("Q_NEWFBGU15_BEV", "Nicht erwerbsfähige Leistungsberechtigte unter 15 Jahren je 100 Einwohner unter 15 Jahren", Percent, Lower),
        ("D_SGBII_LSTG", "SGB-II-Leistungen je Bedarfsgemeinschaft und Monat", Euro, Neutral),
        ("D_ALGII_LSTG", "Arbeitslosengeld II je Bedarfsgemeinschaft und Monat", Euro, Neutral),
        ("D_UNTERKUNFT_LSTG", "Leistungen für Unterkunft je Bedarfsgemeinschaft und Monat", Euro, Lower),
        ("A_UNTERKUNFT_SGBII", "Anteil der Leistungen für Unterkunft an den SGB-II-Leistungen", Percent, Neutral),
        ("A_ALGII_SGBII", "Anteil des Arbeitslosengeldes II an den SGB-II-Leistungen", Percent, Neutral),
        ("Q_BEV_FL", "Einwohner je km²", Count, Neutral),
    ]
    .into_iter()
    .map(|(code, name, unit, direction)| component(code, name, unit, Stock, direction))
    .collect()
}

/// Everything built in: key figures, their components, the housing-cost statistics and the
/// INKAR figures.
pub fn catalogue() -> Vec<Indicator> {
    let mut all = components();
    all.extend(key_figures());
    all.extend(housing_statistics());
    all.extend(inkar_statistics());
    all
}

/// The legal definition of a key figure code, if `code` is one.
pub fn key_figure(code: &IndicatorCode) -> Option<Indicator> {
    key_figures().into_iter().find(|k| &k.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifteen_key_figures_whose_inputs_are_all_components() {
        let figures = key_figures();
        assert_eq!(figures.len(), 15);
        let comps = components();
        for f in &figures {
            for input in f.formula.inputs() {
                assert!(
                    comps.iter().any(|c| &c.code == input),
                    "{}: {input}",
                    f.code
                );
            }
        }
    }
}
