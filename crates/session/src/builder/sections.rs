//! The builder's sections: one per consumer (its program and client settings), then the world
//! (payments, the sink, the broker).

use super::*;

/// The per-message commit step of a program, if it has one.
pub(super) fn commit_step(c: &ConsumerSpec) -> Option<(usize, u32, u64)> {
    c.program
        .per_message
        .iter()
        .enumerate()
        .find_map(|(i, s)| match s {
            MessageStep::Commit {
                every, every_ms, ..
            } => Some((i, *every, *every_ms)),
            _ => None,
        })
}

pub(super) fn consumer_section(sc: &Scenario, i: usize, refused: &Refused) -> Section {
    let c = &sc.consumers[i];
    let java = sc.client == ClientModel::Java;
    let cfg = &c.config;
    let p = &c.program;
    let k = i.to_string();
    let mut f = Fields {
        refused,
        out: Vec::new(),
    };
    f.at(
        &["consumers", &k, "config", "enable.auto.commit"],
        "enable.auto.commit",
        "commit on a timer, whatever the program is doing (B5); Java: inside poll() (D2)",
        Input::Bool(cfg.enable_auto_commit),
    );
    f.at(
        &["consumers", &k, "config", "auto.commit.interval.ms"],
        "auto.commit.interval.ms",
        "how often the timer commits what poll() stored (B5)",
        ms(cfg.auto_commit_interval_ms),
    )
    .disabled = !cfg.enable_auto_commit;
    f.at(
        &["consumers", &k, "config", "enable.auto.offset.store"],
        "enable.auto.offset.store",
        "poll() stores each message's offset as it returns it (B2); off: store_offsets() does (B3)",
        Input::Bool(cfg.enable_auto_offset_store),
    )
    .disabled = java;
    let strategy = CommitStrategy::of(p);
    let mut options: Vec<(String, String)> = CommitStrategy::CHOICES
        .iter()
        .map(|s| (s.key().to_string(), s.label().to_string()))
        .collect();
    if strategy == CommitStrategy::Custom {
        options.insert(
            0,
            (
                CommitStrategy::Custom.key().into(),
                CommitStrategy::Custom.label().into(),
            ),
        );
    }
    let path = format!("consumers[{i}].program");
    f.push(
        Key::Commit(i),
        path.clone(),
        "where the program commits",
        "commit(msg) commits msg.offset + 1 (A1, B6); commit() commits what is stored (B4)",
        Input::Choice {
            value: strategy.key().into(),
            options,
        },
    );
    if let Some((step, every, every_ms)) = commit_step(c) {
        f.push(
            Key::CommitEvery {
                consumer: i,
                ms: false,
            },
            format!("{path}.per_message[{step}].commit.every"),
            "commit every N payments",
            "a counter in the program: 1 commits after each payment",
            n(every as u64),
        );
        f.push(
            Key::CommitEvery {
                consumer: i,
                ms: true,
            },
            format!("{path}.per_message[{step}].commit.every_ms"),
            "… and at least T ms apart",
            "a timestamp in the program: 0 commits whenever the counter says so",
            ms(every_ms),
        );
    }
    f.at(
        &["consumers", &k, "program", "poll", "max_messages"],
        if java {
            "batch size (the program's; Java reads max.poll.records)"
        } else {
            "batch size: consume(num_messages)"
        },
        "how many messages one call returns at most (B6, D6)",
        n(p.poll.max_messages as u64),
    );
    f.at(
        &["consumers", &k, "program", "on_batch_failure"],
        "a failure inside a batch",
        "once retries and the failure action let it through: stop, replay the batch, or commit what was handled",
        Input::Choice {
            value: p.on_batch_failure.name().into(),
            options: opts(&[
                ("stop", "stop (no handler)"),
                ("replay_batch", "seek back and replay the batch"),
                ("commit_prefix", "commit what was handled, then seek"),
            ]),
        },
    );
    f.at(
        &["consumers", &k, "program", "processing_ms"],
        "processing time per payment",
        "how long process_payment() takes",
        ms(p.processing_ms),
    );
    f.at(
        &["consumers", &k, "program", "retry", "attempts"],
        "attempts at a failing payment",
        "1: no retry; transient failures are retried with backoff",
        n(p.retry.attempts as u64),
    );
    f.at(
        &["consumers", &k, "program", "retry", "backoff_ms"],
        "backoff before a retry",
        "doubles with each further attempt",
        ms(p.retry.backoff_ms),
    );
    let actions = [
        ("skip", "skip it (log and go on)"),
        ("dead_letter", "send it to the dead-letter topic"),
        ("stop", "stop the program"),
    ];
    let action_key = |a: offset_lab_sim::scenario::FailureAction| match a {
        offset_lab_sim::scenario::FailureAction::Skip => "skip",
        offset_lab_sim::scenario::FailureAction::DeadLetter => "dead_letter",
        offset_lab_sim::scenario::FailureAction::Stop => "stop",
    };
    f.at(
        &["consumers", &k, "program", "retry", "on_exhausted"],
        "when the retries run out",
        "a transient failure that never clears",
        Input::Choice {
            value: action_key(p.retry.on_exhausted).into(),
            options: opts(&actions),
        },
    );
    f.at(
        &["consumers", &k, "program", "on_invalid"],
        "an invalid payment",
        "a permanent failure: retrying cannot help",
        Input::Choice {
            value: action_key(p.on_invalid).into(),
            options: opts(&actions),
        },
    );
    f.at(
        &["consumers", &k, "program", "close_in_finally"],
        "try: … finally: consumer.close()",
        "close() commits what is stored and leaves the group at once (B12, B13)",
        Input::Bool(p.close_in_finally),
    );
    f.at(
        &["consumers", &k, "program", "on_revoke_commit"],
        "commit in on_revoke",
        "commit synchronously before a rebalance takes the partitions (B10)",
        Input::Bool(p.on_revoke_commit),
    );
    let fields = std::mem::take(&mut f.out);
    f.at(
        &["consumers", &k, "start_ms"],
        "starts at",
        "when this consumer's process starts",
        ms(c.start_ms),
    );
    f.at(
        &["consumers", &k, "config", "session.timeout.ms"],
        "session.timeout.ms",
        "how long the group waits for a silent member (C2)",
        ms(cfg.session_timeout_ms),
    );
    f.at(
        &["consumers", &k, "config", "heartbeat.interval.ms"],
        "heartbeat.interval.ms",
        "heartbeats run in the background (B15)",
        ms(cfg.heartbeat_interval_ms),
    );
    f.at(
        &["consumers", &k, "config", "max.poll.interval.ms"],
        "max.poll.interval.ms",
        "the most time between two poll() calls (B14, D5)",
        ms(cfg.max_poll_interval_ms),
    );
    f.at(
        &["consumers", &k, "config", "max.poll.records"],
        "max.poll.records",
        "Java: records one poll() returns at most (D6)",
        n(cfg.max_poll_records as u64),
    )
    .disabled = !java;
    f.at(
        &["consumers", &k, "config", "auto.offset.reset"],
        "auto.offset.reset",
        "where to start with no committed offset (B9)",
        Input::Choice {
            value: format!("{:?}", cfg.auto_offset_reset).to_lowercase(),
            options: opts(&[
                ("earliest", "earliest"),
                ("latest", "latest"),
                ("error", "error"),
            ]),
        },
    );
    f.at(
        &["consumers", &k, "program", "processing_jitter_ms"],
        "processing jitter",
        "extra processing time drawn from the seed",
        ms(p.processing_jitter_ms),
    );
    Section {
        title: c.name.clone(),
        consumer: Some(i),
        fields,
        advanced: f.out,
    }
}

pub(super) fn world_sections(sc: &Scenario, refused: &Refused) -> Vec<Section> {
    let mut f = Fields {
        refused,
        out: Vec::new(),
    };
    let pay = &sc.topic.payments;
    f.at(
        &["topic", "payments", "count"],
        "payments",
        "how many payments are produced",
        n(pay.count as u64),
    );
    f.at(
        &["topic", "payments", "interval_ms"],
        "one payment every",
        "0: all at once",
        ms(pay.interval_ms),
    );
    f.at(
        &["topic", "payments", "start_ms"],
        "first payment produced at",
        "where in the auto-commit cycle poll() returns it (B5, F.1)",
        ms(pay.start_ms),
    );
    f.at(
        &["topic", "partitions"],
        "partitions",
        "the topic's partitions (A4)",
        n(sc.topic.partitions as u64),
    );
    f.at(
        &["topic", "payments", "keyed"],
        "keyed by customer",
        "a customer's payments share a partition (A4)",
        Input::Bool(pay.keyed),
    );
    let invalid = pay
        .invalid
        .iter()
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    f.push(
        Key::Invalid,
        "topic.payments.invalid".into(),
        "invalid payments",
        "their numbers, e.g. 3, 7: processing them always fails",
        Input::Text(invalid),
    );
    let rate = sc
        .faults
        .iter()
        .find_map(|f| match f {
            Fault::TransientFailures { per_mille } => Some(*per_mille as u64),
            _ => None,
        })
        .unwrap_or(0);
    f.push(
        Key::TransientRate,
        "faults".into(),
        "transient failures",
        "per 1000 processing attempts, drawn from the seed",
        n(rate),
    );
    let payments = Section {
        title: "Payments".into(),
        consumer: None,
        fields: std::mem::take(&mut f.out),
        advanced: Vec::new(),
    };
    f.at(
        &["sink", "kind"],
        "where results go",
        "an idempotent ledger or one transaction with the offsets removes duplicates (E1, E4)",
        Input::Choice {
            value: serde_json::to_value(sc.sink.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            options: opts(&[
                ("ledger", "a plain ledger"),
                ("idempotent", "an idempotent ledger (dedup by id)"),
                ("database", "a database holding the offsets (E4)"),
                ("refunds_topic", "a refunds topic, no transaction"),
                ("transactional", "a refunds topic, in a transaction (E1)"),
            ]),
        },
    );
    f.at(
        &["client"],
        "client",
        "librdkafka commits in the background; Java on the program's thread (D2)",
        Input::Choice {
            value: match sc.client {
                ClientModel::Librdkafka => "librdkafka".into(),
                ClientModel::Java => "java".into(),
            },
            options: opts(&[
                ("librdkafka", "confluent-kafka-python (librdkafka)"),
                ("java", "Java KafkaConsumer"),
            ]),
        },
    );
    let sink = Section {
        title: "Sink and client".into(),
        consumer: None,
        fields: std::mem::take(&mut f.out),
        advanced: Vec::new(),
    };
    f.at(
        &["broker", "rtt_ms"],
        "round trip to the broker",
        "every request and its answer",
        ms(sc.broker.rtt_ms),
    );
    f.at(
        &["broker", "group.initial.rebalance.delay.ms"],
        "group.initial.rebalance.delay.ms",
        "the broker holds a new group's first join this long (C3)",
        ms(sc.broker.group_initial_rebalance_delay_ms),
    );
    f.at(
        &["duration_ms"],
        "the run lasts",
        "simulated time",
        ms(sc.duration_ms),
    );
    f.at(&["seed"], "seed", "the same seed, the same run", n(sc.seed));
    let broker = Section {
        title: "Broker and run".into(),
        consumer: None,
        fields: Vec::new(),
        advanced: std::mem::take(&mut f.out),
    };
    vec![payments, sink, broker]
}
