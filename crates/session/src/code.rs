//! The consumer program as source code, for the code view: the core's listing
//! (`offset_lab_sim::render`), plus what the view needs on top of it.

// `render::python_script` (a runnable export) is not linked in: it adds ~18 KiB gzipped.
pub use offset_lab_sim::render::{Language, Listing, SourceLine, listing};

/// The CSS modifier of a listing's language.
pub fn language_key(l: Language) -> &'static str {
    match l {
        Language::Python => "python",
        Language::Java => "java",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use offset_lab_sim::client::Pc;
    use offset_lab_sim::scenario::ProgramPoint;

    #[test]
    fn the_lab_program_has_its_lines_where_the_view_needs_them() {
        let sc = offset_lab_sim::preset("step1-autocommit-sleep7").unwrap();
        let l = listing(&sc, 0);
        assert_eq!(language_key(l.language), "python");
        let sleep = l.line_of(Pc::Message(0)).expect("the processing line");
        assert!(
            l.lines[sleep].text.contains("7 s"),
            "{}",
            l.lines[sleep].text
        );
        assert!(l.line_of(Pc::Poll).is_some());
        assert!(l.line_of_point(ProgramPoint::DuringProcessing).is_some());
        assert!(listing(&sc, 9).lines.is_empty());
    }
}
