//! The row DP against brute force: on many small random one-driver scenarios (every rule drawn at
//! random, carry-in history, pins, leave, requests, overtime), the DP's row is legal by the
//! evaluator, costs what it says, and no legal row of all 3^days costs less.

mod common;

use common::*;
use model::evaluate::driver_violations;
use model::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use solver::row_dp::{CellCosts, NoRow, best_row, best_row_below, good_row_within, row_cost};

/// A random one-driver scenario of `days` days and two shift types.
fn random_scenario(rng: &mut ChaCha8Rng, days: usize) -> Scenario {
    let mut s = tiny(1, days, &[("E", 360, 480), ("L", 840, 600)]);
    // Start on any weekday, so weekends and ISO weeks fall anywhere.
    s.horizon.start_date += chrono::TimeDelta::days(rng.random_range(0..7));
    if rng.random_bool(0.5) {
        s.rules.min_rest = Minutes(660);
    }
    if rng.random_bool(0.3) {
        s.shift_types[0].forbidden_next = vec!["L".into()];
    }
    let c = &mut s.drivers[0].contract;
    let total = days as i64 * 480;
    c.min_minutes = Minutes(if rng.random_bool(0.6) { rng.random_range(0..total * 3 / 4) } else { 0 });
    c.max_minutes = rng.random_bool(0.6).then(|| Minutes(c.min_minutes.get() + rng.random_range(0..total)));
    c.max_minutes_per_week = rng.random_bool(0.4).then(|| Minutes(rng.random_range(1..5) * 600));
    c.max_consecutive_days = rng.random_bool(0.7).then(|| rng.random_range(1..5));
    c.min_consecutive_days = rng.random_range(0..4);
    c.min_consecutive_days_off = rng.random_range(0..4);
    c.max_weekends = rng.random_bool(0.5).then(|| rng.random_range(0..2));
    c.hourly_rate = Money(rng.random_range(1000..4000));
    c.weekly_minutes = Minutes(rng.random_range(1..4) * 480);
    if rng.random_bool(0.4) {
        s.drivers[0].max_shifts.insert("L".into(), rng.random_range(0..3));
    }
    if rng.random_bool(0.5) {
        let day = rng.random_range(0..days);
        s.drivers[0].unavailable.push(Unavailability { day, reason: AbsenceReason::Leave });
    }
    if rng.random_bool(0.3) {
        let day = rng.random_range(0..days);
        if !s.drivers[0].unavailable.iter().any(|u| u.day == day) {
            let shift = rng.random_bool(0.5).then(|| ShiftTypeId::from("E"));
            s.pins.push(Pin { driver: DriverId("A".into()), day, shift });
        }
    }
    if rng.random_bool(0.5) {
        let run = rng.random_range(1..4);
        let shift = ShiftTypeId::from(if rng.random_bool(0.5) { "E" } else { "L" });
        for days_before in 1..=run {
            s.history.push(CarryIn { driver: DriverId("A".into()), days_before, shift: shift.clone() });
        }
    }
    s.weights.overtime = rng.random_bool(0.5);
    s.overtime.tiers =
        vec![OvertimeTier { width: Some(Minutes(480)), percent: 150 }, OvertimeTier { width: None, percent: 200 }];
    s
}

/// Random cell costs, some negative (as cover duals are).
fn random_costs(rng: &mut ChaCha8Rng, days: usize) -> CellCosts {
    let mut c = CellCosts::zero(days, 2);
    for t in 0..days {
        c.off[t] = f64::from(rng.random_range(0..3));
        for s in 0..2 {
            c.add_work(t, ShiftIdx(s), f64::from(rng.random_range(-300..200)));
        }
    }
    c
}

/// The cheapest legal row by enumerating all of them, judged by the evaluator.
fn brute_force(ix: &ScenarioIndex, costs: &CellCosts) -> Option<f64> {
    let days = ix.days();
    let mut best: Option<f64> = None;
    let mut grid = RosterGrid::empty(1, days);
    for code in 0..3usize.pow(days as u32) {
        let mut x = code;
        let mut row = vec![None; days];
        for (t, cell) in row.iter_mut().enumerate() {
            *cell = match x % 3 {
                0 => None,
                k => Some(ShiftIdx(k - 1)),
            };
            grid.set(DriverIdx(0), t, *cell);
            x /= 3;
        }
        if !driver_violations(ix, &grid, DriverIdx(0)).is_empty() {
            continue;
        }
        let Some(cost) = row_cost(ix, DriverIdx(0), costs, &row) else { continue };
        best = Some(best.map_or(cost, |b: f64| b.min(cost)));
    }
    best
}

/// What the evaluator finds wrong with `row` as the one driver's row.
fn row_violations(ix: &ScenarioIndex, row: &[Option<ShiftIdx>]) -> Vec<Violation> {
    let mut grid = RosterGrid::empty(1, row.len());
    for (t, cell) in row.iter().enumerate() {
        grid.set(DriverIdx(0), t, *cell);
    }
    driver_violations(ix, &grid, DriverIdx(0))
}

#[test]
fn the_dp_finds_the_cheapest_legal_row_on_random_one_driver_scenarios() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut legal_cases = 0;
    for case in 0..300 {
        let days = rng.random_range(4..=8);
        let scenario = random_scenario(&mut rng, days);
        let Ok(ix) = ScenarioIndex::new(scenario) else { continue };
        let costs = random_costs(&mut rng, days);
        let expected = brute_force(&ix, &costs);
        let got = best_row(&ix, DriverIdx(0), &costs);
        match (&got, expected) {
            (None, None) => {}
            (Some(best), Some(cost)) => {
                legal_cases += 1;
                let violations = row_violations(&ix, &best.row);
                assert!(violations.is_empty(), "case {case}: the DP's row breaks {violations:?}");
                assert_eq!(row_cost(&ix, DriverIdx(0), &costs, &best.row), Some(best.cost), "case {case}");
                assert_eq!(best.cost, cost, "case {case}: DP {:?} vs brute force {cost}", best.row);
                // A bound at the optimum keeps it; a bound below it leaves nothing.
                assert_eq!(best_row_below(&ix, DriverIdx(0), &costs, cost).map(|b| b.cost), Some(cost));
                assert_eq!(best_row_below(&ix, DriverIdx(0), &costs, cost - 1.0), None, "case {case}");
            }
            _ => panic!("case {case}: DP {got:?}, brute force {expected:?}"),
        }
        // The beam DP: a wide beam drops nothing and is exact; a narrow one gives a legal row no
        // cheaper than the best, or says it may have missed one, never that there is none when
        // there is.
        let wide = good_row_within(&ix, DriverIdx(0), &costs, f64::INFINITY, 10_000);
        assert_eq!(wide.as_ref().ok().map(|b| b.cost), expected, "case {case}: wide beam");
        for beam in [1, 2, 4] {
            match (good_row_within(&ix, DriverIdx(0), &costs, f64::INFINITY, beam), expected) {
                (Ok(good), Some(cost)) => {
                    let violations = row_violations(&ix, &good.row);
                    assert!(violations.is_empty(), "case {case}: beam {beam}'s row breaks {violations:?}");
                    assert_eq!(row_cost(&ix, DriverIdx(0), &costs, &good.row), Some(good.cost), "case {case}");
                    assert!(good.cost >= cost, "case {case}: beam {beam} below the optimum");
                }
                (Err(NoRow::TooLarge), _) | (Err(NoRow::None), None) => {}
                (got, _) => panic!("case {case}: beam {beam} gave {got:?}, brute force {expected:?}"),
            }
        }
    }
    // The draw must exercise real rows, not only infeasible scenarios.
    assert!(legal_cases > 150, "only {legal_cases} cases had a legal row");
}

#[test]
fn forcing_cells_re_optimizes_only_the_rest_of_the_row() {
    let mut s = tiny(1, 7, &[("E", 360, 480)]);
    s.drivers[0].contract.max_consecutive_days = Some(3);
    let ix = ScenarioIndex::new(s).expect("valid");
    // Every shift pays; day 1 is forced off and day 5 forced on.
    let mut costs = CellCosts::zero(7, 1);
    for t in 0..7 {
        costs.add_work(t, ShiftIdx(0), -10.0);
    }
    costs.force(1, None);
    costs.force(5, Some(ShiftIdx(0)));
    let best = best_row(&ix, DriverIdx(0), &costs).expect("a legal row");
    assert_eq!(best.row[1], None);
    assert_eq!(best.row[5], Some(ShiftIdx(0)));
    // Runs of at most 3: E . E E E . E → 5 shifts.
    assert_eq!(best.cost, -50.0);
}
