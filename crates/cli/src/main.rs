//! `offset-lab`: run Offset Lab scenarios natively.
//!
//! ```text
//! offset-lab presets                      list the built-in presets
//! offset-lab run --preset NAME [--json]   run a preset to its end
//! offset-lab run FILE [--json]            run a scenario file
//! offset-lab trace --preset NAME | FILE   print the golden-trace lines
//! offset-lab bench                       the simulator benchmark (prints figures)
//! ```
//! Bad arguments or a bad file: a message on stderr and exit code 2.

use std::process::ExitCode;

mod bench;

use offset_lab_sim::trace::{Context, fmt_ms};
use offset_lab_sim::{Scenario, Timeline, Verdict, preset, preset_names};

const USAGE: &str = "usage:
  offset-lab presets
  offset-lab run (--preset NAME | FILE) [--json]
  offset-lab trace (--preset NAME | FILE)
  offset-lab bench";

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
        Some("-h" | "--help" | "help") => Ok(format!("{USAGE}\n")),
        _ => Err(USAGE.to_string()),
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
            "CUT SHORT: the run reached the simulator's step limit at {}, before duration_ms; the outcome is the state at that moment.\n",
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
        "cost: {} commits sent ({} failed) · {} payments/s: {} effects applied in the {} of simulated time from the first payment polled to the last effect",
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
