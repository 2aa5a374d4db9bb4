//! The Experiments panel's charts: a sweep of one setting (the core's `sweep::grid`), run in
//! the worker, as series of points per metric — the share of runs that lost a payment, the
//! payments lost and duplicated per run, and the payments per second — each point carrying
//! the run it opens. The page only scales and draws them (`components/chart.rs`).

use serde::{Deserialize, Serialize};

use offset_lab_sim::sweep::RunResult;
use offset_lab_sim::sweep::grid::{Param, Plan, Row, Value};

use super::fixed;

/// The built-in experiments the panel offers, with the question each answers: the core's
/// (`offset_lab_sim::sweep::experiments`), here as text so that the page's bundle holds no
/// scenario (a test checks that they agree).
pub const EXPERIMENTS: [(&str, &str); 4] = [
    (
        "loss-vs-processing-time",
        "How likely is auto-commit to lose the payment in flight?",
    ),
    ("commit-cost", "What does committing cost?"),
    (
        "commit-before-or-after",
        "Commit before or after processing?",
    ),
    (
        "offsets-in-kafka-or-db",
        "Offsets in Kafka or in the database?",
    ),
];

/// What a series shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Metric {
    /// Runs that lost at least one payment, in % of the runs of a value.
    LostShare,
    /// Payments lost, per run.
    Lost,
    /// Payments applied more than once, per run.
    Duplicated,
    /// Payments applied per simulated second while busy.
    PaymentsPerS,
}

impl Metric {
    pub fn name(self) -> &'static str {
        match self {
            Metric::LostShare => "runs that lost a payment",
            Metric::Lost => "lost",
            Metric::Duplicated => "duplicated",
            Metric::PaymentsPerS => "payments/s",
        }
    }

    /// The value as the point's label reads it: `40 %`, `0.5 lost`, `180.2 payments/s`.
    fn reading(self, y: f64) -> String {
        match self {
            Metric::LostShare => format!("{} % of runs lost a payment", num(y)),
            Metric::Lost => format!("{} lost per run", num(y)),
            Metric::Duplicated => format!("{} duplicated per run", num(y)),
            Metric::PaymentsPerS => format!("{} payments/s", num(y)),
        }
    }

    fn of(self, r: &Row) -> f64 {
        match self {
            Metric::LostShare => r.lost_share_per_mille as f64 / 10.0,
            Metric::Lost => r.lost_centi as f64 / 100.0,
            Metric::Duplicated => r.duplicated_centi as f64 / 100.0,
            Metric::PaymentsPerS => r.payments_per_s_centi as f64 / 100.0,
        }
    }
}

/// One point: where it is, what it says, and which run of the sweep it opens.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointVm {
    pub x: f64,
    pub y: f64,
    /// Its values in words (the point's title and accessible name).
    pub label: String,
    /// The run it opens (`Action::OpenSweepRun`): the first of its value's runs that lost or
    /// duplicated a payment, else its first run.
    pub run: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeriesVm {
    /// The legend's words.
    pub name: String,
    pub metric: Metric,
    /// Its colour and line style, 0–5.
    pub tone: u8,
    pub points: Vec<PointVm>,
}

/// One chart: series of the same unit over the swept setting.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChartVm {
    pub title: String,
    /// The y axis, with its unit.
    pub y_label: String,
    pub y_max: f64,
    pub y_ticks: Vec<(f64, String)>,
    pub series: Vec<SeriesVm>,
}

/// A sweep's result, as the panel shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepVm {
    /// The experiment's name, or `None` for a sweep of the student's own scenario.
    pub experiment: Option<String>,
    /// The question it answers, or what was swept.
    pub title: String,
    /// What the chart shows, in a sentence.
    pub reading: String,
    /// The x axis, with its unit.
    pub x_label: String,
    /// The x axis is a number (points joined by lines), else names (points only).
    pub numeric: bool,
    pub x_min: f64,
    pub x_max: f64,
    pub x_ticks: Vec<(f64, String)>,
    pub charts: Vec<ChartVm>,
    /// The result in a sentence.
    pub sentence: String,
    /// Runs in all.
    pub runs: usize,
}

/// `2`, `2.5`, `180.25`: as few decimals as needed (at most 2).
pub fn num(v: f64) -> String {
    let s = fixed(v, 2);
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A round step for about `n` ticks over `span`: 1, 2, 2.5 or 5 times a power of ten.
fn nice_step(span: f64, n: f64) -> f64 {
    let raw = (span / n).max(1e-9);
    // The largest power of ten up to `raw`, without `powf` and `log10` (libm's code in the
    // worker's bundle).
    let mut mag = 1.0;
    while mag > raw {
        mag /= 10.0;
    }
    while mag * 10.0 <= raw {
        mag *= 10.0;
    }
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag)
}

fn ticks(lo: f64, hi: f64, n: f64) -> Vec<(f64, String)> {
    let step = nice_step(hi - lo, n);
    let mut t = (lo / step).ceil() * step;
    let mut out = Vec::new();
    while t <= hi + step * 1e-6 && out.len() < 12 {
        out.push((t, num(t)));
        t += step;
    }
    out
}

/// The run a value's point opens: its first run that lost or duplicated a payment, else its
/// first run.
fn telling_run(range: &std::ops::Range<usize>, results: &[RunResult]) -> usize {
    range
        .clone()
        .find(|i| {
            results
                .get(*i)
                .is_some_and(|r| r.lost() + r.duplicated() > 0)
        })
        .unwrap_or(range.start)
}

/// The chart data of a finished sweep: `plan`'s variants were run into `results`.
pub fn sweep_vm(
    experiment: Option<&str>,
    title: String,
    reading: String,
    param: Param,
    second: Option<Param>,
    plan: &Plan,
    results: &[RunResult],
) -> SweepVm {
    let rows = plan.rows(results);
    // The x of each value: itself when numeric, its place among the values otherwise.
    let mut values: Vec<&Value> = Vec::new();
    for (v, _, _) in &plan.groups {
        if !values.contains(&v) {
            values.push(v);
        }
    }
    let numeric = param.is_numeric() && values.iter().all(|v| matches!(v, Value::Num(_)));
    let x_of = |v: &Value| match v {
        Value::Num(n) if numeric => *n as f64,
        _ => values.iter().position(|w| *w == v).unwrap_or(0) as f64,
    };
    let (x_min, x_max, x_ticks) = if numeric {
        let lo = values.iter().map(|v| x_of(v)).fold(f64::MAX, f64::min);
        let hi = values.iter().map(|v| x_of(v)).fold(0.0, f64::max);
        // From 0 unless the values are far from it.
        let lo = if lo * 4.0 <= hi { 0.0 } else { lo };
        let hi = if hi <= lo { lo + 1.0 } else { hi };
        (lo, hi, ticks(lo, hi, 5.0))
    } else {
        let ticks = values
            .iter()
            .enumerate()
            .map(|(i, v)| (i as f64, v.text()))
            .collect();
        (-0.5, values.len() as f64 - 0.5, ticks)
    };
    // The series of a metric: one per value of the second setting.
    let seconds: Vec<Option<Value>> = {
        let mut s: Vec<Option<Value>> = Vec::new();
        for (_, w, _) in &plan.groups {
            if !s.contains(w) {
                s.push(w.clone());
            }
        }
        s
    };
    let series_of = |metric: Metric, tone0: usize| -> Vec<SeriesVm> {
        seconds
            .iter()
            .enumerate()
            .map(|(k, w)| {
                let at = |w2: &Option<Value>| match (second, w2) {
                    (Some(p), Some(w2)) => format!(", {} {}", p.label(), w2.text()),
                    _ => String::new(),
                };
                let points = plan
                    .groups
                    .iter()
                    .zip(&rows)
                    .filter(|((_, w2, _), _)| w2 == w)
                    .map(|((v, w2, range), row)| {
                        let y = metric.of(row);
                        PointVm {
                            x: x_of(v),
                            y,
                            label: format!(
                                "{} {}{}: {} ({} run{})",
                                param.label(),
                                v.text(),
                                at(w2),
                                metric.reading(y),
                                row.runs,
                                if row.runs == 1 { "" } else { "s" }
                            ),
                            run: telling_run(range, results),
                        }
                    })
                    .collect();
                let name = match (second, w) {
                    (Some(p), Some(w)) => {
                        format!("{} at {} {}", metric.name(), p.label(), w.text())
                    }
                    _ => metric.name().to_string(),
                };
                SeriesVm {
                    name,
                    metric,
                    tone: ((tone0 + k) % 6) as u8,
                    points,
                }
            })
            .collect()
    };
    let max_of = |m: Metric| rows.iter().map(|r| m.of(r)).fold(0.0, f64::max);
    let chart = |title: &str, y_label: &str, series: Vec<SeriesVm>, y_max: Option<f64>| {
        let top = series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.y))
            .fold(0.0, f64::max);
        let y_max = y_max.unwrap_or_else(|| {
            let step = nice_step(top.max(1.0), 4.0);
            ((top / step).ceil() * step).max(step)
        });
        ChartVm {
            title: title.into(),
            y_label: y_label.into(),
            y_ticks: ticks(0.0, y_max, 4.0),
            y_max,
            series,
        }
    };
    let mut charts = Vec::new();
    if max_of(Metric::LostShare) > 0.0 {
        charts.push(chart(
            "How often a payment is lost",
            "runs that lost a payment (%)",
            series_of(Metric::LostShare, 0),
            Some(100.0),
        ));
    }
    if max_of(Metric::Lost) + max_of(Metric::Duplicated) > 0.0 {
        let mut s = series_of(Metric::Lost, 0);
        s.extend(series_of(Metric::Duplicated, s.len()));
        charts.push(chart(
            "Payments lost and duplicated",
            "payments per run",
            s,
            None,
        ));
    }
    // Throughput, unless the runs are about one payment's fate (well under one a second).
    let throughput = charts.is_empty() || max_of(Metric::PaymentsPerS) >= 1.0;
    if throughput {
        charts.push(chart(
            "Throughput",
            "payments per simulated second",
            series_of(Metric::PaymentsPerS, 2),
            None,
        ));
    }
    SweepVm {
        experiment: experiment.map(str::to_string),
        title,
        reading,
        x_label: param.label().to_string(),
        numeric,
        x_min,
        x_max,
        x_ticks,
        charts,
        sentence: sentence(param, second, plan, &rows, throughput),
        runs: results.len(),
    }
}

/// The result in a sentence: where loss and duplicates are lowest and highest, and throughput.
fn sentence(
    param: Param,
    second: Option<Param>,
    plan: &Plan,
    rows: &[Row],
    throughput: bool,
) -> String {
    let at = |i: usize| {
        let (v, w, _) = &plan.groups[i];
        match (second, w) {
            (Some(p), Some(w)) => format!(
                "{} {} ({} {})",
                param.label(),
                v.text(),
                p.label(),
                w.text()
            ),
            _ => format!("{} {}", param.label(), v.text()),
        }
    };
    let extremes = |m: Metric| {
        let mut lo = 0;
        let mut hi = 0;
        for (i, r) in rows.iter().enumerate() {
            if m.of(r) < m.of(&rows[lo]) {
                lo = i;
            }
            if m.of(r) > m.of(&rows[hi]) {
                hi = i;
            }
        }
        (lo, hi)
    };
    if rows.is_empty() {
        return "No run.".into();
    }
    let mut parts = Vec::new();
    let (lo, hi) = extremes(Metric::LostShare);
    let (_, dup) = extremes(Metric::Duplicated);
    if Metric::LostShare.of(&rows[hi]) == 0.0 && Metric::Duplicated.of(&rows[dup]) == 0.0 {
        parts.push("No run lost or duplicated a payment.".to_string());
    } else {
        if Metric::LostShare.of(&rows[hi]) > 0.0 {
            parts.push(format!(
                "Runs that lost a payment: {} % at {}, {} % at {}.",
                num(Metric::LostShare.of(&rows[lo])),
                at(lo),
                num(Metric::LostShare.of(&rows[hi])),
                at(hi)
            ));
        }
        if Metric::Duplicated.of(&rows[dup]) > 0.0 {
            parts.push(format!(
                "Most duplicates: {} per run at {}.",
                num(Metric::Duplicated.of(&rows[dup])),
                at(dup)
            ));
        }
    }
    let (slow, fast) = extremes(Metric::PaymentsPerS);
    if !throughput {
        return parts.join(" ");
    }
    parts.push(format!(
        "Most payments per second: {} at {}; fewest: {} at {}.",
        num(Metric::PaymentsPerS.of(&rows[fast])),
        at(fast),
        num(Metric::PaymentsPerS.of(&rows[slow])),
        at(slow)
    ));
    parts.join(" ")
}

/// The values a student typed (`0, 1000, 2000` or `sync, async`) for `param`.
pub fn parse_values(param: Param, text: &str) -> Result<Vec<Value>, String> {
    let values: Vec<Value> = text
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| match (param.is_numeric(), v.parse::<u64>()) {
            (true, Ok(n)) => Ok(Value::Num(n)),
            (true, Err(_)) => Err(format!("“{v}” is not a whole number")),
            (false, _) => Ok(Value::Name(v.to_string())),
        })
        .collect::<Result<_, _>>()?;
    if values.is_empty() {
        return Err("type at least one value, comma separated".into());
    }
    if values.len() > MAX_VALUES {
        return Err(format!("at most {MAX_VALUES} values in one sweep"));
    }
    Ok(values)
}

/// At most this many values in a sweep the student types (a chart stays readable).
pub const MAX_VALUES: usize = 24;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_panel_offers_the_cores_experiments_with_their_questions() {
        let names: Vec<&str> = EXPERIMENTS.iter().map(|e| e.0).collect();
        assert_eq!(names, offset_lab_sim::sweep::experiments::NAMES);
        for (name, question) in EXPERIMENTS {
            let e = offset_lab_sim::sweep::experiments::experiment(name).unwrap();
            assert_eq!(e.question, question);
        }
    }

    #[test]
    fn numbers_and_ticks_read_well() {
        assert_eq!(
            (num(2.0), num(2.5), num(180.254), num(0.0)),
            ("2".into(), "2.5".into(), "180.25".into(), "0".into())
        );
        let t: Vec<String> = ticks(0.0, 7000.0, 5.0).into_iter().map(|t| t.1).collect();
        assert_eq!(t, ["0", "2000", "4000", "6000"]);
        assert_eq!(ticks(0.0, 100.0, 4.0).len(), 5);
        assert_eq!(
            parse_values(Param::ProcessingMs, "0, 1000,").unwrap(),
            vec![Value::Num(0), Value::Num(1000)]
        );
        assert!(parse_values(Param::ProcessingMs, &"1,".repeat(30)).is_err());
    }
}
