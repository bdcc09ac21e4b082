//! Exchange search: it prices its moves exactly as the evaluator does, only ever holds legal
//! rosters, never ends worse than it started, repeats itself for a seed and a move budget, and
//! stops at once when cancelled; a resumed run goes on cooling.

mod common;

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use common::generated_without_fairness;
use model::{CarryIn, DriverIdx, Money, PlannedShift, RosterGrid, ScenarioIndex, evaluate, generate::GeneratorParams};
use solver::CancelToken;
use solver::exchange::{CYCLE_MOVES, ExchangeLimits, ExchangeSearch};
use solver::heuristic::construct;

/// A generated metro scenario of 40 drivers over four weeks (overtime tiers, premiums, requests),
/// and the greedy roster for it, which the search starts from.
fn metro_with_greedy_roster(seed: u64) -> (ScenarioIndex, RosterGrid) {
    let start_date = NaiveDate::from_ymd_opt(2027, 3, 1).expect("date");
    let ix = generated_without_fairness(&GeneratorParams { drivers: 40, days: 28, depots: 1, seed, start_date });
    let grid = construct(&ix);
    let eval = evaluate(&ix, &grid);
    assert!(eval.violations.is_empty(), "the greedy roster is legal: {:?}", eval.violations.first());
    (ix, grid)
}

/// The same kind of scenario starting on a Wednesday (part-weeks at both ends), with shifts worked
/// before the horizon, and a baseline roster for half the drivers whose every changed cell costs
/// 5 euros; the search starts from the greedy roster for it.
fn mid_week_with_history_and_baseline(seed: u64) -> (ScenarioIndex, RosterGrid) {
    let start_date = NaiveDate::from_ymd_opt(2027, 3, 3).expect("date");
    let plain = generated_without_fairness(&GeneratorParams { drivers: 40, days: 28, depots: 1, seed, start_date });
    let greedy = construct(&plain);
    let mut s = plain.scenario.clone();
    s.weights.change = Money(500);
    s.baseline = Some(
        (0..20)
            .flat_map(|d| (0..28).map(move |t| (d, t)))
            .filter_map(|(d, t)| {
                let shift = greedy.get(DriverIdx(d), t)?;
                Some(PlannedShift { driver: s.drivers[d].id.clone(), day: t, shift: s.shift_types[shift.0].id.clone() })
            })
            .collect(),
    );
    s.history = (0..40)
        .step_by(3)
        .map(|d| CarryIn { driver: s.drivers[d].id.clone(), days_before: 1, shift: s.shift_types[0].id.clone() })
        .collect();
    let ix = ScenarioIndex::new(s).expect("valid");
    let grid = construct(&ix);
    let eval = evaluate(&ix, &grid);
    assert!(eval.violations.is_empty(), "the greedy roster is legal: {:?}", eval.violations.first());
    (ix, grid)
}

fn far() -> Instant {
    Instant::now() + Duration::from_secs(120)
}

/// At most `moves` moves, and a deadline far enough not to matter.
fn moves(moves: u64) -> ExchangeLimits {
    ExchangeLimits { max_moves: Some(moves), ..ExchangeLimits::until(far()) }
}

#[test]
fn the_search_keeps_its_running_total_equal_to_the_evaluators_objective_and_its_roster_legal() {
    let scenarios = [metro_with_greedy_roster(1), metro_with_greedy_roster(2), mid_week_with_history_and_baseline(3)];
    for (seed, (ix, grid)) in (1..).zip(scenarios) {
        let mut search = ExchangeSearch::new(&ix, grid);
        assert_eq!(search.total(), evaluate(&ix, search.grid()).objective.total().cents() as f64);
        // Budgets that end within a cycle and one that spans re-heats (where, in debug builds, the
        // run also checks its summed prices against a recount): the running total must agree
        // with the evaluator after each, whether or not the run ended on its best roster.
        for budget in [1_000, 20_000, 150_000, 2 * CYCLE_MOVES + 1_000] {
            let out = search.run(seed, &moves(budget), &CancelToken::new());
            assert_eq!(out.moves, budget);
            let eval = evaluate(&ix, search.grid());
            assert!(eval.violations.is_empty(), "scenario {seed}: {:?}", eval.violations.first());
            let evaluated = eval.objective.total().cents() as f64;
            assert!((search.total() - evaluated).abs() < 0.5, "scenario {seed}: {} vs {evaluated}", search.total());
            assert_eq!(out.best, search.total());
        }
    }
}

#[test]
fn the_search_never_ends_worse_than_it_started_and_improves_a_greedy_metro_roster() {
    let (ix, grid) = metro_with_greedy_roster(4);
    let before = evaluate(&ix, &grid).objective.total().cents() as f64;
    let mut search = ExchangeSearch::new(&ix, grid);
    let out = search.run(4, &moves(300_000), &CancelToken::new());
    assert_eq!(out.start, before);
    assert!(out.best <= out.start);
    // The greedy roster leaves overtime and premiums a trade between two drivers removes.
    assert!(out.best < 0.99 * out.start, "from {} to only {}", out.start, out.best);
    assert!(out.accepted > 0);
}

#[test]
fn the_same_seed_and_move_budget_give_the_same_roster() {
    let (ix, grid) = metro_with_greedy_roster(5);
    let run = |seed: u64| {
        let mut search = ExchangeSearch::new(&ix, grid.clone());
        let out = search.run(seed, &moves(50_000), &CancelToken::new());
        (out, search.into_grid())
    };
    let (first, second) = (run(9), run(9));
    assert_eq!(first, second);
    // And the seed matters: another one takes another path.
    let other = run(10);
    assert_ne!(first.1, other.1);
}

#[test]
fn the_search_stops_at_the_objective_it_is_told_cannot_be_beaten() {
    let (ix, grid) = metro_with_greedy_roster(6);
    let mut search = ExchangeSearch::new(&ix, grid);
    let target = 0.995 * search.total();
    let out = search.run(6, &ExchangeLimits { stop_at: Some(target), ..moves(5_000_000) }, &CancelToken::new());
    assert!(out.best <= target);
    assert!(out.moves < 5_000_000, "it went on after reaching {target}");
}

#[test]
fn a_cancelled_search_returns_at_once_with_its_starting_roster_or_a_better_one() {
    let (ix, grid) = metro_with_greedy_roster(7);
    let cancel = CancelToken::new();
    cancel.cancel();
    let mut search = ExchangeSearch::new(&ix, grid.clone());
    let started = Instant::now();
    let out = search.run(7, &ExchangeLimits::until(far()), &cancel);
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(out.moves <= 1, "{} moves after cancellation", out.moves);
    assert_eq!(search.into_grid(), grid);
}

#[test]
fn a_search_that_stops_finding_better_rosters_gives_up_after_its_stall_cycles() {
    let (ix, grid) = metro_with_greedy_roster(8);
    let mut search = ExchangeSearch::new(&ix, grid);
    let limits = ExchangeLimits { stall_cycles: Some(1), ..moves(200 * CYCLE_MOVES) };
    let out = search.run(8, &limits, &CancelToken::new());
    // It ends at the end of a cycle, long before the move budget: 40 drivers settle in a few.
    assert_eq!(out.moves % CYCLE_MOVES, 0);
    assert!(out.moves < 200 * CYCLE_MOVES, "{} moves", out.moves);
    // The cycle that found nothing did not lose the best roster.
    assert_eq!(out.best, evaluate(&ix, search.grid()).objective.total().cents() as f64);
}

#[test]
fn a_resumed_search_goes_on_cooling_from_where_its_last_run_left_off() {
    let (ix, grid) = metro_with_greedy_roster(9);
    let mut search = ExchangeSearch::new(&ix, grid);
    assert_eq!(search.heat(), None);
    search.run(9, &moves(2 * CYCLE_MOVES), &CancelToken::new());
    let left_off = search.heat().expect("the first run calibrated a heat");
    assert!(left_off > 0.0);
    // Restarted from its best roster (as the final search does after an LNS turn), the next run
    // starts its first cycle at that heat, not at a newly calibrated hot one, and halves it.
    search.restart(search.grid().clone());
    search.run(10, &moves(CYCLE_MOVES), &CancelToken::new());
    assert_eq!(search.heat(), Some(left_off / 2.0));
}

#[test]
fn a_reheated_search_calibrates_its_heat_again_instead_of_resuming_the_cooled_one() {
    let (ix, grid) = metro_with_greedy_roster(9);
    let mut search = ExchangeSearch::new(&ix, grid);
    search.run(9, &moves(4 * CYCLE_MOVES), &CancelToken::new());
    let cooled = search.heat().expect("the first run calibrated a heat");
    // As the final search does when neither search gained in its last turn.
    search.reheat();
    assert_eq!(search.heat(), None);
    search.restart(search.grid().clone());
    let before = search.total();
    let out = search.run(10, &moves(CYCLE_MOVES), &CancelToken::new());
    // One cycle from a newly calibrated heat ends at half of it: hotter than the cooled search's.
    let recalibrated = 2.0 * search.heat().expect("the run calibrated a heat");
    assert!(recalibrated > 2.0 * cooled, "recalibrated {recalibrated}, cooled {cooled}");
    // Re-heating never loses the best roster: the roster it holds is the best it found, by the
    // evaluator, and no worse than where it started.
    let held = evaluate(&ix, search.grid()).objective.total().cents() as f64;
    assert_eq!(out.best, held);
    assert!(out.best <= before + 1e-6);
}
