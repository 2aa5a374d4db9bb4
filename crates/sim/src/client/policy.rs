//! Every way the two client models differ, in one place, each named after its rule: librdkafka
//! as confluent-kafka-python uses it (B*), and the classic Java `KafkaConsumer` (D*). Nothing
//! else in the client asks which library it is.

use crate::ids::Offsets;
use crate::scenario::{ClientModel, ConsumerConfig, ConsumerSpec, Partitioner, Program};
use crate::trace::CommitSource;

use super::{Client, positions, stored_to_commit};

/// The client library a consumer runs, as the rules it follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientPolicy {
    pub model: ClientModel,
}

/// Where automatic commits come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AutoCommitRuns {
    /// B5: librdkafka's timer, on its own thread, from construction, whatever the program does.
    OnBackgroundTimer,
    /// D2: Java's deadline, checked inside `poll()` on the program's thread.
    InsidePoll,
}

impl ClientPolicy {
    pub fn new(model: ClientModel) -> ClientPolicy {
        ClientPolicy { model }
    }

    fn java(self) -> bool {
        self.model == ClientModel::Java
    }

    /// B5 / D2: where auto-commit runs.
    pub fn auto_commit_runs(self) -> AutoCommitRuns {
        if self.java() {
            AutoCommitRuns::InsidePoll
        } else {
            AutoCommitRuns::OnBackgroundTimer
        }
    }

    /// B4 / D1: what an offset-less commit sends — the stored offsets greater than the last
    /// commit (librdkafka), or the positions of everything `poll()` returned (Java).
    pub fn offsets_to_commit(self, cl: &Client) -> Offsets {
        if self.java() {
            positions(cl)
        } else {
            stored_to_commit(cl)
        }
    }

    /// B2 / D1: does `poll()` move what the next commit sends? librdkafka stores each returned
    /// offset when `enable.auto.offset.store` is on; Java commits positions, which `poll()`
    /// always moves.
    pub fn poll_moves_commit_point(self, auto_offset_store: bool) -> bool {
        self.java() || auto_offset_store
    }

    /// B2 / D1: librdkafka has an offset store whose updates the trace shows; Java has none.
    pub fn has_offset_store(self) -> bool {
        !self.java()
    }

    /// B13 / D3: does an exit by `sys.exit()` run the program's `finally` block? Python's
    /// `SystemExit` unwinds through it; Java's `System.exit` runs no `finally` at all.
    pub fn exit_runs_finally(self) -> bool {
        !self.java()
    }

    /// B7 / D4 / D5: is a commit that failed with a retriable error sent again? librdkafka
    /// retries them all; Java retries `commitSync` (and its own synchronous commits before a
    /// rebalance and in `close()`), never `commitAsync`.
    pub fn retries_failed_commit(self, source: CommitSource, sync: bool) -> bool {
        !self.java() || sync || matches!(source, CommitSource::Close | CommitSource::Revoke)
    }

    /// B6 / D6: how many records one `poll()` / `consume()` returns at most: the program's
    /// `num_messages` (librdkafka), `max.poll.records` (Java).
    pub fn records_per_poll(self, spec: &ConsumerSpec) -> usize {
        self.records_per_poll_of(&spec.config, &spec.program)
    }

    /// [`ClientPolicy::records_per_poll`] of a configuration and a program.
    pub fn records_per_poll_of(self, config: &ConsumerConfig, program: &Program) -> usize {
        if self.java() {
            config.max_poll_records as usize
        } else {
            program.poll.max_messages as usize
        }
    }

    /// B8 / D1: where `position()` stands after `seek()`. librdkafka resets it to INVALID until
    /// a message is returned (and leaves the stored offset alone); Java sets the position to the
    /// offset sought, and that position is what its commits take.
    pub fn seek_sets_position(self) -> bool {
        self.java()
    }

    /// B10.3 / D3: is the commit on revoke synchronous? Java's (with auto-commit on) is, and so
    /// is a program's own commit in `on_revoke`; librdkafka's own commit on revoke is
    /// asynchronous, and the rejoin waits for it (B10.4).
    pub fn revoke_commit_is_sync(self, program_commits: bool) -> bool {
        self.java() || program_commits
    }

    /// B14: librdkafka refuses to construct a consumer whose `max.poll.interval.ms` is below its
    /// `session.timeout.ms` ("`max.poll.interval.ms` must be >= `session.timeout.ms`",
    /// `rd_kafka_conf_finalize`); the Java client has no such check.
    pub fn max_poll_must_cover_session(self) -> bool {
        !self.java()
    }

    /// Where the scenario's producer puts a keyed payment by default: librdkafka's
    /// `consistent_random` (CRC-32 of the key), the Java producer's murmur2.
    pub fn default_partitioner(self) -> Partitioner {
        if self.java() {
            Partitioner::Murmur2Random
        } else {
            Partitioner::ConsistentRandom
        }
    }

    /// D2: Java's auto-commit deadline starts again after each successful join ("reschedule the
    /// auto commit starting from now"); librdkafka's timer keeps its phase from construction.
    pub fn auto_commit_restarts_on_assign(self) -> bool {
        self.java()
    }
}
