//! Exports of a run: the trace as JSON or CSV, for students who want to analyse a run
//! elsewhere.

use serde::Serialize;

use crate::timeline::Timeline;
use crate::trace::{Context, TraceEvent};

#[derive(Serialize)]
struct JsonEvent<'a> {
    #[serde(flatten)]
    event: &'a TraceEvent,
    consumer_name: Option<&'a str>,
    notable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    explanation: Option<String>,
}

#[derive(Serialize)]
struct JsonTrace<'a> {
    scenario: &'a str,
    seed: u64,
    trace_hash: String,
    events: Vec<JsonEvent<'a>>,
}

impl Timeline {
    /// The whole trace as JSON: every event with its fields, and the explanation of notable ones.
    pub fn trace_json(&self) -> String {
        let ctx = Context {
            scenario: &self.scenario,
            log: &self.final_world.log,
        };
        let events = self
            .events
            .iter()
            .map(|e| JsonEvent {
                event: e,
                consumer_name: e
                    .consumer
                    .and_then(|c| self.scenario.consumers.get(c as usize))
                    .map(|c| c.name.as_str()),
                notable: e.kind.is_notable(),
                explanation: e.explain(&ctx),
            })
            .collect();
        let doc = JsonTrace {
            scenario: &self.scenario.name,
            seed: self.scenario.seed,
            trace_hash: format!("{:016x}", self.trace_hash()),
            events,
        };
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    }

    /// The whole trace as CSV: `at_ms,consumer,event,details,explanation`.
    pub fn trace_csv(&self) -> String {
        let ctx = Context {
            scenario: &self.scenario,
            log: &self.final_world.log,
        };
        let mut out = String::from("at_ms,consumer,event,details,explanation\n");
        for e in &self.events {
            let consumer = e
                .consumer
                .and_then(|c| self.scenario.consumers.get(c as usize))
                .map_or("broker", |c| c.name.as_str());
            let line = e.line();
            // The details are the golden line after time, actor and name.
            let details = line
                .split_whitespace()
                .skip(3)
                .collect::<Vec<_>>()
                .join(" ");
            let explanation = e.explain(&ctx).unwrap_or_default();
            out.push_str(&format!(
                "{},{},{},{},{}\n",
                e.at_ms,
                csv(consumer),
                e.kind.name(),
                csv(&details),
                csv(&explanation)
            ));
        }
        out
    }
}

/// A CSV field (RFC 4180), made safe to open in a spreadsheet: a cell that begins with `=`,
/// `+`, `-`, `@`, a tab or a carriage return would be read as a formula, so it gets a leading
/// `'` (OWASP's advice for CSV injection); a field with a comma, a quote or a line break is
/// quoted. Consumer names come from scenarios anyone can write.
pub fn csv(s: &str) -> String {
    let neutral = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if neutral.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", neutral.replace('"', "\"\""))
    } else {
        neutral
    }
}

#[cfg(test)]
mod tests {
    use crate::{Timeline, preset};

    #[test]
    fn csv_and_json_exports_cover_every_event() {
        let tl = Timeline::new(preset("step1-autocommit-sleep7").unwrap()).unwrap();
        let csv = tl.trace_csv();
        assert_eq!(csv.lines().count(), tl.events.len() + 1);
        assert!(csv.contains("at-risk"));
        let json: serde_json::Value = serde_json::from_str(&tl.trace_json()).unwrap();
        let events = json["events"].as_array().unwrap();
        assert_eq!(events.len(), tl.events.len());
        assert!(
            events
                .iter()
                .any(|e| e["type"] == "at_risk" && e["explanation"].is_string())
        );
        assert_eq!(events[0]["consumer_name"], "consumer-1");
    }

    #[test]
    fn csv_quotes_commas_and_quotes() {
        assert_eq!(super::csv("a,b"), "\"a,b\"");
        assert_eq!(super::csv("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(super::csv("plain"), "plain");
    }

    #[test]
    fn csv_cells_cannot_become_formulas() {
        for bad in ["=HYPERLINK(\"x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            let cell = super::csv(bad);
            let inner = cell.trim_start_matches('"');
            assert!(inner.starts_with('\''), "{bad:?} → {cell:?}");
        }
        assert_eq!(super::csv("a\rb"), "\"a\rb\"");
        // A whole export with such a consumer name.
        let mut s = preset("step2-manual-commit").unwrap();
        s.consumers[0].name = "=cmd|' /C calc'!Z1".into();
        let csv = Timeline::new(s).unwrap().trace_csv();
        assert!(
            csv.lines()
                .skip(1)
                .all(|l| !l.split(',').nth(1).unwrap_or("").starts_with('='))
        );
        assert!(csv.contains("'=cmd"));
    }
}
