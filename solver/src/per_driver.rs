//! A first roster built one driver at a time with small exact MILPs.
//!
//! Every hard rule concerns one driver, so a legal roster exists driver by driver: each driver's
//! sub-MILP has only that driver's variables and rows, and sees the others already rostered as a
//! fixed part of the cover (what is still missing is worth covering, a surplus costs). This finds a
//! legal roster where the greedy heuristic cannot (tight minimum/maximum minutes windows, as in the
//! Curtois instances) and where the monolithic MILP is too big to find one quickly.

use std::time::{Duration, Instant};

use model::{DriverIdx, RosterGrid, ScenarioIndex};
use ndarray::Array2;

use crate::error::SolverError;
use crate::formulation::RosterModel;
use crate::highs_run::{RunConfig, run};
use crate::progress::{CancelToken, Phase, Progress};

/// Builds a legal roster driver by driver; `None` if some driver's sub-MILP finds no legal row within
/// its share of `budget` (or the driver's own rules conflict), or on cancellation.
pub fn per_driver_roster(
    ix: &ScenarioIndex,
    threads: u32,
    budget: Duration,
    started: Instant,
    cancel: &CancelToken,
) -> Result<Option<RosterGrid>, SolverError> {
    let deadline = Instant::now() + budget;
    let mut grid = RosterGrid::empty(ix.drivers(), ix.days());
    let mut cover = Array2::<u32>::zeros((ix.days(), ix.shifts()));
    let quiet = |_: &Progress| {};
    for d in (0..ix.drivers()).map(DriverIdx) {
        let left = deadline.saturating_duration_since(Instant::now());
        if cancel.is_cancelled() || left.is_zero() {
            return Ok(None);
        }
        let mut free = vec![false; ix.drivers()];
        free[d.0] = true;
        let mut m = RosterModel::build_for_drivers(ix, free, cover.clone());
        let drivers_left = (ix.drivers() - d.0) as u32;
        let cfg = RunConfig {
            time_limit: (left / drivers_left).max(Duration::from_millis(200)),
            gap: 0.0,
            // HiGHS fixes its thread count per OS thread once it has run: use the caller's count.
            threads,
            seed: d.0 as u64,
            verbose: false,
            heuristic_effort: 0.05,
            start: None,
            started,
            phase: Phase::Heuristic,
            cancel,
            soft_deadline: None,
        };
        let out = run(&mut m, &cfg, &quiet)?;
        let Some(cols) = out.columns else { return Ok(None) };
        let row = m.grid_from_columns(&cols);
        for t in 0..ix.days() {
            let s = row.get(d, t);
            grid.set(d, t, s);
            if let Some(s) = s {
                cover[[t, s.0]] += 1;
            }
        }
    }
    Ok(Some(grid))
}
