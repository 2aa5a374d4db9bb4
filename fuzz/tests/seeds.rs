//! The seed corpora in `fuzz/seeds/`, generated from the presets, and a native pass of every
//! seed through the checks the fuzz targets run.
//!
//! `fuzz/seeds/link/` holds links to each preset (by name, at a moment with panels, and as an
//! edited scenario carried in `s=`); `fuzz/seeds/scenario/` holds variants of the presets that
//! reach what no preset uses (user actions, commit faults, store_offsets, other strategies).
//! The presets themselves (`crates/sim/presets/`) are seeds too. To regenerate after a change
//! of the presets or the link format:
//!
//! ```text
//! UPDATE_SEEDS=1 cargo test --manifest-path fuzz/Cargo.toml --test seeds
//! ```

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;

use offset_lab_fuzz::{budget, check_and_run, check_link, check_scenario_json};
use offset_lab_sim::link::{LinkState, encode};
use offset_lab_sim::scenario::*;
use offset_lab_sim::{Scenario, preset, preset_names};

fn fuzz_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn link_seeds() -> BTreeMap<String, String> {
    let mut seeds = BTreeMap::new();
    for name in preset_names() {
        let scenario = preset(name).unwrap();
        let plain = LinkState {
            scenario: scenario.clone(),
            t_ms: 0,
            panels: vec![],
            embed: false,
            event: None,
            sweep: None,
        };
        seeds.insert(format!("{name}.txt"), encode(&plain));
        let moment = LinkState {
            t_ms: scenario.duration_ms / 3,
            panels: vec!["code".into(), "timeline".into()],
            embed: true,
            event: Some(2),
            ..plain.clone()
        };
        seeds.insert(format!("{name}-moment.txt"), encode(&moment));
        let mut edited = scenario;
        edited.seed += 1;
        edited.name = format!("{name}-edited");
        let custom = LinkState {
            scenario: edited,
            t_ms: 1500,
            ..plain
        };
        seeds.insert(format!("{name}-custom.txt"), encode(&custom));
    }
    // Links that must fail cleanly, one of each kind.
    for (name, link) in [
        ("broken-no-version.txt", "preset=step2-manual-commit"),
        ("broken-newer-version.txt", "v=2&preset=step2-manual-commit"),
        ("broken-unknown-preset.txt", "v=1&preset=nope"),
        ("broken-cut-short.txt", "v=1&s=eyJ2ZXJzaW9uIjox"),
        ("broken-time.txt", "v=1&preset=step2-manual-commit&t=soon"),
        ("only-layout.txt", "?embed=1&panels=code,,log&t=%31%30"),
    ] {
        seeds.insert(name.into(), link.into());
    }
    seeds
}

fn variant(base: &str, name: &str, edit: impl FnOnce(&mut Scenario)) -> (String, String) {
    let mut s = preset(base).unwrap();
    s.name = name.into();
    s.title.clear();
    s.description.clear();
    edit(&mut s);
    if let Err(e) = s.validate() {
        panic!("seed {name} is not valid: {e}");
    }
    (format!("{name}.json"), s.to_json() + "\n")
}

fn scenario_seeds() -> BTreeMap<String, String> {
    let c1 = "consumer-1".to_string();
    let seeds = [
        variant("step2-manual-commit", "actions", |s| {
            s.actions = vec![
                Action {
                    at_ms: 5000,
                    consumer: c1.clone(),
                    act: ActionKind::SetProcessingMs {
                        processing_ms: 4000,
                    },
                },
                Action {
                    at_ms: 9000,
                    consumer: c1.clone(),
                    act: ActionKind::Crash {
                        kind: CrashKind::Close,
                    },
                },
                Action {
                    at_ms: 12_000,
                    consumer: c1.clone(),
                    act: ActionKind::Restart,
                },
            ];
        }),
        variant("exp2-async-commits", "commit-faults", |s| {
            s.faults = vec![
                Fault::CommitErrors {
                    from_ms: 2000,
                    to_ms: 4000,
                    error: RetriableError::RequestTimedOut,
                },
                Fault::CoordinatorUnavailable {
                    from_ms: 6000,
                    to_ms: 9000,
                },
                Fault::TransientFailures { per_mille: 100 },
                Fault::CommitLatency { max_extra_ms: 300 },
            ];
        }),
        variant("step1-autocommit-sleep2", "store-offsets", |s| {
            let c = &mut s.consumers[0];
            c.config.enable_auto_offset_store = false;
            c.program.per_message = vec![MessageStep::Process, MessageStep::StoreOffsets];
            c.crashes = vec![CrashPoint {
                at_ms: None,
                point: Some(ProgramPoint::AfterPoll),
                message: Some(2),
                kind: CrashKind::SysExit,
                restart_after_ms: Some(1000),
            }];
        }),
        variant("pitfall-maxpoll-rebalance", "roundrobin-java", |s| {
            s.client = ClientModel::Java;
            s.topic.payments.interval_ms = 250;
            for c in &mut s.consumers {
                c.config.partition_assignment_strategy = AssignmentStrategy::RoundRobin;
                c.config.max_poll_records = 3;
                c.program.poll.max_messages = 4;
                c.program.processing_jitter_ms = 200;
            }
        }),
        variant("exp2-async-crash", "commit-in-flight", |s| {
            s.broker.rtt_ms = 40;
            s.consumers[0].crashes = vec![CrashPoint {
                at_ms: None,
                point: Some(ProgramPoint::CommitInFlight),
                message: Some(7),
                kind: CrashKind::Kill,
                restart_after_ms: Some(0),
            }];
        }),
    ];
    seeds.into_iter().collect()
}

/// The committed seeds of a directory, by file name.
fn committed(dir: &str) -> BTreeMap<String, String> {
    let dir = fuzz_dir().join("seeds").join(dir);
    let mut seeds = BTreeMap::new();
    for entry in fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        seeds.insert(name, fs::read_to_string(&path).unwrap());
    }
    seeds
}

/// With `UPDATE_SEEDS=1`, writes the seeds afresh. Without, it does nothing: seeds that a later
/// change of the presets has made stale are still good inputs, and the tests below run both.
#[test]
fn update_seeds() {
    if std::env::var_os("UPDATE_SEEDS").is_none() {
        return;
    }
    for (dir, seeds) in [("link", link_seeds()), ("scenario", scenario_seeds())] {
        let dir = fuzz_dir().join("seeds").join(dir);
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        for (name, text) in seeds {
            fs::write(dir.join(name), text).unwrap();
        }
    }
}

#[test]
fn every_link_seed_passes_the_link_check() {
    for (name, link) in link_seeds().into_iter().chain(committed("link")) {
        eprintln!("{name}");
        check_link(&link);
    }
}

#[test]
fn every_scenario_seed_fits_the_budget_and_passes_the_checks() {
    let presets = offset_lab_sim::scenario::PRESETS
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()));
    for (name, text) in presets.chain(scenario_seeds()) {
        eprintln!("{name}");
        let scenario = Scenario::from_json(&text).unwrap();
        if let Err(e) = budget(&scenario) {
            panic!("{name} is over the budget: {e}");
        }
        check_scenario_json(&text);
        check_and_run(&text);
    }
    for (name, text) in committed("scenario") {
        eprintln!("seeds/scenario/{name}");
        check_scenario_json(&text);
        check_and_run(&text);
    }
}
