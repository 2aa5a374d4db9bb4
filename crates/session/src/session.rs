//! One playground, without its page: the state, the lab progress and what the page was last
//! sent. The worker keeps one per playground of the page and feeds it the page's messages;
//! tests drive it directly.

use std::rc::Rc;

use offset_lab_sim::Scenario;

use crate::course::{self, CourseEvent};
use crate::export::Export;
use crate::lab::{LabAction, LabProgress};
use crate::protocol::{ElementStart, FromWorker, Start};
use crate::prove::{self, Proved};
use crate::scenarios;
use crate::screen::{Builder, Screen};
use crate::state::{Action, AppState, CUSTOM, Notice, Panel};
use crate::view::phase::{self, PhaseVm};

pub struct Session {
    id: u32,
    state: Rc<AppState>,
    lab: Rc<LabProgress>,
    /// Counts the changes of `lab`.
    lab_version: u64,
    /// (run, moment, at end) last observed for the lab progress.
    observed: Option<(u32, Option<usize>, bool)>,
    /// The phase explorer's last sweep, and the scenario (without its production time) it is of.
    phase: Option<(Scenario, Rc<PhaseVm>)>,
    /// The last proof ("prove it"), kept while its runs are opened.
    proof: Option<Proved>,
    /// Whether run `.0`'s program is the student's own.
    own: Option<(u32, bool)>,
    builder: Builder,
    /// What the course was last told (`course.rs`), and what it has not been told yet.
    course: course::Snapshot,
    course_events: Vec<CourseEvent>,
    /// The Experiments panel's last sweep.
    sweep: Option<crate::experiments::SweepRun>,
    /// The run on screen beside another, once asked for.
    side_by_side: Option<Rc<crate::side_by_side::SideBySideVm>>,
}

impl Session {
    /// Opens playground `id` as `start` says, with the lab progress the page saved (JSON).
    pub fn open(id: u32, start: &Start, lab_json: Option<&str>) -> Session {
        let state = match start {
            Start::Link { query } => AppState::from_link(query),
            Start::Element(e) => element_state(e),
        };
        let mut s = Session {
            id,
            state: Rc::new(state),
            lab: Rc::new(lab_json.map(LabProgress::from_json).unwrap_or_default()),
            lab_version: 0,
            observed: None,
            phase: None,
            proof: None,
            own: None,
            builder: Builder::default(),
            course: course::Snapshot::default(),
            course_events: Vec::new(),
            sweep: None,
            side_by_side: None,
        };
        // A link's sweep runs as it opens (its chart shows in the Experiments panel).
        if let Some(spec) = s.state.sweep.clone() {
            match crate::experiments::run_spec(s.state.scenario(), &spec) {
                Ok(run) => s.sweep = Some(run),
                Err(e) => {
                    s.set_sweep_link(None);
                    s.notify(true, format!("The sweep in this link cannot run: {e}."));
                }
            }
        }
        s.observe();
        s.note_course();
        s
    }

    /// What the student did since the last call, as a message for the embedding page (none
    /// when nothing happened).
    pub fn course_message(&mut self) -> Option<FromWorker> {
        if self.course_events.is_empty() {
            return None;
        }
        let events = std::mem::take(&mut self.course_events);
        Some(FromWorker::Course {
            session: self.id,
            json: course::messages_json(&events),
        })
    }

    fn note_course(&mut self) {
        let now = course::Snapshot::of(&self.state, &self.lab, &self.course);
        if now != self.course {
            let events = self.course.events(&now, &self.state);
            self.course_events.extend(events);
            self.course = now;
        }
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn lab(&self) -> &LabProgress {
        &self.lab
    }

    /// The last proof ("prove it"), if any.
    pub fn proof(&self) -> Option<&Proved> {
        self.proof.as_ref()
    }

    /// Does what `action` says; answers with what the page must do: a screen when anything
    /// on it changed, a file to save, a link to copy or open.
    pub fn act(&mut self, action: Action) -> Vec<FromWorker> {
        let id = self.id;
        let mut out = Vec::new();
        match &action {
            Action::Export(what @ (Export::ChartSvg(_) | Export::SweepCsv)) => {
                match self
                    .sweep
                    .as_ref()
                    .and_then(|s| crate::export::sweep_file(&s.vm, *what))
                {
                    Some(file) => out.push(FromWorker::File { session: id, file }),
                    None => {
                        self.notify(true, "There is no such chart to export.".into());
                        out.push(self.screen_message());
                    }
                }
                return out;
            }
            Action::Export(what) => {
                match what.file(&self.state) {
                    Some(file) => out.push(FromWorker::File { session: id, file }),
                    None => self.notify(true, "There is no such consumer to export.".into()),
                }
                if out.is_empty() {
                    out.push(self.screen_message());
                }
                return out;
            }
            Action::Share(share) => {
                out.push(FromWorker::Link {
                    session: id,
                    share: *share,
                    query: self.state.full_link(),
                });
                return out;
            }
            Action::Predict { step, choice } => self.lab_act(LabAction::Predict {
                step: step.clone(),
                choice: *choice,
            }),
            Action::ResetProgress => self.lab_act(LabAction::Reset),
            Action::RetryPrediction(step) => self.lab_act(LabAction::Retry { step: step.clone() }),
            Action::ExplorePhase => {
                let sc = self.state.scenario();
                if let Some(vm) = phase::explore(sc) {
                    self.phase = Some((phase::sweep_key(sc), Rc::new(vm)));
                }
            }
            Action::Prove(consumer) => self.prove(*consumer),
            Action::OpenProofRun(i) => self.open_proof_run(*i),
            Action::StartChallenge(id) => self.start_challenge(id),
            Action::RunExperiment(name) => match crate::experiments::run_experiment(name) {
                Ok(run) => {
                    self.set_sweep_link(Some(name.clone()));
                    self.show_sweep(run, (name == "commit-cost").then(|| name.clone()))
                }
                Err(e) => self.notify(true, format!("The experiment cannot run: {e}.")),
            },
            Action::RunSweep {
                param,
                values,
                second,
            } => {
                let second = second.as_ref().map(|(p, v)| (*p, v.as_str()));
                match crate::experiments::run_sweep(self.state.scenario(), *param, values, second) {
                    Ok(run) => {
                        self.set_sweep_link(Some(crate::experiments::sweep_spec(
                            *param, values, second,
                        )));
                        let measures = crate::experiments::measures_commit_cost(*param)
                            || second
                                .is_some_and(|(p, _)| crate::experiments::measures_commit_cost(p));
                        self.show_sweep(run, measures.then(|| format!("sweep:{}", param.key())))
                    }
                    Err(e) => self.notify(true, format!("The sweep cannot run: {e}.")),
                }
            }
            Action::CompareWith(name) => {
                let title = self.state.scenario().title.clone();
                match crate::side_by_side::side_by_side(&self.state.timeline, &title, name) {
                    Ok(vm) => {
                        self.side_by_side = Some(Rc::new(vm));
                        self.show_experiments();
                    }
                    Err(e) => self.notify(true, format!("Cannot compare with “{name}”: {e}.")),
                }
            }
            Action::OpenSweepRun(i) => {
                let Some((sc, at)) = self.sweep.as_ref().and_then(|s| s.run(*i)) else {
                    return out;
                };
                let what = self.sweep_point(*i);
                match self.state.open_sweep_run(sc, at, &what) {
                    Ok(s) => self.state = Rc::new(s),
                    Err(e) => self.notify(true, format!("This run cannot open: {e}")),
                }
            }
            _ => {
                let before = self.state.clone();
                self.state = before.clone().reduce(action);
                if Rc::ptr_eq(&before, &self.state) {
                    return out;
                }
            }
        }
        self.observe();
        self.note_course();
        // The screen last: what the page draws after any side effect.
        out.extend(self.course_message());
        out.push(self.screen_message());
        out
    }

    /// The screen to draw now (only what changed since the last one, besides the frame).
    pub fn screen(&mut self) -> Screen {
        let sc = self.state.scenario();
        let phase = self
            .phase
            .as_ref()
            .filter(|(k, _)| *k == phase::sweep_key(sc))
            .map(|(_, vm)| vm.clone());
        let proof = self
            .proof
            .as_mut()
            .map(|p| p.vm(self.state.run_id, self.state.scenario()));
        let sweep = self.sweep.as_ref().map(|s| s.vm.clone());
        let mut screen = self.builder.build(
            &self.state,
            phase,
            sweep,
            &self.lab,
            self.lab_version,
            proof,
        );
        screen.side_by_side = self.builder.side_by_side(self.side_by_side.clone());
        screen
    }

    /// The words of the point that opens run `i` of the sweep: "processing time (ms) 2000".
    fn sweep_point(&self, i: usize) -> String {
        self.sweep
            .as_ref()
            .and_then(|s| {
                s.vm.charts
                    .iter()
                    .flat_map(|c| c.series.iter().flat_map(|s| &s.points))
                    .find(|p| p.run == i)
            })
            .and_then(|p| p.label.split(':').next())
            .map_or_else(|| format!("run {}", i + 1), str::to_string)
    }

    /// The next screen carries everything, as for a page that has nothing yet.
    pub fn resend(&mut self) {
        self.builder.resend();
    }

    pub fn screen_message(&mut self) -> FromWorker {
        FromWorker::Screen {
            session: self.id,
            screen: Box::new(self.screen()),
        }
    }

    fn notify(&mut self, error: bool, text: String) {
        let mut s = (*self.state).clone();
        s.notice = Some(Notice { error, text });
        self.state = Rc::new(s);
    }

    /// The sweep the link carries from now on (none when a link could not carry it).
    fn set_sweep_link(&mut self, spec: Option<String>) {
        let spec = spec.filter(|s| offset_lab_sim::link::check_sweep(s).is_ok());
        if self.state.sweep != spec {
            let mut s = (*self.state).clone();
            s.sweep = spec;
            self.state = Rc::new(s);
        }
    }

    /// Keeps a finished sweep and shows the Experiments panel (a built-in experiment can be
    /// started from the lab panel); a sweep that measured the cost of committing counts for
    /// the lab's "Measured performance implications".
    fn show_sweep(&mut self, run: crate::experiments::SweepRun, measured: Option<String>) {
        self.sweep = Some(run);
        self.show_experiments();
        if let Some(what) = measured {
            self.lab_act(LabAction::Measured(what));
        }
    }

    /// Opens the Experiments panel, where a sweep's charts and two runs side by side are drawn
    /// (when the playground offers it).
    fn show_experiments(&mut self) {
        if self.state.panels.contains(&Panel::Experiments) {
            self.state = self
                .state
                .clone()
                .reduce(Action::ShowPanel(Panel::Experiments));
        }
    }

    fn lab_act(&mut self, a: LabAction) {
        let before = self.lab.clone();
        self.lab = before.clone().reduce(a);
        if !Rc::ptr_eq(&before, &self.lab) {
            self.lab_version += 1;
        }
    }

    /// The name the lab knows the scenario on screen by: the preset picked (an edited preset
    /// keeps its step), else the scenario's own.
    fn lab_name(&self) -> String {
        let s = &self.state;
        if s.preset == CUSTOM {
            s.scenario().name.clone()
        } else {
            s.preset.clone()
        }
    }

    /// Proves consumer `consumer`'s program; a challenge it meets, with the student's own
    /// program, goes into the lab progress.
    fn prove(&mut self, consumer: usize) {
        let name = self.lab_name();
        match prove::prove(self.state.scenario(), consumer, &name) {
            Some(p) => {
                if let Some(met) = p.met() {
                    self.lab_act(LabAction::Met(met));
                }
                self.proof = Some(p);
            }
            None => self.notify(
                true,
                "This program cannot be proved: there is no such consumer, or it does not run."
                    .into(),
            ),
        }
    }

    /// Opens run `i` of the last proof at its disturbance.
    fn open_proof_run(&mut self, i: usize) {
        let Some((tl, cursor, sentence)) = self.proof.as_ref().and_then(|p| p.open(i)) else {
            return self.notify(true, "That run of the proof is not available.".into());
        };
        let notice = Notice {
            error: false,
            text: format!("A run of the proof, opened where it is disturbed. {sentence}"),
        };
        let preset = self.state.preset.clone();
        self.state = Rc::new(self.state.open_run(tl, preset, cursor, Some(notice)));
    }

    /// Opens challenge `id`'s starting program.
    fn start_challenge(&mut self, id: &str) {
        let Some(c) = offset_lab_sim::challenge::challenge(id) else {
            return self.notify(true, format!("There is no challenge “{id}”."));
        };
        let Ok(tl) = crate::run::build(c.start()) else {
            return self.notify(true, "The challenge's program does not run.".into());
        };
        let notice = Notice {
            error: false,
            text: format!(
                "Challenge: {} Change the program in Build, then press “Prove it”.",
                c.goal_text
            ),
        };
        self.state = Rc::new(self.state.open_run(tl, CUSTOM.to_string(), 0, Some(notice)));
    }

    /// Lab progress: what the student has seen, at each key moment and at the end.
    fn observe(&mut self) {
        let s = &self.state;
        let moment = s.callout().map(|m| m.ix);
        let key = (s.run_id, moment, s.at_end());
        if self.observed == Some(key) {
            return;
        }
        self.observed = Some(key);
        if moment.is_some() || s.at_end() {
            let mut observation = offset_lab_sim::lab::observe(&s.timeline, s.cursor);
            // Whose program it is matters only to a finished run that commits (performance);
            // finding out compares it with every offered scenario, once per run.
            if observation.reached_end && (observation.sync_commits || observation.async_commits) {
                let own = match self.own {
                    Some((run, own)) if run == s.run_id => own,
                    _ => prove::own_program(s.scenario()),
                };
                self.own = Some((s.run_id, own));
                observation.own_program = own;
            }
            self.lab_act(LabAction::Observe {
                run: s.run_id,
                observation,
            });
        }
    }
}

/// The state a course page's element asks for: its scenario (JSON, a link's state, or a name
/// the picker offers), compact, with its panels.
pub fn element_state(e: &ElementStart) -> AppState {
    let mut s = if let Some(why) = &e.error {
        let mut s = AppState::new(scenarios::DEFAULT);
        s.notice = Some(Notice {
            error: true,
            text: format!(
                "This playground could not open its scenario: {why}. Showing the default one."
            ),
        });
        s
    } else if let Some(json) = &e.json {
        match Scenario::from_json(json) {
            Ok(sc) => AppState::with_scenario(sc),
            Err(err) => {
                let mut s = AppState::new(scenarios::DEFAULT);
                s.notice = Some(Notice {
                    error: true,
                    text: format!(
                        "This playground's scenario cannot be opened: {err}. Showing the default one."
                    ),
                });
                s
            }
        }
    } else if let Some(link) = &e.link {
        AppState::from_link(link)
    } else {
        let name = if e.scenario.is_empty() {
            scenarios::DEFAULT
        } else {
            e.scenario.as_str()
        };
        AppState::new(name)
    };
    s.embed = true;
    s.with_panels(&e.panels)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Panel;

    fn element(scenario: &str, panels: &[&str]) -> ElementStart {
        ElementStart {
            scenario: scenario.into(),
            panels: panels.iter().map(|p| p.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn an_element_opens_its_scenario_compact_with_its_panels() {
        let s = element_state(&element("step2-manual-commit", &["timeline", "code"]));
        assert!(s.embed);
        assert_eq!(s.preset, "step2-manual-commit");
        assert_eq!(
            (s.panel, s.panels.clone()),
            (Panel::Timeline, vec![Panel::Code, Panel::Timeline])
        );
        let unknown = element_state(&element("nope", &[]));
        assert_eq!(unknown.preset, scenarios::DEFAULT);
        assert!(unknown.notice.is_some());
        assert_eq!(element_state(&element("", &[])).preset, scenarios::DEFAULT);
    }

    #[test]
    fn an_element_opens_inline_json_a_link_state_or_says_why_not() {
        let mut sc = offset_lab_sim::preset("step2-manual-commit").unwrap();
        sc.name = "week4".into();
        sc.title = "Week 4: my own".into();
        let inline = element_state(&ElementStart {
            json: Some(sc.to_json()),
            ..element("", &[])
        });
        assert_eq!(inline.scenario().title, "Week 4: my own");
        assert_eq!(inline.preset, crate::state::CUSTOM);
        let link = offset_lab_sim::link::encode(&offset_lab_sim::link::LinkState {
            scenario: sc.clone(),
            t_ms: 2000,
            panels: vec![],
            embed: true,
            event: None,
            sweep: None,
        });
        let linked = element_state(&ElementStart {
            link: Some(link),
            ..element("", &[])
        });
        assert_eq!(linked.scenario().title, "Week 4: my own");
        assert_eq!(linked.time_ms, 2000);
        let broken = element_state(&ElementStart {
            json: Some("{ not json".into()),
            ..element("", &[])
        });
        assert_eq!(broken.preset, scenarios::DEFAULT);
        assert!(broken.notice.as_ref().is_some_and(|n| n.error));
        let unfetched = element_state(&ElementStart {
            error: Some("its scenario file \"x.json\" could not be fetched (HTTP 404)".into()),
            ..element("", &[])
        });
        assert!(unfetched.notice.unwrap().text.contains("HTTP 404"));
    }
}

#[cfg(test)]
mod protocol_tests {
    use super::*;
    use crate::protocol::ToWorker;
    use crate::state::Panel;

    /// Every message the worker sends reads back as it was sent: what the page receives is what
    /// the session meant (a field the page cannot read would leave it blank).
    #[test]
    fn every_screen_of_every_offered_scenario_reads_back() {
        for c in scenarios::choices() {
            let start = Start::Link {
                query: format!("scenario={}", c.0),
            };
            let mut s = Session::open(1, &start, None);
            let mut messages = vec![s.screen_message()];
            for a in [
                Action::NextNotable,
                Action::NextNotable,
                Action::Select(Some(0)),
                Action::ShowPanel(Panel::Events),
                Action::ToEnd,
                Action::Export(crate::export::Export::TraceCsv),
                Action::Share(crate::state::Share::Copy),
            ] {
                messages.extend(s.act(a));
            }
            for m in messages {
                let bytes = m.to_bytes();
                assert!(!bytes.is_empty(), "{}: {m:?} did not encode", c.0);
                let back =
                    FromWorker::from_bytes(&bytes).unwrap_or_else(|e| panic!("{}: {e}", c.0));
                // Compared encoded: the lab progress's `last_run` is the session's own.
                assert_eq!(back.to_bytes(), bytes, "{}", c.0);
            }
        }
    }

    #[test]
    fn every_action_reads_back() {
        let open = ToWorker::Open {
            session: 3,
            start: Start::Element(ElementStart {
                scenario: "step2-manual-commit".into(),
                panels: vec!["code".into()],
                ..Default::default()
            }),
            lab: Some("{}".into()),
        };
        assert_eq!(ToWorker::from_bytes(&open.to_bytes()).unwrap(), open);
        let act = ToWorker::Act {
            session: 3,
            action: Action::ChangeSetting(crate::edit::Setting::AutoCommitIntervalMs(2000)),
        };
        assert_eq!(ToWorker::from_bytes(&act.to_bytes()).unwrap(), act);
        for action in [
            Action::Prove(0),
            Action::OpenProofRun(12),
            Action::StartChallenge("step2".into()),
        ] {
            let act = ToWorker::Act { session: 3, action };
            assert_eq!(ToWorker::from_bytes(&act.to_bytes()).unwrap(), act);
        }
    }

    #[test]
    fn the_run_and_the_code_view_are_sent_once_the_frame_every_time() {
        let mut s = Session::open(
            1,
            &Start::Link {
                query: String::new(),
            },
            None,
        );
        let first = s.screen();
        assert!(first.run.is_some() && first.code.is_some() && first.link.is_some());
        let FromWorker::Screen { screen, .. } = s.act(Action::StepForward).pop().unwrap() else {
            panic!("a step answers with a screen");
        };
        assert!(screen.run.is_none() && screen.code.is_none());
        assert_eq!(screen.frame.cursor, 1);
        // A change of the scenario is a new run.
        let FromWorker::Screen { screen, .. } = s
            .act(Action::ChangeSetting(crate::edit::Setting::ProcessingMs(
                3000,
            )))
            .pop()
            .unwrap()
        else {
            panic!("a change answers with a screen");
        };
        assert!(screen.run.is_some() && screen.code.is_some());
        // Nothing changes: nothing is sent.
        assert!(s.act(Action::Pause).is_empty());
    }
}

#[cfg(test)]
mod size_probe {
    use super::*;
    use crate::protocol::Start;

    /// How big the first screen of the largest scenario is, field by field (run with
    /// `cargo test -p offset-lab-session --release size_probe -- --ignored --nocapture`).
    #[test]
    #[ignore]
    fn largest_screen_size() {
        let consumers: Vec<String> = (1..=16)
            .map(|i| format!(r#"{{"name":"consumer-{i}","config":{{"auto.offset.reset":"earliest"}},"program":{{"processing_ms":10}}}}"#))
            .collect();
        let json = format!(
            r#"{{"version":1,"name":"largest","seed":1,"client":"librdkafka","topic":{{"name":"payments","partitions":64,"payments":{{"count":200000}}}},"broker":{{"group.initial.rebalance.delay.ms":0}},"consumers":[{}],"duration_ms":5160000}}"#,
            consumers.join(",")
        );
        let sc = Scenario::from_json(&json).unwrap();
        let link = offset_lab_sim::link::encode(&offset_lab_sim::link::LinkState {
            scenario: sc,
            t_ms: 0,
            panels: vec![],
            embed: false,
            event: None,
            sweep: None,
        });
        let mut s = Session::open(1, &Start::Link { query: link }, None);
        let screen = s.screen();
        let size = |v: &dyn Erased| v.len();
        trait Erased {
            fn len(&self) -> usize;
        }
        impl<T: serde::Serialize> Erased for T {
            fn len(&self) -> usize {
                postcard::to_allocvec(self).map_or(0, |b| b.len())
            }
        }
        println!("screen {}", size(&screen));
        println!("run {}", size(&screen.run));
        if let Some(r) = &screen.run {
            println!("  timeline {}", size(&*r.timeline));
            println!("  clients {}", size(&*r.clients));
            println!("  moment_marks {}", size(&*r.moment_marks));
            println!("  stops {}", size(&*r.stops));
            println!("  choices {}", size(&*r.choices));
        }
        println!("code {}", size(&screen.code));
        println!("builder {}", size(&screen.builder));
        println!("lab {}", size(&screen.lab));
        println!("frame {}", size(&screen.frame));
        let f = &screen.frame;
        println!("  lanes {}", size(&*f.lanes));
        println!("  narration {}", size(&f.narration));
        println!("  ledger {}", size(&f.ledger));
        println!("  cards {}", size(&f.cards));
    }
}
