//! The program's own decisions as code, for both languages: a commit every N payments (a
//! counter) or every T ms (a timestamp). Kept apart from the listings' main generators, which
//! call these helpers at the points where the decisions sit.

use super::*;

/// The condition of a commit step, `(every, every_ms)`, if any step of the program has one.
pub(crate) fn commit_condition(p: &Program) -> Option<(u32, u64)> {
    p.per_message.iter().find_map(MessageStep::commit_condition)
}

/// What a conditional commit bounds, for the comment on its `if`: a crash replays the payments
/// processed since the last commit.
fn every_note(every: u32, every_ms: u64) -> String {
    match (every > 1, every_ms > 0) {
        (true, false) => format!("every {every} payments: a crash replays up to {every}"),
        (false, _) => format!(
            "at most every {}: a crash replays what was processed since",
            duration(every_ms)
        ),
        (true, true) => format!(
            "every {every} payments, once {} have passed",
            duration(every_ms)
        ),
    }
}

impl PyGen<'_> {
    /// Whether the program needs `time` for a timed commit.
    pub(crate) fn needs_time(&self) -> bool {
        commit_condition(self.program()).is_some_and(|(_, ms)| ms > 0)
    }

    /// The counter and the timestamp of a conditional commit, before the loop.
    pub(crate) fn commit_every_init(&mut self) {
        let Some((every, every_ms)) = commit_condition(self.program()) else {
            return;
        };
        if every > 1 {
            self.w
                .line("processed = 0  # payments this process has processed: the commit counter");
        }
        if every_ms > 0 {
            self.w
                .line("last_commit = time.monotonic()  # when this program last committed");
        }
    }

    /// `commit` inside the program's own condition: `processed += 1`, then `if processed % N ==
    /// 0 and time.monotonic() - last_commit >= T:` (no condition: the commit alone).
    pub(crate) fn commit_every(
        &mut self,
        every: u32,
        every_ms: u64,
        commit: impl FnOnce(&mut Self),
    ) {
        if every <= 1 && every_ms == 0 {
            commit(self);
            return;
        }
        let mut conditions = Vec::new();
        if every > 1 {
            self.w.line("processed += 1");
            conditions.push(format!("processed % {every} == 0"));
        }
        if every_ms > 0 {
            conditions.push(format!(
                "time.monotonic() - last_commit >= {}",
                py_seconds(every_ms)
            ));
        }
        self.w.line(format!(
            "if {}:  # {}",
            conditions.join(" and "),
            every_note(every, every_ms)
        ));
        self.w.indent();
        if every_ms > 0 {
            self.w.line("last_commit = time.monotonic()");
        }
        commit(self);
        self.w.dedent();
    }
}

/// Java: the counter and the timestamp of a conditional commit, before the loop.
pub(crate) fn java_commit_every_init(w: &mut Writer, p: &Program) {
    let Some((every, every_ms)) = commit_condition(p) else {
        return;
    };
    if every > 1 {
        w.line("long processed = 0;  // records this process has processed: the commit counter");
    }
    if every_ms > 0 {
        w.line(
            "long lastCommit = System.currentTimeMillis();  // when this program last committed",
        );
    }
}

/// Java: `commit` inside the program's own condition.
pub(crate) fn java_commit_every(
    w: &mut Writer,
    every: u32,
    every_ms: u64,
    commit: impl FnOnce(&mut Writer),
) {
    if every <= 1 && every_ms == 0 {
        commit(w);
        return;
    }
    let mut conditions = Vec::new();
    if every > 1 {
        w.line("processed++;");
        conditions.push(format!("processed % {every} == 0"));
    }
    if every_ms > 0 {
        conditions.push(format!(
            "System.currentTimeMillis() - lastCommit >= {every_ms}"
        ));
    }
    w.line(format!(
        "if ({}) {{  // {}",
        conditions.join(" && "),
        every_note(every, every_ms)
    ));
    w.indent();
    if every_ms > 0 {
        w.line("lastCommit = System.currentTimeMillis();");
    }
    commit(w);
    w.dedent();
    w.line("}");
}
