//! Re-optimization after a disruption over HTTP: `POST /v1/rosters/{id}/reoptimize` and the diff
//! of the resulting roster against the one it was derived from.
//!
//! Building the disrupted scenario and queuing its job live in [`crate::reoptimization`], which the
//! HR consumer shares; this module turns its errors into problem documents.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::extract::ApiJson;
use super::jobs::JobView;
use super::problem::{ApiError, FieldProblem, Problem};
use super::rosters::load;
use crate::db;
use crate::domain::{JobTrigger, RosterId};
use crate::identity::Principal;
use crate::reoptimization::{self, ReoptimizeError, Requester};
pub use crate::reoptimization::{AbsenceInput, DEFAULT_CHANGE_PENALTY, PinInput, ReoptimizeRequest, Window};

/// The re-optimization routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/v1/rosters/{id}/reoptimize", post(reoptimize)).route("/v1/rosters/{id}/diff", get(diff))
}

impl From<ReoptimizeError> for ApiError {
    fn from(e: ReoptimizeError) -> ApiError {
        match e {
            ReoptimizeError::Invalid(issues) => ApiError::Invalid(issues.into_iter().map(FieldProblem::from).collect()),
            // The disrupted scenario names the request's mistakes in scenario terms: a 422 all the same.
            ReoptimizeError::Scenario(e) => e.into(),
            ReoptimizeError::Database(e) => e.into(),
            e @ (ReoptimizeError::Inconsistent(_) | ReoptimizeError::Encode(_)) => ApiError::Internal(e.to_string()),
        }
    }
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
    // Checked before the roster is looked up, so bad options are a 422 whatever the id.
    req.options.solve_options().map_err(|i| ApiError::Invalid(vec![i.into()]))?;
    let row = load(&state, &id).await?;
    let by = Requester {
        actor: &principal.username,
        trigger: JobTrigger::Api,
        reason: None,
        max_attempts: state.settings.max_attempts,
        topics: &state.settings.kafka.topics,
    };
    let mut tx = state.pool.begin().await?;
    let queued = reoptimization::queue(&mut tx, &row, &req, &by).await?;
    tx.commit().await?;
    let job_id = queued.job_id;
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
