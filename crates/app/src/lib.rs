//! The application core: what a person can do with Zielwerk, for every front door.
//!
//! The web pages, the command line (and the API to come) only translate: they turn a request
//! into a call here and the answer into a page, a line or JSON. Every rule that decides what a
//! person may do or what an operation means lives here or below, once:
//!
//! - `access`: the one door to the permission table, with the not-found rule for other
//!   Jobcenter's objects, and the edit rule (the responsible party, while unsigned);
//! - `agreements`: a goal or Handlungsansatz edited, a signature, a Nachtrag;
//! - `assessments`: every agreement assessed and forecast for every month of its year when
//!   the data changes, in the background; reads find the result, never fit a model;
//! - `actions`: action items and their status;
//! - `accounts`: the password rules and their hashing;
//! - `documents`: load an agreement with its values, assess, build report models, set them as
//!   PDF, DOCX or XLSX, publish a Vorlage, create a meeting with its frozen agenda;
//! - `meetings`: steering meetings, their agenda, appraisals and decisions;
//! - `reads`: the queries (agreements, an agreement assessed at a month, a goal with its
//!   forecast, an indicator's series), each authorised inside;
//! - `regions`: published statistics across regions: a Land's or the Bund's Kreise for one
//!   indicator and year, a Kreis against its Land, the Bund and its computed comparison group;
//! - `values`: importing values (file or JSON records, preview and commit) and commenting
//!   on one;
//! - `vorlagen`: a Vorlage drafted, saved, published;
//! - `tokens`: personal API tokens, and the principal a token acts as;
//! - `error`: the one error type.
//!
//! The crate knows no HTTP and no command-line parser.

pub mod access;
pub mod accounts;
pub mod actions;
pub mod agreements;
pub mod assessments;
pub mod compute;
pub mod documents;
pub mod drafting;
pub mod error;
pub mod external;
pub mod meetings;
pub mod own_records;
pub mod proposals;
pub mod reads;
pub mod regions;
pub mod tokens;
pub mod values;
pub mod vorlagen;

pub use error::{AppError, ConflictKind, Problem};
