//! Kafka's numbers, each its own type: a partition is not an offset, and neither is a payment.

use serde::{Deserialize, Serialize};

/// A partition of the topic, 0-based.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Partition(pub u32);

/// An offset in a partition: the position of a record, or — committed, stored, `position()` —
/// the next record to read (A1, A2). [`Offset::INVALID`] (−1001) where there is none.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Offset(pub i64);

/// Offsets of partitions, as a commit carries them.
pub type Offsets = Vec<(Partition, Offset)>;

impl Partition {
    /// For indexing per-partition tables.
    pub fn ix(self) -> usize {
        self.0 as usize
    }
}

impl Offset {
    /// librdkafka's `RD_KAFKA_OFFSET_INVALID`: no offset (B8, B9).
    pub const INVALID: Offset = Offset(-1001);

    /// A real offset (not INVALID nor another negative marker).
    pub fn is_valid(self) -> bool {
        self.0 >= 0
    }

    /// The offset after this record's: what committing it means (A1).
    pub fn next(self) -> Offset {
        Offset(self.0 + 1)
    }
}

impl std::fmt::Display for Partition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::fmt::Display for Offset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

// Debug prints the bare number, as Display does: a list of partitions reads `[0, 1]` in traces
// and test failures, exactly as it did when these were plain integers.
impl std::fmt::Debug for Partition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::fmt::Debug for Offset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}
