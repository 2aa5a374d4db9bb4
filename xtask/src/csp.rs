//! The Content-Security-Policy of the release site. After `trunk build --release`, every HTML
//! page at the top of `dist/` (index.html, course.html) gets a
//! `<meta http-equiv="Content-Security-Policy">` as the first element of its `<head>`: nothing
//! is allowed (`default-src 'none'`) but what the site needs — its own scripts, styles, wasm,
//! worker and frames — plus the SHA-256 hash of each inline `<script>` and `<style>` of that
//! page (trunk's module bootstrap in index.html; the course page's listener, bundle loader and
//! stylesheet). It runs before the .gz/.br copies are made (compress.rs), so they carry it too.
//!
//! `frame-ancestors` cannot be set by a meta element: [`header`] is the same policy for a web
//! server's `Content-Security-Policy` header (README: "Content-Security-Policy"). `trunk serve`
//! (development, with its inline autoreload script) gets no policy.

use std::fs;
use std::path::{Path, PathBuf};

use crate::Result;

/// What the site needs besides its inline elements' hashes, in order. `script-src` and
/// `style-src` get the hashes appended.
const DIRECTIVES: [(&str, &str); 11] = [
    ("default-src", "'none'"),
    // wasm-bindgen's glue compiles the wasm with WebAssembly.instantiateStreaming.
    ("script-src", "'self' 'wasm-unsafe-eval'"),
    ("style-src", "'self'"),
    // The wasm's fetch (and its preload), nothing else: scenarios travel in links and files.
    ("connect-src", "'self'"),
    // The simulation's worker (offset-lab-worker_loader.js).
    ("worker-src", "'self'"),
    // The favicon is `data:,`.
    ("img-src", "'self' data:"),
    // The course page's iframe of the app.
    ("frame-src", "'self'"),
    ("base-uri", "'none'"),
    ("form-action", "'none'"),
    ("object-src", "'none'"),
    // Keeps the list in one place for the header form; a meta element ignores it, so
    // `policy` leaves it out and `header` puts it in.
    ("frame-ancestors", "'self'"),
];

/// The hashes of a page's inline elements, as CSP sources (`'sha256-…'`).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Inline {
    pub scripts: Vec<String>,
    pub styles: Vec<String>,
}

impl Inline {
    fn merge(&mut self, other: &Inline) {
        for (to, from) in [
            (&mut self.scripts, &other.scripts),
            (&mut self.styles, &other.styles),
        ] {
            for h in from {
                if !to.contains(h) {
                    to.push(h.clone());
                }
            }
        }
    }
}

/// The policy of one page (for its meta element: no `frame-ancestors`).
pub fn policy(inline: &Inline) -> String {
    directives(inline, false)
}

/// The policy as a `Content-Security-Policy` header for every page of the site: the hashes of
/// all pages, and `frame-ancestors 'self'` (a course on another origin lists its own there).
pub fn header(inline: &Inline) -> String {
    directives(inline, true)
}

fn directives(inline: &Inline, header: bool) -> String {
    DIRECTIVES
        .iter()
        .filter(|(name, _)| header || *name != "frame-ancestors")
        .map(|(name, value)| {
            let extra = match *name {
                "script-src" => &inline.scripts[..],
                "style-src" => &inline.styles[..],
                _ => &[],
            };
            let mut d = format!("{name} {value}");
            for h in extra {
                d.push(' ');
                d.push_str(h);
            }
            d
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Insert (or replace) the policy meta element in every `.html` file at the top of `dist`,
/// print each page's policy and the header form. Returns the pages and their inline hashes.
pub fn apply_and_print(dist: &Path) -> Result<Vec<(PathBuf, Inline)>> {
    let done = apply(dist)?;
    let mut all = Inline::default();
    println!("Content-Security-Policy (a meta element in each page):");
    for (page, inline) in &done {
        println!("  {}: {}", page.display(), policy(inline));
        all.merge(inline);
    }
    println!("  as a header for the whole site: {}", header(&all));
    Ok(done)
}

pub fn apply(dist: &Path) -> Result<Vec<(PathBuf, Inline)>> {
    let entries = fs::read_dir(dist).map_err(|e| format!("cannot read {}: {e}", dist.display()))?;
    let mut pages: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "html"))
        .collect();
    pages.sort();
    if pages.is_empty() {
        return Err(format!("no .html page in {}", dist.display()));
    }
    let mut done = Vec::new();
    for path in pages {
        let html = fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let (out, inline) = with_policy(&html).map_err(|e| format!("{}: {e}", path.display()))?;
        fs::write(&path, out).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        done.push((
            path.strip_prefix(dist).unwrap_or(&path).to_path_buf(),
            inline,
        ));
    }
    Ok(done)
}

const META_START: &str = "<meta http-equiv=\"Content-Security-Policy\" content=\"";

/// The page with its policy as the first element of its head (an older one removed), and the
/// hashes of its inline elements.
pub fn with_policy(html: &str) -> Result<(String, Inline)> {
    let mut html = html.to_owned();
    if let Some(start) = html.find(META_START) {
        let end = html[start..]
            .find('>')
            .map(|e| start + e + 1)
            .ok_or("an unterminated policy meta element")?;
        html.replace_range(start..end, "");
    }
    let inline = inline_hashes(&html)?;
    // Right after `<head>`; trunk's minified index.html has no `<head>` or `<html>` tag (both
    // optional): then after the doctype, where the parser opens the head for it all the same.
    let tag = ["head", "html", "!doctype"]
        .into_iter()
        .find_map(|name| find_tag(&html, 0, name))
        .ok_or("no <head>, <html> or doctype")?;
    let at = html[tag..]
        .find('>')
        .map(|e| tag + e + 1)
        .ok_or("an unterminated tag")?;
    if let Some(first) = ["script", "style", "link"]
        .into_iter()
        .filter_map(|name| find_tag(&html, 0, name))
        .min()
        && first < at
    {
        return Err("a script, style or link before the head".into());
    }
    // Nothing in the policy needs escaping in an attribute (no `"`, `&` or `<`).
    let meta = format!("{META_START}{}\">", policy(&inline));
    html.insert_str(at, &meta);
    Ok((html, inline))
}

/// The SHA-256 hashes of the contents of the `<script>` elements without `src` and of the
/// `<style>` elements, in document order, skipping comments.
pub fn inline_hashes(html: &str) -> Result<Inline> {
    let mut inline = Inline::default();
    let lower = html.to_ascii_lowercase();
    let mut at = 0;
    while let Some(lt) = lower[at..].find('<').map(|i| at + i) {
        if lower[lt..].starts_with("<!--") {
            at = lower[lt..]
                .find("-->")
                .map(|e| lt + e + 3)
                .ok_or("an unterminated comment")?;
            continue;
        }
        let name = ["script", "style"].into_iter().find(|n| {
            lower[lt + 1..].starts_with(n)
                && lower[lt + 1 + n.len()..].starts_with(|c: char| c == '>' || c.is_whitespace())
        });
        let Some(name) = name else {
            at = lt + 1;
            continue;
        };
        let open_end = lower[lt..]
            .find('>')
            .map(|e| lt + e + 1)
            .ok_or_else(|| format!("an unterminated <{name}>"))?;
        let close = lower[open_end..]
            .find(&format!("</{name}"))
            .map(|e| open_end + e)
            .ok_or_else(|| format!("a <{name}> without its end tag"))?;
        let attrs = &lower[lt + 1 + name.len()..open_end - 1];
        if name == "style" || !has_attribute(attrs, "src") {
            // The browser hashes the text with its line ends normalised to \n.
            let text = html[open_end..close]
                .replace("\r\n", "\n")
                .replace('\r', "\n");
            let source = format!("'sha256-{}'", base64(&sha256(text.as_bytes())));
            let list = if name == "style" {
                &mut inline.styles
            } else {
                &mut inline.scripts
            };
            if !list.contains(&source) {
                list.push(source);
            }
        }
        at = close;
    }
    Ok(inline)
}

/// The first `<name` tag (followed by `>` or whitespace) at or after `from`, outside comments.
fn find_tag(html: &str, from: usize, name: &str) -> Option<usize> {
    let lower = html.to_ascii_lowercase();
    let mut at = from;
    while let Some(lt) = lower[at..].find('<').map(|i| at + i) {
        if lower[lt..].starts_with("<!--") {
            at = lt + lower[lt..].find("-->")? + 3;
            continue;
        }
        let rest = &lower[lt + 1..];
        if rest.starts_with(name)
            && rest[name.len()..].starts_with(|c: char| c == '>' || c.is_whitespace())
        {
            return Some(lt);
        }
        at = lt + 1;
    }
    None
}

/// Whether a tag's attribute text (lower case) has the attribute `name`.
fn has_attribute(attrs: &str, name: &str) -> bool {
    let mut rest = attrs.trim_start();
    while !rest.is_empty() {
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '=' || c == '/')
            .unwrap_or(rest.len());
        if &rest[..end] == name {
            return true;
        }
        rest = rest[end..].trim_start();
        if let Some(value) = rest.strip_prefix('=') {
            let value = value.trim_start();
            rest = match value.chars().next() {
                Some(q @ ('"' | '\'')) => value[1..].find(q).map_or("", |e| &value[e + 2..]),
                _ => {
                    let e = value.find(char::is_whitespace).unwrap_or(value.len());
                    &value[e..]
                }
            };
        } else if let Some(r) = rest.strip_prefix('/') {
            rest = r;
        }
        rest = rest.trim_start();
    }
    false
}

/// SHA-256 (FIPS 180-4).
pub fn sha256(data: &[u8]) -> [u8; 32] {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut message = data.to_vec();
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&((data.len() as u64) * 8).to_be_bytes());
    for block in message.chunks_exact(64) {
        let mut w = [0u32; 64];
        for (i, word) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            hh = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 32];
    for (chunk, word) in out.chunks_exact_mut(4).zip(h) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// Standard base64 with padding (RFC 4648), as CSP hash sources are written.
pub fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn sha256_matches_the_standard_vectors() {
        assert_eq!(
            hex(&sha256(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hex(&sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(&sha256(
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            )),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
        assert_eq!(
            hex(&sha256(&vec![b'a'; 1_000_000])),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        );
    }

    #[test]
    fn base64_pads() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (raw, encoded) in cases {
            assert_eq!(base64(raw.as_bytes()), encoded);
        }
    }

    #[test]
    fn hashes_inline_scripts_and_styles_only() {
        let html = "<!doctype html><html><head><meta charset=utf-8>\
            <!-- <script>not this</script> -->\
            <link rel=modulepreload href=/app.js>\
            <script type=module>import init from '/app.js';init();</script>\
            <script src=\"/other.js\" defer></script>\
            <SCRIPT data-x='a src=b'>alert(1)</SCRIPT>\
            <style>\r\nb{}\r\n</style>\
            </head><body><scripts-not-a-tag></scripts-not-a-tag></body></html>";
        let inline = inline_hashes(html).unwrap();
        let src = |s: &str| format!("'sha256-{}'", base64(&sha256(s.as_bytes())));
        assert_eq!(
            inline.scripts,
            [src("import init from '/app.js';init();"), src("alert(1)")]
        );
        assert_eq!(inline.styles, [src("\nb{}\n")]);
    }

    #[test]
    fn the_meta_element_comes_first_in_head_and_replaces_an_older_one() {
        let html = "<!doctype html><html><head>\n<meta charset=\"utf-8\" />\
            <script type=\"module\">init()</script></head><body></body></html>";
        let (once, inline) = with_policy(html).unwrap();
        assert_eq!(inline.scripts.len(), 1);
        assert!(inline.styles.is_empty());
        let expected = format!(
            "<head>{META_START}default-src 'none'; script-src 'self' 'wasm-unsafe-eval' {}; \
             style-src 'self'; connect-src 'self'; worker-src 'self'; img-src 'self' data:; \
             frame-src 'self'; base-uri 'none'; form-action 'none'; object-src 'none'\">\n<meta charset",
            inline.scripts[0]
        );
        assert!(once.contains(&expected), "{once}");
        let (twice, again) = with_policy(&once).unwrap();
        assert_eq!((twice, again), (once, inline));
        assert!(with_policy("<p>no head</p>").is_err());
        // Minified: no <html> or <head> tag.
        let (minified, _) =
            with_policy("<!DOCTYPE html><meta charset=utf-8><script type=module>x</script>")
                .unwrap();
        assert!(
            minified.starts_with(&format!("<!DOCTYPE html>{META_START}default-src")),
            "{minified}"
        );
        assert!(minified.ends_with("\"><meta charset=utf-8><script type=module>x</script>"));
    }

    #[test]
    fn the_header_has_frame_ancestors_and_every_page_hash() {
        let mut all = Inline {
            scripts: vec!["'sha256-a'".into()],
            styles: vec![],
        };
        all.merge(&Inline {
            scripts: vec!["'sha256-a'".into(), "'sha256-b'".into()],
            styles: vec!["'sha256-c'".into()],
        });
        let h = header(&all);
        assert!(h.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-a' 'sha256-b';"));
        assert!(h.contains("style-src 'self' 'sha256-c';"));
        assert!(h.ends_with("; frame-ancestors 'self'"));
        assert!(!policy(&all).contains("frame-ancestors"));
    }

    #[test]
    fn attributes_are_told_apart_from_values() {
        assert!(has_attribute(" src=/a.js", "src"));
        assert!(has_attribute(" type=module src='/a.js'", "src"));
        assert!(has_attribute(" async src", "src"));
        assert!(!has_attribute(" data-src=x", "src"));
        assert!(!has_attribute(" title='src=x' type=module", "src"));
        assert!(!has_attribute(" title=\"a src b\"", "src"));
    }
}
