//! MILP-based large neighbourhood search (DESIGN §4).
//!
//! From a legal roster, each round frees a few neighbourhoods — a set of drivers over the whole
//! horizon, a window of days for many drivers, or the drivers of a shift type over a window — chosen
//! at random with probabilities proportional to where the cost is (uncovered demand by day and shift
//! type, unmet requests and overtime by driver). Each neighbourhood is re-solved exactly as a MILP on
//! HiGHS with every other cell fixed (one HiGHS thread each, in parallel on rayon); the best
//! improvement of the round is accepted. Neighbourhood sizes adapt: sub-MILPs that finish quickly
//! grow the next ones, sub-MILPs that hit their time limit shrink them.
//!
//! The search is deterministic for a given seed and parallelism when it is bounded by rounds
//! (`max_rounds`) and the sub-MILPs finish within their limit; a wall-clock limit only decides how
//! many rounds run. It never returns a roster worse than its start, and every accepted roster has
//! passed the evaluator.

use std::time::{Duration, Instant};

use model::{DriverIdx, Evaluation, RosterGrid, ScenarioIndex, ShiftIdx, evaluate};
use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::error::SolverError;
use crate::formulation::{Fixing, RosterModel};
use crate::highs_run::{RunConfig, RunStatus, run};
use crate::progress::{CancelToken, Phase, Progress, ProgressSink};

/// Settings of a search.
#[derive(Debug, Clone)]
pub struct LnsConfig {
    /// Wall-clock budget.
    pub time_limit: Duration,
    /// Stop after this many rounds (for reproducible runs).
    pub max_rounds: Option<u32>,
    /// Neighbourhoods solved in parallel per round.
    pub parallel: usize,
    /// Seed of the neighbourhood choice and of the sub-MILPs.
    pub seed: u64,
    /// When the overall solve started.
    pub started: Instant,
    /// Stop as soon as the objective (cents) is at most this (a proven bound).
    pub stop_at: Option<i64>,
}

/// The kind of a neighbourhood.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Drivers,
    Window,
    ShiftType,
}

/// A legal roster with its evaluation and when it was found.
#[derive(Debug, Clone)]
pub struct Incumbent {
    /// The roster.
    pub grid: RosterGrid,
    /// The evaluator's verdict (no violations).
    pub eval: Evaluation,
    /// When it was found.
    pub found: Duration,
}

/// Improves `start` until the budget, the round limit or cancellation ends the search.
pub fn improve(
    ix: &ScenarioIndex,
    start: Incumbent,
    cfg: &LnsConfig,
    sink: ProgressSink<'_>,
    cancel: &CancelToken,
) -> Result<Incumbent, SolverError> {
    Lns::new(ix).improve(start, cfg, sink, cancel)
}

/// Time limit of a round's sub-MILPs with `left` to the deadline. Short: a round waits for its
/// slowest neighbourhood, and most neighbourhoods that improve at all do so well within a second;
/// one that needs longer is too big (it shrinks). With minutes left (a 10-minute solve), up to
/// four seconds, so that the sizes can grow past what one second solves: a 10-minute solve of
/// Curtois Instance15 sat on one local optimum for 200 s with one-second sub-MILPs. The gain is
/// not shown yet: 3950 and 3978 with four seconds against 3973 with one, within the spread (see
/// `BENCHMARKS.md`). Below 100 s left the limit is at most a second.
pub fn sub_milp_limit(left: Duration) -> Duration {
    let cap = (left / 100).clamp(Duration::from_secs(1), Duration::from_secs(4));
    (left / 4).clamp(Duration::from_millis(300), cap).min(left)
}

/// A search that can be resumed: the neighbourhood sizes and kind weights it has learnt, and the
/// rounds it has run (which seed the next ones), carry over from one call of
/// [`Lns::improve`] to the next, so the planner can interleave it with other searches.
#[derive(Debug, Clone)]
pub struct Lns<'a> {
    /// The scenario.
    ix: &'a ScenarioIndex,
    /// Free cells per neighbourhood kind, adapted separately: windows over all drivers stay easy
    /// at sizes where whole-horizon driver sets are already hard.
    free_cells: [usize; 3],
    /// How often each kind is picked (raised when it improves, decaying towards 0.5).
    weights: [f64; 3],
    /// Rounds run so far, over all calls.
    round: u32,
}

impl<'a> Lns<'a> {
    /// A fresh search of `ix`.
    pub fn new(ix: &'a ScenarioIndex) -> Lns<'a> {
        let cells = ix.drivers() * ix.days();
        Lns { ix, free_cells: [(cells / 6).clamp(40.min(cells), 2_000); 3], weights: [1.0; 3], round: 0 }
    }

    /// Improves `start` until `cfg.time_limit` from now, `cfg.max_rounds` rounds of this call, the
    /// objective `cfg.stop_at` or cancellation.
    pub fn improve(
        &mut self,
        start: Incumbent,
        cfg: &LnsConfig,
        sink: ProgressSink<'_>,
        cancel: &CancelToken,
    ) -> Result<Incumbent, SolverError> {
        let ix = self.ix;
        let deadline = Instant::now() + cfg.time_limit;
        let cells = ix.drivers() * ix.days();
        let mut best = start;
        let first_round = self.round;
        while !cancel.is_cancelled() && cfg.max_rounds.is_none_or(|m| self.round - first_round < m) {
            if cfg.stop_at.is_some_and(|s| best.eval.objective.total().cents() <= s) {
                break;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left < Duration::from_millis(200) {
                break;
            }
            let sub_limit = sub_milp_limit(left);
            let mut rng =
                ChaCha8Rng::seed_from_u64(cfg.seed.wrapping_mul(0x9E37_79B9).wrapping_add(u64::from(self.round)));
            let hoods: Vec<(Kind, Vec<bool>, u64)> = (0..cfg.parallel.max(1))
                .map(|_| {
                    let kind = pick_kind(&self.weights, &mut rng);
                    (kind, neighbourhood(ix, &best, kind, self.free_cells[kind as usize], &mut rng), rng.random())
                })
                .collect();
            let results: Vec<Result<(Option<Incumbent>, bool), SolverError>> = hoods
                .par_iter()
                .map(|(_, keep, seed)| solve_neighbourhood(ix, &best, keep, *seed, sub_limit, cfg.started, cancel))
                .collect();
            let mut improved_by = None;
            let mut sideways = None;
            let round_start = best.grid.clone();
            for (i, r) in results.into_iter().enumerate() {
                let (cand, hit_limit) = r?;
                tracing::trace!(
                    round = self.round,
                    kind = ?hoods[i].0,
                    free = hoods[i].1.iter().filter(|k| !**k).count(),
                    hit_limit,
                    found = cand.as_ref().map(|c| c.eval.objective.total().cents()),
                    best = best.eval.objective.total().cents(),
                    "neighbourhood"
                );
                // Adapt the size: shrink when a sub-MILP runs out of time, grow when it finishes.
                let size = &mut self.free_cells[hoods[i].0 as usize];
                *size = if hit_limit { (*size * 3 / 4).max(20) } else { (*size * 5 / 4 + 1).min(cells) };
                // After a first improvement this round, a later one is tried on top of it: its
                // changes (against the round's start) applied to the new best, kept if still legal
                // and better.
                let cand = match cand {
                    Some(c) if improved_by.is_some() => combine(ix, &round_start, &best, &c),
                    other => other,
                };
                let Some(c) = cand else { continue };
                if c.eval.objective.total() == best.eval.objective.total() && c.grid != round_start {
                    sideways.get_or_insert(c);
                } else if c.eval.objective.total() < best.eval.objective.total() {
                    improved_by = Some(hoods[i].0);
                    best = c;
                    (sink)(&Progress {
                        elapsed: best.found,
                        incumbent: Some(best.eval.objective.total().cents() as f64),
                        bound: None,
                        gap: None,
                        phase: Phase::Lns,
                    });
                }
            }
            if let Some(kind) = improved_by {
                self.weights[kind as usize] = (self.weights[kind as usize] * 1.3).min(3.0);
            } else if let Some(c) = sideways {
                // A different roster of the same cost: moving there lets the next neighbourhoods
                // start from elsewhere on the plateau instead of re-proving the same local optimum.
                // The time the cost was first reached stays.
                best = Incumbent { found: best.found, ..c };
            }
            for w in &mut self.weights {
                *w = (*w * 0.98).max(0.5);
            }
            self.round += 1;
        }
        Ok(best)
    }
}

fn pick_kind(weights: &[f64; 3], rng: &mut ChaCha8Rng) -> Kind {
    let total: f64 = weights.iter().sum();
    let mut x = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return [Kind::Drivers, Kind::Window, Kind::ShiftType][i];
        }
        x -= w;
    }
    Kind::ShiftType
}

/// Re-solves `keep`'s complement; returns a better legal roster if one was found, and whether the
/// sub-MILP hit its time limit.
fn solve_neighbourhood(
    ix: &ScenarioIndex,
    best: &Incumbent,
    keep: &[bool],
    seed: u64,
    limit: Duration,
    started: Instant,
    cancel: &CancelToken,
) -> Result<(Option<Incumbent>, bool), SolverError> {
    let mut m = RosterModel::build_neighbourhood(ix, Fixing { grid: &best.grid, keep });
    let start = Some(m.start_from_grid(&best.grid));
    let cfg = RunConfig {
        time_limit: limit,
        gap: 0.0,
        threads: 1,
        seed,
        verbose: false,
        heuristic_effort: 0.05,
        start,
        started,
        phase: Phase::Lns,
        cancel,
        soft_deadline: None,
    };
    let quiet = |_: &Progress| {};
    let out = run(&mut m, &cfg, &quiet)?;
    let hit_limit = out.status == RunStatus::Feasible;
    let Some(cols) = out.columns else { return Ok((None, hit_limit)) };
    let mut grid = best.grid.clone();
    m.apply_columns(&mut grid, &cols);
    let eval = evaluate(ix, &grid);
    if let Some(e) = SolverError::if_invalid(&eval) {
        return Err(e);
    }
    Ok((Some(Incumbent { grid, eval, found: started.elapsed() }), hit_limit))
}

/// `best` with the cells `cand` changed against `base`, if the evaluator accepts the result.
fn combine(ix: &ScenarioIndex, base: &RosterGrid, best: &Incumbent, cand: &Incumbent) -> Option<Incumbent> {
    let mut grid = best.grid.clone();
    let mut changed = false;
    for d in (0..ix.drivers()).map(DriverIdx) {
        for t in 0..ix.days() {
            let v = cand.grid.get(d, t);
            if v != base.get(d, t) {
                grid.set(d, t, v);
                changed = true;
            }
        }
    }
    if !changed {
        return None;
    }
    let eval = evaluate(ix, &grid);
    eval.is_feasible().then(|| Incumbent { grid, eval, found: cand.found })
}

/// Picks an index with probability proportional to `weights` (all ≥ 0; uniform if they sum to 0).
fn weighted_index(weights: &[f64], rng: &mut ChaCha8Rng) -> usize {
    let total: f64 = weights.iter().sum();
    if total <= 0.0 {
        return rng.random_range(0..weights.len());
    }
    let mut x = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

/// The keep-mask (`true` = fixed) of a neighbourhood of about `free_cells` (driver, day) cells.
fn neighbourhood(
    ix: &ScenarioIndex,
    inc: &Incumbent,
    kind: Kind,
    free_cells: usize,
    rng: &mut ChaCha8Rng,
) -> Vec<bool> {
    let (nd, nt, ns) = (ix.drivers(), ix.days(), ix.shifts());
    let mut keep = vec![true; nd * nt];
    // Where the cost is: per driver (requests, overtime) and per (day, shift type) (cover).
    let mut driver_cost = vec![1.0; nd];
    for (d, pay) in inc.eval.cost.drivers.iter().enumerate() {
        driver_cost[d] += pay.total.overtime_pay.cents() as f64;
    }
    for r in &ix.on_requests {
        if inc.grid.get(r.driver, r.day) != Some(r.shift) {
            driver_cost[r.driver.0] += r.weight.cents() as f64;
        }
    }
    for r in &ix.off_requests {
        let w = inc.grid.get(r.driver, r.day);
        if w.is_some() && (r.shift.is_none() || r.shift == w) {
            driver_cost[r.driver.0] += r.weight.cents() as f64;
        }
    }
    let mut cell_cost = vec![0.0; nt * ns];
    let mut count = vec![0u32; nt * ns];
    for d in 0..nd {
        for (t, s) in inc.grid.row(DriverIdx(d)).enumerate() {
            if let Some(s) = s {
                count[t * ns + s.0] += 1;
            }
        }
    }
    for ((t, s), cell) in ix.demand.indexed_iter() {
        if let Some(c) = cell {
            let n = count[t * ns + s];
            cell_cost[t * ns + s] = (c.required.saturating_sub(n) as f64) * c.under.cents() as f64
                + (n.saturating_sub(c.required) as f64) * c.over.cents() as f64;
        }
    }
    let mut free = |d: usize, from: usize, len: usize| {
        for t in from..(from + len).min(nt) {
            keep[d * nt + t] = false;
        }
    };
    match kind {
        Kind::Drivers => {
            // A few drivers over a long window (the whole horizon when it is short).
            let len = nt.min(56).max(nt / 2);
            let k = (free_cells / len).clamp(2.min(nd), nd);
            let mut w = driver_cost.clone();
            // Half the time, around a costly cover cell: the drivers who could work it, so the
            // sub-MILP can move one of them there and reshuffle the rest of their horizon.
            let costly = cell_cost.iter().any(|c| *c > 0.0);
            let from = if costly && rng.random_bool(0.5) {
                let cell = weighted_index(&cell_cost, rng);
                let (t, s) = (cell / ns, ShiftIdx(cell % ns));
                for (d, wd) in w.iter_mut().enumerate() {
                    if !ix.can_work(DriverIdx(d), t, s) {
                        *wd = 0.0;
                    }
                }
                if w.iter().all(|x| *x <= 0.0) {
                    w = driver_cost.clone();
                }
                t.saturating_sub(len / 2).min(nt - len)
            } else {
                rng.random_range(0..=nt - len)
            };
            for _ in 0..k {
                let d = weighted_index(&w, rng);
                w[d] = 0.0;
                free(d, from, len);
                if w.iter().all(|x| *x <= 0.0) {
                    break;
                }
            }
        }
        Kind::Window | Kind::ShiftType => {
            let len = (free_cells / nd.max(1)).clamp(3.min(nt), nt);
            let day_cost: Vec<f64> =
                (0..nt).map(|t| 1.0 + (0..ns).map(|s| cell_cost[t * ns + s]).sum::<f64>()).collect();
            let center = weighted_index(&day_cost, rng);
            let from = center.saturating_sub(len / 2).min(nt - len);
            let drivers: Vec<usize> = if kind == Kind::Window {
                (0..nd).collect()
            } else {
                let s_cost: Vec<f64> =
                    (0..ns).map(|s| 1.0 + (from..from + len).map(|t| cell_cost[t * ns + s]).sum::<f64>()).collect();
                let s = weighted_index(&s_cost, rng);
                (0..nd).filter(|&d| ix.qualified[[d, s]] && ix.max_shifts[[d, s]] > 0).collect()
            };
            // Too many drivers for the window: a cost-weighted subset of them.
            let room = (free_cells / len).max(1);
            let mut w: Vec<f64> = drivers.iter().map(|&d| driver_cost[d]).collect();
            let picked = drivers.len().min(room);
            for _ in 0..picked {
                let i = weighted_index(&w, rng);
                w[i] = 0.0;
                free(drivers[i], from, len);
            }
        }
    }
    keep
}
