//! `offset-lab`: run Offset Lab scenarios natively.
//!
//! ```text
//! offset-lab presets                      list the built-in presets
//! offset-lab run --preset NAME [--json]   run a preset to its end
//! offset-lab run FILE [--json]            run a scenario file
//! offset-lab trace --preset NAME | FILE   print the golden-trace lines
//! offset-lab bench                       the simulator benchmark (prints figures)
//! offset-lab script (--preset NAME | FILE) --consumer NAME [-o FILE]
//!                                         the consumer's exported confluent-kafka script
//! offset-lab plan (--preset NAME | FILE) [-o FILE]
//!                                         JSON for the real-client verifier: processes,
//!                                         signals, payments, the simulated verdicts, margin
//! offset-lab phase-slices (--preset NAME | FILE) --dir DIR
//!                                         the phase explorer away from its edges: two
//!                                         scenario files per stretch of equal verdicts
//! offset-lab prove --preset NAME | FILE   every single crash of a program, and what it loses
//! offset-lab challenge [ID [SCENARIO]]    a lab step's goal, proved for a program
//! ```
//! Bad arguments or a bad file: a message on stderr and exit code 2.

use std::process::ExitCode;

mod bench;
mod explore;
mod plan;

use offset_lab_sim::trace::{Context, fmt_ms};
use offset_lab_sim::{Scenario, Timeline, Verdict, preset, preset_names};

const USAGE: &str = "usage:
  offset-lab presets
  offset-lab run (--preset NAME | FILE) [--json]
  offset-lab trace (--preset NAME | FILE)
  offset-lab check (--preset NAME | FILE)
  offset-lab link (--preset NAME | FILE) [--t MS] [--panels P1,P2] [--embed] [--base URL]
  offset-lab script (--preset NAME | FILE) --consumer NAME [-o FILE]
  offset-lab plan (--preset NAME | FILE) [-o FILE]
  offset-lab phase-slices (--preset NAME | FILE) --dir DIR
  offset-lab bench";

/// `offset-lab check`: valid or not (exit code 2, as for every bad input), and the warnings of
/// a valid scenario's run.
fn check(o: &Opts) -> Result<String, String> {
    use std::fmt::Write;
    let scenario = o.scenario()?;
    let name = o.file.clone().unwrap_or_else(|| scenario.name.clone());
    let tl = Timeline::new(scenario).map_err(|e| format!("{name}: {e}"))?;
    let warnings = offset_lab_sim::check::warnings(&tl);
    let mut s = format!(
        "{name}: valid ({} payments, {} consumers, {} simulation steps of the {} a page allows)\n",
        tl.scenario.topic.payments.count,
        tl.scenario.consumers.len(),
        tl.final_world.steps,
        offset_lab_sim::budget::STEP_BUDGET
    );
    if warnings.is_empty() {
        s.push_str("no warnings\n");
    }
    for w in &warnings {
        let _ = writeln!(s, "warning: {w}");
    }
    Ok(s)
}

/// Options after the command.
#[derive(Default)]
struct Opts {
    json: bool,
    preset: Option<String>,
    file: Option<String>,
    consumer: Option<String>,
    experiment: Option<String>,
    sets: Vec<String>,
    repeat: offset_lab_sim::sweep::grid::Repeat,
    t_ms: u64,
    panels: Vec<String>,
    embed: bool,
    base: Option<String>,
    /// `-o FILE`: write there instead of printing.
    output: Option<String>,
    dir: Option<String>,
}

fn opts(args: &[String]) -> Result<Opts, String> {
    use offset_lab_sim::sweep::grid::Repeat;
    let mut o = Opts::default();
    let mut i = 0;
    let value = |i: &mut usize, flag: &str| -> Result<String, String> {
        *i += 1;
        args.get(*i)
            .cloned()
            .ok_or_else(|| format!("{flag} needs a value"))
    };
    let count = |v: String, flag: &str| -> Result<u32, String> {
        v.parse()
            .map_err(|_| format!("{flag} takes a whole number, not \"{v}\""))
    };
    while i < args.len() {
        match args[i].as_str() {
            "--json" => o.json = true,
            "--preset" => o.preset = Some(value(&mut i, "--preset")?),
            "--consumer" => o.consumer = Some(value(&mut i, "--consumer")?),
            "--experiment" => o.experiment = Some(value(&mut i, "--experiment")?),
            "--set" => o.sets.push(value(&mut i, "--set")?),
            "--seeds" => o.repeat = Repeat::Seeds(count(value(&mut i, "--seeds")?, "--seeds")?),
            "--phases" => o.repeat = Repeat::Phases(count(value(&mut i, "--phases")?, "--phases")?),
            "--crashes" => o.repeat = Repeat::Crashes,
            "--t" => {
                let v = value(&mut i, "--t")?;
                o.t_ms = v
                    .parse()
                    .map_err(|_| format!("--t takes milliseconds, not \"{v}\""))?;
            }
            "--panels" => {
                o.panels = value(&mut i, "--panels")?
                    .split(',')
                    .filter(|p| !p.is_empty())
                    .map(str::to_string)
                    .collect()
            }
            "--embed" => o.embed = true,
            "--base" => o.base = Some(value(&mut i, "--base")?),
            "-o" => o.output = Some(value(&mut i, "-o")?),
            "--dir" => o.dir = Some(value(&mut i, "--dir")?),
            a if a.starts_with('-') => return Err(format!("unknown option {a}\n{USAGE}")),
            a => {
                if o.file.replace(a.to_string()).is_some() {
                    return Err(format!("only one scenario file, please\n{USAGE}"));
                }
            }
        }
        i += 1;
    }
    Ok(o)
}

impl Opts {
    fn scenario(&self) -> Result<Scenario, String> {
        match (&self.preset, &self.file) {
            (Some(n), None) => preset(n).map_err(|e| {
                format!(
                    "{e}; known presets: {}",
                    preset_names().collect::<Vec<_>>().join(", ")
                )
            }),
            (None, Some(f)) => {
                let text =
                    std::fs::read_to_string(f).map_err(|e| format!("cannot read {f}: {e}"))?;
                Scenario::from_json(&text).map_err(|e| format!("{f}: {e}"))
            }
            (Some(_), Some(_)) => Err(format!("give a preset or a file, not both\n{USAGE}")),
            (None, None) => Err(format!("which scenario?\n{USAGE}")),
        }
    }
}

/// `text` written to `output` (and nothing printed), or printed.
fn write_or_print(text: String, output: Option<&str>) -> Result<String, String> {
    match output {
        Some(path) => {
            std::fs::write(path, &text).map_err(|e| format!("cannot write {path}: {e}"))?;
            Ok(String::new())
        }
        None => Ok(text),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(msg) => {
            eprintln!("offset-lab: {msg}");
            ExitCode::from(2)
        }
    }
}

fn load(args: &[String]) -> Result<(Scenario, bool), String> {
    let mut json = false;
    let mut preset_name: Option<&str> = None;
    let mut file: Option<&str> = None;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--json" => json = true,
            "--preset" => {
                i += 1;
                preset_name = Some(args.get(i).ok_or("--preset needs a name")?);
            }
            a if a.starts_with('-') => return Err(format!("unknown option {a}\n{USAGE}")),
            a => {
                if file.replace(a).is_some() {
                    return Err(format!("only one scenario file, please\n{USAGE}"));
                }
            }
        }
        i += 1;
    }
    let scenario = match (preset_name, file) {
        (Some(n), None) => preset(n).map_err(|e| {
            format!(
                "{e}; known presets: {}",
                preset_names().collect::<Vec<_>>().join(", ")
            )
        })?,
        (None, Some(f)) => {
            let text = std::fs::read_to_string(f).map_err(|e| format!("cannot read {f}: {e}"))?;
            Scenario::from_json(&text).map_err(|e| format!("{f}: {e}"))?
        }
        (Some(_), Some(_)) => return Err(format!("give a preset or a file, not both\n{USAGE}")),
        (None, None) => return Err(format!("which scenario?\n{USAGE}")),
    };
    Ok((scenario, json))
}

fn run(args: &[String]) -> Result<String, String> {
    match args.first().map(String::as_str) {
        Some("presets") if args.len() == 1 => {
            Ok(preset_names().map(|n| format!("{n}\n")).collect())
        }
        Some("run") => {
            let (scenario, json) = load(&args[1..])?;
            let tl = Timeline::new(scenario).map_err(|e| e.to_string())?;
            if json {
                let mut s =
                    serde_json::to_string_pretty(&tl.report()).map_err(|e| e.to_string())?;
                s.push('\n');
                Ok(s)
            } else {
                Ok(human(&tl))
            }
        }
        Some("trace") => {
            let (scenario, _) = load(&args[1..])?;
            let tl = Timeline::new(scenario).map_err(|e| e.to_string())?;
            Ok(tl.trace_text())
        }
        Some("bench") if args.len() == 1 => bench::run(),
        Some("script") => {
            let o = opts(&args[1..])?;
            let name = o
                .consumer
                .clone()
                .ok_or_else(|| format!("which consumer? (--consumer NAME)\n{USAGE}"))?;
            write_or_print(plan::script(&o.scenario()?, &name)?, o.output.as_deref())
        }
        Some("plan") => {
            let o = opts(&args[1..])?;
            let mut s = serde_json::to_string_pretty(&plan::plan(&o.scenario()?)?)
                .map_err(|e| e.to_string())?;
            s.push('\n');
            write_or_print(s, o.output.as_deref())
        }
        Some("phase-slices") => {
            let o = opts(&args[1..])?;
            let dir = o
                .dir
                .clone()
                .ok_or_else(|| format!("where? (--dir DIR)\n{USAGE}"))?;
            std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {dir}: {e}"))?;
            let mut out = String::new();
            for (s, _, _) in plan::phase_slices(&o.scenario()?, 100) {
                let path = std::path::Path::new(&dir).join(format!("{}.json", s.name));
                let text = serde_json::to_string_pretty(&s).map_err(|e| e.to_string())?;
                std::fs::write(&path, text + "\n")
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                out.push_str(&format!("{}\n", path.display()));
            }
            Ok(out)
        }
        Some("prove") => {
            let o = opts(&args[1..])?;
            explore::prove(&o.scenario()?, o.consumer.as_deref(), o.json)
        }
        Some("experiments") if args.len() == 1 => Ok(explore::experiments()),
        Some("challenge") if args.len() == 1 => Ok(explore::challenges()),
        Some("challenge") => {
            let id = &args[1];
            if id.starts_with('-') {
                return Err(format!("which challenge?\n{}", explore::USAGE));
            }
            let o = opts(&args[2..])?;
            let scenario = if o.preset.is_some() || o.file.is_some() {
                Some(o.scenario()?)
            } else {
                None
            };
            explore::challenge(id, scenario, o.json)
        }
        Some("check") => {
            let o = opts(&args[1..])?;
            check(&o)
        }
        Some("link") => {
            let o = opts(&args[1..])?;
            let link = offset_lab_sim::link::encode(&offset_lab_sim::link::LinkState {
                scenario: o.scenario()?,
                t_ms: o.t_ms,
                panels: o.panels.clone(),
                embed: o.embed,
                event: None,
                sweep: None,
            });
            Ok(match &o.base {
                Some(base) => format!("{base}?{link}\n"),
                None => format!("?{link}\n"),
            })
        }
        Some("sweep") => {
            let o = opts(&args[1..])?;
            match &o.experiment {
                Some(name) => explore::sweep_experiment(name, o.json),
                None => explore::sweep(&o.scenario()?, &o.sets, o.repeat, o.json),
            }
        }
        Some("-h" | "--help" | "help") => Ok(format!("{USAGE}\n{}\n", explore::USAGE)),
        _ => Err(format!("{USAGE}\n{}", explore::USAGE)),
    }
}

fn human(tl: &Timeline) -> String {
    use std::fmt::Write;
    let r = tl.report();
    let ctx = Context {
        scenario: &tl.scenario,
        log: &tl.final_world.log,
    };
    let mut s = String::new();
    let title = if tl.scenario.title.is_empty() {
        &tl.scenario.name
    } else {
        &tl.scenario.title
    };
    let _ = writeln!(s, "{title}");
    let _ = writeln!(
        s,
        "seed {} · {:?} client · ran to {}\n",
        r.seed,
        r.client,
        fmt_ms(r.end_ms)
    );
    for e in &tl.events {
        if let Some(text) = e.explain(&ctx) {
            let _ = writeln!(s, "{:>10}  {text}", fmt_ms(e.at_ms));
        }
    }
    let _ = writeln!(s);
    if let Some(at) = r.cut_short_at_ms {
        let _ = writeln!(
            s,
            "CUT SHORT: the run reached the simulator's step limit at {}, before duration_ms; \
             the outcome is the state at that moment.\n",
            fmt_ms(at)
        );
    }
    let _ = write!(
        s,
        "outcome: lost {} · duplicated {} · once {} · pending {}",
        r.summary.lost, r.summary.duplicated, r.summary.once, r.summary.pending
    );
    if r.summary.skipped > 0 {
        let _ = write!(s, " · skipped {}", r.summary.skipped);
    }
    if r.summary.dead_lettered > 0 {
        let _ = write!(s, " · dead-lettered {}", r.summary.dead_lettered);
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "cost: {} commits sent ({} failed) · {} payments/s: \
         {} effects applied in the {} of simulated time \
         from the first payment polled to the last effect",
        r.metrics.commits_sent,
        r.metrics.commits_failed,
        r.metrics.payments_per_s,
        r.metrics.applications,
        fmt_ms(r.metrics.busy_ms)
    );
    for p in r
        .payments
        .iter()
        .filter(|p| matches!(p.outcome, Verdict::Lost | Verdict::Duplicated))
    {
        let _ = writeln!(
            s,
            "  {} (partition {}, offset {}): {:?}, applied {}×",
            p.id, p.partition, p.offset, p.outcome, p.applied
        );
    }
    let committed: Vec<String> = r
        .committed
        .iter()
        .map(|c| format!("{}-{}={}", tl.scenario.topic.name, c.partition, c.offset))
        .collect();
    let _ = writeln!(s, "committed: {}", committed.join(", "));
    let _ = writeln!(s, "trace hash: {}", r.trace_hash);
    s
}
