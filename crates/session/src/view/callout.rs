//! The callout of a key moment (its title, the explanation, and for the outcome the counters,
//! the costs and the comparison with the run before the student's changes); the outcome's
//! counters and costs; and the line the code view highlights.

use serde::{Deserialize, Serialize};

use offset_lab_sim::{Summary, Timeline, World};

use super::moments::{self, Moment, MomentKind};
use super::outcome::RunStats;
use super::{clock, dur};
use crate::code;
use crate::state::Baseline;

/// (what, before, now) rows comparing two runs.
pub type Comparison = Vec<(String, String, String)>;

/// One counter of the outcome: its CSS class, what it counts, how many.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counter {
    pub class: String,
    pub label: String,
    pub n: u32,
}

/// What the callout shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CalloutVm {
    pub ix: usize,
    pub number: u8,
    pub title: String,
    pub tone: String,
    pub at: String,
    pub text: String,
    pub extra: Option<String>,
    /// Outcome counters, for moment 5.
    pub counters: Option<Vec<Counter>>,
    /// (what, before, now) rows comparing with the run before the last change.
    pub compare: Option<(String, Comparison)>,
    pub costs: Option<String>,
}

/// The counters: lost, duplicated, once, pending; skipped and dead-lettered when there are any.
pub fn counters(s: &Summary) -> Vec<Counter> {
    let mut out = vec![
        ("ctr ctr-lost", "lost", s.lost),
        ("ctr ctr-dup", "duplicated", s.duplicated),
        ("ctr ctr-once", "once", s.once),
        ("ctr ctr-pending", "pending", s.pending),
    ];
    if s.skipped > 0 {
        out.push(("ctr ctr-skipped", "skipped", s.skipped));
    }
    if s.dead_lettered > 0 {
        out.push(("ctr ctr-dead", "dead-lettered", s.dead_lettered));
    }
    out.into_iter()
        .map(|(class, label, n)| Counter {
            class: class.into(),
            label: label.into(),
            n,
        })
        .collect()
}

/// What the run cost, in a line: commits, failures, time blocked, throughput.
pub fn costs_text(st: &RunStats) -> String {
    let mut parts = vec![format!(
        "{} commit request{}{}",
        st.commits,
        if st.commits == 1 { "" } else { "s" },
        if st.auto_commits > 0 {
            format!(" ({} by the auto-commit timer)", st.auto_commits)
        } else {
            String::new()
        }
    )];
    if st.failed_commits > 0 {
        parts.push(format!("{} failed", st.failed_commits));
    }
    if st.sync_wait_ms > 0 {
        parts.push(format!("{} blocked in commit()", dur(st.sync_wait_ms)));
    }
    parts.extend(super::outcome::rate(st.per_second, "payments recorded"));
    parts.join(" · ")
}

/// The line the chosen consumer executes, and the message number a new crash point proposes.
pub fn active_line(world: &World, listing: &code::Listing, cc: usize) -> (Option<usize>, u32) {
    match world.consumers.get(cc) {
        Some(con) => match &con.client {
            Some(cl) => (
                listing.line_of(cl.app.pc),
                if matches!(
                    cl.app.state,
                    offset_lab_sim::client::ProgramState::Processing { .. }
                ) {
                    cl.app.current_seq
                } else {
                    con.messages_seen + 1
                },
            ),
            None => (None, con.messages_seen + 1),
        },
        None => (None, 1),
    }
}

/// The callout of moment `m`, compared with `baseline` (the run before the changes) at the end.
pub fn callout_vm(tl: &Timeline, baseline: Option<&Baseline>, m: Moment) -> CalloutVm {
    let w = tl.world_at(m.cursor());
    let (text, extra) = moments::body(tl, m, &w);
    let outcome = m.kind == MomentKind::Outcome;
    let stats = outcome.then(|| super::outcome::run_stats(tl, &w, m.cursor()));
    CalloutVm {
        ix: m.ix,
        number: m.kind.number(),
        title: m.kind.title().into(),
        tone: m.kind.tone().into(),
        at: clock(tl.events[m.ix].at_ms),
        text: if outcome {
            "The run is over. Every payment has its verdict:".to_string()
        } else {
            text
        },
        extra,
        counters: stats.as_ref().map(|s| counters(&s.summary)),
        costs: stats.as_ref().map(costs_text),
        compare: match (baseline, &stats) {
            (Some(b), Some(s)) => Some((b.change(), super::outcome::compare(&b.stats, s))),
            _ => None,
        },
    }
}
