//! The view models the root component builds itself, from the world at the cursor: the line
//! the code view highlights (and the message a new crash point proposes), and the callout of a
//! key moment.

use offset_lab_sim::World;

use crate::code;
use crate::components::callout::CalloutVm;
use crate::components::outcome::{costs_text, counters};
use crate::view::moments::{self, MomentKind};
use crate::view::{self, clock};

/// The line the chosen consumer executes, and the message number a new crash point proposes.
pub(super) fn active_line(
    world: &World,
    listing: &code::Listing,
    cc: usize,
) -> (Option<usize>, u32) {
    match world.consumers.get(cc) {
        Some(con) => match &con.client {
            Some(cl) => (
                listing.line_of(cl.app.pc),
                if matches!(
                    cl.app.state,
                    offset_lab_sim::client::AppState::Processing { .. }
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

pub(super) fn callout_vm(
    tl: &offset_lab_sim::Timeline,
    baseline: Option<&crate::state::Baseline>,
    m: moments::Moment,
) -> Option<CalloutVm> {
    let w = tl.world_at(m.cursor());
    let (text, extra) = moments::body(tl, m, &w);
    let outcome = m.kind == MomentKind::Outcome;
    let stats = outcome.then(|| view::outcome::run_stats(tl, &w, m.cursor()));
    Some(CalloutVm {
        ix: m.ix,
        number: m.kind.number(),
        title: m.kind.title(),
        tone: m.kind.tone(),
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
            (Some(b), Some(s)) => Some((b.change(), view::outcome::compare(&b.stats, s))),
            _ => None,
        },
    })
}
