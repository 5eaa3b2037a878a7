//! A strip plot: every region of a set as a dot on one value axis, the selected ones marked
//! (a larger diamond with its name), reference values (the Land, the Bund) as dashed lines.
//! Dots that would overlap are stacked upwards, so each stays visible.

use std::fmt::Write;

use zielwerk_domain::format::number;

use crate::FONT_FAMILY;
use crate::scale::Scale;
use crate::svg::esc;

/// One region on the axis.
#[derive(Debug, Clone)]
pub struct Dot {
    pub label: String,
    pub value: f64,
    /// Drawn as a labelled diamond instead of a dot.
    pub marked: bool,
}

/// A labelled reference value, drawn as a dashed vertical line.
#[derive(Debug, Clone)]
pub struct Reference {
    pub label: String,
    pub value: f64,
}

#[derive(Debug, Clone)]
pub struct StripPlot {
    pub id: String,
    pub title: String,
    pub description: String,
    pub unit: String,
    pub decimals: usize,
    pub dots: Vec<Dot>,
    pub references: Vec<Reference>,
}

const W: f64 = 760.0;
const LEFT: f64 = 24.0;
const RIGHT: f64 = 24.0;
const R: f64 = 4.0;
const ROW: f64 = 2.0 * R + 1.0;
/// Rows of stacked dots at most; beyond, dots overlap in the top row.
const MAX_ROWS: usize = 24;

impl StripPlot {
    /// The row (0 = on the axis) of each dot, in the order of `self.dots`: the lowest row
    /// whose last dot is far enough to the left.
    fn rows(&self, px: &dyn Fn(f64) -> f64) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.dots.len()).collect();
        order.sort_by(|a, b| self.dots[*a].value.total_cmp(&self.dots[*b].value));
        let mut last_x = [f64::NEG_INFINITY; MAX_ROWS];
        let mut rows = vec![0; self.dots.len()];
        for i in order {
            let x = px(self.dots[i].value);
            let row = (0..MAX_ROWS)
                .find(|r| x - last_x[*r] >= 2.0 * R + 1.0)
                .unwrap_or(MAX_ROWS - 1);
            last_x[row] = x;
            rows[i] = row;
        }
        rows
    }

    pub fn render(&self) -> String {
        let values = self
            .dots
            .iter()
            .map(|d| d.value)
            .chain(self.references.iter().map(|r| r.value))
            .filter(|v| v.is_finite());
        let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
        let x = Scale::nice(lo, hi, 6);
        let px = |v: f64| x.map(v, LEFT, W - RIGHT);
        let rows = self.rows(&px);
        let stacked = rows.iter().copied().max().unwrap_or(0) + 1;
        // Room above the dots for the labels of marked regions and references.
        let labels = self.dots.iter().filter(|d| d.marked).count() + self.references.len();
        let top = 16.0 + 16.0 * labels as f64;
        let axis = top + stacked as f64 * ROW + 8.0;
        let h = axis + 40.0;

        let mut s = String::new();
        let _ = write!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {h:.0}" width="100%" role="img" aria-labelledby="{id}-title {id}-desc" class="chart strip" font-family="{FONT_FAMILY}" font-size="13"><title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>"#,
            id = esc(&self.id),
            title = esc(&self.title),
            desc = esc(&self.description)
        );
        for t in &x.ticks {
            let xx = px(*t);
            let _ = write!(
                s,
                r##"<line x1="{xx:.1}" x2="{xx:.1}" y1="{top:.1}" y2="{axis:.1}" stroke="#e6e6e6"/><text x="{xx:.1}" y="{:.1}" text-anchor="middle" fill="#222222">{}</text>"##,
                axis + 18.0,
                number(*t, x.decimals)
            );
        }
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" x2="{:.1}" y1="{axis:.1}" y2="{axis:.1}" stroke="#222222"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#222222">{}</text>"##,
            W - RIGHT,
            W - RIGHT,
            axis + 36.0,
            esc(&self.unit)
        );
        // Labels stack from the top: references first, then marked regions.
        let mut label_y = 16.0;
        let mut label = |s: &mut String, xx: f64, text: &str, bold: bool| {
            let anchor = if xx > W * 0.75 {
                "end"
            } else if xx < W * 0.25 {
                "start"
            } else {
                "middle"
            };
            let _ = write!(
                s,
                r##"<text x="{xx:.1}" y="{label_y:.1}" text-anchor="{anchor}" fill="#222222" stroke="#ffffff" stroke-width="4" paint-order="stroke"{}>{}</text>"##,
                if bold { r#" font-weight="bold""# } else { "" },
                esc(text)
            );
            let y = label_y;
            label_y += 16.0;
            y
        };
        for r in &self.references {
            let xx = px(r.value);
            let y = label(
                &mut s,
                xx,
                &format!("{}: {}", r.label, number(r.value, self.decimals)),
                false,
            );
            let _ = write!(
                s,
                r##"<line class="reference" x1="{xx:.1}" x2="{xx:.1}" y1="{:.1}" y2="{axis:.1}" stroke="#505050" stroke-dasharray="5 3"/>"##,
                y + 4.0
            );
        }
        for (d, row) in self.dots.iter().zip(&rows).filter(|(d, _)| !d.marked) {
            let _ = write!(
                s,
                r##"<circle class="dot" cx="{:.1}" cy="{:.1}" r="{R}" fill="#1f4e79" fill-opacity="0.55"><title>{}: {}</title></circle>"##,
                px(d.value),
                axis - R - 1.0 - *row as f64 * ROW,
                esc(&d.label),
                number(d.value, self.decimals)
            );
        }
        for (d, row) in self.dots.iter().zip(&rows).filter(|(d, _)| d.marked) {
            let (xx, yy) = (px(d.value), axis - R - 1.0 - *row as f64 * ROW);
            let y = label(
                &mut s,
                xx,
                &format!("{}: {}", d.label, number(d.value, self.decimals)),
                true,
            );
            let k = R + 3.0;
            let _ = write!(
                s,
                r##"<line x1="{xx:.1}" x2="{xx:.1}" y1="{:.1}" y2="{:.1}" stroke="#a4161a"/><path class="marked" d="M{xx:.1} {:.1} L{:.1} {yy:.1} L{xx:.1} {:.1} L{:.1} {yy:.1} Z" fill="#a4161a" stroke="#222222"><title>{}: {}</title></path>"##,
                y + 4.0,
                yy - k,
                yy - k,
                xx + k,
                yy + k,
                xx - k,
                esc(&d.label),
                number(d.value, self.decimals)
            );
        }
        s.push_str("</svg>");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plot(values: &[f64]) -> StripPlot {
        StripPlot {
            id: "s".into(),
            title: "KdU je BG".into(),
            description: "Alle Kreise".into(),
            unit: "EUR".into(),
            decimals: 2,
            dots: values
                .iter()
                .enumerate()
                .map(|(i, v)| Dot {
                    label: format!("Kreis {i}"),
                    value: *v,
                    marked: i == 1,
                })
                .collect(),
            references: vec![Reference {
                label: "Land".into(),
                value: 430.0,
            }],
        }
    }

    #[test]
    fn every_region_is_a_dot_the_marked_one_a_labelled_diamond() {
        let svg = plot(&[311.92, 477.25, 525.28, 400.0]).render();
        assert_eq!(svg.matches("class=\"dot\"").count(), 3);
        assert_eq!(svg.matches("class=\"marked\"").count(), 1);
        assert_eq!(svg.matches("class=\"reference\"").count(), 1);
        assert!(svg.contains(">Kreis 1: 477,25</text>"), "{svg}");
        assert!(svg.contains(">Land: 430,00</text>"));
    }

    #[test]
    fn equal_values_are_stacked_not_hidden() {
        let p = plot(&[400.0, 500.0, 400.0, 400.0]);
        let x = Scale::nice(400.0, 500.0, 6);
        let rows = p.rows(&|v| x.map(v, LEFT, W - RIGHT));
        let mut at_400: Vec<usize> = [0, 2, 3].iter().map(|i| rows[*i]).collect();
        at_400.sort();
        assert_eq!(at_400, [0, 1, 2]);
    }
}
