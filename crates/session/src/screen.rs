//! What the page draws: a [`Screen`], built from the state by [`Builder`]. The parts that stay
//! the same for a whole run (the timeline chart, the client comparison, the picker) and the code
//! view are sent only when they change; the frame — everything that moves with the cursor — is
//! sent every time.

use std::rc::Rc;

use serde::{Deserialize, Serialize};

use offset_lab_sim::scenario::{ClientModel, CrashKind, CrashWhen};
use offset_lab_sim::{Ms, World};

use crate::builder::BuilderVm;
use crate::code::Listing;
use crate::lab::LabProgress;
use crate::state::{AppState, CUSTOM, Notice, Panel};
use crate::view::callout::{self, CalloutVm, Counter};
use crate::view::cards::Card;
use crate::view::clients::ClientsVm;
use crate::view::lab::LabVm;
use crate::view::lanes::Lane;
use crate::view::narration::{Entry, Filter};
use crate::view::outcome::{Cause, LedgerRow};
use crate::view::phase::PhaseVm;
use crate::view::prove::ProveVm;
use crate::view::timeline::TimelineVm;
use crate::view::{self, clock};
use crate::{code, scenarios};

/// Ledgers longer than this list only the payments that need attention.
const FULL_LEDGER_MAX: usize = 40;
const LEDGER_ROWS_MAX: usize = 150;
const NARRATION_MAX: usize = 150;
/// The callout offers "go back" once the cursor is this far past its moment.
const STALE_MS: Ms = 3000;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Screen {
    /// The run, when it changed since the last screen.
    pub run: Option<Rc<RunView>>,
    /// The code view, when it changed (another run, or another consumer's program).
    pub code: Option<Rc<CodeVm>>,
    /// The builder, when it changed (another run, or a refused edit).
    pub builder: Option<Rc<BuilderVm>>,
    /// The lab panel and progress, when they changed.
    pub lab: Option<Rc<LabPart>>,
    /// The link to what is on screen, when it changed (the page's address follows it).
    pub link: Option<String>,
    pub frame: Frame,
    /// The Experiments panel's last sweep, when it changed (a new one replaces it).
    #[serde(default)]
    pub sweep: Option<Rc<crate::view::sweep::SweepVm>>,
    /// Two runs side by side, when they changed (a new comparison replaces them).
    #[serde(default)]
    pub side_by_side: Option<Rc<crate::side_by_side::SideBySideVm>>,
}

/// A scenario the picker offers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub name: String,
    pub title: String,
    pub group: String,
}

/// The lab panel (none for a scenario of no step) and the progress to save, as JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LabPart {
    pub vm: Option<LabVm>,
    pub progress_json: String,
}

/// What the page shows of the scenario itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScenarioInfo {
    pub name: String,
    pub title: String,
    /// For the student: shown where they read first.
    pub description: String,
    pub client: ClientModel,
    /// The first consumer's auto-commit interval, for the phase explorer.
    pub auto_commit_interval_ms: Option<Ms>,
}

/// What stays the same for a whole run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunView {
    pub run_id: u32,
    /// The name of the scenario picked, or [`CUSTOM`].
    pub preset: String,
    pub custom: bool,
    pub scenario: ScenarioInfo,
    /// Events of the run: the cursor goes from 0 to this.
    pub events: usize,
    pub end_ms: Ms,
    /// The run hit the step limit before its end, at this simulated time.
    pub cut_short_at_ms: Option<Ms>,
    pub timeline: Rc<TimelineVm>,
    pub clients: Rc<ClientsVm>,
    /// (time, number) of each key moment, for the time bar and the timeline.
    pub moment_marks: Rc<Vec<(Ms, u8)>>,
    /// For each moment number 1–5: the cursor of its first occurrence.
    pub stops: Rc<Vec<(u8, Option<usize>)>>,
    /// Where in the auto-commit cycle the run polled its first payment.
    pub phase_ms: Option<Ms>,
    pub consumer_names: Rc<Vec<String>>,
    pub choices: Rc<Vec<Choice>>,
    /// The ledger lists only the payments that need attention.
    pub problems_only: bool,
}

/// The code view: the chosen consumer's program and its crash points.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CodeVm {
    pub consumer: usize,
    pub listing: Rc<Listing>,
    /// The consumer's crash points at program points, under their lines.
    pub badges: Rc<Vec<Badge>>,
    /// The ways a consumer can end, in the client's words, for the crash-point editor.
    pub kinds: Vec<(CrashKind, String)>,
}

/// A crash point shown under the line it fires at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Badge {
    /// Its index among the consumer's crash points (to remove it).
    pub ix: usize,
    pub line: usize,
    pub text: String,
}

/// Everything that moves with the cursor, and the controls' state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    pub run_id: u32,
    pub cursor: usize,
    pub time_ms: Ms,
    /// The time on screen, as the clock shows it.
    pub at: String,
    pub at_end: bool,
    pub playing: bool,
    pub speed_ix: usize,
    pub pause_at_moments: bool,
    pub panel: Panel,
    pub panels: Vec<Panel>,
    pub embed: bool,
    pub filter: Filter,
    pub selected: Option<u32>,
    pub notice: Option<Notice>,
    pub placing_crash: bool,
    pub fork_processing: bool,
    pub code_consumer: usize,
    pub lanes: Rc<Vec<Lane>>,
    pub cards: Rc<Vec<Card>>,
    pub counters: Rc<Vec<Counter>>,
    pub costs: String,
    pub ledger: Rc<Vec<LedgerRow>>,
    pub ledger_left_out: usize,
    pub narration: Rc<Vec<Entry>>,
    pub narration_more: bool,
    /// The line of the code view the program is on, and the message a new crash point proposes.
    pub active_line: Option<usize>,
    pub default_message: u32,
    /// The selected payment's story, and the events that decided it so far.
    pub detail: Option<String>,
    pub why: Rc<Vec<Cause>>,
    pub callout: Option<Rc<CalloutVm>>,
    /// The cursor is well past the callout's moment (offer to go back to it).
    pub stale: bool,
    /// In an idle stretch that playback speeds through: why nothing happens, and until when.
    #[serde(default)]
    pub idle: Option<String>,
    /// The phase explorer's sweep of this scenario, once the student ran it.
    pub phase: Option<Rc<PhaseVm>>,
    /// The JSON editor's draft, checked: `Ok` when it would open, else why not.
    pub json_check: Option<Result<(), String>>,
    /// "Prove it": the last proof, and how the run on screen relates to it.
    #[serde(default)]
    pub prove: Option<Rc<ProveVm>>,
}

/// The run's view and the causes of every payment's verdict, for run `.0`.
type RunCache = (u32, Rc<RunView>, Rc<Vec<Vec<Cause>>>);

/// Builds screens, remembering what the page already has and what is costly to derive.
#[derive(Default)]
pub struct Builder {
    run: Option<RunCache>,
    world: Option<((u32, usize), Rc<World>)>,
    code: Option<((u32, usize), Rc<CodeVm>)>,
    callout: Option<((u32, usize, bool), Rc<CalloutVm>)>,
    /// The lab part, for (the progress's version; the scenario's name).
    lab: Option<((u64, String), Rc<LabPart>)>,
    /// What the page was sent last.
    sent_run: Option<u32>,
    sent_code: Option<(u32, usize)>,
    sent_builder: Option<(u32, crate::builder::Refused)>,
    sent_lab: Option<Rc<LabPart>>,
    sent_link: Option<String>,
    sent_sweep: Option<Rc<crate::view::sweep::SweepVm>>,
    sent_side_by_side: Option<Rc<crate::side_by_side::SideBySideVm>>,
}

impl Builder {
    /// Forget what the page has: the next screen carries everything (a page that reopened).
    pub fn resend(&mut self) {
        self.sent_run = None;
        self.sent_code = None;
        self.sent_builder = None;
        self.sent_lab = None;
        self.sent_link = None;
        self.sent_sweep = None;
        self.sent_side_by_side = None;
    }

    /// `vm` when the page does not have it yet.
    pub fn side_by_side(
        &mut self,
        vm: Option<Rc<crate::side_by_side::SideBySideVm>>,
    ) -> Option<Rc<crate::side_by_side::SideBySideVm>> {
        vm.filter(|v| {
            let new = !self
                .sent_side_by_side
                .as_ref()
                .is_some_and(|t| Rc::ptr_eq(v, t));
            self.sent_side_by_side = Some(v.clone());
            new
        })
    }

    /// The world at the cursor (replayed from the nearest checkpoint, once per cursor).
    pub fn world(&mut self, s: &AppState) -> Rc<World> {
        let key = (s.run_id, s.cursor);
        match &self.world {
            Some((k, w)) if *k == key => w.clone(),
            _ => {
                let w = Rc::new(s.timeline.world_at(s.cursor));
                self.world = Some((key, w.clone()));
                w
            }
        }
    }

    fn run_view(&mut self, s: &AppState) -> (Rc<RunView>, Rc<Vec<Vec<Cause>>>) {
        if let Some((id, rv, causes)) = &self.run
            && *id == s.run_id
            && rv.preset == s.preset
        {
            return (rv.clone(), causes.clone());
        }
        let tl = &s.timeline;
        let sc = &tl.scenario;
        let marks = s
            .moments
            .iter()
            .map(|m| (tl.events[m.ix].at_ms, m.kind.number()))
            .collect();
        let stops = (1..=5u8)
            .map(|n| {
                (
                    n,
                    s.moments
                        .iter()
                        .find(|m| m.kind.number() == n)
                        .map(|m| m.cursor()),
                )
            })
            .collect();
        let rv = Rc::new(RunView {
            run_id: s.run_id,
            preset: s.preset.clone(),
            custom: s.preset == CUSTOM,
            scenario: ScenarioInfo {
                name: sc.name.clone(),
                title: sc.title.clone(),
                description: sc.description.clone(),
                client: sc.client,
                auto_commit_interval_ms: crate::view::phase::interval(sc),
            },
            events: tl.events.len(),
            end_ms: tl.end_ms(),
            cut_short_at_ms: tl.cut_short_at_ms,
            timeline: Rc::new(view::timeline::timeline_vm(tl)),
            clients: Rc::new(view::clients::compare(tl)),
            moment_marks: Rc::new(marks),
            stops: Rc::new(stops),
            phase_ms: view::outcome::first_poll_phase(tl),
            consumer_names: Rc::new(sc.consumers.iter().map(|c| c.name.clone()).collect()),
            choices: Rc::new(
                scenarios::choices()
                    .into_iter()
                    .map(|(name, title)| Choice {
                        group: scenarios::group_of(&name).to_string(),
                        name,
                        title,
                    })
                    .collect(),
            ),
            problems_only: tl.final_world.log.payments.len() > FULL_LEDGER_MAX,
        });
        let causes = Rc::new(view::outcome::causes(tl));
        self.run = Some((s.run_id, rv.clone(), causes.clone()));
        (rv, causes)
    }

    fn code_vm(&mut self, s: &AppState) -> Rc<CodeVm> {
        let key = (s.run_id, s.code_consumer);
        if let Some((k, c)) = &self.code
            && *k == key
        {
            return c.clone();
        }
        let sc = s.scenario();
        let listing = code::listing(sc, s.code_consumer);
        let badges = sc
            .consumers
            .get(s.code_consumer)
            .map(|c| {
                c.crashes
                    .iter()
                    .enumerate()
                    .filter_map(|(ix, cp)| match cp.when() {
                        CrashWhen::Point(pt, _) => Some(Badge {
                            ix,
                            line: listing.line_of_point(pt)?,
                            text: crate::edit::crash_point_label_for(cp, sc.client),
                        }),
                        CrashWhen::At(_) => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let c = Rc::new(CodeVm {
            consumer: s.code_consumer,
            listing: Rc::new(listing),
            badges: Rc::new(badges),
            kinds: [CrashKind::SysExit, CrashKind::Kill, CrashKind::Close]
                .into_iter()
                .map(|k| {
                    (
                        k,
                        crate::edit::crash_kind_label_for(k, sc.client).to_string(),
                    )
                })
                .collect(),
        });
        self.code = Some((key, c.clone()));
        c
    }

    /// The screen for `s`. `link`: whether to make the link to it (not while playing: the
    /// page's address follows only a paused cursor).
    pub fn build(
        &mut self,
        s: &AppState,
        phase: Option<Rc<PhaseVm>>,
        sweep: Option<Rc<crate::view::sweep::SweepVm>>,
        progress: &LabProgress,
        progress_version: u64,
        prove: Option<Rc<ProveVm>>,
    ) -> Screen {
        let (rv, causes) = self.run_view(s);
        let code = self.code_vm(s);
        let world = self.world(s);
        let tl = &s.timeline;
        let cursor = s.cursor;
        let current = s.callout();
        let callout = current.map(|m| {
            let key = (s.run_id, m.ix, s.baseline.is_some());
            match &self.callout {
                Some((k, c)) if *k == key => c.clone(),
                _ => {
                    let c = Rc::new(callout::callout_vm(tl, s.baseline.as_deref(), m));
                    self.callout = Some((key, c.clone()));
                    c
                }
            }
        });
        let stale = current.is_some_and(|m| s.time_ms > tl.events[m.ix].at_ms + STALE_MS);
        let stats = view::outcome::run_stats(tl, &world, cursor);
        let (ledger, left_out) =
            view::outcome::ledger(&world, &causes, cursor, LEDGER_ROWS_MAX, rv.problems_only);
        let (narration, more) =
            view::narration::narration(tl, &s.moments, cursor, s.filter, NARRATION_MAX);
        let (active_line, default_message) =
            callout::active_line(&world, &code.listing, s.code_consumer);
        let (detail, why) = match s.selected {
            None => (None, Vec::new()),
            Some(p) => (
                view::outcome::describe(&world, p),
                causes
                    .get(p as usize)
                    .map(|cs| cs.iter().filter(|x| x.ix < cursor).cloned().collect())
                    .unwrap_or_default(),
            ),
        };
        let frame = Frame {
            run_id: s.run_id,
            cursor,
            time_ms: s.time_ms,
            at: clock(s.time_ms),
            at_end: s.at_end(),
            playing: s.playing,
            speed_ix: s.speed_ix,
            pause_at_moments: s.pause_at_moments,
            panel: s.panel,
            panels: s.panels.clone(),
            embed: s.embed,
            filter: s.filter,
            selected: s.selected,
            notice: s.notice.clone(),
            placing_crash: s.placing_crash,
            fork_processing: s.fork_processing,
            code_consumer: s.code_consumer,
            lanes: Rc::new(view::lanes::lanes(&world)),
            cards: Rc::new(view::cards::cards(tl, &world, cursor, s.time_ms)),
            counters: Rc::new(callout::counters(&stats.summary)),
            costs: callout::costs_text(&stats),
            ledger: Rc::new(ledger),
            ledger_left_out: left_out,
            narration: Rc::new(narration),
            narration_more: more,
            active_line,
            default_message,
            detail,
            why: Rc::new(why),
            callout,
            stale,
            idle: s
                .idle_until()
                .map(|until| view::card_timers::idle_text(&world, s.time_ms, until)),
            phase,
            json_check: s.json_check.clone(),
            prove,
        };
        let link = (!s.playing).then(|| s.link());
        let link = match link {
            Some(l) if self.sent_link.as_ref() != Some(&l) => {
                self.sent_link = Some(l.clone());
                Some(l)
            }
            _ => None,
        };
        let run = (self.sent_run != Some(s.run_id)).then(|| {
            self.sent_run = Some(s.run_id);
            rv
        });
        let code_key = (s.run_id, s.code_consumer);
        let code = (self.sent_code != Some(code_key)).then(|| {
            self.sent_code = Some(code_key);
            code
        });
        let builder_key = (s.run_id, s.refused.clone());
        let builder = (self.sent_builder.as_ref() != Some(&builder_key)).then(|| {
            self.sent_builder = Some(builder_key);
            Rc::new(crate::builder::builder(tl, &s.refused))
        });
        let lab_name = if s.preset == CUSTOM {
            s.scenario().name.as_str()
        } else {
            s.preset.as_str()
        };
        let lab_key = (progress_version, lab_name.to_string());
        let lab = match &self.lab {
            Some((k, part)) if *k == lab_key => part.clone(),
            _ => {
                let part = Rc::new(LabPart {
                    vm: crate::view::lab::lab_vm(lab_name, progress),
                    progress_json: progress.to_json(),
                });
                self.lab = Some((lab_key, part.clone()));
                part
            }
        };
        let lab = (self.sent_lab.as_ref() != Some(&lab)).then(|| {
            self.sent_lab = Some(lab.clone());
            lab
        });
        let sweep = sweep.filter(|s| {
            let new = !self.sent_sweep.as_ref().is_some_and(|t| Rc::ptr_eq(s, t));
            self.sent_sweep = Some(s.clone());
            new
        });
        Screen {
            run,
            code,
            builder,
            lab,
            link,
            frame,
            sweep,
            side_by_side: None,
        }
    }
}
