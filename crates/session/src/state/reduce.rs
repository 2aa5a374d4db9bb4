//! The reducer: what each [`Action`] does to the [`AppState`]. An action that changes the
//! scenario simulates it again (`rebuild`) and records the change for the comparison with
//! the run as loaded; a no-op returns the same `Rc`, so nothing re-renders.

use std::rc::Rc;

use offset_lab_sim::scenario::{ActionKind, CrashKind, CrashPoint};
use offset_lab_sim::{Ms, Scenario};

use super::{Action, AppState, Baseline, CUSTOM, MAX_FILE_BYTES, Notice, SPEEDS};
use crate::edit::{self, Setting};
use crate::view::moments;
use crate::view::outcome::run_stats;

/// How a setting change reads in the comparison ("before: …").
pub fn setting_label(s: &Setting) -> String {
    match s {
        Setting::EnableAutoCommit(b) => format!("enable.auto.commit → {b}"),
        Setting::AutoCommitIntervalMs(ms) => format!("auto.commit.interval.ms → {ms}"),
        Setting::EnableAutoOffsetStore(b) => format!("enable.auto.offset.store → {b}"),
        Setting::ProcessingMs(ms) => format!("processing time → {ms} ms"),
        Setting::BatchSize(n) => format!("batch size → {n}"),
        Setting::Strategy(st) => format!("commit strategy → {}", st.label()),
        Setting::CloseInFinally(b) => {
            if *b {
                "close() in a finally block".to_string()
            } else {
                "no finally: close()".to_string()
            }
        }
        Setting::Client(m) => format!("client → {m:?}").to_lowercase(),
        Setting::FirstPaymentMs(ms) => {
            format!("first payment produced at {}", crate::view::clock(*ms))
        }
    }
}

impl AppState {
    /// What `action` does: the same `Rc` when it changes nothing.
    pub fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let n = self.timeline.events.len();
        // No-ops return the same Rc, so nothing re-renders.
        let unchanged = match &action {
            Action::StepForward | Action::NextNotable | Action::NextMoment | Action::ToEnd => {
                self.cursor >= n && self.time_ms >= self.timeline.end_ms()
            }
            Action::StepBack | Action::PrevNotable | Action::PrevMoment | Action::ToStart => {
                self.cursor == 0 && self.time_ms == 0
            }
            Action::Tick(_) => !self.playing,
            Action::Play => self.playing,
            Action::Pause => !self.playing,
            Action::SetSpeed(i) => *i == self.speed_ix || *i >= SPEEDS.len(),
            Action::Select(p) => *p == self.selected,
            Action::ShowPanel(p) => *p == self.panel,
            Action::SetFilter(f) => *f == self.filter,
            Action::SetPauseAtMoments(b) => *b == self.pause_at_moments,
            Action::DismissNotice => self.notice.is_none(),
            Action::SetCodeConsumer(c) => {
                *c == self.code_consumer || *c >= self.scenario().consumers.len()
            }
            Action::SetPlacingCrash(b) => *b == self.placing_crash,
            Action::SetForkProcessing(b) => *b == self.fork_processing,
            Action::SeekCursor(c) => {
                (*c).min(n) == self.cursor && self.time_ms == self.timeline.time_at(self.cursor)
            }
            Action::SeekTime(t) => (*t).min(self.timeline.end_ms()) == self.time_ms,
            Action::Export(_)
            | Action::Share(_)
            | Action::Predict { .. }
            | Action::ResetProgress
            | Action::RetryPrediction(_)
            | Action::ExplorePhase
            | Action::Prove(_)
            | Action::OpenProofRun(_)
            | Action::StartChallenge(_)
            | Action::RunExperiment(_)
            | Action::RunSweep { .. }
            | Action::OpenSweepRun(_)
            | Action::CompareWith(_) => true,
            _ => false,
        };
        if unchanged {
            return self;
        }
        let mut s = (*self).clone();
        match action {
            Action::LoadScenario(name) => {
                if name == CUSTOM {
                    return self;
                }
                return Rc::new(self.start_over(AppState::new(&name)));
            }
            Action::Import { file_name, text } => {
                let opened = if text.len() > MAX_FILE_BYTES {
                    Err(format!(
                        "the file is {} KB; a scenario file is at most {} KB",
                        text.len() / 1024,
                        MAX_FILE_BYTES / 1024
                    ))
                } else {
                    Scenario::from_json(&text).map_err(|e| e.to_string())
                };
                let fresh = opened
                    .map(AppState::with_scenario)
                    .and_then(|f| match f.notice {
                        Some(n) => Err(n.text),
                        None => Ok(f),
                    });
                match fresh {
                    Err(e) => s.notice = Some(super::open_error(&file_name, &e)),
                    Ok(fresh) => {
                        let mut fresh = self.start_over(fresh);
                        let title = &fresh.scenario().title;
                        let text = if title.is_empty() {
                            format!("Opened “{file_name}”.")
                        } else {
                            format!("Opened “{file_name}”: {title}.")
                        };
                        fresh.notice = Some(Notice { error: false, text });
                        return Rc::new(fresh);
                    }
                }
            }
            Action::Notify(notice) => s.notice = Some(notice),
            Action::StepForward => {
                let c = s.cursor;
                s.playing = false;
                s.seek_cursor((c + 1).min(n));
            }
            Action::StepBack => {
                s.playing = false;
                if s.time_ms > s.timeline.time_at(s.cursor) {
                    // Between events (after playing): snap back to the last event.
                    s.time_ms = s.timeline.time_at(s.cursor);
                } else {
                    let c = s.cursor.saturating_sub(1);
                    s.seek_cursor(c);
                }
            }
            Action::NextNotable => {
                s.playing = false;
                let c = s.timeline.next_notable(s.cursor);
                s.seek_cursor(c);
            }
            Action::PrevNotable => {
                s.playing = false;
                let c = s.timeline.prev_notable(s.cursor);
                s.seek_cursor(c);
            }
            Action::NextMoment => {
                s.playing = false;
                let c = s
                    .moments
                    .iter()
                    .map(|m| m.cursor())
                    .find(|&c| c > s.cursor)
                    .unwrap_or(n);
                s.seek_cursor(c);
                if c == n {
                    s.time_ms = s.timeline.end_ms();
                }
            }
            Action::PrevMoment => {
                s.playing = false;
                let c = s
                    .moments
                    .iter()
                    .map(|m| m.cursor())
                    .rfind(|&c| c < s.cursor)
                    .unwrap_or(0);
                s.seek_cursor(c);
            }
            Action::ToStart => {
                s.playing = false;
                s.seek_cursor(0);
            }
            Action::ToEnd => {
                s.playing = false;
                s.seek_cursor(n);
                s.time_ms = s.timeline.end_ms();
            }
            Action::SeekTime(t) => s.seek_time(t),
            Action::SeekCursor(c) => s.seek_cursor(c),
            Action::Tick(dt) => s.tick(dt),
            Action::Play => {
                if s.at_end() {
                    s.seek_cursor(0);
                }
                s.playing = true;
            }
            Action::Pause => s.playing = false,
            Action::TogglePlay => {
                return self.reduce(if s.playing {
                    Action::Pause
                } else {
                    Action::Play
                });
            }
            Action::SetSpeed(i) => s.speed_ix = i,
            Action::SetPauseAtMoments(b) => s.pause_at_moments = b,
            Action::ChangeSetting(setting) => {
                if let (Setting::ProcessingMs(ms), true) = (&setting, s.fork_processing) {
                    // A fork: from the current time on, every consumer processes at the new pace.
                    let mut sc = s.scenario().clone();
                    for c in 0..sc.consumers.len() {
                        if let Some(next) = edit::add_action(
                            &sc,
                            s.time_ms,
                            c,
                            ActionKind::SetProcessingMs { processing_ms: *ms },
                        ) {
                            sc = next;
                        }
                    }
                    let label = format!(
                        "processing time → {ms} ms from {}",
                        crate::view::clock(s.time_ms)
                    );
                    s.rebuild(sc, Some(label), None);
                } else {
                    let (sc, note) = edit::apply_setting(s.scenario(), &setting);
                    if sc == *s.scenario() {
                        return self;
                    }
                    s.rebuild(sc, Some(setting_label(&setting)), note);
                }
            }
            Action::CrashNow { consumer, kind } => {
                let Some(sc) = edit::add_action(
                    s.scenario(),
                    s.time_ms,
                    consumer,
                    ActionKind::Crash { kind },
                ) else {
                    return self;
                };
                let label = format!(
                    "{} crashed at {}",
                    consumer_label(&s, consumer),
                    crate::view::clock(s.time_ms)
                );
                s.rebuild(sc, Some(label), None);
                s.playing = false;
            }
            Action::RestartNow { consumer } => {
                let Some(sc) =
                    edit::add_action(s.scenario(), s.time_ms, consumer, ActionKind::Restart)
                else {
                    return self;
                };
                let label = format!(
                    "{} restarted at {}",
                    consumer_label(&s, consumer),
                    crate::view::clock(s.time_ms)
                );
                s.rebuild(sc, Some(label), None);
            }
            Action::RemoveAction(ix) => {
                let Some(sc) = edit::remove_action(s.scenario(), ix) else {
                    return self;
                };
                s.rebuild(sc, Some("an action removed".into()), None);
            }
            Action::AddCrashPoint { consumer, point } => {
                let Some(sc) = edit::add_crash_point(s.scenario(), consumer, point.into()) else {
                    return self;
                };
                s.rebuild(sc, Some("a crash point added".into()), None);
            }
            Action::AddCrashAt { consumer, at_ms } => {
                let point = CrashPoint {
                    at_ms: Some(at_ms),
                    point: None,
                    message: None,
                    kind: CrashKind::SysExit,
                    restart_after_ms: Some(1000),
                };
                let Some(sc) = edit::add_crash_point(s.scenario(), consumer, point) else {
                    return self;
                };
                s.placing_crash = false;
                s.rebuild(
                    sc,
                    Some(format!("a crash point at {}", crate::view::clock(at_ms))),
                    None,
                );
            }
            Action::RemoveCrashPoint { consumer, ix } => {
                let Some(sc) = edit::remove_crash_point(s.scenario(), consumer, ix) else {
                    return self;
                };
                s.rebuild(sc, Some("a crash point removed".into()), None);
            }
            Action::Select(p) => s.selected = p,
            Action::ShowPanel(p) => s.panel = p,
            Action::SetFilter(f) => s.filter = f,
            Action::Dismiss(ix) => s.dismissed = Some(ix),
            Action::DismissNotice => s.notice = None,
            Action::SetCodeConsumer(c) => s.code_consumer = c,
            Action::SetPlacingCrash(b) => s.placing_crash = b,
            Action::SetForkProcessing(b) => s.fork_processing = b,
            Action::Export(_)
            | Action::Share(_)
            | Action::Predict { .. }
            | Action::ResetProgress
            | Action::RetryPrediction(_)
            | Action::ExplorePhase
            | Action::Prove(_)
            | Action::OpenProofRun(_)
            | Action::StartChallenge(_)
            | Action::RunExperiment(_)
            | Action::RunSweep { .. }
            | Action::OpenSweepRun(_)
            | Action::CompareWith(_) => {}
            Action::SetField { key, edit } => {
                match crate::builder::apply(s.scenario(), &key, &edit) {
                    Ok(sc) if sc == *s.scenario() => {
                        if s.refused.is_none() {
                            return self;
                        }
                        s.refused = None;
                    }
                    Ok(sc) => {
                        s.refused = None;
                        let label = edit_label(&key, &edit);
                        s.rebuild(sc, Some(label), None);
                    }
                    Err(refused) => s.refused = Some(refused),
                }
            }
            Action::AddConsumer => match crate::builder::add_consumer(s.scenario()) {
                Ok(sc) => {
                    s.refused = None;
                    s.rebuild(sc, Some("a consumer added".into()), None);
                }
                Err(refused) => s.refused = Some(refused),
            },
            Action::RemoveConsumer(i) => match crate::builder::remove_consumer(s.scenario(), i) {
                Ok(sc) => {
                    let name = s.scenario().consumers[i].name.clone();
                    s.refused = None;
                    s.rebuild(sc, Some(format!("{name} removed")), None);
                }
                Err(refused) => s.refused = Some(refused),
            },
            Action::CheckJson(text) => {
                s.json_check = Some(check_json(&text).map(|_| ()));
            }
            Action::ApplyJson(text) => match check_json(&text) {
                Ok(sc) if sc == *s.scenario() => {
                    s.json_check = None;
                }
                Ok(sc) => {
                    s.json_check = None;
                    s.refused = None;
                    s.rebuild(sc, Some("the scenario's JSON edited".into()), None);
                }
                Err(e) => s.json_check = Some(Err(e)),
            },
        }
        Rc::new(s)
    }
}

impl AppState {
    /// A run the session made (a proof's counterexample, a challenge's start) opened as the
    /// scenario on screen, named `preset` in the picker, at `cursor`, with `notice`.
    pub(crate) fn open_run(
        &self,
        timeline: offset_lab_sim::Timeline,
        preset: String,
        cursor: usize,
        notice: Option<Notice>,
    ) -> AppState {
        let mut fresh = AppState::new(crate::scenarios::DEFAULT);
        fresh.moments = Rc::new(moments::moments(&timeline));
        fresh.timeline = Rc::new(timeline);
        fresh.preset = preset;
        fresh.notice = notice;
        let mut fresh = self.start_over(fresh);
        fresh.code_consumer = self
            .code_consumer
            .min(fresh.scenario().consumers.len().saturating_sub(1));
        fresh.seek_cursor(cursor);
        fresh
    }

    /// A run of a sweep as the scenario on screen, at the event that decided its outcome (if
    /// any), with this state's preferences and layout kept; `Err`: why it cannot open.
    pub(crate) fn open_sweep_run(
        &self,
        scenario: Scenario,
        at: Option<usize>,
        what: &str,
    ) -> Result<AppState, String> {
        let fresh = AppState::with_scenario(scenario);
        if let Some(n) = fresh.notice {
            return Err(n.text);
        }
        let mut fresh = self.start_over(fresh);
        if let Some(ix) = at {
            fresh.seek_cursor(ix + 1);
        }
        fresh.notice = Some(Notice {
            error: false,
            text: format!("Opened the run of {what}."),
        });
        Ok(fresh)
    }

    /// `fresh` (a new scenario) with this state's preferences and layout kept.
    fn start_over(&self, mut fresh: AppState) -> AppState {
        fresh.embed = self.embed;
        fresh.panels = self.panels.clone();
        fresh.run_id = self.run_id.wrapping_add(1);
        fresh.speed_ix = self.speed_ix;
        fresh.pause_at_moments = self.pause_at_moments;
        fresh.panel = self.panel;
        fresh.filter = self.filter;
        fresh
    }

    /// Simulates `scenario` and keeps the time. `change` describes the edit for the comparison
    /// with the previous run (moment 5); `None` starts a new story (a new scenario).
    fn rebuild(&mut self, scenario: Scenario, change: Option<String>, note: Option<String>) {
        match crate::run::build(scenario) {
            Err(e) => {
                self.notice = Some(Notice {
                    error: true,
                    text: format!("That change would make the scenario invalid: {e}"),
                });
            }
            Ok(tl) => {
                self.baseline = change.map(|change| match &self.baseline {
                    Some(b) => {
                        let mut b = (**b).clone();
                        b.changes.push(change);
                        Rc::new(b)
                    }
                    None => {
                        let old = &self.timeline;
                        Rc::new(Baseline {
                            changes: vec![change],
                            stats: run_stats(old, &old.final_world, old.events.len()),
                        })
                    }
                });
                let t = self.time_ms;
                self.moments = Rc::new(moments::moments(&tl));
                self.timeline = Rc::new(tl);
                self.run_id = self.run_id.wrapping_add(1);
                self.seek_time(t);
                self.dismissed = None;
                self.notice = note.map(|text| Notice { error: false, text });
                let n = self.timeline.final_world.log.payments.len() as u32;
                self.selected = self.selected.filter(|p| *p < n);
                self.code_consumer = self
                    .code_consumer
                    .min(self.scenario().consumers.len().saturating_sub(1));
            }
        }
    }

    fn tick(&mut self, dt: Ms) {
        let end = self.timeline.end_ms();
        // Through an idle stretch quickly, up to its end, then at the chosen speed again.
        let t = match self.idle_until() {
            Some(until) => self
                .time_ms
                .saturating_add(dt.saturating_mul(super::IDLE_SPEEDUP))
                .min(until),
            None => self.time_ms.saturating_add(dt),
        }
        .min(end);
        let to = self.timeline.cursor_at_time(t);
        if self.pause_at_moments
            && let Some(m) = moments::first_between(&self.moments, self.cursor, to)
        {
            // Stop right after the moment's event, at its time, callout showing.
            self.cursor = m.cursor();
            self.time_ms = self.timeline.events[m.ix].at_ms;
            self.playing = false;
            return;
        }
        self.cursor = to;
        self.time_ms = t;
        if t >= end {
            self.cursor = self.timeline.events.len();
            self.playing = false;
        }
    }
}

/// A draft of the JSON editor, opened as Import would open it.
fn check_json(text: &str) -> Result<Scenario, String> {
    if text.len() > MAX_FILE_BYTES {
        return Err(format!(
            "the scenario is {} KB; a scenario is at most {} KB",
            text.len() / 1024,
            MAX_FILE_BYTES / 1024
        ));
    }
    Scenario::from_json(text).map_err(|e| e.to_string())
}

/// How a builder edit reads in the comparison ("before: …").
fn edit_label(key: &crate::builder::Key, edit: &crate::builder::Edit) -> String {
    use crate::builder::{Edit, Key, Seg};
    let value = match edit {
        Edit::Bool(b) => b.to_string(),
        Edit::Number(t) | Edit::Choice(t) | Edit::Text(t) => t.trim().to_string(),
    };
    let what = match key {
        Key::Path(path) => path
            .iter()
            .rev()
            .find_map(|s| match s {
                Seg::Key(k) => Some(k.clone()),
                Seg::Index(_) => None,
            })
            .unwrap_or_default(),
        Key::Commit(_) => "commit strategy".into(),
        Key::CommitEvery { ms: false, .. } => "commit every N".into(),
        Key::CommitEvery { ms: true, .. } => "commit at least every".into(),
        Key::TransientRate => "transient failures ‰".into(),
        Key::Invalid => "invalid payments".into(),
    };
    format!("{what} → {value}")
}

fn consumer_label(s: &AppState, c: usize) -> String {
    s.scenario()
        .consumers
        .get(c)
        .map_or_else(|| format!("consumer {c}"), |c| c.name.clone())
}
