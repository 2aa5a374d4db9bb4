//! The Experiments panel's work, in the worker: a built-in experiment
//! (`offset_lab_sim::sweep::experiments`) or a sweep of one setting of the scenario on screen,
//! run with the core's [`Batch`] a slice at a time (its progress reported like a long run's,
//! `run::report`), within a work budget; and the runs it keeps, so that a point of its chart
//! opens its exact run.

use std::rc::Rc;

use offset_lab_sim::Scenario;
use offset_lab_sim::budget::STEP_BUDGET;
use offset_lab_sim::sweep::experiments::{NAMES, experiment};
use offset_lab_sim::sweep::grid::{Param, Repeat, Sweep};
use offset_lab_sim::sweep::{Batch, RunResult};

use crate::view::sweep::{Metric, PointVm, SeriesVm, SweepVm, parse_values, sweep_vm};

/// The estimated steps of all of a sweep's runs together: 40 runs at the single-run budget,
/// about half a minute of the worker on a slow machine, and far more than any built-in
/// experiment needs.
pub const SWEEP_BUDGET: u64 = 40 * STEP_BUDGET;
/// Simulation steps between two progress reports.
const SLICE_STEPS: u64 = 20_000;

/// A finished sweep: its chart, and its runs to open.
pub struct SweepRun {
    pub vm: Rc<SweepVm>,
    batch: Batch,
}

impl SweepRun {
    /// Run `i` of the sweep, and the event that decided its outcome (where to open it).
    pub fn run(&self, i: usize) -> Option<(Scenario, Option<usize>)> {
        let sc = self.batch.variant(i)?.clone();
        let at = self
            .batch
            .results()
            .get(i)
            .and_then(|r: &RunResult| r.outcome.as_ref().ok())
            .and_then(|o| o.decisive_event);
        Some((sc, at))
    }
}

/// Whether a sweep of `param` measures what committing costs (the lab's "Measured performance
/// implications"): the commit placement and the commit mode; other settings change the cost
/// only by the way.
pub fn measures_commit_cost(param: Param) -> bool {
    matches!(param, Param::Commit | Param::Mode)
}

/// Runs a sweep as a link carries it (`offset_lab_sim::link::check_sweep`): a built-in
/// experiment's name, or `SETTING:V1,V2,…` over `base`, with `;SETTING2:W1,W2,…` for a
/// second setting.
pub fn run_spec(base: &Scenario, spec: &str) -> Result<SweepRun, String> {
    offset_lab_sim::link::check_sweep(spec)?;
    if NAMES.contains(&spec) {
        return run_experiment(spec);
    }
    let setting = |part: &str| -> Result<(Param, String), String> {
        let (key, values) = part
            .split_once(':')
            .ok_or_else(|| format!("“{part}” names no experiment"))?;
        let param = Param::from_key(key).ok_or_else(|| format!("there is no setting “{key}”"))?;
        Ok((param, values.to_string()))
    };
    let mut parts = spec.split(';');
    let (param, values) = setting(parts.next().unwrap_or_default())?;
    let second = parts.next().map(setting).transpose()?;
    run_sweep(
        base,
        param,
        &values,
        second.as_ref().map(|(p, v)| (*p, v.as_str())),
    )
}

/// A sweep as a link carries it: `SETTING:V1,V2,…`, then `;SETTING2:W1,W2,…`.
pub fn sweep_spec(param: Param, values: &str, second: Option<(Param, &str)>) -> String {
    let mut spec = format!("{}:{}", param.key(), values.trim());
    if let Some((p, v)) = second {
        spec.push_str(&format!(";{}:{}", p.key(), v.trim()));
    }
    spec
}

/// Runs the built-in experiment called `name`.
pub fn run_experiment(name: &str) -> Result<SweepRun, String> {
    let e = experiment(name).ok_or_else(|| {
        format!(
            "there is no experiment “{name}” (there are {})",
            NAMES.join(", ")
        )
    })?;
    run(
        &e.sweep,
        &e.base,
        Some(e.name),
        e.question.to_string(),
        e.reading.to_string(),
        e.marked,
    )
}

/// Sweeps `param` of `base` over `values` (as the student typed them), each value run once
/// from the same seed.
pub fn run_sweep(
    base: &Scenario,
    param: Param,
    values: &str,
    second: Option<(Param, &str)>,
) -> Result<SweepRun, String> {
    let parse = |p: Param, v: &str| parse_values(p, v).map_err(|e| format!("{}: {e}", p.label()));
    let values = parse(param, values)?;
    let second = match second {
        Some((p, _)) if p == param => {
            return Err(format!("{} cannot be swept against itself", p.label()));
        }
        Some((p, v)) => Some((p, parse(p, v)?)),
        None => None,
    };
    let swept = match &second {
        Some((p, _)) => format!("{} × {}", param.label(), p.label()),
        None => param.label().to_string(),
    };
    let sweep = Sweep {
        param,
        values,
        second,
        repeat: Repeat::Once,
    };
    let title = if base.title.is_empty() {
        format!("{swept} swept")
    } else {
        format!("{swept} swept, on “{}”", base.title)
    };
    let reading = "Each value runs once, from the scenario's own seed; click a point to open \
                   that run."
        .to_string();
    run(&sweep, base, None, title, reading, None)
}

fn run(
    sweep: &Sweep,
    base: &Scenario,
    name: Option<&str>,
    title: String,
    reading: String,
    marked: Option<(&str, Scenario)>,
) -> Result<SweepRun, String> {
    let plan = sweep.plan(base)?;
    let mut variants = plan.variants.clone();
    // The marked run (the lab as written) is run last, and drawn where its processing time is.
    let mark = match (marked, sweep.param) {
        (Some((label, sc)), Param::ProcessingMs) => {
            let x = sc.consumers.first().map_or(0, |c| c.program.processing_ms);
            variants.push(sc);
            Some((label, x))
        }
        _ => None,
    };
    // Every run within the single-run budget (a run over it is refused, and counted invalid),
    // all of them together within the sweep's.
    let work: u64 = variants
        .iter()
        .map(|v| v.estimate_work().steps.min(STEP_BUDGET))
        .fold(0, u64::saturating_add);
    if work > SWEEP_BUDGET {
        return Err(format!(
            "this sweep would take about {work} simulation steps; a sweep takes at most \
             {SWEEP_BUDGET}: fewer values, or a shorter scenario"
        ));
    }
    let mut batch = Batch::new(variants);
    let total = batch.len().max(1);
    batch.run_in_slices(SLICE_STEPS, |done, _| {
        crate::run::report((done * 1000 / total) as u32);
        true
    });
    let mut vm = sweep_vm(
        name,
        title,
        reading,
        sweep.param,
        sweep.second.as_ref().map(|s| s.0),
        &plan,
        batch.results(),
    );
    if let Some((label, x)) = mark {
        let run = plan.variants.len();
        let lost = batch.results().get(run).is_some_and(|r| r.lost() > 0);
        let share = vm.charts.iter_mut().find(|c| {
            c.series
                .first()
                .is_some_and(|s| s.metric == Metric::LostShare)
        });
        if let Some(c) = share {
            c.series.push(SeriesVm {
                name: label.to_string(),
                metric: Metric::LostShare,
                tone: 4,
                points: vec![PointVm {
                    x: x as f64,
                    y: if lost { 100.0 } else { 0.0 },
                    label: format!(
                        "{label}: processing time (ms) {x}, one run: {}",
                        if lost {
                            "it lost its payment"
                        } else {
                            "it did not lose its payment"
                        }
                    ),
                    run,
                }],
            });
        }
    }
    Ok(SweepRun {
        vm: Rc::new(vm),
        batch,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_vs_processing_time_is_0_without_processing_and_rises() {
        // B5, F.1: auto-commit loses the payment in flight when a tick falls inside its
        // processing; with none, never.
        let s = run_experiment("loss-vs-processing-time").unwrap();
        let share = s.vm.charts[0].series[0].clone();
        assert_eq!(share.metric, Metric::LostShare);
        let ys: Vec<(f64, f64)> = share.points.iter().map(|p| (p.x, p.y)).collect();
        assert_eq!(ys[0], (0.0, 0.0), "{ys:?}");
        assert!(ys.windows(2).all(|w| w[0].1 <= w[1].1), "{ys:?}");
        let at = |x: f64| ys.iter().find(|p| p.0 == x).unwrap().1;
        assert!((35.0..=45.0).contains(&at(2000.0)), "{ys:?}");
        assert_eq!(at(7000.0), 100.0);
        assert_eq!(s.vm.x_label, "processing time (ms)");
        assert!(s.vm.charts.iter().any(|c| c.y_label.contains('%')));
        assert!(share.points[4].label.contains("processing time (ms) 2000"));
        // The lab as written, marked: 2 s of processing, one run (F.1).
        let mark = s.vm.charts[0].series.last().unwrap();
        assert!(mark.name.starts_with("the lab as written"), "{}", mark.name);
        assert_eq!(mark.points.len(), 1);
        assert_eq!(mark.points[0].x, 2000.0);
        let (sc, _) = s.run(mark.points[0].run).unwrap();
        assert_eq!(sc, offset_lab_sim::preset("step1-lab-literal").unwrap());
    }

    #[test]
    fn every_built_in_experiment_runs_within_the_budget() {
        for name in NAMES {
            let s = run_experiment(name).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(
                !s.vm.charts.is_empty() && !s.vm.sentence.is_empty(),
                "{name}"
            );
            for c in &s.vm.charts {
                for p in c.series.iter().flat_map(|s| &s.points) {
                    assert!(s.run(p.run).is_some(), "{name}: {}", p.label);
                    assert!(p.y <= c.y_max, "{name}: {} over {}", p.y, c.y_max);
                }
            }
        }
        assert!(run_experiment("nope").is_err());
    }

    #[test]
    fn commit_cost_charts_payments_per_second_per_round_trip() {
        let s = run_experiment("commit-cost").unwrap();
        let t = s.vm.charts.last().unwrap();
        assert_eq!(t.y_label, "payments per simulated second");
        assert_eq!(t.series.len(), 3, "one series per round trip");
        // A synchronous commit after each payment blocks for a round trip each time (B6).
        let sync_each = |series: usize| t.series[series].points[2].y;
        assert!(sync_each(0) > sync_each(2), "{t:?}");
    }

    #[test]
    fn a_sweep_of_any_setting_runs_on_the_scenario_on_screen() {
        let base = offset_lab_sim::preset("step1-phase-explorer").unwrap();
        let s = run_sweep(&base, Param::ProcessingMs, "0, 2000 ,7000", None).unwrap();
        assert_eq!(s.vm.runs, 3);
        let (sc, _) = s.run(2).unwrap();
        assert_eq!(sc.consumers[0].program.processing_ms, 7000);
        assert!(run_sweep(&base, Param::ProcessingMs, "fast", None).is_err());
        assert!(run_sweep(&base, Param::ProcessingMs, " , ", None).is_err());
        assert!(run_sweep(&base, Param::Commit, "sometimes", None).is_err());
    }

    /// The actions, as the page sends them: the chart arrives in the frame, a point opens its
    /// run, and every message reads back as it was sent.
    #[test]
    fn the_actions_chart_a_sweep_and_a_point_opens_its_run() {
        use crate::protocol::{FromWorker, Start, ToWorker};
        use crate::state::Action;
        let mut s = crate::Session::open(
            1,
            &Start::Link {
                query: String::new(),
            },
            None,
        );
        let mut out = s.act(Action::RunExperiment("loss-vs-processing-time".into()));
        let Some(FromWorker::Screen { screen, .. }) = out.last() else {
            panic!("a sweep answers with a screen");
        };
        let vm = screen.sweep.clone().expect("the chart");
        let p = vm.charts[0].series[0]
            .points
            .iter()
            .find(|p| p.x == 2000.0)
            .unwrap()
            .clone();
        assert!(p.y > 0.0);
        out.extend(s.act(Action::OpenSweepRun(p.run)));
        let st = s.state();
        // That variant: 2 s of processing, opened where its payment was lost (B5).
        assert_eq!(st.scenario().consumers[0].program.processing_ms, 2000);
        assert!(st.cursor > 0, "opened at the decisive event");
        let notice = st.notice.clone().unwrap();
        assert!(
            !notice.error && notice.text.contains("processing time (ms) 2000"),
            "{notice:?}"
        );
        // The chart is sent once, until another sweep replaces it.
        assert!(s.screen().sweep.is_none());
        s.resend();
        assert!(s.screen().sweep.is_some(), "the chart stays");
        for m in &out {
            let back = FromWorker::from_bytes(&m.to_bytes()).unwrap();
            assert_eq!(back.to_bytes(), m.to_bytes());
        }
        for a in [
            Action::RunExperiment("commit-cost".into()),
            Action::RunSweep {
                param: Param::Commit,
                values: "sync-each, async-each".into(),
                second: None,
            },
            Action::OpenSweepRun(3),
        ] {
            let m = ToWorker::Act {
                session: 1,
                action: a,
            };
            assert_eq!(ToWorker::from_bytes(&m.to_bytes()).unwrap(), m);
        }
        // A sweep that cannot run says why and keeps the chart.
        s.act(Action::RunSweep {
            param: Param::ProcessingMs,
            values: "soon".into(),
            second: None,
        });
        assert!(s.state().notice.as_ref().is_some_and(|n| n.error));
        s.resend();
        assert!(s.screen().sweep.is_some());
        // A run the sweep does not have changes nothing.
        assert!(s.act(Action::OpenSweepRun(100_000)).is_empty());
    }

    /// "Measured performance implications" ticks for a sweep that measures the cost of
    /// committing, and for nothing else; the chart comes into the Experiments panel.
    #[test]
    fn a_commit_cost_sweep_ticks_measured_performance_and_shows_its_chart() {
        use crate::state::{Action, Panel};
        use offset_lab_sim::lab::Criterion;
        let open = || {
            crate::Session::open(
                1,
                &crate::protocol::Start::Link {
                    query: "scenario=step2-manual-commit".into(),
                },
                None,
            )
        };
        let measured =
            |s: &crate::Session| s.lab().criteria().contains(&Criterion::MeasuredPerformance);
        let mut s = open();
        assert_ne!(s.state().panel, Panel::Experiments);
        s.act(Action::RunExperiment("loss-vs-processing-time".into()));
        assert_eq!(s.state().panel, Panel::Experiments, "the chart is shown");
        s.act(Action::RunSweep {
            param: Param::ProcessingMs,
            values: "0, 1000".into(),
            second: None,
        });
        assert!(!measured(&s), "neither measures what committing costs");
        s.act(Action::RunExperiment("commit-cost".into()));
        assert!(measured(&s));
        assert!(s.lab().measured.contains("commit-cost"));

        let mut s = open();
        s.act(Action::RunSweep {
            param: Param::Mode,
            values: "sync, async".into(),
            second: None,
        });
        assert!(measured(&s), "a sweep of the commit mode measures it too");
        // A sweep that cannot run measures nothing.
        let mut s = open();
        s.act(Action::RunSweep {
            param: Param::Commit,
            values: "sometimes".into(),
            second: None,
        });
        assert!(!measured(&s));
    }

    /// A sweep lives in the link: a link that carries one charts it as it opens, a sweep run
    /// goes into the page's link, and a link's sweep that cannot run says so and opens the rest.
    #[test]
    fn a_sweep_lives_in_the_link() {
        use crate::protocol::Start;
        use crate::state::Action;
        let open = |query: &str| {
            crate::Session::open(
                1,
                &Start::Link {
                    query: query.into(),
                },
                None,
            )
        };
        let mut s = open("v=1&preset=step2-manual-commit&sweep=commit-cost");
        let vm = s.screen().sweep.expect("charted as it opens");
        assert_eq!(vm.experiment.as_deref(), Some("commit-cost"));
        assert!(s.state().link().contains("sweep=commit-cost"));
        assert!(s.state().notice.is_none());

        let mut s = open("scenario=step2-manual-commit");
        assert!(!s.state().link().contains("sweep="));
        s.act(Action::RunSweep {
            param: Param::RttMs,
            values: " 1, 5, 40 ".into(),
            second: None,
        });
        let link = s.state().link();
        assert!(link.contains("sweep=rtt_ms%3A1%2C%205%2C%2040"), "{link}");
        // That link charts the same sweep again.
        let mut again = open(&link);
        s.resend();
        let (a, b) = (
            s.screen().sweep,
            again.screen().sweep.expect("the same chart"),
        );
        assert_eq!(a.map(|v| v.charts.clone()), Some(b.charts.clone()));

        let s = open("v=1&preset=step2-manual-commit&sweep=rtt_ms%3Asoon");
        let notice = s.state().notice.clone().expect("says why");
        assert!(notice.error && notice.text.contains("sweep"), "{notice:?}");
        assert_eq!(
            s.state().scenario().name,
            "step2-manual-commit",
            "the rest opens"
        );
        assert!(
            !s.state().link().contains("sweep="),
            "and the link drops it"
        );
    }

    /// Two settings at once: a small grid, one series per value of the second setting, in the
    /// link as `SETTING:…;SETTING2:…`; a setting against itself is refused.
    #[test]
    fn two_settings_at_once_make_a_small_grid() {
        let base = offset_lab_sim::preset("step1-phase-explorer").unwrap();
        let s = run_sweep(
            &base,
            Param::ProcessingMs,
            "0, 2000, 4000",
            Some((Param::AutoCommitIntervalMs, "1000, 5000")),
        )
        .unwrap();
        assert_eq!(s.vm.runs, 6);
        let lost = &s.vm.charts[0];
        assert_eq!(
            lost.series.len() % 2,
            0,
            "{:?}",
            lost.series.iter().map(|x| &x.name).collect::<Vec<_>>()
        );
        assert!(lost.series.iter().any(|x| x.name.contains("1000")));
        assert!(lost.series.iter().any(|x| x.name.contains("5000")));
        assert!(s.vm.title.contains('×'), "{}", s.vm.title);
        let spec = sweep_spec(
            Param::ProcessingMs,
            " 0, 2000, 4000 ",
            Some((Param::AutoCommitIntervalMs, "1000, 5000")),
        );
        assert_eq!(
            spec,
            "processing_ms:0, 2000, 4000;auto_commit_interval_ms:1000, 5000"
        );
        let again = run_spec(&base, &spec).unwrap();
        assert_eq!(again.vm.charts, s.vm.charts);
        assert!(
            run_sweep(&base, Param::RttMs, "1, 5", Some((Param::RttMs, "1"))).is_err(),
            "a setting against itself"
        );
    }
}
