//! The narration: what has happened up to the cursor, in plain language (the core's
//! `explain()`), newest last.

use offset_lab_sim::trace::Context;
use offset_lab_sim::{EventKind, Timeline};
use serde::{Deserialize, Serialize};

use super::moments::Moment;
use super::{clock, consumer_name};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Filter {
    /// Only the five moments.
    Moments,
    /// Events that change what a student sees (`is_notable`).
    Notable,
    /// Everything, heartbeats included.
    All,
}

impl Filter {
    pub const ALL: [Filter; 3] = [Filter::Moments, Filter::Notable, Filter::All];

    pub fn label(self) -> &'static str {
        match self {
            Filter::Moments => "Key moments",
            Filter::Notable => "Notable",
            Filter::All => "Everything",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub ix: usize,
    pub at: String,
    pub who: String,
    pub name: String,
    pub text: String,
    /// Which of the five moments this event is, if any.
    pub moment: Option<u8>,
    pub category: String,
}

pub fn category(k: &EventKind) -> &'static str {
    match k {
        EventKind::CommitSent { .. }
        | EventKind::CommitApplied { .. }
        | EventKind::CommitRejected { .. }
        | EventKind::CommitRefused { .. }
        | EventKind::CommitCallback { .. }
        | EventKind::AutoCommitTick { .. } => "ev-commit",
        EventKind::Polled { .. }
        | EventKind::PollEmpty
        | EventKind::PollError { .. }
        | EventKind::OffsetStored { .. }
        | EventKind::StoreFailed { .. }
        | EventKind::ProcessingStarted { .. }
        | EventKind::EffectApplied { .. }
        | EventKind::ProcessingMsChanged { .. } => "ev-process",
        EventKind::Crashed { .. }
        | EventKind::CloseStarted
        | EventKind::Closed
        | EventKind::RestartScheduled { .. }
        | EventKind::Constructed { .. }
        | EventKind::MaxPollExceeded => "ev-life",
        EventKind::AtRisk { .. } => "ev-risk",
        _ => "ev-group",
    }
}

/// The last `limit` entries at or before `cursor` that pass `filter`, oldest first, and whether
/// older ones were left out.
pub fn narration(
    tl: &Timeline,
    moments: &[Moment],
    cursor: usize,
    filter: Filter,
    limit: usize,
) -> (Vec<Entry>, bool) {
    let cursor = cursor.min(tl.events.len());
    let log = &tl.final_world.log;
    let ctx = Context {
        scenario: &tl.scenario,
        log,
    };
    let mut out = Vec::new();
    let mut more = false;
    let moment_of = |ix: usize| {
        moments
            .binary_search_by_key(&ix, |m| m.ix)
            .ok()
            .map(|k| moments[k].kind.number())
    };
    for ix in (0..cursor).rev() {
        let e = &tl.events[ix];
        let moment = moment_of(ix);
        let keep = match filter {
            Filter::Moments => moment.is_some(),
            Filter::Notable => e.kind.is_notable(),
            Filter::All => true,
        };
        if !keep {
            continue;
        }
        if out.len() == limit {
            more = true;
            break;
        }
        let text = e.explain(&ctx).unwrap_or_else(|| {
            // The compact trace line without its time and consumer columns.
            let line = e.line();
            line.split_whitespace()
                .skip(2)
                .collect::<Vec<_>>()
                .join(" ")
        });
        out.push(Entry {
            ix,
            at: clock(e.at_ms),
            who: consumer_name(&tl.scenario, e.consumer),
            name: e.kind.name().to_string(),
            text,
            moment,
            category: category(&e.kind).to_string(),
        });
    }
    out.reverse();
    (out, more)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::moments::moments;
    use crate::view::test_util::{after, timeline};

    #[test]
    fn follows_the_cursor_and_filters() {
        let tl = timeline("step1-autocommit-sleep7");
        let ms = moments(&tl);
        let cur = after(&tl, "at-risk");
        let (notable, more) = narration(&tl, &ms, cur, Filter::Notable, 100);
        assert!(!more);
        let last = notable.last().unwrap();
        assert_eq!(last.name, "at-risk");
        assert_eq!(last.moment, Some(1));
        assert!(last.text.contains("at risk"));
        assert!(notable.iter().all(|e| e.name != "heartbeat"));
        let (all, _) = narration(&tl, &ms, cur, Filter::All, 100);
        assert!(all.iter().any(|e| e.name == "heartbeat"));
        assert_eq!(all.len(), cur);
        let (key, _) = narration(&tl, &ms, tl.events.len(), Filter::Moments, 100);
        assert_eq!(key.len(), ms.len());
        let (few, more) = narration(&tl, &ms, tl.events.len(), Filter::All, 5);
        assert_eq!(few.len(), 5);
        assert!(more);
        assert_eq!(few.last().unwrap().name, "end");
    }
}
