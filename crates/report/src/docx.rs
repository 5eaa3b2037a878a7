//! The Vorlage as DOCX (docx-rs): the same model and structure as the PDF, with real Word
//! headings (so the navigation pane and screen readers see the sections), tables, and the charts
//! as PNG rendered from the same SVG with resvg.

use std::sync::{Arc, OnceLock};

use docx_rs::{
    AlignmentType, BreakType, Docx, Footer, PageMargin, PageOrientationType, PageSize, Paragraph,
    Pic, Run, RunFonts, Section, Style, StyleType, Table, TableCell, TableRow, WidthType,
};
use resvg::{tiny_skia, usvg};

use crate::minutes::Minutes;
use crate::model::{self, Choice, Vorlage};
use crate::period::PeriodReport;

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

/// A table cell; each line of `s` is a paragraph of its own.
fn cell(s: &str) -> TableCell {
    s.split('\n')
        .fold(TableCell::new(), |c, line| c.add_paragraph(text(line)))
}

fn header_cell(s: &str) -> TableCell {
    TableCell::new().add_paragraph(Paragraph::new().add_run(bold(s)))
}

/// A4 in twentieths of a point, and the margins of every page.
const A4_SHORT: u32 = 11_906;
const A4_LONG: u32 = 16_838;
const MARGIN: (i32, i32, i32, i32) = (1134, 1247, 1361, 1134);
/// Text width of a portrait page in twips (A4 less the left and right margins).
const TEXT_WIDTH_TWIPS: usize = (A4_SHORT as usize) - 1_361 - 1_134;
/// Text width of a landscape page (the Anlagen).
const LANDSCAPE_WIDTH_TWIPS: usize = (A4_LONG as usize) - 1_361 - 1_134;
/// Mean advance of a character of the body font (9.5 pt DejaVu Sans), in twips; bold a little
/// wider. Estimates only: the widths are shares, and Word wraps within them.
const CHAR_TWIPS: usize = 130;
/// Cell padding left and right, in twips.
const CELL_PAD_TWIPS: usize = 230;

/// Column widths from the content, the same rule as the PDF's tables (`tables.typ`): each
/// column gets at least its longest word and at most its longest cell on one line; the width
/// left over goes to the columns with the most text.
pub(crate) fn column_widths(header: &[&str], rows: &[Vec<String>], total: usize) -> Vec<usize> {
    let chars = |s: &str| s.chars().count();
    let extent = |s: &str| {
        // Only ordinary spaces separate words: "154.000.000 EUR" is held by a no-break space.
        let longest_word = s.split([' ', '\t', '\n']).map(chars).max().unwrap_or(0);
        let longest_line = s.lines().map(chars).max().unwrap_or(0);
        // A word of more than a third of the width is broken by Word anyway.
        (
            longest_word.min(total / 3 / CHAR_TWIPS).min(30),
            longest_line,
        )
    };
    let widths: Vec<(usize, usize)> = (0..header.len())
        .map(|i| {
            // The header is bold: about a sixth wider.
            let (head_lo, head_hi) = extent(header[i]);
            let (lo, hi) = rows
                .iter()
                .map(|r| extent(r.get(i).map_or("", String::as_str)))
                .fold(
                    (head_lo * 7 / 6 + 1, head_hi * 7 / 6 + 1),
                    |(a, b), (c, d)| (a.max(c), b.max(d)),
                );
            (
                lo * CHAR_TWIPS + CELL_PAD_TWIPS,
                hi.max(lo) * CHAR_TWIPS + CELL_PAD_TWIPS,
            )
        })
        .collect();
    let min: usize = widths.iter().map(|w| w.0).sum();
    let max: usize = widths.iter().map(|w| w.1).sum();
    widths
        .iter()
        .map(|&(lo, hi)| {
            if max <= total {
                hi * total / max.max(1)
            } else if min >= total {
                lo * total / min.max(1)
            } else {
                lo + (hi - lo) * (total - min) / (max - min)
            }
        })
        .collect()
}

/// Marks a table's first row as its header, repeated on every page: docx-rs cannot write
/// `w:tblHeader`, so header rows carry `w:cantSplit` (which only header rows use here) and
/// [`pack`] adds the header mark beside it.
const HEADER_ROW_MARK: &str = "<w:cantSplit />";

fn table(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> Table {
    table_of_width(header, rows, TEXT_WIDTH_TWIPS)
}

fn table_of_width(
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
    total: usize,
) -> Table {
    let rows: Vec<Vec<String>> = rows.into_iter().collect();
    let widths = column_widths(header, &rows, total);
    let sized = |c: TableCell, i: usize| c.width(widths[i], WidthType::Dxa);
    let mut all = vec![
        TableRow::new(
            header
                .iter()
                .enumerate()
                .map(|(i, h)| sized(header_cell(h), i))
                .collect(),
        )
        .cant_split(),
    ];
    all.extend(rows.iter().map(|r| {
        TableRow::new(
            r.iter()
                .enumerate()
                .map(|(i, c)| sized(cell(c), i))
                .collect(),
        )
    }));
    Table::new(all)
        .set_grid(widths.clone())
        .layout(docx_rs::TableLayoutType::Fixed)
        .width(total, WidthType::Dxa)
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

/// An Anlage on landscape pages (the document's last section); every Anlage but the first
/// starts on a new page.
fn anlage(doc: Docx, a: &model::Anlage, first: bool) -> Docx {
    let mut doc = doc;
    if !first {
        doc = doc.add_paragraph(Paragraph::new().add_run(Run::new().add_break(BreakType::Page)));
    }
    let mut doc = doc
        .add_paragraph(heading(1, &format!("Anlage {}: {}", a.number, a.title)))
        .add_paragraph(text(&a.intro));
    if !a.goals.is_empty() {
        doc = doc.add_table(table_of_width(
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
            LANDSCAPE_WIDTH_TWIPS,
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
fn margins() -> PageMargin {
    let (top, bottom, left, right) = MARGIN;
    PageMargin::new()
        .top(top)
        .bottom(bottom)
        .left(left)
        .right(right)
}

fn document(footer: &str) -> Docx {
    let mut doc = Docx::new()
        .page_size(A4_SHORT, A4_LONG)
        .page_margin(margins())
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
    let mut xml = doc.build();
    let document = String::from_utf8_lossy(&xml.document).replace(
        HEADER_ROW_MARK,
        &format!("{HEADER_ROW_MARK}<w:tblHeader />"),
    );
    xml.document = document.into_bytes();
    let mut out = std::io::Cursor::new(Vec::new());
    xml.pack(&mut out)
        .map_err(|e| DocxError::Write(e.to_string()))?;
    Ok(out.into_inner())
}

pub fn vorlage(v: &Vorlage) -> Result<Vec<u8>, DocxError> {
    let footer = format!("Vorlage {}", v.number);
    // The form and the report text are a portrait section of their own; the Anlagen follow in
    // the document's last section, in landscape, so that their five columns have room.
    let mut doc = Section::new()
        .page_size(PageSize::new().size(A4_SHORT, A4_LONG))
        .page_margin(margins())
        .footer(Footer::new().add_paragraph(small(&footer)));

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
            if let Some(c) = &g.comparison {
                doc = doc.add_paragraph(
                    Paragraph::new()
                        .add_run(bold("Vergleich mit anderen Kreisen: ").size(16))
                        .add_run(
                            Run::new()
                                .add_text(format!("{} {}. {}.", c.sentence, c.group, c.attribution))
                                .size(16),
                        ),
                );
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
    let mut out = document(&footer)
        .add_section(doc)
        .page_size(A4_LONG, A4_SHORT)
        .page_orient(PageOrientationType::Landscape);
    for (i, a) in v.anlagen.iter().enumerate() {
        out = anlage(out, a, i == 0);
    }
    pack(out)
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

/// The quarterly status report or the year-end review, in landscape like its PDF.
pub fn period(r: &PeriodReport) -> Result<Vec<u8>, DocxError> {
    let mut doc = document(&format!("{}, {} ({})", r.title, r.jobcenter, r.audience))
        .page_size(A4_LONG, A4_SHORT)
        .page_orient(PageOrientationType::Landscape)
        .add_paragraph(heading(1, &r.title))
        .add_paragraph(text(&format!(
            "{} · {} · Berichtszeitraum {} · erstellt am {}",
            r.agreement_title, r.jobcenter, r.period, r.created
        )));
    if r.demo {
        doc = doc.add_paragraph(Paragraph::new().add_run(bold(
            "Demodaten: teilweise generierte Werte, keine amtlichen Zahlen.",
        )));
    }
    doc = doc.add_paragraph(text(&r.summary));
    let mut header: Vec<&str> = vec!["Ziel"];
    header.extend(r.columns.iter().map(String::as_str));
    header.extend(["Entwicklung", r.outcome_heading.as_str(), "Begründung"]);
    doc = doc.add_table(table_of_width(
        &header,
        r.rows.iter().map(|row| {
            let mut cells = vec![format!(
                "{}\nZiel: {}\n{} · {}",
                row.title, row.target, row.area, row.responsible
            )];
            cells.extend(
                row.cells
                    .iter()
                    .map(|c| format!("{}\n{}", c.status, c.value)),
            );
            let mut reason = row.reason.clone();
            for c in &row.comments {
                reason.push_str(&format!("\nAnm. {}: {}", c.number, c.text));
            }
            cells.extend([row.development.clone(), row.outcome.clone(), reason]);
            cells
        }),
        LANDSCAPE_WIDTH_TWIPS,
    ));
    doc = doc
        .add_paragraph(heading(2, "Aufgaben aus den Steuerungsgesprächen"))
        .add_paragraph(text(&r.actions_note));
    if !r.actions.is_empty() {
        doc = doc.add_table(table_of_width(
            &["Aufgabe", "verantwortlich", "fällig", "Stand", "Ziel"],
            r.actions.iter().map(|a| {
                vec![
                    a.what.clone(),
                    a.owner.clone(),
                    if a.overdue {
                        format!("{} (überfällig)", a.due)
                    } else {
                        a.due.clone()
                    },
                    a.status.clone(),
                    a.goal.clone(),
                ]
            }),
            LANDSCAPE_WIDTH_TWIPS,
        ));
    }
    doc = doc.add_paragraph(small(&format!(
        "Quellen: {}. {}",
        r.sources.join("; "),
        r.confidentiality
    )));
    pack(doc)
}
