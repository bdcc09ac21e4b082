//! The planner's entry point: first rosters, column generation, exchange search, MILP on HiGHS,
//! large neighbourhood search, evaluator check, diagnosis.
//!
//! The phases, each anytime and each handing its best roster to the next:
//!
//! 1. first rosters: a previous roster, the greedy heuristic and the row descent (every driver's
//!    exact best response to the others, from an empty roster, until nobody improves);
//! 2. column generation ([`crate::colgen`]): a lower bound that is often the optimum, the rosters
//!    its pricing builds, and a dive; when it does not converge, the cover bound
//!    ([`crate::cover_bound`]), the same Lagrangian dual over relaxed rows, and the exchange
//!    search ([`crate::exchange`]) in place of the dives;
//! 3. the monolithic MILP on HiGHS, for small models (it proves their optimum quickly) or when
//!    column generation gave no bound or an unconverged one that the cover bound does not beat;
//! 4. turns of the exchange search and large neighbourhood search, each turn to the one that
//!    gained more per second, until the time limit or the bound.
//!
//! The objective is integral (cents), so a roster whose objective is the bound rounded up is
//! optimal, and the solve stops there.
//!
//! This module holds the entry point ([`solve`]), the first rosters and the bounds without a
//! converged master; [`dives`] holds column generation and its dives (phase 2), and
//! [`final_phase`] the turns of phase 4.

use std::time::{Duration, Instant};

use model::{DriverIdx, Evaluation, Money, RosterGrid, ScenarioIndex, evaluate};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::best_response::{MilpFallback, RowSearch};
use crate::cover_bound::cover_bound;
use crate::decompose::{decomposable, parts};
use crate::diagnosis::{Diagnosis, diagnose};
use crate::error::SolverError;
use crate::formulation::RosterModel;
use crate::heuristic::construct;
use crate::highs_run::{RunConfig, RunStatus, run};
use crate::lns::Incumbent;
use crate::options::SolveOptions;
use crate::progress::{CancelToken, Phase, Progress, ProgressSink, relative_gap};
use crate::solve_parts::solve_parts;

mod dives;
mod final_phase;

use dives::{
    BRANCH_AFTER_DIVES_DRIVERS, BRANCH_AND_PRICE_DRIVERS, BRANCHING_DIVE_PATIENCE_SHARE, DIVE_PATIENCE_SHARE,
    branch_and_price, column_generation, more_dives,
};
use final_phase::{EXCHANGE_SHARE, exchange, final_search};

/// How a solve ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SolveStatus {
    /// The roster is optimal (within the requested gap).
    Optimal,
    /// A legal roster was found but the time limit or a cancellation stopped the search.
    FeasibleAtLimit,
    /// No roster satisfies every hard rule; see the diagnosis.
    Infeasible,
    /// Stopped before any legal roster was found.
    NoSolutionYet,
}

impl SolveStatus {
    /// Snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            SolveStatus::Optimal => "optimal",
            SolveStatus::FeasibleAtLimit => "feasible_at_limit",
            SolveStatus::Infeasible => "infeasible",
            SolveStatus::NoSolutionYet => "no_solution_yet",
        }
    }
}

/// Size of the MILP.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ModelSize {
    /// Columns.
    pub columns: usize,
    /// Rows.
    pub rows: usize,
}

/// The result of a solve, as data.
#[derive(Debug, Clone)]
pub struct SolveResult {
    /// How it ended.
    pub status: SolveStatus,
    /// The best legal roster, if any.
    pub roster: Option<RosterGrid>,
    /// The evaluator's verdict on it (always free of hard violations).
    pub evaluation: Option<Evaluation>,
    /// Best proven lower bound on the objective (cents).
    pub bound: Option<f64>,
    /// Total time.
    pub elapsed: Duration,
    /// When the returned roster was found.
    pub time_to_best: Option<Duration>,
    /// Why there is no roster, when infeasible.
    pub diagnosis: Option<Diagnosis>,
    /// Size of the monolithic MILP (summed over parts), when one was built: column generation
    /// makes it unnecessary on all but small models.
    pub size: Option<ModelSize>,
    /// Independent parts solved separately (1 = monolithic).
    pub parts: usize,
}

impl SolveResult {
    /// The evaluator's objective of the roster.
    pub fn objective(&self) -> Option<Money> {
        self.evaluation.as_ref().map(|e| e.objective.total())
    }

    /// Relative gap between the objective and the bound.
    pub fn gap(&self) -> Option<f64> {
        let obj = self.objective()?.cents() as f64;
        self.bound.map(|b| relative_gap(obj, b))
    }
}

/// What a caller can hook into a solve.
#[derive(Clone, Copy)]
pub struct SolveHooks<'a> {
    /// Receives progress reports.
    pub progress: ProgressSink<'a>,
    /// Stops the solve early.
    pub cancel: &'a CancelToken,
    /// A previous roster to start from; when it is legal, the greedy construction is skipped and
    /// the row descent starts from it.
    pub initial: Option<&'a RosterGrid>,
}

impl std::fmt::Debug for SolveHooks<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SolveHooks").field("cancel", self.cancel).field("initial", &self.initial.is_some()).finish()
    }
}

/// Models up to this many assignment columns get the monolithic MILP phase even when column generation gave a
/// bound: HiGHS proves such models optimal in seconds, while on larger ones its time is better
/// spent in the neighbourhood search.
const SMALL_MILP_COLUMNS: usize = 1_000;

/// Models up to this many assignment columns get the monolithic MILP when column generation did
/// not converge: HiGHS's root bound is then much better than the early Lagrangian one (metro
/// parts of 25 drivers), while on larger models the MILP only takes time from the neighbourhood
/// search (Curtois Instance13: 60,000 columns).
const UNCONVERGED_MILP_COLUMNS: usize = 20_000;

/// Models up to this many assignment columns are ones on which HiGHS improves rosters within
/// seconds, not only its bound (metro parts of 25 drivers: 5,000 columns).
const QUICK_MILP_COLUMNS: usize = 10_000;

/// A bound at least this share of the best roster's objective makes the monolithic MILP's root
/// bound not worth its time on models where column generation did not converge.
const STRONG_BOUND_SHARE: f64 = 0.5;

/// Share of the time limit the cover bound's subgradient steps may take at most.
const COVER_BOUND_SHARE: f64 = 0.05;

/// Share of the time limit the cover bound's round of exact rows may take at most: on metro parts
/// it raises the bound by about half a percent, in 0.3 to 0.9 s of a 9 to 18 s budget.
const EXACT_ROWS_SHARE: f64 = 0.1;

/// Models above this many assignment columns never get the monolithic MILP: building it alone
/// takes gigabytes and a good part of a minute (Curtois Instance23 and 24), and HiGHS could not
/// solve it in a planner's time limit.
const LARGEST_MILP_COLUMNS: usize = 300_000;

/// The best roster so far, the best bound, and the progress reports about them.
struct Tracker<'a> {
    ix: &'a ScenarioIndex,
    started: Instant,
    sink: ProgressSink<'a>,
    best: Option<Incumbent>,
    bound: Option<f64>,
}

impl Tracker<'_> {
    /// Keeps `grid` if it is legal and better than the best so far; reports it.
    fn consider(&mut self, grid: RosterGrid, phase: Phase) {
        let eval = evaluate(self.ix, &grid);
        let better = self.best.as_ref().is_none_or(|b| eval.objective.total() < b.eval.objective.total());
        if eval.is_feasible() && better {
            self.best = Some(Incumbent { grid, eval, found: self.started.elapsed() });
            self.report(phase);
        }
    }

    /// Raises the bound to `bound` (a valid lower bound) and reports it.
    fn raise_bound(&mut self, bound: f64, phase: Phase) {
        if bound.is_finite() && self.bound.is_none_or(|b| bound > b) {
            self.bound = Some(bound);
            self.report(phase);
        }
    }

    fn report(&self, phase: Phase) {
        let incumbent = self.objective().map(|o| o as f64);
        let gap = incumbent.zip(self.bound).map(|(i, b)| relative_gap(i, b));
        (self.sink)(&Progress { elapsed: self.started.elapsed(), incumbent, bound: self.bound, gap, phase });
    }

    fn objective(&self) -> Option<i64> {
        self.best.as_ref().map(|b| b.eval.objective.total().cents())
    }

    /// Whether the best roster is proven optimal: the objective is integral, so a roster less than
    /// 1 above the bound cannot be beaten.
    fn proven(&self) -> bool {
        self.objective().zip(self.bound).is_some_and(|(o, b)| (o as f64) < b + 1.0 - 1e-6)
    }
}

/// Finds the best roster it can for `ix` within `opts.time_limit`.
pub fn solve(ix: &ScenarioIndex, opts: &SolveOptions, hooks: SolveHooks<'_>) -> Result<SolveResult, SolverError> {
    let parts = parts(ix);
    if opts.decompose && hooks.initial.is_none() && decomposable(ix, &parts) {
        return solve_parts(ix, &parts, opts, hooks);
    }
    let started = Instant::now();
    let deadline = started + opts.time_limit;
    let cancel = hooks.cancel;
    let mut track = Tracker { ix, started, sink: hooks.progress, best: None, bound: None };
    if let Some(initial) = hooks.initial {
        track.consider(initial.clone(), Phase::Heuristic);
    }
    let cells = workable_cells(ix);
    let mut dp_seconds_per_driver = None;
    if opts.warm_start {
        // A legal roster passed in (a previous roster, or a part's greedy roster from
        // `solve_parts`) is the start; the greedy construction is for when there is none.
        if track.best.is_none() {
            track.consider(construct(ix), Phase::Heuristic);
        }
        let from = track.best.as_ref().map(|b| b.grid.clone());
        // A tenth of the budget to improve, more while some row is still illegal: without a legal
        // roster there is no column generation and no neighbourhood search. The monolithic MILP
        // may still find one in the rest of the budget; where it will not run, the descent is the
        // only way to a roster and keeps all but a margin of the budget.
        let legal_share = if cells > LARGEST_MILP_COLUMNS { 0.95 } else { 0.4 };
        let until = (started + opts.time_limit.mul_f64(0.1), started + opts.time_limit.mul_f64(legal_share));
        if let Some((grid, per_response)) =
            row_descent(ix, from.as_ref(), opts.seed, opts.threads as usize, until, cancel)
        {
            dp_seconds_per_driver = per_response.map(|r| r.as_secs_f64());
            track.consider(grid, Phase::Heuristic);
        }
    }
    let mut master = None;
    if opts.column_generation
        && let Some(per_driver) = dp_seconds_per_driver
    {
        master = column_generation(ix, opts, per_driver, &mut track, cancel)?;
    }
    // Whether column generation gave a bound at all (converged or not); the cover bound below is
    // for when its pricing is too slow, and does not replace the MILP's root where that is the
    // way to a better one.
    let priced_bound = track.bound.is_some();
    // One exchange search for the whole solve: the final search's turns resume its annealing.
    let mut exchanger = None;
    if master.is_none() && opts.warm_start && opts.milp_share < 1.0 && !track.proven() {
        // Without a converged master there are no dives: the exchange search improves the warm
        // start first (on metro parts it finds most of what there is to gain in seconds).
        let until = (Instant::now() + opts.time_limit.mul_f64(EXCHANGE_SHARE)).min(deadline);
        exchange(ix, &mut exchanger, opts.seed, until, &mut track, cancel);
    }
    if master.is_none() && !track.proven() {
        raise_cover_bound(ix, opts, dp_seconds_per_driver, deadline, &mut track, cancel);
    }

    // The monolithic MILP: small models, or when column generation did not converge.
    let mut milp = None;
    let mut size = None;
    // An unconverged column generation leaves a weak bound, which HiGHS's root beats on models
    // it solves in seconds. Where the cover bound already accounts for most of the best roster's
    // cost (metro scenarios, whose cost is mostly premiums), the MILP's time goes to the
    // neighbourhood search instead, unless the model is one HiGHS also improves rosters on within
    // seconds. A model too large for that is worth building only when it is the way to a first
    // roster: with a roster and the cover bound, its time goes to the searches (Curtois
    // Instance21: 96,000 columns, 33 s without a better roster or bound).
    let largest = if priced_bound || track.best.is_some() { UNCONVERGED_MILP_COLUMNS } else { LARGEST_MILP_COLUMNS };
    let weak_bound = track.bound.zip(track.objective()).is_none_or(|(b, o)| b < STRONG_BOUND_SHARE * o as f64);
    let worth_it = weak_bound || cells <= QUICK_MILP_COLUMNS;
    let wanted = (master.is_none() && worth_it && cells <= largest) || cells <= SMALL_MILP_COLUMNS;
    if wanted && !track.proven() && !cancel.is_cancelled() {
        let mut model = RosterModel::build(ix, false);
        size = Some(ModelSize { columns: model.columns(), rows: model.rows() });
        let start = track.best.as_ref().map(|b| model.start_from_grid(&b.grid));
        let left = deadline.saturating_duration_since(Instant::now());
        let cfg = RunConfig {
            // The MILP may use the whole budget until it has a roster; after its share, LNS takes over.
            time_limit: left,
            soft_deadline: Some(started.elapsed() + left.mul_f64(opts.milp_share.clamp(0.0, 1.0))),
            gap: opts.gap,
            threads: opts.threads,
            seed: opts.seed,
            verbose: opts.verbose,
            heuristic_effort: 0.3,
            start,
            started,
            phase: Phase::Milp,
            cancel,
        };
        let out = run(&mut model, &cfg, hooks.progress)?;
        if let Some(cols) = &out.columns {
            let grid = model.grid_from_columns(cols);
            if let Some(e) = SolverError::if_invalid(&evaluate(ix, &grid)) {
                return Err(e);
            }
            track.consider(grid, Phase::Milp);
        }
        if let Some(b) = out.bound {
            // With overtime priced per minute the MILP's objective is the evaluator's up to the
            // rounding of each (driver, week, tier) amount to the cent; the bound gives that up.
            let bound = if model.fractional_costs { b - model.rounding_slack() } else { (b - 1e-6).ceil() };
            track.raise_bound(bound, Phase::Milp);
        }
        milp = Some((out.status, cfg));
    }
    let infeasible = milp.as_ref().is_some_and(|(s, _)| *s == RunStatus::Infeasible);
    // HiGHS's proof counts too when overtime is priced per minute (up to the evaluator's rounding
    // of each amount to the cent, see `RosterModel::rounding_slack`).
    let milp_proved = milp.as_ref().is_some_and(|(s, _)| *s == RunStatus::Optimal);
    if let Some((master, dives_finish)) = master.as_mut().filter(|_| !milp_proved && !track.proven()) {
        // A few drivers: the tree is small enough to search (and so to prove the optimum); more,
        // and perturbed dives find better rosters in the same time, then a tree below their best
        // roster while it is still small enough.
        let until = started + opts.time_limit.mul_f64(0.6);
        if ix.drivers() <= BRANCH_AND_PRICE_DRIVERS {
            branch_and_price(ix, master, opts, until, &mut track, cancel)?;
        } else if *dives_finish {
            let branching = ix.drivers() <= BRANCH_AFTER_DIVES_DRIVERS;
            let patience = if branching { BRANCHING_DIVE_PATIENCE_SHARE } else { DIVE_PATIENCE_SHARE };
            more_dives(ix, master, opts, opts.time_limit.mul_f64(patience), until, &mut track, cancel)?;
            if branching {
                branch_and_price(ix, master, opts, until, &mut track, cancel)?;
            }
        }
    }

    if !infeasible && !milp_proved && opts.milp_share < 1.0 {
        final_search(ix, opts, deadline, &mut exchanger, &mut track, hooks.progress, cancel)?;
    }
    let diagnosis = match &milp {
        Some((RunStatus::Infeasible, cfg)) => {
            let cfg = RunConfig {
                time_limit: opts.time_limit.max(Duration::from_secs(10)),
                start: None,
                soft_deadline: None,
                ..cfg.clone()
            };
            Some(diagnose(ix, &cfg)?)
        }
        _ => None,
    };
    let status = match (&track.best, infeasible) {
        (_, true) => SolveStatus::Infeasible,
        (Some(_), _) if milp_proved || track.proven() || opts.gap > 0.0 && gap_within(&track, opts.gap) => {
            SolveStatus::Optimal
        }
        (Some(_), _) => SolveStatus::FeasibleAtLimit,
        (None, _) => SolveStatus::NoSolutionYet,
    };
    let bound = track.bound;
    let (roster, evaluation, time_to_best) = match track.best {
        Some(b) => (Some(b.grid), Some(b.eval), Some(b.found)),
        None => (None, None, None),
    };
    Ok(SolveResult {
        status,
        roster,
        evaluation,
        bound,
        elapsed: started.elapsed(),
        time_to_best,
        diagnosis,
        size,
        parts: 1,
    })
}

/// Cells `(driver, day, shift)` a driver may work: the assignment columns of the monolithic MILP.
fn workable_cells(ix: &ScenarioIndex) -> usize {
    let per_day: usize = (0..ix.drivers())
        .flat_map(|d| (0..ix.shifts()).map(move |s| (d, s)))
        .filter(|&(d, s)| ix.qualified[[d, s]] && ix.max_shifts[[d, s]] > 0)
        .count();
    per_day * ix.days()
}

/// Whether the relative gap of the best roster to the bound is within `gap`.
fn gap_within(track: &Tracker<'_>, gap: f64) -> bool {
    track.objective().zip(track.bound).is_some_and(|(o, b)| relative_gap(o as f64, b) <= gap)
}

/// Labels one DP of the row descent may keep: about a second of work. Rows of long horizons with
/// narrow minute windows need more, and the descent asks the beam DP instead of stalling.
const DESCENT_LABELS: usize = 4_000_000;

/// Labels per day of the beam DP that makes rows legal and answers rows too large for the exact
/// DP: wide enough to find a legal year-long row for almost every driver of Curtois Instances
/// 22–24 (the descent widens it tenfold for the rest), narrow enough that a pass over their
/// drivers takes seconds.
const DESCENT_BEAM: usize = 200;

/// Labels the exact DP may keep for a row not yet legal before the beam answers it instead: rows
/// of a few weeks stay exact (their first pass is what the later ones build on), while the first
/// pass over a half-year horizon takes seconds, not a minute (Curtois Instance21).
const FIRST_ROW_LABELS: usize = 200_000;

/// Time limit of one driver's MILP in the row descent, when neither DP gives a row.
const ROW_MILP_LIMIT: Duration = Duration::from_secs(5);

/// A roster by row descent: every driver's best response to the others in turn (random order),
/// from `from` (a legal roster) or else from an empty roster, until a pass improves nothing. Rows
/// not yet legal whose exact DP is large, and every row once one is too large for the exact DP's
/// label budget, are answered by the beam DP; a row neither DP answers, by that driver's MILP.
/// Once rows prove long (an exact DP was cut short), drivers are answered `threads` at a time with
/// their DPs in parallel ([`RowSearch::best_responses_in_parallel`]).
/// Returns the roster and the mean time of one exact best response (`None` when the exact DP was
/// not run, or needed more than its full label budget: column generation's pricing would too; a
/// row not yet legal cut short at `FIRST_ROW_LABELS` does not count). Improvement stops at the
/// first of `(deadline, legal_deadline)`; while some row is still illegal the search goes on until
/// the second. `None` when a driver has no legal row (or none that its MILP finds in time), or
/// when the second deadline or a cancellation comes before every row is legal.
pub fn row_descent(
    ix: &ScenarioIndex,
    from: Option<&RosterGrid>,
    seed: u64,
    threads: usize,
    deadlines: (Instant, Instant),
    cancel: &CancelToken,
) -> Option<(RosterGrid, Option<Duration>)> {
    let mut search = descent_search(ix, from, deadlines.1, cancel);
    let mut order: Vec<DriverIdx> = (0..ix.drivers()).map(DriverIdx).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    descend(&mut search, &order, threads, deadlines, cancel)?;
    Some((search.grid().clone(), search.exact_response_time()))
}

/// The row descent's search from `from` (a legal roster) or else from an empty roster, with the
/// descent's label budgets; a driver's MILP answers a row neither DP does, until `milp_until`.
fn descent_search<'a>(
    ix: &'a ScenarioIndex,
    from: Option<&RosterGrid>,
    milp_until: Instant,
    cancel: &'a CancelToken,
) -> RowSearch<'a> {
    let mut search = match from {
        Some(grid) => RowSearch::new(ix, grid.clone(), true),
        None => RowSearch::new(ix, RosterGrid::empty(ix.drivers(), ix.days()), false),
    };
    search.max_labels = DESCENT_LABELS;
    search.beam = Some(DESCENT_BEAM);
    search.first_row_labels = FIRST_ROW_LABELS;
    search.milp_fallback = Some(MilpFallback { limit: ROW_MILP_LIMIT, until: milp_until, cancel });
    search
}

/// Passes of best responses over `order` until a pass over legal rows improves nothing (50 at
/// most), stopping early as [`row_descent`] says. `None` when a driver has no legal row, or when
/// the search stopped before every row was legal.
fn descend(
    search: &mut RowSearch<'_>,
    order: &[DriverIdx],
    threads: usize,
    (deadline, legal_deadline): (Instant, Instant),
    cancel: &CancelToken,
) -> Option<()> {
    for _ in 0..50 {
        let was_legal = search.all_legal();
        let mut gain = 0.0;
        let mut next = 0;
        while next < order.len() {
            let now = Instant::now();
            let legal = search.all_legal();
            if cancel.is_cancelled() || now >= legal_deadline || now >= deadline && legal {
                return legal.then_some(());
            }
            // Long rows take a good part of a second each: a batch of them at once, one per thread.
            let batch = if search.rows_are_long() { threads.max(1) } else { 1 };
            let drivers = &order[next..(next + batch).min(order.len())];
            gain += search.best_responses_in_parallel(drivers)?;
            next += drivers.len();
        }
        // A pass that made the rows legal measured no gain; only a pass over legal rows counts.
        if was_legal && gain < 0.5 {
            break;
        }
    }
    Some(())
}

/// Raises the bound to the cover bound ([`crate::cover_bound`]), in `COVER_BOUND_SHARE` of the
/// budget, then to its value with exact rows (each bounded by the driver's row in the best
/// roster) when one round of the row DP (`dp_seconds` per driver, if measured) should fit in such
/// a share; the round gets `EXACT_ROWS_SHARE`, and drivers it has no time for keep their relaxed terms.
fn raise_cover_bound(
    ix: &ScenarioIndex,
    opts: &SolveOptions,
    dp_seconds: Option<f64>,
    deadline: Instant,
    track: &mut Tracker<'_>,
    cancel: &CancelToken,
) {
    let share = opts.time_limit.mul_f64(COVER_BOUND_SHARE);
    let target = track.objective().map(|o| o as f64);
    let Some(cover) = cover_bound(ix, target, (Instant::now() + share).min(deadline), cancel) else { return };
    // Every objective term is non-negative: a bound below zero says nothing.
    track.raise_bound(cover.bound().max(0.0), Phase::ColumnGeneration);
    tracing::debug!(bound = cover.bound(), at = track.started.elapsed().as_secs_f64(), "cover bound");
    // The exact rows add what the relaxed ones leave out (overtime above all).
    let round = dp_seconds.map(|s| s * ix.drivers() as f64 / f64::from(opts.threads.max(1)));
    let legal = track.best.as_ref().map(|b| &b.grid);
    let until = (Instant::now() + opts.time_limit.mul_f64(EXACT_ROWS_SHARE)).min(deadline);
    if round.is_some_and(|r| r <= share.as_secs_f64())
        && let Some(b) = cover.with_exact_rows(legal, DESCENT_LABELS, until, cancel)
    {
        track.raise_bound(b, Phase::ColumnGeneration);
        tracing::debug!(bound = b, at = track.started.elapsed().as_secs_f64(), "cover bound with exact rows");
    }
}
