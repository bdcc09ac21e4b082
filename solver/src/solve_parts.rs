//! Solving a decomposable scenario part by part, in parallel, and merging the rosters.

use std::sync::Mutex;
use std::time::{Duration, Instant};

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
/// Time: parts run in `threads` lanes ([`lanes`]), each part with one HiGHS thread and the share of
/// its lane's remaining time that its size has among the lane's parts still to solve, so every
/// lane takes about the time limit.
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
    let lanes = lanes(&sizes, opts.threads.max(1) as usize);
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
    let solve_part = |i: usize, share: Duration| {
        let sub = &subs[i];
        let start = starts[i].as_ref().map(|(g, _)| g);
        let part_opts = SolveOptions {
            time_limit: share.max(Duration::from_millis(500)),
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
    };
    // Each lane solves its parts one after the other, each with the share of the time left that
    // its size has among the lane's parts still to solve (a part that ends early leaves its time
    // to the next); the lanes run in parallel.
    let mut solved: Vec<(usize, Result<SolveResult, SolverError>)> = lanes
        .par_iter()
        .map(|lane| {
            let mut size_left: f64 = lane.iter().map(|&j| sizes[j]).sum();
            let mut out = Vec::with_capacity(lane.len());
            for &i in lane {
                let left = opts.time_limit.saturating_sub(started.elapsed());
                let share = left.mul_f64(sizes[i] / size_left.max(1.0));
                size_left -= sizes[i];
                out.push((i, solve_part(i, share)));
            }
            out
        })
        .flatten()
        .collect();
    // Back in the parts' order: every part is in exactly one lane.
    solved.sort_unstable_by_key(|(i, _)| *i);
    let results: Vec<SolveResult> = solved.into_iter().map(|(_, r)| r).collect::<Result<_, _>>()?;
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

/// Parts (by index) split into at most `lanes` lanes of about equal total size, largest parts
/// first, each to the lane with the least so far (LPT): no lane idles long while another still
/// has parts to solve.
fn lanes(sizes: &[f64], lanes: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by(|&a, &b| sizes[b].total_cmp(&sizes[a]).then(a.cmp(&b)));
    let mut out: Vec<(f64, Vec<usize>)> = vec![(0.0, Vec::new()); lanes.min(sizes.len()).max(1)];
    for i in order {
        let lightest = out.iter_mut().min_by(|a, b| a.0.total_cmp(&b.0)).expect("at least one lane");
        lightest.0 += sizes[i];
        lightest.1.push(i);
    }
    out.into_iter().map(|(_, parts)| parts).filter(|p| !p.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::lanes;

    #[test]
    fn every_part_is_in_exactly_one_lane_and_equal_parts_split_as_evenly_as_they_can() {
        let split = lanes(&[1.0; 9], 2);
        let mut all: Vec<usize> = split.iter().flatten().copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..9).collect::<Vec<_>>());
        let mut counts: Vec<usize> = split.iter().map(Vec::len).collect();
        counts.sort_unstable();
        assert_eq!(counts, vec![4, 5]);
    }

    #[test]
    fn the_largest_parts_go_to_different_lanes_and_the_small_ones_fill_the_lighter_lane() {
        // 16 + 8 against 16 + 4 + 4: the lanes' totals differ by no more than the smallest part.
        let sizes = [16.0, 16.0, 8.0, 4.0, 4.0];
        let split = lanes(&sizes, 2);
        let totals: Vec<f64> = split.iter().map(|l| l.iter().map(|&i| sizes[i]).sum()).collect();
        assert_eq!(split.len(), 2);
        assert!(split.iter().all(|l| l.contains(&0) != l.contains(&1)), "{split:?}");
        assert!((totals[0] - totals[1]).abs() <= 4.0, "{totals:?}");
    }

    #[test]
    fn there_are_never_more_lanes_than_parts() {
        assert_eq!(lanes(&[3.0, 1.0], 8).len(), 2);
        assert_eq!(lanes(&[3.0], 2), vec![vec![0]]);
    }
}
