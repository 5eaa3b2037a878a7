//! Reading what users bring: the agreement file (TOML) today, monthly figures (CSV/XLSX) later.
//!
//! Every error names the place (file, line, column, field) and says in German what was expected.
//! Nothing here touches the database: parsing yields domain values, and the caller stores them in
//! one transaction.

pub mod agreement_file;
pub mod german;
pub mod groups;
pub mod identity;
mod location;
pub mod long_csv;
pub mod mapped;

pub use agreement_file::{AgreementFileError, FileProblem, export, parse};
