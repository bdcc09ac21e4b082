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

use std::time::{Duration, Instant};

use model::{DriverIdx, Evaluation, Money, RosterGrid, ScenarioIndex, evaluate};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::best_response::{MilpFallback, RowSearch};
use crate::colgen::{BeamPricing, DiveStyle, Hurry, Master};
use crate::cover_bound::cover_bound;
use crate::decompose::{decomposable, parts};
use crate::diagnosis::{Diagnosis, diagnose};
use crate::error::SolverError;
use crate::exchange::{ExchangeLimits, ExchangeSearch};
use crate::formulation::RosterModel;
use crate::heuristic::construct;
use crate::highs_run::{RunConfig, RunStatus, run};
use crate::lns::{Incumbent, Lns, LnsConfig, sub_milp_limit};
use crate::options::SolveOptions;
use crate::progress::{CancelToken, Phase, Progress, ProgressSink, relative_gap};
use crate::solve_parts::solve_parts;

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

/// Share of the time limit one turn of the final phase's searches takes (at least a second).
const TURN_SHARE: f64 = 0.05;

/// The rest of the budget, in turns of the exchange search and LNS until the deadline, the bound
/// or cancellation. Each turn goes to the search that gained more per second in its own last turn
/// (the exchange search first), and every fifth turn to the other one, so that a search that
/// stalled gets another try from the roster the other one left; when neither gained in its last
/// turn they take turns (the exchange search settles within half a second, and on metro parts
/// took four turns of every five from LNS, which still found gains), and the exchange search
/// re-heats first (see below). An exchange turn ends early once
/// the search settles; an LNS turn is whole rounds, so that its sub-MILPs get the time limit they
/// would get in one long run (their neighbourhoods shrink when they hit it). With `opts.lns_rounds` the phase is those LNS rounds only, for runs
/// that must repeat exactly.
fn final_search<'a>(
    ix: &'a ScenarioIndex,
    opts: &SolveOptions,
    deadline: Instant,
    exchanger: &mut Option<ExchangeSearch<'a>>,
    track: &mut Tracker<'_>,
    sink: ProgressSink<'_>,
    cancel: &CancelToken,
) -> Result<(), SolverError> {
    const EXCHANGE: usize = 0;
    const LNS: usize = 1;
    let mut lns = Lns::new(ix);
    // Gain per second of each search's last turn; untried ones first, the exchange search first
    // of all (it settles in a fraction of a second where it finds nothing).
    let mut rate = [f64::INFINITY; 2];
    let turn_length = opts.time_limit.mul_f64(TURN_SHARE).max(Duration::from_secs(1));
    // The search the last turn went to.
    let mut last = None;
    // The objective is integral: stop at the bound rounded up, or within the gap asked for.
    let stop_at = track.bound.map(|b| (b.ceil() as i64).max((b / (1.0 - opts.gap.min(0.999))).floor() as i64));
    for turn in 0u64.. {
        let left = deadline.saturating_duration_since(Instant::now());
        let reached = stop_at.zip(track.objective()).is_some_and(|(s, o)| o <= s);
        // Both searches improve a roster: without one there is nothing to do.
        if left < Duration::from_millis(500)
            || cancel.is_cancelled()
            || track.proven()
            || reached
            || track.best.is_none()
        {
            break;
        }
        let (better, worse) = if rate[EXCHANGE] >= rate[LNS] { (EXCHANGE, LNS) } else { (LNS, EXCHANGE) };
        let pick = if opts.lns_rounds.is_some() {
            LNS
        } else if rate[EXCHANGE] == rate[LNS] {
            // Neither gained in its last turn (or neither has run): take turns, so that the
            // search whose turns are short does not get four of every five.
            last.map_or(EXCHANGE, |l| 1 - l)
        } else if turn % 5 == 4 {
            worse
        } else {
            better
        };
        let (t0, before) = (Instant::now(), track.objective());
        last = Some(pick);
        if pick == EXCHANGE {
            if rate.iter().all(|r| *r == 0.0) {
                // A stalled phase: the cooled search settles in a third of a second without a
                // gain, so it starts again at a calibrated temperature. On Curtois Instance12
                // (optimum 4040, 60 s) runs sat on 4152 or 4157, two uncovered shifts too many,
                // from about 30 s to the end; re-heated turns took seed 1 from 4354 to 4159 at
                // 33.5 s and seed 3 from 4262 to 4169 at 37.7 s, which LNS then took to 4057 and
                // 4066. Seeds 0–11 ended within 1 % in 10 of 12 runs, against 8 of 12 without
                // (BENCHMARKS.md). A phase still gaining keeps cooling: metro large gained from
                // resuming at the cooled temperature.
                if let Some(search) = exchanger.as_mut() {
                    search.reheat();
                }
            }
            exchange(ix, exchanger, opts.seed.wrapping_add(turn), t0 + turn_length.min(left), track, cancel);
        } else if let Some(inc) = track.best.take() {
            let cfg = LnsConfig {
                time_limit: left,
                max_rounds: Some(opts.lns_rounds.unwrap_or_else(|| lns_rounds_per_turn(turn_length, left))),
                parallel: opts.threads as usize,
                seed: opts.seed,
                started: track.started,
                stop_at,
            };
            track.best = Some(lns.improve(inc, &cfg, sink, cancel)?);
            if opts.lns_rounds.is_some() {
                break;
            }
        }
        let gain = before.zip(track.objective()).map_or(0, |(b, a)| b - a);
        tracing::trace!(
            turn,
            search = if pick == EXCHANGE { "exchange" } else { "lns" },
            gain,
            seconds = t0.elapsed().as_secs_f64(),
            drivers = ix.drivers(),
            at = track.started.elapsed().as_secs_f64(),
            "final turn"
        );
        rate[pick] = gain as f64 / t0.elapsed().as_secs_f64().max(1e-3);
    }
    Ok(())
}

/// LNS rounds in a turn of `turn_length` with `left` to the deadline: a round takes about its
/// sub-MILPs' time limit.
fn lns_rounds_per_turn(turn_length: Duration, left: Duration) -> u32 {
    (turn_length.as_secs_f64() / sub_milp_limit(left).as_secs_f64()).ceil().max(1.0) as u32
}

/// Share of the time limit the exchange search after an unconverged column generation may take.
const EXCHANGE_SHARE: f64 = 0.2;

/// Annealing cycles without a better roster after which an exchange search gives its time back
/// (to LNS).
const EXCHANGE_STALL_CYCLES: u32 = 2;

/// Improves the best roster by the exchange search ([`crate::exchange`]) until `until` or until it
/// settles. `search` is built on first use and restarted from the best roster after that (its
/// per-driver tables stay, and its annealing resumes at the heat it had cooled to: metro large went
/// from a 1.09 % to a 0.78 % gap in 60 s when its final turns stopped re-heating from scratch;
/// only a stalled final search re-heats it, see [`final_search`]).
fn exchange<'a>(
    ix: &'a ScenarioIndex,
    search: &mut Option<ExchangeSearch<'a>>,
    seed: u64,
    until: Instant,
    track: &mut Tracker<'_>,
    cancel: &CancelToken,
) {
    let Some(best) = track.best.as_ref() else { return };
    let search = match search {
        Some(s) => {
            s.restart(best.grid.clone());
            s
        }
        None => search.insert(ExchangeSearch::new(ix, best.grid.clone())),
    };
    // The search's total leaves the fairness spreads out, the bound does not: the bound is a
    // target for it only when they weigh nothing.
    let limits = ExchangeLimits {
        stop_at: track.bound.filter(|_| ix.scenario.weights.fairness_weighs_nothing()).map(|b| b.ceil()),
        stall_cycles: Some(EXCHANGE_STALL_CYCLES),
        ..ExchangeLimits::until(until)
    };
    let out = search.run(seed, &limits, cancel);
    if out.best < out.start - 0.5 {
        track.consider(search.grid().clone(), Phase::LocalSearch);
    }
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
    (deadline, legal_deadline): (Instant, Instant),
    cancel: &CancelToken,
) -> Option<(RosterGrid, Option<Duration>)> {
    let nd = ix.drivers();
    let mut search = match from {
        Some(grid) => RowSearch::new(ix, grid.clone(), true),
        None => RowSearch::new(ix, RosterGrid::empty(nd, ix.days()), false),
    };
    search.max_labels = DESCENT_LABELS;
    search.beam = Some(DESCENT_BEAM);
    search.first_row_labels = FIRST_ROW_LABELS;
    search.milp_fallback = Some(MilpFallback { limit: ROW_MILP_LIMIT, until: legal_deadline, cancel });
    let mut order: Vec<DriverIdx> = (0..nd).map(DriverIdx).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    for _ in 0..50 {
        let was_legal = search.all_legal();
        let mut gain = 0.0;
        let mut next = 0;
        while next < order.len() {
            let now = Instant::now();
            let legal = search.all_legal();
            if cancel.is_cancelled() || now >= legal_deadline || now >= deadline && legal {
                return legal.then(|| (search.grid().clone(), search.exact_response_time()));
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
    Some((search.grid().clone(), search.exact_response_time()))
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

/// Pricing rounds of column generation that fit in the time limit: a round that takes longer than
/// this share ends it. Converging takes dozens of rounds in the 30 % of the budget it has (Curtois
/// Instance12: about 40 rounds of at most 0.1 s in a minute); a metro part of 220 drivers prices for 1.5
/// to 4 s a round in a 10 to 18 s budget, and never converged in three.
const ROUNDS_IN_BUDGET: f64 = 50.0;

/// An exact pricing round at least this long brings in pricing by the beam DP
/// ([`BeamPricing`]). Curtois Instance13's rounds take 1.5–5.9 s, and with the beam its column
/// generation converged in 152–170 s in three runs of the rule's variants (it had not in 180 s
/// without). Instance20's take 1.1–1.4 s and stay exact: over its 182 days the beam's rows lower
/// the LP too slowly. With a 500 ms threshold its bound at 180 s was 4709 at best, and as low as
/// −28,275; exact pricing alone reached 4724 (not converged either). The margin is thin: a loaded
/// machine can push Instance20's rounds over it. Instances 1–12 price in a tenth of a second a
/// round; metro parts at 60 s stop at rounds of 1.2 s at most.
const SLOW_EXACT_ROUND: Duration = Duration::from_millis(1500);

/// Column generation from the best roster: its bound, the roster of its pricing and a first dive,
/// each polished by row descent. Returns the master when it converged (for more dives), and
/// whether its first dive ended (with a roster, by the bound, or by cancellation) before its
/// thorough share of the time was up: `false` when it hurried ([`Hurry`]). Skipped
/// when one pricing round (a DP per driver, `dp_seconds` each on `opts.threads` threads) would take
/// more than a tenth of the time limit by the row descent's timing, and ended by the first round
/// that takes more than [`ROUNDS_IN_BUDGET`]'s share of it: pricing under the master's duals can
/// take a hundred times a best response's DP.
fn column_generation<'a>(
    ix: &'a ScenarioIndex,
    opts: &SolveOptions,
    dp_seconds: f64,
    track: &mut Tracker<'_>,
    cancel: &CancelToken,
) -> Result<Option<(Master<'a>, bool)>, SolverError> {
    let round = dp_seconds * ix.drivers() as f64 / f64::from(opts.threads.max(1));
    let Some(start) = track.best.as_ref().map(|b| b.grid.clone()) else { return Ok(None) };
    if round > opts.time_limit.as_secs_f64() / 10.0 || track.proven() {
        return Ok(None);
    }
    let started = track.started;
    let mut master = Master::new(ix, &start)?;
    master.round_limit = Some(opts.time_limit.div_f64(ROUNDS_IN_BUDGET));
    master.beam_pricing = Some(BeamPricing { width: DESCENT_BEAM, after: SLOW_EXACT_ROUND });
    let converged = master.generate(started + opts.time_limit.mul_f64(0.3), cancel)?;
    tracing::debug!(
        converged,
        bound = master.bound,
        iterations = master.iterations,
        beam_rounds = master.beam_rounds,
        at = started.elapsed().as_secs_f64(),
        "column generation"
    );
    // Every objective term is non-negative: an early Lagrangian bound below zero says nothing.
    track.raise_bound(master.bound.max(0.0), Phase::ColumnGeneration);
    if let Some((grid, _)) = master.lagrangian_roster.take() {
        track.consider(polish(ix, grid, opts.seed), Phase::ColumnGeneration);
    }
    if !converged || track.proven() || cancel.is_cancelled() {
        return Ok(None);
    }
    // A thorough dive; when it cannot finish in its share of the time (a large, degenerate
    // master), it goes on briskly: its roster is rougher, but comes in seconds for LNS to finish.
    let incumbent = track.objective().map_or(f64::INFINITY, |o| o as f64);
    let (half, thorough_until) =
        (started + opts.time_limit.mul_f64(0.5), Instant::now() + opts.time_limit.mul_f64(0.15));
    let hurry = Hurry { at: thorough_until, style: DiveStyle::BRISK };
    let dived = master.dive(DiveStyle::THOROUGH, Some(hurry), incumbent, None, half, cancel)?;
    // Perturbed dives would have to hurry too: rough starts, not worth repeating.
    let dives_finish = Instant::now() < thorough_until;
    tracing::debug!(
        hurried = !dives_finish,
        found = dived.is_some(),
        at = started.elapsed().as_secs_f64(),
        "first dive"
    );
    if let Some(grid) = dived {
        track.consider(polish(ix, grid, opts.seed), Phase::ColumnGeneration);
    }
    Ok(Some((master, dives_finish)))
}

/// Scenarios with at most this many drivers get branch and price after the first dive, larger
/// ones more dives: branch and price proves Curtois Instance5 (16 drivers) optimal in about 20 s,
/// while on Instance7 (20) the dives find better rosters in the same time.
const BRANCH_AND_PRICE_DRIVERS: usize = 16;

/// Scenarios with at most this many drivers (and more than [`BRANCH_AND_PRICE_DRIVERS`]) get
/// branch and price after the perturbed dives, for the rest of the dives' share of the budget:
/// the dives give it a good incumbent to prune with. Curtois Instance6 (18 drivers) is proven
/// optimal at 1950 in 3 to 24 s (the perturbed dives before the tree change its order), where
/// dives and the final search ended at 1951 or 1952; on Instance7 (20 drivers, this constant at
/// 20) the tree searched 1,459 nodes in 28 s without a roster better than the dives' 1058, time
/// the final search can use.
const BRANCH_AFTER_DIVES_DRIVERS: usize = 18;

/// Share of the time limit the perturbed dives may go on without a better roster. Dives on
/// Curtois Instance7 take a fraction of a second each, and better rosters come late and at
/// random: with `DIVE_NOISE` at 1.0 and seed 0 the dives found 1057 at 19.6 s and
/// the best known 1056 at 23.1 s, with seed 1 1057 at 9.2 s and 1056 at 22.3 s of a 60 s solve.
/// Eight fruitless dives in a row (the earlier rule, with the noise at 0.3) stopped them at 1058
/// near 9 s; 32 in a row stopped seed 1 at 1057 after 18 s. A quarter of the time limit (15 s)
/// was enough on that machine; on one about 1.4 times slower (Instances 10 and 11 proven in
/// 4.3–4.8 s instead of 3.0–3.2 s) it stopped seed 0 at 23.6 s with 1059, found at 8.8 s; with
/// 0.4 seed 0 reached 1056 (seed 2: 1057), and with 0.6 seeds 0 and 1 found 1056 at 27–28 s.
/// Patience is checked between dives, so a long dive runs past it. On Curtois Instance18 at
/// 10 minutes (22 drivers, 84 days) six perturbed dives of about 55 s ran to the dives' end at
/// 0.6 of the limit: 320 s without a better roster, then 4472 (from 4481) at 347.2 s; the
/// solve ended at 4470, 0.25 % above the best known value.
const DIVE_PATIENCE_SHARE: f64 = 0.4;

/// [`DIVE_PATIENCE_SHARE`] where branch and price follows the dives: its proof is worth more than
/// the dives' last units. With a quarter of the time limit, Curtois Instance6 (18 drivers) was
/// proven optimal at 31.8 s in one run and not at all in another (it had been in 2–3 s).
const BRANCHING_DIVE_PATIENCE_SHARE: f64 = 0.02;

/// Thorough dives with perturbed weights until `until`, the proof of optimality, cancellation, or
/// `patience` without a better roster.
fn more_dives(
    ix: &ScenarioIndex,
    master: &mut Master<'_>,
    opts: &SolveOptions,
    patience: Duration,
    until: Instant,
    track: &mut Tracker<'_>,
    cancel: &CancelToken,
) -> Result<(), SolverError> {
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let mut last_better = Instant::now();
    let mut dives = 0;
    while Instant::now() < until.min(last_better + patience) && !track.proven() && !cancel.is_cancelled() {
        let before = track.objective();
        let incumbent = before.map_or(f64::INFINITY, |o| o as f64);
        if let Some(grid) = master.dive(DiveStyle::THOROUGH, None, incumbent, Some(&mut rng), until, cancel)? {
            track.consider(polish(ix, grid, opts.seed), Phase::ColumnGeneration);
        }
        if track.objective() < before {
            last_better = Instant::now();
        }
        dives += 1;
    }
    tracing::debug!(
        dives,
        objective = track.objective(),
        at = track.started.elapsed().as_secs_f64(),
        "perturbed dives"
    );
    Ok(())
}

/// Branch and price below the best roster until `until`, cancellation or the end of the tree
/// (which proves the best roster optimal: the bound is raised to its objective).
fn branch_and_price(
    ix: &ScenarioIndex,
    master: &mut Master<'_>,
    opts: &SolveOptions,
    until: Instant,
    track: &mut Tracker<'_>,
    cancel: &CancelToken,
) -> Result<(), SolverError> {
    let Some(incumbent) = track.objective() else { return Ok(()) };
    let out = master.branch_and_price(incumbent as f64, until, cancel)?;
    tracing::debug!(
        nodes = out.nodes,
        complete = out.complete,
        bound = out.bound,
        found = out.roster.is_some(),
        at = track.started.elapsed().as_secs_f64(),
        "branch and price"
    );
    if let Some(grid) = out.roster {
        track.consider(polish(ix, grid, opts.seed), Phase::ColumnGeneration);
    }
    // The objective is integral: the tree's bound rounds up (to the best roster's objective once
    // the tree is exhausted).
    track.raise_bound((out.bound - 1e-6).ceil(), Phase::ColumnGeneration);
    Ok(())
}

/// `grid` (legal) after row descent.
fn polish(ix: &ScenarioIndex, grid: RosterGrid, seed: u64) -> RosterGrid {
    let mut search = RowSearch::new(ix, grid, true);
    let mut order: Vec<DriverIdx> = (0..ix.drivers()).map(DriverIdx).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    search.descend(&order, 20);
    search.grid().clone()
}
