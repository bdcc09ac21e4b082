//! Column generation: its bound is valid (never above an optimum proven by the MILP), reaches the
//! published optima where those equal the LP bound, and its dives return legal rosters; the
//! best-response search prices rosters exactly as the evaluator does.

mod common;

use std::time::{Duration, Instant};

use common::{curtois_instance as instance, milp_optimum, small_metro};
use model::{DriverIdx, RosterGrid, ScenarioIndex, evaluate};
use solver::CancelToken;
use solver::best_response::{MilpFallback, RowSearch};
use solver::colgen::{BeamPricing, DiveStyle, Hurry, Master};

/// A legal roster by best responses from an empty one.
fn descent(ix: &ScenarioIndex) -> RosterGrid {
    let mut search = RowSearch::new(ix, RosterGrid::empty(ix.drivers(), ix.days()), false);
    let order: Vec<DriverIdx> = (0..ix.drivers()).map(DriverIdx).collect();
    assert!(search.descend(&order, 50), "every driver has a legal row");
    search.grid().clone()
}

fn far() -> Instant {
    Instant::now() + Duration::from_secs(120)
}

#[test]
fn the_bound_reaches_the_published_optimum_of_instances_2_to_4_and_stays_below_it_on_1_and_5() {
    let cancel = CancelToken::new();
    for (n, optimum, reaches) in [(1, 607, false), (2, 828, true), (3, 1001, true), (4, 1716, true), (5, 1143, false)] {
        let ix = instance(n);
        let mut master = Master::new(&ix, &descent(&ix)).expect("master");
        assert!(master.generate(far(), &cancel).expect("generate"), "Instance{n} converges");
        assert!(master.bound <= f64::from(optimum), "Instance{n}: bound {} above the optimum", master.bound);
        if reaches {
            assert_eq!(master.bound, f64::from(optimum), "Instance{n}");
        }
    }
}

#[test]
fn pricing_by_a_narrow_beam_ahead_of_the_exact_dp_converges_to_the_same_bound() {
    let cancel = CancelToken::new();
    for (n, optimum) in [(2, 828), (3, 1001), (4, 1716)] {
        let ix = instance(n);
        let mut master = Master::new(&ix, &descent(&ix)).expect("master");
        // From the first round on, and narrow enough to miss rows the exact DP finds.
        master.beam_pricing = Some(BeamPricing { width: 5, after: Duration::ZERO });
        assert!(master.generate(far(), &cancel).expect("generate"), "Instance{n} converges");
        assert_eq!(master.bound, f64::from(optimum), "Instance{n}");
        assert!(master.beam_rounds > 0, "Instance{n}: the beam priced ahead of the exact DP");
    }
}

#[test]
fn a_pricing_round_longer_than_the_round_limit_ends_generation_unconverged_without_a_bound() {
    let ix = instance(4);
    let cancel = CancelToken::new();
    let mut master = Master::new(&ix, &descent(&ix)).expect("master");
    master.round_limit = Some(Duration::ZERO);
    assert!(!master.generate(far(), &cancel).expect("generate"), "no round fits in no time");
    assert_eq!(master.bound, f64::NEG_INFINITY, "a round cut short gives no bound");
    master.round_limit = Some(Duration::from_secs(60));
    assert!(master.generate(far(), &cancel).expect("generate"), "with time for its rounds it converges");
    assert_eq!(master.bound, 1716.0);
}

#[test]
fn a_dive_returns_a_legal_roster_no_better_than_the_bound() {
    let ix = instance(4);
    let cancel = CancelToken::new();
    let mut master = Master::new(&ix, &descent(&ix)).expect("master");
    master.generate(far(), &cancel).expect("generate");
    let grid =
        master.dive(DiveStyle::THOROUGH, None, f64::INFINITY, None, far(), &cancel).expect("dive").expect("a roster");
    let eval = evaluate(&ix, &grid);
    assert!(eval.violations.is_empty(), "{:?}", eval.violations.first());
    assert!(eval.objective.total().cents() as f64 >= master.bound);
}

#[test]
fn a_dive_that_hurries_from_its_first_step_goes_its_hurried_style_and_still_returns_a_legal_roster() {
    // Instance1's root LP is fractional (its bound is below the optimum 607), so a thorough dive
    // takes several steps, each re-priced.
    let ix = instance(1);
    let cancel = CancelToken::new();
    let mut master = Master::new(&ix, &descent(&ix)).expect("master");
    assert!(master.generate(far(), &cancel).expect("generate"));
    let before = master.iterations;
    master.dive(DiveStyle::THOROUGH, None, f64::INFINITY, None, far(), &cancel).expect("dive").expect("a roster");
    let thorough = master.iterations - before;
    // Hurried from the start into a style that fixes every free driver at once without
    // re-pricing: one LP solve at the start, one per step, and at most two steps (the integral
    // rows first, then the rest).
    let hurry = Hurry { at: Instant::now(), style: DiveStyle { reprice: 0, step_share: 1 } };
    let before = master.iterations;
    let grid = master
        .dive(DiveStyle::THOROUGH, Some(hurry), f64::INFINITY, None, far(), &cancel)
        .expect("dive")
        .expect("a roster, though every step went hurried");
    let hurried = master.iterations - before;
    assert!(hurried <= 3, "{hurried} LP solves in a dive hurried into one step");
    assert!(thorough > hurried, "the thorough dive took {thorough} LP solves, the hurried one {hurried}");
    let eval = evaluate(&ix, &grid);
    assert!(eval.violations.is_empty(), "{:?}", eval.violations.first());
    assert!(eval.objective.total().cents() as f64 >= master.bound);
}

#[test]
fn on_metro_scenarios_with_overtime_and_premiums_the_bound_never_exceeds_the_milp_optimum() {
    let cancel = CancelToken::new();
    for seed in [1, 2, 3] {
        let ix = small_metro(seed);
        let mut master = Master::new(&ix, &descent(&ix)).expect("master");
        master.generate(far(), &cancel).expect("generate");
        // The MILP alone, proven optimal, is the reference.
        let optimum = milp_optimum(&ix);
        assert!(master.bound <= optimum, "seed {seed}: bound {} above the optimum {optimum}", master.bound);
        // And the bound is not vacuous: within a few percent of the optimum.
        assert!(master.bound >= 0.9 * optimum, "seed {seed}: bound {} vs optimum {optimum}", master.bound);
    }
}

#[test]
fn the_search_prices_every_roster_as_the_evaluator_does_and_best_responses_never_cost_more() {
    let ix = small_metro(4);
    let grid = descent(&ix);
    let mut search = RowSearch::new(&ix, grid, true);
    let mut last = search.total().expect("legal rows");
    assert_eq!(last, evaluate(&ix, search.grid()).objective.total().cents() as f64);
    for d in (0..ix.drivers()).map(DriverIdx) {
        let gain = search.best_response(d, Some(2..5)).expect("a legal row");
        let now = search.total().expect("legal rows");
        assert!(gain >= 0.0 && (last - now - gain).abs() < 1e-6, "driver {}: {last} → {now}, gain {gain}", d.0);
        assert_eq!(now, evaluate(&ix, search.grid()).objective.total().cents() as f64);
        last = now;
    }
}

#[test]
fn a_restarted_search_prices_the_new_roster_as_a_fresh_search_does_and_its_best_responses_still_hold() {
    let ix = small_metro(4);
    // The greedy roster is legal and no descent's end: the search below moves away from it, so the
    // restart has cover counts and row costs to reset.
    let greedy = solver::heuristic::construct(&ix);
    let order: Vec<DriverIdx> = (0..ix.drivers()).rev().map(DriverIdx).collect();
    let mut search = RowSearch::new(&ix, greedy.clone(), true);
    assert!(search.descend(&order, 3));
    assert_ne!(search.grid(), &greedy, "the descent changed the roster");
    search.restart(greedy.clone());
    assert_eq!(search.grid(), &greedy);
    assert_eq!(search.total(), RowSearch::new(&ix, greedy.clone(), true).total());
    assert_eq!(search.total(), Some(evaluate(&ix, &greedy).objective.total().cents() as f64));
    let before = search.total().expect("legal rows");
    assert!(search.descend(&order, 50));
    let after = search.total().expect("legal rows");
    assert!(after <= before, "{before} → {after}");
    assert_eq!(after, evaluate(&ix, search.grid()).objective.total().cents() as f64);
}

/// The master after column generation at the root, from the descent's roster, and that roster's
/// objective (the incumbent a tree starts below).
fn root_master<'a>(ix: &'a ScenarioIndex, cancel: &CancelToken) -> (Master<'a>, f64) {
    let start = descent(ix);
    let start_cost = evaluate(ix, &start).objective.total().cents() as f64;
    let mut master = Master::new(ix, &start).expect("master");
    master.generate(far(), cancel).expect("generate");
    (master, start_cost)
}

#[test]
fn branch_and_price_finds_and_proves_the_optimum_of_instance1_where_the_lp_bound_is_below_it() {
    // The master LP's bound is 558; the optimum 607 needs the tree.
    let ix = instance(1);
    let cancel = CancelToken::new();
    let (mut master, start_cost) = root_master(&ix, &cancel);
    assert!(master.bound < 607.0);
    let out = master.branch_and_price(start_cost, far(), &cancel).expect("branch and price");
    assert!(out.complete, "the tree is exhausted");
    let grid = out.roster.expect("a roster better than the start");
    let eval = evaluate(&ix, &grid);
    assert!(eval.violations.is_empty());
    assert_eq!(eval.objective.total().cents(), 607);
    assert_eq!(out.bound, 607.0, "an exhausted tree proves the best roster optimal");
}

#[test]
fn branch_and_price_stopped_before_its_first_node_keeps_the_root_bound_and_the_start() {
    let ix = instance(1);
    let cancel = CancelToken::new();
    let (mut master, start_cost) = root_master(&ix, &cancel);
    let out = master.branch_and_price(start_cost, Instant::now(), &cancel).expect("branch and price");
    assert!(!out.complete && out.roster.is_none() && out.nodes == 0, "{out:?}");
    assert_eq!(out.bound, master.bound, "the open root is the tree's bound");
}

/// A search from an empty roster whose DP may keep one label: every whole-row DP is too large,
/// so every answer has to come from the driver's MILP.
fn one_label_search(ix: &ScenarioIndex) -> RowSearch<'_> {
    let mut search = RowSearch::new(ix, RosterGrid::empty(ix.drivers(), ix.days()), false);
    search.max_labels = 1;
    search
}

#[test]
fn rows_too_large_for_the_dp_get_their_best_response_from_the_milp_and_the_roster_is_legal() {
    let ix = instance(2);
    let cancel = CancelToken::new();
    let mut search = one_label_search(&ix);
    let order: Vec<DriverIdx> = (0..ix.drivers()).map(DriverIdx).collect();
    assert!(!search.descend(&order, 1), "without the fallback a too-large row is no answer");
    search.milp_fallback = Some(MilpFallback { limit: Duration::from_secs(10), until: far(), cancel: &cancel });
    assert!(search.descend(&order, 3), "every driver gets a legal row from its MILP");
    let eval = evaluate(&ix, search.grid());
    assert!(eval.is_feasible(), "{:?}", eval.violations);
    assert_eq!(search.total(), Some(eval.objective.total().cents() as f64));
}

#[test]
fn a_row_milp_whose_caller_deadline_has_passed_gives_no_answer_instead_of_running() {
    let ix = instance(2);
    let cancel = CancelToken::new();
    let mut search = one_label_search(&ix);
    let until = Instant::now();
    search.milp_fallback = Some(MilpFallback { limit: Duration::from_secs(10), until, cancel: &cancel });
    // With time left, HiGHS would find driver 0 a legal row (the test above).
    assert_eq!(search.best_response(DriverIdx(0), None), None);
    assert!(!search.all_legal(), "the row is left as it was: not legal");
}

/// A search whose exact DP is always too large (one label) and whose beam keeps 20 labels a day:
/// every whole row comes from the beam.
fn beam_only_search(ix: &ScenarioIndex) -> RowSearch<'_> {
    let mut search = one_label_search(ix);
    search.beam = Some(20);
    search
}

#[test]
fn rows_too_large_for_the_dp_get_a_legal_row_from_the_beam_and_the_search_prices_it_as_the_evaluator() {
    let ix = instance(7);
    let mut search = beam_only_search(&ix);
    let order: Vec<DriverIdx> = (0..ix.drivers()).map(DriverIdx).collect();
    assert!(search.descend(&order, 3), "every driver gets a legal row from the beam, no MILP");
    let eval = evaluate(&ix, search.grid());
    assert!(eval.is_feasible(), "{:?}", eval.violations);
    assert_eq!(search.total(), Some(eval.objective.total().cents() as f64));
    // The exact DP was too large: its time says nothing about column generation's pricing.
    assert_eq!(search.exact_response_time(), None);
}

#[test]
fn best_responses_answered_in_parallel_make_every_row_legal_and_never_raise_the_objective() {
    let ix = instance(7);
    let mut search = beam_only_search(&ix);
    let order: Vec<DriverIdx> = (0..ix.drivers()).map(DriverIdx).collect();
    // From an empty roster, batches of three: each batch's rows are found against the same cover.
    for batch in order.chunks(3) {
        search.best_responses_in_parallel(batch).expect("the beam gives every driver a row");
    }
    assert!(search.all_legal());
    assert!(search.rows_are_long(), "every exact DP of one label is cut short");
    let mut last = search.total().expect("legal rows");
    for _ in 0..2 {
        for batch in order.chunks(3) {
            let gain = search.best_responses_in_parallel(batch).expect("legal rows stay");
            let now = search.total().expect("legal rows");
            assert!(gain >= 0.0 && (last - now - gain).abs() < 1e-6, "{last} → {now}, gain {gain}");
            last = now;
        }
    }
    let eval = evaluate(&ix, search.grid());
    assert!(eval.is_feasible(), "{:?}", eval.violations);
    assert_eq!(last, eval.objective.total().cents() as f64);
}
