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
//! successions between consecutive days (R2). R3's other maxima, R6–R8 and overtime pay only remove
//! rows or add cost, so the relaxed minimum is at most the exact one and `L` stays a valid bound.
//!
//! R5's limits on worked minutes are linear in a row's cells, and R9's weekends nearly so (a
//! weekend counts once whichever of its days are worked), so they are relaxed the same way as the
//! cover rows, with a multiplier `ρ ≥ 0` per driver and limit (the horizon's maximum and minimum,
//! each week's maximum, the weekends' maximum): a driver's relaxed minimum becomes
//! `min over rows of ( own(row) − μ·row + Σ ρ·(limit's excess of the row) )`, still a shortest path
//! (each day's minute price is the sum of the `ρ` its minutes count in; a weekend's second worked
//! day takes its first day's `ρ` back), and still at most the exact minimum (a legal row has no
//! excess). Without them, relaxed rows work every day they may. On Curtois Instances 1–5 the
//! relaxed bound went from 2.3 % to 10.7 % of the optima; on a generated metro part of 100
//! drivers (20 s solve), the bound with exact rows from 0.78 % to 0.65 % below the column
//! generation optimum; on metro large's parts, whose ascent has 0.4 to 1 s, the bound with
//! exact rows stayed where it was (the exact rows add less on top of the stronger relaxed bound).
//!
//! The relaxed minimum is a shortest path over the days, far cheaper than the row DP, so `μ` gets
//! hundreds of subgradient steps (Polyak's step towards the best roster's objective) where the
//! DP affords a pricing round or two. On metro parts of 200 drivers, where premiums are most of
//! the cost, it is the bound there is (at least 90 % of the optimum on the small generated metro
//! scenarios the tests prove optimal); on the Curtois instances, whose cost is cover against
//! exactly the rules it relaxes (R5–R9), it is a small fraction of the optimum.

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
    /// `[driver]`: R5's limits on worked minutes and R9's on weekends.
    limits: Vec<RowLimits>,
    /// Minutes of a shift, on average: the unit `ρ` is priced in, so that its subgradient
    /// components are of the size of the cover rows' (drivers), not hundreds of times larger.
    unit: f64,
}

/// R5's and R9's limits of one driver (minutes over the horizon's days, weekends).
#[derive(Debug, Clone, Copy)]
struct RowLimits {
    /// The horizon's minimum (0 when none).
    min: f64,
    /// The horizon's maximum, if any.
    max: Option<f64>,
    /// Each ISO week's maximum, if any.
    week_max: Option<f64>,
    /// R9's maximum of weekends worked, if any.
    weekends_max: Option<f64>,
}

/// Multipliers of one driver's limits, in this order in [`Multipliers::rho`].
const RHO_MAX: usize = 0;
/// See [`RHO_MAX`].
const RHO_MIN: usize = 1;
/// See [`RHO_MAX`] (cents per weekend, where the others are cents per `unit` minutes).
const RHO_WEEKENDS: usize = 2;
/// See [`RHO_MAX`]; week `w`'s maximum is at `RHO_WEEK + w`.
const RHO_WEEK: usize = 3;

/// A point of the Lagrangian dual.
#[derive(Debug, Clone)]
struct Multipliers {
    /// One per demand cell, within `[−over, under]`.
    mu: Vec<f64>,
    /// `[driver × (RHO_WEEK + weeks)]`: the limits' multipliers (at least 0; 0 for a limit the
    /// driver does not have).
    rho: Vec<f64>,
}

/// What one driver's relaxed minimum needs for the subgradient.
#[derive(Debug, Default)]
struct RowUse {
    /// Demand cells the row works.
    cells: Vec<u32>,
    /// Minutes the row works in each ISO week.
    week_minutes: Vec<f64>,
    /// Weekends the row works.
    weekends: f64,
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
        let limits = ix
            .scenario
            .drivers
            .iter()
            .map(|driver| {
                let c = &driver.contract;
                RowLimits {
                    min: c.min_minutes.get() as f64,
                    max: c.max_minutes.map(|m| m.get() as f64),
                    week_max: c.max_minutes_per_week.map(|m| m.get() as f64),
                    weekends_max: c.max_weekends.map(f64::from),
                }
            })
            .collect();
        let unit = if ix.shifts() == 0 {
            1.0
        } else {
            (ix.duration.iter().map(|m| m.get() as f64).sum::<f64>() / ix.shifts() as f64).max(1.0)
        };
        Relaxation { ix, cells, options, own, limits, unit }
    }

    /// Multipliers per driver in [`Multipliers::rho`].
    fn rho_len(&self) -> usize {
        RHO_WEEK + self.ix.weeks()
    }

    /// Whether days `t` and `t + 1` are the two days of one weekend.
    fn same_weekend(&self, t: usize) -> bool {
        let w = &self.ix.weekend_of_day;
        w[t].is_some() && w.get(t + 1) == Some(&w[t])
    }

    /// Minutes option `code` works (0 for a day off).
    fn minutes(&self, code: u16) -> f64 {
        code.checked_sub(1).map_or(0.0, |s| self.ix.duration[usize::from(s)].get() as f64)
    }

    /// Driver `d`'s price of a minute worked on day `t` under `rho` (its multipliers), and the
    /// constant part of its minute terms: `Σ ρ·(excess) = Σ_t price[t]·minutes[t] + constant`.
    fn minute_prices(&self, d: usize, rho: &[f64]) -> (Vec<f64>, f64) {
        let (l, u) = (&self.limits[d], self.unit);
        let prices =
            self.ix.week_of_day.iter().map(|&w| (rho[RHO_MAX] - rho[RHO_MIN] + rho[RHO_WEEK + w]) / u).collect();
        let weeks: f64 = rho[RHO_WEEK..].iter().sum();
        let constant = (rho[RHO_MIN] * l.min - rho[RHO_MAX] * l.max.unwrap_or(0.0) - weeks * l.week_max.unwrap_or(0.0))
            / u
            - rho[RHO_WEEKENDS] * l.weekends_max.unwrap_or(0.0);
        (prices, constant)
    }

    /// Driver `d`'s subgradient of its limits' multipliers at the row that `used`, into `out`
    /// (minutes in `unit` minutes; 0 for a limit the driver does not have).
    fn limit_gradient(&self, d: usize, used: &RowUse, out: &mut [f64]) {
        let (l, u, week_minutes) = (&self.limits[d], self.unit, &used.week_minutes);
        let total: f64 = week_minutes.iter().sum();
        out[RHO_WEEKENDS] = l.weekends_max.map_or(0.0, |m| used.weekends - m);
        out[RHO_MAX] = l.max.map_or(0.0, |m| (total - m) / u);
        out[RHO_MIN] = (l.min - total) / u;
        for (g, w) in out[RHO_WEEK..].iter_mut().zip(week_minutes) {
            *g = l.week_max.map_or(0.0, |m| (w - m) / u);
        }
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

    /// Driver `d`'s relaxed minimum under `μ` and its limits' multipliers `rho`, and what its
    /// minimizing row uses (for the subgradient). `None` when some day has no option (then the
    /// driver has no legal row either).
    fn row(&self, d: usize, mu: &[f64], rho: &[f64], used: &mut RowUse) -> Option<f64> {
        let (ix, days) = (self.ix, &self.options[d]);
        let (prices, constant) = self.minute_prices(d, rho);
        let weekend = rho[RHO_WEEKENDS];
        let cost = |t: usize, o: &DayOption| {
            let weekend_day = if o.code != 0 && ix.weekend_of_day[t].is_some() { weekend } else { 0.0 };
            o.own - o.cell.map_or(0.0, |i| mu[i as usize]) + self.minutes(o.code) * prices[t] + weekend_day
        };
        // What option `b` on day t + 1 adds after `a` on day t: `None` when R2 forbids it; a
        // weekend worked on both its days counts once, so its second day takes the multiplier back.
        let link = |t: usize, a: u16, b: u16| {
            self.follows(a, b).then_some(if self.same_weekend(t) && a != 0 && b != 0 { -weekend } else { 0.0 })
        };
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
                            .filter_map(|(n, v)| link(t, o.code, n.code).map(|l| l + v))
                            .fold(f64::INFINITY, f64::min),
                    };
                    cost(t, o) + rest
                })
                .collect();
        }
        // The row itself, forwards: the option that attains each day's least cost.
        let mut previous: Option<u16> = None;
        let mut value = 0.0;
        used.cells.clear();
        used.week_minutes.clear();
        used.week_minutes.resize(ix.weeks(), 0.0);
        used.weekends = 0.0;
        for (t, opts) in days.iter().enumerate() {
            let (o, v) = opts
                .iter()
                .zip(&after[t])
                .filter_map(|(o, v)| match previous {
                    None => Some((o, *v)),
                    Some(p) => link(t - 1, p, o.code).map(|l| (o, l + v)),
                })
                .min_by(|a, b| a.1.total_cmp(&b.1))?;
            if !v.is_finite() {
                return None;
            }
            if t == 0 {
                value = v;
            }
            used.cells.extend(o.cell);
            used.week_minutes[ix.week_of_day[t]] += self.minutes(o.code);
            // A weekend counts on its first worked day.
            let counted = previous.is_some_and(|p| p != 0 && self.same_weekend(t - 1));
            if o.code != 0 && ix.weekend_of_day[t].is_some() && !counted {
                used.weekends += 1.0;
            }
            previous = Some(o.code);
        }
        Some(value + constant)
    }

    /// `Σ μ·req`: the cover rows' part of `L(μ)`.
    fn cover_part(&self, mu: &[f64]) -> f64 {
        self.cells.iter().zip(mu).map(|(c, m)| m * c.required).sum()
    }

    /// `L(μ, ρ)` and, for the subgradient, how many drivers the minimizing rows put on each cell
    /// (into `cover`) and the limits' excesses (into `excess`, laid out as `ρ`). `None`
    /// when some driver has no relaxed row.
    fn evaluate(&self, m: &Multipliers, cover: &mut [f64], excess: &mut [f64]) -> Option<f64> {
        let n = self.rho_len();
        let priced: Vec<Option<(f64, RowUse)>> = m
            .rho
            .par_chunks(n)
            .enumerate()
            .map(|(d, rho)| {
                let mut used = RowUse::default();
                self.row(d, &m.mu, rho, &mut used).map(|v| (v, used))
            })
            .collect();
        cover.iter_mut().for_each(|c| *c = 0.0);
        let mut value = self.cover_part(&m.mu);
        for (d, (p, out)) in priced.into_iter().zip(excess.chunks_mut(n)).enumerate() {
            let (v, used) = p?;
            value += v;
            for &i in &used.cells {
                cover[i as usize] += 1.0;
            }
            self.limit_gradient(d, &used, out);
        }
        Some(value)
    }

    /// Subgradient steps from `mu`, the best point kept in `best`, until `deadline`,
    /// cancellation, `MAX_STEPS` or a step shorter than `SMALLEST_STEP`. `None` when some driver
    /// has no relaxed row.
    fn ascend(
        &self,
        m: &mut Multipliers,
        best: &mut Best,
        target: Option<f64>,
        deadline: Instant,
        cancel: &CancelToken,
    ) -> Option<()> {
        let mut cover = vec![0.0; self.cells.len()];
        let mut excess = vec![0.0; m.rho.len()];
        let (mut theta, mut stale) = (1.0, 0);
        for _ in 0..MAX_STEPS {
            if cancel.is_cancelled() || Instant::now() >= deadline || theta < SMALLEST_STEP {
                break;
            }
            let value = self.evaluate(m, &mut cover, &mut excess)?;
            if value > best.value + 1e-6 {
                best.value = value;
                best.point.clone_from(m);
                stale = 0;
            } else {
                stale += 1;
                if stale >= PATIENCE {
                    (theta, stale) = (theta / 2.0, 0);
                }
            }
            let gradient: Vec<f64> = self.cells.iter().zip(&cover).map(|(c, n)| c.required - n).collect();
            // A multiplier at 0 whose limit has slack stays at 0: its component does not count.
            for (g, r) in excess.iter_mut().zip(&m.rho) {
                if *r <= 0.0 && *g < 0.0 {
                    *g = 0.0;
                }
            }
            let norm: f64 = gradient.iter().chain(&excess).map(|g| g * g).sum();
            if norm < 1e-9 {
                break; // every cell covered exactly and no limit exceeded: the point is optimal
            }
            // Without a roster, aim a tenth above the best bound so far.
            let aim = target.unwrap_or(best.value.abs() * 1.1 + 1.0).max(best.value + 1.0);
            let step = theta * (aim - value) / norm;
            for ((mu, g), c) in m.mu.iter_mut().zip(&gradient).zip(&self.cells) {
                *mu = (*mu + step * g).clamp(-c.over, c.under);
            }
            for (r, g) in m.rho.iter_mut().zip(&excess) {
                *r = (*r + step * g).max(0.0);
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
    /// The point.
    point: Multipliers,
}

/// The best duals the subgradient steps found, and their `L(μ)` over relaxed rows.
#[derive(Debug)]
pub struct CoverBound<'a> {
    /// The relaxed rows.
    relaxation: Relaxation<'a>,
    /// `μ`, one per demand cell, and the minute limits' `ρ`.
    duals: Multipliers,
    /// `L(μ, ρ)` over relaxed rows.
    value: f64,
}

impl CoverBound<'_> {
    /// The bound, rounded up to the cent (the objective is integral).
    pub fn bound(&self) -> f64 {
        (self.value - 1e-6).ceil()
    }

    /// `L(μ)` at the same duals with each driver's exact minimum over legal rows (the row DP,
    /// which adds R3's maxima, R5–R9 and overtime pay), rounded up: at least [`Self::bound`].
    /// Each driver's exact minimum is at least its relaxed one at `(μ, ρ)` (a legal row's limits
    /// have no excess, so its `ρ` terms are at most 0); a driver whose DP needs more than
    /// `max_labels` labels, or whose turn comes after `deadline`, keeps the relaxed one. With
    /// `legal`, a legal roster, each driver's row there bounds its DP from above: the DP then only
    /// looks for cheaper rows, and prunes the rest (a metro part's round takes a fraction of a
    /// second with it, several seconds without). `None` when a driver has no legal row (the
    /// scenario is infeasible) or on cancellation.
    pub fn with_exact_rows(
        &self,
        legal: Option<&RosterGrid>,
        max_labels: usize,
        deadline: Instant,
        cancel: &CancelToken,
    ) -> Option<f64> {
        let relaxation = &self.relaxation;
        let (ix, mu) = (relaxation.ix, &self.duals.mu);
        let rows: Vec<Option<f64>> = self
            .duals
            .rho
            .par_chunks(relaxation.rho_len())
            .enumerate()
            .map(|(d, rho)| {
                if cancel.is_cancelled() {
                    return None;
                }
                // The relaxed minimum, for a driver the exact DP does not answer.
                let relaxed = || relaxation.row(d, mu, rho, &mut RowUse::default());
                if Instant::now() >= deadline {
                    // Out of time: a round that ran over its share used to give no bound at all
                    // (a metro large part then kept its relaxed bound, 1.4 % below its roster).
                    return relaxed();
                }
                let costs = relaxation.priced_costs(d, mu);
                // The driver's legal row, priced: the exact minimum is at most its cost.
                let known =
                    legal.and_then(|g| row_cost(ix, DriverIdx(d), &costs, &g.row(DriverIdx(d)).collect::<Vec<_>>()));
                match best_row_within(ix, DriverIdx(d), &costs, known.map_or(f64::INFINITY, |k| k + 1e-6), max_labels) {
                    Ok(best) => Some(best.cost),
                    Err(NoRow::None) => known,
                    Err(NoRow::TooLarge) => relaxed(),
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
    let mu: Vec<f64> = cells
        .iter()
        .zip(&cheapest)
        .map(|(c, &m)| if m.is_finite() { m.clamp(-c.over, c.under) } else { c.under })
        .collect();
    let rho = vec![0.0; ix.drivers() * relaxation.rho_len()];
    let mut point = Multipliers { mu, rho };
    let mut best = Best { value: f64::NEG_INFINITY, point: point.clone() };
    relaxation.ascend(&mut point, &mut best, target, deadline, cancel)?;
    best.value.is_finite().then_some(CoverBound { relaxation, duals: best.point, value: best.value })
}
