//! Documents from the live state of an agreement: the committee paper (Vorlage) and the monitoring
//! report as plain report models, and the texts and charts the pages show too.
//!
//! A report model is data only (strings, tables, SVG charts) and is built by pure functions from
//! the engine's results; every figure in it has passed the confidentiality step where the
//! document can leave the house. The model is then written as DOCX ([`docx`]) here, or as PDF by
//! the `zielwerk-typeset` crate (typst), so both formats show the same content.
//! This crate knows nothing about SQL or HTTP.

pub mod disclosure;
pub mod docx;
pub mod minutes;
pub mod model;
pub mod period;
pub mod present;
pub mod xlsx;
