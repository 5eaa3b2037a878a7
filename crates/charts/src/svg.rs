//! The chart kinds. Each renders to a self-contained SVG string.

use std::fmt::Write;

use zielwerk_domain::YearMonth;
use zielwerk_domain::format::number;

use crate::FONT_FAMILY;
use crate::scale::Scale;

/// Escapes text for SVG/XML content and attributes.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A monthly series for a line chart.
#[derive(Debug, Clone, Default)]
pub struct Series {
    pub points: Vec<(YearMonth, f64)>,
}

/// A line chart over months: actual values, the target trajectory and the tolerance band.
#[derive(Debug, Clone)]
pub struct LineChart {
    /// Unique within the page; used for element ids.
    pub id: String,
    /// Short title, read first by screen readers.
    pub title: String,
    /// The text alternative: what the chart shows, in sentences.
    pub description: String,
    /// Axis label, e.g. "Anzahl" or "EUR".
    pub y_label: String,
    pub decimals: usize,
    pub actual: Series,
    /// From this month on, actual values are projected (drawn hollow).
    pub projected_from: Option<YearMonth>,
    /// The months whose actual value is computed from own records, not yet official (drawn as
    /// hollow squares, before the projected rule).
    pub own: Vec<YearMonth>,
    pub target: Series,
    /// Tolerance band (month, low, high).
    pub band: Vec<(YearMonth, f64, f64)>,
    /// Forecast (month, point, low, high) of the 80 % interval, drawn after the last actual.
    pub forecast: Vec<(YearMonth, f64, f64, f64)>,
    /// Numbered notes on months (comments on values): a marker with the number above the month;
    /// the texts belong in the description and beside the chart.
    pub notes: Vec<(YearMonth, String)>,
}

const W: f64 = 760.0;
const H: f64 = 320.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 64.0;

const ACTUAL_COLOUR: &str = "#1f4e79";
const TARGET_COLOUR: &str = "#b45309";
const BAND_COLOUR: &str = "#f59e0b";
const GRID_COLOUR: &str = "#d9d9d9";
const TEXT_COLOUR: &str = "#222222";

impl LineChart {
    /// Renders the chart. Months without an actual value break the line.
    pub fn render(&self) -> String {
        let months: Vec<YearMonth> = {
            let mut all: Vec<YearMonth> = self
                .actual
                .points
                .iter()
                .chain(&self.target.points)
                .map(|(m, _)| *m)
                .chain(self.band.iter().map(|(m, _, _)| *m))
                .chain(self.forecast.iter().map(|(m, ..)| *m))
                .collect();
            all.sort();
            all.dedup();
            all
        };
        let (first, last) = match (months.first(), months.last()) {
            (Some(f), Some(l)) => (*f, *l),
            _ => return self.empty(),
        };
        let values = self
            .actual
            .points
            .iter()
            .chain(&self.target.points)
            .map(|(_, v)| *v)
            .chain(self.band.iter().flat_map(|(_, lo, hi)| [*lo, *hi]))
            .chain(
                self.forecast
                    .iter()
                    .flat_map(|(_, p, lo, hi)| [*p, *lo, *hi]),
            );
        let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
        let y = Scale::nice(lo, hi, 5);
        // Room for the longest tick label (about 7.6 px a character at 13 px) and the axis title.
        let longest = y
            .ticks
            .iter()
            .map(|t| number(*t, y.decimals).chars().count())
            .max()
            .unwrap_or(1);
        let left = (34.0 + 7.6 * longest as f64).max(LEFT);
        let span = f64::from(first.months_until(last).max(1));
        let x = |m: YearMonth| left + f64::from(first.months_until(m)) / span * (W - left - RIGHT);
        let py = |v: f64| y.map(v, H - BOTTOM, TOP);

        let mut s = String::new();
        let _ = write!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="100%" role="img" aria-labelledby="{id}-title {id}-desc" class="chart" font-family="{FONT_FAMILY}" font-size="13"><title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>"#,
            id = esc(&self.id),
            title = esc(&self.title),
            desc = esc(&self.description),
        );
        let _ = write!(
            s,
            r#"<defs><pattern id="{id}-hatch" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)"><rect width="6" height="6" fill="{BAND_COLOUR}" fill-opacity="0.18"/><line x1="0" y1="0" x2="0" y2="6" stroke="{BAND_COLOUR}" stroke-width="1.5" stroke-opacity="0.55"/></pattern></defs>"#,
            id = esc(&self.id)
        );

        // Grid and y axis.
        s.push_str(r#"<g class="grid">"#);
        for t in &y.ticks {
            let yy = py(*t);
            let _ = write!(
                s,
                r#"<line x1="{left}" x2="{:.1}" y1="{yy:.1}" y2="{yy:.1}" stroke="{GRID_COLOUR}"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="{TEXT_COLOUR}">{}</text>"#,
                W - RIGHT,
                left - 6.0,
                yy + 4.0,
                number(*t, y.decimals)
            );
        }
        let _ = write!(
            s,
            r#"<text transform="translate(14 {:.1}) rotate(-90)" text-anchor="middle" fill="{TEXT_COLOUR}">{}</text></g>"#,
            (TOP + H - BOTTOM) / 2.0,
            esc(&self.y_label)
        );

        // X axis: every January for long ranges, every quarter for a year or less.
        let long = first.months_until(last) > 18;
        s.push_str(r#"<g class="x-axis">"#);
        let _ = write!(
            s,
            r#"<line x1="{left}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="{TEXT_COLOUR}"/>"#,
            W - RIGHT,
            H - BOTTOM,
            H - BOTTOM
        );
        for m in first.through(last) {
            let label = if long {
                (m.month() == 1).then(|| m.year().to_string())
            } else {
                matches!(m.month(), 1 | 4 | 7 | 10).then(|| m.german_short())
            };
            if let Some(label) = label {
                let xx = x(m);
                let _ = write!(
                    s,
                    r#"<line x1="{xx:.1}" x2="{xx:.1}" y1="{:.1}" y2="{:.1}" stroke="{TEXT_COLOUR}"/><text x="{xx:.1}" y="{:.1}" text-anchor="middle" fill="{TEXT_COLOUR}">{label}</text>"#,
                    H - BOTTOM,
                    H - BOTTOM + 5.0,
                    H - BOTTOM + 19.0
                );
            }
        }
        s.push_str("</g>");

        // Tolerance band.
        if !self.band.is_empty() {
            let mut d = String::new();
            for (i, (m, _, hi)) in self.band.iter().enumerate() {
                let _ = write!(
                    d,
                    "{}{:.1},{:.1} ",
                    if i == 0 { "M" } else { "L" },
                    x(*m),
                    py(*hi)
                );
            }
            for (m, lo, _) in self.band.iter().rev() {
                let _ = write!(d, "L{:.1},{:.1} ", x(*m), py(*lo));
            }
            d.push('Z');
            let _ = write!(
                s,
                r#"<path class="band" d="{d}" fill="url(#{}-hatch)" stroke="none"/>"#,
                esc(&self.id)
            );
        }

        // Target trajectory: dashed.
        if !self.target.points.is_empty() {
            let _ = write!(
                s,
                r#"<path class="target" d="{}" fill="none" stroke="{TARGET_COLOUR}" stroke-width="2.5" stroke-dasharray="8 5"/>"#,
                path(&self.target.points, &x, &py)
            );
            if self.target.points.len() == 1 {
                let (m, v) = self.target.points[0];
                let _ = write!(
                    s,
                    r#"<line class="target" x1="{:.1}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="{TARGET_COLOUR}" stroke-width="2.5" stroke-dasharray="8 5"/>"#,
                    x(m) - 12.0,
                    x(m) + 12.0,
                    py(v),
                    py(v)
                );
            }
        }

        // Forecast: a grey band for the 80 % interval and a dotted line, joined to the last actual.
        if !self.forecast.is_empty() {
            let mut d = String::new();
            let anchor = self.actual.points.last().copied();
            let upper: Vec<(YearMonth, f64)> = anchor
                .into_iter()
                .chain(self.forecast.iter().map(|(m, _, _, hi)| (*m, *hi)))
                .collect();
            let lower: Vec<(YearMonth, f64)> = anchor
                .into_iter()
                .chain(self.forecast.iter().map(|(m, _, lo, _)| (*m, *lo)))
                .collect();
            for (i, (m, v)) in upper.iter().enumerate() {
                let _ = write!(
                    d,
                    "{}{:.1},{:.1} ",
                    if i == 0 { "M" } else { "L" },
                    x(*m),
                    py(*v)
                );
            }
            for (m, v) in lower.iter().rev() {
                let _ = write!(d, "L{:.1},{:.1} ", x(*m), py(*v));
            }
            d.push('Z');
            let line: Vec<(YearMonth, f64)> = anchor
                .into_iter()
                .chain(self.forecast.iter().map(|(m, p, _, _)| (*m, *p)))
                .collect();
            let _ = write!(
                s,
                r##"<path class="forecast-band" d="{d}" fill="#8c8c8c" fill-opacity="0.25" stroke="none"/><path class="forecast" d="{}" fill="none" stroke="#505050" stroke-width="2.5" stroke-dasharray="2 4" stroke-linecap="round"/>"##,
                path(&line, &x, &py)
            );
        }

        // Actual values: solid line, points filled (final) or hollow (projected).
        if !self.actual.points.is_empty() {
            let _ = write!(
                s,
                r#"<path class="actual" d="{}" fill="none" stroke="{ACTUAL_COLOUR}" stroke-width="2.5"/>"#,
                path(&self.actual.points, &x, &py)
            );
            let dots = self.actual.points.len() <= 60;
            if dots {
                s.push_str(r#"<g class="points">"#);
                for (m, v) in &self.actual.points {
                    if self.own.contains(m) {
                        let _ = write!(
                            s,
                            r##"<rect class="own" x="{:.1}" y="{:.1}" width="7" height="7" fill="#ffffff" stroke="{ACTUAL_COLOUR}" stroke-width="1.5"/>"##,
                            x(*m) - 3.5,
                            py(*v) - 3.5
                        );
                        continue;
                    }
                    let projected = self.projected_from.is_some_and(|p| *m >= p);
                    let _ = write!(
                        s,
                        r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{}" stroke="{ACTUAL_COLOUR}" stroke-width="1.5"/>"#,
                        x(*m),
                        py(*v),
                        if projected { "#ffffff" } else { ACTUAL_COLOUR }
                    );
                }
                s.push_str("</g>");
            }
        }

        // Notes: a dotted line at the month and a numbered flag at the top of the plot area.
        if !self.notes.is_empty() {
            s.push_str(r#"<g class="notes">"#);
            for (m, label) in &self.notes {
                if *m < first || *m > last {
                    continue;
                }
                let xx = x(*m);
                let _ = write!(
                    s,
                    r##"<line x1="{xx:.1}" x2="{xx:.1}" y1="{:.1}" y2="{:.1}" stroke="{TEXT_COLOUR}" stroke-width="1" stroke-dasharray="1 3"/><rect x="{:.1}" y="{:.1}" width="18" height="16" rx="3" fill="#ffffff" stroke="{TEXT_COLOUR}"/><text x="{xx:.1}" y="{:.1}" text-anchor="middle" font-size="11" fill="{TEXT_COLOUR}">{}</text>"##,
                    TOP + 16.0,
                    H - BOTTOM,
                    xx - 9.0,
                    TOP,
                    TOP + 12.0,
                    esc(label)
                );
            }
            s.push_str("</g>");
        }

        // Legend: one row under the axis, two where the items would not fit in one.
        type Item = (f64, Box<dyn Fn(f64, f64) -> String>);
        let mut items: Vec<Item> = vec![(
            80.0,
            Box::new(|lx, ly| {
                format!(
                    r#"<line x1="{lx:.1}" x2="{:.1}" y1="{ly}" y2="{ly}" stroke="{ACTUAL_COLOUR}" stroke-width="2.5"/><text x="{:.1}" y="{:.1}" fill="{TEXT_COLOUR}">Ist</text>"#,
                    lx + 28.0,
                    lx + 34.0,
                    ly + 4.0
                )
            }),
        )];
        if !self.target.points.is_empty() {
            items.push((
                90.0,
                Box::new(|lx, ly| {
                    format!(
                        r#"<line x1="{lx:.1}" x2="{:.1}" y1="{ly}" y2="{ly}" stroke="{TARGET_COLOUR}" stroke-width="2.5" stroke-dasharray="8 5"/><text x="{:.1}" y="{:.1}" fill="{TEXT_COLOUR}">Ziel</text>"#,
                        lx + 28.0,
                        lx + 34.0,
                        ly + 4.0
                    )
                }),
            ));
        }
        if !self.band.is_empty() {
            let id = esc(&self.id);
            items.push((
                190.0,
                Box::new(move |lx, ly| {
                    format!(
                        r#"<rect x="{lx:.1}" y="{:.1}" width="28" height="12" fill="url(#{id}-hatch)"/><text x="{:.1}" y="{:.1}" fill="{TEXT_COLOUR}">Toleranz (gefährdet)</text>"#,
                        ly - 6.0,
                        lx + 34.0,
                        ly + 4.0
                    )
                }),
            ));
        }
        if !self.forecast.is_empty() {
            items.push((
                150.0,
                Box::new(|lx, ly| {
                    format!(
                        r##"<rect x="{lx:.1}" y="{:.1}" width="28" height="12" fill="#8c8c8c" fill-opacity="0.25"/><line x1="{lx:.1}" x2="{:.1}" y1="{ly}" y2="{ly}" stroke="#505050" stroke-width="2.5" stroke-dasharray="2 4"/><text x="{:.1}" y="{:.1}" fill="{TEXT_COLOUR}">Prognose (80 %)</text>"##,
                        ly - 6.0,
                        lx + 28.0,
                        lx + 34.0,
                        ly + 4.0
                    )
                }),
            ));
        }
        let projected_shown = self.projected_from.is_some_and(|p| {
            self.actual
                .points
                .iter()
                .any(|(m, _)| *m >= p && !self.own.contains(m))
        });
        if projected_shown {
            items.push((
                140.0,
                Box::new(|lx, ly| {
                    format!(
                        r##"<circle cx="{:.1}" cy="{ly}" r="3" fill="#ffffff" stroke="{ACTUAL_COLOUR}" stroke-width="1.5"/><text x="{:.1}" y="{:.1}" fill="{TEXT_COLOUR}">vorläufiger Wert</text>"##,
                        lx + 6.0,
                        lx + 16.0,
                        ly + 4.0
                    )
                }),
            ));
        }
        if self
            .own
            .iter()
            .any(|m| self.actual.points.iter().any(|(p, _)| p == m))
        {
            items.push((
                150.0,
                Box::new(|lx, ly| {
                    format!(
                        r##"<rect x="{:.1}" y="{:.1}" width="7" height="7" fill="#ffffff" stroke="{ACTUAL_COLOUR}" stroke-width="1.5"/><text x="{:.1}" y="{:.1}" fill="{TEXT_COLOUR}">aus eigenen Daten</text>"##,
                        lx + 2.5,
                        ly - 3.5,
                        lx + 16.0,
                        ly + 4.0
                    )
                }),
            ));
        }
        let one_row = items.iter().map(|(w, _)| w).sum::<f64>() <= W - RIGHT - left;
        let (mut lx, mut ly) = (left, if one_row { H - 18.0 } else { H - 30.0 });
        s.push_str(r#"<g class="legend">"#);
        for (width, draw) in &items {
            if lx + width > W - RIGHT && lx > left {
                (lx, ly) = (left, ly + 18.0);
            }
            s.push_str(&draw(lx, ly));
            lx += width;
        }
        s.push_str("</g></svg>");
        s
    }

    fn empty(&self) -> String {
        format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} 80" width="100%" role="img" aria-labelledby="{id}-title" class="chart" font-family="{FONT_FAMILY}" font-size="14"><title id="{id}-title">{title}: keine Daten</title><text x="{LEFT}" y="44" fill="{TEXT_COLOUR}">Für diesen Zeitraum liegen keine Werte vor.</text></svg>"#,
            id = esc(&self.id),
            title = esc(&self.title)
        )
    }
}

/// An SVG path through monthly points; a gap of more than one month breaks the line.
fn path(
    points: &[(YearMonth, f64)],
    x: &dyn Fn(YearMonth) -> f64,
    y: &dyn Fn(f64) -> f64,
) -> String {
    let mut d = String::new();
    let mut prev: Option<YearMonth> = None;
    for (m, v) in points {
        let cmd = match prev {
            Some(p) if p.months_until(*m) == 1 => 'L',
            _ => 'M',
        };
        let _ = write!(d, "{cmd}{:.1},{:.1} ", x(*m), y(*v));
        prev = Some(*m);
    }
    d.trim_end().to_owned()
}

/// A small trend line for tables. Decorative next to the value it accompanies, but labelled.
#[derive(Debug, Clone)]
pub struct Sparkline {
    pub label: String,
    pub values: Vec<f64>,
    pub target: Option<f64>,
}

impl Sparkline {
    pub fn render(&self) -> String {
        const SW: f64 = 120.0;
        const SH: f64 = 30.0;
        if self.values.len() < 2 {
            return format!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SW} {SH}" width="{SW}" height="{SH}" role="img" aria-label="{}: zu wenige Werte für einen Verlauf" class="spark"></svg>"#,
                esc(&self.label)
            );
        }
        let (lo, hi) = self
            .values
            .iter()
            .chain(self.target.iter())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(*v), hi.max(*v))
            });
        let pad = ((hi - lo) * 0.1).max(hi.abs() * 1e-6).max(1e-9);
        let (lo, hi) = (lo - pad, hi + pad);
        let n = (self.values.len() - 1) as f64;
        let px = |i: usize| 2.0 + i as f64 / n * (SW - 4.0);
        let py = |v: f64| SH - 2.0 - (v - lo) / (hi - lo) * (SH - 4.0);
        let mut s = format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SW} {SH}" width="{SW}" height="{SH}" role="img" aria-label="{}" class="spark">"#,
            esc(&self.label)
        );
        if let Some(t) = self.target {
            let _ = write!(
                s,
                r#"<line x1="0" x2="{SW}" y1="{:.1}" y2="{:.1}" stroke="{TARGET_COLOUR}" stroke-width="1.5" stroke-dasharray="4 3"/>"#,
                py(t),
                py(t)
            );
        }
        let pts: Vec<String> = self
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", px(i), py(*v)))
            .collect();
        let _ = write!(
            s,
            r#"<polyline points="{}" fill="none" stroke="{ACTUAL_COLOUR}" stroke-width="1.8"/><circle cx="{:.1}" cy="{:.1}" r="2.5" fill="{ACTUAL_COLOUR}"/></svg>"#,
            pts.join(" "),
            px(self.values.len() - 1),
            py(*self.values.last().expect("len >= 2"))
        );
        s
    }
}

/// A timeline of one year with a milestone's due date and, if reached, the month it was reached.
#[derive(Debug, Clone)]
pub struct MilestoneChart {
    pub id: String,
    pub title: String,
    pub description: String,
    pub year: i32,
    pub due: chrono::NaiveDate,
    pub reached: Option<YearMonth>,
    pub as_of: Option<YearMonth>,
}

impl MilestoneChart {
    pub fn render(&self) -> String {
        use chrono::Datelike;
        const MW: f64 = 760.0;
        const MH: f64 = 130.0;
        let x0 = 40.0;
        let x1 = MW - 40.0;
        let day_x = |month: u32, day: f64, days_in: f64| {
            x0 + ((f64::from(month) - 1.0) + (day - 1.0) / days_in) / 12.0 * (x1 - x0)
        };
        let mut s = format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {MW} {MH}" width="100%" role="img" aria-labelledby="{id}-title {id}-desc" class="chart" font-family="{FONT_FAMILY}" font-size="13"><title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>"#,
            id = esc(&self.id),
            title = esc(&self.title),
            desc = esc(&self.description)
        );
        let _ = write!(
            s,
            r#"<line x1="{x0}" x2="{x1}" y1="60" y2="60" stroke="{TEXT_COLOUR}" stroke-width="2"/>"#
        );
        for m in 1..=12u32 {
            let xx = day_x(m, 1.0, 30.0);
            let label = YearMonth::new(self.year, m)
                .map(|ym| ym.german_short())
                .unwrap_or_default();
            let _ = write!(
                s,
                r#"<line x1="{xx:.1}" x2="{xx:.1}" y1="55" y2="65" stroke="{TEXT_COLOUR}"/><text x="{:.1}" y="84" text-anchor="middle" fill="{TEXT_COLOUR}">{}</text>"#,
                xx + (x1 - x0) / 24.0,
                label.split(' ').next().unwrap_or_default()
            );
        }
        if let Some(as_of) = self.as_of.filter(|m| m.year() == self.year) {
            let xx = day_x(as_of.month(), 31.0, 31.0);
            let _ = write!(
                s,
                r#"<rect x="{x0}" y="56" width="{:.1}" height="8" fill="{ACTUAL_COLOUR}" fill-opacity="0.35"/>"#,
                (xx - x0).max(0.0)
            );
        }
        let due_x = day_x(self.due.month(), f64::from(self.due.day()), 31.0);
        let _ = write!(
            s,
            r#"<g class="target"><line x1="{due_x:.1}" x2="{due_x:.1}" y1="24" y2="70" stroke="{TARGET_COLOUR}" stroke-width="2.5" stroke-dasharray="6 4"/><text x="{due_x:.1}" y="18" text-anchor="middle" fill="{TEXT_COLOUR}">fällig {}</text></g>"#,
            self.due.format("%d.%m.")
        );
        if let Some(r) = self.reached {
            let rx = day_x(r.month(), 15.0, 30.0);
            let _ = write!(
                s,
                r#"<g class="actual"><path d="M{rx:.1},48 l9,12 l-9,12 l-9,-12 Z" fill="{ACTUAL_COLOUR}"/><text x="{rx:.1}" y="108" text-anchor="middle" fill="{TEXT_COLOUR}">erreicht {}</text></g>"#,
                r.german_short()
            );
        }
        s.push_str("</svg>");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> YearMonth {
        s.parse().unwrap()
    }

    fn chart() -> LineChart {
        LineChart {
            id: "c1".into(),
            title: "Bedarfsgemeinschaften <BG>".into(),
            description: "Ist & Ziel".into(),
            y_label: "Anzahl".into(),
            decimals: 0,
            actual: Series {
                points: vec![
                    (m("2022-01"), 18_200.0),
                    (m("2022-02"), 18_150.0),
                    (m("2022-04"), 18_000.0),
                ],
            },
            projected_from: Some(m("2022-04")),
            own: vec![],
            target: Series {
                points: vec![(m("2022-01"), 18_100.0), (m("2022-12"), 17_700.0)],
            },
            band: vec![
                (m("2022-01"), 18_100.0, 18_370.0),
                (m("2022-12"), 17_700.0, 17_965.0),
            ],
            forecast: vec![(m("2022-05"), 17_950.0, 17_800.0, 18_100.0)],
            notes: vec![],
        }
    }

    #[test]
    fn notes_are_numbered_markers_inside_the_range() {
        let mut c = chart();
        c.notes = vec![(m("2022-02"), "1".into()), (m("2023-03"), "2".into())];
        let svg = c.render();
        let notes = svg.split(r#"<g class="notes">"#).nth(1).unwrap();
        let notes = notes.split("</g>").next().unwrap();
        assert_eq!(
            notes.matches("<rect").count(),
            1,
            "a month outside is not drawn"
        );
        assert!(notes.contains(">1</text>"));
        assert!(!chart().render().contains("class=\"notes\""));
    }

    #[test]
    fn line_chart_is_accessible_and_escaped() {
        let svg = chart().render();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains(r#"<title id="c1-title">Bedarfsgemeinschaften &lt;BG&gt;</title>"#));
        assert!(svg.contains(r#"<desc id="c1-desc">Ist &amp; Ziel</desc>"#));
        assert!(svg.contains(r#"class="target""#));
        assert!(svg.contains(r#"class="band""#));
        assert!(svg.contains("18.000"), "German tick labels");
        assert!(svg.contains(r#"class="forecast-band""#) && svg.contains("Prognose (80 %)"));
        // The missing March breaks the actual line: two move commands.
        let actual = svg.split(r#"class="actual" d=""#).nth(1).unwrap();
        let d = actual.split('"').next().unwrap();
        assert_eq!(d.matches('M').count(), 2, "{d}");
        // One projected point is drawn hollow.
        assert_eq!(
            svg.matches(r##"fill="#ffffff" stroke="#1f4e79""##).count(),
            2,
            "point + legend"
        );
    }

    #[test]
    fn values_from_own_data_are_squares_with_their_own_legend() {
        let mut c = chart();
        c.own = vec![m("2022-04")];
        let svg = c.render();
        assert_eq!(svg.matches(r#"<rect class="own""#).count(), 1);
        assert!(svg.contains(">aus eigenen Daten</text>"));
        // The only projected month is own: no hollow circle, no legend for projected values.
        assert!(!svg.contains("vorläufiger Wert"), "{svg}");
        assert!(!chart().render().contains("aus eigenen Daten"));
    }

    #[test]
    fn a_legend_too_wide_for_one_row_takes_two_and_the_svg_stays_well_formed() {
        let mut c = chart();
        c.own = vec![m("2022-02")];
        let svg = c.render();
        // Ist, Ziel, Toleranz, Prognose, vorläufiger Wert and aus eigenen Daten: two rows.
        let legend = svg.split(r#"<g class="legend">"#).nth(1).unwrap();
        let rows: std::collections::BTreeSet<&str> = legend
            .split("<text ")
            .skip(1)
            .filter_map(|t| t.split("y=\"").nth(1)?.split('"').next())
            .collect();
        assert_eq!(rows.len(), 2, "{legend}");
        assert_eq!(svg.matches("<g").count(), svg.matches("</g>").count());
    }

    #[test]
    fn empty_chart_says_so() {
        let mut c = chart();
        c.actual.points.clear();
        c.target.points.clear();
        c.band.clear();
        c.forecast.clear();
        assert!(c.render().contains("keine Werte"));
    }

    #[test]
    fn sparkline_has_a_label() {
        let s = Sparkline {
            label: "Verlauf".into(),
            values: vec![1.0, 2.0, 1.5],
            target: Some(1.8),
        }
        .render();
        assert!(s.contains(r#"aria-label="Verlauf""#));
        assert!(s.contains("<polyline"));
    }
}
