//! Solving a decomposable scenario part by part, in parallel, and merging the rosters.

use std::sync::Mutex;
use std::time::Instant;

use model::{RosterGrid, ScenarioIndex, evaluate};
use rayon::prelude::*;

use crate::decompose::{Part, merge_part, sub_scenario, unworkable_demand_cost};
use crate::diagnosis::Diagnosis;
use crate::error::SolverError;
use crate::heuristic::construct;
use crate::options::SolveOptions;
use crate::progress::{Phase, Progress};
use crate::solve::{ModelSize, SolveHooks, SolveResult, SolveStatus, solve};

/// Solves each part as its own scenario (fairness weights off: the spreads couple parts, and without
/// them the sum of the parts' bounds is a valid bound of the whole), then merges and re-evaluates.
///
/// Time: parts run `threads` at a time, each with one HiGHS thread and a share of the budget in
/// proportion to its size, so the whole takes about the time limit.
pub fn solve_parts(
    ix: &ScenarioIndex,
    parts: &[Part],
    opts: &SolveOptions,
    hooks: SolveHooks<'_>,
) -> Result<SolveResult, SolverError> {
    let started = Instant::now();
    let subs: Vec<ScenarioIndex> = parts
        .iter()
        .map(|p| {
            let mut s = sub_scenario(ix, p);
            s.weights.overtime_spread_per_minute = model::Money::ZERO;
            s.weights.weekend_spread_per_weekend = model::Money::ZERO;
            ScenarioIndex::new(s).map_err(|e| SolverError::Highs(format!("part scenario invalid: {e}")))
        })
        .collect::<Result<_, _>>()?;
    let sizes: Vec<f64> = subs.iter().map(|s| (s.drivers() * s.days() * s.shifts()) as f64).collect();
    let total: f64 = sizes.iter().sum::<f64>().max(1.0);
    let lanes = f64::from(opts.threads.max(1)).min(parts.len() as f64);
    // Every part's greedy roster first (well under a second each, in parallel): the merged first
    // legal roster is reported at once, not when the last part's turn in the lanes comes.
    let starts: Vec<Option<(RosterGrid, f64)>> = subs
        .par_iter()
        .map(|sub| {
            if !opts.warm_start {
                return None;
            }
            let grid = construct(sub);
            let eval = evaluate(sub, &grid);
            eval.is_feasible().then(|| (grid, eval.objective.total().cents() as f64))
        })
        .collect();
    let incumbents = Mutex::new(starts.iter().map(|s| s.as_ref().map(|(_, obj)| *obj)).collect::<Vec<_>>());
    let constant = unworkable_demand_cost(ix, parts);
    // The merged roster's objective, once every part has one.
    let merged = |inc: &[Option<f64>]| inc.iter().copied().sum::<Option<f64>>().map(|sum| sum + constant);
    let report = |incumbent: f64, phase: Phase| {
        (hooks.progress)(&Progress {
            elapsed: started.elapsed(),
            incumbent: Some(incumbent),
            bound: None,
            gap: None,
            phase,
        })
    };
    if let Some(first) = incumbents.lock().ok().and_then(|inc| merged(&inc)) {
        report(first, Phase::Heuristic);
    }
    let results: Vec<Result<SolveResult, SolverError>> = subs
        .par_iter()
        .enumerate()
        .map(|(i, sub)| {
            let share = (opts.time_limit.as_secs_f64() * lanes * sizes[i] / total).min(opts.time_limit.as_secs_f64());
            let left = opts.time_limit.saturating_sub(started.elapsed()).as_secs_f64();
            let start = starts[i].as_ref().map(|(g, _)| g);
            let part_opts = SolveOptions {
                time_limit: std::time::Duration::from_secs_f64(share.min(left).max(0.5)),
                threads: 1,
                // The greedy roster is the part's start; the warm start still runs its row descent
                // from it, and that descent is what column generation needs to begin.
                warm_start: opts.warm_start,
                ..opts.clone()
            };
            let sink = |p: &Progress| {
                let Ok(mut inc) = incumbents.lock() else { return };
                if p.incumbent.is_some() {
                    inc[i] = p.incumbent;
                }
                if let Some(sum) = merged(&inc) {
                    drop(inc);
                    report(sum, p.phase);
                }
            };
            solve(sub, &part_opts, SolveHooks { progress: &sink, cancel: hooks.cancel, initial: start })
        })
        .collect();
    let results: Vec<SolveResult> = results.into_iter().collect::<Result<_, _>>()?;
    for (i, (sub, r)) in subs.iter().zip(&results).enumerate() {
        tracing::debug!(
            part = i,
            drivers = sub.drivers(),
            shift_types = sub.shifts(),
            objective = r.objective().map(|o| o.cents()),
            bound = r.bound,
            best_at = r.time_to_best.map(|t| t.as_secs_f64()),
            seconds = r.elapsed.as_secs_f64(),
            "part solved"
        );
    }
    let mut grid = RosterGrid::empty(ix.drivers(), ix.days());
    let mut complete = true;
    let mut conflicts = Vec::new();
    for (sub, r) in subs.iter().zip(&results) {
        match &r.roster {
            Some(g) => merge_part(ix, sub, g, &mut grid),
            None => complete = false,
        }
        if let Some(d) = &r.diagnosis {
            conflicts.extend(d.conflicts.iter().cloned());
        }
    }
    let any = |s: SolveStatus| results.iter().any(|r| r.status == s);
    let status = if any(SolveStatus::Infeasible) {
        SolveStatus::Infeasible
    } else if !complete {
        SolveStatus::NoSolutionYet
    } else if results.iter().all(|r| r.status == SolveStatus::Optimal) && ix.scenario.weights.fairness_weighs_nothing()
    {
        SolveStatus::Optimal
    } else {
        SolveStatus::FeasibleAtLimit
    };
    let (roster, evaluation) = if complete && status != SolveStatus::Infeasible {
        let eval = evaluate(ix, &grid);
        if let Some(e) = SolverError::if_invalid(&eval) {
            return Err(e);
        }
        (Some(grid), Some(eval))
    } else {
        (None, None)
    };
    let bound = results.iter().map(|r| r.bound).sum::<Option<f64>>().map(|b| b + constant);
    Ok(SolveResult {
        status,
        roster,
        evaluation,
        bound,
        elapsed: started.elapsed(),
        time_to_best: results.iter().filter_map(|r| r.time_to_best).max(),
        diagnosis: (status == SolveStatus::Infeasible).then_some(Diagnosis { conflicts }),
        size: results
            .iter()
            .filter_map(|r| r.size)
            .reduce(|a, b| ModelSize { columns: a.columns + b.columns, rows: a.rows + b.rows }),
        parts: parts.len(),
    })
}
