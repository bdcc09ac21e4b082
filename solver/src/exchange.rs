//! Exchange search: simulated annealing over whole rosters, by moves between drivers.
//!
//! After the row descent, the cost left on a metro part of 200 drivers is mostly overtime and
//! premiums spread thinly over thousands of cells, and most of what is left to gain takes two
//! drivers trading a stretch of their rows: the one with a 48-hour week hands a shift to one with
//! a 32-hour week, a cheaper driver takes a Sunday off a dearer one. A best response cannot make
//! such a trade (giving the shift away alone uncovers it), and a sub-MILP of LNS needs a second
//! for what this search tries a million times.
//!
//! Moves:
//!
//! * **segment swap**: drivers A and B exchange their rows on days `t..t + len` (`len` 1 is one
//!   day: a transfer when one of them is off, an exchange of shifts otherwise). The cover stays as
//!   it is, so the move costs the change of the two rows' own cell costs (requests, premiums,
//!   baseline changes) and of their overtime pay in the ISO weeks it touches;
//! * **cell change**: one driver's day becomes a day off or another shift, aimed half the time at a
//!   short or over-staffed demand cell; priced with the cell's under- and over-cover penalties.
//!
//! A move is priced in O(`len`) from per-driver week minutes before any rule is looked at. Only a
//! move the annealing would accept is applied and checked by the evaluator's own per-driver rules
//! ([`model::evaluate::driver_violations`], R2–R11), and undone if it breaks one, so every roster
//! the search holds is legal. Fairness spreads couple all drivers and are left to the evaluator.
//!
//! The temperature falls geometrically from `T0` to `T0 / 1000` over each cycle of
//! [`CYCLE_MOVES`] moves, then the search re-heats from the best roster at half that `T0`. The
//! first `T0` is set from the first uphill moves the search prices; a later run (after a restart
//! from another search's roster) resumes at the `T0` the last one reached, unless the caller
//! re-heats it ([`ExchangeSearch::reheat`]). A run may stop after a
//! number of cycles in a row without a better roster ([`ExchangeLimits::stall_cycles`]). The
//! sequence of moves depends only on the seed (and the `T0` it resumes at), so a run bounded by
//! moves is reproducible; a deadline only decides how many run.

use std::time::Instant;

use model::evaluate::driver_violations;
use model::overtime::week_overtime_pay;
use model::{DriverIdx, Minutes, RosterGrid, ScenarioIndex, ShiftIdx};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::progress::CancelToken;
use crate::row_dp::CellCosts;

/// Moves in one annealing cycle (hot to cold).
pub const CYCLE_MOVES: u64 = 400_000;

/// Longest segment a swap exchanges.
const MAX_SEGMENT: usize = 7;

/// Uphill moves sampled to set the starting temperature.
const CALIBRATION_SAMPLES: usize = 200;

/// Moves between two looks at the clock and the cancellation token.
const CHECK_EVERY: u64 = 1_024;

/// What a search run did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExchangeOutcome {
    /// Objective (without fairness spreads) of the roster it started from.
    pub start: f64,
    /// Objective (without fairness spreads) of the best roster it found.
    pub best: f64,
    /// Moves priced.
    pub moves: u64,
    /// Moves applied (legal and accepted).
    pub accepted: u64,
}

/// When a run stops (whichever comes first, or cancellation).
#[derive(Debug, Clone, Copy)]
pub struct ExchangeLimits {
    /// Wall-clock end.
    pub deadline: Instant,
    /// Moves to price at most (a run bounded only by moves repeats exactly for its seed).
    pub max_moves: Option<u64>,
    /// An objective that cannot be beaten (the bound rounded up): stop on reaching it.
    pub stop_at: Option<f64>,
    /// Stop after this many annealing cycles in a row without a better roster: the search has
    /// settled, and the time is better spent elsewhere.
    pub stall_cycles: Option<u32>,
}

impl ExchangeLimits {
    /// Only a deadline.
    pub fn until(deadline: Instant) -> ExchangeLimits {
        ExchangeLimits { deadline, max_moves: None, stop_at: None, stall_cycles: None }
    }
}

/// A legal roster under exchange search, with everything a move's price needs.
#[derive(Debug)]
pub struct ExchangeSearch<'a> {
    /// The scenario.
    ix: &'a ScenarioIndex,
    /// Each driver's own cell costs (requests, premiums, baseline changes).
    own: Vec<CellCosts>,
    /// The roster (always legal).
    grid: RosterGrid,
    /// `[day, shift]`: drivers assigned.
    count: Array2<i32>,
    /// `[driver, week]`: minutes worked in the ISO week.
    week_minutes: Array2<i64>,
    /// `[driver, week]`: overtime pay of that week (cents; 0 when overtime does not count).
    week_pay: Array2<f64>,
    /// `[driver]`: a bitmask of the shift types the driver may ever work (R3 > 0 and R4).
    workable: Vec<Vec<u64>>,
    /// `[driver]`: the other drivers who share at least one workable shift type with it.
    peers: Vec<Vec<DriverIdx>>,
    /// `[shift]`: the drivers who may work it.
    able: Vec<Vec<DriverIdx>>,
    /// The demand cells `(day, shift)`.
    cells: Vec<(usize, usize)>,
    /// The objective without fairness spreads.
    total: f64,
    /// Temperature the next annealing cycle starts at: calibrated by the first run, then where the
    /// last run left off, so that a run resumed after other searches goes on cooling from the best
    /// roster instead of wandering away from it at the first run's heat (on a metro part of 222
    /// drivers, resumed runs at that heat settled without a gain while one long run kept gaining).
    heat: Option<f64>,
}

impl<'a> ExchangeSearch<'a> {
    /// Starts from `grid`, which must be legal (every roster the solver holds is).
    pub fn new(ix: &'a ScenarioIndex, grid: RosterGrid) -> ExchangeSearch<'a> {
        let (nd, nt, ns, nw) = (ix.drivers(), ix.days(), ix.shifts(), ix.weeks());
        let own: Vec<CellCosts> = (0..nd).map(|d| CellCosts::own_terms(ix, DriverIdx(d))).collect();
        let words = ns.div_ceil(64);
        let workable: Vec<Vec<u64>> = (0..nd)
            .map(|d| {
                let mut mask = vec![0u64; words];
                for s in (0..ns).filter(|&s| ix.qualified[[d, s]] && ix.max_shifts[[d, s]] > 0) {
                    mask[s / 64] |= 1 << (s % 64);
                }
                mask
            })
            .collect();
        let peers = (0..nd)
            .map(|a| {
                (0..nd)
                    .filter(|&b| b != a && workable[a].iter().zip(&workable[b]).any(|(x, y)| x & y != 0))
                    .map(DriverIdx)
                    .collect()
            })
            .collect();
        let able = (0..ns)
            .map(|s| (0..nd).filter(|&d| workable[d][s / 64] >> (s % 64) & 1 == 1).map(DriverIdx).collect())
            .collect();
        let cells = ix.demand.indexed_iter().filter(|(_, c)| c.is_some()).map(|(k, _)| k).collect();
        let mut search = ExchangeSearch {
            ix,
            own,
            grid,
            count: Array2::zeros((nt, ns)),
            week_minutes: Array2::zeros((nd, nw)),
            week_pay: Array2::zeros((nd, nw)),
            workable,
            peers,
            able,
            cells,
            total: 0.0,
            heat: None,
        };
        search.recount();
        search
    }

    /// Starts over from `grid` (legal), keeping the per-driver tables.
    pub fn restart(&mut self, grid: RosterGrid) {
        self.grid = grid;
        self.recount();
    }

    /// Forgets the temperature the last run cooled to: the next run calibrates a new one, as the
    /// first did, and so may climb out of the basin the cooled runs could not leave.
    pub fn reheat(&mut self) {
        self.heat = None;
    }

    /// Recomputes counts, week minutes, week pay and the total from the grid.
    fn recount(&mut self) {
        let ix = self.ix;
        self.count.fill(0);
        self.week_minutes.fill(0);
        let mut total = 0.0;
        for d in 0..ix.drivers() {
            for t in 0..ix.days() {
                let cell = self.grid.get(DriverIdx(d), t);
                total += self.own_cost(DriverIdx(d), t, cell);
                if let Some(s) = cell {
                    self.count[[t, s.0]] += 1;
                    self.week_minutes[[d, ix.week_of_day[t]]] += ix.duration[s.0].get();
                }
            }
            for w in 0..ix.weeks() {
                let pay = self.overtime_pay(DriverIdx(d), w, self.week_minutes[[d, w]]);
                self.week_pay[[d, w]] = pay;
                total += pay;
            }
        }
        for &(t, s) in &self.cells {
            let cell = ix.demand[[t, s]].expect("a demand cell");
            total += cell.cover_cost(i64::from(self.count[[t, s]])).cents() as f64;
        }
        self.total = total;
    }

    /// The roster.
    pub fn grid(&self) -> &RosterGrid {
        &self.grid
    }

    /// Hands the roster back.
    pub fn into_grid(self) -> RosterGrid {
        self.grid
    }

    /// The objective without fairness spreads (the evaluator's total when they weigh nothing).
    pub fn total(&self) -> f64 {
        self.total
    }

    /// The temperature the next annealing cycle starts at (`None` before the first run).
    pub fn heat(&self) -> Option<f64> {
        self.heat
    }

    fn own_cost(&self, d: DriverIdx, t: usize, cell: Option<ShiftIdx>) -> f64 {
        match cell {
            Some(s) => self.own[d.0].work(t, s),
            None => self.own[d.0].off[t],
        }
    }

    fn overtime_pay(&self, d: DriverIdx, w: usize, minutes: i64) -> f64 {
        if self.ix.scenario.weights.overtime {
            week_overtime_pay(self.ix, d, w, Minutes(minutes)).cents() as f64
        } else {
            0.0
        }
    }

    fn minutes(&self, cell: Option<ShiftIdx>) -> i64 {
        cell.map_or(0, |s| self.ix.duration[s.0].get())
    }

    /// Whether driver `d` may work `cell` on day `t` as far as the single cell goes (R3 types
    /// never allowed, R4, R10).
    fn fits(&self, d: DriverIdx, t: usize, cell: Option<ShiftIdx>) -> bool {
        cell.is_none_or(|s| self.workable[d.0][s.0 / 64] >> (s.0 % 64) & 1 == 1 && !self.ix.unavailable[[d.0, t]])
    }

    /// Change of the objective if A and B exchange their rows on `days`; `None` when a cell does not
    /// fit its new driver or the rows are the same there.
    fn price_swap(&self, a: DriverIdx, b: DriverIdx, days: std::ops::Range<usize>) -> Option<f64> {
        let ix = self.ix;
        let mut delta = 0.0;
        // Week minutes change only in the weeks the segment touches (at most two ISO weeks for
        // 7 days): collect them as (week, change of A).
        let mut weeks: [(usize, i64); 2] = [(usize::MAX, 0); 2];
        let mut nweeks = 0;
        let mut changed = false;
        for t in days {
            let (x, y) = (self.grid.get(a, t), self.grid.get(b, t));
            if x == y {
                continue;
            }
            changed = true;
            if !self.fits(a, t, y) || !self.fits(b, t, x) {
                return None;
            }
            delta += self.own_cost(a, t, y) - self.own_cost(a, t, x) + self.own_cost(b, t, x) - self.own_cost(b, t, y);
            let (w, change) = (ix.week_of_day[t], self.minutes(y) - self.minutes(x));
            match weeks[..nweeks].iter_mut().find(|(k, _)| *k == w) {
                Some(entry) => entry.1 += change,
                None => {
                    weeks[nweeks] = (w, change);
                    nweeks += 1;
                }
            }
        }
        if !changed {
            return None;
        }
        for &(w, change) in &weeks[..nweeks] {
            if change != 0 {
                delta += self.overtime_pay(a, w, self.week_minutes[[a.0, w]] + change) - self.week_pay[[a.0, w]];
                delta += self.overtime_pay(b, w, self.week_minutes[[b.0, w]] - change) - self.week_pay[[b.0, w]];
            }
        }
        Some(delta)
    }

    /// Change of the cover cost when one more (`add`) or one fewer driver works `(t, s)`.
    fn cover_delta(&self, t: usize, s: ShiftIdx, add: bool) -> f64 {
        let Some(cell) = self.ix.demand[[t, s.0]] else { return 0.0 };
        let n = i64::from(self.count[[t, s.0]]);
        // Taking one away undoes what the last one added.
        let cost = if add { cell.one_more(n) } else { -cell.one_more(n - 1) };
        cost.cents() as f64
    }

    /// Change of the objective if driver `d` works `to` on day `t`; `None` when it does not fit.
    fn price_change(&self, d: DriverIdx, t: usize, to: Option<ShiftIdx>) -> Option<f64> {
        let from = self.grid.get(d, t);
        if from == to || !self.fits(d, t, to) {
            return None;
        }
        let mut delta = self.own_cost(d, t, to) - self.own_cost(d, t, from);
        if let Some(s) = from {
            delta += self.cover_delta(t, s, false);
        }
        if let Some(s) = to {
            delta += self.cover_delta(t, s, true);
        }
        let w = self.ix.week_of_day[t];
        let minutes = self.week_minutes[[d.0, w]] + self.minutes(to) - self.minutes(from);
        Some(delta + self.overtime_pay(d, w, minutes) - self.week_pay[[d.0, w]])
    }

    /// Sets one cell and keeps counts, week minutes and week pay up to date (the caller adds the
    /// move's price to the total).
    fn set(&mut self, d: DriverIdx, t: usize, to: Option<ShiftIdx>) {
        let from = self.grid.get(d, t);
        if from == to {
            return;
        }
        if let Some(s) = from {
            self.count[[t, s.0]] -= 1;
        }
        if let Some(s) = to {
            self.count[[t, s.0]] += 1;
        }
        self.grid.set(d, t, to);
        let w = self.ix.week_of_day[t];
        self.week_minutes[[d.0, w]] += self.minutes(to) - self.minutes(from);
        self.week_pay[[d.0, w]] = self.overtime_pay(d, w, self.week_minutes[[d.0, w]]);
    }

    /// Whether every rule of driver `d` holds (the evaluator's check).
    fn legal(&self, d: DriverIdx) -> bool {
        driver_violations(self.ix, &self.grid, d).is_empty()
    }

    /// Applies the swap if both rows stay legal; returns whether it did.
    fn try_swap(&mut self, a: DriverIdx, b: DriverIdx, days: std::ops::Range<usize>, delta: f64) -> bool {
        let swap = |s: &mut Self| {
            for t in days.clone() {
                let (x, y) = (s.grid.get(a, t), s.grid.get(b, t));
                s.set(a, t, y);
                s.set(b, t, x);
            }
        };
        swap(self);
        if self.legal(a) && self.legal(b) {
            self.total += delta;
            true
        } else {
            swap(self);
            false
        }
    }

    /// Applies the cell change if the row stays legal; returns whether it did.
    fn try_change(&mut self, d: DriverIdx, t: usize, to: Option<ShiftIdx>, delta: f64) -> bool {
        let from = self.grid.get(d, t);
        self.set(d, t, to);
        if self.legal(d) {
            self.total += delta;
            true
        } else {
            self.set(d, t, from);
            false
        }
    }

    /// A random move and its price: `None` when it does not fit or changes nothing.
    fn propose(&self, rng: &mut ChaCha8Rng) -> Option<(Move, f64)> {
        let (nd, nt) = (self.ix.drivers(), self.ix.days());
        if rng.random_bool(0.7) {
            let a = DriverIdx(rng.random_range(0..nd));
            let peers = &self.peers[a.0];
            if peers.is_empty() {
                return None;
            }
            let b = peers[rng.random_range(0..peers.len())];
            // Short segments most of the time: one day is the commonest useful trade.
            let len = if rng.random_bool(0.5) { 1 } else { rng.random_range(2..=MAX_SEGMENT) }.min(nt);
            let from = rng.random_range(0..=nt - len);
            let delta = self.price_swap(a, b, from..from + len)?;
            return Some((Move::Swap { a, b, from, len }, delta));
        }
        let (d, t, to) = self.pick_change(rng)?;
        let delta = self.price_change(d, t, to)?;
        Some((Move::Change { d, t, to }, delta))
    }

    /// A cell change: half the time towards a badly staffed demand cell, else at random.
    fn pick_change(&self, rng: &mut ChaCha8Rng) -> Option<(DriverIdx, usize, Option<ShiftIdx>)> {
        let (nd, nt, ns) = (self.ix.drivers(), self.ix.days(), self.ix.shifts());
        if !self.cells.is_empty() && rng.random_bool(0.5) {
            let (t, s) = self.cells[rng.random_range(0..self.cells.len())];
            let cell = self.ix.demand[[t, s]]?;
            let n = self.count[[t, s]];
            if n < cell.required as i32 {
                let able = &self.able[s];
                return (!able.is_empty()).then(|| (able[rng.random_range(0..able.len())], t, Some(ShiftIdx(s))));
            }
            if n > cell.required as i32 {
                // One of the drivers on it, found by a scan from a random driver.
                let first = rng.random_range(0..nd);
                let d =
                    (0..nd).map(|k| DriverIdx((first + k) % nd)).find(|d| self.grid.get(*d, t) == Some(ShiftIdx(s)))?;
                let to = if rng.random_bool(0.5) { None } else { Some(ShiftIdx(rng.random_range(0..ns))) };
                return Some((d, t, to));
            }
        }
        let d = DriverIdx(rng.random_range(0..nd));
        let t = rng.random_range(0..nt);
        let to = if rng.random_bool(0.3) { None } else { Some(ShiftIdx(rng.random_range(0..ns))) };
        Some((d, t, to))
    }

    fn apply(&mut self, mv: Move, delta: f64) -> bool {
        match mv {
            Move::Swap { a, b, from, len } => self.try_swap(a, b, from..from + len, delta),
            Move::Change { d, t, to } => self.try_change(d, t, to, delta),
        }
    }

    /// Anneals until one of `limits` is reached or `cancel` fires; leaves the best roster found in
    /// place.
    pub fn run(&mut self, seed: u64, limits: &ExchangeLimits, cancel: &CancelToken) -> ExchangeOutcome {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let start = self.total;
        let (mut best, mut best_grid, mut at_best) = (self.total, None::<RosterGrid>, true);
        let mut heat = self.heat.unwrap_or_else(|| self.calibrate(&mut rng));
        let (mut moves, mut accepted) = (0u64, 0u64);
        let done = |best: f64| limits.stop_at.is_some_and(|s| best <= s + 1e-6);
        // Cycles in a row that ended without a better roster.
        let mut stalled = 0;
        'cycles: while !done(best) && limits.stall_cycles.is_none_or(|n| stalled < n) {
            let cycle_start = best;
            for k in 0..CYCLE_MOVES {
                if limits.max_moves.is_some_and(|m| moves >= m)
                    || moves % CHECK_EVERY == 0 && (Instant::now() >= limits.deadline || cancel.is_cancelled())
                {
                    break 'cycles;
                }
                moves += 1;
                let temperature = heat * 1e-3f64.powf(k as f64 / CYCLE_MOVES as f64);
                let Some((mv, delta)) = self.propose(&mut rng) else { continue };
                let uphill = delta > 1e-9;
                if uphill && (temperature <= 0.0 || rng.random::<f64>() >= (-delta / temperature).exp()) {
                    continue;
                }
                if uphill && at_best {
                    // Leaving the best roster: keep a copy to come back to.
                    best_grid = Some(self.grid.clone());
                }
                if !self.apply(mv, delta) {
                    continue;
                }
                accepted += 1;
                at_best = false;
                if self.total < best - 1e-6 || self.total <= best + 1e-6 && !uphill {
                    best = self.total.min(best);
                    at_best = true;
                    if done(best) {
                        break 'cycles;
                    }
                }
            }
            stalled = if best < cycle_start - 1e-6 { 0 } else { stalled + 1 };
            // Re-heat from the best roster, cooler each cycle.
            self.restore(&mut best_grid, at_best, best);
            at_best = true;
            heat *= 0.5;
        }
        self.restore(&mut best_grid, at_best, best);
        self.heat = Some(heat);
        ExchangeOutcome { start, best: self.total, moves, accepted }
    }

    /// Puts the best roster back unless the current one is it. `best` is its objective as the
    /// moves' prices summed it up; the recount from the grid must agree (all amounts are whole
    /// cents), which debug builds check.
    fn restore(&mut self, best_grid: &mut Option<RosterGrid>, at_best: bool, best: f64) {
        if !at_best && let Some(g) = best_grid.take() {
            self.restart(g);
        }
        debug_assert!((self.total - best).abs() < 0.5, "priced {best}, recounted {}", self.total);
    }

    /// A starting temperature: the median price of sampled uphill moves over ln 10, so that about
    /// one such move in ten is accepted at first. 0 (plain descent) when none is found.
    fn calibrate(&self, rng: &mut ChaCha8Rng) -> f64 {
        let mut ups: Vec<f64> = (0..CALIBRATION_SAMPLES * 20)
            .filter_map(|_| self.propose(rng))
            .map(|(_, d)| d)
            .filter(|d| *d > 1e-9)
            .take(CALIBRATION_SAMPLES)
            .collect();
        if ups.is_empty() {
            return 0.0;
        }
        ups.sort_by(f64::total_cmp);
        ups[ups.len() / 2] / std::f64::consts::LN_10
    }
}

/// A move of the search.
#[derive(Debug, Clone, Copy)]
enum Move {
    /// A and B exchange their rows on `from..from + len`.
    Swap {
        /// One driver.
        a: DriverIdx,
        /// The other driver (a peer of `a`).
        b: DriverIdx,
        /// First day of the segment.
        from: usize,
        /// Days in the segment (1 to [`MAX_SEGMENT`]).
        len: usize,
    },
    /// Driver `d` works `to` on day `t`.
    Change {
        /// The driver.
        d: DriverIdx,
        /// The day.
        t: usize,
        /// The new cell: a shift, or `None` for a day off.
        to: Option<ShiftIdx>,
    },
}
