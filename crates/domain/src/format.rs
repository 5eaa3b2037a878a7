//! German number formatting for everything a user reads: "1.234,56".

/// Formats `value` with `decimals` decimal places, a decimal comma and a thousands dot.
pub fn number(value: f64, decimals: usize) -> String {
    if !value.is_finite() {
        return "–".into();
    }
    let s = format!("{:.*}", decimals, value.abs());
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s.as_str(), None),
    };
    let mut grouped = String::with_capacity(int.len() + int.len() / 3 + decimals + 2);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(c);
    }
    if let Some(frac) = frac {
        grouped.push(',');
        grouped.push_str(frac);
    }
    let is_zero = grouped.bytes().all(|b| matches!(b, b'0' | b'.' | b','));
    if value < 0.0 && !is_zero {
        grouped.insert(0, '−');
    }
    grouped
}

/// Formats with a sign even for positive numbers ("+2,5"), for changes and deviations.
pub fn signed(value: f64, decimals: usize) -> String {
    let s = number(value, decimals);
    if value > 0.0 && s.bytes().any(|b| b.is_ascii_digit() && b != b'0') {
        format!("+{s}")
    } else {
        s
    }
}

/// A count with its noun in the right number: `counted(1, "Monat", "Monate")` is "1 Monat",
/// `counted(3, …)` "3 Monate". German needs the plural form for the case at hand ("in 3
/// Monaten"), so the caller names both forms.
pub fn counted(n: usize, singular: &str, plural: &str) -> String {
    format!("{n} {}", if n == 1 { singular } else { plural })
}

/// A size in bytes as people read it: "812 Bytes", "250,6 KB", "3,4 MB".
pub fn bytes(n: u64) -> String {
    match n {
        0..1_000 => counted(n as usize, "Byte", "Bytes"),
        1_000..1_000_000 => format!("{}\u{a0}KB", number(n as f64 / 1_000.0, 1)),
        _ => format!("{}\u{a0}MB", number(n as f64 / 1_000_000.0, 1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_sizes() {
        assert_eq!(counted(1, "Monat", "Monate"), "1 Monat");
        assert_eq!(counted(0, "Monat", "Monate"), "0 Monate");
        assert_eq!(counted(2, "Ziel", "Ziele"), "2 Ziele");
        assert_eq!(bytes(1), "1 Byte");
        assert_eq!(bytes(999), "999 Bytes");
        assert_eq!(bytes(256_648), "256,6\u{a0}KB");
        assert_eq!(bytes(3_400_000), "3,4\u{a0}MB");
    }

    #[test]
    fn german_format() {
        assert_eq!(number(1234.56, 2), "1.234,56");
        assert_eq!(number(17225.0, 0), "17.225");
        assert_eq!(number(999.0, 0), "999");
        assert_eq!(number(1_000_000.0, 0), "1.000.000");
        assert_eq!(number(-1234.5, 1), "−1.234,5");
        assert_eq!(number(-0.01, 1), "0,0");
        assert_eq!(number(0.5, 0), "0");
        assert_eq!(number(f64::NAN, 1), "–");
        assert_eq!(signed(2.5, 1), "+2,5");
        assert_eq!(signed(-2.5, 1), "−2,5");
        assert_eq!(signed(0.0, 1), "0,0");
    }
}
