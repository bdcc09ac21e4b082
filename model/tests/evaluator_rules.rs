//! The evaluator's hard rules R1–R11 (DESIGN §3): for every rule, a roster that passes and one that
//! fails with the exact violation (rule, driver, day). R6–R8 are also checked exhaustively against the
//! literal Curtois & Qu formulation (`datasets/curtois/README.md` §3), border exemptions included.

mod common;

use std::collections::BTreeSet;

use common::{Builder, MONDAY, SUNDAY, WEDNESDAY, driver_with, early, forbidding, grid, grid_from_mask, late, shift};
use common::{violations, violations_of};
use model::evaluate::evaluate_roster;
use model::{AbsenceReason, Assignment, DriverId, DriverIdx, Roster, RuleCode, ShiftTypeId};

/// One driver "A" without limits and the shift types E, L, N over `days` days from a Monday.
fn one_driver(days: usize) -> Builder {
    Builder::week_of(days).drivers(&["A"])
}

fn assignment(ix: &model::ScenarioIndex, driver: &str, day: usize, shift: &str) -> Assignment {
    Assignment {
        driver: DriverId::from(driver),
        day,
        date: ix.scenario.horizon.date(day),
        shift: ShiftTypeId::from(shift),
    }
}

// ---------------------------------------------------------------------------------------------
// R1: at most one shift per driver per day.

#[test]
fn r1_a_roster_with_one_shift_per_driver_and_day_passes() {
    let ix = Builder::week_of(7).drivers(&["A", "B"]).index();
    let roster = Roster {
        start_date: ix.scenario.horizon.start_date,
        assignments: vec![assignment(&ix, "A", 2, "E"), assignment(&ix, "B", 2, "L"), assignment(&ix, "A", 3, "L")],
    };
    let eval = evaluate_roster(&ix, &roster).expect("roster resolves");
    assert!(eval.violations.is_empty(), "{:?}", eval.violations);
}

#[test]
fn r1_two_assignments_for_the_same_driver_and_day_are_reported_on_that_day() {
    let ix = Builder::week_of(7).drivers(&["A", "B"]).index();
    let roster = Roster {
        start_date: ix.scenario.horizon.start_date,
        assignments: vec![assignment(&ix, "B", 1, "E"), assignment(&ix, "B", 2, "E"), assignment(&ix, "B", 2, "L")],
    };
    let eval = evaluate_roster(&ix, &roster).expect("roster resolves");
    let r1: Vec<_> = eval.violations.iter().filter(|v| v.rule == RuleCode::R1).collect();
    assert_eq!(r1.len(), 1, "{:?}", eval.violations);
    assert_eq!((r1[0].driver.as_str(), r1[0].day), ("B", Some(2)));
    assert_eq!(r1[0].message, "two shifts on day 2: E and L");
    // The first shift stays in the roster: day 2 is still worked once (E).
    assert_eq!(eval.drivers[1].shifts, 2);
}

#[test]
fn r1_an_assignment_outside_the_horizon_or_for_an_unknown_driver_is_an_error_not_a_violation() {
    let ix = one_driver(7).index();
    let roster = Roster {
        start_date: ix.scenario.horizon.start_date,
        assignments: vec![assignment(&ix, "A", 7, "E"), assignment(&ix, "Z", 0, "E"), assignment(&ix, "A", 0, "X")],
    };
    let err = evaluate_roster(&ix, &roster).expect_err("unknown ids are errors");
    let paths: Vec<String> = err.issues().into_iter().map(|i| i.path).collect();
    assert_eq!(paths, ["assignments[0].day", "assignments[1].driver", "assignments[2].shift"]);
}

// ---------------------------------------------------------------------------------------------
// R2: rest between shifts on consecutive days, and explicit forbidden successions.

#[test]
fn r2_a_late_followed_by_an_early_with_less_than_the_minimum_rest_is_reported_on_the_second_day() {
    // L ends 22:00, E starts 06:00 the next day: 8 h = 480 minutes of rest, below 11 h.
    let ix = one_driver(7).min_rest(660).index();
    let g = grid(&ix, &[("A", "- L E - - - -")]);
    let v = violations_of(&ix, &g, RuleCode::R2);
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!((v[0].0.as_str(), v[0].1), ("A", Some(2)));
    assert_eq!(v[0].2, "E on day 2 may not follow L on day 1 (forbidden succession or rest below 660 minutes)");
}

#[test]
fn r2_an_early_followed_by_a_late_has_a_full_day_of_rest_and_passes() {
    let ix = one_driver(7).min_rest(660).index();
    let g = grid(&ix, &[("A", "E L L - E E L")]);
    assert_eq!(violations(&ix, &g), []);
}

#[test]
fn r2_rest_exactly_equal_to_the_minimum_is_allowed_and_one_minute_more_is_required_is_not() {
    // L (14:00–22:00) then E (06:00): exactly 480 minutes.
    let pattern = [("A", "L E - - - - -")];
    let ix = one_driver(7).min_rest(480).index();
    assert_eq!(violations(&ix, &grid(&ix, &pattern)), []);
    let ix = one_driver(7).min_rest(481).index();
    assert_eq!(violations(&ix, &grid(&ix, &pattern)), [(RuleCode::R2, "A".to_owned(), Some(1))]);
}

#[test]
fn r2_a_night_shift_crossing_midnight_counts_its_rest_from_the_next_morning() {
    // N 22:00–06:00 (+1 day), then L at 14:00: 8 h of rest; then N again 22:00: 16 h.
    let ix = one_driver(7).min_rest(660).index();
    let g = grid(&ix, &[("A", "- N L - - - -")]);
    assert_eq!(violations(&ix, &g), [(RuleCode::R2, "A".to_owned(), Some(2))]);
    let g = grid(&ix, &[("A", "- N N N - - -")]);
    assert_eq!(violations(&ix, &g), []);
    // N then E the next day starts the moment the night ends: 0 minutes of rest.
    let g = grid(&ix, &[("A", "- - - - N E -")]);
    assert_eq!(violations(&ix, &g), [(RuleCode::R2, "A".to_owned(), Some(5))]);
}

#[test]
fn r2_a_min_rest_of_zero_disables_the_derived_check() {
    let ix = one_driver(7).min_rest(0).index();
    let g = grid(&ix, &[("A", "L E N E L E -")]);
    assert_eq!(violations(&ix, &g), []);
}

#[test]
fn r2_an_explicit_forbidden_succession_applies_in_its_direction_only() {
    // `L forbids E`: E may not be worked the day after L; L after E is fine.
    let b = Builder::new(MONDAY, 7).shift(early()).shift(forbidding(late(), &["E"])).drivers(&["A"]);
    let ix = b.index();
    let g = grid(&ix, &[("A", "- - - L E - -")]);
    assert_eq!(violations(&ix, &g), [(RuleCode::R2, "A".to_owned(), Some(4))]);
    let g = grid(&ix, &[("A", "- - - E L - -")]);
    assert_eq!(violations(&ix, &g), []);
    // A day off between them breaks the succession.
    let g = grid(&ix, &[("A", "L - E - - - -")]);
    assert_eq!(violations(&ix, &g), []);
}

#[test]
fn r2_a_carry_in_shift_on_the_day_before_the_horizon_constrains_day_0() {
    let b = Builder::new(MONDAY, 7).shift(early()).shift(forbidding(late(), &["E"])).drivers(&["A", "B"]);
    let ix = b.history("A", 1, "L").history("B", 2, "L").index();
    // A worked L yesterday: E today is forbidden. B worked L two days ago: nothing follows from it.
    let g = grid(&ix, &[("A", "E - - - - - -"), ("B", "E - - - - - -")]);
    let v = violations_of(&ix, &g, RuleCode::R2);
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!((v[0].0.as_str(), v[0].1), ("A", Some(0)));
    assert!(v[0].2.contains("may not follow L on the day before the horizon"), "{}", v[0].2);
    let g = grid(&ix, &[("A", "L - - - - - -"), ("B", "E - - - - - -")]);
    assert_eq!(violations(&ix, &g), []);
}

#[test]
fn r2_a_carry_in_night_shift_leaves_too_little_rest_for_an_early_on_day_0() {
    let ix = one_driver(7).min_rest(660).history("A", 1, "N").index();
    let g = grid(&ix, &[("A", "E - - - - - -")]);
    assert_eq!(violations(&ix, &g), [(RuleCode::R2, "A".to_owned(), Some(0))]);
    let g = grid(&ix, &[("A", "N - - - - - -")]);
    assert_eq!(violations(&ix, &g), []);
}

// ---------------------------------------------------------------------------------------------
// R3: maximum shifts of each type over the horizon.

#[test]
fn r3_working_a_type_more_often_than_allowed_is_reported_without_a_day() {
    let ix = one_driver(7).max_shifts("A", "N", 1).index();
    let g = grid(&ix, &[("A", "N - - N - - E")]);
    let v = violations_of(&ix, &g, RuleCode::R3);
    assert_eq!(v, [("A".to_owned(), None, "works 2 shifts of type N, maximum 1".to_owned())]);
    let g = grid(&ix, &[("A", "N - - E E E E")]);
    assert_eq!(violations(&ix, &g), []);
}

#[test]
fn r3_a_maximum_of_zero_forbids_the_type_entirely() {
    let ix = one_driver(7).max_shifts("A", "L", 0).index();
    let g = grid(&ix, &[("A", "- - - - - - L")]);
    let v = violations_of(&ix, &g, RuleCode::R3);
    assert_eq!(v, [("A".to_owned(), None, "works 1 shift of type L, maximum 0".to_owned())]);
    assert_eq!(violations(&ix, &grid(&ix, &[("A", "E E - - - - -")])), []);
}

// ---------------------------------------------------------------------------------------------
// R4: qualifications and home depot.

fn qualified_scenario() -> Builder {
    let mut e = early();
    e.qualifications = vec!["L1".into(), "L2".into()];
    let mut l = late();
    l.depot = Some("north".into());
    Builder::new(MONDAY, 7).shift(e).shift(l).shift(shift("X", 600, 240)).drivers(&["A", "B", "C", "D"])
}

#[test]
fn r4_a_duty_without_all_its_qualifications_is_reported_on_its_day() {
    let ix = qualified_scenario().qualifications("A", &["L1"]).qualifications("B", &["L2", "L1", "L3"]).index();
    let g = grid(&ix, &[("A", "- - - E - - -"), ("B", "E - - - - - -")]);
    let v = violations_of(&ix, &g, RuleCode::R4);
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!((v[0].0.as_str(), v[0].1), ("A", Some(3)));
    assert_eq!(v[0].2, "works E on day 3 without qualification(s) L2");
}

#[test]
fn r4_a_depot_bound_duty_may_only_be_worked_by_that_depots_drivers() {
    let ix = qualified_scenario().depot("A", "north").depot("B", "south").index();
    // A is from north; B from south; C has no depot. X has neither depot nor qualification.
    let g =
        grid(&ix, &[("A", "L - - - - - -"), ("B", "- L - - - - -"), ("C", "- - L - - - -"), ("D", "X X - - - - -")]);
    let v: Vec<_> = violations(&ix, &g);
    assert_eq!(v, [(RuleCode::R4, "B".to_owned(), Some(1)), (RuleCode::R4, "C".to_owned(), Some(2))]);
}

// ---------------------------------------------------------------------------------------------
// R5: worked minutes over the horizon and per ISO week.

#[test]
fn r5_fewer_minutes_than_the_contract_minimum_are_reported_without_a_day() {
    let ix = one_driver(7).contract("A", |c| c.min_minutes = model::Minutes(960)).index();
    let v = violations_of(&ix, &grid(&ix, &[("A", "- - E - - - -")]), RuleCode::R5);
    assert_eq!(v, [("A".to_owned(), None, "works 480 minutes, minimum 960".to_owned())]);
    assert_eq!(violations(&ix, &grid(&ix, &[("A", "- - E L - - -")])), []);
}

#[test]
fn r5_more_minutes_than_the_contract_maximum_are_reported_without_a_day() {
    let ix = one_driver(7).contract("A", |c| c.max_minutes = Some(model::Minutes(960))).index();
    let v = violations_of(&ix, &grid(&ix, &[("A", "E E - - - - E")]), RuleCode::R5);
    assert_eq!(v, [("A".to_owned(), None, "works 1440 minutes, maximum 960".to_owned())]);
    assert_eq!(violations(&ix, &grid(&ix, &[("A", "E - - - - - E")])), []);
}

#[test]
fn r5_a_week_above_the_weekly_maximum_is_reported_with_the_weeks_first_day() {
    let ix = one_driver(14).contract("A", |c| c.max_minutes_per_week = Some(model::Minutes(960))).index();
    // Two shifts a week: fine. Three in the second week: reported at day 7 (its Monday).
    assert_eq!(violations(&ix, &grid(&ix, &[("A", "E E - - - - - E E - - - - -")])), []);
    let v = violations_of(&ix, &grid(&ix, &[("A", "E E - - - - - E E - - - - E")]), RuleCode::R5);
    assert_eq!(
        v,
        [("A".to_owned(), Some(7), "works 1440 minutes in the week starting day 7, weekly maximum 960".to_owned())]
    );
}

#[test]
fn r5_weeks_are_iso_weeks_not_blocks_of_seven_days_from_the_start() {
    // From a Wednesday: days 0–4 are Wed–Sun (week 0), days 5–6 Mon–Tue (week 1).
    let b = Builder::new(WEDNESDAY, 7).shift(early()).drivers(&["A"]);
    let ix = b.contract("A", |c| c.max_minutes_per_week = Some(model::Minutes(960))).index();
    // Sat, Sun, Mon: three days in a row but only two in one ISO week.
    assert_eq!(violations(&ix, &grid(&ix, &[("A", "- - - E E E -")])), []);
    // Fri, Sat, Sun: three in the first (partial) week.
    let v = violations(&ix, &grid(&ix, &[("A", "- - E E E - -")]));
    assert_eq!(v, [(RuleCode::R5, "A".to_owned(), Some(0))]);
}

// ---------------------------------------------------------------------------------------------
// R6: maximum consecutive working days.

#[test]
fn r6_a_run_longer_than_the_maximum_is_reported_with_its_first_day() {
    let ix = one_driver(7).contract("A", |c| c.max_consecutive_days = Some(3)).index();
    let v = violations_of(&ix, &grid(&ix, &[("A", "- - E E E E -")]), RuleCode::R6);
    assert_eq!(v, [("A".to_owned(), Some(2), "works 4 consecutive days from day 2, maximum 3".to_owned())]);
    assert_eq!(violations(&ix, &grid(&ix, &[("A", "E E E - E E E")])), []);
}

#[test]
fn r6_a_run_starting_on_day_0_continues_the_carry_in_trailing_run() {
    let b = one_driver(7).contract("A", |c| c.max_consecutive_days = Some(3));
    let ix = b.clone().history("A", 1, "E").history("A", 2, "E").index();
    // Two days before the horizon plus days 0 and 1: four in a row.
    let v = violations_of(&ix, &grid(&ix, &[("A", "E E - - - - -")]), RuleCode::R6);
    assert_eq!(v, [("A".to_owned(), Some(0), "works 4 consecutive days from day 0, maximum 3".to_owned())]);
    assert_eq!(violations(&ix, &grid(&ix, &[("A", "E - E E E - -")])), []);
    // A gap in the history (worked 1 and 3 days before, off 2 days before): the trailing run is 1.
    let ix = b.history("A", 1, "E").history("A", 3, "E").index();
    assert_eq!(violations(&ix, &grid(&ix, &[("A", "E E - - - - -")])), []);
    assert_eq!(violations(&ix, &grid(&ix, &[("A", "E E E - - - -")])), [(RuleCode::R6, "A".to_owned(), Some(0))]);
}

// ---------------------------------------------------------------------------------------------
// R7: minimum consecutive working days, blocks touching day 0 or day H−1 exempt.

#[test]
fn r7_a_short_work_block_inside_the_horizon_is_reported_with_its_first_day() {
    let ix = one_driver(7).contract("A", |c| c.min_consecutive_days = 3).index();
    let v = violations_of(&ix, &grid(&ix, &[("A", "- E E - - - -")]), RuleCode::R7);
    assert_eq!(v, [("A".to_owned(), Some(1), "works only 2 consecutive day(s) from day 1, minimum 3".to_owned())]);
    // A block of length 1 that stops one day before the last day is not exempt.
    let v = violations(&ix, &grid(&ix, &[("A", "- - - - - E -")]));
    assert_eq!(v, [(RuleCode::R7, "A".to_owned(), Some(5))]);
    assert_eq!(violations(&ix, &grid(&ix, &[("A", "- E E E - - -")])), []);
}

#[test]
fn r7_short_work_blocks_touching_the_first_or_last_day_are_exempt() {
    let ix = one_driver(7).contract("A", |c| c.min_consecutive_days = 3).index();
    assert_eq!(violations(&ix, &grid(&ix, &[("A", "E - - - - - -")])), []);
    assert_eq!(violations(&ix, &grid(&ix, &[("A", "E E - - - - E")])), []);
    assert_eq!(violations(&ix, &grid(&ix, &[("A", "- - - - - E E")])), []);
    assert_eq!(violations(&ix, &grid(&ix, &[("A", "- - - - - - -")])), []);
}

// ---------------------------------------------------------------------------------------------
// R8: minimum consecutive days off, blocks touching day 0 or day H−1 exempt.

#[test]
fn r8_a_short_block_of_days_off_inside_the_horizon_is_reported_with_its_first_day() {
    let ix = one_driver(7).contract("A", |c| c.min_consecutive_days_off = 2).index();
    let v = violations_of(&ix, &grid(&ix, &[("A", "E - E E E E E")]), RuleCode::R8);
    assert_eq!(v, [("A".to_owned(), Some(1), "has only 1 consecutive day(s) off from day 1, minimum 2".to_owned())]);
    assert_eq!(violations(&ix, &grid(&ix, &[("A", "E - - E E E E")])), []);
}

#[test]
fn r8_short_blocks_of_days_off_touching_the_first_or_last_day_are_exempt() {
    let ix = one_driver(7).contract("A", |c| c.min_consecutive_days_off = 3).index();
    assert_eq!(violations(&ix, &grid(&ix, &[("A", "- E E E E E E")])), []);
    assert_eq!(violations(&ix, &grid(&ix, &[("A", "E E E E E E -")])), []);
    assert_eq!(violations(&ix, &grid(&ix, &[("A", "- - E E E - -")])), []);
    assert_eq!(violations(&ix, &grid(&ix, &[("A", "E E E E E E E")])), []);
    let v = violations(&ix, &grid(&ix, &[("A", "- - E - - E -")]));
    assert_eq!(v, [(RuleCode::R8, "A".to_owned(), Some(3))]);
}

/// The literal Curtois & Qu formulation (README §3, H5–H7) of one employee's work pattern `w` for
/// limits `max` (H5), `min_on` (H6) and `min_off` (H7): the sets of violated windows, each named by
/// the first day of the offending run (H5: the window's first day).
fn curtois_violations(w: &[bool], max: usize, min_on: usize, min_off: usize) -> [BTreeSet<usize>; 3] {
    let h = w.len();
    let x = |d: usize| usize::from(w[d]);
    let mut h5 = BTreeSet::new();
    // Σ_{j=d}^{d+c} w[j] ≤ c for d = 0 … H−c−1.
    for d in 0..h.saturating_sub(max) {
        if (d..=d + max).map(x).sum::<usize>() > max {
            h5.insert(d);
        }
    }
    let mut h6 = BTreeSet::new();
    let mut h7 = BTreeSet::new();
    // For k = 1 … c−1, d = 0 … H−k−2.
    for k in 1..min_on {
        for d in 0..(h as isize - k as isize - 1).max(0) as usize {
            let inner: usize = (d + 1..=d + k).map(x).sum();
            if x(d) + (k - inner) + x(d + k + 1) < 1 {
                h6.insert(d + 1);
            }
        }
    }
    for k in 1..min_off {
        for d in 0..(h as isize - k as isize - 1).max(0) as usize {
            let inner: usize = (d + 1..=d + k).map(x).sum();
            if (1 - x(d)) + inner + (1 - x(d + k + 1)) < 1 {
                h7.insert(d + 1);
            }
        }
    }
    [h5, h6, h7]
}

#[test]
fn r6_r7_r8_agree_with_the_literal_curtois_formulation_on_every_pattern_of_nine_days() {
    const H: usize = 9;
    for (max, min_on, min_off) in [(2, 2, 2), (3, 3, 2), (4, 2, 3), (5, 4, 4), (1, 1, 1)] {
        let b = Builder::new(MONDAY, H).shift(early()).driver(driver_with("A", |c| {
            c.max_consecutive_days = Some(max);
            c.min_consecutive_days = min_on;
            c.min_consecutive_days_off = min_off;
        }));
        let ix = b.index();
        for mask in 0u32..(1 << H) {
            let w: Vec<bool> = (0..H).map(|t| mask & (1 << t) != 0).collect();
            let g = grid_from_mask(&ix, DriverIdx(0), "E", mask);
            let eval = model::evaluate(&ix, &g);
            let days = |rule| eval.violations.iter().filter(|v| v.rule == rule).filter_map(|v| v.day).collect();
            let [h5, h6, h7] = curtois_violations(&w, max as usize, min_on as usize, min_off as usize);
            let pattern: String = w.iter().map(|b| if *b { 'E' } else { '-' }).collect();
            let case = format!("{pattern} with max {max}, min on {min_on}, min off {min_off}");
            assert_eq!(days(RuleCode::R7), h6, "R7 vs H6 for {case}");
            assert_eq!(days(RuleCode::R8), h7, "R8 vs H7 for {case}");
            // H5 names windows, R6 names runs: every violated window lies in a reported run and every
            // reported run contains a violated window starting on its first day.
            let r6: BTreeSet<usize> = days(RuleCode::R6);
            let run_of = |d: usize| (0..=d).rev().take_while(|&t| w[t]).last().unwrap_or(d);
            let starts: BTreeSet<usize> = h5.iter().map(|&d| run_of(d)).collect();
            assert_eq!(r6, starts, "R6 vs H5 for {case}");
            assert!(r6.iter().all(|d| h5.contains(d)), "R6 vs H5 for {case}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// R9: maximum worked weekends (Saturday or Sunday worked).

#[test]
fn r9_a_horizon_from_a_monday_has_weekends_on_days_5_6_and_12_13() {
    let ix = one_driver(14).contract("A", |c| c.max_weekends = Some(1)).index();
    // Saturday and Sunday of the same weekend: one weekend.
    assert_eq!(violations(&ix, &grid(&ix, &[("A", "E E E E E E E - - - - - - -")])), []);
    // Sunday of the first, Saturday of the second: two weekends.
    let v = violations_of(&ix, &grid(&ix, &[("A", "- - - - - - E - - - - - E -")]), RuleCode::R9);
    assert_eq!(v, [("A".to_owned(), None, "works 2 weekends, maximum 1".to_owned())]);
    // Saturday of the first, Sunday of the second.
    let v = violations(&ix, &grid(&ix, &[("A", "- - - - - E - - - - - - - E")]));
    assert_eq!(v, [(RuleCode::R9, "A".to_owned(), None)]);
}

#[test]
fn r9_a_horizon_from_a_sunday_starts_with_a_weekend_of_that_sunday_alone() {
    // Days: 0 Sun | 1–5 Mon–Fri | 6 Sat, 7 Sun | 8–12 Mon–Fri | 13 Sat.
    let ix = Builder::new(SUNDAY, 14).shift(early()).drivers(&["A"]);
    let ix = ix.contract("A", |c| c.max_weekends = Some(1)).index();
    assert_eq!(ix.weekends, 3);
    assert_eq!(violations(&ix, &grid(&ix, &[("A", "- E E E E E E E - - - - - -")])), []);
    let v = violations(&ix, &grid(&ix, &[("A", "E - - - - - E - - - - - - -")]));
    assert_eq!(v, [(RuleCode::R9, "A".to_owned(), None)]);
    let v = violations(&ix, &grid(&ix, &[("A", "- - - - - - - E - - - - - E")]));
    assert_eq!(v, [(RuleCode::R9, "A".to_owned(), None)]);
}

#[test]
fn r9_a_maximum_of_zero_weekends_allows_weekday_work_only() {
    let ix = one_driver(7).contract("A", |c| c.max_weekends = Some(0)).index();
    assert_eq!(violations(&ix, &grid(&ix, &[("A", "E E E E E - -")])), []);
    let v = violations_of(&ix, &grid(&ix, &[("A", "- - - - - - E")]), RuleCode::R9);
    assert_eq!(v, [("A".to_owned(), None, "works 1 weekends, maximum 0".to_owned())]);
}

// ---------------------------------------------------------------------------------------------
// R10: fixed days off and leave.

#[test]
fn r10_working_on_a_day_of_leave_is_reported_on_that_day() {
    let ix = one_driver(7).unavailable("A", 3, AbsenceReason::Leave).unavailable("A", 5, AbsenceReason::Sick).index();
    let v = violations_of(&ix, &grid(&ix, &[("A", "- - E L E N -")]), RuleCode::R10);
    assert_eq!(
        v,
        [
            ("A".to_owned(), Some(3), "works L on day 3, which is leave".to_owned()),
            ("A".to_owned(), Some(5), "works N on day 5, which is sick leave".to_owned()),
        ]
    );
    assert_eq!(violations(&ix, &grid(&ix, &[("A", "E E E - E - E")])), []);
}

#[test]
fn r10_a_fixed_day_off_is_as_binding_as_leave() {
    let ix = one_driver(7).unavailable("A", 0, AbsenceReason::DayOff).index();
    assert_eq!(violations(&ix, &grid(&ix, &[("A", "E - - - - - -")])), [(RuleCode::R10, "A".to_owned(), Some(0))]);
    assert_eq!(violations(&ix, &grid(&ix, &[("A", "- E - - - - -")])), []);
}

// ---------------------------------------------------------------------------------------------
// R11: pins.

#[test]
fn r11_a_pinned_shift_must_be_worked_exactly() {
    let ix = Builder::week_of(7).drivers(&["A", "B"]).pin("B", 2, Some("E")).index();
    let v = violations_of(&ix, &grid(&ix, &[("B", "- - L - - - -")]), RuleCode::R11);
    assert_eq!(v, [("B".to_owned(), Some(2), "day 2 is pinned to E but the roster has L".to_owned())]);
    let v = violations_of(&ix, &grid(&ix, &[("A", "- - E - - - -")]), RuleCode::R11);
    assert_eq!(v, [("B".to_owned(), Some(2), "day 2 is pinned to E but the roster has off".to_owned())]);
    assert_eq!(violations(&ix, &grid(&ix, &[("B", "- - E - - - -")])), []);
}

#[test]
fn r11_a_pinned_day_off_must_not_be_worked() {
    let ix = one_driver(7).pin("A", 3, None).index();
    let v = violations_of(&ix, &grid(&ix, &[("A", "- - - N - - -")]), RuleCode::R11);
    assert_eq!(v, [("A".to_owned(), Some(3), "day 3 is pinned to off but the roster has N".to_owned())]);
    assert_eq!(violations(&ix, &grid(&ix, &[("A", "N N N - N N N")])), []);
}

// ---------------------------------------------------------------------------------------------
// All rules together.

#[test]
fn one_roster_breaking_every_rule_reports_each_of_r1_to_r11() {
    let b = Builder::new(MONDAY, 7)
        .shift(early())
        .shift(forbidding(late(), &["E"]))
        .shift({
            let mut x = shift("X", 600, 240);
            x.qualifications = vec!["L9".into()];
            x
        })
        .driver(driver_with("A", |c| {
            c.max_minutes = Some(model::Minutes(2000));
            c.max_consecutive_days = Some(2);
            c.min_consecutive_days = 2;
            c.min_consecutive_days_off = 2;
            c.max_weekends = Some(0);
        }))
        .max_shifts("A", "E", 1)
        .unavailable("A", 6, AbsenceReason::Leave)
        .pin("A", 3, Some("L"));
    let ix = b.index();
    // Days: L E X - E - E, plus a second shift on day 0.
    let assignments: Vec<Assignment> = [(0, "L"), (1, "E"), (2, "X"), (4, "E"), (6, "E"), (0, "X")]
        .iter()
        .map(|&(t, s)| assignment(&ix, "A", t, s))
        .collect();
    let roster = Roster { start_date: ix.scenario.horizon.start_date, assignments };
    let eval = evaluate_roster(&ix, &roster).expect("roster resolves");
    let rules: BTreeSet<RuleCode> = eval.violations.iter().map(|v| v.rule).collect();
    assert_eq!(rules, RuleCode::ALL.into_iter().collect(), "{:#?}", eval.violations);
    assert!(!eval.is_feasible());
    // R1 comes first, as the evaluator reports double bookings before the per-driver checks.
    assert_eq!(eval.violations[0].rule, RuleCode::R1);
}

#[test]
fn every_rule_code_has_a_description_and_displays_as_its_code() {
    for r in RuleCode::ALL {
        assert!(!r.describe().is_empty());
        assert_eq!(r.to_string(), format!("{r:?}"));
    }
    assert_eq!(RuleCode::R10.to_string(), "R10");
}
