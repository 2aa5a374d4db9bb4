//! Mistakes that run silently: a scenario can be valid and still not do what its author meant —
//! a crash point that never fires, an action for a consumer that is not running, a program that
//! can never commit, payments produced after the run ends. The core runs the scenario and says
//! so, field by field, as validation does for errors.

use serde::Serialize;

use crate::log::payment_id;
use crate::scenario::{
    ActionKind, BatchStep, CrashWhen, FailureAction, MessageStep, Scenario, SinkKind,
};
use crate::timeline::Timeline;
use crate::trace::{EventKind, fmt_ms};

/// A mistake that does not stop the scenario from running.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// The field, as validation errors name it.
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

fn warn(path: String, message: String) -> Warning {
    Warning { path, message }
}

/// The warnings of a scenario and its run.
pub fn warnings(tl: &Timeline) -> Vec<Warning> {
    let sc = &tl.scenario;
    let mut out = Vec::new();
    for (c, spec) in sc.consumers.iter().enumerate() {
        let path = format!("consumers[{c}]");
        let con = &tl.final_world.consumers[c];
        for (ix, cp) in spec.crashes.iter().enumerate() {
            let cpath = format!("{path}.crashes[{ix}]");
            match cp.when() {
                CrashWhen::Point(_, k) if !con.crash_fired[ix] => out.push(warn(
                    cpath,
                    format!(
                        "never fires: {} is handed {} message(s) in this run, and this crash point waits for message {k}",
                        spec.name, con.messages_seen
                    ),
                )),
                CrashWhen::At(t) if t >= tl.end_ms() => out.push(warn(
                    cpath,
                    format!("never fires: at {} the run is over (duration_ms {})", fmt_ms(t), sc.duration_ms),
                )),
                CrashWhen::At(t) if !crashed_at(tl, c, t) => out.push(warn(
                    cpath,
                    format!("does nothing: {} is not running at {}", spec.name, fmt_ms(t)),
                )),
                _ => {}
            }
        }
        out.extend(commit_warnings(sc, c, &path));
        out.extend(batch_failure_warnings(sc, c, &path));
    }
    for (ix, a) in sc.actions.iter().enumerate() {
        let path = format!("actions[{ix}]");
        let Some(c) = sc.consumer_index(&a.consumer) else {
            out.push(warn(
                format!("{path}.consumer"),
                format!("no consumer is named \"{}\"", a.consumer),
            ));
            continue;
        };
        let did = |pred: &dyn Fn(&EventKind) -> bool| {
            tl.events
                .iter()
                .any(|e| e.at_ms == a.at_ms && e.consumer == Some(c as u8) && pred(&e.kind))
        };
        match a.act {
            ActionKind::Crash { .. } if !did(&|k| matches!(k, EventKind::Crashed { .. })) => out
                .push(warn(
                    path,
                    format!(
                        "does nothing: {} is not running at {}",
                        a.consumer,
                        fmt_ms(a.at_ms)
                    ),
                )),
            ActionKind::Restart if !did(&|k| matches!(k, EventKind::Constructed { .. })) => out
                .push(warn(
                    path,
                    format!(
                        "does nothing: {} is already running at {}",
                        a.consumer,
                        fmt_ms(a.at_ms)
                    ),
                )),
            _ if a.at_ms >= sc.duration_ms => out.push(warn(
                path,
                format!("never happens: the run ends at {}", fmt_ms(sc.duration_ms)),
            )),
            _ => {}
        }
    }
    let p = &sc.topic.payments;
    if p.count > 0 {
        let last = p.start_ms + p.interval_ms * (p.count as u64 - 1);
        if last >= sc.duration_ms {
            // The first produced at or after the end.
            let first_late = match p.interval_ms {
                0 => 0,
                i => sc.duration_ms.saturating_sub(p.start_ms).div_ceil(i),
            }
            .min(p.count as u64 - 1);
            out.push(warn(
                "topic.payments".into(),
                format!(
                    "payments from {} on are produced after the run ends at {}: they stay pending",
                    payment_id(first_late as u32 + 1),
                    fmt_ms(sc.duration_ms)
                ),
            ));
        }
    }
    out
}

fn crashed_at(tl: &Timeline, c: usize, t: u64) -> bool {
    tl.events.iter().any(|e| {
        e.at_ms == t && e.consumer == Some(c as u8) && matches!(e.kind, EventKind::Crashed { .. })
    })
}

/// A batch handler (`on_batch_failure`) that never runs, or that reads an invalid payment again
/// for ever.
fn batch_failure_warnings(sc: &Scenario, c: usize, path: &str) -> Vec<Warning> {
    let p = &sc.consumers[c].program;
    if p.on_batch_failure.is_stop() {
        return Vec::new();
    }
    let path = format!("{path}.program.on_batch_failure");
    let mode = p.on_batch_failure.name();
    if p.on_invalid != FailureAction::Stop && p.retry.on_exhausted != FailureAction::Stop {
        return vec![warn(
            path,
            format!(
                "{mode} never runs: every failed payment is skipped or dead-lettered before it leaves the loop (on_invalid, retry.on_exhausted)"
            ),
        )];
    }
    match sc.topic.payments.invalid.first() {
        Some(&n) if p.on_invalid == FailureAction::Stop => vec![warn(
            path,
            format!(
                "{} is invalid and on_invalid is \"stop\": {mode} reads it again after every failure and never gets past it, so its partition stalls; dead-letter invalid payments instead",
                payment_id(n)
            ),
        )],
        _ => Vec::new(),
    }
}

/// A program whose commits can never happen (B3, B4).
fn commit_warnings(sc: &Scenario, c: usize, path: &str) -> Vec<Warning> {
    let spec = &sc.consumers[c];
    let (cfg, p) = (&spec.config, &spec.program);
    let stores = p.per_message.contains(&MessageStep::StoreOffsets);
    let store_less = !cfg.enable_auto_offset_store && !stores;
    let explicit = p
        .per_message
        .iter()
        .any(|m| matches!(m, MessageStep::Commit { message: true, .. }));
    let offset_less = p
        .per_message
        .iter()
        .any(|m| matches!(m, MessageStep::Commit { message: false, .. }))
        || p.before
            .iter()
            .chain(&p.after)
            .any(|b| matches!(b, BatchStep::Commit { .. }));
    let own_offsets = matches!(sc.sink.kind, SinkKind::Database | SinkKind::Transactional);
    let mut out = Vec::new();
    let java = !crate::client::ClientPolicy::new(sc.client).has_offset_store();
    if !cfg.enable_auto_commit && !explicit && !offset_less && !p.on_revoke_commit && !own_offsets {
        out.push(warn(
            format!("{path}.program"),
            format!(
                "nothing ever commits {}'s offsets: after a restart or a rebalance its partitions start over from auto.offset.reset",
                spec.name
            ),
        ));
    }
    if java {
        return out;
    }
    if cfg.enable_auto_commit && store_less {
        out.push(warn(
            format!("{path}.config.enable.auto.offset.store"),
            "false, and the program never calls store_offsets: auto-commit has nothing to commit (B3, B4)".into(),
        ));
    }
    if offset_less && store_less && !explicit {
        out.push(warn(
            format!("{path}.program"),
            "commit() without a message commits the stored offsets, and nothing is ever stored: every such commit fails with _NO_OFFSET (B4, B6)".into(),
        ));
    }
    out
}
