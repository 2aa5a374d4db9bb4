//! What the Export menu saves: the scenario, the run's trace (JSON, CSV), or a consumer's
//! program as a runnable confluent-kafka Python script. Made here, where the run is; the page
//! only hands the text to the browser as a download.

use serde::{Deserialize, Serialize};

use offset_lab_sim::Scenario;

use crate::state::AppState;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Export {
    Scenario,
    TraceJson,
    TraceCsv,
    /// The program of consumer `n` (0-based).
    Python(usize),
}

/// A file to save: its name, MIME type and contents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct File {
    pub name: String,
    pub mime: String,
    pub text: String,
}

impl Export {
    /// The file for the run on screen; `None` for a consumer that does not exist.
    pub fn file(self, s: &AppState) -> Option<File> {
        let tl = &s.timeline;
        let name = offset_lab_sim::render::file_safe(&tl.scenario.name);
        let (name, mime, text) = match self {
            Export::Scenario => (
                format!("{name}.json"),
                "application/json",
                tl.scenario.to_json(),
            ),
            Export::TraceJson => (
                format!("{name}-trace.json"),
                "application/json",
                tl.trace_json(),
            ),
            Export::TraceCsv => (format!("{name}-trace.csv"), "text/csv", tl.trace_csv()),
            Export::Python(c) => {
                tl.scenario.consumers.get(c)?;
                (
                    python_file_name(&tl.scenario, c),
                    "text/x-python",
                    offset_lab_sim::render::python_script(&tl.scenario, c),
                )
            }
        };
        Some(File {
            name,
            mime: mime.to_string(),
            text,
        })
    }
}

/// The file name of consumer `consumer`'s script, as the script's own instructions name it.
pub fn python_file_name(sc: &Scenario, consumer: usize) -> String {
    offset_lab_sim::render::script_file_name(sc, consumer)
}
