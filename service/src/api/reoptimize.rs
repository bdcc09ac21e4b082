//! Re-optimization after a disruption: `POST /v1/rosters/{id}/reoptimize` and the diff of the
//! resulting roster against the one it was derived from.
//!
//! The new scenario is the roster's scenario plus the absences, with every day before the window
//! pinned to the current roster and the current roster as baseline, so each changed cell costs the
//! change penalty: the solver repairs the disruption with as few changes as it can.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use model::{AbsenceReason, DriverId, Money, Pin, PlannedShift, ScenarioIndex, ShiftTypeId, Unavailability};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::AppState;
use super::extract::ApiJson;
use super::jobs::JobView;
use super::problem::{ApiError, FieldProblem, Problem};
use super::rosters::load;
use super::workflow::scenario_index;
use crate::db;
use crate::db::jobs::NewJob;
use crate::db::scenarios::NewScenario;
use crate::domain::{JobId, JobOptions, JobTrigger, RosterId, ScenarioId};
use crate::identity::Principal;

/// The re-optimization routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/v1/rosters/{id}/reoptimize", post(reoptimize)).route("/v1/rosters/{id}/diff", get(diff))
}

/// The change penalty used when the scenario has none: a changed cell costs as much as an hour of
/// uncovered demand would typically, so the solver changes cells only to fix real problems.
pub const DEFAULT_CHANGE_PENALTY: Money = Money(5_000);

/// An absence to apply.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
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

/// Builds the disrupted scenario; every bad input is listed.
fn disrupted(
    ix: &ScenarioIndex,
    current: &model::RosterGrid,
    req: &ReoptimizeRequest,
) -> Result<model::Scenario, ApiError> {
    let mut s = ix.scenario.clone();
    let mut problems = Vec::new();
    let driver = |id: &str| ix.driver_idx(&DriverId(id.to_string())).map(|d| d.0);
    if req.window.from_day >= ix.days() {
        problems.push(FieldProblem {
            path: "window.from_day".into(),
            message: format!("outside the horizon 0..{}", ix.days()),
        });
    }
    for (i, a) in req.absences.iter().enumerate() {
        let Some(d) = driver(&a.driver_id) else {
            problems.push(FieldProblem { path: format!("absences[{i}].driver_id"), message: "no such driver".into() });
            continue;
        };
        if a.from_day > a.to_day || a.to_day >= ix.days() {
            let message = format!("days {}..={} are not a range inside 0..{}", a.from_day, a.to_day, ix.days());
            problems.push(FieldProblem { path: format!("absences[{i}]"), message });
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
            let shift = current.get(model::DriverIdx(d), t).map(|x| ix.shift_id(x).clone());
            s.pins.push(Pin { driver: ix.driver_id(model::DriverIdx(d)).clone(), day: t, shift });
        }
    }
    for (i, p) in req.pins.iter().enumerate() {
        if driver(&p.driver_id).is_none() {
            problems.push(FieldProblem { path: format!("pins[{i}].driver_id"), message: "no such driver".into() });
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
                current.get(model::DriverIdx(d), t).map(|x| PlannedShift {
                    driver: ix.driver_id(model::DriverIdx(d)).clone(),
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
        return Err(ApiError::Invalid(problems));
    }
    Ok(s)
}

/// Re-optimize a roster after a disruption: stores the disrupted scenario and queues a job that
/// starts from this roster. The job's roster is a new version whose `diff` lists what changed.
#[utoipa::path(post, path = "/v1/rosters/{id}/reoptimize", tag = "workflow", request_body = ReoptimizeRequest,
    params(("id" = String, Path, description = "Roster id")),
    responses((status = 202, description = "Job queued", body = JobView),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "Bad absences, pins or window; or the disrupted scenario is invalid", body = Problem, content_type = "application/problem+json")))]
pub async fn reoptimize(
    State(state): State<AppState>,
    Path(id): Path<String>,
    principal: Principal,
    ApiJson(req): ApiJson<ReoptimizeRequest>,
) -> Result<Response, ApiError> {
    req.options.solve_options().map_err(|i| ApiError::Invalid(vec![i.into()]))?;
    let row = load(&state, &id).await?;
    let mut tx = state.pool.begin().await?;
    let ix = scenario_index(&mut tx, &row).await?;
    let rows = db::rosters::assignments(&mut tx, row.id).await?;
    let (current, _) =
        crate::worker::roster_from_rows(&ix, rows).to_grid(&ix).map_err(|e| ApiError::Internal(e.to_string()))?;
    let scenario = disrupted(&ix, &current, &req)?;
    // Pins on an absence, for instance, make the disrupted scenario invalid: a 422 naming them.
    let new_ix = ScenarioIndex::new(scenario)?;
    let body = serde_json::to_value(&new_ix.scenario).map_err(|e| ApiError::Internal(e.to_string()))?;
    let name = format!("{} (re-optimized from roster {})", new_ix.scenario.name, row.id);
    let new = NewScenario {
        id: ScenarioId::new(),
        name: &name,
        body: &body,
        drivers: new_ix.drivers() as i32,
        days: new_ix.days() as i32,
        start_date: new_ix.scenario.horizon.start_date,
        created_by: Some(&principal.username),
    };
    let stored = db::scenarios::insert(&mut tx, &new).await?;
    let options = serde_json::to_value(req.options).map_err(|e| ApiError::Internal(e.to_string()))?;
    let canonical = serde_json::to_vec(&req).map_err(|e| ApiError::Internal(e.to_string()))?;
    let job_id = JobId::new();
    let job = NewJob {
        id: job_id,
        scenario_id: stored.id,
        options: &options,
        baseline_roster_id: Some(row.id),
        idempotency_key: None,
        request_hash: &hex::encode(Sha256::digest(&canonical)),
        max_attempts: state.settings.max_attempts,
        submitted_by: Some(&principal.username),
        trigger: JobTrigger::Api,
    };
    db::jobs::insert(&mut tx, &job).await?;
    crate::events::emit::job_changed(&mut tx, &state.settings.kafka.topics, job_id, None).await?;
    tx.commit().await?;
    tracing::info!(roster_id = %row.id, job_id = %job_id, "re-optimization queued");
    let view =
        db::jobs::get(&state.pool, job_id).await?.ok_or(ApiError::NotFound { what: "job", id: job_id.to_string() })?;
    let mut res = (StatusCode::ACCEPTED, Json(JobView::from(view))).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/v1/jobs/{job_id}")) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// One changed cell.
#[derive(Debug, Serialize, ToSchema)]
pub struct CellDiff {
    /// Driver.
    pub driver_id: String,
    /// Day.
    pub day: i32,
    /// Shift before (null = off).
    pub before: Option<String>,
    /// Shift after (null = off).
    pub after: Option<String>,
}

/// What a derived roster changed against the roster it came from.
#[derive(Debug, Serialize, ToSchema)]
pub struct RosterDiff {
    /// This roster.
    pub roster_id: RosterId,
    /// The roster it was derived from.
    pub parent_roster_id: RosterId,
    /// Changed cells.
    pub cells: Vec<CellDiff>,
    /// Drivers with at least one change.
    pub drivers: Vec<String>,
    /// Days with at least one change.
    pub days: Vec<i32>,
}

/// The diff of a re-optimized roster against the roster it was derived from.
#[utoipa::path(get, path = "/v1/rosters/{id}/diff", tag = "workflow", params(("id" = String, Path, description = "Roster id")),
    responses((status = 200, body = RosterDiff),
              (status = 404, description = "No such roster, or it was not derived from another", body = Problem, content_type = "application/problem+json")))]
pub async fn diff(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<RosterDiff>, ApiError> {
    let row = load(&state, &id).await?;
    let parent = db::rosters::parent(&state.pool, row.id)
        .await?
        .ok_or(ApiError::NotFound { what: "parent of roster", id: id.clone() })?;
    let mut conn = state.pool.acquire().await?;
    let cells_of = |rows: Vec<db::rosters::AssignmentRow>| -> BTreeMap<(String, i32), String> {
        rows.into_iter().map(|a| ((a.driver_id, a.day), a.shift_id)).collect()
    };
    let after = cells_of(db::rosters::assignments(&mut conn, row.id).await?);
    let before = cells_of(db::rosters::assignments(&mut conn, parent).await?);
    // Worked cells of either roster, in (driver, day) order; a cell absent from one is a day off.
    let keys: BTreeSet<&(String, i32)> = before.keys().chain(after.keys()).collect();
    let cells: Vec<CellDiff> = keys
        .into_iter()
        .filter(|k| before.get(*k) != after.get(*k))
        .map(|(driver_id, day)| {
            let key = (driver_id.clone(), *day);
            CellDiff {
                driver_id: driver_id.clone(),
                day: *day,
                before: before.get(&key).cloned(),
                after: after.get(&key).cloned(),
            }
        })
        .collect();
    let mut drivers: Vec<String> = cells.iter().map(|c| c.driver_id.clone()).collect();
    drivers.dedup();
    let mut days: Vec<i32> = cells.iter().map(|c| c.day).collect();
    days.sort_unstable();
    days.dedup();
    Ok(Json(RosterDiff { roster_id: row.id, parent_roster_id: parent, cells, drivers, days }))
}
