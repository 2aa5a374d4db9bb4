//! The outcome: counters, the ledger of payments with their verdicts, why each lost or
//! duplicated payment ended that way (the events that caused it), and what the run cost in
//! commits and time.

use offset_lab_sim::outcome::Metrics;
use offset_lab_sim::{CellState, EventKind, Ms, Summary, Timeline, Verdict, World};
use serde::{Deserialize, Serialize};

use super::{clock, consumer_name, dur, fixed, part_name, pid};

/// One event that explains a payment's fate, from the core's story (`Timeline::why`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cause {
    pub ix: usize,
    pub at_ms: Ms,
    pub text: String,
    /// This event is what made it lost or duplicated (shown emphasised).
    pub decisive: bool,
}

/// The core's story of every payment that ends lost or duplicated (None for the others), as
/// causes linked to their events. Computed once per run.
pub fn causes(tl: &Timeline) -> Vec<Vec<Cause>> {
    tl.final_world
        .outcomes()
        .iter()
        .enumerate()
        .map(|(i, o)| {
            if !matches!(o.outcome, Verdict::Lost | Verdict::Duplicated) {
                return Vec::new();
            }
            let Some(story) = tl.why(i as u32) else {
                return Vec::new();
            };
            story
                .causes
                .into_iter()
                .map(|c| Cause {
                    ix: c.event,
                    at_ms: c.at_ms,
                    text: c.text,
                    decisive: c.decisive,
                })
                .collect()
        })
        .collect()
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerRow {
    pub payment: u32,
    pub id: String,
    pub place: String,
    pub amount: String,
    pub applied: u32,
    pub state: CellState,
    pub verdict: Verdict,
    /// For lost and duplicated payments: the events up to the cursor that explain it.
    pub why: Vec<Cause>,
}

pub fn verdict_label(v: Verdict) -> &'static str {
    match v {
        Verdict::Once => "once",
        Verdict::Duplicated => "duplicated",
        Verdict::Lost => "lost",
        Verdict::Pending => "pending",
        Verdict::Skipped => "skipped",
        Verdict::DeadLettered => "dead-lettered",
    }
}

/// The ledger at the cursor: every payment when there are few, else the lost and duplicated
/// ones and those in flight, at most `limit` rows. Returns the rows and how many were left out.
pub fn ledger(
    world: &World,
    causes: &[Vec<Cause>],
    cursor: usize,
    limit: usize,
    problems_only: bool,
) -> (Vec<LedgerRow>, usize) {
    let sc = &world.scenario;
    let states = world.cell_states();
    let outcomes = world.outcomes();
    let mut rows = Vec::new();
    let mut left_out = 0;
    for (i, (o, st)) in outcomes.iter().zip(&states).enumerate() {
        let interesting = matches!(o.outcome, Verdict::Lost | Verdict::Duplicated)
            || matches!(
                st,
                CellState::AtRisk | CellState::Processing | CellState::Delivered
            );
        if problems_only && !interesting {
            continue;
        }
        if rows.len() >= limit {
            left_out += 1;
            continue;
        }
        let p = &world.log.payments[i];
        let why = if matches!(o.outcome, Verdict::Lost | Verdict::Duplicated)
            || *st == CellState::AtRisk
        {
            causes
                .get(i)
                .map(|cs| cs.iter().filter(|c| c.ix < cursor).cloned().collect())
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        rows.push(LedgerRow {
            payment: i as u32,
            id: o.id.clone(),
            place: format!("{} @ {}", part_name(sc, p.partition), p.offset),
            amount: format!("${}.{:02}", p.amount_cents / 100, p.amount_cents % 100),
            applied: o.applied,
            state: *st,
            verdict: o.outcome,
            why,
        });
    }
    (rows, left_out)
}

/// What a run cost: commits and time (the core's `Metrics`, plus what the UI points out).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunStats {
    pub summary: Summary,
    /// Commit requests sent (transactions included).
    pub commits: u32,
    pub auto_commits: u32,
    pub failed_commits: u32,
    /// Time the program spent blocked in synchronous `commit()` calls.
    pub sync_wait_ms: u64,
    /// Effects applied, duplicates included.
    pub applications: u32,
    /// When the last effect was applied.
    pub done_ms: Option<Ms>,
    /// Applications per simulated second while busy.
    pub per_second: f64,
}

pub fn run_stats(tl: &Timeline, world: &World, cursor: usize) -> RunStats {
    let events = &tl.events[..cursor.min(tl.events.len())];
    let m = Metrics::new(events, &world.log, tl.scenario.broker.rtt_ms);
    RunStats {
        summary: world.summary(),
        commits: m.commits_sent,
        auto_commits: m.auto_commits,
        failed_commits: m.commits_failed,
        sync_wait_ms: m.sync_commit_wait_ms,
        applications: m.applications,
        done_ms: m.last_effect_ms,
        per_second: m.payments_per_s,
    }
}

/// "lost 1 → 0" style comparison lines between a run before a change and this one.
/// Throughput in words: "16.8 per second", "2.5 per minute" for a slow run, with `what`
/// after the number ("16.8 payments recorded per second"); `None` before anything was recorded.
pub fn rate(per_second: f64, what: &str) -> Option<String> {
    let space = if what.is_empty() { "" } else { " " };
    if per_second >= 1.0 {
        Some(format!("{}{space}{what} per second", fixed(per_second, 1)))
    } else if per_second > 0.0 {
        Some(format!(
            "{}{space}{what} per minute",
            fixed(per_second * 60.0, 1)
        ))
    } else {
        None
    }
}

pub fn compare(before: &RunStats, now: &RunStats) -> Vec<(String, String, String)> {
    let mut rows = vec![
        (
            "lost".to_string(),
            before.summary.lost.to_string(),
            now.summary.lost.to_string(),
        ),
        (
            "duplicated".to_string(),
            before.summary.duplicated.to_string(),
            now.summary.duplicated.to_string(),
        ),
        (
            "once".to_string(),
            before.summary.once.to_string(),
            now.summary.once.to_string(),
        ),
        (
            "commit requests".to_string(),
            before.commits.to_string(),
            now.commits.to_string(),
        ),
        (
            "waiting for sync commits".to_string(),
            dur(before.sync_wait_ms),
            dur(now.sync_wait_ms),
        ),
    ];
    rows.push((
        "payments recorded (throughput)".to_string(),
        rate(before.per_second, "").unwrap_or_else(|| "—".into()),
        rate(now.per_second, "").unwrap_or_else(|| "—".into()),
    ));
    rows.push((
        "last payment recorded at".to_string(),
        before.done_ms.map_or("—".into(), clock),
        now.done_ms.map_or("—".into(), clock),
    ));
    rows
}

/// A one-line description of a payment for the details panel.
pub fn describe(world: &World, payment: u32) -> Option<String> {
    let p = world.log.payments.get(payment as usize)?;
    let st = world.cell_states().get(payment as usize).copied()?;
    let holder = world
        .holder(payment)
        .map(|(c, processing)| {
            format!(
                " · {} by {}",
                if processing {
                    "being processed"
                } else {
                    "waiting in the batch"
                },
                consumer_name(&world.scenario, Some(c as u8))
            )
        })
        .unwrap_or_default();
    Some(format!(
        "{} · {} @ offset {} · ${}.{:02}{} · applied {}× · {}{}",
        pid(payment),
        part_name(&world.scenario, p.partition),
        p.offset,
        p.amount_cents / 100,
        p.amount_cents % 100,
        p.key
            .as_ref()
            .map(|k| format!(" · key {k}"))
            .unwrap_or_default(),
        world.sink.applied[payment as usize],
        st.label(),
        holder
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::test_util::timeline;

    #[test]
    fn the_lost_payment_of_sleep7_explains_itself() {
        let tl = timeline("step1-autocommit-sleep7");
        let cs = causes(&tl);
        let end = tl.events.len();
        let (rows, left_out) = ledger(&tl.final_world, &cs, end, 100, false);
        assert_eq!(left_out, 0);
        assert_eq!(rows.len(), 3);
        let p1 = &rows[0];
        assert_eq!(p1.id, "P-0001");
        assert_eq!(p1.verdict, Verdict::Lost);
        let texts: Vec<&str> = p1.why.iter().map(|c| c.text.as_str()).collect();
        assert!(
            texts.iter().any(|t| t.contains("moved to 1, past P-0001")),
            "{texts:?}"
        );
        assert!(
            texts
                .iter()
                .any(|t| t.contains("sys.exit(1) without close()")),
            "{texts:?}"
        );
        assert!(
            texts
                .iter()
                .any(|t| t.contains("resumed at offset 1, after P-0001")),
            "{texts:?}"
        );
        assert!(
            texts.iter().all(|t| !t.starts_with(char::is_numeric)),
            "the time is split off: {texts:?}"
        );
        assert!(p1.why.iter().any(|c| c.decisive));
        assert!(
            !texts
                .iter()
                .any(|t| t.contains("an auto-commit committed past")),
            "deduplicated: {texts:?}"
        );
        // Before the cursor reaches the causes, they are not shown.
        let (early, _) = ledger(&tl.world_at(5), &cs, 5, 100, false);
        assert!(early[0].why.is_empty());
    }

    #[test]
    fn the_duplicate_of_step2_explains_itself() {
        let tl = timeline("step2-manual-commit");
        let cs = causes(&tl);
        let (rows, _) = ledger(&tl.final_world, &cs, tl.events.len(), 100, true);
        assert_eq!(rows.len(), 1, "only the duplicate is a problem");
        let p2 = &rows[0];
        assert_eq!(p2.id, "P-0002");
        assert_eq!(p2.verdict, Verdict::Duplicated);
        let texts: Vec<&str> = p2.why.iter().map(|c| c.text.as_str()).collect();
        assert!(
            texts
                .iter()
                .any(|t| t.contains("sys.exit(1) without close()")),
            "{texts:?}"
        );
        assert!(
            texts
                .iter()
                .any(|t| t.contains("before P-0002: it is delivered again")),
            "{texts:?}"
        );
        assert!(
            texts.iter().any(|t| t.contains("application 2")),
            "{texts:?}"
        );
        assert!(p2.why.iter().any(|c| c.decisive));
    }

    #[test]
    fn stats_count_commits_and_the_fix_costs_commits() {
        let t1 = timeline("step1-autocommit-sleep7");
        let s1 = run_stats(&t1, &t1.final_world, t1.events.len());
        assert_eq!(s1.summary.lost, 1);
        assert!(s1.auto_commits >= 1);
        let t2 = timeline("step2-manual-commit");
        let s2 = run_stats(&t2, &t2.final_world, t2.events.len());
        assert_eq!(s2.summary.lost, 0);
        assert!(s2.commits > s1.commits);
        assert!(s2.sync_wait_ms > 0);
        assert!(s2.per_second > 0.0);
        let rows = compare(&s1, &s2);
        assert_eq!(rows[0], ("lost".into(), "1".into(), "0".into()));
        // Throughput, as the student compares sync with async (issue: the compare table).
        let row = rows
            .iter()
            .find(|r| r.0 == "payments recorded (throughput)")
            .expect("a throughput row");
        assert_eq!(row.1, rate(s1.per_second, "").unwrap());
        assert_eq!(row.2, rate(s2.per_second, "").unwrap());
        assert_ne!(
            row.1, row.2,
            "sync commits after each payment cost throughput"
        );
        assert_eq!(rate(0.0, ""), None);
        assert_eq!(rate(0.5, "").as_deref(), Some("30.0 per minute"));
        assert_eq!(rate(16.84, "").as_deref(), Some("16.8 per second"));
        assert_eq!(
            rate(16.84, "payments recorded").as_deref(),
            Some("16.8 payments recorded per second")
        );
    }

    #[test]
    fn describe_names_the_payment() {
        let tl = timeline("step1-autocommit-sleep7");
        let d = describe(&tl.final_world, 0).unwrap();
        assert!(d.starts_with("P-0001 · payments-0 @ offset 0"), "{d}");
        assert!(d.contains("lost"));
        assert!(describe(&tl.final_world, 99).is_none());
    }
}

/// Where in its auto-commit cycle the first consumer was when `poll()` returned the first
/// payment: `(t_r − t0) mod auto.commit.interval.ms` (F.1), if it did and auto-commit is on.
pub fn first_poll_phase(tl: &Timeline) -> Option<Ms> {
    let c = tl.scenario.consumers.first()?;
    if !c.config.enable_auto_commit {
        return None;
    }
    let interval = c.config.auto_commit_interval_ms.max(1);
    let polled = tl.events.iter().find_map(|e| match &e.kind {
        EventKind::Polled { payments } if payments.contains(&0) && e.consumer == Some(0) => {
            Some(e.at_ms)
        }
        _ => None,
    })?;
    // The timer's origin is the construction of the incarnation that polled it (B5).
    let t0 = tl
        .events
        .iter()
        .filter(|e| {
            e.consumer == Some(0)
                && e.at_ms <= polled
                && matches!(e.kind, EventKind::Constructed { .. })
        })
        .map(|e| e.at_ms)
        .next_back()?;
    Some((polled - t0) % interval)
}

#[cfg(test)]
mod phase_tests {
    use super::*;
    use crate::view::test_util::timeline;

    #[test]
    fn the_first_poll_of_sleep7_is_16_ms_into_the_cycle() {
        assert_eq!(
            first_poll_phase(&timeline("step1-autocommit-sleep7")),
            Some(16)
        );
        assert_eq!(first_poll_phase(&timeline("step2-manual-commit")), None);
    }
}
