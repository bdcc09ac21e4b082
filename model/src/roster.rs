//! A roster: who works which shift on which day.
//!
//! [`Roster`] is the exchange form (a list of assignments with ids and dates, the JSON and CSV
//! formats); [`RosterGrid`] is the dense `[driver, day]` form the evaluator and the solver compute
//! with. Converting a roster to a grid resolves ids and reports double bookings (R1), which a grid
//! cannot hold.

use chrono::NaiveDate;
use ndarray::Array2;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::calendar::DayIndex;
use crate::error::{Issue, ModelError};
use crate::ids::{DriverId, DriverIdx, ShiftIdx, ShiftTypeId};
use crate::index::ScenarioIndex;

pub use crate::lifecycle::{RosterLifecycle, RosterStatus, TransitionError};

/// One worked shift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Assignment {
    /// Driver.
    pub driver: DriverId,
    /// Zero-based day of the horizon.
    pub day: DayIndex,
    /// Calendar date of that day (informational; `day` is authoritative).
    pub date: NaiveDate,
    /// Shift type worked.
    pub shift: ShiftTypeId,
}

/// A roster in exchange form. Days without an assignment are days off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Roster {
    /// Calendar date of day 0.
    pub start_date: NaiveDate,
    /// Worked shifts, ordered by driver (scenario order) then day.
    pub assignments: Vec<Assignment>,
}

impl Roster {
    /// The exchange form of `grid`, in scenario driver order then by day.
    pub fn from_grid(index: &ScenarioIndex, grid: &RosterGrid) -> Roster {
        let h = &index.scenario.horizon;
        let mut assignments = Vec::new();
        for d in 0..grid.drivers() {
            for t in 0..grid.days() {
                if let Some(s) = grid.get(DriverIdx(d), t) {
                    assignments.push(Assignment {
                        driver: index.driver_id(DriverIdx(d)).clone(),
                        day: t,
                        date: h.date(t),
                        shift: index.shift_id(s).clone(),
                    });
                }
            }
        }
        Roster { start_date: h.start_date, assignments }
    }

    /// Resolves the roster against `index`. Unknown drivers, shifts and days out of the horizon are
    /// errors (every one listed); a second shift for a driver on a day is returned as a double
    /// booking (the first one stays in the grid) so the evaluator can report it as R1.
    pub fn to_grid(&self, index: &ScenarioIndex) -> Result<(RosterGrid, Vec<DoubleBooking>), ModelError> {
        let mut grid = RosterGrid::empty(index.drivers(), index.days());
        let mut issues = Vec::new();
        let mut doubles = Vec::new();
        if self.start_date != index.scenario.horizon.start_date {
            issues.push(Issue::new(
                "start_date",
                format!("{} is not the scenario's start date {}", self.start_date, index.scenario.horizon.start_date),
            ));
        }
        for (i, a) in self.assignments.iter().enumerate() {
            let p = format!("assignments[{i}]");
            let d = index.driver_idx(&a.driver);
            let s = index.shift_idx(&a.shift);
            if d.is_none() {
                issues.push(Issue::new(format!("{p}.driver"), format!("unknown driver \"{}\"", a.driver)));
            }
            if s.is_none() {
                issues.push(Issue::new(format!("{p}.shift"), format!("unknown shift type \"{}\"", a.shift)));
            }
            if a.day >= index.days() {
                issues.push(Issue::new(
                    format!("{p}.day"),
                    format!("day {} is outside the horizon of {} days", a.day, index.days()),
                ));
            }
            let (Some(d), Some(s)) = (d, s) else { continue };
            if a.day >= index.days() {
                continue;
            }
            match grid.get(d, a.day) {
                None => grid.set(d, a.day, Some(s)),
                Some(first) => doubles.push(DoubleBooking { driver: d, day: a.day, kept: first, extra: s }),
            }
        }
        if issues.is_empty() { Ok((grid, doubles)) } else { Err(ModelError::Invalid(issues)) }
    }
}

/// A second shift given to a driver on a day that already has one (rule R1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DoubleBooking {
    /// Driver.
    pub driver: DriverIdx,
    /// Day.
    pub day: DayIndex,
    /// The shift kept in the grid.
    pub kept: ShiftIdx,
    /// The shift that did not fit.
    pub extra: ShiftIdx,
}

/// Dense roster: `cells[[driver, day]]` is the shift worked, `None` for a day off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterGrid {
    cells: Array2<Option<ShiftIdx>>,
}

impl RosterGrid {
    /// A roster where everybody is off.
    pub fn empty(drivers: usize, days: usize) -> RosterGrid {
        RosterGrid { cells: Array2::from_elem((drivers, days), None) }
    }

    /// Number of drivers.
    pub fn drivers(&self) -> usize {
        self.cells.nrows()
    }

    /// Number of days.
    pub fn days(&self) -> usize {
        self.cells.ncols()
    }

    /// Shift of driver `d` on day `t`.
    pub fn get(&self, d: DriverIdx, t: DayIndex) -> Option<ShiftIdx> {
        self.cells[[d.0, t]]
    }

    /// Sets the shift of driver `d` on day `t`.
    pub fn set(&mut self, d: DriverIdx, t: DayIndex, s: Option<ShiftIdx>) {
        self.cells[[d.0, t]] = s;
    }

    /// Whether driver `d` works on day `t`.
    pub fn works(&self, d: DriverIdx, t: DayIndex) -> bool {
        self.cells[[d.0, t]].is_some()
    }

    /// The cells of driver `d`, day by day.
    pub fn row(&self, d: DriverIdx) -> impl Iterator<Item = Option<ShiftIdx>> + '_ {
        self.cells.row(d.0).into_iter().copied()
    }

    /// Number of (driver, day) cells that differ from `other` (same shape assumed).
    pub fn changes_against(&self, other: &RosterGrid) -> usize {
        self.cells.iter().zip(other.cells.iter()).filter(|(a, b)| a != b).count()
    }

    /// The cells that differ from `other`: `(driver, day, before, after)`.
    pub fn diff(&self, before: &RosterGrid) -> Vec<(DriverIdx, DayIndex, Option<ShiftIdx>, Option<ShiftIdx>)> {
        self.cells
            .indexed_iter()
            .zip(before.cells.iter())
            .filter(|((_, a), b)| a != b)
            .map(|(((d, t), a), b)| (DriverIdx(d), t, *b, *a))
            .collect()
    }
}
