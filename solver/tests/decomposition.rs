//! Decomposed and monolithic solves agree on small multi-depot scenarios.

mod common;

use std::time::Duration;

use chrono::NaiveDate;
use common::generated_without_fairness;
use model::ScenarioIndex;
use model::generate::GeneratorParams;
use solver::decompose::parts;
use solver::{CancelToken, SolveHooks, SolveOptions, SolveStatus, solve};

fn scenario(seed: u64) -> ScenarioIndex {
    let start_date = NaiveDate::from_ymd_opt(2027, 1, 4).expect("date");
    // Fairness spreads couple depots; without them the parts are truly independent.
    generated_without_fairness(&GeneratorParams { drivers: 12, days: 7, depots: 3, seed, start_date })
}

#[test]
fn depots_that_do_not_share_drivers_or_duties_are_separate_parts() {
    let ix = scenario(11);
    let p = parts(&ix);
    assert_eq!(p.len(), 3);
    assert_eq!(p.iter().map(|p| p.drivers.len()).sum::<usize>(), 12);
}

#[test]
fn decomposed_and_monolithic_solves_reach_the_same_optimum() {
    for seed in [11, 12] {
        let ix = scenario(seed);
        let cancel = CancelToken::new();
        let quiet = |_: &solver::Progress| {};
        let hooks = SolveHooks { progress: &quiet, cancel: &cancel, initial: None };
        let base = SolveOptions { time_limit: Duration::from_secs(60), ..SolveOptions::default() };
        let split = solve(&ix, &SolveOptions { decompose: true, ..base.clone() }, hooks).expect("decomposed");
        let whole = solve(&ix, &SolveOptions { decompose: false, ..base }, hooks).expect("monolithic");
        assert_eq!(split.parts, 3);
        assert_eq!(whole.parts, 1);
        assert_eq!(split.status, SolveStatus::Optimal, "seed {seed}");
        assert_eq!(whole.status, SolveStatus::Optimal, "seed {seed}");
        assert_eq!(split.objective(), whole.objective(), "seed {seed}");
    }
}

#[test]
fn a_decomposed_solve_reports_the_merged_greedy_roster_before_any_part_is_optimized() {
    let ix = scenario(13);
    let cancel = CancelToken::new();
    let reports = std::sync::Mutex::new(Vec::<solver::Progress>::new());
    let sink = |p: &solver::Progress| reports.lock().expect("lock").push(p.clone());
    let opts = SolveOptions { time_limit: Duration::from_secs(30), decompose: true, ..SolveOptions::default() };
    let res = solve(&ix, &opts, SolveHooks { progress: &sink, cancel: &cancel, initial: None }).expect("solve");
    assert_eq!(res.parts, 3);
    let reports = reports.into_inner().expect("lock");
    let first = reports.first().expect("a progress report");
    assert_eq!(first.phase, solver::Phase::Heuristic, "{reports:?}");
    let greedy = first.incumbent.expect("the merged greedy roster's objective");
    // Later reports only improve on it, down to the returned roster.
    let final_obj = res.objective().expect("objective").cents() as f64;
    assert!(final_obj <= greedy + 1e-6, "{final_obj} > {greedy}");
}

#[test]
fn every_part_of_a_decomposed_solve_goes_through_column_generation() {
    let ix = scenario(14);
    let cancel = CancelToken::new();
    let phases = std::sync::Mutex::new(Vec::<solver::Phase>::new());
    let sink = |p: &solver::Progress| phases.lock().expect("lock").push(p.phase);
    let opts = SolveOptions { time_limit: Duration::from_secs(20), decompose: true, ..SolveOptions::default() };
    let res = solve(&ix, &opts, SolveHooks { progress: &sink, cancel: &cancel, initial: None }).expect("solve");
    assert_eq!(res.parts, 3);
    // Reports of the parts are relayed with their own phase; column generation reports its bound.
    let phases = phases.into_inner().expect("lock");
    let cg = phases.iter().filter(|p| **p == solver::Phase::ColumnGeneration).count();
    assert!(cg >= 3, "one column generation report per part at least: {phases:?}");
}
