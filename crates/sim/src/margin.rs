//! Margins: how close a run came to a different verdict.
//!
//! A real run cannot hold the scenario's times exactly: a process starts a little late, a
//! signal lands a few milliseconds after its time, processing takes a little longer than its
//! sleep, the network is not exactly `rtt_ms`. The margin of a scenario is the smallest such
//! shift that changes any payment's verdict. It is found by perturbation: the scenario runs
//! again with one of those times moved by ±Δ, for Δ in [`STEPS_MS`], and the first Δ at which a
//! verdict changes is the margin (with the time that was moved and the payment whose verdict
//! changed). A scenario whose verdicts hold for every shift up to the last step has a margin of
//! at least that much.
//!
//! ```text
//!  Scenario ──knobs()──▶ [consumer start, crash time, restart delay, action time,
//!     │                   payments start, one payment's processing, rtt, fault window]
//!     └── for Δ in 25, 50 … 500 ms, for each knob, ±Δ ──▶ run ──▶ verdicts ≠ base? ──▶ Margin
//! ```
//!
//! Pure and deterministic: every run is a plain simulation run (no wall clock), and the knobs
//! and steps are visited in a fixed order, so the same scenario always gets the same margin.

use std::sync::Arc;

use serde::Serialize;

use crate::outcome::Verdict;
use crate::scenario::{CrashWhen, Fault, Scenario};
use crate::timeline::MAX_STEPS;
use crate::trace::EventKind;
use crate::world::World;

/// The shifts tried, smallest first.
pub const STEPS_MS: [u64; 6] = [25, 50, 100, 200, 300, 500];

/// The round trips a shift of the RTT is spread over (see [`Knob::Rtt`]).
const RTT_ROUND_TRIPS: u64 = 10;

/// A time in a scenario that a real run cannot hold exactly.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Knob {
    /// When the consumer is constructed (`consumers[c].start_ms`; B5: its auto-commit phase).
    ConsumerStart { consumer: String },
    /// A crash point at a time (`consumers[c].crashes[ix].at_ms`).
    CrashAt { consumer: String, crash: usize },
    /// The delay before a crashed consumer is constructed again (`restart_after_ms`).
    RestartAfter { consumer: String, crash: usize },
    /// A user action at a time (`actions[ix].at_ms`).
    ActionAt { action: usize },
    /// When the payments start being produced (`topic.payments.start_ms`).
    PaymentsStart,
    /// How long the first processing attempt at one payment takes (1-based `payment`, `base_ms`
    /// as the scenario has it). A real program's pace drifts a little on every payment (the
    /// sleep wakes late, the ledger write takes time); one attempt taking Δ longer puts the rest
    /// of that consumer's run Δ later, which is the drift accumulated up to that payment. Shifted
    /// through a `slow_payment` fault of one attempt (or that payment's own `slow_payment`).
    Processing { payment: u32, base_ms: u64 },
    /// The round trip of every request (`broker.rtt_ms`). It applies to every request, so a
    /// shift of Δ moves it by Δ/10 (at least 1 ms): the ten or so round trips from `Consumer()`
    /// to the first message (coordinator, join, sync, offsets, fetch) then move by about Δ.
    Rtt,
    /// A fault's time window (`faults[ix]`, both ends).
    FaultWindow { fault: usize },
}

impl std::fmt::Display for Knob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Knob::ConsumerStart { consumer } => write!(f, "{consumer} start_ms"),
            Knob::CrashAt { consumer, crash } => write!(f, "{consumer} crash {} at_ms", crash + 1),
            Knob::RestartAfter { consumer, crash } => {
                write!(f, "{consumer} crash {} restart_after_ms", crash + 1)
            }
            Knob::ActionAt { action } => write!(f, "action {} at_ms", action + 1),
            Knob::PaymentsStart => write!(f, "payments start_ms"),
            Knob::Processing { payment, .. } => {
                write!(f, "processing of {}", crate::log::payment_id(*payment))
            }
            Knob::Rtt => write!(f, "broker rtt_ms (Δ/10 per request)"),
            Knob::FaultWindow { fault } => write!(f, "fault {} window", fault + 1),
        }
    }
}

/// The first shift that changed a verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    pub knob: Knob,
    /// The shift, signed: `-25` moved the time 25 ms earlier.
    pub shift_ms: i64,
    /// The first payment (in payment order) whose verdict changed.
    pub payment: String,
    pub from: Verdict,
    pub to: Verdict,
}

/// How close a scenario is to a different verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Margin {
    /// The smallest shift that changed a verdict; `None` when no shift in [`STEPS_MS`] did.
    pub margin_ms: Option<u64>,
    /// What changed at `margin_ms`.
    pub change: Option<Change>,
    /// The largest shift tried: the margin is at least this when `margin_ms` is `None`.
    pub tried_up_to_ms: u64,
    /// Perturbed runs done.
    pub runs: u32,
}

impl Margin {
    /// `25 ms`, or `≥ 500 ms` when no shift changed a verdict.
    pub fn label(&self) -> String {
        match self.margin_ms {
            Some(ms) => format!("{ms} ms"),
            None => format!("≥ {} ms", self.tried_up_to_ms),
        }
    }

    /// Under `threshold_ms`: a real run may well land on the other side of the edge.
    pub fn is_under(&self, threshold_ms: u64) -> bool {
        self.margin_ms.is_some_and(|m| m < threshold_ms)
    }
}

/// The verdict of every payment at the end of a run of `scenario`, or `None` when the scenario
/// is not valid (a perturbation can push a value out of its range; that shift is not tried).
pub fn verdicts(scenario: &Scenario) -> Option<Vec<Verdict>> {
    scenario.validate().ok()?;
    let mut w = World::new(Arc::new(scenario.clone()));
    while w.steps < MAX_STEPS && w.step() {
        // Events are not needed here; dropping them keeps memory flat.
        w.take_events();
    }
    Some(w.outcomes().into_iter().map(|o| o.outcome).collect())
}

/// Payments whose processing is shifted, at most this many (spread over the run).
const PROCESSING_KNOBS: usize = 32;

/// The payments processed in a run of `sc` (1-based), in the order their first attempts
/// started, with the consumer that made it.
fn processed(sc: &Scenario) -> Vec<(u32, usize)> {
    let mut out: Vec<(u32, usize)> = Vec::new();
    if sc.validate().is_err() {
        return out;
    }
    let mut w = World::new(Arc::new(sc.clone()));
    while w.steps < MAX_STEPS && w.step() {
        for e in w.take_events() {
            if let (EventKind::ProcessingStarted { payment, .. }, Some(c)) = (&e.kind, e.consumer)
                && !out.iter().any(|(p, _)| *p == payment + 1)
            {
                out.push((payment + 1, c as usize));
            }
        }
    }
    out
}

/// Every time of `sc` that a real run cannot hold exactly, in a fixed order.
pub fn knobs(sc: &Scenario) -> Vec<Knob> {
    let processed = processed(sc);
    let mut out = Vec::new();
    for c in &sc.consumers {
        out.push(Knob::ConsumerStart {
            consumer: c.name.clone(),
        });
    }
    for c in &sc.consumers {
        for (ix, cp) in c.crashes.iter().enumerate() {
            if matches!(cp.when(), CrashWhen::At(_)) {
                out.push(Knob::CrashAt {
                    consumer: c.name.clone(),
                    crash: ix,
                });
            }
            if cp.restart_after_ms.is_some() {
                out.push(Knob::RestartAfter {
                    consumer: c.name.clone(),
                    crash: ix,
                });
            }
        }
    }
    for ix in 0..sc.actions.len() {
        out.push(Knob::ActionAt { action: ix });
    }
    if sc.topic.payments.count > 0 {
        out.push(Knob::PaymentsStart);
    }
    // Every processed payment, or PROCESSING_KNOBS of them spread over the run.
    let n = processed.len();
    let picked: Vec<usize> = if n <= PROCESSING_KNOBS {
        (0..n).collect()
    } else {
        (0..PROCESSING_KNOBS)
            .map(|k| k * (n - 1) / (PROCESSING_KNOBS - 1))
            .collect()
    };
    for i in picked {
        let (payment, c) = processed[i];
        // The first attempt's time: its own slow_payment fault, or the consumer's.
        let base_ms = sc
            .faults
            .iter()
            .find_map(|f| match *f {
                Fault::SlowPayment {
                    payment: p,
                    processing_ms,
                    ..
                } if p == payment => Some(processing_ms),
                _ => None,
            })
            .unwrap_or(sc.consumers[c].program.processing_ms);
        out.push(Knob::Processing { payment, base_ms });
    }
    out.push(Knob::Rtt);
    for (ix, f) in sc.faults.iter().enumerate() {
        if matches!(
            f,
            Fault::CommitErrors { .. } | Fault::CoordinatorUnavailable { .. }
        ) {
            out.push(Knob::FaultWindow { fault: ix });
        }
    }
    out
}

/// `value` moved by `shift` ms, or `None` when that would make it negative.
fn shifted(value: u64, shift: i64) -> Option<u64> {
    value.checked_add_signed(shift)
}

/// `sc` with `knob` moved by `shift` ms, or `None` when the shift is impossible (a time before
/// 0, or a knob the scenario does not have).
pub fn perturbed(sc: &Scenario, knob: &Knob, shift: i64) -> Option<Scenario> {
    let mut s = sc.clone();
    let consumer = |s: &mut Scenario, name: &str| s.consumers.iter().position(|c| c.name == name);
    match knob {
        Knob::ConsumerStart { consumer: name } => {
            let c = consumer(&mut s, name)?;
            s.consumers[c].start_ms = shifted(s.consumers[c].start_ms, shift)?;
        }
        Knob::CrashAt {
            consumer: name,
            crash,
        } => {
            let c = consumer(&mut s, name)?;
            let cp = s.consumers[c].crashes.get_mut(*crash)?;
            cp.at_ms = Some(shifted(cp.at_ms?, shift)?);
        }
        Knob::RestartAfter {
            consumer: name,
            crash,
        } => {
            let c = consumer(&mut s, name)?;
            let cp = s.consumers[c].crashes.get_mut(*crash)?;
            cp.restart_after_ms = Some(shifted(cp.restart_after_ms?, shift)?);
        }
        Knob::ActionAt { action } => {
            let a = s.actions.get_mut(*action)?;
            a.at_ms = shifted(a.at_ms, shift)?;
        }
        Knob::PaymentsStart => {
            s.topic.payments.start_ms = shifted(s.topic.payments.start_ms, shift)?;
        }
        Knob::Processing { payment, base_ms } => {
            let ms = shifted(*base_ms, shift)?;
            let own = s.faults.iter_mut().find_map(|f| match f {
                Fault::SlowPayment {
                    payment: p,
                    processing_ms,
                    ..
                } if *p == *payment => Some(processing_ms),
                _ => None,
            });
            match own {
                Some(processing_ms) => *processing_ms = ms,
                None => s.faults.push(Fault::SlowPayment {
                    payment: *payment,
                    processing_ms: ms,
                    times: 1,
                }),
            }
        }
        Knob::Rtt => {
            let per_request = (shift.unsigned_abs() / RTT_ROUND_TRIPS).max(1) as i64;
            s.broker.rtt_ms = shifted(s.broker.rtt_ms, per_request * shift.signum())?;
        }
        Knob::FaultWindow { fault } => match s.faults.get_mut(*fault)? {
            Fault::CommitErrors { from_ms, to_ms, .. }
            | Fault::CoordinatorUnavailable { from_ms, to_ms } => {
                *from_ms = shifted(*from_ms, shift)?;
                *to_ms = shifted(*to_ms, shift)?;
            }
            _ => return None,
        },
    }
    Some(s)
}

/// The margin of `sc` (which must be valid): the smallest shift in [`STEPS_MS`] of one of its
/// [`knobs`] that changes a payment's verdict.
pub fn margin(sc: &Scenario) -> Margin {
    margin_over(sc, &STEPS_MS)
}

/// [`margin`] over the given shifts (ascending).
pub fn margin_over(sc: &Scenario, steps_ms: &[u64]) -> Margin {
    let tried_up_to_ms = steps_ms.last().copied().unwrap_or(0);
    let mut runs = 0;
    let Some(base) = verdicts(sc) else {
        return Margin {
            margin_ms: None,
            change: None,
            tried_up_to_ms: 0,
            runs,
        };
    };
    let knobs = knobs(sc);
    for &step in steps_ms {
        for knob in &knobs {
            for shift in [-(step as i64), step as i64] {
                let Some(variant) = perturbed(sc, knob, shift) else {
                    continue;
                };
                let Some(v) = verdicts(&variant) else {
                    continue;
                };
                runs += 1;
                let changed = base.iter().zip(&v).enumerate().find(|(_, (a, b))| a != b);
                if let Some((i, (from, to))) = changed {
                    return Margin {
                        margin_ms: Some(step),
                        change: Some(Change {
                            knob: knob.clone(),
                            shift_ms: shift,
                            payment: crate::log::payment_id(i as u32 + 1),
                            from: *from,
                            to: *to,
                        }),
                        tried_up_to_ms,
                        runs,
                    };
                }
            }
        }
    }
    Margin {
        margin_ms: None,
        change: None,
        tried_up_to_ms,
        runs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::preset;

    #[test]
    fn sleep7_loses_whatever_the_timing() {
        // F.1: any 7-second window holds a 5-second tick (B5), so no shift changes the loss.
        let m = margin(&preset("step1-autocommit-sleep7").unwrap());
        assert_eq!(m.margin_ms, None, "{m:?}");
        assert_eq!(m.label(), "≥ 500 ms");
        assert!(m.runs > 0);
    }

    #[test]
    fn a_tick_just_inside_the_sleep_is_on_the_edge() {
        // F.1 with S = 2 s: the payment is polled about 16 ms after the consumer starts. A
        // payment produced at 3.0 s is polled just after 3 s; the tick at 5 s then falls inside
        // its 2-second sleep (lost), but only by a hair: it sleeps until about 5.02 s.
        let mut s = preset("step1-autocommit-sleep2").unwrap();
        s.topic.payments.count = 1;
        s.topic.payments.start_ms = 3000;
        let base = verdicts(&s).unwrap();
        assert_eq!(base[0], Verdict::Lost, "the tick falls inside the sleep");
        let m = margin(&s);
        assert_eq!(m.margin_ms, Some(25), "{m:?}");
        let change = m.change.unwrap();
        assert_eq!(
            (change.payment.as_str(), change.from),
            ("P-0001", Verdict::Lost)
        );
    }

    #[test]
    fn the_literal_lab_is_on_the_edge_of_its_first_payment() {
        // C3 + F.1: the join waits 3 s, P-0001 is polled at 3.016 s and its 2-second sleep ends
        // 16 ms after the tick at 5 s. Processing it 25 ms faster moves the tick after it.
        let m = margin(&preset("step1-lab-literal").unwrap());
        assert_eq!(m.margin_ms, Some(25), "{m:?}");
        let change = m.change.unwrap();
        assert_eq!(
            change.knob,
            Knob::Processing {
                payment: 1,
                base_ms: 2000
            }
        );
        assert_eq!(
            (change.shift_ms, change.from, change.to),
            (-25, Verdict::Lost, Verdict::Once)
        );
    }

    #[test]
    fn knobs_cover_the_times_of_the_scenario() {
        let s = preset("refunds-scale-out").unwrap();
        let k = knobs(&s);
        assert!(k.contains(&Knob::ConsumerStart {
            consumer: "consumer-2".into()
        }));
        assert!(k.contains(&Knob::CrashAt {
            consumer: "consumer-2".into(),
            crash: 0
        }));
        assert!(k.contains(&Knob::PaymentsStart) && k.contains(&Knob::Rtt));
        // 120 payments: 32 of them, spread over the run, the first one included.
        let processing = k
            .iter()
            .filter(|k| matches!(k, Knob::Processing { .. }))
            .count();
        assert_eq!(processing, PROCESSING_KNOBS);
        let s = preset("exp2-async-retry").unwrap();
        assert!(knobs(&s).contains(&Knob::FaultWindow { fault: 0 }));
    }

    #[test]
    fn a_shift_before_time_zero_is_not_tried() {
        let s = preset("step1-autocommit-sleep7").unwrap();
        let knob = Knob::ConsumerStart {
            consumer: "consumer-1".into(),
        };
        assert!(perturbed(&s, &knob, -25).is_none());
        assert_eq!(perturbed(&s, &knob, 25).unwrap().consumers[0].start_ms, 25);
    }

    #[test]
    fn the_margin_is_deterministic() {
        let s = preset("step1-phase-explorer").unwrap();
        assert_eq!(margin(&s), margin(&s));
    }
}
