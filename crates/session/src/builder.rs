//! The builder: every decision of the lab as a control. The worker describes the controls
//! ([`BuilderVm`]: sections of [`Field`]s with their values, limits and help), the page draws
//! them generically and sends back what the student set ([`Edit`]); [`apply`] turns it into a
//! scenario edit that the core validates. An edit the core refuses leaves the scenario as it was
//! and puts the core's message at the field. Nothing is clamped.
//!
//! Most fields are a place in the scenario's JSON ([`Key::Path`]), set there and read back
//! through `Scenario::from_json`, so that a field's errors are exactly Import's, with the same
//! field path. A few are decisions that change several places at once ([`Key`]'s other
//! variants): where the program commits, the transient failure rate, the invalid payments.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use offset_lab_sim::scenario::{ClientModel, ConsumerSpec, Fault, MessageStep, Scenario};

use crate::edit::CommitStrategy;

/// One step of a path into the scenario's JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// What a field edits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Key {
    /// A value in the scenario's JSON.
    Path(Vec<Seg>),
    /// Where consumer `n`'s program commits (a [`CommitStrategy`] key).
    Commit(usize),
    /// `every` / `every_ms` of consumer `n`'s per-message commit step.
    CommitEvery { consumer: usize, ms: bool },
    /// The share of processing attempts that fail transiently, per mille.
    TransientRate,
    /// The invalid payments, as a list of numbers.
    Invalid,
}

/// What the student set: the worker reads it (a number is sent as typed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Edit {
    Bool(bool),
    Number(String),
    Choice(String),
    Text(String),
}

impl Edit {
    fn text(&self) -> Option<&str> {
        match self {
            Edit::Number(t) | Edit::Choice(t) | Edit::Text(t) => Some(t),
            Edit::Bool(_) => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Input {
    Bool(bool),
    /// A whole number, with its unit (`ms`, or empty).
    Number {
        value: u64,
        unit: String,
    },
    Choice {
        value: String,
        options: Vec<(String, String)>,
    },
    Text(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    pub key: Key,
    /// The field's path as validation messages name it (`consumers[0].config.…`).
    pub path: String,
    pub label: String,
    /// The label is a configuration name (drawn as code).
    pub code: bool,
    /// One line on what it does, with its rule ids.
    pub help: String,
    pub input: Input,
    pub disabled: bool,
    /// Why the last edit of this field was refused.
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    pub title: String,
    /// The consumer the section is about (it can be removed), if any.
    pub consumer: Option<usize>,
    pub fields: Vec<Field>,
    /// Fields most students leave alone, shown folded.
    pub advanced: Vec<Field>,
}

/// A crash point or an action, listed to be removed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub consumer: usize,
    pub ix: usize,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuilderVm {
    pub sections: Vec<Section>,
    pub crash_points: Vec<Item>,
    pub actions: Vec<Item>,
    pub can_add_consumer: bool,
    /// The scenario as JSON, for the editor.
    pub json: String,
    /// Mistakes that run silently (`offset-lab check`'s warnings).
    pub warnings: Vec<String>,
    /// A refused edit that no field shows (the JSON editor's, or one about the whole scenario).
    pub error: Option<String>,
}

/// The last refused edit: the field's path (as validation names it) and why.
pub type Refused = Option<(String, String)>;

fn path_text(segs: &[Seg]) -> String {
    let mut out = String::new();
    for s in segs {
        match s {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

fn segs(parts: &[&str]) -> Vec<Seg> {
    let mut out = Vec::new();
    for p in parts {
        match p.parse::<usize>() {
            Ok(i) => out.push(Seg::Index(i)),
            Err(_) => out.push(Seg::Key(p.to_string())),
        }
    }
    out
}

fn opts(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, l)| (k.to_string(), l.to_string()))
        .collect()
}

struct Fields<'a> {
    refused: &'a Refused,
    out: Vec<Field>,
}

impl Fields<'_> {
    fn push(
        &mut self,
        key: Key,
        path: String,
        label: &str,
        help: &str,
        input: Input,
    ) -> &mut Field {
        let error = self
            .refused
            .as_ref()
            .filter(|(p, _)| *p == path)
            .map(|(_, m)| m.clone());
        self.out.push(Field {
            code: label.contains('.') && !label.contains(' '),
            key,
            path,
            label: label.into(),
            help: help.into(),
            input,
            disabled: false,
            error,
        });
        self.out.last_mut().expect("just pushed")
    }

    fn at(&mut self, parts: &[&str], label: &str, help: &str, input: Input) -> &mut Field {
        let s = segs(parts);
        let path = path_text(&s);
        self.push(Key::Path(s), path, label, help, input)
    }
}

fn ms(value: u64) -> Input {
    Input::Number {
        value,
        unit: "ms".into(),
    }
}

fn n(value: u64) -> Input {
    Input::Number {
        value,
        unit: String::new(),
    }
}

/// The per-message commit step of a program, if it has one.
fn commit_step(c: &ConsumerSpec) -> Option<(usize, u32, u64)> {
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

fn consumer_section(sc: &Scenario, i: usize, refused: &Refused) -> Section {
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

fn world_sections(sc: &Scenario, refused: &Refused) -> Vec<Section> {
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

/// The builder for the run `tl`; `refused`: the last refused edit, shown at its field.
pub fn builder(tl: &offset_lab_sim::Timeline, refused: &Refused) -> BuilderVm {
    let sc: &Scenario = &tl.scenario;
    let mut sections: Vec<Section> = (0..sc.consumers.len())
        .map(|i| consumer_section(sc, i, refused))
        .collect();
    sections.extend(world_sections(sc, refused));
    let shown: Vec<&str> = sections
        .iter()
        .flat_map(|s| s.fields.iter().chain(&s.advanced))
        .map(|f| f.path.as_str())
        .collect();
    let error = refused
        .as_ref()
        .filter(|(p, _)| !shown.contains(&p.as_str()))
        .map(|(p, m)| {
            if p.is_empty() {
                m.clone()
            } else {
                format!("{p}: {m}")
            }
        });
    let crash_points = sc
        .consumers
        .iter()
        .enumerate()
        .flat_map(|(c, spec)| {
            spec.crashes.iter().enumerate().map(move |(ix, cp)| Item {
                consumer: c,
                ix,
                text: format!(
                    "{}: {}",
                    spec.name,
                    crate::edit::crash_point_label_for(cp, sc.client)
                ),
            })
        })
        .collect();
    let actions = sc
        .actions
        .iter()
        .enumerate()
        .map(|(ix, a)| {
            use offset_lab_sim::scenario::ActionKind;
            let what = match &a.act {
                ActionKind::Crash { kind } => format!(
                    "crash ({})",
                    crate::edit::crash_kind_label_for(*kind, sc.client)
                ),
                ActionKind::Restart => "restart".to_string(),
                ActionKind::SetProcessingMs { processing_ms } => {
                    format!("processing time → {processing_ms} ms")
                }
            };
            Item {
                consumer: 0,
                ix,
                text: format!("{} · {} · {what}", crate::view::clock(a.at_ms), a.consumer),
            }
        })
        .collect();
    BuilderVm {
        sections,
        crash_points,
        actions,
        can_add_consumer: sc.consumers.len() < offset_lab_sim::scenario::MAX_CONSUMERS,
        json: sc.to_json(),
        warnings: offset_lab_sim::check::warnings(tl)
            .into_iter()
            .map(|w| w.to_string())
            .collect(),
        error,
    }
}

/// A whole number typed into a field, or why it is not one.
fn number(text: &str) -> Result<u64, String> {
    text.trim()
        .parse::<u64>()
        .map_err(|_| format!("“{}” is not a whole number of 0 or more", text.trim()))
}

/// Sets `value` at `path` in `root`, creating objects on the way.
fn set_at(root: &mut Value, path: &[Seg], value: Value) -> Result<(), String> {
    let Some((last, init)) = path.split_last() else {
        *root = value;
        return Ok(());
    };
    let mut here = root;
    for s in init {
        here = match s {
            Seg::Key(k) => here
                .as_object_mut()
                .ok_or("not an object")?
                .entry(k.clone())
                .or_insert_with(|| Value::Object(Default::default())),
            Seg::Index(i) => here
                .as_array_mut()
                .and_then(|a| a.get_mut(*i))
                .ok_or("no such item")?,
        };
    }
    match last {
        Seg::Key(k) => {
            here.as_object_mut()
                .ok_or("not an object")?
                .insert(k.clone(), value);
        }
        Seg::Index(i) => {
            *here
                .as_array_mut()
                .and_then(|a| a.get_mut(*i))
                .ok_or("no such item")? = value;
        }
    }
    Ok(())
}

/// The JSON value of an edit.
fn json_value(edit: &Edit) -> Result<Value, String> {
    match edit {
        Edit::Bool(b) => Ok(Value::Bool(*b)),
        Edit::Number(t) => number(t).map(Value::from),
        Edit::Choice(t) | Edit::Text(t) => Ok(Value::String(t.trim().to_string())),
    }
}

/// The scenario with `key` set to `edit`, validated by the core (its work budget included); or
/// the field path and the message of why not.
pub fn apply(sc: &Scenario, key: &Key, edit: &Edit) -> Result<Scenario, (String, String)> {
    let at = |p: String| move |m: String| (p.clone(), m);
    match key {
        Key::Path(path) => {
            let text = path_text(path);
            let mut root = serde_json::to_value(sc).map_err(|e| (text.clone(), e.to_string()))?;
            let value = json_value(edit).map_err(at(text.clone()))?;
            set_at(&mut root, path, value).map_err(|e| (text.clone(), e.to_string()))?;
            let json = root.to_string();
            Scenario::from_json(&json).map_err(|e| {
                // The core names the field; an error elsewhere is still shown at this one.
                if e.path.is_empty() {
                    (text, e.message)
                } else {
                    (e.path, e.message)
                }
            })
        }
        Key::Commit(c) => {
            let Some(k) = edit.text() else {
                return Err((String::new(), "not a commit strategy".into()));
            };
            let strategy = CommitStrategy::from_key(k).ok_or_else(|| {
                (
                    format!("consumers[{c}].program"),
                    format!("no strategy “{k}”"),
                )
            })?;
            let mut sc = sc.clone();
            let spec = sc
                .consumers
                .get_mut(*c)
                .ok_or_else(|| (String::new(), "no such consumer".to_string()))?;
            strategy.apply_to(spec);
            validated(sc)
        }
        Key::CommitEvery { consumer, ms } => {
            let path = format!("consumers[{consumer}].program");
            let Some(t) = edit.text() else {
                return Err((path, "not a number".into()));
            };
            let v = number(t).map_err(at(path.clone()))?;
            let mut sc = sc.clone();
            let spec = sc
                .consumers
                .get_mut(*consumer)
                .ok_or_else(|| (String::new(), "no such consumer".to_string()))?;
            for s in &mut spec.program.per_message {
                if let MessageStep::Commit {
                    every, every_ms, ..
                } = s
                {
                    if *ms {
                        *every_ms = v;
                    } else {
                        *every = u32::try_from(v).unwrap_or(u32::MAX);
                    }
                }
            }
            validated(sc)
        }
        Key::TransientRate => {
            let Some(t) = edit.text() else {
                return Err(("faults".into(), "not a number".into()));
            };
            let v = number(t).map_err(at("faults".into()))?;
            let mut sc = sc.clone();
            sc.faults
                .retain(|f| !matches!(f, Fault::TransientFailures { .. }));
            if v > 0 {
                sc.faults.push(Fault::TransientFailures {
                    per_mille: u32::try_from(v).unwrap_or(u32::MAX),
                });
            }
            validated(sc)
        }
        Key::Invalid => {
            let path = "topic.payments.invalid".to_string();
            let Some(t) = edit.text() else {
                return Err((path, "not a list".into()));
            };
            let mut list = Vec::new();
            for part in t.split([',', ' ']).filter(|p| !p.trim().is_empty()) {
                let v = number(part).map_err(at(path.clone()))?;
                list.push(
                    u32::try_from(v).map_err(|_| (path.clone(), format!("{v} is too large")))?,
                );
            }
            let mut sc = sc.clone();
            sc.topic.payments.invalid = list;
            validated(sc)
        }
    }
}

fn validated(sc: Scenario) -> Result<Scenario, (String, String)> {
    sc.validate().map_err(|e| (e.path, e.message))?;
    Ok(sc)
}

/// The scenario with one more consumer, like the last one, named anew.
pub fn add_consumer(sc: &Scenario) -> Result<Scenario, (String, String)> {
    let mut sc = sc.clone();
    let Some(mut c) = sc.consumers.last().cloned() else {
        return Err(("consumers".into(), "there is no consumer to copy".into()));
    };
    let mut k = sc.consumers.len() + 1;
    while sc
        .consumers
        .iter()
        .any(|x| x.name == format!("consumer-{k}"))
    {
        k += 1;
    }
    c.name = format!("consumer-{k}");
    c.crashes.clear();
    sc.consumers.push(c);
    validated(sc)
}

/// The scenario without consumer `i` (and its actions).
pub fn remove_consumer(sc: &Scenario, i: usize) -> Result<Scenario, (String, String)> {
    if sc.consumers.len() <= 1 {
        return Err((
            "consumers".into(),
            "a scenario needs at least one consumer".into(),
        ));
    }
    let mut sc = sc.clone();
    if i >= sc.consumers.len() {
        return Err(("consumers".into(), "no such consumer".into()));
    }
    let name = sc.consumers.remove(i).name;
    sc.actions.retain(|a| a.consumer != name);
    validated(sc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sleep7() -> Scenario {
        offset_lab_sim::preset("step1-autocommit-sleep7").unwrap()
    }

    fn build(sc: &Scenario, refused: &Refused) -> BuilderVm {
        builder(&offset_lab_sim::Timeline::new(sc.clone()).unwrap(), refused)
    }

    fn field<'a>(vm: &'a BuilderVm, path: &str) -> &'a Field {
        vm.sections
            .iter()
            .flat_map(|s| s.fields.iter().chain(&s.advanced))
            .find(|f| f.path == path)
            .unwrap_or_else(|| panic!("no field {path}"))
    }

    #[test]
    fn a_field_edits_its_place_and_nothing_else() {
        let sc = sleep7();
        let vm = build(&sc, &None);
        let f = field(&vm, "consumers[0].config.auto.commit.interval.ms");
        let out = apply(&sc, &f.key, &Edit::Number("2000".into())).unwrap();
        assert_eq!(out.consumers[0].config.auto_commit_interval_ms, 2000);
        let mut back = out.clone();
        back.consumers[0].config.auto_commit_interval_ms = 5000;
        assert_eq!(back, sc);
        let f = field(&vm, "consumers[0].config.enable.auto.commit");
        let out = apply(&sc, &f.key, &Edit::Bool(false)).unwrap();
        assert!(!out.consumers[0].config.enable_auto_commit);
    }

    #[test]
    fn out_of_range_input_gets_the_cores_message_at_the_field_and_is_not_clamped() {
        let sc = sleep7();
        let vm = build(&sc, &None);
        let key = &field(&vm, "consumers[0].config.auto.commit.interval.ms").key;
        for bad in ["1", "-5", "99999999", "ten"] {
            let (path, msg) = apply(&sc, key, &Edit::Number(bad.into())).unwrap_err();
            assert_eq!(
                path, "consumers[0].config.auto.commit.interval.ms",
                "{bad}: {msg}"
            );
            assert!(!msg.is_empty());
        }
        // The refusal shows at the field.
        let refused = Some((
            "consumers[0].config.auto.commit.interval.ms".to_string(),
            "too small".to_string(),
        ));
        let vm = build(&sc, &refused);
        assert_eq!(
            field(&vm, "consumers[0].config.auto.commit.interval.ms")
                .error
                .as_deref(),
            Some("too small")
        );
        assert!(vm.error.is_none());
    }

    #[test]
    fn the_commit_decision_and_the_world_are_controls() {
        let sc = sleep7();
        let out = apply(
            &sc,
            &Key::Commit(0),
            &Edit::Choice("after-each-sync".into()),
        )
        .unwrap();
        assert_eq!(
            CommitStrategy::of(&out.consumers[0].program),
            CommitStrategy::AfterEachSync
        );
        let out = apply(
            &out,
            &Key::CommitEvery {
                consumer: 0,
                ms: false,
            },
            &Edit::Number("3".into()),
        )
        .unwrap();
        assert!(matches!(
            out.consumers[0].program.per_message[1],
            MessageStep::Commit { every: 3, .. }
        ));
        let vm = build(&out, &None);
        let parts = field(&vm, "topic.partitions").key.clone();
        let out = apply(&out, &parts, &Edit::Number("3".into())).unwrap();
        assert_eq!(out.topic.partitions, 3);
        let out = add_consumer(&out).unwrap();
        assert_eq!(out.consumers.len(), 2);
        assert_eq!(out.consumers[1].name, "consumer-2");
        let out = apply(&out, &Key::Invalid, &Edit::Text("2, 3".into())).unwrap();
        assert_eq!(out.topic.payments.invalid, vec![2, 3]);
        let out = apply(&out, &Key::TransientRate, &Edit::Number("50".into())).unwrap();
        assert!(
            out.faults
                .contains(&Fault::TransientFailures { per_mille: 50 })
        );
        let sink = field(&vm, "sink.kind").key.clone();
        let out = apply(&out, &sink, &Edit::Choice("idempotent".into())).unwrap();
        assert_eq!(
            out.sink.kind,
            offset_lab_sim::scenario::SinkKind::Idempotent
        );
        assert!(remove_consumer(&remove_consumer(&out, 1).unwrap(), 0).is_err());
    }

    #[test]
    fn every_shown_value_is_the_scenarios() {
        for name in offset_lab_sim::preset_names() {
            let sc = offset_lab_sim::preset(name).unwrap();
            let vm = build(&sc, &None);
            // Setting each number field to what it shows changes nothing.
            for f in vm
                .sections
                .iter()
                .flat_map(|s| s.fields.iter().chain(&s.advanced))
            {
                let edit = match &f.input {
                    Input::Bool(b) => Edit::Bool(*b),
                    Input::Number { value, .. } => Edit::Number(value.to_string()),
                    Input::Choice { value, .. } if value != "custom" => Edit::Choice(value.clone()),
                    Input::Text(t) => Edit::Text(t.clone()),
                    Input::Choice { .. } => continue,
                };
                match apply(&sc, &f.key, &edit) {
                    Ok(out) => assert_eq!(out, sc, "{name}: {}", f.path),
                    Err((p, m)) => {
                        // A disabled field may hold a value the core would refuse anew.
                        assert!(
                            f.disabled,
                            "{name}: {} refused its own value: {p}: {m}",
                            f.path
                        )
                    }
                }
            }
        }
    }
}
