//! Parse, validate, budget, run: a scenario that fits the budget runs to its end within the
//! steps the budget allows (no hang, no overrun) and ends in a consistent state.

#![no_main]

use libfuzzer_sys::{Corpus, fuzz_target};

fuzz_target!(|data: &[u8]| -> Corpus {
    // Every input of interest is text: other bytes are not kept in the corpus.
    let Ok(text) = std::str::from_utf8(data) else {
        return Corpus::Reject;
    };
    offset_lab_fuzz::check_and_run(text);
    Corpus::Keep
});
