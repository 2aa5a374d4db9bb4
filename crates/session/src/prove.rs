//! "Prove it" in the session: the proof of the program on screen (`sweep::prove`), run in
//! slices with progress, judged against the lab step's challenge (`challenge.rs`); which of its
//! runs is on screen; and whether a program is the student's own (not a preset as offered),
//! which is what the success criteria ask for.

use std::rc::Rc;

use offset_lab_sim::challenge::{CHALLENGES, Challenge, ChallengeResult, challenge};
use offset_lab_sim::lab::ChallengeMet;
use offset_lab_sim::sweep::prove::{Disturbance, Proof, ProofReport};
use offset_lab_sim::trace::EventKind;
use offset_lab_sim::{Scenario, Timeline};

use crate::view::prove::{ProveVm, prove_vm};

/// Simulation steps between two progress reports.
const SLICE_STEPS: u64 = 40_000;
/// The prefix of a challenge's scenario name: `challenge-step2`.
pub const CHALLENGE_PREFIX: &str = "challenge-";

/// A finished proof.
pub struct Proved {
    /// The program proved: its scenario without crash points and actions (as the proof
    /// explores it).
    pub key: Scenario,
    pub proof: Proof,
    pub report: ProofReport,
    pub challenge: Option<(&'static Challenge, ChallengeResult)>,
    vm: ProveVm,
    /// For run `.0`: its view (the program on screen is the one proved, one of its runs, or
    /// another).
    shown: Option<(u32, Rc<ProveVm>)>,
}

/// `sc` without what the student placed to disturb it: the program and its world.
pub fn program_of(sc: &Scenario) -> Scenario {
    let mut s = sc.clone();
    s.actions.clear();
    for c in &mut s.consumers {
        c.crashes.clear();
    }
    s
}

/// The challenge of the scenario named `name` (a lab step's preset, or a challenge's own
/// program, `challenge-<id>`).
pub fn challenge_of(name: &str) -> Option<&'static Challenge> {
    if let Some(id) = name.strip_prefix(CHALLENGE_PREFIX) {
        return challenge(id);
    }
    let step = crate::view::lab::step_of(name)?;
    let id = offset_lab_sim::lab::STEPS[step].id;
    CHALLENGES.iter().find(|c| c.step == id)
}

/// Whether `sc` is a program the student made, crash points and actions aside: a challenge's
/// program changed from its start, or a program that is none of the offered scenarios'.
pub fn own_program(sc: &Scenario) -> bool {
    let program = program_of(sc);
    let same = |p: Scenario| {
        let p = program_of(&p);
        p.consumers == program.consumers && p.sink == program.sink
    };
    if let Some(c) = sc.name.strip_prefix(CHALLENGE_PREFIX).and_then(challenge) {
        return !same(c.start());
    }
    let mut offered = offset_lab_sim::preset_names()
        .filter_map(|n| offset_lab_sim::preset(n).ok())
        .chain(crate::scenarios::load(crate::scenarios::MANY_PAYMENTS).ok());
    !offered.any(same)
}

/// Proves consumer `consumer`'s program in `sc`, reporting progress, and judges it against
/// the challenge of `lab_name`. `None` without such a consumer, or a program that cannot run.
pub fn prove(sc: &Scenario, consumer: usize, lab_name: &str) -> Option<Proved> {
    let proof = Proof::new(sc, consumer)?;
    let mut batch = proof.batch();
    crate::run::report(0);
    batch.run_in_slices(SLICE_STEPS, |done, total| {
        crate::run::report((done * 1000 / total.max(1)) as u32);
        true
    });
    let report = proof.report(batch.results());
    let key = program_of(sc);
    let challenge = challenge_of(lab_name).map(|c| (c, c.evaluate(&report, &key)));
    let name = sc.consumers.get(consumer).map_or("", |c| c.name.as_str());
    let vm = prove_vm(
        &report,
        consumer,
        name,
        &sc.topic.payments.invalid,
        challenge.as_ref().map(|(c, r)| (*c, r)),
    );
    Some(Proved {
        key,
        proof,
        report,
        challenge,
        vm,
        shown: None,
    })
}

impl Proved {
    /// The challenge met, for the lab progress, when the program is the student's own.
    pub fn met(&self) -> Option<ChallengeMet> {
        let (c, r) = self.challenge.as_ref()?;
        (r.met && own_program(&self.key)).then(|| ChallengeMet {
            challenge: c.id.to_string(),
            duplicates: self.report.duplicating > 0,
        })
    }

    /// The view, for the run on screen (`run_id`, its scenario).
    pub fn vm(&mut self, run_id: u32, sc: &Scenario) -> Rc<ProveVm> {
        if let Some((id, vm)) = &self.shown
            && *id == run_id
        {
            return vm.clone();
        }
        let mut vm = self.vm.clone();
        if program_of(sc) != self.key {
            vm.open = self.proof.variants().iter().position(|v| v == sc);
            vm.stale = vm.open.is_none();
        }
        let vm = Rc::new(vm);
        self.shown = Some((run_id, vm.clone()));
        vm
    }

    /// Run `i`, built, and where to open it: right after its disturbance (the crash, the
    /// joiner's first step), else at the moment that decided it.
    pub fn open(&self, i: usize) -> Option<(Timeline, usize, String)> {
        let variant = self.proof.variants().get(i)?.clone();
        let run = self.report.runs.get(i)?;
        let base_consumers = self.key.consumers.len();
        let tl = crate::run::build(variant).ok()?;
        let c = self.proof.consumer as u8;
        let at = tl.events.iter().position(|e| match run.disturbance {
            Disturbance::Crash { .. } | Disturbance::CrashAt { .. } => {
                e.consumer == Some(c) && matches!(e.kind, EventKind::Crashed { .. })
            }
            Disturbance::Joiner { .. } => e.consumer == Some(base_consumers as u8),
            Disturbance::Stall { .. } => false,
        });
        let cursor = at.map(|ix| ix + 1).or(run.decisive_event).unwrap_or(0);
        let sentence = self
            .vm
            .groups
            .iter()
            .flat_map(|g| &g.examples)
            .find(|x| x.run == i)
            .map_or_else(
                || crate::view::prove::disturbance_sentence(&run.disturbance),
                |x| x.sentence.clone(),
            );
        Some((tl, cursor, sentence))
    }
}

#[cfg(test)]
mod tests {
    use offset_lab_sim::lab::Criterion;

    use crate::Session;
    use crate::builder::{Edit, Key};
    use crate::protocol::Start;
    use crate::state::Action;
    use crate::view::prove::ProveVm;

    fn open(scenario: &str) -> Session {
        let query = format!("scenario={scenario}");
        Session::open(1, &Start::Link { query }, None)
    }

    fn shown(s: &mut Session) -> Rc<ProveVm> {
        s.screen().frame.prove.expect("a proof on screen")
    }

    use std::rc::Rc;

    fn lab_vm(s: &mut Session) -> crate::view::lab::LabVm {
        s.resend();
        s.screen().lab.unwrap().vm.clone().expect("a lab step")
    }

    /// The builder's control at `path` of the program on screen.
    fn key(s: &Session, path: &str) -> Key {
        crate::builder::builder(&s.state().timeline, &None)
            .sections
            .iter()
            .flat_map(|x| x.fields.iter().chain(&x.advanced))
            .find(|f| f.path == path)
            .unwrap_or_else(|| panic!("no control {path}"))
            .key
            .clone()
    }

    /// The naive program made to commit each payment after processing, with the controls.
    fn commit_after_processing(s: &mut Session) {
        let auto = key(s, "consumers[0].config.enable.auto.commit");
        s.act(Action::SetField {
            key: auto,
            edit: Edit::Bool(false),
        });
        s.act(Action::SetField {
            key: Key::Commit(0),
            edit: Edit::Choice("after-each-sync".into()),
        });
        assert!(!s.state().scenario().consumers[0].config.enable_auto_commit);
    }

    #[test]
    fn proving_the_naive_auto_commit_program_finds_a_loss_and_opens_it() {
        let mut s = open("step1-autocommit-sleep7");
        s.act(Action::Prove(0));
        let vm = shown(&mut s);
        assert!(!vm.safe, "{}", vm.verdict);
        assert!(vm.verdict.starts_with("A crash can lose"), "{}", vm.verdict);
        // Worst first: the losses, each with a sentence and a run to open (B5: the timer
        // commits what poll() stored).
        let g = &vm.groups[0];
        assert_eq!(g.kind, "loss");
        assert!(g.title.contains("lost"), "{}", g.title);
        let x = g.examples[0].clone();
        assert!(x.sentence.ends_with("lost."), "{}", x.sentence);
        assert!((vm.open, vm.stale) == (None, false));
        // Step 1 has no challenge.
        assert!(vm.challenge.is_none());

        s.act(Action::OpenProofRun(x.run));
        let st = s.state();
        let proved = s.proof().unwrap();
        assert_eq!(*st.scenario(), proved.proof.variants()[x.run]);
        assert!(st.cursor > 0, "seeked to the disturbance");
        let crashed = &st.timeline.events[st.cursor - 1];
        assert!(
            matches!(
                crashed.kind,
                offset_lab_sim::trace::EventKind::Crashed { .. }
            ) || proved.report.runs[x.run].decisive_event == Some(st.cursor),
            "{crashed:?}"
        );
        assert!(st.notice.as_ref().unwrap().text.contains(&x.sentence));
        assert_eq!(
            st.preset, "step1-autocommit-sleep7",
            "it keeps its lab step"
        );
        assert!(
            st.timeline
                .final_world
                .outcomes()
                .iter()
                .any(|o| o.outcome == offset_lab_sim::outcome::Verdict::Lost)
        );
        // The run on screen is one of the proof's: the list stays, and says which.
        let vm = shown(&mut s);
        assert_eq!((vm.open, vm.stale), (Some(x.run), false));
    }

    #[test]
    fn a_manual_commit_after_processing_program_proves_loss_free_and_meets_step_2() {
        let mut s = open("step2-manual-commit");
        let lab = lab_vm(&mut s);
        let c = lab.challenge.expect("step 2 has a challenge");
        assert_eq!((c.id.as_str(), c.met, c.on_screen), ("step2", false, false));
        s.act(Action::StartChallenge("step2".into()));
        assert_eq!(s.state().scenario().name, "challenge-step2");
        assert!(s.state().scenario().consumers[0].config.enable_auto_commit);
        // The naive program fails the challenge, and says which run breaks it.
        s.act(Action::Prove(0));
        let vm = shown(&mut s);
        let ch = vm.challenge.clone().unwrap();
        assert!(!ch.met && ch.run.is_some(), "{}", ch.reason);
        assert!(s.lab().criteria().is_empty());

        commit_after_processing(&mut s);
        assert!(shown(&mut s).stale, "the program changed since the proof");
        s.act(Action::Prove(0));
        let vm = shown(&mut s);
        assert!(vm.safe, "{}", vm.verdict);
        assert!(
            vm.verdict.starts_with("No crash loses a payment"),
            "{}",
            vm.verdict
        );
        assert!(
            vm.groups.iter().all(|g| g.kind == "duplicate"),
            "{:?}",
            vm.groups
        );
        assert!(
            !vm.groups.is_empty(),
            "a crash before the commit repeats a payment (A3)"
        );
        assert!(vm.challenge.as_ref().unwrap().met);
        // Built by the student, proved: the criteria tick.
        let met = s.lab().criteria();
        assert!(met.contains(&Criterion::ReliableManualCommit), "{met:?}");
        assert!(met.contains(&Criterion::AtLeastOnce), "{met:?}");
        let lab = lab_vm(&mut s);
        let c = lab.challenge.unwrap();
        assert!(c.met && c.on_screen);
        assert_eq!(lab.id, "step2");
    }

    #[test]
    fn watching_or_proving_a_preset_as_offered_ticks_no_design_criterion() {
        let mut s = open("step2-manual-commit");
        s.act(Action::ToEnd);
        s.act(Action::LoadScenario("step4-transient-retry".into()));
        s.act(Action::ToEnd);
        s.act(Action::LoadScenario("step2-manual-commit".into()));
        s.act(Action::Prove(0));
        let vm = shown(&mut s);
        assert!(vm.safe, "{}", vm.verdict);
        assert!(s.lab().criteria().is_empty(), "{:?}", s.lab().criteria());
        assert!(!super::own_program(s.state().scenario()));
        let lab = lab_vm(&mut s);
        assert!(lab.criteria.iter().all(|c| !c.done));
    }
}
