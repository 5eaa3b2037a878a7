//! The application core: what a person can do with Zielwerk, for every front door.
//!
//! The web pages, the command line (and the API to come) only translate: they turn a request
//! into a call here and the answer into a page, a line or JSON. Every rule that decides what a
//! person may do or what an operation means lives here or below, once:
//!
//! - `access`: the one door to the permission table, with the not-found rule for other
//!   Jobcenter's objects, and the edit rule (the responsible party, while unsigned);
//! - `accounts`: the password rules and their hashing;
//! - `documents`: load an agreement with its values, assess, build report models, set them as
//!   PDF, DOCX or XLSX, publish a Vorlage, create a meeting with its frozen agenda;
//! - `error`: the one error type.
//!
//! The crate knows no HTTP and no command-line parser.

pub mod access;
pub mod accounts;
pub mod documents;
pub mod error;

pub use error::{AppError, Problem};
