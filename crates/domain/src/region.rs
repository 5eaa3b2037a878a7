//! Regions that hold values: a Jobcenter, a Kreis or kreisfreie Stadt, a Land, the Bund. A
//! region needs no agreement to hold values (published statistics for the Land and the Bund
//! are values of those regions, not of an invented Jobcenter).
//!
//! A region's id says its kind: the BA's Jobcenter id (`t36402`), the five-digit
//! Kreisschlüssel (`05158`), the Land's two digits (`05`), `DE` for the Bund. Files name
//! regions by any of their keys; [`RegionId::from_key`] reads them.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ids::BaId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionKind {
    Bund,
    Land,
    Kreis,
    Jobcenter,
}

impl RegionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RegionKind::Bund => "bund",
            RegionKind::Land => "land",
            RegionKind::Kreis => "kreis",
            RegionKind::Jobcenter => "jobcenter",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "bund" => Some(Self::Bund),
            "land" => Some(Self::Land),
            "kreis" => Some(Self::Kreis),
            "jobcenter" => Some(Self::Jobcenter),
            _ => None,
        }
    }

    pub fn label_de(self) -> &'static str {
        match self {
            RegionKind::Bund => "Bund",
            RegionKind::Land => "Land",
            RegionKind::Kreis => "Kreis oder kreisfreie Stadt",
            RegionKind::Jobcenter => "Jobcenter",
        }
    }
}

/// The id of a region, in its canonical form.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RegionId(String);

/// The id of the Bund.
pub const BUND: &str = "DE";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "„{0}“ ist keine Regionskennung: erwartet wird eine Jobcenter-Kennung der BA (t36402), ein Kreisschlüssel (05158 oder 05158000), ein Landesschlüssel (05) oder DE für den Bund"
)]
pub struct RegionError(pub String);

impl RegionId {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn kind(&self) -> RegionKind {
        match self.0.len() {
            _ if self.0 == BUND => RegionKind::Bund,
            2 => RegionKind::Land,
            5 => RegionKind::Kreis,
            _ => RegionKind::Jobcenter,
        }
    }

    pub fn bund() -> Self {
        Self(BUND.into())
    }

    /// The Jobcenter's id, if the region is one.
    pub fn jobcenter(&self) -> Option<BaId> {
        (self.kind() == RegionKind::Jobcenter)
            .then(|| self.0.parse().ok())
            .flatten()
    }

    /// The region a key of a file names, in canonical form: a BA Jobcenter id; a Kreis by its
    /// five-digit Kreisschlüssel or the eight-digit Kreiskennziffer (`05158000`, as INKAR and
    /// the Regionalstatistik write it); a Land by two digits; the Bund as `DE`, `D`,
    /// `Deutschland`, `0`, `00` or INKAR's `111`. Whether the region is known is the register's
    /// business.
    pub fn from_key(raw: &str) -> Result<Self, RegionError> {
        let s = raw.trim();
        let digits = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let id = match s {
            "DE" | "D" | "Deutschland" | "Bund" | "0" | "00" | "111" => BUND.to_owned(),
            _ if digits && s.len() == 2 => s.to_owned(),
            _ if digits && s.len() == 5 => s.to_owned(),
            _ if digits && s.len() == 8 && s.ends_with("000") => s[..5].to_owned(),
            _ => match s.parse::<BaId>() {
                Ok(id) => id.as_str().to_owned(),
                Err(_) => return Err(RegionError(raw.to_owned())),
            },
        };
        Ok(Self(id))
    }
}

impl From<&BaId> for RegionId {
    fn from(id: &BaId) -> Self {
        Self(id.as_str().to_owned())
    }
}

impl From<BaId> for RegionId {
    fn from(id: BaId) -> Self {
        Self::from(&id)
    }
}

/// A Jobcenter's region is the Jobcenter.
impl PartialEq<BaId> for RegionId {
    fn eq(&self, other: &BaId) -> bool {
        self.0 == other.as_str()
    }
}

impl std::str::FromStr for RegionId {
    type Err = RegionError;

    /// The canonical form only (as stored); files go through [`RegionId::from_key`].
    fn from_str(s: &str) -> Result<Self, RegionError> {
        let id = Self::from_key(s)?;
        if id.0 == s {
            Ok(id)
        } else {
            Err(RegionError(s.to_owned()))
        }
    }
}

impl fmt::Display for RegionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl AsRef<str> for RegionId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for RegionId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for RegionId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// A region of the register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub id: RegionId,
    pub name: String,
    /// The Land of a Kreis or Jobcenter; the Bund of a Land.
    pub parent: Option<RegionId>,
    /// For a Jobcenter: the Kreise it covers.
    pub covers: Vec<RegionId>,
}

impl Region {
    pub fn kind(&self) -> RegionKind {
        self.id.kind()
    }

    /// "Mettmann (Kreis oder kreisfreie Stadt, 05158)".
    pub fn label_de(&self) -> String {
        format!("{} ({}, {})", self.name, self.kind().label_de(), self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_of_a_region_reads_as_its_canonical_id() {
        for (key, id, kind) in [
            ("t36402", "t36402", RegionKind::Jobcenter),
            ("05158", "05158", RegionKind::Kreis),
            ("05158000", "05158", RegionKind::Kreis),
            (" 05 ", "05", RegionKind::Land),
            ("111", "DE", RegionKind::Bund),
            ("DE", "DE", RegionKind::Bund),
        ] {
            let r = RegionId::from_key(key).unwrap();
            assert_eq!((r.as_str(), r.kind()), (id, kind), "{key}");
        }
        for bad in ["t00", "05158001", "5158", "Mettmann", "", "t3640x"] {
            assert!(RegionId::from_key(bad).is_err(), "{bad}");
        }
        assert!("05158000".parse::<RegionId>().is_err(), "stored form only");
        let jc: RegionId = "t36402".parse().unwrap();
        assert_eq!(jc.jobcenter().unwrap().as_str(), "t36402");
        assert_eq!(RegionId::bund().jobcenter(), None);
    }
}
