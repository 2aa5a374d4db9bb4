use super::*;

#[test]
fn reads_a_version_from_cargo_lock() {
    let lock = "[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n\n\
                [[package]]\nname = \"wasm-bindgen-shared\"\nversion = \"0.2.130\"\n";
    assert_eq!(
        lock_version(lock, "wasm-bindgen").as_deref(),
        Some("0.2.130")
    );
    assert_eq!(lock_version(lock, "yew"), None);
}

#[test]
fn counts_cargo_and_node_results() {
    let mut c = Counts::default();
    parse_counts(
        "test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s",
        &mut c,
    );
    parse_counts("test result: FAILED. 1 passed; 2 failed; 0 ignored", &mut c);
    parse_counts("ℹ pass 4", &mut c);
    parse_counts("ℹ fail 1", &mut c);
    parse_counts("# pass 1", &mut c);
    parse_counts("ℹ tests 5", &mut c);
    assert_eq!((c.passed, c.failed), (9, 3));
    assert_eq!(c.describe(), "9 passed, 3 failed");
}

#[test]
fn reads_clippy_findings() {
    let stderr = "    Checking offset-lab-sim v0.1.0 (/work/crates/sim)
crates/sim/src/protocol.rs:588:32: warning: very complex type used. Consider factoring parts into `type` definitions
warning: `offset-lab-sim` (lib) generated 1 warning
src/app.rs:3:5: error[E0425]: cannot find value `x` in this scope
error: could not compile `offset-lab` (lib) due to 1 previous error
warning: `offset-lab-sim` (lib test) generated 1 warning (1 duplicate)
crates/sim/src/protocol.rs:588:32: warning: very complex type used. Consider factoring parts into `type` definitions
";
    let report = parse_clippy(stderr);
    assert_eq!(
        report.findings,
        [
            "crates/sim/src/protocol.rs:588:32: warning: very complex type used. \
             Consider factoring parts into `type` definitions",
            "src/app.rs:3:5: error[E0425]: cannot find value `x` in this scope",
        ]
    );
    assert_eq!(
        report.errors,
        ["error: could not compile `offset-lab` (lib) due to 1 previous error"]
    );
    assert!(report.warned);

    let clean = parse_clippy("    Checking xtask v0.1.0\n    Finished `dev` profile\n");
    assert_eq!(clean, ClippyReport::default());
}

#[test]
fn summarises_lists() {
    let files: Vec<String> = ["a", "b", "c", "d", "e"].map(str::to_owned).to_vec();
    assert_eq!(some(&files[..2]), "a, b");
    assert_eq!(some(&files), "a, b, c and 2 more");
    assert_eq!(plural(1, "file"), "1 file");
    assert_eq!(plural(2, "file"), "2 files");
}

#[test]
fn parses_fuzz_arguments() {
    let args = |a: &[&str]| parse_fuzz_args(&a.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    assert_eq!(args(&[]).unwrap(), FuzzPlan::default());
    let plan = args(&["--runs", "1000000", "run"]).unwrap();
    assert_eq!(
        (plan.limit, plan.targets),
        (FuzzLimit::Runs(1_000_000), vec!["run"])
    );
    assert_eq!(
        args(&["--seconds", "5"]).unwrap().limit,
        FuzzLimit::Seconds(5)
    );
    assert_eq!(args(&[]).unwrap().timeout, 2);
    assert_eq!(
        args(&["--runs", "10", "--timeout", "5", "run"])
            .unwrap()
            .timeout,
        5
    );
    assert!(args(&["--timeout", "0"]).is_err());
    assert!(args(&["--seconds"]).is_err());
    assert!(args(&["--seconds", "0"]).is_err());
    assert!(args(&["nope"]).is_err());
}

#[test]
fn reads_libfuzzer_output() {
    let mut r = FuzzRun::default();
    parse_fuzz_line("stat::number_of_executed_units: 2953722", &mut r);
    assert_eq!(
        r,
        FuzzRun {
            runs: 2_953_722,
            failure: None
        }
    );
    parse_fuzz_line("==12== ERROR: libFuzzer: deadly signal", &mut r);
    parse_fuzz_line(
        "artifact_prefix='fuzz/artifacts/run/'; Test unit written to fuzz/artifacts/run/crash-ab12",
        &mut r,
    );
    assert_eq!(
        r.failure,
        Some((
            "crash (a panic)".into(),
            Some("fuzz/artifacts/run/crash-ab12".into())
        ))
    );
    let mut t = FuzzRun::default();
    parse_fuzz_line("==12== ERROR: libFuzzer: timeout after 2 seconds", &mut t);
    assert_eq!(
        t.failure.unwrap().0,
        "timeout (an input ran over the hang limit)"
    );
    let mut in_dict = false;
    assert!(!show_fuzz_line("#4096\tpulse  cov: 1 ft: 2", &mut in_dict));
    assert!(show_fuzz_line(
        "#2953722\tDONE   cov: 2696 ft: 6138",
        &mut in_dict
    ));
    assert!(!show_fuzz_line(
        "###### Recommended dictionary. ######",
        &mut in_dict
    ));
    assert!(!show_fuzz_line("\"crash\" # Uses: 3", &mut in_dict));
    assert!(!show_fuzz_line(
        "###### End of recommended dictionary. ######",
        &mut in_dict
    ));
    assert!(show_fuzz_line("stat::peak_rss_mb: 32", &mut in_dict));
    assert!(!show_fuzz_line(
        "WARNING: Failed to find function \"__sanitizer_print_stack_trace\".",
        &mut in_dict
    ));
}

#[test]
fn formats_durations() {
    assert_eq!(fmt_duration(Duration::from_millis(1500)), "1.5s");
    assert_eq!(fmt_duration(Duration::from_secs(125)), "2m05s");
}
