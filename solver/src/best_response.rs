//! Local search by exact best responses: one driver's row re-optimized by the row DP while every
//! other row stays.
//!
//! Given the others, covering a demand cell one more time changes the objective by a known amount
//! (`−under` while the cell is short, `+over` once it is full), so a driver's best response is the
//! row DP with those amounts added to the driver's own cell costs, and the change of the roster's
//! objective is exactly the change of that row's cost. [`RowSearch`] keeps the roster, the cover
//! counts and each row's cost up to date, so a best response costs one DP and nothing else.
//!
//! Fairness spreads couple all drivers and are not in the moves; the evaluator prices them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use model::{DriverIdx, RosterGrid, ScenarioIndex, ShiftIdx};
use ndarray::Array2;
use rayon::prelude::*;

use crate::formulation::RosterModel;
use crate::highs_run::{RunConfig, run};
use crate::progress::{CancelToken, Phase, Progress};
use crate::row_dp::{BestRow, CellCosts, NoRow, best_row_within, good_row_within, row_cost};

/// A roster under local search.
#[derive(Debug, Clone)]
pub struct RowSearch<'a> {
    ix: &'a ScenarioIndex,
    /// Each driver's own cell costs (requests, premiums, baseline changes); shared by clones.
    own: Arc<Vec<CellCosts>>,
    /// The roster.
    grid: RosterGrid,
    /// `[day, shift]`: drivers assigned.
    count: Array2<i32>,
    /// Each row's own cost (cell costs and overtime); `None` while the row is not known to be legal.
    row_cost: Vec<Option<f64>>,
    /// Labels one best response's DP may keep (see [`best_row_within`]).
    pub max_labels: usize,
    /// When a whole-row DP would need more than `max_labels` labels (long horizons with narrow
    /// minute windows), the driver's best response comes from the MILP of that driver alone, with
    /// these settings; `None` gives up instead.
    pub milp_fallback: Option<MilpFallback<'a>>,
    /// Labels per day of the beam DP ([`good_row_within`]) that answers whole-row responses the
    /// exact DP cannot afford: a row not yet legal whose DP needs more than `first_row_labels`
    /// (a legal row fast matters more than the best one), and every row once one DP needed more
    /// than `max_labels` labels. `None`: the exact DP only.
    pub beam: Option<usize>,
    /// Labels the exact DP may keep for a row not yet legal when there is a beam.
    pub first_row_labels: usize,
    /// Whether a whole-row DP needed more than `max_labels` labels. The drivers of a scenario
    /// share its horizon and mostly its contracts, so the others' rows would too: their whole-row
    /// responses go to the beam DP from then on instead of spending the label budget again.
    long_rows: bool,
    /// Whether a whole-row exact DP needed more than the labels it was given (`first_row_labels`
    /// or `max_labels`): rows are long enough that answering several drivers at once pays.
    cut_short: bool,
    /// Time spent in exact whole-row DPs that gave an answer, and how many: what one round of
    /// column generation's pricing would cost per driver.
    exact_time: (Duration, u32),
}

/// One DP a best response tries ([`RowSearch::response_steps`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ResponseStep {
    /// The exact DP within this many labels.
    Exact(usize),
    /// The beam DP with this many labels a day.
    Beam(usize),
}

/// What the DPs of one best response gave.
#[derive(Debug)]
enum Answer {
    /// A legal row (the cheapest for an exact DP, a good one for the beam).
    Row(BestRow),
    /// The exact DP proved there is nothing below the current row (or no legal row at all).
    NothingBelow,
    /// Every DP gave up (too large for its labels, or a beam that found no row).
    Unanswered,
}

/// What the exact DPs of one best response learnt about the scenario (see the fields of the
/// same names in [`RowSearch`]).
#[derive(Debug, Default)]
struct DpLog {
    cut_short: bool,
    long_rows: bool,
    exact_time: Duration,
    exact_count: u32,
}

/// How a best response too large for the row DP is asked of HiGHS instead.
#[derive(Debug, Clone, Copy)]
pub struct MilpFallback<'a> {
    /// Time limit of one driver's MILP.
    pub limit: Duration,
    /// No driver's MILP runs past this instant (the caller's own deadline): the limit shrinks to
    /// the time left, and none starts after it.
    pub until: Instant,
    /// Stops it early (the solve's own cancellation).
    pub cancel: &'a CancelToken,
}

impl<'a> RowSearch<'a> {
    /// Starts from `grid`; rows are taken as legal (`legal = true`) or to be replaced by the first
    /// best response of their driver.
    pub fn new(ix: &'a ScenarioIndex, grid: RosterGrid, legal: bool) -> RowSearch<'a> {
        let own: Arc<Vec<CellCosts>> =
            Arc::new((0..ix.drivers()).map(|d| CellCosts::own_terms(ix, DriverIdx(d))).collect());
        let mut count = Array2::zeros((ix.days(), ix.shifts()));
        for d in 0..ix.drivers() {
            for (t, s) in grid.row(DriverIdx(d)).enumerate() {
                if let Some(s) = s {
                    count[[t, s.0]] += 1;
                }
            }
        }
        let row_cost = (0..ix.drivers())
            .map(|d| {
                let row: Vec<_> = grid.row(DriverIdx(d)).collect();
                if legal { row_cost(ix, DriverIdx(d), &own[d], &row) } else { None }
            })
            .collect();
        RowSearch {
            ix,
            own,
            grid,
            count,
            row_cost,
            max_labels: usize::MAX,
            milp_fallback: None,
            beam: None,
            first_row_labels: usize::MAX,
            long_rows: false,
            cut_short: false,
            exact_time: (Duration::ZERO, 0),
        }
    }

    /// Starts again from `grid`, a legal roster: what the search learnt about the scenario (the
    /// drivers' own cell costs, whether rows are long, the exact DPs' times) stays, so a search
    /// resumed after other searches changed the roster does not spend its label budget again
    /// to find that rows need the beam.
    pub fn restart(&mut self, grid: RosterGrid) {
        self.count.fill(0);
        for d in 0..self.ix.drivers() {
            for (t, s) in grid.row(DriverIdx(d)).enumerate() {
                if let Some(s) = s {
                    self.count[[t, s.0]] += 1;
                }
            }
            let row: Vec<_> = grid.row(DriverIdx(d)).collect();
            self.row_cost[d] = row_cost(self.ix, DriverIdx(d), &self.own[d], &row);
        }
        self.grid = grid;
    }

    /// The roster.
    pub fn grid(&self) -> &RosterGrid {
        &self.grid
    }

    /// Whether every row has been made legal.
    pub fn all_legal(&self) -> bool {
        self.row_cost.iter().all(Option::is_some)
    }

    /// The objective without fairness spreads: rows' own costs plus cover (`None` until every row
    /// is legal). Equals the evaluator's total when the spreads weigh nothing.
    pub fn total(&self) -> Option<f64> {
        let rows: f64 = self.row_cost.iter().copied().sum::<Option<f64>>()?;
        Some(rows + self.cover_cost())
    }

    /// Under- and over-cover cost of the current counts.
    pub fn cover_cost(&self) -> f64 {
        let mut c = 0.0;
        for ((t, s), cell) in self.ix.demand.indexed_iter() {
            if let Some(cell) = cell {
                c += cell.cover_cost(i64::from(self.count[[t, s]])).cents() as f64;
            }
        }
        c
    }

    /// Driver `d`'s cell costs given the other drivers' cover.
    pub fn costs_for(&self, d: DriverIdx) -> CellCosts {
        let mut c = self.own[d.0].clone();
        for ((t, s), cell) in self.ix.demand.indexed_iter() {
            let Some(cell) = cell else { continue };
            let mine = i32::from(self.grid.get(d, t) == Some(ShiftIdx(s)));
            let others = self.count[[t, s]] - mine;
            c.add_work(t, ShiftIdx(s), cell.one_more(i64::from(others)).cents() as f64);
        }
        c
    }

    /// Whether a whole-row exact DP was cut short: rows are long enough (long horizons, narrow
    /// minute windows) that answering several drivers at once in parallel pays.
    pub fn rows_are_long(&self) -> bool {
        self.cut_short
    }

    /// The mean time of one exact whole-row DP, unless none ran or one needed more than
    /// `max_labels` (rows too long for the exact DP: pricing them would be too). A row not yet
    /// legal cut short at `first_row_labels` does not count: that budget is kept small for a legal
    /// row fast, and the same driver's later DPs, bounded by its legal row, are timed.
    pub fn exact_response_time(&self) -> Option<Duration> {
        let (time, count) = self.exact_time;
        (count > 0 && !self.long_rows).then(|| time / count)
    }

    /// The exact DP for driver `d` under `costs` below `upper` within `max_labels`; a whole-row
    /// one is timed into `log`, or marks it cut short (and long rows at the full budget).
    fn exact_row(
        &self,
        d: DriverIdx,
        costs: &CellCosts,
        upper: f64,
        whole: bool,
        max_labels: usize,
        log: &mut DpLog,
    ) -> Result<BestRow, NoRow> {
        let started = Instant::now();
        let out = best_row_within(self.ix, d, costs, upper, max_labels);
        match (whole, &out) {
            (false, _) => {}
            (true, Err(NoRow::TooLarge)) => {
                log.cut_short = true;
                log.long_rows |= max_labels >= self.max_labels;
            }
            (true, _) => {
                log.exact_time += started.elapsed();
                log.exact_count += 1;
            }
        }
        out
    }

    /// Folds what one best response's DPs learnt into the search.
    fn record(&mut self, log: DpLog) {
        self.cut_short |= log.cut_short;
        self.long_rows |= log.long_rows;
        self.exact_time.0 += log.exact_time;
        self.exact_time.1 += log.exact_count;
    }

    /// Driver `d`'s cell costs given the others, with the days outside `window` forced to their
    /// current values, and the cost of its current row under them (`None` while not legal).
    fn response_costs(&self, d: DriverIdx, window: Option<&std::ops::Range<usize>>) -> (CellCosts, Option<f64>) {
        let mut costs = self.costs_for(d);
        if let Some(w) = window {
            for t in (0..self.ix.days()).filter(|t| !w.contains(t)) {
                costs.force(t, self.grid.get(d, t));
            }
        }
        let current: Vec<_> = self.grid.row(d).collect();
        let now = self.row_cost[d.0].and_then(|_| row_cost(self.ix, d, &costs, &current));
        (costs, now)
    }

    /// The DPs of [`Self::response_steps`] in turn, for driver `d` under `costs` (its current row
    /// costing `now`); reads the search, changes nothing, so drivers can be answered in parallel.
    fn answer(&self, d: DriverIdx, costs: &CellCosts, now: Option<f64>, whole: bool) -> (Answer, DpLog) {
        let mut log = DpLog::default();
        let upper = now.unwrap_or(f64::INFINITY);
        for step in self.response_steps(now.is_some(), whole) {
            let found = match step {
                // An exact DP never runs again with a budget a whole row already exceeded.
                ResponseStep::Exact(_) if whole && (self.long_rows || log.long_rows) && self.beam.is_some() => {
                    continue;
                }
                ResponseStep::Exact(labels) => match self.exact_row(d, costs, upper, whole, labels, &mut log) {
                    Ok(best) => best,
                    // Nothing below the current row (which is legal), or no legal row at all.
                    Err(NoRow::None) => return (Answer::NothingBelow, log),
                    Err(NoRow::TooLarge) => continue,
                },
                ResponseStep::Beam(width) => match good_row_within(self.ix, d, costs, upper, width) {
                    Ok(good) => good,
                    Err(_) => continue,
                },
            };
            return (Answer::Row(found), log);
        }
        (Answer::Unanswered, log)
    }

    /// Replaces driver `d`'s row by its best response, the days outside `window` kept; returns the
    /// decrease of the objective (0 when the row stays). A row not yet legal is always replaced;
    /// `None` when the driver has no legal row within the window, or when the DP needs more than
    /// `max_labels` labels and neither the beam nor the MILP fallback finds a row.
    pub fn best_response(&mut self, d: DriverIdx, window: Option<std::ops::Range<usize>>) -> Option<f64> {
        let (costs, now) = self.response_costs(d, window.as_ref());
        let whole = window.is_none();
        let (answer, log) = self.answer(d, &costs, now, whole);
        self.record(log);
        match answer {
            Answer::Row(found) => Some(self.accept(d, &found.row, found.cost, now)),
            Answer::NothingBelow => now.map(|_| 0.0),
            Answer::Unanswered => self.unanswered(d, &costs, now, whole),
        }
    }

    /// What a best response no DP answered comes to: a legal row stays when a beam found nothing
    /// cheaper; otherwise a whole row asks the driver's MILP.
    fn unanswered(&mut self, d: DriverIdx, costs: &CellCosts, now: Option<f64>, whole: bool) -> Option<f64> {
        match (whole, now, self.beam, self.milp_fallback) {
            (false, ..) => None,
            (true, Some(_), Some(_), _) => Some(0.0),
            (true, _, _, Some(fallback)) => self.milp_response(d, costs, now, fallback),
            (true, _, _, None) => None,
        }
    }

    /// Whole-row best responses of `drivers` with their DPs run in parallel, each against the
    /// roster as it was before any of them changed; returns the decrease of the objective, or
    /// `None` as [`Self::best_response`] does. Each answer is then priced again against the
    /// rows the earlier ones put in, and a legal row is replaced only by a cheaper one, so the
    /// objective never rises; rows not yet legal take their answer whatever it costs. Worth it on
    /// rows whose DP takes a good part of a second (long horizons), where the cover two drivers
    /// of a small batch both change is a small part of their cost.
    pub fn best_responses_in_parallel(&mut self, drivers: &[DriverIdx]) -> Option<f64> {
        if let [d] = drivers {
            return self.best_response(*d, None);
        }
        let asked: Vec<(DriverIdx, CellCosts, Option<f64>)> = drivers
            .iter()
            .map(|&d| {
                let (costs, now) = self.response_costs(d, None);
                (d, costs, now)
            })
            .collect();
        let answers: Vec<(Answer, DpLog)> =
            asked.par_iter().map(|(d, costs, now)| self.answer(*d, costs, *now, true)).collect();
        let mut gain = 0.0;
        for ((d, _, asked_now), (answer, log)) in asked.into_iter().zip(answers) {
            self.record(log);
            // The roster may have changed since the DP ran: the answer and the current row are
            // priced again.
            let (costs, now) = self.response_costs(d, None);
            gain += match answer {
                // A DP's row is legal, and the others' cover only moves its cost.
                Answer::Row(found) => {
                    row_cost(self.ix, d, &costs, &found.row).map_or(0.0, |cost| self.accept(d, &found.row, cost, now))
                }
                Answer::NothingBelow if asked_now.is_none() => return None,
                Answer::NothingBelow => 0.0,
                Answer::Unanswered => self.unanswered(d, &costs, now, true)?,
            };
        }
        Some(gain)
    }

    /// The DPs a best response tries in turn. Without a beam, the exact DP. With one, a row not
    /// yet legal gets the exact DP within `first_row_labels`, then the beam, then a beam ten times
    /// as wide (it mostly finds the row the narrow one missed), then the exact DP's full budget;
    /// a legal row gets the exact DP, then the beam. Whole rows skip the exact DP once one needed
    /// more than `max_labels` (`long_rows`).
    fn response_steps(&self, legal: bool, whole: bool) -> Vec<ResponseStep> {
        use ResponseStep::{Beam, Exact};
        match (self.beam, legal, whole) {
            (None, ..) => vec![Exact(self.max_labels)],
            (Some(_), false, false) => vec![Exact(self.max_labels.min(self.first_row_labels))],
            (Some(_), true, false) => vec![Exact(self.max_labels)],
            (Some(beam), false, true) => vec![
                Exact(self.max_labels.min(self.first_row_labels)),
                Beam(beam),
                Beam(beam.saturating_mul(10)),
                Exact(self.max_labels),
            ],
            (Some(beam), true, true) => vec![Exact(self.max_labels), Beam(beam)],
        }
    }

    /// Puts `row` (legal, costing `cost` under driver `d`'s cell costs given the others) in place
    /// of `d`'s current row unless that row is legal and costs no more (`now`); returns the
    /// decrease of the objective.
    fn accept(&mut self, d: DriverIdx, row: &[Option<ShiftIdx>], cost: f64, now: Option<f64>) -> f64 {
        match now {
            Some(now) if cost >= now - 1e-6 => 0.0,
            _ => {
                self.set_row(d, row);
                now.map_or(0.0, |n| n - cost)
            }
        }
    }

    /// Driver `d`'s best response by HiGHS: the model of `d` alone, the others' shifts a constant
    /// part of the cover, from `d`'s current row when it is legal. `costs` are `d`'s cell costs
    /// given the others (as for the DP) and `now` its current row's cost under them. Returns the
    /// decrease of the objective, or `None` when HiGHS finds no legal row in its time (or is
    /// cancelled first).
    fn milp_response(
        &mut self,
        d: DriverIdx,
        costs: &CellCosts,
        now: Option<f64>,
        fallback: MilpFallback<'_>,
    ) -> Option<f64> {
        let ix = self.ix;
        // No model is built when there is no time left to solve it.
        let time_limit = fallback.limit.min(fallback.until.saturating_duration_since(Instant::now()));
        if time_limit.is_zero() {
            return None;
        }
        // Counts are never negative: they count assigned drivers.
        let mut others = self.count.mapv(|c| c as u32);
        for (t, s) in self.grid.row(d).enumerate() {
            if let Some(s) = s {
                others[[t, s.0]] -= 1;
            }
        }
        let mut free = vec![false; ix.drivers()];
        free[d.0] = true;
        let mut model = RosterModel::build_for_drivers(ix, free, others);
        let started = Instant::now();
        let cfg = RunConfig {
            time_limit,
            gap: 0.0,
            threads: 1,
            seed: 0,
            verbose: false,
            heuristic_effort: 0.3,
            start: now.map(|_| model.start_from_grid(&self.grid)),
            started,
            phase: Phase::Heuristic,
            cancel: fallback.cancel,
            soft_deadline: None,
        };
        // A HiGHS failure on one driver's model is no answer, as a DP without a legal row is: the
        // caller's search decides what to do without this row.
        let out = run(&mut model, &cfg, &|_: &Progress| {}).ok()?;
        let row: Vec<_> = model.grid_from_columns(out.columns.as_deref()?).row(d).collect();
        // The evaluator's rules decide, not HiGHS's tolerance: a row the exact cost calls illegal
        // is no answer.
        let cost = row_cost(ix, d, costs, &row)?;
        Some(self.accept(d, &row, cost, now))
    }

    /// Sets driver `d`'s row (taken as legal) and updates counts and costs.
    pub fn set_row(&mut self, d: DriverIdx, row: &[Option<ShiftIdx>]) {
        for (t, &cell) in row.iter().enumerate() {
            if let Some(s) = self.grid.get(d, t) {
                self.count[[t, s.0]] -= 1;
            }
            self.grid.set(d, t, cell);
            if let Some(s) = cell {
                self.count[[t, s.0]] += 1;
            }
        }
        self.row_cost[d.0] = row_cost(self.ix, d, &self.own[d.0], row);
    }

    /// Best responses in `order` until a whole pass improves nothing (or `max_passes`); returns
    /// `false` if some driver has no legal row.
    pub fn descend(&mut self, order: &[DriverIdx], max_passes: usize) -> bool {
        for _ in 0..max_passes {
            let was_legal = self.all_legal();
            let mut gain = 0.0;
            for &d in order {
                match self.best_response(d, None) {
                    Some(g) => gain += g,
                    None => return false,
                }
            }
            if gain < 0.5 && was_legal {
                break;
            }
        }
        self.all_legal()
    }
}
