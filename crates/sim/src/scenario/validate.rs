//! Parsing and validation: clear messages that name the field and the allowed range.

use serde::Deserialize;

use super::*;

/// A problem with a scenario: where it is, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// The field, e.g. `consumers[0].config.auto.commit.interval.ms`; empty for the whole file.
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for ScenarioError {}

pub(super) fn err(path: impl Into<String>, message: impl Into<String>) -> ScenarioError {
    ScenarioError {
        path: path.into(),
        message: message.into(),
    }
}

/// The longest name (of the scenario, the topic, the group, a consumer), in characters.
pub const MAX_NAME_LEN: usize = 64;
pub const MAX_TITLE_LEN: usize = 160;
pub const MAX_DESCRIPTION_LEN: usize = 4000;

fn check_len(path: &str, text: &str, max: usize) -> Result<(), ScenarioError> {
    let n = text.chars().count();
    if n > max {
        Err(err(path, format!("{n} characters long; at most {max}")))
    } else {
        Ok(())
    }
}

/// The shortest heartbeat and auto-commit intervals a scenario may use.
pub const MIN_INTERVAL_MS: u64 = 100;
/// The shortest `poll()` timeout a scenario may use.
pub const MIN_POLL_TIMEOUT_MS: u64 = 10;

pub(super) fn check_range(path: &str, value: u64, lo: u64, hi: u64) -> Result<(), ScenarioError> {
    if value < lo || value > hi {
        Err(err(
            path,
            format!("{value} is out of range; allowed {lo}..={hi}"),
        ))
    } else {
        Ok(())
    }
}

impl Scenario {
    /// Parses and validates a scenario. Checks the version before anything else so that a file
    /// from another version gets a message about versions, not about fields.
    pub fn from_json(text: &str) -> Result<Scenario, ScenarioError> {
        /// Only the version, read first; every other field is ignored here. Parsing straight
        /// from the text afterwards (not through `serde_json::Value`) keeps the wasm small.
        #[derive(Deserialize)]
        struct Probe {
            version: Option<serde_json::Number>,
        }
        if !text.trim_start().starts_with('{') {
            return Err(err("", "a scenario is a JSON object, starting with {"));
        }
        let probe: Probe = serde_json::from_str(text).map_err(|e| {
            if e.is_data() {
                err("version", "must be a whole number")
            } else {
                err("", format!("not valid JSON: {e}"))
            }
        })?;
        match probe.version.map(|v| v.as_u64()) {
            None => return Err(err("version", "missing; this build reads version 1")),
            Some(None) => return Err(err("version", "must be a whole number")),
            Some(Some(v)) if v > SCENARIO_VERSION as u64 => {
                return Err(err(
                    "version",
                    format!(
                        "version {v} was written by a newer Offset Lab; this build reads version {SCENARIO_VERSION}"
                    ),
                ));
            }
            Some(Some(v)) if v < 1 => return Err(err("version", "versions start at 1")),
            Some(Some(_)) => {}
        }
        let scenario: Scenario = serde_json::from_str(text).map_err(|e| {
            // serde_json says "at line 3 column 14": name the field there instead.
            let path = super::json_path::path_at(text, e.line(), e.column());
            let message = e.to_string();
            let message = message
                .rsplit_once(" at line ")
                .map_or(message.as_str(), |(m, _)| m)
                .to_string();
            if path.is_empty() {
                err("", message)
            } else {
                err(path, message)
            }
        })?;
        scenario.validate()?;
        Ok(scenario)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Everything a scenario must satisfy to be opened: its fields (ranges, consistency) and
    /// the work budget. The message names the field and what is allowed.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        self.validate_fields()?;
        // Last: a scenario that is valid but too much work for a page (budget.rs).
        self.check_budget()?;
        Ok(())
    }

    /// Range and consistency checks only, without the work budget: for scenarios built in
    /// code that may run longer than a page allows (the native benchmark).
    pub fn validate_fields(&self) -> Result<(), ScenarioError> {
        if self.version != SCENARIO_VERSION {
            return Err(err(
                "version",
                format!("this build reads version {SCENARIO_VERSION}"),
            ));
        }
        if self.name.trim().is_empty() {
            return Err(err("name", "must not be empty"));
        }
        // Names and texts are capped, so that a file or a link cannot fill a page with them.
        check_len("name", &self.name, MAX_NAME_LEN)?;
        check_len("title", &self.title, MAX_TITLE_LEN)?;
        check_len("description", &self.description, MAX_DESCRIPTION_LEN)?;
        check_range("duration_ms", self.duration_ms, 1, MAX_DURATION_MS)?;
        let t = &self.topic;
        if t.name.is_empty() {
            return Err(err("topic.name", "must not be empty"));
        }
        check_len("topic.name", &t.name, MAX_NAME_LEN)?;
        check_range(
            "topic.partitions",
            t.partitions as u64,
            1,
            MAX_PARTITIONS as u64,
        )?;
        let p = &t.payments;
        check_range(
            "topic.payments.count",
            p.count as u64,
            0,
            MAX_PAYMENTS as u64,
        )?;
        check_range("topic.payments.start_ms", p.start_ms, 0, MAX_DURATION_MS)?;
        check_range("topic.payments.interval_ms", p.interval_ms, 0, 3_600_000)?;
        check_range("topic.payments.customers", p.customers as u64, 1, 1_000_000)?;
        if p.invalid.len() > p.count as usize {
            return Err(err(
                "topic.payments.invalid",
                format!(
                    "lists {} payments, more than the {} there are",
                    p.invalid.len(),
                    p.count
                ),
            ));
        }
        for (i, n) in p.invalid.iter().enumerate() {
            if *n == 0 || *n > p.count {
                return Err(err(
                    format!("topic.payments.invalid[{i}]"),
                    format!(
                        "payment {n} does not exist; payments are numbered 1..={}",
                        p.count
                    ),
                ));
            }
        }
        let b = &self.broker;
        check_range(
            "broker.group.initial.rebalance.delay.ms",
            b.group_initial_rebalance_delay_ms,
            0,
            300_000,
        )?;
        check_range("broker.rtt_ms", b.rtt_ms, 0, 10_000)?;
        check_range(
            "broker.group.min.session.timeout.ms",
            b.group_min_session_timeout_ms,
            1,
            3_600_000,
        )?;
        check_range(
            "broker.group.max.session.timeout.ms",
            b.group_max_session_timeout_ms,
            b.group_min_session_timeout_ms,
            3_600_000,
        )?;
        if self.consumers.is_empty() {
            return Err(err("consumers", "at least one consumer is needed"));
        }
        if self.consumers.len() > MAX_CONSUMERS {
            return Err(err(
                "consumers",
                format!("at most {MAX_CONSUMERS} consumers"),
            ));
        }
        for (i, c) in self.consumers.iter().enumerate() {
            let path = format!("consumers[{i}]");
            if c.name.trim().is_empty() || c.name.chars().count() > MAX_NAME_LEN {
                return Err(err(format!("{path}.name"), "must be 1 to 64 characters"));
            }
            if self.consumers[..i].iter().any(|o| o.name == c.name) {
                return Err(err(
                    format!("{path}.name"),
                    format!("\"{}\" is used twice", c.name),
                ));
            }
            check_range(&format!("{path}.start_ms"), c.start_ms, 0, MAX_DURATION_MS)?;
            // A4: committed offsets belong to a group. Consumers with different group ids are
            // different groups, each reading every partition with offsets of its own; a
            // scenario models one group, so it refuses rather than merge them.
            let first = &self.consumers[0].config.group_id;
            if c.config.group_id != *first {
                return Err(err(
                    format!("{path}.config.group.id"),
                    format!(
                        "\"{}\" differs from consumers[0]'s \"{first}\": consumers with different \
                         group ids are separate groups (each reads every payment), and a scenario \
                         models one group; give every consumer the same group.id",
                        c.config.group_id
                    ),
                ));
            }
            c.config.validate(&format!("{path}.config"), b)?;
            if crate::client::ClientPolicy::new(self.client).max_poll_must_cover_session()
                && c.config.max_poll_interval_ms < c.config.session_timeout_ms
            {
                return Err(err(
                    format!("{path}.config.max.poll.interval.ms"),
                    format!(
                        "{} is below session.timeout.ms ({}): librdkafka refuses to construct such a consumer (\"`max.poll.interval.ms` must be >= `session.timeout.ms`\", B14); lower session.timeout.ms too",
                        c.config.max_poll_interval_ms, c.config.session_timeout_ms
                    ),
                ));
            }
            c.program
                .validate(&format!("{path}.program"), &c.config, self.client)?;
            if c.crashes.len() > MAX_CRASH_POINTS {
                return Err(err(
                    format!("{path}.crashes"),
                    format!("at most {MAX_CRASH_POINTS} crash points"),
                ));
            }
            for (j, cp) in c.crashes.iter().enumerate() {
                let cpath = format!("{path}.crashes[{j}]");
                match (cp.at_ms, cp.point, cp.message) {
                    (Some(at_ms), None, None) => {
                        check_range(&format!("{cpath}.at_ms"), at_ms, 0, MAX_DURATION_MS)?
                    }
                    (None, Some(_), Some(message)) => check_range(
                        &format!("{cpath}.message"),
                        message as u64,
                        1,
                        MAX_PAYMENTS as u64,
                    )?,
                    (None, Some(_), None) => {
                        return Err(err(
                            format!("{cpath}.message"),
                            "missing: on which message (1-based) does the crash point fire?",
                        ));
                    }
                    _ => {
                        return Err(err(
                            cpath,
                            "give either \"at_ms\", or \"point\" and \"message\"",
                        ));
                    }
                }
                if let Some(r) = cp.restart_after_ms {
                    check_range(&format!("{cpath}.restart_after_ms"), r, 0, MAX_DURATION_MS)?;
                }
            }
        }
        if self.faults.len() > 32 {
            return Err(err("faults", "at most 32 faults"));
        }
        for (i, f) in self.faults.iter().enumerate() {
            let path = format!("faults[{i}]");
            let count = self.topic.payments.count;
            match *f {
                Fault::TransientFailures { per_mille } => {
                    check_range(&format!("{path}.per_mille"), per_mille as u64, 0, 1000)?
                }
                Fault::FailPayment { payment, attempts } => {
                    check_range(
                        &format!("{path}.payment"),
                        payment as u64,
                        1,
                        count.max(1) as u64,
                    )?;
                    check_range(&format!("{path}.attempts"), attempts as u64, 1, 1000)?;
                }
                Fault::SlowPayment {
                    payment,
                    processing_ms,
                    times,
                } => {
                    check_range(
                        &format!("{path}.payment"),
                        payment as u64,
                        1,
                        count.max(1) as u64,
                    )?;
                    check_range(
                        &format!("{path}.processing_ms"),
                        processing_ms,
                        0,
                        3_600_000,
                    )?;
                    check_range(&format!("{path}.times"), times as u64, 1, 1000)?;
                }
                Fault::CommitErrors { from_ms, to_ms, .. }
                | Fault::CoordinatorUnavailable { from_ms, to_ms } => {
                    check_range(&format!("{path}.from_ms"), from_ms, 0, MAX_DURATION_MS)?;
                    check_range(&format!("{path}.to_ms"), to_ms, from_ms, MAX_DURATION_MS)?;
                }
                Fault::CommitLatency { max_extra_ms } => {
                    check_range(&format!("{path}.max_extra_ms"), max_extra_ms, 0, 60_000)?
                }
            }
        }
        if let Some(first) = self.consumers.first() {
            let strategy = first.config.partition_assignment_strategy;
            if let Some(i) = self
                .consumers
                .iter()
                .position(|c| c.config.partition_assignment_strategy != strategy)
            {
                // The members of a group must agree on a protocol (INCONSISTENT_GROUP_PROTOCOL).
                return Err(err(
                    format!("consumers[{i}].config.partition.assignment.strategy"),
                    "all consumers of the group must use the same strategy (the broker refuses a member with INCONSISTENT_GROUP_PROTOCOL)",
                ));
            }
        }
        let transactional = self.sink.kind == SinkKind::Transactional;
        for (i, c) in self.consumers.iter().enumerate() {
            let path = format!("consumers[{i}]");
            let has_txn = c.program.after.contains(&BatchStep::CommitTransaction)
                || c.program.before.contains(&BatchStep::CommitTransaction);
            if transactional {
                // E1: offsets are committed by the transaction only.
                if c.config.enable_auto_commit {
                    return Err(err(
                        format!("{path}.config.enable.auto.commit"),
                        "must be false with the transactional sink (E1)",
                    ));
                }
                if !c.program.after.contains(&BatchStep::CommitTransaction) {
                    return Err(err(
                        format!("{path}.program.after"),
                        "the transactional sink needs a \"commit_transaction\" step after the batch (E1)",
                    ));
                }
                if !c.program.on_batch_failure.is_stop() {
                    return Err(err(
                        format!("{path}.program.on_batch_failure"),
                        "must be \"stop\" with the transactional sink: a failed batch aborts its transaction and rewinds to the committed offsets (E1); a replay inside the open transaction would produce the refunds of the replayed payments twice, and committing a prefix would commit offsets outside the transaction",
                    ));
                }
                if c.program
                    .per_message
                    .iter()
                    .any(|m| matches!(m, MessageStep::Commit { .. }))
                    || c.program
                        .before
                        .iter()
                        .chain(&c.program.after)
                        .any(|b| matches!(b, BatchStep::Commit { .. }))
                {
                    return Err(err(
                        format!("{path}.program"),
                        "no consumer commits with the transactional sink: the transaction commits the offsets (E1)",
                    ));
                }
            } else if has_txn {
                return Err(err(
                    format!("{path}.program"),
                    "\"commit_transaction\" needs the transactional sink",
                ));
            }
            if !crate::client::ClientPolicy::new(self.client).has_offset_store()
                && c.program.per_message.contains(&MessageStep::StoreOffsets)
            {
                return Err(err(
                    format!("{path}.program.per_message"),
                    "the Java client has no store_offsets; commit the record's offset instead (D1)",
                ));
            }
            check_range(
                &format!("{path}.program.retry.attempts"),
                c.program.retry.attempts as u64,
                1,
                100,
            )?;
            check_range(
                &format!("{path}.program.retry.backoff_ms"),
                c.program.retry.backoff_ms,
                0,
                3_600_000,
            )?;
        }
        if self.actions.len() > MAX_ACTIONS {
            return Err(err("actions", format!("at most {MAX_ACTIONS} actions")));
        }
        for (i, a) in self.actions.iter().enumerate() {
            let path = format!("actions[{i}]");
            check_range(&format!("{path}.at_ms"), a.at_ms, 0, MAX_DURATION_MS)?;
            if !self.consumers.iter().any(|c| c.name == a.consumer) {
                return Err(err(
                    format!("{path}.consumer"),
                    format!("no consumer is named \"{}\"", a.consumer),
                ));
            }
            if let ActionKind::SetProcessingMs { processing_ms } = a.act {
                check_range(
                    &format!("{path}.do.set_processing_ms.processing_ms"),
                    processing_ms,
                    0,
                    3_600_000,
                )?;
            }
        }
        Ok(())
    }

    /// Index of the consumer with this name.
    pub fn consumer_index(&self, name: &str) -> Option<usize> {
        self.consumers.iter().position(|c| c.name == name)
    }

    /// The largest extra delay a commit meets on the network (a `commit_latency` fault).
    pub fn commit_latency_max_ms(&self) -> Option<u64> {
        self.faults.iter().find_map(|f| match f {
            Fault::CommitLatency { max_extra_ms } => Some(*max_extra_ms),
            _ => None,
        })
    }

    /// The chance in 1000 that a processing attempt fails transiently (a `transient_failures`
    /// fault).
    pub fn transient_failures_per_mille(&self) -> Option<u32> {
        self.faults.iter().find_map(|f| match f {
            Fault::TransientFailures { per_mille } => Some(*per_mille),
            _ => None,
        })
    }

    /// The producer's partitioner for keyed payments: as set, or the default of the
    /// scenario's client (librdkafka: `consistent_random`; Java: murmur2).
    pub fn partitioner(&self) -> Partitioner {
        self.topic
            .payments
            .partitioner
            .unwrap_or(crate::client::ClientPolicy::new(self.client).default_partitioner())
    }
}

impl ConsumerConfig {
    fn validate(&self, path: &str, broker: &BrokerSpec) -> Result<(), ScenarioError> {
        if self.group_id.trim().is_empty() {
            return Err(err(format!("{path}.group.id"), "must not be empty"));
        }
        check_len(&format!("{path}.group.id"), &self.group_id, MAX_NAME_LEN)?;
        // Floors that make no teaching sense below them and only burn work (documented in
        // docs/scenario-format.md): real clients accept 1 ms, but nobody runs a group like that.
        check_range(
            &format!("{path}.auto.commit.interval.ms"),
            self.auto_commit_interval_ms,
            MIN_INTERVAL_MS,
            3_600_000,
        )?;
        // C5: the broker refuses a session timeout outside its bounds.
        check_range(
            &format!("{path}.session.timeout.ms"),
            self.session_timeout_ms,
            broker.group_min_session_timeout_ms,
            broker.group_max_session_timeout_ms,
        )?;
        check_range(
            &format!("{path}.heartbeat.interval.ms"),
            self.heartbeat_interval_ms,
            MIN_INTERVAL_MS,
            self.session_timeout_ms
                .saturating_sub(1)
                .max(MIN_INTERVAL_MS),
        )?;
        check_range(
            &format!("{path}.max.poll.interval.ms"),
            self.max_poll_interval_ms,
            1,
            86_400_000,
        )?;
        check_range(
            &format!("{path}.max.poll.records"),
            self.max_poll_records as u64,
            1,
            100_000,
        )?;
        Ok(())
    }
}
