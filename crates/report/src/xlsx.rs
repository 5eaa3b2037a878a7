//! Excel export (rust_xlsxwriter) of the figures behind an agreement or one goal: one row per goal
//! and month with value, numerator, denominator, the target to date, status, Datenstand and
//! source; real numbers with number formats (not text), real dates, German headers.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Datelike;
use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, Workbook, Worksheet, XlsxError};
use zielwerk_domain::{Accumulation, CurrentValue, Key, Unit, YearMonth};
use zielwerk_engine::{AgreementState, GoalState};

use crate::disclosure::Disclosure;
use crate::model::Audience;
use crate::present::Provenance;

#[derive(Debug, thiserror::Error)]
pub enum XlsxExportError {
    #[error("Die Excel-Datei konnte nicht geschrieben werden: {0}")]
    Write(#[from] XlsxError),
    #[error("Das Ziel „{0}“ gibt es in dieser Vereinbarung nicht")]
    UnknownGoal(String),
}

const HEADERS: [(&str, f64); 15] = [
    ("Zielbereich", 28.0),
    ("Ziel", 36.0),
    ("Kennzahl", 30.0),
    ("Code", 14.0),
    ("Einheit", 10.0),
    ("Monat", 10.0),
    ("Wert", 14.0),
    ("Summe seit Januar", 16.0),
    ("Zähler", 14.0),
    ("Nenner", 14.0),
    ("Ziel bis dahin", 14.0),
    ("Status des Werts", 14.0),
    ("Datenstand", 12.0),
    ("Quelle", 40.0),
    ("Zielstatus (Berichtsmonat)", 22.0),
];

fn unit_format(unit: Unit) -> Format {
    Format::new().set_num_format(match unit {
        Unit::Percent => "0.0",
        Unit::Euro => "#,##0.00",
        Unit::Days => "0.0",
        Unit::Count | Unit::Milestone => "#,##0",
    })
}

fn excel_date(d: chrono::NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
}

fn month_date(m: YearMonth) -> Result<ExcelDateTime, XlsxError> {
    ExcelDateTime::from_ymd(m.year() as u16, m.month() as u8, 1)
}

struct Formats {
    header: Format,
    month: Format,
    date: Format,
    plain: Format,
}

#[allow(clippy::too_many_arguments)]
fn write_goal(
    ws: &mut Worksheet,
    row: &mut u32,
    state: &AgreementState<'_>,
    g: &GoalState<'_>,
    provenance: &Provenance<'_>,
    audience: Audience,
    disclosure: &Disclosure,
    f: &Formats,
    area: &str,
) -> Result<(), XlsxError> {
    let agreement = state.agreement;
    let ind = g.indicator;
    let num = unit_format(ind.unit);
    let count = Format::new().set_num_format("#,##0");
    let targets: BTreeMap<YearMonth, f64> = g.target_path.iter().copied().collect();
    let ytd: BTreeMap<YearMonth, f64> = g.year_to_date(agreement.year).into_iter().collect();
    let hidden: BTreeSet<YearMonth> = match audience {
        Audience::Internal => BTreeSet::new(),
        Audience::Public => disclosure.hidden(&g.goal.key),
    };
    for (m, p) in g.series.iter() {
        // Public exports cover the agreement year up to the reporting month only: that is the
        // range the suppression step has checked.
        if audience == Audience::Public && (m.year() != agreement.year || *m > state.as_of) {
            continue;
        }
        let r = *row;
        ws.write_string_with_format(r, 0, area, &f.plain)?;
        ws.write_string(r, 1, &g.goal.title)?;
        ws.write_string(r, 2, &ind.name)?;
        ws.write_string(r, 3, ind.code.as_str())?;
        ws.write_string(r, 4, ind.unit.label_de())?;
        ws.write_datetime_with_format(r, 5, month_date(*m)?, &f.month)?;
        if hidden.contains(m) {
            for c in [6, 7, 8, 9] {
                ws.write_string(r, c, "*")?;
            }
        } else {
            ws.write_number_with_format(r, 6, p.value, &num)?;
            if ind.accumulation == Accumulation::Flow
                && let Some(v) = ytd.get(m)
            {
                ws.write_number_with_format(r, 7, *v, &num)?;
            }
            if let Some(n) = p.numerator {
                ws.write_number_with_format(r, 8, n, &count)?;
            }
            if let Some(d) = p.denominator {
                ws.write_number_with_format(r, 9, d, &count)?;
            }
        }
        if let Some(t) = targets.get(m) {
            ws.write_number_with_format(r, 10, *t, &num)?;
        }
        ws.write_string(r, 11, p.status.label_de())?;
        let (datenstand, source) = provenance.of(&ind.code, *m);
        if let Ok(d) = chrono::NaiveDate::parse_from_str(&datenstand, "%d.%m.%Y") {
            ws.write_datetime_with_format(r, 12, excel_date(d)?, &f.date)?;
        }
        ws.write_string(r, 13, &source)?;
        ws.write_string(r, 14, g.assessment.status.label_de())?;
        *row += 1;
    }
    Ok(())
}

/// The figures of the whole agreement, or of one goal if `goal` is given, as an XLSX workbook.
pub fn figures(
    state: &AgreementState<'_>,
    values: &[CurrentValue],
    goal: Option<&Key>,
    audience: Audience,
) -> Result<Vec<u8>, XlsxExportError> {
    let agreement = state.agreement;
    let goals: Vec<&GoalState<'_>> = match goal {
        None => state.goals.iter().collect(),
        Some(k) => vec![
            state
                .goals
                .iter()
                .find(|g| &g.goal.key == k)
                .ok_or_else(|| XlsxExportError::UnknownGoal(k.to_string()))?,
        ],
    };
    let provenance = Provenance::new(agreement, values);
    // The decision over the whole agreement, also when one goal is exported: the same cells as
    // every other output of the month.
    let disclosure = match audience {
        Audience::Internal => Disclosure::default(),
        Audience::Public => Disclosure::of(state),
    };
    let f = Formats {
        header: Format::new()
            .set_bold()
            .set_text_wrap()
            .set_align(FormatAlign::Top)
            .set_background_color("#DDE6F0"),
        month: Format::new().set_num_format("mm.yyyy"),
        date: Format::new().set_num_format("dd.mm.yyyy"),
        plain: Format::new(),
    };
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Werte")?;
    for (c, (h, w)) in HEADERS.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &f.header)?;
        ws.set_column_width(c as u16, *w)?;
    }
    let mut row = 1;
    for g in &goals {
        let area = agreement
            .area(&g.goal.area)
            .map(|a| a.title.as_str())
            .unwrap_or_default();
        write_goal(
            ws,
            &mut row,
            state,
            g,
            &provenance,
            audience,
            &disclosure,
            &f,
            area,
        )?;
    }
    ws.set_freeze_panes(1, 0)?;
    if row > 1 {
        ws.autofilter(0, 0, row - 1, HEADERS.len() as u16 - 1)?;
    }

    let info = wb.add_worksheet();
    info.set_name("Hinweise")?;
    info.set_column_width(0, 24)?;
    info.set_column_width(1, 90)?;
    let (demo, sources) = crate::present::sources(values);
    let mut lines = vec![
        ("Vereinbarung", agreement.title.clone()),
        ("Jobcenter", format!("{} ({})", agreement.jobcenter.name, agreement.jobcenter.ba_id)),
        ("Berichtsmonat", state.as_of.german_long()),
        ("Quellen", sources.join("; ")),
        (
            "Fassung",
            crate::model::confidentiality_note(audience, &disclosure),
        ),
        (
            "Einheiten",
            "Prozentwerte in Prozent (12,3 bedeutet 12,3 %); Beträge in Euro; Monat als Datum des Monatsersten.".into(),
        ),
    ];
    if demo {
        lines.push((
            "Demodaten",
            "Teilweise generierte Werte, keine amtlichen Zahlen.".into(),
        ));
    }
    for (r, (k, v)) in lines.iter().enumerate() {
        info.write_string_with_format(r as u32, 0, *k, &f.header)?;
        info.write_string(r as u32, 1, v)?;
    }
    Ok(wb.save_to_buffer()?)
}

/// One region of a comparison table, as the Excel download writes it.
#[derive(Debug, Clone)]
pub struct RegionLine {
    pub name: String,
    pub id: String,
    pub value: Option<f64>,
    pub change: Option<f64>,
    pub rank: Option<usize>,
    pub warning: String,
}

/// A comparison table over regions (a Land's or the Bund's Kreise for one indicator and year)
/// as a workbook: the table with a filter, and a sheet with what it is and the source line.
pub fn regions(
    title: &str,
    lines: &[RegionLine],
    notes: &[(&str, String)],
) -> Result<Vec<u8>, XlsxExportError> {
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_background_color("#DDE6F0");
    let number = Format::new().set_num_format("#,##0.00");
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Regionen")?;
    let headers: [(&str, f64); 6] = [
        ("Region", 34.0),
        ("Kennziffer", 12.0),
        ("Wert", 12.0),
        ("Veränderung zum Vorjahr", 14.0),
        ("Rang", 8.0),
        ("Prüfhinweis der Quelle", 60.0),
    ];
    for (c, (h, w)) in headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &header)?;
        ws.set_column_width(c as u16, *w)?;
    }
    for (i, l) in lines.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_string(r, 0, &l.name)?;
        ws.write_string(r, 1, &l.id)?;
        if let Some(v) = l.value {
            ws.write_number_with_format(r, 2, v, &number)?;
        }
        if let Some(v) = l.change {
            ws.write_number_with_format(r, 3, v, &number)?;
        }
        if let Some(v) = l.rank {
            ws.write_number(r, 4, v as f64)?;
        }
        ws.write_string(r, 5, &l.warning)?;
    }
    ws.set_freeze_panes(1, 0)?;
    if !lines.is_empty() {
        ws.autofilter(0, 0, lines.len() as u32, headers.len() as u16 - 1)?;
    }
    let info = wb.add_worksheet();
    info.set_name("Hinweise")?;
    info.set_column_width(0, 24)?;
    info.set_column_width(1, 90)?;
    info.write_string_with_format(0, 0, "Tabelle", &header)?;
    info.write_string(0, 1, title)?;
    for (r, (k, v)) in notes.iter().enumerate() {
        info.write_string_with_format(r as u32 + 1, 0, *k, &header)?;
        info.write_string(r as u32 + 1, 1, v)?;
    }
    Ok(wb.save_to_buffer()?)
}
