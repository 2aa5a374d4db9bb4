//! The same scenario under both client models, and the rule that explains a difference.
//!
//! Most of the lab's differences between librdkafka and the Java client come from one rule on
//! each side: librdkafka's auto-commit timer runs on a background thread, at any moment (B5);
//! the classic Java client auto-commits on the application's thread — inside `poll()`, before
//! a rebalance and in `close()` (D2, D3). The others: what a `sys.exit()` runs on the way out
//! (B13, D3), how much one poll returns (D6), and what a commit covers (B4, D1).

use crate::outcome::Summary;
use crate::scenario::{ActionKind, ClientModel, ConsumerSpec, CrashKind, Scenario};
use crate::timeline::Timeline;

/// One client's outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientRun {
    pub client: ClientModel,
    /// The run the comparison started from.
    pub current: bool,
    /// `Err`: this client cannot run the program (the reason).
    pub summary: Result<Summary, String>,
}

/// Why the two clients end differently, or why they do not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Difference {
    /// One client cannot run this program at all.
    CannotRun { client: ClientModel, reason: String },
    /// The same outcome; `auto_commit` when some consumer auto-commits (so the timing rules
    /// could have mattered and did not).
    Same { auto_commit: bool },
    /// B13 / D3: Python's `sys.exit()` runs the `finally` block, whose `close()` commits; Java's
    /// `System.exit()` skips it.
    ExitThroughFinally,
    /// B5 / D2: librdkafka's timer commits past a payment still being processed; Java commits
    /// only from the program's thread. `librdkafka_loses_more` when that costs librdkafka
    /// payments here.
    AutoCommitTiming { librdkafka_loses_more: bool },
    /// D6: one poll returns what the program asks for (librdkafka) or up to `max.poll.records`
    /// (Java).
    BatchSize { asked: u32, java: u32 },
    /// B4 / D1: a commit sends the stored offsets (librdkafka) or the position (Java).
    WhatACommitCovers,
}

impl Difference {
    /// The difference in one sentence naming its rules.
    pub fn text(&self) -> String {
        match self {
            Difference::CannotRun { client: ClientModel::Librdkafka, reason } => {
                format!("librdkafka cannot run this program: {reason}.")
            }
            Difference::CannotRun { client: ClientModel::Java, reason } => {
                format!("The Java client cannot run this program: {reason}.")
            }
            Difference::Same { auto_commit: true } => "The same outcome: here it makes no difference that librdkafka auto-commits from a background timer (B5) and Java only on the program's thread, inside poll() (D2).".into(),
            Difference::Same { auto_commit: false } => "The same outcome: with auto-commit off, both clients commit only when the program asks.".into(),
            Difference::ExitThroughFinally => "They differ at the exit: Python's sys.exit() runs the finally block, whose close() commits the payment in progress (B13); Java's System.exit() skips finally, so nothing is committed (D3).".into(),
            Difference::AutoCommitTiming { librdkafka_loses_more: true } => "librdkafka's auto-commit timer fires in a background thread, also while a payment is being processed, and commits past it (B5); Java auto-commits on the program's own thread — inside the next poll(), after the program has finished what the last one returned (D2), or before a rebalance and in close() (D3).".into(),
            Difference::AutoCommitTiming { librdkafka_loses_more: false } => "They differ in when auto-commit runs: librdkafka on a background timer, at any moment (B5); Java only on the program's thread: inside poll(), before a rebalance, and in close() (D2, D3).".into(),
            Difference::BatchSize { asked, java } => {
                let asked = if *asked == 1 { "one message".to_string() } else { format!("{asked} messages") };
                format!("They differ in how much a poll returns: librdkafka {asked} at a time, as the program asks, Java up to max.poll.records = {java} at once (D6), so a crash or a commit finds each at a different point of the stream.")
            }
            Difference::WhatACommitCovers => "They differ in what a commit covers: librdkafka commits the stored offsets (B4, B6), Java the position poll() has reached (D1, D4).".into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comparison {
    /// librdkafka first, then Java.
    pub rows: [ClientRun; 2],
    pub difference: Difference,
}

fn other(c: ClientModel) -> ClientModel {
    match c {
        ClientModel::Librdkafka => ClientModel::Java,
        ClientModel::Java => ClientModel::Librdkafka,
    }
}

/// Runs the scenario of `tl` under the other client too (one more simulation) and explains the
/// difference, looking at every consumer.
pub fn compare_clients(tl: &Timeline) -> Comparison {
    let sc: &Scenario = &tl.scenario;
    let mut alt = sc.clone();
    alt.client = other(sc.client);
    let there = ClientRun {
        client: alt.client,
        current: false,
        summary: Timeline::new(alt)
            .map(|t| t.final_world.summary())
            .map_err(|e| e.to_string()),
    };
    let here = ClientRun {
        client: sc.client,
        current: true,
        summary: Ok(tl.final_world.summary()),
    };
    let rows = if sc.client == ClientModel::Librdkafka {
        [here, there]
    } else {
        [there, here]
    };
    let difference = difference(sc, &rows[0].summary, &rows[1].summary);
    Comparison { rows, difference }
}

/// Does consumer `c` end with `sys.exit()` (a crash point, or a user's crash action)?
fn exits(sc: &Scenario, c: &ConsumerSpec) -> bool {
    c.crashes.iter().any(|cp| cp.kind == CrashKind::SysExit)
        || sc.actions.iter().any(|a| {
            a.consumer == c.name
                && matches!(
                    a.act,
                    ActionKind::Crash {
                        kind: CrashKind::SysExit
                    }
                )
        })
}

fn difference(
    sc: &Scenario,
    rdkafka: &Result<Summary, String>,
    java: &Result<Summary, String>,
) -> Difference {
    let (r, j) = match (rdkafka, java) {
        (Ok(r), Ok(j)) => (r, j),
        (Err(e), _) => {
            return Difference::CannotRun {
                client: ClientModel::Librdkafka,
                reason: e.clone(),
            };
        }
        (_, Err(e)) => {
            return Difference::CannotRun {
                client: ClientModel::Java,
                reason: e.clone(),
            };
        }
    };
    let auto = sc.consumers.iter().any(|c| c.config.enable_auto_commit);
    if r == j {
        return Difference::Same { auto_commit: auto };
    }
    let finally_exit = sc
        .consumers
        .iter()
        .any(|c| c.config.enable_auto_commit && c.program.close_in_finally && exits(sc, c));
    // librdkafka's poll() returns what the program asks for; Java's up to max.poll.records.
    let batch = sc
        .consumers
        .iter()
        .map(|c| (c.program.poll.max_messages, c.config.max_poll_records))
        .find(|(asked, java)| java > asked);
    if finally_exit {
        Difference::ExitThroughFinally
    } else if auto {
        Difference::AutoCommitTiming {
            librdkafka_loses_more: r.lost > j.lost,
        }
    } else if let Some((asked, java)) = batch {
        Difference::BatchSize { asked, java }
    } else {
        Difference::WhatACommitCovers
    }
}
