//! "Prove it" as the page draws it: the verdict of a proof (`offset_lab_sim::sweep::prove`) of
//! one consumer's program — every single crash, rebalance and stall the core can place — and
//! its counterexamples, worst first, grouped by what they do to the payments, each with a
//! plain sentence and the run to open. With a challenge (`offset_lab_sim::challenge`), whether
//! the program meets its goal.

use serde::{Deserialize, Serialize};

use offset_lab_sim::challenge::{Challenge, ChallengeResult};
use offset_lab_sim::log::payment_id;
use offset_lab_sim::scenario::{CrashKind, ProgramPoint};
use offset_lab_sim::sweep::prove::{Disturbance, ProofReport, ProofRun};

/// Counterexamples listed per group (the others are counted).
pub const SHOWN_PER_GROUP: usize = 4;
/// Groups listed (the others are counted).
pub const GROUPS_MAX: usize = 8;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProveVm {
    /// The consumer whose program was proved, and its name.
    pub consumer: usize,
    pub consumer_name: String,
    /// No explored run loses a payment.
    pub safe: bool,
    /// The verdict in one sentence: “No crash loses a payment: 96 runs, 1 duplicate at most.”
    pub verdict: String,
    /// The core's account of the scope: what was explored and what it showed.
    pub scope: String,
    pub groups: Vec<Group>,
    /// Groups left out of `groups`.
    pub groups_left_out: usize,
    pub challenge: Option<ChallengeVerdict>,
    /// The program on screen is no longer the one proved (it was edited since).
    pub stale: bool,
    /// The counterexample run on screen, if one is.
    pub open: Option<usize>,
}

/// Runs that do the same to the payments.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// `loss`, `stall`, `dropped`, `duplicate`: how bad (the page colours it).
    pub kind: String,
    /// “P-0001 is lost (A1, B5)”.
    pub title: String,
    /// How many runs do it.
    pub runs: usize,
    pub examples: Vec<Counterexample>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counterexample {
    /// The run's index in the proof (to open it).
    pub run: usize,
    /// “The process is killed right after poll() returns message 1: P-0001 is lost.”
    pub sentence: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeVerdict {
    pub id: String,
    pub title: String,
    pub goal: String,
    pub met: bool,
    pub reason: String,
    /// A run that breaks the goal.
    pub run: Option<usize>,
}

/// How the disturbance happens, in a sentence's words.
pub fn disturbance_sentence(d: &Disturbance) -> String {
    let who = |k: &CrashKind| match k {
        CrashKind::Kill => "the process is killed",
        CrashKind::SysExit => "the program calls sys.exit()",
        CrashKind::Close => "the program exits through close()",
    };
    let at = |p: &ProgramPoint, m: u32| match p {
        ProgramPoint::AfterPoll => format!("right after poll() returns message {m}"),
        ProgramPoint::DuringProcessing => format!("while message {m} is being processed"),
        ProgramPoint::AfterEffect => format!("after message {m}'s effect is recorded"),
        ProgramPoint::CommitInFlight => format!("while the commit after message {m} is in flight"),
        ProgramPoint::AfterCommit => format!("right after the commit of message {m}"),
    };
    let text = match d {
        Disturbance::Crash {
            point,
            message,
            kind,
        } => format!("{} {}", who(kind), at(point, *message)),
        Disturbance::CrashAt { at_ms, kind } => {
            format!("{} at {}", who(kind), crate::view::clock(*at_ms))
        }
        Disturbance::Joiner { point, message } => format!(
            "a second consumer joins (a rebalance) {}",
            at(point, *message)
        ),
        Disturbance::Stall { message } => {
            format!("message {message} takes longer than max.poll.interval.ms (B14)")
        }
    };
    capitalized(&text)
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// `P-0001`, `P-0001 and P-0002`, `P-0001, P-0002, P-0003, P-0004 and 3 more` (0-based
/// indices).
pub fn payments(list: &[u32]) -> String {
    let names: Vec<String> = list.iter().take(4).map(|p| payment_id(p + 1)).collect();
    match (names.len(), list.len()) {
        (0, _) => "no payment".into(),
        (1, 1) => names[0].clone(),
        (k, n) if n > k => format!("{} and {} more", names.join(", "), n - k),
        _ => {
            let (last, rest) = names.split_last().expect("two or more");
            format!("{} and {last}", rest.join(", "))
        }
    }
}

fn is_are(list: &[u32]) -> String {
    format!(
        "{} {}",
        payments(list),
        if list.len() == 1 { "is" } else { "are" }
    )
}

/// What a run did to the payments, worst first: (kind, rank, what, group title).
fn consequence(r: &ProofRun, invalid: &[u32]) -> Option<(&'static str, u8, String, String)> {
    if !r.lost.is_empty() {
        let what = format!("{} lost", is_are(&r.lost));
        // The committed offset passed payments never recorded (A1, A3).
        return Some(("loss", 0, what.clone(), format!("{what} (A1, A3)")));
    }
    if !r.stalled.is_empty() {
        let what = format!("{} never processed", is_are(&r.stalled));
        return Some((
            "stall",
            1,
            what.clone(),
            format!("{what}: the partition is stuck behind them"),
        ));
    }
    let dropped: Vec<u32> = r
        .skipped
        .iter()
        .copied()
        .filter(|p| invalid.contains(p))
        .collect();
    if !dropped.is_empty() {
        let what = format!("{} silently skipped", is_are(&dropped));
        return Some(("dropped", 2, what.clone(), what));
    }
    if !r.duplicated.is_empty() {
        let what = format!("{} applied twice", is_are(&r.duplicated));
        // Redelivered from the last committed offset (A1, A3: at-least-once).
        return Some(("duplicate", 3, what.clone(), format!("{what} (A3)")));
    }
    None
}

/// The view of `report`, a proof of consumer `consumer` (`name`) of a scenario whose invalid
/// payments are `invalid` (1-based, as the scenario lists them), and of a challenge's verdict.
pub fn prove_vm(
    report: &ProofReport,
    consumer: usize,
    name: &str,
    invalid: &[u32],
    challenge: Option<(&Challenge, &ChallengeResult)>,
) -> ProveVm {
    let invalid: Vec<u32> = invalid.iter().map(|k| k.saturating_sub(1)).collect();
    let mut groups: Vec<(u8, String, Group)> = Vec::new();
    for r in report.runs.iter().filter(|r| r.invalid.is_none()) {
        let Some((kind, rank, what, title)) = consequence(r, &invalid) else {
            continue;
        };
        let example = Counterexample {
            run: r.index,
            sentence: format!("{}: {what}.", disturbance_sentence(&r.disturbance)),
        };
        match groups.iter_mut().find(|(_, t, _)| *t == title) {
            Some((_, _, g)) => {
                g.runs += 1;
                if g.examples.len() < SHOWN_PER_GROUP {
                    g.examples.push(example);
                }
            }
            None => groups.push((
                rank,
                title.clone(),
                Group {
                    kind: kind.to_string(),
                    title,
                    runs: 1,
                    examples: vec![example],
                },
            )),
        }
    }
    // Worst first: the kind of harm, then how many runs do it.
    groups.sort_by(|a, b| a.0.cmp(&b.0).then(b.2.runs.cmp(&a.2.runs)));
    let left_out = groups.len().saturating_sub(GROUPS_MAX);
    let groups: Vec<Group> = groups.into_iter().take(GROUPS_MAX).map(|g| g.2).collect();
    let n = report.explored;
    let max_dup = report
        .runs
        .iter()
        .map(|r| r.duplicated.len())
        .max()
        .unwrap_or(0);
    let safe = report.losing == 0 && n > 0;
    let verdict = if n == 0 {
        "Nothing was explored: the program does not run.".to_string()
    } else if safe {
        let dup = match max_dup {
            0 => "none applied twice".to_string(),
            1 => "1 duplicate at most".to_string(),
            d => format!("{d} duplicates at most"),
        };
        match report.stalling {
            0 => format!("No crash loses a payment: {n} runs, {dup}."),
            k => format!(
                "No crash loses a payment ({n} runs, {dup}), but in {k} of them payments are never processed."
            ),
        }
    } else {
        format!(
            "A crash can lose payments: {} of {n} runs lose {}.",
            report.losing,
            payments(&report.lost_payments)
        )
    };
    ProveVm {
        consumer,
        consumer_name: name.to_string(),
        safe,
        verdict,
        scope: report.text(),
        groups,
        groups_left_out: left_out,
        challenge: challenge.map(|(c, r)| ChallengeVerdict {
            id: c.id.to_string(),
            title: c.title.to_string(),
            goal: c.goal_text.to_string(),
            met: r.met,
            reason: r.reason.clone(),
            run: r.run,
        }),
        stale: false,
        open: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use offset_lab_sim::sweep::prove::Proof;

    #[test]
    fn a_program_that_stops_on_invalid_data_loses_nothing_and_the_verdict_says_it_stalls() {
        let sc = offset_lab_sim::preset("step4-invalid-stop").unwrap();
        let report = Proof::new(&sc, 0).unwrap().run();
        let vm = prove_vm(&report, 0, "consumer-1", &sc.topic.payments.invalid, None);
        assert!(vm.safe);
        assert!(vm.verdict.contains("never processed"), "{}", vm.verdict);
        assert_eq!(vm.groups[0].kind, "stall");
        assert!(vm.groups[0].runs >= vm.groups[0].examples.len());
        assert_eq!(
            payments(&[0, 1, 2, 3, 4]),
            "P-0001, P-0002, P-0003, P-0004 and 1 more"
        );
    }
}
