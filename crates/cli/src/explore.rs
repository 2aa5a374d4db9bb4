//! `offset-lab prove`, `offset-lab sweep` and `offset-lab experiments`: many runs of one
//! scenario, as the playground's "prove it" and charts make them.

use std::fmt::Write;

use offset_lab_sim::Scenario;
use offset_lab_sim::challenge::CHALLENGES;
use offset_lab_sim::log::payment_id;
use offset_lab_sim::sweep::experiments::{NAMES, experiment};
use offset_lab_sim::sweep::grid::{Param, Repeat, Row, Sweep, Value};
use offset_lab_sim::sweep::prove::Proof;
use serde::Serialize;

pub const USAGE: &str = "  offset-lab prove (--preset NAME | FILE) [--consumer NAME] [--json]
  offset-lab challenge [ID [--preset NAME | FILE] [--json]]
  offset-lab experiments
  offset-lab sweep --experiment NAME [--json]
  offset-lab sweep (--preset NAME | FILE) --set FIELD=V1,V2,… [--set FIELD2=…] \
                   [--seeds N | --phases N | --crashes] [--json]";

/// `offset-lab prove`.
pub fn prove(scenario: &Scenario, consumer: Option<&str>, json: bool) -> Result<String, String> {
    let c = match consumer {
        Some(name) => scenario
            .consumer_index(name)
            .ok_or_else(|| format!("no consumer is named \"{name}\""))?,
        None => 0,
    };
    let proof = Proof::new(scenario, c).ok_or("the scenario does not run without its crashes")?;
    let report = proof.run();
    if json {
        #[derive(Serialize)]
        struct Out<'a> {
            consumer: &'a str,
            messages: u32,
            summary: String,
            #[serde(flatten)]
            report: &'a offset_lab_sim::sweep::prove::ProofReport,
        }
        let out = Out {
            consumer: &scenario.consumers[c].name,
            messages: proof.messages,
            summary: report.text(),
            report: &report,
        };
        return serde_json::to_string_pretty(&out)
            .map(|s| s + "\n")
            .map_err(|e| e.to_string());
    }
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} under every single disturbance of {} ({} runs: \
         each program point of its first {} messages × kill, sys.exit, close(); \
         crashes across an auto-commit cycle; a second consumer joining at each point; \
         a stall past max.poll.interval.ms on each message)\n",
        scenario.name,
        scenario.consumers[c].name,
        report.runs.len(),
        proof.messages
    );
    for r in &report.runs {
        let verdict = match (&r.invalid, r.lost.is_empty(), r.duplicated.is_empty()) {
            (Some(e), _, _) => format!("not run: {e}"),
            (None, true, true) => "clean".to_string(),
            (None, lost, dup) => {
                let mut parts = Vec::new();
                if !lost {
                    parts.push(format!("LOST {}", ids(&r.lost)));
                }
                if !dup {
                    parts.push(format!("duplicated {}", ids(&r.duplicated)));
                }
                parts.join(" · ")
            }
        };
        let _ = writeln!(s, "  {:<64} {verdict}", r.text);
    }
    let _ = writeln!(s, "\n{}", report.text());
    Ok(s)
}

/// `offset-lab challenge`: the challenges, one a line.
pub fn challenges() -> String {
    CHALLENGES
        .iter()
        .map(|c| format!("{:<9} {}\n{:<9} goal: {}\n", c.id, c.title, "", c.goal_text))
        .collect()
}

/// `offset-lab challenge ID [scenario]`: the proof of the scenario (the challenge's starting
/// program when none is given) and whether it meets the goal.
pub fn challenge(id: &str, scenario: Option<Scenario>, json: bool) -> Result<String, String> {
    let c = offset_lab_sim::challenge::challenge(id).ok_or_else(|| {
        let known: Vec<&str> = CHALLENGES.iter().map(|c| c.id).collect();
        format!(
            "no challenge is named \"{id}\"; known: {}",
            known.join(", ")
        )
    })?;
    let scenario = scenario.unwrap_or_else(|| c.start());
    let (report, result) = c
        .attempt(&scenario)
        .ok_or("the scenario does not run without its crashes")?;
    if json {
        #[derive(Serialize)]
        struct Out<'a> {
            challenge: &'a str,
            title: &'a str,
            goal: &'a str,
            scenario: &'a str,
            #[serde(flatten)]
            result: &'a offset_lab_sim::challenge::ChallengeResult,
            explored: usize,
            losing: usize,
            duplicating: usize,
            stalling: usize,
            summary: String,
        }
        let out = Out {
            challenge: c.id,
            title: c.title,
            goal: c.goal_text,
            scenario: &scenario.name,
            result: &result,
            explored: report.explored,
            losing: report.losing,
            duplicating: report.duplicating,
            stalling: report.stalling,
            summary: report.text(),
        };
        return serde_json::to_string_pretty(&out)
            .map(|s| s + "\n")
            .map_err(|e| e.to_string());
    }
    let mut s = String::new();
    let _ = writeln!(s, "{}\nGoal: {}", c.title, c.goal_text);
    if !c.hint.is_empty() && !result.met {
        let _ = writeln!(s, "Hint: {}", c.hint);
    }
    let _ = writeln!(
        s,
        "\n{}: {}\n{}\n\n{}",
        scenario.name,
        if result.met { "MET" } else { "NOT MET" },
        result.reason,
        report.text()
    );
    if let Some(ix) = result.run {
        let _ = writeln!(s, "The run to open: #{ix} ({})", report.runs[ix].text);
    }
    Ok(s)
}

fn ids(payments: &[u32]) -> String {
    payments
        .iter()
        .map(|p| payment_id(p + 1))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `offset-lab experiments`.
pub fn experiments() -> String {
    NAMES
        .iter()
        .filter_map(|n| experiment(n))
        .map(|e| format!("{:<26} {}\n", e.name, e.question))
        .collect()
}

/// A sweep's rows as the CLI prints them in JSON: shares and rates as decimals.
#[derive(Serialize)]
struct JsonRow {
    value: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    second: Option<Value>,
    runs: usize,
    #[serde(skip_serializing_if = "is_zero")]
    invalid: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    /// The share of runs that lost a payment.
    lost_share: f64,
    /// Payments lost and duplicated, per run.
    lost: f64,
    duplicated: f64,
    payments_per_s: f64,
    commit_requests_per_payment: f64,
    sync_commit_wait_ms: u64,
    latency_mean_ms: u64,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl From<&Row> for JsonRow {
    fn from(r: &Row) -> JsonRow {
        JsonRow {
            value: r.value.clone(),
            second: r.second.clone(),
            runs: r.runs,
            invalid: r.invalid,
            reason: r.reason.clone(),
            lost_share: r.lost_share_per_mille as f64 / 1000.0,
            lost: r.lost_centi as f64 / 100.0,
            duplicated: r.duplicated_centi as f64 / 100.0,
            payments_per_s: r.payments_per_s_centi as f64 / 100.0,
            commit_requests_per_payment: r.commits_per_1000_payments as f64 / 1000.0,
            sync_commit_wait_ms: r.sync_commit_wait_ms,
            latency_mean_ms: r.latency_mean_ms,
        }
    }
}

#[derive(Serialize)]
struct JsonSweep<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    experiment: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    question: Option<&'a str>,
    param: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    second: Option<&'a str>,
    rows: Vec<JsonRow>,
}

/// `offset-lab sweep --experiment NAME`.
pub fn sweep_experiment(name: &str, json: bool) -> Result<String, String> {
    let e = experiment(name).ok_or_else(|| {
        format!(
            "no experiment is named \"{name}\"; known: {}",
            NAMES.join(", ")
        )
    })?;
    let rows = e.sweep.run(&e.base)?;
    print_sweep(&e.sweep, &rows, Some((e.name, e.question)), json)
}

/// `offset-lab sweep (--preset NAME | FILE) --set FIELD=V1,V2`.
pub fn sweep(
    base: &Scenario,
    sets: &[String],
    repeat: Repeat,
    json: bool,
) -> Result<String, String> {
    let mut params = Vec::new();
    for set in sets {
        let (field, values) = set
            .split_once('=')
            .ok_or_else(|| format!("--set {set}: expected FIELD=V1,V2,…"))?;
        let param = Param::from_key(field).ok_or_else(|| {
            let known: Vec<&str> = Param::ALL.iter().map(|p| p.key()).collect();
            format!("--set {field}: unknown field; known: {}", known.join(", "))
        })?;
        let values: Vec<Value> = values
            .split(',')
            .filter(|v| !v.is_empty())
            .map(|v| match (param.is_numeric(), v.parse::<u64>()) {
                (true, Ok(n)) => Ok(Value::Num(n)),
                (true, Err(_)) => Err(format!("--set {field}: \"{v}\" is not a whole number")),
                (false, _) => Ok(Value::Name(v.to_string())),
            })
            .collect::<Result<_, _>>()?;
        params.push((param, values));
    }
    let mut it = params.into_iter();
    let (param, values) = it.next().ok_or("which setting? --set FIELD=V1,V2,…")?;
    let second = it.next();
    if it.next().is_some() {
        return Err("at most two settings at once (a grid)".into());
    }
    let sweep = Sweep {
        param,
        values,
        second,
        repeat,
    };
    let rows = sweep.run(base)?;
    print_sweep(&sweep, &rows, None, json)
}

fn print_sweep(
    sweep: &Sweep,
    rows: &[Row],
    experiment: Option<(&str, &str)>,
    json: bool,
) -> Result<String, String> {
    if json {
        let out = JsonSweep {
            experiment: experiment.map(|e| e.0),
            question: experiment.map(|e| e.1),
            param: sweep.param.key(),
            second: sweep.second.as_ref().map(|(p, _)| p.key()),
            rows: rows.iter().map(JsonRow::from).collect(),
        };
        return serde_json::to_string_pretty(&out)
            .map(|s| s + "\n")
            .map_err(|e| e.to_string());
    }
    let mut s = String::new();
    if let Some((name, question)) = experiment {
        let _ = writeln!(s, "{name}: {question}\n");
    }
    let head = match &sweep.second {
        Some((p2, _)) => format!("{} × {}", sweep.param.key(), p2.key()),
        None => sweep.param.key().to_string(),
    };
    let _ = writeln!(
        s,
        "{head:<24} {:>5} {:>10} {:>8} {:>11} {:>12} {:>14} {:>13}",
        "runs", "lost share", "lost", "duplicated", "payments/s", "commits/pay", "sync wait ms"
    );
    for r in rows {
        let value = match &r.second {
            Some(w) => format!("{} × {}", r.value.text(), w.text()),
            None => r.value.text(),
        };
        let _ = writeln!(
            s,
            "{value:<24} {:>5} {:>9}% {:>8} {:>11} {:>12} {:>14} {:>13}",
            r.runs,
            r.lost_share_per_mille / 10,
            centi(r.lost_centi),
            centi(r.duplicated_centi),
            centi(r.payments_per_s_centi),
            milli(r.commits_per_1000_payments),
            r.sync_commit_wait_ms
        );
    }
    Ok(s)
}

fn centi(n: u64) -> String {
    format!("{}.{:02}", n / 100, n % 100)
}

fn milli(n: u64) -> String {
    format!("{}.{:03}", n / 1000, n % 1000)
}
