//! A waterfall chart: a start total, the effects that move it, and the end total.

use std::fmt::Write;

use zielwerk_domain::format::{number, signed};

use crate::FONT_FAMILY;
use crate::scale::Scale;
use crate::svg::esc;

/// One bar: a total (drawn from zero) or an effect (drawn from the running total).
#[derive(Debug, Clone)]
pub struct Step {
    pub label: String,
    pub value: f64,
    pub is_total: bool,
}

#[derive(Debug, Clone)]
pub struct Waterfall {
    pub id: String,
    pub title: String,
    pub description: String,
    pub unit: String,
    pub decimals: usize,
    pub steps: Vec<Step>,
}

const W: f64 = 760.0;
const H: f64 = 320.0;
const LEFT: f64 = 96.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 24.0;
const BOTTOM: f64 = 48.0;

impl Waterfall {
    pub fn render(&self) -> String {
        // Running totals give each bar its bottom and top.
        let mut running = 0.0;
        let mut bars = Vec::with_capacity(self.steps.len());
        for step in &self.steps {
            let (from, to) = if step.is_total {
                running = step.value;
                (0.0, step.value)
            } else {
                let from = running;
                running += step.value;
                (from, running)
            };
            bars.push((step, from, to));
        }
        // Totals dwarf effects; the axis starts near the smallest total so that effects show.
        let lo = bars
            .iter()
            .map(|(s, from, to)| if s.is_total { *to } else { from.min(*to) })
            .fold(f64::INFINITY, f64::min);
        let hi = bars
            .iter()
            .map(|(_, f, t)| f.max(*t))
            .fold(f64::NEG_INFINITY, f64::max);
        let pad = ((hi - lo) * 0.6).max(hi.abs() * 0.002);
        let y = Scale::nice(lo - pad, hi + pad * 0.3, 5);
        let py = |v: f64| y.map(v.clamp(y.min, y.max), H - BOTTOM, TOP);
        let n = bars.len().max(1) as f64;
        let slot = (W - LEFT - RIGHT) / n;
        let bar_w = slot * 0.55;

        let mut s = String::new();
        let _ = write!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="100%" role="img" aria-labelledby="{id}-title {id}-desc" class="chart waterfall" font-family="{FONT_FAMILY}" font-size="13"><title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>"#,
            id = esc(&self.id),
            title = esc(&self.title),
            desc = esc(&self.description)
        );
        let _ = write!(
            s,
            r##"<defs><pattern id="{id}-down" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)"><rect width="6" height="6" fill="#1e6b35" fill-opacity="0.25"/><line x1="0" y1="0" x2="0" y2="6" stroke="#1e6b35" stroke-width="2"/></pattern></defs>"##,
            id = esc(&self.id)
        );
        for t in &y.ticks {
            let yy = py(*t);
            let _ = write!(
                s,
                r##"<line x1="{LEFT}" x2="{:.1}" y1="{yy:.1}" y2="{yy:.1}" stroke="#d9d9d9"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#222222">{}</text>"##,
                W - RIGHT,
                LEFT - 6.0,
                yy + 4.0,
                number(*t, y.decimals)
            );
        }
        let _ = write!(
            s,
            r##"<text x="{LEFT}" y="14" fill="#222222">{}</text>"##,
            esc(&self.unit)
        );
        for (i, (step, from, to)) in bars.iter().enumerate() {
            let x = LEFT + slot * i as f64 + (slot - bar_w) / 2.0;
            let (top, bottom) = (py(from.max(*to)), py(from.min(*to)));
            let (fill, class) = if step.is_total {
                ("#1f4e79".to_owned(), "total")
            } else if step.value >= 0.0 {
                ("#a4161a".to_owned(), "up")
            } else {
                (format!("url(#{}-down)", esc(&self.id)), "down")
            };
            let _ = write!(
                s,
                r##"<rect class="{class}" x="{x:.1}" y="{top:.1}" width="{bar_w:.1}" height="{:.1}" fill="{fill}" stroke="#222222" stroke-width="0.5"/>"##,
                (bottom - top).max(1.0)
            );
            let value = if step.is_total {
                number(step.value, self.decimals)
            } else {
                signed(step.value, self.decimals)
            };
            let _ = write!(
                s,
                r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#222222">{value}</text><text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#222222">{}</text>"##,
                x + bar_w / 2.0,
                top - 6.0,
                x + bar_w / 2.0,
                H - BOTTOM + 18.0,
                esc(&step.label)
            );
            // Connector to the next bar.
            if i + 1 < bars.len() {
                let _ = write!(
                    s,
                    r##"<line x1="{:.1}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#505050" stroke-dasharray="3 3"/>"##,
                    x + bar_w,
                    x + slot,
                    py(*to),
                    py(*to)
                );
            }
        }
        s.push_str("</svg>");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_for_totals_and_effects() {
        let svg = Waterfall {
            id: "w".into(),
            title: "KdU".into(),
            description: "Zerlegung".into(),
            unit: "EUR".into(),
            decimals: 0,
            steps: vec![
                Step {
                    label: "Dez 21".into(),
                    value: 12_420_000.0,
                    is_total: true,
                },
                Step {
                    label: "Menge".into(),
                    value: -352_500.0,
                    is_total: false,
                },
                Step {
                    label: "Preis".into(),
                    value: 532_500.0,
                    is_total: false,
                },
                Step {
                    label: "Dez 22".into(),
                    value: 12_600_000.0,
                    is_total: true,
                },
            ],
        }
        .render();
        assert_eq!(svg.matches("class=\"total\"").count(), 2);
        assert_eq!(svg.matches("class=\"down\"").count(), 1);
        assert_eq!(svg.matches("class=\"up\"").count(), 1);
        assert!(svg.contains("−352.500") && svg.contains("+532.500"));
        assert!(svg.contains("<desc id=\"w-desc\">Zerlegung</desc>"));
    }
}
