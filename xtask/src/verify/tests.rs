use super::*;

fn plan() -> Json {
    Json::parse(
        r#"{"payments": [
            {"id": "P-0001", "partition": 0, "offset": 0, "sim": {"verdict": "lost", "applied": 0}},
            {"id": "P-0002", "partition": 1, "offset": 0, "sim": {"verdict": "once", "applied": 1}}
        ]}"#,
    )
    .unwrap()
}

#[test]
fn agreeing_runs_have_no_differences() {
    let result = Json::parse(
        r#"{"payments": [
            {"id": "P-0001", "partition": 0, "offset": 0, "applied": 0, "verdict": "lost"},
            {"id": "P-0002", "partition": 1, "offset": 0, "applied": 1, "verdict": "once"}
        ], "notes": []}"#,
    )
    .unwrap();
    let c = compare(&plan(), &result);
    assert!(!differs(&c), "{c:?}");
    assert_eq!(c.sim.cell(), "1/0/1");
    assert_eq!(c.real, c.sim);
}

#[test]
fn a_verdict_or_a_partition_that_differs_is_named() {
    let result = Json::parse(
        r#"{"payments": [
            {"id": "P-0001", "partition": 0, "offset": 0, "applied": 2, "verdict": "duplicated"},
            {"id": "P-0002", "partition": 2, "offset": 0, "applied": 1, "verdict": "once"}
        ], "notes": ["late"]}"#,
    )
    .unwrap();
    let c = compare(&plan(), &result);
    assert!(differs(&c));
    assert_eq!(c.real.cell(), "0/1/1");
    assert!(c.differences[0].contains(
        "P-0001 (partition 0, offset 0): sim lost (applied 0), real duplicated (applied 2)"
    ));
    assert!(
        c.differences[1].contains("P-0002: sim partition 1 offset 0, real partition 2 offset 0")
    );
    assert_eq!(c.differences[2], "note: late");
}

#[test]
fn mock_events_are_named_and_a_disturbing_one_is_flagged() {
    let result = Json::parse(
        r#"{"payments": [], "mock_events": [
            {"at_ms": 4067, "until_ms": 4067, "count": 1, "kind": "join-waits-session", "disturbs": false, "text": "waits"},
            {"at_ms": 4179, "until_ms": 6025, "count": 7, "kind": "commit-while-joining", "disturbs": true, "text": "refused"}
        ]}"#,
    )
    .unwrap();
    let c = compare(&Json::parse(r#"{"payments": []}"#).unwrap(), &result);
    assert!(c.disturbed);
    assert_eq!(
        c.mock_events[0],
        "mock at 4.067 s: join-waits-session — waits"
    );
    assert_eq!(
        c.mock_events[1],
        "mock 7× from 4.179 s to 6.025 s: commit-while-joining — refused"
    );
}

#[test]
fn counts_show_other_verdicts_after_the_three() {
    let mut c = Counts::default();
    for v in ["once", "once", "pending", "deadlettered"] {
        c.add(v);
    }
    assert_eq!(c.cell(), "0/0/2 +1 pending +1 dead-lettered");
}

#[test]
fn options_and_listing_tags() {
    let args: Vec<String> = ["--preset", "a", "x.json", "--jobs", "3", "--keep"]
        .map(String::from)
        .to_vec();
    let o = parse_args(&args).unwrap();
    assert_eq!(
        (o.presets, o.files, o.jobs, o.keep, o.repeat),
        (
            vec!["a".to_string()],
            vec![PathBuf::from("x.json")],
            3,
            true,
            1
        )
    );
    assert!(parse_args(&["--jobs".to_string(), "0".to_string()]).is_err());
    assert_eq!(
        listed_tag("Java client model (rules D*): no Maven"),
        "Java client model"
    );
    assert_eq!(
        listed_tag("commit_latency decides a verdict"),
        "commit_latency decides a verdict"
    );
}
