//! The messages between a consumer client and the broker's group coordinator: requests on the
//! client's coordinator connection (A5) and their answers.

use crate::ids::{Offsets, Partition};
use crate::trace::{CommitSource, KafkaError};

/// A request from a client to the coordinator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// JoinGroup: as a new member (`None`) or again; `owned` is what a cooperative member
    /// still holds (KIP-429).
    Join {
        member: Option<u32>,
        owned: Vec<Partition>,
    },
    Sync {
        member: u32,
        generation: i32,
    },
    Heartbeat {
        member: u32,
        generation: i32,
    },
    Leave {
        member: u32,
    },
    /// OffsetCommit (C1).
    Commit {
        id: u32,
        source: CommitSource,
        member: Option<u32>,
        generation: i32,
        offsets: Offsets,
    },
    /// OffsetFetch: the committed offsets of these partitions (B9).
    OffsetFetch {
        partitions: Vec<Partition>,
    },
    /// E1: `send_offsets_to_transaction` + `commit_transaction` for these outputs (indices into
    /// the sink's refunds topic).
    TxnCommit {
        id: u32,
        member: Option<u32>,
        generation: i32,
        offsets: Offsets,
        outputs: Vec<usize>,
    },
}

/// An answer to a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Response {
    Join(Result<(u32, i32), KafkaError>),
    Sync(Result<(i32, Vec<Partition>), KafkaError>),
    Heartbeat(Option<KafkaError>),
    Commit {
        id: u32,
        result: Result<(), KafkaError>,
    },
    OffsetFetch(Offsets),
    /// E4: the offsets read from the database in `on_assign`.
    DbOffsets(Offsets),
    /// E1: the end of `commit_transaction()`.
    Txn {
        id: u32,
        result: Result<(), KafkaError>,
    },
    Leave,
}
