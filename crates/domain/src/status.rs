//! The status of a goal at a reporting month, as the steering rules decide it (`engine::status`)
//! and as meetings freeze it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Verfehlt: worse than the target by more than the tolerance.
    Missed,
    /// Gefährdet: worse than the target, within the tolerance.
    AtRisk,
    /// Im Plan.
    OnTrack,
    /// Keine Daten.
    NoData,
}

impl Status {
    pub fn label_de(self) -> &'static str {
        match self {
            Status::OnTrack => "im Plan",
            Status::AtRisk => "gefährdet",
            Status::Missed => "verfehlt",
            Status::NoData => "keine Daten",
        }
    }

    /// A stable token for CSS classes and machine output.
    pub fn css(self) -> &'static str {
        match self {
            Status::OnTrack => "on-track",
            Status::AtRisk => "at-risk",
            Status::Missed => "missed",
            Status::NoData => "no-data",
        }
    }

    /// Sort rank: off-track goals first.
    pub fn rank(self) -> u8 {
        match self {
            Status::Missed => 0,
            Status::AtRisk => 1,
            Status::NoData => 2,
            Status::OnTrack => 3,
        }
    }
}

impl std::str::FromStr for Status {
    type Err = ();

    /// Parses the stable token of [`Status::css`].
    fn from_str(s: &str) -> Result<Self, ()> {
        [
            Status::Missed,
            Status::AtRisk,
            Status::OnTrack,
            Status::NoData,
        ]
        .into_iter()
        .find(|x| x.css() == s)
        .ok_or(())
    }
}
