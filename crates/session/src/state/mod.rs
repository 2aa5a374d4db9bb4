//! The app's state and every way it changes: one [`AppState`], one [`Action`] enum, one
//! reducer. Pure logic (no DOM), tested natively.
//!
//! The scenario is the single source of truth: a user action ("crash now", a crash point, a
//! setting) edits the scenario, the whole run is simulated again from the same seed, and the
//! cursor goes back to the same simulated time (RaftScope's "fork, apply, save, render").
//!
//! This module owns the state and the actions; `reduce` is the reducer (what each action
//! does), `link` reads and writes the page's link, and `tests` tests them natively.

use serde::{Deserialize, Serialize};
use std::rc::Rc;

use offset_lab_sim::scenario::{CrashKind, CrashPoint};
use offset_lab_sim::{Ms, Scenario, Timeline};

use crate::edit::Setting;
use crate::scenarios;
use crate::view::moments::{self, Moment};
use crate::view::narration::Filter;
use crate::view::outcome::RunStats;

mod link;
mod reduce;
#[cfg(test)]
mod tests;

pub use reduce::setting_label;

/// The picker's name for a scenario that is not one of the offered ones (from a link).
pub const CUSTOM: &str = "custom";

/// Playback speeds: simulated milliseconds per wall-clock millisecond.
/// A stretch with no notable event for longer than this is idle ([`AppState::idle_until`]).
pub const IDLE_MS: Ms = 3_000;
/// How much faster playback runs through an idle stretch: a 45 s session timeout takes about
/// 3 s at ×2 instead of 22.
pub const IDLE_SPEEDUP: Ms = 8;

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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Panel {
    Lab,
    Code,
    Timeline,
    Events,
    Settings,
    Experiments,
}

impl Panel {
    pub const ALL: [Panel; 6] = [
        Panel::Lab,
        Panel::Code,
        Panel::Timeline,
        Panel::Events,
        Panel::Settings,
        Panel::Experiments,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Panel::Lab => "Lab",
            Panel::Code => "Code",
            Panel::Timeline => "Timeline",
            Panel::Events => "Events",
            Panel::Settings => "Build",
            Panel::Experiments => "Experiments",
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
            Panel::Experiments => "experiments",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub error: bool,
    pub text: String,
}

/// The message for a file that cannot be opened.
pub fn open_error(file_name: &str, why: &str) -> Notice {
    Notice {
        error: true,
        text: format!("Could not open “{file_name}”: {why}. Your scenario is unchanged."),
    }
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
    /// The builder's last refused edit: the field's path and the core's message.
    pub refused: crate::builder::Refused,
    /// The JSON editor's draft, checked: `Ok` when it would open, else why not.
    pub json_check: Option<Result<(), String>>,
    /// The Experiments panel's sweep, as a link carries it (`commit-cost`, `rtt_ms:1,5,40`):
    /// the session runs it when a link opens, and sets it when a sweep ran.
    pub sweep: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
    /// To the next numbered key moment (Shift+→), or the end.
    NextMoment,
    /// To the previous numbered key moment (Shift+←), or the start.
    PrevMoment,
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
        point: NewCrashPoint,
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
    // What the session does itself, around the state: they leave it as it is.
    /// Save a file of the run (the page downloads it).
    Export(crate::export::Export),
    /// A link to this moment in the full playground, to copy or to open.
    Share(Share),
    /// The student's answer to a step's prediction.
    Predict {
        step: String,
        choice: usize,
    },
    /// Forget the lab progress.
    ResetProgress,
    /// Run the phase explorer on the scenario on screen.
    ExplorePhase,
    /// Answer a step's question again (after its answer was revealed).
    RetryPrediction(String),
    /// The builder: set a field, add or remove a consumer.
    SetField {
        key: crate::builder::Key,
        edit: crate::builder::Edit,
    },
    AddConsumer,
    RemoveConsumer(usize),
    /// The JSON editor: check a draft as the student types, or open it.
    CheckJson(String),
    ApplyJson(String),
    // Prove it
    /// Run consumer `n`'s program under every single crash, rebalance and stall the core can
    /// place (`sweep::prove`), and judge it against the step's challenge, if any.
    Prove(usize),
    /// Open run `n` of the last proof as the scenario on screen, at its disturbance.
    OpenProofRun(usize),
    /// Open a challenge's starting program (by challenge id): the lab's naive program.
    StartChallenge(String),
    // Experiments
    /// Run the built-in experiment of this name (`offset_lab_sim::sweep::experiments::NAMES`)
    /// and chart it.
    RunExperiment(String),
    /// Sweep one setting of the scenario on screen over values, as typed (comma separated),
    /// and optionally a second one with its own values: a small grid, one series per value of
    /// the second.
    RunSweep {
        param: offset_lab_sim::sweep::grid::Param,
        values: String,
        #[serde(default)]
        second: Option<(offset_lab_sim::sweep::grid::Param, String)>,
    },
    /// Open run `.0` of the sweep on the chart as the scenario on screen.
    OpenSweepRun(usize),
    /// Draw the run on screen beside the scenario of this name (a preset), on one time axis.
    CompareWith(String),
}

/// A crash point placed from the page (the scenario's `CrashPoint`, in a form that travels).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCrashPoint {
    pub at_ms: Option<Ms>,
    pub point: Option<offset_lab_sim::scenario::ProgramPoint>,
    pub message: Option<u32>,
    pub kind: CrashKind,
    pub restart_after_ms: Option<Ms>,
}

impl From<NewCrashPoint> for CrashPoint {
    fn from(c: NewCrashPoint) -> CrashPoint {
        CrashPoint {
            at_ms: c.at_ms,
            point: c.point,
            message: c.message,
            kind: c.kind,
            restart_after_ms: c.restart_after_ms,
        }
    }
}

/// What to do with a link to the moment on screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Share {
    Copy,
    Open,
}

impl AppState {
    /// The state for scenario `name`, falling back to the default one (with a notice).
    pub fn new(name: &str) -> AppState {
        let (preset, timeline, notice) = match scenarios::load(name).and_then(crate::run::build) {
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
            refused: None,
            json_check: None,
            sweep: None,
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

    /// The state for a scenario from a link or a file: named after the offered scenario it
    /// equals, else "custom". One that cannot run gives the default scenario and says why.
    pub fn with_scenario(scenario: Scenario) -> AppState {
        let preset = scenarios::name_of(&scenario).unwrap_or_else(|| CUSTOM.to_string());
        let mut s = AppState::new(scenarios::DEFAULT);
        match crate::run::build(scenario) {
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

    pub fn scenario(&self) -> &Scenario {
        &self.timeline.scenario
    }

    pub fn speed(&self) -> f64 {
        SPEEDS.get(self.speed_ix).map_or(1.0, |s| s.0)
    }

    /// In a long stretch where nothing happens but heartbeats and empty polls (a dead member's
    /// session timeout, a consumer waiting for its restart): when the next notable event is,
    /// if more than [`IDLE_MS`] away. Playback speeds through it ([`IDLE_SPEEDUP`]).
    pub fn idle_until(&self) -> Option<Ms> {
        let n = self.timeline.events.len();
        if self.cursor >= n {
            return None;
        }
        let next = self.timeline.next_notable(self.cursor);
        let at = self
            .timeline
            .time_at(next)
            .max(self.timeline.time_at(self.cursor));
        (at > self.time_ms + IDLE_MS).then_some(at)
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
            refused,
            json_check,
            sweep,
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
            && *refused == o.refused
            && *json_check == o.json_check
            && *sweep == o.sweep
            && *preset == o.preset
    }
}
