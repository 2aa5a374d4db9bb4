//! Lab mode: Lab 05 as a guided path through the presets, with "predict before you run"
//! questions, the lab's questions answered by what the student just saw, and the lab's success
//! criteria as a checklist that ticks itself from what the student actually ran.
//!
//! Pure data and logic: the app renders it and keeps progress in local storage.

use serde::{Deserialize, Serialize};

use crate::outcome::Verdict;
use crate::scenario::{BatchStep, MessageStep};
use crate::timeline::Timeline;
use crate::trace::EventKind;

/// A "predict before you run" question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Predict {
    /// The scenario the question is about: it opens with the question, and only its run
    /// reveals the answer.
    pub scenario: &'static str,
    pub question: &'static str,
    pub options: &'static [&'static str],
    pub correct: usize,
    /// Shown once the student has answered and run the scenario.
    pub explanation: &'static str,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabStep {
    pub id: &'static str,
    pub title: &'static str,
    /// The presets this step uses, the first one opened by default.
    pub presets: &'static [&'static str],
    /// What to do, in Offset Lab's words: never the answer to the step's question.
    pub todo: &'static str,
    /// What the run showed, once the student has played the step's first scenario to its end.
    pub after: &'static str,
    pub predict: Option<Predict>,
    /// The lab's questions this step answers, with the answer the run shows.
    pub answers: &'static [(&'static str, &'static str)],
    /// The built-in experiments (`sweep::experiments`) that measure what this step is about.
    pub experiments: &'static [&'static str],
}

pub const STEPS: &[LabStep] = &[
    LabStep {
        id: "step1",
        title: "Step 1 — prove that auto-commit loses payments",
        presets: &[
            "step1-autocommit-sleep7",
            "step1-autocommit-sleep2",
            "step1-lab-literal",
            "step1-phase-explorer",
            "java-autocommit-sleep7",
        ],
        todo: "Run the lab's auto-commit consumer: it processes each payment for 7 s and calls sys.exit(1) in the middle of the first one. Answer the question below, then press Play and keep an eye on the auto-commit countdown on the consumer card while the payment is being processed.",
        after: "The timer fired during the sleep, and the committed offset jumped past P-0001 while it was still being processed: the restart resumed after it. Now try the 2 s version, the lab as literally run, and the phase explorer: whether the payment is lost depends on where the timer is in its cycle, not on 2 < 5.",
        predict: Some(Predict {
            scenario: "step1-autocommit-sleep7",
            question: "The lab says a 7 s sleep does not lose the message. With confluent-kafka (librdkafka), will P-0001 be lost with a 7 s sleep?",
            options: &[
                "Yes, it is lost",
                "No, it is redelivered",
                "It depends on timing",
            ],
            correct: 0,
            explanation: "librdkafka's auto-commit timer runs in the background every 5 s from construction, and poll() stored the offset the moment it returned the message (B2, B5). Any 7-second window contains a tick, so the offset is always committed before the crash. The lab's claim holds for the classic Java client (java-autocommit-sleep7), which auto-commits only on the application's thread — inside poll(), before a rebalance and in close() (D2, D3) — so never during the sleep.",
        }),
        answers: &[(
            "Why might you lose messages with auto-commit?",
            "Auto-commit commits the offsets poll() has stored, on a timer, whether or not processing finished. A crash after a tick and before the processing ends loses every payment the tick committed.",
        )],
        experiments: &["loss-vs-processing-time"],
    },
    LabStep {
        id: "step2",
        title: "Step 2 — commit manually, after processing",
        presets: &[
            "step2-manual-commit",
            "step2-crash-after-commit",
            "exp3-offsets-in-kafka",
        ],
        todo: "Run the manual-commit consumer: enable.auto.commit=false, and commit(message) only after the payment is recorded. It crashes after recording P-0002 but before committing it. Place your own crash points by clicking the gutter of the code: before the commit, after the commit, during processing. Nothing is ever lost; a crash before the commit repeats one payment.",
        after: "",
        predict: Some(Predict {
            scenario: "step2-manual-commit",
            question: "The consumer crashes after recording P-0002 and before committing it. After the restart, what happens to P-0002?",
            options: &[
                "It is lost",
                "It is processed again",
                "Nothing: it was recorded once",
            ],
            correct: 1,
            explanation: "The committed offset still points at P-0002 (A1), so the restarted consumer resumes there and records it again. That is at-least-once: never lost, sometimes twice.",
        }),
        answers: &[(
            "What's the trade-off with manual commits?",
            "No payment is lost, but a crash between the effect and the commit repeats it, and every synchronous commit costs a round trip.",
        )],
        experiments: &[],
    },
    LabStep {
        id: "step3",
        title: "Step 3 — batches of five, commit after the batch",
        presets: &["step3-batch5-fail-at-3"],
        todo: "consume(num_messages=5) returns five payments; the program commits once after the whole batch. The consumer fails at message 3 of the first batch.",
        after: "",
        predict: Some(Predict {
            scenario: "step3-batch5-fail-at-3",
            question: "The consumer fails while processing message 3 of 5. Which payments are recorded twice?",
            options: &["None", "P-0001 and P-0002", "All five"],
            correct: 1,
            explanation: "The batch was never committed, so all five are delivered again; the two that were already recorded are recorded twice. Bigger batches mean fewer commits and bigger replays.",
        }),
        answers: &[(
            "What happens if message 3 of 5 fails?",
            "Nothing of the batch is committed: the whole batch is redelivered, and messages 1 and 2 are processed twice.",
        )],
        experiments: &[],
    },
    LabStep {
        id: "step4",
        title: "Step 4 — an error-handling strategy",
        presets: &[
            "step4-transient-retry",
            "step4-invalid-dead-letter",
            "step4-invalid-skip",
            "step4-invalid-stop",
            "step4-partial-batch",
        ],
        todo: "Transient failures deserve retries with backoff; permanent ones (invalid data) must not block the partition forever. Compare skipping, a dead-letter topic, and stopping, then a failure in the middle of a batch.",
        after: "",
        predict: None,
        answers: &[(
            "How do you handle duplicate processing?",
            "Make the effect idempotent (deduplicate by payment id), or store the offset with the result in one transaction — see Experiment 3 and the refunds scenarios.",
        )],
        experiments: &[],
    },
    LabStep {
        id: "experiments",
        title: "Experiments — commit timing, sync vs async, where offsets live",
        presets: &[
            "exp1-commit-before-processing",
            "exp2-sync-commits",
            "exp2-async-commits",
            "exp2-async-crash",
            "exp2-async-retry",
            "exp3-offsets-in-kafka",
            "exp3-offsets-in-db",
        ],
        todo: "Commit before processing (at-most-once) and after (at-least-once). Compare payments per second with synchronous and asynchronous commits; see what an async commit leaves unknown when the consumer crashes, and how a retried one moves the committed offset backwards. Then keep the offsets in the database with the results.",
        after: "",
        predict: Some(Predict {
            scenario: "exp1-commit-before-processing",
            question: "Committing before processing: which can happen after a crash?",
            options: &["A payment is lost", "A payment is processed twice", "Both"],
            correct: 0,
            explanation: "The offset moved before the work was done, so a crash mid-processing skips the payment: at-most-once. For payments, commit after processing.",
        }),
        answers: &[(
            "When would you use async commits?",
            "When throughput matters and a slightly larger replay after a crash is acceptable — ideally with a synchronous commit in on_revoke and at close.",
        )],
        experiments: &[
            "commit-before-or-after",
            "commit-cost",
            "offsets-in-kafka-or-db",
        ],
    },
    LabStep {
        id: "pitfalls",
        title: "Common pitfalls",
        presets: &[
            "pitfall-maxpoll-rebalance",
            "pitfall-close-in-finally",
            "pitfall-exactly-once-assumption",
        ],
        todo: "A rebalance during processing (a consumer stuck longer than max.poll.interval.ms), close() in a finally block, and believing that manual commits give exactly-once.",
        after: "",
        predict: Some(Predict {
            scenario: "pitfall-close-in-finally",
            question: "The Step 1 consumer with a 2 s sleep lost nothing. Wrap its loop in try/finally: consumer.close(). What happens to P-0001?",
            options: &["Still redelivered", "Lost"],
            correct: 1,
            explanation: "With enable.auto.commit on, close() commits what poll() stored — before the payment was recorded (B11, B13). The finally block turns a redelivery into a loss.",
        }),
        answers: &[],
        experiments: &[],
    },
    LabStep {
        id: "refunds",
        title: "Real world — refunds exactly once",
        presets: &[
            "refunds-idempotent",
            "refunds-transactional",
            "refunds-scale-out",
        ],
        todo: "No refund missed, none doubled: commit after processing so nothing is missed, and make the effect idempotent or transactional so a redelivery does nothing twice. Then scale out to three consumers.",
        after: "",
        predict: None,
        answers: &[],
        experiments: &[],
    },
];

/// The lab's success criteria.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    DemonstratedLoss,
    ReliableManualCommit,
    AtLeastOnce,
    ErrorHandling,
    MeasuredPerformance,
}

impl Criterion {
    pub const ALL: [Criterion; 5] = [
        Criterion::DemonstratedLoss,
        Criterion::ReliableManualCommit,
        Criterion::AtLeastOnce,
        Criterion::ErrorHandling,
        Criterion::MeasuredPerformance,
    ];

    pub fn text(self) -> &'static str {
        match self {
            Criterion::DemonstratedLoss => "Demonstrated message loss with auto-commit",
            Criterion::ReliableManualCommit => "Implemented reliable manual commit consumer",
            Criterion::AtLeastOnce => "Understood at-least-once guarantees",
            Criterion::ErrorHandling => "Designed error handling strategy",
            Criterion::MeasuredPerformance => "Measured performance implications",
        }
    }

    /// How the checklist decides, shown next to an unticked criterion.
    pub fn how(self) -> &'static str {
        match self {
            Criterion::DemonstratedLoss => {
                "Watch a run with enable.auto.commit=true until a payment is lost."
            }
            Criterion::ReliableManualCommit => {
                "Meet the Step 2 or Step 3 challenge with a program you built: “Prove it” finds no crash that loses a payment."
            }
            Criterion::AtLeastOnce => {
                "Meet the Step 2 or Step 3 challenge with a program whose proof shows that a crash can repeat a payment, and none loses one (A3)."
            }
            Criterion::ErrorHandling => {
                "Meet the Step 4 challenge with a program you built: invalid payments neither block nor vanish, transient failures are retried."
            }
            Criterion::MeasuredPerformance => {
                "Chart “What does committing cost?” in the Experiments (or sweep the commit placement or mode of a scenario), or build a program with synchronous commits and one with asynchronous commits and run both to the end."
            }
        }
    }
}

/// What a student saw of one run: the facts the checklist needs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    pub scenario: String,
    pub auto_commit: bool,
    /// Every consumer commits manually, after processing.
    pub commits_after_processing: bool,
    pub sync_commits: bool,
    pub async_commits: bool,
    pub crashed: bool,
    /// Payments lost / duplicated by the time the cursor got to.
    pub lost_seen: u32,
    pub duplicated_seen: u32,
    pub failure_handled: bool,
    pub reached_end: bool,
    pub payments_per_s: f64,
    /// The program is the student's own: edited, not a preset as it is offered (the session
    /// says so; [`observe`] cannot know).
    #[serde(default)]
    pub own_program: bool,
}

/// A challenge ([`crate::challenge`]) met by a program the student built: "prove it" found
/// no run that breaks its goal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeMet {
    pub challenge: String,
    /// The proof showed a crash repeating a payment (at-least-once, A3).
    pub duplicates: bool,
}

/// What the student has seen of `tl` with the cursor at `cursor`.
pub fn observe(tl: &Timeline, cursor: usize) -> Observation {
    let sc = &tl.scenario;
    let cursor = cursor.min(tl.events.len());
    let seen = &tl.events[..cursor];
    let world = tl.world_at(cursor);
    let outcomes = world.outcomes();
    let auto_commit = sc.consumers.iter().any(|c| c.config.enable_auto_commit);
    let commits_after_processing = sc.consumers.iter().all(|c| {
        let p = &c.program;
        let process_ix = p
            .per_message
            .iter()
            .position(|m| *m == MessageStep::Process)
            .unwrap_or(0);
        let commit_after_in_loop = p.per_message[process_ix..]
            .iter()
            .any(|m| matches!(m, MessageStep::Commit { .. }));
        let commit_after_batch = p
            .after
            .iter()
            .any(|b| matches!(b, BatchStep::Commit { .. } | BatchStep::CommitTransaction));
        !c.config.enable_auto_commit
            && p.before.is_empty()
            && (commit_after_in_loop || commit_after_batch)
    });
    let mut sync_commits = false;
    let mut async_commits = false;
    for c in &sc.consumers {
        for m in &c.program.per_message {
            if let MessageStep::Commit { asynchronous, .. } = m {
                sync_commits |= !asynchronous;
                async_commits |= *asynchronous;
            }
        }
        for b in c.program.before.iter().chain(&c.program.after) {
            if let BatchStep::Commit { asynchronous } = b {
                sync_commits |= !asynchronous;
                async_commits |= *asynchronous;
            }
        }
    }
    Observation {
        scenario: sc.name.clone(),
        auto_commit,
        commits_after_processing,
        sync_commits,
        async_commits,
        crashed: seen
            .iter()
            .any(|e| matches!(e.kind, EventKind::Crashed { .. })),
        lost_seen: outcomes
            .iter()
            .filter(|o| o.outcome == Verdict::Lost)
            .count() as u32,
        duplicated_seen: outcomes
            .iter()
            .filter(|o| o.outcome == Verdict::Duplicated)
            .count() as u32,
        failure_handled: seen
            .iter()
            .any(|e| matches!(e.kind, EventKind::ProcessingFailed { .. }))
            && seen.iter().any(|e| {
                matches!(
                    e.kind,
                    EventKind::DeadLettered { .. }
                        | EventKind::PaymentSkipped { .. }
                        | EventKind::Seeked { .. }
                ) || matches!(
                    e.kind,
                    EventKind::ProcessingFailed {
                        retry_at_ms: Some(_),
                        ..
                    }
                )
            })
            && !seen
                .iter()
                .any(|e| matches!(e.kind, EventKind::ProgramStopped { .. })),
        reached_end: cursor == tl.events.len(),
        payments_per_s: tl.report().metrics.payments_per_s,
        own_program: false,
    }
}

/// The criteria met by what the student has seen so far and the challenges met by programs
/// they built. Only a loss is shown by watching a run (any run with auto-commit that lost a
/// payment, B5); the others need the student's own program: a challenge met (judged by "prove
/// it", not by watching a preset) or, for performance, two runs of their own programs.
pub fn criteria_met(
    seen: &[Observation],
    met_challenges: &[ChallengeMet],
    measured_commit_cost: bool,
) -> Vec<Criterion> {
    let mut met = Vec::new();
    if seen.iter().any(|o| o.auto_commit && o.lost_seen > 0) {
        met.push(Criterion::DemonstratedLoss);
    }
    let commit_challenge = |m: &&ChallengeMet| matches!(m.challenge.as_str(), "step2" | "step3");
    if met_challenges
        .iter()
        .any(|m| commit_challenge(&m) || m.challenge == "refunds")
    {
        met.push(Criterion::ReliableManualCommit);
    }
    if met_challenges
        .iter()
        .filter(commit_challenge)
        .any(|m| m.duplicates)
    {
        met.push(Criterion::AtLeastOnce);
    }
    if met_challenges.iter().any(|m| m.challenge == "step4") {
        met.push(Criterion::ErrorHandling);
    }
    let finished =
        |f: fn(&Observation) -> bool| seen.iter().any(|o| o.reached_end && o.own_program && f(o));
    let compared_own_runs =
        finished(|o| o.sync_commits && !o.async_commits) && finished(|o| o.async_commits);
    if compared_own_runs || measured_commit_cost {
        met.push(Criterion::MeasuredPerformance);
    }
    met
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{preset, preset_names};

    fn seen(name: &str, at_end: bool) -> Observation {
        let tl = Timeline::new(preset(name).unwrap()).unwrap();
        observe(&tl, if at_end { tl.events.len() } else { 0 })
    }

    #[test]
    fn every_step_names_existing_presets() {
        let names: Vec<&str> = preset_names().collect();
        for step in STEPS {
            for p in step.presets {
                assert!(names.contains(p), "{}: {p}", step.id);
            }
            if let Some(q) = &step.predict {
                assert!(q.correct < q.options.len());
            }
        }
    }

    #[test]
    fn the_checklist_ticks_a_watched_loss_but_not_watched_presets() {
        assert!(
            criteria_met(&[seen("step1-autocommit-sleep7", false)], &[], false).is_empty(),
            "nothing seen yet"
        );
        assert_eq!(
            criteria_met(&[seen("step1-autocommit-sleep7", true)], &[], false),
            vec![Criterion::DemonstratedLoss]
        );
        assert!(
            criteria_met(&[seen("step1-autocommit-sleep2", true)], &[], false).is_empty(),
            "no loss in that run"
        );
        // Watching the lab's answers, as offered, ticks nothing.
        let watched: Vec<Observation> = [
            "step2-manual-commit",
            "step2-crash-after-commit",
            "step4-transient-retry",
            "step4-invalid-dead-letter",
            "exp2-sync-commits",
            "exp2-async-commits",
        ]
        .iter()
        .map(|n| seen(n, true))
        .collect();
        assert!(criteria_met(&watched, &[], false).is_empty());
        // Two runs of the student's own programs measure performance.
        let own: Vec<Observation> = watched
            .into_iter()
            .map(|o| Observation {
                own_program: true,
                ..o
            })
            .collect();
        assert_eq!(
            criteria_met(&own, &[], false),
            vec![Criterion::MeasuredPerformance]
        );
    }

    #[test]
    fn a_commit_cost_measurement_ticks_measured_performance_alone() {
        assert_eq!(
            criteria_met(&[], &[], true),
            vec![Criterion::MeasuredPerformance]
        );
        assert!(criteria_met(&[], &[], false).is_empty());
    }

    #[test]
    fn every_step_names_existing_experiments() {
        let mut offered = Vec::new();
        for step in STEPS {
            for e in step.experiments {
                assert!(
                    crate::sweep::experiments::experiment(e).is_some(),
                    "{}: {e}",
                    step.id
                );
                offered.push(*e);
            }
        }
        // Every built-in experiment opens from the lab panel, at the step it measures.
        offered.sort_unstable();
        let mut all = crate::sweep::experiments::NAMES.to_vec();
        all.sort_unstable();
        assert_eq!(offered, all);
    }

    #[test]
    fn met_challenges_tick_the_design_criteria() {
        let met = |id: &str, duplicates| ChallengeMet {
            challenge: id.into(),
            duplicates,
        };
        assert_eq!(
            criteria_met(&[], &[met("step2", true)], false),
            vec![Criterion::ReliableManualCommit, Criterion::AtLeastOnce]
        );
        assert_eq!(
            criteria_met(&[], &[met("refunds", false)], false),
            vec![Criterion::ReliableManualCommit]
        );
        assert_eq!(
            criteria_met(&[], &[met("step4", false)], false),
            vec![Criterion::ErrorHandling]
        );
    }

    #[test]
    fn observations_survive_a_json_round_trip() {
        let o = seen("step2-manual-commit", true);
        let back: Observation = serde_json::from_str(&serde_json::to_string(&o).unwrap()).unwrap();
        assert_eq!(back, o);
    }
}
