//! The per-driver checks of the hard rules R2–R11, one function per rule. R1 (one shift per day) is
//! checked where a roster is turned into a grid (see [`crate::roster::Roster::to_grid`]).

use crate::evaluate::{Violation, weekends_worked};
use crate::ids::DriverIdx;
use crate::index::ScenarioIndex;
use crate::roster::RosterGrid;
use crate::rules::RuleCode;
use crate::scenario::AbsenceReason;
use crate::units::Minutes;

struct Checker<'a> {
    index: &'a ScenarioIndex,
    grid: &'a RosterGrid,
    d: DriverIdx,
    out: &'a mut Vec<Violation>,
}

/// Appends every violation of driver `d` to `out`, rule by rule.
pub(crate) fn check_driver(index: &ScenarioIndex, grid: &RosterGrid, d: DriverIdx, out: &mut Vec<Violation>) {
    let mut c = Checker { index, grid, d, out };
    c.r2_rest_and_successions();
    c.r3_max_shifts_per_type();
    c.r4_qualifications();
    c.r5_worked_minutes();
    c.r6_max_consecutive_days();
    c.r7_min_consecutive_days();
    c.r8_min_consecutive_days_off();
    c.r9_max_weekends();
    c.r10_days_off_and_leave();
    c.r11_pins();
}

impl Checker<'_> {
    fn push(&mut self, rule: RuleCode, day: Option<usize>, message: String) {
        let driver = self.index.driver_id(self.d).clone();
        self.out.push(Violation { rule, driver, day, message });
    }

    fn contract(&self) -> &crate::scenario::Contract {
        &self.index.scenario.drivers[self.d.0].contract
    }

    /// Lengths of maximal runs of worked (`worked = true`) or off days: `(first day, length)`.
    fn runs(&self, worked: bool) -> Vec<(usize, usize)> {
        let mut runs = Vec::new();
        let mut start = None;
        for t in 0..=self.grid.days() {
            let matches = t < self.grid.days() && self.grid.works(self.d, t) == worked;
            match (matches, start) {
                (true, None) => start = Some(t),
                (false, Some(s)) => {
                    runs.push((s, t - s));
                    start = None;
                }
                _ => {}
            }
        }
        runs
    }

    /// R2: no forbidden succession (explicit, or rest below `rules.min_rest`) on consecutive days,
    /// including from the carry-in day before the horizon into day 0.
    fn r2_rest_and_successions(&mut self) {
        let ix = self.index;
        let mut prev = ix.carry_in[self.d.0].last_shift;
        for t in 0..self.grid.days() {
            let cur = self.grid.get(self.d, t);
            if let (Some(a), Some(b)) = (prev, cur)
                && ix.forbidden_next[[a.0, b.0]]
            {
                let from = if t == 0 { "the day before the horizon".to_string() } else { format!("day {}", t - 1) };
                self.push(
                    RuleCode::R2,
                    Some(t),
                    format!(
                        "{} on day {t} may not follow {} on {from} (forbidden succession or rest below {} minutes)",
                        ix.shift_id(b),
                        ix.shift_id(a),
                        ix.scenario.rules.min_rest.get()
                    ),
                );
            }
            prev = cur;
        }
    }

    /// R3: at most `max_shifts[s]` shifts of type `s` over the horizon.
    fn r3_max_shifts_per_type(&mut self) {
        let mut count = vec![0u32; self.index.shifts()];
        for s in self.grid.row(self.d).flatten() {
            count[s.0] += 1;
        }
        for (s, n) in count.into_iter().enumerate() {
            let max = self.index.max_shifts[[self.d.0, s]];
            if n > max {
                let id = self.index.scenario.shift_types[s].id.clone();
                let shifts = if n == 1 { "shift" } else { "shifts" };
                self.push(RuleCode::R3, None, format!("works {n} {shifts} of type {id}, maximum {max}"));
            }
        }
    }

    /// R4: every worked duty's qualifications (and depot) are held.
    fn r4_qualifications(&mut self) {
        for t in 0..self.grid.days() {
            if let Some(s) = self.grid.get(self.d, t)
                && !self.index.qualified[[self.d.0, s.0]]
            {
                let st = &self.index.scenario.shift_types[s.0];
                let driver = &self.index.scenario.drivers[self.d.0];
                let missing: Vec<&str> = st
                    .qualifications
                    .iter()
                    .filter(|q| !driver.qualifications.contains(q))
                    .map(|q| q.as_str())
                    .collect();
                let mut why = Vec::new();
                if !missing.is_empty() {
                    why.push(format!("without qualification(s) {}", missing.join(", ")));
                }
                if let Some(depot) = st.depot.as_ref().filter(|dep| driver.depot.as_ref() != Some(*dep)) {
                    why.push(format!("outside the duty's depot {depot}"));
                }
                self.push(RuleCode::R4, Some(t), format!("works {} on day {t} {}", st.id, why.join(" and ")));
            }
        }
    }

    /// R5: total minutes within `[min_minutes, max_minutes]`, and each ISO week within
    /// `max_minutes_per_week`.
    fn r5_worked_minutes(&mut self) {
        let (ix, grid, d) = (self.index, self.grid, self.d);
        let minutes_on = |t: usize| grid.get(d, t).map_or(Minutes::ZERO, |s| ix.duration[s.0]);
        let total: Minutes = (0..grid.days()).map(minutes_on).sum();
        let c = self.contract().clone();
        if total < c.min_minutes {
            self.push(RuleCode::R5, None, format!("works {} minutes, minimum {}", total.get(), c.min_minutes.get()));
        }
        if let Some(max) = c.max_minutes
            && total > max
        {
            self.push(RuleCode::R5, None, format!("works {} minutes, maximum {}", total.get(), max.get()));
        }
        if let Some(max_week) = c.max_minutes_per_week {
            let mut per_week = vec![(Minutes::ZERO, usize::MAX); ix.weeks()];
            for t in 0..grid.days() {
                let w = &mut per_week[ix.week_of_day[t]];
                w.0 += minutes_on(t);
                w.1 = w.1.min(t);
            }
            for (worked, first_day) in per_week {
                if worked > max_week {
                    self.push(
                        RuleCode::R5,
                        Some(first_day),
                        format!(
                            "works {} minutes in the week starting day {first_day}, weekly maximum {}",
                            worked.get(),
                            max_week.get()
                        ),
                    );
                }
            }
        }
    }

    /// R6: no run of worked days longer than `max_consecutive_days`; a run touching day 0 continues
    /// the carry-in run.
    fn r6_max_consecutive_days(&mut self) {
        let Some(max) = self.contract().max_consecutive_days else { return };
        let carried = self.index.carry_in[self.d.0].trailing_run as usize;
        for (start, len) in self.runs(true) {
            let len = if start == 0 { len + carried } else { len };
            if len > max as usize {
                self.push(
                    RuleCode::R6,
                    Some(start),
                    format!("works {len} consecutive days from day {start}, maximum {max}"),
                );
            }
        }
    }

    /// R7: no run of worked days shorter than `min_consecutive_days`, except runs touching the first
    /// or last day of the horizon.
    fn r7_min_consecutive_days(&mut self) {
        let min = self.contract().min_consecutive_days as usize;
        let last = self.grid.days().saturating_sub(1);
        for (start, len) in self.runs(true) {
            if len < min && start > 0 && start + len - 1 < last {
                self.push(
                    RuleCode::R7,
                    Some(start),
                    format!("works only {len} consecutive day(s) from day {start}, minimum {min}"),
                );
            }
        }
    }

    /// R8: no run of days off shorter than `min_consecutive_days_off`, except runs touching the first
    /// or last day of the horizon.
    fn r8_min_consecutive_days_off(&mut self) {
        let min = self.contract().min_consecutive_days_off as usize;
        let last = self.grid.days().saturating_sub(1);
        for (start, len) in self.runs(false) {
            if len < min && start > 0 && start + len - 1 < last {
                self.push(
                    RuleCode::R8,
                    Some(start),
                    format!("has only {len} consecutive day(s) off from day {start}, minimum {min}"),
                );
            }
        }
    }

    /// R9: at most `max_weekends` weekends with a shift on the Saturday or the Sunday.
    fn r9_max_weekends(&mut self) {
        let Some(max) = self.contract().max_weekends else { return };
        let n = weekends_worked(self.index, self.grid, self.d);
        if n > max {
            self.push(RuleCode::R9, None, format!("works {n} weekends, maximum {max}"));
        }
    }

    /// R10: no shift on a fixed day off, leave or sick day.
    fn r10_days_off_and_leave(&mut self) {
        for t in 0..self.grid.days() {
            if self.index.unavailable[[self.d.0, t]]
                && let Some(s) = self.grid.get(self.d, t)
            {
                let reason = self.index.scenario.drivers[self.d.0].unavailable.iter().find(|u| u.day == t).map_or(
                    "unavailable",
                    |u| match u.reason {
                        AbsenceReason::DayOff => "a fixed day off",
                        AbsenceReason::Leave => "leave",
                        AbsenceReason::Sick => "sick leave",
                    },
                );
                self.push(
                    RuleCode::R10,
                    Some(t),
                    format!("works {} on day {t}, which is {reason}", self.index.shift_id(s)),
                );
            }
        }
    }

    /// R11: pinned cells hold their pinned value.
    fn r11_pins(&mut self) {
        let (ix, d) = (self.index, self.d);
        for p in ix.pins.iter().filter(|p| p.driver == d) {
            let got = self.grid.get(d, p.day);
            if got != p.shift {
                let show =
                    |s: Option<crate::ids::ShiftIdx>| s.map_or("off".to_string(), |s| ix.shift_id(s).to_string());
                self.push(
                    RuleCode::R11,
                    Some(p.day),
                    format!("day {} is pinned to {} but the roster has {}", p.day, show(p.shift), show(got)),
                );
            }
        }
    }
}
