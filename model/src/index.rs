//! A validated scenario resolved to dense arrays.
//!
//! The evaluator and the solver both read the scenario through this index, so "which successions are
//! forbidden" or "what does this shift cost in premiums" is computed once, in one place, and both
//! agree by construction. Arrays are indexed `[driver, day]`, `[driver, shift]`, `[day, shift]` or
//! `[shift, next shift]` with the dense indices of [`crate::ids`].

use std::collections::HashMap;

use chrono::Weekday;
use ndarray::Array2;

use crate::calendar::DayIndex;
use crate::error::ModelError;
use crate::ids::{DriverId, DriverIdx, ShiftIdx, ShiftTypeId};
use crate::roster::RosterGrid;
use crate::scenario::{RequestKind, Scenario};
use crate::units::{Minutes, Money};
use crate::validate::validate;

/// Demand of one (day, shift type) cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemandCell {
    /// Drivers required.
    pub required: u32,
    /// Cost per missing driver.
    pub under: Money,
    /// Cost per surplus driver.
    pub over: Money,
}

impl DemandCell {
    /// Under- and over-cover cost of the cell when `working` drivers work it.
    pub fn cover_cost(&self, working: i64) -> Money {
        let required = i64::from(self.required);
        self.under * (required - working).max(0) + self.over * (working - required).max(0)
    }

    /// Change of the cover cost when one more driver works the cell than the `working` now:
    /// `-under` while it is short, `+over` once it is full.
    pub fn one_more(&self, working: i64) -> Money {
        if working < i64::from(self.required) { -self.under } else { self.over }
    }
}

/// A shift-on request, resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OnRequest {
    /// Who.
    pub driver: DriverIdx,
    /// When.
    pub day: DayIndex,
    /// The exact shift asked for.
    pub shift: ShiftIdx,
    /// Cost if not granted.
    pub weight: Money,
}

/// A shift-off request, resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffRequest {
    /// Who.
    pub driver: DriverIdx,
    /// When.
    pub day: DayIndex,
    /// The shift not wanted; `None` for any shift.
    pub shift: Option<ShiftIdx>,
    /// Cost if worked anyway.
    pub weight: Money,
}

/// A pin, resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinCell {
    /// Who.
    pub driver: DriverIdx,
    /// When.
    pub day: DayIndex,
    /// Shift to work, `None` for a day off.
    pub shift: Option<ShiftIdx>,
}

/// What the days before the horizon leave behind for one driver.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CarryInState {
    /// Shift worked on the day before day 0, if any (for the rest rule R2).
    pub last_shift: Option<ShiftIdx>,
    /// Consecutive days worked up to and including the day before day 0 (for R6).
    pub trailing_run: u32,
}

/// The scenario resolved to dense arrays. Only built from a valid scenario.
#[derive(Debug, Clone)]
pub struct ScenarioIndex {
    /// The scenario itself.
    pub scenario: Scenario,
    driver_ids: HashMap<DriverId, DriverIdx>,
    shift_ids: HashMap<ShiftTypeId, ShiftIdx>,
    /// Duration of each shift type.
    pub duration: Vec<Minutes>,
    /// `[driver, shift]`: the driver holds the duty's qualifications and depot (R4).
    pub qualified: Array2<bool>,
    /// `[driver, shift]`: maximum count over the horizon (R3); `u32::MAX` when unlimited.
    pub max_shifts: Array2<u32>,
    /// `[driver, day]`: a fixed day off, leave or sickness (R10).
    pub unavailable: Array2<bool>,
    /// `[shift, next]`: `next` may not be worked the day after `shift` (R2: explicit list or rest
    /// shorter than `rules.min_rest`).
    pub forbidden_next: Array2<bool>,
    /// `[day, shift]`: demand, if any.
    pub demand: Array2<Option<DemandCell>>,
    /// `[day, shift]`: premium percentage earned by working the shift that day (night, Sunday or
    /// holiday).
    pub premium_percent: Array2<u32>,
    /// Shift-on requests.
    pub on_requests: Vec<OnRequest>,
    /// Shift-off requests.
    pub off_requests: Vec<OffRequest>,
    /// Pins (R11).
    pub pins: Vec<PinCell>,
    /// Baseline roster, if any.
    pub baseline: Option<RosterGrid>,
    /// Per driver, the state left by the carry-in history.
    pub carry_in: Vec<CarryInState>,
    /// ISO week (numbered from 0) of each day.
    pub week_of_day: Vec<usize>,
    /// Number of horizon days in each week.
    pub days_in_week: Vec<usize>,
    /// Weekend (numbered from 0) of each Saturday and Sunday.
    pub weekend_of_day: Vec<Option<usize>>,
    /// Number of weekends.
    pub weekends: usize,
}

impl ScenarioIndex {
    /// Validates `scenario` and resolves it; `ModelError::Invalid` lists every problem.
    pub fn new(scenario: Scenario) -> Result<ScenarioIndex, ModelError> {
        let issues = validate(&scenario);
        if !issues.is_empty() {
            return Err(ModelError::Invalid(issues));
        }
        let s = &scenario;
        let (nd, nt, ns) = (s.drivers.len(), s.horizon.days, s.shift_types.len());
        let driver_ids: HashMap<_, _> =
            s.drivers.iter().enumerate().map(|(i, d)| (d.id.clone(), DriverIdx(i))).collect();
        let shift_ids: HashMap<_, _> =
            s.shift_types.iter().enumerate().map(|(i, t)| (t.id.clone(), ShiftIdx(i))).collect();
        // Validation guarantees every reference below resolves.
        let sh = |id: &ShiftTypeId| shift_ids[id];
        let dr = |id: &DriverId| driver_ids[id];

        let duration = s.shift_types.iter().map(|t| t.duration).collect();
        let qualified = Array2::from_shape_fn((nd, ns), |(d, k)| {
            let (driver, st) = (&s.drivers[d], &s.shift_types[k]);
            let depot_ok = st.depot.is_none() || st.depot == driver.depot;
            depot_ok && st.qualifications.iter().all(|q| driver.qualifications.contains(q))
        });
        let mut max_shifts = Array2::from_elem((nd, ns), u32::MAX);
        let mut unavailable = Array2::from_elem((nd, nt), false);
        for (d, driver) in s.drivers.iter().enumerate() {
            for (id, &n) in &driver.max_shifts {
                max_shifts[[d, sh(id).0]] = n;
            }
            for u in &driver.unavailable {
                unavailable[[d, u.day]] = true;
            }
        }
        let min_rest = s.rules.min_rest;
        let forbidden_next = Array2::from_shape_fn((ns, ns), |(a, b)| {
            let (first, next) = (&s.shift_types[a], &s.shift_types[b]);
            let rest = Minutes::DAY + next.start - first.end();
            first.forbidden_next.contains(&next.id) || (min_rest > Minutes::ZERO && rest < min_rest)
        });
        let mut demand = Array2::from_elem((nt, ns), None);
        for dm in &s.demand {
            demand[[dm.day, sh(&dm.shift).0]] =
                Some(DemandCell { required: dm.required, under: dm.under_penalty, over: dm.over_penalty });
        }
        let policy = &s.overtime;
        let premium_percent = Array2::from_shape_fn((nt, ns), |(t, k)| {
            let date = s.horizon.date(t);
            let sunday = s.horizon.weekday(t) == Weekday::Sun || policy.holidays.contains(&date);
            let night = if s.shift_types[k].is_night() { policy.night_premium_percent } else { 0 };
            night + if sunday { policy.sunday_holiday_premium_percent } else { 0 }
        });
        let mut on_requests = Vec::new();
        let mut off_requests = Vec::new();
        for r in &s.requests {
            match (r.kind, &r.shift) {
                (RequestKind::On, Some(id)) => {
                    on_requests.push(OnRequest { driver: dr(&r.driver), day: r.day, shift: sh(id), weight: r.weight })
                }
                // Validation refuses an on-request without a shift.
                (RequestKind::On, None) => {}
                (RequestKind::Off, shift) => off_requests.push(OffRequest {
                    driver: dr(&r.driver),
                    day: r.day,
                    shift: shift.as_ref().map(sh),
                    weight: r.weight,
                }),
            }
        }
        let pins = s
            .pins
            .iter()
            .map(|p| PinCell { driver: dr(&p.driver), day: p.day, shift: p.shift.as_ref().map(sh) })
            .collect();
        let baseline = s.baseline.as_ref().map(|cells| {
            let mut g = RosterGrid::empty(nd, nt);
            for c in cells {
                g.set(dr(&c.driver), c.day, Some(sh(&c.shift)));
            }
            g
        });
        let mut carry_in = vec![CarryInState::default(); nd];
        let mut worked_before: Vec<Vec<usize>> = vec![Vec::new(); nd];
        for h in &s.history {
            let d = dr(&h.driver).0;
            worked_before[d].push(h.days_before);
            if h.days_before == 1 {
                carry_in[d].last_shift = Some(sh(&h.shift));
            }
        }
        for (d, days) in worked_before.iter_mut().enumerate() {
            days.sort_unstable();
            days.dedup();
            // The run ending yesterday is 1, 2, … days_before without a gap.
            carry_in[d].trailing_run = days.iter().enumerate().take_while(|(i, b)| **b == i + 1).count() as u32;
        }
        let week_of_day = s.horizon.week_of_day();
        let mut days_in_week = vec![0; week_of_day.last().map_or(0, |w| w + 1)];
        for &w in &week_of_day {
            days_in_week[w] += 1;
        }
        let weekend_of_day = s.horizon.weekend_of_day();
        let weekends = s.horizon.weekend_count();
        Ok(ScenarioIndex {
            driver_ids,
            shift_ids,
            duration,
            qualified,
            max_shifts,
            unavailable,
            forbidden_next,
            demand,
            premium_percent,
            on_requests,
            off_requests,
            pins,
            baseline,
            carry_in,
            week_of_day,
            days_in_week,
            weekend_of_day,
            weekends,
            scenario,
        })
    }

    /// Number of drivers.
    pub fn drivers(&self) -> usize {
        self.scenario.drivers.len()
    }

    /// Number of days.
    pub fn days(&self) -> usize {
        self.scenario.horizon.days
    }

    /// Number of shift types.
    pub fn shifts(&self) -> usize {
        self.scenario.shift_types.len()
    }

    /// Number of ISO weeks (the first and last may be partial).
    pub fn weeks(&self) -> usize {
        self.days_in_week.len()
    }

    /// Dense index of a driver id.
    pub fn driver_idx(&self, id: &DriverId) -> Option<DriverIdx> {
        self.driver_ids.get(id).copied()
    }

    /// Dense index of a shift type id.
    pub fn shift_idx(&self, id: &ShiftTypeId) -> Option<ShiftIdx> {
        self.shift_ids.get(id).copied()
    }

    /// Id of a driver.
    pub fn driver_id(&self, d: DriverIdx) -> &DriverId {
        &self.scenario.drivers[d.0].id
    }

    /// Id of a shift type.
    pub fn shift_id(&self, s: ShiftIdx) -> &ShiftTypeId {
        &self.scenario.shift_types[s.0].id
    }

    /// Whether driver `d` may work shift `s` on day `t` as far as single cells go: qualified (R4),
    /// allowed by the type maximum (R3) and available (R10).
    pub fn can_work(&self, d: DriverIdx, t: DayIndex, s: ShiftIdx) -> bool {
        self.qualified[[d.0, s.0]] && self.max_shifts[[d.0, s.0]] > 0 && !self.unavailable[[d.0, t]]
    }

    /// Regular (non-overtime) minutes of driver `d` in week `w`: the weekly contract, pro rata for a
    /// partial week at the horizon's ends (rounded down).
    pub fn contract_minutes_in_week(&self, d: DriverIdx, w: usize) -> Minutes {
        let weekly = self.scenario.drivers[d.0].contract.weekly_minutes.get();
        Minutes(weekly * self.days_in_week[w] as i64 / 7)
    }

    /// Premium pay earned by driver `d` for working shift `s` on day `t`.
    pub fn premium_pay(&self, d: DriverIdx, t: DayIndex, s: ShiftIdx) -> Money {
        let pct = self.premium_percent[[t, s.0]];
        if pct == 0 {
            return Money::ZERO;
        }
        Money::pay(self.scenario.drivers[d.0].contract.hourly_rate, self.duration[s.0], pct)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cells_cover_cost_charges_each_missing_and_each_surplus_driver_and_one_more_is_its_step() {
        let cell = DemandCell { required: 2, under: Money(100), over: Money(7) };
        assert_eq!([0, 1, 2, 3, 5].map(|n| cell.cover_cost(n).cents()), [200, 100, 0, 7, 21]);
        for n in 0..5 {
            assert_eq!(cell.one_more(n), cell.cover_cost(n + 1) - cell.cover_cost(n), "at {n} working");
        }
    }
}
