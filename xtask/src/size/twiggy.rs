//! Reading twiggy's CSV and grouping its items by crate.

use super::*;

#[derive(Debug, PartialEq)]
pub(crate) struct Item {
    pub(crate) name: String,
    pub(crate) bytes: u64,
}

pub(crate) fn twiggy_items(wasm: &Path) -> Result<Vec<Item>> {
    let out = Command::new("twiggy")
        .args(["top", "-n", "1000000", "--format", "csv"])
        .arg(wasm)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run twiggy: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "twiggy top {} failed: {}",
            wasm.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    parse_twiggy_csv(&String::from_utf8_lossy(&out.stdout))
}

/// `Name,ShallowSize,…` rows (the header, and twiggy's summary rows, left out).
pub(crate) fn parse_twiggy_csv(csv: &str) -> Result<Vec<Item>> {
    let mut items = Vec::new();
    for record in csv_records(csv).into_iter().skip(1) {
        let [name, bytes, ..] = record.as_slice() else {
            continue;
        };
        if name.starts_with("... and ") || name.starts_with("Σ [") {
            continue;
        }
        let bytes = bytes
            .parse()
            .map_err(|_| format!("twiggy csv: bad size {bytes:?} for {name:?}"))?;
        items.push(Item {
            name: name.clone(),
            bytes,
        });
    }
    Ok(items)
}

/// RFC 4180 records: quoted fields may hold commas, and `""` for a quote.
pub(crate) fn csv_records(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            ',' => record.push(std::mem::take(&mut field)),
            '\n' => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            '\r' => {}
            c => field.push(c),
        }
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    records
}

/// (group, bytes), largest first; the name section left out.
pub(crate) fn by_crate(items: &[Item]) -> Vec<(String, u64)> {
    let mut groups: BTreeMap<String, u64> = BTreeMap::new();
    for item in items {
        let group = group_of(&item.name);
        if group != NAMES {
            *groups.entry(group).or_default() += item.bytes;
        }
    }
    let mut groups: Vec<(String, u64)> = groups.into_iter().collect();
    groups.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    groups
}

/// The crate an item of `twiggy top` belongs to, or a bracketed kind of item without one.
pub(crate) fn group_of(name: &str) -> String {
    let name = name.trim();
    if name.ends_with(" names\" subsection") || name.starts_with("custom section 'name'") {
        return NAMES.into();
    }
    if name.starts_with("data segment") {
        return "(data segments: strings, tables, constants)".into();
    }
    if name.starts_with("code[") {
        return "(functions without a name)".into();
    }
    let structure = [
        "type[",
        "import ",
        "export ",
        "table[",
        "elem[",
        "global[",
        "memory[",
        "custom section",
        "wasm magic bytes",
    ];
    if structure.iter().any(|s| name.starts_with(s)) || name.ends_with(" section headers") {
        return "(wasm structure: types, imports, exports, tables)".into();
    }
    if name.ends_with(" shim")
        || ["__wbindgen", "__wbg_", "__externref", "wasm_bindgen__"]
            .iter()
            .any(|p| name.starts_with(p))
    {
        return "wasm_bindgen".into();
    }
    path_crate(name).unwrap_or_else(|| "(other: compiler builtins, libm, main)".into())
}

/// The crate of a demangled Rust path: `serde_json::de::…` → `serde_json`;
/// `<&mut serde_json::Deserializer<R> as serde::Deserializer>::…` → `serde_json` (the type's
/// crate, or the trait's for a type without one: `<T as alloc::string::ToString>` → `alloc`);
/// `core::ptr::drop_in_place<yew::Html>` → `yew` (drop glue belongs to the dropped type).
pub(crate) fn path_crate(name: &str) -> Option<String> {
    if let Some(inner) = name.strip_prefix('<') {
        let end = closing(inner)?;
        let qualified = &inner[..end];
        let (ty, tr) = match split_as(qualified) {
            Some(at) => (&qualified[..at], Some(&qualified[at + 4..])),
            None => (qualified, None),
        };
        return type_crate(ty).or_else(|| tr.and_then(type_crate));
    }
    let dropped = name.strip_prefix("core::ptr::drop_in_place<").or_else(|| {
        let rest = name.strip_prefix("core[")?;
        rest[rest.find(']')? + 1..].strip_prefix("::ptr::drop_in_place<")
    });
    if let Some(krate) = dropped.and_then(type_crate) {
        return Some(krate);
    }
    leading_crate(name)
}

/// The crate of a type (`&mut a::B<C>`, `[a::B]`, `dyn a::Tr`), if it is a path.
pub(crate) fn type_crate(ty: &str) -> Option<String> {
    let mut ty = ty.trim();
    loop {
        let before = ty;
        for prefix in [
            "&", "mut ", "*const ", "*mut ", "dyn ", "impl ", "[", "(", "'_ ", " ",
        ] {
            ty = ty.strip_prefix(prefix).unwrap_or(ty);
        }
        if ty == before {
            break;
        }
    }
    if ty.starts_with('<') {
        return path_crate(ty);
    }
    leading_crate(ty)
}

/// `name` up to its first `::`, if that is a crate name (`core[c5930c85a12de822]` → `core`).
pub(crate) fn leading_crate(path: &str) -> Option<String> {
    let ident_len = path
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(path.len());
    let ident = &path[..ident_len];
    let mut rest = &path[ident_len..];
    if rest.starts_with('[') {
        rest = &rest[rest.find(']')? + 1..];
    }
    let first = ident.chars().next()?;
    (rest.starts_with("::") && (first.is_ascii_alphabetic() || first == '_'))
        .then(|| ident.to_owned())
}

/// The index of the `>` that closes an opening `<` already consumed.
pub(crate) fn closing(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '<' => depth += 1,
            '>' if i > 0 && s[..i].ends_with('-') => {} // `->` in a fn type
            '>' if depth == 0 => return Some(i),
            '>' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// The index of ` as ` outside any `<…>` inside a qualified path.
pub(crate) fn split_as(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '<' => depth += 1,
            '>' if i > 0 && s[..i].ends_with('-') => {}
            '>' => depth = depth.saturating_sub(1),
            ' ' if depth == 0 && s[i..].starts_with(" as ") => return Some(i),
            _ => {}
        }
    }
    None
}

/// Drop the symbol hash (`::h5f6d7ab55de3feab`) and cut long names in the middle.
pub(crate) fn shorten(name: &str, max: usize) -> String {
    let name = match name.rsplit_once("::h") {
        Some((head, hash)) if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            head
        }
        _ => name,
    };
    let chars: Vec<char> = name.chars().collect();
    if chars.len() <= max {
        return name.to_owned();
    }
    let half = (max - 1) / 2;
    let head: String = chars[..half].iter().collect();
    let tail: String = chars[chars.len() - (max - 1 - half)..].iter().collect();
    format!("{head}…{tail}")
}
