//! Challenges: "build a consumer and prove it". A lab step becomes a goal stated in one
//! sentence and a naive program to start from; the student changes the program (settings,
//! commits, failure handling, the sink), and "prove it" ([`crate::sweep::prove`]) decides,
//! over every single disturbance it explores, whether the goal is met — and if not, names a run
//! that breaks it, to open.
//!
//! ```text
//!  Challenge::start() ──the student edits──▶ Scenario ──Proof::new(…, 0)──▶ ProofReport
//!                                                 │                             │
//!                                                 └──────── Challenge::evaluate ◀┘──▶ ChallengeResult
//! ```
//!
//! Pure data and logic: the app runs the proof a few runs at a time (`Proof::batch`) and calls
//! [`Challenge::evaluate`] on the report; native callers use [`Challenge::attempt`].

use serde::Serialize;

use crate::log::payment_id;
use crate::scenario::{BatchStep, Fault, MessageStep, Scenario, preset};
use crate::sweep::prove::{Proof, ProofReport, ProofRun};

/// What a challenge asks of every run the proof explores.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Goal {
    /// No run loses a payment (A3: at-least-once; duplicates are allowed).
    NoLoss,
    /// No run loses a payment or applies one twice (exactly-once effects: E1, E4, or an
    /// idempotent sink).
    NoLossNoDuplicate,
    /// In every run each invalid payment is dead-lettered (not skipped, not lost, not left
    /// blocking its partition), and every valid payment is applied.
    InvalidDeadLettered,
}

/// A lab step as a goal to prove.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Challenge {
    pub id: &'static str,
    pub title: &'static str,
    /// The lab step it belongs to ([`crate::lab::STEPS`]).
    pub step: &'static str,
    /// The preset the starting program comes from.
    pub preset: &'static str,
    /// What the challenge changes in the preset to make the naive program of the step, in
    /// words; empty when it starts from the preset as it is.
    pub start_note: &'static str,
    /// The goal, in one sentence.
    pub goal_text: &'static str,
    pub goal: Goal,
    /// A nudge for a student who is stuck.
    pub hint: &'static str,
}

/// Whether a program meets a challenge's goal, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChallengeResult {
    pub met: bool,
    /// One or two sentences: the run that breaks the goal and what it did, or what every run
    /// did.
    pub reason: String,
    /// The index of a run that breaks the goal (into the report's runs and the proof's
    /// variants), to open it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<usize>,
}

pub const CHALLENGES: &[Challenge] = &[
    Challenge {
        id: "step2",
        title: "Step 2 — a consumer that never loses a payment",
        step: "step2",
        preset: "step1-autocommit-sleep7",
        start_note: "",
        goal_text: "No payment lost under any single crash.",
        goal: Goal::NoLoss,
        hint: "Auto-commit commits what poll() stored, whether or not it was processed (B2, B5). Turn it off and commit each payment after its effect.",
    },
    Challenge {
        id: "step3",
        title: "Step 3 — batches that never lose a payment",
        step: "step3",
        preset: "step3-batch5-fail-at-3",
        start_note: "The batch consumer as first written: auto-commit left on, and commit() called as soon as consume() returns, before the batch is processed.",
        goal_text: "No payment lost under any single crash, in batches of 5.",
        goal: Goal::NoLoss,
        hint: "A commit before processing, or a timer's, moves the offset past payments not yet recorded. Commit only once the batch is processed, and only from the program.",
    },
    Challenge {
        id: "step4",
        title: "Step 4 — invalid payments neither block nor vanish",
        step: "step4",
        preset: "step4-invalid-stop",
        start_note: "P-0005 also fails twice with a network error before it would succeed.",
        goal_text: "An invalid payment never blocks the partition and is never silently dropped, and a payment that fails only transiently is still applied.",
        goal: Goal::InvalidDeadLettered,
        hint: "Retry transient failures with a backoff; send what can never succeed to a dead-letter topic, where someone can look at it.",
    },
    Challenge {
        id: "refunds",
        title: "Refunds — each exactly once",
        step: "refunds",
        preset: "pitfall-exactly-once-assumption",
        start_note: "",
        goal_text: "No refund missed and none applied twice, whatever single crash.",
        goal: Goal::NoLossNoDuplicate,
        hint: "Committing after processing never misses a refund but repeats one after a crash. Make the refund idempotent, or commit the refunds and the offsets in one transaction (E1).",
    },
];

/// A challenge by id.
pub fn challenge(id: &str) -> Option<&'static Challenge> {
    CHALLENGES.iter().find(|c| c.id == id)
}

impl Challenge {
    /// The program the student starts from: the preset, made into the step's naive program.
    pub fn start(&self) -> Scenario {
        let mut s = preset(self.preset).unwrap_or_else(|e| panic!("preset {}: {e}", self.preset));
        s.name = format!("challenge-{}", self.id);
        s.title = self.title.to_string();
        let mut description = format!("Goal: {}", self.goal_text);
        if !self.start_note.is_empty() {
            description = format!("{description} {}", self.start_note);
        }
        s.description = description;
        match self.id {
            "step3" => {
                for c in &mut s.consumers {
                    c.config.enable_auto_commit = true;
                    c.program.before = vec![BatchStep::Commit {
                        asynchronous: false,
                    }];
                    c.program.after.clear();
                    c.program
                        .per_message
                        .retain(|m| !matches!(m, MessageStep::Commit { .. }));
                }
            }
            "step4" => s.faults.push(Fault::FailPayment {
                payment: 5,
                attempts: 2,
            }),
            _ => {}
        }
        s
    }

    /// What the student may not change: the payments (how many, which are invalid) and the
    /// injected faults. `None` when `scenario` keeps them.
    pub fn givens_changed(&self, scenario: &Scenario) -> Option<String> {
        let start = self.start();
        let (want, got) = (&start.topic.payments, &scenario.topic.payments);
        if got.count != want.count {
            return Some(format!(
                "The challenge is about its {} payments; this scenario has {}.",
                want.count, got.count
            ));
        }
        let mut invalid = got.invalid.clone();
        invalid.sort_unstable();
        if invalid != want.invalid {
            return Some(format!(
                "The challenge's invalid payments are {}: they must stay invalid.",
                ids_1(&want.invalid)
            ));
        }
        if scenario.faults != start.faults {
            return Some(
                "The challenge's failures must stay as they are: change the program, not the faults."
                    .to_string(),
            );
        }
        None
    }

    /// Whether the proof of `scenario` (its report) meets the goal, and why.
    pub fn evaluate(&self, report: &ProofReport, scenario: &Scenario) -> ChallengeResult {
        if let Some(reason) = self.givens_changed(scenario) {
            return ChallengeResult {
                met: false,
                reason,
                run: None,
            };
        }
        if report.explored == 0 {
            return ChallengeResult {
                met: false,
                reason: "Nothing was explored: the scenario does not run.".to_string(),
                run: None,
            };
        }
        let runs: Vec<&ProofRun> = report.runs.iter().filter(|r| r.invalid.is_none()).collect();
        let n = report.explored;
        match self.goal {
            Goal::NoLoss => match breaking(&runs, |r| !r.lost.is_empty()) {
                Some((r, count)) => unmet(
                    r,
                    format!("{} lost {}", is_are(&r.lost), under(r, count, n)),
                ),
                None => met(format!(
                    "No payment lost under any of the {n} single disturbances explored{}.",
                    match report.duplicating {
                        0 => String::new(),
                        d => format!(
                            "; {d} of them process a payment twice: at-least-once, as committing after processing is"
                        ),
                    }
                )),
            },
            Goal::NoLossNoDuplicate => {
                if let Some((r, count)) = breaking(&runs, |r| !r.lost.is_empty()) {
                    return unmet(
                        r,
                        format!("{} lost {}", is_are(&r.lost), under(r, count, n)),
                    );
                }
                match breaking(&runs, |r| !r.duplicated.is_empty()) {
                    Some((r, count)) => unmet(
                        r,
                        format!(
                            "{} applied twice {}",
                            is_are(&r.duplicated),
                            under(r, count, n)
                        ),
                    ),
                    None => met(format!(
                        "Nothing lost and nothing applied twice under any of the {n} single disturbances explored."
                    )),
                }
            }
            Goal::InvalidDeadLettered => self.invalid_goal(&runs, n, scenario),
        }
    }

    fn invalid_goal(&self, runs: &[&ProofRun], n: usize, scenario: &Scenario) -> ChallengeResult {
        let invalid: Vec<u32> = scenario
            .topic
            .payments
            .invalid
            .iter()
            .map(|k| k - 1)
            .collect();
        let is_invalid = |p: &u32| invalid.contains(p);
        if let Some((r, count)) = breaking(runs, |r| !r.stalled.is_empty()) {
            let blocker = r
                .stalled
                .iter()
                .find(|p| is_invalid(p))
                .unwrap_or(&r.stalled[0]);
            return unmet(
                r,
                format!(
                    "{} blocks its partition: {} never processed {}",
                    payment_id(blocker + 1),
                    is_are(&r.stalled),
                    under(r, count, n)
                ),
            );
        }
        if let Some((r, count)) = breaking(runs, |r| r.skipped.iter().any(is_invalid)) {
            let dropped: Vec<u32> = r.skipped.iter().copied().filter(is_invalid).collect();
            return unmet(
                r,
                format!(
                    "{} silently dropped: skipped, neither applied nor kept {}",
                    is_are(&dropped),
                    under(r, count, n)
                ),
            );
        }
        if let Some((r, count)) = breaking(runs, |r| !r.lost.is_empty()) {
            return unmet(
                r,
                format!("{} lost {}", is_are(&r.lost), under(r, count, n)),
            );
        }
        let given_up = |r: &ProofRun| -> Vec<u32> {
            r.skipped
                .iter()
                .chain(&r.dead_lettered)
                .copied()
                .filter(|p| !is_invalid(p))
                .collect()
        };
        if let Some((r, count)) = breaking(runs, |r| !given_up(r).is_empty()) {
            return unmet(
                r,
                format!(
                    "{} failed only transiently, yet the program gave up instead of retrying {}",
                    ids(&given_up(r)),
                    under(r, count, n)
                ),
            );
        }
        met(format!(
            "Under each of the {n} single disturbances explored, {} went to the dead-letter topic and every other payment was applied: nothing blocked, nothing dropped.",
            ids_1(&scenario.topic.payments.invalid)
        ))
    }

    /// Runs the proof of `scenario` (its first consumer) and evaluates it: for native callers.
    /// `None` when the scenario does not run.
    pub fn attempt(&self, scenario: &Scenario) -> Option<(ProofReport, ChallengeResult)> {
        let report = Proof::new(scenario, 0)?.run();
        let result = self.evaluate(&report, scenario);
        Some((report, result))
    }
}

/// The first run breaking the goal, and how many do.
fn breaking<'a>(
    runs: &[&'a ProofRun],
    bad: impl Fn(&ProofRun) -> bool,
) -> Option<(&'a ProofRun, usize)> {
    let count = runs.iter().filter(|r| bad(r)).count();
    runs.iter().find(|r| bad(r)).map(|r| (*r, count))
}

/// `under kill at …, and under 12 more of the 69 disturbances explored`, `in every one of the 69 runs
/// explored (the first: kill at …)`.
fn under(r: &ProofRun, count: usize, n: usize) -> String {
    if count == n {
        format!(
            "in every one of the {n} runs explored (the first: {})",
            r.text
        )
    } else if count == 1 {
        format!("under {} (one of the {n} disturbances explored)", r.text)
    } else {
        format!(
            "under {}, and under {} more of the {n} disturbances explored",
            r.text,
            count - 1
        )
    }
}

/// `P-0001 is`, `P-0001 and P-0002 are`.
fn is_are(payments: &[u32]) -> String {
    let verb = if payments.len() == 1 { "is" } else { "are" };
    format!("{} {verb}", ids(payments))
}

fn met(reason: String) -> ChallengeResult {
    ChallengeResult {
        met: true,
        reason,
        run: None,
    }
}

fn unmet(r: &ProofRun, what: String) -> ChallengeResult {
    let mut reason = what;
    reason.push('.');
    let mut chars = reason.chars();
    let reason = chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default();
    ChallengeResult {
        met: false,
        reason,
        run: Some(r.index),
    }
}

/// Payment ids of 0-based indices: `P-0001 and P-0002`, `P-0001, P-0002 and 3 more`.
fn ids(payments: &[u32]) -> String {
    let numbers: Vec<u32> = payments.iter().map(|p| p + 1).collect();
    ids_1(&numbers)
}

/// Payment ids of 1-based numbers.
fn ids_1(numbers: &[u32]) -> String {
    const MAX: usize = 4;
    let names: Vec<String> = numbers.iter().take(MAX).map(|&n| payment_id(n)).collect();
    match (names.len(), numbers.len()) {
        (0, _) => "no payment".to_string(),
        (1, 1) => names[0].clone(),
        (k, total) if total > k => format!("{} and {} more", names.join(", "), total - k),
        _ => {
            let (last, rest) = names.split_last().expect("two or more");
            format!("{} and {last}", rest.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_challenge_starts_from_a_valid_program_of_its_lab_step() {
        for c in CHALLENGES {
            let s = c.start();
            s.validate().unwrap_or_else(|e| panic!("{}: {e}", c.id));
            assert!(c.givens_changed(&s).is_none(), "{}", c.id);
            assert!(
                crate::lab::STEPS.iter().any(|st| st.id == c.step),
                "{}: no lab step {}",
                c.id,
                c.step
            );
            assert!(c.goal_text.ends_with('.'), "{}", c.id);
            assert_eq!(challenge(c.id), Some(c));
        }
        assert!(challenge("nope").is_none());
    }

    #[test]
    fn payment_lists_read_as_sentences() {
        assert_eq!(ids(&[0]), "P-0001");
        assert_eq!(ids(&[0, 1]), "P-0001 and P-0002");
        assert_eq!(ids(&[0, 1, 2]), "P-0001, P-0002 and P-0003");
        assert_eq!(
            ids(&[0, 1, 2, 3, 4, 5]),
            "P-0001, P-0002, P-0003, P-0004 and 2 more"
        );
    }
}
