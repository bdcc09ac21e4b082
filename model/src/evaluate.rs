//! The evaluator: scenario + roster → every hard violation and the objective breakdown.
//!
//! It is the single source of truth for "is this roster legal and what does it cost": the solver
//! checks its own output with it, the CLI and the API use it for edits. It follows the Curtois & Qu
//! semantics exactly (work and off blocks touching the horizon's first or last day are exempt from the
//! minimum-length rules R7 and R8), so on a Curtois instance its total equals the benchmark objective.

use serde::{Deserialize, Serialize};

use crate::calendar::DayIndex;
use crate::error::ModelError;
use crate::ids::{DriverId, DriverIdx};
use crate::index::ScenarioIndex;
use crate::overtime::{CostForecast, cost_forecast};
use crate::roster::{DoubleBooking, Roster, RosterGrid};
use crate::rules::RuleCode;
use crate::units::{Minutes, Money};

/// A broken hard rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// Which rule.
    pub rule: RuleCode,
    /// The driver concerned.
    pub driver: DriverId,
    /// The (first) day concerned, when the rule is about days.
    pub day: Option<DayIndex>,
    /// What is wrong, in words, with the numbers.
    pub message: String,
}

/// The objective, term by term, in cents. `total()` is what the solver minimizes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectiveBreakdown {
    /// Missing drivers × under-cover penalty.
    pub uncovered: Money,
    /// Surplus drivers × over-cover penalty.
    pub over_cover: Money,
    /// Weights of shift-on requests not granted.
    pub shift_on_requests: Money,
    /// Weights of shift-off requests not granted.
    pub shift_off_requests: Money,
    /// Overtime pay (when `weights.overtime`).
    pub overtime: Money,
    /// Night, Sunday and holiday premiums (when `weights.premiums`).
    pub premiums: Money,
    /// Spread of overtime minutes between drivers × its weight.
    pub overtime_fairness: Money,
    /// Spread of worked weekends between drivers × its weight.
    pub weekend_fairness: Money,
    /// Cells changed against the baseline roster × the change weight.
    pub baseline_changes: Money,
}

impl ObjectiveBreakdown {
    /// Sum of all terms.
    pub fn total(&self) -> Money {
        self.uncovered
            + self.over_cover
            + self.shift_on_requests
            + self.shift_off_requests
            + self.overtime
            + self.premiums
            + self.overtime_fairness
            + self.weekend_fairness
            + self.baseline_changes
    }

    /// `(name, amount)` for every term, in display order.
    pub fn terms(&self) -> [(&'static str, Money); 9] {
        [
            ("uncovered", self.uncovered),
            ("over_cover", self.over_cover),
            ("shift_on_requests", self.shift_on_requests),
            ("shift_off_requests", self.shift_off_requests),
            ("overtime", self.overtime),
            ("premiums", self.premiums),
            ("overtime_fairness", self.overtime_fairness),
            ("weekend_fairness", self.weekend_fairness),
            ("baseline_changes", self.baseline_changes),
        ]
    }
}

/// Demand coverage in driver-shifts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    /// Drivers required over all cells.
    pub required: u64,
    /// Required drivers that are present.
    pub covered: u64,
    /// Required drivers that are missing.
    pub missing: u64,
    /// Drivers beyond the requirement.
    pub surplus: u64,
}

/// Per-driver figures of a roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriverSummary {
    /// Driver.
    pub driver: DriverId,
    /// Shifts worked.
    pub shifts: u32,
    /// Minutes worked.
    pub minutes: Minutes,
    /// Weekends worked.
    pub weekends: u32,
    /// Overtime minutes (all tiers).
    pub overtime_minutes: Minutes,
    /// Regular, overtime and premium pay.
    pub pay: Money,
}

/// Everything the evaluator says about a roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Every hard violation; empty for a legal roster.
    pub violations: Vec<Violation>,
    /// The objective, term by term.
    pub objective: ObjectiveBreakdown,
    /// Demand coverage.
    pub coverage: Coverage,
    /// Per-driver figures, in scenario order.
    pub drivers: Vec<DriverSummary>,
    /// Pay per driver and week.
    pub cost: CostForecast,
}

impl Evaluation {
    /// Whether no hard rule is broken.
    pub fn is_feasible(&self) -> bool {
        self.violations.is_empty()
    }
}

/// Evaluates a roster in exchange form: resolves it (unknown ids are an error), reports double
/// bookings as R1 and evaluates the rest.
pub fn evaluate_roster(index: &ScenarioIndex, roster: &Roster) -> Result<Evaluation, ModelError> {
    let (grid, doubles) = roster.to_grid(index)?;
    let mut eval = evaluate(index, &grid);
    let r1 = doubles.iter().map(|b: &DoubleBooking| Violation {
        rule: RuleCode::R1,
        driver: index.driver_id(b.driver).clone(),
        day: Some(b.day),
        message: format!("two shifts on day {}: {} and {}", b.day, index.shift_id(b.kept), index.shift_id(b.extra)),
    });
    eval.violations.splice(0..0, r1);
    Ok(eval)
}

/// Evaluates `grid` (which cannot hold two shifts in a cell, so R1 holds by construction).
pub fn evaluate(index: &ScenarioIndex, grid: &RosterGrid) -> Evaluation {
    let mut violations = Vec::new();
    for d in 0..index.drivers() {
        crate::evaluate_rules::check_driver(index, grid, DriverIdx(d), &mut violations);
    }
    let cost = cost_forecast(index, grid);
    let (objective, coverage) = objective(index, grid, &cost);
    let drivers = cost
        .drivers
        .iter()
        .enumerate()
        .map(|(d, pay)| DriverSummary {
            driver: pay.driver.clone(),
            shifts: grid.row(DriverIdx(d)).flatten().count() as u32,
            minutes: pay.total.worked,
            weekends: weekends_worked(index, grid, DriverIdx(d)),
            overtime_minutes: pay.total.overtime_minutes(),
            pay: pay.total.total_pay(),
        })
        .collect();
    Evaluation { violations, objective, coverage, drivers, cost }
}

/// The hard violations of one driver (R2–R11), e.g. to repair a roster cell by cell.
pub fn driver_violations(index: &ScenarioIndex, grid: &RosterGrid, d: DriverIdx) -> Vec<Violation> {
    let mut out = Vec::new();
    crate::evaluate_rules::check_driver(index, grid, d, &mut out);
    out
}

/// Number of weekends in which driver `d` works on the Saturday or the Sunday (or both).
pub fn weekends_worked(index: &ScenarioIndex, grid: &RosterGrid, d: DriverIdx) -> u32 {
    let mut worked = vec![false; index.weekends];
    for (t, w) in index.weekend_of_day.iter().enumerate() {
        if let Some(w) = w
            && grid.works(d, t)
        {
            worked[*w] = true;
        }
    }
    worked.iter().filter(|w| **w).count() as u32
}

fn objective(index: &ScenarioIndex, grid: &RosterGrid, cost: &CostForecast) -> (ObjectiveBreakdown, Coverage) {
    let mut o = ObjectiveBreakdown::default();
    let mut cov = Coverage::default();
    let (nt, ns) = (index.days(), index.shifts());
    let mut count = ndarray::Array2::<u64>::zeros((nt, ns));
    for d in 0..index.drivers() {
        for (t, s) in grid.row(DriverIdx(d)).enumerate() {
            if let Some(s) = s {
                count[[t, s.0]] += 1;
            }
        }
    }
    for ((t, s), cell) in index.demand.indexed_iter() {
        let Some(cell) = cell else { continue };
        let (req, n) = (u64::from(cell.required), count[[t, s]]);
        let missing = req.saturating_sub(n);
        let surplus = n.saturating_sub(req);
        cov.required += req;
        cov.covered += req - missing;
        cov.missing += missing;
        cov.surplus += surplus;
        o.uncovered += cell.under * missing as i64;
        o.over_cover += cell.over * surplus as i64;
    }
    for r in &index.on_requests {
        if grid.get(r.driver, r.day) != Some(r.shift) {
            o.shift_on_requests += r.weight;
        }
    }
    for r in &index.off_requests {
        let worked = grid.get(r.driver, r.day);
        let hit = match r.shift {
            Some(s) => worked == Some(s),
            None => worked.is_some(),
        };
        if hit {
            o.shift_off_requests += r.weight;
        }
    }
    let w = &index.scenario.weights;
    if w.overtime {
        o.overtime = cost.total.overtime_pay;
    }
    if w.premiums {
        o.premiums = cost.total.premium_pay;
    }
    if w.overtime_spread_per_minute > Money::ZERO {
        let ot: Vec<i64> = cost.drivers.iter().map(|p| p.total.overtime_minutes().get()).collect();
        o.overtime_fairness = w.overtime_spread_per_minute * spread(&ot);
    }
    if w.weekend_spread_per_weekend > Money::ZERO {
        let we: Vec<i64> =
            (0..index.drivers()).map(|d| i64::from(weekends_worked(index, grid, DriverIdx(d)))).collect();
        o.weekend_fairness = w.weekend_spread_per_weekend * spread(&we);
    }
    if let Some(base) = &index.baseline {
        o.baseline_changes = w.change * grid.changes_against(base) as i64;
    }
    (o, cov)
}

/// `max − min`, 0 for an empty slice.
fn spread(v: &[i64]) -> i64 {
    match (v.iter().max(), v.iter().min()) {
        (Some(a), Some(b)) => a - b,
        _ => 0,
    }
}
