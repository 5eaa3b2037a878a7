//! The vocabulary of Zielwerk.
//!
//! Everything here is plain data with invariants enforced at construction ("parse, don't
//! validate"): a [`YearMonth`] is always a real month in a sane range, a [`BaId`] always looks like
//! `t36402`, an [`IndicatorCode`] is always a valid code. The edges of the system (files, forms,
//! the database) convert into these types once; everything inside trusts them.
//!
//! This crate knows nothing about files, SQL, HTTP or async.

pub mod access;
pub mod agreement;
pub mod format;
pub mod ids;
pub mod indicator;
pub mod keyfigures;
pub mod meeting;
pub mod month;
pub mod nachtrag;
pub mod observation;
pub mod period;
pub mod region;
pub mod status;
pub mod vorlage;

pub use access::{Action, Grant, Narrowing, Principal, Role, Scope};
pub use agreement::{
    Agreement, AgreementKey, AgreementStatus, AreaKind, Goal, GoalArea, Jobcenter, Measure, Origin,
    Party, PartyRole, SeriesBreak, Target, Tolerance, version_standing,
};
pub use ids::{Ags, BaId, IdError, IndicatorCode, Key};
pub use indicator::{Accumulation, Direction, Formula, Indicator, Unit};
pub use meeting::{
    ActionItem, ActionStatus, GoalSnapshot, MeetingHeader, MeetingKind, Participant, ValueComment,
};
pub use month::{MonthError, YearMonth};
pub use observation::{Breakdown, CurrentValue, Observation, Source, SourceKind, ValueStatus};
pub use period::{Period, PeriodKind};
pub use region::{Region, RegionId, RegionKind};
pub use status::Status;
pub use vorlage::{Consultation, DecisionKind, Impact, Impacts, VorlageHeader};
