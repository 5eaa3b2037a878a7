//! A region against its comparison group over the years: the group's interquartile range as a
//! shaded band, its median as a dashed line, the region as a solid line with dots, and reference
//! lines (the Land, the Bund) dotted. A legend under the chart names each line by its pattern.

use std::fmt::Write;

use zielwerk_domain::format::number;

use crate::FONT_FAMILY;
use crate::scale::Scale;
use crate::svg::esc;

/// One reference line (the Land, the Bund), a value per year where there is one.
#[derive(Debug, Clone)]
pub struct YearLine {
    pub label: String,
    pub points: Vec<(i32, f64)>,
}

#[derive(Debug, Clone)]
pub struct GroupBandChart {
    pub id: String,
    pub title: String,
    pub description: String,
    pub unit: String,
    pub decimals: usize,
    /// The region itself.
    pub own: YearLine,
    /// The group per year: first quartile, median, third quartile.
    pub group: Vec<(i32, f64, f64, f64)>,
    /// What the group is called in the legend ("Vergleichsgruppe").
    pub group_label: String,
    pub references: Vec<YearLine>,
}

const W: f64 = 760.0;
const H: f64 = 300.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 40.0;
const LEGEND: f64 = 22.0;
/// Where the second column of the legend starts, from the left edge of the plot.
const LEGEND_COLUMN: f64 = 240.0;

const OWN: &str = "#a4161a";
const MEDIAN: &str = "#1f4e79";
const BAND: &str = "#9ecae1";
const REFERENCE: [(&str, &str); 2] = [("#505050", "2 3"), ("#7a5c00", "8 3 2 3")];

/// The path through points, broken where a year is missing.
fn path(points: &[(f64, f64, i32)]) -> String {
    let mut d = String::new();
    let mut last: Option<i32> = None;
    for (x, y, year) in points {
        let joined = last.is_some_and(|l| l + 1 == *year);
        let _ = write!(d, "{}{x:.1} {y:.1} ", if joined { "L" } else { "M" });
        last = Some(*year);
    }
    d.trim_end().to_owned()
}

impl GroupBandChart {
    pub fn render(&self) -> String {
        let years = self
            .own
            .points
            .iter()
            .map(|p| p.0)
            .chain(self.group.iter().map(|g| g.0))
            .chain(
                self.references
                    .iter()
                    .flat_map(|r| r.points.iter().map(|p| p.0)),
            );
        let (first, last) = years.fold((i32::MAX, i32::MIN), |(a, b), y| (a.min(y), b.max(y)));
        let (first, last) = if first > last { (0, 1) } else { (first, last) };
        let values = self
            .own
            .points
            .iter()
            .map(|p| p.1)
            .chain(self.group.iter().flat_map(|g| [g.1, g.3]))
            .chain(
                self.references
                    .iter()
                    .flat_map(|r| r.points.iter().map(|p| p.1)),
            )
            .filter(|v| v.is_finite());
        let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
        let y = Scale::nice(lo, hi, 5);
        let plot_bottom = H - BOTTOM;
        let px = |year: i32| {
            if first == last {
                (LEFT + W - RIGHT) / 2.0
            } else {
                LEFT + (year - first) as f64 / (last - first) as f64 * (W - RIGHT - LEFT)
            }
        };
        let py = |v: f64| y.map(v, plot_bottom, TOP);
        let legend_rows = 1 + self.references.len().div_ceil(2);
        let h = H + LEGEND * legend_rows as f64;

        let mut s = String::new();
        let _ = write!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {h:.0}" width="100%" role="img" aria-labelledby="{id}-title {id}-desc" class="chart band" font-family="{FONT_FAMILY}" font-size="13"><title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>"#,
            id = esc(&self.id),
            title = esc(&self.title),
            desc = esc(&self.description)
        );
        for t in &y.ticks {
            let yy = py(*t);
            let _ = write!(
                s,
                r##"<line x1="{LEFT}" x2="{:.1}" y1="{yy:.1}" y2="{yy:.1}" stroke="#e6e6e6"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#222222">{}</text>"##,
                W - RIGHT,
                LEFT - 6.0,
                yy + 4.0,
                number(*t, y.decimals)
            );
        }
        let _ = write!(
            s,
            r##"<text x="{LEFT}" y="{:.1}" fill="#222222" font-size="12" text-anchor="start">{}</text>"##,
            TOP - 4.0,
            esc(&self.unit)
        );
        // Year labels: every year if they fit, otherwise every second (the last always).
        let step = if (last - first) > 12 { 2 } else { 1 };
        for year in first..=last {
            if (year - first) % step != 0 && year != last {
                continue;
            }
            let _ = write!(
                s,
                r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#222222">{year}</text>"##,
                px(year),
                plot_bottom + 18.0
            );
        }
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" x2="{:.1}" y1="{plot_bottom:.1}" y2="{plot_bottom:.1}" stroke="#222222"/>"##,
            W - RIGHT
        );
        // The band, one closed polygon per run of consecutive years.
        let mut runs: Vec<Vec<&(i32, f64, f64, f64)>> = Vec::new();
        for g in &self.group {
            match runs.last_mut() {
                Some(run) if run.last().is_some_and(|l| l.0 + 1 == g.0) => run.push(g),
                _ => runs.push(vec![g]),
            }
        }
        for run in &runs {
            let mut d = String::new();
            for (i, g) in run.iter().enumerate() {
                let _ = write!(
                    d,
                    "{}{:.1} {:.1} ",
                    if i == 0 { "M" } else { "L" },
                    px(g.0),
                    py(g.3)
                );
            }
            for g in run.iter().rev() {
                let _ = write!(d, "L{:.1} {:.1} ", px(g.0), py(g.1));
            }
            let _ = write!(
                s,
                r#"<path class="band" d="{}Z" fill="{BAND}" fill-opacity="0.6" stroke="none"/>"#,
                d
            );
        }
        let median: Vec<(f64, f64, i32)> =
            self.group.iter().map(|g| (px(g.0), py(g.2), g.0)).collect();
        let _ = write!(
            s,
            r#"<path class="median" d="{}" fill="none" stroke="{MEDIAN}" stroke-width="2" stroke-dasharray="7 4"/>"#,
            path(&median)
        );
        for (r, (colour, dash)) in self.references.iter().zip(REFERENCE.iter().cycle()) {
            let pts: Vec<(f64, f64, i32)> =
                r.points.iter().map(|p| (px(p.0), py(p.1), p.0)).collect();
            let _ = write!(
                s,
                r#"<path class="reference" d="{}" fill="none" stroke="{colour}" stroke-width="1.5" stroke-dasharray="{dash}"/>"#,
                path(&pts)
            );
        }
        let own: Vec<(f64, f64, i32)> = self
            .own
            .points
            .iter()
            .map(|p| (px(p.0), py(p.1), p.0))
            .collect();
        let _ = write!(
            s,
            r#"<path class="own" d="{}" fill="none" stroke="{OWN}" stroke-width="2.5"/>"#,
            path(&own)
        );
        for (p, (xx, yy, _)) in self.own.points.iter().zip(&own) {
            let _ = write!(
                s,
                r##"<circle class="own-dot" cx="{xx:.1}" cy="{yy:.1}" r="3.5" fill="{OWN}"><title>{} {}: {}</title></circle>"##,
                esc(&self.own.label),
                p.0,
                number(p.1, self.decimals)
            );
        }
        // The legend: the region and the group on the first row, the references after.
        let mut entries: Vec<(String, String)> = vec![
            (
                format!(
                    r#"<line x1="0" x2="28" y1="0" y2="0" stroke="{OWN}" stroke-width="2.5"/><circle cx="14" cy="0" r="3.5" fill="{OWN}"/>"#
                ),
                self.own.label.clone(),
            ),
            (
                format!(
                    r#"<rect x="0" y="-6" width="28" height="12" fill="{BAND}" fill-opacity="0.6"/><line x1="0" x2="28" y1="0" y2="0" stroke="{MEDIAN}" stroke-width="2" stroke-dasharray="7 4"/>"#
                ),
                format!("{}: Median, mittlere Hälfte schattiert", self.group_label),
            ),
        ];
        for (r, (colour, dash)) in self.references.iter().zip(REFERENCE.iter().cycle()) {
            entries.push((
                format!(r#"<line x1="0" x2="28" y1="0" y2="0" stroke="{colour}" stroke-width="1.5" stroke-dasharray="{dash}"/>"#),
                r.label.clone(),
            ));
        }
        // Two columns: the region and the references on the left, the group (a long label) and
        // the second reference on the right.
        for (i, (mark, text)) in entries.iter().enumerate() {
            let (row, col) = match i {
                0 => (0, 0),
                1 => (0, 1),
                n => (1 + (n - 2) / 2, (n - 2) % 2),
            };
            let lx = LEFT + col as f64 * LEGEND_COLUMN;
            let ly = H + row as f64 * LEGEND;
            let _ = write!(
                s,
                r##"<g transform="translate({lx:.1} {ly:.1})">{mark}<text x="36" y="4" fill="#222222">{}</text></g>"##,
                esc(text)
            );
        }
        s.push_str("</svg>");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart() -> GroupBandChart {
        GroupBandChart {
            id: "v".into(),
            title: "KdU je BG".into(),
            description: "Mettmann und seine Gruppe".into(),
            unit: "EUR".into(),
            decimals: 2,
            own: YearLine {
                label: "Mettmann".into(),
                points: vec![(2019, 450.0), (2020, 460.0), (2022, 477.25)],
            },
            group: vec![
                (2019, 400.0, 420.0, 440.0),
                (2020, 405.0, 425.0, 445.0),
                (2021, 410.0, 430.0, 450.0),
                (2022, 415.0, 435.0, 455.0),
            ],
            group_label: "Vergleichsgruppe".into(),
            references: vec![
                YearLine {
                    label: "Nordrhein-Westfalen".into(),
                    points: vec![(2019, 430.0), (2022, 440.0)],
                },
                YearLine {
                    label: "Deutschland".into(),
                    points: vec![(2019, 410.0)],
                },
            ],
        }
    }

    #[test]
    fn a_missing_year_breaks_the_line_and_the_band_stays_whole() {
        let svg = chart().render();
        assert_eq!(svg.matches("class=\"band\"").count(), 1);
        assert_eq!(svg.matches("class=\"own-dot\"").count(), 3);
        // 2021 is missing for the region: its line starts again at 2022.
        let own = svg.split("class=\"own\" d=\"").nth(1).unwrap();
        let d = &own[..own.find('"').unwrap()];
        assert_eq!(d.matches('M').count(), 2, "{d}");
        assert!(svg.contains("Mettmann 2022: 477,25"));
        assert!(svg.contains(">Vergleichsgruppe: Median, mittlere Hälfte schattiert</text>"));
        assert!(svg.contains(">Deutschland</text>"));
    }

    #[test]
    fn higher_values_are_drawn_higher() {
        let svg = chart().render();
        let ys: Vec<f64> = svg
            .split("class=\"own-dot\" cx=\"")
            .skip(1)
            .map(|s| {
                let cy = s.split("cy=\"").nth(1).unwrap();
                cy[..cy.find('"').unwrap()].parse().unwrap()
            })
            .collect();
        assert!(ys[0] > ys[1] && ys[1] > ys[2], "{ys:?}");
    }
}
