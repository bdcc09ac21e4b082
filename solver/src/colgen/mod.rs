//! Column generation (DESIGN §4): the master LP over whole legal rows, priced by the row DP.
//!
//! Master (a column `λ[d,p]` per generated row `p` of driver `d`, cost `c[d,p]` its own terms and
//! overtime):
//!
//! ```text
//! min  Σ c[d,p]·λ[d,p] + Σ_(t,s) under·u[t,s] + over·o[t,s]
//!      Σ_p λ[d,p] = 1                                         for every driver d      (dual π[d])
//!      Σ_(d,p) a[d,p,t,s]·λ[d,p] + u[t,s] − o[t,s] = req[t,s]  for every demand cell   (dual μ[t,s])
//!      λ, u, o ≥ 0,  u ≤ req
//! ```
//!
//! Every hard rule lives inside the columns (the DP only builds legal rows), so the master has only
//! the convexity and cover rows. Pricing driver `d` is the row DP with `μ[t,s]` subtracted from the
//! cost of working `(t,s)`; a row whose DP cost is below `π[d]` enters.
//!
//! Lower bound: for any `μ` with `−over ≤ μ ≤ under` (the duals are clamped there),
//! `L(μ) = Σ μ·req + Σ_d DP_d(μ)` is the Lagrangian dual of the cover rows, a valid bound on every
//! roster's objective without fairness spreads (which only add). It holds at every iteration, not
//! only at convergence, so a run stopped by its deadline still has a bound; at convergence it is the
//! master LP's value, usually much stronger than the compact LP relaxation (every rule is
//! convexified per driver). The objective is integral in cents, so the bound is rounded up.
//!
//! Where an exact pricing round takes seconds ([`BeamPricing`]), the beam DP prices first: its
//! rows are legal and enter like any other, but only exact rounds give a bound or prove
//! convergence, so an exact round follows whenever the beam's rows lower the master's LP value
//! more slowly than the last exact round's did.
//!
//! Rosters come from diving ([`Master::dive`]): fix the drivers whose LP row is (nearly) integral,
//! or else those with the largest row weights, re-price the others, and go on until every driver
//! is fixed; a dive that runs out of time goes on re-pricing less ([`Hurry`]). HiGHS's own
//! branch-and-bound on this set-partitioning master spends its time in root rounding heuristics,
//! so the dive is ours. The rows priced in an iteration also form a legal roster together (each
//! is a legal row); the best such is kept as well.
//!
//! Modules: `pricing` (the DPs under the duals and the generation loop at a node), `branch`
//! (branch and price below the root).

use std::time::{Duration, Instant};

use highs::{ColProblem, HighsModelStatus, Row, Sense};
use model::{DriverIdx, RosterGrid, ScenarioIndex, ShiftIdx};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rustc_hash::FxHashSet;

use crate::error::SolverError;
use crate::highs_run::use_scheduler_threads;
use crate::progress::CancelToken;
use crate::row_dp::{CellCosts, row_cost};

pub use branch::{BranchOutcome, Restriction};
pub use pricing::BeamPricing;
use pricing::NodeLimits;

mod branch;
mod pricing;

/// A generated column: one legal row of one driver.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The driver.
    pub driver: DriverIdx,
    /// The row, day by day.
    pub row: Vec<Option<ShiftIdx>>,
    /// Its own cost (requests, premiums, baseline changes, overtime), cents.
    pub cost: f64,
}

/// A demand cell of the master: its row and data.
#[derive(Debug, Clone, Copy)]
struct CoverCell {
    t: usize,
    s: usize,
    required: f64,
    under: f64,
    over: f64,
    row: Row,
}

/// The master problem and its columns.
pub struct Master<'a> {
    ix: &'a ScenarioIndex,
    /// Each driver's own cell costs.
    own: Vec<CellCosts>,
    /// The LP, between solves.
    model: Option<highs::Model>,
    convexity: Vec<Row>,
    /// `[t * shifts + s]`: the cover row of a demand cell.
    cover: Vec<Option<Row>>,
    cells: Vec<CoverCell>,
    /// Every column of a row, in HiGHS column order after the `2 · cells` cover slacks.
    columns: Vec<Column>,
    seen: FxHashSet<(usize, Vec<Option<ShiftIdx>>)>,
    /// Per driver, the column it is fixed to (diving), if any.
    fixed: Vec<Option<usize>>,
    /// Whether column bounds changed since the last solve (dual simplex then, else primal).
    bounds_changed: bool,
    /// `[t * shifts + s]`: the position of a demand cell in `cells`.
    cell_of: Vec<Option<usize>>,
    /// Dual smoothing: the cover duals with the best Lagrangian value at this node, and that value.
    center: Option<(Vec<f64>, f64)>,
    /// Branching restrictions of the current node (branch and price).
    restrictions: Vec<Restriction>,
    /// Longest a pricing round at the root may take ([`Master::generate`]); a round that runs
    /// out of it ends the generation unconverged. Metro parts of 200 drivers price for seconds a
    /// round under the master's duals (the DP prunes little where many cells pay to be worked):
    /// they would not converge in the time at hand, which is better spent by the searches.
    /// `None`: no limit.
    pub round_limit: Option<Duration>,
    /// Whether and when the beam DP prices ahead of the exact DP, at the root and in dives;
    /// `None`: exact pricing only (branch and price, which needs every node's bound, always).
    pub beam_pricing: Option<BeamPricing>,
    /// Whether an exact pricing round (not the root's first) took `beam_pricing.after` or more:
    /// from then on the beam prices first at every node, the dives' included.
    slow_exact_rounds: bool,
    /// How fast the last exact pricing iteration (its LP re-solve included) lowered the LP
    /// value, in cents per second, at any node: the beam DP goes on pricing while it does as well.
    exact_descent_rate: f64,
    /// The best Lagrangian bound so far (cents, rounded up); only root iterations count.
    pub bound: f64,
    /// The master LP's value at the last solve.
    pub lp_value: f64,
    /// Master LP solves so far.
    pub iterations: usize,
    /// Pricing rounds by the beam DP so far ([`BeamPricing`]), at any node.
    pub beam_rounds: usize,
    /// The best roster made of one iteration's priced rows, and its objective without fairness.
    pub lagrangian_roster: Option<(RosterGrid, f64)>,
}

impl std::fmt::Debug for Master<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Master")
            .field("columns", &self.columns.len())
            .field("bound", &self.bound)
            .field("lp_value", &self.lp_value)
            .finish()
    }
}

/// How a dive goes down the master (see [`Master::dive`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiveStyle {
    /// Column generation iterations after each fixing (the node's bound usually stops it earlier).
    pub reprice: usize,
    /// Each step without an integral row fixes `1 / step_share` of the free drivers.
    pub step_share: usize,
}

impl DiveStyle {
    /// Re-prices until the node converges and fixes few drivers at a time: the best rosters, on
    /// masters whose LP re-solves fast.
    pub const THOROUGH: DiveStyle = DiveStyle { reprice: 50, step_share: 8 };
    /// Fixes as few drivers a step as [`DiveStyle::THOROUGH`] but re-prices at most 5 times:
    /// the end of a thorough dive that ran out of time ([`Hurry`]). Its steps leave the LP above
    /// the root's value, but they take under a second where a thorough step with 20 drivers free
    /// takes 1 to 2 s (Curtois Instance12: 60 drivers, the degenerate master's re-solves a median
    /// of about 575 simplex iterations over a whole dive, see `scripts/master-lp-summary`).
    /// Finishing that way, from the drivers the thorough steps fixed, gave a roster of 4515 after row descent and final
    /// objectives of 4046–4151 at 60 s (4 of 5 within 1 % of 4040), where a dive from the root
    /// fixing a third of the free drivers a step and re-pricing twice had given about 4780 and
    /// 4053–4255 (2 of 4); fixing a third a step from the same drivers gave 4662 and 4154–4155.
    pub const BRISK: DiveStyle = DiveStyle { reprice: 5, step_share: 8 };
}

/// When a dive stops taking its time: from `at` on, its steps go `style` (see [`Master::dive`]).
#[derive(Debug, Clone, Copy)]
pub struct Hurry {
    /// From this instant on, the dive's steps go `style`; a step under way then stops repricing.
    pub at: Instant,
    /// The style of the steps after `at`.
    pub style: DiveStyle,
}

/// Perturbation of a dive's row weights: each is multiplied by up to `1 + DIVE_NOISE`. On
/// Curtois Instance7, dives until 36 s of a 60 s solve ended at 1057 with 0.3 (seed 0); with 1.0
/// at the best known 1056 for seeds 0 and 1 and at 1057 for seed 2; with 2.0 at 1057 (seeds 0, 2).
const DIVE_NOISE: f64 = 1.0;

/// One solve of the master LP.
struct LpSolution {
    /// Values of the row columns, in `columns` order.
    lambda: Vec<f64>,
    /// Convexity duals, then cover duals.
    duals: Vec<f64>,
}

fn highs_err(what: &str) -> impl Fn(highs::HighsStatus) -> SolverError + '_ {
    move |e| SolverError::Highs(format!("{what}: {e:?}"))
}

impl<'a> Master<'a> {
    /// The master with the rows of `start` (a legal roster) as its first columns.
    pub fn new(ix: &'a ScenarioIndex, start: &RosterGrid) -> Result<Master<'a>, SolverError> {
        let (nt, ns, nd) = (ix.days(), ix.shifts(), ix.drivers());
        let own: Vec<CellCosts> = (0..nd).map(|d| CellCosts::own_terms(ix, DriverIdx(d))).collect();
        let mut pb = ColProblem::default();
        let convexity: Vec<Row> = (0..nd).map(|_| pb.add_row(1.0..=1.0)).collect();
        let mut cover = vec![None; nt * ns];
        let mut cells = Vec::new();
        for ((t, s), cell) in ix.demand.indexed_iter() {
            if let Some(c) = cell {
                let required = f64::from(c.required);
                let row = pb.add_row(required..=required);
                cover[t * ns + s] = Some(row);
                cells.push(CoverCell {
                    t,
                    s,
                    required,
                    under: c.under.cents() as f64,
                    over: c.over.cents() as f64,
                    row,
                });
            }
        }
        for c in &cells {
            pb.add_column(c.under, 0.0..=c.required, [(c.row, 1.0)]);
            pb.add_column(c.over, 0.0.., [(c.row, -1.0)]);
        }
        let mut cell_of = vec![None; nt * ns];
        for (i, c) in cells.iter().enumerate() {
            cell_of[c.t * ns + c.s] = Some(i);
        }
        let mut model = pb.optimise(Sense::Minimise);
        let bad = |k: &str, e: highs::TrySetOptionError| SolverError::Highs(format!("option {k}: {e:?}"));
        model.try_set_option("presolve", "off").map_err(|e| bad("presolve", e))?;
        model.try_set_option("solver", "simplex").map_err(|e| bad("solver", e))?;
        model.try_set_option("threads", 1).map_err(|e| bad("threads", e))?;
        let mut m = Master {
            ix,
            own,
            model: Some(model),
            convexity,
            cover,
            cells,
            columns: Vec::new(),
            seen: FxHashSet::default(),
            fixed: vec![None; nd],
            bounds_changed: false,
            cell_of,
            center: None,
            restrictions: Vec::new(),
            round_limit: None,
            beam_pricing: None,
            slow_exact_rounds: false,
            exact_descent_rate: 0.0,
            bound: f64::NEG_INFINITY,
            lp_value: f64::INFINITY,
            iterations: 0,
            beam_rounds: 0,
            lagrangian_roster: None,
        };
        for d in (0..nd).map(DriverIdx) {
            let row: Vec<_> = start.row(d).collect();
            if !m.add_column(d, row)? {
                return Err(SolverError::Highs(format!(
                    "column generation needs a legal start roster; driver {}'s row is not",
                    ix.driver_id(d)
                )));
            }
        }
        Ok(m)
    }

    /// The generated columns.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Adds driver `d`'s `row` as a column unless it is there already; `false` if the row is not
    /// legal under the own costs (an infinite cost).
    fn add_column(&mut self, d: DriverIdx, row: Vec<Option<ShiftIdx>>) -> Result<bool, SolverError> {
        let Some(cost) = row_cost(self.ix, d, &self.own[d.0], &row) else { return Ok(false) };
        if !self.seen.insert((d.0, row.clone())) {
            return Ok(true);
        }
        let factors = self.factors(d, &row);
        let model = self.model.as_mut().expect("the master is between solves");
        model.try_add_column(cost, 0.0.., factors).map_err(highs_err("master column"))?;
        self.columns.push(Column { driver: d, row, cost });
        Ok(true)
    }

    /// The master coefficients of driver `d`'s row: its convexity row and each demand cell it works.
    fn factors(&self, d: DriverIdx, row: &[Option<ShiftIdx>]) -> Vec<(Row, f64)> {
        let ns = self.ix.shifts();
        let mut f = vec![(self.convexity[d.0], 1.0)];
        for (t, cell) in row.iter().enumerate() {
            if let Some(r) = cell.and_then(|s| self.cover[t * ns + s.0]) {
                f.push((r, 1.0));
            }
        }
        f
    }

    fn solve_lp(&mut self) -> Result<LpSolution, SolverError> {
        let mut model = self.model.take().expect("the master is between solves");
        use_scheduler_threads(1);
        // New columns leave the basis primal feasible, so primal simplex goes on from it; fixing
        // columns leaves it dual feasible, so dual simplex does.
        let strategy = if std::mem::take(&mut self.bounds_changed) { 1 } else { 4 };
        model
            .try_set_option("simplex_strategy", strategy)
            .map_err(|e| SolverError::Highs(format!("option simplex_strategy: {e:?}")))?;
        let lp_started = Instant::now();
        let solved = model.try_solve().map_err(highs_err("master LP"))?;
        let seconds = lp_started.elapsed().as_secs_f64();
        // The master is degenerate: its re-solves' iteration counts say where a dive's time goes
        // (`scripts/master-lp-summary` sums them by phase and strategy).
        tracing::trace!(
            seconds,
            strategy,
            simplex_iterations = solved.simplex_iteration_count(),
            columns = self.columns.len(),
            value = solved.objective_value(),
            "master LP"
        );
        if solved.status() != HighsModelStatus::Optimal {
            return Err(SolverError::Highs(format!("master LP ended {:?}", solved.status())));
        }
        self.iterations += 1;
        self.lp_value = solved.objective_value();
        let sol = solved.get_solution();
        let first = 2 * self.cells.len();
        let lp = LpSolution { lambda: sol.columns()[first..].to_vec(), duals: sol.dual_rows().to_vec() };
        self.model = Some(highs::Model::from(solved));
        Ok(lp)
    }

    /// Fixes driver `d` to column `j`: every other column of the driver gets an upper bound of 0.
    fn fix(&mut self, d: DriverIdx, j: usize) -> Result<(), SolverError> {
        let of_driver: Vec<usize> = (0..self.columns.len()).filter(|k| self.columns[*k].driver == d).collect();
        for k in of_driver {
            let v = if k == j { 1.0 } else { 0.0 };
            self.set_bounds(k, v, v)?;
        }
        self.fixed[d.0] = Some(j);
        self.center = None;
        Ok(())
    }

    /// Sets the bounds of the `k`-th row column.
    fn set_bounds(&mut self, k: usize, lower: f64, upper: f64) -> Result<(), SolverError> {
        let col = (2 * self.cells.len() + k) as highs_sys::HighsInt;
        let model = self.model.as_mut().expect("the master is between solves");
        // SAFETY: the pointer is the live HiGHS instance owned by `model`, and `col` one of its
        // columns (the slacks come first, then one per element of `columns`).
        let status = unsafe { highs_sys::Highs_changeColBounds(model.as_mut_ptr(), col, lower, upper) };
        if status == highs_sys::STATUS_ERROR {
            return Err(SolverError::Highs("master: changing a column's bounds failed".into()));
        }
        self.bounds_changed = true;
        Ok(())
    }

    /// A roster by diving: repeatedly fix the drivers whose LP row is integral (weight ≥ 0.99), or
    /// else `1 / style.step_share` of the free drivers with the heaviest rows, then re-price the
    /// rest (at most `style.reprice` iterations), until every driver is fixed. With `noise`, the
    /// weights are perturbed (see [`DIVE_NOISE`]) before the heaviest are chosen, so repeated
    /// dives explore different branches. With `hurry`, the steps from `hurry.at` on go
    /// `hurry.style`: the drivers fixed so far stay fixed, where starting a faster dive from the
    /// root would throw them away (on Curtois Instance12 a thorough dive fixes about 40 of 60
    /// drivers in its 9 s with the LP still at the root's value). `None` if the dive's bound
    /// reaches `incumbent` (it cannot end below it), or the deadline or a cancellation stops it
    /// first. The master is back at the root afterwards.
    pub fn dive(
        &mut self,
        style: DiveStyle,
        hurry: Option<Hurry>,
        incumbent: f64,
        mut noise: Option<&mut ChaCha8Rng>,
        deadline: Instant,
        cancel: &CancelToken,
    ) -> Result<Option<RosterGrid>, SolverError> {
        let nd = self.ix.drivers();
        let mut lp = self.solve_lp()?;
        while self.fixed.iter().any(Option::is_none) {
            let now = Instant::now();
            if now >= deadline || cancel.is_cancelled() {
                self.unfix_all()?;
                return Ok(None);
            }
            // The style of this step, and when its repricing must stop.
            let (step, step_deadline) = match hurry {
                Some(h) if now >= h.at => (h.style, deadline),
                Some(h) => (style, h.at.min(deadline)),
                None => (style, deadline),
            };
            // The heaviest column of each free driver.
            let mut heaviest: Vec<Option<(usize, f64)>> = vec![None; nd];
            for (j, c) in self.columns.iter().enumerate() {
                let d = c.driver.0;
                let w = lp.lambda.get(j).copied().unwrap_or(0.0);
                if self.fixed[d].is_none() && heaviest[d].is_none_or(|(_, hw)| w > hw) {
                    heaviest[d] = Some((j, w));
                }
            }
            let mut to_fix: Vec<(usize, usize)> = heaviest
                .iter()
                .enumerate()
                .filter_map(|(d, h)| h.filter(|(_, w)| *w >= 0.99).map(|(j, _)| (d, j)))
                .collect();
            if to_fix.is_empty() {
                // The heaviest rows of the free drivers, a share of them at a time: each step
                // costs a dual simplex re-solve of the whole master after the fixing and primal
                // ones after each re-pricing (Curtois Instance12: 3.8 s and 9.2 s of a 16 s dive,
                // see `scripts/master-lp-summary`), and the bound says when a step went wrong.
                let mut by_weight: Vec<(usize, usize, f64)> =
                    heaviest.iter().enumerate().filter_map(|(d, h)| h.map(|(j, w)| (d, j, w))).collect();
                if let Some(rng) = noise.as_deref_mut() {
                    by_weight.iter_mut().for_each(|x| x.2 *= 1.0 + DIVE_NOISE * rng.random::<f64>());
                }
                by_weight.sort_by(|a, b| b.2.total_cmp(&a.2));
                let take = (by_weight.len() / step.step_share.max(1)).max(1);
                to_fix.extend(by_weight.iter().take(take).map(|&(d, j, _)| (d, j)));
            }
            let fixing = to_fix.len();
            for (d, j) in to_fix {
                self.fix(DriverIdx(d), j)?;
            }
            let free = self.fixed.iter().filter(|f| f.is_none()).count();
            tracing::trace!(fixing, free, "dive step");
            // No cutoff: the columns priced after the bound passes the incumbent stay in the pool
            // for the next dives (with a cutoff, at 38075bc, Curtois Instance7's perturbed dives
            // ended at 1059 instead of 1058).
            let (next, node_bound, _) = self.generate_at_node(
                NodeLimits { iterations: step.reprice, beam: self.beam_pricing, ..NodeLimits::until(step_deadline) },
                cancel,
            )?;
            if node_bound >= incumbent - 1e-6 {
                self.unfix_all()?;
                return Ok(None);
            }
            lp = next;
        }
        let mut grid = RosterGrid::empty(nd, self.ix.days());
        for (d, j) in self.fixed.iter().enumerate() {
            let j = j.expect("every driver is fixed");
            for (t, cell) in self.columns[j].row.iter().enumerate() {
                grid.set(DriverIdx(d), t, *cell);
            }
        }
        self.unfix_all()?;
        Ok(Some(grid))
    }

    /// Releases every fixing (back to the root).
    fn unfix_all(&mut self) -> Result<(), SolverError> {
        for k in 0..self.columns.len() {
            self.set_bounds(k, 0.0, f64::INFINITY)?;
        }
        self.fixed.iter_mut().for_each(|f| *f = None);
        self.center = None;
        Ok(())
    }
}
