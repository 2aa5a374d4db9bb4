//! A sweep's chart: where things go (shared by the page's SVG, `components/chart.rs`, and
//! the exported file), and the chart as a file of its own — a standalone SVG with its title,
//! axes, series and legend, coloured without the page's stylesheet — or its numbers as CSV.

use super::fixed;
use super::sweep::{ChartVm, SweepVm, num};

/// The drawing's size in viewBox units, and the plot's margins.
pub const W: f64 = 330.0;
pub const H: f64 = 210.0;
pub const LEFT: f64 = 42.0;
pub const RIGHT: f64 = 12.0;
pub const TOP: f64 = 22.0;
pub const BOTTOM: f64 = 50.0;

/// The plot of chart `c` of sweep `s`: from values to viewBox coordinates.
pub struct Plot<'a> {
    pub s: &'a SweepVm,
    pub c: &'a ChartVm,
}

impl Plot<'_> {
    /// The plot area's width and height.
    pub fn size(&self) -> (f64, f64) {
        (W - LEFT - RIGHT, H - TOP - BOTTOM)
    }

    fn span(&self) -> f64 {
        (self.s.x_max - self.s.x_min).max(1e-9)
    }

    pub fn x(&self, v: f64) -> f64 {
        LEFT + (v - self.s.x_min) / self.span() * self.size().0
    }

    pub fn y(&self, v: f64) -> f64 {
        let ph = self.size().1;
        TOP + ph - v / self.c.y_max.max(1e-9) * ph
    }

    /// Names on the x axis: series `k` beside the others around each name, so that none hides
    /// another.
    pub fn dx(&self, k: usize) -> f64 {
        if self.s.numeric {
            return 0.0;
        }
        let n = self.c.series.len() as f64;
        (k as f64 - (n - 1.0) / 2.0) * (self.size().0 / (self.span() * n.max(1.0) * 2.2))
    }

    /// The baseline of x tick `i`: with many names, every other one a line lower, so that
    /// neighbours never touch.
    pub fn tick_y(&self, i: usize) -> f64 {
        let low = !self.s.numeric && self.s.x_ticks.len() > 4 && i % 2 == 1;
        TOP + self.size().1 + if low { 25.0 } else { 14.0 }
    }

    /// Series `k`'s points, as a polyline's `points`.
    pub fn line(&self, k: usize) -> String {
        self.c.series[k]
            .points
            .iter()
            .map(|pt| format!("{},{}", f1(self.x(pt.x) + self.dx(k)), f1(self.y(pt.y))))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

pub fn f1(v: f64) -> String {
    fixed(v, 1)
}

/// The series' colours in the file (the page's light palette: Okabe–Ito, as the stylesheet),
/// and their dashes: not by colour alone.
const TONES: [(&str, &str); 6] = [
    ("#d55e00", ""),
    ("#cc79a7", "6 3"),
    ("#2b6cb0", ""),
    ("#009e73", "2 3"),
    ("#e69f00", "8 3 2 3"),
    ("#56b4e9", ""),
];

fn esc(s: &str) -> String {
    crate::export::attr(s)
}

/// Chart `index` of `s` as a standalone SVG file: title, axes with units, series, legend.
pub fn chart_svg(s: &SweepVm, index: usize) -> Option<String> {
    let c = s.charts.get(index)?;
    let p = Plot { s, c };
    let (pw, ph) = p.size();
    const HEAD: f64 = 22.0;
    const LEGEND_ROW: f64 = 16.0;
    let legend_h = LEGEND_ROW * c.series.len() as f64 + 8.0;
    let total_h = HEAD + H + legend_h;
    let mut o = String::new();
    o.push_str(&format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w2}\" height=\"{h2}\" \
         font-family=\"system-ui, sans-serif\" role=\"img\">\n",
        w = f1(W),
        h = f1(total_h),
        w2 = f1(W * 2.0),
        h2 = f1(total_h * 2.0),
    ));
    o.push_str(&format!(
        "<title>{}</title>\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n",
        esc(&format!("{} — {}", s.title, c.title))
    ));
    o.push_str(&format!(
        "<text x=\"{}\" y=\"15\" font-size=\"11\" font-weight=\"700\" fill=\"#1a202c\">{}</text>\n",
        f1(LEFT),
        esc(&c.title)
    ));
    o.push_str(&format!("<g transform=\"translate(0,{})\">\n", f1(HEAD)));
    let unit = "font-size=\"10.5\" font-weight=\"600\" fill=\"#4a5568\"";
    let tick = "font-size=\"10.5\" fill=\"#718096\"";
    o.push_str(&format!(
        "<text x=\"{}\" y=\"12\" {unit}>{}</text>\n",
        f1(LEFT),
        esc(&c.y_label)
    ));
    for (v, t) in &c.y_ticks {
        o.push_str(&format!(
            "<line x1=\"{}\" x2=\"{}\" y1=\"{y}\" y2=\"{y}\" stroke=\"#dfe3ea\"/>\n\
             <text x=\"{}\" y=\"{}\" text-anchor=\"end\" {tick}>{}</text>\n",
            f1(LEFT),
            f1(W - RIGHT),
            f1(LEFT - 5.0),
            f1(p.y(*v) + 3.5),
            esc(t),
            y = f1(p.y(*v)),
        ));
    }
    for (i, (v, t)) in s.x_ticks.iter().enumerate() {
        o.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" {tick}>{}</text>\n",
            f1(p.x(*v)),
            f1(p.tick_y(i)),
            esc(t)
        ));
    }
    o.push_str(&format!(
        "<path d=\"M{l},{t} V{b} H{r}\" fill=\"none\" stroke=\"#a0aec0\" stroke-width=\"1.2\"/>\n",
        l = f1(LEFT),
        t = f1(TOP),
        b = f1(TOP + ph),
        r = f1(LEFT + pw),
    ));
    o.push_str(&format!(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" {unit}>{}</text>\n",
        f1(LEFT + pw / 2.0),
        f1(H - 4.0),
        esc(&s.x_label)
    ));
    for (k, se) in c.series.iter().enumerate() {
        let (colour, dash) = TONES[usize::from(se.tone) % TONES.len()];
        o.push_str(&format!("<g fill=\"{colour}\" stroke=\"{colour}\">\n"));
        if s.numeric && se.points.len() > 1 {
            let dash = if dash.is_empty() {
                String::new()
            } else {
                format!(" stroke-dasharray=\"{dash}\"")
            };
            o.push_str(&format!(
                "<polyline points=\"{}\" fill=\"none\" stroke-width=\"2\"{dash}/>\n",
                p.line(k)
            ));
        }
        for pt in &se.points {
            o.push_str(&format!(
                "<circle cx=\"{}\" cy=\"{}\" r=\"4\" stroke=\"#ffffff\" stroke-width=\"1.5\"><title>{}</title></circle>\n",
                f1(p.x(pt.x) + p.dx(k)),
                f1(p.y(pt.y)),
                esc(&pt.label)
            ));
        }
        o.push_str("</g>\n");
    }
    o.push_str("</g>\n");
    for (k, se) in c.series.iter().enumerate() {
        let (colour, dash) = TONES[usize::from(se.tone) % TONES.len()];
        let y = HEAD + H + 6.0 + LEGEND_ROW * k as f64;
        o.push_str(&format!(
            "<line x1=\"{}\" x2=\"{}\" y1=\"{y}\" y2=\"{y}\" stroke=\"{colour}\" stroke-width=\"3\"{}/>\n\
             <text x=\"{}\" y=\"{}\" font-size=\"10.5\" fill=\"#4a5568\">{}</text>\n",
            f1(LEFT),
            f1(LEFT + 16.0),
            if dash.is_empty() {
                String::new()
            } else {
                format!(" stroke-dasharray=\"{dash}\"")
            },
            f1(LEFT + 22.0),
            f1(y + 3.5),
            esc(&se.name),
            y = f1(y),
        ));
    }
    o.push_str("</svg>\n");
    Some(o)
}

/// The sweep's numbers: one line per point of every chart.
pub fn sweep_csv(s: &SweepVm) -> String {
    use offset_lab_sim::export::csv;
    let mut o = format!("chart,series,{},value,unit,point\n", csv(&s.x_label));
    for c in &s.charts {
        for se in &c.series {
            for pt in &se.points {
                let x = match s.x_ticks.iter().find(|(v, _)| *v == pt.x) {
                    Some((_, name)) if !s.numeric => name.clone(),
                    _ => num(pt.x),
                };
                o.push_str(&format!(
                    "{},{},{},{},{},{}\n",
                    csv(&c.title),
                    csv(&se.name),
                    csv(&x),
                    num(pt.y),
                    csv(&c.y_label),
                    csv(&pt.label)
                ));
            }
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loss_sweep() -> std::rc::Rc<SweepVm> {
        crate::experiments::run_experiment("loss-vs-processing-time")
            .unwrap()
            .vm
    }

    #[test]
    fn the_csv_has_a_line_per_point_with_its_value() {
        let s = loss_sweep();
        let csv = sweep_csv(&s);
        let points: usize = s
            .charts
            .iter()
            .flat_map(|c| &c.series)
            .map(|se| se.points.len())
            .sum();
        assert_eq!(csv.lines().count(), points + 1);
        assert!(csv.starts_with("chart,series,processing time (ms),value,unit,point\n"));
        // 40 % of the runs lose a payment at 2 s of processing (B5).
        assert!(
            csv.lines().any(|l| l.contains(",2000,40,")),
            "{}",
            csv.lines().take(20).collect::<Vec<_>>().join("\n")
        );
        let commits = crate::experiments::run_experiment("commit-cost")
            .unwrap()
            .vm;
        let csv = sweep_csv(&commits);
        assert!(csv.contains(",sync-each,"), "names, not positions");
    }

    #[test]
    fn the_svg_stands_alone_with_its_axes_series_and_legend() {
        let s = loss_sweep();
        let svg = chart_svg(&s, 0).unwrap();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains(&esc(&s.x_label)));
        assert!(svg.contains(&esc(&s.charts[0].y_label)));
        let points: usize = s.charts[0].series.iter().map(|se| se.points.len()).sum();
        assert_eq!(svg.matches("<circle").count(), points);
        for se in &s.charts[0].series {
            assert!(svg.contains(&esc(&se.name)), "legend: {}", se.name);
        }
        assert!(!svg.contains("class="), "no stylesheet needed");
        assert!(chart_svg(&s, 99).is_none());
        // Names from a scenario cannot break out of the markup.
        let mut odd = (*s).clone();
        odd.charts[0].title = "<script>alert(1)</script>".into();
        assert!(!chart_svg(&odd, 0).unwrap().contains("<script>"));
    }
}
