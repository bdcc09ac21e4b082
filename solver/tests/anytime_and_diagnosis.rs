//! Anytime behaviour (cancellation returns the incumbent promptly) and the diagnosis of infeasible
//! scenarios.

mod common;

use std::thread;
use std::time::{Duration, Instant};

use common::*;
use model::formats::curtois::parse_curtois;
use model::*;
use solver::{CancelToken, SolveHooks, SolveOptions, SolveStatus, solve};

#[test]
fn cancelling_a_long_solve_returns_the_best_roster_so_far_well_before_the_time_limit() {
    let path = format!("{}/../datasets/curtois/Instance8.txt", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).expect("instance");
    let ix = ScenarioIndex::new(parse_curtois(&text, "Instance8").expect("parse")).expect("valid");
    let opts = SolveOptions { time_limit: Duration::from_secs(600), ..SolveOptions::default() };
    let cancel = CancelToken::new();
    let have_incumbent = std::sync::atomic::AtomicBool::new(false);
    let sink = |p: &solver::Progress| {
        if p.incumbent.is_some() {
            have_incumbent.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    };
    let started = Instant::now();
    let res = thread::scope(|scope| {
        let handle = scope.spawn(|| solve(&ix, &opts, SolveHooks { progress: &sink, cancel: &cancel, initial: None }));
        // Cancel once a roster exists (and at least 2 s in), so there is an incumbent to return.
        while !(have_incumbent.load(std::sync::atomic::Ordering::SeqCst) && started.elapsed() > Duration::from_secs(2))
        {
            thread::sleep(Duration::from_millis(50));
        }
        cancel.cancel();
        handle.join().expect("solver thread")
    })
    .expect("solve");
    // Not a performance measurement: a solve that ignored the token would run for ten minutes.
    assert!(started.elapsed() < Duration::from_secs(60), "cancellation ignored: {:?}", started.elapsed());
    assert_eq!(res.status, SolveStatus::FeasibleAtLimit);
    let eval = res.evaluation.expect("the incumbent is returned");
    assert!(eval.violations.is_empty());
}

#[test]
fn an_infeasible_scenario_names_the_rule_and_the_driver_at_fault() {
    // Driver B must work 3 days of 480 minutes but is on leave for 2 of the 3 days.
    let mut s = tiny(2, 3, &[("D", 480, 480)]);
    s.drivers[1].contract.min_minutes = Minutes(3 * 480);
    for day in [0, 2] {
        s.drivers[1].unavailable.push(Unavailability { day, reason: AbsenceReason::Leave });
    }
    let (_, res) = solve_quietly(s);
    assert_eq!(res.status, SolveStatus::Infeasible);
    assert!(res.roster.is_none());
    let diagnosis = res.diagnosis.expect("a diagnosis");
    assert!(diagnosis.conflicts.iter().any(|c| c.rule == RuleCode::R5 && c.driver.as_str() == "B"), "{diagnosis}");
    assert!(diagnosis.conflicts.iter().all(|c| c.driver.as_str() == "B"), "{diagnosis}");
}

#[test]
fn a_pin_on_a_leave_day_is_diagnosed_as_a_conflict_between_r10_and_r11() {
    let mut s = tiny(1, 2, &[("D", 480, 480)]);
    s.drivers[0].unavailable.push(Unavailability { day: 1, reason: AbsenceReason::Sick });
    s.pins.push(Pin { driver: "A".into(), day: 1, shift: Some("D".into()) });
    let (_, res) = solve_quietly(s);
    assert_eq!(res.status, SolveStatus::Infeasible);
    let d = res.diagnosis.expect("a diagnosis");
    let c = d.conflicts.first().expect("one conflict");
    assert!(matches!(c.rule, RuleCode::R10 | RuleCode::R11), "{d}");
    assert_eq!(c.driver.as_str(), "A");
    assert_eq!(c.days, vec![1]);
}

#[test]
fn a_previous_roster_given_as_start_is_kept_when_nothing_beats_it() {
    let mut s = tiny(2, 7, &[("D", 480, 480)]);
    demand_every_day(&mut s, "D", 1);
    let ix = ScenarioIndex::new(s).expect("valid");
    let mut start = RosterGrid::empty(2, 7);
    for t in 0..7 {
        start.set(DriverIdx(t % 2), t, Some(ShiftIdx(0)));
    }
    let opts = SolveOptions { time_limit: Duration::from_secs(30), warm_start: false, ..SolveOptions::default() };
    let cancel = CancelToken::new();
    let quiet = |_: &solver::Progress| {};
    let res =
        solve(&ix, &opts, SolveHooks { progress: &quiet, cancel: &cancel, initial: Some(&start) }).expect("solve");
    assert_eq!(res.objective(), Some(Money(0)));
}
