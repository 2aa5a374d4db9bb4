//! `offset-lab plan`: what a real run of a scenario must do, and what the simulator expects of
//! it, as JSON for the verifier (`cargo xtask verify`, `verify/driver.py`).
//!
//! ```text
//!  Scenario ──run──▶ trace ──▶ consumers[].runs   when each process starts and how it ends
//!     │                  └──▶ signals[]         ends at a time the driver must deliver
//!     │                  └──▶ payments[]        key, partition, offset, produce time, sim verdict
//!     ├──margin()──▶ how close the run came to another verdict (offset_lab_sim::margin)
//!     └──can_run()──▶ listed (with the reason) when this stack cannot repeat it
//! ```
//!
//! The plan never changes a verdict: a fault the mock cluster cannot produce makes the scenario
//! unrunnable, except `commit_latency` when the simulation gives every payment the same
//! verdict without it (then the plan says so, and the real run goes without the fault).

use offset_lab_sim::margin::{self, Margin};
use offset_lab_sim::render;
use offset_lab_sim::scenario::{
    ActionKind, ClientModel, CrashKind, CrashWhen, Fault, RetriableError, Scenario, SinkKind,
};
use offset_lab_sim::trace::{EventKind, TraceEvent};
use offset_lab_sim::{Ms, Timeline, Verdict};
use serde_json::{Value, json};

/// After the last thing the simulation says happens, a real run waits this long for anything
/// else before it stops (the driver may wait longer when the real run is behind).
pub const SETTLE_MS: Ms = 5000;

/// Seeds tried when the script's own randomness (processing jitter, transient failures) must
/// not decide a verdict.
const SEEDS: u64 = 8;

/// The plan as JSON.
pub fn plan(original: &Scenario) -> Result<Value, String> {
    let (scenario, adjustments, listed) = runnable_form(original);
    let tl = Timeline::new(scenario.clone()).map_err(|e| e.to_string())?;
    let report = tl.report();
    let margin = margin::margin(&scenario);
    let quiet = quiet_ms(&tl.events);
    let payments: Vec<Value> = tl
        .final_world
        .log
        .payments
        .iter()
        .zip(&report.payments)
        .map(|(p, o)| {
            json!({
                "number": p.number,
                "id": p.id(),
                "key": p.key,
                "partition": p.partition,
                "offset": p.offset,
                "produce_ms": p.produced_at_ms,
                "invalid": p.invalid,
                "sim": { "verdict": o.outcome, "applied": o.applied, "deliveries": o.deliveries },
            })
        })
        .collect();
    let consumers: Vec<Value> = (0..scenario.consumers.len())
        .map(|c| consumer_runs(&scenario, &tl.events, c))
        .collect();
    let faults = broker_faults(&scenario, &tl.events);
    let mut adjustments = adjustments;
    for f in &faults {
        if let Some(seq) = f["sequence"].as_array() {
            let numbers: Vec<String> = seq.iter().map(|n| format!("#{n}")).collect();
            adjustments.push(format!(
                "commit_errors by commit order: OffsetCommit request {} fails with {}, as in the simulation (a time window would catch another commit: the real loop is a little slower per payment)",
                numbers.join(", "),
                f["error"].as_str().unwrap_or("?")
            ));
        }
    }
    let mut topics =
        vec![json!({ "name": scenario.topic.name, "partitions": scenario.topic.partitions })];
    if matches!(
        scenario.sink.kind,
        SinkKind::RefundsTopic | SinkKind::Transactional
    ) {
        topics.push(json!({ "name": "refunds", "partitions": 1 }));
    }
    if dead_letters(&scenario) {
        topics.push(json!({ "name": format!("{}-dlq", scenario.topic.name), "partitions": 1 }));
    }
    Ok(json!({
        "scenario": scenario.name,
        "title": scenario.title,
        "client": scenario.client,
        "listed": listed,
        "adjustments": adjustments,
        "duration_ms": scenario.duration_ms,
        "quiet_ms": quiet,
        "stop_ms": (quiet + SETTLE_MS).min(scenario.duration_ms),
        "margin": margin_json(&margin),
        "group_id": scenario.consumers.first().map(|c| c.config.group_id.clone()),
        "topic": { "name": scenario.topic.name, "partitions": scenario.topic.partitions },
        "topics": topics,
        "dead_letter_topic": dead_letters(&scenario).then(|| format!("{}-dlq", scenario.topic.name)),
        "keyed": scenario.topic.payments.keyed,
        "partitioner": scenario.partitioner().name(),
        "broker": {
            "group_initial_rebalance_delay_ms": scenario.broker.group_initial_rebalance_delay_ms,
            "rtt_ms": scenario.broker.rtt_ms,
        },
        "sink": { "kind": scenario.sink.kind, "read_committed": scenario.sink.read_committed },
        "faults": faults,
        "payments": payments,
        "consumers": consumers,
        "signals": signals(&scenario, &tl.events),
        "summary": report.summary,
        "committed": report.committed,
    }))
}

fn margin_json(m: &Margin) -> Value {
    json!({
        "ms": m.margin_ms,
        "label": m.label(),
        "tried_up_to_ms": m.tried_up_to_ms,
        "runs": m.runs,
        "change": m.change.as_ref().map(|c| json!({
            "knob": c.knob.to_string(),
            "shift_ms": c.shift_ms,
            "payment": c.payment,
            "from": c.from,
            "to": c.to,
        })),
    })
}

fn dead_letters(sc: &Scenario) -> bool {
    sc.consumers.iter().any(|c| {
        use offset_lab_sim::scenario::FailureAction::DeadLetter;
        c.program.on_invalid == DeadLetter || c.program.retry.on_exhausted == DeadLetter
    })
}

/// The scenario as the real run repeats it, what was left out on the way (each with its
/// reason), and why it cannot run at all (`None` when it can).
pub fn runnable_form(sc: &Scenario) -> (Scenario, Vec<String>, Option<String>) {
    let mut s = sc.clone();
    let mut adjustments = Vec::new();
    if sc.client == ClientModel::Java {
        return (
            s,
            adjustments,
            Some("Java client model (rules D*): no Maven registry is reachable here, so the Java client cannot run; the exported script is librdkafka".into()),
        );
    }
    if sc
        .actions
        .iter()
        .any(|a| matches!(a.act, ActionKind::SetProcessingMs { .. }))
    {
        return (
            s,
            adjustments,
            Some("an action changes the processing time at a time: the exported script has no way to take that change".into()),
        );
    }
    if sc
        .faults
        .iter()
        .any(|f| matches!(f, Fault::CoordinatorUnavailable { .. }))
    {
        return (
            s,
            adjustments,
            Some("coordinator_unavailable: the mock cluster can answer COORDINATOR_NOT_AVAILABLE only to a number of requests of each kind, and its sessions keep expiring meanwhile (the simulated coordinator keeps them)".into()),
        );
    }
    if sc
        .faults
        .iter()
        .any(|f| matches!(f, Fault::CommitLatency { .. }))
    {
        let mut without = sc.clone();
        without
            .faults
            .retain(|f| !matches!(f, Fault::CommitLatency { .. }));
        if margin::verdicts(sc) != margin::verdicts(&without) {
            return (
                s,
                adjustments,
                Some("commit_latency decides a verdict, and the mock cluster cannot delay a commit on its way to the broker (rd_kafka_mock_broker_set_rtt delays responses only)".into()),
            );
        }
        s = without;
        adjustments.push("without commit_latency: the mock cluster cannot delay a commit on its way to the broker (its RTT delays responses only); the simulation gives every payment the same verdict without it".into());
    }
    let random_processing = sc
        .consumers
        .iter()
        .any(|c| c.program.processing_jitter_ms > 0)
        || sc
            .faults
            .iter()
            .any(|f| matches!(f, Fault::TransientFailures { .. }));
    if random_processing {
        // The script draws its jitter and failures from Python's random, not from the
        // simulation's seeded stream: fine only when no draw decides a verdict.
        let base = margin::verdicts(&s);
        let same = (0..SEEDS).all(|k| {
            let mut v = s.clone();
            v.seed = s.seed.wrapping_add(k + 1);
            margin::verdicts(&v) == base
        });
        if !same {
            return (
                s,
                adjustments,
                Some("the verdicts depend on random processing jitter or transient failures, which the script draws from Python's random, not from the simulation's seeded stream".into()),
            );
        }
        adjustments.push(format!(
            "random processing jitter or transient failures: the script draws its own; the simulation gives the same verdicts for {SEEDS} other seeds"
        ));
    }
    (s, adjustments, None)
}

/// When the last event that matters happens: an effect, a commit, a crash, a rebalance… —
/// anything but empty polls, heartbeats, auto-commit ticks with nothing to commit, commit
/// callbacks and the end of the run.
pub fn quiet_ms(events: &[TraceEvent]) -> Ms {
    events
        .iter()
        .filter(|e| {
            !matches!(
                e.kind,
                EventKind::PollEmpty
                    | EventKind::Heartbeat { .. }
                    | EventKind::AutoCommitTick { .. }
                    | EventKind::CommitRefused { .. }
                    | EventKind::CommitCallback { .. }
                    | EventKind::RunEnded
            )
        })
        .map(|e| e.at_ms)
        .max()
        .unwrap_or(0)
}

/// The broker faults the driver injects into the mock cluster: commit errors.
///
/// A window of time is on an edge whenever a commit arrives close to its ends, and a real loop
/// runs a little slower than the simulated one (a millisecond or two per payment for printing
/// and writing files), so by the hundredth payment a time window hits another commit. With one
/// consumer, the commit requests reach the broker in one order (A5), so the plan names the
/// failing ones by their place in that order (`sequence`, 1-based, retries included) and the
/// driver fails exactly those. With several consumers it falls back to the window: from its
/// start, the next `count` commits fail (the number the simulation saw rejected in it).
fn broker_faults(sc: &Scenario, events: &[TraceEvent]) -> Vec<Value> {
    // The place of each rejected commit request among all commit requests, in sending order.
    let mut sent: Vec<(u32, usize)> = Vec::new(); // (commit id, request number), in flight
    let mut n = 0;
    let mut rejected: Vec<(Ms, usize, &'static str)> = Vec::new();
    for e in events {
        match &e.kind {
            EventKind::CommitSent { id, .. } => {
                n += 1;
                sent.push((*id, n));
            }
            EventKind::CommitApplied { id, .. } | EventKind::CommitRejected { id, .. } => {
                if let Some(pos) = sent.iter().position(|(i, _)| i == id) {
                    let (_, number) = sent.remove(pos);
                    if let EventKind::CommitRejected { error, .. } = &e.kind {
                        rejected.push((e.at_ms, number, error.name()));
                    }
                }
            }
            _ => {}
        }
    }
    let by_sequence = sc.consumers.len() == 1;
    sc.faults
        .iter()
        .filter_map(|f| match *f {
            Fault::CommitErrors {
                from_ms,
                to_ms,
                error,
            } => {
                let (name, code) = match error {
                    RetriableError::RequestTimedOut => ("REQUEST_TIMED_OUT", 7),
                    RetriableError::CoordinatorLoadInProgress => {
                        ("COORDINATOR_LOAD_IN_PROGRESS", 14)
                    }
                    RetriableError::CoordinatorNotAvailable => ("COORDINATOR_NOT_AVAILABLE", 15),
                    RetriableError::NotCoordinator => ("NOT_COORDINATOR", 16),
                };
                let numbers: Vec<usize> = rejected
                    .iter()
                    .filter(|(at, _, err)| (from_ms..to_ms).contains(at) && *err == name)
                    .map(|(_, number, _)| *number)
                    .collect();
                Some(json!({
                    "kind": "commit_errors",
                    "from_ms": from_ms,
                    "to_ms": to_ms,
                    "error": name,
                    "code": code,
                    "count": numbers.len(),
                    "sequence": by_sequence.then_some(numbers),
                }))
            }
            _ => None,
        })
        .collect()
}

/// The processes of consumer `c`: when each starts (`start.at_ms`: at that scenario time;
/// `start.after_exit_ms`: that long after the previous one ended) and how it ends.
fn consumer_runs(sc: &Scenario, events: &[TraceEvent], c: usize) -> Value {
    let spec = &sc.consumers[c];
    let mut runs: Vec<Value> = Vec::new();
    let mut exit: Option<(Ms, Option<Ms>)> = None; // (ended at, restart at)
    let mut used_crashes = vec![false; spec.crashes.len()];
    let mut used_actions = vec![false; sc.actions.len()];
    for e in events.iter().filter(|e| e.consumer == Some(c as u8)) {
        match &e.kind {
            EventKind::Constructed { .. } => {
                let start = match exit.take() {
                    Some((ended, Some(restart))) if restart == e.at_ms => {
                        json!({ "after_exit_ms": restart - ended })
                    }
                    _ => json!({ "at_ms": e.at_ms }),
                };
                runs.push(json!({ "run": runs.len() + 1, "start": start, "end": null }));
            }
            EventKind::Crashed { kind, .. } => {
                let end = crash_end(sc, c, e.at_ms, *kind, &mut used_crashes, &mut used_actions);
                if let Some(r) = runs.last_mut() {
                    r["end"] = end;
                }
            }
            EventKind::ProgramStopped { payment } => {
                if let Some(r) = runs.last_mut() {
                    r["end"] = json!({ "at_ms": e.at_ms, "by": "exception", "payment": offset_lab_sim::log::payment_id(payment + 1) });
                }
            }
            EventKind::RestartScheduled { at_ms } => exit = Some((e.at_ms, Some(*at_ms))),
            _ => {}
        }
    }
    json!({
        "name": spec.name,
        "index": c,
        "script": format!("{}.py", file_stem(&spec.name)),
        "runs": runs,
    })
}

/// What ended a process at `at`: a crash at a time, a crash action, or a crash point (the
/// first unused one of that kind; the script prints which one fired).
fn crash_end(
    sc: &Scenario,
    c: usize,
    at: Ms,
    kind: CrashKind,
    used_crashes: &mut [bool],
    used_actions: &mut [bool],
) -> Value {
    let spec = &sc.consumers[c];
    let timed = spec.crashes.iter().enumerate().position(|(ix, cp)| {
        !used_crashes[ix] && cp.kind == kind && cp.when() == CrashWhen::At(at)
    });
    if let Some(ix) = timed {
        used_crashes[ix] = true;
        return json!({ "at_ms": at, "by": "time", "kind": kind, "crash": ix });
    }
    let action = sc.actions.iter().enumerate().position(|(ix, a)| {
        !used_actions[ix]
            && a.at_ms == at
            && a.consumer == spec.name
            && matches!(a.act, ActionKind::Crash { kind: k } if k == kind)
    });
    if let Some(ix) = action {
        used_actions[ix] = true;
        return json!({ "at_ms": at, "by": "action", "kind": kind, "action": ix });
    }
    let point = spec.crashes.iter().enumerate().position(|(ix, cp)| {
        !used_crashes[ix] && cp.kind == kind && matches!(cp.when(), CrashWhen::Point(..))
    });
    if let Some(ix) = point {
        used_crashes[ix] = true;
    }
    json!({ "at_ms": at, "by": "point", "kind": kind, "crash": point })
}

/// Ends at a time that the driver delivers as a signal: SIGKILL for `kill`, SIGINT for
/// `sys_exit` (KeyboardInterrupt unwinds like `sys.exit`, B13), and for `close` SIGINT when the
/// loop sits in `try/finally: close()`, otherwise SIGTERM (the script's handler closes).
fn signals(sc: &Scenario, events: &[TraceEvent]) -> Vec<Value> {
    let mut out = Vec::new();
    for c in 0..sc.consumers.len() {
        let runs = consumer_runs(sc, events, c);
        for run in runs["runs"].as_array().into_iter().flatten() {
            let end = &run["end"];
            if !matches!(end["by"].as_str(), Some("time" | "action")) {
                continue;
            }
            let finally = sc.consumers[c].program.close_in_finally;
            let signal = match end["kind"].as_str() {
                Some("kill") => "SIGKILL",
                Some("close") if !finally => "SIGTERM",
                _ => "SIGINT",
            };
            out.push(json!({
                "at_ms": end["at_ms"],
                "consumer": sc.consumers[c].name,
                "run": run["run"],
                "kind": end["kind"],
                "signal": signal,
            }));
        }
    }
    out.sort_by_key(|s| s["at_ms"].as_u64());
    out
}

/// The script's file name for a consumer: its name with anything but letters, digits, `-`
/// and `_` replaced.
pub fn file_stem(name: &str) -> String {
    name.chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() || ch == '-' || ch == '_' {
                ch
            } else {
                '_'
            }
        })
        .collect()
}

/// The exported script of the consumer named `name`.
pub fn script(sc: &Scenario, name: &str) -> Result<String, String> {
    let ix = sc.consumer_index(name).ok_or_else(|| {
        let names: Vec<&str> = sc.consumers.iter().map(|c| c.name.as_str()).collect();
        format!(
            "no consumer is named \"{name}\"; the scenario has {}",
            names.join(", ")
        )
    })?;
    Ok(render::python_script(sc, ix))
}

/// The phase explorer's claim at slices away from its edges: `base` with the first payment
/// produced a third and two thirds of the way into each stretch of the auto-commit cycle that
/// gives one verdict (sweep/phase.rs, B5, F.1), as scenarios named after their phase.
pub fn phase_slices(base: &Scenario, step_ms: u64) -> Vec<(Scenario, Verdict, Ms)> {
    let points = offset_lab_sim::sweep::phase::phase_sweep(base, step_ms);
    if points.is_empty() {
        return vec![];
    }
    // Stretches of equal verdicts, in sweep order (the sweep covers one interval).
    let mut stretches: Vec<(usize, usize)> = Vec::new();
    for (i, p) in points.iter().enumerate() {
        match stretches.last_mut() {
            Some((_, end)) if points[*end].verdict == p.verdict => *end = i,
            _ => stretches.push((i, i)),
        }
    }
    // The cycle wraps: the last stretch continues the first one when their verdicts agree.
    if stretches.len() > 1 {
        let (first, last) = (stretches[0], *stretches.last().unwrap());
        if points[first.0].verdict == points[last.0].verdict {
            stretches.pop();
            stretches[0] = (last.0, first.1 + points.len());
        }
    }
    // Two slices per stretch, a third of the way in from each end.
    let mut slices: Vec<usize> = Vec::new();
    for (start, end) in stretches {
        for k in [1, 2] {
            let at = (start + (end - start) * k / 3) % points.len();
            if !slices.contains(&at) {
                slices.push(at);
            }
        }
    }
    slices
        .into_iter()
        .map(|at| {
            let p = &points[at];
            let mut s = base.clone();
            s.topic.payments.start_ms = p.produced_ms;
            let phase = p.phase_ms.unwrap_or(0);
            s.name = format!("{}-phase-{}ms", base.name, phase);
            (s, p.verdict, phase)
        })
        .collect()
}
