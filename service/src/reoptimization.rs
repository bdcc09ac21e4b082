//! Re-optimization after a disruption, for both of its callers: `POST /v1/rosters/{id}/reoptimize`,
//! where a planner or dispatcher names the absences, pins and window, and the HR absence consumer,
//! which with `ROSTER_AUTO_REOPTIMIZE` on queues one for every published roster an absence breaks
//! ([`after_absence`]).
//!
//! The new scenario is the roster's scenario plus the absences, with every day before the window
//! pinned to the current roster and the current roster as baseline, so each changed cell costs the
//! change penalty: the solver repairs the disruption with as few changes as it can. Everything is
//! written in the caller's transaction (the scenario, the job with its trigger, the roster's audit
//! entry and the job's event), so an absence and the job it causes commit or roll back together.
//! Every check comes before the first write: an error other than [`ReoptimizeError::Database`]
//! leaves the transaction as it was.

use chrono::{Days, NaiveDate};
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
use crate::db::absences::Absence;
use crate::db::audit::NewAudit;
use crate::db::jobs::NewJob;
use crate::db::rosters::RosterRow;
use crate::db::scenarios::NewScenario;
use crate::domain::{JobId, JobOptions, JobTrigger, RosterId, ScenarioId};
use crate::events::Topics;
use crate::events::envelope::{AbsenceKind, AbsenceRecorded};

/// The change penalty used when the scenario has none: a changed cell costs as much as an hour of
/// uncovered demand would typically, so the solver changes cells only to fix real problems.
pub const DEFAULT_CHANGE_PENALTY: Money = Money(5_000);

/// The actor the HR consumer's re-optimizations are recorded under (job submitter, scenario
/// creator, audit trail).
pub const HR_CONSUMER_ACTOR: &str = "hr-consumer";

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
    /// session's user, or [`HR_CONSUMER_ACTOR`].
    pub actor: &'a str,
    /// Why the job is queued; decides whether its roster is proposed or a draft.
    pub trigger: JobTrigger,
    /// Recorded as the audit entry's reason (the absence that caused an automatic one).
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
    // Again for the automatic path, which comes here directly: no job with options a worker refuses.
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

/// How the HR consumer queues its automatic re-optimizations (`ROSTER_AUTO_REOPTIMIZE`).
#[derive(Debug, Clone, PartialEq)]
pub struct AutoReoptimize {
    /// Claims each job is allowed (`ROSTER_MAX_ATTEMPTS`).
    pub max_attempts: i32,
    /// Solver options of each job: nobody is there to choose them, so the defaults.
    pub options: JobOptions,
}

impl AutoReoptimize {
    /// Jobs with `max_attempts` claims and the default solver options.
    pub fn new(max_attempts: i32) -> AutoReoptimize {
        AutoReoptimize { max_attempts, options: JobOptions::default() }
    }
}

/// What the automatic re-optimization did about one roster an absence broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AutoOutcome {
    /// A job was queued.
    Queued {
        /// The broken roster.
        roster_id: RosterId,
        /// The job that repairs it.
        job_id: JobId,
        /// First day the job may change: the start of the first working block the absences break
        /// (see [`window_start`]).
        from_day: usize,
    },
    /// A re-optimization of the roster is already queued or running, so no second one is queued.
    AlreadyPending {
        /// The broken roster.
        roster_id: RosterId,
        /// The job already on it.
        job_id: JobId,
    },
    /// The roster cannot be re-optimized automatically; its disruption stays marked for a planner.
    Refused {
        /// The broken roster.
        roster_id: RosterId,
        /// Why.
        reason: String,
    },
}

impl AutoOutcome {
    /// The `outcome` label of the `roster_auto_reoptimizations_total` counter.
    pub fn label(&self) -> &'static str {
        match self {
            AutoOutcome::Queued { .. } => "queued",
            AutoOutcome::AlreadyPending { .. } => "already_pending",
            AutoOutcome::Refused { .. } => "refused",
        }
    }
}

/// Queues, in the caller's transaction (the one that applied `absence`), one re-optimization of
/// every published roster the absence breaks, unless one of that roster is already queued or
/// running. Each takes every recorded absence of the roster's drivers inside its horizon, and may
/// change the roster from the start of the first working block an absence breaks
/// ([`window_start`]). Only a database failure is an error (the caller retries the whole
/// message); a roster that cannot be re-optimized is reported as [`AutoOutcome::Refused`] and the
/// absence still applies.
pub async fn after_absence(
    conn: &mut PgConnection,
    absence: &AbsenceRecorded,
    auto: &AutoReoptimize,
    topics: &Topics,
) -> Result<Vec<AutoOutcome>, sqlx::Error> {
    let reason = format!(
        "{} absence {} of driver {} from {} to {}",
        absence.kind.as_str(),
        absence.absence_id,
        absence.driver_id,
        absence.from,
        absence.to
    );
    let by = Requester {
        actor: HR_CONSUMER_ACTOR,
        trigger: JobTrigger::HrAbsence,
        reason: Some(&reason),
        max_attempts: auto.max_attempts,
        topics,
    };
    let mut outcomes = Vec::new();
    for roster_id in db::absences::disrupted_published_rosters(conn, &absence.absence_id).await? {
        let outcome = match auto_one(conn, roster_id, auto, &by).await {
            Ok(outcome) => outcome,
            Err(ReoptimizeError::Database(e)) => return Err(e),
            Err(e) => AutoOutcome::Refused { roster_id, reason: e.to_string() },
        };
        let absence_id = absence.absence_id.as_str();
        match &outcome {
            AutoOutcome::Queued { job_id, from_day, .. } => {
                tracing::info!(%roster_id, %job_id, from_day, absence_id, "re-optimization queued after an absence");
            }
            AutoOutcome::AlreadyPending { job_id, .. } => {
                tracing::info!(%roster_id, %job_id, absence_id, "re-optimization already pending; none queued");
            }
            AutoOutcome::Refused { reason, .. } => {
                tracing::warn!(%roster_id, %reason, absence_id, "roster not re-optimized automatically");
            }
        }
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

/// The automatic re-optimization of one roster.
async fn auto_one(
    conn: &mut PgConnection,
    roster_id: RosterId,
    auto: &AutoReoptimize,
    by: &Requester<'_>,
) -> Result<AutoOutcome, ReoptimizeError> {
    let refused = |reason: String| Ok(AutoOutcome::Refused { roster_id, reason });
    // Held until commit: a second consumer handling another absence of this roster waits here and
    // then sees this one's job.
    let Some(roster) = db::rosters::hold(conn, roster_id).await? else {
        return refused("the roster no longer exists".into());
    };
    if roster.status != "published" {
        return refused(format!("the roster became {} meanwhile", roster.status));
    }
    if let Some(job_id) = db::jobs::active_from_baseline(conn, roster.id).await? {
        return Ok(AutoOutcome::AlreadyPending { roster_id, job_id });
    }
    let (ix, grid) = current(conn, &roster).await?;
    let start = ix.scenario.horizon.start_date;
    let end = start
        .checked_add_days(Days::new(ix.days().saturating_sub(1) as u64))
        .ok_or_else(|| ReoptimizeError::Inconsistent(format!("the horizon of roster {roster_id} ends after 9999")))?;
    let drivers: Vec<String> = (0..ix.drivers()).map(|d| ix.driver_id(DriverIdx(d)).0.clone()).collect();
    let recorded = db::absences::overlapping(conn, &drivers, start, end).await?;
    let absences = day_ranges(start, ix.days(), &recorded);
    let Some(from_day) = window_start(&ix, &grid, &absences) else {
        return refused("no shift of the roster falls on a recorded absence any more".into());
    };
    let req = ReoptimizeRequest { absences, pins: Vec::new(), window: Window { from_day }, options: auto.options };
    let queued = queue_on(conn, &roster, &ix, &grid, &req, by).await?;
    Ok(AutoOutcome::Queued { roster_id, job_id: queued.job_id, from_day })
}

/// Recorded absences as day ranges of a horizon of `days` days from `start`, clipped to it; those
/// wholly outside it are left out.
pub fn day_ranges(start: NaiveDate, days: usize, recorded: &[Absence]) -> Vec<AbsenceInput> {
    let last = days as i64 - 1;
    recorded
        .iter()
        .filter_map(|a| {
            let from = (a.from_date - start).num_days().max(0);
            let to = (a.to_date - start).num_days().min(last);
            (from <= to).then(|| AbsenceInput {
                driver_id: a.driver_id.clone(),
                from_day: from as usize,
                to_day: to as usize,
                reason: if a.kind == AbsenceKind::Leave.as_str() { AbsenceReason::Leave } else { AbsenceReason::Sick },
            })
        })
        .collect()
}

/// The first day a re-optimization after `absences` must be free to change: the first day
/// `current` puts an absent driver on a shift, moved back to the first day of the working block
/// that shift belongs to. Pinning the start of a broken block would leave it shorter than the
/// minimum consecutive working days (R7) with nothing the solver may do about it; from the start
/// of the block on it can shorten, move or fill it, and the day before the block is a day off, so
/// no rest (R2) or days-off (R8) rule reaches across the window's edge. `None` when no absence
/// falls on a worked day.
pub fn window_start(ix: &ScenarioIndex, current: &RosterGrid, absences: &[AbsenceInput]) -> Option<usize> {
    absences
        .iter()
        .filter_map(|a| {
            let d = ix.driver_idx(&DriverId(a.driver_id.clone()))?;
            let clash = (a.from_day..=a.to_day.min(ix.days().saturating_sub(1))).find(|&t| current.works(d, t))?;
            let mut start = clash;
            while start > 0 && current.works(d, start - 1) {
                start -= 1;
            }
            Some(start)
        })
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;
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

    fn absence(driver: &str, from: NaiveDate, to: NaiveDate, kind: &str) -> Absence {
        Absence {
            absence_id: format!("A-{driver}-{from}"),
            driver_id: driver.into(),
            kind: kind.into(),
            from_date: from,
            to_date: to,
            source_version: 1,
        }
    }

    fn request(absences: Vec<AbsenceInput>, from_day: usize) -> ReoptimizeRequest {
        ReoptimizeRequest { absences, pins: Vec::new(), window: Window { from_day }, options: JobOptions::default() }
    }

    #[test]
    fn recorded_absences_become_day_ranges_clipped_to_the_horizon() {
        let day = |n: u64| start() + Days::new(n);
        let before = start() - Days::new(3);
        let recorded = [
            absence("D1", before, day(1), "sickness"),
            absence("D2", day(5), day(20), "leave"),
            absence("D3", day(2), day(2), "sickness"),
            absence("D4", day(9), day(12), "sickness"),
        ];
        let ranges = day_ranges(start(), 7, &recorded);
        let got: Vec<(&str, usize, usize, AbsenceReason)> =
            ranges.iter().map(|a| (a.driver_id.as_str(), a.from_day, a.to_day, a.reason)).collect();
        assert_eq!(
            got,
            [("D1", 0, 1, AbsenceReason::Sick), ("D2", 5, 6, AbsenceReason::Leave), ("D3", 2, 2, AbsenceReason::Sick)],
            "the absence after the horizon is left out"
        );
    }

    #[test]
    fn the_window_opens_where_the_first_broken_working_block_starts() {
        let (ix, grid) = scenario_and_roster();
        let id = |d: usize| ix.driver_id(DriverIdx(d)).0.clone();
        let sick = |d: usize, from_day, to_day| AbsenceInput {
            driver_id: id(d),
            from_day,
            to_day,
            reason: AbsenceReason::Sick,
        };
        // Driver 1 works alone on even days: day 3 is off, day 4 is the broken block. Driver 2
        // clashes on day 2.
        assert_eq!(window_start(&ix, &grid, &[sick(1, 3, 5)]), Some(4));
        assert_eq!(window_start(&ix, &grid, &[sick(1, 3, 5), sick(2, 1, 2)]), Some(2));
        // The last driver works days 1-5: a sickness on day 4 breaks the block that starts on day
        // 1, and pinning days 1-3 could leave them too short a block.
        assert_eq!(window_start(&ix, &grid, &[sick(3, 4, 6)]), Some(1));
        assert_eq!(window_start(&ix, &grid, &[sick(1, 3, 3)]), None, "an absence on a day off breaks nothing");
        let nobody = AbsenceInput { driver_id: "nobody".into(), from_day: 0, to_day: 6, reason: AbsenceReason::Sick };
        assert_eq!(window_start(&ix, &grid, &[nobody]), None);
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
