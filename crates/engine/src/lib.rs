//! Pure steering computations: indicator series from stored components, target trajectories, the
//! status of a goal with the rule that decided it, the KdU decomposition and municipal figures
//! from case lists.
//!
//! Nothing here performs I/O; every function takes plain data and returns plain data, so the
//! rules can be tested at their edges without a database or a server.

pub mod agenda;
pub mod comparison;
pub mod confidentiality;
pub mod decomposition;
pub mod municipal;
pub mod overview;
pub mod series;
pub mod status;

pub use confidentiality::{Grid, Protection, protect};
pub use decomposition::{Cell, Decomposition, decompose, decompose_total};
pub use overview::{
    AgreementState, ChangeExplanation, GoalState, Prepared, assess_agreement, default_as_of,
    prepare,
};
pub use series::{Evaluator, Gap, Point, Series, SeriesSet, evaluate, stored_series};
pub use status::{Assessment, Status, assess, target_path};
