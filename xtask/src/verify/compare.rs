//! Comparing what the real client did with what the simulator planned.

use super::*;

/// One run compared with the simulation.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Comparison {
    pub sim: Counts,
    pub real: Counts,
    /// The payments that differ, in words.
    pub differences: Vec<String>,
    /// What the mock cluster did that a real broker would not (`verify/driver.py`,
    /// `MOCK_MECHANISMS`), in words, with its time.
    pub mock_events: Vec<String>,
    /// Some of those leave the simulation unable to follow the run: a disagreement after one
    /// is inconclusive, and the run is made again.
    pub disturbed: bool,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Counts {
    pub lost: u32,
    pub duplicated: u32,
    pub once: u32,
    pub pending: u32,
    pub skipped: u32,
    pub dead_lettered: u32,
}

impl Counts {
    pub(crate) fn add(&mut self, verdict: &str) {
        match verdict {
            "lost" => self.lost += 1,
            "duplicated" => self.duplicated += 1,
            "once" => self.once += 1,
            "skipped" => self.skipped += 1,
            "deadlettered" => self.dead_lettered += 1,
            _ => self.pending += 1,
        }
    }

    /// `1/0/2` (lost/duplicated/once), then any other verdicts: `1/0/2 +4 pending`.
    pub fn cell(&self) -> String {
        let mut s = format!("{}/{}/{}", self.lost, self.duplicated, self.once);
        for (n, what) in [
            (self.pending, "pending"),
            (self.skipped, "skipped"),
            (self.dead_lettered, "dead-lettered"),
        ] {
            if n > 0 {
                s.push_str(&format!(" +{n} {what}"));
            }
        }
        s
    }
}

/// Compares the real run's verdicts, partitions and offsets with the plan's, payment by payment.
pub fn compare(plan: &Json, result: &Json) -> Comparison {
    let mut c = Comparison::default();
    let real = result.get("payments").array();
    for (i, p) in plan.get("payments").array().iter().enumerate() {
        let id = p.get("id").str().unwrap_or("?");
        let sim_verdict = p.get("sim").get("verdict").str().unwrap_or("?");
        c.sim.add(sim_verdict);
        let Some(r) = real
            .iter()
            .find(|r| r.get("id").str() == Some(id))
            .or(real.get(i))
        else {
            c.differences
                .push(format!("{id}: missing from the real run's result"));
            continue;
        };
        let real_verdict = r.get("verdict").str().unwrap_or("?");
        c.real.add(real_verdict);
        let (sp, so) = (p.get("partition").i64(), p.get("offset").i64());
        let (rp, ro) = (r.get("partition").i64(), r.get("offset").i64());
        if (sp, so) != (rp, ro) {
            let at = |p: Option<i64>, o: Option<i64>| match (p, o) {
                (Some(p), Some(o)) => format!("partition {p} offset {o}"),
                _ => "not produced".to_owned(),
            };
            c.differences
                .push(format!("{id}: sim {}, real {}", at(sp, so), at(rp, ro)));
        }
        if sim_verdict != real_verdict {
            c.differences.push(format!(
                "{id} (partition {}, offset {}): sim {sim_verdict} (applied {}), real {real_verdict} (applied {})",
                sp.unwrap_or(-1),
                so.unwrap_or(-1),
                p.get("sim").get("applied").i64().unwrap_or(0),
                r.get("applied").i64().unwrap_or(0),
            ));
        }
    }
    for n in result.get("notes").array() {
        if let Some(n) = n.str() {
            c.differences.push(format!("note: {n}"));
        }
    }
    for e in result.get("mock_events").array() {
        let secs = |ms: i64| format!("{}.{:03} s", ms / 1000, (ms % 1000).abs());
        let at = e.get("at_ms").i64().unwrap_or(0);
        let when = match e.get("count").i64().unwrap_or(1) {
            1 => format!("at {}", secs(at)),
            n => format!(
                "{n}× from {} to {}",
                secs(at),
                secs(e.get("until_ms").i64().unwrap_or(at))
            ),
        };
        c.mock_events.push(format!(
            "mock {when}: {} — {}",
            e.get("kind").str().unwrap_or("?"),
            e.get("text").str().unwrap_or("")
        ));
        if e.get("disturbs") == &Json::Bool(true) {
            c.disturbed = true;
        }
    }
    c
}

pub(crate) fn differs(c: &Comparison) -> bool {
    c.differences.iter().any(|d| !d.starts_with("note: "))
}

/// The documented mock difference that explains this run's disagreement, if its evidence is in
/// the run's logs.
pub(crate) fn documented(scenario: &str, dir: &Path) -> Option<&'static MockDifference> {
    let entry = MOCK_DIFFERENCES.iter().find(|m| {
        m.scenario == scenario || scenario.starts_with(&format!("{}-phase-", m.scenario))
    })?;
    let mut logs = String::new();
    if let Ok(entries) = fs::read_dir(dir) {
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for p in paths
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "log"))
        {
            logs.push_str(&fs::read_to_string(p).unwrap_or_default());
        }
    }
    (entry.evidence.iter().all(|e| logs.contains(e))
        && !entry.absent.iter().any(|a| logs.contains(a)))
    .then_some(entry)
}
