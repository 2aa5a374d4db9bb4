//! The `offset-lab` binary, as a user runs it.

use std::process::Command;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_offset-lab"))
        .args(args)
        .output()
        .expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn presets_lists_one_name_per_line() {
    let (code, out, _) = run(&["presets"]);
    assert_eq!(code, 0);
    let names: Vec<&str> = out.lines().collect();
    assert!(names.contains(&"step1-autocommit-sleep7") && names.contains(&"step2-manual-commit"));
    assert_eq!(names.len(), offset_lab_sim::preset_names().count());
}

#[test]
fn run_json_reports_payments_summary_committed_and_hash() {
    let (code, out, _) = run(&["run", "--preset", "step1-autocommit-sleep7", "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let p0 = &v["payments"][0];
    assert_eq!(
        (
            p0["id"].as_str(),
            p0["partition"].as_u64(),
            p0["offset"].as_i64()
        ),
        (Some("P-0001"), Some(0), Some(0))
    );
    assert_eq!(
        (p0["applied"].as_u64(), p0["outcome"].as_str()),
        (Some(0), Some("lost"))
    );
    assert_eq!(v["summary"]["lost"], 1);
    assert_eq!(v["committed"][0]["offset"], 3);
    assert_eq!(v["trace_hash"].as_str().map(str::len), Some(16));
}

#[test]
fn run_a_file_and_the_readable_report() {
    let dir = std::env::temp_dir().join(format!("offset-lab-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("s.json");
    std::fs::write(&file, offset_lab_sim::scenario::PRESETS[0].1).unwrap();
    let (code, out, _) = run(&["run", file.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(
        out.contains("outcome: lost 0") && out.contains("trace hash:"),
        "{out}"
    );
    assert!(
        out.contains("sys.exit(1) without close()"),
        "the narrated trace is printed"
    );
}

#[test]
fn bad_input_is_a_message_and_exit_code_2() {
    for args in [
        vec!["run", "--preset", "no-such-preset"],
        vec!["run", "/no/such/file.json"],
        vec!["run"],
        vec!["run", "--frobnicate"],
        vec!["dance"],
    ] {
        let (code, out, err) = run(&args);
        assert_eq!(code, 2, "{args:?}");
        assert!(
            out.is_empty() && err.starts_with("offset-lab: "),
            "{args:?}: {err}"
        );
    }
    let dir = std::env::temp_dir().join(format!("offset-lab-cli-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.json");
    std::fs::write(
        &file,
        "{\"version\": 1, \"name\": \"x\", \"seed\": 1, \"consumers\": [], \"duration_ms\": 5}",
    )
    .unwrap();
    let (code, _, err) = run(&["run", file.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("consumers: at least one consumer is needed"),
        "{err}"
    );
}

#[test]
fn prove_json_counts_the_runs_and_lists_each_with_its_crash() {
    let (code, out, err) = run(&["prove", "--preset", "step2-manual-commit", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(v["explored"].as_u64().unwrap() as usize, runs.len());
    assert_eq!(v["losing"], 0, "commit after processing never loses");
    assert!(v["duplicating"].as_u64().unwrap() > 0);
    assert!(
        runs.iter()
            .all(|r| r["text"].is_string() && r["disturbance"]["type"].is_string())
    );
    assert!(
        v["summary"]
            .as_str()
            .unwrap()
            .starts_with("No payment lost")
    );
    // Each run with its crash and its summary.
    for r in runs {
        let summary = &r["summary"];
        assert!(summary["once"].is_u64() && summary["lost"].is_u64(), "{r}");
        assert!(r["lost"].is_array() && r["duplicated"].is_array(), "{r}");
    }
    assert!(runs.iter().any(|r| r["disturbance"]["type"] == "crash"
        && r["disturbance"]["kind"].is_string()
        && r["disturbance"]["point"].is_string()));
    assert_eq!(v["stalling"], 0);
    let (code, out, _) = run(&["prove", "--preset", "step1-autocommit-sleep7", "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["losing"].as_u64().unwrap() > 0);
}

#[test]
fn challenge_lists_proves_and_says_whether_the_goal_is_met() {
    let (code, out, _) = run(&["challenge"]);
    assert_eq!(code, 0);
    for id in ["step2", "step3", "step4", "refunds"] {
        assert!(out.contains(&format!("{id:<9} ")), "{out}");
    }
    assert!(
        out.contains("goal: No payment lost under any single crash."),
        "{out}"
    );
    // The naive starting program: not met, with the run to open.
    let (code, out, err) = run(&["challenge", "step2"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("challenge-step2: NOT MET\nP-0001 is lost under "),
        "{out}"
    );
    assert!(out.contains("The run to open: #"), "{out}");
    // A fixed program from a file: auto-commit off, a commit after each payment.
    let f = temp_scenario("challenge", |s| {
        *s = offset_lab_sim::challenge::challenge("step2")
            .unwrap()
            .start();
        s.consumers[0].config.enable_auto_commit = false;
        s.consumers[0].program.per_message = vec![
            offset_lab_sim::scenario::MessageStep::Process,
            offset_lab_sim::scenario::MessageStep::commit(true, false),
        ];
    });
    let (code, out, err) = run(&["challenge", "step2", &f, "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["met"], true, "{v}");
    assert_eq!(v["losing"], 0);
    assert!(v["explored"].as_u64().unwrap() > 0 && v.get("run").is_none());
    assert!(v["reason"].as_str().unwrap().starts_with("No payment lost"));
    let (code, out, _) = run(&["challenge", "refunds", "--preset", "refunds-idempotent"]);
    assert_eq!(code, 0);
    assert!(out.contains("refunds-idempotent: MET"), "{out}");
    let (code, _, err) = run(&["challenge", "step9"]);
    assert_eq!(code, 2);
    assert!(err.contains("known: step2, step3, step4, refunds"), "{err}");
}

#[test]
fn experiments_and_sweeps_print_rows() {
    let (code, out, _) = run(&["experiments"]);
    assert_eq!(code, 0);
    assert!(out.contains("loss-vs-processing-time") && out.contains("commit-cost"));
    let (code, out, err) = run(&["sweep", "--experiment", "loss-vs-processing-time", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = v["rows"].as_array().unwrap();
    let at = |ms: u64| rows.iter().find(|r| r["value"] == ms).unwrap();
    assert_eq!(at(2000)["lost_share"], 0.4);
    assert_eq!(at(0)["lost_share"], 0.0);
    for r in rows {
        for key in [
            "value",
            "runs",
            "lost_share",
            "lost",
            "duplicated",
            "payments_per_s",
        ] {
            assert!(!r[key].is_null(), "{key} in {r}");
        }
    }
    let (code, out, err) = run(&[
        "sweep",
        "--preset",
        "step2-manual-commit",
        "--set",
        "commit=sync-each,async-each",
        "--set",
        "rtt_ms=5",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["rows"].as_array().unwrap().len(), 2);
    assert_eq!(v["second"], "rtt_ms");
}

#[test]
fn bad_sweeps_say_what_is_wrong() {
    let (code, _, err) = run(&[
        "sweep",
        "--preset",
        "step2-manual-commit",
        "--set",
        "colour=1,2",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown field") && err.contains("processing_ms"),
        "{err}"
    );
    let (code, _, err) = run(&[
        "sweep",
        "--preset",
        "step2-manual-commit",
        "--set",
        "processing_ms=fast",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("not a whole number"), "{err}");
    let (code, _, err) = run(&["sweep", "--experiment", "nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("known: loss-vs-processing-time"), "{err}");
}

fn temp_scenario(name: &str, edit: impl FnOnce(&mut offset_lab_sim::Scenario)) -> String {
    let mut s = offset_lab_sim::preset("step2-manual-commit").unwrap();
    edit(&mut s);
    let path =
        std::env::temp_dir().join(format!("offset-lab-cli-{}-{name}.json", std::process::id()));
    std::fs::write(&path, s.to_json()).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn check_says_valid_and_lists_each_warning() {
    use offset_lab_sim::scenario::*;
    let (code, out, _) = run(&["check", "--preset", "step2-manual-commit"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("valid") && out.contains("no warnings"),
        "{out}"
    );
    let f = temp_scenario("warnings", |s| {
        s.consumers[0].crashes.push(CrashPoint {
            at_ms: None,
            point: Some(ProgramPoint::AfterPoll),
            message: Some(500),
            kind: CrashKind::Kill,
            restart_after_ms: None,
        });
        s.actions.push(Action {
            at_ms: 100,
            consumer: "consumer-1".into(),
            act: ActionKind::Restart,
        });
        s.topic.payments.interval_ms = 20_000;
    });
    let (code, out, err) = run(&["check", &f]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("warning: consumers[0].crashes[1]: never fires"),
        "{out}"
    );
    assert!(out.contains("warning: actions[0]: does nothing"), "{out}");
    assert!(
        out.contains("warning: topic.payments: payments from P-0004"),
        "{out}"
    );
    let f = temp_scenario("nocommit", |s| {
        s.consumers[0]
            .program
            .per_message
            .retain(|m| *m == MessageStep::Process);
    });
    let (_, out, _) = run(&["check", &f]);
    assert!(
        out.contains("warning: consumers[0].program: nothing ever commits"),
        "{out}"
    );
    // Invalid: exit code 2 and the field.
    let f = temp_scenario("bad", |s| s.consumers[0].config.heartbeat_interval_ms = 5);
    let (code, _, err) = run(&["check", &f]);
    assert_eq!(code, 2);
    assert!(
        err.contains("consumers[0].config.heartbeat.interval.ms: 5 is out of range"),
        "{err}"
    );
}

#[test]
fn link_prints_a_link_that_opens_the_same_moment() {
    let (code, out, _) = run(&[
        "link",
        "--preset",
        "step2-manual-commit",
        "--t",
        "5000",
        "--panels",
        "code,lab",
        "--embed",
        "--base",
        "https://course.example/lab/",
    ]);
    assert_eq!(code, 0);
    assert_eq!(
        out.trim(),
        "https://course.example/lab/?v=1&preset=step2-manual-commit&t=5000&panels=code,lab&embed=1"
    );
    let f = temp_scenario("custom", |s| s.consumers[0].program.processing_ms = 777);
    let (code, out, _) = run(&["link", &f]);
    assert_eq!(code, 0);
    let state = offset_lab_sim::link::decode(out.trim(), "step1-autocommit-sleep7").unwrap();
    assert_eq!(state.scenario.consumers[0].program.processing_ms, 777);
    let (code, _, err) = run(&["link", "--preset", "step2-manual-commit", "--t", "soon"]);
    assert_eq!(code, 2);
    assert!(err.contains("--t takes milliseconds"), "{err}");
}

#[test]
fn script_prints_or_writes_the_exported_script() {
    let s = offset_lab_sim::preset("step2-manual-commit").unwrap();
    let (code, out, _) = run(&[
        "script",
        "--preset",
        "step2-manual-commit",
        "--consumer",
        "consumer-1",
    ]);
    assert_eq!(code, 0);
    assert_eq!(out, offset_lab_sim::render::python_script(&s, 0));
    let dir = std::env::temp_dir().join(format!("offset-lab-cli-script-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("c.py");
    let (code, out, _) = run(&[
        "script",
        "--preset",
        "step2-manual-commit",
        "--consumer",
        "consumer-1",
        "-o",
        file.to_str().unwrap(),
    ]);
    assert_eq!((code, out.as_str()), (0, ""));
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        offset_lab_sim::render::python_script(&s, 0)
    );
    let (code, _, err) = run(&[
        "script",
        "--preset",
        "step2-manual-commit",
        "--consumer",
        "nobody",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("no consumer is named \"nobody\""), "{err}");
    let (code, _, _) = run(&["script", "--preset", "step2-manual-commit"]);
    assert_eq!(code, 2, "--consumer is required");
}

#[test]
fn plan_lists_processes_signals_payments_and_the_margin() {
    let (code, out, _) = run(&["plan", "--preset", "refunds-scale-out"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["listed"].is_null());
    assert_eq!(v["payments"].as_array().unwrap().len(), 120);
    let p = &v["payments"][0];
    assert_eq!(
        (
            p["id"].as_str(),
            p["key"].as_str(),
            p["sim"]["verdict"].as_str()
        ),
        (Some("P-0001"), Some("customer-1"), Some("once"))
    );
    assert_eq!(v["partitioner"], "consistent_random");
    // consumer-2 starts at 4 s and is killed at 12 s: a SIGKILL from the driver.
    let c2 = &v["consumers"][1];
    assert_eq!(c2["runs"][0]["start"]["at_ms"], 4000);
    assert_eq!(c2["runs"][0]["end"]["by"], "time");
    assert_eq!(v["signals"][0]["signal"], "SIGKILL");
    assert_eq!(v["signals"][0]["at_ms"], 12000);
    assert!(v["margin"]["label"].as_str().is_some());
    assert!(v["stop_ms"].as_u64().unwrap() <= v["duration_ms"].as_u64().unwrap());

    // A restart after a crash point starts that long after the process ended.
    let (_, out, _) = run(&["plan", "--preset", "step2-manual-commit"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let runs = &v["consumers"][0]["runs"];
    assert_eq!(runs[0]["end"]["by"], "point");
    assert_eq!(runs[1]["start"]["after_exit_ms"], 1000);

    let (_, out, _) = run(&["plan", "--preset", "java-autocommit-sleep7"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        v["listed"]
            .as_str()
            .unwrap()
            .starts_with("Java client model")
    );

    // Commit errors of a one-consumer scenario are named by their place among the commits.
    let (_, out, _) = run(&["plan", "--preset", "exp2-async-retry"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["faults"][0]["sequence"], serde_json::json!([97]));
}

#[test]
fn phase_slices_sit_inside_each_verdict() {
    let dir = std::env::temp_dir().join(format!("offset-lab-cli-slices-{}", std::process::id()));
    let (code, out, _) = run(&[
        "phase-slices",
        "--preset",
        "step1-phase-explorer",
        "--dir",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    let files: Vec<&str> = out.lines().collect();
    assert_eq!(
        files.len(),
        4,
        "two slices of a losing and of a redelivering stretch: {out}"
    );
    let mut verdicts = Vec::new();
    for f in files {
        let (_, plan, _) = run(&["plan", f]);
        let v: serde_json::Value = serde_json::from_str(&plan).unwrap();
        assert!(
            v["margin"]["ms"].is_null(),
            "away from the edges: {}",
            v["margin"]
        );
        verdicts.push(
            v["payments"][0]["sim"]["verdict"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    verdicts.sort();
    assert_eq!(verdicts, ["lost", "lost", "once", "once"]);
}

#[test]
fn ends_at_a_time_are_signals_the_script_handles() {
    // verify/scenarios/ends-at-a-time.json: sys.exit at a time, then close() at a time (no
    // finally), then a restart action.
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../verify/scenarios/ends-at-a-time.json"
    );
    let (code, out, _) = run(&["plan", file]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let signals: Vec<(&str, u64)> = v["signals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["signal"].as_str().unwrap(), s["at_ms"].as_u64().unwrap()))
        .collect();
    assert_eq!(signals, [("SIGINT", 3600), ("SIGTERM", 19100)]);
    let runs = &v["consumers"][0]["runs"];
    assert_eq!(runs[1]["start"]["after_exit_ms"], 12000);
    assert_eq!(runs[2]["start"]["at_ms"], 30000, "the restart action");
    let (_, script, _) = run(&["script", file, "--consumer", "consumer-1"]);
    assert!(
        script.contains("signal.signal(signal.SIGTERM, close_now)"),
        "{script}"
    );
}
