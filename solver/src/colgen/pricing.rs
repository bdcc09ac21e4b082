//! Pricing: the row DP of every driver under the master's duals, exact or by a beam, and column
//! generation at a node ([`Master::generate_at_node`]) and at the root ([`Master::generate`]).

use std::time::{Duration, Instant};

use model::{DriverIdx, RosterGrid, ScenarioIndex, ShiftIdx};
use rayon::prelude::*;

use super::{LpSolution, Master};
use crate::error::SolverError;
use crate::progress::CancelToken;
use crate::row_dp::{CellCosts, best_row_below, good_row_within, row_cost};

/// Pricing by the beam DP ahead of the exact DP. Where the exact DP takes seconds a round
/// (Curtois Instance13: 120 drivers, 18 shift types, 1.5–5.9 s), the beam finds improving rows in
/// a tenth of a second; the exact rounds, which alone give a bound and prove convergence, come
/// when the beam's rows lower the master's LP value more slowly than theirs did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BeamPricing {
    /// Labels per day the beam keeps.
    pub width: usize,
    /// An exact round at least this long, other than the root's first, brings the beam in;
    /// rounds faster than that stay exact.
    pub after: Duration,
}

/// What ends column generation at a node short of convergence ([`Master::generate_at_node`]).
#[derive(Debug, Clone, Copy)]
pub(super) struct NodeLimits {
    /// Pricing iterations at most.
    pub(super) iterations: usize,
    /// No iteration starts after this.
    pub(super) deadline: Instant,
    /// A pricing round longer than this ends the node unconverged.
    pub(super) round_limit: Option<Duration>,
    /// A node bound at least this ends the node, as converged.
    pub(super) cutoff: f64,
    /// Pricing by the beam DP ahead of the exact DP.
    pub(super) beam: Option<BeamPricing>,
}

impl NodeLimits {
    /// Only the deadline (and cancellation): exact pricing to convergence.
    pub(super) fn until(deadline: Instant) -> NodeLimits {
        NodeLimits { iterations: usize::MAX, deadline, round_limit: None, cutoff: f64::INFINITY, beam: None }
    }
}

/// Weight of the stability center in the priced duals (see [`Master::price`]).
const SMOOTHING: f64 = 0.5;

/// What pricing says of one driver.
enum Priced {
    /// The driver's best row under the duals and its cost there.
    Row(Vec<Option<ShiftIdx>>, f64),
    /// The driver is fixed; the cost of its fixed row under the duals.
    Fixed(f64),
    /// No legal row (cannot happen once the master has a column of the driver).
    NoRow,
    /// The beam DP found no row cheaper than the driver's columns (one may exist).
    NotFound,
}

impl Master<'_> {
    /// Prices every driver not fixed under `lp`'s duals; adds the improving rows. Returns how many
    /// were added and the node's Lagrangian bound (the fixed drivers count with their fixed row),
    /// or `None` when `until` came before every driver was priced (nothing is added then: a round
    /// without every driver's best row has no bound). At the root (nothing fixed) the scenario's
    /// bound and the Lagrangian roster are updated.
    ///
    /// With `smoothing` α > 0 the duals priced are `α·center + (1 − α)·LP duals` (Wentges): the
    /// master is very degenerate, and its raw duals jump from one vertex to another; prices near
    /// the best Lagrangian point so far find useful rows in fewer iterations. A row enters when
    /// its reduced cost under the LP's own duals is negative.
    ///
    /// With `beam`, each driver gets the beam DP of that many labels a day instead of the exact
    /// DP: the rows it finds are legal and may enter, but they are not proven best, so the round
    /// has no bound (`−∞`), and the stability center and the Lagrangian roster stay as they are.
    fn price(
        &mut self,
        lp: &LpSolution,
        smoothing: f64,
        beam: Option<usize>,
        until: Option<Instant>,
    ) -> Result<Option<(usize, f64)>, SolverError> {
        let (ix, nd) = (self.ix, self.ix.drivers());
        let round_started = Instant::now();
        // The cover duals, clamped to where the Lagrangian bound is valid.
        let mu_lp: Vec<f64> =
            self.cells.iter().enumerate().map(|(i, c)| lp.duals[nd + i].clamp(-c.over, c.under)).collect();
        let mu: Vec<f64> = match &self.center {
            Some((center, _)) if smoothing > 0.0 => {
                center.iter().zip(&mu_lp).map(|(c, l)| smoothing * c + (1.0 - smoothing) * l).collect()
            }
            _ => mu_lp.clone(),
        };
        let root = self.fixed.iter().all(Option::is_none) && self.restrictions.is_empty();
        let (own, cells, fixed, columns) = (&self.own, &self.cells, &self.fixed, &self.columns);
        let restrictions = &self.restrictions;
        let priced: Option<Vec<Priced>> = (0..nd)
            .into_par_iter()
            .map(|d| {
                if until.is_some_and(|u| Instant::now() >= u) {
                    return None;
                }
                let mut c = own[d].clone();
                for (cell, m) in cells.iter().zip(&mu) {
                    c.add_work(cell.t, ShiftIdx(cell.s), -m);
                }
                if let Some(j) = fixed[d] {
                    return Some(Priced::Fixed(
                        row_cost(ix, DriverIdx(d), &c, &columns[j].row).unwrap_or(f64::INFINITY),
                    ));
                }
                for r in restrictions.iter().filter(|r| r.driver.0 == d) {
                    r.apply(&mut c);
                }
                // The driver's columns are legal rows: the cheapest of them under these costs
                // bounds the DP's optimum from above.
                let upper = columns
                    .iter()
                    .filter(|col| col.driver.0 == d)
                    .filter_map(|col| row_cost(ix, col.driver, &c, &col.row))
                    .fold(f64::INFINITY, f64::min);
                Some(match beam {
                    None => match best_row_below(ix, DriverIdx(d), &c, upper + 1e-6) {
                        Some(b) => Priced::Row(b.row, b.cost),
                        None => Priced::NoRow,
                    },
                    Some(width) => match good_row_within(ix, DriverIdx(d), &c, upper + 1e-6, width) {
                        Ok(b) => Priced::Row(b.row, b.cost),
                        Err(_) => Priced::NotFound,
                    },
                })
            })
            .collect();
        // A driver left unpriced (`None`) makes the round late.
        let Some(priced) = priced else {
            tracing::debug!(seconds = round_started.elapsed().as_secs_f64(), "pricing round cut short");
            return Ok(None);
        };
        let mut bound: f64 = cells.iter().zip(&mu).map(|(c, m)| m * c.required).sum();
        let mut grid = RosterGrid::empty(nd, ix.days());
        let mut added = 0;
        for (d, p) in priced.into_iter().enumerate() {
            let (row, dp_cost) = match p {
                Priced::Row(row, cost) => (row, cost),
                Priced::Fixed(cost) => {
                    bound += cost;
                    continue;
                }
                Priced::NoRow => {
                    let who = ix.driver_id(DriverIdx(d));
                    return Err(SolverError::Highs(format!("driver {who} has no legal row")));
                }
                Priced::NotFound => continue,
            };
            bound += dp_cost;
            for (t, cell) in row.iter().enumerate() {
                grid.set(DriverIdx(d), t, *cell);
            }
            // The row's cost under the LP's duals, from its cost under the priced ones.
            let shift: f64 = row
                .iter()
                .enumerate()
                .filter_map(|(t, cell)| cell.and_then(|s| self.cell_of[t * ix.shifts() + s.0]))
                .map(|i| mu[i] - mu_lp[i])
                .sum();
            let before = self.columns.len();
            if dp_cost + shift - lp.duals[d] < -1e-6 {
                self.add_column(DriverIdx(d), row)?;
                added += self.columns.len() - before;
            }
        }
        if beam.is_some() {
            self.beam_rounds += 1;
            if root {
                let seconds = round_started.elapsed().as_secs_f64();
                tracing::debug!(seconds, added, "beam pricing round at the root");
            }
            return Ok(Some((added, f64::NEG_INFINITY)));
        }
        if self.center.as_ref().is_none_or(|(_, value)| bound > *value) {
            self.center = Some((mu, bound));
        }
        if root {
            tracing::debug!(seconds = round_started.elapsed().as_secs_f64(), added, bound, "pricing round at the root");
            self.bound = self.bound.max((bound - 1e-6).ceil());
            let value = objective_without_fairness(ix, &self.own, &grid);
            if self.lagrangian_roster.as_ref().is_none_or(|(_, v)| value < *v) {
                self.lagrangian_roster = Some((grid, value));
            }
        }
        Ok(Some((added, bound)))
    }

    /// Column generation at the current node until pricing finds nothing or the node's bound
    /// rounds up to its LP value's ceiling (the objective is integral, so more columns could not
    /// change the integer outcome) or reaches `limits.cutoff` (nothing below the node beats a
    /// roster of that cost: the node is done, and counts as converged), or one of the other
    /// [`NodeLimits`] or cancellation stops it. Returns the last LP solution, the node's bound
    /// (rounded up) and whether it converged.
    ///
    /// With `limits.beam`, once an exact round took `beam.after` or more (at any node; not the
    /// root's first), each iteration first prices by the beam DP; while its rows lower the
    /// master's LP value at least as fast as the last exact iteration's did (cents per second,
    /// each with its LP re-solve), the exact DP waits. Only exact rounds give a bound and prove
    /// convergence. Rows found are no measure of progress: on Curtois Instance20 (182 days) the
    /// beam found 4–8 improving rows a round for three minutes, as many per second as the exact
    /// DP's 50 in 1.3 s, and column generation had no bound at its deadline.
    pub(super) fn generate_at_node(
        &mut self,
        limits: NodeLimits,
        cancel: &CancelToken,
    ) -> Result<(LpSolution, f64, bool), SolverError> {
        let NodeLimits { iterations: max_iterations, deadline, round_limit, cutoff, beam } = limits;
        let mut lp = self.solve_lp()?;
        let mut node_bound = f64::NEG_INFINITY;
        let round_end = || round_limit.map(|l| Instant::now() + l);
        for _ in 0..max_iterations {
            if Instant::now() >= deadline || cancel.is_cancelled() {
                return Ok((lp, node_bound, false));
            }
            if let Some(b) = beam.filter(|_| self.slow_exact_rounds) {
                let (beam_started, value_before) = (Instant::now(), self.lp_value);
                let Some((found, _)) = self.price(&lp, SMOOTHING, Some(b.width), round_end())? else {
                    return Ok((lp, node_bound, false));
                };
                if found > 0 {
                    lp = self.solve_lp()?;
                }
                if found > 0 && self.descent_rate(value_before, beam_started) >= self.exact_descent_rate {
                    continue;
                }
            }
            let (exact_started, value_before) = (Instant::now(), self.lp_value);
            let Some((mut added, bound)) = self.price(&lp, SMOOTHING, None, round_end())? else {
                return Ok((lp, node_bound, false));
            };
            // The first round prices under the start roster's duals, where the DP prunes least
            // (Curtois Instance19: 3.5 s, then 0.6–1.1 s a round): it says nothing of the rest.
            let first = self.iterations <= 1;
            self.slow_exact_rounds |= !first && beam.is_some_and(|b| exact_started.elapsed() >= b.after);
            node_bound = node_bound.max((bound - 1e-6).ceil());
            if node_bound >= cutoff - 1e-6 {
                // Nothing below the node beats `cutoff`: converging would not change that.
                return Ok((lp, node_bound, true));
            }
            if added == 0 && node_bound < (self.lp_value - 1e-6).ceil() {
                // Nothing at the smoothed duals: price the LP's own; only that proves convergence.
                let Some((again, bound)) = self.price(&lp, 0.0, None, round_end())? else {
                    return Ok((lp, node_bound, false));
                };
                added = again;
                node_bound = node_bound.max((bound - 1e-6).ceil());
            }
            if added == 0 || node_bound >= (self.lp_value - 1e-6).ceil() {
                return Ok((lp, node_bound, true));
            }
            lp = self.solve_lp()?;
            self.exact_descent_rate = self.descent_rate(value_before, exact_started);
        }
        Ok((lp, node_bound, false))
    }

    /// How fast the LP value fell from `before`, since `started` (cents per second).
    fn descent_rate(&self, before: f64, started: Instant) -> f64 {
        (before - self.lp_value) / started.elapsed().as_secs_f64().max(1e-9)
    }

    /// Column generation at the root until it converges, `deadline`, a pricing round longer than
    /// [`Master::round_limit`] or cancellation; returns whether it converged (the bound is then
    /// the LP value, rounded up).
    pub fn generate(&mut self, deadline: Instant, cancel: &CancelToken) -> Result<bool, SolverError> {
        let limits =
            NodeLimits { round_limit: self.round_limit, beam: self.beam_pricing, ..NodeLimits::until(deadline) };
        let (_, _, converged) = self.generate_at_node(limits, cancel)?;
        Ok(converged)
    }
}

/// Rows' own costs plus cover: the objective of a roster of legal rows, fairness spreads aside.
fn objective_without_fairness(ix: &ScenarioIndex, own: &[CellCosts], grid: &RosterGrid) -> f64 {
    let mut total = 0.0;
    let mut count = ndarray::Array2::<i64>::zeros((ix.days(), ix.shifts()));
    for d in (0..ix.drivers()).map(DriverIdx) {
        let row: Vec<_> = grid.row(d).collect();
        total += row_cost(ix, d, &own[d.0], &row).unwrap_or(f64::INFINITY);
        for (t, s) in row.iter().enumerate() {
            if let Some(s) = s {
                count[[t, s.0]] += 1;
            }
        }
    }
    for ((t, s), cell) in ix.demand.indexed_iter() {
        if let Some(c) = cell {
            total += c.cover_cost(count[[t, s]]).cents() as f64;
        }
    }
    total
}
