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

// ---- a failure inside a batch ----------------------------------------------------------------

/// The exceptions the batch handler catches: those the per-payment handling lets through (their
/// action is `stop`), as (Python, Java) names; both when none does (the handler never runs).
fn uncaught(p: &Program) -> (String, String) {
    let mut py = Vec::new();
    let mut java = Vec::new();
    if p.retry.on_exhausted == FailureAction::Stop {
        py.push("TransientError");
        java.push("TransientException");
    }
    if p.on_invalid == FailureAction::Stop {
        py.push("InvalidPayment");
        java.push("InvalidPaymentException");
    }
    if py.is_empty() {
        py = vec!["TransientError", "InvalidPayment"];
        java = vec!["TransientException", "InvalidPaymentException"];
    }
    let py = if py.len() == 1 {
        py[0].to_string()
    } else {
        format!("({})", py.join(", "))
    };
    (py, java.join(" | "))
}

fn failure_note(mode: OnBatchFailure) -> &'static str {
    match mode {
        OnBatchFailure::ReplayBatch => {
            "replay_batch: read the whole batch again; what was processed runs twice"
        }
        _ => "commit_prefix: commit what was processed, read again from the failed payment",
    }
}

impl PyGen<'_> {
    fn on_batch_failure(&self) -> OnBatchFailure {
        self.program().on_batch_failure
    }

    /// The program seeks: it needs `TopicPartition`.
    pub(crate) fn seeks(&self) -> bool {
        !self.on_batch_failure().is_stop() && self.batched()
    }

    /// The handler commits the processed prefix: it needs `KafkaException`.
    pub(crate) fn commits_prefix(&self) -> bool {
        self.seeks() && self.on_batch_failure() == OnBatchFailure::CommitPrefix
    }

    /// Before `for msg in msgs:`: the prefix's offsets (`commit_prefix`) and `try:`.
    pub(crate) fn batch_failure_try(&mut self) {
        if !self.seeks() {
            return;
        }
        if self.on_batch_failure() == OnBatchFailure::CommitPrefix {
            self.w.line(
                "done = {}  # (topic, partition): the offset after its last payment handled in this batch",
            );
        }
        self.w.line("try:");
        self.w.indent();
    }

    /// The last line of the per-message loop's body: this payment is handled.
    pub(crate) fn batch_failure_done(&mut self) {
        if self.seeks() && self.on_batch_failure() == OnBatchFailure::CommitPrefix {
            self.w
                .line("done[msg.topic(), msg.partition()] = msg.offset() + 1  # A1");
        }
    }

    /// After the per-message loop: the handler, which commits the prefix (`commit_prefix`),
    /// seeks each partition of the batch and polls again.
    pub(crate) fn batch_failure_except(&mut self) {
        if !self.seeks() {
            return;
        }
        let mode = self.on_batch_failure();
        let (exceptions, _) = uncaught(self.program());
        self.w.dedent();
        self.w.line(format!(
            "except {exceptions} as e:  # {}",
            failure_note(mode)
        ));
        self.w.indent();
        self.w.line("print(e)");
        if mode == OnBatchFailure::CommitPrefix {
            let offsets = "offsets=[TopicPartition(t, p, o) for (t, p), o in done.items()]";
            self.w.line("if done:");
            self.w.indent();
            // The script's crash points at this commit, as at any other (see `commit`).
            let send = format!("consumer.commit({offsets}, asynchronous=True)");
            let on_the_wire = [
                send.as_str(),
                "time.sleep(0.1)  # librdkafka sends it; the answer is never read",
            ];
            self.crash_checks(
                ProgramPoint::CommitInFlight,
                |k| format!("current >= {k}"),
                &on_the_wire,
            );
            self.w.line("try:");
            self.w.indent();
            self.w.push(
                format!(
                    "consumer.commit({offsets}, asynchronous=False)  # B6: as given, and waits"
                ),
                Some(Pc::CommitPrefix),
                None,
            );
            self.w.dedent();
            self.w.line("except KafkaException as c:");
            self.w.indented("print(c)  # e.g. UNKNOWN_MEMBER_ID (B14)");
            self.crash_checks(
                ProgramPoint::AfterCommit,
                |k| format!("current >= {k}"),
                &[],
            );
            self.w.dedent();
        }
        self.w
            .line("starts = {}  # (topic, partition): its first offset in this batch");
        self.w.line("for m in msgs:");
        self.w
            .indented("starts.setdefault((m.topic(), m.partition()), m.offset())");
        self.w.line("for (t, p), o in starts.items():");
        let (target, note) = match mode {
            OnBatchFailure::CommitPrefix => (
                "done.get((t, p), o)",
                "B8: fetching restarts at the first payment not handled",
            ),
            _ => ("o", "B8: fetching restarts at the batch's first offset"),
        };
        self.w.indent();
        self.w.push(
            format!(
                "consumer.seek(TopicPartition(t, p, {target}))  # {note}; the stored offset stays"
            ),
            Some(Pc::Seek),
            None,
        );
        self.w.dedent();
        self.w.line("continue  # poll again");
        self.w.dedent();
    }
}

/// Java: what the batch handler needs before the per-message loop.
pub(crate) fn java_batch_failure_try(w: &mut Writer, p: &Program) {
    if p.on_batch_failure.is_stop() {
        return;
    }
    if p.on_batch_failure == OnBatchFailure::CommitPrefix {
        w.line("// Each partition's offset after its last record handled in this batch");
        w.line("Map<TopicPartition, OffsetAndMetadata> done = new HashMap<>();");
    }
    w.line("try {");
    w.indent();
}

/// Java: the last line of the per-message loop's body.
pub(crate) fn java_batch_failure_done(w: &mut Writer, p: &Program) {
    if p.on_batch_failure == OnBatchFailure::CommitPrefix {
        w.line("done.put(new TopicPartition(record.topic(), record.partition()),");
        w.cont("new OffsetAndMetadata(record.offset() + 1));  // A1");
    }
}

/// Java: the handler after the per-message loop.
pub(crate) fn java_batch_failure_catch(w: &mut Writer, p: &Program) {
    let mode = p.on_batch_failure;
    if mode.is_stop() {
        return;
    }
    let (_, exceptions) = uncaught(p);
    w.dedent();
    w.line(format!(
        "}} catch ({exceptions} e) {{  // {}",
        failure_note(mode)
    ));
    w.indent();
    w.line("System.err.println(e);");
    if mode == OnBatchFailure::CommitPrefix {
        w.line("if (!done.isEmpty()) {");
        w.indent();
        w.line("try {");
        w.indent();
        w.push(
            "consumer.commitSync(done);  // D4: the processed prefix, and waits",
            Some(Pc::CommitPrefix),
            None,
        );
        w.dedent();
        w.line("} catch (KafkaException c) {  // D4: e.g. CommitFailedException");
        w.indented("System.err.println(c);");
        w.line("}");
        w.dedent();
        w.line("}");
    }
    w.line("for (TopicPartition tp : records.partitions()) {");
    w.indent();
    w.line("long first = records.records(tp).get(0).offset();");
    let (target, note) = match mode {
        OnBatchFailure::CommitPrefix => (
            "done.containsKey(tp) ? done.get(tp).offset() : first",
            "the first record not handled",
        ),
        _ => ("first", "the batch's first record"),
    };
    w.push(
        format!("consumer.seek(tp, {target});  // D1: the position goes back to {note}"),
        Some(Pc::Seek),
        None,
    );
    w.dedent();
    w.line("}");
    w.line("continue;  // poll again");
    w.dedent();
    w.line("}");
}
