//! The work budget: how many simulation steps a scenario can take, estimated before it runs,
//! so that no link, file or setting can freeze a page.
//!
//! A step is one event of the queue (a timer, a request reaching the broker, an answer reaching
//! a client). The estimate adds up what recurs over simulated time — heartbeats, auto-commit
//! ticks, max-poll checks, idle polls, each consumer's session timer — and what each payment
//! costs each time it is delivered (every attempt, every backoff, every commit), times how
//! often it can be delivered again (each crash, each eviction can replay it). It is an upper
//! bound on the steps a run takes (a test and the fuzz targets check it), so a scenario within
//! the budget always runs to its end.
//!
//! A scenario over [`STEP_BUDGET`] is refused with a message that names the setting that
//! costs the most, the way validation errors read.

use crate::Ms;
use crate::client::{ClientPolicy, MAX_POLL_CHECK_MS, RETRY_BACKOFF_MS};
use crate::scenario::{
    ActionKind, BatchStep, ConsumerSpec, Fault, MessageStep, Scenario, ScenarioError,
};

/// The most steps a run may take. In WebAssembly on this project's 2-core machine the simulator
/// runs 0.9–1.4 million steps a second with its checkpoints (`offset-lab bench` built for
/// wasm32-wasip1 under Node; README, "Benchmark"), so a run at the budget takes under a
/// second there, and less on a laptop.
pub const STEP_BUDGET: u64 = 800_000;

/// One part of the estimate: the setting it comes from, and its steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Term {
    /// What kind of work: terms of the same kind (one per consumer) add up.
    pub kind: &'static str,
    /// The field to change, as validation errors name it.
    pub field: String,
    /// What recurs, in words: "heartbeats every 1 ms over 86 400 s".
    pub what: String,
    pub steps: u64,
}

/// The estimated work of a scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Work {
    pub steps: u64,
    /// The parts, largest first.
    pub terms: Vec<Term>,
}

/// Events per recurrence: a heartbeat is a timer, a request and an answer.
const HEARTBEAT_STEPS: u64 = 3;
/// An auto-commit tick, and the commit it may send (request, answer).
const TICK_STEPS: u64 = 3;
/// A consumer's construction, join, sync, assignment and offset fetch, and a rebalance's worth
/// of requests for every member: a generous constant per (re)start.
const START_STEPS: u64 = 60;

impl Scenario {
    /// The estimated work of this scenario (an upper bound on its steps).
    pub fn estimate_work(&self) -> Work {
        let mut terms = Vec::new();
        let duration = self.duration_ms;
        let deliveries = self.deliveries_bound();
        let restarts = self.restarts();
        let members = self.consumers.len() as u64;
        for (i, c) in self.consumers.iter().enumerate() {
            let path = format!("consumers[{i}]");
            let life = duration.saturating_sub(self.first_start(c)).max(1);
            let secs = span(life);
            let cfg = &c.config;
            // The broker's session timer of the member moves on with each heartbeat and fires
            // at least session.timeout.ms − heartbeat.interval.ms apart.
            let session_period = cfg
                .session_timeout_ms
                .saturating_sub(cfg.heartbeat_interval_ms)
                .max(1);
            terms.push(Term {
                kind: "heartbeats",
                field: format!("{path}.config.heartbeat.interval.ms"),
                what: format!(
                    "heartbeats every {} ms over {secs}",
                    cfg.heartbeat_interval_ms
                ),
                steps: every(life, cfg.heartbeat_interval_ms) * HEARTBEAT_STEPS
                    + every(life, session_period),
            });
            if cfg.enable_auto_commit {
                terms.push(Term {
                    kind: "auto-commits",
                    field: format!("{path}.config.auto.commit.interval.ms"),
                    what: format!(
                        "auto-commits every {} ms over {secs}",
                        cfg.auto_commit_interval_ms
                    ),
                    steps: every(life, cfg.auto_commit_interval_ms) * TICK_STEPS,
                });
            }
            terms.push(Term {
                kind: "idle polls",
                field: format!("{path}.program.poll.timeout_ms"),
                what: format!(
                    "an idle poll() every {} ms over {secs}",
                    c.program.poll.timeout_ms
                ),
                steps: every(life, c.program.poll.timeout_ms),
            });
            // librdkafka's max-poll check (B14).
            terms.push(Term {
                kind: "max-poll checks",
                field: "duration_ms".into(),
                what: format!("max.poll.interval.ms checks over {secs}"),
                steps: every(life, MAX_POLL_CHECK_MS),
            });
        }
        // Every delivery of a payment, by whichever consumer is the costliest.
        let per_delivery = self
            .consumers
            .iter()
            .map(|c| self.delivery_steps(c) + self.batch_steps(c))
            .max()
            .unwrap_or(0);
        terms.push(Term {
            kind: "payments",
            field: "topic.payments.count".into(),
            what: format!(
                "{} payments, delivered up to {} times in all",
                self.topic.payments.count, deliveries
            ),
            steps: deliveries.saturating_mul(per_delivery),
        });
        for (i, c) in self.consumers.iter().enumerate() {
            let replays = self.replays_bound(c);
            if replays == 0 {
                continue;
            }
            // Each replay delivers up to a batch again (on_batch_failure), with a commit of
            // the prefix and a seek's fetch.
            let batch = ClientPolicy::new(self.client)
                .records_per_poll(c)
                .min(self.topic.payments.count as usize)
                .max(1) as u64;
            terms.push(Term {
                kind: "batch replays",
                field: format!("consumers[{i}].program.on_batch_failure"),
                what: format!(
                    "batches of {batch} read again after a failed payment, up to {replays} times"
                ),
                steps: replays
                    .saturating_mul(batch * self.delivery_steps(c) + self.batch_steps(c) + 6),
            });
        }
        for f in &self.faults {
            if let Fault::CommitErrors { from_ms, to_ms, .. }
            | Fault::CoordinatorUnavailable { from_ms, to_ms } = f
            {
                // B7 / D4: a commit refused in the window is sent again every retry.backoff.ms
                // until the window closes, and every commit started in the window joins the
                // ones retrying: the retries grow with the square of the window.
                let window = to_ms.saturating_sub(*from_ms);
                for (i, c) in self.consumers.iter().enumerate() {
                    let started = self.commits_started_within(c, window);
                    terms.push(Term {
                        kind: "fault retries",
                        field: "faults".into(),
                        what: format!(
                            "up to {started} commits of consumers[{i}] retried every {RETRY_BACKOFF_MS} ms through a {} fault",
                            span(window)
                        ),
                        steps: started
                            .saturating_mul(every(window, RETRY_BACKOFF_MS))
                            .saturating_mul(3),
                    });
                }
            }
        }
        // A session that expires while its consumer runs (held-back heartbeats): each expiry
        // is a rebalance, and can hand every payment out again.
        for (i, c) in self.consumers.iter().enumerate() {
            let starved = self.heartbeat_starvation(c);
            if starved == 0 {
                continue;
            }
            let expiries = every(starved, c.config.session_timeout_ms);
            let per_expiry = START_STEPS * members.max(1)
                + (self.topic.payments.count as u64)
                    .saturating_mul(self.delivery_steps(c) + self.batch_steps(c));
            terms.push(Term {
                kind: "session expiries",
                field: "faults".into(),
                what: format!(
                    "up to {expiries} expiries of the session of consumers[{i}] while its heartbeats are held back"
                ),
                steps: expiries.saturating_mul(per_expiry),
            });
        }
        // B14 / D5: a program that can spend longer than max.poll.interval.ms between two polls
        // is evicted, rejoins and is handed its records again, as often as the interval allows.
        for (i, c) in self.consumers.iter().enumerate() {
            if self.longest_poll_gap(c) < c.config.max_poll_interval_ms {
                continue;
            }
            let life = duration.saturating_sub(self.first_start(c)).max(1);
            let records = (ClientPolicy::new(self.client).records_per_poll(c) as u64)
                .min(self.topic.payments.count as u64);
            let per_eviction = START_STEPS * members.max(1)
                + records.saturating_mul(self.delivery_steps(c) + self.batch_steps(c));
            terms.push(Term {
                kind: "evictions",
                field: format!("consumers[{i}].config.max.poll.interval.ms"),
                what: format!(
                    "evictions every {} ms over {} (processing outlasts max.poll.interval.ms)",
                    c.config.max_poll_interval_ms,
                    span(life)
                ),
                steps: every(life, c.config.max_poll_interval_ms).saturating_mul(per_eviction),
            });
        }
        terms.push(Term {
            kind: "starts",
            field: "consumers".into(),
            what: "constructions, joins and rebalances".into(),
            steps: (members + restarts + self.ends()) * START_STEPS * members.max(1),
        });
        terms.retain(|t| t.steps > 0);
        terms.sort_by_key(|t| std::cmp::Reverse(t.steps));
        let steps = terms
            .iter()
            .fold(0u64, |sum, t| sum.saturating_add(t.steps));
        Work { steps, terms }
    }

    /// Refuses a scenario whose estimated work is over [`STEP_BUDGET`], naming the setting
    /// that costs the most.
    pub fn check_budget(&self) -> Result<Work, ScenarioError> {
        let work = self.estimate_work();
        if work.steps <= STEP_BUDGET {
            return Ok(work);
        }
        // The costliest kind of work, added up over the consumers, named by its largest term.
        let mut kinds: Vec<(&str, u64, usize, &Term)> = Vec::new();
        for t in &work.terms {
            match kinds.iter_mut().find(|k| k.0 == t.kind) {
                Some(k) => {
                    k.1 = k.1.saturating_add(t.steps);
                    k.2 += 1;
                }
                None => kinds.push((t.kind, t.steps, 1, t)),
            }
        }
        kinds.sort_by_key(|k| std::cmp::Reverse(k.1));
        let (_, steps, n, top) = kinds[0];
        let who = if n > 1 {
            format!("{} for each of {n} consumers", top.what)
        } else {
            top.what.clone()
        };
        Err(ScenarioError {
            path: top.field.clone(),
            message: format!(
                "this scenario would take up to {} simulation steps, more than the {} a page can run without freezing; most of them are {who} ({} steps). Change this setting, or shorten duration_ms",
                thousands(work.steps),
                thousands(STEP_BUDGET),
                thousands(steps)
            ),
        })
    }

    /// How many deliveries of payments a run can make at most: each payment once, and again
    /// after every end that can replay it — all of them after a crash at a time, a user's
    /// action or an eviction, at most `k` after a crash point on a consumer's `k`-th message
    /// (it has seen no more).
    fn deliveries_bound(&self) -> u64 {
        let count = self.topic.payments.count as u64;
        let points: u64 = self
            .consumers
            .iter()
            .flat_map(|c| &c.crashes)
            .map(|cp| match cp.when() {
                crate::scenario::CrashWhen::Point(_, k) => (k as u64).min(count),
                crate::scenario::CrashWhen::At(_) => count,
            })
            .sum();
        let others = self.ends()
            - self
                .consumers
                .iter()
                .map(|c| c.crashes.len() as u64)
                .sum::<u64>();
        count.saturating_mul(1 + others).saturating_add(points)
    }

    /// How many times a consumer process can end in this scenario: crash points, crash actions,
    /// and the evictions a slow payment can cause (each can replay what was not committed).
    fn ends(&self) -> u64 {
        let crashes: u64 = self.consumers.iter().map(|c| c.crashes.len() as u64).sum();
        let actions = self
            .actions
            .iter()
            .filter(|a| matches!(a.act, ActionKind::Crash { .. } | ActionKind::Restart))
            .count() as u64;
        let slow: u64 = self
            .faults
            .iter()
            .map(|f| match f {
                Fault::SlowPayment { times, .. } => *times as u64,
                _ => 0,
            })
            .sum();
        crashes + actions + slow
    }

    /// How many times consumer `c` can read a batch again after a failed payment: once per
    /// scripted failing attempt, and, when a failure can come back every time, once per fastest
    /// possible attempt (a seek's fetch round trip, at least 1 ms, plus the shortest
    /// processing) over its whole life.
    fn replays_bound(&self, c: &ConsumerSpec) -> u64 {
        let scripted = self.failed_attempts_bound(c);
        if !self.failure_can_loop(c) {
            return scripted;
        }
        let mut processing = c.program.processing_ms;
        for a in &self.actions {
            if let ActionKind::SetProcessingMs { processing_ms } = a.act
                && a.consumer == c.name
            {
                processing = processing.min(processing_ms);
            }
        }
        for f in &self.faults {
            if let Fault::SlowPayment { processing_ms, .. } = f {
                processing = processing.min(*processing_ms);
            }
        }
        let floor = self.broker.rtt_ms.max(1) + processing;
        let life = self.duration_ms.saturating_sub(self.first_start(c));
        scripted.saturating_add(every(life, floor))
    }

    /// When consumer `c` can first run: its `start_ms`, or earlier if an action names it before
    /// then (a `restart` action starts a consumer that has not started yet).
    fn first_start(&self, c: &ConsumerSpec) -> Ms {
        self.actions
            .iter()
            .filter(|a| a.consumer == c.name)
            .map(|a| a.at_ms)
            .fold(c.start_ms, Ms::min)
    }

    fn restarts(&self) -> u64 {
        let crashes: u64 = self
            .consumers
            .iter()
            .flat_map(|c| &c.crashes)
            .filter(|cp| cp.restart_after_ms.is_some())
            .count() as u64;
        crashes + self.actions.len() as u64
    }

    /// Steps per delivery of a payment: the poll that returns it, each attempt and backoff, the
    /// per-message commits (request, answer, retries), a dead-letter publish.
    fn delivery_steps(&self, c: &ConsumerSpec) -> u64 {
        let attempts = (c.program.retry.attempts as u64).max(1);
        let failing: u64 = self
            .faults
            .iter()
            .map(|f| match f {
                Fault::FailPayment { attempts, .. } => *attempts as u64,
                _ => 0,
            })
            .max()
            .unwrap_or(0);
        let commits = c
            .program
            .per_message
            .iter()
            .filter(|s| matches!(s, MessageStep::Commit { .. }))
            .count() as u64;
        let dead_letter = [c.program.on_invalid, c.program.retry.on_exhausted]
            .contains(&crate::scenario::FailureAction::DeadLetter) as u64;
        // The poll that waits for it, its processing, each further attempt and its backoff,
        // each commit's request and answer, a dead-letter publish.
        2 + 2 * (attempts.max(failing.min(attempts)) - 1) + 2 * commits + dead_letter
    }

    /// How many commits consumer `c` can start within `window` ms: auto-commit ticks, and the
    /// program's commits, at most one per processed payment (per-message steps) or per poll
    /// (batch steps), plus one in `on_revoke` or `close()`.
    fn commits_started_within(&self, c: &ConsumerSpec, window: Ms) -> u64 {
        let auto = if c.config.enable_auto_commit {
            every(window, c.config.auto_commit_interval_ms)
        } else {
            0
        };
        // A synchronous commit blocks the program until it is answered, retries included: the
        // program starts no other while it retries. Asynchronous ones pile up.
        let per_message_async = c
            .program
            .per_message
            .iter()
            .filter(|s| {
                matches!(
                    s,
                    MessageStep::Commit {
                        asynchronous: true,
                        ..
                    }
                )
            })
            .count() as u64;
        let per_batch_async = c
            .program
            .before
            .iter()
            .chain(&c.program.after)
            .filter(|s| matches!(s, BatchStep::Commit { asynchronous: true }))
            .count() as u64;
        let processing = c.program.processing_ms.max(1);
        let poll_gap = processing.min(c.program.poll.timeout_ms).max(1);
        let deliveries = self.deliveries_bound();
        auto + per_message_async * every(window, processing).min(deliveries)
            + per_batch_async * every(window, poll_gap)
            + 2
    }

    /// How long heartbeats can be held back past the session timeout of consumer `c`, so that
    /// the group expires it although it runs: behind slow commits on the coordinator's
    /// connection (A5), while the coordinator is unavailable, or by round trips as long as the
    /// session. 0 when they cannot be.
    fn heartbeat_starvation(&self, c: &ConsumerSpec) -> Ms {
        let cfg = &c.config;
        let rtt = self.broker.rtt_ms;
        let life = self.duration_ms.saturating_sub(self.first_start(c));
        if 2 * rtt + cfg.heartbeat_interval_ms >= cfg.session_timeout_ms {
            // The round trips alone outlast the session.
            return life;
        }
        self.faults
            .iter()
            .map(|f| match *f {
                Fault::CommitLatency { max_extra_ms }
                    if max_extra_ms + 2 * rtt + cfg.heartbeat_interval_ms
                        >= cfg.session_timeout_ms =>
                {
                    life
                }
                Fault::CoordinatorUnavailable { from_ms, to_ms }
                    if to_ms.saturating_sub(from_ms) + 2 * rtt + cfg.heartbeat_interval_ms
                        >= cfg.session_timeout_ms =>
                {
                    to_ms.saturating_sub(from_ms)
                }
                _ => 0,
            })
            .fold(0, Ms::saturating_add)
    }

    /// The longest a program can spend between two polls: a full batch of its slowest
    /// payments, each with every attempt and backoff.
    fn longest_poll_gap(&self, c: &ConsumerSpec) -> Ms {
        let slowest = self
            .faults
            .iter()
            .filter_map(|f| match f {
                Fault::SlowPayment { processing_ms, .. } => Some(*processing_ms),
                _ => None,
            })
            .fold(
                c.program.processing_ms + c.program.processing_jitter_ms,
                u64::max,
            );
        let retry = &c.program.retry;
        let attempts = (retry.attempts as u64).max(1);
        let backoff = retry
            .backoff_ms
            .saturating_mul((1u64 << attempts.min(21).saturating_sub(1)).saturating_sub(1));
        let records = (ClientPolicy::new(self.client).records_per_poll(c) as u64)
            .clamp(1, (self.topic.payments.count as u64).max(1));
        records.saturating_mul(slowest.saturating_mul(attempts).saturating_add(backoff))
    }

    /// Steps per poll for the batch-level steps (a commit or a transaction: request, answer).
    fn batch_steps(&self, c: &ConsumerSpec) -> u64 {
        let steps = c
            .program
            .before
            .iter()
            .chain(&c.program.after)
            .filter(|s| matches!(s, BatchStep::Commit { .. } | BatchStep::CommitTransaction))
            .count() as u64;
        // Java's auto-commit inside poll() is a commit per poll at most.
        let java_auto =
            !ClientPolicy::new(self.client).has_offset_store() && c.config.enable_auto_commit;
        2 * steps + 2 * java_auto as u64
    }
}

/// How many times something every `period_ms` recurs over `span_ms` (at least once).
fn every(span_ms: Ms, period_ms: u64) -> u64 {
    span_ms / period_ms.max(1) + 1
}

/// `24 h`, `90 min`, `45 s`: a span for reading.
fn span(ms: Ms) -> String {
    match ms {
        ms if ms >= 7_200_000 && ms.is_multiple_of(3_600_000) => format!("{} h", ms / 3_600_000),
        ms if ms >= 120_000 => format!("{} min", ms / 60_000),
        ms => format!("{} s", ms.div_ceil(1000)),
    }
}

/// `1 500 000`.
fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(ch);
    }
    out
}
