//! Shared links: any query string through `link::decode`, as the page does on load. It must
//! never panic; a scenario it yields is valid and survives being written back into a link.

#![no_main]

use libfuzzer_sys::{Corpus, fuzz_target};

fuzz_target!(|data: &[u8]| -> Corpus {
    // Every input of interest is text: other bytes are not kept in the corpus.
    let Ok(text) = std::str::from_utf8(data) else {
        return Corpus::Reject;
    };
    offset_lab_fuzz::check_link(text);
    Corpus::Keep
});
