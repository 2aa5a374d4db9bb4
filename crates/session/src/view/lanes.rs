//! The log: one lane per partition, one cell per payment, and the offsets that matter as
//! markers on the boundaries between cells (an offset names the *next* record: committed 1 means
//! "everything before offset 1 is done", A1).

use offset_lab_sim::scenario::ClientModel;
use offset_lab_sim::{CellState, World};
use offset_lab_sim::{Offset, Partition};
use serde::{Deserialize, Serialize};

use super::part_name;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MarkerKind {
    /// The group's committed offset: where a restart resumes.
    Committed,
    /// A consumer's `position()`: last returned + 1.
    Position,
    /// A consumer's stored offset: what its next commit would commit (librdkafka).
    Stored,
    /// The log end offset.
    LogEnd,
}

impl MarkerKind {
    pub fn class(self) -> &'static str {
        match self {
            MarkerKind::Committed => "mk mk-committed",
            MarkerKind::Position => "mk mk-position",
            MarkerKind::Stored => "mk mk-stored",
            MarkerKind::LogEnd => "mk mk-end",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marker {
    pub kind: MarkerKind,
    pub offset: i64,
    pub label: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cell {
    pub payment: u32,
    pub offset: i64,
    pub state: CellState,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lane {
    pub partition: u32,
    pub name: String,
    pub cells: Vec<Cell>,
    /// Sorted by offset; an offset equal to `cells.len()` sits after the last cell.
    pub markers: Vec<Marker>,
    /// One line that says what the markers say, for screen readers and small screens.
    pub summary: String,
    /// Who holds the partition now.
    pub holder: Option<String>,
    /// The offset the view should keep in sight: the work in progress, else the committed offset.
    pub focus: i64,
    /// A long partition is drawn as a window of [`WINDOW`] cells around `focus`: the cells
    /// before and after it are summed up in one range each, with their markers.
    pub before: Option<Hidden>,
    pub after: Option<Hidden>,
}

/// The most cells a lane draws one by one (a few screens' worth): a partition of 50,000
/// payments costs the page no more than one of 120.
pub const WINDOW: usize = 120;

/// Cells not drawn one by one: offsets `from..=to`, how many are in each state (in the
/// legend's order, none empty), and the markers among them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hidden {
    pub from: i64,
    pub to: i64,
    pub counts: Vec<(CellState, u32)>,
    pub markers: Vec<Marker>,
}

impl Hidden {
    fn of(cells: &[Cell], markers: Vec<Marker>) -> Option<Hidden> {
        let (first, last) = (cells.first()?, cells.last()?);
        let counts = LEGEND
            .iter()
            .map(|&st| (st, cells.iter().filter(|c| c.state == st).count() as u32))
            .filter(|&(_, n)| n > 0)
            .collect();
        Some(Hidden {
            from: first.offset,
            to: last.offset,
            counts,
            markers,
        })
    }

    /// `offsets 0–879: 870 applied once, 10 not fetched`.
    pub fn text(&self) -> String {
        let counts: Vec<String> = self
            .counts
            .iter()
            .map(|(st, n)| format!("{n} {}", short_label(*st)))
            .collect();
        format!("offsets {}–{}: {}", self.from, self.to, counts.join(", "))
    }
}

/// Cuts `cells` (and their markers) to a window of [`WINDOW`] around `focus`.
fn window(
    mut cells: Vec<Cell>,
    mut markers: Vec<Marker>,
    focus: i64,
) -> (Vec<Cell>, Vec<Marker>, Option<Hidden>, Option<Hidden>) {
    if cells.len() <= WINDOW {
        return (cells, markers, None, None);
    }
    // A third of the window before the focus, the rest after it.
    let start = (focus.max(0) as usize)
        .saturating_sub(WINDOW / 3)
        .min(cells.len() - WINDOW);
    let end = start + WINDOW;
    let after_cells = cells.split_off(end);
    let shown = cells.split_off(start);
    let before_cells = cells;
    // A marker at offset o sits before cell o: one at `start` belongs to the window.
    let after_markers = markers
        .iter()
        .filter(|m| m.offset > end as i64)
        .cloned()
        .collect();
    let before_markers = markers
        .iter()
        .filter(|m| m.offset < start as i64)
        .cloned()
        .collect();
    markers.retain(|m| m.offset >= start as i64 && m.offset <= end as i64);
    (
        shown,
        markers,
        Hidden::of(&before_cells, before_markers),
        Hidden::of(&after_cells, after_markers),
    )
}

/// The CSS classes of a cell (the state's colour; the glyph comes from the same class).
pub fn cell_class(s: CellState) -> &'static str {
    match s {
        CellState::NotProduced => "cell s-unproduced",
        CellState::NotFetched => "cell s-unfetched",
        CellState::Delivered => "cell s-delivered",
        CellState::Processing => "cell s-processing",
        CellState::AtRisk => "cell s-atrisk",
        CellState::AppliedOnce => "cell s-once",
        CellState::AppliedMany => "cell s-many",
        CellState::Lost => "cell s-lost",
        CellState::Skipped => "cell s-skipped",
        CellState::DeadLettered => "cell s-dead",
    }
}

/// The glyph shown with a state, so that colour is never the only signal.
pub fn glyph(s: CellState) -> &'static str {
    match s {
        CellState::NotProduced => "",
        CellState::NotFetched => "·",
        CellState::Delivered => "↓",
        CellState::Processing => "…",
        CellState::AtRisk => "!",
        CellState::AppliedOnce => "✓",
        CellState::AppliedMany => "✓✓",
        CellState::Lost => "✕",
        CellState::Skipped => "⤼",
        CellState::DeadLettered => "☗",
    }
}

/// A short word for a state, where space is tight (the ledger).
pub fn short_label(s: CellState) -> &'static str {
    match s {
        CellState::AppliedOnce => "once",
        CellState::AppliedMany => "duplicated",
        _ => s.label(),
    }
}

/// The legend, in the order a payment usually lives through.
pub const LEGEND: [CellState; 10] = [
    CellState::NotProduced,
    CellState::NotFetched,
    CellState::Delivered,
    CellState::Processing,
    CellState::AtRisk,
    CellState::AppliedOnce,
    CellState::AppliedMany,
    CellState::Lost,
    CellState::Skipped,
    CellState::DeadLettered,
];

pub fn lanes(world: &World) -> Vec<Lane> {
    let sc = &world.scenario;
    let states = world.cell_states();
    let many_consumers = sc.consumers.len() > 1;
    let librdkafka = sc.client == ClientModel::Librdkafka;
    let log = &world.log;
    (0..log.partition_count())
        .map(|p| {
            let list = &log.partitions[p as usize];
            let cells: Vec<Cell> = list
                .iter()
                .enumerate()
                .map(|(o, &ix)| Cell {
                    payment: ix,
                    offset: o as i64,
                    state: states[ix as usize],
                })
                .collect();
            let mut markers = Vec::new();
            let committed = world.resume_offset(Partition(p));
            if committed >= Offset(0) {
                markers.push(Marker {
                    kind: MarkerKind::Committed,
                    offset: committed.0,
                    label: format!("committed {committed}"),
                });
            }
            let end = log.log_end_offset(Partition(p), world.now);
            markers.push(Marker {
                kind: MarkerKind::LogEnd,
                offset: end.0,
                label: format!("log end {end}"),
            });
            let mut holder = None;
            let mut summary = vec![format!(
                "committed {}",
                if committed >= Offset(0) {
                    committed.to_string()
                } else {
                    "none".into()
                }
            )];
            for (c, con) in world.consumers.iter().enumerate() {
                let Some(part) = con.client.as_ref().and_then(|cl| cl.part(Partition(p))) else {
                    continue;
                };
                let name = &sc.consumers[c].name;
                holder = Some(name.clone());
                let who = if many_consumers {
                    format!(" · {name}")
                } else {
                    String::new()
                };
                if part.app_pos >= Offset(0) {
                    markers.push(Marker {
                        kind: MarkerKind::Position,
                        offset: part.app_pos.0,
                        label: format!("position {}{who}", part.app_pos),
                    });
                    summary.push(format!("position {}{who}", part.app_pos));
                }
                if librdkafka && part.stored >= Offset(0) {
                    markers.push(Marker {
                        kind: MarkerKind::Stored,
                        offset: part.stored.0,
                        label: format!("stored {}{who}", part.stored),
                    });
                    summary.push(format!("stored {}{who}", part.stored));
                }
            }
            summary.push(format!("log end {end}"));
            markers.sort_by_key(|m| (m.offset, m.kind as u8));
            let focus = cells
                .iter()
                .find(|c| {
                    matches!(
                        c.state,
                        CellState::Processing | CellState::AtRisk | CellState::Delivered
                    )
                })
                .map(|c| c.offset)
                .unwrap_or(committed.0.max(0));
            let (cells, markers, before, after) = window(cells, markers, focus);
            Lane {
                partition: p,
                name: part_name(sc, Partition(p)),
                cells,
                markers,
                summary: summary.join(" · "),
                holder,
                focus,
                before,
                after,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::test_util::{after, timeline};

    #[test]
    fn a_long_partition_is_drawn_as_a_window_around_its_focus_and_the_rest_summed_up() {
        let sc = crate::scenarios::load(crate::scenarios::MANY_PAYMENTS).unwrap();
        let mut sc = sc;
        sc.topic.partitions = 1;
        let tl = offset_lab_sim::Timeline::new(sc).unwrap();
        let mid = tl.events.len() / 2;
        let w = tl.world_at(mid);
        let lane = &lanes(&w)[0];
        assert_eq!(lane.cells.len(), WINDOW);
        let first = lane.cells[0].offset;
        assert!(
            (first..first + WINDOW as i64).contains(&lane.focus),
            "the focus is in sight"
        );
        assert!(lane.focus - first <= WINDOW as i64 / 3);
        let hidden = |h: &Option<Hidden>| {
            h.as_ref()
                .map_or(0, |h| h.counts.iter().map(|c| c.1).sum::<u32>())
        };
        // Every payment is either drawn or counted, once.
        assert_eq!(
            lane.cells.len() as u32 + hidden(&lane.before) + hidden(&lane.after),
            1000
        );
        if let Some(b) = &lane.before {
            assert_eq!((b.from, b.to), (0, first - 1));
            assert!(b.text().starts_with(&format!("offsets 0–{}: ", first - 1)));
        }
        let after = lane
            .after
            .as_ref()
            .expect("the end of the log is not drawn");
        assert_eq!(after.to, 999);
        assert!(after.markers.iter().any(|m| m.kind == MarkerKind::LogEnd));
        // Markers are in the window's range, or in a range.
        let last = first + WINDOW as i64;
        assert!(
            lane.markers
                .iter()
                .all(|m| (first..=last).contains(&m.offset))
        );
        // A short partition is drawn whole.
        let tl = timeline("step1-autocommit-sleep7");
        let lane = &lanes(&tl.final_world)[0];
        assert!(lane.before.is_none() && lane.after.is_none());
    }

    #[test]
    fn at_risk_shows_committed_past_the_processing_payment() {
        // Moment 1: the auto-commit committed offset 1 while P-0001 (offset 0) is processing.
        let tl = timeline("step1-autocommit-sleep7");
        let w = tl.world_at(after(&tl, "at-risk"));
        let lane = &lanes(&w)[0];
        assert_eq!(lane.name, "payments-0");
        assert_eq!(lane.cells[0].state, CellState::AtRisk);
        let kinds: Vec<(MarkerKind, i64)> =
            lane.markers.iter().map(|m| (m.kind, m.offset)).collect();
        assert!(kinds.contains(&(MarkerKind::Committed, 1)));
        assert!(kinds.contains(&(MarkerKind::Position, 1)));
        assert!(kinds.contains(&(MarkerKind::Stored, 1)));
        assert!(kinds.contains(&(MarkerKind::LogEnd, 3)));
        assert_eq!(lane.focus, 0);
        assert!(lane.summary.starts_with("committed 1"));
        assert_eq!(lane.holder.as_deref(), Some("consumer-1"));
    }

    #[test]
    fn at_the_start_nothing_is_committed_and_nobody_holds_the_lane() {
        let tl = timeline("step1-autocommit-sleep7");
        let lane = &lanes(&tl.world_at(0))[0];
        assert!(lane.markers.iter().all(|m| m.kind == MarkerKind::LogEnd));
        assert!(lane.summary.contains("committed none"));
        assert_eq!(lane.holder, None);
    }

    #[test]
    fn the_end_of_sleep7_shows_the_lost_payment() {
        let tl = timeline("step1-autocommit-sleep7");
        let lane = &lanes(&tl.final_world)[0];
        assert_eq!(lane.cells[0].state, CellState::Lost);
        assert_eq!(glyph(lane.cells[0].state), "✕");
        assert_eq!(cell_class(lane.cells[0].state), "cell s-lost");
    }

    #[test]
    fn many_payments_has_four_lanes_of_all_payments_drawn_or_counted() {
        let tl = timeline(crate::scenarios::MANY_PAYMENTS);
        let ls = lanes(&tl.final_world);
        assert_eq!(ls.len(), 4);
        let counted = |h: &Option<Hidden>| {
            h.as_ref()
                .map_or(0, |h| h.counts.iter().map(|c| c.1 as usize).sum())
        };
        let all: usize = ls
            .iter()
            .map(|l| l.cells.len() + counted(&l.before) + counted(&l.after))
            .sum();
        assert_eq!(all, 1000);
        assert_eq!(ls.iter().map(|l| l.cells.len()).sum::<usize>(), 4 * WINDOW);
    }
}
