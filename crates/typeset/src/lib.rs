//! PDF through typst, as a library.
//!
//! The typst "world" here has no file system and no network: the main source is one of the
//! templates compiled into this crate, the document's data arrives as `/data.json`, its charts
//! as `/charts/<name>.svg`, and the fonts are embedded (typst-assets, plus DejaVu Sans from the
//! `dejavu` crate for a sans-serif text face; the charts name the same family). Nothing is
//! downloaded, `@preview` packages are not available on purpose.
//!
//! The templates take data, never spliced markup: a title with `#` or `]` in it is just text.

use std::collections::HashMap;
use std::sync::OnceLock;

use typst::diag::{FileError, FileResult, Severity};
use typst::foundations::{Bytes, Datetime};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};
use typst_layout::PagedDocument;

/// The document templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    /// The committee paper; its data chooses the part (whole paper or one Anlage).
    Vorlage,
    /// The monthly monitoring report.
    Monitoring,
    /// The minutes of a steering meeting.
    Minutes,
    /// The quarterly status report and the year-end review.
    Period,
}

impl Template {
    fn source(self) -> &'static str {
        match self {
            Template::Vorlage => include_str!("../templates/vorlage.typ"),
            Template::Monitoring => include_str!("../templates/monitoring.typ"),
            Template::Minutes => include_str!("../templates/minutes.typ"),
            Template::Period => include_str!("../templates/period.typ"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TypesetError {
    #[error("Das PDF konnte nicht gesetzt werden: {0}")]
    Compile(String),
    #[error("Die Daten des Dokuments sind nicht serialisierbar: {0}")]
    Data(#[from] serde_json::Error),
}

struct Fonts {
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

fn fonts() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| {
        let dejavu = [
            dejavu::sans::regular(),
            dejavu::sans::bold(),
            dejavu::sans::oblique(),
            dejavu::sans::bold_oblique(),
        ];
        let fonts: Vec<Font> = typst_assets::fonts()
            .chain(dejavu)
            .flat_map(|data| Font::iter(Bytes::new(data)))
            .collect();
        Fonts {
            book: LazyHash::new(FontBook::from_fonts(&fonts)),
            fonts,
        }
    })
}

fn library() -> &'static LazyHash<Library> {
    static LIBRARY: OnceLock<LazyHash<Library>> = OnceLock::new();
    LIBRARY.get_or_init(|| LazyHash::new(Library::default()))
}

fn file_id(path: &str) -> FileId {
    RootedPath::new(
        VirtualRoot::Project,
        VirtualPath::new(path).expect("paths of this crate are valid"),
    )
    .intern()
}

/// The helpers every template imports (`#import "/tables.typ": *`).
const TABLES: &str = include_str!("../templates/tables.typ");

struct DocumentWorld {
    main: Source,
    tables: Source,
    files: HashMap<FileId, Bytes>,
    today: chrono::NaiveDate,
}

impl World for DocumentWorld {
    fn library(&self) -> &LazyHash<Library> {
        library()
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &fonts().book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else if id == self.tables.id() {
            Ok(self.tables.clone())
        } else {
            Err(FileError::NotSource)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.main.id() {
            return Ok(Bytes::from_string(self.main.text().to_owned()));
        }
        self.files
            .get(&id)
            .cloned()
            .ok_or_else(|| FileError::NotFound(id.vpath().get_without_slash().into()))
    }

    fn font(&self, index: usize) -> Option<Font> {
        fonts().fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        use chrono::Datelike;
        Datetime::from_ymd(
            self.today.year(),
            self.today.month() as u8,
            self.today.day() as u8,
        )
    }
}

/// A document to set: the template, its data, and the charts it refers to by name.
pub struct Document<'a> {
    pub template: Template,
    pub data: serde_json::Value,
    /// (file name, SVG), available to the template as `/charts/<name>`.
    pub charts: Vec<(&'a str, &'a str)>,
    /// The date the document is made (typst's `today`).
    pub today: chrono::NaiveDate,
}

/// Sets `doc` as PDF. Errors name the template line typst complained about.
pub fn pdf(doc: &Document<'_>) -> Result<Vec<u8>, TypesetError> {
    let main = Source::new(file_id("/main.typ"), doc.template.source().to_owned());
    let mut files = HashMap::new();
    files.insert(
        file_id("/data.json"),
        Bytes::from_string(serde_json::to_string(&doc.data)?),
    );
    for (name, svg) in &doc.charts {
        files.insert(
            file_id(&format!("/charts/{name}")),
            Bytes::from_string((*svg).to_owned()),
        );
    }
    let world = DocumentWorld {
        main,
        tables: Source::new(file_id("/tables.typ"), TABLES.to_owned()),
        files,
        today: doc.today,
    };
    let result = typst::compile::<PagedDocument>(&world);
    let document = result.output.map_err(|errors| {
        TypesetError::Compile(describe(
            &world,
            errors.iter().filter(|d| d.severity == Severity::Error),
        ))
    })?;
    let bytes = typst_pdf::pdf(&document, &typst_pdf::PdfOptions::default())
        .map_err(|errors| TypesetError::Compile(describe(&world, errors.iter())))?;
    // Memoised results of older compiles are of no further use in a long-running server.
    typst::comemo::evict(10);
    Ok(bytes)
}

fn describe<'a>(
    world: &DocumentWorld,
    diagnostics: impl Iterator<Item = &'a typst::diag::SourceDiagnostic>,
) -> String {
    diagnostics
        .map(|d| {
            let source = d.span.id().and_then(|id| world.source(id).ok());
            let line = match (&source, world.range(d.span)) {
                (Some(s), Some(r)) => s.lines().byte_to_line(r.start).map_or(0, |l| l + 1),
                _ => 0,
            };
            let file = source
                .map(|s| s.id().vpath().get_without_slash().to_owned())
                .unwrap_or_default();
            format!("Vorlage {file} Zeile {line}: {}", d.message)
        })
        .collect::<Vec<_>>()
        .join("; ")
}
