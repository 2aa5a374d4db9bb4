//! # offset-lab-sim: a deterministic simulator of Kafka consumer offsets
//!
//! The core of Offset Lab. It models a topic of payments, the broker's group coordinator, and
//! consumers running a program (poll, process, store, commit, close), and it tells, payment by
//! payment, which were applied once, twice, or lost, and why. Every behaviour follows a rule of
//! `shared/reference/kafka-consumer-semantics.md` and names it (`B5`, `C1`, …).
//!
//! ```text
//!  Scenario (JSON) ──validate──▶ World::new ──step()──▶ TraceEvent* ──▶ Timeline
//!                                  │  event queue (time, class, seq)        │ checkpoints
//!                                  ├─ Group   (broker, C1–C5)               │ world_at(cursor)
//!                                  ├─ Consumer/Client (B*, D*) + program    ▼
//!                                  └─ sink: applied counts        outcomes / Report / explain
//! ```
//!
//! Time is virtual (milliseconds); the only randomness is a seeded ChaCha8 stream with an
//! integer API. No wall clock, no OS randomness, no hash-ordered iteration: the same scenario
//! gives the same trace, byte for byte, on every platform.

pub mod budget;
pub mod challenge;
pub mod check;
pub mod chunked;
pub mod client;
pub mod compare;
pub mod export;
pub mod glossary;
pub mod group;
pub mod ids;
pub mod lab;
pub mod link;
pub mod liveness;
pub mod log;
pub mod margin;
pub mod moments;
pub mod outcome;
pub mod partitioner;
pub mod protocol;
pub mod render;
pub mod rng;
pub mod scenario;
pub mod sweep;
pub mod timeline;
pub mod trace;
pub mod why;
pub mod world;

/// Simulated time in milliseconds.
pub type Ms = u64;

pub use group::INVALID_OFFSET;
pub use ids::{Offset, Offsets, Partition};
pub use outcome::{CellState, PaymentOutcome, Report, Summary, Verdict};
pub use scenario::{Scenario, ScenarioError, preset, preset_names};
pub use timeline::Timeline;
pub use trace::{EventKind, TraceEvent};
pub use world::World;
