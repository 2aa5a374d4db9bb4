//! Precompressed copies of the release site: after `trunk build --release`, every text and wasm
//! file in `dist/` gets a `.gz` (gzip level 9) and a `.br` (brotli quality 11) copy next to it,
//! so that a static server can send them as they are (nginx `gzip_static`/`brotli_static`,
//! Caddy `precompressed`) instead of compressing on every request, or not at all.
//!
//! `cargo xtask build [TRUNK ARGS]` builds the site for deployment this way; the release build
//! stage of `cargo xtask test` does the same. Both first give each page its
//! Content-Security-Policy (csp.rs), so that the compressed pages carry it too.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::{Result, fmt_duration, kib, run, setup};

/// The files that get compressed copies (by extension).
const EXTENSIONS: [&str; 5] = ["wasm", "js", "mjs", "css", "html"];
const GZIP_LEVEL: u32 = 9;
const BROTLI_QUALITY: u32 = 11;
/// Brotli's default window (4 MiB), which every browser decodes.
const BROTLI_WINDOW: u32 = 22;

/// One compressed file: its path relative to the site's root and its three sizes.
#[derive(Debug)]
pub struct Compressed {
    pub file: PathBuf,
    pub raw: u64,
    pub gz: u64,
    pub br: u64,
}

/// `cargo xtask build [ARGS]`: setup, `trunk build --release ARGS`, then the precompressed copies.
pub fn build_command(root: &Path, args: &[String]) -> Result {
    setup(root)?;
    let mut trunk = vec!["build", "--release"];
    trunk.extend(args.iter().map(String::as_str));
    run("trunk", &trunk)?;
    finish_site(&root.join("dist"))?;
    println!("✓ dist/ is ready to publish (see README: Serving the built site)");
    Ok(())
}

/// What turns trunk's `dist` into the site to publish: the first screens prerendered into its
/// pages and index.html's stylesheet inlined (xtask/prerender.mjs, in headless Chromium), each
/// page's Content-Security-Policy (which hashes the inline scripts and styles that adds), then
/// the precompressed copies (of the pages with their policy).
pub fn finish_site(dist: &Path) -> Result {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("prerender.mjs");
    let dist_arg = dist.to_string_lossy();
    run("node", &[&script.to_string_lossy(), &dist_arg])?;
    crate::csp::apply_and_print(dist)?;
    precompress_and_print(dist)
}

/// Compress the site in `dist` and print a table of the sizes.
pub fn precompress_and_print(dist: &Path) -> Result {
    let started = Instant::now();
    let done = precompress(dist)?;
    print_table(&done);
    println!(
        "  ({} files, .gz and .br written next to each, in {})",
        done.len(),
        fmt_duration(started.elapsed())
    );
    Ok(())
}

/// Write `X.gz` and `X.br` next to every wasm, js, css and html file under `dist`, replacing
/// older copies. Returns the sizes, in path order.
pub fn precompress(dist: &Path) -> Result<Vec<Compressed>> {
    let mut done = Vec::new();
    for path in files(dist)? {
        if !path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| EXTENSIONS.contains(&e))
        {
            continue;
        }
        let data = fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        // The wasm dominates: compress with both codecs at once (2 cores).
        let (gz, br) = std::thread::scope(|s| {
            let gz = s.spawn(|| gzip(&data));
            let br = brotli(&data);
            (gz.join().expect("gzip does not panic"), br)
        });
        let gz = gz?;
        write(&with_suffix(&path, "gz"), &gz)?;
        write(&with_suffix(&path, "br"), &br)?;
        done.push(Compressed {
            file: path.strip_prefix(dist).unwrap_or(&path).to_path_buf(),
            raw: data.len() as u64,
            gz: gz.len() as u64,
            br: br.len() as u64,
        });
    }
    if done.is_empty() {
        return Err(format!("nothing to compress in {}", dist.display()));
    }
    Ok(done)
}

pub fn gzip(data: &[u8]) -> Result<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(data.len() / 2),
        flate2::Compression::new(GZIP_LEVEL),
    );
    enc.write_all(data)
        .and_then(|()| enc.finish())
        .map_err(|e| format!("gzip: {e}"))
}

pub fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() / 2);
    let params = brotli::enc::BrotliEncoderParams {
        quality: BROTLI_QUALITY as i32,
        lgwin: BROTLI_WINDOW as i32,
        size_hint: data.len(),
        ..Default::default()
    };
    let mut input = data;
    brotli::BrotliCompress(&mut input, &mut out, &params).expect("compressing into memory");
    out
}

/// Every file under `dir`, recursively, sorted.
pub fn files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        let entries = fs::read_dir(&d).map_err(|e| format!("cannot read {}: {e}", d.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("cannot read {}: {e}", d.display()))?;
            let kind = entry
                .file_type()
                .map_err(|e| format!("cannot stat {}: {e}", entry.path().display()))?;
            if kind.is_dir() {
                pending.push(entry.path());
            } else if kind.is_file() {
                out.push(entry.path());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// `dist/a.wasm` → `dist/a.wasm.gz`.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

fn write(path: &Path, data: &[u8]) -> Result {
    fs::write(path, data).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn print_table(done: &[Compressed]) {
    let width = done
        .iter()
        .map(|c| c.file.display().to_string().chars().count())
        .max()
        .unwrap_or(0)
        .max(4);
    println!(
        "precompressed dist/ (gzip -{GZIP_LEVEL}, brotli -q {BROTLI_QUALITY}):\n  {:<width$}  {:>11}  {:>11}  {:>11}",
        "file", "raw", "gzip", "brotli"
    );
    for c in done {
        println!(
            "  {:<width$}  {:>11}  {:>11}  {:>11}",
            c.file.display().to_string(),
            kib(c.raw),
            kib(c.gz),
            kib(c.br)
        );
    }
    let sum = |f: fn(&Compressed) -> u64| done.iter().map(f).sum::<u64>();
    println!(
        "  {:<width$}  {:>11}  {:>11}  {:>11}",
        "total",
        kib(sum(|c| c.raw)),
        kib(sum(|c| c.gz)),
        kib(sum(|c| c.br))
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn sample() -> Vec<u8> {
        // Compressible but not trivial: text with numbers, and some binary noise.
        let mut data = Vec::new();
        for i in 0..5_000u32 {
            data.extend_from_slice(
                format!("payment P-{i:04} at offset {}\n", i * 7 % 1013).as_bytes(),
            );
            data.push((i.wrapping_mul(2_654_435_761) >> 24) as u8);
        }
        data
    }

    fn gunzip(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(data)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    fn unbrotli(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        brotli::Decompressor::new(data, 4096)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn gzip_and_brotli_round_trip() {
        for data in [Vec::new(), b"x".to_vec(), sample()] {
            let gz = gzip(&data).unwrap();
            let br = brotli(&data);
            assert_eq!(gunzip(&gz), data);
            assert_eq!(unbrotli(&br), data);
            if data.len() > 1000 {
                assert!(gz.len() < data.len() / 2, "gzip compresses");
                assert!(br.len() < gz.len(), "brotli beats gzip");
            }
        }
    }

    #[test]
    fn precompresses_the_site_files_only() {
        let dir = std::env::temp_dir().join(format!("xtask-compress-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("sub")).unwrap();
        let site = [
            ("index.html", b"<!doctype html><title>x</title>".to_vec()),
            ("app_bg.wasm", sample()),
            ("sub/worker.js", b"export default 1;".to_vec()),
            ("style.css", b".ol { color: red }".to_vec()),
            ("notes.txt", b"not compressed".to_vec()),
        ];
        for (name, data) in &site {
            fs::write(dir.join(name), data).unwrap();
        }
        // Twice: the second run replaces the copies and never compresses a copy again.
        precompress(&dir).unwrap();
        let done = precompress(&dir).unwrap();
        let names: Vec<String> = done
            .iter()
            .map(|c| c.file.to_string_lossy().replace('\\', "/"))
            .collect();
        assert_eq!(
            names,
            ["app_bg.wasm", "index.html", "style.css", "sub/worker.js"]
        );
        for (name, data) in &site[..4] {
            let path = dir.join(name);
            assert_eq!(gunzip(&fs::read(with_suffix(&path, "gz")).unwrap()), *data);
            assert_eq!(
                unbrotli(&fs::read(with_suffix(&path, "br")).unwrap()),
                *data
            );
        }
        assert!(!dir.join("notes.txt.gz").exists());
        assert!(!dir.join("app_bg.wasm.gz.gz").exists());
        let wasm = &done[0];
        assert_eq!(wasm.raw, site[1].1.len() as u64);
        assert!(wasm.br < wasm.gz && wasm.gz < wasm.raw);
        fs::remove_dir_all(&dir).unwrap();
    }
}
