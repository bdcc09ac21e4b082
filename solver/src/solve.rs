//! The planner's entry point: heuristic start, MILP on HiGHS, evaluator check, diagnosis.

use std::time::{Duration, Instant};

use model::{Evaluation, Money, RosterGrid, ScenarioIndex, evaluate};
use serde::Serialize;

use crate::decompose::{decomposable, parts};
use crate::diagnosis::{Diagnosis, diagnose};
use crate::error::SolverError;
use crate::formulation::RosterModel;
use crate::heuristic::construct;
use crate::highs_run::{RunConfig, RunStatus, run};
use crate::lns::{Incumbent, LnsConfig, improve};
use crate::options::SolveOptions;
use crate::per_driver::per_driver_roster;
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
    /// Size of the MILP (summed over parts).
    pub size: ModelSize,
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
    /// A previous roster to start from (used when legal and better than the heuristic's).
    pub initial: Option<&'a RosterGrid>,
}

impl std::fmt::Debug for SolveHooks<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SolveHooks").field("cancel", self.cancel).field("initial", &self.initial.is_some()).finish()
    }
}

/// Finds the best roster it can for `ix` within `opts.time_limit`.
pub fn solve(ix: &ScenarioIndex, opts: &SolveOptions, hooks: SolveHooks<'_>) -> Result<SolveResult, SolverError> {
    let parts = parts(ix);
    if opts.decompose && hooks.initial.is_none() && decomposable(ix, &parts) {
        return solve_parts(ix, &parts, opts, hooks);
    }
    let started = Instant::now();
    let mut best: Option<(RosterGrid, Evaluation, Duration)> = None;
    let consider = |grid: RosterGrid, phase: Phase, best: &mut Option<(RosterGrid, Evaluation, Duration)>| {
        let eval = evaluate(ix, &grid);
        let better = best.as_ref().is_none_or(|(_, e, _)| eval.objective.total() < e.objective.total());
        if eval.is_feasible() && better {
            let elapsed = started.elapsed();
            (hooks.progress)(&Progress {
                elapsed,
                incumbent: Some(eval.objective.total().cents() as f64),
                bound: None,
                gap: None,
                phase,
            });
            *best = Some((grid, eval, elapsed));
        }
    };
    if let Some(initial) = hooks.initial {
        consider(initial.clone(), Phase::Heuristic, &mut best);
    }
    if opts.warm_start {
        consider(construct(ix), Phase::Heuristic, &mut best);
        if best.is_none() {
            // The greedy start broke a rule (tight windows): build one driver at a time instead.
            let budget = opts.time_limit.mul_f64(0.5);
            if let Some(grid) = per_driver_roster(ix, opts.threads, budget, started, hooks.cancel)? {
                consider(grid, Phase::Heuristic, &mut best);
            }
        }
    }
    let mut model = RosterModel::build(ix, false);
    let size = ModelSize { columns: model.columns(), rows: model.rows() };
    let start = best.as_ref().map(|(g, _, _)| model.start_from_grid(g));
    let cfg = RunConfig {
        // The MILP may use the whole budget until it has a roster; after its share, LNS takes over.
        time_limit: opts.time_limit.saturating_sub(started.elapsed()),
        soft_deadline: Some(
            started.elapsed()
                + opts.time_limit.saturating_sub(started.elapsed()).mul_f64(opts.milp_share.clamp(0.0, 1.0)),
        ),
        gap: opts.gap,
        threads: opts.threads,
        seed: opts.seed,
        verbose: opts.verbose,
        heuristic_effort: 0.3,
        start,
        started,
        phase: Phase::Milp,
        cancel: hooks.cancel,
    };
    let out = run(&mut model, &cfg, hooks.progress)?;
    if let Some(cols) = &out.columns {
        let grid = model.grid_from_columns(cols);
        let eval = evaluate(ix, &grid);
        if let Some(e) = SolverError::if_invalid(&eval) {
            return Err(e);
        }
        let better = best.as_ref().is_none_or(|(_, e, _)| eval.objective.total() <= e.objective.total());
        if better {
            best = Some((grid, eval, out.time_to_best.unwrap_or_else(|| started.elapsed())));
        }
    }
    let proven = matches!(out.status, RunStatus::Optimal | RunStatus::Infeasible);
    let left = opts.time_limit.saturating_sub(started.elapsed());
    if !proven
        && !hooks.cancel.is_cancelled()
        && left > Duration::from_millis(500)
        && opts.milp_share < 1.0
        && let Some((grid, eval, found)) = best.take()
    {
        let lns = LnsConfig {
            time_limit: left,
            max_rounds: opts.lns_rounds,
            parallel: opts.threads as usize,
            seed: opts.seed,
            started,
            // An integral objective cannot go below the bound rounded up: stop there.
            stop_at: out.bound.filter(|_| !model.fractional_costs).map(|b| (b - 1e-6).ceil() as i64),
        };
        let inc = improve(ix, Incumbent { grid, eval, found }, &lns, hooks.progress, hooks.cancel)?;
        best = Some((inc.grid, inc.eval, inc.found));
    }
    let diagnosis = if out.status == RunStatus::Infeasible {
        let cfg = RunConfig {
            time_limit: opts.time_limit.max(Duration::from_secs(10)),
            start: None,
            soft_deadline: None,
            ..cfg
        };
        Some(diagnose(ix, &cfg)?)
    } else {
        None
    };
    // With an integral objective, an incumbent less than 1 above the bound is optimal.
    let closed = |e: &Evaluation| {
        !model.fractional_costs && out.bound.is_some_and(|b| (e.objective.total().cents() as f64) < b + 1.0 - 1e-6)
    };
    let status = match (out.status, &best) {
        (RunStatus::Infeasible, _) => SolveStatus::Infeasible,
        (RunStatus::Optimal, Some(_)) => SolveStatus::Optimal,
        (_, Some((_, e, _))) if closed(e) => SolveStatus::Optimal,
        (_, Some(_)) => SolveStatus::FeasibleAtLimit,
        (_, None) => SolveStatus::NoSolutionYet,
    };
    let (roster, evaluation, time_to_best) = match best {
        Some((g, e, t)) => (Some(g), Some(e), Some(t)),
        None => (None, None, None),
    };
    Ok(SolveResult {
        status,
        roster,
        evaluation,
        bound: out.bound,
        elapsed: started.elapsed(),
        time_to_best,
        diagnosis,
        size,
        parts: 1,
    })
}
