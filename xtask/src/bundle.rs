//! The bundle-size stage: the page and the worker, each gzipped against its budget.

use super::*;

pub(crate) struct Bundle {
    /// (part, raw bytes, gzipped bytes) of what the page loads.
    pub(crate) page: Vec<(&'static str, u64, u64)>,
    /// The same for what the worker loads.
    pub(crate) worker: Vec<(&'static str, u64, u64)>,
}

pub(crate) fn total(parts: &[(&'static str, u64, u64)]) -> u64 {
    parts.iter().map(|p| p.2).sum()
}

impl Bundle {
    fn describe(&self) -> String {
        let list = |parts: &[(&'static str, u64, u64)]| {
            parts
                .iter()
                .map(|(k, _, gz)| format!("{k} {}", kib(*gz)))
                .collect::<Vec<_>>()
                .join(" + ")
        };
        format!(
            "page {} = {} (limit {PAGE_LIMIT_KIB:.0} KiB); worker {} = {} (limit {WORKER_LIMIT_KIB:.0} KiB), gzipped",
            list(&self.page),
            kib(total(&self.page)),
            list(&self.worker),
            kib(total(&self.worker)),
        )
    }

    fn over_limit(&self) -> Vec<String> {
        let mut over = Vec::new();
        if total(&self.page) as f64 / 1024.0 > PAGE_LIMIT_KIB {
            over.push(format!(
                "the page's bundle is over its {PAGE_LIMIT_KIB:.0} KiB budget"
            ));
        }
        if total(&self.worker) as f64 / 1024.0 > WORKER_LIMIT_KIB {
            over.push(format!(
                "the worker's bundle is over its {WORKER_LIMIT_KIB:.0} KiB budget"
            ));
        }
        over
    }
}

pub(crate) fn kib(bytes: u64) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}

/// The worker's files: `offset-lab-worker*.{wasm,js}` (its loader included).
pub(crate) fn is_worker_file(f: &Path) -> bool {
    f.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("offset-lab-worker"))
}

pub(crate) fn measure_bundle(root: &Path) -> Result<Bundle> {
    let dist = root.join("dist");
    let entries =
        fs::read_dir(&dist).map_err(|e| format!("cannot read {}: {e}", dist.display()))?;
    let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort();
    let mut bundle = Bundle {
        page: Vec::new(),
        worker: Vec::new(),
    };
    for worker in [false, true] {
        for kind in ["wasm", "js", "css"] {
            let (mut raw, mut gz) = (0, 0);
            for f in files
                .iter()
                .filter(|f| f.extension().is_some_and(|e| e == kind) && is_worker_file(f) == worker)
            {
                raw += fs::metadata(f).map(|m| m.len()).unwrap_or(0);
                gz += gzip_size(f)?;
            }
            if kind != "css" && raw == 0 {
                let whose = if worker { "the worker's" } else { "the page's" };
                return Err(format!("no .{kind} file of {whose} in dist/"));
            }
            if raw > 0 {
                let part = if worker {
                    &mut bundle.worker
                } else {
                    &mut bundle.page
                };
                part.push((kind, raw, gz));
            }
        }
    }
    Ok(bundle)
}

pub(crate) fn gzip_size(file: &Path) -> Result<u64> {
    let out = Command::new("gzip")
        .args(["-9", "-c"])
        .arg(file)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run gzip: {e}"))?;
    if !out.status.success() {
        return Err(format!("gzip failed on {}", file.display()));
    }
    Ok(out.stdout.len() as u64)
}

pub(crate) fn print_bundle(bundle: &Bundle) {
    println!("release bundle (dist/), gzip -9:");
    for (whose, parts, limit) in [
        ("page", &bundle.page, PAGE_LIMIT_KIB),
        ("worker", &bundle.worker, WORKER_LIMIT_KIB),
    ] {
        for (kind, raw, gz) in parts {
            println!(
                "  {whose:<6} {kind:<5} {:>11} raw  {:>11} gzipped",
                kib(*raw),
                kib(*gz)
            );
        }
        println!(
            "  {whose:<6} total {:>11} gzipped (limit {limit:.0} KiB)",
            kib(total(parts))
        );
    }
}

pub(crate) fn bundle_stage(root: &Path) -> Stage {
    let started = Instant::now();
    banner("bundle size");
    let (outcome, detail) = match measure_bundle(root) {
        Ok(b) => {
            print_bundle(&b);
            let over = b.over_limit();
            (
                if over.is_empty() {
                    Outcome::Passed
                } else {
                    Outcome::Failed
                },
                b.describe(),
            )
        }
        Err(e) => (Outcome::Failed, e),
    };
    Stage {
        name: "bundle size",
        outcome,
        detail,
        time: started.elapsed(),
    }
}

pub(crate) fn bundle_size_command(root: &Path) -> Result {
    setup(root)?;
    run("trunk", &["build", "--release"])?;
    let bundle = measure_bundle(root)?;
    print_bundle(&bundle);
    let over = bundle.over_limit();
    if !over.is_empty() {
        return Err(over.join("; "));
    }
    Ok(())
}
