//! Scenario files: any text through `Scenario::from_json` (the page's import and the CLI).
//! It must never panic, and what parses survives export and import unchanged.

#![no_main]

use libfuzzer_sys::{Corpus, fuzz_target};

fuzz_target!(|data: &[u8]| -> Corpus {
    // Every input of interest is text: other bytes are not kept in the corpus.
    let Ok(text) = std::str::from_utf8(data) else {
        return Corpus::Reject;
    };
    offset_lab_fuzz::check_scenario_json(text);
    Corpus::Keep
});
