//! The MILP formulation (DESIGN §4): binary `x[d, t, s]` = driver `d` works shift `s` on day `t`.
//!
//! [`RosterModel`] owns the variables and builds the expressions; each constraint family is one
//! function in [`rules`] named after its rule (search `R6`), each objective term one function in
//! [`objective`]. Cells a driver can never work (R3 with a zero maximum, R4, R10) get no variable at
//! all, so presolve starts from a smaller model.
//!
//! In *elastic* mode (used to diagnose infeasibility) every hard row gets a penalized slack and the
//! objective is the total slack; the rows whose slack is positive name the conflicting rules, drivers
//! and days.
//!
//! The MILP's objective equals the evaluator's except for two approximations that only affect which
//! roster is found, never what is reported (the evaluator re-prices every roster): overtime pay is
//! linear in minutes (the evaluator rounds per week to the cent), and fairness spreads are modelled
//! through upper/lower envelope variables.

pub mod objective;
pub mod rules;

use good_lp::{Constraint, Expression, IntoAffineExpression, ProblemVariables, Variable, variable};
use model::{DayIndex, DriverIdx, RosterGrid, RuleCode, ScenarioIndex, ShiftIdx};

/// Which hard rule (and where) a row enforces; used by the diagnosis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowTag {
    /// The rule.
    pub rule: RuleCode,
    /// The driver.
    pub driver: DriverIdx,
    /// The day the row is about, if it is about one.
    pub day: Option<DayIndex>,
}

/// Cells held at a given value while the rest is optimized (large neighbourhood search):
/// `keep[d * days + t]` true means the cell keeps its value in `grid`.
#[derive(Debug, Clone, Copy)]
pub struct Fixing<'a> {
    /// The values to keep.
    pub grid: &'a RosterGrid,
    /// Which cells are kept, indexed `d * days + t`.
    pub keep: &'a [bool],
}

/// The variables, rows and objective of one roster MILP.
pub struct RosterModel<'a> {
    /// The scenario.
    pub(crate) ix: &'a ScenarioIndex,
    /// All variables, in column order.
    pub(crate) vars: ProblemVariables,
    /// `x[(d * days + t) * shifts + s]`, `None` where the cell cannot be worked.
    pub(crate) x: Vec<Option<Variable>>,
    /// Column index of each `x` (good_lp numbers columns in creation order).
    pub(crate) x_col: Vec<usize>,
    /// The linear part of the objective.
    pub(crate) objective: Expression,
    /// The constant part of the objective (granted-by-default request weights, etc.).
    pub(crate) constant: f64,
    /// Rows, with the rule they enforce (`None` for soft rows such as cover balance).
    pub(crate) rows: Vec<(Constraint, Option<RowTag>)>,
    /// Whether some objective coefficient is fractional (overtime pay per minute); when not, the
    /// objective is integral and a bound within 1 of the incumbent proves optimality.
    pub(crate) fractional_costs: bool,
    /// Drivers that get variables and rows (all, except in a per-driver model).
    pub(crate) free: Vec<bool>,
    /// Per `[day, shift]`, drivers outside `free` already assigned there (their fixed cover).
    pub(crate) fixed_cover: Option<ndarray::Array2<u32>>,
    /// Auxiliary columns and what determines their value in a given roster (for MIP starts).
    pub(crate) aux: Vec<(usize, Aux)>,
    /// Elastic mode: slack variables of hard rows, with their column and tag.
    pub(crate) slacks: Option<Vec<(Variable, usize, RowTag)>>,
    /// Neighbourhood models: per cell `d * days + t`, `Some(value)` when the cell is kept at
    /// `value`. A kept cell has no variable; it enters every row and term as a constant. Empty for
    /// other models.
    pub(crate) kept: Vec<Option<Option<ShiftIdx>>>,
}

impl<'a> RosterModel<'a> {
    /// Builds the full model.
    pub fn build(ix: &'a ScenarioIndex, elastic: bool) -> RosterModel<'a> {
        let mut m = RosterModel::empty(ix, elastic, vec![true; ix.drivers()], None);
        m.build_rows(elastic);
        m
    }

    /// The model of a neighbourhood: only the cells `fixing` frees get variables. Drivers with no
    /// free cell are left out (their shifts are a constant part of the cover), and the kept cells of
    /// the others enter their rows as constants, so the model's size follows the neighbourhood, not
    /// the scenario (a few drivers of a 150 × 364 × 32 instance are a few thousand columns).
    /// Fairness spreads are left out (they need every driver); the evaluator prices the result.
    pub fn build_neighbourhood(ix: &'a ScenarioIndex, fixing: Fixing<'_>) -> RosterModel<'a> {
        let days = ix.days();
        let free: Vec<bool> =
            (0..ix.drivers()).map(|d| fixing.keep[d * days..(d + 1) * days].contains(&false)).collect();
        let mut cover = ndarray::Array2::<u32>::zeros((days, ix.shifts()));
        let mut kept = vec![None; ix.drivers() * days];
        for d in (0..ix.drivers()).map(DriverIdx) {
            for t in (0..days).filter(|t| fixing.keep[d.0 * days + t]) {
                let s = fixing.grid.get(d, t);
                kept[d.0 * days + t] = Some(s);
                if let Some(s) = s {
                    cover[[t, s.0]] += 1;
                }
            }
        }
        let mut m = RosterModel::empty(ix, false, free, Some(cover));
        m.kept = kept;
        m.build_rows(false);
        m.constant += m.excluded_drivers_cost(fixing.grid);
        m
    }

    /// The cost terms of the drivers a neighbourhood model leaves out, which their kept cells fix:
    /// requests, premiums, overtime and baseline changes, priced as the evaluator prices them (so
    /// the model's objective is the roster's total but for fairness spreads).
    fn excluded_drivers_cost(&self, grid: &RosterGrid) -> f64 {
        let ix = self.ix;
        let out = |d: &DriverIdx| !self.free[d.0];
        let w = &ix.scenario.weights;
        let mut cents = 0i64;
        for r in ix.on_requests.iter().filter(|r| out(&r.driver)) {
            if grid.get(r.driver, r.day) != Some(r.shift) {
                cents += r.weight.cents();
            }
        }
        for r in ix.off_requests.iter().filter(|r| out(&r.driver)) {
            if grid.get(r.driver, r.day).is_some_and(|k| r.shift.is_none_or(|want| want == k)) {
                cents += r.weight.cents();
            }
        }
        for d in (0..ix.drivers()).map(DriverIdx).filter(out) {
            if w.premiums || w.overtime {
                let pay = model::overtime::driver_pay(ix, grid, d).total;
                cents += if w.premiums { pay.premium_pay.cents() } else { 0 };
                cents += if w.overtime { pay.overtime_pay.cents() } else { 0 };
            }
            if let Some(base) = &ix.baseline {
                let changed = (0..ix.days()).filter(|t| grid.get(d, *t) != base.get(d, *t)).count();
                cents += w.change.cents() * changed as i64;
            }
        }
        cents as f64
    }

    /// A model of the drivers in `free` only; every other driver's shifts are given by
    /// `fixed_cover` (drivers per `[day, shift]`), which enters the cover rows as a constant. Used to
    /// build a first roster one driver at a time. Fairness spreads are left out (they need everyone).
    pub fn build_for_drivers(
        ix: &'a ScenarioIndex,
        free: Vec<bool>,
        fixed_cover: ndarray::Array2<u32>,
    ) -> RosterModel<'a> {
        let mut m = RosterModel::empty(ix, false, free, Some(fixed_cover));
        m.build_rows(false);
        m
    }

    /// A model with no columns or rows yet.
    fn empty(
        ix: &'a ScenarioIndex,
        elastic: bool,
        free: Vec<bool>,
        fixed_cover: Option<ndarray::Array2<u32>>,
    ) -> RosterModel<'a> {
        let cells = ix.drivers() * ix.days() * ix.shifts();
        RosterModel {
            ix,
            vars: ProblemVariables::new(),
            x: vec![None; cells],
            x_col: vec![usize::MAX; cells],
            objective: Expression::default(),
            constant: 0.0,
            rows: Vec::new(),
            slacks: elastic.then(Vec::new),
            fractional_costs: false,
            aux: Vec::new(),
            free,
            fixed_cover,
            kept: Vec::new(),
        }
    }

    fn build_rows(&mut self, elastic: bool) {
        let m = self;
        m.create_assignment_variables(elastic);
        m.r1_one_shift_per_day();
        m.r2_rest_and_successions();
        m.r3_max_shifts_per_type();
        m.r4_r10_pinned_forbidden_cells();
        m.r5_worked_minutes();
        m.r6_max_consecutive_days();
        m.r7_min_consecutive_days();
        m.r8_min_consecutive_days_off();
        m.r9_max_weekends();
        m.r11_pins();
        if !elastic {
            m.cover_terms();
            m.request_terms();
            m.premium_terms();
            m.overtime_terms();
            m.baseline_change_terms();
        }
    }

    /// The variable of cell `(d, t, s)`, if it exists.
    pub fn x(&self, d: DriverIdx, t: DayIndex, s: ShiftIdx) -> Option<Variable> {
        self.x[self.cell(d, t, s)]
    }

    fn cell(&self, d: DriverIdx, t: DayIndex, s: ShiftIdx) -> usize {
        (d.0 * self.ix.days() + t) * self.ix.shifts() + s.0
    }

    /// The variables of driver `d` on day `t`, with their shifts.
    pub(crate) fn day_vars(&self, d: DriverIdx, t: DayIndex) -> impl Iterator<Item = (ShiftIdx, Variable)> + '_ {
        let base = (d.0 * self.ix.days() + t) * self.ix.shifts();
        self.x[base..base + self.ix.shifts()].iter().enumerate().filter_map(|(s, v)| v.map(|v| (ShiftIdx(s), v)))
    }

    /// The columns of driver `d` on day `t`, with their shifts.
    fn day_cols(&self, d: DriverIdx, t: DayIndex) -> impl Iterator<Item = (ShiftIdx, usize)> + '_ {
        let base = (d.0 * self.ix.days() + t) * self.ix.shifts();
        self.x_col[base..base + self.ix.shifts()]
            .iter()
            .enumerate()
            .filter(|(_, c)| **c != usize::MAX)
            .map(|(s, c)| (ShiftIdx(s), *c))
    }

    /// `Some(value)` when cell `(d, t)` is kept at `value` (neighbourhood models only).
    pub(crate) fn kept(&self, d: DriverIdx, t: DayIndex) -> Option<Option<ShiftIdx>> {
        self.kept.get(d.0 * self.ix.days() + t).copied().flatten()
    }

    /// The shift a kept cell works, if it is kept and worked.
    pub(crate) fn kept_shift(&self, d: DriverIdx, t: DayIndex) -> Option<ShiftIdx> {
        self.kept(d, t).flatten()
    }

    /// `w[d, t] = Σ_s x[d, t, s]`: 1 when driver `d` works on day `t` (a constant 1 on a kept
    /// worked cell).
    pub(crate) fn works(&self, d: DriverIdx, t: DayIndex) -> Expression {
        let mut e = Expression::with_capacity(self.ix.shifts());
        for (_, v) in self.day_vars(d, t) {
            e.add_mul(1.0, v);
        }
        if self.kept_shift(d, t).is_some() {
            e += 1.0;
        }
        e
    }

    /// Minutes driver `d` works on day `t` as an expression, and the most it can be.
    pub(crate) fn day_minutes(&self, d: DriverIdx, t: DayIndex) -> (Expression, i64) {
        let mut e = Expression::default();
        let mut most = 0;
        for (s, v) in self.day_vars(d, t) {
            let len = self.ix.duration[s.0].get();
            e.add_mul(len as f64, v);
            most = most.max(len);
        }
        if let Some(s) = self.kept_shift(d, t) {
            let len = self.ix.duration[s.0].get();
            e += len as f64;
            most = len;
        }
        (e, most)
    }

    /// Whether driver `d` may work on day `t`: it has a variable there, or the cell is kept worked.
    pub(crate) fn may_work(&self, d: DriverIdx, t: DayIndex) -> bool {
        self.day_vars(d, t).next().is_some() || self.kept_shift(d, t).is_some()
    }

    /// Creates `x[d, t, s]` for every cell driver `d` may work: qualified and depot (R4), type
    /// allowed (R3 maximum above 0), available (R10) and compatible with a pin on that day (R11).
    /// A pinned shift always gets its variable, even on a forbidden cell, so that the conflict is
    /// visible to the diagnosis instead of silently disappearing.
    /// Kept cells of a neighbourhood model get no variable.
    fn create_assignment_variables(&mut self, elastic: bool) {
        let free = self.free.clone();
        let ix = self.ix;
        let mut pin_of = vec![None; ix.drivers() * ix.days()];
        for p in &ix.pins {
            pin_of[p.driver.0 * ix.days() + p.day] = Some(p.shift);
        }
        for d in (0..ix.drivers()).map(DriverIdx).filter(|d| free[d.0]) {
            for t in 0..ix.days() {
                let pin = pin_of[d.0 * ix.days() + t];
                if self.kept(d, t).is_some() {
                    continue;
                }
                for s in (0..ix.shifts()).map(ShiftIdx) {
                    let wanted = match pin {
                        Some(Some(p)) => p == s || (elastic && ix.can_work(d, t, s)),
                        Some(None) => elastic && ix.can_work(d, t, s),
                        None => ix.can_work(d, t, s),
                    };
                    if !wanted {
                        continue;
                    }
                    let i = self.cell(d, t, s);
                    self.x_col[i] = self.vars.len();
                    self.x[i] = Some(self.vars.add(variable().binary()));
                }
            }
        }
    }

    /// Adds an auxiliary (non-`x`) column whose value in a roster is given by `aux`.
    pub(crate) fn add_aux(&mut self, def: good_lp::VariableDefinition, aux: Aux) -> Variable {
        self.aux.push((self.vars.len(), aux));
        self.vars.add(def)
    }

    /// Adds a hard row `lhs (sense) rhs` enforcing `tag`; in elastic mode the row gets a slack.
    /// A row without variables that holds (kept cells only) is left out; one that does not hold is
    /// kept, so that the solver reports the conflict instead of losing it.
    pub(crate) fn hard(&mut self, tag: RowTag, lhs: Expression, sense: Sense, rhs: f64) {
        if (&lhs).linear_coefficients().next().is_none() {
            let c = lhs.constant();
            let holds = match sense {
                Sense::Le => c <= rhs + 1e-9,
                Sense::Ge => c >= rhs - 1e-9,
                Sense::Eq => (c - rhs).abs() <= 1e-9,
            };
            if holds {
                return;
            }
        }
        let mut lhs = lhs;
        if let Some(slacks) = self.slacks.as_mut() {
            if matches!(sense, Sense::Le | Sense::Eq) {
                let col = self.vars.len();
                let s = self.vars.add(variable().min(0.0));
                lhs.add_mul(-1.0, s);
                slacks.push((s, col, tag));
            }
            if matches!(sense, Sense::Ge | Sense::Eq) {
                let col = self.vars.len();
                let s = self.vars.add(variable().min(0.0));
                lhs.add_mul(1.0, s);
                slacks.push((s, col, tag));
            }
        }
        let row = match sense {
            Sense::Le => lhs.leq(rhs),
            Sense::Ge => lhs.geq(rhs),
            Sense::Eq => lhs.eq(rhs),
        };
        self.rows.push((row, Some(tag)));
    }

    /// Adds a soft row (not a hard rule; never relaxed).
    pub(crate) fn soft(&mut self, row: Constraint) {
        self.rows.push((row, None));
    }

    /// Writes the cells this model decides (free drivers' cells that are not kept) from a column
    /// vector into `grid`; every other cell keeps its value.
    pub fn apply_columns(&self, grid: &mut RosterGrid, columns: &[f64]) {
        let decided = self.grid_from_columns(columns);
        for d in (0..self.ix.drivers()).map(DriverIdx).filter(|d| self.free[d.0]) {
            for t in (0..self.ix.days()).filter(|t| self.kept(d, *t).is_none()) {
                grid.set(d, t, decided.get(d, t));
            }
        }
    }

    /// Decodes a column vector into a roster grid.
    pub fn grid_from_columns(&self, columns: &[f64]) -> RosterGrid {
        let ix = self.ix;
        let mut g = RosterGrid::empty(ix.drivers(), ix.days());
        for d in (0..ix.drivers()).map(DriverIdx) {
            for t in 0..ix.days() {
                let best = self
                    .day_cols(d, t)
                    .map(|(s, c)| (s, columns.get(c).copied().unwrap_or(0.0)))
                    .filter(|(_, val)| *val > 0.5)
                    .max_by(|a, b| a.1.total_cmp(&b.1));
                g.set(d, t, best.map(|(s, _)| s));
            }
        }
        g
    }

    /// A complete MIP start from `grid`: every `x` column, and every auxiliary column at the value the
    /// roster implies (cover shortfall and surplus, worked weekends, overtime per tier, spreads), so
    /// HiGHS can take it as an incumbent without repairing it. Slack columns (elastic mode) stay 0.
    pub fn start_from_grid(&self, grid: &RosterGrid) -> Vec<f64> {
        let ix = self.ix;
        let mut out = vec![0.0; self.vars.len()];
        for d in (0..ix.drivers()).map(DriverIdx) {
            for t in 0..ix.days() {
                let worked = grid.get(d, t);
                for (s, c) in self.day_cols(d, t) {
                    out[c] = if worked == Some(s) { 1.0 } else { 0.0 };
                }
            }
        }
        let mut count = ndarray::Array2::<f64>::zeros((ix.days(), ix.shifts()));
        for d in (0..ix.drivers()).map(DriverIdx) {
            for (t, s) in grid.row(d).enumerate() {
                if let Some(s) = s {
                    count[[t, s.0]] += 1.0;
                }
            }
        }
        let week_minutes = |d: DriverIdx, w: usize| -> model::Minutes {
            (0..ix.days())
                .filter(|t| ix.week_of_day[*t] == w)
                .filter_map(|t| grid.get(d, t))
                .map(|s| ix.duration[s.0])
                .sum()
        };
        let mut ot_total = vec![0.0; ix.drivers()];
        for (col, aux) in &self.aux {
            let v = match aux {
                Aux::Under { day, shift } | Aux::Over { day, shift } => {
                    let req = ix.demand[[*day, shift.0]].map_or(0.0, |c| f64::from(c.required));
                    let n = count[[*day, shift.0]];
                    if matches!(aux, Aux::Under { .. }) { (req - n).max(0.0) } else { (n - req).max(0.0) }
                }
                Aux::Weekend { driver, days } => f64::from(u8::from(days.iter().any(|t| grid.works(*driver, *t)))),
                Aux::Overtime { driver, week, tier } => {
                    let contract = ix.contract_minutes_in_week(*driver, *week);
                    let (_, tiers) = model::overtime::split_week(
                        week_minutes(*driver, *week),
                        contract,
                        &ix.scenario.overtime.tiers,
                    );
                    let m = tiers.get(*tier).map_or(0.0, |m| m.get() as f64);
                    ot_total[driver.0] += m;
                    m
                }
                // Spreads come last in column order, after every overtime column.
                Aux::SpreadHigh => ot_total.iter().copied().fold(0.0, f64::max),
                Aux::SpreadLow => ot_total.iter().copied().fold(f64::INFINITY, f64::min).min(1e12),
            };
            out[*col] = v;
        }
        out
    }

    /// How far the evaluator's objective can fall below this model's for the same roster: overtime
    /// is priced per minute here, while the evaluator rounds each (driver, week, tier) amount to
    /// the cent (at most half a cent each).
    pub fn rounding_slack(&self) -> f64 {
        0.5 * self.aux.iter().filter(|(_, a)| matches!(a, Aux::Overtime { .. })).count() as f64
    }

    /// Number of variables.
    pub fn columns(&self) -> usize {
        self.vars.len()
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows.len()
    }
}

impl std::fmt::Debug for RosterModel<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RosterModel").field("columns", &self.vars.len()).field("rows", &self.rows.len()).finish()
    }
}

/// What determines an auxiliary column's value in a roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Aux {
    /// Missing drivers of a demand cell.
    Under { day: DayIndex, shift: ShiftIdx },
    /// Surplus drivers of a demand cell.
    Over { day: DayIndex, shift: ShiftIdx },
    /// Whether a driver works the weekend made of `days`.
    Weekend { driver: DriverIdx, days: Vec<DayIndex> },
    /// Overtime minutes of a driver in an ISO week in one tier.
    Overtime { driver: DriverIdx, week: usize, tier: usize },
    /// Most overtime minutes of any driver.
    SpreadHigh,
    /// Least overtime minutes of any driver.
    SpreadLow,
}

/// Direction of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sense {
    /// `lhs ≤ rhs`.
    Le,
    /// `lhs ≥ rhs`.
    Ge,
    /// `lhs = rhs`.
    Eq,
}
