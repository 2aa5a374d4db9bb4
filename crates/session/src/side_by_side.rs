//! Two runs side by side: the run on screen and another scenario (the one as loaded, a
//! preset: the lab's naive program, the synchronous twin of an asynchronous one), on one time
//! axis, with their outcomes and costs in one table, throughput included. Computed in the
//! worker like any run; the page draws the two timelines with the same scale.

use serde::{Deserialize, Serialize};

use offset_lab_sim::{Ms, Timeline};

use crate::view::outcome::{compare, run_stats};
use crate::view::timeline::{TimelineVm, timeline_vm};

/// Two runs to compare, as the page draws them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SideBySideVm {
    /// The other scenario: its name (to pick it again) and title.
    pub other_name: String,
    pub other_title: String,
    pub this_title: String,
    /// (what, the other run, this run), at the end of each run.
    pub rows: Vec<(String, String, String)>,
    /// The end of the longer run: both timelines are drawn from 0 to it.
    pub end_ms: Ms,
    pub other: TimelineVm,
    pub this: TimelineVm,
}

/// The run on screen (`this`, with its title) beside the scenario called `other_name`.
pub fn side_by_side(
    this: &Timeline,
    this_title: &str,
    other_name: &str,
) -> Result<SideBySideVm, String> {
    let scenario = crate::scenarios::load(other_name).map_err(|e| e.to_string())?;
    let other_title = scenario.title.clone();
    let other = Timeline::new(scenario).map_err(|e| e.to_string())?;
    let stats = |tl: &Timeline| run_stats(tl, &tl.final_world, tl.events.len());
    Ok(SideBySideVm {
        other_name: other_name.to_string(),
        other_title,
        this_title: this_title.to_string(),
        rows: compare(&stats(&other), &stats(this)),
        end_ms: other.end_ms().max(this.end_ms()).max(1),
        other: timeline_vm(&other),
        this: timeline_vm(this),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(name: &str) -> Timeline {
        Timeline::new(offset_lab_sim::preset(name).unwrap()).unwrap()
    }

    #[test]
    fn sync_beside_async_shows_the_cost_of_waiting_for_each_commit() {
        let this = run("exp2-async-commits");
        let vm = side_by_side(&this, "async", "exp2-sync-commits").unwrap();
        let row = |what: &str| {
            vm.rows
                .iter()
                .find(|r| r.0 == what)
                .unwrap_or_else(|| panic!("no row {what}: {:?}", vm.rows))
                .clone()
        };
        // Synchronous commits wait a round trip each (B4); asynchronous ones do not (B6).
        let (_, sync_wait, async_wait) = row("waiting for sync commits");
        assert_ne!(sync_wait, "0 ms");
        assert_eq!(async_wait, "0 ms");
        let (_, sync_rate, async_rate) = row("payments recorded (throughput)");
        let number = |s: &str| s.split(' ').next().unwrap().parse::<f64>().unwrap();
        assert!(
            number(&async_rate) > number(&sync_rate),
            "{async_rate} vs {sync_rate}"
        );
        // One time axis: the longer run's end.
        let other = run("exp2-sync-commits");
        assert_eq!(vm.end_ms, other.end_ms().max(this.end_ms()));
        assert_eq!(vm.other.rows.len(), other.scenario.consumers.len());
        assert_eq!(vm.this.rows.len(), this.scenario.consumers.len());
        assert_eq!(vm.other_title, other.scenario.title);
    }

    #[test]
    fn an_unknown_scenario_is_refused_with_a_reason() {
        let this = run("exp2-async-commits");
        let err = side_by_side(&this, "async", "no-such-scenario").unwrap_err();
        assert!(!err.is_empty());
    }

    /// As the page asks for it: the comparison arrives once in a screen, the Experiments
    /// panel shows it, and a scenario that cannot be compared says why and keeps it.
    #[test]
    fn the_action_sends_the_comparison_once_and_keeps_it_on_a_refusal() {
        use crate::protocol::{FromWorker, Start};
        use crate::state::{Action, Panel};
        let mut s = crate::Session::open(
            1,
            &Start::Link {
                query: "scenario=exp2-async-commits".into(),
            },
            None,
        );
        let out = s.act(Action::CompareWith("exp2-sync-commits".into()));
        let Some(FromWorker::Screen { screen, .. }) = out.last() else {
            panic!("a screen");
        };
        let vm = screen.side_by_side.clone().expect("the comparison");
        assert_eq!(vm.other_name, "exp2-sync-commits");
        assert_eq!(s.state().panel, Panel::Experiments);
        assert!(s.screen().side_by_side.is_none(), "sent once");
        s.act(Action::CompareWith("no-such-scenario".into()));
        assert!(s.state().notice.as_ref().is_some_and(|n| n.error));
        s.resend();
        let kept = s.screen().side_by_side.expect("kept");
        assert_eq!(kept.other_name, "exp2-sync-commits");
    }
}
