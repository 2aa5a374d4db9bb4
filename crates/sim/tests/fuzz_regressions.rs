//! Inputs the fuzz targets (`fuzz/`) found, reduced to the smallest case that shows the bug.

use offset_lab_sim::link::{LinkState, decode, encode};
use offset_lab_sim::preset;

/// `fuzz/ link`: a panel name holding `&`, `=`, `%`, `+`, `#` or a space (which `decode` gives
/// back from a percent-encoded link) was written into the link raw, so the link for that state
/// no longer decoded, or decoded to another state (here: a version from the future).
#[test]
fn link_panel_names_are_escaped() {
    let state = LinkState {
        scenario: preset("step2-manual-commit").unwrap(),
        t_ms: 0,
        panels: vec!["code&v=2".into(), "a%b+c #d".into(), "log".into()],
        embed: false,
        event: None,
    };
    let link = encode(&state);
    match decode(&link, "step2-manual-commit") {
        Ok(again) => assert!(
            again == state,
            "{link} decodes to panels {:?}",
            again.panels
        ),
        Err(e) => panic!("{link} does not decode: {e}"),
    }
}
