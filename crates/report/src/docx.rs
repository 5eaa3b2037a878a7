//! The Vorlage as DOCX (docx-rs): the same model and structure as the PDF, with real Word
//! headings (so the navigation pane and screen readers see the sections), tables, and the charts
//! as PNG rendered from the same SVG with resvg.

use std::sync::{Arc, OnceLock};

use docx_rs::{
    AlignmentType, BreakType, Docx, Footer, PageMargin, Paragraph, Pic, Run, RunFonts, Style,
    StyleType, Table, TableCell, TableRow, WidthType,
};
use resvg::{tiny_skia, usvg};

use crate::minutes::Minutes;
use crate::model::{self, Choice, Vorlage};

#[derive(Debug, thiserror::Error)]
pub enum DocxError {
    #[error("Das Word-Dokument konnte nicht geschrieben werden: {0}")]
    Write(String),
}

const FONT: &str = "DejaVu Sans";
/// Text width of an A4 page with the margins below, in EMU (1 cm = 360 000 EMU).
const TEXT_WIDTH_EMU: u32 = 16 * 360_000;

fn text(s: &str) -> Paragraph {
    Paragraph::new().add_run(Run::new().add_text(s))
}

fn bold(s: &str) -> Run {
    Run::new().add_text(s).bold()
}

fn small(s: &str) -> Paragraph {
    Paragraph::new().add_run(Run::new().add_text(s).size(16))
}

fn heading(level: usize, s: &str) -> Paragraph {
    Paragraph::new()
        .style(&format!("Heading{level}"))
        .add_run(Run::new().add_text(s))
}

fn mark(c: &Choice) -> String {
    format!("{} {}", if c.checked { "☒" } else { "☐" }, c.label)
}

fn cell(s: &str) -> TableCell {
    TableCell::new().add_paragraph(text(s))
}

fn header_cell(s: &str) -> TableCell {
    TableCell::new().add_paragraph(Paragraph::new().add_run(bold(s)))
}

fn table(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> Table {
    let mut all = vec![TableRow::new(
        header.iter().map(|h| header_cell(h)).collect(),
    )];
    all.extend(
        rows.into_iter()
            .map(|r| TableRow::new(r.iter().map(|c| cell(c)).collect())),
    );
    Table::new(all).width(5000, WidthType::Pct)
}

fn fontdb() -> Arc<usvg::fontdb::Database> {
    static DB: OnceLock<Arc<usvg::fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = usvg::fontdb::Database::new();
        for data in [
            dejavu::sans::regular(),
            dejavu::sans::bold(),
            dejavu::sans::oblique(),
        ] {
            db.load_font_data(data.to_vec());
        }
        db.set_sans_serif_family(FONT);
        Arc::new(db)
    })
    .clone()
}

/// Renders an SVG chart to PNG at twice its nominal size (sharp on screen and in print).
/// Returns the PNG and its nominal width and height.
pub fn svg_to_png(svg: &str) -> Result<(Vec<u8>, u32, u32), DocxError> {
    let options = usvg::Options {
        fontdb: fontdb(),
        font_family: FONT.into(),
        ..Default::default()
    };
    let tree = usvg::Tree::from_str(svg, &options).map_err(|e| DocxError::Write(e.to_string()))?;
    let size = tree.size().to_int_size();
    let scale = 2.0;
    let (w, h) = (size.width() * 2, size.height() * 2);
    let mut pixmap = tiny_skia::Pixmap::new(w, h)
        .ok_or_else(|| DocxError::Write("Diagramm ohne Fläche".into()))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    let png = pixmap
        .encode_png()
        .map_err(|e| DocxError::Write(e.to_string()))?;
    Ok((png, size.width(), size.height()))
}

fn chart(v: &Vorlage, name: &str) -> Result<Option<Paragraph>, DocxError> {
    let Some(c) = v.charts.iter().find(|c| c.name == name) else {
        return Ok(None);
    };
    let (png, w, h) = svg_to_png(&c.svg)?;
    let height = (u64::from(TEXT_WIDTH_EMU) * u64::from(h) / u64::from(w.max(1))) as u32;
    let pic = Pic::new_with_dimensions(png, w * 2, h * 2).size(TEXT_WIDTH_EMU, height);
    Ok(Some(Paragraph::new().add_run(Run::new().add_image(pic))))
}

fn anlage(doc: Docx, a: &model::Anlage) -> Docx {
    let mut doc = doc
        .add_paragraph(Paragraph::new().add_run(Run::new().add_break(BreakType::Page)))
        .add_paragraph(heading(1, &format!("Anlage {}: {}", a.number, a.title)))
        .add_paragraph(text(&a.intro));
    if !a.goals.is_empty() {
        doc = doc.add_table(table(
            &[
                "Zielbereich",
                "Ziel",
                "Kennzahl",
                "Zielwert",
                "Toleranz",
                "Verantwortlich",
            ],
            a.goals.iter().map(|g| {
                vec![
                    g.area.clone(),
                    g.title.clone(),
                    g.indicator.clone(),
                    g.target.clone(),
                    g.tolerance.clone(),
                    g.responsible.clone(),
                ]
            }),
        ));
    }
    if !a.measures.is_empty() {
        doc = doc.add_paragraph(heading(2, "Handlungsansätze und Wirkungserwartungen"));
        for m in &a.measures {
            doc = doc
                .add_paragraph(
                    Paragraph::new().add_run(bold(&m.title)).add_run(
                        Run::new().add_text(format!(" ({}, {})", m.responsible, m.period)),
                    ),
                )
                .add_paragraph(text(&m.description))
                .add_paragraph(
                    Paragraph::new()
                        .add_run(Run::new().add_text("Wirkungserwartung: ").italic())
                        .add_run(Run::new().add_text(&m.expected_effect)),
                );
            if !m.goals.is_empty() {
                doc = doc.add_paragraph(small(&format!("Ziele: {}", m.goals)));
            }
        }
    }
    doc
}

/// Writes the whole Vorlage (form, report text, Anlagen) as DOCX.
/// An A4 document with the house font, a footer line and Word's own heading styles, so the
/// navigation pane and screen readers see the structure.
fn document(footer: &str) -> Docx {
    let mut doc = Docx::new()
        .page_size(11_906, 16_838)
        .page_margin(
            PageMargin::new()
                .top(1134)
                .bottom(1247)
                .left(1361)
                .right(1134),
        )
        .default_fonts(RunFonts::new().ascii(FONT).hi_ansi(FONT).cs(FONT))
        .default_size(19)
        .footer(Footer::new().add_paragraph(small(footer)));
    for (level, size) in [(1, 26), (2, 22), (3, 20)] {
        doc = doc.add_style(
            Style::new(format!("Heading{level}"), StyleType::Paragraph)
                .name(format!("Heading {level}"))
                .size(size)
                .bold()
                .outline_lvl(level - 1),
        );
    }
    doc
}

fn pack(doc: Docx) -> Result<Vec<u8>, DocxError> {
    let mut out = std::io::Cursor::new(Vec::new());
    doc.build()
        .pack(&mut out)
        .map_err(|e| DocxError::Write(e.to_string()))?;
    Ok(out.into_inner())
}

pub fn vorlage(v: &Vorlage) -> Result<Vec<u8>, DocxError> {
    let mut doc = document(&format!("Vorlage {}", v.number));

    // The form.
    let decisions: Vec<String> = v.decision_kinds.iter().map(mark).collect();
    let right = [
        format!("Vorlagen-Nr. {}", v.number),
        v.visibility.clone(),
        format!("Fachbereich: {}", v.fachbereich),
        format!("Bearbeiter/in: {}", v.bearbeiter),
        format!("Datum: {}", v.date),
        format!("Az.: {}", v.aktenzeichen),
    ];
    let mut left_cell = TableCell::new();
    for d in &decisions {
        left_cell = left_cell.add_paragraph(text(d));
    }
    let mut right_cell = TableCell::new();
    for (i, line) in right.iter().enumerate() {
        right_cell = right_cell.add_paragraph(if i == 0 {
            Paragraph::new().add_run(bold(line))
        } else {
            text(line)
        });
    }
    doc = doc
        .add_table(
            Table::new(vec![TableRow::new(vec![left_cell, right_cell])])
                .width(5000, WidthType::Pct),
        )
        .add_paragraph(text(""))
        .add_table(table(
            &["Beratungsfolge", "Termine", "Art der Entscheidung"],
            v.consultations
                .iter()
                .map(|c| vec![c.committee.clone(), c.date.clone(), c.decision.clone()]),
        ))
        .add_paragraph(heading(1, &v.title))
        .add_table(Table::new(
            v.impacts
                .iter()
                .map(|i| {
                    TableRow::new(
                        std::iter::once(cell(&i.label))
                            .chain(i.options.iter().map(|o| cell(&mark(o))))
                            .collect(),
                    )
                })
                .collect(),
        ))
        .add_paragraph(text(""))
        .add_paragraph(Paragraph::new().add_run(bold("Beschlussvorschlag:")))
        .add_paragraph(text(&v.resolution));

    // The report text.
    doc = doc
        .add_paragraph(Paragraph::new().add_run(Run::new().add_break(BreakType::Page)))
        .add_paragraph(heading(1, &v.title));
    if v.demo {
        doc = doc.add_paragraph(Paragraph::new().add_run(bold(
            "Demodaten: Die Werte dieses Dokuments stammen teilweise aus einem Generator und sind keine amtlichen Zahlen.",
        )));
    }
    doc = doc.add_paragraph(Paragraph::new().add_run(bold("Anlass der Vorlage:")));
    for p in &v.occasion {
        doc = doc.add_paragraph(text(p));
    }
    doc = doc
        .add_paragraph(heading(
            2,
            &format!("Stand der Zielerreichung: {}", v.agreement_title),
        ))
        .add_paragraph(text(&v.summary));
    for s in &v.sections {
        doc = doc
            .add_paragraph(heading(2, &format!("{}. {}", s.number, s.title)))
            .add_paragraph(small(&format!("{}. {}", s.kind, s.summary)));
        if !s.description.is_empty() {
            doc = doc.add_paragraph(text(&s.description));
        }
        for g in &s.goals {
            doc = doc
                .add_paragraph(heading(3, &g.title))
                .add_paragraph(
                    Paragraph::new()
                        .add_run(bold(&format!("{}: ", g.status)))
                        .add_run(Run::new().add_text(&g.reason)),
                )
                .add_paragraph(small(&format!(
                    "Kennzahl: {} · Ziel: {} · verantwortlich: {}",
                    g.indicator, g.target, g.responsible
                )));
            if let Some(name) = &g.chart
                && let Some(p) = chart(v, name)?
            {
                doc = doc
                    .add_paragraph(p)
                    .add_paragraph(small(&g.chart_title).align(AlignmentType::Center));
            }
            if let Some(t) = &g.table {
                let header: Vec<&str> = t.header.iter().map(String::as_str).collect();
                doc = doc
                    .add_table(table(&header, t.rows.clone()))
                    .add_paragraph(small(&t.caption));
            }
            if !g.forecast.is_empty() {
                doc = doc.add_paragraph(small(&g.forecast));
            }
            for c in &g.comments {
                doc = doc.add_paragraph(small(&format!("Anmerkung {}: {}", c.number, c.text)));
            }
        }
        if !s.notes.is_empty() {
            doc = doc.add_paragraph(Paragraph::new().add_run(bold("Steuerungshinweise:")));
            for p in &s.notes {
                doc = doc.add_paragraph(text(p));
            }
        }
    }
    doc = doc
        .add_paragraph(small(&format!("Quellen: {}.", v.sources.join("; "))))
        .add_paragraph(small(&v.confidentiality));
    for a in &v.anlagen {
        doc = doc.add_paragraph(text(&format!("Anlage {}: {}", a.number, a.title)));
    }
    for a in &v.anlagen {
        doc = anlage(doc, a);
    }
    pack(doc)
}

/// The minutes of a steering meeting.
pub fn minutes(m: &Minutes) -> Result<Vec<u8>, DocxError> {
    let mut doc = document(&m.title)
        .add_paragraph(heading(1, &m.title))
        .add_paragraph(text(&format!("{} · {}", m.agreement_title, m.jobcenter)))
        .add_paragraph(text(&format!(
            "Sitzung: {} am {}{} · Berichtsmonat: {}",
            m.kind,
            m.date,
            if m.place.is_empty() {
                String::new()
            } else {
                format!(", {}", m.place)
            },
            m.as_of
        )))
        .add_paragraph(heading(2, "Teilnehmende"));
    if m.participants.is_empty() {
        doc = doc.add_paragraph(text("Keine Teilnehmenden erfasst."));
    }
    for p in &m.participants {
        doc = doc.add_paragraph(
            Paragraph::new()
                .add_run(bold(&format!("{}: ", p.party)))
                .add_run(Run::new().add_text(&p.names)),
        );
    }
    doc = doc.add_paragraph(heading(2, "Tagesordnung"));
    for i in &m.items {
        doc = doc.add_paragraph(text(&format!("{}. {}", i.number, i.title)));
    }
    for i in &m.items {
        doc = doc.add_paragraph(heading(3, &format!("TOP {}: {}", i.number, i.title)));
        if let Some(f) = &i.figures {
            doc = doc
                .add_paragraph(
                    Paragraph::new()
                        .add_run(bold(&format!("{}: ", f.status)))
                        .add_run(Run::new().add_text(&f.reason)),
                )
                .add_paragraph(small(&format!(
                    "Wert: {} · Ziel bis dahin: {}{} · {}",
                    f.value,
                    f.target,
                    if f.forecast.is_empty() {
                        String::new()
                    } else {
                        format!(" · {}", f.forecast)
                    },
                    f.source
                )));
        }
        if let Some(a) = &i.action {
            doc = doc.add_paragraph(text(a));
        }
        if !i.appraisal.is_empty() {
            doc = doc.add_paragraph(Paragraph::new().add_run(bold("Würdigung:")));
            for p in &i.appraisal {
                doc = doc.add_paragraph(text(p));
            }
        }
        if !i.steering.is_empty() {
            doc = doc.add_paragraph(text(&i.steering));
        }
        for d in &i.decisions {
            doc = doc.add_paragraph(
                Paragraph::new()
                    .add_run(bold("Beschluss: "))
                    .add_run(Run::new().add_text(&d.text)),
            );
            if let Some(a) = &d.action {
                doc = doc.add_paragraph(text(a));
            }
        }
    }
    if !m.updates.is_empty() {
        doc = doc
            .add_paragraph(heading(2, "Stand der Aufgaben aus früheren Sitzungen"))
            .add_table(table(
                &["Aufgabe", "verantwortlich", "fällig", "Status", "Vermerk"],
                m.updates.iter().map(|u| {
                    vec![
                        u.what.clone(),
                        u.owner.clone(),
                        u.due.clone(),
                        u.status.clone(),
                        u.note.clone(),
                    ]
                }),
            ));
    }
    doc = doc.add_paragraph(small(&format!("Erstellt am {}", m.created)));
    pack(doc)
}
