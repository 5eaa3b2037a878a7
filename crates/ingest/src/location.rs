//! Byte offsets to line/column, and field paths to spans, over a parsed TOML document.

use std::ops::Range;

use toml::de::{DeTable, DeValue};
use zielwerk_domain::agreement::{FieldPath, PathSeg};

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    LineIndex::new(source).line_col(offset)
}

/// Where the lines of a text start, for many line/column lookups in one pass over the text
/// (ten thousand problems in a large file must not each count the lines again).
pub struct LineIndex<'a> {
    source: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(source: &'a str) -> Self {
        let starts = std::iter::once(0)
            .chain(source.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self { source, starts }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.source.len());
        while !self.source.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        (line, self.source[start..offset].chars().count() + 1)
    }
}

type Spanned<T> = toml::Spanned<T>;

fn get<'a, 'i>(table: &'a DeTable<'i>, key: &str) -> Option<&'a Spanned<DeValue<'i>>> {
    table
        .iter()
        .find(|(k, _)| k.get_ref().as_ref() == key)
        .map(|(_, v)| v)
}

/// The span of the value at `path`, or of its nearest ancestor that exists. Also returns the key
/// span of the last found field so that a missing child can point at its parent's key.
pub fn span_of(root: &DeTable<'_>, path: &FieldPath) -> Option<Range<usize>> {
    let mut best: Option<Range<usize>> = None;
    let mut current: Option<&DeValue<'_>> = None;
    for seg in &path.0 {
        let next = match (seg, current) {
            (PathSeg::Field(name), None) => get(root, name),
            (PathSeg::Field(name), Some(DeValue::Table(t))) => get(t, name),
            (PathSeg::Index(i), Some(DeValue::Array(a))) => a.get(*i),
            _ => None,
        };
        match next {
            Some(v) => {
                best = Some(v.span());
                current = Some(v.get_ref());
            }
            None => break,
        }
    }
    best
}

/// The path of the deepest value whose span contains `offset`, e.g. `goals[3].target`.
pub fn path_at(root: &DeTable<'_>, offset: usize) -> String {
    let mut out = String::new();
    descend_table(root, offset, &mut out);
    out
}

fn descend_table(table: &DeTable<'_>, offset: usize, out: &mut String) {
    for (key, value) in table.iter() {
        let in_key = key.span().contains(&offset);
        if in_key || covers(value, offset) {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(key.get_ref());
            if !in_key {
                descend_value(value.get_ref(), offset, out);
            }
            return;
        }
    }
}

/// Whether `offset` lies in the value or in one of its children. Tables opened by a header
/// (`[jobcenter]`, `[[goals]]`) span only the header, so children must be asked too.
fn covers(value: &Spanned<DeValue<'_>>, offset: usize) -> bool {
    if value.span().contains(&offset) {
        return true;
    }
    match value.get_ref() {
        DeValue::Table(t) => t
            .iter()
            .any(|(k, v)| k.span().contains(&offset) || covers(v, offset)),
        DeValue::Array(a) => a.iter().any(|v| covers(v, offset)),
        _ => false,
    }
}

fn descend_value(value: &DeValue<'_>, offset: usize, out: &mut String) {
    match value {
        DeValue::Table(t) => descend_table(t, offset, out),
        DeValue::Array(a) => {
            for (i, item) in a.iter().enumerate() {
                if covers(item, offset) {
                    out.push_str(&format!("[{}]", i + 1));
                    descend_value(item.get_ref(), offset, out);
                    return;
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column() {
        let s = "a = 1\nbb = \"ä\"\n";
        assert_eq!(line_col(s, 0), (1, 1));
        assert_eq!(line_col(s, 6), (2, 1));
        assert_eq!(line_col(s, 11), (2, 6));
        assert_eq!(line_col(s, 1000), (3, 1));
    }
}
