//! The topic log: every payment record, where it lives and when it is produced.
//!
//! The log is computed once from the scenario and never changes during a run (production over
//! time is expressed by each record's `produced_at_ms`), so checkpoints share it instead of
//! copying it.

use crate::Ms;
use crate::ids::{Offset, Partition};
use crate::partitioner::partition_for_key;
use crate::rng::SimRng;
use crate::scenario::Scenario;

/// A payment carried by one record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payment {
    /// 1-based payment number; shown as `P-0001`.
    pub number: u32,
    pub partition: Partition,
    pub offset: Offset,
    /// `customer-N` when the scenario produces keyed records.
    pub key: Option<String>,
    pub amount_cents: u32,
    /// Carries invalid data: processing it fails permanently.
    pub invalid: bool,
    pub produced_at_ms: Ms,
}

impl Payment {
    pub fn id(&self) -> String {
        payment_id(self.number)
    }
}

/// `P-0001` for payment 1.
pub fn payment_id(number: u32) -> String {
    format!("P-{number:04}")
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Log {
    pub topic: String,
    pub payments: Vec<Payment>,
    /// For each partition, the payment index at each offset.
    pub partitions: Vec<Vec<u32>>,
}

impl Log {
    pub fn build(sc: &Scenario, rng: &mut SimRng) -> Log {
        let spec = &sc.topic.payments;
        let n_parts = sc.topic.partitions.max(1);
        let mut partitions: Vec<Vec<u32>> = vec![Vec::new(); n_parts as usize];
        let mut payments = Vec::with_capacity(spec.count as usize);
        let partitioner = sc.partitioner();
        // Looked up once per payment: a set, not the list (which may repeat a number).
        let mut invalid = vec![false; spec.count as usize + 1];
        for &n in &spec.invalid {
            if let Some(slot) = invalid.get_mut(n as usize) {
                *slot = true;
            }
        }
        for i in 0..spec.count {
            let number = i + 1;
            // The customers take turns, so that the exported producer writes the same keys.
            let key = spec
                .keyed
                .then(|| format!("customer-{}", i % spec.customers.max(1) + 1));
            let partition = match &key {
                Some(k) => partition_for_key(partitioner, k.as_bytes(), n_parts),
                None => i % n_parts,
            };
            let amount_cents = 100 + rng.below(50_000) as u32;
            let list = &mut partitions[partition as usize];
            let offset = Offset(list.len() as i64);
            list.push(i);
            payments.push(Payment {
                number,
                partition: Partition(partition),
                offset,
                key,
                amount_cents,
                invalid: invalid[number as usize],
                produced_at_ms: spec
                    .start_ms
                    .saturating_add(spec.interval_ms.saturating_mul(i as u64)),
            });
        }
        Log {
            topic: sc.topic.name.clone(),
            payments,
            partitions,
        }
    }

    pub fn partition_count(&self) -> u32 {
        self.partitions.len() as u32
    }

    /// The payment at `offset` of `partition`, if there is one.
    pub fn at(&self, partition: Partition, offset: Offset) -> Option<u32> {
        if !offset.is_valid() {
            return None;
        }
        self.partitions
            .get(partition.ix())?
            .get(offset.0 as usize)
            .copied()
    }

    pub fn payment(&self, ix: u32) -> &Payment {
        &self.payments[ix as usize]
    }

    /// The log end offset of a partition at `now`: one past the last record produced by then.
    pub fn log_end_offset(&self, partition: Partition, now: Ms) -> Offset {
        let Some(list) = self.partitions.get(partition.ix()) else {
            return Offset(0);
        };
        // Records are produced in offset order, so the produced ones are a prefix.
        Offset(list.partition_point(|&ix| self.payments[ix as usize].produced_at_ms <= now) as i64)
    }

    /// The full length of a partition (all records, produced or not yet).
    pub fn len(&self, partition: Partition) -> Offset {
        self.partitions
            .get(partition.ix())
            .map_or(Offset(0), |l| Offset(l.len() as i64))
    }
}
