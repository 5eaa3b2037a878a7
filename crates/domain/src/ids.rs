//! Identifiers that arrive from outside and must be valid before anything trusts them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error(
        "„{0}“ ist keine BA-Jobcenter-Kennung: erwartet wird „t“ gefolgt von fünf Ziffern (z. B. t36402)"
    )]
    BaId(String),
    #[error(
        "„{0}“ ist kein Amtlicher Gemeindeschlüssel: erwartet werden 2, 3, 5 oder 8 Ziffern (z. B. 05158)"
    )]
    Ags(String),
    #[error(
        "„{0}“ ist kein gültiger Kennzahl-Code: erwartet werden 1 bis 32 Zeichen aus Großbuchstaben, Ziffern und „_“, beginnend mit einem Buchstaben (z. B. K2E4, BG)"
    )]
    IndicatorCode(String),
    #[error(
        "„{0}“ ist kein gültiger Schlüssel: erwartet werden 1 bis 48 Zeichen aus Kleinbuchstaben, Ziffern, „-“ und „_“, beginnend mit Buchstabe oder Ziffer (z. B. kdu-1)"
    )]
    Key(String),
}

macro_rules! string_newtype {
    ($(#[$meta:meta])* $name:ident, $check:expr, $err:path) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                let check: fn(&str) -> bool = $check;
                if check(s) {
                    Ok(Self(s.to_owned()))
                } else {
                    Err($err(s.to_owned()))
                }
            }
        }

        impl fmt::Display for $name {
            /// Honours width and alignment, so ids line up in tables.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

string_newtype!(
    /// The BA's Jobcenter id, e.g. `t36402` (Mettmann, JC).
    BaId,
    |s| s.len() == 6 && s.starts_with('t') && s[1..].bytes().all(|b| b.is_ascii_digit()),
    IdError::BaId
);

string_newtype!(
    /// Amtlicher Gemeindeschlüssel (Land 2, Regierungsbezirk 3, Kreis 5, Gemeinde 8 digits).
    Ags,
    |s| matches!(s.len(), 2 | 3 | 5 | 8) && s.bytes().all(|b| b.is_ascii_digit()),
    IdError::Ags
);

string_newtype!(
    /// The code of an indicator, e.g. `K2`, `K3E2`, `BG`, `KDU_SUMME`.
    IndicatorCode,
    |s| {
        (1..=32).contains(&s.len())
            && s.as_bytes()[0].is_ascii_uppercase()
            && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
    },
    IdError::IndicatorCode
);

string_newtype!(
    /// A short, stable, human-chosen key for goals, areas and measures within one agreement,
    /// e.g. `kdu-1`. Keys survive export and import, so references between them stay readable.
    Key,
    |s| {
        (1..=48).contains(&s.len())
            && s.as_bytes()[0].is_ascii_alphanumeric()
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    },
    IdError::Key
);

impl Key {
    /// A key made from a title, as a person would write it: lower case, umlauts spelt out,
    /// words joined by "-", at most 40 characters; `None` for a title without letters or digits.
    pub fn from_title(title: &str) -> Option<Key> {
        let mut out = String::new();
        for c in title.chars().flat_map(char::to_lowercase) {
            let spelt = match c {
                'ä' => "ae",
                'ö' => "oe",
                'ü' => "ue",
                'ß' => "ss",
                c if c.is_ascii_alphanumeric() => {
                    out.push(c);
                    continue;
                }
                _ => {
                    if !out.is_empty() && !out.ends_with('-') {
                        out.push('-');
                    }
                    continue;
                }
            };
            out.push_str(spelt);
        }
        let mut cut: String = out.chars().take(40).collect();
        while cut.ends_with('-') {
            cut.pop();
        }
        cut.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keys_from_titles() {
        let k = |t: &str| Key::from_title(t).map(|k| k.to_string());
        assert_eq!(
            k("Übergänge in Ausbildung erhöhen").as_deref(),
            Some("uebergaenge-in-ausbildung-erhoehen")
        );
        assert_eq!(
            k("§ 16a: Beratungen (Sucht)").as_deref(),
            Some("16a-beratungen-sucht")
        );
        assert_eq!(k("– –"), None);
        assert!(k(&"sehr lang ".repeat(20)).unwrap().len() <= 40);
    }

    #[test]
    fn ba_id() {
        assert!("t36402".parse::<BaId>().is_ok());
        for bad in ["36402", "T36402", "t3640", "t364021", "tabcde", ""] {
            assert!(bad.parse::<BaId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn ags() {
        for good in ["05", "051", "05158", "05158004"] {
            assert!(good.parse::<Ags>().is_ok(), "{good}");
        }
        for bad in ["5158", "0515800", "05a58", ""] {
            assert!(bad.parse::<Ags>().is_err(), "{bad}");
        }
    }

    #[test]
    fn indicator_code() {
        for good in ["K1", "K2E4", "BG", "KDU_SUMME"] {
            assert!(good.parse::<IndicatorCode>().is_ok(), "{good}");
        }
        for bad in ["k1", "1K", "K-1", "", "K 1"] {
            assert!(bad.parse::<IndicatorCode>().is_err(), "{bad}");
        }
    }

    #[test]
    fn key() {
        for good in ["kdu-1", "16a", "but_2"] {
            assert!(good.parse::<Key>().is_ok(), "{good}");
        }
        for bad in ["KdU", "-a", "a b", ""] {
            assert!(bad.parse::<Key>().is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn parsers_never_panic(s in "\\PC{0,40}") {
            let _ = s.parse::<BaId>();
            let _ = s.parse::<Ags>();
            let _ = s.parse::<IndicatorCode>();
            let _ = s.parse::<Key>();
        }
    }
}
