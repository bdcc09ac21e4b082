//! A quick lower bound for rosters too large for column generation's pricing (DESIGN §4).
//!
//! It is the Lagrangian dual of the cover rows that column generation also reports
//! ([`crate::colgen`]): for any cover duals `μ` with `−over ≤ μ ≤ under`,
//!
//! ```text
//! L(μ) = Σ_(t,s) μ[t,s]·req[t,s] + Σ_d min over rows of d ( own_d(row) − Σ_(t,s) μ[t,s]·row[t,s] )
//! ```
//!
//! bounds every roster's objective from below (fairness spreads only add to it). Here each
//! driver's minimum is taken over a relaxation of its legal rows: the options of each day (R1
//! one shift a day, R4 qualifications, R10 days off, R11 pins, R3 types it may never work) and the
//! successions between consecutive days (R2). R3's other maxima, R5–R9 and overtime pay only remove
//! rows or add cost, so the relaxed minimum is at most the exact one and `L` stays a valid bound.
//! The relaxed minimum is a shortest path over the days, far cheaper than the row DP, so `μ` gets
//! hundreds of subgradient steps (Polyak's step towards the best roster's objective) where the
//! DP affords a pricing round or two. On metro parts of 200 drivers, where premiums are most of
//! the cost, it is the bound there is (at least 90 % of the optimum on the small generated metro
//! scenarios the tests prove optimal); on the Curtois
//! instances, whose cost is cover against exactly the rules it drops (R5–R9), it is near zero.

use std::time::Instant;

use model::{DriverIdx, RosterGrid, ScenarioIndex, ShiftIdx};
use rayon::prelude::*;

use crate::progress::CancelToken;
use crate::row_dp::{CellCosts, NoRow, best_row_within, day_options, row_cost};

/// Subgradient steps at most.
const MAX_STEPS: usize = 400;

/// Steps without a better bound before the step length halves.
const PATIENCE: usize = 8;

/// The step length (Polyak's θ) below which the search stops: the bound no longer moves.
const SMALLEST_STEP: f64 = 1e-3;

/// One demand cell's cover data, cents per driver.
#[derive(Debug, Clone, Copy)]
struct CoverCell {
    /// Day.
    t: usize,
    /// Shift type.
    s: usize,
    /// Drivers required.
    required: f64,
    /// Penalty per missing driver (the upper end of the cell's dual).
    under: f64,
    /// Penalty per surplus driver (minus the lower end of the cell's dual).
    over: f64,
}

/// One option of one day of a driver's relaxed row: `code` 0 is a day off, `s + 1` shift `s`;
/// `own` its own cost (requests, premiums, baseline changes); `cell` its demand cell, if any.
#[derive(Debug, Clone, Copy)]
struct DayOption {
    /// 0 off, `s + 1` shift `s`.
    code: u16,
    /// The driver's own cost of the option.
    own: f64,
    /// The option's demand cell (index into the cells), if it has one.
    cell: Option<u32>,
}

/// The relaxed rows of every driver.
#[derive(Debug)]
struct Relaxation<'a> {
    /// The scenario (for R2's successions).
    ix: &'a ScenarioIndex,
    /// The demand cells, in the order of `μ`.
    cells: Vec<CoverCell>,
    /// `[driver][day]`: the day's options.
    options: Vec<Vec<Vec<DayOption>>>,
    /// Each driver's own cell costs (for the exact rows' DP).
    own: Vec<CellCosts>,
}

impl<'a> Relaxation<'a> {
    fn new(ix: &'a ScenarioIndex) -> Relaxation<'a> {
        let (nt, ns) = (ix.days(), ix.shifts());
        let mut cells = Vec::new();
        let mut cell_of = vec![None; nt * ns];
        for ((t, s), cell) in ix.demand.indexed_iter() {
            let Some(cell) = cell else { continue };
            cell_of[t * ns + s] = Some(cells.len() as u32);
            cells.push(CoverCell {
                t,
                s,
                required: f64::from(cell.required),
                under: cell.under.cents() as f64,
                over: cell.over.cents() as f64,
            });
        }
        let own: Vec<CellCosts> = (0..ix.drivers()).map(|d| CellCosts::own_terms(ix, DriverIdx(d))).collect();
        let options = own
            .iter()
            .enumerate()
            .map(|(d, own)| {
                let days = day_options(ix, DriverIdx(d), own);
                let cell = |t: usize, code: u16| code.checked_sub(1).and_then(|s| cell_of[t * ns + usize::from(s)]);
                days.into_iter()
                    .enumerate()
                    .map(|(t, day)| {
                        day.into_iter().map(|(code, own)| DayOption { code, own, cell: cell(t, code) }).collect()
                    })
                    .collect()
            })
            .collect();
        Relaxation { ix, cells, options, own }
    }

    /// Driver `d`'s own costs less `μ` on its demand cells: the costs its rows are priced at.
    fn priced_costs(&self, d: usize, mu: &[f64]) -> CellCosts {
        let mut costs = self.own[d].clone();
        for (c, m) in self.cells.iter().zip(mu) {
            costs.add_work(c.t, ShiftIdx(c.s), -m);
        }
        costs
    }

    /// Whether `b` may follow `a` on the next day (R2).
    fn follows(&self, a: u16, b: u16) -> bool {
        a == 0 || b == 0 || !self.ix.forbidden_next[[usize::from(a) - 1, usize::from(b) - 1]]
    }

    /// Driver `d`'s relaxed minimum under `μ`, and the cells its minimizing row works (for the
    /// subgradient). `None` when some day has no option (then the driver has no legal row either).
    fn row(&self, d: usize, mu: &[f64], cells: &mut Vec<u32>) -> Option<f64> {
        let days = &self.options[d];
        let cost = |o: &DayOption| o.own - o.cell.map_or(0.0, |i| mu[i as usize]);
        // `after[t][i]`: the least cost of days t.. when day t takes option i.
        let mut after: Vec<Vec<f64>> = vec![Vec::new(); days.len()];
        for t in (0..days.len()).rev() {
            after[t] = days[t]
                .iter()
                .map(|o| {
                    let rest = match days.get(t + 1) {
                        None => 0.0,
                        Some(next) => next
                            .iter()
                            .zip(&after[t + 1])
                            .filter(|(n, _)| self.follows(o.code, n.code))
                            .map(|(_, v)| *v)
                            .fold(f64::INFINITY, f64::min),
                    };
                    cost(o) + rest
                })
                .collect();
        }
        // The row itself, forwards: the option that attains each day's least cost.
        let mut previous: Option<u16> = None;
        let mut value = 0.0;
        for (t, opts) in days.iter().enumerate() {
            let (o, v) = opts
                .iter()
                .zip(&after[t])
                .filter(|(o, _)| previous.is_none_or(|p| self.follows(p, o.code)))
                .min_by(|a, b| a.1.total_cmp(b.1))?;
            if !v.is_finite() {
                return None;
            }
            if t == 0 {
                value = *v;
            }
            cells.extend(o.cell);
            previous = Some(o.code);
        }
        Some(value)
    }

    /// `Σ μ·req`: the cover rows' part of `L(μ)`.
    fn cover_part(&self, mu: &[f64]) -> f64 {
        self.cells.iter().zip(mu).map(|(c, m)| m * c.required).sum()
    }

    /// `L(μ)` and, for the subgradient, how many drivers the minimizing rows put on each cell.
    /// `None` when some driver has no relaxed row.
    fn evaluate(&self, mu: &[f64], cover: &mut [f64]) -> Option<f64> {
        let priced: Vec<Option<(f64, Vec<u32>)>> = (0..self.options.len())
            .into_par_iter()
            .map(|d| {
                let mut worked = Vec::new();
                self.row(d, mu, &mut worked).map(|v| (v, worked))
            })
            .collect();
        cover.iter_mut().for_each(|c| *c = 0.0);
        let mut value = self.cover_part(mu);
        for p in priced {
            let (v, worked) = p?;
            value += v;
            for i in worked {
                cover[i as usize] += 1.0;
            }
        }
        Some(value)
    }

    /// Subgradient steps from `mu`, the best point kept in `best`, until `deadline`,
    /// cancellation, `MAX_STEPS` or a step shorter than `SMALLEST_STEP`. `None` when some driver
    /// has no relaxed row.
    fn ascend(
        &self,
        mu: &mut [f64],
        best: &mut Best,
        target: Option<f64>,
        deadline: Instant,
        cancel: &CancelToken,
    ) -> Option<()> {
        let mut cover = vec![0.0; self.cells.len()];
        let (mut theta, mut stale) = (1.0, 0);
        for _ in 0..MAX_STEPS {
            if cancel.is_cancelled() || Instant::now() >= deadline || theta < SMALLEST_STEP {
                break;
            }
            let value = self.evaluate(mu, &mut cover)?;
            if value > best.value + 1e-6 {
                best.value = value;
                best.duals.copy_from_slice(mu);
                stale = 0;
            } else {
                stale += 1;
                if stale >= PATIENCE {
                    (theta, stale) = (theta / 2.0, 0);
                }
            }
            let gradient: Vec<f64> = self.cells.iter().zip(&cover).map(|(c, n)| c.required - n).collect();
            let norm: f64 = gradient.iter().map(|g| g * g).sum();
            if norm < 1e-9 {
                break; // every cell covered exactly by the relaxed rows: μ is optimal
            }
            // Without a roster, aim a tenth above the best bound so far.
            let aim = target.unwrap_or(best.value.abs() * 1.1 + 1.0).max(best.value + 1.0);
            let step = theta * (aim - value) / norm;
            for ((m, g), c) in mu.iter_mut().zip(&gradient).zip(&self.cells) {
                *m = (*m + step * g).clamp(-c.over, c.under);
            }
        }
        Some(())
    }
}

/// The best point of the subgradient steps so far.
#[derive(Debug)]
struct Best {
    /// `L` there.
    value: f64,
    /// `μ` there.
    duals: Vec<f64>,
}

/// The best duals the subgradient steps found, and their `L(μ)` over relaxed rows.
#[derive(Debug)]
pub struct CoverBound<'a> {
    /// The relaxed rows.
    relaxation: Relaxation<'a>,
    /// `μ`, one per demand cell.
    duals: Vec<f64>,
    /// `L(μ)` over relaxed rows.
    value: f64,
}

impl CoverBound<'_> {
    /// The bound, rounded up to the cent (the objective is integral).
    pub fn bound(&self) -> f64 {
        (self.value - 1e-6).ceil()
    }

    /// `L(μ)` at the same duals with each driver's exact minimum over legal rows (the row DP,
    /// which adds R3's maxima, R5–R9 and overtime pay), rounded up: at least [`Self::bound`].
    /// A driver whose DP needs more than `max_labels` labels keeps its relaxed minimum, which
    /// is still a valid term. With `legal`, a legal roster, each driver's row there bounds its
    /// DP from above: the DP then only looks for cheaper rows, and prunes the rest (a metro part's
    /// round takes a fraction of a second with it, several seconds without). `None` when a
    /// driver has no legal row (the scenario is infeasible), on cancellation, or when `deadline`
    /// passes before every row is priced.
    pub fn with_exact_rows(
        &self,
        legal: Option<&RosterGrid>,
        max_labels: usize,
        deadline: Instant,
        cancel: &CancelToken,
    ) -> Option<f64> {
        let relaxation = &self.relaxation;
        let (ix, mu) = (relaxation.ix, &self.duals);
        let rows: Vec<Option<f64>> = (0..ix.drivers())
            .into_par_iter()
            .map(|d| {
                if cancel.is_cancelled() || Instant::now() >= deadline {
                    return None;
                }
                let costs = relaxation.priced_costs(d, mu);
                // The driver's legal row, priced: the exact minimum is at most its cost.
                let known =
                    legal.and_then(|g| row_cost(ix, DriverIdx(d), &costs, &g.row(DriverIdx(d)).collect::<Vec<_>>()));
                match best_row_within(ix, DriverIdx(d), &costs, known.map_or(f64::INFINITY, |k| k + 1e-6), max_labels) {
                    Ok(best) => Some(best.cost),
                    Err(NoRow::None) => known,
                    Err(NoRow::TooLarge) => relaxation.row(d, mu, &mut Vec::new()),
                }
            })
            .collect();
        let rows: f64 = rows.into_iter().sum::<Option<f64>>()?;
        Some((relaxation.cover_part(mu) + rows - 1e-6).ceil())
    }
}

/// The best `L(μ)` over relaxed rows found within `deadline` (and the cancellation): a valid
/// lower bound on every roster's objective. `target` is the best roster's objective if there is
/// one (Polyak's step aims at it). `None` when the scenario has no demand, some driver no relaxed
/// row, or no step was taken.
pub fn cover_bound<'a>(
    ix: &'a ScenarioIndex,
    target: Option<f64>,
    deadline: Instant,
    cancel: &CancelToken,
) -> Option<CoverBound<'a>> {
    let relaxation = Relaxation::new(ix);
    let cells = &relaxation.cells;
    if cells.is_empty() {
        return None;
    }
    // Start where each cell's cheapest driver is indifferent between working it and a day off.
    let mut cheapest = vec![f64::INFINITY; cells.len()];
    for days in &relaxation.options {
        for opts in days {
            let off = opts.iter().find(|o| o.code == 0).map_or(0.0, |o| o.own);
            for o in opts {
                if let Some(i) = o.cell {
                    let c = &mut cheapest[i as usize];
                    *c = c.min(o.own - off);
                }
            }
        }
    }
    let mut mu: Vec<f64> = cells
        .iter()
        .zip(&cheapest)
        .map(|(c, &m)| if m.is_finite() { m.clamp(-c.over, c.under) } else { c.under })
        .collect();
    let mut best = Best { value: f64::NEG_INFINITY, duals: mu.clone() };
    relaxation.ascend(&mut mu, &mut best, target, deadline, cancel)?;
    best.value.is_finite().then_some(CoverBound { relaxation, duals: best.duals, value: best.value })
}
