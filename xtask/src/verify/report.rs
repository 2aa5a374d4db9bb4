//! The rows of the report and how they print.

use super::*;

pub(crate) fn error_row(scenario: &str, e: String) -> Row {
    Row {
        scenario: scenario.to_owned(),
        sim: "—".into(),
        real: "—".into(),
        margin: "—".into(),
        verdict: Verdict::Error(e),
        agreed: 0,
        runs: 0,
        timing_sensitive: false,
        details: vec![],
        dirs: vec![],
        wall: Duration::ZERO,
    }
}

pub(crate) fn row(p: &Planned, runs: &[Run]) -> Row {
    let margin_ms = p.plan.get("margin").get("ms").u64();
    let mut r = error_row(&p.name, String::new());
    r.margin = p
        .plan
        .get("margin")
        .get("label")
        .str()
        .unwrap_or("?")
        .to_owned();
    r.timing_sensitive = margin_ms.is_some_and(|m| m < TIMING_SENSITIVE_MS);
    if let Some(reason) = p.plan.get("listed").str() {
        r.margin = "—".into();
        r.timing_sensitive = false;
        r.verdict = Verdict::Listed(reason.to_owned());
        return r;
    }
    for a in p.plan.get("adjustments").array() {
        if let Some(a) = a.str() {
            r.details.push(format!("run {a}"));
        }
    }
    r.runs = runs.len();
    r.dirs = runs.iter().map(|(d, _, _)| d.clone()).collect();
    r.wall = runs.iter().map(|(_, _, w)| *w).max().unwrap_or_default();
    let mut comparisons = Vec::new();
    for (dir, result, _) in runs {
        match result {
            Ok(res) => comparisons.push((dir, compare(&p.plan, res))),
            Err(e) => r.details.push(format!("{}: {e}", dir.display())),
        }
    }
    if let Some((_, first)) = comparisons.first() {
        r.sim = first.sim.cell();
    }
    r.agreed = comparisons.iter().filter(|(_, c)| !differs(c)).count();
    // The row shows an agreeing run if there is one, else the first.
    let shown = comparisons
        .iter()
        .find(|(_, c)| !differs(c))
        .or(comparisons.first());
    if let Some((_, c)) = shown {
        r.real = c.real.cell();
    }
    // A disagreement counts unless the mock disturbed that run (then it is inconclusive).
    let conclusive_disagreements = comparisons
        .iter()
        .filter(|(_, c)| differs(c) && !c.disturbed)
        .count();
    let enough = if r.timing_sensitive {
        r.agreed > 0
    } else {
        r.agreed > 0 && conclusive_disagreements == 0 && comparisons.len() == runs.len()
    };
    r.verdict = if enough {
        Verdict::Agree
    } else if comparisons.len() < runs.len() {
        // A run failed: its error is in the details.
        Verdict::Error(String::new())
    } else {
        // Every disagreeing run must be explained by a documented mock difference.
        let explained: Vec<Option<&MockDifference>> = comparisons
            .iter()
            .filter(|(_, c)| differs(c))
            .map(|(dir, _)| documented(&p.name, dir))
            .collect();
        match explained.first() {
            Some(Some(m)) if explained.iter().all(Option::is_some) => {
                r.details
                    .push(format!("mock difference: {} — {}", m.what, m.mechanism));
                Verdict::MockDifference(m.what)
            }
            _ => Verdict::Differ,
        }
    };
    for (dir, c) in &comparisons {
        let tag = dir
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        const SHOWN: usize = 8;
        let (notes, payments): (Vec<&String>, Vec<&String>) =
            c.differences.iter().partition(|d| d.starts_with("note: "));
        for d in payments.iter().take(SHOWN).chain(&notes) {
            r.details.push(format!("{tag}: {d}"));
        }
        if payments.len() > SHOWN {
            r.details.push(format!(
                "{tag}: … and {} more payments differ",
                payments.len() - SHOWN
            ));
        }
        if differs(c) {
            for e in &c.mock_events {
                r.details.push(format!("{tag}: {e}"));
            }
        }
    }
    let inconclusive = comparisons
        .iter()
        .filter(|(_, c)| differs(c) && c.disturbed)
        .count();
    if inconclusive > 0 && r.verdict == Verdict::Agree {
        r.details.push(format!(
            "{inconclusive} run(s) disturbed by the mock (see above) did not count"
        ));
    }
    if r.timing_sensitive {
        r.details.push(format!(
            "timing-sensitive: margin {} (under {TIMING_SENSITIVE_MS} ms){}",
            r.margin,
            change(&p.plan)
        ));
    }
    r
}

pub(crate) fn change(plan: &Json) -> String {
    let c = plan.get("margin").get("change");
    if c.is_null() {
        return String::new();
    }
    format!(
        "; {} shifted by {} ms turns {} from {} into {}",
        c.get("knob").str().unwrap_or("?"),
        c.get("shift_ms").i64().unwrap_or(0),
        c.get("payment").str().unwrap_or("?"),
        c.get("from").str().unwrap_or("?"),
        c.get("to").str().unwrap_or("?"),
    )
}

pub(crate) fn print_report(rows: &[Row]) {
    let header = [
        "scenario",
        "sim lost/dup/once",
        "real lost/dup/once",
        "margin",
        "result",
    ]
    .map(str::to_owned);
    let cells: Vec<[String; 5]> = rows
        .iter()
        .map(|r| {
            let result = match &r.verdict {
                Verdict::Agree if r.runs > 1 => format!("agree ({} of {} runs)", r.agreed, r.runs),
                Verdict::Agree => "agree".to_owned(),
                Verdict::MockDifference(what) => format!("mock difference: {what}"),
                Verdict::Differ if r.runs > 1 => {
                    format!("DIFFER ({} of {} runs agree)", r.agreed, r.runs)
                }
                Verdict::Differ => "DIFFER".to_owned(),
                Verdict::Listed(reason) => format!("listed: {}", listed_tag(reason)),
                Verdict::Error(_) => "ERROR".to_owned(),
            };
            let margin = if r.timing_sensitive {
                format!("{} (!)", r.margin)
            } else {
                r.margin.clone()
            };
            [
                r.scenario.clone(),
                r.sim.clone(),
                r.real.clone(),
                margin,
                result,
            ]
        })
        .collect();
    let mut widths = [0; 5];
    for row in std::iter::once(&header).chain(&cells) {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |row: &[String; 5]| {
        let mut s = String::from(" ");
        for (i, (c, w)) in row.iter().zip(widths).enumerate() {
            s.push(' ');
            s.push_str(c);
            if i + 1 < row.len() {
                s.push_str(&" ".repeat(w - c.chars().count() + 1));
            }
        }
        s.trim_end().to_owned()
    };
    println!(
        "\n==> real client vs simulator (verdicts per payment; margin (!) = timing-sensitive)"
    );
    println!("{}", line(&header));
    for c in &cells {
        println!("{}", line(c));
    }
    let mut notes = Vec::new();
    for r in rows {
        match &r.verdict {
            Verdict::Listed(reason) => notes.push(format!("{}: listed: {reason}", r.scenario)),
            Verdict::Error(e) if !e.is_empty() => notes.push(format!("{}: {e}", r.scenario)),
            _ => {}
        }
        for d in &r.details {
            notes.push(format!("{}: {d}", r.scenario));
        }
        if matches!(
            r.verdict,
            Verdict::Differ | Verdict::Error(_) | Verdict::MockDifference(_)
        ) {
            for d in &r.dirs {
                notes.push(format!("{}: logs in {}", r.scenario, d.display()));
            }
        }
    }
    if !notes.is_empty() {
        println!();
        for n in notes {
            println!("  {n}");
        }
    }
}
