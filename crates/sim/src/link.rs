//! Shareable links: the whole state of a playground (scenario, time, open panels) as a URL
//! query string, versioned. A scenario equal to a preset travels as its name; anything else as
//! base64url-encoded JSON. Decoding never panics: a broken, truncated or old link gives an
//! error that says what is wrong, and the caller shows it next to a working default.

use crate::Ms;
use crate::scenario::{Scenario, preset, preset_names};

/// The link format version this build writes and reads.
pub const LINK_VERSION: u32 = 1;
/// Links longer than this are refused rather than half-parsed: room for any scenario the app
/// accepts ([`crate::scenario::MAX_SCENARIO_BYTES`] of JSON, base64url-encoded) and the rest.
pub const MAX_LINK_LEN: usize = crate::scenario::MAX_SCENARIO_BYTES / 3 * 4 + 4096;

#[derive(Clone, Debug, PartialEq)]
pub struct LinkState {
    pub scenario: Scenario,
    /// The cursor's simulated time.
    pub t_ms: Ms,
    /// Open panels, by name (the app decides which names exist).
    pub panels: Vec<String>,
    /// `?embed=1`: the compact layout for iframes.
    pub embed: bool,
    /// `e=`: which event of the instant `t_ms` the cursor is after, when several share it and
    /// the time alone would put the cursor elsewhere.
    pub event: Option<usize>,
    /// `sweep=`: the Experiments panel's sweep, run when the link opens: a built-in
    /// experiment's name (`commit-cost`), or a setting and its values (`rtt_ms:1,5,40`). Read
    /// as it is; [`check_sweep`] says whether it can run.
    pub sweep: Option<String>,
}

/// The longest `sweep=` a link may carry.
pub const MAX_SWEEP_LEN: usize = 200;

/// Whether `sweep` is one a link may carry: a built-in experiment, or a known setting with
/// values of plain characters (the session parses the values and says what is wrong with them).
pub fn check_sweep(sweep: &str) -> Result<(), String> {
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, ',' | ' ' | '.' | '_' | '-');
    if crate::sweep::experiments::NAMES.contains(&sweep) {
        return Ok(());
    }
    if sweep.len() > MAX_SWEEP_LEN {
        return Err(format!("a sweep is at most {MAX_SWEEP_LEN} characters"));
    }
    // One setting with its values, or two separated by `;` (a small grid).
    let setting = |part: &str| match part.split_once(':') {
        Some((param, values)) => {
            crate::sweep::grid::Param::from_key(param).is_some()
                && !values.trim().is_empty()
                && values.chars().all(plain)
        }
        None => false,
    };
    let parts: Vec<&str> = sweep.split(';').collect();
    if parts.len() <= 2 && parts.iter().all(|p| setting(p)) {
        Ok(())
    } else {
        Err(format!(
            "“{sweep}” is neither a built-in experiment ({}) nor one or two settings with their values",
            crate::sweep::experiments::NAMES.join(", ")
        ))
    }
}

/// What a link says about the layout: read leniently, so that a playground whose link is broken
/// keeps its compact layout and its panels while it says what is wrong.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Layout {
    pub embed: bool,
    pub panels: Vec<String>,
}

/// The layout parameters of a query string, whatever else in it is broken.
pub fn layout(query: &str) -> Layout {
    let mut l = Layout::default();
    for pair in query.trim_start_matches(['?', '#']).split('&') {
        match pair.split_once('=') {
            Some(("embed", v)) => l.embed = v == "1" || v == "true",
            Some(("panels", v)) => l.panels = panel_list(&percent_decode(v)),
            _ => {}
        }
    }
    l
}

fn panel_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkError {
    pub message: String,
}

impl std::fmt::Display for LinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

fn fail(message: impl Into<String>) -> LinkError {
    LinkError {
        message: message.into(),
    }
}

/// The query string (without `?`) for a state.
pub fn encode(state: &LinkState) -> String {
    let mut parts = vec![format!("v={LINK_VERSION}")];
    match preset_names().find(|n| preset(n).is_ok_and(|p| p == state.scenario)) {
        Some(name) => parts.push(format!("preset={name}")),
        None => {
            // The pretty form with the whitespace squeezed out: one serializer in the bundle.
            let json = squeeze(&state.scenario.to_json());
            parts.push(format!("s={}", base64url_encode(json.as_bytes())));
        }
    }
    if state.t_ms > 0 {
        parts.push(format!("t={}", state.t_ms));
    }
    if !state.panels.is_empty() {
        let panels: Vec<String> = state.panels.iter().map(|p| percent_encode(p)).collect();
        parts.push(format!("panels={}", panels.join(",")));
    }
    if state.embed {
        parts.push("embed=1".into());
    }
    if let Some(e) = state.event {
        parts.push(format!("e={e}"));
    }
    if let Some(sweep) = &state.sweep {
        parts.push(format!("sweep={}", percent_encode(sweep)));
    }
    parts.join("&")
}

/// Reads a query string (with or without the leading `?` or `#`). With no scenario in it,
/// `default_preset` is used.
pub fn decode(query: &str, default_preset: &str) -> Result<LinkState, LinkError> {
    let query = query.trim_start_matches(['?', '#']);
    if query.len() > MAX_LINK_LEN {
        return Err(fail("This link is too long to be an Offset Lab link."));
    }
    let mut version: Option<u32> = None;
    let mut scenario: Option<Scenario> = None;
    let mut t_ms = 0;
    let mut panels = Vec::new();
    let mut embed = false;
    let mut event = None;
    let mut sweep = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode(value);
        match key {
            "v" => {
                let v: u32 = value.parse().map_err(|_| {
                    fail(format!("The link's version \"{value}\" is not a number."))
                })?;
                if v > LINK_VERSION {
                    return Err(fail(format!(
                        "This link was made by a newer Offset Lab (link version {v}); this one reads version {LINK_VERSION}."
                    )));
                }
                version = Some(v);
            }
            "preset" => {
                scenario = Some(preset(&value).map_err(|_| {
                    fail(format!(
                        "The link names a scenario \"{value}\" that this Offset Lab does not have."
                    ))
                })?);
            }
            "s" => {
                let bytes = base64url_decode(&value).ok_or_else(|| {
                    fail("The scenario in this link is damaged (it may have been cut short).")
                })?;
                let text = String::from_utf8(bytes)
                    .map_err(|_| fail("The scenario in this link is damaged (not text)."))?;
                scenario =
                    Some(Scenario::from_json(&text).map_err(|e| {
                        fail(format!("The scenario in this link is not valid: {e}"))
                    })?);
            }
            "t" => {
                t_ms = value.parse().map_err(|_| {
                    fail(format!(
                        "The time \"{value}\" in this link is not a number of milliseconds."
                    ))
                })?
            }
            "panels" => panels = panel_list(&value),
            "embed" => embed = value == "1" || value == "true",
            "e" => {
                event = Some(value.parse().map_err(|_| {
                    fail(format!(
                        "The event \"{value}\" in this link is not a number."
                    ))
                })?)
            }
            // Checked where it runs (`check_sweep`): a sweep that cannot run is said so, and the
            // rest of the link still opens.
            "sweep" => sweep = Some(value),
            _ => {} // other parameters belong to the page that embeds us
        }
    }
    if scenario.is_some() && version.is_none() {
        return Err(fail(
            "This link has no version (v=…); it may come from an early preview of Offset Lab.",
        ));
    }
    let scenario = match scenario {
        Some(s) => s,
        None => preset(default_preset).map_err(|e| fail(e.to_string()))?,
    };
    Ok(LinkState {
        scenario,
        t_ms,
        panels,
        embed,
        event,
        sweep,
    })
}

/// JSON without the whitespace outside strings.
fn squeeze(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for ch in json.chars() {
        if in_string {
            out.push(ch);
            match (escaped, ch) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if ch == '"' {
            in_string = true;
            out.push(ch);
        } else if !ch.is_whitespace() {
            out.push(ch);
        }
    }
    out
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// RFC 4648 §5 base64url, without padding.
pub fn base64url_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..=chunk.len() {
            out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

pub fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Percent-encodes all but the URL's unreserved characters, so that a value cannot end its
/// parameter (`&`, `#`) or change on the way back (`%`, `+`). A comma still separates panels.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(name: &str) -> LinkState {
        LinkState {
            scenario: preset(name).unwrap(),
            t_ms: 7016,
            panels: vec!["code".into(), "timeline".into()],
            embed: false,
            event: None,
            sweep: None,
        }
    }

    #[test]
    fn a_sweep_is_part_of_the_format_and_checked() {
        for sweep in [
            "commit-cost",
            "rtt_ms:1,5,40",
            "commit:sync-each, async-each",
        ] {
            let mut s = state("step2-manual-commit");
            s.sweep = Some(sweep.into());
            let q = encode(&s);
            assert!(q.contains("&sweep="), "{q}");
            assert_eq!(decode(&q, "step2-manual-commit").unwrap(), s);
        }
        for bad in [
            "no-such-experiment",
            "speed:1,2",
            "rtt_ms:",
            "rtt_ms:<script>",
            &format!("rtt_ms:{}", "1,".repeat(150)),
        ] {
            assert!(check_sweep(bad).is_err(), "{bad}");
            // The link still opens; the sweep is for the session to refuse.
            let q = format!(
                "v=1&preset=step2-manual-commit&sweep={}",
                percent_encode(bad)
            );
            let s = decode(&q, "step2-manual-commit").unwrap();
            assert_eq!(s.sweep.as_deref(), Some(bad));
            assert_eq!(s.scenario, preset("step2-manual-commit").unwrap());
        }
        assert_eq!(check_sweep("commit-cost"), Ok(()));
        assert_eq!(check_sweep("rtt_ms:1, 5, 40"), Ok(()));
        assert_eq!(
            check_sweep("processing_ms:0,2000;auto_commit_interval_ms:1000,5000"),
            Ok(())
        );
        assert!(check_sweep("rtt_ms:1;rtt_ms:2;rtt_ms:3").is_err());
    }

    #[test]
    fn the_event_embed_flag_and_panels_are_part_of_the_format() {
        let mut s = state("step2-manual-commit");
        s.embed = true;
        s.event = Some(42);
        let q = encode(&s);
        assert!(q.ends_with("&embed=1&e=42"), "{q}");
        assert_eq!(decode(&q, "step1-autocommit-sleep7").unwrap(), s);
        assert!(decode("v=1&e=x", "step2-manual-commit").is_err());
        // A broken link still tells its layout.
        let broken = "v=1&s=%%%&embed=1&panels=code,lab";
        assert!(decode(broken, "step2-manual-commit").is_err());
        assert_eq!(
            layout(broken),
            Layout {
                embed: true,
                panels: vec!["code".into(), "lab".into()]
            }
        );
    }

    #[test]
    fn a_preset_travels_by_name_and_round_trips() {
        let s = state("step1-autocommit-sleep7");
        let q = encode(&s);
        assert_eq!(
            q,
            "v=1&preset=step1-autocommit-sleep7&t=7016&panels=code,timeline"
        );
        assert_eq!(decode(&q, "step2-manual-commit").unwrap(), s);
        assert_eq!(decode(&format!("?{q}"), "x").unwrap(), s);
    }

    #[test]
    fn an_edited_scenario_travels_whole_and_round_trips() {
        let mut s = state("step1-autocommit-sleep7");
        s.scenario.consumers[0].program.processing_ms = 2500;
        s.scenario.actions.push(crate::scenario::Action {
            at_ms: 3000,
            consumer: "consumer-1".into(),
            act: crate::scenario::ActionKind::Crash {
                kind: crate::scenario::CrashKind::Kill,
            },
        });
        s.embed = true;
        let q = encode(&s);
        assert!(q.contains("&s=") && q.ends_with("embed=1"));
        assert_eq!(decode(&q, "step2-manual-commit").unwrap(), s);
    }

    #[test]
    fn broken_links_say_what_is_wrong() {
        let q = encode(&{
            let mut s = state("step1-autocommit-sleep7");
            s.scenario.seed = 99;
            s
        });
        let truncated = &q[..q.len() / 2];
        let e = decode(truncated, "step1-autocommit-sleep7").unwrap_err();
        assert!(
            e.message.contains("damaged") || e.message.contains("not valid"),
            "{e}"
        );
        assert!(
            decode("v=2&preset=x", "a")
                .unwrap_err()
                .message
                .contains("newer")
        );
        assert!(
            decode("v=1&preset=nope", "a")
                .unwrap_err()
                .message
                .contains("nope")
        );
        assert!(
            decode("preset=step2-manual-commit", "a")
                .unwrap_err()
                .message
                .contains("version")
        );
        assert!(
            decode("v=1&preset=step2-manual-commit&t=soon", "a")
                .unwrap_err()
                .message
                .contains("soon")
        );
        assert!(decode("v=1&s=%%%", "a").is_err());
    }

    #[test]
    fn no_scenario_means_the_default() {
        let s = decode("", "step2-manual-commit").unwrap();
        assert_eq!(s.scenario.name, "step2-manual-commit");
        assert!(
            decode("utm_source=course&embed=1", "step2-manual-commit")
                .unwrap()
                .embed
        );
    }

    #[test]
    fn squeeze_keeps_strings_intact() {
        assert_eq!(
            squeeze("{ \"a b\": [1, 2],\n \"c\": \"x \\\" y\" }"),
            "{\"a b\":[1,2],\"c\":\"x \\\" y\"}"
        );
    }

    #[test]
    fn base64url_round_trips_every_length() {
        for n in 0..40u8 {
            let bytes: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37)).collect();
            assert_eq!(base64url_decode(&base64url_encode(&bytes)).unwrap(), bytes);
        }
        assert_eq!(base64url_encode(b"Man"), "TWFu");
        assert!(base64url_decode("A").is_none());
    }
}
