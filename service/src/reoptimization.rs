//! Re-optimization after a disruption, apart from HTTP: `POST /v1/rosters/{id}/reoptimize` calls
//! [`queue`] with the absences, pins and window a planner or dispatcher names, and so can any
//! other part of the service that notices a disruption.
//!
//! The new scenario is the roster's scenario plus the absences, with every day before the window
//! pinned to the current roster and the current roster as baseline, so each changed cell costs the
//! change penalty: the solver repairs the disruption with as few changes as it can. Everything is
//! written in the caller's transaction (the scenario, the job with its trigger, the roster's audit
//! entry and the job's event), so they commit or roll back with whatever else the caller does.
//! Every check comes before the first write: an error other than [`ReoptimizeError::Database`]
//! leaves the transaction as it was.

use model::{
    AbsenceReason, DriverId, DriverIdx, Issue, ModelError, Money, Pin, PlannedShift, RosterGrid, Scenario,
    ScenarioIndex, ShiftTypeId, Unavailability,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use thiserror::Error;
use utoipa::ToSchema;

use crate::db;
use crate::db::audit::NewAudit;
use crate::db::jobs::NewJob;
use crate::db::rosters::RosterRow;
use crate::db::scenarios::NewScenario;
use crate::domain::{JobId, JobOptions, JobTrigger, ScenarioId};
use crate::events::Topics;

/// The change penalty used when the scenario has none: a changed cell costs as much as an hour of
/// uncovered demand would typically, so the solver changes cells only to fix real problems.
pub const DEFAULT_CHANGE_PENALTY: Money = Money(5_000);

/// An absence to apply.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AbsenceInput {
    /// Driver.
    pub driver_id: String,
    /// First day absent.
    pub from_day: usize,
    /// Last day absent (inclusive).
    pub to_day: usize,
    /// `sick` or `leave`.
    #[schema(value_type = String)]
    pub reason: AbsenceReason,
}

/// An extra pinned cell.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PinInput {
    /// Driver.
    pub driver_id: String,
    /// Day.
    pub day: usize,
    /// Shift to work, or null for a day off.
    pub shift_id: Option<String>,
}

/// The days the solver may change.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// First changeable day; every day before it keeps the current assignments.
    pub from_day: usize,
}

/// A re-optimization request.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReoptimizeRequest {
    /// Absences to apply.
    #[serde(default)]
    pub absences: Vec<AbsenceInput>,
    /// Extra pins.
    #[serde(default)]
    pub pins: Vec<PinInput>,
    /// Changeable days.
    pub window: Window,
    /// Solver options.
    #[serde(default)]
    pub options: JobOptions,
}

/// Why a re-optimization could not be queued.
#[derive(Debug, Error)]
pub enum ReoptimizeError {
    /// The request does not fit the roster's scenario or the solver's limits; every problem is
    /// listed with its path in the request (`absences[0].driver_id`, `window.from_day`).
    #[error("{} problem(s) in the re-optimization request: {}", .0.len(), list(.0))]
    Invalid(Vec<Issue>),
    /// The disrupted scenario breaks the scenario rules (for instance a pin naming an unknown shift).
    #[error("the disrupted scenario is invalid: {0}")]
    Scenario(#[from] ModelError),
    /// Stored data does not fit together: a roster whose scenario is gone or no longer readable.
    #[error("inconsistent stored data: {0}")]
    Inconsistent(String),
    /// The disrupted scenario or the options could not be encoded as JSON.
    #[error("cannot encode: {0}")]
    Encode(#[from] serde_json::Error),
    /// The database failed; the caller's transaction must be rolled back.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

fn list(issues: &[Issue]) -> String {
    issues.iter().map(Issue::to_string).collect::<Vec<_>>().join("; ")
}

/// Who queues a re-optimization, and how its job is set up.
#[derive(Debug, Clone, Copy)]
pub struct Requester<'a> {
    /// Recorded as the scenario's creator, the job's submitter and the audit entry's actor: the
    /// session's user.
    pub actor: &'a str,
    /// Why the job is queued; decides whether its roster is proposed or a draft.
    pub trigger: JobTrigger,
    /// Recorded as the audit entry's reason.
    pub reason: Option<&'a str>,
    /// Claims the job is allowed (`ROSTER_MAX_ATTEMPTS`).
    pub max_attempts: i32,
    /// Topics the job's lifecycle event is written for.
    pub topics: &'a Topics,
}

/// A queued re-optimization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Queued {
    /// The job.
    pub job_id: JobId,
    /// The disrupted scenario it solves.
    pub scenario_id: ScenarioId,
}

/// Builds the disrupted scenario; every bad input is listed.
pub fn disrupted(
    ix: &ScenarioIndex,
    current: &RosterGrid,
    req: &ReoptimizeRequest,
) -> Result<Scenario, ReoptimizeError> {
    let mut s = ix.scenario.clone();
    let mut problems = Vec::new();
    let driver = |id: &str| ix.driver_idx(&DriverId(id.to_string())).map(|d| d.0);
    if req.window.from_day >= ix.days() {
        problems.push(Issue::new("window.from_day", format!("outside the horizon 0..{}", ix.days())));
    }
    for (i, a) in req.absences.iter().enumerate() {
        let Some(d) = driver(&a.driver_id) else {
            problems.push(Issue::new(format!("absences[{i}].driver_id"), "no such driver"));
            continue;
        };
        if a.from_day > a.to_day || a.to_day >= ix.days() {
            let message = format!("days {}..={} are not a range inside 0..{}", a.from_day, a.to_day, ix.days());
            problems.push(Issue::new(format!("absences[{i}]"), message));
            continue;
        }
        let off = &mut s.drivers[d].unavailable;
        for day in a.from_day..=a.to_day {
            if !off.iter().any(|u| u.day == day) {
                off.push(Unavailability { day, reason: a.reason });
            }
        }
        off.sort_by_key(|u| u.day);
    }
    // Days before the window keep the current roster; pins of the scenario on them are replaced.
    s.pins.retain(|p| p.day >= req.window.from_day);
    for d in 0..ix.drivers() {
        for t in 0..req.window.from_day.min(ix.days()) {
            let shift = current.get(DriverIdx(d), t).map(|x| ix.shift_id(x).clone());
            s.pins.push(Pin { driver: ix.driver_id(DriverIdx(d)).clone(), day: t, shift });
        }
    }
    for (i, p) in req.pins.iter().enumerate() {
        if driver(&p.driver_id).is_none() {
            problems.push(Issue::new(format!("pins[{i}].driver_id"), "no such driver"));
            continue;
        }
        s.pins.retain(|x| !(x.driver.as_str() == p.driver_id && x.day == p.day));
        s.pins.push(Pin {
            driver: DriverId(p.driver_id.clone()),
            day: p.day,
            shift: p.shift_id.clone().map(ShiftTypeId),
        });
    }
    s.baseline = Some(
        (0..ix.drivers())
            .flat_map(|d| (0..ix.days()).map(move |t| (d, t)))
            .filter_map(|(d, t)| {
                current.get(DriverIdx(d), t).map(|x| PlannedShift {
                    driver: ix.driver_id(DriverIdx(d)).clone(),
                    day: t,
                    shift: ix.shift_id(x).clone(),
                })
            })
            .collect(),
    );
    if s.weights.change == Money::ZERO {
        s.weights.change = DEFAULT_CHANGE_PENALTY;
    }
    if !problems.is_empty() {
        return Err(ReoptimizeError::Invalid(problems));
    }
    Ok(s)
}

/// A roster's scenario, resolved, and its current assignments as a grid.
pub async fn current(
    conn: &mut PgConnection,
    roster: &RosterRow,
) -> Result<(ScenarioIndex, RosterGrid), ReoptimizeError> {
    let inconsistent = |what: String| ReoptimizeError::Inconsistent(format!("roster {}: {what}", roster.id));
    let body = db::scenarios::body(conn, roster.scenario_id)
        .await?
        .ok_or_else(|| inconsistent(format!("its scenario {} is missing", roster.scenario_id)))?;
    let scenario: Scenario =
        serde_json::from_value(body).map_err(|e| inconsistent(format!("its scenario is unreadable: {e}")))?;
    let ix = ScenarioIndex::new(scenario).map_err(|e| inconsistent(format!("its scenario is invalid: {e}")))?;
    let rows = db::rosters::assignments(conn, roster.id).await?;
    let (grid, _) = crate::worker::roster_from_rows(&ix, rows)
        .to_grid(&ix)
        .map_err(|e| inconsistent(format!("its assignments do not fit its scenario: {e}")))?;
    Ok((ix, grid))
}

/// Queues a re-optimization of `roster` in the caller's transaction: stores the disrupted
/// scenario, queues a job that starts from the roster, records who asked in the roster's audit
/// trail and writes the job's event to the outbox.
pub async fn queue(
    conn: &mut PgConnection,
    roster: &RosterRow,
    req: &ReoptimizeRequest,
    by: &Requester<'_>,
) -> Result<Queued, ReoptimizeError> {
    // Before any read: a bad option is the request's fault whatever the roster holds.
    req.options.solve_options().map_err(|i| ReoptimizeError::Invalid(vec![i]))?;
    let (ix, grid) = current(conn, roster).await?;
    queue_on(conn, roster, &ix, &grid, req, by).await
}

/// [`queue`] on a roster already loaded.
async fn queue_on(
    conn: &mut PgConnection,
    roster: &RosterRow,
    ix: &ScenarioIndex,
    current: &RosterGrid,
    req: &ReoptimizeRequest,
    by: &Requester<'_>,
) -> Result<Queued, ReoptimizeError> {
    req.options.solve_options().map_err(|i| ReoptimizeError::Invalid(vec![i]))?;
    let scenario = disrupted(ix, current, req)?;
    // Pins on an absence, for instance, make the disrupted scenario invalid.
    let new_ix = ScenarioIndex::new(scenario)?;
    let body = serde_json::to_value(&new_ix.scenario)?;
    let options = serde_json::to_value(req.options)?;
    let canonical = serde_json::to_vec(req)?;
    let name = format!("{} (re-optimized from roster {})", new_ix.scenario.name, roster.id);

    let new = NewScenario {
        id: ScenarioId::new(),
        name: &name,
        body: &body,
        drivers: new_ix.drivers() as i32,
        days: new_ix.days() as i32,
        start_date: new_ix.scenario.horizon.start_date,
        created_by: Some(by.actor),
    };
    let stored = db::scenarios::insert(conn, &new).await?;
    let job_id = JobId::new();
    let job = NewJob {
        id: job_id,
        scenario_id: stored.id,
        options: &options,
        baseline_roster_id: Some(roster.id),
        idempotency_key: None,
        request_hash: &hex::encode(Sha256::digest(&canonical)),
        max_attempts: by.max_attempts,
        submitted_by: Some(by.actor),
        trigger: by.trigger,
    };
    db::jobs::insert(conn, &job).await?;
    let audit = NewAudit {
        roster_id: roster.id,
        // The roster itself does not change: the entry names the version the job starts from.
        version: roster.version,
        actor: by.actor,
        action: "reoptimize",
        from_status: None,
        to_status: None,
        reason: by.reason,
        details: json!({
            "job_id": job_id,
            "trigger": by.trigger,
            "window_from_day": req.window.from_day,
            "absences": req.absences,
            "pins": req.pins.len(),
        }),
    };
    db::audit::insert(conn, &audit).await?;
    crate::events::emit::job_changed(conn, by.topics, job_id, None).await?;
    Ok(Queued { job_id, scenario_id: stored.id })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use model::generate::{GeneratorParams, generate};

    fn start() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()
    }

    /// A small generated scenario and a roster that puts every driver on the first shift type on
    /// even days, except the last driver, who works days 1 to 5.
    fn scenario_and_roster() -> (ScenarioIndex, RosterGrid) {
        let params = GeneratorParams { drivers: 4, days: 7, depots: 1, seed: 3, start_date: start() };
        let ix = ScenarioIndex::new(generate(&params).unwrap()).unwrap();
        let mut grid = RosterGrid::empty(ix.drivers(), ix.days());
        for d in 0..ix.drivers() - 1 {
            for t in (0..ix.days()).step_by(2) {
                grid.set(DriverIdx(d), t, Some(model::ShiftIdx(0)));
            }
        }
        for t in 1..=5 {
            grid.set(DriverIdx(ix.drivers() - 1), t, Some(model::ShiftIdx(0)));
        }
        (ix, grid)
    }

    fn request(absences: Vec<AbsenceInput>, from_day: usize) -> ReoptimizeRequest {
        ReoptimizeRequest { absences, pins: Vec::new(), window: Window { from_day }, options: JobOptions::default() }
    }

    #[test]
    fn the_disrupted_scenario_pins_the_days_before_the_window_and_keeps_the_roster_as_baseline() {
        let (ix, grid) = scenario_and_roster();
        let d1 = ix.driver_id(DriverIdx(1)).0.clone();
        let absences =
            vec![AbsenceInput { driver_id: d1.clone(), from_day: 4, to_day: 5, reason: AbsenceReason::Sick }];
        let s = disrupted(&ix, &grid, &request(absences, 4)).unwrap();
        let off: Vec<usize> = s.drivers[1].unavailable.iter().map(|u| u.day).collect();
        assert!(off.contains(&4) && off.contains(&5), "{off:?}");
        assert_eq!(s.pins.iter().filter(|p| p.day < 4).count(), ix.drivers() * 4, "every cell before the window");
        assert!(s.pins.iter().all(|p| p.day < 4), "nothing pinned inside the window");
        let pinned = s.pins.iter().find(|p| p.driver.0 == d1 && p.day == 2).unwrap();
        assert_eq!(pinned.shift.as_ref(), Some(ix.shift_id(model::ShiftIdx(0))));
        let worked = (ix.drivers() - 1) * 4 + 5;
        assert_eq!(s.baseline.as_ref().map(Vec::len), Some(worked), "the worked cells of the roster");
        assert!(s.weights.change > Money::ZERO, "changes against the baseline cost something");
        assert!(ScenarioIndex::new(s).is_ok());
    }

    #[test]
    fn every_bad_absence_pin_and_window_is_named_by_its_path() {
        let (ix, grid) = scenario_and_roster();
        let mut req = request(
            vec![
                AbsenceInput { driver_id: "nobody".into(), from_day: 0, to_day: 1, reason: AbsenceReason::Sick },
                AbsenceInput {
                    driver_id: ix.driver_id(DriverIdx(0)).0.clone(),
                    from_day: 5,
                    to_day: 2,
                    reason: AbsenceReason::Leave,
                },
            ],
            7,
        );
        req.pins.push(PinInput { driver_id: "ghost".into(), day: 1, shift_id: None });
        let Err(ReoptimizeError::Invalid(issues)) = disrupted(&ix, &grid, &req) else {
            panic!("expected every problem listed");
        };
        let paths: Vec<&str> = issues.iter().map(|i| i.path.as_str()).collect();
        assert_eq!(paths, ["window.from_day", "absences[0].driver_id", "absences[1]", "pins[0].driver_id"]);
    }
}
