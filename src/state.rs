//! The app's state and every way it changes: one [`AppState`], one [`Action`] enum, one
//! reducer. Pure logic (no DOM), tested natively.
//!
//! The scenario is the single source of truth: a user action ("crash now", a crash point, a
//! setting) edits the scenario, the whole run is simulated again from the same seed, and the
//! cursor goes back to the same simulated time (RaftScope's "fork, apply, save, render").

use std::rc::Rc;

use offset_lab_sim::scenario::{ActionKind, CrashKind, CrashPoint};
use offset_lab_sim::{Ms, Scenario, Timeline};
use yew::Reducible;

use crate::edit::{self, Setting};
use crate::scenarios;
use crate::view::moments::{self, Moment};
use crate::view::narration::Filter;
use crate::view::outcome::{RunStats, run_stats};

/// The picker's name for a scenario that is not one of the offered ones (from a link).
pub const CUSTOM: &str = "custom";

/// Playback speeds: simulated milliseconds per wall-clock millisecond.
pub const SPEEDS: [(f64, &str); 9] = [
    (0.1, "×0.1 (slow motion)"),
    (0.25, "×0.25"),
    (0.5, "×0.5"),
    (1.0, "×1 (real time)"),
    (2.0, "×2"),
    (5.0, "×5"),
    (10.0, "×10"),
    (30.0, "×30"),
    (100.0, "×100"),
];
const DEFAULT_SPEED: usize = 4;

/// The panel shown on a narrow screen, where code, timeline, narration and settings share one
/// place as tabs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Panel {
    Lab,
    Code,
    Timeline,
    Events,
    Settings,
}

impl Panel {
    pub const ALL: [Panel; 5] = [Panel::Lab, Panel::Code, Panel::Timeline, Panel::Events, Panel::Settings];

    pub fn label(self) -> &'static str {
        match self {
            Panel::Lab => "Lab",
            Panel::Code => "Code",
            Panel::Timeline => "Timeline",
            Panel::Events => "Events",
            Panel::Settings => "Settings",
        }
    }

    pub fn from_key(key: &str) -> Option<Panel> {
        Panel::ALL.into_iter().find(|p| p.key() == key)
    }

    pub fn key(self) -> &'static str {
        match self {
            Panel::Lab => "lab",
            Panel::Code => "code",
            Panel::Timeline => "timeline",
            Panel::Events => "events",
            Panel::Settings => "settings",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub error: bool,
    pub text: String,
}

/// The run as the scenario was loaded, to show what the student's changes did and cost
/// (moment 5).
#[derive(Clone, Debug, PartialEq)]
pub struct Baseline {
    /// What changed since, e.g. `enable.auto.commit → false; commit strategy → …`.
    pub changes: Vec<String>,
    pub stats: RunStats,
}

impl Baseline {
    /// The changes in a few words: the last three, and how many came before.
    pub fn change(&self) -> String {
        const SHOWN: usize = 3;
        let n = self.changes.len();
        let recent = self.changes[n.saturating_sub(SHOWN)..].join("; ");
        if n > SHOWN { format!("{} earlier changes; {recent}", n - SHOWN) } else { recent }
    }
}

#[derive(Clone, Debug)]
pub struct AppState {
    /// The name of the scenario picked (a preset, or one of ours).
    pub preset: String,
    pub timeline: Rc<Timeline>,
    /// Changes whenever `timeline` does: a cheap key for memoizing per run.
    pub run_id: u32,
    pub moments: Rc<Vec<Moment>>,
    /// Events that have happened: `0..=timeline.events.len()`.
    pub cursor: usize,
    /// The simulated time shown; between `time_at(cursor)` and the next event's time.
    pub time_ms: Ms,
    pub playing: bool,
    pub speed_ix: usize,
    /// Playback stops at each of the five moments.
    pub pause_at_moments: bool,
    pub panel: Panel,
    pub filter: Filter,
    pub selected: Option<u32>,
    /// The moment whose callout the student closed (by event index).
    pub dismissed: Option<usize>,
    pub notice: Option<Notice>,
    pub baseline: Option<Rc<Baseline>>,
    /// Whose program the code view shows.
    pub code_consumer: usize,
    /// A click on the timeline places a crash point instead of moving the cursor.
    pub placing_crash: bool,
    /// A new processing time applies from the cursor on (a fork) instead of from the start.
    pub fork_processing: bool,
    /// The compact layout for an iframe (`embed=1` in the link).
    pub embed: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    LoadScenario(String),
    StepForward,
    StepBack,
    NextNotable,
    PrevNotable,
    ToStart,
    ToEnd,
    SeekTime(Ms),
    SeekCursor(usize),
    /// The play loop: this much simulated time passed.
    Tick(Ms),
    Play,
    Pause,
    TogglePlay,
    SetSpeed(usize),
    SetPauseAtMoments(bool),
    ChangeSetting(Setting),
    /// Crash consumer `consumer` now: a fork at the current time.
    CrashNow { consumer: usize, kind: CrashKind },
    RestartNow { consumer: usize },
    RemoveAction(usize),
    AddCrashPoint { consumer: usize, point: CrashPoint },
    /// A time crash point where the student clicked the timeline.
    AddCrashAt { consumer: usize, at_ms: Ms },
    RemoveCrashPoint { consumer: usize, ix: usize },
    Select(Option<u32>),
    ShowPanel(Panel),
    SetFilter(Filter),
    Dismiss(usize),
    DismissNotice,
    SetCodeConsumer(usize),
    SetPlacingCrash(bool),
    SetForkProcessing(bool),
}

impl AppState {
    /// The state for scenario `name`, falling back to the default one (with a notice).
    pub fn new(name: &str) -> AppState {
        let (preset, timeline, notice) = match scenarios::load(name).and_then(Timeline::new) {
            Ok(tl) => (name.to_string(), tl, None),
            Err(e) => (
                scenarios::DEFAULT.to_string(),
                scenarios::default_timeline(),
                Some(Notice { error: true, text: format!("Could not open scenario \"{name}\" ({e}); showing the default one.") }),
            ),
        };
        let moments = Rc::new(moments::moments(&timeline));
        AppState {
            preset,
            timeline: Rc::new(timeline),
            run_id: 0,
            moments,
            cursor: 0,
            time_ms: 0,
            playing: false,
            speed_ix: DEFAULT_SPEED,
            pause_at_moments: true,
            panel: Panel::Code,
            filter: Filter::Notable,
            selected: None,
            dismissed: None,
            notice,
            baseline: None,
            code_consumer: 0,
            placing_crash: false,
            fork_processing: false,
            embed: false,
        }
    }

    /// The state a link describes (the core's link format), or the default scenario with a
    /// notice saying what is wrong with the link.
    pub fn from_link(query: &str) -> AppState {
        // The short form `?scenario=NAME` (any scenario the picker offers) is read first.
        let short = query
            .trim_start_matches('?')
            .split('&')
            .find_map(|kv| kv.strip_prefix("scenario="))
            .filter(|v| !v.is_empty());
        if let Some(name) = short {
            return AppState::new(name);
        }
        match offset_lab_sim::link::decode(query, scenarios::DEFAULT) {
            Err(e) => {
                let mut s = AppState::new(scenarios::DEFAULT);
                s.notice = Some(Notice { error: true, text: format!("{e} Showing the default scenario instead.") });
                s
            }
            Ok(link) => {
                let preset = scenarios::name_of(&link.scenario).unwrap_or_else(|| CUSTOM.to_string());
                let mut s = match Timeline::new(link.scenario) {
                    Ok(tl) => {
                        let mut s = AppState::new(scenarios::DEFAULT);
                        s.moments = Rc::new(moments::moments(&tl));
                        s.timeline = Rc::new(tl);
                        s.preset = preset;
                        s
                    }
                    Err(e) => {
                        let mut s = AppState::new(scenarios::DEFAULT);
                        s.notice = Some(Notice { error: true, text: format!("The scenario in this link cannot run: {e}") });
                        s
                    }
                };
                if link.t_ms > 0 {
                    s.seek_time(link.t_ms);
                }
                if let Some(p) = link.panels.iter().find_map(|k| Panel::from_key(k)) {
                    s.panel = p;
                }
                s.embed = link.embed;
                s
            }
        }
    }

    /// The link to this state (query string without `?`).
    pub fn link(&self) -> String {
        offset_lab_sim::link::encode(&offset_lab_sim::link::LinkState {
            scenario: (*self.timeline.scenario).clone(),
            t_ms: self.time_ms,
            panels: vec![self.panel.key().to_string()],
            embed: self.embed,
        })
    }

    pub fn scenario(&self) -> &Scenario {
        &self.timeline.scenario
    }

    pub fn speed(&self) -> f64 {
        SPEEDS.get(self.speed_ix).map_or(1.0, |s| s.0)
    }

    pub fn at_end(&self) -> bool {
        self.cursor >= self.timeline.events.len()
    }

    /// The moment whose callout shows now, unless dismissed.
    pub fn callout(&self) -> Option<Moment> {
        moments::current(&self.moments, self.cursor).filter(|m| self.dismissed != Some(m.ix))
    }

    fn seek_cursor(&mut self, cursor: usize) {
        let cursor = cursor.min(self.timeline.events.len());
        self.cursor = cursor;
        self.time_ms = self.timeline.time_at(cursor);
    }

    fn seek_time(&mut self, t: Ms) {
        let t = t.min(self.timeline.end_ms());
        self.cursor = self.timeline.cursor_at_time(t);
        self.time_ms = t;
    }

    /// Simulates `scenario` and keeps the time. `change` describes the edit for the comparison
    /// with the previous run (moment 5); `None` starts a new story (a new scenario).
    fn rebuild(&mut self, scenario: Scenario, change: Option<String>, note: Option<String>) {
        match Timeline::new(scenario) {
            Err(e) => {
                self.notice = Some(Notice { error: true, text: format!("That change would make the scenario invalid: {e}") });
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
                        Rc::new(Baseline { changes: vec![change], stats: run_stats(old, &old.final_world, old.events.len()) })
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
                self.code_consumer = self.code_consumer.min(self.scenario().consumers.len().saturating_sub(1));
            }
        }
    }

    fn tick(&mut self, dt: Ms) {
        let end = self.timeline.end_ms();
        let t = self.time_ms.saturating_add(dt).min(end);
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
            if *b { "close() in a finally block".to_string() } else { "no finally: close()".to_string() }
        }
        Setting::Client(m) => format!("client → {m:?}").to_lowercase(),
        Setting::FirstPaymentMs(ms) => format!("first payment produced at {}", crate::view::clock(*ms)),
    }
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let n = self.timeline.events.len();
        // No-ops return the same Rc, so nothing re-renders.
        let unchanged = match &action {
            Action::StepForward | Action::NextNotable | Action::ToEnd => self.cursor >= n && self.time_ms >= self.timeline.end_ms(),
            Action::StepBack | Action::PrevNotable | Action::ToStart => self.cursor == 0 && self.time_ms == 0,
            Action::Tick(_) => !self.playing,
            Action::Play => self.playing,
            Action::Pause => !self.playing,
            Action::SetSpeed(i) => *i == self.speed_ix || *i >= SPEEDS.len(),
            Action::Select(p) => *p == self.selected,
            Action::ShowPanel(p) => *p == self.panel,
            Action::SetFilter(f) => *f == self.filter,
            Action::SetPauseAtMoments(b) => *b == self.pause_at_moments,
            Action::DismissNotice => self.notice.is_none(),
            Action::SetCodeConsumer(c) => *c == self.code_consumer || *c >= self.scenario().consumers.len(),
            Action::SetPlacingCrash(b) => *b == self.placing_crash,
            Action::SetForkProcessing(b) => *b == self.fork_processing,
            Action::SeekCursor(c) => (*c).min(n) == self.cursor && self.time_ms == self.timeline.time_at(self.cursor),
            Action::SeekTime(t) => (*t).min(self.timeline.end_ms()) == self.time_ms,
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
                let mut fresh = AppState::new(&name);
                fresh.embed = self.embed;
                fresh.run_id = self.run_id.wrapping_add(1);
                fresh.speed_ix = self.speed_ix;
                fresh.pause_at_moments = self.pause_at_moments;
                fresh.panel = self.panel;
                fresh.filter = self.filter;
                return Rc::new(fresh);
            }
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
                return self.reduce(if s.playing { Action::Pause } else { Action::Play });
            }
            Action::SetSpeed(i) => s.speed_ix = i,
            Action::SetPauseAtMoments(b) => s.pause_at_moments = b,
            Action::ChangeSetting(setting) => {
                if let (Setting::ProcessingMs(ms), true) = (&setting, s.fork_processing) {
                    // A fork: from the current time on, every consumer processes at the new pace.
                    let mut sc = s.scenario().clone();
                    for c in 0..sc.consumers.len() {
                        if let Some(next) = edit::add_action(&sc, s.time_ms, c, ActionKind::SetProcessingMs { processing_ms: *ms }) {
                            sc = next;
                        }
                    }
                    let label = format!("processing time → {ms} ms from {}", crate::view::clock(s.time_ms));
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
                let Some(sc) = edit::add_action(s.scenario(), s.time_ms, consumer, ActionKind::Crash { kind }) else {
                    return self;
                };
                let label = format!("{} crashed at {}", consumer_label(&s, consumer), crate::view::clock(s.time_ms));
                s.rebuild(sc, Some(label), None);
                s.playing = false;
            }
            Action::RestartNow { consumer } => {
                let Some(sc) = edit::add_action(s.scenario(), s.time_ms, consumer, ActionKind::Restart) else {
                    return self;
                };
                let label = format!("{} restarted at {}", consumer_label(&s, consumer), crate::view::clock(s.time_ms));
                s.rebuild(sc, Some(label), None);
            }
            Action::RemoveAction(ix) => {
                let Some(sc) = edit::remove_action(s.scenario(), ix) else { return self };
                s.rebuild(sc, Some("an action removed".into()), None);
            }
            Action::AddCrashPoint { consumer, point } => {
                let Some(sc) = edit::add_crash_point(s.scenario(), consumer, point) else { return self };
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
                let Some(sc) = edit::add_crash_point(s.scenario(), consumer, point) else { return self };
                s.placing_crash = false;
                s.rebuild(sc, Some(format!("a crash point at {}", crate::view::clock(at_ms))), None);
            }
            Action::RemoveCrashPoint { consumer, ix } => {
                let Some(sc) = edit::remove_crash_point(s.scenario(), consumer, ix) else { return self };
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
        }
        Rc::new(s)
    }
}

fn consumer_label(s: &AppState, c: usize) -> String {
    s.scenario().consumers.get(c).map_or_else(|| format!("consumer {c}"), |c| c.name.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::CommitStrategy;
    use crate::view::moments::MomentKind;
    use offset_lab_sim::{CellState, EventKind};

    fn reduce(s: &Rc<AppState>, a: Action) -> Rc<AppState> {
        s.clone().reduce(a)
    }

    fn state(name: &str) -> Rc<AppState> {
        Rc::new(AppState::new(name))
    }

    #[test]
    fn unknown_scenario_falls_back_with_a_notice() {
        let s = AppState::new("no-such-thing");
        assert_eq!(s.preset, scenarios::DEFAULT);
        assert!(s.notice.as_ref().unwrap().error);
    }

    #[test]
    fn no_ops_return_the_same_rc() {
        let s = state("step1-autocommit-sleep7");
        for a in [Action::StepBack, Action::ToStart, Action::Pause, Action::Tick(100), Action::Select(None), Action::SetSpeed(99)] {
            assert!(Rc::ptr_eq(&s, &reduce(&s, a.clone())), "{a:?}");
        }
        let end = reduce(&s, Action::ToEnd);
        assert!(Rc::ptr_eq(&end, &reduce(&end, Action::StepForward)));
    }

    #[test]
    fn stepping_moves_event_by_event_and_back() {
        let s = state("step1-autocommit-sleep7");
        let s1 = reduce(&s, Action::StepForward);
        assert_eq!(s1.cursor, 1);
        let s2 = reduce(&s1, Action::StepForward);
        assert_eq!(s2.cursor, 2);
        let back = reduce(&s2, Action::StepBack);
        assert_eq!(back.cursor, 1);
        assert_eq!(back.time_ms, back.timeline.time_at(1));
        let end = reduce(&s, Action::ToEnd);
        assert_eq!(end.cursor, end.timeline.events.len());
        assert_eq!(end.time_ms, 90_000);
        assert_eq!(reduce(&end, Action::ToStart).cursor, 0);
    }

    #[test]
    fn notable_steps_skip_heartbeats() {
        let s = state("step1-autocommit-sleep7");
        let mut cur = s.clone();
        for _ in 0..30 {
            cur = reduce(&cur, Action::NextNotable);
            assert!(cur.timeline.events[cur.cursor - 1].kind.is_notable());
        }
        let back = reduce(&cur, Action::PrevNotable);
        assert!(back.cursor < cur.cursor);
    }

    #[test]
    fn playing_pauses_at_each_moment_then_runs_to_the_end() {
        let s = reduce(&state("step1-autocommit-sleep7"), Action::Play);
        let mut s = s;
        let mut stops = Vec::new();
        for _ in 0..10_000 {
            s = reduce(&s, Action::Tick(250));
            if !s.playing {
                if s.at_end() {
                    break;
                }
                let m = s.callout().unwrap();
                assert!(m.first);
                stops.push(m.kind);
                s = reduce(&s, Action::Play);
            }
        }
        assert!(s.at_end());
        assert_eq!(
            stops,
            vec![MomentKind::AtRisk, MomentKind::DiedWithoutClose, MomentKind::SessionExpired, MomentKind::Resumed]
        );
        assert_eq!(s.callout().unwrap().kind, MomentKind::Outcome);
        // Play at the end starts again.
        assert_eq!(reduce(&s, Action::Play).cursor, 0);
    }

    #[test]
    fn ticks_move_time_between_events() {
        let s = reduce(&state("step1-autocommit-sleep7"), Action::SetPauseAtMoments(false));
        let s = reduce(&s, Action::Play);
        let s = reduce(&s, Action::Tick(2500));
        assert_eq!(s.time_ms, 2500);
        assert_eq!(s.cursor, s.timeline.cursor_at_time(2500));
        // Stepping back from between events snaps to the last event first.
        let b = reduce(&s, Action::StepBack);
        assert_eq!(b.cursor, s.cursor);
        assert_eq!(b.time_ms, s.timeline.time_at(s.cursor));
        assert!(!b.playing);
    }

    #[test]
    fn disabling_auto_commit_restarts_from_the_beginning_and_keeps_the_time() {
        let s = reduce(&state("step1-autocommit-sleep7"), Action::SeekTime(6000));
        let run = s.run_id;
        let s2 = reduce(&s, Action::ChangeSetting(Setting::EnableAutoCommit(false)));
        assert_ne!(s2.run_id, run);
        assert_eq!(s2.time_ms, 6000);
        assert_eq!(s2.cursor, s2.timeline.cursor_at_time(6000));
        assert!(!s2.scenario().consumers[0].config.enable_auto_commit);
        assert_eq!(s2.timeline.scenario.seed, s.timeline.scenario.seed);
        // Moment 5: the loss is gone and the previous run is kept for comparison.
        assert_eq!(s2.timeline.final_world.summary().lost, 0);
        let base = s2.baseline.as_ref().unwrap();
        assert_eq!(base.stats.summary.lost, 1);
        assert_eq!(base.change(), "enable.auto.commit → false");
        // The same setting again changes nothing.
        assert!(Rc::ptr_eq(&s2, &reduce(&s2, Action::ChangeSetting(Setting::EnableAutoCommit(false)))));
    }

    #[test]
    fn crash_now_forks_at_the_current_time() {
        // step2 at 1.5 s: P-0001 is processed (1 s), being committed or P-0002 in processing.
        let s = reduce(&state("step2-manual-commit"), Action::SeekTime(1500));
        let s2 = reduce(&s, Action::CrashNow { consumer: 0, kind: CrashKind::Kill });
        assert_eq!(s2.scenario().actions.len(), 1);
        assert_eq!(s2.scenario().actions[0].at_ms, 1500);
        assert_eq!(s2.time_ms, 1500);
        // The cursor sits just after the crash.
        let last = &s2.timeline.events[s2.cursor - 1];
        assert!(matches!(last.kind, EventKind::Crashed { kind: CrashKind::Kill, .. }), "{last:?}");
        assert!(s2.timeline.world_at(s2.cursor).consumers[0].client.is_none());
        // Restart now brings it back; removing the actions restores the original run.
        let s3 = reduce(&s2, Action::RestartNow { consumer: 0 });
        assert_eq!(s3.scenario().actions.len(), 2);
        let s4 = reduce(&reduce(&s3, Action::RemoveAction(1)), Action::RemoveAction(0));
        assert_eq!(s4.timeline.trace_hash(), s.timeline.trace_hash());
    }

    #[test]
    fn crash_points_are_added_and_removed() {
        let s = state("step2-manual-commit");
        let s2 = reduce(&s, Action::AddCrashAt { consumer: 0, at_ms: 500 });
        assert_eq!(s2.scenario().consumers[0].crashes.len(), 2);
        assert!(s2.timeline.events.iter().any(|e| e.at_ms == 500 && e.kind.name() == "crashed"));
        let s3 = reduce(&s2, Action::RemoveCrashPoint { consumer: 0, ix: 1 });
        assert_eq!(s3.timeline.trace_hash(), s.timeline.trace_hash());
        assert!(Rc::ptr_eq(&s3, &reduce(&s3, Action::RemoveCrashPoint { consumer: 0, ix: 9 })));
    }

    #[test]
    fn an_invalid_change_keeps_the_run_and_says_why() {
        let s = state("step1-autocommit-sleep7");
        let s2 = reduce(&s, Action::ChangeSetting(Setting::AutoCommitIntervalMs(0)));
        assert_eq!(s2.run_id, s.run_id);
        assert!(s2.notice.as_ref().unwrap().error);
        assert!(s2.notice.as_ref().unwrap().text.contains("auto.commit.interval.ms"));
    }

    #[test]
    fn forked_processing_time_applies_from_now() {
        let s = reduce(&state("step2-manual-commit"), Action::SetForkProcessing(true));
        let s = reduce(&s, Action::SeekTime(2500));
        let s2 = reduce(&s, Action::ChangeSetting(Setting::ProcessingMs(300)));
        assert_eq!(s2.scenario().consumers[0].program.processing_ms, 1000);
        assert_eq!(s2.scenario().actions.len(), 1);
        assert_eq!(s2.scenario().actions[0].at_ms, 2500);
    }

    #[test]
    fn the_fix_removes_the_loss_and_costs_commits() {
        // Moment 5 from the student's side: Step 1 → switch to manual commits after processing.
        let s = state("step1-autocommit-sleep7");
        let s = reduce(&s, Action::ChangeSetting(Setting::EnableAutoCommit(false)));
        let s = reduce(&s, Action::ChangeSetting(Setting::Strategy(CommitStrategy::AfterEachSync)));
        let s = reduce(&s, Action::ToEnd);
        let w = &s.timeline.final_world;
        assert_eq!(w.summary().lost, 0);
        assert!(w.cell_states().contains(&CellState::AppliedOnce));
        assert_eq!(s.callout().unwrap().kind, MomentKind::Outcome);
        // Compared with the scenario as loaded, not with the run between the two changes.
        let base = s.baseline.as_ref().unwrap();
        assert_eq!(base.stats.summary.lost, 1);
        assert_eq!(base.changes.len(), 2);
        assert!(base.change().starts_with("enable.auto.commit → false; commit strategy → "));
    }

    #[test]
    fn dismissing_hides_only_that_callout() {
        let s = reduce(&state("step1-autocommit-sleep7"), Action::ToEnd);
        let m = s.callout().unwrap();
        let s2 = reduce(&s, Action::Dismiss(m.ix));
        assert!(s2.callout().is_none());
        let s3 = reduce(&s2, Action::SeekCursor(s.moments[0].cursor()));
        assert_eq!(s3.callout().unwrap().kind, MomentKind::AtRisk);
    }

    #[test]
    fn links_round_trip_the_scenario_time_and_panel() {
        let s = reduce(&state("step2-manual-commit"), Action::SeekTime(4200));
        let s = reduce(&s, Action::ShowPanel(Panel::Timeline));
        let back = AppState::from_link(&s.link());
        assert_eq!(back.preset, "step2-manual-commit");
        assert_eq!(back.time_ms, 4200);
        assert_eq!(back.panel, Panel::Timeline);
        // An edited scenario travels whole and comes back as "custom".
        let edited = reduce(&s, Action::AddCrashAt { consumer: 0, at_ms: 3000 });
        let back = AppState::from_link(&edited.link());
        assert_eq!(back.preset, CUSTOM);
        assert_eq!(back.timeline.trace_hash(), edited.timeline.trace_hash());
        // The short form and broken links.
        assert_eq!(AppState::from_link("?scenario=step2-manual-commit").preset, "step2-manual-commit");
        let broken = AppState::from_link("?v=1&s=%%%");
        assert_eq!(broken.preset, scenarios::DEFAULT);
        assert!(broken.notice.unwrap().error);
        assert!(AppState::from_link("?v=1&preset=step1-autocommit-sleep2&embed=1").embed);
    }

    #[test]
    fn loading_a_scenario_starts_over_but_keeps_preferences() {
        let s = reduce(&state("step1-autocommit-sleep7"), Action::SetSpeed(2));
        let s = reduce(&s, Action::ToEnd);
        let s2 = reduce(&s, Action::LoadScenario("step2-manual-commit".into()));
        assert_eq!(s2.preset, "step2-manual-commit");
        assert_eq!(s2.cursor, 0);
        assert_eq!(s2.speed_ix, 2);
        assert_ne!(s2.run_id, s.run_id);
    }
}
