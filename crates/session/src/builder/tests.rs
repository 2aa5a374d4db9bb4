use super::*;

fn sleep7() -> Scenario {
    offset_lab_sim::preset("step1-autocommit-sleep7").unwrap()
}

fn build(sc: &Scenario, refused: &Refused) -> BuilderVm {
    builder(&offset_lab_sim::Timeline::new(sc.clone()).unwrap(), refused)
}

fn field<'a>(vm: &'a BuilderVm, path: &str) -> &'a Field {
    vm.sections
        .iter()
        .flat_map(|s| s.fields.iter().chain(&s.advanced))
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("no field {path}"))
}

#[test]
fn a_field_edits_its_place_and_nothing_else() {
    let sc = sleep7();
    let vm = build(&sc, &None);
    let f = field(&vm, "consumers[0].config.auto.commit.interval.ms");
    let out = apply(&sc, &f.key, &Edit::Number("2000".into())).unwrap();
    assert_eq!(out.consumers[0].config.auto_commit_interval_ms, 2000);
    let mut back = out.clone();
    back.consumers[0].config.auto_commit_interval_ms = 5000;
    assert_eq!(back, sc);
    let f = field(&vm, "consumers[0].config.enable.auto.commit");
    let out = apply(&sc, &f.key, &Edit::Bool(false)).unwrap();
    assert!(!out.consumers[0].config.enable_auto_commit);
}

#[test]
fn out_of_range_input_gets_the_cores_message_at_the_field_and_is_not_clamped() {
    let sc = sleep7();
    let vm = build(&sc, &None);
    let key = &field(&vm, "consumers[0].config.auto.commit.interval.ms").key;
    for bad in ["1", "-5", "99999999", "ten"] {
        let (path, msg) = apply(&sc, key, &Edit::Number(bad.into())).unwrap_err();
        assert_eq!(
            path, "consumers[0].config.auto.commit.interval.ms",
            "{bad}: {msg}"
        );
        assert!(!msg.is_empty());
    }
    // The refusal shows at the field.
    let refused = Some((
        "consumers[0].config.auto.commit.interval.ms".to_string(),
        "too small".to_string(),
    ));
    let vm = build(&sc, &refused);
    assert_eq!(
        field(&vm, "consumers[0].config.auto.commit.interval.ms")
            .error
            .as_deref(),
        Some("too small")
    );
    assert!(vm.error.is_none());
}

#[test]
fn the_commit_decision_and_the_world_are_controls() {
    let sc = sleep7();
    let out = apply(
        &sc,
        &Key::Commit(0),
        &Edit::Choice("after-each-sync".into()),
    )
    .unwrap();
    assert_eq!(
        CommitStrategy::of(&out.consumers[0].program),
        CommitStrategy::AfterEachSync
    );
    let out = apply(
        &out,
        &Key::CommitEvery {
            consumer: 0,
            ms: false,
        },
        &Edit::Number("3".into()),
    )
    .unwrap();
    assert!(matches!(
        out.consumers[0].program.per_message[1],
        MessageStep::Commit { every: 3, .. }
    ));
    let vm = build(&out, &None);
    let parts = field(&vm, "topic.partitions").key.clone();
    let out = apply(&out, &parts, &Edit::Number("3".into())).unwrap();
    assert_eq!(out.topic.partitions, 3);
    let out = add_consumer(&out).unwrap();
    assert_eq!(out.consumers.len(), 2);
    assert_eq!(out.consumers[1].name, "consumer-2");
    let out = apply(&out, &Key::Invalid, &Edit::Text("2, 3".into())).unwrap();
    assert_eq!(out.topic.payments.invalid, vec![2, 3]);
    let out = apply(&out, &Key::TransientRate, &Edit::Number("50".into())).unwrap();
    assert!(
        out.faults
            .contains(&Fault::TransientFailures { per_mille: 50 })
    );
    let sink = field(&vm, "sink.kind").key.clone();
    let out = apply(&out, &sink, &Edit::Choice("idempotent".into())).unwrap();
    assert_eq!(
        out.sink.kind,
        offset_lab_sim::scenario::SinkKind::Idempotent
    );
    assert!(remove_consumer(&remove_consumer(&out, 1).unwrap(), 0).is_err());
}

#[test]
fn every_shown_value_is_the_scenarios() {
    for name in offset_lab_sim::preset_names() {
        let sc = offset_lab_sim::preset(name).unwrap();
        let vm = build(&sc, &None);
        // Setting each number field to what it shows changes nothing.
        for f in vm
            .sections
            .iter()
            .flat_map(|s| s.fields.iter().chain(&s.advanced))
        {
            let edit = match &f.input {
                Input::Bool(b) => Edit::Bool(*b),
                Input::Number { value, .. } => Edit::Number(value.to_string()),
                Input::Choice { value, .. } if value != "custom" => Edit::Choice(value.clone()),
                Input::Text(t) => Edit::Text(t.clone()),
                Input::Choice { .. } => continue,
            };
            match apply(&sc, &f.key, &edit) {
                Ok(out) => assert_eq!(out, sc, "{name}: {}", f.path),
                Err((p, m)) => {
                    // A disabled field may hold a value the core would refuse anew.
                    assert!(
                        f.disabled,
                        "{name}: {} refused its own value: {p}: {m}",
                        f.path
                    )
                }
            }
        }
    }
}
