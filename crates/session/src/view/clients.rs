//! The same program under both client models, side by side: the run on screen, and the same
//! scenario run again with the other client. Most of the lab's differences come from one rule
//! each side: librdkafka's auto-commit timer runs in a background thread, at any moment (B5);
//! the classic Java client auto-commits on the application's thread: inside `poll()`, before a
//! rebalance and in `close()` (D2, D3).

use offset_lab_sim::scenario::{ActionKind, ClientModel, CrashKind};
use offset_lab_sim::{Scenario, Summary, Timeline};
use serde::{Deserialize, Serialize};

use crate::edit::{Setting, apply_setting};

/// One client's outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClientOutcome {
    pub client: ClientModel,
    /// The run on screen.
    pub current: bool,
    /// `Err`: this client cannot run the program (the reason).
    pub summary: Result<Summary, String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClientsVm {
    /// librdkafka first, then Java.
    pub rows: [ClientOutcome; 2],
    /// Why they differ (or why they do not), in one sentence naming the rules.
    pub why: String,
}

pub fn client_name(c: ClientModel) -> &'static str {
    match c {
        ClientModel::Librdkafka => "librdkafka (Python)",
        ClientModel::Java => "Java KafkaConsumer",
    }
}

fn other(c: ClientModel) -> ClientModel {
    match c {
        ClientModel::Librdkafka => ClientModel::Java,
        ClientModel::Java => ClientModel::Librdkafka,
    }
}

/// Runs the scenario of `tl` under the other client too (one more simulation).
pub fn compare(tl: &Timeline) -> ClientsVm {
    let sc: &Scenario = &tl.scenario;
    let (alt, _) = apply_setting(sc, &Setting::Client(other(sc.client)));
    let alt_summary = Timeline::new(alt)
        .map(|t| t.final_world.summary())
        .map_err(|e| e.to_string());
    let here = ClientOutcome {
        client: sc.client,
        current: true,
        summary: Ok(tl.final_world.summary()),
    };
    let there = ClientOutcome {
        client: other(sc.client),
        current: false,
        summary: alt_summary,
    };
    let rows = if sc.client == ClientModel::Librdkafka {
        [here, there]
    } else {
        [there, here]
    };
    let why = why(sc, &rows[0].summary, &rows[1].summary);
    ClientsVm { rows, why }
}

/// Whether the scenario ends a consumer with `sys.exit()`/`System.exit()` (a crash point or a
/// "crash now").
fn exits(sc: &Scenario) -> bool {
    sc.consumers
        .iter()
        .any(|c| c.crashes.iter().any(|cp| cp.kind == CrashKind::SysExit))
        || sc.actions.iter().any(|a| {
            matches!(
                a.act,
                ActionKind::Crash {
                    kind: CrashKind::SysExit
                }
            )
        })
}

fn why(sc: &Scenario, rdkafka: &Result<Summary, String>, java: &Result<Summary, String>) -> String {
    let (r, j) = match (rdkafka, java) {
        (Ok(r), Ok(j)) => (r, j),
        (Err(e), _) => return format!("librdkafka cannot run this program: {e}."),
        (_, Err(e)) => return format!("The Java client cannot run this program: {e}."),
    };
    let auto = sc
        .consumers
        .first()
        .is_some_and(|c| c.config.enable_auto_commit);
    let finally = sc
        .consumers
        .first()
        .is_some_and(|c| c.program.close_in_finally);
    // librdkafka's poll() returns what the program asks for; Java's up to max.poll.records.
    let batches = sc
        .consumers
        .first()
        .map(|c| (c.program.poll.max_messages, c.config.max_poll_records));
    if r == j {
        return if auto {
            "The same outcome: here it makes no difference that librdkafka auto-commits from \
             a background timer (B5) and Java only on the program's thread, inside poll() (D2)."
                .into()
        } else {
            "The same outcome: with auto-commit off, both clients commit only when the program asks.".into()
        };
    }
    if auto && finally && exits(sc) {
        "They differ at the exit: Python's sys.exit() runs the finally block, whose close() \
         commits the payment in progress (B13); \
         Java's System.exit() skips finally, so nothing is committed (D3)."
            .into()
    } else if auto && r.lost > j.lost {
        "librdkafka's auto-commit timer fires in a background thread, also while a payment is \
         being processed, and commits past it (B5); Java auto-commits on the program's own thread — \
         inside the next poll(), after the program has finished what the last one returned (D2), \
         or before a rebalance and in close() (D3).".into()
    } else if auto {
        "They differ in when auto-commit runs: librdkafka on a background timer, at any moment (B5); \
         Java only on the program's thread: inside poll(), before a rebalance, and in close() (D2, D3).".into()
    } else if let Some((asked, java)) = batches.filter(|(asked, java)| java > asked) {
        let asked = if asked == 1 {
            "one message".to_string()
        } else {
            format!("{asked} messages")
        };
        format!(
            "They differ in how much a poll returns: librdkafka {asked} at a time, as the program asks, \
             Java up to max.poll.records = {java} at once (D6), \
             so a crash or a commit finds each at a different point of the stream."
        )
    } else {
        "They differ in what a commit covers: librdkafka commits the stored offsets (B4, B6), \
         Java the position poll() has reached (D1, D4)."
            .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::test_util::timeline;

    #[test]
    fn step1_loses_under_librdkafka_and_not_under_java() {
        let vm = compare(&timeline("step1-autocommit-sleep7"));
        assert_eq!(vm.rows[0].client, ClientModel::Librdkafka);
        assert!(vm.rows[0].current && !vm.rows[1].current);
        let (r, j) = (
            vm.rows[0].summary.clone().unwrap(),
            vm.rows[1].summary.clone().unwrap(),
        );
        assert_eq!(r.lost, 1);
        assert_eq!(j.lost, 0, "D2: Java commits only inside poll()");
        assert!(
            vm.why.contains("(B5)") && vm.why.contains("(D2)"),
            "{}",
            vm.why
        );
    }

    #[test]
    fn the_java_preset_lists_librdkafka_first_and_is_the_current_row_second() {
        let vm = compare(&timeline("java-autocommit-sleep7"));
        assert_eq!(vm.rows[0].client, ClientModel::Librdkafka);
        assert!(vm.rows[1].current);
        assert_eq!(vm.rows[1].summary.as_ref().unwrap().lost, 0);
    }

    #[test]
    fn with_auto_commit_off_a_difference_in_batches_is_named() {
        // Step 2 with a second crash: Java's poll() took all five payments at once (D6).
        let mut sc = offset_lab_sim::preset("step2-manual-commit").unwrap();
        let mut cp = sc.consumers[0].crashes[0].clone();
        cp.message = Some(3);
        cp.point = Some(offset_lab_sim::scenario::ProgramPoint::DuringProcessing);
        sc.consumers[0].crashes.push(cp);
        let vm = compare(&Timeline::new(sc).unwrap());
        assert_ne!(vm.rows[0].summary, vm.rows[1].summary);
        assert!(
            vm.why.contains("one message at a time")
                && vm.why.contains("max.poll.records = 500")
                && vm.why.contains("(D6)"),
            "{}",
            vm.why
        );
    }

    #[test]
    fn every_preset_compares_and_explains() {
        for (name, _) in crate::scenarios::choices() {
            let vm = compare(&timeline(&name));
            assert!(!vm.why.is_empty(), "{name}");
            assert!(vm.why.ends_with('.'), "{name}: {}", vm.why);
        }
        let same = compare(&timeline("step2-manual-commit"));
        assert!(
            same.why.starts_with("The same outcome") || same.why.starts_with("They differ"),
            "{}",
            same.why
        );
    }
}
