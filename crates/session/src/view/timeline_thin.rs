//! Thinning a busy timeline row to the timeline's resolution, so that a run of thousands of
//! payments stays cheap to send and to draw.

use offset_lab_sim::Ms;

use super::timeline::{Bar, BarKind, Mark, MarkKind, Row};

/// The most bars, and the most marks of each line, a row keeps one by one: beyond, a run of
/// thousands of payments is drawn at the timeline's resolution instead (a screen is a few
/// thousand pixels wide), and the message the worker sends stays small.
pub const MAX_ITEMS: usize = 1500;

/// Thins a busy row: processing bars that touch at the timeline's resolution become one bar
/// ("processing 40 payments"), and routine marks (polls, successful commits, empty ticks) keep
/// one per slice of time, saying how many it stands for. Crashes, restarts, payments at risk,
/// duplicates, failures and refused commits are always kept.
pub(super) fn thin(row: &mut Row, end: Ms) {
    let slice = (end / 3000).max(1);
    if row.bars.len() > MAX_ITEMS {
        let mut out: Vec<(Bar, u32)> = Vec::new();
        for b in row.bars.drain(..) {
            match out.last_mut() {
                Some((last, n))
                    if last.kind == b.kind
                        && matches!(b.kind, BarKind::Processing { interrupted: false })
                        && b.from_ms <= last.to_ms + slice =>
                {
                    last.to_ms = last.to_ms.max(b.to_ms);
                    *n += 1;
                }
                _ => out.push((b, 1)),
            }
        }
        row.bars = out
            .into_iter()
            .map(|(mut b, n)| {
                if n > 1 {
                    b.label = format!("processing {n} payments");
                }
                b
            })
            .collect();
    }
    for marks in [&mut row.marks, &mut row.commits] {
        if marks.len() <= MAX_ITEMS {
            continue;
        }
        let routine = |k: &MarkKind| {
            matches!(
                k,
                MarkKind::Poll
                    | MarkKind::EmptyTick
                    | MarkKind::Commit {
                        ok: Some(true) | None,
                        ..
                    }
            )
        };
        let mut out: Vec<(Mark, u32)> = Vec::new();
        for m in marks.drain(..) {
            let same_slice = |last: &Mark| {
                routine(&last.kind)
                    && std::mem::discriminant(&last.kind) == std::mem::discriminant(&m.kind)
                    && last.at_ms / slice == m.at_ms / slice
            };
            match out.last_mut() {
                Some((last, n)) if routine(&m.kind) && same_slice(last) => *n += 1,
                _ => out.push((m, 1)),
            }
        }
        *marks = out
            .into_iter()
            .map(|(mut m, n)| {
                if n > 1 {
                    m.label = format!("{} (and {} more like it)", m.label, n - 1);
                }
                m
            })
            .collect();
    }
}
