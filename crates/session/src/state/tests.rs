//! The state's tests: the reducer, links and files, natively (no browser).

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

/// Shift+→ goes to the next numbered key moment, as its name says (then to the end); Shift+←
/// back to the previous one (then to the start).
#[test]
fn shift_arrows_go_from_key_moment_to_key_moment() {
    let s = state("step1-autocommit-sleep7");
    let cursors: Vec<usize> = s.moments.iter().map(|m| m.cursor()).collect();
    assert!(cursors.len() >= 3, "{cursors:?}");
    let mut cur = s.clone();
    for &c in &cursors {
        cur = reduce(&cur, Action::NextMoment);
        assert_eq!(cur.cursor, c);
        assert!(cur.callout().is_some(), "its explanation shows");
    }
    cur = reduce(&cur, Action::NextMoment);
    assert_eq!(cur.cursor, cur.timeline.events.len());
    assert_eq!(cur.time_ms, cur.timeline.end_ms());
    let n = cur.timeline.events.len();
    for &c in cursors.iter().rev().filter(|&&c| c < n) {
        cur = reduce(&cur, Action::PrevMoment);
        assert_eq!(cur.cursor, c);
    }
    cur = reduce(&cur, Action::PrevMoment);
    assert_eq!(cur.cursor, 0);
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
    assert_eq!(
        (page.panel, page.panels.len()),
        (Panel::Events, Panel::ALL.len())
    );
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

#[test]
fn a_link_may_name_any_scenario_the_picker_offers_as_its_preset() {
    let s = AppState::from_link("?v=1&preset=many-payments&t=1000");
    assert_eq!(s.preset, crate::scenarios::MANY_PAYMENTS);
    assert!(s.notice.is_none(), "{:?}", s.notice);
    assert_eq!(s.time_ms, 1000);
}

/// A dead member's session timeout (45 s of heartbeats and empty polls) passes quickly in
/// playback, up to the next event that matters, and the frame says why nothing happens.
#[test]
fn playback_speeds_through_an_idle_stretch_and_says_why() {
    use crate::view::card_timers::idle_text;
    let s = reduce(
        &state("step1-autocommit-sleep7"),
        Action::SetPauseAtMoments(false),
    );
    let crash = s
        .timeline
        .events
        .iter()
        .position(|e| matches!(e.kind, offset_lab_sim::EventKind::Crashed { .. }))
        .expect("the consumer dies");
    // A little after the crash and its restart: the group waits for the dead member's session.
    let mut s = reduce(&s, Action::SeekCursor(crash + 1));
    let mut until = s.idle_until();
    while until.is_none() && s.cursor < s.timeline.events.len() {
        s = reduce(&s, Action::StepForward);
        until = s.idle_until();
    }
    let until = until.expect("an idle stretch after the crash");
    assert!(until > s.time_ms + crate::state::IDLE_MS);
    let s = reduce(&s, Action::Play);
    let t0 = s.time_ms;
    let s = reduce(&s, Action::Tick(250));
    assert_eq!(
        s.time_ms,
        (t0 + 250 * crate::state::IDLE_SPEEDUP).min(until)
    );
    // Never past the next event that matters.
    let mut p = s.clone();
    for _ in 0..200 {
        if p.idle_until().is_none() {
            break;
        }
        p = reduce(&p, Action::Tick(250));
    }
    assert!(p.time_ms <= until, "never past the next event that matters");
    assert!(
        until - p.time_ms <= crate::state::IDLE_MS,
        "the last seconds before it at the chosen speed"
    );
    // Outside an idle stretch, time runs at the chosen speed.
    let busy = reduce(
        &reduce(
            &state("step1-autocommit-sleep7"),
            Action::SetPauseAtMoments(false),
        ),
        Action::Play,
    );
    assert!(busy.idle_until().is_none());
    assert_eq!(reduce(&busy, Action::Tick(250)).time_ms, 250);
    // Why: the dead member's session (B12, C2).
    let world = s.timeline.world_at(s.cursor);
    let text = idle_text(&world, s.time_ms, until);
    assert!(
        text.starts_with("Waiting for the session timeout"),
        "{text}"
    );
    assert!(text.contains("playback speeds through"), "{text}");
}
