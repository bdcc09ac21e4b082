//! Branch and price: best-first search with plunging over cell restrictions, each node's master
//! re-priced.
//!
//! A node restricts cells: driver `d` on day `t` works `v` (a shift, or a day off), or does not.
//! Both kinds reach the pricing DP as costs (every other option of the cell forbidden, or that
//! one), and the master's columns that break a restriction get an upper bound of 0, so the node's
//! LP is exactly the master of the restricted problem. Branching on the cell whose LP value is the
//! largest below 1 makes the first path a dive that follows the LP; the search backtracks from
//! every node whose bound (its Lagrangian bound, or its LP value once converged, rounded up: the
//! objective is integral) reaches the incumbent. A node whose LP solution is integral is a roster.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::time::Instant;

use model::{DriverIdx, RosterGrid, ShiftIdx};
use rustc_hash::FxHashMap;

use super::{Master, NodeLimits};
use crate::error::SolverError;
use crate::progress::CancelToken;
use crate::row_dp::{CellCosts, best_row_below};

/// A branching decision on one cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Restriction {
    /// The driver.
    pub driver: DriverIdx,
    /// The day.
    pub day: usize,
    /// The cell's value: a shift, or `None` for a day off.
    pub value: Option<ShiftIdx>,
    /// Whether the cell must hold `value` (or must not).
    pub holds: bool,
}

impl Restriction {
    /// Whether `row` (of this restriction's driver) keeps it.
    pub fn allows(&self, row: &[Option<ShiftIdx>]) -> bool {
        (row[self.day] == self.value) == self.holds
    }

    /// Makes the pricing costs of this restriction's driver keep it.
    pub(crate) fn apply(&self, costs: &mut CellCosts) {
        if self.holds {
            costs.force(self.day, self.value);
        } else {
            match self.value {
                Some(s) => costs.add_work(self.day, s, f64::INFINITY),
                None => costs.off[self.day] = f64::INFINITY,
            }
        }
    }
}

/// What a branch-and-price search found.
#[derive(Debug, Clone)]
pub struct BranchOutcome {
    /// A roster better than the incumbent given, if one was found.
    pub roster: Option<RosterGrid>,
    /// Whether the whole tree was searched: the best roster (found or given) is then optimal.
    pub complete: bool,
    /// Nodes solved.
    pub nodes: usize,
    /// A lower bound on every roster (the lowest bound of the open nodes, or the best roster's
    /// objective once the tree is exhausted).
    pub bound: f64,
}

/// An open node: its restrictions and its parent's LP value (a lower bound of every roster below
/// it). Ordered so that a max-heap pops the lowest bound first.
#[derive(Debug)]
struct Open {
    bound: f64,
    restrictions: Vec<Restriction>,
}

impl PartialEq for Open {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Open {}

impl PartialOrd for Open {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Open {
    /// Lower bound first; among equal bounds, the deeper node (closer to a roster).
    fn cmp(&self, other: &Self) -> Ordering {
        other.bound.total_cmp(&self.bound).then_with(|| self.restrictions.len().cmp(&other.restrictions.len()))
    }
}

impl Master<'_> {
    /// Branch and price below `incumbent` (the objective of the best roster known) until the tree is
    /// exhausted, `deadline` or cancellation. The master is back at the root afterwards.
    ///
    /// Best first with plunging: from the open node of the lowest bound, the search follows the
    /// LP's favourite value down to a leaf (a dive that keeps its siblings open), then goes back to
    /// the open node of the lowest bound. Depth first stays below the first wrong decision near
    /// the root: on Curtois Instance6 it found 1951 only at 36 s, the end of its share, and proved
    /// nothing (9751e39 with `BRANCH_AND_PRICE_DRIVERS` at 18), where best first proves 1950.
    pub fn branch_and_price(
        &mut self,
        incumbent: f64,
        deadline: Instant,
        cancel: &CancelToken,
    ) -> Result<BranchOutcome, SolverError> {
        let mut best = incumbent;
        let mut out = BranchOutcome { roster: None, complete: false, nodes: 0, bound: f64::NEG_INFINITY };
        // The root's bound is the master's (column generation has run at the root).
        let mut open = BinaryHeap::from([Open { bound: self.bound, restrictions: Vec::new() }]);
        // The node the plunge goes to next, with its parent's bound.
        let mut plunge: Option<Open> = None;
        while let Some(node) = plunge.take().or_else(|| open.pop()) {
            // Every roster below the node costs at least its parent's LP value, rounded up.
            if (node.bound - 1e-6).ceil() >= best - 1e-6 {
                continue;
            }
            if Instant::now() >= deadline || cancel.is_cancelled() {
                out.bound = open.iter().chain([&node]).map(|o| o.bound).fold(best, f64::min);
                self.restrict(Vec::new())?;
                return Ok(out);
            }
            out.nodes += 1;
            if !self.restrict(node.restrictions.clone())? {
                continue;
            }
            let (lp, node_bound, converged) =
                self.generate_at_node(NodeLimits { cutoff: best, ..NodeLimits::until(deadline) }, cancel)?;
            let bound = if converged { node_bound.max((self.lp_value - 1e-6).ceil()) } else { node_bound };
            if bound >= best - 1e-6 {
                continue;
            }
            if !converged {
                // Stopped by the deadline or cancellation: the loop ends at the next node.
                plunge = Some(node);
                continue;
            }
            match self.fractional_cell(&lp.lambda) {
                None => {
                    let grid = self.integral_roster(&lp.lambda);
                    best = self.lp_value.round();
                    out.roster = Some(grid);
                    tracing::debug!(objective = best, nodes = out.nodes, open = open.len(), "branch and price roster");
                }
                Some((driver, day, value)) => {
                    let lp_value = self.lp_value;
                    let mut without = node.restrictions.clone();
                    without.push(Restriction { driver, day, value, holds: false });
                    let mut with = node.restrictions;
                    with.push(Restriction { driver, day, value, holds: true });
                    open.push(Open { bound: lp_value, restrictions: without });
                    plunge = Some(Open { bound: lp_value, restrictions: with });
                }
            }
        }
        self.restrict(Vec::new())?;
        out.complete = true;
        out.bound = best;
        Ok(out)
    }

    /// Applies `restrictions` (replacing the current ones): columns that break one get an upper
    /// bound of 0, the others are free again. Every driver needs a column the restrictions allow;
    /// one is priced for a driver that has none. `false` when some driver has no legal row under
    /// them (the node is infeasible).
    fn restrict(&mut self, restrictions: Vec<Restriction>) -> Result<bool, SolverError> {
        let nd = self.ix.drivers();
        let mut allowed_any = vec![false; nd];
        for k in 0..self.columns.len() {
            let c = &self.columns[k];
            let ok = restrictions.iter().filter(|r| r.driver == c.driver).all(|r| r.allows(&c.row));
            allowed_any[c.driver.0] |= ok;
            self.set_bounds(k, 0.0, if ok { f64::INFINITY } else { 0.0 })?;
        }
        self.restrictions = restrictions;
        self.center = None;
        for d in (0..nd).filter(|d| !allowed_any[*d]).map(DriverIdx) {
            let mut c = self.own[d.0].clone();
            for r in self.restrictions.iter().filter(|r| r.driver == d) {
                r.apply(&mut c);
            }
            let Some(row) = best_row_below(self.ix, d, &c, f64::INFINITY) else { return Ok(false) };
            self.add_column(d, row.row)?;
        }
        Ok(true)
    }

    /// The cell to branch on: the (driver, day, value) whose LP weight is the largest below 1, if
    /// the LP solution is fractional at all.
    fn fractional_cell(&self, lambda: &[f64]) -> Option<(DriverIdx, usize, Option<ShiftIdx>)> {
        let mut weight: FxHashMap<(usize, usize, Option<ShiftIdx>), f64> = FxHashMap::default();
        for (j, c) in self.columns.iter().enumerate() {
            let w = lambda.get(j).copied().unwrap_or(0.0);
            if w > 1e-9 {
                for (t, v) in c.row.iter().enumerate() {
                    *weight.entry((c.driver.0, t, *v)).or_insert(0.0) += w;
                }
            }
        }
        weight
            .into_iter()
            .filter(|(_, w)| *w < 1.0 - 1e-6)
            .max_by(|a, b| a.1.total_cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
            .map(|((d, t, v), _)| (DriverIdx(d), t, v))
    }

    /// The roster of an integral LP solution: each driver's column of weight 1.
    fn integral_roster(&self, lambda: &[f64]) -> RosterGrid {
        let mut grid = RosterGrid::empty(self.ix.drivers(), self.ix.days());
        for (j, c) in self.columns.iter().enumerate() {
            if lambda.get(j).copied().unwrap_or(0.0) > 0.5 {
                for (t, v) in c.row.iter().enumerate() {
                    grid.set(c.driver, t, *v);
                }
            }
        }
        grid
    }
}
