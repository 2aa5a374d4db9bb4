//! Running the real client: a pool of driver processes, one scenario each, with a deadline.

use super::*;

/// One run of a scenario: its directory, the driver's result (or why it failed), its time.
pub(crate) type Run = (PathBuf, std::result::Result<Json, String>, Duration);

pub(crate) struct Job {
    pub(crate) index: usize,
    pub(crate) dir: PathBuf,
    pub(crate) duration: Duration,
}

pub(crate) struct Done {
    pub(crate) index: usize,
    pub(crate) dir: PathBuf,
    pub(crate) result: std::result::Result<Json, String>,
    pub(crate) wall: Duration,
}

pub(crate) fn duration_of(p: &Planned) -> Duration {
    Duration::from_millis(p.plan.get("duration_ms").u64().unwrap_or(0))
}

pub(crate) fn run_root(root: &Path) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    target.join("verify").join(format!("run-{secs}"))
}

pub(crate) fn prepare_dir(p: &Planned, dir: &Path) -> Result {
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    fs::write(dir.join("plan.json"), &p.plan_text).map_err(|e| e.to_string())?;
    for (file, text) in &p.scripts {
        fs::write(dir.join(file), text).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Runs the drivers of `jobs`, `parallel` at a time, in order. As each one ends, `on_done`
/// sees it and may give more jobs (runs again), which join the queue at once.
pub(crate) fn run_pool(
    root: &Path,
    jobs: Vec<Job>,
    parallel: usize,
    mut on_done: impl FnMut(Done) -> Vec<Job>,
) {
    let python = root.join(VENV).join("bin").join("python");
    let driver = root.join("verify").join("driver.py");
    let mut outstanding = jobs.len();
    if outstanding == 0 {
        return;
    }
    let queue = Arc::new(Mutex::new(VecDeque::from(jobs)));
    let closed = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel();
    let workers: Vec<_> = (0..parallel)
        .map(|_| {
            let (queue, closed, tx) = (queue.clone(), closed.clone(), tx.clone());
            let (python, driver) = (python.clone(), driver.clone());
            std::thread::spawn(move || {
                loop {
                    let job = queue.lock().expect("queue lock").pop_front();
                    let Some(job) = job else {
                        if closed.load(Ordering::SeqCst) {
                            break;
                        }
                        std::thread::sleep(Duration::from_millis(100));
                        continue;
                    };
                    let started = Instant::now();
                    let result = run_driver(&python, &driver, &job.dir, job.duration);
                    let _ = tx.send(Done {
                        index: job.index,
                        dir: job.dir,
                        result,
                        wall: started.elapsed(),
                    });
                }
            })
        })
        .collect();
    drop(tx);
    for d in rx.iter() {
        outstanding -= 1;
        let more = on_done(d);
        outstanding += more.len();
        queue.lock().expect("queue lock").extend(more);
        if outstanding == 0 {
            break;
        }
    }
    closed.store(true, Ordering::SeqCst);
    for w in workers {
        let _ = w.join();
    }
}

/// A driver still running this long after its scenario's duration is stuck: it is killed
/// (its consumer processes die with it, verify/driver.py).
pub(crate) const DRIVER_GRACE: Duration = Duration::from_secs(120);

pub(crate) fn run_driver(
    python: &Path,
    driver: &Path,
    dir: &Path,
    duration: Duration,
) -> std::result::Result<Json, String> {
    let log = fs::File::create(dir.join("driver.out")).map_err(|e| e.to_string())?;
    let err = log.try_clone().map_err(|e| e.to_string())?;
    let mut child = Command::new(python)
        .arg(driver)
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    let deadline = Instant::now() + duration + DRIVER_GRACE;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(200)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "the driver was still running {} after the scenario's duration; killed",
                    fmt_duration(DRIVER_GRACE)
                ));
            }
            Err(e) => return Err(format!("waiting for the driver: {e}")),
        }
    };
    let text = fs::read_to_string(dir.join("result.json")).map_err(|_| {
        format!(
            "the driver wrote no result ({status}); see {}",
            dir.join("driver.out").display()
        )
    })?;
    let result = Json::parse(&text).map_err(|e| format!("result.json: {e}"))?;
    if let Some(e) = result.get("error").str() {
        return Err(format!(
            "the driver failed: {}",
            e.lines().last().unwrap_or(e)
        ));
    }
    Ok(result)
}
