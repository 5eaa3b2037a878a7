//! Server-side SVG charts, shared by the web pages and (later) the reports.
//!
//! Charts are plain SVG strings with a `<title>` and `<desc>` (the text alternative), a named
//! font family, and line styles that differ by dash pattern as well as colour, so they stay
//! readable in greyscale print and for people who do not tell the colours apart. Every chart is
//! shown next to a data table with the same numbers.

mod band;
mod calibration;
mod scale;
mod strip;
mod svg;
mod waterfall;

pub use band::{GroupBandChart, YearLine};
pub use calibration::{CalibrationGroup, CalibrationPlot};
pub use strip::{Dot, Reference, StripPlot};
pub use svg::{LineChart, MilestoneChart, Series, Sparkline};
pub use waterfall::{Step, Waterfall};

/// The font family named in every chart. The report pipeline loads a font of this family.
pub const FONT_FAMILY: &str = "'DejaVu Sans', 'Liberation Sans', Arial, sans-serif";
