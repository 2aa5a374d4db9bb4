//! Where processed payments land: a ledger (plain or idempotent), a database that stores the
//! offsets with the results (E4), or a `refunds` topic (plain, or written in transactions:
//! E1–E3). The sink counts how often each payment's effect is visible, which decides its
//! verdict.

use crate::Ms;
use crate::chunked::Chunked;
use crate::group::INVALID_OFFSET;
use crate::ids::Offset;
use crate::log::Log;
use crate::scenario::{SinkKind, SinkSpec};
use crate::trace::EventKind;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputState {
    /// In an open transaction: invisible to read_committed readers (E2).
    Open,
    Committed,
    Aborted,
}

/// A record of the `refunds` topic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Output {
    pub payment: u32,
    pub consumer: usize,
    pub at_ms: Ms,
    pub state: OutputState,
}

/// A record of the dead-letter topic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeadLetter {
    pub payment: u32,
    pub consumer: usize,
    pub at_ms: Ms,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sink {
    pub kind: SinkKind,
    /// Does the downstream reader of the refunds topic read committed records only (E2)?
    pub read_committed: bool,
    /// How many times each payment's effect is visible in the sink (for the refunds topic:
    /// to the downstream reader).
    pub applied: Chunked<u32>,
    /// How many times processing each payment completed and handed it to the sink.
    pub deliveries: Chunked<u32>,
    /// E4: the next offset per partition, written by the database with the results.
    pub db_offsets: Vec<Offset>,
    /// The `refunds` topic, for the refunds-topic and transactional sinks.
    pub outputs: Vec<Output>,
    /// The dead-letter topic.
    pub dead_letters: Vec<DeadLetter>,
    /// Payments the program skipped on purpose.
    pub skipped: Chunked<bool>,
    /// E1: the outputs of each consumer's open transaction.
    pub open_txn: Vec<Vec<usize>>,
}

impl Sink {
    pub fn new(spec: &SinkSpec, payments: usize, partitions: usize, consumers: usize) -> Sink {
        Sink {
            kind: spec.kind,
            read_committed: spec.read_committed,
            applied: Chunked::filled(0, payments),
            deliveries: Chunked::filled(0, payments),
            db_offsets: vec![INVALID_OFFSET; partitions],
            outputs: Vec::new(),
            dead_letters: Vec::new(),
            skipped: Chunked::filled(false, payments),
            open_txn: vec![Vec::new(); consumers],
        }
    }

    /// Handled without an effect: skipped or dead-lettered on purpose.
    pub fn handled(&self, payment: u32) -> bool {
        self.skipped[payment as usize] || self.dead_letters.iter().any(|d| d.payment == payment)
    }

    /// Consumer `c` finished processing `payment`: its effect reaches the sink.
    pub fn apply(&mut self, c: usize, payment: u32, now: Ms, log: &Log, ev: &mut Vec<EventKind>) {
        let ix = payment as usize;
        *self.deliveries.get_mut(ix) += 1;
        let deliveries = self.deliveries[ix];
        match self.kind {
            SinkKind::Ledger => self.count_effect(payment, ev),
            SinkKind::Idempotent => {
                if self.applied[ix] == 0 {
                    self.count_effect(payment, ev);
                } else {
                    ev.push(EventKind::EffectDeduplicated {
                        payment,
                        deliveries,
                    });
                }
            }
            SinkKind::Database => {
                // E4: one transaction writes the result and the next offset. A payment below
                // the stored offset is already in the database (a zombie or a redelivery).
                let p = log.payment(payment);
                let (partition, next) = (p.partition, p.offset.next());
                if next > self.db_offsets[partition.ix()] {
                    self.db_offsets[partition.ix()] = next;
                    self.count_effect(payment, ev);
                    ev.push(EventKind::DbOffsetWritten {
                        partition,
                        offset: next,
                    });
                } else {
                    ev.push(EventKind::EffectDeduplicated {
                        payment,
                        deliveries,
                    });
                }
            }
            SinkKind::RefundsTopic => {
                self.outputs.push(Output {
                    payment,
                    consumer: c,
                    at_ms: now,
                    state: OutputState::Committed,
                });
                ev.push(EventKind::OutputProduced {
                    payment,
                    transactional: false,
                });
                self.count_effect(payment, ev);
            }
            SinkKind::Transactional => {
                self.open_txn[c].push(self.outputs.len());
                self.outputs.push(Output {
                    payment,
                    consumer: c,
                    at_ms: now,
                    state: OutputState::Open,
                });
                ev.push(EventKind::OutputProduced {
                    payment,
                    transactional: true,
                });
                if !self.read_committed {
                    // E2: a read_uncommitted reader sees it now, even if it is aborted later.
                    self.count_effect(payment, ev);
                }
            }
        }
    }

    fn count_effect(&mut self, payment: u32, ev: &mut Vec<EventKind>) {
        let n = self.applied.get_mut(payment as usize);
        *n += 1;
        let count = *n;
        ev.push(EventKind::EffectApplied { payment, count });
    }

    /// The program skipped the payment on purpose.
    pub fn skip(&mut self, payment: u32, log: &Log, ev: &mut Vec<EventKind>) {
        *self.skipped.get_mut(payment as usize) = true;
        ev.push(EventKind::PaymentSkipped { payment });
        self.handled_without_effect(payment, log, ev);
    }

    /// The program published the payment to the dead-letter topic.
    pub fn dead_letter(
        &mut self,
        c: usize,
        payment: u32,
        now: Ms,
        log: &Log,
        ev: &mut Vec<EventKind>,
    ) {
        self.dead_letters.push(DeadLetter {
            payment,
            consumer: c,
            at_ms: now,
        });
        ev.push(EventKind::DeadLettered { payment });
        self.handled_without_effect(payment, log, ev);
    }

    /// The database sink records a skipped or dead-lettered payment's offset too (E4), so
    /// that it is not retried forever.
    fn handled_without_effect(&mut self, payment: u32, log: &Log, ev: &mut Vec<EventKind>) {
        if self.kind == SinkKind::Database {
            let p = log.payment(payment);
            let (partition, next) = (p.partition, p.offset.next());
            if next > self.db_offsets[partition.ix()] {
                self.db_offsets[partition.ix()] = next;
                ev.push(EventKind::DbOffsetWritten {
                    partition,
                    offset: next,
                });
            }
        }
    }

    /// E1: the outputs of `c`'s open transaction go with its `commit_transaction()`.
    pub fn take_open(&mut self, c: usize) -> Vec<usize> {
        std::mem::take(&mut self.open_txn[c])
    }

    /// E1, E2: the transaction committed: its outputs become visible to read_committed readers.
    pub fn commit_outputs(&mut self, outputs: &[usize], ev: &mut Vec<EventKind>) {
        for &i in outputs {
            self.outputs[i].state = OutputState::Committed;
            if self.read_committed {
                let payment = self.outputs[i].payment;
                self.count_effect(payment, ev);
            }
        }
    }

    /// E1: these outputs' transaction will never commit.
    pub fn abort_outputs(&mut self, outputs: &[usize]) {
        for &i in outputs {
            self.outputs[i].state = OutputState::Aborted;
        }
    }

    /// The producer of consumer `c` died with its transaction open: it never commits (E1).
    pub fn producer_died(&mut self, c: usize, ev: &mut Vec<EventKind>) {
        let open = self.take_open(c);
        if open.is_empty() {
            return;
        }
        self.abort_outputs(&open);
        ev.push(EventKind::TransactionAborted {
            outputs: open.len() as u32,
            producer_died: true,
        });
    }
}
