//! The countdowns of a consumer's card: its auto-commit timer (B5, D2), its session (B15, C2),
//! the time since its last `poll()` (B14, D5), and the session of a dead member the group
//! still counts (B12, C2). The core answers what each timer is; this says it in words.

use offset_lab_sim::client::policy::AutoCommitRuns;
use offset_lab_sim::{Ms, World};

use super::cards::Timer;
use super::{clock, consumer_name, dur, member_id};

/// `part` of `whole` in per mille, at most 1000.
fn permille(part: u64, whole: u64) -> u32 {
    (part.min(whole) * 1000 / whole.max(1)) as u32
}

fn session_timer(last_hb: Ms, session: u64, now: Ms, dead: bool) -> Timer {
    let session = session.max(1);
    let since = now.saturating_sub(last_hb);
    let left = (last_hb + session).saturating_sub(now);
    Timer {
        name: "session".to_string(),
        permille: permille(since, session),
        text: format!("expires in {}", dur(left)),
        note: if dead {
            String::new()
        } else {
            format!(
                "last heartbeat {} ago; heartbeats run in the background (B15)",
                dur(since)
            )
        },
        alert: dead,
    }
}

/// The timers of live consumer `c` at `now`.
pub fn timers(world: &World, c: usize, now: Ms) -> Vec<Timer> {
    let mut out = Vec::new();
    let Some(cl) = &world.consumers[c].client else {
        return out;
    };
    if let Some(t) = world.auto_commit_timer(c) {
        let interval = t.interval_ms.max(1);
        let remaining = t.next_ms.saturating_sub(now);
        let (text, note) = match t.runs {
            AutoCommitRuns::InsidePoll if remaining == 0 => (
                "due".to_string(),
                "commits the positions in the next poll() (D2)".to_string(),
            ),
            AutoCommitRuns::InsidePoll => (
                format!("due in {}", dur(remaining)),
                "Java commits in poll(), not in the background (D2)".to_string(),
            ),
            AutoCommitRuns::OnBackgroundTimer => (
                format!("next tick in {}", dur(remaining)),
                if t.skipping {
                    "skips its ticks while rebalancing (B5)".to_string()
                } else {
                    format!(
                        "ticks every {} since Consumer() at {} (B5)",
                        dur(interval),
                        clock(t.t0_ms)
                    )
                },
            ),
        };
        out.push(Timer {
            name: "auto-commit".to_string(),
            permille: 1000 - permille(remaining, interval),
            text,
            note,
            alert: t.threatens_unfinished,
        });
    }
    if let Some(m) = cl.member.and_then(|id| world.group.member(id)) {
        out.push(session_timer(
            m.last_heartbeat_ms,
            m.session_timeout_ms,
            now,
            false,
        ));
    }
    if cl.member.is_some() {
        let limit = world.scenario.consumers[c]
            .config
            .max_poll_interval_ms
            .max(1);
        let (elapsed, text) = if cl.in_poll() {
            (0, "in poll() now".to_string())
        } else {
            let since = now.saturating_sub(cl.last_poll_ms);
            (
                permille(since, limit),
                format!("{} since poll(), limit {}", dur(since), dur(limit)),
            )
        };
        out.push(Timer {
            name: "max.poll".to_string(),
            permille: elapsed,
            text,
            note: "leave the group if poll() is not called in time (B14)".to_string(),
            alert: elapsed > 800,
        });
    }
    out
}

/// A member of an earlier incarnation of consumer `c` that never said goodbye (B12, C2).
pub fn ghost(world: &World, c: usize, now: Ms) -> Option<Timer> {
    world.ghost_member(c).map(|m| {
        let mut t = session_timer(m.last_heartbeat_ms, m.session_timeout_ms, now, true);
        t.note = format!(
            "{} is dead but still a member: no LeaveGroup was sent (B12, C2)",
            member_id(&world.scenario, m.id)
        );
        t
    })
}

/// Why nothing happens until `until` (an idle stretch that playback speeds through), in a
/// sentence: most often a dead member's session timeout (B12, C2).
pub fn idle_text(world: &World, now: Ms, until: Ms) -> String {
    let ghost = (0..world.consumers.len()).find_map(|c| world.ghost_member(c).map(|m| (c, m)));
    let why = match ghost {
        Some((c, m)) => format!(
            "Waiting for the session timeout: {} ({}) died without close(), and the group \
             counts it as a member until its session of {} runs out at {} (B12, C2).",
            member_id(&world.scenario, m.id),
            consumer_name(&world.scenario, Some(c as u8)),
            dur(m.session_timeout_ms),
            clock(m.last_heartbeat_ms + m.session_timeout_ms)
        ),
        None => "Nothing happens but heartbeats and empty polls.".to_string(),
    };
    format!(
        "{why} The next event that matters is at {} ({} from now): playback speeds through.",
        clock(until),
        dur(until.saturating_sub(now))
    )
}
