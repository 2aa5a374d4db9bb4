//! The golden-trace line format (`docs/trace-format.md`): one compact line per event, and a
//! hash of a whole trace.

use super::*;
use crate::ids::{Offset, Partition};
use crate::log::payment_id;

fn source_text(s: CommitSource) -> &'static str {
    match s {
        CommitSource::Auto => "auto",
        CommitSource::Manual => "manual",
        CommitSource::Revoke => "revoke",
        CommitSource::Close => "close",
    }
}

fn kind_text(k: CrashKind) -> &'static str {
    match k {
        CrashKind::Kill => "kill",
        CrashKind::SysExit => "sys.exit",
        CrashKind::Close => "close",
    }
}

/// `12.345s` for 12345 ms.
pub fn fmt_ms(ms: Ms) -> String {
    format!("{}.{:03}s", ms / 1000, ms % 1000)
}

impl TraceEvent {
    /// One compact line: the golden-trace format (see `docs/trace-format.md`).
    pub fn line(&self) -> String {
        use std::fmt::Write;
        let mut s = String::with_capacity(48);
        let _ = write!(s, "{:>10} ", fmt_ms(self.at_ms));
        match self.consumer {
            Some(c) => {
                let _ = write!(s, "c{c} ");
            }
            None => s.push_str("broker "),
        }
        s.push_str(self.kind.name());
        let offs = |s: &mut String, o: &[(Partition, Offset)]| {
            for (p, off) in o {
                let _ = write!(s, " p{p}={off}");
            }
        };
        match &self.kind {
            EventKind::Constructed { incarnation } => {
                let _ = write!(s, " #{incarnation}");
            }
            EventKind::JoinSent { member } => {
                if let Some(m) = member {
                    let _ = write!(s, " m{m}");
                }
            }
            EventKind::RebalanceStarted { generation, reason } => {
                let _ = write!(s, " gen={generation} {reason:?}");
            }
            EventKind::GenerationStarted {
                generation,
                members,
            } => {
                let _ = write!(s, " gen={generation} members={members:?}");
            }
            EventKind::Joined { member, generation } => {
                let _ = write!(s, " m{member} gen={generation}");
            }
            EventKind::GroupStable { generation } => {
                let _ = write!(s, " gen={generation}");
            }
            EventKind::Assigned { partitions }
            | EventKind::Revoked {
                partitions,
                lost: false,
            } => {
                let _ = write!(s, " {partitions:?}");
            }
            EventKind::Revoked {
                partitions,
                lost: true,
            } => {
                let _ = write!(s, " {partitions:?} lost");
            }
            EventKind::StartOffset {
                partition,
                offset,
                from,
            } => {
                let from = match from {
                    StartFrom::Committed => "committed",
                    StartFrom::Reset => "reset",
                    StartFrom::Database => "database",
                };
                let _ = write!(s, " p{partition}={offset} {from}");
            }
            EventKind::EffectDeduplicated {
                payment,
                deliveries,
            } => {
                let _ = write!(s, " {} deliveries={deliveries}", payment_id(payment + 1));
            }
            EventKind::DbOffsetWritten { partition, offset }
            | EventKind::Seeked { partition, offset } => {
                let _ = write!(s, " p{partition}={offset}");
            }
            EventKind::ProcessingFailed {
                payment,
                attempt,
                failure,
                retry_at_ms,
            } => {
                let _ = write!(
                    s,
                    " {} attempt={attempt} {failure:?}",
                    payment_id(payment + 1)
                );
                if let Some(t) = retry_at_ms {
                    let _ = write!(s, " retry-at={}", fmt_ms(*t));
                }
            }
            EventKind::PaymentSkipped { payment }
            | EventKind::DeadLettered { payment }
            | EventKind::ProgramStopped { payment } => {
                let _ = write!(s, " {}", payment_id(payment + 1));
            }
            EventKind::OutputProduced {
                payment,
                transactional,
            } => {
                let _ = write!(
                    s,
                    " {}{}",
                    payment_id(payment + 1),
                    if *transactional { " in-txn" } else { "" }
                );
            }
            EventKind::TransactionCommitted { outputs, offsets } => {
                let _ = write!(s, " outputs={outputs}");
                offs(&mut s, offsets);
            }
            EventKind::TransactionAborted {
                outputs,
                producer_died,
            } => {
                let _ = write!(s, " outputs={outputs}");
                if *producer_died {
                    s.push_str(" producer-died");
                }
            }
            EventKind::Polled { payments } => {
                for p in payments {
                    let _ = write!(s, " {}", payment_id(p + 1));
                }
            }
            EventKind::PollError { error } | EventKind::StoreFailed { error, .. } => {
                let _ = write!(s, " {}", error.name());
            }
            EventKind::OffsetStored {
                partition,
                offset,
                auto,
            } => {
                let _ = write!(
                    s,
                    " p{partition}={offset}{}",
                    if *auto { " auto" } else { "" }
                );
            }
            EventKind::ProcessingStarted { payment, until_ms } => {
                let _ = write!(
                    s,
                    " {} until={}",
                    payment_id(payment + 1),
                    fmt_ms(*until_ms)
                );
            }
            EventKind::EffectApplied { payment, count } => {
                let _ = write!(s, " {} x{count}", payment_id(payment + 1));
            }
            EventKind::AutoCommitTick {
                skipped_rebalancing,
            } => {
                s.push_str(if *skipped_rebalancing {
                    " skipped(rebalancing)"
                } else {
                    " nothing-new"
                });
            }
            EventKind::CommitSent {
                id,
                source,
                sync,
                offsets,
            } => {
                let _ = write!(
                    s,
                    " #{id} {} {}",
                    source_text(*source),
                    if *sync { "sync" } else { "async" }
                );
                offs(&mut s, offsets);
            }
            EventKind::CommitRefused {
                source,
                sync,
                error,
            } => {
                let _ = write!(
                    s,
                    " {} {} {}",
                    source_text(*source),
                    if *sync { "sync" } else { "async" },
                    error.name()
                );
            }
            EventKind::CommitApplied {
                id,
                source,
                offsets,
            } => {
                let _ = write!(s, " #{id} {}", source_text(*source));
                offs(&mut s, offsets);
            }
            EventKind::CommitRejected { id, source, error } => {
                let _ = write!(s, " #{id} {} {}", source_text(*source), error.name());
            }
            EventKind::AtRisk {
                payment,
                partition,
                committed,
            } => {
                let _ = write!(
                    s,
                    " {} p{partition} committed={committed}",
                    payment_id(payment + 1)
                );
            }
            EventKind::CommitCallback { id, error } => {
                let _ = write!(s, " #{id} {}", error.map_or("ok", |e| e.name()));
            }
            EventKind::Heartbeat { error } => {
                if let Some(e) = error {
                    let _ = write!(s, " {}", e.name());
                }
            }
            EventKind::SessionExpired { member } | EventKind::MemberLeft { member } => {
                let _ = write!(s, " m{member}");
            }
            EventKind::Crashed {
                kind,
                finally_close,
            } => {
                let _ = write!(
                    s,
                    " {}{}",
                    kind_text(*kind),
                    if *finally_close {
                        " (finally: close)"
                    } else {
                        ""
                    }
                );
            }
            EventKind::RestartScheduled { at_ms } => {
                let _ = write!(s, " at={}", fmt_ms(*at_ms));
            }
            EventKind::ProcessingMsChanged { processing_ms } => {
                let _ = write!(s, " {processing_ms}");
            }
            EventKind::PollEmpty
            | EventKind::MaxPollExceeded
            | EventKind::CloseStarted
            | EventKind::Closed
            | EventKind::RunEnded => {}
        }
        s
    }
}

/// FNV-1a over the compact lines: a stable fingerprint of a trace, the same on every platform.
pub fn trace_hash(events: &[TraceEvent]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for e in events {
        for b in e.line().bytes().chain(std::iter::once(b'\n')) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}
