//! A calibration plot: stated probabilities ("80 % erreichbar") on the horizontal axis, the share
//! of such statements that came true on the vertical one, one line per group of series. A
//! forecast that can be trusted lies on the diagonal; below it, it promised too much.

use std::fmt::Write;

use zielwerk_domain::format::number;

use crate::FONT_FAMILY;
use crate::svg::esc;

/// One group's statements: (stated probability, share that came true, statements made), both
/// shares from 0 to 1.
#[derive(Debug, Clone)]
pub struct CalibrationGroup {
    pub label: String,
    pub points: Vec<(f64, f64, usize)>,
}

#[derive(Debug, Clone)]
pub struct CalibrationPlot {
    pub id: String,
    pub title: String,
    pub description: String,
    pub groups: Vec<CalibrationGroup>,
}

const SIDE: f64 = 360.0;
const LEFT: f64 = 64.0;
const TOP: f64 = 20.0;
const W: f64 = 760.0;
/// Line styles that differ by dash and marker as well as colour (readable in greyscale).
const STYLES: [(&str, &str, &str); 4] = [
    ("#1f4e79", "", "circle"),
    ("#a4161a", "7 4", "square"),
    ("#2d6a4f", "2 3", "diamond"),
    ("#6c4f00", "10 3 2 3", "triangle"),
];

impl CalibrationPlot {
    pub fn render(&self) -> String {
        let legend_rows = self.groups.len().max(1);
        let h = TOP + SIDE + 56.0 + 20.0 * legend_rows as f64;
        let px = |p: f64| LEFT + p.clamp(0.0, 1.0) * SIDE;
        let py = |p: f64| TOP + (1.0 - p.clamp(0.0, 1.0)) * SIDE;
        let mut s = String::new();
        let _ = write!(
            s,
            r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {h:.0}" width="100%" role="img" aria-labelledby="{id}-title {id}-desc" class="chart calibration" font-family="{FONT_FAMILY}" font-size="13"><title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc><rect width="{W}" height="{h:.0}" fill="#ffffff"/>"##,
            id = esc(&self.id),
            title = esc(&self.title),
            desc = esc(&self.description)
        );
        for i in 0..=10 {
            let p = f64::from(i) / 10.0;
            let (x, y) = (px(p), py(p));
            let _ = write!(
                s,
                r##"<line x1="{x:.1}" x2="{x:.1}" y1="{TOP}" y2="{:.1}" stroke="#e6e6e6"/><line x1="{LEFT}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}" stroke="#e6e6e6"/>"##,
                TOP + SIDE,
                LEFT + SIDE
            );
            if i % 2 == 0 {
                let label = format!("{}\u{a0}%", number(p * 100.0, 0));
                let _ = write!(
                    s,
                    r##"<text x="{x:.1}" y="{:.1}" text-anchor="middle" fill="#222222">{label}</text><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#222222">{label}</text>"##,
                    TOP + SIDE + 18.0,
                    LEFT - 8.0,
                    y + 4.0
                );
            }
        }
        let _ = write!(
            s,
            r##"<rect x="{LEFT}" y="{TOP}" width="{SIDE}" height="{SIDE}" fill="none" stroke="#222222"/><line class="diagonal" x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#505050" stroke-dasharray="4 4"/><text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#222222">waagrecht: angegebene Wahrscheinlichkeit</text><text x="{:.1}" y="{:.1}" fill="#222222">senkrecht: Anteil eingetroffen</text><text x="{:.1}" y="{:.1}" fill="#222222">Diagonale: so oft</text><text x="{:.1}" y="{:.1}" fill="#222222">eingetroffen wie angegeben</text>"##,
            px(0.0),
            py(0.0),
            px(1.0),
            py(1.0),
            LEFT + SIDE / 2.0,
            TOP + SIDE + 38.0,
            LEFT + SIDE + 24.0,
            TOP + 14.0,
            LEFT + SIDE + 24.0,
            TOP + 44.0,
            LEFT + SIDE + 24.0,
            TOP + 60.0
        );
        for (k, g) in self.groups.iter().enumerate() {
            let (colour, dash, marker) = STYLES[k % STYLES.len()];
            let mut points = g.points.clone();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            let d: Vec<String> = points
                .iter()
                .enumerate()
                .map(|(i, (p, q, _))| {
                    format!(
                        "{}{:.1} {:.1}",
                        if i == 0 { "M" } else { "L" },
                        px(*p),
                        py(*q)
                    )
                })
                .collect();
            let _ = write!(
                s,
                r#"<path class="group" d="{}" fill="none" stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/>"#,
                d.join(" ")
            );
            for (p, q, n) in &points {
                let tip = format!(
                    "{}: angegeben {} %, eingetroffen {} % von {} Aussagen",
                    g.label,
                    number(p * 100.0, 0),
                    number(q * 100.0, 1),
                    number(*n as f64, 0)
                );
                s.push_str(&mark(marker, colour, px(*p), py(*q), &tip));
            }
            let ly = TOP + SIDE + 64.0 + 20.0 * k as f64;
            let _ = write!(
                s,
                r##"<line x1="{LEFT}" x2="{:.1}" y1="{ly:.1}" y2="{ly:.1}" stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/>"##,
                LEFT + 36.0
            );
            s.push_str(&mark(marker, colour, LEFT + 18.0, ly, &g.label));
            let _ = write!(
                s,
                r##"<text x="{:.1}" y="{:.1}" fill="#222222">{}</text>"##,
                LEFT + 46.0,
                ly + 4.0,
                esc(&g.label)
            );
        }
        s.push_str("</svg>");
        s
    }
}

fn mark(kind: &str, colour: &str, x: f64, y: f64, tip: &str) -> String {
    let r = 4.5;
    let shape = match kind {
        "square" => format!(
            r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}""#,
            x - r,
            y - r,
            2.0 * r,
            2.0 * r
        ),
        "diamond" => format!(
            r#"<path d="M{x:.1} {:.1} L{:.1} {y:.1} L{x:.1} {:.1} L{:.1} {y:.1} Z""#,
            y - r - 1.0,
            x + r + 1.0,
            y + r + 1.0,
            x - r - 1.0
        ),
        "triangle" => format!(
            r#"<path d="M{x:.1} {:.1} L{:.1} {:.1} L{:.1} {:.1} Z""#,
            y - r - 1.0,
            x + r + 1.0,
            y + r,
            x - r - 1.0,
            y + r
        ),
        _ => format!(r#"<circle cx="{x:.1}" cy="{y:.1}" r="{r}""#),
    };
    format!(
        r##"{shape} class="point" fill="{colour}" stroke="#ffffff"><title>{}</title>{}"##,
        esc(tip),
        if kind == "square" {
            "</rect>"
        } else if kind == "circle" {
            "</circle>"
        } else {
            "</path>"
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_group_is_a_line_with_its_points_on_the_unit_square() {
        let plot = CalibrationPlot {
            id: "k".into(),
            title: "Kalibrierung".into(),
            description: "Angegeben gegen eingetroffen".into(),
            groups: vec![
                CalibrationGroup {
                    label: "Demo".into(),
                    points: vec![(0.9, 0.85, 100), (0.1, 0.2, 100), (0.5, 0.5, 100)],
                },
                CalibrationGroup {
                    label: "INKAR".into(),
                    points: vec![(0.9, 1.0, 10)],
                },
            ],
        };
        let svg = plot.render();
        assert_eq!(svg.matches("class=\"group\"").count(), 2);
        assert_eq!(svg.matches("class=\"point\"").count(), 4 + 2);
        // 50 % stated, 50 % true: on the diagonal, at the centre of the square.
        assert!(
            svg.contains(&format!(
                "cx=\"{:.1}\" cy=\"{:.1}\"",
                LEFT + SIDE / 2.0,
                TOP + SIDE / 2.0
            )),
            "{svg}"
        );
        assert!(svg.contains("angegeben 90 %, eingetroffen 85,0 % von 100 Aussagen"));
    }
}
