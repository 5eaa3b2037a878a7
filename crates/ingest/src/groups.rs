//! An assigned comparison grouping from a CSV file (`docs/comparisons.md`): the BA's SGB II
//! Vergleichstypen or any other grouping of Kreise a user holds. One row per Kreis:
//!
//! ```text
//! kreis;vergleichstyp;bezeichnung
//! 05158;IIc;Städtische Gebiete mit überdurchschnittlicher Arbeitslosigkeit
//! ```
//!
//! `kreis` is the five-digit Kreisschlüssel (or INKAR's eight digits ending in `000`);
//! `vergleichstyp` the group's code; `bezeichnung` (optional) its name, the same for every row
//! of a group. The whole file is read and checked before anything is stored; every problem names
//! row, column and value.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;

use zielwerk_domain::{RegionId, RegionKind};

use crate::long_csv::{MAX_LISTED, MAX_VALUE_SHOWN, Problem, Refused, finish_hash, open};

/// The longest group code accepted.
pub const MAX_CODE: usize = 40;
/// The longest group name accepted.
pub const MAX_NAME: usize = 200;

/// One Kreis in its group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub region: RegionId,
    pub code: String,
    /// The group's name; the code where the file names none.
    pub name: String,
}

/// A grouping read completely and without errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grouping {
    pub assignments: Vec<Assignment>,
    pub sha256: String,
}

impl Grouping {
    /// The groups with their number of Kreise, by code.
    pub fn sizes(&self) -> BTreeMap<&str, usize> {
        let mut out = BTreeMap::new();
        for a in &self.assignments {
            *out.entry(a.code.as_str()).or_default() += 1;
        }
        out
    }
}

const REGION: [&str; 5] = [
    "kreis",
    "kennziffer",
    "kreisschluessel",
    "kreisschlüssel",
    "regionalschluessel",
];
const CODE: [&str; 3] = ["vergleichstyp", "gruppe", "typ"];
const NAME: [&str; 2] = ["bezeichnung", "name"];

fn shown(s: &str) -> String {
    if s.chars().count() > MAX_VALUE_SHOWN {
        let cut: String = s.chars().take(MAX_VALUE_SHOWN).collect();
        format!("{cut}…")
    } else {
        s.to_owned()
    }
}

/// Reads a grouping; `known` are the Kreise of the register (a row for any other region is an
/// error).
pub fn read(file: &str, input: impl Read, known: &HashSet<RegionId>) -> Result<Grouping, Refused> {
    let mut opened = open(
        file,
        input,
        "Die Datei ist leer; erwartet wird eine Kopfzeile mit den Spalten „kreis“ und „vergleichstyp“.",
    )?;
    let names: Vec<String> = opened
        .header
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_lowercase())
        .collect();
    let find = |wanted: &[&str]| names.iter().position(|n| wanted.contains(&n.as_str()));
    let (Some(region_at), Some(code_at)) = (find(&REGION), find(&CODE)) else {
        return Err(Refused::whole_file(
            file,
            format!(
                "Die Kopfzeile nennt {}; erwartet werden die Spalten „kreis“ (Kreisschlüssel) und „vergleichstyp“, dazu wahlweise „bezeichnung“.",
                if names.iter().all(String::is_empty) {
                    "keine Spalten".to_owned()
                } else {
                    names
                        .iter()
                        .map(|n| format!("„{n}“"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
        ));
    };
    let name_at = find(&NAME);
    let columns = (
        names[region_at].clone(),
        names[code_at].clone(),
        name_at.map(|i| names[i].clone()).unwrap_or_default(),
    );
    let mut errors: Vec<Problem> = Vec::new();
    let mut more = 0u64;
    let mut problem = |row: u64, column: &str, value: &str, message: String| {
        if errors.len() < MAX_LISTED {
            errors.push(Problem {
                row,
                column: column.to_owned(),
                value: shown(value),
                message,
                ..Default::default()
            });
        } else {
            more += 1;
        }
    };
    let mut assignments = Vec::new();
    let mut seen: HashMap<RegionId, u64> = HashMap::new();
    let mut group_names: HashMap<String, (String, u64)> = HashMap::new();
    let mut record = csv::StringRecord::new();
    let mut row = 1u64;
    loop {
        match opened.csv.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                problem(
                    row + 1,
                    "",
                    "",
                    format!("Die Zeile lässt sich nicht lesen: {e}"),
                );
                break;
            }
        }
        row += 1;
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let field = |i: usize| record.get(i).unwrap_or("").trim();
        let (raw_region, code) = (field(region_at), field(code_at));
        let name = name_at.map(field).unwrap_or("");
        let region = match RegionId::from_key(raw_region) {
            Ok(r) if r.kind() == RegionKind::Kreis && known.contains(&r) => Some(r),
            Ok(r) if r.kind() == RegionKind::Kreis => {
                problem(
                    row,
                    &columns.0,
                    raw_region,
                    "Diesen Kreisschlüssel gibt es im Gebietsverzeichnis nicht".into(),
                );
                None
            }
            _ => {
                problem(
                    row,
                    &columns.0,
                    raw_region,
                    "Erwartet wird ein fünfstelliger Kreisschlüssel (z. B. 05158) oder die achtstellige INKAR-Kennziffer (05158000)".into(),
                );
                None
            }
        };
        if code.is_empty() {
            problem(row, &columns.1, code, "Der Vergleichstyp fehlt".into());
            continue;
        }
        if code.chars().count() > MAX_CODE {
            problem(
                row,
                &columns.1,
                code,
                format!("Ein Vergleichstyp hat höchstens {MAX_CODE} Zeichen"),
            );
            continue;
        }
        if name.chars().count() > MAX_NAME {
            problem(
                row,
                &columns.2,
                name,
                format!("Eine Bezeichnung hat höchstens {MAX_NAME} Zeichen"),
            );
            continue;
        }
        let name = if name.is_empty() { code } else { name };
        match group_names.get(code) {
            Some((first, at)) if first != name => problem(
                row,
                &columns.2,
                name,
                format!(
                    "Der Vergleichstyp „{code}“ heißt in Zeile {at} „{first}“; eine Gruppe hat eine Bezeichnung"
                ),
            ),
            Some(_) => {}
            None => {
                group_names.insert(code.to_owned(), (name.to_owned(), row));
            }
        }
        let Some(region) = region else { continue };
        if let Some(first) = seen.get(&region) {
            problem(
                row,
                &columns.0,
                raw_region,
                format!(
                    "Dieser Kreis steht schon in Zeile {first}; ein Kreis gehört zu genau einer Gruppe"
                ),
            );
            continue;
        }
        seen.insert(region.clone(), row);
        assignments.push(Assignment {
            region,
            code: code.to_owned(),
            name: name.to_owned(),
        });
    }
    if assignments.is_empty() && row == 1 {
        problem(
            1,
            "",
            "",
            "Die Datei enthält keine Zeilen unter der Kopfzeile".into(),
        );
    }
    if !errors.is_empty() {
        return Err(Refused {
            file: file.to_owned(),
            errors,
            more,
        });
    }
    Ok(Grouping {
        assignments,
        sha256: finish_hash(&opened.hasher),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> HashSet<RegionId> {
        ["05158", "05111", "09362", "09375"]
            .iter()
            .map(|k| RegionId::from_key(k).unwrap())
            .collect()
    }

    #[test]
    fn a_german_file_with_names_reads() {
        let csv = "Kreis;Vergleichstyp;Bezeichnung\n05158000;IIc;Städtisch\n05111;IIc;Städtisch\n09362;Ia;Ländlich\n";
        let g = read("typen.csv", csv.as_bytes(), &known()).unwrap();
        assert_eq!(g.assignments.len(), 3);
        assert_eq!(g.assignments[0].region.as_str(), "05158");
        assert_eq!(g.assignments[2].name, "Ländlich");
        assert_eq!(g.sizes().get("IIc"), Some(&2));
        assert_eq!(g.sha256.len(), 64);
    }

    #[test]
    fn without_names_the_code_names_the_group() {
        let csv = "kreis,vergleichstyp\n05158,3\n";
        let g = read("typen.csv", csv.as_bytes(), &known()).unwrap();
        assert_eq!(g.assignments[0].name, "3");
    }

    #[test]
    fn every_problem_names_its_place() {
        let csv = "kreis;vergleichstyp;bezeichnung\n05158;IIc;Städtisch\n99999;IIc;Städtisch\nt36402;Ia;Ländlich\n05111;;\n05158;Ia;Ländlich\n09362;IIc;Anders\n";
        let e = read("typen.csv", csv.as_bytes(), &known()).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("typen.csv, Zeile 3, Spalte „kreis“, Wert „99999“: Diesen Kreisschlüssel gibt es im Gebietsverzeichnis nicht"),
            "{text}"
        );
        assert!(text.contains("Zeile 4, Spalte „kreis“, Wert „t36402“: Erwartet wird ein fünfstelliger Kreisschlüssel"), "{text}");
        assert!(
            text.contains("Zeile 5, Spalte „vergleichstyp“: Der Vergleichstyp fehlt"),
            "{text}"
        );
        assert!(
            text.contains(
                "Zeile 6, Spalte „kreis“, Wert „05158“: Dieser Kreis steht schon in Zeile 2"
            ),
            "{text}"
        );
        assert!(text.contains("Zeile 7, Spalte „bezeichnung“, Wert „Anders“: Der Vergleichstyp „IIc“ heißt in Zeile 2 „Städtisch“"), "{text}");
        assert_eq!(e.total(), 5);
    }

    #[test]
    fn a_header_without_the_columns_is_refused_as_a_whole() {
        let e = read("typen.csv", "region;typ2\n05158;1\n".as_bytes(), &known()).unwrap_err();
        assert!(
            e.to_string().contains(
                "Die Kopfzeile nennt „region“, „typ2“; erwartet werden die Spalten „kreis“"
            ),
            "{e}"
        );
        let e = read("typen.csv", "kreis;vergleichstyp\n".as_bytes(), &known()).unwrap_err();
        assert!(
            e.to_string().contains("keine Zeilen unter der Kopfzeile"),
            "{e}"
        );
    }
}
