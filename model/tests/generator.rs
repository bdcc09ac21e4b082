//! The metro instance generator: deterministic, valid, realistic and calibrated below capacity.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use model::generate::{GeneratorParams, contract_capacity, generate};
use model::validate::validate;
use model::{ModelError, Qualification, Scenario};

fn params(drivers: usize, days: usize, depots: usize, seed: u64) -> GeneratorParams {
    let start_date = NaiveDate::from_ymd_opt(2027, 1, 4).expect("a Monday");
    GeneratorParams { drivers, days, depots, seed, start_date }
}

fn gen_ok(p: &GeneratorParams) -> Scenario {
    generate(p).expect("valid parameters generate a scenario")
}

/// Sizes the report quotes: 50×28×2, 300×28×3 and 2000×28×9, and some odd shapes.
fn sizes() -> Vec<GeneratorParams> {
    vec![
        params(50, 28, 2, 1),
        params(300, 28, 3, 2),
        params(2000, 28, 9, 3),
        params(1, 1, 1, 4),
        params(7, 10, 3, 5),
        GeneratorParams { start_date: NaiveDate::from_ymd_opt(2026, 12, 20).expect("date"), ..params(120, 42, 2, 6) },
    ]
}

fn total_demand(s: &Scenario) -> u64 {
    s.demand.iter().map(|d| u64::from(d.required)).sum()
}

fn capacity(s: &Scenario) -> f64 {
    s.drivers.iter().map(|d| contract_capacity(d, s.horizon.days)).sum()
}

#[test]
fn the_same_seed_gives_the_same_scenario_byte_for_byte() {
    let p = params(300, 28, 3, 42);
    let (a, b) = (gen_ok(&p), gen_ok(&p));
    assert_eq!(a, b);
    let json = |s: &Scenario| serde_json::to_string(s).expect("serializes");
    assert_eq!(json(&a), json(&b));
}

#[test]
fn a_different_seed_gives_a_different_scenario() {
    let a = gen_ok(&params(300, 28, 3, 1));
    let b = gen_ok(&params(300, 28, 3, 2));
    assert_ne!(a.drivers, b.drivers);
    assert_ne!(a.demand, b.demand);
    assert_eq!(a.name, "metro-300x28-k3-s1");
}

#[test]
fn every_generated_scenario_passes_validation() {
    for p in sizes() {
        let s = gen_ok(&p);
        assert_eq!(validate(&s), vec![], "{}", s.name);
    }
}

#[test]
fn depot_bound_duties_only_qualify_their_depots_drivers() {
    for p in sizes() {
        let s = gen_ok(&p);
        for st in &s.shift_types {
            let depot = st.depot.as_ref().expect("every duty is depot-bound");
            assert_eq!(st.qualifications.len(), 1, "{}: one line", st.id);
            let qualified: Vec<_> =
                s.drivers.iter().filter(|d| st.qualifications.iter().all(|q| d.qualifications.contains(q))).collect();
            assert!(!qualified.is_empty(), "{}: {} has nobody qualified", s.name, st.id);
            for d in qualified {
                assert_eq!(d.depot.as_ref(), Some(depot), "{}: {} works {}", s.name, d.id, st.id);
            }
        }
    }
}

#[test]
fn drivers_hold_one_to_three_lines_and_depots_run_two_to_four() {
    let s = gen_ok(&params(2000, 28, 9, 3));
    assert!(s.drivers.iter().all(|d| (1..=3).contains(&d.qualifications.len())));
    let mut lines_per_depot: BTreeMap<_, Vec<_>> = BTreeMap::new();
    for st in &s.shift_types {
        lines_per_depot.entry(st.depot.clone()).or_default().push(st.qualifications[0].clone());
    }
    assert_eq!(lines_per_depot.len(), 9);
    for (depot, mut lines) in lines_per_depot {
        lines.dedup();
        assert!((2..=4).contains(&lines.len()), "{depot:?} runs {} lines", lines.len());
    }
    assert_eq!(s.shift_types.len() % 4, 0, "four duties per line");
}

#[test]
fn demand_is_below_capacity_overall_and_on_every_line() {
    for p in sizes().into_iter().filter(|p| p.drivers >= 50) {
        let s = gen_ok(&p);
        let (demand, cap) = (total_demand(&s) as f64, capacity(&s));
        let ratio = demand / cap;
        eprintln!(
            "{}: {} shift types, demand {demand} driver-shifts, contract capacity {cap:.0} ({:.1} %)",
            s.name,
            s.shift_types.len(),
            ratio * 100.0
        );
        assert!((0.78..=0.88).contains(&ratio), "{}: demand is {ratio:.3} of capacity", s.name);
        // Per line: demand against the drivers qualified for it, each split over their lines.
        let mut line_demand: BTreeMap<&Qualification, f64> = BTreeMap::new();
        for dm in &s.demand {
            let st = s.shift_types.iter().find(|t| t.id == dm.shift).expect("known shift");
            *line_demand.entry(&st.qualifications[0]).or_default() += f64::from(dm.required);
        }
        for (line, demand) in line_demand {
            let cap: f64 = s
                .drivers
                .iter()
                .filter(|d| d.qualifications.contains(line))
                .map(|d| contract_capacity(d, s.horizon.days) / d.qualifications.len() as f64)
                .sum();
            assert!(demand <= 0.95 * cap, "{}: line {line} demands {demand} of {cap:.1}", s.name);
        }
    }
}

#[test]
fn weekends_and_nights_need_fewer_drivers() {
    let s = gen_ok(&params(2000, 28, 9, 3));
    let per_day = |pred: &dyn Fn(usize) -> bool, suffix: &str| {
        let cells: Vec<_> = s.demand.iter().filter(|d| pred(d.day) && d.shift.as_str().ends_with(suffix)).collect();
        cells.iter().map(|d| f64::from(d.required)).sum::<f64>() / cells.len() as f64
    };
    let weekday = |d: usize| !s.horizon.is_weekend_day(d);
    let weekend = |d: usize| s.horizon.is_weekend_day(d);
    assert!(per_day(&weekend, "-E") < 0.75 * per_day(&weekday, "-E"));
    assert!(per_day(&weekday, "-N") < 0.6 * per_day(&weekday, "-E"));
}

#[test]
fn minimum_minutes_stay_within_reach_of_the_available_days() {
    let s = gen_ok(&params(2000, 28, 9, 3));
    let on_leave = s.drivers.iter().filter(|d| !d.unavailable.is_empty()).count();
    assert!(on_leave > 100, "some drivers have leave or days off ({on_leave})");
    for d in &s.drivers {
        let available = (s.horizon.days - d.unavailable.len()) as i64;
        // At most five 8 h shifts a week on available days must already exceed the minimum.
        assert!(d.contract.min_minutes.get() <= available * 5 / 7 * 480, "{}", d.id);
        assert!(d.contract.max_minutes.is_none_or(|m| m >= d.contract.min_minutes), "{}", d.id);
    }
}

#[test]
fn holidays_in_the_horizon_are_listed() {
    let s = gen_ok(&GeneratorParams {
        start_date: NaiveDate::from_ymd_opt(2026, 12, 20).expect("date"),
        ..params(60, 28, 2, 1)
    });
    let dates: Vec<String> = s.overtime.holidays.iter().map(|d| d.to_string()).collect();
    assert_eq!(dates, ["2026-12-25", "2026-12-26", "2027-01-01"]);
    assert!(gen_ok(&params(60, 28, 2, 1)).overtime.holidays.is_empty());
}

#[test]
fn bad_parameters_give_an_error_naming_the_field() {
    let field = |p: GeneratorParams| match generate(&p) {
        Err(ModelError::Invalid(issues)) => issues.into_iter().map(|i| i.path).collect::<Vec<_>>(),
        other => panic!("expected an invalid-parameters error, got {other:?}"),
    };
    assert_eq!(field(params(0, 28, 1, 1)), ["drivers", "depots"]);
    assert_eq!(field(params(10, 0, 1, 1)), ["days"]);
    assert_eq!(field(params(10, 28, 0, 1)), ["depots"]);
    assert_eq!(field(params(3, 28, 4, 1)), ["depots"]);
    assert_eq!(field(GeneratorParams { start_date: NaiveDate::MAX, ..params(3, 28, 1, 1) }), ["start_date"]);
}
