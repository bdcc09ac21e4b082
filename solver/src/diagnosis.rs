//! Diagnosis of infeasible scenarios through an elastic model.
//!
//! Every hard row gets a non-negative slack; minimizing the total slack finds a smallest set of rule
//! instances that must give way for a roster to exist. Those rows carry their rule, driver and day,
//! so the planner reads "R5 for driver A (minimum minutes) conflicts with R10 for driver A on days
//! 3–9" instead of "infeasible". Minutes rows (R5) are weighted per hour so that one hour of
//! shortfall weighs like one broken day rule.

use std::collections::BTreeMap;
use std::fmt;

use model::{DayIndex, DriverId, RuleCode, ScenarioIndex};
use serde::Serialize;

use crate::error::SolverError;
use crate::formulation::RosterModel;
use crate::highs_run::{RunConfig, run};

/// One rule instance that has to give way.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conflict {
    /// The rule.
    pub rule: RuleCode,
    /// The driver.
    pub driver: DriverId,
    /// The days concerned (empty for horizon-wide rules such as R5 totals).
    pub days: Vec<DayIndex>,
    /// How far the rule would have to be relaxed (in the row's unit: days, shifts or minutes).
    pub amount: f64,
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}) for driver {}", self.rule, self.rule.describe(), self.driver)?;
        match self.days.as_slice() {
            [] => Ok(()),
            [d] => write!(f, " on day {d}"),
            days => write!(f, " on days {}", days.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")),
        }
    }
}

/// Why no roster satisfies every hard rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnosis {
    /// The rule instances that conflict, grouped by rule and driver.
    pub conflicts: Vec<Conflict>,
}

impl fmt::Display for Diagnosis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.conflicts.is_empty() {
            return write!(f, "infeasible; the elastic model found no single rule to blame within its time limit");
        }
        let parts: Vec<String> = self.conflicts.iter().map(|c| c.to_string()).collect();
        write!(f, "conflicting rules: {}", parts.join("; "))
    }
}

/// Solves the elastic model of `ix` and names the rows that need slack.
pub fn diagnose(ix: &ScenarioIndex, cfg: &RunConfig<'_>) -> Result<Diagnosis, SolverError> {
    let mut m = RosterModel::build(ix, true);
    let slacks = m.slacks.take().unwrap_or_default();
    for (v, _, tag) in &slacks {
        let weight = if tag.rule == RuleCode::R5 { 1.0 / 60.0 } else { 1.0 };
        m.objective.add_mul(weight, *v);
    }
    let quiet = |_: &crate::progress::Progress| {};
    let out = run(&mut m, cfg, &quiet)?;
    let Some(cols) = out.columns else { return Ok(Diagnosis { conflicts: Vec::new() }) };
    let mut grouped: BTreeMap<(RuleCode, usize), (Vec<DayIndex>, f64)> = BTreeMap::new();
    for (_, col, tag) in slacks {
        let val = cols.get(col).copied().unwrap_or(0.0);
        if val > 1e-6 {
            let e = grouped.entry((tag.rule, tag.driver.0)).or_default();
            if let Some(day) = tag.day {
                e.0.push(day);
            }
            e.1 += val;
        }
    }
    let conflicts = grouped
        .into_iter()
        .map(|((rule, d), (mut days, amount))| {
            days.sort_unstable();
            days.dedup();
            Conflict { rule, driver: ix.driver_id(model::DriverIdx(d)).clone(), days, amount }
        })
        .collect();
    Ok(Diagnosis { conflicts })
}
