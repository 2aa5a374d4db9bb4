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
/// Scenario files larger than this are refused unread (the presets are a few KB).
pub const MAX_FILE_BYTES: usize = 1024 * 1024;

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
    pub const ALL: [Panel; 5] = [
        Panel::Lab,
        Panel::Code,
        Panel::Timeline,
        Panel::Events,
        Panel::Settings,
    ];

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
        if n > SHOWN {
            format!("{} earlier changes; {recent}", n - SHOWN)
        } else {
            recent
        }
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
    /// The compact layout: in an iframe (`embed=1` in the link) or on a course page's element.
    pub embed: bool,
    /// The panels offered (in `Panel::ALL` order): all of them, unless an embedding names some.
    /// `panel` is one of them when there are any.
    pub panels: Vec<Panel>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    LoadScenario(String),
    /// Open a scenario file (its name and text); a file that does not validate leaves
    /// everything as it was and says why.
    Import {
        file_name: String,
        text: String,
    },
    /// Show a message (or replace the one showing).
    Notify(Notice),
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
    CrashNow {
        consumer: usize,
        kind: CrashKind,
    },
    RestartNow {
        consumer: usize,
    },
    RemoveAction(usize),
    AddCrashPoint {
        consumer: usize,
        point: CrashPoint,
    },
    /// A time crash point where the student clicked the timeline.
    AddCrashAt {
        consumer: usize,
        at_ms: Ms,
    },
    RemoveCrashPoint {
        consumer: usize,
        ix: usize,
    },
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
                Some(Notice {
                    error: true,
                    text: format!(
                        "Could not open scenario \"{name}\" ({e}); showing the default one."
                    ),
                }),
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
            panels: Panel::ALL.to_vec(),
        }
    }

    /// Offer only `panels` (an embedding's choice), the first one open; an empty list offers
    /// none. Unknown names are left out; when every name is unknown, all panels are offered.
    pub fn with_panels(mut self, names: &[String]) -> AppState {
        if names.is_empty() {
            return self;
        }
        let wanted: Vec<Panel> = names
            .iter()
            .filter_map(|k| Panel::from_key(k.trim()))
            .collect();
        if let Some(first) = wanted.first() {
            self.panel = *first;
            if self.embed {
                self.panels = Panel::ALL
                    .into_iter()
                    .filter(|p| wanted.contains(p))
                    .collect();
            }
        } else if self.embed && names.iter().any(|k| k.trim() == "none") {
            self.panels.clear();
        }
        self
    }

    /// The state a link describes (the core's link format), or the default scenario with a
    /// notice saying what is wrong with the link. A broken link keeps its layout (`embed`,
    /// `panels`), so that an embedded playground stays compact while it says what is wrong.
    pub fn from_link(query: &str) -> AppState {
        let query = query.trim_start_matches(['?', '#']);
        // The short form `?scenario=NAME` names any scenario the picker offers; the rest of the
        // link (time, panels, embed) still applies.
        let short = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("scenario="))
            .filter(|v| !v.is_empty());
        let (state, link) = match short {
            Some(name) => {
                let rest: Vec<&str> = query
                    .split('&')
                    .filter(|kv| !kv.starts_with("scenario="))
                    .collect();
                (
                    AppState::new(name),
                    offset_lab_sim::link::decode(&rest.join("&"), scenarios::DEFAULT),
                )
            }
            None => {
                let link = offset_lab_sim::link::decode(query, scenarios::DEFAULT);
                let state = match &link {
                    Err(e) => {
                        let mut s = AppState::new(scenarios::DEFAULT);
                        s.notice = Some(Notice {
                            error: true,
                            text: format!("{e} Showing the default scenario instead."),
                        });
                        s
                    }
                    Ok(link) => AppState::with_scenario(link.scenario.clone()),
                };
                (state, link)
            }
        };
        let mut s = state;
        match link {
            Ok(link) => {
                if link.t_ms > 0 {
                    s.seek_time(link.t_ms);
                }
                if let Some(e) = link.event {
                    s.seek_event_at_time(e);
                }
                s.embed = link.embed;
                s.with_panels(&link.panels)
            }
            Err(_) => {
                let layout = offset_lab_sim::link::layout(query);
                s.embed = layout.embed;
                s.with_panels(&layout.panels)
            }
        }
    }

    /// The state for a scenario from a link or a file: named after the offered scenario it
    /// equals, else "custom". One that cannot run gives the default scenario and says why.
    pub fn with_scenario(scenario: Scenario) -> AppState {
        let preset = scenarios::name_of(&scenario).unwrap_or_else(|| CUSTOM.to_string());
        let mut s = AppState::new(scenarios::DEFAULT);
        match Timeline::new(scenario) {
            Ok(tl) => {
                s.moments = Rc::new(moments::moments(&tl));
                s.timeline = Rc::new(tl);
                s.preset = preset;
            }
            Err(e) => {
                s.notice = Some(Notice {
                    error: true,
                    text: format!("This scenario cannot run: {e}"),
                })
            }
        }
        s
    }

    /// The link to this state (query string without `?`): the open panel first, then the other
    /// offered ones when an embedding chose them.
    pub fn link(&self) -> String {
        let mut panels = Vec::new();
        if !self.panels.is_empty() {
            panels.push(self.panel.key().to_string());
        }
        if self.panels.len() < Panel::ALL.len() {
            panels.extend(
                self.panels
                    .iter()
                    .filter(|p| **p != self.panel)
                    .map(|p| p.key().to_string()),
            );
            if self.panels.is_empty() {
                panels.push("none".to_string());
            }
        }
        // Several events can share an instant: `e` says which of them the cursor is after, when
        // the time alone would put it elsewhere.
        let implied = if self.time_ms > 0 {
            self.timeline.cursor_at_time(self.time_ms)
        } else {
            0
        };
        offset_lab_sim::link::encode(&offset_lab_sim::link::LinkState {
            scenario: (*self.timeline.scenario).clone(),
            t_ms: self.time_ms,
            panels,
            embed: self.embed,
            event: (self.cursor != implied).then_some(self.cursor),
        })
    }

    /// The same moment in the full playground: this link without `embed`, every panel offered.
    pub fn full_link(&self) -> String {
        let mut s = self.clone();
        s.embed = false;
        s.panels = Panel::ALL.to_vec();
        s.link()
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

    /// The cursor after event `e`, if it happens at the instant on screen (from a link).
    fn seek_event_at_time(&mut self, e: usize) {
        let at = |c: usize| self.timeline.time_at(c);
        if e <= self.timeline.events.len() && at(e) == at(self.cursor) {
            self.cursor = e;
        }
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

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let n = self.timeline.events.len();
        // No-ops return the same Rc, so nothing re-renders.
        let unchanged = match &action {
            Action::StepForward | Action::NextNotable | Action::ToEnd => {
                self.cursor >= n && self.time_ms >= self.timeline.end_ms()
            }
            Action::StepBack | Action::PrevNotable | Action::ToStart => {
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
                    Err(e) => s.notice = Some(crate::files::open_error(&file_name, &e)),
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
                let Some(sc) = edit::add_crash_point(s.scenario(), consumer, point) else {
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
        }
        Rc::new(s)
    }
}

/// Two states are equal when they show the same run (the same `Timeline`, by identity) in the
/// same way. Destructured, so that a new field cannot be forgotten here.
impl PartialEq for AppState {
    fn eq(&self, o: &AppState) -> bool {
        let AppState {
            preset,
            timeline,
            run_id,
            moments,
            cursor,
            time_ms,
            playing,
            speed_ix,
            pause_at_moments,
            panel,
            filter,
            selected,
            dismissed,
            notice,
            baseline,
            code_consumer,
            placing_crash,
            fork_processing,
            embed,
            panels,
        } = self;
        Rc::ptr_eq(timeline, &o.timeline)
            && Rc::ptr_eq(moments, &o.moments)
            && *run_id == o.run_id
            && *cursor == o.cursor
            && *time_ms == o.time_ms
            && *playing == o.playing
            && *speed_ix == o.speed_ix
            && *pause_at_moments == o.pause_at_moments
            && *panel == o.panel
            && *filter == o.filter
            && *selected == o.selected
            && *dismissed == o.dismissed
            && *notice == o.notice
            && *baseline == o.baseline
            && *code_consumer == o.code_consumer
            && *placing_crash == o.placing_crash
            && *fork_processing == o.fork_processing
            && *embed == o.embed
            && *panels == o.panels
            && *preset == o.preset
    }
}

impl AppState {
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
}

fn consumer_label(s: &AppState, c: usize) -> String {
    s.scenario()
        .consumers
        .get(c)
        .map_or_else(|| format!("consumer {c}"), |c| c.name.clone())
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
        for a in [
            Action::StepBack,
            Action::ToStart,
            Action::Pause,
            Action::Tick(100),
            Action::Select(None),
            Action::SetSpeed(99),
        ] {
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
            vec![
                MomentKind::AtRisk,
                MomentKind::DiedWithoutClose,
                MomentKind::SessionExpired,
                MomentKind::Resumed
            ]
        );
        assert_eq!(s.callout().unwrap().kind, MomentKind::Outcome);
        // Play at the end starts again.
        assert_eq!(reduce(&s, Action::Play).cursor, 0);
    }

    #[test]
    fn ticks_move_time_between_events() {
        let s = reduce(
            &state("step1-autocommit-sleep7"),
            Action::SetPauseAtMoments(false),
        );
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
        assert!(Rc::ptr_eq(
            &s2,
            &reduce(&s2, Action::ChangeSetting(Setting::EnableAutoCommit(false)))
        ));
    }

    #[test]
    fn crash_now_forks_at_the_current_time() {
        // step2 at 1.5 s: P-0001 is processed (1 s), being committed or P-0002 in processing.
        let s = reduce(&state("step2-manual-commit"), Action::SeekTime(1500));
        let s2 = reduce(
            &s,
            Action::CrashNow {
                consumer: 0,
                kind: CrashKind::Kill,
            },
        );
        assert_eq!(s2.scenario().actions.len(), 1);
        assert_eq!(s2.scenario().actions[0].at_ms, 1500);
        assert_eq!(s2.time_ms, 1500);
        // The cursor sits just after the crash.
        let last = &s2.timeline.events[s2.cursor - 1];
        assert!(
            matches!(
                last.kind,
                EventKind::Crashed {
                    kind: CrashKind::Kill,
                    ..
                }
            ),
            "{last:?}"
        );
        assert!(
            s2.timeline.world_at(s2.cursor).consumers[0]
                .client
                .is_none()
        );
        // Restart now brings it back; removing the actions restores the original run.
        let s3 = reduce(&s2, Action::RestartNow { consumer: 0 });
        assert_eq!(s3.scenario().actions.len(), 2);
        let s4 = reduce(
            &reduce(&s3, Action::RemoveAction(1)),
            Action::RemoveAction(0),
        );
        assert_eq!(s4.timeline.trace_hash(), s.timeline.trace_hash());
    }

    #[test]
    fn crash_points_are_added_and_removed() {
        let s = state("step2-manual-commit");
        let s2 = reduce(
            &s,
            Action::AddCrashAt {
                consumer: 0,
                at_ms: 500,
            },
        );
        assert_eq!(s2.scenario().consumers[0].crashes.len(), 2);
        assert!(
            s2.timeline
                .events
                .iter()
                .any(|e| e.at_ms == 500 && e.kind.name() == "crashed")
        );
        let s3 = reduce(&s2, Action::RemoveCrashPoint { consumer: 0, ix: 1 });
        assert_eq!(s3.timeline.trace_hash(), s.timeline.trace_hash());
        assert!(Rc::ptr_eq(
            &s3,
            &reduce(&s3, Action::RemoveCrashPoint { consumer: 0, ix: 9 })
        ));
    }

    #[test]
    fn an_invalid_change_keeps_the_run_and_says_why() {
        let s = state("step1-autocommit-sleep7");
        let s2 = reduce(&s, Action::ChangeSetting(Setting::AutoCommitIntervalMs(0)));
        assert_eq!(s2.run_id, s.run_id);
        assert!(s2.notice.as_ref().unwrap().error);
        assert!(
            s2.notice
                .as_ref()
                .unwrap()
                .text
                .contains("auto.commit.interval.ms")
        );
    }

    #[test]
    fn forked_processing_time_applies_from_now() {
        let s = reduce(
            &state("step2-manual-commit"),
            Action::SetForkProcessing(true),
        );
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
        let s = reduce(
            &s,
            Action::ChangeSetting(Setting::Strategy(CommitStrategy::AfterEachSync)),
        );
        let s = reduce(&s, Action::ToEnd);
        let w = &s.timeline.final_world;
        assert_eq!(w.summary().lost, 0);
        assert!(w.cell_states().contains(&CellState::AppliedOnce));
        assert_eq!(s.callout().unwrap().kind, MomentKind::Outcome);
        // Compared with the scenario as loaded, not with the run between the two changes.
        let base = s.baseline.as_ref().unwrap();
        assert_eq!(base.stats.summary.lost, 1);
        assert_eq!(base.changes.len(), 2);
        assert!(
            base.change()
                .starts_with("enable.auto.commit → false; commit strategy → ")
        );
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
        assert_eq!(back.cursor, s.cursor);
        // Events that share an instant: the link says which one the cursor is after.
        let ev = &s.timeline.events;
        let first = (0..ev.len() - 1)
            .find(|&i| ev[i].at_ms > 0 && ev[i].at_ms == ev[i + 1].at_ms)
            .unwrap();
        let same_instant = reduce(&s, Action::SeekCursor(first + 1));
        assert_ne!(
            same_instant.cursor,
            same_instant.timeline.cursor_at_time(same_instant.time_ms)
        );
        let link = same_instant.link();
        assert!(link.ends_with(&format!("&e={}", first + 1)), "{link}");
        let back = AppState::from_link(&link);
        assert_eq!(
            (back.cursor, back.time_ms),
            (same_instant.cursor, same_instant.time_ms)
        );
        // At the start, no `e`; after the first events at 0 ms, it says so.
        let start = state("step2-manual-commit");
        assert!(!start.link().contains("e="), "{}", start.link());
        let after_first = reduce(&start, Action::StepForward);
        assert_eq!(after_first.time_ms, 0);
        assert_eq!(AppState::from_link(&after_first.link()).cursor, 1);
        // A stray `e` cannot move the cursor to another instant.
        assert_eq!(
            AppState::from_link("?v=1&preset=step2-manual-commit&t=4200&e=1").time_ms,
            4200
        );
        // An edited scenario travels whole and comes back as "custom".
        let edited = reduce(
            &s,
            Action::AddCrashAt {
                consumer: 0,
                at_ms: 3000,
            },
        );
        let back = AppState::from_link(&edited.link());
        assert_eq!(back.preset, CUSTOM);
        assert_eq!(back.timeline.trace_hash(), edited.timeline.trace_hash());
        // The short form and broken links.
        assert_eq!(
            AppState::from_link("?scenario=step2-manual-commit").preset,
            "step2-manual-commit"
        );
        let broken = AppState::from_link("?v=1&s=%%%");
        assert_eq!(broken.preset, scenarios::DEFAULT);
        assert!(broken.notice.unwrap().error);
        assert!(AppState::from_link("?v=1&preset=step1-autocommit-sleep2&embed=1").embed);
    }

    #[test]
    fn embedded_links_keep_their_panels_and_the_open_one() {
        let s = AppState::from_link(
            "?v=1&embed=1&preset=step2-manual-commit&panels=timeline,code,bogus&t=2500",
        );
        assert!(s.embed);
        assert_eq!(
            s.panels,
            vec![Panel::Code, Panel::Timeline],
            "offered in the usual order"
        );
        assert_eq!(s.panel, Panel::Timeline, "the first named is open");
        assert_eq!(s.time_ms, 2500);
        // Switching tabs keeps the offer; the link says both, the open one first.
        let s = reduce(&Rc::new(s), Action::ShowPanel(Panel::Code));
        let link = s.link();
        assert!(
            link.contains("panels=code,timeline") && link.contains("embed=1"),
            "{link}"
        );
        let back = AppState::from_link(&link);
        assert_eq!(
            (back.panels.clone(), back.panel, back.time_ms),
            (s.panels.clone(), Panel::Code, 2500)
        );
        // The full playground at the same moment: no embed, every panel.
        let full = AppState::from_link(&s.full_link());
        assert!(!full.embed);
        assert_eq!(full.panels, Panel::ALL.to_vec());
        assert_eq!((full.panel, full.time_ms), (Panel::Code, 2500));
        // No panels at all, and unknown names only (all of them).
        let none = AppState::from_link("?embed=1&panels=none");
        assert!(none.panels.is_empty());
        assert!(AppState::from_link(&none.link()).panels.is_empty());
        assert_eq!(
            AppState::from_link("?embed=1&panels=nope").panels,
            Panel::ALL.to_vec()
        );
        // Outside an embedding the panels name only the open tab.
        let page = AppState::from_link("?v=1&preset=step2-manual-commit&panels=events,code");
        assert_eq!((page.panel, page.panels.len()), (Panel::Events, 5));
    }

    #[test]
    fn the_short_form_and_broken_links_keep_the_layout() {
        let s = AppState::from_link("?scenario=many-payments&embed=1&panels=timeline&t=1000");
        assert_eq!(s.preset, crate::scenarios::MANY_PAYMENTS);
        assert!(s.embed);
        assert_eq!((s.panel, s.time_ms), (Panel::Timeline, 1000));
        // A link cut short: the default scenario, a message, and still the compact layout.
        let edited = reduce(
            &state("step2-manual-commit"),
            Action::AddCrashAt {
                consumer: 0,
                at_ms: 3000,
            },
        );
        let link = format!("{}&embed=1&panels=code", edited.link());
        let cut = &link[..link.find("&s=").unwrap() + 40];
        let broken = AppState::from_link(&format!("{cut}&embed=1&panels=code"));
        assert_eq!(broken.preset, scenarios::DEFAULT);
        let notice = broken.notice.as_ref().unwrap();
        assert!(
            notice.error && notice.text.contains("Showing the default scenario"),
            "{}",
            notice.text
        );
        assert!(broken.embed);
        assert_eq!(broken.panels, vec![Panel::Code]);
        // A link from a newer version says so.
        let newer = AppState::from_link("?v=9&preset=step2-manual-commit");
        assert!(newer.notice.unwrap().text.contains("newer"));
    }

    #[test]
    fn importing_a_file_replaces_the_scenario_or_says_why_not() {
        let s = reduce(
            &state("step1-autocommit-sleep7"),
            Action::AddCrashAt {
                consumer: 0,
                at_ms: 2000,
            },
        );
        let s = reduce(&s, Action::SeekTime(5000));
        // A broken file: the field and the problem are named, and nothing else changes.
        let mut bad = offset_lab_sim::preset("step2-manual-commit")
            .unwrap()
            .to_json();
        bad = bad.replace("\"session.timeout.ms\": 45000", "\"session.timeout.ms\": 1");
        for (text, expected) in [
            (bad.as_str(), "session.timeout.ms"),
            ("{\"version\": 1, \"name\": ", "not valid JSON"),
            ("{\"version\": 7}", "newer"),
            ("hello", "JSON object"),
        ] {
            let after = reduce(
                &s,
                Action::Import {
                    file_name: "broken.json".into(),
                    text: text.into(),
                },
            );
            let n = after.notice.as_ref().unwrap();
            assert!(n.error, "{text}");
            assert!(
                n.text.starts_with("Could not open “broken.json”: "),
                "{}",
                n.text
            );
            assert!(n.text.contains(expected), "{text}: {}", n.text);
            assert!(
                n.text.ends_with("Your scenario is unchanged."),
                "{}",
                n.text
            );
            assert_eq!(after.run_id, s.run_id);
            assert_eq!(after.timeline.trace_hash(), s.timeline.trace_hash());
            assert_eq!(after.time_ms, 5000);
        }
        // A good file: a new story from the start, preferences kept.
        let good = offset_lab_sim::preset("step2-manual-commit")
            .unwrap()
            .to_json();
        let after = reduce(
            &s,
            Action::Import {
                file_name: "step2.json".into(),
                text: good,
            },
        );
        assert_eq!(after.preset, "step2-manual-commit");
        assert_eq!((after.cursor, after.time_ms), (0, 0));
        assert!(after.baseline.is_none());
        let n = after.notice.as_ref().unwrap();
        assert!(
            !n.error && n.text.starts_with("Opened “step2.json”"),
            "{}",
            n.text
        );
        // An edited scenario comes back as "custom", the same run.
        let mine = reduce(
            &s,
            Action::Import {
                file_name: "mine.json".into(),
                text: s.scenario().to_json(),
            },
        );
        assert_eq!(mine.preset, CUSTOM);
        assert_eq!(mine.timeline.trace_hash(), s.timeline.trace_hash());
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
