//! Scenario validation: every problem at once, each with its path, never a panic.
//!
//! Serde already guarantees types and required fields; this checks what types cannot: references
//! between parts (a request naming an unknown driver), ranges (a day outside the horizon), bounds that
//! contradict each other (`max_minutes < min_minutes`) and duplicates.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::Issue;
use crate::ids::{DriverId, ShiftTypeId};
use crate::scenario::{RequestKind, Scenario};
use crate::units::{Minutes, Money};

/// Longest horizon accepted: ten years of days, far beyond any roster, but it keeps a typo from
/// allocating a grid of billions of cells.
pub const MAX_HORIZON_DAYS: usize = 3660;

/// Every consistency problem of `s`; empty when the scenario is valid.
pub fn validate(s: &Scenario) -> Vec<Issue> {
    let mut v =
        Validator { issues: Vec::new(), days: s.horizon.days, shifts: BTreeSet::new(), drivers: BTreeSet::new() };
    v.horizon(s);
    v.shift_types(s);
    v.drivers(s);
    v.demand(s);
    v.rules_and_costs(s);
    v.requests(s);
    v.pins_baseline_history(s);
    v.issues
}

struct Validator<'a> {
    issues: Vec<Issue>,
    days: usize,
    shifts: BTreeSet<&'a ShiftTypeId>,
    drivers: BTreeSet<&'a DriverId>,
}

impl<'a> Validator<'a> {
    fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.issues.push(Issue::new(path, message));
    }

    fn day(&mut self, path: &str, day: usize) {
        if day >= self.days {
            let days = self.days;
            self.push(path, format!("day {day} is outside the horizon of {days} days (0..{days})"));
        }
    }

    fn shift_ref(&mut self, path: &str, id: &ShiftTypeId) {
        if !self.shifts.contains(id) {
            self.push(path, format!("unknown shift type \"{id}\""));
        }
    }

    fn driver_ref(&mut self, path: &str, id: &DriverId) {
        if !self.drivers.contains(id) {
            self.push(path, format!("unknown driver \"{id}\""));
        }
    }

    fn non_negative_money(&mut self, path: &str, m: Money) {
        if m.cents() < 0 {
            self.push(path, format!("must not be negative, got {m}"));
        }
    }

    fn non_negative_minutes(&mut self, path: &str, m: Minutes) {
        if m.get() < 0 {
            self.push(path, format!("must not be negative, got {} minutes", m.get()));
        }
    }

    fn horizon(&mut self, s: &Scenario) {
        if s.horizon.days == 0 || s.horizon.days > MAX_HORIZON_DAYS {
            self.push("horizon.days", format!("must be between 1 and {MAX_HORIZON_DAYS}, got {}", s.horizon.days));
        }
    }

    fn shift_types(&mut self, s: &'a Scenario) {
        if s.shift_types.is_empty() {
            self.push("shift_types", "at least one shift type is required");
        }
        for (i, st) in s.shift_types.iter().enumerate() {
            let p = format!("shift_types[{i}]");
            if !st.id.is_well_formed() {
                self.push(
                    format!("{p}.id"),
                    format!("\"{}\" is not a usable id (empty, too long, blank or comma)", st.id),
                );
            }
            if !self.shifts.insert(&st.id) {
                self.push(format!("{p}.id"), format!("duplicate shift type id \"{}\"", st.id));
            }
            if !(0..Minutes::DAY.get()).contains(&st.start.get()) {
                self.push(
                    format!("{p}.start"),
                    format!("must be between 0 and 1439 minutes after midnight, got {}", st.start.get()),
                );
            }
            if st.duration.get() <= 0 || st.duration > Minutes::DAY {
                self.push(
                    format!("{p}.duration"),
                    format!("must be between 1 and 1440 minutes, got {}", st.duration.get()),
                );
            }
        }
        // Successor references can only be checked once every id is known.
        for (i, st) in s.shift_types.iter().enumerate() {
            for (j, next) in st.forbidden_next.iter().enumerate() {
                self.shift_ref(&format!("shift_types[{i}].forbidden_next[{j}]"), next);
            }
        }
    }

    fn drivers(&mut self, s: &'a Scenario) {
        if s.drivers.is_empty() {
            self.push("drivers", "at least one driver is required");
        }
        for (i, d) in s.drivers.iter().enumerate() {
            let p = format!("drivers[{i}]");
            if !d.id.is_well_formed() {
                self.push(
                    format!("{p}.id"),
                    format!("\"{}\" is not a usable id (empty, too long, blank or comma)", d.id),
                );
            }
            if !self.drivers.insert(&d.id) {
                self.push(format!("{p}.id"), format!("duplicate driver id \"{}\"", d.id));
            }
            let c = &d.contract;
            let cp = format!("{p}.contract");
            self.non_negative_minutes(&format!("{cp}.weekly_minutes"), c.weekly_minutes);
            self.non_negative_money(&format!("{cp}.hourly_rate"), c.hourly_rate);
            self.non_negative_minutes(&format!("{cp}.min_minutes"), c.min_minutes);
            if let Some(max) = c.max_minutes {
                self.non_negative_minutes(&format!("{cp}.max_minutes"), max);
                if max < c.min_minutes {
                    self.push(&cp, format!("max_minutes {} < min_minutes {}", max.get(), c.min_minutes.get()));
                }
            }
            if let Some(w) = c.max_minutes_per_week {
                self.non_negative_minutes(&format!("{cp}.max_minutes_per_week"), w);
            }
            if c.max_consecutive_days == Some(0) {
                self.push(
                    format!("{cp}.max_consecutive_days"),
                    "must be at least 1 (use unavailability to forbid all work)",
                );
            }
            if let Some(max) = c.max_consecutive_days
                && max > 0
                && c.min_consecutive_days > max
            {
                self.push(&cp, format!("min_consecutive_days {} > max_consecutive_days {max}", c.min_consecutive_days));
            }
            for (j, u) in d.unavailable.iter().enumerate() {
                self.day(&format!("{p}.unavailable[{j}].day"), u.day);
            }
        }
        // Shift references need every shift type, which `shift_types` has collected by now.
        for (i, d) in s.drivers.iter().enumerate() {
            for id in d.max_shifts.keys() {
                self.shift_ref(&format!("drivers[{i}].max_shifts.{id}"), id);
            }
        }
    }

    fn demand(&mut self, s: &Scenario) {
        let mut seen = BTreeMap::new();
        for (i, dm) in s.demand.iter().enumerate() {
            let p = format!("demand[{i}]");
            self.day(&format!("{p}.day"), dm.day);
            self.shift_ref(&format!("{p}.shift"), &dm.shift);
            self.non_negative_money(&format!("{p}.under_penalty"), dm.under_penalty);
            self.non_negative_money(&format!("{p}.over_penalty"), dm.over_penalty);
            if let Some(first) = seen.insert((dm.day, &dm.shift), i) {
                self.push(
                    p,
                    format!(
                        "duplicate demand for day {} and shift \"{}\" (first at demand[{first}])",
                        dm.day, dm.shift
                    ),
                );
            }
        }
    }

    fn rules_and_costs(&mut self, s: &Scenario) {
        let min_rest = s.rules.min_rest;
        if min_rest.get() < 0 || min_rest > Minutes(2 * Minutes::DAY.get()) {
            self.push("rules.min_rest", format!("must be between 0 and 2880 minutes, got {}", min_rest.get()));
        }
        let tiers = &s.overtime.tiers;
        if tiers.is_empty() {
            self.push("overtime.tiers", "at least one tier is required");
        }
        for (i, t) in tiers.iter().enumerate() {
            let last = i + 1 == tiers.len();
            match (t.width, last) {
                (None, false) => self.push(format!("overtime.tiers[{i}].width"), "only the last tier may be unbounded"),
                (Some(_), true) => {
                    self.push(format!("overtime.tiers[{i}].width"), "the last tier must be unbounded (width: null)")
                }
                (Some(w), false) if w.get() <= 0 => {
                    self.push(format!("overtime.tiers[{i}].width"), format!("must be positive, got {}", w.get()))
                }
                _ => {}
            }
        }
        let w = &s.weights;
        self.non_negative_money("weights.overtime_spread_per_minute", w.overtime_spread_per_minute);
        self.non_negative_money("weights.weekend_spread_per_weekend", w.weekend_spread_per_weekend);
        self.non_negative_money("weights.change", w.change);
    }

    fn requests(&mut self, s: &Scenario) {
        for (i, r) in s.requests.iter().enumerate() {
            let p = format!("requests[{i}]");
            self.driver_ref(&format!("{p}.driver"), &r.driver);
            self.day(&format!("{p}.day"), r.day);
            self.non_negative_money(&format!("{p}.weight"), r.weight);
            match (&r.shift, r.kind) {
                (Some(id), _) => self.shift_ref(&format!("{p}.shift"), id),
                (None, RequestKind::On) => self.push(format!("{p}.shift"), "a shift-on request must name its shift"),
                (None, RequestKind::Off) => {}
            }
        }
    }

    fn pins_baseline_history(&mut self, s: &Scenario) {
        let mut pinned = BTreeMap::new();
        for (i, pin) in s.pins.iter().enumerate() {
            let p = format!("pins[{i}]");
            self.driver_ref(&format!("{p}.driver"), &pin.driver);
            self.day(&format!("{p}.day"), pin.day);
            if let Some(id) = &pin.shift {
                self.shift_ref(&format!("{p}.shift"), id);
            }
            if let Some(first) = pinned.insert((&pin.driver, pin.day), i) {
                self.push(
                    p,
                    format!("driver \"{}\" is pinned twice on day {} (first at pins[{first}])", pin.driver, pin.day),
                );
            }
        }
        let mut cells = BTreeMap::new();
        for (i, a) in s.baseline.iter().flatten().enumerate() {
            let p = format!("baseline[{i}]");
            self.driver_ref(&format!("{p}.driver"), &a.driver);
            self.day(&format!("{p}.day"), a.day);
            self.shift_ref(&format!("{p}.shift"), &a.shift);
            if let Some(first) = cells.insert((&a.driver, a.day), i) {
                self.push(
                    p,
                    format!(
                        "driver \"{}\" has two baseline shifts on day {} (first at baseline[{first}])",
                        a.driver, a.day
                    ),
                );
            }
        }
        for (i, h) in s.history.iter().enumerate() {
            let p = format!("history[{i}]");
            self.driver_ref(&format!("{p}.driver"), &h.driver);
            self.shift_ref(&format!("{p}.shift"), &h.shift);
            if h.days_before == 0 || h.days_before > MAX_HORIZON_DAYS {
                self.push(
                    format!("{p}.days_before"),
                    format!("must be between 1 and {MAX_HORIZON_DAYS}, got {}", h.days_before),
                );
            }
        }
    }
}
