//! Building a run, with progress: every timeline the session builds goes through [`build`],
//! which reports how far in simulated time it has come to whoever listens ([`listen`]) — the
//! worker, which forwards it to the page as a progress bar.

use std::cell::RefCell;
use std::sync::Arc;

use offset_lab_sim::{Scenario, ScenarioError, Timeline};

type Listener = Box<dyn FnMut(u32)>;

thread_local! {
    static LISTENER: RefCell<Option<Listener>> = const { RefCell::new(None) };
}

/// Validates `scenario` (its work budget included) and runs it to its end, reporting progress
/// in per mille of its duration.
pub fn build(scenario: Scenario) -> Result<Timeline, ScenarioError> {
    scenario.validate()?;
    Ok(Timeline::run_with_progress(
        Arc::new(scenario),
        &mut |now, end| {
            report((now.min(end) * 1000).checked_div(end).unwrap_or(0) as u32);
        },
    ))
}

/// Tells whoever listens how far a long piece of work (a run, a proof's many runs, a sweep) has
/// come, in per mille.
pub fn report(permille: u32) {
    LISTENER.with(|l| {
        if let Some(f) = l.borrow_mut().as_mut() {
            f(permille.min(1000));
        }
    });
}

/// Runs `f` with `listener` hearing the progress of every run it builds.
pub fn listen<T>(listener: impl FnMut(u32) + 'static, f: impl FnOnce() -> T) -> T {
    LISTENER.with(|l| *l.borrow_mut() = Some(Box::new(listener)));
    let out = f();
    LISTENER.with(|l| *l.borrow_mut() = None);
    out
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use super::*;

    #[test]
    fn a_long_run_reports_its_progress_in_order() {
        let mut sc = crate::scenarios::load(crate::scenarios::MANY_PAYMENTS).unwrap();
        sc.topic.payments.count = 20_000;
        for c in &mut sc.consumers {
            c.program.processing_ms = 2;
        }
        let seen = Rc::new(RefCell::new(Vec::new()));
        let s = seen.clone();
        let tl = listen(move |p| s.borrow_mut().push(p), || build(sc)).unwrap();
        let seen = seen.borrow();
        assert!(
            !seen.is_empty(),
            "no progress from {} events",
            tl.events.len()
        );
        assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
        assert!(seen.iter().all(|p| *p <= 1000));
    }
}
