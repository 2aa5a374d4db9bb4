//! The consumer program as source code, for the code view.
//!
//! This is an adapter with the same shape as `offset_lab_sim::render::listing` (being written
//! by the core's render helper): a list of lines, each knowing the program counter it shows
//! and the crash point a click on its gutter places. Until `render` lands, [`listing`] renders
//! the program itself; afterwards it only converts.

use offset_lab_sim::client::Pc;
use offset_lab_sim::scenario::{BatchStep, ClientModel, ConsumerSpec, MessageStep, ProgramPoint, Scenario};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listing {
    pub file_name: String,
    pub language: &'static str,
    pub lines: Vec<SourceLine>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceLine {
    pub text: String,
    /// The program counter this line shows (the line highlighted while the program is there).
    pub pc: Option<Pc>,
    /// The crash point placed by clicking this line's gutter.
    pub crash_point: Option<ProgramPoint>,
}

impl Listing {
    /// The 0-based line showing `pc`.
    pub fn line_of(&self, pc: Pc) -> Option<usize> {
        self.lines.iter().position(|l| l.pc == Some(pc))
    }

    /// The 0-based line whose gutter places `point`.
    pub fn line_of_point(&self, point: ProgramPoint) -> Option<usize> {
        self.lines.iter().position(|l| l.crash_point == Some(point))
    }
}

/// The listing of consumer `ix` (an empty listing for an index out of range).
pub fn listing(sc: &Scenario, ix: usize) -> Listing {
    let Some(spec) = sc.consumers.get(ix) else {
        return Listing { file_name: String::new(), language: "text", lines: vec![] };
    };
    match sc.client {
        ClientModel::Librdkafka => python(sc, spec),
        ClientModel::Java => java(sc, spec),
    }
}

struct Out {
    lines: Vec<SourceLine>,
}

impl Out {
    fn line(&mut self, text: impl Into<String>) {
        self.lines.push(SourceLine { text: text.into(), pc: None, crash_point: None });
    }
    fn at(&mut self, text: impl Into<String>, pc: Option<Pc>, crash_point: Option<ProgramPoint>) {
        self.lines.push(SourceLine { text: text.into(), pc, crash_point });
    }
}

fn py_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

fn secs(ms: u64) -> String {
    if ms % 1000 == 0 { format!("{}", ms / 1000) } else { format!("{}", ms as f64 / 1000.0) }
}

fn python(sc: &Scenario, spec: &ConsumerSpec) -> Listing {
    let cfg = &spec.config;
    let prog = &spec.program;
    let mut o = Out { lines: Vec::new() };
    let batch = prog.poll.max_messages > 1;
    o.line("from confluent_kafka import Consumer");
    o.line("import sys, time");
    o.line("");
    o.line("consumer = Consumer({");
    o.line("    'bootstrap.servers': 'localhost:9092',");
    o.line(format!("    'group.id': '{}',", cfg.group_id));
    o.line(format!("    'enable.auto.commit': {},", py_bool(cfg.enable_auto_commit)));
    if cfg.enable_auto_commit {
        o.line(format!("    'auto.commit.interval.ms': {},", cfg.auto_commit_interval_ms));
    }
    if !cfg.enable_auto_offset_store {
        o.line("    'enable.auto.offset.store': False,");
    }
    o.line(format!("    'auto.offset.reset': '{}',", reset_name(cfg.auto_offset_reset)));
    o.line("})");
    o.line(format!("consumer.subscribe(['{}'])", sc.topic.name));
    o.line("");
    let base = if prog.close_in_finally {
        o.line("try:");
        "    "
    } else {
        ""
    };
    o.line(format!("{base}while True:"));
    let i1 = format!("{base}    ");
    if batch {
        o.at(
            format!("{i1}msgs = consumer.consume(num_messages={}, timeout={})", prog.poll.max_messages, secs(prog.poll.timeout_ms)),
            Some(Pc::Poll),
            Some(ProgramPoint::AfterPoll),
        );
    } else {
        o.at(format!("{i1}msg = consumer.poll({})", secs(prog.poll.timeout_ms)), Some(Pc::Poll), Some(ProgramPoint::AfterPoll));
        o.line(format!("{i1}if msg is None or msg.error():"));
        o.line(format!("{i1}    continue"));
    }
    for (i, step) in prog.before.iter().enumerate() {
        o.at(format!("{i1}{}  # before processing", py_batch(step)), Some(Pc::Before(i as u8)), Some(ProgramPoint::CommitInFlight));
    }
    let i2 = if batch {
        o.line(format!("{i1}for msg in msgs:"));
        format!("{i1}    ")
    } else {
        i1.clone()
    };
    for (i, step) in prog.per_message.iter().enumerate() {
        let pc = Some(Pc::Message(i as u8));
        match step {
            MessageStep::Process => {
                o.line(format!("{i2}print('Processing payment...')"));
                o.at(
                    format!("{i2}time.sleep({})  # process(msg)", secs(prog.processing_ms)),
                    pc,
                    Some(ProgramPoint::DuringProcessing),
                );
                o.at(format!("{i2}ledger.record(msg)"), None, Some(ProgramPoint::AfterEffect));
            }
            MessageStep::StoreOffsets => {
                o.at(format!("{i2}consumer.store_offsets(message=msg)"), pc, None);
            }
            MessageStep::Commit { asynchronous, message } => {
                let arg = if *message { "message=msg, " } else { "" };
                o.at(
                    format!("{i2}consumer.commit({arg}asynchronous={})", py_bool(*asynchronous)),
                    pc,
                    Some(ProgramPoint::AfterCommit),
                );
            }
        }
    }
    for (i, step) in prog.after.iter().enumerate() {
        o.at(format!("{i1}{}", py_batch(step)), Some(Pc::After(i as u8)), Some(ProgramPoint::AfterCommit));
    }
    if prog.close_in_finally {
        o.line("finally:");
        o.at("    consumer.close()  # commits the stored offsets, leaves the group", Some(Pc::Close), None);
    } else {
        o.at("# sys.exit(1) ends the process: close() never runs", Some(Pc::Close), None);
    }
    let file_name = if cfg.enable_auto_commit { "auto_commit_consumer.py" } else { "manual_commit_consumer.py" };
    Listing { file_name: file_name.into(), language: "python", lines: o.lines }
}

fn java(sc: &Scenario, spec: &ConsumerSpec) -> Listing {
    let cfg = &spec.config;
    let prog = &spec.program;
    let mut o = Out { lines: Vec::new() };
    o.line("Properties props = new Properties();");
    o.line("props.put(\"bootstrap.servers\", \"localhost:9092\");");
    o.line(format!("props.put(\"group.id\", \"{}\");", cfg.group_id));
    o.line(format!("props.put(\"enable.auto.commit\", \"{}\");", cfg.enable_auto_commit));
    if cfg.enable_auto_commit {
        o.line(format!("props.put(\"auto.commit.interval.ms\", \"{}\");", cfg.auto_commit_interval_ms));
    }
    o.line(format!("props.put(\"max.poll.records\", \"{}\");", cfg.max_poll_records));
    o.line(format!("props.put(\"auto.offset.reset\", \"{}\");", reset_name(cfg.auto_offset_reset)));
    o.line("KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props);");
    o.line(format!("consumer.subscribe(List.of(\"{}\"));", sc.topic.name));
    let base = if prog.close_in_finally {
        o.line("try {");
        "    "
    } else {
        ""
    };
    o.line(format!("{base}while (true) {{"));
    let i1 = format!("{base}    ");
    o.at(
        format!("{i1}var records = consumer.poll(Duration.ofMillis({}));", prog.poll.timeout_ms),
        Some(Pc::Poll),
        Some(ProgramPoint::AfterPoll),
    );
    for (i, step) in prog.before.iter().enumerate() {
        o.at(format!("{i1}{}  // before processing", java_batch(step)), Some(Pc::Before(i as u8)), Some(ProgramPoint::CommitInFlight));
    }
    o.line(format!("{i1}for (var record : records) {{"));
    let i2 = format!("{i1}    ");
    for (i, step) in prog.per_message.iter().enumerate() {
        let pc = Some(Pc::Message(i as u8));
        match step {
            MessageStep::Process => {
                o.line(format!("{i2}System.out.println(\"Processing payment...\");"));
                o.at(format!("{i2}Thread.sleep({});  // process(record)", prog.processing_ms), pc, Some(ProgramPoint::DuringProcessing));
                o.at(format!("{i2}ledger.record(record);"), None, Some(ProgramPoint::AfterEffect));
            }
            MessageStep::StoreOffsets => {
                o.at(format!("{i2}// store_offsets has no Java equivalent"), pc, None);
            }
            MessageStep::Commit { asynchronous, message } => {
                let call = match (asynchronous, message) {
                    (false, true) => "commitSync(Map.of(tp(record), next(record)))",
                    (true, true) => "commitAsync(Map.of(tp(record), next(record)), null)",
                    (false, false) => "commitSync()",
                    (true, false) => "commitAsync()",
                };
                o.at(format!("{i2}consumer.{call};"), pc, Some(ProgramPoint::AfterCommit));
            }
        }
    }
    o.line(format!("{i1}}}"));
    for (i, step) in prog.after.iter().enumerate() {
        o.at(format!("{i1}{}", java_batch(step)), Some(Pc::After(i as u8)), Some(ProgramPoint::AfterCommit));
    }
    o.line(format!("{base}}}"));
    if prog.close_in_finally {
        o.line("} finally {");
        o.at("    consumer.close();  // commits the positions, leaves the group", Some(Pc::Close), None);
        o.line("}");
    } else {
        o.at("// System.exit(1) ends the process: close() never runs", Some(Pc::Close), None);
    }
    let file_name = if cfg.enable_auto_commit { "AutoCommitConsumer.java" } else { "ManualCommitConsumer.java" };
    Listing { file_name: file_name.into(), language: "java", lines: o.lines }
}

fn py_batch(step: &BatchStep) -> String {
    match step {
        BatchStep::Commit { asynchronous } => format!("consumer.commit(asynchronous={})", py_bool(*asynchronous)),
        BatchStep::CommitTransaction => "producer.send_offsets_to_transaction(...); producer.commit_transaction()".to_string(),
    }
}

fn java_batch(step: &BatchStep) -> String {
    match step {
        BatchStep::Commit { asynchronous: true } => "consumer.commitAsync();".to_string(),
        BatchStep::Commit { asynchronous: false } => "consumer.commitSync();".to_string(),
        BatchStep::CommitTransaction => "producer.sendOffsetsToTransaction(...); producer.commitTransaction();".to_string(),
    }
}

fn reset_name(r: offset_lab_sim::scenario::OffsetReset) -> &'static str {
    use offset_lab_sim::scenario::OffsetReset;
    match r {
        OffsetReset::Earliest => "earliest",
        OffsetReset::Latest => "latest",
        OffsetReset::Error => "error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use offset_lab_sim::preset;

    #[test]
    fn every_pc_of_the_presets_has_a_line() {
        for name in offset_lab_sim::preset_names() {
            let sc = preset(name).unwrap();
            let l = listing(&sc, 0);
            assert!(l.line_of(Pc::Poll).is_some(), "{name}");
            assert!(l.line_of(Pc::Message(0)).is_some(), "{name}");
            assert!(l.line_of_point(ProgramPoint::DuringProcessing).is_some(), "{name}");
        }
    }

    #[test]
    fn sleep7_shows_the_labs_program() {
        let sc = preset("step1-autocommit-sleep7").unwrap();
        let l = listing(&sc, 0);
        let text: Vec<&str> = l.lines.iter().map(|l| l.text.as_str()).collect();
        assert!(text.contains(&"    'enable.auto.commit': True,"));
        assert!(text.iter().any(|t| t.contains("time.sleep(7)")));
        assert_eq!(l.file_name, "auto_commit_consumer.py");
    }

    #[test]
    fn out_of_range_consumer_gives_an_empty_listing() {
        let sc = preset("step1-autocommit-sleep7").unwrap();
        assert!(listing(&sc, 9).lines.is_empty());
    }
}
