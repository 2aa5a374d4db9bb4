use super::*;

#[test]
fn groups_items_by_crate() {
    let cases = [
        (
            "offset_lab_sim::scenario::validate::<impl offset_lab_sim::scenario::Scenario>::validate::h6a19d0604c21be44",
            "offset_lab_sim",
        ),
        (
            "<offset_lab::app::App as yew::functional::FunctionProvider>::run::inner::h5f6d7ab55de3feab",
            "offset_lab",
        ),
        (
            "<&mut serde_json::de::Deserializer<R> as serde_core::de::Deserializer>::deserialize_seq::hecbc3aca88e85ded",
            "serde_json",
        ),
        (
            "<T as alloc::string::ToString>::to_string::h0123456789abcdef",
            "alloc",
        ),
        ("<&T as core::fmt::Debug>::fmt::h0123456789abcdef", "core"),
        (
            "<alloc::vec::Vec<T,A> as core::clone::Clone>::clone",
            "alloc",
        ),
        (
            "<[A] as core::slice::cmp::SlicePartialEq<B>>::equal",
            "core",
        ),
        ("core[c5930c85a12de822]::fmt::write", "core"),
        (
            "<core[c5930c85a12de822]::fmt::Arguments as core[c5930c85a12de822]::fmt::Display>::fmt",
            "core",
        ),
        (
            "core::ptr::drop_in_place<yew::virtual_dom::VNode>::h0123456789abcdef",
            "yew",
        ),
        ("core::ptr::drop_in_place<(u64,u32)>", "core"),
        (
            "<<F as yew::Callback>::Out as core::ops::FnOnce<()>>::call_once",
            "yew",
        ),
        ("<fn() -> u32 as core::ops::FnOnce<()>>::call_once", "core"),
        (
            "yew::html::component::lifecycle::ComponentState::run::{{closure}}",
            "yew",
        ),
        ("__rustc::__rust_alloc", "__rustc"),
        ("\"function names\" subsection", NAMES),
        ("custom section 'name' headers", NAMES),
        (
            "data segment \".rodata.46\"",
            "(data segments: strings, tables, constants)",
        ),
        ("code[929]", "(functions without a name)"),
        (
            "type[3]: (i32, i32) -> nil",
            "(wasm structure: types, imports, exports, tables)",
        ),
        (
            "export \"memory\"",
            "(wasm structure: types, imports, exports, tables)",
        ),
        (
            "import section headers",
            "(wasm structure: types, imports, exports, tables)",
        ),
        ("__wbindgen_malloc", "wasm_bindgen"),
        ("Ref(String) -> Externref externref shim", "wasm_bindgen"),
        ("memcmp", "(other: compiler builtins, libm, main)"),
        ("main", "(other: compiler builtins, libm, main)"),
    ];
    for (name, want) in cases {
        assert_eq!(group_of(name), want, "{name}");
    }
}

#[test]
fn reads_twiggy_csv() {
    let csv = "Name,ShallowSize,ShallowSizePercent,RetainedSize,RetainedSizePercent\n\
               \"\"\"function names\"\" subsection\",244827,21.5,,\n\
               \"<(A, B) as core::fmt::Debug>::fmt\",300,0.1,,\n\
               serde_json::de::from_str,200,0.1,,\n\
               \"data segment \"\".rodata.1\"\"\",100,0.1,,\n\
               ... and 5 more.,50,0.1,,\n\
               Σ [9 Total Rows],245477,100.0,,\n";
    let items = parse_twiggy_csv(csv).unwrap();
    let names: Vec<&str> = items.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "\"function names\" subsection",
            "<(A, B) as core::fmt::Debug>::fmt",
            "serde_json::de::from_str",
            "data segment \".rodata.1\"",
        ]
    );
    assert_eq!(
        by_crate(&items),
        [
            ("core".to_owned(), 300),
            ("serde_json".to_owned(), 200),
            (
                "(data segments: strings, tables, constants)".to_owned(),
                100
            ),
        ]
    );
}

#[test]
fn shortens_names() {
    assert_eq!(shorten("a::b::h5f6d7ab55de3feab", 80), "a::b");
    assert_eq!(shorten("a::high", 80), "a::high");
    assert_eq!(shorten("abcdefghij", 5), "ab…ij");
}

#[test]
fn reads_the_target_dir_from_cargo_metadata() {
    let json = r#"{"packages":[],"target_directory":"/work/x \"y\"/target","version":1}"#;
    assert_eq!(
        json_string(json, "target_directory").as_deref(),
        Some("/work/x \"y\"/target")
    );
    assert_eq!(json_string(json, "workspace_root"), None);
}
