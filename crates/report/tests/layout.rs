//! What a reader sees on paper: every document kind, set as PDF (typst) and as DOCX rendered by
//! LibreOffice, read back as word boxes (`pdftotext -bbox`). No two words on a page may overlap,
//! no word may leave the page, and no page may be blank. Run over the demo's documents and over
//! documents whose texts are as long as the forms allow, with long German compounds and an
//! unbroken run of characters.

mod common;
use common::demo_values;

use std::process::Command;

use zielwerk_domain::{Observation, YearMonth};
use zielwerk_engine::assess_agreement;
use zielwerk_report::minutes::{
    Figures, Minutes, MinutesDecision, MinutesItem, PartyLine, UpdateRow,
};
use zielwerk_report::model::{self, Audience, Monitoring, Vorlage};
use zielwerk_report::period::{Period, PeriodReport};
use zielwerk_typeset::{Document, Template};

/// The longest title the goal and Handlungsansatz editors take.
const TITLE: usize = 300;
/// The longest free text the forms take (descriptions, appraisals, notes).
const TEXT: usize = zielwerk_domain::meeting::MAX_TEXT;

/// German text of exactly `n` characters: ordinary words, long compounds, and (if `unbroken`)
/// one run of 90 characters without a break opportunity.
fn long_text(n: usize, unbroken: bool) -> String {
    let words = [
        "Die",
        "Grundsicherungsleistungsberechtigungsnachweisverfahren",
        "des",
        "Jobcenters",
        "werden",
        "mit",
        "den",
        "Bedarfsgemeinschaftsangehörigen",
        "gemeinsam",
        "abgestimmt",
        "und",
        "Kostensenkungsaufforderungen",
        "fristgerecht",
        "versandt.",
    ];
    let mut s = String::new();
    if unbroken {
        s.push_str(&"Ä".repeat(90));
        s.push(' ');
    }
    let mut i = 0;
    while s.chars().count() < n {
        s.push_str(words[i % words.len()]);
        s.push(' ');
        i += 1;
    }
    s.chars().take(n).collect::<String>().trim_end().to_owned() + "."
}

/// Word boxes of a PDF, per page: (page width, page height, [(x0, y0, x1, y1, word)]).
type Page = (f64, f64, Vec<(f64, f64, f64, f64, String)>);

fn word_boxes(pdf: &[u8]) -> Vec<Page> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext")
        .arg("-bbox")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed by scripts/test");
    assert!(out.status.success());
    let html = String::from_utf8_lossy(&out.stdout);
    let attr = |tag: &str, name: &str| -> f64 {
        let start = tag.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        let end = start + tag[start..].find('"').unwrap();
        tag[start..end].parse().unwrap()
    };
    let mut pages = Vec::new();
    for chunk in html.split("<page ").skip(1) {
        let head = &chunk[..chunk.find('>').unwrap()];
        let mut words = Vec::new();
        for w in chunk.split("<word ").skip(1) {
            let tag_end = w.find('>').unwrap();
            let tag = &w[..tag_end];
            let text = &w[tag_end + 1..w.find("</word>").unwrap()];
            words.push((
                attr(tag, "xMin"),
                attr(tag, "yMin"),
                attr(tag, "xMax"),
                attr(tag, "yMax"),
                text.to_owned(),
            ));
        }
        pages.push((attr(head, "width"), attr(head, "height"), words));
    }
    pages
}

/// What is wrong with the pages: two words that overlap, a word that leaves the page, a page
/// without any word.
fn problems(pages: &[Page]) -> Vec<String> {
    // Glyph boxes of neighbouring words touch; a real collision overlaps by more than this.
    let slack = 0.6;
    let mut found = Vec::new();
    if pages.is_empty() {
        found.push("no pages".to_owned());
    }
    for (p, (width, height, words)) in pages.iter().enumerate() {
        let p = p + 1;
        if words.is_empty() {
            found.push(format!("page {p} is blank"));
        }
        for w in words {
            if w.0 < -slack || w.1 < -slack || w.2 > width + slack || w.3 > height + slack {
                found.push(format!("page {p}: „{}“ leaves the page", w.4));
            }
        }
        for (i, a) in words.iter().enumerate() {
            for b in &words[i + 1..] {
                let dx = a.2.min(b.2) - a.0.max(b.0);
                let dy = a.3.min(b.3) - a.1.max(b.1);
                // Words of neighbouring lines may share a sliver of their boxes (the font's
                // ascent and descent exceed the line spacing); letters on letters share more.
                let lines_touch = dy < 0.3 * (a.3 - a.1).min(b.3 - b.1);
                if dx > slack && dy > slack && !lines_touch {
                    found.push(format!(
                        "page {p}: „{}“ and „{}“ overlap ({dx:.1} × {dy:.1} pt)",
                        a.4, b.4
                    ));
                }
            }
        }
    }
    found
}

/// Set `ZIELWERK_LAYOUT_OUT` to a folder to keep every checked PDF there, for looking at them.
fn assert_readable(what: &str, pdf: &[u8]) {
    if let Some(dir) = std::env::var_os("ZIELWERK_LAYOUT_OUT") {
        let name: String = what
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { '-' })
            .collect();
        std::fs::write(std::path::Path::new(&dir).join(format!("{name}.pdf")), pdf).unwrap();
    }
    let found = problems(&word_boxes(pdf));
    assert!(
        found.is_empty(),
        "{what}: {} problems, first: {:#?}",
        found.len(),
        &found[..found.len().min(20)]
    );
}

fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2022, 10, 14).unwrap()
}

fn vorlage_pdf(v: &Vorlage, part: &str) -> Vec<u8> {
    let mut data = serde_json::to_value(v).unwrap();
    data["part"] = part.into();
    zielwerk_typeset::pdf(&Document {
        template: Template::Vorlage,
        data,
        charts: v
            .charts
            .iter()
            .map(|c| (c.name.as_str(), c.svg.as_str()))
            .collect(),
        today: today(),
    })
    .unwrap()
}

fn pdf_of(template: Template, data: serde_json::Value) -> Vec<u8> {
    zielwerk_typeset::pdf(&Document {
        template,
        data,
        charts: Vec::new(),
        today: today(),
    })
    .unwrap()
}

/// The DOCX as LibreOffice prints it.
fn docx_as_pdf(docx: &[u8]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("d.docx"), docx).unwrap();
    let out = Command::new("soffice")
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(dir.path())
        .arg(dir.path().join("d.docx"))
        .env("HOME", dir.path())
        .output()
        .expect("LibreOffice (libreoffice-writer-nogui) is installed by scripts/test");
    assert!(out.status.success(), "{out:?}");
    std::fs::read(dir.path().join("d.pdf")).unwrap()
}

fn demo_documents(long: bool) -> (Vorlage, Monitoring, Monitoring, Vec<PeriodReport>) {
    let (mut agreement, values) = demo_values();
    let mut header = zielwerk_demo::mettmann_vorlage(&agreement);
    if long {
        for (i, g) in agreement.goals.iter_mut().enumerate() {
            g.title = long_text(TITLE, i == 0);
            g.description = long_text(TEXT, false);
        }
        for a in agreement.areas.iter_mut() {
            a.title = long_text(TITLE, false);
            a.description = long_text(TEXT, false);
        }
        for (i, m) in agreement.measures.iter_mut().enumerate() {
            m.title = long_text(TITLE, i == 0);
            m.description = long_text(TEXT, i == 0);
            m.expected_effect = long_text(TEXT, false);
        }
        for i in agreement.indicators.iter_mut() {
            i.name = long_text(200, false);
        }
        header.title = long_text(TITLE, true);
        header.resolution = long_text(TEXT, true);
        header.occasion = format!("{}\n\n{}", long_text(TEXT, true), long_text(TEXT, false));
        header.fachbereich = long_text(200, false);
        header.bearbeiter = long_text(200, false);
        for c in header.consultations.iter_mut() {
            c.committee = long_text(200, true);
        }
        header.area_notes = agreement
            .areas
            .iter()
            .map(|a| (a.key.to_string(), long_text(TEXT, true)))
            .collect();
    }
    let obs: Vec<Observation> = values.iter().map(|v| v.observation.clone()).collect();
    let as_of = header.as_of.unwrap_or(YearMonth::new(2022, 9).unwrap());
    let state = assess_agreement(&agreement, &obs, as_of);
    // A comparison as the application builds it from the INKAR table (the words of
    // `app::regions::Benchmark`), long enough to wrap.
    let comparisons: zielwerk_report::present::Comparisons = [(
        "KDU_JE_BG".parse().unwrap(),
        zielwerk_report::present::ComparisonText {
            sentence: "Im Vergleich (Leistungen für Unterkunft je Bedarfsgemeinschaft und Monat, 2022): Mettmann 494,33\u{a0}€, schlechtester Wert von 11 vergleichbaren Kreisen; niedriger ist besser; Median der Gruppe 452,08\u{a0}€; Nordrhein-Westfalen 451,31\u{a0}€, Bundesrepublik Deutschland 440,80\u{a0}€.".into(),
            group: if long { long_text(TEXT, true) } else { "Vergleichsgruppe: die 10 Kreise und kreisfreien Städte, die Mettmann nach SGB-II-Quote, Einwohner je km² (logarithmiert), Anteil der Bedarfsgemeinschaften mit 1 Person am ähnlichsten sind (berechnet aus den Werten von 2021; 400 Kreise mit allen Merkmalen verglichen)".into() },
            attribution: "Datenbasis: INKAR, BBSR Bonn; Statistik der Bundesagentur für Arbeit".into(),
        },
    )]
    .into_iter()
    .collect();
    let v = model::vorlage(&header, &state, &values, &[], &comparisons);
    let internal = model::monitoring(
        &state,
        &values,
        &[],
        &[],
        Audience::Internal,
        today(),
        &comparisons,
    );
    let public = model::monitoring(
        &state,
        &values,
        &[],
        &[],
        Audience::Public,
        today(),
        &comparisons,
    );
    let mut periods = Vec::new();
    for (period, audience) in [
        (Period::Quarter(3), Audience::Internal),
        (Period::Quarter(1), Audience::Public),
        (Period::Year, Audience::Public),
    ] {
        let states: Vec<_> = period
            .columns(agreement.year)
            .into_iter()
            .map(|m| assess_agreement(&agreement, &obs, m))
            .collect();
        periods.push(zielwerk_report::period::period_report(
            period,
            &states,
            &values,
            &[],
            &[],
            audience,
            today(),
        ));
    }
    (v, internal, public, periods)
}

fn minutes(long: bool) -> Minutes {
    let t = |n: usize, unbroken: bool| {
        if long {
            long_text(n, unbroken)
        } else {
            "Zuweisungen in die Suchtberatung erhöhen".to_owned()
        }
    };
    let figures = Figures {
        status: "verfehlt".into(),
        status_key: "missed".into(),
        value: "1.234".into(),
        target: "1.300".into(),
        reason: t(TEXT / 4, true),
        forecast: "Prognose für Dezember 2022: 1.280 (80-%-Intervall 1.210 bis 1.350)".into(),
        source: "Quelle: Statistik der Bundesagentur für Arbeit; Datenstand 31.01.2023".into(),
    };
    Minutes {
        title: t(200, true),
        kind: "Zielnachhaltedialog".into(),
        agreement_title: t(TITLE, false),
        jobcenter: "jobcenter ME-aktiv".into(),
        date: "12.10.2022".into(),
        place: t(200, false),
        as_of: "September 2022".into(),
        participants: (0..3)
            .map(|i| PartyLine {
                party: ["Kreis", "Agentur für Arbeit", "Jobcenter"][i].into(),
                names: t(600, i == 0),
            })
            .collect(),
        items: (1..=4)
            .map(|n| MinutesItem {
                number: n,
                title: t(TITLE, n == 1),
                figures: Some(figures.clone()),
                appraisal: vec![t(TEXT, n == 1)],
                steering: "Steuerungsbedarf: ja".into(),
                action: None,
                decisions: vec![MinutesDecision {
                    text: t(TEXT, false),
                    action: Some(format!(
                        "Aufgabe: {} – verantwortlich: Jobcenter, fällig 30.11.2022, offen",
                        t(500, true)
                    )),
                }],
            })
            .collect(),
        updates: (0..12)
            .map(|i| UpdateRow {
                what: t(500, i == 0),
                owner: format!("Jobcenter ({})", t(200, false)),
                due: "30.11.2022".into(),
                status: "in Arbeit".into(),
                note: t(1000, i == 1),
            })
            .collect(),
        created: "14.10.2022".into(),
    }
}

fn check_all(label: &str, long: bool) {
    let (v, internal, public, periods) = demo_documents(long);
    for r in &periods {
        assert_readable(
            &format!("{label}: {} (PDF)", r.title),
            &pdf_of(Template::Period, serde_json::to_value(r).unwrap()),
        );
        assert_readable(
            &format!("{label}: {} (DOCX)", r.title),
            &docx_as_pdf(&zielwerk_report::docx::period(r).unwrap()),
        );
    }
    for part in ["vorlage", "anlage-1", "anlage-2"] {
        assert_readable(&format!("{label}: {part} (PDF)"), &vorlage_pdf(&v, part));
    }
    assert_readable(
        &format!("{label}: Vorlage (DOCX)"),
        &docx_as_pdf(&zielwerk_report::docx::vorlage(&v).unwrap()),
    );
    for (what, m) in [("intern", &internal), ("öffentlich", &public)] {
        assert_readable(
            &format!("{label}: Monitoring {what} (PDF)"),
            &pdf_of(Template::Monitoring, serde_json::to_value(m).unwrap()),
        );
    }
    let m = minutes(long);
    assert_readable(
        &format!("{label}: Niederschrift (PDF)"),
        &pdf_of(Template::Minutes, serde_json::to_value(&m).unwrap()),
    );
    assert_readable(
        &format!("{label}: Niederschrift (DOCX)"),
        &docx_as_pdf(&zielwerk_report::docx::minutes(&m).unwrap()),
    );
}

#[test]
fn the_demo_documents_read_on_paper() {
    check_all("Demo", false);
}

#[test]
fn documents_with_the_longest_texts_read_on_paper() {
    check_all("Längste Texte", true);
}

/// The checker itself: words set on top of each other, off the page, or a blank page are found.
#[test]
fn the_checker_finds_what_a_reader_would() {
    let word = |x: f64, y: f64, t: &str| (x, y, x + 30.0, y + 10.0, t.to_owned());
    let fine: Vec<Page> = vec![(
        595.0,
        842.0,
        vec![word(50.0, 50.0, "Ziel"), word(85.0, 50.0, "Wert")],
    )];
    assert!(problems(&fine).is_empty(), "{:?}", problems(&fine));
    let overlap: Vec<Page> = vec![(
        595.0,
        842.0,
        vec![word(50.0, 50.0, "Ziel"), word(60.0, 52.0, "Wert")],
    )];
    assert_eq!(problems(&overlap).len(), 1);
    let outside: Vec<Page> = vec![(595.0, 842.0, vec![word(580.0, 50.0, "Verantwortlich")])];
    assert_eq!(problems(&outside).len(), 1);
    let blank: Vec<Page> = vec![
        (595.0, 842.0, vec![word(50.0, 50.0, "x")]),
        (595.0, 842.0, vec![]),
    ];
    assert_eq!(problems(&blank), vec!["page 2 is blank".to_owned()]);
}
