//! The small Curtois & Qu instances are solved to their published optima, and the evaluator agrees
//! with the solver on every roster it returns.

mod common;

use std::time::Duration;

use common::curtois_instance as instance;
use solver::{CancelToken, Phase, Progress, SolveHooks, SolveOptions, SolveStatus, solve};

#[test]
fn instance1_is_solved_to_its_published_optimum_607() {
    let ix = instance(1);
    let opts = SolveOptions { time_limit: Duration::from_secs(120), ..SolveOptions::default() };
    let cancel = CancelToken::new();
    let reports = std::sync::Mutex::new(Vec::<Progress>::new());
    let sink = |p: &Progress| reports.lock().expect("lock").push(p.clone());
    let res = solve(&ix, &opts, SolveHooks { progress: &sink, cancel: &cancel, initial: None }).expect("solve");
    assert_eq!(res.status, SolveStatus::Optimal);
    assert_eq!(res.objective().expect("objective").cents(), 607);
    let eval = res.evaluation.as_ref().expect("evaluation");
    assert!(eval.violations.is_empty());
    // The bound proves the optimum (integral objective).
    assert!(res.bound.expect("bound") > 606.0);
    // Progress reported at least one incumbent, and incumbents only improve.
    let reports = reports.into_inner().expect("lock");
    let incumbents: Vec<f64> = reports
        .iter()
        .filter(|p| p.phase != Phase::Heuristic || p.incumbent.is_some())
        .filter_map(|p| p.incumbent)
        .collect();
    assert!(!incumbents.is_empty());
    assert!(incumbents.windows(2).all(|w| w[1] <= w[0] + 1e-6), "{incumbents:?}");
}

#[test]
fn solves_with_different_thread_counts_follow_each_other_on_one_thread() {
    // A service worker thread runs jobs with whatever `threads` each asks for; HiGHS sizes a
    // per-thread scheduler on the first solve and would refuse the next with an error status.
    let ix = instance(1);
    let cancel = CancelToken::new();
    let quiet = |_: &Progress| {};
    for threads in [2, 1, 2] {
        let opts = SolveOptions { time_limit: Duration::from_secs(60), threads, ..SolveOptions::default() };
        let res = solve(&ix, &opts, SolveHooks { progress: &quiet, cancel: &cancel, initial: None })
            .unwrap_or_else(|e| panic!("solve with {threads} threads: {e}"));
        assert_eq!(res.objective().expect("objective").cents(), 607, "{threads} threads");
    }
}
