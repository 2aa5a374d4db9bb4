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

mod sections;
use sections::{consumer_section, world_sections};

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
mod tests;
