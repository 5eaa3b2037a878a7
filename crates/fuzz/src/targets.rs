//! The parser targets: the long CSV, files read through a mapping, mapping files, workbooks,
//! agreement files, and German numbers, months and the small codes of a value.

use std::path::Path;

use zielwerk_domain::keyfigures::catalogue;
use zielwerk_ingest::german::{DecimalStyle, MAX_ABS, parse_month, parse_number};
use zielwerk_ingest::long_csv::{Catalog, Refused};
use zielwerk_ingest::mapped::{Mapping, parse_mapping, read_mapped, read_workbook};

use crate::{Target, german};

/// Every parser target, in the order of the command line's list.
pub fn all() -> Vec<Box<dyn Target>> {
    vec![
        Box::new(LongCsv(catalog())),
        Box::new(MappedCsv::new()),
        Box::new(MappingFile),
        Box::new(Workbook::new()),
        Box::new(AgreementFile),
        Box::new(Numbers),
    ]
}

/// The shared folder beside the checkout (`../shared/data/real/`), when it is there.
fn real(name: &str) -> Option<Vec<u8>> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/real")
        .join(name);
    std::fs::read(p).ok()
}

pub fn catalog() -> Catalog {
    let mut c = Catalog::default();
    for j in ["t36402", "t73906"] {
        c.regions.insert(j.parse().expect("demo Jobcenter"));
    }
    for ind in catalogue() {
        c.indicators.insert(ind.code.clone(), ind);
    }
    let example = zielwerk_ingest::parse(
        "mettmann.toml",
        include_str!("../../../examples/agreement-mettmann-2022.toml"),
    )
    .expect("the example agreement parses");
    for ind in example.indicators {
        c.indicators.entry(ind.code.clone()).or_insert(ind);
    }
    c.latest_datenstand = chrono_today();
    c
}

fn chrono_today() -> Option<chrono::NaiveDate> {
    Some(chrono::Local::now().date_naive())
}

fn tokens(list: &[&str]) -> Vec<Vec<u8>> {
    list.iter().map(|t| t.as_bytes().to_vec()).collect()
}

/// Tokens that matter to every CSV.
const CSV_TOKENS: [&str; 40] = [
    ";",
    ",",
    "\t",
    "\n",
    "\r\n",
    "\"",
    "\"\"",
    "\u{feff}",
    "\u{0}",
    "\u{1b}",
    "ä",
    "ß",
    "€",
    "endgültig",
    "vorläufig",
    "hochgerechnet",
    "final",
    "31.12.9999",
    "29.02.2023",
    "31.1.23",
    "2022-13",
    "02/2022",
    "März 2022",
    "1e400",
    "NaN",
    "inf",
    "-0",
    "1.000.000,5",
    "1,234.5",
    "−5",
    "t36402",
    "t73906",
    "t00000",
    "BG",
    "KDU_SUMME",
    "SUCHT_ANTRITT",
    "haushaltsgroesse=1",
    " haushaltsgroesse = 1 ",
    "jobcenter",
    "9999999999999",
];

/// Every problem of a refusal: German, at a line of the file, short; the whole refusal bounded.
pub fn refusal_is_usable(r: &Refused) -> Result<(), String> {
    for p in &r.errors {
        german(&p.message)?;
        if p.row == 0 {
            return Err(format!("ohne Zeile: {}", crate::shorten(&p.message)));
        }
        if p.value.chars().count() > 61 || p.column.chars().count() > 61 {
            return Err("wiederholt einen langen Wert ganz".into());
        }
    }
    let text = r.to_string();
    if text.len() > 64 * 1024 {
        return Err(format!("Ablehnung von {} Bytes", text.len()));
    }
    Ok(())
}

/// Runs one value reader with a sink that keeps what it accepts, and judges the outcome: what is
/// accepted is finite and in range, what is refused is usable (`refusal_is_usable`).
fn judge(
    read: impl FnOnce(
        &mut dyn FnMut(Vec<zielwerk_domain::Observation>) -> Result<(), String>,
    ) -> Result<zielwerk_ingest::long_csv::Accepted, Refused>,
) -> Result<(), String> {
    let mut got = Vec::new();
    let outcome = read(&mut |chunk| {
        got.extend(chunk);
        Ok(())
    });
    match outcome {
        Ok(_) => accepted_values_are_finite(&got),
        Err(r) => refusal_is_usable(&r),
    }
}

fn accepted_values_are_finite(values: &[zielwerk_domain::Observation]) -> Result<(), String> {
    for o in values {
        for v in [o.value, o.numerator, o.denominator].into_iter().flatten() {
            if !v.is_finite() || v.abs() > MAX_ABS {
                return Err(format!("Wert {v} angenommen"));
            }
        }
    }
    Ok(())
}

/// The long CSV (`docs/import.md`), against the demo's catalogue.
pub struct LongCsv(pub Catalog);

impl Target for LongCsv {
    fn name(&self) -> &'static str {
        "csv"
    }
    fn what(&self) -> &'static str {
        "Werte-CSV (langes Format)"
    }
    fn seeds(&self) -> Vec<Vec<u8>> {
        let header =
            "jobcenter;kennzahl;monat;wert;zaehler;nenner;status;datenstand;aufschluesselung\n";
        vec![
            format!("{header}t36402;BG;2022-01;18.123;;;endgültig;31.01.2023;\nt36402;BG;02/2022;18.100,5;;;vorläufig;31.01.2023;\nt36402;SUCHT_ANTRITT;2022-01;;25;41;endgültig;15.02.2022;\n").into_bytes(),
            format!("{header}t36402;KDU_SUMME;März 2022;12.345.678,90;;;hochgerechnet;2022-04-30;haushaltsgroesse=1\nt73906;BG;2022-03;9.000;;;endgültig;2022-04-30;\n").into_bytes(),
            b"jobcenter,kennzahl,monat,wert,status,datenstand\nt36402,BG,2022-06,18000.5,final,2023-03-31\n".to_vec(),
        ]
    }
    fn dictionary(&self) -> Vec<Vec<u8>> {
        tokens(&CSV_TOKENS)
    }
    fn check(&self, input: &[u8]) -> Result<(), String> {
        judge(|sink| zielwerk_ingest::long_csv::read("werte.csv", input, &self.0, sink))
    }
}

/// The shipped mappings with the real files they are for (where the shared folder has them).
pub fn mappings() -> Vec<(&'static str, Mapping)> {
    [
        (
            "regensburg-kennzahlen-sgb2.toml",
            include_str!("../../../mappings/regensburg-kennzahlen-sgb2.toml"),
        ),
        (
            "regensburg-eckwerte-long.toml",
            include_str!("../../../mappings/regensburg-eckwerte-long.toml"),
        ),
        (
            "ba-wohnkosten-haushaltsgroesse.toml",
            include_str!("../../../mappings/ba-wohnkosten-haushaltsgroesse.toml"),
        ),
    ]
    .into_iter()
    .map(|(name, text)| {
        (
            name,
            parse_mapping(name, text).expect("a shipped mapping parses"),
        )
    })
    .collect()
}

/// Any CSV read through each shipped mapping.
pub struct MappedCsv {
    mappings: Vec<(&'static str, Mapping)>,
    catalog: Catalog,
}

impl MappedCsv {
    pub fn new() -> Self {
        Self {
            mappings: mappings(),
            catalog: catalog(),
        }
    }
}

impl Default for MappedCsv {
    fn default() -> Self {
        Self::new()
    }
}

impl Target for MappedCsv {
    fn name(&self) -> &'static str {
        "zuordnung"
    }
    fn what(&self) -> &'static str {
        "CSV über eine Zuordnung (die drei mitgelieferten)"
    }
    fn seeds(&self) -> Vec<Vec<u8>> {
        let mut seeds: Vec<Vec<u8>> = [
            "regensburg/kennzahlen_sgb2.csv",
            "ba_wohnkosten_mettmann/t36402_mettmann_202604_household_size.csv",
        ]
        .iter()
        .filter_map(|f| real(f))
        .collect();
        if let Some(long) = real("regensburg/eckwerte_long.csv") {
            // The first 4 KB: enough of its shape, small enough to mutate quickly.
            let end = long
                .iter()
                .take(4096)
                .rposition(|b| *b == b'\n')
                .unwrap_or(0);
            seeds.push(long[..=end].to_vec());
        }
        seeds.push(include_bytes!("../../demo/data/kennzahlen_sgb2.csv").to_vec());
        seeds
    }
    fn dictionary(&self) -> Vec<Vec<u8>> {
        let mut t = tokens(&CSV_TOKENS);
        t.extend(tokens(&[
            "period",
            "2026-04",
            "jobcenter,t36402",
            "\"Mettmann, JC\"",
            "*",
            "-",
            "x",
        ]));
        t
    }
    fn check(&self, input: &[u8]) -> Result<(), String> {
        for (name, mapping) in &self.mappings {
            judge(|sink| read_mapped("datei.csv", input, mapping, &self.catalog, sink))
                .map_err(|e| format!("{name}: {e}"))?;
        }
        Ok(())
    }
}

/// Mapping files (`docs/import-mapping.md`).
pub struct MappingFile;

impl Target for MappingFile {
    fn name(&self) -> &'static str {
        "zuordnungsdatei"
    }
    fn what(&self) -> &'static str {
        "Zuordnungsdatei (TOML)"
    }
    fn seeds(&self) -> Vec<Vec<u8>> {
        vec![
            include_bytes!("../../../mappings/regensburg-kennzahlen-sgb2.toml").to_vec(),
            include_bytes!("../../../mappings/regensburg-eckwerte-long.toml").to_vec(),
            include_bytes!("../../../mappings/ba-wohnkosten-haushaltsgroesse.toml").to_vec(),
        ]
    }
    fn dictionary(&self) -> Vec<Vec<u8>> {
        tokens(&[
            "=",
            "\"",
            "'",
            "[[values]]",
            "[",
            "]",
            "{",
            "}",
            "\n",
            "#",
            "\\u0000",
            "\"\"\"",
            "1e400",
            "-1",
            "true",
            "header_rows = 99999999",
            "sheet = \"\"",
            "breakdown = \"x\"",
            "indicator = \"BG\"",
            "column = \"\"",
        ])
    }
    fn check(&self, input: &[u8]) -> Result<(), String> {
        let Ok(text) = std::str::from_utf8(input) else {
            return Ok(()); // the callers refuse non-UTF-8 before (tested there)
        };
        match parse_mapping("zuordnung.toml", text) {
            Ok(_) => Ok(()),
            Err(m) => {
                german(&m)?;
                if !m.contains("zuordnung.toml") {
                    return Err(format!("nennt die Datei nicht: {}", crate::shorten(&m)));
                }
                Ok(())
            }
        }
    }
}

/// XLSX and ODS workbooks read through the wide Regensburg mapping.
pub struct Workbook {
    mapping: Mapping,
    catalog: Catalog,
}

impl Workbook {
    pub fn new() -> Self {
        Self {
            mapping: mappings().swap_remove(0).1,
            catalog: catalog(),
        }
    }
}

impl Default for Workbook {
    fn default() -> Self {
        Self::new()
    }
}

/// A small workbook in the shape of `kennzahlen_sgb2.csv`: a title row, the header, months.
fn workbook_seed(rows: usize) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let header = [
        "period",
        "Bedarfsgemeinschaften",
        "Erwerbsfähige Leistungsberechtigte (ELB)",
    ];
    ws.write_string(0, 0, "Eckwerte für Jobcenter")
        .expect("cell");
    for (c, h) in header.iter().enumerate() {
        ws.write_string(1, c as u16, *h).expect("cell");
    }
    for r in 0..rows {
        let row = r as u32 + 2;
        ws.write_string(row, 0, format!("2022-{:02}", r % 12 + 1))
            .expect("cell");
        ws.write_number(row, 1, 5_000.0 + r as f64).expect("cell");
        ws.write_number(row, 2, 7_000.5 + r as f64).expect("cell");
    }
    wb.save_to_buffer().expect("a workbook in memory")
}

impl Target for Workbook {
    fn name(&self) -> &'static str {
        "arbeitsmappe"
    }
    fn what(&self) -> &'static str {
        "Arbeitsmappe (XLSX; ODS über dieselbe Leseschicht)"
    }
    fn seeds(&self) -> Vec<Vec<u8>> {
        vec![workbook_seed(3), workbook_seed(12)]
    }
    fn dictionary(&self) -> Vec<Vec<u8>> {
        tokens(&[
            "PK\u{3}\u{4}",
            "PK\u{1}\u{2}",
            "PK\u{5}\u{6}",
            "<c r=\"XFD1048576\"><v>1</v></c>",
            "<c r=\"ZZ200000\" t=\"s\"><v>0</v></c>",
            "<si><t>",
            "</t></si>",
            "xl/worksheets/sheet1.xml",
            "\u{ff}\u{ff}\u{ff}\u{ff}",
            "\u{0}\u{0}\u{0}\u{0}",
        ])
    }
    fn check(&self, input: &[u8]) -> Result<(), String> {
        for name in ["mappe.xlsx", "mappe.ods"] {
            judge(|sink| read_workbook(name, input.to_vec(), &self.mapping, &self.catalog, sink))?;
        }
        Ok(())
    }
}

/// Agreement files (`docs/agreement-format.md`).
pub struct AgreementFile;

impl Target for AgreementFile {
    fn name(&self) -> &'static str {
        "vereinbarung"
    }
    fn what(&self) -> &'static str {
        "Vereinbarungsdatei (TOML)"
    }
    fn seeds(&self) -> Vec<Vec<u8>> {
        vec![
            include_bytes!("../../../examples/agreement-mettmann-2022.toml").to_vec(),
            include_bytes!("../../../examples/agreement-regensburg-2026.toml").to_vec(),
        ]
    }
    fn dictionary(&self) -> Vec<Vec<u8>> {
        tokens(&[
            "=",
            "\"",
            "[[goals]]",
            "[[indicators]]",
            "[[measures]]",
            "[[areas]]",
            "{",
            "}",
            "[",
            "]",
            ",",
            "\n",
            "#",
            "\\u0000",
            "\\u001b",
            "1e400",
            "nan",
            "-1.0",
            "inf",
            "kind = \"year_over_year\"",
            "kind = \"rolling_rate\"",
            "lag = 999999",
            "base = \"BG\"",
            "key = \"g1\"",
            "indicator = \"BG\"",
            "unit = \"count\"",
            "direction = \"lower\"",
            "year = 99999",
            "version = 0",
            "milestone",
            "2022-02-30",
        ])
    }
    fn check(&self, input: &[u8]) -> Result<(), String> {
        let Ok(text) = std::str::from_utf8(input) else {
            return Ok(()); // refused as not UTF-8 by the readers before (tested there)
        };
        match zielwerk_ingest::parse("vereinbarung.toml", text) {
            Ok(a) => {
                // What is accepted can be written and read again to the same agreement.
                let again = zielwerk_ingest::export(&a);
                let back = zielwerk_ingest::parse("export.toml", &again).map_err(|e| {
                    format!(
                        "Export nicht wieder lesbar: {}",
                        crate::shorten(&e.to_string())
                    )
                })?;
                if back != a {
                    return Err("Export ergibt eine andere Vereinbarung".into());
                }
                Ok(())
            }
            Err(e) => {
                for p in &e.problems {
                    german(&p.message)?;
                    if p.line == 0 || p.column == 0 {
                        return Err(format!(
                            "ohne Zeile und Spalte: {}",
                            crate::shorten(&p.message)
                        ));
                    }
                }
                let text = e.to_string();
                if text.len() > 64 * 1024 {
                    return Err(format!("Fehlerbericht von {} Bytes", text.len()));
                }
                Ok(())
            }
        }
    }
}

/// German numbers in both styles, months, breakdown classes, Jobcenter ids and indicator codes.
pub struct Numbers;

impl Target for Numbers {
    fn name(&self) -> &'static str {
        "zahlen"
    }
    fn what(&self) -> &'static str {
        "Zahlen, Monate, Aufschlüsselungen, Kennungen"
    }
    fn seeds(&self) -> Vec<Vec<u8>> {
        tokens(&[
            "1.234,56",
            "1234.56",
            "-0,5",
            "−1.000",
            "12.345.678,9",
            "03/2022",
            "März 2022",
            "2022-03",
            "01.03.2022",
            "haushaltsgroesse=3",
            "t36402",
            "KDU_SUMME",
            "999999999999,99",
        ])
    }
    fn dictionary(&self) -> Vec<Vec<u8>> {
        tokens(&[
            ".",
            ",",
            "-",
            "−",
            "e",
            "E",
            "+",
            " ",
            "\u{a0}",
            "0",
            "9",
            "/",
            "=",
            "Mai",
            "Januar",
            "\u{0}",
            "99999999999999999999",
            "1e400",
            "NaN",
            "inf",
            "٣",
        ])
    }
    fn check(&self, input: &[u8]) -> Result<(), String> {
        let text = String::from_utf8_lossy(input);
        for style in [DecimalStyle::Comma, DecimalStyle::Point] {
            match parse_number(&text, style) {
                Ok(v) if !v.is_finite() || v.abs() > MAX_ABS => {
                    return Err(format!("Zahl {v} angenommen"));
                }
                Ok(_) => {}
                Err(m) => german(&m)?,
            }
        }
        match parse_month(&text) {
            Ok(m) => {
                if !(zielwerk_domain::month::MIN_YEAR..=zielwerk_domain::month::MAX_YEAR)
                    .contains(&m.year())
                {
                    return Err(format!("Monat {m} angenommen"));
                }
            }
            Err(m) => german(&m)?,
        }
        if let Err(m) = zielwerk_domain::Breakdown::parse(&text) {
            german(&m)?;
        }
        if let Err(e) = text.parse::<zielwerk_domain::BaId>() {
            german(&e.to_string())?;
        }
        if let Err(e) = text.parse::<zielwerk_domain::IndicatorCode>() {
            german(&e.to_string())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every seed of every parser target passes: the oracle accepts what the product does right.
    #[test]
    fn the_seeds_pass() {
        for t in all() {
            for (i, s) in t.seeds().iter().enumerate() {
                t.check(s)
                    .unwrap_or_else(|e| panic!("{} Startwert {i}: {e}", t.name()));
            }
        }
    }
}
