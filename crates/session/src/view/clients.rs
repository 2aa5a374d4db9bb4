//! The same program under both client models, side by side: the run on screen, and the same
//! scenario run again with the other client. Most of the lab's differences come from one rule
//! each side: librdkafka's auto-commit timer runs in a background thread, at any moment (B5);
//! the classic Java client auto-commits on the application's thread: inside `poll()`, before a
//! rebalance and in `close()` (D2, D3).

use offset_lab_sim::scenario::ClientModel;
use offset_lab_sim::{Summary, Timeline};
use serde::{Deserialize, Serialize};

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

/// The same scenario under the other client too (one more simulation): the core's comparison
/// (`offset_lab_sim::compare`), which also names the rule that explains the difference.
pub fn compare(tl: &Timeline) -> ClientsVm {
    let c = offset_lab_sim::compare::compare_clients(tl);
    let [a, b] = c.rows;
    let row = |r: offset_lab_sim::compare::ClientRun| ClientOutcome {
        client: r.client,
        current: r.current,
        summary: r.summary,
    };
    ClientsVm {
        rows: [row(a), row(b)],
        why: c.difference.text(),
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
