//! `cargo xtask setup`: installs what is missing, and only that, through cargo, npm or apt.

use super::*;

pub(crate) fn setup(root: &Path) -> Result {
    let started = Instant::now();
    println!("setup: checking tools (first run installs them, ~15 min on 2 cores)");
    setup_wasm_target()?;
    setup_components()?;
    setup_cargo_tool("trunk", "trunk", TRUNK_VERSION, &["--locked"])?;
    let wb = wasm_bindgen_version(root)?;
    setup_cargo_tool("wasm-bindgen-cli", "wasm-bindgen", &wb, &[])?;
    check_version("wasm-bindgen-test-runner", &wb)?;
    setup_cargo_fuzz()?;
    setup_cargo_tool("twiggy", "twiggy", size::TWIGGY_VERSION, &["--locked"])?;
    setup_npm(root)?;
    setup_chromium()?;
    verify::setup_venv(root)?;
    run_quiet("cargo", &["fetch", "--quiet"]).map_err(|e| format!("cargo fetch failed: {e}"))?;
    println!("✓ crates fetched (trunk builds offline)");
    println!("setup: done in {}", fmt_duration(started.elapsed()));
    Ok(())
}

pub(crate) fn setup_wasm_target() -> Result {
    let installed = output("rustup", &["target", "list", "--installed"])
        .map(|out| out.lines().any(|l| l.trim() == WASM_TARGET))
        .unwrap_or(false);
    if installed {
        println!("✓ rust target {WASM_TARGET} already installed");
        return Ok(());
    }
    println!("→ installing rust target {WASM_TARGET} (rustup)…");
    run("rustup", &["target", "add", WASM_TARGET])
}

/// rustfmt and clippy, for the fmt and clippy stages.
pub(crate) fn setup_components() -> Result {
    let installed = output("rustup", &["component", "list", "--installed"]).unwrap_or_default();
    let missing: Vec<&str> = ["rustfmt", "clippy"]
        .into_iter()
        .filter(|c| {
            !installed
                .lines()
                .any(|l| l.trim().split('-').next() == Some(*c))
        })
        .collect();
    if missing.is_empty() {
        println!("✓ rustfmt and clippy already installed");
        return Ok(());
    }
    println!(
        "→ installing {} (rustup component add)…",
        missing.join(" and ")
    );
    let mut args = vec!["component", "add"];
    args.extend(&missing);
    run("rustup", &args)
}

/// First whitespace-separated token after the program name in `<bin> --version`.
pub(crate) fn tool_version(bin: &str) -> Option<String> {
    let out = output(bin, &["--version"]).ok()?;
    out.split_whitespace().nth(1).map(str::to_owned)
}

pub(crate) fn setup_cargo_tool(krate: &str, bin: &str, version: &str, extra: &[&str]) -> Result {
    match tool_version(bin) {
        Some(v) if v == version => {
            println!("✓ {bin} {version} already installed");
            return Ok(());
        }
        Some(v) => println!(
            "→ {bin} is {v}, installing {version} (cargo install {krate}, several minutes)…"
        ),
        None => println!("→ installing {bin} {version} (cargo install {krate}, several minutes)…"),
    }
    let mut args = vec!["install", krate, "--version", version];
    args.extend_from_slice(extra);
    run("cargo", &args)?;
    check_version(bin, version)
}

pub(crate) fn check_version(bin: &str, version: &str) -> Result {
    match tool_version(bin) {
        Some(v) if v == version => Ok(()),
        Some(v) => Err(format!(
            "{bin} reports version {v}, expected {version} (is another copy first on PATH?)"
        )),
        None => Err(format!(
            "{bin} is not runnable after installing it (is ~/.cargo/bin on PATH?)"
        )),
    }
}

/// The `wasm-bindgen` version in Cargo.lock: the CLI must match it exactly.
pub(crate) fn wasm_bindgen_version(root: &Path) -> Result<String> {
    let lock = fs::read_to_string(root.join("Cargo.lock"))
        .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    lock_version(&lock, "wasm-bindgen")
        .ok_or_else(|| "Cargo.lock has no wasm-bindgen package".into())
}

pub(crate) fn lock_version(lock: &str, package: &str) -> Option<String> {
    let wanted = format!("name = \"{package}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == wanted {
            let next = lines.next()?.trim();
            let version = next.strip_prefix("version = \"")?.strip_suffix('"')?;
            return Some(version.to_owned());
        }
    }
    None
}

pub(crate) fn setup_npm(root: &Path) -> Result {
    let lock = root.join("package-lock.json");
    let stamp = root.join("node_modules").join(".xtask-package-lock.json");
    let wanted = fs::read(&lock).map_err(|e| format!("cannot read package-lock.json: {e}"))?;
    let current = fs::read(&stamp).ok();
    if current.as_deref() == Some(wanted.as_slice()) {
        println!("✓ npm packages already installed (wasm-opt, playwright-core, axe-core)");
    } else {
        if output("npm", &["--version"]).is_err() {
            return Err("npm not found: install Node.js 20 with npm".into());
        }
        let why = if current.is_none() {
            "node_modules missing"
        } else {
            "package-lock.json changed"
        };
        println!("→ installing npm packages ({why}): npm ci…");
        run(
            "npm",
            &["ci", "--no-audit", "--no-fund", "--loglevel=error"],
        )?;
        fs::write(&stamp, &wanted).map_err(|e| format!("cannot write {}: {e}", stamp.display()))?;
    }
    let out = output("wasm-opt", &["--version"]).unwrap_or_default();
    if !out.contains(&format!("version {WASM_OPT_VERSION}")) {
        return Err(format!(
            "wasm-opt {WASM_OPT_VERSION} from node_modules/.bin not found (got {:?}); \
             check package.json pins binaryen {WASM_OPT_VERSION}",
            out.trim()
        ));
    }
    Ok(())
}

pub(crate) fn setup_chromium() -> Result {
    let have = |p: &str| Path::new(p).exists();
    if have(CHROMIUM) && have(CHROMEDRIVER) {
        println!("✓ chromium and chromedriver already installed");
        return Ok(());
    }
    let cmd = "apt-get update && apt-get install -y chromium chromium-driver";
    let is_root = output("id", &["-u"])
        .map(|s| s.trim() == "0")
        .unwrap_or(false);
    if !is_root {
        return Err(format!(
            "Chromium and ChromeDriver are needed for the browser tests; \
             install them with:\n\n    sudo sh -c '{cmd}'\n\nthen run this command again"
        ));
    }
    println!("→ installing chromium and chromium-driver (apt-get)…");
    let status = Command::new("sh")
        .args(["-c", cmd])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdin(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run apt-get: {e}"))?;
    if !status.success() || !have(CHROMIUM) || !have(CHROMEDRIVER) {
        return Err(format!("`{cmd}` failed"));
    }
    Ok(())
}
