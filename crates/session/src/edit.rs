//! Edits the student makes to a scenario: settings, crash points, forks. Pure functions from a
//! scenario to a new scenario, so that every edit is data and every run stays reproducible.
//! They only touch what the student changed; the core validates the result.

use offset_lab_sim::scenario::{
    Action, ActionKind, BatchStep, ClientModel, CrashKind, CrashPoint, MessageStep, Program,
    Scenario,
};
use serde::{Deserialize, Serialize};

/// How and when the program commits, as the settings panel offers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CommitStrategy {
    /// No `commit()` call: only auto-commit (if on) moves the committed offset.
    NoCommit,
    /// `commit(message=msg)` after processing each payment, waiting for the answer.
    AfterEachSync,
    /// `commit(message=msg, asynchronous=True)` after processing each payment.
    AfterEachAsync,
    /// `commit()` once the whole batch is processed.
    AfterBatch,
    /// `commit()` right after `poll()`, before processing: at-most-once.
    BeforeProcessing,
    /// `store_offsets(msg)` after processing, with auto-commit doing the commits (B3).
    StoreAfterProcessing,
    /// Something else, written in the scenario file.
    Custom,
}

impl CommitStrategy {
    pub const CHOICES: [CommitStrategy; 6] = [
        CommitStrategy::NoCommit,
        CommitStrategy::AfterEachSync,
        CommitStrategy::AfterEachAsync,
        CommitStrategy::AfterBatch,
        CommitStrategy::BeforeProcessing,
        CommitStrategy::StoreAfterProcessing,
    ];

    pub fn key(self) -> &'static str {
        match self {
            CommitStrategy::NoCommit => "none",
            CommitStrategy::AfterEachSync => "after-each-sync",
            CommitStrategy::AfterEachAsync => "after-each-async",
            CommitStrategy::AfterBatch => "after-batch",
            CommitStrategy::BeforeProcessing => "before-processing",
            CommitStrategy::StoreAfterProcessing => "store-after-processing",
            CommitStrategy::Custom => "custom",
        }
    }

    pub fn from_key(key: &str) -> Option<CommitStrategy> {
        Self::CHOICES.into_iter().find(|s| s.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            CommitStrategy::NoCommit => "no commit() call",
            CommitStrategy::AfterEachSync => "commit(msg) after each payment (sync)",
            CommitStrategy::AfterEachAsync => "commit(msg) after each payment (async)",
            CommitStrategy::AfterBatch => "commit() after the batch",
            CommitStrategy::BeforeProcessing => "commit() before processing",
            CommitStrategy::StoreAfterProcessing => "store_offsets(msg) after processing",
            CommitStrategy::Custom => "custom (from the scenario)",
        }
    }

    /// Recognises the strategy of a program.
    pub fn of(p: &Program) -> CommitStrategy {
        let only_process = |steps: &[MessageStep]| steps == [MessageStep::Process];
        let sync_commit = [BatchStep::Commit {
            asynchronous: false,
        }];
        match (
            p.before.as_slice(),
            p.per_message.as_slice(),
            p.after.as_slice(),
        ) {
            ([], m, []) if only_process(m) => CommitStrategy::NoCommit,
            (
                [],
                [
                    MessageStep::Process,
                    MessageStep::Commit {
                        asynchronous: false,
                        message: true,
                        every: 1,
                        every_ms: 0,
                    },
                ],
                [],
            ) => CommitStrategy::AfterEachSync,
            (
                [],
                [
                    MessageStep::Process,
                    MessageStep::Commit {
                        asynchronous: true,
                        message: true,
                        every: 1,
                        every_ms: 0,
                    },
                ],
                [],
            ) => CommitStrategy::AfterEachAsync,
            ([], m, a) if only_process(m) && a == sync_commit => CommitStrategy::AfterBatch,
            (b, m, []) if only_process(m) && b == sync_commit => CommitStrategy::BeforeProcessing,
            ([], [MessageStep::Process, MessageStep::StoreOffsets], []) => {
                CommitStrategy::StoreAfterProcessing
            }
            _ => CommitStrategy::Custom,
        }
    }

    /// Gives consumer `c`'s program this strategy; storing after processing turns off
    /// `enable.auto.offset.store`, which `store_offsets()` needs (B3).
    pub fn apply_to(self, c: &mut offset_lab_sim::scenario::ConsumerSpec) {
        self.apply(&mut c.program);
        if self == CommitStrategy::StoreAfterProcessing {
            c.config.enable_auto_offset_store = false;
        }
    }

    fn apply(self, p: &mut Program) {
        let sync = BatchStep::Commit {
            asynchronous: false,
        };
        let (before, per_message, after) = match self {
            CommitStrategy::NoCommit => (vec![], vec![MessageStep::Process], vec![]),
            CommitStrategy::AfterEachSync => (
                vec![],
                vec![MessageStep::Process, MessageStep::commit(true, false)],
                vec![],
            ),
            CommitStrategy::AfterEachAsync => (
                vec![],
                vec![MessageStep::Process, MessageStep::commit(true, true)],
                vec![],
            ),
            CommitStrategy::AfterBatch => (vec![], vec![MessageStep::Process], vec![sync]),
            CommitStrategy::BeforeProcessing => (vec![sync], vec![MessageStep::Process], vec![]),
            CommitStrategy::StoreAfterProcessing => (
                vec![],
                vec![MessageStep::Process, MessageStep::StoreOffsets],
                vec![],
            ),
            CommitStrategy::Custom => return,
        };
        p.before = before;
        p.per_message = per_message;
        p.after = after;
    }
}

/// A setting of the settings panel. Each applies to every consumer of the scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Setting {
    EnableAutoCommit(bool),
    AutoCommitIntervalMs(u64),
    EnableAutoOffsetStore(bool),
    ProcessingMs(u64),
    /// `poll.max_messages` (librdkafka `consume(num_messages=n)`) and `max.poll.records` (Java).
    BatchSize(u32),
    Strategy(CommitStrategy),
    CloseInFinally(bool),
    Client(ClientModel),
    /// When the first payment is produced (`topic.payments.start_ms`): with one payment, this
    /// sets where in the auto-commit cycle `poll()` returns it (B5, F.1).
    FirstPaymentMs(u64),
}

/// The result of an edit: the new scenario and, when the edit had to change something else to
/// stay valid, a note for the student.
pub type Edited = (Scenario, Option<String>);

pub fn apply_setting(sc: &Scenario, setting: &Setting) -> Edited {
    let mut sc = sc.clone();
    let mut note = None;
    for c in &mut sc.consumers {
        match *setting {
            Setting::EnableAutoCommit(on) => c.config.enable_auto_commit = on,
            Setting::AutoCommitIntervalMs(ms) => c.config.auto_commit_interval_ms = ms,
            Setting::EnableAutoOffsetStore(on) => {
                c.config.enable_auto_offset_store = on;
                if on && c.program.per_message.contains(&MessageStep::StoreOffsets) {
                    // B3: store_offsets() with auto-store on raises _INVALID_ARG.
                    c.program
                        .per_message
                        .retain(|s| *s != MessageStep::StoreOffsets);
                    note = Some(
                        "store_offsets() was removed from the program: it needs enable.auto.offset.store=false (B3)."
                            .to_string(),
                    );
                }
            }
            Setting::ProcessingMs(ms) => c.program.processing_ms = ms,
            Setting::BatchSize(n) => {
                c.program.poll.max_messages = n;
                c.config.max_poll_records = n;
            }
            Setting::Strategy(s) => {
                s.apply(&mut c.program);
                if s == CommitStrategy::StoreAfterProcessing && c.config.enable_auto_offset_store {
                    c.config.enable_auto_offset_store = false;
                    note = Some(
                        "enable.auto.offset.store is now false: store_offsets() needs it, and then \
                         poll() stores nothing by itself (B2, B3)."
                            .to_string(),
                    );
                }
            }
            Setting::CloseInFinally(on) => c.program.close_in_finally = on,
            Setting::Client(_) | Setting::FirstPaymentMs(_) => {}
        }
    }
    match setting {
        Setting::Client(m) => sc.client = *m,
        Setting::FirstPaymentMs(ms) => sc.topic.payments.start_ms = *ms,
        _ => {}
    }
    (sc, note)
}

/// A fork: the student acts on a consumer at time `at_ms`. Appended to the scenario's actions.
pub fn add_action(sc: &Scenario, at_ms: u64, consumer: usize, act: ActionKind) -> Option<Scenario> {
    let name = sc.consumers.get(consumer)?.name.clone();
    let mut sc = sc.clone();
    sc.actions.push(Action {
        at_ms,
        consumer: name,
        act,
    });
    Some(sc)
}

pub fn remove_action(sc: &Scenario, ix: usize) -> Option<Scenario> {
    if ix >= sc.actions.len() {
        return None;
    }
    let mut sc = sc.clone();
    sc.actions.remove(ix);
    Some(sc)
}

pub fn add_crash_point(sc: &Scenario, consumer: usize, cp: CrashPoint) -> Option<Scenario> {
    let mut sc = sc.clone();
    sc.consumers.get_mut(consumer)?.crashes.push(cp);
    Some(sc)
}

pub fn remove_crash_point(sc: &Scenario, consumer: usize, ix: usize) -> Option<Scenario> {
    let mut sc = sc.clone();
    let crashes = &mut sc.consumers.get_mut(consumer)?.crashes;
    if ix >= crashes.len() {
        return None;
    }
    crashes.remove(ix);
    Some(sc)
}

/// The words a student reads for a crash kind (the Python program's).
pub fn crash_kind_label(k: CrashKind) -> &'static str {
    crash_kind_label_for(k, ClientModel::Librdkafka)
}

/// The words a student reads for a crash kind, in the client's language.
pub fn crash_kind_label_for(k: CrashKind, client: ClientModel) -> &'static str {
    match (k, client) {
        (CrashKind::Kill, _) => "kill -9 (nothing runs)",
        (CrashKind::SysExit, ClientModel::Librdkafka) => "sys.exit(1) without close()",
        (CrashKind::SysExit, ClientModel::Java) => "System.exit(1) without close()",
        (CrashKind::Close, _) => "exit through close()",
    }
}

pub fn crash_kind_short(k: CrashKind) -> &'static str {
    match k {
        CrashKind::Kill => "kill",
        CrashKind::SysExit => "sys.exit",
        CrashKind::Close => "close()",
    }
}

pub fn crash_kind_key(k: CrashKind) -> &'static str {
    match k {
        CrashKind::Kill => "kill",
        CrashKind::SysExit => "sys_exit",
        CrashKind::Close => "close",
    }
}

pub fn crash_kind_from_key(key: &str) -> Option<CrashKind> {
    [CrashKind::Kill, CrashKind::SysExit, CrashKind::Close]
        .into_iter()
        .find(|k| crash_kind_key(*k) == key)
}

/// Where a program-point crash fires, in words.
pub fn point_label(p: offset_lab_sim::scenario::ProgramPoint) -> &'static str {
    use offset_lab_sim::scenario::ProgramPoint;
    match p {
        ProgramPoint::AfterPoll => "right after poll() returns it",
        ProgramPoint::DuringProcessing => "while processing it, before it is recorded",
        ProgramPoint::AfterEffect => "after recording it, before anything else",
        ProgramPoint::AfterCommit => "after the commit that follows it",
        ProgramPoint::CommitInFlight => "while the commit request is in flight",
    }
}

/// A crash point in words: `on message 1, while processing it… · sys.exit(1) without close() · restart after 1 s`.
pub fn crash_point_label(cp: &CrashPoint) -> String {
    crash_point_label_for(cp, ClientModel::Librdkafka)
}

/// A crash point in words, in the client's language.
pub fn crash_point_label_for(cp: &CrashPoint, client: ClientModel) -> String {
    use offset_lab_sim::scenario::CrashWhen;
    let when = match cp.when() {
        CrashWhen::At(t) => format!("at {}", crate::view::clock(t)),
        CrashWhen::Point(p, k) => format!("on message {k}, {}", point_label(p)),
    };
    let restart = cp.restart_after_ms.map_or_else(
        || "no restart".to_string(),
        |ms| format!("restart after {}", crate::view::dur(ms)),
    );
    format!(
        "{when} · {} · {restart}",
        crash_kind_label_for(cp.kind, client)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use offset_lab_sim::preset;

    #[test]
    fn recognises_the_presets_strategies() {
        let s1 = preset("step1-autocommit-sleep7").unwrap();
        assert_eq!(
            CommitStrategy::of(&s1.consumers[0].program),
            CommitStrategy::NoCommit
        );
        let s2 = preset("step2-manual-commit").unwrap();
        assert_eq!(
            CommitStrategy::of(&s2.consumers[0].program),
            CommitStrategy::AfterEachSync
        );
    }

    #[test]
    fn every_strategy_round_trips_and_validates() {
        let sc = preset("step1-autocommit-sleep7").unwrap();
        for s in CommitStrategy::CHOICES {
            let (edited, _) = apply_setting(&sc, &Setting::Strategy(s));
            assert_eq!(CommitStrategy::of(&edited.consumers[0].program), s);
            edited.validate().unwrap_or_else(|e| panic!("{s:?}: {e}"));
        }
    }

    #[test]
    fn store_offsets_turns_auto_store_off_and_back() {
        // B3: store_offsets needs enable.auto.offset.store=false.
        let sc = preset("step1-autocommit-sleep7").unwrap();
        let (sc, note) = apply_setting(
            &sc,
            &Setting::Strategy(CommitStrategy::StoreAfterProcessing),
        );
        assert!(note.is_some());
        assert!(!sc.consumers[0].config.enable_auto_offset_store);
        let (sc, note) = apply_setting(&sc, &Setting::EnableAutoOffsetStore(true));
        assert!(note.is_some());
        assert_eq!(
            CommitStrategy::of(&sc.consumers[0].program),
            CommitStrategy::NoCommit
        );
        sc.validate().unwrap();
    }

    #[test]
    fn forks_and_crash_points_are_data() {
        let sc = preset("step1-autocommit-sleep7").unwrap();
        let forked = add_action(
            &sc,
            3000,
            0,
            ActionKind::Crash {
                kind: CrashKind::Kill,
            },
        )
        .unwrap();
        assert_eq!(forked.actions.len(), 1);
        assert_eq!(forked.actions[0].consumer, "consumer-1");
        assert!(add_action(&sc, 3000, 7, ActionKind::Restart).is_none());
        assert_eq!(remove_action(&forked, 0).unwrap().actions.len(), 0);
        assert!(remove_action(&forked, 1).is_none());
        let cp = CrashPoint {
            at_ms: Some(2000),
            point: None,
            message: None,
            kind: CrashKind::Kill,
            restart_after_ms: None,
        };
        let with = add_crash_point(&sc, 0, cp).unwrap();
        assert_eq!(with.consumers[0].crashes.len(), 2);
        assert_eq!(
            remove_crash_point(&with, 0, 0).unwrap().consumers[0]
                .crashes
                .len(),
            1
        );
        assert!(remove_crash_point(&with, 0, 5).is_none());
    }

    #[test]
    fn batch_size_sets_both_clients_knobs() {
        let sc = preset("step1-autocommit-sleep7").unwrap();
        let (sc, _) = apply_setting(&sc, &Setting::BatchSize(5));
        assert_eq!(sc.consumers[0].program.poll.max_messages, 5);
        assert_eq!(sc.consumers[0].config.max_poll_records, 5);
    }

    #[test]
    fn crash_words_follow_the_client() {
        assert_eq!(
            crash_kind_label_for(CrashKind::SysExit, ClientModel::Java),
            "System.exit(1) without close()"
        );
        let cp = CrashPoint {
            at_ms: Some(1500),
            point: None,
            message: None,
            kind: CrashKind::SysExit,
            restart_after_ms: None,
        };
        assert_eq!(
            crash_point_label_for(&cp, ClientModel::Librdkafka),
            "at 00:01.500 · sys.exit(1) without close() · no restart"
        );
    }

    #[test]
    fn crash_kind_keys_round_trip() {
        for k in [CrashKind::Kill, CrashKind::SysExit, CrashKind::Close] {
            assert_eq!(crash_kind_from_key(crash_kind_key(k)), Some(k));
        }
    }
}
