//! Builders for small scenarios whose optimum can be worked out by hand.

#![allow(dead_code)]

use std::time::Duration;

use chrono::NaiveDate;
use model::*;
use solver::{CancelToken, SolveHooks, SolveOptions, SolveResult, solve};

/// A scenario with `drivers` unconstrained full-time drivers (`A`, `B`, …), `days` days from Monday
/// 2024-01-01, and the given shift types `(id, start minute, duration minutes)`; no demand.
pub fn tiny(drivers: usize, days: usize, shifts: &[(&str, i64, i64)]) -> Scenario {
    Scenario {
        name: "tiny".into(),
        horizon: Horizon { start_date: NaiveDate::from_ymd_opt(2024, 1, 1).expect("date"), days },
        shift_types: shifts
            .iter()
            .map(|(id, start, dur)| ShiftType {
                id: ShiftTypeId::from(*id),
                name: String::new(),
                start: Minutes(*start),
                duration: Minutes(*dur),
                depot: None,
                qualifications: vec![],
                tags: vec![],
                forbidden_next: vec![],
            })
            .collect(),
        demand: vec![],
        drivers: (0..drivers)
            .map(|i| Driver {
                id: DriverId(((b'A' + i as u8) as char).to_string()),
                name: String::new(),
                depot: None,
                qualifications: vec![],
                contract: Contract {
                    kind: ContractKind::FullTime,
                    weekly_minutes: Minutes(7 * 24 * 60),
                    hourly_rate: Money(0),
                    min_minutes: Minutes(0),
                    max_minutes: None,
                    max_minutes_per_week: None,
                    max_consecutive_days: None,
                    min_consecutive_days: 0,
                    min_consecutive_days_off: 0,
                    max_weekends: None,
                },
                max_shifts: Default::default(),
                unavailable: vec![],
            })
            .collect(),
        rules: LaborRules::default(),
        overtime: OvertimePolicy::default(),
        weights: ObjectiveWeights::default(),
        requests: vec![],
        pins: vec![],
        baseline: None,
        history: vec![],
    }
}

/// Demand of `required` drivers on every day for shift `shift`, 100 per missing and 1 per surplus.
pub fn demand_every_day(s: &mut Scenario, shift: &str, required: u32) {
    for day in 0..s.horizon.days {
        cell(s, day, shift, required, 100, 1);
    }
}

/// Demand of `required` drivers for `shift` on `day`, with its penalties in cents.
pub fn cell(s: &mut Scenario, day: usize, shift: &str, required: u32, under: i64, over: i64) {
    s.demand.push(Demand {
        day,
        shift: ShiftTypeId::from(shift),
        required,
        under_penalty: Money(under),
        over_penalty: Money(over),
    });
}

/// Solves with a generous limit and no hooks.
pub fn solve_quietly(s: Scenario) -> (ScenarioIndex, SolveResult) {
    let ix = ScenarioIndex::new(s).expect("valid scenario");
    let opts = SolveOptions { time_limit: Duration::from_secs(30), ..SolveOptions::default() };
    let cancel = CancelToken::new();
    let quiet = |_: &solver::Progress| {};
    let res = solve(&ix, &opts, SolveHooks { progress: &quiet, cancel: &cancel, initial: None }).expect("solve");
    (ix, res)
}

/// The shift ids worked by driver `d`, day by day (`.` for off).
pub fn row(ix: &ScenarioIndex, res: &SolveResult, d: usize) -> String {
    let grid = res.roster.as_ref().expect("a roster");
    grid.row(DriverIdx(d)).map(|c| c.map_or(".".to_string(), |s| ix.shift_id(s).to_string())).collect()
}

/// The evaluator's total.
pub fn objective(res: &SolveResult) -> i64 {
    res.objective().expect("an objective").cents()
}

/// A generated metro scenario (`model::generate`) with the fairness spreads weighed at zero: they
/// couple drivers and depots, which column generation's bound and the decomposition leave out.
pub fn generated_without_fairness(params: &generate::GeneratorParams) -> ScenarioIndex {
    let mut s = generate::generate(params).expect("generate");
    s.weights.overtime_spread_per_minute = Money::ZERO;
    s.weights.weekend_spread_per_weekend = Money::ZERO;
    ScenarioIndex::new(s).expect("valid")
}

/// Curtois benchmark instance `n` from `datasets/curtois/`.
pub fn curtois_instance(n: u32) -> ScenarioIndex {
    let path = format!("{}/../datasets/curtois/Instance{n}.txt", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("instance file");
    ScenarioIndex::new(formats::curtois::parse_curtois(&text, &format!("Instance{n}")).expect("parses")).expect("valid")
}

/// A small generated metro scenario: overtime tiers, premiums, weekly maxima, one depot; 6
/// drivers over a week, so that the MILP proves its optimum in seconds.
pub fn small_metro(seed: u64) -> ScenarioIndex {
    let start_date = NaiveDate::from_ymd_opt(2027, 3, 1).expect("date");
    generated_without_fairness(&generate::GeneratorParams { drivers: 6, days: 7, depots: 1, seed, start_date })
}

/// The optimum of `ix` by the monolithic MILP alone (no warm start, no column generation, no
/// LNS), proven within a minute: the reference a bound must stay below.
pub fn milp_optimum(ix: &ScenarioIndex) -> f64 {
    let opts = SolveOptions {
        time_limit: Duration::from_secs(60),
        column_generation: false,
        warm_start: false,
        milp_share: 1.0,
        ..SolveOptions::default()
    };
    let cancel = CancelToken::new();
    let quiet = |_: &solver::Progress| {};
    let res = solve(ix, &opts, SolveHooks { progress: &quiet, cancel: &cancel, initial: None }).expect("solve");
    assert_eq!(res.status, solver::SolveStatus::Optimal, "the MILP proves the optimum");
    res.objective().expect("objective").cents() as f64
}
