//! The evaluator's objective breakdown (DESIGN §3, soft terms): hand-built rosters whose every term
//! equals a computation written out in the test, and the Curtois & Qu objective recomputed from the
//! text of Instance1.

mod common;

use common::{Builder, MONDAY, driver_with, grid};
use model::evaluate::ObjectiveBreakdown;
use model::formats::curtois::parse_curtois;
use model::{Money, RosterGrid, ScenarioIndex};

/// The breakdown of `rows` under `ix`.
fn objective(ix: &ScenarioIndex, rows: &[(&str, &str)]) -> ObjectiveBreakdown {
    model::evaluate(ix, &grid(ix, rows)).objective
}

fn three_drivers(days: usize) -> Builder {
    Builder::week_of(days).drivers(&["A", "B", "C"])
}

#[test]
fn cover_costs_each_missing_and_each_surplus_driver_at_the_cells_own_penalty() {
    let ix = three_drivers(7)
        .demand(0, "E", 2, 100, 7)
        .demand(0, "L", 0, 50, 3)
        .demand(1, "E", 1, 40, 5)
        .demand(2, "N", 1, 30, 2)
        .index();
    let rows = [("A", "E L E - - - -"), ("B", "L E - - - - -"), ("C", "L E - - - - -")];
    let eval = model::evaluate(&ix, &grid(&ix, &rows));
    // Day 0 E: 1 of 2 → 1 missing × 100. Day 0 L: 2 of 0 → 2 surplus × 3.
    // Day 1 E: 2 of 1 → 1 surplus × 5. Day 2 N: 0 of 1 → 1 missing × 30.
    // A's L on day 1 and E on day 2 fall on cells without demand: free.
    let expected =
        ObjectiveBreakdown { uncovered: Money(100 + 30), over_cover: Money(2 * 3 + 5), ..Default::default() };
    assert_eq!(eval.objective, expected);
    assert_eq!(eval.objective.total(), Money(141));
    let c = eval.coverage;
    assert_eq!((c.required, c.covered, c.missing, c.surplus), (2 + 1 + 1, 1 + 1, 2, 3));
}

#[test]
fn an_on_request_costs_its_weight_unless_that_exact_shift_is_worked() {
    let ix = three_drivers(7).on_request("A", 0, "E", 3).on_request("B", 1, "L", 2).on_request("C", 2, "E", 5).index();
    // A works L instead of E: still pays 3. B is off: pays 2. C gets E: free.
    let o = objective(&ix, &[("A", "L - - - - - -"), ("C", "- - E - - - -")]);
    assert_eq!(o, ObjectiveBreakdown { shift_on_requests: Money(3 + 2), ..Default::default() });
    let o = objective(&ix, &[("A", "E - - - - - -"), ("B", "- L - - - - -"), ("C", "- - E - - - -")]);
    assert_eq!(o.total(), Money::ZERO);
}

#[test]
fn an_off_request_with_a_shift_costs_only_that_shift_and_one_without_costs_any_shift() {
    let ix = three_drivers(7)
        .off_request("A", 3, Some("E"), 4)
        .off_request("B", 3, Some("E"), 6)
        .off_request("C", 4, None, 7)
        .off_request("A", 4, None, 9)
        .off_request("C", 5, Some("N"), 11)
        .index();
    // A works L on day 3 (not E): free. B works E on day 3: 6. C works L on day 4 (any shift): 7.
    // A is off on day 4: free. C works N on day 5: 11.
    let o = objective(&ix, &[("A", "- - - L - - -"), ("B", "- - - E - - -"), ("C", "- - - - L N -")]);
    assert_eq!(o, ObjectiveBreakdown { shift_off_requests: Money(6 + 7 + 11), ..Default::default() });
}

/// A (30.00/h) works six 8-hour shifts and B (20.00/h) seven, both on a 40-hour contract.
fn overtime_scenario(overtime_counts: bool) -> ScenarioIndex {
    Builder::week_of(7)
        .driver(driver_with("A", |c| c.hourly_rate = Money(3000)))
        .driver(driver_with("B", |c| c.hourly_rate = Money(2000)))
        .with(|s| s.weights.overtime = overtime_counts)
        .index()
}

const OVERTIME_ROWS: [(&str, &str); 2] = [("A", "E E E E E E -"), ("B", "E E E E E E E")];

#[test]
fn overtime_pay_counts_in_the_objective_when_weights_overtime_is_true() {
    let ix = overtime_scenario(true);
    let eval = model::evaluate(&ix, &grid(&ix, &OVERTIME_ROWS));
    // A: 2880 − 2400 = 480 min at 150 % of 30.00/h = 3000 · 480 · 1.5 / 60 = 36000.
    // B: 3360 − 2400 = 960 min: 480 at 150 % and 480 at 200 % of 20.00/h = 24000 + 32000.
    let overtime = 36_000 + 24_000 + 32_000;
    assert_eq!(eval.objective, ObjectiveBreakdown { overtime: Money(overtime), ..Default::default() });
    // Regular pay is a cost forecast figure, never an objective term.
    assert_eq!(eval.cost.total.regular_pay, Money(3000 * 40 + 2000 * 40));
    assert_eq!(eval.drivers[0].overtime_minutes.get(), 480);
    assert_eq!(eval.drivers[1].overtime_minutes.get(), 960);
}

#[test]
fn overtime_pay_is_left_out_of_the_objective_when_weights_overtime_is_false() {
    let ix = overtime_scenario(false);
    let eval = model::evaluate(&ix, &grid(&ix, &OVERTIME_ROWS));
    assert_eq!(eval.objective, ObjectiveBreakdown::default());
    // The forecast still reports it.
    assert_eq!(eval.cost.total.overtime_pay, Money(92_000));
}

fn premium_scenario(premiums_count: bool) -> ScenarioIndex {
    Builder::week_of(7)
        .driver(driver_with("A", |c| c.hourly_rate = Money(3000)))
        .driver(driver_with("B", |c| c.hourly_rate = Money(2000)))
        .with(|s| {
            s.overtime.night_premium_percent = 25;
            s.overtime.sunday_holiday_premium_percent = 50;
            s.overtime.holidays = vec!["2024-01-03".parse().expect("date")]; // Wednesday, day 2
            s.weights.premiums = premiums_count;
        })
        .index()
}

// Day 6 is a Sunday; day 2 a holiday; N is the night shift.
const PREMIUM_ROWS: [(&str, &str); 2] = [("A", "- N - E - - E"), ("B", "- - E - - - N")];

#[test]
fn night_sunday_and_holiday_premiums_count_in_the_objective_when_weights_premiums_is_true() {
    let ix = premium_scenario(true);
    let o = objective(&ix, &PREMIUM_ROWS);
    // A: N on Tuesday 25 % of 8 h at 30.00 = 6000; E on Thursday nothing; E on Sunday 50 % = 12000.
    // B: E on the holiday 50 % of 8 h at 20.00 = 8000; N on Sunday 25 % + 50 % = 12000.
    let premiums = 6_000 + 12_000 + 8_000 + 12_000;
    assert_eq!(o, ObjectiveBreakdown { premiums: Money(premiums), ..Default::default() });
}

#[test]
fn premiums_are_left_out_of_the_objective_when_weights_premiums_is_false() {
    let ix = premium_scenario(false);
    let eval = model::evaluate(&ix, &grid(&ix, &PREMIUM_ROWS));
    assert_eq!(eval.objective.total(), Money::ZERO);
    assert_eq!(eval.cost.total.premium_pay, Money(38_000));
}

#[test]
fn overtime_fairness_costs_the_spread_between_the_most_and_least_overtime_per_minute() {
    let ix = Builder::week_of(7)
        .drivers(&["A", "B"])
        .driver(driver_with("C", |c| c.weekly_minutes = model::Minutes(3000)))
        .with(|s| s.weights.overtime_spread_per_minute = Money(3))
        .index();
    // Overtime: A 2880 − 2400 = 480, B 2400 − 2400 = 0, C 3360 − 3000 = 360. Spread 480 − 0.
    let o = objective(&ix, &[("A", "E E E E E E -"), ("B", "E E E E E - -"), ("C", "E E E E E E E")]);
    assert_eq!(o, ObjectiveBreakdown { overtime_fairness: Money(480 * 3), ..Default::default() });
}

#[test]
fn weekend_fairness_costs_the_spread_of_worked_weekends() {
    let b = three_drivers(14);
    // Weekends are days 5–6 and 12–13. A works both, B one (its Sunday), C none.
    let rows = [
        ("A", "- - - - - E - - - - - - E -"),
        ("B", "- - - - - - E - - - - - - -"),
        ("C", "E - - - - - - E - - - - - -"),
    ];
    let ix = b.clone().with(|s| s.weights.weekend_spread_per_weekend = Money(500)).index();
    assert_eq!(objective(&ix, &rows), ObjectiveBreakdown { weekend_fairness: Money(2 * 500), ..Default::default() });
    let weekends: Vec<u32> = model::evaluate(&ix, &grid(&ix, &rows)).drivers.iter().map(|d| d.weekends).collect();
    assert_eq!(weekends, [2, 1, 0]);
    // Without a weight the spread costs nothing.
    let ix = b.index();
    assert_eq!(objective(&ix, &rows).total(), Money::ZERO);
}

#[test]
fn every_cell_that_differs_from_the_baseline_costs_the_change_weight() {
    let b = three_drivers(7).baseline("A", 0, "E").baseline("B", 1, "L").baseline("A", 3, "E");
    let ix = b.with(|s| s.weights.change = Money(25)).index();
    // A: day 0 E → L (changed), day 3 E → off (changed). B: day 1 L kept. C: day 2 off → E (changed).
    let o = objective(&ix, &[("A", "L - - - - - -"), ("B", "- L - - - - -"), ("C", "- - E - - - -")]);
    assert_eq!(o, ObjectiveBreakdown { baseline_changes: Money(3 * 25), ..Default::default() });
    assert_eq!(objective(&ix, &[("A", "E - - E - - -"), ("B", "- L - - - - -")]).total(), Money::ZERO);
}

#[test]
fn without_a_baseline_the_change_weight_costs_nothing() {
    let ix = three_drivers(7).with(|s| s.weights.change = Money(25)).index();
    assert_eq!(objective(&ix, &[("A", "E E E - - - -")]).total(), Money::ZERO);
}

#[test]
fn the_total_is_the_sum_of_every_term_in_one_scenario_using_them_all() {
    let ix = Builder::week_of(7)
        .driver(driver_with("A", |c| c.hourly_rate = Money(3000)))
        .driver(driver_with("B", |c| c.hourly_rate = Money(2000)))
        .demand(0, "E", 2, 100, 7)
        .demand(6, "N", 0, 50, 9)
        .on_request("A", 1, "L", 4)
        .off_request("B", 2, None, 6)
        .baseline("B", 0, "E")
        .with(|s| {
            s.overtime.night_premium_percent = 25;
            s.overtime.sunday_holiday_premium_percent = 50;
            s.weights.overtime_spread_per_minute = Money(2);
            s.weights.weekend_spread_per_weekend = Money(300);
            s.weights.change = Money(40);
        })
        .index();
    let rows = [("A", "E E E E E E N"), ("B", "- - L - - - -")];
    let o = objective(&ix, &rows);
    let uncovered = 100; // day 0 E: 1 of 2
    let over_cover = 9; // day 6 N: 1 of 0
    let shift_on_requests = 4; // A asked for L on day 1 and works E
    let shift_off_requests = 6; // B asked for day 2 off and works L
    // A: 3360 − 2400 = 960 overtime minutes, 480 at 150 % and 480 at 200 %.
    let overtime = 3000 * 480 * 150 / 6000 + 3000 * 480 * 200 / 6000;
    let premiums = 3000 * 480 * 75 / 6000; // A: N on a Sunday
    let overtime_fairness = 2 * 960; // A 960, B 0
    let weekend_fairness = 300; // A 1, B 0
    // The baseline has B on E on day 0 and everybody else off: all 7 of A's cells differ, and B's
    // day 0 (E → off) and day 2 (off → L).
    let baseline_changes = 40 * (7 + 2);
    let expected = ObjectiveBreakdown {
        uncovered: Money(uncovered),
        over_cover: Money(over_cover),
        shift_on_requests: Money(shift_on_requests),
        shift_off_requests: Money(shift_off_requests),
        overtime: Money(overtime),
        premiums: Money(premiums),
        overtime_fairness: Money(overtime_fairness),
        weekend_fairness: Money(weekend_fairness),
        baseline_changes: Money(baseline_changes),
    };
    assert_eq!(o, expected);
    let sum = uncovered
        + over_cover
        + shift_on_requests
        + shift_off_requests
        + overtime
        + premiums
        + overtime_fairness
        + weekend_fairness
        + baseline_changes;
    assert_eq!(o.total(), Money(sum));
    assert_eq!(o.terms().iter().map(|(_, m)| *m).sum::<Money>(), o.total());
}

#[test]
fn an_empty_roster_in_an_empty_scenario_costs_nothing() {
    let ix = Builder::new(MONDAY, 3).shift(common::early()).drivers(&["A"]).index();
    let eval = model::evaluate(&ix, &RosterGrid::empty(1, 3));
    assert_eq!(eval.objective, ObjectiveBreakdown::default());
    assert!(eval.is_feasible());
}

// ---------------------------------------------------------------------------------------------
// Curtois & Qu: the objective recomputed from the file's text.

const INSTANCE1: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../datasets/curtois/Instance1.txt");

/// The data lines of each section of a Curtois file: `(section header, fields)`.
fn sections(text: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut section = String::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with("SECTION_") {
            section = line.to_owned();
        } else {
            out.push((section.clone(), line.split(',').map(str::to_owned).collect()));
        }
    }
    out
}

fn lines_of<'a>(all: &'a [(String, Vec<String>)], section: &str) -> Vec<&'a [String]> {
    all.iter().filter(|(s, _)| s == section).map(|(_, f)| f.as_slice()).collect()
}

fn num(field: &str) -> i64 {
    field.trim().parse().unwrap_or_else(|e| panic!("{field:?} is not a number: {e}"))
}

#[test]
fn on_curtois_instance1_an_all_off_roster_costs_every_requirement_times_100_plus_every_on_request() {
    let text = std::fs::read_to_string(INSTANCE1).expect("Instance1.txt");
    let all = sections(&text);
    let cover = lines_of(&all, "SECTION_COVER");
    let on = lines_of(&all, "SECTION_SHIFT_ON_REQUESTS");
    assert_eq!((cover.len(), on.len()), (14, 21));
    // Day, ShiftID, Requirement, Weight for under, Weight for over.
    let uncovered: i64 = cover.iter().map(|f| num(&f[2]) * num(&f[3])).sum();
    assert!(cover.iter().all(|f| num(&f[3]) == 100));
    // EmployeeID, Day, ShiftID, Weight.
    let on_weights: i64 = on.iter().map(|f| num(&f[3])).sum();

    let ix = ScenarioIndex::new(parse_curtois(&text, "Instance1").expect("parses")).expect("valid");
    let eval = model::evaluate(&ix, &RosterGrid::empty(ix.drivers(), ix.days()));
    let expected =
        ObjectiveBreakdown { uncovered: Money(uncovered), shift_on_requests: Money(on_weights), ..Default::default() };
    assert_eq!(eval.objective, expected);
    assert_eq!(eval.objective.total(), Money(uncovered + on_weights));
    // Written out from the file: 14 cells whose requirements sum to 71, and 21 weights summing to 37.
    assert_eq!(eval.objective.total(), Money(71 * 100 + 37));
}

#[test]
fn on_curtois_instance1_everyone_working_every_day_costs_the_over_cover_and_every_off_request() {
    let text = std::fs::read_to_string(INSTANCE1).expect("Instance1.txt");
    let all = sections(&text);
    let employees = lines_of(&all, "SECTION_STAFF").len() as i64;
    let cover: i64 = lines_of(&all, "SECTION_COVER")
        .iter()
        .map(|f| {
            let (req, under, over) = (num(&f[2]), num(&f[3]), num(&f[4]));
            (req - employees).max(0) * under + (employees - req).max(0) * over
        })
        .sum();
    // Instance1 has one shift type, so every on-request (for D) is granted and every off-request
    // (for D) is not.
    let off: i64 = lines_of(&all, "SECTION_SHIFT_OFF_REQUESTS").iter().map(|f| num(&f[3])).sum();

    let ix = ScenarioIndex::new(parse_curtois(&text, "Instance1").expect("parses")).expect("valid");
    let mut g = RosterGrid::empty(ix.drivers(), ix.days());
    for d in 0..ix.drivers() {
        for t in 0..ix.days() {
            g.set(model::DriverIdx(d), t, Some(model::ShiftIdx(0)));
        }
    }
    let eval = model::evaluate(&ix, &g);
    assert_eq!(eval.objective.total(), Money(cover + off));
    assert_eq!(eval.objective.shift_on_requests, Money::ZERO);
    assert_eq!(eval.objective.shift_off_requests, Money(off));
    // With zero pay rates, overtime and premiums never enter a Curtois objective.
    assert_eq!((eval.cost.total.total_pay(), eval.objective.overtime), (Money::ZERO, Money::ZERO));
}
