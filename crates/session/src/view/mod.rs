//! The view-model layer: functions from the core's `(&Timeline, &World)` to plain structs the
//! components render. No Yew, no DOM: everything here is tested natively.
//!
//! ```text
//!  Timeline ─┬─ moments()        (once per run)   → callouts, auto-pause
//!            ├─ timeline_vm()    (once per run)   → swim lanes over simulated time
//!            ├─ causes()         (once per run)   → why each payment ended as it did
//!  World ────┼─ lanes()          (once per cursor) → offset cells + markers
//!            ├─ cards(now_ms)    (every frame)    → consumer cards, timers
//!            └─ narration()      (once per cursor) → readable event log
//! ```

pub mod callout;
pub mod card_timers;
pub mod cards;
pub mod chart;
pub mod clients;
pub mod lab;
pub mod lanes;
pub mod moments;
pub mod narration;
pub mod outcome;
pub mod phase;
pub mod prove;
pub mod sweep;
pub mod timeline;
mod timeline_thin;

use offset_lab_sim::scenario::{ClientModel, Scenario};
use offset_lab_sim::{Ms, Offset, Partition};

/// `01:05.012` for 65 012 ms: the simulated clock.
pub fn clock(ms: Ms) -> String {
    let s = ms / 1000;
    format!("{:02}:{:02}.{:03}", s / 60, s % 60, ms % 1000)
}

/// `v` with `decimals` (0–3) digits after the point, rounded half away from zero. Written with
/// integers: formatting an `f64` would bring the core library's float printer into the bundle.
pub fn fixed(v: f64, decimals: u32) -> String {
    let scale = 10i64.pow(decimals.min(3));
    let n = (v * scale as f64).round() as i64;
    let sign = if n < 0 { "-" } else { "" };
    let n = n.unsigned_abs();
    let scale = scale as u64;
    if scale == 1 {
        format!("{sign}{n}")
    } else {
        format!(
            "{sign}{}.{:0w$}",
            n / scale,
            n % scale,
            w = decimals.min(3) as usize
        )
    }
}

/// `2.5` for 2500, `10` for 10 000, `0.25` for 250: milliseconds as seconds, as few digits as
/// needed.
pub fn secs(ms: u64) -> String {
    let (s, frac) = (ms / 1000, ms % 1000);
    if frac == 0 {
        return s.to_string();
    }
    let digits = format!("{frac:03}");
    format!("{s}.{}", digits.trim_end_matches('0'))
}

/// `4.1 s`, `0.25 s`, `45 s`: a duration for reading.
pub fn dur(ms: u64) -> String {
    if ms >= 10_000 && ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else if ms >= 1000 {
        format!("{} s", fixed(ms as f64 / 1000.0, 1))
    } else {
        format!("{ms} ms")
    }
}

/// An offset as `position()`/`committed()` print it: `-1001` is OFFSET_INVALID.
pub fn offset_text(o: Offset) -> String {
    if !o.is_valid() {
        "-1001 (none)".to_string()
    } else {
        o.to_string()
    }
}

/// A member id that looks like the client's own.
pub fn member_id(sc: &Scenario, id: u32) -> String {
    match sc.client {
        ClientModel::Librdkafka => format!("rdkafka-{id:04}"),
        ClientModel::Java => format!(
            "consumer-{}-{id}",
            sc.consumers
                .first()
                .map_or("group", |c| c.config.group_id.as_str())
        ),
    }
}

/// `payments-0`.
pub fn part_name(sc: &Scenario, p: Partition) -> String {
    format!("{}-{p}", sc.topic.name)
}

/// `P-0001` for payment index 0.
pub fn pid(ix: u32) -> String {
    offset_lab_sim::log::payment_id(ix + 1)
}

pub fn consumer_name(sc: &Scenario, c: Option<u8>) -> String {
    c.and_then(|c| sc.consumers.get(c as usize))
        .map_or_else(|| "broker".to_string(), |c| c.name.clone())
}

#[cfg(test)]
pub(crate) mod test_util {
    use std::rc::Rc;

    use offset_lab_sim::Timeline;

    pub fn timeline(name: &str) -> Rc<Timeline> {
        Rc::new(Timeline::new(crate::scenarios::load(name).unwrap()).unwrap())
    }

    /// The cursor just after the first event named `name`.
    pub fn after(tl: &Timeline, name: &str) -> usize {
        tl.events
            .iter()
            .position(|e| e.kind.name() == name)
            .unwrap_or_else(|| panic!("no {name} event"))
            + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(clock(65_012), "01:05.012");
        assert_eq!(clock(0), "00:00.000");
        assert_eq!(dur(4100), "4.1 s");
        assert_eq!(dur(45_000), "45 s");
        assert_eq!(dur(250), "250 ms");
        assert_eq!(offset_text(Offset(-1001)), "-1001 (none)");
        assert_eq!(offset_text(Offset(3)), "3");
        assert_eq!(pid(0), "P-0001");
        assert_eq!(fixed(12.345, 1), "12.3");
        assert_eq!(fixed(-3.25, 1), "-3.3");
        assert_eq!(fixed(0.004, 2), "0.00");
        assert_eq!(fixed(50.265, 2), "50.27");
        assert_eq!(fixed(7.0, 0), "7");
        assert_eq!(secs(2500), "2.5");
        assert_eq!(secs(10_000), "10");
        assert_eq!(secs(250), "0.25");
        // The same digits as the float formatting they replace, wherever it does not round a tie.
        for tenths in -200..200 {
            let v = tenths as f64 / 10.0 + 0.01;
            assert_eq!(fixed(v, 1), format!("{v:.1}"), "{v}");
        }
    }
}
