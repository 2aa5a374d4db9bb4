//! Parse, validate, budget, run: a scenario that fits the budget runs to its end within the
//! steps the budget allows (no hang, no overrun) and ends in a consistent state.

#![no_main]

use libfuzzer_sys::{Corpus, fuzz_mutator, fuzz_target};

fuzz_target!(|data: &[u8]| -> Corpus {
    // Every input of interest is text: other bytes are not kept in the corpus.
    let Ok(text) = std::str::from_utf8(data) else {
        return Corpus::Reject;
    };
    offset_lab_fuzz::check_and_run(text);
    Corpus::Keep
});

// Mostly edits of the JSON tree, so that inputs stay scenarios; see `offset_lab_fuzz::mutate`.
fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    offset_lab_fuzz::mutate::mutate_json(data, size, max_size, seed, |d, s, m| {
        libfuzzer_sys::fuzzer_mutate(d, s, m)
    })
});
