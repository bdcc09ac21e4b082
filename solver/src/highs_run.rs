//! Running a [`RosterModel`] on HiGHS: options, MIP start, and the callbacks that give anytime
//! progress and cancellation.
//!
//! good_lp builds the HiGHS model; `into_inner` hands us the raw `highs::Model`, whose pointer we give
//! to `Highs_setCallback`. HiGHS calls back on every improving solution (a progress report) and polls
//! the interrupt callbacks many times per second (where a cancelled token sets `user_interrupt`, so
//! HiGHS stops and returns its incumbent).

use std::ffi::{c_char, c_int, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use good_lp::solvers::SolverModel;
use good_lp::solvers::highs::highs;
use highs::HighsModelStatus;
use highs_sys::{HighsCallbackDataIn, HighsCallbackDataOut, HighsInt};

use crate::error::SolverError;
use crate::formulation::RosterModel;
use crate::progress::{CancelToken, Phase, Progress, ProgressSink, relative_gap};

/// How a HiGHS run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// Proven optimal (within the requested gap).
    Optimal,
    /// Stopped by the time limit or cancellation with a feasible solution.
    Feasible,
    /// Proven infeasible.
    Infeasible,
    /// Stopped before any feasible solution.
    NoSolution,
}

/// The outcome of one HiGHS run.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// How it ended.
    pub status: RunStatus,
    /// Column values of the best solution, if any.
    pub columns: Option<Vec<f64>>,
    /// Objective of that solution including the model's constant.
    pub objective: Option<f64>,
    /// Dual bound including the constant.
    pub bound: Option<f64>,
    /// When the best solution was found (since the solve started).
    pub time_to_best: Option<Duration>,
}

/// Settings of one run.
#[derive(Debug, Clone)]
pub struct RunConfig<'a> {
    /// Time for this run.
    pub time_limit: Duration,
    /// Relative gap to stop at.
    pub gap: f64,
    /// HiGHS threads.
    pub threads: u32,
    /// HiGHS random seed.
    pub seed: u64,
    /// HiGHS log on stdout.
    pub verbose: bool,
    /// Share of HiGHS's effort spent on primal heuristics (HiGHS default 0.05); rosters reward more.
    pub heuristic_effort: f64,
    /// A complete MIP start (one value per column).
    pub start: Option<Vec<f64>>,
    /// When the overall solve started (progress times are relative to it).
    pub started: Instant,
    /// What to label progress reports with.
    pub phase: Phase,
    /// Cancellation.
    pub cancel: &'a CancelToken,
    /// Stop at this time since `started` if an incumbent and a dual bound exist by then, and at
    /// twice this time once a roster exists (found, or given as `start`) even without a bound;
    /// without a roster, go on until `time_limit` (so a hard model still gets the whole budget to
    /// find a first roster, and a result its bound when it can have one).
    pub soft_deadline: Option<Duration>,
}

/// State shared with the C callback for the duration of one run.
struct CallbackState<'a> {
    sink: ProgressSink<'a>,
    cancel: &'a CancelToken,
    constant: f64,
    started: Instant,
    phase: Phase,
    soft_deadline: Option<Duration>,
    /// Whether the run was given a legal start (a roster exists even before HiGHS reports one).
    has_start: bool,
    /// Time of the last improving solution and of the last bound report.
    times: Mutex<(Option<Duration>, Duration)>,
}

unsafe extern "C" fn on_highs_event(
    kind: c_int,
    _message: *const c_char,
    out: *const HighsCallbackDataOut,
    data_in: *mut HighsCallbackDataIn,
    user: *mut c_void,
) {
    // SAFETY: `user` is the `CallbackState` that `run` keeps alive until `solve` returns; HiGHS
    // passes valid (or null) `out`/`data_in` pointers for the duration of the call.
    let state = unsafe { &*(user as *const CallbackState<'_>) };
    let kind = kind as HighsInt;
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let elapsed = state.started.elapsed();
        let Ok(mut times) = state.times.lock() else { return };
        if kind == highs_sys::kHighsCallbackMipImprovingSolution {
            times.0 = Some(elapsed);
        }
        let report_bound =
            kind == highs_sys::kHighsCallbackMipInterrupt && elapsed.saturating_sub(times.1) >= Duration::from_secs(1);
        if (kind == highs_sys::kHighsCallbackMipImprovingSolution || report_bound) && !out.is_null() {
            times.1 = elapsed;
            drop(times);
            // SAFETY: checked non-null above; HiGHS owns it for the duration of the call.
            let out = unsafe { &*out };
            let finite = |v: f64| (v.is_finite() && v.abs() < 1e30).then_some(v + state.constant);
            let incumbent = finite(out.mip_primal_bound);
            let bound = finite(out.mip_dual_bound);
            let gap = incumbent.zip(bound).map(|(i, b)| relative_gap(i, b));
            (state.sink)(&Progress { elapsed, incumbent, bound, gap, phase: state.phase });
        }
    }));
    let interrupt_kind = kind == highs_sys::kHighsCallbackMipInterrupt
        || kind == highs_sys::kHighsCallbackSimplexInterrupt
        || kind == highs_sys::kHighsCallbackIpmInterrupt;
    // SAFETY (deref of `out`): non-null checked; HiGHS owns it for the duration of the call.
    let has_incumbent = !out.is_null() && unsafe { (*out).mip_primal_bound }.abs() < 1e30;
    // SAFETY: as above.
    let has_bound = !out.is_null() && unsafe { (*out).mip_dual_bound }.abs() < 1e30;
    // The soft deadline waits for a roster and a dual bound (the root relaxation at least), so every
    // result that reaches it has a gap.
    let elapsed = state.started.elapsed();
    let is_mip = kind == highs_sys::kHighsCallbackMipInterrupt;
    let past_soft = state.soft_deadline.is_some_and(|d| elapsed >= d) && is_mip && has_incumbent && has_bound;
    // At twice the soft deadline the bound is no longer waited for (a root relaxation too large to
    // finish in the budget), provided a roster exists: HiGHS's or the start it was given.
    let past_late =
        state.soft_deadline.is_some_and(|d| elapsed >= d * 2) && (state.has_start || (is_mip && has_incumbent));
    if interrupt_kind && (state.cancel.is_cancelled() || past_soft || past_late) && !data_in.is_null() {
        // SAFETY: non-null, owned by HiGHS for the duration of the call.
        unsafe { (*data_in).user_interrupt = 1 };
    }
}

thread_local! {
    /// Threads of the HiGHS task scheduler of this thread, once one has been started.
    static SCHEDULER_THREADS: std::cell::Cell<Option<i32>> = const { std::cell::Cell::new(None) };
}

/// HiGHS keeps one task scheduler per calling thread, sized by the first solve that thread ran,
/// and refuses (with a bare error status) a later solve asking for another thread count. A worker
/// thread runs solves with different `threads` settings one after the other, so the scheduler is
/// reset whenever the count changes. Safe because solves on one thread never overlap.
pub(crate) fn use_scheduler_threads(threads: i32) {
    SCHEDULER_THREADS.with(|current| {
        if current.get().is_some_and(|t| t != threads) {
            // SAFETY: no HiGHS solve runs on this thread now (this function runs before one
            // starts, and solves on one thread are sequential); blocking waits for the old workers.
            unsafe { highs_sys::Highs_resetGlobalScheduler(1) };
        }
        current.set(Some(threads));
    });
}

/// Solves `model` on HiGHS.
pub fn run(
    model: &mut RosterModel<'_>,
    cfg: &RunConfig<'_>,
    sink: ProgressSink<'_>,
) -> Result<RunOutcome, SolverError> {
    let vars = std::mem::take(&mut model.vars);
    let objective = std::mem::take(&mut model.objective);
    let rows = std::mem::take(&mut model.rows);
    let (n_cols, n_rows) = (vars.len(), rows.len());
    let mut problem = vars.minimise(objective).using(highs);
    for (row, _) in rows {
        problem.add_constraint(row);
    }
    let m = problem.try_into_inner().map_err(|e| SolverError::Highs(e.to_string()))?;
    run_highs(m, model.constant, (n_cols, n_rows), cfg, sink)
}

/// Solves a HiGHS model built elsewhere (the column generation's restricted master) with the same
/// options, callbacks and MIP start as [`run`]; `constant` is added to every objective reported.
pub fn run_highs(
    mut m: highs::Model,
    constant: f64,
    (n_cols, n_rows): (usize, usize),
    cfg: &RunConfig<'_>,
    sink: ProgressSink<'_>,
) -> Result<RunOutcome, SolverError> {
    use_scheduler_threads(cfg.threads as i32);
    let secs = cfg.time_limit.as_secs_f64().max(0.01);
    fn bad(k: &'static str) -> impl Fn(highs::TrySetOptionError) -> SolverError {
        move |e| SolverError::Highs(format!("option {k}: {e:?}"))
    }
    m.try_set_option("output_flag", cfg.verbose).map_err(bad("output_flag"))?;
    m.try_set_option("log_to_console", cfg.verbose).map_err(bad("log_to_console"))?;
    m.try_set_option("time_limit", secs).map_err(bad("time_limit"))?;
    m.try_set_option("mip_rel_gap", cfg.gap).map_err(bad("mip_rel_gap"))?;
    m.try_set_option("threads", cfg.threads as i32).map_err(bad("threads"))?;
    m.try_set_option("mip_heuristic_effort", cfg.heuristic_effort).map_err(bad("mip_heuristic_effort"))?;
    m.try_set_option("random_seed", (cfg.seed % i32::MAX as u64) as i32).map_err(bad("random_seed"))?;

    let state = CallbackState {
        sink,
        cancel: cfg.cancel,
        constant,
        started: cfg.started,
        phase: cfg.phase,
        soft_deadline: cfg.soft_deadline,
        has_start: cfg.start.is_some(),
        times: Mutex::new((None, Duration::ZERO)),
    };
    let ptr = m.as_mut_ptr();
    let costs = read_column_costs(ptr, n_cols)?;
    // SAFETY: `ptr` is the live HiGHS instance owned by `m`; `state` outlives the solve below.
    unsafe {
        highs_sys::Highs_setCallback(ptr, Some(on_highs_event), &state as *const CallbackState<'_> as *mut c_void);
        for kind in [
            highs_sys::kHighsCallbackMipImprovingSolution,
            highs_sys::kHighsCallbackMipInterrupt,
            highs_sys::kHighsCallbackSimplexInterrupt,
            highs_sys::kHighsCallbackIpmInterrupt,
        ] {
            highs_sys::Highs_startCallback(ptr, kind);
        }
    }
    if let Some(start) = &cfg.start {
        // A start HiGHS finds infeasible is simply not used; that is not an error.
        let _ = m.try_set_solution(Some(start), None, None, None);
    }
    let solved = match m.try_solve() {
        Ok(solved) => solved,
        // An interrupt we asked for can surface as an error status before HiGHS has a solution to
        // report: that is an early stop, not a failure.
        Err(_) if cfg.cancel.is_cancelled() || cfg.soft_deadline.is_some_and(|d| cfg.started.elapsed() >= d) => {
            return Ok(RunOutcome {
                status: RunStatus::NoSolution,
                columns: None,
                objective: None,
                bound: None,
                time_to_best: None,
            });
        }
        Err(e) => return Err(SolverError::Highs(format!("solve of a {} × {} model: {e:?}", n_cols, n_rows))),
    };
    let time_to_best = state.times.lock().ok().and_then(|t| t.0);
    let feasible = solved.primal_solution_status() == highs::HighsSolutionStatus::Feasible;
    let status = match solved.status() {
        HighsModelStatus::Optimal => RunStatus::Optimal,
        HighsModelStatus::Infeasible => RunStatus::Infeasible,
        HighsModelStatus::ReachedTimeLimit
        | HighsModelStatus::ReachedInterrupt
        | HighsModelStatus::ReachedIterationLimit
        | HighsModelStatus::ReachedSolutionLimit
        | HighsModelStatus::ReachedMemoryLimit
        | HighsModelStatus::ObjectiveBound
        | HighsModelStatus::ObjectiveTarget
        | HighsModelStatus::Unknown => {
            if feasible {
                RunStatus::Feasible
            } else {
                RunStatus::NoSolution
            }
        }
        other => return Err(SolverError::Highs(format!("unexpected model status {other:?}"))),
    };
    let columns = feasible.then(|| solved.get_solution().columns().to_vec());
    // The objective is that of the columns returned, never HiGHS's own figure: after presolve,
    // HiGHS 1.16 has been seen to report an objective a few units away from that of the solution
    // it returns (`a_run_reports_the_objective_of_the_roster_it_returns`). Progress events during
    // the run still carry HiGHS's figure: they are reports, and every result is re-evaluated.
    let objective = columns.as_ref().map(|c| costs.value(c) + constant);
    // For the same reason the bound is capped by the solution in hand: no lower bound exceeds it.
    let bound = solved
        .double_info_value(c"mip_dual_bound")
        .ok()
        .filter(|b| b.is_finite() && b.abs() < 1e30)
        .map(|b| b + constant)
        .or_else(|| (status == RunStatus::Optimal).then_some(objective).flatten())
        .map(|b| objective.map_or(b, |o| b.min(o)));
    // A start that HiGHS accepted counts as found at time zero of the run if nothing better came.
    let time_to_best = time_to_best.or_else(|| feasible.then(|| cfg.started.elapsed()));
    Ok(RunOutcome { status, columns, objective, bound, time_to_best })
}

/// A model's linear objective as HiGHS holds it: a cost per column and a constant offset.
struct ColumnCosts {
    /// Cost of each column.
    costs: Vec<f64>,
    /// HiGHS's objective offset.
    offset: f64,
}

impl ColumnCosts {
    /// The objective of `columns` (one value per column), offset included.
    fn value(&self, columns: &[f64]) -> f64 {
        self.offset + self.costs.iter().zip(columns).map(|(c, x)| c * x).sum::<f64>()
    }
}

/// Reads the objective back from the HiGHS instance `ptr` of `n_cols` columns.
fn read_column_costs(ptr: *mut c_void, n_cols: usize) -> Result<ColumnCosts, SolverError> {
    let mut costs = vec![0.0; n_cols];
    let mut offset = 0.0;
    if n_cols > 0 {
        let (mut got, mut nnz) = (0, 0);
        let (no_f64, no_int) = (std::ptr::null_mut::<f64>(), std::ptr::null_mut::<HighsInt>());
        // SAFETY: `ptr` is a live HiGHS instance with `n_cols` columns and `costs` has room for
        // all of them; HiGHS skips the outputs passed as null (bounds and matrix).
        let status = unsafe {
            highs_sys::Highs_getColsByRange(
                ptr,
                0,
                n_cols as HighsInt - 1,
                &mut got,
                costs.as_mut_ptr(),
                no_f64,
                no_f64,
                &mut nnz,
                no_int,
                no_int,
                no_f64,
            )
        };
        if status == highs_sys::kHighsStatusError || got as usize != n_cols {
            return Err(SolverError::Highs(format!("reading back the costs of {n_cols} columns")));
        }
    }
    // SAFETY: as above; `offset` is a valid out-pointer.
    unsafe { highs_sys::Highs_getObjectiveOffset(ptr, &mut offset) };
    Ok(ColumnCosts { costs, offset })
}
