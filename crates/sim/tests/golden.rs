//! Golden traces: every preset's full trace, one line per event (format: docs/trace-format.md).
//! A change shows up in review as a diff of `tests/golden/*.trace`. To accept a deliberate
//! change: `UPDATE_EXPECT=1 cargo test -p offset-lab-sim --test golden`.

use offset_lab_sim::Timeline;
use offset_lab_sim::scenario::{preset, preset_names};

#[test]
fn every_preset_has_a_golden_trace() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    for name in preset_names() {
        let tl = Timeline::new(preset(name).unwrap()).unwrap();
        let path = dir.join(format!("{name}.trace"));
        expect_test::expect_file![path].assert_eq(&tl.trace_text());
    }
}
