//! The real client's virtualenv: `.venv/` with the pinned confluent-kafka.

use super::*;

/// `.venv/` with the pinned real client (verify/requirements.txt), made and installed only when
/// missing or different.
pub fn setup_venv(root: &Path) -> Result {
    let venv = root.join(VENV);
    let python = venv.join("bin").join("python");
    if !python.exists() {
        if !venv_module_works() {
            let cmd = "apt-get update && apt-get install -y python3-venv";
            let is_root = output("id", &["-u"])
                .map(|s| s.trim() == "0")
                .unwrap_or(false);
            if !is_root {
                return Err(format!(
                    "python3's venv module is needed for the real-client checks; install it with:\n\n    sudo sh -c '{cmd}'\n\nthen run this command again"
                ));
            }
            println!("→ installing python3-venv (apt-get)…");
            let status = Command::new("sh")
                .args(["-c", cmd])
                .env("DEBIAN_FRONTEND", "noninteractive")
                .stdin(Stdio::null())
                .status()
                .map_err(|e| format!("cannot run apt-get: {e}"))?;
            if !status.success() || !venv_module_works() {
                return Err(format!("`{cmd}` failed"));
            }
        }
        println!("→ creating {VENV}/ (python3 -m venv)…");
        crate::run("python3", &["-m", "venv", &venv.to_string_lossy()])?;
    }
    let wanted = fs::read(root.join(REQUIREMENTS))
        .map_err(|e| format!("cannot read {REQUIREMENTS}: {e}"))?;
    let stamp = venv.join(".xtask-requirements.txt");
    if fs::read(&stamp).ok().as_deref() == Some(wanted.as_slice()) {
        println!("✓ real client already installed ({})", pinned(&wanted));
        return Ok(());
    }
    println!(
        "→ installing the real client into {VENV}/: {} (pip)…",
        pinned(&wanted)
    );
    let pip = venv.join("bin").join("pip");
    crate::run(
        &pip.to_string_lossy(),
        &[
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            &root.join(REQUIREMENTS).to_string_lossy(),
        ],
    )?;
    fs::write(&stamp, &wanted).map_err(|e| format!("cannot write {}: {e}", stamp.display()))?;
    Ok(())
}

pub(crate) fn venv_module_works() -> bool {
    // ensurepip is what Debian splits out into python3-venv.
    Command::new("python3")
        .args(["-c", "import venv, ensurepip"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

pub(crate) fn pinned(requirements: &[u8]) -> String {
    String::from_utf8_lossy(requirements)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect::<Vec<_>>()
        .join(", ")
}
